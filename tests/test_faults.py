"""Hostile servers, slow cases (``make test-faults``; skipped by ``make test``): SIGTERM and
SIGKILL then resume, a full disk (a small tmpfs), Ctrl-C during reparse, and memory with the
default size limits while endless downloads and gzip bombs are in flight.

Each asserts the exit code, the run status, the problems rows, the bytes archived (nothing
partial, nothing lost) and a bound on requests and memory.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import FAST, ROOT, peak_rss_mb, run_cli
from tests.hostile import FULL_NAMES, MB, HostileServer, attachment_bytes, sha256
from tests.test_hostile import interrupt_crawl, write_sites

pytestmark = pytest.mark.skipif(
    os.environ.get("NIANBAO_FAULTS") != "1", reason="slow fault cases: run with `make test-faults`"
)

CASSETTE = ROOT / "cassettes" / "demo.warc.gz"
SLOW_REPORTS = 40
MEMORY_LIMIT_MB = 400


def connect(data: Path) -> sqlite3.Connection:
    db = sqlite3.connect(data / "nianbao.db")
    db.row_factory = sqlite3.Row
    return db


def assert_store_whole(data: Path) -> None:
    """Every object hashes to its name; no temp file is left behind (nothing partial)."""
    for path in (data / "objects").glob("??/??/*"):
        assert sha256(path.read_bytes()) == path.name, path
    leftovers = [p.name for p in (data / "tmp").iterdir() if p.name != ".reserve"]
    assert not leftovers, leftovers


def resume(tmp: Path, server: HostileServer) -> subprocess.CompletedProcess[str]:
    sites = tmp / "sites.yaml"
    return run_cli("crawl", "--sites", str(sites), "--data-dir", str(tmp / "data"), *FAST, "-q", timeout=180)


def assert_every_report_archived_once(db: sqlite3.Connection, server: HostileServer) -> None:
    urls = {server.url("slow") + f"r{i}.html" for i in range(SLOW_REPORTS)}
    rows = db.execute("SELECT url FROM fetches WHERE site = 'slow' AND role = 'report' AND status = 200")
    fetched = [row[0] for row in rows]
    assert set(fetched) == urls
    reports = db.execute("SELECT count(DISTINCT url) FROM reports WHERE site = 'slow'").fetchone()[0]
    assert reports == SLOW_REPORTS
    # a request handed to the downloader but not done at the stop is asked again; nothing more
    assert len(fetched) <= SLOW_REPORTS + 16, len(fetched)  # CONCURRENT_REQUESTS


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_signal_then_a_resume_loses_nothing_and_removes_nothing(
    tmp_path: Path, signum: int, code: int
) -> None:
    with HostileServer() as server:
        first, output = interrupt_crawl(tmp_path, server, signum)
        assert first == code, output
        db = connect(tmp_path / "data")
        assert db.execute("SELECT status FROM crawl_runs WHERE id = 1").fetchone()[0] == "interrupted"
        second = resume(tmp_path, server)
        assert second.returncode == 0, second.stdout + second.stderr
    runs = db.execute("SELECT status FROM crawl_runs ORDER BY id").fetchall()
    assert [r[0] for r in runs] == ["interrupted", "ok"]
    assert db.execute("SELECT sum(removed_items) FROM site_runs").fetchone()[0] == 0
    assert_every_report_archived_once(db, server)
    assert not (tmp_path / "data" / "frontier" / "slow.sqlite").exists()  # finished: frontier gone
    assert_store_whole(tmp_path / "data")


def test_sigkill_then_resume_loses_nothing_and_closes_the_dead_run(tmp_path: Path) -> None:
    with HostileServer() as server:
        interrupt_crawl(tmp_path, server, signal.SIGKILL, after_requests=10)
        second = resume(tmp_path, server)
        assert second.returncode == 0, second.stdout + second.stderr
    db = connect(tmp_path / "data")
    runs = [tuple(r) for r in db.execute("SELECT status, exit_code FROM crawl_runs ORDER BY id")]
    assert runs == [("interrupted", None), ("ok", 0)]
    assert db.execute("SELECT sum(removed_items) FROM site_runs").fetchone()[0] == 0
    assert_every_report_archived_once(db, server)
    assert_store_whole(tmp_path / "data")


# -- a full disk ---------------------------------------------------------------------------------
@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 5 MB tmpfs (root only)."""
    if os.geteuid() != 0:
        pytest.skip("a full disk needs a small tmpfs, and mounting one needs root")
    mount = tmp_path / "disk"
    mount.mkdir()
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=5m", "tmpfs", str(mount)], capture_output=True)
    if made.returncode != 0:
        pytest.skip(f"mounting a tmpfs is not permitted here: {made.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_a_full_disk_fails_the_run_in_one_line_and_keeps_the_store_whole(
    tmp_path: Path, small_disk: Path
) -> None:
    data = small_disk / "data"
    with HostileServer() as server:
        sites = write_sites(tmp_path / "sites.yaml", server, ["full"])
        result = run_cli("crawl", "--sites", str(sites), "--data-dir", str(data), *FAST, "-q", timeout=180)
    output = result.stdout + result.stderr
    assert result.returncode == 3, output
    assert "disk full" in result.stdout and "Traceback" not in result.stdout, output
    db = connect(data)
    assert tuple(db.execute("SELECT status, exit_code FROM crawl_runs").fetchone()) == ("failed", 3)
    assert db.execute("SELECT count(*) FROM problems WHERE message LIKE 'disk full%'").fetchone()[0] >= 1
    # what was archived is whole, and is exactly what the server sent
    for row in db.execute("SELECT url, sha256 FROM fetches WHERE role = 'attachment' AND sha256 IS NOT NULL"):
        name = row["url"].rsplit("/", 1)[-1]
        assert name in FULL_NAMES and row["sha256"] == sha256(attachment_bytes(f"full/{name}", MB))
    assert_store_whole(data)
    served = [p for p, _ in server.requests_for("full")]
    assert len(served) <= 1 + 3 + 2 * len(FULL_NAMES), served  # it stopped; nothing hammered


# -- reparse --------------------------------------------------------------------------------------
def test_ctrl_c_in_reparse_closes_the_run_without_tracebacks(tmp_path: Path) -> None:
    data = tmp_path / "data"
    crawled = run_cli("crawl", "--replay", str(CASSETTE), "--data-dir", str(data), "-q")
    assert crawled.returncode in (0, 1), crawled.stdout + crawled.stderr
    command = [
        sys.executable,
        "-m",
        "nianbao.cli",
        "reparse",
        "--data-dir",
        str(data),
        "--workers",
        "2",
        "-q",
    ]
    # its own process group, as a terminal's Ctrl-C reaches the parser workers too
    proc = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)  # fmt: skip
    db = connect(data)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if db.execute("SELECT 1 FROM crawl_runs WHERE command = 'reparse'").fetchone():
            break
        time.sleep(0.02)
    time.sleep(0.3)  # into the parsing
    os.killpg(proc.pid, signal.SIGINT)
    output, _ = proc.communicate(timeout=60)
    row = db.execute("SELECT status, exit_code FROM crawl_runs WHERE command = 'reparse'").fetchone()
    if proc.returncode == 0:
        pytest.skip("the reparse finished before the signal arrived")
    assert proc.returncode == 130, output
    assert "Traceback" not in output and "KeyboardInterrupt" not in output, output
    assert tuple(row) == ("interrupted", 130)


# -- memory -----------------------------------------------------------------------------------------
def test_memory_stays_flat_with_endless_downloads_and_bombs_in_flight(tmp_path: Path) -> None:
    with HostileServer() as server:
        sites = write_sites(tmp_path / "sites.yaml", server, ["flood"])
        result = run_cli(
            "crawl", "--sites", str(sites), "--data-dir", str(tmp_path / "data"), *FAST, "-q",
            "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=8", timeout=600, peak_rss_to=tmp_path / "peak",
        )  # fmt: skip
        peak_mb = peak_rss_mb(tmp_path / "peak")
    assert result.returncode == 1, result.stdout + result.stderr
    assert peak_mb < MEMORY_LIMIT_MB, peak_mb
    db = connect(tmp_path / "data")
    messages = [r[0] for r in db.execute("SELECT message FROM problems WHERE stage = 'fetch'")]
    assert sum("decompression bomb" in m for m in messages) == 3, messages
    assert sum("DOWNLOAD_MAXSIZE" in m for m in messages) == 4, messages
    ok = db.execute("SELECT sha256 FROM fetches WHERE url LIKE '%/flood/ok.pdf'").fetchone()
    assert ok is not None and ok[0] == sha256(attachment_bytes("flood/ok.pdf"))
    assert_store_whole(tmp_path / "data")
