"""Compact HTML templates imitating a TRS-WCM-style government portal.

The markup is written for the mock portals, modelled on (not copied from) real TRS pages: the
standard ``<meta name="SiteName|ColumnName|ArticleTitle|PubDate">`` tags, an ``xxgk_nav`` menu with
the four parts of a 政府信息公开 section, lists of ``<li><a href title>…</a><span>date</span></li>``
(or a 名称/索引号/发布机构/发布日期 table, or ``<dl><dd>`` rows), a static pager
(首页 / 上一页 / page numbers / 下一页 / 尾页) and article pages with the 索引号 / 发布机构 / 名称 / 文号 /
主题分类 / 发布日期 block above a ``TRS_Editor`` body.

Every link is root-relative (``/path``) so a site works on ``127.0.0.1:PORT`` and through a proxy
under its host name. Templates return ``str``; the site builder encodes with the site's charset.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from html import escape

LIST_STYLES = ("li", "table", "dl")


@dataclass(frozen=True)
class Chrome:
    """What every page of one site shares: identity, charset, top nav and footer."""

    agency: str
    host: str
    site_code: str  # 网站标识码
    icp: str
    charset: str
    nav: Sequence[tuple[str, str]]  # (href, text) of the top navigation
    footer_links: Sequence[tuple[str, str]] = ()


@dataclass(frozen=True)
class Entry:
    """One row of a list page."""

    href: str
    title: str
    date: str  # YYYY-MM-DD
    index_no: str = ""  # 索引号 (table style only)
    publisher: str = ""  # 发布机构 (table style only)


@dataclass(frozen=True)
class ArticleMeta:
    """The 政府信息公开 metadata block of an article (索引号 … 发布日期)."""

    index_no: str
    publisher: str
    doc_number: str  # 文号; "无" when there is none
    topic: str  # 主题分类
    date: str  # YYYY-MM-DD


@dataclass(frozen=True)
class Link:
    href: str
    text: str


@dataclass(frozen=True)
class SectionNav:
    """The left menu of the 政府信息公开 section: (href, inner HTML) per part."""

    parts: Sequence[tuple[str, str]]
    current: str = ""  # href of the part being shown
    extra: Sequence[Link] = field(default_factory=tuple)


def a(href: str, text: str, *, title: str = "", cls: str = "") -> str:
    """An anchor with escaped attributes and text.

    >>> a("/module/download/downfile.jsp?classid=0&filename=x.docx", "附件")
    '<a href="/module/download/downfile.jsp?classid=0&amp;filename=x.docx">附件</a>'
    """
    attrs = f' href="{escape(href)}"'
    if title:
        attrs += f' title="{escape(title)}"'
    if cls:
        attrs += f' class="{cls}"'
    return f"<a{attrs}>{escape(text)}</a>"


def page_href(base: str, k: int, prefix: str = "index", ext: str = "html") -> str:
    """URL of list page ``k`` (0-based) the TRS way: ``index.html``, ``index_1.html``, …

    >>> page_href("/zwgk/zfxxgknb/", 0), page_href("/zwgk/zfxxgknb/", 2)
    ('/zwgk/zfxxgknb/index.html', '/zwgk/zfxxgknb/index_2.html')
    """
    return f"{base}{prefix}.{ext}" if k == 0 else f"{base}{prefix}_{k}.{ext}"


def layout(
    chrome: Chrome,
    *,
    title: str,
    column: str,
    body: str,
    crumbs: Sequence[Link] = (),
    meta: dict[str, str] | None = None,
) -> str:
    """A whole page: head with the gov meta tags, header, top nav, crumbs, body, footer."""
    metas = {
        "SiteName": chrome.agency,
        "SiteDomain": chrome.host,
        "SiteIDCode": chrome.site_code,
        "ColumnName": column,
        **(meta or {}),
    }
    meta_html = "\n".join(f'<meta name="{k}" content="{escape(v)}">' for k, v in metas.items())
    full_title = title if title == chrome.agency else f"{title}_{chrome.agency}"
    nav = "".join(f"<li>{a(href, text)}</li>" for href, text in chrome.nav)
    crumb_html = "&gt;".join([a("/", "首页"), *(a(c.href, c.text) for c in crumbs)])
    footer = "".join(f"<li>{a(href, text)}</li>" for href, text in chrome.footer_links)
    return f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta http-equiv="Content-Type" content="text/html; charset={chrome.charset}">
{meta_html}
<title>{escape(full_title)}</title>
<link rel="stylesheet" type="text/css" href="/css/base.css">
</head>
<body>
<div class="header"><div class="logo">{a("/", chrome.agency)}</div>
<div class="lj"><a href="/">网站首页</a>｜<a href="/wzsm/index.html">无障碍浏览</a></div></div>
<div class="nav"><ul class="nav-list">{nav}</ul></div>
<div class="container">
<div class="crumb">当前位置：{crumb_html}</div>
{body}
</div>
<div class="footer"><ul>{footer}</ul>
<p>主办单位：{escape(chrome.agency)}办公室　网站标识码：{chrome.site_code}</p>
<p>{escape(chrome.icp)}</p></div>
</body>
</html>
"""


def section_frame(nav: SectionNav, main: str) -> str:
    """The 政府信息公开 left menu (``xxgk_nav``) beside the main content."""
    items = []
    for href, inner in nav.parts:
        cls = ' class="on"' if href == nav.current else ""
        items.append(f'<li{cls}><h3><a href="{escape(href)}"><span>{inner}</span></a></h3></li>')
    extra = "".join(f"<li>{a(x.href, x.text)}</li>" for x in nav.extra)
    extra_html = f'<ul class="xxgk_sub">{extra}</ul>' if extra else ""
    return (
        f'<div class="xxgk_left"><div class="xxgk_nav"><ul>{"".join(items)}</ul>'
        f"{extra_html}</div></div>\n"
        f'<div class="xxgk_right">{main}</div>'
    )


def entry_list(entries: Sequence[Entry], style: str = "li", truncate: int = 0) -> str:
    """The items of a list page in one of the styles portals use.

    ``truncate`` cuts the link text (not the ``title=``) the way TRS list templates do.

    >>> print(entry_list([Entry("/a/t20180320_1.html", "政府信息公开年报", "2018-03-20")], truncate=4))
    <ul class="list">
    <li><a href="/a/t20180320_1.html" title="政府信息公开年报">政府信息…</a><span>2018-03-20</span></li>
    </ul>
    """
    if style not in LIST_STYLES:
        raise ValueError(f"unknown list style {style!r}")

    def text(e: Entry) -> str:
        return e.title if not truncate or len(e.title) <= truncate else e.title[:truncate] + "…"

    if style == "li":
        rows = [f"<li>{a(e.href, text(e), title=e.title)}<span>{e.date}</span></li>" for e in entries]
        return '<ul class="list">\n' + "\n".join(rows) + "\n</ul>"
    if style == "table":
        head = "<tr><th>名称</th><th>索引号</th><th>发布机构</th><th>发布日期</th></tr>"
        rows = [
            f"<tr><td>{a(e.href, text(e), title=e.title)}</td><td>{escape(e.index_no)}</td>"
            f"<td>{escape(e.publisher)}</td><td>{e.date}</td></tr>"
            for e in entries
        ]
        return '<table class="xxgk_list">\n' + head + "\n" + "\n".join(rows) + "\n</table>"
    rows = [
        f'<dl><dd class="title">{a(e.href, text(e), title=e.title)}</dd><dd class="date">{e.date}</dd></dl>'
        for e in entries
    ]
    return '<div class="rules_list">\n' + "\n".join(rows) + "\n</div>"


def pager(base: str, n_pages: int, current: int, *, script: bool = False) -> str:
    """Static TRS pager links; ``script`` also emits the ``createPageHTML`` call real pages use.

    >>> print(pager("/c/", 2, 0))
    <div class="page"><a href="/c/index.html">首页</a> <span class="bg">上一页</span> \
<span class="now">1</span> <a href="/c/index_1.html" class="pnum">2</a> \
<a href="/c/index_1.html">下一页</a> <a href="/c/index_1.html">尾页</a> <span>共2页</span></div>
    """
    parts = [a(page_href(base, 0), "首页")]
    if current > 0:
        parts.append(a(page_href(base, current - 1), "上一页"))
    else:
        parts.append('<span class="bg">上一页</span>')
    for k in range(n_pages):
        if k == current:
            parts.append(f'<span class="now">{k + 1}</span>')
        else:
            parts.append(a(page_href(base, k), str(k + 1), cls="pnum"))
    if current < n_pages - 1:
        parts.append(a(page_href(base, current + 1), "下一页"))
    else:
        parts.append('<span class="bg">下一页</span>')
    parts.append(a(page_href(base, n_pages - 1), "尾页"))
    parts.append(f"<span>共{n_pages}页</span>")
    html = '<div class="page">' + " ".join(parts) + "</div>"
    if script:
        # the real CMS writes the pager from a shared script; ours is guarded so it is inert
        html = (
            '<script type="text/javascript">if (typeof createPageHTML === "function") '
            f'{{ createPageHTML({n_pages}, {current}, "index", "html"); }}</script>\n' + html
        )
    return html


def meta_block(meta: ArticleMeta, title: str) -> str:
    """The 索引号 / 发布机构 / 名称 / 文号 / 主题分类 / 发布日期 block of a disclosure article."""
    left = [("索引号", meta.index_no), ("发布机构", meta.publisher), ("名称", title)]
    left.append(("文号", meta.doc_number))
    right = [("主题分类", meta.topic), ("发布日期", meta.date)]

    def col(rows: list[tuple[str, str]]) -> str:
        return "".join(f"<p><strong>{k}</strong>：{escape(v)}</p>" for k, v in rows)

    return (
        f'<div class="xxgk_meta"><div class="top-l">{col(left)}</div>'
        f'<div class="top-r">{col(right)}</div></div>'
    )


def article(
    *,
    title: str,
    published: str,
    source: str,
    body_html: str,
    meta: ArticleMeta | None = None,
    attachments: Sequence[Link] = (),
) -> str:
    """An article: optional metadata block, title, date line, ``TRS_Editor`` body, attachments."""
    meta_html = meta_block(meta, title) if meta else ""
    attach_html = ""
    if attachments:
        rows = "".join(f"<li>{a(x.href, x.text)}</li>" for x in attachments)
        attach_html = f'<div class="fj"><p>附件：</p><ul>{rows}</ul></div>'
    return f"""<div class="article">
{meta_html}
<h1 class="article_title">{escape(title)}</h1>
<div class="article_info"><span>发布时间：{published}</span><span>来源：{escape(source)}</span></div>
<div class="article_con"><div class="TRS_Editor">
{body_html}
</div></div>
{attach_html}
</div>"""


def paragraphs(texts: Sequence[str]) -> str:
    """Escaped ``<p>`` paragraphs.

    >>> paragraphs(["a<b", "c"])
    '<p>a&lt;b</p>\\n<p>c</p>'
    """
    return "\n".join(f"<p>{escape(t)}</p>" for t in texts)


def list_box(heading: str, listing: str, more: Link | None = None) -> str:
    """A titled box holding a list (home page and section page blocks)."""
    more_html = f'<span class="more">{a(more.href, more.text)}</span>' if more else ""
    return (
        f'<div class="box"><div class="box_title"><h2>{escape(heading)}</h2>{more_html}</div>\n'
        f"{listing}\n</div>"
    )
