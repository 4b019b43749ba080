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
The records are written by :class:`archive.warc.FetchWriter` (the one home of WARC).

The stored body is the decoded entity (Scrapy took off the gzip/deflate/br it could, and
any chunking), so the record's ``Transfer-Encoding`` goes, ``Content-Length`` is the stored
size, and ``Content-Encoding`` stays only where it names an encoding still on the bytes.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import secrets
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from archive import Archive, db_path, open_archive
from archive.warc import METADATA_VERSION, SITES_URI, FetchWriter, WarcSummary, clean
from nianbao.exit_codes import EXIT_CANNOT_START, EXIT_OK, EXIT_PROBLEMS
from nianbao.waczfile import WaczError, write_wacz
from nianbao.waczfile import pages as wacz_pages

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
    where, params = _fetch_filter(runs, sites)
    run_rows = {row["id"]: row for row in archive.db["crawl_runs"].rows}
    user_agents = {run_id: row["user_agent"] for run_id, row in run_rows.items()}
    with atomic_binary_file(out) as raw:
        writer = FetchWriter(archive, raw, gzip=out.suffix == ".gz")
        writer.warcinfo(out.name, _warcinfo(archive, where, params))
        writer.metadata(SITES_URI, _sites(archive, sites))
        for fetch in archive.db.query(f"SELECT * FROM fetches {where} ORDER BY id", params):
            writer.fetch(fetch, user_agents.get(fetch["run_id"]))
            if on_progress is not None:
                on_progress(writer.summary.fetches)
    return writer.summary


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
        info["operator"] = clean(", ".join(contacts))
    if agents:
        info["http-header-user-agent"] = clean(" | ".join(agents))
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


def _sites(archive: Archive, only: list[str] | None) -> dict[str, Any]:
    """The sites record's body: each site's agency, region and start URLs."""
    rows = [
        {k: row[k] for k in ("name", "agency", "region")}
        | {"start_urls": json.loads(row["start_urls"] or "[]")}
        for row in archive.db["sites"].rows
        if not only or row["name"] in only
    ]
    return {"nianbao": METADATA_VERSION, "kind": "sites", "sites": rows}
