"""Per-token rate limiting, answered the way Django REST Framework throttles.

One token bucket per API token (``Authorization`` header; requests without one
share a bucket): it holds up to ``burst`` requests and refills at ``rate`` per
second. A request finding it empty is refused before anything runs with 429,
``Retry-After`` in whole seconds (rounded up, as DRF's ``Throttled`` does) and
DRF's ``{"detail": "Request was throttled. Expected available in N seconds."}``.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable


class Throttle:
    """Token buckets keyed by API token; safe to use from the server's threads."""

    def __init__(self, rate: float, burst: float | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        if not rate > 0 or (burst is not None and not burst >= 1):
            raise ValueError("rate must be > 0 requests/s and burst >= 1")
        self.rate = float(rate)
        self.burst = float(burst if burst is not None else max(1.0, rate))
        self._clock = clock
        self._lock = threading.Lock()
        self._buckets: dict[str, tuple[float, float]] = {}  # token -> (tokens left, when)
        self.refused = 0

    def wait(self, token: str) -> float:
        """Take one request from ``token``'s bucket: 0 when allowed, else seconds until one is."""
        with self._lock:
            now = self._clock()
            left, then = self._buckets.get(token, (self.burst, now))
            left = min(self.burst, left + (now - then) * self.rate)
            if left >= 1:
                self._buckets[token] = (left - 1, now)
                return 0.0
            self._buckets[token] = (left, now)
            self.refused += 1
            return (1 - left) / self.rate

    def state(self) -> dict[str, float]:
        """Describe the throttle (for the control endpoint)."""
        return {"rate": self.rate, "burst": self.burst, "refused": self.refused}


def retry_after(wait: float) -> str:
    """The ``Retry-After`` value DRF sends for a wait: whole seconds, rounded up."""
    return str(max(1, math.ceil(wait)))


def detail(wait: float) -> str:
    """DRF's message for a throttled request."""
    seconds = max(1, math.ceil(wait))
    return f"Request was throttled. Expected available in {seconds} second{'s' if seconds != 1 else ''}."
