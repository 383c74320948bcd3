"""Every fault a client must survive, against each kind of call, with the outcome written down.

The sandbox injects the fault on the first request of the call (a page, a
retrieve, a POST). Reads must come back exactly as without the fault. Writes
must happen exactly once: a POST whose answer was lost is checked before it is
sent again, and sent again only when the check finds that nothing happened.
"""

import logging

import pytest

FAULTS = {  # name: keyword arguments of sandbox.faults.fail_next
    "latency": {"kind": "latency", "seconds": 0.2},
    "429": {"status": 429},  # with Retry-After: 1
    "502": {"status": 502},
    "503": {"status": 503},
    "reset": {"kind": "reset"},  # connection closed before the request is handled
    "drop": {"kind": "drop"},  # handled and committed, then the connection is closed
    "truncate": {"kind": "truncate"},  # handled and committed, the JSON cut in half
}

# What the user sees, per fault, for reads and for writes; and how many times a write's POST is sent.
READS = {
    "latency": "same result, a little later",
    "429": "waits Retry-After, then the same result",
    "502": "retried, the same result",
    "503": "retried, the same result",
    "reset": "retried, the same result",
    "drop": "retried, the same result",
    "truncate": "read again, the same result",
}
WRITES = {
    "latency": ("done once", 1, None),
    "429": ("refused, so sent again after Retry-After; done once", 2, "trying again in 1.0 s"),
    "502": ("checked: not done, so sent again; done once", 2, "did not take effect; sending it again"),
    "503": ("checked: not done, so sent again; done once", 2, "did not take effect; sending it again"),
    "reset": ("checked: not done, so sent again; done once", 2, "did not take effect; sending it again"),
    "drop": ("checked: done, its result returned; not sent again", 1, "had taken effect; using its result"),
    "truncate": ("checked: done, its result returned; not sent again", 1, "had taken effect; using its result"),
}


@pytest.fixture
def preo(sandbox, connect_to, request):
    """A client in process (the sandbox's WSGI transport); over sockets where a test asks (``sockets``)."""
    sandbox.reset()
    sockets = getattr(request, "param", "in process") == "sockets"
    yield connect_to(sandbox.url, sandbox.token, sockets=sockets, backoff_factor=0.01, page_size=200)
    sandbox.faults.clear()


class Counting:
    """A transport around the client's that notes the URL of every POST it sends."""

    def __init__(self, transport):
        self.transport = transport
        self.posts = []

    def send(self, request):
        if request.method == "POST":
            self.posts.append(request.url)
        return self.transport.send(request)

    def concurrent(self):
        return self.transport.concurrent()

    def close(self):
        self.transport.close()


@pytest.fixture
def posts(preo):
    """Count the POSTs that leave the client."""
    preo._http.transport = Counting(preo._http.transport)
    return preo._http.transport.posts


def inject(sandbox, method, path, fault):
    sandbox.faults.fail_next(method, path, **FAULTS[fault])


@pytest.mark.parametrize("fault", FAULTS)
def test_paginated_list(preo, sandbox, fault):
    edition = sandbox.store.busiest_edition()["id"]
    expected = preo.orders.list(edition_id=edition)
    assert len(expected) > 200  # several pages
    inject(sandbox, "GET", "/v1/orders", fault)
    got = preo.orders.list(edition_id=edition)
    assert got["id"].tolist() == expected["id"].tolist(), READS[fault]
    assert sandbox.faults.pending("GET", "/v1/orders") == 0


@pytest.mark.parametrize("fault", FAULTS)
def test_retrieve(preo, sandbox, fault):
    order = sandbox.store.orders(status="completed")[0]["id"]
    expected = preo.orders.retrieve(order)
    inject(sandbox, "GET", f"/v1/orders/{order}", fault)
    assert preo.orders.retrieve(order) == expected, READS[fault]


def check_write(fault, posts, caplog):
    outcome, sends, message = WRITES[fault]
    assert len(posts) == sends, outcome
    if message:
        assert any(message in r.getMessage() for r in caplog.records), outcome


@pytest.mark.parametrize("preo", ["in process", "sockets"], indirect=True)  # a lost answer means the same on both
@pytest.mark.parametrize("fault", FAULTS)
def test_purchase_refund(preo, sandbox, posts, caplog, fault):
    purchase = sandbox.store.find_purchase(org=1, status="paid", refundable=True)["api_id"]
    inject(sandbox, "POST", f"/v1/purchases/{purchase}/refund", fault)
    with caplog.at_level(logging.WARNING, logger="preo_nb.http"):
        refund = preo.purchases.refund(purchase, reason="event_cancelled")
    requests = preo.refunds.list(purchase_id=purchase)
    assert requests["id"].tolist() == [refund["id"]] and refund["status"] == "requested"
    check_write(fault, posts, caplog)


@pytest.mark.parametrize("fault", FAULTS)
def test_refund_approve(preo, sandbox, posts, caplog, fault):
    refund = sandbox.store.find_refund(org=1, status="requested")["id"]
    inject(sandbox, "POST", f"/v1/refunds/{refund}/approve", fault)
    with caplog.at_level(logging.WARNING, logger="preo_nb.http"):
        approved = preo.refunds.approve(refund)
    # a check reads the request, which moves a ready one a step on (README 4.1)
    assert approved["id"] == refund and approved["status"] in ("ready", "processing")
    check_write(fault, posts, caplog)


@pytest.mark.parametrize("fault", FAULTS)
def test_campaign_send_now(preo, sandbox, posts, caplog, fault):
    campaign = preo.campaigns.list(status="scheduled")["id"].iloc[0]
    inject(sandbox, "POST", f"/v1/campaigns/{campaign}/send-now", fault)
    with caplog.at_level(logging.WARNING, logger="preo_nb.http"):
        sending = preo.campaigns.send_now(campaign)
    assert sending["status"] in ("calculating", "sending")
    check_write(fault, posts, caplog)


def test_throttled_reads_and_bulk_refunds_finish_whole_and_exactly_once(sandbox, connect_to, tmp_path):
    """A server throttling like DRF (429 + Retry-After): reads come back whole, refunds are filed once each."""
    from preo_nb import _limiter, bulk

    sandbox.reset()
    preo = connect_to(sandbox.url, sandbox.token, backoff_factor=0.01, page_size=40)
    edition = sandbox.store.busiest_edition()["id"]
    expected = preo.orders.list(edition_id=edition)
    ids = [p["api_id"] for p in sandbox.store.purchases(org=1, status="paid", refundable=True)[:8]]
    sandbox.faults.throttle(40, burst=4)
    try:
        got = preo.orders.list(edition_id=edition)
        journal = bulk.refund_purchases(preo, ids, reason="event_cancelled", journal=tmp_path / "j.sqlite")
    finally:
        sandbox.faults.clear()
    assert got["id"].tolist() == expected["id"].tolist()
    assert journal["state"].tolist() == ["done"] * len(ids)
    assert [len(preo.refunds.list(purchase_id=pid)) for pid in ids] == [1] * len(ids)
    assert _limiter.of(preo._http).throttled > 0  # the throttle was met, and waited out
