"""Run a crawl of some sites in this process, then parse what it brought.

One Scrapy crawler per site, all in one ``CrawlerProcess`` (so per-site politeness and
per-site health come for free); the archive and the crawl run are shared.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

from archive import Archive
from crawler.sites import Site
from crawler.spiders.annual_reports import AnnualReportsSpider
from nianbao.outcome import close_run, disk_reserve, run_crawler_process, unless_stopped
from nianbao.parse import parse_archive

REPLAY_HANDLER = "crawler.middlewares.cassette.WarcReplayDownloadHandler"


@dataclass
class CrawlResult:
    run_id: int
    exit_code: int
    stats: dict[str, Any]


def crawl_settings(
    archive: Archive,
    run_id: int,
    *,
    replay: list[str],
    record: str | None,
    overrides: dict[str, str],
    verbose: bool = False,
) -> Settings:
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
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
    for name, value in overrides.items():
        settings.set(name, value, priority="cmdline")
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
) -> CrawlResult:
    mode = "replay" if replay else "record" if record else "live"
    settings_probe = Settings()
    settings_probe.setmodule("crawler.settings")
    overrides = overrides or {}
    run_id = archive.start_run(  # what is sent is what is recorded: an operator's USER_AGENT too
        "crawl",
        mode=mode,
        sites=[s.name for s in sites],
        user_agent=overrides.get("USER_AGENT") or settings_probe.get("USER_AGENT"),
        contact=overrides.get("NIANBAO_CONTACT"),
    )
    settings = crawl_settings(
        archive, run_id, replay=replay or [], record=record, overrides=overrides, verbose=verbose
    )
    process = CrawlerProcess(settings)
    crawlers = []
    for site in sites:
        crawler = process.create_crawler(AnnualReportsSpider)
        crawlers.append(crawler)
        process.crawl(crawler, site=site)
    if show_progress:
        from nianbao.progress import CrawlProgress

        CrawlProgress(crawlers).install()
    with disk_reserve(archive.data_dir):
        end = run_crawler_process(process)  # signals and machine faults: nianbao/outcome.py

    stats: dict[str, Any] = {"fetches": 0, "new_objects": 0, "rendered": 0, "bytes": 0}
    for crawler in crawlers:
        values = crawler.stats.get_stats()
        stats["fetches"] += sum(v for k, v in values.items() if k.startswith("nianbao/fetches/"))
        for key in ("new_objects", "rendered", "bytes"):
            stats[key] += values.get(f"nianbao/{key}", 0)
    if end.signum is None and end.fault is None:  # stopped early: the next run parses
        names = [s.name for s in sites]
        summary = unless_stopped(lambda: parse_archive(archive, run_id=run_id, only_new=True, sites=names))
        if summary is not None:
            stats.update(reports_parsed=summary.reports, metrics=summary.metrics)
    exit_code = close_run(archive, run_id, stats)
    return CrawlResult(run_id=run_id, exit_code=int(exit_code), stats=stats)
