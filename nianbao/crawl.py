"""Run a crawl of some sites in this process, then parse what it brought.

One Scrapy crawler per site (so per-site politeness and per-site health come for free), at
most ``concurrent_sites`` of them at once, started one after another by the site pool
(crawler/pool.py) in one ``CrawlerProcess``; the archive, the crawl run and the browser are
shared. A finished site leaves its health and problems in SQLite and its counters in the
run's totals; its crawler is dropped.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings
from scrapy.utils.defer import deferred_from_coro
from scrapy.utils.reactor import install_reactor

from archive import Archive
from crawler.pool import (
    DEFAULT_CONCURRENT_SITES,
    DEFAULT_SITE_TIMEOUT_S,
    LocalSiteSource,
    SitePool,
    SiteSource,
)
from crawler.render import close_shared_browser
from crawler.sites import Site
from crawler.spiders.annual_reports import AnnualReportsSpider
from nianbao.outcome import (
    RUN_END,
    close_run,
    disk_reserve,
    is_machine_fault,
    machine_fault,
    run_crawler_process,
    unless_stopped,
)
from nianbao.parse import parse_archive

REPLAY_HANDLER = "crawler.middlewares.cassette.WarcReplayDownloadHandler"


@dataclass
class CrawlResult:
    run_id: int
    exit_code: int
    stats: dict[str, Any]


def project_settings(overrides: dict[str, str] | None = None) -> Settings:
    """``crawler/settings.py`` with ``-s NAME=VALUE`` overrides on top."""
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    settings.setdict(overrides or {}, priority="cmdline")
    return settings


def crawl_settings(
    archive: Archive,
    run_id: int,
    *,
    replay: list[str],
    record: str | None,
    overrides: dict[str, str],
    verbose: bool = False,
) -> Settings:
    settings = project_settings()
    settings.set("NIANBAO_DATA_DIR", str(archive.data_dir), priority="cmdline")
    settings.set("NIANBAO_RUN_ID", run_id, priority="cmdline")
    settings.set("LOG_LEVEL", "INFO" if verbose else "WARNING", priority="cmdline")
    if replay:
        settings.set("NIANBAO_REPLAY", list(replay), priority="cmdline")
        # Every scheme goes to the cassette or nowhere: replay cannot reach the network.
        handlers = {"http": REPLAY_HANDLER, "https": REPLAY_HANDLER, "ftp": None, "s3": None}
        settings.set("DOWNLOAD_HANDLERS", handlers, priority="cmdline")
        # Nobody to be polite to when answering from a file.
        settings.set("DOWNLOAD_DELAY", 0, priority="cmdline")
        settings.set("AUTOTHROTTLE_ENABLED", False, priority="cmdline")
    if record:
        settings.set("NIANBAO_RECORD", record, priority="cmdline")
    settings.setdict(overrides, priority="cmdline")  # last: an operator's -s wins
    return settings


def run_crawl(
    archive: Archive,
    sites: list[Site],
    *,
    replay: list[str] | None = None,
    record: str | None = None,
    overrides: dict[str, str] | None = None,
    verbose: bool = False,
    show_progress: bool = False,
    concurrent_sites: int = DEFAULT_CONCURRENT_SITES,
    site_timeout: float = DEFAULT_SITE_TIMEOUT_S,
    source: SiteSource | None = None,
) -> CrawlResult:
    mode = "replay" if replay else "record" if record else "live"
    overrides = overrides or {}
    run_id = archive.start_run(  # what is sent is what is recorded: an operator's USER_AGENT too
        "crawl",
        mode=mode,
        sites=[s.name for s in sites],
        user_agent=project_settings(overrides).get("USER_AGENT"),
        contact=overrides.get("NIANBAO_CONTACT"),
    )
    settings = crawl_settings(
        archive, run_id, replay=replay or [], record=record, overrides=overrides, verbose=verbose
    )
    settings.set("NIANBAO_SITE_TIMEOUT", site_timeout, priority="cmdline")
    with disk_reserve(archive.data_dir):
        pool = _run_pool(
            settings,
            source or LocalSiteSource(sites),
            slots=concurrent_sites,
            site_timeout=site_timeout,
            show_progress=show_progress,
        )
    stats: dict[str, Any] = pool.totals.as_stats()
    stats["crawlers_not_freed"] = pool.crawlers_not_freed()
    if RUN_END.signum is None and RUN_END.fault is None:  # stopped early: the next run parses
        names = [s.name for s in sites]
        summary = unless_stopped(lambda: parse_archive(archive, run_id=run_id, only_new=True, sites=names))
        if summary is not None:
            stats.update(reports_parsed=summary.reports, metrics=summary.metrics)
    exit_code = close_run(archive, run_id, stats)  # signals and machine faults: nianbao/outcome.py
    return CrawlResult(run_id=run_id, exit_code=int(exit_code), stats=stats)


def _run_pool(
    settings: Settings, source: SiteSource, *, slots: int, site_timeout: float, show_progress: bool
) -> SitePool:
    """Run every site of ``source`` through a pool in one reactor; returns the finished pool."""
    from nianbao.progress import route_logging

    # Our own log handler: through the live display's console when there is one, so log
    # lines never tear it.
    settings.set("LOG_INSTALL_ROOT_HANDLER", False, priority="cmdline")
    progress = None
    if show_progress:
        from nianbao.progress import CrawlProgress

        progress = CrawlProgress()
    # Before the process exists: it logs its start-up (versions …) at INFO through whatever
    # handler is there, and -q must print nothing of that.
    route_logging(settings, progress.console if progress else None)
    process = _PoolProcess(settings)

    def stop() -> None:
        deferred = deferred_from_coro(close_shared_browser())
        deferred.addBoth(lambda _: process._stop_reactor())

    pool = SitePool(
        process,
        AnnualReportsSpider,
        source,
        slots=slots,
        site_timeout=site_timeout,
        on_idle=stop,
        stops_the_run=_machine_fault_stops_the_run,
    )
    process.pool = pool
    # Crawlers are made while the reactor runs: it must be installed before.
    install_reactor(settings["TWISTED_REACTOR"], settings["ASYNCIO_EVENT_LOOP"])
    process._initialized_reactor = True
    from twisted.internet import reactor

    reactor.callWhenRunning(pool.start)  # type: ignore[attr-defined]
    if progress is not None:
        progress.install(pool)
    run_crawler_process(process, stop_after_crawl=False)
    logging.getLogger(__name__).info("pool finished: %s", pool.totals.as_stats())
    return pool


def _machine_fault_stops_the_run(exc: BaseException) -> bool:
    """A site's crawl failed: a disk that is full or a database that cannot be written stops
    the whole run (exit 3, nianbao/outcome.py); anything else is that site's failure."""
    if not is_machine_fault(exc):
        return False
    machine_fault(exc)
    return True


class _PoolProcess(CrawlerProcess):
    """A ``CrawlerProcess`` whose shutdown (Ctrl-C, SIGTERM) also stops the pool starting sites."""

    pool: SitePool | None = None

    def stop(self) -> Any:
        # Scrapy's own shutdown path and nianbao/outcome.py's signal handler both come here.
        if self.pool is not None:
            self.pool.stop_starting()
        return super().stop()
