"""Downloader middleware: a bounded crawl — a request budget per site and crawler-trap detection.

The page-hops limit (:mod:`crawler.middlewares.depth`) bounds how long one chain of pages may
run, not how wide a site may spread: a calendar pager, or a ``?year=`` page linking to the
next year and the one before for ever, breeds new URLs without end. Two bounds, each ending
in a ``problems`` row and the site's health status (``sites.status``):

* **Budget** — at most ``NIANBAO_MAX_REQUESTS_PER_SITE`` requests per site and run (robots.txt
  aside; retries count: they hit the server too). The default, 10,000, is about three times
  the largest 年报 column we know of — a city 汇总 page linking ~100 units' reports for 15 years
  is ~1,500 report pages and as many attachments plus a few hundred list pages — and at the
  polite default of one request a second it stops a runaway crawl of one government server
  after under three hours. Reaching it stops the site (status ``stopped``); its frontier is
  kept, so the next run carries on where it stopped. ``0`` turns the budget off.
* **Traps** — a URL *pattern* (host, path with its numbers blanked, query keys) that keeps
  linking to itself with new values: more than ``NIANBAO_TRAP_CHAIN`` distinct URLs of one
  pattern, each reached from a page of the same pattern, is a trap (far more pages than any
  real 年报 list has); so is a ``year``/``date``-like query value outside 1990 … next year
  (what no list of annual reports advertises). Its further URLs are dropped, one problems
  row names the pattern, the rest of the site goes on (status ``trapped``).

>>> pattern("http://x.gov.cn/cal/index_12.html?year=2019&m=3")
'x.gov.cn/cal/index_#.html?m&year'
>>> out_of_range_year("http://x.gov.cn/list?year=2391", this_year=2026)
2391
>>> print(out_of_range_year("http://x.gov.cn/art/2087/index.html?id=20871", this_year=2026))
None
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections import Counter
from urllib.parse import parse_qsl, urlsplit

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.utils.defer import deferred_from_coro

from crawler.runs import Recorded, crawl_site, record_problem
from vocabulary import Meta

logger = logging.getLogger(__name__)

DEFAULT_BUDGET = 10_000
DEFAULT_TRAP_CHAIN = 200
FIRST_YEAR = 1990  # no disclosure report is older (the 条例 dates from 2008; local rules from the 1990s)
STOPPED_STAT = "nianbao/stopped"  # "budget": read by the SiteHealth extension
TRAPPED_STAT = "nianbao/trapped"

_DIGITS = re.compile(r"\d+")
_DATE_KEY = re.compile(r"year|nian|date|riqi|day|month|yyyy|^y$|^d$|^ym$", re.I)
_YEAR = re.compile(r"(?<!\d)((?:1[0-9]|2[0-9]|[3-9][0-9])\d{2})(?=\d{0,4}(?!\d))")


def pattern(url: str) -> str:
    """The URL's shape: host, path with digit runs blanked, sorted query keys."""
    parts = urlsplit(url)
    keys = sorted({key for key, _ in parse_qsl(parts.query, keep_blank_values=True)})
    query = f"?{'&'.join(keys)}" if keys else ""
    return f"{parts.hostname}{_DIGITS.sub('#', parts.path)}{query}"


def out_of_range_year(url: str, *, this_year: int | None = None) -> int | None:
    """A year in a date-like query value (``year=``, ``date=``, ``month=2031-05``) that no
    annual report can have: before :data:`FIRST_YEAR` or after next year."""
    last = (this_year or dt.date.today().year) + 1
    for key, value in parse_qsl(urlsplit(url).query):
        if not _DATE_KEY.search(key):
            continue
        match = _YEAR.match(value.strip())
        if match and not FIRST_YEAR <= int(match.group(1)) <= last:
            return int(match.group(1))
    return None


class CrawlBounds:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        settings = crawler.settings
        self.budget = settings.getint("NIANBAO_MAX_REQUESTS_PER_SITE", DEFAULT_BUDGET)
        self.trap_chain = settings.getint("NIANBAO_TRAP_CHAIN", DEFAULT_TRAP_CHAIN)
        self.sent = 0
        self.stopped = False
        self.chains: Counter[str] = Counter()  # per pattern: URLs reached from the same pattern
        self.traps: dict[str, int] = {}  # patterns found to be traps as a whole
        self.reported: set[str] = set()  # patterns with their problems row
        self.dropped: Counter[str] = Counter()  # per pattern: URLs not fetched
        self._closing = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlBounds:
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        if request.url.endswith("/robots.txt"):
            return None
        if self.stopped:
            raise Recorded(f"site stopped at its request budget: not fetching {request.url}")
        self._check_trap(request)
        self.sent += 1
        if self.budget and self.sent > self.budget:
            self._stop_at_budget(request)
        return None

    def _check_trap(self, request: Request) -> None:
        if (
            request.meta.get("playwright")
            or request.meta.get("retry_times")
            or request.meta.get(Meta.RETRY_AFTER_TIMES)
        ):
            return  # the same URL again (rendered, retried): not a new one
        key = pattern(request.url)
        if key in self.traps:
            self._drop(key, request)
        year = out_of_range_year(request.url)
        if year is not None:  # this URL only: the pattern's other years may be real
            self._trap(key, request, f"a date-like parameter runs to the year {year}", whole=False)
            self._drop(key, request)
        referer = request.meta.get(Meta.REFERER)
        if referer and pattern(referer) == key:
            self.chains[key] += 1
            if self.trap_chain and self.chains[key] > self.trap_chain:
                why = f"more than {self.trap_chain} URLs of this pattern, each linked from the one before"
                self._trap(key, request, why, whole=True)
                self._drop(key, request)

    def _trap(self, key: str, request: Request, why: str, *, whole: bool) -> None:
        """One problems row per trap pattern, at its first dropped URL."""
        if whole:
            self.traps[key] = 0
        if key in self.reported:
            return
        self.reported.add(key)
        which = "its further URLs are" if whole else "such URLs are"
        message = f"crawler trap {key}: {why}; {which} not followed (first: {request.url})"
        logger.warning("%s: %s", crawl_site(self.crawler), message)
        record_problem(self.crawler, "crawl", message, url=request.url)
        self.crawler.stats.set_value(TRAPPED_STAT, key)

    def _drop(self, key: str, request: Request) -> None:
        self.dropped[key] += 1
        self.crawler.stats.inc_value("nianbao/trap_dropped")
        raise Recorded(f"crawler trap {key}: not fetching {request.url}")

    def _stop_at_budget(self, request: Request) -> None:
        self.stopped = True
        site = crawl_site(self.crawler)
        message = (
            f"site {site}: request budget of {self.budget} reached; the site is stopped here and the "
            f"next run resumes (NIANBAO_MAX_REQUESTS_PER_SITE raises it)"
        )
        logger.warning(message)
        record_problem(self.crawler, "crawl", message, url=request.url)
        self.crawler.stats.set_value(STOPPED_STAT, "budget")
        engine = self.crawler.engine
        if engine is not None and engine.spider is not None:
            self._closing = deferred_from_coro(engine.close_spider_async(reason="budget"))
        raise Recorded(f"request budget reached: not fetching {request.url}")
