"""Results larger than memory: a list read as DataFrame chunks, or streamed into one Parquet file.

Every list method (``preo.orders.list``, ``preo.refunds.list``, ``preo.orders.purchases``,
``preo.webhooks.list_deliveries``...) can be read in chunks, with the same filters::

    for chunk in preo_nb.iter_frames(preo.orders.list, edition_id="edt_...", chunksize=50_000):
        totals.append(chunk.groupby("status", observed=False)["amount"].sum())

    preo_nb.to_parquet("orders.parquet", preo.orders.list, edition_id="edt_...")

Each chunk holds whole pages (about ``chunksize`` rows) and has the declared columns and
dtypes of ``list()``; fields the contract does not know are left out (with a warning),
since a later chunk could not add them, and an enum column's categories are the documented
values plus any undocumented value found in that chunk. Memory holds one chunk and a few
pages in flight.

Files for spreadsheets go through :func:`to_csv` and :func:`to_excel`, which neutralise
formulas in text that customers typed (``=HYPERLINK(...)`` in a name, or in a column name
taken from their data) and write lists and objects as JSON text::

    preo_nb.to_csv(orders, "orders.csv")
    preo_nb.to_excel(orders, "orders.xlsx")
"""

from __future__ import annotations

import csv
import inspect
import json
import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from preo_nb.errors import PreoValidationError, require
from preo_nb.frames import CHUNKSIZE

DEFAULT_CHUNKSIZE = 100_000
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""A spreadsheet reads a cell starting with one of these as a formula (OWASP, CSV injection)."""
ListMethod = Callable[..., pd.DataFrame]


def iter_frames(
    list_method: ListMethod, /, *args: Any, chunksize: int = DEFAULT_CHUNKSIZE, **filters: Any
) -> Iterator[pd.DataFrame]:
    """Read a list as DataFrames of about ``chunksize`` rows, page batch by page batch.

    Args:
        list_method: A list method of a client, e.g. ``preo.orders.list``.
        *args: Its ids, e.g. the endpoint id of ``preo.webhooks.list_deliveries``.
        chunksize: Rows per chunk, rounded up to whole pages (at least one page).
        **filters: Its keyword arguments, checked as the method checks them.

    Returns:
        An iterator of DataFrames with identical columns and dtypes (see above for
        enums); at least one, empty when nothing matches. A list the API answers in one reply is one chunk.
        The first page is requested when the iteration starts.

    Raises:
        PreoValidationError: ``chunksize`` is not a positive whole number, ``list_method``
            does not return a DataFrame, or a filter is wrong (nothing is sent).
    """
    if isinstance(chunksize, bool) or not isinstance(chunksize, int) or chunksize < 1:
        raise PreoValidationError("chunksize", f"must be a whole number of rows >= 1, not {chunksize!r}")
    name = getattr(list_method, "__qualname__", repr(list_method))
    if "DataFrame" not in str(inspect.signature(list_method).return_annotation):
        raise PreoValidationError("list_method", f"{name} does not return a DataFrame; pass a list method")
    token = CHUNKSIZE.set(chunksize)
    try:
        found: Any = list_method(*args, **filters)
    finally:
        CHUNKSIZE.reset(token)
    return iter([found]) if isinstance(found, pd.DataFrame) else found


def to_parquet(
    path: str | os.PathLike[str],
    source: ListMethod | Iterable[pd.DataFrame],
    /,
    *args: Any,
    chunksize: int = DEFAULT_CHUNKSIZE,
    **filters: Any,
) -> int:
    """Write a list into one Parquet file, chunk by chunk (needs the ``parquet`` extra: pyarrow).

    ``source`` is a list method (read with ``iter_frames(source, *args, chunksize=...,
    **filters)``) or DataFrame chunks you made, all with the same columns and dtypes.
    Each chunk becomes a row group. Columns holding lists or free-form objects
    (``metadata``, ``events``...) are written as JSON text, since their shape may change
    from row to row; ``json.loads`` reads them back. The file appears only when complete:
    it is written under a ``.partial`` name and renamed at the end.

    Returns:
        The number of rows written.

    Raises:
        MissingExtra: pyarrow is not installed (the ``parquet`` extra; an ``ImportError``).
    """
    require("parquet", "to_parquet", "pyarrow")
    import pyarrow as pa
    import pyarrow.parquet as pq

    chunks = iter_frames(source, *args, chunksize=chunksize, **filters) if callable(source) else iter(source)
    target = Path(path)
    partial = target.with_name(target.name + ".partial")
    writer: Any = None
    rows = 0
    try:
        for chunk in chunks:
            table = pa.Table.from_pandas(
                _as_json_text(chunk), preserve_index=False, schema=None if writer is None else writer.schema
            )
            writer = writer or pq.ParquetWriter(partial, table.schema)
            writer.write_table(table)
            rows += len(chunk)
    except BaseException:
        if writer is not None:
            writer.close()
        partial.unlink(missing_ok=True)
        raise
    if writer is None:
        raise PreoValidationError("source", "no DataFrame to write")
    writer.close()
    partial.replace(target)
    return rows


def _as_json_text(chunk: pd.DataFrame) -> pd.DataFrame:
    """Object columns (lists, free-form objects) as JSON strings; the rest as they are."""
    objects = [name for name, dtype in chunk.dtypes.items() if pd.api.types.is_object_dtype(dtype)]
    if not objects:
        return chunk
    text = chunk.copy(deep=False)
    for name in objects:
        text[name] = pd.array([None if v is None else json.dumps(v, default=str) for v in chunk[name]], dtype="string")
    return text


def to_csv(frame: pd.DataFrame, path: str | os.PathLike[str], **options: Any) -> Path:
    """Write ``frame`` as a CSV file that is safe to open in a spreadsheet.

    Text starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a
    leading ``'`` (OWASP's advice against CSV injection), so a customer named
    ``=HYPERLINK("http://x")`` stays text; numbers are never changed. Every value that is
    not a number is quoted (a carriage return inside a name then cannot split the row).
    Lists and objects (``metadata``...) are written as JSON text. The index is left out
    unless ``index=True`` is passed.

    Args:
        frame: Any DataFrame, e.g. one a list method returned.
        path: The file to write.
        **options: More arguments for ``DataFrame.to_csv``.

    Returns:
        The path written.
    """
    target = Path(path)
    spreadsheet_safe(frame).to_csv(target, **{"index": False, "quoting": csv.QUOTE_NONNUMERIC, **options})
    return target


def to_excel(frame: pd.DataFrame, path: str | os.PathLike[str], **options: Any) -> Path:
    """Write ``frame`` as an Excel workbook (needs openpyxl, from the ``notebooks`` extra).

    Text is neutralised as in :func:`to_csv`, lists and objects become JSON text, and
    timestamps with a time zone (every ``created``...) are written in UTC with the time
    zone dropped, since Excel cannot store one: ``2026-08-30 12:00:00+02:00`` is written
    as ``2026-08-30 10:00:00``. The index is left out unless ``index=True`` is passed.

    Returns:
        The path written.

    Raises:
        MissingExtra: openpyxl is not installed (an ``ImportError``).
    """
    require("notebooks", "to_excel", "openpyxl")
    safe = spreadsheet_safe(frame)
    for name, dtype in safe.dtypes.items():
        if isinstance(dtype, pd.DatetimeTZDtype):
            safe[name] = safe[name].dt.tz_convert("UTC").dt.tz_localize(None)
    target = Path(path)
    safe.to_excel(target, **{"index": False, **options})
    return target


def spreadsheet_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` for spreadsheets: text neutralised against formulas, lists and objects as JSON.

    Only text cells change (in ``string``, ``object`` and text ``category`` columns), and the
    column names, neutralised the same way; numbers, booleans, timestamps and missing values
    are kept as they are. Parquet files (``to_parquet``) keep their names: no program reads a
    Parquet schema as formulas, and readers select columns by their exact names.
    """
    safe = frame.copy(deep=False)
    for name, dtype in frame.dtypes.items():
        column = frame[name]
        if isinstance(dtype, pd.CategoricalDtype):
            if not pd.api.types.is_numeric_dtype(dtype.categories.dtype):
                safe[name] = column.astype("string").map(_safe_cell, na_action="ignore").astype("string")
        elif pd.api.types.is_string_dtype(dtype) or pd.api.types.is_object_dtype(dtype):
            safe[name] = column.map(_safe_cell, na_action="ignore").astype(dtype)
    safe.columns = frame.columns.map(lambda name: _safe_cell(name) if isinstance(name, str) else name)
    return safe


def _safe_cell(value: Any) -> Any:
    if isinstance(value, (list, dict, tuple)):
        return json.dumps(value, default=str, ensure_ascii=False)
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
