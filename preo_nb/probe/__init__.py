"""``preo-nb check-contract``: probe a live Preo API for every assumption the client makes.

Most of the bundled contract is inferred (``preo_nb.contract.provenance``). This asks the
server itself, with GET requests only (``writes=True`` adds a refund request, for a
sandbox), and says per assumption ``PASS`` (the server does what the contract says),
``FAIL`` (it does something else: the detail says what) or ``UNKNOWN`` (the data could
not show it), each with the ``x-source`` of what it checks (``seed``, ``docs`` or
``inferred``)::

    report = preo_nb.probe.run(preo)          # or: preo-nb check-contract --base-url URL
    report.failed()                           # the findings that differ

A run is bounded (``budget.Budget``): past its requests or seconds it stops and says so,
and each request has the client's deadline and answer size (docs/limits.md).

The checks live in ``http_checks`` (auth scheme, trailing slashes, media types, writes),
``list_checks`` (list envelope, next links, page sizes, filters) and ``body_checks``
(ids, money, enums, datetimes, required and unknown fields, every body against the
contract's schemas).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from preo_nb.probe.budget import Budget, _Spent
from preo_nb.probe.report import LEGEND, RESULTS, Finding, Probe, Report

if TYPE_CHECKING:
    from preo_nb.client import Client

__all__ = ["LEGEND", "RESULTS", "Finding", "Probe", "Report", "run", "run_recorded"]


def run_recorded(preo: Client, cassette: str | Path, *, writes: bool = False) -> Report:
    """``run``, recording every request and answer into a vcrpy cassette (credentials removed).

    Replaying the cassette (``preo_nb.testing.make_vcr("none")``) gives the same findings,
    so what a real server showed can become a test.

    Raises:
        MissingExtra: vcrpy is not installed (the ``test`` extra).
    """
    from preo_nb import testing
    from preo_nb.errors import require

    require("test", "check-contract --record", "vcr")
    recorder = testing.make_vcr("all")
    path = Path(cassette)
    path.parent.mkdir(parents=True, exist_ok=True)
    with recorder.use_cassette(str(path)):
        return run(preo, writes=writes)


def run(preo: Client, *, writes: bool = False, budget: Budget | None = None) -> Report:
    """Probe the API ``preo`` is connected to and return the report.

    Args:
        writes: Also file (and reject) one refund request, to check the write path;
            only for a sandbox (a loopback address), refused otherwise.
        budget: Requests, seconds and list pages the run may spend (``probe.budget.Budget``:
            2,000 requests, 300 s, 50 pages by default); past them it stops and says so.
    """
    from preo_nb.config import is_loopback
    from preo_nb.errors import PreoValidationError
    from preo_nb.probe import body_checks, http_checks, list_checks

    host = preo.settings.base_url.split("://", 1)[-1].split("/")[0].rsplit(":", 1)[0]
    if writes and not is_loopback(host):
        raise PreoValidationError("writes", "writes are only probed against a sandbox on this machine (loopback)")
    probe = Probe(preo._http, writes=writes, budget=budget)
    try:
        if not http_checks.reachable(probe):
            probe.report.complete = False
            return probe.report
        list_checks.run(probe)
        http_checks.media(probe)
        http_checks.error_bodies(probe)
        if writes:
            http_checks.refund_write(probe)
    except _Spent as exc:
        probe.add("probe.budget", "UNKNOWN", "docs", str(exc))
    body_checks.run(probe)
    return probe.report
