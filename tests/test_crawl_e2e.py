"""End to end: the real `nianbao` CLI crawls mock portals over real HTTP on 127.0.0.1.

Checked against what the mock portals really serve (their manifest was itself checked by
walking links in tests/test_mockportal.py): exactly the expected reports and none of the
decoys, every attachment archived with the sha256 of the served bytes, provenance from
each report back to its fetch, run and home page, problems for broken links, robots.txt
obeyed, and `nianbao verify` / `status` on the result.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest

from archive import db_path
from tests.helpers import (
    FAST,
    Crawl,
    assert_found_exactly_the_reports,
    crawl_direct,
    run_cli,
    sites_yaml_for,
)
from tests.mockportal import MockServer, Resource, Site, demo_sites

pytestmark = pytest.mark.slow  # real crawls or CLI runs in subprocesses


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Crawl]:
    tmp = tmp_path_factory.mktemp("e2e")
    sites = demo_sites()
    with MockServer(sites, proxy=False) as server, crawl_direct(server, sites, tmp) as result:
        yield result


def _served(site: Site, path: str) -> Resource:
    """The resource finally served for a path, following the site's redirects."""
    resource = site.resources[path]
    while resource.status in (301, 302, 303, 307, 308):
        path = urlsplit(urljoin("http://h" + path, resource.headers["Location"])).path
        resource = site.resources[path]
    return resource


def test_finds_exactly_the_expected_reports_and_no_decoys(crawled: Crawl) -> None:
    for site in crawled.sites:
        assert_found_exactly_the_reports(crawled, site)


def test_report_rows_carry_title_year_and_publication_date(crawled: Crawl) -> None:
    for site in crawled.sites:
        for expected in site.expected_reports:
            row = crawled.report_row(site, expected.path)
            assert row["year"] == expected.year, expected.path
            assert row["title"] and str(expected.year) in row["title"]
            assert row["published"] and row["published"][:4] in (str(expected.year), str(expected.year + 1))
            assert row["agency"]
            text = crawled.db.execute(
                "SELECT text FROM report_texts WHERE report_id = ?", [row["id"]]
            ).fetchone()["text"]
            assert len(text) > 500, f"{expected.path}: full text missing"
            assert row["is_report"] == 1, row["recognition"]


# GB/T 2260 codes of the demo portals' places (Ministry of Civil Affairs' code list).
REGION_CODES = {
    "weihai": ("371000", "city"),  # 山东省威海市
    "huancui": ("371002", "county"),  # 威海市环翠区
    "liaocheng": ("371500", "city"),  # 山东省聊城市
    "qufu": ("370881", "county"),  # 济宁市曲阜市
    "lingwu": ("640181", "county"),  # 宁夏银川市灵武市
}


def test_report_rows_carry_the_region_code_and_level_of_their_agency(crawled: Crawl) -> None:
    found = {
        row["site"]: (row["region_code"], row["region_level"])
        for row in crawled.db.execute("SELECT site, region_code, region_level FROM reports")
    }
    assert found == {s.name: REGION_CODES[s.name] for s in crawled.sites}


def test_every_attachment_is_archived_with_the_sha256_of_the_served_bytes(crawled: Crawl) -> None:
    attachments = 0
    for site in crawled.sites:
        for report in site.expected_reports:
            for href in report.attachments:
                path = href.replace("&amp;", "&")
                row = crawled.attachment_fetch(site, path)
                assert row is not None, f"attachment not fetched: {crawled.url(site, path)}"
                body = _served(site, path).body
                assert row["sha256"] == hashlib.sha256(body).hexdigest()
                assert row["referer"] == crawled.url(site, report.path)
                stored = (
                    crawled.data_dir
                    / crawled.db.execute(
                        "SELECT path FROM files WHERE sha256 = ?", [row["sha256"]]
                    ).fetchone()["path"]
                )
                assert stored.read_bytes() == body
                attachments += 1
    assert attachments >= 5


def test_redirected_attachment_keeps_original_and_final_url(crawled: Crawl) -> None:
    redirected = crawled.db.execute(
        "SELECT * FROM fetches WHERE role = 'attachment' AND final_url != url"
    ).fetchall()
    assert redirected, "the demo portals redirect at least one attachment"
    for row in redirected:
        assert json.loads(row["redirects"])[-1] == row["final_url"]
        assert row["filename"], "the Content-Disposition name is kept"


def test_content_disposition_names_are_decoded(crawled: Crawl) -> None:
    names = {row[0] for row in crawled.db.execute("SELECT filename FROM fetches WHERE role = 'attachment'")}
    assert "市政务服务中心2017年度政府信息公开工作情况统计表.docx" in names
    assert "便签--对市十八届人大一次会议第74号建议的答复.doc" in names


def test_provenance_leads_from_report_to_fetch_run_and_home(crawled: Crawl) -> None:
    rows = crawled.db.execute(
        "SELECT r.id, f.id AS fetch_id, f.run_id, f.referer, c.command, f.sha256, files.path "
        "FROM reports r JOIN fetches f ON f.id = r.fetch_id JOIN crawl_runs c ON c.id = f.run_id "
        "JOIN files ON files.sha256 = r.sha256"
    ).fetchall()
    assert len(rows) == crawled.db.execute("SELECT count(*) FROM reports").fetchone()[0]
    for row in rows:
        assert row["command"] == "crawl"
        # Walk the referers back: report ← listing ← … ← home page.
        url, hops = row["referer"], 0
        page = crawled.db.execute("SELECT * FROM fetches WHERE id = ?", [row["fetch_id"]]).fetchone()
        while url is not None and hops < 10:
            page = crawled.db.execute(
                "SELECT * FROM fetches WHERE url = ? ORDER BY id LIMIT 1", [url]
            ).fetchone()
            url, hops = page["referer"], hops + 1
        assert page["role"] == "home"
    fk = crawled.db.execute("PRAGMA foreign_key_check").fetchall()
    assert fk == []


def test_the_demo_crawl_succeeds_without_problems(crawled: Crawl) -> None:
    problems = list(crawled.db.execute("SELECT stage, url, message FROM problems"))
    assert crawled.exit_code == 0, [tuple(p) for p in problems]
    assert problems == []


def _page(body: str) -> Resource:
    return Resource(f"<html><head><meta charset='utf-8'></head><body>{body}</body></html>".encode())


def test_failures_become_problems_naming_the_url_and_the_crawl_goes_on(tmp_path: Path) -> None:
    """A 404 report, a 500 attachment and an unreachable host: each a problem; the rest kept."""
    listing = (
        '<li><a href="/nb/t1.html">某局2018年政府信息公开工作年度报告</a></li>'
        '<li><a href="/nb/gone.html">某局2017年政府信息公开工作年度报告</a></li>'
        '<li><a href="http://127.0.0.1:9/nb/t3.html">某局2016年政府信息公开工作年度报告</a></li>'
    )
    report = (
        "<div class='TRS_Editor'><p>某局2018年政府信息公开工作年度报告</p>"
        + "<p>本报告由概述、主动公开政府信息情况等部分组成。</p>" * 40
        + "<a href='/nb/P0broken.pdf'>附件</a></div><p>2019年1月20日</p>"
    )
    site = Site(
        name="shaky",
        host="www.shaky.nianbao.test",
        agency="某市人民政府",
        resources={
            "/": _page('<a href="/nb/index.html">政府信息公开年报</a>'),
            "/nb/index.html": _page(listing),
            "/nb/t1.html": _page(report),
            "/nb/P0broken.pdf": Resource(b"server error", "text/plain", status=500),
            "/robots.txt": Resource(b"User-agent: *\n", "text/plain"),
        },
        expected_reports=[],
        decoys=[],
        broken=[],
    )
    with MockServer([site], proxy=False) as server:
        base = server.base_url("shaky")
        sites_file = sites_yaml_for(tmp_path / "sites.yaml", [site], server.base_url)
        result = run_cli(
            "crawl",
            "--sites",
            str(sites_file),
            "--data-dir",
            str(tmp_path / "d"),
            *FAST,
            "-s",
            "RETRY_ENABLED=0",
            "-s",
            "ALLOWED_DOMAINS=[]",
        )
    assert result.returncode == 1, result.stderr
    db = sqlite3.connect(db_path(tmp_path / "d"))
    problems = {url: message for url, message in db.execute("SELECT url, message FROM problems")}
    assert problems[base + "nb/gone.html"] == f"HTTP 404 for {base}nb/gone.html"
    assert problems[base + "nb/P0broken.pdf"] == f"HTTP 500 for {base}nb/P0broken.pdf"
    assert "Connection" in problems["http://127.0.0.1:9/nb/t3.html"]
    assert [row[0] for row in db.execute("SELECT url FROM reports")] == [base + "nb/t1.html"]
    # The failing responses' bodies are archived too: nothing fetched is lost.
    kept = db.execute("SELECT sha256 FROM fetches WHERE url = ?", [base + "nb/P0broken.pdf"]).fetchone()
    assert kept[0] == hashlib.sha256(b"server error").hexdigest()
    status = db.execute("SELECT status, failed FROM site_runs WHERE site = 'shaky'").fetchone()
    assert status == ("problems", 3)


def test_static_portals_never_start_the_browser(crawled: Crawl) -> None:
    stats = json.loads(crawled.db.execute("SELECT stats FROM crawl_runs").fetchone()[0])
    assert stats["rendered"] == 0


def test_robots_txt_is_obeyed(crawled: Crawl) -> None:
    assert all(not path.startswith("/admin/") for _, _, path in crawled.server.requests)
    assert any(path == "/robots.txt" for _, _, path in crawled.server.requests)


def test_verify_and_status_read_the_archive(crawled: Crawl) -> None:
    verify = run_cli("verify", "--data-dir", str(crawled.data_dir))
    assert verify.returncode == 0, verify.stdout
    count = crawled.db.execute("SELECT count(*) FROM files").fetchone()[0]
    assert f"verified {count} objects: 0 missing, 0 changed" in verify.stdout
    status = run_cli("status", "--data-dir", str(crawled.data_dir))
    assert status.returncode == 0
    for site in crawled.sites:
        assert site.name in status.stdout
