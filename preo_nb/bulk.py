"""Journaled, resumable bulk operations: refunding many purchases exactly once.

Every item goes through a SQLite journal (one row per purchase)::

    pending --(snapshot of its refund requests)--> sent --> done (refund request id)
                                                       \\-> failed (the API's refusal)

The journal is written before and after each POST, so a run that is killed at
any point can simply be started again with the same journal: ``done`` and
``failed`` rows are skipped, and a ``sent`` row (the process died between
sending and recording) is settled by looking for a refund request that was not
there before it was sent. Only when there is none is it sent again. Inside one
run, a lost answer is reconciled by the client itself (``preo_nb._http``).

``preo-nb bulk-refund`` runs this from the command line.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from preo_nb import _progress
from preo_nb.errors import APIError, PreoError, PreoValidationError
from preo_nb.resources.refunds import refund_body

if TYPE_CHECKING:
    from preo_nb.client import Client

SKIP_STATUSES = ("rejected", "invalid", "failed")  # requests that refunded nothing
SCHEMA = """
CREATE TABLE IF NOT EXISTS items (
    purchase_id TEXT PRIMARY KEY,
    state TEXT NOT NULL,              -- pending, sent, done, failed
    refund_id TEXT,
    amount REAL,
    before_ids TEXT,                  -- JSON: the purchase's refund request ids when sent
    error TEXT,
    updated TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS job (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


class Journal:
    """The SQLite record of a bulk refund; safe to share between threads."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(SCHEMA)

    def start(self, purchase_ids: Iterable[str], body: dict[str, Any]) -> None:
        """Add the purchases not yet journaled; refuse a journal of a different refund."""
        wanted = json.dumps(body, sort_keys=True)
        with self._lock:
            row = self._db.execute("SELECT value FROM job WHERE key = 'body'").fetchone()
            if row and row[0] != wanted:
                raise PreoValidationError("journal", f"{self.path} belongs to another refund job: {row[0]}")
            self._db.execute("INSERT OR IGNORE INTO job VALUES ('body', ?)", (wanted,))
            now = _now()
            self._db.executemany(
                "INSERT OR IGNORE INTO items (purchase_id, state, updated) VALUES (?, 'pending', ?)",
                [(pid, now) for pid in purchase_ids],
            )

    def todo(self) -> list[tuple[str, str, list[str]]]:
        """Return ``(purchase_id, state, before_ids)`` of the rows not finished yet."""
        with self._lock:
            rows = self._db.execute(
                "SELECT purchase_id, state, before_ids FROM items WHERE state IN ('pending', 'sent') ORDER BY rowid"
            ).fetchall()
        return [(pid, state, json.loads(before or "[]")) for pid, state, before in rows]

    def mark(self, purchase_id: str, state: str, **values: Any) -> None:
        """Record a row's new state (and its refund id, amount, before_ids or error)."""
        columns = {"state": state, "updated": _now(), **values}
        if "before_ids" in columns:
            columns["before_ids"] = json.dumps(columns["before_ids"])
        assignments = ", ".join(f"{name} = ?" for name in columns)
        with self._lock:
            self._db.execute(f"UPDATE items SET {assignments} WHERE purchase_id = ?",  # noqa: S608 - fixed names
                             [*columns.values(), purchase_id])

    def frame(self) -> pd.DataFrame:
        """Return the journal as a DataFrame, one row per purchase."""
        with self._lock:
            rows = self._db.execute(
                "SELECT purchase_id, state, refund_id, amount, error, updated FROM items ORDER BY rowid"
            ).fetchall()
        columns = ["purchase_id", "state", "refund_id", "amount", "error", "updated"]
        frame = pd.DataFrame(rows, columns=columns).astype(
            {"purchase_id": "string", "state": "category", "refund_id": "string", "amount": "float64",
             "error": "string"}
        )
        frame["updated"] = pd.to_datetime(frame["updated"], utc=True, format="ISO8601").astype("datetime64[ns, UTC]")
        return frame

    def close(self) -> None:
        """Close the database."""
        self._db.close()


def _now() -> str:
    return datetime.now(UTC).isoformat()


def refund_purchases(
    preo: Client,
    purchase_ids: Iterable[str],
    *,
    reason: str,
    journal: str | Path,
    scope: str | None = None,
    amount: float | None = None,
    comment: str = "",
    workers: int = 4,
    progress: bool | None = None,
) -> pd.DataFrame:
    """File one refund request per purchase, exactly once, resumable through ``journal``.

    Args:
        preo: A connected client.
        purchase_ids: The purchases to refund (duplicates are refunded once).
        reason, scope, amount, comment: As for ``preo.purchases.refund``; checked
            once, before anything is sent.
        journal: Path of the SQLite journal; run again with the same path to resume.
        workers: Requests in flight at once.

    Returns:
        The journal: ``purchase_id``, ``state`` (done, failed, or sent when the
        outcome could not be settled yet; run again), ``refund_id``, ``amount``, ``error``.
    """
    body = refund_body(reason, scope, amount, comment, None)
    book = Journal(journal)
    try:
        book.start(dict.fromkeys(purchase_ids), body)
        todo = book.todo()
        bar = _progress.bar(len(todo), "refunds", progress)
        with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
            for _ in pool.map(lambda item: _refund_one(preo, book, body, *item), todo):
                bar.update(1)
        bar.close()
        return book.frame()
    finally:
        book.close()


def _refund_one(preo: Client, book: Journal, body: dict[str, Any], purchase_id: str, state: str,
                before: list[str]) -> None:
    try:
        if state == "sent" and _settle(preo, book, body, purchase_id, before):
            return
        before = [r["id"] for r in preo.refunds.iterate(purchase_id=purchase_id)]
        book.mark(purchase_id, "sent", before_ids=before)
        made = preo.purchases.refund(purchase_id, **body)
        book.mark(purchase_id, "done", refund_id=made["id"], amount=made["amount"])
    except APIError as exc:
        book.mark(purchase_id, "failed", error=str(exc))
    except PreoError as exc:  # outcome unknown or network down: stays "sent" for the next run
        book.mark(purchase_id, "sent", error=str(exc))


def _settle(preo: Client, book: Journal, body: dict[str, Any], purchase_id: str, before: list[str]) -> bool:
    """Whether a request sent by an earlier run exists (then it is journaled as done)."""
    for request in preo.refunds.iterate(purchase_id=purchase_id):
        new = request["id"] not in before and request["status"] not in SKIP_STATUSES
        if new and request["reason"] == body["reason"]:
            book.mark(purchase_id, "done", refund_id=request["id"], amount=request["amount"], error=None)
            return True
    return False
