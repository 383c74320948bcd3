"""Headless progress: whole lines with rate, throttling and time left, at a bounded frequency."""

import io

from preo_nb import _progress


class Clock:
    def __init__(self):
        self.now = 100

    def __call__(self):
        return self.now


def test_headless_progress_prints_rate_throttling_and_time_left_at_most_every_ten_seconds():
    clock, out = Clock(), io.StringIO()
    lines = _progress.Lines(3000, "orders", every=10.0, clock=clock, out=out)
    for second in range(1, 26):  # 100 records a second for 25 s
        clock.now += 1
        lines.update(100)
        if second == 12:
            _progress.waits(lines, 4, 2.4)
    lines.close()
    assert out.getvalue().splitlines() == [
        "orders: 1,000/3,000 rec, 100.0 rec/s, about 20 s left",
        "orders: 2,000/3,000 rec, 100.0 rec/s, throttled 4x, 2 s waited, about 10 s left",
        "orders: 2,500/3,000 rec, 100.0 rec/s, throttled 4x, 2 s waited, about 5 s left",
    ]


def test_a_finished_job_says_how_long_it_took_in_minutes():
    clock, out = Clock(), io.StringIO()
    lines = _progress.Lines(50, "refunds", clock=clock, out=out)
    clock.now += 125
    lines.update(50)
    lines.close()
    assert out.getvalue().splitlines() == ["refunds: 50/50 rec, 0.4 rec/s, done in 2 min 05 s"]  # once


def test_headless_runs_get_lines_not_a_redrawn_bar(monkeypatch, capsys):
    monkeypatch.delenv("PREO_NB_PROGRESS", raising=False)
    shown = _progress.bar(10, "details", None)
    assert isinstance(shown, _progress.Lines)
    shown.update(10)
    shown.close()
    assert "\r" not in capsys.readouterr().err
    assert not isinstance(_progress.bar(10, "details", False), _progress.Lines)
