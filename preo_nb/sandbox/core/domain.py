"""What one domain brings to the sandbox: its tables, its seeder, its views, its listeners.

Each domain package declares one ``Domain`` in its ``domain`` module, and the
top floor lists them once (``preo_nb.sandbox.domains.DOMAINS``): the store's
tables, the seeding and the app's routes are all built from that list, as moto
builds its server from its per-service backends. ``core`` defines the shape and
knows no domain.

A domain that extends a lower one (emails adds messages to commerce's editions)
fills the hooks the lower one declares (``commerce.seed_editions.EDITION_SEEDERS``,
``commerce.rules_editions.LINKS``, ``emails.rules.USERS``) in its ``domain``
module, so imports run one way: a domain imports the domains below it, never
one above it (``tests/sandbox/test_floors.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from preo_nb.sandbox.core.store import AnyStore, Listener, Tables

Seeder = Callable[[AnyStore, int, str], None]
"""Seeds a domain's tables: ``seed(store, seed, scale)``; the same arguments give the same data."""


@dataclass(frozen=True)
class Domain:
    """One domain of the sandbox, as the top floor assembles it.

    Attributes:
        tables: Its tables (a ``Tables`` subclass holding its records).
        seed: Adds its seeded records; domains are seeded in registry order.
        views: Its modules of views (relative to ``package``): the app adds
            the routes of every ``web.views.Group`` found in them.
        listeners: Told of every emitted event (``core.events.emit``).
    """

    tables: type[Tables]
    seed: Seeder
    views: tuple[str, ...] = ()
    listeners: tuple[Listener, ...] = ()

    @property
    def package(self) -> str:
        """The domain's package (``preo_nb.sandbox.commerce``): the one its tables are defined in."""
        return self.tables.__module__.rpartition(".")[0]
