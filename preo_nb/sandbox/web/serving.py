"""Serving the app on loopback with Werkzeug's threaded server."""

from __future__ import annotations

from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from preo_nb.sandbox.core.faults import Faults
from preo_nb.sandbox.core.store import Store
from preo_nb.sandbox.web.app import create_app
from preo_nb.sandbox.web.contract_check import ContractChecker

HOST = "127.0.0.1"


class _QuietHandler(WSGIRequestHandler):
    """Request handler that does not log every request (tests run thousands)."""

    def log_request(self, *args: Any, **kwargs: Any) -> None:
        """Skip the access log line."""


def server(
    store: Store, faults: Faults, port: int, *, checker: ContractChecker | None = None, quiet: bool = True
) -> BaseWSGIServer:
    """Return a threaded server of the app on ``HOST:port`` (0: a free port), not yet serving."""
    app = create_app(store, faults=faults, checker=checker)
    handler = _QuietHandler if quiet else None
    return make_server(HOST, port, app, threaded=True, request_handler=handler)
