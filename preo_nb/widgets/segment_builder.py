"""SegmentBuilder: build a CEL condition from clauses, check it as you type, save and calculate it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import ipywidgets as widgets
import pandas as pd

from preo_nb import cel
from preo_nb.widgets import _html
from preo_nb.widgets._view import Form, field
from preo_nb.widgets.segment_draft import (
    JOINERS,
    STEPS,
    ClauseKind,
    clause,
    clause_kinds,
    combine,
    follow,
    save,
    save_problems,
)

if TYPE_CHECKING:
    from preo_nb.client import Client


class SegmentBuilder(Form):
    """Build, check, save and calculate a customer segment of one edition.

    Attributes:
        segment: A segment of the edition to edit, or a new one (``None``).
        name: The segment's name.
        kind, choice, operator, value, negate, joiner, add: Build a clause and add it with AND/OR.
        condition: The CEL text (editable); checked locally as it changes, then by Preo.
        local_check, server_check: What each check says.
        save, recalculate, export: Save (create or update); calculate with ``progress``; export members.
        user_count: The last calculation's size.
        members: The exported members (a DataFrame), ``None`` before an export.
        server_result: The last ``validate_cel`` answer.
    """

    css_class = "preo-segment-builder"

    def __init__(self, preo: Client, edition_id: str, *, poll_interval: float = 1.0) -> None:
        super().__init__()
        self.preo = preo
        self.edition_id = edition_id
        self.poll_interval = poll_interval
        self.segment_id: str | None = None
        self.members: pd.DataFrame | None = None
        self.server_result: dict[str, Any] | None = None
        self._saved_condition: str | None = None
        self.context: dict[str, Any] = {}
        self._kinds: dict[str, ClauseKind] = {}
        self._organization_id = ""
        self._build()
        self.guard(self._load)

    def _build(self) -> None:
        self.segment = field(
            widgets.Dropdown(description="Segment", options=[("New segment", None)], layout={"width": "32em"}),
            "preo-segment-choose",
        )
        self.name = field(
            widgets.Text(description="Name", placeholder="e.g. Drink lovers 2026", layout={"width": "32em"}),
            "preo-segment-name",
        )
        clause_row = self._build_clause_row()
        self.condition = field(
            widgets.Textarea(description="Condition", rows=3, layout={"width": "48em"}), "preo-segment-condition"
        )
        self.local_check = widgets.HTML()
        self.local_check.add_class("preo-segment-local")
        self.server_check = widgets.HTML()
        self.server_check.add_class("preo-segment-server")
        actions = self._build_actions()
        self._mount(
            widgets.HTML(f"<h3 style='margin:0'>Segment builder · {_html.esc(self.edition_id)}</h3>"),
            self.segment,
            self.name,
            *clause_row,
            self.condition,
            self.local_check,
            self.server_check,
            *actions,
        )
        self._wire()

    def _build_clause_row(self) -> list[widgets.Widget]:
        self.kind = field(widgets.Dropdown(description="Clause"), "preo-segment-kind")
        self.negate = field(
            widgets.Checkbox(description="not", indent=False, layout={"width": "5em"}), "preo-segment-negate"
        )
        self.choice = field(widgets.Dropdown(layout={"width": "16em"}), "preo-segment-choice")
        self.operator = field(widgets.Dropdown(layout={"width": "9em"}), "preo-segment-operator")
        self.value = field(widgets.Text(placeholder="value", layout={"width": "12em"}), "preo-segment-value")
        self.joiner = field(widgets.ToggleButtons(options=list(JOINERS), value="AND"), "preo-segment-joiner")
        self.joiner.style.button_width = "4em"
        self.add = field(widgets.Button(description="Add clause", icon="plus"), "preo-segment-add")
        return [
            widgets.HBox([self.kind, self.negate, self.choice, self.operator, self.value]),
            widgets.HBox([self.joiner, self.add]),
        ]

    def _build_actions(self) -> list[widgets.Widget]:
        self.save = field(widgets.Button(description="Save", button_style="primary", icon="save"), "preo-segment-save")
        self.recalculate = field(widgets.Button(description="Calculate", icon="calculator"), "preo-segment-recalc")
        self.progress = widgets.IntProgress(value=0, min=0, max=3, description="Calculation")
        self.user_count = widgets.HTML()
        self.user_count.add_class("preo-segment-count")
        self.export = field(widgets.Button(description="Export members", icon="table"), "preo-segment-export")
        self.members_view = widgets.HTML()
        return [
            widgets.HBox([self.save, self.recalculate, self.progress, self.user_count]),
            self.export,
            self.members_view,
        ]

    def _wire(self) -> None:
        self.segment.observe(self.on(self._segment_chosen), "value")
        self.kind.observe(self.on(self._kind_changed), "value")
        self.add.on_click(self.on(self._add_clause))
        self.condition.observe(self.on(self._check), "value")
        self.save.on_click(self.on(self._save))
        self.recalculate.on_click(self.on(self._recalculate))
        self.export.on_click(self.on(self._export))

    def _load(self) -> None:
        self.context = self.preo.segments.cel_context(edition_id=self.edition_id)
        self._kinds = clause_kinds(self.context)
        self.kind.options = [(k.label, key) for key, k in self._kinds.items()]
        self._kind_changed()
        self._organization_id = self.preo.editions.retrieve(self.edition_id)["organization_id"]
        existing = self.preo.segments.list(edition_id=self.edition_id, progress=False)
        self.segment.options = [
            ("New segment", None),
            *((f"{r['name']} · {r['id']}", r["id"]) for _, r in existing.iterrows()),
        ]
        self._check()
        self.say(
            "ok",
            f"Ready: {len(self.context.get('products', []))} products and {len(self._kinds)} kinds of "
            f"clause from the edition's CEL context; {len(existing)} saved segments.",
        )

    def _kind_changed(self) -> None:
        kind = self._kinds.get(self.kind.value) if self.kind.value else None
        if kind is None:
            return
        self.choice.options = list(kind.choices)
        self.choice.layout.display = "" if kind.choices else "none"
        self.operator.options = list(kind.operators)
        self.operator.layout.display = "" if kind.operators else "none"
        self.value.layout.display = "" if kind.value != "none" else "none"
        self.value.placeholder = {"int": "whole number", "double": "amount", "text": "text"}.get(kind.value, "")

    def _add_clause(self) -> None:
        kind = self._kinds[self.kind.value]
        written = clause(kind, self.choice.value, self.operator.value, self.value.value, self.negate.value)
        self.condition.value = combine(self.condition.value, written, JOINERS[self.joiner.value])
        self.say("ok", f"Added: {written}")

    def _check(self) -> None:
        """Check locally at every change; ask Preo only once the local checks pass."""
        source = self.condition.value
        problems = cel.check(source, self.context or None)
        self.server_result = None
        if problems:
            shown = [f"{p.where()}\n{p.caret(source)}".rstrip() for p in problems]
            self.local_check.value = _html.status("error", "Local check:") + _html.code("\n\n".join(shown))
            self.server_check.value = ""
            return
        self.local_check.value = _html.status("ok", "Local check: parses, every name is known")
        result = self.preo.segments.validate_cel(source, edition_id=self.edition_id)
        self.server_result = result
        if result.get("valid"):
            self.server_check.value = _html.status("ok", "Preo: valid")
        else:
            errors = result.get("errors") or [{"message": result.get("error")}]
            text = "; ".join(
                cel.Problem(e.get("message") or "?", e.get("line"), e.get("column")).where() for e in errors
            )
            self.server_check.value = _html.status("error", f"Preo: {text}")

    def _segment_chosen(self) -> None:
        self.segment_id = self.segment.value
        self.members, self.members_view.value = None, ""
        if self.segment_id is None:
            self.name.value, self.condition.value, self._saved_condition = "", "", None
            self._show_count(None)
            return
        found = self.preo.segments.retrieve(self.segment_id)
        self.name.value, self.condition.value = found["name"], found["condition"]
        self._saved_condition = found["condition"]
        self._show_count(found)

    def _save(self) -> None:
        problems = save_problems(self.name.value, self.condition.value, self.context or None)
        if problems:
            self.say("error", "Not saved: " + "; ".join(f"{k}: {v}" for k, v in problems.items()))
            return
        saved = save(
            self.preo,
            self.segment_id,
            organization_id=self._organization_id,
            edition_id=self.edition_id,
            name=self.name.value,
            condition=self.condition.value,
        )
        created = self.segment_id is None
        self.segment_id, self._saved_condition = saved["id"], saved["condition"]
        if created:
            self.segment.options = [*self.segment.options, (f"{saved['name']} · {saved['id']}", saved["id"])]
            self.segment.value = saved["id"]  # reloads it from Preo, as saved
        self._show_count(saved)
        self.say("ok", f"{'Created' if created else 'Updated'} {saved['id']} ({saved['status']}).")

    def _recalculate(self) -> None:
        if self.segment_id is None or self.condition.value != self._saved_condition:
            self.say("warning", "Save the segment first: Preo calculates the saved condition.")
            return
        self.recalculate.disabled = True
        try:
            self.progress.bar_style, self.progress.value = "info", 0
            self.preo.segments.recalculate(self.segment_id)
            done = follow(self.preo, self.segment_id, self._show_step, interval=self.poll_interval)
        finally:
            self.recalculate.disabled = False
        self.progress.bar_style = "success" if done["status"] == "completed" else "danger"
        self._show_count(done)
        if done["status"] == "completed":
            self.say("ok", f"Calculation completed: {done.get('user_count')} members")
        else:
            self.say("error", f"Calculation {done['status']}: {done.get('error_message') or 'see the segment in Preo'}")

    def _show_step(self, segment: dict[str, Any]) -> None:
        self.progress.value = STEPS.get(segment["status"], 0)
        self.progress.description = segment["status"]

    def _show_count(self, segment: dict[str, Any] | None) -> None:
        count = None if segment is None else segment.get("user_count")
        status = "" if segment is None else segment.get("status")
        self.user_count.value = (
            ""
            if segment is None
            else (f"<b>{_html.esc(count if count is not None else '-')}</b> members ({_html.esc(status)})")
        )

    def _export(self) -> None:
        if self.segment_id is None:
            self.say("warning", "Choose or save a segment first.")
            return
        self.members = self.preo.segments.export_csv(self.segment_id)
        self.members_view.value = self.members.head(10).to_html(index=False, na_rep="", classes="preo-members")
        self.say("ok", f"Exported {len(self.members)} members to .members (a DataFrame); the first 10 are shown.")
