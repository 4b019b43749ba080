"""From a report's parsed files to one report record: what it is, whose, when, and its figures.

A report is what a portal lists as one item: an article page and its attachments, or a
single file linked from the list. :func:`build_report` makes one :class:`ReportRecord` of
them, each field from a small named step that tries the sources in order of trust:

- **recognition** (:mod:`parsers.recognize`): whether the item is a disclosure report at all,
  with the reason — decided from the title and content, never from where it was found;
- **title**: page metadata, the title as printed (joined when split over two lines), the
  file's own title, the link text;
- **agency**: the title's head ("威海市环翠区行政审批服务局2019年…"), else the header line above
  the title, the signature block before the final date, the 发布机构 metadata; a relative
  name ("市政务服务中心…") is made whole from a fuller spelling in the sources or from the
  site's region ("曲阜市政务服务中心…"); a bare place ("平潭综合实验区") becomes its government;
- **region**: six-digit GB/T 2260 code and level of the agency (:mod:`parsers.regions`);
- **year**: the title, the 统计期限 sentence, else the publication year minus one;
- **published**: page metadata, a 发布时间 line heading the page (metadata that lost its
  markup), the signature date, a 发布时间 anywhere near the top; **signed** is the signature
  date (成文日期) itself;
- **文号**: the 文号 metadata, or a line of the red-head header that is only a document number
  (a 文号 cited in the body is someone else's);
- **figures**: from the best source — most filled statistics cells, then markup over
  conversion over OCR — with the other files kept as linked sources; where two files hold
  the same table cell with different values, a ``sources_agree:<key>`` check records it.

:func:`year_over_year_checks` is the cross-report step: last year's 结转下年度 against this
year's 上年结转 for the same agency, run once all reports are built.

>>> from parsers.document import Block, Document
>>> page = Document(format="html", title="市政务服务中心2017年政府信息公开工作年度报告_中国曲阜",
...                 meta={"发布日期": "2018-01-31"},
...                 content=[Block("正文……"), Block("2018年1月19日")])
>>> source = Source(sha256="a" * 64, fetch_id=1, url="http://x.test/t.html", role="page",
...                 document=page)
>>> r = build_report([source], site="qufu", site_agency="曲阜市人民政府")
>>> r.title, r.year, r.published, r.signed
('市政务服务中心2017年政府信息公开工作年度报告', 2017, '2018-01-31', '2018-01-19')
>>> r.agency, r.region_code, r.region_level
('曲阜市政务服务中心', '370881', 'county')
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from parsers import regions
from parsers.document import Document
from parsers.recognize import Verdict, assess, looks_like_organ, printed_title, title_head
from parsers.version import PARSER_VERSION
from vocabulary import is_report_title, normalize, year_in_title

logger = logging.getLogger(__name__)

PARSER_NAME = "nianbao.parsers.report"

_DATE = re.compile(r"((?:19|20)\d{2})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")
_CN_DATE = re.compile(
    r"([〇○零一二三四五六七八九]{4})年([一二三四五六七八九十]{1,3})月([一二三四五六七八九十]{1,3})日"
)
_PUBLISHED_LABEL = re.compile(r"(?:发布|公开|发文)(?:时间|日期)\s*[:：]?\s*" + _DATE.pattern)
_DATE_LINE = re.compile(r"^(?:" + _DATE.pattern + r"|" + _CN_DATE.pattern + r")(?:印发|发布|制发)?$")
_DOC_NUMBER = re.compile(
    r"[\u4e00-\u9fa5]{1,12}[〔\[［(（]\s*(?:19|20)\d{2}\s*[〕\]］)）]\s*(?:第\s*)?\d{1,4}\s*号"
)
_DOC_NUMBER_LINE = re.compile(r"^(?:文号[:：]?)?(" + _DOC_NUMBER.pattern + r")$")
_NO_DOC_NUMBER = {"", "无", "无文号", "-", "—", "/", "null", "none"}
_TITLE_SUFFIX = re.compile(r"\s*[_|｜\-—]+\s*[^_|｜\-—]{1,20}$")
_PERIOD_YEAR = re.compile(r"统计期限(?:为|是)?(?:自|从)?((?:19|20)\d{2})年")
_META_PUBLISHED = (
    "PubDate",
    "发布日期",
    "发布时间",
    "pubdate",
    "publishdate",
    "firstpublishedtime",
)
_META_SIGNED = ("成文日期",)
_META_AGENCY = ("发布机构", "ContentSource", "来源", "发文机关")
_MIN_BODY_CHARS = 400  # a page body shorter than this is a cover note for its attachments
_GOVERNMENT = re.compile(r"(?:党工委)?(人民政府|管委会|管理委员会|行政公署)")
# Cell structure read from the file's own markup beats a LibreOffice conversion of it, which
# beats tables rebuilt from a PDF's text layout, which beat OCR.
_METHOD_RANK = {"markup": 4, "conversion": 3, "text-layer": 2, "ocr": 0}
_CN_DIGITS = {c: i for i, c in enumerate("〇一二三四五六七八九")} | {"○": 0, "零": 0}


@dataclass
class Source:
    """One file of a report, as fetched and parsed."""

    sha256: str
    fetch_id: int | None
    url: str
    role: str  # page | attachment | file (a report linked directly as a file)
    document: Document | None
    link_text: str | None = None
    name: str | None = None


@dataclass
class ReportRecord:
    id: str
    url: str
    site: str | None
    title: str | None
    agency: str | None
    year: int | None
    published: str | None
    doc_number: str | None
    era: str | None
    text: str
    sha256: str | None  # the source of text and figures
    fetch_id: int | None
    sources: list[Source] = field(default_factory=list)
    metrics: list[dict[str, Any]] = field(default_factory=list)
    checks: list[dict[str, Any]] = field(default_factory=list)
    parser: str = PARSER_NAME
    parser_version: str = PARSER_VERSION
    region: str | None = None  # full name of the agency's division: 山东省威海市环翠区
    region_code: str | None = None  # six-digit GB/T 2260 code in force in the report year
    region_level: str | None = None  # province | city | county | township
    signed: str | None = None  # the signature date (成文日期), ISO
    agency_key: str | None = None  # one agency across years and spellings (year-over-year)
    is_report: bool = True
    recognition: str = ""  # why it is (not) a report
    recognition_confidence: float | None = None
    # cells two files disagree on (one dict per cell; also recorded as sources_agree checks)
    disagreements: list[dict[str, Any]] = field(default_factory=list)


def report_id(url: str) -> str:
    """A stable id: the same report URL gives the same id in every parse and archive."""
    return hashlib.sha1(url.encode("utf-8")).hexdigest()[:16]


def build_report(
    sources: list[Source],
    *,
    site: str | None = None,
    site_agency: str | None = None,
    site_region: str | None = None,
) -> ReportRecord:
    anchor = sources[0]  # the listed item: the page, or the file itself
    parsed = [s for s in sources if s.document is not None]
    results = {id(s): _metrics_of(s) for s in parsed}
    primary = _primary_source(parsed, results)
    title = _parse_title(sources)
    published = _parse_published(parsed)
    signed = _parse_signed(parsed)
    year = _parse_year(title, parsed, published or signed)
    site_reg = _site_region(site_region, site_agency, year)
    agency = _parse_agency(title, parsed, site_reg) or site_agency
    region = _agency_region(agency, site_reg, year)
    verdict = assess(parsed, title, metrics=[results[id(s)] for s in parsed])
    record = ReportRecord(
        id=report_id(anchor.url),
        url=anchor.url,
        site=site,
        title=title,
        agency=agency,
        year=year,
        published=published or signed,
        doc_number=_parse_doc_number(parsed),
        era=None,
        text=_report_text(primary, parsed),
        sha256=primary.sha256 if primary else None,
        fetch_id=primary.fetch_id if primary else anchor.fetch_id,
        sources=list(sources),
        signed=signed,
        region=region.full_name if region else None,
        region_code=region.code if region else None,
        region_level=region.level if region else None,
        agency_key=_agency_key(agency, region),
    )
    _apply_verdict(record, verdict)
    if primary is not None:
        _add_figures(record, primary, parsed, results)
    return record


# -- figures and the best source ---------------------------------------------------------------
def _metrics_of(source: Source) -> Any:
    from parsers.metrics import extract

    assert source.document is not None
    try:
        return extract(source.document)
    except Exception:  # a metrics bug must not lose the report; it is logged
        logger.exception("metrics extraction failed on %s", source.url)
        return None


def _filled(result: Any) -> tuple[int, int, int]:
    """(table cells with a value, table cells, all metrics) of a metrics result."""
    if result is None:
        return (0, 0, 0)
    table = [m for m in result.metrics if m.confidence == "high"]
    return (sum(1 for m in table if m.value is not None), len(table), len(result.metrics))


def _primary_source(sources: list[Source], results: Mapping[int, Any]) -> Source | None:
    """The file the figures come from: most filled statistics cells, then the most reliable
    extraction (markup > conversion > text layer > OCR), then a substantial page, then text;
    the sha256 last, so that the choice never depends on the order files were fetched in."""
    if not sources:
        return None

    def rank(source: Source) -> tuple[int | str, ...]:
        doc = source.document
        assert doc is not None
        chars = len(normalize(doc.text))
        substantial_page = int(source.role == "page" and chars >= _MIN_BODY_CHARS)
        return (
            *_filled(results.get(id(source))),
            len(doc.tables),
            _METHOD_RANK.get(doc.method, 1),
            substantial_page,
            chars,
            source.sha256,
        )

    return max(sources, key=rank)


def _add_figures(
    record: ReportRecord, primary: Source, parsed: list[Source], results: Mapping[int, Any]
) -> None:
    result = results.get(id(primary))
    if result is None:
        return
    record.era = result.era
    record.metrics = [_metric_row(m, primary) for m in result.metrics]
    record.checks = [_check_row(c.rule, c.expected, c.found, c.passed, c.detail) for c in result.checks]
    for other in parsed:
        if other is not primary and results.get(id(other)) is not None:
            _compare_sources(record, primary, result, other, results[id(other)])


def _metric_row(m: Any, source: Source) -> dict[str, Any]:
    return {
        "key": m.key,
        "value": m.value,
        "raw": m.raw,
        "label": m.label,
        "unit": m.unit,
        "confidence": m.confidence,
        "sha256": source.sha256,
        "fetch_id": source.fetch_id,
        "page": m.source.page,
        "table_index": m.source.table,
        "row": m.source.row,
        "col": m.source.col,
    }


def _check_row(
    rule: str, expected: Any, found: Any, passed: bool | None, detail: str, **other: str | None
) -> dict[str, Any]:
    """A ``checks`` row; ``other`` names the other file or report a check compares against
    (``other_sha256``, ``other_report_id``)."""
    return {
        "rule": rule,
        "expected": expected,
        "found": found,
        "passed": passed,
        "detail": detail,
        "other_sha256": other.get("other_sha256"),
        "other_report_id": other.get("other_report_id"),
    }


def _compare_sources(
    record: ReportRecord, primary: Source, result: Any, other: Source, other_result: Any
) -> None:
    """Table cells both files hold: one summary check, one failed check per differing cell.

    Only statistics-table cells are compared (prose figures are too loose to disagree with).
    """
    mine = {m.key: m for m in result.metrics if m.confidence == "high"}
    theirs = {m.key: m for m in other_result.metrics if m.confidence == "high"}
    shared = [key for key in mine if key in theirs]
    if not shared:
        return
    label = f"{other.role} {other.name or other.url} (sha256 {other.sha256[:12]})"
    differing = [k for k in shared if mine[k].value != theirs[k].value]
    record.checks.append(
        _check_row(
            "sources_agree",
            len(shared),
            len(shared) - len(differing),
            not differing,
            f"{len(shared) - len(differing)} of {len(shared)} table cells agree between the "
            f"{primary.role} (sha256 {primary.sha256[:12]}) and the {label}",
            other_sha256=other.sha256,
        )
    )
    for key in differing:
        a, b = mine[key], theirs[key]
        record.checks.append(
            _check_row(
                f"sources_agree:{key}",
                a.value,
                b.value,
                False,
                f"{primary.role} has {a.raw!r}, {label} has {b.raw!r}",
                other_sha256=other.sha256,
            )
        )
        record.disagreements.append(
            {
                "key": key,
                "value": a.value,
                "raw": a.raw,
                "other_value": b.value,
                "other_raw": b.raw,
                "other_sha256": other.sha256,
                "other_fetch_id": other.fetch_id,
                "other_page": b.source.page,
                "other_table_index": b.source.table,
                "other_row": b.source.row,
                "other_col": b.source.col,
            }
        )


def _report_text(primary: Source | None, parsed: list[Source]) -> str:
    """The primary file's text, then any other file's that is not a copy of it (a page's
    prose when the figures come from an attached statistics table)."""
    if primary is None or primary.document is None:
        return ""
    parts = [primary.document.text]
    seen = {normalize(line) for line in primary.document.text.splitlines()} - {""}
    for source in parsed:
        if source is primary or source.document is None:
            continue
        lines = [normalize(line) for line in source.document.text.splitlines()]
        lines = [line for line in lines if line]
        new = [line for line in lines if line not in seen]
        if lines and len(new) > 0.2 * len(lines) and sum(map(len, new)) >= 200:
            parts.append(source.document.text)
            seen.update(lines)
    return "\n\n".join(parts)


# -- recognition -------------------------------------------------------------------------------
def _apply_verdict(record: ReportRecord, verdict: Verdict) -> None:
    record.is_report = verdict.is_report
    record.recognition = verdict.reason
    record.recognition_confidence = verdict.confidence


# -- title and year ----------------------------------------------------------------------------
def _parse_title(sources: list[Source]) -> str | None:
    candidates: list[str] = []
    for source in sources:
        doc = source.document
        if doc is not None:
            candidates += [
                doc.meta.get("ArticleTitle", ""),
                printed_title(doc) or "",
                doc.title or "",
            ]
            candidates += [b.text for b in doc.blocks[:8]]
    candidates += [source.link_text or "" for source in sources]
    cleaned = [_clean_title(c) for c in candidates if c and c.strip()]
    for title in cleaned:
        if is_report_title(title):
            return title
    return next((t for t in cleaned if t), None)


def _clean_title(title: str) -> str:
    title = re.sub(r"\s+", " ", title).strip()
    # "…年度报告_中国曲阜" / "…年度报告 - 威海市人民政府": drop the site-name suffix
    stripped = _TITLE_SUFFIX.sub("", title)
    return stripped if is_report_title(stripped) else title


def _parse_year(title: str | None, sources: list[Source], published: str | None) -> int | None:
    if title and is_report_title(title) and (year := year_in_title(title)):
        return year
    for source in sources:
        assert source.document is not None
        if (printed := printed_title(source.document)) and (year := year_in_title(printed)):
            return year
    for source in sources:
        assert source.document is not None
        if match := _PERIOD_YEAR.search(normalize(source.document.text[:4000])):
            return int(match.group(1))
    if title and (year := year_in_title(title)):
        return year
    # Reports are published early in the year after the one they cover.
    return int(published[:4]) - 1 if published else None


# -- dates -------------------------------------------------------------------------------------
def _parse_published(sources: list[Source]) -> str | None:
    for source in sources:
        assert source.document is not None
        for key in _META_PUBLISHED:
            if (value := source.document.meta.get(key)) and (date := _iso_date(value)):
                return date
    # A page dumped without its markup still prints 发布时间 above the body.
    for source in sources:
        assert source.document is not None
        for block in source.document.blocks[:4]:
            if match := _PUBLISHED_LABEL.search(normalize(block.text)):
                return _iso(*match.groups()[-3:])
    if signed := _parse_signed(sources):
        return signed
    for source in sources:
        assert source.document is not None
        if match := _PUBLISHED_LABEL.search(normalize(source.document.text[:2000])):
            return _iso(*match.groups()[-3:])
    return None


def _parse_signed(sources: list[Source]) -> str | None:
    """The signature date: 成文日期 metadata, else the date line closing the document."""
    for source in sources:
        assert source.document is not None
        for key in _META_SIGNED:
            if (value := source.document.meta.get(key)) and (date := _iso_date(value)):
                return date
    for source in sources:
        assert source.document is not None
        if found := _signature(source.document):
            return found[1]
    return None


def _signature(doc: Document) -> tuple[int, str] | None:
    """(block index, ISO date) of the last line that is only a date, near the end."""
    blocks = doc.blocks
    for index in range(len(blocks) - 1, max(-1, len(blocks) - 16), -1):
        text = normalize(blocks[index].text)
        if match := _DATE_LINE.match(text):
            groups = match.groups()
            date = _iso(*groups[:3]) if groups[0] else _iso_cn(*groups[3:6])
            if date:
                return index, date
    return None


def _iso_date(text: str) -> str | None:
    match = _DATE.search(text)
    return _iso(*match.groups()) if match else None


def _iso(year: str, month: str, day: str) -> str | None:
    y, m, d = int(year), int(month), int(day)
    if not (1 <= m <= 12 and 1 <= d <= 31):
        return None
    return f"{y:04d}-{m:02d}-{d:02d}"


def _iso_cn(year: str, month: str, day: str) -> str | None:
    """二〇一八年一月十九日 → 2018-01-19."""

    def small(text: str) -> int:
        if "十" not in text:
            return _CN_DIGITS.get(text, 0)
        tens, _, units = text.partition("十")
        return (_CN_DIGITS.get(tens, 0) if tens else 1) * 10 + (_CN_DIGITS.get(units, 0) if units else 0)

    digits = "".join(str(_CN_DIGITS[c]) for c in year)
    return _iso(digits, str(small(month)), str(small(day)))


# -- agency and region -------------------------------------------------------------------------
def _site_region(site_region: str | None, site_agency: str | None, year: int | None) -> regions.Region | None:
    try:
        if site_region:
            return regions.resolve(site_region, year=year)
        return regions.region_of(site_agency, None, year=year) if site_agency else None
    except regions.RegionDataMissing as exc:
        logger.warning("no region codes: %s", exc)
        return None


def _agency_region(
    agency: str | None, site: regions.Region | None, year: int | None
) -> regions.Region | None:
    if not agency and site is None:
        return None
    try:
        return regions.region_of(agency, site, year=year)
    except regions.RegionDataMissing as exc:
        logger.warning("no region codes: %s", exc)
        return None


def _agency_key(agency: str | None, region: regions.Region | None) -> str | None:
    try:
        return regions.agency_key(agency, region)
    except regions.RegionDataMissing:
        return normalize(agency) if agency else None


def _parse_agency(title: str | None, sources: list[Source], site: regions.Region | None) -> str | None:
    """The agency as the document names it, made whole where it is relative or a bare place."""
    candidates = [
        title_head(title),
        *(_header_agency(s.document) for s in sources if s.document),
        *(_signature_agency(s.document) for s in sources if s.document),
        *(_meta_agency(s.document) for s in sources if s.document),
    ]
    names = [normalize(c) for c in candidates if c]
    if not names:
        return None
    agency = names[0]
    try:
        place, consumed = regions.parse_prefix(agency, within=site)
        if (place is not None and consumed == len(agency)) or agency in regions.ALIASES:
            return _government_of(agency, sources, place)
        fuller = _fuller_spelling(agency, names[1:])
        if fuller:
            return fuller
        return regions.expand_agency(agency, site)
    except regions.RegionDataMissing as exc:
        logger.warning("no region codes: %s", exc)
        return agency


def _header_agency(doc: Document) -> str | None:
    """The agency line above the title (red-head header: "威海市…办公室文件")."""
    for block in doc.blocks[:8]:
        text = normalize(block.text)
        if is_report_title(text) or _PUBLISHED_LABEL.search(text):
            return None
        if looks_like_organ(text):
            return re.sub(r"文件$", "", text)
    return None


def _signature_agency(doc: Document) -> str | None:
    """The signature block: the agency line just before the closing date."""
    found = _signature(doc)
    if found is None:
        return None
    for block in reversed(doc.blocks[max(0, found[0] - 3) : found[0]]):
        text = normalize(block.text)
        if looks_like_organ(text):
            return text
        if text:
            return None
    return None


def _meta_agency(doc: Document) -> str | None:
    for key in _META_AGENCY:
        if value := normalize(doc.meta.get(key, "")):
            return value
    return None


def _fuller_spelling(agency: str, others: list[str]) -> str | None:
    """A fuller name of the same agency elsewhere in the sources: 曲阜市政务服务中心管理办公室
    for "市政务服务中心管理办公室"."""
    core = agency[1:] if agency[:1] in "省市区县旗州盟" else agency
    for other in others:
        if other != agency and other.endswith(core) and len(other) > len(agency):
            return other
    return None


def _government_of(place: str, sources: list[Source], region: regions.Region | None) -> str:
    """A title naming only a place is its government's report: 平潭综合实验区 → the 管委会
    the document names, 淮安市 → 淮安市人民政府."""
    pattern = re.compile(re.escape(place) + _GOVERNMENT.pattern)
    for source in sources:
        assert source.document is not None
        doc = source.document
        for text in (*(doc.meta.get(k, "") for k in _META_AGENCY), normalize(doc.text[:20000])):
            if match := pattern.search(normalize(text)):
                return place + match.group(1)
    if region is not None and place == region.path[-1]:
        return place + "人民政府"
    return place


# -- 文号 -------------------------------------------------------------------------------------
def _parse_doc_number(sources: list[Source]) -> str | None:
    for source in sources:
        assert source.document is not None
        value = normalize(source.document.meta.get("文号", ""))
        if value.lower() not in _NO_DOC_NUMBER:
            return value
    for source in sources:
        assert source.document is not None
        for block in source.document.blocks[:8]:
            text = normalize(block.text)
            if is_report_title(text):
                break  # past the header: any 文号 below is cited, not this report's
            if match := _DOC_NUMBER_LINE.match(text):
                return match.group(1)
    return None


# -- year over year ----------------------------------------------------------------------------
@dataclass
class YearEntry:
    """What the year-over-year step needs of one built report."""

    report_id: str
    agency_key: str | None
    year: int | None
    values: Mapping[str, float | int | None]  # metric key → value


def year_over_year_checks(entries: Iterable[YearEntry]) -> dict[str, list[dict[str, Any]]]:
    """Checks for each report that has last year's report of the same agency.

    Reports are grouped by agency key; each report of year Y is compared with each of
    year Y − 1 (:func:`parsers.metrics.checks.year_over_year`). The checks belong to the
    later report; their detail names the earlier one.

    >>> a = YearEntry("r23", "320813::人民政府", 2023, {"requests.carried_forward.total": 2})
    >>> b = YearEntry("r24", "320813::人民政府", 2024, {"requests.carried_over.total": 3})
    >>> checks = year_over_year_checks([a, b])
    >>> [(c["rule"], c["expected"], c["found"], c["passed"]) for c in checks["r24"]]
    [('year_over_year.carried_over.total', 2, 3, False)]
    """
    from parsers.metrics.checks import year_over_year

    by_agency: dict[str, dict[int, list[YearEntry]]] = defaultdict(lambda: defaultdict(list))
    for entry in entries:
        if entry.agency_key and entry.year:
            by_agency[entry.agency_key][entry.year].append(entry)
    out: dict[str, list[dict[str, Any]]] = {}
    for years in by_agency.values():
        for year, current in years.items():
            for now in current:
                for before in years.get(year - 1, []):
                    for c in year_over_year(before.values, now.values):
                        detail = f"{c.detail}; previous report {before.report_id} ({year - 1})"
                        out.setdefault(now.report_id, []).append(
                            _check_row(
                                c.rule,
                                c.expected,
                                c.found,
                                c.passed,
                                detail,
                                other_report_id=before.report_id,
                            )
                        )
    return out
