"""Probes of the HTTP conventions: auth scheme, trailing slashes, media types, the refund write."""

from __future__ import annotations

import dataclasses
from typing import Any

from preo_nb import contract
from preo_nb.errors import TransportError
from preo_nb.probe.report import REDIRECTS, Probe


def auth_source() -> str:
    """The ``x-source`` of the contract's auth scheme."""
    schemes: dict[str, dict[str, Any]] = contract.spec()["components"].get("securitySchemes", {})
    first: dict[str, Any] = next(iter(schemes.values()), {})
    return str(first.get("x-source", "inferred"))


def reachable(probe: Probe) -> bool:
    """Check trailing slashes and the auth scheme on ``GET /v1/auth/me``; False when nothing can go on."""
    path = contract.operations()["auth_me"].path
    try:
        reply = probe.send("GET", path)
    except TransportError as exc:
        probe.add("server.reachable", "FAIL", "docs", str(exc))
        return False
    slash_source = contract.provenance("auth_me").path
    if reply.status in REDIRECTS and reply.headers.get("location", "").split("?")[0].endswith(path + "/"):
        probe.add(
            "paths.trailing_slash",
            "FAIL",
            slash_source,
            f"GET {path} is redirected ({reply.status}) to {path}/: connect with trailing_slash=True; "
            "without it every write to this API is refused (UnexpectedRedirect)",
        )
        probe.learn(trailing_slash=True)
        reply = probe.send("GET", path)
    elif reply.status in REDIRECTS:
        probe.add(
            "paths.trailing_slash",
            "FAIL",
            slash_source,
            f"GET {path} is redirected ({reply.status}) to {reply.headers.get('location')}",
        )
        return False
    else:
        probe.add("paths.trailing_slash", "PASS", slash_source, f"GET {path} answered {reply.status}, not a redirect")
    return _auth(probe, path, reply.status)


def _auth(probe: Probe, path: str, status: int) -> bool:
    if status == 200:
        probe.add("auth.scheme", "PASS", auth_source(), "Authorization: Bearer <token> is accepted")
        return True
    for scheme in ("Token", "JWT"):
        if probe.send("GET", path, scheme=scheme).status == 200:
            probe.add(
                "auth.scheme",
                "FAIL",
                auth_source(),
                f"the server refuses Bearer ({status}) and accepts 'Authorization: {scheme} <token>': "
                f"connect with auth_scheme={scheme!r}",
            )
            probe.report.findings[-1] = dataclasses.replace(
                probe.report.findings[-1],
                fix=f"connect(..., auth_scheme={scheme!r}), or PREO_AUTH_SCHEME={scheme} in the environment or .env",
            )
            probe.learn(auth_scheme=scheme)
            return True
    probe.add(
        "auth.scheme",
        "UNKNOWN",
        auth_source(),
        f"GET {path} answered {status} with Bearer, Token and JWT: is the token right? Nothing else was probed",
    )
    return False


def media(probe: Probe) -> None:
    """The segment export answers ``text/csv`` to ``Accept: text/csv`` (the contract's media type)."""
    operation = "segments_export_csv"
    source = contract.provenance(operation).operation
    found = probe.json("segments_list", params={"status": "completed", "page_size": 100})
    rows = [r for r in _records(found) if r.get("status") == "completed"]
    if not rows:
        probe.add(f"media.{operation}", "UNKNOWN", source, "no completed segment to export")
        return
    path = contract.operations()[operation].path.format(id=rows[0].get("id"))
    declared = ", ".join(contract.media_types(operation))
    reply = probe.get(operation, path, accept=declared)
    as_json = probe.send("GET", path).status
    strict = " (and refuses Accept: application/json with 406)" if as_json == 406 else ""
    if reply.status == 200 and reply.media_type in contract.media_types(operation):
        probe.add(f"media.{operation}", "PASS", source, f"Accept: {declared} gets {reply.media_type}{strict}")
    else:
        probe.add(
            f"media.{operation}",
            "FAIL",
            source,
            f"Accept: {declared} got {reply.status} {reply.media_type or 'no content type'}",
        )


def refund_write(probe: Probe) -> None:
    """File one refund request for a paid purchase, check the answer, and reject it again."""
    purchase = _paid_purchase(probe)
    source = contract.provenance("purchases_refund").operation
    if purchase is None:
        probe.add("writes.purchases_refund", "UNKNOWN", source, "no paid purchase found to file a refund for")
        return
    path = contract.operations()["purchases_refund"].path.format(id=purchase)
    body = {"reason": "customer_request", "comment": "preo-nb check-contract"}
    reply = probe.send("POST", path, json=body)
    probe.seen.append(("purchases_refund", reply))
    made = reply.json() if reply.media_type == "application/json" and reply.content else {}
    if reply.status != 201 or str((made.get("purchase") or {}).get("api_id")) != purchase:
        probe.add(
            "writes.purchases_refund", "FAIL", source, f"POST {path} answered {reply.status}: {reply.content[:200]!r}"
        )
        return
    probe.add("writes.purchases_refund", "PASS", source, f"POST {path} answered 201 with the request for it")
    _duplicate(probe, path, body)
    reject = contract.operations()["refunds_reject"].path.format(id=made["id"])
    undone = probe.send("POST", reject, json={"comment": "preo-nb check-contract"})
    probe.seen.append(("refunds_reject", undone))
    probe.add(
        "writes.refunds_reject",
        "PASS" if undone.status == 200 else "FAIL",
        contract.provenance("refunds_reject").operation,
        f"POST {reject} answered {undone.status}",
    )


def _paid_purchase(probe: Probe) -> str | None:
    editions = _records(probe.json("editions_list", params={"page_size": 20}))
    for edition in editions:
        orders = _records(
            probe.json("orders_list", params={"edition_id": edition.get("id"), "page_size": 20, "status": "completed"})
        )
        for order in orders:
            path = contract.operations()["orders_retrieve"].path.format(id=order.get("id"))
            detail = probe.json("orders_retrieve", path) or {}
            for purchase in detail.get("purchases", []):
                if purchase.get("status") == "paid":
                    return str(purchase.get("api_id"))
    return None


def _records(body: Any) -> list[dict[str, Any]]:
    if isinstance(body, list):
        return [r for r in body if isinstance(r, dict)]
    if isinstance(body, dict) and isinstance(body.get("results"), list):
        return [r for r in body["results"] if isinstance(r, dict)]
    return []


def _duplicate(probe: Probe, path: str, body: dict[str, Any]) -> None:
    """A second request while the first is open: 409 with ``code: duplicate_open_request`` (README 4.1)."""
    reply = probe.send("POST", path, json=body)
    found = _json(reply)
    name, source = "errors.duplicate_refund", contract.provenance("purchases_refund").operation
    if reply.status == 409 and isinstance(found, dict) and found.get("code") == "duplicate_open_request":
        probe.add(name, "PASS", source, "a second open request is refused: 409, code duplicate_open_request")
        return
    probe.add(
        name,
        "FAIL",
        source,
        f"a second open request is answered {reply.status} {_shape(found)}, not 409 with code duplicate_open_request",
        fix="preo_nb raises BadRequest (not Conflict) for it here: code that catches Conflict to skip "
        "purchases already requested must catch BadRequest too; bulk-refund's journal still files each once",
    )


def error_bodies(probe: Probe) -> None:
    """The 404 of an unknown id and the 400 of a bad filter value, against the contract's shapes."""
    missing = contract.operations()["refunds_retrieve"].path.format(id="rfr_000000000000")
    _error_shape(
        probe,
        "errors.not_found",
        probe.get("refunds_retrieve", missing),
        (404, "detail"),
        contract.provenance("refunds_retrieve").operation,
        "an unknown id",
        "nothing to set: preo_nb raises NotFound with the status (and an HTML page's title)",
    )
    _error_shape(
        probe,
        "errors.bad_filter",
        probe.get("refunds_list", params={"status": "no-such-status", "page_size": 1}),
        (400, "status"),
        contract.provenance("refunds_list").parameters.get("status", "inferred"),
        "status=no-such-status",
        "nothing to set: preo_nb checks enum values before sending; other bad values may pass silently",
    )


def _error_shape(
    probe: Probe, name: str, reply: Any, wanted: tuple[int, str], source: str, asked: str, fix: str
) -> None:
    """PASS when ``reply`` is the status and names the field of ``wanted``, else FAIL with ``fix``."""
    found, (status, field) = _json(reply), wanted
    shape = f'{status} {{"{field}": ...}}'
    if reply.status == status and isinstance(found, dict) and field in found:
        probe.add(name, "PASS", source, f"{asked} is answered {shape}")
        return
    got = _shape(found) if found is not None else reply.media_type or "with no body"
    probe.add(name, "FAIL", source, f"{asked} is answered {reply.status} {got}, not {shape}", fix=fix)


def _json(reply: Any) -> Any:
    try:
        return reply.json() if reply.media_type == "application/json" and reply.content else None
    except ValueError:
        return None


def _shape(found: Any) -> str:
    if isinstance(found, dict):
        return "{" + ", ".join(sorted(found)[:4]) + "}"
    return type(found).__name__ if found is not None else "(not JSON)"
