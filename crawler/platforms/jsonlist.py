"""Lists a script builds from a JSON API, paged through that API without the browser.

A column page may hold an empty ``<ul>`` that a script fills from ``/api/…?page=1&size=10``
(GET, a form POST or a JSON POST). The browser renders page 1 once (crawler/render.py); the
spider records the XHR/fetch answers the page got while rendering (scrapy-playwright page
event handlers), and this module turns each answer that holds a list of items into requests
for the API's further pages — the same call with the page parameter changed, as many pages
as the answer's total says (or on while pages bring items, bounded). The answers come back
here (``meta[Meta.PLATFORM] = "jsonlist"``) for their items.

>>> answer = {"code": 0, "data": {"total": 23, "list": [
...     {"title": "某局2021年政府信息公开工作年度报告", "url": "/nb/t1.html"},
...     {"title": "某局2020年政府信息公开工作年度报告", "url": "/nb/t2.html"}]}}
>>> [link.url for link in json_items(answer, "http://x.test/nb/")]
['http://x.test/nb/t1.html', 'http://x.test/nb/t2.html']
>>> call = ApiCall("http://x.test/api/list?col=7&page=1&size=10", "GET", "", "")
>>> page_count(answer, call, items=2), [r.url for r in later_pages(call, answer, items=2)][:2]
(3, ['http://x.test/api/list?col=7&page=2&size=10', 'http://x.test/api/list?col=7&page=3&size=10'])
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from scrapy import Request
from scrapy.http import TextResponse

from crawler.links import Link
from crawler.platforms.base import Platform
from crawler.platforms.shared import meta_of
from vocabulary import Meta, normalize

NAME = "jsonlist"
MAX_PAGES = 300
MAX_DEPTH = 6  # how deep into an answer items are looked for
_PAGE_KEYS = ("page", "pageNo", "pageNum", "pageIndex", "curPage", "currentPage", "current", "pn", "p")
_SIZE_KEYS = ("size", "pageSize", "rows", "limit", "perPage", "pagesize", "prepage", "perpage")
_PAGES_KEYS = ("totalPage", "totalPages", "pageCount", "pages", "pageTotal", "totalpage", "pagecount")
_TOTAL_KEYS = ("total", "totalCount", "totalRecord", "recordCount", "count", "totalElements", "totalNum",
               "totalrecord", "recordcount", "totalSize")  # fmt: skip
_URL_KEYS = ("url", "link", "href", "docpuburl", "chnldocurl", "linkUrl", "pageUrl", "path", "detailUrl")
_TITLE_KEYS = ("title", "doctitle", "docTitle", "name", "subject", "text", "fullTitle", "showTitle")


@dataclass
class ApiCall:
    """One API call as the page made it (JSON-able: it rides in request meta)."""

    url: str
    method: str
    body: str
    content_type: str

    def page_param(self) -> tuple[str, str, int] | None:
        """Where the page number is: (``query`` | ``form`` | ``json``, its name, its value)."""
        places: list[tuple[str, dict[str, Any]]] = [("query", dict(parse_qsl(urlsplit(self.url).query)))]
        if self.method == "POST" and self.body:
            if "json" in self.content_type or self.body.lstrip().startswith("{"):
                try:
                    body = json.loads(self.body)
                except ValueError:
                    body = {}
                places.append(("json", body if isinstance(body, dict) else {}))
            else:
                places.append(("form", dict(parse_qsl(self.body, keep_blank_values=True))))
        for where, values in places:
            for key in _PAGE_KEYS:
                if str(values.get(key, "")).isdigit():
                    return where, key, int(values[key])
        return None

    def size(self) -> int | None:
        values = dict(parse_qsl(urlsplit(self.url).query))
        if self.method == "POST":
            try:
                body = json.loads(self.body) if self.body.lstrip().startswith("{") else {}
            except ValueError:
                body = {}
            values.update(body if isinstance(body, dict) else {})
            values.update(parse_qsl(self.body) if not body else [])
        for key in _SIZE_KEYS:
            if str(values.get(key, "")).isdigit() and int(values[key]) > 0:
                return int(values[key])
        return None

    def for_page(self, page: int) -> Request | None:
        found = self.page_param()
        if found is None:
            return None
        where, key, _ = found
        url, body = self.url, self.body
        if where == "query":
            parts = urlsplit(url)
            query = [
                (k, str(page) if k == key else v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
            ]
            url = urlunsplit(parts._replace(query=urlencode(query)))
        elif where == "form":
            body = urlencode(
                [(k, str(page) if k == key else v) for k, v in parse_qsl(body, keep_blank_values=True)]
            )
        else:
            data = json.loads(body)
            data[key] = page if isinstance(data[key], int) else str(page)
            body = json.dumps(data, ensure_ascii=False)
        headers = {"X-Requested-With": "XMLHttpRequest", "Accept": "application/json, */*"}
        if self.method == "POST":
            headers["Content-Type"] = self.content_type or "application/x-www-form-urlencoded"
        call = ApiCall(url, self.method, body, self.content_type)
        return Request(
            url,
            method=self.method,
            body=body.encode("utf-8") if self.method == "POST" else b"",
            headers=headers,
            meta={Meta.PLATFORM: NAME, Meta.JSONLIST: {"call": asdict(call), "page": page}},
        )


def answer_json(text: str) -> Any:
    """A JSON answer (also JSONP ``cb({...})``); None when the text is no JSON."""
    text = text.strip()
    if text[:1] not in "{[" and "(" in text and text.endswith((")", ");")):
        text = text[text.index("(") + 1 : text.rindex(")")]
    try:
        return json.loads(text)
    except ValueError:
        return None


def _item_lists(value: Any, depth: int = 0) -> Iterator[list[dict[str, Any]]]:
    if depth > MAX_DEPTH:
        return
    if isinstance(value, list):
        dicts = [v for v in value if isinstance(v, dict)]
        if dicts and any(_first(d, _URL_KEYS) for d in dicts):
            yield dicts
            return
        for v in value[:50]:
            yield from _item_lists(v, depth + 1)
    elif isinstance(value, dict):
        for v in value.values():
            yield from _item_lists(v, depth + 1)


def _first(item: dict[str, Any], keys: Iterable[str]) -> str:
    for key in keys:
        value = item.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return ""


def json_items(answer: Any, base_url: str) -> list[Link]:
    """The items (url + title) of every list of objects in an answer."""
    links = []
    for items in _item_lists(answer):
        for item in items:
            url = _first(item, _URL_KEYS)
            if url and not url.lower().startswith("javascript:"):
                title = normalize(_first(item, _TITLE_KEYS).replace("<em>", "").replace("</em>", ""))
                links.append(Link(urljoin(base_url, url), title))
    return links


def _numbers(value: Any, keys: tuple[str, ...], depth: int = 0) -> Iterator[int]:
    if depth > MAX_DEPTH or not isinstance(value, dict):
        return
    for key in keys:
        if str(value.get(key, "")).strip().isdigit():
            yield int(str(value[key]).strip())
    for v in value.values():
        yield from _numbers(v, keys, depth + 1)


def page_count(answer: Any, call: ApiCall, *, items: int) -> int | None:
    """How many pages the API has: stated, or the total over the page size; None if unknown."""
    stated = next(_numbers(answer, _PAGES_KEYS), None)
    if stated is not None:
        return stated
    total = next(_numbers(answer, _TOTAL_KEYS), None)
    size = call.size() or items
    if total is None or not size:
        return None
    return math.ceil(total / size)


def later_pages(call: ApiCall, answer: Any, *, items: int) -> list[Request]:
    """Requests for the pages after the one ``call`` asked for (the next one only, marked to go
    on, when nothing says how many there are)."""
    found = call.page_param()
    if found is None or not items:
        return []
    _, _, current = found
    pages = page_count(answer, call, items=items)
    first = 0 if current == 0 else 1  # some APIs count pages from 0
    if pages is None:
        request = call.for_page(current + 1)
        if request is not None:
            request.meta[Meta.JSONLIST]["discover"] = True
        return [request] if request is not None and current < MAX_PAGES else []
    last = min(pages - 1 + first, MAX_PAGES)
    return [r for n in range(current + 1, last + 1) if (r := call.for_page(n)) is not None]


class JsonList(Platform):
    """Answers of an API recorded while a page rendered (only reached by the meta mark)."""

    name = NAME

    @classmethod
    def detect(cls, response: TextResponse) -> bool:
        return False

    def item_links(self, response: TextResponse) -> Iterable[Link]:
        return json_items(answer_json(response.text), response.url)

    def next_pages(self, response: TextResponse) -> Iterable[Link | Request]:
        info = meta_of(response).get(NAME) or {}
        if not info.get("discover"):
            return []
        answer = answer_json(response.text)
        items = len(json_items(answer, response.url))
        return later_pages(ApiCall(**info["call"]), answer, items=items)
