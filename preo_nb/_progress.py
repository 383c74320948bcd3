"""Progress bars for long reads: a widget in a live kernel, text when headless.

Bars show the rate and the time left (tqdm's estimate); ``waits`` adds the throttling met.
``PREO_NB_PROGRESS`` = ``widget`` | ``text`` | ``off`` overrides the choice;
``preo-nb run`` and ``preo-nb demo`` set ``off`` for the kernels papermill runs:
no one watches them live (widget bars never update there), and text bars would be
kept in the executed notebook as stderr boxes in the middle of the report.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from typing import Any, Protocol


class Bar(Protocol):
    """The part of a tqdm bar preo_nb uses."""

    def update(self, n: int = 1) -> Any: ...

    def close(self) -> None: ...


class _NoBar:
    def update(self, n: int = 1) -> None:
        """Do nothing."""

    def close(self) -> None:
        """Do nothing."""


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
    """Add the throttling met so far to a bar (tqdm shows rate and time left itself)."""
    postfix = getattr(shown, "set_postfix_str", None)
    if throttled and postfix is not None:
        postfix(f"throttled {throttled}x, {waited:.0f} s waited", refresh=False)


def bar(total: int, desc: str, progress: bool | None) -> Bar:
    """Open a bar over ``total`` records, or a silent stand-in."""
    chosen = mode(progress)
    if chosen == "off":
        return _NoBar()
    if chosen == "widget" and importlib.util.find_spec("ipywidgets") is not None:  # else text: no widgets extra
        from tqdm.auto import tqdm as widget_bar

        return widget_bar(total=total, desc=desc, unit="rec", leave=False)
    from tqdm import tqdm as text_bar

    return text_bar(total=total, desc=desc, unit="rec", leave=False, file=sys.stderr)
