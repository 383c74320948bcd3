"""Every filter sent is checked on each page, from the contract's filter table (pure logic)."""

from __future__ import annotations

import warnings

import pytest

from preo_nb import _verify
from preo_nb.errors import ContractDriftWarning, IgnoredFilter


def order(number="ORD-1", created="2026-07-02T10:00:00Z", email="ann@example.org", **fields):
    return {
        "id": fields.pop("id", "ord_" + number),
        "order_number": number,
        "status": "completed",
        "type": "online",
        "amount": fields.pop("amount", 10.0),
        "edition_id": "edt_1",
        "organization_id": "org_1",
        "customer": {"api_id": "usr_1", "full_name": "Ann", "email": email, "phone_number": "+3112345"},
        "transaction_id": fields.pop("transaction_id", "trx_1"),
        "created": created,
        "modified": created,
        **fields,
    }


def check(query, *pages, operation="orders_list"):
    verifier = _verify.Verifier(operation, query)
    for page in pages:
        verifier.page(page)


JULY = "2026-07-01T00:00:00Z"

# filter -> value, a page that honours it, a row that breaks it
CASES = {
    "created_after": (JULY, [order(created=JULY)], order(created="2026-06-30T23:59:59Z")),
    "created_before": (JULY, [order(created="2026-06-30T23:59:59Z")], order(created=JULY)),
    "customer_email": ("ANN@", [order(email="ann@example.org")], order(email="bob@example.org")),
    "order_number": ("ORD-7", [order("ord-77")], order("ORD-8")),
    "search": ("trx_9", [order("A", transaction_id="TRX_9"), order("trx_9x")], order("B")),
    "edition_id": ("edt_1", [order()], order(edition_id="edt_2")),
    "customer_id": ("usr_1", [order()], order(customer={"api_id": "usr_2", "email": "x"})),
    "status": ("completed", [order()], order(status="cancelled")),
}


@pytest.mark.parametrize("name", CASES)
def test_a_page_that_honours_a_filter_passes_and_one_row_against_it_raises(name):
    value, good, bad = CASES[name]
    check({name: value}, good)
    with pytest.raises(IgnoredFilter, match=f"ignored filter {name}") as info:
        check({name: value}, [*good, bad])
    assert info.value.filter == name and info.value.rows == 1
    assert "filter the DataFrame yourself" in str(info.value)


def test_bounds_say_which_side_and_whether_the_bound_itself_counts():
    with pytest.raises(IgnoredFilter, match="is not < '2026-07-01T00:00:00Z'"):
        check({"created_before": "2026-07-01T00:00:00Z"}, [order(created="2026-07-01T00:00:00Z")])
    with pytest.raises(IgnoredFilter, match="is not >= "):
        check({"created_after": "2026-07-01T00:00:00Z"}, [order(created="2026-06-01T00:00:00+00:00")])


def test_ordering_is_checked_across_pages():
    first = [order("1", created="2026-07-01T00:00:00Z"), order("2", created="2026-07-02T00:00:00Z")]
    check({"ordering": "created"}, first, [order("3", created="2026-07-03T00:00:00Z")])
    with pytest.raises(IgnoredFilter, match=r"ignored filter ordering.*ascending order"):
        check({"ordering": "created"}, first, [order("3", created="2026-06-01T00:00:00Z")])
    check({"ordering": "-amount"}, [order("1", amount=5.0), order("2", amount=5.0)], [order("3", amount=1.0)])
    with pytest.raises(IgnoredFilter, match="descending"):
        check({"ordering": "-amount"}, [order("1", amount=5.0)], [order("3", amount=6.0)])


def test_ids_sent_as_integers_still_match_their_filter():
    check({"edition_id": "1000"}, [order(edition_id=1000)], operation="orders_list")
    with pytest.raises(IgnoredFilter):
        check({"edition_id": "1000"}, [order(edition_id=1001)])


def test_booleans_and_tags_and_the_include_flag():
    check({"is_active": "true"}, [{"id": "whk_1", "is_active": True}], operation="webhooks_list")
    with pytest.raises(IgnoredFilter):
        check({"is_active": "false"}, [{"id": "whk_1", "is_active": True}], operation="webhooks_list")
    check({"tags": "Event,x"}, [{"api_id": "f1", "tags": ["event"]}], operation="files_list")
    with pytest.raises(IgnoredFilter, match="holds none of"):
        check({"tags": "event"}, [{"api_id": "f1", "tags": ["product"]}], operation="files_list")
    with pytest.raises(IgnoredFilter, match="ignored filter include_cancelled"):
        check({"include_cancelled": "false"}, [{"id": "imp_1", "stage": "cancelled"}], operation="data_imports_list")
    check({"include_cancelled": "true"}, [{"id": "imp_1", "stage": "cancelled"}], operation="data_imports_list")


def test_a_filter_the_rows_cannot_show_is_one_warning_per_call_naming_it():
    rows = [{k: v for k, v in order().items() if k != "customer"}]
    with pytest.warns(ContractDriftWarning, match=r"customer_email='ann'.*cannot be checked") as caught:
        check({"customer_email": "ann"}, rows, rows)
    assert len([w for w in caught if "customer_email" in str(w.message)]) == 1
    with pytest.warns(ContractDriftWarning, match="decided by other records"):
        check({"edition_id": "edt_1"}, [{"id": "usr_1", "email": "a"}], operation="users_list")


def test_no_warning_and_no_error_when_every_filter_is_shown_and_honoured():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check({"edition_id": "edt_1", "status": "completed", "search": "ann", "ordering": "-created"}, [order()], [])
