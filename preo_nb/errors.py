"""The error tree of preo_nb.

::

    PreoError
     +-- PreoValidationError (also ValueError)   bad input caught before anything is sent
     |    +-- ConfigurationError                 missing token, bad base URL, bad .env
     +-- EngineError (also ValueError)           the local CEL engine failed on a condition
     +-- TransportError                          the network failed (DNS, refused, timeout, deadline)
     |    +-- AnswerTooLarge                     an answer past max_answer_bytes, refused unread
     +-- UnknownOutcome                          a write may have happened; says where to check
     +-- WaitTimeout (also TimeoutError)         a wait(...) for a job ran out of time
     |    +-- AwaitingApproval                   refunds.wait() on a refund nobody approved yet
     +-- SignatureVerificationError              a received webhook's signature does not check out
     +-- MissingExtra (also ImportError)         a feature needs an extra that is not installed
     +-- UsageError                              the preo-nb command cannot run as asked
     +-- RunbookNotFound                         no runbook by that name or path
     +-- RunbookFailed                           a runbook's cell raised (the notebook was written)
     +-- Unprovable                              a reconciler cannot prove a lost POST's outcome
     |                                           (inside preo_nb; users see UnknownOutcome)
     +-- ServerMismatch                          the answer contradicts what was asked
     |    +-- IgnoredFilter                      a list holds rows its filter excludes
     |    +-- IncompleteList                     a list's pages do not add up to its count
     +-- APIError                                the server answered with an error status
          +-- BadRequest            400 with field errors
          +-- AuthenticationError   401
          +-- PermissionDenied      403
          +-- NotFound              404
          +-- Conflict              409 (also a 400 that carries only ``detail``)
          +-- RateLimited           429
          +-- ServerError           5xx
          +-- UnexpectedRedirect    3xx to a write, or a read sent to another address

``ConfigurationWarning`` (a ``UserWarning``) says when settings work but look wrong;
``ContractDriftWarning`` when an answer holds something the contract does not describe.
``NoAnswer`` (an ``Exception``, not a ``PreoError``) is a transport's word that no whole
answer arrived (``preo_nb._transports``); the retry layer turns it into ``TransportError``
or ``UnknownOutcome``, so users never meet it.

Every ``APIError`` carries the status, the server's ``detail``, its field
errors, the refusal ``code``, the request id and the method and URL called.
No error message ever holds the API token.
"""

from __future__ import annotations

import importlib
from importlib import metadata
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from preo_nb import _hints


class PreoError(Exception):
    """Root of every error preo_nb raises."""


class PreoValidationError(PreoError, ValueError):
    """Input the client can tell is wrong; nothing was sent.

    Attributes:
        field: The argument or body field at fault (``"reason"``, ``"amount"``...).
    """

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class ConfigurationError(PreoValidationError):
    """The connection settings are unusable (token, base URL, timeout, .env)."""


class ConfigurationWarning(UserWarning):
    """The connection settings work but look wrong (mixed sources, a base URL ending in ``/v1``)."""


class TransportError(PreoError):
    """The request did not get an HTTP answer (connection refused, timeout, reset)."""

    def __init__(self, message: str, *, method: str = "", url: str = "") -> None:
        super().__init__(f"{message} ({method} {url})" if method else message)
        self.method = method
        self.url = url


class AnswerTooLarge(TransportError):
    """An answer larger than ``max_answer_bytes`` (default 64 MiB): refused unread, never held whole."""


class APIError(PreoError):
    """The server answered with an error status."""

    def __init__(
        self,
        status: int,
        *,
        method: str,
        url: str,
        detail: str | None = None,
        code: str | None = None,
        field_errors: dict[str, Any] | None = None,
        request_id: str | None = None,
        body: Any = None,
        hint: str | None = None,
    ) -> None:
        self.status = status
        self.method = method
        self.url = url
        self.detail = detail
        self.code = code
        self.field_errors = field_errors or {}
        self.request_id = request_id
        self.body = body
        self.hint = hint or self._hint()
        super().__init__(self._message())

    def _hint(self) -> str | None:
        """What the person should check, when the status alone can tell (subclasses)."""
        return None

    def _message(self) -> str:
        head = f"{self.status} {type(self).__name__} on {self.method} {self.url}"
        parts = [self.detail or ""]
        if self.code:
            parts.append(f"(code: {self.code})")
        parts += [f"{name}: {_join(msgs)}" for name, msgs in self.field_errors.items()]
        if self.hint:
            parts.append(f"-- {self.hint}")
        if self.request_id:
            parts.append(f"[request id {self.request_id}]")
        text = " ".join(p for p in parts if p)
        return f"{head}: {text}" if text else head


def _join(messages: Any) -> str:
    if isinstance(messages, list):
        return "; ".join(_join(m) for m in messages)
    if isinstance(messages, dict):
        return "; ".join(f"{k}: {_join(v)}" for k, v in messages.items())
    return str(messages)


class BadRequest(APIError):
    """400: the server rejected the input; ``field_errors`` says where."""


class AuthenticationError(APIError):
    """401: the token is missing, wrong or expired; the message says where the token came from."""


class PermissionDenied(APIError):
    """403: the caller's role in that organization is too low."""


class NotFound(APIError):
    """404: no such object, or it belongs to an organization the caller cannot see.

    The message names what was looked up and, when the id looks like another
    kind of object's (by its prefix) or like an order number, where to look instead.
    """

    def _hint(self) -> str | None:
        return _hints.not_found(urlsplit(self.url).path)


class Conflict(APIError):
    """409: the object's state does not allow this (``code`` says why)."""


class RateLimited(APIError):
    """429: too many requests, still refused after the retries.

    Attributes:
        retry_after: The server's ``Retry-After`` value, if it sent one.
    """

    retry_after: str | None = None


class ServerError(APIError):
    """5xx: the server failed, still after the retries for idempotent calls."""


class SignatureVerificationError(PreoError):
    """A webhook signature did not check out.

    Attributes:
        reason: ``missing_header``, ``malformed_header``, ``timestamp_out_of_tolerance``,
            ``signature_mismatch`` or ``malformed_body``.
    """

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(f"{message} ({reason})")
        self.reason = reason


class UnknownOutcome(PreoError):
    """A write may or may not have taken effect, and preo_nb could not find out.

    Raised instead of sending the write again, so nothing happens twice.

    Attributes:
        method, url: The request.
        cause: What went wrong (a lost connection, a cut-off answer, a 5xx).
        check: Where to look before trying again, e.g. ``GET /v1/webhooks/whk_...``.
        why: Why looking did not settle it (empty when there was no way to look).
    """

    def __init__(self, method: str, url: str, cause: PreoError, *, check: str, why: str = "") -> None:
        super().__init__(
            f"{method} {url} may or may not have taken effect ({cause}). "
            + (f"Looking for it did not settle it: {why}. " if why else "")
            + f"Check with {check} before trying again."
        )
        self.method = method
        self.url = url
        self.cause = cause
        self.check = check
        self.why = why


class WaitTimeout(PreoError, TimeoutError):
    """A ``wait(...)`` gave up before the job reached a final state (the job goes on)."""


class AwaitingApproval(WaitTimeout):
    """``refunds.wait()`` on a refund still ``requested``: waiting cannot end it, approving can.

    Raised at once instead of waiting out the timeout; a ``WaitTimeout``, so code
    that handles a wait giving up handles this one too.

    Attributes:
        refund: The refund request as last read.
    """

    def __init__(self, refund: dict[str, Any]) -> None:
        id = refund.get("id")
        super().__init__(
            f"refund request {id} is still requested: it awaits approval, and waiting will not change that. "
            f"Approve it with preo.refunds.approve({id!r}) (or reject it), or at the refund desk "
            "(preo_nb.widgets.RefundQueue), then wait again."
        )
        self.refund = refund


STATUS_ERRORS: dict[int, type[APIError]] = {
    400: BadRequest,
    401: AuthenticationError,
    403: PermissionDenied,
    404: NotFound,
    409: Conflict,
    429: RateLimited,
}


def error_class(status: int, body: Any) -> type[APIError]:
    """Choose the error class for a status and its decoded body."""
    if status == 400 and isinstance(body, dict) and set(body) <= {"detail", "code"} and body:
        return Conflict  # the README's rule: a 400 carrying only detail is a state refusal
    if status >= 500:
        return ServerError
    return STATUS_ERRORS.get(status, APIError)


class UnexpectedRedirect(APIError):
    """3xx: the server redirected a write, or a read to another address; nothing was resent.

    A redirected PATCH or POST is not sent on (HTTP clients turn a 301 PATCH into a GET,
    silently dropping the change, and a 307 would carry a refund's body to wherever it
    points), so the write did not happen.

    Attributes:
        location: Where the server pointed.
    """

    location: str = ""


class ServerMismatch(PreoError):
    """The server's answer contradicts what was asked; preo_nb stopped rather than guess."""


class IgnoredFilter(ServerMismatch):
    """A list came back with rows its filter excludes: the server ignored the filter.

    Attributes:
        filter: The filter's name (``edition_id``).
        value: Its value.
        column: The column that contradicts it.
        rows: How many rows contradict it.
    """

    def __init__(
        self, operation: str, filter: str, value: Any, column: str, rows: int, example: Any, *, test: str = ""
    ) -> None:
        super().__init__(
            f"the server ignored filter {filter}: {operation}({filter}={value!r}) returned {rows} row(s) "
            f"whose {column} {test or f'is not {value!r}'} (e.g. {example!r}). No rows were returned, so "
            f"nothing acts on the wrong ones. The API may not support this filter: call without it and "
            f"filter the DataFrame yourself; `preo-nb check-contract` tests every filter, and "
            f"preo_nb.contract.provenance({operation!r}) says where it comes from."
        )
        self.filter = filter
        self.value = value
        self.column = column
        self.rows = rows


class IncompleteList(ServerMismatch):
    """A list could not be read whole: it changed while read, or its pages do not add up.

    Attributes:
        expected: Records the server said the list holds (None when it did not say).
        received: Distinct records read.
        retryable: The list changed while it was read; reading it again may succeed.
    """

    retryable = False

    def __init__(self, path: str, why: str, *, expected: int | None = None, received: int = 0) -> None:
        super().__init__(f"could not read the whole list {path}: {why}")
        self.expected = expected
        self.received = received


class ContractDriftWarning(UserWarning):
    """The API sent something the contract does not describe (a missing field, an unreadable value)."""


def install_command(extra: str) -> str:
    """The pip commands that install ``extra`` today: preo_nb is on no package index."""
    try:
        version = metadata.version("preo_nb")
    except metadata.PackageNotFoundError:
        version = "VERSION"
    return (
        f"from a checkout of preo_nb: pip install -e '.[{extra}]'; "
        f"from a built wheel: pip install 'preo_nb-{version}-py3-none-any.whl[{extra}]'"
    )


class MissingExtra(PreoError, ImportError):
    """A feature needs an optional part of preo_nb that is not installed; says how to install it.

    Attributes:
        extra: The extra that brings it (``"parquet"``, ``"widgets"``...).
    """

    def __init__(self, feature: str, extra: str, missing: str) -> None:
        super().__init__(f"{feature} needs the {extra} extra ({missing} is not installed): {install_command(extra)}")
        self.extra = extra


def require(extra: str, feature: str, *modules: str) -> None:
    """Import ``modules``, or raise ``MissingExtra`` naming ``extra`` and how to install it."""
    for name in modules:
        try:
            importlib.import_module(name)
        except ImportError as exc:
            raise MissingExtra(feature, extra, name) from exc


class EngineError(PreoError, ValueError):
    """The CEL engine failed (a panic in its Rust code) instead of reporting on the condition."""


class UsageError(PreoError):
    """The command cannot run as asked (a missing notebook, a file without purchase ids)."""


class RunbookNotFound(PreoError):
    """No runbook by that name or path."""


class RunbookFailed(PreoError):
    """A cell of a runbook raised; the failed run was written to ``notebook`` (``NAME.failed.ipynb``)."""

    def __init__(self, notebook: Path, cell: int, exec_count: Any, source: str, error: str, line: int | None) -> None:
        lines = source.splitlines()
        if line is not None and 0 < line <= len(lines):
            shown = f"line {line}: {lines[line - 1].strip()}"
        else:
            shown = next((text for text in lines if text.strip()), "")
        super().__init__(f"{notebook.name}: cell {cell} (In [{exec_count}], {shown}) failed: {error}")
        self.notebook = notebook
        self.cell = cell


class Unprovable(PreoError):
    """Raised by a reconciler: what it found cannot prove whether the POST took effect.

    Attributes:
        check: Where a person can look (``GET /v1/refunds?purchase_id=...``).
    """

    def __init__(self, why: str, *, check: str) -> None:
        super().__init__(why)
        self.check = check


Lost = Literal["not_sent", "lost", "cut_off"]


class NoAnswer(Exception):
    """No whole answer arrived: how far the request got (``kind``) and why, in words.

    Attributes:
        kind: ``not_sent`` (no connection was made), ``lost`` (it may have reached the
            server; no answer came) or ``cut_off`` (an answer whose body broke off).
        why: What happened, for a person ("the Preo API did not answer in time").
    """

    def __init__(self, kind: Lost, why: str) -> None:
        super().__init__(why)
        self.kind: Lost = kind
        self.why = why
