"""Incremental crawls: ask only for what changed since the archive last saw it.

Pages the archive already holds are requested with ``If-None-Match`` / ``If-Modified-Since``
from their last good fetch; a ``304 Not Modified`` is answered from the object store, so
the spider still reads the page (and finds what is new on it) without the bytes crossing
the network again. Attachments already archived are not requested again at all —
portals publish a changed file under a new name — unless ``NIANBAO_REVALIDATE_FILES`` is
set, in which case they are revalidated like pages. A page or file that did change comes
back ``200`` and is archived as a new version beside the old one.
"""

from __future__ import annotations

import json
import logging

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.http import Headers, Response
from scrapy.responsetypes import responsetypes

from crawler.runs import Recorded, run_context
from vocabulary import Meta, Role

logger = logging.getLogger(__name__)
_DROPPED_HEADERS = {"content-encoding", "content-length", "transfer-encoding"}


class AlreadyArchived(Recorded):
    """An attachment the archive already holds: not fetched again (counted as skipped)."""


class ConditionalRequestMiddleware:
    def __init__(self, crawler: Crawler) -> None:
        self.ctx = run_context(crawler)
        self.stats = crawler.stats
        self.revalidate_files = crawler.settings.getbool("NIANBAO_REVALIDATE_FILES", False)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ConditionalRequestMiddleware:
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        if request.method != "GET" or request.meta.get(Meta.DONT_REVALIDATE):
            return None
        previous = self.ctx.archive.last_good_fetch(request.url)
        if previous is None:
            return None
        if request.meta.get(Meta.ROLE) == Role.ATTACHMENT and not self.revalidate_files:
            self.stats.inc_value("nianbao/skipped_files")
            raise AlreadyArchived(f"already archived: {request.url}")
        headers = json.loads(previous["headers"] or "{}")
        validators = {k.lower(): v for k, v in headers.items()}
        if "etag" in validators:
            request.headers.setdefault(b"If-None-Match", validators["etag"])
        if "last-modified" in validators:
            request.headers.setdefault(b"If-Modified-Since", validators["last-modified"])
        request.meta[Meta.REVALIDATE] = {"sha256": previous["sha256"], "headers": headers}
        return None

    def process_response(self, request: Request, response: Response) -> Response:
        previous = request.meta.get(Meta.REVALIDATE)
        if response.status != 304 or not previous:
            return response
        self.stats.inc_value("nianbao/unchanged")
        previous["answer_headers"] = response.headers  # what the server said, for provenance
        body = self.ctx.archive.store.get(previous["sha256"])
        headers = Headers({k: v for k, v in previous["headers"].items() if k.lower() not in _DROPPED_HEADERS})
        respcls = responsetypes.from_args(headers=headers, url=response.url, body=body)
        return respcls(
            url=response.url,
            status=200,
            headers=headers,
            body=body,
            request=request,
            flags=[*response.flags, "revalidated"],
        )
