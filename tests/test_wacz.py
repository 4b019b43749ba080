"""WACZ out and in: ``export-warc --out FILE.wacz`` writes a WACZ that ``wacz validate``
accepts, with pages.jsonl naming the home and report pages; ``import-warc`` reads it back
into an empty data dir with the same reports, metrics and fetches."""

from __future__ import annotations

import gzip
import json
import sqlite3
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.helpers import ROOT, run_cli
from tests.test_warc_interchange import FETCHES, METRICS, REPORTS

CASSETTE = ROOT / "cassettes" / "demo.warc.gz"
WACZ_CLI = Path(sys.executable).parent / "wacz"


def _rows(data_dir: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(data_dir / "nianbao.db") as db:
        return db.execute(sql).fetchall()


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    tmp = tmp_path_factory.mktemp("wacz")
    data = tmp / "data"
    result = run_cli("crawl", "--replay", str(CASSETTE), "--data-dir", str(data), "-q")
    assert result.returncode in (0, 1), result.stderr
    out = tmp / "demo.wacz"
    result = run_cli("export-warc", "--data-dir", str(data), "--out", str(out))
    assert result.returncode == 0, result.stdout + result.stderr
    return data, out


def test_the_wacz_validates_and_lists_its_pages(demo: tuple[Path, Path]) -> None:
    data, wacz = demo
    check = subprocess.run([str(WACZ_CLI), "validate", "-f", str(wacz)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    with zipfile.ZipFile(wacz) as z:
        header, *pages = [json.loads(line) for line in z.read("pages/pages.jsonl").splitlines()]
        index = gzip.decompress(z.read("indexes/index.cdx.gz")).decode()
        assert {"archive/data.warc.gz", "datapackage.json"} <= set(z.namelist())
    assert header["format"] == "json-pages-1.0"
    page_fetches = "SELECT coalesce(final_url, url) FROM fetches WHERE role IN ('home', 'report')"
    expected = {row[0] for row in _rows(data, page_fetches)}
    assert {p["url"] for p in pages} == expected
    assert all(json.dumps(p["url"])[1:-1] in index for p in pages)  # each page is in the index
    titles = {p["url"]: p["title"] for p in pages}
    for url, title in _rows(data, "SELECT url, title FROM reports WHERE is_report = 1"):
        assert titles.get(url) == title


def test_a_wacz_reimports_to_the_same_reports_and_metrics(demo: tuple[Path, Path], tmp_path: Path) -> None:
    data, wacz = demo
    target = tmp_path / "copy"
    result = run_cli("import-warc", str(wacz), "--data-dir", str(target))
    assert result.returncode in (0, 1), result.stdout + result.stderr
    assert len(_rows(data, REPORTS)) >= 5
    assert _rows(target, REPORTS) == _rows(data, REPORTS)
    assert _rows(target, METRICS) == _rows(data, METRICS)
    assert _rows(target, FETCHES) == _rows(data, FETCHES)
    assert not _rows(target, "SELECT * FROM problems WHERE stage = 'import'")


def test_a_zip_that_is_no_wacz_is_a_problem(tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.wacz"
    with zipfile.ZipFile(bogus, "w") as z:
        z.writestr("../../etc/passwd", b"x")
        z.writestr("pages/pages.jsonl", b"{}")
    result = run_cli("import-warc", str(bogus), "--data-dir", str(tmp_path / "d"))
    assert result.returncode == 1
    (message,) = [row[0] for row in _rows(tmp_path / "d", "SELECT message FROM problems")]
    assert "without WARC files" in message
    assert not (tmp_path / "etc").exists()


def test_a_recrawl_exports_revisits_of_the_first_capture(tmp_path: Path) -> None:
    """A real recrawl (the portal answers 304 to the conditional GETs): every 304 is exported
    as a revisit of a response in the same file with the same payload digest, the WACZ
    validates, and importing it gives the same fetches, reports and metrics."""
    from warcio.archiveiterator import ArchiveIterator

    from tests.helpers import FAST, sites_yaml_for
    from tests.mockportal import MockServer, demo_sites

    site = next(s for s in demo_sites() if s.name == "huancui")
    data = tmp_path / "data"
    with MockServer([site], proxy=False) as server:
        sites_file = sites_yaml_for(tmp_path / "sites.yaml", [site], server.base_url)
        for _ in range(2):
            done = run_cli("crawl", "--sites", str(sites_file), "--data-dir", str(data), *FAST, "-q")
            assert done.returncode in (0, 1), done.stdout + done.stderr
    not_modified = _rows(data, "SELECT count(*) FROM fetches WHERE status = 304")[0][0]
    assert not_modified > 0
    wacz = tmp_path / "recrawl.wacz"
    assert run_cli("export-warc", "--data-dir", str(data), "--out", str(wacz)).returncode == 0
    check = subprocess.run([str(WACZ_CLI), "validate", "-f", str(wacz)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    with zipfile.ZipFile(wacz) as z, z.open("archive/data.warc.gz") as stream:
        records = [(r.rec_type, r.rec_headers, r.http_headers) for r in ArchiveIterator(stream)]
    responses = {h.get_header("WARC-Record-ID"): h for kind, h, _ in records if kind == "response"}
    revisits = [(h, http) for kind, h, http in records if kind == "revisit"]
    assert len(revisits) == not_modified
    assert not any(http.get_statuscode() == "304" for kind, _, http in records if kind == "response")
    for revisit, http in revisits:
        original = responses[revisit.get_header("WARC-Refers-To")]
        assert revisit.get_header("WARC-Payload-Digest") == original.get_header("WARC-Payload-Digest")
        assert revisit.get_header("WARC-Refers-To-Target-URI") == original.get_header("WARC-Target-URI")
        assert http.get_statuscode() == "200"  # what a replay shows: the page, not an empty 304
    target = tmp_path / "copy"
    result = run_cli("import-warc", str(wacz), "--data-dir", str(target))
    assert result.returncode in (0, 1), result.stdout + result.stderr
    for sql in (REPORTS, METRICS, FETCHES):
        assert _rows(target, sql) == _rows(data, sql)
