"""What the widget tests share: reading a widget as a user would, and watching what is sent."""

from __future__ import annotations

import html
import re
from typing import Any


def text(widget: Any) -> str:
    """The visible text of an HTML widget (tags dropped, entities decoded, spaces collapsed)."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", widget.value)).split())


def spy_on(client: Any, monkeypatch: Any) -> list[tuple[str, str, Any]]:
    """Record ``(method, path, json)`` of every request the client's HTTP layer is asked to send."""
    calls: list[tuple[str, str, Any]] = []
    original = client._http.request

    def spy(method: str, path: str, **kwargs: Any) -> Any:
        calls.append((method.upper(), path, kwargs.get("json")))
        return original(method, path, **kwargs)

    monkeypatch.setattr(client._http, "request", spy)
    return calls


def writes(calls: list[tuple[str, str, Any]]) -> list[tuple[str, str, Any]]:
    """The POSTs among recorded calls, validation and previews left out."""
    return [c for c in calls if c[0] == "POST" and not c[1].endswith(("/validate-cel", "/preview"))]
