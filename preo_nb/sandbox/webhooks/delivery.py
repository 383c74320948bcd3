"""Turning emitted events into signed HTTP POSTs to webhook endpoints (README 4.6).

Three phases, so no network I/O ever happens while the store lock is held (a
slow receiver must not freeze the sandbox):

1. ``core.events.emit`` (inside a view, holding the lock) tells
   ``queue_deliveries``, which adds a ``pending`` delivery per matching
   endpoint and queues its id in ``Tables.outbox``; once
   the request is handled, ``send_queued`` wakes the store's ``Dispatcher``.
2. The dispatcher's sender threads take queued deliveries under the lock, as
   ``Job`` values (URL, secret, exact body), and POST them without the lock.
3. It records each ``Outcome`` under the lock again. A job whose store was reset
   in between is dropped (ids repeat after a reset).

``settle(store)`` waits until nothing is queued or in flight: tests and the
delivery reads use it, so what they see right after a triggering call is the
outcome, not ``pending``.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import threading
import time
import weakref
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from preo_nb.sandbox.core import ids
from preo_nb.sandbox.webhooks.models import RESPONSE_BODY_LIMIT, Store, Tables, WebhookDelivery, WebhookEndpoint

USER_AGENT = "Preo-Webhooks/1.0 (preo_nb sandbox)"
SENDERS = 4
"""Deliveries in flight at once per sandbox, so one slow receiver does not hold up the others."""


@dataclass(frozen=True)
class Job:
    """One attempt to make: everything needed to send, copied out of the store."""

    delivery_id: str
    event: str
    url: str
    secret: str | None
    body: bytes
    timeout: int
    tables: Tables


@dataclass(frozen=True)
class Outcome:
    """What one attempt got: a reply (status and the start of its body) or an error."""

    status_code: int | None = None
    body: str | None = None
    error: str | None = None

    @property
    def success(self) -> bool:
        """A 2xx reply."""
        return self.status_code is not None and 200 <= self.status_code < 300


def new_secret(store: Store) -> str:
    """Return a signing secret, ``whsec_`` + 32 hex (reproducible per seed, like ids)."""
    return ids.new_secret(store.data.ids)


def queue_deliveries(store: Store, event: dict[str, Any]) -> list[WebhookDelivery]:
    """Add a ``pending`` delivery of an emitted event for every endpoint that wants it."""
    made = []
    now = store.now()
    for endpoint in store.data.webhooks.values():
        if endpoint.wants(event):
            delivery = WebhookDelivery(store.new_id("whd_"), endpoint.id, event["event"], event, now, now)
            store.data.deliveries[delivery.id] = delivery
            store.data.outbox.append(delivery.id)
            made.append(delivery)
    return made


def send_queued(store: Store) -> None:
    """Start senders for the deliveries queued in the outbox: one per delivery, up to ``SENDERS``.

    Call it after the lock that queued them was released (a web request's end);
    a delivery queued before this call is always sent (see ``Dispatcher``).
    """
    with store.lock:
        queued = len(store.data.outbox)
    for _ in range(min(queued, SENDERS)):
        dispatcher(store).kick()


def body_of(delivery: WebhookDelivery) -> bytes:
    """The exact bytes POSTed for a delivery (the same on every attempt)."""
    return json.dumps(delivery.payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def job_for(store: Store, delivery: WebhookDelivery, endpoint: WebhookEndpoint) -> Job:
    """Copy what an attempt needs out of the store (hold the lock); the current secret signs."""
    return Job(
        delivery.id,
        delivery.event,
        endpoint.url,
        endpoint.secret,
        body_of(delivery),
        endpoint.timeout_seconds,
        store.data,
    )


def signature(secret: str, body: bytes, timestamp: int) -> str:
    """The ``X-Preo-Signature`` value: ``t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>." + body)>``."""
    digest = hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def headers_for(job: Job) -> dict[str, str]:
    """Headers of one attempt; signed with the wall clock, which receivers compare with theirs."""
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Preo-Event": job.event,
        "X-Preo-Delivery": job.delivery_id,
    }
    if job.secret:
        headers["X-Preo-Signature"] = signature(job.secret, job.body, int(time.time()))
    return headers


def attempt(job: Job) -> Outcome:
    """POST one job (never call this holding the store lock); every failure becomes an ``Outcome``."""
    parts = urlsplit(job.url)
    where = parts.netloc.rpartition("@")[2]
    try:
        connection = _connection(job)
    except ValueError as exc:
        return Outcome(error=f"Could not send to {where}: {exc}.")
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        connection.request("POST", target, body=job.body, headers=headers_for(job))
        reply = connection.getresponse()
        text = reply.read(RESPONSE_BODY_LIMIT).decode("utf-8", "replace")
        return Outcome(status_code=reply.status, body=text)
    except TimeoutError:
        return Outcome(error=f"No reply from {where} within {job.timeout} s.")
    except OSError as exc:
        return Outcome(error=f"Could not connect to {where}: {exc.strerror or exc}.")
    except http.client.HTTPException as exc:
        return Outcome(error=f"Invalid HTTP reply from {where}: {type(exc).__name__}.")
    except ValueError as exc:  # a URL that cannot be sent as it is (non-ASCII path or host)
        return Outcome(error=f"Could not send to {where}: {exc}.")
    finally:
        connection.close()


def _connection(job: Job) -> http.client.HTTPConnection:
    parts = urlsplit(job.url)
    kind = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    return kind(parts.hostname or "", parts.port, timeout=job.timeout)


def record(store: Store, job: Job, outcome: Outcome) -> None:
    """Write an attempt's outcome into its delivery (hold the lock); stale jobs are dropped."""
    delivery = store.data.deliveries.get(job.delivery_id)
    if store.data is not job.tables or delivery is None:
        return
    now = store.now()
    delivery.attempts += 1
    delivery.status = "success" if outcome.success else "failed"
    delivery.response_status_code = outcome.status_code
    delivery.response_body = outcome.body
    delivery.error_message = outcome.error
    if outcome.success:
        delivery.delivered_at = now
    delivery.modified = now


def next_job(store: Store) -> Job | None:
    """Take the oldest queued delivery out of the outbox as a job (hold the lock).

    Deliveries deleted since they were queued (their endpoint was deleted) are skipped.
    """
    while store.data.outbox:
        delivery = store.data.deliveries.get(store.data.outbox.pop(0))
        endpoint = store.data.webhooks.get(delivery.endpoint_id) if delivery else None
        if delivery is not None and endpoint is not None:
            return job_for(store, delivery, endpoint)
    return None


class Dispatcher:
    """Sends a store's queued deliveries on up to ``SENDERS`` threads; tells when all are done.

    A sender leaves only when it finds the outbox empty, and it checks and leaves
    while holding the store lock, under which deliveries are queued too. So a
    delivery queued before ``kick`` is either seen by a running sender or, when
    all have left, by the sender ``kick`` starts.
    """

    def __init__(self, store: Store) -> None:
        self._store = weakref.ref(store)
        self._idle = threading.Condition()
        self._running = 0

    def kick(self) -> None:
        """Start a sender unless enough run."""
        with self._idle:
            if self._running >= SENDERS:
                return
            self._running += 1
        threading.Thread(target=self._send_queued, name="preo-webhooks", daemon=True).start()

    def _send_queued(self) -> None:
        left = False
        try:
            while (store := self._store()) is not None:
                with store.lock:
                    job = next_job(store)
                    if job is None:
                        left = self._leave()
                        return
                outcome = attempt(job)
                with store.lock:
                    record(store, job, outcome)
        finally:
            if not left:
                self._leave()

    def _leave(self) -> bool:
        with self._idle:
            self._running -= 1
            self._idle.notify_all()
        return True

    def wait_idle(self, timeout: float) -> bool:
        """Wait until no delivery is queued or in flight; False if still busy after ``timeout`` s."""
        with self._idle:
            return self._idle.wait_for(lambda: self._running == 0, timeout)


_DISPATCHERS: weakref.WeakKeyDictionary[Store, Dispatcher] = weakref.WeakKeyDictionary()
_REGISTRY_LOCK = threading.Lock()


def dispatcher(store: Store) -> Dispatcher:
    """Return the store's dispatcher (one per store, made on first use)."""
    with _REGISTRY_LOCK:
        found = _DISPATCHERS.get(store)
        if found is None:
            found = _DISPATCHERS[store] = Dispatcher(store)
        return found


def settle(store: Store, timeout: float = 10.0) -> bool:
    """Wait until every queued delivery of ``store`` was attempted (never hold the lock here).

    Returns:
        False when deliveries were still in flight after ``timeout`` seconds.
    """
    return dispatcher(store).wait_idle(timeout)
