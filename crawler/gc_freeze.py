"""Keep Python's garbage collector off the objects a crawl starts with.

A crawl allocates a few container objects per link and per response, so the cyclic
collector runs often, and each full collection walks every object the process holds —
mostly the modules, classes and settings loaded before the first request (Scrapy,
Twisted, lxml, the parsers), none of which will ever be garbage. Profiles of a large crawl
put a tenth of its time in those walks. When a spider opens, this extension moves every
object alive then into the permanent generation (:func:`gc.freeze`); collections after
that look only at what the crawl itself allocates. Reference counting still frees
frozen objects as usual; only a cycle among them would outlive its use — which is why it
is done once per process: frozen while other site crawls run, their objects would never be
collected after those crawls end (the site pool freezes before its first crawl).
"""

from __future__ import annotations

import gc
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler

_frozen = False


def freeze_startup_objects() -> int:
    """Freeze what is alive now, the first time only; the number of frozen objects."""
    global _frozen
    if not _frozen:
        _frozen = True
        gc.collect()  # what is garbage already goes now, not into the permanent generation
        gc.freeze()
    return gc.get_freeze_count()


class FreezeStartupObjects:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> FreezeStartupObjects:
        ext = cls(crawler)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        return ext

    def spider_opened(self, spider: Any) -> None:
        self.crawler.stats.set_value("nianbao/gc_frozen_objects", freeze_startup_objects())
