"""Progress for long reads and bulk jobs: a tqdm bar in a live kernel, plain lines when headless.

Both show the rate, the time left and (``waits``) the throttling met. Headless, a
redrawn bar becomes noise in a log (CI, cron, ``nohup``), so ``Lines`` prints a whole
line at most every ``EVERY`` seconds and one at the end.
``PREO_NB_PROGRESS`` = ``widget`` | ``text`` | ``off`` overrides the choice in a kernel
(headless, anything but ``off`` gives plain lines);
``preo-nb run`` and ``preo-nb demo`` set ``off`` for the kernels papermill runs:
no one watches them live (widget bars never update there), and text bars would be
kept in the executed notebook as stderr boxes in the middle of the report.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import time
from collections.abc import Callable
from typing import Any, Protocol, TextIO

#: Seconds between two headless progress lines.
EVERY = 10.0


class Bar(Protocol):
    """The part of a tqdm bar preo_nb uses."""

    def update(self, n: int = 1) -> Any: ...

    def close(self) -> None: ...


class _NoBar:
    def update(self, n: int = 1) -> None:
        """Do nothing."""

    def close(self) -> None:
        """Do nothing."""


class Lines:
    """Headless progress: plain lines with done/total, rate, throttling and time left, at most every ``every`` s."""

    def __init__(
        self,
        total: int,
        desc: str,
        *,
        every: float = EVERY,
        clock: Callable[[], float] = time.monotonic,
        out: TextIO | None = None,
    ) -> None:
        self.total, self.desc, self.every, self.clock = total, desc, every, clock
        self.out = out or sys.stderr
        self.done, self.done_shown, self.throttling = 0, 0, ""
        self.started = self.shown = clock()

    def update(self, n: int = 1) -> None:
        """Count ``n`` more records; print a line when ``every`` seconds passed since the last."""
        self.done += n
        if self.clock() - self.shown >= self.every:
            self._show()

    def set_postfix_str(self, text: str, refresh: bool = False) -> None:
        """Keep the throttling note for the next line (tqdm's name, so ``waits`` serves both)."""
        self.throttling = text

    def close(self) -> None:
        """Print the last line, unless nothing was counted since the last one."""
        if self.done != self.done_shown:
            self._show()

    def _show(self) -> None:
        now = self.shown = self.clock()
        self.done_shown = self.done
        elapsed = max(now - self.started, 1e-9)
        rate = self.done / elapsed
        parts = [f"{self.desc}: {self.done:,}/{self.total:,} rec", f"{rate:,.1f} rec/s"]
        if self.throttling:
            parts.append(self.throttling)
        if self.done < self.total:
            parts.append(f"about {_duration((self.total - self.done) / rate) if rate else 'unknown'} left")
        else:
            parts.append(f"done in {_duration(elapsed)}")
        print(", ".join(parts), file=self.out, flush=True)


def _duration(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes} min {secs:02d} s" if minutes else f"{secs} s"


def mode(progress: bool | None) -> str:
    """Return ``widget``, ``text`` or ``off`` for an explicit choice and the environment."""
    if progress is False:
        return "off"
    chosen = os.environ.get("PREO_NB_PROGRESS", "").lower()
    if chosen in ("widget", "text"):
        return chosen
    if chosen == "off" and progress is None:
        return "off"
    return "widget" if _in_kernel() else "text"


def _in_kernel() -> bool:
    shell = sys.modules.get("IPython")
    get_ipython = getattr(shell, "get_ipython", None)
    return bool(get_ipython and getattr(get_ipython(), "kernel", None))


def note(message: str, progress: bool | None = None) -> None:
    """Show a one-line progress note (stderr), unless progress is off."""
    if mode(progress) != "off":
        print(message, file=sys.stderr, flush=True)


def waits(shown: Bar, throttled: int, waited: float) -> None:
    """Add the throttling met so far to a bar (tqdm and ``Lines`` show rate and time left themselves)."""
    postfix = getattr(shown, "set_postfix_str", None)
    if throttled and postfix is not None:
        postfix(f"throttled {throttled}x, {waited:.0f} s waited", refresh=False)


def bar(total: int, desc: str, progress: bool | None) -> Bar:
    """Open a bar over ``total`` records: tqdm in a kernel, ``Lines`` headless, or a silent stand-in."""
    chosen = mode(progress)
    if chosen == "off":
        return _NoBar()
    if not _in_kernel():
        return Lines(total, desc)
    if chosen == "widget" and importlib.util.find_spec("ipywidgets") is not None:  # else text: no widgets extra
        from tqdm.auto import tqdm as widget_bar

        return widget_bar(total=total, desc=desc, unit="rec", leave=False)
    from tqdm import tqdm as text_bar

    return text_bar(total=total, desc=desc, unit="rec", leave=False, file=sys.stderr)
