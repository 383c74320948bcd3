"""What the refund form reads from Preo: the order, the purchase's facts, pickup points,
and, after a Confirm whose answer was lost, whether it filed its refund request.

Display-free like ``refund_draft``; ``RefundForm`` calls these and shows the result.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from preo_nb.errors import APIError, NotFound, PreoValidationError, TransportError, UnknownOutcome
from preo_nb.widgets.refund_draft import PlannedRequest, PurchaseFacts, read_money

if TYPE_CHECKING:
    from preo_nb.client import Client


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


# -- a Confirm whose outcome is unknown -----------------------------------------------


def not_filed(error: BaseException) -> bool:
    """Whether an error from sending a refund proves nothing was filed.

    Refused input, a 4xx answer and a request that never left are "not filed";
    anything else (an ``UnknownOutcome``, a 5xx, a bug) may have filed it.
    """
    if isinstance(error, APIError):
        return error.status < 500
    return isinstance(error, PreoValidationError | TransportError)


@dataclass(frozen=True)
class Unsettled:
    """A Confirm whose outcome is unknown: what it sent, what existed before, where a person can look.

    Attributes:
        seen: The ids of the purchase's refund requests the form knew before Confirm;
            one that is not among them was made after (no clock needed: Preo's and
            ours may differ).
    """

    plan: PlannedRequest
    seen: frozenset[str]
    check: str
    cause: str

    @classmethod
    def after(cls, plan: PlannedRequest, seen: frozenset[str], error: BaseException) -> Unsettled:
        """The unknown outcome of sending ``plan`` that raised ``error``."""
        check = error.check if isinstance(error, UnknownOutcome) else f"GET /v1/refunds?purchase_id={plan.purchase_id}"
        cause = error.cause if isinstance(error, UnknownOutcome) else error
        return cls(plan, seen, check, f"{type(cause).__name__}: {cause}")

    def notice(self) -> str:
        """What the form says when it happens: unknown, where to look, what stays off."""
        return (
            f"Outcome unknown ({self.cause}). The refund may have been filed: look at {self.where_to_look()}. "
            "Preview and Confirm stay off for this purchase until Check again finds out."
        )

    def still_unknown(self, error: BaseException) -> str:
        """What the form says when Check again fails too."""
        return (
            f"Still unknown: the check failed too ({type(error).__name__}: {error}). "
            f"Look at {self.where_to_look()}, or press Check again later."
        )

    def where_to_look(self) -> str:
        """Where to see whether the request was filed (the error's check and the purchase's refund list)."""
        listing = f"preo.refunds.list(purchase_id={self.plan.purchase_id!r})"
        return f"{self.check}, or the purchase's refund requests: {listing}"


def filed_by(unsettled: Unsettled, requests: Iterable[Mapping[str, Any]]) -> tuple[dict[str, Any] | None, list[str]]:
    """The refund request that Confirm made, if one of ``requests`` is it, and the ids of other new ones.

    It is a request made after Confirm (not in ``unsettled.seen``) for the same
    purchase, with the previewed reason, scope and amount (compared as decimals).
    """
    plan = unsettled.plan
    found, others = None, []
    for request in requests:
        purchase = (request.get("purchase") or {}).get("api_id") or request.get("purchase_id")
        if purchase != plan.purchase_id or str(request.get("id")) in unsettled.seen:
            continue  # another purchase's (a filter the server ignored), or there before Confirm
        same = (request.get("reason"), request.get("scope"), read_money(request.get("amount"))) == (
            plan.body["reason"],
            plan.scope,
            plan.amount,
        )
        if same and found is None:
            found = dict(request)
        else:
            others.append(str(request.get("id")))
    return found, others


def not_found(others: list[str]) -> tuple[str, str]:
    """The form's status (kind, text) when Check again finds no request that is this Confirm's."""
    if others:
        return "warning", (
            f"Refund request {', '.join(others)} was filed for this purchase after Confirm, "
            "but not as previewed: check it in Preo before refunding again."
        )
    return "ok", "Not filed: no refund request was made for this purchase since Confirm. Preview again to retry."


def find_filed(preo: Client, unsettled: Unsettled) -> tuple[dict[str, Any] | None, list[str]]:
    """Look up the purchase's refund requests; see ``filed_by``."""
    return filed_by(unsettled, preo.refunds.iterate(purchase_id=unsettled.plan.purchase_id))
