"""Data imports: upload, map columns and products, preview, import (README 4.5).

Each step outside its stage is a 409 ``invalid_state``; reads need staff,
every write and action manager or admin. The stage changes that happen "in
the background" are made by the ``jobs.IMPORT`` machine on each retrieve.
"""

from __future__ import annotations

import base64
import binascii
from operator import attrgetter
from typing import Any

from preo_nb.sandbox.core.access import READ, WRITE
from preo_nb.sandbox.core.errors import conflict, field_error, forbidden, invalid, unknown_object
from preo_nb.sandbox.files import jobs as import_jobs
from preo_nb.sandbox.files import reader as import_reader
from preo_nb.sandbox.files import render
from preo_nb.sandbox.files import rules_imports as import_rules
from preo_nb.sandbox.files.models import CANCELLABLE_STAGES, IMPORT_STAGES, DataImport, Tables
from preo_nb.sandbox.web import listing
from preo_nb.sandbox.web.body import read_body
from preo_nb.sandbox.web.views import Group, caller, services, typed_store

store = typed_store(Tables)

group = Group("Data Imports")
Json = dict[str, Any]
ORDERING = {key: attrgetter(key) for key in ("created", "modified", "stage")}
MAX_BYTES = 10 * 1024 * 1024
BEFORE_PROCESSING = ("uploaded", "needs_column_mapping")
PREVIEW_STAGES = ("needs_product_mapping", "importing", "completed")


def _render(job: DataImport) -> Json:
    return render.data_import(store(), job)


def _require(job: DataImport, stages: tuple[str, ...], action: str) -> None:
    if job.stage not in stages:
        raise conflict(f"Cannot {action} while the import is {job.stage}.", "invalid_state")


def target_edition(edition_id: str) -> str:
    """Check the body's edition: visible (else 400 on edition_id), caller manager+ (else 403)."""
    edition = store().data.editions.get(edition_id)
    if edition is None or caller().role_in(edition.organization_id) is None:
        raise unknown_object("edition_id", edition_id)
    if not caller().can(edition.organization_id, WRITE):
        raise forbidden()
    return edition.id


@group.view
def data_imports_list() -> Json:
    """List imports of the caller's editions, newest first; cancelled ones only when asked."""
    values = listing.filters("data_imports_list")
    show_cancelled = values.get("include_cancelled", False) or values.get("stage") == "cancelled"
    plain = {k: v for k, v in values.items() if k in ("edition_id", "service", "stage")}
    orgs = caller().orgs(READ)
    found = [
        job
        for job in store().data.data_imports.values()
        if job.organization_id in orgs
        and (show_cancelled or job.stage != "cancelled")
        and all(getattr(job, k) == v for k, v in plain.items())
        and ("created_after" not in values or job.created >= values["created_after"])
        and ("created_before" not in values or job.created < values["created_before"])
    ]
    return listing.paginate(listing.ordered("data_imports_list", found, ORDERING), _render)


@group.view
def data_imports_create() -> tuple[Json, int]:
    """Upload a CSV or Excel file (base64): a new import, stage uploaded."""
    body = read_body("data_imports_create")
    edition_id = target_edition(body["edition_id"])
    file_name = body["data_file_name"].strip()
    if import_reader.extension(file_name) not in import_reader.EXTENSIONS:
        raise field_error("data_file_name", "Unsupported file type; upload a .csv, .xlsx or .xls file.")
    try:
        content = base64.b64decode(body["data_file_base64"], validate=True)
    except (binascii.Error, ValueError):
        raise field_error("data_file_base64", "Invalid base64-encoded data.") from None
    if not content or len(content) > MAX_BYTES:
        raise field_error("data_file_base64", f"The file must hold 1 byte to {MAX_BYTES // 2**20} MB.")
    job = import_jobs.new_import(
        store(),
        edition_id,
        name=body.get("name") or file_name.rsplit(".", 1)[0],
        service="file",
        stage="uploaded",
        data_file_name=file_name,
        content=content,
        default_country_code=body.get("default_country_code"),
    )
    return _render(job), 201


@group.view
def data_imports_import_external_orders() -> tuple[Json, int]:
    """Take orders pushed as JSON: a new import, stage importing (no file, no mapping)."""
    body = read_body("data_imports_import_external_orders")
    edition_id = target_edition(body["edition_id"])
    service = body["service"]
    orders, product_map = import_rules.parse_external(store(), edition_id, body)
    repeated = import_rules.duplicates(store(), service, edition_id, [o.order_id for o in orders])
    if repeated:
        detail = f"Already imported from {service} into this edition: {', '.join(repeated[:10])}."
        raise conflict(detail, "duplicate_order")
    job = import_jobs.new_import(
        store(),
        edition_id,
        name=body.get("name") or f"{service} import",
        service=service,
        stage="importing",
        default_country_code=body.get("default_country_code"),
        orders=orders,
        product_map=product_map,
        product_names=import_rules.product_names(orders),
    )
    return _render(job), 201


@group.view
def data_imports_retrieve(import_id: str) -> Json:
    """Return an import; a running one first moves on one stage."""
    job = caller().fetch(store().data.data_imports, import_id, READ)
    import_jobs.IMPORT.advance(store(), job, services().faults)
    return _render(job)


@group.view
def data_imports_update(import_id: str) -> Json:
    """Rename an import (not while importing) or change its phone prefix (before processing)."""
    job = caller().fetch(store().data.data_imports, import_id, WRITE)
    body = read_body("data_imports_update")
    _require(job, tuple(s for s in IMPORT_STAGES if s != "importing"), "change it")
    if "default_country_code" in body:
        _require(job, BEFORE_PROCESSING, "change default_country_code")
        job.default_country_code = body["default_country_code"]
    if "name" in body:
        if not body["name"].strip():
            raise field_error("name", "This field may not be blank.")
        job.name = body["name"].strip()
    job.modified = store().now()
    return _render(job)


@group.view
def data_imports_cancel(import_id: str) -> Json:
    """Cancel an import that has not started importing."""
    job = caller().fetch(store().data.data_imports, import_id, WRITE)
    read_body("data_imports_cancel")
    _require(job, CANCELLABLE_STAGES, "cancel it")
    job.stage, job.modified = "cancelled", store().now()
    return _render(job)


def _columns_read(job: DataImport) -> None:
    if not job.was_read:
        raise conflict(f"The file's columns are not known (the import is {job.stage}).", "invalid_state")


def _column_page(job: DataImport) -> Json:
    return render.one_page([render.column_mapping(job, c) for c in job.columns], **render.column_fields())


@group.view
def data_imports_list_column_mappings(import_id: str) -> Json:
    """List the source columns with their target field and sample values."""
    job = caller().fetch(store().data.data_imports, import_id, READ)
    _columns_read(job)
    page = listing.paginate(job.columns, lambda column: render.column_mapping(job, column))
    return page | render.column_fields()


@group.view
def data_imports_update_column_mappings(import_id: str) -> Json:
    """Set or clear the target of the listed columns; the others keep theirs."""
    job = caller().fetch(store().data.data_imports, import_id, WRITE)
    body = read_body("data_imports_update_column_mappings")
    _require(job, ("needs_column_mapping",), "change the column mappings")
    unknown = [m["column"] for m in body["mappings"] if m["column"] not in job.columns]
    if unknown:
        raise invalid({"mappings": [f"The file has no column {name!r}." for name in unknown]})
    for mapping in body["mappings"]:
        job.column_map[mapping["column"]] = mapping["target_field"]
    job.modified = store().now()
    return _column_page(job)


@group.view
def data_imports_validate_column_mappings(import_id: str) -> Json:
    """Check the saved column mapping; the stage does not change."""
    job = caller().fetch(store().data.data_imports, import_id, WRITE)
    read_body("data_imports_validate_column_mappings")
    _columns_read(job)
    errors, warnings = import_rules.check_mapping(job.column_map)
    return {"valid": not errors, "errors": errors, "warnings": warnings}


@group.view
def data_imports_process_column_mappings(import_id: str) -> Json:
    """Parse the rows with the saved mapping: needs_product_mapping, or 400 and no change."""
    job = caller().fetch(store().data.data_imports, import_id, WRITE)
    read_body("data_imports_process_column_mappings")
    _require(job, ("needs_column_mapping",), "process the column mappings")
    errors, _warnings = import_rules.check_mapping(job.column_map)
    if errors:
        raise invalid({"mappings": errors})
    orders, row_errors = import_rules.parse_rows(job)
    if row_errors:
        raise invalid({"rows": row_errors})
    job.orders = orders
    import_rules.map_products(store(), job)
    job.stage, job.modified = "needs_product_mapping", store().now()
    return _render(job)


def _parsed(job: DataImport) -> None:
    if not job.was_parsed:
        raise conflict(f"The rows have not been parsed (the import is {job.stage}).", "invalid_state")


def _product_rows(job: DataImport) -> list[Json]:
    rows = import_rules.code_rows(job)
    return [render.product_mapping(job, code, rows[code]) for code in job.product_map]


@group.view
def data_imports_list_product_mappings(import_id: str) -> Json:
    """List the product codes found and the edition product each maps to."""
    job = caller().fetch(store().data.data_imports, import_id, READ)
    _parsed(job)
    return listing.paginate(_product_rows(job), lambda row: row)


@group.view
def data_imports_update_product_mappings(import_id: str) -> Json:
    """Map product codes to products of the import's edition (null unmaps)."""
    job = caller().fetch(store().data.data_imports, import_id, WRITE)
    body = read_body("data_imports_update_product_mappings")
    _require(job, ("needs_product_mapping",), "change the product mappings")
    products = store().data.products
    errors = [
        f"No product code {m['product_code']!r} in this import."
        for m in body["mappings"]
        if m["product_code"] not in job.product_map
    ]
    errors += [
        f"Product {m['product_id']!r} is not a product of this edition."
        for m in body["mappings"]
        if m["product_id"] is not None and getattr(products.get(m["product_id"]), "edition_id", None) != job.edition_id
    ]
    if errors:
        raise invalid({"mappings": errors})
    for mapping in body["mappings"]:
        job.product_map[mapping["product_code"]] = mapping["product_id"]
    job.modified = store().now()
    return render.one_page(_product_rows(job))


@group.view
def data_imports_preview_orders(import_id: str) -> Json:
    """Show the first 50 orders the import would create; writes nothing."""
    job = caller().fetch(store().data.data_imports, import_id, READ)
    _require(job, PREVIEW_STAGES, "preview orders")
    return render.preview(store(), job)


@group.view
def data_imports_start_import(import_id: str) -> Json:
    """Start importing; every product code must be mapped."""
    job = caller().fetch(store().data.data_imports, import_id, WRITE)
    read_body("data_imports_start_import")
    _require(job, ("needs_product_mapping",), "start the import")
    unmapped = [code for code, product in job.product_map.items() if product is None]
    if unmapped:
        raise invalid({"product_mappings": [f"Product code {code!r} is not mapped to a product." for code in unmapped]})
    job.stage, job.modified = "importing", store().now()
    return _render(job)
