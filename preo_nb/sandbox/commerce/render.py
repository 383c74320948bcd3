"""Records -> the JSON shapes of the contract.

One function per schema, shared by every group that nests it (a purchase
summary appears in orders, purchases and refund requests), so one shape is
written once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from preo_nb.sandbox.commerce.models import (
    Customer,
    Edition,
    Order,
    PickupPoint,
    Product,
    Purchase,
    RefundRequest,
    Store,
    Transaction,
)
from preo_nb.sandbox.core.access import StaffMember
from preo_nb.sandbox.core.values import amount, iso

Json = dict[str, Any]


def edition_status(edition: Edition, now: datetime) -> str:
    """Derive the EditionStatus from the dates and the store clock."""
    if edition.start_date is None or edition.end_date is None:
        return "no_dates"
    if now < edition.start_date:
        return "upcoming"
    return "current" if now <= edition.end_date else "past"


def edition(store: Store, record: Edition) -> Json:
    """Render an Edition."""
    event = store.data.events.get(record.event_id or "")
    full_name = f"{event.name} {record.name}" if event else record.name
    return {
        "id": record.id,
        "name": record.name,
        "full_name": full_name,
        "slug": record.slug,
        "timezone": record.timezone,
        "status": edition_status(record, store.now()),
        "fee_rule_id": record.fee_rule_id,
        "merchant_account_id": record.merchant_account_id,
        "meta_image_id": record.meta_image_id,
        "transaction_receipt_email_id": record.transaction_receipt_email_id,
        "refund_confirmation_email_id": record.refund_confirmation_email_id,
        "created": iso(record.created),
        "modified": iso(record.modified),
        "start_date": iso(record.start_date),
        "end_date": iso(record.end_date),
        "default_country_code": record.default_country_code,
        "default_language": record.default_language,
        "enabled_languages": list(record.enabled_languages),
        "tax_type": record.tax_type,
        "organization_id": record.organization_id,
        "event_id": record.event_id,
        "is_draft": record.is_draft,
        "is_archived": record.is_archived,
    }


def staff_user(record: StaffMember) -> Json:
    """Render a StaffUser."""
    return {
        "id": record.id,
        "email": record.email,
        "full_name": record.full_name,
        "first_name": record.first_name,
        "last_name": record.last_name,
        "phone_number": record.phone_number,
        "avatar": record.avatar,
        "has_custom_avatar": record.avatar is not None,
    }


def user(record: Customer) -> Json:
    """Render a User (a customer)."""
    return {
        "id": record.id,
        "email": record.email,
        "first_name": record.first_name,
        "last_name": record.last_name,
        "full_name": record.full_name,
        "phone_number": record.phone_number,
        "locale": record.locale,
        "created": iso(record.created),
        "modified": iso(record.modified),
    }


def user_ref(record: Customer) -> Json:
    """Render a UserRef; ``email`` is left out when the customer has none."""
    ref: Json = {"api_id": record.id, "full_name": record.full_name}
    if record.email:
        ref["email"] = record.email
    return ref


def product_ref(record: Product) -> Json:
    """Render a ProductRef with one image in all renditions."""
    images = []
    if record.image:
        images.append({size: f"{record.image}?size={size}" for size in _RENDITIONS})
    return {
        "api_id": record.id,
        "name": record.name,
        "is_draft": record.is_draft,
        "images": images,
    }


_RENDITIONS = ("thumbnail", "optimized", "large", "original")


def purchase_summary(store: Store, record: Purchase) -> Json:
    """Render a PurchaseSummary (the purchase nested in refund requests)."""
    return {
        "api_id": record.id,
        "vendor_code": record.vendor_code,
        "status": record.status,
        "product": product_ref(store.data.products[record.product_id]),
        "variant": record.variant,
        "user": user_ref(store.data.customers[record.customer_id]),
        "metadata": dict(record.metadata),
    }


def purchase(store: Store, record: Purchase) -> Json:
    """Render a Purchase: the summary plus money and links."""
    return purchase_summary(store, record) | {
        "edition_id": record.edition_id,
        "order_id": record.order_id,
        "transaction_id": record.transaction_id,
        "price": amount(record.price),
        "deposit": amount(record.deposit),
        "fee": amount(record.fee),
        "currency": record.currency,
        "refunded_amount": amount(record.refunded_amount),
        "created": iso(record.created),
        "modified": iso(record.modified),
    }


def transaction(record: Transaction) -> Json:
    """Render a Transaction."""
    return {
        "id": record.id,
        "type": record.type,
        "status": record.status,
        "service": record.service,
        "amount": amount(record.amount),
        "currency": record.currency,
        "service_fee": amount(record.service_fee),
        "handling_fee": amount(record.handling_fee),
        "refunded_amount": amount(record.refunded_amount),
        "available_refund_amount": amount(record.available_refund_amount),
        "created": iso(record.created),
    }


def order(store: Store, record: Order) -> Json:
    """Render an Order row."""
    buyer = store.data.customers[record.customer_id]
    return {
        "id": record.id,
        "order_number": record.order_number,
        "status": record.status,
        "type": record.type,
        "amount": amount(record.amount),
        "currency": record.currency,
        "edition_id": record.edition_id,
        "organization_id": record.organization_id,
        "customer": {
            "api_id": buyer.id,
            "full_name": buyer.full_name,
            "email": buyer.email,
            "phone_number": buyer.phone_number,
        },
        "transaction_id": record.transaction_id,
        "created": iso(record.created),
        "modified": iso(record.modified),
    }


def order_detail(store: Store, record: Order) -> Json:
    """Render an OrderDetail; its purchases use the full Purchase shape."""
    payment = store.data.transactions.get(record.transaction_id or "")
    return order(store, record) | {
        "purchases": [purchase(store, store.data.purchases[p]) for p in record.purchase_ids],
        "transaction": transaction(payment) if payment else None,
    }


def pickup_point(record: PickupPoint) -> Json:
    """Render a PickupPointRef."""
    return {"api_id": record.id, "name": record.name, "is_draft": record.is_draft}


def refund(store: Store, record: RefundRequest, *, can_decide: bool) -> Json:
    """Render a RefundRequest; ``can_decide`` is whether the caller is admin/manager."""
    tables = store.data
    point = tables.pickup_points.get(record.pickup_point_id or "")
    open_for_decision = can_decide and record.status == "requested"
    return {
        "id": record.id,
        "organization": record.organization_id,
        "edition_id": record.edition_id,
        "purchase": purchase_summary(store, tables.purchases[record.purchase_id]),
        "transaction": transaction(tables.transactions[record.transaction_id]),
        "scope": record.scope,
        "reason": record.reason,
        "status": record.status,
        "amount": amount(record.amount),
        "comment": record.comment,
        "staff_user": staff_user(tables.staff[record.staff_id]),
        "pickup_point": pickup_point(point) if point else None,
        "service_response": dict(record.service_response),
        "refund_date": iso(record.refund_date),
        "created": iso(record.created),
        "modified": iso(record.modified),
        "can_approve": open_for_decision,
        "can_reject": open_for_decision,
    }
