"""A crawl frontier and seen-set on disk, in SQLite, that survives ``kill -9``.

Scrapy's own JOBDIR queues write their index only on a clean shutdown; a killed crawl
loses them. Here every request is a row (``DATA/frontier/<site>.sqlite``) keyed by its
fingerprint, so the seen-set and the queue are one table and memory stays flat however
large the site. Changes are committed in groups, at least every ``COMMIT_INTERVAL_S``
(a commit per change cost more than all the rest of the frontier's work).

A request is ``queued``, then ``popped`` when handed to the downloader, then ``done`` once
the spider has handled its response and every request it yielded is itself in the table
(:class:`FrontierDoneMiddleware`). A killed crawl leaves some rows ``popped``: the next
crawl of the site puts them back in the queue and carries on. As a request is marked done
only after what it yielded, every committed state is a consistent one: a kill loses at
most the last fraction of a second of progress, which the next crawl does again. A crawl
that finishes deletes its frontier, so the next scheduled crawl starts afresh from the
home page.

Links the best-first discovery sets aside (:class:`AsideLink`: weak links tried only while
nothing was found, a listing's department-like links tried at the end) are rows of the same
file (table ``aside``), written in the same transactions as the requests: a killed crawl
resumes with them, as it resumes with its queue. Progress is committed on a timer as well,
so a crawl waiting on a slow answer has its last steps on disk too.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import pickle
import sqlite3
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.http import Response
from scrapy.utils.reactor import CallLaterOnce
from scrapy.utils.request import request_from_dict

from vocabulary import Meta

logger = logging.getLogger(__name__)

RECENT_FINGERPRINTS = 4096
COMMIT_INTERVAL_S = 0.1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS requests (
    fp TEXT PRIMARY KEY,
    seq INTEGER NOT NULL,
    priority INTEGER NOT NULL,
    state TEXT NOT NULL,          -- queued | popped | done
    data BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS requests_queue ON requests(state, priority DESC, seq);
CREATE TABLE IF NOT EXISTS aside (
    kind TEXT NOT NULL,           -- which set: medium | weak
    url TEXT NOT NULL,
    score INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    text TEXT NOT NULL,
    referer TEXT NOT NULL,
    depth INTEGER NOT NULL,
    PRIMARY KEY (kind, url)
);
CREATE INDEX IF NOT EXISTS aside_best ON aside(kind, score DESC, seq);
"""


@dataclass(frozen=True)
class AsideLink:
    """A link discovery set aside: tried later, best score first (then in the order met)."""

    kind: str  # "medium" (a listing's department-like link) or "weak"
    url: str
    score: int
    text: str
    referer: str
    depth: int


class AsideStore(Protocol):
    """Where discovery keeps the links it sets aside (:class:`SqliteAside`, :class:`MemoryAside`,
    ``crawler.redis_crawl.aside.RedisAside``): a link met again keeps its best score; the best
    score is taken first, then the first met."""

    def push(self, link: AsideLink) -> None: ...

    def pop(self, kind: str) -> AsideLink | None: ...

    def count(self, kind: str) -> int: ...


class MemoryAside:
    """Links set aside, in memory (a scheduler without a store of its own, e.g. Scrapy's).

    >>> aside = MemoryAside()
    >>> for score, url in ((5, "a"), (20, "b"), (5, "c")):
    ...     aside.push(AsideLink("weak", url, score, "", "", 1))
    >>> aside.count("weak"), [aside.pop("weak").url for _ in range(3)], aside.pop("weak")
    (3, ['b', 'a', 'c'], None)
    """

    def __init__(self) -> None:
        self._heaps: dict[str, list[tuple[int, int, AsideLink]]] = {}
        self._seq = itertools.count()

    def push(self, link: AsideLink) -> None:
        heapq.heappush(self._heaps.setdefault(link.kind, []), (-link.score, next(self._seq), link))

    def pop(self, kind: str) -> AsideLink | None:
        heap = self._heaps.get(kind)
        return heapq.heappop(heap)[2] if heap else None

    def count(self, kind: str) -> int:
        return len(self._heaps.get(kind, ()))


class SqliteAside:
    """Links set aside, in the site's frontier file (they survive ``kill -9`` with it). A link
    met again keeps its best score."""

    def __init__(self, frontier: SqliteFrontier) -> None:
        self.frontier = frontier
        self._counts: dict[str, int] = {}

    def _conn(self) -> sqlite3.Connection:
        assert self.frontier.conn is not None, "the frontier is not open"
        return self.frontier.conn

    def push(self, link: AsideLink) -> None:
        conn = self._conn()
        known = conn.execute("SELECT score FROM aside WHERE kind = ? AND url = ?", (link.kind, link.url))
        row = known.fetchone()
        if row is not None and row[0] >= link.score:
            return
        self.frontier.seq += 1
        conn.execute(
            "INSERT OR REPLACE INTO aside (kind, url, score, seq, text, referer, depth) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (link.kind, link.url, link.score, self.frontier.seq, link.text, link.referer, link.depth),
        )
        if row is None:
            self._counts[link.kind] = self.count(link.kind) + 1
        self.frontier._commit_now_and_then()

    def pop(self, kind: str) -> AsideLink | None:
        """The best link of ``kind``, taken out. Not committed on its own: the request made of it
        is enqueued next, and both reach the disk in the same commit."""
        conn = self._conn()
        row = conn.execute(
            "SELECT url, score, text, referer, depth FROM aside WHERE kind = ? "
            "ORDER BY score DESC, seq LIMIT 1",
            (kind,),
        ).fetchone()
        if row is None:
            return None
        conn.execute("DELETE FROM aside WHERE kind = ? AND url = ?", (kind, row[0]))
        self._counts[kind] = self.count(kind) - 1
        return AsideLink(kind, *row)

    def count(self, kind: str) -> int:
        if kind not in self._counts:
            query = "SELECT count(*) FROM aside WHERE kind = ?"
            self._counts[kind] = self._conn().execute(query, (kind,)).fetchone()[0]
        return self._counts[kind]


class SqliteFrontier:
    """A Scrapy scheduler (``SCHEDULER``) backed by one SQLite file per site."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.fingerprinter = crawler.request_fingerprinter
        self.stats = crawler.stats
        self.root = Path(crawler.settings.get("NIANBAO_DATA_DIR")) / "frontier"
        self.conn: sqlite3.Connection | None = None
        self.spider: Spider | None = None
        self.path: Path | None = None
        self.pending = 0
        self.seq = 0
        self.committed_at = 0.0
        self.recent: OrderedDict[str, None] = OrderedDict()  # fingerprints known to be in the table
        self.aside = SqliteAside(self)  # links discovery set aside (crawler/spiders/annual_reports.py)
        self._commit_later: CallLaterOnce[None] = CallLaterOnce(self._commit)
        crawler._nianbao_frontier = self  # type: ignore[attr-defined]

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SqliteFrontier:
        return cls(crawler)

    # -- lifecycle --------------------------------------------------------------------------
    def open(self, spider: Spider) -> None:
        self.spider = spider
        self.root.mkdir(parents=True, exist_ok=True)
        site = getattr(getattr(spider, "site", None), "name", spider.name)
        self.path = self.root / f"{site}.sqlite"  # site names are validated slugs
        self.conn = sqlite3.connect(self.path, isolation_level=None)
        self.conn.execute("PRAGMA journal_mode = WAL")
        self.conn.execute("PRAGMA synchronous = NORMAL")
        self.conn.executescript(_SCHEMA)
        requeued = self.conn.execute("UPDATE requests SET state = 'queued' WHERE state = 'popped'").rowcount
        self.pending = self._count("queued")
        aside = self.conn.execute("SELECT count(*) FROM aside").fetchone()[0]
        self.seq = self.conn.execute("SELECT coalesce(max(seq), 0) FROM requests").fetchone()[0]
        if self.pending or aside:
            done = self._count("done")
            logger.warning(
                "%s: resuming an interrupted crawl: %d requests pending (%d re-queued), %d done, "
                "%d links set aside",
                site,
                self.pending,
                requeued,
                done,
                aside,
            )
            self.stats.set_value("nianbao/frontier/resumed", 1)
        self.conn.execute("BEGIN")
        self.committed_at = time.monotonic()

    def close(self, reason: str) -> None:
        self._commit_later.cancel()
        if self.conn is None:
            return
        finished = reason == "finished" and self.pending == 0
        if self.conn.in_transaction:
            self.conn.execute("COMMIT")
        self.conn.close()
        self.conn = None
        if finished and self.path is not None:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{self.path}{suffix}").unlink(missing_ok=True)

    # -- scheduler interface ----------------------------------------------------------------
    def has_pending_requests(self) -> bool:
        return self.pending > 0

    def enqueue_request(self, request: Request) -> bool:
        assert self.conn is not None
        fp = self.fingerprinter.fingerprint(request).hex()
        if request.dont_filter:
            fp = f"{fp}:{self.seq + 1}"  # allowed again: make the key unique
        elif self._seen(fp):
            # Most links a page yields were seen already (pagers, navigation): the seen-set
            # answers before the request is serialized.
            self.stats.inc_value("dupefilter/filtered")
            return False
        self.seq += 1
        data = pickle.dumps(request_dict(request, self.spider), protocol=pickle.HIGHEST_PROTOCOL)
        cursor = self.conn.execute(
            "INSERT OR IGNORE INTO requests (fp, seq, priority, state, data) VALUES (?, ?, ?, 'queued', ?)",
            (fp, self.seq, request.priority, data),
        )
        if cursor.rowcount == 0:
            self.stats.inc_value("dupefilter/filtered")
            return False
        self._commit_now_and_then()
        self._remember(fp)
        self.pending += 1
        self.stats.inc_value("scheduler/enqueued/disk")
        return True

    def _seen(self, fp: str) -> bool:
        """Whether the table holds ``fp``. The fingerprints met last are remembered (a bounded
        number: memory stays flat), as pagers and navigation repeat the same few links."""
        if fp in self.recent:
            self.recent.move_to_end(fp)
            return True
        assert self.conn is not None
        if self.conn.execute("SELECT 1 FROM requests WHERE fp = ?", (fp,)).fetchone() is None:
            return False
        self._remember(fp)
        return True

    def _remember(self, fp: str) -> None:
        self.recent[fp] = None
        if len(self.recent) > RECENT_FINGERPRINTS:
            self.recent.popitem(last=False)

    def next_request(self) -> Request | None:
        assert self.conn is not None
        row = self.conn.execute(
            "SELECT fp, data FROM requests WHERE state = 'queued' ORDER BY priority DESC, seq LIMIT 1"
        ).fetchone()
        if row is None:
            self.pending = 0
            return None
        fp, data = row
        self.conn.execute("UPDATE requests SET state = 'popped' WHERE fp = ?", (fp,))
        self._commit_now_and_then()
        self.pending -= 1
        self.stats.inc_value("scheduler/dequeued/disk")
        request = request_from_dict(pickle.loads(data), spider=self.spider)
        request.meta[Meta.FRONTIER_FP] = fp
        return request

    def mark_done(self, fp: str) -> None:
        if self.conn is not None:
            self.conn.execute("UPDATE requests SET state = 'done' WHERE fp = ?", (fp,))
            self._commit_now_and_then()

    def _commit_now_and_then(self) -> None:
        if time.monotonic() - self.committed_at >= COMMIT_INTERVAL_S:
            self._commit()
        else:
            # Nothing more may happen for a while (a slow answer awaited): commit then anyway.
            self._commit_later.schedule(COMMIT_INTERVAL_S)

    def _commit(self) -> None:
        if self.conn is None or not self.conn.in_transaction:
            return
        self.conn.execute("COMMIT")
        self.conn.execute("BEGIN")
        self.committed_at = time.monotonic()

    def _count(self, state: str) -> int:
        assert self.conn is not None
        return self.conn.execute("SELECT count(*) FROM requests WHERE state = ?", (state,)).fetchone()[0]


def request_dict(request: Request, spider: Spider | None) -> dict[str, Any]:
    """``request.to_dict(spider=spider)``, without its search through every member of the
    spider for the callback's name (``inspect.getmembers``, once per queued request)."""
    callback = _method_name(spider, request.callback)
    errback = _method_name(spider, request.errback)
    if callback is _UNSURE or errback is _UNSURE:
        return request.to_dict(spider=spider)  # not a plain spider method: Scrapy's own way
    data = {"url": request.url, "callback": callback, "errback": errback, "headers": dict(request.headers)}
    for attr in request.attributes:
        data.setdefault(attr, getattr(request, attr))
    if type(request) is not Request:
        data["_class"] = f"{type(request).__module__}.{type(request).__name__}"
    return data


def _method_name(spider: Spider | None, func: Any) -> Any:
    """What ``to_dict`` stores for a callback: the value itself when not callable, the name
    of the spider's method; ``_UNSURE`` when only Scrapy's search can tell."""
    if not callable(func):
        return func
    name = getattr(func, "__name__", None)
    if spider is None or not name or getattr(func, "__self__", None) is not spider:
        return _UNSURE
    if getattr(getattr(spider, name, None), "__func__", None) is not getattr(func, "__func__", _UNSURE):
        return _UNSURE
    return name


_UNSURE = object()


class FrontierDoneMiddleware:
    """Spider middleware next to the engine: a request is done once every request its
    callback yielded is in the frontier.

    Scrapy's scraper would schedule those requests a moment after the output has gone by
    (from a queue, in tasks of their own), so marking the response done at the end of its
    output could reach the disk before its requests do, and a kill in between would lose
    them. This middleware hands each request to the engine itself, as the scraper would,
    and marks the response done after the last one: done always follows its requests."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> FrontierDoneMiddleware:
        return cls(crawler)

    def _frontier(self) -> SqliteFrontier | None:
        return getattr(self.crawler, "_nianbao_frontier", None)

    def _scheduled(self, item: Any) -> bool:
        """Schedule ``item`` now if it is a request (True); anything else goes on as usual."""
        engine = self.crawler.engine
        if not isinstance(item, Request) or engine is None or self._frontier() is None:
            return False
        engine.crawl(item)
        return True

    def _done(self, response: Response | None) -> None:
        frontier = self._frontier()
        fp = response.meta.get(Meta.FRONTIER_FP) if response is not None else None
        if frontier is not None and fp:
            frontier.mark_done(fp)

    def process_spider_output(self, response: Response | None, result: Iterable[Any]) -> Iterable[Any]:
        for item in result:
            if not self._scheduled(item):
                yield item
        self._done(response)

    async def process_spider_output_async(
        self, response: Response | None, result: AsyncIterator[Any]
    ) -> AsyncIterator[Any]:
        async for item in result:
            if not self._scheduled(item):
                yield item
        self._done(response)
