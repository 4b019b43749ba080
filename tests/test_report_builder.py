"""The report builder: metadata of each seed and real report, several files as one report,
disagreements between files, and the year-over-year check.

Expected values were read off the documents themselves (seed texts in /work/shared/seeds and
the rendered real PDFs/pages), not taken from the code's output:

- 000: red-head document "威海市政务服务中心管理办公室文件 / 威政服办〔2018〕7号", closing
  "2018年3月20日印发"; the body cites 威政办字〔2017〕30号, which is not its 文号.
- 001: title split over two lines, signature "威海市环翠区行政审批服务局 / 2020年1月18日".
- 002: signature "灵武市政务服务中心 / 2017年12月28日" before the attached 统计表.
- 003: title says only "市政务服务中心管理办公室" (relative: the 曲阜 portal); the page header
  prints "发布时间:2018-01-31 21:24:30", the signature date is 2018年1月19日.
- 004: agency line above the title; the body cites 聊政机发〔2018〕3号 (the notice it follows).
- Codes: 威海市 371000, 环翠区 371002, 灵武市 640181, 曲阜市 370881, 聊城市 371500, 洪泽区
  320813, 淮安市 320800, 平潭县 350128 (平潭综合实验区).
"""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from parsers import formats
from parsers.document import Block, Document, Table
from parsers.report import (
    PARSER_VERSION,
    ReportRecord,
    Source,
    YearEntry,
    build_report,
    report_id,
    year_over_year_checks,
)

SEEDS = Path(__file__).resolve().parent / "fixtures" / "seeds"
REALWORLD = Path(__file__).resolve().parents[1].parent / "shared" / "realworld" / "reports"

# The demo sites' region text (sites.yaml) for each seed's portal.
SITE_REGION = {
    "000": "山东省威海市",
    "001": "山东省威海市环翠区",
    "002": "宁夏回族自治区银川市灵武市",
    "003": "山东省济宁市曲阜市",
    "004": "山东省聊城市",
}
# seed: title, agency, region code, level, year, published, signed, 文号, era
SEED_TRUTH = {
    "000": (
        "威海市政务服务中心管理办公室 2017年政务公开工作年度报告",
        "威海市政务服务中心管理办公室",
        "371000",
        "city",
        2017,
        "2018-03-20",
        "2018-03-20",
        "威政服办〔2018〕7号",
        "legacy",
    ),
    "001": (
        "威海市环翠区行政审批服务局2019年政府信息公开工作年度报告",
        "威海市环翠区行政审批服务局",
        "371002",
        "county",
        2019,
        "2020-01-18",
        "2020-01-18",
        None,
        "2019",
    ),
    "002": (
        "灵武市政务服务中心2017年度政府信息公开工作报告",
        "灵武市政务服务中心",
        "640181",
        "county",
        2017,
        "2017-12-28",
        "2017-12-28",
        None,
        "legacy",
    ),
    "003": (
        "市政务服务中心管理办公室2017年政府信息公开工作年度报告",
        "曲阜市政务服务中心管理办公室",
        "370881",
        "county",
        2017,
        "2018-01-31",
        "2018-01-19",
        None,
        "prose",
    ),
    "004": (
        "聊城市政务服务中心管理办公室2017年度政府信息公开工作年度报告",
        "聊城市政务服务中心管理办公室",
        "371500",
        "city",
        2017,
        "2018-01-19",
        "2018-01-19",
        None,
        "prose",
    ),
}


def _doc(path: Path) -> Document:
    return formats.parse(path.read_bytes())


def _source(doc: Document | None, *, role: str = "page", n: int = 1, name: str | None = None) -> Source:
    return Source(
        sha256=f"{n:064x}", fetch_id=n, url=f"http://x.test/{n}", role=role, document=doc, name=name
    )


def _fields(r: ReportRecord) -> tuple[object, ...]:
    return (
        r.title,
        r.agency,
        r.region_code,
        r.region_level,
        r.year,
        r.published,
        r.signed,
        r.doc_number,
        r.era,
    )


def _realworld(name: str) -> Path:
    path = REALWORLD / name
    if not path.exists():
        pytest.skip("…/shared/realworld not present (only in the dev workspace)")
    return path


def _file_report(name: str, n: int = 1) -> ReportRecord:
    """The report built from one real file, published as a file of its own."""
    return build_report([_source(_doc(_realworld(name)), role="file", n=n)])


# -- metadata ----------------------------------------------------------------------------------
@pytest.mark.parametrize("seed", sorted(SEED_TRUTH))
@pytest.mark.parametrize("ext", ["body.html", "docx", "pdf"])
def test_seed_metadata_from_the_document_alone(seed: str, ext: str) -> None:
    role = "page" if ext == "body.html" else "file"
    doc = _doc(SEEDS / f"{seed}.{ext}")
    record = build_report([_source(doc, role=role)], site="s", site_region=SITE_REGION[seed])
    assert _fields(record) == SEED_TRUTH[seed]
    assert record.is_report, record.recognition
    assert record.parser_version == PARSER_VERSION


def test_a_relative_agency_is_made_whole_only_from_what_implies_it() -> None:
    doc = _doc(SEEDS / "003.body.html")
    alone = build_report([_source(doc)])
    assert alone.agency == "市政务服务中心管理办公室"  # nothing says which 市
    assert alone.region_code is None
    by_site_agency = build_report([_source(doc)], site_agency="曲阜市人民政府")
    assert (by_site_agency.agency, by_site_agency.region_code) == (
        "曲阜市政务服务中心管理办公室",
        "370881",
    )
    with_meta = copy.deepcopy(doc)
    with_meta.meta["发布机构"] = "曲阜市政务服务中心管理办公室"
    by_meta = build_report([_source(with_meta)])
    assert by_meta.agency == "曲阜市政务服务中心管理办公室"
    assert by_meta.region == "山东省济宁市曲阜市"


def test_page_metadata_comes_first_and_a_blank_wenhao_is_none() -> None:
    doc = copy.deepcopy(_doc(SEEDS / "004.body.html"))
    doc.meta.update({"PubDate": "2018-01-22 11:40:00", "文号": "无", "成文日期": "2018-01-19"})
    record = build_report([_source(doc)], site_region=SITE_REGION["004"])
    assert (record.published, record.signed, record.doc_number) == (
        "2018-01-22",
        "2018-01-19",
        None,
    )


def test_a_cited_wenhao_in_the_body_is_not_the_reports() -> None:
    record = build_report([_source(_doc(SEEDS / "004.body.html"))])
    assert "聊政机发〔2018〕3号" in record.text
    assert record.doc_number is None


def test_signature_dates_in_chinese_numerals() -> None:
    doc = Document(
        "docx",
        [
            Block("某县财政局2017年政府信息公开工作年度报告"),
            Block("正文……"),
            Block("某县财政局"),
            Block("二〇一八年一月十九日"),
        ],
    )
    record = build_report([_source(doc, role="file")])
    assert (record.signed, record.published, record.agency) == (
        "2018-01-19",
        "2018-01-19",
        "某县财政局",
    )


@pytest.mark.parametrize(
    ("name", "truth"),
    [
        (
            "jiangsu_huaian_hongze_2023_gov_annual_report.pdf",
            (
                "洪泽区人民政府2023年政府信息公开工作年度报告",
                "洪泽区人民政府",
                "320813",
                "county",
                2023,
            ),
        ),
        (
            "jiangsu_huaian_hongze_2024_gov_annual_report.pdf",
            (
                "淮安市洪泽区人民政府2024年政府信息公开工作年度报告",
                "淮安市洪泽区人民政府",
                "320813",
                "county",
                2024,
            ),
        ),
        (
            "jiangsu_huaian_city_2024_gov_annual_report.pdf",
            (
                "淮安市人民政府2024年政府信息公开工作年度报告",
                "淮安市人民政府",
                "320800",
                "city",
                2024,
            ),
        ),
    ],
)
def test_real_pdf_reports(name: str, truth: tuple[object, ...]) -> None:
    record = _file_report(name)
    assert (
        record.title,
        record.agency,
        record.region_code,
        record.region_level,
        record.year,
    ) == truth
    # No date is printed in these PDFs and a file carries no page metadata.
    assert (record.published, record.signed, record.doc_number, record.era) == (
        None,
        None,
        None,
        "2021",
    )


@pytest.mark.parametrize(
    ("name", "year", "published", "era"),
    [
        (
            "fujian_pingtan_2018_gov_annual_report_t20190110_80529.html",
            2018,
            "2019-01-10",
            "legacy",
        ),
        ("fujian_pingtan_2024_gov_annual_report_t20250310_97791.html", 2024, "2025-03-10", "2021"),
    ],
)
def test_real_pingtan_pages(name: str, year: int, published: str, era: str) -> None:
    record = build_report([_source(_doc(_realworld(name)))], site_region="福建省平潭综合实验区")
    assert record.title == f"平潭综合实验区{year}年度政府信息公开工作年度报告"
    # The title names only the place; the pages name its 管委会 (来源 / 管委会办公室).
    assert record.agency == "平潭综合实验区管委会"
    assert (record.region_code, record.region_level) == ("350128", "county")
    assert (record.year, record.published, record.era) == (year, published, era)


def test_the_blank_template_is_built_but_marked_not_a_report() -> None:
    path = _realworld("templates/guoban_2021_annual_report_template_blank.docx")
    record = build_report([_source(_doc(path), role="file")])
    assert record.is_report is False
    assert "template" in record.recognition
    assert all(m["value"] is None for m in record.metrics)


def test_a_decoy_is_marked_not_a_report_with_the_reason() -> None:
    notice = Document(
        "html",
        [
            Block("各县区人民政府：请于2022年1月31日前完成年度报告编制发布工作。"),
            Block("特此通知。"),
        ],
        title="关于做好2021年政府信息公开工作年度报告编制发布工作的通知",
    )
    record = build_report([_source(notice)])
    assert record.is_report is False
    assert "notice about compiling" in record.recognition


# -- several files, one report -----------------------------------------------------------------
def test_page_and_attachment_with_the_same_tables_agree() -> None:
    page = _source(_doc(SEEDS / "000.body.html"))
    pdf = _source(_doc(SEEDS / "000.pdf"), role="attachment", n=2, name="P020180320364715151716.pdf")
    record = build_report([page, pdf], site_region=SITE_REGION["000"])
    assert record.id == report_id(page.url)
    assert record.sha256 == page.sha256  # same cells: markup beats a PDF text layer
    assert [s.sha256 for s in record.sources] == [page.sha256, pdf.sha256]
    agree = [c for c in record.checks if c["rule"] == "sources_agree"]
    assert len(agree) == 1 and agree[0]["passed"] is True
    assert agree[0]["expected"] == agree[0]["found"] == len(record.metrics)
    assert not record.disagreements


def test_a_cell_the_files_disagree_on_is_recorded_not_fixed() -> None:
    page = _source(_doc(SEEDS / "000.body.html"))
    pdf_doc = _doc(SEEDS / "000.pdf")
    # The PDF prints 4 查阅点 where the page has 3 (seed 000: "(二) 设置政府信息公开查阅点数 个 3").
    table: Table = pdf_doc.tables[0]
    row = next(c.row for c in table.cells if "查阅点" in c.text)
    last = max((c for c in table.cells if c.row == row), key=lambda c: c.col)
    assert last.text == "3"
    last.text = "4"
    pdf = _source(pdf_doc, role="attachment", n=2, name="a.pdf")
    record = build_report([page, pdf], site_region=SITE_REGION["000"])
    values = {m["key"]: m["value"] for m in record.metrics}
    assert values["legacy.staffing.reading_points"] == 3  # from the primary file, unchanged
    failed = [c for c in record.checks if c["rule"].startswith("sources_agree:")]
    assert [(c["rule"], c["expected"], c["found"], c["passed"]) for c in failed] == [
        ("sources_agree:legacy.staffing.reading_points", 3, 4, False)
    ]
    summary = next(c for c in record.checks if c["rule"] == "sources_agree")
    assert (summary["found"], summary["expected"], summary["passed"]) == (64, 65, False)
    assert record.disagreements[0]["other_sha256"] == pdf.sha256


def test_a_cover_page_takes_its_figures_and_text_from_the_attachment() -> None:
    cover = Document(
        "html",
        [Block("威海市政务服务中心管理办公室 2017年政务公开工作年度报告"), Block("详见附件。")],
        meta={"PubDate": "2018-03-20 09:30:00"},
    )
    page = _source(cover)
    pdf = _source(_doc(SEEDS / "000.pdf"), role="attachment", n=2)
    record = build_report([page, pdf], site_region=SITE_REGION["000"])
    assert record.sha256 == pdf.sha256 and record.fetch_id == 2
    assert all(m["sha256"] == pdf.sha256 for m in record.metrics)
    assert record.era == "legacy"
    assert "本报告中所列数据的统计期限" in record.text
    assert record.published == "2018-03-20"


def test_the_primary_file_does_not_depend_on_fetch_order() -> None:
    cover = Document("html", [Block("威海市政务服务中心管理办公室 2017年政务公开工作年度报告")])
    pdf = _source(_doc(SEEDS / "000.pdf"), role="attachment", n=2)
    docx = _source(_doc(SEEDS / "000.docx"), role="attachment", n=3)
    first = build_report([_source(cover), pdf, docx])
    second = build_report([_source(cover), docx, pdf])
    # Same cells in both; the DOCX's own markup beats the PDF's text layer.
    assert first.sha256 == second.sha256 == docx.sha256


def test_prose_page_with_an_attached_statistics_table_keeps_both() -> None:
    # Like seed 003: the article is prose, the 统计表 is an attachment (here 002's table).
    prose = _doc(SEEDS / "003.body.html")
    table_only = Document("docx", [Block("政府信息公开情况统计表"), _doc(SEEDS / "002.body.html").tables[0]])
    page = _source(prose)
    attachment = _source(table_only, role="attachment", n=2, name="统计表.docx")
    record = build_report([page, attachment], site_region=SITE_REGION["003"])
    assert record.sha256 == attachment.sha256  # the figures' file
    assert record.era == "legacy"
    assert "中心管理办公室成立了政务公开领导小组" in record.text  # the page's prose is kept
    assert record.agency == "曲阜市政务服务中心管理办公室"  # metadata still from the page


def test_an_unparsed_attachment_is_still_linked() -> None:
    page = _source(_doc(SEEDS / "003.body.html"))
    broken = _source(None, role="attachment", n=2, name="便签.doc")
    record = build_report([page, broken], site_region=SITE_REGION["003"])
    assert [s.name for s in record.sources] == [None, "便签.doc"]
    assert record.sha256 == page.sha256


# -- year over year ----------------------------------------------------------------------------
def _entry(record: ReportRecord) -> YearEntry:
    values = {m["key"]: m["value"] for m in record.metrics}
    return YearEntry(record.id, record.agency_key, record.year, values)


def test_year_over_year_on_the_hongze_reports() -> None:
    r23 = _file_report("jiangsu_huaian_hongze_2023_gov_annual_report.pdf")
    r24 = _file_report("jiangsu_huaian_hongze_2024_gov_annual_report.pdf", n=2)
    # "洪泽区人民政府" (2023) and "淮安市洪泽区人民政府" (2024) are one agency.
    assert r23.agency_key == r24.agency_key
    checks = year_over_year_checks([_entry(r24), _entry(r23)])
    assert set(checks) == {r24.id}
    # 2023 结转下年度 and 2024 上年结转 are 0 in all seven columns (pages 4 and 3 of the PDFs).
    assert sorted(c["rule"] for c in checks[r24.id]) == sorted(
        f"year_over_year.carried_over.{a}"
        for a in (
            "natural_person",
            "business",
            "research",
            "nonprofit",
            "legal_services",
            "other_org",
            "total",
        )
    )
    assert all((c["expected"], c["found"], c["passed"]) == (0, 0, True) for c in checks[r24.id])
    assert r23.id in checks[r24.id][0]["detail"]


def test_year_over_year_flags_a_break_and_never_pairs_other_agencies() -> None:
    city = _file_report("jiangsu_huaian_city_2024_gov_annual_report.pdf")
    hongze = _file_report("jiangsu_huaian_hongze_2023_gov_annual_report.pdf", n=2)
    assert year_over_year_checks([_entry(city), _entry(hongze)]) == {}
    # The city's 2024 report carries over 34 (自然人); say its 2023 report had carried 30 forward.
    last_year = YearEntry(
        "city2023",
        city.agency_key,
        2023,
        {"requests.carried_forward.natural_person": 30, "requests.carried_forward.total": 30},
    )
    checks = {c["rule"]: c for c in year_over_year_checks([_entry(city), last_year])[city.id]}
    natural = checks["year_over_year.carried_over.natural_person"]
    assert (natural["expected"], natural["found"], natural["passed"]) == (30, 34, False)
    assert checks["year_over_year.carried_over.business"]["passed"] is True  # 0 = blank-as-0
