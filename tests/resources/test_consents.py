import pytest

import preo_nb

from .helpers import first_edition


def org_of(preo):
    return first_edition(preo)["organization_id"]


@pytest.mark.vcr
def test_list_is_in_display_order_with_typed_columns(preo):
    df = preo.consents.list(organization_id=org_of(preo))
    assert df["order"].dtype == "Int64" and df["enabled"].dtype == "boolean"
    assert str(df["created"].dtype) == "datetime64[ns, UTC]" and df["edition_id"].dtype == "string"
    assert df["order"].is_monotonic_increasing
    assert df["title"].iloc[0] == "E-mail newsletter and offers"
    assert df["edition_id"].notna().any() and df["edition_id"].isna().any()


@pytest.mark.vcr
def test_list_filters_and_iterate(preo):
    disabled = preo.consents.list(enabled=False)
    assert len(disabled) == 2 and not disabled["enabled"].any()
    edition = first_edition(preo)["id"]
    assert preo.consents.list(edition_id=edition)["edition_id"].tolist() == [edition]
    by_title = preo.consents.list(ordering="-title")
    assert by_title["title"].tolist() == sorted(by_title["title"], key=str.casefold, reverse=True)
    assert [c["id"] for c in preo.consents.iterate(ordering="-title")] == by_title["id"].tolist()


@pytest.mark.vcr
def test_create_retrieve_update_delete(preo):
    org = org_of(preo)
    made = preo.consents.create(organization_id=org, title="Birthday wishes", description="Once a year.")
    assert (made["enabled"], made["order"]) == (True, preo.consents.list(organization_id=org)["order"].max())
    assert preo.consents.retrieve(made["id"]) == made
    changed = preo.consents.update(made["id"], enabled=False, description=None, order=1)
    assert (changed["enabled"], changed["description"], changed["order"]) == (False, None, 1)
    assert preo.consents.delete(made["id"]) is None
    with pytest.raises(preo_nb.NotFound):
        preo.consents.retrieve(made["id"])


@pytest.mark.vcr
def test_delete_refused_while_a_segment_refers_to_it(preo):
    org = org_of(preo)
    consent = preo.consents.create(organization_id=org, title="Early access")
    segment = preo.segments.create(organization_id=org, name="Early birds", condition="true", consent_id=consent["id"])
    with pytest.raises(preo_nb.Conflict) as info:
        preo.consents.delete(consent["id"])
    assert info.value.code == "in_use"
    preo.segments.delete(segment["id"])
    preo.consents.delete(consent["id"])


@pytest.mark.vcr
def test_staff_may_read_but_not_create(preo_as):
    staff = preo_as("staff")
    consents = staff.consents.list()
    assert len(consents) > 0 and consents["organization_id"].nunique() == 1
    with pytest.raises(preo_nb.PermissionDenied):
        staff.consents.create(organization_id=consents["organization_id"].iloc[0], title="Nope")
