import datetime as dt

import pandas as pd
import pytest

import preo_nb
from preo_nb import contract
from preo_nb.resources.campaigns import send_time

from .helpers import first_edition


def draft(preo, channel="email", **fields):
    """A draft campaign in the first edition, to the organization's newsletter segment."""
    edition = first_edition(preo)
    segment = preo.segments.list(organization_id=edition["organization_id"], search="newsletter")["id"].iloc[0]
    if channel == "email":
        fields.setdefault("email_message_id", edition["transaction_receipt_email_id"])
    return preo.campaigns.create(
        organization_id=edition["organization_id"],
        edition_id=edition["id"],
        segment_id=segment,
        name="Autumn news",
        channel=channel,
        **fields,
    )


@pytest.mark.vcr
def test_list_returns_typed_campaigns(preo):
    df = preo.campaigns.list()
    assert list(df["status"].cat.categories) == list(contract.enum("CampaignStatus"))
    assert str(df["scheduled_at"].dtype) == "datetime64[ns, UTC]" and df["total_recipients"].dtype == "Int64"
    assert set(df["status"]) == {"sent", "draft", "scheduled"}
    scheduled = df.loc[df["status"] == "scheduled", "scheduled_at"].iloc[0]
    assert scheduled == dt.datetime(2026, 11, 1, 9, tzinfo=dt.UTC)  # 10:00 in Copenhagen


@pytest.mark.vcr
def test_list_filters_and_iterate(preo):
    assert preo.campaigns.list(channel="sms")["name"].tolist() == ["Last orders at the bar"]
    assert preo.campaigns.list(status="sent", search="THANK")["sent_count"].iloc[0] > 0
    by_name = preo.campaigns.list(ordering="name")
    assert by_name["name"].tolist() == sorted(by_name["name"], key=str.casefold)
    assert [c["id"] for c in preo.campaigns.iterate(ordering="name")] == by_name["id"].tolist()


@pytest.mark.vcr
def test_send_now_wait_and_stats(preo):
    made = draft(preo)
    assert made["status"] == "draft" and preo.campaigns.wait(made["id"], interval=0)["status"] == "draft"
    assert preo.campaigns.send_now(made["id"])["status"] == "calculating"
    sending = preo.campaigns.retrieve(made["id"])
    assert sending["status"] == "sending" and sending["total_recipients"] > 0
    sent = preo.campaigns.wait(made["id"], interval=0)
    assert (sent["status"], sent["sent_count"]) == ("sent", sending["total_recipients"])
    stats = preo.campaigns.stats(made["id"])
    assert (stats["sent"], stats["delivered"], stats["delivery_rate"], stats["open_rate"]) == (
        sent["sent_count"],
        sent["sent_count"],
        1.0,
        0.0,
    )


@pytest.mark.vcr
def test_schedule_in_the_edition_timezone_and_cancel(preo):
    made = draft(preo, "sms")
    with pytest.raises(preo_nb.BadRequest) as info:
        preo.campaigns.schedule(made["id"], scheduled_at="2026-12-01T10:00:00")
    assert "sms_body" in info.value.field_errors
    assert preo.campaigns.update(made["id"], sms_body="Tickets for 2027 are out!")["sms_body"]
    local = preo.campaigns.schedule(made["id"], scheduled_at=dt.datetime(2026, 12, 1, 10))
    assert (local["status"], local["scheduled_at"]) == ("scheduled", "2026-12-01T10:00:00+01:00")
    utc = preo.campaigns.schedule(made["id"], scheduled_at=dt.datetime(2026, 12, 1, 10, tzinfo=dt.UTC))
    assert utc["scheduled_at"] == "2026-12-01T11:00:00+01:00"
    assert preo.campaigns.cancel(made["id"])["status"] == "cancelled"
    assert preo.campaigns.wait(made["id"], interval=0)["status"] == "cancelled"
    with pytest.raises(preo_nb.Conflict) as refused:
        preo.campaigns.cancel(made["id"])
    assert refused.value.code == "invalid_state"


@pytest.mark.vcr
def test_update_and_delete(preo):
    made = draft(preo, "sms", email_message_id=None)
    changed = preo.campaigns.update(
        made["id"],
        name="Renamed",
        channel="email",
        email_message_id=first_edition(preo)["transaction_receipt_email_id"],
    )
    assert (changed["name"], changed["channel"]) == ("Renamed", "email")
    preo.campaigns.send_now(made["id"])
    with pytest.raises(preo_nb.Conflict):
        preo.campaigns.delete(made["id"])
    preo.campaigns.cancel(made["id"])
    assert preo.campaigns.delete(made["id"]) is None
    with pytest.raises(preo_nb.NotFound):
        preo.campaigns.retrieve(made["id"])


@pytest.mark.parametrize(
    ("given", "sent"),
    [
        (dt.datetime(2026, 12, 1, 10, 0, 0, 123), "2026-12-01T10:00:00"),  # naive stays naive: edition time
        ("2026-12-01T10:00", "2026-12-01T10:00:00"),
        ("2026-12-01T10:00:00Z", "2026-12-01T10:00:00+00:00"),
        (pd.Timestamp("2026-12-01 10:00", tz="Europe/Amsterdam"), "2026-12-01T10:00:00+01:00"),
    ],
)
def test_send_times_keep_their_offset_or_have_none(given, sent):
    assert send_time(given) == sent
