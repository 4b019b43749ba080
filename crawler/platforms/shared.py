"""Helpers several CMS adapters use: the one attachment finder, same-site paths for ``detect``,
the stub test of deep list pages, and the small readers of API answers.

Adapters import what they need from here; none subclasses another adapter to reach them.
Every helper reads the page it is given as it is: its charset was decided before any adapter
saw it (:func:`crawler.charset.decoded`, called once per page by the spider).

>>> from scrapy.http import HtmlResponse
>>> page = HtmlResponse("http://x.test/nb/t20200318_7.html", encoding="utf-8", body='''
...   <img src="/images/logo.png"><div class="TRS_Editor"><img src="./W020200318123.jpg">
...   <a href="./P020200318001.pdf">全文</a>
...   <a href="javascript:void(0)" onclick="window.open('./P020200318002.docx')">Word版</a>
...   <a href="javascript:openFile('/module/download/downfile.jsp?classid=0&amp;filename=a.pdf')">附件</a>
...   <a href="./t20200318_8.html">相关新闻</a></div>'''.encode())
>>> [link.url.rsplit("/", 1)[1] for link in attachments(page, body_css=[".TRS_Editor"])]
['P020200318001.pdf', 'P020200318002.docx', 'downfile.jsp?classid=0&filename=a.pdf', 'W020200318123.jpg']
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import urljoin, urlsplit
from weakref import WeakKeyDictionary

from scrapy.http import TextResponse

from crawler.links import (
    Link,
    anchor_hrefs,
    best_title,
    extract_links,
    is_attachment_url,
    join_url,
    unwrap_href,
)
from vocabulary import normalize

MAX_PAGES = 500  # a pager claiming more is broken; never queue more than this
STUB_MAX_BYTES = 8192
# What TRS-made CMSs (TRS WCM, Fujian's platform, gkmlpt, Ucap) name uploaded files: ``P0…``
# documents and ``W0…`` images, by upload date.
UPLOAD_NAME = re.compile(r"/[PW]0(?:19|20)\d{6}\d*\.[A-Za-z0-9]{2,5}$")


def attachments(response: TextResponse, body_css: Iterable[str] = ()) -> list[Link]:
    """Files of an article page: attachment links anywhere on the page — plain hrefs,
    ``downfile.jsp`` links with ``&amp;`` left in, ``javascript:openFile('…')`` hrefs and
    ``onclick="window.open('…')"`` handlers — and the images uploaded into the body
    (``W0….jpg`` inside ``body_css``, never the site's logos). A link's text is its best title
    (lists shorten it and keep the whole one in ``title=``)."""
    found: dict[str, Link] = {}
    for anchor in response.xpath("//a"):
        a = anchor.root
        for raw in (a.get("href") or "", a.get("onclick") or ""):
            target = unwrap_href(raw)
            if not target:
                continue
            url = urljoin(response.url, target)
            if urlsplit(url).scheme in ("http", "https") and is_attachment_url(url) and url not in found:
                found[url] = Link(url, best_title(a))
    for css in body_css:
        for img in response.css(f"{css} img"):
            src = (img.attrib.get("src") or "").strip()
            if not src or src.startswith("data:"):
                continue
            url = urljoin(response.url, src)
            if UPLOAD_NAME.search(urlsplit(url).path):
                found.setdefault(url, Link(url, normalize(img.attrib.get("alt", ""))))
    return list(found.values())


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


# Per-page results, gone with their page.
_SAME_SITE_PATHS: WeakKeyDictionary[TextResponse, dict[int, tuple[str, ...]]] = WeakKeyDictionary()


def is_stub(response: TextResponse, article_url: re.Pattern[str]) -> bool:
    """A tiny list page without a single item (no link to an article, as ``article_url``
    matches its path, nor to a file): what a CMS leaves at a deep ``index_N`` after the column
    shrank. (A full-size page is never taken for one: its items may just look different.)"""
    if len(response.body) > STUB_MAX_BYTES:
        return False
    for link in extract_links(response.selector, response.url):
        if article_url.search(urlsplit(link.url).path) or is_attachment_url(link.url):
            return False
    return True


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
