"""Rendering listings in a real browser — only when nothing else works.

The http(s) download handler is plain Scrapy HTTP; a request marked
``meta["playwright"] = True`` (see :func:`render_meta`) is rendered instead by Debian's
Chromium, driven with Playwright. The spider marks only listing pages (home, section,
column) for rendering, and only when their HTML yields nothing to follow, or when the site
says ``render: always``; attachments are never fetched by the browser.

One browser per process, shared by every site crawl (:class:`SharedBrowser`), started on
the first rendered request — a crawl of hundreds of static portals never starts one. At
most ``NIANBAO_RENDER_PAGES`` pages are open at once; further renders wait in a queue, and a
render's time limit (``NIANBAO_RENDER_TIMEOUT``) starts when its page opens, not when it was
queued, so no site loses its listings because many others render at the same time. A page
is ready when its scripts have run and its XHR/fetch answers have settled (none pending for
``NIANBAO_RENDER_QUIET_MS``), never on ``networkidle`` alone: portals that poll never go idle.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from pathlib import Path
from typing import Any

from scrapy import Request
from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Headers, HtmlResponse, Response
from scrapy.settings import BaseSettings

from crawler.sandbox import sandbox_args
from crawler.scriptpages import CLICK_TO_PAGE, MAX_LIST_PAGES
from vocabulary import Meta

logger = logging.getLogger(__name__)

_CHROMIUM_CANDIDATES = ("/usr/lib/chromium/chromium", "/usr/bin/chromium", "/usr/bin/chromium-browser")
_SCRIPT_TRAFFIC = ("xhr", "fetch", "script")  # scripts: JSONP answers too
_DROPPED_HEADERS = ("content-encoding", "content-length", "transfer-encoding", "content-type")


def chromium_path() -> str | None:
    """Debian's Chromium (``playwright install`` cannot download browsers here)."""
    for candidate in (os.environ.get("NIANBAO_CHROMIUM"), *_CHROMIUM_CANDIDATES):
        if candidate and Path(candidate).exists():
            return candidate
    return None


def launch_options() -> dict[str, Any]:
    return {
        "executable_path": chromium_path(),
        "headless": True,
        # Without the background-networking flags Chromium keeps dialling Google's hosts.
        "args": [
            *sandbox_args(),  # sandboxed unless root or no user namespaces (crawler/sandbox.py)
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


async def abort_heavy_resources(request: Any) -> bool:
    """The browser needs scripts and data, not pictures, fonts or video."""
    return request.resource_type in ("image", "media", "font")


def render_meta() -> dict[str, Any]:
    """The meta that asks for a request to be rendered in the browser."""
    return {
        "playwright": True,
        # A browser navigation answered 304 has nothing to show (net::ERR_ABORTED).
        "dont_revalidate": True,
    }


# -- the one browser ------------------------------------------------------------------------
class RenderTimeout(Exception):
    """The page did not load within its time limit (counted from when it opened)."""


class SharedBrowser:
    """One Chromium for the whole process, with a bounded number of open pages."""

    def __init__(self, settings: BaseSettings) -> None:
        self.max_pages = max(1, settings.getint("NIANBAO_RENDER_PAGES", 4))
        self.timeout_s = settings.getfloat("NIANBAO_RENDER_TIMEOUT", 30.0)
        self.quiet_s = settings.getfloat("NIANBAO_RENDER_QUIET_MS", 500) / 1000
        self.launch = settings.getdict("PLAYWRIGHT_LAUNCH_OPTIONS") or launch_options()
        self.user_agent = settings.get("USER_AGENT")
        self.pages = asyncio.Semaphore(self.max_pages)
        self.open_pages = 0
        self.queued = 0
        self._playwright: Any = None
        self._browser: Any = None
        self._context: Any = None
        self._starting: asyncio.Future[Any] | None = None

    async def _started(self) -> Any:
        # Started in a task of its own: a site cancelled while waiting for the start (its
        # time budget ran out) must not cancel the start for every other site.
        if self._starting is None:
            self._starting = asyncio.ensure_future(self._start())
        return await asyncio.shield(self._starting)

    async def _start(self) -> Any:
        from playwright.async_api import async_playwright

        self._playwright = await async_playwright().start()
        self._browser = await self._playwright.chromium.launch(**self.launch)
        self._context = await self._browser.new_context(user_agent=self.user_agent, java_script_enabled=True)
        await self._context.route("**/*", _route_light)
        await self._context.add_init_script(_COUNT_SCRIPT_REQUESTS)
        return self._context

    async def render(self, request: Request, listeners: dict[str, Any] | None = None) -> HtmlResponse:
        context = await self._started()
        self.queued += 1
        try:
            await self.pages.acquire()
        finally:
            self.queued -= 1
        self.open_pages += 1
        try:
            page = await context.new_page()
            try:
                return await self._render_in(page, request, listeners or {})
            finally:
                await page.close()
        finally:
            self.open_pages -= 1
            self.pages.release()

    async def _render_in(self, page: Any, request: Request, listeners: dict[str, Any]) -> HtmlResponse:
        deadline = time.monotonic() + self.timeout_s  # from now: the page is open
        traffic = _ScriptTraffic(page)
        heard = _PageListeners(page, listeners)
        try:
            answer = await page.goto(request.url, wait_until="load", timeout=self.timeout_s * 1000)
        except Exception as exc:  # playwright's TimeoutError and network errors
            if "Timeout" in type(exc).__name__:
                raise RenderTimeout(f"{request.url}: page did not load in {self.timeout_s:.0f} s") from exc
            raise
        loaded = time.monotonic()
        await traffic.settled(page, deadline, self.quiet_s)
        await heard.finished(deadline)  # e.g. the spider recording the page's API answers
        if request.meta.get(Meta.LIST_PAGE):
            await _click_to_page(page, int(request.meta[Meta.LIST_PAGE]), traffic, deadline, self.quiet_s)
        await _apply_page_methods(page, request)
        html = await page.content()
        logger.debug(
            "rendered %s: loaded in %.1f s, settled in %.1f s",
            request.url,
            loaded - (deadline - self.timeout_s),
            time.monotonic() - loaded,
        )
        headers = Headers(await answer.all_headers()) if answer is not None else Headers()
        for name in _DROPPED_HEADERS:  # the body is the rendered DOM, as UTF-8
            headers.pop(name, None)
        headers["Content-Type"] = "text/html; charset=utf-8"
        return HtmlResponse(
            url=page.url,
            status=answer.status if answer is not None else 200,
            headers=headers,
            body=html.encode("utf-8"),
            encoding="utf-8",
            request=request,
            flags=["rendered"],
        )

    async def close(self) -> None:
        if self._starting is not None and not self._starting.done():
            with contextlib.suppress(Exception):
                await self._starting
        browser, playwright = self._browser, self._playwright
        self._browser = self._playwright = self._context = self._starting = None
        if browser is not None:
            await browser.close()
        if playwright is not None:
            await playwright.stop()


# In every page: how many XHR/fetch requests have not yet been handled by the page's own
# callbacks (an answer counts until the task after its loadend event has run), so a page is
# not taken between the answer's arrival and the script that builds the list from it.
_COUNT_SCRIPT_REQUESTS = """
(() => {
  let pending = 0;
  const settle = () => setTimeout(() => { pending -= 1; }, 0);
  const send = XMLHttpRequest.prototype.send;
  XMLHttpRequest.prototype.send = function (...args) {
    pending += 1;
    this.addEventListener("loadend", settle);
    return send.apply(this, args);
  };
  if (window.fetch) {
    const fetch = window.fetch;
    window.fetch = function (...args) {
      pending += 1;
      return fetch.apply(this, args).finally(() => setTimeout(settle, 50));
    };
  }
  Object.defineProperty(window, "__nianbaoPending", { get: () => pending });
})();
"""
# Resolves after every task queued before it has run (the answers' callbacks among them).
_PAGE_PENDING = "() => new Promise(done => setTimeout(() => done(window.__nianbaoPending || 0), 0))"


async def _route_light(route: Any, request: Any) -> None:
    if await abort_heavy_resources(request):
        await route.abort()
    else:
        await route.continue_()


def page_listeners(request: Request, spider: Any) -> dict[str, Any]:
    """The page events a request asks to hear, as scrapy-playwright's meta names them:
    ``playwright_page_event_handlers = {"response": "record_xhr"}`` (a spider method's name,
    or a callable)."""
    wanted = request.meta.get("playwright_page_event_handlers") or {}
    listeners = {}
    for event, handler in wanted.items():
        listener = getattr(spider, handler, None) if isinstance(handler, str) else handler
        if callable(listener):
            listeners[event] = listener
    return listeners


async def _apply_page_methods(page: Any, request: Request) -> None:
    """scrapy-playwright's ``playwright_page_methods``: :class:`~scrapy_playwright.page.PageMethod`
    objects run on the page before its HTML is taken (a click on 加载更多, a wait for a
    selector named in a site's hints), each result kept on the object as scrapy-playwright
    does."""
    from scrapy_playwright.page import PageMethod

    for step in request.meta.get("playwright_page_methods") or ():
        if not isinstance(step, PageMethod):
            continue
        if callable(step.method):
            result = step.method(page, *step.args, **step.kwargs)
        else:
            result = getattr(page, step.method)(*step.args, **step.kwargs)
        step.result = await result if asyncio.iscoroutine(result) else result


async def _click_to_page(
    page: Any, number: int, traffic: _ScriptTraffic, deadline: float, quiet_s: float
) -> None:
    """Show page ``number`` of a list a script pages (crawler/scriptpages.py): click its number,
    or 下一页 (a page further each) until it shows or is reached, letting the page settle after
    every click."""
    for step in range(1, min(number, MAX_LIST_PAGES)):
        clicked = await page.evaluate(CLICK_TO_PAGE, number)
        if clicked == "none":
            logger.info("%s: no control leads to page %d of its list", page.url, number)
            return
        traffic.last_change = time.monotonic()  # what the click asks for may not be on the wire yet
        await traffic.settled(page, deadline, quiet_s)
        if clicked == "done" or step + 1 == number:
            return


class _PageListeners:
    """Page event listeners whose work (coroutines) is awaited before the page is taken."""

    def __init__(self, page: Any, listeners: dict[str, Any]) -> None:
        self.tasks: set[asyncio.Future[Any]] = set()
        for event, listener in listeners.items():
            page.on(event, self._heard(listener))

    def _heard(self, listener: Any) -> Any:
        def on_event(payload: Any) -> None:
            result = listener(payload)
            if asyncio.iscoroutine(result):
                task = asyncio.ensure_future(result)
                self.tasks.add(task)
                task.add_done_callback(self.tasks.discard)

        return on_event

    async def finished(self, deadline: float) -> None:
        if self.tasks:
            await asyncio.wait(set(self.tasks), timeout=max(0.1, deadline - time.monotonic()))


class _ScriptTraffic:
    """Counts a page's XHR/fetch requests in flight and when the last one ended."""

    def __init__(self, page: Any) -> None:
        self.pending = 0
        self.last_change = time.monotonic()
        page.on("request", self._started)
        page.on("requestfinished", self._ended)
        page.on("requestfailed", self._ended)

    def _started(self, request: Any) -> None:
        if request.resource_type in _SCRIPT_TRAFFIC:
            self.pending += 1
            self.last_change = time.monotonic()

    def _ended(self, request: Any) -> None:
        if request.resource_type in _SCRIPT_TRAFFIC:
            self.pending = max(0, self.pending - 1)
            self.last_change = time.monotonic()

    async def settled(self, page: Any, deadline: float, quiet_s: float) -> None:
        """Until no XHR/fetch is on the wire, none ended for ``quiet_s`` and the page has run
        the callbacks of every answer, or the deadline: a poller that asks every few seconds
        is quiet in between, so it does not hold a page."""
        while time.monotonic() < deadline:
            quiet = not self.pending and time.monotonic() - self.last_change >= quiet_s
            if quiet and not await page.evaluate(_PAGE_PENDING):
                return
            await asyncio.sleep(0.05)


_SHARED: SharedBrowser | None = None


def shared_browser(settings: BaseSettings) -> SharedBrowser:
    """This process's browser (made on first use, with the first renderer's settings)."""
    global _SHARED
    if _SHARED is None:
        _SHARED = SharedBrowser(settings)
    return _SHARED


def render_load() -> tuple[int, int]:
    """(pages open, renders queued) of this process's browser."""
    return (_SHARED.open_pages, _SHARED.queued) if _SHARED is not None else (0, 0)


async def close_shared_browser() -> None:
    global _SHARED
    browser, _SHARED = _SHARED, None
    if browser is not None:
        await browser.close()


class OutOfTime(IgnoreRequest):
    """Not fetched: the site's time budget ran out. The budget's own problems row says so, and
    the frontier keeps the request for the next run."""


# -- the download handler -------------------------------------------------------------------
class LazyRenderingDownloadHandler(HTTP11DownloadHandler):
    """Scrapy's HTTP/1.1 handler; ``playwright`` requests go to the shared browser. Keeps
    its downloads in flight so a site stopped by its time budget can cancel them."""

    lazy = False

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self._in_flight: set[asyncio.Future[Response]] = set()
        self._stopped = False  # the site is out of time: nothing more goes on the wire
        # http and https get a handler each
        crawler.__dict__.setdefault("_nianbao_download_handlers", []).append(self)

    async def download_request(self, request: Request) -> Response:
        if self._stopped:
            raise OutOfTime(f"{request.url}: not fetched, the site ran out of time")
        task = asyncio.ensure_future(self._download(request))
        self._in_flight.add(task)
        try:
            return await task
        except asyncio.CancelledError:
            if not self._stopped:
                raise
            # As an error Scrapy knows: a bare CancelledError would leave the request active.
            raise OutOfTime(f"{request.url}: cancelled, the site ran out of time") from None
        finally:
            self._in_flight.discard(task)

    async def _download(self, request: Request) -> Response:
        if not request.meta.get("playwright"):
            return await super().download_request(request)
        self._crawler.stats.inc_value("nianbao/rendered")
        listeners = page_listeners(request, self._crawler.spider)
        return await shared_browser(self._crawler.settings).render(request, listeners)

    def cancel_all(self) -> int:
        self._stopped = True
        for task in list(self._in_flight):
            task.cancel()
        return len(self._in_flight)


def cancel_in_flight(crawler: Crawler) -> int:
    """Cancel the crawler's downloads on the wire (a site out of time); how many."""
    handlers = getattr(crawler, "_nianbao_download_handlers", [])
    return sum(handler.cancel_all() for handler in handlers)
