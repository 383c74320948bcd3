"""Refund requests: the scope and amount rules, the workflow and the views.

The rules (README 4.2) live here once: ``purchases_refund`` files through
``file_request`` like ``refunds_create``, and the seeder files and pays out
through ``add_request``/``pay_out``/``fail``, so seeded balances obey them too.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from operator import attrgetter
from typing import Any

from preo_nb import contract
from preo_nb.sandbox import events, listing, render
from preo_nb.sandbox.access import READ, WRITE
from preo_nb.sandbox.errors import conflict, field_error, invalid
from preo_nb.sandbox.models import (
    REFUNDABLE_PURCHASE_STATES,
    ZERO,
    Purchase,
    RefundRequest,
    money,
)
from preo_nb.sandbox.store import Store
from preo_nb.sandbox.web import Group, caller, get_or_404, read_body, services, store

group = Group("Refunds")
Json = dict[str, Any]

DEFAULT_SCOPES = contract.DEFAULT_REFUND_SCOPE
CUSTOM_SCOPES = contract.CUSTOM_REFUND_SCOPES
TRANSACTION_SCOPES = ("transaction_full", "transaction_custom")
PAYOUT_STEPS = {"ready": "processing", "processing": "awaiting_gateway"}
ORDERING = {"created": attrgetter("created")}

# -- the rules ---------------------------------------------------------------


def refund_cap(store: Store, purchase: Purchase, scope: str) -> Decimal:
    """Return the most a request of ``scope`` may refund now.

    Transaction scopes are capped by the transaction's available amount;
    purchase scopes also by what is left of the purchase, so one purchase's
    money cannot be refunded twice.
    """
    payment = store.data.transactions.get(purchase.transaction_id or "")
    if payment is None:
        return ZERO
    available = payment.available_refund_amount
    if scope in TRANSACTION_SCOPES:
        return max(available, ZERO)
    return max(min(available, purchase.remaining), ZERO)


def computed_amount(store: Store, purchase: Purchase, scope: str) -> Decimal:
    """Return the amount of a non-custom scope (0 when nothing is left)."""
    cap = refund_cap(store, purchase, scope)
    wanted = {
        "purchase_price": purchase.price,
        "purchase_deposit": purchase.deposit,
        "purchase_full": purchase.total,
        "transaction_full": cap,
    }[scope]
    return min(wanted, cap)


def check_request(store: Store, purchase: Purchase, body: Json) -> tuple[str, Decimal]:
    """Validate a create body for ``purchase``; return its scope and amount.

    Field errors come first (as a serializer would), then the state refusals.

    Raises:
        ApiError: 400 for a bad pickup point, a deposit scope without deposit or
            a custom amount out of bounds; 409 duplicate_open_request or
            nothing_to_refund.
    """
    scope = body.get("scope") or DEFAULT_SCOPES[body["reason"]]
    _check_fields(store, purchase, scope, body)
    if store.has_open_refund(purchase.id):
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
    if point_id is not None and (
        point is None or point.edition_id != purchase.edition_id
    ):
        errors["pickup_point_id"] = [
            f'Invalid pk "{point_id}" - object does not exist.'
        ]
    if scope == "purchase_deposit" and purchase.deposit <= 0:
        errors["scope"] = ["This purchase has no deposit to refund."]
    amount = body.get("amount")
    if scope in CUSTOM_SCOPES and (amount is None or money(amount) <= 0):
        errors["amount"] = ["A custom scope needs an amount greater than 0."]
    if errors:
        raise invalid(errors)


def add_request(
    store: Store, purchase: Purchase, body: Json, *, staff_id: str
) -> RefundRequest:
    """Check a create body and store the new ``requested`` refund request."""
    scope, amount = check_request(store, purchase, body)
    now = store.now()
    request = RefundRequest(
        id=store.new_id("rfr_"),
        organization_id=store.org_of_edition(purchase.edition_id),
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


def advance(store: Store, request: RefundRequest, *, force_failure: bool) -> None:
    """Move an approved request one payout step (README 4.1, Background work)."""
    if request.status in PAYOUT_STEPS:
        request.status = PAYOUT_STEPS[request.status]
        request.modified = store.now()
    elif request.status == "awaiting_gateway":
        if force_failure:
            fail(
                store,
                request,
                "The payment service declined the payout (forced by the sandbox).",
            )
        elif not money_still_there(store, request):
            fail(store, request, "The money is no longer available for this refund.")
        else:
            pay_out(store, request, store.now())
        emit(store, request)


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


# -- the views ---------------------------------------------------------------


def render_for_caller(request: RefundRequest) -> Json:
    """Render a request with can_approve/can_reject computed for the caller."""
    can_decide = caller().can(request.organization_id, WRITE)
    return render.refund(store(), request, can_decide=can_decide)


def file_request(purchase: Purchase, body: Json) -> RefundRequest:
    """File a refund request for a purchase the caller may see (staff is enough)."""
    caller().require(store().org_of_edition(purchase.edition_id), READ)
    request = add_request(store(), purchase, body, staff_id=caller().member.id)
    emit(store(), request, "created")
    return request


def _get(refund_id: str, need: str) -> RefundRequest:
    request = get_or_404(store().data.refunds, refund_id)
    caller().require(request.organization_id, need)
    return request


@group.view
def refunds_list() -> Json:
    """List refund requests, newest first; reading a list never advances anything."""
    values = listing.filters("refunds_list")
    orgs = listing.scoped_orgs(caller(), values)
    plain = {k: v for k, v in values.items() if k != "organization_id"}
    found = [
        r
        for r in store().data.refunds.values()
        if r.organization_id in orgs
        and all(getattr(r, k) == v for k, v in plain.items())
    ]
    ordered = listing.ordered("refunds_list", found, ORDERING)
    return listing.paginate(ordered, render_for_caller)


@group.view
def refunds_create() -> tuple[Json, int]:
    """File a refund request for the purchase named in the body."""
    body = read_body("refunds_create")
    purchase = store().data.purchases.get(body["purchase_id"])
    if (
        purchase is None
        or caller().role_in(store().org_of_edition(purchase.edition_id)) is None
    ):
        raise field_error(
            "purchase_id",
            f'Invalid pk "{body["purchase_id"]}" - object does not exist.',
        )
    return render_for_caller(file_request(purchase, body)), 201


@group.view
def refunds_retrieve(refund_id: str) -> Json:
    """Return a refund request; an approved one first moves one payout step."""
    request = _get(refund_id, READ)
    advance(store(), request, force_failure=services().faults.payout_fails(request.id))
    return render_for_caller(request)


@group.view
def refunds_approve(refund_id: str) -> Json:
    """Approve a requested refund: ready, or invalid when the money is gone."""
    request = _get(refund_id, WRITE)
    read_body("refunds_approve")
    _require_requested(request)
    request.status = "ready" if money_still_there(store(), request) else "invalid"
    request.modified = store().now()
    if request.status == "ready":
        emit(store(), request, "approved")
    return render_for_caller(request)


@group.view
def refunds_reject(refund_id: str) -> Json:
    """Reject a requested refund; a given comment replaces the request's comment."""
    request = _get(refund_id, WRITE)
    body = read_body("refunds_reject")
    _require_requested(request)
    if isinstance(body.get("comment"), str):
        request.comment = body["comment"]
    request.status = "rejected"
    request.modified = store().now()
    emit(store(), request)
    return render_for_caller(request)


def _require_requested(request: RefundRequest) -> None:
    if request.status != "requested":
        raise conflict(
            f"Only a requested refund can be decided; this one is {request.status}.",
            "invalid_state",
        )
