"""Records -> raw column lists: the flattening half of ``frames.py``.

A batch of records shaped as the contract declares them (the normal case) is
read column by column, one list comprehension per declared column, so a page of
1000 orders costs a few dozen C-speed passes rather than a Python loop per
field. A batch holding anything else (a field the contract does not know, a
nested object where a value was declared, a value where an object was declared)
goes through ``flatten`` record by record, which keeps every field.
Both give the same columns.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

import pandas as pd

from preo_nb.contract import Column

NONE = type(None)


@dataclass
class Batch:
    """The raw values of one batch of records, by column name.

    Attributes:
        rows: Number of records.
        values: Declared column name -> one raw value per record (``None`` when absent).
        types: Declared column name -> the set of Python types among its values.
        extra: Undeclared column name -> one raw value per record, in first-seen order.
    """

    rows: int
    values: dict[str, list[Any]] = field(default_factory=dict)
    types: dict[str, set[type]] = field(default_factory=dict)
    extra: dict[str, list[Any]] = field(default_factory=dict)


class Layout:
    """The declared columns of a schema arranged as the tree of keys that holds them."""

    def __init__(self, columns: Sequence[Column]) -> None:
        self.columns = tuple(columns)
        self.whole = {c.name for c in columns if c.kind == "object"}
        self.prefixes = {c.name.rsplit(".", i)[0] for c in columns for i in range(1, c.name.count(".") + 1)}
        self.tree: dict[str, Any] = {}
        for column in columns:
            node = self.tree
            *parents, leaf = column.name.split(".")
            for key in parents:
                node = node.setdefault(key, {})
            node[leaf] = column

    def read(self, records: Sequence[dict[str, Any]]) -> Batch:
        """Return the raw columns of ``records``, column-wise when they are shaped as declared."""
        batch = Batch(len(records))
        if not _read_level(self.tree, records, batch, top=True):
            batch = self._read_rows(records)
        return batch

    def _read_rows(self, records: Sequence[dict[str, Any]]) -> Batch:
        rows = [flatten(r, "", self.whole, self.prefixes) for r in records]
        batch = Batch(len(rows))
        for column in self.columns:
            values = [row.get(column.name) for row in rows]
            batch.values[column.name] = values
            batch.types[column.name] = set(map(type, values))
        for row in rows:
            for name in row:
                if name not in batch.values and name not in batch.extra:
                    batch.extra[name] = [other.get(name) for other in rows]
        return batch


def _read_level(tree: dict[str, Any], parents: Sequence[Any], batch: Batch, *, top: bool = False) -> bool:
    """Read one level of nesting column-wise; False when the batch is not shaped as declared."""
    if not top and not set(map(type, parents)) <= {dict, NONE}:
        return False  # a value where an object was declared: kept as its own column
    present = parents if top else [p for p in parents if p is not None]
    if not all(map(set(tree).issuperset, present)):
        return False  # fields the contract does not know
    for key, node in tree.items():
        try:  # the common case, every record holds every declared field: C speed
            values = list(map(itemgetter(key), parents))
        except (KeyError, TypeError):
            values = [None if p is None else p.get(key) for p in parents]
        if isinstance(node, dict):
            if not _read_level(node, values, batch):
                return False
            continue
        types = set(map(type, values))
        if dict in types and node.kind != "object":
            return False  # an object where a value was declared: flattened
        batch.values[node.name] = values
        batch.types[node.name] = types
    return True


@functools.lru_cache(maxsize=256)
def category_dtype(categories: tuple[str, ...]) -> pd.CategoricalDtype:
    """One dtype object per set of categories: checking categories costs more than coding values."""
    return pd.CategoricalDtype(list(categories))


def flatten(record: dict[str, Any], prefix: str, whole: set[str], prefixes: set[str]) -> dict[str, Any]:
    """Flatten one record into dotted names; objects named in ``whole`` stay whole."""
    flat: dict[str, Any] = {}
    for key, value in record.items():
        name = prefix + key
        if isinstance(value, dict) and name not in whole:
            flat.update(flatten(value, name + ".", whole, prefixes))
        elif value is None and name in prefixes:
            continue  # a null nested object: its declared columns stay empty
        else:
            flat[name] = value
    return flat


def share_strings(values: list[Any], memo: dict[str, str], limit: int = 200_000) -> None:
    """Make equal strings inside the lists and dicts of an object column one object, in place.

    A page decodes every image URL and ``metadata`` value afresh, so 250,000 purchases
    would hold a million copies of a few hundred URLs; strings cannot change, so sharing
    them changes nothing but memory. ``memo`` maps each string to its kept copy (at
    most ``limit`` of them, so a column of unique texts costs little).
    """
    for value in values:
        if type(value) is dict or type(value) is list:
            _share(value, memo, limit)


def _share(node: dict[Any, Any] | list[Any], memo: dict[str, str], limit: int) -> None:
    pairs = node.items() if type(node) is dict else enumerate(node)
    for key, item in pairs:  # replacing a value keeps the dict's size: safe while iterating
        if type(item) is str:
            kept = memo.get(item)
            if kept is None:
                if len(memo) < limit:
                    memo[item] = item
            elif kept is not item:
                node[key] = kept
        elif type(item) is dict or type(item) is list:
            _share(item, memo, limit)
