"""``nianbao serve``: browse the archive database in Datasette.

Builds Datasette's metadata in Python — title, source, licence note, a description of
every table and column (the hand-written ones below, plus the ``-- comments`` of the
schema migrations), units, label columns so foreign keys show as named links — and the
canned queries (reports by region and year, failing checks, one agency's requests year
over year, Chinese full-text search, charts from nianbao/charts.py), facets on who, where
and when; then starts Datasette on ``127.0.0.1`` with the nianbao plugin
(nianbao/datasette_plugin.py) for search, file downloads, chart specs and health.

Before serving it refreshes the search index (archive/fts.py), so the search is right
even if the index was not refreshed after the last parse.

>>> "search" in canned_queries()
True
>>> sorted(schema_comments()["crawl_runs"])[:3]
['command', 'contact', 'mode']
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import socket
import sqlite3
import sys
from pathlib import Path
from typing import Any

import sqlite_utils

from archive import DB_NAME, db_path
from archive.db import open_db
from archive.fts import SEARCH_SQL, refresh_search_index
from archive.schema import MIGRATIONS
from nianbao.charts import chart_queries
from parsers.metrics import dictionary as metric

METRIC_KEYS = "metric_keys"  # the metric dictionary: key, label_zh, label_en, … (parsers/metrics)
UNDOCUMENTED = "(not documented yet)"

TITLE = "nianbao 年报: 政府信息公开工作年度报告"
DESCRIPTION = (
    "An archive of Chinese government information-disclosure annual reports "
    "(政府信息公开工作年度报告): every page and file fetched, the reports found in them, "
    "their text, and the figures of their statistical tables (metrics) with the "
    "consistency checks (勾稽关系) each report passed or failed. Start with report_summary "
    "or the canned queries below; a metric links to its report, file and fetch."
)
SOURCE = "Government portals' 政府信息公开年报 sections, crawled by nianbao (see the fetches table)"
LICENSE = (
    "Reports: public government information published under the 政府信息公开条例; "
    "figures are machine-extracted and may be wrong: check them against the source file"
)

# -- descriptions -------------------------------------------------------------------------
TABLES: dict[str, str] = {
    "schema_migrations": "Schema migrations applied to this database, in order.",
    "crawl_runs": "One row per `nianbao crawl` or `nianbao reparse` run.",
    "sites": "The portals crawled (from sites.yaml) and how the last run went.",
    "site_runs": "What each run did on each site: pages, files, new/changed/removed items.",
    "files": "Every distinct file fetched, stored once under its SHA-256 (content-addressed).",
    "fetches": "Every HTTP exchange: URL, status, headers, timing, and the file it returned.",
    "problems": "What went wrong, by run and stage (config, fetch, archive, parse, report).",
    "scrapy_stats": "Scrapy's own stats of each run and site (requests, responses, finish reason…).",
    "documents": "What the format parsers made of each file (text layer, OCR, conversion…).",
    "reports": "One row per annual report found: who, where, which year, which template era.",
    "report_files": "The files a report is made of: its page and its attachments.",
    "report_texts": "The full text of each report, as the parser extracted it.",
    "metrics": (
        "One row per figure of a report's tables (or sentences, for prose reports): a stable "
        "key such as requests.new.total, the value (NULL for a blank cell, which is not 0), "
        "the raw cell text and where it came from."
    ),
    "metric_keys": (
        "The metric dictionary (docs/metrics.md): every metric key with its label as printed on "
        "the form, an English label, form table, era, unit and meaning."
    ),
    "checks": "The consistency checks (勾稽关系) run on each report: rule, expected, found.",
    "report_summary": (
        "One row per report with its headline figures, comparable across template eras: "
        "2019/2021 keys (requests.new.total, review.total, …) or their legacy.* "
        "equivalents. NULL means the report does not give the figure."
    ),
}

COLUMNS: dict[str, dict[str, str]] = {
    "schema_migrations": {
        "version": "Migration number (archive/schema.py)",
        "name": "What the migration did",
        "applied_at": "When it was applied (ISO 8601 UTC)",
    },
    "crawl_runs": {
        "id": "Run number",
        "command": "Which command ran",
        "mode": "Where responses came from",
        "started_at": "Start time",
        "finished_at": "End time (empty while running or if the run died)",
        "status": "Outcome",
        "exit_code": "The command's exit status (0 ok, 1 problems, 2 could not start)",
        "sites": "Sites the run was limited to",
        "user_agent": "User-Agent header sent",
        "contact": "The operator's contact sent in the User-Agent (live crawls)",
        "nianbao_version": "nianbao version that ran",
        "stats": "Counters of the run",
    },
    "sites": {
        "name": "Short site name (sites.yaml)",
        "agency": "The government the portal belongs to",
        "region": "Administrative region of the site",
        "start_urls": "Where the crawl starts",
        "status": "State after the last run",
        "blocked_vendor": "Anti-bot vendor that blocked the crawl, if any",
        "last_run_id": "The last run that crawled the site",
    },
    "site_runs": {
        "run_id": "The run",
        "site": "The site",
        "status": "How the run went on this site",
        "pages": "HTML pages fetched",
        "files": "Attachments fetched",
        "new_objects": "Files not seen before",
        "report_pages": "Report items found",
        "failed": "Fetches that failed",
        "blocked_vendor": "Anti-bot vendor met, if any",
        "new_items": "Report items seen for the first time",
        "changed_items": "Report items whose content changed",
        "unchanged_items": "Report items unchanged since the last run",
        "removed_items": "Report items no longer listed",
        "bytes": "Bytes downloaded",
        "note": "Free-text note on the run",
    },
    "files": {
        "sha256": "SHA-256 of the bytes: the file's name in the object store",
        "size": "Size in bytes",
        "media_type": "File type",
        "path": "Where the object is stored",
        "first_seen_at": "When the bytes were first fetched",
    },
    "fetches": {
        "id": "Fetch number",
        "run_id": "The run that made the request",
        "site": "Site crawled",
        "url": "URL requested",
        "final_url": "URL answered",
        "redirects": "Redirect chain",
        "method": "HTTP method",
        "status": "HTTP status",
        "headers": "Response headers",
        "fetched_at": "When (ISO 8601 UTC)",
        "duration_ms": "How long the exchange took",
        "referer": "Where the link was found",
        "link_text": "The link's text",
        "role": "What the crawler took the page for",
        "filename": "File name",
        "size": "Response body size",
        "sha256": "The stored file",
    },
    "problems": {
        "id": "Problem number",
        "run_id": "The run",
        "site": "The site",
        "url": "The URL concerned",
        "sha256": "The file concerned",
        "stage": "Where it happened",
        "message": "What happened",
        "created_at": "When (ISO 8601 UTC)",
    },
    "documents": {
        "sha256": "The file parsed",
        "format": "Format recognised from the bytes (html, pdf, docx, doc, xls, …)",
        "method": "How the text was obtained",
        "page_count": "Pages (PDF and converted documents)",
        "title": "Title found in the document",
        "tables": "Tables found",
        "meta": "Document metadata",
        "chars": "Characters of text extracted",
        "parser": "Parser name",
        "parser_version": "Parser version",
        "error": "Why parsing failed (empty when it worked)",
    },
    "reports": {
        "id": "Report id",
        "title": "Report title",
        "agency": "The body reporting (填报单位)",
        "region": "Administrative region",
        "region_code": "Six-digit administrative division code (GB/T 2260 行政区划代码) in force "
        "in the report year",
        "region_level": "province | city | county (区, 县, 县级市) | township (乡, 镇, 街道)",
        "year": "Year reported on",
        "published": "Publication date (page metadata, else the signature date)",
        "signed": "Signature date (成文日期) at the end of the report",
        "era": "Which report template: legacy | 2019 | 2021 | prose",
        "doc_number": "Document number",
        "site": "Site it was found on",
        "url": "The report's page (or file) URL",
        "fetch_id": "The fetch of that page",
        "sha256": "The file",
        "agency_key": "One agency across years and spellings (region code :: organ), for "
        "year-over-year comparison",
        "is_report": "1 a disclosure report; 0 an item found among them that is something else "
        "(kept with the reason, left out of report_summary and exports)",
        "recognition": "Why the item is (not) taken for a report",
        "recognition_confidence": "How sure the recognition is, 0–1",
        "parser": "Parser name",
        "parser_version": "Parser version",
    },
    "scrapy_stats": {
        "run_id": "The run",
        "site": "The site",
        "stats": "Scrapy's stats collector when the site's spider closed (JSON)",
    },
    "report_files": {
        "report_id": "The report",
        "sha256": "The file",
        "fetch_id": "The fetch that returned it",
        "role": "Part of the report",
        "name": "File name or link text",
    },
    "report_texts": {
        "report_id": "The report",
        "text": "Full text",
    },
    "metrics": {
        "id": "Metric row number",
        "report_id": "The report",
        "key": "Stable metric name; its label and meaning are in metric_keys (docs/metrics.md)",
        "value": "The figure; NULL for a blank cell",
        "raw": "The cell or sentence as printed",
        "label": "The table row's label as printed (what a legacy.other.<n> row was)",
        "unit": "Unit as printed (件, 条, 万元, …)",
        "confidence": "Where the figure came from",
        "sha256": "The file it was read from",
        "fetch_id": "The fetch of that file",
        "page": "Page number (PDF)",
        "table_index": "Which table of the document (0-based)",
        "row": "Row in that table",
        "col": "Column in that table",
    },
    "checks": {
        "id": "Check row number",
        "report_id": "The report",
        "rule": "Which relation was checked",
        "expected": "Value the relation requires",
        "found": "Value the report gives",
        "passed": "1 passed, 0 failed, NULL not applicable (e.g. every cell blank)",
        "detail": "The terms of the relation",
        "other_report_id": "For year_over_year.* checks: last year's report of the same agency",
        "other_sha256": "For sources_agree checks: the other file of the report compared",
    },
    "report_summary": {
        "report_id": "The report",
        "title": "Report title",
        "agency": "The body reporting",
        "region": "Administrative region",
        "region_code": "Six-digit administrative division code (GB/T 2260)",
        "region_level": "province | city | county | township",
        "year": "Year reported on",
        "published": "Publication date",
        "era": "Report template: legacy | 2019 | 2021 | prose",
        "requests_received": "Requests received: requests.new.total, legacy: legacy.requests.received",
        "requests_answered": (
            "Requests answered: requests.result.total.total, legacy: legacy.requests.answered"
        ),
        "reviews": "Administrative reviews (行政复议): review.total, legacy: legacy.review.total",
        "lawsuits": (
            "Lawsuits (行政诉讼): litigation_direct.total + litigation_after_review.total, "
            "legacy: legacy.litigation.total"
        ),
        "items_published": (
            "Items proactively published (主动公开): legacy.active.total; "
            "the 2019/2021 templates have no such total"
        ),
        "checks_failed": "Consistency checks the report failed",
        "checks": "Consistency checks run on the report",
        "metrics": "Metric rows extracted from the report",
        "site": "Site it was found on",
        "url": "The report's page (or file) URL",
    },
}

UNITS = {
    "files": {"size": "byte"},
    "fetches": {"size": "byte", "duration_ms": "ms"},
}

# Foreign keys show the label column of the row they point to.
LABELS = {
    "reports": "title",
    "metric_keys": "label_zh",
    "files": "path",
    "fetches": "url",
    "crawl_runs": "started_at",
    "sites": "agency",
}

SORT = {
    "reports": {"sort_desc": "year"},
    "fetches": {"sort_desc": "id"},
    "crawl_runs": {"sort_desc": "id"},
    "problems": {"sort_desc": "id"},
}

# Facets a researcher filters by without SQL: where, which level, which year and template
# era, and who (the agency).
_WHO_WHERE_WHEN = ["region", "region_level", "year", "era", "agency"]
FACETS = {
    "reports": [*_WHO_WHERE_WHEN, "is_report"],
    "report_summary": _WHO_WHERE_WHEN,
    "checks": ["passed", "rule"],
    "metrics": ["confidence"],
    "problems": ["stage", "site"],
    "fetches": ["role", "status"],
}


# -- canned queries -----------------------------------------------------------------------
_REQUEST_KEYS = [
    metric.REQUESTS_NEW,
    metric.REQUESTS_CARRIED_OVER,
    metric.REQUESTS_GRANTED,
    metric.REQUESTS_PARTLY_GRANTED,
    metric.REQUESTS_ANSWERED,
    metric.REQUESTS_CARRIED_FORWARD,
    metric.LEGACY_REQUESTS_RECEIVED,
    metric.LEGACY_REQUESTS_ANSWERED,
    metric.REVIEWS,
    metric.LEGACY_REVIEWS,
]


def _agency_requests_sql() -> str:
    pivot = ",\n".join(
        f"    max(CASE WHEN m.key = '{key}' THEN m.value END) AS \"{key}\"" for key in _REQUEST_KEYS
    )
    keys = ", ".join(f"'{key}'" for key in _REQUEST_KEYS)
    return (
        "SELECT r.year, r.agency, r.id AS report_id, r.era,\n"
        f"{pivot}\n"
        "FROM reports r\n"
        f"LEFT JOIN metrics m ON m.report_id = r.id AND m.key IN ({keys})\n"
        "WHERE r.is_report = 1 AND :agency != '' AND r.agency LIKE '%' || :agency || '%'\n"
        "GROUP BY r.id\n"
        "ORDER BY r.agency, r.year"
    )


def canned_queries(*, metric_labels: bool = False) -> dict[str, dict[str, Any]]:
    """The canned queries, their SQL folded away (``hide_sql``): a form is all one sees.
    With ``metric_labels`` (a ``metric_keys`` table exists) queries name keys in Chinese."""
    queries = {**_table_queries(), **chart_queries()}
    if metric_labels:
        queries["report_figures"] = _report_figures_query()
    for query in queries.values():
        query["hide_sql"] = True
    return queries


def _table_queries() -> dict[str, dict[str, Any]]:
    return {
        "search": {
            "title": "Search report titles and texts (全文检索)",
            "description": (
                "Chinese full-text search; two-character words work (公开, 复议). Words "
                "separated by spaces must all occur. Best matches (bm25) first."
            ),
            "sql": SEARCH_SQL.replace(":limit", "100").strip(),
            "hide_sql": True,
        },
        "reports_by_region_year": {
            "title": "Reports by region and year",
            "description": "Reports whose region starts with the text given (e.g. 山东省), for a year "
            "(leave empty for all years).",
            "sql": (
                "SELECT r.region, r.region_code, r.year, r.id AS report_id, r.title, r.agency, r.era,"
                " r.published\n"
                "FROM reports r\n"
                "WHERE r.is_report = 1\n"
                "  AND (:region = '' OR r.region LIKE :region || '%' OR r.region_code LIKE :region || '%')\n"
                "  AND (:year = '' OR r.year = CAST(:year AS INTEGER))\n"
                "ORDER BY r.region, r.year, r.agency"
            ),
        },
        "report_counts_by_region_year": {
            "title": "How many reports per region and year",
            "sql": (
                "SELECT region, region_code, year, count(*) AS reports,"
                " group_concat(DISTINCT era) AS eras\n"
                "FROM reports\n"
                "WHERE is_report = 1\n"
                "GROUP BY region_code, region, year\n"
                "ORDER BY region_code, year"
            ),
        },
        "failing_checks": {
            "title": "Reports failing consistency checks",
            "description": "Each failed check (checks.passed = 0) with its report: the printed "
            "figures do not add up as the form requires.",
            "sql": (
                "SELECT r.id AS report_id, r.title, r.agency, r.region, r.year, r.era,\n"
                "       c.rule, c.expected, c.found, c.detail\n"
                "FROM checks c JOIN reports r ON r.id = c.report_id\n"
                "WHERE c.passed = 0 AND r.is_report = 1\n"
                "ORDER BY r.region, r.agency, r.year, c.rule"
            ),
        },
        "agency_requests": {
            "title": "One agency's requests, year over year",
            "description": "Information requests (依申请公开) and reviews of the agencies whose "
            "name contains the text given, one row per report.",
            "sql": _agency_requests_sql(),
        },
    }


def _report_figures_query() -> dict[str, Any]:
    return {
        "title": "一份报告的数字 The figures of one report, labelled",
        "description": "Every figure of the report given, with its label as printed in the form "
        "(metric_keys) and where it was read.",
        "sql": (
            f"SELECT k.label_zh AS 项目, m.value AS 数值, m.unit AS 单位, m.key, m.raw, m.page, m.sha256\n"
            f"FROM metrics m LEFT JOIN {METRIC_KEYS} k ON k.key = m.key\n"
            "WHERE m.report_id = :report_id\n"
            "ORDER BY m.id"
        ),
    }


# -- metadata -----------------------------------------------------------------------------
def schema_comments() -> dict[str, dict[str, str]]:
    """``-- comments`` on column lines of the migrations, by table and column."""
    comments: dict[str, dict[str, str]] = {}
    table = None
    for _, _, sql in MIGRATIONS:
        for line in sql.splitlines():
            if m := re.match(r"\s*CREATE TABLE (\w+)", line):
                table = m.group(1)
            elif m := re.match(r"\s*ALTER TABLE (\w+) ADD COLUMN (\w+).*--\s*(.+)$", line):
                comments.setdefault(m.group(1), {})[m.group(2)] = m.group(3).strip()
            elif table and (m := re.match(r"\s+(\w+)\s+[A-Z]+\b.*--\s*(.+)$", line)):
                comments.setdefault(table, {})[m.group(1)] = m.group(2).strip()
            if line.startswith(")") or line.rstrip().endswith(");"):
                table = None
    return comments


def _describe(table: str, column: str, comments: dict[str, dict[str, str]]) -> str:
    """One description per column: the hand-written one, else the schema's comment."""
    return COLUMNS.get(table, {}).get(column) or comments.get(table, {}).get(column) or UNDOCUMENTED


def build_metadata(db: sqlite_utils.Database) -> dict[str, Any]:
    """Datasette metadata for this database (its tables and views as they are now)."""
    comments = schema_comments()
    tables: dict[str, dict[str, Any]] = {}
    has_metric_keys = METRIC_KEYS in db.table_names()
    for name in [*db.table_names(), *db.view_names()]:
        if name.startswith(("report_search", "reports_fts", "sqlite_")):
            continue
        columns = [c.name for c in db[name].columns]
        meta: dict[str, Any] = {
            "description": TABLES.get(name, UNDOCUMENTED),
            "columns": {c: _describe(name, c, comments) for c in columns},
        }
        for key, table_config in (("units", UNITS), ("label_column", LABELS), ("facets", FACETS)):
            if name in table_config:
                meta[key] = table_config[name]
        meta.update(SORT.get(name, {}))
        tables[name] = meta
    # ?_search= on reports (and sqlite-utils search) use the bigram index, archive/fts.py
    tables["reports"].update({"fts_table": "reports_fts", "fts_pk": "rowid"})
    if has_metric_keys:
        tables[METRIC_KEYS]["facets"] = ["form_table", "era"]
        tables["metrics"]["facets"] = ["key", *tables["metrics"].get("facets", [])]
    # The index's bookkeeping: reached through search instead.
    for hidden in ("report_search_docs", "report_search_queue"):
        tables[hidden] = {"hidden": True}
    return {
        "title": TITLE,
        "description": DESCRIPTION,
        "source": SOURCE,
        "license": LICENSE,
        "databases": {
            Path(DB_NAME).stem: {
                "tables": tables,
                "queries": canned_queries(metric_labels=has_metric_keys),
            }
        },
        "plugins": {"nianbao": {"metric_labels": metric_labels(db) if has_metric_keys else {}}},
    }


def metric_labels(db: sqlite_utils.Database) -> dict[str, str]:
    """key → Chinese label from ``metric_keys`` (the metric dictionary, when present)."""
    return {row["key"]: row["label_zh"] for row in db.query(f"SELECT key, label_zh FROM {METRIC_KEYS}")}


# -- serving ------------------------------------------------------------------------------
def prepare_database(db_path: Path) -> dict[str, Any]:
    """Migrate the database, bring the search index up to date, build the metadata."""
    db = open_db(str(db_path))
    try:
        try:
            refresh_search_index(db)
        except sqlite3.OperationalError as exc:  # a crawl holds the write lock: serve anyway
            print(f"warning: search index not refreshed ({exc})", file=sys.stderr)
        return build_metadata(db)
    finally:
        db.conn.close()


def serve(data_dir: Path, *, host: str = "127.0.0.1", port: int = 8001) -> None:
    import uvicorn
    from datasette.app import Datasette
    from datasette.plugins import pm

    from nianbao import datasette_plugin

    db_file = db_path(data_dir)
    metadata = prepare_database(db_file)
    if not pm.is_registered(datasette_plugin):
        pm.register(datasette_plugin, name="nianbao")
    ds = Datasette([str(db_file)], metadata=metadata)
    asyncio.run(ds.invoke_startup())
    print(f"Serving {db_file} at http://{host}:{port}/  (Ctrl-C to stop)", flush=True)
    uvicorn.run(ds.app(), host=host, port=port, log_level="warning", lifespan="on")


# -- the command --------------------------------------------------------------------------
def register(sub: Any) -> None:
    """Add ``nianbao serve`` to the CLI's subcommands."""
    p = sub.add_parser("serve", help="browse the archive in Datasette")
    p.add_argument("--data-dir", default="data", help="archive directory (default ./data)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8001, help="port (default 8001)")
    p.add_argument(
        "--print-metadata",
        action="store_true",
        help="print the Datasette metadata JSON (for `datasette -m`) and exit",
    )
    p.set_defaults(func=cmd_serve)


def _cannot_listen(host: str, port: int) -> str | None:
    """Why the server could not listen there (port taken, bad address), or None."""
    try:
        with socket.create_server((host, port)):
            return None
    except OSError as exc:
        return exc.strerror or str(exc)


def cmd_serve(args: argparse.Namespace) -> int:
    data_dir = Path(args.data_dir)
    db_file = db_path(data_dir)
    if not db_file.exists():
        print(f"error: no archive at {data_dir} (run `nianbao crawl` first)", file=sys.stderr)
        return 2
    if args.print_metadata:
        print(json.dumps(prepare_database(db_file), ensure_ascii=False, indent=2))
        return 0
    if problem := _cannot_listen(args.host, args.port):
        print(f"error: cannot listen on {args.host}:{args.port} ({problem})", file=sys.stderr)
        return 2
    try:
        serve(data_dir, host=args.host, port=args.port)
    except SystemExit as exc:  # uvicorn exits 1 when it cannot listen (port taken)
        return 2 if exc.code else 0
    except KeyboardInterrupt:
        return 0
    return 0
