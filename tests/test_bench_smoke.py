"""Smoke test of ``python -m bench``: the ``--quick`` bench at tiny sizes writes a complete JSON.

Real processes throughout: a generated portal served on 127.0.0.1 (nginx when installed,
else the Python fallback server), the bare Scrapy spider, two ``nianbao crawl`` runs, the
PDF comparison (when pdfplumber, a bench-only dependency, is installed), a small reparse,
a small memory crawl and 4 against 12 portals on loopback addresses. Only the shape of the
results is checked — every section with a numeric ratio, crawl figures that add up — never a
timing.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from importlib.util import find_spec
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # real crawls or CLI runs in subprocesses

ROOT = Path(__file__).resolve().parents[1]
MEMORY_PAGES = 150
TINY = [
    "--quick",
    "--pages", "40",
    "--attachments", "2",
    "--crawl-rounds", "2",
    "--memory-pages", str(MEMORY_PAGES),
    "--memory-first", "30",
    "--reparse-docs", "8",
    "--parse-files", "1",
    "--parse-repeats", "1",
    "--scan-docs", "1",
    "--scan-pages", "2,3",  # the pages of seed 001's statutory tables
    "--many-sites", "12",
    "--few-sites", "4",  # none of them scripted: no browser for the small crawl
    "--budget", "0",
]  # fmt: skip


def test_quick_bench_at_tiny_size_writes_every_section(tmp_path: Path) -> None:
    out = tmp_path / "latest.json"
    proc = subprocess.run(
        [sys.executable, "-m", "bench", *TINY, "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=420,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    results = json.loads(out.read_text("utf-8"))

    machine = results["machine"]
    assert machine["cores"] >= 1 and machine["python"] and machine["scrapy"] and machine["sqlite"]
    sections = results["sections"]
    assert list(sections) == ["crawl_overhead", "recrawl", "parse", "scan", "reparse", "memory", "many_sites"]
    with_ratio = [name for name in sections if name != "parse" or find_spec("pdfplumber")]
    for name in with_ratio:
        ratio = sections[name]["ratio"]
        assert isinstance(ratio, float) and math.isfinite(ratio) and ratio > 0, (
            name,
            sections[name],
        )
        assert isinstance(sections[name]["pass"], bool)

    overhead = sections["crawl_overhead"]["figures"]
    # Both crawlers fetched the same URLs, every page and attachment the portal holds
    # (+ robots.txt, + the first listing page of each year under two URLs).
    assert overhead["rounds"] == 2 and len(overhead["nianbao_pages_per_s_each"]) == 2
    assert min(overhead["bare_pages_per_s_each"]) <= overhead["bare_pages_per_s"]
    assert overhead["bare_pages_per_s"] <= max(overhead["bare_pages_per_s_each"])
    assert overhead["same_urls"] is True
    assert overhead["urls_missed_of_portal"] == 0
    expected = overhead["portal_pages"] + overhead["portal_attachments"] + 1
    assert overhead["nianbao_responses"] == overhead["bare_responses"]
    assert overhead["nianbao_responses"] >= expected
    recrawl = sections["recrawl"]["figures"]
    assert 0 < recrawl["second_bytes"] < recrawl["first_bytes"]
    assert recrawl["second_statuses"].get("200", 0) < recrawl["first_statuses"]["200"]
    assert sections["reparse"]["figures"]["db_after"]["documents"] >= 8
    many = sections["many_sites"]["figures"]
    assert many["site_statuses_12"] == {"ok": 12} and many["site_statuses_4"] == {"ok": 4}
    assert many["reports_found_12"] == many["reports_expected_12"] > 0
    memory = sections["memory"]["figures"]
    assert memory["pages_reached"] >= MEMORY_PAGES, {k: v for k, v in memory.items() if k != "rss_curve"}
