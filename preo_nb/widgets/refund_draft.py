"""The refund form's model: a purchase's money, the values entered, the request they make.

Pure and display-free: ``RefundDraft`` holds the values, ``errors()`` says what
is wrong with them, and ``request()`` returns the ``PlannedRequest`` (method,
path, JSON body) that ``RefundForm`` previews and then sends unchanged. The
amounts follow the contract's rules (README 4.2), as the sandbox computes them:
price, deposit, price + deposit + fee, or the transaction's available amount,
each capped by what is left. Money is read as exact decimals (JSON numbers or
strings like ``"12.50"``); a value Preo did not send readably is unknown
(``None``), never 0, and an amount that needs it is not computed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from preo_nb import contract, refund_rules
from preo_nb.checks import check_id
from preo_nb.errors import PreoValidationError
from preo_nb.refund_rules import CUSTOM_SCOPES, DEFAULT_SCOPE, OPEN_STATES, TRANSACTION_SCOPES, ZERO, effective_scope
from preo_nb.refund_rules import REFUNDABLE_PURCHASE_STATES as REFUNDABLE
from preo_nb.resources.purchases import Purchases
from preo_nb.resources.refunds import refund_body

CENT = Decimal("0.01")
SCOPE_LABELS = {
    "purchase_price": "the price",
    "purchase_deposit": "the deposit",
    "purchase_full": "price + deposit + fee",
    "transaction_full": "everything left of the order's payment",
    "purchase_custom": "an amount you enter (this purchase)",
    "transaction_custom": "an amount you enter (the order's payment)",
}


def read_money(value: Any) -> Decimal | None:
    """A money value from the API as an exact Decimal; ``None`` when missing, null or unreadable.

    JSON numbers and numeric strings (``"12.50"``, DRF's default for decimals) both
    read; anything else is unknown, never 0.
    """
    if isinstance(value, bool) or value is None:
        return None
    try:
        amount = Decimal(value.strip() if isinstance(value, str) else str(value))
    except (InvalidOperation, ValueError, TypeError):
        return None
    return amount.quantize(CENT) if amount.is_finite() else None


def paid_of(purchase: Mapping[str, Any]) -> Decimal | None:
    """Price + deposit + fee of a Purchase, ``None`` when any of them is unknown."""
    return total(*(read_money(purchase.get(name)) for name in ("price", "deposit", "fee")))


def total(*parts: Decimal | None) -> Decimal | None:
    """The sum of money values, ``None`` when any of them is unknown."""
    known = [part for part in parts if part is not None]
    return sum(known, ZERO) if len(known) == len(parts) else None


@dataclass(frozen=True)
class PurchaseFacts:
    """What the form shows about one purchase, and what limits its refund."""

    purchase_id: str
    order_id: str
    order_number: str
    edition_id: str
    product: str
    customer: str
    status: str
    currency: str
    price: Decimal | None  # None: Preo sent no readable value (unknown, never taken as 0)
    deposit: Decimal | None
    fee: Decimal | None
    refunded: Decimal | None
    transaction_id: str | None
    transaction_available: Decimal | None
    pickup_point: str | None = None
    open_requests: tuple[Mapping[str, Any], ...] = ()
    request_ids: frozenset[str] = frozenset()  # every refund request of the purchase, when it was read

    @classmethod
    def from_api(
        cls, purchase: Mapping[str, Any], order: Mapping[str, Any], requests: Sequence[Mapping[str, Any]] = ()
    ) -> PurchaseFacts:
        """Build the facts from a Purchase, its OrderDetail and the purchase's refund requests."""
        payment = order.get("transaction")
        metadata = purchase.get("metadata") or {}
        return cls(
            purchase_id=purchase["api_id"],
            order_id=order["id"],
            order_number=order.get("order_number") or "",
            edition_id=purchase.get("edition_id") or order["edition_id"],
            product=(purchase.get("product") or {}).get("name") or "?",
            customer=(purchase.get("user") or {}).get("full_name") or "?",
            status=purchase["status"],
            currency=purchase.get("currency") or "eur",
            price=read_money(purchase.get("price")),
            deposit=read_money(purchase.get("deposit")),
            fee=read_money(purchase.get("fee")),
            refunded=read_money(purchase.get("refunded_amount")),
            transaction_id=purchase.get("transaction_id"),
            transaction_available=_available_of(payment, purchase.get("transaction_id")),
            pickup_point=metadata.get("pickup_point") if isinstance(metadata, Mapping) else None,
            open_requests=tuple(r for r in requests if r.get("status") in OPEN_STATES),
            request_ids=frozenset(str(r.get("id")) for r in requests),
        )

    @property
    def paid(self) -> Decimal | None:
        """Price, deposit and fee together (``None`` when one is unknown)."""
        return total(self.price, self.deposit, self.fee)

    @property
    def remaining(self) -> Decimal | None:
        """What has not been refunded of this purchase (``None`` when unknown)."""
        if self.paid is None or self.refunded is None:
            return None
        return max(self.paid - self.refunded, ZERO)

    def available(self, scope: str) -> Decimal | None:
        """The most a request of ``scope`` may refund now (``None`` when unknown; ``refund_rules.cap``)."""
        if self.transaction_id is None:
            return ZERO
        return refund_rules.cap(scope, available=self.transaction_available, remaining=self.remaining)

    def computed(self, scope: str) -> Decimal | None:
        """The amount Preo computes for a fixed scope (0 when nothing is left, ``None`` when unknown)."""
        return refund_rules.computed(
            scope, price=self.price, deposit=self.deposit, fee=self.fee, limit=self.available(scope)
        )

    def unknown(self, scope: str) -> list[str]:
        """The values Preo did not send readably that a ``scope`` refund's amount or cap needs."""
        needed = {"transaction_available": "available refund amount of the payment"}
        if scope not in TRANSACTION_SCOPES:
            needed = {"price": "price", "deposit": "deposit", "fee": "fee", "refunded": "refunded amount", **needed}
        return [label for name, label in needed.items() if getattr(self, name) is None]


def _available_of(payment: Any, transaction_id: str | None) -> Decimal | None:
    """What is left of the order's payment: 0 without a payment, ``None`` when Preo does not say."""
    if isinstance(payment, Mapping):
        return read_money(payment.get("available_refund_amount"))
    return None if transaction_id else ZERO


@dataclass(frozen=True)
class PlannedRequest:
    """Exactly what Confirm will send: ``method``, ``path`` and the JSON ``body``.

    ``amount`` is the money expected to move (the server computes it for the
    fixed scopes; the form shows the same rule's result).
    """

    method: str
    path: str
    body_json: str
    purchase_id: str
    amount: Decimal
    currency: str

    @property
    def body(self) -> dict[str, Any]:
        """The JSON body, as a fresh dict (the plan itself cannot change)."""
        loaded: dict[str, Any] = json.loads(self.body_json)
        return loaded

    @property
    def scope(self) -> str:
        """The scope the request asks for: the body's, else the one Preo derives from the reason."""
        body = self.body
        return effective_scope(body["reason"], body.get("scope"))

    def arguments(self) -> dict[str, Any]:
        """The keyword arguments of ``preo.purchases.refund`` that send exactly this body."""
        body = self.body
        return {
            "reason": body["reason"],
            "scope": body.get("scope"),
            "amount": body.get("amount"),
            "comment": body.get("comment", ""),
            "pickup_point_id": body.get("pickup_point_id"),
        }


@dataclass
class RefundDraft:
    """The values of the refund form; ``choose_reason`` pre-fills the scope like Preo does."""

    facts: PurchaseFacts | None = None
    reason: str | None = None
    scope: str | None = None
    amount: float | None = None
    comment: str = ""
    pickup_point_id: str | None = None

    def choose_reason(self, reason: str | None) -> None:
        """Set the reason and the scope Preo derives from it (``DEFAULT_SCOPE``)."""
        self.reason = reason
        self.scope = DEFAULT_SCOPE.get(reason or "")

    @property
    def custom(self) -> bool:
        """Whether the amount is entered by hand (the custom scopes)."""
        return self.scope in CUSTOM_SCOPES

    def available(self) -> Decimal | None:
        """The most this scope may refund now (``None`` until a purchase and a scope are chosen)."""
        if self.facts is None or self.scope not in SCOPE_LABELS:
            return None
        return self.facts.available(self.scope)

    def amount_due(self) -> Decimal | None:
        """The money that moves: computed for a fixed scope, as entered for a custom one."""
        if self.facts is None or self.scope not in SCOPE_LABELS:
            return None
        if self.custom:
            return None if self.amount is None else Decimal(str(self.amount))
        return self.facts.computed(self.scope)

    def errors(self) -> dict[str, str]:
        """What stops this refund, field by field (empty when it can be sent)."""
        found: dict[str, str] = {}
        facts = self.facts
        if facts is None:
            return {"purchase": "find a purchase first (its id or its order number)"}
        if facts.status not in REFUNDABLE or facts.transaction_id is None:
            found["purchase"] = (
                f"a {facts.status} purchase{'' if facts.transaction_id else ' without payment'} has nothing to refund"
            )
        elif facts.open_requests:
            request = facts.open_requests[0]
            found["purchase"] = f"it already has an open refund request {request.get('id')} ({request.get('status')})"
        if self.reason not in contract.enum("RefundReason"):
            found["reason"] = "choose a reason"
        if self.scope not in contract.enum("RefundScope"):
            found["scope"] = "choose a scope"
            return found
        computed = None if self.custom else facts.computed(self.scope)
        if self.scope == "purchase_deposit" and facts.deposit is not None and facts.deposit <= 0:
            found["scope"] = "this purchase has no deposit to refund"
        elif self.custom:
            problem = self._custom_amount_problem()
            if problem:
                found["amount"] = problem
        elif computed is None:
            found["amount"] = (
                f"the amount is unknown: Preo sent no readable {', '.join(facts.unknown(self.scope))} "
                "for this purchase, so nothing is computed; check the purchase in Preo, or choose "
                "a custom scope and enter the amount"
            )
        elif "purchase" not in found and computed <= 0:
            found["amount"] = f"nothing is left to refund for {self.scope}"
        return found

    def _custom_amount_problem(self) -> str | None:
        if self.amount is None or self.amount <= 0:
            return "enter an amount greater than 0"
        if round(self.amount, 2) != self.amount:
            return f"{self.amount} has more than 2 decimals"
        available = self.available()  # None: the cap is unknown here, and Preo checks it
        if available is not None and Decimal(str(self.amount)) > available:
            return f"{self.amount:.2f} is more than the {available} still available"
        return None

    def request(self) -> PlannedRequest:
        """Return the request these values make.

        Raises:
            PreoValidationError: Something is wrong (the first of ``errors()``); nothing can be sent.
        """
        found = self.errors()
        if found or self.facts is None:
            name, message = next(iter(found.items()))
            raise PreoValidationError(name, message)
        amount = self.amount if self.custom else None
        body = refund_body(self.reason, self.scope, amount, self.comment, self.pickup_point_id or None)
        path = Purchases.PATHS["refund"].format(id=check_id(self.facts.purchase_id, "purchase_id"))
        due = self.amount_due() or ZERO
        return PlannedRequest(
            "POST", path, json.dumps(body, sort_keys=True), self.facts.purchase_id, due, self.facts.currency
        )
