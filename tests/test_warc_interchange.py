"""``nianbao export-warc`` / ``nianbao import-warc``: the archive as a standard WARC and back,
and other crawlers' WARCs (wget) into the archive.

Expected reports come from the mock portals' definitions (tests/mockportal/sites.py: titles,
attachment paths and bodies) and the seed texts they serve (seed 000: 政府网站公开政府信息数
4500).
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator
from warcio.warcwriter import WARCWriter

from archive import Archive, db_path
from archive.warc import RawHeaders
from nianbao.cli import main
from nianbao.export import export_warc
from nianbao.importwarc import import_warcs
from tests.helpers import run_cli
from tests.mockportal import MockServer
from tests.mockportal.sites import Site, demo_sites

WARCIO = Path(sys.executable).parent / "warcio"


@pytest.fixture(scope="module")
def exported(demo_archive: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("warc-out") / "demo-export.warc.gz"
    result = run_cli("export-warc", "--data-dir", str(demo_archive), "--out", str(out))
    assert result.returncode == 0, result.stdout + result.stderr
    return out


@pytest.fixture(scope="module")
def huancui_warcs(demo_archive: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One small site's fetches (an HTML report page and a .docx), gzipped and plain."""
    out = tmp_path_factory.mktemp("warc-huancui")
    archive = Archive(demo_archive, fsync=False)
    warcs = {"gz": out / "huancui.warc.gz", "plain": out / "huancui.warc"}
    for path in warcs.values():
        export_warc(archive, path, sites=["huancui"])
    return warcs


def _rows(data_dir: Path, sql: str) -> list[tuple]:
    return sqlite3.connect(db_path(data_dir)).execute(sql).fetchall()


def _site(name: str) -> Site:
    return next(s for s in demo_sites() if s.name == name)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# -- export ----------------------------------------------------------------------------------------
def test_exported_warc_passes_warcio_check_and_indexes(exported: Path) -> None:
    check = subprocess.run([str(WARCIO), "check", str(exported)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    index = subprocess.run([str(WARCIO), "index", str(exported)], capture_output=True, text=True)
    assert index.returncode == 0, index.stderr
    kinds = [json.loads(line)["warc-type"] for line in index.stdout.splitlines()]
    assert kinds[0] == "warcinfo"
    assert kinds.count("response") == kinds.count("metadata") - 1 == 44  # + the sites record


def test_every_fetch_is_a_valid_response_with_its_provenance(exported: Path, demo_archive: Path) -> None:
    responses: dict[str, tuple[str, int, bytes]] = {}
    metadata: dict[str, dict] = {}
    with exported.open("rb") as stream:
        for record in ArchiveIterator(stream):
            if record.rec_type == "response":
                http = record.http_headers
                body = record.content_stream().read()
                # The stored body is the decoded entity: its length, no transfer coding.
                assert http.get_header("Content-Length") == str(len(body))
                assert http.get_header("Transfer-Encoding") is None
                uri = record.rec_headers.get_header("WARC-Target-URI")
                responses[record.rec_headers.get_header("WARC-Record-ID")] = (
                    uri,
                    int(http.get_statuscode()),
                    body,
                )
            elif record.rec_type == "metadata" and record.content_type == "application/json":
                target = record.rec_headers.get_header("WARC-Concurrent-To")
                body = json.loads(record.content_stream().read())
                if body["kind"] == "fetch":
                    metadata[target] = body
    assert set(metadata) == set(responses)
    by_url = {meta["url"]: (meta, responses[rid]) for rid, meta in metadata.items()}

    # The weihai home page came gzipped (its recorded Content-Length is the wire size).
    home, (uri, status, body) = by_url["http://www.weihai.nianbao.test/"]
    assert int(home["headers"]["Content-Length"]) < len(body)
    assert body.startswith(b"<!DOCTYPE html>") and _sha(body) == home["sha256"]

    # A redirected fetch: the final response under the final URL, the metadata names the first.
    qufu = _site("qufu")
    jsp = "http://www.qufu.nianbao.test/attachment/download.jsp?fileid=20180131001"
    final = (
        "http://www.qufu.nianbao.test"
        + qufu.resources["/attachment/download.jsp?fileid=20180131001"].headers["Location"]
    )
    meta, (uri, status, body) = by_url[jsp]
    assert (uri, status, meta["final_url"], meta["role"]) == (final, 200, final, "attachment")
    assert body == qufu.resources[final.removeprefix("http://www.qufu.nianbao.test")].body
    assert meta["referer"] == "http://www.qufu.nianbao.test/zwgk/ndbg/201801/t20180131_4105.html"


# -- round trip -----------------------------------------------------------------------------------
REPORTS = "SELECT id, title, agency, year, published, url, sha256 FROM reports ORDER BY id"
METRICS = "SELECT report_id, key, value, raw FROM metrics ORDER BY report_id, key"
FETCHES = (
    "SELECT site, url, final_url, redirects, method, status, headers, fetched_at, referer, "
    "link_text, role, filename, size, sha256 FROM fetches ORDER BY id"
)


@pytest.mark.slow
def test_round_trip_gives_the_same_reports_metrics_and_fetches(
    exported: Path, demo_archive: Path, tmp_path: Path
) -> None:
    target = tmp_path / "copy"
    result = run_cli("import-warc", str(exported), "--data-dir", str(target))
    assert result.returncode in (0, 1), result.stdout + result.stderr  # 1: unparseable .doc/.xls
    assert "Traceback" not in result.stderr
    assert len(_rows(demo_archive, REPORTS)) >= 5
    assert _rows(target, REPORTS) == _rows(demo_archive, REPORTS)
    assert _rows(target, METRICS) == _rows(demo_archive, METRICS)
    assert _rows(target, FETCHES) == _rows(demo_archive, FETCHES)
    sites = "SELECT name, agency, region, start_urls FROM sites ORDER BY name"
    assert _rows(target, sites) == _rows(demo_archive, sites)
    assert _rows(target, "SELECT command FROM crawl_runs") == [("import",)]
    assert not _rows(target, "SELECT * FROM problems WHERE stage = 'import'")


def test_importing_again_stores_no_object_twice(huancui_warcs: dict[str, Path], tmp_path: Path) -> None:
    archive = Archive(tmp_path, fsync=False)
    first = import_warcs(archive, [huancui_warcs["gz"]])
    objects = archive.db["files"].count
    second = import_warcs(archive, [huancui_warcs["plain"]])
    assert first.stats["new_objects"] == objects > 5
    assert archive.db["reports"].count == 1
    assert second.stats["new_objects"] == 0
    assert archive.db["files"].count == objects
    assert sum(1 for _ in archive.store.iter_digests()) == objects
    assert archive.db["fetches"].count == 2 * first.stats["fetches"]


# -- other crawlers' WARCs -----------------------------------------------------------------------
@pytest.mark.slow
@pytest.mark.skipif(shutil.which("wget") is None, reason="wget is not installed")
def test_a_wget_warc_of_a_portal_yields_its_report(tmp_path: Path) -> None:
    site = _site("weihai")
    (expected,) = site.expected_reports
    pdf_path = next(a for a in expected.attachments if a.endswith(".pdf"))
    with MockServer([site], proxy=False) as server:
        base = server.base_url("weihai").rstrip("/")
        wget = subprocess.run(
            ["wget", "-r", "-l", "8", "-nv", "-P", str(tmp_path / "files"),
             "--warc-file", str(tmp_path / "wget"), base + "/"],
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
    assert (tmp_path / "wget.warc.gz").exists(), wget.stderr[-2000:]

    data_dir = tmp_path / "data"
    result = run_cli(
        "import-warc", str(tmp_path / "wget.warc.gz"), "--data-dir", str(data_dir), "--site", "weihai"
    )
    assert result.returncode in (0, 1), result.stdout + result.stderr
    reports = _rows(data_dir, "SELECT id, title, year, url, site FROM reports")
    assert [(r[1], r[2], r[3], r[4]) for r in reports] == [
        (expected.title, expected.year, base + expected.path, "weihai")
    ]
    report_id = reports[0][0]
    files = {
        r[0] for r in _rows(data_dir, f"SELECT sha256 FROM report_files WHERE report_id = '{report_id}'")
    }
    assert _sha(site.resources[pdf_path].body) in files
    roles = dict(_rows(data_dir, "SELECT url, role FROM fetches WHERE role IN ('report', 'attachment')"))
    assert roles == {base + expected.path: "report", **{base + a: "attachment" for a in expected.attachments}}
    website = _rows(data_dir, "SELECT value FROM metrics WHERE key = 'legacy.channels.website'")
    assert website == [(4500.0,)]  # seed 000: 政府网站公开政府信息数 4500


def _wget_style_warc(path: Path, site: Site, paths: list[str]) -> None:
    """Request and response records as wget writes them: wire bytes (gzip, chunked), no metadata.
    Headers are written as raw bytes (a GBK Content-Disposition stays GBK)."""
    with path.open("wb") as out:
        writer = WARCWriter(out, gzip=True)
        writer.write_record(writer.create_warcinfo_record(path.name, {"software": "Wget/1.21.3"}))
        for target in paths:
            resource = site.resources[target]
            url = f"http://{site.host}{target}"
            headers = [("Content-Type", resource.content_type), *resource.headers.items()]
            body = resource.body
            if resource.content_type.startswith("text/html") and resource.status == 200:
                body = _chunked(gzip.compress(body))
                headers += [("Content-Encoding", "gzip"), ("Transfer-Encoding", "chunked")]
            else:
                headers.append(("Content-Length", str(len(body))))
            request = writer.create_warc_record(
                url,
                "request",
                payload=io.BytesIO(b""),
                http_headers=RawHeaders(
                    f"GET {target} HTTP/1.1", [("Host", site.host)], is_http_request=True
                ),
            )
            response = writer.create_warc_record(
                url,
                "response",
                payload=io.BytesIO(body),
                http_headers=RawHeaders(f"{resource.status} X", headers, protocol="HTTP/1.1"),
                warc_headers_dict={"WARC-Concurrent-To": request.rec_headers.get_header("WARC-Record-ID")},
            )
            writer.write_record(request)
            writer.write_record(response)
        log = b"wget log: not ours"
        writer.write_record(
            writer.create_warc_record(
                "metadata://gnu.org/software/wget/warc/wget.log",
                "resource",
                payload=io.BytesIO(log),
                length=len(log),
                warc_content_type="text/plain",
            )
        )


def _chunked(data: bytes, size: int = 1000) -> bytes:
    parts = [
        b"%x\r\n%s\r\n" % (len(data[i : i + size]), data[i : i + size]) for i in range(0, len(data), size)
    ]
    return b"".join(parts) + b"0\r\n\r\n"


@pytest.mark.slow
def test_a_foreign_warc_is_decoded_and_roles_follow_links_and_redirects(tmp_path: Path) -> None:
    site = _site("qufu")
    (expected,) = site.expected_reports
    jsp, doc = expected.attachments
    docx = site.resources[jsp].headers["Location"]  # download.jsp answers 302 → the .docx
    warc = tmp_path / "foreign.warc.gz"
    listing = "/zwgk/ndbg/index_1.html"  # the list page that links the report
    _wget_style_warc(warc, site, [listing, expected.path, jsp, docx, doc])

    archive = Archive(tmp_path / "data", fsync=False)
    result = import_warcs(archive, [warc])  # no --site: the host name is the site
    assert not _rows(tmp_path / "data", "SELECT message FROM problems WHERE stage = 'import'")
    base = f"http://{site.host}"
    (report,) = archive.db.query("SELECT * FROM reports")
    assert (report["title"], report["year"], report["url"], report["site"]) == (
        expected.title,
        expected.year,
        base + expected.path,
        site.host,
    )
    assert archive.db["sites"].get(site.host)["name"] == site.host
    fetches = {row["url"]: row for row in archive.db.query("SELECT * FROM fetches WHERE status = 200")}
    page = fetches[base + expected.path]
    # Stored decoded: the page as the server has it, and headers that say so.
    assert page["sha256"] == _sha(site.resources[expected.path].body)
    assert "Content-Encoding" not in json.loads(page["headers"])
    assert (page["role"], page["referer"], page["link_text"]) == ("report", base + listing, expected.title)
    assert fetches[base + listing]["role"] == "page"
    attachment = fetches[base + jsp]
    assert (attachment["role"], attachment["final_url"], json.loads(attachment["redirects"])) == (
        "attachment",
        base + docx,
        [base + docx],
    )
    assert attachment["referer"] == base + expected.path
    assert attachment["sha256"] == _sha(site.resources[docx].body)
    assert fetches[base + doc]["filename"] == "便签--对市十八届人大一次会议第74号建议的答复.doc"
    sources = {r["sha256"] for r in archive.db.query("SELECT sha256 FROM report_files")}
    assert _sha(site.resources[docx].body) in sources
    assert result.stats["fetches"] == 5


# -- damaged input --------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["gz", "plain"])
def test_a_truncated_warc_is_a_problem_not_a_crash(
    huancui_warcs: dict[str, Path], tmp_path: Path, kind: str
) -> None:
    whole = huancui_warcs[kind]
    site = _site("huancui")
    (expected,) = site.expected_reports
    docx = f"http://{site.host}{expected.attachments[0]}"
    with whole.open("rb") as stream:
        records = ArchiveIterator(stream)
        offset = next(
            records.offset
            for r in records
            if r.rec_type == "response" and r.rec_headers.get_header("WARC-Target-URI") == docx
        )
    cut = tmp_path / ("cut-" + whole.name)
    cut.write_bytes(whole.read_bytes()[: offset + 6000])  # the .docx is 12659 bytes

    archive = Archive(tmp_path / "data", fsync=False)
    result = import_warcs(archive, [cut])
    assert result.exit_code == 1
    problems = [r["message"] for r in archive.db.query("SELECT message FROM problems WHERE stage = 'import'")]
    assert len(problems) == 1
    assert problems[0].startswith(f"{cut.name}, record at byte {offset}")
    urls = {r["url"] for r in archive.db.query("SELECT url FROM fetches")}
    assert f"http://{site.host}{expected.path}" in urls  # what came before the cut is in
    assert docx not in urls  # no fetch, and no partial object, for the cut record
    assert archive.db["files"].count_where("size >= 6000 AND size < 12659") == 0
    assert archive.store.tmp.exists() and not list(archive.store.tmp.iterdir())


def test_a_file_that_is_no_warc_does_not_stop_the_others(
    huancui_warcs: dict[str, Path], tmp_path: Path
) -> None:
    junk = tmp_path / "junk.warc"
    junk.write_bytes(b"this is not a WARC file\n" * 100)
    archive = Archive(tmp_path / "data", fsync=False)
    result = import_warcs(archive, [junk, huancui_warcs["gz"]])
    (problem,) = archive.db.query("SELECT message FROM problems WHERE stage = 'import'")
    assert (
        problem["message"]
        == "junk.warc, record at byte 0: not a WARC file (it starts with b'this is not a WA')"
    )
    assert result.stats["fetches"] > 5 and archive.db["reports"].count == 1
    assert result.exit_code == 1


def test_import_warc_refuses_missing_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["import-warc", str(tmp_path / "nope.warc.gz"), "--data-dir", str(tmp_path / "d")]) == 2
    assert "no such file" in capsys.readouterr().err
    assert not (tmp_path / "d").exists()


def test_a_revalidated_fetch_round_trips_and_run_selects(tmp_path: Path) -> None:
    source = Archive(tmp_path / "source", fsync=False)
    body = "<html><head><title>某市2019年政府信息公开工作年度报告</title></head></html>".encode()
    sha, _ = source.store_body(body, media_type="text/html")
    url = "http://www.example.test/a.html"
    headers = {"Content-Type": "text/html; charset=utf-8", "Content-Encoding": "gzip", "Content-Length": "9"}
    for status in (200, 304):  # the second run's conditional GET confirmed the first run's body
        run = source.start_run("crawl", mode="live", sites=["example"])
        source.record_fetch(
            run_id=run, url=url, site="example", final_url=url, status=status, role="report",
            headers={k: v for k, v in headers.items() if k != "Content-Encoding" or status == 304},
            size=0 if status == 304 else len(body), sha256=sha,
        )  # fmt: skip
    warc = tmp_path / "all.warc"
    export_warc(source, warc)
    with warc.open("rb") as stream:
        records = [
            (r.rec_type, r.rec_headers, int(r.http_headers.get_statuscode()), r.content_stream().read())
            for r in ArchiveIterator(stream)
            if r.rec_type in ("response", "revisit")
        ]
    # The 304 is a revisit of the first capture (not a bodiless 304 a replay would show as
    # an empty page): same payload digest, pointing at it by record id, URI and date.
    (kind, first, status, content), (revisit_kind, revisit, revisit_status, _) = records
    assert (kind, status, content) == ("response", 200, body)
    assert (revisit_kind, revisit_status) == ("revisit", 200)
    assert revisit.get_header("WARC-Profile").endswith("/revisit/identical-payload-digest")
    assert revisit.get_header("WARC-Refers-To") == first.get_header("WARC-Record-ID")
    assert revisit.get_header("WARC-Refers-To-Target-URI") == url
    assert revisit.get_header("WARC-Refers-To-Date") == first.get_header("WARC-Date")
    assert revisit.get_header("WARC-Payload-Digest") == first.get_header("WARC-Payload-Digest")

    target = Archive(tmp_path / "target", fsync=False)
    import_warcs(target, [warc])
    columns = "url, status, role, headers, size, sha256, fetched_at"
    assert list(target.db.query(f"SELECT {columns} FROM fetches")) == list(
        source.db.query(f"SELECT {columns} FROM fetches")
    )

    only_second = tmp_path / "run2.warc"
    assert export_warc(source, only_second, runs=[2]).fetches == 1
