"""The pytest plugin preo_nb installs: a seeded Preo sandbox for your own tests, in one line.

Installed with preo_nb (entry point ``pytest11``), so any test may ask for:

* ``preo_sandbox``: a local Preo API (``preo_nb.sandbox.Sandbox``) started once
  per session and put back in its seeded state, faults off, before each test
  that uses it; ``preo_sandbox.store.find_purchase(refundable=True)`` and
  friends find seeded objects, ``preo_sandbox.faults`` breaks things on purpose;
* ``preo_client``: a ``preo_nb.Client`` connected to it as the admin, in process
  (``Sandbox.transport``: the same app and data, no socket); ``preo_sandbox.url`` is
  served too, for subprocesses and notebook kernels.

::

    def test_my_report(preo_client, preo_sandbox):
        edition = preo_sandbox.store.busiest_edition()["id"]
        assert len(my_report(preo_client, edition)) > 0

The seed and scale come from the ini options ``preo_sandbox_seed`` (default 1)
and ``preo_sandbox_scale`` (default ``small``). Without the ``sandbox`` extra the
fixtures fail, naming the pip command. This module imports only pytest: the
sandbox and the client are imported by the fixtures, when a test asks for them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from preo_nb.client import Client
    from preo_nb.sandbox import Sandbox

SANDBOX_MODULES = ("flask", "werkzeug", "faker")


def pytest_addoption(parser: pytest.Parser) -> None:
    """Declare the ini options that choose the sandbox's data."""
    parser.addini("preo_sandbox_seed", "seed of the preo_sandbox fixture's data", default="1")
    parser.addini("preo_sandbox_scale", "scale of the preo_sandbox fixture: tiny, small or medium", default="small")


@pytest.fixture(scope="session")
def _preo_sandbox_session(pytestconfig: pytest.Config) -> Iterator[Sandbox]:
    """One sandbox for the whole session (seeding a small one takes about half a second)."""
    from preo_nb.errors import MissingExtra, require

    missing = None
    try:
        require("sandbox", "preo_sandbox", *SANDBOX_MODULES)
    except MissingExtra as exc:
        missing = str(exc)  # failed outside the handler: the report shows the message, not a chain
    if missing:
        pytest.fail(missing, pytrace=False)
    from preo_nb.sandbox import running

    seed = int(pytestconfig.getini("preo_sandbox_seed"))
    scale = str(pytestconfig.getini("preo_sandbox_scale"))
    with running(seed=seed, scale=scale) as sandbox:
        yield sandbox


@pytest.fixture
def preo_sandbox(_preo_sandbox_session: Sandbox) -> Sandbox:
    """A running, seeded Preo sandbox, back in its seeded state with faults off."""
    _preo_sandbox_session.reset()
    return _preo_sandbox_session


@pytest.fixture
def preo_client(preo_sandbox: Sandbox) -> Client:
    """A ``preo_nb.Client`` connected to ``preo_sandbox`` as its admin, in process (no ``.env`` is read)."""
    import preo_nb

    return preo_nb.connect(
        base_url=preo_sandbox.url, token=preo_sandbox.token, env_file=False, transport=preo_sandbox.transport
    )
