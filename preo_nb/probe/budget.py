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
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import requests


@dataclass(frozen=True)
class Budget:
    """Bounds of one probe run (defaults far above what a sandbox run spends: about 200 requests, seconds)."""

    requests: int = 2_000
    seconds: float = 600.0
    pages: int = 50


class Spent(Exception):
    """The run's budget is spent (deliberately not a ``PreoError``, so no check swallows it)."""


@contextmanager
def spending(session: requests.Session, budget: Budget) -> Iterator[None]:
    """Count every answer ``session`` receives against ``budget``; raise ``Spent`` past it."""
    started = time.monotonic()
    spent = 0

    def count(response: requests.Response, *args: Any, **kwargs: Any) -> None:
        nonlocal spent
        spent += 1
        elapsed = time.monotonic() - started
        if spent > budget.requests or elapsed > budget.seconds:
            response.close()
            raise Spent(
                f"stopped after {spent - 1} requests in {elapsed:.0f} s (the budget is {budget.requests} "
                f"requests and {budget.seconds:.0f} s); the checks not reached are not reported"
            )

    hooks = session.hooks.setdefault("response", [])
    hooks.append(count)
    try:
        yield
    finally:
        hooks.remove(count)
