"""Discovery judged on generated portals (tests/mockportal/generator.py), not on one mock.

A fixed set of seeds — every CMS family, pager, title, attachment and charset variant, the
column 1–4 levels deep under sections of any name — is served on loopback addresses (one a
portal) and crawled by the real ``nianbao crawl`` in one run; every report and attachment the
portals hold must be found, and nothing else taken for one. ``make fuzz-discovery N=500`` runs more seeds;
``make fuzz-discovery SEED=1234`` replays one.
"""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path

import pytest

from crawler.render import chromium_path
from crawler.scoring import STRONG, score_link
from tests.helpers import FAST, ROOT, run_cli, sites_yaml_for
from tests.mockportal import MockServer, Resource
from tests.mockportal.generator import FAMILIES, SCRIPT_MODES, crawl_seeds, generate, judge

# 0–49, and script-built lists of every kind: from a JSON API (1008); and paged only by
# rendering each page: rows inline in each page (1276), JSONP (1202), an HTML fragment (7).
SEEDS = [*range(50), 1008, 1276, 1202]


def test_the_fixed_seeds_cover_every_family_and_script_mode() -> None:
    sites = [generate(seed)[0] for seed in SEEDS]
    assert {site.family for site in sites} == set(FAMILIES)  # type: ignore[attr-defined]
    assert {site.script_mode for site in sites} - {""} == set(SCRIPT_MODES)  # type: ignore[attr-defined]


@pytest.mark.skipif(chromium_path() is None, reason="Debian's chromium is not installed (script-built lists)")
def test_generated_portals_recall_and_precision_are_one(tmp_path: Path) -> None:
    score = crawl_seeds(SEEDS, tmp_path)
    print(f"{len(SEEDS)} portals: recall {score.recall:.4f}, precision {score.precision:.4f}")
    assert not score.failures, "\n".join(score.failures)
    assert score.recall == score.precision == 1.0


def _column_behind_weak_links(seed: int) -> bool:
    """Whether the portal's way to its column starts at a weak link (set aside by discovery)."""
    site, _ = generate(seed)
    sections = site.sections  # type: ignore[attr-defined]
    return site.family in ("trs", "generic") and bool(sections) and score_link(sections[0], "/x/") < STRONG


def _reports(seed: int) -> int:
    return len(generate(seed)[1].reports)


def _frontier_state(path: Path) -> tuple[int, int]:
    """(links set aside, requests done) as committed in a site's frontier file."""
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=1)
        try:
            aside = db.execute("SELECT count(*) FROM aside").fetchone()[0]
            done = db.execute("SELECT count(*) FROM requests WHERE state = 'done'").fetchone()[0]
            return aside, done
        finally:
            db.close()
    except sqlite3.Error:
        return 0, 0


def test_a_crawl_killed_mid_discovery_resumes_with_the_links_it_set_aside(tmp_path: Path) -> None:
    """A portal whose column lies behind weak links only, and a 政务公开 section that answers
    slowly: the crawl is killed (SIGKILL) while it waits for that section, with the weak links
    set aside and the home page done. The resumed crawl must still try them and find it all."""
    # (the one with the fewest reports: the crawl then parses them, and that takes the time)
    seed = min((s for s in range(1000, 1100) if _column_behind_weak_links(s)), key=_reports)
    site, truth = generate(seed)
    reached, opened = threading.Event(), threading.Event()
    portal_answers = site.dynamic
    home = site.resources["/"]
    gate = b'<ul class="nav"><li><a href="/gate/">&#25919;&#21153;&#20844;&#24320;</a></li>'  # 政务公开
    site.resources["/"] = replace(home, body=home.body.replace(b'<ul class="nav">', gate, 1))

    def slow_section(method: str, path: str, form: bytes) -> Resource | None:
        if path.startswith("/gate/"):
            reached.set()
            opened.wait(30)
            return Resource(b'<html><body><a href="/en/">English</a></body></html>', "text/html")
        return portal_answers(method, path, form) if portal_answers else None

    site.dynamic = slow_section
    data = tmp_path / "data"
    with MockServer([site], proxy=False) as server:
        sites_file = sites_yaml_for(tmp_path / "sites.yaml", [site], server.base_url)
        command = [sys.executable, "-m", "nianbao.cli", "crawl", "--sites", str(sites_file)]
        process = subprocess.Popen(
            [*command, "--data-dir", str(data), *FAST],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            assert reached.wait(60), "the crawl never reached the slow section"
            frontier = data / "frontier" / f"{site.name}.sqlite"
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and _frontier_state(frontier)[1] == 0:
                time.sleep(0.05)
            process.send_signal(signal.SIGKILL)
        finally:
            process.wait(timeout=30)
            opened.set()
        aside, done = _frontier_state(frontier)
        assert done and aside, "killed with the home page done and links set aside (committed)"
        db = sqlite3.connect(data / "nianbao.db")
        assert db.execute("SELECT count(*) FROM fetches WHERE role = 'report'").fetchone()[0] == 0
        db.close()

        resumed = run_cli("crawl", "--sites", str(sites_file), "--data-dir", str(data), *FAST)
        assert resumed.returncode in (0, 1), resumed.stdout + resumed.stderr
        db = sqlite3.connect(data / "nianbao.db")
        try:
            score = judge(db, lambda s, path: server.base_url(s.name).rstrip("/") + path, [(site, truth)])
        finally:
            db.close()
    assert not score.failures, "\n".join(score.failures)
