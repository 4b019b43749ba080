"""开普云 Ucap portals (the Jiangxi intensive platform and others).

What the adapter knows (PORTALS.md; real pages ``realworld/portals_cms/ucap_*``):

- Articles are ``/{siteCode}/{column}/{YYYYMM}/{32 hex}.shtml``; the title is in
  ``<ucaptitle>``, the date in ``<publishtime>``, the body in ``<ucapcontent>`` (or
  ``#UCAP-CONTENT``); uploaded files sit in the ``.fj-a`` block ("相关附件", hidden by script
  when empty) or in the body.
- Columns are ``/{siteCode}/{column}/list.shtml`` (``xxgk_list.shtml`` …); the pager is drawn
  by script, so later pages (``list_2.shtml`` …, numbered from 2) may be linked only through
  ``javascript:`` calls. Their number is read from the pager (``共5页``, ``pageCount = 5``)
  and every page is asked for at once (a chain of 下一页 links would hit the depth limit).

>>> from scrapy.http import HtmlResponse
>>> page = HtmlResponse("http://x.test/fxxrmzf/zfxxgknb/list.shtml", encoding="utf-8", body='''
...   <a href="/fxxrmzf/zfxxgknb/202003/0123456789abcdef0123456789abcdef.shtml">年报</a>
...   <div class="pagination"><span>共3页</span><a href="javascript:goPage(2)">下一页</a></div>
... '''.encode())
>>> Ucap.detect(page), [link.url.rsplit("/", 1)[1] for link in Ucap().next_pages(page)]
(True, ['list_2.shtml', 'list_3.shtml'])
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urljoin, urlsplit

from scrapy.http import TextResponse

from crawler.links import Link
from crawler.platforms.base import Platform, mentions
from crawler.platforms.generic import Generic
from crawler.platforms.shared import MAX_PAGES, attachments, is_stub, same_site_paths

ARTICLE_URL = re.compile(r"/\d{6}/[0-9a-f]{32}\.shtml$")
# (Not "kaipuyun": its site search is embedded in portals of every CMS.)
_MARKER = re.compile(r"<ucap(?:title|content)\b|UCAP-CONTENT|\bwebSiteCode\s*=\s*[\"']", re.I)
_PAGE_COUNT = re.compile(r"共\s*(\d+)\s*页|\b(?:pageCount|totalPage|pageTotal)\s*[=:]\s*['\"]?(\d+)")
_LIST_FILE = re.compile(r"/([A-Za-z][\w-]*?)(?:_(\d+))?\.shtml$")


class Ucap(Platform):
    name = "ucap"

    @classmethod
    def detect(cls, response: TextResponse) -> bool:
        if mentions(response, "ucap", "websitecode") and _MARKER.search(response.text):
            return True
        return any(ARTICLE_URL.search(path) for path in same_site_paths(response))

    def next_pages(self, response: TextResponse) -> Iterable[Link]:
        if is_stub(response, ARTICLE_URL):
            return []
        found = {link.url: link for link in _numbered_pages(response)}
        for link in Generic().next_pages(response):
            found.setdefault(link.url, link)
        found.pop(response.url, None)
        return list(found.values())

    def attachment_links(self, response: TextResponse) -> Iterable[Link]:
        return attachments(response, body_css=["ucapcontent", "#UCAP-CONTENT", ".fj-a"])


def _numbered_pages(response: TextResponse) -> list[Link]:
    """``list.shtml`` … ``list_N.shtml`` from a page count the pager states."""
    match = _LIST_FILE.search(urlsplit(response.url).path)
    counts = [int(a or b) for a, b in _PAGE_COUNT.findall(response.text)]
    if match is None or not counts:
        return []
    name = match.group(1)
    pages = min(max(counts), MAX_PAGES)
    links = [Link(urljoin(response.url, f"{name}.shtml"), "第1页")]
    links += [Link(urljoin(response.url, f"{name}_{k}.shtml"), f"第{k}页") for k in range(2, pages + 1)]
    return links
