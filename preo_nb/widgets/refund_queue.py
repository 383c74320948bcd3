"""RefundQueue: approve or reject an edition's refund requests, several at a time."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import ipywidgets as widgets

from preo_nb.widgets import _html
from preo_nb.widgets._view import Form, field
from preo_nb.widgets.refund_decisions import Outcome, QueueRow, decide, load_queue, summary

if TYPE_CHECKING:
    from preo_nb.client import Client

COLUMNS = ("", "Request", "Customer · product", "Amount", "Reason", "Scope", "State", "Outcome")
GRID = "2em 10em minmax(14em, 2fr) 6em 10em 11em 10em minmax(12em, 2fr)"


@dataclass
class RowControls:
    """The widgets of one row: its checkbox, its state and its outcome."""

    row: QueueRow
    checkbox: widgets.Checkbox
    state: widgets.HTML
    outcome: widgets.HTML


class RefundQueue(Form):
    """The open refund requests of one edition, to approve or reject in a batch.

    Requested ones can be selected; those being paid out show their state.

    Attributes:
        rows: The rows by request id (``.checkbox``, ``.state``, ``.outcome``).
        select_all: Tick or untick every requested row.
        comment: Why you reject (required to reject; sent with each rejection).
        approve, reject, refresh: The actions.
        progress: How far the current batch has gone.
    """

    css_class = "preo-refund-queue"

    def __init__(self, preo: Client, edition_id: str) -> None:
        super().__init__()
        self.preo = preo
        self.edition_id = edition_id
        self.rows: dict[str, RowControls] = {}
        self.table = widgets.GridBox(layout=widgets.Layout(grid_template_columns=GRID, grid_gap="2px 8px"))
        self.table.add_class("preo-queue-table")
        self.select_all = field(
            widgets.Checkbox(description="Select all requested", indent=False), "preo-queue-select-all"
        )
        self.comment = field(
            widgets.Text(description="Comment", placeholder="why (needed to reject)"), "preo-queue-comment"
        )
        self.approve = field(
            widgets.Button(
                description="Approve selected", button_style="success", icon="check", layout={"width": "auto"}
            ),
            "preo-queue-approve",
        )
        self.reject = field(
            widgets.Button(
                description="Reject selected", button_style="danger", icon="times", layout={"width": "auto"}
            ),
            "preo-queue-reject",
        )
        self.refresh = field(widgets.Button(description="Refresh", icon="refresh"), "preo-queue-refresh")
        self.progress = widgets.IntProgress(value=0, min=0, max=1, description="Progress")
        self.heading = widgets.HTML()
        self._mount(
            self.heading,
            widgets.HBox([self.refresh, self.select_all]),
            self.table,
            self.comment,
            widgets.HBox([self.approve, self.reject, self.progress]),
        )
        self.select_all.observe(self.on(self._select_all), "value")
        self.approve.on_click(self.on(lambda: self._decide("approve")))
        self.reject.on_click(self.on(lambda: self._decide("reject")))
        self.refresh.on_click(self.on(self._load))
        self.guard(self._load)

    @property
    def selected(self) -> list[str]:
        """The ids of the ticked requested rows, in table order."""
        return [id for id, c in self.rows.items() if c.checkbox.value and c.row.decidable]

    def _load(self) -> None:
        rows = load_queue(self.preo, self.edition_id)
        self.rows = {row.id: _controls(row) for row in rows}
        header = [widgets.HTML(f"<b>{_html.esc(name)}</b>") for name in COLUMNS]
        cells: list[widgets.Widget] = []
        for controls in self.rows.values():
            *shown, _state = controls.row.cells()
            texts = [widgets.HTML(_html.esc(value)) for value in shown]
            cells += [controls.checkbox, *texts, controls.state, controls.outcome]
        self.table.children = (*header, *cells)
        waiting = sum(row.decidable for row in rows)
        self.heading.value = (
            f"<h3 style='margin:0'>Refund queue · {_html.esc(self.edition_id)}</h3>"
            f"{waiting} requested, {len(rows) - waiting} being paid out"
        )
        self.select_all.value = False
        self.progress.value = 0
        self.say("ok", f"Loaded {len(rows)} open refund requests.")

    def _select_all(self) -> None:
        for controls in self.rows.values():
            if controls.row.decidable and not controls.checkbox.disabled:
                controls.checkbox.value = self.select_all.value

    def _decide(self, action: str) -> None:
        ids = self.selected
        self.approve.disabled = self.reject.disabled = True  # one batch at a time
        try:
            self.progress.max, self.progress.value, self.progress.bar_style = max(len(ids), 1), 0, "info"
            self.say("info", f"{action.title()} {len(ids)} request(s)…")
            outcomes = decide(self.preo, action, ids, self.comment.value, step=self._show_outcome)
        finally:
            self.approve.disabled = self.reject.disabled = False
        kind, text = summary(action, outcomes)
        self.progress.bar_style = "success" if kind == "ok" else "warning"
        self.say(kind, text)

    def _show_outcome(self, outcome: Outcome) -> None:
        controls = self.rows[outcome.id]
        controls.outcome.value = _html.status("ok" if outcome.ok else "error", outcome.message)
        if outcome.status is not None:
            controls.state.value = _html.esc(outcome.status.replace("_", " "))
            controls.checkbox.value = False
            controls.checkbox.disabled = True
        self.progress.value += 1


def _controls(row: QueueRow) -> RowControls:
    checkbox = widgets.Checkbox(
        value=False, indent=False, disabled=not row.decidable, layout=widgets.Layout(width="2em")
    )
    checkbox.add_class("preo-queue-check")
    state = widgets.HTML(_html.esc(row.status.replace("_", " ")))
    return RowControls(row, checkbox, state, widgets.HTML())
