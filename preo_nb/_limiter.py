"""How many requests one client has in flight, and how fast: adaptive, shared, pinnable.

One ``Limiter`` per client (``of(http)``, made when the client is), shared by everything that
client runs at once (page reads, detail fan-out, retrieves, bulk refunds), so two jobs in one
notebook do not double the load. ``HTTP.request`` holds a ``slot()`` for each try it sends
(``HTTP.gate``), one try at a time: never over a retry's sleep, nor over the requests that
reconcile a lost POST (which take slots of their own; nested slots would deadlock at a limit
of 1). A GET still refused with 429 after the retry policy's tries is tried again there, held
back by the limiter, until ``PATIENCE`` seconds have passed since it began (``HTTP.patience``);
a refused POST is reported at once (nothing happened: a bulk row stays pending).

It adapts like TCP's AIMD: it starts at ``start`` requests in flight (the ``page_workers``
setting: what the user asked for holds from the first request) and, like TCP's
slow start, adds one per fast answer (doubling each round trip) until the first answer
that is slow, 429 or 503; from then on about one per round trip while answers come back
fast and without 429 or 503, up to
``cap`` (twice the ``page_workers`` setting: 16 by default, the size of the session's
connection pool). A 429 or 503 halves it (once a second at most). The refused request
itself is sent again by ``preo_nb._http`` after the answer's ``Retry-After``; when the
server refuses a good share of the last two seconds' requests (it is throttling this
token, not failing the odd request), every new request is held back for that
``Retry-After`` too, and the send rate is capped just below the rate of good answers of
the last two seconds (which, while the server refuses the rest, is the
rate it allows); the ceiling then grows by 5% a second back to that rate and by 0.5% a
second past it: a throttled client settles just under the server's limit instead of
bouncing off it.

Pinning: ``pin(concurrency=n)`` fixes the number in flight; ``pin(cap=n)`` bounds
it; ``pin(rate=r)`` never sends more than ``r`` requests a second (for a contract
that names a rate). Every answer is reported to it by ``HTTP.request`` (``HTTP.watch``), so
retries and reconciliations inside ``preo_nb._http`` are seen too.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from preo_nb._retry import retry_after
from preo_nb.errors import PreoValidationError

if TYPE_CHECKING:
    from preo_nb._http import HTTP

PATIENCE = 600.0  # seconds a request keeps waiting out 429s before the refusal is raised
DEFAULT_CAP = 16  # beyond it, threads only queue at the server
SLOW = 2.0  # an answer this many times the fastest seen is a sign of a loaded server: no growth
MAX_HOLD = 30.0  # the longest a Retry-After holds new requests back
GROWTH = 0.05  # a learned rate ceiling grows this much per good answer: 5% a second (0.5% past the knee)
CUT = 0.9  # a learned ceiling starts this far below the rate of good answers when the server refused
WINDOW = 2.0  # seconds of good answers that estimate the server's rate
REFUSED = 0.1  # the share of answers refused (in the window) that says the server is throttling


class Limiter:
    """Slots for requests, their number and pace adapted to the server's answers."""

    def __init__(
        self,
        start: int = 4,
        cap: int = DEFAULT_CAP,
        clock: Callable[[], float] = time.monotonic,
        most: int | None = None,
    ) -> None:
        self._clock = clock
        self.most = most  # the most a pin may ask for: the client's connections (None: no bound)
        self._cond = threading.Condition()
        self.cap = cap
        self.fixed: int | None = None
        self.pinned_rate: float | None = None
        self.limit = float(min(start, cap))
        self.ceiling: float | None = None  # learned from 429s
        self.knee: float | None = None  # the rate of good answers when the server last refused
        self.started = clock()
        self.in_flight = 0
        self.held_until = 0.0
        self.next_send = 0.0
        self.fastest = float("inf")
        self.last_cut = -1.0
        self.slow_start = True  # one more per fast answer until an answer is slow or refused
        self.good: deque[float] = deque()
        self.refused: deque[float] = deque()
        self.throttled = 0  # 429 and 503 answers seen
        self.waited = 0.0  # seconds requests waited for a slot, added up

    def pin(self, *, concurrency: int | None = None, cap: int | None = None, rate: float | None = None) -> None:
        """Fix the number in flight, bound it, or bound the requests per second (None: leave as is).

        Raises:
            PreoValidationError: As ``check``; nothing changed.
        """
        self.check(concurrency=concurrency, cap=cap)
        if rate is not None and rate <= 0:
            raise PreoValidationError("rate", f"must be > 0, not {rate}")
        with self._cond:
            self.fixed = concurrency if concurrency is not None else self.fixed
            self.cap = cap if cap is not None else self.cap
            self.pinned_rate = rate if rate is not None else self.pinned_rate
            self.limit = min(self.limit, self.cap)
            self._cond.notify_all()

    def check(self, *, concurrency: int | None = None, cap: int | None = None) -> None:
        """Refuse a number in flight below 1, or above what the client's connections carry (``most``:
        twice ``page_workers``, 10 at least; beyond it urllib3 opens and drops connections, warning each time).

        Raises:
            PreoValidationError: Naming the argument and the ``page_workers`` that would carry it.
        """
        for name, value in (("concurrency", concurrency), ("cap", cap)):
            if value is not None and value < 1:
                raise PreoValidationError(name, f"must be >= 1, not {value}")
            if value is not None and self.most is not None and value > self.most:
                raise PreoValidationError(
                    name,
                    f"{value} requests at once is more than this client's {self.most} connections carry; "
                    f"connect(page_workers={page_workers_for(value)}) holds {2 * page_workers_for(value)}",
                )

    @contextmanager
    def pinned(self, concurrency: int | None) -> Iterator[None]:
        """Fix the number in flight for a ``with`` block (None: leave it adaptive)."""
        before = self.fixed
        if concurrency is not None:
            self.pin(concurrency=max(1, concurrency))
        try:
            yield
        finally:
            with self._cond:
                self.fixed = before
                self._cond.notify_all()

    @property
    def threads(self) -> int:
        """Threads worth starting for concurrent work: the most that may be in flight."""
        return self.fixed or self.cap

    @property
    def rate(self) -> float | None:
        """The requests per second allowed now (pinned or learned), None when unbounded."""
        rates = [r for r in (self.pinned_rate, self.ceiling) if r is not None]
        return min(rates) if rates else None

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Hold a slot for one request: waits for room, the pace and any ``Retry-After``."""
        self._acquire()
        try:
            yield
        finally:
            with self._cond:
                self.in_flight -= 1
                self._cond.notify()

    def _acquire(self) -> None:
        with self._cond:
            asked = now = self._clock()
            while self.in_flight >= int(self.fixed or self.limit) or max(self.held_until, self.next_send) > now:
                wait = max(self.held_until, self.next_send) - now
                self._cond.wait(timeout=wait if wait > 0 else 0.5)
                now = self._clock()
            self.waited += now - asked
            self.in_flight += 1
            rate = self.rate
            if rate:
                self.next_send = max(self.next_send, now) + 1 / rate

    def observe(self, status: int, retry_after_header: str | None, seconds: float) -> None:
        """Learn from one answer: its status, ``Retry-After`` and how long it took."""
        with self._cond:
            now = self._clock()
            if status in (429, 503):
                self._back_off(now, retry_after(retry_after_header, MAX_HOLD) or 0.0)
            elif status < 500:
                self._grow(now, seconds)
            self._cond.notify_all()

    def _back_off(self, now: float, hold: float) -> None:
        self.throttled += 1
        self.refused.append(now)
        allowed = self._recent(now)
        # While a throttling server refuses a good share of what it gets, the good answers go on at
        # the rate it allows, and its Retry-After is for the whole token: hold every new request.
        # An odd refusal among many good answers says neither (the refused request still waits).
        refused = len(self.refused)
        throttling = refused >= 3 and refused >= REFUSED * (refused + len(self.good))
        if throttling:
            self.held_until = max(self.held_until, now + hold)
        if now - self.last_cut < 1.0:
            return  # one cut per second: the answers of one burst share one cause
        self.last_cut = now
        self.slow_start = False
        self.limit = max(1.0, self.limit / 2)
        # A client sending below its own ceiling would only talk the ceiling down and down.
        if allowed and throttling and (self.ceiling is None or allowed >= CUT * self.ceiling):
            self.knee = allowed
            self.ceiling = max(1.0, CUT * allowed)

    def _grow(self, now: float, seconds: float) -> None:
        self.good.append(now)
        self.fastest = min(self.fastest, seconds)
        if self.ceiling is not None:  # fast back to the rate last refused, then slowly past it
            self.ceiling += GROWTH if self.ceiling < (self.knee or 0) else GROWTH / 10
        if seconds > SLOW * self.fastest + 0.05:
            self.slow_start = False  # the server is loaded: neither grow now nor double later
        elif self.limit < self.cap:
            self.limit = min(float(self.cap), self.limit + (1.0 if self.slow_start else 1 / self.limit))

    def _recent(self, now: float) -> float | None:
        """Good answers per second over the last ``WINDOW`` seconds; None before the work has run that long."""
        for times in (self.good, self.refused):
            while times and times[0] < now - WINDOW:
                times.popleft()
        if now - self.started < WINDOW:
            return None
        return len(self.good) / WINDOW

    def clock(self) -> float:
        """The limiter's clock (``time.monotonic`` unless a test gives another)."""
        return self._clock()


def page_workers_for(in_flight: int) -> int:
    """The ``page_workers`` whose connections carry ``in_flight`` requests at once (``HTTP`` holds two a worker)."""
    return -(-in_flight // 2)


_LIMITERS: weakref.WeakKeyDictionary[HTTP, Limiter] = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def of(http: HTTP) -> Limiter:
    """The limiter of a client's HTTP session (made on first use, ``Client`` makes it at once), hooked into
    ``HTTP.request``: each try sent in a slot, each answer observed, throttled reads given ``PATIENCE``."""
    with _LOCK:
        limiter = _LIMITERS.get(http)
        if limiter is None:
            workers = http.settings.page_workers  # the session's connection pool holds twice as many
            limiter = _LIMITERS[http] = Limiter(start=workers, cap=2 * workers, most=http.connections)
            http.watch, http.gate, http.patience = limiter.observe, limiter.slot, PATIENCE
        return limiter
