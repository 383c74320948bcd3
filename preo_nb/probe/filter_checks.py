"""Probes of filters: one finding per filter of every list, from the contract's filter table.

For each filter a value is chosen from rows read without it, so that it keeps some rows and
drops others (the rarest value of an equality column, the median timestamp for a bound, one
row's text for a text filter, a key whose column varies for ``ordering``). The filtered
answer is judged on ``count`` and on the rows returned, checked as the client checks them
(``preo_nb._verify``): never on page lengths, and never ``PASS`` on an empty answer.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from preo_nb import _columns, _verify, contract
from preo_nb.config import MAX_PAGE_SIZE
from preo_nb.contract import Filter
from preo_nb.errors import ContractDriftWarning, IgnoredFilter
from preo_nb.probe.report import Probe

PAGE = 100
Rows = list[dict[str, Any]]
Verdict = tuple[str, str]  # result, detail


@dataclass
class Sample:
    """One list as read without the filter: where, with which scope, its rows and its count."""

    operation_id: str
    path: str
    base: dict[str, Any]
    rows: Rows
    count: int | None
    more: Rows | None = None  # a larger, differently ordered read, once one was needed


def _more(probe: Probe, sample: Sample) -> Rows:
    """Up to the contract's largest page of the list, oldest first where it can be ordered."""
    if sample.more is None:
        ordering = contract.filters(sample.operation_id).get("ordering")
        query = {**sample.base, "page_size": MAX_PAGE_SIZE}
        if ordering and ordering.fields:
            query["ordering"] = ordering.fields[0]
        sample.more = _rows(probe.json(sample.operation_id, sample.path, query)) + sample.rows
    return sample.more


def check(probe: Probe, sample: Sample) -> None:
    """Add one finding per filter of ``sample``'s list."""
    for rule in contract.filters(sample.operation_id).values():
        result, detail = _judge(probe, sample, rule)
        source = contract.provenance(sample.operation_id).parameters.get(rule.name, "inferred")
        probe.add(f"filters.{sample.operation_id}.{rule.name}", result, source, detail, fix=_fix(result, rule))


def _fix(result: str, rule: Filter) -> str:
    if result != "FAIL":
        return ""
    return (
        f"do not rely on {rule.name}: preo_nb refuses such lists (IgnoredFilter); call without it and filter "
        "the DataFrame yourself, or ask the API's owners to support it"
    )


def _judge(probe: Probe, sample: Sample, rule: Filter) -> Verdict:
    if rule.kind in SPECIAL:
        return SPECIAL[rule.kind](probe, sample, rule)
    if rule.name in sample.base:  # the list's own scope: judge it within a wider one
        sample = _wider(probe, sample)
    if not sample.rows:
        return "UNKNOWN", "the list is empty here, so no value can show the filter"
    value = CHOOSERS[rule.kind](rule, sample.rows)
    if not isinstance(value, str) and (sample.count or 0) > len(sample.rows):
        value = CHOOSERS[rule.kind](rule, _more(probe, sample))  # the first page was too alike
    if not isinstance(value, str) and rule.name in SCOPES:
        return _across_scopes(probe, sample, rule) or ("UNKNOWN", value[0])
    if not isinstance(value, str):
        return "UNKNOWN", value[0]
    return _filtered(probe, sample, rule, value)


SCOPES = {"edition_id": "id", "organization_id": "organization_id"}
"""Scope filters whose values the editions list shows: filter -> the edition's field holding one."""


def _across_scopes(probe: Probe, sample: Sample, rule: Filter) -> Verdict | None:
    """A scope filter the rows read cannot vary: two values from the editions list, each alone."""
    editions = _rows(probe.json("editions_list", params={"page_size": 20}))
    values = list(dict.fromkeys(str(e.get(SCOPES[rule.name])) for e in editions if e.get(SCOPES[rule.name])))
    answered: list[tuple[str, int | None]] = []
    for value in values[:10]:
        body = probe.json(sample.operation_id, sample.path, {rule.name: value, "page_size": PAGE})
        rows = _rows(body)
        if not rows:
            continue
        verdict = _rows_match(sample.operation_id, rule, value, rows)
        if verdict:
            return verdict
        answered.append((value, _count(body) if _count(body) is not None else len(rows)))
        if len(answered) == 2:
            shown = "; ".join(f"{rule.name}={v}: count {c}" for v, c in answered)
            return "PASS", f"{shown}; every row returned matches its value"
    return None


def _filtered(probe: Probe, sample: Sample, rule: Filter, value: str) -> Verdict:
    """GET the list with ``rule.name=value`` and judge it on its rows and its count."""
    body = probe.json(sample.operation_id, sample.path, {**sample.base, rule.name: value, "page_size": PAGE})
    if not isinstance(body, dict | list):
        return "FAIL", f"{rule.name}={value} was not answered with a list"
    rows, count = _rows(body), _count(body)
    verdict = _rows_match(sample.operation_id, rule, value, rows)
    if verdict:
        return verdict
    if not rows:
        return "FAIL", f"{rule.name}={value} returned no rows, though it was chosen from a row read without it"
    total = sample.count
    if count is not None and total is not None and count >= total:
        return "FAIL", f"{rule.name}={value} is ignored: its count is {count}, as without it ({total})"
    if count is not None and total is not None:
        return "PASS", f"{rule.name}={value}: count {count} of {total}, every row returned matches"
    return "PASS", f"{rule.name}={value}: all {len(rows)} rows returned match (no count to compare)"


def _rows_match(operation_id: str, rule: Filter, value: str, rows: Rows) -> Verdict | None:
    """FAIL when a row contradicts the filter, UNKNOWN when the rows cannot show it, else None."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            _verify.Verifier(operation_id, {rule.name: value}).page(rows)
        except IgnoredFilter as exc:
            wrong = f"are out of order by {exc.column}" if rule.kind == "ordering" else f"have another {exc.column}"
            return "FAIL", f"{rule.name}={value} is ignored: {exc.rows} of {len(rows)} rows {wrong}"
    if any(issubclass(w.category, ContractDriftWarning) for w in caught):
        return "UNKNOWN", f"the rows have no {rule.column or ', '.join(rule.fields)} to check {rule.name} on"
    return None


def _wider(probe: Probe, sample: Sample) -> Sample:
    """The same list scoped by the first row's organization instead (to judge the scope filter itself)."""
    org = _columns.read(sample.rows[:1], "organization_id") if sample.rows else None
    base = {"organization_id": org.iloc[0]} if org is not None else {}
    body = probe.json(sample.operation_id, sample.path, {**base, "page_size": PAGE})
    return Sample(sample.operation_id, sample.path, base, _rows(body), _count(body))


def _values(rule: Filter, rows: Rows, column: str | None = None) -> list[str]:
    found = _columns.read(rows, column or rule.column or "")
    if found is None:
        return []
    return [str(v).lower() if isinstance(v, bool) else str(v) for v in found if v is not None and v != ""]


def _rarest(rule: Filter, rows: Rows, column: str | None = None) -> str | tuple[str]:
    values = _values(rule, rows, column)
    name = column or rule.column
    if len(set(values)) < 2:
        return (f"every row read has the same {name} ({values[0] if values else 'none'}), so no value drops a row",)
    counts = pd.Series(values).value_counts(sort=False)
    return str(counts.idxmin())


def _median(rule: Filter, rows: Rows) -> str | tuple[str]:
    found = _columns.read(rows, rule.column or "")
    stamps = _columns.timestamps(found).dropna() if found is not None else pd.Series(dtype=object)
    if stamps.nunique() < 2:
        return (f"fewer than two distinct {rule.column} values among the rows read",)
    middle = stamps.sort_values().iloc[len(stamps) // 2]
    return str(middle.strftime("%Y-%m-%dT%H:%M:%SZ"))


def _text(rule: Filter, rows: Rows) -> str | tuple[str]:
    value = _rarest(rule, rows)
    if isinstance(value, str) and not rule.case_sensitive:
        return value.upper() if value.upper() != value else value.lower()  # the case rule is probed too
    return value


def _search(rule: Filter, rows: Rows) -> str | tuple[str]:
    for field in rule.fields:
        value = _rarest(rule, rows, field)
        if isinstance(value, str):
            return value
    return (f"no field of {', '.join(rule.fields)} varies among the rows read",)


def _tag(rule: Filter, rows: Rows) -> str | tuple[str]:
    found = _columns.read(rows, rule.column or "")
    tags = pd.Series([t for v in (found if found is not None else []) for t in set(v or ())], dtype=object)
    counts = tags.value_counts()
    partial = counts[counts < len(rows)]
    return str(partial.index[-1]) if len(partial) else ("no tag is on some rows and not on others",)


Chooser = Callable[[Filter, Rows], "str | tuple[str]"]
CHOOSERS: dict[str, Chooser] = {
    "equal": _rarest,
    "exact": _rarest,
    "lower": _median,
    "upper": _median,
    "contains": _text,
    "search": _search,
    "any_tag": _tag,
}


def _ordering(probe: Probe, sample: Sample, rule: Filter) -> Verdict:
    for key in rule.fields:
        if len(set(_values(rule, sample.rows, key))) < 2:
            continue
        for value in (key, f"-{key}"):
            body = probe.json(sample.operation_id, sample.path, {**sample.base, rule.name: value, "page_size": PAGE})
            verdict = _rows_match(sample.operation_id, rule, value, _rows(body))
            if verdict:
                return verdict
        return "PASS", f"ordering={key} and -{key}: rows sorted both ways"
    return "UNKNOWN", "no sort key's column varies among the rows read"


def _include(probe: Probe, sample: Sample, rule: Filter) -> Verdict:
    answers = {}
    for flag in ("true", "false"):
        body = probe.json(sample.operation_id, sample.path, {**sample.base, rule.name: flag, "page_size": PAGE})
        answers[flag] = (_rows(body), _count(body))
    verdict = _rows_match(sample.operation_id, rule, "false", answers["false"][0])
    if verdict:
        return verdict
    shown = [r for r in answers["true"][0] if str(r.get(rule.column or "")) == rule.value]
    if shown:
        return "PASS", f"{rule.name}=true lists {rule.column}={rule.value} rows, false hides them"
    return "UNKNOWN", f"no row with {rule.column}={rule.value} here, so the flag changes nothing visible"


def _related(probe: Probe, sample: Sample, rule: Filter) -> Verdict:
    """A filter decided by other records: judged on ``count`` alone, with an edition that has orders."""
    editions = _rows(probe.json("editions_list", params={"page_size": 20}))
    counts = []
    for edition in editions[:5]:
        body = probe.json(sample.operation_id, sample.path, {rule.name: edition.get("id"), "page_size": 1})
        counts.append((edition.get("id"), _count(body)))
        found = counts[-1][1]
        if found and sample.count and found < sample.count:
            return "PASS", f"{rule.name}={edition.get('id')}: count {found} of {sample.count} ({rule.why})"
    if any(c == sample.count for _, c in counts if c):
        return "FAIL", f"{rule.name} is ignored: every edition tried gives the count without it ({sample.count})"
    return "UNKNOWN", f"no edition tried narrows the list ({rule.why})"


Special = Callable[[Probe, Sample, Filter], Verdict]
SPECIAL: dict[str, Special] = {"ordering": _ordering, "include": _include, "related": _related}


def _rows(body: Any) -> Rows:
    if isinstance(body, list):
        return [r for r in body if isinstance(r, dict)]
    if isinstance(body, dict) and isinstance(body.get("results"), list):
        return [r for r in body["results"] if isinstance(r, dict)]
    return []


def _count(body: Any) -> int | None:
    count = body.get("count") if isinstance(body, dict) else None
    return count if isinstance(count, int) and not isinstance(count, bool) else None
