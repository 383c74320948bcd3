"""``orders.purchases`` reads purchases the orders list already carries instead of one detail per order."""

import pytest

from preo_nb.sandbox.commerce import render


@pytest.fixture
def reads(sandbox, connect_to, monkeypatch):
    """A client on the live sandbox, and the paths of the GETs that leave it (at its transport)."""
    sandbox.reset()
    preo = connect_to(sandbox.url, sandbox.token, page_size=20)
    seen = []
    transport = preo._http.transport
    original = transport.send

    def counting(request):
        seen.append(request.url.split("?")[0])
        return original(request)

    monkeypatch.setattr(transport, "send", counting)
    return preo, seen


def details(seen):
    return [url for url in seen if "/v1/orders/" in url]


def edition_of(preo):
    return next(preo.editions.iterate(ordering="created"))["id"]


def test_without_purchases_in_the_list_each_order_costs_a_detail_read(reads):
    preo, seen = reads
    edition = edition_of(preo)
    orders = preo.orders.list(edition_id=edition)
    seen.clear()
    purchases = preo.orders.purchases(edition_id=edition, progress=False)
    assert len(details(seen)) == len(orders) > 20
    assert set(purchases["order_id"]) <= set(orders["id"]) and len(purchases) >= len(orders)


def test_purchases_the_list_carries_cost_no_detail_read_and_are_the_same(reads, lists_carry_purchases):
    preo, seen = reads
    edition = edition_of(preo)
    from_details = preo.orders.purchases(edition_id=edition, progress=False)
    lists_carry_purchases()
    seen.clear()
    from_list = preo.orders.purchases(edition_id=edition, progress=False)
    assert details(seen) == [] and len(seen) >= 2  # several pages, no detail

    def rows(frame):
        return frame.sort_values(["order_id", "api_id"]).reset_index(drop=True)

    assert rows(from_list).equals(rows(from_details))


def test_a_list_carrying_incomplete_purchases_falls_back_to_the_details(reads, lists_carry_purchases):
    preo, seen = reads
    edition = edition_of(preo)
    lists_carry_purchases(render.purchase_summary)  # no price, deposit, fee: not a full Purchase
    orders = preo.orders.list(edition_id=edition)
    seen.clear()
    purchases = preo.orders.purchases(edition_id=edition, progress=False)
    assert len(details(seen)) == len(orders)
    assert purchases["price"].notna().all()
