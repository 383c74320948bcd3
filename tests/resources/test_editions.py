import datetime as dt

import pytest

import preo_nb
from preo_nb import contract

from .helpers import first_edition


@pytest.mark.vcr
def test_list_returns_typed_editions(preo):
    df = preo.editions.list()
    assert len(df) == 3
    assert df["id"].dtype == "string"
    assert str(df["created"].dtype) == "datetime64[ns, UTC]"
    assert list(df["status"].cat.categories) == list(contract.enum("EditionStatus"))
    assert df["is_draft"].dtype == "boolean"


@pytest.mark.vcr
def test_list_filters_by_organization_and_orders_by_name(preo):
    org = preo.auth.me()["organizations"][0]["id"]
    df = preo.editions.list(organization_id=org, ordering="name")
    assert set(df["organization_id"]) == {org}
    assert df["name"].tolist() == sorted(df["name"])


@pytest.mark.vcr
def test_iterate_yields_the_same_editions(preo):
    assert [e["id"] for e in preo.editions.iterate()] == preo.editions.list()["id"].tolist()


@pytest.mark.vcr
def test_retrieve(preo):
    edition = first_edition(preo)
    assert preo.editions.retrieve(edition["id"]) == edition


@pytest.mark.vcr
def test_create_update_and_duplicate(preo):
    org = preo.auth.me()["organizations"][0]["id"]
    created = preo.editions.create(
        organization_id=org,
        name="Winter Warm-up 2027",
        start_date=dt.date(2027, 1, 15),
        end_date=dt.datetime(2027, 1, 17, 23, 0),
        default_language="da",
    )
    assert created["name"] == "Winter Warm-up 2027"
    assert created["start_date"] == "2027-01-15T00:00:00Z"
    renamed = preo.editions.update(created["id"], name="Winter Warm-up", is_draft=False)
    assert (renamed["name"], renamed["is_draft"]) == ("Winter Warm-up", False)
    copy = preo.editions.duplicate(created["id"])
    assert copy["name"] == "Winter Warm-up (copy)" and copy["is_draft"] is True
    assert copy["status"] == "no_dates" and copy["id"] != created["id"]


@pytest.mark.vcr
def test_create_in_a_foreign_organization_is_refused(preo_as):
    preo = preo_as("manager")
    staff_only = next(m["id"] for m in preo.auth.me()["organizations"] if m["role"] == "staff")
    with pytest.raises(preo_nb.PermissionDenied):
        preo.editions.create(organization_id=staff_only, name="Not mine")


@pytest.mark.vcr
def test_field_choices(preo):
    choices = preo.editions.field_choices(first_edition(preo)["id"])
    assert {c["value"] for c in choices["default_language"]} == set(contract.enum("Language"))
    assert {"timezone", "default_country_code", "tax_type"} <= set(choices)


@pytest.mark.vcr
def test_healthcheck(preo):
    report = preo.editions.healthcheck(first_edition(preo)["id"])
    codes = {check["code"] for check in report["checks"]}
    assert {"has_dates", "dates_ordered", "has_merchant_account"} <= codes
    assert report["healthy"] == all(c["status"] != "error" for c in report["checks"])
