"""One crawl over many workers through a real redis-server (``nianbao crawl --redis``), and
``nianbao merge`` of their shards: the same archive as a single process builds, though a
worker is SIGKILLed with requests in flight and Redis restarts mid-crawl."""

from __future__ import annotations

import json
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.helpers import FAST, ROOT, run_cli
from tests.mockportal import MockServer, demo_sites
from tests.mockportal.families.kit import cms_sites, run_crawl, write_sites_file
from tests.redis_server import RedisServer

pytestmark = pytest.mark.slow  # real crawls by several processes, a real redis-server

CONCURRENT_REQUESTS = 16  # crawler/settings.py: the most a worker has in flight
# Slow enough that a worker has requests in flight when it is killed; a short heartbeat TTL
# so that the survivors take its work over within seconds.
WORKER = [*FAST, "-s", "DOWNLOAD_DELAY=0.1", "-s", "NIANBAO_REDIS_TTL=3", "--concurrent-sites", "3", "-q"]


@pytest.fixture(scope="module")
def portals(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[MockServer, Path, Path]]:
    """Ten mock portals (five demo, one per CMS family) and a single-process crawl of them."""
    tmp = tmp_path_factory.mktemp("portals")
    sites = demo_sites() + cms_sites()
    sites_file = write_sites_file(tmp / "sites.yaml", sites)
    with MockServer(sites, direct=False) as server:
        reference = run_crawl(server, sites_file, tmp / "reference", timeout=300)
        assert reference.returncode in (0, 1), reference.stdout + reference.stderr
        yield server, sites_file, tmp / "reference"


def _worker(
    server: MockServer, sites_file: Path, url: str, shard: Path, *extra: str
) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "nianbao.cli", "crawl", "--sites", str(sites_file), "--redis", url]
    command += ["--data-dir", str(shard), *WORKER, *extra]
    return subprocess.Popen(
        command, cwd=ROOT, env=server.proxy_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )


@contextmanager
def _stopped_at_the_end(workers: list[subprocess.Popen[str]]) -> Iterator[list[subprocess.Popen[str]]]:
    """The workers, killed by PID if a failed assertion leaves any running."""
    try:
        yield workers
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.communicate(timeout=30)


def _fetches(shard: Path) -> int:
    try:
        db = sqlite3.connect(f"file:{shard / 'nianbao.db'}?mode=ro", uri=True, timeout=1)
        return db.execute("SELECT count(*) FROM fetches").fetchone()[0]
    except sqlite3.Error:
        return 0


def _wait_until(condition, timeout: float = 120) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def _archive(data_dir: Path) -> dict[str, Counter]:
    """What the crawl found, without ids or times: files, reports, metrics."""
    db = sqlite3.connect(data_dir / "nianbao.db")
    return {
        # The objects of reports (pages and attachments). A site whose lease moves to another
        # worker mid-crawl starts discovery afresh there and may look at a few more non-report
        # pages (within the discovery budget): those objects are allowed to differ.
        "files": Counter(
            db.execute(
                "SELECT DISTINCT f.sha256, f.size FROM files f JOIN report_files rf ON rf.sha256 = f.sha256"
            )
        ),
        "reports": Counter(
            db.execute("SELECT url, title, agency, year, published, era, sha256, is_report FROM reports")
        ),
        "metrics": Counter(
            db.execute(
                "SELECT r.url, m.key, m.value, m.raw, m.page, m.row, m.col "
                "FROM metrics m JOIN reports r ON r.id = m.report_id"
            )
        ),
        "report_files": Counter(
            db.execute(
                "SELECT r.url, f.sha256, f.role FROM report_files f JOIN reports r ON r.id = f.report_id"
            )
        ),
    }


def _query(data_dir: Path, sql: str) -> list[tuple]:
    return sqlite3.connect(data_dir / "nianbao.db").execute(sql).fetchall()


def _merge(target: Path, shards: list[Path]) -> subprocess.CompletedProcess[str]:
    return run_cli("merge", "--data-dir", str(target), *map(str, shards))


def _in_progress(server: RedisServer) -> int:
    client = server.client()
    return sum(client.hlen(key) for key in client.scan_iter("nianbao:wip:*"))


def test_three_workers_one_killed_merge_into_the_single_process_archive(
    portals: tuple[MockServer, Path, Path], tmp_path: Path
) -> None:
    server, sites_file, reference = portals
    served_before = len(server.requests)
    shards = [tmp_path / f"shard{i}" for i in range(3)]
    with (
        RedisServer(tmp_path / "redis") as redis_server,
        _stopped_at_the_end(
            [_worker(server, sites_file, redis_server.url, shard) for shard in shards]
        ) as workers,
    ):
        _wait_until(lambda: _fetches(shards[0]) >= 8)
        in_flight = _in_progress(redis_server)
        workers[0].send_signal(signal.SIGKILL)
        workers[0].wait(timeout=30)
        sites_total = redis_server.client().hlen("nianbao:sites")
        for worker in workers[1:]:
            output, _ = worker.communicate(timeout=300)
            # A worker leaves only when every site is done (not when it has nothing to lease).
            assert redis_server.client().hlen("nianbao:done") == sites_total, output
            assert worker.returncode in (0, 1), output
    assert in_flight > 0, "the killed worker had requests in flight"
    for shard in shards[1:]:  # each survivor left only once every site was done
        stats = json.loads(_query(shard, "SELECT stats FROM crawl_runs")[0][0])
        assert stats["crawl_sites_done"] == stats["crawl_sites"] == 10, stats

    single = Counter((n, m, p) for n, m, p in server.requests[:served_before] if not p.endswith("robots.txt"))
    shared = Counter((n, m, p) for n, m, p in server.requests[served_before:] if not p.endswith("robots.txt"))
    assert set(single) <= set(shared), f"never fetched: {sorted(set(single) - set(shared))[:5]}"
    extra = sum(max(0, shared[key] - single.get(key, 0)) for key in shared)
    assert extra <= CONCURRENT_REQUESTS, f"{extra} requests made twice: {(shared - single).most_common(5)}"

    merged = tmp_path / "merged"
    result = _merge(merged, shards)
    assert result.returncode in (0, 1), result.stdout + result.stderr
    assert _archive(merged) == _archive(reference)
    assert _query(merged, "SELECT name, status FROM sites ORDER BY name") == _query(
        reference, "SELECT name, status FROM sites ORDER BY name"
    )
    verify = run_cli("verify", "--data-dir", str(merged))
    assert verify.returncode == 0 and "0 missing, 0 changed" in verify.stdout, verify.stdout

    # Merging the same shards again changes nothing.
    again = _merge(merged, shards)
    assert again.returncode == 0 and "nothing new" in again.stdout, again.stdout
    assert _archive(merged) == _archive(reference)


def test_a_redis_restart_mid_crawl_and_the_crawl_completes(
    portals: tuple[MockServer, Path, Path], tmp_path: Path
) -> None:
    server, sites_file, reference = portals
    shards = [tmp_path / f"shard{i}" for i in range(2)]
    with (
        RedisServer(tmp_path / "redis") as redis_server,
        _stopped_at_the_end(
            [_worker(server, sites_file, redis_server.url, shard) for shard in shards]
        ) as workers,
    ):
        _wait_until(lambda: sum(_fetches(s) for s in shards) >= 10)
        assert all(worker.poll() is None for worker in workers), "restarted mid-crawl"
        redis_server.stop()  # its AOF holds the crawl
        time.sleep(0.5)
        redis_server.start()
        for worker in workers:
            output, _ = worker.communicate(timeout=300)
            assert worker.returncode in (0, 1), output
        assert redis_server.client().hlen("nianbao:done") == redis_server.client().hlen("nianbao:sites")
    merged = tmp_path / "merged"
    result = _merge(merged, shards)
    assert result.returncode in (0, 1), result.stdout + result.stderr
    assert _archive(merged) == _archive(reference)

    # The next scheduled crawl, on a fresh Redis: each shard starts as a copy of the merged
    # archive, so every site is revalidated wherever it lands, and the new ids are new.
    again = [tmp_path / f"next{i}" for i in range(2)]
    for shard in again:
        shutil.copytree(merged, shard)
    with (
        RedisServer(tmp_path / "redis-next") as redis_server,
        _stopped_at_the_end([_worker(server, sites_file, redis_server.url, s) for s in again]) as workers,
    ):
        for worker in workers:
            output, _ = worker.communicate(timeout=300)
            assert worker.returncode in (0, 1), output
    result = _merge(merged, again)
    assert result.returncode in (0, 1), result.stdout + result.stderr
    runs = [run for (run,) in _query(merged, "SELECT id FROM crawl_runs WHERE command = 'crawl' ORDER BY id")]
    assert len(runs) == 2
    changes = "SELECT sum(new_items), sum(changed_items) FROM site_runs WHERE run_id = "
    assert _query(merged, f"{changes}{runs[1]}") == [(0, 0)]
    moved = [_query(merged, f"SELECT sum(size) FROM fetches WHERE run_id = {run}")[0][0] for run in runs]
    assert moved[1] <= 0.05 * moved[0], f"revalidated, not downloaded again: {moved}"
    assert _archive(merged) == _archive(reference)


def test_a_worker_stops_with_exit_3_when_redis_stays_away(
    portals: tuple[MockServer, Path, Path], tmp_path: Path
) -> None:
    server, sites_file, _ = portals
    retry = ["-s", "NIANBAO_REDIS_RETRY=2"]
    with (
        RedisServer(tmp_path / "redis") as redis_server,
        _stopped_at_the_end([_worker(server, sites_file, redis_server.url, tmp_path / "shard", *retry)]) as (
            worker,
        ),
    ):
        _wait_until(lambda: _fetches(tmp_path / "shard") >= 3)
        redis_server.stop()
        output, _ = worker.communicate(timeout=120)
    assert worker.returncode == 3, output
    assert "Redis at redis://127.0.0.1" in output and "unreachable" in output
    verify = run_cli("verify", "--data-dir", str(tmp_path / "shard"))
    assert verify.returncode == 0, verify.stdout  # what it archived is whole


def test_a_shard_whose_objects_do_not_verify_is_refused(
    portals: tuple[MockServer, Path, Path], tmp_path: Path
) -> None:
    _, _, reference = portals
    shard = tmp_path / "shard"
    subprocess.run(["cp", "-a", str(reference), str(shard)], check=True)
    victim = next((shard / "objects").glob("??/??/*"))
    victim.write_bytes(victim.read_bytes() + b"tampered")
    result = _merge(tmp_path / "merged", [shard])
    assert result.returncode == 2
    assert f"changed objects/{victim.parent.parent.name}/{victim.parent.name}/{victim.name}" in result.stdout
    assert not (tmp_path / "merged" / "nianbao.db").exists() or not _archive(tmp_path / "merged")["files"]


def test_a_worker_stopped_by_sigterm_hands_its_sites_back_at_once(
    portals: tuple[MockServer, Path, Path], tmp_path: Path
) -> None:
    server, sites_file, _ = portals
    with (
        RedisServer(tmp_path / "redis") as redis_server,
        _stopped_at_the_end([_worker(server, sites_file, redis_server.url, tmp_path / "shard")]) as (worker,),
    ):
        _wait_until(lambda: _fetches(tmp_path / "shard") >= 5)
        worker.send_signal(signal.SIGTERM)
        output, _ = worker.communicate(timeout=120)
        client = redis_server.client()
        held = [*client.scan_iter("nianbao:lease:*"), *client.scan_iter("nianbao:wip:*")]
        workers, todo = client.scard("nianbao:workers"), client.llen("nianbao:todo")
    assert worker.returncode == 143, output  # SIGTERM (nianbao/exit_codes.py)
    assert held == [] and workers == 0, "no lease, no request in progress, no worker left"
    assert todo > 0, "the sites it had not finished wait for the next worker"
