"""The recorded cassettes, each parsed once per test process (with libyaml's loader when it is there)."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from preo_nb._prebuilt import parse

CASSETTES = Path(__file__).resolve().parents[1] / "cassettes"
FILES = sorted(CASSETTES.rglob("*.yaml"))


@functools.cache
def interactions(path: Path) -> list[dict[str, Any]]:
    """The recorded interactions of one cassette (do not change them: they are shared)."""
    found: list[dict[str, Any]] = parse(path.read_bytes())["interactions"]  # libyaml: 0.4 s for all, not 5 s
    return found
