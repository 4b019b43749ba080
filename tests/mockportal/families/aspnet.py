"""Mock ASP.NET WebForms portal **zhoukou** (周口市人民政府): a GridView paged by postback.

Markup written for the mock after the usual WebForms output: one ``<form id="aspnetForm"
method="post">`` per page with ``__VIEWSTATE`` / ``__VIEWSTATEGENERATOR`` /
``__EVENTVALIDATION``, the ``__doPostBack`` helper script, a GridView table whose pager row
links ``javascript:__doPostBack('ctl00$ContentPlaceHolder1$gvList','Page$N')``.

- Home ``/`` → 政府信息公开 ``/xxgk/Default.aspx`` → 政府信息公开年报 ``/xxgk/ndbg/List.aspx``.
- A GET of the list is page 1; pages 2–4 exist only as answers to a POST of the page's own
  form (every input, its view state included) with ``__EVENTTARGET`` / ``__EVENTARGUMENT``
  set. The server knows each page's view state: a POST carrying another page's state, or
  none, gets the GET answer (page 1) instead, like a server that drops a bad view state.
- Items ``Show.aspx?id=N``; attachments ``/UploadFiles/…docx`` linked directly or through
  ``/Common/DownLoad.aspx?file=…`` (a 302 to the file).
- Four reports among decoys and news, one per page.

>>> site = build()
>>> len(site.expected_reports), len([k for k in site.resources if k.startswith("POST")])
(4, 12)
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence
from functools import partial
from html import escape
from urllib.parse import quote

from tests.mockportal.families.kit import (
    Item,
    SiteBuilder,
    attached_docx,
    brief,
    cst,
    paginate,
    seed_body,
)
from tests.mockportal.server import post_key
from tests.mockportal.sites import DOCX, Resource, Site, file_resource, html_resource, robots
from tests.mockportal.templates import paragraphs

NAME = "zhoukou"
HOST = f"www.{NAME}.nianbao.test"
AGENCY = "周口市人民政府"
CITY = "周口市"
SECTION = "/xxgk/Default.aspx"
FOLDER = "/xxgk/ndbg/"
LIST = FOLDER + "List.aspx"
GRID = "ctl00$ContentPlaceHolder1$gvList"
PAGE_SIZE = 5
PARTS = [  # the section's parts beside the 年报 column
    ("/xxgk/zn/Default.aspx", "政府信息公开指南"),
    ("/xxgk/zd/Default.aspx", "政府信息公开制度"),
    ("/xxgk/fdzdgknr/Default.aspx", "法定主动公开内容"),
]
PATTERN = "NRDNN" + "NDNRN" + "DNNRN" + "DRD"


_when = partial(cst, hh=10, mm=15)  # the portal's usual hour of publishing


# (title, seed, published, how the DOCX is linked: direct | download | none)
REPORTS = [
    ("周口市人民政府办公室2022年政府信息公开工作年度报告", "001", _when(2023, 1, 30), "direct"),
    ("周口市发展和改革委员会2021年政府信息公开工作年度报告", "003", _when(2022, 2, 16), "download"),
    ("周口市住房和城乡建设局2020年政府信息公开工作年度报告", "004", _when(2021, 1, 27), "none"),
    ("周口市交通运输局2019年政府信息公开工作年度报告", "000", _when(2020, 1, 20), "direct"),
]


def view_state(page: int) -> str:
    """A page's view state (opaque to clients, like the real thing)."""
    digest = hashlib.sha1(f"{NAME}:gvList:{page}".encode()).hexdigest()
    return base64.b64encode(
        f"/wEPDwUKMTY1NDU2MTA1Mg9kFgJmD2QWAgIDD2QWAmYPPCsAEQMADxYEHgtfIURh{digest}".encode()
    ).decode()


def event_validation(page: int) -> str:
    digest = hashlib.sha1(f"{NAME}:ev:{page}".encode()).hexdigest()
    return base64.b64encode(f"/wEdAAa{digest}".encode()).decode()


def form_fields(page: int, target: str = "", argument: str = "") -> dict[str, str]:
    """What a browser posts back from list page ``page`` when a pager link is clicked."""
    return {
        "__EVENTTARGET": target,
        "__EVENTARGUMENT": argument,
        "__VIEWSTATE": view_state(page),
        "__VIEWSTATEGENERATOR": "0DC2F6F3",
        "__EVENTVALIDATION": event_validation(page),
        "ctl00$txtKeyword": "",
    }


class _Builder(SiteBuilder):
    def __init__(self) -> None:
        super().__init__(NAME, HOST, AGENCY, updated=_when(2023, 2, 20))

    def page(
        self, title: str, action: str, main: str, state: int = 0, meta: dict[str, str] | None = None
    ) -> str:
        metas = {"SiteName": AGENCY, "ColumnName": title if action == LIST else "", **(meta or {})}
        meta_html = "\n".join(f'<meta name="{k}" content="{escape(v)}" />' for k, v in metas.items() if v)
        hidden = "".join(
            f'<input type="hidden" name="{k}" id="{k}" value="{escape(v)}" />'
            for k, v in form_fields(state).items()
            if k.startswith("__")
        )
        return f"""<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" \
"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
<html xmlns="http://www.w3.org/1999/xhtml">
<head><meta http-equiv="Content-Type" content="text/html; charset=utf-8" />
{meta_html}
<title>{escape(title)} - {AGENCY}</title></head>
<body>
<form name="aspnetForm" method="post" action="{action}" id="aspnetForm">
<div>{hidden}</div>
<script type="text/javascript">
//<![CDATA[
var theForm = document.forms['aspnetForm'] || document.aspnetForm;
function __doPostBack(eventTarget, eventArgument) {{
    if (!theForm.onsubmit || (theForm.onsubmit() != false)) {{
        theForm.__EVENTTARGET.value = eventTarget;
        theForm.__EVENTARGUMENT.value = eventArgument;
        theForm.submit();
    }}
}}
//]]>
</script>
<div class="top"><a href="/">{AGENCY}</a>
<input name="ctl00$txtKeyword" type="text" id="ctl00_txtKeyword" />
<input type="submit" name="ctl00$btnSearch" value="搜索" id="ctl00_btnSearch" /></div>
<div class="menu"><a href="/">首页</a> | <a href="{SECTION}">政府信息公开</a></div>
<div class="main">{main}</div>
<div class="foot">{AGENCY}办公室 主办</div>
</form>
</body>
</html>
"""

    def side(self) -> str:
        parts = [*PARTS, (LIST, "政府信息公开年报")]
        return '<ul class="left">' + "".join(f'<li><a href="{h}">{t}</a></li>' for h, t in parts) + "</ul>"

    # -- the GridView
    def grid(self, chunk: Sequence[Item], k: int, pages: int) -> str:
        rows = "".join(
            f'<tr><td><a href="{it.path.removeprefix(FOLDER)}" target="_blank" title="{escape(it.title)}">'
            f"{escape(it.title)}</a></td><td>{it.when:%Y-%m-%d}</td></tr>"
            for it in chunk
        )
        cells = []
        for n in range(1, pages + 1):
            if n == k:
                cells.append(f"<td><span>{n}</span></td>")
            else:
                cells.append(f"<td><a href=\"javascript:__doPostBack('{GRID}','Page${n}')\">{n}</a></td>")
        pager = f'<tr class="pager"><td colspan="2"><table><tr>{"".join(cells)}</tr></table></td></tr>'
        return (
            f'{self.side()}<div class="right"><h2>政府信息公开年报</h2>'
            '<table class="gv" cellspacing="0" rules="all" border="1" id="ctl00_ContentPlaceHolder1_gvList">'
            f"<tr><th>标题</th><th>发布日期</th></tr>{rows}{pager}</table></div>"
        )

    def column(self, items: list[Item]) -> None:
        chunks = paginate(items, PAGE_SIZE)
        pages = len(chunks)
        html = {
            k: self.page("政府信息公开年报", LIST, self.grid(chunk, k, pages), state=k)
            for k, chunk in enumerate(chunks, start=1)
        }
        self.html(LIST, html[1])
        for source in range(1, pages + 1):
            for target in range(1, pages + 1):
                if target != source:
                    key = post_key(LIST, form_fields(source, GRID, f"Page${target}"))
                    self.resources[key] = html_resource(html[target], self.updated)

    # -- detail pages
    def article(self, item: Item, how: str | None) -> None:
        item.path = f"{FOLDER}Show.aspx?id={item.doc_id}"
        files: dict[str, Resource] = {}
        linked: list[tuple[str, str]] = []
        if how is None:
            body = brief(item)
        else:
            body = seed_body(item.seed)
            stored = f"/UploadFiles/xxgk/{item.when:%Y/%m}/{item.when:%Y%m%d%H%M%S}{item.doc_id}.docx"
            if how != "none":
                files[stored] = file_resource(attached_docx(), DOCX, item.when)
            if how == "direct":
                linked.append((stored, f"{item.title}.docx"))
            elif how == "download":
                href = f"/Common/DownLoad.aspx?file={quote(stored)}"
                files[href] = Resource(b"Object moved", "text/html; charset=utf-8", 302, {"Location": stored})
                linked.append((href, f"{item.title}.docx"))
        rows = "".join(f'<li><a href="{escape(h)}">{escape(t)}</a></li>' for h, t in linked)
        main = f"""<div class="detail">
<h1 id="ctl00_ContentPlaceHolder1_lblTitle">{escape(item.title)}</h1>
<div class="info">发布日期：<span id="ctl00_ContentPlaceHolder1_lblDate">{item.when:%Y-%m-%d}</span>
来源：<span>{AGENCY}办公室</span></div>
<div class="body" id="ctl00_ContentPlaceHolder1_divContent">{body}</div>
<div class="fujian">附件：<ul>{rows}</ul></div>
</div>"""
        meta = {"ArticleTitle": item.title, "PubDate": f"{item.when:%Y-%m-%d}"}
        self.html(item.path, self.page(item.title, f"Show.aspx?id={item.doc_id}", main, meta=meta), item.when)
        self.resources.update(files)
        self.listed(item, [h for h, _ in linked])

    def static_pages(self) -> None:
        home = f'<ul><li><a href="{SECTION}">政府信息公开</a></li></ul>'
        self.html("/", self.page(AGENCY, "/", home))
        self.html(SECTION, self.page("政府信息公开", "Default.aspx", self.side()))
        for path, title in PARTS:
            main = self.side() + f"<h1>{title}</h1>" + paragraphs([AGENCY + title])
            self.html(path, self.page(title, "Default.aspx", main))
        self.resources["/robots.txt"] = robots(self.updated)


def build() -> Site:
    return _Builder().build(PATTERN, REPORTS, city=CITY, department="周口市财政局", first_id=10235)
