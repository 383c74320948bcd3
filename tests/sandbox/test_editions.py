"""Editions: create, update, duplicate, field choices, healthcheck and status."""

from __future__ import annotations

from datetime import timedelta

import pytest

from preo_nb import contract
from preo_nb.sandbox import Sandbox

from .conftest import Api, RoleApi


def create(api: Api, sb: Sandbox, **fields: object):
    """Create an edition in organization 1."""
    return api.post("/v1/editions", {"organization_id": sb.store.org_id(1), **fields})


def test_create_makes_a_draft_with_defaults(sb: Sandbox, manager: Api) -> None:
    event = sb.store.edition(org=1)["event_id"]
    reply = create(
        manager,
        sb,
        name="2027",
        event_id=event,
        start_date="2027-07-01T10:00:00+02:00",
        end_date="2027-07-04T22:00:00",
        enabled_languages=["da", "en"],
    )
    assert reply.status_code == 201
    edition = reply.json()
    assert edition["id"].startswith("edt_")
    assert (edition["slug"], edition["full_name"]) == (
        "nordlys-festival-2027",
        "Nordlys Festival 2027",
    )
    assert (edition["status"], edition["is_draft"], edition["is_archived"]) == (
        "upcoming",
        True,
        False,
    )
    # An offset is honoured; naive input counts as UTC (README 3).
    assert (edition["start_date"], edition["end_date"]) == (
        "2027-07-01T08:00:00Z",
        "2027-07-04T22:00:00Z",
    )
    assert (edition["timezone"], edition["default_language"]) == (
        "Europe/Copenhagen",
        "en",
    )
    assert manager.get(f"/v1/editions/{edition['id']}").json() == edition


def test_slugs_stay_unique(sb: Sandbox, admin: Api) -> None:
    first = create(admin, sb, name="Winter Warm-up!").json()
    second = create(admin, sb, name="Winter Warm-up!").json()
    assert (first["slug"], second["slug"]) == ("winter-warm-up", "winter-warm-up-2")
    assert (first["status"], first["full_name"]) == ("no_dates", "Winter Warm-up!")


@pytest.mark.parametrize("role", ["staff", "guest"])
def test_create_needs_manager(sb: Sandbox, as_role: RoleApi, role: str) -> None:
    assert create(as_role(role), sb, name="Nope").status_code == 403


def test_create_in_an_organization_out_of_reach_is_400(sb: Sandbox, staff: Api) -> None:
    for org in (sb.store.org_id(2), "org_000000000000"):
        reply = staff.post("/v1/editions", {"organization_id": org, "name": "Nope"})
        assert reply.status_code == 400
        assert list(reply.json()) == ["organization_id"]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"name": None}, "name"),
        ({"name": "X", "start_date": "soon"}, "start_date"),
        (
            {
                "name": "X",
                "start_date": "2027-07-02T00:00:00Z",
                "end_date": "2027-07-01T00:00:00Z",
            },
            "end_date",
        ),
        ({"name": "X", "timezone": "Mars/Olympus"}, "timezone"),
        ({"name": "X", "default_language": "de"}, "default_language"),
        ({"name": "X", "event_id": "evt_000000000000"}, "event_id"),
    ],
)
def test_create_validates_fields(sb: Sandbox, admin: Api, fields: dict, field: str) -> None:
    reply = create(admin, sb, **fields)
    assert reply.status_code == 400
    assert list(reply.json()) == [field]


def test_missing_required_fields_are_named(admin: Api) -> None:
    reply = admin.post("/v1/editions", {})
    assert reply.status_code == 400
    assert reply.json() == {
        "organization_id": ["This field is required."],
        "name": ["This field is required."],
    }


def test_update_changes_fields_and_modified(sb: Sandbox, admin: Api) -> None:
    edition = sb.store.edition(org=1, n=2)
    fee_rules = [f for f in sb.store.data.fee_rules.values() if f.organization_id == edition["organization_id"]]
    body = {
        "name": "2026 (main)",
        "slug": "nf-main",
        "fee_rule_id": fee_rules[1].id,
        "is_draft": True,
    }
    reply = admin.patch(f"/v1/editions/{edition['id']}", {**body, "organization_id": "ignored"})
    assert reply.status_code == 200
    updated = reply.json()
    assert {k: updated[k] for k in body} == body
    assert updated["organization_id"] == edition["organization_id"]
    assert updated["modified"] > updated["created"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"slug": "has space"}, "slug"),
        ({"slug": "harbour-jazz-2026"}, "slug"),
        ({"fee_rule_id": "fee_000000000000"}, "fee_rule_id"),
        ({"end_date": "2020-01-01T00:00:00Z"}, "end_date"),
        ({"is_draft": "yes"}, "is_draft"),
        ({"default_country_code": "+999"}, "default_country_code"),
    ],
)
def test_update_validates_fields(sb: Sandbox, admin: Api, body: dict, field: str) -> None:
    reply = admin.patch(f"/v1/editions/{sb.store.edition(org=1, n=2)['id']}", body)
    assert reply.status_code == 400
    assert list(reply.json()) == [field]


def test_links_must_be_the_organizations_own(sb: Sandbox, admin: Api) -> None:
    mine = sb.store.edition(org=1, n=2)
    foreign = sb.store.edition(org=2)
    body = {"merchant_account_id": foreign["merchant_account_id"]}
    reply = admin.patch(f"/v1/editions/{mine['id']}", body)
    assert list(reply.json()) == ["merchant_account_id"]


def test_duplicate_copies_configuration_without_dates(sb: Sandbox, manager: Api) -> None:
    source = manager.get(f"/v1/editions/{sb.store.edition(org=1, n=2)['id']}").json()
    reply = manager.post(f"/v1/editions/{source['id']}/duplicate")
    assert reply.status_code == 201
    copy = reply.json()
    assert (copy["name"], copy["slug"]) == ("2026 (copy)", "nordlys-festival-2026-copy")
    assert (copy["start_date"], copy["end_date"], copy["status"]) == (
        None,
        None,
        "no_dates",
    )
    assert (copy["is_draft"], copy["is_archived"]) == (True, False)
    kept = (
        "fee_rule_id",
        "merchant_account_id",
        "timezone",
        "enabled_languages",
        "event_id",
    )
    assert {k: copy[k] for k in kept} == {k: source[k] for k in kept}
    again = manager.post(f"/v1/editions/{source['id']}/duplicate", {"name": "Pop-up"}).json()
    assert (again["name"], again["slug"]) == ("Pop-up", "nordlys-festival-2026-copy-2")


def test_duplicate_takes_dates_and_needs_manager(sb: Sandbox, admin: Api, staff: Api) -> None:
    source = sb.store.edition(org=1, n=1)
    dates = {"start_date": "2027-07-01T10:00:00Z", "end_date": "2027-07-05T22:00:00Z"}
    copy = admin.post(f"/v1/editions/{source['id']}/duplicate", dates).json()
    assert (copy["start_date"], copy["status"]) == (dates["start_date"], "upcoming")
    assert staff.post(f"/v1/editions/{source['id']}/duplicate").status_code == 403


def test_field_choices(sb: Sandbox, staff: Api) -> None:
    edition = sb.store.edition(org=1, n=2)
    choices = staff.get(f"/v1/editions/{edition['id']}/field-choices").json()
    assert [c["value"] for c in choices["default_language"]] == list(contract.enum("Language"))
    assert [c["value"] for c in choices["default_country_code"]] == list(contract.enum("CountryCode"))
    assert {"value": "+45", "label": "Denmark (+45)"} in choices["default_country_code"]
    assert {"value": "Europe/Copenhagen", "label": "Europe/Copenhagen"} in choices["timezone"]
    fee_rules = {f.id for f in sb.store.data.fee_rules.values() if f.organization_id == edition["organization_id"]}
    assert {c["value"] for c in choices["fee_rule_id"]} == fee_rules
    receipts = {c["value"] for c in choices["transaction_receipt_email_id"]}
    assert edition["transaction_receipt_email_id"] in receipts
    refund_mails = {c["value"] for c in choices["refund_confirmation_email_id"]}
    assert edition["refund_confirmation_email_id"] in refund_mails
    assert not receipts & refund_mails


def _statuses(report: dict) -> dict[str, str]:
    return {c["code"]: c["status"] for c in report["checks"]}


def test_healthcheck(sb: Sandbox, admin: Api) -> None:
    healthy = admin.get(f"/v1/editions/{sb.store.edition(org=1, n=2)['id']}/healthcheck").json()
    assert healthy["healthy"] is True
    assert set(_statuses(healthy).values()) == {"ok"}
    assert healthy["checked_at"] >= "2026-09-01T00:00:00Z"
    warned = admin.get(f"/v1/editions/{sb.store.edition(org=2)['id']}/healthcheck").json()
    assert warned["healthy"] is True
    assert _statuses(warned)["has_refund_confirmation_email"] == "warning"


def test_healthcheck_errors_make_it_unhealthy(sb: Sandbox, admin: Api) -> None:
    source = sb.store.edition(org=1, n=2)
    copy = admin.post(f"/v1/editions/{source['id']}/duplicate").json()
    report = admin.get(f"/v1/editions/{copy['id']}/healthcheck").json()
    assert report["healthy"] is False
    assert _statuses(report)["has_dates"] == "error"
    admin.patch(f"/v1/editions/{source['id']}", {"merchant_account_id": None})
    report = admin.get(f"/v1/editions/{source['id']}/healthcheck").json()
    assert (report["healthy"], _statuses(report)["has_merchant_account"]) == (
        False,
        "error",
    )


def test_status_follows_the_store_clock(sb: Sandbox, admin: Api) -> None:
    current = sb.store.edition(org=1, n=2)
    assert admin.get(f"/v1/editions/{current['id']}").json()["status"] == "current"
    sb.store.clock.advance(timedelta(days=30))
    assert admin.get(f"/v1/editions/{current['id']}").json()["status"] == "past"
    assert admin.get("/v1/editions", status="current").json()["count"] == 0
    sb.reset()
    assert admin.get(f"/v1/editions/{current['id']}").json()["status"] == "current"
