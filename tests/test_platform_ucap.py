"""开普云 Ucap adapter: script-drawn pagers, stub pages, the
``.fj-a`` attachment block — on real saved articles and on a mock portal crawled by the real CLI."""

from __future__ import annotations

from pathlib import Path

import pytest
from scrapy.http import HtmlResponse

from crawler.platforms.generic import Generic
from crawler.platforms.ucap import Ucap
from tests.mockportal.families import ucap as family
from tests.mockportal.families.kit import Crawl, dangling_links, served

REALWORLD = Path(__file__).resolve().parents[1].parent / "shared" / "realworld" / "portals_cms"


def _real(name: str, url: str) -> HtmlResponse:
    path = REALWORLD / name
    if not path.is_file():
        pytest.skip("../shared/realworld not present (only in the dev workspace)")
    return HtmlResponse(url, body=path.read_bytes(), encoding="utf-8")


def test_real_county_article_and_its_empty_attachment_block() -> None:
    page = _real(
        "ucap_wanzai_article_2017_tjgb.saved.html",
        "http://www.wanzai.gov.cn/wzxrmzf/tjgb/201705/9c059bf058ef4db8b3c8f920e22186fe.shtml",
    )
    assert Ucap.detect(page)
    assert list(Ucap().attachment_links(page)) == []  # the .fj-a block holds no link


def test_pager_count_names_every_list_page() -> None:
    page = HtmlResponse(
        "http://x.test/abc/zfxxgknb/list_3.shtml",
        encoding="utf-8",
        body="""<a href="/abc/zfxxgknb/202001/0123456789abcdef0123456789abcdef.shtml">年报</a>
        <script>var pageCount = 4, currentPage = 3;</script>
        <a href="javascript:goPage(4)">下一页</a>""".encode(),
    )
    assert list(Generic().next_pages(page)) == []
    names = sorted(link.url.rsplit("/", 1)[1] for link in Ucap().next_pages(page))
    assert names == ["list.shtml", "list_2.shtml", "list_4.shtml"]


def test_attachments_in_the_fj_a_block_and_in_the_body() -> None:
    page = HtmlResponse(
        "http://x.test/abc/nb/202001/0123456789abcdef0123456789abcdef.shtml",
        encoding="utf-8",
        body="""<ucapcontent><p><a href="0123456789abcdef0123456789abcdef/files/aa.pdf">全文</a></p>
        <img src="/images/banner.jpg"></ucapcontent>
        <div class="fj-a"><p>附件：</p><a href="/abc/nb/202001/x/files/bb.docx">b.docx</a></div>""".encode(),
    )
    urls = sorted(link.url for link in Ucap().attachment_links(page))
    assert urls == [
        "http://x.test/abc/nb/202001/0123456789abcdef0123456789abcdef/files/aa.pdf",
        "http://x.test/abc/nb/202001/x/files/bb.docx",
    ]


def test_mock_column_pages_are_linked_only_by_script() -> None:
    site = family.build()
    page = HtmlResponse(
        f"http://{site.host}{family.list_page(1)}", body=served(site, family.list_page(1)).body
    )
    assert list(Generic().next_pages(page)) == []
    assert sorted(link.url for link in Ucap().next_pages(page)) == [
        f"http://{site.host}{family.list_page(k)}" for k in range(2, 6)
    ]
    assert dangling_links(site) == []


@pytest.fixture
def crawled(cms_crawl: Crawl) -> Crawl:
    """This family's site in the one crawl of every CMS family (tests/conftest.py)."""
    return cms_crawl.only(family.NAME)


def test_titles_and_dates_reach_the_database(crawled: Crawl) -> None:
    site = crawled.sites[0]
    for report in site.expected_reports:
        row = crawled.db.execute(
            "SELECT title, year FROM reports WHERE url = ?", [crawled.url(site, report.path)]
        ).fetchone()
        assert tuple(row) == (report.title, report.year)
