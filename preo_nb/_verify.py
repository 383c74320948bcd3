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
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import numpy as np
import pandas as pd

from preo_nb import contract
from preo_nb.contract import Filter
from preo_nb.errors import ContractDriftWarning, IgnoredFilter

Records = Sequence[dict[str, Any]]
_MISSING = object()
_NUMBER_KINDS = ("float", "int")


class Verifier:
    """The checks of one list call: built from the query sent, fed every page in order."""

    def __init__(self, operation_id: str, query: dict[str, Any]) -> None:
        self.operation_id = operation_id
        self.query = query
        chosen = contract.filters(operation_id)
        self.checks = [(chosen[name], value) for name, value in query.items() if name in chosen]
        self.kinds = _column_kinds(operation_id)
        self.warned: set[str] = set()
        self.last: Any = None  # the ordering column's last value on the page before

    def pages(self, pages: Iterable[Records]) -> Iterator[Records]:
        """Yield each page of ``pages`` once it is checked."""
        for records in pages:
            self.page(records)
            yield records

    def page(self, records: Records) -> None:
        """Check one page.

        Raises:
            IgnoredFilter: A row contradicts a filter sent (the filter, a counter-example, what to do).
        """
        if not records:
            return
        for rule, value in self.checks:
            CHECKS[rule.kind](self, rule, value, records)

    def column(self, rule: Filter, records: Records, column: str | None = None) -> pd.Series | None:
        """The values of ``column`` (default: the filter's) on this page; None, with a warning, if absent."""
        name = column or rule.column or ""
        values = read(records, name)
        if values is None:
            self.cannot_show(rule, f"the rows have no {name} column")
        return values

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

    def fail(self, rule: Filter, value: Any, wrong: pd.Series, column: str, values: pd.Series, test: str) -> None:
        """Raise ``IgnoredFilter`` when any of ``wrong`` is set."""
        wrong = wrong.fillna(True).astype(bool)
        if wrong.any():
            example = values[wrong.to_numpy()].iloc[0]
            raise IgnoredFilter(
                self.operation_id,
                rule.name,
                value,
                column,
                int(wrong.sum()),
                None if _missing(example) else example,
                test=test,
            )


def read(records: Records, name: str) -> pd.Series | None:
    """The values of the dotted column ``name`` of ``records``; None when no record holds it."""
    values: list[Any] = list(records)
    for key in name.split("."):
        values = [v.get(key, _MISSING) if type(v) is dict else _MISSING for v in values]
    if all(v is _MISSING for v in values):
        return None
    return pd.Series([None if v is _MISSING else v for v in values], dtype=object)


def timestamps(values: pd.Series) -> pd.Series:
    """ISO 8601 text as UTC timestamps; anything unreadable is NaT (the frames warn about it)."""
    return pd.to_datetime(values, utc=True, errors="coerce", format="ISO8601")


def _missing(value: Any) -> bool:
    return value is None or (not isinstance(value, list | dict) and bool(pd.isna(value)))


def _column_kinds(operation_id: str) -> dict[str, str]:
    try:
        return {c.name: c.kind for c in contract.columns(contract.item_schema(operation_id))}
    except KeyError:
        return {}


def _equal(check: Verifier, rule: Filter, value: Any, records: Records) -> None:
    values = check.column(rule, records)
    if values is None:
        return
    if value in ("true", "false"):
        text = values.astype("string").str.lower()
    else:
        raw = values.to_numpy()
        if bool((raw == value).all()):  # the usual case: strings equal to the value, one C loop
            return
        text = values.astype("string")
    check.fail(rule, value, text != str(value), rule.column or "", values, f"is not {value!r}")


def _bound(check: Verifier, rule: Filter, value: Any, records: Records) -> None:
    values = check.column(rule, records)
    if values is None:
        return
    column = rule.column or ""
    found: pd.Series
    bound: Any
    if check.kinds.get(column) in _NUMBER_KINDS:
        found, bound = pd.to_numeric(values, errors="coerce"), float(value)
    else:
        found, bound = timestamps(values), pd.Timestamp(value)
        bound = bound.tz_localize("UTC") if bound.tzinfo is None else bound
    lower = rule.kind == "lower"
    sign = (">=" if rule.inclusive else ">") if lower else ("<=" if rule.inclusive else "<")
    ok = {">=": found >= bound, ">": found > bound, "<=": found <= bound, "<": found < bound}[sign]
    unreadable = found.isna()  # null or unreadable: not this check's to judge (the frames warn)
    check.fail(rule, value, ~(ok | unreadable), column, values, f"is not {sign} {value!r}")


def _text(check: Verifier, rule: Filter, value: Any, records: Records) -> None:
    values = check.column(rule, records)
    if values is None:
        return
    text = values.astype("string")
    needle = str(value)
    if not rule.case_sensitive:
        text, needle = text.str.casefold(), needle.casefold()
    same = text.str.contains(needle, regex=False) if rule.kind == "contains" else text == needle
    how = "does not contain" if rule.kind == "contains" else "is not"
    case = "" if rule.case_sensitive else " (any case)"
    check.fail(rule, value, ~same.fillna(False), rule.column or "", values, f"{how} {value!r}{case}")


def _search(check: Verifier, rule: Filter, value: Any, records: Records) -> None:
    needle = str(value).casefold()
    shown = {field: found for field in rule.fields if (found := read(records, field)) is not None}
    if not shown:
        check.cannot_show(rule, f"the rows have none of {', '.join(rule.fields)}")
        return
    hit = pd.Series(False, index=range(len(records)))
    for values in shown.values():
        hit |= values.astype("string").str.casefold().str.contains(needle, regex=False).fillna(False).astype(bool)
    names = ", ".join(shown)
    first = next(iter(shown.values()))
    check.fail(rule, value, ~hit, names, first, f"(every one of them) does not contain {value!r} (any case)")


def _any_tag(check: Verifier, rule: Filter, value: Any, records: Records) -> None:
    values = check.column(rule, records)
    if values is None:
        return
    wanted = {t.strip().casefold() for t in str(value).split(",") if t.strip()}
    has = [bool(wanted & {str(t).casefold() for t in (v or ())}) for v in values]
    check.fail(rule, value, ~pd.Series(has, dtype=bool), rule.column or "", values, f"holds none of {value!r}")


def _include(check: Verifier, rule: Filter, value: Any, records: Records) -> None:
    if value != "false":
        return  # a flag that widens the list: its rows cannot contradict it
    values = check.column(rule, records)
    if values is not None:
        check.fail(rule, value, values.astype("string") == rule.value, rule.column or "", values, f"is {rule.value!r}")


def _related(check: Verifier, rule: Filter, value: Any, records: Records) -> None:
    check.cannot_show(rule, f"it is decided by other records ({rule.why})")


def _ordering(check: Verifier, rule: Filter, value: Any, records: Records) -> None:
    key = str(value).removeprefix("-")
    values = check.column(rule, records, key)
    if values is None:
        return
    kind = check.kinds.get(key)
    found: pd.Series
    if kind == "datetime":
        found = timestamps(values)
    elif kind in _NUMBER_KINDS:
        found = pd.to_numeric(values, errors="coerce")
    else:
        found = values.astype("string").str.casefold()
    kept = found.dropna()
    if check.last is not None:
        kept = pd.concat([pd.Series([check.last], dtype=kept.dtype), kept], ignore_index=True)
    if len(kept) < 2:
        check.last = kept.iloc[-1] if len(kept) else check.last
        return
    before, after = kept.to_numpy()[:-1], kept.to_numpy()[1:]
    wrong = after > before if str(value).startswith("-") else after < before
    check.last = kept.iloc[-1]
    if bool(np.any(wrong)):
        index = int(np.argmax(wrong))
        raise IgnoredFilter(
            check.operation_id,
            rule.name,
            value,
            key,
            int(np.sum(wrong)),
            kept.iloc[index + 1],
            test=f"is out of {'descending' if str(value).startswith('-') else 'ascending'} order after "
            f"{kept.iloc[index]!r}, so rows are not sorted by",
        )


Check = Callable[[Verifier, Filter, Any, Records], None]
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
