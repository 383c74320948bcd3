"""Consents: CRUD, filters, the default ordering, in-use refusals and the seeded grants."""

from __future__ import annotations

import pytest
import requests

from preo_nb.sandbox import Sandbox, build
from preo_nb.sandbox.marketing import seed as seed_marketing

from .conftest import Api


def delete(api: Api, path: str) -> requests.Response:
    return api.session.delete(api.base_url + path, timeout=10)


def org_consents(sb: Sandbox, org: int) -> list:
    return [c for c in sb.store.data.consents.values() if c.organization_id == sb.store.org_id(org)]


def test_list_defaults_to_display_order_per_organization(sb: Sandbox, admin: Api) -> None:
    org = sb.store.org_id(1)
    rows = admin.get("/v1/consents", organization_id=org).json()["results"]
    assert [r["order"] for r in rows] == sorted(r["order"] for r in rows)
    assert {r["organization_id"] for r in rows} == {org}
    assert rows[0]["title"] == "E-mail newsletter and offers" and rows[0]["edition_id"] is None
    titles = [r["title"] for r in admin.get("/v1/consents", organization_id=org, ordering="-title").json()["results"]]
    assert titles == sorted(titles, key=str.casefold, reverse=True)


def test_list_filters(sb: Sandbox, admin: Api) -> None:
    disabled = admin.get("/v1/consents", enabled="false").json()["results"]
    assert disabled and {r["enabled"] for r in disabled} == {False}
    edition = sb.store.edition(1, 2)["id"]
    mine = admin.get("/v1/consents", edition_id=edition).json()["results"]
    assert [r["edition_id"] for r in mine] == [edition]
    assert mine[0]["title"].startswith("Photos and video at Nordlys Festival 2026")
    assert admin.get("/v1/consents", enabled="maybe").status_code == 400
    assert admin.get("/v1/consents", ordering="enabled").status_code == 400


def test_staff_sees_only_its_organization(sb: Sandbox, staff: Api) -> None:
    rows = staff.get("/v1/consents").json()["results"]
    assert {r["organization_id"] for r in rows} == {sb.store.org_id(1)}
    other = org_consents(sb, 2)[0]
    assert staff.get(f"/v1/consents/{other.id}").status_code == 404


def test_create_goes_after_the_last_and_is_enabled(sb: Sandbox, admin: Api) -> None:
    org = sb.store.org_id(1)
    last = max(c.order for c in org_consents(sb, 1))
    reply = admin.post("/v1/consents", {"organization_id": org, "title": "Birthday wishes"})
    assert reply.status_code == 201, reply.json()
    made = reply.json()
    assert (made["order"], made["enabled"], made["edition_id"]) == (last + 1, True, None)
    assert made["id"].startswith("cns_") and made["created"] == made["modified"]
    assert admin.get(f"/v1/consents/{made['id']}").json() == made


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": "x"}, "organization_id"),
        ({"organization_id": "org_nope", "title": "x"}, "organization_id"),
        ({"organization_id": None, "title": "x"}, "organization_id"),
        ({"organization_id": "ORG1"}, "title"),
        ({"organization_id": "ORG1", "title": "x", "order": "first"}, "order"),
        ({"organization_id": "ORG1", "title": "x", "edition_id": "EDITION_OF_ORG2"}, "edition_id"),
    ],
)
def test_create_refusals(sb: Sandbox, admin: Api, body: dict, field: str) -> None:
    names = {"ORG1": sb.store.org_id(1), "EDITION_OF_ORG2": sb.store.edition(2, 1)["id"]}
    body = {k: names.get(v, v) if isinstance(v, str) else v for k, v in body.items()}
    reply = admin.post("/v1/consents", body)
    assert reply.status_code == 400
    assert field in reply.json()


def test_staff_may_not_create_or_change(sb: Sandbox, staff: Api) -> None:
    org = sb.store.org_id(1)
    assert staff.post("/v1/consents", {"organization_id": org, "title": "x"}).status_code == 403
    consent = org_consents(sb, 1)[0]
    assert staff.patch(f"/v1/consents/{consent.id}", {"title": "y"}).status_code == 403
    assert delete(staff, f"/v1/consents/{consent.id}").status_code == 403


def test_update_changes_the_given_fields_only(sb: Sandbox, admin: Api) -> None:
    consent = org_consents(sb, 1)[2]
    edition = sb.store.edition(1, 1)["id"]
    body = {"enabled": True, "order": 9, "edition_id": edition, "organization_id": sb.store.org_id(2)}
    reply = admin.patch(f"/v1/consents/{consent.id}", body)
    assert reply.status_code == 200, reply.json()
    changed = reply.json()
    assert (changed["enabled"], changed["order"], changed["edition_id"]) == (True, 9, edition)
    assert changed["organization_id"] == sb.store.org_id(1)
    assert changed["title"] == consent.title and changed["modified"] >= changed["created"]
    wrong = admin.patch(f"/v1/consents/{consent.id}", {"edition_id": sb.store.edition(2, 1)["id"]})
    assert wrong.status_code == 400 and "edition_id" in wrong.json()


def test_delete_refused_while_a_segment_refers_to_it(sb: Sandbox, admin: Api) -> None:
    consent = org_consents(sb, 1)[1]
    granted = {c for c, ids in sb.store.data.consent_grants.items() if consent.id in ids}
    assert granted
    segment = admin.post(
        "/v1/segments",
        {
            "organization_id": consent.organization_id,
            "name": "SMS fans",
            "condition": "true",
            "consent_id": consent.id,
        },
    ).json()
    refused = delete(admin, f"/v1/consents/{consent.id}")
    assert refused.status_code == 409 and refused.json()["code"] == "in_use"
    assert delete(admin, f"/v1/segments/{segment['id']}").status_code == 204
    assert delete(admin, f"/v1/consents/{consent.id}").status_code == 204
    assert admin.get(f"/v1/consents/{consent.id}").status_code == 404
    assert not any(consent.id in ids for ids in sb.store.data.consent_grants.values())


def test_seeded_grants_are_deterministic_and_per_organization() -> None:
    one, two = build(1, "tiny"), build(1, "tiny")
    assert one.data.consent_grants == two.data.consent_grants
    assert one.data.wallet_passes == two.data.wallet_passes
    org_of = {c.id: c.organization_id for c in one.data.consents.values()}
    buyers = {(o.customer_id, o.organization_id) for o in one.data.orders.values()}
    for customer, ids in one.data.consent_grants.items():
        assert all((customer, org_of[i]) in buyers for i in ids)  # only consents of orgs they bought from
    assert build(2, "tiny").data.consent_grants != one.data.consent_grants


def test_marketing_seed_changes_no_other_record(monkeypatch: pytest.MonkeyPatch) -> None:
    full = build(1, "tiny")
    monkeypatch.setattr(seed_marketing, "add_marketing", lambda store, seed: None)
    bare = build(1, "tiny")
    for table in ("customers", "orders", "purchases", "refunds", "editions", "email_messages"):
        assert getattr(full.data, table) == getattr(bare.data, table), table
