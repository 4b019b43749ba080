"""Rendering listings in a real browser — only when nothing else works.

The http(s) download handler is plain Scrapy HTTP; a request marked
``meta["playwright"] = True`` goes instead to scrapy-playwright driving Debian's Chromium.
Playwright is started on the first such request, not for every site's crawler, so a crawl
of hundreds of static portals never starts a browser. The spider marks only listing pages
(home, section, column) for rendering, and only when their HTML yields nothing to follow,
or when the site says ``render: always``; attachments are never fetched by the browser.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

from scrapy import Request
from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler
from scrapy.crawler import Crawler
from scrapy.http import Response

from crawler.sandbox import sandbox_args

_CHROMIUM_CANDIDATES = ("/usr/lib/chromium/chromium", "/usr/bin/chromium", "/usr/bin/chromium-browser")


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
    return {
        "playwright": True,
        "playwright_page_goto_kwargs": {"wait_until": "networkidle", "timeout": 30_000},
        # A browser navigation answered 304 has nothing to show (net::ERR_ABORTED).
        "dont_revalidate": True,
    }


class LazyRenderingDownloadHandler(HTTP11DownloadHandler):
    lazy = False

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self._renderer: Any = None
        self._start_lock = asyncio.Lock()

    async def download_request(self, request: Request) -> Response:
        if not request.meta.get("playwright"):
            return await super().download_request(request)
        renderer = await self._start_renderer()
        self._crawler.stats.inc_value("nianbao/rendered")
        return await renderer.download_request(request)

    async def _start_renderer(self) -> Any:
        async with self._start_lock:
            if self._renderer is None:
                from scrapy_playwright.handler import ScrapyPlaywrightDownloadHandler

                renderer = ScrapyPlaywrightDownloadHandler.from_crawler(self._crawler)
                # Its own start-up hook runs at engine start, long past by now.
                await renderer._launch()
                self._renderer = renderer
        return self._renderer

    async def close(self) -> None:
        if self._renderer is not None:
            await self._renderer.close()
        await super().close()
