"""TRS WCM adapter: script pagers, stubs, lying charsets, attachments — on real
saved pages, on a GBK mock portal crawled by the real CLI, and from the bundled cassette of
all the CMS mock families (cassettes/trs.warc.gz)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from scrapy.http import HtmlResponse
from warcio.archiveiterator import ArchiveIterator

from archive import db_path
from crawler.charset import decoded
from crawler.platforms.generic import Generic
from crawler.platforms.trs import TRS
from tests.helpers import ROOT, can_unshare_network, run_cli
from tests.mockportal.families import trs as family
from tests.mockportal.families.kit import Crawl, cms_sites, dangling_links, served, write_sites_file

REALWORLD = Path(__file__).resolve().parents[1].parent / "shared" / "realworld" / "portals_cms"
CASSETTE = ROOT / "cassettes" / "trs.warc.gz"


def _real(name: str, url: str) -> HtmlResponse:
    path = REALWORLD / name
    if not path.is_file():
        pytest.skip("../shared/realworld not present (only in the dev workspace)")
    return HtmlResponse(url, body=path.read_bytes(), encoding="utf-8")


def _page(url: str, html: str, header: str = "utf-8", codec: str = "utf-8") -> HtmlResponse:
    return HtmlResponse(
        url, body=html.encode(codec), headers={"Content-Type": f"text/html; charset={header}"}
    )


def _names(links: object) -> list[str]:
    return [link.url.rsplit("/", 1)[1] for link in links]  # type: ignore[attr-defined]


# --------------------------------------------------------------------------- real pages


def test_real_list_page_pages_from_the_inline_countpage_script() -> None:
    page = _real("trs_handan_xxgk_list.saved.jsp.html", "http://hdzfxxgk.hd.gov.cn/zfwj/jinqixxgk/index.html")
    assert TRS.detect(page)
    urls = {link.url for link in TRS().next_pages(page)}
    # var countPage=56, currentPage=0: index.html is this page, then index_1 … index_55
    expected = {f"http://hdzfxxgk.hd.gov.cn/zfwj/jinqixxgk/index_{k}.html" for k in range(1, 56)}
    assert expected <= urls
    assert "http://hdzfxxgk.hd.gov.cn/zfwj/jinqixxgk/index_56.html" not in urls
    items = {link.url: link.text for link in TRS().item_links(page) if "/t2020" in link.url}
    assert items == {
        "http://hdzfxxgk.hd.gov.cn/gszbm/auto23716/202008/t20200805_1353179.html": (
            "邯郸市教育局关于印发《邯郸市学校安全工作目标管理考核办法》的通知"
        )
    }


# --------------------------------------------------------------------------- pager forms


@pytest.mark.parametrize(
    ("script", "url", "expected"),
    [
        (
            'createPageHTML(4, 0, "index", "html");',
            "http://x.test/nb/",
            ["index_1.html", "index_2.html", "index_3.html"],
        ),
        (
            'createPageHTML(3, 2, "index", "shtml");',
            "http://x.test/nb/index_2.shtml",
            ["index.shtml", "index_1.shtml"],
        ),
        ('createPageHTML(2, 0, "index");', "http://x.test/nb/index.shtml", ["index_1.shtml"]),
        (
            "createPageHTML('page_div', 3, 0, 'list', 'htm', 27);",
            "http://x.test/nb/list.htm",
            ["list_1.htm", "list_2.htm"],
        ),
        (
            'var countPage = 3//共多少页\ndocument.write("<a href=\\"index.html\\">首页</a>");',
            "http://x.test/nb/",
            ["index_1.html", "index_2.html"],
        ),
    ],
)
def test_pager_scripts_name_every_page(script: str, url: str, expected: list[str]) -> None:
    page = _page(url, f'<a href="./201903/t20190320_1.html">年报</a><script>{script}</script>')
    assert sorted(_names(TRS().next_pages(page))) == expected


def test_the_pager_functions_definition_is_not_a_pager() -> None:
    page = _page(
        "http://x.test/nb/",
        '<a href="./201903/t20190320_1.html">x</a><script>function createPageHTML(_nPageCount, '
        "_nCurrIndex, _sPageName, _sPageExt) { return; }</script>",
    )
    assert list(TRS().next_pages(page)) == []


def test_a_stub_page_ends_the_paging_even_with_a_pager() -> None:
    stub = _page(
        "http://x.test/nb/index_5.html",
        '<div class="list"></div><script>createPageHTML(9, 5, "index", "html");</script>',
    )
    assert list(TRS().next_pages(stub)) == []


def test_gbk_under_a_utf8_label_is_read_as_gbk() -> None:
    html = (
        '<meta http-equiv="Content-Type" content="text/html; charset=gb2312">'
        '<a href="./202102/t20210205_9.html">喆庄镇人民政府2020年政府信息公开工作年度报告</a>'
    )
    page = _page("http://x.test/nb/", html, header="utf-8", codec="gbk")
    assert "\ufffd" in page.text  # what Scrapy makes of it
    page, _ = decoded(page)  # what the spider hands every adapter
    assert page.encoding == "gb18030"
    assert [link.text for link in TRS().item_links(page)] == ["喆庄镇人民政府2020年政府信息公开工作年度报告"]


def test_attachments_in_every_link_form_and_uploaded_images_only() -> None:
    page = _page(
        "http://x.test/nb/202003/t20200318_7.html",
        """<img src="/images/logo.png"><div class="TRS_Editor"><p><img src="./W020200318123.jpg"></p>
        <p><a href="./P020200318001.pdf">全文</a></p>
        <p><a href="javascript:void(0)" onclick="window.open('./P020200318002.docx')">Word版</a></p></div>
        <div class="fj"><a href="/nb/202003/P020200318003.xls">统计表.xls</a></div>""",
    )
    assert sorted(_names(TRS().attachment_links(page))) == [
        "P020200318001.pdf",
        "P020200318002.docx",
        "P020200318003.xls",
        "W020200318123.jpg",
    ]


# --------------------------------------------------------------------------- the mock portal


def test_mock_column_pages_are_reachable_only_through_the_pager_script() -> None:
    site = family.build()
    body = served(site, family.COLUMN + "index.html").body
    lying = {"Content-Type": "text/html; charset=utf-8"}
    page, _ = decoded(HtmlResponse(f"http://{site.host}{family.COLUMN}", body=body, headers=lying))
    assert list(Generic().next_pages(page)) == []
    assert _names(TRS().next_pages(page)) == [f"index_{k}.html" for k in range(1, family.CLAIMED_PAGES)]
    assert dangling_links(site) == []


@pytest.fixture
def crawled(cms_crawl: Crawl) -> Crawl:
    """This family's site in the one crawl of every CMS family (tests/conftest.py)."""
    return cms_crawl.only(family.NAME)


def test_stubs_end_the_paging_without_errors(crawled: Crawl) -> None:
    site = crawled.sites[0]
    paths = {path for _, path in crawled.requested(site)}
    assert set(family.STUBS) <= paths
    assert not set(family.PHANTOMS) & paths  # the stubs' stale pager was not followed
    problems = crawled.db.execute("SELECT url FROM problems WHERE stage != 'parse'").fetchall()
    assert problems == []


def test_titles_reach_the_database_without_mojibake(crawled: Crawl) -> None:
    site = crawled.sites[0]
    column = site.resources[family.COLUMN + "index_1.html"]
    assert column.content_type.endswith("charset=utf-8")  # the lie …
    with pytest.raises(UnicodeDecodeError):
        column.body.decode("utf-8")  # … about GBK bytes
    for report in site.expected_reports:
        url = crawled.url(site, report.path)
        title = crawled.db.execute("SELECT title FROM reports WHERE url = ?", [url]).fetchone()[0]
        link_text = crawled.db.execute("SELECT link_text FROM fetches WHERE url = ?", [url]).fetchone()[0]
        assert (title, link_text) == (report.title, report.title)


# --------------------------------------------------------------------------- the cassette


@pytest.mark.slow
def test_bundled_cassette_replays_every_cms_family_offline(tmp_path: Path) -> None:
    sites = cms_sites()
    sites_file = write_sites_file(tmp_path / "sites.yaml", sites)
    result = run_cli(
        "crawl",
        "--replay",
        str(CASSETTE),
        "--sites",
        str(sites_file),
        "--data-dir",
        str(tmp_path / "d"),
        no_network=can_unshare_network(),
    )
    assert result.returncode in (0, 1), result.stderr
    db = sqlite3.connect(db_path(tmp_path / "d"))
    for site in sites:
        found = {row[0] for row in db.execute("SELECT url FROM reports WHERE site = ?", [site.name])}
        assert found == {f"http://{site.host}{r.path}" for r in site.expected_reports}, site.name
    missing = db.execute("SELECT url, message FROM problems WHERE stage != 'parse'").fetchall()
    assert missing == []


def test_bundled_cassette_holds_the_api_and_postback_posts() -> None:
    posts = []
    with CASSETTE.open("rb") as stream:
        for record in ArchiveIterator(stream):
            if record.rec_type == "request" and record.http_headers.protocol.startswith("POST"):
                posts.append(record.rec_headers.get_header("WARC-Target-URI"))
    assert sorted(set(posts)) == [
        "http://www.changle.nianbao.test/fjdzapp/search",
        "http://www.zhoukou.nianbao.test/xxgk/ndbg/List.aspx",
    ]
    assert len(posts) == 2 + 3  # Fujian pages 2–3, ASP.NET pages 2–4
