"""Cassettes: record a crawl's HTTP exchanges into a WARC file, and replay them offline.

Recording is a downloader middleware next to the wire: it sees every hop (redirects
included) with the body as sent (still compressed), and writes a WARC ``request`` record
and its ``response`` record per exchange. Replay is a download handler for http and https
that answers only from WARC files: a request that is not in them fails with
:class:`NotInCassette`, recorded as a problem — replay never opens a socket.

The files are standard WARC 1.0 (warcio), readable by pywb and other web-archive tools;
WARCs from other crawlers (wget --warc-file, browsertrix) replay too.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import IO, ClassVar

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Headers, Response
from scrapy.responsetypes import responsetypes
from warcio.recordloader import ArcWarcRecord
from warcio.warcwriter import WARCWriter

from archive.warc import (
    WarcReadError,
    body_chunks,
    concurrent_to,
    header_bytes,
    read_warc,
    write_exchange,
)

logger = logging.getLogger(__name__)


class NotInCassette(IgnoreRequest):
    is_problem = True  # unlike other IgnoreRequests, this one is a failure worth recording


def request_key(method: str, url: str, body: bytes = b"") -> tuple[str, str, str]:
    return (method.upper(), url, hashlib.sha1(body).hexdigest() if body else "")


# -- recording ---------------------------------------------------------------------------
class _SharedWriter:
    """One WARC file may be written by several crawlers of one process."""

    _open: ClassVar[dict[Path, _SharedWriter]] = {}
    _lock = threading.Lock()

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.file: IO[bytes] = path.open("ab")
        self.writer = WARCWriter(self.file, gzip=path.suffix == ".gz")

    @classmethod
    def get(cls, path: str) -> _SharedWriter:
        key = Path(path).resolve()
        with cls._lock:
            if key not in cls._open:
                cls._open[key] = cls(key)
            return cls._open[key]

    def write_exchange(self, request: Request, response: Response) -> None:
        write_exchange(
            self.writer,
            request.url,
            request.method,
            _header_pairs(request.headers),
            request.body,
            response.status,
            _header_pairs(response.headers),
            response.body,  # as sent: still gzip if it was
        )
        self.file.flush()


class WarcRecorderMiddleware:
    """Active only when ``NIANBAO_RECORD`` names a WARC file; otherwise it passes through."""

    def __init__(self, path: str | None) -> None:
        self.writer = _SharedWriter.get(path) if path else None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WarcRecorderMiddleware:
        return cls(crawler.settings.get("NIANBAO_RECORD"))

    def process_response(self, request: Request, response: Response) -> Response:
        if self.writer is not None:
            self.writer.write_exchange(request, response)
        return response


# -- replay -------------------------------------------------------------------------------
@dataclass
class RecordedResponse:
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes


class Cassette:
    """Every response in some WARC files, by (method, URL, request-body hash).

    A damaged file is replayed up to its damage (and from the next record found after it);
    the damage is logged as an error naming the file and the offset, and the requests it
    would have answered fail as not in the cassette."""

    def __init__(self, paths: list[str]) -> None:
        self.responses: dict[tuple[str, str, str], RecordedResponse] = {}
        self.errors: list[WarcReadError] = []
        for path in paths:
            self._load(Path(path))

    def _load(self, path: Path) -> None:
        by_id: dict[str, RecordedResponse] = {}
        requests: list[tuple[tuple[str, str, str], str]] = []

        def load(offset: int, record: ArcWarcRecord) -> None:
            url = record.rec_headers.get_header("WARC-Target-URI")
            if record.rec_type == "response" and record.http_headers:
                recorded = RecordedResponse(
                    status=int(record.http_headers.get_statuscode()),
                    headers=[(header_bytes(k), header_bytes(v)) for k, v in record.http_headers.headers],
                    body=_whole_body(record),  # as sent: still gzip if it was
                )
                by_id[record.rec_headers.get_header("WARC-Record-ID")] = recorded
                # Without a request record (other crawlers' WARCs) it answers a GET.
                self.responses.setdefault(request_key("GET", url), recorded)
            elif record.rec_type == "request" and record.http_headers:
                method = record.http_headers.protocol.split(" ")[0]
                body = _whole_body(record)
                for target in concurrent_to(record)[:1]:
                    requests.append((request_key(method, url, body), target))

        read_warc(path, load, self._damaged)
        for key, target in requests:
            if target in by_id:
                self.responses[key] = by_id[target]

    def _damaged(self, error: WarcReadError) -> None:
        logger.error("cassette %s", error)
        self.errors.append(error)

    def lookup(self, request: Request) -> RecordedResponse | None:
        return self.responses.get(request_key(request.method, request.url, request.body))


class WarcReplayDownloadHandler:
    lazy = False

    def __init__(self, crawler: Crawler) -> None:
        paths = crawler.settings.getlist("NIANBAO_REPLAY")
        if not paths:
            raise NotConfigured("no cassette to replay")
        self.cassette = _cassette(tuple(paths))

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WarcReplayDownloadHandler:
        return cls(crawler)

    async def download_request(self, request: Request) -> Response:
        recorded = self.cassette.lookup(request)
        if recorded is None:
            raise NotInCassette(f"not in cassette: {request.method} {request.url}")
        headers = Headers(recorded.headers)
        respcls = responsetypes.from_args(headers=headers, url=request.url, body=recorded.body)
        return respcls(
            url=request.url,
            status=recorded.status,
            headers=headers,
            body=recorded.body,
            request=request,
            flags=["cassette"],
        )

    async def close(self) -> None:
        return None


_CASSETTES: dict[tuple[str, ...], Cassette] = {}


def _cassette(paths: tuple[str, ...]) -> Cassette:
    # Loaded once per process even when several crawlers replay the same files.
    if paths not in _CASSETTES:
        _CASSETTES[paths] = Cassette(list(paths))
    return _CASSETTES[paths]


def _whole_body(record: ArcWarcRecord) -> bytes:
    """The record's body as recorded (no coding taken off); raises if it was cut short."""
    return b"".join(body_chunks(record, set()))


def _header_pairs(headers: Headers) -> list[tuple[str, str]]:
    return [
        (key.decode("latin-1"), value.decode("latin-1"))
        for key, values in headers.items()
        for value in values
    ]
