"""Data imports: bring orders sold elsewhere into an edition.

From a file: ``create`` (CSV/Excel) -> ``wait`` -> ``list_column_mappings`` /
``update_column_mappings`` -> ``process_column_mappings`` ->
``list_product_mappings`` / ``update_product_mappings`` -> ``preview_orders`` ->
``start_import`` -> ``wait``. From another system's JSON: ``import_external_orders``
-> ``wait``. Imported orders then appear in ``preo.orders`` with type ``imported``.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, ClassVar, Literal

import pandas as pd

from preo_nb import contract, frames
from preo_nb._http import Reconcile
from preo_nb.checks import NOT_GIVEN, check_enum, check_id
from preo_nb.errors import PreoValidationError
from preo_nb.resources._base import Resource, changes, filters_of, given, iterates
from preo_nb.resources._import_checks import check_orders
from preo_nb.resources.files import FileSource, read_pages, read_source

Stage = Literal[
    "uploaded",
    "needs_column_mapping",
    "needs_product_mapping",
    "importing",
    "completed",
    "failed",
    "cancelled",
]
ColumnType = Literal[
    "customer_email",
    "product_code",
    "quantity",
    "customer_phone",
    "customer_first_name",
    "customer_last_name",
    "customer_full_name",
    "product_name",
    "unit_price",
    "order_id",
    "item_id",
]
CountryCode = Literal["+43", "+32", "+45", "+358", "+33", "+49", "+31", "+47", "+48", "+46", "+41", "+44", "+1"]
Ordering = Literal["created", "-created", "modified", "-modified", "stage", "-stage"]
EXTENSIONS = (".csv", ".xlsx", ".xls")
#: Stages in which Preo works on its own; ``wait`` returns at any other stage.
RUNNING_STAGES = ("uploaded", "importing")


def _file_body(file: Any, data_file_name: str | None) -> dict[str, str]:
    """Return the base64 body fields of an upload; a DataFrame is sent as CSV."""
    known: str | None = "orders.csv"
    if isinstance(file, pd.DataFrame):
        content = file.to_csv(index=False).encode("utf-8")
    else:
        content, known = read_source(file, "file")
    name = data_file_name or known
    if not name:
        raise PreoValidationError("data_file_name", "is required when the file is given as bytes")
    if not name.lower().endswith(EXTENSIONS):
        raise PreoValidationError("data_file_name", f"{name!r} must end in .csv, .xlsx or .xls")
    return {"data_file_base64": base64.b64encode(content).decode("ascii"), "data_file_name": name}


def _mappings(mappings: Any, key: str, value: str, check: Any) -> list[dict[str, Any]]:
    """Turn ``{key: value}`` into the body's list of mapping objects, checking each value."""
    if not isinstance(mappings, Mapping) or not mappings:
        raise PreoValidationError("mappings", f"must be a non-empty dict of {key} -> {value}")
    found = []
    for name, target in mappings.items():
        if not isinstance(name, str) or not name:
            raise PreoValidationError("mappings", f"{key} {name!r} must be a non-empty string")
        found.append({key: name, value: None if target is None else check(target)})
    return found


def _mapping_frame(operation_id: str, records: list[dict[str, Any]], page: dict[str, Any]) -> pd.DataFrame:
    """Column mappings as a DataFrame, with the fields that may and must be mapped in ``attrs``."""
    df = frames.frame(operation_id, records)
    df.attrs.update(available_fields=page.get("available_fields", []), required_fields=page.get("required_fields", []))
    return df


class DataImports(Resource):
    """Imports of external orders into an edition (``preo.data_imports``)."""

    PATHS: ClassVar[dict[str, str]] = {
        "list": "/v1/data-imports",
        "create": "/v1/data-imports",
        "retrieve": "/v1/data-imports/{id}",
        "update": "/v1/data-imports/{id}",
        "cancel": "/v1/data-imports/{id}/cancel",
        "import_external_orders": "/v1/data-imports/import-external-orders",
        "column_mappings": "/v1/data-imports/{id}/column-mappings",
        "validate_column_mappings": "/v1/data-imports/{id}/validate-column-mappings",
        "process_column_mappings": "/v1/data-imports/{id}/process-column-mappings",
        "product_mappings": "/v1/data-imports/{id}/product-mappings",
        "preview_orders": "/v1/data-imports/{id}/preview-orders",
        "start_import": "/v1/data-imports/{id}/start-import",
    }

    def list(
        self,
        *,
        edition_id: str | None = None,
        stage: Stage | None = None,
        service: str | None = None,
        include_cancelled: bool | None = None,
        created_after: Any = None,
        created_before: Any = None,
        ordering: Ordering | None = None,
        progress: bool | None = None,
    ) -> pd.DataFrame:
        """List imports, newest first, as a DataFrame (every page); cancelled ones only when asked.

        Returns:
            One row per import: ``id``, ``edition.id``, ``edition.name``, ``stage``, ``name``,
            ``service``, ``row_count``, ``imported_order_count``, ``error_message``, ``created``...
        """
        filters = filters_of(locals())
        return self._list("data_imports_list", filters, progress)

    @iterates(list)
    def iterate(self, **filters: Any) -> Iterator[dict[str, Any]]:
        """Yield imports one by one, reading pages as needed."""
        return self._iterate("data_imports_list", given(**filters))

    def retrieve(self, id: str) -> dict[str, Any]:
        """Fetch one import; Preo moves a running one on (reading the file, importing)."""
        return self._get(self._path("retrieve", id))

    def create(
        self,
        *,
        edition_id: str,
        file: FileSource | pd.DataFrame,
        data_file_name: str | None = None,
        name: str | None = None,
        default_country_code: CountryCode | None = None,
    ) -> dict[str, Any]:
        """Upload a CSV or Excel file of orders into an edition (admin or manager).

        Args:
            edition_id: The edition receiving the orders.
            file: A path, the bytes, a file opened with ``"rb"``, or a DataFrame (sent as CSV).
            data_file_name: Its name; the extension (.csv, .xlsx, .xls) picks the parser.
                Needed for bytes; a DataFrame is called ``orders.csv``.
            name: The import's name (default: the file name without extension).
            default_country_code: Phone prefix for numbers without one (default: the edition's).

        Returns:
            The import, stage ``uploaded``; ``wait(id)`` until Preo has read the columns.
        """
        if default_country_code is not None:
            check_enum(default_country_code, "default_country_code", contract.enum("CountryCode"))
        body = {
            "edition_id": check_id(edition_id, "edition_id"),
            **_file_body(file, data_file_name),
            **given(name=name, default_country_code=default_country_code),
        }
        return self._post(self.PATHS["create"], body)

    def update(
        self, id: str, *, name: str = NOT_GIVEN, default_country_code: CountryCode = NOT_GIVEN
    ) -> dict[str, Any]:
        """Rename an import (not while importing) or change its phone prefix (before processing)."""
        if default_country_code is not NOT_GIVEN:
            check_enum(default_country_code, "default_country_code", contract.enum("CountryCode"))
        return self._patch(self._path("update", id), changes(name=name, default_country_code=default_country_code))

    def cancel(self, id: str) -> dict[str, Any]:
        """Cancel an import that has not started importing; it leaves the default list."""
        return self._post(self._path("cancel", id), reconcile=self._stage_is(id, "cancelled"))

    def import_external_orders(
        self,
        *,
        edition_id: str,
        service: str,
        orders: Sequence[Mapping[str, Any]],
        name: str | None = None,
        default_country_code: CountryCode | None = None,
    ) -> dict[str, Any]:
        """Push orders from another sales system as JSON: no file, no mapping steps.

        Args:
            edition_id: The edition receiving the orders.
            service: The source system, e.g. ``"ticketmaster"``; an ``order_id`` can be
                imported once per service and edition.
            orders: Dicts with ``order_id``, ``customer_email``, ``items`` (each with
                ``product_code`` and ``quantity``, optionally ``unit_price``, ``item_id``,
                ``product_name``) and optionally ``customer_phone``, ``customer_first_name``,
                ``customer_last_name``, ``created``. A product code is a product's id or name.
            name: The import's name (default ``"<service> import"``).
            default_country_code: Phone prefix for numbers without one.

        Returns:
            The import, stage ``importing``; ``wait(id)`` until it is ``completed``.

        Raises:
            BadRequest: A product code names no product of the edition.
            Conflict: An order id was imported before (code ``duplicate_order``).
        """
        if default_country_code is not None:
            check_enum(default_country_code, "default_country_code", contract.enum("CountryCode"))
        if not isinstance(service, str) or not service.strip():
            raise PreoValidationError("service", "must name the source system, e.g. 'ticketmaster'")
        body = {
            "edition_id": check_id(edition_id, "edition_id"),
            "service": service,
            "orders": check_orders(orders),
            **given(name=name, default_country_code=default_country_code),
        }
        return self._post(self.PATHS["import_external_orders"], body)

    def list_column_mappings(self, id: str, *, progress: bool | None = None) -> pd.DataFrame:
        """List the file's columns: ``column``, ``target_field`` (None = ignored), ``sample_values``.

        ``df.attrs`` holds ``available_fields`` and ``required_fields``.
        """
        path = self._path("column_mappings", id)
        records, first = read_pages(self._http, path, {}, "columns", progress)
        return _mapping_frame("data_imports_list_column_mappings", records, first)

    def update_column_mappings(self, id: str, *, mappings: Mapping[str, ColumnType | None]) -> pd.DataFrame:
        """Map file columns to fields, e.g. ``{"E-mail": "customer_email", "Notes": None}``.

        Columns left out keep their mapping. Returns every column's mapping.
        """
        fields = contract.enum("ColumnType")
        body = {"mappings": _mappings(mappings, "column", "target_field", lambda t: check_enum(t, "mappings", fields))}
        page = self._patch(self._path("column_mappings", id), body)
        return _mapping_frame("data_imports_update_column_mappings", page["results"], page)

    def validate_column_mappings(self, id: str) -> dict[str, Any]:
        """Check the saved column mapping: ``{valid, errors, warnings}``; changes nothing."""
        return self._post(self._path("validate_column_mappings", id), safe=True)

    def process_column_mappings(self, id: str) -> dict[str, Any]:
        """Read every row with the saved mapping; the import moves to ``needs_product_mapping``.

        Raises:
            BadRequest: The mapping is incomplete (``field_errors["mappings"]``) or rows are
                invalid (``field_errors["rows"]``); nothing changed.
        """
        return self._post(
            self._path("process_column_mappings", id),
            reconcile=self._stage_is(id, "needs_product_mapping", "importing", "completed", "failed"),
        )

    def list_product_mappings(self, id: str, *, progress: bool | None = None) -> pd.DataFrame:
        """List the product codes found: ``product_code``, ``product_name``, ``row_count``, ``product_id``."""
        records, _first = read_pages(self._http, self._path("product_mappings", id), {}, "products", progress)
        return frames.frame("data_imports_list_product_mappings", records)

    def update_product_mappings(self, id: str, *, mappings: Mapping[str, str | None]) -> pd.DataFrame:
        """Map product codes to products of the edition, e.g. ``{"BL-CAMPING": "prd_..."}``.

        Codes left out keep their mapping. Returns every code's mapping.
        """
        body = {"mappings": _mappings(mappings, "product_code", "product_id", lambda p: check_id(p, "mappings"))}
        page = self._patch(self._path("product_mappings", id), body)
        return frames.frame("data_imports_update_product_mappings", page["results"])

    def preview_orders(self, id: str) -> pd.DataFrame:
        """Show the first 50 orders the import would create, one row each; writes nothing.

        Returns:
            ``order_id``, ``customer_email``, ``customer_name``, ``customer_phone``, ``items``
            (list of dicts), ``amount``; ``df.attrs`` holds ``total_orders`` and ``total_rows``.
        """
        preview = self._get(self._path("preview_orders", id))
        df = frames.to_frame(preview["orders"], frames.schema_columns("ImportPreviewOrder"))
        df.attrs.update(total_orders=preview["total_orders"], total_rows=preview["total_rows"])
        return df

    def start_import(self, id: str) -> dict[str, Any]:
        """Start creating the orders (stage ``importing``); every product code must be mapped."""
        started = self._stage_is(id, "importing", "completed", "failed")
        return self._post(self._path("start_import", id), reconcile=started)

    def _stage_is(self, id: str, *stages: str) -> Reconcile:
        return self._when(self._path("retrieve", id), lambda job: job["stage"] in stages)

    def wait(
        self, id: str, *, timeout: float = 300, interval: float = 2.0, progress: bool | None = None
    ) -> dict[str, Any]:
        """Retrieve an import until Preo is done with its current step.

        That is any stage but ``uploaded`` and ``importing``: waiting for a mapping,
        ``completed``, ``failed`` (see ``error_message``) or ``cancelled``.

        Raises:
            WaitTimeout: Still running after ``timeout`` seconds (it goes on).
        """
        settled = tuple(s for s in contract.enum("DataImportStage") if s not in RUNNING_STAGES)
        return self._wait(
            "retrieve", id, field="stage", done=settled, timeout=timeout, interval=interval, progress=progress
        )
