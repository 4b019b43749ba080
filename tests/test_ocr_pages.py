"""Scanned tables beyond one page and one clean label (issue 16): a table that goes on over a
page break is read as one table (its last row on the first page has no rule under it), and a
table 三 row whose label is too garbled to snap is named by its place in the form's order."""

from __future__ import annotations

import pytest

from parsers import ocr
from parsers.document import Block, Cell, Document, Table
from parsers.forms import TABLE3_ROWS
from parsers.metrics import extract
from tests.scans.generate import REALWORLD, SEEDS
from tests.scans.measure import score_scan, truth

needs_tesseract = pytest.mark.skipif(not ocr.available(), reason="tesseract is not installed")


def _table(rows: list[list[str]], page: int) -> Table:
    cells = [Cell(text, r, c) for r, row in enumerate(rows) for c, text in enumerate(row)]
    return Table(cells, page=page, pages=[page])


def _page(page: int, *content: Block | Table, start: bool = False, end: bool = False) -> ocr.OcrResult:
    xs = [0.1, 0.6, 0.7, 0.9]
    tables = [t for t in content if isinstance(t, Table)]
    return ocr.OcrResult(
        list(content),
        open_start=ocr._Edge(tables[0], xs) if start else None,
        open_end=ocr._Edge(tables[-1], xs) if end else None,
    )


def test_a_table_going_on_over_the_page_break_is_one_table() -> None:
    first = _table([["统计指标", "单位", "统计数"], ["（一）收到申请数", "件", "5"]], 1)
    rest = _table([["统计指标", "单位", "统计数"], ["（二）申请办结数", "件", "5"]], 2)
    result = _page(1, Block("正文"), first, end=True)
    result.extend(_page(2, rest, Block("2018年3月20日"), start=True))
    tables = [x for x in result.content if isinstance(x, Table)]
    assert len(tables) == 1 and tables[0].pages == [1, 2]
    # the header the next page repeats is left out; the row under it follows the first page's
    header = ["统计指标", "单位", "统计数"]
    assert tables[0].grid() == [header, ["（一）收到申请数", "件", "5"], ["（二）申请办结数", "件", "5"]]
    assert [x.text for x in result.content if isinstance(x, Block)] == ["正文", "2018年3月20日"]


@pytest.mark.parametrize("case", ["gap", "columns", "not_at_edge"])
def test_tables_that_do_not_continue_stay_apart(case: str) -> None:
    first = _table([["a", "b", "c"], ["行", "件", "1"]], 1)
    rest = _table([["行二", "件", "2"]], 3 if case == "gap" else 2)
    result = _page(1, first, end=case != "not_at_edge")
    nxt = _page(rest.page or 0, rest, start=True)
    if case == "columns":
        assert nxt.open_start is not None
        nxt.open_start.xs = [0.1, 0.5, 0.9]
    result.extend(nxt)
    assert [x for x in result.content if isinstance(x, Table)] == [first, rest]
    assert first.n_rows == 2


def _table3(labels: list[str]) -> list[Cell]:
    """Table 三's rows (label, then the seven applicant columns) under its header rows."""
    header = [Cell("申请人情况", 0, 1, colspan=7), *(Cell(h, 1, c + 1) for c, h in enumerate(_APPLICANTS))]
    rows = [
        cell
        for r, label in enumerate(labels, start=2)
        for cell in (Cell(label, r, 0), *(Cell(str(r * 10 + c), r, c + 1) for c in range(7)))
    ]
    return header + rows


_APPLICANTS = ["自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", "总计"]


@pytest.mark.parametrize("garbled", ["全闫巴以大开", "", "《一〉于以公廾"])
def test_a_garbled_row_label_is_named_by_its_place_in_the_form(garbled: str) -> None:
    labels = [TABLE3_ROWS[0], TABLE3_ROWS[1], garbled, TABLE3_ROWS[4]]
    cells = _table3(labels)
    ocr._label_by_order(cells)
    assert [c.text for c in cells if c.col == 0 and c.row == 4] == ["（一）予以公开"]
    doc = Document("pdf", [Block("三、收到和处理政府信息公开申请情况"), Table(cells)])
    values = extract(doc).values
    assert values.get("requests.result.granted.natural_person") == 40


def test_two_garbled_rows_in_a_row_stay_unnamed() -> None:
    labels = [TABLE3_ROWS[1], "全闫巴以大开", "部分区分", TABLE3_ROWS[6]]
    cells = _table3(labels)
    ocr._label_by_order(cells)
    assert [c.text for c in cells if c.col == 0 and c.row >= 2] == labels


# ----------------------------------------------------------------------------- real scans


@pytest.mark.slow
@needs_tesseract
@pytest.mark.parametrize("draw", [0, 1])
def test_legacy_table_over_a_page_break_keeps_its_last_rows(draw: int) -> None:
    """Seed 000's 统计表 runs from page 5 onto page 6, where only its last three rows (会议和
    培训) stand: read alone they are no 统计表, read as the table's end they are."""
    score = score_scan("seed_000", SEEDS / "000.pdf", "office", (5, 6), draw)
    meetings = {k for k in truth(SEEDS / "000.pdf", (5, 6)).values if k.startswith("legacy.meetings.")}
    assert len(meetings) == 3
    assert not [e for e in score.errors if e.startswith("legacy.meetings.")], score.errors
    assert score.wrong == 0, score.errors


@pytest.mark.slow
@needs_tesseract
def test_last_row_above_the_page_break_without_a_rule_under_it_is_read() -> None:
    """Hongze 2023 page 3 ends table 三 with 2.没有现成信息需要另行制作, whose rule is on the
    next page: the column rules running on past the last rule still make it a row."""
    path = REALWORLD / "jiangsu_huaian_hongze_2023_gov_annual_report.pdf"
    if not path.exists():
        pytest.skip("../shared/realworld not present (only in the dev workspace)")
    score = score_scan(path.stem, path, "office", (3,), 1)
    assert not [e for e in score.errors if "needs_creation" in e], score.errors
    assert score.wrong == 0, score.errors


@pytest.mark.slow
@needs_tesseract
@pytest.mark.parametrize("draw", [0, 1])
def test_seal_across_a_legacy_tables_rules_keeps_its_rows(draw: int) -> None:
    """Seed 000 page 4 with a red seal over the 统计表's unit and figure columns: the rules the
    seal's fringe breaks are bridged, so no row swallows its neighbour's figure, and a figure
    the engines still disagree on is stored as doubtful, never as sure."""
    score = score_scan("seed_000", SEEDS / "000.pdf", "photocopy", (4,), draw)
    assert not [e for e in score.errors if "legacy.other" in e], score.errors
    assert score.wrong == score.wrong_low, score.errors
    assert score.accuracy >= 0.9, score.errors
