"""Segments: the calculation workflow, membership rules, export and refusals (README 4.4).

Expected members are computed here straight from the store's records, written
out plainly, so the CEL evaluation is checked against an independent reading.
"""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
import requests

from preo_nb.sandbox import Sandbox
from preo_nb.sandbox.commerce.models import Customer, Purchase

from .conftest import Api

BOUGHT = ("paid", "partially_refunded", "refunded")


def delete(api: Api, path: str) -> requests.Response:
    return api.session.delete(api.base_url + path, timeout=10)


def buyers(sb: Sandbox, org: int = 1) -> list[Customer]:
    """Customers with an order in the organization, in seeded order."""
    org_id = sb.store.org_id(org)
    ids = {o.customer_id for o in sb.store.data.orders.values() if o.organization_id == org_id}
    return [c for c in sb.store.data.customers.values() if c.id in ids]


def bought(sb: Sandbox, customer: Customer, org: int = 1, edition_id: str | None = None) -> list[Purchase]:
    org_id = sb.store.org_id(org)
    return [
        p
        for p in sb.store.data.purchases.values()
        if p.customer_id == customer.id
        and p.status in BOUGHT
        and sb.store.org_of_edition(p.edition_id) == org_id
        and edition_id in (None, p.edition_id)
    ]


def reachable(sb: Sandbox, customer: Customer) -> bool:
    return bool(customer.email or customer.phone_number or customer.id in sb.store.data.wallet_passes)


def calculated(api: Api, sb: Sandbox, condition: str, **body: object) -> dict:
    """Create a segment of organization 1 and run its calculation to the end."""
    made = api.post(
        "/v1/segments",
        {
            "organization_id": sb.store.org_id(1),
            "name": "Test",
            "condition": condition,
            "communication_type": "transactional",
            **body,
        },
    )
    assert made.status_code == 201, made.json()
    segment_id = made.json()["id"]
    assert api.post(f"/v1/segments/{segment_id}/recalculate").json()["status"] == "pending"
    assert api.get(f"/v1/segments/{segment_id}").json()["status"] == "processing"
    return api.get(f"/v1/segments/{segment_id}").json()


def test_create_is_a_draft_with_defaults(sb: Sandbox, admin: Api) -> None:
    reply = admin.post("/v1/segments", {"organization_id": sb.store.org_id(1), "name": "All", "condition": "true"})
    assert reply.status_code == 201
    made = reply.json()
    assert (made["status"], made["communication_type"], made["communication_channel"]) == ("draft", "marketing", "any")
    assert made["user_count"] is None and made["last_calculated"] is None and made["id"].startswith("seg_")


def test_calculation_steps_and_the_acceptance_rule(sb: Sandbox, admin: Api) -> None:
    edition = sb.store.edition(1, 2)["id"]
    condition = 'has_product_type("drink") && total_spent() > 50.0'
    made = admin.post(
        "/v1/segments",
        {"organization_id": sb.store.org_id(1), "name": "Drinks", "condition": condition, "edition_id": edition},
    ).json()
    admin.post(f"/v1/segments/{made['id']}/recalculate")
    assert admin.get("/v1/segments", status="pending").json()["count"] == 1  # lists never advance
    steps = [admin.get(f"/v1/segments/{made['id']}").json() for _ in range(3)]
    assert [s["status"] for s in steps] == ["processing", "completed", "completed"]
    expected = [
        c.id
        for c in buyers(sb)
        if any(sb.store.product_type(p) == "drink" for p in bought(sb, c, edition_id=edition))
        and sum(p.price for p in bought(sb, c, edition_id=edition)) > Decimal(50)
        and reachable(sb, c)
    ]
    done = steps[1]
    assert expected and done["user_count"] == len(expected)
    assert done["last_calculated"] is not None and done["error_message"] is None
    event = sb.store.data.emitted[-1]
    assert (event["event"], event["data"]["id"], event["edition_id"]) == ("segment.completed", made["id"], edition)
    rows = list(csv.DictReader(io.StringIO(admin.get(f"/v1/segments/{made['id']}/export-csv").text)))
    assert [r["user_id"] for r in rows] == expected


def test_export_is_csv_with_its_header_and_filename(sb: Sandbox, admin: Api) -> None:
    segment = calculated(admin, sb, "true", communication_channel="sms")
    reply = admin.get(f"/v1/segments/{segment['id']}/export-csv")
    assert reply.status_code == 200 and reply.headers["Content-Type"].startswith("text/csv")
    assert reply.headers["Content-Disposition"] == f'attachment; filename="segment-{segment["id"]}.csv"'
    lines = reply.text.splitlines()
    assert lines[0] == "user_id,email,first_name,last_name,phone_number"
    assert len(lines) - 1 == segment["user_count"]
    first = sb.store.data.customers[lines[1].split(",")[0]]
    assert lines[1] == ",".join(
        [first.id, first.email or "", first.first_name, first.last_name, first.phone_number or ""]
    )


@pytest.mark.parametrize(
    ("channel", "keeps"),
    [
        ("email", lambda sb, c: bool(c.email)),
        ("sms", lambda sb, c: bool(c.phone_number)),
        ("pass_push", lambda sb, c: c.id in sb.store.data.wallet_passes),
        ("any", reachable),
    ],
)
def test_channel_filter(sb: Sandbox, admin: Api, channel: str, keeps: object) -> None:
    segment = calculated(admin, sb, "true", communication_channel=channel)
    expected = [c for c in buyers(sb) if keeps(sb, c)]  # type: ignore[operator]
    assert 0 < segment["user_count"] == len(expected)
    if channel != "any":
        assert segment["user_count"] < len(buyers(sb))


def test_marketing_needs_the_consent_and_transactional_does_not(sb: Sandbox, admin: Api) -> None:
    org = sb.store.org_id(1)
    consent = next(c for c in sb.store.data.consents.values() if c.organization_id == org and c.order == 1)
    granted = [c for c in buyers(sb) if consent.id in sb.store.data.consent_grants.get(c.id, set())]
    marketing = calculated(admin, sb, "true", communication_type="marketing", consent_id=consent.id)
    assert 0 < marketing["user_count"] == len([c for c in granted if reachable(sb, c)])
    transactional = calculated(admin, sb, "true", consent_id=consent.id)
    assert transactional["user_count"] == len([c for c in buyers(sb) if reachable(sb, c)])
    in_condition = calculated(admin, sb, f'"{consent.id}" in user.consents')
    assert in_condition["user_count"] == marketing["user_count"]


def test_total_spent_counts_bought_prices_in_scope(sb: Sandbox, admin: Api) -> None:
    everywhere = calculated(admin, sb, "total_spent() > 100.0")
    assert everywhere["user_count"] == len([c for c in buyers(sb) if sum(p.price for p in bought(sb, c)) > 100])
    edition = sb.store.edition(1, 1)["id"]
    one = calculated(admin, sb, "total_spent() > 100.0", edition_id=edition)
    expected = [c for c in buyers(sb) if sum(p.price for p in bought(sb, c, edition_id=edition)) > 100]
    assert one["user_count"] == len(expected) < everywhere["user_count"]


def test_edition_scope_of_orders_purchases_and_edition_id(sb: Sandbox, admin: Api) -> None:
    edition = sb.store.edition(1, 1)["id"]
    ordered_there = {o.customer_id for o in sb.store.data.orders.values() if o.edition_id == edition}
    scoped = calculated(admin, sb, f'size(orders) > 0 && edition_id == "{edition}"', edition_id=edition)
    assert scoped["user_count"] == len(ordered_there)
    product = next(p for p in sb.store.data.products.values() if p.edition_id == edition and p.type == "ticket")
    has = calculated(admin, sb, f'has_purchased("{product.id}")')
    holders = [c for c in buyers(sb) if any(p.product_id == product.id for p in bought(sb, c))]
    assert has["user_count"] == len(holders) > 0
    listed = calculated(admin, sb, f'purchases.exists(p, p.product_id == "{product.id}" && p.status == "paid")')
    assert 0 < listed["user_count"] <= has["user_count"]


def test_days_since_counts_whole_days_to_the_sandbox_clock(sb: Sandbox, admin: Api) -> None:
    sb.store.clock.freeze(sb.store.now() + timedelta(days=100))  # type: ignore[attr-defined]
    now = sb.store.now()
    segment = calculated(admin, sb, "days_since(user.created) >= 150")
    assert segment["user_count"] == len([c for c in buyers(sb) if (now - c.created).days >= 150])
    assert 0 < segment["user_count"] < len(buyers(sb))


def test_a_condition_failing_at_run_time_fails_the_calculation(sb: Sandbox, admin: Api) -> None:
    segment = calculated(admin, sb, "purchases[0].price > 0.0", edition_id=sb.store.edition(1, 1)["id"])
    assert segment["status"] == "failed" and segment["user_count"] is None
    assert "index out of bounds" in segment["error_message"] and "usr_" in segment["error_message"]
    assert sb.store.data.emitted[-1]["event"] == "segment.failed"
    refused = admin.get(f"/v1/segments/{segment['id']}/export-csv")
    assert refused.status_code == 409 and refused.json()["code"] == "invalid_state"


def test_the_fault_switch_fails_a_calculation(sb: Sandbox, admin: Api) -> None:
    made = admin.post("/v1/segments", {"organization_id": sb.store.org_id(1), "name": "x", "condition": "true"}).json()
    switch = admin.post("/_sandbox/faults", {"fail_job": [{"kind": "segment", "id": made["id"]}]})
    assert switch.json()["fail_job"] == [{"kind": "segment", "id": made["id"]}]
    admin.post(f"/v1/segments/{made['id']}/recalculate")
    failed = [admin.get(f"/v1/segments/{made['id']}").json() for _ in range(2)][-1]
    assert failed["status"] == "failed" and "fault switch" in failed["error_message"]
    assert admin.post("/_sandbox/faults", {"fail_job": [{"kind": "refund", "id": "x"}]}).status_code == 400
    sb.faults.clear()
    admin.post(f"/v1/segments/{made['id']}/recalculate")  # failed -> pending again
    again = [admin.get(f"/v1/segments/{made['id']}").json() for _ in range(2)][-1]
    assert again["status"] == "completed" and again["error_message"] is None


def test_running_calculations_refuse_changes(sb: Sandbox, admin: Api) -> None:
    made = admin.post("/v1/segments", {"organization_id": sb.store.org_id(1), "name": "x", "condition": "true"}).json()
    path = f"/v1/segments/{made['id']}"
    refused = admin.post(path + "/reset-to-draft")
    assert refused.status_code == 409 and refused.json()["code"] == "invalid_state"
    admin.post(path + "/recalculate")
    for reply in (admin.post(path + "/recalculate"), admin.patch(path, {"name": "y"}), delete(admin, path)):
        assert reply.status_code == 409 and reply.json()["code"] == "invalid_state"
    assert admin.get(path).json()["status"] == "processing"
    assert admin.post(path + "/reset-to-draft").json()["status"] == "draft"
    assert admin.get(path).json()["status"] == "draft"  # a draft does not move
    assert delete(admin, path).status_code == 204 and admin.get(path).status_code == 404


def test_changing_the_definition_goes_back_to_draft(sb: Sandbox, admin: Api) -> None:
    segment = calculated(admin, sb, "true")
    path = f"/v1/segments/{segment['id']}"
    renamed = admin.patch(path, {"name": "Renamed", "description": "Everyone"}).json()
    assert (renamed["status"], renamed["name"]) == ("completed", "Renamed")
    assert admin.patch(path, {"communication_channel": "any"}).json()["status"] == "completed"  # unchanged value
    redefined = admin.patch(path, {"communication_channel": "sms"}).json()
    assert redefined["status"] == "draft" and redefined["user_count"] == segment["user_count"]
    assert admin.get(path + "/export-csv").status_code == 409


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        ("a &&", "Syntax error: mismatched input '<EOF>'"),
        ("total_spend() > 1.0", "undeclared reference to function 'total_spend' (line 1, column 1)"),
        ("user.mail == 'x'", "user has no field 'mail' (line 1, column 6)"),
        ("total_spent()", "the condition must give a bool, not double"),
    ],
)
def test_invalid_conditions_are_refused(sb: Sandbox, admin: Api, condition: str, message: str) -> None:
    body = {"organization_id": sb.store.org_id(1), "name": "x", "condition": condition}
    reply = admin.post("/v1/segments", body)
    assert reply.status_code == 400 and message in reply.json()["condition"][0]
    segment = calculated(admin, sb, "true")
    patched = admin.patch(f"/v1/segments/{segment['id']}", {"condition": condition})
    assert patched.status_code == 400 and "condition" in patched.json()


def test_an_overlong_condition_is_a_400_naming_the_limit(sb: Sandbox, admin: Api) -> None:
    # A syntax error past character 65,535 made the CEL engine panic and the sandbox drop the connection.
    condition = "size(orders) > 0" + " && size(orders) > 0" * 3500 + " &&"
    limit = ["Ensure this field has no more than 10000 characters."]
    body = {"organization_id": sb.store.org_id(1), "name": "x", "condition": condition}
    made = admin.post("/v1/segments", body)
    assert (made.status_code, made.json()) == (400, {"condition": limit})
    segment = admin.post("/v1/segments", body | {"condition": "true"}).json()
    patched = admin.patch(f"/v1/segments/{segment['id']}", {"condition": condition})
    assert (patched.status_code, patched.json()) == (400, {"condition": limit})
    checked = admin.post("/v1/segments/validate-cel", {"condition": condition})
    assert (checked.status_code, checked.json()) == (400, {"condition": limit})
    assert admin.get(f"/v1/segments/{segment['id']}").json()["condition"] == "true"


def test_links_must_belong_to_the_organization(sb: Sandbox, admin: Api) -> None:
    other = sb.store.org_id(2)
    consent = next(c for c in sb.store.data.consents.values() if c.organization_id == other)
    body = {
        "organization_id": sb.store.org_id(1),
        "name": "x",
        "condition": "true",
        "edition_id": sb.store.edition(2, 1)["id"],
        "consent_id": consent.id,
    }
    assert set(admin.post("/v1/segments", body).json()) == {"edition_id", "consent_id"}


def test_delete_refused_while_an_active_campaign_targets_it(sb: Sandbox, admin: Api) -> None:
    scheduled = next(c for c in sb.store.data.campaigns.values() if c.status == "scheduled")
    refused = delete(admin, f"/v1/segments/{scheduled.segment_id}")
    assert refused.status_code == 409 and refused.json()["code"] == "in_use"
    admin.post(f"/v1/campaigns/{scheduled.id}/cancel")
    assert delete(admin, f"/v1/segments/{scheduled.segment_id}").status_code == 204


def test_roles(sb: Sandbox, staff: Api, guest: Api) -> None:
    org = sb.store.org_id(1)
    assert staff.get("/v1/segments").json()["count"] == 3
    assert staff.post("/v1/segments", {"organization_id": org, "name": "x", "condition": "true"}).status_code == 403
    seeded = next(iter(sb.store.data.segments))
    assert staff.post(f"/v1/segments/{seeded}/recalculate").status_code == 403
    assert staff.post("/v1/segments/validate-cel", {"condition": "true"}).json()["valid"] is True
    assert guest.post("/v1/segments/validate-cel", {"condition": "true"}).status_code == 403
    assert guest.get("/v1/segments/cel-context").status_code == 403
    other = next(s for s in sb.store.data.segments.values() if s.organization_id != org)
    assert staff.get(f"/v1/segments/{other.id}").status_code == 404


def test_list_filters_and_ordering(sb: Sandbox, admin: Api) -> None:
    assert {r["status"] for r in admin.get("/v1/segments", status="completed").json()["results"]} == {"completed"}
    sms = admin.get("/v1/segments", communication_channel="sms", communication_type="transactional").json()
    assert sms["count"] == 2
    assert [r["name"] for r in admin.get("/v1/segments", search="DRINK").json()["results"]] == ["Drink lovers 2026"]
    counts = [r["user_count"] for r in admin.get("/v1/segments", ordering="-user_count").json()["results"]]
    assert counts[:2] == [None, None] and counts[2] > counts[3]  # nulls first when descending
    assert admin.get("/v1/segments", status="done").status_code == 400
