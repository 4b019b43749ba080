"""The crawl's fast paths give exactly what the general ones give: URL joining, request
serialization for the on-disk frontier, and link extraction done once per page."""

from __future__ import annotations

import random
from urllib.parse import urljoin

from scrapy import Request
from scrapy.http import FormRequest, HtmlResponse

from crawler.frontier import request_dict
from crawler.links import extract_links, join_url
from crawler.spiders.annual_reports import AnnualReportsSpider

_PIECES = [*"abc/.?#;:% \t\n\\=&_-é", "..", "./", "../", "//", "\u3000", "%2e", "t2020.html", "x.pdf"]
_BASES = [
    "http://x.test/nb/index_3.html",
    "https://X.Test:8080/a/b/",
    "http://x.test",
    "HTTP://x.test/a?q#f",
    " http://x.test/a",
    "http://x.test/a;p?q",
    "ftp://x.test/a",
    "http:/x",
    "http://[::1]:8/a/b",
]


def test_join_url_is_urljoin() -> None:
    rng = random.Random(7)
    for _ in range(50_000):
        href = "/" + "".join(rng.choice(_PIECES) for _ in range(rng.randint(0, 8)))
        href = href[1:] if rng.random() < 0.2 else href
        base = rng.choice(_BASES)
        assert join_url(base, href) == urljoin(base, href), (base, href)


def test_frontier_rows_hold_what_scrapy_would_serialize() -> None:
    spider = AnnualReportsSpider(site="x")
    requests = [
        Request("http://x.test/a", callback=spider.parse_listing, meta={"role": "listing"}, priority=3),
        Request("http://x.test/b"),
        FormRequest(
            "http://x.test/c", formdata={"p": "2"}, callback=spider.parse_file, errback=spider.parse_report
        ),
    ]
    for request in requests:
        assert request_dict(request, spider) == request.to_dict(spider=spider)


def test_links_are_extracted_once_per_page_and_handed_out_as_copies() -> None:
    page = HtmlResponse(
        "http://x.test/nb/index.html",
        body='<a href="a.html">一<b>二</b><!-- x --></a><a href="/b.pdf" title="全称">短</a>'.encode(),
        encoding="utf-8",
    )
    first = extract_links(page.selector, page.url)
    assert [(link.url, link.text) for link in first] == [
        ("http://x.test/nb/a.html", "一二"),
        ("http://x.test/b.pdf", "全称"),
    ]
    first.clear()  # a caller's list is its own
    assert len(extract_links(page.selector, page.url)) == 2
