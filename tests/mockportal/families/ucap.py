"""Mock 开普云 Ucap portal **fengxin** (奉新县人民政府, site code ``fxxrmzf``).

Markup written for the mock, modelled on (not copied from) the Jiangxi Ucap pages in
``realworld/portals_cms`` (gov ``<meta>`` tags, ``webSiteCode`` / ``manuscriptId`` script
variables, ``<ucaptitle>``, ``<publishtime>``, ``<ucapcontent>``, the ``.fj-a`` 相关附件 block
hidden by script when empty):

- ``/`` redirects (302) to ``/fxxrmzf/index.shtml`` → 政务公开 ``/fxxrmzf/zwgk/zwgk.shtml`` →
  政府信息公开年报 ``/fxxrmzf/zfxxgknb/list.shtml``.
- The column has five pages of four (``list.shtml``, ``list_2.shtml`` … ``list_5.shtml``); the
  pager says ``共5页`` and its links are ``javascript:goPage(n)`` calls: no URL of a later page
  is written anywhere.
- Articles ``/fxxrmzf/zfxxgknb/{YYYYMM}/{32 hex}.shtml``; files ``…/{32 hex}/files/{32 hex}.docx``
  linked from the ``.fj-a`` block (root-relative, or absolute with the host), or from the body
  (relative); one report has an empty, hidden ``.fj-a``.
- Four reports among decoys and news; three are past page 1.

>>> site = build()
>>> len(site.expected_reports), site.resources["/"].status
(4, 302)
"""

from __future__ import annotations

from functools import partial
from html import escape

from tests.mockportal.families.kit import (
    SECTION_PARTS,
    Item,
    SiteBuilder,
    attached_docx,
    brief,
    cst,
    hex32,
    paginate,
    seed_body,
)
from tests.mockportal.sites import DOCX, Resource, Site, file_resource, robots
from tests.mockportal.templates import paragraphs

NAME = "fengxin"
HOST = f"www.{NAME}.nianbao.test"
AGENCY = "奉新县人民政府"
CITY = "奉新县"
CODE = "fxxrmzf"
HOME = f"/{CODE}/index.shtml"
SECTION = f"/{CODE}/zwgk/zwgk.shtml"
COLUMN = f"/{CODE}/zfxxgknb/"
PAGE_SIZE = 4
PATTERN = "NRDN" + "NDNR" + "DNNN" + "NRDN" + "NDRN"


_when = partial(cst, hh=10, mm=0)  # the portal's usual hour of publishing


# (title, seed, published, how the DOCX is linked: block | body | none | absolute)
REPORTS = [
    ("奉新县人民政府办公室2022年政府信息公开工作年度报告", "001", _when(2023, 1, 30), "block"),
    ("奉新县发展和改革委员会2021年政府信息公开工作年度报告", "003", _when(2022, 1, 25), "body"),
    ("奉新县教育体育局2020年政府信息公开工作年度报告", "004", _when(2021, 1, 28), "none"),
    ("奉新县卫生健康委员会2019年政府信息公开工作年度报告", "000", _when(2020, 1, 22), "absolute"),
]


def list_page(k: int) -> str:
    """Path of column page ``k`` (1-based)."""
    return f"{COLUMN}list.shtml" if k == 1 else f"{COLUMN}list_{k}.shtml"


class _Builder(SiteBuilder):
    def __init__(self) -> None:
        super().__init__(NAME, HOST, AGENCY, updated=_when(2023, 2, 15))

    def page(
        self, title: str, column: str, main: str, meta: dict[str, str] | None = None, manuscript: str = ""
    ) -> str:
        metas = {"SiteName": AGENCY, "SiteDomain": HOST, "SiteIDCode": "3609210001", "ColumnName": column}
        metas.update(meta or {})
        meta_html = "\n".join(f'<meta name="{k}" content="{escape(v)}">' for k, v in metas.items())
        return f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
{meta_html}
<title>{escape(title)} _ {AGENCY}</title>
<script type="text/javascript">
  var websiteId = "{hex32(CODE)}",
      webSiteCode = "{CODE}",
      manuscriptId = "{manuscript}";
</script>
</head>
<body>
<div class="header"><a href="{HOME}">{AGENCY}</a>
<a class="header_ssbtn" target="_blank" href="{HOME}">站内搜索</a></div>
<div class="nav"><ul><li><a href="{HOME}">网站首页</a></li>
<li><a href="{SECTION}">政务公开</a></li></ul></div>
<div class="container">{main}</div>
<div class="footer"><p>主办单位：{AGENCY}办公室</p></div>
</body>
</html>
"""

    def side_menu(self) -> str:
        parts = [(f"/{CODE}/{slug}/list.shtml", title) for slug, title in SECTION_PARTS]
        parts.append((list_page(1), "政府信息公开年报"))
        rows = "".join(f'<li><a href="{href}">{text}</a></li>' for href, text in parts)
        return f'<div class="xxgk-left"><ul class="xxgk-menu">{rows}</ul></div>'

    def column(self, items: list[Item]) -> None:
        chunks = paginate(items, PAGE_SIZE)
        pages = len(chunks)
        for k, chunk in enumerate(chunks, start=1):
            rows = "".join(
                f'<li><a href="{it.path}" target="_blank" title="{escape(it.title)}">{escape(it.title)}</a>'
                f"<span>{it.when:%Y-%m-%d}</span></li>"
                for it in chunk
            )
            pager = [f'<span class="total">共{pages}页</span>']
            if k > 1:
                pager.append(f'<a href="javascript:goPage({k - 1})">上一页</a>')
            if k < pages:
                pager.append(f'<a href="javascript:goPage({k + 1})">下一页</a>')
            pager.append(f'<a href="javascript:goPage({pages})">尾页</a>')
            script = (
                f"<script>var pageCount = {pages}, currentPage = {k};"
                ' function goPage(n) { location.href = n == 1 ? "list.shtml" : "list_" + n + ".shtml"; }'
                "</script>"
            )
            main = (
                f'{self.side_menu()}<div class="xxgk-right"><h2>政府信息公开年报</h2>'
                f'<ul class="common_newslist">{rows}</ul>'
                f'<div class="pagination">{" ".join(pager)}</div>{script}</div>'
            )
            self.html(list_page(k), self.page("政府信息公开年报", "政府信息公开年报", main))

    def article(self, item: Item, how: str | None) -> None:
        manuscript = hex32(item.title)
        folder = f"{COLUMN}{item.when:%Y%m}/"
        item.path = f"{folder}{manuscript}.shtml"
        files: dict[str, Resource] = {}
        links: list[tuple[str, str]] = []
        if how is None:
            body = brief(item)
        else:
            body = seed_body(item.seed)
            file_path = f"{folder}{manuscript}/files/{hex32(item.title + 'docx')}.docx"
            if how != "none":
                files[file_path] = file_resource(attached_docx(), DOCX, item.when)
            name = f"{item.title}.docx"
            if how == "block":
                links.append((file_path, name))
            elif how == "absolute":
                links.append((f"http://{HOST}{file_path}", name))
            elif how == "body":
                relative = file_path.removeprefix(folder)
                body += f'\n<p>附件：<a href="{relative}" target="_blank">{escape(name)}</a></p>'
        block = "".join(f'<a href="{href}" target="_blank">{escape(text)}</a>' for href, text in links)
        main = f"""<div class="content clearfix">
<h1 class="article-title"><ucaptitle>{escape(item.title)}</ucaptitle></h1>
<div class="article-attr clearfix"><span class="ly">来源：<b>{AGENCY}办公室</b></span>
<span class="date">发布日期：<b><publishtime>{item.when:%Y-%m-%d %H:%M:%S}</publishtime></b></span></div>
<div class="article-content" id="zoomcon"><ucapcontent>{body}</ucapcontent></div>
<div class="fj-a"{"" if links else ' style="display: none;"'}><p>附件：</p>{block}</div>
<script type="text/javascript">if (!$(".fj-a a").length) {{ $(".fj-a").css("display", "none"); }}</script>
</div>"""
        meta = {
            "ArticleTitle": item.title,
            "PubDate": f"{item.when:%Y-%m-%d %H:%M:%S}",
            "ContentSource": f"{AGENCY}办公室",
        }
        self.html(item.path, self.page(item.title, "政府信息公开年报", main, meta, manuscript), item.when)
        self.resources.update(files)
        self.listed(item, files)

    def static_pages(self) -> None:
        self.resources["/"] = Resource(
            f'<a href="{HOME}">Found</a>'.encode(), status=302, headers={"Location": HOME}
        )
        home = f'<div class="box"><h2>政务公开</h2><ul><li><a href="{SECTION}">政务公开</a></li></ul></div>'
        self.html(HOME, self.page(AGENCY, "首页", home))
        self.html(SECTION, self.page("政务公开", "政务公开", self.side_menu()))
        for slug, title in SECTION_PARTS:
            main = self.side_menu() + f"<h1>{title}</h1>{paragraphs([AGENCY + title])}"
            self.html(f"/{CODE}/{slug}/list.shtml", self.page(title, title, main))
        self.resources["/robots.txt"] = robots(self.updated)


def build() -> Site:
    return _Builder().build(PATTERN, REPORTS, city=CITY, department="奉新县财政局", first_id=1)
