"""``nianbao serve``: metadata, canned queries, the report_summary view, and a real browser
(Debian's Chromium through Playwright) against the server started on the demo cassette.

Which demo reports contain which words was read off the seed texts (grep): 行政复议 occurs
in seeds 000–003 (the weihai, huancui, lingwu and qufu portals of tests/mockportal), not in
004 (liaocheng); 公开 in all five. Seed 000's 统计表 gives 收到申请数 5, 申请答复数 5,
行政复议数量 0 and 行政诉讼数量 0.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import socket
import sqlite3
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from archive.db import open_db
from archive.derived import ensure_metric_keys
from nianbao.serve import UNDOCUMENTED, build_metadata, canned_queries
from tests.helpers import background, copy_archive, free_port, run_cli, wait_until

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_BINARY = Path("/usr/lib/chromium/chromium")
BROWSER_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--no-proxy-server",
]
ALL_SITES = {"weihai", "huancui", "lingwu", "qufu", "liaocheng"}


# -- metadata and the view, without a server ----------------------------------------------
def test_metadata_describes_every_table_and_column() -> None:
    db = open_db(":memory:")
    meta = build_metadata(db)
    tables = meta["databases"]["nianbao"]["tables"]
    hidden = ("report_search", "reports_fts")
    visible = [t for t in [*db.table_names(), *db.view_names()] if not t.startswith(hidden)]
    for name in visible:
        assert tables[name]["description"] != UNDOCUMENTED, f"describe table {name} in nianbao/serve.py"
        for column in db[name].columns:
            description = tables[name]["columns"].get(column.name, UNDOCUMENTED)
            assert description != UNDOCUMENTED, f"describe {name}.{column.name} in nianbao/serve.py"
    assert tables["report_search_docs"] == tables["report_search_queue"] == {"hidden": True}
    assert "reports_fts" not in tables
    assert tables["reports"]["fts_table"] == "reports_fts"
    for name in ("reports", "report_summary"):
        assert {"region", "region_level", "year", "era", "agency"} <= set(tables[name]["facets"])
    # one description per column: a hand-written one is not followed by the schema's comment
    assert tables["reports"]["columns"]["year"] == "Year reported on"
    assert {"title", "description", "source", "license"} <= meta.keys()
    assert tables["reports"]["label_column"] == "title"
    assert tables["fetches"]["units"]["duration_ms"] == "ms"


def test_canned_queries_cover_the_brief() -> None:
    queries = canned_queries()
    assert {"search", "reports_by_region_year", "failing_checks", "agency_requests"} <= queries.keys()
    assert "nianbao_fts_query(:q)" in queries["search"]["sql"]
    assert "c.passed = 0" in queries["failing_checks"]["sql"]
    assert "'requests.new.total'" in queries["agency_requests"]["sql"]
    assert all(q["hide_sql"] for q in queries.values())  # a form, not twenty lines of SQL
    assert {"requests_per_year", "application_outcomes", "reviews_and_lawsuits"} <= queries.keys()


def _report(db, rid: str, era: str) -> None:
    db.execute(
        "INSERT INTO reports (id, title, url, era, parser, parser_version) VALUES (?, ?, ?, ?, 'p', '1')",
        [rid, f"report {rid}", f"http://x/{rid}", era],
    )


def _metric(db, rid: str, key: str, value: float | None, confidence: str = "high") -> None:
    ensure_metric_keys(db, [key])  # metrics.key references the metric dictionary
    db.execute(
        "INSERT INTO metrics (report_id, key, value, confidence) VALUES (?, ?, ?, ?)",
        [rid, key, value, confidence],
    )


def test_report_summary_compares_eras() -> None:
    db = open_db(":memory:")
    _report(db, "L", "legacy")
    for key, value in [
        ("legacy.requests.received", 7),
        ("legacy.requests.answered", 6),
        ("legacy.review.total", 1),
        ("legacy.litigation.total", 2),
        ("legacy.active.total", 300),
    ]:
        _metric(db, "L", key, value)
    db.execute(
        "INSERT INTO checks (report_id, rule, passed) VALUES ('L', 'a', 0), ('L', 'b', 1), ('L', 'c', NULL)"
    )
    _report(db, "N", "2019")
    for key, value in [
        ("requests.new.total", 10),
        ("requests.result.total.total", 9),
        ("review.total", 3),
        ("litigation_direct.total", 1),
        ("litigation_after_review.total", None),  # a blank cell
    ]:
        _metric(db, "N", key, value)
    _report(db, "B", "2021")
    for key in ("requests.new.total", "litigation_direct.total", "litigation_after_review.total"):
        _metric(db, "B", key, None)
    _report(db, "P", "prose")
    _metric(db, "P", "legacy.requests.received", 99, confidence="low")  # a sentence
    _metric(db, "P", "legacy.requests.received", 12, confidence="high")  # the table wins

    rows = {r["report_id"]: r for r in db.query("SELECT * FROM report_summary")}
    assert len(rows) == 4
    legacy, new, blank = rows["L"], rows["N"], rows["B"]
    assert (legacy["requests_received"], legacy["requests_answered"]) == (7, 6)
    assert (legacy["reviews"], legacy["lawsuits"], legacy["items_published"]) == (1, 2, 300)
    assert (legacy["checks_failed"], legacy["checks"], legacy["metrics"]) == (1, 3, 5)
    assert (new["requests_received"], new["requests_answered"], new["reviews"]) == (10, 9, 3)
    assert new["lawsuits"] == 1  # direct 1 + after review blank
    assert new["items_published"] is None
    assert (blank["requests_received"], blank["lawsuits"], blank["checks_failed"]) == (None, None, 0)
    assert rows["P"]["requests_received"] == 12


# -- the server and the browser -----------------------------------------------------------
@pytest.fixture(scope="module")
def demo_dir(demo_archive: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the demo archive: serve refreshes the search index, the shared one stays as is."""
    return copy_archive(demo_archive, tmp_path_factory.mktemp("serve") / "data")


def _get(url: str) -> int:
    return _fetch(url)[0]


def _fetch(url: str) -> tuple[int, dict[str, str], bytes]:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: no proxy
    with opener.open(url, timeout=10) as response:
        return response.status, {k.lower(): v for k, v in response.headers.items()}, response.read()


def _answers(url: str) -> bool:
    try:
        return _get(url) == 200
    except OSError:
        return False


@pytest.fixture(scope="module")
def server(demo_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    log = tmp_path_factory.mktemp("serve-log") / "serve.log"
    env = {k: v for k, v in os.environ.items() if k.lower() not in ("http_proxy", "https_proxy")}
    command = [sys.executable, "-m", "nianbao.cli", "serve", "--data-dir", str(demo_dir), "--port", str(port)]
    base = f"http://127.0.0.1:{port}"
    with background(command, log, env=env) as process:
        wait_until(lambda: _answers(base + "/-/versions.json"), process, log, timeout=60)
        assert f"{base}/" in log.read_text()  # it printed its URL
        yield base


@pytest.fixture(scope="module")
def page(server: str):
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium is not installed (/usr/bin/chromium): apt-get install chromium")
    from playwright.sync_api import sync_playwright

    executable = CHROMIUM_BINARY if CHROMIUM_BINARY.exists() else CHROMIUM
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(executable), headless=True, args=BROWSER_ARGS
        )
        try:
            yield browser.new_page()
        finally:
            browser.close()


def _column(page, column: str) -> list[str]:
    return [
        t.strip() for t in page.locator(f"table.rows-and-columns tbody td.col-{column}").all_inner_texts()
    ]


@pytest.mark.parametrize(
    ("query", "sites"),
    [("行政复议", {"weihai", "huancui", "lingwu", "qufu"}), ("公开", ALL_SITES)],
)
def test_search_in_the_browser(server: str, page, query: str, sites: set[str]) -> None:
    page.goto(f"{server}/nianbao/search")
    page.fill("input[name=q]", query)
    page.click("input[type=submit][value='Run SQL']")
    page.wait_for_selector("table.rows-and-columns")
    assert set(_column(page, "site")) == sites
    assert len(_column(page, "site")) == len(sites)  # one row per report
    marked = page.locator("td.col-snippet mark").all_inner_texts()
    assert marked and set(marked) == {query}


def test_report_summary_renders(server: str, page) -> None:
    page.goto(f"{server}/nianbao/report_summary?site=weihai")
    assert "report_summary" in page.title()
    assert len(_column(page, "report_id")) == 1
    values = [_column(page, c)[0] for c in ("requests_received", "requests_answered", "reviews", "lawsuits")]
    assert [float(v) for v in values] == [5, 5, 0, 0]
    page.goto(f"{server}/nianbao/report_summary")
    assert set(_column(page, "site")) == ALL_SITES


def test_a_metric_links_to_its_report(server: str, page) -> None:
    page.goto(f"{server}/nianbao/metrics?key=legacy.requests.received&_size=5")
    cell = page.locator("table.rows-and-columns tbody td.col-report_id").first
    report_id = cell.locator("em").inner_text().strip()
    cell.locator("a").click()
    page.wait_for_load_state()
    assert page.url.endswith(f"/nianbao/reports/{report_id}")
    assert page.locator("td.col-id").first.inner_text().strip() == report_id
    assert page.locator("li", has_text="from report_id in metrics").count() == 1


def test_serve_cannot_start_without_an_archive_or_a_port(tmp_path: Path, demo_dir: Path) -> None:
    assert run_cli("serve", "--data-dir", str(tmp_path / "nothing")).returncode == 2
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = str(taken.getsockname()[1])
        result = run_cli("serve", "--data-dir", str(demo_dir), "--port", port, timeout=60)
    assert result.returncode == 2
    assert "cannot listen" in result.stderr


# -- datasette for people who do not write SQL --------------------------------------------
def test_facets_and_folded_descriptions(server: str, page) -> None:
    page.goto(f"{server}/nianbao/reports")
    facets = {f.get_attribute("data-column") for f in page.locator(".facet-info").all()}
    assert {"region", "region_level", "year", "era", "agency"} <= facets
    assert page.locator("details > summary", has_text="Column descriptions").count() == 1
    assert not page.locator("dl.column-descriptions").is_visible()  # folded until asked for
    page.goto(f"{server}/nianbao/failing_checks")
    assert not page.locator("textarea#sql-editor").count()  # the SQL is folded away


@pytest.mark.parametrize(("query", "sites"), [("公开", ALL_SITES), ("行政复议", ALL_SITES - {"liaocheng"})])
def test_datasette_search_box_uses_the_bigram_index(server: str, page, query: str, sites: set[str]) -> None:
    page.goto(f"{server}/nianbao/reports")
    page.fill("input#_search", query)
    page.locator("input#_search").press("Enter")
    page.wait_for_load_state()
    assert "_search=" in page.url
    assert {cell.split("\xa0")[-1] for cell in _column(page, "site")} == sites  # label + name


def test_chinese_labels_beside_metric_keys(server: str, demo_dir: Path, page) -> None:
    with sqlite3.connect(demo_dir / "nianbao.db") as conn:
        key, label = conn.execute(
            "SELECT k.key, k.label_zh FROM metric_keys k JOIN metrics m ON m.key = k.key LIMIT 1"
        ).fetchone()
    page.goto(f"{server}/nianbao/metrics?key={key}")
    cells = _column(page, "key")
    assert cells and all(label in cell for cell in cells)


def test_every_report_links_to_its_archived_bytes(server: str, demo_dir: Path, page) -> None:
    page.goto(f"{server}/nianbao/reports")
    links = page.locator("td.col-sha256 a.nianbao-download")
    assert links.count() == len(_column(page, "id")) == 5
    with sqlite3.connect(demo_dir / "nianbao.db") as conn:
        rows = conn.execute(
            "SELECT f.sha256, f.media_type, x.filename FROM files f JOIN fetches x ON x.sha256 = f.sha256 "
            "WHERE x.role = 'attachment' AND x.filename IS NOT NULL"
        ).fetchall()
    assert rows
    for sha256, media_type, filename in rows:
        href = f"{server}/-/nianbao/files/{sha256}"
        status, headers, body = _fetch(href)
        assert status == 200 and hashlib.sha256(body).hexdigest() == sha256
        assert headers["content-type"].startswith(media_type)
        assert urllib.parse.quote(filename, safe="") in headers["content-disposition"]
        assert headers["content-disposition"].startswith("attachment;")


@pytest.mark.parametrize(
    "path", ["../../nianbao.db", "..%2F..%2F..%2Fnianbao.db", "0" * 63, "g" * 64, "0" * 64, "0" * 64 + "/"]
)
def test_the_file_route_serves_archived_objects_only(server: str, path: str) -> None:
    """The path is sent as written (no client-side normalisation), redirects not followed."""
    host, port = server.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        conn.request("GET", f"/-/nianbao/files/{path}")
        response = conn.getresponse()
        body = response.read()
    finally:
        conn.close()
    assert response.status != 200, body[:100]
    assert b"SQLite format 3" not in body


def test_a_chart_spec_is_served_and_drawn(server: str, page) -> None:
    status, _, body = _fetch(f"{server}/-/nianbao/charts/requests_per_year.json?agency=%E5%A8%81%E6%B5%B7")
    assert status == 200
    spec = json.loads(body)
    assert "vega-lite" in spec["$schema"]
    _, _, data = _fetch(server + spec["data"]["url"])
    rows = json.loads(data)
    assert rows and {row["类别"] for row in rows} == {"收到申请数", "办结申请数"}
    assert {row["年度"] for row in rows} == {2017, 2019}  # 威海市 (2017) and its 环翠区 (2019)
    page.goto(f"{server}/nianbao/requests_per_year")
    page.locator("a", has_text="Show the chart").click()
    page.wait_for_selector("svg.marks, canvas.marks", timeout=15000)


def test_health_json_for_monitors(server: str) -> None:
    status, headers, body = _fetch(f"{server}/-/nianbao-health.json")
    report = json.loads(body)
    assert status == 200 and headers["content-type"].startswith("application/json")
    assert report["ok"] is True
    assert {s["name"] for s in report["sites"]} == ALL_SITES
    assert report["last_crawl"]["exit_code"] == 0
