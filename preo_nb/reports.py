"""Numbers for the people who receive a runbook's report: money, rates, counts and a summary first.

Runbooks display their key numbers before any table (:func:`summary`) and their tables
through :func:`table`, so the HTML export of a run (``preo-nb run NAME --no-input``) reads
as a report a finance manager can forward::

    currency = reports.currency_of(orders)                        # "EUR"
    display(reports.summary("Sales since 2026-08-30", {"Orders": len(orders),
                                                       "Revenue": reports.money(revenue, currency)}))
    display(reports.table(by_day, money=["revenue"], currency=currency))

Only how numbers are shown changes: the DataFrames keep their values and dtypes.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Iterable, Mapping
from functools import partial
from numbers import Integral
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import pandas as pd

if TYPE_CHECKING:
    from IPython.display import Markdown
    from pandas.io.formats.style import Styler

DEFAULT_CURRENCY = "EUR"
REPORT_DIR_ENV = "PREO_NB_REPORT_DIR"
"""Where the report of a run goes, so links to its files can be relative to it."""
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>|#])")


def _missing(value: Any) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def money(amount: Any, currency: str = DEFAULT_CURRENCY) -> str:
    """An amount with its currency and thousands separators: ``EUR 12,345.50`` (empty when missing)."""
    if _missing(amount):
        return ""
    return f"{currency} {float(amount):,.2f}"


def percent(rate: Any, digits: int = 1) -> str:
    """A fraction as a percentage: ``0.125`` -> ``12.5%`` (empty when missing)."""
    if _missing(rate):
        return ""
    return f"{float(rate):.{digits}%}"


def count(number: Any) -> str:
    """A whole number with thousands separators: ``12,345`` (empty when missing)."""
    if _missing(number):
        return ""
    return f"{int(number):,}"


def currency_of(*frames: pd.DataFrame, default: str = DEFAULT_CURRENCY) -> str:
    """The most common ``currency`` of the frames' rows, upper case (Preo sends ``eur``), else ``default``."""
    found = pd.concat(
        [f["currency"].dropna().astype(str) for f in frames if "currency" in f.columns] or [pd.Series([], dtype=str)]
    )
    return str(found.str.upper().mode().iloc[0]) if len(found) else default


def table(
    frame: pd.DataFrame,
    *,
    money: Iterable[str] = (),
    percent: Iterable[str] = (),
    currency: str = DEFAULT_CURRENCY,
    timezone: str | None = None,
) -> Styler:
    """``frame`` as a reader sees it: no index column, money, rates, counts and times formatted.

    A named index (``day``, ``product_type``) becomes the first column; an unnamed one (row
    numbers) is left out. Times are shown in ``timezone`` to the minute, and their column
    says which zone (``created (Europe/Amsterdam)``).

    Args:
        money: Columns of amounts, shown as ``EUR 12,345.50``.
        percent: Columns of fractions, shown as ``12.5%``.
        currency: The currency code shown before amounts.
        timezone: The zone to show times in (an edition's ``timezone``); UTC when None.

    Returns:
        A pandas ``Styler`` (a notebook shows it as an HTML table); the frame is unchanged.
    """
    named = any(name is not None for name in frame.index.names)
    shown = frame.reset_index(drop=not named)
    shown = shown.rename(columns=_local_times(shown, timezone or "UTC"))
    formats: dict[Any, Any] = {name: partial(_money, currency=currency) for name in money}
    formats.update({name: _percent for name in percent})
    whole = [
        name for name, dtype in shown.dtypes.items() if name not in formats and pd.api.types.is_integer_dtype(dtype)
    ]
    formats.update({name: count for name in whole})
    return shown.style.format(formats, na_rep="").hide(axis="index")


def _local_times(frame: pd.DataFrame, timezone: str) -> dict[str, str]:
    """Turn ``frame``'s time columns into local text in place; the new name of each (zone named)."""
    renamed = {}
    for name, dtype in frame.dtypes.items():
        if isinstance(dtype, pd.DatetimeTZDtype):
            frame[name] = frame[name].dt.tz_convert(timezone).dt.strftime("%Y-%m-%d %H:%M").astype(object)
            renamed[str(name)] = f"{name} ({timezone})"
    return renamed


def when(value: Any, timezone: str | None = None) -> str:
    """A date or time for a title: ``30 August 2026``, or ``25 August 2026, 02:00 (Europe/Amsterdam)``.

    A value without a time of day (``"2026-08-30"``) is shown as that day; a moment is shown
    in ``timezone`` (UTC when None), naming the zone.
    """
    moment = pd.Timestamp(value)
    if moment.tzinfo is None and moment == moment.normalize():
        return f"{moment.day} {moment:%B %Y}"
    zone = timezone or "UTC"
    moment = (moment if moment.tzinfo else moment.tz_localize("UTC")).tz_convert(zone)
    return f"{moment.day} {moment:%B %Y, %H:%M} ({zone})"


def link(path: str | os.PathLike[str], text: str | None = None) -> Markdown:
    """A Markdown link to a file the run wrote, relative to the report's folder (no local paths in a report).

    ``preo-nb run`` and ``demo`` tell the kernel where the report goes (``PREO_NB_REPORT_DIR``);
    elsewhere the link is relative to the working folder.
    """
    from IPython.display import Markdown

    target = Path(path).resolve()
    folder = Path(os.environ.get(REPORT_DIR_ENV) or Path.cwd()).resolve()
    href = Path(os.path.relpath(target, folder)).as_posix() if target.anchor == folder.anchor else target.as_uri()
    return Markdown(f"[{_escape(text or target.name)}]({quote(href)}): `{href}`")  # type: ignore[no-untyped-call]


_money, _percent = money, percent  # table()'s arguments of the same names hide them


def summary(title: str, facts: Mapping[str, Any]) -> Markdown:
    """The key numbers of a report, to display first: a bold title and one line per fact.

    Whole numbers get thousands separators; text is shown as given, with Markdown's
    special characters escaped so names cannot change the layout.
    """
    from IPython.display import Markdown

    lines = [f"**{_escape(title)}**", ""]
    for name, value in facts.items():
        shown = count(value) if isinstance(value, Integral) and not isinstance(value, bool) else str(value)
        lines.append(f"- {_escape(name)}: **{_escape(shown)}**")
    return Markdown("\n".join(lines))  # type: ignore[no-untyped-call]


def _escape(text: str) -> str:
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)
