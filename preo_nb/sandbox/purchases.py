"""Purchases: one purchase, and filing a refund request for it."""

from __future__ import annotations

from typing import Any

from preo_nb.sandbox import refunds, render
from preo_nb.sandbox.access import READ
from preo_nb.sandbox.models import Purchase
from preo_nb.sandbox.web import Group, caller, get_or_404, read_body, store

group = Group("Purchases")
Json = dict[str, Any]


def _get(purchase_id: str) -> Purchase:
    purchase = get_or_404(store().data.purchases, purchase_id)
    caller().require(store().org_of_edition(purchase.edition_id), READ)
    return purchase


@group.view
def purchases_retrieve(purchase_id: str) -> Json:
    """Return one purchase."""
    return render.purchase(store(), _get(purchase_id))


@group.view
def purchases_refund(purchase_id: str) -> tuple[Json, int]:
    """File a refund request for this purchase (staff may; README 4.2)."""
    purchase = _get(purchase_id)
    body = read_body("purchases_refund")
    request = refunds.file_request(purchase, body)
    return refunds.render_for_caller(request), 201
