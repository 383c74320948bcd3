"""Settling a bulk refund's ``sent`` rows by hand, checked before anything is written.

``preo-nb bulk-refund --settle PURCHASE REFUND`` (or ``refund_purchases(..., settle=...)``)
records a person's verdict on a row whose outcome is unknown. The journal has already
been checked to be this job's (``Journal.bind``) and for this purchase list; here every
verdict is checked with Preo too, and only when all of them hold are any rows changed:

* the row is ``sent``;
* a refund request named is on Preo, is for that purchase, could be this job's (the job's
  reason, scope and amount, and not rejected, invalid or failed) and was not in the
  row's snapshot from before its POST (then it existed before this job sent anything).

``none`` (no request is this job's) is the person's word: the row goes back to
``pending`` and is sent again on this run.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from preo_nb import refund_rules
from preo_nb._values import decimal_of
from preo_nb.errors import NotFound, PreoValidationError
from preo_nb.journal import Journal, Row

if TYPE_CHECKING:
    from preo_nb.client import Client


def settle(
    preo: Client, book: Journal, verdicts: Mapping[str, str | None], *, body: dict[str, Any], scope: str
) -> None:
    """Check every verdict (purchase id -> refund request id, or None), then record them all.

    Raises:
        PreoValidationError: A verdict does not hold (the reason is named); no row changed.
    """
    rows = {row.purchase_id: row for row in book.todo()}
    for purchase_id, refund_id in verdicts.items():
        row = rows.get(purchase_id)
        if row is None or row.state != "sent":
            state = "not a sent row of this journal" if row is None else row.state
            raise PreoValidationError("settle", f"{purchase_id} is {state}; only a sent row can be settled")
        if refund_id is not None:
            _check(preo, row, refund_id, body, scope)
    for purchase_id, refund_id in verdicts.items():
        book.settle(purchase_id, refund_id)


def _check(preo: Client, row: Row, refund_id: str, body: dict[str, Any], scope: str) -> None:
    """Raise unless ``refund_id`` could be the refund this job filed for ``row``."""
    try:
        found = preo.refunds.retrieve(refund_id)
    except NotFound:
        raise PreoValidationError("settle", f"there is no refund request {refund_id} on this API") from None
    owner = (found.get("purchase") or {}).get("api_id")
    if owner != row.purchase_id:
        raise PreoValidationError(
            "settle", f"{refund_id} is a refund request of {owner}, not of {row.purchase_id}; nothing was changed"
        )
    amount = decimal_of(body.get("amount"))
    if not refund_rules.could_be(found, reason=body["reason"], scope=scope, amount=amount):
        raise PreoValidationError(
            "settle",
            f"{refund_id} is not this job's refund: it is {_shown(found)}, the job files "
            f"{_shown({'reason': body['reason'], 'scope': scope, 'amount': amount})}; nothing was changed",
        )
    if refund_id in (row.before_ids or ()):
        raise PreoValidationError(
            "settle", f"{refund_id} existed before this job sent {row.purchase_id}'s refund; nothing was changed"
        )


def _shown(request: Mapping[str, Any]) -> str:
    amount = request.get("amount")
    status = request.get("status")
    return (
        f"{request.get('reason')}, {request.get('scope')}"
        + (f", amount {amount}" if amount is not None else "")
        + (f", {status}" if status else "")
    )
