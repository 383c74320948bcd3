"""Template variables and preview rendering of email messages (README 4.7).

Rendering is a plain substitution of ``{{ dotted.name }}``: no template engine
runs, nothing in a message or a context can execute code. Values are
HTML-escaped where they land in HTML; a name without a value is left verbatim
so the author sees what is missing. The subject is plain text (an email header),
so it is not HTML-escaped; the HTML document escapes it in its ``<title>``.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from preo_nb.sandbox.commerce.models import Edition
from preo_nb.sandbox.emails.models import RECEIPT_TYPES, ContentBlock, EmailMessage, Store

Json = dict[str, Any]
SYNTAX = "{{ name }}"
VARIABLE = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)\s*\}\}")
SAFE_SCHEMES = ("http://", "https://", "mailto:")

# (name, description, sample value); edition and organization samples are
# replaced by the message's own edition and organization when it has them.
COMMON = (
    ("user.first_name", "The recipient's first name.", "Alex"),
    ("user.last_name", "The recipient's last name.", "Jensen"),
    ("user.full_name", "First and last name.", "Alex Jensen"),
    ("user.email", "The recipient's email address.", "alex.jensen@example.com"),
    ("user.phone_number", "The recipient's phone number.", "+4512345678"),
    ("edition.name", "The edition's full name (event and edition).", "Summer Festival 2026"),
    ("edition.start_date", "The day the edition starts, in its own time zone.", "27 August 2026"),
    ("organization.name", "The organization's name.", "Your organization"),
)
ORDER = (
    ("order.order_number", "The order's number.", "004711"),
    ("order.created", "When the order was placed.", "12 August 2026"),
    ("order.amount", "The order's total with its currency.", "€84.50"),
    ("purchases", "The items bought, comma separated.", "1 × Weekend pass, 2 × Beer"),
)
BY_TYPE: dict[str, tuple[tuple[str, str, str], ...]] = {
    **dict.fromkeys(RECEIPT_TYPES, ORDER),
    "refund_confirmation": (
        ("refund.amount", "The refunded amount with its currency.", "€25.00"),
        ("refund.reason", "Why the money was refunded.", "Event cancelled"),
    ),
    "user_portal_access": (
        ("portal_url", "The recipient's personal link to the ticket portal.", "https://tickets.preo.dev/portal/sample"),
    ),
    "campaign": (
        (
            "unsubscribe_url",
            "The recipient's link to stop these emails.",
            "https://tickets.preo.dev/unsubscribe/sample",
        ),
    ),
}


def template_variables(store: Store, record: EmailMessage) -> Json:
    """Return the TemplateVariables of a message: the common ones plus its type's."""
    own = _own_samples(store, record)
    variables = [
        {"name": name, "description": text, "example": own.get(name, sample)}
        for name, text, sample in COMMON + BY_TYPE.get(record.type, ())
    ]
    return {"type": record.type, "syntax": SYNTAX, "variables": variables}


def _own_samples(store: Store, record: EmailMessage) -> dict[str, str]:
    found: dict[str, str] = {}
    org = store.data.organizations.get(record.organization_id or "")
    if org is not None:
        found["organization.name"] = org.name
    edition = store.data.editions.get(record.edition_id or "")
    if edition is not None:
        found["edition.name"] = full_name(store, edition)
        if edition.start_date is not None:
            found["edition.start_date"] = _day(edition.start_date, edition.timezone)
    return found


def full_name(store: Store, edition: Edition) -> str:
    """Return the edition's name with its event's, as ``Edition.full_name`` renders it."""
    event = store.data.events.get(edition.event_id or "")
    return f"{event.name} {edition.name}" if event else edition.name


def _day(when: datetime, zone: str) -> str:
    local = when.astimezone(ZoneInfo(zone))
    return f"{local.day} {local:%B %Y}"


def preview(store: Store, record: EmailMessage, language: str | None, context: Mapping[str, Any]) -> Json:
    """Render a message's subject and HTML with sample data overridden by ``context``."""
    used = choose_language(store, record, language)
    values = {v["name"]: v["example"] for v in template_variables(store, record)["variables"]}
    values.update(flatten(context))
    subject = substitute(record.subject or "", values, str)
    body = "\n".join(render_block(b, used, values) for b in sorted(record.content_blocks, key=lambda b: b.position))
    document = (
        f'<!DOCTYPE html>\n<html lang="{used}">\n<head><meta charset="utf-8">'
        f"<title>{html.escape(subject)}</title></head>\n"
        '<body style="margin:0;background:#f4f4f5;font-family:Helvetica,Arial,sans-serif">\n'
        f'<div class="preo-email preo-layout-{html.escape(record.template)}" '
        'style="max-width:600px;margin:0 auto;background:#ffffff;padding:24px">\n'
        f"{body}\n</div>\n</body>\n</html>\n"
    )
    return {"subject": subject, "html": document, "language": used}


def choose_language(store: Store, record: EmailMessage, wanted: str | None) -> str:
    """Return the language to render: the one asked for when the message has text in it.

    Otherwise (or when none is asked for) the edition's default language, then
    English, then the message's first language.
    """
    available = record.languages
    edition = store.data.editions.get(record.edition_id or "")
    default = edition.default_language if edition is not None else "en"
    for candidate in (wanted, default, "en"):
        if candidate is not None and (not available or candidate in available):
            return candidate
    return available[0]


def flatten(context: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    """Turn ``{"user": {"first_name": "Ann"}}`` and ``{"user.first_name": "Ann"}`` into dotted keys."""
    flat: dict[str, str] = {}
    for key, value in context.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(flatten(value, name + "."))
        elif isinstance(value, list):
            flat[name] = ", ".join(_text(v) for v in value)
        else:
            flat[name] = _text(value)
    return flat


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def substitute(template: str, values: Mapping[str, str], escape: Callable[[str], str]) -> str:
    """Replace each ``{{ name }}`` that has a value; ``escape`` is applied to every piece of text."""
    pieces = []
    last = 0
    for match in VARIABLE.finditer(template):
        pieces.append(escape(template[last : match.start()]))
        name = match.group(1)
        pieces.append(escape(values[name]) if name in values else escape(match.group(0)))
        last = match.end()
    pieces.append(escape(template[last:]))
    return "".join(pieces)


def render_block(block: ContentBlock, language: str, values: Mapping[str, str]) -> str:
    """Render one block as HTML; unknown block types render nothing."""
    content = block.content
    kind = block.block_type
    if kind == "heading":
        level = content.get("level") if content.get("level") in (1, 2, 3) else 2
        return f"<h{level}>{_localized(content.get('text'), language, values)}</h{level}>"
    if kind == "text":
        return f"<p>{_localized(content.get('text'), language, values).replace(chr(10), '<br>')}</p>"
    if kind == "button":
        href = _url(content.get("url"), values) or "#"
        label = _localized(content.get("label"), language, values)
        return f'<p><a class="preo-button" href="{href}">{label}</a></p>'
    if kind == "image":
        src = _url(content.get("url"), values)
        alt = _localized(content.get("alt"), language, values)
        return f'<img src="{src}" alt="{alt}" style="max-width:100%">' if src else ""
    if kind == "divider":
        return "<hr>"
    if kind == "spacer":
        height = content.get("height")
        pixels = height if isinstance(height, int) and 0 <= height <= 400 else 16
        return f'<div style="height:{pixels}px"></div>'
    return ""


def _localized(text: Any, language: str, values: Mapping[str, str]) -> str:
    """Pick the text of ``language`` (then English, then any) and render it as HTML."""
    if isinstance(text, Mapping):
        chosen = text.get(language) or text.get("en") or next(iter(text.values()), "")
    else:
        chosen = text
    return substitute(chosen if isinstance(chosen, str) else "", values, html.escape)


def _url(raw: Any, values: Mapping[str, str]) -> str:
    """Fill a URL's variables; return it attribute-escaped, or "" unless it is http(s)/mailto."""
    if not isinstance(raw, str):
        return ""
    url = substitute(raw, values, lambda s: s).strip()
    if not url.lower().startswith(SAFE_SCHEMES):
        return ""
    return html.escape(url, quote=True)
