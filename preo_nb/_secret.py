"""``Secret``: a string that can be used everywhere but never shows itself.

Webhook signing secrets come back in API answers. Wrapped in ``Secret`` they
display as ``whsec_***`` in a notebook, a printed dict, a log line or an
exception, yet still work wherever a ``str`` is expected (``signing.verify``,
``hmac``, ``.encode()``). ``secret.reveal()`` returns the plain value when you
really want to see it.
"""

from __future__ import annotations

from typing import Any


class Secret(str):
    """A ``str`` whose ``repr`` and ``str`` are masked; ``reveal()`` gives the value."""

    __slots__ = ()

    def __repr__(self) -> str:
        return repr(self.masked())

    def __str__(self) -> str:
        return self.masked()

    def __format__(self, spec: str) -> str:
        return format(self.masked(), spec)

    def masked(self) -> str:
        """The shown form: the prefix before ``_`` and ``***``."""
        prefix, sep, _ = self[:].partition("_")
        return f"{prefix}_***" if sep else "***"

    def reveal(self) -> str:
        """Return the secret as a plain string (asked for explicitly)."""
        return self[:]


def guard(record: dict[str, Any], key: str = "secret") -> dict[str, Any]:
    """Wrap ``record[key]`` in ``Secret`` (in place) and return the record."""
    if isinstance(record.get(key), str):
        record[key] = Secret(record[key])
    return record
