"""Refund requests: list, file, retrieve (which moves a payout on), approve, reject.

The scope and amount rules and the payout workflow are in ``rules_refunds``.
"""

from __future__ import annotations

from operator import attrgetter
from typing import Any

from preo_nb.sandbox.commerce import render, rules_refunds
from preo_nb.sandbox.commerce.models import Purchase, RefundRequest, Tables, org_of_edition
from preo_nb.sandbox.commerce.rules_refunds import PAYOUT, emit, money_still_there
from preo_nb.sandbox.core.access import READ, WRITE
from preo_nb.sandbox.core.errors import conflict, unknown_object
from preo_nb.sandbox.web import listing
from preo_nb.sandbox.web.body import read_body
from preo_nb.sandbox.web.views import Group, caller, services, typed_store

store = typed_store(Tables)

group = Group("Refunds")
Json = dict[str, Any]
ORDERING = {"created": attrgetter("created")}


def render_for_caller(request: RefundRequest) -> Json:
    """Render a request with can_approve/can_reject computed for the caller."""
    can_decide = caller().can(request.organization_id, WRITE)
    return render.refund(store(), request, can_decide=can_decide)


def file_request(purchase: Purchase, body: Json) -> RefundRequest:
    """File a refund request for a purchase the caller may see (staff is enough)."""
    caller().require(org_of_edition(store(), purchase.edition_id), READ)
    request = rules_refunds.add_request(store(), purchase, body, staff_id=caller().member.id)
    emit(store(), request, "created")
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
        if r.organization_id in orgs and all(getattr(r, k) == v for k, v in plain.items())
    ]
    ordered = listing.ordered("refunds_list", found, ORDERING)
    return listing.paginate(ordered, render_for_caller)


@group.view
def refunds_create() -> tuple[Json, int]:
    """File a refund request for the purchase named in the body."""
    body = read_body("refunds_create")
    purchase = store().data.purchases.get(body["purchase_id"])
    if purchase is None or caller().role_in(org_of_edition(store(), purchase.edition_id)) is None:
        raise unknown_object("purchase_id", body["purchase_id"])
    return render_for_caller(file_request(purchase, body)), 201


@group.view
def refunds_retrieve(refund_id: str) -> Json:
    """Return a refund request; an approved one first moves one payout step."""
    request = caller().fetch(store().data.refunds, refund_id, READ)
    PAYOUT.advance(store(), request, services().faults)
    return render_for_caller(request)


@group.view
def refunds_approve(refund_id: str) -> Json:
    """Approve a requested refund: ready, or invalid when the money is gone."""
    request = caller().fetch(store().data.refunds, refund_id, WRITE)
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
    request = caller().fetch(store().data.refunds, refund_id, WRITE)
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
