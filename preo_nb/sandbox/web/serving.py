"""Serving the app on loopback with Werkzeug's threaded server."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

HOST = "127.0.0.1"


class _ClockHandler(WSGIRequestHandler):
    """Leaves the ``Date`` header to the app, which sends the sandbox clock's time.

    (The standard library would add the wall clock's as a second one, and a client
    comparing ``created`` with ``Date`` would see two clocks.)
    """

    def send_response(self, code: int, message: str | None = None) -> None:
        """Start the answer with the status and ``Server``; no wall-clock ``Date``."""
        self.log_request(code)
        self.send_response_only(code, message)
        self.send_header("Server", self.version_string())


class _QuietHandler(_ClockHandler):
    """Request handler that does not log every request (tests run thousands)."""

    def log_request(self, *args: Any, **kwargs: Any) -> None:
        """Skip the access log line."""


def server(app: WSGIApplication, port: int, *, quiet: bool = True, fd: int | None = None) -> BaseWSGIServer:
    """Return a threaded server of ``app`` on ``HOST:port`` (0: a free port), not yet serving.

    The app is ``preo_nb.sandbox.app.create_app(...)``: built on the floor above, handed down.
    ``fd``: serve on this listening socket instead of binding one (forked copies of one
    sandbox, each accepting from the same socket: ``benchmarks/programs.py serve``).
    """
    handler = _QuietHandler if quiet else _ClockHandler
    made = make_server(HOST, port, app, threaded=True, request_handler=handler, fd=fd)
    if fd is not None:
        made.socket.setblocking(False)  # copies race to accept: the losers must not wait in accept()
    return made
