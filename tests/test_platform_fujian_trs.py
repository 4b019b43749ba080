"""Fujian TRS adapter: a static first page, the rest from ``POST /fjdzapp/search`` — on the real
Pingtan column page and on a mock portal crawled by the real CLI."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from urllib.parse import parse_qsl

import pytest
from scrapy import Request
from scrapy.http import HtmlResponse, TextResponse

from crawler.platforms.fujian_trs import FujianTRS
from crawler.platforms.trs import TRS
from tests.mockportal.families import fujian_trs as family
from tests.mockportal.families.kit import Crawl, dangling_links, served

REALWORLD = Path(__file__).resolve().parents[1].parent / "shared" / "realworld" / "portals"
PINGTAN = "https://www.pingtan.gov.cn/zwgk/zfxxgk/zfxxgknb/"


def _pingtan() -> HtmlResponse:
    path = REALWORLD / "fujian_pingtan_zfxxgknb_list_index.html"
    if not path.is_file():
        pytest.skip("../shared/realworld not present (only in the dev workspace)")
    return HtmlResponse(PINGTAN, body=path.read_bytes(), encoding="utf-8")


def _answer(url: str, payload: dict, meta: dict | None = None) -> TextResponse:
    request = Request(url, meta=meta or {})
    return TextResponse(
        url, body=json.dumps(payload, ensure_ascii=False).encode(), encoding="utf-8", request=request
    )


# --------------------------------------------------------------------------- the real page


def test_real_column_page_lists_ten_reports_statically() -> None:
    page = _pingtan()
    assert FujianTRS.detect(page)
    reports = [link for link in FujianTRS().item_links(page) if "/t20" in link.url]
    # ./202603/t20260313_105587.htm (2025年度) … ./201701/t20170118_80485.htm (2016年度)
    assert len(reports) == 10
    assert reports[0].url == PINGTAN + "202603/t20260313_105587.htm"
    assert reports[0].text == "平潭综合实验区2025年度政府信息公开工作年度报告"
    assert reports[-1].url == PINGTAN + "201701/t20170118_80485.htm"


def test_real_column_page_asks_the_search_api_for_page_two() -> None:
    # channelid: SiteInfo.searchId (200210); classsql "" || "chnlid=1813"; prepage 10;
    # recordCount '20' → two pages, the first one static (maxStaticIndex: 1).
    requests = list(FujianTRS().next_pages(_pingtan()))
    assert [(r.method, r.url) for r in requests] == [("POST", "https://www.pingtan.gov.cn/fjdzapp/search")]
    assert dict(parse_qsl(requests[0].body.decode())) == {
        "channelid": "200210",
        "classsql": "chnlid=1813",
        "sortfield": "-docorderpri,-docreltime",
        "prepage": "10",
        "page": "2",
    }
    assert requests[0].meta["platform"] == "fujian_trs"


# --------------------------------------------------------------------------- API answers


def test_an_answer_lists_its_documents_with_absolute_or_relative_urls() -> None:
    answer = _answer(
        "http://x.test/fjdzapp/search",
        {
            "pageCount": 2,
            "data": [
                {
                    "doctitle": "某县2019年度政府信息公开工作年度报告",
                    "docpuburl": "http://x.test/nb/202001/t20200120_5.htm",
                },
                {
                    "doctitle": "<em>某县</em>2018年度政府信息公开工作年度报告",
                    "chnldocurl": "/nb/201901/P0201901.pdf",
                    "docreltime": "2019-01-10 09:00:00",
                },
            ],
        },
    )
    links = list(FujianTRS().item_links(answer))
    assert [(link.url, link.text, link.date) for link in links] == [
        ("http://x.test/nb/202001/t20200120_5.htm", "某县2019年度政府信息公开工作年度报告", None),
        ("http://x.test/nb/201901/P0201901.pdf", "某县2018年度政府信息公开工作年度报告", "2019-01-10"),
    ]


def test_an_answer_adds_the_pages_the_column_page_did_not_promise() -> None:
    form = {"channelid": "1", "classsql": "chnlid=9", "prepage": "10"}
    answer = _answer(
        "http://x.test/fjdzapp/search",
        {"pageCount": 4, "data": []},
        meta={"trsapi_form": form, "trsapi_planned": 2},
    )
    pages = [dict(parse_qsl(r.body.decode()))["page"] for r in FujianTRS().next_pages(answer)]
    assert pages == ["3", "4"]
    planned = _answer(
        "http://x.test/fjdzapp/search",
        {"pageCount": 2, "data": []},
        {"trsapi_form": form, "trsapi_planned": 2},
    )
    assert list(FujianTRS().next_pages(planned)) == []


# --------------------------------------------------------------------------- the mock portal


def test_mock_reports_beyond_page_one_are_only_in_the_api() -> None:
    site = family.build()
    column = served(site, family.COLUMN + "index.html").body.decode()
    api_only = [r for r in site.expected_reports if r.path.rsplit("/", 1)[1] not in column]
    assert len(api_only) == 3
    page = HtmlResponse(f"http://{site.host}{family.COLUMN}", body=column.encode(), encoding="utf-8")
    assert list(TRS().next_pages(page)) == []  # nothing for a plain TRS adapter to follow
    assert dangling_links(site) == []


@pytest.fixture
def crawled(cms_crawl: Crawl) -> Crawl:
    """This family's site in the one crawl of every CMS family (tests/conftest.py)."""
    return cms_crawl.only(family.NAME)


def test_crawl_asked_the_search_api_with_the_pages_form(crawled: Crawl) -> None:
    site = crawled.sites[0]
    posts = [path for method, path in crawled.requested(site) if method == "POST"]
    # each POST was answered from the API's own key (a wrong form would have got a 404)
    forms = [dict(parse_qsl(p.split(" ", 2)[2])) for p in posts if p.startswith("POST /fjdzapp/search ")]
    assert len(forms) == len(posts)
    assert sorted(form["page"] for form in forms) == ["2", "3"]
    assert {(form["channelid"], form["classsql"]) for form in forms} == {("200211", "chnlid=1813")}


def test_report_link_texts_are_the_listed_titles(crawled: Crawl) -> None:
    site = crawled.sites[0]
    texts = {row["url"]: row["link_text"] for row in crawled.fetched(site, "report")}
    assert texts == {crawled.url(site, r.path): r.title for r in site.expected_reports}


def test_a_report_listed_as_a_file_is_archived_as_served(crawled: Crawl) -> None:
    site = crawled.sites[0]
    listed_file = next(r for r in site.expected_reports if r.path.endswith(".docx"))
    row = crawled.db.execute(
        "SELECT sha256 FROM fetches WHERE url = ?", [crawled.url(site, listed_file.path)]
    ).fetchone()
    assert row[0] == hashlib.sha256(served(site, listed_file.path).body).hexdigest()
