"""Locating statutory tables by their labels: variants, splits, units, eras, and every check.

The grids here are small hand-made tables shaped like what real reports and real parsers
produce (reworded and renumbered labels, a vertical label broken into pieces, a table cut by a
page break, a header spanning columns). Values are invented for the test; the expectations
follow from the grids as written.
"""

from __future__ import annotations

import pytest

from parsers.document import Block, Document, Table
from parsers.metrics import detect_era, extract, year_over_year
from parsers.metrics.checks import run_checks
from parsers.metrics.tables import table_from_grid

APPL = ["natural_person", "business", "research", "nonprofit", "legal_services", "other_org", "total"]
NOTE = "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"
R3 = "三、本年度办理结果"
HEADER_2021 = [
    [NOTE, NOTE, NOTE, *["申请人情况"] * 7],
    [NOTE, NOTE, NOTE, "自然人", *["法人或其他组织"] * 5, "总计"],
    [NOTE, NOTE, NOTE, "自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", "总计"],
]
LABELS_2021 = [
    ["一、本年新收政府信息公开申请数量"] * 3,
    ["二、上年结转政府信息公开申请数量"] * 3,
    [R3, "（一）予以公开", "（一）予以公开"],
    [R3, "（二）部分公开（区分处理的，只计这一情形，不计其他情形）"] * 1 + ["（二）部分公开"],
    [R3, "（三）不予公开", "1.属于国家秘密"],
    [R3, "（三）不予公开", "2.其他法律行政法规禁止公开"],
    [R3, "（三）不予公开", "3.危及“三安全一稳定”"],
    [R3, "（三）不予公开", "4.保护第三方合法权益"],
    [R3, "（三）不予公开", "5.属于三类内部事务信息"],
    [R3, "（三）不予公开", "6.属于四类过程性信息"],
    [R3, "（三）不予公开", "7.属于行政执法案卷"],
    [R3, "（三）不予公开", "8.属于行政查询事项"],
    [R3, "（四）无法提供", "1.本机关不掌握相关政府信息"],
    [R3, "（四）无法提供", "2.没有现成信息需要另行制作"],
    [R3, "（四）无法提供", "3.补正后申请内容仍不明确"],
    [R3, "（五）不予处理", "1.信访举报投诉类申请"],
    [R3, "（五）不予处理", "2.重复申请"],
    [R3, "（五）不予处理", "3.要求提供公开出版物"],
    [R3, "（五）不予处理", "4.无正当理由大量反复申请"],
    [R3, "（五）不予处理", "5.要求行政机关确认或重新出具已获取信息"],
    [R3, "（六）其他处理", "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请"],
    [R3, "（六）其他处理", "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请"],
    [R3, "（六）其他处理", "3.其他"],
    [R3, "（七）总计", "（七）总计"],
    ["四、结转下年度继续办理"] * 3,
]
ROW_KEYS_2021 = [
    "new",
    "carried_over",
    "result.granted",
    "result.partly_granted",
    *(
        f"result.denied.{k}"
        for k in (
            "state_secret",
            "prohibited_by_law",
            "security_stability",
            "third_party",
            "internal_affairs",
            "deliberative",
            "enforcement_file",
            "query_matter",
        )
    ),
    *(f"result.unable.{k}" for k in ("not_held", "needs_creation", "unclear")),
    *(
        f"result.not_processed.{k}"
        for k in ("petition", "duplicate", "publication", "excessive", "confirmation")
    ),
    "result.other.no_correction",
    "result.other.unpaid_fee",
    "result.other.other",
    "result.total",
    "carried_forward",
]
REVIEW_HEADER = [
    [*["行政复议"] * 5, *["行政诉讼"] * 10],
    ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计", *["未经复议直接起诉"] * 5, *["复议后起诉"] * 5],
    [
        "结果维持",
        "结果纠正",
        "其他结果",
        "尚未审结",
        "总计",
        *["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"] * 2,
    ],
]


def table3(values: dict[str, list[str]]) -> list[list[str]]:
    """The official 2021 table 三 grid; rows not in ``values`` are all "0"."""
    rows = [list(r) for r in HEADER_2021]
    for labels, key in zip(LABELS_2021, ROW_KEYS_2021, strict=True):
        rows.append(labels + values.get(key, ["0"] * 7))
    return rows


def balanced_values() -> dict[str, list[str]]:
    """A consistent table: 5 natural-person + 2 business applications, all handled."""
    return {
        "new": ["5", "2", "0", "0", "0", "0", "7"],
        "result.granted": ["3", "2", "0", "0", "0", "0", "5"],
        "result.unable.not_held": ["2", "0", "0", "0", "0", "0", "2"],
        "result.total": ["5", "2", "0", "0", "0", "0", "7"],
    }


def doc_of(*grids: list[list[str]], text: str = "") -> Document:
    blocks: list[Block | Table] = [Block(line) for line in text.splitlines() if line]
    return Document("html", blocks + [table_from_grid(g) for g in grids])


def review_grid(values: list[str]) -> list[list[str]]:
    return [*REVIEW_HEADER, values]


# ------------------------------------------------------------------ table 三


def test_official_2021_table3_reads_every_cell() -> None:
    result = extract(doc_of(table3(balanced_values()), review_grid(["0"] * 15)))
    assert result.era == "2021"
    v = result.values
    assert v["requests.new.natural_person"] == 5 and v["requests.new.total"] == 7
    assert v["requests.result.other.other.business"] == 0
    assert sum(k.startswith("requests.") for k in v) == 25 * 7
    assert not result.failed_checks


def test_table3_reworded_renumbered_and_split_header() -> None:
    grid = [
        ["", "", "申请人情况", "", "", "", "", "", ""],
        ["", "", "自 然 人", "法人或者其他组织", "", "", "", "", "总 计"],
        ["", "", "", "商业\n企业", "科研\n机构", "社会公益\n组织", "法律服务\n机构", "其它", ""],
        ["1、本年度新收申请数", "", "4", "1", "", "", "", "", "5"],
        ["2、上年度结转申请数", "", "1", "0", "", "", "", "", "1"],
        ["3、办理结果", "(1)予以公开", "3", "1", "", "", "", "", "4"],
        ["", "(2)不予公开 ①涉及国家秘密", "1", "", "", "", "", "", "1"],
        ["", "(3)不予处理 ①属于重复申请", "1", "", "", "", "", "", "1"],
        ["", "(4)合计", "5", "1", "", "", "", "", "6"],
        ["4、结转下一年度继续办理", "", "0", "0", "", "", "", "", "0"],
    ]
    v = extract(doc_of(grid, text="2021年度政府信息公开工作年度报告")).values
    assert v["requests.new.natural_person"] == 4 and v["requests.new.total"] == 5
    assert v["requests.carried_over.natural_person"] == 1
    assert v["requests.result.granted.business"] == 1
    assert v["requests.result.denied.state_secret.natural_person"] == 1
    assert v["requests.result.not_processed.duplicate.total"] == 1
    assert v["requests.result.total.total"] == 6
    assert v["requests.carried_forward.total"] == 0
    assert v["requests.new.research"] is None  # blank, not 0


def test_table3_columns_follow_the_header_not_the_position() -> None:
    header = ["", "总计", "自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他"]
    grid = [header, ["一、本年新收政府信息公开申请数量", "9", "8", "1", "0", "0", "0", "0"]]
    v = extract(doc_of(grid, text="2022年政府信息公开工作年度报告")).values
    assert v["requests.new.total"] == 9 and v["requests.new.natural_person"] == 8


def test_table3_cut_by_a_page_break_with_broken_vertical_labels() -> None:
    # What a PDF table extractor gives for a table 三 split over two pages: the vertical
    # "三、本年度办理结果" in pieces, "（四）无法提供" cut in two, no header on page two, and a
    # label whose text wraps onto a line above its numbers.
    page1 = [
        *HEADER_2021,
        ["一、本年新收政府信息公开申请数量", "", "", "10", "0", "0", "0", "0", "0", "10"],
        ["二、上年结转政府信息公开申请数量", "", "", "0", "0", "0", "0", "0", "0", "0"],
        ["三、", "（一）予以公开", "", "6", "0", "0", "0", "0", "0", "6"],
        ["本", "（二）部分公开", "", "1", "0", "0", "0", "0", "0", "1"],
        ["年", "（三）不", "1.属于国家秘密", "1", "0", "0", "0", "0", "0", "1"],
        ["度", "予公开", "8.属于行政查询事项", "0", "0", "0", "0", "0", "0", "0"],
        ["办", "（四）无", "1.本机关不掌握相关政府信息", "1", "0", "0", "0", "0", "0", "1"],
    ]
    page2 = [
        ["理", "法提供", "2.没有现成信息需要另行制作", "0", "0", "0", "0", "0", "0", "0"],
        ["结", "（五）不", "5.要求行政机关确认或重新出", "", "", "", "", "", "", ""],
        ["果", "予处理", "具已获取信息", "1", "0", "0", "0", "0", "0", "1"],
        ["", "（六）其", "3、其他", "0", "0", "0", "0", "0", "0", "0"],
        ["", "（七）总计", "", "10", "0", "0", "0", "0", "0", "10"],
        ["四、结转下年度继续办理", "", "", "0", "0", "0", "0", "0", "0", "0"],
    ]
    result = extract(doc_of(page1, page2, text="2024年政府信息公开工作年度报告"))
    v = result.values
    assert v["requests.result.granted.total"] == 6
    assert v["requests.result.denied.state_secret.natural_person"] == 1
    assert v["requests.result.unable.not_held.total"] == 1
    assert v["requests.result.unable.needs_creation.total"] == 0
    assert v["requests.result.not_processed.confirmation.natural_person"] == 1
    confirmation = result.get("requests.result.not_processed.confirmation.total")
    assert confirmation is not None and confirmation.source.table == 1
    assert confirmation.source.row == 2
    assert v["requests.result.other.other.total"] == 0
    assert v["requests.result.total.natural_person"] == 10
    assert v["requests.carried_forward.total"] == 0
    assert "requests.result.other.natural_person" not in v


def test_single_other_row_in_a_2021_report() -> None:
    grid = [r for r in table3(balanced_values()) if r[1] != "（六）其他处理"]
    at = next(i for i, r in enumerate(grid) if r[1] == "（七）总计")
    grid.insert(at, [R3, "（六）其他处理", "（六）其他处理", *["0"] * 7])
    result = extract(doc_of(grid, text="2023年政府信息公开工作年度报告"))
    assert result.values["requests.result.other.total"] == 0
    split = ("no_correction", "unpaid_fee", "other")
    assert not any(f"requests.result.other.{x}.total" in result.values for x in split)
    assert not result.failed_checks


# ------------------------------------------------------------------ tables 二 and 四


def test_table2_2021_with_spanning_cells_and_units() -> None:
    grid = [
        ["第二十条第（一）项"] * 4,
        ["信息内容", "本年制发件数", "本年废止件数", "现行有效件数"],
        ["规章", "1", "0", "11"],
        ["行政规范性文件", "8", "26", "66"],
        ["第二十条第（五）项"] * 4,
        ["信息内容", "本年处理决定数量", "本年处理决定数量", "本年处理决定数量"],
        ["行政许可", "", "447228", ""],  # a span split differently from its header
        ["第二十条第（八）项"] * 4,
        ["信息内容", *["本年收费金额（单位：万元）"] * 3],
        ["行政事业性收费", *["96171.6"] * 3],
    ]
    result = extract(doc_of(grid))
    v = result.values
    assert result.era == "2021"
    assert (v["active.regulations.issued"], v["active.regulations.in_force"]) == (1, 11)
    assert v["active.normative_documents.repealed"] == 26
    assert v["active.licensing.decisions"] == 447228
    fee = result.get("active.fees.amount_10k_yuan")
    assert fee is not None and (fee.value, fee.unit) == (96171.6, "万元")


def test_table2_2019_amount_in_yuan_is_converted_and_flagged() -> None:
    grid = [
        ["第二十条第（九）项"] * 3,
        ["信息内容", "采购项目数量", "采购总金额"],
        ["政府集中采购", "2", "1655100元"],
        ["第二十条第（五）项"] * 3,
        ["信息内容", "上一年项目数量", "本年增/减"],
        ["行政许可", "120", "-3"],
    ]
    result = extract(doc_of(grid))
    amount = result.get("active.procurement.amount_10k_yuan")
    assert result.era == "2019"
    assert amount is not None and amount.value == pytest.approx(165.51)
    assert (amount.unit, amount.raw) == ("万元", "1655100元")
    assert any("元" in w for w in result.warnings)
    assert result.values["active.licensing.items_change"] == -3


def test_table4_data_row_on_the_next_page() -> None:
    data = ["1", "1", "0", "0", "2", "1", "0", "0", "0", "1", "2", "0", "1", "0", "3"]
    result = extract(doc_of(REVIEW_HEADER, [data], text="2024年政府信息公开工作年度报告"))
    v = result.values
    assert (v["review.total"], v["litigation_direct.upheld"], v["litigation_after_review.other"]) == (2, 1, 1)
    assert not result.failed_checks


def test_table4_unreadable_header_falls_back_to_template_order_with_a_warning() -> None:
    header = [["行政复议"] * 5 + ["行政诉讼"] * 10, ["维持"] + ["?"] * 14]
    data = [str(i) for i in range(15)]
    result = extract(doc_of([*header, data], text="2024年政府信息公开工作年度报告"))
    assert result.values["litigation_after_review.total"] == 14
    assert any("template column order" in w for w in result.warnings)


# ------------------------------------------------------------------ legacy


def test_legacy_fujian_variant_with_cumulative_column() -> None:
    grid = [
        ["指标名称", "计量单位", "2016年度", "历年累计"],
        ["主动公开文件数", "条", "120", "900"],
        ["其中：1.政府网站公开数", "条", "100", "800"],
        ["2.政府公报公开数", "条", "20", "100"],
        ["受理依申请公开信息总数", "条", "3", "30"],
        ["其中：1.当面申请数", "条", "1", "10"],
        ["2.网上申请数", "条", "1", "15"],
        ["3.信函、传真申请数", "条", "1", "5"],
        ["行政复议数", "件", "0", "2"],
    ]
    result = extract(doc_of(grid, text="2016年度政府信息公开工作年度报告"))
    v = result.values
    assert result.era == "legacy"
    assert (v["legacy.active.total"], v["legacy.cumulative.active.total"]) == (120, 900)
    assert v["legacy.channels.gazette"] == 20
    assert v["legacy.requests.received_online"] == 1
    other = result.get("legacy.other.1")
    assert other is not None and other.label == "3.信函、传真申请数"
    assert other.group == "legacy.requests.received"
    received = next(c for c in result.checks if c.rule == "legacy.requests.received")
    assert (received.expected, received.found, received.passed) == (3, 3, True)
    cumulative = next(c for c in result.checks if c.rule == "legacy.cumulative.requests.received")
    assert cumulative.passed is True
    assert v["legacy.review.total"] == 0 and v["legacy.cumulative.review.total"] == 2


def test_legacy_without_header_with_colspan_headings_and_reworded_rows() -> None:
    grid = [
        ["一、主动公开政府信息情况"] * 3,  # an HTML heading spanning the row
        ["（一）主动公开政府信息数", "条", "30"],
        ["二、依申请公开政府信息情况"] * 3,
        ["（一）申请总数", "件", "4"],
        ["1.当面申请", "件", "1"],
        ["2.网上申请", "件", "3"],
        ["（二）申请答复数", "件", "4"],
        ["1.同意公开", "件", "2"],
        ["2.不予公开", "件", "1"],
        ["3.信息不存在", "件", "1"],
        ["三、因政府信息公开申请行政复议情况"] * 3,
        ["行政复议数量", "件", ""],
    ]
    result = extract(doc_of(grid))
    v = result.values
    assert result.era == "legacy"
    assert v["legacy.active.total"] == 30
    assert v["legacy.requests.received"] == 4 and v["legacy.requests.received_online"] == 3
    assert v["legacy.requests.answered_denied"] == 1
    assert v["legacy.requests.answered_not_exist"] == 1
    assert v["legacy.review.total"] is None
    assert not any(k.startswith("legacy.other") for k in v)
    assert not result.failed_checks


# ------------------------------------------------------------------ eras


def test_era_detection() -> None:
    t2_2021 = [
        ["信息内容", "本年制发件数", "本年废止件数", "现行有效件数"],
        ["规章", "0", "0", "0"],
        ["行政规范性文件", "1", "0", "1"],
    ]
    t2_2019 = [
        ["信息内容", "本年新制作数量", "本年新公开数量", "对外公开总数量"],
        ["规章", "", "", ""],
        ["规范性文件", "1", "0", "0"],
    ]
    legacy = [["统计指标", "单位", "统计数"], ["（一）收到申请数", "件", "5"]]
    assert detect_era(doc_of(t2_2021)) == "2021"
    assert detect_era(doc_of(t2_2019)) == "2019"
    assert detect_era(doc_of(legacy)) == "legacy"
    assert detect_era(doc_of(table3({}))) == "2021"  # 其他处理 split into 逾期不补正 / 缴纳费用
    no_split = [r for r in table3({}) if not any("逾期" in c or c == "3.其他" for c in r)]
    assert detect_era(doc_of(no_split, text="2020年政府信息公开工作年度报告")) == "2019"
    assert detect_era(doc_of(text="2017年度政府信息公开工作年度报告\n全年共收到申请5件。")) == "prose"


def test_template_without_tables_falls_back_to_prose_figures() -> None:
    text = (
        "2022年政府信息公开工作年度报告\n本年制发件数 本年废止件数 现行有效件数\n"
        "全年共受理政府信息公开申请 12 件。"
    )
    result = extract(doc_of(text=text))
    assert result.era == "2021"
    assert result.values == {"requests.new.total": 12}
    assert result.metrics[0].confidence == "low"
    assert any("prose figures used" in w for w in result.warnings)


# ------------------------------------------------------------------ checks firing


def _rules(result_checks: list, status: str) -> set[str]:
    return {c.rule for c in result_checks if c.status == status}


def test_balance_check_fires() -> None:
    values = balanced_values()
    values["new"] = ["6", "2", "0", "0", "0", "0", "8"]  # one application too many
    result = extract(doc_of(table3(values)))
    failed = _rules(result.checks, "failed")
    assert {"requests.balance.natural_person", "requests.balance.total"} <= failed
    check = next(c for c in result.checks if c.rule == "requests.balance.natural_person")
    assert (check.expected, check.found) == (6, 5)


def test_result_total_check_fires() -> None:
    values = balanced_values()
    values["result.granted"] = ["4", "2", "0", "0", "0", "0", "6"]  # leaves now add up to 6+
    failed = _rules(extract(doc_of(table3(values))).checks, "failed")
    assert "requests.result_total.natural_person" in failed
    assert "requests.result_total.business" not in failed


def test_total_column_check_fires() -> None:
    values = balanced_values()
    values["result.unable.not_held"] = ["2", "0", "0", "0", "0", "0", "3"]
    failed = _rules(extract(doc_of(table3(values))).checks, "failed")
    assert "requests.total_column.result.unable.not_held" in failed


def test_review_and_litigation_checks_fire() -> None:
    data = ["10", "1", "0", "0", "0", "0", "0", "0", "0", "0", "5", "0", "0", "0", "0"]
    result = extract(doc_of(review_grid(data), text="2023年政府信息公开工作年度报告"))
    assert _rules(result.checks, "failed") == {"review.total", "litigation_after_review.total"}
    assert _rules(result.checks, "passed") == {"litigation_direct.total"}


def test_legacy_received_and_answered_checks_fire() -> None:
    grid = [
        ["统计指标", "单位", "统计数"],
        ["（一）收到申请数", "件", "5"],
        ["1.当面申请数", "件", "1"],
        ["2.网络申请数", "件", "1"],
        ["(二) 申请答复数", "件", "5"],
        ["1. 属于已主动公开范围数", "件", "5"],
        ["2. 同意公开答复数", "件", "1"],
    ]
    result = extract(doc_of(grid))
    failed = {c.rule: (c.expected, c.found) for c in result.checks if c.passed is False}
    assert failed == {"legacy.requests.received": (5, 2), "legacy.requests.answered": (5, 6)}


def test_all_blank_is_not_applicable_and_absent_is_not_recorded() -> None:
    blank = {k: [""] * 7 for k in ROW_KEYS_2021}
    result = extract(doc_of(table3(blank), text="2021年政府信息公开工作年度报告"))
    assert result.checks and {c.status for c in result.checks} == {"not_applicable"}
    assert not any(c.rule.startswith("review") for c in result.checks)  # no table 四


def test_blank_counts_as_zero_when_other_cells_are_filled() -> None:
    checks = run_checks(
        "2021",
        {
            "review.upheld": 2,
            "review.corrected": None,
            "review.other": None,
            "review.pending": None,
            "review.total": 2,
        },
    )
    assert [(c.rule, c.passed) for c in checks] == [("review.total", True)]
    assert "review.corrected" in checks[0].detail


def test_year_over_year_fires() -> None:
    prev = {f"requests.carried_forward.{a}": v for a, v in zip(APPL, [3, 0, 0, 0, 0, 0, 3], strict=True)}
    cur = {f"requests.carried_over.{a}": v for a, v in zip(APPL, [2, 0, 0, 0, 0, 0, 2], strict=True)}
    checks = year_over_year(prev, cur)
    assert {c.rule for c in checks if c.passed is False} == {
        "year_over_year.carried_over.natural_person",
        "year_over_year.carried_over.total",
    }
    natural = checks[0]
    assert (natural.expected, natural.found) == (3, 2)


def test_statistics_table_in_an_attachment() -> None:
    # Legacy 统计表 were often a separate spreadsheet attached to the article.
    sheet = Document(
        "xlsx", [table_from_grid([["统计指标", "单位", "统计数"], ["（一）收到申请数", "件", "2"]])]
    )
    doc = Document("html", [Block("2015年度政府信息公开工作年度报告")], attachments=[sheet])
    result = extract(doc)
    received = result.get("legacy.requests.received")
    assert result.era == "legacy"
    assert received is not None and received.value == 2
    assert (received.source.attachment, received.source.table, received.source.row) == (0, 0, 1)


def test_a_repeated_table_keeps_the_first_value_and_warns() -> None:
    grid = [["统计指标", "单位", "统计数"], ["（一）收到申请数", "件", "2"]]
    again = [["统计指标", "单位", "统计数"], ["（一）收到申请数", "件", "3"]]
    result = extract(doc_of(grid, again))
    assert result.values["legacy.requests.received"] == 2
    assert any("found again" in w for w in result.warnings)
