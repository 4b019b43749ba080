"""A pool of site crawls: at most K sites crawled at once, one server never by two at once.

The site is the unit of work. A :class:`SitePool` asks a :class:`SiteSource` for the next
site whenever one of its K slots is free, runs that site's Scrapy crawler in the shared
reactor, and when the crawl ends writes nothing itself — the crawler's own extensions have
put health, stats and problems in SQLite — but folds the crawler's counters into
:class:`RunTotals` and drops the crawler, so memory depends on K, not on the number of sites.

Server groups: sites that share a host name or an IP address (provincial 集约化 platforms
host hundreds of county sites on one address) are one *server group*; a source never hands
out a site while another site of its group is active, so politeness holds per server, not
only per site. Each loopback address (127.0.x.y) counts as an address of its own; the port
does not count (two sites on 127.0.0.1 with different ports share a server).

The source is a protocol so that a Redis-backed one (many processes, many machines) can
replace :class:`LocalSiteSource` (one process, the sites file in memory).
"""

from __future__ import annotations

import gc
import logging
import socket
import statistics
import time
import weakref
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable
from urllib.parse import urlsplit

from scrapy.utils.defer import deferred_from_coro

from crawler.extensions import SITE_TIMEOUT
from crawler.gc_freeze import freeze_startup_objects
from crawler.render import cancel_in_flight
from crawler.sites import Site
from vocabulary import PAGE_ROLES

logger = logging.getLogger(__name__)

DEFAULT_CONCURRENT_SITES = 16  # measured: README, "Many sites in one run"
DEFAULT_SITE_TIMEOUT_S = 3600.0
POLL_INTERVAL_S = 1.0


@runtime_checkable
class SiteSource(Protocol):
    """Where a pool gets its sites from (this process's list, or a shared Redis queue).

    The pool calls ``next_site()`` whenever a slot is free (and every second or so while it
    returned None but ``exhausted()`` is False), ``site_done()`` once per site it started,
    and stops when ``exhausted()`` and no site is active. An implementation may also define
    ``heartbeat()``; the pool calls it every few seconds.
    """

    def next_site(self) -> Site | None:
        """A site to start now (no site of its server group is active), or None."""
        ...

    def site_done(self, site: Site, status: str) -> None:
        """The site's crawl ended with this health status; its server group is free again."""
        ...

    def exhausted(self) -> bool:
        """True when no site will ever be handed out again."""
        ...


# -- server groups --------------------------------------------------------------------------
def site_hosts(site: Site) -> set[str]:
    """The host names a site is crawled on (its start URLs' and allowed domains).

    >>> sorted(site_hosts(Site("a", ["http://WWW.A.test:8080/x"], allowed_domains=["www.a.test", "b.test"])))
    ['b.test', 'www.a.test']
    """
    hosts = {(urlsplit(url).hostname or "").lower() for url in site.start_urls}
    hosts.update(domain.lower().lstrip(".") for domain in site.allowed_domains)
    hosts.discard("")
    return hosts


class HostResolver:
    """Host name → IP addresses, each name resolved once per process (a name that does not
    resolve has none: it still groups by name).

    >>> HostResolver().addresses("127.0.3.4")
    {'127.0.3.4'}
    """

    def __init__(self, lookup: Callable[[str], set[str]] | None = None) -> None:
        self._lookup = lookup or _getaddrinfo
        self._cache: dict[str, frozenset[str]] = {}

    def addresses(self, host: str) -> set[str]:
        if host not in self._cache:
            self._cache[host] = frozenset(self._lookup(host))
        return set(self._cache[host])


def _getaddrinfo(host: str) -> set[str]:
    try:
        return {info[4][0] for info in socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)}
    except (OSError, UnicodeError):
        return set()


def server_keys(site: Site, resolver: HostResolver) -> frozenset[str]:
    """What a site occupies while it is crawled: ``host:NAME`` and ``ip:ADDRESS`` keys. Two
    sites sharing any key are in one server group.

    >>> sorted(server_keys(Site("a", ["http://127.0.0.7:81/"]), HostResolver()))
    ['host:127.0.0.7', 'ip:127.0.0.7']
    """
    keys = set()
    for host in site_hosts(site):
        keys.add(f"host:{host}")
        keys.update(f"ip:{address}" for address in resolver.addresses(host))
    return frozenset(keys)


class LocalSiteSource:
    """The sites of one run, in memory, handed out in order, skipping (for now) a site whose
    server group is busy.

    >>> a1, a2, b = (Site(n, [u]) for n, u in
    ...     [("a1", "http://127.0.0.1:1/"), ("a2", "http://127.0.0.1:2/"), ("b", "http://127.0.0.2/")])
    >>> source = LocalSiteSource([a1, a2, b])
    >>> [source.next_site().name, source.next_site().name, source.next_site()]
    ['a1', 'b', None]
    >>> source.site_done(a1, "ok"); source.next_site().name, source.exhausted()
    ('a2', True)
    """

    # Sites looked at per call while the first ones wait for busy servers: bounds the work of
    # one call when thousands of sites sit behind one platform.
    SCAN_LIMIT = 1000

    def __init__(self, sites: Iterable[Site], resolver: HostResolver | None = None) -> None:
        self._waiting: deque[Site] = deque(sites)
        self._resolver = resolver or HostResolver()
        self._keys: dict[str, frozenset[str]] = {}
        self._busy: dict[str, str] = {}  # server key → the active site holding it

    def next_site(self) -> Site | None:
        for _ in range(min(len(self._waiting), self.SCAN_LIMIT)):
            site = self._waiting[0]
            keys = self._server_keys(site)
            if not any(key in self._busy for key in keys):
                self._waiting.popleft()
                self._busy.update(dict.fromkeys(keys, site.name))
                return site
            self._waiting.rotate(-1)  # its server is busy: look at the next one
        return None

    def site_done(self, site: Site, status: str) -> None:
        for key in self._keys.pop(site.name, frozenset()):
            if self._busy.get(key) == site.name:
                del self._busy[key]

    def exhausted(self) -> bool:
        return not self._waiting

    def queued(self) -> int:
        return len(self._waiting)

    def _server_keys(self, site: Site) -> frozenset[str]:
        if site.name not in self._keys:
            self._keys[site.name] = server_keys(site, self._resolver)
        return self._keys[site.name]


# -- totals ---------------------------------------------------------------------------------
@dataclass
class RunTotals:
    """The run's counters, summed as each site ends (no finished crawler is kept)."""

    sites_done: int = 0
    fetches: int = 0
    pages: int = 0
    files: int = 0
    reports: int = 0
    new_objects: int = 0
    rendered: int = 0
    bytes: int = 0
    statuses: dict[str, int] = field(default_factory=dict)

    def add(self, stats: dict[str, Any], status: str) -> None:
        self.sites_done += 1
        self.fetches += sum(v for k, v in stats.items() if k.startswith("nianbao/fetches/"))
        self.pages += sum(stats.get(f"nianbao/fetches/{role}", 0) for role in PAGE_ROLES)
        self.files += stats.get("nianbao/fetches/attachment", 0)
        self.reports += stats.get("nianbao/fetches/report", 0)
        self.new_objects += stats.get("nianbao/new_objects", 0)
        self.rendered += stats.get("nianbao/rendered", 0)
        self.bytes += stats.get("nianbao/bytes", 0)
        self.statuses[status] = self.statuses.get(status, 0) + 1

    def as_stats(self) -> dict[str, Any]:
        return {
            "sites": self.sites_done,
            "fetches": self.fetches,
            "new_objects": self.new_objects,
            "rendered": self.rendered,
            "bytes": self.bytes,
            "site_statuses": dict(self.statuses),
        }


# -- the pool -------------------------------------------------------------------------------
@dataclass
class ActiveSite:
    site: Site
    crawler: Any
    started: float
    timer: Any = None  # the reactor call that stops the site at its time budget

    @property
    def stats(self) -> dict[str, Any]:
        return self.crawler.stats.get_stats()


class SitePool:
    """Runs the sites of ``source`` through ``process`` (a Scrapy ``CrawlerProcess``), at
    most ``slots`` at once, each for at most ``site_timeout`` seconds, and stops the reactor
    when the source is exhausted and the last site has ended."""

    def __init__(
        self,
        process: Any,
        spidercls: type,
        source: SiteSource,
        *,
        slots: int = DEFAULT_CONCURRENT_SITES,
        site_timeout: float = DEFAULT_SITE_TIMEOUT_S,
        on_idle: Callable[[], None] | None = None,
        stops_the_run: Callable[[BaseException], bool] | None = None,
    ) -> None:
        """``stops_the_run(exc)``: a site's crawl failed with ``exc``; True when that is a fault
        of the machine (disk full …) that the caller has taken in hand for the whole run, so
        the site gets no failure row of its own (the database may be what failed)."""
        if slots < 1:
            raise ValueError("the pool needs at least one slot")
        self.process = process
        self.spidercls = spidercls
        self.source = source
        self.slots = slots
        self.site_timeout = site_timeout
        self.stops_the_run = stops_the_run
        self.on_idle = on_idle  # called once when everything is done (stops the reactor)
        self.active: dict[str, ActiveSite] = {}
        self.totals = RunTotals()
        self.started = time.monotonic()
        self._loop: Any = None
        self._finished = False
        self._stopping = False
        self._durations: deque[float] = deque(maxlen=256)  # of the last sites that ended
        self._ended: weakref.WeakSet[Any] = weakref.WeakSet()  # crawlers of ended sites, until freed
        self._last_heartbeat = 0.0

    # -- lifecycle
    def start(self) -> None:
        """Call from the running reactor."""
        from twisted.internet import task

        # Before any crawl: objects frozen while a crawl runs would outlive it (gc_freeze.py).
        freeze_startup_objects()
        self._loop = task.LoopingCall(self._tick)
        self._loop.start(POLL_INTERVAL_S)

    def crawlers_not_freed(self) -> int:
        """Crawlers of ended sites still alive after a full collection (should be none: each
        one left alive would keep its site's memory for the rest of the run)."""
        gc.collect()
        return len(self._ended)

    def median_site_seconds(self) -> float | None:
        return statistics.median(self._durations) if self._durations else None

    def queued(self) -> int | None:
        counter = getattr(self.source, "queued", None)
        return counter() if callable(counter) else None

    def _tick(self) -> None:
        heartbeat = getattr(self.source, "heartbeat", None)
        if callable(heartbeat) and time.monotonic() - self._last_heartbeat >= 5:
            self._last_heartbeat = time.monotonic()
            heartbeat()
        self._fill()

    def stop_starting(self) -> None:
        """No new site from now on (the process is shutting down)."""
        self._stopping = True

    def _fill(self) -> None:
        while len(self.active) < self.slots and not self._stopping:
            site = self.source.next_site()
            if site is None:
                break
            self._start_site(site)
        if not self.active and (self._stopping or self.source.exhausted()):
            self._finish()

    def _finish(self) -> None:
        if self._finished:
            return
        self._finished = True
        if self._loop is not None and self._loop.running:
            self._loop.stop()
        if self.on_idle is not None:
            self.on_idle()

    # -- one site
    def _start_site(self, site: Site) -> None:
        from twisted.internet import reactor

        crawler = self.process.create_crawler(self.spidercls)
        entry = ActiveSite(site=site, crawler=crawler, started=time.monotonic())
        self.active[site.name] = entry
        if self.site_timeout > 0:
            entry.timer = reactor.callLater(self.site_timeout, self._time_out, site.name)  # type: ignore[attr-defined]
        logger.info("site %s: started (%d active)", site.name, len(self.active))
        deferred = self.process.crawl(crawler, site=site)
        deferred.addBoth(self._site_ended, site.name)

    def _time_out(self, name: str) -> None:
        entry = self.active.get(name)
        if entry is None:
            return
        entry.timer = None
        logger.warning("site %s: time budget of %.0f s used up, stopping it", name, self.site_timeout)
        try:
            engine = entry.crawler.engine
        except RuntimeError:  # not open yet: look again in a second
            from twisted.internet import reactor

            entry.timer = reactor.callLater(1, self._time_out, name)  # type: ignore[attr-defined]
            return
        if engine.spider is None:
            return
        deferred_from_coro(engine.close_spider_async(reason=SITE_TIMEOUT))
        # Requests on the wire would hold the close until their own timeout.
        cancelled = cancel_in_flight(entry.crawler)
        logger.info("site %s: %d downloads cancelled", name, cancelled)

    def _site_ended(self, result: Any, name: str) -> None:
        entry = self.active.pop(name)
        if entry.timer is not None and entry.timer.active():
            entry.timer.cancel()
        crawler = entry.crawler
        stats = _final_stats(crawler)
        status = stats.get("nianbao/site_status") or ("failed" if _is_failure(result) else "ok")
        if _is_failure(result) and not (self.stops_the_run and self.stops_the_run(result.value)):
            _record_failure(crawler, entry.site, result.getErrorMessage())
        self.totals.add(stats, status)
        self._durations.append(time.monotonic() - entry.started)
        self.source.site_done(entry.site, status)
        # Drop every reference to the crawler (the process keeps none once its crawl ended).
        self._ended.add(crawler)
        entry.crawler = None
        del crawler, entry
        self._fill()


def _record_failure(crawler: Any, site: Site, reason: str) -> None:
    """A crawl that broke down before its health could be written: say so in the archive."""
    from crawler.runs import run_context

    logger.error("site %s: the crawl failed: %s", site.name, reason)
    ctx = run_context(crawler)
    message = f"site {site.name}: the crawl failed: {reason}"
    ctx.archive.add_problem("crawl", message, run_id=ctx.run_id, site=site.name, url=site.start_urls[0])
    ctx.archive.record_site_run(ctx.run_id, site.name, status="failed", note=reason[:500])
    ctx.archive.upsert_site(site.name, status="failed", last_run_id=ctx.run_id)


def _final_stats(crawler: Any) -> dict[str, Any]:
    try:
        return dict(crawler.stats.get_stats())
    except (AttributeError, RuntimeError):  # the crawl failed before its stats existed
        return {}


def _is_failure(result: Any) -> bool:
    from twisted.python.failure import Failure

    return isinstance(result, Failure)
