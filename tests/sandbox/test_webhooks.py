"""Webhooks: endpoint rules, who receives which event, real signed POSTs, retry, rotation."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from preo_nb.sandbox import Sandbox
from preo_nb.sandbox.webhooks import receiver
from preo_nb.sandbox.webhooks.receiver import Receiver

from .conftest import Api, RoleApi

BASE = "/v1/webhooks"
NOBODY = "http://127.0.0.1:9/hook"  # the discard port: nothing listens, connections are refused


@pytest.fixture
def hook() -> Iterator[Receiver]:
    with receiver.listening() as found:
        yield found


def create(api: Api, sb: Sandbox, org: int = 1, **fields: object) -> dict:
    body = {"organization_id": sb.store.org_id(org), "name": "Ledger", "url": NOBODY, "events": ["*"], **fields}
    reply = api.post(BASE, body)
    assert reply.status_code == 201, reply.text
    return reply.json()


def approve_a_refund(sb: Sandbox, api: Api, org: int = 1) -> dict:
    refund = sb.store.find_refund(org=org, status="requested")
    reply = api.post(f"/v1/refunds/{refund['id']}/approve")
    assert reply.json()["status"] == "ready"
    return refund


def deliveries(api: Api, endpoint: dict, **query: object) -> list[dict]:
    return api.get(f"{BASE}/{endpoint['id']}/deliveries", **query).json()["results"]


def readme_check(secret: str, header: str, raw_body: bytes) -> bool:
    """The receiver check exactly as the contract README writes it (independent of preo_nb.signing)."""
    t, v1 = (part.split("=", 1)[1] for part in header.split(","))
    mac = hmac.new(secret.encode(), f"{t}.".encode() + raw_body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(mac, v1)


# -- endpoints ---------------------------------------------------------------


def test_create_generates_a_secret_and_defaults(sb: Sandbox, manager: Api) -> None:
    made = create(manager, sb, events=["refund_request.created", "refund_request.created", "order.created"])
    assert re.fullmatch(r"whsec_[0-9a-f]{32}", made["secret"])
    assert (made["is_active"], made["timeout_seconds"], made["edition_id"]) == (True, 30, None)
    assert made["events"] == ["refund_request.created", "order.created"]
    assert manager.get(f"{BASE}/{made['id']}").json() == made


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"url": "ftp://files.example/hook"}, "url"),
        ({"url": "not a url"}, "url"),
        ({"url": "http://127.0.0.1:99999/hook"}, "url"),
        ({"events": []}, "events"),
        ({"events": ["  "]}, "events"),
        ({"events": "*"}, "events"),
        ({"timeout_seconds": 0}, "timeout_seconds"),
        ({"timeout_seconds": 61}, "timeout_seconds"),
        ({"name": ""}, "name"),
        ({"edition_id": "FOREIGN"}, "edition_id"),
    ],
)
def test_create_refusals_name_the_field(sb: Sandbox, admin: Api, fields: dict, field: str) -> None:
    fields = {k: sb.store.edition(org=2)["id"] if v == "FOREIGN" else v for k, v in fields.items()}
    body = {"organization_id": sb.store.org_id(1), "name": "X", "url": NOBODY, "events": ["*"], **fields}
    reply = admin.post(BASE, body)
    assert reply.status_code == 400
    assert list(reply.json()) == [field]


def test_writes_need_manager_and_other_organizations_stay_hidden(sb: Sandbox, admin: Api, staff: Api) -> None:
    body = {"organization_id": sb.store.org_id(1), "name": "X", "url": NOBODY, "events": ["*"]}
    assert staff.post(BASE, body).status_code == 403
    assert list(staff.post(BASE, body | {"organization_id": sb.store.org_id(2)}).json()) == ["organization_id"]
    mine, theirs = create(admin, sb), create(admin, sb, org=2)
    assert staff.get(f"{BASE}/{mine['id']}").json()["secret"] == mine["secret"]
    assert staff.get(f"{BASE}/{theirs['id']}").status_code == 404
    assert staff.patch(f"{BASE}/{mine['id']}", {"name": "Y"}).status_code == 403
    assert staff.post(f"{BASE}/{mine['id']}/rotate-secret").status_code == 403


def test_list_filters_and_orders(sb: Sandbox, admin: Api) -> None:
    edition = sb.store.edition(org=1, n=2)["id"]
    create(admin, sb, name="b-hook", edition_id=edition)
    create(admin, sb, name="a-hook", is_active=False)
    names = [w["name"] for w in admin.get(BASE, ordering="name").json()["results"]]
    assert names == sorted(names, key=str.casefold) and "a-hook" in names
    assert [w["name"] for w in admin.get(BASE, edition_id=edition).json()["results"]] == ["b-hook"]
    paused = admin.get(BASE, is_active="false", organization_id=sb.store.org_id(1)).json()["results"]
    assert {w["is_active"] for w in paused} == {False} and "a-hook" in {w["name"] for w in paused}
    assert list(admin.get(BASE, is_active="maybe").json()) == ["is_active"]


def test_update_rotate_and_delete(sb: Sandbox, admin: Api) -> None:
    made = create(admin, sb)
    changed = admin.patch(
        f"{BASE}/{made['id']}",
        {"name": "Renamed", "timeout_seconds": 5, "is_active": False, "organization_id": sb.store.org_id(2)},
    ).json()
    assert (changed["name"], changed["timeout_seconds"], changed["is_active"]) == ("Renamed", 5, False)
    assert (changed["organization_id"], changed["secret"]) == (made["organization_id"], made["secret"])
    rotated = admin.post(f"{BASE}/{made['id']}/rotate-secret").json()
    assert rotated["secret"] != made["secret"] and re.fullmatch(r"whsec_[0-9a-f]{32}", rotated["secret"])
    assert admin.session.delete(f"{admin.base_url}{BASE}/{made['id']}", timeout=10).status_code == 204
    assert admin.get(f"{BASE}/{made['id']}").status_code == 404
    assert admin.get(f"{BASE}/{made['id']}/deliveries").status_code == 404


def test_seeded_endpoints_are_paused_with_a_history(sb: Sandbox, admin: Api) -> None:
    seeded = admin.get(BASE).json()["results"]
    assert seeded and not any(w["is_active"] for w in seeded)
    ledger = next(w for w in seeded if w["name"].startswith("Finance"))
    history = deliveries(admin, ledger)
    assert {d["status"] for d in history} == {"success", "failed"}
    assert all(d["payload"]["data"]["status"] in ("processed", "failed") for d in history)
    failed = next(d for d in history if d["status"] == "failed")
    retry = admin.post(f"{BASE}/{ledger['id']}/deliveries/{failed['id']}/retry")
    assert (retry.status_code, retry.json()["code"]) == (409, "inactive")


# -- who receives what -------------------------------------------------------


def test_an_event_reaches_exactly_the_matching_endpoints(sb: Sandbox, admin: Api) -> None:
    refund = sb.store.find_refund(org=1, status="requested")
    other_edition = next(
        e
        for e in sb.store.data.editions.values()
        if e.organization_id == sb.store.org_id(1) and e.id != refund["edition_id"]
    ).id
    wanted = [
        create(admin, sb, name="all"),
        create(admin, sb, name="this edition", edition_id=refund["edition_id"], events=["refund_request.approved"]),
    ]
    ignored = [
        create(admin, sb, name="paused", is_active=False),
        create(admin, sb, name="other event", events=["refund_request.rejected"]),
        create(admin, sb, name="other edition", edition_id=other_edition),
        create(admin, sb, org=2, name="other organization"),
    ]
    admin.post(f"/v1/refunds/{refund['id']}/approve")
    for endpoint in wanted:
        [delivery] = deliveries(admin, endpoint)
        payload = delivery["payload"]
        assert (delivery["event"], payload["event"]) == ("refund_request.approved", "refund_request.approved")
        assert (payload["organization_id"], payload["edition_id"]) == (sb.store.org_id(1), refund["edition_id"])
        assert payload["data"]["id"] == refund["id"] and payload["data"]["status"] == "ready"
        assert re.fullmatch(r"whe_[0-9a-f]{12}", payload["id"])
    assert [len(deliveries(admin, e)) for e in ignored] == [0, 0, 0, 0]
    assert len({deliveries(admin, e)[0]["payload"]["id"] for e in wanted}) == 1  # one event, two deliveries


def test_refund_workflow_emits_its_events(sb: Sandbox, admin: Api) -> None:
    endpoint = create(admin, sb, is_active=False)
    admin.patch(f"{BASE}/{endpoint['id']}", {"is_active": True})
    purchase = sb.store.find_purchase(org=1, refundable=True)
    made = admin.post(f"/v1/purchases/{purchase['api_id']}/refund", {"reason": "sold_out"}).json()
    admin.post(f"/v1/refunds/{made['id']}/approve")
    for _ in range(3):
        admin.get(f"/v1/refunds/{made['id']}")
    failing = sb.store.find_refund(org=1, status="requested")
    sb.faults.fail_payout(failing["id"])
    admin.post(f"/v1/refunds/{failing['id']}/approve")
    for _ in range(3):
        admin.get(f"/v1/refunds/{failing['id']}")
    rejected = sb.store.find_refund(org=1, status="requested")
    admin.post(f"/v1/refunds/{rejected['id']}/reject", {"comment": "No"})
    events = [d["event"] for d in reversed(deliveries(admin, endpoint, page_size=100))]
    assert sorted(events) == sorted(
        [
            "refund_request.created",
            "refund_request.approved",
            "refund_request.processed",
            "refund_request.approved",
            "refund_request.failed",
            "refund_request.rejected",
        ]
    )
    assert [d["event"] for d in deliveries(admin, endpoint, event="refund_request.failed")] == ["refund_request.failed"]


# -- real deliveries -----------------------------------------------------------


def test_delivery_is_a_signed_post_of_the_event(sb: Sandbox, admin: Api, hook: Receiver) -> None:
    endpoint = create(admin, sb, url=hook.url)
    approve_a_refund(sb, admin)
    assert sb.wait_for_deliveries()
    [got] = hook.received
    [delivery] = deliveries(admin, endpoint)
    assert got.headers["Content-Type"] == "application/json"
    assert (got.headers["X-Preo-Event"], got.headers["X-Preo-Delivery"]) == ("refund_request.approved", delivery["id"])
    assert readme_check(endpoint["secret"], got.signature, got.body)
    assert abs(int(got.signature.split(",")[0][2:]) - time.time()) < 60  # the wall clock, not the sandbox's
    assert json.loads(got.body) == delivery["payload"]
    assert (delivery["status"], delivery["attempts"], delivery["response_status_code"]) == ("success", 1, 200)
    assert delivery["delivered_at"] and delivery["next_retry_at"] is None and delivery["error_message"] is None


def test_a_failing_receiver_and_a_refused_connection_fail_the_delivery(sb: Sandbox, admin: Api, hook: Receiver) -> None:
    hook.status = 500
    broken, absent = create(admin, sb, url=hook.url), create(admin, sb, url=NOBODY)
    approve_a_refund(sb, admin)
    [bad_reply] = deliveries(admin, broken)
    assert (bad_reply["status"], bad_reply["response_status_code"]) == ("failed", 500)
    assert bad_reply["response_body"] == "receiver error" and bad_reply["delivered_at"] is None
    [refused] = deliveries(admin, absent)
    assert (refused["status"], refused["response_status_code"]) == ("failed", None)
    assert "Could not connect to 127.0.0.1:9" in refused["error_message"]
    assert [d["id"] for d in deliveries(admin, absent, status="failed")] == [refused["id"]]
    assert deliveries(admin, absent, status="success") == []


def test_a_url_that_cannot_be_sent_fails_the_delivery_not_the_sandbox(sb: Sandbox, admin: Api) -> None:
    endpoint = create(admin, sb, url="http://127.0.0.1:9/hoök")
    approve_a_refund(sb, admin)
    [delivery] = deliveries(admin, endpoint)
    assert delivery["status"] == "failed"
    assert delivery["error_message"].startswith("Could not send to 127.0.0.1:9:")


def test_retry_sends_the_same_event_again(sb: Sandbox, admin: Api, hook: Receiver) -> None:
    hook.status = 503
    endpoint = create(admin, sb, url=hook.url)
    approve_a_refund(sb, admin)
    [failed] = deliveries(admin, endpoint)
    hook.status = 200
    path = f"{BASE}/{endpoint['id']}/deliveries/{failed['id']}"
    retried = admin.post(f"{path}/retry")
    assert retried.status_code == 200
    assert (retried.json()["status"], retried.json()["attempts"]) == ("success", 2)
    assert retried.json()["response_status_code"] == 200 and retried.json()["payload"] == failed["payload"]
    assert len(hook.received) == 2 and hook.received[0].body == hook.received[1].body
    again = admin.post(f"{path}/retry")
    assert (again.status_code, again.json()["code"]) == (409, "invalid_state")
    assert admin.get(path).json()["attempts"] == 2


def test_retry_refusals(sb: Sandbox, admin: Api, staff: Api) -> None:
    endpoint = create(admin, sb)
    approve_a_refund(sb, admin)
    [failed] = deliveries(admin, endpoint)
    path = f"{BASE}/{endpoint['id']}/deliveries/{failed['id']}"
    assert staff.post(f"{path}/retry").status_code == 403
    admin.patch(f"{BASE}/{endpoint['id']}", {"is_active": False})
    paused = admin.post(f"{path}/retry")
    assert (paused.status_code, paused.json()["code"]) == (409, "inactive")
    other = create(admin, sb)
    assert admin.get(f"{BASE}/{other['id']}/deliveries/{failed['id']}").status_code == 404
    assert admin.post(f"{BASE}/{other['id']}/deliveries/{failed['id']}/retry").status_code == 404


def test_rotation_stops_the_old_secret_at_once(sb: Sandbox, admin: Api, hook: Receiver) -> None:
    endpoint = create(admin, sb, url=hook.url)
    new = admin.post(f"{BASE}/{endpoint['id']}/rotate-secret").json()["secret"]
    approve_a_refund(sb, admin)
    assert sb.wait_for_deliveries()
    got = hook.received[-1]
    assert readme_check(new, got.signature, got.body)
    assert not readme_check(endpoint["secret"], got.signature, got.body)


def test_a_slow_receiver_freezes_neither_the_call_nor_the_sandbox(sb: Sandbox, admin: Api, hook: Receiver) -> None:
    hook.delay = 1.5
    endpoint = create(admin, sb, url=hook.url, timeout_seconds=5)
    started = time.monotonic()
    approve_a_refund(sb, admin)
    assert admin.get("/v1/editions").status_code == 200
    assert time.monotonic() - started < 1.0  # the POST is still waiting for its answer
    [delivery] = deliveries(admin, endpoint)  # a delivery read waits for it
    assert delivery["status"] == "success"


def test_one_slow_receiver_does_not_hold_up_the_others(sb: Sandbox, admin: Api, hook: Receiver) -> None:
    hook.delay = 1.5
    with receiver.listening() as fast:
        create(admin, sb, url=hook.url)
        create(admin, sb, url=fast.url)
        started = time.monotonic()
        approve_a_refund(sb, admin)
        while not fast.received and time.monotonic() - started < 1.0:
            time.sleep(0.01)
        assert len(fast.received) == 1 and time.monotonic() - started < 1.0
        assert sb.wait_for_deliveries()
    assert len(hook.received) == 1


def test_a_burst_of_events_is_delivered_completely(sb: Sandbox, admin: Api, hook: Receiver) -> None:
    endpoint = create(admin, sb, url=hook.url, events=["refund_request.created"])
    purchases = sb.store.purchases(org=1, refundable=True)[:15]
    for purchase in purchases:
        assert admin.post(f"/v1/purchases/{purchase['api_id']}/refund", {"reason": "sold_out"}).status_code == 201
    assert sb.wait_for_deliveries()
    assert len(hook.received) == len(purchases) == 15
    assert {d["status"] for d in deliveries(admin, endpoint)} == {"success"}
    assert {r.event["data"]["purchase"]["api_id"] for r in hook.received} == {p["api_id"] for p in purchases}


def test_the_timeout_of_the_endpoint_applies(sb: Sandbox, admin: Api, hook: Receiver) -> None:
    hook.delay = 2.5
    endpoint = create(admin, sb, url=hook.url, timeout_seconds=1)
    approve_a_refund(sb, admin)
    [delivery] = deliveries(admin, endpoint)
    assert delivery["status"] == "failed"
    assert delivery["error_message"] == f"No reply from {urlsplit(hook.url).netloc} within 1 s."


def test_reset_forgets_deliveries_in_flight(sb: Sandbox, admin: Api, hook: Receiver) -> None:
    seeded = dict(sb.store.data.deliveries)
    hook.delay = 0.5
    create(admin, sb, url=hook.url)
    approve_a_refund(sb, admin)
    time.sleep(0.2)  # the POST is now waiting for the receiver
    sb.reset()
    assert sb.wait_for_deliveries()
    assert len(hook.received) == 1
    assert sb.store.data.deliveries == seeded  # the outcome did not land in the fresh state


def test_roles_for_deliveries(sb: Sandbox, as_role: RoleApi) -> None:
    admin, guest = as_role("admin"), as_role("guest")
    endpoint = create(admin, sb)
    assert guest.get(f"{BASE}/{endpoint['id']}/deliveries").status_code == 403
    assert as_role("staff").get(f"{BASE}/{endpoint['id']}/deliveries").status_code == 200
