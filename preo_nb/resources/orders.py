"""Orders, read-only, and the purchases inside them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any, ClassVar, Literal

import pandas as pd

from preo_nb import _embedded, _pages, _values, _verify, contract, frames
from preo_nb._http import HTTP
from preo_nb.checks import check_query
from preo_nb.errors import PreoValidationError
from preo_nb.resources._base import Resource, filters_of, given, iterates

Status = Literal["pending", "confirmed", "completed", "cancelled"]
OrderType = Literal["online", "in-person", "imported"]
Ordering = Literal[
    "created",
    "-created",
    "modified",
    "-modified",
    "order_number",
    "-order_number",
    "status",
    "-status",
    "type",
    "-type",
    "amount",
    "-amount",
]
When = str | dt.date | dt.datetime | pd.Timestamp


def _scoped(filters: dict[str, Any]) -> dict[str, Any]:
    """``filters``, when they hold one of the scopes the contract requires (``x-required-filters``)."""
    scopes = contract.required_filters("orders_list")
    if not any(filters.get(name) for name in scopes):
        raise PreoValidationError(scopes[0], f"orders need a scope: pass {', '.join(scopes[:-1])} or {scopes[-1]}")
    return filters


class Orders(Resource):
    """Orders of the editions you can see (``preo.orders``)."""

    PATHS: ClassVar[dict[str, str]] = {
        "list": "/v1/orders",
        "retrieve": "/v1/orders/{id}",
    }

    def list(
        self,
        *,
        edition_id: str | None = None,
        organization_id: str | None = None,
        customer_id: str | None = None,
        status: Status | None = None,
        type: OrderType | None = None,
        created_after: When | None = None,
        created_before: When | None = None,
        customer_email: str | None = None,
        customer_phone: str | None = None,
        order_number: str | None = None,
        transaction_id: str | None = None,
        search: str | None = None,
        ordering: Ordering | None = None,
        progress: bool | None = None,
    ) -> pd.DataFrame:
        """List orders as a DataFrame (every page). One of edition_id, organization_id
        or customer_id is required.

        Args:
            created_after: A date, datetime or ISO string; naive values count as UTC.
            search: Free text over order number, id, buyer e-mail and phone, transaction id.
            ordering: Sort key, ``-`` for descending; default ``-created``.
            progress: Show a progress bar (default: when several pages are read).

        Returns:
            One row per order: ``id``, ``order_number``, ``status``, ``type``, ``amount``,
            ``currency``, ``edition_id``, ``customer.*``, ``transaction_id``, ``created``...
        """
        filters = _scoped(filters_of(locals()))
        return self._list("orders_list", filters, progress)

    @iterates(list)
    def iterate(self, **filters: Any) -> Iterator[dict[str, Any]]:
        """Yield orders one by one, reading pages only as they are needed (the filters of ``list``)."""
        return self._iterate("orders_list", _scoped(given(**filters)))

    def retrieve(self, id: str) -> dict[str, Any]:
        """Fetch one order with its purchases and its payment transaction."""
        return self._get(self._path("retrieve", id))

    def purchases(
        self,
        *,
        edition_id: str | None = None,
        organization_id: str | None = None,
        customer_id: str | None = None,
        status: Status | None = None,
        created_after: When | None = None,
        created_before: When | None = None,
        progress: bool | None = None,
    ) -> pd.DataFrame:
        """Every purchase of the matching orders, one row each (not an API operation).

        Reads the orders page by page and each order's detail (concurrently), and
        turns each page's purchases into columns before reading on, so memory holds
        the DataFrame and a few pages, not every order. Columns follow the contract's
        ``Purchase`` schema (``api_id``, ``order_id``, ``product.name``, ``price``,
        ``deposit``, ``fee``...); ``metadata`` stays a dict per row. The progress bar
        counts orders. Where every order on a page already carries its complete
        purchases, that page costs no detail reads (``check-contract`` says whether
        the server's list does this).
        """
        filters = _scoped(filters_of(locals()))
        query = check_query("orders_list", filters)
        pages = _pages.read(self._http, self.PATHS["list"], query, progress=progress)
        batches = (self._purchases_of(page) for page in _verify.Verifier("orders_list", query).pages(pages))
        return self._frames(batches, frames.schema_columns("Purchase"))

    def _purchases_of(self, orders: _embedded.Page) -> _embedded.Records:
        """A page's purchases, each with its order id: from the page when it carries them, else the details."""
        carried = _embedded.purchases_in(orders)
        if carried is not None:
            return carried
        return _details(self._http, [self._path("retrieve", _values.key_of(o), trusted=True) for o in orders])


def _details(http: HTTP, paths: list[str]) -> list[dict[str, Any]]:
    """Read the details of a page of orders; return their purchases, each with its order id."""
    details = _pages.get_many(http, paths, progress=False)
    return [{"order_id": _values.key_of(d), **p} for d in details for p in d.get("purchases", [])]
