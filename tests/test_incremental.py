"""Scheduled crawls: recrawls that move few bytes, new versions kept beside old ones, a
crawl killed with SIGKILL that resumes, and a lock against overlapping runs."""

from __future__ import annotations

import hashlib
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path
from urllib.parse import urljoin

import pytest

from archive import db_path
from archive.lock import RunLock
from tests.helpers import FAST, ROOT, run_cli, sites_yaml_for
from tests.mockportal import MockServer, Resource, Site, demo_sites

pytestmark = pytest.mark.slow  # real crawls or CLI runs in subprocesses


def _crawl(sites_file: Path, data_dir: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return run_cli("crawl", "--sites", str(sites_file), "--data-dir", str(data_dir), *FAST, *extra)


def _site_runs(data_dir: Path, run_id: int) -> dict[str, tuple[int, int, int]]:
    db = sqlite3.connect(db_path(data_dir))
    rows = db.execute(
        "SELECT site, new_items, changed_items, removed_items FROM site_runs WHERE run_id = ?", [run_id]
    )
    return {site: (new, changed, removed) for site, new, changed, removed in rows}


def _bytes(data_dir: Path, run_id: int) -> int:
    db = sqlite3.connect(db_path(data_dir))
    return db.execute("SELECT sum(size) FROM fetches WHERE run_id = ?", [run_id]).fetchone()[0] or 0


def test_recrawl_of_an_unchanged_portal_moves_few_bytes_and_reports_nothing_new(tmp_path: Path) -> None:
    sites = demo_sites()
    with MockServer(sites, proxy=False) as server:
        sites_file = sites_yaml_for(tmp_path / "sites.yaml", sites, server.base_url)
        _crawl(sites_file, tmp_path / "d")
        served_first = len(server.requests)
        second = _crawl(sites_file, tmp_path / "d")
        served_second = len(server.requests) - served_first
    assert second.returncode == 0, second.stdout
    first_bytes, second_bytes = _bytes(tmp_path / "d", 1), _bytes(tmp_path / "d", 2)
    assert first_bytes > 100_000
    assert second_bytes <= 0.05 * first_bytes, (first_bytes, second_bytes)
    assert served_second < served_first  # archived attachments are not asked for again
    first = _site_runs(tmp_path / "d", 1)
    assert all(new > 0 for new, _, _ in first.values())
    assert _site_runs(tmp_path / "d", 2) == {site: (0, 0, 0) for site in first}
    status = run_cli("status", "--data-dir", str(tmp_path / "d"))
    assert "new / changed / removed" in status.stdout


def test_a_changed_report_becomes_a_new_version_and_the_old_one_stays(tmp_path: Path) -> None:
    (site,) = sites = [s for s in demo_sites() if s.name == "huancui"]  # the one site it is about
    path = site.expected_reports[0].path
    with MockServer(sites, proxy=False) as server:
        sites_file = sites_yaml_for(tmp_path / "sites.yaml", sites, server.base_url)
        _crawl(sites_file, tmp_path / "d")
        old_body = site.resources[path].body
        new_body = old_body.replace(
            b"</body>", "<p>更正：本报告第三部分数据已于2020年2月更新。</p></body>".encode()
        )
        assert new_body != old_body
        server.mutate("huancui", path, replace(site.resources[path], body=new_body))
        second = _crawl(sites_file, tmp_path / "d")
        url = urljoin(server.base_url("huancui"), path)
    assert second.returncode == 0, second.stdout
    assert _site_runs(tmp_path / "d", 2)["huancui"] == (0, 1, 0)
    db = sqlite3.connect(db_path(tmp_path / "d"))
    versions = db.execute(
        "SELECT run_id, status, sha256 FROM fetches WHERE url = ? AND role = 'report' ORDER BY id", [url]
    ).fetchall()
    old_sha, new_sha = hashlib.sha256(old_body).hexdigest(), hashlib.sha256(new_body).hexdigest()
    assert [(run, sha) for run, _, sha in versions] == [(1, old_sha), (2, new_sha)]
    assert {row[0] for row in db.execute("SELECT sha256 FROM files")} >= {old_sha, new_sha}
    assert run_cli("verify", "--data-dir", str(tmp_path / "d")).returncode == 0
    report_id = db.execute("SELECT id FROM reports WHERE url = ?", [url]).fetchone()[0]
    page = db.execute(
        "SELECT sha256 FROM report_files WHERE report_id = ? AND role = 'page'", [report_id]
    ).fetchone()[0]
    assert page == new_sha


def test_a_report_gone_from_the_list_is_counted_as_removed(tmp_path: Path) -> None:
    (site,) = sites = [s for s in demo_sites() if s.name == "lingwu"]  # the one site it is about
    report_path = site.expected_reports[0].path
    with MockServer(sites, proxy=False) as server:
        sites_file = sites_yaml_for(tmp_path / "sites.yaml", sites, server.base_url)
        _crawl(sites_file, tmp_path / "d")
        for path, resource in site.resources.items():
            if report_path.encode() in resource.body and path != report_path:
                body = resource.body.replace(report_path.encode(), b"/moved-away.html")
                server.mutate("lingwu", path, replace(resource, body=body))
        _crawl(sites_file, tmp_path / "d", "--site", "lingwu")
    assert _site_runs(tmp_path / "d", 2)["lingwu"][2] == 1


def test_a_crawl_killed_with_sigkill_resumes_and_ends_with_the_same_archive(tmp_path: Path) -> None:
    sites = demo_sites()
    slow = ["-s", "DOWNLOAD_DELAY=0.25", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=1"]
    with MockServer(sites, proxy=False) as server:
        sites_file = sites_yaml_for(tmp_path / "sites.yaml", sites, server.base_url)
        reference = _crawl(sites_file, tmp_path / "reference")
        assert reference.returncode in (0, 1)

        killed_dir = tmp_path / "killed"
        command = [
            sys.executable,
            "-m",
            "nianbao.cli",
            "crawl",
            "--sites",
            str(sites_file),
            "--data-dir",
            str(killed_dir),
            "-s",
            "AUTOTHROTTLE_ENABLED=0",
            *slow,
        ]
        process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                if _fetch_count(killed_dir) >= 15:
                    break
                time.sleep(0.05)
            process.send_signal(signal.SIGKILL)
        finally:
            process.wait(timeout=30)
        fetched_before = _fetch_count(killed_dir)
        assert 15 <= fetched_before < _fetch_count(tmp_path / "reference"), "killed mid-way"
        assert list((killed_dir / "frontier").glob("*.sqlite")), "the frontier survives the kill"

        served_before = len(server.requests)
        resumed = _crawl(sites_file, killed_dir)
        resumed_paths = [path for _, _, path in server.requests[served_before:]]
    assert resumed.returncode in (0, 1), resumed.stdout
    assert resumed_paths.count("/") < len(sites), "finished sites are not walked again from home"
    assert not list((killed_dir / "frontier").glob("*.sqlite")), "a finished crawl clears its frontier"

    def archive_state(data_dir: Path) -> tuple[set, set]:
        db = sqlite3.connect(db_path(data_dir))
        files = {row[0] for row in db.execute("SELECT sha256 FROM files")}
        reports = set(db.execute("SELECT title, agency, year, published, sha256 FROM reports"))
        return files, reports

    assert archive_state(killed_dir) == archive_state(tmp_path / "reference")


def _fetch_count(data_dir: Path) -> int:
    try:
        db = sqlite3.connect(f"file:{db_path(data_dir)}?mode=ro", uri=True, timeout=1)
        return db.execute("SELECT count(*) FROM fetches").fetchone()[0]
    except sqlite3.Error:
        return 0


def test_overlapping_runs_are_refused(tmp_path: Path) -> None:
    site = Site("one", "www.one.nianbao.test", "某", {"/": Resource(b"<html></html>")}, [], [], [])
    with RunLock(tmp_path / "d"), MockServer([site], proxy=False) as server:
        sites_file = sites_yaml_for(tmp_path / "sites.yaml", [site], server.base_url)
        result = _crawl(sites_file, tmp_path / "d")
    assert result.returncode == 2
    assert "another nianbao run holds" in result.stdout


@pytest.mark.parametrize("flag", ["--quiet", "-q"])
def test_quiet_crawl_prints_nothing_when_all_is_well(tmp_path: Path, flag: str) -> None:
    page = Resource("<html><body><a href='/nb/'>政府信息公开年报</a></body></html>".encode())
    site = Site(
        "calm", "www.calm.nianbao.test", "某", {"/": page, "/nb/": Resource(b"<html></html>")}, [], [], []
    )
    with MockServer([site], proxy=False) as server:
        sites_file = sites_yaml_for(tmp_path / "sites.yaml", [site], server.base_url)
        result = _crawl(sites_file, tmp_path / "d", flag)
    assert result.returncode == 0, result.stdout
    assert result.stdout.strip() == ""
    assert result.stderr.strip() == ""  # a cron job mails whatever is printed, stderr too
