"""Reading request bodies: JSON, validated against the operation's request schema.

Errors come back as DRF-style 400 bodies: a field map (``{"name": ["This field
is required."]}``) or ``non_field_errors`` for a body that is not a JSON object.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any, cast

from flask import request
from jsonschema import ValidationError

from preo_nb.conformance import request_validator
from preo_nb.sandbox.core.errors import invalid


def read_body(operation_id: str) -> dict[str, Any]:
    """Return the JSON object sent, validated against the operation's request schema.

    An absent body counts as ``{}``; unknown fields are kept but ignored by views.

    Raises:
        ApiError: 400 for invalid JSON, a non-object, or schema violations.
    """
    data = _parse_json(request.get_data(cache=True))
    schema = request_validator(operation_id)
    if schema is not None:
        errors = field_errors(schema.iter_errors(data))
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
