"""The data import job: creating it, and what each retrieve advances (README 4.1, Background work).

``uploaded`` -> the file is read: ``needs_column_mapping``, or ``failed`` when
it cannot be. ``importing`` -> the orders are created: ``completed``, or
``failed`` (forced by the fault switch, or order ids already imported).
Imported orders are ``completed``, of type ``imported``, without a Preo
transaction (they were paid elsewhere, so Preo cannot refund them); each unit
is one ``paid`` purchase, as in Preo's own sales. Buyers are matched to
existing customers by e-mail, else added.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from preo_nb.sandbox.commerce import render
from preo_nb.sandbox.commerce.models import Customer, Order, Purchase
from preo_nb.sandbox.core import events
from preo_nb.sandbox.core.jobs import Machine
from preo_nb.sandbox.core.values import ZERO
from preo_nb.sandbox.files import reader
from preo_nb.sandbox.files import render as render_files
from preo_nb.sandbox.files import rules_imports as import_rules
from preo_nb.sandbox.files.models import IMPORT_STAGES, DataImport, ImportOrder, Store

Json = dict[str, Any]


def new_import(store: Store, edition_id: str, *, name: str, service: str, stage: str, **fields: Any) -> DataImport:
    """Store a new import of an edition (views and the seeder add imports here)."""
    edition = store.data.editions[edition_id]
    now = store.now()
    job = DataImport(
        id=store.new_id("dim_"),
        organization_id=edition.organization_id,
        edition_id=edition_id,
        name=name,
        stage=stage,
        service=service,
        created=now,
        modified=now,
        default_country_code=fields.pop("default_country_code", None) or edition.default_country_code,
        **fields,
    )
    store.data.data_imports[job.id] = job
    return job


def read_file(store: Store, job: DataImport, *, announce: bool = True) -> None:
    """Read the header and rows: needs_column_mapping with suggestions, or failed.

    ``announce=False`` (the seeder) records no ``data_import.failed`` event.
    """
    try:
        job.columns, job.rows = reader.read_table(job.data_file_name or "", job.content)
    except reader.UnreadableFile as exc:
        fail(store, job, str(exc), announce=announce)
        return
    job.content = b""  # the rows are kept; the bytes would only weigh down snapshots
    job.row_count = len(job.rows)
    job.column_map = import_rules.suggest(job.columns)
    _move(store, job, "needs_column_mapping")


def run(store: Store, job: DataImport) -> None:
    """Create the import's orders (completed), or fail without creating any."""
    keys = [o.order_id for o in job.orders if o.from_source]
    repeated = import_rules.duplicates(store, job.service, job.edition_id, keys)
    if repeated:
        shown = ", ".join(repeated[:10]) + (" ..." if len(repeated) > 10 else "")
        fail(store, job, f"{len(repeated)} orders were already imported from {job.service}: {shown}")
    else:
        buyers = {c.email.casefold(): c for c in store.data.customers.values() if c.email}
        created = [_add_order(store, job, order, buyers) for order in job.orders]
        job.order_ids = keys
        job.imported_order_count = len(created)
        _move(store, job, "completed")
        for order in created:
            events.emit(
                store,
                "order.created",
                organization_id=order.organization_id,
                edition_id=order.edition_id,
                data=render.order(store, order),
            )
        _emit(store, job, "data_import.completed")


def fail(store: Store, job: DataImport, message: str, *, announce: bool = True) -> None:
    """End an import as failed with a message, and emit ``data_import.failed``."""
    job.error_message = message
    _move(store, job, "failed")
    if announce:
        _emit(store, job, "data_import.failed")


IMPORT = Machine[DataImport](
    kind="data_import",
    field="stage",
    states=IMPORT_STAGES,
    steps={"uploaded": read_file, "importing": run},
    fails_at="importing",
    fail=fail,
    failure="The import failed while creating orders (forced by the sandbox); nothing was imported.",
)
"""Retrieving an uploaded or importing import moves it on; the other stages wait for the caller."""


def _move(store: Store, job: DataImport, stage: str) -> None:
    job.stage = stage
    job.modified = store.now()


def _emit(store: Store, job: DataImport, event: str) -> None:
    events.emit(
        store,
        event,
        organization_id=job.organization_id,
        edition_id=job.edition_id,
        data=render_files.data_import(store, job),
    )


def _add_order(store: Store, job: DataImport, source: ImportOrder, buyers: dict[str, Customer]) -> Order:
    now = store.now()
    when = source.created or now
    buyer = _customer(store, source, now, buyers)
    order = Order(
        id=store.new_id("ord_"),
        order_number=_order_number(job, source),
        status="completed",
        type="imported",
        amount=ZERO,
        edition_id=job.edition_id,
        organization_id=job.organization_id,
        customer_id=buyer.id,
        transaction_id=None,
        created=when,
        modified=now,
    )
    for item in source.items:
        product = store.data.products[job.product_map[item.product_code] or ""]
        price = import_rules.unit_price(store, job, item) or ZERO
        for _ in range(item.quantity):
            order.purchase_ids.append(_add_purchase(store, job, order, product.id, price, when).id)
            order.amount += price
    store.data.orders[order.id] = order
    return order


def _order_number(job: DataImport, source: ImportOrder) -> str:
    """The source's order id, or the import id with the row key when the source had none."""
    return source.order_id if source.from_source else f"{job.id}-{source.order_id}"


def _add_purchase(store: Store, job: DataImport, order: Order, product_id: str, price: Any, when: datetime) -> Purchase:
    product = store.data.products[product_id]
    purchase = Purchase(
        id=store.new_id("pur_"),
        order_id=order.id,
        edition_id=order.edition_id,
        product_id=product_id,
        customer_id=order.customer_id,
        transaction_id=None,
        vendor_code=store.new_id("")[-8:].upper(),
        status="paid",
        price=price,
        deposit=ZERO,
        fee=ZERO,
        created=when,
        modified=when,
        metadata={
            "product_type": product.type,
            "pickup_point": None,
            "data_import_id": job.id,
            "external_order_id": order.order_number,
        },
    )
    store.data.purchases[purchase.id] = purchase
    return purchase


def _customer(store: Store, source: ImportOrder, now: datetime, buyers: dict[str, Customer]) -> Customer:
    """Return the customer with the source's e-mail (any case), adding one if none.

    ``buyers`` maps casefolded e-mails to customers; a new customer is added to it.
    """
    email = source.customer_email.casefold()
    if email in buyers:
        return buyers[email]
    customer = buyers[email] = Customer(
        id=store.new_id("usr_"),
        email=source.customer_email,
        first_name=source.first_name or "",
        last_name=source.last_name or "",
        phone_number=source.customer_phone,
        locale=None,
        created=now,
        modified=now,
    )
    store.data.customers[customer.id] = customer
    return customer
