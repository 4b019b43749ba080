"""``nianbao import-warc FILE…``: bring WARC files into the archive, then parse them.

Two kinds of WARC come in:

* **ours** (``nianbao export-warc``): each response has a ``metadata`` record (JSON,
  ``WARC-Concurrent-To`` the response) with the fetch as it was archived — original URL,
  redirects, role, referer, link text, filename, time, status, headers — and a sites
  record with each site's agency and region. The fetch rows come back exactly.
* **other crawlers'** (``wget --warc-file``, browsertrix, Heritrix): only request and
  response records. Roles follow the spider's own rules (``crawler/follow.py``) over the pages
  the WARC holds: what a page lists as a report item (a link under a report title) is a
  ``report``; what a report page has as attachments is an ``attachment`` with the page as
  referer (when the WARC holds it, after redirects recorded there); ``robots.txt`` is
  ``robots``; everything else a ``page``. (A report page whose listing is not in the WARC
  stays a ``page``, as the spider would not have found it either.)

Every body goes to the object store decoded (chunking and the ``Content-Encoding`` warcio can
undo are taken off, and the headers say so), once per content. Each response becomes a
fetch row of one new ``crawl_runs`` row (command ``import``); the site is ``--site``, else
the one in our metadata, else the host name. A record that cannot be read — a truncated
body, a broken header, bytes that are not a WARC, bytes that do not match the record's
``WARC-Block-Digest`` / ``WARC-Payload-Digest`` — becomes a ``problems`` row (stage
``import``) naming the file, the record's offset and target URI, and is not imported; the
import goes on with the next record it can find (``archive/warc.py`` reads and recovers).
Then the parse stage builds reports and metrics from what came in.
"""

from __future__ import annotations

import argparse
import logging
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

from scrapy.http import HtmlResponse, Request, TextResponse
from warcio.recordloader import ArcWarcRecord

from archive import Archive, open_archive
from archive.lock import RunLock
from archive.warc import (
    SITES_URI,
    WarcReadError,
    archived_headers,
    body_chunks,
    check_digests,
    concurrent_to,
    fetch_fields,
    header_bytes,
    is_http,
    iso_time,
    our_metadata,
    read_warc,
)
from crawler.charset import decoded as charset_decoded
from crawler.filenames import content_disposition_filename, url_filename
from crawler.follow import attachment_links, report_links
from crawler.links import Link
from nianbao.exit_codes import EXIT_CANNOT_START, EXIT_OK, EXIT_PROBLEMS
from nianbao.waczfile import WaczError, is_wacz, warcs_inside
from parsers.formats.html import sniff as looks_like_html
from vocabulary import PAGE_ROLES, Role

logger = logging.getLogger(__name__)

_MAX_PAGE_BYTES = 8 << 20  # pages larger than this are not read for links
_MAX_REDIRECTS = 10


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
    archive.update_run(run_id, sites=sites)
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

    # -- files
    def read_file(self, path: Path) -> None:
        self.records += read_warc(
            path, lambda offset, record: self._record(record, path, offset), self._error
        )

    def _error(self, error: WarcReadError) -> None:
        self.archive.add_problem("import", str(error), run_id=self.run_id, site=self.site, url=error.uri)

    # -- records
    def _record(self, record: ArcWarcRecord, path: Path, offset: int) -> None:
        kind = record.rec_type
        uri = record.rec_headers.get_header("WARC-Target-URI") or ""
        record_id = record.rec_headers.get_header("WARC-Record-ID") or f"{path}#{offset}"
        if kind == "metadata":
            self._metadata(record)
        elif kind == "request" and record.http_headers is not None:
            check_digests(record)
            self.requests[record_id] = _Request(
                method=record.http_headers.protocol.split(" ")[0].upper(),
                referer=record.http_headers.get_header("Referer"),
                concurrent_to=concurrent_to(record),
            )
        elif kind in ("response", "revisit") and is_http(uri):
            if record.http_headers is None:
                raise ValueError(f"a {kind} record without HTTP headers")
            self.responses.append(self._response(record, path, offset, uri, record_id))

    def _metadata(self, record: ArcWarcRecord) -> None:
        body = our_metadata(record)
        if body is None:
            return  # wget's log and manifest, browsertrix's pages: not ours
        if body.get("kind") == "sites" and record.rec_headers.get_header("WARC-Target-URI") == SITES_URI:
            self.site_info.update({s["name"]: s for s in body.get("sites", []) if s.get("name")})
        elif body.get("kind") == "fetch":
            for target in concurrent_to(record):
                self.metadata[target] = body

    def _response(
        self, record: ArcWarcRecord, path: Path, offset: int, uri: str, record_id: str
    ) -> _Response:
        http = record.http_headers
        status = int(http.get_statuscode())
        headers, decoded = archived_headers(http)
        media_type = (headers.get("Content-Type") or "").split(";")[0].strip().lower() or None
        digest = record.rec_headers.get_header("WARC-Payload-Digest")
        if record.rec_type == "revisit":
            sha256, size = self._revisited(record, digest)
            if sha256 is None and status != 304:
                raise ValueError("a revisit of a record that is in none of these files")
        elif status == 304:
            sha256, size = None, 0
        else:
            sha256, new, size = self.archive.store_stream(body_chunks(record, decoded), media_type=media_type)
            self.new_objects += new
            self.bytes += size
            self.by_digest[record_id] = sha256
            if digest:
                self.by_digest[digest] = sha256
        check_digests(record)  # (a body read above was checked before it was stored)
        return _Response(
            file=path.name,
            offset=offset,
            record_id=record_id,
            uri=uri,
            fetched_at=iso_time(record.rec_headers.get_header("WARC-Date")),
            status=status,
            headers=headers,
            disposition=_disposition(http.get_header("Content-Disposition")),
            sha256=sha256,
            size=size,
            concurrent_to=concurrent_to(record),
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
            count["report_pages"] += response.role == Role.REPORT
            count["bytes"] += response.size
        for site, count in counts.items():
            info = self.site_info.get(site, {})
            self.archive.add_site_if_new(
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
        fields = fetch_fields(meta)
        for name in ("url", "final_url", "redirects", "role", "referer", "link_text", "fetched_at"):
            if name in fields:
                setattr(response, name, fields[name])
        if "status" in fields:
            response.status = int(fields["status"])
        if isinstance(fields.get("headers"), dict):
            response.headers = fields["headers"]
        if "size" in fields:
            response.size = int(fields["size"])
        recorded = fields.get("sha256")
        if response.status == 304 and recorded and self.archive.has_file(recorded):
            response.sha256 = recorded  # the body it confirmed was imported earlier
        elif recorded and response.sha256 and recorded != response.sha256:
            message = f"body differs from the one exported (sha256 {recorded[:12]}…); kept as it is now"
            self._error(WarcReadError(Path(response.file), response.offset, message, response.uri))

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
        if response.role not in (Role.ATTACHMENT, Role.REPORT) or response.html:
            return None
        return content_disposition_filename(response.disposition) or url_filename(response.final_url)

    # -- roles of other crawlers' fetches, by the spider's rules (crawler/follow.py)
    def _infer_roles(self, responses: list[_Response]) -> None:
        by_url: dict[str, _Response] = {}
        for response in responses:
            if response.status < 400 or response.uri not in by_url:
                by_url[response.uri] = response
        pages: dict[int, tuple[_Response, TextResponse]] = {}
        for response in responses:
            response.html = self._is_html(response)
            page = self._page(response) if response.html and _ok(response) else None
            if page is not None:
                pages[id(response)] = (response, page)
        items = {key: report_links(page) for key, (_, page) in pages.items()}
        # Report pages: the items pages list (the spider parses them as reports, not listings).
        for key, (response, _) in pages.items():
            for link in items[key]:
                target = self._target(link, by_url)
                if target is not None and id(target) in pages:
                    self._give(target, Role.REPORT, link, response, by_url)
        # A report page's attachments (before a listing's items can claim them as reports).
        for response, page in pages.values():
            if response.role == Role.REPORT:
                for link, _ in attachment_links(page):
                    self._give_file(link, response, by_url, role=Role.ATTACHMENT)
        # Files a page lists as report items are reports themselves.
        for key, (response, _) in pages.items():
            if response.role != Role.REPORT:
                for link in items[key]:
                    self._give_file(link, response, by_url, role=Role.REPORT)
        for response in responses:
            if response.role is None:
                robots = urlsplit(response.uri).path == "/robots.txt"
                response.role = Role.ROBOTS if robots else Role.PAGE

    def _give_file(self, link: Link, page: _Response, by_url: dict[str, _Response], *, role: str) -> None:
        """Give the file a link leads to a role, unless it is a page or has a role already."""
        target = self._target(link, by_url)
        if target is not None and not target.html:
            self._give(target, role, link, page, by_url)

    @staticmethod
    def _target(link: Link, by_url: dict[str, _Response]) -> _Response | None:
        target, _ = _follow(link.url, by_url)
        return target if target is not None and _ok(target) else None

    @staticmethod
    def _give(
        target: _Response, role: str, link: Link, page: _Response, by_url: dict[str, _Response]
    ) -> None:
        """The target's role, with the page as its referer and the redirects that led to it
        (fetches that have a role already keep it)."""
        if target.role is not None:
            return
        target.role, target.referer, target.link_text = role, page.uri, link.text
        _, chain = _follow(link.url, by_url)
        if len(chain) > 1:
            target.url, target.redirects = chain[0], chain[1:]

    def _is_html(self, response: _Response) -> bool:
        if not response.sha256:
            return False
        with self.archive.store.path(response.sha256).open("rb") as body:
            return looks_like_html(body.read(4096))

    def _page(self, response: _Response) -> TextResponse | None:
        """The archived page as the spider would have had it (decoded as its bytes say)."""
        if not response.sha256 or response.size > _MAX_PAGE_BYTES:
            return None
        try:
            page = HtmlResponse(
                response.uri,
                status=response.status,
                headers={k: v for k, v in response.headers.items() if k.lower() == "content-type"},
                body=self.archive.store.get(response.sha256),
                request=Request(response.uri),
            )
            return charset_decoded(page)[0]  # type: ignore[return-value]
        except Exception as exc:  # an unreadable page is still archived, as a plain page
            logger.debug("cannot read %s as a page: %s", response.uri, exc)
            return None


# -- helpers -----------------------------------------------------------------------------------
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


def _disposition(value: str | None) -> bytes | None:
    return header_bytes(value) if value is not None else None
