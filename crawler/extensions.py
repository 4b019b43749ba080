"""Per-site health: at the end of each site's crawl, what was fetched, new, failed.

Written to ``site_runs`` (one row per run and site) and summarised on ``sites``. A bare
``scrapy crawl`` (no ``nianbao crawl`` around it) also closes the run it opened.
"""

from __future__ import annotations

from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler

from crawler.runs import run_context
from vocabulary import PAGE_ROLES

SITE_TIMEOUT = "site_timeout"  # the close reason of a site stopped by its time budget (pool.py)


class SiteHealth:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SiteHealth:
        ext = cls(crawler)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_opened(self, spider: Any) -> None:
        site = spider.site
        run_context(self.crawler).archive.upsert_site(
            site.name, agency=site.agency, region=site.region, start_urls=site.start_urls
        )

    def spider_closed(self, spider: Any, reason: str) -> None:
        ctx = run_context(self.crawler)
        stats = self.crawler.stats
        value = stats.get_value
        pages = sum(value(f"nianbao/fetches/{role}", 0) for role in PAGE_ROLES)
        failed = value("nianbao/failed", 0)
        blocked_vendor = value("nianbao/blocked_vendor")  # set by AntiBotMiddleware
        status = "ok" if not failed else "problems"
        site = spider.site.name
        # Only a crawl that started afresh and went all the way can say what is gone: an
        # interrupted, stopped or resumed one has not seen the whole site this run.
        complete = reason == "finished" and not value("nianbao/frontier/resumed")
        stopped, trapped = value("nianbao/stopped"), value("nianbao/trapped")  # crawler/middlewares/bounds.py
        if blocked_vendor:
            status = "blocked"  # AntiBotMiddleware has recorded a "blocked" problem
        elif reason == "shutdown":
            status = "interrupted"  # SIGINT/SIGTERM: the frontier is kept, the next run resumes
        elif stopped or trapped:
            status = "stopped" if stopped else "trapped"  # a problems row says where and why
        elif reason == SITE_TIMEOUT:
            status = "timed out"  # its frontier is kept: the next run resumes it
            budget = self.crawler.settings.getfloat("NIANBAO_SITE_TIMEOUT", 0)
            ctx.archive.add_problem(
                "crawl",
                f"site {site}: stopped by its time budget ({budget:.0f} s) after {pages} pages; "
                "the next run resumes where it stopped",
                run_id=ctx.run_id,
                site=site,
                url=spider.site.start_urls[0],
            )
        elif not pages:
            status = "failed"
            ctx.archive.add_problem(
                "crawl",
                f"site {site}: not one page could be fetched (spider finished: {reason})",
                run_id=ctx.run_id,
                site=site,
                url=spider.site.start_urls[0],
            )
        stats.set_value("nianbao/site_status", status)  # for the site pool's totals
        changes = ctx.archive.item_changes(ctx.run_id, site)
        report_items = value("nianbao/fetches/report", 0)
        earlier = ctx.archive.db.execute(
            "SELECT count(DISTINCT url) FROM fetches WHERE site = ? AND role = 'report' AND run_id < ?",
            [site, ctx.run_id],
        ).fetchone()[0]
        note = None
        if blocked_vendor:
            note = f"blocked by {blocked_vendor}"
        elif not report_items and earlier and complete:
            # The portal was redesigned, or the column moved: worth a look by a person.
            note = f"probably changed: no reports found this run, {earlier} found by earlier runs"
            ctx.archive.add_problem("crawl", f"site {site}: {note}", run_id=ctx.run_id, site=site)
        discovery = getattr(spider, "health_note", None)  # the spider's own findings
        note = "; ".join(filter(None, [note, discovery() if callable(discovery) else None])) or None
        ctx.archive.record_site_run(
            ctx.run_id,
            site,
            status=status,
            pages=pages,
            files=value("nianbao/fetches/attachment", 0),
            new_objects=value("nianbao/new_objects", 0),
            report_pages=value("nianbao/fetches/report", 0),
            failed=failed,
            bytes=value("nianbao/bytes", 0),
            new_items=changes["new"],
            changed_items=changes["changed"],
            unchanged_items=changes["unchanged"] + value("nianbao/skipped_files", 0),
            removed_items=changes["removed"] if complete and status in ("ok", "problems") else 0,
            note=note,
            blocked_vendor=blocked_vendor,
        )
        ctx.archive.upsert_site(site, status=status, blocked_vendor=blocked_vendor, last_run_id=ctx.run_id)
        if ctx.owns_run:
            from nianbao.outcome import close_run

            close_run(ctx.archive, ctx.run_id, {"reason": reason})
