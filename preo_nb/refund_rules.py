"""What the contract says about refund requests, in one place (contract README 4.2).

The client checks a request with these rules before sending it, the refund form
previews with them, and the sandbox enforces them, so the three never disagree:
which scope a reason means, which scopes take an amount, which states are open,
and how much a scope refunds.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from preo_nb._values import decimal_of

#: The scope Preo derives from each refund reason when none is given.
DEFAULT_SCOPE: dict[str, str] = {
    "deposit_reclaim": "purchase_deposit",
    "rental_return": "purchase_deposit",
    "sold_out": "purchase_full",
    "event_cancelled": "purchase_full",
    "duplicate_purchase": "purchase_full",
    "product_defect": "purchase_price",
    "customer_request": "purchase_price",
    "compensation": "purchase_custom",
    "overcharge": "purchase_custom",
    "other": "purchase_custom",
}
#: The scopes whose amount the caller gives (every other one is computed by Preo).
CUSTOM_SCOPES = ("purchase_custom", "transaction_custom")
#: The scopes capped by the whole payment rather than by what is left of the purchase.
TRANSACTION_SCOPES = ("transaction_full", "transaction_custom")
#: A request in one of these states blocks another for the same purchase.
OPEN_STATES = ("requested", "ready", "processing", "awaiting_gateway")
#: States a request never leaves.
FINAL_STATES = ("processed", "failed", "rejected", "invalid")
#: States of a request that refunded nothing (and never will).
REFUNDED_NOTHING = ("rejected", "invalid", "failed")
#: Purchase states that can still be refunded.
REFUNDABLE_PURCHASE_STATES = ("paid", "partially_refunded")
ZERO = Decimal("0")


def effective_scope(reason: str, scope: str | None) -> str:
    """The scope a request of ``reason`` has: the one given, else the reason's default."""
    return scope or DEFAULT_SCOPE[reason]


def cap(scope: str, *, available: Decimal | None, remaining: Decimal | None) -> Decimal | None:
    """The most a request of ``scope`` may refund now (``None`` when a needed value is unknown).

    Args:
        available: What is left of the order's payment (``available_refund_amount``).
        remaining: What is left of the purchase (price + deposit + fee - refunded).
            Purchase scopes are capped by it too, so one purchase is never refunded twice.
    """
    if available is None:
        return None
    if scope in TRANSACTION_SCOPES:
        return max(available, ZERO)
    return None if remaining is None else max(min(available, remaining), ZERO)


def computed(
    scope: str, *, price: Decimal | None, deposit: Decimal | None, fee: Decimal | None, limit: Decimal | None
) -> Decimal | None:
    """The amount Preo computes for a scope that takes none, at most ``limit`` (see ``cap``)."""
    whole = None if None in (price, deposit, fee) else price + deposit + fee  # type: ignore[operator]
    wanted = {"purchase_price": price, "purchase_deposit": deposit, "purchase_full": whole, "transaction_full": limit}[
        scope
    ]
    return None if wanted is None or limit is None else min(wanted, limit)


def same_request(request: Mapping[str, Any], *, reason: str, scope: str, amount: Decimal | None) -> bool:
    """Whether a listed refund request is the one asked for: same reason and effective scope, and
    the same amount (compared as decimals: ``12.5`` and ``"12.50"`` are equal) when one was given."""
    return (
        request.get("reason") == reason
        and request.get("scope") == scope
        and (amount is None or decimal_of(request.get("amount")) == amount)
    )


def could_be(request: Mapping[str, Any], *, reason: str, scope: str, amount: Decimal | None) -> bool:
    """Whether a refund request could be the one asked for: ``same_request``, and not one that
    refunded nothing (a request that is open or processed may be the one filed)."""
    return request.get("status") not in REFUNDED_NOTHING and same_request(
        request, reason=reason, scope=scope, amount=amount
    )
