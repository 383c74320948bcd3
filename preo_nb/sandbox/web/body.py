"""Reading request bodies: JSON, validated against the operation's request schema.

Errors come back as DRF-style 400 bodies: a field map (``{"name": ["This field
is required."]}``) or ``non_field_errors`` for a body that is not a JSON object.

Every number of every body is checked here, before any rule sees it: Python's
JSON reads ``NaN``, ``Infinity`` and ``1e400`` (infinite) as floats that the
contract's ``number`` accepts but no amount can be, and exact money (a
``Decimal`` to the cent) cannot hold numbers beyond ``MAX_NUMBER``. Bodies
nesting deeper than ``MAX_DEPTH`` are refused whole.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any, cast

from flask import request

from preo_nb.conformance import request_validator
from preo_nb.sandbox.core.errors import ApiError, invalid

if TYPE_CHECKING:
    from jsonschema import ValidationError

MAX_DEPTH = 64
"""Deepest nesting of a body, in levels; the contract's bodies nest a few (an email preview's context)."""
MAX_NUMBER = 10**12
"""Largest number either way a body may hold: beyond any amount, count or position in the API."""


def read_body(operation_id: str) -> dict[str, Any]:
    """Return the JSON object sent, validated against the operation's request schema.

    An absent body counts as ``{}``; unknown fields are kept but ignored by views.

    Raises:
        ApiError: 400 for invalid or too deeply nested JSON, a non-object, a
            number out of range, or schema violations.
    """
    data = _parse_json(request.get_data(cache=True))
    errors = number_errors(data)
    schema = request_validator(operation_id)
    if schema is not None:
        for field, messages in field_errors(schema.iter_errors(data)).items():
            errors[field] = errors.get(field, []) + messages
    if errors:
        raise invalid(errors)
    return data


def number_errors(data: dict[str, Any]) -> dict[str, list[str]]:
    """Field errors for numbers that are not finite or beyond ``MAX_NUMBER`` (nested ones named by path)."""
    found: dict[str, list[str]] = {}
    for path, number in _numbers(data):
        if isinstance(number, float) and not math.isfinite(number):
            message = "A valid number is required."
        elif number > MAX_NUMBER:
            message = f"Ensure this value is less than or equal to {MAX_NUMBER}."
        elif number < -MAX_NUMBER:
            message = f"Ensure this value is greater than or equal to {-MAX_NUMBER}."
        else:
            continue
        field = str(path[0])
        found.setdefault(field, []).append(message if len(path) == 1 else f"{_dotted(path)}: {message}")
    return found


def _numbers(data: Any) -> Iterator[tuple[tuple[str | int, ...], float]]:
    """Every number in a body with its path, in document order; 400 past ``MAX_DEPTH`` levels."""
    stack: list[tuple[tuple[str | int, ...], Any]] = [((), data)]
    while stack:  # a loop, not recursion: the depth is what is being checked
        path, node = stack.pop()
        if len(path) > MAX_DEPTH:
            raise _too_deep()
        if isinstance(node, dict):
            stack.extend(reversed([((*path, key), value) for key, value in node.items()]))
        elif isinstance(node, list):
            stack.extend(reversed([((*path, index), value) for index, value in enumerate(node)]))
        elif isinstance(node, int | float) and not isinstance(node, bool):
            yield path, node


def _dotted(path: tuple[str | int, ...]) -> str:
    """``("orders", 0, "unit_price")`` -> ``orders[0].unit_price``."""
    return "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in path).lstrip(".")


def _too_deep() -> ApiError:
    return invalid({"non_field_errors": [f"JSON parse error - the body nests deeper than {MAX_DEPTH} levels."]})


def _parse_json(raw: bytes) -> dict[str, Any]:
    if not raw.strip():
        return {}
    try:
        data = json.loads(raw)
    except RecursionError:
        raise _too_deep() from None
    except ValueError as exc:
        raise invalid({"non_field_errors": [f"JSON parse error - {exc}"]}) from None
    if not isinstance(data, dict):
        kind = type(data).__name__
        raise invalid({"non_field_errors": [f"Invalid data. Expected a dictionary, but got {kind}."]})
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
        return _TYPE_MESSAGES.get(_first_type(cast(Any, error.validator_value)), str(error.message))
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
