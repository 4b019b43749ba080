"""Chinese full-text search (archive/fts.py) on the stock SQLite: two-character terms found,
absent terms not, bm25 ranking, and the index following reparses and deletions.

The texts are the five seed reports (tests/fixtures/seeds/00N.expected.txt). Which words
they contain was read off the files themselves (grep), e.g. 行政复议 occurs in 000 (4×),
001 (3×), 002 and 003 (once each), never in 004; 依申请公开 in all but 001; 议公 and 开复
(characters that each occur, never side by side) in none.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from archive import fts
from archive.db import open_db
from archive.derived import delete_reports, replace_report
from parsers.report import ReportRecord

SEEDS = Path(__file__).resolve().parent / "fixtures" / "seeds"
ALL = {"000", "001", "002", "003", "004"}


def _record(rid: str, text: str, title: str | None = None) -> ReportRecord:
    return ReportRecord(
        id=rid,
        url=f"http://example.test/{rid}.html",
        site=None,
        title=title if title is not None else f"报告{rid}",
        agency=None,
        year=2017,
        published=None,
        doc_number=None,
        era="legacy",
        text=text,
        sha256=None,
        fetch_id=None,
    )


def _found(db, query: str) -> list[str]:
    return [hit["report_id"] for hit in fts.search(db, query, limit=100)]


@pytest.fixture
def seeded():
    db = open_db(":memory:")
    for n in sorted(ALL):
        text = (SEEDS / f"{n}.expected.txt").read_text(encoding="utf-8")
        replace_report(db, _record(n, text, title=""))
    assert fts.refresh_search_index(db) == 5
    return db


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("公开", ALL),
        ("复议", {"000", "001", "002", "003"}),
        ("行政复议", {"000", "001", "002", "003"}),
        ("依申请公开", {"000", "002", "003", "004"}),
        ("复", ALL),  # a single character: every seed has it somewhere
        ("行政复议 依申请公开", {"000", "002", "003"}),  # both words required
    ],
)
def test_terms_of_two_or_more_characters_are_found(seeded, query: str, expected: set[str]) -> None:
    assert set(_found(seeded, query)) == expected


@pytest.mark.parametrize("query", ["核电站", "议公", "开复", "", "，。、"])
def test_absent_terms_find_nothing(seeded, query: str) -> None:
    assert _found(seeded, query) == []


def test_snippet_marks_the_match(seeded) -> None:
    (hit,) = [h for h in fts.search(seeded, "依申请公开") if h["report_id"] == "003"]
    assert f"{fts.MARK_START}依申请公开{fts.MARK_END}" in hit["snippet"]


def test_fullwidth_and_ascii_digits_match_each_other() -> None:
    db = open_db(":memory:")
    replace_report(db, _record("a", "二〇一八年印发，文号２０１８年第７号。"))
    fts.refresh_search_index(db)
    assert _found(db, "2018年") == ["a"]
    assert _found(db, "２０１８年第７号") == ["a"]


def test_ranking_puts_frequent_and_title_matches_first() -> None:
    db = open_db(":memory:")
    filler = "本单位认真做好政务公开各项工作，按时办结群众申请。" * 8
    texts = {
        "often": filler + "行政复议" * 5,
        "once": filler + "行政复议",
        "title": filler,
        **{f"none{i}": filler for i in range(5)},  # so that the term is rare enough to count
    }
    for rid, text in texts.items():
        title = "行政复议情况报告" if rid == "title" else None
        replace_report(db, _record(rid, text, title=title))
    fts.refresh_search_index(db)
    ranked = _found(db, "复议")
    assert set(ranked) == {"often", "once", "title"}
    assert ranked.index("often") < ranked.index("once")
    assert ranked.index("title") < ranked.index("once")  # a title match weighs more


def test_index_follows_reparse_and_deletion() -> None:
    db = open_db(":memory:")
    replace_report(db, _record("r1", "本年度收到行政复议申请一件。"))
    replace_report(db, _record("r2", "本年度未收到政府信息公开申请。"))
    assert fts.refresh_search_index(db) == 2
    assert _found(db, "复议") == ["r1"]

    # Reparse: same id, new text. The old words go, the new ones come.
    replace_report(db, _record("r1", "本年度未发生行政诉讼。"))
    assert fts.refresh_search_index(db) == 1
    assert _found(db, "复议") == []
    assert _found(db, "诉讼") == ["r1"]

    # Reparse to the same text: nothing to re-index, results unchanged.
    replace_report(db, _record("r2", "本年度未收到政府信息公开申请。"))
    assert fts.refresh_search_index(db) == 0
    assert _found(db, "公开") == ["r2"]

    delete_reports(db, ["r2"])
    assert fts.refresh_search_index(db) == 1
    assert _found(db, "公开") == []
    assert db.execute("SELECT count(*) FROM report_search_docs").fetchone()[0] == 1
    assert db.execute("SELECT count(*) FROM reports_fts_docsize").fetchone()[0] == 1


def test_a_title_change_is_reindexed() -> None:
    db = open_db(":memory:")
    replace_report(db, _record("r1", "正文", title="2017年度报告"))
    fts.refresh_search_index(db)
    db.execute("UPDATE reports SET title = '2018年政务公开工作年度报告' WHERE id = 'r1'")
    assert fts.refresh_search_index(db) == 1
    assert _found(db, "政务公开") == ["r1"]
    assert _found(db, "2017年度") == []


def test_a_new_segmenter_version_rebuilds_everything(monkeypatch) -> None:
    db = open_db(":memory:")
    replace_report(db, _record("r1", "依申请公开"))
    replace_report(db, _record("r2", "主动公开"))
    fts.refresh_search_index(db)
    monkeypatch.setattr(fts, "SEGMENTER_VERSION", fts.SEGMENTER_VERSION + 1)
    assert fts.refresh_search_index(db) == 2
    assert sorted(_found(db, "公开")) == ["r1", "r2"]
    assert _found(db, "依申请") == ["r1"]


def test_reports_that_existed_before_migration_3_are_queued(tmp_path) -> None:
    """A database from before the search index gets every report indexed on first refresh."""
    import sqlite3

    from archive import schema

    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    conn.executescript(
        "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
        "applied_at TEXT NOT NULL);"
        + "".join(sql for _, _, sql in schema.MIGRATIONS[:2])
        + "INSERT INTO schema_migrations VALUES (1, 'a', 'x'), (2, 'b', 'x');"
        "INSERT INTO reports (id, title, url, parser, parser_version) VALUES ('old', 't', 'u', 'p', '1');"
        "INSERT INTO report_texts VALUES ('old', '因政府信息公开申请提起行政复议');"
    )
    conn.close()
    db = open_db(str(path))
    assert fts.refresh_search_index(db) == 1
    assert _found(db, "行政复议") == ["old"]


def test_sqlite_utils_and_vacuum_use_the_same_index(tmp_path: Path) -> None:
    """``reports_fts`` follows sqlite-utils' conventions: its search finds a two-character
    term; after rowids move (a report deleted and another re-added, then VACUUM), the
    index follows the reports, not the old rowids."""
    path = tmp_path / "n.db"
    db = open_db(str(path))
    for rid in ("a", "b", "c"):
        replace_report(db, _record(rid, (SEEDS / "000.expected.txt").read_text() if rid == "b" else "无"))
    fts.refresh_search_index(db)
    delete_reports(db, ["a"])
    db.execute("VACUUM")
    replace_report(db, _record("d", "依申请公开"))
    fts.refresh_search_index(db)
    assert db["reports"].detect_fts() == "reports_fts"
    assert sorted(r["id"] for r in db["reports"].search("公开")) == ["b", "d"]
    assert set(_found(db, "行政复议")) == {"b"}
    db.conn.close()
    cli = Path(sys.executable).with_name("sqlite-utils")
    out = subprocess.run([cli, "search", path, "reports", "公开", "-c", "id"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert {row["id"] for row in json.loads(out.stdout)} == {"b", "d"}
