"""Links as portals write them: text split by tags, ``&amp;`` left in hrefs, URLs inside
``javascript:`` wrappers, truncated titles with the full one in ``title=``.

>>> unwrap_href("javascript:openFile('/module/download/downfile.jsp?classid=0&amp;filename=a.pdf')")
'/module/download/downfile.jsp?classid=0&filename=a.pdf'
>>> unwrap_href("window.open('/upload/P020200115.pdf','_blank')")
'/upload/P020200115.pdf'
>>> is_attachment_url("http://x.test/zwgk/201803/P020180320123.pdf")
True
>>> is_attachment_url("http://x.test/zwgk/201803/t20180320_1.html")
False
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import urljoin, urlsplit
from weakref import WeakKeyDictionary

from parsel import Selector

from vocabulary import is_report_title, normalize

ATTACHMENT_EXTENSIONS = frozenset(
    "pdf doc docx wps xls xlsx et zip rar 7z ofd jpg jpeg png gif tif tiff bmp".split()  # noqa: SIM905
)
_DOWNLOAD_PATH = re.compile(r"downfile\.jsp|download\.jsp|/download/|filedownload|getfile", re.I)
_QUOTED_URL = re.compile(r"""['"]([^'"]+)['"]""")
_CALL = re.compile(r"^[\w.$]+\s*\(")  # onclick="window.open('…')": a call, not a URL
_SKIP_SCHEMES = ("mailto:", "tel:", "#", "data:")


@dataclass(frozen=True)
class Link:
    url: str
    text: str
    date: str | None = None  # publication date shown next to the item in a list, if any


def unwrap_href(href: str) -> str | None:
    href = href.strip().replace("&amp;", "&")
    if href.lower().startswith("javascript:") or _CALL.match(href):
        # javascript:openFile('…') — take the first quoted thing that looks like a path or URL
        for candidate in _QUOTED_URL.findall(href):
            if "/" in candidate or "." in candidate:
                return candidate
        return None
    if not href or href.lower().startswith(_SKIP_SCHEMES):
        return None
    return href


def join_url(base: str, href: str) -> str:
    """``urljoin(base, href)``, the same string, made cheaper: a page's links are joined to
    its URL by more than one step (link extraction, platform detection).

    >>> join_url("http://x.test/nb/index_3.html", "/zwgk/t2020_1.html?a=1#b")
    'http://x.test/zwgk/t2020_1.html?a=1#b'
    >>> join_url("http://x.test/nb/index_3.html", "./202001/t2020_1.html")
    'http://x.test/nb/202001/t2020_1.html'
    """
    # An absolute path (``/a/b.html?x=1``) joins as the base's scheme and host before it —
    # unless it holds something urljoin rewrites: dot segments, ``;`` parameters, an empty
    # ``?`` or ``#``, spaces or control characters. Those go the long way.
    if href[:1] == "/" and href[1:2] != "/" and _PLAIN_ABSOLUTE.fullmatch(href):
        origin = _origin(base)
        if origin is not None:
            return origin + href
    return _urljoin(base, href)


_PLAIN_ABSOLUTE = re.compile(
    r"(?:/(?!\.\.?(?:[/?#]|$))[^\x00-\x20\x7f;?#/]*)+(?:\?[^\x00-\x20\x7f#]+)?(?:#[^\x00-\x20\x7f]+)?"
)
_urljoin = lru_cache(maxsize=4096)(urljoin)


@lru_cache(maxsize=256)
def _origin(base: str) -> str | None:
    """``scheme://host`` of an http(s) base URL, as urljoin writes it (None otherwise)."""
    parts = urlsplit(base)
    if (
        parts.scheme in ("http", "https")
        and parts.netloc
        and base[: len(parts.scheme) + 3].lower() == (f"{parts.scheme}://")
    ):
        return f"{parts.scheme}://{parts.netloc}"
    return None


def extract_links(selector: Selector, base_url: str, css: str = "a[href]") -> list[Link]:
    """Every followable link of a page, in document order.

    A listing is asked for its links several times (item links, further pages, stub test),
    so the links are worked out once per page (selector) and handed out again as copies.
    """
    cached = _LINKS.get(selector)
    if cached is None:
        cached = _LINKS[selector] = {}
    key = (base_url, css)
    links = cached.get(key)
    if links is None:
        links = cached[key] = tuple(_extract(selector, base_url, css))
    return list(links)


# Links by selector; an entry goes with its page (the selector lives as long as the response).
_LINKS: WeakKeyDictionary[Selector, dict[tuple[str, str], tuple[Link, ...]]] = WeakKeyDictionary()


def _extract(selector: Selector, base_url: str, css: str) -> list[Link]:
    links: list[Link] = []
    for a in _elements(selector, css):
        href = unwrap_href(a.get("href") or "") or unwrap_href(a.get("onclick") or "")
        if not href:
            continue
        url = join_url(base_url, href)
        if urlsplit(url).scheme not in ("http", "https"):
            continue
        links.append(Link(url=url, text=best_title(a)))
    return links


_ELLIPSIS = re.compile(r"(\.{2,}|…+|\.\.\.)$")


def best_title(a: Any) -> str:
    """The title of a link (an lxml ``<a>``): the best of its text, its ``title`` attribute and
    its nested markup. Lists shorten long titles (``某局2022年政府信息公开工作年度...``) and keep
    the whole one in the ``title`` attribute, a nested (often hidden) span, or the next cell.

    >>> from lxml import html
    >>> def first_a(markup): return best_title(html.fromstring(markup).xpath("//a")[0])
    >>> first_a('<a href="x" title="某局2022年政府信息公开工作年度报告">某局2022年政府信息公开…</a>')
    '某局2022年政府信息公开工作年度报告'
    >>> first_a('<a href="x">某局2022年政府信息公开...'
    ...         '<span style="display:none">某局2022年政府信息公开工作年度报告</span></a>')
    '某局2022年政府信息公开工作年度报告'
    >>> first_a('<a href="x"><span title="某局2021年政府信息公开工作年度报告">某局2021年政府...</span></a>')
    '某局2021年政府信息公开工作年度报告'
    >>> first_a('<table><tr><td><a href="x">某局2020年政府信息...</a></td>'
    ...         '<td>某局2020年政府信息公开工作年度报告</td></tr></table>')
    '某局2020年政府信息公开工作年度报告'
    >>> first_a('<a href="x" title="点击查看">政府信息<br>公开年报</a>')
    '政府信息公开年报'
    """
    text = normalize("".join(a.itertext()))
    title = normalize(a.get("title") or "")
    plain = title if len(title) > len(text) else text  # the long one, as lists shorten
    if is_report_title(plain) and not _ELLIPSIS.search(plain) and not _has_children(a):
        return plain
    shown = normalize(a.text or "")
    stem = _ELLIPSIS.sub("", shown or text)
    candidates = [title]
    for child in a.iterdescendants():
        if isinstance(child.tag, str):
            candidates += [normalize(child.get("title") or ""), normalize("".join(child.itertext()))]
    candidates += [text, _next_cell_text(a) if _ELLIPSIS.search(shown or text) else ""]
    for candidate in candidates:
        whole = bool(candidate) and not _ELLIPSIS.search(candidate) and is_report_title(candidate)
        if whole and (not stem or candidate.startswith(stem[: max(2, len(stem) - 3)]) or candidate == title):
            return candidate
    return plain


def _has_children(a: Any) -> bool:
    return any(isinstance(child.tag, str) for child in a)


def _next_cell_text(a: Any) -> str:
    """The text of the cell after the link's cell (tables that show the full title there)."""
    cell = next((p for p in a.iterancestors() if p.tag in ("td", "th")), None)
    following = cell.getnext() if cell is not None else None
    return normalize("".join(following.itertext())) if following is not None else ""


def anchor_hrefs(selector: Selector) -> list[str]:
    """Every ``<a href>`` value in document order, as ``selector.xpath("//a/@href").getall()``
    gives them (a walk over the elements: no XPath engine, no Selector per value)."""
    return [a.get("href") for a in _elements(selector, "a[href]")]


def _elements(selector: Selector, css: str) -> list[Any]:
    """The lxml elements ``css`` selects: straight from lxml for the usual ``a[href]``
    (no Selector object per link), through parsel for anything else."""
    if css == "a[href]" and selector.type in ("html", "xml") and selector.root is not None:
        return [a for a in selector.root.iter("a") if a.get("href") is not None]
    return [a.root for a in selector.css(css)]


_DOWNLOAD_TEXT = re.compile(r"附件|下载|点击下载|原文|全文|\.(pdf|docx?|xlsx?|wps|ofd|zip|rar)$", re.I)
_DOWNLOAD_URL = re.compile(
    r"download|attach|fujian|getfile|downfile|[?&](fid|fileid|file_id|attachid|attid)=", re.I
)
_FILE_ROUTE = re.compile(r"file|attach|upload|down|doc|fj", re.I)
_ICON = re.compile(
    r"attach|fujian|\bfj|download|icon[-_]?(pdf|doc|xls|file)|(pdf|doc|xls|file)[-_]?icon", re.I
)


def download_links(selector: Selector, base_url: str) -> list[Link]:
    """Same-site links of a report page that suggest a download without saying what file
    (附件 / 下载 / 点击下载, an attachment icon, ``download`` / ``attach`` / ``fid=`` / ``fileid=``
    in the URL, ``id=`` on a file route): candidates to fetch and keep if they are documents.
    Links :func:`is_attachment_url` already recognises are left out.

    >>> from parsel import Selector
    >>> page = Selector(text='<a href="/attach/get?id=7">点击下载</a> <a href="/news/1.html">新闻</a>'
    ...   '<a href="/sys/file.do?id=9"><img src="/img/icon_pdf.gif"></a> <a href="/a/P0.pdf">附件</a>'
    ...   '<a href="http://other.test/download?id=1">下载</a>')
    >>> [link.url for link in download_links(page, "http://x.test/nb/t1.html")]
    ['http://x.test/attach/get?id=7', 'http://x.test/sys/file.do?id=9']
    """
    host = urlsplit(base_url).netloc
    found: dict[str, Link] = {}
    for a in _elements(selector, "a[href]"):
        href = unwrap_href(a.get("href") or "") or unwrap_href(a.get("onclick") or "")
        if not href:
            continue
        url = join_url(base_url, href)
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or parts.netloc != host or is_attachment_url(url):
            continue
        text = normalize("".join(a.itertext())) or normalize(a.get("title") or "")
        icons = [f"{i.get('src') or ''} {i.get('class') or ''}" for i in a.iter("img", "i", "span")]
        marks = " ".join([a.get("class") or "", *icons])
        plain_id = re.search(r"(^|&)id=", parts.query) and _FILE_ROUTE.search(parts.path)
        if _DOWNLOAD_TEXT.search(text) or _DOWNLOAD_URL.search(url) or _ICON.search(marks) or plain_id:
            found.setdefault(url, Link(url=url, text=text))
    return list(found.values())


def is_attachment_url(url: str) -> bool:
    parts = urlsplit(url)
    path = parts.path.lower()
    extension = path.rsplit(".", 1)[-1] if "." in path.rsplit("/", 1)[-1] else ""
    if extension in ATTACHMENT_EXTENSIONS:
        return True
    if _DOWNLOAD_PATH.search(path):
        return True
    query_ext = re.search(r"\.([a-z0-9]{2,4})(?:&|$)", parts.query.lower())
    return bool(query_ext and query_ext.group(1) in ATTACHMENT_EXTENSIONS)
