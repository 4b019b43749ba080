"""The generic annual-report spider: a bounded, best-first crawl of a portal for its 年报.

One spider instance crawls one site (``scrapy crawl annual_reports -a site=NAME``). It never
needs per-site code. From the home page every same-site link is scored
(:func:`crawler.scoring.score_link`: its text and title, URL slug, the text around it, the
page's breadcrumb or ColumnName, what the page is) and explored in score order (the request
priority) within a page budget (``NIANBAO_DISCOVERY_BUDGET``). Strong links (a 年报 column, a
信息公开 section, a year or department sub-column) are explored at once; weaker ones are kept
aside (in the site's frontier, SQLite or Redis: a crawl killed and resumed still has them) and
tried, best first, only while nothing has been found.

Wherever they turn up, at any depth, it recognises report items (by title: decoys such as
法治政府建设年度报告 are left alone), listings (a page that lists reports, or is a 年报
column) and attachments. A listing is handed to its CMS adapter (``crawler/platforms``)
for its items and further pages — the fast path. A listing a script fills is rendered once in
Chromium, the API answers it got are recorded and its further pages asked of that API
directly. On a report page, every attachment is downloaded, and links that only suggest a
download are fetched and kept if the answer is a document. Every page's charset is decided
once, from its bytes when its labels lie (``crawler/charset.py``).

The archive middleware keeps every response; this spider decides what to fetch next, tagging
each request with its ``role``. At the end, what the site's health should say (nothing found
after N pages, a column without reports, lying charsets) is left in :attr:`health_note`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request, Spider, signals
from scrapy.exceptions import DontCloseSpider
from scrapy.http import Response, TextResponse

from crawler.charset import decoded, has_replacement
from crawler.follow import attachment_links, report_links
from crawler.frontier import AsideLink, AsideStore, MemoryAside
from crawler.identity import require_operator
from crawler.items import ReportItem, report_item, site_name
from crawler.links import Link, extract_links, is_attachment_url, join_url, unwrap_href
from crawler.platforms import platform_for
from crawler.platforms.jsonlist import ApiCall, answer_json, json_items, later_pages
from crawler.render import render_meta
from crawler.runs import record_problem, run_context
from crawler.scoring import COLUMN, LISTING, MEDIUM, NEVER, STRONG, score_link
from crawler.scriptpages import MAX_LIST_PAGES, script_pager
from crawler.sites import Site, load_sites, select_sites
from vocabulary import Meta, Role, is_column_label, is_report_title, normalize

DISCOVERY_BUDGET = 300  # default of NIANBAO_DISCOVERY_BUDGET: discovery pages per site
WEAK_BATCH = 4  # weak links released at a time when the crawl would otherwise end
MAX_WEAK = 5000  # weak links kept aside (the best ones)
MAX_XHR = 20  # API answers kept per rendered page
# Request priorities: a column's items and files first, then its pages, then discovery by score.
REPORT_PRIORITY = 1000
PAGE_PRIORITY = 500
_CARRIED_META = (Meta.ROLE, Meta.LINK_TEXT, Meta.REFERER, "depth", Meta.COLUMN)


class AnnualReportsSpider(Spider):
    name = "annual_reports"

    def __init__(self, site: str | Site | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._site_arg = site
        self.budget = DISCOVERY_BUDGET
        self.discovery_pages = 0  # discovery requests made (home, sections, columns)
        self.report_items = 0
        self.columns: list[str] = []  # listings found that are 年报 columns
        self._queued: set[str] = set()
        self._aside_links: AsideStore | None = None  # see _aside()
        self._xhr: dict[str, list[dict[str, str]]] = {}
        self._clicked: dict[str, int] = {}  # a script-paged list → the last page asked of it
        self.charset_notes: list[str] = []
        self._chrome: set[str] = set()  # the home page's links: site-wide menus, not sub-columns
        self._garbled = False  # a listing with replacement characters was flagged

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> AnnualReportsSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        sites_file = getattr(spider, "sites_file", None) or crawler.settings.get("NIANBAO_SITES_FILE")
        spider.site = spider._resolve_site(sites_file)  # -a sites_file=FILE or -s NIANBAO_SITES_FILE
        require_operator(crawler.settings, spider.site.start_urls)  # a bare `scrapy crawl` too
        spider.allowed_domains = list(spider.site.allowed_domains)
        spider.budget = crawler.settings.getint("NIANBAO_DISCOVERY_BUDGET", DISCOVERY_BUDGET)
        crawler.signals.connect(spider._release_weak, signal=signals.spider_idle)
        return spider

    def _resolve_site(self, sites_file: str | None) -> Site:
        if isinstance(self._site_arg, Site):
            return self._site_arg
        if not self._site_arg:
            raise ValueError("annual_reports needs a site: scrapy crawl annual_reports -a site=NAME")
        return select_sites(load_sites(sites_file), [self._site_arg])[0]

    async def start(self) -> AsyncIterator[Request]:
        if self.crawler.stats.get_value("nianbao/frontier/resumed"):
            self._resume()
        for url in self.site.start_urls:
            self._queued.add(url)
            self.discovery_pages += 1
            meta = {Meta.ROLE: Role.HOME, **self._render_always()}
            yield Request(url, callback=self.parse_home, meta=meta)

    # -- page kinds -----------------------------------------------------------------------
    def parse_home(self, response: Response) -> Iterator[Request]:
        """Any page discovery reached (home, section, column): reports, listings, links."""
        yield from self._or_render(response, self._page(response, listing=False))

    def parse_listing(self, response: Response) -> Iterator[Request]:
        """A page of a 年报 column (or an API answer for one): items, sub-columns, pages."""
        yield from self._or_render(response, self._page(response, listing=True))

    def parse_report(self, response: Response) -> Iterator[Request | ReportItem]:
        """A report's article page: its item, then every attachment and download-like link."""
        response = self._decoded(response)
        yield report_item(response, site_name(self))
        if not isinstance(response, TextResponse):
            return  # the "page" was a file after all; archived as it is
        for link, probe in attachment_links(response):
            # A link that only suggests a download is kept if the answer is a document.
            probing = {"probe_document": True} if probe else {}
            yield self._follow(
                response, link, Role.ATTACHMENT, self.parse_file, priority=REPORT_PRIORITY, **probing
            )

    def parse_file(self, response: Response) -> Iterator[ReportItem]:
        """Attachments need nothing more than their item: the archive middleware has kept them."""
        yield report_item(response, site_name(self))

    # -- one page -------------------------------------------------------------------------
    def _page(self, response: Response, *, listing: bool) -> Iterator[Request]:
        response = self._decoded(response)
        if not isinstance(response, TextResponse):
            return
        platform = platform_for(response)
        api_answer = bool(response.meta.get(Meta.PLATFORM))
        links = [] if api_answer else extract_links(response.selector, response.url)
        # A page that lists a report (in its links, or records its CMS keeps in a script) is a
        # listing wherever it turns up: a 年报汇总 page, a department's column …
        listing = listing or api_answer or _column_name(response)
        listing = listing or any(is_report_title(x.text) for x in (*links, *platform.item_links(response)))
        if listing:
            # (A rendered page was decoded by the browser, by the header: not ours to judge.)
            garbled = not api_answer and not response.meta.get("playwright") and has_replacement(response)
            if garbled and not self._garbled:
                self._garbled = True
                self._flag(
                    "charset", f"listing decoded with replacement characters: {response.url}", response.url
                )
            if not response.meta.get(Meta.PAGED) and not api_answer and response.url not in self.columns:
                self.columns.append(response.url)
            yield from self._listing(response, platform)
        if response.meta.get(Meta.ROLE) == Role.HOME:
            self._chrome.update(link.url for link in links)
        if not api_answer and not response.meta.get(Meta.PAGED):
            yield from self._discover(response, links, listing=listing)

    def _report(self, response: TextResponse, link: Link) -> Request:
        self.report_items += 1
        self._queued.add(link.url)
        callback = self.parse_file if is_attachment_url(link.url) else self.parse_report
        return self._follow(response, link, Role.REPORT, callback, priority=REPORT_PRIORITY)

    def _listing(self, response: TextResponse, platform: Any) -> Iterator[Request]:
        links = list(platform.item_links(response))
        for link in report_links(response, platform, links):
            yield self._report(response, link)
        api_pages = [request for answer in self._recorded_answers(response) for request in answer]
        # A rendered list no recorded API answer pages was built by script from data of each
        # page's own: its further pages are rendered too (each counts against the budget).
        render_pages = bool(response.meta.get("playwright")) and not api_pages
        linked = False
        for page in platform.next_pages(response):
            linked = True
            yield self._page_request(response, page, render=render_pages)
        yield from api_pages
        if render_pages and not linked:
            yield from self._clicked_pages(response, [link.url for link in links])

    def _page_request(self, response: TextResponse, page: Link | Request, *, render: bool = False) -> Request:
        if isinstance(page, Request):
            meta = {Meta.ROLE: Role.LISTING, Meta.REFERER: response.url, Meta.PAGED: True, **page.meta}
            return page.replace(
                callback=page.callback or self.parse_listing, meta=meta, priority=PAGE_PRIORITY
            )
        # (A site rendered always has its pages rendered anyway.)
        rendered = render and self.site.render != "always" and page.url not in self._queued
        rendered = rendered and self._may_render_page()
        self._queued.add(page.url)
        return self._follow(
            response,
            page,
            Role.LISTING,
            self.parse_listing,
            paged=True,
            priority=PAGE_PRIORITY,
            **(render_meta() if rendered else {}),
        )

    def _may_render_page(self) -> bool:
        """Whether one more page of a script-built list may be rendered (the budget allows)."""
        if self.discovery_pages >= self.budget:
            return False
        self.discovery_pages += 1
        return True

    def _clicked_pages(self, response: TextResponse, items: list[str]) -> Iterator[Request]:
        """The further pages of a list a script pages without links (crawler/scriptpages.py):
        the list rendered again at page N, for every page its pager shows (or the next one,
        when it shows only 下一页), until a click brings no other links (``items``)."""
        pager = script_pager(response)
        current = response.meta.get(Meta.LIST_PAGE, 1)
        if pager is None or (current > 1 and items == response.meta.get(Meta.ITEMS_BEFORE)):
            return
        highest = max(pager.highest, current + 1 if pager.has_next else 0)
        for number in range(self._clicked.get(response.url, 1) + 1, min(highest, MAX_LIST_PAGES) + 1):
            if not self._may_render_page():
                return
            self._clicked[response.url] = number
            meta = {
                Meta.ROLE: Role.LISTING,
                Meta.REFERER: response.url,
                Meta.PAGED: True,
                Meta.LIST_PAGE: number,
                Meta.ITEMS_BEFORE: items,
                **render_meta(),
            }
            yield Request(
                response.url, callback=self.parse_listing, meta=meta, priority=PAGE_PRIORITY, dont_filter=True
            )

    def _discover(self, response: TextResponse, links: list[Link], *, listing: bool) -> Iterator[Request]:
        """Score the page's same-site links: strong ones now, weak ones aside."""
        here = urlsplit(response.url).netloc
        label = _page_label(response)
        role = Role.LISTING if listing else Role.SECTION
        anchors = _anchors_by_url(response)
        scored = []
        for link in links:
            if link.url in self._queued or urlsplit(link.url).netloc != here or is_attachment_url(link.url):
                continue
            if is_report_title(link.text):
                continue  # handled as a report item
            around = anchors.get(link.url, "")
            # A listing's link that every page carries (the site's menu) is no sub-column of it.
            parent = Role.SECTION if listing and link.url in self._chrome else role
            score = score_link(
                link.text,
                link.url,
                around=around,
                page_label=label,
                parent_role=parent,
                parent_url=response.url,
            )
            if score > NEVER:
                scored.append((score, link))
        has_column = any(score >= COLUMN - 10 for score, _ in scored)
        depth = response.meta.get("depth", 0)
        for score, link in sorted(scored, key=lambda x: -x[0]):
            if link.url in self._queued:
                continue
            # Beside a 年报 column link, a section is worth a look only if nothing turns up.
            strong = score >= STRONG and (not has_column or score >= 80 or listing)
            if strong and self.discovery_pages < self.budget:
                self._queued.add(link.url)
                self.discovery_pages += 1
                yield self._discovery_request(link, response.url, score, depth + 1)
            else:
                # A listing's department-like links are tried at the end in any case.
                kind = "medium" if listing and score >= MEDIUM else "weak"
                if kind == "medium":
                    response.meta[Meta.SUB_COLUMNS_ASIDE] = True  # not a script-built list
                if self._aside().count(kind) < MAX_WEAK:
                    self._aside().push(AsideLink(kind, link.url, score, link.text, response.url, depth + 1))

    def _discovery_request(
        self, link: Link, referer: str, score: int, depth: int, *, listing: bool = False
    ) -> Request:
        listing = listing or score >= LISTING
        meta = {
            Meta.ROLE: Role.LISTING if listing else Role.SECTION,
            Meta.LINK_TEXT: link.text,
            Meta.REFERER: referer,
            # A section or page found by its score may be missing from a recording: skip it then.
            Meta.SPECULATIVE: score < 90,
            **self._render_always(),
        }
        callback = self.parse_listing if listing else self.parse_home
        return Request(link.url, callback=callback, meta=meta, priority=max(score, 0))

    def _release_weak(self, spider: Spider) -> None:
        """When the crawl would end, try the best links kept aside: a listing's medium ones
        always, weak ones only while nothing has been found."""
        if spider is not self or self.discovery_pages >= self.budget:
            return
        released = 0
        aside = self._aside()
        while released < WEAK_BATCH and self.discovery_pages < self.budget:
            kind = "medium" if aside.count("medium") else "weak" if not self._found() else ""
            link = aside.pop(kind) if kind else None
            if link is None:
                break
            if link.url in self._queued:
                continue
            self._queued.add(link.url)
            self.discovery_pages += 1
            sub_column = kind == "medium"  # a listing's department-like link
            request = self._discovery_request(
                Link(link.url, link.text), link.referer, link.score, link.depth, listing=sub_column
            )
            request.meta["depth"] = link.depth
            self.crawler.engine.crawl(request)
            released += 1
        if released:
            raise DontCloseSpider

    def _aside(self) -> AsideStore:
        """Where links set aside are kept: the site's frontier (SQLite, or Redis shared by the
        crawl's workers), so that a killed crawl resumes with them; in memory under a scheduler
        without one."""
        if self._aside_links is None:
            frontier = getattr(self.crawler, "_nianbao_frontier", None)
            self._aside_links = getattr(frontier, "aside", None) or MemoryAside()
        return self._aside_links

    # -- rendering ------------------------------------------------------------------------
    def _or_render(self, response: Response, requests: Iterator[Request]) -> Iterator[Request]:
        """Pass on what a page yields; if a listing yields no items and no pages (a list built by
        script) or a page yields nothing at all, ask for it again, rendered in the browser."""
        found = followed = 0
        for request in requests:
            found += 1
            if request.meta.get(Meta.ROLE) in (Role.REPORT, Role.LISTING):
                followed += 1  # items, pages or sub-columns of a listing
            yield request
        if response.meta.get("playwright") or self.site.render == "never":
            return
        if (
            response.meta.get(Meta.PAGED)
            or response.meta.get(Meta.SOFT_404)
            or response.meta.get(Meta.PLATFORM)
        ):
            return  # an empty deep page of a paged list is a stub, not a script-built list
        if not isinstance(response, TextResponse):
            return
        if response.meta.get(Meta.ROLE) == Role.LISTING or _column_name(response):
            if followed or response.meta.get(Meta.SUB_COLUMNS_ASIDE):
                return
        elif found or extract_links(response.selector, response.url):
            return  # a page with links to weigh is not script-built
        self.logger.info("%s yields nothing to follow: rendering it in the browser", response.url)
        meta = {k: v for k, v in response.meta.items() if k in _CARRIED_META}
        yield response.request.replace(meta={**meta, **self._render_meta()}, dont_filter=True)

    def _render_meta(self) -> dict[str, Any]:
        # The page's own API answers are recorded while it renders (record_xhr).
        return {**render_meta(), "playwright_page_event_handlers": {"response": "record_xhr"}}

    def _render_always(self) -> dict[str, Any]:
        return self._render_meta() if self.site.render == "always" else {}

    async def record_xhr(self, response: Any) -> None:
        """A scrapy-playwright page event handler: keep the XHR/fetch answers of a rendering
        page that may be list data, by the page's URL."""
        try:
            request = response.request
            if request.resource_type not in ("xhr", "fetch") or response.status >= 400:
                return
            page = response.frame.url
            kept = self._xhr.setdefault(page, [])
            if len(kept) >= MAX_XHR:
                return
            text = await response.text()
            headers = await request.all_headers()
            kept.append(
                {
                    "url": response.url,
                    "method": request.method,
                    "body": request.post_data or "",
                    "content_type": headers.get("content-type", ""),
                    "text": text[:2_000_000],
                }
            )
        except Exception as error:  # a page closing under us: nothing to record
            self.logger.debug("no API answer recorded: %s", error)

    def _recorded_answers(self, response: TextResponse) -> Iterator[Iterator[Request]]:
        """Further pages of every list API the page called while it rendered."""
        if not response.meta.get("playwright"):
            return
        for xhr in self._xhr.pop(response.url, []):
            answer = answer_json(xhr.pop("text"))
            items = json_items(answer, response.url)
            if not items:
                continue
            call = ApiCall(xhr["url"], xhr["method"], xhr["body"], xhr["content_type"])
            yield (self._page_request(response, r) for r in later_pages(call, answer, items=len(items)))

    # -- helpers --------------------------------------------------------------------------
    def _decoded(self, response: Response) -> Response:
        """The page decoded as its bytes say; a lying label becomes a note for the site."""
        response, note = decoded(response)
        if note and len(self.charset_notes) < 3:
            self.charset_notes.append(f"{note} ({response.url})")
        return response

    def _flag(self, stage: str, message: str, url: str) -> None:
        record_problem(self.crawler, stage, f"site {self.site.name}: {message}", url=url)

    def _follow(self, response: Response, link: Link, role: str, callback: Any, **meta: Any) -> Request:
        priority = meta.pop("priority", 0)
        if role in (Role.SECTION, Role.LISTING):
            meta = {**self._render_always(), **meta}
        return Request(
            link.url,
            callback=callback,
            meta={Meta.ROLE: role, Meta.LINK_TEXT: link.text, Meta.REFERER: response.url, **meta},
            priority=priority,
        )

    def health_note(self) -> str | None:
        """What the site's health note should say about discovery (read by SiteHealth)."""
        notes = []
        if not self._found() and self.columns:
            notes.append(f"年报 column found but no report items: {self.columns[0]}")
        elif not self._found():
            notes.append(
                f"nothing found: no 年报 column or report after {self.discovery_pages} pages tried "
                f"(budget {self.budget})"
            )
        return "; ".join(notes + self.charset_notes) or None

    def _found(self) -> int:
        """Report items found so far: yielded by this crawl, or fetched (a resumed crawl fetches
        items an interrupted one found)."""
        return self.report_items or self.crawler.stats.get_value("nianbao/fetches/report", 0)

    def _resume(self) -> None:
        """Pick up what the interrupted crawl of the site knew, from the archive: whether it
        found report items, and the home page's links (the site's menu). A resumed crawl then
        explores no further than the whole crawl would have. (A site taken over from another
        Redis worker, whose archive is another shard: its scheduler knows whether it found any.)"""
        archive = run_context(self.crawler).archive
        unfinished = "run_id IN (SELECT id FROM crawl_runs WHERE finished_at IS NULL)"
        self.report_items = archive.db.execute(
            f"SELECT count(*) FROM fetches WHERE site = ? AND role = 'report' AND {unfinished}",
            [self.site.name],
        ).fetchone()[0]
        if getattr(getattr(self.crawler, "_nianbao_frontier", None), "found", False):
            self.report_items = max(self.report_items, 1)
        for url, sha256 in archive.db.execute(
            f"SELECT final_url, sha256 FROM fetches WHERE site = ? AND role = 'home' AND sha256 IS NOT NULL "
            f"AND {unfinished}",
            [self.site.name],
        ).fetchall():
            home = TextResponse(url, body=archive.store.get(sha256), encoding=None)
            home, _ = decoded(home)
            self._chrome.update(link.url for link in extract_links(home.selector, home.url))


def _column_name(response: TextResponse) -> bool:
    name = response.xpath("//meta[@name='ColumnName']/@content").get() or ""
    return is_column_label(name)


def _page_label(response: TextResponse) -> str:
    """The page's ColumnName meta and breadcrumb (当前位置 …) text."""
    parts = [response.xpath("//meta[@name='ColumnName']/@content").get() or ""]
    crumbs = response.xpath(
        "//*[contains(@class,'crumb') or contains(@class,'position') or contains(@class,'location')"
        " or contains(@id,'crumb') or contains(@class,'dqwz')]//text()"
    ).getall()
    parts += crumbs[:20]
    return normalize(" ".join(parts))[:120]


def _anchors_by_url(response: TextResponse) -> dict[str, str]:
    """The text around each link: the heading just before its box (a menu's 政务公开 title),
    a few levels up."""
    around: dict[str, str] = {}
    root = response.selector.root
    if root is None or not hasattr(root, "iter"):
        return around
    for a in root.iter("a"):
        href = unwrap_href(a.get("href") or "")
        if not href:
            continue
        url = join_url(response.url, href)
        if url in around:
            continue
        texts = []
        node = a.getparent()
        for _ in range(3):
            if node is None:
                break
            before = node.getprevious()
            if before is not None and isinstance(before.tag, str) and before.tag != "a":
                texts.append(normalize("".join(before.itertext()))[:30])
            for attr in ("title", "aria-label"):
                if node.get(attr):
                    texts.append(normalize(node.get(attr)))
            node = node.getparent()
        around[url] = " ".join(texts)
    return around
