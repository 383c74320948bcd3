"""Recorded HTTP (vcrpy cassettes) for tests and for notebooks shared offline.

* ``vcr_config()`` and ``register_matchers(vcr)`` set the project's cassette rules:
  requests match on method, path, query and (for writes) the parsed JSON body,
  never on host or port (a sandbox's port changes every run); credentials and
  cookies are removed from what is recorded.
* ``PREO_NB_CASSETTE=path/to/file.yaml`` makes ``preo_nb.connect()`` in any process
  (a notebook kernel included) answer from that cassette; with ``PREO_NB_RECORD=1``
  it records into it instead (run the notebook under papermill so the kernel
  shuts down cleanly and the file is written).
* ``find_secrets(text)`` spots tokens and webhook secrets; the tests scan every
  cassette and executed notebook with it.

The pytest fixtures for users' own tests (``preo_sandbox``, ``preo_client``) are
in ``preo_nb.pytest_plugin``, which pytest loads by itself once preo_nb is installed.
"""

from __future__ import annotations

import atexit
import hashlib
import json
import os
import re
from pathlib import Path
from typing import Any

CASSETTE_ENV = "PREO_NB_CASSETTE"
RECORD_ENV = "PREO_NB_RECORD"
REPLAY_TOKEN = "replay-only"  # noqa: S105 - a placeholder, never a credential
MATCH_ON = ("method", "path", "query", "preo_body")
SECRET_HEADERS = ("authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key")
SECRET_QUERY = ("token", "api_key", "access_token")
SECRET_PATTERNS = (
    re.compile(r"Bearer\s+(?!\*\*\*)[A-Za-z0-9._~+/=-]{6,}"),
    re.compile(r"\bsbx_[A-Za-z0-9_-]{12,}"),
    re.compile(r"\bwhsec_(?!REDACTED)[A-Za-z0-9+/=_-]{16,}"),  # any webhook secret, hex or not
    # a secret field holding anything but a mask or a redaction, in JSON or a printed dict
    re.compile(r"""["'](?:\w+_)?secret["']\s*:\s*["'](?!(?:whsec_)?(?:REDACTED|\*\*\*))[^"'\s]{8,}"""),
)
_READS = ("GET", "HEAD", "OPTIONS", "DELETE")
_active: dict[str, Any] = {}


def _parsed_body(request: Any) -> Any:
    body = request.body
    if not body:
        return None
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    boundary = _multipart_boundary(request)
    if boundary:
        return body.replace(boundary, "BOUNDARY")  # requests draws a random one per upload
    try:
        return json.loads(body)
    except ValueError:
        return body


def _multipart_boundary(request: Any) -> str | None:
    content_type = next((v for k, v in request.headers.items() if k.lower() == "content-type"), "")
    if isinstance(content_type, list):
        content_type = content_type[0] if content_type else ""
    match = re.search(r"multipart/form-data;\s*boundary=\"?([^\";]+)", content_type)
    return match.group(1) if match else None


def body_matcher(r1: Any, r2: Any) -> None:
    """vcrpy matcher: writes must carry the same JSON body (key order and spacing ignored)."""
    if r1.method.upper() in _READS:
        return
    left, right = _parsed_body(r1), _parsed_body(r2)
    assert left == right, f"request bodies differ: {left!r} != {right!r}"


SECRET_FIELDS = ("secret", "signing_secret", "webhook_secret", "client_secret", "password")
"""JSON fields whose string values are secrets, whatever they look like: redacted from recorded answers."""
_REDACTED = ("REDACTED", "whsec_REDACTED", "***", "whsec_***")
_NOT_HEX = str.maketrans("0123456789abcdef", "ghijklmnopqrstuv")


def _fake(secret: str) -> str:
    """A stand-in for a secret: marked REDACTED, the same for the same secret, and as long.

    It keeps the secret's length, so the recorded Content-Length stays right, and
    distinct secrets stay distinct, so a replayed test still sees that a rotation
    changed the secret.
    """
    letters = hashlib.sha256(secret.encode()).hexdigest().translate(_NOT_HEX)
    prefix = "whsec_REDACTED_" if secret.startswith("whsec_") else "REDACTED_"
    return (prefix + letters * 2)[: len(secret)]


def _secrets_in(value: Any) -> set[str]:
    """Every string in a JSON value that sits in a secret field (``SECRET_FIELDS``) or looks like a webhook secret."""
    if isinstance(value, dict):
        found = {v for k, v in value.items() if k.lower() in SECRET_FIELDS and isinstance(v, str) and v}
        return found.union(*(_secrets_in(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(_secrets_in(v) for v in value))
    return {value} if isinstance(value, str) and _WEBHOOK_SECRET.fullmatch(value) else set()


_WEBHOOK_SECRET = re.compile(r"whsec_[A-Za-z0-9+/=_-]{8,}")


def _scrub_response(response: dict[str, Any]) -> dict[str, Any]:
    headers = response.get("headers", {})
    for name in list(headers):
        if name.lower() in SECRET_HEADERS:
            del headers[name]
    body = response.get("body") or {}
    raw = body.get("string")
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    if not isinstance(text, str) or not text:
        return response
    try:
        secrets = _secrets_in(json.loads(text))
    except ValueError:
        secrets = set(_WEBHOOK_SECRET.findall(text))
    secrets = {s for s in secrets if not s.startswith(_REDACTED)}
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, _fake(secret))
    if secrets:
        body["string"] = text.encode("utf-8") if isinstance(raw, bytes) else text
    return response


def vcr_config(record_mode: str = "none") -> dict[str, Any]:
    """Return the keyword arguments of ``vcr.VCR`` for Preo cassettes."""
    return {
        "record_mode": record_mode,
        "match_on": MATCH_ON,
        # the idempotency key is random per call: dropped so re-recording does not churn
        "filter_headers": [(name, None) for name in (*SECRET_HEADERS, "idempotency-key")],
        "filter_query_parameters": [(name, None) for name in SECRET_QUERY],
        "before_record_response": _scrub_response,
        "decode_compressed_response": True,
    }


def register_matchers(vcr: Any) -> None:
    """Teach a ``vcr.VCR`` instance the matchers named in ``MATCH_ON``."""
    vcr.register_matcher("preo_body", body_matcher)


def make_vcr(record_mode: str = "none") -> Any:
    """Return a configured ``vcr.VCR`` (vcrpy is imported only here)."""
    import vcr

    recorder = vcr.VCR(**vcr_config(record_mode))
    register_matchers(recorder)
    return recorder


def activate_from_env() -> bool:
    """Open the cassette named by ``PREO_NB_CASSETTE`` for the rest of the process.

    Returns:
        Whether a cassette is active (replaying, or recording with ``PREO_NB_RECORD=1``).
    """
    path = os.environ.get(CASSETTE_ENV)
    if not path:
        return False
    if path not in _active:
        recording = os.environ.get(RECORD_ENV) == "1"
        if not recording and not Path(path).is_file():
            from preo_nb.errors import ConfigurationError

            raise ConfigurationError(CASSETTE_ENV, f"no cassette at {path}")
        context = make_vcr("all" if recording else "none").use_cassette(path)
        context.__enter__()
        atexit.register(context.__exit__, None, None, None)
        _active[path] = context
    return True


def find_secrets(text: str, known: tuple[str, ...] = ()) -> list[str]:
    """Return the secret-looking strings in ``text`` (shortened), plus any ``known`` ones."""
    hits = [m.group(0) for pattern in SECRET_PATTERNS for m in pattern.finditer(text)]
    hits += [secret for secret in known if secret and secret in text]
    return [hit[:12] + "..." for hit in hits]
