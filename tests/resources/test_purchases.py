import pytest

import preo_nb

from .helpers import find_purchase, paid, paid_with_deposit


@pytest.mark.vcr
def test_retrieve(preo):
    purchase = find_purchase(preo, paid)
    detail = preo.purchases.retrieve(purchase["api_id"])
    assert detail["api_id"] == purchase["api_id"]
    assert {"price", "deposit", "fee", "currency", "order_id"} <= set(detail)


@pytest.mark.vcr
def test_refund_for_a_cancelled_event_refunds_everything(preo):
    purchase = find_purchase(preo, paid)
    refund = preo.purchases.refund(purchase["api_id"], reason="event_cancelled", comment="Storm")
    assert (refund["status"], refund["scope"], refund["reason"]) == ("requested", "purchase_full", "event_cancelled")
    assert refund["amount"] == round(purchase["price"] + purchase["deposit"] + purchase["fee"], 2)
    assert refund["purchase"]["api_id"] == purchase["api_id"] and refund["comment"] == "Storm"


@pytest.mark.vcr
def test_deposit_reclaim_refunds_the_deposit(preo):
    purchase = find_purchase(preo, paid_with_deposit)
    refund = preo.purchases.refund(purchase["api_id"], reason="deposit_reclaim")
    assert (refund["scope"], refund["amount"]) == ("purchase_deposit", purchase["deposit"])


@pytest.mark.vcr
def test_custom_amount(preo):
    purchase = find_purchase(preo, paid)
    refund = preo.purchases.refund(purchase["api_id"], reason="compensation", amount=1.5)
    assert (refund["scope"], refund["amount"]) == ("purchase_custom", 1.5)


@pytest.mark.vcr
def test_second_open_request_is_a_conflict(preo):
    purchase = find_purchase(preo, paid)
    preo.purchases.refund(purchase["api_id"], reason="sold_out")
    with pytest.raises(preo_nb.Conflict) as info:
        preo.purchases.refund(purchase["api_id"], reason="sold_out")
    assert info.value.code == "duplicate_open_request"


@pytest.mark.vcr
def test_custom_amount_above_the_price_is_refused_by_the_server(preo):
    purchase = find_purchase(preo, paid)
    with pytest.raises(preo_nb.BadRequest) as info:
        preo.purchases.refund(purchase["api_id"], reason="overcharge", amount=100000)
    assert "amount" in info.value.field_errors
