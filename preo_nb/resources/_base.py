"""What every API group shares: id and argument checks, and the calls into ``_http``.

Every check here runs before anything is sent and raises ``PreoValidationError``
naming the argument at fault.
"""

from __future__ import annotations

import datetime as dt
import difflib
import functools
import inspect
import logging
import math
import re
import time
from collections.abc import Callable, Iterator, Sequence
from contextvars import ContextVar
from typing import Any, ClassVar, TypeVar
from urllib.parse import quote

import numpy as np
import pandas as pd

from preo_nb import _pages, _progress, _values, _verify, contract, frames
from preo_nb._http import HTTP, Reconcile
from preo_nb.contract import Column
from preo_nb.errors import IncompleteList, PreoValidationError, WaitTimeout

log = logging.getLogger("preo_nb.http")

F = TypeVar("F", bound=Callable[..., Any])
Finish = Callable[[pd.DataFrame], pd.DataFrame]
CHUNKSIZE: ContextVar[int | None] = ContextVar("preo_nb_chunksize", default=None)
"""Rows per chunk while ``preo_nb.iter_frames`` calls a list method; None: one DataFrame."""
ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,199}")


class _NotGiven:
    """Marks an ``update`` argument that was left out (``None`` means "set to null")."""

    def __repr__(self) -> str:
        return "NOT_GIVEN"

    def __bool__(self) -> bool:
        return False


NOT_GIVEN: Any = _NotGiven()


def _reject_unknown_keywords(method: F) -> F:
    """Turn a misspelt keyword into a ``PreoValidationError`` that suggests the right one."""
    names = [p.name for p in inspect.signature(method).parameters.values() if p.kind is p.KEYWORD_ONLY]

    @functools.wraps(method)
    def checked(*args: Any, **kwargs: Any) -> Any:
        for key in kwargs:
            if key not in names:
                close = difflib.get_close_matches(key, names, n=1)
                hint = f"; did you mean {close[0]!r}?" if close else f"; it takes {', '.join(names) or 'none'}"
                raise PreoValidationError(key, f"{method.__qualname__}() has no argument {key!r}{hint}")
        return method(*args, **kwargs)

    return checked  # type: ignore[return-value]


class Resource:
    """Base of one API group; subclasses list their ``PATHS`` first, then the methods."""

    PATHS: ClassVar[dict[str, str]] = {}

    def __init__(self, http: HTTP) -> None:
        self._http = http

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for name, member in list(vars(cls).items()):
            if not name.startswith("_") and inspect.isfunction(member):
                setattr(cls, name, _reject_unknown_keywords(member))

    def __repr__(self) -> str:
        return f"<preo_nb {type(self).__name__}: {', '.join(self.PATHS)}>"

    def _path(self, verb: str, *ids: str, trusted: bool = False) -> str:
        """The path of ``verb`` with ``ids`` in it.

        Args:
            trusted: The ids came from the server (a list's rows), not from the user: any
                string the contract allows goes, percent-encoded, instead of the user-input rule.
        """
        names = re.findall(r"{(\w+)}", self.PATHS[verb])
        if trusted:
            return self.PATHS[verb].format(**{n: quote(str(i), safe="") for n, i in zip(names, ids, strict=False)})
        return self.PATHS[verb].format(**{n: check_id(i, n) for n, i in zip(names, ids, strict=False)})

    def _list(
        self, operation_id: str, params: dict[str, Any], progress: bool | None, *, path: str | None = None,
        finish: Finish | None = None, first: dict[str, Any] | None = None,
    ) -> pd.DataFrame:
        """Read every page of a list into a DataFrame (or chunks of one, under ``iter_frames``).

        The rows are checked against the equality filters (``preo_nb._verify``), and a list
        that changed while it was read is read once more (``preo_nb._pages``).

        Args:
            path: The list's path when it has ids in it (default: the operation's path).
            finish: Applied to the DataFrame, or to each chunk.
            first: Receives the first page's fields other than ``results``.
        """
        query = check_query(operation_id, params)
        path = path or contract.operations()[operation_id].path
        columns = frames.operation_columns(operation_id)
        rows = CHUNKSIZE.get()
        if rows is not None:
            pages = _pages.read(self._http, path, query, progress=progress, first=first)
            checked = (_verify.frame(operation_id, query, chunk) for chunk in frames.chunked(pages, columns, rows))
            return map(finish, checked) if finish else checked  # type: ignore[return-value]
        for attempt in range(2):  # inline, not a helper: tracebacks stay short (tests/test_layering.py)
            builder = frames.Builder(columns)
            try:
                with frames.collector_paused():
                    for records in _pages.read(self._http, path, query, progress=progress, first=first):
                        builder.add(records)
                break
            except IncompleteList as exc:
                if attempt or not exc.retryable:
                    raise
                log.warning("Preo API: %s; reading it again", exc)
        whole = _verify.frame(operation_id, query, builder.frame())
        return finish(whole) if finish else whole

    def _frames(
        self, batches: Iterator[list[dict[str, Any]]], columns: Sequence[Column], finish: Finish | None = None
    ) -> pd.DataFrame:
        """One DataFrame of every batch of records; an iterator of chunks inside ``iter_frames``.

        The return type says DataFrame because that is what list methods return
        to their callers; only ``preo_nb.iter_frames`` switches chunks on, and it
        knows it gets an iterator.
        """
        rows = CHUNKSIZE.get()
        if rows is None:
            whole = frames.build(batches, columns)
            return finish(whole) if finish else whole
        chunks = frames.chunked(batches, columns, rows)
        return map(finish, chunks) if finish else chunks  # type: ignore[return-value]

    def _iterate(self, operation_id: str, params: dict[str, Any], *, path: str | None = None
                 ) -> Iterator[dict[str, Any]]:
        query = check_query(operation_id, params)
        path = path or contract.operations()[operation_id].path
        for records in _pages.iterate(self._http, path, query):
            _verify.records(operation_id, query, records)
            for record in records:
                yield _values.typed(operation_id, record, item=True)

    def _get(self, path: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        found: dict[str, Any] = self._http.request("GET", path, params=params)
        return _typed("GET", path, found)

    def _post(
        self, path: str, body: dict[str, Any] | None = None, *, reconcile: Reconcile | None = None,
        safe: bool = False,
    ) -> dict[str, Any]:
        """POST; see ``HTTP.request`` for ``reconcile`` (how to tell it took effect) and ``safe``."""
        made: dict[str, Any] = self._http.request(
            "POST", path, json=body if body is not None else {}, reconcile=reconcile, safe=safe
        )
        return _typed("POST", path, made)

    def _when(self, path: str, took_effect: Callable[[dict[str, Any]], bool]) -> Reconcile:
        """A reconciler: GET ``path`` and return it when ``took_effect`` says the POST happened."""

        def check() -> dict[str, Any] | None:
            found = self._get(path)
            return found if took_effect(found) else None

        return check

    def _wait(
        self, verb: str, id: str, *, field: str, done: tuple[str, ...], timeout: float, interval: float,
        progress: bool | None,
    ) -> dict[str, Any]:
        """Retrieve ``id`` until ``field`` reaches one of ``done``; note each change of state."""
        if timeout <= 0 or interval < 0:
            raise PreoValidationError("timeout", "timeout must be > 0 and interval >= 0 seconds")
        deadline = time.monotonic() + timeout
        seen = None
        while True:
            found = self._get(self._path(verb, id))
            state = found.get(field)
            if state != seen:
                _progress.note(f"{type(self).__name__.lower()} {id}: {state}", progress)
                seen = state
            if state in done:
                return found
            if time.monotonic() + interval > deadline:
                raise WaitTimeout(f"{id} is still {state} after {timeout:g} s; it goes on, wait again later")
            time.sleep(interval)

    def _patch(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        if not body:
            raise PreoValidationError("fields", "nothing to update: pass at least one field")
        changed: dict[str, Any] = self._http.request("PATCH", path, json=body)
        return _typed("PATCH", path, changed)


def _typed(method: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
    """An answer with the types its operation declares (``preo_nb._values``)."""
    operation_id = contract.find_operation(method, path.split("?")[0])
    if operation_id and isinstance(body, dict):
        typed: dict[str, Any] = _values.typed(operation_id, body)
        return typed
    return body


def given(**fields: Any) -> dict[str, Any]:
    """Keep the fields that were passed (drop ``None`` and ``NOT_GIVEN``)."""
    return {k: v for k, v in fields.items() if v is not None and v is not NOT_GIVEN}


def filters_of(arguments: dict[str, Any], *not_filters: str) -> dict[str, Any]:
    """The filters a ``list``/``iterate`` was called with: its ``locals()`` but ``self``,
    ``progress`` and ``not_filters``, without the ones left out."""
    skip = {"self", "progress", *not_filters}
    return given(**{name: value for name, value in arguments.items() if name not in skip})


def changes(**fields: Any) -> dict[str, Any]:
    """Keep the fields of an update that were passed; ``None`` stays (it sets null)."""
    return {k: v for k, v in fields.items() if v is not NOT_GIVEN}


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
        readings.append((date.isoformat() + (" " + rest.strip() if rest.strip() else ""),
                         f"{date.day} {date:%B}"))
    return readings
