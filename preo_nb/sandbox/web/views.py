"""What every domain's views need from the web layer.

Request-scoped accessors (the store, the fault switch, the caller), the
``Group`` registry that turns view functions named after operationIds into
routes taken from the contract, and authentication by bearer token. Reading
request bodies is in ``body``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import Flask, current_app, g, request

from preo_nb import contract
from preo_nb.sandbox.core.access import Caller
from preo_nb.sandbox.core.errors import unauthorized
from preo_nb.sandbox.core.faults import Faults
from preo_nb.sandbox.core.store import AnyStore, Store, Tables

EXTENSION = "preo_sandbox"
View = Callable[..., Any]


@dataclass
class Services:
    """What the app serves: the state and the fault switch."""

    store: AnyStore
    faults: Faults


def services() -> Services:
    """Return the services of the current app."""
    found: Services = current_app.extensions[EXTENSION]
    return found


def store() -> AnyStore:
    """Return the store of the current app."""
    return services().store


TablesT = TypeVar("TablesT", bound=Tables)


def typed_store(tables: type[TablesT]) -> Callable[[], Store[TablesT]]:
    """Return ``store`` typed for a domain: its views say ``store = typed_store(Tables)``.

    The web layer knows no domain's tables; the app serves one store holding them all.
    """

    def typed() -> Store[TablesT]:
        found: Store[TablesT] = services().store
        return found

    return typed


def caller() -> Caller:
    """Return the authenticated caller of the current request."""
    found: Caller = g.caller
    return found


class Group:
    """The views of one API group.

    A view function's name is its operationId: ``register`` looks up the
    path and method in the contract and uses the operationId as the Flask
    endpoint name, so routes cannot drift from the contract.
    """

    def __init__(self, tag: str) -> None:
        self.tag = tag
        self.views: dict[str, View] = {}

    def view(self, func: View) -> View:
        """Register ``func`` as the view of the operation it is named after."""
        operation = contract.operations()[func.__name__]
        if operation.tag != self.tag:
            raise ValueError(f"{func.__name__} belongs to {operation.tag}, not {self.tag}")
        self.views[func.__name__] = func
        return func

    def register(self, app: Flask) -> None:
        """Add a URL rule per view; each view runs holding the store lock."""
        for operation_id, func in self.views.items():
            operation = contract.operations()[operation_id]
            path = re.sub(r"\{(\w+)\}", r"<\1>", operation.path)
            app.add_url_rule(
                path,
                endpoint=operation_id,
                view_func=_locked(func, changes=operation_id not in PURE_READS),
                methods=[operation.method],
                # The contract declares no OPTIONS; Flask's automatic one
                # would answer outside it, so OPTIONS gets the 405 reply.
                provide_automatic_options=False,
            )


PURE_READS = frozenset({"orders_list", "orders_retrieve", "purchases_retrieve"})
"""Operations that never change state, so list results remembered by the store stay valid.

Every other one (even a GET: retrieving a job moves it on) makes the store forget them.
"""


def _locked(func: View, *, changes: bool) -> View:
    @functools.wraps(func)
    def view(**kwargs: Any) -> Any:
        # Path values are passed positionally, in path order, so views name
        # them freely (edition_id rather than the contract's generic id).
        with store().lock:
            if changes:
                store().touch()
            return func(*kwargs.values())

    return view


def authenticate(sandbox: AnyStore) -> Caller:
    """Return the caller named by the request's bearer token.

    Raises:
        ApiError: 401 with a Bearer challenge when the token is missing or unknown.
    """
    header = request.headers.get("Authorization", "")
    if not header:
        raise unauthorized("Authentication credentials were not provided.")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise unauthorized("Invalid token header. No credentials provided.")
    member = sandbox.staff_for_token(token.strip())
    if member is None:
        raise unauthorized("Invalid token.")
    return Caller(member)
