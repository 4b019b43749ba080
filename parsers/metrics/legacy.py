"""The legacy 政府信息公开情况统计表 (report years 2008–2018): 统计指标 / 单位 / 统计数.

Provinces and counties reworded, renumbered, dropped and added rows (Fujian's has 指标名称 /
计量单位 / 2018年度 / 历年累计 and 15 rows; a 2013 county table has 3.电子邮件申请数 before
4.网上申请数, 3.否决公开答复数 and 行政申诉数), so a row is matched by what its words mean, never
by its position or its number. The table is read top to bottom; each row's label (numbering,
notes and units such as ``（件）`` removed) is tried against, in this order:

1. **distinct phrases** that mean one key wherever they stand (``电子邮件`` → e-mail applications,
   ``否决公开`` → answered: denied, ``主要负责…新闻发布`` …);
2. **the words of the current section** (``其他形式`` means ``received_other`` only under 收到申请,
   ``被纠错数`` is a result of whichever of 复议 / 诉讼 / 举报投诉 / 申诉 the section is — unless the
   row names another: ``…驳回原告诉讼请求数`` is litigation's);
3. **the total rows** that open a section (``（一）收到申请数``, ``对申请的答复总数``, ``四、行政复议数量``).

A row whose words name two things (``信函、传真申请数``, ``接受行政诉讼、举报数``) fits no key; so
does a second row meaning a key already taken in the table, and a result row of a section that
restarts (a 维持 after 其他情形: the next section's heading was dropped). Such a row — and any
row fitting nothing — is kept as ``legacy.other.<n>`` with its label, never under another row's
key: a wrong key is worse than a missing one. Heading rows (no value, no unit, "…情况") only move
the section.

Columns come from the header rows read together (a merged 统计数 cell over 本年度 | 历年累计), so
a second value column (Fujian's 历年累计, left or right of the year's) is stored under
``legacy.cumulative.<same key>`` and never taken for the year's figure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from parsers.metrics.dictionary import check_keys
from parsers.metrics.tables import Collector, LocatedTable, core_label, norm_label, strip_numbering
from parsers.metrics.values import parse_value

P = "legacy."
_UNIT_WORDS = re.compile(r"^(条|件|次|篇|个|人|人次|万元|元|份|项|期|场|家|——|—|-|/)$")
_CASES = ("review", "litigation", "complaints", "appeals")
_CASE_WORDS = {"review": r"复议", "litigation": r"诉讼|起诉", "complaints": r"举报|投诉", "appeals": r"申诉"}
_CASE_RESULTS = [(r"维持", "upheld"), (r"纠错|纠正", "corrected"), (r"其他|其它", "other")]
_CONSULTATION = re.compile(r"咨询")  # consultations: counted by some provinces, never an application
_CHANNELS = {"当面": r"当面|现场申请", "传真": r"传真", "信函": r"信函|来信|邮寄"}

Rule = tuple[str, str | None]  # (regex on the core label, key without "legacy." or None)

# 1. Distinct phrases: one meaning wherever they stand. Order matters (specific before general).
DISTINCT: list[Rule] = [
    (r"主动公开规范性文件", "active.normative_documents"),
    (r"制发规范性文件|规范性文件总数", "normative_documents.issued"),
    (r"政府公报|公报公开", "channels.gazette"),
    (r"政务微博|微博公开", "channels.weibo"),
    (r"政务微信|微信公众号|微信公开", "channels.wechat"),
    (r"网站公开", "channels.website"),
    (r"其他方式公开|其他渠道公开", "channels.other"),
    (r"热点|舆情|社会关切", "responses.hot_topics"),
    (r"主要负责.*新闻发布|新闻发布.*主要负责", "responses.press_conferences_by_head"),
    (r"新闻发布", "responses.press_conferences"),
    (r"主要负责.*访谈", "responses.online_interviews_by_head"),
    (r"访谈", "responses.online_interviews"),
    (r"解读", "responses.interpretations"),
    (r"微博、?微信回应|微博微信", "responses.weibo_wechat"),
    (r"其他方式回应", "responses.other"),
    (r"当面(提出)?申请|现场申请", "requests.received_in_person"),
    (r"电子邮件|电子邮箱|邮件申请", "requests.received_email"),
    (r"传真申请", "requests.received_fax"),
    (r"(网络|网上|互联网|在线)(提出)?申请", "requests.received_online"),
    (r"(信函|来信|邮寄)申请", "requests.received_letter"),
    (r"其他(形式|方式)申请", "requests.received_other"),
    (r"按时办结|按期办结|期限内办结", "requests.closed_on_time"),
    (r"延期办结|延长.*办结", "requests.closed_extended"),
    (r"已主动公开|已公开范围", "requests.answered_already_public"),
    (r"部分公开", "requests.answered_partly_granted"),
    (r"不同意公开|不予公开|否决公开|拒绝公开", "requests.answered_denied"),
    (r"同意公开|予以公开", "requests.answered_granted"),
    (r"不属于本.*(机关|部门|单位)|非本(行政)?机关", "requests.answered_not_this_agency"),
    (r"信息不存在|不存在数", "requests.answered_not_exist"),
    (r"告知.*(更改|补充)|更改补充", "requests.answered_correction"),
    (r"其他途径", "requests.answered_other_channel"),
    (r"国家秘密", "requests.denied_state_secret"),
    (r"商业秘密", "requests.denied_commercial_secret"),
    (r"个人隐私|隐私", "requests.denied_privacy"),
    (r"国家安全|公共安全|经济安全|社会稳定|三安全", "requests.denied_security_stability"),
    (r"所指政府信息|不是.*政府信息|不属于政府信息", "requests.denied_not_government_information"),
    (r"法律、?法规.*其他", "requests.denied_other_law"),
    (r"图书馆|档案馆", "archive_submissions.total"),
    (r"纸质", "archive_submissions.paper"),
    (r"电子文件", "archive_submissions.electronic"),
    (r"收取.*费用|^费用|收费", "fees_10k_yuan"),
    (r"培训人员|接受培训|参加培训|培训.*人次", "meetings.trainees"),
    (r"培训班|培训次数|组织培训|举办.*培训", "meetings.trainings"),
    (r"工作会议|专题会议|召开.*会议", "meetings.conferences"),
    (r"专门机构|工作机构", "staffing.units"),
    (r"查阅点|查阅场所", "staffing.reading_points"),
    (r"专职", "staffing.staff_full_time"),
    (r"兼职", "staffing.staff_part_time"),
    (r"经费", "staffing.budget_10k_yuan"),
    (r"从事.*工作人|工作人员数", "staffing.staff"),
]

# 2. Words that mean a key only inside a section.
CONTEXT_RULES: dict[str, list[Rule]] = {
    "active": [(r"其他|其它", "channels.other")],
    "responses": [(r"微博|微信", "responses.weibo_wechat"), (r"其他|其它", "responses.other")],
    "requests.received": [
        (r"网络|网上|在线|互联网", "requests.received_online"),
        (r"传真", "requests.received_fax"),
        (r"信函|邮寄|来信", "requests.received_letter"),
        (r"其他|其它", "requests.received_other"),
    ],
    "archive": [(r"电子", "archive_submissions.electronic")],
    "staffing": [(r"机构数", "staffing.units"), (r"^人员数$", "staffing.staff")],
    "meetings": [
        (r"人次", "meetings.trainees"),
        (r"培训", "meetings.trainings"),
        (r"会议", "meetings.conferences"),
    ],
}

# 3. Total rows that open a section (key None: a heading only), and the section they open.
ANCHORS: list[tuple[str, str | None, str]] = [
    (r"^主动公开(情况|政府信息情况)$", None, "active"),
    (r"主动公开(?!规范性).*(信息|文件)(总|条)?数|^主动公开(总)?数", "active.total", "active"),
    (r"回应解读|解读回应|回应关切", None, "responses"),
    (r"依申请公开(情况|政府信息情况)", None, "requests"),
    (r"机构建设|保障经费|经费保障", None, "staffing"),
    (r"会议.*培训|培训情况", None, "meetings"),
    (r"收到.*申请|受理.*申请|^申请(总)?数$|申请总数", "requests.received", "requests.received"),
    (r"办结", "requests.closed", "requests.closed"),
    (
        r"^对?(申请的?)?答复(申请)?(总)?数$|^(已)?答复.*申请(总)?数$|申请答复",
        "requests.answered",
        "requests.answered",
    ),
]

# The section a key belongs to (what the next rows are read in).
_SECTION_OF: list[tuple[str, str]] = [
    (r"^requests\.(answered_denied|denied_)", "requests.denied"),
    (r"^requests\.received", "requests.received"),
    (r"^requests\.closed", "requests.closed"),
    (r"^requests\.answered", "requests.answered"),
    (r"^(active|channels|normative_documents)\.", "active"),
    (r"^responses\.", "responses"),
    (r"^archive_submissions\.", "archive"),
    (r"^staffing\.", "staffing"),
    (r"^meetings\.", "meetings"),
    (r"^fees", "fees"),
    *((rf"^{c}\.", c) for c in _CASES),
]
# The aggregate a numbered row of a section is part of (for legacy.other.<n> and the checks).
_AGGREGATE = {
    "requests.received": "requests.received",
    "requests.closed": "requests.closed",
    "requests.answered": "requests.answered",
    "requests.denied": "requests.answered_denied",
    "archive": "archive_submissions.total",
    **{c: f"{c}.total" for c in _CASES},
}

# Every key named above is a dictionary key (checked once, at import).
check_keys(
    [
        P + k
        for k in [
            *(k for _, k in DISTINCT),
            *(k for rules in CONTEXT_RULES.values() for _, k in rules),
            *(k for _, k, _ in ANCHORS),
            *_AGGREGATE.values(),
            *(f"{c}.{r}" for c in _CASES for r in ("total", *(r for _, r in _CASE_RESULTS))),
        ]
        if k
    ]
)


def _section_of(key: str) -> str | None:
    return next((section for pattern, section in _SECTION_OF if re.search(pattern, key)), None)


def _names_two_things(s: str) -> bool:
    """``信函、传真申请数``, ``接受行政诉讼、举报数``: two channels or two kinds of case in one row."""
    cases = sum(1 for words in _CASE_WORDS.values() if re.search(words, s))
    channels = sum(1 for words in _CHANNELS.values() if re.search(words, s))
    return cases > 1 or channels > 1


# Total rows of the national form, for recognising a legacy table among a report's tables.
_RECOGNISE = [
    *(p for p, k, _ in ANCHORS if k),
    r"^行政复议(数量|数|案件数|情况)?$",
    r"^行政诉讼(数量|数|案件数|情况)?$",
    r"^(被)?(举报投诉|投诉举报)(数量|数|情况)?$",
    r"图书馆|档案馆",
    r"收取.*费用",
]


def is_legacy_table(grid: list[list[str]]) -> bool:
    if not grid:
        return False
    head = "|".join(norm_label(c) for row in grid[:3] for c in row)
    if re.search(r"统计指标|指标名称", head) and "单位" in head:
        return True
    labels = [core_label(row[0]) for row in grid if row]
    hits = sum(1 for s in labels for p in _RECOGNISE if re.search(p, s))
    return hits >= 3 and len(grid[0]) <= 5 and not any("新收" in s for s in labels)


@dataclass
class _Columns:
    label_end: int  # label cells are columns [0, label_end)
    unit: int | None
    value: int
    cumulative: int | None
    first_row: int  # first data row


_HEADER_LABEL = re.compile(r"指标|项目|名称")
_YEAR_HEADER = re.compile(r"统计数|数量|数值|年|本期|合计|本年")


def _header_rows(grid: list[list[str]]) -> int:
    """How many rows at the top are header rows (the label column says 统计指标 / 指标名称 …)."""
    n = 0
    for row in grid[:3]:
        if row and _HEADER_LABEL.search(norm_label(row[0])) and not re.search(r"\d{2,}", "".join(row[:1])):
            n += 1
        else:
            break
    return n


def _columns(grid: list[list[str]]) -> _Columns:
    """Unit, year and 历年累计 columns from the header rows read together (merged cells count
    once per column: a 统计数 cell over 本年度 | 历年累计 names both)."""
    n = len(grid[0])
    header = _header_rows(grid)
    if header:
        heads = ["|".join(dict.fromkeys(norm_label(grid[r][c]) for r in range(header))) for c in range(n)]
        unit = next((i for i, h in enumerate(heads) if i and "单位" in h), None)
        cum = next((i for i, h in enumerate(heads) if i and "累计" in h), None)
        value = next(
            (i for i, h in enumerate(heads) if i and i not in {unit, cum} and _YEAR_HEADER.search(h)), None
        )
        if value is not None:
            label_end = min(i for i in (unit, value, cum) if i is not None)
            return _Columns(max(label_end, 1), unit, value, cum, header)
    unit = _guess_unit_column(grid)
    value = next(i for i in range(1, n) if i != unit) if n > 1 else 0
    label_end = min(i for i in (unit, value) if i is not None)
    return _Columns(max(label_end, 1), unit, value, None, header)


def _guess_unit_column(grid: list[list[str]]) -> int | None:
    for col in range(1, len(grid[0])):
        cells = [norm_label(row[col]) for row in grid if norm_label(row[col])]
        if cells and sum(bool(_UNIT_WORDS.match(c)) for c in cells) >= 0.6 * len(cells):
            return col
    return None


class _Reader:
    """Reads one legacy table top to bottom, keeping the section it is in."""

    def __init__(self, lt: LocatedTable, out: Collector, other_count: list[int]) -> None:
        self.lt, self.out, self.other_count = lt, out, other_count
        self.cols = _columns(lt.grid)
        self.context: str | None = None
        self.used: set[str] = set()  # keys taken in this table: a second row never takes one
        self.last_result = -1  # rank of the last 维持 / 纠错 / 其他 row of the current case section

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
        if blank and no_unit and self._heading(s):
            return
        key = self._match(s)
        if key is not None and key in self.used:
            key = None  # a second row meaning a taken key: kept apart, never merged or dropped
        group = None
        if key is None:
            self.other_count[0] += 1
            key = f"other.{self.other_count[0]}"
            numbered = strip_numbering(label) != norm_label(label)
            group = P + _AGGREGATE[self.context] if (numbered and self.context in _AGGREGATE) else None
        else:
            self.used.add(key)
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

    def _heading(self, s: str) -> bool:
        """A row with no figure that names a section: it moves the context and is no metric."""
        anchor = next(((k, ctx) for p, k, ctx in ANCHORS if re.search(p, s)), None)
        if anchor and anchor[0] is None:
            self._enter(anchor[1])
            return True
        if s.endswith("情况"):
            # A section no rule knows (三、咨询情况): its rows are not the previous section's,
            # so 网上咨询数 is never read as an online application.
            if not (anchor or any(re.search(p, s) for p, _ in DISTINCT)):
                self._enter(None)
            return True
        return False

    def _enter(self, section: str | None) -> None:
        if section != self.context:
            self.last_result = -1
        self.context = section

    def _match(self, s: str) -> str | None:
        """The key (without ``legacy.``) that core label ``s`` means, or None; moves the context."""
        if _names_two_things(s) or _CONSULTATION.search(s):
            return None
        case = self._case_row(s)
        if case is not False:
            return case
        rules = [*DISTINCT, *CONTEXT_RULES.get(self.context or "", [])]
        key = next((k for p, k in rules if re.search(p, s)), None)
        if key is None:
            anchor = next(((k, ctx) for p, k, ctx in ANCHORS if k and re.search(p, s)), None)
            key = anchor[0] if anchor else None
        if key is not None:
            self._enter(_section_of(key))
        return key

    def _case_row(self, s: str) -> str | bool | None:
        """复议 / 诉讼 / 举报投诉 / 申诉 rows: their total, or a result (维持 / 纠错 / 其他) of the
        section named in the row or else the current one. False: not such a row."""
        named = next((c for c, words in _CASE_WORDS.items() if re.search(words, s)), None)
        result = next(((i, r) for i, (p, r) in enumerate(_CASE_RESULTS) if re.search(p, s)), None)
        if result is None:
            if named is None:
                return False
            self._enter(named)
            return f"{named}.total"
        section = named or (self.context if self.context in _CASES else None)
        if section is None:
            return False
        rank, name = result
        if named is None and rank <= self.last_result:
            self._enter(None)  # results restart: the next section's heading was left out
            return None
        self._enter(section)
        self.last_result = rank
        return f"{section}.{name}"


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
