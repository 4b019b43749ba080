"""Guangdong's 政府信息公开目录平台 (gkmlpt): lists drawn by script from a JSON API.

Every gkmlpt site (PORTALS.md; public crawlers of gd.gov.cn, sz.gov.cn, gz.gov.cn …) is a
path ``…/gkmlpt/`` on the portal: ``/gkmlpt/index`` and the other catalogue pages carry
``window._CONFIG = {SID: '755031', …}`` and draw their lists in the browser from
``/gkmlpt/api/all/{category}?page=N&sid={SID}``, which answers JSON
``{"total": 23, "articles": [{"id", "title", "url", "publisher", "identifier" (索引号),
"document_number", "attachment": [{"name", "url"}], …}]}``. Articles are
``…/gkmlpt/content/{a}/{b}/post_{id}.html`` pages (metadata table, body, attachment links).

The adapter finds the SID and the category of a list page — from the URL fragment
(``/gkmlpt/index#2735``), a ``CATEGORY`` / ``CATEGORY_ID`` / ``CID`` entry of ``_CONFIG``,
or category entries ``{"id": 2735, "name": "政府信息公开年报"}`` named as a 年报 column — and
asks the API for page 1; the first answer tells the page size and ``total``, so the rest is
asked for at once.

>>> from scrapy.http import HtmlResponse
>>> page = HtmlResponse("http://x.test/gkmlpt/annualreport", encoding="utf-8", body=b'''
... <script>window._CONFIG = {SID: '755031', CATEGORY_ID: 2735, ROOT: '/gkmlpt/'};</script>''')
>>> Gkmlpt.detect(page), [r.url for r in Gkmlpt().next_pages(page)]
(True, ['http://x.test/gkmlpt/api/all/2735?page=1&sid=755031'])
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import urljoin, urlsplit

from scrapy import Request
from scrapy.http import TextResponse

from crawler.links import Link
from crawler.platforms.base import Platform
from crawler.platforms.shared import as_int, attachments, json_object, meta_of
from crawler.platforms.trs import TRS
from vocabulary import Meta, is_column_label, normalize

_CONFIG = re.compile(r"window\._CONFIG\s*=")
_SID = re.compile(r"""\bSID\s*:\s*['"]?(\w+)""")
_CONFIG_CATEGORY = re.compile(r"""\b(?:CATEGORY_ID|CATEGORY|CID|CAT_ID)\s*:\s*['"]?(\d+)""")
_NAMED_CATEGORY = re.compile(
    r"""\{[^{}]*?["']?id["']?\s*:\s*['"]?(\d+)['"]?[^{}]*?["']?name["']?\s*:\s*["']([^"']+)["']"""
)
_API = re.compile(r"/gkmlpt/api/all/(\d+)")


class Gkmlpt(Platform):
    name = "gkmlpt"

    @classmethod
    def detect(cls, response: TextResponse) -> bool:
        return "/gkmlpt/" in urlsplit(response.url).path and bool(
            _CONFIG.search(response.text) or "/gkmlpt/content/" in response.url
        )

    def item_links(self, response: TextResponse) -> Iterable[Link]:
        answer = json_object(response)
        if answer is None:
            return super().item_links(response)  # an article or a static page
        links = []
        for article in answer.get("articles") or []:
            url = article.get("url") or article.get("post_url")
            if url:
                title = normalize(re.sub(r"<[^>]+>", "", str(article.get("title") or "")))
                links.append(Link(urljoin(response.url, url), title))
        return links

    def next_pages(self, response: TextResponse) -> Iterable[Link | Request]:
        answer = json_object(response)
        if answer is not None:
            return self._other_pages(response, answer)
        sid = _SID.search(response.text) if _CONFIG.search(response.text) else None
        if sid is None:
            return TRS().next_pages(response)  # a static gkmlpt page: TRS pagers
        return [self._api(response.url, cat, sid.group(1), 1) for cat in categories(response)]

    def _other_pages(self, response: TextResponse, answer: dict[str, Any]) -> list[Request]:
        """After page 1: every other page, sized by page 1 (sites use 10, 20 or 100)."""
        if meta_of(response).get("gkmlpt_page") != 1:
            return []
        size = len(answer.get("articles") or [])
        total = as_int(answer.get("total")) or 0
        match = _API.search(urlsplit(response.url).path)
        sid = meta_of(response).get("gkmlpt_sid")
        if not size or not match or not sid:
            return []
        pages = math.ceil(total / size)
        return [self._api(response.url, match.group(1), sid, n) for n in range(2, pages + 1)]

    def _api(self, url: str, category: str, sid: str, page: int) -> Request:
        return Request(
            urljoin(url, f"/gkmlpt/api/all/{category}?page={page}&sid={sid}"),
            meta={Meta.PLATFORM: self.name, Meta.GKMLPT_PAGE: page, Meta.GKMLPT_SID: sid},
        )

    def attachment_links(self, response: TextResponse) -> Iterable[Link]:
        return attachments(response, body_css=[".article-content", ".content"])


def categories(response: TextResponse) -> list[str]:
    """The categories a gkmlpt page lists: the URL fragment, ``_CONFIG``'s category, else
    category entries named as a 年报 column."""
    fragment = urlsplit(response.url).fragment.strip("/")
    if fragment.isdigit():
        return [fragment]
    if found := _CONFIG_CATEGORY.search(response.text):
        return [found.group(1)]
    named = [cat for cat, name in _NAMED_CATEGORY.findall(response.text) if is_column_label(name)]
    return list(dict.fromkeys(named))
