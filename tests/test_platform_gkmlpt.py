"""Guangdong gkmlpt adapter: ``window._CONFIG`` → ``/gkmlpt/api/all/{cat}?page=N&sid=`` JSON →
``post_ID.html`` articles, on synthetic pages and a mock portal crawled by the real CLI.
(No real gkmlpt page is in ../shared/realworld; the API shape is from PORTALS.md.)"""

from __future__ import annotations

import json

import pytest
from scrapy import Request
from scrapy.http import HtmlResponse, TextResponse

from crawler.platforms.gkmlpt import Gkmlpt
from tests.mockportal.families import gkmlpt as family
from tests.mockportal.families.kit import Crawl, dangling_links


def _page(url: str, script: str) -> HtmlResponse:
    return HtmlResponse(url, body=f"<html><script>{script}</script></html>".encode(), encoding="utf-8")


def _answer(url: str, payload: dict, meta: dict) -> TextResponse:
    body = json.dumps(payload, ensure_ascii=False).encode()
    return TextResponse(url, body=body, encoding="utf-8", request=Request(url, meta=meta))


@pytest.mark.parametrize(
    ("url", "script"),
    [
        ("http://x.test/gkmlpt/index#2735", "window._CONFIG = {SID: '755031'};"),
        ("http://x.test/gkmlpt/annualreport", "window._CONFIG = {SID: '755031', CATEGORY_ID: 2735};"),
        (
            "http://x.test/gkmlpt/annualreport",
            "window._CONFIG = {SID: \"755031\", CATEGORIES: [{id: 17, name: '政府信息公开指南'},"
            " {id: 2735, name: '政府信息公开年报'}, {id: 18, name: '法治政府建设年度报告'}]};",
        ),
    ],
)
def test_list_page_asks_the_api_for_its_category(url: str, script: str) -> None:
    page = _page(url, script)
    assert Gkmlpt.detect(page)
    requests = list(Gkmlpt().next_pages(page))
    assert [r.url for r in requests] == ["http://x.test/gkmlpt/api/all/2735?page=1&sid=755031"]
    assert requests[0].meta["platform"] == "gkmlpt"


def test_first_answer_sizes_the_rest_and_lists_the_articles() -> None:
    url = "http://x.test/gkmlpt/api/all/2735?page=1&sid=755031"
    articles = [
        {
            "id": 7,
            "title": "某局2020年政府信息公开工作年度报告",
            "url": "http://x.test/gkmlpt/content/0/7/post_7.html",
        },
        {"id": 8, "title": "某局2020年部门决算", "post_url": "/gkmlpt/content/0/8/post_8.html"},
    ]
    answer = _answer(url, {"total": 5, "articles": articles}, {"gkmlpt_page": 1, "gkmlpt_sid": "755031"})
    links = list(Gkmlpt().item_links(answer))
    assert [(link.url, link.text) for link in links] == [
        ("http://x.test/gkmlpt/content/0/7/post_7.html", "某局2020年政府信息公开工作年度报告"),
        ("http://x.test/gkmlpt/content/0/8/post_8.html", "某局2020年部门决算"),
    ]
    # two per page, five in all: pages 2 and 3
    assert [r.url for r in Gkmlpt().next_pages(answer)] == [
        "http://x.test/gkmlpt/api/all/2735?page=2&sid=755031",
        "http://x.test/gkmlpt/api/all/2735?page=3&sid=755031",
    ]
    later = _answer(url.replace("page=1", "page=2"), {"total": 5, "articles": articles}, {"gkmlpt_page": 2})
    assert list(Gkmlpt().next_pages(later)) == []


def test_article_attachments() -> None:
    site = family.build()
    report = site.expected_reports[0]
    page = HtmlResponse(
        f"http://{site.host}{report.path}", body=site.resources[report.path].body, encoding="utf-8"
    )
    assert Gkmlpt.detect(page)
    assert [link.url for link in Gkmlpt().attachment_links(page)] == [
        f"http://{site.host}{path}" for path in report.attachments
    ]


def test_mock_column_page_lists_nothing_by_itself() -> None:
    site = family.build()
    page = HtmlResponse(f"http://{site.host}{family.COLUMN}", body=site.resources[family.COLUMN].body)
    assert [link for link in Gkmlpt().item_links(page) if "/content/" in link.url] == []
    assert dangling_links(site) == []


@pytest.fixture
def crawled(cms_crawl: Crawl) -> Crawl:
    """This family's site in the one crawl of every CMS family (tests/conftest.py)."""
    return cms_crawl.only(family.NAME)


def test_crawl_read_every_api_page(crawled: Crawl) -> None:
    site = crawled.sites[0]
    api = sorted(path for _, path in crawled.requested(site) if "/gkmlpt/api/" in path)
    assert api == [family.api_path(n) for n in (1, 2, 3)]
