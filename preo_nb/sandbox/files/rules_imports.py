"""Data import rules: column mapping, parsing rows into orders, product codes, pushed orders.

README 4.5 fixes the workflow; the details here are the sandbox's choices:

* a header maps itself to the ColumnType it equals, ignoring case, spaces,
  hyphens and underscores (``Customer Email`` -> ``customer_email``);
* rows sharing an ``order_id`` form one order; without an ``order_id`` column
  every row is an order of its own (key ``row-<n>``, n counting data rows);
* the contract's products carry no code, so a product code matches an edition
  product when it equals the product's id or, ignoring case, its name;
* orders pushed as JSON (``import-external-orders``) have passed the contract's
  schema already; ``parse_external`` checks what the schema cannot: order ids
  repeated within the body and product codes naming no product of the edition
  (both 400 on ``orders``).
"""

from __future__ import annotations

import re
from collections import Counter
from decimal import Decimal, InvalidOperation
from typing import Any

from preo_nb import contract
from preo_nb.sandbox.commerce.models import Product
from preo_nb.sandbox.core.errors import invalid
from preo_nb.sandbox.core.values import money, parse_datetime
from preo_nb.sandbox.files.models import DataImport, ImportItem, ImportOrder, Store

Json = dict[str, Any]

REQUIRED_FIELDS = ("customer_email", "product_code", "quantity")
MAX_QUANTITY = 1_000
"""Most units one line may import: each unit becomes a purchase, created under the store lock."""
NAME_PARTS = ("customer_first_name", "customer_last_name")
MAX_ROW_ERRORS = 20
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def column_types() -> tuple[str, ...]:
    """Return the target fields a column may feed (the contract's ColumnType)."""
    return contract.enum("ColumnType")


def _plain(text: str) -> str:
    return re.sub(r"[\s_-]+", "", text).casefold()


def suggest(columns: list[str]) -> dict[str, str | None]:
    """Map each header equal to a ColumnType name to it; the first such header wins."""
    by_name = {_plain(name): name for name in column_types()}
    found: dict[str, str | None] = {}
    for column in columns:
        target = by_name.get(_plain(column))
        found[column] = target if target not in found.values() else None
    return found


def check_mapping(column_map: dict[str, str | None]) -> tuple[list[str], list[str]]:
    """Return the blocking errors and the warnings of a column mapping."""
    used = Counter(t for t in column_map.values() if t is not None)
    errors = [f"The mandatory field {name} is not mapped to any column." for name in REQUIRED_FIELDS if not used[name]]
    for target, times in used.items():
        if times > 1:
            columns = ", ".join(sorted(c for c, t in column_map.items() if t == target))
            errors.append(f"{target} is mapped {times} times (columns {columns}); map it once.")
    warnings = []
    if used["customer_full_name"] and any(used[name] for name in NAME_PARTS):
        warnings.append("customer_full_name and first/last name are all mapped; first/last name win where set.")
    return errors, warnings


def _quantity(text: str) -> int:
    number = Decimal(text.replace(",", "."))
    if number != number.to_integral_value() or not 1 <= number <= MAX_QUANTITY:
        raise ValueError(text)
    return int(number)


def _price(text: str) -> Decimal | None:
    if not text:
        return None
    value = money(Decimal(text.replace(" ", "").replace(",", ".")))
    if value < 0:
        raise ValueError(text)
    return value


def _row_values(column_map: dict[str, str | None], columns: list[str], row: list[str]) -> dict[str, str]:
    return {target: row[columns.index(column)].strip() for column, target in column_map.items() if target}


def parse_rows(job: DataImport) -> tuple[list[ImportOrder], list[str]]:
    """Turn the rows into orders with the saved mapping; return them and the row errors.

    Row numbers in messages count data rows from 1 (the header is not counted).
    """
    orders: dict[str, ImportOrder] = {}
    errors: list[str] = []
    for number, row in enumerate(job.rows, start=1):
        values = _row_values(job.column_map, job.columns, row)
        problem = _row_problem(values)
        if problem:
            errors.append(f"Row {number}: {problem}")
            continue
        key = values.get("order_id") or f"row-{number}"
        item = ImportItem(
            product_code=values["product_code"],
            quantity=_quantity(values["quantity"]),
            unit_price=_price(values.get("unit_price", "")),
            product_name=values.get("product_name") or None,
            item_id=values.get("item_id") or None,
        )
        if key in orders:
            orders[key].items.append(item)
            orders[key].rows += 1
        else:
            orders[key] = _order(key, values, item, job.default_country_code)
            orders[key].from_source = bool(values.get("order_id"))
    return list(orders.values()), errors[:MAX_ROW_ERRORS]


def _row_problem(values: dict[str, str]) -> str | None:
    email, code, quantity = (values.get(name, "") for name in REQUIRED_FIELDS)
    if not EMAIL.match(email):
        return f"customer_email {email!r} is not an e-mail address."
    if not code:
        return "product_code is empty."
    try:
        _quantity(quantity)
    except (ValueError, InvalidOperation):
        return f"quantity {quantity!r} is not a whole number from 1 to {MAX_QUANTITY}."
    try:
        _price(values.get("unit_price", ""))
    except (ValueError, InvalidOperation):
        return f"unit_price {values['unit_price']!r} is not an amount of 0 or more."
    return None


def _order(key: str, values: dict[str, str], item: ImportItem, country_code: str | None) -> ImportOrder:
    first, last = values.get("customer_first_name"), values.get("customer_last_name")
    full = values.get("customer_full_name", "").split(None, 1)
    return ImportOrder(
        order_id=key,
        customer_email=values["customer_email"].lower(),
        items=[item],
        customer_phone=normalise_phone(values.get("customer_phone"), country_code),
        first_name=first or (full[0] if full else None),
        last_name=last or (full[1] if len(full) > 1 else None),
    )


def normalise_phone(phone: str | None, country_code: str | None) -> str | None:
    """Return ``phone`` as ``+<digits>``, adding ``country_code`` when it has none."""
    if not phone:
        return None
    digits = re.sub(r"[^\d+]", "", phone)
    if digits.startswith("00"):
        digits = "+" + digits[2:]
    if not digits.startswith("+"):
        digits = (country_code or "") + digits.lstrip("0")
    return digits or None


def find_product(store: Store, edition_id: str, code: str) -> Product | None:
    """Return the edition product a code names: its id, or its name ignoring case."""
    for product in store.data.products.values():
        if product.edition_id != edition_id:
            continue
        if code == product.id or code.casefold() == product.name.casefold():
            return product
    return None


def map_products(store: Store, job: DataImport) -> None:
    """List the codes of the parsed orders, pre-mapping those naming an edition product."""
    job.product_map, job.product_names = {}, {}
    for order in job.orders:
        for item in order.items:
            if item.product_code not in job.product_map:
                product = find_product(store, job.edition_id, item.product_code)
                job.product_map[item.product_code] = product.id if product else None
                job.product_names[item.product_code] = item.product_name


def code_rows(job: DataImport) -> Counter[str]:
    """Return how many rows (items) use each product code."""
    return Counter(item.product_code for order in job.orders for item in order.items)


def unit_price(store: Store, job: DataImport, item: ImportItem) -> Decimal | None:
    """Return the item's price: the source's, else the mapped product's, else None."""
    if item.unit_price is not None:
        return item.unit_price
    product = store.data.products.get(job.product_map.get(item.product_code) or "")
    return product.price if product else None


def duplicates(store: Store, service: str, edition_id: str, order_ids: list[str]) -> list[str]:
    """Return the order ids already imported (completed imports) for the service and edition."""
    seen = {
        key
        for other in store.data.data_imports.values()
        if other.stage == "completed" and (other.service, other.edition_id) == (service, edition_id)
        for key in other.order_ids
    }
    return [key for key in order_ids if key in seen]


# -- orders pushed as JSON (import-external-orders) ---------------------------


def parse_external(store: Store, edition_id: str, body: Json) -> tuple[list[ImportOrder], dict[str, str | None]]:
    """Return the body's orders and the product each code maps to.

    Raises:
        ApiError: 400 on ``orders`` for repeated order ids or unknown product codes.
    """
    country = body.get("default_country_code") or store.data.editions[edition_id].default_country_code
    orders = [_pushed_order(raw, country) for raw in body["orders"]]
    repeated = [key for key, times in Counter(o.order_id for o in orders).items() if times > 1]
    errors = [f"order_id {key!r} appears more than once." for key in repeated]
    product_map: dict[str, str | None] = {}
    for order in orders:
        for item in order.items:
            product = find_product(store, edition_id, item.product_code)
            if item.unit_price is not None and item.unit_price < 0:
                errors.append(f"Order {order.order_id}: unit_price must not be negative.")
            if item.quantity > MAX_QUANTITY:
                errors.append(f"Order {order.order_id}: quantity must be at most {MAX_QUANTITY}.")
            if product is None:
                errors.append(f"Order {order.order_id}: no product of this edition has code {item.product_code!r}.")
            else:
                product_map[item.product_code] = product.id
    if errors:
        raise invalid({"orders": errors})
    return orders, product_map


def _pushed_order(raw: Json, country: str | None) -> ImportOrder:
    return ImportOrder(
        order_id=raw["order_id"],
        customer_email=raw["customer_email"].lower(),
        items=[_pushed_item(item) for item in raw["items"]],
        customer_phone=normalise_phone(raw.get("customer_phone"), country),
        first_name=raw.get("customer_first_name"),
        last_name=raw.get("customer_last_name"),
        created=parse_datetime(raw.get("created")),
        rows=len(raw["items"]),
    )


def _pushed_item(raw: Json) -> ImportItem:
    price = raw.get("unit_price")
    return ImportItem(
        product_code=raw["product_code"],
        quantity=raw["quantity"],
        unit_price=None if price is None else money(price),
        product_name=raw.get("product_name"),
        item_id=raw.get("item_id"),
    )


def product_names(orders: list[ImportOrder]) -> dict[str, str | None]:
    """Return the first product name given for each product code."""
    found: dict[str, str | None] = {}
    for order in orders:
        for item in order.items:
            if found.get(item.product_code) is None:
                found[item.product_code] = item.product_name
    return found
