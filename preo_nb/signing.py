"""Check that a webhook POST really comes from Preo (and sign test payloads).

Preo signs every delivery with the endpoint's secret (``whsec_...``, shown by
``preo.webhooks.retrieve(id)["secret"].reveal()``)::

    X-Preo-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>." + raw body)>

``verify`` recomputes the HMAC over the **raw** request body (the exact bytes
received; parsing and re-serialising the JSON changes them), compares in
constant time, refuses timestamps more than ``tolerance`` seconds away from
now in either direction (a replayed old delivery, or a badly set clock), and
returns the parsed event. Every refusal is a ``SignatureVerificationError``
whose ``reason`` says why. A rotated secret stops working at once, so a
receiver that keeps the old one fails every delivery until it is updated.

A Flask receiver::

    import os
    from flask import Flask, abort, request
    from preo_nb.signing import SignatureVerificationError, verify

    app = Flask(__name__)
    SECRET = os.environ["PREO_WEBHOOK_SECRET"]

    @app.post("/preo/webhooks")
    def preo_webhook():
        try:
            event = verify(SECRET, request.headers.get("X-Preo-Signature"), request.get_data())
        except SignatureVerificationError as exc:
            abort(400, exc.reason)
        if event["event"] == "refund_request.processed":
            ...  # event["data"] is the refund request as the API returns it
        return "", 204   # any 2xx marks the delivery a success

Deliveries can be retried, so handle an event id (``event["id"]``) you have
already processed as done. ``sign`` builds the header for your own tests of a
receiver. This module needs nothing but the standard library.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
from typing import Any

from preo_nb._secret import Secret
from preo_nb.errors import PreoValidationError, SignatureVerificationError

HEADER = "X-Preo-Signature"
DEFAULT_TOLERANCE = 300
SCHEME = "v1"
MAX_DIGITS = 12  # unix seconds have 10 digits until the year 2286; more is garbage, not a time
# ASCII only: str.isdigit() also accepts "²" or "٣", which int() then refuses or misreads.
TIMESTAMP = re.compile(rf"[0-9]{{1,{MAX_DIGITS}}}", re.ASCII)
SIGNATURE = re.compile(r"[0-9a-f]{64}", re.ASCII)  # an HMAC-SHA256 in hex, lowercased before matching


def sign(secret: str | Secret, raw_body: bytes | str, timestamp: int | None = None) -> str:
    """Return the ``X-Preo-Signature`` value Preo would send for ``raw_body``.

    Args:
        secret: The endpoint's signing secret.
        raw_body: The exact bytes POSTed (text is encoded as UTF-8).
        timestamp: Unix seconds; default now.
    """
    when = int(time.time()) if timestamp is None else int(timestamp)
    return f"t={when},{SCHEME}={_digest(_secret(secret), when, _bytes(raw_body))}"


def verify(
    secret: str | Secret,
    signature_header: str | bytes | None,
    raw_body: bytes | str,
    tolerance: int = DEFAULT_TOLERANCE,
    *,
    now: float | None = None,
) -> dict[str, Any]:
    """Check a delivery's signature and freshness; return the event it carries.

    Args:
        secret: The endpoint's current signing secret.
        signature_header: The ``X-Preo-Signature`` header as received (None if absent;
            bytes are read as ASCII).
        raw_body: The request body exactly as received.
        tolerance: Most seconds between the signature's time and ``now``, either way.
        now: Unix time to compare with (default: the clock); for tests.

    Returns:
        The parsed ``WebhookEvent``: ``{id, event, created, organization_id, edition_id, data}``.

    Raises:
        SignatureVerificationError: The header is missing or malformed, the time is
            outside the tolerance, no signature matches, or the body is not a JSON object.
    """
    key = _secret(secret)
    body = _bytes(raw_body)
    when, signatures = parse_header(signature_header)
    expected = _digest(key, when, body).encode("ascii")
    # Compare with every v1 given (constant time each), so a sender may list several.
    if not any(hmac.compare_digest(expected, found.encode("ascii")) for found in signatures):
        raise SignatureVerificationError("signature_mismatch", "no signature matches the body and secret")
    current = time.time() if now is None else now
    if abs(current - when) > tolerance:
        raise SignatureVerificationError(
            "timestamp_out_of_tolerance",
            f"the signature is {abs(current - when):.0f} s away from now (tolerance {tolerance} s)",
        )
    try:
        event = json.loads(body)
    except ValueError:
        event = None
    if not isinstance(event, dict):
        raise SignatureVerificationError("malformed_body", "the signed body is not a JSON object")
    return event


def parse_header(signature_header: str | bytes | None) -> tuple[int, list[str]]:
    """Split ``t=...,v1=...`` into the timestamp and the ``v1`` signatures.

    A header given as bytes (some frameworks hand those over) is read as ASCII.
    Parts with other names (a future ``v2=``) are ignored.

    Raises:
        SignatureVerificationError: ``missing_header``, or ``malformed_header`` for
            anything but exactly one ``t=<ASCII digits>`` and one or more
            ``v1=<64 hex digits>``, each part ``name=value``.
    """
    text = _header_text(signature_header)
    stamps: list[str] = []
    signatures: list[str] = []
    for part in text.split(","):
        name, equals, value = part.strip().partition("=")
        if not equals:
            raise _malformed(f"{HEADER} has a part that is not name=value")
        if name == "t":
            stamps.append(value.strip())
        elif name == SCHEME:
            signatures.append(value.strip().lower())
    if len(stamps) != 1 or not TIMESTAMP.fullmatch(stamps[0]):
        raise _malformed(f"{HEADER} needs exactly one t=<unix seconds> (at most {MAX_DIGITS} ASCII digits)")
    if not signatures:
        raise _malformed(f"{HEADER} holds no {SCHEME}= signature")
    if not all(SIGNATURE.fullmatch(found) for found in signatures):
        raise _malformed(f"a {SCHEME}= signature is not 64 hexadecimal digits")
    return int(stamps[0]), signatures


def _header_text(signature_header: Any) -> str:
    if isinstance(signature_header, bytes | bytearray):
        try:
            signature_header = bytes(signature_header).decode("ascii")
        except UnicodeDecodeError:
            raise _malformed(f"{HEADER} holds bytes that are not ASCII") from None
    if signature_header is None or (isinstance(signature_header, str) and not signature_header.strip()):
        raise SignatureVerificationError("missing_header", f"no {HEADER} header")
    if not isinstance(signature_header, str):
        raise _malformed(f"{HEADER} must be text, not {type(signature_header).__name__}")
    return signature_header


def _malformed(message: str) -> SignatureVerificationError:
    return SignatureVerificationError("malformed_header", message)


def _digest(key: bytes, when: int, body: bytes) -> str:
    return hmac.new(key, f"{when}.".encode() + body, hashlib.sha256).hexdigest()


def _secret(secret: Any) -> bytes:
    if isinstance(secret, Secret):
        secret = secret.reveal()
    if not isinstance(secret, str) or not secret:
        raise PreoValidationError("secret", "must be the endpoint's signing secret (a non-empty string)")
    return secret.encode("utf-8")


def _bytes(raw_body: Any) -> bytes:
    if isinstance(raw_body, str):
        return raw_body.encode("utf-8")
    if isinstance(raw_body, bytes | bytearray | memoryview):
        return bytes(raw_body)
    raise PreoValidationError("raw_body", f"must be the raw bytes received, not {type(raw_body).__name__}")
