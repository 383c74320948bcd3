"""Sending one API call: auth, the try's deadline, and three short layers around the transport.

Policy (DESIGN.md, "HTTP policy"):

* every request carries ``Authorization: Bearer ...`` (or ``auth_scheme``) and the ``Accept``
  media type its operation declares; each try has one deadline (``timeout``) for connecting,
  waiting and reading the whole answer, and an answer past ``max_answer_bytes`` is refused
  unread (the transport enforces both; docs/limits.md);
* the retry layer (``request``): what follows a failed try is decided by the table in
  ``preo_nb._retry``, one loop here, one log wording: "trying again in N s". The policy is a
  value (``connect(retry=RetryPolicy(...))``), read nowhere else. Each try is sent in one
  of the client's limiter slots (``gate``, from ``preo_nb._limiter``), held for that try only:
  never over a retry's sleep nor a reconcile's own requests (nested slots would deadlock at a
  limit of 1). A read still refused with 429 after the policy's tries is tried again until the
  limiter's ``patience`` runs out;
* the redirect layer (``_follow``): redirects are never followed for writes (a 301 would
  turn a PATCH or POST into something else, or carry a refund's body to another host): they
  raise ``UnexpectedRedirect`` naming the target. Reads follow a redirect on the same origin;
* the reconcile layer (``_settle``): a POST whose answer was lost is looked for before it is
  ever sent again;
* an error status becomes the matching ``APIError`` subclass, built in one place
  (``preo_nb._answers``).

The transport below (``preo_nb._transports``) sends one try and nothing more: requests over
sockets by default, or a WSGI app in process. Reading lists lives in ``preo_nb._pages``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import itertools
import logging
import time
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

from preo_nb import _retry
from preo_nb._answers import adds_trailing_slash, api_error, cause_of, redirect_error, where_to_look
from preo_nb._retry import Outcome, Policy
from preo_nb._transports import NoAnswer, Reply, Request, Transport
from preo_nb.config import Settings
from preo_nb.errors import AnswerTooLarge, PreoError, TransportError, UnknownOutcome, Unprovable

log = logging.getLogger("preo_nb.http")
Reconcile = Callable[[], Any]
Watch = Callable[[int, "str | None", float], None]
Gate = Callable[[], AbstractContextManager[None]]

JSON = "application/json"
USER_AGENT = "preo_nb/0.1"
MAX_REDIRECTS = 5
READS = ("GET", "HEAD")


class HTTP:
    """One authenticated view of one Preo API, over a transport."""

    def __init__(self, settings: Settings, transport: Transport | None = None, *, retry: Policy | None = None) -> None:
        self.settings = settings
        self.connections: int | None = None  # a transport given is its own business
        if transport is None:
            from preo_nb._transports.default import RequestsTransport

            # Requests at once its connections carry: beyond, urllib3 opens and drops extra ones, warning each time.
            self.connections = max(10, 2 * settings.page_workers)
            transport = RequestsTransport(pool_size=self.connections)
        self.transport = transport
        self.retry = retry or Policy(settings.max_retries, settings.backoff_factor, settings.max_retry_wait)
        # The client's limiter (preo_nb._limiter.of) sets these three; an HTTP without one sends at once.
        self.watch: Watch | None = None  # told of every answer (status, Retry-After, seconds)
        self.gate: Gate = contextlib.nullcontext  # held around each try's send
        self.patience = 0.0  # seconds a read keeps trying again while refused with 429

    def __repr__(self) -> str:
        return f"HTTP(base_url={self.settings.base_url!r}, token='***', transport={self.transport!r})"

    def replace(self, **changes: Any) -> HTTP:
        """Another view with some settings changed, on the same transport (``check-contract``'s own)."""
        return HTTP(dataclasses.replace(self.settings, **changes), self.transport, retry=self.retry)

    def url(self, path: str) -> str:
        """Return the absolute URL of an API path (with a trailing slash if the settings ask)."""
        if self.settings.trailing_slash and not path.endswith("/"):
            path += "/"
        return self.settings.base_url + path

    def prepare(
        self, method: str, path: str, *, accept: str = JSON, headers: dict[str, str] | None = None, **body: Any
    ) -> Request:
        """One try of a request: absolute URL, auth and ``Accept`` headers, a deadline from now.

        Args:
            headers: More headers to send.
            body: ``params``, ``json``, ``data``, ``files`` of ``Request``.
        """
        auth = f"{self.settings.auth_scheme} {self.settings.token}"
        return Request(
            method.upper(),
            path if "://" in path else self.url(path),
            {"User-Agent": USER_AGENT, "Accept": accept, "Authorization": auth, **(headers or {})},
            deadline=time.monotonic() + self.settings.timeout,
            max_bytes=self.settings.max_answer_bytes,
            **body,
        )

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
        decode: Callable[[bytes], Any] | None = None,
        reconcile: Reconcile | None = None,
        safe: bool = False,
        accept: str = JSON,
    ) -> Any:
        """The retry layer: send, and return the decoded JSON body (``None`` for 204).

        Args:
            raw: Return the whole answer (a ``Reply``: status, headers, bytes, ``server_time``)
                instead of decoding JSON.
            decode: Reads a successful answer's bytes first (a list page straight into Arrow);
                what it returns is the result, unless None: then the JSON is decoded as usual.
            reconcile: For a POST: looks for the POST's effect and returns the
                object it made or changed, or ``None`` when it provably did not
                happen. Called when the outcome is unknown (the answer was lost, cut
                off, or a 5xx); the POST is sent again only when it returns ``None``.
            safe: The POST changes nothing (a preview, a validation): resend freely.
            accept: The media type the operation answers with.

        Raises:
            APIError: (a subclass per status) when the server answers 4xx/5xx; ``RateLimited``
                (429) for a read only once ``patience`` has run out.
            UnexpectedRedirect: a write was redirected, or a read sent to another origin.
            TransportError: when no answer arrived and the request never got through.
            UnknownOutcome: a POST may or may not have taken effect and nothing could tell.
        """
        key = {"Idempotency-Key": uuid.uuid4().hex} if method.upper() == "POST" and not safe else {}  # kept on resends
        first = self.prepare(method, path, accept=accept, headers=key, params=params, json=json, files=files, data=data)
        method, url = first.method, first.url
        reached, give_up = False, time.monotonic() + self.patience
        for attempt in itertools.count():
            error: PreoError | None
            try:
                with self.gate():  # the deadline starts once the slot is held; the limiter hears before others send
                    started = time.monotonic()
                    sent = dataclasses.replace(first, deadline=started + self.settings.timeout)
                    reply = self._follow(self.transport.send(sent), sent)
                    if self.watch is not None:
                        self.watch(reply.status, reply.headers.get("retry-after"), time.monotonic() - started)
                body = _decode(reply, raw, decode)
            except NoAnswer as lost:
                outcome, body, error = Outcome(lost.kind), None, TransportError(lost.why, method=method, url=url)
            except AnswerTooLarge as exc:
                if method != "POST":
                    raise  # the same answer again would be as large
                outcome, body, error = Outcome("cut_off"), None, exc
            else:
                outcome = Outcome("answered", reply.status, reply.headers.get("retry-after"))
                error = (
                    api_error(reply, method, self.settings.token_source, self.settings.auth_scheme)
                    if reply.status >= 400
                    else None
                )
            patient = time.monotonic() < give_up
            decision = _retry.decide(
                method, outcome, attempt, self.retry, safe=safe, reached_before=reached, patient=patient
            )
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
            if attempt >= self.retry.max_retries:
                raise error
            log.warning("Preo API: %s %s did not take effect; sending it again", method, _path(url))
        raise AssertionError("unreachable")  # pragma: no cover

    def _follow(self, reply: Reply, sent: Request) -> Reply:
        """The redirect layer: a read's redirects on the API's origin are followed (within the try's
        deadline, at most ``MAX_REDIRECTS``); every other redirect is refused, naming its target."""
        for _ in range(MAX_REDIRECTS):
            if not reply.is_redirect:
                break
            target = urljoin(reply.url, reply.headers.get("location", ""))
            if sent.method not in READS:
                raise redirect_error(reply, sent.method, "a write is never sent on to a redirect", target)
            if urlsplit(target)[:2] != urlsplit(self.settings.base_url)[:2]:
                raise redirect_error(reply, sent.method, "it leads away from the API's address", target)
            if adds_trailing_slash(reply.url, target):
                log.warning(
                    "Preo API: %s redirects to %s; connect(..., trailing_slash=True) saves a request",
                    _path(reply.url),
                    _path(target),
                )
            reply = self.transport.send(dataclasses.replace(sent, url=target, params=None))
        log.debug(
            "%s %s -> %s in %.0f ms (Authorization: Bearer ***)",
            sent.method,
            reply.url,
            reply.status,
            1000 * (time.monotonic() - sent.deadline + self.settings.timeout),
        )
        if reply.is_redirect:
            raise redirect_error(reply, sent.method, f"more than {MAX_REDIRECTS} redirects")
        return reply

    def _pause(self, method: str, url: str, error: PreoError, seconds: float) -> None:
        log.warning("Preo API: %s %s %s; trying again in %.1f s", method, _path(url), cause_of(error), seconds)
        time.sleep(seconds)

    def _settle(self, method: str, url: str, reconcile: Reconcile | None, cause: PreoError) -> Any:
        """The reconcile layer: find out whether a POST took effect: its result, or None to send it again."""
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

    def same_origin(self, link: str, base: str | None = None) -> str:
        """A server link resolved against ``base`` (the URL it came with; RFC 3986, so ``?page=2``
        keeps that URL's path), keeping its path and query but never leaving the base URL's host."""
        origin = urlsplit(self.settings.base_url)
        target = urlsplit(urljoin(base or self.settings.base_url + "/", link))
        return urlunsplit((origin.scheme, origin.netloc, target.path, target.query, ""))


def _decode(reply: Reply, raw: bool, decode: Callable[[bytes], Any] | None = None) -> Any:
    """The body of a successful answer (the ``Reply`` itself when ``raw``); a cut-off JSON body is ``NoAnswer``."""
    if reply.status >= 400 or (raw and reply.media_type != JSON):
        return reply
    if reply.status == 204 or not reply.content:
        return reply if raw else None
    if decode is not None and not raw and (found := decode(reply.content)) is not None:
        return found
    try:
        body = reply.json()
    except ValueError:
        raise NoAnswer("cut_off", f"the {reply.status} answer is not valid JSON (cut off?)") from None
    return reply if raw else body


def _path(url: str) -> str:
    return urlsplit(url).path
