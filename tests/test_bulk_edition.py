"""Bulk refunds with an edition: one read of its refund requests spares most per-purchase checks, exactly once still."""

import pytest

from preo_nb import bulk


@pytest.fixture
def fresh(sandbox, connect_to):
    sandbox.reset()
    yield sandbox, connect_to(sandbox.url, sandbox.token, backoff_factor=0.01)
    sandbox.faults.clear()


@pytest.fixture
def sent(fresh, monkeypatch):
    """The (method, URL and query) of every try that leaves the client, at its transport."""
    seen = []
    transport = fresh[1]._http.transport
    original = transport.send

    def counting(request):
        seen.append((request.method, request.url, dict(request.params or {})))
        return original(request)

    monkeypatch.setattr(transport, "send", counting)
    return seen


def refund(preo, ids, journal, edition):
    return bulk.refund_purchases(
        preo, ids, reason="event_cancelled", journal=journal, edition_id=edition, progress=False
    )


def per_purchase_checks(sent):
    return [params["purchase_id"] for method, _, params in sent if method == "GET" and "purchase_id" in params]


def test_purchases_without_requests_cost_one_post_each_and_one_read_of_the_edition(fresh, sent, tmp_path):
    sandbox, preo = fresh
    edition = sandbox.store.busiest_edition()["id"]
    ids = [p["api_id"] for p in sandbox.store.purchases(edition_id=edition, status="paid", refundable=True)[:8]]
    journal = refund(preo, ids, tmp_path / "j.sqlite", edition)
    assert journal["state"].tolist() == ["done"] * len(ids)
    assert per_purchase_checks(sent) == []
    assert sum(method == "POST" for method, _, _ in sent) == len(ids)
    assert [params.get("edition_id") for method, _, params in sent if method == "GET"].count(edition) == 1
    assert [len(preo.refunds.list(purchase_id=pid)) for pid in ids] == [1] * len(ids)


def test_a_purchase_with_a_request_in_the_edition_is_checked_on_its_own_as_before(fresh, sent, tmp_path):
    sandbox, preo = fresh
    edition = sandbox.store.busiest_edition()["id"]
    ids = [p["api_id"] for p in sandbox.store.purchases(edition_id=edition, status="paid", refundable=True)[:3]]
    earlier = preo.purchases.refund(ids[0], reason="customer_request")  # open: the server refuses a second
    sent.clear()
    journal = refund(preo, ids, tmp_path / "j.sqlite", edition).set_index("purchase_id")
    assert per_purchase_checks(sent) == [ids[0]]
    assert journal.loc[ids[0], "state"] == "failed" and journal.loc[ids[0], "problem"].startswith("409")
    assert journal.loc[ids[1:], "state"].tolist() == ["done", "done"]
    assert preo.refunds.list(purchase_id=ids[0])["id"].tolist() == [earlier["id"]]


def test_when_the_edition_cannot_be_read_every_purchase_is_checked_on_its_own(fresh, sent, tmp_path):
    sandbox, preo = fresh
    edition = sandbox.store.busiest_edition()["id"]
    ids = [p["api_id"] for p in sandbox.store.purchases(edition_id=edition, status="paid", refundable=True)[:3]]
    sandbox.faults.fail_next("GET", "/v1/refunds", 403)  # the first read: the edition's list
    journal = refund(preo, ids, tmp_path / "j.sqlite", edition)
    assert journal["state"].tolist() == ["done"] * 3
    assert sorted(per_purchase_checks(sent)) == sorted(ids)


def test_a_request_found_after_a_lost_answer_that_predates_the_send_is_not_adopted(fresh, tmp_path, monkeypatch):
    """The edition's list may be seconds old: what the client finds after a lost answer must be newer than the send."""
    sandbox, preo = fresh
    edition = sandbox.store.busiest_edition()["id"]
    pid = sandbox.store.purchases(edition_id=edition, status="paid", refundable=True)[0]["api_id"]
    older = preo.purchases.refund(pid, reason="event_cancelled")
    older = {**older, "created": "2020-01-01T00:00:00+00:00"}  # as if filed long before, after the edition was read
    monkeypatch.setattr(bulk.EditionRequests, "snapshot", lambda self, purchase_id: [])
    monkeypatch.setattr(preo.purchases, "refund", lambda *args, **kwargs: older)  # what a reconcile would return
    row = refund(preo, [pid], tmp_path / "j.sqlite", edition).iloc[0]
    assert (row["state"], row["problem"]) == ("sent", "answer lost")
