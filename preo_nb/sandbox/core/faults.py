"""Fault injection: failing requests, broken connections, latency, forced job failures.

Faults are switched through this object or the control endpoint, never a /v1
path. Each request meets at most one fault, of one of these kinds (``KINDS``):

========  ===================================================================
status    answered with ``status`` before auth or any view runs (nothing changes)
reset     the connection is closed before the request is handled (nothing changes)
drop      the request is handled and committed, then the connection is closed
          without a response
truncate  handled and committed; the JSON body is cut in half
slow      handled and committed; the body trickles out over ``seconds``
latency   handled after a delay of ``seconds``
========  ===================================================================

``throttle(rate)`` limits each API token to ``rate`` requests per second
(``preo_nb.sandbox.core.throttle``): requests beyond it get DRF's 429 with
``Retry-After``, before any other fault.

``fail_next`` queues faults for the next matching requests; ``chaos`` gives
every matching request a seeded chance of a random fault (the soak tests).
``preo_nb.sandbox.web.fault_wsgi`` applies them around the app.

Background jobs (``preo_nb.sandbox.core.jobs``) can be made to fail where their
state machine says a forced failure lands: ``fail_payout``, ``fail_import`` and
``fail_job`` are names for one switch, ``force(kind, id)``, that ``job_fails``
reads.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field
from typing import Any

from preo_nb.sandbox.core.jobs import KINDS as JOB_KINDS
from preo_nb.sandbox.core.throttle import Throttle

DEFAULT_DETAILS = {
    429: "Request was throttled. Expected available in 1 second.",
    500: "A server error occurred.",
    502: "Bad gateway.",
    503: "Service temporarily unavailable, try again later.",
    504: "Gateway timeout.",
}


KINDS = ("status", "reset", "drop", "truncate", "slow", "latency")
CALCULATIONS = ("segment", "campaign")
"""The job kinds ``fail_job`` takes (payouts and imports have their own names)."""
CHAOS_MENU = (
    ("status", 429),
    ("status", 502),
    ("status", 503),
    ("reset", 0),
    ("drop", 0),
    ("truncate", 0),
    ("latency", 0),
)


@dataclass
class FailRule:
    """Fault the next ``times`` requests matching method and path prefix (see ``KINDS``)."""

    method: str
    path_prefix: str
    status: int = 0
    times: int = 1
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    kind: str = "status"
    seconds: float = 0.0

    def matches(self, method: str, path: str) -> bool:
        """Whether a request is one this rule fails."""
        return self.method in ("*", method.upper()) and path.startswith(self.path_prefix)

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
        self._chaos: tuple[float, random.Random, str, str, tuple[tuple[str, int], ...]] | None = None
        self.faulted: list[tuple[str, str, str]] = []
        self._failing: set[tuple[str, str]] = set()
        self.delay = 0.0
        self.throttling: Throttle | None = None

    def throttle(self, rate: float, burst: float | None = None) -> None:
        """Allow each API token ``rate`` requests per second, bursts of ``burst`` (0 turns it off)."""
        self.throttling = Throttle(rate, burst) if rate else None

    def fail_next(
        self,
        method: str,
        path_prefix: str,
        status: int = 0,
        *,
        kind: str = "status",
        times: int = 1,
        headers: dict[str, str] | None = None,
        body: Any = None,
        seconds: float = 0.0,
    ) -> None:
        """Fault the next ``times`` matching requests.

        Args:
            method: HTTP method to match, or ``"*"`` for any.
            path_prefix: Start of the request path, e.g. ``"/v1/orders"``.
            status: For ``kind="status"``: the status to answer, e.g. 503, or 429
                (which gets ``Retry-After: 1`` unless ``headers`` say otherwise).
            kind: One of ``KINDS``.
            times: How many requests to fault.
            headers: Extra reply headers of a status fault.
            body: JSON body of a status fault instead of ``{"detail": ...}``.
            seconds: For ``slow`` and ``latency``: how long.
        """
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)}")
        if times < 1 or (kind == "status" and not 100 <= status <= 599) or seconds < 0:
            raise ValueError("times must be >= 1, status an HTTP status, seconds >= 0")
        headers = dict(headers or {})
        if status == 429:
            headers.setdefault("Retry-After", "1")
        rule = FailRule(method.upper(), path_prefix, status, times, headers, body, kind, float(seconds))
        with self._lock:
            self._rules.append(rule)

    def chaos(
        self,
        rate: float,
        *,
        seed: int = 0,
        method: str = "*",
        path_prefix: str = "/v1/",
        menu: tuple[tuple[str, int], ...] = CHAOS_MENU,
    ) -> None:
        """Give each matching request a ``rate`` chance of a fault drawn from ``menu`` (seeded).

        Args:
            rate: Probability per request, 0 turns chaos off.
            menu: ``(kind, status)`` pairs to draw from; by default every kind that
                a client must survive (429, 502, 503, reset, drop, truncate, latency).
        """
        if not 0 <= rate <= 1:
            raise ValueError("rate must be between 0 and 1")
        with self._lock:
            self._chaos = (rate, random.Random(seed), method.upper(), path_prefix, menu) if rate else None

    def latency(self, seconds: float) -> None:
        """Delay every API request by ``seconds`` (0 turns it off)."""
        if seconds < 0:
            raise ValueError("latency must be >= 0")
        self.delay = float(seconds)

    def force(self, kind: str, job_id: str) -> None:
        """Make a background job fail where its state machine lands forced failures.

        Args:
            kind: A job kind of ``preo_nb.sandbox.core.jobs.KINDS``.
            job_id: The id of the refund request, data import, segment or campaign.
        """
        if kind not in JOB_KINDS:
            raise ValueError(f"kind must be one of {', '.join(JOB_KINDS)}")
        with self._lock:
            self._failing.add((kind, job_id))

    def job_fails(self, kind: str, job_id: str) -> bool:
        """Whether that job is forced to fail."""
        with self._lock:
            return (kind, job_id) in self._failing

    def fail_payout(self, refund_id: str) -> None:
        """Make that refund request's payout go awaiting_gateway -> failed."""
        self.force("refund", refund_id)

    def payout_fails(self, refund_id: str) -> bool:
        """Whether the payout of a refund request is forced to fail."""
        return self.job_fails("refund", refund_id)

    def fail_import(self, import_id: str) -> None:
        """Make that data import go importing -> failed instead of completed."""
        self.force("data_import", import_id)

    def fail_job(self, kind: str, job_id: str) -> None:
        """Make a segment or campaign calculation fail (``kind``: segment, campaign)."""
        if kind not in CALCULATIONS:
            raise ValueError("kind must be 'segment' or 'campaign'")
        self.force(kind, job_id)

    def clear(self) -> None:
        """Switch every fault off."""
        with self._lock:
            self._rules.clear()
            self._failing.clear()
            self._chaos = None
            self.faulted.clear()
            self.delay = 0.0
            self.throttling = None

    def take(self, method: str, path: str) -> FailRule | None:
        """Return (and use up one try of) the fault this request meets, if any."""
        with self._lock:
            rule = self._queued(method, path) or self._drawn(method, path)
            if rule is not None:
                self.faulted.append((method.upper(), path, rule.kind if rule.kind != "status" else str(rule.status)))
            return rule

    def _queued(self, method: str, path: str) -> FailRule | None:
        for rule in self._rules:
            if rule.matches(method, path):
                rule.times -= 1
                if rule.times == 0:
                    self._rules.remove(rule)
                return rule
        return None

    def _drawn(self, method: str, path: str) -> FailRule | None:
        if self._chaos is None:
            return None
        rate, draw, rule_method, prefix, menu = self._chaos
        if not FailRule(rule_method, prefix).matches(method, path) or draw.random() >= rate:
            return None
        kind, status = draw.choice(menu)
        headers = {"Retry-After": "1"} if status == 429 else {}
        return FailRule(method, path, status, 1, headers, kind=kind, seconds=0.2 if kind == "latency" else 0.0)

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
                "fail_payout": sorted(i for k, i in self._failing if k == "refund"),
                "fail_import": sorted(i for k, i in self._failing if k == "data_import"),
                "fail_job": [{"kind": k, "id": i} for k, i in sorted(self._failing) if k in CALCULATIONS],
                "chaos": None if self._chaos is None else {"rate": self._chaos[0], "path_prefix": self._chaos[3]},
                "faulted": len(self.faulted),
                "throttle": None if self.throttling is None else self.throttling.state(),
            }

    def apply(self, spec: dict[str, Any]) -> None:
        """Apply a control-endpoint body.

        ``{"clear": true, "latency": 0.2, "throttle": {"rate", "burst"?},
        "fail_payout": ["rfr_..."], "fail_import": ["dim_..."],
        "fail_job": [{"kind": "segment"|"campaign", "id"}],
        "fail_next": [{"method", "path_prefix", "status"?, "kind"?, "times"?, "headers"?, "body"?, "seconds"?}],
        "chaos": {"rate", "seed"?, "method"?, "path_prefix"?}}``;
        every key is optional and ``clear`` runs first.
        """
        if spec.get("clear"):
            self.clear()
        if "latency" in spec:
            self.latency(float(spec["latency"]))
        if "throttle" in spec:
            throttle = dict(spec["throttle"] or {"rate": 0})
            self.throttle(float(throttle["rate"]), throttle.get("burst"))
        for refund_id in spec.get("fail_payout", []):
            self.fail_payout(str(refund_id))
        for import_id in spec.get("fail_import", []):
            self.fail_import(str(import_id))
        for job in spec.get("fail_job", []):
            job = dict(job)  # a TypeError/ValueError here is a bad spec (400)
            self.fail_job(str(job.get("kind")), str(job.get("id", "")))
        for rule in spec.get("fail_next", []):
            self.fail_next(**rule)
        if "chaos" in spec:
            chaos = dict(spec["chaos"] or {"rate": 0})
            options = {k: chaos[k] for k in ("seed", "method", "path_prefix") if k in chaos}
            self.chaos(float(chaos.pop("rate")), **options)
