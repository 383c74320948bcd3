"""Editions of events: list, create, change, copy and check."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, ClassVar, Literal

import pandas as pd

from preo_nb.checks import NOT_GIVEN, check_id, timestamp
from preo_nb.resources._base import Resource, changes, filters_of, given, iterates

EditionStatus = Literal["upcoming", "current", "past", "no_dates"]
Language = Literal["en", "da", "se", "nl", "pl"]
TaxType = Literal["none", "vat", "sales"]
Ordering = Literal[
    "created",
    "-created",
    "modified",
    "-modified",
    "start_date",
    "-start_date",
    "end_date",
    "-end_date",
    "name",
    "-name",
]


def _dates(**values: Any) -> dict[str, Any]:
    """Render the date arguments that were passed as UTC ISO strings."""
    return {k: (v if v in (None, NOT_GIVEN) else timestamp(v, k)) for k, v in values.items()}


class Editions(Resource):
    """Editions (``preo.editions``): one occurrence of an event."""

    PATHS: ClassVar[dict[str, str]] = {
        "list": "/v1/editions",
        "create": "/v1/editions",
        "retrieve": "/v1/editions/{id}",
        "update": "/v1/editions/{id}",
        "duplicate": "/v1/editions/{id}/duplicate",
        "field_choices": "/v1/editions/{id}/field-choices",
        "healthcheck": "/v1/editions/{id}/healthcheck",
    }

    def list(
        self,
        *,
        organization_id: str | None = None,
        status: EditionStatus | None = None,
        is_draft: bool | None = None,
        is_archived: bool | None = None,
        ordering: Ordering | None = None,
        progress: bool | None = None,
    ) -> pd.DataFrame:
        """List the editions you can see as a DataFrame (every page).

        Returns:
            One row per edition: ``id``, ``name``, ``slug``, ``status``, ``start_date``,
            ``end_date``, ``organization_id``, ``is_draft``, ``is_archived``...
        """
        filters = filters_of(locals())
        return self._list("editions_list", filters, progress)

    @iterates(list)
    def iterate(self, **filters: Any) -> Iterator[dict[str, Any]]:
        """Yield editions one by one, reading pages as needed."""
        return self._iterate("editions_list", given(**filters))

    def retrieve(self, id: str) -> dict[str, Any]:
        """Fetch one edition."""
        return self._get(self._path("retrieve", id))

    def create(
        self,
        *,
        organization_id: str,
        name: str,
        event_id: str | None = None,
        start_date: Any = None,
        end_date: Any = None,
        timezone: str | None = None,
        default_country_code: str | None = None,
        default_language: Language | None = None,
        enabled_languages: Sequence[Language] | None = None,
        tax_type: TaxType | None = None,
    ) -> dict[str, Any]:
        """Create an edition in an organization where you are admin or manager.

        Dates may be dates, datetimes or ISO strings (naive values count as UTC).
        """
        body = given(
            organization_id=check_id(organization_id, "organization_id"),
            name=name,
            event_id=event_id,
            timezone=timezone,
            default_country_code=default_country_code,
            default_language=default_language,
            enabled_languages=enabled_languages,
            tax_type=tax_type,
            **_dates(start_date=start_date, end_date=end_date),
        )
        return self._post(self.PATHS["create"], body)

    def update(
        self,
        id: str,
        *,
        name: str = NOT_GIVEN,
        slug: str = NOT_GIVEN,
        start_date: Any = NOT_GIVEN,
        end_date: Any = NOT_GIVEN,
        timezone: str = NOT_GIVEN,
        default_country_code: str = NOT_GIVEN,
        default_language: Language = NOT_GIVEN,
        enabled_languages: Sequence[Language] = NOT_GIVEN,
        tax_type: TaxType = NOT_GIVEN,
        fee_rule_id: str | None = NOT_GIVEN,
        merchant_account_id: str | None = NOT_GIVEN,
        meta_image_id: str | None = NOT_GIVEN,
        transaction_receipt_email_id: str | None = NOT_GIVEN,
        refund_confirmation_email_id: str | None = NOT_GIVEN,
        is_draft: bool = NOT_GIVEN,
        is_archived: bool = NOT_GIVEN,
    ) -> dict[str, Any]:
        """Change the fields you pass (``None`` clears a nullable one); returns the edition."""
        body = changes(
            name=name,
            slug=slug,
            timezone=timezone,
            default_country_code=default_country_code,
            default_language=default_language,
            enabled_languages=enabled_languages,
            tax_type=tax_type,
            fee_rule_id=fee_rule_id,
            merchant_account_id=merchant_account_id,
            meta_image_id=meta_image_id,
            transaction_receipt_email_id=transaction_receipt_email_id,
            refund_confirmation_email_id=refund_confirmation_email_id,
            is_draft=is_draft,
            is_archived=is_archived,
            **_dates(start_date=start_date, end_date=end_date),
        )
        return self._patch(self._path("update", id), body)

    def duplicate(
        self, id: str, *, name: str | None = None, start_date: Any = None, end_date: Any = None
    ) -> dict[str, Any]:
        """Copy an edition's configuration into a new draft edition (no dates unless given)."""
        body = given(name=name, **_dates(start_date=start_date, end_date=end_date))
        return self._post(self._path("duplicate", id), body)

    def field_choices(self, id: str) -> dict[str, Any]:
        """Return the allowed values per edition field: ``{field: [{value, label}, ...]}``."""
        return self._get(self._path("field_choices", id))

    def healthcheck(self, id: str) -> dict[str, Any]:
        """Run the edition's configuration checks: ``{healthy, checks: [...], checked_at}``."""
        return self._get(self._path("healthcheck", id))
