"""The local Preo API simulator ("sandbox").

A stateful, deterministic Preo Management API on loopback, served by a
threaded Werkzeug server::

    with preo_nb.sandbox.running(seed=1) as sb:
        preo = preo_nb.connect(base_url=sb.url, token=sb.token)

``import preo_nb`` never imports this package, so Flask and Faker are only
needed by those who run a sandbox.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from werkzeug.http import http_date
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from preo_nb.sandbox.app import create_app
from preo_nb.sandbox.faults import Faults
from preo_nb.sandbox.seed import SCALES, build
from preo_nb.sandbox.store import ANCHOR, Store
from preo_nb.sandbox.web import EXTENSION

__all__ = [
    "ANCHOR",
    "SCALES",
    "Faults",
    "Sandbox",
    "Store",
    "build",
    "issue_tokens",
    "running",
    "serve",
    "start",
]

ROLES = ("admin", "manager", "staff", "guest")
HOST = "127.0.0.1"


class Sandbox:
    """A running sandbox server.

    Attributes:
        url: Base URL, e.g. ``http://127.0.0.1:54321``.
        token: The admin's bearer token (admin in both organizations).
        tokens: Bearer token per role: admin, manager, staff, guest.
        store: The live state; its lookup helpers (``store.first_edition()``,
            ``store.find_purchase(has_deposit=True)``, ...) return API dicts.
        faults: The fault switch (``faults.fail_next(...)``, ...).
        violations: Contract violations found (only with ``check_contract``).
    """

    def __init__(
        self,
        store: Store,
        faults: Faults,
        server: BaseWSGIServer,
        tokens: dict[str, str],
        violations: list[str],
    ) -> None:
        self.store = store
        self.faults = faults
        self.tokens = tokens
        self.token = tokens["admin"]
        self.violations = violations
        self.url = f"http://{HOST}:{server.server_port}"
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, name="preo-sandbox", daemon=True
        )
        self._thread.start()

    def reset(self) -> None:
        """Return to the freshly seeded state, clock restarted and faults off."""
        self.store.reset()
        self.faults.clear()

    def wait_for_deliveries(self, timeout: float = 10.0) -> bool:
        """Wait until every queued webhook delivery was attempted; False if some still run."""
        from preo_nb.sandbox.webhook_delivery import settle

        return settle(self.store, timeout)

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __repr__(self) -> str:
        # Tokens stay out of the repr so they never land in notebook outputs.
        return f"<Sandbox {self.url}>"


class _Handler(WSGIRequestHandler):
    """Request handler whose ``Date`` header follows the sandbox's clock, as its objects' times do."""

    def date_time_string(self, timestamp: float | None = None) -> str:
        """The server's time for the ``Date`` header (clients compare it with ``created``)."""
        return http_date(self.server.app.extensions[EXTENSION].store.now())  # type: ignore[attr-defined]


class _QuietHandler(_Handler):
    """Request handler that does not log every request (tests run thousands)."""

    def log_request(self, *args: Any, **kwargs: Any) -> None:
        """Skip the access log line."""


def issue_tokens(store: Store) -> dict[str, str]:
    """Give each role's staff member a fresh random token; return role -> token."""
    tokens = {role: "sbx_" + secrets.token_urlsafe(24) for role in ROLES}
    store.tokens = {
        token: store.data.role_staff[role] for role, token in tokens.items()
    }
    return tokens


def start(
    *,
    seed: int = 1,
    scale: str = "small",
    port: int = 0,
    check_contract: bool = False,
    store: Store | None = None,
) -> Sandbox:
    """Seed (unless ``store`` is given) and start a sandbox in a daemon thread.

    Args:
        seed: Seed of the generated data.
        scale: ``tiny``, ``small`` or ``medium``.
        port: Port on 127.0.0.1; 0 picks a free one.
        check_contract: Check every reply against the contract and collect
            violations in ``Sandbox.violations``.
        store: An already seeded store to serve instead.
    """
    store = store or build(seed, scale)
    faults = Faults()
    checker = None
    if check_contract:
        # Imported only when asked: checking replies is for tests.
        from preo_nb.sandbox.conformance import ContractChecker

        checker = ContractChecker()
    app = create_app(store, faults=faults, checker=checker)
    server = make_server(HOST, port, app, threaded=True, request_handler=_QuietHandler)
    violations = checker.violations if checker else []
    return Sandbox(store, faults, server, issue_tokens(store), violations)


@contextmanager
def running(
    *, seed: int = 1, scale: str = "small", port: int = 0, check_contract: bool = False
) -> Iterator[Sandbox]:
    """Run a sandbox for the duration of a ``with`` block."""
    sandbox = start(seed=seed, scale=scale, port=port, check_contract=check_contract)
    try:
        yield sandbox
    finally:
        sandbox.stop()


def serve(
    *,
    port: int = 8765,
    seed: int = 1,
    scale: str = "small",
    announce: Callable[[str], Any] = print,
) -> None:
    """Serve a sandbox in the foreground until interrupted (``preo-nb sandbox``).

    Announces the base URL and one token per role before serving.
    """
    store = build(seed, scale)
    tokens = issue_tokens(store)
    app = create_app(store, faults=Faults())
    server = make_server(HOST, port, app, threaded=True, request_handler=_Handler)
    announce(
        f"Preo sandbox (seed {seed}, scale {scale}) on http://{HOST}:{server.server_port}"
    )
    for role, token in tokens.items():
        announce(f"  {role} token: {token}")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
