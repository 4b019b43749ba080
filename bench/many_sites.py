"""Many small generated portals, each on a loopback address of its own (127.0.x.y).

Each portal is a small :mod:`bench.portal` portal (home → 信息公开 → 年报 column → one or two
year lists → report pages, some with an attachment), varied by its index; every tenth has
script-built lists (filled in the browser from a JSON answer, with a poller that never lets
the page go idle). :func:`generate` writes them under one root, one directory per address,
and returns what a crawl must find: every report page of every portal.

>>> import tempfile
>>> sites = generate(Path(tempfile.mkdtemp()), 12)
>>> [s.address for s in sites[:2]], sum(s.scripted for s in sites), all(s.reports for s in sites)
(['127.0.10.10', '127.0.10.11'], 1, True)
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from bench.portal import PortalPlan, build_portal
from bench.server import _REPO, free_port, start_nginx

SCRIPTED_EVERY = 10
_PER_OCTET = 200


@dataclass(frozen=True)
class SmallPortal:
    name: str
    address: str  # 127.0.x.y: a server of its own
    root: Path
    scripted: bool
    reports: tuple[str, ...]  # paths of its report pages

    def url(self, port: int, path: str = "/") -> str:
        return f"http://{self.address}:{port}{path}"


def address(index: int) -> str:
    """The portal's loopback address (127.0.0.x is left to everything else).

    >>> address(0), address(199), address(200)
    ('127.0.10.10', '127.0.10.209', '127.0.11.10')
    """
    return f"127.0.{10 + index // _PER_OCTET}.{10 + index % _PER_OCTET}"


def plan_for(index: int, scripted: bool, attachments: bool = True) -> PortalPlan:
    """Small and varied: one or two years, one or two list pages, two to four items a list, a
    notice between reports on some, an attachment on every third report, short report pages."""
    return PortalPlan(
        years=1 + index % 2,
        pages_per_year=1 if scripted else 1 + (index // 2) % 2,
        items_per_page=(2, 4, 3)[index % 3],
        report_every=1 + (index // 3) % 2,
        attachment_every=3 if attachments else 0,
        full_every=0,
        scripted=scripted,
    )


def generate(
    root: Path, count: int, *, scripted_every: int = SCRIPTED_EVERY, offset: int = 0, attachments: bool = True
) -> list[SmallPortal]:
    """Write ``count`` portals under ``root/<address>/``; every ``scripted_every``-th is scripted;
    ``attachments=False``: report pages only (a shorter parse stage)."""
    portals = []
    for index in range(offset, offset + count):
        scripted = scripted_every > 0 and index % scripted_every == scripted_every - 1
        where = address(index)
        portal = build_portal(root / where, plan_for(index, scripted, attachments))
        portals.append(
            SmallPortal(f"p{index:05d}", where, root / where, scripted, tuple(portal.report_paths))
        )
    return portals


def sites_file(path: Path, portals: list[SmallPortal], port: int) -> Path:
    entries = [{"name": p.name, "start_urls": [p.url(port)]} for p in portals]
    path.write_text(yaml.safe_dump(entries), encoding="utf-8")
    return path


# -- serving: one nginx listening on every portal's address --------------------------------------
_NGINX_HTTP = """\
    types {{ application/json json; }}
    access_log off;
    server {{
{listen}
        root {root}/$server_addr;
        index index.html;
        server_tokens off;
    }}"""


class AddressesServer:
    """nginx answering on ``address:port`` for every portal, from ``root/<address>/``."""

    def __init__(self, root: Path, addresses: list[str]) -> None:
        self.root = Path(root).resolve()
        self.addresses = addresses
        self.port = free_port()
        self.prefix = Path(tempfile.mkdtemp(prefix="nianbao-bench-many-"))
        self._proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> AddressesServer:
        listen = "\n".join(f"        listen {a}:{self.port};" for a in self.addresses)
        http = _NGINX_HTTP.format(listen=listen, root=self.root)
        self._proc = start_nginx(self.prefix, http, connections=4096)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise RuntimeError(f"nginx exited: {self._proc.stderr.read().decode().strip()}")  # type: ignore[union-attr]
            with contextlib.suppress(OSError), socket.create_connection((self.addresses[-1], self.port), 0.2):
                return self
            time.sleep(0.05)
        raise RuntimeError("nginx did not listen")

    def __exit__(self, *exc: object) -> None:
        if self._proc is not None:
            self._proc.send_signal(signal.SIGQUIT)
            try:
                self._proc.wait(10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        shutil.rmtree(self.prefix, ignore_errors=True)


# -- the benchmark section -------------------------------------------------------------------------
@dataclass
class ManyRun:
    sites: int
    wall_s: float
    crawl_s: float
    rss_peak_mb: float  # the nianbao process, crawl and parse stage
    rss_peak_crawl_mb: float  # while crawling
    reports_expected: int
    reports_found: int
    reports_fetched: int
    rendered: int
    statuses: dict[str, int]
    exit_code: int
    missing: list[str]  # a few report URLs not found

    @property
    def sites_per_min(self) -> float:
        return 60 * self.sites / self.crawl_s if self.crawl_s else 0.0


def _status_kb(pid: int, field_name: str) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field_name + ":"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        pass
    return 0.0


def crawl_portals(
    portals: list[SmallPortal],
    port: int,
    work: Path,
    *,
    slots: int | None = None,
    timeout_s: float = 3600,
    polite: bool = False,
) -> ManyRun:
    """One ``nianbao crawl`` of ``portals``; its peak RSS (sampled every 0.2 s) and findings.
    ``polite``: the default download delay and AutoThrottle (else both off)."""
    from bench.crawlbench import _env, end_group, nianbao_command

    work.mkdir(parents=True, exist_ok=True)
    data = work / "data"
    command = [*nianbao_command(), "crawl", "--sites", str(sites_file(work / "sites.yaml", portals, port))]
    command += ["--data-dir", str(data), "-q"]
    if not polite:
        command += ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=0"]
    if slots:
        command += ["--concurrent-sites", str(slots)]
    start = time.monotonic()
    proc = subprocess.Popen(command, cwd=_REPO, env=_env(), stdout=subprocess.DEVNULL, start_new_session=True)
    peak = peak_crawl = 0.0
    db_path = data / "nianbao.db"
    while proc.poll() is None:
        peak = max(peak, _status_kb(proc.pid, "VmHWM"))
        if _runs_finished_sites(db_path) < len(portals):
            peak_crawl = peak
        if time.monotonic() - start > timeout_s:
            end_group(proc)
            break
        time.sleep(0.2)
    proc.wait()
    wall = time.monotonic() - start
    return _findings(portals, port, db_path, wall, max(peak, peak_crawl), peak_crawl, proc.returncode)


def _runs_finished_sites(db_path: Path) -> int:
    if not db_path.exists():
        return 0
    try:
        with contextlib.closing(sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=1)) as db:
            return int(db.execute("SELECT count(*) FROM site_runs").fetchone()[0])
    except sqlite3.Error:
        return 0


def _findings(
    portals: list[SmallPortal],
    port: int,
    db_path: Path,
    wall: float,
    peak: float,
    peak_crawl: float,
    code: int,
) -> ManyRun:
    with contextlib.closing(sqlite3.connect(db_path, timeout=60)) as db:
        found = set(db.execute("SELECT url FROM reports WHERE is_report = 1").fetchall())
        fetched = set(db.execute("SELECT url FROM fetches WHERE role = 'report'").fetchall())
        started, stats = db.execute("SELECT started_at, stats FROM crawl_runs ORDER BY id DESC").fetchone()
        last_fetch = db.execute("SELECT max(fetched_at) FROM fetches").fetchone()[0]
        statuses = dict(db.execute("SELECT status, count(*) FROM site_runs GROUP BY status").fetchall())
    expected = {(p.url(port, path),) for p in portals for path in p.reports}
    crawl_s = (datetime.fromisoformat(last_fetch) - datetime.fromisoformat(started)).total_seconds()
    return ManyRun(
        sites=len(portals),
        wall_s=wall,
        crawl_s=max(crawl_s, 1.0),
        rss_peak_mb=peak,
        rss_peak_crawl_mb=peak_crawl,
        reports_expected=len(expected),
        reports_found=len(expected & found),
        reports_fetched=len(expected & fetched),
        rendered=json.loads(stats or "{}").get("rendered", 0),
        statuses=statuses,
        exit_code=code,
        missing=sorted(url for (url,) in expected - found)[:5],
    )


RSS_LIMIT_MB = 400
RSS_RATIO_LIMIT = 1.2


def many_sites_section(
    work: Path, *, few: int = 10, many: int = 1000, slots: int | None = None
) -> dict[str, Any]:
    """Section 6: ``few`` against ``many`` generated portals, each crawl in one process."""
    from bench.report import section, skipped
    from bench.server import nginx_available

    if not nginx_available():
        return skipped("many_sites", "nginx is not installed (`make bench` installs it)")
    t0 = time.monotonic()
    portals = generate(work / "portals", many)
    generated_s = time.monotonic() - t0
    with AddressesServer(work / "portals", [p.address for p in portals]) as server:
        small = crawl_portals(portals[:few], server.port, work / f"crawl-{few}", slots=slots)
        large = crawl_portals(portals, server.port, work / f"crawl-{many}", slots=slots)
    ratio = large.rss_peak_mb / small.rss_peak_mb if small.rss_peak_mb else None
    figures: dict[str, Any] = {"portals_generated_s": round(generated_s, 1), "scripted_every": SCRIPTED_EVERY}
    if small.rss_peak_crawl_mb:  # the whole process is the target; the crawl alone for comparison
        figures["rss_ratio_crawl_stage"] = round(large.rss_peak_crawl_mb / small.rss_peak_crawl_mb, 3)
    for run in (small, large):
        tag = str(run.sites)
        figures.update(
            {
                f"rss_peak_mb_{tag}": round(run.rss_peak_mb, 1),
                f"rss_peak_mb_crawl_stage_{tag}": round(run.rss_peak_crawl_mb, 1),
                f"sites_per_min_{tag}": round(run.sites_per_min, 1),
                f"crawl_s_{tag}": round(run.crawl_s, 1),
                f"wall_s_{tag}": round(run.wall_s, 1),
                f"reports_expected_{tag}": run.reports_expected,
                f"reports_found_{tag}": run.reports_found,
                f"reports_fetched_{tag}": run.reports_fetched,
                f"rendered_{tag}": run.rendered,
                f"site_statuses_{tag}": run.statuses,
                f"exit_code_{tag}": run.exit_code,
                f"missing_{tag}": run.missing,
            }
        )
    complete = all(r.reports_found == r.reports_expected for r in (small, large))
    passed = ratio is not None and large.rss_peak_mb < RSS_LIMIT_MB and ratio <= RSS_RATIO_LIMIT and complete
    return section(
        "many_sites",
        figures,
        ratio=ratio,
        ratio_of=f"peak RSS, {many} portals ÷ {few} portals (every report found: {complete})",
        target=f"peak < {RSS_LIMIT_MB} MB and ratio <= {RSS_RATIO_LIMIT}, all found",
        passed=passed,
    )


# -- choosing K: the same portals crawled with each --concurrent-sites ---------------------------
def slots_comparison(
    work: Path, *, sites: int = 150, slots: tuple[int, ...] = (2, 4, 8, 16), polite: bool = False
) -> dict[str, Any]:
    """One crawl of the same ``sites`` generated portals for each K in ``slots`` (largest
    first, so that a load that falls during the run favours the small K): sites/min and peak
    RSS, while crawling and with the parse stage."""
    from bench.report import section, skipped
    from bench.server import nginx_available

    if not nginx_available():
        return skipped("concurrent_sites", "nginx is not installed (`make bench` installs it)")
    portals = generate(work / "portals", sites)
    figures: dict[str, Any] = {"sites": sites, "polite": polite}
    figures["load_average"] = [round(x, 1) for x in os.getloadavg()]
    with AddressesServer(work / "portals", [p.address for p in portals]) as server:
        for k in sorted(slots, reverse=True):
            run = crawl_portals(portals, server.port, work / f"k{k}", slots=k, polite=polite)
            figures[f"k{k}"] = {
                "sites_per_min": round(run.sites_per_min, 1),
                "crawl_s": round(run.crawl_s, 1),
                "rss_peak_mb_crawl_stage": round(run.rss_peak_crawl_mb, 1),
                "rss_peak_mb": round(run.rss_peak_mb, 1),
                "reports_found": f"{run.reports_found} of {run.reports_expected}",
                "exit_code": run.exit_code,
            }
    return section(
        "concurrent_sites",
        figures,
        ratio=None,
        ratio_of=f"sites/min and peak RSS of one crawl of {sites} portals for K in {sorted(slots)}",
        target="(a measurement: choose the default K)",
        passed=None,
    )


def main(argv: list[str] | None = None) -> int:
    """``python -m bench.many_sites --slots 2,4,8,16 --sites 150``: the K comparison alone."""
    import argparse

    from bench.report import format_figures

    parser = argparse.ArgumentParser(prog="python -m bench.many_sites", description=main.__doc__)
    parser.add_argument("--sites", type=int, default=150, help="generated portals (default 150)")
    parser.add_argument("--slots", default="2,4,8,16", help="the values of K compared (default 2,4,8,16)")
    parser.add_argument("--polite", action="store_true", help="the default delay and AutoThrottle")
    args = parser.parse_args(argv)
    slots = tuple(map(int, args.slots.split(",")))
    with tempfile.TemporaryDirectory(prefix="nianbao-bench-slots-") as work:
        result = slots_comparison(Path(work), sites=args.sites, slots=slots, polite=args.polite)
    print(format_figures({"concurrent_sites": result}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
