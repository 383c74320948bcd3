"""When to send a request again: one pure decision table, no I/O.

``decide`` looks at one attempt's outcome and says what the HTTP layer does next:

==================================  ===========================  ==========================
what happened                       GET HEAD PUT PATCH DELETE    POST
                                    (and "safe" POSTs)
==================================  ===========================  ==========================
an answer below 400                 return it                    return it
429                                 wait Retry-After, resend     wait Retry-After, resend
                                                                 (refused: nothing happened)
429 after the last retry            GET HEAD: wait Retry-After   raise
                                    (1 s at least), resend while
                                    ``patient``; others: raise
502 503 504                         back off, resend             reconcile
500                                 raise                        reconcile
404 to a resent DELETE              done (the first one landed)  -
other 4xx/5xx                       raise                        raise
never connected                     back off, resend             back off, resend
lost after sending (reset, read     back off, resend             reconcile
timeout) or a cut-off body
==================================  ===========================  ==========================

"reconcile" means: look for the POST's effect, return it if found, send again only if it
is provably absent (``preo_nb._http``). PATCH sets absolute values, so sending it twice
leaves the same state as once. When the retries run out the last error is raised; a POST
is still reconciled first, and a read refused with 429 goes on while ``patient`` (the client's
limiter's ``PATIENCE`` has not run out: a refusal is no failure). ``Retry-After`` may be
seconds or an HTTP date; anything unreadable, negative or not finite falls back to the backoff.
"""

from __future__ import annotations

import email.utils
import math
import random
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

Kind = Literal["answered", "not_sent", "lost", "cut_off"]
Action = Literal["return", "raise", "wait", "reconcile", "done"]

REPEATABLE = frozenset({"GET", "HEAD", "PUT", "PATCH", "DELETE", "OPTIONS"})
PATIENT = frozenset({"GET", "HEAD"})  # reads wait out a 429 beyond the retries; a refused write is reported
PATIENT_PAUSE = 1.0  # seconds at least between those tries: "Retry-After: 0" must not make a busy loop
GATEWAY = frozenset({502, 503, 504})


@dataclass(frozen=True)
class Outcome:
    """What one attempt came to.

    Attributes:
        kind: ``answered`` (a whole answer with a status), ``not_sent`` (no
            connection was made), ``lost`` (sent, no answer) or ``cut_off``
            (an answer whose body broke off).
        status: The HTTP status, for ``answered``.
        retry_after: The raw ``Retry-After`` header, if any.
    """

    kind: Kind
    status: int = 0
    retry_after: str | None = None


@dataclass(frozen=True)
class Policy:
    """The retry settings (``preo_nb.config.Settings`` holds the user's values)."""

    max_retries: int = 4
    backoff_factor: float = 0.5
    max_wait: float = 30.0


RetryPolicy = Policy  # its public name: preo_nb.RetryPolicy, connect(retry=...)


@dataclass(frozen=True)
class Decision:
    """What to do next: ``action``, and for ``wait`` how long (seconds)."""

    action: Action
    wait: float = 0.0


def decide(
    method: str,
    outcome: Outcome,
    attempt: int,
    policy: Policy,
    *,
    safe: bool = False,
    reached_before: bool = False,
    patient: bool = False,
    jitter: float | None = None,
) -> Decision:
    """Decide what follows ``outcome`` of attempt number ``attempt`` (0 for the first send).

    Args:
        safe: The POST changes nothing (a preview, a validation): treated like a GET.
        reached_before: An earlier attempt of this request may have reached the server.
        patient: Time is left to wait out a 429 past the last retry (for GET and HEAD).
        jitter: A number in [0, 1) spreading the backoff (random when None).
    """
    repeatable = safe or method.upper() in REPEATABLE
    last = attempt >= policy.max_retries
    pause = backoff(attempt, policy, random.random() if jitter is None else jitter)  # noqa: S311 - jitter
    if outcome.kind == "answered" and outcome.status == 429:  # refused: nothing happened
        patient = patient and method.upper() in PATIENT
        wait = pause if (found := retry_after(outcome.retry_after, policy.max_wait)) is None else found
        if last:  # past the policy only patience goes on, and never faster than a try a second
            return Decision("wait", max(PATIENT_PAUSE, wait)) if patient else Decision("raise")
        return Decision("wait", wait)
    if outcome.kind == "answered":
        return _after_answer(method.upper(), outcome, policy, repeatable, last, pause, reached_before)
    if outcome.kind == "not_sent" or repeatable:
        return Decision("raise") if last else Decision("wait", pause)
    return Decision("reconcile")


def _after_answer(
    method: str, outcome: Outcome, policy: Policy, repeatable: bool, last: bool, pause: float, reached_before: bool
) -> Decision:
    status = outcome.status
    if status < 400:
        return Decision("return")
    if status == 404 and method == "DELETE" and reached_before:
        return Decision("done")
    if repeatable:
        return Decision("wait", pause) if status in GATEWAY and not last else Decision("raise")
    if status in GATEWAY or status == 500:
        return Decision("reconcile")
    return Decision("raise")


def backoff(attempt: int, policy: Policy, jitter: float) -> float:
    """Exponential backoff with jitter, capped: ``factor * 2**attempt + factor * jitter``."""
    return float(min(policy.backoff_factor * (2**attempt + jitter), policy.max_wait))


def retry_after(value: str | None, cap: float, now: datetime | None = None) -> float | None:
    """Seconds a ``Retry-After`` header asks for, capped; None when absent or unreadable.

    Accepts a number of seconds (``"2"``, ``"1.5"``) or an HTTP date. ``nan``, ``inf``,
    negative numbers, dates in the past beyond a second and any other text give None,
    so the caller falls back to its backoff.
    """
    if value is None or not value.strip():
        return None
    text = value.strip()
    seconds: float | None
    try:
        seconds = float(text)
    except ValueError:
        seconds = _seconds_until(text, now or datetime.now(UTC))
    if seconds is None or not math.isfinite(seconds) or seconds < 0:
        return None
    return min(seconds, cap)


def _seconds_until(text: str, now: datetime) -> float | None:
    when = http_date(text)
    return None if when is None else max((when - now).total_seconds(), 0.0)


def http_date(text: str | None) -> datetime | None:
    """An HTTP date (``Tue, 01 Dec 2026 10:00:00 GMT``, always UTC) as an aware datetime.

    None when absent, unreadable, or two headers joined into one (no single clock to trust).
    """
    if not text or text.count(",") > 1:
        return None
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)
