"""The legacy 政府信息公开情况统计表 (report years 2008–2018): 统计指标 / 单位 / 统计数.

Provinces reworded, renumbered, dropped and added rows (Fujian's has 指标名称 / 计量单位 /
2018年度 / 历年累计 and 15 rows), so rows are matched by meaning *in context*: the table is
read top to bottom keeping the current section (主动公开, 回应解读, 依申请公开 → 收到 / 办结 /
答复 / 不同意公开, 行政复议, …). A row is tried first against the words of its section
("1.当面申请数" only means ``received_in_person`` under 收到申请), then against the anchors
that open a section ("（一）收到申请数", "四、行政复议数量"). Heading rows (no value, no unit,
"…情况") only move the context. A row that fits nothing is kept as ``legacy.other.<n>`` with
its label, and — if it is a numbered part of an aggregate — that aggregate in ``group`` so the
sum checks still see it.

A second value column (Fujian's 历年累计) is stored under ``legacy.cumulative.<same key>``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from parsers.metrics.tables import Collector, LocatedTable, core_label, norm_label, strip_numbering
from parsers.metrics.values import parse_value

P = "legacy."
_UNIT_WORDS = re.compile(r"^(条|件|次|篇|个|人|人次|万元|元|份|项|期|场|家|——|—|-|/)$")

Rule = tuple[str, str | None]  # (regex on the core label, key without "legacy." or None)

# Context words: what a row means inside a section / sub-section.
CONTEXT_RULES: dict[str, list[Rule]] = {
    "active": [
        (r"主动公开规范性文件", "active.normative_documents"),
        (r"制发规范性文件|规范性文件总数", "normative_documents.issued"),
        (r"公报", "channels.gazette"),
        (r"网站", "channels.website"),
        (r"微博", "channels.weibo"),
        (r"微信", "channels.wechat"),
        (r"其他|其它", "channels.other"),
    ],
    "responses": [
        (r"热点|舆情", "responses.hot_topics"),
        (r"主要负责.*新闻发布|新闻发布.*主要负责", "responses.press_conferences_by_head"),
        (r"新闻发布", "responses.press_conferences"),
        (r"主要负责.*访谈", "responses.online_interviews_by_head"),
        (r"访谈", "responses.online_interviews"),
        (r"解读", "responses.interpretations"),
        (r"微博|微信", "responses.weibo_wechat"),
        (r"其他|其它", "responses.other"),
    ],
    "requests.received": [
        (r"信函.*传真|传真.*信函", None),  # two channels in one row: no single key fits
        (r"当面|现场", "requests.received_in_person"),
        (r"传真", "requests.received_fax"),
        (r"网络|网上|在线|电子邮件", "requests.received_online"),
        (r"信函|邮寄", "requests.received_letter"),
        (r"其他|其它", "requests.received_other"),
    ],
    "requests.closed": [
        (r"按时", "requests.closed_on_time"),
        (r"延期", "requests.closed_extended"),
    ],
    "requests.denied": [
        (r"国家秘密", "requests.denied_state_secret"),
        (r"商业秘密", "requests.denied_commercial_secret"),
        (r"隐私", "requests.denied_privacy"),
        (r"国家安全|公共安全|经济安全|社会稳定", "requests.denied_security_stability"),
        (r"所指政府信息|不是.*政府信息|不属于政府信息", "requests.denied_not_government_information"),
        (r"法律法规.*其他|其他情形", "requests.denied_other_law"),
    ],
    "requests.answered": [
        (r"已主动公开|已公开", "requests.answered_already_public"),
        (r"部分公开", "requests.answered_partly_granted"),
        (r"不同意公开|不予公开|不公开", "requests.answered_denied"),
        (r"同意公开", "requests.answered_granted"),
        (r"不属于本", "requests.answered_not_this_agency"),
        (r"不存在", "requests.answered_not_exist"),
        (r"更改|补充", "requests.answered_correction"),
        (r"其他途径", "requests.answered_other_channel"),
    ],
    "archive": [(r"纸质", "archive_submissions.paper"), (r"电子", "archive_submissions.electronic")],
    "staffing": [
        (r"专门机构|机构数", "staffing.units"),
        (r"查阅点|查阅场所", "staffing.reading_points"),
        (r"专职", "staffing.staff_full_time"),
        (r"兼职", "staffing.staff_part_time"),
        (r"经费", "staffing.budget_10k_yuan"),
        (r"人员", "staffing.staff"),
    ],
    "meetings": [
        (r"培训人员|接受培训|人次", "meetings.trainees"),
        (r"培训", "meetings.trainings"),
        (r"会议", "meetings.conferences"),
    ],
}
for _section in ("review", "litigation", "complaints"):
    CONTEXT_RULES[_section] = [
        (r"维持", f"{_section}.upheld"),
        (r"纠错|纠正", f"{_section}.corrected"),
        (r"其他|其它", f"{_section}.other"),
    ]
_PARENT = {"requests.denied": "requests.answered"}
# The aggregate a numbered row of a context is part of (for legacy.other.<n> and the checks).
_AGGREGATE = {
    "requests.received": "requests.received",
    "requests.closed": "requests.closed",
    "requests.answered": "requests.answered",
    "requests.denied": "requests.answered_denied",
    "review": "review.total",
    "litigation": "litigation.total",
    "complaints": "complaints.total",
    "archive": "archive_submissions.total",
}

# Anchors: rows that open a context wherever they appear; key None = a heading only.
ANCHORS: list[tuple[str, str | None, str]] = [
    (r"^主动公开(情况|政府信息情况)$", None, "active"),
    (r"主动公开(?!规范性).*(信息|文件)(总)?数|^主动公开(总)?数", "active.total", "active"),
    (r"回应解读|解读回应|回应关切", None, "responses"),
    (r"依申请公开(情况|政府信息情况)", None, "requests"),
    (r"收取.*费用|^费用", "fees_10k_yuan", "fees"),
    (r"图书馆|档案馆", "archive_submissions.total", "archive"),
    (r"收到.*申请|受理.*申请|^申请(总)?数$|申请总数", "requests.received", "requests.received"),
    (r"办结", "requests.closed", "requests.closed"),
    (r"答复", "requests.answered", "requests.answered"),
    (r"^行政复议(数量|数|案件数|情况)?$", "review.total", "review"),
    (r"^行政诉讼(数量|数|案件数|情况)?$", "litigation.total", "litigation"),
    (r"^(被)?(举报投诉|投诉举报)(数量|数|情况)?$", "complaints.total", "complaints"),
    (r"机构建设|保障经费", None, "staffing"),
    (r"会议.*培训|培训情况", None, "meetings"),
]


def is_legacy_table(grid: list[list[str]]) -> bool:
    if not grid:
        return False
    head = "|".join(norm_label(c) for row in grid[:3] for c in row)
    if re.search(r"统计指标|指标名称", head) and "单位" in head:
        return True
    labels = [core_label(row[0]) for row in grid if row]
    hits = sum(1 for s in labels for p, k, _ in ANCHORS if k and re.search(p, s))
    return hits >= 3 and len(grid[0]) <= 5 and not any("新收" in s for s in labels)


@dataclass
class _Columns:
    label_end: int  # label cells are columns [0, label_end)
    unit: int | None
    value: int
    cumulative: int | None
    first_row: int  # first data row


def _columns(grid: list[list[str]]) -> _Columns:
    n = len(grid[0])
    for r, row in enumerate(grid[:3]):
        cells = [norm_label(c) for c in row]
        if not any(re.search(r"指标|项目", c) for c in cells):
            continue
        unit = next((i for i, c in enumerate(cells) if "单位" in c), None)
        cum = next((i for i, c in enumerate(cells) if "累计" in c), None)
        value = next(
            (
                i
                for i, c in enumerate(cells)
                if i not in {unit, cum} and re.search(r"统计数|数量|数值|年|本期|合计", c)
            ),
            None,
        )
        if value is not None:
            label_end = min(i for i in (unit, value) if i is not None)
            return _Columns(max(label_end, 1), unit, value, cum, r + 1)
    unit = _guess_unit_column(grid)
    value = next(i for i in range(1, n) if i != unit) if n > 1 else 0
    label_end = min(i for i in (unit, value) if i is not None)
    return _Columns(max(label_end, 1), unit, value, None, 0)


def _guess_unit_column(grid: list[list[str]]) -> int | None:
    for col in range(1, len(grid[0])):
        cells = [norm_label(row[col]) for row in grid if norm_label(row[col])]
        if cells and sum(bool(_UNIT_WORDS.match(c)) for c in cells) >= 0.6 * len(cells):
            return col
    return None


class _Reader:
    """Reads one legacy table top to bottom, keeping the section context."""

    def __init__(self, lt: LocatedTable, out: Collector, other_count: list[int]) -> None:
        self.lt, self.out, self.other_count = lt, out, other_count
        self.cols = _columns(lt.grid)
        self.context: str | None = None
        self.used: set[str] = set()  # anchors are one-shot: a 2nd "…答复数" is a part, not 答复

    def run(self) -> None:
        for r in range(self.cols.first_row, len(self.lt.grid)):
            self._row(r)

    def _cell(self, r: int, c: int | None, label: str) -> str:
        if c is None or c >= len(self.lt.grid[r]):
            return ""
        text = self.lt.grid[r][c]
        return "" if norm_label(text) == norm_label(label) else text  # a heading's colspan

    def _row(self, r: int) -> None:
        row = self.lt.grid[r]
        parts: list[str] = []
        for c in row[: self.cols.label_end]:
            if c.strip() and c.strip() not in parts:
                parts.append(c.strip())
        label = " ".join(parts)
        if not label:
            return
        s = core_label(label)
        value = self._cell(r, self.cols.value, label)
        unit_text = self._cell(r, self.cols.unit, label)
        cum = self._cell(r, self.cols.cumulative, label)
        no_unit = parse_value(unit_text).kind in {"blank", "placeholder"}
        blank = parse_value(value).kind == "blank" and parse_value(cum).kind == "blank"
        if blank and no_unit:
            anchor = next(((k, ctx) for p, k, ctx in ANCHORS if re.search(p, s)), None)
            if (anchor and anchor[0] is None) or s.endswith("情况"):
                if anchor:
                    self.context = anchor[1]
                return
        key = self._match(s)
        group = None
        if key is None:
            self.other_count[0] += 1
            key = f"other.{self.other_count[0]}"
            numbered = strip_numbering(label) != norm_label(label)
            group = P + _AGGREGATE[self.context] if (numbered and self.context in _AGGREGATE) else None
        unit_value = None if no_unit else norm_label(unit_text)
        self.out.cell(P + key, self.lt, r, self.cols.value, label=label, unit=unit_value, group=group)
        if self.cols.cumulative is not None:
            self.out.cell(
                P + "cumulative." + key,
                self.lt,
                r,
                self.cols.cumulative,
                label=label,
                unit=unit_value,
                group=group and group.replace(P, P + "cumulative.", 1),
            )

    def _match(self, s: str) -> str | None:
        """The key for core label ``s``: context words first, then anchors (which move it)."""
        ctx = self.context
        while ctx:
            for pattern, key in CONTEXT_RULES.get(ctx, []):
                if re.search(pattern, s):
                    if key == "requests.answered_denied":
                        self.context = "requests.denied"
                    return key
            ctx = _PARENT.get(ctx)
        for pattern, key, context in ANCHORS:
            if re.search(pattern, s) and key not in self.used:
                self.context = context
                if key:
                    self.used.add(key)
                return key
        return None


def extract(tables: list[LocatedTable], out: Collector) -> None:
    """Every legacy statistics table of the document into ``out``."""
    other_count = [0]
    found = False
    for lt in tables:
        if lt.grid and is_legacy_table(lt.grid):
            found = True
            _Reader(lt, out, other_count).run()
    if not found:
        out.warnings.append("legacy: no 统计表 found")
