"""JSON Schema validators over the bundled contract.

The whole OpenAPI document is registered as one resource, and a validator
points into it with a JSON pointer (``urn:preo:openapi#/paths/...``). The
contract's own ``#/components/...`` references then resolve inside that
resource, so nothing has to be copied or rewritten.
"""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from preo_nb import contract

SPEC_URI = "urn:preo:openapi"


@functools.cache
def registry() -> Registry:
    """Return a registry holding the contract as one Draft 2020-12 resource."""
    resource = Resource.from_contents(
        contract.spec(), default_specification=DRAFT202012
    )
    found: Registry = Registry().with_resource(SPEC_URI, resource)
    return found


def pointer(*parts: str) -> str:
    """Join path segments into an escaped JSON pointer."""
    return "".join("/" + part.replace("~", "~0").replace("/", "~1") for part in parts)


def operation_pointer(operation_id: str) -> str:
    """Return the pointer to an operation object in the contract."""
    op = contract.operations()[operation_id]
    return pointer("paths", op.path, op.method.lower())


def response_object(
    operation_id: str, status: int
) -> tuple[str, dict[str, Any]] | None:
    """Return the pointer to and the body of the declared response, or None."""
    op = contract.operations()[operation_id]
    replies = contract.spec()["paths"][op.path][op.method.lower()].get("responses", {})
    reply = replies.get(str(status))
    if reply is None:
        return None
    where = operation_pointer(operation_id) + pointer("responses", str(status))
    if "$ref" in reply:
        where = reply["$ref"].removeprefix("#")
        reply = contract.resolve(reply)
    return where, reply


def request_pointer(operation_id: str) -> str | None:
    """Return the pointer to the JSON request-body schema, or None."""
    op = contract.operations()[operation_id]
    body = contract.spec()["paths"][op.path][op.method.lower()].get("requestBody")
    if not body or "application/json" not in body.get("content", {}):
        return None
    return operation_pointer(operation_id) + pointer(
        "requestBody", "content", "application/json", "schema"
    )


def _datetime(value: object, *, naive_ok: bool) -> bool:
    """RFC 3339 date-time; requests may leave out the offset (naive counts as UTC, README 3)."""
    if not isinstance(value, str):
        return True
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return False
    return "T" in value.upper() and (naive_ok or parsed.tzinfo is not None)


def _uri(value: object) -> bool:
    if not isinstance(value, str):
        return True
    parts = urlsplit(value)
    return bool(parts.scheme and parts.netloc) and not any(ch.isspace() for ch in value)


def format_checker(*, lenient_datetimes: bool) -> FormatChecker:
    """Return a checker for date-time, email and uri.

    date-time and uri are checked here rather than through jsonschema's optional
    format packages, one of which builds a grammar at import (about a second).
    """
    checker = FormatChecker(formats=("email",))
    checker.checks("date-time")(functools.partial(_datetime, naive_ok=lenient_datetimes))
    checker.checks("uri")(_uri)
    return checker


@functools.cache
def validator(where: str, *, lenient_datetimes: bool = False) -> Draft202012Validator:
    """Return a (cached) validator for the schema at pointer ``where``."""
    return Draft202012Validator(
        {"$ref": f"{SPEC_URI}#{where}"},
        registry=registry(),
        format_checker=format_checker(lenient_datetimes=lenient_datetimes),
    )
