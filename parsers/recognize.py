"""Is this a 政府信息公开工作年度报告? Decided from the title and the content, not the URL.

Where a document was found says little: portals file budget reports, website forms and
notices about compiling the reports in the same 年报 column, and reports turn up anywhere.
:func:`assess` weighs

- the title: the report pattern with a year (:func:`vocabulary.is_report_title`), or one
  of the decoys — notices about compiling the reports (关于做好…年度报告编制发布工作的通知),
  法治政府建设年度报告, 政府网站年度工作报表, 决算/预算, 统计公报 — or a template (模板, 格式);
- the statutory section headings (一、总体情况 … 六、其他需要报告的事项 since 2019; legacy
  概述 … 政府信息公开情况统计表), the sentence "本报告中所列数据的统计期限…", and the
  statistics tables with figures in them;
- what a decoy's body looks like (特此通知, 网站名称/首页网址, 决算表, 比上年增长…) and what a
  blank template looks like (placeholder "XX年", "（文字描述）", statistics cells all empty).

A decoy title is final; a template is never a report; otherwise the report title or enough
content signals make a report. The verdict says why, in a reason meant for people.

>>> from parsers.document import Block, Document
>>> notice = Document("html", [Block("各县区人民政府：请于1月31日前完成编制发布。特此通知。")])
>>> v = assess(notice, "关于做好2017年政府信息公开工作年度报告编制发布工作的通知")
>>> v.is_report, v.reason
(False, 'not a report: a notice about compiling or publishing the annual reports (通知)')
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from parsers.document import Document
from vocabulary import is_report_title, normalize, year_in_title

if TYPE_CHECKING:
    from parsers.metrics.model import MetricsResult

# Title decoys, first match wins: (pattern, what the document is).
_TITLE_DECOYS: list[tuple[re.Pattern[str], str]] = [
    (
        re.compile(
            r"(做好|编制|报送|撰写|开展|组织).*(年度报告|年报).*(通知|函)"
            r"|(年度报告|年报).{0,6}(编制|发布|报送|公开)?工作的?(通知|函)"
        ),
        "a notice about compiling or publishing the annual reports (通知)",
    ),
    (re.compile(r"法治政府建设"), "a 法治政府建设 (rule-of-law) annual report"),
    (
        re.compile(r"(政府)?网站.{0,6}(年度)?(工作)?(报表|年报)"),
        "a 政府网站年度工作报表 (website form)",
    ),
    (re.compile(r"决算"), "a 决算 (final accounts) report"),
    (re.compile(r"预算"), "a 预算 (budget) report"),
    (re.compile(r"统计公报|国民经济和社会发展"), "a 统计公报 (statistical bulletin)"),
    (re.compile(r"工作要点|实施方案|考核|评估报告|督查|整改"), "a work plan, review or assessment"),
    (re.compile(r"通知$|的通知|通报$"), "a notice (通知)"),
]
# "关于印发《XX市2019年政府信息公开工作年度报告》的通知": the report, published by a notice.
_PUBLISHING_NOTICE = re.compile(
    r"(印发|公布|发布|公开)[《〈]?.{0,30}(政府信息|政务)公开.{0,6}(年度报告|年报)[》〉]?的?(通知|公告)"
)
_TITLE_TEMPLATE = re.compile(r"模板|模版|格式|样表|样本|范本|参考文本")

_SECTIONS_2019 = [
    re.compile(p)
    for p in (
        r"总体情况",
        r"主动公开政府信息情况",
        r"收到和处理政府信息公开申请情况",
        r"政府信息公开行政复议[、和及]?行政诉讼情况",
        r"存在的?(主要)?问题(和|及|与)?(的)?(改进|整改)",
        r"其他需要报告的事项",
    )
]
_SECTIONS_LEGACY = [
    re.compile(p)
    for p in (
        r"概述",
        r"组织领导和制度建设",
        r"主动公开(政府|政务)信息",
        r"依申请公开|公开申请(的)?(办理)?情况|申请公开",
        r"回应社会关切|解读回应|回应解读|舆情回应",
        r"行政复议[、和及]?(提起)?行政诉讼",
        r"存在的?(主要)?问题(和|及|与)(改进|整改)|主要问题和改进",
        r"信息公开情况统计表|工作情况统计|重点领域.{0,4}公开|保密审查",
    )
]
_PERIOD = re.compile(r"(本报告|报告)中?所列数据的?统计期限|统计期限(自|为)")
_ORDINANCE = re.compile(r"政府信息公开条例")
_PLACEHOLDER = re.compile(
    r"[XxＸｘ×]{2}年|[XxＸｘ×]{2,}(市|县|区|局|委|单位|部门)|（文字描述|\(文字描述|此处填写|填写说明|（单位名称）"
)
_DECOY_BODY: list[tuple[re.Pattern[str], int, str]] = [
    (
        re.compile(r"特此通知|请于.{0,12}前(报送|完成|发布)|现将有关事项通知如下"),
        1,
        "notice (通知)",
    ),
    (re.compile(r"法治政府建设"), 4, "法治政府建设 (rule-of-law) report"),
    (re.compile(r"网站名称|首页网址|网站标识码|主办单位"), 3, "政府网站 website form"),
    (re.compile(r"决算"), 5, "决算 (final accounts) report"),
    (
        re.compile(r"比上年(增长|下降)|国内生产总值|地区生产总值"),
        4,
        "统计公报 (statistical bulletin)",
    ),
]
_SPACES = re.compile(r"[\s\u3000\xa0]+")
_MAX_TITLE = 80
_TITLE_YEAR = re.compile(r"(?:19|20)\d{2}\s*年")
_REPORT_WORDS = re.compile(r"信息公开|政务公开|年度报告|年报|工作报告")
_SENTENCE_END = re.compile(r"[。；！？;!?]|[，,：:]$")  # a sentence, not a title line
_SENTENCE = re.compile(r"[，。：；！？,;:!?、“”《》]")
_ORGAN_END = re.compile(
    r"(局|委员会|委|办公室|办|中心|厅|院|馆|所|站|队|政府|管委会|公署|署|处|会|社|集团|公司|部)$"
)
_MAX_HEADING = 40
_NUMBERING = re.compile(
    r"^(?:第?[一二三四五六七八九十]{1,3}(?:[、.．]|部分)|[(（][一二三四五六七八九十]{1,3}[)）])"
)
_MIN_CONTENT_CHARS = 300  # below this a document is a cover note: it cannot confirm anything
_SCAN_CHARS = 60_000


@dataclass(frozen=True)
class Verdict:
    is_report: bool
    reason: str
    confidence: float  # 0–1: how sure the verdict is (not a probability model)
    signals: tuple[str, ...] = field(default=())


@dataclass
class _Signals:
    chars: int = 0
    sections_2019: int = 0
    sections_legacy: int = 0
    period: bool = False
    ordinance: bool = False
    placeholders: int = 0
    filled_cells: int = 0
    blank_cells: int = 0
    eras: set[str] = field(default_factory=set)
    body_decoys: list[str] = field(default_factory=list)

    def describe(self) -> list[str]:
        out = []
        if self.sections_2019:
            out.append(f"{self.sections_2019}/{len(_SECTIONS_2019)} statutory sections")
        if self.sections_legacy:
            out.append(f"{self.sections_legacy}/{len(_SECTIONS_LEGACY)} legacy sections")
        if self.period:
            out.append("统计期限 sentence")
        if self.filled_cells:
            out.append(f"statistics tables ({self.filled_cells} filled cells)")
        elif self.blank_cells:
            out.append(f"statistics tables, all {self.blank_cells} cells blank")
        if self.placeholders:
            out.append(f"{self.placeholders} template placeholders")
        out += [f"reads like a {d}" for d in self.body_decoys]
        return out


def assess(
    items: Any,
    title: str | None = None,
    *,
    metrics: Sequence[MetricsResult | None] | None = None,
) -> Verdict:
    """Whether ``items`` (a Document, a report Source, or a list of either) are one report.

    ``metrics`` may hold the :func:`parsers.metrics.extract` result of each document (same
    order) when the caller already has them; otherwise they are computed here.
    """
    docs = _documents(items)
    title = title or _own_title(docs)
    signals = _content_signals(docs, metrics)
    described = signals.describe()
    text_title = normalize(title or "")

    if _PUBLISHING_NOTICE.search(text_title) and not _is_template(text_title, signals):
        return _publishing_notice(title, signals, described)
    for pattern, what in _TITLE_DECOYS:
        if text_title and pattern.search(text_title):
            confidence = 0.95 if signals.body_decoys else 0.85
            return Verdict(False, f"not a report: {what}", confidence, (f"title: {title}", *described))
    if _is_template(text_title, signals):
        return Verdict(
            False,
            "not a report: a blank template (placeholders, no figures)",
            0.9,
            (f"title: {title}", *described),
        )

    score = _content_score(signals)
    titled = bool(text_title) and is_report_title(text_title)
    if signals.body_decoys and score < 3 and not titled:
        what = signals.body_decoys[0]
        return Verdict(False, f"not a report: the text reads like a {what}", 0.7, tuple(described))
    if titled:
        year = year_in_title(text_title)
        if _textless_pages(docs):
            pages = sum(d.page_count or 0 for d in docs)
            why = f"not a report: its file has {pages} pages and no text (blank, or an unreadable scan)"
            return Verdict(False, why, 0.6, (f"title: {title}", *described))
        if signals.chars < _MIN_CONTENT_CHARS:
            return Verdict(
                True,
                f"report by its title ({year}); no content to confirm it",
                0.6,
                tuple(described),
            )
        confidence = 0.95 if score >= 3 else 0.85 if score >= 1 else 0.6
        evidence = "; ".join(described) or "no section headings or tables found"
        return Verdict(True, f"report: title with year {year}; {evidence}", confidence, tuple(described))
    if score >= 3:
        return Verdict(
            True,
            "report by its content: " + "; ".join(described),
            0.8,
            (f"title: {title}", *described),
        )
    return Verdict(
        False,
        "not a report: neither the title nor the content looks like an annual disclosure report",
        0.6 if signals.chars >= _MIN_CONTENT_CHARS else 0.4,
        (f"title: {title}", *described),
    )


def _textless_pages(docs: list[Document]) -> bool:
    """Only paged files (PDF, images), with pages and not a character of text: nothing to go
    on but a title, which is no report (parsers/findings.py records the file as a problem)."""
    return bool(docs) and all(
        d.format in ("pdf", "image") and d.page_count and not d.text.strip() for d in docs
    )


def _publishing_notice(title: str | None, signals: _Signals, described: list[str]) -> Verdict:
    """A notice that publishes the report: the report is in it (or in its attachment)."""
    signs = (f"title: {title}", *described)
    if _content_score(signals) >= 3:
        return Verdict(True, "report, published by a notice: " + "; ".join(described), 0.85, signs)
    return Verdict(
        True,
        "a notice publishing the report; the report itself is not in the parsed text",
        0.5,
        signs,
    )


def _documents(items: Any) -> list[Document]:
    if isinstance(items, Document):
        return [items]
    if hasattr(items, "document"):
        return [items.document] if items.document is not None else []
    docs: list[Document] = []
    for item in items or []:
        docs += _documents(item)
    return docs


def _own_title(docs: list[Document]) -> str | None:
    for doc in docs:
        for candidate in (doc.meta.get("ArticleTitle"), printed_title(doc), doc.title):
            if candidate and candidate.strip():
                return candidate.strip()
    for doc in docs:
        for block in doc.blocks[:3]:
            if block.text.strip() and len(block.text.strip()) <= _MAX_TITLE:
                return block.text.strip()
    return None


def printed_title(doc: Document, *, lines: int = 10) -> str | None:
    """The report title as printed at the top, joined when it is split over two lines.

    Red-head documents print the agency on one line and "2017年度政府信息公开工作年度报告"
    on the next; some pages split "平潭综合实验区2018年度 / 政府信息公开工作年度报告".

    >>> from parsers.document import Block, Document
    >>> printed_title(Document("html", [Block("聊城市政务服务中心管理办公室"),
    ...                                  Block("2017年度政府信息公开工作年度报告")]))
    '聊城市政务服务中心管理办公室2017年度政府信息公开工作年度报告'
    """
    heads = [_SPACES.sub(" ", b.text).strip() for b in doc.blocks[: lines * 2]]
    heads = [h for h in heads if h and not _SENTENCE_END.search(h)][:lines]
    for i, line in enumerate(heads):
        following = heads[i + 1] if i + 1 < len(heads) else ""
        if is_report_title(line) and len(line) <= _MAX_TITLE:
            if title_head(line) is None and i > 0 and looks_like_organ(heads[i - 1]):
                return normalize(heads[i - 1]) + line
            return line
        if (
            following
            and len(line) + len(following) <= _MAX_TITLE
            and not is_report_title(following)
            and is_report_title(line + following)
        ):
            return line + following
    return None


def title_head(title: str | None) -> str | None:
    """What a report title says before its year: the agency ("洪泽区人民政府"), or None.

    >>> title_head("关于洪泽区人民政府2023年政府信息公开工作年度报告"), title_head("2017年度报告")
    ('洪泽区人民政府', None)
    """
    text = normalize(title or "")
    match = _TITLE_YEAR.search(text)
    if not match:
        return None
    head = text[: match.start()]
    head = re.sub(r"^(关于|公布|发布)", "", head)
    head = head.rstrip("的（(《〈【[:：-—_·")
    if len(head) < 2 or _REPORT_WORDS.search(head):
        return None
    return head


def looks_like_organ(line: str) -> bool:
    """A line that is an agency's name (a header or signature line), not a sentence.

    >>> looks_like_organ("威海市政务服务中心管理办公室文件"), looks_like_organ("市政府：")
    (True, False)
    """
    text = re.sub(r"文件$", "", normalize(line))
    if not 3 <= len(text) <= 40 or _SENTENCE.search(text):
        return False
    return bool(_ORGAN_END.search(text))


def _content_signals(docs: list[Document], metrics: Sequence[MetricsResult | None] | None) -> _Signals:
    from parsers.metrics import extract

    signals = _Signals()
    texts = []
    for index, doc in enumerate(docs):
        result = metrics[index] if metrics is not None and index < len(metrics) else None
        if result is None:
            result = extract(doc)
        if result.era != "prose":
            signals.eras.add(result.era)
        table_cells = [m for m in result.metrics if m.confidence == "high"]
        signals.filled_cells += sum(1 for m in table_cells if m.value is not None)
        signals.blank_cells += sum(1 for m in table_cells if m.value is None)
        texts.append(normalize(doc.text[:_SCAN_CHARS]))
    text = "\n".join(texts)
    signals.chars = len(text)
    headings = [h for h in (_heading(line) for d in docs for line in d.text.splitlines()) if h]
    signals.sections_2019 = sum(1 for p in _SECTIONS_2019 if any(p.search(h) for h in headings))
    signals.sections_legacy = sum(1 for p in _SECTIONS_LEGACY if any(p.search(h) for h in headings))
    signals.period = bool(_PERIOD.search(text))
    signals.ordinance = bool(_ORDINANCE.search(text))
    signals.placeholders = len(_PLACEHOLDER.findall(text))
    for pattern, times, what in _DECOY_BODY:
        if len(pattern.findall(text)) >= times:
            signals.body_decoys.append(what)
    return signals


def _heading(line: str) -> str | None:
    """A short line with its numbering (一、 / （三） / 第二部分) removed; None for prose.

    Section names count only as headings: a notice that lists them in a sentence is no report.
    """
    text = normalize(line)
    if not text or len(text) > _MAX_HEADING:
        return None
    return _NUMBERING.sub("", text)


def _is_template(title: str, signals: _Signals) -> bool:
    """The blank official form: placeholders or a 模板 title, and not one figure filled in."""
    if signals.filled_cells:
        return False
    if title and _TITLE_TEMPLATE.search(title):
        return True
    return signals.placeholders >= 2 or (signals.placeholders >= 1 and signals.blank_cells >= 20)


def _content_score(signals: _Signals) -> int:
    score = 0
    if signals.sections_2019 >= 4:
        score += 3
    elif signals.sections_2019 >= 2:
        score += 1
    if signals.sections_legacy >= 3:
        score += 2
    elif signals.sections_legacy >= 2:
        score += 1
    if signals.period:
        score += 2
    if signals.filled_cells >= 10:
        score += 2
    if signals.ordinance and score:
        score += 1
    return score
