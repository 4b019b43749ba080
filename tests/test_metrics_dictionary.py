"""The metric dictionary is the one source of truth for metric keys.

Every key a parser emits — over the golden documents, the generated legacy tables and prose —
is in the dictionary, and every dictionary key is emitted by some parser path; the database's
``metric_keys`` table holds it and ``metrics.key`` references it; ``docs/metrics.md`` is
generated from it; counts are stored as integers and amounts keep their decimals.
"""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import sqlite_utils

import archive.db
from archive.db import migrate, open_db
from archive.derived import replace_report
from archive.schema import MIGRATIONS
from parsers.document import Block, Document
from parsers.metrics import dictionary, extract
from parsers.metrics.model import Metric
from parsers.metrics.tables import Collector
from parsers.report import ReportRecord
from tests.legacygen import generate, grid_document
from tests.test_metrics_golden import GOLDEN, SEEDS, fixture_document

ROOT = Path(__file__).resolve().parents[1]
PROSE = [
    "2017年，中心管理办全年共收到依申请信息公开5条，主动公开政府信息120条。",
    "2020年度报告：本年度主动公开政府信息300条，收到政府信息公开申请12件，行政复议2件，行政诉讼1件。",
]


def _emitted_keys() -> set[str]:
    """Keys the parsers emit: golden expectations, the seed documents, generated legacy tables
    (with 历年累计 columns and unknown rows) and prose of both eras."""
    keys: set[str] = set()
    for path in GOLDEN.glob("*.json"):
        keys |= set(json.loads(path.read_text("utf-8"))["metrics"])
    for seed in SEEDS:
        keys |= set(extract(fixture_document(seed)).values)
    for seed in range(300):
        keys |= set(extract(grid_document(generate(seed))).values)
    for text in PROSE:
        title = text[:4] + "年政府信息公开工作年度报告"
        keys |= set(extract(Document("html", [Block(title), Block(text)])).values)
    return keys


@pytest.fixture(scope="module")
def emitted() -> set[str]:
    return _emitted_keys()


def test_every_emitted_key_is_in_the_dictionary(emitted: set[str]) -> None:
    unknown = sorted(k for k in emitted if not dictionary.is_known(k))
    assert not unknown


def test_every_dictionary_key_is_emitted_by_some_parser_path(emitted: set[str]) -> None:
    never = sorted(e.key for e in dictionary.entries() if e.pattern is None and e.key not in emitted)
    never = [k for k in never if k not in dictionary.PATTERNS]
    assert not never
    assert any(k.startswith("legacy.other.") for k in emitted)
    assert any(k.startswith("legacy.cumulative.other.") for k in emitted)


def test_every_entry_is_complete_and_amounts_are_the_10k_yuan_keys() -> None:
    for e in dictionary.entries():
        assert e.label_zh and e.label_en and e.meaning, e.key
        assert e.form_table in {"二", "三", "四", "统计表", "正文"}, e.key
        assert e.era in {"legacy", "2019", "2021", "2019, 2021", "2019–"}, e.key
    amounts = {e.key for e in dictionary.entries() if e.kind == "amount"}
    # the 万元 keys are the ones whose name says so (the checks and exports rely on the suffix)
    assert amounts == {e.key for e in dictionary.entries() if e.key.endswith("10k_yuan")}


def test_the_keys_the_schema_views_name_are_dictionary_keys() -> None:
    """The views spell their keys in migrations, which never change: each one must be known."""
    db = open_db(":memory:")
    views = " ".join(row[0] for row in db.execute("SELECT sql FROM sqlite_master WHERE type = 'view'"))
    named = set(re.findall(r"m\.key = '([^']+)'", views))
    assert "requests.new.total" in named  # the pattern reads the view (it names this one)
    assert {k for k in named if not dictionary.is_known(k)} == set()


def test_an_unknown_key_is_refused_by_the_collector() -> None:
    out = Collector()
    out.add(Metric(key="requests.result.martian.total", value=1, raw="1"))
    assert not out.metrics and "not in the metric dictionary" in out.warnings[0]


def test_docs_metrics_md_is_generated_from_the_dictionary() -> None:
    committed = (ROOT / "docs" / "metrics.md").read_text("utf-8")
    assert committed == dictionary.markdown(), (
        "run: python -m parsers.metrics.dictionary --markdown > docs/metrics.md"
    )
    cli = subprocess.run(
        [sys.executable, "-m", "parsers.metrics.dictionary", "--markdown"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert cli.stdout == committed
    assert "`requests.result.granted.natural_person` | （一）予以公开 · 自然人" in committed


def _record(metrics: list[dict]) -> ReportRecord:
    return ReportRecord(
        id="r1",
        url="http://x.test/r1.html",
        site=None,
        title="某县2013年政府信息公开工作年度报告",
        agency="某县",
        year=2013,
        published="2014-01-10",
        doc_number=None,
        era="legacy",
        text="正文",
        sha256=None,
        fetch_id=None,
        metrics=metrics,
    )


def test_metric_keys_table_is_referenced_by_metrics_key() -> None:
    db = open_db(":memory:")
    replace_report(
        db,
        _record(
            [
                {"key": "legacy.requests.received", "value": 3744.0, "raw": "3744"},
                {"key": "legacy.staffing.budget_10k_yuan", "value": 9.5, "raw": "9.5"},
                {"key": "legacy.other.3", "value": 2, "raw": "2", "label": "政府信息公开咨询数"},
            ]
        ),
    )
    labelled = db.execute(
        "SELECT m.key, k.label_zh, typeof(m.value), m.value, m.label FROM metrics m "
        "JOIN metric_keys k ON k.key = m.key ORDER BY m.id"
    ).fetchall()
    assert labelled == [
        ("legacy.requests.received", "（一）收到申请数", "integer", 3744, None),
        ("legacy.staffing.budget_10k_yuan", "（四）政府信息公开专项经费", "real", 9.5, None),
        (
            "legacy.other.3",
            dictionary.PATTERNS["legacy.other.<n>"].label_zh,
            "integer",
            2,
            "政府信息公开咨询数",
        ),
    ]
    assert db.execute("SELECT count(*) FROM metric_keys").fetchone()[0] >= len(dictionary.entries())
    fk = {(r[2], r[3], r[4]) for r in db.execute("PRAGMA foreign_key_list(metrics)")}
    assert ("metric_keys", "key", "key") in fk
    with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
        db.execute("INSERT INTO metrics (report_id, key, value) VALUES ('r1', 'no.such.key', 1)")


def test_migration_keeps_stored_metrics_and_turns_counts_into_integers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    conn = sqlite3.connect(":memory:", isolation_level=None)
    conn.execute("PRAGMA foreign_keys = ON")
    db = sqlite_utils.Database(conn)
    with monkeypatch.context() as m:  # a database as it was before the dictionary
        m.setattr(archive.db, "MIGRATIONS", MIGRATIONS[:4])
        migrate(db)
    conn.execute(
        "INSERT INTO reports (id, url, parser, parser_version) VALUES ('r1', 'http://x.test/', 'p', '1')"
    )
    conn.execute(
        "INSERT INTO metrics (report_id, key, value, raw) VALUES ('r1', 'requests.new.total', 3744, '3744')"
    )
    conn.execute("INSERT INTO checks (report_id, rule, expected, found, passed) VALUES ('r1', 'x', 5, 5, 1)")
    assert conn.execute("SELECT value FROM metrics").fetchone()[0] == 3744.0  # REAL before
    migrate(db)
    assert conn.execute("SELECT key, value, typeof(value) FROM metrics").fetchall() == [
        ("requests.new.total", 3744, "integer")
    ]
    assert conn.execute("SELECT typeof(expected) FROM checks").fetchone()[0] == "integer"
    assert conn.execute("SELECT requests_received FROM report_summary").fetchone()[0] == 3744
    replace_report(db, _record([{"key": "requests.new.total", "value": 7, "raw": "7"}]))
    assert conn.execute("SELECT label_zh FROM metric_keys WHERE key = 'requests.new.total'").fetchone()[0]


def test_golden_counts_are_integers_after_extraction() -> None:
    for seed in SEEDS:
        for m in extract(fixture_document(seed)).metrics:
            if m.value is not None and dictionary.is_count(m.key):
                assert isinstance(m.value, int), (seed, m.key, m.value)
