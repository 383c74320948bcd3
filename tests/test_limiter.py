"""The adaptive limiter: grows on fast answers, backs off on 429/503, pins; HTTP.request sends each try in a
slot and waits out throttled reads."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest

from preo_nb import _limiter, _retry, bulk
from preo_nb._http import HTTP
from preo_nb._limiter import CUT, Limiter
from preo_nb._retry import Policy
from preo_nb._transports import Reply, Request
from preo_nb.config import Settings
from preo_nb.errors import PreoValidationError, RateLimited


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_fast_answers_grow_it_to_the_cap_and_slow_ones_do_not() -> None:
    limiter = Limiter(start=4, cap=40, clock=Clock())
    for _ in range(4):  # slow start: one more per fast answer, so a round trip of 4 answers doubles it
        limiter.observe(200, None, 0.05)
    assert limiter.limit == 8
    limiter.observe(200, None, 5.0)  # a slow answer: no growth, and slow start is over
    assert limiter.limit == 8
    for _ in range(8):
        limiter.observe(200, None, 0.05)
    assert limiter.limit == pytest.approx(9.0, abs=0.1)  # about one more per round trip
    for _ in range(1000):
        limiter.observe(200, None, 0.05)
    assert limiter.limit == 40


def test_slow_start_ends_at_the_first_refusal() -> None:
    limiter = Limiter(start=4, cap=64, clock=Clock())
    for _ in range(12):
        limiter.observe(200, None, 0.05)
    assert limiter.limit == 16
    limiter.observe(429, "1", 0.01)
    assert limiter.limit == 8
    for _ in range(8):
        limiter.observe(200, None, 0.05)
    assert limiter.limit == pytest.approx(9.0, abs=0.1)


def test_a_429_halves_it_holds_everyone_back_and_caps_the_rate_below_the_good_answers() -> None:
    clock = Clock()
    limiter = Limiter(start=8, cap=16, clock=clock)
    for _ in range(3):  # refused at once: too early to know the server's rate; halve and hold
        limiter.observe(429, "1", 0.01)
    assert (limiter.limit, limiter.ceiling, limiter.held_until) == (4, None, clock.now + 1)
    for _ in range(300):  # 100 good answers a second for three seconds
        clock.now += 0.01
        limiter.observe(200, None, 0.05)
    held = limiter.held_until
    limiter.observe(429, "2", 0.01)  # an odd refusal among 200 good answers: no rate, no hold
    assert limiter.ceiling is None and limiter.held_until == held
    for _ in range(60):  # then the server refuses every other request for 1.2 s: 50 good answers a second
        clock.now += 0.01
        limiter.observe(200, None, 0.05)
        clock.now += 0.01
        limiter.observe(429, "1", 0.01)
    assert limiter.throttled == 64 and limiter.held_until == pytest.approx(clock.now + 1)
    # cut once a second: at 1 s, the last 2 s held about 100 good answers at 100/s and 50 at 50/s
    assert CUT * 70 < limiter.ceiling < CUT * 80
    start, knee = limiter.ceiling, limiter.knee
    for _ in range(10):  # back to the rate last refused quickly (0.05 an answer)...
        limiter.observe(200, None, 0.05)
    assert limiter.ceiling == pytest.approx(start + 0.5)
    while limiter.ceiling < knee:
        limiter.observe(200, None, 0.05)
    for _ in range(10):  # ...then slowly past it
        limiter.observe(200, None, 0.05)
    assert knee < limiter.ceiling <= knee + 0.05 + 10 * 0.005 + 1e-9


def test_a_503_backs_off_too_and_a_500_does_not_grow_it() -> None:
    limiter = Limiter(start=8, clock=Clock())
    limiter.observe(500, None, 0.01)
    assert limiter.limit == 8
    limiter.observe(503, None, 0.01)
    assert limiter.limit == 4


def test_pinned_concurrency_is_never_exceeded_and_is_restored() -> None:
    limiter = Limiter(start=2, cap=8)
    with limiter.pinned(3):
        assert limiter.threads == 3
        inside, most = [0], [0]
        lock = threading.Lock()
        barrier = threading.Barrier(6, timeout=5)

        def work() -> None:
            barrier.wait()
            with limiter.slot():
                with lock:
                    inside[0] += 1
                    most[0] = max(most[0], inside[0])
                threading.Event().wait(0.05)
                with lock:
                    inside[0] -= 1

        threads = [threading.Thread(target=work) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(5)
        assert most[0] == 3
    assert limiter.fixed is None and limiter.threads == 8


def test_a_pinned_rate_spaces_the_requests() -> None:
    limiter = Limiter(start=4)
    limiter.pin(rate=20)
    clock = time.monotonic
    started = clock()
    for _ in range(6):
        with limiter.slot():
            pass
    assert clock() - started >= 0.24  # 6 requests at 20 a second: 5 gaps of 50 ms


class Refusing:
    """A transport answering 429 (``Retry-After: 0``) ``refusals`` times, then 200; it notes each try's slots."""

    def __init__(self, refusals: int) -> None:
        self.refusals = refusals
        self.limiter: Limiter | None = None
        self.in_flight: list[int] = []  # the limiter's requests in flight as each try is sent

    def send(self, request: Request) -> Reply:
        assert self.limiter is not None
        self.in_flight.append(self.limiter.in_flight)
        if len(self.in_flight) <= self.refusals:
            return Reply(429, {"retry-after": "0", "content-type": "application/json"}, b"{}", request.url)
        return Reply(200, {"content-type": "application/json"}, b'{"results": []}', request.url)

    def concurrent(self) -> bool:
        return True

    def close(self) -> None:
        pass


def refusing(monkeypatch, refusals: int, patience: float) -> tuple[HTTP, Refusing]:
    """An HTTP with one retry (two tries) and its limiter, over a transport refusing ``refusals`` times."""
    monkeypatch.setattr(_limiter, "PATIENCE", patience)
    transport = Refusing(refusals)
    http = HTTP(Settings(base_url="https://api.preo.dev", token="t0k3n-value"), transport, retry=Policy(1, 0.0, 0.0))
    transport.limiter = _limiter.of(http)
    return http, transport


def test_a_read_refused_beyond_the_retries_is_tried_again_in_a_slot_each_time(monkeypatch) -> None:
    monkeypatch.setattr(_retry, "PATIENT_PAUSE", 0.01)  # a second between patient tries, in use; not here
    http, transport = refusing(monkeypatch, refusals=5, patience=60)
    assert http.request("GET", "/v1/orders") == {"results": []}
    assert transport.in_flight == [1] * 6  # each try held one slot: the 429s did not leave one taken
    assert transport.limiter is not None and transport.limiter.in_flight == 0
    assert transport.limiter.throttled == 5


def test_a_read_still_refused_when_patience_runs_out_raises(monkeypatch) -> None:
    http, transport = refusing(monkeypatch, refusals=5, patience=0)
    with pytest.raises(RateLimited):
        http.request("GET", "/v1/orders")
    assert len(transport.in_flight) == 2  # the retry policy's tries, no more


def test_a_refused_post_is_not_waited_out(monkeypatch) -> None:
    http, transport = refusing(monkeypatch, refusals=5, patience=60)
    with pytest.raises(RateLimited):
        http.request("POST", "/v1/purchases/p1/refund", json={"reason": "sold_out"})
    assert len(transport.in_flight) == 2  # refused means nothing happened: reported (a bulk row stays pending)


def test_an_http_no_limiter_was_made_for_neither_waits_nor_is_patient() -> None:
    transport = Refusing(refusals=5)
    transport.limiter = Limiter()  # not this HTTP's: its counts stay at zero
    http = HTTP(Settings(base_url="https://api.preo.dev", token="t0k3n-value"), transport, retry=Policy(1, 0.0, 0.0))
    with pytest.raises(RateLimited):
        http.request("GET", "/v1/orders")
    assert transport.in_flight == [0, 0]


def unless_deadlocked(call: Callable[[], str], limiter: Limiter, seconds: float = 20) -> str:
    """``call()`` in a thread; if it has not ended in ``seconds``, unpin the limiter (so a deadlock ends) and fail."""
    result: list[str] = []
    thread = threading.Thread(target=lambda: result.append(call()))
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        limiter.pin(concurrency=4)
        thread.join(seconds)
        pytest.fail(f"no answer in {seconds} s at a limit of one: a request waited for the slot its own call held")
    return result[0]


@pytest.mark.timeout(90)  # the backstop, should unpinning not end the wait
@pytest.mark.parametrize("via", ["purchases.refund", "bulk.refund_purchases"])
def test_a_lost_refund_answer_is_reconciled_at_a_limit_of_one(sandbox, connect_to, tmp_path, via) -> None:
    sandbox.reset()
    preo = connect_to(sandbox.url, sandbox.token, backoff_factor=0.01)
    preo.limiter.pin(concurrency=1)
    purchase = sandbox.store.find_purchase(org=1, status="paid", refundable=True)["api_id"]

    def refund() -> str:
        if via == "purchases.refund":
            return str(preo.purchases.refund(purchase, reason="event_cancelled")["id"])
        journal = bulk.refund_purchases(
            preo, [purchase], reason="event_cancelled", journal=tmp_path / "j.sqlite", workers=1, progress=False
        )
        assert journal["state"].tolist() == ["done"], journal["problem"].tolist()
        return str(journal["refund_id"].iloc[0])

    sandbox.faults.fail_next("POST", f"/v1/purchases/{purchase}/refund", kind="drop")  # filed, the answer lost
    try:
        made = unless_deadlocked(refund, preo.limiter)
    finally:
        sandbox.faults.clear()
    assert preo.refunds.list(purchase_id=purchase)["id"].tolist() == [made]  # found by the check, filed once


def test_bad_pins_are_refused() -> None:
    with pytest.raises(ValueError, match="rate"):
        Limiter().pin(rate=0)
    with pytest.raises(ValueError, match="concurrency"):
        Limiter().pin(concurrency=0)


def test_more_at_once_than_the_connections_carry_is_refused_naming_the_setting(sandbox, connect_to, tmp_path) -> None:
    preo = connect_to(sandbox.url, sandbox.token, page_workers=8, sockets=True)  # 16 connections
    preo.limiter.pin(cap=16)
    with pytest.raises(PreoValidationError, match=r"cap: 32 requests at once .* 16 connections .*page_workers=16"):
        preo.limiter.pin(cap=32)
    assert preo.limiter.cap == 16  # nothing changed
    purchase = sandbox.store.find_purchase(org=1, status="paid", refundable=True)["api_id"]
    with pytest.raises(PreoValidationError, match="concurrency: 20 requests at once"):
        bulk.refund_purchases(preo, [purchase], reason="event_cancelled", journal=tmp_path / "j.sqlite", workers=20)
    assert not (tmp_path / "j.sqlite").exists()  # refused before the journal: nothing recorded, nothing sent
