"""Bulk refunds fail closed: what stays to do, one run per journal, one job per journal, no guessed adoption."""

import json
import shutil
import sqlite3
import subprocess
import time
from contextlib import closing

import pytest

from preo_nb import bulk, cli
from preo_nb.errors import PreoValidationError
from preo_nb.journal import Journal
from preo_nb.resources.refunds import refund_body


@pytest.fixture
def fresh(sandbox, connect_to):
    """A freshly seeded sandbox and an admin client on it (quick backoff)."""
    sandbox.reset()
    yield sandbox, connect_to(sandbox.url, sandbox.token, backoff_factor=0.01)
    sandbox.faults.clear()


def paid(sandbox, n, **criteria):
    return [p["api_id"] for p in sandbox.store.purchases(status="paid", refundable=True, **criteria)[:n]]


def requests_for(preo, purchase_ids):
    """The refund requests of these purchases, by purchase."""
    found = {}
    for pid in purchase_ids:
        found[pid] = list(preo.refunds.iterate(purchase_id=pid))
    return found


def body(reason):
    return refund_body(reason, None, None, "", None)


def refund(preo, ids, journal, **options):
    return bulk.refund_purchases(preo, ids, reason="event_cancelled", journal=journal, progress=False, **options)


def by_purchase(frame):
    return frame.set_index("purchase_id")


# 11.2: only Preo's refusal of the refund itself is final


@pytest.mark.parametrize("status", [401, 403, 500])
def test_a_failed_check_leaves_rows_to_run_again(fresh, tmp_path, status):
    sandbox, preo = fresh
    ids = paid(sandbox, 6)
    sandbox.faults.fail_next("GET", "/v1/refunds", status, times=2)
    first = by_purchase(refund(preo, ids, tmp_path / "j.sqlite"))
    assert first["state"].value_counts()[["done", "pending"]].tolist() == [4, 2]
    assert first.loc[first["state"] == "pending", "problem"].str.startswith(str(status)).all()
    assert not (first["state"] == "failed").any()

    again = refund(preo, ids, tmp_path / "j.sqlite")
    assert (again["state"] == "done").all()
    assert all(len(found) == 1 for found in requests_for(preo, ids).values())


def test_a_refused_post_is_sent_again_but_a_refusal_of_the_refund_is_final(fresh, tmp_path):
    sandbox, preo = fresh
    ids = paid(sandbox, 3)
    preo.purchases.refund(ids[2], reason="sold_out")  # an open request: Preo refuses a second one
    sandbox.faults.fail_next("POST", f"/v1/purchases/{ids[0]}/refund", 401)
    first = by_purchase(refund(preo, ids, tmp_path / "j.sqlite"))
    assert first["state"].tolist() == ["pending", "done", "failed"]
    assert first["problem"].fillna("").tolist() == ["401 token rejected", "", "409 duplicate_open_request"]

    again = by_purchase(refund(preo, ids, tmp_path / "j.sqlite"))
    assert again["state"].tolist() == ["done", "done", "failed"]
    assert bulk.summary(again.reset_index()) == [
        "done: 2",
        "failed (409 duplicate_open_request; Preo refused these refunds; nothing to do unless that is unexpected): 1",
    ]


# 11.3: one run at a time


def run_in_background(make_command, sandbox, ids, journal, tmp_path):
    command, env = make_command(sandbox, ids, journal, tmp_path, "--workers", "1")
    return subprocess.Popen(command, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_until_started(journal, process):
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with closing(sqlite3.connect(journal)) as db:
                if db.execute("SELECT count(*) FROM items WHERE state != 'pending'").fetchone()[0]:
                    return
        except sqlite3.OperationalError:  # not created yet
            pass
        time.sleep(0.05)
    raise AssertionError(f"the first run never started: {process.communicate()}")


def test_a_second_run_on_a_busy_journal_is_refused_before_sending(
    fresh, tmp_path, monkeypatch, bulk_refund_command, request
):
    sandbox, preo = fresh
    ids = paid(sandbox, 8)
    journal = tmp_path / "busy.sqlite"
    sandbox.faults.latency(0.3)
    first = run_in_background(bulk_refund_command, sandbox, ids, journal, tmp_path)
    try:
        wait_until_started(journal, first)
        sent = request.getfixturevalue("nothing_sent")  # on this monkeypatch: undone below
        with pytest.raises(PreoValidationError, match=f"journal {journal} is in use by another run \\(pid {first.pid}"):
            refund(preo, ids, journal)
        assert sent == []
        monkeypatch.undo()
        first.kill()  # SIGKILL: its lock must die with it
        first.wait(timeout=10)
    finally:
        first.kill()
    sandbox.faults.clear()
    time.sleep(1.0)  # the killed run's last POST may still sit in the sandbox's 0.3 s latency: let it land here
    after = refund(preo, ids, journal)
    assert (after["state"] == "done").all(), after
    assert all(len(found) == 1 for found in requests_for(preo, ids).values())


# 11.4: a journal belongs to one API and one job


def test_a_journal_refuses_another_api_naming_both_before_sending(fresh, tmp_path, connect_to, request):
    sandbox, preo = fresh
    ids = paid(sandbox, 2)
    journal = tmp_path / "rehearsal.sqlite"
    refund(preo, ids, journal)
    sent = request.getfixturevalue("nothing_sent")
    real_api = connect_to("https://api.preo.dev", sandbox.token)
    with pytest.raises(PreoValidationError) as info:
        refund(real_api, [*ids, "pur_another"], journal)
    assert f'api: the journal has "{sandbox.url}", this run "https://api.preo.dev"' in str(info.value)
    assert sandbox.token not in str(info.value)
    assert sent == []


def test_a_journal_refuses_another_edition_or_refund(fresh, tmp_path, nothing_sent):
    sandbox, preo = fresh
    journal = tmp_path / "j.sqlite"
    with Journal(journal) as book:
        book.bind({"api": sandbox.url, "organization_id": None, "edition_id": "edt_a", "body": body("sold_out")})
    with pytest.raises(PreoValidationError, match='edition_id: the journal has "edt_a", this run "edt_b"'):
        bulk.refund_purchases(preo, ["pur_1"], reason="sold_out", edition_id="edt_b", journal=journal)
    with pytest.raises(PreoValidationError, match="body: the journal has"):
        bulk.refund_purchases(preo, ["pur_1"], reason="event_cancelled", edition_id="edt_a", journal=journal)
    assert nothing_sent == []


# 11.5: what is not a purchase id is never sent


def test_ids_that_are_not_preo_ids_are_failed_with_the_reason(fresh, tmp_path):
    sandbox, preo = fresh
    ids = paid(sandbox, 2)
    frame = by_purchase(refund(preo, ["api_id,product.name,price", ids[0], "../orders", ids[1]], tmp_path / "j"))
    assert frame.loc[ids, "state"].tolist() == ["done", "done"]
    bad = frame.loc[["api_id,product.name,price", "../orders"]]
    assert bad["state"].tolist() == ["failed", "failed"] and (bad["problem"] == "invalid id").all()
    assert bad["error"].str.contains("is not a Preo id").all()


# 11.6: the journal is one file


def test_a_journal_copied_alone_after_a_run_keeps_its_progress(fresh, tmp_path):
    sandbox, preo = fresh
    ids = paid(sandbox, 5)
    (tmp_path / "run").mkdir()
    (tmp_path / "copy").mkdir()
    refund(preo, ids, tmp_path / "run" / "j.sqlite")
    shutil.copy(tmp_path / "run" / "j.sqlite", tmp_path / "copy" / "j.sqlite")
    again = refund(preo, ids, tmp_path / "copy" / "j.sqlite")
    assert (again["state"] == "done").all()
    assert all(len(found) == 1 for found in requests_for(preo, ids).values())


def test_a_journal_copied_alone_during_an_interrupted_run_resumes_without_duplicates(fresh, tmp_path):
    sandbox, preo = fresh
    ids = paid(sandbox, 8)
    journal, copy = tmp_path / "j.sqlite", tmp_path / "copy.sqlite"
    real, calls = preo.purchases.refund, []

    def refund_then_stop(purchase_id, **body):
        calls.append(purchase_id)
        if len(calls) == 5:  # the operator copies the journal, then presses Ctrl-C
            shutil.copy(journal, copy)
            raise KeyboardInterrupt
        return real(purchase_id, **body)

    preo.purchases.refund = refund_then_stop
    with pytest.raises(KeyboardInterrupt):
        refund(preo, ids, journal, workers=1)
    preo.purchases.refund = real
    with closing(sqlite3.connect(copy)) as db:
        states = dict(db.execute("SELECT state, count(*) FROM items GROUP BY state").fetchall())
    assert states == {"done": 4, "sent": 1, "pending": 3}
    assert len(calls) == 5  # no row was started after the interruption
    resumed = refund(preo, ids, copy)
    assert (resumed["state"] == "done").all()
    assert all(len(found) == 1 for found in requests_for(preo, ids).values())


# 10.1: resume adopts only a refund request that is provably this job's


def test_resume_after_a_failed_check_does_not_adopt_an_earlier_deposit_refund(fresh, tmp_path):
    sandbox, preo = fresh
    pid = paid(sandbox, 1, has_deposit=True)[0]
    deposit = preo.purchases.refund(pid, reason="event_cancelled", scope="purchase_deposit")
    preo.refunds.approve(deposit["id"])
    assert preo.refunds.wait(deposit["id"], interval=0)["status"] == "processed"
    sandbox.faults.fail_next("GET", "/v1/refunds", kind="reset", times=20)
    first = refund(preo, [pid], tmp_path / "j.sqlite")
    sandbox.faults.clear()

    again = refund(preo, [pid], tmp_path / "j.sqlite")
    assert again["state"].tolist() == ["done"] and again["refund_id"].tolist() != [deposit["id"]]
    made = preo.refunds.retrieve(again["refund_id"][0])
    assert (made["scope"], made["purchase"]["api_id"]) == ("purchase_full", pid)
    assert first["state"].tolist() == ["pending"] and first["problem"].tolist() == ["network"]


OLD_SCHEMA = """
CREATE TABLE items (purchase_id TEXT PRIMARY KEY, state TEXT NOT NULL, refund_id TEXT, amount REAL,
                    before_ids TEXT, error TEXT, updated TEXT NOT NULL);
CREATE TABLE job (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


def journal_of_0_1(path, pid, job_body):
    """A WAL journal as preo_nb 0.1 left it when the check before the POST failed: sent, no snapshot."""
    with closing(sqlite3.connect(path)) as db, db:
        db.execute("PRAGMA journal_mode=WAL")
        db.executescript(OLD_SCHEMA)
        db.execute("INSERT INTO job VALUES ('body', ?)", (json.dumps(job_body, sort_keys=True),))
        db.execute(
            "INSERT INTO items VALUES (?, 'sent', NULL, NULL, NULL, 'reset', '2026-09-01T00:00:00+00:00')", (pid,)
        )


def test_without_a_snapshot_a_lookalike_is_not_adopted_and_the_row_says_where_to_look(fresh, tmp_path):
    sandbox, preo = fresh
    pid = paid(sandbox, 1)[0]
    earlier = preo.purchases.refund(pid, reason="event_cancelled")  # someone else's, or this job's: nobody knows
    journal_of_0_1(tmp_path / "old.sqlite", pid, body("event_cancelled"))
    frame = refund(preo, [pid], tmp_path / "old.sqlite")
    assert frame["state"].tolist() == ["sent"] and frame["refund_id"].isna().all()
    assert f"outcome unknown: check GET /v1/refunds?purchase_id={pid} before running again" in frame["error"][0]
    assert [r["id"] for r in preo.refunds.iterate(purchase_id=pid)] == [earlier["id"]]  # nothing sent


def test_without_a_snapshot_and_no_lookalike_it_is_safe_to_send(fresh, tmp_path):
    sandbox, preo = fresh
    pid = paid(sandbox, 1)[0]
    journal_of_0_1(tmp_path / "old.sqlite", pid, body("event_cancelled"))
    frame = refund(preo, [pid], tmp_path / "old.sqlite")
    assert frame["state"].tolist() == ["done"]
    assert [r["id"] for r in preo.refunds.iterate(purchase_id=pid)] == frame["refund_id"].tolist()


def test_a_request_older_than_the_send_is_not_adopted(fresh, tmp_path):
    """A server that left a request out of the snapshot: created before the row was sent, so not this job's."""
    sandbox, preo = fresh
    pid = paid(sandbox, 1)[0]
    older = preo.purchases.refund(pid, reason="event_cancelled")
    with Journal(tmp_path / "j.sqlite") as book:
        book.bind({"api": sandbox.url, "organization_id": None, "edition_id": None, "body": body("event_cancelled")})
        book.add([pid], {})
        later = sandbox.store.now() + bulk.CLOCK_SLACK * 10
        book.mark(pid, "sent", before_ids=[], sent_at=later)
    frame = refund(preo, [pid], tmp_path / "j.sqlite")
    assert frame["state"].tolist() == ["sent"] and older["id"] in frame["error"][0]


def test_a_request_filed_just_before_the_process_died_is_adopted(fresh, tmp_path):
    sandbox, preo = fresh
    ids = paid(sandbox, 3)
    real = preo.purchases.refund

    def file_then_die(purchase_id, **body):
        real(purchase_id, **body)
        raise KeyboardInterrupt  # the process dies before it can journal the answer

    preo.purchases.refund = file_then_die
    with pytest.raises(KeyboardInterrupt):
        bulk.refund_purchases(preo, ids, reason="compensation", amount=2.5, journal=tmp_path / "j", workers=1)
    preo.purchases.refund = real
    frame = bulk.refund_purchases(preo, ids, reason="compensation", amount=2.5, journal=tmp_path / "j")
    assert (frame["state"] == "done").all()
    found = requests_for(preo, ids)
    assert [len(found[pid]) for pid in ids] == [1, 1, 1]
    assert frame["refund_id"].tolist() == [found[pid][0]["id"] for pid in ids]


def test_an_unknown_outcome_is_settled_by_hand_as_the_error_says(fresh, tmp_path, monkeypatch, capsys):
    sandbox, preo = fresh
    pid = paid(sandbox, 1)[0]
    earlier = preo.purchases.refund(pid, reason="event_cancelled")
    journal_of_0_1(tmp_path / "old.sqlite", pid, body("event_cancelled"))
    (tmp_path / "ids.txt").write_text(pid)
    monkeypatch.setenv("PREO_BASE_URL", sandbox.url)
    monkeypatch.setenv("PREO_API_TOKEN", sandbox.token)
    monkeypatch.chdir(tmp_path)
    command = ["bulk-refund", "--purchases", "ids.txt", "--reason", "event_cancelled", "--journal", "old.sqlite"]
    assert cli.main(command) == 2
    assert "sent (outcome unknown; check each purchase's refund requests" in capsys.readouterr().out

    assert cli.main([*command, "--settle", pid, earlier["id"]]) == 0
    assert "done: 1\n" in capsys.readouterr().out
    assert [r["id"] for r in preo.refunds.iterate(purchase_id=pid)] == [earlier["id"]]
    with Journal(tmp_path / "old.sqlite") as book:
        assert book.frame()["refund_id"].tolist() == [earlier["id"]]


def test_an_open_request_found_after_a_lost_answer_is_not_taken_for_this_jobs(fresh, tmp_path):
    sandbox, preo = fresh
    pid = paid(sandbox, 1, has_deposit=True)[0]
    deposit = preo.purchases.refund(pid, reason="event_cancelled", scope="purchase_deposit")  # still open
    sandbox.faults.fail_next("POST", f"/v1/purchases/{pid}/refund", kind="drop")  # Preo says 409; the answer is lost
    refund(preo, [pid], tmp_path / "j.sqlite")
    again = refund(preo, [pid], tmp_path / "j.sqlite")
    assert again["refund_id"].isna().all(), f"{deposit['id']} was taken for this job's full refund"
    assert again[["state", "problem"]].values.tolist() == [["failed", "409 duplicate_open_request"]]
