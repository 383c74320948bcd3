"""Customers known to your organizations."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

import pandas as pd

from preo_nb import contract
from preo_nb.checks import NOT_GIVEN, check_enum
from preo_nb.resources._base import Resource, changes, filters_of, given, iterates


class Users(Resource):
    """Customers (``preo.users``)."""

    PATHS: ClassVar[dict[str, str]] = {
        "list": "/v1/users",
        "retrieve": "/v1/users/{id}",
        "update": "/v1/users/{id}",
    }

    def list(
        self, *, search: str | None = None, edition_id: str | None = None, progress: bool | None = None
    ) -> pd.DataFrame:
        """List customers as a DataFrame (every page).

        Args:
            search: Substring of name, e-mail or phone.
            edition_id: Only customers with an order in this edition.
            progress: Show a progress bar (default: when several pages are read).
        """
        return self._list("users_list", filters_of(locals()), progress)

    @iterates(list)
    def iterate(self, **filters: Any) -> Iterator[dict[str, Any]]:
        """Yield customers one by one, reading pages as needed."""
        return self._iterate("users_list", given(**filters))

    def retrieve(self, id: str) -> dict[str, Any]:
        """Fetch one customer."""
        return self._get(self._path("retrieve", id))

    def update(
        self,
        id: str,
        *,
        first_name: str = NOT_GIVEN,
        last_name: str = NOT_GIVEN,
        phone_number: str | None = NOT_GIVEN,
        locale: str | None = NOT_GIVEN,
    ) -> dict[str, Any]:
        """Change a customer's profile; only the fields you pass change (``None`` clears).

        ``locale`` is one of the content languages (en, da, se, nl, pl). The e-mail
        address cannot be changed here.
        """
        if locale not in (None, NOT_GIVEN):
            check_enum(locale, "locale", contract.enum("Language"))
        body = changes(first_name=first_name, last_name=last_name, phone_number=phone_number, locale=locale)
        return self._patch(self._path("update", id), body)
