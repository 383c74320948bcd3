"""Probes of what the answers hold: ids, money, enums, datetimes, booleans, fields, whole bodies."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime
from typing import Any

from preo_nb import _values, contract
from preo_nb.probe.report import Probe

MOST_PER_ANSWER = 20
"""Schema problems named per answer: a drifted page repeats the same few thousands of times."""

KINDS = {  # plan kind -> (assumption, what a good value is)
    "money": ("types.money", "JSON numbers"),
    "id": ("types.ids", "strings"),
    "category": ("types.enums", "documented values"),
    "datetime": ("types.datetimes", "ISO 8601 datetimes"),
    "bool": ("types.booleans", "true/false"),
    "int": ("types.integers", "whole numbers"),
}


class Tally:
    """Values checked and broken per assumption, with the sources of the fields checked."""

    def __init__(self) -> None:
        self.checked: Counter[str] = Counter()
        self.sources: dict[str, Counter[str]] = defaultdict(Counter)
        self.broken: dict[str, list[str]] = defaultdict(list)
        self.absent: dict[str, set[str]] = defaultdict(set)
        self.unknown: dict[str, set[str]] = defaultdict(set)


def run(probe: Probe) -> None:
    """Check every JSON answer seen: declared types, fields present and unknown, the whole schema."""
    tally = Tally()
    bodies: dict[str, list[str]] = {}
    capped: dict[str, bool] = defaultdict(bool)
    for operation_id, reply in probe.seen:
        if reply.status >= 300 or reply.media_type != "application/json" or not reply.content:
            continue
        try:
            body = reply.json()
        except ValueError:
            bodies.setdefault(operation_id, []).append(f"{reply.status} body is not JSON")
            continue
        _fields(operation_id, body, tally)
        found = _schema(operation_id, reply)
        bodies.setdefault(operation_id, []).extend(found)
        capped[operation_id] |= len(found) == MOST_PER_ANSWER
    for kind, (name, good) in KINDS.items():
        _report_kind(probe, tally, kind, name, good)
    _report_fields(probe, tally)
    for operation_id, problems in bodies.items():
        source = contract.provenance(operation_id).operation
        if problems:
            count = f"{len(problems)}+" if capped[operation_id] else str(len(problems))
            probe.add(f"bodies.{operation_id}", "FAIL", source, f"{count} problem(s), e.g. {problems[0]}")
        else:
            probe.add(f"bodies.{operation_id}", "PASS", source, "every answer matches the contract's schema")


def _fields(operation_id: str, body: Any, tally: Tally) -> None:
    listed = _is_list(operation_id, body)
    records = body if isinstance(body, list) else body.get("results", []) if listed else [body]
    plan = _values.plan(operation_id, listed)
    declared = set(contract.properties(contract.item_schema(operation_id) if listed else _answer(operation_id)))
    prefix = "answer.results." if listed and isinstance(body, dict) else "answer."
    sources = contract.provenance(operation_id).fields
    records = [r for r in records if isinstance(r, dict)]
    for record in records:
        _walk(plan, record, "", tally, operation_id, lambda field: sources.get(prefix + field, "inferred"))
    if records and declared:
        for name in declared - set().union(*(r.keys() for r in records)):
            tally.absent[operation_id].add(name)
        for name in set().union(*(r.keys() for r in records)) - declared:
            tally.unknown[operation_id].add(name)


def _answer(operation_id: str) -> dict[str, Any]:
    op = contract.operations()[operation_id]
    return next((s for code, s in op.responses.items() if code.startswith("2") and s), {})


def _is_list(operation_id: str, body: Any) -> bool:
    """Whether ``body`` is a list answer of an operation that answers lists (a server may send one anywhere)."""
    if not (isinstance(body, list) or (isinstance(body, dict) and isinstance(body.get("results"), list))):
        return False
    try:
        contract.item_schema(operation_id)
    except KeyError:
        return False
    return True


def _walk(plan: Any, value: Any, where: str, tally: Tally, operation_id: str, source_of: Any) -> None:
    if value is None or plan is None:
        return
    if isinstance(plan, dict):
        if isinstance(value, dict):
            for key, sub in plan.items():
                _walk(sub, value.get(key), f"{where}{key}.", tally, operation_id, source_of)
        return
    if isinstance(plan, tuple):
        for item in value if isinstance(value, list) else []:
            _walk(plan[1], item, where, tally, operation_id, source_of)
        return
    field = where.rstrip(".")
    kind = _kind(plan, field)
    if kind is None:
        return
    tally.checked[kind] += 1
    tally.sources[kind][source_of(field)] += 1
    if not _good(kind, value, operation_id, field):
        tally.broken[kind].append(f"{operation_id} {field} = {value!r}")


def _kind(plan: str, field: str) -> str | None:
    last = field.rsplit(".", 1)[-1]
    if plan == "float":
        return "money"
    if plan == "string" and (last in ("id", "api_id") or last.endswith("_id")):
        return "id"
    return plan if plan in KINDS else None


def _good(kind: str, value: Any, operation_id: str, field: str) -> bool:
    if kind == "money":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind == "id":
        return isinstance(value, str)
    if kind == "bool":
        return isinstance(value, bool)
    if kind == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "datetime":
        try:
            datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            return False
        return "T" in str(value)
    return str(value) in _categories(operation_id, field)


def _categories(operation_id: str, field: str) -> set[str]:
    """The documented values of the enum at ``field`` of an answer (or of one list record)."""
    for listed in (True, False):
        try:
            node = contract.item_schema(operation_id) if listed else _answer(operation_id)
        except KeyError:
            continue
        for key in field.split("."):
            node = contract.non_null(node)
            while node.get("type") == "array":
                node = contract.non_null(node.get("items", {}))
            node = contract.properties(node).get(key, {})
        node = contract.non_null(node)
        while node.get("type") == "array":
            node = contract.non_null(node.get("items", {}))
        if "enum" in node:
            return {str(v) for v in node["enum"]}
    return set()


def _report_kind(probe: Probe, tally: Tally, kind: str, name: str, good: str) -> None:
    sources = tally.sources[kind]
    broken = tally.broken[kind]
    source = sources.most_common(1)[0][0] if sources else "inferred"
    if not tally.checked[kind]:
        probe.add(name, "UNKNOWN", source, "no such value seen")
    elif broken:
        probe.add(
            name,
            "FAIL",
            source,
            f"{len(broken)} of {tally.checked[kind]} values are not {good}, e.g. " + "; ".join(broken[:2]),
        )
    else:
        probe.add(name, "PASS", source, f"{tally.checked[kind]} values, all {good}")


def _report_fields(probe: Probe, tally: Tally) -> None:
    absent = [f"{op}: {', '.join(sorted(names))}" for op, names in sorted(tally.absent.items()) if names]
    unknown = [f"{op}: {', '.join(sorted(names))}" for op, names in sorted(tally.unknown.items()) if names]
    if absent:
        probe.add("fields.present", "FAIL", "docs", "declared fields no record held: " + "; ".join(absent[:3]))
    else:
        probe.add("fields.present", "PASS", "docs", "every declared top-level field was sent")
    if unknown:
        probe.add(
            "fields.unknown",
            "FAIL",
            "docs",
            "fields the contract does not know (kept by preo_nb): " + "; ".join(unknown[:3]),
        )
    else:
        probe.add("fields.unknown", "PASS", "docs", "no field outside the contract")


def _schema(operation_id: str, reply: Any) -> list[str]:
    """What the contract's JSON schema says of one answer (``preo_nb.conformance``)."""
    from preo_nb.conformance import check_response

    content_type = reply.headers.get("content-type")
    found: list[str] = check_response(operation_id, reply.status, content_type, reply.content, most=MOST_PER_ANSWER)
    return found
