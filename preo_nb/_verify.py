"""Checks that what the server answered is what was asked: every filter sent, honoured.

Most filters in the contract are inferred, and DRF (with django-filter) ignores a query
parameter it does not know. A list that silently ignored ``created_after`` would report a
whole season as one week, and one that ignored ``edition_id`` would hand another edition's
refunds to whatever approves them. So each page is checked as it arrives against the
meaning of every filter sent (the contract's ``x-filter`` table, ``contract.filters``),
column by column: equality, bounds, text, search, tags, ordering across pages. A
contradiction raises ``IgnoredFilter`` before any row is returned; a filter whose column
the rows do not carry is named in one ``ContractDriftWarning`` per call.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

import numpy as np
import pandas as pd

from preo_nb import _columns, contract
from preo_nb._arrow import Rows
from preo_nb._columns import Records
from preo_nb.contract import Filter
from preo_nb.errors import ContractDriftWarning, IgnoredFilter

_NUMBER_KINDS = ("float", "int")
Batch = Records | Rows
"""A page's records: dicts, or read straight into Arrow."""
B = TypeVar("B", bound=Batch)


class Verifier:
    """The checks of one list call: built from the query sent, fed every page in order."""

    def __init__(self, operation_id: str, query: dict[str, Any]) -> None:
        self.operation_id = operation_id
        self.query = query
        chosen = contract.filters(operation_id)
        self.checks = [(chosen[name], value) for name, value in query.items() if name in chosen]
        self.kinds = _column_kinds(operation_id)
        self.warned: set[str] = set()
        self.last: Any = None  # the ordering column's last value on the page before (a 1-array)
        self.page_read: Batch | None = None
        self.columns: dict[str, Any] = {}
        self.bounds: dict[tuple[str, str], Any] = {}

    def takes_rows(self) -> bool:
        """Whether pages read straight into Arrow (``_arrow.Rows``) give these checks the values dicts would.

        Every column a check reads must be declared (an undeclared one is only in the dicts),
        and only bounds and ordering may read a number column: Arrow holds numbers as floats,
        ``2.0`` where the JSON said ``2``, which a check comparing text would not match.
        """
        for rule, value in self.checks:
            if rule.kind == "search":
                names = list(rule.fields)
            elif rule.kind == "ordering":
                names = [str(value).removeprefix("-")]
            else:
                names = [rule.column] if rule.column and rule.kind != "related" else []
            for name in names:
                kind = self.kinds.get(name)
                if kind is None or (kind in _NUMBER_KINDS and rule.kind not in ("lower", "upper", "ordering")):
                    return False
        return True

    def pages(self, pages: Iterable[B]) -> Iterator[B]:
        """Yield each page of ``pages`` once it is checked."""
        for records in pages:
            self.page(records)
            yield records

    def page(self, records: Batch) -> None:
        """Check one page.

        Raises:
            IgnoredFilter: A row contradicts a filter sent (the filter, a counter-example, what to do).
        """
        if not records:
            return
        for rule, value in self.checks:
            CHECKS[rule.kind](self, rule, value, records)

    def column(self, rule: Filter, records: Batch, column: str | None = None) -> list[Any] | None:
        """The values of ``column`` (default: the filter's) on this page; None, with a warning, if absent.

        One read per column and page, however many filters look at it (bounds and ordering share).
        """
        name = column or rule.column or ""
        if records is not self.page_read:  # a new page: forget the last one's columns
            self.page_read, self.columns = records, {}
        if name not in self.columns:
            self.columns[name] = _values(records, name)
        values: list[Any] | None = self.columns[name]
        if values is None:
            self.cannot_show(rule, f"the rows have no {name} column")
        return values

    def instants(self, rule: Filter, records: Batch, name: str, values: list[Any]) -> np.ndarray:
        """``_instants`` of a column of this page, once however many bounds look at it."""
        self.column(rule, records, name)  # makes sure self.columns is this page's
        key = name + "\x00instants"
        if key not in self.columns:
            self.columns[key] = _columns.instants(values)
        found: np.ndarray = self.columns[key]
        return found

    def bound(self, rule: Filter, value: Any, kind: str) -> Any:
        """``_instant`` of a filter's value, once per call and form."""
        key = (rule.name, kind)
        if key not in self.bounds:
            self.bounds[key] = _columns.instant(value, np.empty(0, dtype="S1" if kind == "S" else "datetime64[ns]"))
        return self.bounds[key]

    def cannot_show(self, rule: Filter, why: str) -> None:
        """Warn, once per call, that the rows cannot show whether ``rule`` was honoured."""
        if rule.name in self.warned:
            return
        self.warned.add(rule.name)
        warnings.warn(
            f"{self.operation_id}({rule.name}={self.query[rule.name]!r}): {why}, so whether the server "
            "honoured this filter cannot be checked; check the rows yourself "
            "(`preo-nb check-contract` tests each filter)",
            ContractDriftWarning,
            stacklevel=4,
        )

    def fail(self, rule: Filter, value: Any, wrong: np.ndarray, column: str, values: list[Any], test: str) -> None:
        """Raise ``IgnoredFilter`` when any of ``wrong`` is set."""
        if wrong.any():
            example = values[int(np.argmax(wrong))]
            raise IgnoredFilter(
                self.operation_id, rule.name, value, column, int(wrong.sum()), _columns.shown(example), test=test
            )


def _values(records: Batch, name: str) -> list[Any] | None:
    """The values of the dotted column ``name``; None when no record holds it (``_columns.column``)."""
    return records.column(name) if isinstance(records, Rows) else _columns.column(records, name)


def _column_kinds(operation_id: str) -> dict[str, str]:
    try:
        return {c.name: c.kind for c in contract.columns(contract.item_schema(operation_id))}
    except KeyError:
        return {}


def _equal(check: Verifier, rule: Filter, value: Any, records: Batch) -> None:
    values = check.column(rule, records)
    if values is None:
        return
    if values.count(value) == len(values):  # the usual case: every value the very string sent (one C loop)
        return
    texts = [str(v).lower() if isinstance(v, bool) else str(v) for v in values]
    same = np.array([t == value and v is not None for t, v in zip(texts, values, strict=True)], dtype=bool)
    check.fail(rule, value, ~same, rule.column or "", values, f"is not {value!r}")


def _bound(check: Verifier, rule: Filter, value: Any, records: Batch) -> None:
    values = check.column(rule, records)
    if values is None:
        return
    column = rule.column or ""
    found: np.ndarray
    if check.kinds.get(column) in _NUMBER_KINDS:
        found, bound = pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(dtype=float), float(value)
    else:
        found = check.instants(rule, records, column, values)
        bound = check.bound(rule, value, found.dtype.kind)
        if bound is None:
            found = _columns.timestamps(values).to_numpy(dtype="datetime64[ns]", na_value=np.datetime64("NaT"))
            bound = _columns.instant(value, found)
    lower = rule.kind == "lower"
    sign = (">=" if rule.inclusive else ">") if lower else ("<=" if rule.inclusive else "<")
    compare = {">=": np.greater_equal, ">": np.greater, "<=": np.less_equal, "<": np.less}[sign]
    if found.dtype.kind == "S":  # every value readable
        wrong = ~compare(found, bound)
    else:  # null or unreadable: not this check's to judge (the frames warn)
        readable = ~pd.isna(found)
        wrong = readable & ~compare(np.where(readable, found, bound), bound)
    check.fail(rule, value, wrong, column, values, f"is not {sign} {value!r}")


def _text(check: Verifier, rule: Filter, value: Any, records: Batch) -> None:
    values = check.column(rule, records)
    if values is None:
        return
    if rule.kind == "contains":
        same = _columns.contains(values, str(value), rule.case_sensitive)
    else:
        texts = _columns.texts(values, rule.case_sensitive)
        needle = str(value) if rule.case_sensitive else str(value).casefold()
        same = np.array([t == needle for t in texts], dtype=bool)
    how = "does not contain" if rule.kind == "contains" else "is not"
    case = "" if rule.case_sensitive else " (any case)"
    check.fail(rule, value, ~same, rule.column or "", values, f"{how} {value!r}{case}")


def _search(check: Verifier, rule: Filter, value: Any, records: Batch) -> None:
    shown = {field: found for field in rule.fields if (found := _values(records, field)) is not None}
    if not shown:
        check.cannot_show(rule, f"the rows have none of {', '.join(rule.fields)}")
        return
    hit = np.zeros(len(records), dtype=bool)
    for values in shown.values():
        hit |= _columns.contains(values, str(value), case_sensitive=False)
    first = next(iter(shown.values()))
    names = ", ".join(shown)
    check.fail(rule, value, ~hit, names, first, f"(every one of them) does not contain {value!r} (any case)")


def _any_tag(check: Verifier, rule: Filter, value: Any, records: Batch) -> None:
    values = check.column(rule, records)
    if values is None:
        return
    wanted = {t.strip().casefold() for t in str(value).split(",") if t.strip()}
    has = np.array([bool(wanted & {str(t).casefold() for t in (v or ())}) for v in values], dtype=bool)
    check.fail(rule, value, ~has, rule.column or "", values, f"holds none of {value!r}")


def _include(check: Verifier, rule: Filter, value: Any, records: Batch) -> None:
    if value != "false":
        return  # a flag that widens the list: its rows cannot contradict it
    values = check.column(rule, records)
    if values is not None:
        hidden = np.array([v == rule.value for v in values], dtype=bool)
        check.fail(rule, value, hidden, rule.column or "", values, f"is {rule.value!r}")


def _related(check: Verifier, rule: Filter, value: Any, records: Batch) -> None:
    check.cannot_show(rule, f"it is decided by other records ({rule.why})")


def _sortable(check: Verifier, key: str, values: list[Any]) -> np.ndarray:
    """The non-null values of an ordering column, in a form whose order is the server's."""
    kind = check.kinds.get(key)
    present = values if None not in values else [v for v in values if v is not None]
    if kind == "datetime":
        found = _columns.instants(present)
        kept: np.ndarray = found if found.dtype.kind == "S" else found[~np.isnat(found)]
        return kept
    if kind in _NUMBER_KINDS:
        numbers: np.ndarray = pd.to_numeric(pd.Series(present), errors="coerce").to_numpy(dtype=float)
        known: np.ndarray = numbers[~np.isnan(numbers)]
        return known
    return np.array([str(v).casefold() for v in present], dtype=str)


def _ordering(check: Verifier, rule: Filter, value: Any, records: Batch) -> None:
    key = str(value).removeprefix("-")
    values = check.column(rule, records, key)
    if values is None:
        return
    kept = _sortable(check, key, values)
    if check.last is not None and check.last.dtype.kind == kept.dtype.kind:  # else a page of another form
        kept = np.concatenate([check.last, kept])
    if kept.size:
        check.last = kept[-1:]
    if kept.size < 2:
        return
    before, after = kept[:-1], kept[1:]
    wrong = after > before if str(value).startswith("-") else after < before
    if bool(np.any(wrong)):
        index = int(np.argmax(wrong))
        direction = "descending" if str(value).startswith("-") else "ascending"
        raise IgnoredFilter(
            check.operation_id,
            rule.name,
            value,
            key,
            int(np.sum(wrong)),
            _columns.shown(after[index]),
            test=f"is out of {direction} order (one row after {_columns.shown(before[index])})",
        )


Check = Callable[[Verifier, Filter, Any, Batch], None]
CHECKS: dict[str, Check] = {
    "equal": _equal,
    "lower": _bound,
    "upper": _bound,
    "contains": _text,
    "exact": _text,
    "search": _search,
    "any_tag": _any_tag,
    "include": _include,
    "related": _related,
    "ordering": _ordering,
}
"""Each ``x-filter`` kind and the check of a page against it (a test holds this to the contract's kinds)."""
