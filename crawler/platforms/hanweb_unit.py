"""大汉 Hanweb's newer publishing platform (jpaas, "unit build"): lists paged by a JSON API.

Articles live at ``/col/col{N}/art/YYYY/art_{32 hex}.html``. A column page shows its first
list page as plain HTML and says how to get the others in ``queryData`` attributes: the unit's
parameters (``{'parseType':'bulidstatic','webId':…,'tplSetId':…,'pageType':'column',
'tagId':'信息列表','editType':'null','pageId':…}``, on the unit's script or div, often with a
``url=`` naming the API) and a pager div (``queryData="{'rows':'15','count':'40','pageNo':'1'}"``
or ``rows=`` / ``count=`` attributes). Further pages come from
``GET /api-gateway/jpaas-publish-server/front/page/build/unit?<unit parameters>&paramJson=
{"pageNo":N,"pageSize":rows}``, which answers ``{"data": {"html": "…"}}`` holding the same list
markup and pager. Requests are marked ``meta[Meta.PLATFORM] = "hanweb_unit"`` so the answers come
back here. ``queryData`` is read by pattern, never evaluated.

>>> query_data("{'parseType':'bulidstatic','pageId':'1229','tagId':'信息列表'}")
{'parseType': 'bulidstatic', 'pageId': '1229', 'tagId': '信息列表'}
>>> unit_api_url("http://x.test/api", {"pageId": "1229"}, page=2, rows=15)
'http://x.test/api?pageId=1229&paramJson=%7B%22pageNo%22%3A2%2C%22pageSize%22%3A15%7D'
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import urlencode, urljoin, urlsplit

from parsel import Selector
from scrapy import Request
from scrapy.http import TextResponse

from crawler.links import Link, extract_links
from crawler.platforms.base import Platform, mentions
from crawler.platforms.generic import Generic
from crawler.platforms.hanweb import record_links
from vocabulary import Meta

NAME = "hanweb_unit"
UNIT_API = "/api-gateway/jpaas-publish-server/front/page/build/unit"
MAX_PAGES = 500

_ARTICLE_URL = re.compile(r"/col/col\d+/art/\d{4}/art_[0-9a-f]{32}\.html$", re.I)
_MARKERS = re.compile(r"""jpaas-publish-server|queryData\s*=\s*(["'])\{(?:(?!\1).)*pageId""", re.I)
_PAIR = re.compile(r"""['"]([\w-]+)['"]\s*:\s*(?:'([^']*)'|"([^"]*)"|([\w.+-]+))""")


def query_data(text: str) -> dict[str, str]:
    """The ``{'key':'value', …}`` literal of a ``queryData`` attribute, as strings."""
    return {m.group(1): next(g for g in m.groups()[1:] if g is not None) for m in _PAIR.finditer(text)}


def unit_api_url(api: str, params: dict[str, str], *, page: int, rows: int) -> str:
    pairs = [(k, v) for k, v in params.items() if k != "paramJson"]
    pairs.append(("paramJson", json.dumps({"pageNo": page, "pageSize": rows}, separators=(",", ":"))))
    return f"{api}?{urlencode(pairs)}"


@dataclass
class Unit:
    """One paged unit of a column page (JSON-able: it rides in request meta)."""

    api: str  # absolute URL of the build/unit API
    params: dict[str, str]
    rows: int
    count: int | None  # total items, when a pager says


def _pager(attrs: dict[str, str]) -> tuple[int | None, int | None]:
    """(count, rows) of a pager element: from its queryData or its own attributes."""
    data = {k.lower(): v for k, v in attrs.items()}
    data.update((k.lower(), v) for k, v in query_data(attrs.get("querydata", "")).items())
    count, rows = data.get("count", ""), data.get("rows") or data.get("pagesize", "")
    return (int(count) if count.isdigit() else None, int(rows) if rows.isdigit() else None)


def page_units(selector: Selector, url: str) -> list[Unit]:
    """The units of a page with their pager (paired by ``tagId``, or the only pager)."""
    units, pagers = [], []
    for el in selector.xpath("//*[@querydata or (@count and @rows)]"):
        attrs = dict(el.attrib)
        data = query_data(attrs.get("querydata", ""))
        if "pageId" in data or "webId" in data:
            units.append((data, urljoin(url, attrs.get("url") or UNIT_API)))
        count, rows = _pager(attrs)
        if count is not None or rows is not None:
            pagers.append((attrs.get("id", ""), count, rows))
    found = []
    for data, api in units:
        tag = data.get("tagId", "")
        mine = [p for p in pagers if tag and p[0].startswith(tag)] or (pagers if len(pagers) == 1 else [])
        _, count, rows = mine[0] if mine else ("", None, None)
        found.append(Unit(api=api, params=data, rows=rows or 15, count=count))
    return found


def unit_request(unit: Unit, page: int, *, page_url: str, discover: bool) -> Request:
    state = {"unit": asdict(unit), "pageNo": page, "page": page_url, "discover": discover}
    return Request(
        unit_api_url(unit.api, unit.params, page=page, rows=unit.rows),
        meta={Meta.PLATFORM: NAME, Meta.HANWEB_UNIT: state},
        headers={"X-Requested-With": "XMLHttpRequest", "Accept": "application/json, */*"},
    )


def unit_requests(unit: Unit, *, page_url: str, after: int = 1) -> list[Request]:
    """Pages after ``after`` when the count is known, else the next one to find it out."""
    if unit.count is None:
        return [unit_request(unit, after + 1, page_url=page_url, discover=True)]
    pages = min(math.ceil(unit.count / unit.rows), MAX_PAGES)
    return [unit_request(unit, n, page_url=page_url, discover=False) for n in range(after + 1, pages + 1)]


def answer_html(response: TextResponse) -> str:
    """The list markup of a build/unit answer (``{"data": {"html": "…"}}``); "" if none."""
    try:
        answer = json.loads(response.text)
    except ValueError:
        return ""
    data = answer.get("data") if isinstance(answer, dict) else None
    fragment = data.get("html") if isinstance(data, dict) else None
    return fragment if isinstance(fragment, str) else ""


class HanwebUnit(Platform):
    name = NAME

    @classmethod
    def detect(cls, response: TextResponse) -> bool:
        if _ARTICLE_URL.search(urlsplit(response.url).path):
            return True
        if not mentions(response, "jpaas-publish-server", "querydata"):
            return False  # neither marker's word is there: no need to search for them
        return bool(_MARKERS.search(response.text[:400_000]))

    def item_links(self, response: TextResponse) -> Iterable[Link]:
        info = response.meta.get(Meta.HANWEB_UNIT)
        if info is None:
            return extract_links(response.selector, response.url)
        fragment = answer_html(response)
        sel = Selector(text=fragment or "<html></html>")
        base = info.get("page") or response.url
        items = sel.xpath("//li") or sel.xpath("//tr")  # one item per row; else every link
        if not items:
            return record_links(fragment, base)
        return [link for item in items for link in record_links(item.get(), base)]

    def next_pages(self, response: TextResponse) -> Iterable[Link | Request]:
        info = response.meta.get(Meta.HANWEB_UNIT)
        if info is not None:
            return self._after_answer(response, info)
        units = page_units(response.selector, response.url)
        if not units:
            return Generic().next_pages(response)
        return [r for unit in units for r in unit_requests(unit, page_url=response.url)]

    def _after_answer(self, response: TextResponse, info: dict[str, Any]) -> list[Request]:
        """Only an answer asked for to find out the count asks for more."""
        if not info.get("discover"):
            return []
        unit = Unit(**info["unit"])
        fragment = answer_html(response)
        page = int(info.get("pageNo", 2))
        count = next(iter(_pager_counts(fragment)), None)
        if count is not None:
            unit.count = count
            return unit_requests(unit, page_url=info["page"], after=page)
        if fragment and record_links(fragment, info["page"]) and page < MAX_PAGES:
            return [unit_request(unit, page + 1, page_url=info["page"], discover=True)]  # go on
        return []


def _pager_counts(fragment: str) -> list[int]:
    """Counts stated by the pagers of an answer's markup."""
    if not fragment:
        return []
    counts = []
    for el in Selector(text=fragment).xpath("//*[@querydata or @count]"):
        count, _ = _pager(dict(el.attrib))
        if count is not None:
            counts.append(count)
    return counts
