"""Checks that what the server answered is what was asked: filters honoured.

Most filters in the contract are inferred, and DRF ignores a query parameter it does not
know. A list that silently ignored ``edition_id`` would hand another edition's refunds to
whatever approves them, so after every filtered list the rows are checked against each
equality filter (ids, enums, booleans; ``contract.filter_columns``) and a contradiction
raises ``IgnoredFilter`` instead of returning a mixed list.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pandas as pd

from preo_nb import contract
from preo_nb.errors import IgnoredFilter


def _expected(operation_id: str, name: str, value: Any) -> Any:
    schema = contract.resolve(contract.operations()[operation_id].query[name])
    if schema.get("type") == "boolean":
        return value in (True, "true")
    return str(value)


def frame(operation_id: str, query: dict[str, Any], found: pd.DataFrame) -> pd.DataFrame:
    """Return ``found`` unless a row contradicts an equality filter of ``query``.

    Raises:
        IgnoredFilter: Naming the filter, the column and an example of a wrong value.
    """
    if found.empty:
        return found
    for name, column in contract.filter_columns(operation_id).items():
        if name not in query or column not in found:
            continue
        wanted = _expected(operation_id, name, query[name])
        values = found[column]
        same = values.astype("boolean") == wanted if isinstance(wanted, bool) else values.astype("string") == wanted
        wrong = ~same.fillna(False).astype(bool)
        if wrong.any():
            example = values[wrong].iloc[0]
            raise IgnoredFilter(
                operation_id, name, query[name], column, int(wrong.sum()), None if pd.isna(example) else example
            )
    return found


def records(operation_id: str, query: dict[str, Any], batch: Iterable[dict[str, Any]]) -> None:
    """Raise ``IgnoredFilter`` if a record of ``batch`` contradicts an equality filter of ``query``."""
    checks = [
        (name, column.split("."), _expected(operation_id, name, query[name]))
        for name, column in contract.filter_columns(operation_id).items()
        if name in query
    ]
    if not checks:
        return
    rows = list(batch)
    for name, path, wanted in checks:
        wrong = [value for value in (_dig(row, path) for row in rows) if not _same(value, wanted)]
        if wrong:
            raise IgnoredFilter(operation_id, name, query[name], ".".join(path), len(wrong), wrong[0])


def _dig(record: Any, path: list[str]) -> Any:
    for key in path:
        if not isinstance(record, dict):
            return None
        record = record.get(key)
    return record


def _same(value: Any, wanted: Any) -> bool:
    if isinstance(wanted, bool):
        return value is wanted or (isinstance(value, str) and value.lower() == str(wanted).lower())
    return value is not None and str(value) == wanted
