"""Downloader middleware: honour ``Retry-After`` on 429 and 503, up to a cap; beyond it, give up.

Scrapy's RetryMiddleware retries a 429 or 503 at once, whatever the server asked. Here a
``Retry-After`` (seconds or an HTTP date) of at most ``NIANBAO_RETRY_AFTER_MAX`` seconds
(default 120) is waited out before the request is sent again (at most ``RETRY_TIMES`` times);
a longer one is not hammered: the request is recorded as a problem "retry later" naming the
wait, and dropped. The next scheduled run asks again.

Priority 560: responses travel from high numbers to low, so this sees a 429/503 before
RetryMiddleware (550) does.

>>> retry_after_seconds("120"), retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412400.0)
(120.0, 80.0)
>>> print(retry_after_seconds("soon"))
None
"""

from __future__ import annotations

import email.utils
import logging
import time

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.http import Response
from scrapy.utils.defer import maybe_deferred_to_future

from crawler.runs import Recorded, record_problem
from vocabulary import Meta

logger = logging.getLogger(__name__)

PRIORITY = 560
DEFAULT_MAX_WAIT_S = 120.0
STATUSES = (429, 503)


def retry_after_seconds(value: str, *, now: float | None = None) -> float | None:
    """The wait a ``Retry-After`` value asks for, in seconds (None: unreadable)."""
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


class RetryAfterMiddleware:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.max_wait = crawler.settings.getfloat("NIANBAO_RETRY_AFTER_MAX", DEFAULT_MAX_WAIT_S)
        self.max_times = crawler.settings.getint("RETRY_TIMES", 2)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RetryAfterMiddleware:
        return cls(crawler)

    async def process_response(self, request: Request, response: Response) -> Request | Response:
        header = response.headers.get(b"Retry-After")
        if response.status not in STATUSES or not header:
            return response
        wait = retry_after_seconds(header.decode("latin-1"))
        if wait is None:
            return response  # unreadable: RetryMiddleware's ordinary retries
        if wait > self.max_wait:
            message = (
                f"retry later: HTTP {response.status} asks to wait {wait:.0f} s, over the "
                f"{self.max_wait:.0f} s cap (NIANBAO_RETRY_AFTER_MAX): not retried"
            )
            logger.warning("%s: %s", request.url, message)
            record_problem(self.crawler, "fetch", message, url=request.url, failed=True)
            raise Recorded(message)
        times = request.meta.get(Meta.RETRY_AFTER_TIMES, 0) + 1
        if times > self.max_times:
            return response  # given up: the archive middleware records the HTTP error
        logger.info("%s: HTTP %d, waiting %.1f s as asked (Retry-After)", request.url, response.status, wait)
        await _sleep(wait)
        self.crawler.stats.inc_value("nianbao/retry_after")
        retry = request.replace(dont_filter=True)
        retry.meta[Meta.RETRY_AFTER_TIMES] = times
        return retry


async def _sleep(seconds: float) -> None:
    from twisted.internet import reactor, task  # the reactor Scrapy installed

    await maybe_deferred_to_future(task.deferLater(reactor, seconds, lambda: None))
