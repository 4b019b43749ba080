"""The metric dictionary: every key the metrics parsers can emit, with its meaning.

One source of truth for the keys of the three eras (the 2008–2018 legacy 统计表, the 2019 and
2021 templates) and the prose figures: the Chinese label as printed on the official form, an
English label, the form table (二 / 三 / 四 / 统计表, or 正文 for a figure stated in prose), the
era, the unit and what it means. The extractors build their keys from the lists here and
:class:`~parsers.metrics.tables.Collector` refuses a key the dictionary does not know, so a
key cannot drift away from its documentation. It is loaded into the ``metric_keys`` table
(which ``metrics.key`` references) and rendered as ``docs/metrics.md``::

    python -m parsers.metrics.dictionary --markdown > docs/metrics.md

Two families are patterns rather than single keys: ``legacy.other.<n>`` (a legacy row that fits
no key; its printed label is kept with the metric) and its 历年累计 twin
``legacy.cumulative.other.<n>``.

>>> entry("requests.result.granted.natural_person").label_zh
'（一）予以公开 · 自然人'
>>> entry("legacy.other.7").key, entry("legacy.other.7").pattern
('legacy.other.7', 'legacy.other.<n>')
>>> entry("legacy.cumulative.requests.received").unit
'件'
>>> is_known("requests.result.granted.martian")
False
>>> is_count("legacy.fees_10k_yuan"), is_count("requests.new.total")
(False, True)
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, replace
from fnmatch import fnmatchcase

FormTable = str  # "二" | "三" | "四" | "统计表" | "正文"


@dataclass(frozen=True)
class Entry:
    key: str
    label_zh: str  # as printed on the form (row · column for table cells)
    label_en: str
    form_table: FormTable
    era: str  # "legacy" | "2019" | "2021" | "2019, 2021" | "2019–" (prose keys of template years)
    unit: str  # 件 条 次 篇 个 人 人次 项 万元
    meaning: str
    pattern: str | None = None  # the family, for keys such as legacy.other.<n>

    @property
    def kind(self) -> str:
        """``amount`` (万元, decimals kept) or ``count`` (stored and shown as an integer)."""
        return "amount" if self.unit == "万元" else "count"


_ENTRIES: dict[str, Entry] = {}


def _add(key: str, zh: str, en: str, table: FormTable, era: str, unit: str, meaning: str) -> str:
    if key in _ENTRIES:
        raise ValueError(f"metric key defined twice: {key}")
    _ENTRIES[key] = Entry(key, zh, en, table, era, unit, meaning)
    return key


# ----------------------------------------------------------------------------- table 二

ACTIVE_DOCUMENT_SUBJECTS = {
    "regulations": ("规章", "Regulations (规章)"),
    "normative_documents": ("行政规范性文件", "Administrative normative documents"),
}
ACTIVE_2021_DOC_FIELDS = {
    "issued": ("本年制发件数", "issued this year"),
    "repealed": ("本年废止件数", "repealed this year"),
    "in_force": ("现行有效件数", "in force"),
}
ACTIVE_2019_DOC_FIELDS = {
    "made": ("本年新制作数量", "made this year"),
    "published": ("本年新公开数量", "published this year"),
    "total_published": ("对外公开总数量", "published in total"),
}
ACTIVE_2019_ITEM_SUBJECTS = {
    "licensing": ("行政许可", "Administrative licensing"),
    "other_services": ("其他对外管理服务事项", "Other external management services"),
    "penalty": ("行政处罚", "Administrative penalties"),
    "coercion": ("行政强制", "Administrative coercion"),
}
ACTIVE_2019_ITEM_FIELDS = {
    "items_last_year": ("上一年项目数量", "items last year", "项"),
    "items_change": ("本年增/减", "change this year (+/−)", "项"),
    "decisions": ("处理决定数量", "decisions", "件"),
}

TABLE2_KEYS_2021: list[str] = []
TABLE2_KEYS_2019: list[str] = []
for _s, (_zh, _en) in ACTIVE_DOCUMENT_SUBJECTS.items():
    for _f, (_fzh, _fen) in ACTIVE_2021_DOC_FIELDS.items():
        TABLE2_KEYS_2021.append(
            _add(
                f"active.{_s}.{_f}",
                f"{_zh} · {_fzh}",
                f"{_en}: {_fen}",
                "二",
                "2021",
                "件",
                f"{_en} {_fen} (第二十条第（一）项).",
            )
        )
for _s, _zh, _en in (
    ("licensing", "行政许可", "Administrative licensing"),
    ("penalty", "行政处罚", "Administrative penalties"),
    ("coercion", "行政强制", "Administrative coercion"),
):
    TABLE2_KEYS_2021.append(
        _add(
            f"active.{_s}.decisions",
            f"{_zh} · 本年处理决定数量",
            f"{_en}: decisions this year",
            "二",
            "2021",
            "件",
            f"Decisions on {_en.lower()} made this year (第二十条第（五）/（六）项).",
        )
    )
TABLE2_KEYS_2021.append(
    _add(
        "active.fees.amount_10k_yuan",
        "行政事业性收费 · 本年收费金额（单位：万元）",
        "Administrative fees: amount collected this year",
        "二",
        "2021",
        "万元",
        "Administrative and institutional fees collected this year, in 10,000 yuan (第二十条第（八）项).",
    )
)

for _s, (_zh, _en) in ACTIVE_DOCUMENT_SUBJECTS.items():
    _zh19 = "规范性文件" if _s == "normative_documents" else _zh
    for _f, (_fzh, _fen) in ACTIVE_2019_DOC_FIELDS.items():
        TABLE2_KEYS_2019.append(
            _add(
                f"active.{_s}.{_f}",
                f"{_zh19} · {_fzh}",
                f"{_en}: {_fen}",
                "二",
                "2019",
                "件",
                f"{_en} {_fen} (第二十条第（一）项).",
            )
        )
for _s, (_zh, _en) in ACTIVE_2019_ITEM_SUBJECTS.items():
    for _f, (_fzh, _fen, _unit) in ACTIVE_2019_ITEM_FIELDS.items():
        if _f == "decisions" and _s in {"licensing", "penalty", "coercion"}:
            # the 2021 key of the same name: one key, both templates
            _ENTRIES[f"active.{_s}.decisions"] = replace(_ENTRIES[f"active.{_s}.decisions"], era="2019, 2021")
            TABLE2_KEYS_2019.append(f"active.{_s}.decisions")
            continue
        TABLE2_KEYS_2019.append(
            _add(
                f"active.{_s}.{_f}",
                f"{_zh} · {_fzh}",
                f"{_en}: {_fen}",
                "二",
                "2019",
                _unit,
                f"{_en}: {_fen} (第二十条第（五）/（六）项).",
            )
        )
for _f, (_fzh, _fen, _unit) in list(ACTIVE_2019_ITEM_FIELDS.items())[:2]:
    TABLE2_KEYS_2019.append(
        _add(
            f"active.fees.{_f}",
            f"行政事业性收费 · {_fzh}",
            f"Administrative fees: {_fen}",
            "二",
            "2019",
            _unit,
            f"Administrative and institutional fee items: {_fen} (第二十条第（八）项).",
        )
    )
TABLE2_KEYS_2019 += [
    _add(
        "active.procurement.projects",
        "政府集中采购 · 采购项目数量",
        "Central government procurement: projects",
        "二",
        "2019",
        "项",
        "Centrally procured projects (第二十条第（九）项).",
    ),
    _add(
        "active.procurement.amount_10k_yuan",
        "政府集中采购 · 采购总金额",
        "Central government procurement: amount",
        "二",
        "2019",
        "万元",
        "Total amount of central government procurement, in 10,000 yuan.",
    ),
]

# ----------------------------------------------------------------------------- table 三

APPLICANT_LABELS = {
    "natural_person": ("自然人", "natural persons"),
    "business": ("商业企业", "businesses"),
    "research": ("科研机构", "research institutions"),
    "nonprofit": ("社会公益组织", "non-profit organisations"),
    "legal_services": ("法律服务机构", "legal service providers"),
    "other_org": ("其他", "other organisations"),
    "total": ("总计", "all applicants"),
}
APPLICANTS = list(APPLICANT_LABELS)

# row → (label as printed, English, era)
REQUEST_ROWS: dict[str, tuple[str, str, str]] = {
    "new": ("一、本年新收政府信息公开申请数量", "New applications this year", "2019, 2021"),
    "carried_over": ("二、上年结转政府信息公开申请数量", "Carried over from last year", "2019, 2021"),
    "result.granted": ("（一）予以公开", "Result: granted", "2019, 2021"),
    "result.partly_granted": ("（二）部分公开", "Result: partly granted", "2019, 2021"),
    "result.denied.state_secret": ("（三）不予公开 1.属于国家秘密", "Denied: state secret", "2019, 2021"),
    "result.denied.prohibited_by_law": (
        "（三）不予公开 2.其他法律行政法规禁止公开",
        "Denied: prohibited by other laws",
        "2019, 2021",
    ),
    "result.denied.security_stability": (
        "（三）不予公开 3.危及“三安全一稳定”",
        "Denied: endangers security or stability",
        "2019, 2021",
    ),
    "result.denied.third_party": (
        "（三）不予公开 4.保护第三方合法权益",
        "Denied: third-party rights",
        "2019, 2021",
    ),
    "result.denied.internal_affairs": (
        "（三）不予公开 5.属于三类内部事务信息",
        "Denied: internal affairs",
        "2019, 2021",
    ),
    "result.denied.deliberative": (
        "（三）不予公开 6.属于四类过程性信息",
        "Denied: deliberative (process) information",
        "2019, 2021",
    ),
    "result.denied.enforcement_file": (
        "（三）不予公开 7.属于行政执法案卷",
        "Denied: law-enforcement case file",
        "2019, 2021",
    ),
    "result.denied.query_matter": (
        "（三）不予公开 8.属于行政查询事项",
        "Denied: administrative query matter",
        "2019, 2021",
    ),
    "result.unable.not_held": (
        "（四）无法提供 1.本机关不掌握相关政府信息",
        "Unable: information not held",
        "2019, 2021",
    ),
    "result.unable.needs_creation": (
        "（四）无法提供 2.没有现成信息需要另行制作",
        "Unable: would have to be created",
        "2019, 2021",
    ),
    "result.unable.unclear": (
        "（四）无法提供 3.补正后申请内容仍不明确",
        "Unable: request still unclear after correction",
        "2019, 2021",
    ),
    "result.not_processed.petition": (
        "（五）不予处理 1.信访举报投诉类申请",
        "Not processed: petition or complaint",
        "2019, 2021",
    ),
    "result.not_processed.duplicate": ("（五）不予处理 2.重复申请", "Not processed: duplicate", "2019, 2021"),
    "result.not_processed.publication": (
        "（五）不予处理 3.要求提供公开出版物",
        "Not processed: asks for a publication",
        "2019, 2021",
    ),
    "result.not_processed.excessive": (
        "（五）不予处理 4.无正当理由大量反复申请",
        "Not processed: excessive repeated requests",
        "2019, 2021",
    ),
    "result.not_processed.confirmation": (
        "（五）不予处理 5.要求行政机关确认或重新出具已获取信息",
        "Not processed: asks to confirm or reissue information",
        "2019, 2021",
    ),
    "result.other": (
        "（六）其他处理",
        "Other handling (one row: the 2019 template, or a 2021 report keeping it)",
        "2019, 2021",
    ),
    "result.other.no_correction": (
        "（六）其他处理 1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
        "Other: applicant did not supply corrections in time",
        "2021",
    ),
    "result.other.unpaid_fee": (
        "（六）其他处理 2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",
        "Other: fee not paid in time",
        "2021",
    ),
    "result.other.other": ("（六）其他处理 3.其他", "Other: other", "2021"),
    "result.total": ("（七）总计", "Results: total", "2019, 2021"),
    "carried_forward": ("四、结转下年度继续办理", "Carried forward to next year", "2019, 2021"),
}
T3_ROWS_2019 = list(REQUEST_ROWS)[:20]  # new … result.not_processed.confirmation: both templates
OTHER_SPLIT = ["result.other.no_correction", "result.other.unpaid_fee", "result.other.other"]

for _row, (_zh, _en, _era) in REQUEST_ROWS.items():
    for _a, (_azh, _aen) in APPLICANT_LABELS.items():
        _add(
            f"requests.{_row}.{_a}",
            f"{_zh} · {_azh}",
            f"{_en} — {_aen}",
            "三",
            _era,
            "件",
            f"Applications for disclosure: {_en.lower()}, from {_aen} (申请人情况 column {_azh}).",
        )

# ----------------------------------------------------------------------------- table 四

REVIEW_GROUPS = {
    "review": ("行政复议", "Administrative review"),
    "litigation_direct": ("行政诉讼 · 未经复议直接起诉", "Lawsuits filed directly"),
    "litigation_after_review": ("行政诉讼 · 复议后起诉", "Lawsuits after review"),
}
REVIEW_RESULTS = {
    "upheld": ("结果维持", "upheld"),
    "corrected": ("结果纠正", "corrected"),
    "other": ("其他结果", "other result"),
    "pending": ("尚未审结", "pending"),
    "total": ("总计", "total"),
}
for _g, (_zh, _en) in REVIEW_GROUPS.items():
    for _r, (_rzh, _ren) in REVIEW_RESULTS.items():
        _add(
            f"{_g}.{_r}",
            f"{_zh} · {_rzh}",
            f"{_en}: {_ren}",
            "四",
            "2019, 2021",
            "件",
            f"{_en} over disclosure decisions, {_ren}.",
        )

# ----------------------------------------------------------------------------- prose-only keys

_add(
    "active.total",
    "主动公开政府信息（正文所述）",
    "Items published proactively (stated in prose)",
    "正文",
    "2019–",
    "条",
    "A figure from the report's text; no table cell of the 2019/2021 forms holds it. Low confidence.",
)
_add(
    "litigation.total",
    "行政诉讼（正文所述）",
    "Lawsuits (stated in prose)",
    "正文",
    "2019–",
    "件",
    "Lawsuits over disclosure stated in the text, 直接起诉 and 复议后起诉 together. Low confidence.",
)

# ----------------------------------------------------------------------------- legacy 统计表

L = "legacy."
# key (without "legacy.") → label as printed on the national form, English, unit
LEGACY: dict[str, tuple[str, str, str]] = {
    "active.total": ("（一）主动公开政府信息数", "Items published proactively", "条"),
    "active.normative_documents": ("其中：主动公开规范性文件数", "of which normative documents", "条"),
    "normative_documents.issued": ("制发规范性文件总数", "Normative documents issued", "件"),
    "channels.gazette": ("1.政府公报公开政府信息数", "Published in the government gazette", "条"),
    "channels.website": ("2.政府网站公开政府信息数", "Published on the government website", "条"),
    "channels.weibo": ("3.政务微博公开政府信息数", "Published on government Weibo", "条"),
    "channels.wechat": ("4.政务微信公开政府信息数", "Published on government WeChat", "条"),
    "channels.other": ("5.其他方式公开政府信息数", "Published by other means", "条"),
    "responses.hot_topics": ("（一）回应公众关注热点或重大舆情数", "Responses to public concerns", "次"),
    "responses.press_conferences": ("1.参加或举办新闻发布会总次数", "Press conferences", "次"),
    "responses.press_conferences_by_head": (
        "其中：主要负责同志参加新闻发布会次数",
        "Press conferences attended by the head",
        "次",
    ),
    "responses.online_interviews": ("2.政府网站在线访谈次数", "Online interviews", "次"),
    "responses.online_interviews_by_head": (
        "其中：主要负责同志参加政府网站在线访谈次数",
        "Online interviews given by the head",
        "次",
    ),
    "responses.interpretations": ("3.政策解读稿件发布数", "Policy interpretations published", "篇"),
    "responses.weibo_wechat": ("4.微博微信回应事件数", "Responses on Weibo/WeChat", "次"),
    "responses.other": ("5.其他方式回应事件数", "Responses by other means", "次"),
    "requests.received": ("（一）收到申请数", "Applications received", "件"),
    "requests.received_in_person": ("1.当面申请数", "received in person", "件"),
    "requests.received_fax": ("2.传真申请数", "received by fax", "件"),
    "requests.received_online": ("3.网络申请数", "received online", "件"),
    "requests.received_letter": ("4.信函申请数", "received by letter", "件"),
    "requests.received_email": ("电子邮件申请数", "received by e-mail (provincial variants)", "件"),
    "requests.received_other": ("5.其他形式申请数", "received in other forms", "件"),
    "requests.closed": ("（二）申请办结数", "Applications closed", "件"),
    "requests.closed_on_time": ("1.按时办结数", "closed on time", "件"),
    "requests.closed_extended": ("2.延期办结数", "closed after an extension", "件"),
    "requests.answered": ("（三）申请答复数", "Applications answered", "件"),
    "requests.answered_already_public": ("1.属于已主动公开范围数", "answered: already public", "件"),
    "requests.answered_granted": ("2.同意公开答复数", "answered: granted", "件"),
    "requests.answered_partly_granted": ("3.同意部分公开答复数", "answered: partly granted", "件"),
    "requests.answered_denied": ("4.不同意公开答复数", "answered: denied", "件"),
    "requests.denied_state_secret": ("其中：涉及国家秘密", "denied: state secret", "件"),
    "requests.denied_commercial_secret": ("涉及商业秘密", "denied: commercial secret", "件"),
    "requests.denied_privacy": ("涉及个人隐私", "denied: personal privacy", "件"),
    "requests.denied_security_stability": (
        "危及国家安全、公共安全、经济安全和社会稳定",
        "denied: endangers security or stability",
        "件",
    ),
    "requests.denied_not_government_information": (
        "不是《条例》所指政府信息",
        "denied: not government information under the Regulations",
        "件",
    ),
    "requests.denied_other_law": ("法律法规规定的其他情形", "denied: other cases set by law", "件"),
    "requests.answered_not_this_agency": ("5.不属于本行政机关公开数", "answered: not this agency's", "件"),
    "requests.answered_not_exist": ("6.申请信息不存在数", "answered: information does not exist", "件"),
    "requests.answered_correction": ("7.告知作出更改补充数", "answered: asked to amend the request", "件"),
    "requests.answered_other_channel": (
        "8.告知通过其他途径办理数",
        "answered: referred to another channel",
        "件",
    ),
    "fees_10k_yuan": ("依申请公开信息收取的费用", "Fees charged for disclosure on request", "万元"),
    "archive_submissions.total": (
        "向图书馆、档案馆等查阅场所报送信息数",
        "Items sent to libraries and archives",
        "条",
    ),
    "archive_submissions.paper": ("（一）纸质文件数", "sent on paper", "条"),
    "archive_submissions.electronic": ("（二）电子文件数", "sent electronically", "条"),
    "staffing.units": ("（一）政府信息公开工作专门机构数", "Dedicated disclosure units", "个"),
    "staffing.reading_points": ("（二）设置政府信息公开查阅点数", "Public reading points", "个"),
    "staffing.staff": ("（三）从事政府信息公开工作人员数", "Disclosure staff", "人"),
    "staffing.staff_full_time": ("1.专职人员数", "full-time staff", "人"),
    "staffing.staff_part_time": ("2.兼职人员数", "part-time staff", "人"),
    "staffing.budget_10k_yuan": ("（四）政府信息公开专项经费", "Dedicated disclosure budget", "万元"),
    "meetings.conferences": ("（一）召开政府信息公开工作会议或专题会议数", "Disclosure meetings held", "次"),
    "meetings.trainings": ("（二）举办各类培训班数", "Training courses held", "次"),
    "meetings.trainees": ("（三）接受培训人员数", "People trained", "人次"),
}
_LEGACY_CASES = {
    "review": ("行政复议数量", "Administrative reviews"),
    "litigation": ("行政诉讼数量", "Administrative lawsuits"),
    "complaints": ("举报投诉数量", "Complaints and reports"),
    "appeals": ("行政申诉数量", "Administrative appeals (申诉, provincial variants)"),
}
_LEGACY_CASE_RESULTS = {
    "total": ("", "total", ""),
    "upheld": ("（一）维持具体行政行为数", "upheld", "upheld"),
    "corrected": ("（二）被依法纠错数", "corrected", "corrected"),
    "other": ("（三）其他情形数", "other result", "other result"),
}
for _g, (_zh, _en) in _LEGACY_CASES.items():
    for _r, (_rzh, _ren, _) in _LEGACY_CASE_RESULTS.items():
        LEGACY[f"{_g}.{_r}"] = (f"{_zh} · {_rzh}" if _rzh else _zh, f"{_en}: {_ren}", "件")

for _k, (_zh, _en, _unit) in LEGACY.items():
    _add(
        L + _k,
        _zh,
        _en,
        "统计表",
        "legacy",
        _unit,
        f"{_en} (政府信息公开情况统计表, report years 2008–2018).",
    )
for _k, (_zh, _en, _unit) in LEGACY.items():
    _add(
        L + "cumulative." + _k,
        f"{_zh}（历年累计）",
        f"{_en}, cumulative over all years",
        "统计表",
        "legacy",
        _unit,
        f"The 历年累计 column (Fujian's variant) beside legacy.{_k}: all years to date, not the year's.",
    )

PATTERNS: dict[str, Entry] = {
    "legacy.other.<n>": Entry(
        "legacy.other.<n>",
        "（未归入任何指标的统计表行，按表中原文）",
        "Legacy row fitting no key",
        "统计表",
        "legacy",
        "",
        "A row of a provincial 统计表 variant that means none of the keys above; n counts such rows "
        "in the report. Its printed label is kept in metrics.label (and the cell in metrics.raw).",
    ),
    "legacy.cumulative.other.<n>": Entry(
        "legacy.cumulative.other.<n>",
        "（未归入任何指标的统计表行，历年累计）",
        "Legacy row fitting no key, cumulative",
        "统计表",
        "legacy",
        "",
        "The 历年累计 column of legacy.other.<n>.",
    ),
}


def _pattern_of(key: str) -> str | None:
    m = re.fullmatch(r"legacy\.(cumulative\.)?other\.\d+", key)
    if not m:
        return None
    return "legacy.cumulative.other.<n>" if m.group(1) else "legacy.other.<n>"


def entry(key: str) -> Entry:
    """The dictionary entry of ``key`` (a concrete ``legacy.other.<n>`` gets its family's);
    KeyError for a key the dictionary does not know."""
    found = _ENTRIES.get(key)
    if found is not None:
        return found
    pattern = _pattern_of(key)
    if pattern is None:
        raise KeyError(f"metric key not in the dictionary: {key}")
    return replace(PATTERNS[pattern], key=key, pattern=pattern)


def is_known(key: str) -> bool:
    return key in _ENTRIES or _pattern_of(key) is not None


def is_count(key: str) -> bool:
    return entry(key).kind == "count"


def key(name: str) -> str:
    """``name`` after checking it is a dictionary key (for keys spelled out in the extractors)."""
    if not is_known(name):
        raise KeyError(f"metric key not in the dictionary: {name}")
    return name


def table2_keys() -> list[str]:
    """Every table 二 key of both templates."""
    return list(dict.fromkeys(TABLE2_KEYS_2019 + TABLE2_KEYS_2021))


def check_keys(keys: list[str]) -> None:
    """KeyError naming every one of ``keys`` the dictionary does not know (extractors call this
    at import on the keys their rule tables spell out, so a typo fails at once)."""
    unknown = [k for k in keys if not is_known(k)]
    if unknown:
        raise KeyError(f"metric keys not in the dictionary: {', '.join(unknown)}")


# ----------------------------------------------------------------------------- named elsewhere
# The keys code outside the extractors names — the canned queries (nianbao/serve.py), the charts
# (nianbao/charts.py), the prose reader — spelled once here and checked at import. (The
# report_summary view in archive/schema.py spells its keys in its migration, which must never
# change; tests/test_metrics_dictionary.py checks those against the dictionary.)

REQUESTS_NEW = key("requests.new.total")
REQUESTS_CARRIED_OVER = key("requests.carried_over.total")
REQUESTS_GRANTED = key("requests.result.granted.total")
REQUESTS_PARTLY_GRANTED = key("requests.result.partly_granted.total")
REQUESTS_ANSWERED = key("requests.result.total.total")
REQUESTS_OTHER_OUTCOME = key("requests.result.other.total")
REQUESTS_CARRIED_FORWARD = key("requests.carried_forward.total")
REVIEWS = key("review.total")
ACTIVE_PROSE = key("active.total")
LITIGATION_PROSE = key("litigation.total")
LEGACY_REQUESTS_RECEIVED = key("legacy.requests.received")
LEGACY_REQUESTS_ANSWERED = key("legacy.requests.answered")
LEGACY_REVIEWS = key("legacy.review.total")
LEGACY_LITIGATION = key("legacy.litigation.total")
LEGACY_ACTIVE = key("legacy.active.total")


def key_pattern(pattern: str) -> str:
    """A GLOB ``pattern`` over keys (``*`` for any part) after checking it matches some key.

    >>> key_pattern("requests.result.denied.*.total")
    'requests.result.denied.*.total'
    """
    if not any(fnmatchcase(k, pattern) for k in _ENTRIES):
        raise KeyError(f"metric key pattern matches no dictionary key: {pattern}")
    return pattern


# Outcomes of applications (table 三 （三）) under the 2019 form's headings: the template keys
# (GLOB patterns) and the legacy (2008 form) keys that fall under each heading.
OUTCOMES: list[tuple[str, str]] = [
    (REQUESTS_GRANTED, "予以公开"),
    (key("legacy.requests.answered_granted"), "予以公开"),
    (REQUESTS_PARTLY_GRANTED, "部分公开"),
    (key("legacy.requests.answered_partly_granted"), "部分公开"),
    (key_pattern("requests.result.denied.*.total"), "不予公开"),
    (key("legacy.requests.answered_denied"), "不予公开"),
    (key_pattern("requests.result.unable.*.total"), "无法提供"),
    (key("legacy.requests.answered_not_exist"), "无法提供"),
    (key("legacy.requests.answered_not_this_agency"), "无法提供"),
    (key_pattern("requests.result.not_processed.*.total"), "不予处理"),
    (REQUESTS_OTHER_OUTCOME, "其他处理"),
    (key("legacy.requests.answered_other_channel"), "其他处理"),
    (key("legacy.requests.answered_already_public"), "其他处理"),
    (key("legacy.requests.answered_correction"), "其他处理"),
]


def entries() -> list[Entry]:
    """Every concrete key, in dictionary order, then the pattern families."""
    return [*_ENTRIES.values(), *PATTERNS.values()]


def row(key: str) -> dict[str, str]:
    """The ``metric_keys`` row of ``key`` (a concrete ``legacy.other.<n>`` included)."""
    return _as_row(entry(key))


def _as_row(e: Entry) -> dict[str, str]:
    return {
        "key": e.key,
        "label_zh": e.label_zh,
        "label_en": e.label_en,
        "form_table": e.form_table,
        "era": e.era,
        "unit": e.unit,
        "meaning": e.meaning,
        "kind": e.kind,
    }


def rows() -> list[dict[str, str]]:
    """Rows of the ``metric_keys`` table: every concrete key and the pattern families."""
    return [_as_row(e) for e in entries()]


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def markdown() -> str:
    """``docs/metrics.md``: the dictionary as one table per form table."""
    out = [
        "# Metric keys",
        "",
        "Generated from `parsers/metrics/dictionary.py` by "
        "`python -m parsers.metrics.dictionary --markdown > docs/metrics.md`; do not edit by hand.",
        "The same rows are in the `metric_keys` table of the database (`metrics.key` references it).",
        "Counts are integers; amounts (万元) keep their decimals. A blank cell is NULL, never 0.",
        "",
    ]
    sections = [
        ("二", "Table 二 — 主动公开政府信息情况 (2019 and 2021 templates)"),
        ("三", "Table 三 — 收到和处理政府信息公开申请情况"),
        ("四", "Table 四 — 政府信息公开行政复议、行政诉讼情况"),
        ("正文", "Figures stated in prose"),
        ("统计表", "Legacy 政府信息公开情况统计表 (2008–2018)"),
    ]
    for table, title in sections:
        out += [
            f"## {title}",
            "",
            "| key | 表中名称 | label | era | unit | meaning |",
            "|---|---|---|---|---|---|",
        ]
        for e in entries():
            if e.form_table == table:
                out.append(
                    f"| `{e.key}` | {_cell(e.label_zh)} | {_cell(e.label_en)} | {e.era} | {e.unit} | "
                    f"{_cell(e.meaning)} |"
                )
        out.append("")
    return "\n".join(out)


def main(argv: list[str]) -> int:
    if argv != ["--markdown"]:
        print("usage: python -m parsers.metrics.dictionary --markdown", file=sys.stderr)
        return 2
    sys.stdout.write(markdown())
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
