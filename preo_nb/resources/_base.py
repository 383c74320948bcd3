"""What every API group shares: the calls into ``_http`` and ``_pages``, typed and checked.

The checks of what a user passes live in ``preo_nb.checks``; misspelt keywords are
refused here, before anything is sent.
"""

from __future__ import annotations

import difflib
import functools
import inspect
import logging
import re
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any, ClassVar, TypeVar
from urllib.parse import quote

import pandas as pd

from preo_nb import _hints, _pages, _progress, _values, _verify, contract, frames
from preo_nb._http import HTTP, Reconcile
from preo_nb.checks import NOT_GIVEN, check_id, check_query
from preo_nb.contract import Column
from preo_nb.errors import IncompleteList, PreoValidationError, WaitTimeout

log = logging.getLogger("preo_nb.http")

F = TypeVar("F", bound=Callable[..., Any])
Finish = Callable[[pd.DataFrame], pd.DataFrame]


def _reject_unknown_keywords(method: F) -> F:
    """Turn a misspelt keyword into a ``PreoValidationError`` that suggests the right one, and a
    filter passed by position (``preo.orders.list("edt_...")``) into a ``TypeError`` naming its keyword."""
    parameters = inspect.signature(method).parameters.values()
    names = [p.name for p in parameters if p.kind is p.KEYWORD_ONLY]
    positional = sum(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) for p in parameters)
    if any(p.kind is p.VAR_POSITIONAL for p in parameters):
        positional = sys.maxsize

    @functools.wraps(method)
    def checked(*args: Any, **kwargs: Any) -> Any:
        if len(args) > positional:  # args[0] is the group itself
            raise TypeError(_hints.positional(method.__qualname__, names, args[positional:]))
        for key in kwargs:
            if key not in names:
                close = difflib.get_close_matches(key, names, n=1)
                hint = f"; did you mean {close[0]!r}?" if close else f"; it takes {', '.join(names) or 'none'}"
                raise PreoValidationError(key, f"{method.__qualname__}() has no argument {key!r}{hint}")
        return method(*args, **kwargs)

    return checked  # type: ignore[return-value]


def iterates(listing: Callable[..., Any]) -> Callable[[F], F]:
    """Give an ``iterate`` the keyword arguments of its ``list`` (but ``progress``): the filters, written once.

    The copied signature is real (``__signature__``): Tab completion, ``?`` and the check of
    misspelt keywords see every filter by name; the method receives those passed as ``**filters``.
    """

    def copy(method: F) -> F:
        shown = inspect.signature(listing)
        kept = [p for p in shown.parameters.values() if p.name != "progress"]
        own = inspect.signature(method).return_annotation
        method.__signature__ = shown.replace(parameters=kept, return_annotation=own)  # type: ignore[attr-defined]
        return method

    return copy


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
        self,
        operation_id: str,
        params: dict[str, Any],
        progress: bool | None,
        *,
        path: str | None = None,
        finish: Finish | None = None,
        first: dict[str, Any] | None = None,
    ) -> pd.DataFrame:
        """Read every page of a list into a DataFrame (or chunks of one, under ``iter_frames``).

        Each page is checked against every filter sent (``preo_nb._verify``), and a list
        that changed while it was read is read once more (``preo_nb._pages``).

        Args:
            path: The list's path when it has ids in it (default: the operation's path).
            finish: Applied to the DataFrame, or to each chunk.
            first: Receives the first page's fields other than ``results``.
        """
        query = check_query(operation_id, params)
        path = path or contract.operations()[operation_id].path
        columns = frames.operation_columns(operation_id)
        rows = frames.CHUNKSIZE.get()
        # Pages 2..n are read straight into Arrow where the filter checks read the same values from it.
        decode = frames.page_decoder(columns) if _verify.Verifier(operation_id, query).takes_rows() else None
        if rows is not None:
            pages = _verify.Verifier(operation_id, query).pages(
                _pages.read(self._http, path, query, progress=progress, first=first, decode=decode)
            )
            chunks = frames.chunked(pages, columns, rows)
            return map(finish, chunks) if finish else chunks  # type: ignore[return-value]
        for attempt in range(2):  # inline, not a helper: tracebacks stay short (tests/test_layering.py)
            builder = frames.Builder(columns)
            verifier = _verify.Verifier(operation_id, query)
            try:
                with frames.collector_paused():
                    for records in _pages.read(self._http, path, query, progress=progress, first=first, decode=decode):
                        verifier.page(records)
                        builder.add(records)
                break
            except IncompleteList as exc:
                if attempt or not exc.retryable:
                    raise
                log.warning("Preo API: %s; reading it again", exc)
        whole = builder.frame()
        return finish(whole) if finish else whole

    def _frames(
        self, batches: Iterator[list[dict[str, Any]]], columns: Sequence[Column], finish: Finish | None = None
    ) -> pd.DataFrame:
        """One DataFrame of every batch of records; an iterator of chunks inside ``iter_frames``.

        The return type says DataFrame because that is what list methods return
        to their callers; only ``preo_nb.iter_frames`` switches chunks on, and it
        knows it gets an iterator.
        """
        rows = frames.CHUNKSIZE.get()
        if rows is None:
            whole = frames.build(batches, columns)
            return finish(whole) if finish else whole
        chunks = frames.chunked(batches, columns, rows)
        return map(finish, chunks) if finish else chunks  # type: ignore[return-value]

    def _iterate(
        self, operation_id: str, params: dict[str, Any], *, path: str | None = None
    ) -> Iterator[dict[str, Any]]:
        query = check_query(operation_id, params)
        path = path or contract.operations()[operation_id].path
        verifier = _verify.Verifier(operation_id, query)
        for records in _pages.iterate(self._http, path, query):
            verifier.page(records)
            for record in records:
                yield _values.typed(operation_id, record, item=True)

    def _get(self, path: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        found: dict[str, Any] = self._http.request("GET", path, params=params)
        return _typed("GET", path, found)

    def _post(
        self,
        path: str,
        body: dict[str, Any] | None = None,
        *,
        reconcile: Reconcile | None = None,
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
        self,
        verb: str,
        id: str,
        *,
        field: str,
        done: tuple[str, ...],
        timeout: float,
        interval: float,
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
