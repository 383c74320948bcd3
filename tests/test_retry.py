"""The retry decision table (``preo_nb._retry``), as a table, and its edges against a live sandbox."""

import logging
from datetime import UTC, datetime

import pytest

import preo_nb
from preo_nb._retry import Outcome, Policy, decide, retry_after

POLICY = Policy(max_retries=3, backoff_factor=0.5, max_wait=30.0)


@pytest.mark.parametrize(
    ("method", "outcome", "attempt", "extra", "action", "wait"),
    [
        ("GET", Outcome("answered", 200), 0, {}, "return", 0),
        ("GET", Outcome("answered", 503), 0, {}, "wait", 0.5),
        ("GET", Outcome("answered", 503), 2, {}, "wait", 2.0),
        ("GET", Outcome("answered", 503), 3, {}, "raise", 0),  # retries used up
        ("GET", Outcome("answered", 500), 0, {}, "raise", 0),
        ("GET", Outcome("answered", 404), 0, {}, "raise", 0),
        ("GET", Outcome("answered", 429, "7"), 0, {}, "wait", 7.0),
        ("GET", Outcome("answered", 429, "nan"), 1, {}, "wait", 1.0),  # unreadable: the backoff
        ("GET", Outcome("answered", 429, "2"), 3, {}, "raise", 0),  # retries used up, no patience left
        ("GET", Outcome("answered", 429, "2"), 3, {"patient": True}, "wait", 2.0),  # a read waits out throttling
        ("HEAD", Outcome("answered", 429), 6, {"patient": True}, "wait", 30.0),  # past the policy: capped backoff
        ("GET", Outcome("answered", 429, "0"), 3, {"patient": True}, "wait", 1.0),  # never a busy loop
        ("GET", Outcome("answered", 429, "0"), 1, {"patient": True}, "wait", 0.0),  # within the policy: as told
        ("GET", Outcome("answered", 503), 3, {"patient": True}, "raise", 0),  # patience is for refusals only
        ("POST", Outcome("answered", 429, "2"), 3, {"patient": True}, "raise", 0),  # a refused write is reported
        ("PATCH", Outcome("answered", 429, "2"), 3, {"patient": True}, "raise", 0),
        ("GET", Outcome("answered", 429, "soon"), 0, {}, "wait", 0.5),
        ("GET", Outcome("answered", 429, "600"), 0, {}, "wait", 30.0),  # capped
        ("GET", Outcome("lost"), 0, {}, "wait", 0.5),
        ("GET", Outcome("cut_off", 200), 0, {}, "wait", 0.5),
        ("GET", Outcome("not_sent"), 3, {}, "raise", 0),
        ("PATCH", Outcome("lost"), 0, {}, "wait", 0.5),  # PATCH sets absolute values: resent
        ("DELETE", Outcome("answered", 404), 1, {"reached_before": True}, "done", 0),
        ("DELETE", Outcome("answered", 404), 1, {"reached_before": False}, "raise", 0),
        ("DELETE", Outcome("answered", 404), 0, {}, "raise", 0),
        ("POST", Outcome("answered", 201), 0, {}, "return", 0),
        ("POST", Outcome("answered", 429, "-1"), 0, {}, "wait", 0.5),  # refused: nothing happened
        ("POST", Outcome("answered", 429, "2"), 0, {}, "wait", 2.0),
        ("POST", Outcome("answered", 503), 0, {}, "reconcile", 0),
        ("POST", Outcome("answered", 500), 0, {}, "reconcile", 0),
        ("POST", Outcome("answered", 400), 0, {}, "raise", 0),
        ("POST", Outcome("lost"), 0, {}, "reconcile", 0),
        ("POST", Outcome("lost"), 3, {}, "reconcile", 0),  # even on the last try: never a blind raise
        ("POST", Outcome("cut_off", 201), 0, {}, "reconcile", 0),
        ("POST", Outcome("not_sent"), 0, {}, "wait", 0.5),  # never reached the server: safe to send
        ("POST", Outcome("lost"), 0, {"safe": True}, "wait", 0.5),  # a preview changes nothing
    ],
)
def test_the_decision_table(method, outcome, attempt, extra, action, wait):
    decision = decide(method, outcome, attempt, POLICY, jitter=0.0, **extra)
    assert (decision.action, decision.wait) == (action, pytest.approx(wait))


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("3", 3.0),
        (" 1.5 ", 1.5),
        ("0", 0.0),
        (None, None),
        ("", None),
        ("nan", None),
        ("inf", None),
        ("-1", None),
        ("1e400", None),
        ("soon", None),
        ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0),
        ("Tue, 01 Dec 2026 10:00:20 GMT", 20.0),
    ],
)
def test_retry_after_values(value, seconds):
    now = datetime(2026, 12, 1, 10, 0, 0, tzinfo=UTC)
    assert retry_after(value, 30.0, now) == seconds


@pytest.fixture
def fast(sandbox, connect_to):
    sandbox.reset()
    yield connect_to(sandbox.url, sandbox.token, backoff_factor=0.01)
    sandbox.faults.clear()


@pytest.mark.parametrize("value", ["nan", "-1", "soon"])
def test_an_unreadable_retry_after_on_a_post_falls_back_to_the_backoff(fast, sandbox, value, caplog):
    purchase = sandbox.store.find_purchase(status="paid", refundable=True)["api_id"]
    sandbox.faults.fail_next("POST", f"/v1/purchases/{purchase}/refund", 429, headers={"Retry-After": value})
    with caplog.at_level(logging.WARNING, logger="preo_nb.http"):
        made = fast.purchases.refund(purchase, reason="sold_out")
    assert made["status"] == "requested"
    assert any("got 429; trying again in" in r.getMessage() for r in caplog.records)


def test_an_unreadable_retry_after_on_a_read_is_still_retried(fast, sandbox):
    sandbox.faults.fail_next("GET", "/v1/editions", 429, headers={"Retry-After": "1.5e"}, times=2)
    assert len(fast.editions.list()) >= 3


def test_a_delete_whose_answer_was_lost_is_done_not_not_found(fast, sandbox, caplog):
    consent = fast.consents.list()["id"].iloc[-1]
    sandbox.faults.fail_next("DELETE", f"/v1/consents/{consent}", kind="drop")
    with caplog.at_level(logging.WARNING, logger="preo_nb.http"):
        assert fast.consents.delete(consent) is None
    assert any("the first one had worked" in r.getMessage() for r in caplog.records)
    with pytest.raises(preo_nb.NotFound):
        fast.consents.retrieve(consent)
