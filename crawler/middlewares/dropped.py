"""Downloader middleware: every request that is not kept leaves a row saying why.

Scrapy drops requests in many places without telling anyone: ``IgnoreRequest`` from the
robots.txt middleware, a redirect that ends off-site or past ``REDIRECT_MAX_TIMES``, a
redirect back to a URL already fetched (the scheduler's seen-set). Here each becomes a
``problems`` row naming the URL and the reason, so a report missing from the archive is
never silent:

* a redirect loop (a URL redirecting back into its own chain) is a failed request — one
  URL, not the whole site (a loop through a ``WZWSREL`` URL is the WZWS challenge, and
  blocks the site through :class:`~crawler.middlewares.antibot.AntiBotMiddleware`);
* too many redirects and an off-site redirect are failed requests;
* robots.txt exclusions are *notes* (stage ``robots``): the site asked, we obeyed; they do
  not make the run's exit status 1;
* a redirect to a URL this crawl has already fetched is a note (stage ``note``): the bytes
  are archived under that URL;
* any other ``IgnoreRequest`` is a failed request with its message.

A middleware that drops a request and records it itself raises :class:`Recorded`, which is
left alone here. Priority 601: responses travel from high numbers to low, so this sees a
3xx before RedirectMiddleware (600) turns it into a new request.
"""

from __future__ import annotations

import logging
from urllib.parse import urljoin, urlsplit

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response

from crawler.antibot import redirect_loop
from crawler.render import OutOfTime
from crawler.runs import Recorded, record_problem

logger = logging.getLogger(__name__)

PRIORITY = 601
REDIRECT_STATUSES = (301, 302, 303, 307, 308)


class DroppedRequests:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.max_redirects = crawler.settings.getint("REDIRECT_MAX_TIMES", 20)
        self.redirects_enabled = crawler.settings.getbool("REDIRECT_ENABLED", True)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DroppedRequests:
        mw = cls(crawler)
        crawler.signals.connect(mw.request_dropped, signal=signals.request_dropped)
        return mw

    # -- redirects, before RedirectMiddleware follows them ------------------------------------
    def process_response(self, request: Request, response: Response) -> Response:
        if not self.redirects_enabled or response.status not in REDIRECT_STATUSES:
            return response
        if request.meta.get("dont_redirect") or b"Location" not in response.headers:
            return response
        location = response.headers[b"Location"].decode("latin-1")
        target = urljoin(request.url, location)
        chain = [*request.meta.get("redirect_urls", []), request.url]
        reason = self._redirect_refused(request, target, chain)
        if reason is None:
            return response
        self._record(request, reason, url=chain[0], note=_is_robots(request))
        raise Recorded(reason)

    def _redirect_refused(self, request: Request, target: str, chain: list[str]) -> str | None:
        """Why the redirect from ``request`` to ``target`` is not followed (None: it is)."""
        loop = redirect_loop(target, chain)
        if loop is not None:
            if loop.vendor != "redirect-loop":  # a vendor's challenge: the site is blocked
                self._block(request, loop, target)
                return f"anti-bot challenge ({loop}) at {target}"
            return f"redirect loop: {chain[0]} redirects back to {target} ({len(chain)} hops)"
        if request.meta.get("redirect_times", 0) + 1 > self.max_redirects:
            return f"too many redirects: {chain[0]} still redirects after {self.max_redirects} hops"
        domains = list(getattr(self.crawler.spider, "allowed_domains", None) or [])
        host = urlsplit(target).hostname or ""
        if domains and not request.meta.get("allow_offsite") and not _on_site(host, domains):
            return f"off-site redirect: {chain[0]} redirects to {target} ({host} is not the site's)"
        return None

    def _block(self, request: Request, loop: object, url: str) -> None:
        from crawler.middlewares.antibot import AntiBotMiddleware

        antibot = self.crawler.get_downloader_middleware(AntiBotMiddleware)
        if antibot is not None:
            antibot.block(request, loop, url)

    # -- requests dropped elsewhere -----------------------------------------------------------
    def process_exception(self, request: Request, exception: Exception) -> None:
        if not isinstance(exception, IgnoreRequest) or isinstance(exception, Recorded):
            return None  # network errors: the archive middleware records them
        if getattr(exception, "is_problem", False):
            return None  # recorded by the archive middleware
        message = str(exception) or type(exception).__name__
        if message.startswith("Filtered offsite request"):
            return None  # a link to another site: not ours to fetch
        if message.startswith("Forbidden by robots.txt"):  # Scrapy's RobotsTxtMiddleware
            self._record(request, f"excluded by robots.txt: {request.url}", note=True, stage="robots")
        elif isinstance(exception, OutOfTime):
            self._record(request, f"not fetched: {message}", note=True)
        else:
            self._record(request, f"dropped: {message}", note=_is_robots(request))
        return None

    def request_dropped(self, request: Request) -> None:
        """The scheduler refused a request: its seen-set knows the URL. A link met again is
        the seen-set at work; a redirect to it is worth a note."""
        chain = request.meta.get("redirect_urls")
        if chain:
            message = f"{chain[0]} redirects to {request.url}, which this crawl has fetched already"
            self._record(request, message, url=chain[0], note=True)

    def _record(
        self, request: Request, message: str, *, url: str | None = None, note: bool = False, stage: str = ""
    ) -> None:
        logger.info("%s: %s", request.url, message)
        stage = stage or ("note" if note else "fetch")
        record_problem(self.crawler, stage, message, url=url or request.url, failed=not note)


def _on_site(host: str, domains: list[str]) -> bool:
    """Whether ``host`` is one of ``domains`` or under one (as Scrapy's offsite filter judges).

    >>> _on_site("www.x.gov.cn", ["x.gov.cn"]), _on_site("127.0.0.2", ["127.0.0.1:8080"])
    (True, False)
    """
    for domain in domains:
        domain = domain.split(":")[0].lower()
        if host == domain or host.endswith("." + domain):
            return True
    return False


def _is_robots(request: Request) -> bool:
    """A robots.txt that cannot be had means "no rules": worth a note, not a failure."""
    return request.url.endswith("/robots.txt")
