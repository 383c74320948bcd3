import pandas as pd
import pytest

import preo_nb
from preo_nb import contract
from preo_nb.resources.segments import EXPORT_COLUMNS, csv_frame

from .helpers import first_edition

DRINKS = 'has_product_type("drink") && total_spent() > 50.0'


def org_of(preo):
    return first_edition(preo)["organization_id"]


@pytest.mark.vcr
def test_list_returns_typed_segments(preo):
    df = preo.segments.list()
    assert list(df["status"].cat.categories) == list(contract.enum("SegmentStatus"))
    assert df["user_count"].dtype == "Int64" and str(df["last_calculated"].dtype) == "datetime64[ns, UTC]"
    assert set(df["status"]) == {"completed", "draft"}
    assert df["created"].is_monotonic_decreasing


@pytest.mark.vcr
def test_list_filters_and_iterate(preo):
    completed = preo.segments.list(status="completed", ordering="-user_count")
    assert len(completed) == 2 and completed["user_count"].is_monotonic_decreasing
    sms = preo.segments.list(communication_channel="sms", communication_type="transactional")
    assert set(sms["communication_channel"]) == {"sms"}
    assert preo.segments.list(search="drink")["name"].tolist() == ["Drink lovers 2026"]
    assert [s["id"] for s in preo.segments.iterate(status="draft")] == (
        preo.segments.list(status="draft")["id"].tolist()
    )


@pytest.mark.vcr
def test_calculate_wait_and_export(preo):
    edition = first_edition(preo)
    made = preo.segments.create(
        organization_id=edition["organization_id"],
        name="Big drinkers",
        condition=DRINKS,
        edition_id=edition["id"],
        communication_type="transactional",
    )
    assert made["status"] == "draft" and preo.segments.wait(made["id"], interval=0)["status"] == "draft"
    assert preo.segments.recalculate(made["id"])["status"] == "pending"
    done = preo.segments.wait(made["id"], interval=0)
    assert done["status"] == "completed" and done["user_count"] > 0
    members = preo.segments.export_csv(made["id"])
    assert members.columns.tolist() == ["user_id", "email", "first_name", "last_name", "phone_number"]
    assert (members.dtypes == "string").all() and len(members) == done["user_count"]
    text = preo.segments.export_csv(made["id"], raw=True)
    assert text.splitlines()[0] == "user_id,email,first_name,last_name,phone_number"
    assert text.count("\n") == done["user_count"] + 1
    assert preo.segments.retrieve(made["id"]) == done


@pytest.mark.vcr
def test_update_reset_and_delete(preo):
    made = preo.segments.create(organization_id=org_of(preo), name="Everyone", condition="true")
    preo.segments.recalculate(made["id"])
    with pytest.raises(preo_nb.Conflict) as info:
        preo.segments.update(made["id"], name="Busy")
    assert info.value.code == "invalid_state"
    assert preo.segments.reset_to_draft(made["id"])["status"] == "draft"
    changed = preo.segments.update(
        made["id"], name="Adults", condition='user.locale != ""', communication_channel="email", description=None
    )
    assert (changed["name"], changed["condition"], changed["communication_channel"]) == (
        "Adults",
        'user.locale != ""',
        "email",
    )
    with pytest.raises(preo_nb.Conflict):
        preo.segments.export_csv(made["id"])
    assert preo.segments.delete(made["id"]) is None
    with pytest.raises(preo_nb.NotFound):
        preo.segments.retrieve(made["id"])


@pytest.mark.vcr
def test_an_invalid_condition_is_refused_with_its_position(preo):
    with pytest.raises(preo_nb.BadRequest) as info:
        preo.segments.create(organization_id=org_of(preo), name="Broken", condition="total_spent() >")
    assert "line 1, column 16" in info.value.field_errors["condition"][0]


@pytest.mark.vcr
def test_a_run_time_failure_ends_the_wait(preo):
    edition = first_edition(preo)
    made = preo.segments.create(
        organization_id=edition["organization_id"],
        name="First order",
        condition="orders[0].amount > 10.0",
        edition_id=edition["id"],
    )
    preo.segments.recalculate(made["id"])
    failed = preo.segments.wait(made["id"], interval=0)
    assert failed["status"] == "failed" and "index out of bounds" in failed["error_message"]


@pytest.mark.vcr
def test_cel_context_and_validation(preo):
    edition = first_edition(preo)["id"]
    context = preo.segments.cel_context(edition_id=edition)
    assert {"user.email", "purchases", "orders"} <= {v["name"] for v in context["variables"]}
    assert context["dynamic_values"]["product_types"] and len(context["products"]) == 14
    assert preo.segments.cel_context()["products"] == []
    product = context["products"][0]["id"]
    assert preo.segments.validate_cel(f'has_purchased("{product}")', edition_id=edition) == {
        "valid": True,
        "error": None,
        "errors": [],
    }
    found = preo.segments.validate_cel("size(orders)")
    assert found["valid"] is False and "bool" in found["error"]
    assert preo.segments.validate_cel("user.email ==")["errors"][0]["column"] == 14


def test_an_export_parses_into_string_columns_with_missing_values():
    df = csv_frame("user_id,email,first_name,last_name,phone_number\nusr_1,,Ana,Berg,+4512345678\n")
    assert df.loc[0, "user_id"] == "usr_1" and pd.isna(df.loc[0, "email"])
    assert df.loc[0, "phone_number"] == "+4512345678"
    empty = csv_frame("user_id,email,first_name,last_name,phone_number\n")
    assert empty.empty and empty.columns.tolist() == list(EXPORT_COLUMNS) and (empty.dtypes == "string").all()
