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

Large results: a ``Builder`` turns each page of records into typed column chunks as it
arrives (so the page's dicts can be freed) and concatenates the chunks once at the end.
``chunked`` yields one DataFrame per batch of pages instead, every one with the declared
columns and dtypes (fields the contract does not know are left out there, since later
chunks could not add them); an enum column's categories are every documented value plus
any undocumented value that chunk holds.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import logging
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextvars import ContextVar
from typing import Any

import numpy as np
import pandas as pd

from preo_nb import _arrow, contract
from preo_nb._columnar import NONE, Batch, Layout, category_dtype, share_strings
from preo_nb.contract import Column
from preo_nb.errors import ContractDriftWarning

log = logging.getLogger("preo_nb.frames")
CHUNKSIZE: ContextVar[int | None] = ContextVar("preo_nb_chunksize", default=None)
"""Rows per chunk while ``preo_nb.iter_frames`` calls a list method; None: one DataFrame."""

DTYPES: dict[str, Any] = {
    "string": "string",
    "datetime": "datetime64[ns, UTC]",
    "float": "float64",
    "int": "Int64",
    "bool": "boolean",
    "object": object,
}
_TRUTH = {"true": True, "false": False, True: True, False: False}
_NUMBERS = {float, int, NONE}
_TEXTS = {str, NONE}


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
    builder = Builder(columns)
    builder.add(list(records))
    return builder.frame()


def page_decoder(columns: Sequence[Column]) -> Callable[[bytes], _arrow.Decoded | None]:
    """What reads a list page's JSON bytes straight into Arrow for these columns (``_arrow.Reader.decode``)."""
    return _arrow.Reader(Layout(columns)).decode


def build(batches: Iterable[Sequence[dict[str, Any]] | _arrow.Rows], columns: Sequence[Column]) -> pd.DataFrame:
    """Build one DataFrame from batches of records (pages), converting each batch as it comes."""
    with collector_paused():
        builder = Builder(columns)
        for records in batches:
            builder.add(records)
        return builder.frame()


def chunked(
    batches: Iterable[Sequence[dict[str, Any]] | _arrow.Rows], columns: Sequence[Column], rows: int
) -> Iterator[pd.DataFrame]:
    """Yield DataFrames of whole batches, each of at least ``rows`` rows but the last.

    Every chunk has the declared columns and dtypes; at least one (maybe empty) is yielded.
    """
    remaining = iter(batches)
    left_out: set[str] = set()
    yielded = False
    while True:
        with collector_paused():  # never across a yield: the caller's code runs there
            builder = Builder(columns, keep_unknown=False)
            for records in remaining:
                builder.add(records)
                if builder.rows >= rows:
                    break
            chunk = builder.frame() if builder.rows or not yielded else None
        left_out |= builder.left_out
        if chunk is None:
            break
        yield chunk
        yielded = True
    if left_out:
        log.warning("fields the contract does not know are left out of chunks: %s", ", ".join(sorted(left_out)))


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while pages become columns.

    A large read allocates millions of short-lived dicts and strings without cycles,
    and the collector would scan them, and everything else alive, again and again
    (about a tenth of the CPU time of reading 100,000 orders). Reference counting
    still frees each page once it is converted; the collector resumes afterwards.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class Builder:
    """One DataFrame from batches of records: typed chunks every few pages, concatenated once.

    A page shaped as declared is read by Arrow in one pass (``preo_nb._arrow``), any
    other by ``_columnar``'s Python path. Either way its values wait (Arrow arrays, or
    raw lists; the records themselves are not kept) until ``BUFFER_ROWS`` rows have
    come, then become typed arrays: fewer, larger conversions cost less than one per
    page, and what waits stays small.

    Attributes:
        rows: Records added so far.
        left_out: Undeclared fields seen when ``keep_unknown`` is False.
    """

    BUFFER_ROWS = 10_000

    def __init__(self, columns: Sequence[Column], *, keep_unknown: bool = True) -> None:
        self.layout = Layout(columns)
        self.keep_unknown = keep_unknown
        self.rows = 0
        self.left_out: set[str] = set()
        self._top = {c.name.split(".")[0] for c in columns}
        self._present: set[str] = set()
        self._chunks: dict[str, list[Any]] = {c.name: [] for c in columns}
        self._extra: dict[str, list[Any]] = {}
        self._waiting = Batch(0, {c.name: [] for c in columns}, {c.name: set() for c in columns})
        self._strings: dict[str, str] = {}
        self._arrow = _arrow.Reader(self.layout)
        self._arrow_waiting: dict[str, list[Any]] = {c.name: [] for c in columns}
        self._arrow_rows = 0

    def add(self, records: Sequence[dict[str, Any]] | _arrow.Rows) -> None:
        """Take a batch of records's values (the records are not kept)."""
        if not records:
            return
        if isinstance(records, _arrow.Rows):  # every declared column has a value on some record
            self._present |= self._top
            self._add_arrow(records.leaves, len(records))
            return
        self._note_present(records)
        arrays = self._arrow.read(records)
        if arrays is not None:
            self._add_arrow(arrays, len(records))
            return
        self._convert_arrow()  # pages keep their order: the Arrow ones before this one are typed first
        batch = self.layout.read(records)
        for name, values in batch.values.items():
            self._waiting.values[name] += values
            self._waiting.types[name] |= batch.types[name]
        self._waiting.rows += batch.rows
        self._add_extra(batch)
        self.rows += batch.rows
        if self._waiting.rows >= self.BUFFER_ROWS:
            self._convert()

    def _add_arrow(self, arrays: dict[str, Any], rows: int) -> None:
        """Keep a page read by Arrow; its values stay in Arrow's compact form until the frame is built."""
        if self._waiting.rows:
            self._convert()
        for name, array in arrays.items():
            self._arrow_waiting[name].append(array)
        self._add_extra(Batch(rows))  # undeclared columns seen on earlier pages: missing on these rows
        self.rows += rows
        self._arrow_rows += rows
        if self._arrow_rows >= self.BUFFER_ROWS:  # typed every few pages: the pages' buffers are freed
            self._convert_arrow()

    def _convert_arrow(self) -> None:
        self._arrow_rows = 0
        for column in self.layout.columns:
            chunks = self._arrow_waiting[column.name]
            if chunks:
                typed = _arrow.column(chunks, column)
                if typed is None:  # values only pandas reads (e.g. date-times without an offset): as before
                    typed = convert(_arrow.values(chunks), column)
                self._chunks[column.name].append(typed)
                self._arrow_waiting[column.name] = []

    def _convert(self) -> None:
        waiting = self._waiting
        for column in self.layout.columns:
            if column.kind == "object":
                share_strings(waiting.values[column.name], self._strings)
            self._chunks[column.name].append(convert(waiting.values[column.name], column, waiting.types[column.name]))
            waiting.values[column.name] = []
            waiting.types[column.name] = set()
        waiting.rows = 0

    def _add_extra(self, batch: Batch) -> None:
        if not self.keep_unknown:
            self.left_out.update(batch.extra)
            return
        for name, values in batch.extra.items():
            if name not in self._extra:
                self._extra[name] = [None] * self.rows
            self._extra[name] += values
        for values in self._extra.values():
            values += [None] * (self.rows + batch.rows - len(values))

    def _note_present(self, records: Sequence[dict[str, Any]]) -> None:
        """Remember which declared fields the records hold (cheap: one record, unless fields are missing)."""
        missing = self._top - self._present
        if not missing or not isinstance(records[0], dict):
            return
        self._present |= missing & records[0].keys()
        for name in missing - self._present:
            if any(isinstance(r, dict) and name in r for r in records):
                self._present.add(name)

    def absent(self) -> list[str]:
        """Declared fields that no record held (their columns are all missing values)."""
        return sorted(self._top - self._present) if self.rows else []

    def frame(self) -> pd.DataFrame:
        """Return the DataFrame of everything added (chunks are released as they are joined).

        Warns (``ContractDriftWarning``) about declared fields no record held: their
        columns are all missing, and a sum over one would read 0.
        """
        absent = self.absent()
        if absent:
            warnings.warn(
                f"the API sent no {', '.join(absent)} field in any of the {self.rows} records; the contract "
                "declares it, so its column is kept but holds only missing values (a sum over it reads 0)",
                ContractDriftWarning,
                stacklevel=3,
            )
        if self._waiting.rows:
            self._convert()
        self._convert_arrow()
        data: dict[str, Any] = {}
        for column in self.layout.columns:
            data[column.name] = _concat(self._chunks.pop(column.name), column)
        for name, values in self._extra.items():
            data[name] = _infer(values)
        self._extra = {}
        return pd.DataFrame(data, index=pd.RangeIndex(self.rows))


def _concat(chunks: list[Any], column: Column) -> Any:
    if not chunks:
        return convert([], column)
    if len(chunks) == 1:
        return chunks[0]
    if column.kind == "category":  # chunks share one dtype unless undocumented values came
        seen = set().union(*(c.categories for c in chunks)) - set(column.categories)
        dtype = category_dtype((*column.categories, *sorted(seen)))
        chunks = [c if c.dtype is dtype else c.set_categories(dtype.categories) for c in chunks]
    if column.kind in ("object", "float"):  # numpy-backed: pd.concat could turn None into NaN
        return np.concatenate([np.asarray(c, dtype=DTYPES[column.kind]) for c in chunks])
    joined = pd.concat([pd.Series(c, copy=False) for c in chunks], ignore_index=True)
    return joined.array


def convert(values: list[Any], column: Column, types: set[type] | None = None) -> Any:
    """Turn one column of raw JSON values into an array of the column's dtype.

    Args:
        types: The Python types among ``values``, when already known.
    """
    kind = column.kind
    types = set(map(type, values)) if types is None else types
    if kind == "string":
        return _strings(values if types <= _TEXTS else [None if v is None else str(v) for v in values])
    if kind == "datetime":
        raw = pd.Series(values, dtype=object)
        parsed = pd.to_datetime(raw, utc=True, format="ISO8601", errors="coerce")
        _warn_unread(column, raw, parsed, "an ISO 8601 datetime")
        return parsed.astype(DTYPES["datetime"]).array
    if kind == "float":
        if types <= _NUMBERS:  # bool is not among them: it goes through to_numeric as before
            return np.array(values, dtype="float64")
        raw = pd.Series(values, dtype=object)
        numbers = pd.to_numeric(raw, errors="coerce")
        _warn_unread(column, raw, numbers, "a number")
        return numbers.astype("float64").array
    if kind == "int":
        if types <= {int, NONE}:
            return pd.array(values, dtype="Int64")
        return pd.to_numeric(pd.Series(values, dtype=object), errors="coerce").astype("Int64").array
    if kind == "bool":
        return pd.array(values if types <= {bool, NONE} else [_TRUTH.get(_lower(v)) for v in values], dtype="boolean")
    if kind == "category":
        return _categorical(
            values if types <= _TEXTS else [None if v is None else str(v) for v in values], column.categories
        )
    return pd.array(values, dtype=object) if values else pd.array([], dtype=object)


def _warn_unread(column: Column, raw: pd.Series, read: pd.Series, kind: str) -> None:
    """Warn when values that were sent became missing because they could not be read."""
    lost = raw.notna() & read.isna()
    if lost.any():
        warnings.warn(
            f"{int(lost.sum())} value(s) of column {column.name} are not {kind} (e.g. {raw[lost].iloc[0]!r}); "
            "they are shown as missing",
            ContractDriftWarning,
            stacklevel=2,
        )


def _lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def _categorical(texts: list[str | None], documented: tuple[str, ...]) -> pd.Categorical:
    undocumented = sorted({t for t in set(texts) if t is not None} - set(documented))
    categories = (*documented, *undocumented)
    codes = _category_codes(categories)
    dtype: Any = category_dtype(categories)
    return pd.Categorical.from_codes(np.array([codes.get(t, -1) for t in texts], dtype=np.int32), dtype=dtype)


@functools.lru_cache(maxsize=256)
def _category_codes(categories: tuple[str, ...]) -> dict[str | None, int]:
    return {category: code for code, category in enumerate(categories)}


def _strings(texts: list[Any]) -> Any:
    """A ``string`` array of str/None values; straight through pyarrow when that is the storage."""
    dtype: Any = pd.StringDtype()  # follows pd.options.mode.string_storage
    if dtype.storage == "pyarrow" and getattr(dtype, "na_value", pd.NA) is pd.NA:
        import pyarrow as pa  # already imported by pandas for this storage

        try:
            fast = pd.arrays.ArrowStringArray(pa.array(texts, type=pa.large_string()))
        except (TypeError, ValueError):  # an older pandas wanting another arrow string type
            fast = None
        if fast is not None and fast.dtype == dtype:
            return fast
    return pd.array(texts, dtype="string")


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
