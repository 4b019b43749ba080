"""Tests of the mock portals (tests/mockportal): HTTP behaviour and honest manifests.

Everything talks to 127.0.0.1 only, with urllib / http.client. Expected names and dates are the
ones the seed reports state (/work/shared/seeds), not values read back from the mock.
"""

from __future__ import annotations

import gzip
import http.client
import re
import signal
import sys
import urllib.error
import urllib.request
import urllib.robotparser
from collections.abc import Iterator
from email.message import Message
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import pytest

from tests.helpers import background, wait_until
from tests.mockportal import MockServer, Resource, Site, demo_sites
from tests.mockportal.server import post_key
from tests.mockportal.sites import missing_fixtures

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures" / "seeds"


@pytest.fixture(scope="module")
def sites() -> dict[str, Site]:
    return {s.name: s for s in demo_sites()}


@pytest.fixture(scope="module")
def server(sites: dict[str, Site]) -> Iterator[MockServer]:
    with MockServer(list(sites.values())) as srv:
        yield srv


class Answer:
    def __init__(self, status: int, headers: Message, body: bytes, url: str) -> None:
        self.status, self.headers, self.body, self.url = status, headers, body, url


def fetch(
    url: str,
    *,
    proxy: str = "",
    headers: dict[str, str] | None = None,
    method: str = "GET",
    data: bytes | None = None,
) -> Answer:
    """One request with urllib (redirects followed); no environment proxies."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({"http": proxy} if proxy else {}))
    req = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
    try:
        with opener.open(req, timeout=10) as resp:
            return Answer(resp.status, resp.headers, resp.read(), resp.geturl())
    except urllib.error.HTTPError as err:
        return Answer(err.code, err.headers, err.read(), url)


def direct(server: MockServer, site: Site, path: str) -> str:
    return server.base_url(site.name) + path.lstrip("/")


def proxied(site: Site, path: str) -> str:
    return f"http://{site.host}{path}"


# --------------------------------------------------------------------------- transport


def test_direct_and_proxy_serve_the_same_bytes(server: MockServer, sites: dict[str, Site]) -> None:
    for site in sites.values():
        report = site.expected_reports[0]
        for path in ["/", "/robots.txt", report.path, *report.attachments]:
            a = fetch(direct(server, site, path))
            b = fetch(proxied(site, path), proxy=server.proxy_url)
            assert a.status == b.status == 200, (site.name, path)
            assert a.body == b.body, (site.name, path)
            assert len(a.body) > 30
    assert ("qufu", "GET", "/robots.txt") in server.requests


def test_conditional_get_answers_304(server: MockServer, sites: dict[str, Site]) -> None:
    site = sites["weihai"]
    url = direct(server, site, site.expected_reports[0].path)
    first = fetch(url)
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    assert etag and modified
    again = fetch(url, headers={"If-None-Match": etag})
    assert again.status == 304 and again.body == b""
    assert fetch(url, headers={"If-None-Match": '"other"'}).status == 200
    assert fetch(url, headers={"If-Modified-Since": modified}).status == 304
    older = "Mon, 01 Jan 2018 00:00:00 GMT"  # before the report's 2018-03-20
    assert fetch(url, headers={"If-Modified-Since": older}).status == 200


def test_gzip_for_html_only(server: MockServer, sites: dict[str, Site]) -> None:
    site = sites["liaocheng"]
    url = direct(server, site, "/")
    plain = fetch(url)
    zipped = fetch(url, headers={"Accept-Encoding": "gzip"})
    assert plain.headers.get("Content-Encoding") is None
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(zipped.body) == plain.body
    pdf = fetch(
        direct(server, site, site.expected_reports[0].attachments[0]), headers={"Accept-Encoding": "gzip"}
    )
    assert pdf.headers.get("Content-Encoding") is None
    assert pdf.body.startswith(b"%PDF-")


def test_unknown_path_and_host(server: MockServer, sites: dict[str, Site]) -> None:
    site = sites["huancui"]
    missing = fetch(direct(server, site, "/no/such/page.html"))
    assert missing.status == 404
    assert missing.headers["Content-Type"].startswith("text/html")
    assert "页面不存在".encode() in missing.body
    assert fetch("http://www.nowhere.nianbao.test/", proxy=server.proxy_url).status == 502


def test_head_and_keep_alive(server: MockServer, sites: dict[str, Site]) -> None:
    site = sites["weihai"]
    port = urlsplit(server.base_url("weihai")).port
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", "/")
        got = conn.getresponse()
        body = got.read()
        sock = conn.sock
        conn.request("HEAD", "/")
        head = conn.getresponse()
        assert head.read() == b""
        assert int(head.headers["Content-Length"]) == len(body)
        assert head.headers["ETag"] == got.headers["ETag"]
        assert conn.sock is sock  # same connection reused
    finally:
        conn.close()
    assert site.resources["/"].body == body


def test_redirects(server: MockServer, sites: dict[str, Site]) -> None:
    site = sites["qufu"]
    stats_link = site.expected_reports[0].attachments[0]
    port = urlsplit(server.base_url("qufu")).port
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", stats_link)
        raw = conn.getresponse()
        raw.read()
        assert raw.status == 302
        location = raw.headers["Location"]
        conn.request("GET", "/zwgk")  # a directory without its slash
        dir_answer = conn.getresponse()
        dir_answer.read()
        assert dir_answer.status == 301 and dir_answer.headers["Location"] == "/zwgk/"
    finally:
        conn.close()
    followed = fetch(direct(server, site, stats_link))
    assert followed.status == 200
    assert followed.url.endswith(location)
    assert followed.body.startswith(b"PK")  # the DOCX


def test_content_disposition_names(server: MockServer, sites: dict[str, Site]) -> None:
    # names as the seed 003 lists them under the report
    stats_name = "市政务服务中心2017年度政府信息公开工作情况统计表.docx"
    note_name = "便签--对市十八届人大一次会议第74号建议的答复.doc"
    site = sites["qufu"]
    stats_link, note_link = site.expected_reports[0].attachments
    stats = fetch(proxied(site, stats_link), proxy=server.proxy_url).headers["Content-Disposition"]
    m = re.search(r"filename\*=UTF-8''([^;\s]+)", stats)
    assert m and unquote(m.group(1), encoding="utf-8") == stats_name
    note = fetch(proxied(site, note_link), proxy=server.proxy_url).headers["Content-Disposition"]
    raw = note.encode("latin-1")  # http.client decodes header bytes as latin-1
    m = re.search(rb'filename="([^"]+)"', raw)
    assert m and m.group(1).decode("gbk") == note_name
    assert note_name.encode("utf-8") not in raw  # really GBK on the wire


def test_mutate_changes_validators() -> None:
    site = Site(
        "one", "www.one.nianbao.test", "某市人民政府", {"/": Resource(b"<html>v1</html>")}, [], [], []
    )
    with MockServer([site], proxy=False) as srv:
        url = srv.base_url("one")
        first = fetch(url)
        srv.mutate("one", "/", Resource(b"<html>v2</html>"))
        srv.mutate("one", "/new.html", Resource(b"<html>new</html>"))
        second = fetch(url, headers={"If-None-Match": first.headers["ETag"]})
        assert second.status == 200 and second.body == b"<html>v2</html>"
        assert fetch(url, headers={"If-Modified-Since": first.headers["Last-Modified"]}).status == 200
        assert fetch(url + "new.html").body == b"<html>new</html>"
        blocked = Resource(b"", status=412)
        srv.mutate("one", "/", blocked)
        assert fetch(url).status == 412
        assert [r[2] for r in srv.requests] == ["/", "/", "/", "/new.html", "/"]
    assert site.resources["/"].body == b"<html>v1</html>"  # the caller's Site is untouched


def test_post_is_answered_by_the_form_it_carries() -> None:
    api = post_key("/search", {"page": "2", "channelid": "7"})
    postback = post_key("/List.aspx", {"__VIEWSTATE": "p1", "__EVENTARGUMENT": "Page$2"})
    resources = {
        "/List.aspx": Resource(b"page 1"),
        postback: Resource(b"page 2"),
        api: Resource(b'{"page": 2}', "application/json"),
    }
    site = Site("one", "www.one.nianbao.test", "某市人民政府", resources, [], [], [])
    with MockServer([site]) as srv:
        url = srv.base_url("one")

        def post(path: str, form: bytes, *, proxy: str = "") -> Answer:
            target = proxied(site, path) if proxy else url + path.lstrip("/")
            return fetch(target, proxy=proxy, method="POST", data=form)

        # the fields in another order: the same form
        assert post("/search", b"channelid=7&page=2").body == b'{"page": 2}'
        assert post("/search", b"page=2&channelid=7", proxy=srv.proxy_url).body == b'{"page": 2}'
        assert post("/search", b"page=3&channelid=7").status == 404  # a form it never issued
        assert post("/List.aspx", b"__EVENTARGUMENT=Page%242&__VIEWSTATE=p1").body == b"page 2"
        assert post("/List.aspx", b"__VIEWSTATE=stale").body == b"page 1"  # like a GET
        assert srv.posts[2] == ("one", "/search", b"page=3&channelid=7")
        assert len(srv.posts) == 5
        logged = [path for _, method, path in srv.requests if method == "POST"]
        assert logged == [api, api, "/search", postback, "/List.aspx"]


def test_a_get_after_a_post_on_one_connection_carries_no_form() -> None:
    """A kept-alive connection reused for a GET after a POST (Scrapy does this): the GET is
    answered from its own query, not from the form the POST before it carried."""

    def echo(method: str, path: str, form: bytes) -> Resource:
        return Resource(f"{method} {path} form={form.decode()}".encode(), "text/plain")

    site = Site("echo", "www.echo.nianbao.test", "某市人民政府", {}, [], [], [], dynamic=echo)
    with MockServer([site]) as srv:
        conn = http.client.HTTPConnection("127.0.0.1", urlsplit(srv.base_url("echo")).port, timeout=10)
        try:
            answers, sockets = [], set()
            for method, target, body in (
                ("POST", "/dataproxy.jsp?startrecord=1", b"columnid=1"),
                ("GET", "/dataproxy.jsp?page=2&columnid=2", None),
                ("HEAD", "/dataproxy.jsp?page=3", None),
                ("GET", "/dataproxy.jsp?page=4", None),
            ):
                headers = {"Content-Type": "application/x-www-form-urlencoded"} if body else {}
                conn.request(method, target, body=body, headers=headers)
                answers.append(conn.getresponse().read())
                sockets.add(id(conn.sock))
        finally:
            conn.close()
    assert len(sockets) == 1  # the same connection throughout
    assert answers == [
        b"POST /dataproxy.jsp?startrecord=1 form=columnid=1",
        b"GET /dataproxy.jsp?page=2&columnid=2 form=",
        b"",
        b"GET /dataproxy.jsp?page=4 form=",
    ]


def test_a_generated_hanweb_portal_answers_a_get_after_a_post_by_its_own_column() -> None:
    """The fuzz failure the test above pins down: seed 1206 has two jpage columns on one
    ``dataproxy.jsp``, one paged by POST, one by GET; Scrapy reused the POST's connection for
    the GET, which was answered with the POST column's records."""
    from tests.mockportal.generator import generate

    site, truth = generate(1206)
    with MockServer([site], proxy=False) as srv:
        conn = http.client.HTTPConnection("127.0.0.1", urlsplit(srv.base_url(site.name)).port, timeout=10)
        try:
            form = "col=1&appid=1&webid=1&path=/&columnid=3510&sourceContentType=1&unitid=4246"
            conn.request(
                "POST",
                "/module/web/jpage/dataproxy.jsp?startrecord=1&endrecord=24&perpage=8",
                body=form,
                headers={"Content-Type": "application/x-www-form-urlencoded"},
            )
            posted = conn.getresponse().read().decode()
            conn.request("GET", "/module/web/jpage/dataproxy.jsp?page=2&columnid=4946&unitid=5792")
            got = conn.getresponse().read().decode()
        finally:
            conn.close()
    assert set(re.findall(r"art_(\d+)_", posted)) == {"3510"}
    assert set(re.findall(r"art_(\d+)_", got)) == {"4946"}
    assert {path for path in truth.reports if "art_4946_" in path and path in got}


# --------------------------------------------------------------------------- manifests


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self.hrefs += [v for k, v in attrs if k == "href" and v]


def _charset(content_type: str) -> str:
    m = re.search(r"charset=([\w-]+)", content_type)
    label = m.group(1).lower() if m else "utf-8"
    return "gb18030" if label in {"gb2312", "gbk"} else label


def walk(server: MockServer, site: Site) -> tuple[dict[str, int], dict[str, set[str]]]:
    """Breadth-first over links from ``/``, obeying robots.txt: status per path (after
    redirects, keyed by the linked path) and the pages linking to each path."""
    base = server.base_url(site.name)
    robots = urllib.robotparser.RobotFileParser()
    robots.parse(fetch(base + "robots.txt").body.decode().splitlines())
    status: dict[str, int] = {}
    linked_from: dict[str, set[str]] = {}
    queue = ["/"]
    while queue:
        path = queue.pop(0)
        if path in status:
            continue
        answer = fetch(urljoin(base, path))
        status[path] = answer.status
        if answer.status != 200 or not answer.headers["Content-Type"].startswith("text/html"):
            continue
        parser = _Links()
        parser.feed(answer.body.decode(_charset(answer.headers["Content-Type"])))
        for href in parser.hrefs:
            assert href.startswith("/") and not href.startswith("//"), (site.name, path, href)
            target = href.split("#")[0]
            linked_from.setdefault(target, set()).add(path)
            if robots.can_fetch("*", target) and target not in status:
                queue.append(target)
    return status, linked_from


@pytest.mark.parametrize("name", ["weihai", "huancui", "lingwu", "qufu", "liaocheng"])
def test_manifest_is_reachable_from_home(server: MockServer, sites: dict[str, Site], name: str) -> None:
    site = sites[name]
    status, linked_from = walk(server, site)
    assert site.expected_reports and site.decoys and site.broken
    for report in site.expected_reports:
        assert status[report.path] == 200
        for att in report.attachments:
            assert status[att] == 200, att
        # pagination is required: only a later list page links the report
        assert all(re.search(r"/index_[12]\.html$", p) for p in linked_from[report.path])
    for decoy in site.decoys:
        assert status[decoy] == 200, decoy
    assert {p for p, s in status.items() if s == 404} == set(site.broken)
    assert not any(p.startswith("/admin/") for p in status)
    assert not any(req[2].startswith("/admin/") for req in server.requests)


def test_admin_link_is_disallowed(server: MockServer, sites: dict[str, Site]) -> None:
    site = sites["lingwu"]
    _, linked_from = walk(server, site)
    assert "/admin/login.jsp" in linked_from  # the trap exists ...
    robots = fetch(direct(server, site, "/robots.txt")).body.decode()
    assert "Disallow: /admin/" in robots.splitlines()  # ... and robots.txt forbids it


def test_report_pages_carry_title_and_seed_dates(sites: dict[str, Site]) -> None:
    # publication dates the seeds state: 000 "2018年3月20日印发", 001 "2020年1月18日",
    # 003 "发布时间:2018-01-31", 004 "2018年1月19日"; 002 states none (Jan–Mar 2018)
    stated = {"weihai": "20180320", "huancui": "20200118", "qufu": "20180131", "liaocheng": "20180119"}
    years = {"weihai": 2017, "huancui": 2019, "lingwu": 2017, "qufu": 2017, "liaocheng": 2017}
    for site in sites.values():
        (report,) = site.expected_reports
        assert report.year == years[site.name]
        day = re.search(r"/(\d{6})/t(\d{8})_\d+\.html$", report.path)
        assert day and day.group(2).startswith(day.group(1))
        if site.name in stated:
            assert day.group(2) == stated[site.name]
        else:
            assert "20180101" <= day.group(2) <= "20180331"
        page = site.resources[report.path]
        html = page.body.decode(_charset(page.content_type))
        assert f'<meta name="ArticleTitle" content="{report.title}">' in html
        assert 'class="TRS_Editor"' in html


def test_real_fixture_files_are_served(server: MockServer, sites: dict[str, Site]) -> None:
    assert missing_fixtures() == []
    files = {
        "weihai": ["000.pdf", "000.doc"],
        "huancui": ["001.docx"],
        "lingwu": ["002.table.xls"],
        "qufu": ["003.docx", "003.doc"],
        "liaocheng": ["004.pdf"],
    }
    for name, names in files.items():
        site = sites[name]
        (report,) = site.expected_reports
        for link, fixture in zip(report.attachments, names, strict=True):
            assert fetch(direct(server, site, link)).body == (FIXTURES / fixture).read_bytes()
        if name != "weihai":  # full HTML body: the fixture fragment's text is on the page
            page = fetch(direct(server, site, report.path))
            text = page.body.decode(_charset(page.headers["Content-Type"]))
            fragment = (FIXTURES / f"{site.expected_reports[0].seed}.body.html").read_text()
            assert fragment.splitlines()[5] in text


@pytest.mark.slow
def test_serve_command(tmp_path: Path) -> None:
    log = tmp_path / "serve.log"
    command = [sys.executable, "-m", "tests.mockportal", "serve"]
    with background(command, log, stop_signal=signal.SIGINT, grace=60) as proc:  # a busy machine is slow
        wait_until(lambda: "Ctrl-C to stop" in log.read_text(), proc, log, timeout=60)
        m = re.search(r"^proxy: (http://127\.0\.0\.1:\d+)$", log.read_text(), re.M)
        assert m, log.read_text()
        answer = fetch("http://www.qufu.nianbao.test/robots.txt", proxy=m.group(1))
        assert answer.status == 200 and b"Disallow: /admin/" in answer.body
    assert proc.returncode == 0  # Ctrl-C stops it cleanly
