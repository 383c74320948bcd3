"""Edition rules that are not plain field copies: slugs, links, choices, checks.

Kept apart from the views (``views_editions``) so the views read as the
workflow and this module as the policy (README 4.7 and the contract's Edition
schema).
"""

from __future__ import annotations

import functools
import re
import zoneinfo
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any, Protocol

from preo_nb import contract
from preo_nb.sandbox.commerce.models import Edition, Store
from preo_nb.sandbox.core.errors import invalid, unknown_pk
from preo_nb.sandbox.core.store import AnyStore
from preo_nb.sandbox.core.values import iso

COUNTRIES = {
    "+43": "Austria",
    "+32": "Belgium",
    "+45": "Denmark",
    "+358": "Finland",
    "+33": "France",
    "+49": "Germany",
    "+31": "Netherlands",
    "+47": "Norway",
    "+48": "Poland",
    "+46": "Sweden",
    "+41": "Switzerland",
    "+44": "United Kingdom",
    "+1": "United States",
}
LANGUAGES = {
    "en": "English",
    "da": "Danish",
    "se": "Swedish",
    "nl": "Dutch",
    "pl": "Polish",
}
TAX_TYPES = {
    "none": "No tax",
    "vat": "VAT (included in prices)",
    "sales": "Sales tax (added)",
}
CURATED_ZONES = (
    "Europe/Copenhagen",
    "Europe/Amsterdam",
    "Europe/Stockholm",
    "Europe/London",
    "UTC",
)


@functools.cache
def timezones() -> tuple[str, ...]:
    """Return the IANA zones accepted (the curated few when no tz database is installed)."""
    return tuple(sorted(zoneinfo.available_timezones())) or CURATED_ZONES


def slugify(text: str) -> str:
    """Turn a name into a slug matching ``^[-a-zA-Z0-9_]+$``."""
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug or "edition"


def unique_slug(store: Store, base: str, *, first_suffix: int = 2) -> str:
    """Return ``base``, or ``base-n`` with the smallest free n."""
    taken = {e.slug for e in store.data.editions.values()}
    if base not in taken:
        return base
    n = first_suffix
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


def check_slug(store: Store, edition: Edition, slug: str) -> None:
    """Refuse a slug another edition already uses (400 on slug)."""
    if any(e.slug == slug and e.id != edition.id for e in store.data.editions.values()):
        raise invalid({"slug": ["An edition with this slug already exists."]})


class Linked(Protocol):
    """An object an edition's id field may point to."""

    @property
    def id(self) -> str:
        """Its id."""

    @property
    def organization_id(self) -> str | None:
        """Its organization (None: Preo's own)."""

    @property
    def name(self) -> str:
        """The label the edition form shows for it."""


LINKS: dict[str, Callable[[AnyStore], Iterable[Linked]]] = {
    "fee_rule_id": lambda store: store.data.fee_rules.values(),
    "merchant_account_id": lambda store: store.data.merchant_accounts.values(),
}
"""Edition id field -> every object it may point to, in the order choices list them.

The emails domain adds the two message links (``transaction_receipt_email_id``,
``refund_confirmation_email_id``) when it registers: their objects are its own.
"""

LINK_FIELDS = (
    "fee_rule_id",
    "merchant_account_id",
    "transaction_receipt_email_id",
    "refund_confirmation_email_id",
)


def link_choices(store: Store, org_id: str, field: str) -> list[Linked]:
    """Return the objects of an organization an edition's id field may point to."""
    return [obj for obj in LINKS[field](store) if obj.organization_id == org_id]


def check_links(store: Store, org_id: str, values: dict[str, Any]) -> dict[str, list[str]]:
    """Return field errors for id fields naming no object of that organization."""
    errors: dict[str, list[str]] = {}
    for field in LINK_FIELDS:
        wanted = values.get(field)
        if wanted is not None and wanted not in {o.id for o in link_choices(store, org_id, field)}:
            errors[field] = [unknown_pk(wanted)]
    return errors


def check_timezone(values: dict[str, Any]) -> dict[str, list[str]]:
    """Return a field error when ``timezone`` is not an IANA zone name."""
    zone = values.get("timezone")
    if zone is not None and zone not in timezones():
        return {"timezone": [f'"{zone}" is not a valid choice.']}
    return {}


def check_dates(start: datetime | None, end: datetime | None) -> dict[str, list[str]]:
    """Return a field error when the end comes before the start."""
    if start is not None and end is not None and end < start:
        return {"end_date": ["The end date must not be before the start date."]}
    return {}


def field_choices(store: Store, edition: Edition) -> dict[str, list[dict[str, str]]]:
    """Return the allowed values per edition form field (README 4.7)."""
    languages = _choices(LANGUAGES, contract.enum("Language"))
    found = {
        "timezone": [{"value": z, "label": z.replace("_", " ")} for z in timezones()],
        "default_country_code": [
            {"value": code, "label": f"{COUNTRIES.get(code, code)} ({code})"} for code in contract.enum("CountryCode")
        ],
        "default_language": languages,
        "enabled_languages": languages,
        "tax_type": _choices(TAX_TYPES, contract.enum("TaxType")),
    }
    for field in LINK_FIELDS:
        objects = link_choices(store, edition.organization_id, field)
        found[field] = [{"value": o.id, "label": o.name} for o in objects]
    return found


def _choices(labels: dict[str, str], values: tuple[str, ...]) -> list[dict[str, str]]:
    return [{"value": v, "label": labels.get(v, v)} for v in values]


HealthTest = Callable[[Edition], bool]
HEALTH_CHECKS: tuple[tuple[str, str, HealthTest, str, str], ...] = (
    (
        "has_dates",
        "error",
        lambda e: e.start_date is not None and e.end_date is not None,
        "Start and end date are set.",
        "The edition needs a start and an end date.",
    ),
    (
        "dates_ordered",
        "error",
        lambda e: not check_dates(e.start_date, e.end_date),
        "The dates are in order (or not both set yet).",
        "The end date is before the start date.",
    ),
    (
        "has_merchant_account",
        "error",
        lambda e: e.merchant_account_id is not None,
        "A merchant account receives the payments.",
        "No merchant account is set.",
    ),
    (
        "has_receipt_email",
        "warning",
        lambda e: e.transaction_receipt_email_id is not None,
        "A receipt email is set.",
        "No receipt email is set; buyers get the default.",
    ),
    (
        "has_refund_confirmation_email",
        "warning",
        lambda e: e.refund_confirmation_email_id is not None,
        "A refund confirmation email is set.",
        "No refund confirmation email is set; refunded buyers get the default.",
    ),
)
"""(code, status when failing, test, message when passing, message when failing)"""


def healthcheck(edition: Edition, now: datetime) -> dict[str, Any]:
    """Run the configuration checks of README 4.7; any error makes it unhealthy."""
    checks = []
    for code, severity, test, good, bad in HEALTH_CHECKS:
        passed = test(edition)
        checks.append(
            {
                "code": code,
                "status": "ok" if passed else severity,
                "message": good if passed else bad,
            }
        )
    healthy = all(c["status"] != "error" for c in checks)
    return {"healthy": healthy, "checks": checks, "checked_at": iso(now)}
