"""The only module that touches ``requests``: send, auth, timeouts, redirects, error mapping.

Policy (DESIGN.md, "HTTP policy"):

* every request carries ``Authorization: Bearer ...``, a timeout and the ``Accept``
  media type its operation declares;
* what happens after a failed attempt is decided by the table in ``preo_nb._retry``
  (one loop here, one log wording: "trying again in N s"); a POST whose answer was lost
  is reconciled (its effect looked for) before it is ever sent again;
* redirects are never followed for writes (a 301 would turn a PATCH or POST into
  something else, or carry a refund's body to another host): they raise
  ``UnexpectedRedirect`` naming the target. Reads follow a redirect on the same origin;
* an error status becomes the matching ``APIError`` subclass, built in one place;
* reading lists page by page, and reading many objects at once, live in ``preo_nb._pages``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3 import exceptions as urllib3_errors
from urllib3.connectionpool import HTTPConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

from preo_nb import _retry
from preo_nb._answers import Reply, Unprovable, adds_trailing_slash, api_error, cause_of, redirect_error, where_to_look
from preo_nb._pool import loads
from preo_nb._retry import Outcome
from preo_nb.config import Settings
from preo_nb.errors import (
    AnswerTooLarge,
    PreoError,
    TransportError,
    UnknownOutcome,
)

log = logging.getLogger("preo_nb.http")
Reconcile = Callable[[], Any]

Session = requests.Session  # the client's type for a caller-supplied session
JSON = "application/json"
USER_AGENT = "preo_nb/0.1"
MAX_REDIRECTS = 5
CHUNK = 1024 * 1024  # the most bytes taken per read of a body (a read takes what has arrived)
READS = ("GET", "HEAD")


class _BearerAuth(requests.auth.AuthBase):
    """Adds the token to each request (``Bearer``, or another scheme); its repr never shows the token."""

    def __init__(self, token: str, scheme: str = "Bearer") -> None:
        self._token = token
        self._scheme = scheme

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"{self._scheme} {self._token}"
        return request

    def __repr__(self) -> str:
        return f"{self._scheme}Auth('***')"


def cassette_active() -> bool:
    """Whether vcrpy currently patches urllib3 (then requests must stay on one thread)."""
    return HTTPConnectionPool.ConnectionCls.__module__.startswith("vcr")


class HTTP:
    """One authenticated session against one Preo API."""

    def __init__(self, settings: Settings, session: requests.Session | None = None) -> None:
        self.settings = settings
        self.policy = _retry.Policy(settings.max_retries, settings.backoff_factor, settings.max_retry_wait)
        self.session = session or requests.Session()
        self.session.auth = _BearerAuth(settings.token, settings.auth_scheme)
        self.session.headers.update({"User-Agent": USER_AGENT, "Accept": JSON})
        adapter = HTTPAdapter(max_retries=0, pool_maxsize=max(10, 2 * settings.page_workers))
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self._seen = threading.local()

    def __repr__(self) -> str:
        return f"HTTP(base_url={self.settings.base_url!r}, token='***')"

    def url(self, path: str) -> str:
        """Return the absolute URL of an API path (with a trailing slash if the settings ask)."""
        if self.settings.trailing_slash and not path.endswith("/"):
            path += "/"
        return self.settings.base_url + path

    def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        files: Any = None,
        data: Any = None,
        raw: bool = False,
        reconcile: Reconcile | None = None,
        safe: bool = False,
        accept: str = JSON,
    ) -> Any:
        """Send a request and return the decoded JSON body (``None`` for 204).

        Args:
            raw: Return the ``requests.Response`` instead of decoding JSON.
            reconcile: For a POST: looks for the POST's effect and returns the
                object it made or changed, or ``None`` when it provably did not
                happen. Called when the outcome is unknown (the answer was lost, cut
                off, or a 5xx); the POST is sent again only when it returns ``None``.
            safe: The POST changes nothing (a preview, a validation): resend freely.
            accept: The media type the operation answers with.

        Raises:
            APIError: (a subclass per status) when the server answers 4xx/5xx.
            UnexpectedRedirect: a write was redirected, or a read sent to another origin.
            TransportError: when no answer arrived and the request never got through.
            UnknownOutcome: a POST may or may not have taken effect and nothing could tell.
        """
        method = method.upper()
        url = path if "://" in path else self.url(path)
        headers = {"Accept": accept}
        if method == "POST" and not safe:
            headers["Idempotency-Key"] = uuid.uuid4().hex  # the same on every resend
        reached = False
        for attempt in range(self.settings.max_retries + 1):
            try:
                response = self._send(method, url, params, json, files, data, headers)
                body = _decode(response, raw)
            except _NoAnswer as lost:
                outcome, body = lost.outcome, None
                error: PreoError | None = lost.error
            else:
                outcome = Outcome("answered", response.status_code, response.headers.get("Retry-After"))
                error = None
                if response.status_code >= 400:
                    error = api_error(response, method, self.settings.token_source)
            decision = _retry.decide(method, outcome, attempt, self.policy, safe=safe, reached_before=reached)
            reached = reached or outcome.kind != "not_sent"
            if decision.action == "return":
                return body
            if decision.action == "done":
                log.warning("Preo API: %s %s answered 404 to a resend: the first one had worked", method, _path(url))
                return None
            assert error is not None  # every other action follows a failure
            if decision.action == "raise":
                raise error
            if decision.action == "wait":
                self._pause(method, url, error, decision.wait)
                continue
            found = self._settle(method, url, reconcile, error)
            if found is not None:
                return found
            if attempt == self.settings.max_retries:
                raise error
            log.warning("Preo API: %s %s did not take effect; sending it again", method, _path(url))
        raise AssertionError("unreachable")  # pragma: no cover

    def _send(
        self, method: str, url: str, params: Any, json: Any, files: Any, data: Any, headers: dict[str, str]
    ) -> requests.Response:
        """One attempt within one deadline: the answer (redirects on the same origin followed for reads),
        or ``_NoAnswer``."""
        started = time.monotonic()
        deadline = started + self.settings.timeout
        try:
            response = self.session.request(
                method,
                url,
                params=params,
                json=json,
                files=files,
                data=data,
                headers=headers,
                timeout=_time_left(deadline, self.settings.timeout),
                allow_redirects=False,
                stream=True,
            )
            for _ in range(MAX_REDIRECTS):
                if not response.is_redirect:
                    break
                response = self._redirect(response, method, headers, deadline)
            if not response.is_redirect:
                read_within(response, deadline, self.settings.max_answer_bytes)
        except requests.RequestException as exc:
            raise _NoAnswer.of(exc, method, url) from exc
        except AnswerTooLarge as exc:
            if method != "POST":
                raise  # the same answer again would be as large
            raise _NoAnswer(Outcome("cut_off"), exc) from None
        self._seen.date = response.headers.get("Date")
        log.debug(
            "%s %s -> %s in %.0f ms (Authorization: Bearer ***)",
            method,
            response.url,
            response.status_code,
            1000 * (time.monotonic() - started),
        )
        if response.is_redirect:
            raise redirect_error(response, method, f"more than {MAX_REDIRECTS} redirects")
        return response

    def _redirect(
        self, response: requests.Response, method: str, headers: dict[str, str], deadline: float
    ) -> requests.Response:
        """Follow one redirect of a read on the same origin; refuse every other redirect."""
        response.close()  # its body is never read
        target = urljoin(response.url, response.headers.get("Location", ""))
        if method not in READS:
            raise redirect_error(response, method, "a write is never sent on to a redirect", target)
        if urlsplit(target)[:2] != urlsplit(self.settings.base_url)[:2]:
            raise redirect_error(response, method, "it leads away from the API's address", target)
        if adds_trailing_slash(response.url, target):
            log.warning(
                "Preo API: %s redirects to %s; connect(..., trailing_slash=True) saves a request",
                _path(response.url),
                _path(target),
            )
        return self.session.request(
            method,
            target,
            headers=headers,
            timeout=_time_left(deadline, self.settings.timeout),
            allow_redirects=False,
            stream=True,
        )

    def _pause(self, method: str, url: str, error: PreoError, seconds: float) -> None:
        log.warning("Preo API: %s %s %s; trying again in %.1f s", method, _path(url), cause_of(error), seconds)
        time.sleep(seconds)

    def _settle(self, method: str, url: str, reconcile: Reconcile | None, cause: PreoError) -> Any:
        """Find out whether a POST took effect: its result, or None to send it again."""
        where = _path(url)
        if reconcile is None:
            raise UnknownOutcome(method, url, cause, check=where_to_look(where))
        log.warning(
            "Preo API: %s %s %s; checking whether %s %s took effect", method, where, cause_of(cause), method, where
        )
        try:
            found = reconcile()
        except Unprovable as exc:
            raise UnknownOutcome(method, url, cause, check=exc.check, why=str(exc)) from exc
        except PreoError as exc:
            raise UnknownOutcome(method, url, cause, check=where_to_look(where)) from exc
        if found is not None:
            log.warning("Preo API: %s %s had taken effect; using its result", method, where)
        return found

    def probe(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        accept: str = JSON,
        scheme: str = "Bearer",
        json: Any = None,
    ) -> Reply:
        """Send once and return the answer as it came: no retry, no redirect followed, any status.

        For ``preo-nb check-contract``, which wants to see what the server does.

        Args:
            scheme: The ``Authorization`` scheme to send the token with.

        Raises:
            TransportError: No whole answer arrived within the deadline (``AnswerTooLarge``:
                the answer was larger than ``max_answer_bytes``).
        """
        url = path if "://" in path else self.url(path)
        deadline = time.monotonic() + self.settings.timeout
        try:
            response = self.session.request(
                method.upper(),
                url,
                params=params,
                json=json,
                headers={"Accept": accept},
                auth=_BearerAuth(self.settings.token, scheme),
                timeout=_time_left(deadline, self.settings.timeout),
                allow_redirects=False,
                stream=True,
            )
            read_within(response, deadline, self.settings.max_answer_bytes)
        except requests.RequestException as exc:
            raise TransportError(_describe(exc), method=method.upper(), url=url) from exc
        self._seen.date = response.headers.get("Date")
        headers = {k.lower(): v for k, v in response.headers.items()}
        return Reply(response.status_code, headers, response.content, response.url)

    def use_scheme(self, scheme: str) -> None:
        """Send the token with another ``Authorization`` scheme from now on (``check-contract``)."""
        self.settings = dataclasses.replace(self.settings, auth_scheme=scheme)
        self.session.auth = _BearerAuth(self.settings.token, scheme)

    def use_trailing_slash(self) -> None:
        """End every API path with "/" from now on (``check-contract``)."""
        self.settings = dataclasses.replace(self.settings, trailing_slash=True)

    def server_clock(self) -> datetime | None:
        """The server's time in the ``Date`` of the last answer this thread received (None if unreadable)."""
        return _retry.http_date(getattr(self._seen, "date", None))

    def same_origin(self, link: str) -> str:
        """Keep the path and query of a server link but never leave the base URL's host."""
        base, target = urlsplit(self.settings.base_url), urlsplit(link)
        return urlunsplit((base.scheme, base.netloc, target.path, target.query, ""))


class _NoAnswer(Exception):
    """Internal: an attempt that got no whole answer (never connected, lost, or cut off)."""

    def __init__(self, outcome: Outcome, error: PreoError) -> None:
        super().__init__(str(error))
        self.outcome = outcome
        self.error = error

    @classmethod
    def of(cls, exc: requests.RequestException, method: str, url: str) -> _NoAnswer:
        error = TransportError(_describe(exc), method=method, url=url)
        if not _maybe_sent(exc):
            return cls(Outcome("not_sent"), error)
        broken = isinstance(exc, requests.exceptions.ChunkedEncodingError | requests.exceptions.ContentDecodingError)
        return cls(Outcome("cut_off" if broken else "lost"), error)


def _decode(response: requests.Response, raw: bool) -> Any:
    """The body of a successful answer; a cut-off JSON body is ``_NoAnswer``."""
    status = response.status_code
    if status >= 400 or raw:
        return response
    if status == 204 or not response.content:
        return None
    try:
        return loads(response.content)
    except ValueError:
        error = TransportError(
            f"the {status} answer is not valid JSON (cut off?)", method=response.request.method or "", url=response.url
        )
        raise _NoAnswer(Outcome("cut_off", status), error) from None


def _maybe_sent(exc: requests.RequestException) -> bool:
    """Whether the request may have reached the server (no: it never connected)."""
    if isinstance(exc, requests.ConnectTimeout):
        return False
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return not isinstance(reason, NewConnectionError | ConnectTimeoutError)


def _path(url: str) -> str:
    return urlsplit(url).path


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
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > limit:
        response.close()
        raise _too_large(response, limit, f"it says it is {int(declared):,} bytes")
    body = bytearray()
    with _as_requests_errors(response):
        while chunk := _read_some(response, deadline):
            body += chunk
            if len(body) > limit:
                raise _too_large(response, limit, f"more than {limit:,} bytes arrived")
    response._content = bytes(body)
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


def _too_large(response: requests.Response, limit: int, why: str) -> AnswerTooLarge:
    method = response.request.method or ""
    return AnswerTooLarge(
        f"the answer to {method} {_path(response.url)} is larger than max_answer_bytes ({limit:,} bytes): {why}. "
        "It was not read; ask for less (a smaller page_size, a narrower filter) or connect with a larger "
        "max_answer_bytes",
        method=method,
        url=response.url,
    )


def _time_left(deadline: float, timeout: float) -> float:
    """The socket timeout for the next step: the settings' timeout, never past the deadline."""
    return max(0.001, min(timeout, deadline - time.monotonic()))
