import re

import pytest

import preo_nb
from preo_nb import contract

NOBODY = "http://127.0.0.1:9/hook"  # nothing listens: deliveries fail at once, the same way every time


def my_organization(preo):
    return preo.auth.me()["organizations"][0]["id"]


def new_endpoint(preo, **fields):
    body = {"organization_id": my_organization(preo), "name": "Ledger", "url": NOBODY, "events": ["*"], **fields}
    return preo.webhooks.create(**body)


@pytest.mark.vcr
def test_create_retrieve_update_and_delete(preo):
    made = new_endpoint(preo, events=["refund_request.processed"], is_active=False, timeout_seconds=5)
    assert (made["is_active"], made["timeout_seconds"], made["events"]) == (False, 5, ["refund_request.processed"])
    assert made["secret"].reveal().startswith("whsec_")
    assert preo.webhooks.retrieve(made["id"]) == made
    changed = preo.webhooks.update(made["id"], name="Ledger v2", events=["*"], edition_id=None)
    assert (changed["name"], changed["events"], changed["secret"]) == ("Ledger v2", ["*"], made["secret"])
    assert preo.webhooks.delete(made["id"]) is None
    with pytest.raises(preo_nb.NotFound):
        preo.webhooks.retrieve(made["id"])


@pytest.mark.vcr
def test_list_masks_secrets_unless_asked(preo):
    made = new_endpoint(preo, is_active=False)
    df = preo.webhooks.list()
    assert set(df["secret"]) == {"whsec_***"}
    assert df["is_active"].dtype == "boolean" and df["timeout_seconds"].dtype == "Int64"
    shown = preo.webhooks.list(show_secrets=True).set_index("id")
    assert shown.loc[made["id"], "secret"] == made["secret"] != "whsec_***"
    paused = preo.webhooks.list(is_active=False, ordering="name")
    assert not paused["is_active"].any() and made["id"] in set(paused["id"])
    assert {w["id"]: w["secret"] for w in preo.webhooks.iterate()}[made["id"]] == made["secret"]


@pytest.mark.vcr
def test_rotate_secret_replaces_it(preo):
    made = new_endpoint(preo, is_active=False)
    rotated = preo.webhooks.rotate_secret(made["id"])
    assert rotated["secret"] != made["secret"]
    assert preo.webhooks.retrieve(made["id"])["secret"] == rotated["secret"]


@pytest.mark.vcr
def test_deliveries_of_an_approved_refund_and_retry(preo):
    endpoint = new_endpoint(preo, events=["refund_request.approved"], timeout_seconds=2)
    refund = preo.refunds.list(status="requested")["id"].iloc[0]
    preo.refunds.approve(refund)
    deliveries = preo.webhooks.list_deliveries(endpoint["id"])
    assert len(deliveries) == 1
    assert list(deliveries["status"].cat.categories) == list(contract.enum("WebhookDeliveryStatus"))
    row = deliveries.iloc[0]
    assert (row["status"], row["event"], row["payload.data"]["id"]) == ("failed", "refund_request.approved", refund)
    assert re.match(r"Could not connect to 127\.0\.0\.1:9", row["error_message"])
    assert [d["id"] for d in preo.webhooks.iterate_deliveries(endpoint["id"], status="failed")] == [row["id"]]
    detail = preo.webhooks.retrieve_delivery(endpoint["id"], row["id"])
    assert detail["payload"]["event"] == "refund_request.approved" and detail["attempts"] == 1
    retried = preo.webhooks.retry_delivery(endpoint["id"], row["id"])
    assert (retried["status"], retried["attempts"], retried["payload"]) == ("failed", 2, detail["payload"])
    preo.webhooks.update(endpoint["id"], is_active=False)
    with pytest.raises(preo_nb.Conflict) as info:
        preo.webhooks.retry_delivery(endpoint["id"], row["id"])
    assert info.value.code == "inactive"
    assert preo.webhooks.list_deliveries(endpoint["id"], status="success").empty


@pytest.mark.vcr
def test_seeded_ledger_keeps_a_delivery_history(preo):
    ledger = preo.webhooks.list(is_active=False).query("name.str.startswith('Finance')").iloc[0]
    history = preo.webhooks.list_deliveries(ledger["id"])
    assert set(history["status"]) == {"success", "failed"}
    assert set(history["event"]) <= {"refund_request.processed", "refund_request.failed"}
    failed = history[history["status"] == "failed"]["id"].iloc[0]
    with pytest.raises(preo_nb.Conflict) as info:
        preo.webhooks.retry_delivery(ledger["id"], failed)
    assert info.value.code == "inactive"


@pytest.mark.vcr
def test_staff_reads_but_cannot_register(preo_as):
    staff = preo_as("staff")
    org = my_organization(staff)
    assert not staff.webhooks.list(organization_id=org).empty
    with pytest.raises(preo_nb.PermissionDenied):
        staff.webhooks.create(organization_id=org, name="Mine", url=NOBODY, events=["*"])
