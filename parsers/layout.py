"""Text layout shared by the PDF text layer and OCR: boxes → lines → paragraphs → blocks.

Both give boxes with text on a page, y growing downwards (:class:`Box`): PDFium one per
character (the document's own spaces as ``" "`` boxes), Tesseract one per word. The rules
are one; the numbers differ by source (:data:`PDF`, :data:`OCR`), because the boxes measure
different things: a PDF box is the font's advance box (line height ≈ 1.2 em), a Tesseract
box is the word's ink, and a PDF line's size is its exact font size while an OCR line's is a
noisy ink height, so OCR measures against the page's body size instead.

1. **Lines**: a box joins the line it overlaps most, vertically by more than half the
   smaller height, of the last three lines begun (boxes taken by their centres, top to
   bottom: a skewed scan's lines interleave); each line reads left to right, lines top to
   bottom.
2. **Line text**: a space where the document has one, and for a gap wider than
   ``space_gap`` × the line's median box height, but never between two CJK characters nor,
   for a gap, next to one. A box printed twice at (almost) the same place (fake bold) counts
   once.
3. **Wrapped lines** join with nothing next to CJK, a space between words
   (:func:`vocabulary.join_words`). CJK is :func:`vocabulary.is_cjk`.
4. **Paragraphs**: a blank gap, a change of size or weight, a first-line indent or a
   previous line stopping short of the right margin starts a new one; the margins are
   percentiles of the lines' starts and ends.
5. **Headings**: a short paragraph (few lines, few characters, no closing punctuation) in
   a font clearly larger than the body's, or mostly bold.

>>> from types import SimpleNamespace as Box
>>> line = [Box(text=t, x0=x, y0=0, x1=x + w, y1=12) for t, x, w in
...         [("2017", 0, 24), ("年", 25, 12), ("www.gov.cn", 50, 60), ("is", 115, 12), ("“", 128, 12)]]
>>> line_text(line, PDF.space_gap)
'2017年www.gov.cn is“'
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from statistics import median
from typing import Protocol, TypeVar

import numpy as np

from vocabulary import is_cjk


class Box(Protocol):
    """A character or word with its box on the page (y down)."""

    text: str
    x0: float
    y0: float
    x1: float
    y1: float


class LineBox(Protocol):
    """A text line's box, its font size and weight."""

    x0: float
    y0: float
    x1: float
    y1: float
    size: float
    bold: bool


B = TypeVar("B", bound=Box)
L = TypeVar("L", bound=LineBox)

_LOOKBACK = 3  # lines a box may join: a skewed scan's lines interleave


@dataclass(frozen=True, slots=True)
class Rules:
    """The thresholds of one source of boxes; sizes are multiples of a font size."""

    space_gap: float  # a gap wider than this × the median box height is a space
    para_gap: float  # a vertical gap wider than this starts a paragraph …
    para_size: float  # … as does a size change larger than this,
    para_indent: float  # an indent deeper than this,
    para_short: float  # or a previous line ending this far short of the right margin
    heading_lines: int  # a heading has at most this many lines,
    heading_chars: int  # characters,
    heading_size: float  # and a size at least this × the body's (or is bold),
    closers: tuple[str, ...]  # and does not end with one of these
    margin_left: float  # percentile of line starts that is the left margin
    margin_method: str  # numpy percentile method ("lower": a real line's edge)


# PDF characters: loose boxes are ~1.2 em high, so a gap of 0.15 of that is a space; a line's
# size is its exact font size, the unit of the paragraph rules; the left margin is the
# leftmost start of a line.
PDF = Rules(
    space_gap=0.15,
    para_gap=1.0, para_size=0.15, para_indent=1.0, para_short=3.0,
    heading_lines=2, heading_chars=60, heading_size=1.15, closers=("。", "；", "，", ";", ","),
    margin_left=0, margin_method="lower",
)  # fmt: skip

# Tesseract words: boxes are ink (~0.9 em), so a space needs a wider gap; word heights are
# noisy, so paragraphs are measured against the page's body size and the left margin is the
# 10th percentile of line starts.
OCR = Rules(
    space_gap=0.25,
    para_gap=0.9, para_size=0.25, para_indent=1.2, para_short=2.0,
    heading_lines=1, heading_chars=40, heading_size=1.25, closers=(),
    margin_left=10, margin_method="linear",
)  # fmt: skip


# ----------------------------------------------------------------------------- lines


def group_lines(boxes: Sequence[B]) -> list[list[B]]:
    """Boxes grouped into text lines (rule 1), each left to right, top to bottom.

    >>> from types import SimpleNamespace as Box
    >>> boxes = [Box(text=t, x0=x, y0=y, x1=x + 10, y1=y + 10) for t, x, y in
    ...          [("b", 12, 21), ("c", 0, 40), ("a", 0, 20), ("d", 12, 39)]]
    >>> [[b.text for b in line] for line in group_lines(boxes)]
    [['a', 'b'], ['c', 'd']]
    """
    lines: list[list[B]] = []
    bands: list[tuple[float, float]] = []  # each line's top and bottom
    for b in sorted(boxes, key=lambda b: (b.y0 + b.y1, b.x0)):
        y0, y1 = b.y0, b.y1
        best, best_ratio = -1, 0.5
        for i in range(len(lines) - 1, max(-1, len(lines) - 1 - _LOOKBACK), -1):
            top, bottom = bands[i]
            overlap = min(bottom, y1) - max(top, y0)
            if overlap > 0:
                ratio = overlap / max(1.0, min(bottom - top, y1 - y0))
                if ratio > best_ratio:
                    best, best_ratio = i, ratio
                    if ratio >= 1.0:
                        break  # fully inside: no line can overlap more
        if best < 0:
            lines.append([b])
            bands.append((y0, y1))
        else:
            lines[best].append(b)
            top, bottom = bands[best]
            bands[best] = (min(top, y0), max(bottom, y1))
    for line in lines:
        line.sort(key=lambda b: b.x0)
    order = sorted(range(len(lines)), key=lambda i: bands[i][0])
    return [lines[i] for i in order]


def line_text(line: Sequence[Box], space_gap: float) -> str:
    """A line's text (rule 2)."""
    glyphs = [b for b in line if b.text != " "]
    if not glyphs:
        return ""
    height = median(b.y1 - b.y0 for b in glyphs)
    out: list[str] = []
    prev: Box | None = None
    spaced = False  # a space box lies between prev and the current box
    for b in line:
        if b.text == " ":
            spaced = prev is not None
            continue
        if prev is not None:
            if b.text == prev.text and b.x0 - prev.x0 < 0.5 * (prev.x1 - prev.x0):
                continue  # overprinted duplicate
            wide_gap = b.x0 - prev.x1 > space_gap * height
            if spaced or wide_gap:
                left, right = is_cjk(prev.text[-1]), is_cjk(b.text[0])
                if (spaced and not (left and right)) or (wide_gap and not (left or right)):
                    out.append(" ")
        out.append(b.text)
        prev, spaced = b, False
    return "".join(out)


# ----------------------------------------------------------------------------- paragraphs


def margins(lines: Sequence[LineBox], rules: Rules) -> tuple[float, float]:
    """Left and right edges of the text: percentiles of line starts and of line ends (the
    90th, so that a few overhanging lines do not count)."""
    if not lines:
        return 0.0, 0.0
    method = rules.margin_method
    left = np.percentile([ln.x0 for ln in lines], rules.margin_left, method=method)  # type: ignore[call-overload]
    right = np.percentile([ln.x1 for ln in lines], 90, method=method)  # type: ignore[call-overload]
    return float(left), float(right)


def starts_paragraph(
    prev: LineBox, line: LineBox, left: float, right: float, rules: Rules, em: float | None = None
) -> bool:
    """Whether ``line`` starts a new paragraph after ``prev`` (rule 4). Sizes are the lines'
    own font sizes, or ``em`` for all when the lines' sizes are too noisy to be the unit."""
    size = em or max(prev.size, line.size)
    if line.y0 - prev.y1 > rules.para_gap * size:
        return True  # a blank gap
    if abs(prev.size - line.size) > rules.para_size * size or prev.bold != line.bold:
        return True  # a heading and its text
    if line.x0 - left > rules.para_indent * (em or line.size):
        return True  # first-line indent
    return right - prev.x1 > rules.para_short * (em or prev.size)  # the previous line stopped short


def paragraphs(
    lines: Sequence[L],
    rules: Rules,
    em: float | None = None,
    together: Callable[[L, L], bool] | None = None,
    edges: tuple[float, float] | None = None,
) -> list[list[L]]:
    """Lines (top to bottom) grouped into paragraphs (rule 4) within the ``edges`` of the
    text (default: the lines' :func:`margins`). ``together(prev, line)`` keeps two lines in
    one paragraph whatever rule 4 says."""
    left, right = edges or margins(lines, rules)
    paras: list[list[L]] = []
    for line in lines:
        if paras:
            prev = paras[-1][-1]
            kept = together is not None and together(prev, line)
            if kept or not starts_paragraph(prev, line, left, right, rules, em):
                paras[-1].append(line)
                continue
        paras.append([line])
    return paras


def is_heading(text: str, lines: Sequence[LineBox], body: float, rules: Rules) -> bool:
    """Whether a paragraph is a heading (rule 5)."""
    if len(lines) > rules.heading_lines or len(text) > rules.heading_chars or text.endswith(rules.closers):
        return False
    size = median(ln.size for ln in lines)
    return size >= rules.heading_size * body or sum(ln.bold for ln in lines) * 2 >= len(lines)
