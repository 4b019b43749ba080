"""Word 97–2003 documents (DOC) → :class:`Document`.

A DOC is an OLE2 compound file with a ``WordDocument`` stream. Its tables matter (the
statistics tables of a report), and only LibreOffice reads them faithfully, so:

1. **LibreOffice** converts the file to DOCX (private profile, time limit — see
   :func:`parsers.formats._office.convert_with_libreoffice`) and the DOCX parser reads it:
   headings, paragraphs and tables with their merged cells; ``method="conversion"``.
2. When LibreOffice is missing or fails (but does not time out), the **text** is read straight
   from the file: the Word 97 piece table (in the ``0Table``/``1Table`` stream) says where each
   run of the main text lies in ``WordDocument`` and whether it is UTF-16 or 8-bit. Field codes
   are dropped (their results kept), table cells become lines of their own; there are no
   tables. ``meta["fallback"]`` says why this path was taken. (``catdoc`` was measured on the
   seed DOCs at 63–95 % of the text — it garbles LibreOffice-written files — so it is not
   used; this reader gets 100 %.)

A timeout is a ParseError (the document's time is spent); so are a corrupt container, an
encrypted document, and a Word 6/95 file when LibreOffice is not there to read it.

>>> sniff(b"%PDF-1.7"), sniff(b"\\xd0\\xcf\\x11\\xe0\\xa1\\xb1\\x1a\\xe1 truncated")
(False, False)
"""

from __future__ import annotations

import re
import struct

from parsers.document import Block, Document, ParseError
from parsers.formats._office import (
    OLE_MAGIC,
    convert_with_libreoffice,
    document_from_docx,
    ole_streams,
    open_ole,
)
from parsers.limits import TimeLimitExceeded

NAME = "doc"
MEDIA_TYPE = "application/msword"

_WORD97_IDENT = 0xA5EC  # FIB wIdent of Word 97 and later (Word 6/95: 0xA5DC)
_F_ENCRYPTED = 0x0100
_F_WHICH_TABLE = 0x0200  # the piece table is in 1Table (else 0Table)
_FC_COMPRESSED = 0x40000000  # piece flag: 8-bit text at fc / 2


def sniff(data: bytes) -> bool:
    """An OLE2 file holding a ``WordDocument`` stream."""
    if not data.startswith(OLE_MAGIC):
        return False
    streams = ole_streams(data)
    return streams is not None and "worddocument" in streams


# --------------------------------------------------------------------------- the FIB


def _u16(buf: bytes, offset: int) -> int:
    return struct.unpack_from("<H", buf, offset)[0]


def _u32(buf: bytes, offset: int) -> int:
    return struct.unpack_from("<I", buf, offset)[0]


def _check_fib(word: bytes) -> None:
    """Refuse what no path can read (before spending a conversion on it)."""
    if len(word) < 32:
        raise ParseError("corrupt DOC: WordDocument stream too short for a FIB")
    if _u16(word, 0x0A) & _F_ENCRYPTED:
        raise ParseError("encrypted (password-protected) Word document")


# --------------------------------------------------------------------------- text fallback


def _piece_table(word: bytes, table: bytes) -> tuple[int, list[int], list[int]]:
    """(ccpText, piece CPs, piece fc fields) from the FIB and the CLX."""
    csw = _u16(word, 32)
    lw_at = 34 + 2 * csw  # FibRgLw97 follows FibRgW97
    cslw = _u16(word, lw_at)
    ccp_text = _u32(word, lw_at + 2 + 4 * 3)
    fclcb_at = lw_at + 2 + 4 * cslw + 2  # FibRgFcLcb97 follows cbRgFcLcb
    fc_clx, lcb_clx = struct.unpack_from("<II", word, fclcb_at + 33 * 8)
    clx = table[fc_clx : fc_clx + lcb_clx]
    if len(clx) != lcb_clx or lcb_clx == 0:
        raise ParseError("corrupt DOC: piece table outside the table stream")
    i = 0
    while i < len(clx) and clx[i] == 0x01:  # Prc (formatting) entries before the Pcdt
        i += 3 + struct.unpack_from("<h", clx, i + 1)[0]
    if i >= len(clx) or clx[i] != 0x02:
        raise ParseError("corrupt DOC: no piece table (Pcdt) in the CLX")
    lcb = _u32(clx, i + 1)
    plc = clx[i + 5 : i + 5 + lcb]
    n = (lcb - 4) // 12
    if n < 1 or len(plc) < lcb:
        raise ParseError("corrupt DOC: truncated piece table")
    cps = list(struct.unpack_from(f"<{n + 1}I", plc, 0))
    fcs = [_u32(plc, 4 * (n + 1) + 8 * k + 2) for k in range(n)]
    return ccp_text, cps, fcs


def _main_text(word: bytes, table: bytes) -> str:
    """The main document text (CPs 0 … ccpText) assembled from its pieces."""
    ccp_text, cps, fcs = _piece_table(word, table)
    parts: list[str] = []
    for k, fc in enumerate(fcs):
        start, end = cps[k], min(cps[k + 1], ccp_text)
        if start >= end:
            continue
        compressed = bool(fc & _FC_COMPRESSED)
        offset = (fc & ~_FC_COMPRESSED) // 2 if compressed else fc
        size = (end - start) * (1 if compressed else 2)
        raw = word[offset : offset + size]
        if len(raw) < size:
            raise ParseError("corrupt DOC: a text piece lies outside the WordDocument stream")
        parts.append(raw.decode("cp1252" if compressed else "utf-16-le", "replace"))
    return "".join(parts)


def _drop_field_codes(text: str) -> str:
    r"""Keep what a field shows: ``\x13 code \x14 result \x15`` → ``result`` (nested too).

    >>> _drop_field_codes("页\x13 PAGE \x143\x15/共\x13 NUMPAGES \x15页")
    '页3/共页'
    """
    out: list[str] = []
    showing: list[bool] = []  # per open field: past its separator?
    for ch in text:
        if ch == "\x13":
            showing.append(False)
        elif ch == "\x14" and showing:
            showing[-1] = True
        elif ch == "\x15" and showing:
            showing.pop()
        elif all(showing):
            out.append(ch)
    return "".join(out)


# Paragraph/cell/row/line/page/column ends → line breaks; hyphens; anchors and other
# control characters (pictures, footnote marks …) dropped.
_CONTROL = {"\r": "\n", "\x07": "\n", "\x0b": "\n", "\x0c": "\n", "\x0e": "\n", "\x1e": "-"}
_OTHER_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f]")


def text_lines(word: bytes, table: bytes) -> list[str]:
    """The document's text as non-empty, trimmed lines (one per paragraph or table cell)."""
    text = _drop_field_codes(_main_text(word, table))
    text = _OTHER_CONTROL.sub("", "".join(_CONTROL.get(ch, ch) for ch in text))
    lines = (re.sub(r"[ \t\u00a0]+", " ", line).strip() for line in text.split("\n"))
    return [line for line in lines if line]


def _fallback(data: bytes, reason: str) -> Document:
    with open_ole(data) as ole:
        word = ole.openstream("WordDocument").read()
        if _u16(word, 0) != _WORD97_IDENT:
            raise ParseError(f"Word 6/95 (or older) document and no converter: {reason}")
        table_name = "1Table" if _u16(word, 0x0A) & _F_WHICH_TABLE else "0Table"
        if not ole.exists(table_name):
            raise ParseError(f"corrupt DOC: no {table_name} stream")
        table = ole.openstream(table_name).read()
    try:
        lines = text_lines(word, table)
    except struct.error as exc:
        raise ParseError(f"corrupt DOC: {exc}") from exc
    content = [Block(line) for line in lines]
    return Document(format=NAME, content=content, method="conversion", meta={"fallback": reason})


# --------------------------------------------------------------------------- entry point


def parse(data: bytes) -> Document:
    """Parse DOC bytes (see module docstring); ParseError on bad input or a timeout."""
    with open_ole(data) as ole:
        if not ole.exists("WordDocument"):
            raise ParseError("OLE2 file without a WordDocument stream: not a Word document")
        _check_fib(ole.openstream("WordDocument").read(64))
    try:
        converted = convert_with_libreoffice(data, ".doc")
        return document_from_docx(converted, NAME)
    except TimeLimitExceeded:
        raise  # the document's time is spent: no second attempt
    except ParseError as exc:  # no LibreOffice, or it failed: the text without tables
        return _fallback(data, str(exc))
