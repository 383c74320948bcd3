"""Every check of what a user passes, made before anything is sent.

Each raises ``PreoValidationError`` naming the argument at fault: ids (``check_id``),
enum values, amounts, list filters against the contract (``check_query``) and dates
(``timestamp``: ISO 8601 or date objects; an ambiguous ``05/06/2026`` is refused).
"""

from __future__ import annotations

import datetime as dt
import difflib
import math
import re
from typing import Any

import numpy as np
import pandas as pd

from preo_nb import contract
from preo_nb.errors import PreoValidationError

ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,199}")


class _NotGiven:
    """Marks an ``update`` argument that was left out (``None`` means "set to null")."""

    def __repr__(self) -> str:
        return "NOT_GIVEN"

    def __bool__(self) -> bool:
        return False


NOT_GIVEN: Any = _NotGiven()


def check_id(value: Any, name: str = "id") -> str:
    """Return an id safe to put in a URL path, or raise naming ``name``."""
    if not isinstance(value, str):
        raise PreoValidationError(name, f"must be a string id, not {type(value).__name__}")
    if not ID_PATTERN.fullmatch(value) or ".." in value:
        raise PreoValidationError(
            name, f"{value!r} is not a Preo id (letters, digits, '_', '-', '.', ':'; no '/' or '..')"
        )
    return value


def check_enum(value: Any, name: str, allowed: tuple[str, ...]) -> str:
    """Return ``value`` if it is one of ``allowed``, else raise naming ``name``."""
    if value not in allowed:
        close = difflib.get_close_matches(str(value), allowed, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise PreoValidationError(name, f"{value!r} is not one of {', '.join(allowed)}{hint}")
    return str(value)


def check_amount(value: Any, name: str = "amount") -> float:
    """Return a positive, finite amount in major units with at most 2 decimals."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise PreoValidationError(name, f"must be a number, not {type(value).__name__}")
    if not math.isfinite(value) or value <= 0:
        raise PreoValidationError(name, f"must be greater than 0, not {value}")
    if round(value, 2) != value:
        raise PreoValidationError(name, f"{value} has more than 2 decimals")
    return float(value)


def check_query(operation_id: str, params: dict[str, Any]) -> dict[str, Any]:
    """Check list filters against the contract and render them as query values."""
    declared = contract.operations()[operation_id].query
    query: dict[str, Any] = {}
    for name, value in params.items():
        if value is None or value is NOT_GIVEN:
            continue
        query[name] = _query_value(value, name, contract.resolve(declared[name]))
    return query


def _query_value(value: Any, name: str, schema: dict[str, Any]) -> Any:
    if "enum" in schema:
        return check_enum(value, name, tuple(schema["enum"]))
    if schema.get("type") == "boolean":
        if not isinstance(value, bool):
            raise PreoValidationError(name, f"must be True or False, not {value!r}")
        return "true" if value else "false"
    if schema.get("format") == "date-time":
        return timestamp(value, name)
    if not isinstance(value, str) or not value:
        raise PreoValidationError(name, f"must be a non-empty string, not {value!r}")
    return value


def timestamp(value: Any, name: str) -> str:
    """Render a date, datetime, pandas Timestamp, numpy datetime64 or ISO 8601 string as UTC ISO 8601.

    Naive values count as UTC. Slash and dot dates (``05/06/2026``) are refused,
    naming the ISO form(s) they could mean, rather than guessed month-first.
    """
    if isinstance(value, str):
        value = _iso_datetime(value, name)
    elif isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        value = dt.datetime(value.year, value.month, value.day)
    elif not isinstance(value, dt.datetime | np.datetime64):
        raise PreoValidationError(
            name, f"must be a date, a datetime or an ISO 8601 string, not {type(value).__name__} {value!r}"
        )
    stamp = pd.Timestamp(value)
    if pd.isna(stamp):
        raise PreoValidationError(name, "a date is required, not NaT")
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
    return stamp.strftime("%Y-%m-%dT%H:%M:%SZ")


def _iso_datetime(text: str, name: str) -> dt.datetime:
    """Parse an ISO 8601 date or datetime (``Z`` and offsets too); say what a slash date could mean."""
    cleaned = text.strip()
    try:
        return dt.datetime.fromisoformat(cleaned[:-1] + "+00:00" if cleaned[-1:] in "zZ" else cleaned)
    except ValueError:
        pass
    readings = _slash_readings(cleaned)
    if len(readings) > 1:
        options = " or ".join(f"{iso!r} ({day})" for iso, day in readings)
        raise PreoValidationError(name, f"{text!r} is ambiguous (day or month first?); use {options}")
    if readings:
        iso, day = readings[0]
        raise PreoValidationError(name, f"{text!r} is not ISO 8601; use {iso!r} ({day})")
    raise PreoValidationError(name, f"{text!r} is not a date or an ISO 8601 datetime (use e.g. '2026-06-05')")


SLASH_DATE = re.compile(r"(\d{1,4})[/.](\d{1,2})[/.](\d{1,4})((?:[ T].*)?)")


def _slash_readings(text: str) -> list[tuple[str, str]]:
    """The valid ISO dates a ``d/m/y``, ``m/d/y`` or ``y/m/d`` text (slashes or dots) could mean."""
    match = SLASH_DATE.fullmatch(text)
    if match is None:
        return []
    first, second, third, rest = match.groups()
    if len(first) == 4:
        orders = [(int(first), int(second), int(third))]
    elif len(third) == 4:
        orders = [(int(third), int(first), int(second)), (int(third), int(second), int(first))]  # m/d, then d/m
    else:
        return []  # a two-digit year: too many readings to list
    readings = []
    for year, month, day in dict.fromkeys(orders):
        try:
            date = dt.date(year, month, day)
        except ValueError:
            continue
        readings.append((date.isoformat() + (" " + rest.strip() if rest.strip() else ""), f"{date.day} {date:%B}"))
    return readings
