"""The sandbox WSGI app, built from the registry: routes of every domain's groups, auth, faults, error bodies.

The top floor of the sandbox: each domain names its modules of views
(``Domain.views``) and every ``Group`` in them is served; the web layer below
(``preo_nb.sandbox.web``) knows no domain.
"""

from __future__ import annotations

import importlib
import json
import re
import uuid

from flask import Flask, Response, g, request
from werkzeug.exceptions import HTTPException
from werkzeug.http import http_date

from preo_nb import contract
from preo_nb.sandbox.core.domain import Domain
from preo_nb.sandbox.core.errors import ApiError
from preo_nb.sandbox.core.faults import Faults
from preo_nb.sandbox.core.store import AnyStore
from preo_nb.sandbox.domains import DOMAINS
from preo_nb.sandbox.web import control
from preo_nb.sandbox.web.contract_check import ContractChecker
from preo_nb.sandbox.web.fast_json import FastJSONProvider
from preo_nb.sandbox.web.fault_wsgi import FaultMiddleware
from preo_nb.sandbox.web.views import EXTENSION, Group, Services, authenticate, services


def groups_of(domain: Domain) -> list[Group]:
    """Every view group a domain's views modules define, in the order they name them."""
    found = []
    for name in domain.views:
        module = importlib.import_module(f"{domain.package}.{name}")
        found += [value for value in vars(module).values() if isinstance(value, Group)]
    return found


GROUPS = tuple(group for domain in DOMAINS for group in groups_of(domain))
"""Every API group served, from the registry: a new group is found in its domain's views."""


def create_app(store: AnyStore, *, faults: Faults, checker: ContractChecker | None = None) -> Flask:
    """Build the Flask app serving ``store``.

    Args:
        store: The state to serve.
        faults: The fault switch consulted before each API request.
        checker: When given, every reply of an operation is checked against
            the contract and violations are collected in ``checker.violations``.
    """
    app = Flask("preo_nb.sandbox")
    app.json = FastJSONProvider(app)  # keeps the contract's field order
    app.extensions[EXTENSION] = Services(store, faults)
    for group in GROUPS:
        group.register(app)
    control.register(app)
    app.before_request(_before_request)
    app.after_request(_add_request_id)
    app.register_error_handler(ApiError, _api_error)
    app.register_error_handler(HTTPException, _http_error)
    if checker is not None:
        checker.install(app)
    app.wsgi_app = FaultMiddleware(app.wsgi_app, faults)  # type: ignore[method-assign]
    return app


def _before_request() -> Response | None:
    """Authenticate; control and unmatched paths skip it (faults act in ``FaultMiddleware``)."""
    if request.path.startswith(control.PREFIX):
        return None
    if request.routing_exception is None:
        g.caller = authenticate(services().store)
    return None


def _add_request_id(response: Response) -> Response:
    """Every answer carries a request id and a ``Date`` from the sandbox's own clock.

    The clock is simulated (README: it starts at 2026-09-01), so the ``Date`` a real
    server would send from its clock must come from the same clock as ``created``.
    """
    response.headers["X-Request-ID"] = uuid.uuid4().hex
    response.headers["Date"] = http_date(services().store.now())
    return response


def _json(body: object, status: int) -> Response:
    return Response(json.dumps(body), status=status, mimetype="application/json")


def _api_error(error: ApiError) -> Response:
    reply = _json(error.body, error.status)
    reply.headers.update(error.headers)
    return reply


def _http_error(error: HTTPException) -> Response:
    """Give Flask's own errors (404, 405, 500) the DRF ``{"detail"}`` body."""
    status = error.code or 500
    details = {
        404: "Not found.",
        405: f'Method "{request.method}" not allowed.',
        500: "A server error occurred.",
    }
    reply = _json({"detail": details.get(status, error.description or "Error.")}, status)
    for name, value in error.get_headers():
        if name.lower() != "content-type":
            reply.headers[name] = value
    if status == 405 and "Allow" in reply.headers:
        reply.headers["Allow"] = _allowed(reply.headers["Allow"])
    return reply


def _allowed(header: str) -> str:
    """Keep the methods of the most specific contract path in a 405's ``Allow``.

    Werkzeug lists every rule matching the path, so ``/v1/segments/cel-context``
    would also offer the methods of ``/v1/segments/{id}``; a literal segment
    wins over a placeholder, as in the API's own routing.
    """
    matching = [
        op
        for op in contract.operations().values()
        if re.fullmatch(re.sub(r"\\\{\w+\\\}", "[^/]+", re.escape(op.path)), request.path)
    ]
    if not matching:
        return header
    fewest = min(op.path.count("{") for op in matching)
    methods = {op.method for op in matching if op.path.count("{") == fewest}
    if "GET" in methods:
        methods.add("HEAD")
    kept = [m.strip() for m in header.split(",") if m.strip() in methods]
    return ", ".join(kept) or header
