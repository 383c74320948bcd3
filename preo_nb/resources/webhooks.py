"""Webhook endpoints, their deliveries, retries and signing secrets.

To check the signature of what Preo POSTs to your endpoint, see ``preo_nb.signing``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, ClassVar, Literal
from urllib.parse import urlsplit

import pandas as pd

from preo_nb._secret import guard
from preo_nb.checks import NOT_GIVEN, check_id
from preo_nb.errors import PreoValidationError
from preo_nb.resources._base import Resource, changes, filters_of, given, iterates

DeliveryStatus = Literal["pending", "success", "failed"]
Ordering = Literal["created", "-created", "modified", "-modified", "name", "-name"]
MASKED_SECRET = "whsec_***"  # noqa: S105 - the mask shown instead of a secret
"""What ``list()`` shows in the ``secret`` column unless ``show_secrets=True``."""


def _url(value: Any) -> str:
    parts = urlsplit(value) if isinstance(value, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise PreoValidationError("url", f"must be an http(s) URL with a host, not {value!r}")
    return str(value)


def _events(value: Any) -> list[str]:
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise PreoValidationError("events", f"must be a list of event names (['*'] for all), not {value!r}")
    if not value or not all(isinstance(e, str) and e.strip() for e in value):
        raise PreoValidationError("events", "needs at least one event name, none blank (['*'] for all)")
    return [str(e) for e in value]


def _timeout(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 60:
        raise PreoValidationError("timeout_seconds", f"must be a whole number of seconds from 1 to 60, not {value!r}")
    return value


def _name(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise PreoValidationError("name", f"must be a non-empty string, not {value!r}")
    return value


def _checked(name: Any, url: Any, events: Any, edition_id: Any, timeout_seconds: Any) -> dict[str, Any]:
    """Check the endpoint fields that were passed (``NOT_GIVEN``/``None`` are left as they are)."""

    def passed(value: Any) -> bool:
        return value is not NOT_GIVEN and value is not None

    return {
        "name": _name(name) if passed(name) else name,
        "url": _url(url) if passed(url) else url,
        "events": _events(events) if passed(events) else events,
        "edition_id": check_id(edition_id, "edition_id") if passed(edition_id) else edition_id,
        "timeout_seconds": _timeout(timeout_seconds) if passed(timeout_seconds) else timeout_seconds,
    }


def _mask_secrets(found: pd.DataFrame) -> pd.DataFrame:
    found["secret"] = found["secret"].mask(found["secret"].notna(), MASKED_SECRET)
    return found


class Webhooks(Resource):
    """Webhook endpoints (``preo.webhooks``): where Preo POSTs events, and what happened to each POST.

    Each endpoint has a signing secret (``whsec_...``). The API returns it on every
    read, so the dicts returned here hold it; ``list()`` masks it in its DataFrame
    unless you pass ``show_secrets=True``, so a displayed table never leaks it.
    """

    PATHS: ClassVar[dict[str, str]] = {
        "list": "/v1/webhooks",
        "create": "/v1/webhooks",
        "retrieve": "/v1/webhooks/{id}",
        "update": "/v1/webhooks/{id}",
        "delete": "/v1/webhooks/{id}",
        "list_deliveries": "/v1/webhooks/{id}/deliveries",
        "retrieve_delivery": "/v1/webhooks/{id}/deliveries/{delivery_id}",
        "retry_delivery": "/v1/webhooks/{id}/deliveries/{delivery_id}/retry",
        "rotate_secret": "/v1/webhooks/{id}/rotate-secret",
    }

    def list(
        self,
        *,
        organization_id: str | None = None,
        edition_id: str | None = None,
        is_active: bool | None = None,
        ordering: Ordering | None = None,
        show_secrets: bool = False,
        progress: bool | None = None,
    ) -> pd.DataFrame:
        """List the endpoints you can see as a DataFrame (every page).

        Args:
            organization_id: Only this organization's endpoints.
            edition_id: Only endpoints limited to this edition.
            is_active: Only active (True) or paused (False) endpoints.
            ordering: ``created``, ``modified`` or ``name``; a leading ``-`` sorts descending.
            show_secrets: Show the signing secrets; by default the ``secret`` column
                holds ``"whsec_***"`` so a displayed or exported table leaks none.
            progress: Show a progress bar (default: when several pages are read).

        Returns:
            One row per endpoint: ``id``, ``organization_id``, ``name``, ``url``,
            ``edition_id``, ``events`` (a list), ``is_active``, ``timeout_seconds``,
            ``secret``, ``created``, ``modified``.
        """
        filters = filters_of(locals(), "show_secrets")
        return self._list("webhooks_list", filters, progress, finish=None if show_secrets else _mask_secrets)

    @iterates(list)
    def iterate(self, **filters: Any) -> Iterator[dict[str, Any]]:
        """Yield endpoints one by one, reading pages as needed (``secret`` is a masked ``Secret``)."""
        filters.pop("show_secrets", None)  # a masked Secret either way
        return (guard(endpoint) for endpoint in self._iterate("webhooks_list", given(**filters)))

    def retrieve(self, id: str) -> dict[str, Any]:
        """Fetch one endpoint; its ``secret`` shows as ``whsec_***`` until you call ``.reveal()``."""
        return guard(self._get(self._path("retrieve", id)))

    def create(
        self,
        *,
        organization_id: str,
        name: str,
        url: str,
        events: Sequence[str],
        edition_id: str | None = None,
        is_active: bool | None = None,
        timeout_seconds: int | None = None,
    ) -> dict[str, Any]:
        """Register an endpoint (admin or manager); Preo generates its signing ``secret``.

        Args:
            organization_id: The owner.
            name: A label for people.
            url: Where events are POSTed (http or https).
            events: Event names, e.g. ``["refund_request.processed"]``; ``["*"]`` for all.
            edition_id: Only events of this edition (default: every edition of the organization).
            is_active: Default True; paused endpoints get no deliveries.
            timeout_seconds: Per-attempt timeout, 1-60 (default 30).

        Returns:
            The endpoint; ``endpoint["secret"].reveal()`` gives the signing secret for your receiver.
        """
        body = _checked(name, url, events, edition_id, timeout_seconds)
        return guard(
            self._post(
                self.PATHS["create"],
                given(organization_id=check_id(organization_id, "organization_id"), is_active=is_active, **body),
            )
        )

    def update(
        self,
        id: str,
        *,
        name: str = NOT_GIVEN,
        url: str = NOT_GIVEN,
        events: Sequence[str] = NOT_GIVEN,
        edition_id: str | None = NOT_GIVEN,
        is_active: bool = NOT_GIVEN,
        timeout_seconds: int = NOT_GIVEN,
    ) -> dict[str, Any]:
        """Change the fields you pass (``edition_id=None`` widens it to every edition); returns the endpoint."""
        body = _checked(name, url, events, edition_id, timeout_seconds)
        return guard(self._patch(self._path("update", id), changes(is_active=is_active, **body)))

    def delete(self, id: str) -> None:
        """Delete an endpoint and its delivery history."""
        self._http.request("DELETE", self._path("delete", id))

    def list_deliveries(
        self,
        id: str,
        *,
        status: DeliveryStatus | None = None,
        event: str | None = None,
        progress: bool | None = None,
    ) -> pd.DataFrame:
        """List one endpoint's deliveries, newest first, as a DataFrame (every page).

        Returns:
            One row per delivery: ``id``, ``event``, ``status``, ``attempts``,
            ``response_status_code``, ``response_body``, ``error_message``,
            ``delivered_at``, ``payload.*`` (``payload.data`` is the object sent), ``created``...
        """
        return self._list(
            "webhooks_list_deliveries",
            given(status=status, event=event),
            progress,
            path=self._path("list_deliveries", id),
        )

    def iterate_deliveries(
        self, id: str, *, status: DeliveryStatus | None = None, event: str | None = None
    ) -> Iterator[dict[str, Any]]:
        """Yield one endpoint's deliveries one by one, newest first, reading pages as needed."""
        return self._iterate(
            "webhooks_list_deliveries", given(status=status, event=event), path=self._path("list_deliveries", id)
        )

    def retrieve_delivery(self, id: str, delivery_id: str) -> dict[str, Any]:
        """Fetch one delivery: the exact ``payload`` POSTed and the last reply or error."""
        return self._get(self._path("retrieve_delivery", id, delivery_id))

    def retry_delivery(self, id: str, delivery_id: str) -> dict[str, Any]:
        """POST a failed delivery again (same payload and event id, fresh signature) and return it.

        Returns:
            The delivery after this attempt: ``status`` ``success`` or ``failed``.

        Raises:
            Conflict: ``invalid_state`` unless the delivery failed; ``inactive`` when
                the endpoint is paused.
        """
        before = self.retrieve_delivery(id, delivery_id)["attempts"]
        return self._post(
            self._path("retry_delivery", id, delivery_id),
            reconcile=self._when(
                self._path("retrieve_delivery", id, delivery_id), lambda delivery: delivery["attempts"] > before
            ),
        )

    def rotate_secret(self, id: str) -> dict[str, Any]:
        """Give the endpoint a new signing secret; the old one stops working at once.

        Returns:
            The endpoint with its new ``secret`` (``.reveal()`` it): update your receiver right away.

        Raises:
            UnknownOutcome: The answer was lost; whether the secret changed cannot be
                told from outside, so it is not rotated again behind your back.
        """
        return guard(self._post(self._path("rotate_secret", id)))
