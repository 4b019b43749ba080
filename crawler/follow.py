"""Which links the spider follows as report items and as attachments.

The rules the spider crawls by (``crawler/spiders/annual_reports.py``), kept apart so that
``nianbao import-warc`` gives another crawler's fetches their roles by the same rules
rather than by a copy of them.
"""

from __future__ import annotations

from collections.abc import Iterable

from scrapy.http import TextResponse

from crawler.links import Link, download_links
from crawler.platforms import Platform, platform_for
from vocabulary import is_report_title


def report_links(
    response: TextResponse, platform: Platform | None = None, items: Iterable[Link] | None = None
) -> list[Link]:
    """A listing's report items: the links its CMS adapter lists (``items``, when the caller
    has them already) whose text is a report title.

    >>> from scrapy.http import HtmlResponse, Request
    >>> html = ('<a href="t1.html">某市2019年政府信息公开工作年度报告</a> '
    ...         '<a href="t2.html">法治政府建设年度报告</a> <a href="/">首页</a>')
    >>> url = "http://x.test/ndbg/"
    >>> page = HtmlResponse(url, body=html.encode(), encoding="utf-8", request=Request(url))
    >>> [link.url for link in report_links(page)]
    ['http://x.test/ndbg/t1.html']
    """
    if items is None:
        items = (platform or platform_for(response)).item_links(response)
    return [link for link in items if is_report_title(link.text)]


def attachment_links(response: TextResponse) -> list[tuple[Link, bool]]:
    """A report page's attachments: its CMS adapter's, then the links that only suggest a
    download, each with whether it must be probed (kept only if the answer is a document).

    >>> from scrapy.http import HtmlResponse, Request
    >>> html = b'<a href="/a/P0.pdf">r.pdf</a> <a href="/attach/get?id=7">download</a> <a href="/n">n</a>'
    >>> url = "http://x.test/nb/t1.html"
    >>> page = HtmlResponse(url, body=html, encoding="utf-8", request=Request(url))
    >>> [(link.url, probe) for link, probe in attachment_links(page)]
    [('http://x.test/a/P0.pdf', False), ('http://x.test/attach/get?id=7', True)]
    """
    found = {link.url: link for link in platform_for(response).attachment_links(response)}
    probes = [link for link in download_links(response.selector, response.url) if link.url not in found]
    return [(link, False) for link in found.values()] + [(link, True) for link in probes]
