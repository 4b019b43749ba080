"""This worker's handle on a shared crawl in Redis.

Every change is one Lua script (:mod:`crawler.redis_crawl.scripts`), so a worker killed at
any moment leaves a consistent state. Connection errors are retried with exponential backoff
(tenacity) for ``retry_s`` seconds — long enough for Redis to restart and reload its AOF —
and then become :class:`RedisGone`, on which the worker stops (exit 3, FAILED).
"""

from __future__ import annotations

import json
import logging
import os
import socket
import uuid
from dataclasses import dataclass
from typing import Any

import redis
import tenacity

from crawler.redis_crawl.scripts import SCRIPTS, script_source

logger = logging.getLogger(__name__)

# Errors after which the same call is worth trying again (BusyLoadingError, raised while
# Redis reloads its AOF after a restart, is a ConnectionError).
RETRYABLE = (redis.ConnectionError, redis.TimeoutError)
LEASE_SCAN = 1000  # sites looked at per lease call (bounds one call over thousands of sites)
SHARD_COUNTER = "nianbao-shards"  # outside every crawl's keys: shard numbers never repeat


class RedisGone(RuntimeError):
    """Redis stayed unreachable for longer than the retry budget (or refused a command)."""


class DeclaredDead(RuntimeError):
    """Other workers took this worker's work (its heartbeat had expired)."""


@dataclass(frozen=True)
class Seeded:
    run_id: int
    crawl_key: str
    digest: str
    seeded_here: bool  # this worker seeded the crawl


class SharedCrawl:
    def __init__(
        self,
        url: str,
        *,
        prefix: str = "nianbao",
        worker: str | None = None,
        ttl_s: float = 30.0,
        retry_s: float = 60.0,
    ) -> None:
        self.url = url
        self.prefix = prefix
        self.worker = worker or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.ttl_ms = int(ttl_s * 1000)
        self.retry_s = retry_s
        self.failure: Exception | None = None  # why this worker must stop (Redis gone, declared dead)
        self._on_failure: list[Any] = []
        self.redis = redis.Redis.from_url(url, socket_timeout=10, socket_connect_timeout=5)
        self._scripts = {name: self.redis.register_script(script_source(name)) for name in SCRIPTS}
        self._retrying = tenacity.Retrying(
            retry=tenacity.retry_if_exception_type(RETRYABLE),
            wait=tenacity.wait_exponential(multiplier=0.05, max=2.0),
            stop=tenacity.stop_after_delay(retry_s),
            before_sleep=self._log_retry,
            reraise=True,
        )

    def _log_retry(self, state: tenacity.RetryCallState) -> None:
        if state.attempt_number in (1, 10) or state.attempt_number % 50 == 0:
            error = state.outcome.exception() if state.outcome else None
            logger.warning("Redis at %s: %s; retrying (attempt %d)", self.url, error, state.attempt_number)

    def on_failure(self, callback: Any) -> None:
        """Call ``callback(exc)`` once when this worker must stop."""
        self._on_failure.append(callback)

    def failed(self, exc: Exception) -> None:
        if self.failure is None:
            self.failure = exc
            logger.error("%s", exc)
            for callback in self._on_failure:
                callback(exc)

    def guarded(self, func: Any, *args: Any, default: Any) -> Any:
        """``func(*args)``; when Redis is gone, this worker is told to stop and ``default``
        stands in (what the call would have changed stays as it was, for another worker)."""
        try:
            return func(*args)
        except RedisGone as exc:
            self.failed(exc)
            return default

    def call(self, name: str, *args: Any) -> Any:
        """Run script ``name`` (retrying while Redis is away)."""
        return self._retry(self._scripts[name], args=[self.prefix, *args])

    def command(self, name: str, *args: Any) -> Any:
        """One plain Redis command (retrying while Redis is away)."""
        return self._retry(self.redis.execute_command, name, *args)

    def _retry(self, func: Any, *args: Any, **kwargs: Any) -> Any:
        if self.failure is not None:  # stopping: touch the shared state no more
            raise RedisGone(f"worker {self.worker} stops: {self.failure}")
        try:
            try:
                return func(*args, **kwargs)
            except RETRYABLE:
                pass  # the first failure: from here on, with backoff (tenacity costs ~10× a call)
            return self._retrying.copy()(func, *args, **kwargs)  # a copy: the heartbeat thread retries too
        except RETRYABLE as exc:
            raise RedisGone(
                f"Redis at {self.url} unreachable for {self.retry_s:.0f} s ({exc}); "
                "this worker stops, what it archived is kept"
            ) from exc
        except redis.RedisError as exc:  # e.g. OOM under noeviction: no retry helps
            raise RedisGone(f"Redis at {self.url} refused: {exc}; this worker stops") from exc

    def key(self, *parts: str) -> str:
        return ":".join((self.prefix, *parts))

    # -- the crawl
    def seed(self, run_id: int, digest: str, sites: list[tuple[str, str, str]]) -> Seeded:
        """Seed the crawl with ``sites`` (name, fields JSON, server group) unless another
        worker did: either way, the crawl's run id, key and sites digest."""
        args: list[Any] = [run_id, uuid.uuid4().hex, digest]
        for name, fields, group in sites:
            args += [name, fields, group]
        got = self.call("seed", *args)
        return Seeded(int(got[0]), _text(got[1]), _text(got[2]), bool(got[3]))

    def seeded(self) -> Seeded | None:
        """The crawl as seeded, or None before the first worker seeded it."""
        got = self.command("HMGET", self.key("run"), "run_id", "crawl_key", "digest")
        return None if got[0] is None else Seeded(int(got[0]), _text(got[1]), _text(got[2]), False)

    def lease(self) -> tuple[str, dict[str, Any]] | None:
        got = self.call("lease", self.worker, LEASE_SCAN)
        return (_text(got[0]), json.loads(got[1])) if got else None

    def release(self, site: str, status: str, *, final: bool = False, ended: bool = True) -> bool:
        """Free the site's server group; True when the site is done (``final``: even with
        requests left, as for a blocked site or one out of its time budget; ``ended``: its crawl
        here ended by itself, so the links still set aside are ones discovery chose to leave)."""
        return bool(self.call("release", self.worker, site, status, int(final), int(ended)))

    def exhausted(self) -> bool:
        return int(self.command("LLEN", self.key("todo"))) == 0

    def done(self) -> dict[str, str]:
        return {_text(k): _text(v) for k, v in self.command("HGETALL", self.key("done")).items()}

    # -- frontiers
    def push(
        self, site: str, parent: str, entries: list[tuple[str, int, bool, bytes]], found: bool = False
    ) -> int:
        """Queue ``entries`` and acknowledge ``parent``, in one step (``found``: the site's
        discovery has found report items, remembered for a worker that takes the site over)."""
        args: list[Any] = [self.worker, site, parent, int(found)]
        for fp, priority, dont_filter, data in entries:
            args += [fp, priority, int(dont_filter), data]
        return int(self.call("push", *args))

    def pop(self, site: str) -> tuple[str, bytes] | None:
        got = self.call("pop", self.worker, site)
        return (_text(got[0]), got[1]) if got else None

    def queued(self, site: str) -> int:
        return int(self.command("ZCARD", self.key("q", site)))

    def found(self, site: str) -> bool:
        """Whether the site's discovery has found report items (on any worker)."""
        return self.command("GET", self.key("found", site)) is not None

    # -- links set aside by discovery (crawler.redis_crawl.aside)
    def aside_push(self, site: str, links: list[tuple[str, str, int, str]]) -> list[bool]:
        """Set ``links`` (kind, url, score, data) aside, a link met again keeping its best
        score; for each, whether it is new."""
        args: list[Any] = [site]
        for link in links:
            args += link
        return [bool(new) for new in self.call("aside_push", *args)] if links else []

    def aside_pop(self, site: str, kind: str) -> tuple[str, str] | None:
        """The best link of ``kind`` set aside, taken out: (url, data), or None."""
        got = self.call("aside_pop", site, kind)
        return (_text(got[0]), _text(got[1])) if got else None

    def aside_count(self, site: str, kind: str) -> int:
        return int(self.command("ZCARD", self.key("aside", site, kind)))

    def aside_left(self, site: str) -> int:
        """How many links of any kind the site has set aside."""
        kinds = self.command("SMEMBERS", self.key("asidek", site))
        return sum(self.aside_count(site, _text(kind)) for kind in kinds)

    # -- workers
    def register(self) -> None:
        self.call("register", self.worker, self.ttl_ms)

    def heartbeat(self) -> None:
        if not self.call("heartbeat", self.worker, self.ttl_ms):
            raise DeclaredDead(
                f"worker {self.worker}: its heartbeat expired and other workers took its sites"
            )

    def reap(self) -> list[str]:
        """Requeue the work of workers whose heartbeat expired; their names."""
        return [_text(w) for w in self.call("reap", "")]

    def leave(self) -> None:
        """Deregister, handing back whatever this worker still holds."""
        self.call("reap", self.worker)

    def next_shard(self, minimum: int = 0) -> int:
        """A shard number (the ids of a shard data dir) never handed out before by this Redis,
        in any crawl, and above ``minimum``."""
        return int(self.call("shard", SHARD_COUNTER, minimum))


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
