"""Excel 2007+ workbooks (XLSX) → :class:`Document`: one heading and one table per sheet.

Same output as :mod:`parsers.formats.xls`: for each worksheet with content, a heading
:class:`Block` with its name and a :class:`Table` of its used area — numbers as the cell shows
them (``4500`` not ``4500.0``, ``9.5``, ``0.00`` formats), dates as ISO text, formulas as their
cached results, blank cells ``""``, merged ranges as spans.

openpyxl reads the package in normal (not read-only) mode, because only that mode reports
merged ranges; it holds the whole sheet in memory, so the package is checked first:

- every part's unpacked size (from the ZIP directory, which Python's zipfile also enforces
  while inflating) against :data:`~parsers.limits.XLSX_MAX_PART_BYTES`, and the total against
  :data:`~parsers.limits.XLSX_MAX_TOTAL_BYTES`;
- no XML part may declare a DTD (``<!DOCTYPE``): OOXML never needs one, and refusing it makes
  entity expansion ("billion laughs") impossible whatever openpyxl's XML backend. (openpyxl
  itself also parses sheets through ``defusedxml`` when it is installed, and other parts with
  lxml and ``resolve_entities=False``.)

>>> sniff(b"PK\\x03\\x04 truncated"), sniff(b"%PDF-1.7")
(False, False)
"""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime, time, timedelta

from parsers import limits
from parsers.document import Block, Document, ParseError, Table
from parsers.formats._office import clean_text, format_datetime, format_number, sheet_table
from parsers.formats._zipsafe import sniff_ooxml

NAME = "xlsx"
MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

_MAIN_CONTENT_TYPE = b"spreadsheetml.sheet.main+xml"
_XML_SUFFIXES = (".xml", ".rels", ".vml")
# A DTD marker in the encodings an XML part may use (UTF-8 and UTF-16 of either byte order).
_DTD_MARKERS = tuple("<!DOCTYPE".encode(enc) for enc in ("utf-8", "utf-16-le", "utf-16-be")) + tuple(
    "<!doctype".encode(enc) for enc in ("utf-8", "utf-16-le", "utf-16-be")
)
_CHUNK = 1024 * 1024


def sniff(data: bytes) -> bool:
    """A ZIP holding ``xl/workbook.xml`` (or declaring a SpreadsheetML main part)."""
    return sniff_ooxml(data, "xl/workbook.xml", _MAIN_CONTENT_TYPE)


# --------------------------------------------------------------------------- package checks


def _has_dtd(z: zipfile.ZipFile, info: zipfile.ZipInfo) -> bool:
    """Stream one part looking for a DTD (chunks overlap so a marker cannot be split)."""
    keep = max(len(m) for m in _DTD_MARKERS)
    tail = b""
    with z.open(info) as stream:
        while chunk := stream.read(_CHUNK):
            window = tail + chunk
            if any(marker in window for marker in _DTD_MARKERS):
                return True
            tail = window[-keep:]
    return False


def _check_package(data: bytes) -> None:
    """Size caps and the no-DTD rule, before openpyxl sees the bytes."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            infos = z.infolist()
            total = sum(i.file_size for i in infos)
            if total > limits.XLSX_MAX_TOTAL_BYTES:
                raise ParseError(f"XLSX unpacks to {total} bytes, over the limit (zip bomb?)")
            for info in infos:
                if info.file_size > limits.XLSX_MAX_PART_BYTES:
                    raise ParseError(
                        f"XLSX part {info.filename} unpacks to {info.file_size} bytes, "
                        f"over the limit of {limits.XLSX_MAX_PART_BYTES}"
                    )
                if info.filename.lower().endswith(_XML_SUFFIXES) and _has_dtd(z, info):
                    raise ParseError(f"XLSX part {info.filename} declares a DTD (entity expansion refused)")
    except zipfile.BadZipFile as exc:
        raise ParseError(f"corrupt or truncated XLSX: {exc}") from exc
    except (OSError, EOFError, RuntimeError, NotImplementedError) as exc:  # encrypted, bad method
        raise ParseError(f"unreadable XLSX: {type(exc).__name__}: {exc}") from exc


# --------------------------------------------------------------------------- cells


def _cell_text(value: object, number_format: str) -> str:
    """
    >>> _cell_text(4500, "General"), _cell_text(9.5, "General"), _cell_text(None, "General")
    ('4500', '9.5', '')
    >>> _cell_text(True, "General"), _cell_text(" 条 ", "General")
    ('TRUE', '条')
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        return format_number(value, number_format)
    if isinstance(value, datetime | date | time | timedelta):
        return format_datetime(value)
    return clean_text(str(value))


def _sheet_table(ws) -> Table | None:  # (openpyxl Worksheet)
    texts: dict[tuple[int, int], str] = {}
    for (row, col), cell in ws._cells.items():  # only cells present in the file, not the grid
        text = _cell_text(cell.value, cell.number_format or "General")
        if text:
            texts[(row - 1, col - 1)] = text
    merges = [(m.min_row - 1, m.max_row, m.min_col - 1, m.max_col) for m in ws.merged_cells.ranges]
    return sheet_table(texts, merges, ws.title)


def parse(data: bytes) -> Document:
    """Parse XLSX bytes into a heading + table per non-empty worksheet."""
    import openpyxl

    if not data.startswith(b"PK"):
        raise ParseError("not an XLSX: no ZIP signature")
    _check_package(data)
    try:
        wb = openpyxl.load_workbook(
            io.BytesIO(data), read_only=False, data_only=True, keep_vba=False, keep_links=False
        )
    except Exception as exc:  # KeyError (missing part), XML errors, defusedxml refusals …
        raise ParseError(f"corrupt XLSX: {type(exc).__name__}: {exc}") from exc
    content: list[Block | Table] = []
    try:
        for ws in wb.worksheets:
            table = _sheet_table(ws)
            if table is not None:
                content += [Block(ws.title, kind="heading"), table]
        title = (wb.properties.title or "").strip() or None if wb.properties else None
    finally:
        wb.close()
    return Document(format=NAME, content=content, method="markup", title=title)
