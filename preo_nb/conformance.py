"""Checking requests and replies against the bundled contract (``data/openapi.yaml``).

``check_response`` works on any reply (a recorded cassette, a live answer of
the real API, the sandbox's own) and ``check_request`` on a request body; both
return readable problems naming the operation, where in the body and why (an
empty list when it conforms). They need only the core install (jsonschema),
never a web framework; ``import preo_nb`` does not import this module.

The whole OpenAPI document is registered as one JSON Schema resource, and a
validator points into it with a JSON pointer (``urn:preo:openapi#/paths/...``).
The contract's own ``#/components/...`` references then resolve inside that
resource, so nothing has to be copied or rewritten.

With the ``fast`` extra installed, jsonschema-rs first answers whether a body
conforms at all (about 30 times faster than walking it in Python); only a
body it finds wrong is walked by jsonschema, whose messages name each problem.
jsonschema is imported only then: with jupyterlab installed, importing it
costs 1.5 s (a format package it finds builds a grammar).
Both are given the same formats, and a test holds the two to the same verdict
on every recorded reply and on broken copies of them.
"""

from __future__ import annotations

import functools
import itertools
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

from preo_nb import contract

if TYPE_CHECKING:  # imported when first needed: with the fast extra, only for a body that breaks the contract
    from jsonschema import Draft202012Validator, FormatChecker
    from jsonschema.exceptions import ValidationError
    from referencing import Registry

SPEC_URI = "urn:preo:openapi"

__all__ = [
    "check_request",
    "check_response",
    "format_checker",
    "request_validator",
    "response_object",
    "schema",
    "validator",
]


def check_response(
    operation_id: str, status: int, content_type: str | None, body: Any, *, most: int | None = None
) -> list[str]:
    """Return the ways one reply breaks the contract (empty when it conforms).

    Args:
        operation_id: The operation that was called, e.g. ``"refunds_retrieve"``.
        status: The HTTP status of the reply.
        content_type: The reply's Content-Type header (None when absent).
        body: The reply body: raw ``bytes``/``str``, or JSON already parsed.
        most: Stop after this many problems (a page of 1000 records with string money
            holds thousands, and naming each costs a walk of the whole page in Python).
    """
    if operation_id not in contract.operations():
        return [f"{operation_id}: not an operation of the contract"]
    found = response_object(operation_id, status)
    if found is None:
        return [f"{operation_id} {status}: status not declared for this operation"]
    where, reply = found
    media = reply.get("content", {})
    prefix = f"{operation_id} {status}"
    if not media:
        return [] if _empty(body) else [f"{prefix}: body sent where none is declared"]
    kind = (content_type or "").split(";")[0].strip().lower()
    if kind not in media:
        return [f"{prefix}: content type {kind or 'missing'!r} not in {sorted(media)}"]
    if kind != "application/json":
        return []
    if isinstance(body, bytes | str):
        try:
            body = json.loads(body)
        except ValueError as exc:
            return [f"{prefix}: body is not JSON ({exc})"]
    return _problems(prefix, schema(where + pointer("content", kind, "schema")), body, most)


def check_request(operation_id: str, body: Any) -> list[str]:
    """Return the ways a JSON request body breaks the operation's request schema (empty when it conforms).

    Naive datetimes are accepted, as the API reads them as UTC (contract README 3).

    Raises:
        KeyError: ``operation_id`` is not an operation of the contract.
    """
    found = request_validator(operation_id)
    if found is None:
        return [] if _empty(body) else [f"{operation_id}: the operation takes no JSON body"]
    return _problems(f"{operation_id} request", found, body)


def _problems(prefix: str, checker: Schema, body: Any, most: int | None = None) -> list[str]:
    problems = []
    for error in itertools.islice(checker.iter_errors(body), most):
        path = "/".join(str(p) for p in error.absolute_path) or "<root>"
        problems.append(f"{prefix}: at {path}: {error.message}")
    return problems


def _empty(body: Any) -> bool:
    return body is None or body == b"" or body == ""


@functools.cache
def registry() -> Registry:
    """Return a registry holding the contract as one Draft 2020-12 resource."""
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    resource = Resource.from_contents(contract.spec(), default_specification=DRAFT202012)
    found: Registry = Registry().with_resource(SPEC_URI, resource)
    return found


def pointer(*parts: str) -> str:
    """Join path segments into an escaped JSON pointer."""
    return "".join("/" + part.replace("~", "~0").replace("/", "~1") for part in parts)


def operation_pointer(operation_id: str) -> str:
    """Return the pointer to an operation object in the contract."""
    op = contract.operations()[operation_id]
    return pointer("paths", op.path, op.method.lower())


def response_object(operation_id: str, status: int) -> tuple[str, dict[str, Any]] | None:
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
    return operation_pointer(operation_id) + pointer("requestBody", "content", "application/json", "schema")


def request_validator(operation_id: str) -> Schema | None:
    """Return the schema of the operation's JSON request body (naive datetimes allowed), or None."""
    where = request_pointer(operation_id)
    return None if where is None else schema(where, lenient_datetimes=True)


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


def _email(value: object) -> bool:
    return not isinstance(value, str) or "@" in value  # what jsonschema's own email check asks


def formats(*, lenient_datetimes: bool) -> dict[str, Callable[[object], bool]]:
    """Return the formats checked, by name: date-time, email and uri; others are not checked.

    They are checked here rather than through jsonschema's optional format
    packages, one of which builds a grammar at import (about a second).
    """
    return {"date-time": functools.partial(_datetime, naive_ok=lenient_datetimes), "email": _email, "uri": _uri}


def format_checker(*, lenient_datetimes: bool) -> FormatChecker:
    """Return jsonschema's checker for ``formats``."""
    from jsonschema import FormatChecker

    checker = FormatChecker(formats=())
    for name, check in formats(lenient_datetimes=lenient_datetimes).items():
        checker.checks(name)(check)
    return checker


@functools.cache
def validator(where: str, *, lenient_datetimes: bool = False) -> Draft202012Validator:
    """Return a (cached) validator for the schema at pointer ``where`` in the contract."""
    from jsonschema import Draft202012Validator

    return Draft202012Validator(
        {"$ref": f"{SPEC_URI}#{where}"},
        registry=registry(),
        format_checker=format_checker(lenient_datetimes=lenient_datetimes),
    )


@dataclass(frozen=True)
class Schema:
    """The schema at one pointer in the contract: a quick verdict first, then jsonschema's errors."""

    where: str
    lenient_datetimes: bool

    def iter_errors(self, body: Any) -> Iterator[ValidationError]:
        """Yield jsonschema's errors for ``body``; none, without walking it in Python, when it conforms."""
        quick = _quick(self.where, self.lenient_datetimes)
        if quick is not None and _conforms(quick, body):
            return
        yield from validator(self.where, lenient_datetimes=self.lenient_datetimes).iter_errors(body)


def _conforms(quick: Callable[[Any], bool], body: Any) -> bool:
    try:
        return quick(body)
    except (TypeError, ValueError):  # not a JSON value (a key that is not a string): jsonschema says why
        return False


@functools.cache
def schema(where: str, *, lenient_datetimes: bool = False) -> Schema:
    """Return the (cached) schema at pointer ``where`` in the contract."""
    return Schema(where, lenient_datetimes)


@functools.cache
def _quick(where: str, lenient_datetimes: bool) -> Callable[[Any], bool] | None:
    """jsonschema-rs's "does it conform?" for one pointer, or None without the ``fast`` extra."""
    try:
        import jsonschema_rs
    except ImportError:
        return None
    checker = jsonschema_rs.Draft202012Validator(
        {"$ref": f"{SPEC_URI}#{quote(where, safe='/~')}"},  # a URI: the braces of /{id}/ escaped
        registry=_rs_registry(),
        validate_formats=True,
        formats=formats(lenient_datetimes=lenient_datetimes),
    )
    found: Callable[[Any], bool] = checker.is_valid
    return found


@functools.cache
def _rs_registry() -> Any:
    import jsonschema_rs

    return jsonschema_rs.Registry([(SPEC_URI, contract.spec())], draft=jsonschema_rs.Draft202012)
