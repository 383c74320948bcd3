"""Soak: 1,000 refunds through a seeded storm of faults, and a run of 400 killed part-way.

Chaos gives every API request (reads included) a 10% chance of a fault drawn
from every kind a client must survive: 429, 502, 503, a reset connection, a
dropped answer after the commit, a cut-off body and latency.
"""

import collections
import os
import signal
import sqlite3
import subprocess
import time

import pytest

from preo_nb import bulk
from preo_nb.sandbox.core.faults import CHAOS_MENU

PURCHASES = 1000
KILLED_RUN = 400


@pytest.fixture
def targets(sandbox, connect_to):
    """1,000 paid purchases of the fresh sandbox, and the refund requests they had before."""
    sandbox.reset()
    ids = [p["api_id"] for p in sandbox.store.purchases(status="paid", refundable=True)[:PURCHASES]]
    assert len(ids) == PURCHASES
    before = set(connect_to(sandbox.url, sandbox.token).refunds.list()["id"])
    yield ids, before
    sandbox.faults.clear()


def new_requests(sandbox, connect_to, before):
    requests = connect_to(sandbox.url, sandbox.token).refunds.list()
    return requests[~requests["id"].isin(before)]


def assert_each_refunded_once(journal, made, ids):
    assert len(made) == len(ids), f"{len(made)} refund requests for {len(ids)} purchases"
    assert made["purchase.api_id"].is_unique and set(made["purchase.api_id"]) == set(ids)
    assert (journal["state"] == "done").all(), journal["state"].value_counts().to_dict()
    assert set(journal["refund_id"]) == set(made["id"])


def test_bulk_refund_through_chaos_refunds_each_purchase_once(sandbox, connect_to, targets, tmp_path):
    ids, before = targets
    sandbox.faults.chaos(0.10, seed=11)
    preo = connect_to(sandbox.url, sandbox.token, backoff_factor=0.01)
    journal = bulk.refund_purchases(
        preo, ids, reason="event_cancelled", journal=tmp_path / "soak.sqlite", progress=False
    )
    kinds = collections.Counter(kind for _method, _path, kind in sandbox.faults.faulted)
    sandbox.faults.clear()

    assert_each_refunded_once(journal, new_requests(sandbox, connect_to, before), ids)
    assert sum(kinds.values()) >= 150  # about 10% of some 2,000 requests
    assert set(kinds) == {str(status) if kind == "status" else kind for kind, status in CHAOS_MENU}


def done_rows(path):
    if not path.exists():
        return 0
    with sqlite3.connect(path) as db:
        try:
            return db.execute("SELECT count(*) FROM items WHERE state = 'done'").fetchone()[0]
        except sqlite3.OperationalError:  # the table is not there yet
            return 0


def test_a_killed_run_started_again_finishes_without_duplicates(
    sandbox, connect_to, targets, tmp_path, bulk_refund_command
):
    """400 of the purchases (the 1,000 go through chaos above): killed with requests in flight, in a real process."""
    ids, before = targets
    ids = ids[:KILLED_RUN]
    journal = tmp_path / "killed.sqlite"
    command, env = bulk_refund_command(sandbox, ids, journal, tmp_path)
    sandbox.faults.chaos(0.10, seed=12)

    first = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while done_rows(journal) < KILLED_RUN // 3 and first.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    os.kill(first.pid, signal.SIGKILL)
    first.wait(timeout=10)
    killed_at = done_rows(journal)
    assert 0 < killed_at < KILLED_RUN  # it really died part-way

    again = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=240)
    sandbox.faults.clear()
    assert again.returncode == 0, again.stdout + again.stderr
    assert f"done: {KILLED_RUN}" in again.stdout
    assert_each_refunded_once(bulk.Journal(journal).frame(), new_requests(sandbox, connect_to, before), ids)


def test_bulk_refund_of_an_edition_through_chaos_refunds_each_purchase_once(sandbox, connect_to, tmp_path):
    """With edition_id, the edition's refund requests stand in for most per-purchase checks: still exactly once."""
    sandbox.reset()
    edition = sandbox.store.busiest_edition()["id"]
    ids = [p["api_id"] for p in sandbox.store.purchases(edition_id=edition, status="paid", refundable=True)[:300]]
    assert len(ids) == 300
    before = set(connect_to(sandbox.url, sandbox.token).refunds.list()["id"])
    sandbox.faults.chaos(0.10, seed=12)
    preo = connect_to(sandbox.url, sandbox.token, backoff_factor=0.01)
    try:
        journal = bulk.refund_purchases(
            preo, ids, reason="event_cancelled", journal=tmp_path / "soak.sqlite", edition_id=edition, progress=False
        )
    finally:
        sandbox.faults.clear()
    made = new_requests(sandbox, connect_to, before)
    assert len(made) == len(ids) and made["purchase.api_id"].is_unique and set(made["purchase.api_id"]) == set(ids)
    assert (journal["state"] == "done").all(), journal["state"].value_counts().to_dict()
    assert set(journal["refund_id"]) == set(made["id"])
