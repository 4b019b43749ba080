"""Mock Guangdong gkmlpt portal **jiangmen** (江门市人民政府).

Markup and API written for the mock, modelled on what PORTALS.md and public crawlers of
gkmlpt sites state (``window._CONFIG`` with the site id ``SID``; lists drawn in the browser
from ``/gkmlpt/api/all/{category}?page=N&sid=…`` as ``{"total", "articles": [{"id", "title",
"url", "publisher", "identifier", "document_number", "attachment", …}]}``; articles at
``/gkmlpt/content/{a}/{b}/post_{id}.html``). The annual-report page naming its category in a
``CATEGORIES`` tree of ``_CONFIG`` is this mock's own convention.

- Home ``/`` → 政府信息公开 ``/gkmlpt/index`` → 政府信息<br>公开年报 ``/gkmlpt/annualreport``.
- The annual-report page holds no item at all: everything (14 items, 5 per page, three
  pages) comes from the API, as absolute URLs.
- Article pages carry the 索引号 / 分类 / 发布机构 / 成文日期 / 文号 / 发布日期 / 名称 table and
  attachments under ``/attachment/0/…``: linked, behind ``onclick="window.open('…')"``.

>>> site = build()
>>> len(site.expected_reports), sorted(k for k in site.resources if "/api/" in k)[0]
(4, '/gkmlpt/api/all/2735?page=1&sid=750001')
"""

from __future__ import annotations

import json
from functools import partial
from html import escape

from tests.mockportal.families.kit import (
    JSON,
    Item,
    SiteBuilder,
    attached_docx,
    brief,
    cst,
    paginate,
    seed_body,
)
from tests.mockportal.sites import DOCX, Resource, Site, file_resource, robots
from tests.mockportal.templates import paragraphs

NAME = "jiangmen"
HOST = f"www.{NAME}.nianbao.test"
AGENCY = "江门市人民政府"
CITY = "江门市"
SID = "750001"
CATEGORY = 2735
INDEX = "/gkmlpt/index"
COLUMN = "/gkmlpt/annualreport"
PAGE_SIZE = 5
PATTERN = "NRDND" + "NRNDN" + "DRDR"


_when = partial(cst, hh=16, mm=20)  # the portal's usual hour of publishing


# (title, seed, published, how the DOCX is linked: block | onclick | none)
REPORTS = [
    ("江门市人民政府办公室2023年政府信息公开工作年度报告", "001", _when(2024, 1, 26), "block"),
    ("江门市司法局2022年政府信息公开工作年度报告", "003", _when(2023, 1, 18), "onclick"),
    ("江门市自然资源局2021年政府信息公开工作年度报告", "004", _when(2022, 1, 21), "none"),
    ("江门市人力资源和社会保障局2020年政府信息公开工作年度报告", "002", _when(2021, 1, 29), "block"),
]


def api_path(page: int) -> str:
    return f"/gkmlpt/api/all/{CATEGORY}?page={page}&sid={SID}"


class _Builder(SiteBuilder):
    def __init__(self) -> None:
        super().__init__(NAME, HOST, AGENCY, updated=_when(2024, 2, 1))
        self.attachments: dict[str, list[dict[str, str]]] = {}  # the API's, by article path

    def page(self, title: str, main: str, config: str = "", meta: dict[str, str] | None = None) -> str:
        metas = {"SiteName": AGENCY, "SiteDomain": HOST, "SiteIDCode": "4407000001", **(meta or {})}
        meta_html = "\n".join(f'<meta name="{k}" content="{escape(v)}">' for k, v in metas.items())
        script = f"<script>window._CONFIG = {config};</script>" if config else ""
        return f"""<!DOCTYPE html>
<html>
<head>
<meta charset="utf-8">
{meta_html}
<title>{escape(title)}-{AGENCY}</title>
{script}
</head>
<body>
<div class="header"><a href="/">{AGENCY}</a></div>
<div class="nav"><a href="/">首页</a> <a href="{INDEX}">政府信息公开</a></div>
<div class="main">{main}</div>
<div class="footer">{AGENCY}办公室主办</div>
</body>
</html>
"""

    def menu(self) -> str:
        parts = [
            ("/gkmlpt/guide", "政府信息<br>公开指南"),
            ("/gkmlpt/policy", "政府信息<br>公开制度"),
            (INDEX, "法定主动<br>公开内容"),
            (COLUMN, "政府信息<br>公开年报"),
        ]
        return (
            '<ul class="gkml-menu">' + "".join(f'<li><a href="{h}">{t}</a></li>' for h, t in parts) + "</ul>"
        )

    def config(self, extra: str = "") -> str:
        return f"{{SID: '{SID}', ROOT: '/gkmlpt/', SITE_NAME: '{AGENCY}'{extra}}}"

    # -- the column: a page with nothing in it, and the API
    def column(self, items: list[Item]) -> None:
        tree = (
            ", CATEGORIES: [{id: 2731, name: '政府信息公开指南'}, {id: 2733, name: '机构职能'},"
            f" {{id: {CATEGORY}, name: '政府信息公开年报'}}, {{id: 2741, name: '财政预决算'}}]"
        )
        main = f'{self.menu()}<div id="app" class="gkml-list"><div class="loading">加载中……</div></div>'
        self.html(
            COLUMN, self.page("政府信息公开年报", main, self.config(tree), {"ColumnName": "政府信息公开年报"})
        )
        for n, chunk in enumerate(paginate(items, PAGE_SIZE), start=1):
            answer = {"total": len(items), "page": n, "articles": [self.article_json(it) for it in chunk]}
            body = json.dumps(answer, ensure_ascii=False).encode("utf-8")
            self.resources[api_path(n)] = Resource(body, JSON)

    def article_json(self, item: Item) -> dict[str, object]:
        url = f"http://{HOST}{item.path}"
        return {
            "id": item.doc_id,
            "title": item.title,
            "url": url,
            "post_url": url,
            "publisher": self.publisher(item),
            "identifier": self.index_no(item),
            "document_number": "",
            "display_publish_time": int(item.when.timestamp()),
            "attachment": self.attachments.get(item.path, []),
        }

    def publisher(self, item: Item) -> str:
        return item.title.split("20", 1)[0] if item.kind == "report" else f"{AGENCY}办公室"

    def index_no(self, item: Item) -> str:
        return f"007023{item.doc_id % 1000:03d}/{item.when:%Y}-{item.doc_id % 100000:05d}"

    # -- articles
    def article(self, item: Item, how: str | None) -> None:
        item.path = (
            f"/gkmlpt/content/{item.doc_id // 1000000}/{item.doc_id // 1000 % 1000}/post_{item.doc_id}.html"
        )
        files: dict[str, Resource] = {}
        links = ""
        if how is None:
            body = brief(item)
        else:
            body = seed_body(item.seed)
            folder = f"/attachment/0/{item.doc_id % 1000}/{item.doc_id % 1000}{item.doc_id % 97}/"
            file_path = f"{folder}{item.doc_id}.docx"
            name = f"{item.title}.docx"
            if how != "none":
                files[file_path] = file_resource(attached_docx(), DOCX, item.when)
                self.attachments[item.path] = [{"name": name, "url": f"http://{HOST}{file_path}"}]
            if how == "block":
                links = f'<li><a href="{file_path}">{escape(name)}</a></li>'
            elif how == "onclick":
                opener = f"window.open('{file_path}')"
                links = f'<li><a href="javascript:void(0)" onclick="{opener}">{escape(name)}</a></li>'
        rows = [
            ("索引号", self.index_no(item), "分类", "其他"),
            ("发布机构", self.publisher(item), "成文日期", f"{item.when:%Y-%m-%d}"),
            ("文号", "", "发布日期", f"{item.when:%Y-%m-%d}"),
        ]
        table = "".join(
            f"<tr><th>{a}：</th><td>{escape(b)}</td><th>{c}：</th><td>{escape(d)}</td></tr>"
            for a, b, c, d in rows
        )
        table += f'<tr><th>名称：</th><td colspan="3">{escape(item.title)}</td></tr>'
        main = f"""<div class="content">
<table class="classify">{table}</table>
<h1 class="title">{escape(item.title)}</h1>
<div class="article-content">{body}</div>
<div class="attachment"><ul>{links}</ul></div>
</div>"""
        meta = {"ArticleTitle": item.title, "PubDate": f"{item.when:%Y-%m-%d %H:%M}"}
        self.html(item.path, self.page(item.title, main, meta=meta), item.when)
        self.resources.update(files)
        self.listed(item, files)

    def static_pages(self) -> None:
        self.html("/", self.page(AGENCY, f'<ul><li><a href="{INDEX}">政府信息公开</a></li></ul>'))
        self.html(INDEX, self.page("政府信息公开", self.menu() + '<div id="app"></div>', self.config()))
        for path, title in [("/gkmlpt/guide", "政府信息公开指南"), ("/gkmlpt/policy", "政府信息公开制度")]:
            main = self.menu() + f"<h1>{title}</h1>" + paragraphs([AGENCY + title])
            self.html(path, self.page(title, main, self.config()))
        self.resources["/robots.txt"] = robots(self.updated)


def build() -> Site:
    return _Builder().build(PATTERN, REPORTS, city=CITY, department="江门市财政局", first_id=2735000 + 3100)
