"""Tables whose ruling lines are missing, rebuilt from where the OCR'd words sit.

A borderless table, one with only horizontal rules, or one whose faint rules the scan lost
has no grid for :func:`parsers.ocr.find_tables`; tesseract then reads it as running text,
and its figures land under no key. Here the page's words (with their boxes) give it back:

1. **rows**: words clustered into lines (a word joins the line its middle lies on);
2. **figure rows**: lines with a figure (what page OCR makes of one: digits or Latin
   look-alikes, never Chinese) and at least two segments (runs of words split by a gap
   wider than a character); a table is a run of them less than MAX_GAP characters apart
   with no section heading between (rows of blanks and section rows may sit between), with
   the header lines just above;
3. **columns**: the vertical ink projection over the figure rows: a column gutter is an
   ink-free band crossing every one of them (flush-left figures move the boundary to
   their left edge). When the text says which form's table it is, the form's number of
   figure columns is expected (table 三: 7, table 四: 15); a projection that finds fewer
   (two figures run together) splits its widest columns;
4. **rows**: the horizontal ink projection over the figure columns (a label wrapped over
   lines, or the vertical "三、本年度办理结果", cannot split or join rows there), plus the
   lines with ink only elsewhere (a row of blanks, a section row) and the header's lines;
5. **cells**: in a row without figures a text crossing a column boundary with no gap near
   it spans both columns; a figure row has one cell per column.

The result is the same :class:`parsers.grid.Grid` the ruling lines give, so the cells are
cropped and read exactly as a ruled table's (digit models, form sums).

>>> from parsers.ocr import Word
>>> words = [Word("规章", 0, 0, 60, 20, 0.9), Word("5", 200, 0, 210, 20, 0.9), Word("3", 300, 0, 310, 20, 1)]
>>> [[w.text for w in s] for s in _segments(words, 20)]
[['规章'], ['5'], ['3']]
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import pairwise
from statistics import median
from typing import TYPE_CHECKING

import numpy as np

from parsers.grid import Grid, merged_cells

if TYPE_CHECKING:
    from parsers.ocr import Word

# what page OCR makes of a figure: digits, or Latin letters and signs (chi_sim reads "0" as
# "O", "00" as "OO", "95" as "9095"); never a Chinese character
_FIGURE = re.compile(r"^[\x21-\x7e〇]{1,8}$")


def _is_figure(segment: list[Word]) -> bool:
    return bool(_FIGURE.match("".join(w.text for w in segment)))


_HEADING = re.compile(r"^[一二三四五六七八九十]+、")
# which statutory table the words are, and how many figure columns its form has
_FORM_COLUMNS = [
    (re.compile(r"行政复议.*行政诉讼|未经复议|复议后起诉"), 15),
    (re.compile(r"新收|上年结转|本年度办理结果|不予公开|自然人"), 7),
]
MAX_GAP = 12.0  # characters between two figure rows of one table (rows of blanks, section rows)
MAX_HEADER = 6  # header lines taken above a table's first figure row


@dataclass
class _Line:
    words: list[Word]
    segments: list[list[Word]]

    @property
    def y0(self) -> float:
        return min(w.y0 for w in self.words)

    @property
    def y1(self) -> float:
        return max(w.y1 for w in self.words)

    @property
    def cy(self) -> float:
        return (self.y0 + self.y1) / 2

    @property
    def text(self) -> str:
        return "".join(w.text for w in self.words)

    @property
    def figures(self) -> int:
        return sum(1 for s in self.segments if _is_figure(s))


@dataclass
class AlignedTable:
    """A table rebuilt from word positions: its grid, cells (row/column spans) and box."""

    grid: Grid
    areas: list[tuple[int, int, int, int]]
    box: tuple[float, float, float, float]  # x0, y0, x1, y1 in page pixels


def baseline_lines(words: list[Word]) -> list[list[Word]]:
    """Words clustered into lines: a word joins the line whose middle is within half a
    character's height of its own middle (a "、" and a "一" sit on the line, though their
    boxes are small), each line left to right, lines top to bottom.

    >>> from parsers.ocr import Word
    >>> ws = [Word("a", 0, 0, 10, 20, 1), Word("b", 50, 4, 60, 21, 1), Word("c", 0, 40, 10, 60, 1)]
    >>> [[w.text for w in ln] for ln in baseline_lines(ws)]
    [['a', 'b'], ['c']]
    """
    if not words:
        return []
    size = median(w.height for w in words)
    lines: list[list[Word]] = []
    for w in sorted(words, key=lambda w: w.cy):
        if lines and abs(median(x.cy for x in lines[-1]) - w.cy) <= size / 2:
            lines[-1].append(w)
        else:
            lines.append([w])
    return [sorted(ln, key=lambda w: w.x0) for ln in lines]


def _segments(line: list[Word], size: float) -> list[list[Word]]:
    """A line's words in runs split by gaps wider than a character (``size``)."""
    out: list[list[Word]] = []
    for w in sorted(line, key=lambda w: w.x0):
        if out and w.x0 - max(x.x1 for x in out[-1]) <= size:
            out[-1].append(w)
        else:
            out.append([w])
    return out


def _runs(lines: list[_Line], size: float) -> list[tuple[int, int]]:
    """(first, last) line index of each run of figure rows: rows less than MAX_GAP
    characters apart (a section row of table 二 or a wrapped label may sit between, a
    heading may not)."""
    rows = [i for i, ln in enumerate(lines) if _is_figure_row(ln)]
    runs: list[list[int]] = []
    for i in rows:
        last = runs[-1][-1] if runs else -1
        between = lines[last + 1 : i]
        if (
            runs
            and lines[i].y0 - lines[last].y1 <= MAX_GAP * size
            and not any(_is_heading(ln) for ln in between)
        ):
            runs[-1].append(i)
        else:
            runs.append([i])
    return [(r[0], r[-1]) for r in runs if sum(lines[i].figures for i in r) >= 6]


def _is_heading(line: _Line) -> bool:
    """A section heading ("三、收到和处理…"): a table's rows never run across one."""
    first = "".join(w.text for w in line.segments[0]).lstrip("|!'‘“ ")
    return not line.figures and bool(_HEADING.match(first))


def _header_start(lines: list[_Line], first: int, size: float) -> int:
    """The first header line above a table's first figure row (a heading stops it)."""
    start = first
    while start > 0 and first - start < MAX_HEADER:
        above = lines[start - 1]
        if above.y1 < lines[start].y0 - 2 * size or _is_heading(above):
            break
        start -= 1
    return start


def _bands(profile: np.ndarray, least: int, join: int) -> list[tuple[int, int]]:
    """(start, end) of the runs of True in ``profile``, runs less than ``join`` apart joined,
    runs shorter than ``least`` dropped.

    >>> _bands(np.array([0, 1, 1, 0, 1, 1, 0, 0, 0, 1, 0], dtype=bool), 2, 1)
    [(1, 6)]
    """
    padded = np.concatenate([[False], profile, [False]]).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    runs: list[list[int]] = []
    for start, end in zip(edges[0::2].tolist(), edges[1::2].tolist(), strict=True):
        if runs and start - runs[-1][1] <= join:
            runs[-1][1] = end
        else:
            runs.append([start, end])
    return [(a, b) for a, b in runs if b - a >= least]


def _gutters(used: np.ndarray, least: int) -> list[float]:
    """Midpoints of the inner runs of False at least ``least`` long."""
    gaps = _bands(~used, least, 0)
    return [(a + b) / 2 for a, b in gaps if a > 0 and b < len(used)]


def _split_widest(xs: list[float], want: int) -> list[float]:
    """Boundaries with the widest columns halved until there are ``want`` columns.

    >>> _split_widest([0.0, 10.0, 30.0], 3)
    [0.0, 10.0, 20.0, 30.0]
    """
    xs = sorted(xs)
    while len(xs) - 1 < want:
        i = max(range(len(xs) - 1), key=lambda k: xs[k + 1] - xs[k])
        xs.insert(i + 1, (xs[i] + xs[i + 1]) / 2)
    return xs


def _form_columns(text: str) -> int | None:
    return next((n for pattern, n in _FORM_COLUMNS if pattern.search(text)), None)


def align_tables(words: list[Word], ink: np.ndarray, size_px: float | None = None) -> list[AlignedTable]:
    """Tables found in the page's running-text words (``ink``: the page's ink mask, without
    rules); each as a grid with its merged cells."""
    if not words:
        return []
    size = size_px or median(w.height for w in words)
    lines = [_Line(ln, _segments(ln, size)) for ln in baseline_lines(words)]
    tables = []
    for first, last in _runs(lines, size):
        start = _header_start(lines, first, size)
        table = _build(lines[start : last + 1], lines[first : last + 1], ink, size)
        if table is not None:
            tables.append(table)
    return tables


def _is_figure_row(line: _Line) -> bool:
    return bool(line.figures) and len(line.segments) >= 2


def _build(rows: list[_Line], body: list[_Line], ink: np.ndarray, size: float) -> AlignedTable | None:
    """The grid of one table: columns from the ink of its figure lines, rows from the ink of
    its figure columns (a label wrapped over lines, or the vertical "三、本年度办理结果" in a
    column of its own, cannot split or join rows there), header rows from all of its ink."""
    data = [ln for ln in body if _is_figure_row(ln)]
    x0 = max(0, int(min(w.x0 for ln in rows for w in ln.words) - size / 4))
    x1 = min(ink.shape[1], int(max(w.x1 for ln in rows for w in ln.words) + size / 4) + 1)
    top, bottom = int(min(ln.y0 for ln in body) - size / 2), int(max(ln.y1 for ln in body) + size / 2)
    head = max(0, int(min(ln.y0 for ln in rows) - size / 4))
    top, bottom = max(head, top), min(ink.shape[0], bottom)
    area = ink[:, x0:x1]
    used = np.zeros(x1 - x0, dtype=bool)
    for ln in data:
        used |= area[max(0, int(ln.y0)) : int(ln.y1) + 1].sum(axis=0) >= 2
    xs = [float(x) for x in [0, *_gutters(used, max(2, round(size / 2))), x1 - x0]]
    # the figure columns start at the first column that is mostly figures (chi_sim reads
    # many a lone "0" as a Chinese character, so the columns after it are not all "mostly")
    mostly = [_figure_column(data, x0 + a, x0 + b) for a, b in pairwise(xs)]
    if not any(mostly):
        return None
    first_fig = mostly.index(True)
    want = _form_columns("".join(ln.text for ln in rows))
    if want and len(xs) - 1 - first_fig < want:  # two columns' figures ran together
        xs = xs[:first_fig] + _split_widest(xs[first_fig:], want)
    xs = _left_aligned(xs, data, x0, size)
    if len(xs) < 3:
        return None
    # rows: ink bands across the figure columns (figures sit one per line) …
    fig_x0 = round(xs[first_fig])
    least, join = max(2, round(size * 0.4)), round(size * 0.3)
    bands = [(top + a, top + b) for a, b in _bands(area[top:bottom, fig_x0:].sum(axis=1) >= 2, least, join)]
    # … plus the lines with no figure beside them (a row of blank cells, a section row)
    whole = [(top + a, top + b) for a, b in _bands(area[top:bottom].sum(axis=1) >= 2, least, join)]
    bands = sorted(bands + [w for w in whole if not any(w[0] < b[1] and b[0] < w[1] for b in bands)])
    # … and, above them, the header's bands across the whole table
    if head < top:
        header = _bands(area[head:top].sum(axis=1) >= 2, least, join)
        bands = [(head + a, head + b) for a, b in header] + bands
    if len(bands) < 2:
        return None
    ys = [bands[0][0] - size / 4]
    ys += [(b0[1] + b1[0]) / 2 for b0, b1 in pairwise(bands)]
    ys.append(bands[-1][1] + size / 4)
    # spans: in a row without figures (a header, a section row) a text crossing a column
    # boundary makes one cell of the columns it covers
    v_edges = [[True] * len(bands) for _ in xs]
    centres = [w.cy for ln in data for s in ln.segments if _is_figure(s) for w in s]
    for r, (a, b) in enumerate(bands):
        if any(a <= c <= b for c in centres):
            continue
        # a text crossing a column boundary with no gap near it (a quarter character of
        # paper within a character of the boundary) spans both columns; two headers
        # printed close together keep their gap
        inked = area[a:b].sum(axis=0) >= 1
        for k in range(1, len(xs) - 1):
            lo, hi = max(0, round(xs[k] - size)), min(len(inked), round(xs[k] + size))
            gaps = _bands(~inked[lo:hi], max(1, round(size / 4)), 0)
            if not gaps and inked[lo:hi].any():
                v_edges[k][r] = False
    grid = Grid([x0 + x for x in xs], ys, [[True] * (len(xs) - 1) for _ in ys], v_edges)
    return AlignedTable(grid, merged_cells(grid), (grid.xs[0], ys[0], grid.xs[-1], ys[-1]))


def _left_aligned(xs: list[float], data: list[_Line], x0: int, size: float) -> list[float]:
    """Boundaries moved to just left of a column whose figures are printed flush left (their
    left edges agree, their right edges do not): its header, as wide as the column, then
    stays inside it."""
    out = list(xs)
    for k in range(1, len(xs) - 1):
        boxes = [
            (min(w.x0 for w in seg) - x0, max(w.x1 for w in seg) - x0)
            for ln in data
            for seg in ln.segments
            if _is_figure(seg) and xs[k] <= _centre(seg) - x0 < xs[k + 1]
        ]
        lefts, rights = [b[0] for b in boxes], [b[1] for b in boxes]
        if len(boxes) >= 2 and max(lefts) - min(lefts) < size / 3 and max(rights) - min(rights) > size:
            out[k] = max(xs[k - 1] + 1, min(lefts) - size / 3)
    return out


def _figure_column(data: list[_Line], a: float, b: float) -> bool:
    """Whether most figure rows have a figure over [a, b) (page OCR may read a row's
    figures as one long word, "95 0 0" as "O5rrUs", so overlapping is enough)."""
    hits = sum(1 for ln in data if any(_is_figure(s) and _overlap(s, a, b) for s in ln.segments))
    return hits * 2 >= len(data)


def _overlap(segment: list[Word], a: float, b: float) -> bool:
    x0, x1 = min(w.x0 for w in segment), max(w.x1 for w in segment)
    return min(x1, b) - max(x0, a) > 0.25 * min(b - a, x1 - x0)


def _centre(segment: list[Word]) -> float:
    return (min(w.x0 for w in segment) + max(w.x1 for w in segment)) / 2
