"""The form's own sums as a guide for reading a scanned table: re-read, never "correct".

The statutory tables print their arithmetic: in table 三 the 总计 column is the sum of the
six applicant columns, and per column 一 + 二 (new + carried over) = （七）总计 + 四 (handled
+ carried forward); in table 四 each 总计 is the sum of the four results before it. A cell
OCR misread usually breaks one of these sums. For a broken sum, its doubtful cells (least
confident first) are read again another way (:data:`Reread`: another crop scale, another
engine); a new reading is taken only when it makes every sum through that cell hold and
breaks none, and only when no other re-read cell would mend the sum as well (an
ambiguous mend is no reading). A sum still broken after that is left broken — the metric checks will fail
on it — and its least confident cell is marked doubtful (confidence below
:data:`DOUBTFUL`), so the figure is stored with ``confidence = 'low'``. The printed
inconsistencies of a report stay: a true re-reading prints the same figure again.

>>> grid = {(0, 0): ("自然人", 1.0), (0, 1): ("其他", 1.0), (0, 2): ("总计", 1.0),
...         (1, 0): ("3", 0.9), (1, 1): ("7", 0.3), (1, 2): ("4", 0.9)}
>>> fixed = recheck(grid, lambda cells: {p: ["1"] for p in cells})
>>> fixed[(1, 1)]
('1', 0.3)
>>> still = recheck(grid, lambda cells: {p: ["7"] for p in cells})
>>> still[(1, 1)][1] < DOUBTFUL
True
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

Pos = tuple[int, int]
Reading = tuple[str, float]  # text, confidence 0–1
# positions → other readings of each (texts), tried in order
Reread = Callable[[list[Pos]], dict[Pos, list[str]]]

DOUBTFUL = 0.45  # below parsers.metrics.tables.LOW_OCR_CONFIDENCE: stored as "low"
MAX_REREAD = 40  # cells re-read per table at most (least confident first)
_INT = re.compile(r"^\d{1,9}$")
_TOTAL = re.compile(r"总计|合计")


@dataclass(frozen=True)
class Sum:
    """``sum(plus) == sum(minus)`` over cells (a blank cell counts as 0)."""

    plus: tuple[Pos, ...]
    minus: tuple[Pos, ...]

    @property
    def cells(self) -> tuple[Pos, ...]:
        return self.plus + self.minus


def _value(grid: dict[Pos, Reading], pos: Pos) -> int | None:
    text = grid.get(pos, ("", 1.0))[0].strip()
    if not text:
        return 0
    return int(text) if _INT.match(text) else None


def holds(s: Sum, grid: dict[Pos, Reading]) -> bool | None:
    """True/False, or None when a cell is not a whole number (nothing to check)."""
    plus = [_value(grid, p) for p in s.plus]
    minus = [_value(grid, p) for p in s.minus]
    if None in plus or None in minus:
        return None
    return sum(plus) == sum(minus)  # type: ignore[arg-type]


def form_sums(grid: dict[Pos, Reading]) -> list[Sum]:
    """The sums a table prints: 总计 columns over their group, table 三's 一+二 = 七+四."""
    if not grid:
        return []
    n_rows = max(r for r, _ in grid) + 1
    n_cols = max(c for _, c in grid) + 1
    numeric = {p for p in grid if _INT.match(grid[p][0].strip())}
    data_rows = [r for r in range(n_rows) if sum((r, c) in numeric for c in range(n_cols)) >= 2]
    if not data_rows:
        return []
    first = data_rows[0]
    header = {c: "".join(grid.get((r, c), ("", 0))[0] for r in range(first)) for c in range(n_cols)}
    value_cols = [c for c in range(n_cols) if sum((r, c) in numeric for r in data_rows) * 2 >= len(data_rows)]
    sums: list[Sum] = []
    prev_total = -1
    for t in value_cols:
        if not _TOTAL.search(header[t]):
            continue
        group = [c for c in value_cols if prev_total < c < t]
        prev_total = t
        if len(group) >= 2:
            sums += [Sum(tuple((r, c) for c in group), ((r, t),)) for r in data_rows]
    if not sums and len(value_cols) >= 3:
        # a table continued from the page before has no header: its last column is the
        # total when it is the sum of the others on most rows
        t, group = value_cols[-1], value_cols[:-1]
        row_sums = [Sum(tuple((r, c) for c in group), ((r, t),)) for r in data_rows]
        if sum(holds(s, grid) is True for s in row_sums) * 2 > len(row_sums):
            sums += row_sums
    label_cols = [c for c in range(n_cols) if c not in value_cols]
    labels = {r: "".join(grid.get((r, c), ("", 0))[0] for c in label_cols) for r in data_rows}
    rows = {k: next((r for r in data_rows if re.search(rx, labels[r])), None) for k, rx in _ROWS.items()}
    if all(v is not None for v in rows.values()):
        sums += [
            Sum(((rows["new"], c), (rows["carried_over"], c)), ((rows["total"], c), (rows["forward"], c)))
            for c in value_cols
        ]
    return sums


_ROWS = {
    "new": r"本年新收",
    "carried_over": r"上年结转",
    "total": r"（七）总计|七[)）]?总计",
    "forward": r"结转下年",
}


def recheck(grid: dict[Pos, Reading], reread: Reread) -> dict[Pos, Reading]:
    """The table's readings with broken sums re-read (see the module docstring)."""
    sums = form_sums(grid)
    # broken, or not checkable because a cell did not read as a number ("11" as "日")
    broken = [s for s in sums if holds(s, grid) is not True and any(grid.get(p, ("",))[0] for p in s.cells)]
    if not broken:
        return grid
    out = dict(grid)
    suspects = sorted({p for s in broken for p in s.cells if p in grid}, key=lambda p: grid[p][1])
    suspects = suspects[:MAX_REREAD]
    through = {p: [s for s in sums if p in s.cells] for p in suspects}
    others = reread(suspects) if suspects else {}
    for s in broken:
        # every single re-read cell that would mend this sum without breaking another
        mends = {
            (pos, text)
            for pos in s.cells
            if pos in others
            for text in others[pos]
            if text != out[pos][0]
            and holds(s, {**out, pos: (text, 0.0)}) is True
            and all(holds(t, {**out, pos: (text, 0.0)}) is not False for t in through[pos])
        }
        if len(mends) == 1:  # only an unambiguous re-reading is taken
            ((pos, text),) = mends
            out[pos] = (text, out[pos][1])
    for s in sums:
        if holds(s, out) is False:
            weakest = min((p for p in s.cells if p in out), key=lambda p: out[p][1], default=None)
            if weakest is not None:
                out[weakest] = (out[weakest][0], min(out[weakest][1], DOUBTFUL))
    return out
