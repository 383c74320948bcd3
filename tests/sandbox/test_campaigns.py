"""Campaigns: the state machine, send times, counters, stats and refusals (README 4.3)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import requests

from preo_nb.sandbox import Sandbox
from preo_nb.sandbox.marketing.render import _rate

from .conftest import Api


def delete(api: Api, path: str) -> requests.Response:
    return api.session.delete(api.base_url + path, timeout=10)


def seeded(sb: Sandbox, status: str) -> str:
    return next(c.id for c in sb.store.data.campaigns.values() if c.status == status)


def message_of(sb: Sandbox, org: int = 1) -> str:
    org_id = sb.store.org_id(org)
    return next(m.id for m in sb.store.data.email_messages.values() if m.organization_id == org_id)


def segment_of(sb: Sandbox, name: str) -> str:
    return next(s.id for s in sb.store.data.segments.values() if s.name == name)


def create(api: Api, sb: Sandbox, channel: str = "email", **body: object) -> dict:
    """A draft campaign of organization 1 to the seeded newsletter segment (with content)."""
    fields = {
        "organization_id": sb.store.org_id(1),
        "edition_id": sb.store.edition(1, 2)["id"],
        "segment_id": segment_of(sb, "Newsletter subscribers"),
        "name": "Test",
        "channel": channel,
    }
    if channel == "email":
        fields["email_message_id"] = message_of(sb)
    reply = api.post("/v1/campaigns", fields | body)
    assert reply.status_code == 201, reply.json()
    made = reply.json()
    if channel == "sms":
        made = api.patch(f"/v1/campaigns/{made['id']}", {"sms_body": "Hello!"}).json()
    return made


def test_create_is_a_draft_that_echoes_its_segment(sb: Sandbox, admin: Api) -> None:
    made = create(admin, sb, sms_body="ignored on create")
    assert (made["status"], made["sent_count"], made["failed_count"]) == ("draft", 0, 0)
    assert made["segment_id"] == segment_of(sb, "Newsletter subscribers") and made["sms_body"] is None
    assert made["scheduled_at"] is None and made["total_recipients"] is None and made["id"].startswith("cmp_")


@pytest.mark.parametrize("field", ["edition_id", "segment_id", "email_message_id"])
def test_links_must_belong_to_the_organization(sb: Sandbox, admin: Api, field: str) -> None:
    other = {
        "edition_id": sb.store.edition(2, 1)["id"],
        "segment_id": segment_of(sb, "Harbour Jazz ticket buyers"),
        "email_message_id": message_of(sb, 2),
    }
    body = {
        "organization_id": sb.store.org_id(1),
        "edition_id": sb.store.edition(1, 2)["id"],
        "segment_id": segment_of(sb, "Newsletter subscribers"),
        "name": "x",
        "channel": "email",
    }
    body[field] = other[field]
    reply = admin.post("/v1/campaigns", body)
    assert reply.status_code == 400 and list(reply.json()) == [field]


def test_send_now_steps_with_counters_and_stats(sb: Sandbox, admin: Api) -> None:
    made = create(admin, sb)
    path = f"/v1/campaigns/{made['id']}"
    zeros = admin.get(path + "/stats").json()
    assert zeros["total_recipients"] == zeros["sent"] == 0 and zeros["delivery_rate"] == 0.0
    assert admin.post(path + "/send-now").json()["status"] == "calculating"
    sending = admin.get(path).json()
    segment = sb.store.data.segments[made["segment_id"]]
    customers = sb.store.data.customers
    assert sending["status"] == "sending" and sending["user_count"] == segment.user_count
    assert sending["total_recipients"] == len([c for c in segment.members if customers[c].email])
    assert sending["started_at"] is not None and sending["completed_at"] is None
    sent = admin.get(path).json()
    assert (sent["status"], sent["sent_count"], sent["failed_count"]) == ("sent", sending["total_recipients"], 0)
    assert sent["completed_at"] is not None and admin.get(path).json() == sent  # final
    stats = admin.get(path + "/stats").json()
    assert stats == {
        "total_recipients": sent["total_recipients"],
        "sent": sent["sent_count"],
        "failed": 0,
        "delivered": sent["sent_count"],
        "opened": 0,
        "clicked": 0,
        "bounced": 0,
        "unsubscribed": 0,
        "delivery_rate": 1.0,
        "open_rate": 0.0,
        "click_rate": 0.0,
        "unsubscribe_rate": 0.0,
    }
    event = sb.store.data.emitted[-1]
    assert (event["event"], event["data"]["status"]) == ("campaign.sent", "sent")
    assert event["edition_id"] == made["edition_id"] and event["data"]["id"] == made["id"]


def test_rates_are_fractions_rounded_to_four_decimals() -> None:
    assert (_rate(1, 3), _rate(2, 3), _rate(5, 0), _rate(7, 7)) == (0.3333, 0.6667, 0.0, 1.0)


def test_sms_recipients_are_members_with_a_phone(sb: Sandbox, admin: Api) -> None:
    made = create(admin, sb, "sms", segment_id=segment_of(sb, "Drink lovers 2026"))
    admin.post(f"/v1/campaigns/{made['id']}/send-now")
    sending = admin.get(f"/v1/campaigns/{made['id']}").json()
    members = sb.store.data.segments[made["segment_id"]].members
    assert sending["user_count"] == len(members)
    assert sending["total_recipients"] == len([c for c in members if sb.store.data.customers[c].phone_number])


@pytest.mark.parametrize(
    ("given", "shown"),
    [
        ("2026-12-01T10:00:00", "2026-12-01T10:00:00+01:00"),  # naive: the edition's time (winter)
        ("2027-06-01T10:00", "2027-06-01T10:00:00+02:00"),  # summer time
        ("2026-12-01T10:00:00Z", "2026-12-01T11:00:00+01:00"),  # an offset is honoured
        ("2026-12-01T10:00:00-05:00", "2026-12-01T16:00:00+01:00"),
    ],
)
def test_schedule_reads_naive_times_in_the_edition_timezone(sb: Sandbox, admin: Api, given: str, shown: str) -> None:
    made = create(admin, sb)
    scheduled = admin.post(f"/v1/campaigns/{made['id']}/schedule", {"scheduled_at": given}).json()
    assert (scheduled["status"], scheduled["scheduled_at"]) == ("scheduled", shown)
    listed = admin.get("/v1/campaigns", status="scheduled", search="Test").json()["results"]
    assert [c["scheduled_at"] for c in listed] == [shown]


def test_schedule_refusals_and_rescheduling(sb: Sandbox, admin: Api) -> None:
    made = create(admin, sb, "sms", name="Texts")
    path = f"/v1/campaigns/{made['id']}"
    past = admin.post(path + "/schedule", {"scheduled_at": "2026-08-01T10:00:00Z"})
    assert past.status_code == 400 and "scheduled_at" in past.json()
    assert admin.post(path + "/schedule", {}).status_code == 400
    assert admin.post(path + "/schedule", {"scheduled_at": "tomorrow"}).status_code == 400
    admin.post(path + "/schedule", {"scheduled_at": "2026-10-01T09:00:00"})
    moved = admin.post(path + "/schedule", {"scheduled_at": "2026-10-02T09:00:00"}).json()
    assert (moved["status"], moved["scheduled_at"]) == ("scheduled", "2026-10-02T09:00:00+02:00")
    emptied = admin.patch(path, {"sms_body": None})
    assert emptied.status_code == 400 and "sms_body" in emptied.json()  # a scheduled campaign stays sendable
    assert admin.get(path).json()["sms_body"] == "Hello!"


@pytest.mark.parametrize(("channel", "field"), [("email", "email_message_id"), ("sms", "sms_body")])
def test_content_is_needed_to_schedule_or_send(sb: Sandbox, admin: Api, channel: str, field: str) -> None:
    body = {
        "organization_id": sb.store.org_id(1),
        "edition_id": sb.store.edition(1, 2)["id"],
        "segment_id": segment_of(sb, "Newsletter subscribers"),
        "name": "Bare",
        "channel": channel,
    }
    made = admin.post("/v1/campaigns", body).json()
    for reply in (
        admin.post(f"/v1/campaigns/{made['id']}/send-now"),
        admin.post(f"/v1/campaigns/{made['id']}/schedule", {"scheduled_at": "2026-12-01T10:00:00"}),
    ):
        assert reply.status_code == 400 and list(reply.json()) == [field]


def test_a_due_campaign_starts_on_its_next_retrieve(sb: Sandbox, admin: Api) -> None:
    campaign_id = seeded(sb, "scheduled")
    path = f"/v1/campaigns/{campaign_id}"
    assert admin.get(path).json()["status"] == "scheduled"
    sb.store.clock.freeze(datetime(2026, 11, 1, 9, 0, 1, tzinfo=UTC))  # type: ignore[attr-defined]
    assert admin.get("/v1/campaigns", status="scheduled").json()["count"] == 1  # lists never advance
    assert [admin.get(path).json()["status"] for _ in range(3)] == ["calculating", "sending", "sent"]


def test_a_failing_segment_fails_the_campaign(sb: Sandbox, admin: Api) -> None:
    segment = admin.post(
        "/v1/segments",
        {
            "organization_id": sb.store.org_id(1),
            "name": "Broken",
            "condition": "orders[0].amount > 0.0",
            "edition_id": sb.store.edition(1, 1)["id"],
        },
    ).json()
    made = create(admin, sb, segment_id=segment["id"])
    admin.post(f"/v1/campaigns/{made['id']}/send-now")
    failed = admin.get(f"/v1/campaigns/{made['id']}").json()
    assert failed["status"] == "failed" and failed["error_message"].startswith("The segment calculation failed")
    assert "index out of bounds" in failed["error_message"] and failed["sent_count"] == 0
    assert sb.store.data.emitted[-1]["event"] == "campaign.failed"
    refused = admin.post(f"/v1/campaigns/{made['id']}/cancel")
    assert refused.status_code == 409 and refused.json()["code"] == "invalid_state"


@pytest.mark.parametrize("kind", ["campaign", "segment"])
def test_the_fault_switch_fails_a_campaign(sb: Sandbox, admin: Api, kind: str) -> None:
    made = create(admin, sb)
    sb.faults.fail_job(kind, made["id"] if kind == "campaign" else made["segment_id"])
    admin.post(f"/v1/campaigns/{made['id']}/send-now")
    failed = admin.get(f"/v1/campaigns/{made['id']}").json()
    assert failed["status"] == "failed" and "fault switch" in failed["error_message"]


@pytest.mark.parametrize("steps", [0, 1, 2])
def test_cancel_before_the_end(sb: Sandbox, admin: Api, steps: int) -> None:
    made = create(admin, sb)
    path = f"/v1/campaigns/{made['id']}"
    if steps:
        admin.post(path + "/send-now")
        for _ in range(steps - 1):
            admin.get(path)
    assert admin.post(path + "/cancel").json()["status"] == "cancelled"
    assert admin.get(path).json()["status"] == "cancelled"
    for reply in (admin.post(path + "/cancel"), admin.post(path + "/send-now"), admin.patch(path, {"name": "y"})):
        assert reply.status_code == 409 and reply.json()["code"] == "invalid_state"


def test_update_delete_and_running_refusals(sb: Sandbox, admin: Api) -> None:
    made = create(admin, sb, "sms")
    path = f"/v1/campaigns/{made['id']}"
    changed = admin.patch(path, {"name": "Renamed", "channel": "email", "email_message_id": message_of(sb)}).json()
    assert (changed["name"], changed["channel"], changed["sms_body"]) == ("Renamed", "email", "Hello!")
    admin.post(path + "/send-now")
    for reply in (
        delete(admin, path),
        admin.patch(path, {"name": "z"}),
        admin.post(path + "/schedule", {"scheduled_at": "2026-12-01T10:00:00"}),
    ):
        assert reply.status_code == 409 and reply.json()["code"] == "invalid_state"
    sent_id = seeded(sb, "sent")
    assert delete(admin, f"/v1/campaigns/{sent_id}").status_code == 204
    assert admin.get(f"/v1/campaigns/{sent_id}").status_code == 404


def test_a_deleted_segment_cannot_be_sent_to(sb: Sandbox, admin: Api) -> None:
    segment = admin.post(
        "/v1/segments", {"organization_id": sb.store.org_id(1), "name": "Gone", "condition": "true"}
    ).json()
    made = create(admin, sb, segment_id=segment["id"])
    assert delete(admin, f"/v1/segments/{segment['id']}").status_code == 204  # a draft campaign does not hold it
    reply = admin.post(f"/v1/campaigns/{made['id']}/send-now")
    assert reply.status_code == 400 and "segment_id" in reply.json()


def test_roles_and_visibility(sb: Sandbox, staff: Api, manager: Api) -> None:
    sent_id = seeded(sb, "sent")
    assert staff.get(f"/v1/campaigns/{sent_id}/stats").status_code == 200
    assert staff.post(f"/v1/campaigns/{sent_id}/cancel").status_code == 403
    assert manager.patch(f"/v1/campaigns/{seeded(sb, 'draft')}", {"name": "Ok"}).json()["name"] == "Ok"
    assert staff.get("/v1/campaigns", organization_id=sb.store.org_id(2)).json()["count"] == 0


def test_list_filters_and_ordering(sb: Sandbox, admin: Api) -> None:
    rows = admin.get("/v1/campaigns", channel="sms").json()["results"]
    assert [r["name"] for r in rows] == ["Last orders at the bar"] and "sms_body" not in rows[0]
    names = [r["name"] for r in admin.get("/v1/campaigns", ordering="name").json()["results"]]
    assert names == sorted(names, key=str.casefold)
    totals = [r["total_recipients"] for r in admin.get("/v1/campaigns", ordering="total_recipients").json()["results"]]
    assert totals[0] > 0 and totals[1:] == [None, None]
    assert admin.get("/v1/campaigns", channel="fax").status_code == 400
    assert admin.get("/v1/campaigns", edition_id=sb.store.edition(1, 2)["id"]).json()["count"] == 3
