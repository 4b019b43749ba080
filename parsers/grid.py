"""Ruled tables from their ruling lines: the model shared by the PDF parser and OCR.

Both find axis-aligned rules (PDF points from path objects, OCR pixels from ink runs) and then
build a table the same way:

1. :func:`rule_groups`: rules that touch form one table (at least two rules each way);
2. :func:`make_grid`: the rules' distinct positions (:func:`cluster`) are the grid lines, and
   each unit cell's edge is drawn where a rule runs along it (:class:`Grid`);
3. :func:`merged_cells`: unit cells whose shared edge is not drawn are one merged cell.

Only the units differ, so the tolerances are the caller's.

>>> hs = [Rule(0, 0, 200), Rule(20, 0, 200), Rule(40, 0, 200)]
>>> vs = [Rule(0, 0, 40), Rule(100, 20, 40), Rule(200, 0, 40)]
>>> [(len(h), len(v)) for h, v in rule_groups(hs, vs, touch=2)]
[(3, 3)]
>>> merged_cells(make_grid(hs, vs, tol=4))  # the first row is one cell across both columns
[(0, 0, 1, 2), (1, 0, 2, 1), (1, 1, 2, 2)]
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass

Area = tuple[int, int, int, int]  # first row, first column, last row + 1, last column + 1


@dataclass(slots=True)
class Rule:
    """An axis-aligned ruling segment: ``pos`` is y (horizontal) or x (vertical)."""

    pos: float
    start: float
    end: float


@dataclass
class Grid:
    xs: list[float]  # column boundaries
    ys: list[float]  # row boundaries
    h_edges: list[list[bool]]  # [row boundary][column]: a rule runs along this cell edge
    v_edges: list[list[bool]]  # [column boundary][row]


def rule_groups(hs: list[Rule], vs: list[Rule], touch: float) -> list[tuple[list[Rule], list[Rule]]]:
    """Connected sets of touching rules with at least two rules in each direction.

    Groups come in the order of their first horizontal rule, rules in their given order.
    """
    parent = list(range(len(hs) + len(vs)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    # vertical rules by position, so each horizontal rule only looks at those within its span
    order = sorted(range(len(vs)), key=lambda k: vs[k].pos)
    v_pos = [vs[k].pos for k in order]
    for hi, h in enumerate(hs):
        lo_i = bisect_left(v_pos, h.start - touch)
        hi_i = bisect_right(v_pos, h.end + touch)
        for k in order[lo_i:hi_i]:
            v = vs[k]
            if v.start - touch <= h.pos <= v.end + touch:
                parent[find(hi)] = find(len(hs) + k)
    groups: dict[int, tuple[list[Rule], list[Rule]]] = {}
    for i, h in enumerate(hs):
        groups.setdefault(find(i), ([], []))[0].append(h)
    for k, v in enumerate(vs):
        groups.setdefault(find(len(hs) + k), ([], []))[1].append(v)
    return [g for g in groups.values() if len(g[0]) >= 2 and len(g[1]) >= 2]


def cluster(values: list[float], tol: float) -> list[float]:
    """Distinct positions: sorted values closer than ``tol`` collapse to their mean.

    >>> cluster([10.0, 10.5, 30.0, 31.0, 60.0], 2.0)
    [10.25, 30.5, 60.0]
    """
    out: list[list[float]] = []
    for v in sorted(values):
        if out and v - out[-1][-1] <= tol:
            out[-1].append(v)
        else:
            out.append([v])
    return [sum(g) / len(g) for g in out]


def nearest(positions: list[float], value: float) -> int:
    """Index of the sorted position nearest to ``value`` (the lower one on a tie).

    >>> nearest([0.0, 10.0, 20.0], 14.0), nearest([0.0, 10.0, 20.0], 15.0)
    (1, 1)
    """
    i = bisect_left(positions, value)
    if i == len(positions) or (i > 0 and value - positions[i - 1] <= positions[i] - value):
        i -= 1
    return i


def _covered(rules: list[Rule], lo: float, hi: float) -> bool:
    """Whether one of the rules runs along the middle 60% of [lo, hi]."""
    margin = 0.2 * (hi - lo)
    return any(r.start <= lo + margin and r.end >= hi - margin for r in rules)


def make_grid(hs: list[Rule], vs: list[Rule], tol: float) -> Grid:
    """Grid lines from rule positions closer than ``tol`` taken as one (plus the outer extents,
    for open-sided tables), and which unit-cell edges the rules draw."""
    xs = cluster([v.pos for v in vs] + [min(h.start for h in hs), max(h.end for h in hs)], tol)
    ys = cluster([h.pos for h in hs] + [min(v.start for v in vs), max(v.end for v in vs)], tol)
    by_row: list[list[Rule]] = [[] for _ in ys]
    for h in hs:
        by_row[nearest(ys, h.pos)].append(h)
    by_col: list[list[Rule]] = [[] for _ in xs]
    for v in vs:
        by_col[nearest(xs, v.pos)].append(v)
    h_edges = [[_covered(by_row[i], xs[j], xs[j + 1]) for j in range(len(xs) - 1)] for i in range(len(ys))]
    v_edges = [[_covered(by_col[j], ys[i], ys[i + 1]) for i in range(len(ys) - 1)] for j in range(len(xs))]
    return Grid(xs, ys, h_edges, v_edges)


def merged_cells(grid: Grid) -> list[Area]:
    """The grid's cells, unit cells joined wherever the rule between them is missing, in
    reading order; every unit cell lies in exactly one of them."""
    n_rows, n_cols = len(grid.ys) - 1, len(grid.xs) - 1
    parent = list(range(n_rows * n_cols))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for r in range(n_rows):
        for c in range(n_cols):
            if c + 1 < n_cols and not grid.v_edges[c + 1][r]:
                parent[find(r * n_cols + c)] = find(r * n_cols + c + 1)
            if r + 1 < n_rows and not grid.h_edges[r + 1][c]:
                parent[find(r * n_cols + c)] = find((r + 1) * n_cols + c)
    members: dict[int, list[int]] = {}
    for i in range(n_rows * n_cols):
        members.setdefault(find(i), []).append(i)
    areas: list[Area] = []
    for units in members.values():
        rows = [u // n_cols for u in units]
        cols = [u % n_cols for u in units]
        r0, r1, c0, c1 = min(rows), max(rows) + 1, min(cols), max(cols) + 1
        if (r1 - r0) * (c1 - c0) == len(units):
            areas.append((r0, c0, r1, c1))
        else:  # not a rectangle (a broken rule): keep the unit cells apart
            areas += [(u // n_cols, u % n_cols, u // n_cols + 1, u % n_cols + 1) for u in units]
    areas.sort()
    return areas
