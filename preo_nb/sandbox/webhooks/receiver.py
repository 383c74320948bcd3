"""A webhook receiver on loopback, to rehearse webhooks with the sandbox and to test them.

::

    with preo_nb.sandbox.webhooks.receiver.listening() as hook:
        endpoint = preo.webhooks.create(organization_id=org, name="rehearsal", url=hook.url, events=["*"])
        preo.refunds.approve(refund_id)
        sb.wait_for_deliveries()
        hook.received[-1].event      # {"id": "whe_...", "event": "refund_request.approved", ...}

``hook.status = 500`` makes it answer every POST with that status (a broken
receiver), ``hook.delay = 2.0`` makes it answer that many seconds late (a slow
one); ``received`` keeps every POST: raw body and headers, as sent.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, cast

HOST = "127.0.0.1"


@dataclass(frozen=True)
class Received:
    """One POST as it arrived."""

    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def event(self) -> Any:
        """The body parsed as JSON."""
        return json.loads(self.body)

    @property
    def signature(self) -> str | None:
        """The ``X-Preo-Signature`` header."""
        return self.headers.get("X-Preo-Signature")


class Receiver:
    """A running receiver: its URL, what it got, and the status it answers with."""

    def __init__(self, server: ThreadingHTTPServer) -> None:
        self.url = f"http://{HOST}:{server.server_port}/hook"
        self.status = 200
        self.delay = 0.0
        self.received: list[Received] = []
        self._lock = threading.Lock()
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="preo-receiver", daemon=True
        )
        self._thread.start()

    def take(self, request: BaseHTTPRequestHandler, body: bytes) -> int:
        """Keep a POST; return the status to answer with (after the delay)."""
        with self._lock:
            self.received.append(Received(request.path, dict(request.headers.items()), body))
            status, delay = self.status, self.delay
        time.sleep(delay)
        return status

    def stop(self) -> None:
        """Stop listening."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __repr__(self) -> str:
        return f"<Receiver {self.url}: {len(self.received)} received>"


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        status = cast(_Server, self.server).receiver.take(self, self.rfile.read(length))
        reply = b"ok" if status < 400 else b"receiver error"
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet: tests run many deliveries."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    receiver: Receiver

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Stay quiet when the sender hung up first (it timed out on a slow answer)."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


def start() -> Receiver:
    """Start a receiver on a free loopback port."""
    server = _Server((HOST, 0), _Handler)
    server.receiver = Receiver(server)
    return server.receiver


@contextmanager
def listening() -> Iterator[Receiver]:
    """Run a receiver for the duration of a ``with`` block."""
    receiver = start()
    try:
        yield receiver
    finally:
        receiver.stop()
