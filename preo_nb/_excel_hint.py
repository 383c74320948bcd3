"""Point from pandas' refusal of time zones in ``DataFrame.to_excel`` to ``preo_nb.to_excel``, in IPython.

preo_nb's frames keep times as UTC with their zone (the data contract), which pandas will not
write to Excel; its error does not say what to do. In a notebook (IPython), preo_nb adds a
note to that one error naming ``preo_nb.to_excel``. Nothing changes outside IPython, or when
another tool already handles exceptions in the shell.
"""

from __future__ import annotations

import sys
from typing import Any

PANDAS_SAYS = "Excel does not support datetimes with timezones"
NOTE = (
    "preo_nb keeps times in UTC with their time zone. preo_nb.to_excel(frame, path) writes this frame: "
    "times in UTC without the zone, and text a spreadsheet would run as a formula made safe"
)


def install() -> None:
    """Add the note in the running IPython shell, if any and if no other handler is set."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    if shell is None or shell.custom_exceptions:
        return
    shell.set_custom_exc((ValueError,), _show)


def _show(shell: Any, etype: type[BaseException], value: BaseException, tb: Any, tb_offset: Any = None) -> list[str]:
    if PANDAS_SAYS in str(value) and NOTE not in getattr(value, "__notes__", []):
        value.add_note(NOTE)
    shell.showtraceback((etype, value, tb), tb_offset=tb_offset)
    return []
