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
import re
from collections.abc import Iterable, Mapping
from functools import partial
from numbers import Integral
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:
    from IPython.display import Markdown
    from pandas.io.formats.style import Styler

DEFAULT_CURRENCY = "EUR"
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
) -> Styler:
    """``frame`` shown with money and rate columns formatted, and counts with thousands separators.

    Args:
        money: Columns of amounts, shown as ``EUR 12,345.50``.
        percent: Columns of fractions, shown as ``12.5%``.
        currency: The currency code shown before amounts.

    Returns:
        A pandas ``Styler`` (a notebook shows it as an HTML table); the data is unchanged.
    """
    formats: dict[Any, Any] = {name: partial(_money, currency=currency) for name in money}
    formats.update({name: _percent for name in percent})
    whole = [
        name for name, dtype in frame.dtypes.items() if name not in formats and pd.api.types.is_integer_dtype(dtype)
    ]
    formats.update({name: count for name in whole})
    return frame.style.format(formats, na_rep="")


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
