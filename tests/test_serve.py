"""``nianbao serve``: metadata, canned queries, the report_summary view, and a real browser
(Debian's Chromium through Playwright) against the server started on the demo cassette.

Which demo reports contain which words was read off the seed texts (grep): 行政复议 occurs
in seeds 000–003 (the weihai, huancui, lingwu and qufu portals of tests/mockportal), not in
004 (liaocheng); 公开 in all five. Seed 000's 统计表 gives 收到申请数 5, 申请答复数 5,
行政复议数量 0 and 行政诉讼数量 0.
"""

from __future__ import annotations

import os
import socket
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from archive.db import open_db
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
    visible = [t for t in [*db.table_names(), *db.view_names()] if not t.startswith("report_search")]
    for name in visible:
        assert tables[name]["description"] != UNDOCUMENTED, f"describe table {name} in nianbao/serve.py"
        for column in db[name].columns:
            description = tables[name]["columns"].get(column.name, UNDOCUMENTED)
            assert description != UNDOCUMENTED, f"describe {name}.{column.name} in nianbao/serve.py"
    assert tables["report_search"]["hidden"] is True
    assert "report_search_docs" not in tables
    assert {"title", "description", "source", "license"} <= meta.keys()
    assert tables["reports"]["label_column"] == "title"
    assert tables["fetches"]["units"]["duration_ms"] == "ms"


def test_canned_queries_cover_the_brief() -> None:
    queries = canned_queries()
    assert {"search", "reports_by_region_year", "failing_checks", "agency_requests"} <= queries.keys()
    assert "nianbao_fts_query(:q)" in queries["search"]["sql"]
    assert "c.passed = 0" in queries["failing_checks"]["sql"]
    assert "'requests.new.total'" in queries["agency_requests"]["sql"]


def _report(db, rid: str, era: str) -> None:
    db.execute(
        "INSERT INTO reports (id, title, url, era, parser, parser_version) VALUES (?, ?, ?, ?, 'p', '1')",
        [rid, f"report {rid}", f"http://x/{rid}", era],
    )


def _metric(db, rid: str, key: str, value: float | None, confidence: str = "high") -> None:
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
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: no proxy
    with opener.open(url, timeout=5) as response:
        return response.status


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
