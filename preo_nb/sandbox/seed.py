"""Seeding a whole sandbox: ``build(seed, scale)`` runs each domain's seeder, in registry order.

Everything derives from ``(seed, scale)``: Faker instances seeded with
``seed_instance``, seeded ``random.Random`` instances for every choice, and
times counted from the fixed ``ANCHOR``, never the wall clock. The same seed
gives the same data and the same ids, so the order of ``domains.DOMAINS`` is part
of the data: a seeder added later draws its ids after everything seeded before it.
How much each scale seeds is commerce's ``SCALES`` (the other domains seed the same
at every scale).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from preo_nb.sandbox.commerce.domain import SCALES, Scale
from preo_nb.sandbox.domains import DOMAINS
from preo_nb.sandbox.finders import SeededStore

__all__ = ["SCALES", "Scale", "build"]


def build(seed: int = 1, scale: str = "small", *, clock: Callable[[], datetime] | None = None) -> SeededStore:
    """Return a store seeded from ``(seed, scale)`` with its snapshot taken.

    Args:
        seed: Any integer; the same seed gives identical data and ids.
        scale: ``tiny``, ``small``, ``medium`` or ``large`` (see ``SCALES``).
        clock: Optional clock for the store (default: starts at ``ANCHOR``).
    """
    if scale not in SCALES:
        raise ValueError(f"scale must be one of {sorted(SCALES)}")
    store = SeededStore(seed, clock)
    for domain in DOMAINS:
        domain.seed(store, seed, scale)
    store.snapshot()
    return store
