"""Downloader middleware: report anti-bot challenges as a blocked site, and flag soft 404s.

On a challenge (see :mod:`crawler.antibot`) it never tries to pass — no JavaScript, no cookie
replay. It archives the challenge page (through the archive middleware, so there is a fetch
row to point at), records a ``blocked`` problem naming the vendor and the URL, marks the site
blocked (``nianbao/blocked_vendor`` in the crawler's stats, for the SiteHealth extension), drops
the response and closes the spider with reason ``blocked``. Every later request of the site is
dropped before it reaches the network, so a blocked site costs at most a couple of requests —
robots.txt included: a challenge on robots.txt blocks the site too.

A redirect loop is one failed request, not a block (:mod:`crawler.middlewares.dropped`
records it), unless it runs through a vendor's challenge URL (WZWS ``WZWSREL``). Soft 404s
(HTTP 200 pages whose title, heading or little text say 页面不存在) are recorded as ``fetch``
problems; the crawl goes on.

Order: priority 585, between MetaRefreshMiddleware (580) and HttpCompressionMiddleware (590).
Responses travel from high numbers to low, so this middleware sees each response after it has
been decompressed (590) and after redirects were followed (600), but before a challenge page's
``<meta refresh>`` is followed (580) and before RetryMiddleware (550) could retry a 412/521 or a
503 — and long before the archive middleware (60).
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.http import HtmlResponse, Response
from scrapy.utils.defer import deferred_from_coro

from crawler.antibot import Challenge, detect_challenge, is_soft_404
from crawler.middlewares.archive import ArchiveMiddleware
from crawler.runs import Recorded, crawl_site, record_problem
from vocabulary import Meta

logger = logging.getLogger(__name__)

PRIORITY = 585  # the DOWNLOADER_MIDDLEWARES order this middleware is written for
BLOCKED_STAT = "nianbao/blocked_vendor"


class AntiBotMiddleware:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.challenge: Challenge | None = None  # the first challenge met; the site is blocked
        self._closing: Any = None  # the Deferred closing the spider, kept so it is not lost

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> AntiBotMiddleware:
        return cls(crawler)

    # -- downloader hooks -------------------------------------------------------------------
    def process_request(self, request: Request) -> None:
        if self.challenge is not None:
            raise Recorded(f"site blocked by {self.challenge.name}: not fetching {request.url}")
        return None

    def process_response(self, request: Request, response: Response) -> Response:
        challenge = detect_challenge(response.status, _headers(response), response.body)
        if challenge is not None:
            self._archive(request, response)
            if self.challenge is None:
                self.block(request, challenge, response.url)
            raise Recorded(f"anti-bot challenge ({challenge}) at {response.url}")
        if _is_soft_404(request, response):
            self._problem(request, f"soft 404: HTTP 200 page says it does not exist: {response.url}")
            request.meta[Meta.SOFT_404] = True  # the spider neither follows nor renders it
        return response

    # -- steps ------------------------------------------------------------------------------
    def _archive(self, request: Request, response: Response) -> None:
        """Keep the challenge page like any response (fetch row, body): it is the evidence."""
        archive = self.crawler.get_downloader_middleware(ArchiveMiddleware)
        if archive is not None:
            archive.archive_response(request, response)

    def block(self, request: Request, challenge: Challenge, url: str) -> None:
        """Mark the site blocked by ``challenge`` (met at ``url``) and close its spider."""
        if self.challenge is not None:
            return
        self.challenge = challenge
        message = f"blocked by {challenge.name} ({challenge.evidence}) at {url}"
        logger.error("%s: %s", crawl_site(self.crawler), message)
        sha256 = request.meta.get("sha256")  # set by the archive middleware
        record_problem(self.crawler, "blocked", message, url=url, sha256=sha256)
        self.crawler.stats.set_value(BLOCKED_STAT, challenge.vendor)
        self._close_spider()

    def _close_spider(self) -> None:
        engine = self.crawler.engine
        if engine is None or engine.spider is None:
            return
        close_async = getattr(engine, "close_spider_async", None)  # Scrapy >= 2.14
        if close_async is not None:
            self._closing = deferred_from_coro(close_async(reason="blocked"))
        else:
            self._closing = engine.close_spider(engine.spider, "blocked")
        self._closing.addErrback(lambda failure: logger.error("closing the spider: %s", failure))

    def _problem(self, request: Request, message: str) -> None:
        logger.warning("%s: %s", request.url, message)
        record_problem(self.crawler, "fetch", message, url=request.url)
        self.crawler.stats.inc_value("nianbao/failed")


def _headers(response: Response) -> dict[str, str]:
    """Header names to values; repeated headers (Set-Cookie) joined by newlines."""
    return {
        key.decode("latin-1"): "\n".join(v.decode("latin-1") for v in values)
        for key, values in response.headers.items()
    }


def _is_soft_404(request: Request, response: Response) -> bool:
    if not isinstance(response, HtmlResponse) or request.url.endswith("/robots.txt"):
        return False  # a missing robots.txt served as an HTML page only means "no rules"
    return is_soft_404(response.status, response.text)
