"""WARC cassettes: record a crawl of the mock portals, replay it with no network at all."""

from __future__ import annotations

import sqlite3
import zlib
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from archive import db_path
from tests.helpers import ROOT, can_unshare_network, run_cli
from tests.record_demo_cassette import record

pytestmark = pytest.mark.slow  # real crawls or CLI runs in subprocesses

NO_NETWORK = can_unshare_network()


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    tmp = tmp_path_factory.mktemp("cassette")
    cassette, data_dir = tmp / "demo.warc.gz", tmp / "live"
    result = record(cassette, data_dir=data_dir)
    assert result.returncode in (0, 1), result.stderr
    return cassette, data_dir


def _gzip_members(data: bytes) -> list[bytes]:
    """The decompressed members of a multi-member gzip file, one by one."""
    members = []
    while data:
        member = zlib.decompressobj(wbits=31)  # 31: gzip framing
        members.append(member.decompress(data))
        assert member.eof, "truncated gzip member"
        data = member.unused_data
    return members


def _assert_gzip_per_record(cassette: Path) -> None:
    """A ``.warc.gz`` as warcio writes it: a gzip member per WARC record, read back by warcio."""
    data = cassette.read_bytes()
    assert data[:2] == b"\x1f\x8b", f"{cassette.name} is not gzip"
    members = _gzip_members(data)
    assert all(m.startswith(b"WARC/1.0\r\n") and m.count(b"\r\nWARC-Type: ") == 1 for m in members)
    with cassette.open("rb") as stream:
        payloads = [record_.content_stream().read() for record_ in ArchiveIterator(stream)]
    assert len(payloads) == len(members) > 20


def _reports(data_dir: Path) -> set[tuple]:
    db = sqlite3.connect(db_path(data_dir))
    return set(db.execute("SELECT url, title, agency, year, published, sha256 FROM reports"))


def _kept(data_dir: Path) -> set[tuple]:
    db = sqlite3.connect(db_path(data_dir))
    return set(db.execute("SELECT url, final_url, status, role, sha256 FROM fetches"))


def test_cassette_is_a_standard_warc_with_requests_and_responses(recorded: tuple[Path, Path]) -> None:
    cassette, _ = recorded
    kinds: dict[str, int] = {}
    with cassette.open("rb") as stream:
        for record_ in ArchiveIterator(stream):
            kinds[record_.rec_type] = kinds.get(record_.rec_type, 0) + 1
            assert record_.rec_headers.get_header("WARC-Target-URI").startswith("http://www.")
    assert kinds.get("request") == kinds.get("response") > 20


def test_a_warc_gz_cassette_is_recorded_gzipped(recorded: tuple[Path, Path]) -> None:
    cassette, _ = recorded
    _assert_gzip_per_record(cassette)
    assert list(cassette.parent.glob("*partial*")) == []


@pytest.mark.parametrize("name", ["demo", "hanweb", "trs"])
def test_bundled_cassettes_are_gzipped(name: str) -> None:
    _assert_gzip_per_record(ROOT / "cassettes" / f"{name}.warc.gz")


@pytest.mark.skipif(
    not NO_NETWORK,
    reason="unshare --net is not permitted here; replay is still "
    "covered by test_replay_answers_only_from_the_cassette",
)
def test_replay_without_any_network_reproduces_the_live_crawl(
    recorded: tuple[Path, Path], tmp_path: Path
) -> None:
    cassette, live = recorded
    result = run_cli("crawl", "--replay", str(cassette), "--data-dir", str(tmp_path), no_network=True)
    assert result.returncode in (0, 1), result.stderr
    assert _reports(tmp_path) == _reports(live)
    assert _kept(tmp_path) == _kept(live)
    assert len(_reports(live)) >= 5


def test_replay_answers_only_from_the_cassette(recorded: tuple[Path, Path], tmp_path: Path) -> None:
    cassette, _ = recorded
    sites = tmp_path / "sites.yaml"
    sites.write_text("- name: elsewhere\n  start_urls: [http://www.elsewhere.nianbao.test/]\n")
    result = run_cli(
        "crawl", "--sites", str(sites), "--replay", str(cassette), "--data-dir", str(tmp_path / "d")
    )
    assert result.returncode == 1
    db = sqlite3.connect(db_path(tmp_path / "d"))
    messages = [row[0] for row in db.execute("SELECT message FROM problems")]
    assert "NotInCassette: not in cassette: GET http://www.elsewhere.nianbao.test/" in messages


def test_bundled_demo_cassette_replays_offline(demo_archive: Path) -> None:
    """The shared demo archive is that replay, run without any network where unshare is allowed
    (tests/conftest.py)."""
    db = sqlite3.connect(db_path(demo_archive))
    sites_with_reports = db.execute("SELECT count(DISTINCT site) FROM reports").fetchone()[0]
    assert sites_with_reports >= 3
    assert run_cli("verify", "--data-dir", str(demo_archive)).returncode == 0
