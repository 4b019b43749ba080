"""Key figures stated in sentences, for reports without a statistics table.

Only four figures, the ones nearly every report states: items published proactively,
applications received, administrative reviews and lawsuits. Every one is flagged
``confidence="low"``: a sentence is not a form.

Keys depend on the report year, so a prose figure can be queried next to table figures of
the same era: up to 2018 (or year unknown — prose-only reports are overwhelmingly legacy
ones) ``legacy.active.total``, ``legacy.requests.received``, ``legacy.review.total``,
``legacy.litigation.total``; from 2019 ``requests.new.total`` and ``review.total`` (the
table-三/四 keys) plus two prose-only keys with no table cell behind them,
``active.total`` and ``litigation.total`` (prose rarely splits 直接起诉 / 复议后起诉).

Candidates are scored, not just taken first: "累计共发布了116条信息" beats the channel figure
"通过门户网站发布78条信息" in the same sentence; "主动公开信息10750余条" beats "发布信息累计14494余条".
A negative statement ("没有接收到…申请", "不存在因…行政复议、提起行政诉讼的情况") gives 0.

>>> figures = find_figures("2017年，中心管理办全年共收到依申请信息公开5条，均按规定进行了回复。")
>>> [(f.kind, f.value) for f in figures]
[('requests', 5)]
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from parsers.document import Document
from parsers.metrics import dictionary as metric
from parsers.metrics.model import Metric, Source
from parsers.metrics.tables import Collector, document_blocks
from parsers.metrics.values import Number, normalize_text, parse_value

_NUM = r"(?P<num>(?:约|近|逾)?\s*\d[\d,.]*|[零〇一二两三四五六七八九十百千万]+)\s*(?P<q>余|多)?\s*"
_CLAUSE_SPLIT = re.compile(r"[。；;！!\n]")

_REQUESTS = re.compile(
    r"(?:收到|受理|接收到?|接到|办理)[^。；;，,]{0,25}?申请[^。；;，,\d]{0,15}?"
    + _NUM
    + r"(?:件|条|个|份|次|起)"
)
_REQUESTS_NONE = re.compile(r"(?:没有|未|无|尚未)(?:收到|接收到|接收|接到|受理)[^。；;]{0,30}?申请")
_ACTIVE = re.compile(
    r"(?:公开|发布)(?:了)?(?P<obj>[^。；;，,]{0,20}?)" + _NUM + r"(?:条|篇|件)(?P<after>[^。；;，,]{0,6})"
)
_REVIEW = re.compile(r"行政复议(?:案件|申请)?\s*" + _NUM + r"(?:件|起|宗|次)")
_LAWSUIT = re.compile(r"行政诉讼(?:案件)?\s*" + _NUM + r"(?:件|起|宗|次)")
_NEGATION = r"(?:没有|未|无|不存在|未发生|未出现)"
_REVIEW_NONE = re.compile(_NEGATION + r"[^。；;]{0,40}?行政复议(?!机关)")
_LAWSUIT_NONE = re.compile(_NEGATION + r"[^。；;]{0,60}?行政诉讼(?!机关)")

_CHANNEL = re.compile(r"网站|平台|微博|微信|公众号|门户|政务服务网|栏|屏|短信")
_EXCLUDE_ACTIVE = re.compile(r"解读|申请|短信|咨询|回复|答复|审批结果|办件|事项|访谈")


@dataclass
class Figure:
    kind: str  # "active" | "requests" | "review" | "litigation"
    value: Number
    raw: str
    approximate: bool
    score: int
    block: int


def _number(m: re.Match[str]) -> tuple[Number | None, bool]:
    parsed = parse_value(m.group("num"))
    return parsed.value, parsed.approximate or bool(m.group("q"))


def _active_candidates(clause: str, block: int) -> list[Figure]:
    out: list[Figure] = []
    for m in _ACTIVE.finditer(clause):
        # The words since the last comma qualify this figure; earlier ones belong to others.
        start = max(clause.rfind(",", 0, m.start()), clause.rfind("，", 0, m.start())) + 1
        local = clause[start : m.end()]
        if "信息" not in m.group("obj") + m.group("after") and "文件" not in m.group("obj"):
            continue
        if _EXCLUDE_ACTIVE.search(local):
            continue
        value, approx = _number(m)
        if value is None:
            continue
        score = 0
        score += 2 if "主动公开" in local else 0
        score += 1 if re.search(r"累计|共计|共|全年|总计|合计", local) else 0
        score -= 1 if _CHANNEL.search(local) else 0
        out.append(Figure("active", value, m.group(0), approx, score, block))
    return out


def _clause_figures(clause: str, block: int) -> list[Figure]:
    out = _active_candidates(clause, block)
    for kind, pattern, none_pattern in (
        ("requests", _REQUESTS, _REQUESTS_NONE),
        ("review", _REVIEW, _REVIEW_NONE),
        ("litigation", _LAWSUIT, _LAWSUIT_NONE),
    ):
        m = pattern.search(clause)
        if m:
            value, approx = _number(m)
            if value is not None:
                out.append(Figure(kind, value, m.group(0), approx, 1, block))
                continue
        m = none_pattern.search(clause)
        if m:
            out.append(Figure(kind, 0, m.group(0), False, 0, block))
    return out


def find_figures(text: str, block: int = 0) -> list[Figure]:
    """Every candidate figure in ``text`` (one block), in order."""
    out: list[Figure] = []
    for clause in _CLAUSE_SPLIT.split(normalize_text(text)):
        out.extend(_clause_figures(clause, block))
    return out


def keys_for_year(year: int | None) -> dict[str, str]:
    if year is not None and year >= 2019:
        return {
            "active": metric.ACTIVE_PROSE,
            "requests": metric.REQUESTS_NEW,
            "review": metric.REVIEWS,
            "litigation": metric.LITIGATION_PROSE,
        }
    return {
        "active": metric.LEGACY_ACTIVE,
        "requests": metric.LEGACY_REQUESTS_RECEIVED,
        "review": metric.LEGACY_REVIEWS,
        "litigation": metric.LEGACY_LITIGATION,
    }


def extract(doc: Document, year: int | None, out: Collector) -> None:
    """The best figure of each kind into ``out`` (low confidence)."""
    best: dict[str, Figure] = {}
    for block, text in document_blocks(doc):
        for fig in find_figures(text, block):
            if fig.kind not in best or fig.score > best[fig.kind].score:
                best[fig.kind] = fig
    keys = keys_for_year(year)
    if year is None:
        out.warnings.append("prose: report year unknown, legacy keys used")
    for kind in ("active", "requests", "review", "litigation"):
        fig = best.get(kind)
        if fig is None or out.has(keys[kind]):
            continue
        out.add(
            Metric(
                key=keys[kind],
                value=fig.value,
                raw=fig.raw,
                unit=None,
                source=Source(block=fig.block if fig.block >= 0 else None),
                label=None,
                approximate=fig.approximate,
                confidence="low",
            )
        )
