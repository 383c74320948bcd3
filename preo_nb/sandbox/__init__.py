"""The local Preo API simulator ("sandbox").

A stateful, deterministic Preo Management API on loopback, served by a
threaded Werkzeug server::

    with preo_nb.sandbox.running(seed=1) as sb:
        preo = preo_nb.connect(base_url=sb.url, token=sb.token)

    with preo_nb.sandbox.running(seed=1, in_process=True) as sb:   # no server, no socket
        preo = sb.connect()                                         # through sb.transport

``import preo_nb`` never imports this package, so Flask and Faker are only
needed by those who run a sandbox; and this package imports Flask only when a
server starts. Floors, each importing only those below it: ``core`` (state,
callers, errors, events, faults, jobs; it knows no domain), ``web`` (what every
domain's views share), one package per domain (``commerce``, then ``files`` and
``emails`` on it, ``marketing`` and ``webhooks`` on those: models with its
tables, render, rules, seed, views and a ``domain`` module registering them),
then ``domains`` (the registry), ``app`` (the Flask app built from it), ``seed``,
``finders`` and ``server``.
"""

from __future__ import annotations

from preo_nb.sandbox.core.faults import Faults
from preo_nb.sandbox.core.store import ANCHOR, Store
from preo_nb.sandbox.finders import SeededStore
from preo_nb.sandbox.seed import SCALES, build
from preo_nb.sandbox.server import Sandbox, issue_tokens, running, serve, start

__all__ = [
    "ANCHOR",
    "SCALES",
    "Faults",
    "Sandbox",
    "SeededStore",
    "Store",
    "build",
    "issue_tokens",
    "running",
    "serve",
    "start",
]
