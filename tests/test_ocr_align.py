"""Tables without ruling lines rebuilt from word boxes (parsers/ocr_align.py), on drawn variants.

Each variant is a borderless table drawn with a real font at random column positions, row
heights, label lengths and figures (some wrapped labels, a header line, a spanning section
row); the words handed to the aligner are the drawn ones, with their boxes, and the ink is the
drawn page's. The grid must have the drawn rows and columns, every figure must fall in its own
cell, and no cell may hold two figures. Fast: no OCR engine runs.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from parsers.ocr import Word, _ink, _solid
from parsers.ocr_align import align_tables

FONT = Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")
pytestmark = pytest.mark.skipif(not FONT.exists(), reason="fonts-wqy-zenhei is not installed")
LABELS = [
    "规章",
    "行政规范性文件",
    "行政许可",
    "行政处罚",
    "行政强制",
    "行政事业性收费",
    "其他对外管理服务事项",
]


def _draw(seed: int) -> tuple[Image.Image, list[Word], list[list[tuple[float, float]]], int, int]:
    """(page, words, centre of each figure by [row][column], figure rows, figure columns)."""
    rng = np.random.default_rng(seed)
    size = 30
    font = ImageFont.truetype(str(FONT), size)
    page = Image.new("L", (1654, 1400), 255)
    draw = ImageDraw.Draw(page)
    words: list[Word] = []

    def put(text: str, x: float, y: float) -> tuple[float, float]:
        x0, y0, x1, y1 = draw.textbbox((x, y), text, font=font)
        draw.text((x, y), text, fill=20, font=font)
        words.append(Word(text, x0, y0, x1, y1, 0.9))
        return (x0 + x1) / 2, (y0 + y1) / 2

    n_cols, n_rows = int(rng.integers(3, 8)), int(rng.integers(3, 7))
    left = int(rng.integers(150, 250))
    label_w = int(rng.integers(300, 420))
    col_w = int(rng.integers(110, 170))
    xs = [left + label_w + k * col_w for k in range(n_cols)]
    y = 200
    put("信息内容", left, y)  # a header line
    for k, x in enumerate(xs):
        put(f"列{k + 1}", x + 10, y)
    y += int(size * 2.2)
    centres: list[list[tuple[float, float]]] = []
    for r in range(n_rows):
        if r == n_rows // 2:  # a section row spanning the table
            put("第二十条第（五）项", xs[0], y)
            y += int(size * 2.2)
        wrapped = rng.random() < 0.3
        label = str(rng.choice(LABELS))
        if wrapped:  # a label over two lines, its figures between them
            put(label[:4], left, y - size * 0.6)
            put(label[4:] + "情况", left, y + size * 0.6)
        else:
            put(label, left, y)
        row = []
        for x in xs:
            figure = str(int(rng.choice([0, 0, 1, 7, 12, 95, 306, 2776])))
            row.append(put(figure, x + int(rng.integers(0, col_w // 3)), y))
        centres.append(row)
        y += int(size * rng.uniform(1.9, 2.6))
    return page, words, centres, n_rows, n_cols


@pytest.mark.parametrize("seed", range(8))
def test_borderless_table_gets_its_rows_and_columns(seed: int) -> None:
    page, words, centres, n_rows, n_cols = _draw(seed)
    (table,) = align_tables(words, _solid(_ink(page)), 30)
    grid = table.grid

    def cell_of(x: float, y: float) -> tuple[int, int, int, int]:
        r = next(i for i in range(len(grid.ys) - 1) if grid.ys[i] <= y < grid.ys[i + 1])
        c = next(i for i in range(len(grid.xs) - 1) if grid.xs[i] <= x < grid.xs[i + 1])
        return next(a for a in table.areas if a[0] <= r < a[2] and a[1] <= c < a[3])

    cells = [[cell_of(x, y) for x, y in row] for row in centres]
    flat = [c for row in cells for c in row]
    assert len(set(flat)) == len(flat)  # no cell holds two figures
    assert len({c[1] for c in cells[0]}) == n_cols  # one column per figure column …
    assert all([c[1] for c in row] == [c[1] for c in cells[0]] for row in cells)  # … in every row
    assert len({row[0][0] for row in cells}) == n_rows  # one row per figure row
    # the header line and the section row are rows of their own
    assert len(table.grid.ys) - 1 == n_rows + 2


def test_running_text_is_no_table() -> None:
    font = ImageFont.truetype(str(FONT), 30)
    page = Image.new("L", (1654, 600), 255)
    draw = ImageDraw.Draw(page)
    words = []
    for i, text in enumerate(["2023年共收到申请95件，办结95件。", "其中予以公开50件，部分公开9件。"] * 3):
        box = draw.textbbox((200, 100 + 60 * i), text, font=font)
        draw.text((200, 100 + 60 * i), text, fill=20, font=font)
        words.append(Word(text, *box, 0.9))
    assert align_tables(words, _solid(_ink(page)), 30) == []
