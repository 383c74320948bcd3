"""The client: one HTTP session, one attribute per API group."""

from __future__ import annotations

import functools
import typing
from pathlib import Path
from typing import Any

from preo_nb import _excel_hint, _limiter
from preo_nb._http import HTTP
from preo_nb._limiter import Limiter
from preo_nb._retry import Policy
from preo_nb._transports import Transport
from preo_nb.config import MAX_ANSWER_BYTES, MAX_PAGES, Settings, Source, load_settings
from preo_nb.errors import ConfigurationError
from preo_nb.resources._base import Resource
from preo_nb.resources.auth import Auth
from preo_nb.resources.campaigns import Campaigns
from preo_nb.resources.consents import Consents
from preo_nb.resources.data_imports import DataImports
from preo_nb.resources.editions import Editions
from preo_nb.resources.email_messages import EmailMessages
from preo_nb.resources.files import Files
from preo_nb.resources.orders import Orders
from preo_nb.resources.purchases import Purchases
from preo_nb.resources.refunds import Refunds
from preo_nb.resources.segments import Segments
from preo_nb.resources.users import Users
from preo_nb.resources.webhooks import Webhooks


class Client:
    """A connection to the Preo Management API.

    It has one attribute per API group, declared below (``groups()`` reads them);
    every operation ``<group>_<verb>`` of the contract is ``client.<group>.<verb>``.
    """

    # The API groups: this list is the one place they are named (Tab completion
    # and type checkers read it as it stands; __init__ makes one of each).
    auth: Auth
    editions: Editions
    orders: Orders
    purchases: Purchases
    users: Users
    refunds: Refunds
    files: Files
    data_imports: DataImports
    email_messages: EmailMessages
    webhooks: Webhooks
    consents: Consents
    segments: Segments
    campaigns: Campaigns

    def __init__(
        self,
        settings: Settings,
        *,
        session: Any = None,
        transport: Transport | None = None,
        retry: Policy | None = None,
    ) -> None:
        self.settings = settings
        if transport is None and session is not None:  # a requests.Session of the caller's
            from preo_nb._transports.default import RequestsTransport

            transport = RequestsTransport(session, pool_size=max(10, 2 * settings.page_workers))
        self._http = HTTP(settings, transport, retry=retry)
        _limiter.of(self._http)  # from the first request, every one (a list's, a retrieve's, a refund's) is gated
        for name, group in groups().items():
            setattr(self, name, group(self._http))

    def __repr__(self) -> str:
        return f"<preo_nb.Client base_url={self.settings.base_url!r} token='***'>"

    @property
    def limiter(self) -> Limiter:
        """How many requests this client has in flight, and how fast (``limiter.pin(rate=10)`` to fix it)."""
        return _limiter.of(self._http)

    def close(self) -> None:
        """Close the HTTP connections."""
        self._http.transport.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


@functools.cache
def groups() -> dict[str, type[Resource]]:
    """The client's API groups: attribute name -> class, in the order ``Client`` declares them."""
    hints = typing.get_type_hints(Client)
    return {name: kind for name, kind in hints.items() if isinstance(kind, type) and issubclass(kind, Resource)}


def connect(
    base_url: str | None = None,
    token: str | None = None,
    *,
    timeout: float | None = None,
    env_file: str | Path | bool = True,
    page_size: int | None = None,
    page_workers: int | None = None,
    trailing_slash: bool | None = None,
    auth_scheme: str | None = None,
    max_answer_bytes: int = MAX_ANSWER_BYTES,
    max_pages: int = MAX_PAGES,
    retry: Policy | None = None,
    transport: Transport | None = None,
) -> Client:
    """Connect to the Preo API; arguments win over the environment, which wins over ``.env``.

    Args:
        base_url: API root; ``PREO_BASE_URL``, default ``https://api.preo.dev``.
            Plain ``http://`` is accepted only for loopback (a local sandbox).
        token: Bearer token; ``PREO_API_TOKEN``.
        timeout: Seconds one try of a request may take in all (connecting, waiting,
            reading the whole answer); ``PREO_TIMEOUT``, default 30.
        env_file: Path of a ``.env`` file; ``True`` looks for one from the working
            directory upwards; ``False`` reads none.
        page_size: Records per page when reading lists, 1-1000 (default 1000).
        page_workers: Threads reading the pages of a list at once, 1-32 (default 8; fewer
            if the API answers 429 too often); one while a cassette replays.
        trailing_slash: End every API path with "/" (the one original docs page shows
            ``.../refund/``). Without it, a write the API redirects there is refused with
            ``UnexpectedRedirect``, never followed. ``PREO_TRAILING_SLASH`` (true/false), default false.
        auth_scheme: How the token is sent: ``Authorization: <scheme> <token>``;
            ``PREO_AUTH_SCHEME``, default ``Bearer`` (the contract's inferred choice).
        max_answer_bytes: The largest answer read (default 64 MiB); a larger one raises
            ``AnswerTooLarge`` unread (docs/limits.md lists every bound).
        max_pages: Pages of one list read beyond its ``count``, or in all without one
            (default 10,000); past it ``IncompleteList``.
        retry: When to send again (``preo_nb.RetryPolicy(max_retries=4, backoff_factor=0.5,
            max_wait=30.0)``, the default); ``RetryPolicy(max_retries=0)`` never resends.
        transport: What sends each request (default: requests over sockets). A sandbox
            in this process: ``preo_nb.sandbox.running(in_process=True)`` and ``sb.connect()``,
            or ``transport=sb.transport`` (docs/architecture.md, "The transport").

    When ``PREO_NB_CASSETTE`` names a cassette file, every request is answered from
    it instead of the network (see ``preo_nb.testing``), and no token is needed.

    Warns:
        ConfigurationWarning: The base URL and the token come from different places
            (both are named), or the base URL ended in ``/v1`` (it is taken off).

    Raises:
        ConfigurationError: Missing token (or one pasted with ``Bearer``, quotes or
            spaces), unusable URL or timeout, unreadable ``.env``.
    """
    from preo_nb import testing

    replaying = testing.activate_from_env()
    try:
        settings = load_settings(
            base_url=base_url,
            token=token,
            timeout=timeout,
            env_file=env_file,
            page_size=page_size,
            page_workers=page_workers,
            trailing_slash=trailing_slash,
            auth_scheme=auth_scheme,
            max_answer_bytes=max_answer_bytes,
            max_pages=max_pages,
        )
    except ConfigurationError as exc:
        if not (replaying and exc.field == "token"):
            raise
        settings = load_settings(
            base_url=base_url,
            token=testing.REPLAY_TOKEN,
            timeout=timeout,
            env_file=env_file,
            page_size=page_size,
            page_workers=page_workers,
            trailing_slash=trailing_slash,
            auth_scheme=auth_scheme,
            max_answer_bytes=max_answer_bytes,
            max_pages=max_pages,
            token_source=Source("replay", f"the cassette replay ({testing.CASSETTE_ENV})"),
        )
    _excel_hint.install()
    return Client(settings, transport=transport, retry=retry)
