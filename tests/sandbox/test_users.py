"""Users: who is visible to whom, filters and profile updates."""

from __future__ import annotations

import pytest

from preo_nb.sandbox import Sandbox

from .conftest import Api


def buyers(sb: Sandbox, org: int | None = None, edition_id: str | None = None) -> set[str]:
    org_id = sb.store.org_id(org) if org else None
    return {
        o.customer_id
        for o in sb.store.data.orders.values()
        if (org_id is None or o.organization_id == org_id) and edition_id in (None, o.edition_id)
    }


def only_in(sb: Sandbox, org: int) -> str:
    """A customer who ordered in that organization only."""
    other = buyers(sb, 3 - org)
    return next(c for c in sorted(buyers(sb, org)) if c not in other)


def test_visibility_follows_orders(sb: Sandbox, admin: Api, staff: Api) -> None:
    seen = {u["id"] for u in admin.get("/v1/users", page_size=1000).json()["results"]}
    assert seen == buyers(sb)
    seen_by_staff = {u["id"] for u in staff.get("/v1/users", page_size=1000).json()["results"]}
    assert seen_by_staff == buyers(sb, 1)


def test_edition_filter(sb: Sandbox, admin: Api) -> None:
    edition_id = sb.store.edition(org=2)["id"]
    rows = admin.get("/v1/users", edition_id=edition_id, page_size=1000).json()
    assert {u["id"] for u in rows["results"]} == buyers(sb, edition_id=edition_id)


@pytest.mark.parametrize("field", ["email", "last_name", "phone_number"])
def test_search_matches_name_email_and_phone(sb: Sandbox, admin: Api, field: str) -> None:
    customer = next(c for c in sb.store.data.customers.values() if c.email and c.phone_number and c.id in buyers(sb))
    needle = str(getattr(customer, field))[1:7].swapcase()
    rows = admin.get("/v1/users", search=needle, page_size=1000).json()["results"]
    assert customer.id in {u["id"] for u in rows}


def test_retrieve_scoping(sb: Sandbox, staff: Api, guest: Api) -> None:
    foreign = only_in(sb, 2)
    assert staff.get(f"/v1/users/{foreign}").status_code == 404
    local = only_in(sb, 1)
    assert staff.get(f"/v1/users/{local}").json()["id"] == local
    assert guest.get(f"/v1/users/{local}").status_code == 403


def test_update_profile(sb: Sandbox, manager: Api) -> None:
    customer = sb.store.data.customers[only_in(sb, 1)]
    body = {
        "first_name": "Ida",
        "last_name": "Holm",
        "phone_number": None,
        "locale": "da",
    }
    reply = manager.patch(f"/v1/users/{customer.id}", {**body, "email": "new@example.com"})
    assert reply.status_code == 200
    user = reply.json()
    assert {k: user[k] for k in body} == body
    assert (user["full_name"], user["email"]) == ("Ida Holm", customer.email)
    assert manager.patch(f"/v1/users/{customer.id}", {"locale": None}).json()["locale"] is None


@pytest.mark.parametrize("locale", ["sv", "EN", 5])
def test_update_refuses_unknown_locales(sb: Sandbox, admin: Api, locale: object) -> None:
    reply = admin.patch(f"/v1/users/{only_in(sb, 1)}", {"locale": locale})
    assert reply.status_code == 400
    assert list(reply.json()) == ["locale"]


def test_update_needs_manager_where_the_customer_bought(sb: Sandbox, staff: Api, manager: Api) -> None:
    assert staff.patch(f"/v1/users/{only_in(sb, 1)}", {"first_name": "X"}).status_code == 403
    assert manager.patch(f"/v1/users/{only_in(sb, 2)}", {"first_name": "X"}).status_code == 403
