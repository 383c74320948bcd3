"""``preo-nb check-contract``: run the probe, print the table, write the JSON report."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import preo_nb
from preo_nb import probe
from preo_nb.errors import PreoValidationError


def check_contract(
    *,
    base_url: str | None,
    writes: bool,
    report: Path | None,
    record: Path | None,
    sandbox: bool = False,
    seed: int = 1,
    scale: str = "small",
) -> int:
    """Probe the API (or a fresh sandbox), print the findings; 1 when any assumption fails.

    The token comes from the usual places (``PREO_API_TOKEN`` in the environment or
    ``.env``), never from the command line.
    """
    with _target(base_url, sandbox, seed, scale) as (url, token):
        preo = preo_nb.connect(base_url=url, token=token)
        found = probe.run_recorded(preo, record, writes=writes) if record else probe.run(preo, writes=writes)
    print(found.table())
    if report is not None:
        print(f"report: {found.write(report)}")
    if record is not None:
        print(f"cassette: {record}")
    return 1 if found.failed() else 0


@contextlib.contextmanager
def _target(base_url: str | None, sandbox: bool, seed: int, scale: str) -> Iterator[tuple[str | None, str | None]]:
    if not sandbox:
        yield base_url, None
        return
    if base_url:
        raise PreoValidationError("--sandbox", "give --base-url or --sandbox, not both")
    from preo_nb.sandbox import running

    with running(seed=seed, scale=scale) as sb:
        yield sb.url, sb.token
