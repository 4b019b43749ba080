"""Legacy 统计表 written apart from the rules and the variant generator (tests/legacygen.py): the
row wording of older provincial and county tables (2009–2013: 受理申请总数, 非本机关掌握数, 咨询
and 收费减免 sections, 查阅场所, 网站访问量), each row's meaning decided by reading it, not by
running the parser. A row that means no key of the dictionary must land under
``legacy.other.<n>``; a row whose meaning is disputable lists every acceptable key. The rule
under test is the issue's: a value under a wrong key is worse than a missing one.
"""

from __future__ import annotations

import pytest

from parsers.document import Block, Document
from parsers.metrics import extract
from parsers.metrics.tables import table_from_grid

OTHER = None  # the row means no dictionary key: it must be kept under legacy.other.<n>

# (label, unit, acceptable keys without "legacy.", or OTHER); a heading row has unit "" and no key.
Row = tuple[str, str, "tuple[str | None, ...] | str | None"]
HEADING = "heading"

PROVINCE_2010: list[Row] = [
    ("一、主动公开情况", "", HEADING),
    ("（一）主动公开政府信息数", "条", "active.total"),
    ("其中：全文电子化的主动公开信息数", "条", OTHER),
    ("（二）政府公报公开信息数", "条", "channels.gazette"),
    ("二、依申请公开情况", "", HEADING),
    ("（一）受理申请总数", "件", "requests.received"),
    ("1.当面申请数", "件", "requests.received_in_person"),
    ("2.网上申请数", "件", "requests.received_online"),
    ("3.信函申请数", "件", "requests.received_letter"),
    ("4.其他形式申请数", "件", "requests.received_other"),
    ("（二）对申请的答复总数", "件", "requests.answered"),
    ("1.同意公开数", "件", "requests.answered_granted"),
    ("2.同意部分公开数", "件", "requests.answered_partly_granted"),
    ("3.不予公开数", "件", "requests.answered_denied"),
    ("4.信息不存在数", "件", "requests.answered_not_exist"),
    ("5.非本机关掌握数", "件", "requests.answered_not_this_agency"),
    ("6.申请内容不明确数", "件", ("requests.answered_correction", OTHER)),
    ("7.重复申请数", "件", OTHER),
    ("三、咨询情况", "", HEADING),
    ("（一）接受公众咨询数", "人次", OTHER),
    ("1.现场咨询数", "人次", OTHER),
    ("2.电话咨询数", "人次", OTHER),
    ("四、收费及减免情况", "", HEADING),
    ("（一）收取费用总额", "万元", "fees_10k_yuan"),
    ("（二）减免费用总额", "万元", OTHER),
    ("五、申请行政复议、提起行政诉讼和申诉情况", "", HEADING),
    ("（一）行政复议数", "件", "review.total"),
    ("（二）行政诉讼数", "件", "litigation.total"),
    ("（三）申诉数", "件", "appeals.total"),
    ("六、查阅场所情况", "", HEADING),
    ("（一）政府信息公开查阅点数", "个", "staffing.reading_points"),
    ("（二）接待查阅人次", "人次", OTHER),
    ("七、政府网站访问量", "次", OTHER),
]

# No online application row, then a consultation section whose rows name the same channels:
# 网上咨询 is a consultation, never an online application.
COUNTY_2012: list[Row] = [
    ("一、主动公开政府信息情况", "", HEADING),
    ("主动公开信息总数", "条", "active.total"),
    ("二、依申请公开政府信息情况", "", HEADING),
    ("（一）申请总数", "件", "requests.received"),
    ("其中：当面申请", "件", "requests.received_in_person"),
    ("信函申请", "件", "requests.received_letter"),
    ("（二）申请答复情况", "", HEADING),
    ("按时答复数", "件", ("requests.closed_on_time", OTHER)),
    ("延期答复数", "件", ("requests.closed_extended", OTHER)),
    ("三、咨询情况", "", HEADING),
    ("网上咨询数", "人次", OTHER),
    ("电话咨询数", "人次", OTHER),
    ("其他形式咨询数", "人次", OTHER),
    ("四、行政复议、行政诉讼及举报投诉情况", "", HEADING),
    ("（一）行政复议案件数", "件", "review.total"),
    ("其中：维持具体行政行为数", "件", "review.upheld"),
    ("被纠错数", "件", "review.corrected"),
    ("（二）行政诉讼案件数", "件", "litigation.total"),
    ("（三）举报投诉数", "件", "complaints.total"),
    ("五、机构和人员情况", "", HEADING),
    ("政府信息公开工作人员数", "人", "staffing.staff"),
    ("其中：专职人员", "人", "staffing.staff_full_time"),
    ("兼职人员", "人", "staffing.staff_part_time"),
    ("政府信息公开工作经费", "万元", "staffing.budget_10k_yuan"),
    ("六、会议和培训情况", "", HEADING),
    ("召开信息公开工作会议次数", "次", "meetings.conferences"),
    ("举办培训班次数", "次", "meetings.trainings"),
    ("培训人次", "人次", "meetings.trainees"),
]

# A section no rule knows (查询) right after the application rows: its channel words are not
# applications either.
CITY_2009: list[Row] = [
    ("一、主动公开情况", "", HEADING),
    ("主动公开政府信息条数", "条", "active.total"),
    ("二、依申请公开情况", "", HEADING),
    ("申请总数", "件", "requests.received"),
    ("当面申请", "件", "requests.received_in_person"),
    ("传真申请", "件", "requests.received_fax"),
    ("三、政府信息查阅情况", "", HEADING),
    ("网上查阅人次", "人次", OTHER),
    ("其他形式查阅人次", "人次", OTHER),
    ("四、行政复议情况", "", HEADING),
    ("行政复议申请数", "件", "review.total"),
]

TABLES = {"province_2010": PROVINCE_2010, "county_2012": COUNTY_2012, "city_2009": CITY_2009}


def _document(rows: list[Row]) -> tuple[Document, dict[int, object]]:
    """The table, each figure unique (so a metric is traced to its row by value)."""
    grid, truth = [["统计指标", "单位", "统计数"]], {}
    for i, (label, unit, keys) in enumerate(rows):
        if keys == HEADING:
            grid.append([label, "", ""])
            continue
        value = 1000 + i
        grid.append([label, unit, str(value)])
        truth[value] = keys
    return Document("html", [Block("某县政府信息公开工作年度报告"), table_from_grid(grid)]), truth


@pytest.mark.parametrize("name", TABLES)
def test_every_row_lands_under_its_meaning_or_under_other(name: str) -> None:
    doc, truth = _document(TABLES[name])
    result = extract(doc)
    assert result.era == "legacy"
    landed = {m.value: m.key for m in result.metrics if m.key.startswith("legacy.") and m.value in truth}
    wrong = []
    for value, keys in truth.items():
        acceptable = keys if isinstance(keys, tuple) else (keys,)
        key = landed.get(value)
        ok_other = OTHER in acceptable and key is not None and key.startswith("legacy.other.")
        ok_key = key is not None and key.removeprefix("legacy.") in {k for k in acceptable if k}
        if not (ok_other or ok_key):
            row = next(label for i, (label, _, _) in enumerate(TABLES[name]) if 1000 + i == value)
            wrong.append(f"{row}: {key} (acceptable: {acceptable})")
    assert not wrong, wrong
