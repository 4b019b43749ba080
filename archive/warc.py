"""WARC, the archive's interchange format: the one place that writes and reads it.

Cassettes (``crawler/middlewares/cassette.py``), ``nianbao export-warc`` / ``import-warc``
and WACZ files all go through here (warcio underneath):

* **writing**: HTTP headers byte for byte (:class:`RawHeaders`), a recorded exchange
  (:func:`write_exchange`), and a fetch row as ``response`` (or ``revisit``) + ``request`` +
  ``metadata`` records carrying our provenance (:class:`FetchWriter`);
* **reading**: :func:`read_warc` hands every record to a callback, gzip member by member,
  and recovers from damage: a truncated or corrupt stretch becomes a :class:`WarcReadError`
  naming the file and the byte offset, and reading goes on at the next record it can find; a
  record whose bytes do not match its ``WARC-Block-Digest`` / ``WARC-Payload-Digest`` (damaged
  in place, its length kept) is one too (:func:`check_digests`), and is not used;
* **mapping**: a fetch row ⇄ our ``metadata`` record (:func:`fetch_metadata`,
  :func:`fetch_fields`), a response's headers and decoded body as the archive keeps them
  (:func:`archived_headers`, :func:`body_chunks`).

>>> import io, tempfile
>>> path = Path(tempfile.mkdtemp()) / "x.warc.gz"
>>> with path.open("wb") as out:
...     write_exchange(WARCWriter(out, gzip=True), "http://x.test/a?b=1", "GET", [("Host", "x.test")],
...                    b"", 200, [("Content-Disposition", "attachment; filename=\\xc4\\xea.pdf")], b"%PDF")
>>> seen = []
>>> read_warc(path, lambda offset, r: seen.append((r.rec_type, header_bytes(
...     r.http_headers.get_header("Content-Disposition") or "")[-6:], r.raw_stream.read())), seen.append)
2
>>> seen
[('response', b'\\xc4\\xea.pdf', b'%PDF'), ('request', b'', b'')]
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import re
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

from warcio.archiveiterator import ArchiveIterator
from warcio.bufferedreaders import BufferedReader
from warcio.exceptions import ArchiveLoadFailed
from warcio.recordloader import ArcWarcRecord
from warcio.statusandheaders import StatusAndHeaders
from warcio.timeutils import datetime_to_iso_date, iso_date_to_datetime
from warcio.warcwriter import WARCWriter

from archive.archive import Archive
from archive.db import now

# Our metadata records' JSON says what it is: {"nianbao": METADATA_VERSION, "kind": …}.
METADATA_VERSION = 1
METADATA_TYPE = "application/json"
SITES_URI = "urn:nianbao:sites"
# Not the fetched URL itself: replay tools (pywb) index JSON metadata records like responses and
# would serve our provenance instead of the page (browsertrix's urn:pageinfo: does the same).
FETCH_URI_PREFIX = "urn:nianbao:fetch:"

GZIP_MAGIC = b"\x1f\x8b\x08"
WARC_MAGIC = b"WARC/"
_CHUNK = 1 << 16


# -- headers and small conversions --------------------------------------------------------------
class RawHeaders(StatusAndHeaders):
    """HTTP headers written byte for byte (warcio would %-encode non-ASCII values).

    ``latin-1`` (the default) suits values that are latin-1-decoded bytes, as Scrapy's are:
    encoding them back gives the bytes received, so a GBK ``Content-Disposition`` name survives.
    ``utf-8`` suits the archive's header values, kept decoded as UTF-8.
    """

    def __init__(
        self, statusline: str, headers: list[tuple[str, str]], *, encoding: str = "latin-1", **kw: Any
    ):
        super().__init__(statusline, headers, **kw)
        self.encoding = encoding

    def compute_headers_buffer(self, header_filter=None) -> None:  # type: ignore[no-untyped-def]
        self.headers_buff = self.to_str(header_filter).encode(self.encoding) + b"\r\n"


def header_bytes(text: str) -> bytes:
    """A header value warcio read, as the bytes in the file (warcio decodes a header line as
    UTF-8 when it is valid UTF-8, else as latin-1).

    >>> header_bytes("文件.pdf") == "文件.pdf".encode(), header_bytes("\\xc4\\xea")
    (True, b'\\xc4\\xea')
    """
    try:
        return text.encode("latin-1")
    except UnicodeEncodeError:
        return text.encode("utf-8")


def reason(status: int) -> str:
    """The standard reason phrase.

    >>> reason(404), reason(299)
    ('Not Found', 'Unknown')
    """
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


def clean(text: str) -> str:
    """No line breaks inside a header: they would end it (and start a forged one).

    >>> clean("a\\r\\nSet-Cookie: x")
    'a  Set-Cookie: x'
    """
    return text.replace("\r", " ").replace("\n", " ")


def warc_date(iso: str | None) -> str:
    """Our ISO time stamps as a WARC-Date (UTC, second precision, ``Z``).

    >>> warc_date("2026-11-23T12:22:40+00:00"), warc_date("2018-03-20T09:30:00.5+08:00")
    ('2026-11-23T12:22:40Z', '2018-03-20T01:30:00Z')
    """
    when = datetime.fromisoformat(iso) if iso else datetime.now(UTC)
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return datetime_to_iso_date(when.astimezone(UTC).replace(tzinfo=None, microsecond=0))


def iso_time(date: str | None) -> str:
    """A WARC-Date as the archive writes times.

    >>> iso_time("2026-11-23T13:01:14Z"), iso_time("2026-11-23T13:01:14.123456Z")
    ('2026-11-23T13:01:14+00:00', '2026-11-23T13:01:14+00:00')
    """
    if not date:
        return now()
    when = iso_date_to_datetime(date, tz_aware=True)
    return when.replace(microsecond=0).isoformat(timespec="seconds")


def request_target(url: str) -> str:
    """The request line's target: path and query.

    >>> request_target("http://x.test"), request_target("http://x.test/a?b=1#c")
    ('/', '/a?b=1')
    """
    parts = urlsplit(url)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def payload_digest(path: Path) -> str:
    """The WARC-Payload-Digest warcio writes for these bytes (sha1, base32)."""
    sha1 = hashlib.sha1()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(_CHUNK), b""):
            sha1.update(chunk)
    return "sha1:" + base64.b32encode(sha1.digest()).decode("ascii")


def concurrent_to(record: ArcWarcRecord) -> list[str]:
    return [v for k, v in record.rec_headers.headers if k.lower() == "warc-concurrent-to"]


# -- writing ------------------------------------------------------------------------------------
def write_exchange(
    writer: WARCWriter,
    url: str,
    method: str,
    request_headers: list[tuple[str, str]],
    request_body: bytes,
    status: int,
    response_headers: list[tuple[str, str]],
    body: bytes,
) -> None:
    """One HTTP exchange as it went over the wire (a cassette): the ``response`` record, then
    its ``request`` record naming it; header values are latin-1-decoded bytes."""
    request = writer.create_warc_record(
        url,
        "request",
        payload=io.BytesIO(request_body),
        http_headers=RawHeaders(
            f"{method} {request_target(url)} HTTP/1.1", request_headers, is_http_request=True
        ),
    )
    response = writer.create_warc_record(
        url,
        "response",
        payload=io.BytesIO(body),
        http_headers=RawHeaders(f"{status} {reason(status)}", response_headers, protocol="HTTP/1.1"),
    )
    request.rec_headers.add_header("WARC-Concurrent-To", response.rec_headers.get_header("WARC-Record-ID"))
    writer.write_record(response)
    writer.write_record(request)


@dataclass
class WarcSummary:
    fetches: int = 0
    requests: int = 0
    bytes: int = 0
    missing: list[str] = field(default_factory=list)  # fetches whose stored object is gone


@dataclass(frozen=True)
class Capture:
    """A full response record written for some bytes: what a revisit refers to."""

    record_id: str
    uri: str
    date: str
    payload_digest: str
    headers: dict[str, str]


class FetchWriter:
    """Fetch rows of ``archive`` as WARC records into ``out``.

    Every fetch becomes a ``response`` record (the status line, the recorded headers and the
    stored body) under the URL that answered, then a ``request`` record reconstructed from what
    we know (method, Host, User-Agent of the run, Referer), then a ``metadata`` record
    (:func:`fetch_metadata`, ``WARC-Concurrent-To`` the response). The stored body is the
    decoded entity, so ``Transfer-Encoding`` goes and ``Content-Length`` is the stored size. A
    304 answered from the archive is a ``revisit`` of the earlier capture of the same bytes.
    """

    def __init__(self, archive: Archive, out: IO[bytes], *, gzip: bool) -> None:
        self.archive = archive
        self.writer = WARCWriter(out, gzip=gzip, warc_version="1.0")
        self.summary = WarcSummary()
        self.captures: dict[str, Capture] = {}  # sha256 → its latest full capture written so far

    def warcinfo(self, filename: str, info: dict[str, str]) -> None:
        self.writer.write_record(self.writer.create_warcinfo_record(filename, info))

    def metadata(self, uri: str, body: dict[str, Any], **warc_headers: str) -> None:
        """A ``metadata`` record of ours (JSON)."""
        data = json.dumps(body, ensure_ascii=False, indent=1).encode("utf-8")
        record = self.writer.create_warc_record(
            uri,
            "metadata",
            payload=io.BytesIO(data),
            length=len(data),
            warc_content_type=METADATA_TYPE,
            warc_headers_dict=warc_headers,
        )
        self.writer.write_record(record)

    def fetch(self, fetch: dict[str, Any], user_agent: str | None) -> None:
        target = fetch["final_url"] or fetch["url"]
        date = warc_date(fetch["fetched_at"])
        if fetch["status"] == 304 and fetch["sha256"]:
            response = self._revisit(fetch, target, date)
        else:
            response = self._response(fetch, target, date)
        self.summary.fetches += 1
        response_id = response.rec_headers.get_header("WARC-Record-ID")
        if (fetch["method"] or "GET").upper() in ("GET", "HEAD"):  # a POST body is not kept
            request = self.writer.create_warc_record(
                target,
                "request",
                payload=io.BytesIO(b""),
                length=0,
                http_headers=_request_headers(fetch, target, user_agent),
                warc_headers_dict={"WARC-Date": date, "WARC-Concurrent-To": response_id},
            )
            self.writer.write_record(request)
            self.summary.requests += 1
        self.metadata(
            FETCH_URI_PREFIX + target,
            fetch_metadata(fetch),
            **{"WARC-Date": date, "WARC-Concurrent-To": response_id},
        )

    def _response(self, fetch: dict[str, Any], target: str, date: str) -> ArcWarcRecord:
        with self._stored_body(fetch) as (body, size):
            response = self.writer.create_warc_record(
                target,
                "response",
                payload=body,
                length=size,
                http_headers=_response_headers(fetch["status"], json.loads(fetch["headers"] or "{}"), size),
                warc_headers_dict={"WARC-Date": date},
            )
            self.writer.write_record(response)
        self.summary.bytes += size
        digest = response.rec_headers.get_header("WARC-Payload-Digest")
        if fetch["sha256"] and fetch["status"] == 200 and size and digest:
            self.captures[fetch["sha256"]] = Capture(
                response.rec_headers.get_header("WARC-Record-ID"),
                target,
                date,
                digest,
                json.loads(fetch["headers"] or "{}"),
            )
        return response

    def _revisit(self, fetch: dict[str, Any], target: str, date: str) -> ArcWarcRecord:
        """A 304 answered from the archive as a ``revisit`` record (identical payload digest)
        pointing at the earlier capture of the same bytes, so replay tools (pywb) show the page,
        not an empty 304. Its HTTP headers are the capture's, updated by the 304's (RFC 9111
        §4.3.4), with status 200 and the stored length: what the client had in the end."""
        capture = self.captures.get(fetch["sha256"]) or self._earlier_capture(fetch)
        stored = json.loads(fetch["headers"] or "{}")
        update = {k: v for k, v in stored.items() if k.lower() not in _ENTITY_HEADERS}
        merged = {**(capture.headers if capture else {}), **update}
        size = int(self.archive.db["files"].get(fetch["sha256"])["size"]) if capture else 0
        http = _response_headers(200, merged, size)
        warc_headers = {"WARC-Date": date}
        if capture is None:  # the bytes are archived, but under no capture this WARC can name
            record = self.writer.create_warc_record(
                target, "revisit", http_headers=http, warc_headers_dict=warc_headers
            )
        else:
            if capture.record_id:
                warc_headers["WARC-Refers-To"] = capture.record_id
            record = self.writer.create_revisit_record(
                target,
                capture.payload_digest,
                capture.uri,
                capture.date,
                http_headers=http,
                warc_headers_dict=warc_headers,
            )
        self.writer.write_record(record)
        return record

    def _earlier_capture(self, fetch: dict[str, Any]) -> Capture | None:
        """The latest full capture of the fetch's bytes before it, outside this export (another
        run or site was selected): named by URI, date and digest only."""
        row = self.archive.db.execute(
            "SELECT coalesce(final_url, url), fetched_at, headers FROM fetches "
            "WHERE sha256 = ? AND status = 200 AND id < ? ORDER BY id DESC LIMIT 1",
            [fetch["sha256"], fetch["id"]],
        ).fetchone()
        path = self.archive.store.path(fetch["sha256"])
        if row is None or not path.exists():
            return None
        return Capture("", row[0], warc_date(row[1]), payload_digest(path), json.loads(row[2] or "{}"))

    @contextmanager
    def _stored_body(self, fetch: dict[str, Any]) -> Iterator[tuple[IO[bytes], int]]:
        """The stored body as an open file (streamed into the WARC), or nothing for a bodiless
        answer (304) and for an object that has gone missing (counted in the summary)."""
        sha256 = fetch["sha256"]
        path = self.archive.store.path(sha256) if sha256 and fetch["status"] != 304 else None
        if path is None or not path.exists():
            if path is not None:
                self.summary.missing.append(fetch["url"])
            yield io.BytesIO(b""), 0
            return
        with path.open("rb") as body:
            yield body, path.stat().st_size


# Describe the stored bytes: a 304 does not change them (the body is the capture's).
_ENTITY_HEADERS = {"content-encoding", "content-length", "content-type", "transfer-encoding"}
# Hop-by-hop or describing the bytes on the wire, not the stored entity.
_DROPPED_HEADERS = {"transfer-encoding", "content-length", "connection", "keep-alive"}
_NO_BODY_STATUSES = {204, 304}


def _response_headers(status: int | None, stored: dict[str, Any], size: int) -> RawHeaders:
    status = int(status or 200)
    headers = [
        (clean(name), clean(str(value)))
        for name, value in stored.items()
        if name.lower() not in _DROPPED_HEADERS
    ]
    if status not in _NO_BODY_STATUSES and not 100 <= status < 200:
        headers.append(("Content-Length", str(size)))
    return RawHeaders(f"{status} {reason(status)}", headers, protocol="HTTP/1.1", encoding="utf-8")


def _request_headers(fetch: dict[str, Any], target: str, user_agent: str | None) -> RawHeaders:
    headers = [("Host", urlsplit(target).netloc)]
    if user_agent:
        headers.append(("User-Agent", clean(user_agent)))
    if fetch["referer"]:
        headers.append(("Referer", clean(fetch["referer"])))
    method = (fetch["method"] or "GET").upper()
    line = f"{method} {clean(request_target(target))} HTTP/1.1"
    return RawHeaders(line, headers, is_http_request=True, encoding="utf-8")


# -- a fetch row ⇄ our metadata record ----------------------------------------------------------
# The fetch row's columns the metadata record carries under the same name.
_FETCH_COLUMNS = (
    "site", "url", "final_url", "method", "status", "fetched_at", "duration_ms", "referer",
    "link_text", "role", "filename", "size", "sha256",
)  # fmt: skip


def fetch_metadata(fetch: dict[str, Any]) -> dict[str, Any]:
    """Our provenance of one fetch row, as its metadata record carries it."""
    return {
        "nianbao": METADATA_VERSION,
        "kind": "fetch",
        "fetch_id": fetch["id"],
        "run": fetch["run_id"],
        **{name: fetch[name] for name in _FETCH_COLUMNS},
        "redirects": _json_or_none(fetch["redirects"]),
        "headers": _json_or_none(fetch["headers"]),
    }


def fetch_fields(meta: dict[str, Any]) -> dict[str, Any]:
    """The fetch row's columns a metadata record gives (those it has a value for).

    >>> fetch_fields({"nianbao": 1, "kind": "fetch", "run": 3, "url": "http://x.test/", "status": 200,
    ...               "role": None, "headers": {"Content-Type": "text/html"}})
    {'url': 'http://x.test/', 'status': 200, 'headers': {'Content-Type': 'text/html'}}
    """
    names = (*_FETCH_COLUMNS, "redirects", "headers")
    return {name: meta[name] for name in names if meta.get(name) is not None}


def our_metadata(record: ArcWarcRecord) -> dict[str, Any] | None:
    """The JSON body of one of our metadata records; None for anybody else's (wget's log and
    manifest, browsertrix's pages)."""
    content_type = (record.rec_headers.get_header("Content-Type") or "").split(";")[0].strip()
    if record.rec_type != "metadata" or content_type != METADATA_TYPE:
        return None
    data = record.content_stream().read()
    check_digests(record)
    body = json.loads(data.decode("utf-8"))
    if not isinstance(body, dict) or body.get("nianbao") != METADATA_VERSION:
        return None
    return body


def _json_or_none(text: str | None) -> Any:
    return json.loads(text) if text else None


# -- a response record as the archive keeps it --------------------------------------------------
class DamagedRecord(Exception):
    """A record whose bytes are not those it was written with (its message says how)."""


class TruncatedRecord(DamagedRecord):
    """A record that holds fewer bytes than its header promised."""


class DigestMismatch(DamagedRecord):
    """A record whose bytes do not match a digest its header gives."""


def digest_mismatch(record: ArcWarcRecord) -> str | None:
    """Why the record's bytes, read to the end, do not match the digests in its header; None
    when they do, or when it gives none (or none warcio knows: sha1, sha256 …, in base32, hex
    or base64). A payload digest that differs while the block digest (the whole record) matches
    is another crawler's convention (a digest of the de-chunked entity), not damage.

    >>> def read(block_digest, payload_digest, body=b"%PDF-1.7"):
    ...     out = io.BytesIO()
    ...     writer = WARCWriter(out, gzip=False)
    ...     headers = {k: v for k, v in (("WARC-Block-Digest", block_digest),
    ...                ("WARC-Payload-Digest", payload_digest)) if v}
    ...     writer.write_record(writer.create_warc_record("http://x.test/", "resource",
    ...         payload=io.BytesIO(body), length=len(body), warc_headers_dict=headers))
    ...     out.seek(0)
    ...     record = next(iter(ArchiveIterator(out, check_digests=True)))
    ...     record.raw_stream.read()
    ...     return digest_mismatch(record)
    >>> sha1 = "sha1:" + base64.b32encode(hashlib.sha1(b"%PDF-1.7").digest()).decode()
    >>> sha256 = "sha256:" + hashlib.sha256(b"%PDF-1.7").hexdigest()
    >>> read(sha1, sha1), read(sha256, sha256), read("md17:AAAA", sha256)
    (None, None, None)
    >>> read(sha1, sha1, b"%PDF-1.8"), read(sha256, sha256, b"%PDF-1.8")
    ('payload digest does not match', 'payload digest does not match')

    (The writer adds a block digest of the bytes written when none is given.)

    >>> read(None, sha256, b"%PDF-1.8"), read("md17:AAAA", sha256, b"%PDF-1.8")
    (None, 'payload digest does not match')
    """
    checker = getattr(record, "digest_checker", None)
    problems: list[str] = list(checker.problems) if checker is not None else []
    payload_failed = any(p.startswith("payload digest failed") for p in problems)
    block_failed = any(p.startswith("block digest failed") for p in problems)
    block_checked = bool(record.rec_headers.get_header("WARC-Block-Digest")) and not any(
        p.startswith("unknown hash algorithm name in block digest") for p in problems
    )
    if payload_failed and (block_failed or not block_checked):
        return "payload digest does not match"
    if block_failed:
        return "block digest does not match"
    return None


def check_digests(record: ArcWarcRecord) -> None:
    """Read the rest of the record and raise :class:`DigestMismatch` when its bytes do not
    match its digests: before the caller keeps anything it read from it."""
    while record.raw_stream.read(_CHUNK):
        pass
    mismatch = digest_mismatch(record)
    if mismatch:
        raise DigestMismatch(mismatch)


def archived_headers(http: StatusAndHeaders) -> tuple[dict[str, str], set[str]]:
    """Response headers as the archive keeps them (names as Scrapy spells them, values as
    UTF-8 text), less what the decoding of the body takes off; also which it takes off.

    >>> http = StatusAndHeaders("200 OK", [("content-type", "text/html"), ("Content-Encoding", "gzip"),
    ...                                    ("Set-Cookie", "a=1"), ("Set-Cookie", "b=2")], protocol="HTTP/1.1")
    >>> archived_headers(http)
    ({'Content-Type': 'text/html', 'Set-Cookie': 'a=1, b=2'}, {'content-encoding'})
    """
    decoded: set[str] = set()
    # The same tests as warcio's content_stream(), which does the decoding.
    encoding = (http.get_header("Content-Encoding") or "").lower()
    if encoding and encoding in BufferedReader.get_supported_decompressors():
        decoded.add("content-encoding")
    if http.get_header("Transfer-Encoding") == "chunked":
        decoded.add("transfer-encoding")
    headers: dict[str, str] = {}
    for name, value in http.headers:
        if name.lower() in decoded:
            continue
        key = name.title()
        text = header_bytes(value).decode("utf-8", "replace")
        headers[key] = f"{headers[key]}, {text}" if key in headers else text
    return headers, decoded


def body_chunks(record: ArcWarcRecord, decoded: set[str]) -> Iterator[bytes]:
    """The entity, decoded when ``decoded`` names codings to take off; raises (after the last
    chunk, so a store never keeps a partial or damaged body) :class:`TruncatedRecord` when the
    record holds fewer bytes than its header promised, :class:`DigestMismatch` when they are
    not the bytes its digests name."""
    stream = record.content_stream() if decoded else record.raw_stream
    while chunk := stream.read(_CHUNK):
        yield chunk
    while record.raw_stream.read(_CHUNK):  # what a decoder left unread
        pass
    missing = getattr(record.raw_stream, "limit", 0)
    if missing:
        raise TruncatedRecord(f"truncated: {missing} bytes of the record are missing")
    check_digests(record)


def is_http(uri: str) -> bool:
    return urlsplit(uri).scheme in ("http", "https")


# -- reading, with recovery ---------------------------------------------------------------------
class WarcReadError(Exception):
    """Something in a WARC file that could not be read: names the file and where."""

    def __init__(self, path: Path, offset: int, reason: str, uri: str | None = None) -> None:
        self.path, self.offset, self.reason, self.uri = path, offset, reason, uri
        where = f"{path.name}, record at byte {offset}" + (f" ({uri})" if uri else "")
        super().__init__(f"{where}: {reason}")


def read_warc(
    path: Path,
    handle: Callable[[int, ArcWarcRecord], None],
    on_error: Callable[[WarcReadError], None],
) -> int:
    """Call ``handle(offset, record)`` for every record of the WARC file at ``path``, plain or
    gzipped (member by member); returns how many records were read.

    Nothing stops the reading: a record ``handle`` fails on, bytes that are no WARC record, a
    file cut short — each becomes one :class:`WarcReadError` passed to ``on_error`` (one per
    unreadable stretch, naming the file and the offset where it begins), and reading goes on
    at the next record found after it (the next gzip member, or the next ``WARC/`` line).

    Digests are checked as the records are read: ``handle`` calls :func:`check_digests` (as
    :func:`body_chunks` and :func:`our_metadata` do) before it keeps what it read, and its
    :class:`DigestMismatch` becomes the record's error; a damaged record ``handle`` did not read
    to the end (one it skips) is reported once read past.
    """
    size, gz = path.stat().st_size, _is_gzip(path)
    head = _first_bytes(path, gz)
    if not head.startswith(WARC_MAGIC):
        # warcio would read any text as (ARC) records; ARC files are not supported either.
        on_error(WarcReadError(path, 0, f"not a WARC file (it starts with {head[:16]!r})"))
        return 0
    reader = _Reader(path, handle, on_error, gz=gz)
    with path.open("rb") as stream:
        start: int | None = 0
        reported = False  # one error per unreadable stretch, not one per resync attempt
        while start is not None and start < size:
            stream.seek(start)
            end, error, read = reader.read_from(stream)
            reported = reported and not read
            if error is None and (end >= size or not _has_data_after(stream, end)):
                break
            if not reported and end != reader.bad_record_at:
                why = (
                    f"unreadable from here on: {error}"
                    if error
                    else f"the last {size - end} bytes could not be read (a truncated file?)"
                )
                on_error(WarcReadError(path, end, why))
            reported = True
            start = _next_record_start(stream, max(end, start) + 1, gz=gz)
    return reader.records


class _Reader:
    def __init__(
        self,
        path: Path,
        handle: Callable[[int, ArcWarcRecord], None],
        on_error: Callable[[WarcReadError], None],
        *,
        gz: bool,
    ) -> None:
        self.path, self.handle, self.on_error, self.gz = path, handle, on_error, gz
        self.records = 0
        self.bad_record_at: int | None = None  # offset of the last record found broken

    def read_from(self, stream: IO[bytes]) -> tuple[int, str | None, int]:
        """Read records from the stream's position; returns where reading stopped, why
        (None: the end of the file) and how many records it read."""
        # True: warcio notes a digest mismatch on the record (neither raising nor logging it).
        iterator = ArchiveIterator(stream, check_digests=True)
        offset, read = stream.tell(), 0
        try:
            for record in iterator:
                offset = iterator.offset
                self.records += 1
                read += 1
                try:
                    _check_header(record)
                    self.handle(offset, record)
                    check_digests(record)  # one the handler skipped: damaged all the same
                except Exception as exc:  # one bad record must not stop the reading
                    uri = record.rec_headers.get_header("WARC-Target-URI")
                    self.on_error(WarcReadError(self.path, offset, _describe(exc), uri))
                    self.bad_record_at = offset
            return iterator.offset, None, read
        except Exception as exc:
            where = max(offset, iterator.offset)
            if self.gz and isinstance(exc, ArchiveLoadFailed):
                # warcio read the damaged member's bytes as text: that "first line" says nothing.
                return where, "a damaged gzip member, no WARC record could be read from it", read
            return where, _describe(exc), read


# Every WARC record has them (WARC 1.0, §5): one missing means the header was cut short.
_REQUIRED_HEADERS = ("WARC-Type", "WARC-Record-ID", "WARC-Date", "Content-Length")


def _check_header(record: ArcWarcRecord) -> None:
    if not record.format.startswith("warc"):
        return
    missing = [name for name in _REQUIRED_HEADERS if record.rec_headers.get_header(name) is None]
    if missing:
        raise TruncatedRecord(f"an incomplete record header (no {', '.join(missing)}): a truncated record?")


def _describe(exc: Exception, limit: int = 160) -> str:
    """One readable line: control bytes (a damaged gzip member read as text) as escapes, and
    not more than ``limit`` characters.

    >>> print(_describe(ValueError("first line: " + chr(31) + chr(139) + "页" + "z" * 200), limit=30))
    ValueError: first line: \\x1f\\x8b页zzzzzzzzz…
    """
    text = re.sub(r"[\r\n\t ]+", " ", str(exc)).strip()
    text = "".join(c if c.isprintable() else f"\\x{ord(c):02x}" if ord(c) < 256 else "?" for c in text)
    if len(text) > limit:
        text = text[:limit] + "…"
    return text if isinstance(exc, DamagedRecord) else f"{type(exc).__name__}: {text}".rstrip(": ")


def _is_gzip(path: Path) -> bool:
    with path.open("rb") as f:
        return f.read(3) == GZIP_MAGIC


def _first_bytes(path: Path, gz: bool, size: int = 16) -> bytes:
    """The first bytes of the file, of its first gzip member's content when gzipped."""
    with path.open("rb") as f:
        head = f.read(_CHUNK)
    if not gz:
        return head[:size]
    try:
        return zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(head, size)
    except zlib.error:
        return b""


def _has_data_after(stream: IO[bytes], offset: int) -> bool:
    """Anything but blank lines after ``offset``?"""
    stream.seek(offset)
    while chunk := stream.read(_CHUNK):
        if chunk.strip():
            return True
    return False


def _next_record_start(stream: IO[bytes], start: int, *, gz: bool) -> int | None:
    """Where the next record may begin after a broken one (the next gzip member, or the
    next ``WARC/`` version line); None when there is none."""
    magic = GZIP_MAGIC if gz else b"\n" + WARC_MAGIC
    stream.seek(start)
    position, tail = start, b""
    while chunk := stream.read(_CHUNK):
        data = tail + chunk
        found = data.find(magic)
        if found >= 0:
            return position - len(tail) + found + (0 if gz else 1)
        tail = data[-(len(magic) - 1) :]
        position += len(chunk)
    return None
