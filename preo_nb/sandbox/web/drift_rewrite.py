"""What the drift proxy changes on the way in and out (see ``preo_nb.sandbox.drift``)."""

from __future__ import annotations

import base64
import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from werkzeug.wrappers import Request, Response

from preo_nb import _values, contract
from preo_nb.sandbox.web import drift_drf as drf

NOT_FILTERS = {"page", "page_size", "ordering", "cursor", "limit", "offset"}
ID_VALUE = re.compile(r"^[a-z]{3}_[0-9a-f]{6,}$")
Forward = Callable[..., tuple[int, list[tuple[str, str]], bytes]]
Hook = Callable[[str, str, dict[str, str]], None]


@dataclass(frozen=True)
class Drift:
    """How the server behind the proxy differs from the contract (everything off by default).

    Attributes:
        ignore_filters: Query parameters dropped before forwarding (``"*"``: every
            filter but ``page``, ``page_size`` and ``ordering``), as DRF drops unknown ones.
        string_money: Numbers the contract declares as ``number`` are sent as ``"12.50"``.
        integer_ids: Ids are sent as integers (and read back on the way in).
        odd_ids: Ids carry a suffix (``~v2``) outside the client's rule for typed ids.
        page_size_max: ``page_size`` is clamped to this.
        no_count: List envelopes have no ``count``.
        plain_array: Lists are answered as one bare JSON array.
        cursor_links: ``next``/``previous`` links carry an opaque cursor, not a page number.
        endless_links: The last page links to an empty page that links on, forever.
        count_offset: ``count`` is reported this much too high.
        trailing_slash: A path without a trailing slash is redirected (301) to one with it.
        redirect_writes_to: Writes are answered 307 to this other origin.
        limit_offset: List paths paged as DRF's ``LimitOffsetPagination`` does: ``page`` and
            ``page_size`` are unknown (ignored), ``limit`` (default ``default_limit``, DRF's
            ``PAGE_SIZE`` setting) and ``offset`` page, and the links carry them.
        default_limit: The page size of ``limit_offset`` lists when no ``limit`` is sent.
        drf_errors: Error bodies as stock DRF sends them: a refusal of the object's state is
            400 ``{"non_field_errors": [...]}`` (no 409, no code), and a path no route
            serves is Django's HTML 404 page.
        unrouted: Operations the server has no route for (Django's HTML 404 page).
        auth_scheme: The scheme the server wants (``Token``: a Bearer header is a 401).
        strict_accept: 406 unless ``Accept`` names the operation's declared media type.
        bad_datetimes: Datetimes are sent as ``01/09/2026 10:00``.
        drop_fields: Fields removed from every object answered.
        extra_fields: An undocumented field is added to every object answered.
        before: Called with (method, path, query) before each request is forwarded.
    """

    ignore_filters: tuple[str, ...] = ()
    string_money: bool = False
    integer_ids: bool = False
    odd_ids: bool = False
    page_size_max: int | None = None
    no_count: bool = False
    plain_array: bool = False
    cursor_links: bool = False
    endless_links: bool = False
    count_offset: int = 0
    trailing_slash: bool = False
    redirect_writes_to: str | None = None
    limit_offset: tuple[str, ...] = ()
    default_limit: int = 100
    drf_errors: bool = False
    unrouted: tuple[str, ...] = ()
    auth_scheme: str = "Bearer"
    strict_accept: bool = False
    bad_datetimes: bool = False
    drop_fields: tuple[str, ...] = ()
    extra_fields: bool = False
    before: Hook | None = field(default=None, compare=False)


class Proxy(Protocol):
    """What the rewrites need of the proxy: its address and its id table."""

    url: str
    ids: IdTable


class IdTable:
    """A two-way table between the sandbox's ids and the ones the drifted server shows.

    ``integer``: ids become whole numbers (1000, 1001...). ``odd``: ids get a suffix
    (``~v2``) that the contract allows (any string) but the client's rule for ids a
    user types does not.
    """

    ODD = "~v2"

    def __init__(self, kind: str = "integer") -> None:
        self.kind = kind
        self._lock = threading.Lock()
        self._numbers: dict[str, int] = {}
        self._ids: dict[int, str] = {}

    def shown(self, text: str) -> int | str:
        """The id the drifted server shows for the sandbox id ``text``."""
        if self.kind == "odd":
            return text + self.ODD
        with self._lock:
            if text not in self._numbers:
                self._numbers[text] = 1000 + len(self._numbers)
                self._ids[self._numbers[text]] = text
            return self._numbers[text]

    def text(self, value: str) -> str:
        """The sandbox id behind a shown id ``value`` (``value`` itself when it is none)."""
        if value.endswith(self.ODD):
            return value.removesuffix(self.ODD)
        with self._lock:
            return self._ids.get(int(value), value) if value.isdigit() else value


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    """A JSON answer."""
    return Response(json.dumps(body), status=status, headers=headers or {}, content_type="application/json")


def refusal(drift: Drift, request: Request) -> Response | None:
    """The answer the drifted server gives before doing anything, if it refuses or redirects."""
    path = request.path
    if drift.trailing_slash and not path.endswith("/"):
        query = request.query_string.decode()
        return Response(
            status=301, headers={"Location": request.host_url.rstrip("/") + path + "/" + (f"?{query}" if query else "")}
        )
    if drift.redirect_writes_to and request.method not in ("GET", "HEAD"):
        return Response(status=307, headers={"Location": drift.redirect_writes_to.rstrip("/") + path})
    auth = request.headers.get("Authorization", "")
    if drift.auth_scheme != "Bearer" and not auth.startswith(drift.auth_scheme + " "):
        return json_response(
            401, {"detail": "Authentication credentials were not provided."}, {"WWW-Authenticate": drift.auth_scheme}
        )
    operation = contract.find_operation(request.method, path.rstrip("/") or "/")
    if operation in drift.unrouted:
        return drf.not_found_page(path)
    if drift.strict_accept and operation:
        accept = request.headers.get("Accept", "*/*")
        if "*/*" not in accept and not any(m in accept for m in contract.media_types(operation)):
            return json_response(406, {"detail": f'Could not satisfy the request Accept header "{accept}".'})
    return None


def query_in(drift: Drift, path: str, query: dict[str, str], ids: IdTable) -> dict[str, str]:
    """The query the sandbox gets: cursors opened, filters dropped, page size clamped, ids mapped."""
    if "cursor" in query:
        query = json.loads(base64.urlsafe_b64decode(query.pop("cursor").encode()).decode())
    ignored = set(query) - NOT_FILTERS if "*" in drift.ignore_filters else set(drift.ignore_filters)
    mapped = drift.integer_ids or drift.odd_ids
    query = {k: ids.text(v) if mapped and k.endswith("_id") else v for k, v in query.items() if k not in ignored}
    if path.rstrip("/") in drift.limit_offset:
        query = drf.limit_offset_in(query, drift.default_limit)
    if drift.page_size_max and int(query.get("page_size", "100") or 100) > drift.page_size_max:
        query["page_size"] = str(drift.page_size_max)
    return query


def body_in(drift: Drift, body: bytes, headers: dict[str, str], ids: IdTable) -> bytes:
    """A request body with integer ids turned back into the sandbox's ids."""
    if not (drift.integer_ids or drift.odd_ids) or not body or "json" not in headers.get("Content-Type", ""):
        return body
    return json.dumps(_walk_ids(json.loads(body), lambda v: ids.text(str(v)) if v is not None else v)).encode()


def path_in(drift: Drift, path: str, ids: IdTable) -> str:
    """A request path with the drifted server's ids turned back into the sandbox's."""
    if not (drift.integer_ids or drift.odd_ids):
        return path
    return "/".join(ids.text(segment) for segment in path.split("/"))


def is_list(path: str) -> bool:
    """Whether GET ``path`` is a paginated list of the contract."""
    operation = contract.find_operation("GET", path)
    return bool(operation and contract.operations()[operation].is_paginated)


def whole_list(forward: Forward, path: str, query: dict[str, str], request: Request) -> Response:
    """Every record of a list as one bare JSON array."""
    records: list[Any] = []
    page = 1
    while True:
        status, headers, body = forward("GET", path, {**query, "page": str(page), "page_size": "1000"}, request)
        if status != 200:
            return Response(body, status=status, headers=headers)
        found = json.loads(body)
        records += found["results"]
        if not found.get("next"):
            return json_response(200, records, _kept(headers))
        page += 1


def answer(
    drift: Drift,
    proxy: Proxy,
    request: Request,
    path: str,
    query: dict[str, str],
    reply: tuple[int, list[tuple[str, str]], bytes],
) -> Response:
    """The sandbox's answer as the drifted server sends it."""
    status, headers, body = reply
    method = request.method
    if drift.endless_links and status == 404 and method == "GET" and is_list(path) and "page" in query:
        return json_response(
            200,
            {
                "count": 0,
                "next": _link(drift, proxy, path, {**query, "page": str(int(query["page"]) + 1)}),
                "previous": None,
                "results": [],
            },
            _kept(headers),
        )
    operation = contract.find_operation(method, path)
    if drift.drf_errors and status == 404 and operation is None:
        return drf.not_found_page(path)
    if "json" not in dict((k.lower(), v) for k, v in headers).get("content-type", "") or not body:
        return Response(body, status=status, headers=headers)
    found = json.loads(body)
    if drift.drf_errors and status == 409 and isinstance(found, dict):
        status, found = 400, {"non_field_errors": [found.get("detail", "")]}
    if operation and status < 300:
        found = _drift_body(drift, proxy, operation, path, query, found)
    elif drift.integer_ids or drift.odd_ids:
        found = _walk_ids(found, lambda v: proxy.ids.shown(v) if isinstance(v, str) and ID_VALUE.match(v) else v)
    return json_response(status, found, _kept(headers))


def _drift_body(drift: Drift, proxy: Proxy, operation: str, path: str, query: dict[str, str], body: Any) -> Any:
    listed = contract.operations()[operation].is_paginated and isinstance(body, dict) and "results" in body
    objects = body["results"] if listed else [body] if isinstance(body, dict) else []
    plan = _values.plan(operation, listed)
    for record in objects:
        _reshape(drift, record)
        if plan:
            _retype(drift, plan, record)
    if listed:
        _page_envelope(drift, proxy, path, query, body)
    if drift.integer_ids or drift.odd_ids:
        body = _walk_ids(body, lambda v: proxy.ids.shown(v) if isinstance(v, str) and ID_VALUE.match(v) else v)
    return body


def _reshape(drift: Drift, record: Any) -> None:
    if not isinstance(record, dict):
        return
    for name in drift.drop_fields:
        record.pop(name, None)
    if drift.extra_fields:
        record["x_undocumented"] = "added by the drift proxy"


def _retype(drift: Drift, plan: Any, value: Any) -> Any:
    if isinstance(plan, dict) and isinstance(value, dict):
        for key, sub in plan.items():
            if value.get(key) is not None:
                value[key] = _retype(drift, sub, value[key])
        return value
    if isinstance(plan, tuple) and isinstance(value, list):
        return [_retype(drift, plan[1], item) for item in value]
    if plan == "float" and drift.string_money and isinstance(value, int | float) and not isinstance(value, bool):
        return f"{value:.2f}"
    if plan == "datetime" and drift.bad_datetimes and isinstance(value, str):
        return datetime.fromisoformat(value.replace("Z", "+00:00")).strftime("%d/%m/%Y %H:%M")
    return value


def _page_envelope(drift: Drift, proxy: Proxy, path: str, query: dict[str, str], body: dict[str, Any]) -> None:
    for name in ("next", "previous"):
        if body.get(name):
            linked = dict(parse_qsl(urlsplit(body[name]).query))
            if path.rstrip("/") in drift.limit_offset:
                linked = drf.limit_offset_out(linked)
            body[name] = _link(drift, proxy, path, linked)
    if drift.endless_links and not body.get("next"):
        page = int(query.get("page", "1") or 1)
        body["next"] = _link(drift, proxy, path, {**query, "page": str(page + 1)})
    if drift.count_offset and "count" in body:
        body["count"] += drift.count_offset
    if drift.no_count:
        body.pop("count", None)


def _link(drift: Drift, proxy: Proxy, path: str, query: dict[str, str]) -> str:
    if drift.cursor_links:
        query = {"cursor": base64.urlsafe_b64encode(json.dumps(query).encode()).decode()}
    base = urlsplit(proxy.url)
    return urlunsplit((base.scheme, base.netloc, path + ("/" if drift.trailing_slash else ""), urlencode(query), ""))


def _walk_ids(node: Any, change: Callable[[Any], Any], key: str = "") -> Any:
    if isinstance(node, dict):
        return {k: _walk_ids(v, change, k) for k, v in node.items()}
    if isinstance(node, list):
        return [_walk_ids(v, change, key) for v in node]
    if key in ("id", "api_id", "organization") or key.endswith("_id"):  # a refund names its organization so
        return change(node)
    return node


def _kept(headers: list[tuple[str, str]]) -> dict[str, str]:
    return {k: v for k, v in headers if k.lower() not in ("content-type", "content-length")}
