"""The one document model every format parser produces.

Whatever the source format (HTML, PDF, DOCX, …), a parser returns a :class:`Document`:
an ordered list of blocks (headings, paragraphs) and tables, in reading order. Everything
downstream — report recognition, metadata, metrics — reads only this model.

A table keeps its *origin* cells (each with its row/column span); :meth:`Table.grid`
resolves the spans into a rectangular grid. Blank stays blank: a cell with no text is
``""``, never ``"0"``.

>>> t = Table(cells=[Cell("一", 0, 0, rowspan=2), Cell("a", 0, 1), Cell("b", 1, 1)])
>>> t.grid()
[['一', 'a'], ['一', 'b']]
>>> t.n_rows, t.n_cols
(2, 2)
>>> doc = Document(format="html", content=[Block("标题", kind="heading"), t])
>>> print(doc.text)
标题
一	a
一	b
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

BlockKind = Literal["heading", "paragraph"]
Method = Literal["markup", "text-layer", "ocr", "conversion"]


@dataclass
class Block:
    text: str
    kind: BlockKind = "paragraph"
    page: int | None = None  # 1-based page number where the format has pages


@dataclass
class Cell:
    text: str
    row: int  # 0-based position of the cell's top-left corner in the grid
    col: int
    rowspan: int = 1
    colspan: int = 1
    confidence: float | None = None  # OCR only: the engine's confidence (0–1) in this reading


@dataclass
class Table:
    cells: list[Cell]
    page: int | None = None  # page the table starts on
    pages: list[int] = field(default_factory=list)  # every page it spans (split tables)

    @property
    def n_rows(self) -> int:
        return max((c.row + c.rowspan for c in self.cells), default=0)

    @property
    def n_cols(self) -> int:
        return max((c.col + c.colspan for c in self.cells), default=0)

    def origins(self) -> list[list[Cell | None]]:
        """Grid of the cell covering each position (a spanning cell appears in each)."""
        n_cols = self.n_cols  # once: it walks every cell
        grid: list[list[Cell | None]] = [[None] * n_cols for _ in range(self.n_rows)]
        for cell in self.cells:
            for r in range(cell.row, cell.row + cell.rowspan):
                for c in range(cell.col, cell.col + cell.colspan):
                    grid[r][c] = cell
        return grid

    def grid(self) -> list[list[str]]:
        """Rectangular text grid; positions covered by a span repeat the spanning text."""
        return [[c.text if c else "" for c in row] for row in self.origins()]


@dataclass
class Document:
    format: str  # name of the format module that produced it: "html", "pdf", "docx", …
    content: list[Block | Table] = field(default_factory=list)
    method: Method = "markup"
    ocr_confidence: float | None = None  # mean confidence 0–1 when method == "ocr"
    page_count: int | None = None
    title: str | None = None  # from the file's own metadata (<title>, PDF/DOCX properties)
    meta: dict[str, str] = field(default_factory=dict)  # page metadata: 发布日期, 发布机构, …
    attachments: list[Document] = field(default_factory=list)  # ZIP members, each parsed

    @property
    def blocks(self) -> list[Block]:
        return [x for x in self.content if isinstance(x, Block)]

    @property
    def tables(self) -> list[Table]:
        return [x for x in self.content if isinstance(x, Table)]

    @property
    def text(self) -> str:
        """Full text in reading order; table rows as tab-separated cells."""
        lines: list[str] = []
        for item in self.content:
            if isinstance(item, Block):
                lines.append(item.text)
            else:
                lines.extend("\t".join(row) for row in item.grid())
        return "\n".join(lines)


class ParseError(Exception):
    """A document that cannot be parsed; the message says why (it is stored as a problem)."""
