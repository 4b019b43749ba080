"""Downloader middleware that archives every response and records its provenance.

It sits close to the engine (after redirects and retries), so it sees each request's
final response: the body goes to the content-addressed store, the fetch to ``fetches``
(original URL, final URL, redirect chain, status, headers, timing, referring page, link
text, role). Failures — HTTP errors, network errors, oversize bodies, requests missing
from a cassette — become ``problems`` rows; the crawl goes on.
"""

from __future__ import annotations

import hashlib
import logging
import os
from typing import Any

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
)
from scrapy.http import Headers, Response
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.threads import deferToThreadPool
from twisted.python.threadpool import ThreadPool

from crawler.filenames import content_disposition_filename, url_filename
from crawler.middlewares.bodies import BODY_FILE
from crawler.runs import Recorded, crawl_site, record_problem, run_context
from nianbao.outcome import RUN_END, is_machine_fault, machine_fault, one_line
from vocabulary import FILE_ROLES, Meta, Role

logger = logging.getLogger(__name__)


class ArchiveMiddleware:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.ctx = run_context(crawler)
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArchiveMiddleware:
        mw = cls(crawler)
        crawler.signals.connect(mw.spider_error, signal=signals.spider_error)
        return mw

    async def process_response(self, request: Request, response: Response) -> Response:
        if RUN_END.fault is not None:  # the disk is full: what is left of it is for closing the run
            if spilled := request.meta.pop(BODY_FILE, None):
                os.unlink(spilled)
            raise Recorded(f"not archived, the run has failed: {response.url}")
        try:
            stored = size = None
            if "streamed" in response.flags:  # the body waits in a temp file (middlewares/bodies.py)
                stored, size = await self._keep_file(request.meta.pop(BODY_FILE))
            elif "revalidated" not in response.flags and response.status != 304:
                stored = await self._keep(response.body)
            return self.archive_response(request, response, stored=stored, size=size)
        except Exception as exc:
            if not is_machine_fault(exc):
                raise
            # A full disk or an unwritable database: going on would lose every response.
            machine_fault(exc)
            raise Recorded(one_line(exc)) from exc

    def archive_response(
        self, request: Request, response: Response, *, stored: str | None = None, size: int | None = None
    ) -> Response:
        """Record ``response``: its body (put in the store here, unless ``stored`` is the
        sha256 it is already stored under, ``size`` bytes long) and its fetch row."""
        archive = self.ctx.archive
        sha256 = kept = None  # kept: the sha256 of a body stored by this response
        status, size = response.status, len(response.body) if size is None else size
        if "revalidated" in response.flags:
            # 304: the server confirmed the archived version; nothing new to store.
            sha256, status, size = request.meta[Meta.REVALIDATE]["sha256"], 304, 0
        elif response.status != 304:
            sha256 = kept = stored or archive.store.put(response.body)
        self.stats.inc_value("nianbao/bytes", size)
        role = request.meta.get(Meta.ROLE) or (Role.ROBOTS if _is_robots(request) else None)
        with archive.transaction():  # the file's row and the fetch naming it: one commit
            if kept is not None and archive.add_file(kept, size=size, media_type=_media_type(response)):
                self.stats.inc_value("nianbao/new_objects")
            fetch_id = self._record_fetch(
                request, response, role=role, status=status, size=size, sha256=sha256
            )
        request.meta[Meta.FETCH_ID] = fetch_id
        request.meta["sha256"] = sha256
        self.stats.inc_value(f"nianbao/fetches/{role or 'other'}")
        if response.status >= 400 and role != Role.ROBOTS:  # a site without robots.txt is normal
            self._problem(request, f"HTTP {response.status} for {response.url}", sha256=sha256)
        return response

    def _record_fetch(
        self,
        request: Request,
        response: Response,
        *,
        role: str | None,
        status: int,
        size: int,
        sha256: str | None,
    ) -> int:
        redirects = request.meta.get("redirect_urls") or []
        return self.ctx.archive.record_fetch(
            run_id=self.ctx.run_id,
            site=crawl_site(self.crawler),
            url=redirects[0] if redirects else request.url,
            final_url=response.url,
            redirects=[*redirects[1:], request.url] if redirects else None,
            method=request.method,
            status=status,
            headers=_headers(
                request.meta[Meta.REVALIDATE]["answer_headers"] if status == 304 else response.headers
            ),
            duration_ms=_latency_ms(request),
            referer=request.meta.get(Meta.REFERER) or _header(request, b"Referer"),
            link_text=request.meta.get(Meta.LINK_TEXT),
            role=role,
            filename=_filename(request, response) if role in FILE_ROLES else None,
            size=size,
            sha256=sha256,
        )

    async def _keep(self, body: bytes) -> str:
        """The body's sha256, once the store holds it. A new object is written, fsynced and
        renamed into place in a thread: the crawl goes on meanwhile, and its fetch row (which
        names the object) is written only after the object is safely on disk."""
        store = self.ctx.archive.store
        sha256 = hashlib.sha256(body).hexdigest()
        if not store.exists(sha256):
            from twisted.internet import reactor  # the one Scrapy installed (not at import time)

            write = deferToThreadPool(reactor, _writers(reactor), store.put, body)
            stored = await maybe_deferred_to_future(write)
            assert stored == sha256
        return sha256

    async def _keep_file(self, path: str) -> tuple[str, int]:
        """A streamed body's sha256 and size, once its temp file is in the store."""
        from twisted.internet import reactor

        size = os.path.getsize(path)
        write = deferToThreadPool(reactor, _writers(reactor), self.ctx.archive.store.put_file, path)
        return await maybe_deferred_to_future(write), size

    def process_exception(self, request: Request, exception: Exception) -> None:
        if isinstance(exception, IgnoreRequest) and not getattr(exception, "is_problem", False):
            return None  # deliberate: robots.txt, offsite, … — not a failure
        if _is_robots(request):
            return None  # the request it guards fails too, and is recorded then
        self._problem(request, _failure_message(request, exception, self.crawler))
        return None

    def spider_error(self, failure: Any, response: Response, spider: Any) -> None:
        message = f"error while reading {response.url}: {failure.getErrorMessage()}"
        record_problem(self.crawler, "discover", message, url=response.url)

    def _problem(self, request: Request, message: str, sha256: str | None = None) -> None:
        logger.warning("%s: %s", request.url, message)
        record_problem(self.crawler, "fetch", message, url=request.url, sha256=sha256, failed=True)


# A couple of threads are enough to keep ahead of the crawl's new objects, and few enough not to
# keep taking the GIL from the reactor thread between their system calls.
WRITER_THREADS = 2
_WRITERS: list[ThreadPool] = []


def _writers(reactor: Any) -> ThreadPool:
    """The threads that write new objects: one pool per process, stopped with the reactor."""
    if not _WRITERS:
        pool = ThreadPool(minthreads=0, maxthreads=WRITER_THREADS, name="nianbao-object-writer")
        pool.start()
        reactor.addSystemEventTrigger("during", "shutdown", pool.stop)
        _WRITERS.append(pool)
    return _WRITERS[0]


# What a failed download means, in words, before Scrapy's exception (kept for the record).
_REASONS: list[tuple[type[Exception], str]] = [
    (ResponseDataLossError, "body cut short: the connection closed before the announced length arrived"),
    (DownloadTimeoutError, "no answer in time"),
    (DownloadConnectionRefusedError, "connection refused"),
    (CannotResolveHostError, "host name not found"),
]
# Twisted's words for a connection that ended before any answer, inside DownloadFailedError.
_NO_ANSWER = ("ResponseNeverReceived", "ConnectionDone", "ConnectionLost")


def _failure_message(request: Request, exception: Exception, crawler: Crawler) -> str:
    """``reason: URL (Exception: detail)``, the reason in a person's words where it is known.

    >>> from scrapy.utils.test import get_crawler
    >>> req, crawler = Request("http://a.test/f.pdf"), get_crawler()
    >>> print(_failure_message(req, ResponseDataLossError(), crawler))
    body cut short: the connection closed before the announced length arrived: http://a.test/f.pdf
    (ResponseDataLossError)
    >>> gone = DownloadFailedError("[<Failure ConnectionDone: Connection was closed cleanly.>]")
    >>> print(_failure_message(req, gone, crawler))
    the server closed the connection without answering: http://a.test/f.pdf
    (DownloadFailedError: ConnectionDone)
    >>> _failure_message(req, ValueError("odd"), crawler)
    'ValueError: odd'
    """
    if isinstance(exception, DownloadCancelledError) and not str(exception):
        # A body past DOWNLOAD_MAXSIZE is cancelled without a word; say so.
        maxsize = request.meta.get("download_maxsize") or crawler.settings.getint("DOWNLOAD_MAXSIZE")
        return f"download cut off: {request.url} sent more than DOWNLOAD_MAXSIZE ({maxsize} bytes)"
    name, detail = type(exception).__name__, str(exception)
    reason = next((words for kind, words in _REASONS if isinstance(exception, kind)), None)
    if isinstance(exception, DownloadFailedError):
        cause = next((word for word in _NO_ANSWER if word in detail), None)
        if cause is not None:
            reason, detail = "the server closed the connection without answering", cause
    if reason is None:
        return f"{name}: {detail}".rstrip(": ")
    return f"{reason}: {request.url} ({name}{': ' + detail if detail else ''})"


def _is_robots(request: Request) -> bool:
    return request.url.endswith("/robots.txt")


def _media_type(response: Response) -> str | None:
    value = response.headers.get(b"Content-Type")
    return value.split(b";")[0].strip().decode("latin-1").lower() if value else None


def _headers(headers: Headers) -> dict[str, str]:
    return {
        key.decode("latin-1"): ", ".join(v.decode("utf-8", "replace") for v in values)
        for key, values in headers.items()
    }


def _header(request: Request, name: bytes) -> str | None:
    value = request.headers.get(name)
    return value.decode("utf-8", "replace") if value else None


def _latency_ms(request: Request) -> int | None:
    latency = request.meta.get("download_latency")
    return round(latency * 1000) if latency is not None else None


def _filename(request: Request, response: Response) -> str | None:
    return content_disposition_filename(response.headers.get(b"Content-Disposition")) or url_filename(
        response.url
    )
