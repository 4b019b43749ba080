"""``nianbao export`` (tables as CSV / JSON Lines) and ``nianbao export-warc`` (the archive
as a standard WARC file).

**Tables.** ``reports`` (``--with-text`` adds each report's full text), ``metrics`` and
``checks`` joined with their report's agency, year and site, and the archive's own
``fetches``, ``documents``, ``problems`` and ``sites``. UTF-8 always; ``--excel`` writes
CSV with a byte-order mark (so Excel reads Chinese as Chinese) and defuses cells that
Excel would run as formulas. A blank metric stays blank: an empty CSV cell, ``null`` in
JSON — never 0. Each file is written to a temp file and renamed into place, so a reader
never sees half a table; ``--out -`` writes one table to stdout.

**WARC.** Every fetch becomes a ``response`` record (the HTTP status line, the recorded
headers and the stored body) under the URL that answered — the final URL of a redirected
fetch — then a ``request`` record reconstructed from what we know (method, Host,
User-Agent of the run, Referer), then a ``metadata`` record (``application/json``,
``WARC-Concurrent-To`` the response, target ``urn:nianbao:fetch:URL``) with our provenance:
the original URL, redirects, run, role, referer, link text, filename, fetch time, status and
headers exactly as archived, so ``nianbao import-warc`` restores the fetch rows as they were.
A ``warcinfo`` record comes first and a ``metadata`` record describing the sites second.

The stored body is the decoded entity (Scrapy took off the gzip/deflate/br it could, and
any chunking), so the record's ``Transfer-Encoding`` goes, ``Content-Length`` is the stored
size, and ``Content-Encoding`` stays only where it names an encoding still on the bytes.
"""

from __future__ import annotations

import argparse
import base64
import csv
import hashlib
import io
import json
import os
import secrets
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

from warcio.statusandheaders import StatusAndHeaders
from warcio.timeutils import datetime_to_iso_date
from warcio.warcwriter import WARCWriter

from archive import Archive, db_path, open_archive
from nianbao.exit_codes import EXIT_CANNOT_START, EXIT_OK, EXIT_PROBLEMS
from nianbao.waczfile import WaczError, write_wacz
from nianbao.waczfile import pages as wacz_pages

# The metadata records' JSON says what it is: {"nianbao": METADATA_VERSION, "kind": …}.
METADATA_VERSION = 1
METADATA_TYPE = "application/json"
SITES_URI = "urn:nianbao:sites"
# Not the fetched URL itself: replay tools (pywb) index JSON metadata records like responses and
# would serve our provenance instead of the page (browsertrix's urn:pageinfo: does the same).
FETCH_URI_PREFIX = "urn:nianbao:fetch:"

# -- tables ------------------------------------------------------------------------------------
_REPORT_COLUMNS = (
    "r.id, r.title, r.agency, r.region, r.region_code, r.region_level, r.year, r.published, "
    "r.signed, r.era, r.doc_number, r.site, r.url, r.sha256, r.fetch_id, r.parser, r.parser_version"
)
TABLES: dict[str, str] = {
    "reports": (
        f"SELECT {_REPORT_COLUMNS} FROM reports r WHERE r.is_report = 1 ORDER BY r.site, r.year, r.id"
    ),
    "metrics": (
        "SELECT m.report_id, r.agency, r.year, r.site, m.key, m.value, m.raw, m.unit, m.confidence, "
        "m.page, m.table_index, m.row, m.col, m.sha256, m.fetch_id "
        "FROM metrics m JOIN reports r ON r.id = m.report_id WHERE r.is_report = 1 "
        "ORDER BY r.site, r.year, r.id, m.id"
    ),
    "checks": (
        "SELECT c.report_id, r.agency, r.year, r.site, c.rule, c.expected, c.found, c.passed, "
        "c.detail, c.other_report_id, c.other_sha256 FROM checks c JOIN reports r ON r.id = c.report_id "
        "WHERE r.is_report = 1 ORDER BY r.site, r.year, r.id, c.id"
    ),
    # items found where reports are listed but recognised as something else, with the reason
    "not_reports": (
        "SELECT r.id, r.title, r.site, r.url, r.recognition, r.recognition_confidence "
        "FROM reports r WHERE r.is_report = 0 ORDER BY r.site, r.id"
    ),
    "fetches": "SELECT * FROM fetches ORDER BY id",
    "documents": "SELECT * FROM documents ORDER BY sha256",
    "problems": "SELECT * FROM problems ORDER BY id",
    "sites": "SELECT * FROM sites ORDER BY name",
}
REPORTS_WITH_TEXT = (
    f"SELECT {_REPORT_COLUMNS}, t.text FROM reports r "
    "LEFT JOIN report_texts t ON t.report_id = r.id WHERE r.is_report = 1 ORDER BY r.site, r.year, r.id"
)
DEFAULT_TABLES = ("reports", "metrics")
FORMATS = {"csv": "csv", "jsonl": "jsonl"}  # format → file extension
_JSON_COLUMNS = {"start_urls", "redirects", "headers", "meta"}
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def register(subparsers: argparse._SubParsersAction) -> None:
    export = subparsers.add_parser("export", help="write reports and metrics as CSV or JSON Lines")
    export.add_argument("--data-dir", default="data", help="archive directory (default ./data)")
    export.add_argument("--format", choices=sorted(FORMATS), default="csv", dest="fmt")
    export.add_argument(
        "--out", default="export", metavar="DIR", help="output directory, or - for stdout (default ./export)"
    )
    export.add_argument(
        "--table",
        action="append",
        choices=sorted(TABLES),
        default=[],
        dest="tables",
        help="table to write (repeatable; default: reports and metrics, or reports alone with --out -)",
    )
    export.add_argument("--with-text", action="store_true", help="add each report's full text")
    export.add_argument("--excel", action="store_true", help="CSV for Excel: a BOM, formulas defused")
    export.set_defaults(func=cmd_export)

    warc = subparsers.add_parser("export-warc", help="write every fetch to a standard WARC file")
    warc.add_argument("--data-dir", default="data", help="archive directory (default ./data)")
    warc.add_argument(
        "--out",
        default="nianbao.warc.gz",
        metavar="FILE",
        help="WARC file (.warc.gz: gzipped records; .wacz: a WACZ with pages.jsonl)",
    )
    warc.add_argument("--run", action="append", type=int, default=[], dest="runs", help="only this run")
    warc.add_argument("--site", action="append", default=[], dest="sites", help="only this site")
    warc.set_defaults(func=cmd_export_warc)


def _error(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return EXIT_CANNOT_START


def _existing_archive(data_dir: str) -> Archive | None:
    if not db_path(data_dir).exists():
        return None
    return open_archive(data_dir)


def cmd_export(args: argparse.Namespace) -> int:
    archive = _existing_archive(args.data_dir)
    if archive is None:
        return _error(f"no archive at {args.data_dir} (run `nianbao crawl` first)")
    tables = list(dict.fromkeys(args.tables)) or list(DEFAULT_TABLES)
    if args.excel and args.fmt != "csv":
        return _error("--excel applies to --format csv")
    if args.out == "-":
        if len(tables) > 1 and args.tables:
            return _error("--out - writes one table: give a single --table")
        # Bytes, not sys.stdout's own encoding: under LANG=C that could not write Chinese.
        encoding = "utf-8-sig" if args.excel else "utf-8"
        out = io.TextIOWrapper(sys.stdout.buffer, encoding=encoding, newline="")
        rows = export_table(archive, tables[0], out, args.fmt, with_text=args.with_text, excel=args.excel)
        out.flush()
        out.detach()
        print(f"{tables[0]}: {rows} rows", file=sys.stderr)
        return EXIT_OK
    written = export_tables(
        archive, Path(args.out), tables, args.fmt, with_text=args.with_text, excel=args.excel
    )
    for path, rows in written.items():
        print(f"{path}: {rows} rows")
    return EXIT_OK


def export_tables(
    archive: Archive,
    out_dir: Path,
    tables: Iterable[str],
    fmt: str,
    *,
    with_text: bool = False,
    excel: bool = False,
) -> dict[Path, int]:
    """Write each table to ``out_dir/<table>.<fmt>``; returns rows written per file."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = {}
    for table in tables:
        path = out_dir / f"{table}.{FORMATS[fmt]}"  # names from a fixed list: always safe
        encoding = "utf-8-sig" if excel else "utf-8"
        with atomic_text_file(path, encoding=encoding) as out:
            written[path] = export_table(archive, table, out, fmt, with_text=with_text, excel=excel)
    return written


def export_table(
    archive: Archive, table: str, out: IO[str], fmt: str, *, with_text: bool = False, excel: bool = False
) -> int:
    """Stream one table to ``out``; returns the number of rows."""
    sql = REPORTS_WITH_TEXT if table == "reports" and with_text else TABLES[table]
    cursor = archive.db.execute(sql)
    columns = [d[0] for d in cursor.description]
    rows = (dict(zip(columns, row, strict=True)) for row in cursor)
    if fmt == "jsonl":
        return _write_jsonl(rows, out)
    return _write_csv(columns, rows, out, excel=excel)


def _write_jsonl(rows: Iterator[dict[str, Any]], out: IO[str]) -> int:
    count = 0
    for row in rows:
        record = {k: _json_column(k, v) if k in _JSON_COLUMNS else _number(v) for k, v in row.items()}
        out.write(json.dumps(record, ensure_ascii=False) + "\n")
        count += 1
    return count


def _write_csv(columns: list[str], rows: Iterator[dict[str, Any]], out: IO[str], *, excel: bool) -> int:
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    count = 0
    for row in rows:
        writer.writerow(csv_cell(v, excel=excel) for v in row.values())
        count += 1
    return count


def _json_column(name: str, value: Any) -> Any:
    """Columns holding JSON text become JSON values (CSV keeps the text).

    >>> _json_column("redirects", '["http://x.test/b"]'), _json_column("headers", None)
    (['http://x.test/b'], None)
    """
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


def _number(value: Any) -> Any:
    """Whole floats as integers (figures are counts stored as REAL); everything else as is.

    >>> _number(12.0), _number(2.5), _number(None), _number("12.0")
    (12, 2.5, None, '12.0')
    """
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def csv_cell(value: Any, *, excel: bool = False) -> str:
    """A value as CSV text: blank stays blank (never 0); with ``excel``, text that Excel would
    run as a formula gets a leading apostrophe (numbers, also negative ones, are left alone).

    >>> csv_cell(None), csv_cell(3.0), csv_cell(0.0), csv_cell(1.25)
    ('', '3', '0', '1.25')
    >>> csv_cell("=HYPERLINK(\\"http://x\\")", excel=True), csv_cell("-3", excel=True)
    ('\\'=HYPERLINK("http://x")', '-3')
    """
    if value is None:
        return ""
    text = str(_number(value))
    if excel and isinstance(value, str) and text.startswith(_FORMULA_START) and not _is_number(text):
        return "'" + text
    return text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


@contextmanager
def atomic_text_file(path: Path, *, encoding: str = "utf-8") -> Iterator[IO[str]]:
    """A text file that appears under ``path`` only once it is complete."""
    with atomic_binary_file(path) as raw:
        text = io.TextIOWrapper(raw, encoding=encoding, newline="")
        yield text
        text.flush()
        text.detach()


@contextmanager
def atomic_binary_file(path: Path) -> Iterator[IO[bytes]]:
    """A file that appears under ``path`` only once complete (written beside it, then renamed)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.parent / f".{path.name}.{secrets.token_hex(6)}.part"
    # os.open with 0o666 (not mkstemp's 0o600): the file gets the permissions the umask allows.
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "wb") as raw:
            yield raw
            raw.flush()
            os.fsync(raw.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


# -- WARC ----------------------------------------------------------------------------------------
class Utf8Headers(StatusAndHeaders):
    """HTTP headers written as UTF-8 text, byte for byte (warcio would %-encode non-ASCII).

    The archive keeps header values decoded as UTF-8, so UTF-8 gives the bytes received
    (and a value that was not UTF-8 keeps its U+FFFD marks rather than turning into '?').
    """

    def compute_headers_buffer(self, header_filter=None) -> None:  # type: ignore[no-untyped-def]
        self.headers_buff = self.to_str(header_filter).encode("utf-8") + b"\r\n"


@dataclass
class WarcSummary:
    fetches: int = 0
    requests: int = 0
    bytes: int = 0
    missing: list[str] = field(default_factory=list)  # fetches whose stored object is gone


def cmd_export_warc(args: argparse.Namespace) -> int:
    archive = _existing_archive(args.data_dir)
    if archive is None:
        return _error(f"no archive at {args.data_dir} (run `nianbao crawl` first)")
    out = Path(args.out)
    if out.suffix == ".wacz":
        try:
            summary = export_wacz(archive, out, runs=args.runs or None, sites=args.sites or None)
        except WaczError as exc:
            return _error(str(exc))
    else:
        summary = export_warc(archive, out, runs=args.runs or None, sites=args.sites or None)
    print(
        f"{out}: {summary.fetches} fetches ({summary.requests} with a request record), "
        f"{summary.bytes} body bytes"
    )
    for url in summary.missing:
        print(f"problem: stored body missing, written without it: {url}", file=sys.stderr)
    return EXIT_PROBLEMS if summary.missing else EXIT_OK


def export_warc(
    archive: Archive,
    out: Path,
    *,
    runs: list[int] | None = None,
    sites: list[str] | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> WarcSummary:
    """Write the selected fetches (all by default) to ``out`` (gzipped when it ends in .gz)."""
    summary = WarcSummary()
    where, params = _fetch_filter(runs, sites)
    run_rows = {row["id"]: row for row in archive.db["crawl_runs"].rows}
    user_agents = {run_id: row["user_agent"] for run_id, row in run_rows.items()}
    with atomic_binary_file(out) as raw:
        writer = WARCWriter(raw, gzip=out.suffix == ".gz", warc_version="1.0")
        writer.write_record(writer.create_warcinfo_record(out.name, _warcinfo(archive, where, params)))
        writer.write_record(_sites_record(writer, archive, sites))
        captures: dict[str, Capture] = {}  # sha256 → its latest full capture written so far
        for fetch in archive.db.query(f"SELECT * FROM fetches {where} ORDER BY id", params):
            _write_fetch(writer, archive, fetch, user_agents.get(fetch["run_id"]), summary, captures)
            if on_progress is not None:
                on_progress(summary.fetches)
    return summary


def export_wacz(
    archive: Archive, out: Path, *, runs: list[int] | None = None, sites: list[str] | None = None
) -> WarcSummary:
    """The same export as :func:`export_warc`, as a WACZ with pages.jsonl (nianbao/waczfile.py)."""
    where, params = _fetch_filter(runs, sites)
    return write_wacz(
        out,
        lambda warc: export_warc(archive, warc, runs=runs, sites=sites),
        lambda: wacz_pages(archive, where, params),
        title="nianbao: 政府信息公开工作年度报告",
        description="Government information-disclosure annual reports as nianbao archived them",
    )


def _warcinfo(archive: Archive, where: str, params: list[Any]) -> dict[str, str]:
    """Who made the captures: the operators' contacts and User-Agents of the runs exported."""
    from nianbao import __version__

    runs = list(
        archive.db.query(
            "SELECT DISTINCT r.user_agent, r.contact FROM crawl_runs r "
            f"WHERE r.id IN (SELECT run_id FROM fetches {where}) ORDER BY r.id",
            params,
        )
    )
    info = {
        "software": f"nianbao/{__version__}",
        "format": "WARC File Format 1.0",
        "description": "nianbao archive export: per fetch a response (a revisit for a 304 answered "
        "from the archive), a reconstructed request and a metadata record (application/json provenance)",
    }
    contacts = sorted({r["contact"] for r in runs if r["contact"]})
    agents = list(dict.fromkeys(r["user_agent"] for r in runs if r["user_agent"]))
    if contacts:
        info["operator"] = _clean(", ".join(contacts))
    if agents:
        info["http-header-user-agent"] = _clean(" | ".join(agents))
    return info


def _fetch_filter(runs: list[int] | None, sites: list[str] | None) -> tuple[str, list[Any]]:
    clauses, params = [], []
    if runs:
        clauses.append(f"run_id IN ({', '.join('?' for _ in runs)})")
        params += runs
    if sites:
        clauses.append(f"site IN ({', '.join('?' for _ in sites)})")
        params += sites
    return ("WHERE " + " AND ".join(clauses) if clauses else ""), params


def _sites_record(writer: WARCWriter, archive: Archive, only: list[str] | None) -> Any:
    rows = [
        {k: row[k] for k in ("name", "agency", "region")}
        | {"start_urls": json.loads(row["start_urls"] or "[]")}
        for row in archive.db["sites"].rows
        if not only or row["name"] in only
    ]
    body = {"nianbao": METADATA_VERSION, "kind": "sites", "sites": rows}
    return _json_record(writer, SITES_URI, body)


def _json_record(writer: WARCWriter, uri: str, body: dict[str, Any], **warc_headers: str) -> Any:
    data = json.dumps(body, ensure_ascii=False, indent=1).encode("utf-8")
    return writer.create_warc_record(
        uri,
        "metadata",
        payload=io.BytesIO(data),
        length=len(data),
        warc_content_type=METADATA_TYPE,
        warc_headers_dict=warc_headers,
    )


@dataclass(frozen=True)
class Capture:
    """A full response record written for some bytes: what a revisit refers to."""

    record_id: str
    uri: str
    date: str
    payload_digest: str
    headers: dict[str, str]


def _write_fetch(
    writer: WARCWriter,
    archive: Archive,
    fetch: dict[str, Any],
    user_agent: str | None,
    summary: WarcSummary,
    captures: dict[str, Capture],
) -> None:
    target = fetch["final_url"] or fetch["url"]
    date = warc_date(fetch["fetched_at"])
    if fetch["status"] == 304 and fetch["sha256"]:
        response = _revisit(writer, archive, fetch, target, date, captures.get(fetch["sha256"]))
        writer.write_record(response)
    else:
        with _stored_body(archive, fetch, summary) as (body, size):
            response = writer.create_warc_record(
                target,
                "response",
                payload=body,
                length=size,
                http_headers=_response_headers(fetch, size),
                warc_headers_dict={"WARC-Date": date},
            )
            writer.write_record(response)
        summary.bytes += size
        digest = response.rec_headers.get_header("WARC-Payload-Digest")
        if fetch["sha256"] and fetch["status"] == 200 and size and digest:
            captures[fetch["sha256"]] = Capture(
                response.rec_headers.get_header("WARC-Record-ID"),
                target,
                date,
                digest,
                json.loads(fetch["headers"] or "{}"),
            )
    summary.fetches += 1
    response_id = response.rec_headers.get_header("WARC-Record-ID")
    if (fetch["method"] or "GET").upper() in ("GET", "HEAD"):  # a POST body is not kept
        request = writer.create_warc_record(
            target,
            "request",
            payload=io.BytesIO(b""),
            length=0,
            http_headers=_request_headers(fetch, target, user_agent),
            warc_headers_dict={"WARC-Date": date, "WARC-Concurrent-To": response_id},
        )
        writer.write_record(request)
        summary.requests += 1
    writer.write_record(
        _json_record(
            writer,
            FETCH_URI_PREFIX + target,
            fetch_metadata(fetch),
            **{"WARC-Date": date, "WARC-Concurrent-To": response_id},
        )
    )


def _revisit(
    writer: WARCWriter,
    archive: Archive,
    fetch: dict[str, Any],
    target: str,
    date: str,
    capture: Capture | None,
) -> Any:
    """A 304 answered from the archive as a ``revisit`` record (identical payload digest)
    pointing at the earlier capture of the same bytes, so replay tools (pywb) show the page,
    not an empty 304. Its HTTP headers are the capture's, updated by the 304's (RFC 9111
    §4.3.4), with status 200 and the stored length: what the client had in the end."""
    capture = capture or _earlier_capture(archive, fetch)
    stored = json.loads(fetch["headers"] or "{}")
    update = {k: v for k, v in stored.items() if k.lower() not in _ENTITY_HEADERS}
    merged = {**(capture.headers if capture else {}), **update}
    size = int(archive.db["files"].get(fetch["sha256"])["size"]) if capture else 0
    http = _response_headers({"status": 200, "headers": json.dumps(merged)}, size)
    warc_headers = {"WARC-Date": date}
    if capture is None:  # the bytes are archived, but under no capture this WARC can name
        return writer.create_warc_record(target, "revisit", http_headers=http, warc_headers_dict=warc_headers)
    if capture.record_id:
        warc_headers["WARC-Refers-To"] = capture.record_id
    return writer.create_revisit_record(
        target,
        capture.payload_digest,
        capture.uri,
        capture.date,
        http_headers=http,
        warc_headers_dict=warc_headers,
    )


# Describe the stored bytes: a 304 does not change them (the body is the capture's).
_ENTITY_HEADERS = {"content-encoding", "content-length", "content-type", "transfer-encoding"}


def _earlier_capture(archive: Archive, fetch: dict[str, Any]) -> Capture | None:
    """The latest full capture of the fetch's bytes before it, outside this export (another
    run or site was selected): named by URI, date and digest only."""
    row = archive.db.execute(
        "SELECT coalesce(final_url, url), fetched_at, headers FROM fetches "
        "WHERE sha256 = ? AND status = 200 AND id < ? ORDER BY id DESC LIMIT 1",
        [fetch["sha256"], fetch["id"]],
    ).fetchone()
    path = archive.store.path(fetch["sha256"])
    if row is None or not path.exists():
        return None
    return Capture("", row[0], warc_date(row[1]), payload_digest(path), json.loads(row[2] or "{}"))


def payload_digest(path: Path) -> str:
    """The WARC-Payload-Digest warcio writes for these bytes (sha1, base32)."""
    sha1 = hashlib.sha1()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 16), b""):
            sha1.update(chunk)
    return "sha1:" + base64.b32encode(sha1.digest()).decode("ascii")


@contextmanager
def _stored_body(
    archive: Archive, fetch: dict[str, Any], summary: WarcSummary
) -> Iterator[tuple[IO[bytes], int]]:
    """The stored body as an open file (streamed into the WARC), or nothing for a bodiless
    answer (304) and for an object that has gone missing (counted as a problem)."""
    sha256 = fetch["sha256"]
    if not sha256 or fetch["status"] == 304:
        yield io.BytesIO(b""), 0
        return
    path = archive.store.path(sha256)
    if not path.exists():
        summary.missing.append(fetch["url"])
        yield io.BytesIO(b""), 0
        return
    with path.open("rb") as body:
        yield body, path.stat().st_size


def fetch_metadata(fetch: dict[str, Any]) -> dict[str, Any]:
    """Our provenance of one fetch, as the metadata record carries it."""
    return {
        "nianbao": METADATA_VERSION,
        "kind": "fetch",
        "fetch_id": fetch["id"],
        "run": fetch["run_id"],
        "site": fetch["site"],
        "url": fetch["url"],
        "final_url": fetch["final_url"],
        "redirects": _json_or_none(fetch["redirects"]),
        "method": fetch["method"],
        "status": fetch["status"],
        "headers": _json_or_none(fetch["headers"]),
        "fetched_at": fetch["fetched_at"],
        "duration_ms": fetch["duration_ms"],
        "referer": fetch["referer"],
        "link_text": fetch["link_text"],
        "role": fetch["role"],
        "filename": fetch["filename"],
        "size": fetch["size"],
        "sha256": fetch["sha256"],
    }


def _json_or_none(text: str | None) -> Any:
    return json.loads(text) if text else None


# Hop-by-hop or describing the bytes on the wire, not the stored entity.
_DROPPED_HEADERS = {"transfer-encoding", "content-length", "connection", "keep-alive"}
_NO_BODY_STATUSES = {204, 304}


def _response_headers(fetch: dict[str, Any], size: int) -> Utf8Headers:
    status = int(fetch["status"] or 200)
    stored = json.loads(fetch["headers"] or "{}")
    headers = [
        (_clean(name), _clean(str(value)))
        for name, value in stored.items()
        if name.lower() not in _DROPPED_HEADERS
    ]
    if status not in _NO_BODY_STATUSES and not 100 <= status < 200:
        headers.append(("Content-Length", str(size)))
    return Utf8Headers(f"{status} {reason(status)}", headers, protocol="HTTP/1.1")


def _request_headers(fetch: dict[str, Any], target: str, user_agent: str | None) -> Utf8Headers:
    parts = urlsplit(target)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    headers = [("Host", parts.netloc)]
    if user_agent:
        headers.append(("User-Agent", _clean(user_agent)))
    if fetch["referer"]:
        headers.append(("Referer", _clean(fetch["referer"])))
    method = (fetch["method"] or "GET").upper()
    return Utf8Headers(f"{method} {_clean(path)} HTTP/1.1", headers, is_http_request=True)


def _clean(text: str) -> str:
    """No line breaks inside a header: they would end it (and start a forged one).

    >>> _clean("a\\r\\nSet-Cookie: x")
    'a  Set-Cookie: x'
    """
    return text.replace("\r", " ").replace("\n", " ")


def reason(status: int) -> str:
    """The standard reason phrase.

    >>> reason(404), reason(299)
    ('Not Found', 'Unknown')
    """
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


def warc_date(iso: str | None) -> str:
    """Our ISO time stamps as a WARC-Date (UTC, second precision, ``Z``).

    >>> warc_date("2026-11-23T12:22:40+00:00"), warc_date("2018-03-20T09:30:00+08:00")
    ('2026-11-23T12:22:40Z', '2018-03-20T01:30:00Z')
    """
    when = datetime.fromisoformat(iso) if iso else datetime.now(UTC)
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return datetime_to_iso_date(when.astimezone(UTC).replace(tzinfo=None))
