"""Single objects typed as the contract declares them, whatever JSON type the server chose.

The DataFrame side (``frames.py``) reads money sent as strings, ``"true"``/``"false"`` and
integer ids already; single objects (``retrieve``, ``create``, the dicts ``iterate``
yields) get the same treatment here, so ``refund["amount"]`` is a number whether the
server sent ``12.5`` or DRF's default ``"12.50"``:

=====================  ===============================  ===========================
declared               arrives as                       becomes
=====================  ===============================  ===========================
number (money)         ``"12.50"``                      ``12.5`` (via Decimal)
integer                ``"3"``                          ``3``
boolean                ``"true"`` / ``"False"``         ``True`` / ``False``
string (ids, text)     ``123``                          ``"123"``
=====================  ===============================  ===========================

A value that cannot be read as declared is left as it came, with a
``ContractDriftWarning`` naming the field, never turned into 0 or dropped.
"""

from __future__ import annotations

import decimal
import functools
import math
import warnings
from collections.abc import Mapping
from typing import Any

from preo_nb import contract
from preo_nb.errors import ContractDriftWarning

Plan = dict[str, Any]  # field -> kind (str), a nested Plan, or ("list", Plan | kind)
_TRUTH = {"true": True, "false": False}
_TEXT_KINDS = ("string", "datetime", "category")


@functools.cache
def plan(operation_id: str, item: bool) -> Any:
    """Where the typed fields of an answer (or, with ``item``, one list record) are: a tree of kinds."""
    if item:
        return _plan(contract.item_schema(operation_id), 0)
    op = contract.operations()[operation_id]
    schema = next((s for code, s in op.responses.items() if code.startswith("2") and s), None)
    return _plan(schema, 0) if schema else None


def _plan(schema: dict[str, Any], depth: int) -> Any:
    node = contract.non_null(schema)
    if node.get("type") == "array" and depth < 6:
        inner = _plan(node.get("items", {}), depth + 1)
        return ("list", inner) if inner else None
    props = contract.properties(node)
    if props and depth < 6:
        tree = {name: _plan(prop, depth + 1) for name, prop in props.items()}
        return {name: sub for name, sub in tree.items() if sub}
    kind = contract.kind_of(node)[0]
    return kind if kind != "object" else None


def typed(operation_id: str, body: Any, *, item: bool = False) -> Any:
    """Return ``body`` (an answer of ``operation_id``, or one list item) with declared types.

    Args:
        item: ``body`` is one record of the operation's list, not its whole answer.
    """
    if body is None:
        return None
    found = plan(operation_id, item)
    return _apply(found, body, operation_id, "") if found else body


def _apply(plan: Any, value: Any, operation_id: str, where: str) -> Any:
    if value is None:
        return None
    if isinstance(plan, dict):
        if not isinstance(value, dict):
            return value
        for key, sub in plan.items():
            if key in value and value[key] is not None:
                value[key] = _apply(sub, value[key], operation_id, f"{where}{key}.")
        return value
    if isinstance(plan, tuple):
        return [_apply(plan[1], v, operation_id, where) for v in value] if isinstance(value, list) else value
    return _scalar(plan, value, operation_id, where.rstrip("."))


def _scalar(kind: str, value: Any, operation_id: str, field: str) -> Any:
    if kind == "float" and isinstance(value, str):
        try:
            number = float(decimal.Decimal(value.strip()))
        except (decimal.InvalidOperation, ValueError):
            number = math.nan
        if math.isfinite(number):
            return number
    elif kind == "int" and isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    elif kind == "bool" and isinstance(value, str) and value.strip().lower() in _TRUTH:
        return _TRUTH[value.strip().lower()]
    elif kind in _TEXT_KINDS and isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    if _mismatch(kind, value):
        warnings.warn(
            f"{operation_id}: field {field} is {value!r}, which is not a {kind} as the contract declares; kept as sent",
            ContractDriftWarning,
            stacklevel=6,
        )
    return value


def _mismatch(kind: str, value: Any) -> bool:
    if kind == "float":
        return isinstance(value, bool) or not isinstance(value, int | float)
    if kind == "int":
        return isinstance(value, bool) or not isinstance(value, int)
    if kind == "bool":
        return not isinstance(value, bool)
    return not isinstance(value, str)


def decimal_of(value: Any) -> decimal.Decimal | None:
    """A money value as a Decimal (``12.5``, ``"12.50"`` and ``12.50`` are equal), None if unreadable."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        found = decimal.Decimal(str(value).strip())
    except decimal.InvalidOperation:
        return None
    return found if found.is_finite() else None


def key_of(record: Mapping[str, Any]) -> Any:
    """A record's id: ``id``, or ``api_id`` where the contract keys it so (purchases; some servers, orders)."""
    return record.get("id", record.get("api_id"))
