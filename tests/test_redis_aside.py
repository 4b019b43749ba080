"""Links discovery sets aside, kept in Redis for every worker of a crawl
(``crawler/redis_crawl/aside.py``), against a real redis-server: the store's order and
dedup, one link to one worker, when a site with links aside is done, and a crawl whose worker
is SIGKILLed after setting links aside, finished by another worker through those links."""

from __future__ import annotations

import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from crawler.frontier import AsideLink
from crawler.redis_crawl.aside import RedisAside
from crawler.redis_crawl.shared import SharedCrawl
from crawler.redis_crawl.source import RedisSiteSource, seed_entries, server_groups, sites_digest
from crawler.scoring import STRONG, score_link
from crawler.sites import Site
from tests.helpers import FAST, ROOT, sites_yaml_for
from tests.mockportal import MockServer, Resource
from tests.mockportal.generator import generate
from tests.redis_server import RedisServer

SITES = [Site("a", ["http://a.test/"], allowed_domains=["a.test"])]


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    with RedisServer(tmp_path / "redis") as server:
        yield server


def _shared(url: str, name: str) -> SharedCrawl:
    shared = SharedCrawl(url, worker=name, retry_s=2)
    groups = server_groups(SITES, lambda s: frozenset(s.allowed_domains))
    shared.seed(int(time.time()), sites_digest(SITES), seed_entries(SITES, groups))
    shared.register()
    return shared


def _expected_order(pushes: list[tuple[str, int]]) -> list[tuple[str, int]]:
    """What the store should hand back for ``pushes`` (url, score): each URL once with its
    best score, best first, ties in the order that score was met."""
    best: dict[str, tuple[int, int]] = {}
    for seq, (url, score) in enumerate(pushes):
        if url not in best or score > best[url][0]:
            best[url] = (score, seq)
    return [(url, score) for url, (score, _) in sorted(best.items(), key=lambda x: (-x[1][0], x[1][1]))]


@pytest.mark.parametrize("seed", range(5))
def test_best_score_first_then_order_met_and_a_link_met_again_keeps_its_best(
    redis_server: RedisServer, seed: int
) -> None:
    rng = random.Random(seed)
    pushes = [(f"http://a.test/{rng.randrange(40)}", rng.randrange(-20, 120)) for _ in range(150)]
    mediums = [(f"http://a.test/m{rng.randrange(10)}", rng.randrange(0, 50)) for _ in range(30)]
    aside = RedisAside(_shared(redis_server.url, "w1"), "a")
    for url, score in pushes:
        aside.push(AsideLink("weak", url, score, f"链接 {score}", "http://a.test/", 2))
    for url, score in mediums:
        aside.push(AsideLink("medium", url, score, "部门", "http://a.test/list/", 3))
    assert aside.count("weak") == len(pushes), "before they are sent, every link counts as new"
    aside.flush()  # (the scheduler sends them before the page's acknowledgement)
    assert aside.count("weak") == len({url for url, _ in pushes})
    assert aside.count("medium") == len({url for url, _ in mediums})

    # Another worker (a fresh store: nothing counted locally) sees the same links.
    again = RedisAside(_shared(redis_server.url, "w2"), "a")
    assert again.count("weak") == aside.count("weak")
    weak = [again.pop("weak") for _ in range(again.count("weak"))]
    assert [(link.url, link.score) for link in weak] == _expected_order(pushes)
    assert {(link.kind, link.text, link.referer, link.depth) for link in weak} == {
        ("weak", f"链接 {link.score}", "http://a.test/", 2) for link in weak
    }
    assert again.pop("weak") is None and again.count("weak") == 0
    medium = [again.pop("medium") for _ in range(again.count("medium"))]
    assert [(link.url, link.score) for link in medium] == _expected_order(mediums)


def test_two_workers_popping_at_once_never_take_the_same_link(redis_server: RedisServer) -> None:
    urls = [f"http://a.test/{n}" for n in range(600)]
    first = RedisAside(_shared(redis_server.url, "w1"), "a")
    for n, url in enumerate(urls):
        first.push(AsideLink("weak", url, n % 7, "", "", 1))
    first.flush()
    taken: dict[str, list[str]] = {"w1": [], "w2": []}
    start = threading.Barrier(2)

    def drain(worker: str) -> None:
        aside = RedisAside(_shared(redis_server.url, worker), "a")  # its own connection
        start.wait()
        while (link := aside.pop("weak")) is not None:
            taken[worker].append(link.url)

    threads = [threading.Thread(target=drain, args=(worker,)) for worker in taken]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert taken["w1"] and taken["w2"], "both workers took links"
    assert sorted(taken["w1"] + taken["w2"]) == sorted(urls), "every link taken exactly once"
    assert redis_server.client().hlen("nianbao:asidel:a:weak") == 0


def test_a_site_with_links_aside_is_done_only_once_its_crawl_chose_to_leave_them(
    redis_server: RedisServer,
) -> None:
    shared = _shared(redis_server.url, "w1")
    source = RedisSiteSource(shared)
    site = source.next_site()
    assert site is not None
    aside = RedisAside(shared, "a")
    aside.push(AsideLink("weak", "http://a.test/x/", 5, "x", "http://a.test/", 1))
    aside.flush()
    shared.push("a", "", [], found=True)
    source.site_done(site, "interrupted")  # stopped with a link aside: another worker tries it
    assert shared.done() == {} and not shared.exhausted()
    assert shared.aside_left("a") == 1 and shared.found("a")

    site = source.next_site()
    assert site is not None and site.name == "a"
    source.site_done(site, "ok")  # ended by itself: it left the link aside on purpose
    assert shared.done() == {"a": "ok"} and shared.exhausted()
    assert list(redis_server.client().scan_iter("nianbao:aside*")) == []
    assert not shared.found("a")


# -- a crawl: a worker killed after setting links aside, the site carried on by another ------


def _aside_in_redis(server: RedisServer, site: str, kind: str = "*") -> list[str]:
    client = server.client()
    return [
        url.decode()
        for key in client.scan_iter(f"nianbao:aside:{site}:{kind}")
        for url in client.zrange(key, 0, -1)
    ]


def _column_behind_weak_links(seed: int) -> bool:
    """Whether the portal's way to its column starts at a weak link (set aside by discovery)."""
    site, _ = generate(seed)
    sections = site.sections  # type: ignore[attr-defined]
    return site.family in ("trs", "generic") and bool(sections) and score_link(sections[0], "/x/") < STRONG


def _fewest_reports(seeds: list[int]) -> int:
    """(as in tests/test_discovery_generated.py: the crawl then parses little)"""
    return min(seeds, key=lambda s: len(generate(s)[1].reports))


def _fetched(shards: list[Path], roles: tuple[str, ...]) -> set[tuple[str, str]]:
    found = set()
    for shard in shards:
        db = sqlite3.connect(shard / "nianbao.db")
        try:
            marks = ", ".join("?" * len(roles))
            found |= set(
                db.execute(f"SELECT role, url FROM fetches WHERE role IN ({marks})", roles).fetchall()
            )
        finally:
            db.close()
    return found


@dataclass
class _TakeOver:
    """One generated portal crawled by worker A, SIGKILLed while the portal holds back the
    answer to a request (``gated``), then by worker B, which takes the site over once A's
    heartbeat has expired."""

    site: Any
    truth: Any
    tmp: Path
    gated: Callable[[str], bool]
    gate_answer: Resource | None = None  # None: the portal's own answer (once A is gone)
    only_gate_left: bool = False  # kill A only once the held-back request is all it has left

    def run(self) -> None:
        reached, opened = threading.Event(), threading.Event()
        portal_answers = self.site.dynamic

        def gate(method: str, path: str, form: bytes) -> Resource | None:
            if self.gated(path):
                if not opened.is_set():
                    reached.set()
                    opened.wait(30)
                if self.gate_answer is not None:
                    return self.gate_answer
            return portal_answers(method, path, form) if portal_answers else None

        self.site.dynamic = gate
        self.shards = [self.tmp / "shard-a", self.tmp / "shard-b"]
        with MockServer([self.site], proxy=False) as server, RedisServer(self.tmp / "redis") as redis_server:
            self.server, self.redis = server, redis_server
            sites_file = sites_yaml_for(self.tmp / "sites.yaml", [self.site], server.base_url)
            first = self._worker(sites_file, self.shards[0])
            try:
                got_there = reached.wait(60)
                deadline = time.monotonic() + 30
                while self.only_gate_left and not self._only_gate_left() and time.monotonic() < deadline:
                    time.sleep(0.05)
                first.send_signal(signal.SIGKILL)
            finally:
                if first.poll() is None:
                    first.kill()
                output, _ = first.communicate(timeout=30)
            assert got_there, f"worker A never reached the held-back answer: {output}"
            self.aside = {
                kind: _aside_in_redis(redis_server, self.site.name, kind) for kind in ("medium", "weak")
            }
            self.found_by_a = redis_server.client().exists(f"nianbao:found:{self.site.name}")
            self.served_to_a = len(server.requests)
            opened.set()
            second = self._worker(sites_file, self.shards[1])
            try:
                output, _ = second.communicate(timeout=120)
            finally:
                if second.poll() is None:
                    second.kill()
                    second.communicate(timeout=30)
            assert second.returncode in (0, 1), output
            self.done = redis_server.client().hgetall("nianbao:done")
            self.keys_left = list(redis_server.client().scan_iter(f"nianbao:*{self.site.name}*"))
            self.served_to_b = [path for _, _, path in server.requests[self.served_to_a :]]

    def _only_gate_left(self) -> bool:
        client, name = self.redis.client(), self.site.name
        return client.zcard(f"nianbao:q:{name}") == 0 and int(client.get(f"nianbao:busy:{name}") or 0) == 1

    def _worker(self, sites_file: Path, shard: Path) -> subprocess.Popen[str]:
        command = [sys.executable, "-m", "nianbao.cli", "crawl", "--sites", str(sites_file)]
        command += ["--redis", self.redis.url, "--data-dir", str(shard), *FAST, "-s", "NIANBAO_REDIS_TTL=1.5"]
        return subprocess.Popen(
            [*command, "-q"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )

    def expected(self) -> set[tuple[str, str]]:
        base = self.server.base_url(self.site.name).rstrip("/")
        return {("report", base + p) for p in self.truth.reports} | {
            ("attachment", base + p) for p in self.truth.attachments
        }


@pytest.mark.slow  # two worker processes, a real redis-server
def test_a_worker_killed_after_setting_links_aside_and_another_finds_the_reports_behind_them(
    tmp_path: Path,
) -> None:
    """A portal whose column lies behind weak links only, and a 政务公开 section that answers
    slowly. Worker A is SIGKILLed while it waits for that section, with the home page handled
    and the weak links set aside in Redis (the section's request is queued with the home page's
    acknowledgement, after its links were set aside). Only through those links can worker B
    find the reports."""
    site, truth = generate(_fewest_reports([s for s in range(1000, 1100) if _column_behind_weak_links(s)]))
    home = site.resources["/"]
    gate = b'<ul class="nav"><li><a href="/gate/">&#25919;&#21153;&#20844;&#24320;</a></li>'  # 政务公开
    site.resources["/"] = replace(home, body=home.body.replace(b'<ul class="nav">', gate, 1))
    english = Resource(b'<html><body><a href="/en/">English</a></body></html>', "text/html")
    run = _TakeOver(site, truth, tmp_path, lambda path: path.startswith("/gate/"), english)
    run.run()
    assert run.aside["weak"], "A was killed with links set aside in Redis"
    assert not _fetched(run.shards[:1], ("report", "attachment")), "A found nothing"
    assert _fetched(run.shards[1:], ("report", "attachment")) == run.expected()
    assert site.name in {k.decode() for k in run.done}, "the site is done"
    assert run.keys_left == [], "and its keys, links aside among them, are dropped"


@pytest.mark.slow  # two worker processes, a real redis-server
def test_a_worker_taking_over_a_site_whose_reports_were_found_leaves_its_weak_links(
    tmp_path: Path,
) -> None:
    """The other way round: A found the column and fetched every report page, with weak links
    set aside, and is SIGKILLed while an attachment is held back, all it has left to do. B
    fetches that attachment but, as A would have, none of the weak links: reports were found
    (by A: B's own crawl fetches no report page)."""
    seeds = [s for s in range(1000, 1100) if not _column_behind_weak_links(s)]
    seeds = [s for s in seeds if not generate(s)[0].script_mode and generate(s)[1].attachments]
    site, truth = generate(_fewest_reports(seeds))
    held = sorted(truth.attachments)[-1]
    run = _TakeOver(site, truth, tmp_path, lambda path: path == held, only_gate_left=True)
    run.run()
    assert run.found_by_a and run.aside["weak"], "A found reports, with weak links set aside"
    assert _fetched(run.shards, ("report", "attachment")) == run.expected()
    assert not _fetched(run.shards[1:], ("report",)), "B fetched no report page itself"
    assert held in run.served_to_b
    weak_paths = {urlsplit(url).path for url in run.aside["weak"]}
    assert not weak_paths & set(run.served_to_b), "B tried none of the weak links"
    assert run.keys_left == []
