"""Ruling lines of scanned tables that came back faint and broken (issue 16), on drawn variants.

Each variant is a page at 200 dpi with a paragraph of Chinese text over a table whose rules are
light gray dashes (random lengths of 1–2 mm, random gaps up to ~2.5 mm, some lighter still),
labels and figures in its cells, toner specks, a slight blur and noise. The drawn rule
positions are the truth: the grid found must have exactly the drawn rows and columns, and no
rule may be found where only text was drawn. Fast: no OCR engine runs.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from parsers import ocr

FONT = Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")
pytestmark = pytest.mark.skipif(not FONT.exists(), reason="fonts-wqy-zenhei is not installed")
DPI = 200
LABELS = [
    "一、本年新收政府信息公开申请数量",
    "二、上年结转",
    "（一）予以公开",
    "三、不予公开",
    "工五王二三",  # strokes like dashes
    "行政处罚",
]
PARAGRAPH = [
    "一是完善工作制度，二是规范公开流程，三是加强监督检查，",
    "正确处理政务公开与安全保密的关系，严格执行审查制度。",
]


def _dashed(
    draw: ImageDraw.ImageDraw, a: tuple[int, int], b: tuple[int, int], rng: np.random.Generator
) -> None:
    """A light gray rule from a to b (horizontal or vertical) broken into dashes."""
    horizontal = a[1] == b[1]
    pos, start, end = (a[1], a[0], b[0]) if horizontal else (a[0], a[1], b[1])
    at = start
    while at < end:
        length = int(rng.integers(8, 16))  # dashes of 1–2 mm (dots are not looked for)
        shade = int(rng.choice([165, 175, 185, 195]))
        stop = min(end, at + length)
        line = [(at, pos), (stop, pos)] if horizontal else [(pos, at), (pos, stop)]
        draw.line(line, fill=shade, width=2)
        at = stop + int(rng.integers(4, 21))  # gaps up to ~2.5 mm at 200 dpi


def _page(seed: int) -> tuple[Image.Image, list[int], list[int], list[tuple[int, int]]]:
    """(page, column lines, row lines, the paragraph's text lines as (top, bottom))."""
    rng = np.random.default_rng(seed)
    page = Image.new("L", (1654, 1500), 250)
    draw = ImageDraw.Draw(page)
    font = ImageFont.truetype(str(FONT), 30)
    text_lines = []
    for i, line in enumerate(PARAGRAPH):
        y = 120 + 50 * i
        _, y0, _, y1 = draw.textbbox((150, y), line, font=font)
        draw.text((150, y), line, font=font, fill=30)
        text_lines.append((y0, y1))
    figures = [int(rng.integers(110, 170)) for _ in range(int(rng.integers(3, 6)))]
    xs = [int(x) for x in np.cumsum([150, int(rng.integers(480, 600)), *figures])]
    heights = [int(rng.integers(48, 70)) for _ in range(len(LABELS))]
    ys = [int(y) for y in np.cumsum([330, *heights])]
    for y in ys:
        _dashed(draw, (xs[0], y), (xs[-1], y), rng)
    for x in xs:
        _dashed(draw, (x, ys[0]), (x, ys[-1]), rng)
    for r, label in enumerate(LABELS):
        mid = (ys[r] + ys[r + 1]) // 2
        draw.text((xs[0] + 6, mid), label, font=font, fill=30, anchor="lm")  # flush against the rule
        for c in range(1, len(xs) - 1):
            figure = str(int(rng.integers(0, 3000)))
            draw.text(((xs[c] + xs[c + 1]) // 2, mid), figure, font=font, fill=30, anchor="mm")
    pixels = np.asarray(page.filter(ImageFilter.GaussianBlur(0.6)), dtype=np.float32)
    pixels += rng.normal(0, 4, pixels.shape)
    specks = rng.random(pixels.shape) < 0.0005
    pixels[specks] = 80
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), "L"), xs, ys, text_lines


@pytest.mark.parametrize("seed", range(4))
def test_faint_broken_rules_give_the_drawn_grid(seed: int) -> None:
    page, xs, ys, _ = _page(seed)
    (table,) = ocr.find_tables(page, DPI)
    assert len(table.grid.xs) == len(xs) and len(table.grid.ys) == len(ys)
    assert np.allclose(table.grid.xs, xs, atol=4) and np.allclose(table.grid.ys, ys, atol=4)
    # every unit cell is its own cell: each rule was found along its whole length
    assert len(table.cells) == (len(xs) - 1) * (len(ys) - 1)


@pytest.mark.parametrize("seed", range(4))
def test_text_is_not_turned_into_rules(seed: int) -> None:
    """The table's rules (the ones erased before its cells are read, and its grid) are all
    drawn rules; the paragraph above it gives none."""
    page, xs, ys, text_lines = _page(seed)
    (table,) = ocr.find_tables(page, DPI)
    assert all(any(abs(h.pos - y) <= 4 for y in ys) for h in table.hs)
    assert all(any(abs(v.pos - x) <= 4 for x in xs) for v in table.vs)
    hs, _ = ocr.find_rules(page, DPI)
    assert not any(top - 4 <= h.pos <= bottom + 4 for h in hs for top, bottom in text_lines)


def test_solid_rules_page_ignores_dash_like_text() -> None:
    """On a page of solid rules, a "——" placeholder between two of them is text, not a rule."""
    page = Image.new("L", (1200, 700), 255)
    draw = ImageDraw.Draw(page)
    xs, ys = [100, 700, 900, 1100], [100, 200, 300, 400, 500]
    for y in ys:
        draw.line([(xs[0], y), (xs[-1], y)], fill=0, width=2)
    for x in xs:
        draw.line([(x, ys[0]), (x, ys[-1])], fill=0, width=2)
    draw.text((800, 250), "——", font=ImageFont.truetype(str(FONT), 34), fill=0, anchor="mm")
    (table,) = ocr.find_tables(page, DPI)
    assert len(table.grid.ys) == len(ys) and len(table.grid.xs) == len(xs)


@pytest.mark.parametrize("seed", range(3))
def test_a_missing_stretch_of_a_vertical_rule_is_put_back_between_two_figures(seed: int) -> None:
    """On a page of faint, broken rules, a vertical rule lost over one row leaves that row's
    two figures in one cell: the paper between them gives the rule back, at the column line
    the other rows have."""
    rng = np.random.default_rng(seed)
    page = Image.new("L", (1200, 700), 250)
    draw = ImageDraw.Draw(page)
    font = ImageFont.truetype(str(FONT), 30)
    xs, ys = [100, 500, 700, 900], [100, 170, 240, 310, 380]
    for y in ys:
        _dashed(draw, (xs[0], y), (xs[-1], y), rng)
    for x in xs:
        gap = (ys[2], ys[3]) if x == 700 else None  # this rule is missing over the third row
        for y0, y1 in [(ys[0], gap[0]), (gap[1], ys[-1])] if gap else [(ys[0], ys[-1])]:
            _dashed(draw, (x, y0), (x, y1), rng)
    for r in range(4):
        mid = (ys[r] + ys[r + 1]) // 2
        draw.text((110, mid), LABELS[r + 1], font=font, fill=30, anchor="lm")
        for c in (1, 2):
            draw.text(
                ((xs[c] + xs[c + 1]) // 2, mid),
                str(int(rng.integers(0, 3000))),
                font=font,
                fill=30,
                anchor="mm",
            )
    (table,) = ocr.find_tables(page, DPI)
    assert np.allclose(table.grid.xs, xs, atol=4)
    assert len(table.cells) == 4 * 3  # no cell spans the two figure columns
