"""OCR for scanned pages: Tesseract words, ruled tables rebuilt from the image, text in order.

Used by the PDF parser (pages without a text layer) and the image parser (PNG/JPEG/TIFF/…).
One page goes through these steps:

1. **Colour**: a colour scan with red in it (a seal stamped across a table) gives its
   tables the red channel, where red ink is as light as the paper, with the fringe JPEG
   leaves around it whitened; black print under the seal stays. Running text keeps the
   usual gray (a red title stays readable).
2. **Deskew**: the angle (within ±3°) whose horizontal ink profile is sharpest is the
   skew; the page is turned back by it (the corners this uncovers get the page's edge
   mirrored, not white), so rows and rules are axis-aligned. The page's
   background is then divided out (:func:`flatten`): a copier's shadow, shaded rows and
   uneven paper become white.
3. **Resolution**: from the height of the text lines (taken as body text: a screenshot may
   claim 96 dpi), else as the file says, else the page is taken to be A4. Below ~180 dpi
   the page is enlarged (OCR needs characters about 25 px high).
4. **Ruling lines** (OpenCV): the page binarised against its local background; tiny gaps
   closed along each direction, then an opening by a line longer than any character
   stroke keeps only rules (specks and text go); collinear pieces of a broken or faint
   rule are joined. Only rules that meet two rules of the other direction are kept (cut
   back to them), and rules that touch form a **table**: their positions give a grid of
   unit cells; where the rule between two unit cells is missing they are one merged cell
   (row/column span), built by :mod:`parsers.grid` as for born-digital PDFs. A table
   without (enough) rules — borderless, only horizontal rules, faint rules lost — is
   rebuilt after the page OCR from its words' boxes and ink (:mod:`parsers.ocr_align`:
   lines from the words, columns by the ink projection of the figure rows, the form's column
   count where the text says which table it is) and read like a ruled one.
5. **OCR**: the tables' rules are erased; the page without its tables goes to ``tesseract``
   (``chi_sim``, page layout analysis) and every non-blank cell is read on its own, cropped
   to its ink (one ``tesseract`` run for all cells of a page, through a list file). Each
   run is a subprocess with a time limit (:func:`parsers.limits.run_with_timeout`) and one
   thread. Cells that read as no more than a number could be, or sit in a column of
   numbers, are read again by a **digit model** (:func:`read_numbers`: tesseract with a
   digits whitelist, then RapidOCR's recogniser restricted to digits for what it cannot
   place), so "1" is never "]" and "11" never "虽". Label cells snap to the form's printed labels when they
   clearly are one (:mod:`parsers.forms`). Every cell keeps its confidence
   (``Cell.confidence``); a cell read with less than 0.5 gives a metric with
   ``confidence = 'low'``.
6. **The form's sums**: where a table prints its arithmetic (总计 columns, table 三's
   一+二 = 七+四), a broken sum's cells are re-read another way and an unambiguous mend is
   taken; a sum still broken stays broken (a failed check) with its least sure cell
   marked low (:mod:`parsers.ocr_sums`). Nothing is "corrected" by arithmetic alone.
7. **Layout**: words form lines, lines form paragraphs (a gap, an indent, a short line or a
   change of size starts a new one); a larger one-line paragraph is a heading. Tesseract's
   spaces between Chinese characters are dropped (a space stays only between two
   Latin/digit words with a gap), and ASCII punctuation read next to Chinese becomes the
   full-width form that was printed (``cjk_punctuation``). Blank cells stay ``""``. The
   rules are those of PDF text (:mod:`parsers.layout`), with thresholds for word boxes.

Engines, chosen per step by measurement on degraded scans of our own and real reports
(``tests/scans``, ``make bench`` section ``scan``; README, OCR): Tesseract ``chi_sim`` for
running text and labels (~1 s a page, labels then snapped to the form); for numbers,
Tesseract's digits-only pass (fewest wrong figures), with RapidOCR's recogniser masked to
digits for the cells it reads no number in and as a second opinion when a sum breaks
(``rapidocr-onnxruntime``; ``NIANBAO_OCR_RAPID=0`` turns it off). The ruling lines use
OpenCV (``opencv-python-headless``).
"""

from __future__ import annotations

import io
import itertools
import os
import re
import shutil
import tempfile
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from statistics import median

import numpy as np
from PIL import Image, ImageOps

from parsers.document import Block, BlockKind, Cell, ParseError, Table
from parsers.forms import TABLE3_ROWS, labels_by_order, snap_label
from parsers.grid import Grid, Rule, make_grid, merged_cells, nearest, rule_groups
from parsers.layout import OCR, group_lines, is_heading, line_text, paragraphs
from parsers.limits import check_time, env_float, run_with_timeout, time_budget
from parsers.ocr_align import align_tables
from parsers.ocr_sums import recheck
from vocabulary import CJK_CHAR as _CJK
from vocabulary import is_cjk as _is_cjk
from vocabulary import join_words

# ----------------------------------------------------------------------------- limits

OCR_PAGE_TIMEOUT = 120.0  # seconds of tesseract per page (NIANBAO_OCR_PAGE_TIMEOUT)
OCR_DOC_BUDGET = 900.0  # seconds for all OCR of one document (NIANBAO_OCR_DOC_BUDGET)
OCR_MAX_PAGES = 60  # pages of one document that are OCR'd; a longer scan is refused
MAX_PIXELS = 60_000_000  # one page image (A4 at 600 dpi is 35 Mpx): larger is a bomb
RENDER_DPI = 200  # a scanned PDF page is rendered at this resolution
_MIN_DPI = 180  # pages below this are enlarged before OCR
NOISE_LINE_CONF = 0.25  # a text line read with less mean confidence is paper noise, not text
_A4_LONG_INCHES = 11.69

LANGUAGES = "chi_sim"  # tesseract traineddata (Debian: tesseract-ocr-chi-sim; eng comes along)
DIGITS = "digits"  # read_words' "language" for the digits-only pass (eng, digits whitelist, one line)
_NUMBER = re.compile(r"^[-+]?\d[\d.,%]*$")


def page_timeout() -> float:
    return env_float("NIANBAO_OCR_PAGE_TIMEOUT", OCR_PAGE_TIMEOUT)


def doc_budget() -> float:
    return env_float("NIANBAO_OCR_DOC_BUDGET", OCR_DOC_BUDGET)


def available() -> bool:
    """Whether the OCR engine is installed (the tesseract binary is on PATH)."""
    return shutil.which("tesseract") is not None


# ----------------------------------------------------------------------------- data model


@dataclass(slots=True)
class Word:
    """A recognised word (for Chinese, often one character or a short run) on the page."""

    text: str
    x0: float
    y0: float  # y grows downwards
    x1: float
    y1: float
    conf: float  # 0–1

    @property
    def cx(self) -> float:
        return (self.x0 + self.x1) / 2

    @property
    def cy(self) -> float:
        return (self.y0 + self.y1) / 2

    @property
    def height(self) -> float:
        return self.y1 - self.y0


@dataclass
class TableBox:
    """A table found on the page: its grid, its cells and the rules that drew it."""

    grid: Grid
    cells: list[CellBox]
    hs: list[Rule]
    vs: list[Rule]


@dataclass
class _Edge:
    """A table that may go on over a page break: it ends its page (or starts it) with only a
    page number (or running header) beyond it; ``xs``: its column edges, as shares of the
    page's width."""

    table: Table
    xs: list[float]


@dataclass
class OcrResult:
    """What OCR made of some pages: blocks and tables in reading order, each with its page."""

    content: list[Block | Table] = field(default_factory=list)
    confidence: float | None = None  # mean word confidence 0–1, weighted by characters
    n_chars: int = 0  # characters recognised (the confidence's weight)
    open_end: _Edge | None = None  # the last page's table that may go on on the next page
    open_start: _Edge | None = None  # the first page's table that may go on from the one before

    def extend(self, other: OcrResult) -> None:
        total = self.n_chars + other.n_chars
        if total:
            mine = (self.confidence or 0.0) * self.n_chars
            self.confidence = (mine + (other.confidence or 0.0) * other.n_chars) / total
        self.n_chars = total
        if not self.content:
            self.open_start = other.open_start
        end, start = self.open_end, other.open_start
        if end and start and _next_page(end.table, start.table) and _same_columns(end.xs, start.xs):
            _append_rows(end.table, start.table)
            self.content.extend(x for x in other.content if x is not start.table)
            if other.open_end and other.open_end.table is start.table:  # a table filling the page
                self.open_end = _Edge(end.table, other.open_end.xs)
                return
        else:
            self.content.extend(other.content)
        self.open_end = other.open_end


def _next_page(first: Table, then: Table) -> bool:
    return bool(first.pages) and then.page == first.pages[-1] + 1


def _same_columns(a: list[float], b: list[float], tol: float = 0.02) -> bool:
    """Whether two tables' column edges (shares of the page's width) are the same columns.

    >>> _same_columns([0.1, 0.5, 0.9], [0.11, 0.49, 0.9]), _same_columns([0.1, 0.5, 0.9], [0.1, 0.9])
    (True, False)
    """
    return len(a) == len(b) and all(abs(x - y) <= tol for x, y in zip(a, b, strict=True))


def _append_rows(first: Table, rest: Table) -> None:
    """``rest`` (the table's part on the next page) appended under ``first``; a header row the
    next page repeats is left out."""
    head = [c for c in rest.cells if c.row == 0]
    repeated = all(c.rowspan == 1 for c in head) and rest.grid()[:1] == first.grid()[:1]
    skip = 1 if repeated and rest.n_rows > 1 else 0
    offset = first.n_rows - skip
    first.cells += [
        Cell(c.text, c.row + offset, c.col, c.rowspan, c.colspan, c.confidence)
        for c in rest.cells
        if c.row >= skip
    ]
    first.pages += [p for p in rest.pages if p not in first.pages]


# ----------------------------------------------------------------------------- public API


def ocr_image(image: Image.Image, page: int | None = None, dpi: float | None = None) -> OcrResult:
    """OCR one page image (any Pillow mode); ``dpi`` from the file when known."""
    text_gray, gray, red = _grays(image)
    angle = skew_angle(gray)
    gray, dpi = _normalise(flatten(_turn(gray, angle)), dpi)
    if text_gray is None:
        text_gray = gray
    else:  # a colour scan: the page's own text in every colour (a red title stays)
        text_gray = flatten(_turn(text_gray, angle)).resize(gray.size, Image.Resampling.LANCZOS)
    rules = find_rules(gray, dpi)
    tables = find_tables(gray, dpi, rules, _seal_mask(red, angle, gray.size))
    # erase only the tables' rules, never a text stroke that merely looks like one
    hs, vs = [r for t in tables for r in t.hs], [r for t in tables for r in t.vs]
    clean = erase_rules(gray, hs, vs, dpi)
    text_clean = erase_rules(text_gray, hs, vs, dpi) if text_gray is not gray else clean
    rest = _without_tables(text_clean, tables, dpi)
    (page_words,) = read_words([rest], dpi, False)
    if not page_words and _has_text(rest, dpi):
        # tesseract's page layout analysis finds nothing on some single-line pages
        # ("Empty page!!"); read as one block of text instead
        (page_words,) = read_words([rest], dpi, True)
    cells = [(cell, crop) for t in tables for cell, crop in _cell_crops(clean, t, dpi)]
    # tables without (enough) rules: rebuilt from where the words sit (parsers.ocr_align)
    # (on a page of broken rules, "dashes" outside its tables may be strokes of text — a
    # column of figures — so only the tables' own rules are erased from what it reads)
    stray = (hs, vs) if rules.dashed else rules
    bare = _without_tables(erase_rules(gray, *stray, dpi), tables, dpi)
    aligned = aligned_tables(page_words, bare, dpi) if align_enabled() else []
    labels = _page_labels(aligned, page_words)
    if aligned:
        page_words = [w for w in page_words if not any(_inside(w, t) for t in aligned)]
        cells += [(cell, crop) for t in aligned for cell, crop in _cell_crops(bare, t, dpi)]
        tables += aligned
    columns = [(ti, cell.r0, cell.c0) for ti, t in enumerate(tables) for cell, _ in _cell_crops_of(t, cells)]
    cell_words = _read_cells([crop for _, crop in cells], dpi, columns)
    for (cell, _), words in zip(cells, cell_words, strict=True):
        page_read = labels.get(id(cell))
        if page_read and snap_label(_text_of(page_read)) and not snap_label(_text_of(words)):
            words = page_read
        cell.words = words
    crops = {id(cell): crop for cell, crop in cells}
    for table in tables:
        _recheck_sums(table, crops, dpi)
    return layout(page_words, tables, page, gray.size)


def _cell_crops_of(
    table: TableBox, cells: list[tuple[CellBox, Image.Image]]
) -> list[tuple[CellBox, Image.Image]]:
    mine = {id(b) for b in table.cells}
    return [(b, crop) for b, crop in cells if id(b) in mine]


def _recheck_sums(table: TableBox, crops: dict[int, Image.Image], dpi: float) -> None:
    """Cells that break the form's printed sums re-read (:mod:`parsers.ocr_sums`)."""
    by_pos = {(b.r0, b.c0): b for b in table.cells}
    grid = {pos: (_text_of(b.words), _mean_conf(b.words) if b.words else 1.0) for pos, b in by_pos.items()}

    def reread(positions: list[tuple[int, int]]) -> dict[tuple[int, int], list[str]]:
        have = [p for p in positions if id(by_pos[p]) in crops]
        images = [crops[id(by_pos[p])] for p in have]
        # another engine, another crop (cut to the digits), another scale
        tess = read_words([_enlarged(c, 2) for c in images], dpi * 2, True, DIGITS)
        if not rapid_available():
            return {p: [_text_of(t)] for p, t in zip(have, tess, strict=True)}
        rapid = rapid_digits(images)
        tight = rapid_digits(images, tight=True)
        return {p: [r[0], g[0], _text_of(t)] for p, r, g, t in zip(have, rapid, tight, tess, strict=True)}

    checked = recheck(grid, reread)
    for pos, (text, conf) in checked.items():
        if (text, conf) == grid[pos]:
            continue
        box = by_pos[pos]
        if text != grid[pos][0]:
            w, h = (crops[id(box)].size) if id(box) in crops else (0, 0)
            box.words = [Word(text, 0.0, 0.0, float(w), float(h), conf)]
        else:
            box.words = [Word(x.text, x.x0, x.y0, x.x1, x.y1, min(x.conf, conf)) for x in box.words]


def find_tables(
    gray: Image.Image,
    dpi: float,
    rules: tuple[list[Rule], list[Rule]] | None = None,
    seal: np.ndarray | None = None,
) -> list[TableBox]:
    """The ruled tables of a straight page: grids and merged cells (no text yet); ``seal``
    marks where a seal lies on the page (rules broken under it are bridged)."""
    found = rules or find_rules(gray, dpi)
    every_h, every_v = found
    if seal is not None:  # a seal hides whole stretches of rules: bridged where it lies
        every_h = _under_seal(every_h, seal, _px(dpi, 1.5))
        every_v = _under_seal(every_v, seal.T, _px(dpi, 1.5))
    # a rule may stop short of (or run past) the rule it meets by a few points
    hs, vs = _anchored(every_h, every_v, _px(dpi, 6))
    vs = _open_ends(every_v, vs, _px(dpi, 10), _px(dpi, 4))
    tables = []
    ink: np.ndarray | None = None
    for h, v in rule_groups(hs, vs, _px(dpi, 1.5)):
        grid = _table_grid(h, v, dpi)
        if grid is None:
            continue
        # a rule broken inside a cell (a seal's fringe, dashes lost next to its text) is one
        # rule there; its pieces that meet no other rule (left out above) lie on the grid's lines
        tol, on = _px(dpi, 4), _px(dpi, 1.5)
        h = _bridged(h + _on_lines(every_h, grid.ys, grid.xs, on), grid.ys, grid.xs, tol)
        v = _bridged(v + _on_lines(every_v, grid.xs, grid.ys, on), grid.xs, grid.ys, tol)
        grid = make_grid(h, v, tol)
        if not isinstance(found, Rules) or not found.dashed:
            tables.append(TableBox(grid, [CellBox(*a) for a in merged_cells(grid)], h, v))
            continue
        ink = _solid(_ink(gray)) if ink is None else ink
        # a vertical rule lost in places leaves cells with two figures side by side: the
        # paper between them is the rule's place; where that does not settle it, the grid is
        # only half found, and a half-found grid reads worse than none (the table is then
        # rebuilt from the page's word boxes, see aligned_tables)
        for _ in range(4):
            gutters = _gutters(ink, grid, dpi)
            if not gutters:
                break
            v = v + gutters
            grid = make_grid(h, v, tol)
        if not gutters:
            tables.append(TableBox(grid, [CellBox(*a) for a in merged_cells(grid)], h, v))
    return tables


def aligned_tables(words: list[Word], bare: Image.Image, dpi: float) -> list[TableBox]:
    """Tables without a grid of rules, from the running-text words' boxes and the page's ink
    (``bare``: the page with every rule and the ruled tables erased)."""
    found = align_tables(words, _solid(_ink(bare)), _px(dpi, 9))
    return [TableBox(t.grid, [CellBox(*a) for a in t.areas], [], []) for t in found]


def align_enabled() -> bool:
    """Whether tables without rules are rebuilt from word boxes (``NIANBAO_OCR_ALIGN=0``: no)."""
    return os.environ.get("NIANBAO_OCR_ALIGN", "1") != "0"


def _page_labels(tables: list[TableBox], words: list[Word]) -> dict[int, list[Word]]:
    """The page's words in each cell of tables rebuilt from word boxes that read as Chinese
    without a digit: read in the line's context, a label may read better there than cropped
    on its own; it is taken where it is one of the form's labels and the crop's is not."""
    out: dict[int, list[Word]] = {}
    for table in tables:
        g = table.grid
        for cell in table.cells:
            x0, x1, y0, y1 = g.xs[cell.c0], g.xs[cell.c1], g.ys[cell.r0], g.ys[cell.r1]
            mine = [w for w in words if x0 <= w.cx < x1 and y0 <= w.cy < y1]
            text = _text_of(mine)
            if re.search(r"[\u4e00-\u9fff]", text) and not re.search(r"\d", text):
                out[id(cell)] = mine
    return out


def _inside(word: Word, table: TableBox) -> bool:
    g = table.grid
    return g.xs[0] <= word.cx <= g.xs[-1] and g.ys[0] <= word.cy <= g.ys[-1]


def ocr_pdf_pages(data: bytes, pages: Iterable[int]) -> OcrResult:
    """OCR the given 1-based pages of a PDF (rendered at :data:`RENDER_DPI`).

    Raises ParseError when the PDF cannot be rendered, when there are more than
    :data:`OCR_MAX_PAGES` pages to read, or when OCR runs out of time
    (:class:`parsers.limits.TimeLimitExceeded`).
    """
    import pypdfium2 as pdfium

    wanted = sorted(set(pages))
    if len(wanted) > OCR_MAX_PAGES:
        raise ParseError(f"scanned PDF too long for OCR: {len(wanted)} pages (max {OCR_MAX_PAGES})")
    result = OcrResult()
    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        raise ParseError(f"corrupt PDF: PDFium cannot load it for OCR ({exc})") from exc
    try:
        with time_budget(doc_budget()):
            for number in wanted:
                check_time(f"OCR of page {number}")
                image = _render_page(pdf, number)
                result.extend(ocr_image(image, page=number, dpi=_render_dpi(pdf, number)))
    finally:
        pdf.close()
    return result


def ocr_images(images: Iterable[tuple[Image.Image, float | None]]) -> OcrResult:
    """OCR page images in order (pages numbered from 1) within one document's time budget."""
    result = OcrResult()
    with time_budget(doc_budget()):
        for number, (image, dpi) in enumerate(images, start=1):
            check_time(f"OCR of page {number}")
            result.extend(ocr_image(image, page=number, dpi=dpi))
    return result


# ----------------------------------------------------------------------------- rendering


def _render_scale(pdf: object, number: int) -> float:
    width, height = pdf.get_page_size(number - 1)  # type: ignore[attr-defined]
    scale = RENDER_DPI / 72
    pixels = width * height * scale * scale
    if pixels > MAX_PIXELS:  # a huge page (a poster): render fewer dots per inch
        scale *= (MAX_PIXELS / pixels) ** 0.5
    return scale


def _render_dpi(pdf: object, number: int) -> float:
    return _render_scale(pdf, number) * 72


def _render_page(pdf: object, number: int) -> Image.Image:
    import pypdfium2 as pdfium

    if not 1 <= number <= len(pdf):  # type: ignore[arg-type]
        raise ParseError(f"no page {number} to OCR (the PDF has {len(pdf)})")  # type: ignore[arg-type]
    try:
        page = pdf[number - 1]  # type: ignore[index]
        try:
            # in colour: a red seal is told from the print by its colour (see _grays)
            bitmap = page.render(scale=_render_scale(pdf, number))
            return bitmap.to_pil().convert("RGB")
        finally:
            page.close()
    except pdfium.PdfiumError as exc:
        raise ParseError(f"corrupt PDF: page {number} cannot be rendered for OCR ({exc})") from exc


# ----------------------------------------------------------------------------- normalising


def _px(dpi: float, points: float) -> int:
    """A length given in typographic points, in pixels at ``dpi`` (at least 1).

    >>> _px(200, 9)
    25
    """
    return max(1, round(points * dpi / 72))


def _grays(image: Image.Image) -> tuple[Image.Image | None, Image.Image, np.ndarray | None]:
    """(the page in gray for its text, or None when it is the same; the page for tables;
    where red ink is on it, or None when there is none).

    A red seal stamped across a table hides digits and breaks rules in gray; in the red
    channel red ink is as light as the paper, while black print stays black. So a colour
    scan with red in it gives its tables the red channel, and its running text (which may
    have a red title) the usual gray.
    """
    gray = _gray(image)
    if image.mode not in ("RGB", "RGBA", "P", "CMYK", "YCbCr"):
        return None, gray, None
    rgb = np.asarray(image.convert("RGB"), dtype=np.int16)
    red = (rgb[..., 0] - np.maximum(rgb[..., 1], rgb[..., 2])) > 30
    if float(red.mean()) < 0.0005:
        return None, gray, None
    import cv2

    # seal ink (red, printed over the page) dims the red channel by a fifth at most:
    # brightening the red parts and the fringe JPEG's coarse colour leaves around them by
    # that much turns the seal into paper, while black print under the seal stays dark
    # (a faint rule crossing the fringe may be lightened away: find_tables bridges it)
    near_red = cv2.dilate(red.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
    channel = rgb[..., 0].astype(np.float32)
    channel[near_red] = np.minimum(255.0, channel[near_red] / 0.8)
    return gray, Image.fromarray(channel.astype(np.uint8), "L"), red


def _seal_mask(red: np.ndarray | None, angle: float, size: tuple[int, int]) -> np.ndarray | None:
    """Where a red seal (``red``: its ink, from :func:`_grays`) lies on the straightened page
    (``size``: the page as read), or None.

    The seal's ink and a margin around it: the rules under it come out broken (faint
    rules are brightened away with the seal's fringe), and :func:`find_tables` bridges them.
    """
    if red is None:
        return None
    import cv2

    margin = max(3, red.shape[1] // 150) | 1
    mask = cv2.dilate(red.astype(np.uint8) * 255, np.ones((margin, margin), np.uint8))
    turned = Image.fromarray(mask, "L").rotate(-angle, resample=Image.Resampling.NEAREST, fillcolor=0)
    return np.asarray(turned.resize(size, Image.Resampling.NEAREST)) > 0


def _gray(image: Image.Image) -> Image.Image:
    """8-bit grayscale on white (transparency flattened)."""
    if image.width * image.height > MAX_PIXELS:
        raise ParseError(f"image too large for OCR: {image.width}×{image.height} pixels")
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(white, rgba)
    return image.convert("L")


def flatten(gray: Image.Image) -> Image.Image:
    """The page with its background made white: a copier's shadow, a shaded table row and
    uneven paper are divided out (the background is the page with its ink closed over,
    a kernel wider than any stroke), so one threshold then fits the whole page."""
    import cv2

    pixels = np.asarray(gray, dtype=np.uint8)
    size = max(9, round(min(pixels.shape) / 110)) | 1  # ~15 px at 200 dpi: wider than a stroke
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (size, size))
    background = cv2.morphologyEx(pixels, cv2.MORPH_CLOSE, kernel).astype(np.float32)
    flat = pixels.astype(np.float32) / np.maximum(background, 1.0) * 255.0
    return Image.fromarray(np.clip(flat, 0, 255).astype(np.uint8), "L")


def _normalise(gray: Image.Image, dpi: float | None) -> tuple[Image.Image, float]:
    """The (straight) page and its resolution, enlarged when the resolution is low."""
    # the text's own height says best how large it is (a screenshot may claim 96 dpi); but
    # a scan's own resolution is a floor: a page of small table print or few text lines
    # (its estimate is noisy: 106–197 dpi over four scans of one 200-dpi table page) is not
    # to be enlarged, nor its rules and gaps measured at a fraction of their size
    text = _dpi_from_text(gray)
    claimed = dpi if dpi and 50 <= dpi <= 1200 else None
    dpi = max(text, claimed) if text and claimed and claimed >= _MIN_DPI else text or claimed
    if dpi is None:
        dpi = max(gray.size) / _A4_LONG_INCHES  # a page of only tables: assume A4
    if dpi < _MIN_DPI:
        factor = min(_MIN_DPI / dpi * 1.1, 4.0, (MAX_PIXELS / (gray.width * gray.height)) ** 0.5)
        if factor > 1.05:
            size = (round(gray.width * factor), round(gray.height * factor))
            gray = gray.resize(size, Image.Resampling.LANCZOS)
            dpi *= factor
    return gray, dpi


def _dpi_from_text(gray: Image.Image) -> float | None:
    """The resolution at which the page's text lines would be body text (~10.5 pt).

    For an image that does not say its resolution (a screenshot, a cropped banner) the
    height of its text lines is the best guide: the median height of the bands of inked rows
    is taken as a character's ink height, about 9.5 pt.
    """
    profile = _ink(gray).sum(axis=1) > max(2, gray.width // 400)
    edges = np.flatnonzero(np.diff(np.concatenate([[0], profile.astype(np.int8), [0]])))
    # rules and specks are thinner than a line; a band of a twenty-fifth of the page is
    # no line of text either (a copier's dark edge that inks every row)
    heights = [h for h in edges[1::2] - edges[0::2] if 6 <= h <= gray.height / 25]
    if not heights:
        return None
    dpi = float(median(heights)) / 9.5 * 72
    return dpi if 50 <= dpi <= 1200 else None


def _otsu(pixels: np.ndarray) -> int:
    """Otsu's threshold: the gray level that best splits ink from paper."""
    hist = np.bincount(pixels.ravel(), minlength=256).astype(np.float64)
    total = hist.sum()
    w0 = np.cumsum(hist)
    m0 = np.cumsum(hist * np.arange(256))
    w1 = total - w0
    with np.errstate(divide="ignore", invalid="ignore"):
        between = np.nan_to_num((m0[-1] * w0 / total - m0) ** 2 / (w0 * w1))
    return int(np.argmax(between))


def _ink(gray: Image.Image | np.ndarray, loose: bool = False) -> np.ndarray:
    """Boolean ink mask (dark = ink) by Otsu's threshold.

    ``loose`` moves the threshold halfway towards the paper: a thin rule, blurred by the
    scanner and by turning the page, is lighter than the core of a character's stroke.
    """
    pixels = np.asarray(gray)
    threshold = _otsu(pixels)
    if loose:
        threshold = (threshold + int(np.median(pixels))) // 2
    return pixels <= threshold


# ----------------------------------------------------------------------------- deskew


def skew_angle(gray: Image.Image, max_angle: float = 3.0) -> float:
    """The page's skew in degrees (counter-clockwise positive), within ±``max_angle``.

    Text lines and rules are sharpest in the horizontal ink profile when the page is
    straight: try angles on a reduced copy, then refine around the best one.
    """
    best = 0.0
    for factor, step, span in ((2, 0.25, max_angle), (2, 0.05, 0.25)):
        small = gray.reduce(factor) if factor > 1 else gray
        ink = Image.fromarray((_ink(small) * 255).astype(np.uint8), "L")
        candidates = np.arange(best - span, best + span + step / 2, step)
        scores = [_profile_sharpness(ink, -a) for a in candidates]
        best = float(candidates[int(np.argmax(scores))])
    return round(best, 2)


def _profile_sharpness(ink: Image.Image, angle: float) -> float:
    turned = ink.rotate(angle, resample=Image.Resampling.NEAREST, fillcolor=0)
    rows = np.asarray(turned, dtype=np.float64).sum(axis=1)
    return float(np.square(np.diff(rows)).sum())


def deskew(gray: Image.Image) -> Image.Image:
    """The page turned straight (unchanged when the skew is below 0.05°)."""
    return _turn(gray, skew_angle(gray))


def _turn(gray: Image.Image, angle: float) -> Image.Image:
    """The page turned by ``-angle`` degrees, the corners it uncovers filled with the shade
    of the page's own edge (mirrored, blurred): a white fill next to a copier's dark edge
    would draw a sharp dark line down the page, which no background flattening removes (it
    inks every row, so the text's height, and the resolution, came out far too large)."""
    if abs(angle) < 0.05:
        return gray
    turned = gray.rotate(-angle, resample=Image.Resampling.BICUBIC, fillcolor=255)
    import cv2

    pixels = np.asarray(gray, dtype=np.uint8)
    height, width = pixels.shape
    turn = cv2.getRotationMatrix2D(((width - 1) / 2, (height - 1) / 2), -angle, 1.0)
    size = (width, height)
    mirrored = cv2.warpAffine(pixels, turn, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    inside = np.asarray(Image.new("L", gray.size, 255).rotate(-angle, fillcolor=0)) > 0
    # only the edge's shade is wanted, not what is printed near it (a seal, a page number)
    k = max(31, min(width, height) // 40) | 1
    out = np.where(inside, np.asarray(turned), cv2.blur(mirrored, (k, k)))
    return Image.fromarray(out.astype(np.uint8), "L")


# ----------------------------------------------------------------------------- ruling lines

DASHED_PAGE = 0.25  # share of a page's rule length in broken pieces that makes it a page of dashed rules


class Rules(tuple[list[Rule], list[Rule]]):
    """(horizontal rules, vertical rules) of a page; ``dashed``: the page's rules are
    broken (faint dashes), so its tables' grids are mended (see :func:`find_tables`)."""

    dashed: bool = False


def _rules(hs: list[Rule], vs: list[Rule], dashed: bool) -> Rules:
    out = Rules((hs, vs))
    out.dashed = dashed
    return out


def find_rules(gray: Image.Image, dpi: float) -> Rules:
    """Horizontal and vertical ruling lines of a straight page, in pixels.

    Morphological line extraction (OpenCV) on the page binarised against its *local*
    background (a copier's shadow, a shaded header row and light gray toner do not move one
    global threshold). Solid rules: small gaps along a line are closed, then only ink that
    stays after an opening by a line longer than any character stroke is kept; specks vanish.

    Faint rules come back from the scan as short dashes with gaps of a few millimetres, which
    that opening erases. So the dashes are found too (:func:`_dashes`: ink thin across the
    line, gaps up to ~1 mm closed, pieces a few points long with paper on both sides) and
    collinear pieces joined over gaps of up to 5 mm. A run of dashes is a rule only when it is
    mostly ink and has paper along it (the strokes of a text line have ink beside them). Only
    on a page whose rules are mostly such runs are they used: on a page of solid rules, a run
    of dashes is text (a "——" in a cell), never a rule.
    """
    import cv2

    pixels = np.ascontiguousarray(np.asarray(gray, dtype=np.uint8))
    block = max(3, _px(dpi, 10) | 1)  # about two characters: the local background (OpenCV: odd, > 1)
    ink = cv2.adaptiveThreshold(pixels, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, block, 12)
    marks = _without_specks(ink, dpi)
    hs = _rules_along(ink, marks, dpi)
    # vertical dashes from the page without the horizontal rules: where a rule crosses a
    # character's stroke, its ink would lengthen the stroke into a dash of a rule
    crossed = _without(ink, hs.solid + hs.joined + hs.dashed, _px(dpi, 1))
    vs = _rules_along(np.ascontiguousarray(ink.T), np.ascontiguousarray(marks.T), dpi, crossed.T)
    dashed = _length(hs.dashed + vs.dashed)
    if dashed < DASHED_PAGE * (dashed + _length(hs.joined + vs.joined)):
        return _rules(hs.solid, vs.solid, False)
    return _rules(_in_order(hs.joined + hs.dashed), _in_order(vs.joined + vs.dashed), True)


@dataclass(slots=True)
class _Found:
    """One direction's rules: from solid pieces alone; from solid pieces and dashes, where the
    solid pieces make most of the rule; and runs of dashes that pass as rules."""

    solid: list[Rule]
    joined: list[Rule]
    dashed: list[Rule]


def _rules_along(
    ink: np.ndarray, marks: np.ndarray, dpi: float, dash_ink: np.ndarray | None = None
) -> _Found:
    """Horizontal rules of a binarised page (its transpose gives the vertical ones); dashes
    are looked for in ``dash_ink`` when given."""
    min_len = _px(dpi, 14)  # a rule is longer than any character stroke of body text
    same = _px(dpi, 1.5)  # pieces this close across the line are one line
    solid = _pieces(_line_mask(ink, _px(dpi, 0.8), min_len), dpi)
    dashes = _dashes(ink if dash_ink is None else np.ascontiguousarray(dash_ink), marks, dpi)
    found = _Found([_joined(run) for run in _join_collinear(solid, same, _px(dpi, 8), min_len)], [], [])
    is_solid = {id(p) for p in solid}
    for run in _join_collinear(solid + dashes, same, _px(dpi, 14), min_len):
        rule = _joined(run)
        span = rule.end - rule.start
        if sum(p.end - p.start for p in run if id(p) in is_solid) >= 0.8 * span:
            found.joined.append(rule)
        elif _length(run) >= 0.3 * span and _beside(marks, rule, dpi) <= 0.15:
            found.dashed.append(rule)
    return found


def _without(ink: np.ndarray, rules: list[Rule], half: int) -> np.ndarray:
    """The binarised page with horizontal rules (``half`` pixels either side) made paper."""
    out = ink.copy()
    for r in rules:
        out[max(0, int(r.pos) - half) : int(r.pos) + half + 1, max(0, int(r.start)) : int(r.end) + 1] = 0
    return out


def _line_mask(ink: np.ndarray, gap: int, length: int) -> np.ndarray:
    """Ink along horizontal lines: gaps up to ``gap`` closed, a pixel of drift across allowed,
    then only what an opening by a line ``length`` long leaves."""
    import cv2

    def kernel(rows: int, cols: int) -> np.ndarray:
        return cv2.getStructuringElement(cv2.MORPH_RECT, (cols, rows))

    mask = cv2.morphologyEx(ink, cv2.MORPH_CLOSE, kernel(1, gap))
    mask = cv2.dilate(mask, kernel(3, 1))  # a rule drifts a pixel across the page
    return cv2.morphologyEx(mask, cv2.MORPH_OPEN, kernel(1, length))


def _dashes(ink: np.ndarray, marks: np.ndarray, dpi: float) -> list[Rule]:
    """Short horizontal pieces of thin ink with paper above and below: the dashes a faint,
    broken rule leaves (a text stroke has other strokes of its character beside it)."""
    import cv2

    across = cv2.getStructuringElement(cv2.MORPH_RECT, (1, _px(dpi, 3) + 1))
    thin = ink & ~cv2.morphologyEx(ink, cv2.MORPH_OPEN, across)  # thicker than a rule: not one
    pieces = _pieces(_line_mask(thin, _px(dpi, 3), _px(dpi, 3)), dpi)
    return [p for p in pieces if _beside(marks, p, dpi) <= 0.4]


def _pieces(mask: np.ndarray, dpi: float) -> list[Rule]:
    """The connected parts of a horizontal line mask, as rules (filled areas left out)."""
    import cv2

    n, _, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    max_thick = _px(dpi, 4)  # thicker: a photo, a black bar, not a line
    return [Rule(round(y + h / 2), x, x + w) for x, y, w, h, _ in stats[1:n].tolist() if h <= max_thick]


def _beside(marks: np.ndarray, rule: Rule, dpi: float) -> float:
    """Share of a horizontal rule's length with ink 1–2 pt above or below it."""
    near, far = _px(dpi, 1), _px(dpi, 2)
    pos, x0, x1 = int(rule.pos), int(rule.start), int(rule.end)
    if x1 <= x0:
        return 1.0
    above = marks[max(0, pos - far) : max(0, pos - near), x0:x1].any(axis=0)
    below = marks[pos + near : pos + far, x0:x1].any(axis=0)
    return float((above | below).mean())


def _without_specks(ink: np.ndarray, dpi: float) -> np.ndarray:
    """The binarised page without specks of dust (smaller than about a point square)."""
    import cv2

    _, labels, stats, _centroids = cv2.connectedComponentsWithStats(ink, connectivity=8)
    keep = stats[:, cv2.CC_STAT_AREA] > 1.5 * _px(dpi, 1) ** 2
    keep[0] = False
    return keep[labels]


def _join_collinear(pieces: list[Rule], same: int, gap: int, min_len: int) -> list[list[Rule]]:
    """Pieces at one position (neighbours within ``same``) less than ``gap`` apart along it,
    grouped into runs; runs shorter than ``min_len`` are left out.

    >>> runs = _join_collinear([Rule(10, 0, 50), Rule(11, 60, 90), Rule(30, 0, 40)], 2, 15, 30)
    >>> [[(p.pos, p.start) for p in run] for run in runs]
    [[(10, 0), (11, 60)], [(30, 0)]]
    """
    bands: list[list[Rule]] = []
    for p in sorted(pieces, key=lambda r: r.pos):
        if bands and p.pos - bands[-1][-1].pos <= same:
            bands[-1].append(p)
        else:
            bands.append([p])
    runs: list[list[Rule]] = []
    for band in bands:
        band.sort(key=lambda r: r.start)
        run, end = [band[0]], band[0].end
        for p in band[1:]:
            if p.start - end > gap:
                runs.append(run)
                run, end = [], p.end
            run.append(p)
            end = max(end, p.end)
        runs.append(run)
    return [r for r in runs if max(p.end for p in r) - min(p.start for p in r) >= min_len]


def _joined(run: list[Rule]) -> Rule:
    """One rule over a run of pieces, at their length-weighted position.

    >>> _joined([Rule(10, 0, 50), Rule(11, 60, 110)])
    Rule(pos=10, start=0, end=110)
    """
    weight = max(1.0, _length(run))
    pos = sum(p.pos * (p.end - p.start) for p in run) / weight
    return Rule(round(pos), min(p.start for p in run), max(p.end for p in run))


def _length(rules: list[Rule]) -> float:
    return float(sum(r.end - r.start for r in rules))


def _in_order(rules: list[Rule]) -> list[Rule]:
    return sorted(rules, key=lambda r: (r.pos, r.start))


def _anchored(hs: list[Rule], vs: list[Rule], touch: float) -> tuple[list[Rule], list[Rule]]:
    """Only rules that meet at least two rules of the other direction, cut back to the
    outermost of them: a table's rules run from border to border, while a line of text
    tops that happens to look like a rule does not, and a rule lengthened by the strokes
    of a heading just above the table ends at the table's border again.

    >>> h = [Rule(0, 0, 100), Rule(50, 0, 100), Rule(25, 30, 60)]
    >>> v = [Rule(0, -40, 50), Rule(100, 0, 50)]
    >>> kept_h, kept_v = _anchored(h, v, 3)
    >>> kept_h
    [Rule(pos=0, start=0, end=100), Rule(pos=50, start=0, end=100)]
    >>> kept_v
    [Rule(pos=0, start=0, end=50), Rule(pos=100, start=0, end=50)]
    """

    def met(r: Rule, others: list[Rule]) -> Rule | None:
        meets = [
            o.pos
            for o in others
            if o.start - touch <= r.pos <= o.end + touch and r.start - touch <= o.pos <= r.end + touch
        ]
        if len(meets) < 2:
            return None
        # a rule that ran past the outermost rule it meets ends there (a few points past it
        # would add a sliver of a column); one that stops short of it stays short (a "——"
        # placeholder in a cell stops short of both sides, and must not touch them)
        return Rule(r.pos, max(r.start, min(meets)), min(r.end, max(meets)))

    for _ in range(4):  # dropping rules may strand others: repeat until nothing changes
        kept_h = [k for h in hs if (k := met(h, vs)) is not None]
        kept_v = [k for v in vs if (k := met(v, kept_h)) is not None]
        if kept_h == hs and kept_v == vs:
            break
        hs, vs = kept_h, kept_v
    return hs, vs


def _under_seal(rules: list[Rule], hidden: np.ndarray, same: int) -> list[Rule]:
    """Collinear pieces of a rule joined across a gap that lies mostly under a red seal
    (``hidden``: the seal's pixels, indexed [across the line, along it]): the seal's fringe
    is brightened away with the seal, and the rule under it with it, over whole cells.

    >>> seal = np.zeros((100, 600), dtype=bool)
    >>> seal[:, 150:300] = True
    >>> _under_seal([Rule(50, 0, 150), Rule(51, 290, 500), Rule(80, 0, 100), Rule(80, 450, 500)], seal, 2)
    [Rule(pos=50, start=0, end=500), Rule(pos=80, start=0, end=100), Rule(pos=80, start=450, end=500)]
    """
    out: list[Rule] = []
    for run in _join_collinear(rules, same, 1 << 30, 0):  # each line's pieces
        line: list[Rule] = []
        for piece in sorted(run, key=lambda r: r.start):
            prev = line[-1] if line else None
            if prev is not None and _hidden_share(hidden, piece.pos, prev.end, piece.start) >= 0.5:
                prev.end = max(prev.end, piece.end)
            else:
                line.append(Rule(piece.pos, piece.start, piece.end))
        out += line
    return _in_order(out)


def _hidden_share(hidden: np.ndarray, pos: float, start: float, end: float) -> float:
    """The share of the line at ``pos`` from ``start`` to ``end`` under the seal (``hidden``
    is indexed [across, along])."""
    row = round(pos)
    if not 0 <= row < hidden.shape[0] or end <= start:
        return 0.0
    return float(hidden[row, max(0, int(start)) : max(0, int(end))].mean() or 0.0)


def _open_ends(found: list[Rule], anchored: list[Rule], min_row: int, tol: int) -> list[Rule]:
    """The anchored vertical rules, given back the ends :func:`_anchored` cut off where most
    of the rules that stop at the table's last horizontal rule run on together past it to
    about the same place: a table that goes on over the page break has no rule under its
    last row, only its column rules running down to the foot of the page. A few rules running
    on (a line of bold text's strokes touching the table) are still cut; so is anything above
    a table (a heading sits on the top rule; a page's first row has its top rule anyway).

    >>> found = [Rule(x, 0, 160) for x in (0, 50, 100)] + [Rule(150, 0, 100)]
    >>> cut = [Rule(x, 0, 100) for x in (0, 50, 100, 150)]
    >>> [(r.pos, r.end) for r in _open_ends(found, cut, 20, 4)]
    [(0, 160), (50, 160), (100, 160), (150, 100)]
    >>> [(r.pos, r.end) for r in _open_ends(found[:2] + found[3:], cut, 20, 4)]  # two: strokes
    [(0, 100), (50, 100), (100, 100), (150, 100)]
    """
    out = [Rule(v.pos, v.start, v.end) for v in anchored]
    whole = [
        next((o for o in found if o.pos == v.pos and o.start <= v.start <= v.end <= o.end), v) for v in out
    ]
    cut = [(i, o.end) for i, (v, o) in enumerate(zip(out, whole, strict=True)) if o.end - v.end >= min_row]
    if len(cut) < 3:
        return out
    ends = sorted(e for _, e in cut)
    middle = ends[len(ends) // 2]
    together = [i for i, e in cut if abs(e - middle) <= tol]
    last = median(out[i].end for i in together)  # the table's last rule, where they were cut
    stopping = [v for v in out if abs(v.end - last) <= tol]
    if len(together) >= max(3, 0.6 * len(stopping)):
        for i in together:
            out[i].end = middle
    return out


def erase_rules(gray: Image.Image, hs: list[Rule], vs: list[Rule], dpi: float) -> Image.Image:
    """The page with its ruling lines painted white (they are not text)."""
    if not hs and not vs:
        return gray
    pixels = np.array(gray)
    half = _px(dpi, 1.5)
    height, width = pixels.shape
    for r in hs:
        y0, y1 = max(0, int(r.pos) - half), min(height, int(r.pos) + half + 1)
        pixels[y0:y1, max(0, int(r.start) - 1) : min(width, int(r.end) + 1)] = 255
    for r in vs:
        x0, x1 = max(0, int(r.pos) - half), min(width, int(r.pos) + half + 1)
        pixels[max(0, int(r.start) - 1) : min(height, int(r.end) + 1), x0:x1] = 255
    return Image.fromarray(pixels, "L")


# ----------------------------------------------------------------------------- table grids


def _table_grid(hs: list[Rule], vs: list[Rule], dpi: float) -> Grid | None:
    """The table's grid from its rules, or None for a single framed box."""
    grid = make_grid(hs, vs, _px(dpi, 4))
    xs, ys = grid.xs, grid.ys
    if (len(xs) - 1) * (len(ys) - 1) < 2 or xs[-1] - xs[0] < dpi:
        return None  # a framed box, or a big character's strokes ("田" in a title)
    return grid


def _on_lines(rules: list[Rule], at: list[float], across: list[float], tol: float) -> list[Rule]:
    """The rules that lie on one of the grid lines ``at`` (within ``tol``), within the grid,
    put on it.

    >>> _on_lines([Rule(1, 10, 50), Rule(25, 10, 50), Rule(50, 90, 150)], [0, 50], [0, 100], 2)
    [Rule(pos=0, start=10, end=50)]
    """
    lo, hi = across[0] - tol, across[-1] + tol
    on = [(at[nearest(at, r.pos)], r) for r in rules if lo <= r.start and r.end <= hi]
    return [Rule(line, r.start, r.end) for line, r in on if abs(line - r.pos) <= tol]


def _bridged(rules: list[Rule], at: list[float], across: list[float], tol: float) -> list[Rule]:
    """A table's rules along each grid line (``at``) joined over gaps that leave no whole
    cell open, and run on to the table's border over the same: a gap over a whole cell
    (between two lines ``across``) is a merged cell's, any shorter one is a break in the rule.

    >>> rules = [Rule(0, 0, 40), Rule(0, 60, 200), Rule(50, 0, 100), Rule(50, 200, 280)]
    >>> _bridged(rules, [0, 50], [0, 100, 200, 300], 4)
    [Rule(pos=0, start=0, end=200), Rule(pos=50, start=0, end=100), Rule(pos=50, start=200, end=300)]
    """
    by_line: dict[int, list[Rule]] = {}
    for r in rules:
        by_line.setdefault(nearest(at, r.pos), []).append(r)
    out = []
    for line in sorted(by_line):
        joined: list[Rule] = []
        for r in sorted(by_line[line], key=lambda r: r.start):
            last = joined[-1] if joined else None
            open_cells = [x for x in across if last and last.end - tol <= x <= r.start + tol]
            if last is not None and len(open_cells) < 2:
                joined[-1] = Rule(last.pos, last.start, max(last.end, r.end))
            else:
                joined.append(Rule(r.pos, r.start, r.end))
        # so is a rule that stops short of the border inside its last cell
        first, last = joined[0], joined[-1]
        if sum(x <= first.start + tol for x in across) < 2:
            first.start = min(first.start, across[0])
        if sum(x >= last.end - tol for x in across) < 2:
            last.end = max(last.end, across[-1])
        out += joined
    return out


def _gutters(ink: np.ndarray, grid: Grid, dpi: float) -> list[Rule]:
    """Vertical rules the grid lacks: one through the widest gap of each cell that holds two
    marks side by side with more paper between them than a line of its text is high (a
    label's words and a figure's digits sit closer), at a column line of the grid where one
    runs through the gap (the rule was found in other rows), else at the middle of the gaps
    that most such cells share."""
    inset = _px(dpi, 2)
    gaps = []
    for r0, c0, r1, c1 in merged_cells(grid):
        x0, x1 = round(grid.xs[c0]) + inset, round(grid.xs[c1]) - inset
        y0, y1 = round(grid.ys[r0]) + inset, round(grid.ys[r1]) - inset
        if x1 - x0 < 2 or y1 - y0 < 2:
            continue
        gap = _widest_gap(ink[y0:y1, x0:x1], _px(dpi, 1), _px(dpi, 3), _px(dpi, 6))
        if gap is not None:
            gaps.append((x0 + gap[0], x0 + gap[1], grid.ys[r0], grid.ys[r1], grid.xs[c0 + 1 : c1]))
    middles = [(left + right) / 2 for left, right, *_ in gaps]
    out = []
    for k, (left, right, top, bottom, lines) in enumerate(gaps):
        # of the gaps' middles in this one, the one in the most gaps (the column's line)
        inside = [x for x in lines if left <= x <= right] or [m for m in middles if left <= m <= right]
        shared = [(sum(g[0] <= x <= g[1] for g in gaps), -abs(x - middles[k]), x) for x in inside]
        out.append(Rule(max(shared)[2], top, bottom))
    return out


def _widest_gap(ink: np.ndarray, join: int, least: int, text: int) -> tuple[int, int] | None:
    """(start, end) of the widest paper between marks side by side on the lines of text of a
    cell's ink, when it is wider than one and a half lines' height (at least ``text`` high: a
    line cut by a rule through it is lower than its text); lines are rows of ink at least
    ``least`` high (thin leftovers of rules are none), gaps up to ``join`` closed.

    >>> cell = np.zeros((30, 200), dtype=bool)
    >>> cell[5:25, 10:30] = cell[5:25, 150:170] = True  # two figures far apart
    >>> _widest_gap(cell, 2, 6, 15)
    (30, 150)
    >>> cell[5:25, 60:80] = True  # three close together: words of one label
    >>> _widest_gap(cell[:, :100], 2, 6, 15) is None
    True
    """
    lines = [(a, b) for a, b in _runs(ink.any(axis=1), join) if b - a >= least]
    if not lines:
        return None
    height = max([text] + [b - a for a, b in lines])
    on_lines = np.zeros(ink.shape[0], dtype=bool)
    for a, b in lines:
        on_lines[a:b] = True
    marks = _runs(ink[on_lines].any(axis=0), round(1.5 * height))
    if len(marks) < 2:
        return None
    return max(((a[1], b[0]) for a, b in itertools.pairwise(marks)), key=lambda g: g[1] - g[0])


def _runs(profile: np.ndarray, join: int) -> list[tuple[int, int]]:
    """(start, end) of the runs of True in a profile; runs at most ``join`` apart are one.

    >>> _runs(np.array([0, 1, 1, 0, 1, 0, 0, 0, 1], dtype=bool), 2)
    [(1, 5), (8, 9)]
    """
    idx = np.flatnonzero(profile)
    if not len(idx):
        return []
    breaks = np.flatnonzero(np.diff(idx) - 1 > join)
    starts = [int(idx[0])] + [int(idx[b + 1]) for b in breaks]
    ends = [int(idx[b]) + 1 for b in breaks] + [int(idx[-1]) + 1]
    return list(zip(starts, ends, strict=True))


@dataclass(slots=True)
class CellBox:
    """A (merged) cell of a grid: rows r0..r1-1, columns c0..c1-1, and the words in it."""

    r0: int
    c0: int
    r1: int  # exclusive
    c1: int
    words: list[Word] = field(default_factory=list)


def _cell_crops(gray: Image.Image, table: TableBox, dpi: float) -> Iterator[tuple[CellBox, Image.Image]]:
    """Each cell's inside (rules left out), padded with paper; blank cells are skipped.

    Every cell is read on its own: the engine then never runs two cells together, and a
    column of lone digits is not mistaken for one vertical line of text.
    """
    import cv2

    # loose: a thin seriffed "1" is lighter than the core of a Chinese stroke
    ink = _ink(gray, loose=True).astype(np.uint8)
    inset, pad = _px(dpi, 2), _px(dpi, 6)
    least = _px(dpi, 2.2)  # a mark this tall or wide is print; specks of dust are smaller
    grid = table.grid
    for box in table.cells:
        # within the page: a grid rebuilt from word boxes may reach past its edge
        x0, x1 = max(0, round(grid.xs[box.c0]) + inset), min(gray.width, round(grid.xs[box.c1]) - inset)
        y0, y1 = max(0, round(grid.ys[box.r0]) + inset), min(gray.height, round(grid.ys[box.r1]) - inset)
        if x1 - x0 < 2 or y1 - y0 < 2:
            continue
        n, _, stats, _ = cv2.connectedComponentsWithStats(np.ascontiguousarray(ink[y0:y1, x0:x1]))
        marks = [(x, y, x + w, y + h) for x, y, w, h, _ in stats[1:n].tolist() if max(w, h) >= least]
        if not marks:
            continue  # a blank cell stays ""
        # only the inked part: a wide cell of paper with specks confuses the engine
        left, top = min(m[0] for m in marks), min(m[1] for m in marks)
        right, bottom = max(m[2] for m in marks), max(m[3] for m in marks)
        inked = (x0 + left, y0 + top, x0 + right, y0 + bottom)
        yield box, ImageOps.expand(gray.crop(inked), border=pad, fill=255)


def _has_text(gray: Image.Image, dpi: float) -> bool:
    """Whether the page holds more ink than specks of dust."""
    return int(_solid(_ink(gray)).sum()) >= _px(dpi, 1) ** 2 * 4


def _solid(ink: np.ndarray) -> np.ndarray:
    """Ink pixels with at least 5 inked pixels in their 3×3 neighbourhood: specks go, strokes
    two or more pixels wide stay (less their very ends).

    >>> m = np.zeros((6, 8), dtype=bool)
    >>> m[0:2, 0:2] = True  # a 2×2 speck
    >>> m[2:6, 5:7] = True  # a stroke two pixels wide
    >>> _solid(m).astype(int)[:, [0, 1, 5, 6]].tolist()
    [[0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 1, 1], [0, 0, 1, 1], [0, 0, 0, 0]]
    """
    padded = np.pad(ink, 1).astype(np.uint8)
    h, w = ink.shape
    count = sum(padded[dy : dy + h, dx : dx + w] for dy in range(3) for dx in range(3))
    return ink & (count >= 5)


def _without_tables(gray: Image.Image, tables: list[TableBox], dpi: float) -> Image.Image:
    """The page with its tables painted white: the rest is read as running text."""
    if not tables:
        return gray
    pixels = np.array(gray)
    margin = _px(dpi, 2)
    for g in (t.grid for t in tables):
        y0, y1 = max(0, round(g.ys[0]) - margin), round(g.ys[-1]) + margin + 1
        x0, x1 = max(0, round(g.xs[0]) - margin), round(g.xs[-1]) + margin + 1
        pixels[y0:y1, x0:x1] = 255
    return Image.fromarray(pixels, "L")


def _table(table: TableBox, page: int | None) -> Table:
    """The document's table: each cell's text (a label snapped to the form's, see
    :func:`parsers.forms.snap_label`) and the engine's confidence in it."""
    cells = []
    for b in table.cells:
        text = _block_text(_group_lines(b.words))
        conf = round(_mean_conf(b.words), 4) if b.words else None
        cells.append(Cell(snap_label(text) or text, b.r0, b.c0, b.r1 - b.r0, b.c1 - b.c0, conf))
    _label_by_order(cells)
    return Table(cells=cells, page=page, pages=[page] if page is not None else [])


_FIGURE = re.compile(r"\d[\d.,]*")


def _label_by_order(cells: list[Cell]) -> None:
    """Name a table 三 row whose label is too garbled to snap by its place among the rows that
    did (:func:`parsers.forms.labels_by_order`). A row's own label is its last cell before
    its first figure, one row high; rows without figures (headers) take no part."""
    rows: dict[int, list[Cell]] = {}
    for c in cells:
        rows.setdefault(c.row, []).append(c)
    own: list[Cell] = []
    for r in sorted(rows):
        line = sorted(rows[r], key=lambda c: c.col)
        first = next((i for i, c in enumerate(line) if _FIGURE.fullmatch(c.text.replace(" ", ""))), None)
        if first and line[first - 1].rowspan == 1:  # the cell before the first figure is none
            own.append(line[first - 1])
    labels = [c.text if c.text in TABLE3_ROWS else None for c in own]
    for cell, label in zip(own, labels_by_order(labels), strict=True):
        if label is not None:
            cell.text = label


# ----------------------------------------------------------------------------- reading cells


def _read_cells(
    crops: list[Image.Image], dpi: float, columns: list[tuple[int, int, int]] | None = None
) -> list[list[Word]]:
    """Each cell's words: Chinese for labels, a digits-only reading for numbers.

    Every cell is first read with ``chi_sim`` (one run for the page's cells). A cell that
    reads as no more than a number could be — digits, or the characters chi_sim makes of
    lone digits ("工", "里", "]", "l", "|", "O"), or nothing at all — is read again by the
    digit model: ``eng`` restricted to digits and the decimal point, as one line (one run
    for all such cells, enlarged to the ~30 px glyphs the model likes). Its reading is
    kept when it is a number: the model can only answer with digits, so a "1" is never
    "]" and an "O" is never a letter, without any table of replacements. In a column of
    numbers or a row of them (``columns``: each crop's table, row and column), a cell
    read as one or two Chinese characters ("11" as "虽") is a number too.
    """
    words = read_words(crops, dpi, True)
    texts = [re.sub(r"\s+", "", _text_of(ws)) for ws in words]
    places = columns or [(i, 0, 0) for i in range(len(crops))]
    keys = [(t, c) for t, _, c in places]  # a column of numbers (table 三) …
    rows = [(t, -1 - r) for t, r, _ in places]  # … or a row of them (table 四's one data row)
    numeric_cols = _number_columns(texts, keys) | _number_columns(texts, rows)
    numeric = [
        i
        for i, text in enumerate(texts)
        if _could_be_number(text)
        or (
            (keys[i] in numeric_cols or rows[i] in numeric_cols)
            and len(text) <= 4
            and len(_CJK.findall(text)) <= 2
        )
    ]
    readings = dict(zip(numeric, read_numbers([crops[i] for i in numeric], dpi), strict=True))
    for i, (text, conf) in readings.items():
        if texts[i].replace(".", "") == text and _NUMBER.match(texts[i]):
            continue  # the same digits, and chi_sim saw the decimal point the digit pass lost
        if _NUMBER.match(text):
            words[i] = [Word(text, 0.0, 0.0, float(crops[i].width), float(crops[i].height), conf)]
    return words


def read_numbers(crops: list[Image.Image], dpi: float) -> list[tuple[str, float]]:
    """(text, confidence 0–1) of each crop read by digit models: only digits and ".".

    Two digit models read every crop: Tesseract's ``eng`` with a digits whitelist (one
    line, enlarged 1.5× to the ~30 px glyphs it likes) and, when installed, RapidOCR's
    recogniser restricted to digits. Where they agree the reading stands; where they
    differ, Tesseract reads again at 2× and 3× and RapidOCR on the crop cut to the digits,
    and :func:`_vote` decides (a reading only one engine gives, or no majority, is kept as
    doubtful: confidence below 0.5). Each
    alone was measured to misread a few percent of cells (Tesseract a lone "1" as "4" or
    nothing, RapidOCR "3" as "8"), rarely the same cell.
    """
    if not crops:
        return []

    def tesseract(images: list[Image.Image], factor: float) -> list[tuple[str, float]]:
        words = read_words([_enlarged(c, factor) for c in images], dpi * factor, True, DIGITS)
        return [(_text_of(ws), min((w.conf for w in ws), default=0.0)) for ws in words]

    first = tesseract(crops, 1.5)
    second = rapid_digits(crops) if rapid_available() else [("", 0.0)] * len(crops)
    out = []
    for a, b in zip(first, second, strict=True):
        if a[0] == b[0] or not rapid_available():
            out.append((a[0], max(a[1], b[1])))
        else:
            out.append(("", -1.0))  # to be decided
    disputed = [i for i, r in enumerate(out) if r[1] < 0 or not _NUMBER.match(r[0])]
    if not disputed:
        return out
    # more readings of the disputed cells: Tesseract at two other scales (a lone "1" it reads
    # as "4" at 1.5× and 2× reads right at 3×) and RapidOCR on the crop cut to the digits
    again = [crops[i] for i in disputed]
    more = list(zip(tesseract(again, 2.0), tesseract(again, 3.0), strict=True))
    tight = rapid_digits(again, tight=True) if rapid_available() else [("", 0.0)] * len(again)
    for i, (t2, t3), g in zip(disputed, more, tight, strict=True):
        out[i] = _vote([(first[i], "t"), (second[i], "r"), (t2, "t"), (t3, "t"), (g, "r")], first[i])
    return out


def _vote(readings: list[tuple[tuple[str, float], str]], fallback: tuple[str, float]) -> tuple[str, float]:
    """The reading most readings agree on (two at least, more than any other); sure only
    when both engines are among them — one engine agreeing with itself at another scale
    may repeat its own mistake, so that reading is kept as doubtful (below 0.5).

    >>> four, one, none = ("4", 0.9), ("1", 0.99), ("", 0.0)
    >>> _vote([(four, "t"), (one, "r"), (four, "t"), (one, "t"), (one, "r")], four)
    ('1', 0.99)
    >>> _vote([(four, "t"), (one, "r"), (four, "t"), (four, "t"), (none, "r")], four)
    ('4', 0.45)
    """
    votes = [(text, conf, engine) for (text, conf), engine in readings if _NUMBER.match(text)]
    counts = {text: sum(1 for v in votes if v[0] == text) for text, _, _ in votes}
    ranked = sorted(counts.items(), key=lambda kv: -kv[1])
    if not ranked:
        return fallback
    best, n = ranked[0]
    if n < 2 or (len(ranked) > 1 and ranked[1][1] == n):
        first = votes[0]
        return first[0], min(first[1], 0.45)
    agreeing = [v for v in votes if v[0] == best]
    conf = max(v[1] for v in agreeing)
    return best, conf if len({v[2] for v in agreeing}) > 1 else min(conf, 0.45)


_DIGIT_CHARS = "0123456789."


@cache
def rapid_available() -> bool:
    """Whether RapidOCR (rapidocr-onnxruntime) can be used; ``NIANBAO_OCR_RAPID=0`` turns it off."""
    if os.environ.get("NIANBAO_OCR_RAPID", "1") == "0":
        return False
    try:
        import rapidocr_onnxruntime  # noqa: F401
    except ImportError:
        return False
    return True


@cache
def _rapid_recognizer() -> object:
    from rapidocr_onnxruntime import RapidOCR

    # one thread, like tesseract: the reparse runs one document per core
    return RapidOCR(intra_op_num_threads=1, inter_op_num_threads=1).text_rec


def _tight(crop: Image.Image) -> Image.Image:
    """The crop cut to its ink with a margin of a quarter of the ink's height: the
    recogniser scales a line to 48 px high, so the digits should fill it."""
    ink = np.asarray(crop) < 128
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    if not len(rows):
        return crop
    height = int(rows[-1] - rows[0]) + 1
    box = (int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1)
    # wide side margins: a short number needs enough time steps for "11" not to merge
    border = (height, max(4, height // 2))
    return ImageOps.expand(crop.crop(box), border=(border[0], border[1]) * 2, fill=255)


def rapid_digits(crops: list[Image.Image], tight: bool = False) -> list[tuple[str, float]]:
    """RapidOCR's text-line recogniser over the crops, its CTC output masked to digits.

    The model scores every character of its alphabet at every step; keeping only the
    blank and the digits (and ".") before decoding makes it a digit model: a stroke it
    would call "]" or "l" goes to the most likely digit, by the model's own scores.
    """
    rec = _rapid_recognizer()
    decode = rec.postprocess_op  # type: ignore[attr-defined]
    allowed = [0] + [i for i, ch in enumerate(decode.character) if ch in _DIGIT_CHARS]

    def digits_only(preds: np.ndarray, *args: object, **kwargs: object) -> list[tuple[str, float]]:
        masked = np.zeros_like(preds)
        masked[..., allowed] = preds[..., allowed]
        return decode(masked, *args, **kwargs)

    images = [np.ascontiguousarray(np.asarray((_tight(c) if tight else c).convert("RGB"))) for c in crops]
    rec.postprocess_op = digits_only  # type: ignore[attr-defined]
    try:
        results, _ = rec(images)  # type: ignore[operator]
    finally:
        rec.postprocess_op = decode  # type: ignore[attr-defined]
    return [(text, round(float(conf), 4)) for text, conf in results]


# what chi_sim makes of lone digits and of a cell's specks; anything else is text
_DIGIT_LOOKALIKES = set("0123456789.,，。:：;；|!?[]{}()（）<>〈〉“”‘’工里了丁口日目曰〇")
_PLACEHOLDER = re.compile(r"^[-－—―─一/／\\、.·…]+$")


def _number_columns(texts: list[str], keys: list[tuple[int, int]]) -> set[tuple[int, int]]:
    """The (table, column)s where most read cells are plain numbers.

    >>> sorted(_number_columns(["3", "12", "虽", "规章", "其他"], [(0, 1)] * 3 + [(0, 0)] * 2))
    [(0, 1)]
    """
    counts: dict[tuple[int, int], list[int]] = {}
    for text, key in zip(texts, keys, strict=True):
        seen = counts.setdefault(key, [0, 0])
        seen[0] += bool(_NUMBER.match(text))
        seen[1] += 1
    return {k for k, (n, total) in counts.items() if n >= 2 and 2 * n >= total}


def _could_be_number(text: str) -> bool:
    """Whether a cell's chi_sim reading may be a misread number (or a number unread).

    >>> [_could_be_number(t) for t in ("", "]2", "工", "3001", "——", "行政许可", "165.51万元")]
    [True, True, True, True, False, False, False]
    """
    text = re.sub(r"\s+", "", text)
    if _PLACEHOLDER.match(text):
        return False  # "——" or "/": printed for "none", never a digit
    return len(text) <= 12 and all(c in _DIGIT_LOOKALIKES or c.isascii() for c in text)


def _enlarged(image: Image.Image, factor: float) -> Image.Image:
    size = (round(image.width * factor), round(image.height * factor))
    return image.resize(size, Image.Resampling.LANCZOS)


def _scaled(word: Word, factor: float) -> Word:
    return Word(word.text, word.x0 * factor, word.y0 * factor, word.x1 * factor, word.y1 * factor, word.conf)


def _text_of(words: list[Word]) -> str:
    return "".join(w.text for w in words)


def _mean_conf(words: list[Word]) -> float:
    n = sum(len(w.text) for w in words)
    return sum(w.conf * len(w.text) for w in words) / n if n else 0.0


# ----------------------------------------------------------------------------- tesseract


def read_words(
    images: list[Image.Image], dpi: float, block: bool, languages: str = LANGUAGES
) -> list[list[Word]]:
    """The words of each image, by the OCR engine (:func:`tesseract_words`).

    ``block`` says the images are table cells (one block of lines each), not whole pages.
    Tests and benchmarks may replace this function to try another engine.
    """
    return tesseract_words(images, dpi, block, languages)


def tesseract_words(
    images: list[Image.Image], dpi: float, block: bool, languages: str = LANGUAGES
) -> list[list[Word]]:
    """Words with boxes and confidences from one ``tesseract … tsv`` run over all images.

    Several images go in as a list file (one process, the model loaded once); the run has
    :func:`page_timeout` seconds and one thread.
    """
    if not images:
        return []
    with tempfile.TemporaryDirectory(prefix="nianbao-ocr-") as tmp:
        paths = [Path(tmp) / f"{i:04d}.png" for i in range(len(images))]
        for path, image in zip(paths, images, strict=True):
            image.save(path, format="PNG")
        source = paths[0]
        if len(paths) > 1:
            source = Path(tmp) / "images.txt"
            source.write_text("".join(f"{p}\n" for p in paths), encoding="utf-8")
        if languages == DIGITS:
            mode = ["-l", "eng", "--psm", "7", "-c", "tessedit_char_whitelist=0123456789."]
        else:
            mode = ["-l", languages, "--psm", "6" if block else "3"]
        cmd = ["tesseract", str(source), "stdout", *mode, "--dpi", str(round(dpi)), "tsv"]
        # OMP_THREAD_LIMIT=1: tesseract's OpenMP threads make it several times *slower*
        env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
        timeout = page_timeout() * (1 if len(images) == 1 else 2)
        done = run_with_timeout(cmd, timeout=timeout, env=env)
    if done.returncode != 0:
        tail = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no message"]
        raise ParseError(f"tesseract failed (exit {done.returncode}): {tail[0]}")
    out: list[list[Word]] = [[] for _ in images]
    for number, word in parse_tsv(done.stdout.decode("utf-8", "replace")):
        if 1 <= number <= len(out):
            out[number - 1].append(word)
    return out


def parse_tsv(tsv: str) -> Iterator[tuple[int, Word]]:
    """(image number from 1, word) for the word rows (level 5) of tesseract's TSV output.

    >>> head = "\\t".join("level page block par line word left top width height conf text".split())
    >>> row = "\\t".join("5 1 1 1 1 1 10 20 30 25 96.5 公开".split())
    >>> list(parse_tsv(head + "\\n" + row + "\\n"))
    [(1, Word(text='公开', x0=10.0, y0=20.0, x1=40.0, y1=45.0, conf=0.965))]
    """
    for line in tsv.splitlines()[1:]:
        cols = line.split("\t")
        if len(cols) < 12 or cols[0] != "5":
            continue
        text = cols[11].strip()
        if not text:
            continue
        left, top, width, height = (float(v) for v in cols[6:10])
        conf = max(0.0, float(cols[10])) / 100
        yield int(cols[1]), Word(text, left, top, left + width, top + height, round(conf, 4))


# ----------------------------------------------------------------------------- text layout


def _group_lines(words: list[Word]) -> list[list[Word]]:
    """Words grouped into text lines, each line left to right."""
    return group_lines(words)


def _block_text(lines: list[list[Word]]) -> str:
    """Lines of one cell or paragraph joined (no separator next to Chinese)."""
    return cjk_punctuation(join_words(line_text(ln, OCR.space_gap) for ln in lines))


_HALF_TO_FULL = {",": "，", ":": "：", ";": "；", "?": "？", "!": "！"}
_PAREN_PAIR = re.compile(r"\(([^()（）]{1,60})\)")
_DOC_YEAR = re.compile(r"[\[【〔]((?:19|20)\d\d)[\]】〕]")


def cjk_punctuation(text: str) -> str:
    """Chinese punctuation where the engine read its ASCII look-alike.

    The chi_sim model often returns "," ":" "(" '"' for "，" "：" "（" "“"; next to Chinese
    (or around Chinese, for brackets) the full-width form is what was printed. A document
    number's year brackets are "〔2018〕". ASCII between Latin letters and digits stays.

    >>> cjk_punctuation('根据(聊政办字[2018]3号)要求,按照"阳光政务"的原则:1,000 (a)')
    '根据（聊政办字〔2018〕3号）要求，按照“阳光政务”的原则：1,000 (a)'
    """
    text = _DOC_YEAR.sub(r"〔\1〕", text)
    text = _PAREN_PAIR.sub(lambda m: f"（{m.group(1)}）" if _near_cjk(text, m) else m.group(0), text)
    chars = list(text)
    quote_open = True
    for i, ch in enumerate(chars):
        prev = chars[i - 1] if i else ""
        nxt = chars[i + 1] if i + 1 < len(chars) else ""
        beside_cjk = (prev and _is_cjk(prev)) or (nxt and _is_cjk(nxt))
        if ch in _HALF_TO_FULL and beside_cjk:
            chars[i] = _HALF_TO_FULL[ch]
        elif ch == '"' and beside_cjk:
            chars[i] = "“" if quote_open else "”"
            quote_open = not quote_open
        elif ch == "(" and nxt and _is_cjk(nxt):
            chars[i] = "（"
        elif ch == ")" and prev and _is_cjk(prev):
            chars[i] = "）"
    return "".join(chars)


def _near_cjk(text: str, m: re.Match[str]) -> bool:
    """Whether a bracketed part holds Chinese or stands next to it."""
    before = text[m.start() - 1] if m.start() else ""
    after = text[m.end()] if m.end() < len(text) else ""
    return any(_is_cjk(c) for c in m.group(1)) or any(c and _is_cjk(c) for c in (before, after))


@dataclass
class _Line:
    words: list[Word]
    x0: float
    y0: float
    x1: float
    y1: float
    size: float  # median character height
    bold: bool = False  # OCR does not tell

    @classmethod
    def of(cls, words: list[Word]) -> _Line:
        return cls(
            words,
            min(w.x0 for w in words),
            min(w.y0 for w in words),
            max(w.x1 for w in words),
            max(w.y1 for w in words),
            median(w.height for w in words),
        )


def layout(
    words: list[Word], tables: list[TableBox], page: int | None = None, size: tuple[int, int] | None = None
) -> OcrResult:
    """Blocks (from the page's running-text words) and tables, in reading order; with the
    page's ``size``, the tables that may go on over a page break (:class:`_Edge`)."""
    made = [(t, _table(t, page)) for t in tables]
    items: list[tuple[float, Block | Table]] = [(t.grid.ys[0], table) for t, table in made]
    # a scan's mottled margin read as a "line" of characters: tesseract is sure of none of them
    lines = [_Line.of(ws) for ws in _group_lines(words) if _mean_conf(ws) >= NOISE_LINE_CONF]
    body = median(ln.size for ln in lines) if lines else 0.0
    for para in paragraphs(lines, OCR, em=body):
        text = _block_text([ln.words for ln in para])
        if text:
            kind: BlockKind = "heading" if is_heading(text, para, body, OCR) else "paragraph"
            items.append((para[0].y0, Block(text, kind=kind, page=page)))
    items.sort(key=lambda it: it[0])
    every = words + [w for t in tables for b in t.cells for w in b.words]
    n_chars = sum(len(w.text) for w in every)
    conf = sum(w.conf * len(w.text) for w in every) / n_chars if n_chars else None
    result = OcrResult([item for _, item in items], conf, n_chars)
    if size and made:
        result.open_start, result.open_end = _page_edges([it for _, it in items], made, size)
    return result


_PAGE_MARK = re.compile(r"[-—–第页共/\s\d]{1,12}")  # "- 5 -", "第5页 共9页": running heads and feet


def _page_edges(
    items: list[Block | Table], made: list[tuple[TableBox, Table]], size: tuple[int, int]
) -> tuple[_Edge | None, _Edge | None]:
    """The page's first table if nothing but a page mark (or a scrap) comes before it and it
    starts in the page's upper part, and its last table if the same holds after it, in the
    lower part."""
    width, height = size
    box = {id(table): t for t, table in made}
    # a page mark, or a scrap of a few characters (specks in a margin read as "吕", "YY")
    content = [
        it
        for it in items
        if not (
            isinstance(it, Block) and (_PAGE_MARK.fullmatch(it.text) or len(re.sub(r"\s", "", it.text)) < 4)
        )
    ]

    def edge(item: Block | Table, upper: bool) -> _Edge | None:
        if not isinstance(item, Table):
            return None
        g = box[id(item)].grid
        if (g.ys[0] > 0.4 * height) if upper else (g.ys[-1] < 0.6 * height):
            return None
        return _Edge(item, [x / width for x in g.xs])

    if not content:
        return None, None
    return edge(content[0], True), edge(content[-1], False)


# ----------------------------------------------------------------------------- images


def open_image(data: bytes) -> Image.Image:
    """Open image bytes lazily, refusing a pixel bomb *before* anything is decoded."""
    try:
        with warnings.catch_warnings():  # a big image is refused below, not warned about
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
    except Image.DecompressionBombError as exc:
        raise ParseError(f"image bomb: {exc}") from exc
    except (OSError, SyntaxError, ValueError) as exc:
        raise ParseError(f"corrupt image: Pillow cannot read it ({exc})") from exc
    if image.width * image.height > MAX_PIXELS:
        raise ParseError(
            f"image too large: {image.width}×{image.height} pixels declared (max {MAX_PIXELS:,})"
        )
    return image


def image_pages(image: Image.Image, max_pages: int = OCR_MAX_PAGES) -> Iterator[Image.Image]:
    """Each frame (a multi-page TIFF's pages) decoded, EXIF rotation applied."""
    n = getattr(image, "n_frames", 1)
    if n > max_pages:
        raise ParseError(f"image has too many pages for OCR: {n} (max {max_pages})")
    for i in range(n):
        try:
            image.seek(i)
            if image.width * image.height > MAX_PIXELS:
                raise ParseError(f"image page {i + 1} too large: {image.width}×{image.height}")
            frame = image.copy()  # decodes this frame
            frame = ImageOps.exif_transpose(frame) or frame
        except ParseError:
            raise
        except Image.DecompressionBombError as exc:
            raise ParseError(f"image bomb: {exc}") from exc
        except (OSError, SyntaxError, ValueError, EOFError) as exc:
            raise ParseError(f"corrupt image: page {i + 1} cannot be decoded ({exc})") from exc
        yield frame


def image_dpi(image: Image.Image) -> float | None:
    """The resolution the file declares, if any."""
    dpi = image.info.get("dpi")
    try:
        value = float(dpi[0]) if dpi else None
    except (TypeError, ValueError, IndexError):
        return None
    return value if value and value > 0 else None
