"""Acceptance: a webhook endpoint on loopback gets signed deliveries from a live sandbox.

A refund approved through the client reaches the receiver signed with the
endpoint's secret; ``preo_nb.signing.verify`` accepts it and refuses tampering,
stale timestamps and wrong secrets; a rotated secret is used from the next
delivery on; a failed delivery succeeds on retry once the receiver recovers.
"""

from collections.abc import Iterator

import pytest

import preo_nb
from preo_nb.sandbox.webhooks import receiver
from preo_nb.sandbox.webhooks.receiver import Receiver
from preo_nb.signing import SignatureVerificationError, parse_header, verify


@pytest.fixture
def hook() -> Iterator[Receiver]:
    with receiver.listening() as found:
        yield found


def approve_next(preo: preo_nb.Client, sandbox, hook: Receiver, edition_id: str):
    """Approve the next requested refund of the edition; return it and what the receiver got."""
    refund_id = preo.refunds.list(edition_id=edition_id, status="requested")["id"].iloc[0]
    before = len(hook.received)
    preo.refunds.approve(refund_id)
    assert sandbox.wait_for_deliveries()
    assert len(hook.received) == before + 1
    return refund_id, hook.received[-1]


def refusal(secret, got, **kwargs):
    with pytest.raises(SignatureVerificationError) as info:
        verify(secret, got.signature, kwargs.pop("body", got.body), **kwargs)
    return info.value.reason


def test_signed_deliveries_rotation_and_retry(sandbox, live, hook):
    edition = live.editions.list(status="current")["id"].iloc[0]
    org = live.editions.retrieve(edition)["organization_id"]
    endpoint = live.webhooks.create(
        organization_id=org,
        name="Refund desk",
        url=hook.url,
        events=["refund_request.approved"],
        edition_id=edition,
        timeout_seconds=5,
    )
    assert live.webhooks.list(organization_id=org).set_index("id").loc[endpoint["id"], "secret"] == "whsec_***"

    # 1. A signed delivery that verifies, and what verify refuses.
    refund_id, got = approve_next(live, sandbox, hook, edition)
    event = verify(endpoint["secret"], got.signature, got.body)
    assert (event["event"], event["data"]["id"], event["data"]["status"]) == (
        "refund_request.approved",
        refund_id,
        "ready",
    )
    assert got.headers["X-Preo-Event"] == "refund_request.approved"
    assert refusal(endpoint["secret"], got, body=got.body.replace(b'"ready"', b'"processed"')) == "signature_mismatch"
    signed_at, _ = parse_header(got.signature)
    assert refusal(endpoint["secret"], got, now=signed_at + 301) == "timestamp_out_of_tolerance"
    assert refusal("whsec_" + "0" * 32, got) == "signature_mismatch"
    [delivery] = live.webhooks.list_deliveries(endpoint["id"]).itertuples()
    assert (delivery.status, delivery.id) == ("success", got.headers["X-Preo-Delivery"])

    # 2. After rotation the old secret fails on the next delivery; the new one works.
    rotated = live.webhooks.rotate_secret(endpoint["id"])["secret"]
    assert rotated != endpoint["secret"]
    _, got = approve_next(live, sandbox, hook, edition)
    assert refusal(endpoint["secret"], got) == "signature_mismatch"
    assert verify(rotated, got.signature, got.body)["event"] == "refund_request.approved"

    # 3. A failing receiver gives a failed delivery; retry succeeds once it recovers.
    hook.status = 500
    _, got = approve_next(live, sandbox, hook, edition)
    failed = live.webhooks.list_deliveries(endpoint["id"], status="failed")
    assert len(failed) == 1 and failed["response_status_code"].iloc[0] == 500
    hook.status = 200
    retried = live.webhooks.retry_delivery(endpoint["id"], failed["id"].iloc[0])
    assert (retried["status"], retried["attempts"], retried["response_status_code"]) == ("success", 2, 200)
    again = hook.received[-1]
    assert again.body == got.body  # the same payload and event id
    assert verify(rotated, again.signature, again.body)["id"] == retried["payload"]["id"]
    assert set(live.webhooks.list_deliveries(endpoint["id"])["status"]) == {"success"}
