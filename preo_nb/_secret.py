"""``Secret``: a value that never shows itself unless asked.

Webhook signing secrets come back in API answers. Wrapped in ``Secret`` they
display as ``whsec_***`` in a notebook, a printed dict, a log line, an
exception, ``str()``, ``%`` and ``format``; ``+`` and ``json.dumps`` refuse
them (a ``TypeError``) rather than write the value. It is deliberately not a
``str``: a ``str`` subclass hands its characters to concatenation and to the
JSON encoder whatever it overrides. ``preo_nb.signing`` takes a ``Secret`` as it
is; ``secret.reveal()`` returns the plain value when you really want it.
"""

from __future__ import annotations

from typing import Any


class Secret:
    """A masked string value; ``reveal()`` gives it, nothing else does."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = str(value)

    def __repr__(self) -> str:
        return repr(self.masked())

    def __str__(self) -> str:
        return self.masked()

    def __format__(self, spec: str) -> str:
        return format(self.masked(), spec)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Secret):
            return self._value == other._value
        return isinstance(other, str) and self._value == other

    def __hash__(self) -> int:
        return hash(self._value)

    def masked(self) -> str:
        """The shown form: the prefix before ``_`` and ``***``."""
        prefix, sep, _ = self._value.partition("_")
        return f"{prefix}_***" if sep else "***"

    def reveal(self) -> str:
        """Return the secret as a plain string (asked for explicitly)."""
        return self._value


def guard(record: dict[str, Any], key: str = "secret") -> dict[str, Any]:
    """Wrap ``record[key]`` in ``Secret`` (in place) and return the record."""
    if isinstance(record.get(key), str):
        record[key] = Secret(record[key])
    return record
