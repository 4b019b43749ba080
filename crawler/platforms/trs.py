"""TRS WCM (拓尔思) portals: static ``index_N.html`` lists paged by script, t-date articles.

What the adapter knows (PORTALS.md, real pages in ``realworld/portals_cms/trs_handan_*``):

- Articles are ``./YYYYMM/tYYYYMMDD_ID.html`` (or ``.shtml`` / ``.htm``) under the column;
  bodies sit in ``.TRS_Editor``, ``.trs_editor_view`` or ``.TRS_UEDITOR``; uploaded files are
  ``./P0YYYYMMDD….pdf`` and inline images ``./W0….jpg``.
- A column's pages are ``index.html``, ``index_1.html`` … and the pager is written by script,
  so often no ``<a>`` leads to page 2: ``createPageHTML(total, current, "index", "html")``
  (also with 3 arguments, and the 6-argument ``createPageHTML("div", total, current, "index",
  "html", records)``), or inline ``var countPage=56 … document.write("index_"+i+".html")``.
- Deep ``index_N`` pages may be tiny stubs left behind (no items, sometimes a stale pager
  that promises even more pages): paging stops there.
- Pages lie about their charset: GBK bytes under ``charset=utf-8``. Every step here reads a
  re-decoded copy (:func:`honest`), so link texts reach the spider without mojibake.
- Articles of the 政府信息公开 catalogue carry a 索引号 / 发布机构 / 名称 / 文号 / 主题分类 /
  发布日期 block (:meth:`TRS.metadata`).

>>> from scrapy.http import HtmlResponse
>>> page = HtmlResponse("http://x.test/nb/index.html", body=b'''<ul>
...   <li><a href="./201903/t20190320_51.html">report</a></li></ul>
...   <script>createPageHTML(3, 0, "index", "html");</script>''')
>>> TRS.detect(page)
True
>>> [link.url for link in TRS().next_pages(page)]
['http://x.test/nb/index_1.html', 'http://x.test/nb/index_2.html']
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import urljoin, urlsplit
from weakref import WeakKeyDictionary

from scrapy.http import TextResponse

from crawler.charset import decoded
from crawler.links import Link, anchor_hrefs, extract_links, is_attachment_url, join_url, unwrap_href
from crawler.platforms.base import Platform, mentions
from crawler.platforms.generic import Generic
from parsers.titles import normalize

MAX_PAGES = 500  # a pager claiming more is broken; never queue more than this
STUB_MAX_BYTES = 8192
_BODY_CLASSES = ("TRS_Editor", "trs_editor_view", "TRS_UEDITOR")
_BODY_MARKER = re.compile(r"TRS_Editor|trs_editor_view|TRS_UEDITOR", re.I)
_PAGER_MARKER = re.compile(r"createPageHTML\s*\(|\bvar\s+countPage\s*=")
ARTICLE_URL = re.compile(r"/t(?:19|20)\d{6}_\d+\.s?html?$", re.I)
UPLOAD_NAME = re.compile(r"/[PW]0(?:19|20)\d{6}\d*\.[A-Za-z0-9]{2,5}$")
_CREATE_PAGE = re.compile(r"createPageHTML\s*\(([^()]*)\)")
_COUNT_PAGE = re.compile(r"\bcountPage\s*=\s*(\d+)")
_CURRENT_PAGE = re.compile(r"\bcurrentPage\s*=\s*(\d+)")
_WRITTEN_HREF = re.compile(r"""href=\\?["']([A-Za-z][\w-]*)\.(s?html?)\\?["']""")
_PAGE_FILE = re.compile(r"/([A-Za-z][\w-]*?)(?:_\d+)?\.(s?html?)$")
_EXTENSIONS = {"html", "htm", "shtml"}
_ONCLICK_URL = re.compile(r"""['"]([^'"\s]+\.[A-Za-z0-9]{2,5})['"]""")
_LABELS = ("索引号", "发布机构", "名称", "文号", "主题分类", "发布日期", "成文日期", "生成日期", "有效性")


class TRS(Platform):
    name = "trs"

    @classmethod
    def detect(cls, response: TextResponse) -> bool:
        text = response.text
        # (Each check first asks for a word every match holds: most pages have none.)
        if mentions(response, "trs_") and _BODY_MARKER.search(text):
            return True
        if ("createPageHTML" in text or "countPage" in text) and _PAGER_MARKER.search(text):
            return True
        # Same-site t-date article links or P0… uploads (a footer link elsewhere does not count).
        return any(ARTICLE_URL.search(path) or UPLOAD_NAME.search(path) for path in same_site_paths(response))

    def item_links(self, response: TextResponse) -> Iterable[Link]:
        return extract_links(honest(response).selector, response.url)

    def next_pages(self, response: TextResponse) -> Iterable[Link]:
        page = honest(response)
        if is_stub(page):
            return []  # a stub's pager (often stale) leads nowhere
        found = {link.url: link for link in script_pages(page)}
        for link in Generic().next_pages(page):
            found.setdefault(link.url, link)
        return list(found.values())

    def metadata(self, response: TextResponse) -> dict[str, str]:
        page = honest(response)
        meta = labelled_values(page, _LABELS)
        if "发布日期" not in meta:
            pubdate = page.xpath("//meta[@name='PubDate']/@content").get()
            if pubdate:
                meta["发布日期"] = pubdate.strip()
        return meta

    def attachment_links(self, response: TextResponse) -> Iterable[Link]:
        return attachments(honest(response), body_css=[f".{name}" for name in _BODY_CLASSES])


# --------------------------------------------------------------------------- helpers shared
# with the other CMS adapters (Fujian TRS, Ucap, gkmlpt, ASP.NET).


def same_site_paths(response: TextResponse, limit: int = 400) -> list[str]:
    """Paths of the page's first ``limit`` ``<a href>`` that stay on its host. Several
    platforms' ``detect`` look at them, so they are worked out once per page."""
    cached = _SAME_SITE_PATHS.setdefault(response, {})
    if limit not in cached:
        host = urlsplit(response.url).hostname
        paths = []
        for href in anchor_hrefs(response.selector)[:limit]:
            parts = urlsplit(join_url(response.url, href.strip()))
            if parts.hostname == host:
                paths.append(parts.path)
        cached[limit] = tuple(paths)
    return list(cached[limit])


def honest(response: TextResponse) -> TextResponse:
    r"""The response decoded right: GBK bytes under a ``charset=utf-8`` label are read as
    GB18030 (a superset of GBK and GB2312) when that decodes cleanly.

    >>> from scrapy.http import HtmlResponse
    >>> page = HtmlResponse("http://x.test/", body="<p>政府信息公开年报</p>".encode("gbk"),
    ...                     headers={"Content-Type": "text/html; charset=utf-8"})
    >>> "\ufffd" in page.text, honest(page).css("p::text").get()
    (True, '政府信息公开年报')
    """
    return decoded(response)[0]  # decided once, in one place (crawler/charset.py)


# Per-page results, gone with their page.
_SAME_SITE_PATHS: WeakKeyDictionary[TextResponse, dict[int, tuple[str, ...]]] = WeakKeyDictionary()


def is_stub(response: TextResponse) -> bool:
    """A tiny list page without a single item (no article or file link): what a CMS leaves at a
    deep ``index_N`` after the column shrank. (A full-size page is never taken for one: its items
    may just not look like TRS articles.)"""
    if len(response.body) > STUB_MAX_BYTES:
        return False
    for link in extract_links(response.selector, response.url):
        path = urlsplit(link.url).path
        if ARTICLE_URL.search(path) or is_attachment_url(link.url):
            return False
    return True


def script_pages(response: TextResponse) -> Iterator[Link]:
    """Pages named by a TRS pager script, except the page itself."""
    text = response.text
    default_name, default_ext = _page_file(response.url)
    calls = [_create_page_args(m.group(1)) for m in _CREATE_PAGE.finditer(text)]
    pagers = [c for c in calls if c is not None]
    if not pagers and (count := _COUNT_PAGE.search(text)):
        written = _WRITTEN_HREF.search(text)
        name, ext = (written.group(1), written.group(2)) if written else (default_name, default_ext)
        current = _CURRENT_PAGE.search(text)
        pagers.append((int(count.group(1)), int(current.group(1)) if current else 0, name, ext))
    for total, current, name, ext in pagers:
        for k in range(min(total, MAX_PAGES)):
            if k == current:
                continue
            href = f"{name or default_name}.{ext or default_ext}"
            if k:
                href = f"{name or default_name}_{k}.{ext or default_ext}"
            yield Link(urljoin(response.url, href), f"第{k + 1}页")


def _create_page_args(raw: str) -> tuple[int, int, str, str] | None:
    """``createPageHTML`` arguments → (pages, current, name, ext); ``None`` for the function's
    own definition (no numbers). Strings before the page count (a div id) are skipped.

    >>> _create_page_args('56, 3, "index", "html"')
    (56, 3, 'index', 'html')
    >>> _create_page_args("'page_div', 8, 0, 'list', 'shtml', 150")
    (8, 0, 'list', 'shtml')
    >>> _create_page_args('4, 1, "shtml"'), _create_page_args('4, 1, "index"')
    ((4, 1, '', 'shtml'), (4, 1, 'index', ''))
    >>> _create_page_args("_nPageCount, _nCurrIndex, _sPageName, _sPageExt") is None
    True
    """
    args = [a.strip().strip("'\"") for a in raw.split(",")]
    numbers = [i for i, a in enumerate(args) if a.isdigit()]
    if not numbers:
        return None
    first = numbers[0]
    total = int(args[first])
    current = int(args[first + 1]) if first + 1 < len(args) and args[first + 1].isdigit() else 0
    words = [a for a in args[first + 2 :] if a and not a.isdigit()]
    name = ext = ""
    if len(words) >= 2:
        name, ext = words[0], words[1]
    elif words:
        name, ext = ("", words[0]) if words[0].lower() in _EXTENSIONS else (words[0], "")
    return total, current, name, ext


def _page_file(url: str) -> tuple[str, str]:
    """The list page's own name and extension (``index``, ``html`` unless the URL says).

    >>> _page_file("http://x.test/nb/index_3.shtml"), _page_file("http://x.test/nb/")
    (('index', 'shtml'), ('index', 'html'))
    """
    match = _PAGE_FILE.search(urlsplit(url).path)
    return (match.group(1), match.group(2)) if match else ("index", "html")


def labelled_values(response: TextResponse, labels: Iterable[str]) -> dict[str, str]:
    """``标签：值`` pairs of a metadata block, whatever the markup: ``<p><strong>索引号</strong>：
    …</p>``, table cells, ``<li><span>…</span>…</li>``. The first occurrence of a label wins;
    commented-out rows (``<!--<p>成文日期…-->``) are not text and never match.

    >>> from scrapy.http import HtmlResponse
    >>> page = HtmlResponse("http://x.test/a.html", encoding="utf-8", body='''<table>
    ...   <tr><th>索引号：</th><td>000014348/2020-35147</td><th>文号</th><td>无</td></tr></table>
    ...   <p><strong>发布日期</strong>：2020年08月02日</p>'''.encode())
    >>> labelled_values(page, ["索引号", "文号", "发布日期"])
    {'索引号': '000014348/2020-35147', '文号': '无', '发布日期': '2020年08月02日'}
    """
    wanted = set(labels)
    texts = [
        t.strip()
        for t in response.xpath("//body//text()[not(ancestor::script)][not(ancestor::style)]").getall()
    ]
    texts = [t for t in texts if t]
    found: dict[str, str] = {}
    for i, text in enumerate(texts):
        label, value = _split_label(text)
        if label not in wanted or label in found:
            continue
        if not value and i + 1 < len(texts):
            following = texts[i + 1]
            if following in ("：", ":") and i + 2 < len(texts):
                following = texts[i + 2]
            following = following.lstrip(":：").strip()
            if _split_label(following)[0] not in wanted:  # not the next row's label
                value = following
        found[label] = value
    return {label: found[label] for label in labels if label in found}


def _split_label(text: str) -> tuple[str, str]:
    """``"索引号：123"`` → ``("索引号", "123")``; text without a colon is all label."""
    label, _, rest = re.sub("：", ":", text, count=1).partition(":")
    return normalize(label), rest.strip()


def attachments(response: TextResponse, body_css: Iterable[str] = ()) -> list[Link]:
    """Files of an article page: attachment links (also ``onclick="window.open('…')"`` and
    ``javascript:`` hrefs) anywhere on the page, and images uploaded into the body
    (``W0….jpg``, never the site's logos)."""
    found: dict[str, Link] = {}
    for a in response.css("a"):
        url = _anchor_url(a, response.url)
        if url and is_attachment_url(url):
            text = normalize("".join(a.css("::text").getall())) or normalize(a.attrib.get("title", ""))
            found.setdefault(url, Link(url, text))
    for css in body_css:
        for img in response.css(f"{css} img"):
            src = (img.attrib.get("src") or "").strip()
            if not src or src.startswith("data:"):
                continue
            url = urljoin(response.url, src)
            if UPLOAD_NAME.search(urlsplit(url).path):
                found.setdefault(url, Link(url, normalize(img.attrib.get("alt", ""))))
    return list(found.values())


def _anchor_url(anchor: object, base: str) -> str | None:
    """An anchor's target: its href, else a file URL quoted in its onclick."""
    attrib = anchor.attrib  # type: ignore[attr-defined]
    href = unwrap_href(attrib.get("href", ""))
    if href:
        return urljoin(base, href)
    match = _ONCLICK_URL.search(attrib.get("onclick", "").replace("&amp;", "&"))
    return urljoin(base, match.group(1)) if match else None


def json_object(response: TextResponse) -> dict[str, Any] | None:
    """An API answer's JSON object, or ``None`` when the body is not one (an HTML page)."""
    text = response.text.lstrip()
    if not text.startswith("{"):
        return None
    try:
        answer = json.loads(text)
    except ValueError:
        return None
    return answer if isinstance(answer, dict) else None


def as_int(value: object) -> int | None:
    """``'20'`` or ``20`` → 20; anything else → ``None``."""
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def meta_of(response: TextResponse) -> dict[str, Any]:
    """The request meta of a response; ``{}`` for one built by hand (tests, tools)."""
    try:
        return response.meta
    except AttributeError:
        return {}
