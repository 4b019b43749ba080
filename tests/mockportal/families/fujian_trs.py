"""Mock portal **changle** (福州市长乐区人民政府) on Fujian's shared TRS platform.

Markup written for the mock, modelled on (not copied from) the Pingtan pages in
``realworld`` ("trt" classes, avalon ``ms-`` attributes, ``SiteInfo``, ``list2.trsapi``):

- Home ``/`` → 政府信息公开 ``/zwgk/zfxxgk/`` → 政府信息<br>公开年报 ``/zwgk/zfxxgk/zfxxgknb/``.
- The column page shows its first 10 items as static ``<dl><dd><a href="./YYYYMM/t…htm">``
  rows; the avalon template for the rest is empty markup, and no link leads further. The
  ``listModel`` script names ``channelid: SiteInfo.searchId`` (200211), ``classsql:
  "" || "chnlid=1813"``, ``prepage: 10``, ``recordCount: '27'``.
- ``POST /fjdzapp/search`` with that form and ``page=N`` answers JSON ``{"pageCount": 3,
  "page": N, "data": [{"doctitle", "docpuburl", "chnldocurl", "docreltime", "fileno",
  "puborg", "idxid", "chnlid", "doctype"}]}`` with absolute URLs, as the real platform does.
  Any other form (another channel, a missing field) gets a 404.
- Three reports are on the static page; three only in the API answers (pages 2 and 3), one
  of them listed as a DOCX file (``docpuburl`` ending ``.docx``) rather than an article.
- Attachments: ``./P0….docx`` in the ``.article_attachment`` list, and a
  ``javascript:openFile('./P0….docx')`` href.

>>> site = build()
>>> [r.year for r in site.expected_reports]
[2024, 2023, 2022, 2021, 2020, 2019]
>>> sorted(k for k in site.resources if k.startswith("POST"))[0].split(" ", 1)[0]
'POST'
"""

from __future__ import annotations

import json
from datetime import datetime
from functools import partial
from html import escape

from tests.mockportal.families.kit import (
    JSON,
    SECTION_PARTS,
    Item,
    SiteBuilder,
    attached_docx,
    brief,
    cst,
    paginate,
    seed_body,
    seed_file,
)
from tests.mockportal.server import post_key
from tests.mockportal.sites import DOCX, Resource, Site, file_resource, robots
from tests.mockportal.templates import paragraphs

NAME = "changle"
HOST = f"www.{NAME}.nianbao.test"
AGENCY = "福州市长乐区人民政府"
CITY = "长乐区"
SECTION = "/zwgk/zfxxgk/"
COLUMN = "/zwgk/zfxxgk/zfxxgknb/"
SEARCH_ID = "200211"
CHANNEL = "1813"
PREPAGE = 10
SEARCH = "/fjdzapp/search"
SORT = "-docorderpri,-docreltime"
PATTERN = "NRDNRNDNRN" + "NDNRNDNNRN" + "NRNNNNN"  # 10 static, then API pages 2 and 3


_when = partial(cst, hh=15, mm=35)  # the portal's usual hour of publishing


# (title, seed, published, form): "attached" full body + DOCX in the attachment list,
# "openfile" cover + javascript:openFile DOCX, "body" full body only, "file" listed as a DOCX.
REPORTS = [
    ("福州市长乐区2024年度政府信息公开工作年度报告", "001", _when(2025, 3, 10), "attached"),
    ("福州市长乐区2023年度政府信息公开工作年度报告", "003", _when(2024, 3, 8), "openfile"),
    ("福州市长乐区2022年度政府信息公开工作年度报告", "004", _when(2023, 2, 20), "body"),
    ("福州市长乐区2021年度政府信息公开工作年度报告", "000", _when(2022, 2, 8), "file"),
    ("福州市长乐区2020年度政府信息公开工作年度报告", "002", _when(2021, 3, 5), "attached"),
    ("福州市长乐区2019年度政府信息公开工作年度报告", "003", _when(2020, 1, 20), "body"),
]


def _p0(when: datetime, n: int, ext: str) -> str:
    return f"P0{when:%Y%m%d}{(when.toordinal() * 3571 + n * 7919) % 10**12:012d}.{ext}"


class _Builder(SiteBuilder):
    def __init__(self) -> None:
        super().__init__(NAME, HOST, AGENCY, updated=_when(2025, 3, 20))

    def page(self, title: str, column: str, main: str, meta: dict[str, str] | None = None) -> str:
        metas = {"SiteName": AGENCY, "SiteDomain": HOST, "SiteIDCode": "3501120001", "ColumnName": column}
        metas.update(meta or {})
        meta_html = "\n".join(f'<meta name="{k}" content="{escape(v)}"/>' for k, v in metas.items())
        return f"""<!DOCTYPE html>
<html ms-controller="windowRoot">
<head>
<meta charset="utf-8" name="viewport" content="width=device-width, initial-scale=1.0"/>
{meta_html}
<title>{escape(title)}_{AGENCY}</title>
</head>
<body>
<div class="warp info_public_bg">
<div class="header"><div class="logo trt-col-9"><a href="/">{AGENCY}</a></div>
<ul class="nav"><li><a href="/">首页</a></li><li><a href="{SECTION}">政府信息公开</a></li></ul></div>
<div class="row">{main}</div>
<div class="footer"><p>主办：{AGENCY}办公室</p></div>
</div>
</body>
</html>
"""

    def side_menu(self) -> str:
        parts = [
            (f"{SECTION}zfxxgkzn/", "政府信息<br>公开指南"),
            (f"{SECTION}zfxxgkzd/", "政府信息<br>公开制度"),
            (f"{SECTION}fdzdgknr/", "法定主动<br>公开内容"),
            (COLUMN, "政府信息<br>公开年报"),
        ]
        rows = "".join(f'<li><h3><a href="{href}"><span>{text}</span></a></h3></li>' for href, text in parts)
        return f'<div class="trt-col-5 xxgk_nav"><ul>{rows}</ul></div>'

    # -- the column: its static page, and the search API for every page
    def column(self, items: list[Item]) -> None:
        self.column_page(items)
        self.api_pages(items)

    def column_page(self, items: list[Item]) -> None:
        rows = "".join(
            f"""
<dl><dd class="trt-col-sm-24 text_align_left"><a href="./{it.path.removeprefix(COLUMN)}" target="_blank" \
title="{escape(it.title)}">{escape(it.title)}</a></dd>
<dd class="trt-col-4 trt-col-sm-24 text_align_left">{it.when:%Y-%m-%d}</dd></dl>"""
            for it in items[:PREPAGE]
        )
        main = f"""{self.side_menu()}
<div class="trt-col-19 tabs info_tabs" ms-controller="list">
<div class="tabs_header"><ul><li class="on"><a class="cur_def" href="javascript:;">政府信息公开年报</a>\
</li></ul></div>
<div class="rules_tabs_01" ms-visible="showStatic">{rows}
</div>
<div class="rules_tabs_01" ms-visible="!showStatic" style="display: none">
<dl ms-if="list.length>0" ms-repeat="list"><dd><a ms-attr-href="el.chnldocurl" ms-attr-title="el.doctitle" \
ms-text="el.doctitle|html" target="_blank"></a></dd><dd ms-text="el.docreltime|date('yyyy-MM-dd')"></dd></dl>
</div>
<div class="page_base" ms-controller="list_pagebar" ms-include-src="pgTemp" ms-if="pageCount>0"></div>
</div>
<script>var SiteInfo = {{ itpSiteId: 21, searchId: {SEARCH_ID}, defaultPgTemp: "pgBar_pt.html" }};</script>
<script>
require(["list2.trsapi", "tools"], function(listModel, tools) {{
    listModel({{
        quickMode: "动静结合",
        maxStaticIndex: 1,
        listArgs: {{
            channelid: SiteInfo.searchId,
            classsql: "" || "chnlid={CHANNEL}",
            sortfield: "{SORT}"
        }},
        pagebar: {{
            prepage: {PREPAGE},
            recordCount: '{len(items)}',
            pgTemp: "pgBar_xxgk.html",
            pgCountMode: "recordCount"
        }}
    }});
}});
</script>"""
        meta = {"ChnlId": CHANNEL, "SiteId": "7"}
        self.html(COLUMN + "index.html", self.page("政府信息公开年报", "政府信息公开年报", main, meta))

    def api_pages(self, items: list[Item]) -> None:
        """The search API's answer for every page, keyed by the form a browser sends."""
        chunks = paginate(items, PREPAGE)
        pages = len(chunks)
        for n, chunk in enumerate(chunks, start=1):
            docs = [self.doc(it) for it in chunk]
            answer = {"pageCount": pages, "page": n, "prepage": PREPAGE, "data": docs}
            form = {
                "channelid": SEARCH_ID,
                "classsql": f"chnlid={CHANNEL}",
                "sortfield": SORT,
                "prepage": str(PREPAGE),
                "page": str(n),
            }
            body = json.dumps(answer, ensure_ascii=False, indent=1).encode("utf-8")
            self.resources[post_key(SEARCH, form)] = Resource(body, JSON)

    def doc(self, item: Item) -> dict[str, object]:
        url = f"http://{HOST}{item.path}"
        return {
            "docid": item.doc_id,
            "doctitle": item.title,
            "docpuburl": url,
            "chnldocurl": url,
            "docreltime": f"{item.when:%Y-%m-%d %H:%M:%S}",
            "fileno": "",
            "puborg": f"{AGENCY}办公室",
            "idxid": f"FZ1120-0101-{item.when:%Y}-{item.doc_id:05d}",
            "chnlid": int(CHANNEL),
            "doctype": 20 if item.path.endswith(".docx") else 1,
        }

    # -- articles
    def article(self, item: Item, form: str | None) -> None:
        folder = f"{COLUMN}{item.when:%Y%m}/"
        item.path = f"{folder}t{item.when:%Y%m%d}_{item.doc_id}.htm"
        if form is None:
            body, files, listed = brief(item), {}, []
        elif form == "file":
            name = _p0(item.when, 0, "docx")
            item.path = folder + name
            data = seed_file(item.seed, ".docx")
            self.resources[item.path] = file_resource(data, DOCX, item.when)
            self.listed(item)
            return
        else:
            body, files, listed = self.report_body(item, form, folder)
        self.resources.update(files)
        attachment = "".join(f'<li><a href="{href}">{escape(text)}</a></li>' for href, text in listed)
        main = f"""<div class="article">
<div class="article_title"><h1>{escape(item.title)}</h1></div>
<div class="trt-row"><span class="article_source">来源：{AGENCY}办公室</span>
<span class="article_time">时间：{item.when:%Y-%m-%d %H:%M}</span></div>
<div class="article_area"><div class="article_content font_family_cn"><div class=TRS_Editor>
{body}
</div></div></div>
<div class="article_attachment" id="file_xmb"><div class="title_base">附件下载</div>
<ul id="file_ul_fj">{attachment}</ul></div>
</div>"""
        meta = {
            "ArticleTitle": item.title,
            "PubDate": f"{item.when:%Y-%m-%d %H:%M}",
            "ContentSource": f"{AGENCY}办公室",
            "DocId": str(item.doc_id),
            "ChnlId": CHANNEL,
        }
        self.html(item.path, self.page(item.title, "政府信息公开年报", main, meta), item.when)
        self.listed(item, files)

    def report_body(self, item: Item, form: str, folder: str) -> tuple[str, dict, list[tuple[str, str]]]:
        docx = _p0(item.when, 1, "docx")
        file = {folder + docx: file_resource(attached_docx(), DOCX, item.when)}
        if form == "attached":
            return seed_body(item.seed), file, [(f"./{docx}", f"{item.title}.docx")]
        if form == "openfile":
            cover = paragraphs([f"现将{item.title}予以公布。"])
            link = f"<p><a href=\"javascript:openFile('./{docx}')\">{escape(item.title)}（全文）</a></p>"
            return cover + "\n" + link, file, []
        return seed_body(item.seed), {}, []

    def static_pages(self) -> None:
        home = f'<ul><li><a href="{SECTION}">政府信息公开</a></li></ul>'
        self.html("/", self.page(AGENCY, "首页", f'<div class="box"><h2>政务公开</h2>{home}</div>'))
        self.html(SECTION + "index.html", self.page("政府信息公开", "政府信息公开", self.side_menu()))
        for slug, title in SECTION_PARTS:
            text = paragraphs([AGENCY + title])
            main = self.side_menu() + f'<div class="article"><h1>{title}</h1>{text}</div>'
            self.html(f"{SECTION}{slug}/index.html", self.page(title, title, main))
        self.resources["/robots.txt"] = robots(self.updated)


def build() -> Site:
    return _Builder().build(PATTERN, REPORTS, city=CITY, department="福州市长乐区财政局", first_id=80480)
