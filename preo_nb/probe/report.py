"""What one probe run found: ``Finding`` per assumption, the ``Report``, and the ``Probe`` state the checks share."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

from preo_nb import contract
from preo_nb._http import HTTP, JSON
from preo_nb._transports import NoAnswer, Reply
from preo_nb.errors import TransportError
from preo_nb.probe.budget import Budget, Spending

RESULTS = ("PASS", "FAIL", "UNKNOWN")
REDIRECTS = (301, 302, 303, 307, 308)


LEGEND = (
    "PASS: the server does what the contract assumes. FAIL: it does something else (the detail says what;\n"
    "the fixes above say what to set or do). UNKNOWN: the data here could not show it (the detail says why).\n"
    "SOURCE: where the contract has the assumption from: seed (a recorded real answer), docs (the public\n"
    "docs) or inferred (a guess). Exit status: 0 no FAIL, 1 any FAIL, 2 could not check (unreachable, or\n"
    "no auth scheme accepted the token)."
)

FIXES = {
    "paths.trailing_slash": "connect(..., trailing_slash=True), or PREO_TRAILING_SLASH=true in the environment or .env",
    "pagination.": "nothing to set: preo_nb follows the server's own next links one page at a time and checks "
    "the count, so lists stay whole (reading is slower)",
    "types.ids": "nothing to set: preo_nb reads ids as text; pass them as text (preo.refunds.retrieve('1003'))",
    "types.datetimes": "ask the API's owners for ISO 8601: preo_nb leaves unreadable datetimes empty (NaT) and "
    "warns (ContractDriftWarning)",
    "types.": "nothing to set: preo_nb reads these values as the contract's types",
    "fields.": "nothing to set: preo_nb keeps unknown fields as extra columns and warns about absent ones",
    "bodies.": "send the JSON report (--report) to whoever keeps the contract (preo_nb/data/openapi.yaml)",
    "media.": "nothing to set: preo_nb sends the Accept header the contract declares",
    "writes.": "do not run refund runbooks or bulk-refund against this server until the write is understood",
    "answers.": "an answer that did not come within the deadline or past max_answer_bytes: raise timeout= or "
    "max_answer_bytes= only if answers that slow or that big are expected (docs/limits.md)",
    "redirects.": "connect to the host the API really answers on (base_url): preo_nb never follows a redirect "
    "to another host",
}
"""The setting or action that fixes a FAIL, by the start of its name (a check may give its own)."""


@dataclass(frozen=True)
class Finding:
    """One assumption and what the server showed.

    Attributes:
        name: The assumption, dotted (``auth.scheme``, ``filters.refunds_list.edition_id``).
        result: ``PASS``, ``FAIL`` or ``UNKNOWN``.
        source: Where the contract has it from: ``seed``, ``docs`` or ``inferred``.
        detail: What was seen, in a sentence.
        fix: For a ``FAIL``, the setting or action that makes preo_nb work with it ("" otherwise).
    """

    name: str
    result: str
    source: str
    detail: str
    fix: str = ""


@dataclass
class Report:
    """Every finding of one probe, in the order found, and where it was run."""

    base_url: str
    findings: list[Finding] = field(default_factory=list)
    when: str = field(default_factory=lambda: datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
    complete: bool = True  # False when the server could not be probed (unreachable, no scheme accepted)

    def exit_code(self) -> int:
        """``preo-nb check-contract``'s exit status: 0 no FAIL, 1 any FAIL, 2 could not check."""
        if not self.complete:
            return 2
        return 1 if self.failed() else 0

    def failed(self) -> list[Finding]:
        """The findings where the server differs from the contract."""
        return [f for f in self.findings if f.result == "FAIL"]

    def summary(self) -> dict[str, int]:
        """How many findings of each result."""
        return {result: sum(f.result == result for f in self.findings) for result in RESULTS}

    def to_json(self) -> dict[str, Any]:
        """The machine-readable report (the format is documented in docs/check-contract.md)."""
        return {
            "base_url": self.base_url,
            "when": self.when,
            "contract": contract.spec()["info"]["version"],
            "complete": self.complete,
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
            + ("" if self.complete else " (incomplete: the server could not be probed)")
        )
        fixes = [f"  {f.name}: {f.fix}" for f in self.failed() if f.fix]
        if fixes:
            lines += ["", "To work with what FAILed:", *fixes]
        return "\n".join([*lines, "", LEGEND])


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

    def add(self, name: str, result: str, source: str, detail: str, *, fix: str = "") -> None:
        """Record one finding (``fix``: for a FAIL, what to set or do; default from ``FIXES``)."""
        if result == "FAIL" and not fix:
            fix = next((text for prefix, text in FIXES.items() if name.startswith(prefix)), "")
        self.report.findings.append(Finding(name, result, source, detail, fix))

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
