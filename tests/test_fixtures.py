"""The committed seed fixtures exist for every seed and are what their names claim.

They are built by ``tests/fixtures/make_fixtures.py`` from the seed texts; these checks guard
against a half-regenerated or hand-edited fixture directory.
"""

from __future__ import annotations

import importlib.util
import io
import json
import re
import sys
import zipfile
from pathlib import Path

import pytest
import xlrd

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "seeds"
MAKE_FIXTURES = Path(__file__).resolve().parent / "fixtures" / "make_fixtures.py"
SHARED_SEEDS = Path(__file__).resolve().parents[1].parent / "shared" / "seeds"
SEEDS = ["000", "001", "002", "003", "004"]
LEGACY_SEEDS = ["000", "002"]  # the ones with a legacy 统计表 (→ .table.xls/.xlsx)
OLE_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_one_fixture_set_per_seed() -> None:
    found = sorted(p.name[:3] for p in FIXTURES.glob("*.expected.txt"))
    assert found == SEEDS
    if SHARED_SEEDS.is_dir():
        assert sorted(p.name[:3] for p in SHARED_SEEDS.glob("*.txt")) == SEEDS


@pytest.mark.parametrize("seed", SEEDS)
def test_files_have_their_formats_magic(seed: str) -> None:
    assert (FIXTURES / f"{seed}.pdf").read_bytes().startswith(b"%PDF-")
    assert (FIXTURES / f"{seed}.doc").read_bytes().startswith(OLE_MAGIC)
    with zipfile.ZipFile(io.BytesIO((FIXTURES / f"{seed}.docx").read_bytes())) as z:
        assert "word/document.xml" in z.namelist()
    body = (FIXTURES / f"{seed}.body.html").read_text("utf-8")
    assert body.lstrip().startswith("<")
    assert "<html" not in body.lower() and "<body" not in body.lower()  # a fragment


@pytest.mark.parametrize("seed", LEGACY_SEEDS)
def test_legacy_spreadsheets_hold_the_table_with_blanks_blank(seed: str) -> None:
    from openpyxl import load_workbook

    expected = json.loads((FIXTURES / f"{seed}.tables.json").read_text("utf-8"))[0]
    ws = load_workbook(FIXTURES / f"{seed}.table.xlsx").active
    rows = [["" if v is None else str(v) for v in row] for row in ws.iter_rows(values_only=True)]
    assert rows == expected
    assert rows[0] == ["统计指标", "单位", "统计数"]

    data = (FIXTURES / f"{seed}.table.xls").read_bytes()
    assert data.startswith(OLE_MAGIC)
    sheet = xlrd.open_workbook(file_contents=data).sheet_by_index(0)
    xls_rows = [[_xls_text(c) for c in sheet.row(r)] for r in range(sheet.nrows)]
    assert xls_rows == expected


def _xls_text(cell) -> str:
    if cell.ctype == 0:  # XL_CELL_EMPTY: a blank cell, not 0
        return ""
    if cell.ctype == 2 and cell.value == int(cell.value):
        return str(int(cell.value))
    return str(cell.value)


def test_text_fixtures_are_up_to_date_with_the_generator() -> None:
    """Re-derive body/expected/tables from the seeds; they equal the committed files."""
    if not SHARED_SEEDS.is_dir():
        pytest.skip("…/shared/seeds not present (only in the dev workspace)")
    name = "_nianbao_make_fixtures"
    spec = importlib.util.spec_from_file_location(name, MAKE_FIXTURES)
    assert spec is not None and spec.loader is not None
    make = importlib.util.module_from_spec(spec)
    sys.modules[name] = make  # dataclasses look their module up here
    try:
        spec.loader.exec_module(make)
    finally:
        del sys.modules[name]
    for path in sorted(SHARED_SEEDS.glob("*.txt")):
        seed = path.name[:3]
        text = make.clean_text(path.read_text("utf-8"))
        segments = make.read_seed(seed, text)
        tables = [make.grid(s.rows) for s in segments if isinstance(s, make.TableSeg)]
        assert (FIXTURES / f"{seed}.expected.txt").read_text("utf-8") == text
        assert (FIXTURES / f"{seed}.body.html").read_text("utf-8") == make.render_body(segments)
        assert json.loads((FIXTURES / f"{seed}.tables.json").read_text("utf-8")) == tables


def test_seed_002_blank_counts_stay_blank_not_zero() -> None:
    # Seed 002 prints "1. 政府公报公开政府信息数	条	" with no number: blank, not 0.
    table = json.loads((FIXTURES / "002.tables.json").read_text("utf-8"))[0]
    row = next(r for r in table if r[0].startswith("1. 政府公报"))
    assert row == ["1. 政府公报公开政府信息数", "条", ""]


def test_tables_json_grids_are_rectangular() -> None:
    counts = {}
    for seed in SEEDS:
        tables = json.loads((FIXTURES / f"{seed}.tables.json").read_text("utf-8"))
        counts[seed] = len(tables)
        for table in tables:
            assert len({len(row) for row in table}) == 1
    assert counts == {"000": 1, "001": 3, "002": 1, "003": 0, "004": 0}


def test_seed_001_tables_keep_the_2019_template_merges() -> None:
    t2, t3, t4 = json.loads((FIXTURES / "001.tables.json").read_text("utf-8"))
    assert t2[0] == ["第二十条第（一）项"] * 4
    assert t2[-1] == ["政府集中采购", "1", "165.51万元", "165.51万元"]
    assert len(t3) == 26 and len(t3[0]) == 10
    assert t3[1][3:] == ["自然人"] + ["法人或其他组织"] * 5 + ["总计"]
    applicants = ["自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", "总计"]
    assert t3[2][3:] == applicants
    assert [row[0] for row in t3[5:25]] == ["三、本年度办理结果"] * 20
    assert [row[1] for row in t3[7:15]] == ["（三）不予公开"] * 8
    assert t3[3] == ["一、本年新收政府信息公开申请数量"] * 3 + [""] * 6 + ["0"]
    assert t4[1][5:] == ["未经复议直接起诉"] * 5 + ["复议后起诉"] * 5
    assert t4[3] == ["", "", "", "", "0", "", "", "", "", "0", "", "", "", "", "0"]


def test_seed_001_docx_has_real_merged_cells() -> None:
    with zipfile.ZipFile(FIXTURES / "001.docx") as z:
        xml = z.read("word/document.xml").decode("utf-8")
    assert '<w:gridSpan w:val="7"/>' in xml  # 申请人情况
    assert '<w:vMerge w:val="restart"/>' in xml and '<w:vMerge w:val="continue"/>' in xml


def test_expected_text_has_no_dump_artefacts() -> None:
    for seed in SEEDS:
        text = (FIXTURES / f"{seed}.expected.txt").read_text("utf-8")
        assert "[bookmark:" not in text and "](#)" not in text
    assert "不断总结经验，逐步" in (FIXTURES / "002.expected.txt").read_text("utf-8")


@pytest.mark.parametrize("seed", SEEDS)
def test_pdf_has_a_cjk_text_layer(seed: str) -> None:
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(FIXTURES / f"{seed}.pdf")
    try:
        text = _squash("".join(page.get_textpage().get_text_range() for page in pdf))
    finally:
        pdf.close()
    seed_text = (FIXTURES / f"{seed}.expected.txt").read_text("utf-8")
    lines = [_squash(x) for x in seed_text.splitlines()]
    lines = [x for x in lines if len(x) >= 8]
    # the first and last substantial lines of the seed are in the PDF's text layer
    assert lines[0][:12] in text
    assert lines[-1][:12] in text
