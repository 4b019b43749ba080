"""The running text of a born-digital PDF: characters outside tables → lines → paragraphs.

1. Characters are grouped into lines and lines into **paragraphs** by :mod:`parsers.layout`
   with the PDF's rules (:data:`parsers.layout.PDF`): a gap, a change of font size or
   weight, a first-line indent or a short previous line starts a new one; two centred
   title lines in the same large font stay one.
2. A line's size is the em width of its CJK characters; it is **bold** when both ends are
   in a bold weight or fake bold (fill + stroke), or in a bold-looking font that is not the
   body font. Short paragraphs in a larger or bold font are **headings**.
3. Page numbers in the top and bottom margins are dropped.
4. Paragraphs and tables are put in reading order; a paragraph whose last line is full
   continues on the next page unless that page's first line is indented or in another font.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from statistics import median

import pypdfium2 as pdfium

from parsers.document import Block, BlockKind, Table
from parsers.formats._pdfpage import Char, Page, char_style
from parsers.formats._pdftables import Part, table_from_part
from parsers.layout import (
    PDF,
    is_heading,
    line_text,
    margins,
    paragraphs,
    starts_paragraph,
)
from vocabulary import is_cjk, join_words

# A page-number line: "- 3 -", "3", "第3页", "第 3 页 共 6 页", "3/6".
_PAGE_NUMBER = re.compile(
    r"^[-－—–\s]*(?:第\s*)?\d{1,4}\s*(?:页)?\s*(?:(?:/|共)\s*\d{1,4}\s*页?)?[-－—–\s]*$"
)
_BOLD_FONT = re.compile(r"bold|heavy|black|hei|黑|标宋|xbs|xiaobiaosong", re.IGNORECASE)


@dataclass(slots=True)
class Line:
    """A text line outside tables, with what decides paragraphs and headings."""

    text: str
    x0: float
    y0: float  # top
    x1: float
    y1: float  # bottom
    size: float  # font size (em width of its CJK characters)
    font: str  # font name at both ends of the line ("" when they differ)
    heavy: bool  # bold weight or fake bold (fill + stroke) at both ends
    n_chars: int
    bold: bool = False  # heavy, or a bold-looking font that is not the body font


@dataclass
class _Para:
    """A paragraph's lines and the page it starts on."""

    lines: list[Line]
    page: int


def make_line(chars: list[Char], textpage: pdfium.PdfTextPage) -> Line | None:
    """A line of characters with its box, size and font, or None when it is only spaces."""
    # Leading spaces (U+3000 indents) must not hide the indent: measure glyphs only.
    glyphs = [c for c in chars if c.text != " "]
    if not glyphs:
        return None
    first, last = char_style(textpage, glyphs[0].index), char_style(textpage, glyphs[-1].index)
    return Line(
        text=line_text(chars, PDF.space_gap),
        x0=min(c.x0 for c in glyphs),
        y0=min(c.y0 for c in glyphs),
        x1=max(c.x1 for c in glyphs),
        y1=max(c.y1 for c in glyphs),
        size=_font_size(glyphs),
        # Both ends count: a bold heading, not a paragraph with a bold lead-in.
        font=first[0] if first[0] == last[0] else "",
        heavy=first[1] and last[1],
        n_chars=len(glyphs),
    )


def _font_size(chars: list[Char]) -> float:
    """A line's font size: the advance of its CJK characters (square, one em wide).

    Loose box heights follow each font's ascent and descent, so a bold or Latin run in
    the same 16 pt line looks taller; lines without CJK fall back on the box height.
    """
    cjk = [c.x1 - c.x0 for c in chars if is_cjk(c.text)]
    if cjk:
        return median(cjk)
    return median(c.y1 - c.y0 for c in chars) / 1.2


def mark_bold(pages: list[Page]) -> None:
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


def is_page_furniture(line: Line, page_height: float) -> bool:
    """A page number in the top or bottom margin."""
    in_margin = line.y0 > 0.85 * page_height or line.y1 < 0.15 * page_height
    return in_margin and bool(_PAGE_NUMBER.match(line.text))


def body_size(pages: list[Page]) -> float:
    """The most common font size, weighted by characters: the body text's size."""
    weights: dict[float, int] = {}
    for page in pages:
        for ln in page.lines:
            key = round(ln.size, 0)
            weights[key] = weights.get(key, 0) + ln.n_chars
    return max(weights, key=weights.__getitem__) if weights else 0.0


def _paragraphs(lines: list[Line], page: Page, left: float, right: float, body_size: float) -> list[_Para]:
    """A run of lines between tables as paragraphs, within the page's text edges."""

    def together(prev: Line, line: Line) -> bool:
        return _is_title_continuation(prev, line, body_size)

    groups = paragraphs(lines, PDF, together=together, edges=(left, right))
    return [_Para(group, page.number) for group in groups]


def _is_title_continuation(prev: Line, line: Line, body_size: float) -> bool:
    """Two centred title lines in the same large font are one heading."""
    same_font = abs(prev.size - line.size) <= 0.05 * prev.size and prev.bold == line.bold
    close = line.y0 - prev.y1 <= 0.8 * line.size
    centred = abs((prev.x0 + prev.x1) / 2 - (line.x0 + line.x1) / 2) <= line.size
    return same_font and close and centred and prev.size >= 1.25 * body_size


def _kind(para: _Para, body_size: float) -> BlockKind:
    return "heading" if is_heading(_para_text(para), para.lines, body_size, PDF) else "paragraph"


def _para_text(para: _Para) -> str:
    return join_words(ln.text for ln in para.lines)


def _margins(page: Page) -> tuple[float, float]:
    """Left and right edges of the page's text (ignoring a few overhanging lines)."""
    return margins([ln for ln in page.lines if ln.n_chars >= 4] or page.lines, PDF)


def _page_items(page: Page, body_size: float) -> list[_Para | Part]:
    """The page's paragraphs and tables in reading order (top to bottom)."""
    left, right = _margins(page)
    items: list[_Para | Part] = []
    pending: list[Line] = []
    lines = sorted(page.lines, key=lambda ln: ln.y0)
    parts = sorted(page.parts, key=lambda p: p.top if p.pages[0] == page.number else -1)
    li = 0
    for part in parts:
        part_top = part.top if part.pages[0] == page.number else -1.0
        while li < len(lines) and lines[li].y0 < part_top:
            pending.append(lines[li])
            li += 1
        items += _paragraphs(pending, page, left, right, body_size)
        pending = []
        items.append(part)
    items += _paragraphs(lines[li:], page, left, right, body_size)
    return items


def _continues_paragraph(prev: _Para, prev_page: Page, nxt: _Para, page: Page) -> bool:
    """A paragraph running over a page break: its last line is full and the first line on
    the next page is neither indented nor in another font."""
    # The vertical gap test cannot fire across pages (the next line starts near the top).
    left, right = _margins(page)[0], _margins(prev_page)[1]
    return not starts_paragraph(prev.lines[-1], nxt.lines[0], left, right, PDF)


def assemble(pages: list[Page], body_size: float) -> list[Block | Table]:
    """The document's blocks and tables in reading order, paragraphs joined across pages."""
    items: list[_Para | Part] = []
    seen: set[int] = set()
    for prev_page, page in zip([None, *pages], pages, strict=False):
        for k, item in enumerate(_page_items(page, body_size)):
            if isinstance(item, Part):
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
        if isinstance(item, Part):
            content.append(table_from_part(item))
        else:
            kind = _kind(item, body_size)
            content.append(Block(_para_text(item), kind=kind, page=item.page))
    return content
