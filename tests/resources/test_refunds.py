import pytest

import preo_nb
from preo_nb import contract

from .helpers import find_purchase, first_edition, paid


@pytest.mark.vcr
def test_list_shows_every_state_with_typed_columns(preo):
    df = preo.refunds.list()
    assert set(df["status"].dropna()) == set(contract.enum("RefundStatus"))
    assert list(df["reason"].cat.categories) == list(contract.enum("RefundReason"))
    assert df["amount"].dtype == "float64" and df["can_approve"].dtype == "boolean"
    assert df["created"].is_monotonic_decreasing


@pytest.mark.vcr
def test_list_filters(preo):
    edition = first_edition(preo)["id"]
    df = preo.refunds.list(edition_id=edition, status="requested", reason="sold_out")
    assert set(df["edition_id"]) <= {edition}
    assert set(df["status"].dropna()) <= {"requested"} and set(df["reason"].dropna()) <= {"sold_out"}
    one = preo.refunds.list(status="processed")["purchase.api_id"].iloc[0]
    assert set(preo.refunds.list(purchase_id=one)["purchase.api_id"]) == {one}
    assert set(preo.refunds.list(scope="purchase_deposit")["scope"].dropna()) == {"purchase_deposit"}


@pytest.mark.vcr
def test_iterate_matches_list(preo):
    assert [r["id"] for r in preo.refunds.iterate(status="rejected")] == (
        preo.refunds.list(status="rejected")["id"].tolist()
    )


@pytest.mark.vcr
def test_create_approve_and_pay_out(preo):
    purchase = find_purchase(preo, paid)
    before = preo.purchases.retrieve(purchase["api_id"])
    order = preo.orders.retrieve(before["order_id"])
    available = order["transaction"]["available_refund_amount"]
    refund = preo.refunds.create(purchase["api_id"], reason="event_cancelled")
    assert refund["can_approve"] is True
    approved = preo.refunds.approve(refund["id"])
    assert approved["status"] == "ready"
    states = [preo.refunds.retrieve(refund["id"])["status"] for _ in range(2)]
    assert states == ["processing", "awaiting_gateway"]
    done = preo.refunds.wait(refund["id"], interval=0)
    assert done["status"] == "processed"
    assert done["refund_date"] and done["service_response"]["status"] == "succeeded"
    assert done["transaction"]["available_refund_amount"] == round(available - refund["amount"], 2)
    assert preo.purchases.retrieve(purchase["api_id"])["status"] == "refunded"


@pytest.mark.vcr
def test_reject_with_a_comment_is_final(preo):
    requested = preo.refunds.list(status="requested")["id"].iloc[0]
    rejected = preo.refunds.reject(requested, comment="Outside the refund window")
    assert (rejected["status"], rejected["comment"]) == ("rejected", "Outside the refund window")
    assert rejected["can_approve"] is False
    with pytest.raises(preo_nb.Conflict) as info:
        preo.refunds.approve(requested)
    assert info.value.code == "invalid_state"


@pytest.mark.vcr
def test_staff_may_file_but_not_approve(preo_as):
    staff = preo_as("staff")
    requested = staff.refunds.list(status="requested")
    assert not requested["can_approve"].any()
    with pytest.raises(preo_nb.PermissionDenied):
        staff.refunds.approve(requested["id"].iloc[0])
