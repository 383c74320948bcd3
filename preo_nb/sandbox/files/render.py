"""Files and data imports -> the JSON shapes of the contract."""

from __future__ import annotations

from typing import Any

from preo_nb.sandbox.core.values import ZERO, amount, iso
from preo_nb.sandbox.files import rules_imports as import_rules
from preo_nb.sandbox.files.models import DataImport, ImportOrder, Store, StoredFile

Json = dict[str, Any]
PREVIEW_ORDERS = 50


def file(record: StoredFile, usages: list[Json]) -> Json:
    """Render a File; ``usages`` are the FileUsage objects that refer to it."""
    return {
        "api_id": record.id,
        "file_name": record.file_name,
        "organization_id": record.organization_id,
        "file_url": record.file_url,
        "created_at": iso(record.created_at),
        "updated_at": iso(record.updated_at),
        "usages": usages,
        "image_alt_text": record.image_alt_text,
        "caption": record.caption,
        "copyright": record.copyright,
        "tags": list(record.tags),
    }


def data_import(store: Store, record: DataImport) -> Json:
    """Render a DataImport with its embedded edition."""
    edition = store.data.editions[record.edition_id]
    return {
        "id": record.id,
        "edition": {"id": edition.id, "name": edition.name},
        "stage": record.stage,
        "name": record.name,
        "service": record.service,
        "data_file_name": record.data_file_name,
        "default_country_code": record.default_country_code,
        "row_count": record.row_count,
        "imported_order_count": record.imported_order_count,
        "error_message": record.error_message,
        "created": iso(record.created),
        "modified": iso(record.modified),
    }


def one_page(results: list[Json], **extra: Any) -> Json:
    """Render every item on one page of the list envelope (plus extra keys)."""
    return {"count": len(results), "next": None, "previous": None, "results": results, **extra}


def column_mapping(record: DataImport, column: str) -> Json:
    """Render the ColumnMapping of one source column, with up to 5 sample values."""
    position = record.columns.index(column)
    samples = [row[position] for row in record.rows if row[position]][:5]
    return {"column": column, "target_field": record.column_map.get(column), "sample_values": samples}


def column_fields() -> Json:
    """Return the extra keys of a column-mapping page: what may and must be mapped."""
    return {
        "available_fields": list(import_rules.column_types()),
        "required_fields": list(import_rules.REQUIRED_FIELDS),
    }


def product_mapping(record: DataImport, code: str, rows: int) -> Json:
    """Render the ProductMapping of one product code found in the source."""
    return {
        "product_code": code,
        "product_name": record.product_names.get(code),
        "row_count": rows,
        "product_id": record.product_map.get(code),
    }


def preview(store: Store, record: DataImport) -> Json:
    """Render the ImportOrderPreview: totals and the first orders."""
    return {
        "total_orders": len(record.orders),
        "total_rows": sum(order.rows for order in record.orders),
        "orders": [preview_order(store, record, o) for o in record.orders[:PREVIEW_ORDERS]],
    }


def preview_order(store: Store, record: DataImport, order: ImportOrder) -> Json:
    """Render one ImportPreviewOrder; unknown prices count as 0 in ``amount``."""
    items = []
    total = ZERO
    for item in order.items:
        price = import_rules.unit_price(store, record, item)
        items.append(
            {
                "product_code": item.product_code,
                "product_id": record.product_map.get(item.product_code),
                "quantity": item.quantity,
                "unit_price": None if price is None else amount(price),
            }
        )
        total += item.quantity * (price or ZERO)
    return {
        "order_id": order.order_id,
        "customer_email": order.customer_email,
        "customer_name": order.customer_name,
        "customer_phone": order.customer_phone,
        "items": items,
        "amount": amount(total),
    }
