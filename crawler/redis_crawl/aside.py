"""Links the best-first discovery sets aside, in Redis: shared by every worker of the crawl.

The Redis counterpart of :class:`crawler.frontier.SqliteAside`: a worker that takes a site
over — because the one crawling it died or was stopped — tries the links set aside there, as a
resumed local crawl tries those in its frontier file. Per site and kind, a sorted set of URLs
(best score first, then the order met: ``P:aside:SITE:KIND``) and a hash of their fields
(``P:asidel:SITE:KIND``); pushing and popping are one Lua script each
(:mod:`crawler.redis_crawl.scripts`), so two workers never take the same link. The keys go
with the site's other keys when it is done.
"""

from __future__ import annotations

import json
from collections import Counter

from crawler.frontier import AsideLink
from crawler.redis_crawl.shared import SharedCrawl


class RedisAside:
    """Links set aside for ``site`` in the shared crawl. A link met again keeps its best score.

    The links a page sets aside are sent in one call (:meth:`flush`), before the page is
    acknowledged (:class:`crawler.redis_crawl.scheduler.RedisSiteScheduler` flushes before every
    push), as the SQLite frontier commits them with the requests: a page acknowledged has its
    links aside in Redis. Until then :meth:`count` counts them as new (a bound on the count,
    which discovery uses as a cap). When Redis is gone the worker is told to stop
    (:meth:`SharedCrawl.guarded`): links are dropped, nothing is popped — the site goes to
    another worker with what Redis holds."""

    def __init__(self, shared: SharedCrawl, site: str) -> None:
        self.shared = shared
        self.site = site
        # Counted here: only the worker leasing the site changes its links (as its queue).
        self._counts: dict[str, int] = {}  # in Redis
        self._pending: list[AsideLink] = []  # not sent yet
        self._pending_counts: Counter[str] = Counter()

    def push(self, link: AsideLink) -> None:
        self.count(link.kind)  # (what Redis holds, known before the link goes there)
        self._pending.append(link)
        self._pending_counts[link.kind] += 1

    def flush(self) -> None:
        """Send the links set aside since the last call, in one step."""
        if not self._pending:
            return
        links = [(link.kind, link.url, link.score, _fields(link)) for link in self._pending]
        fresh = self.shared.guarded(self.shared.aside_push, self.site, links, default=[])
        for link, new in zip(self._pending, fresh, strict=False):
            self._counts[link.kind] += new
        self._pending.clear()
        self._pending_counts.clear()

    def pop(self, kind: str) -> AsideLink | None:
        self.flush()
        got = self.shared.guarded(self.shared.aside_pop, self.site, kind, default=None)
        if got is None:
            return None
        self._counts[kind] = max(self.count(kind) - 1, 0)
        url, data = got
        score, text, referer, depth = json.loads(data)
        return AsideLink(kind, url, score, text, referer, depth)

    def count(self, kind: str) -> int:
        if kind not in self._counts:
            self._counts[kind] = self.shared.guarded(self.shared.aside_count, self.site, kind, default=0)
        return self._counts[kind] + self._pending_counts[kind]


def _fields(link: AsideLink) -> str:
    return json.dumps([link.score, link.text, link.referer, link.depth], ensure_ascii=False)
