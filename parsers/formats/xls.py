"""Excel 97–2003 workbooks (XLS) → :class:`Document`: one heading and one table per sheet.

Legacy reports often published the 统计表 as a separate spreadsheet. An XLS is an OLE2 file
with a ``Workbook`` (BIFF8) or ``Book`` (BIFF5) stream; ``xlrd`` reads it with formatting
information, which is what gives the merged ranges and each cell's number format.

For every sheet with content: a heading :class:`Block` with the sheet's name, then a
:class:`Table` of its used area (see :func:`parsers.formats._office.sheet_table`):

- numbers as the cell shows them: ``4500.0`` → ``"4500"``, ``9.5`` → ``"9.5"``, a ``0.00``
  format → two decimals; dates as ISO text; booleans ``TRUE``/``FALSE``; errors ``#DIV/0!``…;
- blank cells ``""`` (never ``"0"``); merged ranges → rowspan/colspan.

>>> sniff(b"\\xd0\\xcf\\x11\\xe0\\xa1\\xb1\\x1a\\xe1 truncated"), sniff(b"PK\\x03\\x04")
(False, False)
"""

from __future__ import annotations

import io

from parsers.document import Block, Document, ParseError, Table
from parsers.formats._office import (
    OLE_MAGIC,
    clean_text,
    format_datetime,
    format_number,
    ole_streams,
    sheet_table,
)

NAME = "xls"
MEDIA_TYPE = "application/vnd.ms-excel"

_WORKBOOK_STREAMS = {"workbook", "book"}


def sniff(data: bytes) -> bool:
    """An OLE2 file with a ``Workbook`` or ``Book`` stream."""
    if not data.startswith(OLE_MAGIC):
        return False
    streams = ole_streams(data)
    return bool(streams and streams & _WORKBOOK_STREAMS)


def _open(data: bytes):  # -> xlrd.book.Book
    import xlrd

    if not sniff(data):
        raise ParseError("not an XLS workbook (OLE2 file without a Workbook/Book stream)")
    try:
        # ragged_rows: a lone cell far down must not pad every row out to the widest one.
        return xlrd.open_workbook(
            file_contents=data, formatting_info=True, ragged_rows=True, logfile=io.StringIO()
        )
    except Exception as exc:  # xlrd raises XLRDError, CompDocError, struct.error, …
        raise ParseError(f"corrupt XLS: {type(exc).__name__}: {exc}") from exc


def _cell_text(book, cell) -> str:  # (xlrd.book.Book, xlrd.sheet.Cell)
    import xlrd

    kind = cell.ctype
    if kind == xlrd.XL_CELL_TEXT:
        return clean_text(cell.value)
    if kind == xlrd.XL_CELL_NUMBER:
        xf = book.xf_list[cell.xf_index] if cell.xf_index is not None else None
        fmt = book.format_map.get(xf.format_key) if xf is not None else None
        return format_number(cell.value, fmt.format_str if fmt else "General")
    if kind == xlrd.XL_CELL_DATE:
        try:
            return format_datetime(xlrd.xldate_as_datetime(cell.value, book.datemode))
        except (ValueError, OverflowError, xlrd.xldate.XLDateError):
            return format_number(cell.value)
    if kind == xlrd.XL_CELL_BOOLEAN:
        return "TRUE" if cell.value else "FALSE"
    if kind == xlrd.XL_CELL_ERROR:
        return xlrd.error_text_from_code.get(cell.value, "#ERR")
    return ""  # XL_CELL_EMPTY, XL_CELL_BLANK


def _sheet_table(book, sheet) -> Table | None:  # (xlrd Book, xlrd Sheet)
    texts: dict[tuple[int, int], str] = {}
    for r in range(sheet.nrows):
        for c in range(sheet.row_len(r)):
            text = _cell_text(book, sheet.cell(r, c))
            if text:
                texts[(r, c)] = text
    merges = [(r0, r1, c0, c1) for r0, r1, c0, c1 in sheet.merged_cells]
    return sheet_table(texts, merges, sheet.name)


def parse(data: bytes) -> Document:
    """Parse XLS bytes into a heading + table per non-empty sheet."""
    book = _open(data)
    content: list[Block | Table] = []
    try:
        for sheet in book.sheets():
            table = _sheet_table(book, sheet)
            if table is not None:
                content += [Block(sheet.name, kind="heading"), table]
    except (IndexError, KeyError, ValueError, AttributeError) as exc:  # inconsistent records
        raise ParseError(f"corrupt XLS: {type(exc).__name__}: {exc}") from exc
    finally:
        book.release_resources()
    return Document(format=NAME, content=content, method="markup")
