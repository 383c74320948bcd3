"""A loopback proxy that makes a sandbox answer the way another server plausibly might.

The sandbox is our own reading of a contract that is mostly inferred, so a client test
against it proves only that two guesses agree. Put this proxy in front of it and the
same server disagrees with the contract in chosen ways (``Drift``): it ignores filters,
sends money as strings and ids as integers, pages differently, redirects to trailing
slashes, wants another auth scheme... Tests assert what the user then sees, and
``preo-nb check-contract`` must name each difference::

    with sandbox.running(seed=1) as sb, drift.running(sb.url, drift.VARIANTS["string_money"]) as proxy:
        preo = preo_nb.connect(base_url=proxy.url, token=sb.token)

It forwards with the standard library's ``http.client`` (the client's ``requests``
stays in ``preo_nb._transports.default``) and serves with Werkzeug, like the sandbox.
"""

from __future__ import annotations

import http.client
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlencode, urlsplit

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from preo_nb.sandbox.web import drift_rewrite as rewrite
from preo_nb.sandbox.web.drift_rewrite import Drift

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "content-encoding", "server"}


DJANGO_FILTER_UNKNOWN = (
    "created_after",
    "created_before",
    "customer_email",
    "customer_phone",
    "order_number",
    "search",
    "ordering",
)
"""The orders filters a DRF + django-filter server written from the contract did not declare (issue 15)."""

VARIANTS: dict[str, Drift] = {
    "ignored_filters": Drift(ignore_filters=("*",)),
    "string_money": Drift(string_money=True),
    "integer_ids": Drift(integer_ids=True),
    "odd_ids": Drift(odd_ids=True),
    "small_pages": Drift(page_size_max=25),
    "no_count": Drift(no_count=True),
    "plain_array": Drift(plain_array=True),
    "cursor_links": Drift(cursor_links=True),
    "endless_links": Drift(endless_links=True),
    "wrong_count": Drift(count_offset=3),
    "trailing_slash": Drift(trailing_slash=True),
    "token_auth": Drift(auth_scheme="Token"),
    "strict_accept": Drift(strict_accept=True),
    "bad_datetimes": Drift(bad_datetimes=True),
    "missing_fields": Drift(drop_fields=("created", "created_at")),
    "unknown_fields": Drift(extra_fields=True),
    "limit_offset": Drift(limit_offset=("/v1/refunds",)),
    "drf_errors": Drift(drf_errors=True),
    "drf_defaults": Drift(
        ignore_filters=DJANGO_FILTER_UNKNOWN,
        limit_offset=("/v1/refunds",),
        default_limit=20,
        string_money=True,
        integer_ids=True,
        auth_scheme="Token",
        trailing_slash=True,
        drf_errors=True,
        unrouted=("segments_cel_context",),
    ),
}
"""Named drifts, one difference each (``drf_defaults``: stock DRF + django-filter, all at once);
``preo-nb check-contract`` is tested against every one."""


class _QuietHandler(WSGIRequestHandler):
    """No access log, and no ``Date`` of its own: the server behind it sends that."""

    def log_request(self, *args: Any, **kwargs: Any) -> None:
        """Skip the access log line."""

    def send_response(self, code: int, message: str | None = None) -> None:
        """Start the answer with the status only."""
        self.send_response_only(code, message)


class Proxy:
    """A running drift proxy. ``url`` is its base URL; ``writes_seen`` counts writes it received."""

    def __init__(self, target: str, drift: Drift, *, port: int = 0) -> None:
        self.target = urlsplit(target)
        self.drift = drift
        self.writes_seen = 0
        self.ids = rewrite.IdTable("odd" if drift.odd_ids else "integer")
        self._server: BaseWSGIServer = make_server(
            "127.0.0.1", port, self, threaded=True, request_handler=_QuietHandler
        )
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="preo-drift", daemon=True)
        self._thread.start()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        response = self.handle(request)
        return response(environ, start_response)

    def handle(self, request: Request) -> Response:
        """Answer one request: refuse it as the drifted server would, or forward and rewrite."""
        refused = rewrite.refusal(self.drift, request)
        if refused is not None:
            return refused
        method = request.method
        path = rewrite.path_in(self.drift, request.path, self.ids)
        path = path.rstrip("/") if self.drift.trailing_slash else path
        if method not in ("GET", "HEAD"):
            self.writes_seen += 1
        query = rewrite.query_in(self.drift, path, dict(request.args), self.ids)
        if self.drift.before is not None:
            self.drift.before(method, path, query)
        if self.drift.plain_array and method == "GET" and rewrite.is_list(path):
            return rewrite.whole_list(self.forward, path, query, request)
        reply = self.forward(method, path, query, request, body=True)
        return rewrite.answer(self.drift, self, request, path, query, reply)

    def forward(
        self, method: str, path: str, query: dict[str, str], request: Request, *, body: bool = False
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        """Send one request on to the real server with ``request``'s headers; return its answer."""
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP | {"host"}}
        data = rewrite.body_in(self.drift, request.get_data(), headers, self.ids) if body else b""
        if data:
            headers["Content-Length"] = str(len(data))
        if self.drift.auth_scheme != "Bearer" and "Authorization" in headers:
            headers["Authorization"] = "Bearer " + headers["Authorization"].split(" ", 1)[-1]
        connection = http.client.HTTPConnection(self.target.hostname or "127.0.0.1", self.target.port, timeout=60)
        try:
            target = path + ("?" + urlencode(query) if query else "")
            connection.request(method, target, body=data or None, headers=headers)
            reply = connection.getresponse()
            kept = [(k, v) for k, v in reply.getheaders() if k.lower() not in HOP_BY_HOP]
            return reply.status, kept, reply.read()
        except (OSError, http.client.HTTPException):  # the server dropped it: a gateway says 502
            return 502, [("Content-Type", "application/json")], b'{"detail": "Bad gateway."}'
        finally:
            connection.close()

    def stop(self) -> None:
        """Stop serving."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


@contextmanager
def running(target: str, drift: Drift, *, port: int = 0) -> Iterator[Proxy]:
    """Serve a drift proxy in front of ``target`` (a sandbox's URL) for a ``with`` block."""
    proxy = Proxy(target, drift, port=port)
    try:
        yield proxy
    finally:
        proxy.stop()
