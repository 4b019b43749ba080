"""Generated portals: seeded random variants of real CMS markup that know their own truth.

``generate(seed)`` draws one portal, deterministically from the seed: a CMS family and its
pager (TRS ``createPageHTML`` / ``countPage`` / static links, 下一页 chains and ``?page=N``,
Hanweb datastores paged by ``dataproxy.jsp`` over GET or POST, ASP.NET postbacks, a list a
script builds from a JSON API with N pages over GET, a form POST or a JSON POST, or from rows
inline in each page, JSONP or HTML fragments, paged by links or by script controls); the path
to the 年报 column (1–4 levels under sections of arbitrary names, beside filler sections);
year or department sub-columns; link titles shortened with the full one in ``title``, a
nested span or the next cell; attachments linked directly, through ``downfile.jsp``, through
extension-less endpoints that answer with Content-Disposition only (GBK, UTF-8 or RFC 5987
names) or only a document Content-Type, behind ``javascript:`` wrappers and icons; pages in
UTF-8 or GBK under honest or lying headers; decoys (法治政府建设年度报告, 政府网站年度工作报表,
决算, notices about compiling the reports) and news among the items, and a 下载中心 page a
report links to. Its :class:`Truth` is the set of report URLs (pages, or files a list links
directly), attachment URLs and decoy URLs.

APIs and postbacks are answered by what the request says (``Site.dynamic``), as a server
would, not by matching one client's exact request.

``python -m tests.mockportal.generator fuzz --n 500`` crawls many (``make fuzz-discovery``);
``--seed S`` replays one.

>>> site, truth = generate(7)
>>> site2, truth2 = generate(7)
>>> truth == truth2 and sorted(site.resources) == sorted(site2.resources)
True
>>> len(truth.reports) > 0
True
"""

from __future__ import annotations

import argparse
import base64
import json
import math
import random
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, quote, urlsplit

from tests.mockportal.sites import FIXTURES_DIR, Resource, Site

JSON = "application/json;charset=UTF-8"
FAMILIES = ["trs", "generic", "hanweb", "aspnet", "scripted"]
FAMILY_WEIGHTS = [30, 30, 22, 12, 6]
CITIES = ["临江", "青峰", "安平", "清河", "白水", "南屏", "东湖", "云溪", "长岭", "望海", "石门", "宁川"]
DEPARTMENTS = ["教育局", "财政局", "民政局", "自然资源局", "生态环境局", "卫生健康委员会", "交通运输局",
               "市场监督管理局", "人民政府办公室", "审计局", "司法局", "水利局"]  # fmt: skip
TOWNS = ["城关镇", "河西街道", "柳林乡", "新华街道"]
KEY_SECTIONS = ["政务公开", "信息公开", "政府信息公开", "政务公开专栏"]
ODD_SECTIONS = ["开放政府", "阳光政务", "专题专栏", "透明政务", "公开目录", "法定主动公开内容", "其他信息",
                "部门信息", "重点领域", "政策文件", "机构概况", "数据发布"]  # fmt: skip
FILLERS = ["新闻中心", "政务动态", "互动交流", "办事服务", "走进本市", "通知公告", "专项工作", "招商引资"]
COLUMN_LABELS = ["政府信息公开年报", "信息公开年报", "政务公开年报", "年度报告", "政府信息<br>公开年报",
                 "政府信息公开年度报告", "年报公开", "政府信息公开工作年度报告"]  # fmt: skip
COLUMN_SLUGS = ["zfxxgknb", "xxgknb", "ndbg", "zfxxgkndbg", "gknb", "nb", "c{n}", "lm{n}"]
NEWS = ["召开全体干部会议", "开展安全生产大检查", "举办业务培训班", "推进优化营商环境", "开展志愿服务活动",
        "召开工作推进会", "部署防汛工作", "开展普法宣传", "调研乡村振兴工作", "举行新春团拜会"]  # fmt: skip
REPORT_FORMS = ["{a}{y}年政府信息公开工作年度报告", "{a}{y}年度政府信息公开工作报告",
                "{a}{y}年政务公开工作年度报告", "{a}关于{y}年政府信息公开工作年度报告"]  # fmt: skip
DECOY_FORMS = ["{c}市{y}年法治政府建设年度报告", "{c}市人民政府{y}年政府网站年度工作报表",
               "关于做好{y}年政府信息公开工作年度报告编制发布工作的通知", "{a}{y}年部门决算",
               "{c}市{y}年国民经济和社会发展统计公报"]  # fmt: skip
ENCODINGS = [("utf-8", "utf-8"), ("gbk", "gbk"), ("gbk", "utf-8"), ("utf-8", "gb2312"), ("gbk", None)]


@dataclass
class Truth:
    reports: set[str] = field(default_factory=set)  # paths (with query) of report items
    attachments: set[str] = field(default_factory=set)  # paths of the reports' files
    decoys: set[str] = field(default_factory=set)  # paths of listed items that are not reports


@dataclass
class Item:
    title: str
    href: str  # path of the item (page or file)
    date: str


def _files() -> dict[str, tuple[bytes, str]]:
    return {
        "pdf": ((FIXTURES_DIR / "003.pdf").read_bytes(), "application/pdf"),
        "docx": (
            (FIXTURES_DIR / "003.docx").read_bytes(),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        "xls": ((FIXTURES_DIR / "000.table.xls").read_bytes(), "application/vnd.ms-excel"),
    }


class Portal:
    """One generated portal being built: resources, truth and the dynamic answers."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.rng = random.Random(seed)
        rng = self.rng
        self.name = f"gen{seed}"
        self.city = rng.choice(CITIES)
        self.family = rng.choices(FAMILIES, FAMILY_WEIGHTS)[0]
        self.encoding, self.label = rng.choice(ENCODINGS)
        self.resources: dict[str, Resource] = {}
        self.truth = Truth()
        # API paths → handlers (several columns share one dataproxy.jsp): the first answer wins.
        self.dynamic: dict[str, list[Callable[[str, dict[str, str], str], Resource | None]]] = {}
        self.files = _files()
        self.next_id = rng.randrange(1000, 9000)
        self.nav: list[tuple[str, str]] = []  # home's first-level sections
        self.column_entry = "/"  # where the 年报 column link points
        self.script_mode = ""  # how a scripted list gets its rows (SCRIPT_MODES)

    # -- plumbing
    def uid(self) -> int:
        self.next_id += rng_step(self.rng)
        return self.next_id

    def html(self, path: str, title: str, body: str, *, column_name: str = "", crumbs: str = "") -> None:
        meta = f'<meta charset="{self.encoding}">' if self.rng.random() < 0.5 else ""
        meta += f'<meta name="ColumnName" content="{column_name}">' if column_name else ""
        crumb = f'<div class="position">当前位置：<a href="/">首页</a> &gt; {crumbs}</div>' if crumbs else ""
        nav = "".join(f'<li><a href="{href}">{text}</a></li>' for text, href in self.nav)
        doc = (
            f"<!DOCTYPE html><html><head>{meta}<title>{title}</title></head><body>"
            f'<div class="top"><a href="/">网站首页</a> <a href="/en/">English</a> <a href="/wzdt.html">网站地图</a></div>'  # noqa: E501
            f'<ul class="nav">{nav}</ul>{crumb}<div class="main">{body}</div>'
            f'<div class="foot"><a href="/lxwm.html">联系我们</a> {self.city}市人民政府 主办</div></body></html>'  # noqa: E501
        )
        ctype = f"text/html; charset={self.label}" if self.label else "text/html"
        self.resources[path] = Resource(doc.encode(self.encoding, "xmlcharrefreplace"), ctype)

    def file(
        self, path: str, kind: str, headers: dict[str, str] | None = None, ctype: str | None = None
    ) -> None:
        body, mime = self.files[kind]
        self.resources[path] = Resource(body, ctype or mime, headers=headers or {})

    # -- items
    def agency(self) -> str:
        return f"{self.city}市{self.rng.choice(DEPARTMENTS)}"

    def report_title(self, agency: str, year: int) -> str:
        return self.rng.choice(REPORT_FORMS).format(a=agency, y=year)

    def shown(self, title: str, *, table: bool = False) -> tuple[str, str]:
        """(anchor attributes and inner markup, next cell) for a list item: often shortened."""
        form = self.rng.choice(["full", "attr", "attr", "span", "spantitle"] + (["cell"] if table else []))
        if form == "full" or len(title) < 14:
            return f">{title}", ""
        short = title[: self.rng.randint(8, len(title) - 6)] + self.rng.choice(["...", "…", "..."])
        if form == "attr":
            return f' title="{title}">{short}', ""
        if form == "span":
            return f'>{short}<span style="display:none">{title}</span>', ""
        if form == "spantitle":
            return f'><span title="{title}">{short}</span>', ""
        return f">{short}", title

    def list_markup(self, items: list[Item]) -> str:
        style = self.rng.choice(["li", "table", "dl"])
        rows = []
        for item in items:
            inner, cell = self.shown(item.title, table=style == "table")
            a = f'<a href="{item.href}" target="_blank"{inner}</a>'
            if style == "table":
                extra = f'<td style="display:none">{cell}</td>' if cell else ""
                rows.append(f"<tr><td>{a}</td>{extra}<td>{item.date}</td></tr>")
            elif style == "dl":
                rows.append(f"<dd>{a}<span>{item.date}</span></dd>")
            else:
                rows.append(f"<li>{a}<span class='date'>{item.date}</span></li>")
        if style == "table":
            return f'<table class="list">{"".join(rows)}</table>'
        if style == "dl":
            return f'<dl class="list">{"".join(rows)}</dl>'
        return f'<ul class="list">{"".join(rows)}</ul>'

    def column_items(self, base: str, article: Callable[[int, str], str], years: list[int]) -> list[Item]:
        """Reports, decoys and news of one list, in date order; report pages built too."""
        rng = self.rng
        items: list[tuple[str, Item]] = []
        for year in years:
            for _ in range(rng.randint(1, 2)):
                agency = self.agency()
                title = self.report_title(agency, year)
                date = f"{year + 1}-0{rng.randint(1, 3)}-{rng.randint(10, 28)}"
                if rng.random() < 0.12:  # the list links the file itself
                    kind = rng.choice(["pdf", "docx"])
                    href = f"{base}P0{year + 1}0115{self.uid()}.{kind}"
                    self.file(href, kind)
                    self.truth.reports.add(href)
                else:
                    href = article(self.uid(), date)
                    self.report_page(href, title, agency, date)
                    self.truth.reports.add(href)
                items.append(("report", Item(title, href, date)))
        for _ in range(rng.randint(1, 3)):
            year = rng.choice(years)
            title = rng.choice(DECOY_FORMS).format(c=self.city, a=self.agency(), y=year)
            date = f"{year + 1}-0{rng.randint(1, 9)}-{rng.randint(10, 28)}"
            href = article(self.uid(), date)
            self.article_page(href, title, "<p>本文不是政府信息公开工作年度报告。</p>" * 3)
            self.truth.decoys.add(href)
            items.append(("decoy", Item(title, href, date)))
        for _ in range(rng.randint(2, 8)):
            title = f"{self.city}市{rng.choice(NEWS)}"
            date = f"{rng.choice(years) + 1}-{rng.randint(10, 12)}-{rng.randint(10, 28)}"
            href = article(self.uid(), date)
            self.article_page(href, title, "<p>新闻内容。</p>")
            items.append(("news", Item(title, href, date)))
        rng.shuffle(items)
        return [item for _, item in items]

    def article_page(self, path: str, title: str, body: str) -> None:
        self.html(path, title, f'<h1 class="title">{title}</h1><div class="TRS_Editor">{body}</div>')

    def report_page(self, path: str, title: str, agency: str, date: str) -> None:
        rng = self.rng
        text = "".join(
            f"<p>{p}</p>"
            for p in [
                f"根据《中华人民共和国政府信息公开条例》要求，现公布{title}。",
                "一、总体情况。本年度主动公开政府信息，依申请公开办理及时。",
                "二、主动公开政府信息情况。三、收到和处理政府信息公开申请情况。",
                "四、政府信息公开行政复议、行政诉讼情况。五、存在的主要问题及改进情况。",
                f"{agency}",
                f"{date}",
            ]
        )
        links = [self.attachment(path, title) for _ in range(rng.choice([0, 1, 1, 2]))]
        if rng.random() < 0.3:
            links.append('<a href="/xzzx/index.html">下载中心</a>')  # a page, not a file
            self.html("/xzzx/index.html", "下载中心", "<p>常用表格下载</p>")
        attachments = f'<div class="fj">附件：{"".join(links)}</div>' if links else ""
        meta = f"<table><tr><td>索引号：</td><td>{self.uid()}</td><td>发布机构：</td><td>{agency}</td></tr></table>"  # noqa: E501
        self.html(path, title, f"{meta}<h1>{title}</h1><div class='TRS_Editor'>{text}</div>{attachments}")

    def attachment(self, page: str, title: str) -> str:
        """One attachment of a report page, in one of the forms portals use; its markup."""
        rng = self.rng
        kind = rng.choice(["pdf", "docx", "xls"])
        n = self.uid()
        name = f"{title}.{kind}"
        form = rng.choice(["direct", "downfile", "cd", "jswrap", "onclick", "ctype", "icon"])
        directory = page.rsplit("/", 1)[0] + "/"
        download = rng.choice(["点击下载", "附件下载", "下载"])
        if form == "direct":
            href = f"{directory}P0{20200101 + n}.{kind}"
            markup = f'<a href="{href}">{name}</a>'
        elif form == "downfile":
            href = f"/module/download/downfile.jsp?classid=0&filename={n:032x}.{kind}"
            markup = f'<a href="{href.replace("&", "&amp;")}">{name}</a>'
        elif form == "cd":  # no extension anywhere: only the answer says it is a file
            href = rng.choice(["/attach/get?id=", "/file/download?fileid=", "/api/file?fid="]) + str(n)
            markup = f'<a href="{href}">{download}</a>'
        elif form == "ctype":
            href = f"/download.do?fid={n}"
            markup = f'<a href="{href}">{download}</a>'
        elif form == "icon":
            href = f"/sys/file.do?id={n}"
            markup = f'<a href="{href}"><img src="/images/icon_{kind}.gif" alt=""></a>'
        elif form == "jswrap":
            href = f"/uploadfiles/{n}.{kind}"
            markup = f"<a href=\"javascript:openFile('{href}')\">{name}</a>"
        else:
            href = f"/uploadfiles/{n}.{kind}"
            markup = f'<a href="#" onclick="window.open(\'{href}\')">{name}</a>'
        if form == "cd":
            headers = {"Content-Disposition": self.disposition(name)}
            self.file(href, kind, headers=headers, ctype="application/octet-stream")
        else:
            self.file(href, kind)
        self.truth.attachments.add(href)
        return markup

    def disposition(self, name: str) -> str:
        form = self.rng.choice(["gbk", "utf8", "rfc5987"])
        if form == "gbk":
            return f'attachment; filename="{name.encode("gbk").decode("latin-1")}"'
        if form == "utf8":
            return f'attachment; filename="{name.encode("utf-8").decode("latin-1")}"'
        return f"attachment; filename*=UTF-8''{quote(name)}"


def rng_step(rng: random.Random) -> int:
    return rng.randint(1, 97)


# --------------------------------------------------------------------------- families: lists


def paginate(items: list[Item], size: int) -> list[list[Item]]:
    return [items[i : i + size] for i in range(0, len(items), size)] or [[]]


def trs_list(p: Portal, directory: str, items: list[Item], title: str, label: str, crumbs: str) -> str:
    """``index.html``, ``index_1.html`` … under a TRS pager script (or plain links)."""
    rng = p.rng
    pages = paginate(items, rng.randint(4, 8))
    style = rng.choice(["create4", "create3", "countpage", "static"])
    n = len(pages)
    for k, chunk in enumerate(pages):
        if style == "create4":
            pager = f'<script>createPageHTML({n}, {k}, "index", "html");</script>'
        elif style == "create3":
            pager = f'<script>createPageHTML({n}, {k}, "html");</script>'
        elif style == "countpage":
            pager = (
                f"<script>var countPage = {n}; var currentPage = {k};"
                "for (var i = 1; i < countPage; i++) { document.write('<a href=\"index_'+i+'.html\">'+(i+1)+'</a>'); }"  # noqa: E501
                "</script>"
            )
        else:
            nums = " ".join(
                f'<a href="{"index.html" if j == 0 else f"index_{j}.html"}">{j + 1}</a>' for j in range(n)
            )
            nxt = f'<a href="index_{k + 1}.html">下一页</a>' if k + 1 < n else ""
            pager = f'<div class="page">{nums} {nxt}</div>'
        path = directory + ("index.html" if k == 0 else f"index_{k}.html")
        p.html(path, title, p.list_markup(chunk) + pager, column_name=label, crumbs=crumbs)
    return directory


def generic_list(p: Portal, directory: str, items: list[Item], title: str, label: str, crumbs: str) -> str:
    """Pages chained by 下一页 links (``list_2.html`` …) or ``list.jsp?page=N``."""
    rng = p.rng
    pages = paginate(items, rng.randint(4, 8))
    query = rng.random() < 0.4
    n = len(pages)

    def name(k: int) -> str:
        if query:
            return f"list.jsp?page={k + 1}" if k else "list.jsp"
        return f"list_{k + 1}.html" if k else "index.html"

    for k, chunk in enumerate(pages):
        pager = [f'<a href="{name(0)}">首页</a>']
        if k:
            pager.append(f'<a href="{name(k - 1)}">上一页</a>')
        if k + 1 < n:
            pager.append(f'<a href="{name(k + 1)}">下一页</a>')
            pager.append(f'<a href="{name(n - 1)}">尾页</a>')
        pager.append(f"<span>共{n}页</span>")
        p.html(
            directory + name(k),
            title,
            p.list_markup(chunk) + " ".join(pager),
            column_name=label,
            crumbs=crumbs,
        )
    return directory + name(0) if query else directory


def hanweb_list(p: Portal, directory: str, items: list[Item], title: str, label: str, crumbs: str) -> str:
    """A jcms column: page 1 inline as a ``<datastore>``, the rest from ``dataproxy.jsp``."""
    rng = p.rng
    column = int(directory.strip("/").rsplit("col", 1)[-1])
    unit = p.uid()
    per_page = rng.choice([5, 6, 8])
    group = 3
    module = rng.choice(["/module/jpage/", "/module/web/jpage/"])
    post = rng.random() < 0.5

    def record(item: Item) -> str:
        inner, _ = p.shown(item.title)
        return (
            f'<record><![CDATA[<li><a href="{item.href}"{inner}</a><span>{item.date}</span></li>]]></record>'
        )

    def store(chunk: list[Item], next_page: int | None, total: bool) -> str:
        nextgroup = ""
        if next_page is not None:
            q = f"page={next_page}&amp;appid=1&amp;webid=1&amp;path=/&amp;columnid={column}&amp;unitid={unit}"
            nextgroup = f'<nextgroup><![CDATA[<a href="{module}dataproxy.jsp?{q}"></a>]]></nextgroup>'
        head = f"<totalrecord>{len(items)}</totalrecord>" if total else ""
        return f"<datastore>{head}{nextgroup}<recordset>{''.join(record(i) for i in chunk)}</recordset></datastore>"  # noqa: E501

    first = items[:per_page]
    more = len(items) > per_page
    script = ""
    if post:
        script = (
            f"<script>$('#{unit}').jpage({{dataStore: dataStore, totalRecord:{len(items)}, perPage:{per_page},"  # noqa: E501
            f"groupSize:{group}, proxyUrl:'{module}dataproxy.jsp', ajaxParam:{{col:1, appid:1, webid:1, path:'/',"  # noqa: E501
            f"columnid:{column}, sourceContentType:1, unitid:'{unit}', webname:'{p.city}', permissiontype:0}}}});</script>"  # noqa: E501
        )
    body = (
        f'<div id="{unit}"><script type="text/xml">{store(first, 2 if more else None, False)}</script></div>'
        f'<script src="{module}jquery.jpage.js"></script>{script}'
    )
    p.html(directory + "index.html", title, body, column_name=label, crumbs=crumbs)

    def answer(method: str, query: dict[str, str], form: str) -> Resource | None:
        fields = {**query, **dict(parse_qsl(form))}
        if fields.get("columnid") != str(column):
            return None  # another column's
        if "startrecord" in fields:
            start, end = int(fields["startrecord"]), int(fields["endrecord"])
            chunk, next_page = items[start - 1 : end], None
        else:
            page = int(fields.get("page", "1"))
            chunk = items[(page - 1) * per_page : (page - 1 + group) * per_page]
            next_page = page + group if (page - 1 + group) * per_page < len(items) else None
        xml = f'<?xml version="1.0" encoding="UTF-8"?>{store(chunk, next_page, True)}'
        return Resource(xml.encode(), "text/xml; charset=utf-8")

    p.dynamic.setdefault(module + "dataproxy.jsp", []).append(answer)
    return directory


def aspnet_list(p: Portal, directory: str, items: list[Item], title: str, label: str, crumbs: str) -> str:
    """``List.aspx`` paged by ``__doPostBack``; the view state says which page it shows."""
    rng = p.rng
    pages = paginate(items, rng.randint(4, 8))
    n = len(pages)
    path = directory + "List.aspx"
    target = rng.choice(["ctl00$Main$gvList", "AspNetPager1"])

    def state(k: int) -> str:
        return base64.b64encode(f"{path}|{k}".encode()).decode()

    def render(k: int) -> Resource:
        links = []
        for j in range(n):
            arg = f"Page${j + 1}" if target.startswith("ctl") else str(j + 1)
            links.append(
                f"<span>{j + 1}</span>"
                if j == k
                else f"<a href=\"javascript:__doPostBack('{target}','{arg}')\">{j + 1}</a>"
            )
        body = (
            f'<form method="post" action="./List.aspx" id="form1">'
            f'<input type="hidden" name="__VIEWSTATE" id="__VIEWSTATE" value="{state(k)}">'
            f'<input type="hidden" name="__EVENTTARGET" value=""><input type="hidden" name="__EVENTARGUMENT" value="">'  # noqa: E501
            f'{p.list_markup(pages[k])}<div class="pager">{" ".join(links)}</div></form>'
        )
        p.html(path, title, body, column_name=label, crumbs=crumbs)
        return p.resources[path]

    pages_html = [render(k) for k in range(n)]
    p.resources[path] = pages_html[0]

    def answer(method: str, query: dict[str, str], form: str) -> Resource | None:
        if method != "POST":
            return None
        fields = dict(parse_qsl(form, keep_blank_values=True))
        states = {state(k): k for k in range(n)}
        if fields.get("__VIEWSTATE") not in states:
            return Resource(b"<html><body>Invalid viewstate</body></html>", status=500)
        argument = fields.get("__EVENTARGUMENT", "").removeprefix("Page$")
        current = states[fields["__VIEWSTATE"]]
        k = current + 1 if argument.lower() == "next" else int(argument) - 1 if argument.isdigit() else -1
        return pages_html[k] if 0 <= k < n else None

    p.dynamic.setdefault(path, []).append(answer)
    return path


SCRIPT = """
(function () {
  var cfg = window.LIST_CFG;
  function pick(o, path) { return path.split('.').reduce(function (x, k) { return x && x[k]; }, o); }
  function go(page) {
    var url = cfg.api, opts = {method: cfg.method, headers: {}};
    var params = {}; params[cfg.colKey] = cfg.col; params[cfg.pageKey] = page; params[cfg.sizeKey] = cfg.size;
    if (cfg.method === 'GET') {
      url += '?' + Object.keys(params).map(function (k) { return k + '=' + params[k]; }).join('&');
    } else if (cfg.body === 'json') {
      opts.headers['Content-Type'] = 'application/json'; opts.body = JSON.stringify(params);
    } else {
      opts.headers['Content-Type'] = 'application/x-www-form-urlencoded';
      opts.body = Object.keys(params).map(function (k) { return k + '=' + params[k]; }).join('&');
    }
    fetch(url, opts).then(function (r) { return r.json(); }).then(function (answer) {
      var rows = pick(answer, cfg.listPath) || [], ul = document.getElementById('list');
      ul.innerHTML = '';
      rows.forEach(function (row) {
        var li = document.createElement('li'), a = document.createElement('a');
        a.href = row[cfg.urlKey]; a.textContent = row[cfg.titleKey]; li.appendChild(a); ul.appendChild(li);
      });
      var pager = document.getElementById('pager'); pager.innerHTML = '';
      var pages = cfg.pagesPath ? pick(answer, cfg.pagesPath)
        : Math.ceil(pick(answer, cfg.totalPath) / cfg.size);
      for (var i = 1; i <= pages; i++) {
        var b = document.createElement('a'); b.href = 'javascript:void(0)'; b.textContent = i;
        b.onclick = (function (n) { return function () { go(n); }; })(i); pager.appendChild(b);
      }
    });
  }
  go(1);
})();
"""


def scripted_list(p: Portal, directory: str, items: list[Item], title: str, label: str, crumbs: str) -> str:
    """An empty list a script fills, N pages: from a JSON API (GET, form POST or JSON POST) in
    most portals; else with no API answer the browser could record (see :data:`SCRIPT_MODES`)."""
    mode = random.Random(f"{p.seed}/{directory}").choice(SCRIPT_MODES)  # own draw: JSON portals stay
    p.script_mode = mode
    if mode != "json":
        return unrecorded_list(p, mode, directory, items, title, label, crumbs)
    rng = p.rng
    size = rng.choice([4, 5, 6])
    col = p.uid()
    method, body = rng.choice([("GET", ""), ("POST", "form"), ("POST", "json")])
    page_key, size_key = rng.choice([("page", "size"), ("pageNo", "pageSize"), ("pageIndex", "rows")])
    list_path, url_key, title_key = rng.choice(
        [("data.list", "url", "title"), ("rows", "link", "name"), ("data.records", "href", "docTitle")]
    )
    total_path, pages_path = rng.choice([("total", ""), ("data.totalCount", ""), ("", "pageCount")])
    api = rng.choice(["/api/list", "/interface/getList.do", "/common/search/list"])
    cfg = {
        "api": api, "method": method, "body": body, "col": col, "colKey": "columnId", "pageKey": page_key,
        "sizeKey": size_key, "size": size, "listPath": list_path, "urlKey": url_key, "titleKey": title_key,
        "totalPath": total_path, "pagesPath": pages_path,
    }  # fmt: skip
    page_body = (
        f'<ul id="list"></ul><div id="pager"></div>'
        f'<script>window.LIST_CFG = {json.dumps(cfg)};</script><script src="/js/list.js"></script>'
    )
    p.html(directory + "index.html", title, page_body, column_name=label, crumbs=crumbs)
    p.resources["/js/list.js"] = Resource(SCRIPT.encode(), "application/javascript; charset=utf-8")

    def answer(method_: str, query: dict[str, str], form: str) -> Resource | None:
        fields = dict(query)
        if form.lstrip().startswith("{"):
            fields.update({k: str(v) for k, v in json.loads(form).items()})
        else:
            fields.update(parse_qsl(form))
        if fields.get("columnId") != str(col) or not fields.get(page_key, "").isdigit():
            return None  # another list's
        page = int(fields[page_key])
        rows = [
            {url_key: i.href, title_key: i.title, "date": i.date}
            for i in items[(page - 1) * size : page * size]
        ]
        answer_: dict[str, object] = {"code": 0}
        _put(answer_, list_path, rows)
        if total_path:
            _put(answer_, total_path, len(items))
        else:
            _put(answer_, pages_path, math.ceil(len(items) / size))
        return Resource(json.dumps(answer_, ensure_ascii=False).encode(), JSON)

    p.dynamic.setdefault(api, []).append(answer)
    return directory


# How a script-built list gets its rows when not from a JSON API the page fetches: ``inline``,
# each page (index.html, index_1.html …) carries its rows in a script and a script writes the
# list and a pager of real links; ``jsonp``, rows from ``<script src=…?callback=…>``; ``fragment``,
# an HTML fragment fetched per page. The last two page by a script pager (onclick, no links):
# page numbers and 下一页, or 下一页 alone.
SCRIPT_MODES = ["json", "json", "json", "inline", "jsonp", "fragment"]

UNRECORDED_SCRIPT = """
(function () {
  var cfg = window.LIST_CFG;
  function show(rows, pages, current) {
    var ul = document.getElementById('list'); ul.innerHTML = '';
    rows.forEach(function (row) {
      var li = document.createElement('li'), a = document.createElement('a');
      a.href = row[0]; a.textContent = row[1]; li.appendChild(a); ul.appendChild(li);
    });
    var pager = document.getElementById('pager'); pager.innerHTML = '';
    if (cfg.nextOnly) { pager.appendChild(document.createTextNode('第' + current + '/' + pages + '页 ')); }
    for (var i = 1; i <= pages && !cfg.nextOnly; i++) {
      var b = document.createElement('a'); b.textContent = i;
      if (cfg.mode === 'inline') { b.href = i === 1 ? 'index.html' : 'index_' + (i - 1) + '.html'; }
      else { b.href = 'javascript:void(0)'; b.onclick = goTo(i); }
      pager.appendChild(b);
    }
    if (current < pages) {
      var next = document.createElement('a'); next.textContent = '下一页';
      if (cfg.mode === 'inline') { next.href = 'index_' + current + '.html'; }
      else { next.href = 'javascript:void(0)'; next.onclick = function () { go(current + 1); }; }
      pager.appendChild(next);
    }
  }
  function goTo(n) { return function () { go(n); }; }
  window.listCallback = function (answer) { show(answer.d, answer.n, answer.p); };
  function go(page) {
    var query = '?col=' + cfg.col + '&pg=' + page;
    if (cfg.mode === 'jsonp') {
      var old = document.getElementById('jsonp'); if (old) { old.parentNode.removeChild(old); }
      var s = document.createElement('script'); s.id = 'jsonp';
      s.src = cfg.api + query + '&callback=listCallback'; document.body.appendChild(s);
    } else {
      var x = new XMLHttpRequest(); x.open('GET', cfg.api + query);
      x.onload = function () {
        var box = document.createElement('div'); box.innerHTML = x.responseText;
        var rows = [].map.call(box.querySelectorAll('p.row'), function (p) {
          return [p.getAttribute('data-u'), p.textContent];
        });
        show(rows, +box.querySelector('b.n').textContent, page);
      };
      x.send();
    }
  }
  if (cfg.mode === 'inline') { show(window.LIST_ROWS, cfg.pages, cfg.current); } else { go(1); }
})();
"""


def unrecorded_list(
    p: Portal, mode: str, directory: str, items: list[Item], title: str, label: str, crumbs: str
) -> str:
    """A script-built list (``inline``, ``jsonp`` or ``fragment``, see :data:`SCRIPT_MODES`): the
    only way to its further pages is to render each one."""
    rng = p.rng
    size = rng.choice([3, 4, 5])
    col = p.uid()
    pages = paginate(items, size)
    api = rng.choice(["/api/lists.do", "/cms/list.jsp"])
    next_only = mode != "inline" and rng.random() < 0.5  # a pager of 下一页 alone (and 第k/N页)
    script = f'<script src="/js/unrecorded-list.js?v={mode}"></script>'
    p.resources[f"/js/unrecorded-list.js?v={mode}"] = Resource(
        UNRECORDED_SCRIPT.encode(), "application/javascript; charset=utf-8"
    )

    def rows(chunk: list[Item]) -> list[list[str]]:
        return [[item.href, item.title, item.date] for item in chunk]

    for k, chunk in enumerate(pages if mode == "inline" else pages[:1]):
        cfg = {
            "mode": mode,
            "col": col,
            "api": api,
            "pages": len(pages),
            "current": k + 1,
            "nextOnly": next_only,
        }
        data = (
            f"window.LIST_ROWS = {json.dumps(rows(chunk), ensure_ascii=False)};" if mode == "inline" else ""
        )
        data = f"<script>window.LIST_CFG = {json.dumps(cfg)};{data}</script>"
        body = f'<ul id="list"></ul><div id="pager"></div>{data}'
        path = directory + ("index.html" if k == 0 else f"index_{k}.html")
        p.html(path, title, body + script, column_name=label, crumbs=crumbs)

    def answer(method: str, query: dict[str, str], form: str) -> Resource | None:
        if query.get("col") != str(col) or not query.get("pg", "").isdigit():
            return None  # another list's
        page = int(query["pg"])
        chunk = pages[page - 1] if 1 <= page <= len(pages) else []
        if mode == "jsonp":
            answer_ = {"d": rows(chunk), "n": len(pages), "p": page}
            text = f"{query.get('callback', 'cb')}({json.dumps(answer_, ensure_ascii=False)});"
            return Resource(text.encode(), "application/javascript; charset=utf-8")
        fragment = "".join(f'<p class="row" data-u="{i.href}">{i.title}</p>' for i in chunk)
        return Resource(f"{fragment}<b class='n'>{len(pages)}</b>".encode(), "text/html; charset=utf-8")

    if mode != "inline":
        p.dynamic.setdefault(api, []).append(answer)
    return directory


def _put(obj: dict[str, object], path: str, value: object) -> None:
    *heads, last = path.split(".")
    for head in heads:
        obj = obj.setdefault(head, {})  # type: ignore[assignment]
    obj[last] = value


LISTS = {"trs": trs_list, "generic": generic_list, "hanweb": hanweb_list, "aspnet": aspnet_list,
         "scripted": scripted_list}  # fmt: skip


# --------------------------------------------------------------------------- the portal


def _article_maker(p: Portal, directory: str) -> Callable[[int, str], str]:
    family = p.family
    column = directory.strip("/").rsplit("col", 1)[-1] if family == "hanweb" else ""

    def article(n: int, date: str) -> str:
        y, m, d = (int(x) for x in date.split("-"))
        if family == "hanweb":
            return f"/art/{y}/{m}/{d}/art_{column}_{n}.html"
        if family == "trs":
            return f"{directory}{y}{m:02d}/t{y}{m:02d}{d:02d}_{n}.html"
        if family == "aspnet":
            return f"{directory}Detail_{n}.html"
        return p.rng.choice([f"/content/{n}.html", f"{directory}{n}.shtml", f"/art/{y}{m:02d}/{n}.htm"])

    return article


def _column_dir(p: Portal, under: str) -> str:
    if p.family == "hanweb":
        return f"/col/col{p.uid()}/"
    slug = p.rng.choice(COLUMN_SLUGS).format(n=p.uid())
    return f"{under}{slug}/"


def build_column(p: Portal, directory: str, label: str, crumbs: str) -> None:
    """The 年报 column: one list, or year / department sub-columns each with its list."""
    rng = p.rng
    lister = LISTS[p.family]
    split = (
        rng.choice(["none", "none", "year", "dept"]) if p.family in ("trs", "generic", "hanweb") else "none"
    )
    if split == "none":
        years = rng.sample(range(2016, 2024), rng.randint(2, 5))
        items = p.column_items(directory, _article_maker(p, directory), sorted(years, reverse=True))
        entry = lister(p, directory, items, label, label, crumbs)
        p.column_entry = entry
        return
    subs = []
    names = [
        str(y) + rng.choice(["年", "年度", ""]) for y in rng.sample(range(2017, 2024), rng.randint(2, 3))
    ]
    if split == "dept":
        names = rng.sample(DEPARTMENTS + TOWNS, rng.randint(2, 3))
        names = [n if not n.endswith(("局", "委员会", "办公室")) else f"{p.city}市{n}" for n in names]
    for name in names:
        if p.family == "hanweb" or (split == "dept" and rng.random() < 0.3):
            sub = _column_dir(p, "/") if p.family == "hanweb" else f"/bm/{p.uid()}/"
        else:
            sub = f"{directory}{p.uid() % 1000}/"
        years = [int(name[:4])] if split == "year" else rng.sample(range(2018, 2024), rng.randint(1, 3))
        items = p.column_items(sub, _article_maker(p, sub), years)
        entry = lister(p, sub, items, name, label, f"{crumbs} &gt; {name}")
        subs.append(f'<li><a href="{entry}">{name}</a></li>')
    page = directory + "index.html"
    p.html(page, label, f'<ul class="subcolumns">{"".join(subs)}</ul>', column_name=label, crumbs=crumbs)
    p.column_entry = directory


def filler(p: Portal, path: str, name: str) -> None:
    """A section of no interest: a few news links (and now and then a decoy)."""
    rng = p.rng
    rows = []
    for _ in range(rng.randint(2, 4)):
        n = p.uid()
        href = f"/xw/{n}.html"
        title = f"{p.city}市{rng.choice(NEWS)}"
        p.article_page(href, title, "<p>新闻内容。</p>")
        rows.append(f'<li><a href="{href}">{title}</a></li>')
    if rng.random() < 0.3:
        href = f"/xw/{p.uid()}.html"
        title = rng.choice(DECOY_FORMS).format(c=p.city, a=p.agency(), y=2021)
        p.article_page(href, title, "<p>不是年报。</p>")
        rows.append(f'<li><a href="{href}">{title}</a></li>')
    p.html(path, name, f"<ul>{''.join(rows)}</ul>", crumbs=name)


def generate(seed: int) -> tuple[Site, Truth]:
    p = Portal(seed)
    rng = p.rng
    depth = rng.randint(1, 4)
    fillers = rng.sample(FILLERS, rng.randint(2, 4))
    chain = []
    for level in range(depth - 1):
        pool = KEY_SECTIONS if level == 0 and rng.random() < 0.5 else ODD_SECTIONS
        name = rng.choice([x for x in pool if x not in chain])
        chain.append(name)
    paths = [f"/s{level}{p.uid()}/" for level in range(len(chain))]
    filler_paths = {name: f"/f{p.uid()}/" for name in fillers}
    p.nav = [(name, filler_paths[name]) for name in fillers]
    if chain:
        p.nav.insert(rng.randrange(len(p.nav) + 1), (chain[0], paths[0]))
    label = rng.choice(COLUMN_LABELS)
    under = paths[-1] if paths else "/"
    column_dir = _column_dir(p, under)
    crumbs = " &gt; ".join([*chain, label])
    build_column(p, column_dir, label.replace("<br>", ""), crumbs)
    column_link = f'<a href="{p.column_entry}">{label}</a>'
    # Sections from the deepest up: each links the next level among siblings of no interest.
    inner = column_link
    for level in range(len(chain) - 1, -1, -1):
        siblings = [
            f'<li><a href="/o{p.uid()}/">{rng.choice(ODD_SECTIONS + FILLERS)}</a></li>' for _ in range(2)
        ]
        for sib in siblings:
            href = sib.split('"')[1]
            filler(p, href + "index.html", "其他")
        entries = [f"<li>{inner}</li>", *siblings]
        rng.shuffle(entries)
        p.html(
            paths[level] + "index.html",
            chain[level],
            f'<ul class="menu">{"".join(entries)}</ul>',
            crumbs=chain[level],
        )
        inner = f'<a href="{paths[level]}">{chain[level]}</a>'
    for name, path in filler_paths.items():
        filler(p, path + "index.html", name)
    news = []
    for _ in range(3):
        href = f"/xw/{p.uid()}.html"
        title = f"{p.city}市{rng.choice(NEWS)}"
        p.article_page(href, title, "<p>新闻内容。</p>")
        news.append(f'<li><a href="{href}">{title}</a></li>')
    home_column = f"<div class='box'><h3>专题</h3>{column_link}</div>" if not chain else ""
    p.html("/", f"{p.city}市人民政府", f"<ul class='news'>{''.join(news)}</ul>{home_column}")
    for path, title in (("/lxwm.html", "联系我们"), ("/wzdt.html", "网站地图"), ("/en/", "English")):
        p.html(path, title, "<p>…</p>")
    p.resources["/robots.txt"] = Resource(b"User-agent: *\nDisallow: /admin/\n", "text/plain; charset=utf-8")
    site = Site(
        name=p.name,
        host=f"www.{p.name}.nianbao.test",
        agency=f"{p.city}市人民政府",
        resources=p.resources,
        expected_reports=[],
        decoys=sorted(p.truth.decoys),
        broken=[],
        dynamic=_dispatch(p.dynamic),
    )
    site.family = p.family  # type: ignore[attr-defined]
    site.script_mode = p.script_mode  # type: ignore[attr-defined]
    site.sections = chain  # type: ignore[attr-defined]  # the sections above the column, from home
    return site, p.truth


def _dispatch(routes: dict[str, list[Callable[[str, dict[str, str], str], Resource | None]]]) -> Callable:
    def dynamic(method: str, path: str, form: bytes) -> Resource | None:
        parts = urlsplit(path)
        for route in routes.get(parts.path, []):
            answer = route(method, dict(parse_qsl(parts.query)), form.decode("utf-8", "replace"))
            if answer is not None:
                return answer
        return None

    return dynamic


# --------------------------------------------------------------------------- crawling them


@dataclass
class Score:
    seeds: list[int]
    expected: int = 0  # report and attachment URLs the portals hold
    found: int = 0  # URLs the crawl took as reports or attachments
    right: int = 0  # … of which are in the truth
    failures: list[str] = field(default_factory=list)

    @property
    def recall(self) -> float:
        return self.right / self.expected if self.expected else 1.0

    @property
    def precision(self) -> float:
        return self.right / self.found if self.found else 1.0


def judge(
    db: sqlite3.Connection, url: Callable[[Site, str], str], portals: list[tuple[Site, Truth]]
) -> Score:
    """Recall and precision of reports and attachments (a decoy fetched as a report counts
    against precision; decoys may be kept as pages of another role)."""
    score = Score([int(site.name.removeprefix("gen")) for site, _ in portals])
    for site, truth in portals:
        expected = {("report", url(site, path)) for path in truth.reports}
        expected |= {("attachment", url(site, path)) for path in truth.attachments}
        rows = db.execute("SELECT url FROM reports WHERE site = ?", [site.name]).fetchall()
        found = {("report", row[0]) for row in rows}
        rows = db.execute(
            "SELECT url FROM fetches WHERE site = ? AND role = 'report'", [site.name]
        ).fetchall()
        found |= {("report", row[0]) for row in rows}
        rows = db.execute(
            "SELECT url FROM fetches WHERE site = ? AND role = 'attachment'", [site.name]
        ).fetchall()
        found |= {("attachment", row[0]) for row in rows}
        score.expected += len(expected)
        score.found += len(found)
        score.right += len(found & expected)
        if found != expected:
            seed = site.name.removeprefix("gen")
            score.failures.append(
                f"seed {seed} ({site.family}): missing {sorted(expected - found)}, "  # type: ignore[attr-defined]
                f"unexpected {sorted(found - expected)}  (replay: make fuzz-discovery SEED={seed})"
            )
    return score


def loopback_address(index: int) -> str:
    """A generated portal's own loopback address (127.0.30.1 on; ports are free ones, so
    another crawl on the same address at the same time does not collide).

    >>> loopback_address(0), loopback_address(250)
    ('127.0.30.1', '127.0.31.1')
    """
    return f"127.0.{30 + index // 250}.{index % 250 + 1}"


def crawl_seeds(seeds: list[int], tmp: Path, *, timeout: float = 900) -> Score:
    """Serve the portals of ``seeds`` on loopback addresses of their own (so the crawl takes
    them for distinct servers and crawls many at once) and crawl them in one ``nianbao crawl``,
    the portals with script-built lists first (they wait for the browser; the others run
    meanwhile, none is left to run alone at the end)."""
    from tests.helpers import FAST, run_cli, sites_yaml_for
    from tests.mockportal.server import MockServer

    portals = sorted((generate(seed) for seed in seeds), key=lambda p: not p[0].script_mode)  # type: ignore[attr-defined]
    sites = [site for site, _ in portals]
    addresses = {site.name: loopback_address(i) for i, site in enumerate(sites)}
    with MockServer(sites, proxy=False, addresses=addresses) as server:
        sites_file = sites_yaml_for(tmp / "sites.yaml", sites, server.base_url)
        result = run_cli(
            "crawl", "--sites", str(sites_file), "--data-dir", str(tmp / "data"), *FAST, timeout=timeout
        )
        if result.returncode not in (0, 1):
            raise RuntimeError(
                f"crawl of seeds {seeds} failed ({result.returncode}): {result.stderr[-2000:]}"
            )
        db = sqlite3.connect(tmp / "data" / "nianbao.db")
        try:
            return judge(db, lambda site, path: server.base_url(site.name).rstrip("/") + path, portals)
        finally:
            db.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.mockportal.generator")
    parser.add_argument("command", choices=["fuzz"])
    parser.add_argument("--n", type=int, default=500, help="how many portals")
    parser.add_argument("--start", type=int, default=1000, help="first seed")
    parser.add_argument("--seed", type=int, action="append", help="replay these seeds only")
    parser.add_argument("--batch", type=int, default=60, help="portals per crawl")
    args = parser.parse_args(argv)
    seeds = args.seed or list(range(args.start, args.start + args.n))
    total = Score(seeds)
    began = time.monotonic()
    for i in range(0, len(seeds), args.batch):
        batch = seeds[i : i + args.batch]
        with tempfile.TemporaryDirectory(prefix="nianbao-fuzz-") as tmp:
            score = crawl_seeds(batch, Path(tmp))
        total.expected += score.expected
        total.found += score.found
        total.right += score.right
        total.failures += score.failures
        print(
            f"seeds {batch[0]}–{batch[-1]}: recall {score.recall:.4f}, precision {score.precision:.4f}",
            flush=True,
        )
    for failure in total.failures:
        print(failure)
    print(
        f"{len(seeds)} portals, {total.expected} report/attachment URLs: recall {total.recall:.4f}, "
        f"precision {total.precision:.4f}, {len(total.failures)} failing seeds, {time.monotonic() - began:.0f} s"  # noqa: E501
    )
    return 1 if total.failures else 0


if __name__ == "__main__":
    sys.exit(main())
