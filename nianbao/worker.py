"""``nianbao crawl --redis URL --data-dir SHARD``: this process as one worker of a crawl
shared through Redis.

The first worker seeds the crawl (its run id and sites, once: a Lua script); every worker
leases server groups from it through the site pool and writes what it fetches into its own
data dir, a *shard*. Shards share the run id; fetch and problem ids of shard ``N`` start at
``N × 10¹²`` (``N`` handed out by Redis, kept by the data dir), so ``nianbao merge`` unions
shards without renumbering. A worker parses nothing: the merge parses the union.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from typing import Any

from scrapy.settings import Settings

from archive import Archive
from crawler.pool import HostResolver, server_keys
from crawler.redis_crawl.scheduler import activate
from crawler.redis_crawl.shared import RedisGone, Seeded, SharedCrawl
from crawler.redis_crawl.source import (
    Heartbeat,
    RedisSiteSource,
    seed_entries,
    server_groups,
    sites_digest,
)
from crawler.sites import Site, SiteConfigError
from nianbao.crawl import _run_pool, crawl_settings, project_settings
from nianbao.exit_codes import ExitCode
from nianbao.outcome import RUN_END

logger = logging.getLogger(__name__)

SHARD_SPAN = 10**12  # ids per shard


@dataclass
class WorkerResult:
    run_id: int | None
    exit_code: int
    message: str = ""


def run_worker(
    archive: Archive,
    sites: list[Site],
    redis_url: str,
    *,
    overrides: dict[str, str],
    verbose: bool = False,
    show_progress: bool = False,
    concurrent_sites: int,
    site_timeout: float,
) -> WorkerResult:
    probe = project_settings(overrides)
    shared = SharedCrawl(
        redis_url,
        prefix=probe.get("NIANBAO_REDIS_PREFIX"),
        ttl_s=probe.getfloat("NIANBAO_REDIS_TTL"),
        retry_s=probe.getfloat("NIANBAO_REDIS_RETRY"),
    )
    digest = sites_digest(sites)
    try:
        seeded = shared.seeded() or _seed(shared, sites, digest)
        shard = _shard_number(archive, shared, seeded.run_id, seeded.crawl_key)
        shared.register()
    except RedisGone as exc:
        return WorkerResult(None, ExitCode.FAILED, str(exc))
    if seeded.digest != digest:
        raise SiteConfigError(
            f"the crawl {shared.prefix!r} in {redis_url} is over another sites file "
            "(give this crawl a new name: -s NIANBAO_REDIS_PREFIX=…)"
        )
    run_id = seeded.run_id
    archive.use_id_range(shard * SHARD_SPAN)
    if archive.db["crawl_runs"].count_where("id = ?", [run_id]) == 0:
        names = [s.name for s in sites]
        archive.start_run(
            "crawl", mode="live", sites=names, user_agent=probe.get("USER_AGENT"), run_id=run_id
        )
    # Named at once, so that the shard of a worker killed before its end still merges.
    named = {"crawl_key": seeded.crawl_key, "shard": shard}
    archive.update_run(run_id, stats=named)
    settings = crawl_settings(archive, run_id, replay=[], record=None, overrides=overrides, verbose=verbose)
    _use_redis_frontier(settings, site_timeout)
    activate(shared)
    heartbeat = Heartbeat(shared)
    heartbeat.start()
    try:
        pool = _run_pool(
            settings,
            RedisSiteSource(shared),
            slots=concurrent_sites,
            site_timeout=site_timeout,
            show_progress=show_progress,
        )
    finally:
        heartbeat.stop()
        if shared.failure is None:
            try:
                shared.leave()
            except RedisGone as exc:
                shared.failed(exc)
    stats: dict[str, Any] = pool.totals.as_stats()
    stats.update(crawl_key=seeded.crawl_key, shard=shard, worker=shared.worker, redis=shared.prefix)
    stats["problems"] = archive.count_problems(run_id)
    done = _sites_done(shared)
    if shared.failure is not None:
        code = ExitCode.FAILED
        stats["failure"] = str(shared.failure)
    elif done < len(sites):  # the pool ended before the crawl: Ctrl-C or SIGTERM, sites handed back
        code = ExitCode.from_signal(RUN_END.signum) if RUN_END.signum else ExitCode.INTERRUPTED
    else:
        code = ExitCode.PROBLEMS if stats["problems"] else ExitCode.OK
    stats.update(crawl_sites=len(sites), crawl_sites_done=done)
    archive.finish_run(run_id, exit_code=code, stats=stats)
    return WorkerResult(run_id, code, str(shared.failure or ""))


def _sites_done(shared: SharedCrawl) -> int:
    """How many sites of the crawl are done (a worker leaves only once all are)."""
    if shared.failure is not None:
        return 0
    try:
        return len(shared.done())
    except RedisGone as exc:
        shared.failed(exc)
        return 0


def _seed(shared: SharedCrawl, sites: list[Site], digest: str) -> Seeded:
    """Seed the crawl (unless another worker is quicker). Only then are the host names
    resolved into server groups: thousands of look-ups, once per crawl."""
    resolver = HostResolver()
    groups = server_groups(sites, lambda site: server_keys(site, resolver))
    return shared.seed(int(time.time()), digest, seed_entries(sites, groups))


def _use_redis_frontier(settings: Settings, site_timeout: float) -> None:
    settings.set("SCHEDULER", "crawler.redis_crawl.scheduler.RedisSiteScheduler", priority="cmdline")
    settings.set("SCHEDULER_PERSIST", True, priority="cmdline")  # (forced by the scheduler anyway)
    middlewares = dict(settings.getdict("SPIDER_MIDDLEWARES"))
    middlewares["crawler.frontier.FrontierDoneMiddleware"] = None
    middlewares["crawler.redis_crawl.scheduler.RedisDoneMiddleware"] = 10
    settings.set("SPIDER_MIDDLEWARES", middlewares, priority="cmdline")
    settings.set("NIANBAO_SITE_TIMEOUT", site_timeout, priority="cmdline")


def _shard_number(archive: Archive, shared: SharedCrawl, run_id: int, crawl_key: str) -> int:
    """The data dir's shard number in this crawl: the one it had when the worker started here
    before (a restart), else a new one from Redis above any its ids use: a shard may start as
    a copy of the merged archive (so that pages are revalidated) and its new ids are new."""
    row = archive.db.execute("SELECT stats FROM crawl_runs WHERE id = ?", [run_id]).fetchone()
    stats = json.loads(row[0] or "{}") if row else {}
    same_crawl = stats.get("crawl_key") == crawl_key and stats.get("shard")
    if same_crawl:
        return int(stats["shard"])
    largest = max(
        archive.db.execute(f"SELECT coalesce(max(id), 0) FROM [{table}]").fetchone()[0]
        for table in ("fetches", "problems")
    )
    return shared.next_shard(minimum=largest // SHARD_SPAN)
