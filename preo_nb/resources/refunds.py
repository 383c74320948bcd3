"""Refund requests: list, file, approve and reject."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any, ClassVar, Literal

import pandas as pd

from preo_nb import _pages, _values, contract, refund_rules
from preo_nb._http import Reconcile
from preo_nb.checks import check_amount, check_enum, check_id
from preo_nb.errors import AwaitingApproval, PreoValidationError, Unprovable
from preo_nb.refund_rules import CUSTOM_SCOPES, FINAL_STATES, effective_scope
from preo_nb.resources._base import Resource, filters_of, given, iterates

Reason = Literal[
    "deposit_reclaim",
    "sold_out",
    "event_cancelled",
    "product_defect",
    "duplicate_purchase",
    "customer_request",
    "compensation",
    "overcharge",
    "other",
    "rental_return",
]
Scope = Literal[
    "purchase_price",
    "purchase_deposit",
    "purchase_full",
    "purchase_custom",
    "transaction_full",
    "transaction_custom",
]
Status = Literal[
    "requested",
    "ready",
    "processing",
    "awaiting_gateway",
    "processed",
    "failed",
    "rejected",
    "invalid",
]
CLOCK_TOLERANCE = timedelta(seconds=2)
"""How far the server's ``Date`` and its records' stamps may disagree (whole-second stamps included)."""


def open_request_like(resource: Resource, purchase_id: str, body: dict[str, Any]) -> Reconcile:
    """A reconciler for a lost refund POST: the request it made, proven, or None when none could be it.

    Call it right before sending: the time it is made bounds when the request can have
    been created. Every refund request of the purchase that could be this one (same
    reason, effective scope and amount, not rejected, invalid or failed) counts,
    whatever its stamp: timestamps alone never conclude "did not take effect". With
    no such request the POST is sent again. One is adopted only when it is the only
    one and provably new: created after the POST began by the server's ``Date``
    (``CLOCK_TOLERANCE`` to spare), and no record of the purchase stamped later than
    that ``Date`` allows (a proxy stamping its own clock would otherwise make old
    requests look new). Anything else raises ``Unprovable`` (the client's
    ``UnknownOutcome``): never sent again, never adopted. Every row must be for this
    purchase, else the server ignored ``purchase_id`` (an inferred filter).
    """
    started = time.monotonic()
    scope = effective_scope(body["reason"], body.get("scope"))
    amount = _values.decimal_of(body.get("amount"))
    check = f"GET /v1/refunds?purchase_id={purchase_id}"

    def find() -> dict[str, Any] | None:
        found, now = _pages.read_dated(resource._http, "/v1/refunds", {"purchase_id": purchase_id})
        strangers = [r for r in found if (r.get("purchase") or {}).get("api_id") != purchase_id]
        if strangers:
            raise Unprovable(
                f"the server ignored purchase_id: it listed {len(strangers)} request(s) of other purchases", check=check
            )
        alike = [r for r in found if refund_rules.could_be(r, reason=body["reason"], scope=scope, amount=amount)]
        if not alike:
            return None  # nothing that could be it exists: it did not take effect
        new = _provably_new(found, alike, started, now)
        if len(alike) == 1 and len(new) == 1:
            return dict(new[0])
        raise Unprovable(
            f"{len(alike)} request(s) like it exist ({', '.join(str(r.get('id')) for r in alike)}; reason "
            f"{body['reason']}, scope {scope}" + (f", amount {amount}" if amount is not None else "") + f") and "
            f"{len(new)} is provably made since the POST began; {_clock_note(found, now)}",
            check=check,
        )

    return find


def _provably_new(
    found: list[dict[str, Any]], alike: list[dict[str, Any]], started: float, now: datetime | None
) -> list[dict[str, Any]]:
    """The requests of ``alike`` created after the POST began, by the list's ``Date`` (``now``) if it agrees
    with the stamps."""
    stamps = [_stamp(r) for r in found]
    if now is None or any(s is None or s > now + CLOCK_TOLERANCE for s in stamps):
        return []  # no Date, an unreadable stamp, or a Date behind the records: the clocks cannot be compared
    since = now - timedelta(seconds=time.monotonic() - started) - CLOCK_TOLERANCE
    return [r for r in alike if (stamp := _stamp(r)) is not None and stamp >= since]


def _clock_note(found: list[dict[str, Any]], now: datetime | None) -> str:
    """Why newness could not be proven, in words: the server's ``Date`` (``now``) against its newest stamp."""
    stamps = [s for s in map(_stamp, found) if s is not None]
    newest = max(stamps).isoformat() if stamps else "unreadable"
    told = now.isoformat() if now is not None else "missing"
    return f"the server's Date says {told}, its newest request is stamped {newest}"


def _stamp(request: dict[str, Any]) -> datetime | None:
    """When a request was created, as an aware datetime (None when missing or unreadable)."""
    created = request.get("created")
    if not isinstance(created, str):
        return None
    try:
        stamp = pd.Timestamp(created)
    except (TypeError, ValueError):
        return None
    if pd.isna(stamp):
        return None
    return (stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp).to_pydatetime()


def refund_body(reason: Any, scope: Any, amount: Any, comment: str, pickup_point_id: str | None) -> dict[str, Any]:
    """Check a refund request before it is sent and return its JSON body.

    The scope defaults from the reason; the custom scopes need ``0 < amount``;
    the other scopes compute the amount on the server, so passing one is refused
    rather than silently ignored.
    """
    reason = check_enum(reason, "reason", contract.enum("RefundReason"))
    chosen = None if scope is None else check_enum(scope, "scope", contract.enum("RefundScope"))
    effective = effective_scope(reason, chosen)
    if effective in CUSTOM_SCOPES:
        if amount is None:
            raise PreoValidationError("amount", f"is required for scope {effective} (reason {reason})")
        amount = check_amount(amount)
    elif amount is not None:
        raise PreoValidationError(
            "amount",
            f"is computed by Preo for scope {effective}; leave it out, or pass scope='purchase_custom'",
        )
    if not isinstance(comment, str):
        raise PreoValidationError("comment", f"must be a string, not {type(comment).__name__}")
    body = given(reason=reason, scope=scope, amount=amount, comment=comment)
    if pickup_point_id is not None:
        body["pickup_point_id"] = check_id(pickup_point_id, "pickup_point_id")
    return body


class Refunds(Resource):
    """Refund requests of the editions you can see (``preo.refunds``)."""

    PATHS: ClassVar[dict[str, str]] = {
        "list": "/v1/refunds",
        "create": "/v1/refunds",
        "retrieve": "/v1/refunds/{id}",
        "approve": "/v1/refunds/{id}/approve",
        "reject": "/v1/refunds/{id}/reject",
    }

    def list(
        self,
        *,
        edition_id: str | None = None,
        organization_id: str | None = None,
        purchase_id: str | None = None,
        reason: Reason | None = None,
        scope: Scope | None = None,
        status: Status | None = None,
        progress: bool | None = None,
    ) -> pd.DataFrame:
        """List refund requests, newest first, as a DataFrame (every page).

        Returns:
            One row per request: ``id``, ``status``, ``reason``, ``scope``, ``amount``,
            ``purchase.*``, ``transaction.*``, ``staff_user.*``, ``created``...
        """
        filters = filters_of(locals())
        return self._list("refunds_list", filters, progress)

    @iterates(list)
    def iterate(self, **filters: Any) -> Iterator[dict[str, Any]]:
        """Yield refund requests one by one, reading pages as needed."""
        return self._iterate("refunds_list", given(**filters))

    def retrieve(self, id: str) -> dict[str, Any]:
        """Fetch one refund request (an approved one moves on as Preo pays it out)."""
        return self._get(self._path("retrieve", id))

    def create(
        self,
        purchase_id: str,
        *,
        reason: Reason,
        scope: Scope | None = None,
        amount: float | None = None,
        comment: str = "",
        pickup_point_id: str | None = None,
    ) -> dict[str, Any]:
        """File a refund request for a purchase named in the body.

        Same rules as ``preo.purchases.refund``: ``reason`` decides the default
        scope; ``amount`` only for ``purchase_custom``/``transaction_custom``.

        Returns:
            The new refund request, status ``requested``.
        """
        body = {
            "purchase_id": check_id(purchase_id, "purchase_id"),
            **refund_body(reason, scope, amount, comment, pickup_point_id),
        }
        return self._post(self.PATHS["create"], body, reconcile=open_request_like(self, purchase_id, body))

    def approve(self, id: str) -> dict[str, Any]:
        """Approve a ``requested`` refund: it becomes ``ready`` (or ``invalid`` if the money is gone)."""
        return self._post(self._path("approve", id), reconcile=self._decided(id))

    def reject(self, id: str, *, comment: str | None = None) -> dict[str, Any]:
        """Reject a ``requested`` refund; ``comment`` replaces the request's comment."""
        return self._post(self._path("reject", id), given(comment=comment), reconcile=self._decided(id))

    def _decided(self, id: str) -> Reconcile:
        return self._when(self._path("retrieve", id), lambda request: request["status"] != "requested")

    def wait(
        self, id: str, *, timeout: float = 300, interval: float = 2.0, progress: bool | None = None
    ) -> dict[str, Any]:
        """Retrieve a refund request until it is final (processed, failed, rejected or invalid).

        Raises:
            AwaitingApproval: It is still ``requested``, at once: only approving (or
                rejecting) it moves it on, so waiting would only run out the timeout.
            WaitTimeout: Still open after ``timeout`` seconds (the payout goes on).
        """
        final = FINAL_STATES
        # "requested" ends the wait too (nothing but a decision moves it), to be refused below.
        found = self._wait(
            "retrieve",
            id,
            field="status",
            done=(*final, "requested"),
            timeout=timeout,
            interval=interval,
            progress=progress,
        )
        if found.get("status") == "requested":
            raise AwaitingApproval(found)
        return found
