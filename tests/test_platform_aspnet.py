"""ASP.NET postback adapter: ``__doPostBack('…','Page$N')`` pagers become POSTs of the page's
own form, on synthetic pages and a mock WebForms portal crawled by the real CLI."""

from __future__ import annotations

from urllib.parse import parse_qsl

import pytest
from scrapy import Request
from scrapy.http import HtmlResponse

from crawler.platforms.aspnet import AspNet
from crawler.platforms.generic import Generic
from tests.mockportal.families import aspnet as family
from tests.mockportal.families.kit import Crawl, dangling_links

FORM = """<form name="aspnetForm" method="post" action="./List.aspx?cat=5" id="aspnetForm">
<input type="hidden" name="__EVENTTARGET" id="__EVENTTARGET" value="" />
<input type="hidden" name="__EVENTARGUMENT" id="__EVENTARGUMENT" value="" />
<input type="hidden" name="__VIEWSTATE" id="__VIEWSTATE" value="state-of-page-{page}" />
<input name="ctl00$txtKeyword" type="text" value="" />
<input type="submit" name="ctl00$btnSearch" value="搜索" />
<table><tr><td>{pager}</td></tr></table></form>"""


def _list(page: int, pager: str, meta: dict | None = None) -> HtmlResponse:
    url = "http://x.test/nb/List.aspx?cat=5"
    html = FORM.format(page=page, pager=pager)
    return HtmlResponse(url, body=html.encode(), encoding="utf-8", request=Request(url, meta=meta or {}))


def _link(argument: str, target: str = "ctl00$gv") -> str:
    return f"<a href=\"javascript:__doPostBack('{target}','{argument}')\">{argument}</a>"


def test_first_page_posts_its_own_form_for_page_two() -> None:
    page = _list(1, "<span>1</span>" + _link("Page$2") + _link("Page$3"))
    assert AspNet.detect(page)
    [request] = AspNet().next_pages(page)
    assert (request.method, request.url) == ("POST", "http://x.test/nb/List.aspx?cat=5")
    assert dict(parse_qsl(request.body.decode(), keep_blank_values=True)) == {
        "__EVENTTARGET": "ctl00$gv",
        "__EVENTARGUMENT": "Page$2",
        "__VIEWSTATE": "state-of-page-1",
        "ctl00$txtKeyword": "",
    }  # no button: a postback link submits none
    assert request.meta == {"platform": "aspnet", "aspnet_page": 2}


def test_each_answer_moves_one_page_on_and_the_last_ends_the_chain() -> None:
    pager = _link("Page$1") + _link("Page$2") + "<span>3</span>" + _link("Page$4")
    [request] = AspNet().next_pages(_list(3, pager, {"aspnet_page": 3}))
    assert dict(parse_qsl(request.body.decode()))["__EVENTARGUMENT"] == "Page$4"
    assert dict(parse_qsl(request.body.decode()))["__VIEWSTATE"] == "state-of-page-3"
    last = _list(4, _link("Page$1") + _link("Page$3") + "<span>4</span>", {"aspnet_page": 4})
    assert list(AspNet().next_pages(last)) == []


def test_next_links_and_aspnetpager_arguments() -> None:
    [request] = AspNet().next_pages(_list(1, _link("Page$Next") + _link("Page$Last")))
    assert dict(parse_qsl(request.body.decode()))["__EVENTARGUMENT"] == "Page$Next"
    [request] = AspNet().next_pages(_list(1, _link("2", target="AspNetPager1")))
    assert dict(parse_qsl(request.body.decode()))["__EVENTTARGET"] == "AspNetPager1"


def test_mock_list_pages_beyond_the_first_exist_only_as_postback_answers() -> None:
    site = family.build()
    page = HtmlResponse(f"http://{site.host}{family.LIST}", body=site.resources[family.LIST].body)
    assert list(Generic().next_pages(page)) == []
    assert [k for k in site.resources if k.startswith(family.LIST + "?")] == []
    assert dangling_links(site) == []


@pytest.fixture
def crawled(cms_crawl: Crawl) -> Crawl:
    """This family's site in the one crawl of every CMS family (tests/conftest.py)."""
    return cms_crawl.only(family.NAME)


def test_postbacks_carried_each_pages_view_state(crawled: Crawl) -> None:
    site = crawled.sites[0]
    posts = [path for method, path in crawled.requested(site) if method == "POST"]
    # answered from the keys the server issued (a stale view state would not match one)
    forms = [
        dict(parse_qsl(p.split(" ", 2)[2], keep_blank_values=True)) for p in posts if p.startswith("POST ")
    ]
    assert len(forms) == len(posts) == 3
    moves = sorted((form["__VIEWSTATE"], form["__EVENTARGUMENT"]) for form in forms)
    assert moves == sorted((family.view_state(k), f"Page${k + 1}") for k in (1, 2, 3))


def test_the_download_handler_attachment_is_archived_through_its_redirect(crawled: Crawl) -> None:
    site = crawled.sites[0]
    attachments = {row["url"]: row for row in crawled.fetched(site, "attachment")}
    redirected = [row for row in attachments.values() if row["final_url"] != row["url"]]
    assert [row["url"] for row in redirected] == [
        crawled.url(site, p) for r in site.expected_reports for p in r.attachments if "DownLoad" in p
    ]
