"""Deterministic seed data: refund requests in every workflow state.

Requests are filed through the API's own rules (``rules_refunds.add_request``)
and processed ones are paid out with ``rules_refunds.pay_out``, so balances stay
consistent by construction. Processed ones come first: the ``invalid`` ones
are requests filed again for a purchase whose money an earlier refund took.
"""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal
from typing import Any

from preo_nb import refund_rules
from preo_nb.sandbox.commerce import rules_refunds as refunds
from preo_nb.sandbox.commerce.models import Purchase, RefundRequest, Store, org_of_edition
from preo_nb.sandbox.core.access import rank
from preo_nb.sandbox.core.clock import ANCHOR
from preo_nb.sandbox.core.errors import ApiError
from preo_nb.sandbox.core.values import money

REFUND_MIX = {
    "processed": 5,
    "failed": 1,
    "rejected": 2,
    "requested": 3,
    "ready": 1,
    "processing": 1,
    "awaiting_gateway": 1,
    "invalid": 1,
}
REASONS = {
    "ticket": (
        "event_cancelled",
        "customer_request",
        "duplicate_purchase",
        "compensation",
    ),
    "food": ("product_defect", "customer_request", "overcharge", "sold_out"),
    "drink": ("deposit_reclaim", "deposit_reclaim", "product_defect", "overcharge"),
    "deposit": ("deposit_reclaim",),
    "rental": ("rental_return", "rental_return", "product_defect", "other"),
}
COMMENTS = (
    "",
    "",
    "Customer came to the info desk.",
    "Handled at the bar.",
    "Approved by phone.",
)


def add_refunds(store: Store, rng: random.Random, factor: int) -> None:
    """Add refund requests in every state, ``factor`` times ``REFUND_MIX``."""
    pool = [
        p
        for p in store.data.purchases.values()
        if p.status == "paid" and p.total > 0 and store.data.orders[p.order_id].status == "completed"
    ]
    rng.shuffle(pool)
    processed: list[RefundRequest] = []
    for status, count in REFUND_MIX.items():
        for _ in range(count * factor):
            if status == "invalid":
                _add_invalid(store, rng, processed.pop(0))
                continue
            old = status in ("processed", "failed", "rejected")
            request = _file(store, rng, pool, old)
            _settle(store, rng, request, status, old)
            if status == "processed":
                processed.append(request)


def _file(store: Store, rng: random.Random, pool: list[Purchase], old: bool) -> RefundRequest:
    """File a request for the next suitable purchase through the API's own rules."""
    for purchase in list(pool):
        if old and purchase.created > ANCHOR - timedelta(days=8):
            continue
        pool.remove(purchase)
        reason = rng.choice(REASONS[refunds.product_type(store, purchase)])
        body: dict[str, Any] = {
            "reason": reason,
            "comment": rng.choice(COMMENTS),
            "pickup_point_id": _pickup_point_id(store, purchase),
        }
        if refund_rules.DEFAULT_SCOPE[reason] in refund_rules.CUSTOM_SCOPES:
            body["amount"] = float(max(Decimal("0.50"), money(purchase.total * Decimal("0.3"))))
        try:
            return refunds.add_request(store, purchase, body, staff_id=_staff_id(store, rng, purchase))
        except ApiError:
            continue
    raise RuntimeError("not enough purchases to seed refund requests")


def _pickup_point_id(store: Store, purchase: Purchase) -> str | None:
    name = purchase.metadata.get("pickup_point")
    points = store.data.pickup_points.values()
    return next(
        (p.id for p in points if p.edition_id == purchase.edition_id and p.name == name),
        None,
    )


def _staff_id(store: Store, rng: random.Random, purchase: Purchase) -> str:
    org_id = org_of_edition(store, purchase.edition_id)
    allowed = [s.id for s in store.data.staff.values() if rank(s.roles.get(org_id)) >= rank("staff")]
    return rng.choice(allowed)


def _settle(store: Store, rng: random.Random, request: RefundRequest, status: str, old: bool) -> None:
    """Date a filed request and move it to ``status`` (paying out when processed)."""
    purchase = store.data.purchases[request.purchase_id]
    if old:
        created = purchase.created + timedelta(seconds=rng.randrange(7200, 5 * 86400))
    else:
        earliest = max(purchase.created, ANCHOR - timedelta(days=3))
        created = earliest + (ANCHOR - earliest) * rng.uniform(0.1, 0.9)
    created = created.replace(microsecond=0)
    request.created = request.modified = created
    decided = created + timedelta(seconds=rng.randrange(3600, 20 * 3600))
    if status == "processed":
        refunds.pay_out(store, request, decided)
    elif status == "failed":
        refunds.fail(store, request, "The card was expired at payout.")
    elif status == "rejected":
        request.comment = "Outside the refund policy."
    request.status = status
    request.modified = decided if old else created


def _add_invalid(store: Store, rng: random.Random, paid: RefundRequest) -> None:
    """Add a request approved after an earlier refund took the money: now invalid."""
    purchase = store.data.purchases[paid.purchase_id]
    if paid.refund_date is None:
        raise ValueError("only processed requests can be followed by an invalid one")
    created = paid.refund_date + timedelta(seconds=rng.randrange(3600, 86400))
    request = RefundRequest(
        id=store.new_id("rfr_"),
        organization_id=paid.organization_id,
        edition_id=paid.edition_id,
        purchase_id=purchase.id,
        transaction_id=paid.transaction_id,
        scope="purchase_full",
        reason="duplicate_purchase",
        status="invalid",
        amount=purchase.total,
        staff_id=_staff_id(store, rng, purchase),
        created=created,
        modified=created + timedelta(hours=2),
        comment="Filed twice by mistake.",
    )
    store.data.refunds[request.id] = request
