"""The records of the Files and Data Imports groups.

Like every domain's ``models``: plain dataclasses holding Python values;
``render`` turns them into the contract's JSON.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import TypeAlias

from preo_nb.sandbox.commerce import models as commerce
from preo_nb.sandbox.core import store as core

IMPORT_STAGES = (
    "uploaded",
    "needs_column_mapping",
    "needs_product_mapping",
    "importing",
    "completed",
    "failed",
    "cancelled",
)
FINAL_STAGES = ("completed", "failed", "cancelled")
CANCELLABLE_STAGES = ("uploaded", "needs_column_mapping", "needs_product_mapping")


@dataclass
class StoredFile:
    """A media file of an organization (the API's ``File``).

    The bytes are not kept: nothing in the API reads them back, and every
    snapshot of the store would have to copy them.
    """

    id: str
    organization_id: str
    file_name: str
    file_url: str
    size: int
    created_at: datetime
    updated_at: datetime
    tags: list[str] = field(default_factory=list)
    image_alt_text: str | None = None
    caption: str | None = None
    copyright: str | None = None


@dataclass
class ImportItem:
    """One line of an order to import: a product code and how many."""

    product_code: str
    quantity: int
    unit_price: Decimal | None = None
    product_name: str | None = None
    item_id: str | None = None


@dataclass
class ImportOrder:
    """One order an import creates, parsed from file rows or pushed as JSON.

    ``from_source`` is False when the source had no order id and ``order_id``
    is a generated row key: such ids are not checked for duplicates.
    """

    order_id: str
    customer_email: str
    items: list[ImportItem]
    customer_phone: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    created: datetime | None = None
    rows: int = 1
    from_source: bool = True

    @property
    def customer_name(self) -> str | None:
        """First and last name joined, or None when the source had neither."""
        name = " ".join(n for n in (self.first_name, self.last_name) if n)
        return name or None


@dataclass
class DataImport:
    """A bulk import job and where it is in its workflow (README 4.5).

    ``columns`` is empty until the file was read; ``orders`` and
    ``product_map`` until the column mapping was processed.
    """

    id: str
    organization_id: str
    edition_id: str
    name: str
    stage: str
    service: str
    created: datetime
    modified: datetime
    data_file_name: str | None = None
    content: bytes = b""
    default_country_code: str | None = None
    row_count: int | None = None
    imported_order_count: int | None = None
    error_message: str | None = None
    columns: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    column_map: dict[str, str | None] = field(default_factory=dict)
    orders: list[ImportOrder] = field(default_factory=list)
    product_map: dict[str, str | None] = field(default_factory=dict)
    product_names: dict[str, str | None] = field(default_factory=dict)
    order_ids: list[str] = field(default_factory=list)

    @property
    def was_read(self) -> bool:
        """Whether the file's columns are known (a pushed import has none to read)."""
        return bool(self.columns)

    @property
    def was_parsed(self) -> bool:
        """Whether the orders are known (the column mapping was processed, or pushed)."""
        return bool(self.orders)


@dataclass
class Tables(commerce.Tables):
    """The files tables on top of commerce's (imports add orders; files illustrate products)."""

    files: dict[str, StoredFile] = field(default_factory=dict)
    data_imports: dict[str, DataImport] = field(default_factory=dict)


Store: TypeAlias = core.Store[Tables]
"""The store as the files domain sees it."""
