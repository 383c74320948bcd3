"""The transport over real sockets: requests and urllib3 (the only module that imports them).

One try within one deadline: redirects are handed back, never followed; the body is read as
a stream, each read waiting no later than the deadline, and refused past ``max_bytes``.
"""

from __future__ import annotations

import contextlib
import http.client
import time
from collections.abc import Iterator

import requests
from requests.adapters import HTTPAdapter
from urllib3 import exceptions as urllib3_errors
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

from preo_nb._transports.base import Lost, NoAnswer, Reply, Request, too_large

CHUNK = 1024 * 1024  # the most bytes taken per read of a body (a read takes what has arrived)


def cassette_active() -> bool:
    """Whether a vcrpy cassette is open: vcrpy's stand-in for ``http.client``'s connection carries it."""
    return getattr(http.client.HTTPConnection, "cassette", None) is not None


class _HeadersAsGiven(requests.auth.AuthBase):
    """Leaves a request as it is: the ``Authorization`` header the client set is the one sent.

    Without an auth object requests looks in ``~/.netrc`` for the host and, when it finds
    it, replaces the bearer token with Basic credentials: a 401 blaming the token.
    """

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        return request


class RequestsTransport:
    """Sends over a ``requests.Session`` (a pool of keep-alive connections)."""

    def __init__(self, session: requests.Session | None = None, *, pool_size: int = 10) -> None:
        self.session = session or requests.Session()
        adapter = HTTPAdapter(max_retries=0, pool_maxsize=pool_size)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)

    def __repr__(self) -> str:
        return "RequestsTransport()"

    def send(self, request: Request) -> Reply:
        """Send once; the whole answer by ``request.deadline``, or ``NoAnswer``."""
        try:
            response = self.session.request(
                request.method,
                request.url,
                params=request.params,
                json=request.json,
                data=request.data,
                files=request.files,
                headers=request.headers,
                auth=_HEADERS_AS_GIVEN,
                timeout=time_left(request.deadline),
                allow_redirects=False,
                stream=True,
            )
            if not response.is_redirect:
                read_within(response, request.deadline, request.max_bytes)
        except requests.RequestException as exc:
            raise NoAnswer(_how_far(exc), _describe(exc)) from exc
        if response.is_redirect:
            response.close()  # its body is never read
        headers = {name.lower(): value for name, value in response.headers.items()}
        return Reply(response.status_code, headers, response._content or b"", response.url, request.method)

    def concurrent(self) -> bool:
        """Not while a vcrpy cassette is open: vcrpy is not thread-safe."""
        return not cassette_active()

    def close(self) -> None:
        """Close the pooled connections."""
        self.session.close()


_HEADERS_AS_GIVEN = _HeadersAsGiven()


def _how_far(exc: requests.RequestException) -> Lost:
    """``not_sent`` when it never connected; ``cut_off`` when a body broke off; else ``lost``."""
    if isinstance(exc, requests.ConnectTimeout):
        return "not_sent"
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    if isinstance(reason, NewConnectionError | ConnectTimeoutError):
        return "not_sent"
    broken = isinstance(exc, requests.exceptions.ChunkedEncodingError | requests.exceptions.ContentDecodingError)
    return "cut_off" if broken else "lost"


def _describe(exc: requests.RequestException) -> str:
    if isinstance(exc, requests.Timeout):
        return "the Preo API did not answer in time"
    if isinstance(exc, requests.ConnectionError):
        return "could not reach the Preo API (connection failed or was reset)"
    return f"the request failed: {type(exc).__name__}"


def read_within(response: requests.Response, deadline: float, limit: int) -> bytes:
    """Read a streamed answer's body whole by the monotonic ``deadline``, refusing it past ``limit`` bytes.

    Each read takes what has arrived (``read1``) with the socket's timeout cut to the
    time left, so a server sending a byte a second still ends at the deadline; the
    body kept is what ``response.content`` then returns (requests' own cache of it).

    Raises:
        AnswerTooLarge: The answer is (or says it is) larger than ``limit``; it was not read further.
        requests.RequestException: The deadline passed, or the body broke off.
    """
    method, declared = response.request.method or "", response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > limit:
        response.close()
        raise too_large(method, response.url, limit, f"it says it is {int(declared):,} bytes")
    chunks, size = [], 0  # joined once at the end: a growing buffer would be copied as it grows
    with _as_requests_errors(response):
        while chunk := _read_some(response, deadline):
            chunks.append(chunk)
            size += len(chunk)
            if size > limit:
                raise too_large(method, response.url, limit, f"more than {limit:,} bytes arrived")
    response._content = b"".join(chunks)
    return response._content


def _read_some(response: requests.Response, deadline: float) -> bytes:
    """What has arrived of the body (b"" at its end), waiting no later than ``deadline``."""
    left = deadline - time.monotonic()
    if left <= 0:
        raise requests.ReadTimeout("the answer did not arrive whole within the time allowed")
    sock = getattr(getattr(response.raw, "connection", None), "sock", None)
    if sock is not None:
        sock.settimeout(left)
    return bytes(response.raw.read1(CHUNK))


@contextlib.contextmanager
def _as_requests_errors(response: requests.Response) -> Iterator[None]:
    """Raise urllib3's errors while reading a body as requests would (``iter_content``); close on failure."""
    try:
        try:
            yield
        except requests.RequestException:
            raise
        except (urllib3_errors.ReadTimeoutError, TimeoutError) as exc:
            raise requests.ReadTimeout(exc) from exc
        except urllib3_errors.DecodeError as exc:
            raise requests.exceptions.ContentDecodingError(exc) from exc
        except (urllib3_errors.ProtocolError, OSError) as exc:
            raise requests.exceptions.ChunkedEncodingError(exc) from exc
    except BaseException:
        response.close()
        raise


def time_left(deadline: float, cap: float = 3600.0) -> float:
    """The socket timeout for the next step: never past the deadline."""
    return max(0.001, min(cap, deadline - time.monotonic()))
