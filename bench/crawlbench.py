"""Crawl benchmarks: overhead against bare Scrapy, recrawl, and memory on a large portal.

Every crawl is a real process crawling a generated portal (:mod:`bench.portal`) served by
:class:`bench.server.StaticServer` on 127.0.0.1: ``nianbao crawl`` exactly as a user runs it
(archive and database on), and the bare spider of :mod:`bench.bare_spider`. Both get the
same settings (politeness off, 16 requests in flight, robots.txt obeyed, no depth limit:
the column's pagination is deeper than the default ``DEPTH_LIMIT``).

The crawl rate is Scrapy's own: responses / ``elapsed_time_seconds`` from the stats each
crawler dumps when it closes (spider open to spider close; not process start-up, not
nianbao's parse stage, which is timed separately). Bytes are what the web server logged
as sent, headers included.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from archive import db_path
from bench import profile
from bench.portal import Portal, PortalPlan, build_portal, plan_for_pages
from bench.report import section
from bench.server import Request, StaticServer

ROOT = Path(__file__).resolve().parents[1]
CRAWL_SETTINGS = {
    "DOWNLOAD_DELAY": "0",
    "AUTOTHROTTLE_ENABLED": "0",
    "CONCURRENT_REQUESTS": "16",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "16",
    "ROBOTSTXT_OBEY": "True",
    "DEPTH_LIMIT": "0",
    # The synthetic portals are far bigger than any real 年报 column: no budget, no trap bound.
    "NIANBAO_MAX_REQUESTS_PER_SITE": "0",
    "NIANBAO_TRAP_CHAIN": "0",
}
OVERHEAD_TARGET = 0.8  # nianbao pages/s ÷ bare Scrapy pages/s
RECRAWL_TARGET = 0.05  # second crawl bytes ÷ first crawl bytes
MEMORY_LIMIT_MB = 400
MEMORY_GROWTH_LIMIT = 1.2  # peak at the end ÷ peak at the first sample point
_STAT = re.compile(r"'(elapsed_time_seconds|downloader/response_count|memusage/max)': ([\d.]+)")


def settings_args() -> list[str]:
    return [arg for name, value in CRAWL_SETTINGS.items() for arg in ("-s", f"{name}={value}")]


def nianbao_command() -> list[str]:
    """``nianbao`` as installed (the console script next to this Python), else via -c."""
    script = Path(sys.executable).parent / "nianbao"
    if script.is_file():
        return [str(script)]
    return [sys.executable, "-c", "import sys; from nianbao.cli import main; sys.exit(main())"]


@dataclass
class Sample:
    t: float  # seconds since the process started
    rss_mb: float  # the crawl process
    children_mb: float  # its descendants (parse workers)
    fetches: int


@dataclass
class CrawlRun:
    wall_s: float
    crawl_s: float | None  # Scrapy's elapsed_time_seconds
    responses: int | None
    exit_code: int
    after_crawl_s: float | None = None  # spider closed → process exit (nianbao's parse stage)
    scrapy_memusage_mb: float | None = None
    requests: list[Request] = field(default_factory=list)
    samples: list[Sample] = field(default_factory=list)
    closed_at: float | None = None  # seconds since start when the spider closed
    interrupted: bool = False
    output_tail: str = ""

    @property
    def rate(self) -> float | None:
        if not self.crawl_s or not self.responses:
            return None
        return self.responses / self.crawl_s

    @property
    def bytes_sent(self) -> int:
        return sum(r.bytes for r in self.requests)

    def statuses(self) -> dict[str, int]:
        return {str(k): v for k, v in sorted(Counter(r.status for r in self.requests).items())}


# -- processes --------------------------------------------------------------------------------
def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k.lower() not in ("http_proxy", "https_proxy")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def _rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        pass
    return 0.0


def _descendants(pid: int) -> list[int]:
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        parents.setdefault(ppid, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _fetch_count(database: Path, *, final: bool = False) -> int:
    """Fetches in the archive so far. While the crawl runs, a read-only peek that gives 0 when
    the database is busy; ``final`` (the crawl has ended) waits for it and lets SQLite recover
    a WAL the crawl left behind, and raises rather than undercount."""
    if not database.exists():
        return 0
    uri = f"file:{database}" if final else f"file:{database}?mode=ro"
    try:
        db = sqlite3.connect(uri, uri=True, timeout=60 if final else 1)
        with contextlib.closing(db):
            row = db.execute("SELECT max(id) FROM fetches").fetchone()
    except sqlite3.Error:
        if final:
            raise
        return 0
    return int(row[0] or 0)


def run_nianbao_crawl(
    server: StaticServer,
    work: Path,
    data_dir: Path,
    *,
    monitor: bool = False,
    deadline: float | None = None,
    hard_deadline: float | None = None,
    interval: float = 0.2,
    wrap: list[str] | None = None,
) -> CrawlRun:
    """``nianbao crawl`` of the served portal into ``data_dir``; ``monitor`` samples memory
    and fetch counts. Past ``deadline`` (``time.monotonic()``) the crawl is asked to stop
    (SIGINT: Scrapy closes the spider; the parse stage still runs); past ``hard_deadline``
    the process and its parse workers are ended. ``wrap``: a prefix for the command (a
    profiler)."""
    sites = work / "sites.yaml"
    sites.write_text(yaml.safe_dump([{"name": "bench", "start_urls": [server.base_url]}]), "utf-8")
    command = [
        *(wrap or []),
        *nianbao_command(),
        "crawl",
        "--sites",
        str(sites),
        "--data-dir",
        str(data_dir),
        "-v",
        *settings_args(),
    ]
    mark = server.mark()
    start = time.monotonic()
    proc = subprocess.Popen(
        command,
        cwd=ROOT,
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group: the parse workers can be ended too
    )
    log = _LogReader(proc)
    samples: list[Sample] = []
    interrupted = False
    while proc.poll() is None:
        if monitor:
            children = _descendants(proc.pid)
            samples.append(
                Sample(
                    t=time.monotonic() - start,
                    rss_mb=_rss_mb(proc.pid),
                    children_mb=sum(_rss_mb(c) for c in children),
                    fetches=_fetch_count(db_path(data_dir)),
                )
            )
        overdue = deadline is not None and time.monotonic() > deadline
        if overdue and not interrupted and log.closed_at is None:
            proc.send_signal(signal.SIGINT)
            interrupted = True
        if hard_deadline is not None and time.monotonic() > hard_deadline:
            end_group(proc)
            break
        time.sleep(interval if monitor else 0.1)
    proc.wait()
    wall = time.monotonic() - start
    log.join()
    stats = log.stats()
    closed = log.closed_at - start if log.closed_at else None
    return CrawlRun(
        wall_s=wall,
        crawl_s=stats.get("elapsed_time_seconds"),
        responses=_int(stats.get("downloader/response_count")),
        exit_code=proc.returncode,
        after_crawl_s=wall - closed if closed is not None else None,
        scrapy_memusage_mb=(stats["memusage/max"] / 2**20) if "memusage/max" in stats else None,
        requests=server.requests_since(mark),
        samples=samples,
        closed_at=closed,
        interrupted=interrupted,
        output_tail=log.tail(),
    )


def end_group(proc: subprocess.Popen[Any]) -> None:
    """End a process started with ``start_new_session`` and everything it started."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        try:
            proc.wait(10)
            return
        except subprocess.TimeoutExpired:
            continue


def run_bare_crawl(server: StaticServer, work: Path, portal: Portal) -> CrawlRun:
    paths = work / "paths.txt"
    paths.write_text("\n".join(sorted(portal.urls)), "utf-8")
    out = work / "bare-stats.json"
    command = [
        sys.executable,
        "-m",
        "bench.bare_spider",
        server.base_url,
        str(paths),
        str(out),
        *settings_args(),
    ]
    mark = server.mark()
    start = time.monotonic()
    proc = subprocess.run(command, cwd=ROOT, env=_env(), capture_output=True, text=True)
    wall = time.monotonic() - start
    stats: dict[str, Any] = json.loads(out.read_text("utf-8")) if out.exists() else {}
    return CrawlRun(
        wall_s=wall,
        crawl_s=stats.get("elapsed_time_seconds"),
        responses=_int(stats.get("downloader/response_count")),
        exit_code=proc.returncode,
        requests=server.requests_since(mark),
        output_tail=proc.stderr[-2000:],
    )


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


class _LogReader:
    """Drains a crawl's stdout and stderr; notes when the spider closed and Scrapy's stats."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.closed_at: float | None = None
        self.err: list[str] = []
        self.out: list[str] = []
        self.threads = [
            threading.Thread(target=self._read, args=(proc.stderr, self.err, True), daemon=True),
            threading.Thread(target=self._read, args=(proc.stdout, self.out, False), daemon=True),
        ]
        for thread in self.threads:
            thread.start()

    def _read(self, stream: Any, lines: list[str], watch: bool) -> None:
        for line in stream:
            if watch and self.closed_at is None and "Spider closed" in line:
                self.closed_at = time.monotonic()
            lines.append(line)

    def join(self) -> None:
        for thread in self.threads:
            thread.join(10)

    def stats(self) -> dict[str, float]:
        found: dict[str, float] = {}
        for line in self.err:
            for name, value in _STAT.findall(line):
                found[name] = float(value)
        return found

    def tail(self) -> str:
        return ("".join(self.out[-15:]) + "".join(self.err[-15:]))[-3000:]


# -- sections ---------------------------------------------------------------------------------
def overhead_and_recrawl(
    work: Path,
    *,
    pages: int,
    attachments: int,
    rounds: int = 1,
    server_kind: str = "auto",
    profile: Path | None = None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Sections 1 and 2: one portal; ``rounds`` of a bare crawl then a first nianbao crawl
    (each into a fresh archive), interleaved so that both see the same machine; then a
    second nianbao crawl of the last archive. One pair of 20-second crawls varies by ±15 %
    on a 2-core machine: the ratio is of the medians. ``profile``: where to keep the raw
    samples of one more first crawl under py-spy (not timed); its hot spots go in the figures."""
    plan = overhead_plan(pages, attachments)
    t0 = time.monotonic()
    portal = build_portal(work / "portal", plan)
    generated_s = time.monotonic() - t0
    bares: list[CrawlRun] = []
    firsts: list[CrawlRun] = []
    hot: dict[str, Any] | None = None
    with StaticServer(portal.root, prefer=server_kind) as server:
        for n in range(max(1, rounds)):
            bares.append(run_bare_crawl(server, work, portal))
            firsts.append(run_nianbao_crawl(server, work, work / f"data-{n}"))
        second = run_nianbao_crawl(server, work, work / f"data-{len(firsts) - 1}")
        if profile is not None:
            hot = profile_crawl(server, work, work / "data-profiled", raw=profile)
        kind = server.kind
    overhead = _overhead_section(portal, generated_s, kind, bares, firsts)
    if hot is not None:
        overhead["figures"]["profile"] = hot
    return overhead, _recrawl_section(firsts[-1], second)


def profile_crawl(server: StaticServer, work: Path, data_dir: Path, *, raw: Path) -> dict[str, Any]:
    """A first crawl under py-spy, its samples in ``raw``: where nianbao's time goes (see
    :mod:`bench.profile`)."""
    raw.parent.mkdir(parents=True, exist_ok=True)
    wrap = profile.record_command(raw)
    if wrap is None:
        return {"error": "py-spy not installed (pip install -e '.[bench]')"}
    run = run_nianbao_crawl(server, work, data_dir, wrap=wrap)
    if not raw.exists():
        return {"error": f"py-spy wrote no profile: {run.output_tail[-500:]}"}
    with raw.open(encoding="utf-8", errors="replace") as lines:
        summary = profile.summarize(lines, own_root=str(ROOT))
    return {"crawl_s_under_profiler": _round(run.crawl_s), "raw": str(raw), **summary}


def overhead_plan(pages: int, attachments: int) -> PortalPlan:
    """Deep pagination: mostly listing pages, one report per attachment among notices.

    >>> p = overhead_plan(5000, 500)
    >>> p.listing_pages, p.listing_pages * p.items_per_page // p.report_every
    (4500, 500)
    """
    listings = max(1, pages - attachments)
    report_every = max(1, round(listings * 10 / max(1, attachments)))
    return plan_for_pages(pages, items_per_page=10, report_every=report_every, attachment_every=1)


def _portal_figures(portal: Portal, generated_s: float, kind: str) -> dict[str, Any]:
    return {
        "portal_pages": portal.pages,
        "portal_attachments": portal.attachments,
        "portal_reports": portal.reports,
        "portal_listing_pages": portal.plan.listing_pages,
        "portal_mb": round(portal.bytes / 2**20, 1),
        "portal_generated_s": round(generated_s, 1),
        "server": kind,
    }


def _overhead_section(
    portal: Portal, generated_s: float, kind: str, bares: list[CrawlRun], firsts: list[CrawlRun]
) -> dict[str, Any]:
    bare, first = bares[-1], firsts[-1]  # URL sets and counts: every round fetches the same
    bare_urls = {r.path for r in bare.requests}
    nianbao_urls = {r.path for r in first.requests}
    bare_rate = _median([r.rate for r in bares])
    nianbao_rate = _median([r.rate for r in firsts])
    figures = {
        **_portal_figures(portal, generated_s, kind),
        "rounds": len(firsts),
        "bare_responses": bare.responses,
        "bare_crawl_s": [_round(r.crawl_s) for r in bares],
        "bare_pages_per_s_each": [_round(r.rate) for r in bares],
        "bare_pages_per_s": _round(bare_rate),
        "nianbao_responses": first.responses,
        "nianbao_crawl_s": [_round(r.crawl_s) for r in firsts],
        "nianbao_pages_per_s_each": [_round(r.rate) for r in firsts],
        "nianbao_pages_per_s": _round(nianbao_rate),
        "nianbao_parse_stage_s": _round(first.after_crawl_s),
        "nianbao_wall_s": _round(first.wall_s),
        "nianbao_exit_code": first.exit_code,
        "same_urls": bare_urls == nianbao_urls,
        "urls_only_bare": len(bare_urls - nianbao_urls),
        "urls_only_nianbao": len(nianbao_urls - bare_urls),
        "urls_missed_of_portal": len(portal.urls - nianbao_urls),
        "settings": CRAWL_SETTINGS,
    }
    ratio = nianbao_rate / bare_rate if nianbao_rate and bare_rate else None
    notes = []
    if not figures["same_urls"]:
        notes.append("the two crawlers did not fetch the same URLs: compare with care")
    if any(r.responses != bare.responses for r in [*bares, *firsts]):
        notes.append("the rounds did not all fetch the same number of responses")
    failed = [r for r in firsts if r.exit_code not in (0, 1)] + [r for r in bares if r.exit_code]
    if failed:
        notes.append(f"crawl failed: {failed[0].output_tail[-500:]}")
    return section(
        "crawl_overhead",
        figures,
        ratio=ratio,
        ratio_of="nianbao pages/s ÷ bare Scrapy pages/s (medians)",
        target=f">= {OVERHEAD_TARGET}",
        passed=None if ratio is None else ratio >= OVERHEAD_TARGET,
        notes=notes,
    )


def _median(values: list[float | None]) -> float | None:
    known = sorted(v for v in values if v is not None)
    if not known:
        return None
    middle = len(known) // 2
    return known[middle] if len(known) % 2 else (known[middle - 1] + known[middle]) / 2


def _recrawl_section(first: CrawlRun, second: CrawlRun) -> dict[str, Any]:
    figures = {
        "first_bytes": first.bytes_sent,
        "second_bytes": second.bytes_sent,
        "first_requests": len(first.requests),
        "second_requests": len(second.requests),
        "first_statuses": first.statuses(),
        "second_statuses": second.statuses(),
        "first_wall_s": _round(first.wall_s),
        "second_wall_s": _round(second.wall_s),
        "first_crawl_s": _round(first.crawl_s),
        "second_crawl_s": _round(second.crawl_s),
        "time_ratio_wall": _round(second.wall_s / first.wall_s, 3),
        "time_ratio_crawl": _round(second.crawl_s / first.crawl_s, 3)
        if first.crawl_s and second.crawl_s
        else None,
        "second_exit_code": second.exit_code,
    }
    ratio = second.bytes_sent / first.bytes_sent if first.bytes_sent else None
    return section(
        "recrawl",
        figures,
        ratio=ratio,
        ratio_of="second crawl bytes ÷ first crawl bytes (sent by the server)",
        target=f"<= {RECRAWL_TARGET}",
        passed=None if ratio is None else ratio <= RECRAWL_TARGET,
    )


def memory(
    work: Path,
    *,
    pages: int,
    first_point: int,
    deadline: float | None,
    hard_deadline: float | None = None,
    server_kind: str = "auto",
) -> dict[str, Any]:
    """Section 5: peak RSS of a nianbao crawl of a ``pages``-page portal, at ``first_point``
    pages and at the end of the crawl."""
    # Few (short) reports: the parse stage after the crawl stays short.
    plan = plan_for_pages(pages, items_per_page=10, report_every=500, attachment_every=0)
    t0 = time.monotonic()
    portal = build_portal(work / "portal", plan)
    generated_s = time.monotonic() - t0
    with StaticServer(portal.root, prefer=server_kind) as server:
        run = run_nianbao_crawl(
            server,
            work,
            work / "data",
            monitor=True,
            deadline=deadline,
            hard_deadline=hard_deadline,
        )
        kind = server.kind
    crawl = [s for s in run.samples if run.closed_at is None or s.t <= run.closed_at]
    # The crawl's last pages may fall after the last sample (a fast crawl of a small portal);
    # the archive counts them all (the parse stage after it fetches nothing).
    final_count = _fetch_count(db_path(work / "data"), final=True)
    reached = max(max((s.fetches for s in crawl), default=0), final_count)
    notes = []
    if reached < 2 * first_point:
        # The budget ended the crawl early: compare with an earlier point instead.
        notes.append(f"only {reached} pages crawled, < 2 × {first_point}: first point lowered")
        first_point = max(1, reached // 5)
    at_first = _peak_until(crawl, first_point)
    sampled = max((s.fetches for s in crawl), default=0)
    if at_first is None and sampled:
        # A crawl faster than the sampling: no sample fell past the first point.
        notes.append(f"no sample at {first_point} pages: first point lowered to {sampled}")
        first_point = sampled
        at_first = _peak_until(crawl, first_point)
    at_end = max((s.rss_mb for s in crawl), default=0.0)
    figures = {
        **_portal_figures(portal, generated_s, kind),
        "pages_reached": reached,
        "crawl_s": _round(run.crawl_s),
        "pages_per_s": _round(run.rate),
        "interrupted_at_time_budget": run.interrupted,
        "first_point": first_point,
        "rss_peak_mb_at_first_point": _round(at_first),
        "rss_peak_mb_at_end": _round(at_end),
        "rss_peak_mb_incl_parse_stage": _round(max((s.rss_mb for s in run.samples), default=0.0)),
        "parse_workers_peak_mb": _round(max((s.children_mb for s in run.samples), default=0.0)),
        "scrapy_memusage_max_mb": _round(run.scrapy_memusage_mb),
        "rss_curve": _curve(crawl),
        "exit_code": run.exit_code,
    }
    ratio = at_end / at_first if at_first else None
    passed = None
    if ratio is not None:
        passed = at_end < MEMORY_LIMIT_MB and ratio <= MEMORY_GROWTH_LIMIT
    if run.interrupted:
        notes.append(f"time budget reached: crawl stopped at {reached} of ~{portal.pages} pages")
    return section(
        "memory",
        figures,
        ratio=ratio,
        ratio_of=f"peak RSS at end ({reached} pages) ÷ at {first_point} pages",
        target=f"peak < {MEMORY_LIMIT_MB} MB and ratio <= {MEMORY_GROWTH_LIMIT}",
        passed=passed,
        notes=notes,
    )


def _peak_until(samples: list[Sample], pages: int) -> float | None:
    """The running peak RSS at the first sample that had ``pages`` fetches (None if never)."""
    peak = 0.0
    for s in samples:
        peak = max(peak, s.rss_mb)
        if s.fetches >= pages:
            return peak
    return None


def _curve(samples: list[Sample], points: int = 12) -> list[list[float]]:
    """[fetches, RSS MB] at about ``points`` evenly spaced samples."""
    if not samples:
        return []
    step = max(1, len(samples) // points)
    picked = samples[::step] + ([samples[-1]] if (len(samples) - 1) % step else [])
    return [[s.fetches, round(s.rss_mb, 1)] for s in picked]


def _round(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)
