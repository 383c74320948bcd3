"""Reproducible ids and secrets, drawn from the store's seeded generator.

The generator lives in the store's tables, so a snapshot and a reset restore
it too: after a reset the same calls hand out the same ids again.
"""

from __future__ import annotations

import random


def new_id(draw: random.Random, issued: set[str], prefix: str) -> str:
    """Return ``prefix`` plus 12 hex digits, never one already in ``issued`` (then add it)."""
    while True:
        candidate = f"{prefix}{draw.getrandbits(48):012x}"
        if candidate not in issued:
            issued.add(candidate)
            return candidate


def new_secret(draw: random.Random, prefix: str = "whsec_") -> str:
    """Return a signing secret: ``prefix`` plus 32 hex digits."""
    return f"{prefix}{draw.getrandbits(128):032x}"
