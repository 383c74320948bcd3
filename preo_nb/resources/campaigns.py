"""Campaigns: one e-mail or SMS to a segment, scheduled or sent now, with delivery stats."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any, ClassVar, Literal

import pandas as pd

from preo_nb.checks import NOT_GIVEN, check_enum, check_id
from preo_nb.errors import PreoValidationError
from preo_nb.resources._base import Resource, changes, filters_of, given, iterates
from preo_nb.resources.consents import check_text

Channel = Literal["email", "sms"]
Status = Literal["draft", "scheduled", "calculating", "sending", "sent", "failed", "cancelled"]
Ordering = Literal[
    "created",
    "-created",
    "modified",
    "-modified",
    "name",
    "-name",
    "scheduled_at",
    "-scheduled_at",
    "total_recipients",
    "-total_recipients",
]
CHANNELS = ("email", "sms")
SMS_MAX = 1600


def send_time(value: Any) -> str:
    """Render a send time as ISO 8601, keeping its offset, or none for a naive value.

    The server reads a naive time in the edition's timezone, so it is passed
    through without one rather than converted here.
    """
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            raise PreoValidationError("scheduled_at", f"{value!r} is not an ISO 8601 datetime") from None
    if not isinstance(value, dt.datetime):
        raise PreoValidationError("scheduled_at", f"must be a datetime or an ISO 8601 string, not {value!r}")
    return value.replace(microsecond=0).isoformat()


def _content(**fields: Any) -> dict[str, Any]:
    """Check the fields of a create or update that were passed."""
    if fields.get("channel") not in (None, NOT_GIVEN):
        check_enum(fields["channel"], "channel", CHANNELS)
    for name in ("segment_id", "email_message_id", "edition_id"):
        if fields.get(name) not in (None, NOT_GIVEN):
            check_id(fields[name], name)
    if fields.get("name") not in (None, NOT_GIVEN):
        check_text(fields["name"], "name")
    body = fields.get("sms_body")
    if body not in (None, NOT_GIVEN) and (not isinstance(body, str) or len(body) > SMS_MAX):
        raise PreoValidationError("sms_body", f"must be a string of at most {SMS_MAX} characters")
    return fields


class Campaigns(Resource):
    """E-mail and SMS campaigns (``preo.campaigns``)."""

    PATHS: ClassVar[dict[str, str]] = {
        "list": "/v1/campaigns",
        "create": "/v1/campaigns",
        "retrieve": "/v1/campaigns/{id}",
        "update": "/v1/campaigns/{id}",
        "delete": "/v1/campaigns/{id}",
        "cancel": "/v1/campaigns/{id}/cancel",
        "schedule": "/v1/campaigns/{id}/schedule",
        "send_now": "/v1/campaigns/{id}/send-now",
        "stats": "/v1/campaigns/{id}/stats",
    }

    def list(
        self,
        *,
        organization_id: str | None = None,
        edition_id: str | None = None,
        status: Status | None = None,
        channel: Channel | None = None,
        search: str | None = None,
        ordering: Ordering | None = None,
        progress: bool | None = None,
    ) -> pd.DataFrame:
        """List campaigns, newest first, as a DataFrame (every page).

        Returns:
            One row per campaign: ``id``, ``name``, ``channel``, ``status``, ``scheduled_at``
            (UTC), ``total_recipients``, ``sent_count``, ``failed_count``...
        """
        filters = filters_of(locals())
        return self._list("campaigns_list", filters, progress)

    @iterates(list)
    def iterate(self, **filters: Any) -> Iterator[dict[str, Any]]:
        """Yield campaigns one by one, reading pages as needed."""
        return self._iterate("campaigns_list", given(**filters))

    def retrieve(self, id: str) -> dict[str, Any]:
        """Fetch one campaign (``scheduled_at`` carries the edition's UTC offset)."""
        return self._get(self._path("retrieve", id))

    def create(
        self,
        *,
        organization_id: str,
        edition_id: str,
        segment_id: str,
        name: str,
        channel: Channel,
        email_message_id: str | None = None,
    ) -> dict[str, Any]:
        """Create a draft campaign for a segment of the same organization.

        An ``email`` campaign needs ``email_message_id`` and an ``sms`` one an
        ``sms_body`` (set with ``update``) before it can be scheduled or sent.
        """
        _content(
            channel=channel, segment_id=segment_id, email_message_id=email_message_id, name=name, edition_id=edition_id
        )
        body = given(
            organization_id=check_id(organization_id, "organization_id"),
            edition_id=edition_id,
            segment_id=segment_id,
            name=name,
            channel=channel,
            email_message_id=email_message_id,
        )
        return self._post(self.PATHS["create"], body)

    def update(
        self,
        id: str,
        *,
        name: str = NOT_GIVEN,
        segment_id: str = NOT_GIVEN,
        channel: Channel = NOT_GIVEN,
        email_message_id: str | None = NOT_GIVEN,
        sms_body: str | None = NOT_GIVEN,
    ) -> dict[str, Any]:
        """Change a draft or scheduled campaign; the only way to set ``sms_body`` (at most 1600 characters)."""
        body = changes(
            **_content(
                name=name, segment_id=segment_id, channel=channel, email_message_id=email_message_id, sms_body=sms_body
            )
        )
        return self._patch(self._path("update", id), body)

    def delete(self, id: str) -> None:
        """Delete a campaign.

        Raises:
            Conflict: ``invalid_state`` while it is calculating or sending.
        """
        self._http.request("DELETE", self._path("delete", id))

    def cancel(self, id: str) -> dict[str, Any]:
        """Stop a campaign that has not finished: it becomes ``cancelled``."""
        return self._post(
            self._path("cancel", id),
            reconcile=self._when(self._path("retrieve", id), lambda campaign: campaign["status"] == "cancelled"),
        )

    def schedule(self, id: str, *, scheduled_at: dt.datetime | pd.Timestamp | str) -> dict[str, Any]:
        """Set (or move) the send time of a draft or scheduled campaign.

        Args:
            scheduled_at: A future datetime or ISO 8601 string. With an offset or
                timezone it is that instant; a **naive value counts in the
                edition's timezone** (``"2026-12-01T10:00"`` is 10:00 at the
                festival), and is sent without an offset so Preo applies that rule.

        Returns:
            The campaign, ``scheduled``; ``scheduled_at`` is shown with the edition's offset.
        """
        when = send_time(scheduled_at)
        return self._post(
            self._path("schedule", id),
            {"scheduled_at": when},
            reconcile=self._when(self._path("retrieve", id), lambda campaign: _scheduled_for(campaign, when)),
        )

    def send_now(self, id: str) -> dict[str, Any]:
        """Start sending at once: the campaign becomes ``calculating``; follow it with ``wait``."""
        return self._post(
            self._path("send_now", id),
            reconcile=self._when(
                self._path("retrieve", id), lambda campaign: campaign["status"] not in ("draft", "scheduled")
            ),
        )

    def stats(self, id: str) -> dict[str, Any]:
        """Return the counters and 0-1 rates: ``sent``, ``delivered``, ``delivery_rate``, ``open_rate``..."""
        return self._get(self._path("stats", id))

    def wait(
        self, id: str, *, timeout: float = 300, interval: float = 2.0, progress: bool | None = None
    ) -> dict[str, Any]:
        """Retrieve a campaign until it is ``sent``, ``failed`` or ``cancelled``.

        A ``draft`` is returned at once (it never moves on its own); a
        ``scheduled`` one is waited for until its send time has passed.

        Raises:
            WaitTimeout: Not finished after ``timeout`` seconds (it goes on).
        """
        done = ("sent", "failed", "cancelled", "draft")
        return self._wait(
            "retrieve", id, field="status", done=done, timeout=timeout, interval=interval, progress=progress
        )


def _scheduled_for(campaign: dict[str, Any], when: str) -> bool:
    """Whether a campaign is scheduled at ``when`` (naive: the edition's wall-clock time)."""
    if campaign.get("status") != "scheduled" or not campaign.get("scheduled_at"):
        return False
    wanted, shown = pd.Timestamp(when), pd.Timestamp(campaign["scheduled_at"])
    return bool(shown.tz_localize(None) == wanted if wanted.tzinfo is None else shown == wanted)
