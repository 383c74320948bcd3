"""Seeded data: sizes, realism, consistent money, and determinism."""

from __future__ import annotations

import copy
import time
from collections import Counter, defaultdict
from decimal import Decimal
from typing import Any

import pytest
import requests

from preo_nb import contract
from preo_nb.refund_rules import OPEN_STATES as OPEN_REFUND_STATES
from preo_nb.sandbox import ANCHOR, Store, build, start
from preo_nb.sandbox.commerce.models import PRODUCT_TYPES, RefundRequest

ORDER_TO_PURCHASE = {"pending": "pending", "cancelled": "cancelled"}


@pytest.fixture(scope="module")
def small() -> Store:
    return build(1, "small")


def records(store: Store, status: str) -> list[RefundRequest]:
    """The refund request records in one state."""
    return [r for r in store.data.refunds.values() if r.status == status]


def test_small_has_the_promised_size(small: Store) -> None:
    tables = small.data
    assert (len(tables.organizations), len(tables.editions)) == (2, 3)
    assert len(tables.products) >= 40
    assert {p.type for p in tables.products.values()} == set(PRODUCT_TYPES)
    assert (len(tables.customers), len(tables.orders)) == (500, 2000)
    assert all(1 <= len(o.purchase_ids) <= 4 for o in tables.orders.values())
    statuses = Counter(o.status for o in tables.orders.values())
    assert statuses.most_common(1)[0][0] == "completed"
    assert set(statuses) == set(contract.enum("OrderStatus"))


@pytest.mark.parametrize("scale", ["tiny", "small"])
def test_every_refund_state_is_seeded(scale: str) -> None:
    store = build(1, scale)
    seen = {r.status for r in store.data.refunds.values()}
    assert seen == set(contract.enum("RefundStatus"))


def test_transactions_add_up(small: Store) -> None:
    tables = small.data
    processed: dict[str, Decimal] = defaultdict(Decimal)
    for refund in records(small, "processed"):
        processed[refund.transaction_id] += refund.amount
    for order in tables.orders.values():
        payment = tables.transactions[order.transaction_id]
        items = [tables.purchases[p] for p in order.purchase_ids]
        assert payment.amount == sum(p.price + p.deposit + p.fee for p in items) == order.amount
        assert payment.service_fee + payment.handling_fee == sum(p.fee for p in items)
        assert payment.refunded_amount == processed[payment.id]
        assert payment.available_refund_amount == payment.amount - payment.refunded_amount >= 0
        assert payment.type == order.type
        assert all(p.transaction_id == payment.id for p in items)


def test_purchase_states_follow_orders_and_refunds(small: Store) -> None:
    refunded: dict[str, Decimal] = defaultdict(Decimal)
    for refund in records(small, "processed"):
        refunded[refund.purchase_id] += refund.amount
    for purchase in small.data.purchases.values():
        order = small.data.orders[purchase.order_id]
        assert purchase.refunded_amount == refunded[purchase.id]
        if order.status in ORDER_TO_PURCHASE:
            expected = ORDER_TO_PURCHASE[order.status]
        elif purchase.refunded_amount == 0:
            expected = "paid"
        elif purchase.refunded_amount < purchase.total:
            expected = "partially_refunded"
        else:
            expected = "refunded"
        assert purchase.status == expected
        assert purchase.metadata["product_type"] == small.product_type(purchase)


def test_deposits_by_product_type(small: Store) -> None:
    deposits: dict[str, set[bool]] = defaultdict(set)
    for product in small.data.products.values():
        deposits[product.type].add(product.deposit > 0)
    assert deposits["rental"] == deposits["deposit"] == {True}
    assert deposits["ticket"] == deposits["food"] == {False}
    assert deposits["drink"] == {True, False}
    online = [t for t in small.data.transactions.values() if t.type == "online"]
    assert {t.service for t in online} == {"stripe", "adyen"}
    assert all(t.currency == "eur" for t in online)


def test_open_requests_are_one_per_purchase(small: Store) -> None:
    open_ones = [r for r in small.data.refunds.values() if r.status in OPEN_REFUND_STATES]
    assert len({r.purchase_id for r in open_ones}) == len(open_ones)
    for request in open_ones:
        assert small.has_open_refund(request.purchase_id)
        purchase = small.data.purchases[request.purchase_id]
        assert not small.is_refundable(purchase.id)


def test_invalid_requests_lost_their_money(small: Store) -> None:
    for request in records(small, "invalid"):
        purchase = small.data.purchases[request.purchase_id]
        assert request.amount > purchase.remaining


def test_nothing_is_dated_after_the_anchor(small: Store) -> None:
    tables = small.data
    dated = [
        *(o.created for o in tables.orders.values()),
        *(c.created for c in tables.customers.values()),
        *(r.modified for r in tables.refunds.values()),
        *(r.refund_date for r in tables.refunds.values() if r.refund_date),
    ]
    assert max(dated) <= ANCHOR
    for request in tables.refunds.values():
        assert request.created >= tables.purchases[request.purchase_id].created


def test_customers_look_real(small: Store) -> None:
    customers = list(small.data.customers.values())
    emails = [c.email for c in customers if c.email]
    assert len(emails) == len(set(emails)) > 450
    assert all(c.email or c.phone_number for c in customers)
    assert all(c.phone_number.startswith("+") for c in customers if c.phone_number)
    assert {c.locale for c in customers} <= {*contract.enum("Language"), None}


def state(store: Store) -> dict[str, Any]:
    """Everything seeded, comparable with ==: the tables and the id generator's state."""
    found = copy.deepcopy(vars(store.data))
    found["ids"] = store.data.ids.getstate()
    return found


def test_same_seed_gives_identical_data_and_ids(small: Store) -> None:
    assert state(build(1, "small")) == state(small)


def test_another_seed_gives_other_data(small: Store) -> None:
    other = build(2, "small")
    assert not set(other.data.orders) & set(small.data.orders)
    names = {c.full_name for c in small.data.customers.values()}
    other_names = {c.full_name for c in other.data.customers.values()}
    assert len(names & other_names) < len(names) / 2


def test_seeding_small_is_fast() -> None:
    started = time.perf_counter()
    build(3, "small")
    assert time.perf_counter() - started < 2.0


def test_lookups_find_interesting_objects(small: Store) -> None:
    cup = small.find_purchase(org=1, product_type="drink", has_deposit=True, refundable=True)
    assert cup["deposit"] > 0 and cup["status"] == "paid"
    assert small.is_refundable(cup["api_id"])
    assert cup == small.purchases(org=1, product_type="drink", has_deposit=True, refundable=True)[0]
    pair = small.find_purchase(multi_item=True, order_status="completed")
    assert len(small.data.orders[pair["order_id"]].purchase_ids) > 1
    assert small.first_edition()["name"] == "2025"
    assert small.edition(org=1, n=2)["status"] == "current"
    assert small.busiest_edition()["id"] == small.edition(org=1, n=2)["id"]
    since = small.recent_since(small.busiest_edition()["id"])
    assert since.endswith("Z") and since < "2026-09-01"
    waiting = small.find_refund(org=2, status="requested")
    assert (waiting["status"], waiting["can_approve"]) == ("requested", True)
    assert small.staff("guest")["id"] == small.data.role_staff["guest"]
    assert small.org(2) == {"id": small.org_id(2), "name": "Harbour Live B.V."}
    with pytest.raises(TypeError, match="colour"):
        small.find_purchase(colour="red")
    with pytest.raises(LookupError):
        small.find_purchase(product_type="ticket", has_deposit=True)


def test_reset_returns_to_the_seed(small: Store) -> None:
    store = build(1, "tiny")
    before = state(store)
    store.new_id("rfr_")
    next(iter(store.data.orders.values())).status = "cancelled"
    assert state(store) != before
    store.reset()
    assert state(store) == before


def test_page_size_is_clamped_to_1000() -> None:
    sb = start(seed=1, scale="small", check_contract=True)
    try:
        reply = requests.get(
            f"{sb.url}/v1/orders",
            params={"organization_id": sb.store.org_id(1), "page_size": 5000},
            headers={"Authorization": f"Bearer {sb.token}"},
            timeout=30,
        ).json()
        assert reply["count"] > 1000
        assert len(reply["results"]) == 1000
        assert "page=2" in reply["next"]
        assert "page_size=5000" in reply["next"]
        assert sb.violations == []
    finally:
        sb.stop()
