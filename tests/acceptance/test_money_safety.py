"""Money is never misdirected: a lost refund answer under a skewed clock, ``--settle``, a journal's list.

Each test is an attack that worked on 7cf4271: a refund sent twice, or adopted as
another's, or a purchase refunded outside the run's list.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

import preo_nb
from preo_nb import cli
from preo_nb.journal import Journal
from preo_nb.resources.refunds import refund_body
from preo_nb.sandbox import hostile


@pytest.fixture
def sb(sandbox):
    sandbox.reset()
    yield sandbox
    sandbox.faults.clear()


def requests_of(sb, purchase_id):
    return [r for r in sb.store.refunds() if r["purchase"]["api_id"] == purchase_id]


def behind_a_proxy(sb, skew):
    """A proxy stamping ``Date`` ``skew`` away from the sandbox's own clock (its records' stamps)."""
    return hostile.skewed_date(sb.url, lambda: sb.store.now() + skew)


# 1. A lost refund answer under a skewed clock


def test_a_lost_refund_answer_is_not_sent_again_when_the_proxy_clock_runs_ahead(sb, connect_to):
    purchase = sb.store.find_purchase(org=1, status="paid", refundable=True)["api_id"]
    sb.faults.fail_next("POST", f"/v1/purchases/{purchase}/refund", kind="drop")  # filed, the answer lost
    with behind_a_proxy(sb, timedelta(hours=1)) as proxy:
        preo = connect_to(proxy.url, sb.token, backoff_factor=0.01)
        with pytest.raises(preo_nb.UnknownOutcome) as info:
            preo.purchases.refund(purchase, reason="event_cancelled")
    assert proxy.writes_seen == 1  # 7cf4271 concluded "did not take effect" from the stamps and sent it again
    assert len(requests_of(sb, purchase)) == 1
    assert info.value.check == f"GET /v1/refunds?purchase_id={purchase}"
    assert "1 request(s) like it exist" in str(info.value) and "Date says" in str(info.value)


def test_an_earlier_refund_is_not_adopted_when_the_proxy_clock_runs_behind(sb, connect_to):
    purchase = sb.store.find_purchase(org=1, status="paid", refundable=True)["api_id"]
    earlier = connect_to(sb.url, sb.token).purchases.refund(purchase, reason="event_cancelled")
    sb.faults.fail_next("POST", f"/v1/purchases/{purchase}/refund", status=502)  # never handled
    with behind_a_proxy(sb, -timedelta(hours=1)) as proxy:
        preo = connect_to(proxy.url, sb.token, backoff_factor=0.01)
        with pytest.raises(preo_nb.UnknownOutcome) as info:  # 7cf4271 returned `earlier` as this POST's result
            preo.purchases.refund(purchase, reason="event_cancelled")
    assert earlier["id"] in str(info.value)
    assert proxy.writes_seen == 1
    assert [r["id"] for r in requests_of(sb, purchase)] == [earlier["id"]]


def test_a_lost_refund_answer_is_still_adopted_when_the_clocks_agree(sb, connect_to):
    purchase = sb.store.find_purchase(org=1, status="paid", refundable=True)["api_id"]
    sb.faults.fail_next("POST", f"/v1/purchases/{purchase}/refund", kind="drop")
    with behind_a_proxy(sb, timedelta(seconds=1)) as proxy:
        made = connect_to(proxy.url, sb.token, backoff_factor=0.01).purchases.refund(purchase, reason="event_cancelled")
    assert [r["id"] for r in requests_of(sb, purchase)] == [made["id"]]
    assert proxy.writes_seen == 1


# 2. --settle verifies before it writes; 3. a journal is bound to its purchase list

EVENT_CANCELLED = refund_body("event_cancelled", None, None, "", None)


def paid(sb, n, **criteria):
    return [p["api_id"] for p in sb.store.purchases(status="paid", refundable=True, **criteria)[:n]]


def sent_row(sb, path, pid, body=EVENT_CANCELLED):
    """A journal whose one row is ``sent`` with an empty snapshot: its outcome is for a person to settle."""
    with Journal(path) as book:
        book.bind({"api": sb.url, "organization_id": None, "edition_id": None, "body": body})
        book.add([pid], {})
        book.mark(pid, "sent", before_ids=[], sent_at=sb.store.now(), problem="outcome unknown")


@pytest.fixture
def bulk_cli(sb, tmp_path, monkeypatch):
    """``run(ids, *options)``: ``preo-nb bulk-refund`` of an event_cancelled refund on journal ``j.sqlite``."""
    monkeypatch.setenv("PREO_BASE_URL", sb.url)
    monkeypatch.setenv("PREO_API_TOKEN", sb.token)
    monkeypatch.setenv("PREO_NB_PROGRESS", "off")
    monkeypatch.chdir(tmp_path)

    def run(ids, *options):
        (tmp_path / "ids.txt").write_text("\n".join(ids))
        command = ["bulk-refund", "--purchases", "ids.txt", "--reason", "event_cancelled", "--journal", "j.sqlite"]
        return cli.main([*command, *options])

    return run


def journal_rows(path):
    with Journal(path) as book:
        return book.frame().set_index("purchase_id")[["state", "refund_id"]].to_dict("index")


def test_settle_refuses_another_purchases_refund_and_changes_nothing(sb, tmp_path, bulk_cli, connect_to, capsys):
    pid, other = paid(sb, 2)
    theirs = connect_to(sb.url, sb.token).purchases.refund(other, reason="event_cancelled")
    sent_row(sb, tmp_path / "j.sqlite", pid)
    assert bulk_cli([pid], "--settle", pid, theirs["id"]) == 1  # 7cf4271: 0, the row "done", pid never refunded
    assert f"{theirs['id']} is a refund request of {other}, not of {pid}" in capsys.readouterr().err
    assert journal_rows(tmp_path / "j.sqlite") == {pid: {"state": "sent", "refund_id": None}}
    assert requests_of(sb, pid) == []


def test_settle_refuses_a_refund_that_is_not_this_jobs(sb, tmp_path, bulk_cli, connect_to, capsys):
    pid = paid(sb, 1, has_deposit=True)[0]
    deposit = connect_to(sb.url, sb.token).purchases.refund(pid, reason="event_cancelled", scope="purchase_deposit")
    sent_row(sb, tmp_path / "j.sqlite", pid)
    assert bulk_cli([pid], "--settle", pid, deposit["id"]) == 1
    assert "is not this job's refund: it is event_cancelled, purchase_deposit" in capsys.readouterr().err
    assert journal_rows(tmp_path / "j.sqlite")[pid]["state"] == "sent"


def test_settle_on_a_journal_of_another_job_changes_no_row(sb, tmp_path, bulk_cli, capsys):
    pid = paid(sb, 1)[0]
    sent_row(sb, tmp_path / "j.sqlite", pid, body=refund_body("sold_out", None, None, "", None))
    assert bulk_cli([pid], "--settle", pid, "none") == 1
    assert "belongs to another refund job" in capsys.readouterr().err
    assert journal_rows(tmp_path / "j.sqlite")[pid]["state"] == "sent"  # 7cf4271 made it pending first


def test_a_journal_of_another_purchase_list_refunds_nothing(sb, tmp_path, bulk_cli, capsys):
    job_a, job_b = paid(sb, 5), paid(sb, 8)[5:]
    sb.faults.fail_next("GET", "/v1/refunds", kind="reset", times=50)  # an outage before anything is sent
    assert bulk_cli(job_a) == 2
    sb.faults.clear()
    assert {row["state"] for row in journal_rows(tmp_path / "j.sqlite").values()} == {"pending"}

    assert bulk_cli(job_b) == 1  # 7cf4271 filed 8 refunds, 5 of them for job A's purchases
    error = capsys.readouterr().err
    assert "was made for another purchase list: 5 (" in error and "3 (" in error and job_b[0] in error
    assert [r for pid in job_a + job_b for r in requests_of(sb, pid)] == []
    assert set(journal_rows(tmp_path / "j.sqlite")) == set(job_a)


def test_the_same_list_resumes_in_any_order(sb, tmp_path, bulk_cli):
    ids = paid(sb, 3)
    sb.faults.fail_next("GET", "/v1/refunds", kind="reset", times=50)
    assert bulk_cli(ids) == 2
    sb.faults.clear()
    assert bulk_cli([*reversed(ids), ids[0]]) == 0
    assert all(len(requests_of(sb, pid)) == 1 for pid in ids)
