"""What many test modules share: the demo archive built once, and the rules that let the suite
run in parallel (``pytest -n 2``, as ``make test`` does).

- :func:`demo_archive` replays ``cassettes/demo.warc.gz`` with the real CLI once per test run:
  the first xdist worker to ask builds it under a file lock, the others reuse it. It is shared,
  so only read it; :func:`demo_copy` gives a test its own copy to change.
- A test module with a module-scoped fixture (a crawl, a server, a browser) goes to one xdist
  worker whole, so the fixture is built once; every other test goes wherever a worker is free
  (:func:`pytest_xdist_make_scheduler`).
- The longest tests start first (:data:`LONG_FIRST`, then every other ``slow`` one), so that at
  the end both workers share out short tests rather than one long test running alone
  (:func:`pytest_collection_modifyitems`).
- Servers and subprocesses a test starts are stopped by the test (see
  ``tests.helpers.background``); a child process still alive when a worker's tests are done
  is killed and reported as an error, so none outlives the run.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import json
import os
import re
import signal
import sqlite3
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from filelock import FileLock

from archive import db_path
from tests.helpers import ROOT, Crawl, ServedLog, can_unshare_network, copy_archive, run_cli
from tests.mockportal import MockServer

DEMO_CASSETTE = ROOT / "cassettes" / "demo.warc.gz"


# --------------------------------------------------------------------------- the demo archive


def shared_dir(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Path:
    """A directory all xdist workers of this run share (the run's own base temp dir)."""
    base = tmp_path_factory.getbasetemp()
    return base if worker_id == "master" else base.parent


def build_once(directory: Path, build: Callable[[Path], dict]) -> dict:
    """Run ``build(directory)`` once per test run across all workers; it returns a JSON-able
    result that every caller gets. A failed build is re-raised to every caller, not retried
    by each of them."""
    done = directory.with_name(directory.name + ".json")
    with FileLock(str(directory.with_name(directory.name + ".lock"))):
        if not done.exists():
            directory.mkdir(parents=True, exist_ok=True)
            try:
                outcome = {"ok": True, "result": build(directory)}
            except Exception as exc:  # remembered, so the other worker fails the same way
                outcome = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
            done.write_text(json.dumps(outcome), encoding="utf-8")
        outcome = json.loads(done.read_text(encoding="utf-8"))
    if not outcome["ok"]:
        pytest.fail(f"building {directory.name} failed: {outcome['error']}", pytrace=False)
    return outcome["result"]


def _replay_demo(directory: Path) -> dict:
    data_dir = directory / "data"
    command = ["crawl", "--replay", str(DEMO_CASSETTE), "--data-dir", str(data_dir), "-q"]
    result = run_cli(*command, no_network=can_unshare_network())  # replay needs no network
    if result.returncode not in (0, 1):
        raise RuntimeError(f"demo replay exited {result.returncode}: {result.stdout}{result.stderr}")
    return {"data_dir": str(data_dir), "exit_code": result.returncode}


@pytest.fixture(scope="session")
def demo_archive(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Path:
    """The data dir of ``nianbao crawl --replay cassettes/demo.warc.gz`` (exit 0 or 1), run
    without any network interface where ``unshare`` is allowed, built once per run and shared
    by every worker: read it, never change it (use ``demo_copy``)."""
    built = build_once(shared_dir(tmp_path_factory, worker_id) / "demo-archive", _replay_demo)
    return Path(built["data_dir"])


@pytest.fixture
def demo_copy(demo_archive: Path, tmp_path: Path) -> Path:
    """A private copy of the demo archive's data dir, free to change."""
    return copy_archive(demo_archive, tmp_path / "demo")


def _crawl_cms_families(directory: Path) -> dict:
    from tests.mockportal.families.kit import cms_sites, run_crawl, write_sites_file

    sites = cms_sites()
    sites_file = write_sites_file(directory / "sites.yaml", sites)
    with MockServer(sites, direct=False) as server:
        result = run_crawl(server, sites_file, directory / "data", timeout=300)
    return {
        "data_dir": str(directory / "data"),
        "exit_code": result.returncode,
        "output": result.stdout + result.stderr,
        "requests": server.requests,
        "posts": [(site, path, base64.b64encode(form).decode()) for site, path, form in server.posts],
    }


@pytest.fixture(scope="session")
def cms_crawl(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Iterator[Crawl]:
    """One ``nianbao crawl`` of the mock site of every CMS family (TRS, Fujian TRS, Ucap,
    gkmlpt, ASP.NET) through the mock proxy, made once per run and shared by every worker
    with the server's request log. ``cms_crawl.only(name)`` is one family's view. Read only."""
    from tests.mockportal.families.kit import cms_sites

    built = build_once(shared_dir(tmp_path_factory, worker_id) / "cms-crawl", _crawl_cms_families)
    log = ServedLog(
        [tuple(r) for r in built["requests"]],
        [(site, path, base64.b64decode(form)) for site, path, form in built["posts"]],
    )
    db = sqlite3.connect(db_path(built["data_dir"]))
    db.row_factory = sqlite3.Row
    try:
        yield Crawl(log, cms_sites(), Path(built["data_dir"]), db, built["exit_code"], built["output"])
    finally:
        db.close()


# --------------------------------------------------------------------------- parallel runs


SLOW_FIXTURES = {"demo_archive", "cms_crawl"}  # a crawl each (once per run, but seconds)


def pytest_itemcollected(item: pytest.Item) -> None:
    """A test of a module-scoped fixture (there because it is expensive: a crawl, a server, a
    browser, LibreOffice or OCR runs) or of a shared crawl is ``slow``."""
    info = getattr(item, "_fixtureinfo", None)
    if info is None:
        return
    module_scoped = any(
        (defs := info.name2fixturedefs.get(name)) and defs[-1].scope == "module"
        for name in info.names_closure
    )
    if module_scoped or SLOW_FIXTURES & set(info.names_closure):
        item.add_marker(pytest.mark.slow)


# The longest tests and modules (tens of seconds each under ``make test``; ``--durations``),
# longest first. Only the order of the run depends on this list: a stale entry costs time.
LONG_FIRST = (
    "tests/test_redis_crawl.py",
    "tests/test_scans.py",
    "tests/test_wacz.py",
    "tests/test_bench_smoke.py",
    "tests/test_site_pool.py",
    "tests/test_incremental.py::test_a_crawl_killed_with_sigkill",
    "tests/test_surfaces_cli.py",
    "tests/test_discovery_generated.py::test_generated_portals",
    "tests/test_parse_stage.py::test_the_parse_stage_memory",
    "tests/test_ocr.py",
    "tests/test_ocr_pages.py",
    "tests/test_hostile.py",
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The tests of :data:`LONG_FIRST` first, in its order, then the other ``slow`` ones, then
    the rest, each group in collection order. A module with a module-scoped fixture moves as
    one block (its fixture is made once, with or without xdist). Every xdist worker sorts its
    collection the same way, and the scheduler hands tests out in this order."""

    def rank(item: pytest.Item) -> int:
        for place, prefix in enumerate(LONG_FIRST):
            if item.nodeid.startswith(prefix):
                return place
        return len(LONG_FIRST) + (item.get_closest_marker("slow") is None)

    def module(item: pytest.Item) -> str:
        return item.nodeid.split("::", 1)[0]

    ranks = {id(item): rank(item) for item in items}
    block: dict[str, int] = {}
    for item in items:
        if _has_module_fixture(config.rootpath / module(item)):
            block[module(item)] = min(block.get(module(item), ranks[id(item)]), ranks[id(item)])
    items.sort(key=lambda item: block.get(module(item), ranks[id(item)]))


def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object:
    """Hand out tests one by one in the collection's order (longest first, above), except that
    a test module with a module-scoped fixture goes to one worker whole, so the fixture is made
    once. (xdist's own ``loadgroup`` cannot group under pytest 9: it renames node ids through an
    attribute pytest no longer reads.)"""
    from xdist.scheduler import LoadScopeScheduling

    config.option.loadscopereorder = False  # xdist would put the modules with most tests first

    class ModuleFixtureScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            path = nodeid.split("::", 1)[0]
            return path if _has_module_fixture(config.rootpath / path) else nodeid

    return ModuleFixtureScheduling(config, log)


@functools.cache
def _has_module_fixture(path: Path) -> bool:
    try:
        return _MODULE_FIXTURE.search(path.read_text(encoding="utf-8")) is not None
    except (OSError, UnicodeDecodeError):
        return False


_MODULE_FIXTURE = re.compile(r"@pytest\.fixture\(\s*scope=[\"']module[\"']")


# Python's own helpers, started once per process by multiprocessing and ended with it.
_PROCESS_HELPERS = ("multiprocessing.forkserver", "multiprocessing.resource_tracker")


def _children() -> list[int]:
    """Process ids of this process's live children (Linux ``/proc``), multiprocessing's
    helpers left out."""
    found = []
    for task in Path(f"/proc/{os.getpid()}/task").glob("*"):
        try:
            found += [int(pid) for pid in (task / "children").read_text().split()]
        except OSError:
            continue
    return [
        pid for pid in found if not _is_zombie(pid) and not any(h in _command(pid) for h in _PROCESS_HELPERS)
    ]


def _is_zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return True  # gone


def _command(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return "?"


@pytest.fixture(scope="session", autouse=True)
def no_process_outlives_the_tests() -> Iterator[None]:
    """After a worker's last test (and every fixture's teardown), kill any child process the
    tests left running and fail for it (an error in that last test's teardown)."""
    yield
    if not Path("/proc").is_dir():
        return
    deadline = time.monotonic() + 5  # a browser or server being stopped may take a moment
    while _children() and time.monotonic() < deadline:
        time.sleep(0.1)
    leftovers = [(pid, _command(pid)) for pid in _children()]
    for pid, _ in leftovers:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    assert not leftovers, "processes left running, now killed: " + "; ".join(
        f"{pid}: {cmd[:200]}" for pid, cmd in leftovers
    )


@pytest.fixture(scope="session")
def worker_id(request: pytest.FixtureRequest) -> str:
    """xdist's worker id ("gw0", …), or "master" without xdist (xdist provides the same
    fixture; this one also works with ``-p no:xdist``)."""
    workerinput = getattr(request.config, "workerinput", None)
    return workerinput["workerid"] if workerinput else "master"
