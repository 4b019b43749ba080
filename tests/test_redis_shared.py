"""The shared-crawl primitives against a real redis-server: seeding once, leases by server
group, reliable pop and acknowledge, a dead worker's work requeued."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from crawler.redis_crawl.shared import DeclaredDead, RedisGone, SharedCrawl
from crawler.redis_crawl.source import RedisSiteSource, seed_entries, server_groups, sites_digest
from crawler.sites import Site
from tests.redis_server import RedisServer

SITES = [
    Site("a1", ["http://shared.test/a1/"], allowed_domains=["shared.test"]),
    Site("a2", ["http://shared.test/a2/"], allowed_domains=["shared.test"]),
    Site("b", ["http://b.test/"], allowed_domains=["b.test"]),
]


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    with RedisServer(tmp_path / "redis") as server:
        yield server.url


def _worker(url: str, name: str, ttl_s: float = 30) -> SharedCrawl:
    shared = SharedCrawl(url, worker=name, ttl_s=ttl_s, retry_s=2)
    groups = server_groups(SITES, lambda s: frozenset(s.allowed_domains))
    shared.seed(int(time.time()), sites_digest(SITES), seed_entries(SITES, groups))
    shared.register()
    return shared


def test_the_first_worker_seeds_and_the_others_join(redis_url: str) -> None:
    groups = server_groups(SITES, lambda s: frozenset(s.allowed_domains))
    entries = seed_entries(SITES, groups)
    first = SharedCrawl(redis_url).seed(111, "d1", entries)
    second = SharedCrawl(redis_url).seed(222, "d1", entries)
    assert first.seeded_here and not second.seeded_here
    assert (second.run_id, second.crawl_key) == (111, first.crawl_key)
    assert SharedCrawl(redis_url).command("LLEN", "nianbao:todo") == len(SITES)  # seeded once


def test_a_server_group_is_leased_by_one_worker_at_a_time(redis_url: str) -> None:
    w1, w2 = _worker(redis_url, "w1"), _worker(redis_url, "w2")
    s1, s2 = RedisSiteSource(w1), RedisSiteSource(w2)
    got = [s1.next_site(), s2.next_site(), s2.next_site(), s1.next_site()]
    names = [site.name if site else None for site in got]
    assert names[:2] == ["a1", "b"] and names[2:] == [None, None]  # a2 shares a1's server
    s2.site_done(got[1], "ok")
    assert not s1.exhausted()
    s1.site_done(got[0], "ok")
    assert s2.next_site().name == "a2"


def _push_pop(shared: SharedCrawl, site: str, fps: list[str]) -> list[str]:
    shared.push(site, "", [(fp, 0, False, json.dumps(fp).encode()) for fp in fps])
    popped = []
    while (got := shared.pop(site)) is not None:
        popped.append(got[0])
    return popped


def test_a_request_leaves_progress_only_with_what_its_response_yielded(redis_url: str) -> None:
    w = _worker(redis_url, "w")
    assert _push_pop(w, "b", ["home", "home"]) == ["home"]  # seen once
    assert w.command("HLEN", "nianbao:wip:w") == 1
    w.push("b", "home", [("list", 0, False, b"x"), ("home", 0, False, b"x")])  # yielded + ack
    assert w.command("HLEN", "nianbao:wip:w") == 0
    assert w.pop("b") == ("list", b"x")
    assert not w.release("b", "ok"), "its popped request went back: not done"
    assert w.pop("b") == ("list", b"x")
    w.push("b", "list", [])
    assert w.release("b", "ok") and w.done() == {"b": "ok"}


def test_a_dead_workers_requests_and_leases_go_to_the_others(redis_url: str) -> None:
    dead, alive = _worker(redis_url, "dead", ttl_s=0.3), _worker(redis_url, "alive")
    site = RedisSiteSource(dead).next_site()
    assert site is not None
    assert _push_pop(dead, site.name, ["p1", "p2"]) == ["p1", "p2"]
    assert alive.reap() == []
    time.sleep(0.5)  # no heartbeat: expired
    assert alive.reap() == ["dead"]
    with pytest.raises(DeclaredDead):
        dead.heartbeat()
    taken = RedisSiteSource(alive).next_site()
    assert taken is not None and taken.name == site.name
    assert sorted(_push_pop(alive, site.name, [])) == ["p1", "p2"]


def test_a_redis_restart_within_the_retry_budget_is_ridden_out_and_a_longer_outage_stops(
    tmp_path: Path,
) -> None:
    with RedisServer(tmp_path / "redis") as server:
        patient = SharedCrawl(server.url, worker="w", retry_s=30)
        patient.register()
        server.stop()
        restart = threading.Timer(0.5, server.start)
        restart.start()
        patient.heartbeat()  # retried with backoff until Redis is back, AOF reloaded
        restart.join()
        assert server.client().sismember("nianbao:workers", "w"), "the AOF kept the crawl"
        server.stop()
        impatient = SharedCrawl(server.url, worker="x", retry_s=0.5)
        with pytest.raises(RedisGone, match=r"Redis at redis://127\.0\.0\.1:\d+/0 unreachable for 0 s"):
            impatient.register()
        with pytest.raises(RedisGone, match="stops"):  # once failed, the worker touches nothing
            impatient.failed(RedisGone("gone"))
            impatient.heartbeat()


def test_shard_numbers_never_repeat_and_stay_above_the_ids_a_data_dir_holds(redis_url: str) -> None:
    a, b = SharedCrawl(redis_url), SharedCrawl(redis_url, prefix="next-crawl")
    first = a.next_shard()
    assert b.next_shard() == first + 1  # across crawls
    above = [a.next_shard(minimum=40), b.next_shard(minimum=40)]  # two copies of one archive
    assert above == [41, 42]
