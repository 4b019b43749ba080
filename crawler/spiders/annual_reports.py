"""The generic annual-report spider: home page → 信息公开 section → 年报 column → reports.

One spider instance crawls one site (``scrapy crawl annual_reports -a site=NAME``). It
never needs per-site code: it recognises the 年报 column by its link text or slug, pages
through the column with the page's platform adapter, follows items whose titles are
disclosure reports (decoys such as 法治政府建设年度报告 are left alone), and downloads every
attachment of a report page. The archive middleware keeps every response; this spider only
decides what to fetch next, tagging each request with its ``role``.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request, Spider
from scrapy.http import Response, TextResponse

from crawler.items import ReportItem, report_item, site_name
from crawler.links import Link, extract_links, is_attachment_url
from crawler.platforms import platform_for
from crawler.render import render_meta
from crawler.sites import Site, load_sites, select_sites
from parsers.titles import is_column_label, is_report_title

# Slugs of 年报 columns seen on real portals (PORTALS.md).
_COLUMN_SLUG = re.compile(r"/(zfxxgknb|xxgknb|zfxxgkndbg|xxgk-xxgknb|ndbg|gknb|zwgknb)(/|$|\.)", re.I)
_SECTION_TEXT = re.compile(
    r"(政府|政务)?信息公开$|^政务公开$|^信息公开(目录|平台|专栏)$|^政府信息公开(目录|平台|专栏)?$"
)
_SUBCOLUMN_TEXT = re.compile(
    r"^((19|20)\d{2}年?度?(年报|年度报告)?|.{0,12}(部门|乡镇|街道|区县|县区|市直)(年报|年度报告)?)$"
)
MAX_SECTION_DEPTH = 2
_CARRIED_META = ("role", "link_text", "referer", "depth_section")


class AnnualReportsSpider(Spider):
    name = "annual_reports"

    def __init__(self, site: str | Site | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._site_arg = site

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> AnnualReportsSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        sites_file = getattr(spider, "sites_file", None) or crawler.settings.get("NIANBAO_SITES_FILE")
        spider.site = spider._resolve_site(sites_file)  # -a sites_file=FILE or -s NIANBAO_SITES_FILE
        spider.allowed_domains = list(spider.site.allowed_domains)
        return spider

    def _resolve_site(self, sites_file: str | None) -> Site:
        if isinstance(self._site_arg, Site):
            return self._site_arg
        if not self._site_arg:
            raise ValueError("annual_reports needs a site: scrapy crawl annual_reports -a site=NAME")
        return select_sites(load_sites(sites_file), [self._site_arg])[0]

    async def start(self) -> AsyncIterator[Request]:
        for url in self.site.start_urls:
            meta = {"role": "home", "depth_section": 0, **self._render_always()}
            yield Request(url, callback=self.parse_home, meta=meta)

    # -- page kinds -----------------------------------------------------------------------
    def parse_home(self, response: Response) -> Iterator[Request]:
        """A home or 信息公开 section page: look for the 年报 column, else go one section deeper."""
        yield from self._or_render(response, self._parse_home(response))

    def parse_listing(self, response: Response) -> Iterator[Request]:
        """A page of the 年报 column: its report items, sub-columns and further pages."""
        yield from self._or_render(response, self._parse_listing(response))

    def _parse_home(self, response: Response) -> Iterator[Request]:
        if not isinstance(response, TextResponse):
            return
        links = extract_links(response.selector, response.url)
        columns = [link for link in links if self._is_column_link(link)]
        for link in columns:
            yield self._follow(response, link, "listing", self.parse_listing)
        if _column_name(response) or self._report_links(links):
            # The page is itself a listing (a 年报汇总 page, or a column reached directly).
            yield from self.parse_listing(response)
        if columns:
            return
        depth = response.meta.get("depth_section", 0)
        if depth < MAX_SECTION_DEPTH:
            for link in links:
                if _SECTION_TEXT.search(link.text) and _same_site(link.url, response.url):
                    yield self._follow(response, link, "section", self.parse_home, depth_section=depth + 1)

    def _parse_listing(self, response: Response) -> Iterator[Request]:
        if not isinstance(response, TextResponse):
            return
        platform = platform_for(response)
        for link in platform.item_links(response):
            if is_report_title(link.text):
                if is_attachment_url(link.url):
                    yield self._follow(response, link, "report", self.parse_file)
                else:
                    yield self._follow(response, link, "report", self.parse_report)
            elif self._is_subcolumn(link, response):
                yield self._follow(response, link, "listing", self.parse_listing)
        for page in platform.next_pages(response):
            if isinstance(page, Request):
                meta = {"role": "listing", "referer": response.url, "paged": True, **page.meta}
                yield page.replace(callback=page.callback or self.parse_listing, meta=meta)
            else:
                yield self._follow(response, page, "listing", self.parse_listing, paged=True)

    def parse_report(self, response: Response) -> Iterator[Request | ReportItem]:
        """A report's article page: its item, then download every attachment."""
        yield report_item(response, site_name(self))
        if not isinstance(response, TextResponse):
            return  # the "page" was a file after all; archived as it is
        for link in platform_for(response).attachment_links(response):
            yield self._follow(response, link, "attachment", self.parse_file)

    def parse_file(self, response: Response) -> Iterator[ReportItem]:
        """Attachments need nothing more than their item: the archive middleware has kept them."""
        yield report_item(response, site_name(self))

    # -- rendering ------------------------------------------------------------------------
    def _or_render(self, response: Response, requests: Iterator[Request]) -> Iterator[Request]:
        """Pass on what a listing page yields; if its HTML yields nothing (a list built by
        script), ask for the page again, rendered in the browser (crawler/render.py)."""
        found = 0
        for request in requests:
            found += 1
            yield request
        if found or response.meta.get("playwright") or self.site.render == "never":
            return
        if response.meta.get("paged") or response.meta.get("soft_404"):
            return  # an empty deep page of a paged list is a stub, not a script-built list
        if not isinstance(response, TextResponse):
            return
        self.logger.info("%s yields nothing to follow: rendering it in the browser", response.url)
        meta = {k: v for k, v in response.meta.items() if k in _CARRIED_META}
        yield response.request.replace(meta={**meta, **render_meta()}, dont_filter=True)

    def _render_always(self) -> dict[str, Any]:
        return render_meta() if self.site.render == "always" else {}

    # -- helpers --------------------------------------------------------------------------
    def _follow(self, response: Response, link: Link, role: str, callback: Any, **meta: Any) -> Request:
        if role in ("section", "listing"):
            meta = {**self._render_always(), **meta}
        return Request(
            link.url,
            callback=callback,
            meta={"role": role, "link_text": link.text, "referer": response.url, **meta},
        )

    def _is_column_link(self, link: Link) -> bool:
        return is_column_label(link.text) or bool(_COLUMN_SLUG.search(urlsplit(link.url).path))

    def _report_links(self, links: list[Link]) -> list[Link]:
        return [link for link in links if is_report_title(link.text)]

    def _is_subcolumn(self, link: Link, response: Response) -> bool:
        """A year or department sub-column under the current column (…/zfxxgknb/2022/)."""
        here = urlsplit(response.url).path.rsplit("/", 1)[0] + "/"
        there = urlsplit(link.url).path
        return (
            there.startswith(here)
            and there != urlsplit(response.url).path
            and bool(_SUBCOLUMN_TEXT.match(link.text))
        )


def _column_name(response: TextResponse) -> bool:
    name = response.xpath("//meta[@name='ColumnName']/@content").get() or ""
    return is_column_label(name)


def _same_site(url: str, other: str) -> bool:
    return urlsplit(url).hostname == urlsplit(other).hostname
