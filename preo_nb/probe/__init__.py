"""``preo-nb check-contract``: probe a live Preo API for every assumption the client makes.

Most of the bundled contract is inferred (``preo_nb.contract.provenance``). This asks the
server itself, with GET requests only (``writes=True`` adds a refund request, for a
sandbox), and says per assumption ``PASS`` (the server does what the contract says),
``FAIL`` (it does something else: the detail says what) or ``UNKNOWN`` (the data could
not show it), each with the ``x-source`` of what it checks (``seed``, ``docs`` or
``inferred``)::

    report = preo_nb.probe.run(preo)          # or: preo-nb check-contract --base-url URL
    report.failed()                           # the findings that differ

The checks live in ``http_checks`` (auth scheme, trailing slashes, media types, writes),
``list_checks`` (list envelope, next links, page sizes, filters) and ``body_checks``
(ids, money, enums, datetimes, required and unknown fields, every body against the
contract's schemas).
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

from preo_nb import contract
from preo_nb._http import HTTP, JSON
from preo_nb._transports import NoAnswer, Reply
from preo_nb.errors import TransportError
from preo_nb.probe.budget import Budget, Spending, Spent

if TYPE_CHECKING:
    from preo_nb.client import Client

RESULTS = ("PASS", "FAIL", "UNKNOWN")
REDIRECTS = (301, 302, 303, 307, 308)


@dataclass(frozen=True)
class Finding:
    """One assumption and what the server showed.

    Attributes:
        name: The assumption, dotted (``auth.scheme``, ``filters.refunds_list.edition_id``).
        result: ``PASS``, ``FAIL`` or ``UNKNOWN``.
        source: Where the contract has it from: ``seed``, ``docs`` or ``inferred``.
        detail: What was seen, in a sentence.
    """

    name: str
    result: str
    source: str
    detail: str


@dataclass
class Report:
    """Every finding of one probe, in the order found, and where it was run."""

    base_url: str
    findings: list[Finding] = field(default_factory=list)
    when: str = field(default_factory=lambda: datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))

    def failed(self) -> list[Finding]:
        """The findings where the server differs from the contract."""
        return [f for f in self.findings if f.result == "FAIL"]

    def summary(self) -> dict[str, int]:
        """How many findings of each result."""
        return {result: sum(f.result == result for f in self.findings) for result in RESULTS}

    def to_json(self) -> dict[str, Any]:
        """The machine-readable report (the format is documented in the README)."""
        return {
            "base_url": self.base_url,
            "when": self.when,
            "contract": contract.spec()["info"]["version"],
            "summary": self.summary(),
            "findings": [asdict(f) for f in self.findings],
        }

    def write(self, path: str | Path) -> Path:
        """Write the JSON report to ``path``."""
        target = Path(path)
        target.write_text(json.dumps(self.to_json(), indent=2) + "\n", encoding="utf-8")
        return target

    def table(self) -> str:
        """The report as the aligned text table ``preo-nb check-contract`` prints."""
        width = max([len(f.name) for f in self.findings] + [10])
        lines = [f"{'RESULT':7} {'SOURCE':9} {'ASSUMPTION':{width}} DETAIL"]
        lines += [f"{f.result:7} {f.source:9} {f.name:{width}} {f.detail}" for f in self.findings]
        counts = self.summary()
        lines.append(
            f"{counts['PASS']} pass, {counts['FAIL']} fail, {counts['UNKNOWN']} unknown against {self.base_url}"
        )
        return "\n".join(lines)


class Probe:
    """The state one probe run shares between its checks.

    It talks to the API through its own view (``http``: Bearer and no trailing slash until
    the server shows otherwise) over the client's transport with the budget counted; what
    it learns changes that view, never the client.
    """

    def __init__(self, http: HTTP, *, writes: bool = False, budget: Budget | None = None) -> None:
        self.writes = writes
        self.budget = budget or Budget()
        settings = dataclasses.replace(http.settings, auth_scheme="Bearer", trailing_slash=False)
        self.http = HTTP(settings, Spending(http.transport, self.budget), retry=http.retry)
        self.report = Report(http.settings.base_url)
        self.seen: list[tuple[str, Reply]] = []  # (operation_id, answer) of every answer read

    @property
    def scheme(self) -> str:
        """The ``Authorization`` scheme the server accepts, as far as the probe knows."""
        return self.http.settings.auth_scheme

    def learn(self, **changes: Any) -> None:
        """Probe on with what the server showed (``auth_scheme=...``, ``trailing_slash=True``)."""
        self.http = self.http.replace(**changes)

    def send(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        accept: str = JSON,
        json: Any = None,
        scheme: str | None = None,
    ) -> Reply:
        """Send once and return the answer as it came: no retry, no redirect followed, any status.

        Args:
            scheme: Send the token with this ``Authorization`` scheme (default: the probe's).

        Raises:
            TransportError: No whole answer arrived within the deadline (``AnswerTooLarge``:
                the answer was larger than ``max_answer_bytes``).
        """
        http = self.http if scheme is None else self.http.replace(auth_scheme=scheme)
        request = http.prepare(method, path, accept=accept, params=params, json=json)
        try:
            return http.transport.send(request)
        except NoAnswer as exc:
            raise TransportError(exc.why, method=request.method, url=request.url) from exc

    def add(self, name: str, result: str, source: str, detail: str) -> None:
        """Record one finding."""
        self.report.findings.append(Finding(name, result, source, detail))

    def add_once(self, name: str, result: str, source: str, detail: str) -> None:
        """Record a finding unless one of that name is recorded already (the same path asked twice)."""
        if all(found.name != name for found in self.report.findings):
            self.add(name, result, source, detail)

    def get(
        self,
        operation_id: str,
        path: str | None = None,
        params: dict[str, Any] | None = None,
        accept: str = "application/json",
    ) -> Reply:
        """GET an operation's path, remembering the answer for the body checks.

        No answer within the deadline and size bounds, or a redirect to another host,
        is a finding of its own; the reply is then empty (status 0) or the redirect.
        """
        path = path or contract.operations()[operation_id].path
        try:
            reply = self.send("GET", path, params=params, accept=accept)
        except TransportError as exc:
            self.add_once(f"answers.{operation_id}", "FAIL", "docs", str(exc))
            return Reply(0, {}, b"", path)
        self.seen.append((operation_id, reply))
        if reply.status in REDIRECTS:
            self._redirected(path, reply)
        return reply

    def _redirected(self, path: str, reply: Reply) -> None:
        target = urlsplit(urljoin(reply.url, reply.headers.get("location", "")))
        if target.netloc != urlsplit(self.http.settings.base_url).netloc:
            self.add_once(
                f"redirects.{path}",
                "FAIL",
                "docs",
                f"GET {path} is redirected ({reply.status}) to another host, {target.netloc or 'none named'} "
                f"({target.geturl()[:120]}); preo_nb never follows a redirect off the API's host",
            )

    def json(self, operation_id: str, path: str | None = None, params: dict[str, Any] | None = None) -> Any:
        """The decoded body of a GET that answered 200, else None."""
        reply = self.get(operation_id, path, params)
        if reply.status != 200 or reply.media_type != "application/json":
            return None
        try:
            return reply.json()
        except ValueError:
            return None


def run_recorded(preo: Client, cassette: str | Path, *, writes: bool = False) -> Report:
    """``run``, recording every request and answer into a vcrpy cassette (credentials removed).

    Replaying the cassette (``preo_nb.testing.make_vcr("none")``) gives the same findings,
    so what a real server showed can become a test.

    Raises:
        PreoValidationError: vcrpy is not installed (``pip install 'preo_nb[test]'``).
    """
    from preo_nb import testing
    from preo_nb.errors import PreoValidationError

    try:
        recorder = testing.make_vcr("all")
    except ImportError:
        raise PreoValidationError("record", "recording needs vcrpy: pip install 'preo_nb[test]'") from None
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
            2,000 requests, 600 s, 50 pages by default); past them it stops and says so.
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
            return probe.report
        list_checks.run(probe)
        http_checks.media(probe)
        if writes:
            http_checks.refund_write(probe)
    except Spent as exc:
        probe.add("probe.budget", "UNKNOWN", "docs", str(exc))
    body_checks.run(probe)
    return probe.report
