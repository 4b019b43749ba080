"""Fujian's shared government-site platform (TRS WCM, "动静结合" lists): page 1 is static,
pages 2+ come from the document-search API.

A column page (realworld ``fujian_pingtan_zfxxgknb_list_index.html``) holds its first
``prepage`` items as static ``<dl><dd><a href="./YYYYMM/tYYYYMMDD_ID.htm" title=…>`` rows and a
script for the rest::

    require(["list2.trsapi", …], function(listModel, …) { listModel({
        quickMode: "动静结合", maxStaticIndex: 1,
        listArgs: {channelid: SiteInfo.searchId, classsql: "" || "chnlid=1813",
                   sortfield: "-docorderpri,-docreltime"},
        pagebar: {prepage: 10, recordCount: '20', …} … }) })

with ``SiteInfo.searchId`` (the site's document library, e.g. ``200210``) set in another
script. The script asks the platform's search API, as public crawlers of Fujian portals do:
``POST /fjdzapp/search`` with the form ``channelid, classsql, sortfield, page, prepage`` →
JSON ``{"pageCount": N, "data": [{"doctitle", "docpuburl" | "chnldocurl", "docreltime",
"fileno", "puborg", "idxid", …}]}``. This adapter sends the same form for every page after the
static ones (the count from ``recordCount``; an answer's ``pageCount`` adds any it missed) and
reads the answers' items; articles and attachments are plain TRS.

>>> from scrapy.http import TextResponse
>>> answer = TextResponse("http://x.test/fjdzapp/search", body='''{"pageCount": 2, "data": [
...   {"doctitle": "某县2016年度政府信息公开工作年度报告", "docpuburl": "/nb/201701/t20170118_5.htm",
...    "docreltime": "2017-01-18 09:00:00"}]}'''.encode(), encoding="utf-8")
>>> [(link.url, link.date) for link in FujianTRS().item_links(answer)]
[('http://x.test/nb/201701/t20170118_5.htm', '2017-01-18')]
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import urljoin

from scrapy import FormRequest, Request
from scrapy.http import TextResponse

from crawler.links import Link
from crawler.platforms.shared import as_int, json_object, meta_of
from crawler.platforms.trs import TRS
from vocabulary import Meta, normalize

SEARCH_PATH = "/fjdzapp/search"
_MARKER = re.compile(r"list2\.trsapi|/fjdzapp/")
_SEARCH_ID = re.compile(r"searchId\s*:\s*['\"]?(\d+)")
_TAGS = re.compile(r"<[^>]+>")
_TERM = r"""(?:"[^"]*"|'[^']*'|[\w.$]+)"""  # a JS string literal or a bare word


class FujianTRS(TRS):
    name = "fujian_trs"

    @classmethod
    def detect(cls, response: TextResponse) -> bool:
        text = response.text
        return ("list2.trsapi" in text or "/fjdzapp/" in text) and bool(_MARKER.search(text))

    def item_links(self, response: TextResponse) -> Iterable[Link]:
        answer = json_object(response)
        if answer is None:
            return super().item_links(response)
        links = []
        for doc in answer.get("data") or answer.get("docs") or []:
            url = doc.get("docpuburl") or doc.get("chnldocurl") or doc.get("url")
            title = _TAGS.sub("", str(doc.get("doctitle") or doc.get("title") or ""))
            if url:
                date = str(doc.get("docreltime") or doc.get("pubdate") or "")[:10] or None
                links.append(Link(urljoin(response.url, url), normalize(title), date))
        return links

    def next_pages(self, response: TextResponse) -> Iterable[Link | Request]:
        answer = json_object(response)
        if answer is not None:
            return self._later_pages(response, answer)
        args = list_args(response.text)
        if args is None:
            return super().next_pages(response)
        form, first_api_page, pages = args
        return [self._search(response.url, form, n, pages) for n in range(first_api_page, pages + 1)]

    def _later_pages(self, response: TextResponse, answer: dict[str, Any]) -> list[Request]:
        """Pages the API knows of beyond what the column page's ``recordCount`` promised."""
        form = meta_of(response).get("trsapi_form")
        total = as_int(answer.get("pageCount"))
        if not form or total is None:
            return []
        planned = meta_of(response).get("trsapi_planned", 0)
        return [self._search(response.url, form, n, total) for n in range(planned + 1, total + 1)]

    def _search(self, url: str, form: dict[str, str], page: int, planned: int) -> Request:
        """``POST /fjdzapp/search`` for one page; ``planned``: the last page already asked for."""
        return FormRequest(
            urljoin(url, SEARCH_PATH),
            formdata={**form, "page": str(page)},
            meta={Meta.PLATFORM: self.name, Meta.TRSAPI_FORM: form, Meta.TRSAPI_PLANNED: planned},
        )


def list_args(script: str) -> tuple[dict[str, str], int, int] | None:
    """The search form a ``listModel({...})`` call would send, the first page it fetches and
    the number of pages; ``None`` without such a call.

    >>> script = '''var SiteInfo = {searchId: 200210};
    ... listModel({ quickMode: "动静结合", maxStaticIndex: 1,
    ...   listArgs: { channelid: SiteInfo.searchId, classsql: "" || "chnlid=1813",
    ...               sortfield: "-docorderpri,-docreltime" },
    ...   pagebar: { prepage: 10, recordCount: '25', pgTemp: "pgBar_xxgk.html" } }); });'''
    >>> list_args(script)
    ({'channelid': '200210', 'classsql': 'chnlid=1813', 'sortfield': '-docorderpri,-docreltime', \
'prepage': '10'}, 2, 3)
    """
    call = re.search(r"listModel\s*\(\s*\{", script)
    if call is None:
        return None
    body = script[call.end() :]
    channel = _value(body, "channelid")
    if channel is not None and not channel.isdigit():
        found = _SEARCH_ID.search(script)  # channelid: SiteInfo.searchId
        channel = found.group(1) if found else None
    classsql = _value(body, "classsql")
    if channel is None or classsql is None:
        return None
    form = {"channelid": channel, "classsql": classsql}
    if (sortfield := _value(body, "sortfield")) is not None:
        form["sortfield"] = sortfield
    prepage = as_int(_value(body, "prepage")) or 10
    form["prepage"] = str(prepage)
    static = as_int(_value(body, "maxStaticIndex")) or 1
    records = as_int(_value(body, "recordCount")) or 0
    pages = max(math.ceil(records / prepage), static + 1)  # at least ask once
    return form, static + 1, pages


def _value(body: str, key: str) -> str | None:
    """The first non-empty literal (or bare word) of ``key: …`` in a JS object literal;
    ``"" || "chnlid=1813"`` gives ``chnlid=1813``."""
    match = re.search(rf"\b{key}\s*:\s*({_TERM}(?:\s*\|\|\s*{_TERM})*)", body)
    if match is None:
        return None
    terms = [t.strip() for t in re.findall(_TERM, match.group(1))]
    literals = [t[1:-1] for t in terms if t[:1] in "\"'"]
    if literals:
        return next((x for x in literals if x), "")
    return terms[0] or None
