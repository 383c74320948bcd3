"""What an answer means: an error built from an error status, where to look after a lost POST.

The answers are ``Reply`` values (``preo_nb._transports``), whatever transport brought them.
"""

from __future__ import annotations

import html
import re
from typing import Any
from urllib.parse import urlsplit

from preo_nb._hints import token_hint
from preo_nb._transports.base import Reply
from preo_nb.errors import APIError, PreoError, RateLimited, UnexpectedRedirect, error_class


def cause_of(error: PreoError) -> str:
    if isinstance(error, APIError):
        return f"got {error.status}"
    return f"got no usable answer ({str(error).split(' (')[0]})"


def where_to_look(path: str) -> str:
    """Where a user can see whether a POST to ``path`` took effect."""
    parent, _, last = path.rpartition("/")
    if re.fullmatch(r"[a-z][a-z0-9-]*", last) and parent.count("/") >= 3:  # an action on an object
        return f"GET {parent}"
    return f"GET {path} (the list)"


def api_error(response: Reply, method: str, token_source: object = None, scheme: str = "") -> APIError:
    """The error for an error status; a 401 names where the token came from (``token_source``).

    ``scheme`` is the ``Authorization`` scheme the token was sent with: a 401 asking for
    another one says which to connect with.
    """

    body: Any
    if "html" in response.media_type:
        body = html_summary(response.status, response.text)
    else:
        try:
            body = response.json()
        except ValueError:
            body = response.text[:500]
    detail = code = None
    fields: dict[str, Any] = {}
    if isinstance(body, dict):
        detail = body.get("detail") if isinstance(body.get("detail"), str) else None
        code = body.get("code") if isinstance(body.get("code"), str) else None
        fields = {k: v for k, v in body.items() if k not in ("detail", "code")}
    elif body:
        detail = str(body)
    cls = error_class(response.status, body)
    error = cls(
        response.status,
        method=method,
        url=response.url,
        detail=detail,
        code=code,
        field_errors=fields,
        request_id=response.headers.get("x-request-id"),
        body=body,
        hint=_auth_hint(response, token_source, scheme) if response.status == 401 else None,
    )
    if isinstance(error, RateLimited):
        error.retry_after = response.headers.get("retry-after")
    return error


def html_summary(status: int, text: str) -> str:
    """An HTML error page as one line: its status and title (a framework's debug page is long)."""
    found = re.search(r"<title[^>]*>(.*?)</title>", text, re.IGNORECASE | re.DOTALL)
    title = " ".join(html.unescape(found.group(1)).split())[:200] if found else "no title"
    return f"the server answered an HTML page, not JSON ({status}: {title})"


def _auth_hint(response: Reply, token_source: object, sent: str) -> str | None:
    """A 401's hint: the scheme the server asks for when it is not the one sent, else where the token came from."""
    asked = response.headers.get("www-authenticate", "").split(" ", 1)[0].split(",", 1)[0]
    if asked and sent and asked.lower() != sent.lower():
        return (
            f"the server asks for the {asked} scheme (WWW-Authenticate: {asked}), and the token was sent as "
            f"{sent}: connect with auth_scheme={asked!r} (or set PREO_AUTH_SCHEME={asked} in the environment or .env)"
        )
    return token_hint(token_source) if token_source else None


def adds_trailing_slash(url: str, target: str) -> bool:
    """Whether a redirect from ``url`` to ``target`` only appends "/" to the path."""
    return urlsplit(target).path == urlsplit(url).path + "/"


def redirect_error(response: Reply, method: str, why: str, location: str | None = None) -> UnexpectedRedirect:
    """The error for a redirect ``response`` of a ``method`` request that was not followed."""
    target = location or response.headers.get("location", "")
    hint = (
        " The API wants a trailing slash: connect(..., trailing_slash=True)."
        if adds_trailing_slash(response.url, target)
        else ""
    )
    error = UnexpectedRedirect(
        response.status,
        method=method,
        url=response.url,
        detail=f"redirected to {target}; {why}, so nothing was sent there.{hint}",
        request_id=response.headers.get("x-request-id"),
    )
    error.location = target
    return error
