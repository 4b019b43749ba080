"""Mock TRS WCM portal **hengshui** (衡水市人民政府), served in GBK with a lying charset.

Markup written for the mock, modelled on (not copied from) real TRS pages (the Handan pages in
``realworld/portals_cms``): the gov ``<meta>`` tags, the four-part ``xxgk_nav`` menu, a
名称 / 索引号 / 发布机构 / 发布日期 list table, t-date articles with the 索引号 … 发布日期 block
above a ``TRS_Editor`` body.

- Home ``/`` → 政府信息公开 ``/xxgk/`` → 政府信息<br>公开年报 ``/xxgk/zfxxgknb/``.
- The column has five real pages of four items (``index.html`` … ``index_4.html``) and a pager
  that is **only** a ``createPageHTML(7, k, "index", "html")`` call: no ``<a>`` leads to page 2.
  The CMS left two tiny stubs behind (``index_5.html``, ``index_6.html``: no items, and a
  stale ``createPageHTML(9, …)`` promising pages that answer 404).
- Sub-column 乡镇年报 ``…/xznb/`` pages by the inline ``var countPage=3 … document.write(
  "<a href=\\"index_"+i+".html\\">")`` script; sub-column 2019年度 ``…/2019/index.shtml`` by the
  three-argument ``createPageHTML(2, 0, "index")`` (pages ``index_1.shtml``).
- Every page is GBK. Home and section pages say so (``charset=gb2312``, which a browser reads
  as GBK); the column pages and articles are sent as ``Content-Type: text/html; charset=utf-8``
  (their ``<meta>`` still says gb2312). Two township names use characters outside GB2312
  (喆, 昇).
- Attachments: a ``./P0….docx`` in the 附件 block, a ``./P0….pdf`` linked in the body, an
  ``onclick="window.open('./P0….docx')"`` link, a root-relative ``/xxgk/…/P0….docx``, and
  ``./W0….jpg`` images uploaded into the body.
- Decoys (政府网站工作年度报表, 法治政府建设年度报告, the 编制发布 notice, 部门决算, 统计公报)
  and news share the column with seven reports, six of which only the adapter can reach.

>>> site = build()
>>> len(site.expected_reports), site.resources[COLUMN + "index_1.html"].content_type
(7, 'text/html; charset=utf-8')
>>> "衡水" in site.resources["/"].body.decode("gbk")
True
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from html import escape

from tests.mockportal import templates as t
from tests.mockportal.families.kit import (
    JPEG,
    SECTION_PARTS,
    SMALL_JPEG,
    Item,
    SiteBuilder,
    attached_docx,
    cst,
    lay_out_reports,
    paginate,
    seed_body,
    seed_file,
)
from tests.mockportal.sites import DOCX, PDF, Resource, Site, file_resource, html_resource, robots

NAME = "hengshui"
HOST = f"www.{NAME}.nianbao.test"
AGENCY = "衡水市人民政府"
CITY = "衡水市"
SECTION = "/xxgk/"
COLUMN = "/xxgk/zfxxgknb/"
TOWNS = COLUMN + "xznb/"
YEAR_2019 = COLUMN + "2019/"
CLAIMED_PAGES = 7  # what the column's pager script says
REAL_PAGES = 5  # pages with items; index_5 and index_6 are stubs
STALE_CLAIM = 9  # what the stubs' pager says: index_7, index_8 do not exist
STUBS = [f"{COLUMN}index_{k}.html" for k in range(REAL_PAGES, CLAIMED_PAGES)]
PHANTOMS = [f"{COLUMN}index_{k}.html" for k in range(CLAIMED_PAGES, STALE_CLAIM)]
TRUE_CHARSET = "gb2312"  # what the <meta> says (the bytes are GBK)
LYING_HEADER = "utf-8"
SITE_CODE = "1311000001"


@dataclass(frozen=True)
class _Report:
    title: str
    seed: str
    published: datetime
    attach: Callable[[_Report, str], tuple[str, list[tuple[str, str]], dict[str, Resource]]]


def _p0(report: _Report, n: int, ext: str) -> str:
    """A TRS upload name: ``P0`` (files) + publication date + 12 digits."""
    return (
        f"P0{report.published:%Y%m%d}{(report.published.toordinal() * 7919 + n * 104729) % 10**12:012d}.{ext}"
    )


def _w0(report: _Report, n: int) -> str:
    return "W" + _p0(report, n, "jpg")[1:]


def _full_body_docx_block(report: _Report, folder: str) -> tuple[str, list[tuple[str, str]], dict]:
    """Full HTML body with an uploaded seal image; the DOCX in the 附件 block."""
    img, docx = _w0(report, 0), _p0(report, 1, "docx")
    body = seed_body(report.seed) + f'\n<p style="text-align:right"><img src="./{img}" alt="印章"></p>'
    block = [(f"./{docx}", f"{report.title}.docx")]
    files = {
        folder + img: file_resource(SMALL_JPEG, JPEG, report.published),
        folder + docx: file_resource(attached_docx(), DOCX, report.published),
    }
    return body, block, files


def _cover_pdf_onclick(report: _Report, folder: str) -> tuple[str, list[tuple[str, str]], dict]:
    """Short cover text; the PDF linked in the body, the DOCX behind an onclick."""
    pdf, docx = _p0(report, 0, "pdf"), _p0(report, 1, "docx")
    body = t.paragraphs(
        [
            f"根据《中华人民共和国政府信息公开条例》规定，现公布{report.title}。",
            "报告全文请见附件。",
        ]
    )
    body += f'\n<p>附件：<a href="./{pdf}">{escape(report.title)}.pdf</a></p>'
    body += (
        f'\n<p><a href="javascript:void(0)" onclick="window.open(\'./{docx}\')">'
        f"{escape(report.title)}（Word版）</a></p>"
    )
    files = {
        folder + pdf: file_resource(seed_file(report.seed, ".pdf"), PDF, report.published),
        folder + docx: file_resource(seed_file(report.seed, ".docx"), DOCX, report.published),
    }
    return body, [], files


def _full_body_named_file(report: _Report, folder: str) -> tuple[str, list[tuple[str, str]], dict]:
    """Full HTML body; the DOCX in the 附件 block under its upload name."""
    docx = _p0(report, 0, "docx")
    files = {folder + docx: file_resource(attached_docx(), DOCX, report.published)}
    return seed_body(report.seed), [(f"./{docx}", docx)], files


def _full_body_only(report: _Report, folder: str) -> tuple[str, list[tuple[str, str]], dict]:
    return seed_body(report.seed), [], {}


def _full_body_image(report: _Report, folder: str) -> tuple[str, list[tuple[str, str]], dict]:
    img = _w0(report, 0)
    body = seed_body(report.seed) + f'\n<p><img src="./{img}" border="0"></p>'
    return body, [], {folder + img: file_resource(SMALL_JPEG, JPEG, report.published)}


def _cover_rooted_docx(report: _Report, folder: str) -> tuple[str, list[tuple[str, str]], dict]:
    """Short cover; the DOCX linked root-relative in the 附件 block."""
    docx = _p0(report, 0, "docx")
    body = t.paragraphs([f"{report.title}全文见附件。"])
    files = {folder + docx: file_resource(seed_file(report.seed, ".docx"), DOCX, report.published)}
    return body, [(folder + docx, f"{report.title}.docx")], files


_when = partial(cst, hh=9, mm=30)  # the portal's usual hour of publishing


MAIN_REPORTS = [
    _Report(
        "衡水市人民政府办公室2020年政府信息公开工作年度报告", "001", _when(2021, 1, 28), _full_body_docx_block
    ),
    _Report(
        "衡水市发展和改革委员会2019年政府信息公开工作年度报告", "003", _when(2020, 3, 18), _cover_pdf_onclick
    ),
    _Report("衡水市教育局2018年政府信息公开工作年度报告", "004", _when(2019, 3, 26), _full_body_named_file),
    _Report("衡水市民政局2017年政府信息公开工作年度报告", "002", _when(2018, 3, 20), _full_body_only),
]
TOWN_REPORTS = [
    _Report("喆庄镇人民政府2020年政府信息公开工作年度报告", "003", _when(2021, 2, 5), _full_body_image),
    _Report("昇平乡人民政府2019年政府信息公开工作年度报告", "000", _when(2020, 2, 12), _cover_rooted_docx),
]
YEAR_REPORTS = [
    _Report("衡水市财政局2019年度政府信息公开工作年度报告", "001", _when(2020, 3, 25), _full_body_only),
]
MAIN_PATTERN = "NRDN" + "NDRN" + "DNNN" + "NRDN" + "NDRN"  # five pages of four
TOWN_PATTERN = "NDN" + "NRN" + "DRN"
YEAR_PATTERN = "NND" + "NRN"


class _Builder(SiteBuilder):
    """Three columns (not one), so it renders them itself rather than by :meth:`build`."""

    def __init__(self) -> None:
        super().__init__(NAME, HOST, AGENCY, updated=_when(2021, 3, 1))
        self.chrome = t.Chrome(
            agency=AGENCY,
            host=HOST,
            site_code=SITE_CODE,
            icp="冀ICP备00000011号",
            charset=TRUE_CHARSET,
            nav=[("/", "首页"), (SECTION, "政府信息公开")],
            footer_links=[("/wzsm/index.html", "网站声明")],
        )
        self.nav = [
            (f"{SECTION}zfxxgkzn/", "政府信息<br>公开指南"),
            (f"{SECTION}zfxxgkzd/", "政府信息<br>公开制度"),
            (f"{SECTION}fdzdgknr/", "法定主动<br>公开内容"),
            (COLUMN, "政府信息<br>公开年报"),
        ]

    def html(self, path: str, html: str, when: datetime | None = None, *, lying: bool = False) -> None:
        header = LYING_HEADER if lying else TRUE_CHARSET
        self.resources[path] = html_resource(html, when or self.updated, TRUE_CHARSET, header)

    def page(self, title: str, column: str, main: str, crumbs: Sequence[t.Link] = (), **meta: str) -> str:
        framed = t.section_frame(t.SectionNav(self.nav, COLUMN if column != "政府信息公开" else ""), main)
        return t.layout(self.chrome, title=title, column=column, body=framed, crumbs=crumbs, meta=meta)

    # -- lists
    def listing(
        self,
        base: str,
        items: list[Item],
        size: int,
        pager: Callable[[int, int], str],
        *,
        name: str,
        ext: str = "html",
        tabs: str = "",
    ) -> None:
        chunks = paginate(items, size)
        pages = len(chunks)
        crumbs = [t.Link(SECTION, "政府信息公开"), t.Link(COLUMN, "政府信息公开年报")]
        for k, chunk in enumerate(chunks):
            entries = [
                t.Entry(it.path, it.title, f"{it.when:%Y-%m-%d}", self.index_no(it), self.publisher(it))
                for it in chunk
            ]
            style = "table" if base == COLUMN else "li"
            main = (
                f'<div class="list_title"><h2>{escape(name)}</h2></div>\n{tabs}\n'
                f'{t.entry_list(entries, style)}\n<div class="page">{pager(pages, k)}</div>'
            )
            path = t.page_href(base, k, ext=ext)
            self.html(path, self.page(name, "政府信息公开年报", main, crumbs), lying=True)

    def index_no(self, item: Item) -> str:
        return f"{SITE_CODE[:9]}/{item.when:%Y}-{item.doc_id:05d}"

    def publisher(self, item: Item) -> str:
        if item.kind == "report":
            return item.title.split("20", 1)[0]
        return f"{AGENCY}办公室"

    # -- articles
    def column_article(self, item: Item, base: str, report: _Report | None) -> None:
        folder = f"{base}{item.when:%Y%m}/"
        item.path = f"{folder}t{item.when:%Y%m%d}_{item.doc_id}.html"
        if report is None:
            body = t.paragraphs([f"{item.when.year}年{item.when.month}月{item.when.day}日，{item.title}。"])
            block: list[tuple[str, str]] = []
            files: dict[str, Resource] = {}
        else:
            body, block, files = report.attach(report, folder)
            self.resources.update(files)
        self.listed(item, files)
        meta = t.ArticleMeta(
            self.index_no(item), self.publisher(item), "无", "政务公开", f"{item.when:%Y-%m-%d}"
        )
        links = [t.Link(href, text) for href, text in block]
        html = t.article(
            title=item.title,
            published=f"{item.when:%Y-%m-%d %H:%M}",
            source=self.publisher(item),
            body_html=body,
            meta=meta,
            attachments=links,
        )
        crumbs = [t.Link(SECTION, "政府信息公开"), t.Link(COLUMN, "政府信息公开年报")]
        self.html(
            item.path,
            self.page(
                item.title,
                "政府信息公开年报",
                html,
                crumbs,
                ArticleTitle=item.title,
                PubDate=f"{item.when:%Y-%m-%d %H:%M}",
                ContentSource=self.publisher(item),
            ),
            item.when,
            lying=True,
        )

    def static_pages(self) -> None:
        home = t.list_box(
            "政务公开",
            "<ul>"
            + f"<li>{t.a(SECTION, '政府信息公开')}</li>"
            + f"<li>{t.a(SECTION + 'zfxxgkzn/', '政府信息公开指南')}</li></ul>",
        )
        self.html("/", t.layout(self.chrome, title=AGENCY, column="首页", body=home))
        latest = t.list_box("政府信息公开", t.paragraphs(["本栏目发布衡水市人民政府政府信息公开目录。"]))
        self.html(
            SECTION + "index.html",
            self.page("政府信息公开", "政府信息公开", latest, [t.Link(SECTION, "政府信息公开")]),
        )
        for slug, title in SECTION_PARTS:
            main = f'<div class="article"><h1>{title}</h1>{t.paragraphs([f"{AGENCY}{title}。"])}</div>'
            self.html(f"{SECTION}{slug}/index.html", self.page(title, "政府信息公开", main))
        self.html(
            "/wzsm/index.html",
            t.layout(self.chrome, title="网站声明", column="网站声明", body="<p>网站声明</p>"),
        )
        self.resources["/robots.txt"] = robots(self.updated)


def _create_page(total: int) -> Callable[[int, int], str]:
    def pager(pages: int, k: int) -> str:
        return f'<script type="text/javascript">createPageHTML({total}, {k}, "index", "html");</script>'

    return pager


def _three_argument_pager(pages: int, k: int) -> str:
    return f'<script language="javascript">createPageHTML({pages}, {k}, "index");</script>'


def _inline_pager(pages: int, k: int) -> str:
    """The older inline pager: page count and the links written by ``document.write``."""
    return f"""<script language="javascript">
var countPage = {pages};
var currentPage = {k};
var prevPage = currentPage - 1;
var nextPage = currentPage + 1;
document.write("<a href=\\"index.html\\">首页</a>&nbsp;");
if (currentPage == 1) document.write("<a href=\\"index.html\\">上一页</a>&nbsp;");
if (currentPage > 1) document.write("<a href=\\"index_" + prevPage + ".html\\">上一页</a>&nbsp;");
for (var i = 1; i < countPage; i++) {{
  if (i != currentPage) document.write("<a href=\\"index_" + i + ".html\\" class='pnum'>" + (i + 1) + "</a>");
}}
if (nextPage < countPage) document.write("<a href=\\"index_" + nextPage + ".html\\">下一页</a>");
</script>"""


def _stub(k: int) -> str:
    """What the CMS left at a deep ``index_N``: no items, a pager from an older generation."""
    return (
        '<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312">'
        '<title>政府信息公开年报</title></head><body><div class="xxgk_list"></div>'
        f'<script>createPageHTML({STALE_CLAIM}, {k}, "index", "html");</script></body></html>'
    )


def _column(b: _Builder, base: str, pattern: str, reports: list[_Report], first_id: int) -> list[Item]:
    column = lay_out_reports(
        pattern,
        [(r.title, r.seed, r.published, r) for r in reports],
        city=CITY,
        department="衡水市财政局",
        first_id=first_id,
    )
    for item, report in column:
        b.column_article(item, base, report)
    return [item for item, _ in column]


def build() -> Site:
    b = _Builder()
    main = _column(b, COLUMN, MAIN_PATTERN, MAIN_REPORTS, 51200)
    towns = _column(b, TOWNS, TOWN_PATTERN, TOWN_REPORTS, 52300)
    year = _column(b, YEAR_2019, YEAR_PATTERN, YEAR_REPORTS, 53400)
    tabs = (
        '<div class="sub_column">'
        + t.a(TOWNS, "乡镇年报")
        + " "
        + t.a(YEAR_2019 + "index.shtml", "2019年度")
        + "</div>"
    )
    b.listing(COLUMN, main, 4, _create_page(CLAIMED_PAGES), name="政府信息公开年报", tabs=tabs)
    b.listing(TOWNS, towns, 3, _inline_pager, name="乡镇年报")
    b.listing(YEAR_2019, year, 3, _three_argument_pager, name="2019年度", ext="shtml")
    for k, path in enumerate(STUBS, start=REAL_PAGES):
        b.html(path, _stub(k), lying=True)
    b.static_pages()
    return b.site()
