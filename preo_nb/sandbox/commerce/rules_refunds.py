"""Refund requests: the scope and amount rules and the payout workflow (README 4.2).

The rules live here once: both ways of filing (``refunds_create`` and
``purchases_refund``) go through ``add_request``, retrieving an approved
request moves it along ``PAYOUT``, and the seeder files and pays out through
``add_request``/``pay_out``/``fail``, so seeded balances obey them too.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from preo_nb import contract, refund_rules
from preo_nb.refund_rules import CUSTOM_SCOPES, OPEN_STATES, REFUNDABLE_PURCHASE_STATES, TRANSACTION_SCOPES
from preo_nb.sandbox.commerce import render
from preo_nb.sandbox.commerce.models import Purchase, RefundRequest, Store, org_of_edition
from preo_nb.sandbox.core import events
from preo_nb.sandbox.core.errors import conflict, field_error, invalid, unknown_pk
from preo_nb.sandbox.core.jobs import Machine
from preo_nb.sandbox.core.values import ZERO, money

Json = dict[str, Any]

STATES = contract.enum("RefundStatus")


def refund_cap(store: Store, purchase: Purchase, scope: str) -> Decimal:
    """Return the most a request of ``scope`` may refund now (``refund_rules.cap``; 0 without a payment)."""
    payment = store.data.transactions.get(purchase.transaction_id or "")
    if payment is None:
        return ZERO
    found = refund_rules.cap(scope, available=payment.available_refund_amount, remaining=purchase.remaining)
    return found if found is not None else ZERO


def computed_amount(store: Store, purchase: Purchase, scope: str) -> Decimal:
    """Return the amount of a non-custom scope (0 when nothing is left)."""
    found = refund_rules.computed(
        scope,
        price=purchase.price,
        deposit=purchase.deposit,
        fee=purchase.fee,
        limit=refund_cap(store, purchase, scope),
    )
    return found if found is not None else ZERO


def check_request(store: Store, purchase: Purchase, body: Json) -> tuple[str, Decimal]:
    """Validate a create body for ``purchase``; return its scope and amount.

    Field errors come first (as a serializer would), then the state refusals.

    Raises:
        ApiError: 400 for a bad pickup point, a deposit scope without deposit or
            a custom amount out of bounds; 409 duplicate_open_request or
            nothing_to_refund.
    """
    scope = refund_rules.effective_scope(body["reason"], body.get("scope"))
    _check_fields(store, purchase, scope, body)
    if has_open_refund(store, purchase.id):
        detail = "This purchase already has an open refund request."
        raise conflict(detail, "duplicate_open_request")
    refundable = purchase.status in REFUNDABLE_PURCHASE_STATES
    if not refundable or purchase.transaction_id is None:
        detail = f"A {purchase.status} purchase has nothing to refund."
        raise conflict(detail, "nothing_to_refund")
    if scope in CUSTOM_SCOPES:
        amount = money(body["amount"])
        cap = refund_cap(store, purchase, scope)
        if amount > cap:
            message = f"Ensure this value is less than or equal to {cap}."
            raise field_error("amount", message)
        return scope, amount
    amount = computed_amount(store, purchase, scope)
    if amount <= 0:
        raise conflict("Nothing is left to refund for this scope.", "nothing_to_refund")
    return scope, amount


def _check_fields(store: Store, purchase: Purchase, scope: str, body: Json) -> None:
    errors: dict[str, list[str]] = {}
    point_id = body.get("pickup_point_id")
    point = store.data.pickup_points.get(point_id or "")
    if point_id is not None and (point is None or point.edition_id != purchase.edition_id):
        errors["pickup_point_id"] = [unknown_pk(point_id)]
    if scope == "purchase_deposit" and purchase.deposit <= 0:
        errors["scope"] = ["This purchase has no deposit to refund."]
    amount = body.get("amount")
    if scope in CUSTOM_SCOPES and (amount is None or money(amount) <= 0):
        errors["amount"] = ["A custom scope needs an amount greater than 0."]
    if errors:
        raise invalid(errors)


def add_request(store: Store, purchase: Purchase, body: Json, *, staff_id: str) -> RefundRequest:
    """Check a create body and store the new ``requested`` refund request."""
    scope, amount = check_request(store, purchase, body)
    now = store.now()
    request = RefundRequest(
        id=store.new_id("rfr_"),
        organization_id=org_of_edition(store, purchase.edition_id),
        edition_id=purchase.edition_id,
        purchase_id=purchase.id,
        transaction_id=purchase.transaction_id or "",
        scope=scope,
        reason=body["reason"],
        status="requested",
        amount=amount,
        staff_id=staff_id,
        created=now,
        modified=now,
        comment=body.get("comment", ""),
        pickup_point_id=body.get("pickup_point_id"),
    )
    store.data.refunds[request.id] = request
    return request


def money_still_there(store: Store, request: RefundRequest) -> bool:
    """Whether the request's amount can still be paid out."""
    purchase = store.data.purchases[request.purchase_id]
    if purchase.status not in REFUNDABLE_PURCHASE_STATES:
        return False
    return request.amount <= refund_cap(store, purchase, request.scope)


def _settle(store: Store, request: RefundRequest) -> None:
    """Pay out an approved request at the gateway, or fail it when the money is gone."""
    if not money_still_there(store, request):
        fail(store, request, "The money is no longer available for this refund.")
    else:
        pay_out(store, request, store.now())
    emit(store, request)


def _fail_payout(store: Store, request: RefundRequest, error: str) -> None:
    fail(store, request, error)
    emit(store, request)


PAYOUT = Machine[RefundRequest](
    kind="refund",
    states=STATES,
    steps={"ready": "processing", "processing": "awaiting_gateway", "awaiting_gateway": _settle},
    fails_at="awaiting_gateway",
    fail=_fail_payout,
    failure="The payment service declined the payout (forced by the sandbox).",
)
"""Retrieving an approved request moves its payout one step (README 4.1, Background work)."""


def emit(store: Store, request: RefundRequest, name: str | None = None) -> None:
    """Emit ``refund_request.<name or status>`` with the request as an admin sees it (README 4.6)."""
    events.emit(
        store,
        f"refund_request.{name or request.status}",
        organization_id=request.organization_id,
        edition_id=request.edition_id,
        data=render.refund(store, request, can_decide=True),
    )


def fail(store: Store, request: RefundRequest, error: str) -> None:
    """End a payout as failed; no money moves."""
    request.status = "failed"
    request.service_response = {
        "reference": store.new_id("sim_"),
        "status": "failed",
        "error": error,
    }
    request.modified = store.now()


def pay_out(store: Store, request: RefundRequest, when: datetime) -> None:
    """Process a payout: move the money and mark the purchase(s) refunded."""
    tables = store.data
    tables.transactions[request.transaction_id].refunded_amount += request.amount
    purchase = tables.purchases[request.purchase_id]
    targets = [purchase]
    if request.scope in TRANSACTION_SCOPES:
        # The whole transaction is refunded: this purchase first, then the others.
        siblings = tables.orders[purchase.order_id].purchase_ids
        targets += [tables.purchases[p] for p in siblings if p != purchase.id]
    _credit(targets, request.amount, when)
    request.status = "processed"
    request.refund_date = when
    reference = store.new_id("sim_")
    request.service_response = {"reference": reference, "status": "succeeded"}
    request.modified = when


def _credit(targets: list[Purchase], amount: Decimal, when: datetime) -> None:
    """Spread a refunded amount over purchases, each up to what is left of it."""
    left = amount
    for target in targets:
        share = min(left, target.remaining)
        if share > 0:
            target.refunded_amount += share
            done = target.remaining <= 0
            target.status = "refunded" if done else "partially_refunded"
            target.modified = when
            left -= share


def product_type(store: Store, purchase: Purchase) -> str:
    """Return the type of the product a purchase is for."""
    return store.data.products[purchase.product_id].type


def has_open_refund(store: Store, purchase_id: str) -> bool:
    """Whether a refund request for the purchase is still open."""
    return any(r.purchase_id == purchase_id and r.status in OPEN_STATES for r in store.data.refunds.values())


def is_refundable(store: Store, purchase_id: str) -> bool:
    """Whether a new refund request could take money from this purchase."""
    purchase = store.data.purchases[purchase_id]
    return (
        purchase.status in REFUNDABLE_PURCHASE_STATES
        and purchase.remaining > 0
        and not has_open_refund(store, purchase.id)
    )
