"""Hostile servers, fast cases: one real ``nianbao crawl`` of every portal of the hostile server
(tests/hostile.py) on 127.0.0.1, checked from the archive database, the object store and what
the server was asked; then the exit codes of a bad ``-s`` and of Ctrl-C.

The slow cases (SIGTERM/SIGKILL and resume, a full disk, Ctrl-C in reparse, memory with the
default limits) are in test_faults.py (``make test-faults``).
"""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from tests.helpers import FAST, ROOT, peak_rss_mb, run_cli
from tests.hostile import (
    BIG_SIZE,
    BLANK_PAGES,
    LOOP_GOOD,
    HostileServer,
    attachment_bytes,
    hostile_files,
    sha256,
)

CRAWLED = ["loop", "redirects", "trap", "budget", "not404", "retry", "bodies", "files"]
# Small bounds, so each case meets its own bound fast (the defaults are in crawler/settings.py).
BOUNDS = {
    "NIANBAO_MAX_REQUESTS_PER_SITE": "40",
    "NIANBAO_TRAP_CHAIN": "15",
    "DOWNLOAD_MAXSIZE": str(40 * 1024 * 1024),
    "NIANBAO_DECOMPRESSED_MAXSIZE": str(16 * 1024 * 1024),
    "REDIRECT_MAX_TIMES": "5",
}
MEMORY_LIMIT_MB = 400


def write_sites(path: Path, server: HostileServer, cases: list[str]) -> Path:
    entries = [{"name": case, "start_urls": [server.url(case)], "agency": case} for case in cases]
    path.write_text(yaml.safe_dump(entries), encoding="utf-8")
    return path


def settings_args(settings: dict[str, str]) -> list[str]:
    return [arg for name, value in settings.items() for arg in ("-s", f"{name}={value}")]


@dataclass
class Run:
    server: HostileServer
    data: Path
    db: sqlite3.Connection
    exit_code: int
    output: str
    peak_rss_mb: float

    def problems(self, site: str, stage: str | None = None) -> list[sqlite3.Row]:
        sql = "SELECT * FROM problems WHERE site = ? AND stage != 'parse'"
        rows = self.db.execute(sql + (" AND stage = ?" if stage else ""), [site, *([stage] if stage else [])])
        return rows.fetchall()

    def site_status(self, site: str) -> str:
        return self.db.execute("SELECT status FROM sites WHERE name = ?", [site]).fetchone()[0]

    def archived(self, url: str) -> sqlite3.Row | None:
        return self.db.execute(
            "SELECT * FROM fetches WHERE url = ? AND sha256 IS NOT NULL ORDER BY id DESC", [url]
        ).fetchone()

    def object_bytes(self, sha: str) -> bytes:
        return (self.data / "objects" / sha[:2] / sha[2:4] / sha).read_bytes()

    def parse_rows(self, site: str) -> dict[str, list[tuple[str, str]]]:
        """(stage, message) of the parse stage's rows for each URL: problems and notes."""
        rows: dict[str, list[tuple[str, str]]] = {}
        sql = "SELECT url, stage, message FROM problems WHERE site = ? AND stage IN ('parse', 'note')"
        for row in self.db.execute(sql, [site]):
            rows.setdefault(row["url"], []).append((row["stage"], row["message"]))
        return rows

    def paths(self, site: str) -> list[str]:
        return [path for path, _ in self.server.requests_for(site)]


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    tmp = tmp_path_factory.mktemp("hostile")
    with HostileServer() as server:
        sites = write_sites(tmp / "sites.yaml", server, CRAWLED)
        result = run_cli(
            "crawl", "--sites", str(sites), "--data-dir", str(tmp / "data"), *FAST, *settings_args(BOUNDS),
            timeout=180, peak_rss_to=tmp / "peak",
        )  # fmt: skip
        peak = peak_rss_mb(tmp / "peak")
        db = sqlite3.connect(tmp / "data" / "nianbao.db")
        db.row_factory = sqlite3.Row
        yield Run(server, tmp / "data", db, result.returncode, result.stdout + result.stderr, peak)
        db.close()


def test_the_run_finishes_with_problems(run: Run) -> None:
    assert run.exit_code == 1, run.output
    row = run.db.execute("SELECT status, exit_code FROM crawl_runs").fetchone()
    assert tuple(row) == ("problems", 1)
    assert run.peak_rss_mb < MEMORY_LIMIT_MB
    # nothing partial left behind in the store's temp folder
    assert not [p for p in (run.data / "tmp").iterdir() if p.name != ".reserve"]


def test_a_redirect_loop_fails_one_request_and_the_site_goes_on(run: Run) -> None:
    assert run.site_status("loop") == "problems"
    assert not run.problems("loop", "blocked")
    loops = run.problems("loop", "fetch")
    assert [p["url"] for p in loops] == [run.server.url("loop") + "a3.pdf"], [dict(p) for p in loops]
    assert "redirect loop" in loops[0]["message"]
    for name in LOOP_GOOD:
        row = run.archived(run.server.url("loop") + name)
        assert row is not None, name
        assert run.object_bytes(row["sha256"]) == attachment_bytes(f"loop/{name}")
    assert run.paths("loop").count("/loop/a3.pdf") == 1


def test_every_redirect_not_followed_leaves_a_row_with_its_reason(run: Run) -> None:
    base = run.server.url("redirects")
    rows = {p["url"]: (p["stage"], p["message"]) for p in run.problems("redirects")}
    assert rows[base + "hop0.pdf"][0] == "fetch" and "too many redirects" in rows[base + "hop0.pdf"][1]
    assert rows[base + "away.pdf"][0] == "fetch" and "off-site redirect" in rows[base + "away.pdf"][1]
    assert rows[base + "back.pdf"][0] == "note" and "fetched already" in rows[base + "back.pdf"][1]
    assert rows[base + "private/secret.pdf"][0] == "robots"
    assert "/redirects/private/secret.pdf" not in run.paths("redirects")
    assert run.archived(base + "good.pdf") is not None
    hops = [p for p in run.paths("redirects") if p.startswith("/redirects/hop")]
    assert len(hops) == int(BOUNDS["REDIRECT_MAX_TIMES"]) + 1, hops


def test_notes_do_not_count_as_problems(run: Run) -> None:
    """robots.txt and already-fetched notes alone would leave a site ok."""
    notes = run.db.execute("SELECT count(*) FROM problems WHERE stage IN ('note', 'robots')").fetchone()[0]
    counted = run.db.execute("SELECT json_extract(stats, '$.problems') FROM crawl_runs").fetchone()[0]
    total = run.db.execute("SELECT count(*) FROM problems").fetchone()[0]
    assert notes >= 2 and counted == total - notes


def test_a_pager_that_never_ends_is_a_trap_cut_off(run: Run) -> None:
    pages = [p for p in run.paths("trap") if p.startswith("/trap/nb/")]
    assert len(pages) <= int(BOUNDS["NIANBAO_TRAP_CHAIN"]) + 2, len(pages)
    traps = [p for p in run.problems("trap", "crawl") if "crawler trap" in p["message"]]
    assert len(traps) == 1 and "127.0.0.1/trap/nb/?page" in traps[0]["message"]
    assert run.site_status("trap") == "trapped"


def test_the_request_budget_stops_a_site(run: Run) -> None:
    served = [p for p in run.paths("budget") if p != "/robots.txt"]
    budget = int(BOUNDS["NIANBAO_MAX_REQUESTS_PER_SITE"])
    assert budget - 2 <= len(served) <= budget, len(served)
    rows = [p for p in run.problems("budget", "crawl") if "request budget" in p["message"]]
    assert len(rows) == 1
    assert run.site_status("budget") == "stopped"


def test_pages_mentioning_404_are_not_soft_404s(run: Run) -> None:
    soft = [p["url"] for p in run.problems("not404") if "soft 404" in p["message"]]
    assert soft == [run.server.url("not404") + "gone.html"]
    for i in range(3):
        assert run.archived(run.server.url("not404") + f"r{i}.html") is not None


def test_retry_after_is_honoured_up_to_the_cap(run: Run) -> None:
    times = [t for p, t in run.server.requests_for("retry") if p == "/retry/soon.pdf"]
    assert len(times) == 2 and times[1] - times[0] >= 1.0, times
    assert run.archived(run.server.url("retry") + "soon.pdf") is not None
    assert [p for p in run.paths("retry") if p == "/retry/later.pdf"] == ["/retry/later.pdf"]
    later = [p for p in run.problems("retry", "fetch") if p["url"].endswith("later.pdf")]
    assert len(later) == 1 and "retry later" in later[0]["message"] and "3600" in later[0]["message"]


def test_bombs_and_endless_bodies_are_problems_big_bodies_are_kept_whole(run: Run) -> None:
    base = run.server.url("bodies")
    rows = {p["url"]: p["message"] for p in run.problems("bodies", "fetch")}
    assert "decompression bomb" in rows[base + "bomb.pdf"]
    assert "DOWNLOAD_MAXSIZE" in rows[base + "endless.pdf"]
    assert run.archived(base + "bomb.pdf") is None and run.archived(base + "endless.pdf") is None
    big = run.archived(base + "big.pdf")
    assert big is not None and big["size"] == BIG_SIZE
    assert big["sha256"] == sha256(attachment_bytes("bodies/big.pdf", BIG_SIZE))
    assert sha256(run.object_bytes(big["sha256"])) == big["sha256"]
    assert run.archived(base + "small.pdf") is not None


def test_hostile_files_are_recorded_as_problems_or_notes(run: Run) -> None:
    base = run.server.url("files")
    rows = run.parse_rows("files")
    for name, data in hostile_files().items():  # every file archived as served
        row = run.archived(base + name)
        assert row is not None and row["sha256"] == sha256(data), name
    (xxe,) = rows[base + "xxe.docx"]
    assert xxe[0] == "note" and "word/document.xml" in xxe[1] and "not expanded" in xxe[1]
    text = run.db.execute("SELECT group_concat(text, ' ') FROM report_texts").fetchone()[0] or ""
    assert "root:" not in text  # /etc/passwd was never read
    (deep,) = rows[base + "deep.zip"]
    assert deep[0] == "parse" and "level1.zip/level2.zip" in deep[1] and "nested" in deep[1]
    (unsafe,) = rows[base + "unsafe.zip"]
    assert "../../etc/cron.d/evil.html" in unsafe[1] and "/abs/evil.html" in unsafe[1], unsafe
    assert not list((run.data).rglob("evil.html"))
    (blank,) = rows[base + "blank.pdf"]
    assert blank[0] == "parse" and f"no text in any of its {BLANK_PAGES} pages" in blank[1]


# -- exit codes --------------------------------------------------------------------------------
def test_a_setting_of_the_wrong_type_stops_the_run_before_it_starts(tmp_path: Path) -> None:
    result = run_cli("crawl", "--data-dir", str(tmp_path / "data"), "-s", "DOWNLOAD_DELAY=abc")
    assert result.returncode == 2, result.stdout + result.stderr
    assert "DOWNLOAD_DELAY=abc" in result.stdout and "Traceback" not in result.stdout + result.stderr
    assert not (tmp_path / "data" / "nianbao.db").exists()


def interrupt_crawl(
    tmp: Path, server: HostileServer, signum: int, *, after_requests: int = 6
) -> tuple[int, str]:
    """Start ``nianbao crawl`` of the slow portal, send ``signum`` once it is under way."""
    sites = write_sites(tmp / "sites.yaml", server, ["slow"])
    command = [
        sys.executable,
        "-m",
        "nianbao.cli",
        "crawl",
        "--sites",
        str(sites),
        "--data-dir",
        str(tmp / "data"),
    ]
    proc = subprocess.Popen(
        [*command, *FAST], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    deadline = time.monotonic() + 60
    while len(server.requests_for("slow")) < after_requests and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.send_signal(signum)
    output, _ = proc.communicate(timeout=60)
    return proc.returncode, output


def test_ctrl_c_interrupts_the_crawl_keeps_its_frontier_and_says_so(tmp_path: Path) -> None:
    with HostileServer() as server:
        code, output = interrupt_crawl(tmp_path, server, signal.SIGINT)
    assert code == 130, output
    assert "Traceback" not in output, output
    db = sqlite3.connect(tmp_path / "data" / "nianbao.db")
    assert db.execute("SELECT status, exit_code FROM crawl_runs").fetchone() == ("interrupted", 130)
    assert db.execute("SELECT status FROM sites WHERE name = 'slow'").fetchone() == ("interrupted",)
    assert db.execute("SELECT removed_items FROM site_runs").fetchone() == (0,)
    assert (tmp_path / "data" / "frontier" / "slow.sqlite").exists()


def test_a_pdf_of_blank_pages_is_no_report_by_its_title() -> None:
    from parsers.formats import pdf
    from parsers.recognize import assess
    from tests.hostile import blank_pdf

    for pages in (1, 40, BLANK_PAGES):
        verdict = assess(pdf.parse(blank_pdf(pages)), "某某县2023年政府信息公开工作年度报告")
        assert not verdict.is_report and "no text" in verdict.reason, (pages, verdict)
