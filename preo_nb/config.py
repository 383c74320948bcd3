"""Connection settings: from arguments, then the environment, then ``.env``.

``PREO_API_TOKEN``, ``PREO_BASE_URL`` (default ``https://api.preo.dev``) and
``PREO_TIMEOUT`` (seconds) are read in that order of precedence. The token is
kept out of every ``repr`` and message; where it came from is kept instead
(``Settings.token_source``), so a 401 can say where to fix it. A base URL and a
token from different places (a ``.env`` in a parent folder setting
``PREO_BASE_URL`` while the token comes from the environment) give a
``ConfigurationWarning`` naming both.
"""

from __future__ import annotations

import inspect
import ipaddress
import math
import os
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit, urlunsplit

from dotenv import dotenv_values, find_dotenv
from dotenv.parser import parse_stream

from preo_nb.errors import ConfigurationError, ConfigurationWarning

DEFAULT_BASE_URL = "https://api.preo.dev"
DEFAULT_TIMEOUT = 30.0
MAX_PAGE_SIZE = 1000  # the contract's maximum; the server clamps larger values
DEFAULT_PAGE_WORKERS = 8  # keeps 100 pages at 50 ms latency server-bound, not latency-bound
MAX_PAGE_WORKERS = 32  # more threads only queue at the server (and invite 429s)
MAX_ANSWER_BYTES = 64 * 1024 * 1024  # a full page of 1000 records is well under 10 MiB
MAX_PAGES = 10_000  # pages read of one list when its count does not bound them (10 million records at most)
LOOPBACK_NAMES = {"localhost"}
ENV_NAMES = ("PREO_API_TOKEN", "PREO_BASE_URL", "PREO_TIMEOUT")
QUOTES = "\"'`\u2018\u2019\u201c\u201d"
SCHEMES = ("Bearer", "Token")  # what people paste from an Authorization header or DRF's docs


@dataclass(frozen=True)
class Source:
    """Where a setting came from: ``kind`` to compare, ``text`` to show a person."""

    kind: Literal["argument", "environment", "dotenv", "replay"]
    text: str

    def __str__(self) -> str:
        return self.text


ARGUMENT = Source("argument", "an argument to connect()")


@dataclass(frozen=True)
class Settings:
    """Everything the HTTP layer needs to talk to one Preo API.

    Attributes:
        base_url: Root URL without a trailing slash.
        token: Bearer token (never shown by ``repr``).
        timeout: Seconds one try of a request may take in all: connecting, waiting, and
            reading the whole answer (each socket wait is cut to the time left).
        max_retries: Retries of idempotent requests on connection errors, 429 and 502-504.
        backoff_factor: Base of the exponential backoff, in seconds.
        max_retry_wait: Cap on any single wait, ``Retry-After`` included.
        page_size: Records asked for per page by ``list()`` and ``iterate()``.
        page_workers: Threads fetching pages 2..n of a list concurrently.
        max_answer_bytes: The largest answer read; a larger one raises ``AnswerTooLarge``.
        max_pages: Pages read of one list beyond what its ``count`` allows (or in all, with
            no ``count``); past it the read ends in ``IncompleteList``.
        trailing_slash: End every API path with "/" (the one original docs page shows
            ``.../refund/``); a write redirected to such a path is refused, never followed.
        token_source: Where the token came from (an argument, ``PREO_API_TOKEN`` in the
            environment, or the ``.env`` file at a path); a 401 names it.
        base_url_source: Where the base URL came from; ``None`` for the default.
    """

    base_url: str
    token: str = field(repr=False)
    timeout: float = DEFAULT_TIMEOUT
    max_retries: int = 4
    backoff_factor: float = 0.5
    max_retry_wait: float = 30.0
    page_size: int = MAX_PAGE_SIZE
    page_workers: int = DEFAULT_PAGE_WORKERS
    max_answer_bytes: int = MAX_ANSWER_BYTES
    max_pages: int = MAX_PAGES
    trailing_slash: bool = False
    auth_scheme: str = "Bearer"
    token_source: Source = field(default=ARGUMENT, compare=False)
    base_url_source: Source | None = field(default=None, compare=False)

    def __repr__(self) -> str:
        return f"Settings(base_url={self.base_url!r}, token='***', timeout={self.timeout})"


def load_settings(
    *,
    base_url: str | None = None,
    token: str | None = None,
    timeout: float | None = None,
    env_file: str | Path | bool = True,
    page_size: int | None = None,
    page_workers: int | None = None,
    max_answer_bytes: int = MAX_ANSWER_BYTES,
    max_pages: int = MAX_PAGES,
    trailing_slash: bool = False,
    auth_scheme: str = "Bearer",
    token_source: Source | None = None,
) -> Settings:
    """Resolve the settings from arguments, environment and ``.env``, and check them.

    Args:
        base_url: Overrides ``PREO_BASE_URL``.
        token: Overrides ``PREO_API_TOKEN``.
        timeout: Overrides ``PREO_TIMEOUT``.
        page_size: Records per page for lists, 1 to 1000 (default 1000, the API's maximum).
        page_workers: Threads reading pages 2..n of a list at once, 1 to 32 (default 8).
        max_answer_bytes: The largest answer read, in bytes (default 64 MiB).
        max_pages: Pages of one list read beyond its ``count`` (or in all without one; default 10,000).
        env_file: A path to a ``.env`` file, ``True`` to look for ``.env`` from the
            working directory upwards, ``False`` to read none.
        max_answer_bytes: The largest answer read; a larger one raises ``AnswerTooLarge``.
        max_pages: Pages read of one list beyond what its ``count`` allows (or in all, with
            no ``count``); past it the read ends in ``IncompleteList``.
        trailing_slash: End every API path with "/" (for an API that redirects to such paths).
        auth_scheme: The ``Authorization`` scheme the token is sent with (``Bearer``; ``Token``
            if ``preo-nb check-contract`` finds the API wants that).
        token_source: Says where a ``token`` argument came from (default: an argument).

    Warns:
        ConfigurationWarning: The base URL and the token come from different places,
            or the base URL ended in ``/v1`` (which is then taken off).

    Raises:
        ConfigurationError: The token is missing, the URL unusable, the timeout
            not a positive number, or the ``.env`` file cannot be parsed.
    """
    dotenv, dotenv_path = _read_env_file(env_file)

    def pick(given: object, name: str, argument: str) -> tuple[str | None, Source | None]:
        if given is not None:
            return str(given), Source("argument", f"the {argument}= argument")
        if os.environ.get(name):
            return os.environ[name], Source("environment", f"the environment variable {name}")
        if dotenv.get(name):
            return dotenv[name], Source("dotenv", f"{name} in the .env file at {dotenv_path}")
        return None, None

    url, url_source = pick(base_url, "PREO_BASE_URL", "base_url")
    secret, secret_source = pick(token, "PREO_API_TOKEN", "token")
    secret_source = token_source or secret_source or ARGUMENT
    workers = DEFAULT_PAGE_WORKERS if page_workers is None else page_workers
    settings = Settings(
        base_url=check_base_url(url or DEFAULT_BASE_URL),
        token=check_token(secret, secret_source),
        timeout=_check_timeout(pick(timeout, "PREO_TIMEOUT", "timeout")[0]),
        page_size=_whole("page_size", MAX_PAGE_SIZE if page_size is None else page_size, 1, MAX_PAGE_SIZE),
        page_workers=_whole("page_workers", workers, 1, MAX_PAGE_WORKERS),
        max_answer_bytes=_whole("max_answer_bytes", max_answer_bytes, 1024, 2**40),
        max_pages=_whole("max_pages", max_pages, 1, 10**9),
        trailing_slash=_check_trailing_slash(trailing_slash),
        auth_scheme=_check_scheme(auth_scheme),
        token_source=secret_source,
        base_url_source=url_source,
    )
    _warn_if_mixed(settings)
    return settings


def _check_scheme(value: object) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"[A-Za-z][A-Za-z0-9-]{0,30}", value):
        raise ConfigurationError("auth_scheme", f"must be a word such as 'Bearer' or 'Token', not {value!r}")
    return value


def _check_trailing_slash(value: object) -> bool:
    if not isinstance(value, bool):
        raise ConfigurationError("trailing_slash", f"must be True or False, not {value!r}")
    return value


def _warn_if_mixed(settings: Settings) -> None:
    """Warn when the base URL and the token were found in different places (both named)."""
    url_source, token_source = settings.base_url_source, settings.token_source
    if url_source is None or "replay" in (url_source.kind, token_source.kind) or url_source.kind == token_source.kind:
        return
    _warn(
        f"the base URL {settings.base_url} comes from {url_source}, but the API token from {token_source}; "
        "make sure they belong together (set both in one place)"
    )


def _warn(message: str) -> None:
    """Warn (a ``ConfigurationWarning``, shown in notebooks) at the caller's line, outside preo_nb."""
    frame, level = inspect.currentframe(), 1
    while frame is not None and str(frame.f_globals.get("__name__", "")).startswith("preo_nb"):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, ConfigurationWarning, stacklevel=level)


def _read_env_file(env_file: str | Path | bool) -> tuple[dict[str, str | None], str]:
    """The values of the ``.env`` file in use, and its path ("" when none is read)."""
    if env_file is False:
        return {}, ""
    path = find_dotenv(usecwd=True) if env_file is True else str(env_file)
    if not path:
        return {}, ""
    if not Path(path).is_file():
        raise ConfigurationError("env_file", f"no such file: {path}")
    with open(path, encoding="utf-8") as stream:
        for binding in parse_stream(stream):
            if binding.error:
                line = binding.original.line
                raise ConfigurationError("env_file", f"{path} line {line} cannot be parsed")
    return dict(dotenv_values(path)), str(Path(path).resolve())


def check_token(token: str | None, source: Source = ARGUMENT) -> str:
    """Return the token, or say (naming ``source``, never echoing the token) why it is unusable."""
    if not token:
        raise ConfigurationError(
            "token",
            "no API token: pass token=..., or set PREO_API_TOKEN in the environment or in .env",
        )
    problem = _token_problem(token)
    if problem:
        raise ConfigurationError("token", f"the API token from {source} {problem}")
    return token


def _token_problem(token: str) -> str | None:
    """What is wrong with a pasted token: a scheme in front, quotes or spaces around, a break inside."""
    for scheme in SCHEMES:
        if token.strip(QUOTES + " \t\r\n").lower().startswith(scheme.lower() + " "):
            return f"starts with '{scheme} '; remove the '{scheme} ' prefix (preo_nb adds 'Bearer ' itself)"
    if token[0] in QUOTES or token[-1] in QUOTES:
        return "is wrapped in quotes; remove the quotes"
    if token != token.strip():
        return "has spaces or a line break around it; remove them"
    if any(ch.isspace() or not ch.isprintable() for ch in token):
        return "contains whitespace or control characters"
    return None


def check_base_url(url: str) -> str:
    """Return the base URL without a trailing slash or ``/v1``; refuse plain HTTP off loopback.

    Every API path starts with ``/v1``, so a base URL copied with it
    (``https://api.preo.dev/v1``) would call ``/v1/v1/...``: the ``/v1`` is taken
    off, with a ``ConfigurationWarning``.
    """
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigurationError("base_url", f"{url!r} is not an http(s) URL")
    if parts.query or parts.fragment or parts.username or parts.password:
        raise ConfigurationError("base_url", "the base URL must not carry a query, fragment or credentials")
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise ConfigurationError(
            "base_url",
            f"{url!r} is not HTTPS; plain HTTP is only allowed to loopback (127.0.0.1, localhost)",
        )
    path = parts.path.rstrip("/")
    if path.lower().endswith("/v1"):
        path = path[:-3].rstrip("/")
        corrected = urlunsplit((parts.scheme, parts.netloc, path, "", ""))
        _warn(f"base_url {url.strip()!r} ends in /v1, which preo_nb puts in front of every path; using {corrected!r}")
        return corrected
    return url.strip().rstrip("/")


def is_loopback(host: str) -> bool:
    """Whether ``host`` names this machine."""
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _check_timeout(value: str | None) -> float:
    if value is None:
        return DEFAULT_TIMEOUT
    try:
        seconds = float(value)
    except ValueError:
        raise ConfigurationError("timeout", f"{value!r} is not a number of seconds") from None
    if not math.isfinite(seconds) or seconds <= 0:
        raise ConfigurationError("timeout", f"must be a positive number of seconds, not {value!r}")
    return seconds


def _whole(name: str, value: object, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ConfigurationError(name, f"must be a whole number from {low} to {high}, not {value!r}")
    return value
