"""List operations: query filters, ordering and DRF page-number pagination.

The rules are README 3 (Pagination, Ordering, Filtering); the accepted filters
and ordering keys are read from each operation in the contract.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar
from urllib.parse import urlencode

from flask import request

from preo_nb import contract
from preo_nb.sandbox.core.access import READ, Caller
from preo_nb.sandbox.core.errors import invalid, not_found
from preo_nb.sandbox.core.values import parse_datetime
from preo_nb.sandbox.web import views

T = TypeVar("T")
DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000
DEFAULT_ORDERING = "-created"


def filters(operation_id: str) -> dict[str, Any]:
    """Return the documented filters present in the query, parsed by their schema.

    An empty text filter counts as absent (as in DRF); an empty value for a
    typed parameter (enum, boolean, date-time) is invalid. Unknown parameters
    are ignored.

    Raises:
        ApiError: 400 naming each parameter whose value is invalid.
    """
    operation = contract.operations()[operation_id]
    meant = contract.filters(operation_id)  # the contract's filter table says what is a filter
    values: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for name, schema in operation.query.items():
        raw = request.args.get(name)
        typed = _is_typed(contract.resolve(schema))
        ordering = name in meant and meant[name].kind == "ordering"
        if name in contract.PAGING or ordering or raw is None or (raw == "" and not typed):
            continue
        try:
            values[name] = _parse(raw, contract.resolve(schema))
        except ValueError as exc:
            errors[name] = [str(exc)]
    if errors:
        raise invalid(errors)
    return values


def _is_typed(schema: dict[str, Any]) -> bool:
    return "enum" in schema or schema.get("type") != "string" or "format" in schema


def _parse(raw: str, schema: dict[str, Any]) -> Any:
    if "enum" in schema and raw not in schema["enum"]:
        raise ValueError(f"Select a valid choice. {raw} is not one of the available choices.")
    if schema.get("type") == "boolean":
        return _boolean(raw)
    if schema.get("format") == "date-time":
        try:
            return parse_datetime(raw)
        except ValueError:
            raise ValueError("Enter a valid date/time.") from None
    return raw


def _boolean(raw: str) -> bool:
    lowered = raw.lower()
    if lowered in ("true", "1"):
        return True
    if lowered in ("false", "0"):
        return False
    raise ValueError("Must be a valid boolean.")


def contains(haystack: str | None, needle: str) -> bool:
    """Case-insensitive substring match, the rule for text filters."""
    return needle.casefold() in (haystack or "").casefold()


Columns = Mapping[str, Callable[[T], Any]]


def matcher(operation_id: str, values: dict[str, Any], columns: Columns[T]) -> Callable[[T], bool]:
    """One test for every filter in ``values``, each built from its meaning in the contract's filter table.

    ``columns`` maps the table's columns (``created``, ``customer.email``) to how a record shows
    them; filters the table calls ``related``, ``include`` or ``ordering`` are the view's to apply.
    """
    meant = contract.filters(operation_id)
    tests = [
        _test(meant[name], value, columns)
        for name, value in values.items()
        if meant[name].kind not in ("related", "include", "ordering")
    ]
    return lambda record: all(test(record) for test in tests)


def _test(rule: contract.Filter, value: Any, columns: Columns[T]) -> Callable[[T], bool]:
    if rule.kind == "search":
        shown = [columns[field] for field in rule.fields]
        return lambda record: any(contains(get(record), value) for get in shown)
    get = columns[rule.column or ""]
    if rule.kind in ("lower", "upper"):
        after = rule.kind == "lower"
        if rule.inclusive:
            return (lambda r: get(r) >= value) if after else (lambda r: get(r) <= value)
        return (lambda r: get(r) > value) if after else (lambda r: get(r) < value)
    if rule.kind == "contains" and not rule.case_sensitive:
        return lambda record: contains(get(record), value)
    if rule.kind == "contains":
        return lambda record: value in (get(record) or "")
    if rule.kind == "any_tag":
        wanted = {t.strip().casefold() for t in value.split(",") if t.strip()}
        return lambda record: not wanted or bool(wanted & {t.casefold() for t in get(record)})
    return lambda record: get(record) == value  # equal, exact


def select(records: Iterable[T], values: dict[str, Any], orgs: set[str], equal: Sequence[str]) -> list[T]:
    """Records of ``orgs`` whose ``equal`` fields match the filters given, and whose
    ``name`` contains ``search`` (when given)."""
    search = values.get("search")
    return [
        record
        for record in records
        if getattr(record, "organization_id") in orgs  # noqa: B009 - every listed record kind has one
        and all(getattr(record, key) == values[key] for key in equal if key in values)
        and (search is None or contains(getattr(record, "name"), search))  # noqa: B009
    ]


def scoped_orgs(caller: Caller, values: dict[str, Any]) -> set[str]:
    """Return the organizations a list covers: caller's (staff+), narrowed by ``organization_id``."""
    orgs = caller.orgs(READ)
    if "organization_id" in values:
        orgs &= {values["organization_id"]}
    return orgs


def ordered(
    operation_id: str,
    records: Sequence[T],
    keys: Mapping[str, Callable[[T], Any]],
    *,
    default: str = DEFAULT_ORDERING,
) -> list[T]:
    """Sort records by the requested ``ordering`` (else ``default``), ties by id.

    ``keys`` maps each ordering name to a getter. Operations that document no
    ordering parameter always use the default (files: ``-created_at``, README 3).
    Missing values sort last ascending and first descending, as in PostgreSQL.

    Raises:
        ApiError: 400 on ``ordering`` when it is not a documented value.
    """
    ordering = _ordering(operation_id, default)
    getter = keys[ordering.lstrip("-")]

    def sort_key(record: T) -> tuple[bool, Any, str]:
        value = getter(record)
        if isinstance(value, str):
            value = value.casefold()
        return (value is None, 0 if value is None else value, getattr(record, "id", ""))

    return sorted(records, key=sort_key, reverse=ordering.startswith("-"))


def _ordering(operation_id: str, default: str) -> str:
    query = contract.operations()[operation_id].query
    allowed = contract.resolve(query.get("ordering", {})).get("enum")
    raw = request.args.get("ordering", default)
    if allowed is None:
        return default
    if raw not in allowed:
        message = f"Select a valid choice. {raw} is not one of the available choices."
        raise invalid({"ordering": [message]})
    return raw


def remembered(operation_id: str, caller: Caller, compute: Callable[[], list[T]]) -> list[T]:
    """Return ``compute()`` (the filtered, ordered records), once per query and caller.

    The store keeps the result until anything may have changed, so reading a
    100k-record list page by page costs one filter and sort, not one per page.
    """
    query = tuple(sorted((k, v) for k, v in request.args.items(multi=True) if k not in ("page", "page_size")))
    key = (operation_id, caller.member.id, query)
    found: list[T] = views.store().remember(key, compute)
    return found


def paginate(records: Sequence[T], render: Callable[[T], dict[str, Any]]) -> dict[str, Any]:
    """Return one page as ``{count, next, previous, results}`` (only that page is rendered).

    Raises:
        ApiError: 400 on ``page``/``page_size`` when not integers >= 1; 404
            ``Invalid page.`` past the last page.
    """
    errors: dict[str, list[str]] = {}
    page = _positive_int("page", 1, errors)
    size = min(_positive_int("page_size", DEFAULT_PAGE_SIZE, errors), MAX_PAGE_SIZE)
    if errors:
        raise invalid(errors)
    last = max(1, math.ceil(len(records) / size))
    if page > last:
        raise not_found("Invalid page.")
    start = (page - 1) * size
    return {
        "count": len(records),
        "next": _page_url(page + 1) if page < last else None,
        "previous": _page_url(page - 1) if page > 1 else None,
        "results": [render(record) for record in records[start : start + size]],
    }


def _positive_int(name: str, default: int, errors: dict[str, list[str]]) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        errors[name] = ["A valid integer is required."]
        return default
    if value < 1:
        errors[name] = ["Ensure this value is greater than or equal to 1."]
    return value


def _page_url(page: int) -> str:
    """Absolute URL of another page, keeping the other query parameters (DRF drops page=1)."""
    params = [(k, v) for k, v in request.args.items(multi=True) if k != "page"]
    if page > 1:
        params.append(("page", str(page)))
    query = urlencode(params)
    return request.base_url + (f"?{query}" if query else "")
