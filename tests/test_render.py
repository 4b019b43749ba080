"""The browser path: Debian's Chromium renders a listing only when its HTML yields nothing."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path

import pytest

from archive import db_path
from crawler.render import chromium_path
from tests.helpers import FAST, ROOT, run_cli, sites_yaml_for
from tests.mockportal import MockServer, Resource, Site

pytestmark = [
    pytest.mark.slow,  # real crawls with a browser
    pytest.mark.skipif(
        chromium_path() is None, reason="Debian's chromium is not installed (make setup installs it)"
    ),
]

TITLE = "某县政务服务管理局2019年政府信息公开工作年度报告"
LIST_SCRIPT = f"""
var items = [
  {{"url": "/nb/201911/t20200115_77.html", "title": "{TITLE}", "date": "2020-01-15"}},
  {{"url": "/nb/201911/t20200110_70.html", "title": "2019年法治政府建设年度报告", "date": "2020-01-10"}}
];
var ul = document.getElementById("list");
items.forEach(function (item) {{
  var li = document.createElement("li");
  var a = document.createElement("a");
  a.href = item.url; a.textContent = item.title;
  li.appendChild(a); ul.appendChild(li);
}});
"""


def _html(body: str) -> Resource:
    return Resource(f"<html><head><meta charset='utf-8'></head><body>{body}</body></html>".encode())


def _script_built_site() -> Site:
    pdf = (ROOT / "tests" / "fixtures" / "seeds" / "001.pdf").read_bytes()
    report = (
        f"<div class='TRS_Editor'><h1>{TITLE}</h1>"
        + "<p>根据《中华人民共和国政府信息公开条例》，现公布本年度报告。</p>" * 30
        + "<a href='/nb/201911/P020200115.pdf'>附件：年度报告.pdf</a></div>"
    )
    return Site(
        name="scripted",
        host="www.scripted.nianbao.test",
        agency="某县人民政府",
        resources={
            "/": _html('<a href="/nb/index.html">政府信息公开年报</a>'),
            # The list is empty in the HTML: a script fills it in the browser.
            "/nb/index.html": _html('<ul id="list"></ul><script src="/nb/list.js"></script>'),
            "/nb/list.js": Resource(LIST_SCRIPT.encode(), "application/javascript; charset=utf-8"),
            "/nb/201911/t20200115_77.html": _html(report),
            "/nb/201911/t20200110_70.html": _html("<p>2019年法治政府建设年度报告</p>"),
            "/nb/201911/P020200115.pdf": Resource(pdf, "application/pdf"),
            "/robots.txt": Resource(b"User-agent: *\n", "text/plain"),
        },
        expected_reports=[],
        decoys=[],
        broken=[],
    )


def test_a_script_built_list_is_rendered_and_only_it(tmp_path: Path) -> None:
    site = _script_built_site()
    with MockServer([site], proxy=False) as server:
        sites_file = sites_yaml_for(tmp_path / "sites.yaml", [site], server.base_url)
        result = run_cli("crawl", "--sites", str(sites_file), "--data-dir", str(tmp_path / "d"), *FAST)
        base = server.base_url("scripted")
        served = [path for _, _, path in server.requests]
    assert result.returncode == 0, result.stdout + result.stderr
    db = sqlite3.connect(db_path(tmp_path / "d"))
    assert [row[0] for row in db.execute("SELECT url FROM reports")] == [base + "nb/201911/t20200115_77.html"]
    stats = json.loads(db.execute("SELECT stats FROM crawl_runs").fetchone()[0])
    assert stats["rendered"] == 1  # the list page, once; not the home page, report or attachment
    assert served.count("/nb/list.js") == 1  # only the browser runs scripts
    assert served.count("/nb/201911/P020200115.pdf") == 1  # the attachment came through Scrapy once
    sha = db.execute("SELECT sha256 FROM fetches WHERE url LIKE '%P020200115.pdf'").fetchone()[0]
    assert sha == hashlib.sha256(site.resources["/nb/201911/P020200115.pdf"].body).hexdigest()


def test_render_never_keeps_the_browser_off(tmp_path: Path) -> None:
    site = _script_built_site()
    with MockServer([site], proxy=False) as server:
        sites_file = tmp_path / "sites.yaml"
        sites_file.write_text(
            f"- name: scripted\n  start_urls: ['{server.base_url('scripted')}']\n  render: never\n"
        )
        run_cli("crawl", "--sites", str(sites_file), "--data-dir", str(tmp_path / "d"), *FAST)
        served = [path for _, _, path in server.requests]
    db = sqlite3.connect(db_path(tmp_path / "d"))
    assert db.execute("SELECT count(*) FROM reports").fetchone()[0] == 0
    assert "/nb/list.js" not in served
    assert json.loads(db.execute("SELECT stats FROM crawl_runs").fetchone()[0])["rendered"] == 0


MORE_SCRIPT = """
fetch("/api/items.json").then(r => r.json()).then(items => {
  var ul = document.getElementById("list");
  items.forEach(function (title) {
    var li = document.createElement("li"); li.textContent = title; ul.appendChild(li);
  });
});
document.getElementById("more").addEventListener("click", function () {
  var li = document.createElement("li"); li.textContent = "clicked";
  document.getElementById("list").appendChild(li);
});
"""


def test_the_shared_browser_honours_scrapy_playwrights_request_api() -> None:
    """``playwright_page_event_handlers`` hear the page's API answers before the page is
    taken; ``playwright_page_methods`` (scrapy-playwright's PageMethod) run on the page."""
    import asyncio

    from scrapy import Request
    from scrapy.settings import Settings
    from scrapy_playwright.page import PageMethod

    from crawler.render import SharedBrowser, page_listeners

    site = Site(
        name="api",
        host="www.api.nianbao.test",
        agency="某县人民政府",
        resources={
            "/": _html(
                '<ul id="list"></ul><button id="more">加载更多</button><script src="/list.js"></script>'
            ),
            "/list.js": Resource(MORE_SCRIPT.encode(), "application/javascript; charset=utf-8"),
            "/api/items.json": Resource(json.dumps([TITLE]).encode(), "application/json"),
        },
        expected_reports=[],
        decoys=[],
        broken=[],
    )

    class Spider:
        def __init__(self) -> None:
            self.heard: list[str] = []

        async def record(self, response: object) -> None:
            if response.request.resource_type == "fetch":  # type: ignore[attr-defined]
                self.heard.append(await response.text())  # type: ignore[attr-defined]

    spider = Spider()
    with MockServer([site], proxy=False) as server:
        request = Request(
            server.base_url("api"),
            meta={
                "playwright": True,
                "playwright_page_event_handlers": {"response": "record"},
                "playwright_page_methods": [PageMethod("click", "#more")],
            },
        )

        async def render() -> str:
            browser = SharedBrowser(Settings())
            try:
                response = await browser.render(request, page_listeners(request, spider))
                return response.text
            finally:
                await browser.close()

        html = asyncio.run(render())
    assert spider.heard == [json.dumps([TITLE])]  # the API answer, heard in full
    assert f"<li>{TITLE}</li>" in html and "<li>clicked</li>" in html
