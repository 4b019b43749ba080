"""Mock 大汉 Hanweb portals: two jcms sites paged by ``dataproxy.jsp`` and one site on the newer
jpaas "unit build" platform paged by a JSON API.

The markup is written for these mocks, modelled on (not copied from) real Hanweb pages:
``/col/col{N}/index.html`` columns, ``<meta name="SiteName|ColumnName|ArticleTitle|PubDate">``,
the ``<!--<$[信息内容]>begin-->`` markers around an article's ``#zoom`` body, a 索引号 / 发布机构 /
成文日期 / 文号 / 发布日期 table, and ``/module/download/downfile.jsp?classid=0&filename=…``
attachments (``&amp;`` in the href).

- **linping** (jcms, POST): the column's first page (15 records) is an inline ``<datastore>``;
  the jpage script names ``/module/jpage/dataproxy.jsp`` and its ``ajaxParam`` form, and
  states ``totalRecord:52``. The rest answers ``POST ?startrecord=1&endrecord=45&perpage=15``
  and ``?startrecord=46&endrecord=90&perpage=15`` (three pages per call).
- **wujin** (jcms, GET): first page of 10 records inline; the script has no proxy or form, so
  the datastore's ``<nextgroup>`` link (``/module/web/jpage/dataproxy.jsp?page=2&appid=1&…``)
  says where the rest is: ``GET ?page=2&…`` (pages 2–4) and ``?page=5&…`` (page 5).
- **yinzhou** (unit build): ``/col/col{N}/art/YYYY/art_{32 hex}.html`` articles; the column
  page shows page 1 (15 items) and a pager ``queryData="{'rows':'15','count':'40',…}"``; pages
  2 and 3 answer ``GET /api-gateway/jpaas-publish-server/front/page/build/unit?…&paramJson=
  {"pageNo":N,"pageSize":15}`` as ``{"data": {"html": …}}``.

Each is entered from its home page (home → 政府信息公开 / 政务公开 → the 年报 column), lists
decoys (政府网站年度工作报表, 法治政府建设年度报告, 关于做好…年度报告编制发布工作的通知, 部门决算,
统计公报) and news among three reports, and places reports on the first page and beyond it:
those beyond it are only reachable through the list API. Attachments come as ``downfile.jsp``
links, plain files, a ``javascript:openFile('…')`` href and an ``onclick="window.open('…')"``.
Report bodies and files are the seed fixtures (``tests/fixtures/seeds``) under other agency
names and years.

The mock server answers the POSTs as it answers any POST without a form-keyed resource: the
form is kept in ``posts``, the answer is the resource at path + query, like a GET.

>>> sites = hanweb_sites()
>>> [(s.name, len(s.expected_reports)) for s in sites]
[('linping', 3), ('wujin', 3), ('yinzhou', 3)]
>>> COLUMN_PAGES["linping"] in sites[0].resources
True
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import date, timedelta
from html import escape
from pathlib import Path
from urllib.parse import quote, urlencode

from tests.mockportal.families.kit import (
    JSON,
    seed_body,
    seed_file,
)
from tests.mockportal.server import MockServer
from tests.mockportal.sites import DOCX, OCTET, PDF, ExpectedReport, Resource, Site
from tests.record_demo_cassette import record

HTML = "text/html; charset=utf-8"
XML = "text/xml;charset=UTF-8"
UNIT_API = "/api-gateway/jpaas-publish-server/front/page/build/unit"
# Every mock server answers POST now; the name stays for the Hanweb tests.
HanwebMockServer = MockServer


# --------------------------------------------------------------------------- site specs


@dataclass(frozen=True)
class _Report:
    position: int  # 0-based place in the column, newest first
    title: str
    seed: str
    department: str
    doc_number: str
    body: str  # "full": the seed's HTML body; "cover": a short note, the report is attached
    attachment: str = "none"  # "downfile" | "onclick" | "js-href" | "plain" | "none"
    suffix: str = ""  # fixture suffix of the attachment (".pdf", ".docx", …)
    ctype: str = OCTET


@dataclass(frozen=True)
class _Spec:
    name: str
    kind: str  # "post" | "get" | "unit"
    agency: str
    city: str
    site_code: str
    icp: str
    webid: str
    section_col: str
    column_col: str
    unitid: str
    section_text: str  # link text of the 信息公开 section in the top nav
    column_link: str  # inner HTML of the 年报 column link in the section menu
    column_name: str
    per_page: int
    group: int
    n_items: int
    newest: date
    step_days: int
    reports: tuple[_Report, ...]
    decoys: dict[int, str]  # position → decoy kind

    @property
    def host(self) -> str:
        return f"www.{self.name}.nianbao.test"

    @property
    def column_path(self) -> str:
        return f"/col/col{self.column_col}/index.html"


_SPECS = [
    _Spec(
        name="linping",
        kind="post",
        agency="杭州市临平区人民政府",
        city="临平区",
        site_code="3301130001",
        icp="浙ICP备00000011号",
        webid="3167",
        section_col="1229645201",
        column_col="1229645210",
        unitid="4528319",
        section_text="政府信息公开",
        column_link="政府信息公开年报",
        column_name="政府信息公开年报",
        per_page=15,
        group=3,
        n_items=52,
        newest=date(2023, 6, 30),
        step_days=25,
        reports=(
            _Report(
                5,
                "杭州市临平区人民政府2022年政府信息公开工作年度报告",
                seed="003",
                department="杭州市临平区人民政府办公室",
                doc_number="无",
                body="full",
                attachment="downfile",
                suffix=".pdf",
                ctype=PDF,
            ),
            _Report(
                20,
                "杭州市临平区市场监督管理局2021年政府信息公开工作年度报告",
                seed="001",
                department="杭州市临平区市场监督管理局",
                doc_number="临市监〔2022〕8号",
                body="cover",
                attachment="onclick",
                suffix=".docx",
            ),
            _Report(
                48,
                "杭州市临平区卫生健康局2019年政府信息公开工作年度报告",
                seed="000",
                department="杭州市临平区卫生健康局",
                doc_number="无",
                body="full",
            ),
        ),
        decoys={1: "jsgk", 7: "jsbb", 11: "notice", 23: "fzzf", 46: "tjgb"},
    ),
    _Spec(
        name="wujin",
        kind="get",
        agency="常州市武进区人民政府",
        city="武进区",
        site_code="3204120001",
        icp="苏ICP备00000012号",
        webid="42",
        section_col="77101",
        column_col="77132",
        unitid="3950221",
        section_text="政府信息公开",
        column_link="政府信息<br/>公开年报",
        column_name="政府信息公开年报",
        per_page=10,
        group=3,
        n_items=47,
        newest=date(2023, 4, 20),
        step_days=30,
        reports=(
            _Report(
                3,
                "常州市武进区行政审批局2022年度政府信息公开工作报告",
                seed="002",
                department="常州市武进区行政审批局",
                doc_number="无",
                body="full",
                attachment="plain",
                suffix=".docx",
                ctype=DOCX,
            ),
            _Report(
                15,
                "常州市武进区教育局2021年政府信息公开工作年度报告",
                seed="004",
                department="常州市武进区教育局",
                doc_number="武教〔2022〕15号",
                body="cover",
                attachment="js-href",
                suffix=".docx",
                ctype=DOCX,
            ),
            _Report(
                40,
                "常州市武进区人民政府办公室2019年政府信息公开工作年度报告",
                seed="001",
                department="常州市武进区人民政府办公室",
                doc_number="无",
                body="full",
            ),
        ),
        decoys={1: "jsbb", 6: "notice", 12: "fzzf", 25: "jsgk", 44: "tjgb"},
    ),
    _Spec(
        name="yinzhou",
        kind="unit",
        agency="宁波市鄞州区人民政府",
        city="鄞州区",
        site_code="3302120001",
        icp="浙ICP备00000013号",
        webid="5c3e2f1a9b8d4e6f8a7b6c5d4e3f2a1b",
        section_col="1229568400",
        column_col="1229568431",
        unitid="信息列表",
        section_text="政务公开",
        column_link="信息公开年报",
        column_name="信息公开年报",
        per_page=15,
        group=1,
        n_items=40,
        newest=date(2023, 5, 31),
        step_days=26,
        reports=(
            _Report(
                4,
                "宁波市鄞州区人民政府2022年政府信息公开工作年度报告",
                seed="003",
                department="宁波市鄞州区人民政府办公室",
                doc_number="无",
                body="cover",
                attachment="plain",
                suffix=".pdf",
                ctype=PDF,
            ),
            _Report(
                19,
                "宁波市鄞州区财政局2021年政府信息公开工作年度报告",
                seed="002",
                department="宁波市鄞州区财政局",
                doc_number="无",
                body="full",
                attachment="downfile",
                suffix=".docx",
            ),
            _Report(
                33,
                "宁波市鄞州区住房和城乡建设局2020年政府信息公开工作年度报告",
                seed="004",
                department="宁波市鄞州区住房和城乡建设局",
                doc_number="无",
                body="full",
            ),
        ),
        decoys={2: "jsgk", 7: "jsbb", 10: "notice", 21: "fzzf", 35: "tjgb"},
    ),
]

COLUMN_PAGES = {spec.name: spec.column_path for spec in _SPECS}
"""Each site's 年报 column page (the page holding only the first page of the list)."""

_NEWS = [
    "{city}召开{y}年政务公开工作推进会",
    "{city}开展政府信息公开业务培训",
    "{city}政务服务中心推出“一件事”集成服务",
    "{city}召开优化营商环境工作座谈会",
    "{city}部署{y}年安全生产重点工作",
    "{city}举行政府开放日活动",
    "{city}推进“最多跑一次”改革向基层延伸",
    "{city}开展防汛防台应急演练",
    "{city}召开{y}年重点项目建设推进会",
    "{city}启动{y}年民生实事项目征集",
    "{city}召开政务服务“好差评”工作会议",
    "{city}开展行政执法人员专题培训",
    "{city}召开数字化改革工作例会",
    "{city}推进“互联网+政务服务”工作",
    "{city}召开{y}年第{m}次区政府常务会议",
    "{city}开展公共资源交易领域专项检查",
]


@dataclass
class _Item:
    kind: str  # report | decoy | news
    title: str
    when: date
    doc_id: int
    path: str = ""
    report: _Report | None = None


def _decoy_title(kind: str, spec: _Spec, when: date) -> str:
    if kind == "jsgk":
        return f"{spec.city}卫生健康局{when.year - 1}年度部门决算公开"
    if kind == "jsbb":
        return f"{spec.agency}门户网站{when.year - 1}年度工作报表"
    if kind == "notice":
        year = when.year if when.month >= 9 else when.year - 1
        return f"关于做好{year}年政府信息公开工作年度报告编制发布工作的通知"
    if kind == "fzzf":
        year = when.year if when.month >= 10 else when.year - 1
        return f"{spec.agency}{year}年法治政府建设年度报告"
    if kind == "tjgb":
        return f"{spec.city}{when.year - 1}年国民经济和社会发展统计公报"
    raise ValueError(kind)


def _items(spec: _Spec) -> list[_Item]:
    """The column, newest first: reports and decoys at their positions, news elsewhere."""
    reports = {r.position: r for r in spec.reports}
    if set(reports) & set(spec.decoys):
        raise ValueError(f"{spec.name}: report and decoy positions collide")
    items = []
    for i in range(spec.n_items):
        when = spec.newest - timedelta(days=spec.step_days * i)
        doc_id = 5_800_000 + 37 * (spec.n_items - i)
        if i in reports:
            report = reports[i]
            if not (1 <= when.month <= 4 and f"{when.year - 1}年" in report.title):
                raise ValueError(f"{spec.name}: {report.title} published {when}")
            item = _Item("report", report.title, when, doc_id, report=report)
        elif i in spec.decoys:
            item = _Item("decoy", _decoy_title(spec.decoys[i], spec, when), when, doc_id)
        else:
            title = _NEWS[i % len(_NEWS)].format(city=spec.city, y=when.year, m=when.month)
            item = _Item("news", title, when, doc_id)
        item.path = _article_path(spec, item)
        items.append(item)
    return items


def _article_path(spec: _Spec, item: _Item) -> str:
    if spec.kind == "unit":
        uuid = hashlib.md5(f"{spec.name}/{item.doc_id}".encode()).hexdigest()
        return f"/col/col{spec.column_col}/art/{item.when.year}/art_{uuid}.html"
    d = item.when
    return f"/art/{d.year}/{d.month}/{d.day}/art_{spec.column_col}_{item.doc_id}.html"


# --------------------------------------------------------------------------- page markup


def _a(href: str, text: str, **attrs: str) -> str:
    extra = "".join(f' {k}="{escape(v)}"' for k, v in attrs.items())
    return f'<a href="{escape(href)}"{extra}>{escape(text)}</a>'


class _Pages:
    """Renders one site's pages into ``resources``."""

    def __init__(self, spec: _Spec) -> None:
        self.spec = spec
        self.resources: dict[str, Resource] = {}
        self.parts = [
            (f"/col/col{int(spec.section_col) + 1}/index.html", "政府信息公开指南"),
            (f"/col/col{int(spec.section_col) + 2}/index.html", "政府信息公开制度"),
            (f"/col/col{int(spec.section_col) + 3}/index.html", "法定主动公开内容"),
            (spec.column_path, spec.column_link),
        ]
        self.news_col = f"/col/col{int(spec.section_col) - 7}/index.html"

    def add(self, path: str, body: str | bytes, ctype: str = HTML, **headers: str) -> None:
        if path in self.resources:
            raise ValueError(f"{self.spec.name}: two pages at {path}")
        data = body.encode("utf-8") if isinstance(body, str) else body
        self.resources[path] = Resource(data, ctype, headers=dict(headers))

    def page(self, title: str, column: str, main: str, meta: dict[str, str] | None = None) -> str:
        spec = self.spec
        metas = {
            "SiteName": spec.agency,
            "SiteDomain": spec.host,
            "SiteIDCode": spec.site_code,
            "ColumnName": column,
            "ColumnType": column,
            **(meta or {}),
        }
        meta_html = "\n".join(f'<meta name="{k}" content="{escape(v)}">' for k, v in metas.items())
        nav = [("/index.html", "首页"), (self.news_col, "政务动态"),
               (f"/col/col{spec.section_col}/index.html", spec.section_text),
               (f"/col/col{int(spec.section_col) - 5}/index.html", "政民互动")]  # fmt: skip
        nav_html = "".join(f"<li>{_a(h, t)}</li>" for h, t in nav)
        full_title = title if title == spec.agency else f"{title} {spec.agency}"
        return f"""<!DOCTYPE html>
<html>
<head>
<meta http-equiv="Content-Type" content="text/html; charset=utf-8">
<title>{escape(full_title)}</title>
{meta_html}
<link href="/images/{spec.webid}/style.css" rel="stylesheet" type="text/css">
<script type="text/javascript" src="/module/jslib/jquery/jquery.js"></script>
</head>
<body>
<div class="header"><div class="logo">{_a("/index.html", spec.agency)}</div>
<div class="top-link"><a href="javascript:void(0);" onclick="SetHome(this,window.location)">设为首页</a>
<a href="javascript:void(0);" onclick="shoucang(document.title,window.location)">加入收藏</a></div></div>
<div class="nav"><ul>{nav_html}</ul></div>
<div class="main">
{main}
</div>
<div class="footer"><p>主办：{escape(spec.agency)}办公室　网站标识码：{spec.site_code}</p>
<p>{escape(spec.icp)}　技术支持：大汉网络</p></div>
</body>
</html>
"""

    def section(self, current: str, main: str) -> str:
        items = []
        for href, inner in self.parts:
            cls = ' class="on"' if href == current else ""
            items.append(f'<li{cls}><a href="{escape(href)}">{inner}</a></li>')
        return (
            f'<div class="xxgk-left"><h2>{escape(self.spec.section_text)}</h2>'
            f'<ul class="xxgk-menu">{"".join(items)}</ul></div>\n'
            f'<div class="xxgk-right">{main}</div>'
        )


# --------------------------------------------------------------------------- lists


def _record(spec: _Spec, item: _Item) -> str:
    """One list record as each site's list template writes it."""
    day = f"{item.when:%Y-%m-%d}"
    if spec.kind == "post":  # the date inside the link, as many Zhejiang jcms lists do
        return (
            f'<li><a href="{item.path}" target="_blank" title="{escape(item.title)}">'
            f"<span>{escape(item.title)}</span><i>{day}</i></a></li>"
        )
    if spec.kind == "get":  # table rows; the link text is cut at 20 characters
        text = item.title if len(item.title) <= 20 else item.title[:20] + "..."
        return (
            f'<tr><td class="bt_link">{_a(item.path, text, title=item.title, target="_blank")}</td>'
            f'<td class="bt_time">[{day}]</td></tr>'
        )
    link = _a(item.path, item.title, title=item.title, target="_blank")
    return f'<li>{link}<span class="time">{day}</span></li>'


def _cdata_records(spec: _Spec, items: list[_Item]) -> str:
    return "\n".join(f"<record><![CDATA[\n{_record(spec, it)}\n]]></record>" for it in items)


def _nextgroup_query(spec: _Spec, page: int, *, encoded: bool = False) -> str:
    """The query of a ``page=N`` call: as the datastore links it (the site name raw) or as it
    arrives (percent-encoded)."""
    webname = quote(spec.agency) if encoded else spec.agency
    return (
        f"page={page}&appid=1&webid={spec.webid}&path=/&columnid={spec.column_col}"
        f"&unitid={spec.unitid}&webname={webname}&permissiontype=0"
    )


def _module(spec: _Spec) -> str:
    """Where the site's jpage module (jpage.js, dataproxy.jsp) lives."""
    return "/module/jpage/" if spec.kind == "post" else "/module/web/jpage/"


def _jcms_column(pages: _Pages, items: list[_Item]) -> None:
    """The column page (first page inline) and the dataproxy.jsp answers for the rest."""
    spec = pages.spec
    first = items[: spec.per_page]
    module = _module(spec)
    nextgroup = f'<a href="{module}dataproxy.jsp?{_nextgroup_query(spec, 2)}"></a>'
    datastore = (
        f'<div id="{spec.unitid}"><script type="text/xml"><datastore>\n'
        f"<nextgroup><![CDATA[{nextgroup}]]></nextgroup>\n"
        f"<recordset>\n{_cdata_records(spec, first)}\n</recordset>\n</datastore></script></div>"
    )
    if spec.kind == "post":
        script = (
            f'<script type="text/javascript" src="{module}jpage.js"></script>\n'
            '<script type="text/javascript">$(function(){$(\'#' + spec.unitid + "').jpage({"
            f"dataStore:$('#{spec.unitid} datastore'),dataBefore:'<ul class=\"xxgk-list\">',"
            f"dataAfter:'</ul>',totalRecord:{len(items)},openCookies:false,barPosition:'bottom',"
            f"perPage:{spec.per_page},groupSize:{spec.group},proxyUrl:'{module}dataproxy.jsp',"
            f"ajaxParam:{{col:1,appid:1,webid:{spec.webid},path:'/',columnid:{spec.column_col},"
            f"sourceContentType:1,unitid:{spec.unitid},webname:'{spec.agency}',permissiontype:0}}"
            "});});</script>"
        )
    else:
        script = (
            f'<script language="javascript" src="{module}jpage.js"></script>\n'
            '<script language="javascript">\n$(document).ready(function () {\n'
            f"  $('#{spec.unitid}').jpage({{\n    dataStore: $('#{spec.unitid} datastore'),\n"
            f"    perPage: {spec.per_page},\n    totalRecord: {len(items)},\n"
            f"    groupSize: {spec.group},\n    barPosition: 'bottom',\n"
            "    dataBefore: '<table class=\"bt_list\" width=\"100%\">',\n    dataAfter: '</table>'\n"
            "  });\n});\n</script>"
        )
    main = (
        f'<div class="list-title"><h3>{escape(spec.column_name)}</h3></div>\n'
        f'<div class="list-con">\n{datastore}\n{script}\n</div>'
    )
    html = pages.page(spec.column_name, spec.column_name, pages.section(spec.column_path, main))
    pages.add(spec.column_path, html)
    for path, answer in _dataproxy_answers(spec, items, module):
        pages.add(path, answer, XML)


def _dataproxy_answers(spec: _Spec, items: list[_Item], module: str) -> list[tuple[str, str]]:
    """Each call's XML answer, keyed by path + query (POST: record range; GET: page=N)."""
    size = spec.per_page * spec.group
    total_pages = -(-len(items) // spec.per_page)
    answers = []
    if spec.kind == "post":
        calls = [(k * size + 1, (k + 1) * size) for k in range(-(-len(items) // size))]
    else:  # GET from page 2 (page 1 is inline), a group of pages per call
        calls = [((p - 1) * spec.per_page + 1, (p - 1 + spec.group) * spec.per_page)
                 for p in range(2, total_pages + 1, spec.group)]  # fmt: skip
    for start, end in calls:
        chunk = items[start - 1 : end]
        next_page = end // spec.per_page + 1
        nextgroup = ""
        if next_page <= total_pages:
            nextgroup = f'<a href="./dataproxy.jsp?{_nextgroup_query(spec, next_page)}"></a>'
        declaration = '<?xml version="1.0" encoding="UTF-8"?>\n' if spec.kind == "get" else ""
        xml = (
            f"{declaration}<datastore>\n<totalrecord>{len(items)}</totalrecord>\n"
            f"<totalpage>{total_pages}</totalpage>\n<nextgroup><![CDATA[{nextgroup}]]></nextgroup>\n"
            f"<recordset>\n{_cdata_records(spec, chunk)}\n</recordset>\n</datastore>\n"
        )
        if spec.kind == "post":
            path = f"{module}dataproxy.jsp?startrecord={start}&endrecord={end}&perpage={spec.per_page}"
        else:
            page = (start - 1) // spec.per_page + 1
            path = f"{module}dataproxy.jsp?{_nextgroup_query(spec, page, encoded=True)}"
        answers.append((path, xml))
    return answers


def _unit_params(spec: _Spec) -> dict[str, str]:
    return {
        "parseType": "bulidstatic",
        "webId": spec.webid,
        "tplSetId": hashlib.md5(spec.name.encode()).hexdigest()[:21],
        "pageType": "column",
        "tagId": spec.unitid,
        "editType": "null",
        "pageId": spec.column_col,
    }


def _unit_list(spec: _Spec, items: list[_Item], page: int, count: int) -> str:
    rows = "\n".join(_record(spec, it) for it in items)
    pager = f"{{'rows':'{spec.per_page}','count':'{count}','pageNo':'{page}'}}"
    return (
        f'<ul class="page-content">\n{rows}\n</ul>\n'
        f'<div class="pagination" id="{spec.unitid}_pagination" queryData="{pager}"></div>'
    )


def _unit_column(pages: _Pages, items: list[_Item]) -> None:
    """The column page (page 1 as plain HTML) and the build/unit JSON answers for the rest."""
    spec = pages.spec
    params = _unit_params(spec)
    unit_data = "{" + ",".join(f"'{k}':'{v}'" for k, v in params.items()) + "}"
    main = (
        f'<div class="list-title"><h3>{escape(spec.column_name)}</h3></div>\n'
        f'<div id="{spec.unitid}" class="unit-list">\n'
        f"{_unit_list(spec, items[: spec.per_page], 1, len(items))}\n</div>\n"
        f'<script type="text/javascript" src="/static/jpaas/unitbuild.js" url="{UNIT_API}" '
        f'queryData="{unit_data}"></script>'
    )
    html = pages.page(spec.column_name, spec.column_name, pages.section(spec.column_path, main))
    pages.add(spec.column_path, html)
    n_pages = -(-len(items) // spec.per_page)
    for page in range(2, n_pages + 1):
        chunk = items[(page - 1) * spec.per_page : page * spec.per_page]
        answer = {
            "success": True,
            "code": 200,
            "msg": "操作成功",
            "data": {"html": _unit_list(spec, chunk, page, len(items))},
        }
        paging = json.dumps({"pageNo": page, "pageSize": spec.per_page}, separators=(",", ":"))
        query = urlencode([*params.items(), ("paramJson", paging)])
        pages.add(f"{UNIT_API}?{query}", json.dumps(answer, ensure_ascii=False), JSON)


# --------------------------------------------------------------------------- articles


def _meta_table(spec: _Spec, item: _Item, publisher: str, doc_number: str) -> str:
    index_no = f"{spec.site_code[:6]}-{item.when.year}-{item.doc_id:08d}"
    day = f"{item.when:%Y-%m-%d}"
    if spec.kind == "unit":  # a list of "label：value" items
        rows = [("索引号", index_no), ("发布机构", publisher), ("成文日期", day), ("文号", doc_number),
                ("发布日期", day), ("公开方式", "主动公开")]  # fmt: skip
        lis = "".join(f"<li><b>{k}：</b>{escape(v)}</li>" for k, v in rows)
        return f'<ul class="xxgk-meta">{lis}</ul>'
    return (
        '<table class="xxgk_table" width="100%" cellspacing="0" cellpadding="0">'
        f"<tr><th>索引号：</th><td>{index_no}</td><th>公开方式：</th><td>主动公开</td></tr>"
        f"<tr><th>发布机构：</th><td>{escape(publisher)}</td><th>成文日期：</th><td>{day}</td></tr>"
        f"<tr><th>文号：</th><td>{escape(doc_number)}</td><th>发布日期：</th><td>{day}</td></tr>"
        f'<tr><th>名称：</th><td colspan="3">{escape(item.title)}</td></tr></table>'
    )


def _attachment(spec: _Spec, report: _Report) -> tuple[str, str, Resource] | None:
    """(href as linked, anchor HTML, served file) of a report's attachment."""
    if report.attachment == "none":
        return None
    ext = report.suffix.rsplit(".", 1)[-1]
    hexname = hashlib.md5(f"{spec.name}/{report.title}".encode()).hexdigest()
    data = seed_file(report.seed, report.suffix)
    name = f"{report.title}.{ext}"
    if report.attachment == "plain":
        href = f"/attach/{0 if spec.kind != 'unit' else -1}/{hexname}.{ext}"
        return href, _a(href, name), Resource(data, report.ctype)
    href = f"/module/download/downfile.jsp?classid=0&filename={hexname}.{ext}"
    served = Resource(
        data, report.ctype, headers={"Content-Disposition": f"attachment;filename={hexname}.{ext}"}
    )
    if report.attachment == "downfile":
        return href, _a(href, name), served
    if report.attachment == "js-href":
        return href, f"<a href=\"javascript:openFile('{escape(href)}')\">{escape(name)}</a>", served
    # "onclick": the link itself goes nowhere
    anchor = f'<a href="javascript:void(0);" onclick="window.open(\'{escape(href)}\')">{escape(name)}</a>'
    return href, anchor, served


def _article(pages: _Pages, item: _Item) -> list[str]:
    """An article page; returns the report's attachment hrefs (unescaped, as linked)."""
    spec = pages.spec
    report = item.report
    publisher = report.department if report else f"{spec.agency}办公室"
    doc_number = report.doc_number if report else "无"
    attachments: list[str] = []
    files = ""
    if report is None:
        body = (
            f"<p>{item.when.year}年{item.when.month}月{item.when.day}日，{escape(item.title)}。</p>"
            "<p>下一步，将继续围绕群众和企业办事需求，不断提升政务服务水平。</p>"
        )
    elif report.body == "full":
        body = seed_body(report.seed)
    else:
        body = (
            f"<p>根据《中华人民共和国政府信息公开条例》规定，现将{escape(report.title)}予以公布。</p>"
            "<p>报告全文请见附件。</p>"
        )
    if report is not None:
        found = _attachment(spec, report)
        if found:
            href, anchor, served = found
            pages.add(href, served.body, served.content_type, **served.headers)
            attachments.append(href)
            files = f'<div class="fj"><p>相关附件：</p><p>{anchor}</p></div>'
    day = f"{item.when:%Y-%m-%d}"
    meta = {"ArticleTitle": item.title, "PubDate": f"{day} 09:30", "ContentSource": publisher}
    main = (
        f"{_meta_table(spec, item, publisher, doc_number)}\n"
        f'<div class="article-title"><!--<$[标题名称]>begin--><h1>{escape(item.title)}</h1>'
        "<!--<$[标题名称]>end--></div>\n"
        f'<div class="article-info"><span>发布日期：{day}</span><span>信息来源：{escape(publisher)}</span>'
        '<span>浏览次数：<script language="javascript" src="/module/visitcount/articlehits.jsp"></script>'
        "</span></div>\n"
        f'<div id="zoom" class="article-content"><!--<$[信息内容]>begin-->\n{body}\n'
        f"<!--<$[信息内容]>end--></div>\n{files}"
    )
    pages.add(
        item.path, pages.page(item.title, spec.column_name, pages.section(spec.column_path, main), meta)
    )
    return attachments


# --------------------------------------------------------------------------- the sites


def _static_pages(pages: _Pages, items: list[_Item]) -> None:
    """Home, the section page and its other parts, the news column, robots.txt, CSS."""
    spec = pages.spec
    news = [it for it in items if it.kind == "news"][:8]
    news_list = "".join(
        f"<li>{_a(it.path, it.title, title=it.title)}<span>{it.when:%m-%d}</span></li>" for it in news
    )
    section = f"/col/col{spec.section_col}/index.html"
    home = (
        f'<div class="box"><div class="box-title"><h3>政务动态</h3>{_a(pages.news_col, "更多")}</div>'
        f'<ul class="list">{news_list}</ul></div>\n'
        f'<div class="box"><div class="box-title"><h3>{escape(spec.section_text)}</h3></div>'
        f'<ul class="list"><li>{_a(section, spec.section_text)}</li>'
        f"<li>{_a(pages.parts[0][0], '政府信息公开指南')}</li></ul></div>"
    )
    pages.add("/index.html", pages.page(spec.agency, "首页", home))
    latest = f'<div class="box"><h3>最新公开</h3><ul class="list">{news_list}</ul></div>'
    pages.add(section, pages.page(spec.section_text, spec.section_text, pages.section("", latest)))
    texts = {
        "政府信息公开指南": f"为便于公民、法人和其他组织获取{spec.agency}的政府信息，编制本指南。",
        "政府信息公开制度": "本机关建立健全政府信息公开审查、发布、协调和监督保障等工作制度。",
        "法定主动公开内容": "机构职能、规范性文件、规划信息、财政预决算等法定主动公开内容。",
    }
    for href, title in pages.parts[:3]:
        main = f'<div class="article"><h1>{title}</h1><p>{texts[title]}</p></div>'
        pages.add(href, pages.page(title, title, pages.section(href, main)))
    pages.add(pages.news_col, pages.page("政务动态", "政务动态", f'<ul class="list">{news_list}</ul>'))
    interaction = f"/col/col{int(spec.section_col) - 5}/index.html"
    pages.add(interaction, pages.page("政民互动", "政民互动", "<p>咨询投诉请拨打12345政务服务热线。</p>"))
    pages.add("/robots.txt", b"User-agent: *\nDisallow: /module/sso/\n", "text/plain; charset=utf-8")
    pages.add(f"/images/{spec.webid}/style.css", b".list li span{float:right}\n", "text/css")
    # The scripts pages load: stubs (the mock lists work without them, as crawlers see them).
    scripts = ["/module/jslib/jquery/jquery.js"]
    scripts.append("/static/jpaas/unitbuild.js" if spec.kind == "unit" else f"{_module(spec)}jpage.js")
    for path in scripts:
        pages.add(path, b"/* stub of the CMS script */\n", "application/javascript")


def _build(spec: _Spec) -> Site:
    pages = _Pages(spec)
    items = _items(spec)
    expected = []
    for item in items:
        attachments = _article(pages, item)
        if item.report is not None:
            year = int(re.search(r"(20\d\d)年", item.title).group(1))  # type: ignore[union-attr]
            expected.append(ExpectedReport(item.path, item.title, year, item.report.seed, attachments))
    if spec.kind == "unit":
        _unit_column(pages, items)
    else:
        _jcms_column(pages, items)
    _static_pages(pages, items)
    return Site(
        name=spec.name,
        host=spec.host,
        agency=spec.agency,
        resources=pages.resources,
        expected_reports=expected,
        decoys=[it.path for it in items if it.kind != "report"],
        broken=[],
    )


def hanweb_sites() -> list[Site]:
    """The three Hanweb portals, built fresh (fixture files are read now)."""
    return [_build(spec) for spec in _SPECS]


def record_cassette(out: str) -> None:
    """Record ``out`` (a WARC cassette) by crawling the Hanweb portals through the mock server:
    ``python -m tests.mockportal.families.hanweb cassettes/hanweb.warc.gz``."""
    print(record(Path(out), sites=hanweb_sites()).stdout)


if __name__ == "__main__":
    import sys

    record_cassette(sys.argv[1] if len(sys.argv) > 1 else "cassettes/hanweb.warc.gz")
