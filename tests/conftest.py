"""Shared fixtures: an isolated environment, sandboxes, cassette-backed clients.

Clients of the session's sandboxes talk to them in process (``Sandbox.transport``: no
socket, no server thread in the way) unless a test asks for sockets (``sockets=True``);
the servers still run, for subprocesses, notebook kernels and proxies in front of them.
"""

from __future__ import annotations

import dataclasses
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests

import preo_nb
from preo_nb import testing
from preo_nb.config import load_settings

ROOT = Path(__file__).resolve().parents[1]
CASSETTES = ROOT / "cassettes"
NOTEBOOKS = ROOT / "preo_nb" / "notebooks"
REPLAY_URL = "http://127.0.0.1:9"  # nothing listens there: replay only
CASSETTE_PAGE_SIZE = 50  # small pages so recorded lists span several pages
IN_PROCESS: dict[str, object] = {}  # base URL of a session sandbox -> its in-process transport


def pytest_recording_configure(config: pytest.Config, vcr: object) -> None:
    testing.register_matchers(vcr)


@pytest.fixture(scope="session")
def vcr_config() -> dict:
    config = testing.vcr_config()
    config.pop("record_mode")  # --record-mode on the command line decides
    return config


@pytest.fixture(scope="module")
def vcr_cassette_dir(request: pytest.FixtureRequest) -> str:
    return str(CASSETTES / request.module.__name__.rsplit(".", 1)[-1].removeprefix("test_"))


@pytest.fixture(scope="session")
def sandbox() -> Iterator[object]:
    """A live, contract-checked sandbox at the demo's scale, shared by the session."""
    from preo_nb.sandbox import running

    with running(seed=1, scale="small", check_contract=True) as sb:
        IN_PROCESS[sb.url] = sb.transport
        yield sb
        IN_PROCESS.pop(sb.url)
        assert not sb.violations, "sandbox responses broke the contract:\n" + "\n".join(sb.violations)


@pytest.fixture(scope="session")
def recording_sandbox() -> Iterator[object]:
    """The small-data sandbox cassettes are recorded from (started only when recording)."""
    from preo_nb.sandbox import running

    with running(seed=1, scale="tiny", check_contract=True) as sb:
        yield sb
        assert not sb.violations, "sandbox responses broke the contract:\n" + "\n".join(sb.violations)


def client(base_url: str, token: str, *, sockets: bool = False, **changes: object) -> preo_nb.Client:
    """A client with adjusted settings; in process when ``base_url`` is the session sandbox's."""
    settings = load_settings(base_url=base_url, token=token, env_file=False)
    transport = None if sockets else IN_PROCESS.get(base_url)
    return preo_nb.Client(dataclasses.replace(settings, **changes), transport=transport)


@pytest.fixture
def connect_to() -> Callable[..., preo_nb.Client]:
    """``connect_to(url, token, sockets=False, **settings)``: a client with adjusted settings."""
    return client


@pytest.fixture
def preo_as(record_mode: str, request: pytest.FixtureRequest) -> Callable[[str], preo_nb.Client]:
    """Clients for cassette tests, by role: replaying, or recording from a fresh tiny sandbox."""
    if record_mode == "none":
        return lambda role="admin": client(REPLAY_URL, testing.REPLAY_TOKEN, page_size=CASSETTE_PAGE_SIZE)
    sb = request.getfixturevalue("recording_sandbox")
    sb.reset()
    return lambda role="admin": client(sb.url, sb.tokens[role], page_size=CASSETTE_PAGE_SIZE)


@pytest.fixture
def preo(preo_as: Callable[[str], preo_nb.Client]) -> preo_nb.Client:
    """An admin client for cassette tests."""
    return preo_as("admin")


@pytest.fixture
def live(sandbox: object) -> preo_nb.Client:
    """An admin client on the live sandbox, which starts from its seeded state."""
    sandbox.reset()
    return client(sandbox.url, sandbox.token)


@pytest.fixture
def nothing_sent(monkeypatch: pytest.MonkeyPatch) -> list:
    """Fail if any request reaches a transport (requests' adapter, or a sandbox's in process); yields the
    list of attempts."""
    from preo_nb._transports.wsgi import WSGITransport

    attempts: list = []

    def refuse(transport: object, request: requests.PreparedRequest, *args: object, **kwargs: object) -> None:
        attempts.append(request)
        raise AssertionError(f"a request left the client: {request.method} {request.url}")

    monkeypatch.setattr(requests.adapters.HTTPAdapter, "send", refuse)
    monkeypatch.setattr(WSGITransport, "send", refuse)
    return attempts


@pytest.fixture
def bulk_refund_command() -> Callable[..., tuple[list[str], dict[str, str]]]:
    """``make(sandbox, ids, journal, folder, *options)``: the ``preo-nb bulk-refund`` command line of an
    ``event_cancelled`` refund of ``ids`` (written to ``folder/ids.txt``) and the environment it runs in."""

    def make(sandbox: object, ids: list[str], journal: Path, folder: Path, *options: str):
        (folder / "ids.txt").write_text("\n".join(ids))
        env = {**os.environ, "PREO_BASE_URL": sandbox.url, "PREO_API_TOKEN": sandbox.token, "PREO_NB_PROGRESS": "off"}
        command = [
            sys.executable,
            "-m",
            "preo_nb.cli",
            "bulk-refund",
            "--purchases",
            "ids.txt",
            "--reason",
            "event_cancelled",
            "--journal",
            str(journal),
            *options,
        ]
        return command, env

    return make


@pytest.fixture
def lists_carry_purchases(monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    """``carry(purchase=render.purchase)``: make the sandbox's orders list items carry each order's purchases,
    rendered by ``purchase`` (a server that sends more than the contract's list declares)."""
    from preo_nb.sandbox.commerce import render

    plain = render.order

    def carry(purchase: Callable[..., dict] = render.purchase) -> None:
        def with_purchases(store: object, record: object) -> dict:
            carried = [purchase(store, store.data.purchases[p]) for p in record.purchase_ids]  # type: ignore[attr-defined]
            return plain(store, record) | {"purchases": carried}

        monkeypatch.setattr(render, "order", with_purchases)

    return carry
