"""The sandbox at scale: the festival rush, remembered list results, latency outside the lock."""

from __future__ import annotations

import threading
import types
from collections import Counter

import pytest

from preo_nb.sandbox import ANCHOR, SCALES, Sandbox, build
from preo_nb.sandbox.commerce.seed_editions import EDITIONS, RUSH_EDITION
from preo_nb.sandbox.commerce.seed_sales import RUSH_BASKETS
from preo_nb.sandbox.seed import Scale
from preo_nb.sandbox.web import fault_wsgi

from .conftest import Api


def test_large_promises_a_100k_order_edition_with_250k_purchases() -> None:
    large = SCALES["large"]
    sizes, weights = RUSH_BASKETS
    mean_basket = sum(s * w for s, w in zip(sizes, weights, strict=True)) / sum(weights)
    assert large.rush >= 100_000
    assert large.rush * mean_basket >= 250_000 * 1.01  # a margin for the draw


def test_rush_orders_fill_the_festival_edition(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(SCALES, "rush", Scale(users=60, orders=200, refunds=1, rush=2_000))
    plain, rushed = build(1, "tiny"), build(1, "rush")
    spec = EDITIONS[RUSH_EDITION]
    festival = next(e for e in rushed.data.editions.values() if (e.name, e.start_date) == (spec.name, spec.start))
    before = Counter(o.edition_id for o in plain.data.orders.values())
    after = Counter(o.edition_id for o in rushed.data.orders.values())
    assert after[festival.id] - before[festival.id] == 2_000
    assert sum(after.values()) - sum(before.values()) == 2_000
    mine = [o for o in rushed.data.orders.values() if o.edition_id == festival.id]
    sizes = Counter(len(o.purchase_ids) for o in mine)
    assert max(sizes) == 5 and sizes[5] > 50
    assert all(festival.start_date <= o.created < ANCHOR for o in mine if o.type == "in-person")
    numbers = [o.order_number for o in sorted(mine, key=lambda o: (o.created, o.order_number))]
    assert numbers == sorted(numbers) and len(set(numbers)) == len(numbers)


def test_an_orders_list_is_read_again_after_a_get_that_changes_state(sb: Sandbox, admin: Api) -> None:
    edition = sb.store.edition(1, 2)["id"]
    count = admin.get("/v1/orders", edition_id=edition).json()["count"]
    body = {
        "edition_id": edition,
        "service": "pos",
        "orders": [
            {"order_id": "P-1", "customer_email": "a@example.com", "items": [{"product_code": "Burger", "quantity": 1}]}
        ],
    }
    made = admin.post("/v1/data-imports/import-external-orders", body).json()
    assert admin.get("/v1/orders", edition_id=edition).json()["count"] == count  # importing: nothing yet
    assert admin.get(f"/v1/data-imports/{made['id']}").json()["stage"] == "completed"  # this GET imports
    assert admin.get("/v1/orders", edition_id=edition).json()["count"] == count + 1


def test_a_change_made_directly_shows_after_touch(sb: Sandbox, admin: Api) -> None:
    edition = sb.store.edition(1, 2)["id"]
    pending = admin.get("/v1/orders", edition_id=edition, status="pending").json()["count"]
    with sb.store.lock:
        order = next(o for o in sb.store.data.orders.values() if o.edition_id == edition and o.status != "pending")
        order.status = "pending"
        sb.store.touch()
    assert admin.get("/v1/orders", edition_id=edition, status="pending").json()["count"] == pending + 1


def test_latency_is_waited_out_without_the_store_lock(sb: Sandbox, admin: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    """Concurrent requests overlap their latency, as on a network, instead of queueing for the lock."""
    lock_free_while_waiting: list[bool] = []

    def probe(seconds: float) -> None:
        found: list[bool] = []

        def try_lock() -> None:  # from another thread: the RLock would let this one in anyway
            got = sb.store.lock.acquire(blocking=False)
            if got:
                sb.store.lock.release()
            found.append(got)

        other = threading.Thread(target=try_lock)
        other.start()
        other.join()
        lock_free_while_waiting.append(found[0])

    monkeypatch.setattr(fault_wsgi, "time", types.SimpleNamespace(sleep=probe))
    sb.faults.latency(0.25)
    assert admin.get("/v1/orders", edition_id=sb.store.edition(1, 2)["id"]).status_code == 200
    assert lock_free_while_waiting == [True]
