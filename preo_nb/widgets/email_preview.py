"""EmailPreview: render a message with sample values, in a language, safely sandboxed."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import ipywidgets as widgets

from preo_nb.widgets._view import Form, field
from preo_nb.widgets.email_render import (
    PreviewQuery,
    actions_for,
    context_from,
    iframe,
    language_options,
    languages_in,
    message_label,
    subject_line,
    variables_table,
)

if TYPE_CHECKING:
    from preo_nb.client import Client

AUTO = {"width": "auto"}
MEDIUM = {"width": "30em"}


class EmailPreview(Form):
    """Preview an e-mail message: choose it and a language, fill the variables, render.

    Attributes:
        message, language: What to render.
        fields: One text box per template variable, pre-filled with its sample.
        render: Render again with the values in ``fields``.
        subject, frame: The rendered subject, and the HTML in a sandboxed iframe.
        variables: The template variables as a table.
        edition, title, adopt, duplicate: Copy the message into an edition, or beside itself.
        preview_result: The last ``preview`` answer (``subject``, ``html``, ``language``).
    """

    css_class = "preo-email-preview"

    def __init__(self, preo: Client, email_message_id: str | None = None) -> None:
        super().__init__()
        self.preo = preo
        self.fields: dict[str, widgets.Text] = {}
        self.preview_result: dict[str, Any] | None = None
        self._variables: list[dict[str, Any]] = []
        self._messages: dict[str, dict[str, Any]] = {}
        self._quiet = False
        self._build()
        self.guard(lambda: self._load(email_message_id))

    def _build(self) -> None:
        self.message = field(widgets.Dropdown(description="Message", layout={"width": "38em"}), "preo-email-message")
        self.language = field(
            widgets.Dropdown(description="Language", options=language_options([])), "preo-email-language"
        )
        self.values_box = widgets.VBox()
        self.render = field(widgets.Button(description="Render preview", icon="eye"), "preo-email-render")
        self.subject = widgets.HTML()
        self.frame = widgets.HTML(layout={"width": "100%"})
        self.variables = widgets.HTML()
        self.edition = field(widgets.Dropdown(description="Edition", layout=MEDIUM), "preo-email-edition")
        self.title = field(
            widgets.Text(description="Copy's title", placeholder='default: "<title> (copy)"', layout=MEDIUM),
            "preo-email-title",
        )
        self.adopt = field(
            widgets.Button(description="Adopt into edition", icon="download", layout=AUTO), "preo-email-adopt"
        )
        self.duplicate = field(
            widgets.Button(description="Duplicate", icon="copy", layout=AUTO), "preo-email-duplicate"
        )
        table = widgets.Accordion(children=[self.variables], selected_index=None)
        table.set_title(0, "Template variables")
        values = widgets.VBox([widgets.HTML("<b>Sample values</b>"), self.values_box, self.render])
        shown = widgets.VBox([self.subject, self.frame], layout={"min_width": "0"})
        self._mount(
            widgets.HTML("<h3 style='margin:0'>E-mail preview</h3>"),
            self.message,
            self.language,
            widgets.GridBox(
                [values, shown], layout={"grid_template_columns": "36em minmax(0, 1fr)", "grid_gap": "0 1em"}
            ),
            table,
            widgets.HBox([self.edition, self.adopt]),
            widgets.HBox([self.title, self.duplicate]),
        )
        self.message.observe(self.on(self._message_changed), "value")
        self.language.observe(self.on(self._render), "value")
        self.render.on_click(self.on(self._render))
        self.adopt.on_click(self.on(self._adopt))
        self.duplicate.on_click(self.on(self._duplicate))

    def _load(self, chosen: str | None) -> None:
        messages = self.preo.email_messages.list(progress=False)
        self._messages = {str(row["id"]): dict(row) for _, row in messages.iterrows()}
        editions = self.preo.editions.list(progress=False)
        self.edition.options = [(f"{row['full_name']} · {row['id']}", row["id"]) for _, row in editions.iterrows()]
        if chosen is not None and chosen not in self._messages:  # not listed (yet): ask for it directly
            self._messages[chosen] = self.preo.email_messages.retrieve(chosen)
        self._quiet = True  # filling the chooser selects its first entry: not worth a render
        try:
            self.message.options = [(message_label(m), id) for id, m in self._messages.items()]
            self.message.value = chosen or (self.message.options[0][1] if self.message.options else None)
        finally:
            self._quiet = False
        self._message_changed()

    @property
    def values(self) -> dict[str, str]:
        """The variable values as entered, by variable name."""
        return {name: box.value for name, box in self.fields.items()}

    def _message_changed(self) -> None:
        id = self.message.value
        if id is None or self._quiet:
            return
        message = self.preo.email_messages.retrieve(id)
        self._messages[id] = message
        self._variables = list(self.preo.email_messages.template_variables(id).get("variables", []))
        self.fields = {
            v["name"]: field(
                widgets.Text(description=v["name"], value=str(v.get("example") or ""), layout={"width": "34em"}),
                "preo-email-value",
            )
            for v in self._variables
        }
        for box in self.fields.values():
            box.style.description_width = "14em"
        self.values_box.children = tuple(self.fields.values())
        with self.language.hold_trait_notifications():
            self.language.options = language_options(languages_in(message))
        can_adopt, can_duplicate = actions_for(message.get("scope"))
        self.adopt.disabled, self.duplicate.disabled = not can_adopt, not can_duplicate
        editions = [value for _, value in self.edition.options]
        if message.get("edition_id") in editions:
            self.edition.value = message["edition_id"]
        self._render()

    def query(self) -> PreviewQuery:
        """The preview request the current values make."""
        return PreviewQuery(self.message.value, self.language.value, context_from(self.values))

    def _render(self) -> None:
        if self.message.value is None:
            return
        query = self.query()
        result = self.preo.email_messages.preview(query.message_id, **query.arguments())
        self.preview_result = result
        self.subject.value = subject_line(result)
        self.frame.value = iframe(result.get("html") or "")
        self.variables.value = variables_table(self._variables, self.values)
        self.say("ok", f"Rendered {self.message.label} in {result.get('language')}.")

    def _adopt(self) -> None:
        copy = self.preo.email_messages.adopt(self.message.value, edition_id=self.edition.value)
        self._add_and_show(copy, f"Adopted into {self.edition.label}")

    def _duplicate(self) -> None:
        copy = self.preo.email_messages.duplicate(self.message.value, title=self.title.value.strip() or None)
        self._add_and_show(copy, "Duplicated")

    def _add_and_show(self, copy: dict[str, Any], done: str) -> None:
        self._messages[copy["id"]] = copy
        self.message.options = [*self.message.options, (message_label(copy), copy["id"])]
        self.message.value = copy["id"]
        self.say("ok", f"{done}: {copy['id']} \u201c{copy.get('title')}\u201d (now shown).")
