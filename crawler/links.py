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

from parsers.titles import normalize

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
        # The element's text nodes, as ``a.css("::text")`` gives them (comments left out).
        text = normalize("".join(a.itertext()))
        title = normalize(a.get("title") or "")
        # Lists truncate long titles ("…"); the title attribute keeps them whole.
        links.append(Link(url=url, text=title if len(title) > len(text) else text))
    return links


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
