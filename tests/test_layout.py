"""The shared text layout (``parsers/layout.py``) on generated pages, with both sources' rules.

Each page is drawn here from a known text: paragraphs of CJK and Latin runs, a first-line
indent of two characters (or none after a short line), the last line often short, set at a
random font size and position, as PDF character boxes (the font's advance box, 1.2 em high)
or as OCR word boxes (the ink, about 0.9 em high, with jitter and a slight skew). The layout
must give back the lines and paragraphs that were drawn.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from statistics import median

import pytest

from parsers import layout
from vocabulary import join_words

CJK = "政府信息公开工作年度报告本机关依申请主动公开办理结果行政复议诉讼"
LATIN = ["annual", "report", "GB/T", "2024", "www.gov.cn"]


@dataclass
class Box:
    text: str
    x0: float
    y0: float
    x1: float
    y1: float


@dataclass
class Line:
    boxes: list[Box]
    x0: float
    y0: float
    x1: float
    y1: float
    size: float
    bold: bool = False


def _width(token: str) -> float:
    """A token's advance in em: a CJK character is square, a Latin word narrower per letter
    and followed by a word space."""
    return 0.55 * len(token) + 0.3 if token.isascii() else 1.0


def _paragraph_lines(
    rng: random.Random, width: int, n_lines: int, indent: int, short: bool
) -> list[list[str]]:
    """One paragraph: lines of tokens (CJK characters, now and then a Latin word), the first
    indented by ``indent`` characters, the last ``short`` or full."""
    lines = []
    for i in range(n_lines):
        room = width - indent if i == 0 else width
        if i == n_lines - 1 and short:
            room = rng.randint(2, width // 2)
        tokens: list[str] = []
        while sum(map(_width, tokens)) < room - 1:
            token = rng.choice(LATIN) if rng.random() < 0.08 else rng.choice(CJK)
            if sum(map(_width, tokens)) + _width(token) <= room:
                tokens.append(token)
        lines.append(tokens)
    return lines


def _paragraphs(rng: random.Random, per_line: int) -> list[tuple[list[list[str]], int]]:
    """A page's paragraphs with their indents. A paragraph starts with an indent or after a
    short line, or both; the first has full lines, which give the text's margins."""
    out = []
    short = True
    for k in range(rng.randint(2, 5)):
        n_lines = rng.randint(3, 4) if k == 0 else rng.randint(1, 4)
        indent = 2 if not short or rng.random() < 0.6 else 0
        short = rng.random() < 0.5
        out.append((_paragraph_lines(rng, per_line, n_lines, indent, short), indent))
    return out


def _draw(rng: random.Random, ocr: bool) -> tuple[list[Box], list[list[list[str]]], float]:
    """A page of boxes, its paragraphs (lines of tokens) and its font size. Full lines are
    justified: their spare room (less than an em) is spread between the tokens."""
    em = rng.uniform(8, 40)
    left, top = rng.uniform(20, 80), rng.uniform(20, 80)
    skew = math.radians(rng.uniform(-0.6, 0.6)) if ocr else 0.0
    per_line = rng.randint(14, 30)
    paras = _paragraphs(rng, per_line)
    boxes: list[Box] = []
    y = top
    for para, first_indent in paras:
        for i, tokens in enumerate(para):
            indent = float(first_indent) if i == 0 else 0.0
            spare = per_line - indent - sum(map(_width, tokens))
            if spare > 1:  # a short last line is not justified
                spare = 0.0
            step = spare / max(1, len(tokens) - 1)
            x = left + indent * em
            for tok in tokens:
                width = (_width(tok) - 0.3 if tok.isascii() else 1.0) * em
                dy = math.tan(skew) * (x - left)
                if ocr:  # ink: shorter than the em, jittered
                    jitter = rng.uniform(-0.05, 0.05) * em
                    box = Box(tok, x + 0.05 * em, y + 0.05 * em + dy + jitter, x + width - 0.05 * em,
                              y + 0.95 * em + dy + jitter)  # fmt: skip
                else:
                    box = Box(tok, x, y - 0.1 * em, x + width, y + 1.1 * em)
                boxes.append(box)
                x += (_width(tok) + step) * em
            y += 1.5 * em
    rng.shuffle(boxes)
    return boxes, [p for p, _ in paras], em


def _line(boxes: list[Box], size: float) -> Line:
    return Line(boxes, min(b.x0 for b in boxes), min(b.y0 for b in boxes), max(b.x1 for b in boxes),
                max(b.y1 for b in boxes), size)  # fmt: skip


def _expected(tokens: list[str]) -> str:
    return join_words(tokens)


@pytest.mark.parametrize("source", ["pdf", "ocr"])
def test_generated_pages_give_back_their_lines_and_paragraphs(source: str) -> None:
    ocr = source == "ocr"
    rules = layout.OCR if ocr else layout.PDF
    for seed in range(40):
        rng = random.Random(seed)
        boxes, paras, em = _draw(rng, ocr)
        groups = layout.group_lines(boxes)
        texts = [layout.line_text(g, rules.space_gap) for g in groups]
        assert texts == [_expected(t) for p in paras for t in p], f"seed {seed}"
        # A PDF line's size is its font size; OCR's is its ink height, measured against the body.
        lines = [_line(g, median(b.y1 - b.y0 for b in g) if ocr else em) for g in groups]
        body = median(ln.size for ln in lines) if ocr else None
        got = layout.paragraphs(lines, rules, em=body)
        assert [len(p) for p in got] == [len(p) for p in paras], f"seed {seed}"


def test_a_larger_short_line_is_a_heading_and_body_text_is_not() -> None:
    for rules in (layout.PDF, layout.OCR):
        title = [_line([Box("标题", 0, 0, 44, 22)], 22.0)]
        body = [_line([Box("正文", 0, 40, 32, 56)], 16.0)]
        assert layout.is_heading("年度报告", title, 16.0, rules)
        assert not layout.is_heading("年度报告", body, 16.0, rules)
