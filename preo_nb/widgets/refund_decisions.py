"""The refund queue's model: the open requests of an edition, and deciding them one by one.

Display-free: ``load_queue`` reads the rows, ``check_decision`` refuses a
decision before anything is sent, ``decide`` approves or rejects each
selected request and says what became of it, row by row.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from preo_nb.errors import PreoError, PreoValidationError
from preo_nb.refund_rules import OPEN_STATES
from preo_nb.widgets._html import money
from preo_nb.widgets.refund_draft import read_money

if TYPE_CHECKING:
    from preo_nb.client import Client

PAYOUT = ("ready", "processing", "awaiting_gateway")
ACTIONS = ("approve", "reject")


@dataclass(frozen=True)
class QueueRow:
    """One open refund request as the queue shows it."""

    id: str
    status: str
    amount: Decimal | None  # None: Preo sent no readable amount
    currency: str
    reason: str
    scope: str
    product: str
    customer: str
    created: str
    comment: str
    pickup_point: str

    @classmethod
    def from_api(cls, request: Mapping[str, Any]) -> QueueRow:
        """Build a row from a RefundRequest."""
        purchase = request.get("purchase") or {}
        transaction = request.get("transaction") or {}
        return cls(
            id=request["id"],
            status=request["status"],
            amount=read_money(request.get("amount")),
            currency=transaction.get("currency") or "eur",
            reason=request.get("reason") or "",
            scope=request.get("scope") or "",
            product=(purchase.get("product") or {}).get("name") or "?",
            customer=(purchase.get("user") or {}).get("full_name") or "?",
            created=request.get("created") or "",
            comment=request.get("comment") or "",
            pickup_point=(request.get("pickup_point") or {}).get("name") or "",
        )

    @property
    def decidable(self) -> bool:
        """Whether it can still be approved or rejected."""
        return self.status == "requested"

    def cells(self) -> tuple[str, ...]:
        """The row's text: id, who and what, amount, reason, scope, state."""
        return (
            self.id,
            f"{self.customer} · {self.product}",
            money(self.amount, self.currency),
            self.reason.replace("_", " "),
            self.scope,
            self.status.replace("_", " "),
        )


@dataclass(frozen=True)
class Outcome:
    """What became of one request: ``ok`` with its new status, or why not."""

    id: str
    ok: bool
    status: str | None
    message: str


def load_queue(preo: Client, edition_id: str) -> list[QueueRow]:
    """The edition's ``requested`` refunds (oldest first), then those still being paid out."""
    rows = []
    for status in OPEN_STATES:
        found = [QueueRow.from_api(r) for r in preo.refunds.iterate(edition_id=edition_id, status=status)]
        rows += sorted(found, key=lambda row: (row.created, row.id))
    return rows


def check_decision(action: str, ids: Sequence[str], comment: str) -> None:
    """Refuse a decision that cannot be sent.

    Raises:
        PreoValidationError: Nothing selected, an unknown action, or a rejection without a comment.
    """
    if action not in ACTIONS:
        raise PreoValidationError("action", f"{action!r} is not one of {', '.join(ACTIONS)}")
    if not ids:
        raise PreoValidationError("selection", "select at least one requested refund")
    if action == "reject" and not comment.strip():
        raise PreoValidationError("comment", "say why you reject them (the comment replaces the request's)")


def decide_one(preo: Client, action: str, id: str, comment: str) -> Outcome:
    """Approve or reject one request; an error is this row's outcome, not the batch's end."""
    try:
        made = preo.refunds.approve(id) if action == "approve" else preo.refunds.reject(id, comment=comment.strip())
    except PreoError as exc:
        return Outcome(id, False, None, f"{type(exc).__name__}: {exc}")
    status = made.get("status") or "?"
    if status == "invalid":
        return Outcome(id, False, status, "invalid: the money is no longer available")
    verb = "approved" if action == "approve" else "rejected"
    return Outcome(id, True, status, f"{verb}: now {status.replace('_', ' ')}")


def decide(
    preo: Client,
    action: str,
    ids: Sequence[str],
    comment: str = "",
    step: Callable[[Outcome], None] | None = None,
) -> list[Outcome]:
    """Approve or reject each request in ``ids``, calling ``step`` after each one.

    Raises:
        PreoValidationError: The decision was refused before anything was sent (``check_decision``).
    """
    check_decision(action, ids, comment)
    outcomes = []
    for id in ids:
        outcome = decide_one(preo, action, id, comment)
        outcomes.append(outcome)
        if step is not None:
            step(outcome)
    return outcomes


def summary(action: str, outcomes: Sequence[Outcome]) -> tuple[str, str]:
    """The status line after a batch: its kind (ok or warning) and its text."""
    done = sum(o.ok for o in outcomes)
    verb = "Approved" if action == "approve" else "Rejected"
    if done == len(outcomes):
        return "ok", f"{verb} {done} of {len(outcomes)}."
    return "warning", f"{verb} {done} of {len(outcomes)}; {len(outcomes) - done} did not go through (see their rows)."
