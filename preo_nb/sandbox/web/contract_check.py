"""Checking every reply the sandbox sends against the contract, as it is sent.

``ContractChecker`` hooks ``preo_nb.conformance.check_response`` (which works on
any reply, without Flask) into the app. Violations are readable strings naming
the request, the operation, the status, where in the body it failed and why.
"""

from __future__ import annotations

import threading

from flask import Flask, Response, g, request

from preo_nb import contract
from preo_nb.conformance import check_response


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
            found = check_response(operation_id, response.status_code, response.content_type, body)
            found += _header_problems(operation_id, response)
            if found:
                with self._lock:
                    self.violations.extend(f"{request.method} {request.path}: {p}" for p in found)
        return response

    def clear(self) -> None:
        """Forget the violations found so far."""
        with self._lock:
            self.violations.clear()


def _header_problems(operation_id: str, response: Response) -> list[str]:
    if response.status_code == 401 and "WWW-Authenticate" not in response.headers:
        return [f"{operation_id} 401: WWW-Authenticate header missing"]
    return []
