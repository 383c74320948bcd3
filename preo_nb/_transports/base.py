"""What every transport takes and gives: one ``Request``, one ``Reply`` or ``NoAnswer``."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol
from urllib.parse import urlsplit

from preo_nb._pool import loads
from preo_nb._retry import http_date
from preo_nb.errors import AnswerTooLarge, Lost, NoAnswer

__all__ = ["Lost", "NoAnswer", "Reply", "Request", "Transport", "too_large"]

JSON = "application/json"
REDIRECTS = (301, 302, 303, 307, 308)


@dataclass(frozen=True)
class Request:
    """One try of one request, as the transport sends it.

    Attributes:
        method: Upper-case HTTP method.
        url: Absolute URL (its own query kept; ``params`` are added to it).
        headers: Every header to send, ``Authorization`` included (never shown by ``repr``).
        params: Query parameters (a list value is sent as repeated keys; None is left out).
        json: A JSON body, or None.
        data: Form fields (a list of pairs) or raw bytes, or None.
        files: Multipart files, ``{field: (file name, bytes or binary file, content type)}``.
        deadline: ``time.monotonic()`` by which the whole answer must have arrived.
        max_bytes: The largest answer read; a larger one raises ``AnswerTooLarge`` unread.
    """

    method: str
    url: str
    headers: dict[str, str] = field(default_factory=dict, repr=False)
    params: dict[str, Any] | None = None
    json: Any = None
    data: Any = None
    files: Any = None
    deadline: float = float("inf")
    max_bytes: int = 2**40


@dataclass(frozen=True)
class Reply:
    """One answer exactly as it came: status, headers (lower-case names), body, and the URL answered.

    The server's time travels with it (``server_time``, from its ``Date``), so no one
    needs to remember "the last answer" of a thread.
    """

    status: int
    headers: dict[str, str]
    content: bytes
    url: str
    method: str = ""

    @property
    def media_type(self) -> str:
        """The Content-Type without parameters, lower-case ("" when absent)."""
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    @property
    def text(self) -> str:
        """The body as text (UTF-8, undecodable bytes replaced)."""
        return self.content.decode("utf-8", "replace")

    @property
    def is_redirect(self) -> bool:
        """A redirect status with somewhere to go (what requests counts as one)."""
        return self.status in REDIRECTS and "location" in self.headers

    @property
    def server_time(self) -> datetime | None:
        """The server's clock in the answer's ``Date`` (None when absent or unreadable)."""
        return http_date(self.headers.get("date"))

    @functools.cached_property
    def _decoded(self) -> Any:
        return loads(self.content)

    def json(self) -> Any:
        """The decoded JSON body (``ValueError`` when it is not JSON); decoded once."""
        return self._decoded


class Transport(Protocol):
    """Sends one request and returns one answer: no retry, no redirect followed, any status.

    Raises ``NoAnswer`` when no whole answer arrives by ``request.deadline``, and
    ``preo_nb.errors.AnswerTooLarge`` past ``request.max_bytes``.
    """

    def send(self, request: Request) -> Reply:
        """Send ``request`` once and return the answer as it came."""
        ...

    def concurrent(self) -> bool:
        """Whether requests may be sent from several threads at once."""
        ...

    def close(self) -> None:
        """Let go of connections."""
        ...


def too_large(method: str, url: str, limit: int, why: str) -> AnswerTooLarge:
    """The error for an answer past ``max_answer_bytes`` (every transport raises this one)."""
    return AnswerTooLarge(
        f"the answer to {method} {urlsplit(url).path} is larger than max_answer_bytes ({limit:,} bytes): {why}. "
        "It was not read; ask for less (a smaller page_size, a narrower filter) or connect with a larger "
        "max_answer_bytes",
        method=method,
        url=url,
    )
