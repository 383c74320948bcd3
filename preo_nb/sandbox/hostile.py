"""Servers that misbehave on purpose, for the fault suite: a skewed ``Date``, and a hostile server.

``SkewedDate`` is a loopback proxy in front of a sandbox that stamps every answer's
``Date`` from its own clock, as nginx does by default, so the ``Date`` disagrees
with the stamps on the server's records::

    with sandbox.running() as sb, hostile.skewed_date(sb.url) as proxy:
        preo = preo_nb.connect(base_url=proxy.url, token=sb.token)
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from werkzeug.http import http_date
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
