"""The acceptance walk-through against a live sandbox at the demo's scale."""

import pytest

import preo_nb


def test_orders_list_returns_every_order_of_the_edition_typed(live, sandbox, connect_to):
    edition = sandbox.store.busiest_edition()["id"]
    envelope = live._http.request("GET", "/v1/orders", params={"edition_id": edition, "page_size": 1})
    orders = connect_to(sandbox.url, sandbox.token, page_size=200).orders.list(edition_id=edition)
    assert len(orders) == envelope["count"] > 800  # five pages of 200, read concurrently
    assert orders["id"].is_unique and orders["id"].dtype == "string"
    assert str(orders["created"].dtype) == "datetime64[ns, UTC]"
    assert orders["status"].dtype == "category" and orders["amount"].dtype == "float64"


def test_a_refund_from_request_to_payout(live, sandbox):
    purchase = sandbox.store.find_purchase(org=1, status="paid", has_deposit=True, refundable=True)
    detail = live.purchases.retrieve(purchase["api_id"])
    before = live.orders.retrieve(detail["order_id"])["transaction"]["available_refund_amount"]

    refund = live.purchases.refund(purchase["api_id"], reason="event_cancelled")
    assert (refund["status"], refund["scope"]) == ("requested", "purchase_full")
    assert refund["amount"] == round(detail["price"] + detail["deposit"] + detail["fee"], 2)
    with pytest.raises(preo_nb.Conflict) as again:
        live.purchases.refund(purchase["api_id"], reason="event_cancelled")
    assert again.value.code == "duplicate_open_request"

    assert live.refunds.approve(refund["id"])["status"] == "ready"
    for _ in range(3):
        paid_out = live.refunds.retrieve(refund["id"])
    assert paid_out["status"] == "processed"
    after = live.orders.retrieve(detail["order_id"])["transaction"]["available_refund_amount"]
    assert after == round(before - refund["amount"], 2)


def test_wait_gives_up_with_a_clear_timeout(live, sandbox):
    requested = sandbox.store.find_refund(status="requested")["id"]  # nothing moves a requested refund on
    with pytest.raises(preo_nb.WaitTimeout, match="still requested"):
        live.refunds.wait(requested, timeout=0.3, interval=0.1)
