"""RefundQueue: its rules without a server, and batches of decisions against the live sandbox."""

import pytest

from preo_nb.errors import PreoValidationError
from preo_nb.widgets import RefundQueue
from preo_nb.widgets.refund_decisions import Outcome, QueueRow, check_decision, summary

from .helpers import spy_on, text, writes


@pytest.mark.parametrize(
    ("action", "ids", "comment", "message"),
    [
        ("approve", [], "", "select at least one requested refund"),
        ("reject", [], "why", "select at least one requested refund"),
        ("reject", ["rfr_1"], "  ", "say why you reject them"),
        ("delete", ["rfr_1"], "", "'delete' is not one of approve, reject"),
    ],
)
def test_a_decision_that_cannot_be_sent_is_refused(action, ids, comment, message):
    with pytest.raises(PreoValidationError, match=message):
        check_decision(action, ids, comment)


def test_an_approval_needs_no_comment():
    check_decision("approve", ["rfr_1"], "")


@pytest.mark.parametrize(("amount", "shown"), [(12.5, "€12.50"), ("12.50", "€12.50"), (None, "-"), ("n/a", "-")])
def test_a_row_shows_money_sent_as_text_and_never_turns_unknown_into_zero(amount, shown):
    row = QueueRow.from_api({"id": "rfr_1", "status": "requested", "amount": amount})
    assert row.cells()[2] == shown


def test_the_summary_counts_what_went_through():
    outcomes = [Outcome("a", True, "ready", ""), Outcome("b", False, None, "")]
    assert summary("approve", outcomes) == ("warning", "Approved 1 of 2; 1 did not go through (see their rows).")
    assert summary("reject", outcomes[:1]) == ("ok", "Rejected 1 of 1.")


@pytest.fixture
def edition(sandbox):
    return sandbox.store.edition(org=1, n=2)  # the coming festival: requests waiting for a decision


@pytest.fixture
def queue(live, edition):
    return RefundQueue(live, edition["id"])


def states(sandbox, ids):
    found = {r["id"]: r for r in sandbox.store.refunds()}
    return [found[id]["status"] for id in ids]


def test_lists_requested_refunds_to_select_and_payouts_with_their_state(sandbox, queue, edition):
    open_ones = [
        r
        for r in sandbox.store.refunds()
        if r["edition_id"] == edition["id"] and r["status"] in ("requested", "ready", "processing", "awaiting_gateway")
    ]
    assert set(queue.rows) == {r["id"] for r in open_ones}
    for request in open_ones:
        controls = queue.rows[request["id"]]
        assert controls.checkbox.disabled == (request["status"] != "requested")
        assert text(controls.state) == request["status"].replace("_", " ")
    requested = sum(r["status"] == "requested" for r in open_ones)
    assert f"{requested} requested, {len(open_ones) - requested} being paid out" in text(queue.heading)


def test_select_all_ticks_only_the_requested_rows(queue):
    queue.select_all.value = True
    assert queue.selected == [id for id, c in queue.rows.items() if c.row.status == "requested"]
    assert not any(c.checkbox.value for c in queue.rows.values() if c.row.status != "requested")


def test_approves_the_selected_with_progress_and_an_outcome_per_row(sandbox, queue):
    chosen = [id for id, c in queue.rows.items() if c.row.decidable][:3]
    for id in chosen:
        queue.rows[id].checkbox.value = True
    queue.approve.click()
    assert states(sandbox, chosen) == ["ready"] * 3
    assert (queue.progress.value, queue.progress.max) == (3, 3)
    assert [text(queue.rows[id].outcome) for id in chosen] == ["✓ approved: now ready"] * 3
    assert all(queue.rows[id].checkbox.disabled and text(queue.rows[id].state) == "ready" for id in chosen)
    assert text(queue.status) == "✓ Approved 3 of 3."


def test_rejecting_needs_a_comment_and_sends_it(sandbox, live, queue, monkeypatch):
    [first, second] = [id for id, c in queue.rows.items() if c.row.decidable][:2]
    queue.rows[first].checkbox.value = queue.rows[second].checkbox.value = True
    calls = spy_on(live, monkeypatch)
    queue.reject.click()
    assert writes(calls) == [] and "say why you reject them" in text(queue.status)
    queue.comment.value = "bought twice by mistake, kept one"
    queue.reject.click()
    assert states(sandbox, [first, second]) == ["rejected", "rejected"]
    found = {r["id"]: r for r in sandbox.store.refunds()}
    assert found[first]["comment"] == "bought twice by mistake, kept one"


def test_a_row_decided_elsewhere_fails_alone(sandbox, live, queue):
    [first, second] = [id for id, c in queue.rows.items() if c.row.decidable][:2]
    live.refunds.reject(first, comment="decided at the other desk")
    queue.rows[first].checkbox.value = queue.rows[second].checkbox.value = True
    queue.approve.click()
    assert states(sandbox, [first, second]) == ["rejected", "ready"]
    assert "Conflict" in text(queue.rows[first].outcome)
    assert text(queue.rows[second].outcome) == "✓ approved: now ready"
    assert text(queue.status) == "! Approved 1 of 2; 1 did not go through (see their rows)."
    assert not queue.approve.disabled  # ready for the next batch


def test_refresh_reads_the_queue_again(sandbox, live, queue):
    waiting = [id for id, c in queue.rows.items() if c.row.decidable]
    live.refunds.approve(waiting[0])
    queue.refresh.click()
    assert queue.rows[waiting[0]].checkbox.disabled
    assert text(queue.rows[waiting[0]].state) == "ready"
    assert "Loaded" in text(queue.status)
