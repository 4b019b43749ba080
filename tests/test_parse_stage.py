"""The parse stage over an archive: worker processes, the per-document time limit, filters,
and the change report against the previous parse."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from archive import Archive, db_path
from nianbao.parse import parse_archive
from parsers.version import PACKAGE_DIR, PARSER_RELEASE, PARSER_VERSION, VOCABULARY_DIR, source_digest
from tests.helpers import peak_rss_mb, run_cli


def _copy(demo_archive: Path, tmp_path: Path) -> Archive:
    shutil.copytree(demo_archive, tmp_path / "d")
    return Archive(tmp_path / "d")


def _reports(archive: Archive) -> list[tuple]:
    return archive.db.execute(
        "SELECT id, title, year, published, era, sha256 FROM reports ORDER BY id"
    ).fetchall()


def test_parallel_and_inline_parsing_give_the_same_reports(demo_archive: Path, tmp_path: Path) -> None:
    archive = _copy(demo_archive, tmp_path)
    before = _reports(archive)
    metrics = archive.db.execute("SELECT report_id, key, value, raw FROM metrics ORDER BY 1, 2").fetchall()
    parallel = parse_archive(archive, run_id=None, only_new=False, workers=2)
    assert parallel.reports == len(before) and parallel.documents >= len(before)
    assert _reports(archive) == before
    inline = parse_archive(archive, run_id=None, only_new=False, workers=1)
    assert (inline.reports, inline.documents) == (parallel.reports, parallel.documents)
    assert (
        archive.db.execute("SELECT report_id, key, value, raw FROM metrics ORDER BY 1, 2").fetchall()
        == metrics
    )
    assert (inline.added, inline.removed, inline.reports_changed, inline.metrics_changed) == (0, 0, 0, 0)


def test_a_document_over_the_time_limit_is_a_problem_and_the_stage_goes_on(
    demo_archive: Path, tmp_path: Path
) -> None:
    archive = _copy(demo_archive, tmp_path)
    summary = parse_archive(archive, run_id=None, only_new=False, workers=2, time_limit=0.0005)
    assert summary.reports == len(_reports(archive))  # every report still has its row
    messages = [row[0] for row in archive.db.execute("SELECT message FROM problems WHERE stage = 'parse'")]
    assert any("took longer than the 0.0005 s limit" in m for m in messages)
    errors = archive.db.execute("SELECT count(*) FROM documents WHERE error LIKE '%limit%'").fetchone()[0]
    assert errors >= 1


def _snapshot(data_dir: Path) -> dict[str, list[tuple]]:
    db = sqlite3.connect(db_path(data_dir))
    columns = {
        "reports": "id, title, agency, year, published, era, url, sha256, fetch_id",
        "metrics": "report_id, key, value, raw",
        "fetches": "*",
        "files": "*",
    }
    return {t: db.execute(f"SELECT {c} FROM {t} ORDER BY 1, 2").fetchall() for t, c in columns.items()}


def test_reparse_filters_reports_what_changed_and_rebuilds_the_same(
    demo_archive: Path, tmp_path: Path
) -> None:
    shutil.copytree(demo_archive, tmp_path / "d")
    db = sqlite3.connect(db_path(tmp_path / "d"))
    victim, key = db.execute("SELECT report_id, key FROM metrics WHERE value IS NOT NULL LIMIT 1").fetchone()
    with db:
        db.execute("UPDATE metrics SET value = value + 1 WHERE report_id = ? AND key = ?", [victim, key])
        db.execute("UPDATE reports SET title = 'stale' WHERE id = ?", [victim])
    unknown = run_cli("reparse", "--data-dir", str(tmp_path / "d"), "--format", "nosuchformat")
    assert unknown.returncode == 2 and "unknown format 'nosuchformat'" in unknown.stderr  # refused
    formats = {row[0] for row in db.execute("SELECT format FROM documents")}
    assert "zip" not in formats  # the demo has no ZIP: a filter that matches nothing
    only_zip = run_cli("reparse", "--data-dir", str(tmp_path / "d"), "--format", "zip")
    assert "reparsed 0 reports" in only_zip.stdout
    full = run_cli("reparse", "--data-dir", str(tmp_path / "d"))
    assert full.returncode in (0, 1), full.stderr
    assert "0 reports added, 0 removed, 1 changed (1 metric values differ)" in full.stdout, full.stdout
    # The reparse rebuilt exactly what the crawl had built and left the archive tables alone.
    assert _snapshot(tmp_path / "d") == _snapshot(demo_archive)
    runs = db.execute("SELECT command FROM crawl_runs ORDER BY id").fetchall()
    assert runs[-1][0] == "reparse"


def test_a_crawl_reparses_exactly_the_reports_of_another_parser_version(
    demo_archive: Path, tmp_path: Path
) -> None:
    archive = _copy(demo_archive, tmp_path)
    first = parse_archive(archive, run_id=None)  # what a crawl runs: only what is not up to date
    assert first.reports == 0 and first.skipped == len(_reports(archive))
    with archive.db.conn:
        archive.db.execute(
            "UPDATE reports SET parser_version = '0.2.0' WHERE id = (SELECT min(id) FROM reports)"
        )
    again = parse_archive(archive, run_id=None)
    assert (again.reports, again.skipped) == (1, first.skipped - 1)
    assert {row[0] for row in archive.db.execute("SELECT parser_version FROM reports")} == {PARSER_VERSION}


def test_the_parser_version_follows_the_parsers_source(tmp_path: Path) -> None:
    copy, words = tmp_path / "parsers", tmp_path / "vocabulary"
    shutil.copytree(PACKAGE_DIR, copy, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(VOCABULARY_DIR, words, ignore=shutil.ignore_patterns("__pycache__"))
    assert f"{PARSER_RELEASE}+{source_digest(copy, words)}" == PARSER_VERSION
    rule = words / "__init__.py"  # the title rules the parsers apply
    rule.write_text(rule.read_text(encoding="utf-8") + "\nEXTRA_RULE = 1\n", encoding="utf-8")
    assert source_digest(copy, words) != PARSER_VERSION.split("+")[1]
    (copy / "formats" / "newformat.py").write_text("", encoding="utf-8")
    assert len({source_digest(copy, words), PARSER_VERSION.split("+")[1]}) == 2


# -- memory: the stage streams the archive ---------------------------------------------------------
# Each report item's row carries a long final URL (the address a redirect ended at), so that a
# stage holding every item's row at once would grow by ~16 KB an item; one that reads them a page
# at a time stays flat. Items are short pages, so the pass takes seconds.
_PAD = 16_000


def _archive_of_many_items(data_dir: Path, items: int) -> None:
    archive = Archive(data_dir, fsync=False)
    run = archive.start_run("crawl", mode="live", sites=["many"])
    archive.upsert_site(
        "many", agency="某某县人民政府", region="某某省某某县", start_urls=["http://many.test/"]
    )
    with archive.transaction():
        for n in range(items):
            title = f"某某县第{n}局{2020 + n % 4}年政府信息公开工作年度报告"
            url = f"http://many.test/{2020 + n % 4}/t{n:06d}.html"
            page = f"<html><head><title>{title}</title></head><body><h1>{title}</h1><p>主动公开{n}条。</p>"
            _fetch(archive, run, url, page, role="report", final_url=f"{url}?{'p' * _PAD}", text=title)
            if n % 4 == 0:  # some items have an attachment on their page
                text = f"<html><body><p>{title}附件：收到申请{n % 7}件。</p>"
                _fetch(archive, run, url.replace(".html", "_1.html"), text, role="attachment", referer=url)
    archive.finish_run(run, exit_code=0, stats={})
    archive.close()


def _fetch(archive: Archive, run: int, url: str, html: str, *, role: str, **fields: str) -> None:
    body = (html + "</body></html>").encode()
    sha256, _ = archive.store_body(body, media_type="text/html")
    link_text = fields.pop("text", None)
    fields.setdefault("final_url", url)
    fields.setdefault("referer", "http://many.test/list.html")
    archive.record_fetch(
        run_id=run, site="many", url=url, status=200, role=role, size=len(body), sha256=sha256,
        link_text=link_text, **fields,
    )  # fmt: skip


@pytest.mark.slow
def test_the_parse_stage_memory_does_not_grow_with_the_number_of_report_items(tmp_path: Path) -> None:
    peaks = {}
    for items in (600, 2400):
        data = tmp_path / str(items)
        _archive_of_many_items(data, items)
        result = run_cli("reparse", "--data-dir", str(data), "--workers", "1", peak_rss_to=tmp_path / "peak")
        assert result.returncode in (0, 1), result.stderr
        assert f"reparsed {items} reports" in result.stdout, result.stdout
        peaks[items] = peak_rss_mb(tmp_path / "peak")
    # The stage that held every item's row grew by ~30 MB here (1.24×); the first few hundred
    # items fill caches of a fixed size (SQLite's pages, the region tables), hence 600 at least.
    assert peaks[2400] / peaks[600] < 1.08, peaks
