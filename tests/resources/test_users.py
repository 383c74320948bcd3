import pytest

import preo_nb

from .helpers import first_edition


@pytest.mark.vcr
def test_list_and_search(preo):
    users = preo.users.list()
    assert len(users) > 50 and users["id"].is_unique
    assert str(users["created"].dtype) == "datetime64[ns, UTC]"
    name = users["last_name"].iloc[0]
    found = preo.users.list(search=name.lower())
    assert len(found) >= 1 and found["full_name"].str.contains(name, case=False).any()


@pytest.mark.vcr
def test_list_by_edition(preo):
    edition = first_edition(preo)["id"]
    buyers = preo.users.list(edition_id=edition)
    customers = set(preo.orders.list(edition_id=edition)["customer.api_id"].dropna())
    assert set(buyers["id"]) == customers


@pytest.mark.vcr
def test_iterate_matches_list(preo):
    assert [u["id"] for u in preo.users.iterate()] == preo.users.list()["id"].tolist()


@pytest.mark.vcr
def test_retrieve_and_update(preo):
    user = next(preo.users.iterate())
    assert preo.users.retrieve(user["id"])["email"] == user["email"]
    changed = preo.users.update(user["id"], first_name="Ada", locale="da", phone_number=None)
    assert (changed["first_name"], changed["locale"], changed["phone_number"]) == ("Ada", "da", None)
    assert changed["email"] == user["email"]


@pytest.mark.vcr
def test_staff_cannot_update(preo_as):
    staff = preo_as("staff")
    user = next(staff.users.iterate())
    with pytest.raises(preo_nb.PermissionDenied):
        staff.users.update(user["id"], first_name="Nope")
