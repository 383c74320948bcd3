"""List filters: every ``iterate`` takes its ``list``'s filters, and dates are read one way only."""

import datetime as dt
import importlib
import inspect
import pkgutil
import typing

import numpy as np
import pandas as pd
import pytest

import preo_nb
import preo_nb.resources
from preo_nb import PreoValidationError, contract
from preo_nb.checks import timestamp
from preo_nb.resources._base import Resource

# Keyword-only arguments that shape the result, not the query sent.
NOT_FILTERS = {"progress", "show_secrets"}
PAGING = {"page", "page_size"}


def resource_classes():
    for module in pkgutil.iter_modules(preo_nb.resources.__path__):
        importlib.import_module(f"preo_nb.resources.{module.name}")
    return sorted(Resource.__subclasses__(), key=lambda cls: cls.__name__)


def with_lists():
    found = [cls for cls in resource_classes() if hasattr(cls, "list")]
    assert len(found) >= 10  # every paginated group of the contract
    return found


def filters(method):
    parameters = inspect.signature(method).parameters.values()
    return {p.name for p in parameters if p.kind is p.KEYWORD_ONLY} - NOT_FILTERS


def list_operation(cls):
    return contract.operations()[f"{cls.__module__.rsplit('.', 1)[-1]}_list"]


@pytest.mark.parametrize("cls", with_lists(), ids=lambda cls: cls.__name__)
def test_iterate_takes_exactly_the_filters_of_list(cls):
    assert hasattr(cls, "iterate"), f"{cls.__name__} lists but cannot iterate"
    assert filters(cls.iterate) == filters(cls.list)


@pytest.mark.parametrize("cls", with_lists(), ids=lambda cls: cls.__name__)
def test_list_filters_are_the_contracts_query_parameters(cls):
    declared = set(list_operation(cls).query) - PAGING
    assert filters(cls.list) == declared
    assert filters(cls.iterate) == declared


def literal_values(hint):
    """The values of the ``Literal`` inside ``hint`` (``X | None`` included), or None."""
    if typing.get_origin(hint) is typing.Literal:
        return set(typing.get_args(hint))
    found = [literal_values(arg) for arg in typing.get_args(hint)]
    return next((values for values in found if values), None)


@pytest.mark.parametrize("cls", with_lists(), ids=lambda cls: cls.__name__)
def test_enums_in_list_signatures_are_the_contracts(cls):
    operation = list_operation(cls)
    hints = typing.get_type_hints(inspect.unwrap(cls.list))
    checked = 0
    for name in filters(cls.list):
        declared = contract.resolve(operation.query[name]).get("enum")
        values = literal_values(hints[name])
        assert (values is None) == (declared is None), f"{name}: Literal {values} vs contract enum {declared}"
        if declared:
            assert values == set(declared), name
            checked += 1
    assert checked == sum("enum" in contract.resolve(s) for s in operation.query.values())


def test_the_orders_scope_is_the_contracts_required_filters(sandbox, connect_to):
    preo = connect_to(sandbox.url, sandbox.token)
    required = contract.required_filters("orders_list")
    for method in (preo.orders.list, preo.orders.iterate, preo.orders.purchases):
        with pytest.raises(PreoValidationError, match=" or ".join([", ".join(required[:-1]), required[-1]])):
            method(status="completed")


def test_orders_iterate_finds_an_order_by_its_number(sandbox, connect_to):
    preo = connect_to(sandbox.url, sandbox.token)
    edition = preo.editions.list(ordering="created")["id"][0]
    order = next(preo.orders.iterate(edition_id=edition, ordering="created"))
    found = list(
        preo.orders.iterate(
            edition_id=edition, order_number=order["order_number"], customer_email=order["customer"]["email"]
        )
    )
    assert [o["id"] for o in found] == [order["id"]]


# -- dates ---------------------------------------------------------------------------------

ACCEPTED = [
    ("2026-05-06", "2026-05-06T00:00:00Z"),
    ("  2026-05-06 ", "2026-05-06T00:00:00Z"),
    ("2026-05-06T12:30:00Z", "2026-05-06T12:30:00Z"),
    ("2026-05-06 12:30", "2026-05-06T12:30:00Z"),
    ("2026-05-06T12:30:00.250+02:00", "2026-05-06T10:30:00Z"),
    ("20260506T123000Z", "2026-05-06T12:30:00Z"),
    (dt.date(2026, 5, 6), "2026-05-06T00:00:00Z"),
    (dt.datetime(2026, 5, 6, 12, 30), "2026-05-06T12:30:00Z"),
    (dt.datetime(2026, 5, 6, 12, 30, tzinfo=dt.timezone(dt.timedelta(hours=-4))), "2026-05-06T16:30:00Z"),
    (pd.Timestamp("2026-05-06", tz="Europe/Copenhagen"), "2026-05-05T22:00:00Z"),
    (np.datetime64("2026-05-06T12:30"), "2026-05-06T12:30:00Z"),
]


@pytest.mark.parametrize(("value", "sent"), ACCEPTED, ids=[repr(v) for v, _ in ACCEPTED])
def test_iso_strings_and_date_objects_are_sent_as_utc(value, sent):
    assert timestamp(value, "created_after") == sent


REFUSED = [
    (
        "05/06/2026",
        "'05/06/2026' is ambiguous (day or month first?); use '2026-05-06' (6 May) or '2026-06-05' (5 June)",
    ),
    ("05.06.2026", "use '2026-05-06' (6 May) or '2026-06-05' (5 June)"),
    ("05/06/2026 14:00", "use '2026-05-06 14:00' (6 May) or '2026-06-05 14:00' (5 June)"),
    ("13/06/2026", "'13/06/2026' is not ISO 8601; use '2026-06-13' (13 June)"),
    ("06/13/2026", "use '2026-06-13' (13 June)"),
    ("2026/06/05", "use '2026-06-05' (5 June)"),
    ("07/07/2026", "use '2026-07-07' (7 July)"),
    ("31/02/2026", "'31/02/2026' is not a date or an ISO 8601 datetime"),
    ("05/06/26", "'05/06/26' is not a date or an ISO 8601 datetime"),
    ("June 5, 2026", "is not a date or an ISO 8601 datetime"),
    ("", "is not a date or an ISO 8601 datetime"),
    (1780000000, "must be a date, a datetime or an ISO 8601 string, not int"),
    (True, "not bool"),
    (pd.NaT, "a date is required, not NaT"),
]


@pytest.mark.parametrize(("value", "says"), REFUSED, ids=[repr(v) for v, _ in REFUSED])
def test_slash_dates_and_non_dates_are_refused_before_sending(nothing_sent, value, says):
    preo = preo_nb.connect(base_url="http://127.0.0.1:9", token="tok_checks_only", env_file=False)
    with pytest.raises(PreoValidationError) as info:
        preo.orders.list(edition_id="edt_1", created_after=value)
    assert info.value.field == "created_after"
    assert says in str(info.value)
    assert nothing_sent == []
