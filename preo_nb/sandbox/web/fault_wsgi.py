"""Applies the fault switch around the sandbox app, where HTTP itself can break.

A WSGI middleware rather than a Flask hook, because the interesting faults
happen after the app has answered: the change is committed, then the
connection is closed, or the body is cut or slowed down. Only ``/v1`` paths
are faulted; the control endpoints always work.
"""

from __future__ import annotations

import contextlib
import json
import socket
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from http import HTTPStatus
from typing import Any

from preo_nb.sandbox.core.faults import FailRule, Faults
from preo_nb.sandbox.core.throttle import detail, retry_after

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
Headers = list[tuple[str, str]]


class FaultMiddleware:
    """Wraps a WSGI app and gives each request the fault the switch draws for it."""

    def __init__(self, app: WSGIApp, faults: Faults) -> None:
        self.app = app
        self.faults = faults

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if not path.startswith("/v1/"):
            return self.app(environ, start_response)
        if self.faults.delay:
            time.sleep(self.faults.delay)
        throttling = self.faults.throttling
        wait = throttling.wait(environ.get("HTTP_AUTHORIZATION", "")) if throttling else 0.0
        if wait:
            return _answer(_throttled(wait), start_response)
        rule = self.faults.take(environ["REQUEST_METHOD"], path)
        if rule is None:
            return self.app(environ, start_response)
        if rule.kind == "status":
            return _answer(rule, start_response)
        if rule.kind == "latency":
            time.sleep(rule.seconds)
            return self.app(environ, start_response)
        if rule.kind == "reset":
            return _hang_up(environ, start_response)
        status, headers, body = _handle(self.app, environ)  # the change is committed here
        if rule.kind == "drop":
            return _hang_up(environ, start_response)
        if rule.kind == "truncate":
            body = body[: len(body) // 2]
            start_response(status, _with_length(headers, len(body)))
            return [body]
        start_response(status, headers)
        return _trickle(body, rule.seconds or 2.0)


def _answer(rule: FailRule, start_response: Callable[..., Any]) -> list[bytes]:
    body = json.dumps(rule.reply_body()).encode()
    headers = [("Content-Type", "application/json"), ("X-Request-ID", uuid.uuid4().hex), *rule.headers.items()]
    start_response(f"{rule.status} {HTTPStatus(rule.status).phrase}", _with_length(headers, len(body)))
    return [body]


def _throttled(wait: float) -> FailRule:
    return FailRule("*", "", 429, headers={"Retry-After": retry_after(wait)}, body={"detail": detail(wait)})


def _handle(app: WSGIApp, environ: dict[str, Any]) -> tuple[str, Headers, bytes]:
    """Run the app to the end and return what it would have sent."""
    sent: dict[str, Any] = {}

    def capture(status: str, headers: Headers, exc_info: Any = None) -> Callable[[bytes], None]:
        sent.update(status=status, headers=headers)
        return lambda data: None

    chunks = app(environ, capture)
    try:
        body = b"".join(chunks)
    finally:
        close = getattr(chunks, "close", None)
        if close:
            close()
    return sent["status"], sent["headers"], body


def _hang_up(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    """Close the connection without an answer: the client sees it drop.

    Called in process (no socket: ``preo_nb._transports.wsgi``), it raises ``ConnectionResetError``,
    which that transport reads as the same lost answer.
    """
    connection = environ.get("werkzeug.socket")
    if connection is None:
        raise ConnectionResetError("the sandbox hung up (a reset or drop fault)")
    with contextlib.suppress(OSError):  # already closed by the client
        connection.shutdown(socket.SHUT_RDWR)
    # The server still writes what follows; the closed socket turns that into a
    # dropped connection, which it handles quietly.
    start_response("500 Internal Server Error", [("Content-Length", "0")])
    return [b""]


def _with_length(headers: Headers, length: int) -> Headers:
    return [(k, v) for k, v in headers if k.lower() != "content-length"] + [("Content-Length", str(length))]


def _trickle(body: bytes, seconds: float) -> Iterator[bytes]:
    """Send the body in ten pieces spread over ``seconds``."""
    step = max(1, len(body) // 10 + 1)
    for start in range(0, len(body), step):
        time.sleep(seconds / 10)
        yield body[start : start + step]
