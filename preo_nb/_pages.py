"""Reading lists: the one place that knows how the API pages, and checks it did.

A list answer is the DRF envelope ``{count, next, previous, results}``; a plain JSON
array (one page) and an envelope without ``count`` are read too. ``read`` follows the
``next`` links (never off the base URL's host). When the first page's link is a page
number on the same query and ``count`` is known, pages 2..n are fetched concurrently
(a bounded window ahead of the reader) and every page's own ``next`` link is checked
against the plan; where a link differs (the server pages another way, or the list grew),
reading goes on from that link one page at a time.

Nothing comes back silently short. At the end the distinct records read must equal the
``count`` the server last reported; a list that changed while it was read, a page that
was lost, a loop of links, a page adding no new records while linking to another, or a
chain longer than the count allows (without a count: longer than ``max_pages``) raise
``IncompleteList``. Links are resolved against the URL of the page they came on (RFC 3986). ``read_whole`` reads a list
again once when it changed while it was read.
"""

from __future__ import annotations

import contextlib
import logging
import math
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from operator import itemgetter
from typing import TYPE_CHECKING, Any, TypeVar, overload
from urllib.parse import parse_qsl, urlsplit

from preo_nb import _limiter, _progress
from preo_nb._arrow import Decoded, Rows
from preo_nb._pool import ordered_map
from preo_nb._values import key_of
from preo_nb.errors import IncompleteList, NotFound

if TYPE_CHECKING:
    from preo_nb._http import HTTP

log = logging.getLogger("preo_nb.http")
Records = list[dict[str, Any]]
Batch = Records | Rows
"""A page's records: dicts, or read straight into Arrow (``_arrow.Rows``) when ``read`` was given ``decode``."""
Decode = Callable[[bytes], Decoded | None]
"""Reads a page's JSON bytes straight into Arrow (``frames.page_decoder``): records, count, next link."""
T = TypeVar("T")
ARROW_AHEAD = 4
"""How many times more pages a read holds ahead of its reader while they come as Arrow (0.3 MB
for 1,000 orders) rather than dicts (1.7 MB), so holding them costs less memory than the dicts'
window did: enough that a reader busy building columns does not leave the server idle."""


@dataclass
class Page:
    """One page of a list: its records, the total the server reports, the link onwards."""

    records: Batch
    count: int | None = None
    next: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def parse(body: Any, path: str) -> Page:
    """Read a list answer: the DRF envelope, an envelope without ``count``, or a plain array."""
    if isinstance(body, list):
        return Page(body, len(body))
    if not isinstance(body, dict) or not isinstance(body.get("results"), list):
        shape = (
            f"an object with {', '.join(sorted(body)) or 'no fields'}"
            if isinstance(body, dict)
            else (type(body).__name__)
        )
        raise IncompleteList(path, f"the answer is not a list page (it is {shape}, with no 'results' list)")
    count = body.get("count")
    if isinstance(count, str) and count.isdigit():
        count = int(count)
    link = body.get("next")
    return Page(
        body["results"],
        count if isinstance(count, int) and not isinstance(count, bool) and count >= 0 else None,
        link if isinstance(link, str) and link else None,
        {k: v for k, v in body.items() if k != "results"},
    )


class Reading:
    """The bookkeeping of one read of a list: records kept, counts reported, links followed."""

    def __init__(self, path: str, first: Page, max_pages: int) -> None:
        self.path = path
        self.unique = _Unique()
        self.counts: list[int] = []
        self.links: set[str] = set()
        self.pages = 0
        per_page = len(first.records)
        planned = math.ceil(first.count / per_page) if first.count is not None and per_page else None
        self.limit = max_pages if planned is None else min(2 * planned + 10, planned + max_pages)
        self.beyond = "it gave no count" if planned is None else f"its count allows {planned}"

    def take(self, page: Page) -> Batch:
        """Account for one page and return its records not seen on an earlier page."""
        self.pages += 1
        if page.count is not None:
            self.counts.append(page.count)
        fresh = self.unique(page.records)
        if page.next:
            if self.pages >= self.limit:
                self.fail(
                    f"its next links went on past {self.limit} pages ({self.beyond}); {self.pages} pages and "
                    f"{self.unique.kept} records were read (connect(max_pages=...) reads further)"
                )
            if page.next in self.links:
                self.fail(f"its next links go round in a loop (back to {_short(page.next)})")
            if not fresh:
                self.fail("a page with no new records links to yet another page")
            self.links.add(page.next)
        return fresh

    def check(self) -> None:
        """Raise unless the records read add up to the count the server last reported."""
        if not self.counts or self.unique.kept == self.counts[-1]:
            return
        changed = len(set(self.counts)) > 1
        why = f"the server reported {self.counts[-1]} records but {self.unique.kept} distinct ones arrived" + (
            f" (the count changed from {self.counts[0]} while it was read)" if changed else ""
        )
        error = IncompleteList(self.path, why, expected=self.counts[-1], received=self.unique.kept)
        error.retryable = True
        raise error

    def fail(self, why: str) -> None:
        """Stop reading: the pages cannot be trusted."""
        raise IncompleteList(
            self.path, why, expected=self.counts[-1] if self.counts else None, received=self.unique.kept
        )


def iterate(http: HTTP, path: str, params: dict[str, Any]) -> Iterator[Records]:
    """Yield each page's new records, reading the next page only when asked; checked at the end."""
    query = {**params, "page_size": http.settings.page_size}
    page = parse(http.request("GET", path, params=query), path)
    reading = Reading(path, page, http.settings.max_pages)
    yield _dicts(reading.take(page))
    yield from _follow(http, reading, page.next, None)
    reading.check()


def read_dated(http: HTTP, path: str, params: dict[str, Any]) -> tuple[Records, datetime | None]:
    """Every record of a short list, page by page, and the server's time when its last page was answered.

    For reconciling a POST: what the server holds, and by its own clock when.
    """
    reply = http.request("GET", path, params={**params, "page_size": http.settings.page_size}, raw=True)
    page = parse(reply.json(), path)
    reading = Reading(path, page, http.settings.max_pages)
    records = _dicts(reading.take(page))
    while page.next:
        reply = http.request("GET", http.same_origin(page.next, reply.url), raw=True)
        page = parse(reply.json(), path)
        records += _dicts(reading.take(page))
    reading.check()
    return records, reply.server_time


@overload
def read(
    http: HTTP,
    path: str,
    params: dict[str, Any],
    *,
    progress: bool | None = None,
    first: dict[str, Any] | None = None,
    page_size: int | None = None,
    max_pages: int | None = None,
    decode: None = None,
) -> Iterator[Records]: ...


@overload
def read(
    http: HTTP,
    path: str,
    params: dict[str, Any],
    *,
    progress: bool | None = None,
    first: dict[str, Any] | None = None,
    page_size: int | None = None,
    max_pages: int | None = None,
    decode: Decode | None,
) -> Iterator[Batch]: ...


def read(
    http: HTTP,
    path: str,
    params: dict[str, Any],
    *,
    progress: bool | None = None,
    first: dict[str, Any] | None = None,
    page_size: int | None = None,
    max_pages: int | None = None,
    decode: Decode | None = None,
) -> Iterator[Batch]:
    """Yield the records of every page of a list in order, pages read concurrently where links allow.

    Args:
        first: When given, receives the first page's fields other than ``results``
            (some lists carry extra facts there: available tags, required fields).
        page_size: Records per page (default: the settings').
        max_pages: Pages read beyond the count's plan, or in all without a count
            (default: the settings').
        decode: Reads the pages fetched at once (2..n) straight into Arrow in the fetching
            threads (they yield ``_arrow.Rows``); a page it declines is decoded as JSON.
    """
    query = {**params, "page_size": page_size or http.settings.page_size}
    page = parse(http.request("GET", path, params=query), path)
    if first is not None:
        first.update(page.extra)
    reading = Reading(path, page, max_pages or http.settings.max_pages)
    yield reading.take(page)
    if page.next:
        bar = _progress.bar(page.count or 0, path.rsplit("/", 1)[-1], progress if page.count else False)
        bar.update(len(page.records))
        try:
            link: str | None = page.next
            plan = _plan(http, path, query, page)
            if plan:
                link = yield from _concurrently(http, reading, path, query, plan, bar, decode)
            yield from _follow(http, reading, link, bar)
        finally:
            bar.close()
    reading.check()


def get_many(http: HTTP, paths: list[str], *, progress: bool | None = None) -> list[Any]:
    """GET several paths, concurrently unless a cassette is active; results in order."""
    bar = _progress.bar(len(paths), "details", progress) if len(paths) > 1 else _progress.bar(0, "", False)
    results = []
    count, limiter = workers(http), _limiter.of(http)
    try:
        for body in ordered_map(lambda p: http.request("GET", p), paths, workers=count, window=4 * count):
            results.append(body)
            _progress.waits(bar, limiter.throttled, limiter.waited)
            bar.update(1)
    finally:
        bar.close()
    return results


def workers(http: HTTP) -> int:
    """Threads for concurrent reads: as many as the client's limiter may let run; one where the
    transport wants one (requests while a vcrpy cassette is open)."""
    return _limiter.of(http).threads if http.transport.concurrent() else 1


def read_whole(read_list: Callable[[], T], path: str) -> T:
    """Run ``read_list`` (which reads a list whole), once more if the list changed while read."""
    try:
        return read_list()
    except IncompleteList as exc:
        if not exc.retryable:
            raise
        log.warning("Preo API: %s; reading %s again", exc, path)
    return read_list()


def _plan(http: HTTP, path: str, query: dict[str, Any], first: Page) -> range | None:
    """Page numbers 2..n to fetch at once, when the first link is page 2 of this query."""
    if first.count is None or not first.records or _page_number(http, first.next, path, query) != 2:
        return None
    last = math.ceil(first.count / len(first.records))
    return range(2, last + 1) if last >= 2 else None


def _concurrently(
    http: HTTP,
    reading: Reading,
    path: str,
    query: dict[str, Any],
    plan: range,
    bar: _progress.Bar,
    decode: Decode | None,
) -> Generator[Batch, None, str | None]:
    """Fetch the planned pages at once; return the link to go on from (None when done)."""

    def arrow_page(content: bytes) -> Page | None:
        found = decode(content) if decode else None
        return None if found is None else Page(*found)

    def fetch(number: int) -> Page | None:
        try:
            body = http.request("GET", path, params={**query, "page": number}, decode=arrow_page)
        except NotFound:  # the list shrank while it was read: the check at the end says so
            return None
        return body if isinstance(body, Page) else parse(body, path)

    count, arrow = workers(http), {True: 0, False: 0}  # pages taken, by whether Arrow read them

    def window() -> int:
        """Pages held ahead of the reader: a page in Arrow weighs a fifth of its dicts, so hold more."""
        return (ARROW_AHEAD if arrow[True] > arrow[False] else 1) * count + 2

    pages = ordered_map(fetch, plan, workers=count, window=window)
    with contextlib.closing(pages):
        for number, page in zip(plan, pages, strict=True):
            if page is None:
                return None
            arrow[isinstance(page.records, Rows)] += 1
            records = reading.take(page)
            _progress.waits(bar, _limiter.of(http).throttled, _limiter.of(http).waited)
            bar.update(len(page.records))
            yield records
            expected = number + 1 if number < plan[-1] else None
            if page.next is None and expected is None:
                return None
            if page.next is None or _page_number(http, page.next, path, query) != expected:
                return page.next  # not as planned: follow the server's own links from here
    return None


def _follow(http: HTTP, reading: Reading, link: str | None, bar: _progress.Bar | None) -> Iterator[Records]:
    """Follow ``next`` links one page at a time, each resolved against the URL of the page it came on."""
    base = http.url(reading.path)
    while link:
        base = http.same_origin(link, base)
        page = parse(http.request("GET", base), reading.path)
        records = _dicts(reading.take(page))
        if bar is not None:
            bar.update(len(page.records))
        yield records
        link = page.next


def _dicts(records: Batch) -> Records:
    """The records of a page decoded as JSON (``parse``'s): only ``read`` given ``decode`` makes ``Rows``."""
    assert not isinstance(records, Rows)  # a promise of this module's own code
    return records


def _page_number(http: HTTP, link: str | None, path: str, query: dict[str, Any]) -> int | None:
    """N when ``link`` is page N of ``path`` with exactly ``query``; otherwise None."""
    if not link:
        return None
    target = urlsplit(http.same_origin(link, http.url(path)))
    if target.path.rstrip("/") != urlsplit(http.url(path)).path.rstrip("/"):
        return None
    found = dict(parse_qsl(target.query, keep_blank_values=True))
    number = found.pop("page", "")
    wanted = {name: str(value) for name, value in query.items()}
    return int(number) if number.isdigit() and found == wanted else None


def _short(link: str) -> str:
    parts = urlsplit(link)
    return parts.path + (f"?{parts.query}" if parts.query else "")


class _Unique:
    """Drops records seen before (by ``id`` or ``api_id``), as a list is read page by page."""

    def __init__(self) -> None:
        self.seen: set[Any] = set()
        self.kept = 0

    def __call__(self, records: Batch) -> Batch:
        if isinstance(records, Rows):
            keys = records.keys()
        else:
            try:  # every record an object with an "id": one C-speed pass
                keys = list(map(itemgetter("id"), records))
            except (KeyError, TypeError):
                keys = [key_of(record) if isinstance(record, dict) else None for record in records]
        fresh = set(keys)
        if len(fresh) == len(keys) and None not in fresh and self.seen.isdisjoint(fresh):
            self.seen |= fresh  # the usual case: one set operation per page
            self.kept += len(records)
            return records
        wanted = []
        for key in keys:
            wanted.append(key is None or key not in self.seen)
            self.seen.add(key)
        self.kept += sum(wanted)
        if isinstance(records, Rows):
            return records.keep(wanted)
        return [record for record, keep in zip(records, wanted, strict=True) if keep]
