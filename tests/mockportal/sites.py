"""The five demo portals, one per seed report, and the data classes describing a mock site.

Each site is a small static TRS-WCM-like portal: home ``/`` → 政府信息公开 section → the 年报
column, paginated over 2–3 list pages (``index.html``, ``index_1.html``, ``index_2.html``) with the
real report on page 2 or 3, surrounded by decoys (政府网站工作年度报表, 法治政府建设年度报告, the
notice about compiling the reports, 部门决算, 统计公报) and ordinary news. The sites differ where
real portals differ: column slug and link text (``政府信息<br>公开年报`` split by a tag), list markup
(``<li>``, table, ``<dl>``), truncated link texts, charset (lingwu is GBK labelled ``gb2312``),
and how the report is published (short page + PDF/DOC, full HTML + Hanweb ``downfile.jsp`` DOCX,
HTML + XLS, HTML + attachments with GBK / RFC 5987 Content-Disposition names behind a 302, HTML +
PDF).

The report bodies and attachments are the files in ``tests/fixtures/seeds`` (made by
``tests/fixtures/make_fixtures.py``); they are read each time :func:`demo_sites` is called.

>>> [s.name for s in demo_sites()]
['weihai', 'huancui', 'lingwu', 'qufu', 'liaocheng']
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from email.utils import format_datetime
from pathlib import Path
from urllib.parse import quote

from . import templates as t

FIXTURES_DIR = Path(__file__).resolve().parents[1] / "fixtures" / "seeds"
SEEDS_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "seeds"
CST = timezone(timedelta(hours=8))

PDF = "application/pdf"
DOC = "application/msword"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLS = "application/vnd.ms-excel"
OCTET = "application/octet-stream"


@dataclass
class Resource:
    body: bytes
    content_type: str = "text/html; charset=utf-8"
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)  # extra headers, e.g. Location


def http_date(when: datetime) -> str:
    """RFC 7231 date of a China-time datetime.

    >>> http_date(datetime(2018, 3, 20, 9, 30, tzinfo=CST))
    'Tue, 20 Mar 2018 01:30:00 GMT'
    """
    return format_datetime(when.astimezone(UTC), usegmt=True)


def file_resource(body: bytes, ctype: str, when: datetime, **headers: str) -> Resource:
    """A file last modified ``when``; ``headers`` add to (or override) Last-Modified."""
    return Resource(body, ctype, headers={"Last-Modified": http_date(when), **headers})


def html_resource(html: str, when: datetime, charset: str = "utf-8", header: str | None = None) -> Resource:
    """A page encoded in ``charset``; ``header`` is the charset the Content-Type claims (a lie
    when it differs). Characters the charset lacks become character references."""
    body = html.encode(_codec(charset), errors="xmlcharrefreplace")
    return file_resource(body, f"text/html; charset={header or charset}", when)


def robots(when: datetime) -> Resource:
    """The robots.txt every mock portal serves (``/admin/`` is off limits)."""
    return file_resource(b"User-agent: *\nDisallow: /admin/\n", "text/plain; charset=utf-8", when)


def _codec(charset: str) -> str:
    """Python codec for a declared charset: pages labelled gb2312 are really GBK."""
    return "gbk" if charset.lower() in {"gb2312", "gbk"} else charset


def body_fragment(html: str) -> str:
    """The inside of ``<body>`` when ``html`` is a whole document, else ``html`` (stripped).

    >>> body_fragment("<html><body class=x>\\n<p>年报</p>\\n</body></html>"), body_fragment(" <p>a</p>")
    ('<p>年报</p>', '<p>a</p>')
    """
    m = re.search(r"<body[^>]*>(.*)</body>", html, flags=re.S | re.I)
    return (m.group(1) if m else html).strip()


@dataclass
class ExpectedReport:
    path: str  # report page path
    title: str
    year: int  # report year
    seed: str  # "000".."004"
    attachments: list[str]  # attachment paths as linked from the report page (before redirects)


@dataclass
class Site:
    name: str
    host: str
    agency: str
    resources: dict[str, Resource]  # key: path incl. query string
    expected_reports: list[ExpectedReport]
    decoys: list[str]  # listed items that are NOT disclosure reports
    broken: list[str]  # linked paths that answer 404
    # Answers computed from the request (an API that reads its query or form, a postback):
    # ``dynamic(method, path, form)`` → a Resource, or None to fall back to ``resources``.
    dynamic: Callable[[str, str, bytes], Resource | None] | None = None


# --------------------------------------------------------------------------- fixtures


def _fallback_while_fixtures_missing(seed: str, name: str) -> bytes:
    """TEMPORARY stand-in for a missing ``tests/fixtures/seeds/<name>``; drop it (and its two
    callers' ``else`` branches) once the fixtures are committed.

    Bodies fall back to the seed text in ``<p>``s, binaries to a small placeholder.
    """
    if name.endswith(".body.html"):
        seed_files = sorted(SEEDS_DIR.glob(f"{seed}_*.txt"))
        lines = seed_files[0].read_text("utf-8").splitlines() if seed_files else [name]
        return t.paragraphs([ln.strip() for ln in lines if ln.strip()]).encode("utf-8")
    return f"PLACEHOLDER for missing fixture tests/fixtures/seeds/{name}\n".encode()


def _fixture(seed: str, suffix: str) -> bytes:
    """``tests/fixtures/seeds/<seed><suffix>``, e.g. ``_fixture("000", ".pdf")``."""
    path = FIXTURES_DIR / f"{seed}{suffix}"
    if path.is_file():
        return path.read_bytes()
    return _fallback_while_fixtures_missing(seed, path.name)


def missing_fixtures() -> list[str]:
    """Fixture files the demo sites use that are not on disk (served as fallbacks)."""
    return [n for n in _FIXTURE_NAMES if not (FIXTURES_DIR / n).is_file()]


def _body_fragment(seed: str) -> str:
    """The report body fragment of a seed."""
    return body_fragment(_fixture(seed, ".body.html").decode("utf-8"))


# --------------------------------------------------------------------------- site specs


@dataclass(frozen=True)
class _Attachment:
    href: str  # path as linked (unescaped; the template writes & as &amp;)
    text: str  # link text
    resources: dict[str, Resource]  # what serving it takes (the file, maybe a redirect)
    in_body: bool = False  # linked from inside the report body, not from an 附件 block


@dataclass(frozen=True)
class _Spec:
    name: str
    agency: str
    city: str  # prefix for decoy titles
    site_code: str
    icp: str
    seed: str
    department: str  # 发布机构 of the report
    report_title: str
    report_year: int
    published: datetime  # as the seed states it where it does
    report_id: int  # TRS document id in the t-date URL
    doc_number: str  # 文号
    section: str  # "/zwgk/"
    slug: str  # column directory under the section
    column_name: str  # ColumnName meta / crumb text
    column_link: str  # inner HTML of the column link in the section menu
    list_style: str
    page_size: int
    n_items: int  # listed items in the column, incl. the report and the broken link (last)
    report_index: int  # 0-based position of the report in the (newest-first) column
    report: Callable[[_Spec], tuple[str, list[_Attachment]]]  # → body HTML, attachments
    charset: str = "utf-8"
    truncate: int = 0
    pager_script: bool = False
    column_href_index: bool = False  # link to the column as …/index.html instead of …/
    admin_link: bool = False  # footer links to /admin/ (robots.txt disallows it)

    @property
    def host(self) -> str:
        return f"www.{self.name}.nianbao.test"

    @property
    def column(self) -> str:
        return f"{self.section}{self.slug}/"

    def report_dir(self) -> str:
        return f"{self.column}{self.published:%Y%m}/"


def _trs_name(day: datetime, n: int, ext: str) -> str:
    """A TRS attachment name ``P0YYYYMMDD`` + 12 digits.

    >>> name = _trs_name(datetime(2018, 3, 20), 7, "pdf")
    >>> name[:10], len(name), name.endswith(".pdf")
    ('P020180320', 26, True)
    """
    digits = int(hashlib.sha1(f"{day:%Y%m%d}{n}".encode()).hexdigest(), 16) % 10**12
    return f"P0{day:%Y%m%d}{digits:012d}.{ext}"


def _gbk_header(text: str) -> str:
    """A header value carrying raw GBK bytes: http.server writes headers as latin-1, so the
    bytes on the wire are the GBK encoding of ``text`` (what many Chinese servers send).

    >>> _gbk_header("年报").encode("latin-1").decode("gbk")
    '年报'
    """
    return text.encode("gbk").decode("latin-1")


def _weihai_report(spec: _Spec) -> tuple[str, list[_Attachment]]:
    """Short text; the report itself is a PDF and a DOC (TRS ``P0…`` names)."""
    day = spec.published
    body = t.paragraphs(
        [
            f"根据《中华人民共和国政府信息公开条例》要求，现将{spec.report_title}予以公布。",
            "报告全文见附件（PDF、Word格式）。",
        ]
    )
    atts = []
    for n, (suffix, ctype, ext) in enumerate([(".pdf", PDF, "pdf"), (".doc", DOC, "doc")]):
        href = spec.report_dir() + _trs_name(day, n, ext)
        res = file_resource(_fixture(spec.seed, suffix), ctype, day)
        atts.append(_Attachment(href, f"{spec.report_title}.{ext}", {href: res}))
    return body, atts


def _huancui_report(spec: _Spec) -> tuple[str, list[_Attachment]]:
    """Full HTML body + the DOCX through a Hanweb-style ``downfile.jsp`` (``&amp;`` in href)."""
    hexname = hashlib.md5(spec.report_title.encode()).hexdigest() + ".docx"
    href = f"/module/download/downfile.jsp?classid=0&filename={hexname}"
    res = file_resource(
        _fixture(spec.seed, ".docx"),
        OCTET,
        spec.published,
        **{"Content-Disposition": f"attachment; filename={hexname}"},
    )
    att = _Attachment(href, f"{spec.report_title}.docx", {href: res})
    return _body_fragment(spec.seed), [att]


def _lingwu_report(spec: _Spec) -> tuple[str, list[_Attachment]]:
    """Full HTML body (with the 统计表) + the 统计表 alone as XLS."""
    href = spec.report_dir() + _trs_name(spec.published, 0, "xls")
    res = file_resource(_fixture(spec.seed, ".table.xls"), XLS, spec.published)
    att = _Attachment(href, "灵武市政务服务中心2017年度政府信息公开工作情况统计表.xls", {href: res})
    return _body_fragment(spec.seed), [att]


QUFU_STATS_NAME = "市政务服务中心2017年度政府信息公开工作情况统计表.docx"
QUFU_NOTE_NAME = "便签--对市十八届人大一次会议第74号建议的答复.doc"


def _qufu_report(spec: _Spec) -> tuple[str, list[_Attachment]]:
    """HTML body whose trailing attachment names become links: the DOCX is reached through a
    302 and named by RFC 5987 ``filename*=``; the DOC is named by a raw GBK ``filename=``."""
    day = spec.published
    stats_href = "/attachment/download.jsp?fileid=20180131001"
    stats_file = f"/uploadfiles/{day:%Y/%m/%d}/{day:%Y%m%d%H%M%S}001.docx"
    stats = {
        stats_href: Resource(
            b'<html><body>Moved: <a href="' + stats_file.encode() + b'">here</a></body></html>',
            status=302,
            headers={"Location": stats_file},
        ),
        stats_file: file_resource(
            _fixture(spec.seed, ".docx"),
            DOCX,
            day,
            **{"Content-Disposition": "attachment; filename*=UTF-8''" + quote(QUFU_STATS_NAME)},
        ),
    }
    note_href = spec.report_dir() + _trs_name(day, 1, "doc")
    note = file_resource(
        _fixture(spec.seed, ".doc"),
        DOC,
        day,
        **{"Content-Disposition": f'attachment; filename="{_gbk_header(QUFU_NOTE_NAME)}"'},
    )
    atts = [
        _Attachment(stats_href, QUFU_STATS_NAME, stats, in_body=True),
        _Attachment(note_href, QUFU_NOTE_NAME, {note_href: note}, in_body=True),
    ]
    return _link_names_in_body(_body_fragment(spec.seed), atts), atts


def _link_names_in_body(body: str, atts: list[_Attachment]) -> str:
    """Turn ``<p>name</p>`` lines of the body into links (how the original page showed them)."""
    for att in atts:
        linked = body.replace(f"<p>{att.text}</p>", f"<p>{t.a(att.href, att.text)}</p>", 1)
        if linked == body:  # the body lacks the name line: link it at the end instead
            linked += f"\n<p>{t.a(att.href, att.text)}</p>"
        body = linked
    return body


def _liaocheng_report(spec: _Spec) -> tuple[str, list[_Attachment]]:
    """Full HTML body + the same as PDF."""
    href = spec.report_dir() + _trs_name(spec.published, 0, "pdf")
    res = file_resource(_fixture(spec.seed, ".pdf"), PDF, spec.published)
    return _body_fragment(spec.seed), [_Attachment(href, f"{spec.report_title}.pdf", {href: res})]


_SPECS = [
    _Spec(
        name="weihai",
        agency="威海市人民政府",
        city="威海市",
        site_code="3710000001",
        icp="鲁ICP备00000001号",
        seed="000",
        department="威海市政务服务中心管理办公室",
        report_title="威海市政务服务中心管理办公室 2017年政务公开工作年度报告",
        report_year=2017,
        published=datetime(2018, 3, 20, 9, 30, tzinfo=CST),  # "2018年3月20日印发"
        report_id=1001,
        doc_number="威政服办〔2018〕7号",
        section="/zwgk/",
        slug="zfxxgknb",
        column_name="政府信息公开年报",
        column_link="政府信息<br>公开年报",
        list_style="li",
        page_size=10,
        n_items=25,
        report_index=14,
        report=_weihai_report,
        pager_script=True,
    ),
    _Spec(
        name="huancui",
        agency="威海市环翠区人民政府",
        city="环翠区",
        site_code="3710020001",
        icp="鲁ICP备00000002号",
        seed="001",
        department="威海市环翠区行政审批服务局",
        report_title="威海市环翠区行政审批服务局2019年政府信息公开工作年度报告",
        report_year=2019,
        published=datetime(2020, 1, 18, 10, 5, tzinfo=CST),  # "2020年1月18日"
        report_id=2317,
        doc_number="无",
        section="/zwgk/",
        slug="xxgknb",
        column_name="信息公开年报",
        column_link="信息公开年报",
        list_style="li",
        page_size=8,
        n_items=20,
        report_index=17,
        report=_huancui_report,
        truncate=22,
        column_href_index=True,
    ),
    _Spec(
        name="lingwu",
        agency="灵武市人民政府",
        city="灵武市",
        site_code="6401810001",
        icp="宁ICP备00000003号",
        seed="002",
        department="灵武市政务服务中心",
        report_title="灵武市政务服务中心2017年度政府信息公开工作报告",
        report_year=2017,
        published=datetime(2018, 2, 6, 16, 12, tzinfo=CST),  # the seed states no date
        report_id=3520,
        doc_number="无",
        section="/zwgk/",
        slug="zfxxgkndbg",
        column_name="政务公开年报",
        column_link="政务公开年报",
        list_style="table",
        page_size=9,
        n_items=15,
        report_index=11,
        report=_lingwu_report,
        charset="gb2312",
        admin_link=True,
    ),
    _Spec(
        name="qufu",
        agency="曲阜市人民政府",
        city="曲阜市",
        site_code="3708810001",
        icp="鲁ICP备00000004号",
        seed="003",
        department="曲阜市政务服务中心管理办公室",
        report_title="市政务服务中心管理办公室2017年政府信息公开工作年度报告",
        report_year=2017,
        published=datetime(2018, 1, 31, 21, 24, 30, tzinfo=CST),  # "发布时间:2018-01-31 21:24:30"
        report_id=4105,
        doc_number="无",
        section="/zwgk/",
        slug="ndbg",
        column_name="年度报告",
        column_link="年度报告",
        list_style="li",
        page_size=10,
        n_items=16,
        report_index=12,
        report=_qufu_report,
        pager_script=True,
    ),
    _Spec(
        name="liaocheng",
        agency="聊城市人民政府",
        city="聊城市",
        site_code="3715000001",
        icp="鲁ICP备00000005号",
        seed="004",
        department="聊城市政务服务中心管理办公室",
        report_title="聊城市政务服务中心管理办公室2017年度政府信息公开工作年度报告",
        report_year=2017,
        published=datetime(2018, 1, 19, 11, 40, tzinfo=CST),  # "2018年1月19日"
        report_id=5263,
        doc_number="无",
        section="/xxgk/",
        slug="zfxxgknb",
        column_name="政府信息公开年报",
        column_link="<span>政府信息</span><span>公开年报</span>",
        list_style="dl",
        page_size=8,
        n_items=22,
        report_index=19,
        report=_liaocheng_report,
    ),
]

_FIXTURE_NAMES = [
    "000.pdf",
    "000.doc",
    "001.body.html",
    "001.docx",
    "002.body.html",
    "002.table.xls",
    "003.body.html",
    "003.docx",
    "003.doc",
    "004.body.html",
    "004.pdf",
]

_NEWS_TITLES = [
    "{city}政务服务中心开展“一次办好”业务培训",
    "{city}召开政务公开工作推进会议",
    "关于调整政务服务大厅夏季工作时间的公告",
    "政务服务大厅推出午间延时服务",
    "{city}政务服务中心开展窗口服务质量评议活动",
    "网上政务大厅新增电子证照查询功能",
    "关于公布第二批“零跑腿”事项清单的通知",
    "政务服务中心组织开展消防安全演练",
    "关于春节期间政务服务大厅工作安排的通知",
    "{city}政务服务中心召开党风廉政建设工作会议",
    "{city}推进工程建设项目审批制度改革",
    "政务服务中心开展“进企业、解难题”走访活动",
    "政务公开日活动走进社区",
    "关于启用新版政务服务事项办事指南的公告",
    "{city}政务服务中心获评青年文明号",
    "关于做好政务信息报送工作的通知",
    "不动产登记窗口推行“一窗受理”",
    "{city}召开优化营商环境工作座谈会",
    "政务服务大厅自助服务区正式启用",
    "关于开展政务服务满意度调查的公告",
    "{city}政务服务中心开展业务技能比武",
    "企业开办时间压缩至三个工作日",
    "政务服务热线运行情况通报",
    "{city}政务服务中心开展志愿服务活动",
    "关于规范政务服务事项受理工作的通知",
    "政务服务中心召开窗口负责人例会",
    "{city}上线“掌上办”政务服务应用",
    "关于公布政务服务投诉举报电话的公告",
    "政务服务中心开展保密知识培训",
    "{city}政务服务中心组织学习新修订的条例",
]

_NEWS_BODY = [
    "{date}，{title}。",
    "下一步，将继续围绕群众和企业办事需求，不断提升政务服务水平。",
]


# --------------------------------------------------------------------------- items


@dataclass
class _Item:
    kind: str  # "report" | "decoy" | "news" | "broken"
    title: str
    when: datetime
    doc_id: int
    path: str = ""
    body: str = ""


def _decoy_bodies(spec: _Spec, year: int) -> dict[str, tuple[str, str]]:
    """Decoy titles (keyed by kind) with small bodies that mention reports but are not ones."""
    city = spec.city
    return {
        "jsbb": (
            f"{city}{year}年政府网站工作年度报表",
            '<table border="1"><tr><td>网站名称</td><td>'
            + t.a("/", spec.agency)
            + "</td></tr><tr><td>网站标识码</td><td>"
            + spec.site_code
            + "</td></tr><tr><td>独立用户访问总量（单位：个）</td><td>523341</td></tr>"
            "<tr><td>信息发布总数（单位：条）</td><td>2306</td></tr></table>",
        ),
        "fzzf": (
            f"{city}{year}年法治政府建设年度报告",
            t.paragraphs(
                [
                    f"{year}年，{city}深入推进依法行政，加快建设法治政府，现将有关情况报告如下。",
                    "一、深化行政审批制度改革。二、完善依法行政制度体系。三、强化行政权力监督。",
                ]
            ),
        ),
        "notice": (
            f"关于做好{year}年政府信息公开工作年度报告编制发布工作的通知",
            t.paragraphs(
                [
                    "各有关单位：",
                    f"根据《中华人民共和国政府信息公开条例》规定，请各单位于{year + 1}年3月31日前"
                    f"编制并公布本单位{year}年政府信息公开工作年度报告，并报送电子版。",
                ]
            ),
        ),
        "jsgk": (
            f"{spec.department}{year}年部门决算公开",
            t.paragraphs(
                [
                    f"根据预算法有关规定，现将{spec.department}{year}年部门决算予以公开。",
                    "本部门年度收入合计 1268.35 万元，支出合计 1254.91 万元。",
                ]
            ),
        ),
        "tjgb": (
            f"{city}{year}年国民经济和社会发展统计公报",
            t.paragraphs(
                [
                    f"{year}年，全市经济运行总体平稳、稳中有进。",
                    "全年实现地区生产总值增长 7.1%，居民人均可支配收入增长 8.5%。",
                ]
            ),
        ),
    }


def _column_items(spec: _Spec, news_titles: list[str]) -> list[_Item]:
    """The column, newest first: report at ``report_index``, decoys around it, news elsewhere,
    and last an ordinary notice whose page is gone (the broken link).

    Items newer than the report are 11 days apart, older ones 9 days apart; document ids grow
    with date like a CMS's. The broken item is not report-like: a focused crawler that follows
    only report items never requests it (a full link walker does).
    """
    r = spec.report_index
    year = spec.report_year
    last = spec.n_items - 1
    decoys = _decoy_bodies(spec, year)
    # newer than the report: 决算 (summer), 统计公报, 法治政府 (spring), 网站报表; older: the notice
    slots = {1: "jsgk", 3: "tjgb", r - 3: "fzzf", r - 1: "jsbb", r + 1: "notice"}
    if len(slots) != 5 or r + 1 >= last or last in slots:
        raise ValueError(f"{spec.name}: item positions collide")
    news = iter(news_titles)
    items = []
    for i in range(spec.n_items):
        offset = timedelta(days=11 * (r - i)) if i <= r else -timedelta(days=9 * (i - r))
        when = spec.published + offset
        if i != r:  # a CMS-looking publishing time
            when = when.replace(hour=8 + i % 9, minute=(7 * i) % 60, second=0)
        doc_id = spec.report_id + 3 * (r - i)
        if i == r:
            item = _Item("report", spec.report_title, when, doc_id)
        elif i in slots:
            title, body = decoys[slots[i]]
            item = _Item("decoy", title, when, doc_id, body=body)
        elif i == last:
            item = _Item("broken", "关于开展政务服务“好差评”工作的公告", when, doc_id)
        else:
            title = next(news)
            item = _Item("news", title, when, doc_id, body=_news_body(title, when))
        item.path = f"{spec.column}{when:%Y%m}/t{when:%Y%m%d}_{doc_id}.html"
        items.append(item)
    return items


def _news_body(title: str, when: datetime) -> str:
    day = f"{when.year}年{when.month}月{when.day}日"
    return t.paragraphs([s.format(date=day, title=title) for s in _NEWS_BODY])


def _news_items(spec: _Spec, titles: list[str]) -> list[_Item]:
    """The 新闻中心 list (home page shows the first six), newest first."""
    start = spec.published + timedelta(days=240)
    items = []
    for k, title in enumerate(titles):
        when = (start - timedelta(days=13 * k)).replace(hour=9 + k % 8, minute=(11 * k) % 60, second=0)
        doc_id = 8000 + spec.report_id % 1000 * 10 - k
        path = f"/xwzx/gzdt/{when:%Y%m}/t{when:%Y%m%d}_{doc_id}.html"
        items.append(_Item("news", title, when, doc_id, path, _news_body(title, when)))
    return items


# --------------------------------------------------------------------------- building


class _Builder:
    """Renders one site's pages into ``resources``."""

    def __init__(self, spec: _Spec) -> None:
        self.spec = spec
        self.resources: dict[str, Resource] = {}
        self.updated = spec.published  # raised to the newest item's date by _build
        footer = [("/wzsm/index.html", "网站声明"), ("/hdjl/index.html", "联系我们")]
        if spec.admin_link:
            footer.append(("/admin/login.jsp", "网站管理"))
        self.chrome = t.Chrome(
            agency=spec.agency,
            host=spec.host,
            site_code=spec.site_code,
            icp=spec.icp,
            charset=spec.charset,
            nav=[
                ("/", "首页"),
                ("/xwzx/", "新闻中心"),
                (spec.section, "政府信息公开"),
                ("/hdjl/index.html", "政民互动"),
            ],
            footer_links=footer,
        )
        column_href = spec.column + ("index.html" if spec.column_href_index else "")
        self.section_nav = [
            (f"{spec.section}zfxxgkzn/", "政府信息<br>公开指南"),
            (f"{spec.section}zfxxgkzd/", "政府信息<br>公开制度"),
            (f"{spec.section}fdzdgknr/", "法定主动<br>公开内容"),
            (column_href, spec.column_link),
        ]
        self.column_href = column_href

    # -- helpers
    def html(self, path: str, html: str, when: datetime | None = None) -> None:
        # undated pages (home, lists) last changed when the newest item was published
        self.resources[path] = html_resource(html, when or self.updated, self.spec.charset)

    def page(
        self,
        title: str,
        column: str,
        body: str,
        crumbs: Sequence[t.Link] = (),
        meta: dict[str, str] | None = None,
    ) -> str:
        return t.layout(self.chrome, title=title, column=column, body=body, crumbs=crumbs, meta=meta)

    def section_page(self, current: str, main: str) -> str:
        return t.section_frame(t.SectionNav(self.section_nav, current), main)

    @property
    def section_crumb(self) -> t.Link:
        return t.Link(self.spec.section, "政府信息公开")

    # -- pages
    def article(
        self,
        item: _Item,
        *,
        column: str,
        crumbs: Sequence[t.Link],
        in_section: bool,
        source: str = "",
        meta: t.ArticleMeta | None = None,
        attachments: Sequence[t.Link] = (),
    ) -> None:
        spec = self.spec
        published = f"{item.when:%Y-%m-%d %H:%M}"
        if item.kind == "report":
            published = f"{item.when:%Y-%m-%d %H:%M:%S}"
        head_meta = {
            "ArticleTitle": item.title,
            "PubDate": published,
            "ContentSource": source or f"{spec.agency}办公室",
        }
        body = t.article(
            title=item.title,
            published=published,
            source=head_meta["ContentSource"],
            body_html=item.body,
            meta=meta,
            attachments=attachments,
        )
        if in_section:
            body = self.section_page(self.column_href, body)
        self.html(item.path, self.page(item.title, column, body, crumbs, head_meta), item.when)

    def column_pages(self, items: list[_Item]) -> None:
        spec = self.spec
        size = spec.page_size
        n_pages = -(-len(items) // size)
        crumbs = [self.section_crumb, t.Link(self.column_href, spec.column_name)]
        for k in range(n_pages):
            chunk = items[k * size : (k + 1) * size]
            entries = [
                t.Entry(
                    it.path,
                    it.title,
                    f"{it.when:%Y-%m-%d}",
                    index_no=self.index_no(it),
                    publisher=spec.department if it.kind == "report" else f"{spec.agency}办公室",
                )
                for it in chunk
            ]
            listing = t.entry_list(entries, spec.list_style, spec.truncate)
            heading = f'<div class="list_title"><h2>{spec.column_name}</h2></div>'
            pages = t.pager(spec.column, n_pages, k, script=spec.pager_script)
            main = f"{heading}\n{listing}\n{pages}"
            html = self.page(
                spec.column_name, spec.column_name, self.section_page(self.column_href, main), crumbs
            )
            # "…/slug/" itself is answered from index.html by the server (directory index)
            self.html(t.page_href(spec.column, k), html)

    def index_no(self, item: _Item) -> str:
        return f"{self.spec.site_code[:6]}-01-{item.when:%Y}-{item.doc_id:05d}"


def _build(spec: _Spec) -> Site:
    b = _Builder(spec)
    titles = [x.format(city=spec.city) for x in _NEWS_TITLES]
    shift = _SPECS.index(spec) * 6  # each site starts elsewhere in the title pool
    titles = titles[shift:] + titles[:shift]
    news = _news_items(spec, titles[:7])
    column = _column_items(spec, titles[7:])
    b.updated = max(it.when for it in [*news, *column])

    # report page + attachments
    report_item = next(it for it in column if it.kind == "report")
    report_item.body, attachments = spec.report(spec)
    for att in attachments:
        b.resources.update(att.resources)
    column_crumbs = [b.section_crumb, t.Link(b.column_href, spec.column_name)]
    b.article(
        report_item,
        column=spec.column_name,
        crumbs=column_crumbs,
        in_section=True,
        source=spec.department,
        meta=t.ArticleMeta(
            index_no=b.index_no(report_item),
            publisher=spec.department,
            doc_number=spec.doc_number,
            topic="政务公开",
            date=f"{report_item.when:%Y-%m-%d}",
        ),
        attachments=[t.Link(x.href, x.text) for x in attachments if not x.in_body],
    )

    # other column articles (the broken one gets no page)
    for it in column:
        if it.kind in {"decoy", "news"}:
            meta = t.ArticleMeta(
                b.index_no(it), f"{spec.agency}办公室", "无", "综合政务", f"{it.when:%Y-%m-%d}"
            )
            b.article(it, column=spec.column_name, crumbs=column_crumbs, in_section=True, meta=meta)
    b.column_pages(column)

    # news section
    news_crumbs = [t.Link("/xwzx/", "新闻中心")]
    for it in news:
        b.article(it, column="工作动态", crumbs=news_crumbs, in_section=False)
    news_entries = [t.Entry(it.path, it.title, f"{it.when:%Y-%m-%d}") for it in news]
    b.html(
        "/xwzx/index.html",
        b.page("新闻中心", "新闻中心", t.list_box("工作动态", t.entry_list(news_entries)), news_crumbs),
    )

    _static_pages(b, news_entries)
    broken = [it.path for it in column if it.kind == "broken"]
    assert not any(p in b.resources for p in broken)
    return Site(
        name=spec.name,
        host=spec.host,
        agency=spec.agency,
        resources=b.resources,
        expected_reports=[
            ExpectedReport(
                path=report_item.path,
                title=spec.report_title,
                year=spec.report_year,
                seed=spec.seed,
                attachments=[x.href for x in attachments],
            )
        ],
        decoys=[it.path for it in column if it.kind in {"decoy", "news"}] + [it.path for it in news],
        broken=broken,
    )


def _static_pages(b: _Builder, news_entries: list[t.Entry]) -> None:
    """Home, section, the other three section parts, small static pages, robots.txt, CSS."""
    spec = b.spec
    home = (
        t.list_box("工作动态", t.entry_list(news_entries[:6]), t.Link("/xwzx/", "更多>>"))
        + "\n"
        + t.list_box(
            "政务公开",
            "<ul>"
            + f"<li>{t.a(spec.section, '政府信息公开')}</li>"
            + f"<li>{t.a(spec.section + 'zfxxgkzn/', '政府信息公开指南')}</li>"
            + "</ul>",
        )
    )
    b.html("/", b.page(spec.agency, "首页", home))

    latest = t.list_box("最新信息公开", t.entry_list(news_entries[:3]))
    b.html(
        f"{spec.section}index.html",
        b.page("政府信息公开", "政府信息公开", b.section_page("", latest), [b.section_crumb]),
    )
    part_texts = {
        "zfxxgkzn": (
            "政府信息公开指南",
            [
                f"为便于公民、法人和其他组织获取{spec.agency}的政府信息，编制本指南。",
                "一、主动公开：主动公开的政府信息通过政府网站、政府公报等方式公开。",
                "二、依申请公开：申请人可通过网上平台、信函等方式提出申请。",
            ],
        ),
        "zfxxgkzd": (
            "政府信息公开制度",
            ["本机关建立健全政府信息公开审查、发布、协调和监督保障等工作制度。"],
        ),
    }
    for slug, (title, texts) in part_texts.items():
        path = f"{spec.section}{slug}/"
        main = f'<div class="article"><h1>{title}</h1>{t.paragraphs(texts)}</div>'
        b.html(
            path + "index.html",
            b.page(title, title, b.section_page(path, main), [b.section_crumb, t.Link(path, title)]),
        )
    path = f"{spec.section}fdzdgknr/"
    main = t.list_box("法定主动公开内容", t.entry_list(news_entries[3:6]))
    b.html(
        path + "index.html",
        b.page(
            "法定主动公开内容",
            "法定主动公开内容",
            b.section_page(path, main),
            [b.section_crumb, t.Link(path, "法定主动公开内容")],
        ),
    )

    for path, title, texts in [
        ("/wzsm/index.html", "网站声明", ["本网站所登载内容的版权归本网站所有。"]),
        ("/hdjl/index.html", "政民互动", ["如对本网站有意见建议，请通过政务服务热线联系我们。"]),
    ]:
        b.html(path, b.page(title, title, f"<h1>{title}</h1>{t.paragraphs(texts)}"))
    if spec.admin_link:
        b.html("/admin/login.jsp", b.page("网站管理", "网站管理", "<form>用户名 密码</form>"))
    b.resources["/robots.txt"] = robots(b.updated)
    css = b"body{font-family:SimSun,serif}.list li span{float:right}\n"
    b.resources["/css/base.css"] = file_resource(css, "text/css", b.updated)


def demo_sites() -> list[Site]:
    """The five demo portals, built fresh (fixture files are read now)."""
    return [_build(spec) for spec in _SPECS]
