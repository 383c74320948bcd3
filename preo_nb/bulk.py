"""Journaled, resumable bulk operations: refunding many purchases exactly once.

Every purchase goes through a SQLite journal (``preo_nb.journal``), one row each::

    pending --(snapshot of its refund requests)--> sent --> done (the refund request id)
       ^                                             | \\--> failed (Preo refused this refund: 400, 404, 409)
       +--- refused before it was handled -----------+
            (401, 403, 429...: run again)

Only ``done`` and Preo's refusal of the refund itself are final. Whatever may
pass (a 5xx, the network, a rejected token) leaves the row ``pending``, or
``sent`` when the POST may have gone, with the error recorded; running again
with the same journal does the rest. A run that is killed at any point is
resumed the same way.

A ``sent`` row is settled before anything is sent again. A refund request is
adopted as the row's only when it is provably this job's: not in the snapshot
taken before the POST, for that purchase, with the job's reason, scope and
amount, and created after the row was marked sent (on the server's clock). When
something resembles it but cannot be proven (say the snapshot is missing), the
row stays ``sent`` with "outcome unknown" and the place to look; only when
nothing resembles it is it sent again. Inside one run, a lost answer is
reconciled by the client itself (``preo_nb._http``).

The snapshot is one ``GET /v1/refunds?purchase_id=...`` per purchase, except that with
``edition_id`` a purchase the edition's refund requests (read once, again every 10 s:
``preo_nb._open_requests``) show none for gets an empty snapshot without that read; then
a request the client finds after a lost answer must also be created after the send.
Rows already sent, and purchases with any request, are checked one by one as before.

``preo-nb bulk-refund`` runs this from the command line.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from preo_nb import _limiter, _progress, refund_rules, settlement
from preo_nb._open_requests import EditionRequests
from preo_nb._values import decimal_of
from preo_nb.checks import check_id
from preo_nb.errors import APIError, PreoError, PreoValidationError, TransportError, UnknownOutcome
from preo_nb.journal import Journal, Row, exclusive, summary
from preo_nb.resources.refunds import refund_body

if TYPE_CHECKING:
    from preo_nb.client import Client

__all__ = ["Journal", "refund_purchases", "summary"]

log = logging.getLogger("preo_nb.bulk")
FINAL_STATUSES = (400, 404, 409, 422)  # Preo refused the refund itself: sending it again changes nothing
CLOCK_SLACK = timedelta(seconds=5)  # whole-second timestamps and the clock estimate's error


@dataclass(frozen=True)
class _Job:
    """What every row of one run shares."""

    preo: Client
    book: Journal
    body: dict[str, Any]
    scope: str  # the effective scope: the body's, else the reason's default
    offset: timedelta  # the server's clock minus ours
    edition: EditionRequests | None = None  # which purchases of the edition have no request yet

    def server_now(self) -> datetime:
        """The time now on the server's clock (estimated)."""
        return datetime.now(UTC) + self.offset


def refund_purchases(
    preo: Client,
    purchase_ids: Iterable[str],
    *,
    reason: str,
    journal: str | Path,
    scope: str | None = None,
    amount: float | None = None,
    comment: str = "",
    edition_id: str | None = None,
    organization_id: str | None = None,
    workers: int | None = None,
    progress: bool | None = None,
    settle: Mapping[str, str | None] | None = None,
) -> pd.DataFrame:
    """File one refund request per purchase, exactly once, resumable through ``journal``.

    Args:
        preo: A connected client.
        purchase_ids: The purchases to refund (duplicates are refunded once; ids
            that are not Preo ids are journaled as failed, never sent).
        reason, scope, amount, comment: As for ``preo.purchases.refund``; checked
            once, before anything is sent.
        journal: Path of the SQLite journal; run again with the same path to resume.
            It is bound to this API (base URL), edition/organization, refund and
            purchase list, and one run at a time may use it.
        edition_id, organization_id: Where the purchases belong, when known;
            recorded so the journal refuses to be reused for another. With
            ``edition_id``, one read of the edition's refund requests spares the
            per-purchase check of the purchases it shows none for (about half the requests).
        workers: Requests in flight at once; None adapts it to the server's answers
            (the client's limiter, ``preo_nb._limiter``, shared with its other work).
        settle: Verdicts on ``sent`` rows whose outcome is unknown, recorded first:
            purchase id -> the refund request that is this job's, or None when none
            is (sent again). Each is checked with Preo (``preo_nb.settlement``) and
            nothing is recorded unless all hold.

    Returns:
        The whole journal, the job's record (a run over part of its list leaves the
        other rows as they are): ``purchase_id``, ``state`` (done; failed: Preo refused it;
        pending or sent: not finished, run again), ``refund_id``, ``amount``,
        ``problem`` (why a row is not done), ``error``, ``updated``.

    Raises:
        PreoValidationError: Bad arguments, a journal of another job or purchase
            list, one in use by another run, or a verdict in ``settle`` that does
            not hold; nothing was sent or recorded.
    """
    body = refund_body(reason, scope, amount, comment, None)
    if workers is not None:
        _limiter.of(preo._http).check(concurrency=max(1, workers))
    binding: dict[str, Any] = {
        "api": preo.settings.base_url,
        "body": body,
        "edition_id": None if edition_id is None else check_id(edition_id, "edition_id"),
        "organization_id": None if organization_id is None else check_id(organization_id, "organization_id"),
    }
    valid, invalid = _checked(purchase_ids)
    effective = refund_rules.effective_scope(body["reason"], body.get("scope"))
    with exclusive(journal):
        book = Journal(journal)
        try:
            book.bind(binding)
            left = book.check_list([*valid, *invalid])
            if settle:
                settlement.settle(preo, book, settle, body=body, scope=effective)
            book.record_run()
            book.add(valid, invalid)
            todo = [row for row in book.todo() if row.purchase_id not in left]
            if left:
                log.warning(
                    "%s: %d purchases of the journal are not in this run's list and were left as they are",
                    book.path,
                    len(left),
                )
            if todo:
                known = EditionRequests(preo, binding["edition_id"]) if edition_id else None
                _work(_Job(preo, book, body, effective, _clock_offset(preo), known), todo, workers, progress)
            return book.frame()
        finally:
            book.close()


def _checked(purchase_ids: Iterable[Any]) -> tuple[list[str], dict[str, str]]:
    """Split ids into Preo ids and the rest (id -> why it is not one), in order, once each."""
    valid: list[str] = []
    invalid: dict[str, str] = {}
    for value in dict.fromkeys(purchase_ids):
        try:
            valid.append(check_id(value, "purchase_id"))
        except PreoValidationError as exc:
            invalid[str(value)] = str(exc)
    return valid, invalid


def _clock_offset(preo: Client) -> timedelta:
    """How far the server's clock is ahead of ours, from the ``Date`` of ``GET /v1/auth/me``.

    Refund requests carry the server's time; comparing it with this machine's
    would depend on both clocks (and the journal may move to another machine).
    """
    asked = datetime.now(UTC)
    server: datetime | None = preo._http.request("GET", "/v1/auth/me", raw=True).server_time
    answered = datetime.now(UTC)
    if server is None:
        log.warning("the Preo API sent no usable Date header; comparing its times with this machine's clock")
        return timedelta(0)
    return server - (asked + (answered - asked) / 2)


def _work(job: _Job, todo: list[Row], workers: int | None, progress: bool | None) -> None:
    """Work the rows on ``workers`` threads; after Ctrl-C or a bug, start no more (those in flight finish)."""
    stop = threading.Event()

    def one(row: Row) -> None:
        if stop.is_set():
            return
        try:
            _refund_one(job, row)
        except BaseException:
            stop.set()
            raise

    limiter = _limiter.of(job.preo._http)
    bar = _progress.bar(len(todo), "refunds", progress)
    with limiter.pinned(workers), ThreadPoolExecutor(max_workers=limiter.threads) as pool:
        try:
            for future in as_completed([pool.submit(one, row) for row in todo]):
                future.result()
                _progress.waits(bar, limiter.throttled, limiter.waited)
                bar.update(1)
        except BaseException:
            stop.set()
            raise
        finally:
            bar.close()


def _refund_one(job: _Job, row: Row) -> None:
    pid = row.purchase_id
    # Nothing sent yet and the edition's list shows no request for it: the snapshot is empty without a read.
    before = job.edition.snapshot(pid) if job.edition is not None and row.state == "pending" else None
    if before is not None:
        _send(job, pid, before, edition_wide=True)
        return
    try:
        listing = list(job.preo.refunds.iterate(purchase_id=pid))
    except PreoError as exc:  # nothing was sent: the row keeps its state (and snapshot) for the next run
        job.book.mark(pid, row.state, problem=problem_of(exc), error=str(exc))
        return
    if row.state == "sent" and _settled(job, row, listing):
        return
    _send(job, pid, [r["id"] for r in listing])


def _send(job: _Job, pid: str, before: list[str], *, edition_wide: bool = False) -> None:
    """Journal the snapshot ``before``, then POST the refund and journal what came of it.

    ``edition_wide``: the snapshot is from the edition's list, up to ``MAX_AGE`` old, so
    a request the client found after a lost answer must also be newer than the send.
    """
    sent_at = job.server_now()
    job.book.mark(pid, "sent", before_ids=before, sent_at=sent_at, problem=None, error=None)
    try:
        made = job.preo.purchases.refund(pid, **job.body)  # in a limiter slot; a 429 leaves the row pending
    except PreoError as exc:
        state = _state_after(exc)
        cleared = {"before_ids": None, "sent_at": None} if state != "sent" else {}
        job.book.mark(pid, state, problem=problem_of(exc), error=str(exc), **cleared)
        return
    older = edition_wide and not _provably_mine(Row(pid, "sent", before, sent_at), made)
    if made["id"] in before or not _alike(job, pid, made) or older:
        # The answer was lost and the client found a request that is not this job's; the next run settles it.
        job.book.mark(
            pid,
            "sent",
            problem="answer lost",
            error=f"the answer was lost, and the request found ({made['id']}) is not this job's",
        )
        return
    job.book.mark(pid, "done", refund_id=made["id"], amount=made["amount"], problem=None, error=None)


def _state_after(exc: PreoError) -> str:
    """The row's state after its POST raised ``exc``."""
    if isinstance(exc, PreoValidationError):
        return "failed"  # refused before sending
    if isinstance(exc, APIError) and exc.status in FINAL_STATUSES:
        return "failed"
    if isinstance(exc, APIError) and exc.status < 500:
        return "pending"  # 401, 403, 429...: refused before it was handled
    return "sent"  # a 5xx, a lost answer, an unknown outcome: it may have been filed


def _settled(job: _Job, row: Row, listing: list[dict[str, Any]]) -> bool:
    """Settle a row sent by an earlier run from its refund requests; False: nothing was filed."""
    pid = row.purchase_id
    alike = [r for r in listing if _alike(job, pid, r) and r["id"] not in (row.before_ids or ())]
    if not alike:
        return False
    mine = [r for r in alike if _provably_mine(row, r)]
    if len(alike) == 1 and mine:
        job.book.mark(pid, "done", refund_id=mine[0]["id"], amount=mine[0]["amount"], problem=None, error=None)
    else:
        ids = ", ".join(r["id"] for r in alike)
        job.book.mark(
            pid,
            "sent",
            problem="outcome unknown",
            error=f"outcome unknown: check GET /v1/refunds?purchase_id={pid} before running again "
            f"(it may be {ids}); then record it with preo-nb bulk-refund --settle (refund_purchases(settle=...))",
        )
    return True


def _alike(job: _Job, purchase_id: str, request: dict[str, Any]) -> bool:
    """Whether a refund request could be this job's for that purchase."""
    amount = decimal_of(job.body.get("amount"))
    return (request.get("purchase") or {}).get("api_id") == purchase_id and refund_rules.could_be(
        request, reason=job.body["reason"], scope=job.scope, amount=amount
    )


def _provably_mine(row: Row, request: dict[str, Any]) -> bool:
    """Whether a request not in the row's snapshot was created after the row was sent."""
    if row.before_ids is None or row.sent_at is None:
        return False
    try:
        created = datetime.fromisoformat(str(request["created"]))
    except (KeyError, ValueError):
        return False
    return created.tzinfo is not None and created >= row.sent_at - CLOCK_SLACK


def problem_of(exc: PreoError) -> str:
    """A short, groupable reason for a row that is not done: ``"409 nothing_to_refund"``, ``"network"``..."""
    if isinstance(exc, PreoValidationError):
        return "invalid input"
    if isinstance(exc, UnknownOutcome):
        return "outcome unknown"
    if isinstance(exc, TransportError):
        return "network"
    if isinstance(exc, APIError):
        known = {401: "token rejected", 403: "permission denied", 429: "rate limited"}
        what = known.get(exc.status) or ("server error" if exc.status >= 500 else "")
        what = what or exc.code or ", ".join(exc.field_errors) or ("not found" if exc.status == 404 else "")
        return f"{exc.status} {what}".strip()
    return type(exc).__name__
