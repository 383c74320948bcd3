"""All sandbox state, its lock, its clock and its id generator.

Every request runs its work while holding ``Store.lock``, so views can read and
change the tables without further locking. The whole state lives in one
``Tables`` object (records plus the id generator) so a snapshot is one pickle and
a reset is one unpickle: tests get back to the seeded state in milliseconds.

This module knows no domain: ``Tables`` holds what every domain shares
(organizations, staff, emitted events, ids). Each domain extends it with its own
tables in its ``models`` (and names ``Store[ItsTables]`` its ``Store``); the
sandbox's top floor (``preo_nb.sandbox.domains``) joins them into one class.
"""

from __future__ import annotations

import pickle
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Generic, TypeAlias, TypeVar

from preo_nb.sandbox.core.access import Organization, StaffMember
from preo_nb.sandbox.core.clock import ANCHOR, Clock
from preo_nb.sandbox.core.ids import new_id

__all__ = ["ANCHOR", "AnyStore", "Listener", "Store", "Tables"]


@dataclass
class Tables:
    """The records every domain shares, keyed by id in insertion order, plus the id generator.

    Each domain's ``models.Tables`` adds its own tables to these. ``issued``
    remembers every id handed out, so none is ever given twice, not even after
    its object was deleted.
    """

    organizations: dict[str, Organization] = field(default_factory=dict)
    staff: dict[str, StaffMember] = field(default_factory=dict)
    emitted: list[dict[str, Any]] = field(default_factory=list)
    ids: random.Random = field(default_factory=lambda: random.Random(0))
    issued: set[str] = field(default_factory=set)
    role_staff: dict[str, str] = field(default_factory=dict)


TablesT = TypeVar("TablesT", bound=Tables, covariant=True)
Listener = Callable[["AnyStore", dict[str, Any]], object]
"""Told of every emitted event (``core.events.emit``), e.g. to queue webhook deliveries."""


class Store(Generic[TablesT]):
    """The sandbox state plus lock, clock, ids and tokens.

    Records live in ``data`` (one table per kind); the domains' rules read and
    change them. The helpers that find seeded objects for tests and notebooks
    are in ``preo_nb.sandbox.finders`` (``SeededStore``).
    """

    def __init__(
        self,
        tables: type[TablesT],
        seed: int = 1,
        clock: Callable[[], datetime] | None = None,
        *,
        listeners: tuple[Listener, ...] = (),
    ) -> None:
        self.lock = threading.RLock()
        self.clock: Callable[[], datetime] = clock or Clock()
        self.data: TablesT = tables(ids=random.Random(f"ids-{seed}"))
        self.listeners = listeners
        self.tokens: dict[str, str] = {}
        self._snapshot: bytes | None = None
        self.generation = 0
        self.results: dict[Any, Any] = {}

    # -- remembered list results ------------------------------------------

    def touch(self) -> None:
        """Forget remembered list results: the tables may have changed.

        Every request that may change state calls this (``web.Group``), and so
        does ``reset``; code that changes ``data`` directly outside a request
        should call it too.
        """
        self.generation += 1
        self.results.clear()

    def remember(self, key: Any, compute: Callable[[], Any]) -> Any:
        """Return ``compute()``, kept under ``key`` until the next ``touch``.

        Lets a list read page after page without filtering and sorting the whole
        table for each page, as a database index would (a few results at most).
        """
        with self.lock:
            if key not in self.results:
                if len(self.results) >= 8:
                    self.results.pop(next(iter(self.results)))
                self.results[key] = compute()
            return self.results[key]

    # -- time and ids -------------------------------------------------------

    def now(self) -> datetime:
        """Return the store's current time (aware UTC, whole seconds)."""
        return self.clock().astimezone(UTC).replace(microsecond=0)

    def new_id(self, prefix: str) -> str:
        """Return a fresh id: ``prefix`` plus 12 hex digits, reproducible per seed."""
        return new_id(self.data.ids, self.data.issued, prefix)

    # -- snapshot and reset -------------------------------------------------

    def snapshot(self) -> None:
        """Remember the current state as the one ``reset`` returns to."""
        with self.lock:
            self._snapshot = pickle.dumps(self.data, protocol=pickle.HIGHEST_PROTOCOL)

    def reset(self) -> None:
        """Return to the last snapshot (the freshly seeded state) and restart the clock."""
        with self.lock:
            if self._snapshot is None:
                raise RuntimeError("no snapshot taken")
            self.data = pickle.loads(self._snapshot)  # noqa: S301 - our own bytes, never input
            self.touch()
            reset_clock = getattr(self.clock, "reset", None)
            if callable(reset_clock):
                reset_clock()

    # -- callers ------------------------------------------------------------

    def staff_for_token(self, token: str) -> StaffMember | None:
        """Return the staff member a bearer token belongs to."""
        staff_id = self.tokens.get(token)
        return self.data.staff.get(staff_id) if staff_id else None

    # -- facts the rules need -----------------------------------------------

    def org_id(self, n: int = 1) -> str:
        """Return the id of the ``n``-th seeded organization (1-based)."""
        return list(self.data.organizations)[n - 1]


AnyStore: TypeAlias = Store[Any]
"""A store typed for no domain in particular: what a hook one domain declares and another fills is given."""
