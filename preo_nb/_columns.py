"""A page's columns as the filter checks read them: whole columns, at C speed where the data allows.

Used by ``preo_nb._verify`` (the client's checks) and ``preo_nb.probe.filter_checks``.
"""

from __future__ import annotations

from collections.abc import Sequence
from operator import itemgetter
from typing import Any

import numpy as np
import pandas as pd

Records = Sequence[dict[str, Any]]
MISSING = object()
UTC_TEXT = len("2026-07-01T10:00:00Z")


def column(records: Records, name: str) -> list[Any] | None:
    """The values of the dotted column ``name``; None when no record holds it."""
    values: list[Any] = list(records)
    try:  # the usual case, every record holds the column: C speed, as in ``_columnar``
        for key in name.split("."):
            values = list(map(itemgetter(key), values))
    except (KeyError, TypeError, IndexError):
        values = list(records)
        for key in name.split("."):
            values = [v.get(key, MISSING) if type(v) is dict else MISSING for v in values]
        if all(v is MISSING for v in values):
            return None
        values = [None if v is MISSING else v for v in values]
    return values


def read(records: Records, name: str) -> pd.Series | None:
    """The values of the dotted column ``name`` of ``records``; None when no record holds it."""
    found = column(records, name)
    return None if found is None else pd.Series(found, dtype=object)


def timestamps(values: Any) -> pd.Series:
    """ISO 8601 text as UTC timestamps; anything unreadable is NaT (the frames warn about it)."""
    return pd.Series(pd.to_datetime(pd.Series(values, dtype=object), utc=True, errors="coerce", format="ISO8601"))


def instants(values: list[Any]) -> np.ndarray:
    """Timestamps as comparable values: the text itself (bytes) when every value has the contract's
    one UTC form (``2026-07-01T10:00:00Z``, where text order is time order), else parsed (NaT: unreadable).

    The form is checked on the page's values joined into one string (C speed, no loop per row).
    """
    count = len(values)
    try:
        joined = "".join(values)
    except TypeError:  # a null or a non-text value among them
        joined = ""
    if (
        count
        and len(joined) == UTC_TEXT * count
        and joined.isascii()
        and joined[UTC_TEXT - 1 :: UTC_TEXT].count("Z") == count
        and joined[10::UTC_TEXT].count("T") == count
    ):
        return np.frombuffer(joined.encode("ascii"), dtype=f"S{UTC_TEXT}")
    parsed = timestamps(values)
    return parsed.to_numpy(dtype="datetime64[ns]", na_value=np.datetime64("NaT"))


def instant(value: Any, like: np.ndarray) -> Any:
    """The bound ``value`` comparable with ``like`` (``_instants``); None when it cannot be."""
    stamp = pd.Timestamp(value)
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
    if like.dtype.kind == "S":  # a sub-second bound cannot be compared as text: parse the column instead
        return None if stamp.microsecond or stamp.nanosecond else stamp.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    return np.datetime64(stamp.tz_localize(None), "ns")


def contains(values: list[Any], needle: str, case_sensitive: bool) -> np.ndarray:
    """Which values hold ``needle`` (nulls do not); casefolded in one pass over the joined column."""
    try:
        texts = "\x00".join(values)  # the usual case, every value text: one C pass
    except TypeError:
        texts = "\x00".join("" if v is None else str(v) for v in values)
    if not case_sensitive:
        texts, needle = texts.casefold(), needle.casefold()
    parts = texts.split("\x00")
    return np.array([needle in part for part in parts], dtype=bool)


def shown(value: Any) -> Any:
    if isinstance(value, np.datetime64):
        return pd.Timestamp(value).isoformat() + "Z" if not np.isnat(value) else None
    if isinstance(value, bytes):
        return value.decode()
    if isinstance(value, np.str_ | np.floating):
        return value.item()
    return value


def texts(values: list[Any], case_sensitive: bool) -> list[str | None]:
    if case_sensitive:
        return [None if v is None else str(v) for v in values]
    return [None if v is None else str(v).casefold() for v in values]
