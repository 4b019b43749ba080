"""Writing the derived tables (documents, reports and what hangs off them).

Only parsers' results go here; the archive tables are never touched. Each report is
replaced as a whole in one transaction, so a reparse killed midway leaves every report
either as it was or as it is now.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import sqlite_utils

if TYPE_CHECKING:
    from parsers.document import Document
    from parsers.report import ReportRecord

_REPORT_CHILDREN = ("checks", "metrics", "report_texts", "report_files")


@contextmanager
def transaction(db: sqlite_utils.Database) -> Iterator[None]:
    """All or nothing. The connection is in autocommit mode (isolation_level=None), where
    ``with conn:`` would not open a transaction at all."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


def save_document(
    db: sqlite_utils.Database,
    sha256: str,
    *,
    parser: str,
    parser_version: str,
    document: Document | None = None,
    error: str | None = None,
) -> None:
    row: dict[str, Any] = {
        "sha256": sha256,
        "parser": parser,
        "parser_version": parser_version,
        "error": error,
        "format": None,
        "method": None,
        "page_count": None,
        "title": None,
        "tables": None,
        "meta": None,
        "chars": None,
    }
    if document is not None:
        row.update(
            format=document.format,
            method=document.method,
            page_count=document.page_count,
            title=document.title,
            tables=len(document.tables),
            meta=json.dumps(document.meta, ensure_ascii=False),
            chars=len(document.text),
        )
    db["documents"].upsert(row, pk="sha256")
    if document is not None:
        from parsers.formats import MEDIA_TYPES

        media_type = MEDIA_TYPES.get(document.format)
        if media_type:
            db.execute("UPDATE files SET media_type = ? WHERE sha256 = ?", [media_type, sha256])


def replace_report(db: sqlite_utils.Database, record: ReportRecord) -> None:
    with transaction(db):  # the report and all its rows, or nothing
        for table in _REPORT_CHILDREN:
            db.execute(f"DELETE FROM {table} WHERE report_id = ?", [record.id])
        db["reports"].upsert(_report_row(record), pk="id")
        db["report_files"].insert_all(
            (
                {
                    "report_id": record.id,
                    "sha256": s.sha256,
                    "fetch_id": s.fetch_id,
                    "role": s.role,
                    "name": s.name,
                }
                for s in record.sources
            ),
            ignore=True,
        )
        db["report_texts"].insert({"report_id": record.id, "text": record.text})
        if record.metrics:
            ensure_metric_keys(db, [m.get("key") for m in record.metrics])
            db["metrics"].insert_all({"report_id": record.id, **m} for m in record.metrics)
        if record.checks:
            db["checks"].insert_all(({"report_id": record.id, **c} for c in record.checks), alter=False)


def sync_metric_keys(db: sqlite_utils.Database) -> None:
    """``metric_keys`` = the metric dictionary (parsers/metrics/dictionary.py), written only when
    they differ, so that ``metrics.key`` can reference every key a parser may emit. A database
    opened read-only (or locked by a running crawl) keeps what it has."""
    from parsers.metrics import dictionary

    wanted = {r["key"]: r for r in dictionary.rows()}
    columns = ", ".join(_KEY_COLUMNS)
    have = {
        r[0]: dict(zip(_KEY_COLUMNS, r, strict=True))
        for r in db.execute(f"SELECT {columns} FROM metric_keys")
    }
    stale = [row for key, row in wanted.items() if have.get(key) != row]
    if stale:
        try:
            _upsert_keys(db, stale)
        except sqlite3.OperationalError as exc:  # read-only or busy: the next writer loads it
            if "readonly" not in str(exc) and "locked" not in str(exc):
                raise
    db._nianbao_metric_keys_synced = True  # type: ignore[attr-defined]


def ensure_metric_keys(db: sqlite_utils.Database, keys: list[str | None]) -> None:
    """The dictionary in ``metric_keys`` plus a row for each concrete ``legacy.other.<n>`` of
    ``keys``. A key the dictionary does not know (the extractors never emit one) gets a bare row
    rather than a failed write of the whole report."""
    from parsers.metrics import dictionary

    if not getattr(db, "_nianbao_metric_keys_synced", False):
        sync_metric_keys(db)
    wanted = sorted({k for k in keys if k})
    have = {
        r[0]
        for r in db.execute(
            "SELECT key FROM metric_keys WHERE key IN (SELECT value FROM json_each(?))", [json.dumps(wanted)]
        )
    }
    missing = [k for k in wanted if k not in have]
    if missing:
        _upsert_keys(db, [dictionary.row(k) if dictionary.is_known(k) else {"key": k} for k in missing])


_KEY_COLUMNS = ("key", "label_zh", "label_en", "form_table", "era", "unit", "meaning", "kind")


def _upsert_keys(db: sqlite_utils.Database, rows: list[dict[str, str]]) -> None:
    columns = _KEY_COLUMNS
    db.conn.executemany(
        f"INSERT INTO metric_keys ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))}) "
        f"ON CONFLICT(key) DO UPDATE SET {', '.join(f'{c} = excluded.{c}' for c in columns[1:])}",
        [tuple(r.get(c) for c in columns) for r in rows],
    )


def _report_row(record: ReportRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "title": record.title,
        "agency": record.agency,
        "region": record.region,
        "region_code": record.region_code,
        "region_level": record.region_level,
        "year": record.year,
        "published": record.published,
        "signed": record.signed,
        "era": record.era,
        "doc_number": record.doc_number,
        "site": record.site,
        "url": record.url,
        "fetch_id": record.fetch_id,
        "sha256": record.sha256,
        "agency_key": record.agency_key,
        "is_report": int(record.is_report),
        "recognition": record.recognition,
        "recognition_confidence": record.recognition_confidence,
        "parser": record.parser,
        "parser_version": record.parser_version,
    }


YEAR_OVER_YEAR = "year_over_year."  # prefix of the cross-report checks' rules


def replace_year_over_year_checks(
    db: sqlite_utils.Database,
    checks: Iterable[tuple[str, list[dict[str, Any]]]] | dict[str, list[dict[str, Any]]],
) -> int:
    """Replace every cross-report check at once (they depend on which other reports exist), in
    one transaction. ``checks`` ((report id, its checks) pairs) may be a generator that reads
    the database as it goes: the rows are streamed to SQLite, never all held."""
    written = 0

    def rows() -> Iterator[dict[str, Any]]:
        nonlocal written
        for rid, report_checks in checks.items() if isinstance(checks, dict) else checks:
            for check in report_checks:
                written += 1
                yield {"report_id": rid, **check}

    with transaction(db):
        db.execute("DELETE FROM checks WHERE rule LIKE ?", [YEAR_OVER_YEAR + "%"])
        db["checks"].insert_all(rows())
    return written


def delete_reports(db: sqlite_utils.Database, report_ids: list[str]) -> None:
    with transaction(db):
        for report_id in report_ids:
            for table in _REPORT_CHILDREN:
                db.execute(f"DELETE FROM {table} WHERE report_id = ?", [report_id])
            db.execute("DELETE FROM reports WHERE id = ?", [report_id])
