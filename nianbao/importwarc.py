"""``nianbao import-warc FILE…``: bring WARC files into the archive, then parse them.

Two kinds of WARC come in:

* **ours** (``nianbao export-warc``): each response has a ``metadata`` record (JSON,
  ``WARC-Concurrent-To`` the response) with the fetch as it was archived — original URL,
  redirects, role, referer, link text, filename, time, status, headers — and a sites
  record with each site's agency and region. The fetch rows come back exactly.
* **other crawlers'** (``wget --warc-file``, browsertrix, Heritrix): only request and
  response records. Roles are inferred from the pages: an HTML page whose title (``<title>``,
  ``<h1>`` or the ``ArticleTitle`` meta) is a report title is a ``report``; a file it links
  to that is in the WARC too (after redirects recorded there) is an ``attachment`` with the
  page as referer; a file linked from another page under a report title is a ``report``
  itself; ``robots.txt`` is ``robots``; everything else a ``page``.

Every body goes to the object store decoded (chunking and the ``Content-Encoding`` warcio can
undo are taken off, and the headers say so), once per content. Each response becomes a
fetch row of one new ``crawl_runs`` row (command ``import``); the site is ``--site``, else
the one in our metadata, else the host name. A record that cannot be read — a truncated
body, a broken header, bytes that are not a WARC — becomes a ``problems`` row (stage
``import``) naming the file and the record's offset, and the import goes on with the next
record it can find. Then the parse stage builds reports and metrics from what came in.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any
from urllib.parse import urljoin, urlsplit

from parsel import Selector
from warcio.archiveiterator import ArchiveIterator
from warcio.bufferedreaders import BufferedReader
from warcio.recordloader import ArcWarcRecord
from warcio.timeutils import iso_date_to_datetime

from archive import Archive, open_archive
from archive.interchange import ensure_site, has_object, set_run_sites, store_chunks
from archive.lock import RunLock
from crawler.filenames import content_disposition_filename, url_filename
from crawler.links import Link, extract_links
from nianbao.export import EXIT_CANNOT_START, EXIT_OK, EXIT_PROBLEMS, METADATA_VERSION, SITES_URI
from nianbao.waczfile import WaczError, is_wacz, warcs_inside
from parsers.formats.html import decode_html
from parsers.formats.html import sniff as looks_like_html
from vocabulary import PAGE_ROLES, Role, is_report_title, normalize

logger = logging.getLogger(__name__)
_CHUNK = 1 << 16
_MAX_PAGE_BYTES = 8 << 20  # pages larger than this are not read for titles and links
_MAX_REDIRECTS = 10
_GZIP_MAGIC = b"\x1f\x8b\x08"
_WARC_MAGIC = b"WARC/"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("import-warc", help="import WARC files (ours or other crawlers')")
    parser.add_argument("files", nargs="+", metavar="FILE", help="WARC or WACZ files (.warc[.gz], .wacz)")
    parser.add_argument("--data-dir", default="data", help="archive directory (default ./data)")
    parser.add_argument("--site", help="site name for every fetch (default: ours, else the host name)")
    parser.add_argument("-q", "--quiet", action="store_true", help="print only problems")
    parser.set_defaults(func=cmd_import_warc)


def cmd_import_warc(args: argparse.Namespace) -> int:
    missing = [f for f in args.files if not Path(f).is_file()]
    if missing:
        print(f"error: no such file: {', '.join(missing)}", file=sys.stderr)
        return EXIT_CANNOT_START
    with RunLock(args.data_dir):
        archive = open_archive(args.data_dir)
        result = import_warcs(archive, [Path(f) for f in args.files], site=args.site)
    problems = archive.db.query(
        "SELECT stage, message FROM problems WHERE run_id = ? ORDER BY id LIMIT 20", [result.run_id]
    )
    if not args.quiet:
        s = result.stats
        print(
            f"run {result.run_id} (import): {s['fetches']} fetches from {s['records']} records in "
            f"{len(args.files)} file(s), {s['new_objects']} new objects, "
            f"{s['reports_parsed']} reports parsed ({s['metrics']} metrics), {s['problems']} problems"
        )
    for p in problems:
        print(f"  problem {p['stage']}: {p['message']}")
    return result.exit_code


@dataclass
class ImportResult:
    run_id: int
    exit_code: int
    stats: dict[str, Any]


def import_warcs(archive: Archive, paths: list[Path], *, site: str | None = None) -> ImportResult:
    """Import ``paths`` into ``archive`` as one run, then parse what they brought."""
    from nianbao.parse import parse_archive

    run_id = archive.start_run("import", mode="warc")
    importer = _Importer(archive, run_id, site)
    for path in paths:
        if is_wacz(path):
            _read_wacz(importer, path)
        else:
            importer.read_file(path)
    sites = importer.finish()
    summary = parse_archive(archive, run_id=run_id, only_new=True, sites=sites or None)
    stats: dict[str, Any] = {
        "files": [str(p) for p in paths],
        "records": importer.records,
        "fetches": len(importer.responses),
        "new_objects": importer.new_objects,
        "bytes": importer.bytes,
        "source_runs": sorted(importer.source_runs),
        "reports_parsed": summary.reports,
        "metrics": summary.metrics,
    }
    stats["problems"] = archive.count_problems(run_id)
    exit_code = EXIT_PROBLEMS if stats["problems"] else EXIT_OK
    set_run_sites(archive, run_id, sites)
    archive.finish_run(run_id, exit_code=exit_code, stats=stats)
    return ImportResult(run_id=run_id, exit_code=exit_code, stats=stats)


def _read_wacz(importer: _Importer, path: Path) -> None:
    """Each WARC of a WACZ, read as if given on its own; an unreadable WACZ is a problem."""
    try:
        with warcs_inside(path) as warcs:
            for warc in warcs:
                importer.read_file(warc)
    except WaczError as exc:
        importer.archive.add_problem("import", str(exc), run_id=importer.run_id, site=importer.site)


# -- reading records ---------------------------------------------------------------------------
class _Truncated(Exception):
    pass


@dataclass
class _Response:
    file: str
    offset: int
    record_id: str
    uri: str
    fetched_at: str
    status: int
    headers: dict[str, str]
    disposition: bytes | None
    sha256: str | None
    size: int
    concurrent_to: list[str]
    payload_digest: str | None
    meta: dict[str, Any] | None = None
    request: _Request | None = None
    # what the fetch row will say (filled in by finish())
    url: str = ""
    final_url: str = ""
    redirects: list[str] | None = None
    role: str | None = None
    referer: str | None = None
    link_text: str | None = None
    html: bool | None = None


@dataclass
class _Request:
    method: str
    referer: str | None
    concurrent_to: list[str]


@dataclass
class _Page:
    is_report: bool
    links: list[Link] = field(default_factory=list)


class _Importer:
    def __init__(self, archive: Archive, run_id: int, site: str | None) -> None:
        self.archive = archive
        self.run_id = run_id
        self.site = site
        self.records = 0
        self.new_objects = 0
        self.bytes = 0
        self.responses: list[_Response] = []
        self.requests: dict[str, _Request] = {}  # by record id
        self.metadata: dict[str, dict[str, Any]] = {}  # by the response's record id
        self.site_info: dict[str, dict[str, Any]] = {}
        self.by_digest: dict[str, str] = {}  # WARC-Payload-Digest / record id → sha256
        self.source_runs: set[int] = set()
        self._bad_record_at: int | None = None  # offset of the last record found broken

    # -- files
    def read_file(self, path: Path) -> None:
        size, gz = path.stat().st_size, _is_gzip(path)
        start_bytes = _first_bytes(path, gz)
        if not start_bytes.startswith(_WARC_MAGIC):
            # warcio would read any text as (ARC) records; ARC files are not supported either.
            self._problem(path, 0, None, f"not a WARC file (it starts with {start_bytes[:16]!r})")
            return
        with path.open("rb") as stream:
            start: int | None = 0
            reported = False  # one problem per unreadable stretch, not one per resync attempt
            while start is not None and start < size:
                stream.seek(start)
                end, error, read = self._read_from(stream, path)
                reported = reported and not read
                if error is None and (end >= size or not _has_data_after(stream, end)):
                    break
                if not reported and end != self._bad_record_at:
                    message = (
                        f"unreadable from here on: {error}"
                        if error
                        else f"the last {size - end} bytes could not be read (a truncated file?)"
                    )
                    self._problem(path, end, None, message)
                reported = True
                start = _next_record_start(stream, max(end, start) + 1, gz=gz)

    def _read_from(self, stream: IO[bytes], path: Path) -> tuple[int, str | None, int]:
        """Read records from the stream's position; returns where reading stopped, why
        (None: the end of the file) and how many records it read."""
        iterator = ArchiveIterator(stream, check_digests=False)
        offset, read = stream.tell(), 0
        try:
            for record in iterator:
                offset = iterator.offset
                self.records += 1
                read += 1
                try:
                    self._record(record, path, offset)
                except Exception as exc:  # one bad record must not stop the import
                    uri = record.rec_headers.get_header("WARC-Target-URI")
                    self._problem(path, offset, uri, _describe(exc))
                    self._bad_record_at = offset
            return iterator.offset, None, read
        except Exception as exc:
            return max(offset, iterator.offset), _describe(exc), read

    def _problem(self, path: Path, offset: int, uri: str | None, message: str) -> None:
        where = f"{path.name}, record at byte {offset}" + (f" ({uri})" if uri else "")
        self.archive.add_problem("import", f"{where}: {message}", run_id=self.run_id, site=self.site, url=uri)

    # -- records
    def _record(self, record: ArcWarcRecord, path: Path, offset: int) -> None:
        kind = record.rec_type
        uri = record.rec_headers.get_header("WARC-Target-URI") or ""
        record_id = record.rec_headers.get_header("WARC-Record-ID") or f"{path}#{offset}"
        if kind == "metadata":
            self._metadata(record, record_id)
        elif kind == "request" and record.http_headers is not None:
            self.requests[record_id] = _Request(
                method=record.http_headers.protocol.split(" ")[0].upper(),
                referer=record.http_headers.get_header("Referer"),
                concurrent_to=_concurrent(record),
            )
        elif kind in ("response", "revisit") and urlsplit(uri).scheme in ("http", "https"):
            if record.http_headers is None:
                raise ValueError(f"a {kind} record without HTTP headers")
            self.responses.append(self._response(record, path, offset, uri, record_id))

    def _metadata(self, record: ArcWarcRecord, record_id: str) -> None:
        content_type = (record.rec_headers.get_header("Content-Type") or "").split(";")[0].strip()
        if content_type != "application/json":
            return  # wget's log and manifest, browsertrix's pages: not ours
        body = json.loads(record.content_stream().read().decode("utf-8"))
        if not isinstance(body, dict) or body.get("nianbao") != METADATA_VERSION:
            return
        if body.get("kind") == "sites" and record.rec_headers.get_header("WARC-Target-URI") == SITES_URI:
            self.site_info.update({s["name"]: s for s in body.get("sites", []) if s.get("name")})
        elif body.get("kind") == "fetch":
            for target in _concurrent(record):
                self.metadata[target] = body

    def _response(
        self, record: ArcWarcRecord, path: Path, offset: int, uri: str, record_id: str
    ) -> _Response:
        http = record.http_headers
        status = int(http.get_statuscode())
        headers, decoded = _headers(http)
        media_type = (headers.get("Content-Type") or "").split(";")[0].strip().lower() or None
        digest = record.rec_headers.get_header("WARC-Payload-Digest")
        if record.rec_type == "revisit":
            sha256, size = self._revisited(record, digest)
            if sha256 is None and status != 304:
                raise ValueError("a revisit of a record that is in none of these files")
        elif status == 304:
            sha256, size = None, 0
        else:
            sha256, new, size = store_chunks(
                self.archive, _content_chunks(record, decoded), media_type=media_type
            )
            self.new_objects += new
            self.bytes += size
            self.by_digest[record_id] = sha256
            if digest:
                self.by_digest[digest] = sha256
        return _Response(
            file=path.name,
            offset=offset,
            record_id=record_id,
            uri=uri,
            fetched_at=_iso(record.rec_headers.get_header("WARC-Date")),
            status=status,
            headers=headers,
            disposition=_raw(http.get_header("Content-Disposition")),
            sha256=sha256,
            size=size,
            concurrent_to=_concurrent(record),
            payload_digest=digest,
            url=uri,
            final_url=uri,
        )

    def _revisited(self, record: ArcWarcRecord, digest: str | None) -> tuple[str | None, int]:
        refers_to = record.rec_headers.get_header("WARC-Refers-To")
        sha256 = self.by_digest.get(refers_to or "") or self.by_digest.get(digest or "")
        if sha256 is None:
            return None, 0
        return sha256, int(self.archive.db["files"].get(sha256)["size"])

    # -- after every file
    def finish(self) -> list[str]:
        """Pair the records, infer what our metadata does not say, write the fetch rows;
        returns the sites that received fetches."""
        pointing_here = {target: r for r in self.requests.values() for target in r.concurrent_to}
        for response in self.responses:
            response.request = self._request_of(response, pointing_here)
            response.meta = self.metadata.get(response.record_id)
            if response.meta is not None:
                self._apply_metadata(response)
        self._infer_roles([r for r in self.responses if r.meta is None])
        counts: dict[str, dict[str, int]] = {}
        for response in self.responses:
            site = self._site_of(response)
            self._write_fetch(response, site)
            count = counts.setdefault(site, {"pages": 0, "files": 0, "report_pages": 0, "bytes": 0})
            count["pages" if response.role in PAGE_ROLES else "files"] += 1
            count["report_pages"] += response.role == "report"
            count["bytes"] += response.size
        for site, count in counts.items():
            info = self.site_info.get(site, {})
            ensure_site(
                self.archive,
                site,
                **{k: info.get(k) for k in ("agency", "region", "start_urls") if info.get(k)},
            )
            self.archive.upsert_site(site, status="ok", last_run_id=self.run_id)
            self.archive.record_site_run(self.run_id, site, status="ok", **count)
        return sorted(counts)

    def _request_of(self, response: _Response, pointing_here: dict[str, _Request]) -> _Request | None:
        for request_id in response.concurrent_to:  # wget: the response names its request
            if request_id in self.requests:
                return self.requests[request_id]
        return pointing_here.get(response.record_id)  # ours, pywb: the request names its response

    def _apply_metadata(self, response: _Response) -> None:
        meta = response.meta or {}
        if meta.get("run") is not None:
            self.source_runs.add(int(meta["run"]))
        response.url = meta.get("url") or response.uri
        response.final_url = meta.get("final_url") or response.uri
        response.redirects = meta.get("redirects")
        response.role = meta.get("role")
        response.referer = meta.get("referer")
        response.link_text = meta.get("link_text")
        if meta.get("status") is not None:
            response.status = int(meta["status"])
        if meta.get("fetched_at"):
            response.fetched_at = meta["fetched_at"]
        if isinstance(meta.get("headers"), dict):
            response.headers = meta["headers"]
        if meta.get("size") is not None:
            response.size = int(meta["size"])
        recorded = meta.get("sha256")
        if response.status == 304 and recorded and has_object(self.archive, recorded):
            response.sha256 = recorded  # the body it confirmed was imported earlier
        elif recorded and response.sha256 and recorded != response.sha256:
            self._problem(
                Path(response.file),
                response.offset,
                response.uri,
                f"body differs from the one exported (sha256 {recorded[:12]}…); kept as it is now",
            )

    def _site_of(self, response: _Response) -> str:
        if self.site:
            return self.site
        if response.meta and response.meta.get("site"):
            return str(response.meta["site"])
        return urlsplit(response.url).hostname or "unknown"

    def _write_fetch(self, response: _Response, site: str) -> None:
        meta = response.meta or {}
        method = meta.get("method") or (response.request.method if response.request else "GET")
        referer = response.referer
        if referer is None and response.meta is None and response.request is not None:
            referer = response.request.referer
        filename = meta.get("filename") if response.meta is not None else self._filename(response)
        self.archive.record_fetch(
            run_id=self.run_id,
            url=response.url,
            site=site,
            final_url=response.final_url,
            redirects=response.redirects,
            method=method,
            status=response.status,
            headers=response.headers,
            fetched_at=response.fetched_at,
            duration_ms=meta.get("duration_ms"),
            referer=referer,
            link_text=response.link_text,
            role=response.role,
            filename=filename,
            size=response.size,
            sha256=response.sha256,
        )

    @staticmethod
    def _filename(response: _Response) -> str | None:
        if response.role not in ("attachment", "report") or response.html:
            return None
        return content_disposition_filename(response.disposition) or url_filename(response.final_url)

    # -- roles of other crawlers' fetches
    def _infer_roles(self, responses: list[_Response]) -> None:
        by_url: dict[str, _Response] = {}
        for response in responses:
            if response.status < 400 or response.uri not in by_url:
                by_url[response.uri] = response
        pages: dict[int, tuple[_Response, _Page]] = {}
        for response in responses:
            response.html = self._is_html(response)
            if response.html and _ok(response):
                pages[id(response)] = (response, self._read_page(response))
        # Report pages: by their own title, or by the title a list gives their link.
        for response, page in pages.values():
            if page.is_report:
                response.role = "report"
        for response, page in pages.values():
            if page.is_report:
                continue
            for link in page.links:
                target, _ = _follow(link.url, by_url)
                if target is not None and id(target) in pages and is_report_title(link.text):
                    pages[id(target)][1].is_report = True
                    target.role = "report"
                    if target.referer is None:
                        target.referer, target.link_text = response.uri, link.text
        # Files linked from a report page are its attachments (before a list's report-titled
        # links can claim them as reports of their own).
        for response, page in pages.values():
            if page.is_report:
                for link in page.links:
                    self._attach(link, response, by_url, role="attachment")
        for response, page in pages.values():
            if not page.is_report:
                for link in page.links:
                    if is_report_title(link.text):
                        self._attach(link, response, by_url, role="report")
        for response in responses:
            if response.role is None:
                robots = urlsplit(response.uri).path == "/robots.txt"
                response.role = Role.ROBOTS if robots else Role.PAGE

    def _attach(self, link: Link, page: _Response, by_url: dict[str, _Response], *, role: str) -> None:
        """Give the file a link leads to (after redirects in the WARC) a role, with the page
        as its referer; pages and files that have a role already keep it."""
        target, chain = _follow(link.url, by_url)
        if target is None or not _ok(target) or target.html or target.role is not None:
            return
        target.role, target.referer, target.link_text = role, page.uri, link.text
        if len(chain) > 1:
            target.url, target.redirects = chain[0], chain[1:]

    def _is_html(self, response: _Response) -> bool:
        if not response.sha256:
            return False
        with self.archive.store.path(response.sha256).open("rb") as body:
            return looks_like_html(body.read(4096))

    def _read_page(self, response: _Response) -> _Page:
        if not response.sha256 or response.size > _MAX_PAGE_BYTES:
            return _Page(is_report=False)
        try:
            selector = Selector(text=decode_html(self.archive.store.get(response.sha256)))
            titles = _title_candidates(selector)
            links = extract_links(selector, response.uri)
        except Exception as exc:  # an unparseable page is still archived, as a plain page
            logger.debug("cannot read links of %s: %s", response.uri, exc)
            return _Page(is_report=False)
        return _Page(is_report=any(is_report_title(t) for t in titles), links=links)


# -- helpers -----------------------------------------------------------------------------------
def _title_candidates(selector: Selector) -> list[str]:
    """What a page calls itself: the ArticleTitle meta, <title> (whole and its first part:
    "标题_栏目_站点"), the <h1>s."""
    found = selector.xpath(
        "//meta[translate(@name, 'ARTICLETITLE', 'articletitle') = 'articletitle']/@content"
    ).getall()
    title = normalize(" ".join(selector.xpath("//title//text()").getall()))
    if title:
        found += [title, title.split("_")[0]]
    found += [normalize(" ".join(h.xpath(".//text()").getall())) for h in selector.xpath("//h1")]
    return [t for t in found if t]


def _follow(url: str, by_url: dict[str, _Response]) -> tuple[_Response | None, list[str]]:
    """The response a URL ends at, following redirects recorded in the WARC.

    >>> hop = _Response("f", 0, "a", "http://x/a", "", 302, {"Location": "/b"}, None, None, 0, [], None)
    >>> end = _Response("f", 9, "b", "http://x/b", "", 200, {}, None, "s", 1, [], None)
    >>> target, chain = _follow("http://x/a", {"http://x/a": hop, "http://x/b": end})
    >>> target is end, chain
    (True, ['http://x/a', 'http://x/b'])
    """
    chain = [url]
    response = by_url.get(url)
    while response is not None and 300 <= response.status < 400 and len(chain) <= _MAX_REDIRECTS:
        location = response.headers.get("Location")
        if not location:
            break
        url = urljoin(response.uri, location.strip())
        if url in chain:
            return None, chain
        chain.append(url)
        response = by_url.get(url)
    return response, chain


def _ok(response: _Response) -> bool:
    return 200 <= response.status < 300 and response.sha256 is not None


def _headers(http: Any) -> tuple[dict[str, str], set[str]]:
    """Response headers as the archive keeps them (names as Scrapy spells them, values as
    UTF-8 text), less what the decoding of the body takes off; also which it takes off."""
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
        text = _raw(value).decode("utf-8", "replace")
        headers[key] = f"{headers[key]}, {text}" if key in headers else text
    return headers, decoded


def _content_chunks(record: ArcWarcRecord, decoded: set[str]) -> Iterator[bytes]:
    """The entity, decoded; raises :class:`_Truncated` (before the store keeps anything) when
    the record holds fewer bytes than its header promised."""
    stream = record.content_stream() if decoded else record.raw_stream
    while chunk := stream.read(_CHUNK):
        yield chunk
    while record.raw_stream.read(_CHUNK):  # what a decoder left unread
        pass
    missing = getattr(record.raw_stream, "limit", 0)
    if missing:
        raise _Truncated(f"truncated: {missing} bytes of the record are missing")


def _concurrent(record: ArcWarcRecord) -> list[str]:
    return [v for k, v in record.rec_headers.headers if k.lower() == "warc-concurrent-to"]


def _raw(text: str | None) -> bytes | None:
    # warcio decodes header lines as UTF-8 when they are valid UTF-8, else as latin-1.
    if text is None:
        return None
    try:
        return text.encode("latin-1")
    except UnicodeEncodeError:
        return text.encode("utf-8")


def _iso(warc_date: str | None) -> str:
    """A WARC-Date as the archive writes times.

    >>> _iso("2026-11-23T13:01:14Z"), _iso("2026-11-23T13:01:14.123456Z")
    ('2026-11-23T13:01:14+00:00', '2026-11-23T13:01:14+00:00')
    """
    from archive.db import now

    if not warc_date:
        return now()
    when = iso_date_to_datetime(warc_date, tz_aware=True)
    return when.replace(microsecond=0).isoformat(timespec="seconds")


def _describe(exc: Exception) -> str:
    text = str(exc).strip()
    return text if isinstance(exc, _Truncated) else f"{type(exc).__name__}: {text}".rstrip(": ")


def _is_gzip(path: Path) -> bool:
    with path.open("rb") as f:
        return f.read(3) == _GZIP_MAGIC


def _first_bytes(path: Path, gz: bool, size: int = 16) -> bytes:
    """The first bytes of the file, of its first gzip member's content when gzipped."""
    with path.open("rb") as f:
        head = f.read(1 << 16)
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
    magic = _GZIP_MAGIC if gz else b"\n" + _WARC_MAGIC
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
