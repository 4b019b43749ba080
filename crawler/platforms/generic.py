"""The fallback platform: static pages paged by 下一页 / 尾页 / page-number links.

>>> from scrapy.http import HtmlResponse
>>> page = HtmlResponse("http://x.test/nb/index.html", body='''<div class="page">
...   <a href="index.html">首页</a> <a href="index_1.html">下一页</a> <a href="index_2.html">尾页</a>
...   <a href="/news/index_1.html">其他栏目</a></div>'''.encode(), encoding="utf-8")
>>> sorted(link.url for link in Generic().next_pages(page))
['http://x.test/nb/index.html', 'http://x.test/nb/index_1.html', 'http://x.test/nb/index_2.html']
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urlsplit

from scrapy.http import TextResponse

from crawler.links import Link, extract_links
from crawler.platforms.base import Platform

_PAGER_TEXT = re.compile(r"^(下一?页|上一?页|尾页|末页|首页|最后一?页|第?\d{1,4}页?|>>?|»|<<?|«)$")
_PAGED_URL = re.compile(r"(index|list|default)_\d+\.s?html?$|[?&](page|pageNo|cur_page|pageIndex)=\d+", re.I)


class Generic(Platform):
    name = "generic"

    @classmethod
    def detect(cls, response: TextResponse) -> bool:
        return True

    def next_pages(self, response: TextResponse) -> Iterable[Link]:
        here = _directory(response.url)
        for link in extract_links(response.selector, response.url):
            # Only pages of this listing: same directory, pager text or a paged URL.
            if _directory(link.url) != here:
                continue
            if _PAGER_TEXT.match(link.text) or _PAGED_URL.search(link.url):
                yield link


def _directory(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.netloc, parts.path.rsplit("/", 1)[0]
