"""Background jobs as state machines that each retrieve moves one step (README 4.1).

The API's long-running work (paying out a refund, importing orders,
calculating a segment, sending a campaign) happens "in the background"; the
sandbox does it a step at a time, whenever the job is retrieved, so a client
that polls sees every state. Each kind of job declares its machine once, in the
spirit of moto's ``ManagedState``:

============  ======  =====================================================  ==================
kind          field   states a retrieve moves on                             forced failure at
============  ======  =====================================================  ==================
refund        status  ready -> processing -> awaiting_gateway -> processed   awaiting_gateway
data_import   stage   uploaded -> needs_column_mapping; importing -> completed  importing
segment       status  pending -> processing -> completed                     processing
campaign      status  scheduled (when due) -> calculating -> sending -> sent  calculating
============  ======  =====================================================  ==================

The machines live next to the work they do (``commerce.rules_refunds.PAYOUT``,
``files.jobs.IMPORT``, ``marketing.rules.CALCULATION`` and ``CAMPAIGN``); the
fault switch (``Faults.force(kind, id)``) makes a job fail where its machine
says forced failures land.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, Protocol, TypeVar

from preo_nb.sandbox.core.store import AnyStore

KINDS = ("refund", "data_import", "segment", "campaign")


class JobRecord(Protocol):
    """A record a machine moves: it has an id and a modification time."""

    id: str
    modified: datetime


Job = TypeVar("Job", bound=JobRecord)


class FailureSwitch(Protocol):
    """What a machine asks the fault switch (``Faults`` answers it)."""

    def job_fails(self, kind: str, job_id: str) -> bool:
        """Whether that job is forced to fail."""


@dataclass(frozen=True)
class Machine(Generic[Job]):
    """How one kind of job moves on, one step per retrieve.

    Attributes:
        kind: One of ``KINDS``: the name the fault switch uses.
        states: Every state, in workflow order (documentation and a check of ``steps``).
        steps: State -> what a retrieve does there: the next state's name (the
            job just moves there and its ``modified`` time is set), or a function
            doing the work of that step. States without a step wait for the caller.
        fails_at: The state in which a forced failure strikes.
        fail: Ends a job as failed with a message (and emits what that emits).
        failure: The message of a forced failure.
        field: The attribute holding the state.
        forced_by: The ``(kind, id)`` switches that force this job to fail; by
            default the job's own.
    """

    kind: str
    states: tuple[str, ...]
    steps: Mapping[str, str | Callable[[AnyStore, Job], None]]
    fails_at: str
    fail: Callable[[AnyStore, Job, str], None]
    failure: str
    field: str = "status"
    forced_by: Callable[[AnyStore, Job], Iterable[tuple[str, str]]] | None = None

    def __post_init__(self) -> None:
        targets = [step for step in self.steps.values() if isinstance(step, str)]
        unknown = {*self.steps, *targets, self.fails_at} - set(self.states)
        if self.kind not in KINDS or unknown:
            raise ValueError(f"bad {self.kind} machine: unknown kind or states {sorted(unknown)}")

    def advance(self, store: AnyStore, job: Job, switch: FailureSwitch) -> None:
        """Move ``job`` one step on (hold the store lock); a forced failure ends it instead."""
        state = getattr(job, self.field)
        if state == self.fails_at and any(switch.job_fails(kind, key) for kind, key in self._switches(store, job)):
            self.fail(store, job, self.failure)
            return
        step = self.steps.get(state)
        if isinstance(step, str):
            setattr(job, self.field, step)
            job.modified = store.now()
        elif step is not None:
            step(store, job)

    def _switches(self, store: AnyStore, job: Job) -> Iterable[tuple[str, str]]:
        if self.forced_by is not None:
            return self.forced_by(store, job)
        return [(self.kind, job.id)]
