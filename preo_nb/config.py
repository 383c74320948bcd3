"""Connection settings: from arguments, then the environment, then ``.env``.

``PREO_API_TOKEN``, ``PREO_BASE_URL`` (default ``https://api.preo.dev``) and
``PREO_TIMEOUT`` (seconds) are read in that order of precedence. The token is
kept out of every ``repr`` and message.
"""

from __future__ import annotations

import ipaddress
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from dotenv import dotenv_values, find_dotenv
from dotenv.parser import parse_stream

from preo_nb.errors import ConfigurationError

DEFAULT_BASE_URL = "https://api.preo.dev"
DEFAULT_TIMEOUT = 30.0
MAX_PAGE_SIZE = 1000  # the contract's maximum; the server clamps larger values
DEFAULT_PAGE_WORKERS = 8  # keeps 100 pages at 50 ms latency server-bound, not latency-bound
MAX_PAGE_WORKERS = 32  # more threads only queue at the server (and invite 429s)
LOOPBACK_NAMES = {"localhost"}
ENV_NAMES = ("PREO_API_TOKEN", "PREO_BASE_URL", "PREO_TIMEOUT")


@dataclass(frozen=True)
class Settings:
    """Everything the HTTP layer needs to talk to one Preo API.

    Attributes:
        base_url: Root URL without a trailing slash.
        token: Bearer token (never shown by ``repr``).
        timeout: Seconds to wait for connecting and for each read.
        max_retries: Retries of idempotent requests on connection errors, 429 and 502-504.
        backoff_factor: Base of the exponential backoff, in seconds.
        max_retry_wait: Cap on any single wait, ``Retry-After`` included.
        page_size: Records asked for per page by ``list()`` and ``iterate()``.
        page_workers: Threads fetching pages 2..n of a list concurrently.
        trailing_slash: End every API path with "/" (the one original docs page shows
            ``.../refund/``); a write redirected to such a path is refused, never followed.
    """

    base_url: str
    token: str = field(repr=False)
    timeout: float = DEFAULT_TIMEOUT
    max_retries: int = 4
    backoff_factor: float = 0.5
    max_retry_wait: float = 30.0
    page_size: int = MAX_PAGE_SIZE
    page_workers: int = DEFAULT_PAGE_WORKERS
    trailing_slash: bool = False

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
    trailing_slash: bool = False,
) -> Settings:
    """Resolve the settings from arguments, environment and ``.env``, and check them.

    Args:
        base_url: Overrides ``PREO_BASE_URL``.
        token: Overrides ``PREO_API_TOKEN``.
        timeout: Overrides ``PREO_TIMEOUT``.
        page_size: Records per page for lists, 1 to 1000 (default 1000, the API's maximum).
        page_workers: Threads reading pages 2..n of a list at once, 1 to 32 (default 8).
        env_file: A path to a ``.env`` file, ``True`` to look for ``.env`` from the
            working directory upwards, ``False`` to read none.
        trailing_slash: End every API path with "/" (for an API that redirects to such paths).

    Raises:
        ConfigurationError: The token is missing, the URL unusable, the timeout
            not a positive number, or the ``.env`` file cannot be parsed.
    """
    dotenv = _read_env_file(env_file)

    def pick(given: object, name: str) -> str | None:
        if given is not None:
            return str(given)
        return os.environ.get(name) or dotenv.get(name) or None

    url = check_base_url(pick(base_url, "PREO_BASE_URL") or DEFAULT_BASE_URL)
    return Settings(
        base_url=url,
        token=check_token(pick(token, "PREO_API_TOKEN")),
        timeout=_check_timeout(pick(timeout, "PREO_TIMEOUT")),
        page_size=_check_page_size(page_size),
        page_workers=_check_page_workers(page_workers),
        trailing_slash=_check_trailing_slash(trailing_slash),
    )


def _check_trailing_slash(value: object) -> bool:
    if not isinstance(value, bool):
        raise ConfigurationError("trailing_slash", f"must be True or False, not {value!r}")
    return value


def _read_env_file(env_file: str | Path | bool) -> dict[str, str | None]:
    if env_file is False:
        return {}
    path = find_dotenv(usecwd=True) if env_file is True else str(env_file)
    if not path:
        return {}
    if not Path(path).is_file():
        raise ConfigurationError("env_file", f"no such file: {path}")
    with open(path, encoding="utf-8") as stream:
        for binding in parse_stream(stream):
            if binding.error:
                line = binding.original.line
                raise ConfigurationError("env_file", f"{path} line {line} cannot be parsed")
    return dict(dotenv_values(path))


def check_token(token: str | None) -> str:
    """Return the token, or say (without echoing it) why it is unusable."""
    if not token:
        raise ConfigurationError(
            "token",
            "no API token: pass token=..., or set PREO_API_TOKEN in the environment or in .env",
        )
    if any(ch.isspace() or not ch.isprintable() for ch in token):
        raise ConfigurationError("token", "the API token contains whitespace or control characters")
    return token


def check_base_url(url: str) -> str:
    """Return the base URL without a trailing slash; refuse plain HTTP off loopback."""
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


def _check_page_size(value: int | None) -> int:
    if value is None:
        return MAX_PAGE_SIZE
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_PAGE_SIZE:
        raise ConfigurationError("page_size", f"must be a whole number from 1 to {MAX_PAGE_SIZE}, not {value!r}")
    return value


def _check_page_workers(value: int | None) -> int:
    if value is None:
        return DEFAULT_PAGE_WORKERS
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_PAGE_WORKERS:
        raise ConfigurationError(
            "page_workers", f"must be a whole number from 1 to {MAX_PAGE_WORKERS}, not {value!r}"
        )
    return value
