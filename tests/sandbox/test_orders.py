"""Orders and purchases: detail shapes and money that adds up."""

from __future__ import annotations

import pytest

from preo_nb.sandbox import Sandbox

from .conftest import Api


def test_order_detail_has_full_purchases_and_payment(sb: Sandbox, staff: Api) -> None:
    order = next(
        o for o in sb.store.data.orders.values() if len(o.purchase_ids) > 1 and o.organization_id == sb.store.org_id(1)
    )
    detail = staff.get(f"/v1/orders/{order.id}").json()
    assert detail["id"] == order.id
    assert [p["api_id"] for p in detail["purchases"]] == order.purchase_ids
    totals = sum(p["price"] + p["deposit"] + p["fee"] for p in detail["purchases"])
    assert detail["transaction"]["amount"] == pytest.approx(totals)
    assert detail["amount"] == detail["transaction"]["amount"]
    fees = sum(p["fee"] for p in detail["purchases"])
    assert detail["transaction"]["service_fee"] + detail["transaction"]["handling_fee"] == pytest.approx(fees)
    for purchase in detail["purchases"]:
        assert purchase["order_id"] == order.id
        assert set(purchase["metadata"]) == {"product_type", "pickup_point"}
        assert purchase == staff.get(f"/v1/purchases/{purchase['api_id']}").json()


def test_orders_outside_the_callers_organizations_are_404(sb: Sandbox, staff: Api, guest: Api) -> None:
    foreign = sb.store.find_purchase(org=2)
    assert staff.get(f"/v1/orders/{foreign['order_id']}").status_code == 404
    assert staff.get(f"/v1/purchases/{foreign['api_id']}").status_code == 404
    inside = sb.store.find_purchase(org=1)
    assert guest.get(f"/v1/orders/{inside['order_id']}").status_code == 403
    assert guest.get(f"/v1/purchases/{inside['api_id']}").status_code == 403


def test_orders_by_customer_span_editions(sb: Sandbox, admin: Api) -> None:
    counts: dict[str, set[str]] = {}
    for order in sb.store.data.orders.values():
        counts.setdefault(order.customer_id, set()).add(order.edition_id)
    customer = max(counts, key=lambda c: len(counts[c]))
    rows = admin.get("/v1/orders", customer_id=customer).json()["results"]
    assert {r["edition_id"] for r in rows} == counts[customer]
    assert {r["customer"]["api_id"] for r in rows} == {customer}
