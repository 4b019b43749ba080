"""The baseline crawler: a bare Scrapy spider that fetches the same URLs as nianbao.

No middleware, pipeline, extension or scheduler of ours: Scrapy's defaults (in-memory
queue and dupe filter), bodies discarded. It walks from the home page by following every
``<a href>`` whose path is in a given set (the pages and files a report crawler fetches
from the generated portal), so like nianbao it parses each page for links and finds each
URL through the page that links it. Concurrency and politeness settings are passed in
the same ``-s NAME=VALUE`` form as to ``nianbao crawl``.

``python -m bench.bare_spider START_URL PATHS_FILE STATS_JSON [-s NAME=VALUE]...``
writes Scrapy's final stats (elapsed time, responses) to ``STATS_JSON``.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request, Spider
from scrapy.crawler import CrawlerProcess
from scrapy.http import Response, TextResponse


class BareSpider(Spider):
    name = "bare"

    def __init__(self, start: str, paths: set[str], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.start_urls = [start]
        self.paths = paths

    async def start(self) -> AsyncIterator[Request]:
        # Filtered like every other request (as nianbao's are): the home page once.
        for url in self.start_urls:
            yield Request(url, callback=self.parse)

    def parse(self, response: Response) -> Iterator[Request]:
        if not isinstance(response, TextResponse):
            return
        for href in response.css("a::attr(href)").getall():
            url = response.urljoin(href)
            if urlsplit(url).path in self.paths:
                yield Request(url, callback=self.parse)


BASE_SETTINGS: dict[str, Any] = {
    "TWISTED_REACTOR": "twisted.internet.asyncioreactor.AsyncioSelectorReactor",
    "REQUEST_FINGERPRINTER_IMPLEMENTATION": "2.7",
    "COOKIES_ENABLED": False,
    "TELNETCONSOLE_ENABLED": False,
    "LOG_LEVEL": "INFO",
}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.bare_spider")
    parser.add_argument("start")
    parser.add_argument("paths_file")
    parser.add_argument("stats_json")
    parser.add_argument("-s", dest="settings", action="append", default=[])
    args = parser.parse_args(argv)
    settings = dict(BASE_SETTINGS)
    for pair in args.settings:
        name, _, value = pair.partition("=")
        settings[name] = value
    paths = set(Path(args.paths_file).read_text("utf-8").split())
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(BareSpider)
    process.crawl(crawler, start=args.start, paths=paths)
    process.start()
    stats = crawler.stats.get_stats()
    Path(args.stats_json).write_text(json.dumps(stats, default=str), "utf-8")


if __name__ == "__main__":
    main()
