"""What every group module needs from the web layer.

Request-scoped accessors (the store, the caller), the ``Group`` registry that
turns view functions named after operationIds into routes taken from the
contract, and request-body reading with contract validation and DRF-style
400 bodies.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar, cast

from flask import Flask, current_app, g, request
from jsonschema import ValidationError

from preo_nb import contract
from preo_nb.sandbox import schemas
from preo_nb.sandbox.access import Caller
from preo_nb.sandbox.errors import invalid, not_found, unauthorized
from preo_nb.sandbox.faults import Faults
from preo_nb.sandbox.store import Store

EXTENSION = "preo_sandbox"
T = TypeVar("T")
View = Callable[..., Any]


@dataclass
class Services:
    """What the app serves: the state and the fault switch."""

    store: Store
    faults: Faults


def services() -> Services:
    """Return the services of the current app."""
    found: Services = current_app.extensions[EXTENSION]
    return found


def store() -> Store:
    """Return the store of the current app."""
    return services().store


def caller() -> Caller:
    """Return the authenticated caller of the current request."""
    found: Caller = g.caller
    return found


class Group:
    """The views of one API group.

    A view function's name is its operationId: ``register`` looks up the
    path and method in the contract and uses the operationId as the Flask
    endpoint name, so routes cannot drift from the contract.
    """

    def __init__(self, tag: str) -> None:
        self.tag = tag
        self.views: dict[str, View] = {}

    def view(self, func: View) -> View:
        """Register ``func`` as the view of the operation it is named after."""
        operation = contract.operations()[func.__name__]
        if operation.tag != self.tag:
            raise ValueError(
                f"{func.__name__} belongs to {operation.tag}, not {self.tag}"
            )
        self.views[func.__name__] = func
        return func

    def register(self, app: Flask) -> None:
        """Add a URL rule per view; each view runs holding the store lock."""
        for operation_id, func in self.views.items():
            operation = contract.operations()[operation_id]
            path = re.sub(r"\{(\w+)\}", r"<\1>", operation.path)
            app.add_url_rule(
                path,
                endpoint=operation_id,
                view_func=_locked(func, changes=operation_id not in PURE_READS),
                methods=[operation.method],
                # The contract declares no OPTIONS; Flask's automatic one
                # would answer outside it, so OPTIONS gets the 405 reply.
                provide_automatic_options=False,
            )


PURE_READS = frozenset({"orders_list", "orders_retrieve", "purchases_retrieve"})
"""Operations that never change state, so list results remembered by the store stay valid.

Every other one (even a GET: retrieving a job moves it on) makes the store forget them.
"""


def _locked(func: View, *, changes: bool) -> View:
    @functools.wraps(func)
    def view(**kwargs: Any) -> Any:
        # Path values are passed positionally, in path order, so views name
        # them freely (edition_id rather than the contract's generic id).
        with store().lock:
            if changes:
                store().touch()
            return func(*kwargs.values())

    return view


def read_body(operation_id: str) -> dict[str, Any]:
    """Return the JSON object sent, validated against the operation's request schema.

    An absent body counts as ``{}``; unknown fields are kept but ignored by views.

    Raises:
        ApiError: 400 for invalid JSON, a non-object, or schema violations.
    """
    data = _parse_json(request.get_data(cache=True))
    where = schemas.request_pointer(operation_id)
    if where is not None:
        found = schemas.validator(where, lenient_datetimes=True).iter_errors(data)
        errors = field_errors(found)
        if errors:
            raise invalid(errors)
    return data


def _parse_json(raw: bytes) -> dict[str, Any]:
    if not raw.strip():
        return {}
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise invalid({"non_field_errors": [f"JSON parse error - {exc}"]}) from None
    if not isinstance(data, dict):
        kind = type(data).__name__
        raise invalid(
            {
                "non_field_errors": [
                    f"Invalid data. Expected a dictionary, but got {kind}."
                ]
            }
        )
    return data


def field_errors(errors: Iterable[ValidationError]) -> dict[str, list[str]]:
    """Turn jsonschema errors into a DRF field map (first path segment = field)."""
    found: dict[str, list[str]] = {}

    def add(field: str, message: str) -> None:
        # jsonschema versions differ in reporting missing properties one by one
        # or together, so one message per field is kept.
        if message not in found.setdefault(field, []):
            found[field].append(message)

    for error in errors:
        path = [str(p) for p in error.absolute_path]
        expected: Any = error.validator_value
        if error.validator == "required":
            for name in expected:
                if name not in cast(Any, error.instance):
                    add(path[0] if path else name, "This field is required.")
        else:
            add(path[0] if path else "non_field_errors", _message(error))
    return found


def _message(error: ValidationError) -> str:
    kind = error.validator
    if kind == "type" and error.instance is None:
        return "This field may not be null."
    if kind == "type":
        return _TYPE_MESSAGES.get(
            _first_type(cast(Any, error.validator_value)), str(error.message)
        )
    if kind == "enum":
        return f'"{error.instance}" is not a valid choice.'
    if kind == "pattern" and error.validator_value == SLUG_PATTERN:
        return 'Enter a valid "slug" consisting of letters, numbers, underscores or hyphens.'
    if kind == "format" and error.validator_value == "date-time":
        return "Datetime has wrong format. Use one of these formats instead: YYYY-MM-DDThh:mm[:ss]."
    return str(error.message)


def _first_type(value: str | list[str]) -> str:
    types = [value] if isinstance(value, str) else [t for t in value if t != "null"]
    return types[0] if types else "null"


SLUG_PATTERN = "^[-a-zA-Z0-9_]+$"
_TYPE_MESSAGES = {
    "string": "Not a valid string.",
    "number": "A valid number is required.",
    "integer": "A valid integer is required.",
    "boolean": "Must be a valid boolean.",
    "array": "Expected a list of items.",
    "object": "Expected a dictionary of items.",
}


def parse_datetime(value: str | None) -> datetime | None:
    """Parse an ISO 8601 datetime; naive input counts as UTC (README 3, Datetimes).

    Raises:
        ValueError: When ``value`` is not ISO 8601.
    """
    if value is None:
        return None
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC).replace(microsecond=0)


def get_or_404(table: dict[str, T], object_id: str) -> T:
    """Return ``table[object_id]`` or raise the 404 reply."""
    found = table.get(object_id)
    if found is None:
        raise not_found()
    return found


def authenticate(sandbox: Store) -> Caller:
    """Return the caller named by the request's bearer token.

    Raises:
        ApiError: 401 with a Bearer challenge when the token is missing or unknown.
    """
    header = request.headers.get("Authorization", "")
    if not header:
        raise unauthorized("Authentication credentials were not provided.")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise unauthorized("Invalid token header. No credentials provided.")
    member = sandbox.staff_for_token(token.strip())
    if member is None:
        raise unauthorized("Invalid token.")
    return Caller(member)
