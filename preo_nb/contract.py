"""The bundled API contract (``data/openapi.yaml``), read once and queried.

The contract is the single source for what the client checks before sending
(enums, required filters), for the DataFrame column tables in ``frames.py``,
for the sandbox's routes and for the conformance checks in the tests. It is
loaded on first use, from a prebuilt JSON form of the YAML (``preo_nb._prebuilt``),
so neither ``import preo_nb`` nor a first list call pays for parsing YAML.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import Any, Literal

from preo_nb import _prebuilt

Kind = Literal["string", "datetime", "float", "int", "bool", "category", "object"]

HTTP_METHODS = ("get", "post", "put", "patch", "delete", "head")


@dataclass(frozen=True)
class Column:
    """One DataFrame column a schema declares: dotted name, kind and enum values."""

    name: str
    kind: Kind
    categories: tuple[str, ...] = ()


@dataclass(frozen=True)
class Operation:
    """One operation of the contract, as the client and the sandbox need it."""

    operation_id: str
    method: str
    path: str
    tag: str
    query: dict[str, dict[str, Any]] = field(default_factory=dict)
    request_schema: dict[str, Any] | None = None
    responses: dict[str, dict[str, Any] | None] = field(default_factory=dict)

    @property
    def is_paginated(self) -> bool:
        """Whether the 200 reply is the DRF page envelope."""
        return "page" in self.query


@functools.cache
def spec() -> dict[str, Any]:
    """Return the parsed contract (cached; from its prebuilt JSON form, see ``preo_nb._prebuilt``)."""
    return _prebuilt.load()


def resolve(schema: dict[str, Any]) -> dict[str, Any]:
    """Follow ``$ref`` links until a concrete schema is reached."""
    while "$ref" in schema:
        node: Any = spec()
        for part in schema["$ref"].removeprefix("#/").split("/"):
            node = node[part]
        schema = node
    resolved: dict[str, Any] = schema
    return resolved


def schema(name: str) -> dict[str, Any]:
    """Return the component schema called ``name``."""
    found: dict[str, Any] = spec()["components"]["schemas"][name]
    return found


def enum(name: str) -> tuple[str, ...]:
    """Return the documented values of the enum component ``name``."""
    return tuple(schema(name)["enum"])


@functools.cache
def operations() -> dict[str, Operation]:
    """Return every operation keyed by operationId, in contract order."""
    found: dict[str, Operation] = {}
    for path, item in spec()["paths"].items():
        shared = item.get("parameters", [])
        for method in HTTP_METHODS:
            if method not in item:
                continue
            op = item[method]
            params = [resolve(p) for p in shared + op.get("parameters", [])]
            query = {p["name"]: p.get("schema", {}) for p in params if p["in"] == "query"}
            body = op.get("requestBody", {}).get("content", {})
            responses = {status: _response_schema(resolve(reply)) for status, reply in op.get("responses", {}).items()}
            found[op["operationId"]] = Operation(
                operation_id=op["operationId"],
                method=method.upper(),
                path=path,
                tag=op["tags"][0],
                query=query,
                request_schema=_first_schema(body),
                responses=responses,
            )
    return found


def _response_schema(reply: dict[str, Any]) -> dict[str, Any] | None:
    return _first_schema(reply.get("content", {}))


def _first_schema(content: dict[str, Any]) -> dict[str, Any] | None:
    for media in ("application/json", "multipart/form-data", "text/csv"):
        if media in content:
            found: dict[str, Any] = content[media].get("schema", {})
            return found
    return None


def properties(node: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Return the merged properties of an object schema (``allOf`` included)."""
    node = resolve(node)
    merged: dict[str, dict[str, Any]] = {}
    for part in node.get("allOf", []):
        merged.update(properties(part))
    merged.update(node.get("properties", {}))
    return merged


def item_schema(operation_id: str) -> dict[str, Any]:
    """Return the schema of one record of a list-shaped 200 reply."""
    reply = operations()[operation_id].responses.get("200") or {}
    reply = resolve(reply)
    if reply.get("type") == "array":
        return resolve(reply.get("items", {}))
    results = properties(reply).get("results")
    if results is None:
        raise KeyError(f"{operation_id} does not return a list")
    return resolve(results.get("items", {}))


def columns(node: dict[str, Any], prefix: str = "") -> list[Column]:
    """Flatten an object schema into the declared DataFrame columns, in order."""
    out: list[Column] = []
    for name, prop in properties(node).items():
        out.extend(_columns_of(prefix + name, prop))
    return out


def _columns_of(name: str, prop: dict[str, Any]) -> list[Column]:
    prop = non_null(prop)
    if prop.get("properties") or prop.get("allOf"):
        return columns(prop, prefix=name + ".")
    return [Column(name, *kind_of(prop))]


def non_null(prop: dict[str, Any]) -> dict[str, Any]:
    """Drop the ``null`` branch of ``anyOf: [X, null]`` and resolve ``X``."""
    prop = resolve(prop)
    branches = [b for b in prop.get("anyOf", []) if resolve(b).get("type") != "null"]
    if len(branches) == 1:
        return resolve(branches[0])
    return prop


def kind_of(prop: dict[str, Any]) -> tuple[Kind, tuple[str, ...]]:
    if "enum" in prop:
        return "category", tuple(str(v) for v in prop["enum"] if v is not None)
    types = prop.get("type", "object")
    kinds = {types} if isinstance(types, str) else set(types) - {"null"}
    if kinds == {"string"}:
        return ("datetime" if prop.get("format") == "date-time" else "string"), ()
    if kinds == {"number"}:
        return "float", ()
    if kinds == {"integer"}:
        return "int", ()
    if kinds == {"boolean"}:
        return "bool", ()
    return "object", ()


@functools.cache
def _path_patterns() -> list[tuple[re.Pattern[str], str, str]]:
    found = []
    for op in operations().values():
        pattern = re.sub(r"\\{\w+\\}", "[^/]+", re.escape(op.path))
        found.append((re.compile(pattern + "$"), op.method, op.operation_id))
    # literal segments first: /v1/segments/cel-context before /v1/segments/{id}
    return sorted(found, key=lambda item: item[0].pattern.count("[^/]+"))


def find_operation(method: str, path: str) -> str | None:
    """Return the operationId that serves ``method path``, or None."""
    for pattern, op_method, operation_id in _path_patterns():
        if op_method == method.upper() and pattern.match(path):
            return operation_id
    return None


PAGING = ("page", "page_size", "limit", "offset", "cursor")
FilterKind = Literal[
    "equal", "lower", "upper", "contains", "exact", "search", "ordering", "any_tag", "include", "related"
]


@dataclass(frozen=True)
class Filter:
    """What one query parameter of a list means: its ``x-filter`` entry in the contract.

    Attributes:
        name: The query parameter.
        kind: ``equal`` (the column equals the value), ``lower``/``upper`` (a bound on a
            timestamp or number column), ``contains``/``exact`` (text on a column),
            ``search`` (text found in one of ``fields``), ``ordering`` (sort keys),
            ``any_tag`` (a list column holding one of comma-separated tags),
            ``include`` (``false`` hides rows whose column is ``value``) or ``related``
            (decided by other records: the rows cannot show it).
        column: The dotted column of the list's records it is about (``None`` for
            ``search``, ``ordering`` and ``related``).
        inclusive: For bounds, whether a row on the bound matches.
        case_sensitive: For text, whether case counts.
        fields: The columns ``search`` looks in; for ``ordering``, the sort keys (each a column).
        value: For ``include``, the column's value the flag is about.
        why: For ``related``, what decides it.
    """

    name: str
    kind: FilterKind
    column: str | None = None
    inclusive: bool = True
    case_sensitive: bool = True
    fields: tuple[str, ...] = ()
    value: str | None = None
    why: str = ""


@functools.cache
def filters(operation_id: str) -> dict[str, Filter]:
    """Return the meaning of each filter of a list operation, from its ``x-filter`` entries.

    Paging parameters are not filters. A query parameter without an entry is left out
    (``tests/test_contract.py`` fails when a list operation has one).
    """
    op = operations()[operation_id]
    found: dict[str, Filter] = {}
    for param in _parameters(op):
        entry = param.get("x-filter")
        if param["in"] != "query" or param["name"] in PAGING or entry is None:
            continue
        found[param["name"]] = Filter(
            name=param["name"],
            kind=entry["kind"],
            column=entry.get("column"),
            inclusive=entry.get("inclusive", True),
            case_sensitive=entry.get("case", "sensitive") == "sensitive",
            fields=tuple(entry.get("fields", entry.get("keys", ()))),
            value=entry.get("value"),
            why=entry.get("why", ""),
        )
    return found


def required_filters(operation_id: str) -> tuple[str, ...]:
    """The filters of which a list needs at least one (its ``x-required-filters``; orders: the scope)."""
    op = operations()[operation_id]
    raw = spec()["paths"][op.path][op.method.lower()]
    return tuple(raw.get("x-required-filters", {}).get("any_of", ()))


def _parameters(op: Operation) -> list[dict[str, Any]]:
    item = spec()["paths"][op.path]
    return [resolve(p) for p in item.get("parameters", []) + item[op.method.lower()].get("parameters", [])]


@dataclass(frozen=True)
class Provenance:
    """Where each part of one operation's contract comes from: ``seed``, ``docs`` or ``inferred``.

    Attributes:
        operation_id: The operation.
        operation: How much of its contract was visible (params, body, response).
        path: Whether its URL is documented (``seed`` for the two Purchases paths only).
        parameters: Query/path parameter name -> source.
        fields: Dotted field of the request body (``body.``) or of the success answer
            (``answer.``) -> source.
    """

    operation_id: str
    operation: str
    path: str
    parameters: dict[str, str]
    fields: dict[str, str]

    def inferred(self) -> list[str]:
        """The parts the contract guessed."""
        parts = [f"parameter {n}" for n, s in self.parameters.items() if s == "inferred"]
        return parts + [f"field {n}" for n, s in self.fields.items() if s == "inferred"]


@functools.cache
def provenance(operation_id: str) -> Provenance:
    """Return where each part of an operation's contract comes from (its ``x-source`` marks)."""
    op = operations()[operation_id]
    raw = spec()["paths"][op.path][op.method.lower()]
    shared = spec()["paths"][op.path].get("parameters", [])
    parameters = {}
    for param in (resolve(p) for p in shared + raw.get("parameters", [])):
        parameters[param["name"]] = param.get("x-source", raw.get("x-source", "inferred"))
    fields: dict[str, str] = {}
    if op.request_schema:
        _sources(op.request_schema, "body.", fields)
    success = next((s for code, s in op.responses.items() if code.startswith("2") and s), None)
    if success:
        _sources(success, "answer.", fields)
    return Provenance(
        operation_id, raw.get("x-source", "inferred"), raw.get("x-path-source", "inferred"), parameters, fields
    )


def _sources(node: dict[str, Any], prefix: str, out: dict[str, str], depth: int = 0) -> None:
    node = non_null(node)
    if node.get("type") == "array":
        _sources(node.get("items", {}), prefix, out, depth)
        return
    for name, prop in properties(node).items():
        out[prefix + name] = prop.get("x-source") or resolve(prop).get("x-source", "inferred")
        if depth < 4:
            _sources(prop, f"{prefix}{name}.", out, depth + 1)


def media_types(operation_id: str) -> tuple[str, ...]:
    """The media types an operation's success answers are declared in (for ``Accept``)."""
    op = operations()[operation_id]
    raw = spec()["paths"][op.path][op.method.lower()].get("responses", {})
    found: list[str] = []
    for code, reply in raw.items():
        if str(code).startswith("2"):
            found += [m for m in resolve(reply).get("content", {}) if m not in found]
    return tuple(found) or ("application/json",)


def provenance_table() -> str:
    """The table of docs/provenance.md: what the contract takes from the docs and what it infers, per group.

    Counts are seed/docs/inferred. Fields are counted per operation (a field that several
    operations send counts once for each), across request bodies and success answers.
    """
    rows: dict[str, list[dict[str, int]]] = {}
    for operation_id, op in operations().items():
        found = provenance(operation_id)
        counts = rows.setdefault(op.tag, [{}, {}, {}, {}])
        marks = (
            [found.operation],
            [found.path],
            [s for n, s in found.parameters.items() if n not in ("id", "page", "page_size")],
            list(found.fields.values()),
        )
        for column, sources in zip(counts, marks, strict=True):
            for source in sources:
                column[source] = column.get(source, 0) + 1
    lines = ["| group | operations | paths | query parameters | fields |", "|---|---|---|---|---|"]
    for tag, counts in rows.items():
        cells = [f"{c.get('seed', 0)}/{c.get('docs', 0)}/{c.get('inferred', 0)}" for c in counts]
        lines.append(f"| {tag} | " + " | ".join(cells) + " |")
    return "\n".join(lines)
