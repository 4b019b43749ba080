"""Figures stated in sentences (reports without a statistics table)."""

from __future__ import annotations

from parsers.document import Block, Document
from parsers.metrics import extract


def prose(*lines: str) -> Document:
    return Document("html", [Block(line) for line in lines])


def test_legacy_year_received_applications() -> None:
    result = extract(
        prose(
            "某中心2017年政府信息公开工作年度报告",
            "2017年，中心管理办全年共收到依申请信息公开5条，均按规定进行了回复。",
        )
    )
    assert result.era == "prose" and result.year == 2017
    assert result.values == {"legacy.requests.received": 5}
    metric = result.metrics[0]
    assert metric.confidence == "low" and metric.source.block == 1
    assert metric.raw == "收到依申请信息公开5条"


def test_modern_year_uses_table_keys() -> None:
    result = extract(
        prose(
            "某区人民政府2024年政府信息公开工作年度报告",
            "2024年，区政府办代表区政府受理政府信息公开申请 17 件，均已在法定期限内予以答复。",
            "政府信息公开行政复议 351 件，其中结果维持 72 件；政府信息公开行政诉讼 46 件。",
            "2024年，我区在政府网站平台主动发布各类政府信息 2428 条，公开政府常务会议 7 期。",
        )
    )
    assert result.values == {
        "requests.new.total": 17,
        "review.total": 351,
        "litigation.total": 46,
        "active.total": 2428,
    }


def test_statements_of_none_give_zero() -> None:
    result = extract(
        prose(
            "市政务服务中心管理办公室2017年政府信息公开工作年度报告",
            "2017年,中心管理办公室没有接收到书面或其它形式要求公开政府信息的申请,不存在政府信息公开的"
            "收费及减免情况,也不存在因政府信息公开申请行政复议、提起行政诉讼的情况。",
        )
    )
    assert result.values == {
        "legacy.requests.received": 0,
        "legacy.review.total": 0,
        "legacy.litigation.total": 0,
    }


def test_review_authority_is_not_a_statement_about_reviews() -> None:
    result = extract(prose("2017年政务公开工作年度报告", "无被行政复议机关确认违法或撤销、确认瑕疵等情况。"))
    assert "legacy.review.total" not in result.values


def test_total_beats_channel_figures_in_the_same_sentence() -> None:
    result = extract(
        prose(
            "2017年政府信息公开工作年度报告",
            "按相同的信息通过不同的渠道和方式发布计为1条,通过门户网站发布78条信息,山东政务服务网发布7条"
            "信息,市级信息公开平台发布了62条信息,中心管理办公室2017年累计共发布了116条信息。",
        )
    )
    assert result.values["legacy.active.total"] == 116


def test_proactive_figure_beats_overall_and_request_figures() -> None:
    result = extract(
        prose(
            "2017年度政府信息公开工作年度报告",
            "我中心在办公场所、网站等发布信息累计14494余条，其中主动公开信息10750余条，依申请公开信息"
            "3744余条。",
            "2017年，中心受理政府信息公开依申请公开信息3744余条，中心已按相关规定全部答复。",
        )
    )
    assert result.values == {"legacy.active.total": 10750, "legacy.requests.received": 3744}
    assert all(m.approximate for m in result.metrics)


def test_interpretations_are_not_published_items() -> None:
    result = extract(prose("2017年政府信息公开工作年度报告", "主动发布了关于“放管服”改革的1条政策解读信息。"))
    assert "legacy.active.total" not in result.values


def test_chinese_numeral_in_a_sentence() -> None:
    result = extract(prose("2018年政府信息公开工作年度报告", "全年共收到政府信息公开申请三件。"))
    assert result.values == {"legacy.requests.received": 3}


def test_unknown_year_uses_legacy_keys_and_warns() -> None:
    result = extract(prose("全年共收到政府信息公开申请 4 件。"))
    assert result.year is None
    assert result.values == {"legacy.requests.received": 4}
    assert any("year unknown" in w for w in result.warnings)


def test_no_figures_no_metrics() -> None:
    result = extract(prose("2016年政府信息公开工作年度报告", "我单位高度重视政府信息公开工作。"))
    assert result.metrics == [] and result.checks == []
