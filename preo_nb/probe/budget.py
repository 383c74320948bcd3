"""What one ``check-contract`` run may spend: requests and seconds in all, pages per list read.

A hostile or broken server must not keep the probe busy: every request counts against
``Budget.requests`` and the clock against ``Budget.seconds``; past either, the run stops
with an ``UNKNOWN`` finding ``probe.budget`` naming what was spent, and reports what it
found so far. Each request is bounded by the client's own deadline (``timeout``) and
answer size (``max_answer_bytes``), and the one check that reads a whole list reads at
most ``Budget.pages`` pages.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from preo_nb._transports import Reply, Request, Transport


@dataclass(frozen=True)
class Budget:
    """Bounds of one probe run (defaults far above what a sandbox run spends: about 200 requests, seconds)."""

    requests: int = 2_000
    seconds: float = 300.0
    pages: int = 50


class _Spent(Exception):
    """The run's budget is spent (deliberately not a ``PreoError``, so no check swallows it)."""


class Spending:
    """A transport that counts every try against ``budget`` and raises ``_Spent`` past it."""

    def __init__(self, transport: Transport, budget: Budget) -> None:
        self.transport = transport
        self.budget = budget
        self.started = time.monotonic()
        self.spent = 0

    def send(self, request: Request) -> Reply:
        """Send through the transport below, unless the budget is spent (checked before each try,
        so a try that never ends in an answer still counts)."""
        elapsed = time.monotonic() - self.started
        if self.spent >= self.budget.requests or elapsed > self.budget.seconds:
            raise _Spent(
                f"stopped after {self.spent} requests in {elapsed:.0f} s (the budget is {self.budget.requests} "
                f"requests and {self.budget.seconds:.0f} s); the checks not reached are not reported"
            )
        self.spent += 1
        return self.transport.send(request)

    def concurrent(self) -> bool:
        """As the transport below."""
        return self.transport.concurrent()

    def close(self) -> None:
        """The transport below is the client's: it stays open."""
