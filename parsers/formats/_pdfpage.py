"""A PDF page's characters as PDFium gives them, and the page model of the PDF parser.

- A document is opened (or refused with the reason: empty, not a PDF, encrypted,
  truncated, corrupt) and its Info Title read.
- Coordinates are those of the page as displayed (:class:`View`: ``/Rotate`` applied, y down).
- **Characters** come from PDFium's text page, each with its *loose* box (the font's
  advance box, so neighbouring characters touch and a line has one height). PDFium's
  *generated* spaces and line breaks are dropped (WPS letter-spaces table headers, which
  PDFium reads as "商 业 企 业"); the document's own spaces are kept as ``" "``.
- A run of characters becomes text by :mod:`parsers.layout` with the PDF's rules.
"""

from __future__ import annotations

import ctypes
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from parsers.document import ParseError
from parsers.layout import PDF, group_lines, line_text
from vocabulary import join_words

if TYPE_CHECKING:
    from parsers.formats._pdftables import Part
    from parsers.formats._pdftext import Line

_EOF_WINDOW = 8192  # %%EOF must appear this close to the end, else the file was cut short
_BIG_GLYPH = 40.0  # pt: a loose box this large is checked against the real font size


@dataclass(slots=True)
class Char:
    """A visible character (or the document's own space, ``" "``) with its loose box."""

    text: str
    x0: float
    y0: float  # top; y grows downwards from the top of the page
    x1: float
    y1: float  # bottom
    index: int  # PDFium's char index, for font look-ups
    cx: float = 0.0  # box centre, which decides the table cell
    cy: float = 0.0

    def __post_init__(self) -> None:
        self.cx = (self.x0 + self.x1) / 2
        self.cy = (self.y0 + self.y1) / 2


@dataclass
class Page:
    """One page as read: its text lines outside tables and its tables, before assembly."""

    number: int  # 1-based
    height: float
    lines: list[Line]  # outside tables, page numbers removed
    parts: list[Part]
    n_chars: int
    n_images: int


@dataclass(frozen=True, slots=True)
class View:
    """Maps PDF user space (y up, page maybe /Rotate'd) to the page as shown (y down)."""

    left: float
    bottom: float
    right: float
    top: float
    rotation: int  # clockwise degrees: 0, 90, 180 or 270

    @property
    def height(self) -> float:
        sideways = self.rotation in (90, 270)
        return (self.right - self.left) if sideways else (self.top - self.bottom)

    def contains(self, x: float, y: float) -> bool:
        return self.left <= x <= self.right and self.bottom <= y <= self.top

    def point(self, x: float, y: float) -> tuple[float, float]:
        """A user-space point as (x, y-down) on the displayed page.

        >>> View(0, 0, 100, 200, 90).point(0, 200)  # top-left turns to top-right
        (200, 0)
        """
        px, py = x - self.left, self.top - y
        if self.rotation == 90:
            return (self.top - self.bottom) - py, px
        if self.rotation == 180:
            return (self.right - self.left) - px, (self.top - self.bottom) - py
        if self.rotation == 270:
            return py, (self.right - self.left) - px
        return px, py

    def box(self, x0: float, y0: float, x1: float, y1: float) -> tuple[float, ...]:
        """A user-space box (left, bottom, right, top) as displayed (x0, top, x1, bottom)."""
        ax, ay = self.point(x0, y0)
        bx, by = self.point(x1, y1)
        return min(ax, bx), min(ay, by), max(ax, bx), max(ay, by)


def sniff(data: bytes) -> bool:
    """True when the PDF header appears in the first 1024 bytes."""
    return b"%PDF-" in data[:1024]


def open_pdf(data: bytes) -> pdfium.PdfDocument:
    """The document opened by PDFium, or a ParseError saying why it cannot be."""
    if not data:
        raise ParseError("empty file (0 bytes): not a PDF")
    if not sniff(data):
        raise ParseError("not a PDF: no %PDF- header in the first 1024 bytes")
    truncated = b"%%EOF" not in data[-_EOF_WINDOW:]
    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        if getattr(exc, "err_code", None) == pdfium_c.FPDF_ERR_PASSWORD:
            raise ParseError("encrypted PDF: it needs a password to open") from exc
        if truncated:
            raise ParseError(f"truncated PDF: {len(data)} bytes, no %%EOF at the end") from exc
        raise ParseError(f"corrupt PDF: PDFium cannot load it ({exc})") from exc
    if truncated:
        pdf.close()
        raise ParseError(f"truncated PDF: {len(data)} bytes, no %%EOF at the end")
    if len(pdf) == 0:
        pdf.close()
        raise ParseError("corrupt PDF: it has no pages")
    return pdf


def parse_title(pdf: pdfium.PdfDocument) -> str | None:
    """The Info dictionary's Title (UTF-16 from PDFium; broken code units replaced)."""
    n_bytes = pdfium_c.FPDF_GetMetaText(pdf.raw, b"Title", None, 0)
    if n_bytes <= 2:
        return None
    buf = ctypes.create_string_buffer(n_bytes)
    pdfium_c.FPDF_GetMetaText(pdf.raw, b"Title", buf, n_bytes)
    title = buf.raw[: n_bytes - 2].decode("utf-16-le", "replace").replace("\x00", "").strip()
    return title or None


def read_chars(textpage: pdfium.PdfTextPage, view: View) -> list[Char]:
    """Visible characters (the document's own spaces as " ") with loose boxes, as displayed."""
    tp = textpage.raw
    rect = pdfium_c.FS_RECTF()
    get_box = pdfium_c.FPDFText_GetLooseCharBox
    n = pdfium_c.FPDFText_CountChars(tp)
    out: list[Char] = []
    for i, text in enumerate(_page_text(textpage, n)):
        code = ord(text)
        if code < 32 or 0xD800 <= code <= 0xDFFF or code in (0xFFFE, 0xFFFF, 0xAD):
            continue  # line breaks, control codes, broken surrogates, soft hyphens
        if text.isspace():
            # PDFium *generates* spaces where it guesses a word gap (WPS letter-spacing
            # gives "商 业 企 业"): drop those, keep the document's own spaces.
            if pdfium_c.FPDFText_IsGenerated(tp, i):
                continue
            text = " "
        if not get_box(tp, i, rect):
            continue
        x0, y0, x1, y1 = rect.left, rect.bottom, rect.right, rect.top
        if max(x1 - x0, y1 - y0) > _BIG_GLYPH:
            x0, y0, x1, y1 = _checked_box(textpage, i, (x0, y0, x1, y1))
        if not view.contains((x0 + x1) / 2, (y0 + y1) / 2):
            continue  # off the visible page
        out.append(Char(text, *view.box(x0, y0, x1, y1), index=i))
    return out


def _page_text(textpage: pdfium.PdfTextPage, n: int) -> list[str]:
    """One string per PDFium char index: a single bulk read when it aligns, else per char."""
    buf = (ctypes.c_ushort * (n + 1))()
    got = pdfium_c.FPDFText_GetText(textpage.raw, 0, n, buf) - 1  # minus the NUL
    text = bytes(memoryview(buf).cast("B")[: 2 * max(got, 0)]).decode("utf-16-le", "replace")
    if len(text) == n and got == n:
        return list(text)
    return [chr(pdfium_c.FPDFText_GetUnicode(textpage.raw, i)) for i in range(n)]


def _checked_box(textpage: pdfium.PdfTextPage, index: int, loose: tuple) -> tuple:
    """A loose box that fits the glyph's real size, or an em square around the glyph.

    For vertical-writing fonts PDFium may build the loose box from the nominal font size
    without the text matrix (WPS writes ``199 Tf`` scaled by 0.05): a 199 pt box far
    from the 10 pt glyph. Then the glyph's tight box centre and true size are used.
    """
    tp = textpage.raw
    m = pdfium_c.FS_MATRIX()
    if not pdfium_c.FPDFText_GetMatrix(tp, index, m):
        return loose
    size = pdfium_c.FPDFText_GetFontSize(tp, index) * abs(m.a * m.d - m.b * m.c) ** 0.5
    if size <= 0 or max(loose[2] - loose[0], loose[3] - loose[1]) <= 2.5 * size:
        return loose
    left, bottom, right, top = textpage.get_charbox(index)
    cx, cy, half = (left + right) / 2, (bottom + top) / 2, size / 2
    return cx - half, cy - half, cx + half, cy + half


def char_style(textpage: pdfium.PdfTextPage, index: int) -> tuple[str, bool]:
    """(font name, heavy): heavy is a bold weight or fake bold (fill + stroke)."""
    tp = textpage.raw
    heavy = pdfium_c.FPDFText_GetFontWeight(tp, index) >= 600
    obj = pdfium_c.FPDFText_GetTextObject(tp, index)
    if not obj:
        return "", heavy
    mode = pdfium_c.FPDFTextObj_GetTextRenderMode(obj)
    heavy = heavy or mode == pdfium_c.FPDF_TEXTRENDERMODE_FILL_STROKE
    font = pdfium_c.FPDFTextObj_GetFont(obj)
    if not font:
        return "", heavy
    buf = ctypes.create_string_buffer(256)
    n = pdfium_c.FPDFFont_GetBaseFontName(font, buf, 256)
    return buf.raw[: max(n - 1, 0)].decode("utf-8", "replace"), heavy


def chars_text(chars: list[Char]) -> str:
    """The text of characters in one area (a table cell): its lines, joined."""
    return join_words(line_text(g, PDF.space_gap) for g in group_lines(chars))
