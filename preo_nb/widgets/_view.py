"""What every form view shares: a root box, a status line and a place for tracebacks."""

from __future__ import annotations

import traceback
from collections.abc import Callable
from typing import Any

import ipywidgets as widgets

from preo_nb.errors import PreoError
from preo_nb.widgets import _html

WIDE = {"description_width": "9em"}


class Form:
    """Base of the form views.

    Attributes:
        status: One line saying what happened last (success, refusal or error).
        output: Tracebacks of unexpected errors, so nothing a callback raises is lost.
        widget: The root box; displaying the form displays it.
    """

    css_class = "preo-form"

    def __init__(self) -> None:
        self.status = widgets.HTML(layout=widgets.Layout(min_height="1.5em"))
        self.status.add_class("preo-status-line")
        self.output = widgets.Output()
        self.widget: widgets.Box = widgets.VBox()

    def _mount(self, *children: widgets.Widget) -> None:
        self.widget.children = (*children, self.status, self.output)
        self.widget.add_class("preo-form")
        self.widget.add_class(self.css_class)

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        bundle = self.widget._repr_mimebundle_(**kwargs)
        if isinstance(bundle, dict):
            bundle["text/plain"] = repr(self)  # what shows where widgets cannot (a static render, a console)
        return bundle

    def __repr__(self) -> str:
        return f"<{type(self).__name__}: an interactive form; run the notebook in Jupyter to use it>"

    def say(self, kind: str, text: str) -> None:
        """Show a status message (``kind``: ok, error, warning, info)."""
        self.status.value = _html.status(kind, text)

    def guard(self, action: Callable[[], None]) -> None:
        """Run ``action``; whatever it raises ends up in the form, not in the kernel's log."""
        try:
            action()
        except PreoError as exc:
            self.say("error", f"{type(exc).__name__}: {exc}")
        except Exception as exc:  # a bug must still be seen where the user is looking
            self.say("error", f"Unexpected {type(exc).__name__}: {exc} (details below)")
            self.output.append_stdout(traceback.format_exc())

    def on(self, action: Callable[[], None]) -> Callable[[Any], None]:
        """Wrap ``action`` as a widget callback (click or observe) run under ``guard``."""
        return lambda _event: self.guard(action)


def field(widget: widgets.Widget, css: str) -> widgets.Widget:
    """Give a control a wide label and a CSS class browser tests and styles can find."""
    if hasattr(widget, "style") and "description_width" in widget.style.keys:
        widget.style.description_width = WIDE["description_width"]
    widget.add_class(css)
    return widget
