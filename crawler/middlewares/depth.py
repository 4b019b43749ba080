"""Depth that counts steps into a site, not pages of a list.

Scrapy's ``DepthMiddleware`` adds one to the depth of every request a page yields, so a
column paged by 下一页 / windowed page numbers grows one level deeper per page, and
``DEPTH_LIMIT`` cuts a long column off in the middle. Here a further page of a listing
(``meta[Meta.PAGED]``, set by the spider) keeps the depth of the page that links it: the
depth is the structural one (home → section → column → report → attachment), and
``DEPTH_LIMIT`` guards against wandering off into the site, not against long columns.

A list is still not followed forever: ``NIANBAO_PAGE_HOPS_LIMIT`` bounds how many pages a
chain of further pages may run (a pager that always offers one more page; 0: no limit).
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.http import Response
from scrapy.spidermiddlewares.depth import DepthMiddleware

from vocabulary import Meta

logger = logging.getLogger(__name__)


class PagingDepthMiddleware(DepthMiddleware):
    page_hops_limit = 1000

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Any:
        mw = super().from_crawler(crawler)
        mw.page_hops_limit = crawler.settings.getint("NIANBAO_PAGE_HOPS_LIMIT", cls.page_hops_limit)
        return mw

    def get_processed_request(self, request: Request, response: Response | None) -> Request | None:
        if response is None or not request.meta.get(Meta.PAGED):
            return super().get_processed_request(request, response)
        hops = response.meta.get(Meta.PAGE_HOPS, 0) + 1
        if self.page_hops_limit and hops > self.page_hops_limit:
            logger.debug("Ignoring page (more than %d pages on): %s", self.page_hops_limit, request.url)
            self.stats.inc_value("nianbao/page_hops_ignored")
            return None
        depth = response.meta.get("depth", 0)
        request.meta["depth"] = depth
        request.meta[Meta.PAGE_HOPS] = hops
        if self.prio:
            request.priority -= depth * self.prio
        self.stats.max_value("nianbao/page_hops_max", hops)
        return request
