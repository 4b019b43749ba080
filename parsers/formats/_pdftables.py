"""Tables of a born-digital PDF, rebuilt from its ruling lines.

1. Rules that touch form a **table** (:func:`parsers.grid.rule_groups`). Their distinct x
   and y positions give a grid of unit cells; where the rule between two unit cells is
   missing the cells are one merged cell (colspan/rowspan), built by :mod:`parsers.grid`
   as for OCR. A single box (framed text) is not a table.
2. A character belongs to the table, and the cell, holding its box centre; a cell's
   wrapped lines are joined (without a space next to Chinese), blank cells stay ``""``.
3. A table that ends one page and a table that starts the next with the same column edges
   are **one table split by the page break**: their rules are stacked and rebuilt as one
   grid with ``pages=[p, p+1]``; a label cell cut by the break is rejoined and header rows
   repeated on the new page are dropped.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field
from itertools import pairwise

from parsers.document import Cell, Table
from parsers.formats._pdfpage import Char, Page, chars_text
from parsers.grid import Grid, Rule, make_grid, merged_cells, nearest, rule_groups

_TOUCH = 2.0  # pt: rules closer than this touch
_SAME_POS = 4.0  # pt: rule positions closer than this are one grid line (double borders)


# A cell that begins a new item ("（五）…", "1.…", "三、…") is not the tail of a cut cell.
_ITEM_START = re.compile(
    r"^\s*(?:[（(][一二三四五六七八九十\d]+[）)]|[一二三四五六七八九十]+、|\d+\s*[.、．]|[①-⑳])"
)
_NUMBER = re.compile(r"^[-－+]?[\d.,，%]+$")


@dataclass
class Part:
    """A table (or the piece of a table) found on a page, before cells are built."""

    hs: list[Rule]
    vs: list[Rule]
    chars: list[Char]
    grid: Grid
    pages: list[int]
    top: float
    bottom: float
    junctions: list[float] = field(default_factory=list)  # y of page breaks inside it
    last_xs: list[float] = field(default_factory=list)  # column edges on its last page
    last_bottom: float = 0.0  # bottom on its last page, in that page's coordinates
    head: list[tuple[str, ...]] = field(default_factory=list)  # first rows' texts, lazily


def find_parts(hs: list[Rule], vs: list[Rule], page: int, chars: list[Char]) -> tuple[list[Part], list[Char]]:
    """The page's tables (top to bottom), each with its characters, and the characters left over."""
    parts = [_part_for(h, v, page) for h, v in rule_groups(hs, vs, _TOUCH)]
    found = sorted((p for p in parts if p is not None), key=lambda p: p.top)
    return found, _claim_chars(found, chars)


def _part_for(hs: list[Rule], vs: list[Rule], page: int) -> Part | None:
    """The table drawn by a group of touching rules, or None for a single framed box."""
    grid = make_grid(hs, vs, _SAME_POS)
    if (len(grid.xs) - 1) * (len(grid.ys) - 1) < 2:
        return None  # a single box (framed text) is not a table
    return Part(
        hs, vs, [], grid, [page], grid.ys[0], grid.ys[-1],
        last_xs=grid.xs, last_bottom=grid.ys[-1],
    )  # fmt: skip


def _claim_chars(parts: list[Part], chars: list[Char]) -> list[Char]:
    """Give each table the characters inside it; return the characters left over."""
    free: list[Char] = []
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


def _spans(grid: Grid, chars: list[Char]) -> list[_Span]:
    """Merged cells (see :func:`parsers.grid.merged_cells`) with the text of their characters."""
    n_rows, n_cols = len(grid.ys) - 1, len(grid.xs) - 1
    spans = [_Span(*area) for area in merged_cells(grid)]
    owner = {
        r * n_cols + c: span
        for span in spans
        for r in range(span.r0, span.r1)
        for c in range(span.c0, span.c1)
    }
    texts: dict[int, list[Char]] = {}
    for ch in chars:
        r = bisect_right(grid.ys, ch.cy) - 1
        c = bisect_right(grid.xs, ch.cx) - 1
        r, c = min(max(r, 0), n_rows - 1), min(max(c, 0), n_cols - 1)
        texts.setdefault(id(owner[r * n_cols + c]), []).append(ch)
    for span in spans:
        span.text = chars_text(texts.get(id(span), []))
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


def table_from_part(part: Part) -> Table:
    """The document's table: merged cells with their text, cells cut by a page break rejoined."""
    grid = make_grid(part.hs, part.vs, _SAME_POS)
    spans = _spans(grid, part.chars)
    if part.junctions and _rejoin_cut_cells(grid, spans, part.junctions):
        spans = _spans(grid, part.chars)
    cells = [Cell(s.text, s.r0, s.c0, s.r1 - s.r0, s.c1 - s.c0) for s in spans]
    return Table(cells=cells, page=part.pages[0], pages=list(part.pages))


def merge_split_tables(pages: list[Page]) -> None:
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
        a.chars += [Char(c.text, c.x0, c.y0 + dy, c.x1, c.y1 + dy, c.index) for c in b.chars]
        a.junctions.append(a.bottom)
        a.pages += b.pages
        a.bottom = b.bottom + dy
        a.last_xs, a.last_bottom = b.grid.xs, b.grid.ys[-1]
        nxt.parts[0] = a  # the merged table now also "starts" the next page for chaining
        prev.parts.pop()


def _continues(a: Part, prev: Page, b: Part, nxt: Page) -> bool:
    """Same column edges, no text after ``a`` on its page nor before ``b`` on the next
    (running headers/footers in the outer 8% of the page aside)."""
    if any(a.last_bottom - 1 <= ln.y0 < 0.92 * prev.height for ln in prev.lines):
        return False
    if any(0.08 * nxt.height < ln.y1 <= b.top + 1 for ln in nxt.lines):
        return False
    if a.last_bottom < 0.5 * prev.height or b.top > 0.4 * nxt.height:
        return False  # a table ending mid-page is finished
    xa, xb = a.last_xs, b.grid.xs
    if abs(xa[0] - xb[0]) > 4 or abs(xa[-1] - xb[-1]) > 4:
        return False
    fewer, more = (xa, xb) if len(xa) <= len(xb) else (xb, xa)
    return all(abs(more[nearest(more, x)] - x) <= 3 for x in fewer)


def _row_texts(part: Part, n: int) -> list[tuple[str, ...]]:
    """The texts of the first ``n`` rows (one entry per cell) of a table on one page."""
    n = min(n, len(part.grid.ys) - 1)
    spans = _spans(part.grid, [c for c in part.chars if c.cy < part.grid.ys[n]])
    return [tuple(s.text for s in spans if s.r0 <= r < s.r1) for r in range(n)]


def _without_repeated_header(a: Part, b: Part) -> Part:
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
