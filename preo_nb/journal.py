"""The SQLite journal of a bulk refund: one row per purchase, one job, one API, one run at a time.

A journal is bound to the job it was made for (the API's base URL, the
organization and edition when given, and the refund body) and refuses any other.
While a run uses it, it is locked (``exclusive``): a second process gets an error
before it sends anything. The lock is an OS file lock (``filelock``), so it dies
with its process, even one killed by SIGKILL.

SQLite's rollback journal (``journal_mode=DELETE``), not WAL, keeps every
committed row in the one file: a journal copied without its companion files
keeps its progress.

``summary`` turns a journal into lines for the person who runs it: how many
rows are in each state, why, and what to do next.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import closing, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

import filelock
import pandas as pd

from preo_nb.errors import PreoValidationError

STATES = ("pending", "sent", "done", "failed")
BINDING = ("api", "organization_id", "edition_id", "body")
SCHEMA = """
CREATE TABLE IF NOT EXISTS items (
    purchase_id TEXT PRIMARY KEY,
    state TEXT NOT NULL,              -- pending, sent, done, failed
    refund_id TEXT,
    amount REAL,
    before_ids TEXT,                  -- JSON: the purchase's refund request ids just before the POST
    sent_at TEXT,                     -- when it was marked sent, on the server's clock (ISO 8601)
    problem TEXT,                     -- why a row is not done, short: "409 nothing_to_refund", "network"...
    error TEXT,                       -- the full message
    updated TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS job (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""
ADDED_COLUMNS = {"sent_at": "TEXT", "problem": "TEXT"}  # absent from journals of preo_nb 0.1
FRAME_COLUMNS = ["purchase_id", "state", "refund_id", "amount", "problem", "error", "updated"]


class Row(NamedTuple):
    """A journal row still to work on."""

    purchase_id: str
    state: str
    before_ids: list[str] | None  # None: no snapshot was taken before the POST
    sent_at: datetime | None


class Journal:
    """The SQLite record of a bulk refund; safe to share between threads."""

    def __init__(self, path: str | Path) -> None:
        self.path = _checked(path)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=30)
        try:
            self._db.execute("PRAGMA journal_mode=DELETE")  # also turns a WAL journal of 0.1 back into one file
            self._db.executescript(SCHEMA)
            present = {row[1] for row in self._db.execute("PRAGMA table_info(items)")}
            for name, kind in ADDED_COLUMNS.items():
                if name not in present:
                    self._db.execute(f"ALTER TABLE items ADD COLUMN {name} {kind}")
        except sqlite3.Error as exc:
            self._db.close()
            raise PreoValidationError(
                "journal", f"{self.path} cannot be used as a journal ({exc}); is another program holding it open?"
            ) from None

    def bind(self, job: Mapping[str, Any]) -> None:
        """Record what this journal is for, or refuse a job that differs (``BINDING`` keys)."""
        wanted = {key: json.dumps(job.get(key), sort_keys=True) for key in BINDING}
        with self._lock:
            recorded = dict(self._db.execute("SELECT key, value FROM job").fetchall())
            differ = [key for key in BINDING if key in recorded and recorded[key] != wanted[key]]
            if differ:
                sides = "; ".join(f"{key}: the journal has {recorded[key]}, this run {wanted[key]}" for key in differ)
                raise PreoValidationError(
                    "journal", f"{self.path} belongs to another refund job ({sides}); give this run its own journal"
                )
            self._db.executemany("INSERT OR IGNORE INTO job VALUES (?, ?)", wanted.items())

    def check_list(self, purchase_ids: Iterable[str]) -> None:
        """Refuse a run whose purchase list is not the one the journal's rows were made from.

        An empty journal takes any list; ``add`` writes a list in one transaction, so a
        journal holds either none of its list or all of it.
        """
        wanted = set(purchase_ids)
        with self._lock:
            held = {pid for (pid,) in self._db.execute("SELECT purchase_id FROM items")}
        if not held or held == wanted:
            return
        raise PreoValidationError(
            "purchases",
            f"{self.path} was made for another purchase list: {_some(held - wanted)} only in the journal, "
            f"{_some(wanted - held)} only in this run's list. Nothing was sent; run it with the list it was "
            "made for, or give this list its own journal",
        )

    def add(self, purchase_ids: Iterable[str], invalid: Mapping[str, str]) -> None:
        """Add the purchases not journaled yet, all or none; ``invalid`` ids (id -> reason) as failed."""
        now = _now()
        with self._lock, self._db:  # one transaction: a run killed here leaves no partial list
            self._db.execute("BEGIN")
            self._db.executemany(
                "INSERT OR IGNORE INTO items (purchase_id, state, updated) VALUES (?, 'pending', ?)",
                [(pid, now) for pid in purchase_ids],
            )
            self._db.executemany(
                "INSERT OR IGNORE INTO items (purchase_id, state, problem, error, updated)"
                " VALUES (?, 'failed', 'invalid id', ?, ?)",
                [(pid, reason, now) for pid, reason in invalid.items()],
            )

    def todo(self) -> list[Row]:
        """Return the rows not finished yet (pending or sent), in the order they were added."""
        with self._lock:
            rows = self._db.execute(
                "SELECT purchase_id, state, before_ids, sent_at FROM items"
                " WHERE state IN ('pending', 'sent') ORDER BY rowid"
            ).fetchall()
        return [
            Row(
                pid,
                state,
                None if before is None else json.loads(before),
                None if sent is None else datetime.fromisoformat(sent),
            )
            for pid, state, before, sent in rows
        ]

    def mark(self, purchase_id: str, state: str, **values: Any) -> None:
        """Record a row's new state and any of its columns (refund_id, before_ids, error...)."""
        columns = {"state": state, "updated": _now(), **values}
        if columns.get("before_ids") is not None:
            columns["before_ids"] = json.dumps(columns["before_ids"])
        if isinstance(columns.get("sent_at"), datetime):
            columns["sent_at"] = columns["sent_at"].isoformat()
        assignments = ", ".join(f"{name} = ?" for name in columns)
        with self._lock:
            self._db.execute(
                f"UPDATE items SET {assignments} WHERE purchase_id = ?",  # noqa: S608 - fixed names
                [*columns.values(), purchase_id],
            )

    def settle(self, purchase_id: str, refund_id: str | None) -> None:
        """Settle a ``sent`` row by hand, after looking at its refund requests.

        Args:
            purchase_id: The row.
            refund_id: The refund request that is this job's (the row becomes
                done), or None when there is none (the row is sent again next run).
        """
        with self._lock:
            found = self._db.execute("SELECT state FROM items WHERE purchase_id = ?", (purchase_id,)).fetchone()
        if found is None or found[0] != "sent":
            state = "not in the journal" if found is None else found[0]
            raise PreoValidationError("purchase_id", f"{purchase_id} is {state}; only a sent row can be settled")
        if refund_id is None:
            self.mark(purchase_id, "pending", before_ids=None, sent_at=None, problem=None, error=None)
        else:
            self.mark(purchase_id, "done", refund_id=refund_id, problem="settled by hand", error=None)

    def record_run(self) -> None:
        """Note which process runs the journal now (shown to a second process that tries)."""
        run = {"pid": os.getpid(), "host": socket.gethostname(), "started": _now()}
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO job VALUES ('run', ?)", (json.dumps(run),))

    def frame(self) -> pd.DataFrame:
        """Return the journal as a DataFrame, one row per purchase (``FRAME_COLUMNS``)."""
        with self._lock:
            rows = self._db.execute(f"SELECT {', '.join(FRAME_COLUMNS)} FROM items ORDER BY rowid").fetchall()  # noqa: S608
        frame = pd.DataFrame(rows, columns=FRAME_COLUMNS).astype(
            {
                "purchase_id": "string",
                "state": pd.CategoricalDtype(list(STATES)),
                "refund_id": "string",
                "amount": "float64",
                "problem": "string",
                "error": "string",
            }
        )
        frame["updated"] = pd.to_datetime(frame["updated"], utc=True, format="ISO8601").astype("datetime64[ns, UTC]")
        return frame

    def close(self) -> None:
        """Close the database."""
        self._db.close()

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


ADVICE = {  # (state, the problem's first word) -> what happened and what to do next
    ("pending", "401"): "fix the token and run again",
    ("pending", "403"): "use a token allowed to refund these purchases and run again",
    ("pending", "429"): "Preo asked to slow down; run again later",
    ("pending", "network"): "the network failed; run again",
    ("pending", "5xx"): "Preo failed for a moment; run again",
    ("pending", "*"): "see the error column, fix the cause and run again",
    ("sent", "outcome"): "check each purchase's refund requests (the error column says where) before running again",
    ("sent", "*"): "it may have been filed; run again, it checks before sending anything twice",
    ("failed", "409"): "Preo refused these refunds; nothing to do unless that is unexpected",
    ("failed", "404"): "no such purchase; check the ids",
    ("failed", "*"): "Preo refused the refund as asked; see the error column",
    ("failed", "invalid"): "not purchase ids; fix the list",
}


def summary(frame: pd.DataFrame) -> list[str]:
    """Lines for the person running a bulk refund: how many rows are in each state, and why.

    Example: ``done: 380``, ``failed (409 nothing_to_refund): 3``,
    ``pending (401 token rejected; fix the token and run again): 5``.
    """
    lines = [f"done: {int((frame['state'] == 'done').sum())}"]
    rest = frame[frame["state"] != "done"].fillna({"problem": "no reason recorded"})
    counts = rest.groupby(["state", "problem"], observed=True).size()
    for (state, problem), count in zip(counts.index.to_list(), counts.to_list(), strict=True):
        advice = _advice(str(state), str(problem))
        lines.append(f"{state} ({problem}{'; ' + advice if advice else ''}): {count}")
    return lines


def _advice(state: str, problem: str) -> str:
    first = problem.split(" ")[0]
    if first.isdigit() and first.startswith("5"):
        first = "5xx"
    return ADVICE.get((state, first)) or ADVICE.get((state, "*"), "")


@contextmanager
def exclusive(path: str | Path) -> Iterator[None]:
    """Hold the journal's lock for a run; refuse at once when another process holds it.

    Raises:
        PreoValidationError: Another run uses the journal (its pid is named when known).
    """
    lock = filelock.FileLock(f"{_checked(path)}.lock", timeout=0)
    try:
        lock.acquire()
    except filelock.Timeout:
        raise PreoValidationError(
            "journal",
            f"journal {path} is in use by another run ({_holder(Path(path))}); wait for it to "
            "finish or stop it, then run again (a second run at once would refund against the same rows)",
        ) from None
    try:
        yield
    finally:
        lock.release()


def _checked(path: str | Path) -> Path:
    path = Path(path)
    if not path.parent.is_dir():
        raise PreoValidationError("journal", f"no folder {path.parent} for the journal {path.name}")
    return path


def _holder(path: Path) -> str:
    """Describe the run holding a journal, from what it recorded there."""
    try:
        with closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=5)) as db:
            found = db.execute("SELECT value FROM job WHERE key = 'run'").fetchone()
        run = json.loads(found[0])
        return f"pid {run['pid']} on {run['host']}, started {run['started']}"
    except (sqlite3.Error, TypeError, ValueError, KeyError):
        return "pid unknown"


def _some(ids: set[str]) -> str:
    """``3 (pur_a, pur_b, pur_c)``: how many, and the first few by name."""
    shown = sorted(ids)[:5]
    return f"{len(ids)}" + (f" ({', '.join(shown)}{', ...' if len(ids) > 5 else ''})" if ids else "")


def _now() -> str:
    return datetime.now(UTC).isoformat()
