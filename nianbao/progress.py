"""Live progress on a terminal: one line per site while crawling, a bar while parsing.

Nothing is shown when the output is not a terminal (cron, pipes) or with ``--quiet``.
"""

from __future__ import annotations

import sys
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)


def wanted(quiet: bool) -> bool:
    return not quiet and sys.stdout.isatty()


class CrawlProgress:
    """Polls each site's crawler stats from the reactor twice a second."""

    def __init__(self, crawlers: list[Any], console: Console | None = None) -> None:
        self.crawlers = crawlers
        self.progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        )
        self.tasks: dict[int, Any] = {}
        self.loop: Any = None

    def install(self) -> None:
        from twisted.internet import reactor, task

        def start() -> None:
            self.progress.start()
            for index in range(len(self.crawlers)):
                self.tasks[index] = self.progress.add_task("starting", total=None)
            self.loop = task.LoopingCall(self.refresh)
            self.loop.start(0.5)

        reactor.callWhenRunning(start)  # type: ignore[attr-defined]
        reactor.addSystemEventTrigger("before", "shutdown", self.stop)  # type: ignore[attr-defined]

    def refresh(self) -> None:
        for index, crawler in enumerate(self.crawlers):
            stats = crawler.stats.get_stats()
            spider = getattr(crawler, "spider", None)
            name = getattr(getattr(spider, "site", None), "name", "?")
            pages = sum(
                v for k, v in stats.items() if k.startswith("nianbao/fetches/") and "attachment" not in k
            )
            files = stats.get("nianbao/fetches/attachment", 0)
            reports = stats.get("nianbao/fetches/report", 0)
            failed = stats.get("nianbao/failed", 0)
            done = " done" if stats.get("finish_reason") else ""
            line = f"{name:<16} {pages:>6} pages {reports:>5} reports {files:>5} files {failed:>4} failed"
            self.progress.update(self.tasks[index], description=line + done)

    def stop(self) -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        self.progress.stop()


def parse_progress(console: Console | None = None) -> Progress:
    return Progress(
        TextColumn("parsing"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )
