"""``nianbao export``: the demo archive's reports and metrics as CSV and JSON Lines.

Expected figures come from the seed texts the demo portals serve: seed 000 (威海, legacy
统计表: 政府网站公开政府信息数 4500, 政务微博 297) and seed 001 (环翠, 2019 template, whose
规章 row of 第二十条第（一）项 is blank — blank, not 0).
"""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from pathlib import Path

import pytest

from archive import Archive, db_path
from nianbao import export
from tests.helpers import run_cli

WEIHAI_TITLE = "威海市政务服务中心管理办公室 2017年政务公开工作年度报告"


def _db(data_dir: Path) -> sqlite3.Connection:
    return sqlite3.connect(db_path(data_dir))


def _csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _jsonl_rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _metric(rows: list[dict], site: str, key: str) -> dict:
    (row,) = [r for r in rows if r["site"] == site and r["key"] == key]
    return row


def test_csv_export_holds_every_report_and_metric_of_the_archive(demo_archive: Path, tmp_path: Path) -> None:
    result = run_cli("export", "--data-dir", str(demo_archive), "--out", str(tmp_path / "out"))
    assert result.returncode == 0, result.stdout + result.stderr
    reports = _csv_rows(tmp_path / "out" / "reports.csv")
    metrics = _csv_rows(tmp_path / "out" / "metrics.csv")
    db = _db(demo_archive)
    assert len(reports) == db.execute("SELECT count(*) FROM reports").fetchone()[0] >= 5
    assert len(metrics) == db.execute("SELECT count(*) FROM metrics").fetchone()[0] > 100

    weihai = next(r for r in reports if r["site"] == "weihai")
    assert weihai["title"] == WEIHAI_TITLE
    assert weihai["year"] == "2017"
    assert weihai["published"] == "2018-03-20"  # 成文日期 in seed 000: 2018年3月20日
    in_db = db.execute("SELECT id, sha256 FROM reports WHERE site = 'weihai'").fetchone()
    assert (weihai["id"], weihai["sha256"]) == in_db

    website = _metric(metrics, "weihai", "legacy.channels.website")
    assert (website["value"], website["raw"]) == ("4500", "4500")
    assert (website["report_id"], website["agency"], website["year"]) == (
        weihai["id"],
        weihai["agency"],
        "2017",
    )
    assert _metric(metrics, "weihai", "legacy.channels.weibo")["value"] == "297"


def test_blank_metrics_stay_empty_in_csv_and_null_in_jsonl(demo_archive: Path, tmp_path: Path) -> None:
    archive = Archive(demo_archive, fsync=False)
    written = export.export_tables(archive, tmp_path, ["metrics"], "csv")
    export.export_tables(archive, tmp_path, ["metrics"], "jsonl")
    assert written == {tmp_path / "metrics.csv": archive.db["metrics"].count}
    in_csv = _csv_rows(tmp_path / "metrics.csv")
    in_jsonl = _jsonl_rows(tmp_path / "metrics.jsonl")

    # Seed 001's 规章 row is blank: neither 0 nor missing.
    assert _metric(in_csv, "huancui", "active.regulations.made")["value"] == ""
    assert _metric(in_jsonl, "huancui", "active.regulations.made")["value"] is None
    blanks = archive.db.execute("SELECT count(*) FROM metrics WHERE value IS NULL").fetchone()[0]
    assert blanks > 0
    assert sum(r["value"] == "" for r in in_csv) == blanks
    assert sum(r["value"] is None for r in in_jsonl) == blanks
    # A real zero stays a zero (seed 000: 政府公报公开政府信息数 0).
    assert _metric(in_csv, "weihai", "legacy.channels.gazette")["value"] == "0"
    assert _metric(in_jsonl, "weihai", "legacy.channels.website")["value"] == 4500


def test_jsonl_reports_with_text_carry_the_report_text(demo_archive: Path, tmp_path: Path) -> None:
    result = run_cli(
        "export", "--data-dir", str(demo_archive), "--out", str(tmp_path), "--format", "jsonl",
        "--table", "reports", "--with-text",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    reports = _jsonl_rows(tmp_path / "reports.jsonl")
    assert not (tmp_path / "metrics.jsonl").exists()
    weihai = next(r for r in reports if r["site"] == "weihai")
    assert weihai["year"] == 2017 and weihai["title"] == WEIHAI_TITLE
    assert "2017年更新完善事项信息4500余条" in "".join(weihai["text"].split())


def test_excel_csv_has_a_bom_and_defused_formulas(demo_archive: Path, tmp_path: Path) -> None:
    result = run_cli(
        "export", "--data-dir", str(demo_archive), "--out", str(tmp_path), "--table", "reports", "--excel"
    )
    assert result.returncode == 0, result.stderr
    data = (tmp_path / "reports.csv").read_bytes()
    assert data.startswith(b"\xef\xbb\xbfid,title,")
    assert WEIHAI_TITLE in data.decode("utf-8-sig")
    assert export.csv_cell("=1+1", excel=True) == "'=1+1"
    assert export.csv_cell("=1+1") == "=1+1"


def test_out_dash_writes_one_table_to_stdout(demo_archive: Path) -> None:
    result = run_cli(
        "export", "--data-dir", str(demo_archive), "--out", "-", "--table", "sites",
        env={"LC_ALL": "C", "LANG": "C"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert {r["name"] for r in rows} == {"weihai", "huancui", "lingwu", "qufu", "liaocheng"}
    assert "威海市人民政府" in result.stdout
    two = run_cli(
        "export", "--data-dir", str(demo_archive), "--out", "-", "--table", "reports", "--table", "metrics"
    )
    assert two.returncode == 2


def test_a_failed_export_leaves_the_previous_file_whole(
    demo_archive: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    archive = Archive(demo_archive, fsync=False)
    export.export_tables(archive, tmp_path, ["reports"], "csv")
    before = (tmp_path / "reports.csv").read_bytes()

    def broken(*args: object, **kwargs: object) -> int:
        out = args[2]
        out.write("half a table")  # type: ignore[attr-defined]
        raise OSError("disk full")

    monkeypatch.setattr(export, "export_table", broken)
    with pytest.raises(OSError, match="disk full"):
        export.export_tables(archive, tmp_path, ["reports"], "csv")
    assert (tmp_path / "reports.csv").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["reports.csv"]  # no temp file left


def test_export_needs_an_archive(tmp_path: Path) -> None:
    result = run_cli("export", "--data-dir", str(tmp_path / "none"), "--out", str(tmp_path / "out"))
    assert result.returncode == 2
    assert "no archive" in result.stderr
    assert not (tmp_path / "out").exists()
