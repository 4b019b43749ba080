"""大汉 Hanweb jcms: column lists kept in an XML ``<datastore>`` and paged by ``dataproxy.jsp``.

A jcms column page (``/col/col{N}/index.html``) carries the first page of its list inline, as
XML inside ``<script type="text/xml">``: ``<datastore><nextgroup><![CDATA[<a href=…>]]>
</nextgroup><recordset><record><![CDATA[<li><a href title>…<span>date</span></li>]]></record>…``.
A jpage script beside it (``$('#unit').jpage({totalRecord:52, perPage:15, groupSize:3,
proxyUrl:…, ajaxParam:{…}})``) fetches the rest from ``dataproxy.jsp`` (under
``/module/jpage/``, ``/module/web/jpage/`` or ``/module/jslib/jquery/jpage/``), one *group* of
pages (usually three) per call:

- **POST** ``dataproxy.jsp?startrecord=1&endrecord=45&perpage=15`` with the form
  ``col=1&appid=1&webid=…&path=/&columnid=…&sourceContentType=1&unitid=…&webname=…&
  permissiontype=0`` (used when the script gives its parameter object), or
- **GET** ``dataproxy.jsp?page=N&appid=1&webid=…&columnid=…&unitid=…`` as in the datastore's
  ``<nextgroup>`` link (used when only that link says where the rest is).

The answers are XML datastores again (``<totalrecord>`` tells the total when the page did
not). Requests are marked ``meta[Meta.PLATFORM] = "hanweb"`` so the answers come back here.
Everything XML is parsed without DTDs, entities or network access.

>>> store = parse_datastore('''<datastore><totalrecord>52</totalrecord>
... <nextgroup><![CDATA[<a href="./dataproxy.jsp?page=4&amp;columnid=7"></a>]]></nextgroup>
... <recordset><record><![CDATA[<li><a href="/art/2021/1/20/art_7_1.html"
...   title="某区2020年政府信息公开工作年度报告">某区2020年…</a><span>2021-1-20</span></li>]]>
... </record></recordset></datastore>''')
>>> store.total, store.nextgroup
(52, './dataproxy.jsp?page=4&columnid=7')
>>> [link] = record_links(store.records[0], "http://x.test/col/col7/index.html")
>>> link.url, link.text, link.date
('http://x.test/art/2021/1/20/art_7_1.html', '某区2020年政府信息公开工作年度报告', '2021-01-20')
>>> [call_range(k, per_page=15, group=3) for k in range(calls_needed(52, per_page=15, group=3))]
[(1, 45), (46, 90)]
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

from lxml import etree
from parsel import Selector
from scrapy import FormRequest, Request
from scrapy.http import TextResponse

from crawler.links import Link, best_title, extract_links, unwrap_href
from crawler.platforms.base import Platform, mentions
from crawler.platforms.generic import Generic
from vocabulary import Meta, is_report_title, normalize

NAME = "hanweb"
MODULE_DIRS = ("/module/jpage/", "/module/web/jpage/", "/module/jslib/jquery/jpage/")
DEFAULT_PER_PAGE = 15
DEFAULT_GROUP = 3
MAX_CALLS = 300  # 300 calls of 45 records: far beyond any 年报 column, and still bounded

# The standard form of a jpage call, in the order the script sends it; None: no default.
FORM_FIELDS: dict[str, str | None] = {
    "col": "1",
    "appid": "1",
    "webid": None,
    "path": "/",
    "columnid": None,
    "sourceContentType": "1",
    "unitid": None,
    "webname": None,
    "permissiontype": "0",
}

_MARKERS = re.compile(r"<datastore>|/module/(?:web/|jslib/jquery/)?jpage/|dataproxy\.jsp", re.I)
_MODULE_REF = re.compile(r"/module/(?:web/|jslib/jquery/)?jpage/", re.I)
_PAGE_URL = re.compile(r"/col/col\d+/(?:index\.s?html?)?$|/art/\d{4}/\d{1,2}/\d{1,2}/art_\d+_\d+\.s?html?$")
_COLUMN_LINK = re.compile(r"""href\s*=\s*["']?(?:https?://[^/"'\s]+)?/col/col\d+/index\.html""", re.I)
_COLUMN_ID = re.compile(r"/col/col(\d+)/")

_DATASTORE = re.compile(r"<datastore\b.*?</datastore\s*>", re.S | re.I)
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>")
_RECORD = re.compile(r"<record\b[^>]*>\s*(?:<!\[CDATA\[(.*?)\]\]>|(.*?))\s*</record\s*>", re.S | re.I)
_NEXTGROUP = re.compile(
    r"<nextgroup\b[^>]*>\s*(?:<!\[CDATA\[(.*?)\]\]>|(.*?))\s*</nextgroup\s*>", re.S | re.I
)
_TOTAL = re.compile(r"<totalrecord>\s*(\d+)\s*</totalrecord>", re.I)
_HREF = re.compile(r"""href\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""", re.I)
_LIST_DATE = re.compile(r"((?:19|20)\d{2})[-/.](\d{1,2})[-/.](\d{1,2})")  # how lists show dates
_DATE = re.compile(r"((?:19|20)\d{2})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})")

# Inside a jpage script: `$('#unit').jpage({ … })`, numbers, the proxy and the parameter object.
_JPAGE_CALL = re.compile(r"""\$\(\s*['"]#([\w-]+)['"]\s*\)\s*\.\s*jpage\s*\(""")
_PROXY = re.compile(r"""\bproxyUrl\s*[:=]\s*['"]([^'"]+)['"]""")
_PARAMS = re.compile(r"\b(?:ajaxParam|ajaxParams|ajaxData|params?)\s*[:=]\s*\{([^{}]*)\}")
_JS_PAIR = re.compile(r"""['"]?(\w+)['"]?\s*:\s*(?:'([^']*)'|"([^"]*)"|([^,\s}]+))""")

_SAFE_XML = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


# --------------------------------------------------------------------------- datastores


@dataclass
class Datastore:
    """One ``<datastore>``: the records' HTML fragments, the next-group link, the total."""

    records: list[str] = field(default_factory=list)
    nextgroup: str | None = None
    total: int | None = None


def parse_datastore(xml: str) -> Datastore:
    """Parse a datastore with lxml (no entity expansion); malformed ones by pattern."""
    xml = _XML_DECL.sub("", xml, count=1).strip()
    try:
        root = etree.fromstring(xml.encode("utf-8"), _SAFE_XML)
    except etree.XMLSyntaxError:
        return _datastore_by_pattern(xml)
    records = [(el.text or "").strip() for el in root.iter("record")]
    group = root.find(".//nextgroup")
    total = root.findtext(".//totalrecord")
    return Datastore(
        records=[r for r in records if r],
        nextgroup=_first_href(group.text or "") if group is not None else None,
        total=_int(total),
    )


def _datastore_by_pattern(xml: str) -> Datastore:
    records = [(m.group(1) or m.group(2) or "").strip() for m in _RECORD.finditer(xml)]
    group = _NEXTGROUP.search(xml)
    total = _TOTAL.search(xml)
    return Datastore(
        records=[r for r in records if r],
        nextgroup=_first_href(group.group(1) or group.group(2) or "") if group else None,
        total=int(total.group(1)) if total else None,
    )


def _first_href(fragment: str) -> str | None:
    match = _HREF.search(fragment)
    if not match:
        return None
    href = html.unescape(next(g for g in match.groups() if g is not None)).strip()
    return href or None


def _int(text: str | None) -> int | None:
    text = (text or "").strip()
    return int(text) if text.isdigit() else None


def inline_datastores(text: str) -> list[Datastore]:
    """Every datastore written into a page (normally inside ``<script type="text/xml">``)."""
    return [parse_datastore(m.group(0)) for m in _DATASTORE.finditer(text)]


def record_links(fragment: str, base_url: str) -> list[Link]:
    """The links of one record: title from ``title=`` (lists truncate the text), and the date."""
    sel = Selector(text=fragment)
    date = _date(normalize("".join(sel.css("::text").getall())))
    links = []
    for a in sel.css("a[href]"):
        href = unwrap_href(a.attrib.get("href", ""))
        if not href:
            continue
        url = urljoin(base_url, href)
        if urlsplit(url).scheme not in ("http", "https"):
            continue
        text = normalize("".join(a.css("::text").getall()))
        text = _LIST_DATE.sub("", text)  # some lists put the date inside the link (<i>2020-08-14</i>)
        title = normalize(a.attrib.get("title", ""))
        plain = title if len(title) >= len(text) else text
        nested = _LIST_DATE.sub("", best_title(a.root))  # a shortened text, the full one nested
        if is_report_title(nested):
            plain = nested
        links.append(Link(url=url, text=plain, date=date))
    return links


def _date(text: str) -> str | None:
    match = _LIST_DATE.search(text) or _DATE.search(text)
    if not match:
        return None
    year, month, day = (int(g) for g in match.groups())
    return f"{year:04d}-{month:02d}-{day:02d}"


# --------------------------------------------------------------------------- jpage paging


@dataclass
class Listing:
    """How to ask ``dataproxy.jsp`` for one unit's records (JSON-able: it rides in meta)."""

    proxy: str  # absolute URL of dataproxy.jsp
    method: str  # "POST" (record ranges + form) or "GET" (page=N + the nextgroup query)
    form: dict[str, str]
    query: list[tuple[str, str]]
    first_page: int
    total: int | None
    per_page: int
    group: int


def calls_needed(total: int, *, per_page: int, group: int, first_page: int = 1) -> int:
    """Calls of ``group`` pages each that cover ``total`` records from page ``first_page``.

    >>> calls_needed(47, per_page=10, group=3, first_page=2), calls_needed(0, per_page=10, group=3)
    (2, 0)
    """
    pages = math.ceil(total / per_page)
    return max(0, math.ceil((pages - first_page + 1) / group))


def call_range(k: int, *, per_page: int, group: int) -> tuple[int, int]:
    """Records asked for by POST call ``k`` (0-based): ``startrecord``, ``endrecord``."""
    size = per_page * group
    return k * size + 1, (k + 1) * size


@dataclass
class _Jpage:
    """What one jpage script says (any field may be missing)."""

    unit: str | None = None
    proxy: str | None = None
    total: int | None = None
    per_page: int | None = None
    group: int | None = None
    params: dict[str, str] = field(default_factory=dict)


def _js_number(script: str, key: str) -> int | None:
    match = re.search(rf"\b{key}\s*[:=]\s*['\"]?(\d+)", script)
    return int(match.group(1)) if match else None


def _js_object(body: str) -> dict[str, str]:
    return {m.group(1): next(g for g in m.groups()[1:] if g is not None) for m in _JS_PAIR.finditer(body)}


def jpage_configs(scripts: Iterable[str]) -> list[_Jpage]:
    """One config per ``.jpage(…)`` call (or per script that states a ``totalRecord``)."""
    configs = []
    for script in scripts:
        calls = list(_JPAGE_CALL.finditer(script))
        if calls:
            ends = [m.start() for m in calls[1:]] + [len(script)]
            parts = [(m.group(1), script[m.start() : end]) for m, end in zip(calls, ends, strict=True)]
        elif re.search(r"\btotalRecord\s*[:=]", script):
            parts = [(None, script)]
        else:
            continue
        for unit, part in parts:
            proxy = _PROXY.search(part)
            params = _PARAMS.search(part)
            configs.append(
                _Jpage(
                    unit=unit,
                    proxy=proxy.group(1) if proxy else None,
                    total=_js_number(part, "totalRecord"),
                    per_page=_js_number(part, "perPage"),
                    group=_js_number(part, "groupSize"),
                    params=_js_object(params.group(1)) if params else {},
                )
            )
    return configs


def _module_dir(response: TextResponse) -> str | None:
    """The jpage module directory the page references (its dataproxy.jsp lives there)."""
    match = _MODULE_REF.search(response.text)
    return urljoin(response.url, match.group(0)) if match else None


def _listing(config: _Jpage, store: Datastore | None, response: TextResponse) -> Listing | None:
    module = _module_dir(response)
    nextgroup = store.nextgroup if store else None
    ng_url = urljoin(module or response.url, nextgroup) if nextgroup else None
    ng_query = parse_qsl(urlsplit(ng_url).query, keep_blank_values=True) if ng_url else []
    if config.proxy:
        proxy = urljoin(response.url, config.proxy)
    elif ng_url:
        proxy = ng_url.split("?", 1)[0]
    elif module:
        proxy = urljoin(module, "dataproxy.jsp")
    else:
        return None
    ng = dict(ng_query)
    form: dict[str, str] = {}
    for key, default in FORM_FIELDS.items():
        value = config.params.get(key) or ng.get(key) or (config.unit if key == "unitid" else None)
        if value or default is not None:
            form[key] = value or str(default)
    form.update({k: v for k, v in config.params.items() if k not in form})
    if not form.get("columnid"):
        return None  # nothing says which column: no call can be made
    page = ng.get("page", "")
    return Listing(
        proxy=proxy,
        method="POST" if config.params or not ng_query else "GET",
        form=form,
        query=ng_query,
        first_page=int(page) if page.isdigit() else 1,
        total=config.total if config.total is not None else (store.total if store else None),
        per_page=config.per_page or DEFAULT_PER_PAGE,
        group=config.group or DEFAULT_GROUP,
    )


def page_listings(response: TextResponse) -> list[Listing]:
    """The paged lists of a column page: each jpage script with its datastore."""
    stores = inline_datastores(response.text)
    scripts = response.xpath("//script[not(@type='text/xml')]/text()").getall()
    configs = jpage_configs(scripts)
    listings = []
    used: set[int] = set()
    for config in configs:
        index = _store_for(config, stores, single=len(configs) == 1)
        if index is not None:
            used.add(index)
        listing = _listing(config, stores[index] if index is not None else None, response)
        if listing:
            listings.append(listing)
    for index, store in enumerate(stores):  # a datastore without a script: its nextgroup
        if index not in used and store.nextgroup:
            listing = _listing(_Jpage(), store, response)
            if listing:
                listings.append(listing)
    return _this_column(listings, response.url)


def _store_for(config: _Jpage, stores: list[Datastore], *, single: bool) -> int | None:
    unit = config.unit or config.params.get("unitid")
    for index, store in enumerate(stores):
        query = dict(parse_qsl(urlsplit(store.nextgroup or "").query))
        if unit and query.get("unitid") == unit:
            return index
    return 0 if single and len(stores) == 1 else None


def _this_column(listings: list[Listing], url: str) -> list[Listing]:
    """Side boxes (latest news …) are jpage units too: keep the page's own column if known."""
    match = _COLUMN_ID.search(urlsplit(url).path)
    own = [x for x in listings if match and x.form.get("columnid") == match.group(1)]
    return own or listings


def listing_request(listing: Listing, k: int, *, page_url: str, discover: bool) -> Request:
    """Call ``k`` (0-based) of a listing, marked so that the answer comes back to Hanweb."""
    state = {"listing": asdict(listing), "call": k, "page": page_url, "discover": discover}
    meta = {Meta.PLATFORM: NAME, Meta.HANWEB: state}
    headers = {"X-Requested-With": "XMLHttpRequest"}
    if listing.method == "POST":
        start, end = call_range(k, per_page=listing.per_page, group=listing.group)
        url = f"{listing.proxy}?startrecord={start}&endrecord={end}&perpage={listing.per_page}"
        return FormRequest(url, formdata=listing.form, meta=meta, headers=headers)
    page = str(listing.first_page + k * listing.group)
    query = [(key, page if key == "page" else value) for key, value in listing.query]
    if "page" not in dict(query):
        query.insert(0, ("page", page))
    return Request(f"{listing.proxy}?{urlencode(query, safe='/')}", meta=meta, headers=headers)


def listing_requests(listing: Listing, *, page_url: str, start: int = 0) -> Iterator[Request]:
    """All calls from ``start`` on when the total is known, else one that will find it out."""
    if listing.total is None:
        yield listing_request(listing, start, page_url=page_url, discover=True)
        return
    first_page = listing.first_page if listing.method == "GET" else 1
    n = calls_needed(listing.total, per_page=listing.per_page, group=listing.group, first_page=first_page)
    for k in range(start, min(n, MAX_CALLS)):
        yield listing_request(listing, k, page_url=page_url, discover=False)


# --------------------------------------------------------------------------- the platform


class Hanweb(Platform):
    name = NAME

    @classmethod
    def detect(cls, response: TextResponse) -> bool:
        if _PAGE_URL.search(urlsplit(response.url).path):
            return True
        if not mentions(response, "<datastore>", "jpage/", "dataproxy.jsp", "/col/col"):
            return False  # no word that every marker holds: no need to search for them
        head = response.text[:400_000]
        return bool(_MARKERS.search(head) or _COLUMN_LINK.search(head))

    def item_links(self, response: TextResponse) -> Iterable[Link]:
        info = response.meta.get(Meta.HANWEB)
        if info is not None:  # a dataproxy.jsp answer
            base = info.get("page") or response.url
            store = parse_datastore(response.text)
            return [link for record in store.records for link in record_links(record, base)]
        links: dict[str, Link] = {}
        for store in inline_datastores(response.text):
            for record in store.records:
                for link in record_links(record, response.url):
                    links.setdefault(link.url, link)
        for link in extract_links(response.selector, response.url):
            links.setdefault(link.url, link)
        return list(links.values())

    def next_pages(self, response: TextResponse) -> Iterable[Link | Request]:
        info = response.meta.get(Meta.HANWEB)
        if info is not None:
            return self._after_answer(response, info)
        listings = page_listings(response)
        if not listings:
            return Generic().next_pages(response)  # a jcms list paged by static links
        return [r for x in listings for r in listing_requests(x, page_url=response.url)]

    def _after_answer(self, response: TextResponse, info: dict[str, Any]) -> list[Request]:
        """Only a call sent to find out the total asks for more: the rest of the calls."""
        if not info.get("discover"):
            return []
        listing = Listing(**{**info["listing"], "query": [tuple(q) for q in info["listing"]["query"]]})
        store = parse_datastore(response.text)
        k = int(info.get("call", 0))
        if store.total is not None:
            listing.total = store.total
            return list(listing_requests(listing, page_url=info["page"], start=k + 1))
        if store.records and k + 1 < MAX_CALLS:  # no total anywhere: go on while records come
            return [listing_request(listing, k + 1, page_url=info["page"], discover=True)]
        return []
