"""Reading an uploaded import file into a header and rows of text.

CSV (UTF-8 with or without BOM, else Latin-1; comma, semicolon or tab
separated, as spreadsheet programs write them in different locales) and
``.xlsx`` (first sheet, through openpyxl). Legacy ``.xls`` needs a reader the
sandbox does not ship, so such a file fails with a message saying what to do.
"""

from __future__ import annotations

import csv
import importlib
import io
from datetime import date, datetime
from typing import Any

EXTENSIONS = (".csv", ".xlsx", ".xls")
MAX_ROWS = 50_000


class UnreadableFile(ValueError):
    """The file cannot be turned into a header and rows; the message says why."""


def extension(file_name: str) -> str:
    """Return the lowercase extension of a file name (``""`` when none)."""
    dot = file_name.rfind(".")
    return file_name[dot:].lower() if dot > 0 else ""


def read_table(file_name: str, content: bytes) -> tuple[list[str], list[list[str]]]:
    """Return the header (unique, non-empty names) and the data rows, all text.

    Raises:
        UnreadableFile: Not parseable, no header, no data rows or too many rows.
    """
    kind = extension(file_name)
    if kind == ".csv":
        table = _csv_rows(content)
    elif kind == ".xlsx":
        table = _xlsx_rows(content)
    else:
        raise UnreadableFile(
            "Legacy .xls workbooks cannot be read here; save the sheet as .xlsx or .csv and upload it again."
        )
    table = [row for row in table if any(cell.strip() for cell in row)]
    if not table:
        raise UnreadableFile("The file is empty.")
    header, rows = _header(table[0]), table[1:]
    if not rows:
        raise UnreadableFile("The file has a header row but no data rows.")
    if len(rows) > MAX_ROWS:
        raise UnreadableFile(f"The file has {len(rows)} data rows; at most {MAX_ROWS} can be imported at once.")
    width = len(header)
    return header, [(row + [""] * width)[:width] for row in rows]


def _csv_rows(content: bytes) -> list[list[str]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = content.decode("latin-1")
    if "\x00" in text:
        raise UnreadableFile("This is not a text file; upload a .csv or .xlsx file.")
    first_line = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=first_line.count)
    try:
        return [[cell.strip() for cell in row] for row in csv.reader(io.StringIO(text), delimiter=delimiter)]
    except csv.Error as exc:
        raise UnreadableFile(f"The CSV file is malformed: {exc}.") from None


def _xlsx_rows(content: bytes) -> list[list[str]]:
    # Imported on use (only .xlsx uploads need it), and untyped: openpyxl ships no stubs.
    openpyxl: Any = importlib.import_module("openpyxl")
    try:
        book = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds (zip, XML, key errors) for a bad file
        raise UnreadableFile("The file is not a readable .xlsx workbook.") from None
    try:
        sheet = book.worksheets[0]
        return [[_cell_text(value) for value in row] for row in sheet.iter_rows(values_only=True)]
    finally:
        book.close()


def _cell_text(value: Any) -> str:
    """Render a spreadsheet cell as the text a CSV export would hold."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value).strip()


def _header(cells: list[str]) -> list[str]:
    """Name blank header cells by position and make repeated names unique."""
    names: list[str] = []
    for position, cell in enumerate(cells, start=1):
        name = cell.strip() or f"Column {position}"
        candidate, n = name, 2
        while candidate in names:
            candidate, n = f"{name} ({n})", n + 1
        names.append(candidate)
    return names
