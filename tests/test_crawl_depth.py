"""Depth limits count steps into a site, not pages of a list: a long paged column is crawled
to its last report with the default ``DEPTH_LIMIT``, and a runaway pager is still bounded.

The portal is the benchmark's generator (bench/portal.py) at a small size: one year column
of 120 pages, each linking only ten page numbers around itself (plus 首页 / 尾页), so the
middle pages lie a dozen page hops from either end — deeper than ``DEPTH_LIMIT = 12`` if
every page counted as a level. Served by a real web server on 127.0.0.1.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from archive import db_path
from bench.portal import PortalPlan, build_portal
from bench.server import StaticServer
from tests.helpers import FAST, run_cli

pytestmark = pytest.mark.slow  # real crawls or CLI runs in subprocesses

# Every 4th item a report (the others notices, never followed): the pager is as deep, the crawl
# fetches and parses a quarter as many reports.
PLAN = PortalPlan(
    years=1, pages_per_year=120, items_per_page=1, report_every=4, attachment_every=4, full_every=0
)


def _crawl(server: StaticServer, tmp: Path, *settings: str) -> set[str]:
    sites = tmp / "sites.yaml"
    sites.write_text(yaml.safe_dump([{"name": "deep", "start_urls": [server.base_url]}]), "utf-8")
    data = tmp / "data"
    done = run_cli("crawl", "--sites", str(sites), "--data-dir", str(data), *FAST, *settings)
    assert done.returncode == 0, done.stdout + done.stderr
    db = sqlite3.connect(db_path(data))
    return {urlsplit(url).path for (url,) in db.execute("SELECT url FROM fetches")}


def test_a_long_paged_column_is_crawled_to_its_last_report(tmp_path: Path) -> None:
    portal = build_portal(tmp_path / "portal", PLAN)
    with StaticServer(portal.root) as server:
        fetched = _crawl(server, tmp_path)
    assert portal.reports == 30 and portal.attachments == 8  # the last report on page 116 of 120
    assert portal.urls - fetched == set()  # every listing page, report and attachment


def test_a_chain_of_further_pages_is_bounded_by_the_page_hops_limit(tmp_path: Path) -> None:
    portal = build_portal(tmp_path / "portal", PLAN)
    with StaticServer(portal.root) as server:
        fetched = _crawl(server, tmp_path, "-s", "NIANBAO_PAGE_HOPS_LIMIT=2")
    pages = {path for path in portal.urls if "/index" in path or path.endswith("/2024/")}
    # Two hops from each end of the pager: the first ~15 and last ~20 pages, not the middle.
    assert "/zwgk/zfxxgknb/2024/index_119.html" in fetched
    assert "/zwgk/zfxxgknb/2024/index_60.html" not in fetched
    assert 10 < len(pages & fetched) < 60
