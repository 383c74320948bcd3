"""Checks that replies conform to the contract.

``check`` works on any recorded reply (a cassette test can call it), and
``ContractChecker`` hooks it into the sandbox app so every reply of an
operation is checked as it is sent. Violations are readable strings naming
the operation, the status, where in the body it failed and why.
"""

from __future__ import annotations

import json
import threading
from typing import Any

from flask import Flask, Response, g, request

from preo_nb import contract
from preo_nb.sandbox.web import schemas


def check(
    operation_id: str, status: int, content_type: str | None, body: Any
) -> list[str]:
    """Return the ways one reply breaks the contract (empty when it conforms).

    Args:
        operation_id: The operation that was called.
        status: The HTTP status of the reply.
        content_type: The reply's Content-Type header (None when absent).
        body: The reply body: raw ``bytes``/``str``, or JSON already parsed.
    """
    if operation_id not in contract.operations():
        return [f"{operation_id}: not an operation of the contract"]
    found = schemas.response_object(operation_id, status)
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
    return _check_json(prefix, where + schemas.pointer("content", kind, "schema"), body)


def _check_json(prefix: str, where: str, body: Any) -> list[str]:
    if isinstance(body, bytes | str):
        try:
            body = json.loads(body)
        except ValueError as exc:
            return [f"{prefix}: body is not JSON ({exc})"]
    problems = []
    for error in schemas.validator(where).iter_errors(body):
        path = "/".join(str(p) for p in error.absolute_path) or "<root>"
        problems.append(f"{prefix}: at {path}: {error.message}")
    return problems


def _empty(body: Any) -> bool:
    return body is None or body == b"" or body == ""


class ContractChecker:
    """Collects contract violations of every reply an app sends.

    Attributes:
        violations: Readable descriptions, in the order found.
    """

    def __init__(self) -> None:
        self.violations: list[str] = []
        self._lock = threading.Lock()

    def install(self, app: Flask) -> None:
        """Check every reply of a matched operation (fault replies excepted)."""
        app.after_request(self._after_request)

    def _after_request(self, response: Response) -> Response:
        operation_id = request.endpoint
        if operation_id in contract.operations() and not g.get("sandbox_fault", False):
            body = None if response.is_streamed else response.get_data()
            found = check(
                operation_id, response.status_code, response.content_type, body
            )
            found += _header_problems(operation_id, response)
            if found:
                with self._lock:
                    self.violations.extend(
                        f"{request.method} {request.path}: {p}" for p in found
                    )
        return response

    def clear(self) -> None:
        """Forget the violations found so far."""
        with self._lock:
            self.violations.clear()


def _header_problems(operation_id: str, response: Response) -> list[str]:
    if response.status_code == 401 and "WWW-Authenticate" not in response.headers:
        return [f"{operation_id} 401: WWW-Authenticate header missing"]
    return []
