"""Downloader-side help for discovery: documents told by their answer, speculative pages.

- **Download probes.** A link on a report page that only *suggests* a download (点击下载,
  ``/attach/get?id=…``, no extension anywhere) is requested with ``meta["probe_document"]``.
  Its answer decides: kept as an ``attachment`` when it is a document (Content-Disposition,
  a document Content-Type, or the magic bytes of a PDF, Office, ZIP, image … file), else
  archived as an ``other`` page (an HTML page is not a report's file). This middleware sits
  just before the archive one, so the archive records the decided role.
- **Speculative pages in replay.** Discovery explores pages no recording crawl may have
  asked for. When replaying cassettes, such a page (``meta["speculative"]``) missing from them
  is skipped quietly: it was never part of what was recorded, unlike a report or a listing.

>>> is_document({"Content-Type": "text/html; charset=utf-8"}, b"<html>")
False
>>> is_document({"Content-Type": "application/octet-stream"}, b"%PDF-1.7 ...")
True
>>> is_document({"Content-Disposition": 'attachment; filename="a"', "Content-Type": "text/html"}, b"<")
True
>>> is_document({}, b"PK\\x03\\x04....")
True
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response

from vocabulary import Meta, Role

logger = logging.getLogger(__name__)

MAGIC = (
    b"%PDF",
    b"PK\x03\x04",  # docx, xlsx, ofd, zip
    b"\xd0\xcf\x11\xe0",  # doc, xls, wps, et
    b"Rar!",
    b"7z\xbc\xaf",
    b"{\\rtf",
    b"\x89PNG",
    b"\xff\xd8\xff",
    b"GIF8",
    b"II*\x00",
    b"MM\x00*",
    b"BM",
)
_DOCUMENT_TYPES = (
    "application/pdf",
    "application/msword",
    "application/vnd.",
    "application/zip",
    "application/x-",
    "application/ofd",
    "image/",
    "application/kswps",
    "application/wps",
)
_PAGE_TYPES = ("text/", "application/json", "application/xhtml", "application/xml", "application/javascript")


def is_document(headers: Mapping[str, str], body: bytes) -> bool:
    """Whether an answer is a file (a report's attachment), not a page."""
    lowered = {k.lower(): v for k, v in headers.items()}
    disposition = lowered.get("content-disposition", "").lower()
    if "attachment" in disposition or "filename" in disposition:
        return True
    if body.lstrip()[:8].startswith(MAGIC):
        return True
    ctype = lowered.get("content-type", "").split(";")[0].strip().lower()
    if not ctype or ctype.startswith(_PAGE_TYPES):
        return False
    return ctype.startswith(_DOCUMENT_TYPES) and ctype != "application/x-www-form-urlencoded"


def _headers(response: Response) -> dict[str, str]:
    return {k.decode("latin-1"): (v[0] if v else b"").decode("latin-1") for k, v in response.headers.items()}


class DiscoveryMiddleware:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self.replay = tuple(crawler.settings.getlist("NIANBAO_REPLAY"))

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DiscoveryMiddleware:
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        if self.replay and request.meta.get(Meta.SPECULATIVE) and not self._recorded(request):
            self.stats.inc_value("nianbao/discovery/not_recorded")
            raise IgnoreRequest(f"speculative page not in the cassettes: {request.url}")

    def _recorded(self, request: Request) -> bool:
        from crawler.middlewares.cassette import _cassette  # replay only

        return _cassette(self.replay).lookup(request) is not None

    def process_response(self, request: Request, response: Response) -> Response:
        if request.meta.get(Meta.PROBE_DOCUMENT) and response.status < 400:
            if is_document(_headers(response), response.body):
                self.stats.inc_value("nianbao/discovery/probed_documents")
            else:
                request.meta[Meta.ROLE] = Role.OTHER  # a page, not the report's file
                self.stats.inc_value("nianbao/discovery/probed_pages")
        return response
