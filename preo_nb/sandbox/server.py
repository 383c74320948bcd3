"""Running a sandbox: in a background thread (``start``, ``running``), in the foreground (``serve``),
or in this process without a server (``running(in_process=True)``: its app answers through
``preo_nb._transports.wsgi.WSGITransport``, no socket).

Flask and Werkzeug are imported when a sandbox is made, not when this module is,
so the sandbox's core, rules and seeders import without a web framework.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, cast

from preo_nb.sandbox.core.faults import Faults
from preo_nb.sandbox.core.store import AnyStore
from preo_nb.sandbox.finders import SeededStore
from preo_nb.sandbox.seed import build

if TYPE_CHECKING:
    from flask import Flask
    from werkzeug.serving import BaseWSGIServer

    from preo_nb._transports.wsgi import WSGITransport
    from preo_nb.client import Client

ROLES = ("admin", "manager", "staff", "guest")
HOST = "127.0.0.1"
IN_PROCESS_URL = f"http://{HOST}:9"  # discard: a client sent there without the transport reaches nothing


class Sandbox:
    """A running sandbox server.

    Attributes:
        url: Base URL, e.g. ``http://127.0.0.1:54321`` (in process: a loopback address
            nothing listens on; connect with ``transport`` or ``connect()``).
        transport: Answers requests by calling the app in this process, no socket.
        token: The admin's bearer token (admin in both organizations).
        tokens: Bearer token per role: admin, manager, staff, guest.
        store: The live state; its lookup helpers (``store.first_edition()``,
            ``store.find_purchase(has_deposit=True)``, ...) return API dicts.
        faults: The fault switch (``faults.fail_next(...)``, ...).
        violations: Contract violations found (only with ``check_contract``).
    """

    def __init__(
        self,
        store: SeededStore,
        faults: Faults,
        app: Flask,
        tokens: dict[str, str],
        violations: list[str],
        server: BaseWSGIServer | None = None,
    ) -> None:
        from preo_nb._transports.wsgi import WSGITransport

        self.store = store
        self.faults = faults
        self.tokens = tokens
        self.token = tokens["admin"]
        self.violations = violations
        self.transport: WSGITransport = WSGITransport(app)
        self.url = IN_PROCESS_URL if server is None else f"http://{HOST}:{server.server_port}"
        self._server = server
        self._thread: threading.Thread | None = None
        if server is not None:
            self._thread = threading.Thread(target=server.serve_forever, name="preo-sandbox", daemon=True)
            self._thread.start()

    def connect(self, role: str = "admin", **options: Any) -> Client:
        """A client as ``role`` (admin, manager, staff, guest); in process when there is no server.

        Args:
            options: More arguments of ``preo_nb.connect`` (``page_size=...``, ``retry=...``).
        """
        from preo_nb.client import connect

        transport = self.transport if self._server is None else None
        return connect(base_url=self.url, token=self.tokens[role], env_file=False, transport=transport, **options)

    def reset(self) -> None:
        """Return to the freshly seeded state, clock restarted and faults off."""
        self.store.reset()
        self.faults.clear()

    def wait_for_deliveries(self, timeout: float = 10.0) -> bool:
        """Wait until every queued webhook delivery was attempted; False if some still run."""
        from preo_nb.sandbox.webhooks.delivery import settle
        from preo_nb.sandbox.webhooks.models import Store as WebhooksStore

        # The seeded store holds every domain's tables, the webhooks' among them.
        return settle(cast("WebhooksStore", self.store), timeout)

    def stop(self) -> None:
        """Stop serving and close the socket (nothing to do in process)."""
        if self._server is None or self._thread is None:
            return
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __repr__(self) -> str:
        # Tokens stay out of the repr so they never land in notebook outputs.
        return f"<Sandbox {self.url}>"


def issue_tokens(store: AnyStore) -> dict[str, str]:
    """Give each role's staff member a fresh random token; return role -> token."""
    tokens = {role: "sbx_" + secrets.token_urlsafe(24) for role in ROLES}
    store.tokens = {token: store.data.role_staff[role] for role, token in tokens.items()}
    return tokens


def start(
    *,
    seed: int = 1,
    scale: str = "small",
    port: int = 0,
    check_contract: bool = False,
    store: SeededStore | None = None,
    in_process: bool = False,
    throttle: float = 0,
) -> Sandbox:
    """Seed (unless ``store`` is given) and start a sandbox in a daemon thread, or in process.

    Args:
        seed: Seed of the generated data.
        scale: ``tiny``, ``small`` or ``medium``.
        port: Port on 127.0.0.1; 0 picks a free one.
        check_contract: Check every reply against the contract and collect
            violations in ``Sandbox.violations``.
        store: An already seeded store to serve instead.
        in_process: Serve no socket: requests reach the app through ``Sandbox.transport``
            (``Sandbox.connect()``), a subprocess or notebook kernel cannot reach it.
        throttle: Requests per second allowed to each API token, DRF-style
            (``Faults.throttle``); 0 does not throttle.
    """
    from preo_nb.sandbox.app import create_app
    from preo_nb.sandbox.web import serving
    from preo_nb.sandbox.web.contract_check import ContractChecker

    store = store or build(seed, scale)
    faults = Faults()
    faults.throttle(throttle)
    # Checking replies is for tests; it costs a schema validation per reply.
    checker = ContractChecker() if check_contract else None
    app = create_app(store, faults=faults, checker=checker)
    server = None if in_process else serving.server(app, port)
    violations = checker.violations if checker else []
    return Sandbox(store, faults, app, issue_tokens(store), violations, server)


@contextmanager
def running(
    *,
    seed: int = 1,
    scale: str = "small",
    port: int = 0,
    check_contract: bool = False,
    in_process: bool = False,
    throttle: float = 0,
) -> Iterator[Sandbox]:
    """Run a sandbox for the duration of a ``with`` block (arguments as for ``start``)."""
    sandbox = start(
        seed=seed, scale=scale, port=port, check_contract=check_contract, in_process=in_process, throttle=throttle
    )
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
    throttle: float = 0,
) -> None:
    """Serve a sandbox in the foreground until interrupted (``preo-nb sandbox``).

    Announces the base URL, one token per role and the two ``.env`` lines that
    connect a notebook as the admin, before serving. ``throttle`` as for ``start``.
    """
    from preo_nb.sandbox.app import create_app
    from preo_nb.sandbox.web import serving

    store = build(seed, scale)
    tokens = issue_tokens(store)
    faults = Faults()
    faults.throttle(throttle)
    server = serving.server(create_app(store, faults=faults), port, quiet=False)
    url = f"http://{HOST}:{server.server_port}"
    limit = f", {throttle:g} requests/s per token" if throttle else ""
    announce(f"Preo sandbox (seed {seed}, scale {scale}{limit}) on {url}")
    for role, token in tokens.items():
        announce(f"  {role} token: {token}")
    announce("Connect from a notebook with these two lines in a .env file next to it:")
    announce(f"PREO_BASE_URL={url}")
    announce(f"PREO_API_TOKEN={tokens['admin']}")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
