"""The command line as users meet it: exit statuses, verify, and Scrapy's own CLI (reparse is
tested in test_parse_stage.py)."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from archive import db_path
from tests.helpers import ROOT, run_cli

pytestmark = pytest.mark.slow  # real crawls or CLI runs in subprocesses


def test_a_bad_sites_file_stops_the_run_before_anything_is_fetched(tmp_path: Path) -> None:
    sites = tmp_path / "sites.yaml"
    sites.write_text("- name: good\n  start_urls: [http://a.test/]\n- name: bad\n  start_urls: [nope]\n")
    result = run_cli("crawl", "--sites", str(sites), "--data-dir", str(tmp_path / "d"))
    assert result.returncode == 2
    assert "site 'bad': field 'start_urls': not an http(s) URL: 'nope'" in result.stdout
    assert not (tmp_path / "d").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["crawl", "-s", "NODELAY"], "-s expects NAME=VALUE"),
        (["crawl", "--sites", "sites.yaml", "--site", "atlantis"], "unknown site(s): atlantis"),
        (["crawl", "--replay", "no-such.warc.gz"], "cassette not found: no-such.warc.gz"),
        (["crawl"], "no sites file: give --sites FILE"),
        (["crawl", "--sites", "sites.yaml", "--contact", "call me"], "neither an http(s) URL nor an e-mail"),
        (["reparse", "--since", "yesterday"], "argument --since: not an ISO date (YYYY-MM-DD): 'yesterday'"),
        (["reparse", "--format", "foo"], "argument --format: unknown format 'foo'"),
        (["reparse", "--workers", "0"], "argument --workers: not a positive whole number"),
        (["status", "--colour"], "unrecognized arguments: --colour"),
    ],
)
def test_unusable_arguments_exit_2_with_a_reason(tmp_path: Path, args: list[str], message: str) -> None:
    result = run_cli(*args, "--data-dir", str(tmp_path / "d"))
    assert result.returncode == 2
    output = (result.stdout + result.stderr).strip()
    assert message in output
    assert len(output.splitlines()) == 1, output  # one line: the reason, not a usage screen
    assert not (tmp_path / "d" / "nianbao.db").exists()  # nothing was started


def test_version() -> None:
    from nianbao import __version__

    result = run_cli("--version")
    assert (result.returncode, result.stdout.strip()) == (0, f"nianbao {__version__}")


def test_status_and_verify_need_an_archive(tmp_path: Path) -> None:
    for command in ("status", "verify", "reparse"):
        result = run_cli(command, "--data-dir", str(tmp_path / "empty"))
        assert result.returncode == 2
        assert "no archive at" in result.stdout


def test_verify_names_changed_and_missing_objects(demo_archive: Path, tmp_path: Path) -> None:
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(demo_archive, copy)
    db = sqlite3.connect(db_path(copy))
    (_, changed_path), (_, missing_path) = db.execute(
        "SELECT sha256, path FROM files ORDER BY sha256 LIMIT 2"
    ).fetchall()
    (copy / changed_path).write_bytes(b"tampered")
    (copy / missing_path).unlink()
    result = run_cli("verify", "--data-dir", str(copy))
    assert result.returncode == 1
    assert f"changed {changed_path}" in result.stdout
    assert f"missing {missing_path}" in result.stdout


def test_crawl_verify_reports_a_changed_object_before_ending_with_the_browse_line(demo_copy: Path) -> None:
    """What `make demo` runs: the crawl re-hashes the archive before its summary, so the summary
    and the browse line stay last, and a damaged object makes the exit status say so."""
    db = sqlite3.connect(db_path(demo_copy))
    (changed_path,) = db.execute("SELECT path FROM files ORDER BY sha256 LIMIT 1").fetchone()
    db.close()
    (demo_copy / changed_path).write_bytes(b"tampered")
    demo = ROOT / "cassettes" / "demo.warc.gz"
    result = run_cli("crawl", "--replay", str(demo), "--verify", "--data-dir", str(demo_copy))
    lines = result.stdout.strip().splitlines()
    assert result.returncode == 1, result.stdout
    assert any(line.startswith(f"changed {changed_path}") for line in lines), result.stdout
    verified = next(i for i, line in enumerate(lines) if line.startswith("verified "))
    assert "1 changed" in lines[verified]
    assert lines[-1].startswith("Browse the result: nianbao serve"), result.stdout
    assert verified < len(lines) - 1


def test_scrapy_cli_works_from_the_repository_root() -> None:
    listed = subprocess.run(
        [sys.executable, "-m", "scrapy", "list"], cwd=ROOT, capture_output=True, text=True
    )
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.split() == ["annual_reports"]


def test_the_sites_table_after_a_run_of_many_sites_is_bounded_and_puts_trouble_first(tmp_path: Path) -> None:
    from archive import Archive
    from nianbao import cli

    archive = Archive(tmp_path / "d")
    run = archive.start_run("crawl", mode="live", sites=[])
    count = cli.SITE_ROWS + 20
    for n in range(count):
        archive.upsert_site(f"s{n:03d}", start_urls=[f"http://s{n}.test/"])
        archive.record_site_run(run, f"s{n:03d}", status="failed" if n == count - 1 else "ok")
    with cli.console.capture() as captured:
        cli._print_site_runs(archive, run)
    listed = [line.split()[1] for line in captured.get().splitlines() if " s0" in line]
    assert len(listed) == cli.SITE_ROWS and listed[0] == f"s{count - 1:03d}"  # the failed one, first
    assert "… and 20 more sites" in captured.get()
