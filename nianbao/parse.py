"""Turn what the archive holds into reports: the parse stage of crawl and reparse.

It reads only the archive (fetches and stored objects; never the network), and on every
core runs, for each report item, the format parsers (each document within a time limit),
the report builder and the metrics extractor; the main process writes the derived tables
one report at a time (each in one transaction), then links each agency's reports across
years. Bad files become ``problems`` rows naming the URL and sha256;
the stage goes on. It also counts what changed against the previous parse.
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
import signal
import sqlite3
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from itertools import groupby
from operator import itemgetter
from pathlib import Path
from typing import Any

import sqlite_utils
from sqlite_utils.utils import chunks

from archive import Archive
from archive.derived import (
    delete_reports,
    replace_report,
    replace_year_over_year_checks,
    save_document,
)
from archive.fts import refresh_search_index
from nianbao.outcome import ignore_interrupts, interrupts_deferred
from parsers import formats
from parsers.document import Document, ParseError
from parsers.findings import findings
from parsers.report import (
    ReportRecord,
    Source,
    YearEntry,
    build_report,
    report_id,
    year_over_year_checks,
)
from parsers.version import PARSER_VERSION

logger = logging.getLogger(__name__)

FORMAT_PARSER = "nianbao.parsers.formats"
# Seconds per document, the parsers' own limits included: a long scan may take the whole OCR
# budget (parsers.ocr, ~5 s a page); a stuck parser is cut off after this much.
DOCUMENT_TIME_LIMIT = 960.0
_BATCH = 32  # reports whose documents are parsed together (bounds memory)
_INLINE_BELOW = 4  # fewer documents than this: not worth starting worker processes

Candidate = tuple[dict[str, Any], list[dict[str, Any]]]


@dataclass
class ParseSummary:
    reports: int = 0  # report items (re)built in this pass
    not_reports: int = 0  # of those, items recognised as something else (kept, is_report = 0)
    skipped: int = 0  # reports already parsed from the same files by this parser version
    documents: int = 0
    metrics: int = 0
    problems: int = 0
    added: int = 0  # reports that did not exist before
    removed: int = 0  # reports no longer produced (full reparse only)
    reports_changed: int = 0  # existing reports whose fields or metrics differ now
    metrics_changed: int = 0  # metric values added, removed or different
    changed: int = 0  # reports written in this pass (a count: a list of ids would grow with the run)


def parse_archive(
    archive: Archive,
    *,
    run_id: int | None,
    only_new: bool = True,
    sites: list[str] | None = None,
    since: str | None = None,
    formats_filter: list[str] | None = None,
    workers: int | None = None,
    time_limit: float = DOCUMENT_TIME_LIMIT,
    on_progress: Callable[[int, int], None] | None = None,
) -> ParseSummary:
    """Memory stays flat in the size of the archive: candidates are read from the database a
    page at a time, built :data:`_BATCH` at a time, and what must be remembered across the
    pass (documents written, reports seen) is kept in temporary tables, not in Python."""
    summary = ParseSummary()
    full = not only_new and not since and not formats_filter  # the pass is the whole truth
    seen = _PassSet(archive.db, "parse_seen_reports") if full else None
    total = _count_todo(archive, only_new, sites, since, formats_filter) if on_progress else 0

    def todo() -> Iterator[Candidate]:
        for anchor, attachments in _selected(archive, sites, since, formats_filter):
            rid = report_id(anchor["url"])
            if seen is not None:
                seen.add(rid)
            if only_new and _up_to_date(archive, rid, anchor, attachments):
                summary.skipped += 1
            else:
                yield anchor, attachments

    with _ReportBuilder(archive, summary, run_id, workers=workers, time_limit=time_limit) as builder:
        for batch in map(list, chunks(todo(), _BATCH)):
            jobs = [_job(archive, anchor, atts, time_limit) for anchor, atts in batch]
            for job, (documents, record) in zip(jobs, builder.build_all(jobs), strict=True):
                builder.record_documents(job, documents)
                _save(archive, record, summary)
            if on_progress is not None:
                on_progress(summary.reports, total)

    if seen is not None:
        summary.removed = _remove_stale_reports(archive, seen, sites)
    _link_years(archive)
    refresh_search_index(archive.db)
    return summary


# -- which reports ---------------------------------------------------------------------------
# Only the columns the stage reads: a fetch's headers and redirects are never held.
_COLUMNS = "f.id, f.site, f.url, f.final_url, f.referer, f.link_text, f.filename, f.sha256, f.fetched_at"
_GOOD = "{t}.sha256 IS NOT NULL AND {t}.status < 400 AND {t}.role = '{role}'"
_PAGE = 256  # report items read from the database at once (with their attachments)


def _latest(role: str, extra: str = "") -> str:
    """``f`` is the latest good fetch of its URL (among the fetches that pass ``extra`` too)."""
    return (
        f"{_GOOD.format(t='f', role=role)} AND NOT EXISTS (SELECT 1 FROM fetches g WHERE g.url = f.url"
        f" AND g.id > f.id AND {_GOOD.format(t='g', role=role)}{extra.format(t='g')})"
    )


def _in_list(column: str) -> str:
    """One parameter for a list of any length (JSON), not one per item."""
    return f" AND {column} IN (SELECT value FROM json_each(?))"


def _report_candidates(archive: Archive, sites: list[str] | None, since: str | None) -> Iterator[Candidate]:
    """Each report item (latest good fetch per URL), in fetch order, with the latest fetch of
    each attachment found on its page; read :data:`_PAGE` items at a time."""
    site_filter = _in_list("{t}.site") if sites else ""
    where = _latest("report", site_filter) + site_filter.format(t="f")
    params: list[Any] = [json.dumps(sites)] * 2 if sites else []
    if since:
        where += " AND f.fetched_at >= ?"
        params.append(since)
    sql = f"SELECT {_COLUMNS} FROM fetches f WHERE f.id > ? AND {where} ORDER BY f.id LIMIT {_PAGE}"
    after = 0
    while anchors := _rows(archive.db.execute(sql, [after, *params])):
        attached = _attachments(archive, {p for a in anchors for p in (a["url"], a["final_url"]) if p})
        for anchor in anchors:
            pages = {anchor["url"], anchor["final_url"]}
            unique = {a["url"]: a for page in pages if page for a in attached.get(page, [])}
            yield anchor, sorted(unique.values(), key=lambda a: a["id"])
        after = anchors[-1]["id"]


def _attachments(archive: Archive, pages: set[str]) -> dict[str, list[dict[str, Any]]]:
    """The latest good fetch of each attachment found on one of ``pages``, by page."""
    where = _latest("attachment") + _in_list("f.referer")
    rows = archive.db.execute(
        f"SELECT {_COLUMNS} FROM fetches f WHERE {where} ORDER BY f.id", [json.dumps(sorted(pages))]
    )
    by_page: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in _rows(rows):
        by_page[row["referer"]].append(row)
    return by_page


def _rows(cursor: sqlite3.Cursor) -> list[dict[str, Any]]:
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _selected(
    archive: Archive, sites: list[str] | None, since: str | None, formats_filter: list[str] | None
) -> Iterator[Candidate]:
    for candidate in _report_candidates(archive, sites, since):
        if not formats_filter or _has_format(archive, candidate, formats_filter):
            yield candidate


def _count_todo(
    archive: Archive,
    only_new: bool,
    sites: list[str] | None,
    since: str | None,
    formats_filter: list[str] | None,
) -> int:
    """How many reports the pass will build (for a progress bar): one more read-only pass."""
    return sum(
        not (only_new and _up_to_date(archive, report_id(anchor["url"]), anchor, attachments))
        for anchor, attachments in _selected(archive, sites, since, formats_filter)
    )


def _up_to_date(
    archive: Archive, rid: str, anchor: dict[str, Any], attachments: list[dict[str, Any]]
) -> bool:
    row = archive.db.execute("SELECT parser_version FROM reports WHERE id = ?", [rid]).fetchone()
    if not row or row[0] != PARSER_VERSION:
        return False
    shas = {anchor["sha256"], *(a["sha256"] for a in attachments)}
    stored = {r[0] for r in archive.db.execute("SELECT sha256 FROM report_files WHERE report_id = ?", [rid])}
    return stored == shas


def _has_format(archive: Archive, candidate: Candidate, wanted: list[str]) -> bool:
    anchor, attachments = candidate
    shas = [anchor["sha256"], *(a["sha256"] for a in attachments)]
    marks = ", ".join("?" for _ in shas)
    found = archive.db.execute(
        f"SELECT format FROM documents WHERE sha256 IN ({marks}) AND format IS NOT NULL", shas
    ).fetchall()
    return any(row[0] in wanted for row in found)


class _PassSet:
    """A set of strings for one pass, in a temporary table of the archive's connection:
    SQLite keeps it on disk beyond a small cache, so it does not grow the process."""

    def __init__(self, db: sqlite_utils.Database, name: str) -> None:
        self.db, self.table = db, f"temp.{name}"
        db.execute(f"CREATE TABLE IF NOT EXISTS {self.table} (key TEXT PRIMARY KEY)")
        db.execute(f"DELETE FROM {self.table}")

    def add(self, key: str) -> bool:
        """Add ``key``; False when it was there already."""
        return self.db.execute(f"INSERT OR IGNORE INTO {self.table} VALUES (?)", [key]).rowcount == 1

    def column(self) -> str:
        """For SQL: ``x IN (SELECT key FROM …)``."""
        return f"SELECT key FROM {self.table}"


# -- documents and reports, in worker processes -----------------------------------------------
class _DocumentTimeout(Exception):
    pass


def _parse_path(path: str, time_limit: float) -> Document | str:
    """Parse one stored object; a string is the reason it could not be parsed."""

    parsing = [True]

    def on_alarm(signum: int, frame: Any) -> None:
        # Python runs the handler at its next bytecode, which may be after a parser in C has
        # returned: raise only while the parse is ours to stop, never out of this function.
        if parsing[0]:
            raise _DocumentTimeout

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, time_limit)
    try:
        try:
            return formats.parse(Path(path).read_bytes())
        finally:
            parsing[0] = False
    except _DocumentTimeout:
        return f"parsing took longer than the {time_limit:g} s limit"
    except ParseError as exc:
        return str(exc)
    except OSError as exc:
        return f"cannot read the stored object: {exc.strerror or exc}"
    except Exception as exc:  # a parser bug must not stop the stage; it is recorded
        logger.exception("parser crashed on %s", path)
        return f"parser error: {exc!r}"
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@dataclass
class _Job:
    """One report item to build: its fetches, where their bytes are, its site's hints."""

    anchor: dict[str, Any]
    attachments: list[dict[str, Any]]
    paths: dict[str, str]  # sha256 → stored object
    site: dict[str, Any]
    time_limit: float

    @property
    def fetches(self) -> list[dict[str, Any]]:
        return [self.anchor, *self.attachments]


def _job(
    archive: Archive, anchor: dict[str, Any], attachments: list[dict[str, Any]], time_limit: float
) -> _Job:
    paths = {f["sha256"]: str(archive.store.path(f["sha256"])) for f in (anchor, *attachments)}
    return _Job(anchor, attachments, paths, _site_hints(archive, anchor["site"]), time_limit)


def _site_hints(archive: Archive, site: str | None) -> dict[str, Any]:
    """The site's agency and region (the report builder's hints), read per report: a table of
    every site would grow with the run."""
    row = archive.db.execute("SELECT agency, region FROM sites WHERE name = ?", [site or ""]).fetchone()
    return {"agency": row[0], "region": row[1]} if row else {}


def _build(job: _Job) -> tuple[dict[str, Document | str], ReportRecord]:
    """Parse a report's files and build the report — in a worker process, so that every
    step that costs CPU (format parsers, metrics, recognition) runs on every core."""
    documents = {sha: _parse_path(path, job.time_limit) for sha, path in job.paths.items()}
    return documents, _build_record(job, documents)


def _build_record(job: _Job, documents: dict[str, Document | str]) -> ReportRecord:
    sources = []
    for fetch, role in [(job.anchor, "page"), *((a, "attachment") for a in job.attachments)]:
        outcome = documents[fetch["sha256"]]
        sources.append(
            Source(
                sha256=fetch["sha256"],
                fetch_id=fetch["id"],
                url=fetch["url"],
                role=role,
                document=outcome if isinstance(outcome, Document) else None,
                link_text=fetch["link_text"],
                name=fetch["filename"],
            )
        )
    if sources[0].document is not None and sources[0].document.format != "html":
        sources[0].role = "file"  # the list linked the report's file directly
    site = job.site
    record = build_report(
        sources, site=job.anchor["site"], site_agency=site.get("agency"), site_region=site.get("region")
    )
    for source in record.sources:
        source.document = None  # the caller has the documents: not pickled back twice
    return record


class _ReportBuilder:
    """Builds reports on every core (inline for a handful); records each document's outcome."""

    def __init__(
        self,
        archive: Archive,
        summary: ParseSummary,
        run_id: int | None,
        *,
        workers: int | None,
        time_limit: float,
    ) -> None:
        self.archive = archive
        self.summary = summary
        self.run_id = run_id
        self.workers = workers or os.cpu_count() or 1
        self.time_limit = time_limit
        self.pool: ProcessPoolExecutor | None = None
        self.recorded = _PassSet(archive.db, "parse_recorded_documents")  # one row, one problem each

    def __enter__(self) -> _ReportBuilder:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.pool is not None:
            # Interrupted too: workers still starting finish starting, then stop (killing them
            # half-way through would print their tracebacks); each finishes its one document.
            self.pool.shutdown(cancel_futures=True)

    def build_all(self, jobs: list[_Job]) -> list[tuple[dict[str, Document | str], ReportRecord]]:
        """Each job's documents and report, in the jobs' order (so writes are deterministic)."""
        if len(jobs) < _INLINE_BELOW or self.workers == 1:
            return [_build(job) for job in jobs]
        if self.pool is None:
            # forkserver: workers never inherit the crawl's reactor threads.
            context = multiprocessing.get_context("forkserver")
            self.pool = ProcessPoolExecutor(self.workers, mp_context=context, initializer=ignore_interrupts)
        with interrupts_deferred():  # the workers start at the first submit
            futures: list[Future[tuple[dict[str, Document | str], ReportRecord]]] = [
                self.pool.submit(_build, job) for job in jobs
            ]
        return [self._result(job, future) for job, future in zip(jobs, futures, strict=True)]

    def _result(
        self, job: _Job, future: Future[tuple[dict[str, Document | str], ReportRecord]]
    ) -> tuple[dict[str, Document | str], ReportRecord]:
        try:
            # The worker's own alarm fires first; this only catches a parser stuck in C code.
            return future.result(timeout=(self.time_limit * 2 + 30) * len(job.paths))
        except FutureTimeout:
            reason = f"parsing took longer than the {self.time_limit:g} s limit"
            self._restart_pool()
        except Exception as exc:  # a worker that died (out of memory, segfault)
            reason = f"parser process failed: {exc!r}"
            self._restart_pool()
        # the report keeps its row and files; its documents are recorded as failed
        documents: dict[str, Document | str] = dict.fromkeys(job.paths, reason)
        return documents, _build_record(job, documents)

    def _restart_pool(self) -> None:
        if self.pool is not None:
            for process in list(getattr(self.pool, "_processes", {}).values()):
                process.kill()
            self.pool.shutdown(wait=False, cancel_futures=True)
            self.pool = None

    def record_documents(self, job: _Job, documents: dict[str, Document | str]) -> None:
        for fetch in job.fetches:
            sha256 = fetch["sha256"]
            if self.recorded.add(sha256):
                self._record(sha256, documents[sha256], fetch)

    def _record(self, sha256: str, outcome: Document | str, fetch: dict[str, Any]) -> None:
        db = self.archive.db
        if isinstance(outcome, Document):
            self.summary.documents += 1
            save_document(db, sha256, parser=FORMAT_PARSER, parser_version=PARSER_VERSION, document=outcome)
            self._record_findings(sha256, outcome, fetch)
            return
        save_document(db, sha256, parser=FORMAT_PARSER, parser_version=PARSER_VERSION, error=outcome)
        self.archive.add_problem(
            "parse",
            f"cannot parse {fetch['url']} (sha256 {sha256[:12]}…): {outcome}",
            run_id=self.run_id,
            site=fetch["site"],
            url=fetch["url"],
            sha256=sha256,
        )
        self.summary.problems += 1

    def _record_findings(self, sha256: str, document: Document, fetch: dict[str, Any]) -> None:
        """Hostile or empty files that parsed without an error (parsers/findings.py)."""
        for finding in findings(document):
            self.archive.add_problem(
                finding.stage,
                f"{fetch['url']} (sha256 {sha256[:12]}…): {finding.message}",
                run_id=self.run_id,
                site=fetch["site"],
                url=fetch["url"],
                sha256=sha256,
            )
            self.summary.problems += finding.stage != "note"


# -- reports -------------------------------------------------------------------------------------
def _save(archive: Archive, record: ReportRecord, summary: ParseSummary) -> None:
    _count_changes(archive, record, summary)
    replace_report(archive.db, record)
    summary.reports += 1
    summary.not_reports += not record.is_report
    summary.metrics += len(record.metrics)
    summary.changed += 1


_REPORT_FIELDS = ("title", "agency", "year", "published", "era", "doc_number", "sha256")


def _count_changes(archive: Archive, record: ReportRecord, summary: ParseSummary) -> None:
    old = archive.db.execute(
        f"SELECT {', '.join(_REPORT_FIELDS)} FROM reports WHERE id = ?", [record.id]
    ).fetchone()
    if old is None:
        summary.added += 1
        return
    before = {
        key: (value, raw)
        for key, value, raw in archive.db.execute(
            "SELECT key, value, raw FROM metrics WHERE report_id = ?", [record.id]
        )
    }
    after = {m["key"]: (m["value"], m["raw"]) for m in record.metrics}
    differing = sum(1 for key in before.keys() | after.keys() if before.get(key) != after.get(key))
    summary.metrics_changed += differing
    fields_now = tuple(getattr(record, name) for name in _REPORT_FIELDS)
    if differing or tuple(old) != fields_now:
        summary.reports_changed += 1


def _remove_stale_reports(archive: Archive, seen: _PassSet, sites: list[str] | None) -> int:
    """Reports the current parsers no longer produce (a full reparse is the truth), deleted
    :data:`_PAGE` at a time."""
    where, params = f"id NOT IN ({seen.column()})", []
    if sites:
        where += _in_list("site")
        params.append(json.dumps(sites))
    removed = 0
    sql = f"SELECT id FROM reports WHERE {where} LIMIT {_PAGE}"
    while stale := [row[0] for row in archive.db.execute(sql, params)]:
        delete_reports(archive.db, stale)
        removed += len(stale)
    return removed


def _link_years(archive: Archive) -> int:
    """The cross-report checks (last year's carried-forward against this year's carried-over,
    same agency), over every report in the database: a new report pairs with old ones. Read in
    the order of the (agency_key, year) index; only one agency's last year and the report at
    hand are held, whatever the number of reports (or of reports that share an agency)."""

    def checks() -> Iterator[tuple[str, list[dict[str, Any]]]]:
        rows = archive.db.execute(  # read inside the writer's transaction: one consistent view
            "SELECT r.agency_key, r.year, r.id, m.key, m.value FROM reports r"
            " LEFT JOIN metrics m ON m.report_id = r.id AND m.key LIKE 'requests.carried_%'"
            " WHERE r.is_report = 1 AND r.agency_key IS NOT NULL AND r.year IS NOT NULL"
            " ORDER BY r.agency_key, r.year, r.id"
        )
        previous: list[YearEntry] = []
        for (agency_key, year), reports in groupby(_year_entries(rows), key=lambda e: (e.agency_key, e.year)):
            if not previous or (previous[0].agency_key, previous[0].year) != (agency_key, year - 1):
                previous = []
            current = []
            for entry in reports:
                if previous:  # year_over_year_checks pairs ``entry`` with each of last year's
                    yield from year_over_year_checks([*previous, entry]).items()
                current.append(entry)
            previous = current

    return replace_year_over_year_checks(archive.db, checks())


def _year_entries(rows: Iterable[tuple[str, int, str, str | None, Any]]) -> Iterator[YearEntry]:
    """One entry per report from its rows (one per carried-over/forward metric, or one bare)."""
    for (agency_key, year, rid), metrics in groupby(rows, key=itemgetter(0, 1, 2)):
        values = {key: value for *_, key, value in metrics if key is not None}
        yield YearEntry(rid, agency_key, year, values)
