"""The contract every CMS adapter in ``crawler/platforms`` keeps, checked on each adapter's mock
site (tests/mockportal/families), one parametrized test per clause, so a new adapter gets the
same checks by adding one line to ``ADAPTERS``:

- **detect**: its column page goes to it (the first platform in ``PLATFORMS`` that accepts
  it), and its report pages to the adapter that reads their attachments;
- **next_pages**: walking the column by ``next_pages`` from its first page reaches further
  pages, and asks only for pages the site serves (GET paths or POST forms it answers);
- **item_links**: the walk's item links hold every report listed in the column;
- **attachment_links**: each report page yields exactly the report's attachments, and files
  linked in any form portals use (one finder, ``crawler/platforms/shared.py``);
- **charset**: every method gets the page decoded once (``crawler.charset.decoded``, as the
  spider hands it on), so the walk below decodes before asking — no adapter re-decodes;

and over a real crawl (the one crawl of every CMS family, ``cms_crawl`` in conftest.py): the
crawl finds exactly the reports, takes no decoy, and archives each attachment with the sha256
of the bytes served and its report page as referer. Family-specific behaviour (pager scripts,
list APIs, postbacks, charsets) stays in ``test_platform_<name>.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest
from scrapy import Request
from scrapy.http import HtmlResponse, TextResponse

from crawler.charset import decoded
from crawler.links import Link
from crawler.platforms import PLATFORMS, Generic, Platform, platform_for
from crawler.platforms.aspnet import AspNet
from crawler.platforms.fujian_trs import FujianTRS
from crawler.platforms.gkmlpt import Gkmlpt
from crawler.platforms.hanweb import Hanweb
from crawler.platforms.hanweb_unit import HanwebUnit
from crawler.platforms.jsonlist import JsonList
from crawler.platforms.trs import TRS
from crawler.platforms.ucap import Ucap
from tests.helpers import (
    Crawl,
    assert_attachments_archived_as_served,
    assert_found_exactly_the_reports,
    problems_outside_parsing,
)
from tests.mockportal import Site
from tests.mockportal.families import aspnet, fujian_trs, gkmlpt, trs, ucap
from tests.mockportal.families.hanweb import COLUMN_PAGES, hanweb_sites
from tests.mockportal.server import post_key

MAX_LISTING_PAGES = 30  # bounds the walk: every mock column has fewer


def _hanweb(name: str) -> Callable[[], Site]:
    return lambda: next(s for s in hanweb_sites() if s.name == name)


@dataclass(frozen=True)
class Adapter:
    platform: type[Platform]
    build: Callable[[], Site]
    column: str  # the column's first page
    articles: type[Platform]  # the adapter that reads the report pages
    in_cms_crawl: bool = True  # part of the cms_crawl fixture (Hanweb sites have their own crawl)
    subcolumns: tuple[str, ...] = ()  # reports listed in sub-columns, not on the column's pages

    def __str__(self) -> str:
        return self.platform.name


ADAPTERS = [
    Adapter(TRS, trs.build, trs.COLUMN + "index.html", TRS, subcolumns=(trs.TOWNS, trs.COLUMN + "2019/")),
    Adapter(FujianTRS, fujian_trs.build, fujian_trs.COLUMN + "index.html", TRS),
    Adapter(Ucap, ucap.build, ucap.list_page(1), Ucap),
    Adapter(Gkmlpt, gkmlpt.build, gkmlpt.COLUMN, Gkmlpt),
    Adapter(AspNet, aspnet.build, aspnet.LIST, AspNet),
    Adapter(Hanweb, _hanweb("linping"), COLUMN_PAGES["linping"], Hanweb, in_cms_crawl=False),
    Adapter(Hanweb, _hanweb("wujin"), COLUMN_PAGES["wujin"], Hanweb, in_cms_crawl=False),
    Adapter(HanwebUnit, _hanweb("yinzhou"), COLUMN_PAGES["yinzhou"], HanwebUnit, in_cms_crawl=False),
]
IDS = [f"{a.platform.name}-{a.build().name}" for a in ADAPTERS]
CRAWLED = [a for a in ADAPTERS if a.in_cms_crawl]


def _response(site: Site, key: str, request: Request | None = None) -> TextResponse:
    """The site's answer to a GET path or a POST key, as Scrapy hands it to the spider."""
    resource = site.resources[key]
    url = f"http://{site.host}{key.split(' ')[1] if key.startswith('POST ') else key}"
    cls = HtmlResponse if "html" in resource.content_type else TextResponse
    headers = {"Content-Type": resource.content_type}
    answer = cls(url, body=resource.body, headers=headers, request=request or Request(url))
    return decoded(answer)[0]  # every adapter gets the page decoded once, as the spider hands it on


def _served_key(site: Site, page: Link | Request) -> str | None:
    """The resource key the mock site answers a further page from; None if it would 404."""
    parts = urlsplit(page.url)
    if parts.hostname != site.host:
        return None
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    candidates = [path, parts.path]  # a POST without a resource of its own is answered as a GET
    if isinstance(page, Request) and page.method == "POST":
        candidates.insert(0, post_key(path, page.body))
    for key in candidates:
        if key in site.resources and site.resources[key].status == 200:
            return key
    return None


def _walk(adapter: Adapter, site: Site) -> tuple[list[str], list[str], set[str]]:
    """Page through the column as the spider does: (pages answered, pages the site would not
    answer, item link URLs of all pages)."""
    first = _response(site, adapter.column)
    queue: list[TextResponse] = [first]
    seen = {adapter.column}
    answered, missing, items = [adapter.column], [], set()
    while queue and len(answered) < MAX_LISTING_PAGES:
        page = queue.pop(0)
        platform = platform_for(page)
        items |= {link.url for link in platform.item_links(page)}
        for further in platform.next_pages(page):
            key = _served_key(site, further)
            if key is None:
                missing.append(f"{getattr(further, 'method', 'GET')} {further.url}")
            elif key not in seen:
                seen.add(key)
                answered.append(key)
                request = further if isinstance(further, Request) else Request(further.url)
                queue.append(_response(site, key, request))
    return answered, missing, items


# Adapters no page is detected for: they read only the API answers of the platform that asked
# (``meta["platform"]``). JsonList pages the JSON APIs a script-built list called while it
# rendered; the generated portals with script-built lists check it (test_discovery_generated.py).
ANSWERS_ONLY = {JsonList}


def test_every_adapter_but_the_fallback_is_checked_here() -> None:
    assert {a.platform for a in ADAPTERS} == set(PLATFORMS) - {Generic} - ANSWERS_ONLY
    for platform in ANSWERS_ONLY:  # never detected: only the pages it asked for come to it
        assert not platform.detect(HtmlResponse("http://x.test/", body=b"<ul id='list'></ul>"))
    assert PLATFORMS[-1] is Generic  # it accepts every page: anything after it is never asked


@pytest.mark.parametrize("adapter", ADAPTERS, ids=IDS)
def test_detect_sends_the_column_and_the_report_pages_to_the_adapter(adapter: Adapter) -> None:
    site = adapter.build()
    assert type(platform_for(_response(site, adapter.column))) is adapter.platform
    for report in site.expected_reports:
        if site.resources[report.path].content_type.startswith("text/html"):
            page = _response(site, report.path)
            assert type(platform_for(page)) is adapter.articles, report.path


@pytest.mark.parametrize("adapter", ADAPTERS, ids=IDS)
def test_next_pages_reach_further_pages_the_site_serves(adapter: Adapter) -> None:
    answered, missing, _ = _walk(adapter, adapter.build())
    assert len(answered) > 1, "the column has further pages, and next_pages found none"
    assert missing == [], "next_pages asked for pages the site does not serve"


@pytest.mark.parametrize("adapter", ADAPTERS, ids=IDS)
def test_item_links_of_the_column_hold_every_report_listed_there(adapter: Adapter) -> None:
    site = adapter.build()
    _, _, items = _walk(adapter, site)
    listed = [r for r in site.expected_reports if not r.path.startswith(adapter.subcolumns or ("\0",))]
    assert listed
    assert {f"http://{site.host}{r.path}" for r in listed} <= items


@pytest.mark.parametrize("adapter", ADAPTERS, ids=IDS)
def test_attachment_links_are_exactly_the_reports_attachments(adapter: Adapter) -> None:
    site = adapter.build()
    pages = [r for r in site.expected_reports if site.resources[r.path].content_type.startswith("text/html")]
    assert pages
    for report in pages:
        page = _response(site, report.path)
        found = {link.url for link in platform_for(page).attachment_links(page)}
        expected = {page.urljoin(path) for path in report.attachments}
        assert found == expected, report.path


# Every way portals link a file (one attachment finder serves every adapter): a plain href, a
# download script with ``&amp;`` left in, a ``javascript:`` call, an ``onclick`` handler.
LINK_FORMS = {
    "/upload/form_plain.pdf": '<a href="/upload/form_plain.pdf">年报.pdf</a>',
    "/module/download/downfile.jsp?classid=0&filename=form_jsp.docx": (
        '<a href="/module/download/downfile.jsp?classid=0&amp;filename=form_jsp.docx">统计表</a>'
    ),
    "/upload/form_js.xls": "<a href=\"javascript:openFile('/upload/form_js.xls')\">附表</a>",
    "/upload/form_onclick.wps": (
        '<a href="javascript:void(0);" onclick="window.open(\'/upload/form_onclick.wps\')">附件</a>'
    ),
}


@pytest.mark.parametrize("adapter", ADAPTERS, ids=IDS)
def test_attachment_links_find_files_linked_in_every_form(adapter: Adapter) -> None:
    site = adapter.build()
    html = [r for r in site.expected_reports if site.resources[r.path].content_type.startswith("text/html")]
    page = _response(site, html[0].path)
    forms = f"<p>{''.join(LINK_FORMS.values())}</p>"
    body = page.text.replace("</body>", forms + "</body>") if "</body>" in page.text else page.text + forms
    variant = HtmlResponse(page.url, body=body.encode("utf-8"), encoding="utf-8", request=page.request)
    platform = platform_for(variant)
    assert type(platform) is adapter.articles
    found = {link.url for link in platform.attachment_links(variant)}
    assert {variant.urljoin(path) for path in LINK_FORMS} <= found


# --------------------------------------------------------------------------- the real crawl


@pytest.mark.slow
@pytest.mark.parametrize("adapter", CRAWLED, ids=[str(a) for a in CRAWLED])
def test_the_crawl_finds_exactly_the_reports_and_takes_no_decoy(cms_crawl: Crawl, adapter: Adapter) -> None:
    crawled = cms_crawl.only(adapter.build().name)
    assert_found_exactly_the_reports(crawled, crawled.sites[0])
    assert problems_outside_parsing(crawled.db) == []


@pytest.mark.slow
@pytest.mark.parametrize("adapter", CRAWLED, ids=[str(a) for a in CRAWLED])
def test_the_crawl_archives_every_attachment_as_served(cms_crawl: Crawl, adapter: Adapter) -> None:
    crawled = cms_crawl.only(adapter.build().name)
    attachments = assert_attachments_archived_as_served(crawled)
    assert attachments  # every family's mock has reports with attachments
