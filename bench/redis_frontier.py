"""``python -m bench.redis_frontier``: the Redis frontier's cost per request, against plain
scrapy-redis on the same redis-server (AOF on, ``appendfsync everysec``).

* ``memory`` — Redis memory per queued request (queue entry, stored request, fingerprint) and
  per fingerprint left in a seen-set, with requests like a portal's (URL, role, link text).
  For the paper estimate in the README.
* ``rate`` — requests through push → pop → acknowledge per second, one Redis script per
  response's children and one per pop, against scrapy-redis's own PriorityQueue push/pop plus
  its dupefilter (which loses a popped request when the worker dies). Target: ≥ 0.8 × its rate
  (reliability for little or nothing: one call per response instead of two per request), and
  far above a polite crawl's needs (a worker of 32 sites at one request per 1.5 s asks ≈21/s).

Prints one line per figure and writes ``bench/results/redis_frontier.json``.
"""

from __future__ import annotations

import hashlib
import json
import pickle
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from scrapy import Request, Spider
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.queue import PriorityQueue

from bench.report import section
from crawler.redis_crawl.shared import SharedCrawl

RESULTS = Path(__file__).resolve().parent / "results" / "redis_frontier.json"
N = 20_000
CHILDREN = 10  # requests a listing page yields


def _request(i: int) -> Request:
    url = f"http://www.example.gov.cn/zwgk/xxgk/ndbg/2024/t20240115_{i}.html"
    meta = {"role": "report", "link_text": "某区人民政府2023年政府信息公开工作年度报告", "depth": 4}
    return Request(url, meta=meta, headers={"Referer": "http://www.example.gov.cn/zwgk/ndbg/index_3.html"})


def _entry(request: Request) -> tuple[str, int, bool, bytes]:
    data = pickle.dumps(request.to_dict(), protocol=pickle.HIGHEST_PROTOCOL)
    return hashlib.sha1(request.url.encode()).hexdigest(), 0, False, data


def memory(shared: SharedCrawl) -> dict[str, float]:
    client = shared.redis
    base = client.info("memory")["used_memory"]
    entries = [_entry(_request(i)) for i in range(N)]
    for start in range(0, N, CHILDREN):
        shared.push("mem", "", entries[start : start + CHILDREN])
    queued = client.info("memory")["used_memory"]
    while (got := shared.pop("mem")) is not None:
        shared.push("mem", got[0], [])
    seen = client.info("memory")["used_memory"]
    return {
        "bytes_per_queued_request": round((queued - base) / N),
        "bytes_per_seen_fingerprint": round((seen - base) / N),
        "pickled_request_bytes": len(entries[0][3]),
    }


def ours(shared: SharedCrawl, n: int) -> float:
    """Pop a request, queue its children and acknowledge it in one script: requests/s."""
    entries = [_entry(_request(i)) for i in range(n)]
    shared.push("rate", "", entries[:1])
    started, done, queued = time.perf_counter(), 0, 1
    while (got := shared.pop("rate")) is not None:
        children = entries[queued : queued + CHILDREN]
        queued += len(children)
        shared.push("rate", got[0], children)
        done += 1
    return done / (time.perf_counter() - started)


def plain(url: str, n: int) -> float:
    """scrapy-redis as shipped: dupefilter SADD and ZADD per request, MULTI pop."""
    import redis

    server = redis.Redis.from_url(url)
    spider = Spider("bench")
    queue = PriorityQueue(server, spider, "plain:q")
    dupes = RFPDupeFilter(server, "plain:seen")
    requests = [_request(i) for i in range(n)]
    queue.push(requests[0])
    started, done, queued = time.perf_counter(), 0, 1
    while queue.pop() is not None:
        for child in requests[queued : queued + CHILDREN]:
            if not dupes.request_seen(child):
                queue.push(child)
        queued += CHILDREN
        done += 1
    return done / (time.perf_counter() - started)


def main() -> int:
    from tests.redis_server import RedisServer

    with tempfile.TemporaryDirectory() as tmp, RedisServer(Path(tmp)) as server:
        shared = SharedCrawl(server.url)
        figures: dict[str, Any] = memory(shared)
        figures["ours_requests_per_s"] = round(ours(shared, 5000))
        figures["scrapy_redis_requests_per_s"] = round(plain(server.url, 5000))
    ratio = figures["ours_requests_per_s"] / figures["scrapy_redis_requests_per_s"]
    result = section(
        "redis_frontier",
        figures,
        ratio=ratio,
        ratio_of="requests/s: reliable pop+ack / plain scrapy-redis",
        target=">= 0.8",
        passed=ratio >= 0.8,
    )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    for name, value in figures.items():
        print(f"{name:32} {value}")
    print(f"{'ratio':32} {ratio:.2f} (target >= 0.8): {'pass' if result['pass'] else 'FAIL'}")
    return 0 if result["pass"] else 1


if __name__ == "__main__":
    sys.exit(main())
