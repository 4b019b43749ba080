"""Recognition: a report is known by its title and content, decoys are rejected with a reason.

The decoys here are short documents written for these tests in the shape of the real thing
(PORTALS.md "Decoys"): a notice about compiling the reports, a 法治政府建设 report, a website
annual form, a 部门决算, a 统计公报 and blank templates, as HTML pages and DOCX files.
"""

from __future__ import annotations

import io
from pathlib import Path

import docx
import pytest

from parsers import formats
from parsers.document import Block, Document
from parsers.recognize import assess, looks_like_organ, printed_title, title_head

SEEDS = Path(__file__).resolve().parent / "fixtures" / "seeds"
REALWORLD = Path(__file__).resolve().parents[1].parent / "shared" / "realworld"


def _realworld(relative: str) -> Path:
    path = REALWORLD / relative
    if not path.exists():
        pytest.skip("…/shared/realworld not present (only in the dev workspace)")
    return path


def _html(title: str, body: str, meta: str = "") -> Document:
    page = (
        f"<html><head><meta charset='utf-8'><title>{title}</title>{meta}</head>"
        f"<body><div class='TRS_Editor'><h1>{title}</h1>{body}</div></body></html>"
    )
    return formats.parse(page.encode("utf-8"))


def _docx(paragraphs: list[str], table: list[list[str]] | None = None) -> Document:
    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    if table:
        grid = document.add_table(rows=len(table), cols=len(table[0]))
        for r, row in enumerate(table):
            for c, text in enumerate(row):
                grid.cell(r, c).text = text
    buffer = io.BytesIO()
    document.save(buffer)
    return formats.parse(buffer.getvalue())


# -- real reports ------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["000", "001", "002", "003", "004"])
@pytest.mark.parametrize("ext", ["body.html", "pdf"])
def test_every_seed_report_is_recognised(name: str, ext: str) -> None:
    doc = formats.parse((SEEDS / f"{name}.{ext}").read_bytes())
    verdict = assess(doc)
    assert verdict.is_report, verdict.reason
    assert verdict.confidence >= 0.8


@pytest.mark.parametrize(
    "relative",
    [
        "reports/jiangsu_huaian_hongze_2023_gov_annual_report.pdf",
        "reports/jiangsu_huaian_hongze_2024_gov_annual_report.pdf",
        "reports/jiangsu_huaian_city_2024_gov_annual_report.pdf",
        "reports/fujian_pingtan_2018_gov_annual_report_t20190110_80529.html",
        "reports/fujian_pingtan_2024_gov_annual_report_t20250310_97791.html",
    ],
)
def test_real_reports_are_recognised(relative: str) -> None:
    verdict = assess(formats.parse(_realworld(relative).read_bytes()))
    assert verdict.is_report, verdict.reason


def test_the_2021_reports_show_all_six_statutory_sections() -> None:
    doc = formats.parse(_realworld("reports/jiangsu_huaian_hongze_2024_gov_annual_report.pdf").read_bytes())
    verdict = assess(doc, "政府信息公开工作年度报告")  # the PDF's own title: no year
    assert verdict.is_report
    assert "6/6 statutory sections" in verdict.reason
    assert "统计期限" in verdict.reason


def test_a_report_is_recognised_by_content_under_an_uninformative_title() -> None:
    body = "".join(
        f"<p>{p}</p>"
        for p in (
            "本报告中所列数据的统计期限自2022年1月1日起至2022年12月31日止。",
            "一、总体情况",
            "2022年，本局认真贯彻落实《中华人民共和国政府信息公开条例》。",
            "二、主动公开政府信息情况",
            "三、收到和处理政府信息公开申请情况",
            "四、政府信息公开行政复议、行政诉讼情况",
            "五、存在的主要问题及改进情况",
            "六、其他需要报告的事项",
        )
    )
    verdict = assess(_html("附件1", body))
    assert verdict.is_report
    assert verdict.reason.startswith("report by its content")


def test_a_report_title_over_an_empty_cover_page_is_a_report_with_low_confidence() -> None:
    cover = Document("html", [Block("详见附件。")])
    verdict = assess(cover, "某县财政局2020年政府信息公开工作年度报告")
    assert verdict.is_report
    assert verdict.confidence < 0.8
    assert "no content" in verdict.reason


# -- decoys ------------------------------------------------------------------------------------
NOTICE_BODY = (
    "<p>各县（市、区）人民政府，市政府各部门：</p>"
    "<p>根据《中华人民共和国政府信息公开条例》规定，现将有关事项通知如下：</p>"
    "<p>一、年度报告应包括：总体情况、主动公开政府信息情况、收到和处理政府信息公开申请情况、"
    "政府信息公开行政复议、行政诉讼情况、存在的主要问题及改进情况、其他需要报告的事项。</p>"
    "<p>二、请于2022年1月31日前完成年度报告编制发布工作，并报送市政府办公室。</p>"
    "<p>特此通知。</p><p>某市人民政府办公室</p><p>2022年1月5日</p>"
)


def test_a_notice_about_compiling_the_reports_is_not_a_report() -> None:
    title = "关于做好2021年政府信息公开工作年度报告编制发布工作的通知"
    verdict = assess(_html(title, NOTICE_BODY))
    assert not verdict.is_report
    assert "notice about compiling" in verdict.reason
    assert verdict.confidence >= 0.9  # the body reads like a notice too


def test_a_rule_of_law_annual_report_is_not_a_disclosure_report() -> None:
    doc = _docx(
        [
            "某市2021年法治政府建设年度报告",
            "2021年，某市深入学习贯彻习近平法治思想，扎实推进法治政府建设。",
            "一、2021年推进法治政府建设的主要举措和成效",
            "（一）依法全面履行政府职能。深化“放管服”改革，推进政务公开。",
            "二、存在的不足和原因",
            "三、2022年推进法治政府建设的主要安排",
        ]
    )
    verdict = assess(doc)
    assert not verdict.is_report
    assert "法治政府建设" in verdict.reason


def test_a_government_website_annual_form_is_not_a_report() -> None:
    doc = _docx(
        ["某市人民政府门户网站2021年政府网站年度工作报表"],
        [
            ["网站名称", "某市人民政府门户网站"],
            ["首页网址", "http://www.example.gov.cn"],
            ["主办单位", "某市人民政府办公室"],
            ["网站标识码", "3700000001"],
            ["独立用户访问总量（单位：个）", "1234567"],
        ],
    )
    verdict = assess(doc)
    assert not verdict.is_report
    assert "website form" in verdict.reason


def test_a_departmental_final_accounts_report_is_not_a_report() -> None:
    body = (
        "<p>第一部分 部门概况</p><p>第二部分 2021年度部门决算表</p>"
        "<table><tr><td>收入支出决算总表</td><td>金额（万元）</td></tr>"
        "<tr><td>一般公共预算财政拨款收入</td><td>1234.56</td></tr></table>"
    )
    verdict = assess(_html("某县财政局2021年度部门决算", body))
    assert not verdict.is_report
    assert "决算" in verdict.reason


def test_a_statistical_bulletin_is_not_a_report() -> None:
    body = "<p>初步核算，全年地区生产总值比上年增长6.5%。</p><p>居民消费价格比上年上涨1.2%。</p>"
    verdict = assess(_html("某县2021年国民经济和社会发展统计公报", body))
    assert not verdict.is_report
    assert "统计公报" in verdict.reason


@pytest.mark.parametrize(
    "relative",
    [
        "portals_cms/ucap_wanzai_article_2017_tjgb.saved.html",
        "portals_cms/ucap_yichun_article_2023_tjgb.saved.html",
    ],
)
def test_real_statistical_bulletin_pages_are_not_reports(relative: str) -> None:
    verdict = assess(formats.parse(_realworld(relative).read_bytes()))
    assert not verdict.is_report
    assert "统计公报" in verdict.reason


def test_the_blank_official_template_is_not_a_report() -> None:
    path = _realworld("reports/templates/guoban_2021_annual_report_template_blank.docx")
    verdict = assess(formats.parse(path.read_bytes()))
    assert not verdict.is_report
    assert "template" in verdict.reason


def test_a_template_with_placeholders_and_blank_cells_is_not_a_report() -> None:
    blank_rows = [
        [label, "", "", "", "", "", "", ""]
        for label in (
            "一、本年新收政府信息公开申请数量",
            "二、上年结转政府信息公开申请数量",
            "（一）予以公开",
            "（七）总计",
            "四、结转下年度继续办理",
        )
    ]
    header = ["", "自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", "总计"]
    doc = _docx(
        [
            "XX县XX局XX年政府信息公开工作年度报告",
            "本报告中所列数据的统计期限自XX年1月1日起至XX年12月31日止。",
            "一、总体情况",
            "（文字描述）",
            "三、收到和处理政府信息公开申请情况",
        ],
        [header, *blank_rows],
    )
    verdict = assess(doc)
    assert not verdict.is_report
    assert "template" in verdict.reason


def test_a_decoy_under_a_neutral_title_is_rejected_by_its_body() -> None:
    # The notice lists the six section names in a sentence: that is no report's headings.
    verdict = assess(_html("工作动态", NOTICE_BODY))
    assert not verdict.is_report
    assert "notice" in verdict.reason


# -- helpers -----------------------------------------------------------------------------------
def test_printed_title_joins_a_title_split_over_two_lines() -> None:
    doc = formats.parse((SEEDS / "001.body.html").read_bytes())
    assert printed_title(doc) == "威海市环翠区行政审批服务局2019年政府信息公开工作年度报告"
    split = Document("html", [Block("平潭综合实验区2018年度"), Block("政府信息公开工作年度报告")])
    assert printed_title(split) == "平潭综合实验区2018年度政府信息公开工作年度报告"


def test_title_head_and_organ_lines() -> None:
    assert title_head("威海市政务服务中心管理办公室 2017年政务公开工作年度报告") == (
        "威海市政务服务中心管理办公室"
    )
    assert title_head("政府信息公开工作年度报告（2017年度）") is None
    assert looks_like_organ("威海市环翠区行政审批服务局")
    assert not looks_like_organ("根据政务公开工作要求，现将有关情况报告如下")


def test_a_notice_that_publishes_the_report_is_the_report() -> None:
    title = "某市人民政府办公室关于印发《某市2019年政府信息公开工作年度报告》的通知"
    body = "".join(
        f"<p>{p}</p>"
        for p in (
            "各县（市、区）人民政府，市政府各部门：",
            "现将《某市2019年政府信息公开工作年度报告》印发给你们。",
            "本报告中所列数据的统计期限自2019年1月1日起至2019年12月31日止。",
            "一、总体情况",
            "二、主动公开政府信息情况",
            "三、收到和处理政府信息公开申请情况",
            "四、政府信息公开行政复议、行政诉讼情况",
            "五、存在的主要问题及改进情况",
            "六、其他需要报告的事项",
        )
    )
    verdict = assess(_html(title, body))
    assert verdict.is_report
    assert "published by a notice" in verdict.reason
    compile_notice = "某市人民政府办公室关于做好2019年政府信息公开工作年度报告编制发布工作的通知"
    assert not assess(_html(compile_notice, body)).is_report
