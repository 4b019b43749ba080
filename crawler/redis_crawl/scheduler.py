"""The Scrapy side of the shared crawl: scrapy-redis's scheduler, queue and dupefilter,
subclassed for what they lack.

* per-site keys (``P:q:SITE`` …), as nianbao runs one spider for every site;
* a reliable pop: the request moves into this worker's in-progress hash (one Lua script)
  and leaves it only with everything its response yielded (:class:`RedisDoneMiddleware`,
  the contract of :class:`crawler.frontier.FrontierDoneMiddleware`); a redirect or retry
  replaces its request in the same step; a request that fails is acknowledged by an errback;
* the crawler's own request fingerprinter;
* nothing flushed when a worker closes (``SCHEDULER_PERSIST`` forced on);
* one Redis call for all the requests one response yields;
* ``has_pending_requests`` from a local count (this worker holds the site's lease, so no
  one else changes its queue), not a Redis call per engine tick;
* what discovery knows beyond the queue, shared as the queue is: the links it set aside
  (:class:`crawler.redis_crawl.aside.RedisAside`, the spider's ``aside`` store) and whether
  it found report items, so a worker taking a site over explores as the first one would have.
"""

from __future__ import annotations

import logging
import pickle
from collections.abc import AsyncIterator, Iterable
from typing import Any

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.http import Response
from scrapy.utils.request import request_from_dict
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.queue import PriorityQueue
from scrapy_redis.scheduler import Scheduler
from twisted.python.failure import Failure

from crawler.frontier import FrontierDoneMiddleware, request_dict
from crawler.redis_crawl.aside import RedisAside
from crawler.redis_crawl.shared import SharedCrawl
from vocabulary import Meta, Role

logger = logging.getLogger(__name__)

FP = Meta.FRONTIER_FP  # meta: the key of a popped request (as FrontierDoneMiddleware reads it)
PARENT = "redis_parent"  # meta: the popped request whose response yielded this one

_ACTIVE: list[SharedCrawl] = []


def activate(shared: SharedCrawl) -> None:
    """Make ``shared`` the crawl the schedulers of this process use."""
    _ACTIVE[:] = [shared]


def active() -> SharedCrawl:
    if not _ACTIVE:
        raise RuntimeError("the Redis scheduler runs only under `nianbao crawl --redis URL`")
    return _ACTIVE[0]


class SiteDupeFilter(RFPDupeFilter):
    """The site's seen-set, with the crawler's fingerprints; never cleared by a worker."""

    def __init__(self, shared: SharedCrawl, site: str, crawler: Crawler) -> None:
        super().__init__(shared.redis, shared.key("seen", site))
        self.fingerprinter = crawler.request_fingerprinter

    def request_fingerprint(self, request: Request) -> str:
        return self.fingerprinter.fingerprint(request).hex()

    def close(self, reason: str = "") -> None:
        """Other workers may carry on with the site: its seen-set stays."""


class SiteQueue(PriorityQueue):
    """The site's queue: a zset of fingerprints by priority then order, requests beside it."""

    def __init__(self, shared: SharedCrawl, spider: Spider, site: str) -> None:
        super().__init__(shared.redis, spider, shared.key("q", site))
        self.shared = shared
        self.site = site

    def _encode_request(self, request: Request) -> bytes:
        return pickle.dumps(request_dict(request, self.spider), protocol=pickle.HIGHEST_PROTOCOL)

    def push(self, request: Request) -> None:
        raise NotImplementedError("requests are queued by RedisSiteScheduler, in batches")

    def pop(self, timeout: int = 0) -> Request | None:
        got = self.shared.pop(self.site)
        if got is None:
            return None
        fp, data = got
        request = self._decode_request(data)
        request.meta[FP] = fp
        return request

    def _decode_request(self, encoded_request: bytes) -> Request:
        return request_from_dict(pickle.loads(encoded_request), spider=self.spider)

    def __len__(self) -> int:
        return self.shared.queued(self.site)


class RedisSiteScheduler(Scheduler):
    def __init__(self, crawler: Crawler, shared: SharedCrawl) -> None:
        # Persist always: the queue and seen-set belong to the crawl, not to this worker.
        super().__init__(server=shared.redis, persist=True)
        self.crawler = crawler
        self.shared = shared
        self.stats = crawler.stats
        self.pending = 0
        self.site = ""
        self.aside: RedisAside | None = None  # links discovery set aside (the spider reads it)
        self.found = False  # the spider yielded report items (here or on a worker before)
        self.batches: dict[str, list[tuple[str, int, bool, bytes]]] = {}
        crawler._nianbao_frontier = self  # type: ignore[attr-defined]  # FrontierDoneMiddleware looks here

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RedisSiteScheduler:
        return cls(crawler, active())

    def open(self, spider: Spider) -> None:
        self.spider = spider
        self.site = spider.site.name  # type: ignore[attr-defined]
        self.queue = SiteQueue(self.shared, spider, self.site)
        self.df = SiteDupeFilter(self.shared, self.site, self.crawler)
        self.aside = RedisAside(self.shared, self.site)
        self.pending = self._guard(len, self.queue, default=0)
        aside = self._guard(self.shared.aside_left, self.site, default=0)
        self.found = self._guard(self.shared.found, self.site, default=False)
        if self.pending or aside:
            logger.warning(
                "%s: taking over a crawl in progress: %d requests queued, %d links set aside",
                self.site,
                self.pending,
                aside,
            )
            self.stats.set_value("nianbao/frontier/resumed", 1)

    def close(self, reason: str) -> None:
        """The site's state stays in Redis for whoever crawls it next."""
        if self.aside is not None:
            self.aside.flush()  # (sent with each push: normally none are left)

    # -- queueing
    def enqueue_request(self, request: Request) -> bool:
        parent = request.meta.pop(PARENT, None)
        replaced = request.meta.pop(FP, None)  # a redirect or retry of a popped request
        if getattr(request.errback, "__func__", None) is RedisSiteScheduler._failed:
            request.errback = None  # ours, added at pop: not stored
        entry = self._entry(request)
        self.found = self.found or request.meta.get(Meta.ROLE) == Role.REPORT
        if parent is not None:  # queued with its siblings once the response is handled
            self.batches.setdefault(parent, []).append(entry)
            return True
        return self._push(replaced or "", [entry]) > 0

    def _entry(self, request: Request) -> tuple[str, int, bool, bytes]:
        fp = self.df.request_fingerprint(request)
        return fp, request.priority, request.dont_filter, self.queue._encode_request(request)

    def mark_done(self, fp: str) -> None:
        """The response of ``fp`` is handled: its requests are queued and it is acknowledged,
        in one step."""
        self._push(fp, self.batches.pop(fp, []))

    def _push(self, parent: str, entries: list[tuple[str, int, bool, bytes]]) -> int:
        if self.aside is not None:
            self.aside.flush()  # the links a response set aside reach Redis before its ack
        queued = self._guard(self.shared.push, self.site, parent, entries, self.found, default=0)
        self.pending += queued
        self.stats.inc_value("scheduler/enqueued/redis", queued)
        if len(entries) > queued:
            self.stats.inc_value("dupefilter/filtered", len(entries) - queued)
        return queued

    def next_request(self) -> Request | None:
        request = self._guard(self.queue.pop, default=None)
        if request is None:
            self.pending = 0
            return None
        self.pending = max(self.pending - 1, 0)
        self.stats.inc_value("scheduler/dequeued/redis")
        if request.errback is None:
            request.errback = self._failed
        return request

    def _failed(self, failure: Failure) -> Failure:
        """A request that failed (network error, ignored, …) is done: no response to wait for."""
        request = getattr(failure, "request", None)
        fp = request.meta.get(FP) if request is not None else None
        if fp:
            self.mark_done(fp)
        return failure  # handled as if there were no errback: logged, recorded

    def has_pending_requests(self) -> bool:
        return self.pending > 0

    def _guard(self, func: Any, *args: Any, default: Any) -> Any:
        """``func(*args)``, or ``default`` when Redis is gone (the worker stops; a request
        stays in progress in Redis, requeued for another worker)."""
        return self.shared.guarded(func, *args, default=default)


class RedisDoneMiddleware(FrontierDoneMiddleware):
    """:class:`FrontierDoneMiddleware` for the Redis frontier: the requests a response yields
    are tagged with it, and it is acknowledged (its requests queued with it) even when its
    callback raised — the spider's error is recorded, and no worker waits for it forever."""

    def _tag(self, item: Any, response: Response | None) -> Any:
        fp = response.meta.get(FP) if response is not None else None
        if fp and isinstance(item, Request):
            item.meta[PARENT] = fp
        return item

    def process_spider_output(self, response: Response | None, result: Iterable[Any]) -> Iterable[Any]:
        try:
            for item in result:
                if not self._scheduled(self._tag(item, response)):
                    yield item
        finally:
            self._done(response)

    async def process_spider_output_async(
        self, response: Response | None, result: AsyncIterator[Any]
    ) -> AsyncIterator[Any]:
        try:
            async for item in result:
                if not self._scheduled(self._tag(item, response)):
                    yield item
        finally:
            self._done(response)
