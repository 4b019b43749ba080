"""Live progress on a terminal: run totals and the active sites while crawling, a bar while parsing.

Nothing is shown when the output is not a terminal (cron, pipes) or with ``--quiet``. While
the display is live, log records go through its console (:func:`route_logging`), so a log
line is printed above the display instead of tearing it.
"""

from __future__ import annotations

import logging
import sys
import time
from typing import Any

from rich.console import Console, Group
from rich.live import Live
from rich.logging import RichHandler
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from vocabulary import PAGE_ROLES

ACTIVE_ROWS = 12  # active sites listed, the longest-running first
STRAGGLER_FACTOR = 3.0  # an active site running this many times the median site is a straggler


def wanted(quiet: bool) -> bool:
    return not quiet and sys.stdout.isatty()


def route_logging(settings: Any, console: Console | None) -> None:
    """One root log handler at the crawl's ``LOG_LEVEL``: through ``console`` (the live
    display's) when given, else Scrapy's usual stderr handler."""
    from scrapy.utils.log import TopLevelFormatter, _get_handler

    root = logging.getLogger()
    for handler in list(root.handlers):  # any other handler would write past the display
        root.removeHandler(handler)
    if console is None:
        handler = _get_handler(settings)
    else:
        handler = RichHandler(console=console, show_path=False, markup=False, rich_tracebacks=False)
        handler.setLevel(settings.get("LOG_LEVEL"))
        handler.addFilter(TopLevelFormatter(["scrapy"]))
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if settings.get("LOG_LEVEL") == "DEBUG" else logging.INFO)


class CrawlProgress:
    """Redraws the run's totals and its active sites from the site pool twice a second."""

    def __init__(self, console: Console | None = None) -> None:
        self.console = console or Console()
        self.live = Live(console=self.console, transient=True, auto_refresh=False)
        self.pool: Any = None
        self.loop: Any = None

    def install(self, pool: Any) -> None:
        from twisted.internet import reactor, task

        self.pool = pool

        def start() -> None:
            self.live.start()
            self.loop = task.LoopingCall(self.refresh)
            self.loop.start(0.5)

        reactor.callWhenRunning(start)  # type: ignore[attr-defined]
        reactor.addSystemEventTrigger("before", "shutdown", self.stop)  # type: ignore[attr-defined]

    def refresh(self) -> None:
        self.live.update(self.render(), refresh=True)

    def render(self) -> Group:
        from crawler.render import render_load  # not at import: the other commands need no Scrapy

        pool, now = self.pool, time.monotonic()
        totals = pool.totals
        pages, files, reports = totals.pages, totals.files, totals.reports
        rows = []
        for entry in sorted(pool.active.values(), key=lambda e: e.started):
            stats = entry.stats
            site_pages = sum(stats.get(f"nianbao/fetches/{role}", 0) for role in PAGE_ROLES)
            site_files = stats.get("nianbao/fetches/attachment", 0)
            site_reports = stats.get("nianbao/fetches/report", 0)
            pages, files, reports = pages + site_pages, files + site_files, reports + site_reports
            rows.append((entry.site.name, now - entry.started, site_pages, site_reports, site_files))
        elapsed = max(now - pool.started, 1e-6)
        queued = pool.queued()
        left = _time_left(totals.sites_done, len(pool.active), queued, elapsed)
        open_pages, render_queue = render_load()
        head = Text(
            f"sites {totals.sites_done} done · {len(pool.active)} active · "
            f"{queued if queued is not None else '?'} queued   "
            f"pages {pages}  files {files}  reports {reports}   "
            f"{pages / elapsed:.1f} pages/s  {60 * totals.sites_done / elapsed:.1f} sites/min   "
            f"elapsed {_clock(elapsed)}  left {left}   browser {open_pages} open / {render_queue} queued"
        )
        typical = pool.median_site_seconds()
        table = Table("site", "running", "pages", "reports", "files", "", box=None, pad_edge=False)
        for name, running, site_pages, site_reports, site_files in rows[:ACTIVE_ROWS]:
            straggler = typical is not None and running > STRAGGLER_FACTOR * max(typical, 1.0)
            table.add_row(
                name,
                _clock(running),
                str(site_pages),
                str(site_reports),
                str(site_files),
                "straggler" if straggler else "",
            )
        return Group(head, table)

    def stop(self) -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        self.live.stop()


def _clock(seconds: float) -> str:
    """
    >>> _clock(3725)
    '1:02:05'
    """
    seconds = int(seconds)
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def _time_left(done: int, active: int, queued: int | None, elapsed: float) -> str:
    """At the rate sites have finished so far.

    >>> _time_left(10, 5, 15, 100.0), _time_left(0, 5, 15, 100.0)
    ('0:03:20', '?')
    """
    if not done or queued is None:
        return "?"
    return _clock((queued + active) * elapsed / done)


def parse_progress(console: Console | None = None) -> Progress:
    return Progress(
        TextColumn("parsing"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )
