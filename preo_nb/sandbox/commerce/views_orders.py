"""Orders, purchases, customers and the caller: the groups that read what was sold.

Orders are searched across the caller's editions; a purchase can be refunded
(through the refund rules); customers are visible to the organizations they
bought from; ``auth/me`` says who the caller is.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from operator import attrgetter
from typing import Any

from preo_nb import contract
from preo_nb.sandbox.commerce import render
from preo_nb.sandbox.commerce.models import Customer, Order, Purchase, Tables, org_of_edition
from preo_nb.sandbox.commerce.views_refunds import file_request, render_for_caller
from preo_nb.sandbox.core.access import READ, WRITE
from preo_nb.sandbox.core.errors import get_or_404, invalid
from preo_nb.sandbox.web import listing
from preo_nb.sandbox.web.body import read_body
from preo_nb.sandbox.web.views import Group, caller, typed_store

store = typed_store(Tables)

Json = dict[str, Any]

# -- orders ------------------------------------------------------------------

orders = Group("Orders")

ORDERS_ORDERING = {key: attrgetter(key) for key in ("created", "modified", "order_number", "status", "type", "amount")}


@orders.view
def orders_list() -> Json:
    """List orders; one of edition_id, organization_id or customer_id is required."""
    values = listing.filters("orders_list")
    scopes = contract.required_filters("orders_list")
    if not any(name in values for name in scopes):
        raise invalid({"non_field_errors": [f"One of {', '.join(scopes[:-1])} or {scopes[-1]} is required."]})
    orgs = listing.scoped_orgs(caller(), values)
    tables = store().data

    def matching() -> list[Order]:
        test = listing.matcher("orders_list", values, ORDER_COLUMNS)
        found = [
            order
            for order in tables.orders.values()
            if order.organization_id in orgs and test((order, tables.customers[order.customer_id]))
        ]
        return listing.ordered("orders_list", found, ORDERS_ORDERING)

    ordered = listing.remembered("orders_list", caller(), matching)
    return listing.paginate(ordered, partial(render.order, store()))  # the store looked up once a page, not per row


Sold = tuple[Order, Customer]
#: The orders list's columns the contract's filter table names, as an (order, buyer) pair shows them.
ORDER_COLUMNS: dict[str, Callable[[Sold], Any]] = {
    "edition_id": lambda sold: sold[0].edition_id,
    "organization_id": lambda sold: sold[0].organization_id,
    "customer.api_id": lambda sold: sold[0].customer_id,
    "transaction_id": lambda sold: sold[0].transaction_id,
    "status": lambda sold: sold[0].status,
    "type": lambda sold: sold[0].type,
    "created": lambda sold: sold[0].created,
    "order_number": lambda sold: sold[0].order_number,
    "id": lambda sold: sold[0].id,
    "customer.email": lambda sold: sold[1].email,
    "customer.phone_number": lambda sold: sold[1].phone_number,
}


@orders.view
def orders_retrieve(order_id: str) -> Json:
    """Return one order with its purchases (full Purchase shape) and transaction."""
    order = caller().fetch(store().data.orders, order_id, READ)
    return render.order_detail(store(), order)


# -- purchases ---------------------------------------------------------------

purchases = Group("Purchases")


def _purchase(purchase_id: str) -> Purchase:
    purchase = get_or_404(store().data.purchases, purchase_id)
    caller().require(org_of_edition(store(), purchase.edition_id), READ)
    return purchase


@purchases.view
def purchases_retrieve(purchase_id: str) -> Json:
    """Return one purchase."""
    return render.purchase(store(), _purchase(purchase_id))


@purchases.view
def purchases_refund(purchase_id: str) -> tuple[Json, int]:
    """File a refund request for this purchase (staff may; README 4.2)."""
    purchase = _purchase(purchase_id)
    body = read_body("purchases_refund")
    return render_for_caller(file_request(purchase, body)), 201


# -- users (customers) --------------------------------------------------------

users = Group("Users")

USERS_ORDERING = {"created": attrgetter("created")}
UPDATABLE = ("first_name", "last_name", "phone_number", "locale")


def _buyer_orgs(customer_id: str) -> set[str]:
    """Organizations where the customer has ordered: they decide who may see it."""
    return {o.organization_id for o in store().data.orders.values() if o.customer_id == customer_id}


@users.view
def users_list() -> Json:
    """List customers with an order in the caller's organizations (or one edition)."""
    values = listing.filters("users_list")
    orgs = caller().orgs(READ)
    edition_id = values.get("edition_id")
    buyers = {
        o.customer_id
        for o in store().data.orders.values()
        if o.organization_id in orgs and edition_id in (None, o.edition_id)
    }
    search = values.get("search")
    found = [c for c in store().data.customers.values() if c.id in buyers and (search is None or _found_by(c, search))]
    return listing.paginate(listing.ordered("users_list", found, USERS_ORDERING), render.user)


def _found_by(customer: Customer, text: str) -> bool:
    fields = (customer.full_name, customer.email, customer.phone_number)
    return any(listing.contains(value, text) for value in fields)


def _customer(customer_id: str, need: str) -> Customer:
    customer = get_or_404(store().data.customers, customer_id)
    caller().require_any(_buyer_orgs(customer.id), need)
    return customer


@users.view
def users_retrieve(customer_id: str) -> Json:
    """Return one customer."""
    return render.user(_customer(customer_id, READ))


@users.view
def users_update(customer_id: str) -> Json:
    """Change a customer's names, phone or locale (admin or manager); e-mail is read-only."""
    customer = _customer(customer_id, WRITE)
    body = read_body("users_update")
    locale = body.get("locale")
    if locale is not None and locale not in contract.enum("Language"):
        raise invalid({"locale": [f'"{locale}" is not a valid choice.']})
    for key in UPDATABLE:
        if key in body:
            setattr(customer, key, body[key])
    customer.modified = store().now()
    return render.user(customer)


# -- auth ----------------------------------------------------------------------

auth = Group("Auth")


@auth.view
def auth_me() -> dict[str, Any]:
    """Return the caller's staff-user fields and its organizations with roles.

    Any valid token may ask, a guest's included: it is how a caller learns
    what it may do.
    """
    member = caller().member
    memberships = [
        {"id": org.id, "name": org.name, "role": member.roles[org.id]}
        for org in store().data.organizations.values()
        if org.id in member.roles
    ]
    return render.staff_user(member) | {"organizations": memberships}
