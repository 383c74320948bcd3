"""The sandbox's own control endpoints, outside the Preo paths.

``POST /_sandbox/reset`` returns to the seeded state; ``GET|POST
/_sandbox/faults`` shows or changes the fault switch (body: see
``Faults.apply``). Only the admin token may use them.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Flask, request

from preo_nb.sandbox.core.errors import ApiError, forbidden
from preo_nb.sandbox.web.views import authenticate, services

PREFIX = "/_sandbox/"
Json = dict[str, Any]


def register(app: Flask) -> None:
    """Add the control routes."""
    app.add_url_rule(PREFIX + "reset", "sandbox_reset", _reset, methods=["POST"])
    app.add_url_rule(PREFIX + "faults", "sandbox_faults", _faults, methods=["GET", "POST"])


def _require_admin() -> None:
    sandbox = services().store
    if authenticate(sandbox).member.id != sandbox.data.role_staff["admin"]:
        raise forbidden()


def _reset() -> Json:
    _require_admin()
    services().store.reset()
    services().faults.clear()
    return {"detail": "Sandbox reset to its seeded state; faults cleared."}


def _faults() -> Json:
    _require_admin()
    faults = services().faults
    if request.method == "POST":
        try:
            spec = json.loads(request.get_data() or b"{}")
            if not isinstance(spec, dict):
                raise TypeError("expected a JSON object")
            faults.apply(spec)
        except (TypeError, ValueError, RecursionError) as exc:
            raise ApiError(400, {"detail": f"Bad fault spec: {exc}"}) from None
    return faults.state()
