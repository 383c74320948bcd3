"""Fault injection: failing requests, latency and forced payout failures.

Faults act in front of the API (README 4.1, Forced failures): a failing
request is answered before auth or any view runs, so it changes nothing. They
are switched through this object or the control endpoint, never a /v1 path.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

DEFAULT_DETAILS = {
    429: "Request was throttled. Expected available in 1 second.",
    500: "A server error occurred.",
    502: "Bad gateway.",
    503: "Service temporarily unavailable, try again later.",
    504: "Gateway timeout.",
}


@dataclass
class FailRule:
    """Answer the next ``times`` requests matching method and path prefix with ``status``."""

    method: str
    path_prefix: str
    status: int
    times: int = 1
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None

    def matches(self, method: str, path: str) -> bool:
        """Whether a request is one this rule fails."""
        return self.method in ("*", method.upper()) and path.startswith(
            self.path_prefix
        )

    def reply_body(self) -> Any:
        """Return the body to send (a DRF-style detail unless one was given)."""
        if self.body is not None:
            return self.body
        return {"detail": DEFAULT_DETAILS.get(self.status, "Simulated failure.")}


class Faults:
    """The sandbox's fault switch; safe to change while the server runs."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list[FailRule] = []
        self._payouts: set[str] = set()
        self._imports: set[str] = set()
        self._jobs: set[tuple[str, str]] = set()
        self.delay = 0.0

    def fail_next(
        self,
        method: str,
        path_prefix: str,
        status: int,
        *,
        times: int = 1,
        headers: dict[str, str] | None = None,
        body: Any = None,
    ) -> None:
        """Make the next ``times`` matching requests answer ``status``.

        Args:
            method: HTTP method to match, or ``"*"`` for any.
            path_prefix: Start of the request path, e.g. ``"/v1/orders"``.
            status: Status to answer, e.g. 503, or 429 with ``Retry-After``.
            times: How many requests to fail.
            headers: Extra reply headers, e.g. ``{"Retry-After": "1"}``.
            body: JSON body to send instead of ``{"detail": ...}``.
        """
        if times < 1 or not 100 <= status <= 599:
            raise ValueError("times must be >= 1 and status an HTTP status")
        rule = FailRule(
            method.upper(), path_prefix, status, times, dict(headers or {}), body
        )
        with self._lock:
            self._rules.append(rule)

    def latency(self, seconds: float) -> None:
        """Delay every API request by ``seconds`` (0 turns it off)."""
        if seconds < 0:
            raise ValueError("latency must be >= 0")
        self.delay = float(seconds)

    def fail_payout(self, refund_id: str) -> None:
        """Make that refund request's payout go awaiting_gateway -> failed."""
        with self._lock:
            self._payouts.add(refund_id)

    def payout_fails(self, refund_id: str) -> bool:
        """Whether the payout of a refund request is forced to fail."""
        with self._lock:
            return refund_id in self._payouts

    def fail_import(self, import_id: str) -> None:
        """Make that data import go importing -> failed instead of completed."""
        with self._lock:
            self._imports.add(import_id)

    def import_fails(self, import_id: str) -> bool:
        """Whether a data import is forced to fail."""
        with self._lock:
            return import_id in self._imports

    def fail_job(self, kind: str, job_id: str) -> None:
        """Make a segment or campaign calculation fail (``kind``: segment, campaign)."""
        if kind not in ("segment", "campaign"):
            raise ValueError("kind must be 'segment' or 'campaign'")
        with self._lock:
            self._jobs.add((kind, job_id))

    def job_fails(self, kind: str, job_id: str) -> bool:
        """Whether the calculation of that segment or campaign is forced to fail."""
        with self._lock:
            return (kind, job_id) in self._jobs

    def clear(self) -> None:
        """Switch every fault off."""
        with self._lock:
            self._rules.clear()
            self._payouts.clear()
            self._imports.clear()
            self._jobs.clear()
            self.delay = 0.0

    def take(self, method: str, path: str) -> FailRule | None:
        """Return (and use up one try of) the first rule failing this request."""
        with self._lock:
            for rule in self._rules:
                if rule.matches(method, path):
                    rule.times -= 1
                    if rule.times == 0:
                        self._rules.remove(rule)
                    return rule
        return None

    def pending(self, method: str, path: str) -> int:
        """Return how many more ``method path`` requests the rules would fail."""
        with self._lock:
            return sum(rule.times for rule in self._rules if rule.matches(method, path))

    def state(self) -> dict[str, Any]:
        """Describe the active faults (for the control endpoint)."""
        with self._lock:
            rules = [dict(vars(rule)) for rule in self._rules]
            return {
                "fail_next": rules,
                "latency": self.delay,
                "fail_payout": sorted(self._payouts),
                "fail_import": sorted(self._imports),
                "fail_job": [{"kind": k, "id": i} for k, i in sorted(self._jobs)],
            }

    def apply(self, spec: dict[str, Any]) -> None:
        """Apply a control-endpoint body.

        ``{"clear": true, "latency": 0.2, "fail_payout": ["rfr_..."], "fail_import": ["dim_..."],
        "fail_job": [{"kind": "segment"|"campaign", "id"}],
        "fail_next": [{"method", "path_prefix", "status", "times"?, "headers"?, "body"?}]}``;
        every key is optional and ``clear`` runs first.
        """
        if spec.get("clear"):
            self.clear()
        if "latency" in spec:
            self.latency(float(spec["latency"]))
        for refund_id in spec.get("fail_payout", []):
            self.fail_payout(str(refund_id))
        for import_id in spec.get("fail_import", []):
            self.fail_import(str(import_id))
        for job in spec.get("fail_job", []):
            job = dict(job)  # a TypeError/ValueError here is a bad spec (400)
            self.fail_job(str(job.get("kind")), str(job.get("id", "")))
        for rule in spec.get("fail_next", []):
            self.fail_next(**rule)
