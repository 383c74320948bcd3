"""The only module that touches ``requests``: auth, timeouts, retries, errors, pages.

Policy (DESIGN.md, "HTTP policy"):

* every request carries ``Authorization: Bearer ...`` and a timeout;
* GET/HEAD/PUT/DELETE are retried by urllib3 on connection errors, 429 and
  502/503/504 with exponential backoff, jitter and ``Retry-After`` (capped),
  and each wait is logged at WARNING so it is visible in a notebook;
* POST and PATCH are never resent after they may have reached the server;
* an error status becomes the matching ``APIError`` subclass, built in one place;
* a list is read page by page; pages after the first are fetched concurrently
  (a bounded window ahead of the reader) unless a vcrpy cassette is active
  (vcrpy is not thread-safe);
* JSON bodies are decoded with orjson when it is installed (the ``fast`` extra).
"""

from __future__ import annotations

import logging
import math
import re
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.connectionpool import HTTPConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError
from urllib3.util.retry import Retry

from preo_nb import _progress
from preo_nb._pool import loads, ordered_map
from preo_nb.config import Settings
from preo_nb.errors import APIError, NotFound, PreoError, RateLimited, TransportError, UnknownOutcome, error_class

log = logging.getLogger("preo_nb.http")
Reconcile = Callable[[], Any]

RETRY_STATUSES = (429, 502, 503, 504)
UNSURE_STATUSES = (500, 502, 503, 504)  # a POST answered so may or may not have been handled
IDEMPOTENT = frozenset({"GET", "HEAD", "PUT", "PATCH", "DELETE", "OPTIONS"})  # PATCH sets absolute values
USER_AGENT = "preo_nb/0.1"


class _BearerAuth(requests.auth.AuthBase):
    """Adds the bearer token to each request; its repr never shows the token."""

    def __init__(self, token: str) -> None:
        self._token = token

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self._token}"
        return request

    def __repr__(self) -> str:
        return "BearerAuth('***')"


class _VisibleRetry(Retry):
    """urllib3's Retry with a cap on ``Retry-After`` and a log line before each wait."""

    max_wait: float = 30.0

    def new(self, **kw: Any) -> _VisibleRetry:
        retry = super().new(**kw)
        retry.max_wait = self.max_wait
        return retry

    def get_retry_after(self, response: Any) -> float | None:
        wait = super().get_retry_after(response)
        return None if wait is None else min(wait, self.max_wait)

    def sleep(self, response: Any = None) -> None:
        wait = self.get_retry_after(response) if response is not None else None
        if wait is None:
            wait = self.get_backoff_time()
        last = self.history[-1] if self.history else None
        cause = (last.status or type(last.error).__name__) if last else "error"
        method = last.method if last else ""
        log.warning("Preo API: %s %s got %s; retrying in %.1f s", method, _path_of(last), cause, wait)
        super().sleep(response)


def _path_of(history: Any) -> str:
    return urlsplit(history.url or "").path if history else ""


def cassette_active() -> bool:
    """Whether vcrpy currently patches urllib3 (then requests must stay on one thread)."""
    return HTTPConnectionPool.ConnectionCls.__module__.startswith("vcr")


class HTTP:
    """One authenticated session against one Preo API."""

    def __init__(self, settings: Settings, session: requests.Session | None = None) -> None:
        self.settings = settings
        self.session = session or requests.Session()
        self.session.auth = _BearerAuth(settings.token)
        self.session.headers.update({"User-Agent": USER_AGENT, "Accept": "application/json"})
        retry = _VisibleRetry(
            total=settings.max_retries,
            backoff_factor=settings.backoff_factor,
            backoff_jitter=settings.backoff_factor,
            backoff_max=settings.max_retry_wait,
            status_forcelist=RETRY_STATUSES,
            allowed_methods=IDEMPOTENT,
            respect_retry_after_header=True,
            raise_on_status=False,
        )
        retry.max_wait = settings.max_retry_wait
        adapter = HTTPAdapter(max_retries=retry, pool_maxsize=max(10, 2 * settings.page_workers))
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)

    def __repr__(self) -> str:
        return f"HTTP(base_url={self.settings.base_url!r}, token='***')"

    def url(self, path: str) -> str:
        """Return the absolute URL of an API path."""
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
    ) -> Any:
        """Send a request and return the decoded JSON body (``None`` for 204).

        Args:
            reconcile: For a POST: looks for the POST's effect and returns the
                object it made or changed, or ``None`` when there is none. Called
                when the outcome is unknown (the answer was lost, cut off, or a
                5xx); the POST is sent again only when it returns ``None``.
            safe: The POST changes nothing (a preview, a validation): resend freely.

        Raises:
            APIError: (a subclass per status) when the server answers 4xx/5xx.
            TransportError: when no answer arrived and the request never got through.
            UnknownOutcome: a POST may or may not have taken effect and nothing could tell.
        """
        method = method.upper()
        url = path if "://" in path else self.url(path)
        repeatable = safe or method != "POST"
        headers = {} if repeatable else {"Idempotency-Key": uuid.uuid4().hex}  # the same on every resend
        for attempt in range(self.settings.max_retries + 1):
            last = attempt == self.settings.max_retries
            try:
                response = self._send(method, url, params, json, files, data, headers)
                return self._decode(response, method, raw)
            except _Refused as refused:  # 429 on a POST: refused, so nothing happened
                if last:
                    raise refused.error from None
                self._pause(refused.error, _retry_after(refused.error, self.settings.max_retry_wait))
            except _Unsure as unsure:
                if last or (repeatable and not unsure.body_broken):
                    raise unsure.error from None
                if repeatable:
                    self._pause(unsure.error, self.settings.backoff_factor * 2**attempt)
                    continue
                found = self._settle(method, url, reconcile, unsure.error)
                if found is not None:
                    return found
                log.warning("Preo API: %s %s did not take effect; sending it again", method, urlsplit(url).path)
        raise AssertionError("unreachable")  # pragma: no cover

    def _send(
        self, method: str, url: str, params: Any, json: Any, files: Any, data: Any, headers: dict[str, str]
    ) -> requests.Response:
        started = time.monotonic()
        try:
            response = self.session.request(
                method, url, params=params, json=json, files=files, data=data, headers=headers,
                timeout=self.settings.timeout,
            )
        except requests.RequestException as exc:
            error = TransportError(_describe(exc), method=method, url=url)
            if not _maybe_sent(exc):
                raise error from exc
            body_broken = isinstance(exc, (requests.exceptions.ChunkedEncodingError,
                                           requests.exceptions.ContentDecodingError))
            raise _Unsure(error, body_broken=body_broken) from exc
        log.debug(
            "%s %s -> %s in %.0f ms (Authorization: Bearer ***)",
            method, response.url, response.status_code, 1000 * (time.monotonic() - started),
        )
        return response

    def _decode(self, response: requests.Response, method: str, raw: bool) -> Any:
        status = response.status_code
        if status == 429 and method == "POST":
            raise _Refused(_api_error(response, method))
        if status in UNSURE_STATUSES and method == "POST":
            raise _Unsure(_api_error(response, method))
        if status >= 400:
            raise _api_error(response, method, self.settings.token_source)
        if raw:
            return response
        if status == 204 or not response.content:
            return None
        try:
            return loads(response.content)
        except ValueError:
            error = TransportError(f"the {status} answer is not valid JSON (cut off?)", method=method, url=response.url)
            raise _Unsure(error, body_broken=True) from None

    def _pause(self, error: PreoError, seconds: float) -> None:
        wait = min(seconds, self.settings.max_retry_wait)
        log.warning("Preo API: %s; trying again in %.1f s", _short(error), wait)
        time.sleep(wait)

    def _settle(self, method: str, url: str, reconcile: Reconcile | None, cause: PreoError) -> Any:
        """Find out whether a POST took effect: its result, or None to send it again."""
        where = urlsplit(url).path
        if reconcile is None:
            raise UnknownOutcome(method, url, cause, check=_where_to_look(where))
        log.warning("Preo API: %s; checking whether %s %s took effect", _short(cause), method, where)
        try:
            found = reconcile()
        except PreoError as exc:
            raise UnknownOutcome(method, url, cause, check=_where_to_look(where)) from exc
        if found is not None:
            log.warning("Preo API: %s %s had taken effect; using its result", method, where)
        return found

    def pages(self, path: str, params: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """Yield page bodies one at a time, following ``next`` lazily."""
        query = {**params, "page_size": self.settings.page_size}
        body = self.request("GET", path, params=query)
        yield body
        while body.get("next"):
            body = self.request("GET", self._same_origin(body["next"]))
            yield body

    def fetch_pages(
        self, path: str, params: dict[str, Any], *, progress: bool | None = None, first: dict[str, Any] | None = None
    ) -> Iterator[list[dict[str, Any]]]:
        """Yield the records of every page of a list, in order; pages 2..n are read concurrently.

        ``settings.page_workers`` threads read ahead (one while a cassette is
        active), never more than a few pages ahead of the consumer, so a long
        list is never all in memory as dicts. Records seen twice (the list
        changed while it was read) are dropped.

        Args:
            first: When given, receives the first page's fields other than ``results``
                (some lists carry extra facts there).
        """
        query = {**params, "page_size": self.settings.page_size}
        body = self.request("GET", path, params=query)
        if first is not None:
            first.update({k: v for k, v in body.items() if k != "results"})
        unique = _Unique()
        records = unique(body["results"])
        yield records
        if not body.get("next") or not records:
            return
        bar = _progress.bar(body["count"], path.rsplit("/", 1)[-1], progress)
        bar.update(len(records))

        def fetch(page: int) -> list[dict[str, Any]]:
            try:
                found: dict[str, Any] = self.request("GET", path, params={**query, "page": page})
            except NotFound:  # the list shrank while being read
                return []
            page_records: list[dict[str, Any]] = found["results"]
            return page_records

        last_page = math.ceil(body["count"] / len(records))
        workers = self.workers()
        try:
            for page_records in ordered_map(fetch, range(2, last_page + 1), workers=workers, window=workers + 2):
                bar.update(len(page_records))
                yield unique(page_records)
        finally:
            bar.close()
        if unique.kept != body["count"]:
            log.warning("the list changed while it was read: expected %d records, got %d", body["count"], unique.kept)

    def fetch_all(self, path: str, params: dict[str, Any], *, progress: bool | None = None) -> list[dict[str, Any]]:
        """Return every record of a list (see ``fetch_pages``)."""
        return [record for page in self.fetch_pages(path, params, progress=progress) for record in page]

    def get_many(self, paths: list[str], *, progress: bool | None = None) -> list[Any]:
        """GET several paths, concurrently unless a cassette is active; results in order."""
        bar = _progress.bar(len(paths), "details", progress) if len(paths) > 1 else _progress.bar(0, "", False)
        results = []
        workers = self.workers()
        try:
            for body in ordered_map(lambda p: self.request("GET", p), paths, workers=workers, window=4 * workers):
                results.append(body)
                bar.update(1)
        finally:
            bar.close()
        return results

    def workers(self) -> int:
        """Threads for concurrent reads: ``settings.page_workers``, one while a cassette is active."""
        return 1 if cassette_active() else self.settings.page_workers

    def _same_origin(self, link: str) -> str:
        """Keep the path and query of a server link but never leave the base URL's host."""
        base, target = urlsplit(self.settings.base_url), urlsplit(link)
        return urlunsplit((base.scheme, base.netloc, target.path, target.query, ""))


class _Unsure(Exception):
    """Internal: the request may have been handled, but no usable answer came back."""

    def __init__(self, error: PreoError, *, body_broken: bool = False) -> None:
        super().__init__(str(error))
        self.error = error
        self.body_broken = body_broken


class _Refused(Exception):
    """Internal: a POST was refused with 429 (so it did nothing)."""

    def __init__(self, error: APIError) -> None:
        super().__init__(str(error))
        self.error = error


def _maybe_sent(exc: requests.RequestException) -> bool:
    """Whether the request may have reached the server (no: it never connected)."""
    if isinstance(exc, requests.ConnectTimeout):
        return False
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return not isinstance(reason, NewConnectionError | ConnectTimeoutError)


def _retry_after(error: APIError, cap: float) -> float:
    value = getattr(error, "retry_after", None)
    try:
        return min(float(value), cap) if value else 1.0
    except ValueError:
        return 1.0


def _short(error: PreoError) -> str:
    return str(error).split(" - ")[0].split(": ", 1)[0] if isinstance(error, APIError) else str(error)


def _where_to_look(path: str) -> str:
    """Where a user can see whether a POST to ``path`` took effect."""
    parent, _, last = path.rpartition("/")
    if re.fullmatch(r"[a-z][a-z0-9-]*", last) and parent.count("/") >= 3:  # an action on an object
        return f"GET {parent}"
    return f"GET {path} (the list)"


class _Unique:
    """Drops records seen before (by ``id`` or ``api_id``), as a list is read page by page."""

    def __init__(self) -> None:
        self.seen: set[Any] = set()
        self.kept = 0

    def __call__(self, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        keys = [record.get("id", record.get("api_id")) for record in records]
        fresh = set(keys)
        if len(fresh) == len(keys) and None not in fresh and self.seen.isdisjoint(fresh):
            self.seen |= fresh  # the usual case: one set operation per page
            self.kept += len(records)
            return records
        unique = []
        for key, record in zip(keys, records, strict=True):
            if key is None or key not in self.seen:
                self.seen.add(key)
                unique.append(record)
        self.kept += len(unique)
        return unique


def _describe(exc: requests.RequestException) -> str:
    if isinstance(exc, requests.Timeout):
        return "the Preo API did not answer in time"
    if isinstance(exc, requests.ConnectionError):
        return "could not reach the Preo API (connection failed or was reset)"
    return f"the request failed: {type(exc).__name__}"


def _api_error(response: requests.Response, method: str, token_source: object = None) -> APIError:
    """The error for an error status; a 401 names where the token came from (``token_source``)."""
    from preo_nb.errors import token_hint  # here, so this change stays inside this function

    try:
        body: Any = response.json()
    except ValueError:
        body = response.text[:500]
    detail = code = None
    fields: dict[str, Any] = {}
    if isinstance(body, dict):
        detail = body.get("detail") if isinstance(body.get("detail"), str) else None
        code = body.get("code") if isinstance(body.get("code"), str) else None
        fields = {k: v for k, v in body.items() if k not in ("detail", "code")}
    elif body:
        detail = str(body)
    cls = error_class(response.status_code, body)
    error = cls(
        response.status_code, method=method, url=response.url, detail=detail, code=code,
        field_errors=fields, request_id=response.headers.get("X-Request-ID"), body=body,
        hint=token_hint(token_source) if response.status_code == 401 and token_source else None,
    )
    if isinstance(error, RateLimited):
        error.retry_after = response.headers.get("Retry-After")
    return error
