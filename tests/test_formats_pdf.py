"""Tests for the born-digital PDF parser (``parsers/formats/pdf.py``).

Ground truth comes from three places, never from the parser's own output:

- ``tests/fixtures/pdf_golden/*.json``: tables 二/三/四 of the three real Huai'an PDFs,
  transcribed by hand from their pages rendered with ``pdftoppm`` (the PDFs are read from
  ``../shared/realworld`` and those tests skip where it is absent);
- small HTML documents written here and turned into PDFs by LibreOffice during the session
  (the expected cells are the HTML we wrote);
- the seed fixtures ``tests/fixtures/seeds/NNN.pdf`` with their ``NNN.expected.txt`` and
  ``NNN.tables.json``.
"""

from __future__ import annotations

import difflib
import io
import json
import re
import shutil
import subprocess
from pathlib import Path

import pypdfium2 as pdfium
import pytest

from parsers import formats
from parsers.document import Block, Document, ParseError, Table
from parsers.formats import pdf

HERE = Path(__file__).resolve().parent
REALWORLD = Path(__file__).resolve().parents[1].parent / "shared" / "realworld"
GOLDEN = HERE / "fixtures" / "pdf_golden"
SEEDS = HERE / "fixtures" / "seeds"


# ----------------------------------------------------------------------------- helpers


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _squash_grid(grid: list[list[str]]) -> list[list[str]]:
    return [[_squash(cell) for cell in row] for row in grid]


def _text_once(doc: Document) -> str:
    """Document text with each table cell once (seed texts do not repeat spanned cells)."""
    parts: list[str] = []
    for item in doc.content:
        if isinstance(item, Block):
            parts.append(item.text)
        else:
            parts += [c.text for c in sorted(item.cells, key=lambda c: (c.row, c.col))]
    return "\n".join(parts)


def _item_before(doc: Document, table: Table) -> Block | Table:
    index = next(i for i, item in enumerate(doc.content) if item is table)
    return doc.content[index - 1]


def _sideways_copy(data: bytes) -> bytes:
    """Each page drawn turned 90° inside a form XObject on a landscape page with /Rotate 90:
    it looks the same on screen, but every coordinate in the file is different."""
    src = pdfium.PdfDocument(data)
    out = pdfium.PdfDocument.new()
    for i in range(len(src)):
        width, height = src[i].get_size()
        page = out.new_page(height, width)
        form = src.page_as_xobject(i, out).as_pageobject()
        form.set_matrix(pdfium.PdfMatrix(0, 1, -1, 0, height, 0))  # (x, y) -> (H - y, x)
        page.insert_obj(form)
        page.gen_content()
        page.set_rotation(90)
    buf = io.BytesIO()
    out.save(buf)
    return buf.getvalue()


def _scanned_pdf(n_pages: int = 2) -> bytes:
    """A PDF whose pages hold only a picture: what a scanner produces."""
    doc = pdfium.PdfDocument.new()
    for _ in range(n_pages):
        page = doc.new_page(595, 842)
        bitmap = pdfium.PdfBitmap.new_native(200, 280, pdfium.raw.FPDFBitmap_BGR)
        bitmap.fill_rect((255, 255, 255, 255), 0, 0, 200, 280)
        bitmap.fill_rect((0, 0, 0, 255), 20, 20, 160, 8)  # a "line of print"
        image = pdfium.PdfImage.new(doc)
        image.set_bitmap(bitmap)
        image.set_matrix(pdfium.PdfMatrix().scale(500, 700).translate(40, 70))
        page.insert_obj(image)
        page.gen_content()
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


# ----------------------------------------------------------------------------- LibreOffice PDFs

_HEAD = (
    '<html><head><meta charset="utf-8"><title>{title}</title>'
    '<style>body{{font-family:"WenQuanYi Zen Hei";font-size:12pt}}</style></head><body>'
)
_TABLE = '<table border="1" cellspacing="0" cellpadding="3" width="{width}">'

SPANS_HTML = (
    _HEAD.format(title="某某局2024年政府信息公开工作年度报告")
    + "<h1>某某局2024年政府信息公开工作年度报告</h1>"
    + "<p>本报告根据《中华人民共和国政府信息公开条例》编制。全年共收到申请12件。</p>"
    + _TABLE.format(width="100%")
    + '<tr><td rowspan="2" colspan="2">项目</td><td colspan="3">申请人情况</td></tr>'
    + "<tr><td>自然人</td><td>法人或其他组织</td><td>总计</td></tr>"
    + '<tr><td colspan="2">一、本年新收政府信息公开申请数量</td><td>12</td><td></td><td>12</td></tr>'
    + '<tr><td rowspan="2">三、本年度办理结果</td><td>（一）予以公开</td>'
    + "<td>7</td><td>0</td><td>7</td></tr>"
    + "<tr><td>（二）部分公开</td><td>5</td><td>0</td><td>5</td></tr>"
    + "</table><p>表格后面的一段文字，说明上述数据。</p></body></html>"
)
SPANS_GRID = [
    ["项目", "项目", "申请人情况", "申请人情况", "申请人情况"],
    ["项目", "项目", "自然人", "法人或其他组织", "总计"],
    ["一、本年新收政府信息公开申请数量", "一、本年新收政府信息公开申请数量", "12", "", "12"],
    ["三、本年度办理结果", "（一）予以公开", "7", "0", "7"],
    ["三、本年度办理结果", "（二）部分公开", "5", "0", "5"],
]

# 60 one-line rows do not fit on a page: the table and its row-spanning label run onto page 2.
LONG_ROWS = 60
LONG_HTML = (
    _HEAD.format(title="长表")
    + "<h2>二、收到和处理政府信息公开申请情况</h2>"
    + _TABLE.format(width="100%")
    + "<tr><td>类别</td><td>事项</td><td>数量</td><td>其他</td></tr>"
    + "".join(
        "<tr>"
        + (f'<td rowspan="{LONG_ROWS}">三、本年度办理结果</td>' if i == 0 else "")
        + f"<td>第{i + 1}项事项</td><td>{i * 3}</td><td>{i % 4}</td></tr>"
        for i in range(LONG_ROWS)
    )
    + f'<tr><td colspan="2">合计</td><td>{sum(i * 3 for i in range(LONG_ROWS))}</td><td></td></tr>'
    + "</table><p>表后说明文字。</p></body></html>"
)

WRAP_HTML = (
    _HEAD.format(title="折行测试")
    + "<p>下表的单元格文字会折行。</p>"
    + _TABLE.format(width="60%")
    + '<tr><td width="25%">5.要求行政机关确认或重新出具已获取信息</td>'
    + '<td width="25%">Annual report on government information disclosure</td>'
    + '<td width="50%">1</td></tr>'
    + "<tr><td>（二）部分公开（区分处理的，只计这一情形，不计其他情形）</td>"
    + "<td>open data</td><td></td></tr>"
    + "</table></body></html>"
)


# A <thead> row is repeated by LibreOffice at the top of every page the table runs onto.
REPEAT_ROWS = 50
REPEAT_HTML = (
    _HEAD.format(title="重复表头")
    + "<p>说明。</p>"
    + _TABLE.format(width="100%")
    + "<thead><tr><th>项目</th><th>数量</th><th>金额</th></tr></thead><tbody>"
    + "".join(f"<tr><td>第{i + 1}项</td><td>{i}</td><td>{i * 2}</td></tr>" for i in range(REPEAT_ROWS))
    + "</tbody></table><p>完。</p></body></html>"
)


def _soffice(tmp: Path, sources: dict[str, str], export: str) -> dict[str, bytes]:
    """Convert HTML sources to PDF with our own LibreOffice profile; {name: pdf bytes}."""
    for name, html in sources.items():
        (tmp / f"{name}.html").write_text(html, encoding="utf-8")
    profile = (tmp / "lo-profile").as_uri()
    cmd = [
        "soffice", "--headless", f"-env:UserInstallation={profile}",
        "--infilter=HTML (StarWriter)", "--convert-to", export, "--outdir", str(tmp),
        *(str(tmp / f"{name}.html") for name in sources),
    ]  # fmt: skip
    subprocess.run(cmd, check=True, capture_output=True, timeout=180)
    return {name: (tmp / f"{name}.pdf").read_bytes() for name in sources}


@pytest.fixture(scope="session")
def lo_pdfs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    if shutil.which("soffice") is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    tmp = tmp_path_factory.mktemp("lo_pdf")
    return _soffice(
        tmp,
        {"spans": SPANS_HTML, "long": LONG_HTML, "wrap": WRAP_HTML, "repeat": REPEAT_HTML},
        "pdf:writer_pdf_Export",
    )


@pytest.fixture(scope="session")
def encrypted_pdf(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    if shutil.which("soffice") is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    tmp = tmp_path_factory.mktemp("lo_pdf_encrypted")
    options = json.dumps(
        {
            "EncryptFile": {"type": "boolean", "value": "true"},
            "DocumentOpenPassword": {"type": "string", "value": "secret"},
        }
    )
    return _soffice(tmp, {"locked": WRAP_HTML}, f"pdf:writer_pdf_Export:{options}")["locked"]


# ----------------------------------------------------------------------------- sniffing, errors


def test_sniff_finds_header_within_first_kilobyte() -> None:
    assert pdf.sniff(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    assert pdf.sniff(b"\r\n" * 100 + b"%PDF-1.4\n")  # junk before the header is tolerated
    assert not pdf.sniff(b" " * 1100 + b"%PDF-1.4\n")
    assert not pdf.sniff(b"<!DOCTYPE html><html>")
    assert not pdf.sniff(b"")


def test_registry_selects_pdf_by_magic_bytes(lo_pdfs: dict[str, bytes]) -> None:
    assert formats.sniff(lo_pdfs["spans"]) is pdf
    assert pdf.NAME == "pdf" and pdf.MEDIA_TYPE == "application/pdf"


def test_empty_file_is_a_parse_error() -> None:
    with pytest.raises(ParseError, match="empty"):
        pdf.parse(b"")


def test_truncated_pdf_is_a_parse_error(lo_pdfs: dict[str, bytes]) -> None:
    data = lo_pdfs["long"]
    with pytest.raises(ParseError, match="truncated"):
        pdf.parse(data[: len(data) // 2])


def test_corrupt_pdf_is_a_parse_error() -> None:
    with pytest.raises(ParseError, match="corrupt"):
        pdf.parse(b"%PDF-1.7\n" + b"\x00garbage\xff" * 50 + b"\n%%EOF\n")


def test_encrypted_pdf_needs_a_password(encrypted_pdf: bytes) -> None:
    assert pdf.sniff(encrypted_pdf)
    with pytest.raises(ParseError, match="password"):
        pdf.parse(encrypted_pdf)


def test_scanned_pdf_is_flagged_for_ocr() -> None:
    doc = pdf.parse(_scanned_pdf(2), ocr=False)
    assert doc.meta == {"needs_ocr": "1", "ocr_pages": "1,2"}
    assert doc.page_count == 2
    assert doc.content == []
    assert doc.method == "text-layer"


def test_one_scanned_page_in_a_text_pdf_is_listed_not_flagged(lo_pdfs: dict[str, bytes]) -> None:
    mixed = pdfium.PdfDocument(lo_pdfs["long"])  # two pages of text
    mixed.import_pages(pdfium.PdfDocument(_scanned_pdf(1)))
    buf = io.BytesIO()
    mixed.save(buf)
    doc = pdf.parse(buf.getvalue(), ocr=False)
    assert doc.page_count == 3
    assert doc.meta.get("ocr_pages") == "3"
    assert "needs_ocr" not in doc.meta  # one page in three: a text PDF with a scanned page
    assert doc.tables[0].pages == [1, 2]


# ----------------------------------------------------------------------------- LibreOffice PDFs


def test_spans_table_and_blocks_in_reading_order(lo_pdfs: dict[str, bytes]) -> None:
    doc = pdf.parse(lo_pdfs["spans"])
    assert doc.format == "pdf" and doc.method == "text-layer"
    assert doc.page_count == 1
    assert doc.title == "某某局2024年政府信息公开工作年度报告"
    assert "needs_ocr" not in doc.meta and "ocr_pages" not in doc.meta
    kinds = [type(item).__name__ for item in doc.content]
    assert kinds == ["Block", "Block", "Table", "Block"]
    heading, para, table, after = doc.content
    assert (heading.kind, heading.text) == ("heading", "某某局2024年政府信息公开工作年度报告")
    assert para.kind == "paragraph"
    assert para.text == "本报告根据《中华人民共和国政府信息公开条例》编制。全年共收到申请12件。"
    assert after.text == "表格后面的一段文字，说明上述数据。"
    assert all(b.page == 1 for b in doc.blocks)
    assert table.grid() == SPANS_GRID
    assert (table.page, table.pages) == (1, [1])


def test_merged_cells_keep_their_spans(lo_pdfs: dict[str, bytes]) -> None:
    table = pdf.parse(lo_pdfs["spans"]).tables[0]
    spans = {c.text: (c.row, c.col, c.rowspan, c.colspan) for c in table.cells if c.text}
    assert spans["项目"] == (0, 0, 2, 2)
    assert spans["申请人情况"] == (0, 2, 1, 3)
    assert spans["一、本年新收政府信息公开申请数量"] == (2, 0, 1, 2)
    assert spans["三、本年度办理结果"] == (3, 0, 2, 1)
    blank = [c for c in table.cells if c.text == ""]
    assert [(c.row, c.col) for c in blank] == [(2, 3)]  # blank stays blank, not "0"


def test_table_across_a_page_break_is_one_table(lo_pdfs: dict[str, bytes]) -> None:
    doc = pdf.parse(lo_pdfs["long"])
    assert doc.page_count == 2
    assert len(doc.tables) == 1
    table = doc.tables[0]
    assert table.pages == [1, 2] and table.page == 1
    grid = table.grid()
    assert len(grid) == LONG_ROWS + 2
    assert grid[0] == ["类别", "事项", "数量", "其他"]
    expected_rows = [
        ["三、本年度办理结果", f"第{i + 1}项事项", str(i * 3), str(i % 4)] for i in range(LONG_ROWS)
    ]
    assert grid[1:-1] == expected_rows  # the label cut by the page break is one cell again
    assert grid[-1] == ["合计", "合计", str(sum(i * 3 for i in range(LONG_ROWS))), ""]
    label = next(c for c in table.cells if c.text == "三、本年度办理结果")
    assert (label.row, label.rowspan) == (1, LONG_ROWS)
    assert doc.blocks[0].text == "二、收到和处理政府信息公开申请情况"
    assert (doc.blocks[-1].text, doc.blocks[-1].page) == ("表后说明文字。", 2)


def test_repeated_header_rows_appear_once(lo_pdfs: dict[str, bytes]) -> None:
    doc = pdf.parse(lo_pdfs["repeat"])
    assert doc.page_count == 2
    (table,) = doc.tables
    assert table.pages == [1, 2]
    assert table.grid() == [["项目", "数量", "金额"]] + [
        [f"第{i + 1}项", str(i), str(i * 2)] for i in range(REPEAT_ROWS)
    ]


def test_rotated_page_with_form_xobject_reads_as_displayed(lo_pdfs: dict[str, bytes]) -> None:
    upright = pdf.parse(lo_pdfs["long"])
    sideways = pdf.parse(_sideways_copy(lo_pdfs["long"]))
    assert [t.grid() for t in sideways.tables] == [t.grid() for t in upright.tables]
    assert [t.pages for t in sideways.tables] == [[1, 2]]
    assert [(b.text, b.page) for b in sideways.blocks] == [(b.text, b.page) for b in upright.blocks]


def test_wrapped_cell_lines_are_joined(lo_pdfs: dict[str, bytes]) -> None:
    doc = pdf.parse(lo_pdfs["wrap"])
    assert doc.title == "折行测试"
    assert doc.tables[0].grid() == [
        ["5.要求行政机关确认或重新出具已获取信息", "Annual report on government information disclosure", "1"],
        ["（二）部分公开（区分处理的，只计这一情形，不计其他情形）", "open data", ""],
    ]


# ----------------------------------------------------------------------------- real Huai'an PDFs

GOLDEN_FILES = sorted(GOLDEN.glob("*.json"))


def _golden_doc(golden: Path) -> tuple[dict, Document]:
    if not REALWORLD.is_dir():
        pytest.skip("../shared/realworld not present (only in the dev workspace)")
    expected = json.loads(golden.read_text(encoding="utf-8"))
    data = (REALWORLD / "reports" / expected["file"]).read_bytes()
    return expected, pdf.parse(data)


@pytest.mark.parametrize("golden", GOLDEN_FILES, ids=lambda p: p.stem)
def test_realworld_tables_match_hand_transcription(golden: Path) -> None:
    expected, doc = _golden_doc(golden)
    assert doc.page_count == expected["page_count"]
    assert doc.title == expected["title"]
    assert len(doc.tables) == len(expected["tables"])
    for table, want in zip(doc.tables, expected["tables"], strict=True):
        assert table.pages == want["pages"], want["name"]
        assert table.grid() == want["grid"], want["name"]


@pytest.mark.parametrize("golden", GOLDEN_FILES, ids=lambda p: p.stem)
def test_realworld_headings_precede_their_tables(golden: Path) -> None:
    _, doc = _golden_doc(golden)
    headings = [
        "二、主动公开政府信息情况",
        "三、收到和处理政府信息公开申请情况",
        "四、政府信息公开行政复议、行政诉讼情况",
    ]
    for table, heading in zip(doc.tables, headings, strict=True):
        before = _item_before(doc, table)
        assert isinstance(before, Block)
        assert (before.kind, before.text) == ("heading", heading)
        assert before.page == table.page
    assert not any(re.fullmatch(r"-\s*\d+\s*-", b.text) for b in doc.blocks)  # page numbers
    assert all(b.page is not None for b in doc.blocks)


def test_realworld_paragraph_runs_over_a_page_break() -> None:
    golden = GOLDEN / "jiangsu_huaian_city_2024.json"
    _, doc = _golden_doc(golden)
    assert doc.blocks[0].kind == "heading"
    assert doc.blocks[0].text == "淮安市人民政府2024年政府信息公开工作年度报告"
    para = next(b for b in doc.blocks if b.text.startswith("（一）主动公开情况。"))
    assert para.page == 1
    assert "“建设‘四最’一流营商环境高质量推进产业发展”" in para.text  # page 1 → page 2
    assert para.text.endswith("回应舆论关切。")


# ----------------------------------------------------------------------------- seed fixtures

SEED_PDFS = sorted(SEEDS.glob("[0-9][0-9][0-9].pdf"))


@pytest.mark.parametrize("seed_pdf", SEED_PDFS, ids=lambda p: p.stem)
def test_seed_pdf_text_and_tables(seed_pdf: Path) -> None:
    doc = pdf.parse(seed_pdf.read_bytes())
    expected_text = (SEEDS / f"{seed_pdf.stem}.expected.txt").read_text(encoding="utf-8")
    ratio = difflib.SequenceMatcher(
        None, _squash(_text_once(doc)), _squash(expected_text), autojunk=False
    ).ratio()
    assert ratio >= 0.99
    tables_json = SEEDS / f"{seed_pdf.stem}.tables.json"
    if tables_json.exists():
        expected_tables = json.loads(tables_json.read_text(encoding="utf-8"))
        # Whitespace inside cells is not compared: the seed keeps its source's spaces
        # ("(二) 申请办结数"), which LibreOffice may or may not write into the PDF.
        got = [_squash_grid(t.grid()) for t in doc.tables]
        assert got == [_squash_grid(grid) for grid in expected_tables]


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("tesseract") is None, reason="tesseract is not installed")
def test_a_scanned_page_in_a_text_pdf_is_read_by_ocr_in_its_place(lo_pdfs: dict[str, bytes]) -> None:
    scanned = Path(__file__).parent / "fixtures" / "scanned" / "001_p2-3.pdf"
    mixed = pdfium.PdfDocument(lo_pdfs["long"])  # two pages of text, then one scan
    mixed.import_pages(pdfium.PdfDocument(scanned.read_bytes()), [0])
    buf = io.BytesIO()
    mixed.save(buf)
    doc = pdf.parse(buf.getvalue())
    assert doc.method == "text-layer" and doc.meta["ocr_pages"] == "3"
    pages = [item.page for item in doc.content]
    assert pages == sorted(pages) and pages[-1] == 3  # the scan's content comes last
    scanned_tables = [t for t in doc.tables if t.page == 3]
    assert scanned_tables and len(scanned_tables[0].grid()) == 18
    assert doc.ocr_confidence is not None and 0.5 < doc.ocr_confidence <= 1
