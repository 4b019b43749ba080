"""The pool's ``SiteSource`` over a shared crawl: sites leased from Redis by server group,
a heartbeat thread that keeps this worker's leases and reaps dead workers' ones."""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections.abc import Callable
from dataclasses import asdict

from crawler.redis_crawl.shared import DeclaredDead, RedisGone, SharedCrawl
from crawler.sites import Site

logger = logging.getLogger(__name__)

# A site that ends so is done even with requests left: no other worker should try again.
FINAL_STATUSES = ("blocked", "timed out")
# A site that ends so was stopped (Ctrl-C, SIGTERM): it did not choose to leave its links set aside.
STOPPED_STATUSES = ("interrupted",)


def site_fields(site: Site) -> str:
    return json.dumps(asdict(site), ensure_ascii=False, sort_keys=True)


def sites_digest(sites: list[Site]) -> str:
    """Which sites a crawl is over: workers with another sites file are refused."""
    return hashlib.sha256("\n".join(site_fields(s) for s in sites).encode()).hexdigest()[:16]


def server_groups(sites: list[Site], keys: Callable[[Site], frozenset[str]]) -> dict[str, str]:
    """Site name → its server group: sites sharing any server key (host name, IP address) are
    one group, named after its first site.

    >>> keys = lambda s: frozenset(s.allowed_domains)
    >>> sites = [Site("a", ["http://a.test/"], allowed_domains=["a.test", "cdn.test"]),
    ...          Site("b", ["http://b.test/"], allowed_domains=["b.test"]),
    ...          Site("c", ["http://c.test/"], allowed_domains=["cdn.test"])]
    >>> server_groups(sites, keys)
    {'a': 'a', 'b': 'b', 'c': 'a'}
    """
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for site in sites:
        root = find(f"site:{site.name}")
        for key in keys(site):
            other = find(key)
            if other != root:
                parent[other] = root
    first: dict[str, str] = {}
    for site in sites:
        first.setdefault(find(f"site:{site.name}"), site.name)
    return {site.name: first[find(f"site:{site.name}")] for site in sites}


class RedisSiteSource:
    """Sites of the shared crawl for this worker's pool (see ``crawler.pool.SiteSource``)."""

    def __init__(self, shared: SharedCrawl) -> None:
        self.shared = shared

    def next_site(self) -> Site | None:
        if self.shared.failure is not None:
            return None
        try:
            got = self.shared.lease()
        except RedisGone as exc:
            self.shared.failed(exc)
            return None
        if got is None:
            return None
        name, fields = got
        logger.info("site %s: leased by %s", name, self.shared.worker)
        return Site(**fields)

    def site_done(self, site: Site, status: str) -> None:
        if self.shared.failure is not None:
            return  # the worker stops; its heartbeat expires and others take the site
        try:
            finished = self.shared.release(
                site.name, status, final=status in FINAL_STATUSES, ended=status not in STOPPED_STATUSES
            )
        except RedisGone as exc:
            self.shared.failed(exc)
            return
        if not finished:
            logger.warning("site %s: stopped with work left; back in the shared queue", site.name)

    def exhausted(self) -> bool:
        """Every site is done — or this worker must stop. Until then a worker waits even with
        nothing to lease: a site another worker crawls may come back if that worker dies."""
        if self.shared.failure is not None:
            return True
        try:
            return self.shared.exhausted()
        except RedisGone as exc:
            self.shared.failed(exc)
            return True

    def heartbeat(self) -> None:
        """Nothing to do: :class:`Heartbeat` beats in a thread of its own, so a busy reactor
        never lets this worker's leases expire."""


class Heartbeat(threading.Thread):
    """Refreshes this worker's heartbeat every third of its TTL, and requeues the work of
    workers whose heartbeat expired."""

    def __init__(self, shared: SharedCrawl) -> None:
        super().__init__(name="nianbao-redis-heartbeat", daemon=True)
        self.shared = shared
        self.stopping = threading.Event()

    def run(self) -> None:
        interval = self.shared.ttl_ms / 3000
        while not self.stopping.wait(interval) and self.shared.failure is None:
            try:
                self.shared.heartbeat()
                for worker in self.shared.reap():
                    logger.warning("worker %s stopped beating: its sites and requests are requeued", worker)
            except (RedisGone, DeclaredDead) as exc:
                self.shared.failed(exc)

    def stop(self) -> None:
        self.stopping.set()
        self.join(timeout=5)


def seed_entries(sites: list[Site], groups: dict[str, str]) -> list[tuple[str, str, str]]:
    return [(site.name, site_fields(site), groups[site.name]) for site in sites]
