"""A transport that runs a WSGI app in this process (httpx's ``WSGITransport``): no socket, no thread.

For tests and for notebooks that want a sandbox without a server::

    with preo_nb.sandbox.running(in_process=True) as sb:
        preo = sb.connect()          # connect(..., transport=WSGITransport(sb.app))

It keeps what the client relies on from a socket: the status, headers (``Date`` included)
and body bytes as the app sent them, redirects handed back, the try's deadline and size
bound; an app that hangs up (raises ``OSError``, as the sandbox's ``reset`` and ``drop``
faults do without a socket) is a lost answer. Werkzeug (the sandbox extra) builds the
WSGI environment.
"""

from __future__ import annotations

import io
import json
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urlsplit

from werkzeug.datastructures import MultiDict
from werkzeug.test import EnvironBuilder, run_wsgi_app

from preo_nb._transports.base import JSON, NoAnswer, Reply, Request, too_large

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

HUNG_UP = "could not reach the Preo API (connection failed or was reset)"
LATE = "the Preo API did not answer in time"


class WSGITransport:
    """Sends each request to ``app`` by calling it, as a threaded WSGI server would."""

    def __init__(self, app: WSGIApplication) -> None:
        self.app = app

    def __repr__(self) -> str:
        return f"WSGITransport({type(self.app).__name__})"

    def send(self, request: Request) -> Reply:
        """Call the app once and read its whole answer by ``request.deadline``."""
        url = _url(request)
        try:
            chunks, status, headers = run_wsgi_app(self.app, _environ(request, url), buffered=False)
            named = {name.lower(): value for name, value in headers.items()}
            body = _read(chunks, request, url, named.get("content-length", ""))
        except OSError as exc:  # the app hung up: the request reached it, no answer came
            raise NoAnswer("lost", HUNG_UP) from exc
        return Reply(int(status.split()[0]), named, body, url, request.method)

    def concurrent(self) -> bool:
        """Yes: the app serves threads as a threaded server would."""
        return True

    def close(self) -> None:
        """Nothing is held open."""


def _url(request: Request) -> str:
    """The URL with ``params`` added to its own query, as requests would send it."""
    params = [(k, v) for k, v in (request.params or {}).items() if v is not None]
    extra = urlencode(params, doseq=True)
    if not extra:
        return request.url
    return request.url + ("&" if urlsplit(request.url).query else "?") + extra


def _environ(request: Request, url: str) -> dict[str, Any]:
    parts = urlsplit(url)
    builder = EnvironBuilder(
        path=parts.path,
        base_url=f"{parts.scheme}://{parts.netloc}",
        query_string=parts.query,
        method=request.method,
        headers=list(request.headers.items()),
        environ_base={"REMOTE_ADDR": "127.0.0.1"},
        **_body(request),
    )
    try:
        return builder.get_environ()
    finally:
        builder.close()


def _body(request: Request) -> dict[str, Any]:
    """The body as Werkzeug's builder takes it: JSON, raw bytes, or form fields with files."""
    if request.json is not None:
        return {"data": json.dumps(request.json, allow_nan=False), "content_type": JSON}
    if request.files is None:
        return {} if request.data is None else {"data": request.data}
    fields = MultiDict(list(request.data or []))
    for name, (file_name, content, content_type) in request.files.items():
        stream = io.BytesIO(content) if isinstance(content, bytes) else content
        fields.add(name, (stream, file_name, content_type))
    return {"data": fields}


def _read(chunks: Iterable[bytes], request: Request, url: str, declared: str) -> bytes:
    """The whole body, chunk by chunk, by the deadline and within the size bound."""
    limit = request.max_bytes
    if declared.isdigit() and int(declared) > limit:
        raise too_large(request.method, url, limit, f"it says it is {int(declared):,} bytes")
    body = bytearray()
    try:
        for chunk in chunks:
            body += chunk
            if len(body) > limit:
                raise too_large(request.method, url, limit, f"more than {limit:,} bytes arrived")
            if time.monotonic() > request.deadline:
                raise NoAnswer("lost", LATE)
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()
    if time.monotonic() > request.deadline:  # an app slower than the deadline, even with an empty body
        raise NoAnswer("lost", LATE)
    return bytes(body)
