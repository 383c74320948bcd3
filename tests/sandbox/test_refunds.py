"""Refund requests: scope and amount rules, refusals and the workflow (README 4.2)."""

from __future__ import annotations

from decimal import Decimal

import pytest
import requests

from preo_nb.sandbox import Sandbox
from preo_nb.sandbox.commerce.models import Purchase

from .conftest import Api


def file(api: Api, purchase_id: str, **body: object) -> requests.Response:
    """POST a refund request for a purchase."""
    return api.post(f"/v1/purchases/{purchase_id}/refund", body)


def process(api: Api, refund_id: str) -> dict:
    """Approve, then read until the payout has run (three steps)."""
    assert api.post(f"/v1/refunds/{refund_id}/approve").json()["status"] == "ready"
    steps = [api.get(f"/v1/refunds/{refund_id}").json() for _ in range(3)]
    assert [s["status"] for s in steps[:2]] == ["processing", "awaiting_gateway"]
    return steps[-1]


def find(sb: Sandbox, **criteria: object) -> Purchase:
    """The first purchase matching the criteria, as its record (exact Decimal money)."""
    return sb.store.data.purchases[sb.store.find_purchase(**criteria)["api_id"]]


def deposit_purchase(sb: Sandbox) -> Purchase:
    """A refundable purchase with price and deposit in organization 1."""
    return find(sb, org=1, refundable=True, product_type="drink", has_deposit=True)


def multi_item_order(sb: Sandbox) -> list[Purchase]:
    """The purchases of a completed org-1 order with two or more refundable items."""
    for order in sb.store.data.orders.values():
        items = [sb.store.data.purchases[p] for p in order.purchase_ids]
        mine = order.organization_id == sb.store.org_id(1)
        if mine and len(items) > 1 and all(sb.store.is_refundable(p.id) for p in items):
            return items
    raise LookupError("no multi-item order")


def money(value: Decimal) -> float:
    return float(value)


@pytest.mark.parametrize(
    ("reason", "scope", "part"),
    [
        ("deposit_reclaim", "purchase_deposit", "deposit"),
        ("rental_return", "purchase_deposit", "deposit"),
        ("sold_out", "purchase_full", "total"),
        ("event_cancelled", "purchase_full", "total"),
        ("duplicate_purchase", "purchase_full", "total"),
        ("product_defect", "purchase_price", "price"),
        ("customer_request", "purchase_price", "price"),
        ("compensation", "purchase_custom", None),
        ("overcharge", "purchase_custom", None),
        ("other", "purchase_custom", None),
    ],
)
def test_default_scope_and_amount_by_reason(sb: Sandbox, admin: Api, reason: str, scope: str, part: str | None) -> None:
    purchase = deposit_purchase(sb)
    body = {"reason": reason}
    if part is None:
        body["amount"] = 1.25
    reply = file(admin, purchase.id, **body)
    assert reply.status_code == 201, reply.json()
    request = reply.json()
    assert (request["scope"], request["status"]) == (scope, "requested")
    expected = 1.25 if part is None else money(getattr(purchase, part))
    assert request["amount"] == expected
    assert request["purchase"]["api_id"] == purchase.id
    assert request["staff_user"]["id"] == sb.store.staff("admin")["id"]
    assert request["service_response"] == {}
    assert request["refund_date"] is None


def test_explicit_scope_overrides_the_reason(sb: Sandbox, admin: Api) -> None:
    purchase = deposit_purchase(sb)
    reply = file(admin, purchase.id, reason="event_cancelled", scope="purchase_price")
    assert (reply.json()["scope"], reply.json()["amount"]) == (
        "purchase_price",
        money(purchase.price),
    )


def test_transaction_full_refunds_what_is_available(sb: Sandbox, admin: Api) -> None:
    first, *_ = multi_item_order(sb)
    payment = sb.store.data.transactions[first.transaction_id]
    reply = file(admin, first.id, reason="event_cancelled", scope="transaction_full").json()
    assert reply["amount"] == money(payment.available_refund_amount)
    assert reply["transaction"]["id"] == payment.id


def test_computed_amount_ignores_a_client_amount(sb: Sandbox, admin: Api) -> None:
    purchase = deposit_purchase(sb)
    reply = file(admin, purchase.id, reason="product_defect", amount=9999)
    assert reply.json()["amount"] == money(purchase.price)


def test_deposit_scope_without_deposit_is_400(sb: Sandbox, admin: Api) -> None:
    ticket = find(sb, org=1, refundable=True, product_type="ticket")
    reply = file(admin, ticket.id, reason="deposit_reclaim")
    assert reply.status_code == 400
    assert list(reply.json()) == ["scope"]


@pytest.mark.parametrize("amount", [None, 0, -5, "total+0.01"])
def test_purchase_custom_amount_bounds(sb: Sandbox, admin: Api, amount: object) -> None:
    purchase = deposit_purchase(sb)
    body: dict[str, object] = {"reason": "compensation"}
    if amount == "total+0.01":
        amount = money(purchase.total) + 0.01
    if amount is not None:
        body["amount"] = amount
    reply = file(admin, purchase.id, **body)
    assert reply.status_code == 400
    assert list(reply.json()) == ["amount"]


def test_custom_amounts_at_the_bounds_are_accepted(sb: Sandbox, admin: Api) -> None:
    purchase = deposit_purchase(sb)
    top = money(purchase.total)
    reply = file(admin, purchase.id, reason="overcharge", amount=top)
    assert (reply.status_code, reply.json()["amount"]) == (201, top)
    other = find(sb, org=1, refundable=True, product_type="ticket")
    low = file(admin, other.id, reason="other", amount=0.01)
    assert (low.status_code, low.json()["amount"]) == (201, 0.01)


def test_transaction_custom_is_capped_by_the_transaction(sb: Sandbox, admin: Api) -> None:
    first, *_ = multi_item_order(sb)
    available = money(sb.store.data.transactions[first.transaction_id].available_refund_amount)
    too_much = file(
        admin,
        first.id,
        reason="other",
        scope="transaction_custom",
        amount=available + 1,
    )
    assert too_much.status_code == 400
    assert list(too_much.json()) == ["amount"]
    # More than this purchase's own total is fine: the scope is the transaction.
    reply = file(admin, first.id, reason="other", scope="transaction_custom", amount=available)
    assert (reply.status_code, reply.json()["amount"]) == (201, available)


def test_second_open_request_is_409(sb: Sandbox, admin: Api) -> None:
    purchase = deposit_purchase(sb)
    assert file(admin, purchase.id, reason="deposit_reclaim").status_code == 201
    reply = file(admin, purchase.id, reason="product_defect")
    assert reply.status_code == 409
    assert reply.json()["code"] == "duplicate_open_request"


def test_seeded_open_requests_block_new_ones(sb: Sandbox, admin: Api) -> None:
    for status in ("requested", "ready", "processing", "awaiting_gateway"):
        seeded = sb.store.find_refund(status=status)
        reply = file(admin, seeded["purchase"]["api_id"], reason="other", amount=0.5)
        assert reply.status_code == 409, status
        assert reply.json()["code"] == "duplicate_open_request"


@pytest.mark.parametrize("status", ["pending", "cancelled"])
def test_unpaid_purchases_have_nothing_to_refund(sb: Sandbox, admin: Api, status: str) -> None:
    purchase = find(sb, status=status)
    reply = file(admin, purchase.id, reason="customer_request")
    assert reply.status_code == 409
    assert reply.json() == {
        "detail": f"A {status} purchase has nothing to refund.",
        "code": "nothing_to_refund",
    }


def test_zero_computed_amount_is_409(sb: Sandbox, admin: Api) -> None:
    cup = find(sb, org=1, refundable=True, product_type="deposit")
    assert cup.price == 0
    reply = file(admin, cup.id, reason="product_defect")
    assert reply.status_code == 409
    assert reply.json()["code"] == "nothing_to_refund"


def test_pickup_point_must_belong_to_the_edition(sb: Sandbox, admin: Api) -> None:
    purchase = deposit_purchase(sb)
    points = sb.store.data.pickup_points.values()
    own = next(p for p in points if p.edition_id == purchase.edition_id)
    foreign = next(p for p in points if p.edition_id != purchase.edition_id)
    for bad in ("pup_000000000000", foreign.id):
        reply = file(admin, purchase.id, reason="deposit_reclaim", pickup_point_id=bad)
        assert reply.status_code == 400
        assert list(reply.json()) == ["pickup_point_id"]
    good = file(admin, purchase.id, reason="deposit_reclaim", pickup_point_id=own.id).json()
    assert good["pickup_point"] == {
        "api_id": own.id,
        "name": own.name,
        "is_draft": False,
    }


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "reason"),
        ({"reason": "whim"}, "reason"),
        ({"reason": "other", "scope": "all"}, "scope"),
        ({"reason": "other", "amount": "ten"}, "amount"),
        ({"reason": "other", "comment": None}, "comment"),
    ],
)
def test_invalid_bodies_are_400(sb: Sandbox, admin: Api, body: dict, field: str) -> None:
    reply = file(admin, deposit_purchase(sb).id, **body)
    assert reply.status_code == 400
    assert field in reply.json()


@pytest.mark.parametrize("raw", [b"{not json", b"[1, 2]"])
def test_non_object_bodies_are_400(sb: Sandbox, admin: Api, raw: bytes) -> None:
    url = f"{admin.base_url}/v1/purchases/{deposit_purchase(sb).id}/refund"
    reply = admin.session.post(url, data=raw, headers={"Content-Type": "application/json"})
    assert reply.status_code == 400
    assert list(reply.json()) == ["non_field_errors"]


def test_refunds_create_names_the_purchase(sb: Sandbox, admin: Api, staff: Api, guest: Api) -> None:
    purchase = deposit_purchase(sb)
    created = admin.post("/v1/refunds", {"purchase_id": purchase.id, "reason": "deposit_reclaim"})
    assert created.status_code == 201
    assert created.json()["amount"] == money(purchase.deposit)
    foreign = find(sb, org=2, refundable=True)
    for api, purchase_id in ((admin, "pur_000000000000"), (staff, foreign.id)):
        reply = api.post("/v1/refunds", {"purchase_id": purchase_id, "reason": "other", "amount": 1})
        assert reply.status_code == 400
        assert list(reply.json()) == ["purchase_id"]
    other = find(sb, org=1, refundable=True, product_type="ticket")
    body = {"purchase_id": other.id, "reason": "event_cancelled"}
    assert guest.post("/v1/refunds", body).status_code == 403
    assert admin.post("/v1/refunds", {"reason": "other"}).json() == {"purchase_id": ["This field is required."]}


def test_staff_may_file_but_not_decide(sb: Sandbox, staff: Api, admin: Api) -> None:
    reply = file(staff, deposit_purchase(sb).id, reason="deposit_reclaim")
    assert reply.status_code == 201
    request = reply.json()
    assert request["staff_user"]["id"] == sb.store.staff("staff")["id"]
    assert (request["can_approve"], request["can_reject"]) == (False, False)
    assert staff.post(f"/v1/refunds/{request['id']}/approve").status_code == 403
    assert staff.post(f"/v1/refunds/{request['id']}/reject").status_code == 403
    seen_by_admin = admin.get("/v1/refunds", purchase_id=request["purchase"]["api_id"]).json()
    assert seen_by_admin["results"][0]["can_approve"] is True


def test_manager_decides_only_where_it_is_manager(sb: Sandbox, admin: Api, manager: Api) -> None:
    purchase = find(sb, org=2, refundable=True)
    request = file(admin, purchase.id, reason="event_cancelled").json()
    seen = manager.get("/v1/refunds", purchase_id=purchase.id).json()["results"][0]
    assert (seen["can_approve"], seen["can_reject"]) == (False, False)
    assert manager.post(f"/v1/refunds/{request['id']}/approve").status_code == 403
    mine = file(manager, deposit_purchase(sb).id, reason="deposit_reclaim").json()
    assert mine["can_approve"] is True
    assert manager.post(f"/v1/refunds/{mine['id']}/approve").json()["status"] == "ready"


def test_guest_cannot_file(sb: Sandbox, guest: Api) -> None:
    assert file(guest, deposit_purchase(sb).id, reason="deposit_reclaim").status_code == 403
    foreign = find(sb, org=2, refundable=True)
    assert file(guest, foreign.id, reason="event_cancelled").status_code == 404


def test_payout_moves_the_money(sb: Sandbox, admin: Api) -> None:
    purchase = deposit_purchase(sb)
    payment = sb.store.data.transactions[purchase.transaction_id]
    refunded_before = money(payment.refunded_amount)
    available_before = money(payment.available_refund_amount)
    request = file(admin, purchase.id, reason="deposit_reclaim").json()
    done = process(admin, request["id"])
    assert done["status"] == "processed"
    assert done["refund_date"] >= "2026-09-01T00:00:00Z"
    assert done["service_response"]["status"] == "succeeded"
    assert done["service_response"]["reference"].startswith("sim_")
    deposit = money(purchase.deposit)
    assert done["transaction"]["refunded_amount"] == pytest.approx(refunded_before + deposit)
    assert done["transaction"]["available_refund_amount"] == pytest.approx(available_before - deposit)
    after = admin.get(f"/v1/purchases/{purchase.id}").json()
    assert (after["status"], after["refunded_amount"]) == (
        "partially_refunded",
        deposit,
    )
    assert admin.get(f"/v1/refunds/{request['id']}").json()["status"] == "processed"


def test_the_rest_of_a_purchase_can_follow_and_no_more(sb: Sandbox, admin: Api) -> None:
    purchase = deposit_purchase(sb)
    process(admin, file(admin, purchase.id, reason="deposit_reclaim").json()["id"])
    rest = file(admin, purchase.id, reason="event_cancelled").json()
    assert rest["amount"] == money(purchase.total - purchase.deposit)
    process(admin, rest["id"])
    after = admin.get(f"/v1/purchases/{purchase.id}").json()
    assert (after["status"], after["refunded_amount"]) == (
        "refunded",
        money(purchase.total),
    )
    again = file(admin, purchase.id, reason="duplicate_purchase")
    assert (again.status_code, again.json()["code"]) == (409, "nothing_to_refund")


def test_lists_never_advance_a_payout(sb: Sandbox, admin: Api) -> None:
    request = file(admin, deposit_purchase(sb).id, reason="deposit_reclaim").json()
    admin.post(f"/v1/refunds/{request['id']}/approve")
    for _ in range(3):
        rows = admin.get("/v1/refunds", purchase_id=request["purchase"]["api_id"]).json()
        assert rows["results"][0]["status"] == "ready"


def test_decisions_need_status_requested(sb: Sandbox, admin: Api) -> None:
    request = file(admin, deposit_purchase(sb).id, reason="deposit_reclaim").json()
    admin.post(f"/v1/refunds/{request['id']}/approve")
    for action in ("approve", "reject"):
        reply = admin.post(f"/v1/refunds/{request['id']}/{action}")
        assert reply.status_code == 409
        assert reply.json()["code"] == "invalid_state"
    seeded = sb.store.find_refund(status="processed")
    assert admin.post(f"/v1/refunds/{seeded['id']}/reject").status_code == 409


def test_reject_replaces_the_comment_when_given(sb: Sandbox, admin: Api) -> None:
    request = file(admin, deposit_purchase(sb).id, reason="deposit_reclaim", comment="At the bar").json()
    assert request["comment"] == "At the bar"
    rejected = admin.post(f"/v1/refunds/{request['id']}/reject", {"comment": "Cup was not returned"})
    body = rejected.json()
    assert (body["status"], body["comment"]) == ("rejected", "Cup was not returned")
    assert (body["can_approve"], body["can_reject"]) == (False, False)
    other = find(sb, org=1, refundable=True, product_type="ticket")
    kept = file(admin, other.id, reason="event_cancelled", comment="Rain").json()
    assert admin.post(f"/v1/refunds/{kept['id']}/reject").json()["comment"] == "Rain"


def test_approve_when_the_money_is_gone_gives_invalid(sb: Sandbox, admin: Api) -> None:
    first, second, *_ = multi_item_order(sb)
    whole = file(admin, first.id, reason="event_cancelled", scope="transaction_full").json()
    late = file(admin, second.id, reason="duplicate_purchase").json()
    assert process(admin, whole["id"])["transaction"]["available_refund_amount"] == 0
    reply = admin.post(f"/v1/refunds/{late['id']}/approve")
    assert reply.status_code == 200
    assert reply.json()["status"] == "invalid"
    items = [admin.get(f"/v1/purchases/{p.id}").json()["status"] for p in (first, second)]
    assert items == ["refunded", "refunded"]


def test_forced_payout_failure(sb: Sandbox, admin: Api) -> None:
    purchase = deposit_purchase(sb)
    request = file(admin, purchase.id, reason="deposit_reclaim").json()
    sb.faults.fail_payout(request["id"])
    done = process(admin, request["id"])
    assert done["status"] == "failed"
    assert done["service_response"]["status"] == "failed"
    assert done["refund_date"] is None
    assert done["transaction"] == request["transaction"]
    assert admin.get(f"/v1/purchases/{purchase.id}").json()["status"] == "paid"
