"""Consents: the opt-ins buyers can grant (marketing e-mails, SMS, photos...)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar, Literal

import pandas as pd

from preo_nb.checks import NOT_GIVEN, check_id
from preo_nb.errors import PreoValidationError
from preo_nb.resources._base import Resource, changes, filters_of, given, iterates

Ordering = Literal["created", "-created", "modified", "-modified", "order", "-order", "title", "-title"]


def check_text(value: Any, name: str) -> str:
    """Return a non-empty string, or raise naming ``name``."""
    if not isinstance(value, str) or not value.strip():
        raise PreoValidationError(name, f"must be a non-empty string, not {value!r}")
    return value


def check_fields(**fields: Any) -> None:
    """Check the optional consent fields that were passed."""
    if fields.get("title") not in (None, NOT_GIVEN):
        check_text(fields["title"], "title")
    order = fields.get("order")
    if order not in (None, NOT_GIVEN) and (isinstance(order, bool) or not isinstance(order, int)):
        raise PreoValidationError("order", f"must be an integer, not {order!r}")
    enabled = fields.get("enabled")
    if enabled not in (None, NOT_GIVEN) and not isinstance(enabled, bool):
        raise PreoValidationError("enabled", f"must be True or False, not {enabled!r}")
    edition_id = fields.get("edition_id")
    if edition_id not in (None, NOT_GIVEN):
        check_id(edition_id, "edition_id")


class Consents(Resource):
    """Consent definitions of your organizations (``preo.consents``)."""

    PATHS: ClassVar[dict[str, str]] = {
        "list": "/v1/consents",
        "create": "/v1/consents",
        "retrieve": "/v1/consents/{id}",
        "update": "/v1/consents/{id}",
        "delete": "/v1/consents/{id}",
    }

    def list(
        self,
        *,
        organization_id: str | None = None,
        edition_id: str | None = None,
        enabled: bool | None = None,
        ordering: Ordering | None = None,
        progress: bool | None = None,
    ) -> pd.DataFrame:
        """List consents in display order (``order``) as a DataFrame (every page).

        Args:
            edition_id: Only the consents of this edition (organization-wide ones
                have no edition and are left out).
            enabled: Only the enabled (offered) or the disabled ones.
            ordering: Sort key, ``-`` for descending; default ``order``.
            progress: Show a progress bar (default: when several pages are read).

        Returns:
            One row per consent: ``id``, ``organization_id``, ``edition_id``, ``title``,
            ``description``, ``order``, ``enabled``, ``created``, ``modified``.
        """
        filters = filters_of(locals())
        return self._list("consents_list", filters, progress)

    @iterates(list)
    def iterate(self, **filters: Any) -> Iterator[dict[str, Any]]:
        """Yield consents one by one, reading pages as needed."""
        return self._iterate("consents_list", given(**filters))

    def retrieve(self, id: str) -> dict[str, Any]:
        """Fetch one consent."""
        return self._get(self._path("retrieve", id))

    def create(
        self,
        *,
        organization_id: str,
        title: str,
        edition_id: str | None = None,
        description: str | None = None,
        order: int | None = None,
        enabled: bool | None = None,
    ) -> dict[str, Any]:
        """Create a consent in an organization where you are admin or manager.

        Args:
            organization_id: The owner (``org_...``).
            title: The text shown next to the checkbox.
            edition_id: Offer it in one edition only; default: the whole organization.
            description: A longer explanation or the policy text.
            order: Display position; default: after the organization's last consent.
            enabled: Whether buyers are offered it; default True.

        Returns:
            The new consent.
        """
        check_fields(title=title, order=order, enabled=enabled, edition_id=edition_id)
        body = given(
            organization_id=check_id(organization_id, "organization_id"),
            title=title,
            edition_id=edition_id,
            description=description,
            order=order,
            enabled=enabled,
        )
        return self._post(self.PATHS["create"], body)

    def update(
        self,
        id: str,
        *,
        title: str = NOT_GIVEN,
        edition_id: str | None = NOT_GIVEN,
        description: str | None = NOT_GIVEN,
        order: int = NOT_GIVEN,
        enabled: bool = NOT_GIVEN,
    ) -> dict[str, Any]:
        """Change the fields you pass (``None`` clears edition_id or description); the owner never changes."""
        check_fields(title=title, order=order, enabled=enabled, edition_id=edition_id)
        body = changes(title=title, edition_id=edition_id, description=description, order=order, enabled=enabled)
        return self._patch(self._path("update", id), body)

    def delete(self, id: str) -> None:
        """Delete a consent and the customers' grants of it.

        Raises:
            Conflict: ``code == "in_use"`` while a segment refers to it.
        """
        self._http.request("DELETE", self._path("delete", id))
