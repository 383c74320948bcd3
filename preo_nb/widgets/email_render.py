"""The e-mail preview's model: which values to render with, and how to show the result safely.

Display-free. The rendered HTML is shown in an ``<iframe sandbox srcdoc=...>``:
the document is escaped as an attribute value, and the sandbox has no
``allow-scripts``, so a message's HTML can neither run code nor reach the notebook.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from preo_nb import contract
from preo_nb.errors import PreoValidationError
from preo_nb.widgets._html import esc, table

ADOPTABLE = ("platform", "template")
LANGUAGE_NAMES = {"en": "English", "da": "Danish", "se": "Swedish", "nl": "Dutch", "pl": "Polish"}


def message_label(message: Mapping[str, Any]) -> str:
    """``Title · scope · type`` for the message chooser."""
    return f"{message.get('title')} · {message.get('scope')} · {message.get('type')}"


def languages_in(message: Mapping[str, Any]) -> list[str]:
    """The languages a message has text in (its blocks' text keys), in the contract's order."""
    found: set[str] = set()
    for block in message.get("content_blocks") or []:
        text = (block.get("content") or {}).get("text")
        if isinstance(text, Mapping):
            found.update(text)
    return [code for code in contract.enum("Language") if code in found]


def language_options(present: Iterable[str]) -> list[tuple[str, str | None]]:
    """Dropdown options: the edition's default first, then every language, marking those with text."""
    present = set(present)
    options: list[tuple[str, str | None]] = [("Edition's default", None)]
    for code in contract.enum("Language"):
        mark = " ✓" if code in present else " (falls back)"
        options.append((f"{LANGUAGE_NAMES.get(code, code)} ({code}){mark}", code))
    return options


def context_from(values: Mapping[str, str]) -> dict[str, str]:
    """The preview context: every variable given a value (empty ones keep the sample data)."""
    return {name: value for name, value in values.items() if value.strip()}


@dataclass(frozen=True)
class PreviewQuery:
    """One preview request: the message, the language and the values to render with."""

    message_id: str
    language: str | None
    context: Mapping[str, str]

    def arguments(self) -> dict[str, Any]:
        """The keyword arguments of ``preo.email_messages.preview``."""
        return {"language": self.language, "context": dict(self.context)}


def iframe(document: str, *, height: str = "420px") -> str:
    """An iframe showing ``document`` with scripts, forms, popups and navigation all blocked.

    ``srcdoc`` holds the whole document escaped for a double-quoted attribute
    (``&``, ``<``, ``>``, ``"`` and ``'``), so no quote or tag in it can end the attribute.
    """
    if not isinstance(document, str):
        raise PreoValidationError("html", f"must be a string, not {type(document).__name__}")
    style = f"box-sizing:border-box;width:calc(100% - 4px);height:{height};border:1px solid #ccc;background:#fff"
    return (
        f'<iframe class="preo-email-frame" sandbox="" referrerpolicy="no-referrer" style="{esc(style)}" '
        f'srcdoc="{esc(document)}"></iframe>'
    )


def variables_table(variables: Sequence[Mapping[str, Any]], values: Mapping[str, str]) -> str:
    """The template variables with their description, sample and the value in use."""
    rows = []
    for variable in variables:
        name = variable.get("name") or ""
        given = values.get(name, "").strip()
        rows.append(
            (f"{{{{ {name} }}}}", variable.get("description") or "", variable.get("example") or "", given or "(sample)")
        )
    return table(("Variable", "Meaning", "Sample", "Rendered with"), rows, css="preo-email-variables")


def subject_line(preview: Mapping[str, Any]) -> str:
    """The rendered subject and the language used, as HTML."""
    return (
        f'<div class="preo-email-subject"><b>Subject:</b> {esc(preview.get("subject"))} '
        f'<span style="opacity:.7">({esc(preview.get("language"))})</span></div>'
    )


def actions_for(scope: str | None) -> tuple[bool, bool]:
    """Whether a message of ``scope`` can be adopted into an edition, and duplicated."""
    return scope in ADOPTABLE, scope in ("template", "edition")
