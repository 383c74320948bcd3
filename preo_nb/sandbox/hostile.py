"""Servers that misbehave on purpose, for the fault suite: a skewed ``Date``, and a hostile server.

``SkewedDate`` is a loopback proxy in front of a sandbox that stamps every answer's
``Date`` from its own clock, as nginx does by default, so the ``Date`` disagrees
with the stamps on the server's records::

    with sandbox.running() as sb, hostile.skewed_date(sb.url) as proxy:
        preo = preo_nb.connect(base_url=proxy.url, token=sb.token)

``Hostile`` is a loopback server that attacks its client; the first part of the path
picks how (``Hostile.url(kind)`` is the base URL to connect to), and ``GET /v1/auth/me``
answers normally except under ``huge``:

* ``trickle``: every other answer sends its body one byte per ``trickle_interval`` seconds;
* ``endless``: every list answers a page of fresh ids, with no ``count``, linking to the next page forever;
* ``huge``: every answer is 1 GiB of JSON, streamed (``huge_declared``: with that ``Content-Length``;
  ``huge_lists``: every answer but ``/v1/auth/me``);
* ``redirect``: every other answer redirects to another host.

Nothing is held in memory or on disk: the huge body is one 1 MiB block sent 1,024 times.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs

from werkzeug.http import http_date
from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from preo_nb.sandbox import drift
from preo_nb.sandbox.web.drift_rewrite import Drift

Clock = Callable[[], datetime]


def wall_clock() -> datetime:
    """This machine's time, as a proxy in front of the API would stamp it."""
    return datetime.now(UTC)


class SkewedDate(drift.Proxy):
    """A proxy that forwards everything unchanged but sends ``Date`` from ``clock``."""

    def __init__(self, target: str, clock: Clock = wall_clock, *, port: int = 0) -> None:
        self.clock = clock
        super().__init__(target, Drift(), port=port)

    def handle(self, request: Request) -> Response:
        """Forward the request; stamp the answer with this proxy's own time."""
        response = super().handle(request)
        response.headers["Date"] = http_date(self.clock())
        return response


@contextmanager
def skewed_date(target: str, clock: Clock = wall_clock) -> Iterator[SkewedDate]:
    """Serve a ``SkewedDate`` proxy in front of ``target`` (a sandbox's URL) for a ``with`` block."""
    proxy = SkewedDate(target, clock)
    try:
        yield proxy
    finally:
        proxy.stop()


KINDS = ("trickle", "endless", "huge", "huge_declared", "huge_lists", "redirect")
GIB = 1024**3
BLOCK = 1024 * 1024
ME = {"id": "usr_000001", "email": "hostile@example.org", "first_name": "Host", "last_name": "Ile"}
StartResponse = Callable[[str, list[tuple[str, str]]], Any]


class Hostile:
    """A running hostile server on 127.0.0.1 (see the module's docstring)."""

    def __init__(self, *, trickle_interval: float = 0.25, huge_bytes: int = GIB) -> None:
        self.trickle_interval = trickle_interval
        self.huge_bytes = huge_bytes
        self.requests = 0  # how many requests arrived, of every kind
        self._server = make_server("127.0.0.1", 0, self, threaded=True, request_handler=_Quiet)
        self.root = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="preo-hostile", daemon=True)
        self._thread.start()

    def url(self, kind: str) -> str:
        """The base URL that attacks its client in the way ``kind`` names (one of ``KINDS``)."""
        return f"{self.root}/{kind}"

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        self.requests += 1
        kind, _, path = environ.get("PATH_INFO", "").lstrip("/").partition("/")
        if kind in ("huge", "huge_declared") or (kind == "huge_lists" and path != "v1/auth/me"):
            size = [("Content-Length", str(self.huge_bytes))] if kind == "huge_declared" else []
            start_response("200 OK", [("Content-Type", "application/json"), *size])
            return _huge(self.huge_bytes)
        if path == "v1/auth/me":
            return _json(start_response, ME)
        if kind == "trickle":
            start_response("200 OK", [("Content-Type", "application/json")])
            return _trickle(json.dumps(ME).encode(), self.trickle_interval)
        if kind == "redirect":
            start_response("302 Found", [("Location", f"http://elsewhere.example/{path}")])
            return [b""]
        query = parse_qs(environ.get("QUERY_STRING", ""))
        return _json(start_response, _endless_page(self.url(kind), path, query))

    def stop(self) -> None:
        """Stop serving."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


class _Quiet(WSGIRequestHandler):
    def log_request(self, *args: Any, **kwargs: Any) -> None:
        """No access log."""


@contextmanager
def hostile(**options: Any) -> Iterator[Hostile]:
    """Serve a ``Hostile`` server for a ``with`` block (``options``: see ``Hostile``)."""
    server = Hostile(**options)
    try:
        yield server
    finally:
        server.stop()


def _json(start_response: StartResponse, body: Any) -> list[bytes]:
    data = json.dumps(body).encode()
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
    return [data]


def _endless_page(base: str, path: str, query: dict[str, list[str]]) -> dict[str, Any]:
    """Page N of a list that never ends: fresh ids, no count, a link to page N+1."""
    page = int((query.get("page") or ["1"])[0])
    size = min(int((query.get("page_size") or ["100"])[0]), 100)
    prefix = path.rstrip("/").rsplit("/", 1)[-1][:3]
    records = [{"id": f"{prefix}_{page:08d}{n:04d}"} for n in range(size)]
    return {"next": f"{base}/{path}?page={page + 1}&page_size={size}", "previous": None, "results": records}


def _trickle(body: bytes, interval: float) -> Iterator[bytes]:
    for byte in body:
        time.sleep(interval)
        yield bytes([byte])


def _huge(size: int) -> Iterator[bytes]:
    """``{"pad": "xxx...x"}`` of ``size`` bytes, one shared block at a time."""
    head, tail = b'{"pad": "', b'"}'
    block = b"x" * BLOCK
    yield head
    left = size - len(head) - len(tail)
    while left > 0:
        yield block[: min(left, BLOCK)]
        left -= BLOCK
    yield tail
