"""Fixtures for the sandbox tests: one live tiny sandbox, reset before each test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests

from preo_nb.sandbox import Sandbox, running


class Api:
    """A requests session for one role, with paths relative to the sandbox."""

    def __init__(self, base_url: str, token: str | None) -> None:
        self.base_url = base_url
        self.session = requests.Session()
        if token:
            self.session.headers["Authorization"] = f"Bearer {token}"

    def get(self, path: str, **params: Any) -> requests.Response:
        """GET with query parameters."""
        return self.session.get(self.base_url + path, params=params, timeout=10)

    def post(self, path: str, body: Any = None) -> requests.Response:
        """POST a JSON body (or none)."""
        return self.session.post(self.base_url + path, json=body, timeout=10)

    def patch(self, path: str, body: Any) -> requests.Response:
        """PATCH a JSON body."""
        return self.session.patch(self.base_url + path, json=body, timeout=10)


RoleApi = Callable[[str | None], Api]
"""``as_role("staff")`` -> an Api with that role's token."""


@pytest.fixture(scope="session")
def tiny_sandbox() -> Iterator[Sandbox]:
    """A contract-checked tiny sandbox shared by all sandbox tests.

    Teardown fails when any reply sent during the session broke the contract.
    """
    with running(seed=1, scale="tiny", check_contract=True) as sb:
        yield sb
        assert not sb.violations, "replies broke the contract:\n" + "\n".join(sb.violations)


@pytest.fixture
def sb(tiny_sandbox: Sandbox) -> Sandbox:
    """The shared sandbox, back in its seeded state with faults off."""
    tiny_sandbox.reset()
    return tiny_sandbox


@pytest.fixture
def as_role(sb: Sandbox) -> RoleApi:
    """``as_role("staff")``: a client with that role's token (None: no token)."""
    return lambda role: Api(sb.url, sb.tokens[role] if role else None)


@pytest.fixture
def admin(as_role: RoleApi) -> Api:
    """Admin in both organizations."""
    return as_role("admin")


@pytest.fixture
def manager(as_role: RoleApi) -> Api:
    """Manager in organization 1, staff in organization 2."""
    return as_role("manager")


@pytest.fixture
def staff(as_role: RoleApi) -> Api:
    """Staff in organization 1 only."""
    return as_role("staff")


@pytest.fixture
def guest(as_role: RoleApi) -> Api:
    """Guest in organization 1 only."""
    return as_role("guest")
