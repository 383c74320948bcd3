"""The adaptive limiter: grows on fast answers, backs off on 429/503, pins, waits out throttling."""

from __future__ import annotations

import threading
import time
from types import SimpleNamespace

import pytest

from preo_nb import _limiter, _pages
from preo_nb._limiter import CUT, Limiter
from preo_nb.errors import RateLimited


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


class _Refusing:
    """An HTTP stand-in whose GETs answer with ``answers`` in turn (an exception is raised)."""

    def __init__(self, *answers: object) -> None:
        self.settings = SimpleNamespace(page_workers=8)
        self.answers = iter(answers)

    def request(self, method: str, path: str, params: object = None) -> object:
        answer = next(self.answers)
        if isinstance(answer, Exception):
            raise answer
        return answer


def test_a_429_outlasting_the_retries_is_waited_out_then_raised_after_patience(monkeypatch) -> None:
    refused = RateLimited(429, method="GET", url="u")
    assert _pages.get(_Refusing(refused, refused, "page"), "/v1/orders") == "page"  # type: ignore[arg-type]
    monkeypatch.setattr(_limiter, "PATIENCE", 0)
    with pytest.raises(RateLimited):
        _pages.get(_Refusing(refused, "page"), "/v1/orders")  # type: ignore[arg-type]


def test_bad_pins_are_refused() -> None:
    with pytest.raises(ValueError, match="rate"):
        Limiter().pin(rate=0)
    with pytest.raises(ValueError, match="concurrency"):
        Limiter().pin(concurrency=0)
