"""The 大汉 Hanweb adapters: jcms (XML datastores paged by ``dataproxy.jsp``) and the newer
jpaas unit-build platform (JSON ``build/unit`` API).

Parse level: a real ``dataproxy.jsp`` answer (../shared/realworld, skipped when absent), jpage
scripts written the ways real columns write them, attachment link forms,
and XML that must not expand entities. Crawl level: the real ``nianbao`` CLI crawls the mock
Hanweb portals (tests/mockportal/families/hanweb.py) from their home pages and must find
exactly the expected reports (some reachable only through the list APIs) with every
attachment; the bundled cassette ``cassettes/hanweb.warc.gz`` replays to the same reports.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, parse_qsl, urlsplit

import pytest
import yaml
from scrapy import Request
from scrapy.http import HtmlResponse, JsonResponse, TextResponse, XmlResponse

from archive import db_path
from crawler.platforms import PLATFORMS, platform_for
from crawler.platforms.generic import Generic
from crawler.platforms.hanweb import Hanweb, parse_datastore
from crawler.platforms.hanweb_unit import HanwebUnit
from tests.helpers import (
    ROOT,
    Crawl,
    assert_found_exactly_the_reports,
    can_unshare_network,
    crawl_direct,
    run_cli,
)
from tests.mockportal import Site, demo_sites
from tests.mockportal.families.hanweb import COLUMN_PAGES, UNIT_API, HanwebMockServer, hanweb_sites
from vocabulary import is_report_title

REALWORLD = Path(__file__).resolve().parents[1].parent / "shared" / "realworld"
YUHANG_ANSWER = REALWORLD / "portals_cms" / "hanweb_yuhang_dataproxy_response.excerpt.xml"
CASSETTE = ROOT / "cassettes" / "hanweb.warc.gz"


def _response(cls: type[TextResponse], url: str, body: bytes, **meta: object) -> TextResponse:
    return cls(url, body=body, encoding="utf-8", request=Request(url, meta=dict(meta)))


def _yuhang() -> bytes:
    if not YUHANG_ANSWER.is_file():
        pytest.skip("../shared/realworld not present (only in the dev workspace)")
    return YUHANG_ANSWER.read_bytes()


def _answer_state(method: str = "POST", **listing: object) -> dict[str, object]:
    base = {
        "proxy": "http://www.yuhang.gov.cn/module/jpage/dataproxy.jsp",
        "method": method,
        "form": {"col": "1", "appid": "1", "webid": "3095", "path": "/", "columnid": "1229165988",
                 "sourceContentType": "1", "unitid": "6101313", "permissiontype": "0"},
        "query": [],
        "first_page": 1,
        "total": None,
        "per_page": 20,
        "group": 3,
    }  # fmt: skip
    page = "http://www.yuhang.gov.cn/col/col1229165988/index.html"
    return {"listing": {**base, **listing}, "call": 0, "page": page, "discover": True}


# --------------------------------------------------------------------------- real answer


def test_real_dataproxy_answer_gives_its_record_with_title_and_date() -> None:
    url = "http://www.yuhang.gov.cn/module/jpage/dataproxy.jsp?startrecord=1&endrecord=60&perpage=20"
    answer = _response(XmlResponse, url, _yuhang(), platform="hanweb", hanweb=_answer_state())
    links = list(Hanweb().item_links(answer))
    assert [(x.url, x.text, x.date) for x in links] == [
        (
            "http://www.yuhang.gov.cn/art/2020/8/14/art_1229179150_1872814.html",
            "杭州市公共资源交易中心余杭分中心关于杭州市余杭区人民政府南苑街道办事处办公家具采购项目的公开招标公告",
            "2020-08-14",
        )
    ]


def test_real_dataproxy_answer_states_total_and_next_group() -> None:
    store = parse_datastore(_yuhang().decode("utf-8"))
    assert store.total == 6163
    assert store.nextgroup == (
        "./dataproxy.jsp?page=5&appid=1&webid=3095&path=/&columnid=1229165988"
        "&unitid=6101313&webname=杭州余杭门户网站"
    )
    assert len(store.records) == 1


def test_a_call_sent_to_learn_the_total_asks_for_every_remaining_record_range() -> None:
    url = "http://www.yuhang.gov.cn/module/jpage/dataproxy.jsp?startrecord=1&endrecord=60&perpage=20"
    answer = _response(XmlResponse, url, _yuhang(), platform="hanweb", hanweb=_answer_state())
    requests = list(Hanweb().next_pages(answer))
    # 6163 records, 20 a page, 3 pages a call: calls 2…103 cover records 61…6180.
    assert len(requests) == 102
    first, last = requests[0], requests[-1]
    assert first.method == last.method == "POST"
    assert first.url.endswith("dataproxy.jsp?startrecord=61&endrecord=120&perpage=20")
    assert last.url.endswith("dataproxy.jsp?startrecord=6121&endrecord=6180&perpage=20")
    assert parse_qs(first.body.decode())["columnid"] == ["1229165988"]
    assert all(r.meta["platform"] == "hanweb" and not r.meta["hanweb"]["discover"] for r in requests)


def test_an_answer_to_a_counted_call_asks_for_nothing_more() -> None:
    state = {**_answer_state(total=6163), "discover": False}
    url = "http://www.yuhang.gov.cn/module/jpage/dataproxy.jsp?startrecord=61&endrecord=120&perpage=20"
    answer = _response(XmlResponse, url, _yuhang(), platform="hanweb", hanweb=state)
    assert list(Hanweb().next_pages(answer)) == []


# --------------------------------------------------------------------------- column pages


def _column(script: str, nextgroup: str = "", records: str = "") -> HtmlResponse:
    records = records or (
        '<record><![CDATA[<li><a href="/art/2022/2/1/art_1229_5.html" title="某区2021年政府信息公开'
        '工作年度报告">某区2021年政府信息…</a><span>2022-02-01</span></li>]]></record>'
    )
    html = (
        '<html><head><meta charset="utf-8"></head><body><div id="77">'
        '<script type="text/xml"><datastore>'
        f"<nextgroup><![CDATA[{nextgroup}]]></nextgroup><recordset>{records}</recordset>"
        f"</datastore></script></div>{script}</body></html>"
    )
    url = "http://x.gov.cn/col/col1229/index.html"
    return _response(HtmlResponse, url, html.encode())  # type: ignore[return-value]


def test_jpage_script_with_parameters_pages_by_post_record_ranges() -> None:
    page = _column(
        "<script>$(function(){$('#77').jpage({totalRecord:100,perPage:15,groupSize:3,"
        "proxyUrl:'/module/web/jpage/dataproxy.jsp',ajaxParam:{col:1,appid:1,webid:9,"
        "path:'/',columnid:1229,sourceContentType:1,unitid:77,webname:'某区人民政府',"
        "permissiontype:0}})});</script>"
    )
    requests = list(Hanweb().next_pages(page))
    assert [r.url for r in requests] == [
        f"http://x.gov.cn/module/web/jpage/dataproxy.jsp?startrecord={a}&endrecord={b}&perpage=15"
        for a, b in [(1, 45), (46, 90), (91, 135)]
    ]
    form = parse_qs(requests[0].body.decode("utf-8"))
    assert form == {
        "col": ["1"], "appid": ["1"], "webid": ["9"], "path": ["/"], "columnid": ["1229"],
        "sourceContentType": ["1"], "unitid": ["77"], "webname": ["某区人民政府"],
        "permissiontype": ["0"],
    }  # fmt: skip
    assert requests[0].headers[b"Content-Type"] == b"application/x-www-form-urlencoded"
    assert all(r.method == "POST" and r.meta["platform"] == "hanweb" for r in requests)


def test_without_parameters_the_nextgroup_link_pages_by_get() -> None:
    page = _column(
        '<script src="/module/jslib/jquery/jpage/jquery.page.min.js"></script>'
        "<script>$('#77').jpage({perPage:10,totalRecord:47,groupSize:3});</script>",
        nextgroup='<a href="./dataproxy.jsp?page=2&amp;webid=9&amp;path=/&amp;columnid=1229'
        '&amp;unitid=77&amp;webname=某区"></a>',
    )
    requests = list(Hanweb().next_pages(page))
    proxy = "http://x.gov.cn/module/jslib/jquery/jpage/dataproxy.jsp"
    name = "%E6%9F%90%E5%8C%BA"
    assert [(r.method, r.url) for r in requests] == [
        ("GET", f"{proxy}?page={n}&webid=9&path=/&columnid=1229&unitid=77&webname={name}") for n in (2, 5)
    ]


def test_unknown_total_sends_one_call_to_learn_it() -> None:
    page = _column(
        '<script src="/module/jpage/jpage.js"></script><script>$("#77").jpage({perPage:15,'
        "ajaxParam:{webid:9,columnid:1229,unitid:77}});</script>"
    )
    [request] = list(Hanweb().next_pages(page))
    assert request.url == "http://x.gov.cn/module/jpage/dataproxy.jsp?startrecord=1&endrecord=45&perpage=15"
    assert request.meta["hanweb"]["discover"] is True


def test_inline_records_are_item_links_with_the_full_title() -> None:
    page = _column("")
    reports = [x for x in Hanweb().item_links(page) if is_report_title(x.text)]
    assert [(x.url, x.text, x.date) for x in reports] == [
        ("http://x.gov.cn/art/2022/2/1/art_1229_5.html", "某区2021年政府信息公开工作年度报告", "2022-02-01")
    ]


def test_list_dates_are_not_cut_out_of_titles() -> None:
    record = (
        '<record><![CDATA[<li><a href="/art/2021/1/22/art_1229_9.html">关于2021年1月20日政务公开'
        "工作会议的通知</a><span>2021/1/22</span></li>]]></record>"
    )
    [link] = Hanweb().item_links(_column("", records=record))[:1]
    assert (link.text, link.date) == ("关于2021年1月20日政务公开工作会议的通知", "2021-01-22")


def test_side_box_units_of_other_columns_are_not_paged() -> None:
    side = (
        "<script>$('#88').jpage({totalRecord:900,perPage:10,proxyUrl:'/module/jpage/dataproxy.jsp',"
        "ajaxParam:{webid:9,columnid:555,unitid:88}});</script>"
    )
    own = (
        "<script>$('#77').jpage({totalRecord:20,perPage:10,proxyUrl:'/module/jpage/dataproxy.jsp',"
        "ajaxParam:{webid:9,columnid:1229,unitid:77}});</script>"
    )
    requests = list(Hanweb().next_pages(_column(side + own)))
    assert len(requests) == 1
    assert parse_qs(requests[0].body.decode())["columnid"] == ["1229"]


def test_xml_entities_are_not_expanded() -> None:
    evil = (
        '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY xxe SYSTEM "file:///etc/passwd">'
        '<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        "<datastore><totalrecord>3</totalrecord><recordset><record>&xxe;&b;</record>"
        "</recordset></datastore>"
    )
    store = parse_datastore(evil)
    assert store.total == 3
    assert not any("root:" in r or "aaaa" in r for r in store.records)


# --------------------------------------------------------------------------- unit build


def test_unit_column_page_asks_the_build_unit_api_for_each_further_page() -> None:
    html = (
        '<html><body><ul><li><a href="/col/col1229/art/2023/art_0123456789abcdef0123456789abcdef.html">'
        "x</a></li></ul>"
        "<div class=\"pagination\" id=\"信息列表_pagination\" queryData=\"{'rows':'15','count':'40',"
        "'pageNo':'1'}\"></div><script src=\"/static/unitbuild.js\" "
        'url="/api-gateway/jpaas-publish-server/front/page/build/unit" queryData="{\'parseType\':'
        "'bulidstatic','webId':'ab12','tplSetId':'cd34','pageType':'column','tagId':'信息列表',"
        "'editType':'null','pageId':'1229'}\"></script></body></html>"
    )
    page = _response(HtmlResponse, "http://x.gov.cn/col/col1229/index.html", html.encode())
    assert HanwebUnit.detect(page)
    requests = list(HanwebUnit().next_pages(page))
    api = "http://x.gov.cn/api-gateway/jpaas-publish-server/front/page/build/unit"
    tag = "%E4%BF%A1%E6%81%AF%E5%88%97%E8%A1%A8"
    assert [r.url for r in requests] == [
        f"{api}?parseType=bulidstatic&webId=ab12&tplSetId=cd34&pageType=column&tagId={tag}"
        f"&editType=null&pageId=1229&paramJson=%7B%22pageNo%22%3A{n}%2C%22pageSize%22%3A15%7D"
        for n in (2, 3)
    ]
    assert all(r.meta["platform"] == "hanweb_unit" for r in requests)


def test_unit_pager_without_an_api_url_uses_the_standard_api_and_learns_the_count() -> None:
    html = (
        '<html><body><ul><li><a href="/col/col7/art/2023/art_aa.html">x</a></li></ul>'
        "<div id=\"list\" queryData=\"{'webId':'ab','pageId':'7','tagId':'list'}\"></div></body></html>"
    )
    page = _response(HtmlResponse, "http://x.gov.cn/col/col7/index.html", html.encode())
    assert HanwebUnit.detect(page)
    [request] = list(HanwebUnit().next_pages(page))
    assert request.url.startswith("http://x.gov.cn/api-gateway/jpaas-publish-server/front/page/build/unit?")
    assert "%22pageNo%22%3A2" in request.url
    assert request.meta["hanweb_unit"]["discover"] is True


def test_unit_api_answer_gives_the_items_of_its_html() -> None:
    body = (
        '{"code":200,"data":{"html":"<ul><li><a href=\\"/col/col1229/art/2022/art_aa.html\\" '
        'title=\\"某局2021年政府信息公开工作年度报告\\">某局2021年…</a><span>2022-01-30</span></li>'
        "</ul><div class=\\\"pagination\\\" queryData=\\\"{'rows':'15','count':'40'}\\\"></div>\"}}"
    )
    state = {"unit": {"api": "http://x.gov.cn" + UNIT_API, "params": {"pageId": "1229"}, "rows": 15,
                      "count": None}, "pageNo": 2, "page": "http://x.gov.cn/col/col1229/index.html",
             "discover": True}  # fmt: skip
    answer = _response(JsonResponse, "http://x.gov.cn" + UNIT_API + "?pageId=1229", body.encode(),
                       platform="hanweb_unit", hanweb_unit=state)  # fmt: skip
    links = list(HanwebUnit().item_links(answer))
    assert [(x.url, x.text, x.date) for x in links] == [
        (
            "http://x.gov.cn/col/col1229/art/2022/art_aa.html",
            "某局2021年政府信息公开工作年度报告",
            "2022-01-30",
        )
    ]
    # Sent to learn the count: the answer's pager says 40 items, so page 3 remains.
    [more] = list(HanwebUnit().next_pages(answer))
    assert "%22pageNo%22%3A3" in more.url


# --------------------------------------------------------------------------- article pages


def test_attachment_link_forms_of_a_jcms_article() -> None:
    html = """<html><body><table class="xxgk_table">
    <tr><th>索引号：</th><td>330113-2022-00012</td><th>公开方式：</th><td>主动公开</td></tr>
    <tr><th>发布机构：</th><td>某区市场监督管理局</td><th>成文日期：</th><td>2022-02-15</td></tr>
    <tr><th>文号：</th><td>某市监〔2022〕8号</td><th>发布日期：</th><td>2022-02-15</td></tr></table>
    <div id="zoom"><p>正文</p>
    <p><a href="/module/download/downfile.jsp?classid=0&amp;filename=ab12.pdf">年报.pdf</a></p>
    <p><a href="javascript:openFile('/module/download/downfile.jsp?classid=0&amp;filename=cd34.docx')">
    统计表.docx</a></p>
    <p><a href="javascript:void(0);" onclick="window.open('/attach/0/ef56.pdf')">附表.pdf</a></p>
    <p><a href="/art/2022/2/15/art_1_2.html">相关新闻</a></p></div></body></html>"""
    page = _response(HtmlResponse, "http://x.gov.cn/art/2022/2/15/art_1_1.html", html.encode())
    assert Hanweb.detect(page)
    assert [x.url for x in Hanweb().attachment_links(page)] == [
        "http://x.gov.cn/module/download/downfile.jsp?classid=0&filename=ab12.pdf",
        "http://x.gov.cn/module/download/downfile.jsp?classid=0&filename=cd34.docx",
        "http://x.gov.cn/attach/0/ef56.pdf",
    ]


def _html_pages(site: Site) -> Iterator[tuple[str, bytes]]:
    for path, resource in site.resources.items():
        if resource.content_type.startswith("text/html"):
            yield path, resource.body


def test_other_cms_pages_are_not_taken_for_hanweb() -> None:
    pages = [(f"http://{s.host}{p}", body) for s in demo_sites() for p, body in _html_pages(s)]
    if REALWORLD.is_dir():
        for path in REALWORLD.glob("*/*.html"):
            pages.append(("http://www.example.gov.cn/xxgk/index.html", path.read_bytes()))
    for url, body in pages:
        page = _response(HtmlResponse, url, body)
        assert not Hanweb.detect(page) and not HanwebUnit.detect(page), url


# --------------------------------------------------------------------------- mock portals


def test_reports_beyond_the_first_page_are_only_reachable_through_the_list_apis() -> None:
    for site in hanweb_sites():
        column = _response(HtmlResponse, f"http://{site.host}{COLUMN_PAGES[site.name]}",
                           site.resources[COLUMN_PAGES[site.name]].body)  # fmt: skip
        static = b"".join(body for _, body in _html_pages(site))
        deep = [r for r in site.expected_reports if r.path.encode() not in static]
        assert 1 <= len(deep) < len(site.expected_reports), site.name
        # The fallback platform sees neither them nor a way to page the column.
        assert list(Generic().next_pages(column)) == []
        generic_items = {x.url for x in Generic().item_links(column)}
        assert not any(f"http://{site.host}{r.path}" in generic_items for r in deep)


def _registered() -> None:
    names = [cls.name for cls in PLATFORMS]
    if not {"hanweb", "hanweb_unit"} <= set(names):
        pytest.fail(
            "Hanweb and HanwebUnit are not in crawler.platforms.PLATFORMS: add them before Generic, "
            "HanwebUnit first (the crawl runs in a subprocess that reads that list)"
        )


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Crawl]:
    _registered()
    tmp = tmp_path_factory.mktemp("hanweb")
    sites = hanweb_sites()
    with HanwebMockServer(sites, proxy=False) as server, crawl_direct(server, sites, tmp) as result:
        yield result


def test_each_mock_page_goes_to_its_platform() -> None:
    _registered()
    kinds = {"linping": Hanweb, "wujin": Hanweb, "yinzhou": HanwebUnit}
    for site in hanweb_sites():
        for path in [COLUMN_PAGES[site.name], site.expected_reports[0].path]:
            page = _response(HtmlResponse, f"http://{site.host}{path}", site.resources[path].body)
            assert isinstance(platform_for(page), kinds[site.name]), (site.name, path)


def test_crawl_finds_exactly_the_expected_reports_and_fetches_no_decoy(crawled: Crawl) -> None:
    for site in crawled.sites:
        assert_found_exactly_the_reports(crawled, site)
    assert crawled.exit_code == 0, crawled.output
    assert list(crawled.db.execute("SELECT * FROM problems")) == []


def test_report_rows_carry_the_title_and_year(crawled: Crawl) -> None:
    for site in crawled.sites:
        for report in site.expected_reports:
            row = crawled.report_row(site, report.path)
            assert (row["title"], row["year"]) == (report.title, report.year)


def test_every_attachment_is_archived_with_the_sha256_of_the_served_bytes(crawled: Crawl) -> None:
    count = 0
    for site in crawled.sites:
        for report in site.expected_reports:
            for href in report.attachments:
                row = crawled.attachment_fetch(site, href)
                assert row is not None, f"attachment not fetched: {crawled.url(site, href)}"
                assert row["sha256"] == hashlib.sha256(site.resources[href].body).hexdigest()
                assert row["referer"] == crawled.url(site, report.path)
                count += 1
    assert count == 6


def test_list_apis_are_called_once_per_needed_group_with_the_page_form(crawled: Crawl) -> None:
    by_site: dict[str, list[tuple[str, dict[str, str]]]] = {}
    for site, method, path in crawled.server.requests:  # every request, repeats included
        if "dataproxy.jsp" in path or UNIT_API in path:
            by_site.setdefault(site, []).append((method, dict(parse_qsl(urlsplit(path).query))))
    linping = sorted((q["startrecord"], q["endrecord"], m) for m, q in by_site["linping"])
    assert linping == [("1", "45", "POST"), ("46", "90", "POST")]
    wujin = sorted((q["page"], q["webname"], m) for m, q in by_site["wujin"])
    assert wujin == [("2", "常州市武进区人民政府", "GET"), ("5", "常州市武进区人民政府", "GET")]
    yinzhou = sorted((q["paramJson"], q["pageId"]) for _, q in by_site["yinzhou"])
    assert yinzhou == [
        ('{"pageNo":2,"pageSize":15}', "1229568431"),
        ('{"pageNo":3,"pageSize":15}', "1229568431"),
    ]
    # The POST form is the one the column's jpage script states.
    forms = [parse_qs(body.decode()) for _, _, body in crawled.server.posts]
    assert len(forms) == 2
    for form in forms:
        assert form == {
            "col": ["1"], "appid": ["1"], "webid": ["3167"], "path": ["/"],
            "columnid": ["1229645210"], "sourceContentType": ["1"], "unitid": ["4528319"],
            "webname": ["杭州市临平区人民政府"], "permissiontype": ["0"],
        }  # fmt: skip


# --------------------------------------------------------------------------- cassette


@pytest.mark.slow
def test_bundled_cassette_replays_to_the_expected_reports(tmp_path: Path) -> None:
    _registered()
    sites = hanweb_sites()
    entries = [{"name": s.name, "start_urls": [f"http://{s.host}/"], "agency": s.agency} for s in sites]
    sites_file = tmp_path / "sites.yaml"
    sites_file.write_text(yaml.safe_dump(entries, allow_unicode=True), encoding="utf-8")
    result = run_cli(
        "crawl", "--sites", str(sites_file), "--replay", str(CASSETTE), "--data-dir", str(tmp_path / "d"),
        no_network=can_unshare_network(),
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    db = sqlite3.connect(db_path(tmp_path / "d"))
    found = set(db.execute("SELECT url, title, year FROM reports"))
    expected = {(f"http://{s.host}{r.path}", r.title, r.year) for s in sites for r in s.expected_reports}
    assert found == expected
    posts = db.execute("SELECT count(*) FROM fetches WHERE method = 'POST'").fetchone()[0]
    assert posts == 2
