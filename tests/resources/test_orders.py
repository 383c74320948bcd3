import pytest

from preo_nb import contract

from .helpers import first_edition


@pytest.mark.vcr
def test_list_reads_every_page_with_declared_dtypes(preo):
    edition = first_edition(preo)["id"]
    df = preo.orders.list(edition_id=edition)
    assert len(df) > 50  # more than one page of 50
    assert df["id"].is_unique and set(df["edition_id"]) == {edition}
    assert df["id"].dtype == "string" and df["amount"].dtype == "float64"
    assert str(df["created"].dtype) == "datetime64[ns, UTC]"
    assert list(df["status"].cat.categories) == list(contract.enum("OrderStatus"))
    assert df["created"].is_monotonic_decreasing  # default ordering -created


@pytest.mark.vcr
def test_list_filters(preo):
    edition = first_edition(preo)["id"]
    done = preo.orders.list(edition_id=edition, status="completed", ordering="amount")
    assert set(done["status"].dropna()) == {"completed"}
    assert done["amount"].is_monotonic_increasing
    since = done["created"].median()
    recent = preo.orders.list(edition_id=edition, created_after=since)
    assert len(recent) and (recent["created"] >= since).all()


@pytest.mark.vcr
def test_empty_list_keeps_columns_and_dtypes(preo):
    edition = first_edition(preo)["id"]
    full = preo.orders.list(edition_id=edition, status="completed")
    empty = preo.orders.list(edition_id=edition, search="no-such-order-anywhere")
    assert empty.empty and list(empty.columns) == list(full.columns[: len(empty.columns)])
    assert (empty.dtypes == full.dtypes[empty.columns]).all()


@pytest.mark.vcr
def test_iterate_matches_list(preo):
    edition = first_edition(preo)["id"]
    ids = [o["id"] for o in preo.orders.iterate(edition_id=edition, ordering="created")]
    assert ids == preo.orders.list(edition_id=edition, ordering="created")["id"].tolist()


@pytest.mark.vcr
def test_retrieve_has_purchases_and_transaction(preo):
    order = next(preo.orders.iterate(edition_id=first_edition(preo)["id"], status="completed"))
    detail = preo.orders.retrieve(order["id"])
    assert detail["id"] == order["id"] and detail["purchases"]
    paid = sum(p["price"] + p["deposit"] + p["fee"] for p in detail["purchases"])
    assert round(paid, 2) == detail["amount"] == detail["transaction"]["amount"]


@pytest.mark.vcr
def test_purchases_joins_every_order(preo):
    edition = first_edition(preo)["id"]
    orders = preo.orders.list(edition_id=edition, status="completed", ordering="created")
    recent = orders.tail(5)
    purchases = preo.orders.purchases(edition_id=edition, status="completed", created_after=recent["created"].min())
    assert set(purchases["order_id"]) == set(recent["id"])
    assert purchases["price"].dtype == "float64"
    assert set(purchases["metadata"].str.get("product_type")) <= {"ticket", "food", "drink", "deposit", "rental"}
