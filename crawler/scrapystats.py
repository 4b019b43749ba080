"""Scrapy's own stats (``downloader/…``, ``response_received_count``, ``finish_reason``, …)
kept with the run: one ``scrapy_stats`` row per run and site, as JSON, written when the
site's spider closes (``nianbao crawl`` and a bare ``scrapy crawl`` alike)."""

from __future__ import annotations

from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler

from crawler.runs import crawl_site, run_context


class KeepScrapyStats:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> KeepScrapyStats:
        ext = cls(crawler)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_closed(self, spider: Any, reason: str) -> None:
        ctx = run_context(self.crawler)
        stats = {**self.crawler.stats.get_stats(), "finish_reason": reason}
        ctx.archive.record_scrapy_stats(ctx.run_id, crawl_site(self.crawler), stats)
