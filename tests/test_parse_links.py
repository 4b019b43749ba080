"""What the parse stage writes beyond one report: rows kept for items that are not reports,
and the year-over-year checks that link an agency's reports across years."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

from archive import Archive
from archive.derived import replace_report
from nianbao.parse import _link_years
from parsers.report import ReportRecord


def _record(rid: str, year: int, metrics: dict[str, float | None], **fields: object) -> ReportRecord:
    record = ReportRecord(
        id=rid,
        url=f"http://x.test/{rid}.html",
        site=None,
        title=f"某某区人民政府{year}年政府信息公开工作年度报告",
        agency="某某区人民政府",
        year=year,
        published=f"{year + 1}-01-20",
        doc_number=None,
        era="2021",
        text="正文",
        sha256=None,
        fetch_id=None,
        agency_key="320813::人民政府",
        metrics=[{"key": k, "value": v, "raw": "" if v is None else str(v)} for k, v in metrics.items()],
    )
    for name, value in fields.items():
        setattr(record, name, value)
    return record


def _yoy(archive: Archive) -> list[tuple]:
    return archive.db.execute(
        "SELECT report_id, rule, expected, found, passed, other_report_id FROM checks"
        " WHERE rule LIKE 'year_over_year.%' ORDER BY report_id, rule"
    ).fetchall()


def test_last_years_carried_forward_is_checked_against_this_years_carried_over(tmp_path: Path) -> None:
    archive = Archive(tmp_path / "d")
    replace_report(archive.db, _record("r2022", 2022, {"requests.carried_forward.total": 4}))
    replace_report(
        archive.db,
        _record("r2023", 2023, {"requests.carried_over.total": 4, "requests.carried_forward.total": 1}),
    )
    replace_report(archive.db, _record("r2024", 2024, {"requests.carried_over.total": 2}))
    _link_years(archive)
    assert _yoy(archive) == [
        ("r2023", "year_over_year.carried_over.total", 4, 4, 1, "r2022"),
        ("r2024", "year_over_year.carried_over.total", 1, 2, 0, "r2023"),
    ]
    _link_years(archive)  # idempotent: the checks are replaced, not added again
    assert len(_yoy(archive)) == 2


def test_year_checks_follow_the_reports_that_exist(tmp_path: Path) -> None:
    archive = Archive(tmp_path / "d")
    replace_report(archive.db, _record("r2023", 2023, {"requests.carried_over.total": 4}))
    _link_years(archive)
    assert _yoy(archive) == []  # no earlier report yet
    replace_report(archive.db, _record("r2022", 2022, {"requests.carried_forward.total": 3}))
    _link_years(archive)  # a report found later pairs with the one already there
    assert _yoy(archive) == [("r2023", "year_over_year.carried_over.total", 3, 4, 0, "r2022")]


def test_other_agencies_and_non_reports_are_not_paired(tmp_path: Path) -> None:
    archive = Archive(tmp_path / "d")
    replace_report(archive.db, _record("r2022", 2022, {"requests.carried_forward.total": 4}))
    replace_report(
        archive.db,
        _record("other", 2023, {"requests.carried_over.total": 4}, agency_key="320800::人民政府"),
    )
    replace_report(
        archive.db,
        _record(
            "decoy",
            2023,
            {"requests.carried_over.total": 4},
            is_report=False,
            recognition="not a report: a notice about compiling the reports",
        ),
    )
    _link_years(archive)
    assert _yoy(archive) == []


def test_items_that_are_not_reports_keep_their_row_and_reason_but_stay_out_of_the_summary(
    tmp_path: Path,
) -> None:
    archive = Archive(tmp_path / "d")
    replace_report(archive.db, _record("real", 2023, {"requests.new.total": 7}))
    reason = "not a report: 法治政府建设年度报告"
    replace_report(archive.db, _record("decoy", 2023, {}, is_report=False, recognition=reason))
    rows = archive.db.execute("SELECT id, is_report, recognition FROM reports ORDER BY id").fetchall()
    assert rows[0] == ("decoy", 0, reason) and rows[1][:2] == ("real", 1)
    summary = archive.db.execute("SELECT report_id, requests_received FROM report_summary").fetchall()
    assert summary == [("real", 7)]


def _peak_bytes_of_linking(tmp_path: Path, per_year: int) -> tuple[int, int]:
    """Peak Python memory of linking ``per_year`` reports of one agency in each of two years
    (every report pairs with every report of the year before), and the checks written."""
    archive = Archive(tmp_path / str(per_year), fsync=False)
    carried = {"requests.carried_forward.total": 1, "requests.carried_over.total": 2}
    for n in range(2 * per_year):
        replace_report(archive.db, _record(f"r{n:05d}", 2022 + n % 2, carried))
    tracemalloc.start()
    try:
        _link_years(archive)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return peak, archive.db.execute("SELECT count(*) FROM checks").fetchone()[0]


def test_linking_holds_one_report_s_checks_not_all_of_them(tmp_path: Path) -> None:
    small, small_checks = _peak_bytes_of_linking(tmp_path, 50)
    large, large_checks = _peak_bytes_of_linking(tmp_path, 200)
    assert (small_checks, large_checks) == (50 * 50, 200 * 200)  # every pair, checked once
    # 16 times the checks; held all at once they would take 16 times the memory.
    assert large / small < 6, (small, large)
