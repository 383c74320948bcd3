"""The refund form's model: a purchase's money, the values entered, the request they make.

Pure and display-free: ``RefundDraft`` holds the values, ``errors()`` says what
is wrong with them, and ``request()`` returns the ``PlannedRequest`` (method,
path, JSON body) that ``RefundForm`` previews and then sends unchanged. The
amounts follow the contract's rules (README 4.2), as the sandbox computes them:
price, deposit, price + deposit + fee, or the transaction's available amount,
each capped by what is left.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from preo_nb import contract
from preo_nb.errors import NotFound, PreoValidationError
from preo_nb.resources._base import check_id
from preo_nb.resources.purchases import Purchases
from preo_nb.resources.refunds import CUSTOM_SCOPES, DEFAULT_SCOPE, OPEN_STATUSES, refund_body

if TYPE_CHECKING:
    from preo_nb.client import Client

ZERO = Decimal("0")
CENT = Decimal("0.01")
REFUNDABLE = ("paid", "partially_refunded")
TRANSACTION_SCOPES = ("transaction_full", "transaction_custom")
SCOPE_LABELS = {
    "purchase_price": "the price",
    "purchase_deposit": "the deposit",
    "purchase_full": "price + deposit + fee",
    "transaction_full": "everything left of the order's payment",
    "purchase_custom": "an amount you enter (this purchase)",
    "transaction_custom": "an amount you enter (the order's payment)",
}


def dec(value: Any) -> Decimal:
    """A money value from the API (a JSON number) as an exact Decimal."""
    return Decimal(str(value or 0)).quantize(CENT)


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
    price: Decimal
    deposit: Decimal
    fee: Decimal
    refunded: Decimal
    transaction_id: str | None
    transaction_available: Decimal
    pickup_point: str | None = None
    open_requests: tuple[Mapping[str, Any], ...] = ()

    @classmethod
    def from_api(cls, purchase: Mapping[str, Any], order: Mapping[str, Any],
                 requests: Sequence[Mapping[str, Any]] = ()) -> PurchaseFacts:
        """Build the facts from a Purchase, its OrderDetail and the purchase's refund requests."""
        payment = order.get("transaction") or {}
        metadata = purchase.get("metadata") or {}
        return cls(
            purchase_id=purchase["api_id"], order_id=order["id"], order_number=order.get("order_number") or "",
            edition_id=purchase.get("edition_id") or order["edition_id"],
            product=(purchase.get("product") or {}).get("name") or "?",
            customer=(purchase.get("user") or {}).get("full_name") or "?",
            status=purchase["status"], currency=purchase.get("currency") or "eur",
            price=dec(purchase.get("price")), deposit=dec(purchase.get("deposit")), fee=dec(purchase.get("fee")),
            refunded=dec(purchase.get("refunded_amount")), transaction_id=purchase.get("transaction_id"),
            transaction_available=dec(payment.get("available_refund_amount")) if payment else ZERO,
            pickup_point=metadata.get("pickup_point") if isinstance(metadata, Mapping) else None,
            open_requests=tuple(r for r in requests if r.get("status") in OPEN_STATUSES),
        )

    @property
    def paid(self) -> Decimal:
        """Price, deposit and fee together."""
        return self.price + self.deposit + self.fee

    @property
    def remaining(self) -> Decimal:
        """What has not been refunded of this purchase."""
        return max(self.paid - self.refunded, ZERO)

    def available(self, scope: str) -> Decimal:
        """The most a request of ``scope`` may refund now."""
        if self.transaction_id is None:
            return ZERO
        if scope in TRANSACTION_SCOPES:
            return max(self.transaction_available, ZERO)
        return max(min(self.transaction_available, self.remaining), ZERO)

    def computed(self, scope: str) -> Decimal:
        """The amount Preo computes for a fixed scope (0 when nothing is left)."""
        wanted = {"purchase_price": self.price, "purchase_deposit": self.deposit, "purchase_full": self.paid,
                  "transaction_full": self.available(scope)}[scope]
        return min(wanted, self.available(scope))


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

    def arguments(self) -> dict[str, Any]:
        """The keyword arguments of ``preo.purchases.refund`` that send exactly this body."""
        body = self.body
        return {"reason": body["reason"], "scope": body.get("scope"), "amount": body.get("amount"),
                "comment": body.get("comment", ""), "pickup_point_id": body.get("pickup_point_id")}


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
            found["purchase"] = f"a {facts.status} purchase{'' if facts.transaction_id else ' without payment'} " \
                                "has nothing to refund"
        elif facts.open_requests:
            request = facts.open_requests[0]
            found["purchase"] = f"it already has an open refund request {request.get('id')} ({request.get('status')})"
        if self.reason not in contract.enum("RefundReason"):
            found["reason"] = "choose a reason"
        if self.scope not in contract.enum("RefundScope"):
            found["scope"] = "choose a scope"
            return found
        if self.scope == "purchase_deposit" and facts.deposit <= 0:
            found["scope"] = "this purchase has no deposit to refund"
        elif self.custom:
            problem = self._custom_amount_problem()
            if problem:
                found["amount"] = problem
        elif "purchase" not in found and facts.computed(self.scope) <= 0:
            found["amount"] = f"nothing is left to refund for {self.scope}"
        return found

    def _custom_amount_problem(self) -> str | None:
        available = self.available() or ZERO
        if self.amount is None or self.amount <= 0:
            return "enter an amount greater than 0"
        if round(self.amount, 2) != self.amount:
            return f"{self.amount} has more than 2 decimals"
        if Decimal(str(self.amount)) > available:
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
        return PlannedRequest("POST", path, json.dumps(body, sort_keys=True), self.facts.purchase_id, due,
                              self.facts.currency)


# -- finding the purchase ----------------------------------------------------------


def find_order(preo: Client, text: str) -> tuple[dict[str, Any], str | None]:
    """Find an order by one of its purchases' id or by its order number.

    Returns:
        The order (with its purchases and payment) and the purchase id asked
        for, or ``None`` when ``text`` was an order number.

    Raises:
        PreoValidationError: Nothing has that id or order number (or ``text`` is empty).
    """
    text = text.strip()
    if not text:
        raise PreoValidationError("lookup", "enter a purchase id or an order number")
    try:
        purchase = preo.purchases.retrieve(text)
    except (NotFound, PreoValidationError):  # not a purchase id: try it as an order number
        purchase = None
    if purchase is not None:
        return preo.orders.retrieve(purchase["order_id"]), purchase["api_id"]
    for organization in preo.auth.me().get("organizations", []):
        found = preo.orders.list(organization_id=organization["id"], order_number=text, progress=False)
        exact = found[found["order_number"].str.lower() == text.lower()]
        if len(exact):
            return preo.orders.retrieve(str(exact["id"].iloc[0])), None
    raise PreoValidationError("lookup", f"no purchase id or order number {text!r} among the orders you can see")


def facts_for(preo: Client, order: Mapping[str, Any], purchase_id: str) -> PurchaseFacts:
    """The facts of one purchase of ``order``, with its open refund requests (one more read)."""
    purchase = next(p for p in order.get("purchases", []) if p["api_id"] == purchase_id)
    requests = list(preo.refunds.iterate(purchase_id=purchase_id))
    return PurchaseFacts.from_api(purchase, order, requests)


def pickup_points(preo: Client, edition_id: str) -> list[tuple[str, str]]:
    """The pickup points seen on an edition's refund requests, as ``(name, id)`` (the API lists them nowhere else)."""
    seen: dict[str, str] = {}
    for request in preo.refunds.iterate(edition_id=edition_id):
        point = request.get("pickup_point") or {}
        if point.get("api_id"):
            seen[point["api_id"]] = point.get("name") or point["api_id"]
    return sorted(((name, id) for id, name in seen.items()), key=lambda p: p[0].lower())
