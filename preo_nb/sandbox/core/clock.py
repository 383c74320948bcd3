"""The sandbox's simulated time."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

ANCHOR = datetime(2026, 9, 1, tzinfo=UTC)
"""The sandbox's "today": seeded data and the clock's start derive from it."""


class Clock:
    """Simulated time: starts at ``start`` and runs with the wall clock.

    Starting from a fixed anchor keeps derived values (edition status, ages of
    seeded objects) the same on every run; ``freeze``/``advance`` let tests pin it.
    """

    def __init__(self, start: datetime = ANCHOR) -> None:
        self.start = start
        self._started = 0.0
        self._offset = timedelta()
        self._frozen: datetime | None = None
        self.reset()

    def __call__(self) -> datetime:
        """Return the current simulated time."""
        if self._frozen is not None:
            return self._frozen
        elapsed = timedelta(seconds=int(time.monotonic() - self._started))
        return self.start + self._offset + elapsed

    def freeze(self, at: datetime | None = None) -> None:
        """Stop the clock at ``at`` (default: now)."""
        self._frozen = (at or self()).astimezone(UTC).replace(microsecond=0)

    def advance(self, delta: timedelta) -> None:
        """Move the clock forward (or back, with a negative delta)."""
        if self._frozen is not None:
            self._frozen += delta
        else:
            self._offset += delta

    def reset(self) -> None:
        """Start again at ``start``, running."""
        self._started = time.monotonic()
        self._offset = timedelta()
        self._frozen = None
