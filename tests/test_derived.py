"""Derived tables are written one report at a time, all or nothing."""

from __future__ import annotations

import pytest

from archive.db import open_db
from archive.derived import replace_report
from parsers.report import ReportRecord


def _record(metrics: list[dict]) -> ReportRecord:
    return ReportRecord(
        id="r1",
        url="http://x.test/r1.html",
        site=None,
        title="某局2019年政府信息公开工作年度报告",
        agency="某局",
        year=2019,
        published="2020-01-10",
        doc_number=None,
        era="2019",
        text="正文",
        sha256=None,
        fetch_id=None,
        metrics=metrics,
    )


def test_a_report_that_fails_halfway_leaves_the_previous_version_whole() -> None:
    db = open_db(":memory:")
    replace_report(db, _record([{"key": "review.total", "value": 1, "raw": "1"}]))
    broken = _record([{"key": "review.total", "value": 2, "raw": "2"}, {"key": None, "value": 3}])
    broken.title = "changed"
    with pytest.raises(Exception, match="NOT NULL"):
        replace_report(db, broken)
    assert db.execute("SELECT title FROM reports").fetchone()[0] == "某局2019年政府信息公开工作年度报告"
    assert db.execute("SELECT key, value FROM metrics").fetchall() == [("review.total", 1)]
    assert db.execute("SELECT text FROM report_texts").fetchall() == [("正文",)]
