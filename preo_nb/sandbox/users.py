"""Users: the customers known to the caller's organizations."""

from __future__ import annotations

from operator import attrgetter
from typing import Any

from preo_nb import contract
from preo_nb.sandbox import listing, render
from preo_nb.sandbox.access import READ, WRITE
from preo_nb.sandbox.errors import invalid
from preo_nb.sandbox.models import Customer
from preo_nb.sandbox.web import Group, caller, get_or_404, read_body, store

group = Group("Users")

ORDERING = {"created": attrgetter("created")}
UPDATABLE = ("first_name", "last_name", "phone_number", "locale")
Json = dict[str, Any]


def _buyer_orgs(customer_id: str) -> set[str]:
    """Organizations where the customer has ordered: they decide who may see it."""
    return {
        o.organization_id
        for o in store().data.orders.values()
        if o.customer_id == customer_id
    }


@group.view
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
    found = [
        c
        for c in store().data.customers.values()
        if c.id in buyers and (search is None or _found_by(c, search))
    ]
    return listing.paginate(listing.ordered("users_list", found, ORDERING), render.user)


def _found_by(customer: Customer, text: str) -> bool:
    fields = (customer.full_name, customer.email, customer.phone_number)
    return any(listing.contains(value, text) for value in fields)


def _get(customer_id: str, need: str) -> Customer:
    customer = get_or_404(store().data.customers, customer_id)
    caller().require_any(_buyer_orgs(customer.id), need)
    return customer


@group.view
def users_retrieve(customer_id: str) -> Json:
    """Return one customer."""
    return render.user(_get(customer_id, READ))


@group.view
def users_update(customer_id: str) -> Json:
    """Change a customer's names, phone or locale (admin or manager); e-mail is read-only."""
    customer = _get(customer_id, WRITE)
    body = read_body("users_update")
    locale = body.get("locale")
    if locale is not None and locale not in contract.enum("Language"):
        raise invalid({"locale": [f'"{locale}" is not a valid choice.']})
    for key in UPDATABLE:
        if key in body:
            setattr(customer, key, body[key])
    customer.modified = store().now()
    return render.user(customer)
