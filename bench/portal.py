"""Generate a large static portal of the mock portals' shape, as files for a web server.

Home ``/`` → 政府信息公开 section ``/zwgk/`` → 年报 column ``/zwgk/zfxxgknb/`` (link text split
by ``<br>``), which lists one sub-column per report year (``/zwgk/zfxxgknb/2023/``); each
sub-column is paged TRS-style (``index.html``, ``index_1.html``, …) with a windowed pager
(首页 / 上一页 / ten page numbers / 下一页 / 尾页), so reaching the last page takes many hops.
Items are report articles (``t20240315_123.html``) — a full HTML report (a seed body with
another department and other figures), a short one, or a short page with a PDF or DOCX
attachment (seed files, every copy with its own sha256) — or, when ``report_every > 1``, ordinary
notices between them. Notices are never followed by a report crawler, so their pages are
not written; every written page is one a crawler of reports fetches, and :attr:`Portal.urls`
lists them all (the set both benchmark crawlers must fetch).

Markup comes from ``tests/mockportal/templates.py`` (the mock portals' TRS-like templates).

>>> import tempfile
>>> p = build_portal(Path(tempfile.mkdtemp()), PortalPlan(years=2, pages_per_year=3,
...     items_per_page=4, attachment_every=3))
>>> p.pages, p.reports, p.attachments  # home, section, column, 6 listing pages, 24 reports
(33, 24, 8)
>>> sorted(u for u in p.urls if u.count("/") <= 3)
['/', '/robots.txt', '/zwgk/', '/zwgk/zfxxgknb/']
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from bench import variants
from tests.mockportal import templates as t

AGENCY = "基准市人民政府"
HOST = "bench.nianbao.test"
SECTION = "/zwgk/"
COLUMN = "/zwgk/zfxxgknb/"
COLUMN_NAME = "政府信息公开年报"
LAST_YEAR = 2024
PAGER_WINDOW = 10
_NOTICES = (
    "关于调整政务服务大厅工作时间的公告",
    "政务服务中心开展窗口服务质量评议活动",
    "网上政务大厅新增电子证照查询功能",
    "关于公布政务服务投诉举报电话的公告",
    "政务公开日活动走进社区",
)


@dataclass(frozen=True)
class PortalPlan:
    years: int  # sub-columns, one per report year, newest first
    pages_per_year: int  # listing pages in each sub-column
    items_per_page: int
    report_every: int = 1  # every k-th item is a report, the others notices
    attachment_every: int = 9  # every k-th report is a short page + attachment (0: none)
    full_every: int = 1  # every k-th other report has a seed's whole body (0: none), else a
    # short paragraph: keeps pages small and the parse stage after a crawl short
    scripted: bool = False  # year lists filled in the browser from a JSON answer (no pager)

    @property
    def listing_pages(self) -> int:
        return self.years * self.pages_per_year


@dataclass
class Portal:
    root: Path
    plan: PortalPlan
    urls: set[str] = field(default_factory=set)  # every path a report crawler fetches
    pages: int = 0  # HTML pages written (robots.txt not counted)
    attachments: int = 0
    reports: int = 0
    bytes: int = 0
    report_paths: list[str] = field(default_factory=list)  # every report page, in order


def plan_for_pages(pages: int, *, items_per_page: int, report_every: int, **kw: int) -> PortalPlan:
    """A plan with about ``pages`` HTML pages (listings + report pages), in 10 to 20 years.

    >>> p = plan_for_pages(5000, items_per_page=10, report_every=1)
    >>> p.years, p.pages_per_year, p.years * p.pages_per_year * (1 + 10)
    (11, 41, 4961)
    """
    reports_per_listing = items_per_page / report_every
    listings = max(1, round(pages / (1 + reports_per_listing)))
    years = max(min(10, listings), min(20, listings // 40))
    return PortalPlan(
        years=years,
        pages_per_year=max(1, round(listings / years)),
        items_per_page=items_per_page,
        report_every=report_every,
        **kw,  # type: ignore[arg-type]
    )


class _Writer:
    def __init__(self, portal: Portal) -> None:
        self.portal = portal
        self.chrome = t.Chrome(
            agency=AGENCY,
            host=HOST,
            site_code="9999000001",
            icp="京ICP备00000000号",
            charset="utf-8",
            nav=[("/", "首页"), (SECTION, "政府信息公开")],
            footer_links=[],
        )
        self.section_nav = [
            (f"{SECTION}zfxxgkzn/", "政府信息<br>公开指南"),
            (f"{SECTION}fdzdgknr/", "法定主动<br>公开内容"),
            (COLUMN, "政府信息<br>公开年报"),
        ]

    def write(self, url_path: str, data: bytes, *, page: bool = True) -> None:
        rel = url_path.lstrip("/")
        if not rel or rel.endswith("/"):
            rel += "index.html"
        path = self.portal.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        self.portal.urls.add(url_path)
        self.portal.bytes += len(data)
        if page:
            self.portal.pages += 1
        elif not url_path.endswith("robots.txt"):
            self.portal.attachments += 1

    def html(self, url_path: str, title: str, column: str, body: str, **kw: object) -> None:
        page = t.layout(self.chrome, title=title, column=column, body=body, **kw)  # type: ignore[arg-type]
        self.write(url_path, page.encode("utf-8"))

    def in_section(self, main: str) -> str:
        return t.section_frame(t.SectionNav(self.section_nav, COLUMN), main)


def build_portal(root: Path, plan: PortalPlan) -> Portal:
    """Write the portal under ``root`` (created) and return what it holds."""
    root.mkdir(parents=True, exist_ok=True)
    portal = Portal(root=root, plan=plan)
    w = _Writer(portal)
    w.write("/robots.txt", b"User-agent: *\nDisallow: /admin/\n", page=False)
    _home_and_section(w)
    years = [LAST_YEAR - k for k in range(plan.years)]
    _column_page(w, years)
    serial = 0
    for year in years:
        serial = _year_column(w, plan, year, serial)
    return portal


def _home_and_section(w: _Writer) -> None:
    home = t.list_box(
        "政务公开",
        "<ul>" + f"<li>{t.a(SECTION, '政府信息公开')}</li>" + "</ul>",
    )
    w.html("/", AGENCY, "首页", home)
    latest = t.list_box("最新信息公开", t.paragraphs(["本栏目发布本机关主动公开的政府信息。"]))
    section = t.section_frame(t.SectionNav(w.section_nav, ""), latest)
    name = "政府信息公开"
    w.html(SECTION, name, name, section, crumbs=[t.Link(SECTION, name)])


def _crumbs() -> list[t.Link]:
    return [t.Link(SECTION, "政府信息公开"), t.Link(COLUMN, COLUMN_NAME)]


def _column_page(w: _Writer, years: list[int]) -> None:
    links = "".join(f"<li>{t.a(f'{COLUMN}{y}/', f'{y}年')}</li>" for y in years)
    heading = f'<div class="list_title"><h2>{COLUMN_NAME}</h2></div>'
    main = f'{heading}\n<ul class="sub_column">{links}</ul>'
    w.html(COLUMN, COLUMN_NAME, COLUMN_NAME, w.in_section(main), crumbs=_crumbs())


def windowed_pager(base: str, n_pages: int, current: int) -> str:
    """首页 / 上一页 / up to ten page numbers around ``current`` / 下一页 / 尾页.

    >>> html = windowed_pager("/c/", 50, 20)
    >>> html.count('class="pnum"'), "index_15.html" in html, "index_24.html" in html
    (9, True, True)
    """
    first = max(0, min(current - PAGER_WINDOW // 2, n_pages - PAGER_WINDOW))
    last = min(n_pages, first + PAGER_WINDOW)
    parts = [t.a(t.page_href(base, 0), "首页")]
    if current > 0:
        parts.append(t.a(t.page_href(base, current - 1), "上一页"))
    for k in range(first, last):
        if k == current:
            parts.append(f'<span class="now">{k + 1}</span>')
        else:
            parts.append(t.a(t.page_href(base, k), str(k + 1), cls="pnum"))
    if current < n_pages - 1:
        parts.append(t.a(t.page_href(base, current + 1), "下一页"))
    parts.append(t.a(t.page_href(base, n_pages - 1), "尾页"))
    parts.append(f"<span>共{n_pages}页</span>")
    return '<div class="page">' + " ".join(parts) + "</div>"


def _year_column(w: _Writer, plan: PortalPlan, year: int, serial: int) -> int:
    """One sub-column: its listing pages and report pages; returns the next item serial."""
    base = f"{COLUMN}{year}/"
    name = f"{year}年"
    crumbs = [*_crumbs(), t.Link(base, name)]
    start = datetime(year + 1, 3, 31, 9, 0)
    per_page = plan.items_per_page
    for k in range(plan.pages_per_year):
        entries = []
        for i in range(per_page):
            index = k * per_page + i
            when = start - timedelta(hours=5 * index)
            doc_id = 100000 + serial
            href = f"{base}{when:%Y%m}/t{when:%Y%m%d}_{doc_id}.html"
            if serial % plan.report_every == 0:
                title = variants.report_title(serial // plan.report_every, year)
                _report_page(w, plan, href, title, when, serial // plan.report_every, crumbs)
            else:
                title = _NOTICES[serial % len(_NOTICES)]  # not written: never followed
            entries.append(t.Entry(href, title, f"{when:%Y-%m-%d}"))
            serial += 1
        listing = t.entry_list(entries, "li")
        pager = windowed_pager(base, plan.pages_per_year, k)
        if plan.scripted:
            listing, pager = _scripted_list(w, base, k, entries), ""
        main = f'<div class="list_title"><h2>{name}</h2></div>\n{listing}\n{pager}'
        w.html(
            t.page_href(base, k) if k else base,
            name,
            COLUMN_NAME,
            w.in_section(main),
            crumbs=crumbs,
        )
        if k == 0:
            w.portal.urls.add(t.page_href(base, 0))  # the pager's 首页: the same file, another URL
    return serial


# The list is empty in the HTML: this script asks for its items (XHR) and builds it, then polls
# for "news" every second and a half, as portals' tickers do (the page never goes idle).
_LIST_SCRIPT = """
var xhr = new XMLHttpRequest();
xhr.open("GET", "%(json)s");
xhr.onload = function () {
  var ul = document.getElementById("list");
  JSON.parse(xhr.responseText).forEach(function (item) {
    var li = document.createElement("li"), a = document.createElement("a");
    a.href = item.url; a.textContent = item.title; li.appendChild(a); ul.appendChild(li);
  });
};
xhr.send();
setInterval(function () { fetch("%(json)s?poll=" + Date.now()); }, 1500);
"""


def _scripted_list(w: _Writer, base: str, k: int, entries: list[t.Entry]) -> str:
    """A list built by script from ``list_K.json`` (the items' URLs, titles and dates)."""
    import json

    data = [{"url": e.href, "title": e.title, "date": e.date} for e in entries]
    json_path, script_path = f"{base}list_{k}.json", f"{base}list_{k}.js"
    w.write(json_path, json.dumps(data, ensure_ascii=False).encode("utf-8"), page=False)
    w.write(script_path, (_LIST_SCRIPT % {"json": json_path}).encode("utf-8"), page=False)
    w.portal.attachments -= 2  # neither is an attachment
    return f'<ul id="list"></ul><script src="{script_path}"></script>'


def _report_page(
    w: _Writer,
    plan: PortalPlan,
    href: str,
    title: str,
    when: datetime,
    n: int,
    crumbs: list[t.Link],
) -> None:
    w.portal.reports += 1
    w.portal.report_paths.append(href)
    seed = variants.SEEDS[n % len(variants.SEEDS)]
    dept = variants.department(n)
    attachments: list[t.Link] = []
    if plan.attachment_every and n % plan.attachment_every == 0:
        kind = ("pdf", "docx")[(n // plan.attachment_every) % 2]
        file_href = f"{href.rsplit('/', 1)[0]}/P0{when:%Y%m%d}{n:012d}.{kind}"
        w.write(file_href, variants.attachment(kind, seed, n, dept), page=False)
        attachments.append(t.Link(file_href, f"{title}.{kind}"))
        body = t.paragraphs([f"现将{title}予以公布。", "报告全文见附件。"])
    elif plan.full_every and n % plan.full_every == 0:
        body = variants.html_body_variant(seed, n, dept)
    else:
        body = t.paragraphs([f"{title}。", f"本年度主动公开政府信息{n % 997}条。"])
    meta = t.ArticleMeta(f"999900-01-{when:%Y}-{n:06d}", dept, "无", "政务公开", f"{when:%Y-%m-%d}")
    article = t.article(
        title=title,
        published=f"{when:%Y-%m-%d %H:%M}",
        source=dept,
        body_html=body,
        meta=meta,
        attachments=attachments,
    )
    head = {"ArticleTitle": title, "PubDate": f"{when:%Y-%m-%d %H:%M}", "ContentSource": dept}
    w.html(href, title, COLUMN_NAME, w.in_section(article), crumbs=crumbs, meta=head)


def tree_size(root: Path) -> int:
    """Bytes of every file under ``root``."""
    return sum(os.path.getsize(os.path.join(d, f)) for d, _, files in os.walk(root) for f in files)
