"""Shared helpers: label normalisation, the document's tables, cell → :class:`Metric`.

Statutory tables are matched by what their labels *mean*, not by position, so every label
goes through :func:`norm_label` (NFKC, no whitespace, no quotes) and, for matching,
:func:`core_label` (numbering such as ``（一）``/``1.``/``其中：`` and parenthetical notes
removed):

>>> core_label("（二）部分公开（区分处理的，只计这一情形，不计其他情形）")
'部分公开'
>>> core_label("1. 专职人员数 (不包括政府公报及政府网站工作人员数)")
'专职人员数'
>>> core_label("其中: 主要负责同志参加新闻发布会次数")
'主要负责同志参加新闻发布会次数'
>>> core_label("三、本 年 度办 理结果")
'本年度办理结果'
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from parsers.document import Cell, Document, Table
from parsers.metrics.dictionary import is_count, is_known
from parsers.metrics.model import Metric, Source
from parsers.metrics.values import normalize_text, parse_value

LOW_OCR_CONFIDENCE = 0.5  # an OCR'd cell read with less is stored with confidence "low"
_WS = re.compile(r"\s+")
_QUOTES = re.compile(r"[“”\"'‘’「」『』]")
_NUMBERING = re.compile(
    r"^(?:"
    r"[(（][一二三四五六七八九十\d]{1,3}[)）][、.．]?"  # （一） (1)
    r"|[一二三四五六七八九十]{1,3}[、.．]"  # 一、
    r"|\d{1,2}(?:[、.．](?!\d)|[)）])"  # 1.  1、  1)
    r"|[①②③④⑤⑥⑦⑧⑨⑩]"
    r"|其中[:：]?"
    r")"
)
_NOTE = re.compile(r"[(（][^()（）]*(?:[)）]|$)")  # (…) including an unclosed one at the end


def norm_label(text: str) -> str:
    """NFKC, whitespace and quotes removed.

    >>> norm_label("危及“三安全一稳定”\u3000")
    '危及三安全一稳定'
    """
    return _QUOTES.sub("", _WS.sub("", normalize_text(text)))


def strip_numbering(text: str) -> str:
    """Leading numbering removed, repeatedly (``三、（一）1.`` …).

    >>> strip_numbering("（三）1.属于国家秘密")
    '属于国家秘密'
    """
    s = norm_label(text)
    while True:
        t = _NUMBERING.sub("", s, count=1)
        if t == s:
            return s
        s = t


def core_label(text: str) -> str:
    """Label without numbering and without parenthetical notes."""
    s = strip_numbering(text)
    prev = None
    while prev != s:
        prev, s = s, _NOTE.sub("", s)
    return s or strip_numbering(text)


def table_from_grid(grid: list[list[str]], page: int | None = None) -> Table:
    """A :class:`Table` whose :meth:`~Table.grid` is ``grid`` (one cell per position).

    >>> table_from_grid([["a", "1"], ["b", ""]]).grid()
    [['a', '1'], ['b', '']]
    """
    cells = [Cell(text, r, c) for r, row in enumerate(grid) for c, text in enumerate(row)]
    return Table(cells=cells, page=page)


@dataclass
class LocatedTable:
    """A table of the document with its position (for :class:`Source`) and its text grid."""

    index: int
    table: Table
    grid: list[list[str]]
    attachment: int | None = None
    _origins: list[list[Cell | None]] | None = field(default=None, repr=False)

    def ocr_doubtful(self, row: int, col: int) -> bool:
        """Whether OCR read this cell with low confidence (never for a born-digital table)."""
        if self._origins is None:
            self._origins = self.table.origins()
        cell = self._origins[row][col] if row < len(self._origins) else None
        return cell is not None and cell.confidence is not None and cell.confidence < LOW_OCR_CONFIDENCE

    def source(self, row: int, col: int) -> Source:
        page = self.table.page
        return Source(table=self.index, row=row, col=col, page=page, attachment=self.attachment)


def document_tables(doc: Document) -> list[LocatedTable]:
    """The document's tables in reading order, then each attachment's (one level deep)."""
    out: list[LocatedTable] = []
    for table in doc.tables:
        out.append(LocatedTable(len(out), table, table.grid()))
    for a, att in enumerate(doc.attachments):
        for table in att.tables:
            out.append(LocatedTable(len(out), table, table.grid(), attachment=a))
    return out


def document_blocks(doc: Document) -> Iterator[tuple[int, str]]:
    """(content index, text) of every text block, attachments' blocks after."""
    for i, item in enumerate(doc.content):
        if not isinstance(item, Table):
            yield i, item.text
    for att in doc.attachments:
        for item in att.content:
            if not isinstance(item, Table):
                yield -1, item.text


def grid_text(grid: list[list[str]]) -> str:
    """All distinct cell labels of a grid, normalised and joined (for "does it mention X")."""
    seen: list[str] = []
    for row in grid:
        for cell in row:
            s = norm_label(cell)
            if s and (not seen or seen[-1] != s):
                seen.append(s)
    return "|".join(seen)


def dedup_cells(cells: list[str]) -> list[str]:
    """Non-blank cells with consecutive repeats (one spanning cell) collapsed."""
    out: list[str] = []
    for c in cells:
        s = c.strip()
        if s and (not out or norm_label(out[-1]) != norm_label(s)):
            out.append(s)
    return out


@dataclass
class Collector:
    """Metrics and warnings gathered by one extraction; the first value of a key wins."""

    metrics: list[Metric] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    _keys: set[str] = field(default_factory=set)

    def add(self, metric: Metric) -> None:
        if not is_known(metric.key):  # a parser bug: keep the dictionary the one truth
            self.warnings.append(f"{metric.key}: not in the metric dictionary, not stored")
            return
        if metric.key in self._keys:
            self.warnings.append(f"{metric.key}: found again ({metric.raw!r}), first value kept")
            return
        self._keys.add(metric.key)
        self.metrics.append(metric)

    def has(self, key: str) -> bool:
        return key in self._keys

    def cell(
        self,
        key: str,
        lt: LocatedTable,
        row: int,
        col: int,
        *,
        label: str | None = None,
        unit: str | None = None,
        group: str | None = None,
    ) -> Metric:
        """Add the metric read from ``lt.grid[row][col]``; a unit in the cell beats ``unit``."""
        raw = lt.grid[row][col]
        parsed = parse_value(raw)
        if parsed.kind == "unparsed":
            self.warnings.append(f"{key}: cell text {raw!r} is not a number; stored as null")
        value, cell_unit = parsed.value, parsed.unit
        if key.endswith("10k_yuan") and cell_unit in {"元", "元整"} and value is not None:
            # The key promises 万元; a cell printed in 元 is converted and the raw text kept.
            self.warnings.append(f"{key}: {raw!r} is in 元, converted to 万元")
            value, cell_unit = value / 10_000, "万元"
        if isinstance(value, float) and value.is_integer() and is_count(key):
            value = int(value)  # a count is an integer ("3744.0" → 3744); 万元 amounts keep decimals
        metric = Metric(
            key=key,
            value=value,
            raw=raw,
            unit=cell_unit or unit,
            source=lt.source(row, col),
            label=label,
            approximate=parsed.approximate,
            group=group,
            confidence="low" if lt.ocr_doubtful(row, col) else "high",
        )
        self.add(metric)
        return metric
