"""DOCX format parser: seed DOCX fixtures, the official 2021 blank template, merges, bad files."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
from docx import Document as WordDocument
from docx.oxml import parse_xml

from parsers.document import ParseError
from parsers.formats import docx as docx_format
from tests.helpers import flat_text, similarity

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "seeds"
REALWORLD = Path(__file__).resolve().parents[1].parent / "shared" / "realworld"
TEMPLATE_2021 = REALWORLD / "reports/templates/guoban_2021_annual_report_template_blank.docx"
SEEDS = ["000", "001", "002", "003", "004"]
W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def _docx_bytes(build) -> bytes:
    document = WordDocument()
    build(document)
    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()


@pytest.mark.parametrize("seed", SEEDS)
def test_seed_docx_text_and_tables(seed: str) -> None:
    data = (FIXTURES / f"{seed}.docx").read_bytes()
    expected = (FIXTURES / f"{seed}.expected.txt").read_text("utf-8")
    tables = json.loads((FIXTURES / f"{seed}.tables.json").read_text("utf-8"))
    assert docx_format.sniff(data)
    doc = docx_format.parse(data)
    assert doc.format == "docx" and doc.method == "markup"
    assert similarity(expected, flat_text(doc)) >= 0.99
    assert [t.grid() for t in doc.tables] == tables


def test_seed_001_title_headings_and_order() -> None:
    doc = docx_format.parse((FIXTURES / "001.docx").read_bytes())
    # the fixture page's <title>, stored by LibreOffice as the core-properties title
    assert doc.title == "威海市环翠区行政审批服务局2019年政府信息公开工作年度报告"
    headings = [b.text for b in doc.blocks if b.kind == "heading"]
    assert headings[:3] == ["威海市环翠区行政审批服务局", "2019年政府信息公开工作年度报告", "一、总体情况"]
    kinds = [type(x).__name__ for x in doc.content]
    first_table = kinds.index("Table")
    assert doc.content[first_table - 1].text == "二、主动公开政府信息情况"  # type: ignore[union-attr]


def test_blank_2021_template_tables() -> None:
    if not TEMPLATE_2021.exists():
        pytest.skip("…/shared/realworld not present (only in the dev workspace)")
    doc = docx_format.parse(TEMPLATE_2021.read_bytes())
    assert len(doc.tables) == 3
    t2, t3, t4 = (t.grid() for t in doc.tables)
    assert t2[0] == ["第二十条第（一）项"] * 4
    assert t2[1] == ["信息内容", "本年制发件数", "本年废止件数", "现行有效件数"]
    assert t2[2] == ["规章", "", "", ""]
    assert t2[5] == ["信息内容"] + ["本年处理决定数量"] * 3
    assert t2[-1] == ["行政事业性收费", "", "", ""]
    assert (len(t3), len(t3[0])) == (28, 10)
    assert t3[0][3:] == ["申请人情况"] * 7
    assert t3[1][3:] == ["自然人"] + ["法人或其他组织"] * 5 + ["总计"]
    assert t3[2][3:] == ["自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", "总计"]
    assert t3[3][:3] == ["一、本年新收政府信息公开申请数量"] * 3
    assert [r[0] for r in t3[5:27]] == ["三、本年度办理结果"] * 22
    assert [r[1] for r in t3[7:15]] == ["（三）不予公开"] * 8
    assert [r[1] for r in t3[23:26]] == ["（六）其他处理"] * 3
    assert t3[25][2] == "3.其他"
    assert t3[26][1:3] == ["（七）总计"] * 2
    assert t3[27][:3] == ["四、结转下年度继续办理"] * 3
    assert all(cell == "" for row in t3[3:] for cell in row[3:])  # blank template: no zeros
    assert t4[0] == ["行政复议"] * 5 + ["行政诉讼"] * 10
    assert t4[1][5:] == ["未经复议直接起诉"] * 5 + ["复议后起诉"] * 5
    assert t4[2][:5] == ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"]


def test_merged_cells_from_python_docx_merges() -> None:
    def build(d) -> None:
        t = d.add_table(rows=3, cols=3)
        t.cell(0, 0).merge(t.cell(1, 0)).text = "纵向"  # vMerge restart/continue
        t.cell(0, 1).merge(t.cell(0, 2)).text = "横向"  # gridSpan 2
        t.cell(1, 1).text, t.cell(1, 2).text = "a", "b"
        t.cell(2, 0).text, t.cell(2, 1).text = "c", "d"

    doc = docx_format.parse(_docx_bytes(build))
    table = doc.tables[0]
    assert table.grid() == [["纵向", "横向", "横向"], ["纵向", "a", "b"], ["c", "d", ""]]
    spans = sorted((c.text, c.row, c.col, c.rowspan, c.colspan) for c in table.cells)
    assert ("纵向", 0, 0, 2, 1) in spans and ("横向", 0, 1, 1, 2) in spans
    assert len(table.cells) == 7  # merged positions are not repeated as cells


def test_headings_title_and_tracked_deletions() -> None:
    def build(d) -> None:
        d.core_properties.title = "某某局2020年政府信息公开工作年度报告"
        d.add_heading("一、总体情况", level=1)
        p = d.add_paragraph("全年主动公开信息")
        p._p.append(parse_xml(f'<w:del xmlns:w="{W_NS}"><w:r><w:delText>999</w:delText></w:r></w:del>'))
        p.add_run("120条。")

    doc = docx_format.parse(_docx_bytes(build))
    assert doc.title == "某某局2020年政府信息公开工作年度报告"
    assert [(b.kind, b.text) for b in doc.blocks] == [
        ("heading", "一、总体情况"),
        ("paragraph", "全年主动公开信息120条。"),
    ]


def test_title_falls_back_to_first_heading() -> None:
    doc = docx_format.parse(_docx_bytes(lambda d: d.add_heading("年度报告", level=1)))
    assert doc.title == "年度报告"


def test_zip_that_is_not_a_docx() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("xl/workbook.xml", "<workbook/>")
        z.writestr("readme.txt", "not word")
    assert not docx_format.sniff(buf.getvalue())
    with pytest.raises(ParseError, match="not a Word document"):
        docx_format.parse(buf.getvalue())


def test_truncated_and_garbage_bytes() -> None:
    data = (FIXTURES / "001.docx").read_bytes()
    assert not docx_format.sniff(data[: len(data) // 2])
    with pytest.raises(ParseError):
        docx_format.parse(data[: len(data) // 2])
    with pytest.raises(ParseError):
        docx_format.parse(b"%PDF-1.7 not a docx")
    with pytest.raises(ParseError):
        docx_format.parse(b"")


def test_docx_with_broken_document_xml() -> None:
    buf = io.BytesIO()
    source = io.BytesIO((FIXTURES / "003.docx").read_bytes())
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(buf, "w") as dst:
        for info in src.infolist():
            payload = src.read(info.filename)
            if info.filename == "word/document.xml":
                payload = payload[: len(payload) // 2]  # cut mid-element
            dst.writestr(info, payload)
    with pytest.raises(ParseError, match="corrupt DOCX"):
        docx_format.parse(buf.getvalue())
