"""Born-digital PDF parser: the text layer through pypdfium2, tables rebuilt from ruling lines.

How a document is read
----------------------
1. **Characters** come from PDFium's text page, each with its *loose* box (the font's
   advance box, so neighbouring characters touch and a line has one height). PDFium's
   *generated* spaces and line breaks are dropped (WPS letter-spaces table headers, which
   PDFium reads as "商 业 企 业"); the document's own spaces are kept, except between two
   Chinese characters, and a wide gap between two Latin characters becomes a space.
2. **Ruling lines** come from the page's path objects: thin filled rectangles and stroked
   horizontal/vertical segments (cell shading, curves and white lines are ignored).
3. Rules that touch form a **table**. Their distinct x and y positions give a grid of unit
   cells; where the rule between two unit cells is missing the cells are one merged cell
   (colspan/rowspan), built by :mod:`parsers.grid` as for OCR. A character belongs to the
   cell holding its box centre; a cell's wrapped lines are joined (without a space next to
   Chinese), blank cells stay ``""``.
4. Characters outside tables are grouped into lines, and lines into **paragraphs** (a gap,
   a first-line indent, a short previous line or a change of font size/weight starts a new
   one). Page numbers in the margins are dropped. Short paragraphs in a larger or bold
   font are headings.
5. A table that ends one page and a table that starts the next with the same column edges
   are **one table split by the page break**: their rules are stacked and rebuilt as one
   grid with ``pages=[p, p+1]``; a label cell cut by the break is rejoined and header rows
   repeated on the new page are dropped.

Coordinates are those of the page as displayed (``/Rotate`` applied, y down); paths inside
form XObjects are followed.
Pages with an image but (almost) no text are scans: ``meta["ocr_pages"]`` lists them
("3,4"), and when they are at least half the document it is a scanned PDF,
``meta["needs_ocr"] = "1"``. Scanned pages are read by OCR (:mod:`parsers.ocr`) and their
blocks and tables take the pages' places in reading order; ``method`` is ``"ocr"`` when
the scans are the document. Without the OCR engine the text layer is all there is, and
``meta["ocr"] = "unavailable"`` says so.

>>> sniff(b"%PDF-1.7\\n%\\xe2\\xe3")
True
>>> sniff(b"<html>")
False
"""

from __future__ import annotations

import ctypes
import re
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import pairwise
from statistics import median

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from parsers.document import Block, BlockKind, Cell, Document, ParseError, Table
from parsers.grid import Grid, Rule, make_grid, merged_cells, nearest, rule_groups
from vocabulary import is_cjk as _is_cjk

NAME = "pdf"
MEDIA_TYPE = "application/pdf"

_EOF_WINDOW = 8192  # %%EOF must appear this close to the end, else the file was cut short
_THIN = 3.0  # pt: a path no thicker than this is a rule
_MIN_RULE = 3.0  # pt: shorter segments are dots/dashes, not rules
_TOUCH = 2.0  # pt: rules closer than this touch
_SAME_POS = 4.0  # pt: rule positions closer than this are one grid line (double borders)
_SCAN_MAX_CHARS = 10  # a page with fewer characters and an image is a scan
_BIG_GLYPH = 40.0  # pt: a loose box this large is checked against the real font size

# A page-number line: "- 3 -", "3", "第3页", "第 3 页 共 6 页", "3/6".
_PAGE_NUMBER = re.compile(
    r"^[-－—–\s]*(?:第\s*)?\d{1,4}\s*(?:页)?\s*(?:(?:/|共)\s*\d{1,4}\s*页?)?[-－—–\s]*$"
)
# A cell that begins a new item ("（五）…", "1.…", "三、…") is not the tail of a cut cell.
_ITEM_START = re.compile(
    r"^\s*(?:[（(][一二三四五六七八九十\d]+[）)]|[一二三四五六七八九十]+、|\d+\s*[.、．]|[①-⑳])"
)
_NUMBER = re.compile(r"^[-－+]?[\d.,，%]+$")
_BOLD_FONT = re.compile(r"bold|heavy|black|hei|黑|标宋|xbs|xiaobiaosong", re.IGNORECASE)


# ----------------------------------------------------------------------------- public API


def sniff(data: bytes) -> bool:
    """True when the PDF header appears in the first 1024 bytes."""
    return b"%PDF-" in data[:1024]


def parse(data: bytes, *, ocr: bool = True) -> Document:
    """Parse a PDF into blocks and tables (scanned pages by OCR unless ``ocr=False``);
    raise ParseError on bad input."""
    pdf = _open(data)
    try:
        title = _parse_title(pdf)
        pages = [_read_page(pdf, i) for i in range(len(pdf))]
    finally:
        pdf.close()
    _merge_split_tables(pages)
    _mark_bold(pages)
    body_size = _body_size(pages)
    content = _assemble(pages, body_size)
    doc = Document(format=NAME, content=content, method="text-layer", page_count=len(pages), title=title)
    image_only = [p.number for p in pages if _is_image_only(p)]
    if image_only:
        doc.meta["ocr_pages"] = ",".join(map(str, image_only))
        if len(image_only) * 2 >= len(pages):
            doc.meta["needs_ocr"] = "1"
        if ocr:
            _read_scanned_pages(doc, data, image_only)
    return doc


def _read_scanned_pages(doc: Document, data: bytes, numbers: list[int]) -> None:
    from parsers import ocr

    if not ocr.available():
        doc.meta["ocr"] = "unavailable"
        return
    result = ocr.ocr_pdf_pages(data, numbers)
    # stable sort by page: each scanned page's OCR content lands where the page is
    merged = [*doc.content, *result.content]
    merged.sort(key=lambda item: item.page or 0)
    doc.content = merged
    doc.ocr_confidence = result.confidence
    if "needs_ocr" in doc.meta:
        doc.method = "ocr"


# ----------------------------------------------------------------------------- data model


@dataclass(slots=True)
class _Char:
    text: str
    x0: float
    top: float  # y grows downwards from the top of the page
    x1: float
    bottom: float
    index: int  # PDFium's char index, for font look-ups
    cx: float = 0.0  # box centre, which decides the table cell
    cy: float = 0.0

    def __post_init__(self) -> None:
        self.cx = (self.x0 + self.x1) / 2
        self.cy = (self.top + self.bottom) / 2


@dataclass(slots=True)
class _Line:
    text: str
    x0: float
    top: float
    x1: float
    bottom: float
    size: float  # font size (em width of its CJK characters)
    font: str  # font name at both ends of the line ("" when they differ)
    heavy: bool  # bold weight or fake bold (fill + stroke) at both ends
    n_chars: int
    bold: bool = False  # heavy, or a bold-looking font that is not the body font


@dataclass
class _Part:
    """A table (or the piece of a table) found on a page, before cells are built."""

    hs: list[Rule]
    vs: list[Rule]
    chars: list[_Char]
    grid: Grid
    pages: list[int]
    top: float
    bottom: float
    junctions: list[float] = field(default_factory=list)  # y of page breaks inside it
    last_xs: list[float] = field(default_factory=list)  # column edges on its last page
    last_bottom: float = 0.0  # bottom on its last page, in that page's coordinates
    head: list[tuple[str, ...]] = field(default_factory=list)  # first rows' texts, lazily


@dataclass
class _Page:
    number: int  # 1-based
    width: float
    height: float
    lines: list[_Line]  # outside tables, page numbers removed
    parts: list[_Part]
    n_chars: int
    n_images: int


@dataclass
class _Para:
    lines: list[_Line]
    page: int


@dataclass(frozen=True, slots=True)
class _View:
    """Maps PDF user space (y up, page maybe /Rotate'd) to the page as shown (y down)."""

    left: float
    bottom: float
    right: float
    top: float
    rotation: int  # clockwise degrees: 0, 90, 180 or 270

    @property
    def width(self) -> float:
        sideways = self.rotation in (90, 270)
        return (self.top - self.bottom) if sideways else (self.right - self.left)

    @property
    def height(self) -> float:
        sideways = self.rotation in (90, 270)
        return (self.right - self.left) if sideways else (self.top - self.bottom)

    def contains(self, x: float, y: float) -> bool:
        return self.left <= x <= self.right and self.bottom <= y <= self.top

    def point(self, x: float, y: float) -> tuple[float, float]:
        """A user-space point as (x, y-down) on the displayed page.

        >>> _View(0, 0, 100, 200, 90).point(0, 200)  # top-left turns to top-right
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


# ----------------------------------------------------------------------------- opening


def _open(data: bytes) -> pdfium.PdfDocument:
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


def _parse_title(pdf: pdfium.PdfDocument) -> str | None:
    """The Info dictionary's Title (UTF-16 from PDFium; broken code units replaced)."""
    n_bytes = pdfium_c.FPDF_GetMetaText(pdf.raw, b"Title", None, 0)
    if n_bytes <= 2:
        return None
    buf = ctypes.create_string_buffer(n_bytes)
    pdfium_c.FPDF_GetMetaText(pdf.raw, b"Title", buf, n_bytes)
    title = buf.raw[: n_bytes - 2].decode("utf-16-le", "replace").replace("\x00", "").strip()
    return title or None


# ----------------------------------------------------------------------------- one page


def _read_page(pdf: pdfium.PdfDocument, index: int) -> _Page:
    try:
        page = pdf[index]
    except pdfium.PdfiumError as exc:
        raise ParseError(f"corrupt PDF: page {index + 1} cannot be loaded ({exc})") from exc
    try:
        view = _View(*page.get_bbox(), rotation=page.get_rotation() % 360)
        try:
            textpage = page.get_textpage()
        except pdfium.PdfiumError as exc:
            raise ParseError(f"corrupt PDF: page {index + 1} has no readable text ({exc})") from exc
        try:
            chars = _read_chars(textpage, view)
            hs, vs, n_images = _read_rules(page, view)
            parts = [_part_for(h, v, index + 1) for h, v in rule_groups(hs, vs, _TOUCH)]
            parts = sorted((p for p in parts if p is not None), key=lambda p: p.top)
            free = _claim_chars(parts, chars)
            lines = [ln for g in _group_lines(free) if (ln := _make_line(g, textpage))]
        finally:
            textpage.close()
    finally:
        page.close()
    lines = [ln for ln in lines if not _is_page_furniture(ln, view.height)]
    return _Page(index + 1, view.width, view.height, lines, parts, len(chars), n_images)


def _read_chars(textpage: pdfium.PdfTextPage, view: _View) -> list[_Char]:
    """Visible characters (the document's own spaces as " ") with loose boxes, as displayed."""
    tp = textpage.raw
    rect = pdfium_c.FS_RECTF()
    get_box = pdfium_c.FPDFText_GetLooseCharBox
    n = pdfium_c.FPDFText_CountChars(tp)
    out: list[_Char] = []
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
        out.append(_Char(text, *view.box(x0, y0, x1, y1), index=i))
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


# ----------------------------------------------------------------------------- rules


def _walk_objects(page: pdfium.PdfPage) -> Iterator[tuple[int, object, tuple | None]]:
    """(type, raw object, matrix of the enclosing form or None) for every page object."""
    get_type, get_obj = pdfium_c.FPDFPageObj_GetType, pdfium_c.FPDFPage_GetObject
    for i in range(pdfium_c.FPDFPage_CountObjects(page.raw)):
        obj = get_obj(page.raw, i)
        kind = get_type(obj)
        if kind == pdfium_c.FPDF_PAGEOBJ_FORM:
            yield from _walk_form(obj, None, 1)
        else:
            yield kind, obj, None


def _walk_form(form: object, outer: tuple | None, depth: int) -> Iterator[tuple]:
    """The objects inside a form XObject, with the form's matrix (nested forms composed)."""
    if depth > 8:
        return
    m = _compose(_obj_matrix(form), outer)
    for j in range(pdfium_c.FPDFFormObj_CountObjects(form)):
        obj = pdfium_c.FPDFFormObj_GetObject(form, j)
        kind = pdfium_c.FPDFPageObj_GetType(obj)
        if kind == pdfium_c.FPDF_PAGEOBJ_FORM:
            yield from _walk_form(obj, m, depth + 1)
        else:
            yield kind, obj, m


def _obj_matrix(obj: object) -> tuple[float, ...]:
    m = pdfium_c.FS_MATRIX()
    if not pdfium_c.FPDFPageObj_GetMatrix(obj, m):
        return (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
    return (m.a, m.b, m.c, m.d, m.e, m.f)


def _compose(inner: tuple, outer: tuple | None) -> tuple:
    """Matrix applying ``inner`` then ``outer`` (PDF row-vector convention)."""
    if outer is None:
        return inner
    a, b, c, d, e, f = inner
    A, B, C, D, E, F = outer
    return (a * A + b * C, a * B + b * D, c * A + d * C, c * B + d * D,
            e * A + f * C + E, e * B + f * D + F)  # fmt: skip


def _apply(m: tuple | None, x: float, y: float) -> tuple[float, float]:
    if m is None:
        return x, y
    return m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5]


def _read_rules(page: pdfium.PdfPage, view: _View) -> tuple[list[Rule], list[Rule], int]:
    """Horizontal and vertical rules (as displayed) and the number of images."""
    hs: list[Rule] = []
    vs: list[Rule] = []
    n_images = 0
    l_, b_, r_, t_ = (ctypes.c_float() for _ in range(4))
    fill, stroke = ctypes.c_int(), ctypes.c_int()
    for kind, obj, form_m in _walk_objects(page):
        if kind == pdfium_c.FPDF_PAGEOBJ_IMAGE:
            n_images += 1
            continue
        if kind != pdfium_c.FPDF_PAGEOBJ_PATH:
            continue
        if not pdfium_c.FPDFPath_GetDrawMode(obj, fill, stroke):
            continue
        stroked, filled = bool(stroke.value), fill.value != 0
        if not (stroked or filled) or _invisible(obj, stroked):
            continue
        if not pdfium_c.FPDFPageObj_GetBounds(obj, l_, b_, r_, t_):
            continue
        x0, top, x1, bottom = view.box(*_bbox_of(form_m, l_.value, b_.value, r_.value, t_.value))
        if min(x1 - x0, bottom - top) <= _THIN:
            _add_rule(hs, vs, x0, top, x1, bottom)  # the whole object is one rule
            continue
        n_segments = pdfium_c.FPDFPath_CountSegments(obj)
        if stroked:
            _add_stroked_segments(hs, vs, _path_points(obj, form_m, view, n_segments))
        elif n_segments > 5:  # several sub-paths: maybe a bundle of thin rectangles
            _add_thin_subpaths(hs, vs, _path_points(obj, form_m, view, n_segments))
    return hs, vs, n_images


def _invisible(obj: object, stroked: bool) -> bool:
    """White or fully transparent paint cannot be a visible rule."""
    r, g, b, a = (ctypes.c_uint() for _ in range(4))
    get = pdfium_c.FPDFPageObj_GetStrokeColor if stroked else pdfium_c.FPDFPageObj_GetFillColor
    if not get(obj, r, g, b, a):
        return False
    return a.value == 0 or min(r.value, g.value, b.value) >= 245


def _bbox_of(m: tuple | None, x0: float, y0: float, x1: float, y1: float) -> tuple:
    if m is None:
        return x0, y0, x1, y1
    pts = [_apply(m, x, y) for x in (x0, x1) for y in (y0, y1)]
    xs, ys = [p[0] for p in pts], [p[1] for p in pts]
    return min(xs), min(ys), max(xs), max(ys)


def _add_rule(hs: list[Rule], vs: list[Rule], x0: float, top: float, x1: float, bottom: float) -> None:
    """Record a thin box as a horizontal or vertical rule through its middle."""
    w, h = x1 - x0, bottom - top
    if w >= h and w >= _MIN_RULE:
        hs.append(Rule((top + bottom) / 2, x0, x1))
    elif h > w and h >= _MIN_RULE:
        vs.append(Rule((x0 + x1) / 2, top, bottom))


def _path_points(obj: object, form_m: tuple | None, view: _View, n: int) -> list[list[tuple]]:
    """Sub-paths as lists of (x, y, arrived-by-a-straight-line) points, as displayed."""
    m = _compose(_obj_matrix(obj), form_m)
    x, y = ctypes.c_float(), ctypes.c_float()
    subpaths: list[list[tuple]] = []
    for i in range(n):
        seg = pdfium_c.FPDFPath_GetPathSegment(obj, i)
        if not pdfium_c.FPDFPathSegment_GetPoint(seg, x, y):
            continue
        kind = pdfium_c.FPDFPathSegment_GetType(seg)
        px, py = view.point(*_apply(m, x.value, y.value))
        if kind == pdfium_c.FPDF_SEGMENT_MOVETO or not subpaths:
            subpaths.append([(px, py, False)])
        else:
            subpaths[-1].append((px, py, kind == pdfium_c.FPDF_SEGMENT_LINETO))
        if pdfium_c.FPDFPathSegment_GetClose(seg) and subpaths[-1]:
            sx, sy, _ = subpaths[-1][0]
            subpaths[-1].append((sx, sy, True))
    return subpaths


def _add_stroked_segments(hs: list[Rule], vs: list[Rule], subpaths: list[list[tuple]]) -> None:
    for points in subpaths:
        for (ax, ay, _), (bx, by, is_line) in pairwise(points):
            if not is_line:
                continue  # curves are not rules
            if abs(ay - by) <= 0.5 and abs(ax - bx) >= _MIN_RULE:
                hs.append(Rule((ay + by) / 2, min(ax, bx), max(ax, bx)))
            elif abs(ax - bx) <= 0.5 and abs(ay - by) >= _MIN_RULE:
                vs.append(Rule((ax + bx) / 2, min(ay, by), max(ay, by)))


def _add_thin_subpaths(hs: list[Rule], vs: list[Rule], subpaths: list[list[tuple]]) -> None:
    for points in subpaths:
        xs, ys = [p[0] for p in points], [p[1] for p in points]
        x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
        if min(x1 - x0, y1 - y0) <= _THIN:
            _add_rule(hs, vs, x0, y0, x1, y1)


# ----------------------------------------------------------------------------- tables


def _part_for(hs: list[Rule], vs: list[Rule], page: int) -> _Part | None:
    grid = make_grid(hs, vs, _SAME_POS)
    if (len(grid.xs) - 1) * (len(grid.ys) - 1) < 2:
        return None  # a single box (framed text) is not a table
    return _Part(
        hs, vs, [], grid, [page], grid.ys[0], grid.ys[-1],
        last_xs=grid.xs, last_bottom=grid.ys[-1],
    )  # fmt: skip


def _claim_chars(parts: list[_Part], chars: list[_Char]) -> list[_Char]:
    """Give each table the characters inside it; return the characters left over."""
    free: list[_Char] = []
    for ch in chars:
        cx, cy = ch.cx, ch.cy
        for part in parts:
            g = part.grid
            if g.xs[0] - 1 <= cx <= g.xs[-1] + 1 and g.ys[0] - 1 <= cy <= g.ys[-1] + 1:
                part.chars.append(ch)
                break
        else:
            free.append(ch)
    return free


@dataclass(slots=True)
class _Span:
    r0: int
    c0: int
    r1: int  # exclusive
    c1: int
    text: str = ""


def _spans(grid: Grid, chars: list[_Char]) -> list[_Span]:
    """Merged cells (see :func:`parsers.grid.merged_cells`) with the text of their characters."""
    n_rows, n_cols = len(grid.ys) - 1, len(grid.xs) - 1
    spans = [_Span(*area) for area in merged_cells(grid)]
    owner = {
        r * n_cols + c: span
        for span in spans
        for r in range(span.r0, span.r1)
        for c in range(span.c0, span.c1)
    }
    texts: dict[int, list[_Char]] = {}
    for ch in chars:
        r = bisect_right(grid.ys, ch.cy) - 1
        c = bisect_right(grid.xs, ch.cx) - 1
        r, c = min(max(r, 0), n_rows - 1), min(max(c, 0), n_cols - 1)
        texts.setdefault(id(owner[r * n_cols + c]), []).append(ch)
    for span in spans:
        span.text = _lines_text([_line_text(g) for g in _group_lines(texts.get(id(span), []))])
    return spans


def _rejoin_cut_cells(grid: Grid, spans: list[_Span], junctions: list[float]) -> bool:
    """Remove the page-break rule under cells that continue on the next page."""
    n_cols = len(grid.xs) - 1
    at: dict[tuple[int, int], _Span] = {}
    for s in spans:
        for r in range(s.r0, s.r1):
            for c in range(s.c0, s.c1):
                at[r, c] = s
    changed = False
    for y in junctions:
        k = nearest(grid.ys, y)
        if not 0 < k < len(grid.ys) - 1:
            continue
        for c in range(n_cols):
            above, below = at.get((k - 1, c)), at.get((k, c))
            if above is None or below is None or c != above.c0:
                continue
            if (above.c0, above.c1) != (below.c0, below.c1):
                continue
            if _is_cut_cell(above.text, below.text, above.r1 - above.r0, below.r1 - below.r0):
                for cc in range(above.c0, above.c1):
                    grid.h_edges[k][cc] = False
                changed = True
    return changed


def _is_cut_cell(above: str, below: str, rows_above: int, rows_below: int) -> bool:
    """Whether two cells meeting at a page break are one cell cut in two.

    A label cell spanning rows continues blank on the next page, or its centred text is
    split ("（四）无" / "法提供"); data cells and cells starting a new item stay apart.

    >>> _is_cut_cell("三、本年度办理结果", "", 12, 9)
    True
    >>> _is_cut_cell("（四）无", "法提供", 1, 2)
    True
    >>> _is_cut_cell("（四）无法提供", "（五）不予处理", 2, 5)
    False
    >>> _is_cut_cell("3", "", 2, 1)  # a blank data cell must not inherit a number
    False
    """
    if not above or _NUMBER.match(above):
        return False
    if not below:
        return rows_above > 1 or rows_below > 1
    return rows_below > 1 and not _ITEM_START.match(below) and not _NUMBER.match(below)


def _table_from_part(part: _Part) -> Table:
    grid = make_grid(part.hs, part.vs, _SAME_POS)
    spans = _spans(grid, part.chars)
    if part.junctions and _rejoin_cut_cells(grid, spans, part.junctions):
        spans = _spans(grid, part.chars)
    cells = [Cell(s.text, s.r0, s.c0, s.r1 - s.r0, s.c1 - s.c0) for s in spans]
    return Table(cells=cells, page=part.pages[0], pages=list(part.pages))


# ----------------------------------------------------------------------------- split tables


def _merge_split_tables(pages: list[_Page]) -> None:
    """Join a table ending a page with the table that starts the next page."""
    for prev, nxt in pairwise(pages):
        if not prev.parts or not nxt.parts:
            continue
        a, b = prev.parts[-1], nxt.parts[0]
        if not _continues(a, prev, b, nxt):
            continue
        b = _without_repeated_header(a, b)
        dy = a.bottom - b.top
        a.hs += [Rule(h.pos + dy, h.start, h.end) for h in b.hs]
        a.vs += [Rule(v.pos, v.start + dy, v.end + dy) for v in b.vs]
        a.chars += [_Char(c.text, c.x0, c.top + dy, c.x1, c.bottom + dy, c.index) for c in b.chars]
        a.junctions.append(a.bottom)
        a.pages += b.pages
        a.bottom = b.bottom + dy
        a.last_xs, a.last_bottom = b.grid.xs, b.grid.ys[-1]
        nxt.parts[0] = a  # the merged table now also "starts" the next page for chaining
        prev.parts.pop()


def _continues(a: _Part, prev: _Page, b: _Part, nxt: _Page) -> bool:
    """Same column edges, no text after ``a`` on its page nor before ``b`` on the next
    (running headers/footers in the outer 8% of the page aside)."""
    if any(a.last_bottom - 1 <= ln.top < 0.92 * prev.height for ln in prev.lines):
        return False
    if any(0.08 * nxt.height < ln.bottom <= b.top + 1 for ln in nxt.lines):
        return False
    if a.last_bottom < 0.5 * prev.height or b.top > 0.4 * nxt.height:
        return False  # a table ending mid-page is finished
    xa, xb = a.last_xs, b.grid.xs
    if abs(xa[0] - xb[0]) > 4 or abs(xa[-1] - xb[-1]) > 4:
        return False
    fewer, more = (xa, xb) if len(xa) <= len(xb) else (xb, xa)
    return all(abs(more[nearest(more, x)] - x) <= 3 for x in fewer)


def _row_texts(part: _Part, n: int) -> list[tuple[str, ...]]:
    """The texts of the first ``n`` rows (one entry per cell) of a table on one page."""
    n = min(n, len(part.grid.ys) - 1)
    spans = _spans(part.grid, [c for c in part.chars if c.cy < part.grid.ys[n]])
    return [tuple(s.text for s in spans if s.r0 <= r < s.r1) for r in range(n)]


def _without_repeated_header(a: _Part, b: _Part) -> _Part:
    """``b`` without the header rows it repeats from the top of ``a`` (Word's "repeat
    header rows"), so that the joined table has its header once."""
    head_a = a.head or _row_texts(a, 3)
    a.head = head_a
    head_b = _row_texts(b, 3)
    k = 0
    for i in range(min(len(head_a), len(head_b), len(b.grid.ys) - 2)):
        if head_a[i] != head_b[i] or not any(head_a[i]):
            break
        k = i + 1
    if k == 0:
        return b
    cut = b.grid.ys[k]
    hs = [h for h in b.hs if h.pos >= cut - _SAME_POS]
    vs = [Rule(v.pos, max(v.start, cut), v.end) for v in b.vs if v.end > cut + _SAME_POS]
    rest = _part_for(hs, vs, b.pages[0]) if len(hs) >= 2 and len(vs) >= 2 else None
    if rest is None:
        return b
    rest.chars = [c for c in b.chars if c.cy > cut]
    return rest


# ----------------------------------------------------------------------------- text


def _group_lines(chars: list[_Char]) -> list[list[_Char]]:
    """Characters grouped into lines (top to bottom), each sorted left to right."""
    lines: list[list[_Char]] = []
    band = (0.0, 0.0)
    for ch in sorted(chars, key=lambda c: c.top + c.bottom):
        if lines:
            overlap = min(band[1], ch.bottom) - max(band[0], ch.top)
            if overlap >= 0.5 * min(band[1] - band[0], ch.bottom - ch.top):
                lines[-1].append(ch)
                band = (min(band[0], ch.top), max(band[1], ch.bottom))
                continue
        lines.append([ch])
        band = (ch.top, ch.bottom)
    for line in lines:
        line.sort(key=lambda c: c.x0)
    return lines


def _line_text(chars: list[_Char]) -> str:
    """A line's text. Spaces: the document's own, and wide gaps between non-CJK characters;
    never between two CJK characters. Characters printed twice (fake bold) count once.
    """
    glyphs = [c for c in chars if c.text != " "]
    if not glyphs:
        return ""
    height = median(c.bottom - c.top for c in glyphs)
    out: list[str] = []
    prev: _Char | None = None
    spaced = False  # a space character lies between prev and the current glyph
    for ch in chars:
        if ch.text == " ":
            spaced = prev is not None
            continue
        if prev is not None:
            if ch.text == prev.text and ch.x0 - prev.x0 < 0.5 * (prev.x1 - prev.x0):
                continue  # overprinted duplicate
            cjk_pair = _is_cjk(prev.text) and _is_cjk(ch.text)
            wide_gap = ch.x0 - prev.x1 > 0.15 * height
            either_cjk = _is_cjk(prev.text) or _is_cjk(ch.text)
            if (spaced and not cjk_pair) or (wide_gap and not either_cjk):
                out.append(" ")
        out.append(ch.text)
        prev, spaced = ch, False
    return "".join(out)


def _lines_text(lines: list[str]) -> str:
    """Wrapped lines joined: nothing next to CJK characters, a space between words.

    >>> _lines_text(["三、", "本", "年度"])
    '三、本年度'
    >>> _lines_text(["annual", "report", "2024年"])
    'annual report 2024年'
    """
    out = ""
    for line in lines:
        if out and line and not (_is_cjk(out[-1]) or _is_cjk(line[0])):
            out += " "
        out += line
    return out


def _make_line(chars: list[_Char], textpage: pdfium.PdfTextPage) -> _Line | None:
    # Leading spaces (U+3000 indents) must not hide the indent: measure glyphs only.
    glyphs = [c for c in chars if c.text != " "]
    if not glyphs:
        return None
    first, last = _char_style(textpage, glyphs[0].index), _char_style(textpage, glyphs[-1].index)
    return _Line(
        text=_line_text(chars),
        x0=min(c.x0 for c in glyphs),
        top=min(c.top for c in glyphs),
        x1=max(c.x1 for c in glyphs),
        bottom=max(c.bottom for c in glyphs),
        size=_font_size(glyphs),
        # Both ends count: a bold heading, not a paragraph with a bold lead-in.
        font=first[0] if first[0] == last[0] else "",
        heavy=first[1] and last[1],
        n_chars=len(glyphs),
    )


def _font_size(chars: list[_Char]) -> float:
    """A line's font size: the advance of its CJK characters (square, one em wide).

    Loose box heights follow each font's ascent and descent, so a bold or Latin run in
    the same 16 pt line looks taller; lines without CJK fall back on the box height.
    """
    cjk = [c.x1 - c.x0 for c in chars if _is_cjk(c.text)]
    if cjk:
        return median(cjk)
    return median(c.bottom - c.top for c in chars) / 1.2


def _char_style(textpage: pdfium.PdfTextPage, index: int) -> tuple[str, bool]:
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


def _mark_bold(pages: list[_Page]) -> None:
    """Bold lines: heavy ones, and those in a bold-looking font (黑体, 标宋, *Bold) unless
    that font is the body font (a document set entirely in a Hei font is not all bold)."""
    weights: dict[str, int] = {}
    for page in pages:
        for ln in page.lines:
            weights[ln.font] = weights.get(ln.font, 0) + ln.n_chars
    body_font = max(weights, key=weights.__getitem__) if weights else ""
    for page in pages:
        for ln in page.lines:
            bold_font = ln.font != body_font and bool(_BOLD_FONT.search(ln.font))
            ln.bold = ln.heavy or bold_font


def _is_page_furniture(line: _Line, page_height: float) -> bool:
    """A page number in the top or bottom margin."""
    in_margin = line.top > 0.85 * page_height or line.bottom < 0.15 * page_height
    return in_margin and bool(_PAGE_NUMBER.match(line.text))


# ----------------------------------------------------------------------------- paragraphs


def _body_size(pages: list[_Page]) -> float:
    """The most common font size, weighted by characters: the body text's size."""
    weights: dict[float, int] = {}
    for page in pages:
        for ln in page.lines:
            key = round(ln.size, 0)
            weights[key] = weights.get(key, 0) + ln.n_chars
    return max(weights, key=weights.__getitem__) if weights else 0.0


def _starts_paragraph(prev: _Line, line: _Line, left: float, right: float) -> bool:
    size = max(prev.size, line.size)
    if line.top - prev.bottom > 1.0 * size:
        return True  # a blank gap
    if abs(prev.size - line.size) > 0.15 * size or prev.bold != line.bold:
        return True  # a heading and its text
    if line.x0 - left > 1.0 * line.size:
        return True  # first-line indent
    return right - prev.x1 > 3.0 * prev.size  # the previous line stopped short


def _paragraphs(lines: list[_Line], page: _Page, left: float, right: float, body_size: float) -> list[_Para]:
    paras: list[_Para] = []
    for line in lines:
        if paras:
            prev = paras[-1].lines[-1]
            if not _starts_paragraph(prev, line, left, right) or _is_title_continuation(
                prev, line, body_size
            ):
                paras[-1].lines.append(line)
                continue
        paras.append(_Para([line], page.number))
    return paras


def _is_title_continuation(prev: _Line, line: _Line, body_size: float) -> bool:
    """Two centred title lines in the same large font are one heading."""
    same_font = abs(prev.size - line.size) <= 0.05 * prev.size and prev.bold == line.bold
    close = line.top - prev.bottom <= 0.8 * line.size
    centred = abs((prev.x0 + prev.x1) / 2 - (line.x0 + line.x1) / 2) <= line.size
    return same_font and close and centred and prev.size >= 1.25 * body_size


def _kind(para: _Para, body_size: float) -> BlockKind:
    text = _para_text(para)
    if len(para.lines) > 2 or len(text) > 60 or text.endswith(("。", "；", "，", ";", ",")):
        return "paragraph"
    size = median(ln.size for ln in para.lines)
    bold = sum(ln.bold for ln in para.lines) * 2 >= len(para.lines)
    return "heading" if size >= 1.15 * body_size or bold else "paragraph"


def _para_text(para: _Para) -> str:
    return _lines_text([ln.text for ln in para.lines])


def _margins(page: _Page) -> tuple[float, float]:
    """Left and right edges of the page's text (ignoring a few overhanging lines)."""
    text_lines = [ln for ln in page.lines if ln.n_chars >= 4] or page.lines
    if not text_lines:
        return 0.0, 0.0
    rights = sorted(ln.x1 for ln in text_lines)
    return min(ln.x0 for ln in text_lines), rights[int(0.9 * (len(rights) - 1))]


def _page_items(page: _Page, body_size: float) -> list[_Para | _Part]:
    """The page's paragraphs and tables in reading order (top to bottom)."""
    left, right = _margins(page)
    items: list[_Para | _Part] = []
    pending: list[_Line] = []
    lines = sorted(page.lines, key=lambda ln: ln.top)
    parts = sorted(page.parts, key=lambda p: p.top if p.pages[0] == page.number else -1)
    li = 0
    for part in parts:
        part_top = part.top if part.pages[0] == page.number else -1.0
        while li < len(lines) and lines[li].top < part_top:
            pending.append(lines[li])
            li += 1
        items += _paragraphs(pending, page, left, right, body_size)
        pending = []
        items.append(part)
    items += _paragraphs(lines[li:], page, left, right, body_size)
    return items


def _continues_paragraph(prev: _Para, prev_page: _Page, nxt: _Para, page: _Page) -> bool:
    """A paragraph running over a page break: its last line is full and the first line on
    the next page is neither indented nor in another font."""
    # The vertical gap test cannot fire across pages (the next line starts near the top).
    left, right = _margins(page)[0], _margins(prev_page)[1]
    return not _starts_paragraph(prev.lines[-1], nxt.lines[0], left, right)


def _assemble(pages: list[_Page], body_size: float) -> list[Block | Table]:
    items: list[_Para | _Part] = []
    seen: set[int] = set()
    for prev_page, page in zip([None, *pages], pages, strict=False):
        for k, item in enumerate(_page_items(page, body_size)):
            if isinstance(item, _Part):
                if id(item) in seen:
                    continue  # a split table was listed on its first page already
                seen.add(id(item))
            elif (
                k == 0
                and items
                and isinstance(items[-1], _Para)
                and prev_page is not None
                and items[-1].page == prev_page.number
                and _continues_paragraph(items[-1], prev_page, item, page)
            ):
                items[-1].lines += item.lines
                continue
            items.append(item)
    content: list[Block | Table] = []
    for item in items:
        if isinstance(item, _Part):
            content.append(_table_from_part(item))
        else:
            kind = _kind(item, body_size)
            content.append(Block(_para_text(item), kind=kind, page=item.page))
    return content


def _is_image_only(page: _Page) -> bool:
    """A page with an image and (almost) no text: scanned, it has no text layer."""
    return page.n_chars < _SCAN_MAX_CHARS and page.n_images > 0
