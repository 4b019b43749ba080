"""Tests for OCR of scanned pages (``parsers/ocr.py``) and the image parser.

Ground truth is never the OCR's own output:

- ``tests/fixtures/scanned/`` are seed PDF pages rendered, skewed (≤1.5°), soiled and written
  as an image-only PDF, a PNG and a JPEG by ``tests/fixtures/make_scanned.py``; the expected
  text and tables are the seed's ``NNN.expected.txt`` / ``NNN.tables.json``, cut to the rows
  and lines that the rendered pages show (page boundaries read off ``pdftoppm`` renderings);
- synthetic pages drawn here (a grid with a merged cell, a few lines of text in WenQuanYi):
  the expected cells/text are what was drawn.

Text is compared after removing whitespace and folding full/half-width forms (NFKC): the
seeds themselves mix "（二）" and "(二)", which a reader does not tell apart. Accuracy is
``1 - errors / len(reference)``, the errors counted from difflib's alignment (each changed
stretch counts as its longer side, an upper bound on the edit distance).

OCR is slow (3–8 s a page), so each fixture is read once per module.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import struct
import unicodedata
import zlib
from difflib import SequenceMatcher
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFile, ImageFont

from parsers import formats, ocr
from parsers.document import Block, Document, ParseError, Table
from parsers.formats import image as image_format
from parsers.limits import TimeLimitExceeded

HERE = Path(__file__).resolve().parent
SCANNED = HERE / "fixtures" / "scanned"
SEEDS = HERE / "fixtures" / "seeds"
FONT = Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")

needs_tesseract = pytest.mark.skipif(not ocr.available(), reason="tesseract is not installed")


# ----------------------------------------------------------------------------- helpers


def _fold(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def _accuracy(reference: str, got: str) -> float:
    """Share of the reference's characters read right (see the module docstring)."""
    ref, out = _fold(reference), _fold(got)
    errors = sum(
        max(a1 - a0, b1 - b0)
        for op, a0, a1, b0, b1 in SequenceMatcher(None, ref, out, autojunk=False).get_opcodes()
        if op != "equal"
    )
    return 1 - errors / len(ref)


def _seed_slice(seed: str, first: str, last: str) -> str:
    """The seed text from the line starting with ``first`` to the end of ``last``."""
    text = (SEEDS / f"{seed}.expected.txt").read_text(encoding="utf-8")
    start = text.index(first)
    return text[start : text.index(last, start) + len(last)]


def _text_once(content: list[Block | Table]) -> str:
    """Blocks and each table cell once, in reading order (the seeds do not repeat spans)."""
    parts: list[str] = []
    for item in content:
        if isinstance(item, Block):
            parts.append(item.text)
        else:
            parts += [c.text for c in sorted(item.cells, key=lambda c: (c.row, c.col))]
    return "\n".join(parts)


def _tables(seed: str) -> list[list[list[str]]]:
    return json.loads((SEEDS / f"{seed}.tables.json").read_text(encoding="utf-8"))


def _cells_right(table: Table, expected: list[list[str]], skip: set[tuple[int, int]] = frozenset()):
    """(right, total) over the table's cells (each merged cell once) against the grid."""
    checked = [c for c in table.cells if (c.row, c.col) not in skip]
    right = sum(_fold(c.text) == _fold(expected[c.row][c.col]) for c in checked)
    return right, len(checked)


def _shape(grid: list[list[str]]) -> tuple[int, int]:
    return len(grid), len(grid[0])


# ----------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def pdf_pages() -> ocr.OcrResult:
    """Seed 001 pages 2–3 (prose, table 二, tables 三/四) as an image-only PDF."""
    if not ocr.available():
        pytest.skip("tesseract is not installed")
    return ocr.ocr_pdf_pages((SCANNED / "001_p2-3.pdf").read_bytes(), [1, 2])


@pytest.fixture(scope="module")
def png_doc() -> Document:
    """Seed 000 page 5 (the legacy 统计表) as a PNG."""
    if not ocr.available():
        pytest.skip("tesseract is not installed")
    return image_format.parse((SCANNED / "000_p5.png").read_bytes())


@pytest.fixture(scope="module")
def jpeg_doc() -> Document:
    """Seed 004 page 1 (prose only) as a JPEG."""
    if not ocr.available():
        pytest.skip("tesseract is not installed")
    return image_format.parse((SCANNED / "004_p1.jpg").read_bytes())


# ----------------------------------------------------------------------------- text accuracy


def test_scanned_pdf_pages_reach_95_percent_of_the_seed_text(pdf_pages: ocr.OcrResult) -> None:
    reference = _seed_slice("001", "2019年度，环翠区行政审批服务局未收到", "（一）建议和提案办理情况")
    assert _accuracy(reference, _text_once(pdf_pages.content)) >= 0.95
    assert {item.page for item in pdf_pages.content} == {1, 2}
    assert pdf_pages.confidence is not None and 0.5 < pdf_pages.confidence <= 1


def test_scanned_png_table_page_reaches_95_percent(png_doc: Document) -> None:
    reference = _seed_slice("000", "（一）收到申请数", "政府网站建设维\t万元\t5")
    assert _accuracy(reference, _text_once(png_doc.content)) >= 0.95


def test_scanned_jpeg_prose_page_reaches_95_percent(jpeg_doc: Document) -> None:
    reference = _seed_slice("004", "聊城市政务服务中心管理办公室", "中心办公场所公开栏、")
    assert _accuracy(reference, jpeg_doc.text) >= 0.95


def test_prose_page_has_paragraphs_and_no_tables(jpeg_doc: Document) -> None:
    assert jpeg_doc.tables == []  # no table invented from lines of text
    texts = [b.text for b in jpeg_doc.blocks]
    assert len(texts) >= 8  # title, headings and paragraphs, not one blob
    # a heading of the report stands as its own block
    assert any(_fold(t) == _fold("一、政府信息公开工作概述") for t in texts)
    # no spaces between Chinese characters (tesseract puts them there)
    assert not re.search(r"[\u4e00-\u9fff] [\u4e00-\u9fff]", jpeg_doc.text)


def test_chinese_punctuation_is_full_width(jpeg_doc: Document) -> None:
    # printed as "（以下简称中心）" and "〔2018〕": ASCII look-alikes are turned back
    assert "（以下简称中心）" in jpeg_doc.text
    assert "〔2018〕" in jpeg_doc.text


# ----------------------------------------------------------------------------- tables


def test_legacy_statistics_table_grid_and_cells(png_doc: Document) -> None:
    (table,) = png_doc.tables
    expected = _tables("000")[0][22:69]  # the rows on page 5: （一）收到申请数 … (四) 专项经费
    assert _shape(table.grid()) == _shape(expected) == (47, 3)
    right, total = _cells_right(table, expected)
    assert right / total >= 0.95
    # the unit and number columns are all right: these are the figures the metrics read
    assert [row[1:] for row in table.grid()] == [row[1:] for row in expected]


def test_2019_table_two_grid_with_merged_section_rows(pdf_pages: ocr.OcrResult) -> None:
    tables = [t for t in pdf_pages.content if isinstance(t, Table)]
    table = tables[0]  # 二、主动公开政府信息情况
    expected = _tables("001")[0]
    assert table.page == 1
    assert _shape(table.grid()) == _shape(expected) == (18, 4)
    right, total = _cells_right(table, expected)
    assert right / total >= 0.95
    # section rows span all four columns; blank cells stay blank, not "0"
    assert [(c.rowspan, c.colspan) for c in table.cells if c.row == 0] == [(1, 4)]
    assert _fold(table.grid()[2][0]) == "规章" and table.grid()[2][1:] == ["", "", ""]
    assert table.grid()[14] == ["行政事业性收费", "0", "1", "1"]  # "1" spans two columns


def test_2019_table_three_rows_and_columns(pdf_pages: ocr.OcrResult) -> None:
    tables = [t for t in pdf_pages.content if isinstance(t, Table) and t.page == 2]
    table = tables[0]
    # the page starts inside table 三: its first row (申请人情况) is on the page before, and
    # the note cell spanning the header is cut by the page break ("加第四项之和）")
    expected = _tables("001")[1][1:]
    assert _shape(table.grid()) == _shape(expected) == (25, 10)
    right, total = _cells_right(table, expected, skip={(0, 0)})
    assert right / total >= 0.95
    # merged label cells: 三、本年度办理结果 spans 20 rows, （三）不予公开 spans 8
    spans = {(c.row, c.col): (c.rowspan, c.colspan) for c in table.cells}
    assert spans[(4, 0)] == (20, 1)
    assert spans[(6, 1)] == (8, 1)
    assert table.grid()[2][3:] == ["", "", "", "", "", "", "0"]  # blank stays blank


def test_2019_table_four_fifteen_columns(pdf_pages: ocr.OcrResult) -> None:
    tables = [t for t in pdf_pages.content if isinstance(t, Table) and t.page == 2]
    table = tables[1]
    expected = _tables("001")[2]
    assert _shape(table.grid()) == _shape(expected) == (4, 15)
    right, total = _cells_right(table, expected)
    assert right / total >= 0.95


def test_tables_sit_between_the_right_paragraphs(pdf_pages: ocr.OcrResult) -> None:
    items = pdf_pages.content
    first_table = next(i for i, x in enumerate(items) if isinstance(x, Table))
    assert _fold(items[first_table - 1].text) == _fold("二、主动公开政府信息情况")


# ----------------------------------------------------------------------------- synthetic pages


def _grid_page(skew: float) -> Image.Image:
    """A 200 dpi page with a 4×3 ruled table whose top-left cell spans two rows."""
    page = Image.new("L", (1400, 900), 255)
    draw = ImageDraw.Draw(page)
    xs, ys = [200, 600, 900, 1200], [200, 300, 400, 500, 600]
    for y in ys:
        x0 = xs[1] if y == 300 else xs[0]  # no rule under the merged cell
        draw.line([(x0, y), (xs[-1], y)], fill=0, width=2)
    for x in xs:
        draw.line([(x, ys[0]), (x, ys[-1])], fill=0, width=2)
    return page.rotate(skew, resample=Image.Resampling.BICUBIC, fillcolor=255)


def test_skew_is_measured_and_removed() -> None:
    assert ocr.skew_angle(_grid_page(1.2)) == pytest.approx(1.2, abs=0.1)
    assert ocr.skew_angle(_grid_page(-0.7)) == pytest.approx(-0.7, abs=0.1)


def test_ruled_grid_with_a_merged_cell_on_a_skewed_page() -> None:
    (table,) = ocr.find_tables(ocr.deskew(_grid_page(1.0)), dpi=200)
    assert (len(table.grid.ys) - 1, len(table.grid.xs) - 1) == (4, 3)
    cells = [(c.r0, c.c0, c.r1 - c.r0, c.c1 - c.c0) for c in table.cells]
    assert (0, 0, 2, 1) in cells and (1, 0, 1, 1) not in cells
    assert len(cells) == 11


def test_text_lines_are_not_taken_for_a_table() -> None:
    if not FONT.exists():
        pytest.skip("fonts-wqy-zenhei is not installed")
    page = _text_page(["一二三工五王二三一二三工", "二三一二三工五王二三工"] * 6)
    assert ocr.find_tables(page, dpi=200) == []


def _text_page(lines: list[str], size: int = 36) -> Image.Image:
    font = ImageFont.truetype(str(FONT), size)
    page = Image.new("L", (1200, 120 + 70 * len(lines)), 255)
    draw = ImageDraw.Draw(page)
    for i, line in enumerate(lines):
        draw.text((100, 60 + 70 * i), line, font=font, fill=0)
    return page


# ----------------------------------------------------------------------------- image parser


def _encode(image: Image.Image, fmt: str, **kw: object) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format=fmt, **kw)
    return buf.getvalue()


@needs_tesseract
@pytest.mark.skipif(not FONT.exists(), reason="fonts-wqy-zenhei is not installed")
def test_multi_page_tiff_is_read_page_by_page() -> None:
    first = _text_page(["政府信息公开工作年度报告"])
    second = _text_page(["主动公开政府信息情况"])
    data = _encode(first, "TIFF", save_all=True, append_images=[second], dpi=(200, 200))
    doc = image_format.parse(data)
    assert doc.format == "image" and doc.method == "ocr" and doc.page_count == 2
    assert doc.meta["media_type"] == "image/tiff"
    assert [_fold(b.text) for b in doc.blocks] == [
        "政府信息公开工作年度报告",
        "主动公开政府信息情况",
    ]
    assert [b.page for b in doc.blocks] == [1, 2]
    assert 0.5 < (doc.ocr_confidence or 0) <= 1


@needs_tesseract
@pytest.mark.skipif(not FONT.exists(), reason="fonts-wqy-zenhei is not installed")
@pytest.mark.parametrize("fmt", ["BMP", "GIF"])
def test_bmp_and_gif_are_read(fmt: str) -> None:
    data = _encode(_text_page(["依申请公开情况"]).convert("RGB"), fmt)
    assert image_format.sniff(data)
    assert _fold(image_format.parse(data).text) == "依申请公开情况"


def test_image_magic_bytes() -> None:
    png = (SCANNED / "000_p5.png").read_bytes()
    jpeg = (SCANNED / "004_p1.jpg").read_bytes()
    assert image_format.media_type(png) == "image/png"
    assert image_format.media_type(jpeg) == "image/jpeg"
    assert not image_format.sniff((SCANNED / "001_p2-3.pdf").read_bytes())
    assert not image_format.sniff(b"BM is not a bitmap, just text")
    assert not image_format.sniff(b"<html><body>x</body></html>")


def test_registry_sends_images_to_the_image_parser() -> None:
    assert formats.sniff((SCANNED / "004_p1.jpg").read_bytes()) is image_format
    assert formats.MEDIA_TYPES["image"] == "image/*"


# ----------------------------------------------------------------------------- bad input


def _png_header(width: int, height: int) -> bytes:
    """A PNG whose header declares ``width``×``height`` pixels, with one tiny data chunk."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


@pytest.mark.parametrize("size", [(50_000, 50_000), (10_000, 10_000)])
def test_image_bomb_is_refused_before_decoding(size, monkeypatch) -> None:
    def no_decoding(self):  # decoding 2.5 Gpx would take the machine down
        raise AssertionError("pixels were decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", no_decoding)
    with pytest.raises(ParseError, match=r"too large|bomb"):
        image_format.parse(_png_header(*size))


def test_corrupt_and_truncated_images_are_parse_errors() -> None:
    with pytest.raises(ParseError, match="corrupt"):
        image_format.parse(b"\x89PNG\r\n\x1a\n" + b"\x00garbage" * 20)
    jpeg = (SCANNED / "004_p1.jpg").read_bytes()
    with pytest.raises(ParseError, match="corrupt"):
        image_format.parse(jpeg[: len(jpeg) // 3])
    with pytest.raises(ParseError):
        image_format.parse(b"not an image at all")


@needs_tesseract
def test_ocr_timeout_is_a_parse_error(monkeypatch) -> None:
    monkeypatch.setenv("NIANBAO_OCR_PAGE_TIMEOUT", "0.001")
    data = _encode(_grid_page(0.0), "PNG")
    with pytest.raises(TimeLimitExceeded, match="tesseract timed out"):
        image_format.parse(data)


def test_missing_engine_is_a_parse_error(monkeypatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda name, *a, **k: None)
    with pytest.raises(ParseError, match="tesseract"):
        image_format.parse(_encode(_grid_page(0.0), "PNG"))


def test_pdf_page_out_of_range_is_a_parse_error() -> None:
    with pytest.raises(ParseError, match="no page 9"):
        ocr.ocr_pdf_pages((SCANNED / "001_p2-3.pdf").read_bytes(), [9])


# ----------------------------------------------------------------------------- PDF integration


@pytest.mark.slow
@needs_tesseract
def test_pdf_parser_reads_scanned_pages_by_ocr() -> None:
    doc = formats.parse((SCANNED / "001_p2-3.pdf").read_bytes())
    assert doc.format == "pdf" and doc.method == "ocr"
    assert doc.meta["ocr_pages"] == "1,2" and doc.meta["needs_ocr"] == "1"
    assert [_shape(t.grid()) for t in doc.tables][:1] == [(18, 4)]
    assert 0.5 < (doc.ocr_confidence or 0) <= 1
