"""Records -> pandas DataFrames with the columns and dtypes the contract declares.

Every dtype decision lives here:

=========  ===========================  ==========================================
kind       dtype                        from the contract
=========  ===========================  ==========================================
string     ``string``                   ids and text
datetime   ``datetime64[ns, UTC]``      ``format: date-time``
float      ``float64``                  ``type: number`` (money)
int        ``Int64``                    ``type: integer``
bool       ``boolean``                  ``type: boolean`` ("true"/"false" accepted)
category   ``category``                 ``enum``; every documented value is a category
object     ``object``                   arrays and free-form objects, kept whole
=========  ===========================  ==========================================

Nested objects with declared properties are flattened with "." (``purchase.product.name``);
fields the contract does not know are kept after the declared ones. An empty result
has the same columns and dtypes as a full one.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd

from preo_nb import contract
from preo_nb.contract import Column

DTYPES: dict[str, Any] = {
    "string": "string",
    "datetime": "datetime64[ns, UTC]",
    "float": "float64",
    "int": "Int64",
    "bool": "boolean",
    "object": object,
}
_TRUTH = {"true": True, "false": False, True: True, False: False}


@functools.cache
def operation_columns(operation_id: str) -> tuple[Column, ...]:
    """Return the declared columns of one record of a list operation."""
    return tuple(contract.columns(contract.item_schema(operation_id)))


@functools.cache
def schema_columns(schema_name: str) -> tuple[Column, ...]:
    """Return the declared columns of a component schema."""
    return tuple(contract.columns(contract.schema(schema_name)))


def frame(operation_id: str, records: Iterable[dict[str, Any]]) -> pd.DataFrame:
    """Build the DataFrame of a list operation's records."""
    return to_frame(records, operation_columns(operation_id))


def to_frame(records: Iterable[dict[str, Any]], columns: Sequence[Column]) -> pd.DataFrame:
    """Flatten records and give every declared column its dtype.

    Args:
        records: API objects (dicts), as returned by the server.
        columns: The declared columns, in order (see ``contract.columns``).
    """
    whole = {c.name for c in columns if c.kind == "object"}
    prefixes = {c.name.rsplit(".", i)[0] for c in columns for i in range(1, c.name.count(".") + 1)}
    rows = [_flatten(r, "", whole, prefixes) for r in records]
    data: dict[str, Any] = {c.name: convert([row.get(c.name) for row in rows], c) for c in columns}
    for name in _extra_names(rows, data):
        data[name] = _infer([row.get(name) for row in rows])
    return pd.DataFrame(data, index=pd.RangeIndex(len(rows)))


def _flatten(record: dict[str, Any], prefix: str, whole: set[str], prefixes: set[str]) -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in record.items():
        name = prefix + key
        if isinstance(value, dict) and name not in whole:
            flat.update(_flatten(value, name + ".", whole, prefixes))
        elif value is None and name in prefixes:
            continue  # a null nested object: its declared columns stay empty
        else:
            flat[name] = value
    return flat


def _extra_names(rows: list[dict[str, Any]], declared: dict[str, Any]) -> list[str]:
    extra: dict[str, None] = {}
    for row in rows:
        for name in row:
            if name not in declared:
                extra[name] = None
    return list(extra)


def convert(values: list[Any], column: Column) -> Any:
    """Turn one column of raw JSON values into an array of the column's dtype."""
    kind = column.kind
    if kind == "string":
        return pd.array([None if v is None else str(v) for v in values], dtype="string")
    if kind == "datetime":
        parsed = pd.to_datetime(pd.Series(values, dtype=object), utc=True, format="ISO8601", errors="coerce")
        return parsed.astype(DTYPES["datetime"]).array
    if kind == "float":
        return pd.to_numeric(pd.Series(values, dtype=object), errors="coerce").astype("float64").array
    if kind == "int":
        return pd.to_numeric(pd.Series(values, dtype=object), errors="coerce").astype("Int64").array
    if kind == "bool":
        return pd.array([_TRUTH.get(_lower(v)) for v in values], dtype="boolean")
    if kind == "category":
        return _categorical(values, column.categories)
    return pd.array(values, dtype=object) if values else pd.array([], dtype=object)


def _lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def _categorical(values: list[Any], documented: tuple[str, ...]) -> pd.Categorical:
    texts = [None if v is None else str(v) for v in values]
    undocumented = sorted({t for t in texts if t is not None} - set(documented))
    return pd.Categorical(texts, categories=[*documented, *undocumented])


def _infer(values: list[Any]) -> Any:
    """Pick a dtype for a column the contract does not declare."""
    present = [v for v in values if v is not None]
    if present and all(isinstance(v, bool) for v in present):
        return pd.array(values, dtype="boolean")
    if present and all(isinstance(v, int) and not isinstance(v, bool) for v in present):
        return pd.array(values, dtype="Int64")
    if present and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in present):
        return pd.to_numeric(pd.Series(values, dtype=object)).astype("float64").array
    if all(isinstance(v, str) for v in present):
        return pd.array(values, dtype="string")
    return pd.array(values, dtype=object)
