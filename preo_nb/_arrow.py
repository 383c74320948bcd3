"""Records -> typed columns through Arrow: one C++ pass a page instead of Python passes a column.

When pyarrow holds pandas' ``string`` dtype and every declared column of a schema is
text, a date-time, money or an enum, inside plain nested objects (the orders list),
a page of decoded records becomes one Arrow struct array in one pass
(``pa.array(records, type=...)``) and each column is cut from it with no Python
object per value. Reading 100,874 orders this way took 0.15 s of CPU against 0.36 s
for the column-wise Python path (``_columnar``), which was a third of preo_nb's
client CPU and put it above a plain fetch-and-decode loop's.

Arrow is strict where the Python path is forgiving: a value of another JSON type than
declared (money as ``"12.50"``, an id as a number, an object where text was declared)
makes it refuse the page, which then takes the Python path with its conversions and
warnings. Arrow would drop fields the contract does not know without a word, so a
page holding any goes that way too; so does a date-time column Arrow cannot parse
whole (an offset-less or date-only value), to get pandas' reading and its warning.
Both paths give the same columns and dtypes (``tests/test_frames.py``).

A list page can also skip Python's dicts altogether: ``Reader.decode`` parses the page's
JSON bytes straight into the struct array (Arrow's JSON reader, which lets go of the GIL
while it parses, so a page-fetching thread decodes while the reader thread builds columns).
It is as strict as the records path and stricter: a field the contract does not know (in a
record or the envelope), a value of another type, a null record, text that is not UTF-8, or
a declared column that may be absent from every record (only the dicts can tell an absent
field, which warns, from a null one) make it decline the page, which is then decoded and
read as before (``tests/test_arrow_pages.py``).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from preo_nb._columnar import NONE, Layout, category_dtype
from preo_nb.contract import Column

try:
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.json as pj
except ImportError:  # pragma: no cover - depends on the installed extras
    pa = None

_TEXT = ("string", "datetime", "category")
DECLINES = 3  # pages one read may decline before ``Reader.decode`` stops trying
_REFUSED = (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError) if pa is not None else ()


def available() -> bool:
    """Whether pandas' ``string`` dtype is Arrow's large string now, so Arrow text needs no conversion."""
    if pa is None:
        return False
    dtype: Any = pd.StringDtype()  # follows pd.options.mode.string_storage, which a user may change
    return dtype.storage == "pyarrow" and getattr(dtype, "na_value", pd.NA) is pd.NA and _large_strings()


@functools.cache
def _large_strings() -> bool:
    dtype: Any = pd.StringDtype(storage="pyarrow")
    try:
        made = pd.arrays.ArrowStringArray(pa.array(["x"], type=pa.large_string()))
    except (TypeError, ValueError):  # a pandas wanting another Arrow string type
        return False
    return bool(made.dtype == dtype)


class Rows:
    """A page's records parsed straight from JSON into Arrow: never a Python dict per record.

    Attributes:
        leaves: Column name -> the Arrow array of its values (a null parent makes them null).
    """

    def __init__(self, array: Any, leaves: dict[str, Any], key: str | None) -> None:
        self.array = array
        self.leaves = leaves
        self.key = key

    def __len__(self) -> int:
        return len(self.array)

    def __repr__(self) -> str:
        return f"Rows({len(self)} records)"

    def column(self, name: str) -> list[Any]:
        """The Python values of a declared column, as the records would give them."""
        values: list[Any] = self.leaves[name].to_pylist()
        return values

    def keys(self) -> list[Any]:
        """Each record's id (``_values.key_of``'s: ``id``, else ``api_id``; None where the schema has neither)."""
        return self.column(self.key) if self.key else [None] * len(self)

    def keep(self, mask: list[bool]) -> Rows:
        """Only the records where ``mask`` is true."""
        chosen = pa.array(mask, type=pa.bool_())
        leaves = {name: leaf.filter(chosen) for name, leaf in self.leaves.items()}
        return Rows(self.array.filter(chosen), leaves, self.key)


Decoded = tuple[Rows, "int | None", "str | None"]
"""A list page read from its bytes by ``Reader.decode``: its records, ``count`` and ``next`` link."""


class Reader:
    """Reads pages of one schema's records into Arrow arrays, one per declared column."""

    def __init__(self, layout: Layout) -> None:
        self.type = _struct(layout.tree) if available() else None
        self.tree = layout.tree
        self._key = next((k for k in ("id", "api_id") if k in self.tree and not isinstance(self.tree[k], dict)), None)
        self._named = _named_once(self.tree)
        self.declined = 0
        self._envelope = None
        if self.type is not None:
            self._envelope = pj.ParseOptions(
                explicit_schema=pa.schema(
                    [
                        ("count", pa.int64()),
                        ("next", pa.large_string()),
                        ("previous", pa.large_string()),
                        ("results", pa.list_(self.type)),
                    ]
                ),
                unexpected_field_behavior="error",
            )

    def decode(self, content: bytes) -> Decoded | None:
        """A list page's JSON bytes as (records, count, next link); None when only the dicts can say.

        Declines (None) anything but one DRF envelope holding the declared fields and no
        others, every record an object with its id, and every declared column present on
        some record. A column null on every record counts as present when its key is in the
        bytes (``"phone_number":``) and no other field has that name: Arrow refused every
        undeclared field, and a JSON string cannot hold that sequence unescaped. After
        ``DECLINES`` pages declined in one read it stops trying (the server's pages are not
        as declared; each try would cost a parse).
        """
        if self._envelope is None or not content or self.declined >= DECLINES:
            return None
        found = self._decode(content)
        if found is None:
            self.declined += 1
        return found

    def _decode(self, content: bytes) -> Decoded | None:
        try:
            table = pj.read_json(
                pa.BufferReader(content),
                read_options=pj.ReadOptions(use_threads=False, block_size=len(content) + 1),
                parse_options=self._envelope,
                # The C library's allocator: mimalloc, Arrow's default, keeps what each of the
                # fetching threads freed, and a 100k-order read peaked 110 MB higher with it.
                memory_pool=pa.system_memory_pool(),
            )
        except (pa.ArrowException, ValueError):  # not JSON, or not as declared (UTF-8 errors are ValueErrors)
            return None
        pages = table.column("results")
        if table.num_rows != 1 or pages.num_chunks != 1 or pages.null_count:
            return None
        records = pages.chunk(0).flatten()
        if records.null_count:
            return None
        try:
            records.validate(full=True)  # the reader does not check that text is UTF-8; the dicts' decoder does
        except pa.ArrowInvalid:
            return None
        leaves: dict[str, Any] = {}
        _cut(self.tree, records, leaves)
        for name, leaf in leaves.items():
            if len(leaf) and leaf.null_count == len(leaf) and self._named.get(name, b"\x00") not in content:
                return None  # null on every record, or absent from every one: the bytes could not tell
        if self._key and leaves[self._key].null_count:
            return None  # a record without its id: missing or null, the dicts tell which
        count, link = table.column("count")[0].as_py(), table.column("next")[0].as_py()
        return Rows(records, leaves, self._key), count if count is None or count >= 0 else None, link or None

    def read(self, records: Sequence[dict[str, Any]]) -> dict[str, Any] | None:
        """Column name -> Arrow array of ``records``; None when Arrow cannot read them as declared."""
        if self.type is None or not _known(self.tree, records, top=True):
            return None
        try:
            whole = pa.array(records, type=self.type)
        except _REFUSED:
            return None
        found: dict[str, Any] = {}
        _cut(self.tree, whole, found)
        return found


def _named_once(tree: dict[str, Any]) -> dict[str, bytes]:
    """Column name -> its key as it starts a JSON member (``b'"email":'``), for keys no other field
    (or envelope field) has."""
    keys: dict[str, list[str]] = {name: [""] for name in ("count", "next", "previous", "results")}

    def walk(node: dict[str, Any]) -> None:
        for key, child in node.items():
            keys.setdefault(key, []).append(child.name if isinstance(child, Column) else "")
            if isinstance(child, dict):
                walk(child)

    walk(tree)
    return {names[0]: f'"{key}":'.encode() for key, names in keys.items() if len(names) == 1 and names[0]}


def column(chunks: list[Any], column: Column) -> Any:
    """The typed array of one column's Arrow chunks; None when only pandas can read them."""
    joined = pa.chunked_array(chunks, type=chunks[0].type)
    if column.kind == "string":
        return pd.arrays.ArrowStringArray(joined.combine_chunks())
    if column.kind == "float":
        return joined.to_numpy()
    if column.kind == "datetime":
        try:
            stamps = pc.cast(joined, pa.timestamp("ns", tz="UTC"))
        except _REFUSED:
            return None
        return stamps.to_pandas().astype("datetime64[ns, UTC]").array
    seen = {v for v in pc.unique(joined).to_pylist() if v is not None}
    categories = (*column.categories, *sorted(seen - set(column.categories)))
    codes = pc.index_in(joined, value_set=pa.array(categories, type=pa.large_string())).fill_null(-1)
    return pd.Categorical.from_codes(codes.to_numpy().astype(np.int32), dtype=category_dtype(categories))


def values(chunks: list[Any]) -> list[Any]:
    """The Python values of a column's Arrow chunks, in order."""
    return [value for chunk in chunks for value in chunk.to_pylist()]


def _struct(tree: dict[str, Any]) -> Any:
    """The Arrow struct type of a layout's tree; None when a column is of a kind Arrow reads differently."""
    fields = []
    for key, node in tree.items():
        if isinstance(node, dict):
            inner = _struct(node)
        else:
            inner = pa.large_string() if node.kind in _TEXT else pa.float64() if node.kind == "float" else None
        if inner is None:
            return None
        fields.append(pa.field(key, inner))
    return pa.struct(fields)


def _known(tree: dict[str, Any], parents: Sequence[Any], *, top: bool = False) -> bool:
    """Whether every record is an object holding no field the contract does not know, at any depth."""
    if not set(map(type, parents)) <= ({dict} if top else {dict, NONE}):
        return False
    present = parents if top else [p for p in parents if p is not None]
    if not all(map(set(tree).issuperset, present)):
        return False
    nested = ((key, node) for key, node in tree.items() if isinstance(node, dict))
    return all(_known(node, [p.get(key) for p in present]) for key, node in nested)


def _cut(tree: dict[str, Any], whole: Any, found: dict[str, Any]) -> None:
    """Each leaf of a struct array under its column's name; a null parent makes its fields null."""
    for (_key, node), child in zip(tree.items(), whole.flatten(), strict=True):
        if isinstance(node, dict):
            _cut(node, child, found)
        else:
            found[node.name] = child
