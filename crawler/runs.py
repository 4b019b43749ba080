"""Which archive and crawl run a Scrapy crawler writes to.

``nianbao crawl`` opens the run and passes its id in ``NIANBAO_RUN_ID``; a bare
``scrapy crawl annual_reports -a site=NAME`` gets a run of its own, closed with the spider.
"""

from __future__ import annotations

from dataclasses import dataclass

from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest

from archive import Archive, open_archive
from crawler.identity import contact_in


class Recorded(IgnoreRequest):
    """A request dropped on purpose by a middleware that has accounted for it (a problems row,
    a stat, a deliberate stop): nobody else records it again."""


@dataclass
class RunContext:
    archive: Archive
    run_id: int
    owns_run: bool  # True when this crawler opened the run and must close it


def run_context(crawler: Crawler) -> RunContext:
    ctx = getattr(crawler, "_nianbao_run", None)
    if ctx is None:
        settings = crawler.settings
        archive = open_archive(
            settings.get("NIANBAO_DATA_DIR"), fsync=settings.getbool("NIANBAO_FSYNC", True)
        )
        run_id = settings.getint("NIANBAO_RUN_ID", 0)
        owns = not run_id
        if owns:
            mode = "replay" if settings.getlist("NIANBAO_REPLAY") else "live"
            if settings.get("NIANBAO_RECORD"):
                mode = "record"
            agent = settings.get("USER_AGENT")
            contact = settings.get("NIANBAO_CONTACT") or contact_in(agent)
            run_id = archive.start_run("crawl", mode=mode, user_agent=agent, contact=contact)
        ctx = RunContext(archive=archive, run_id=run_id, owns_run=owns)
        crawler._nianbao_run = ctx  # type: ignore[attr-defined]
    return ctx


def crawl_site(crawler: Crawler) -> str | None:
    """The name of the site the crawler's spider crawls (None before it opens)."""
    site = getattr(crawler.spider, "site", None)
    return getattr(site, "name", None)


def record_problem(
    crawler: Crawler,
    stage: str,
    message: str,
    *,
    url: str | None = None,
    sha256: str | None = None,
    failed: bool = False,
) -> None:
    """A ``problems`` row for the crawl's run and site, counted in its stats; ``failed``:
    a fetch that failed, counted in the site's health too."""
    ctx = run_context(crawler)
    try:
        ctx.archive.add_problem(
            stage, message, run_id=ctx.run_id, site=crawl_site(crawler), url=url, sha256=sha256
        )
    except Exception as exc:
        from nianbao.outcome import is_machine_fault, machine_fault

        if not is_machine_fault(exc):
            raise
        machine_fault(exc)  # the run stops; its end says why in one line
    crawler.stats.inc_value("nianbao/problems")
    if failed:
        crawler.stats.inc_value("nianbao/failed")
