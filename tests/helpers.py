"""Shared test helpers: run the real CLI in a subprocess, run a server in the background and
always stop it, crawl mock portals with the CLI and check what the crawl archived, and compare a
parsed Document's text with a seed's expected text."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, replace
from difflib import SequenceMatcher
from pathlib import Path
from urllib.parse import urljoin

import yaml

from archive import db_path
from parsers.document import Block, Document
from tests.mockportal import MockServer, Site

ROOT = Path(__file__).resolve().parent.parent
FAST = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=0"]


def run_cli(
    *args: str,
    env: dict[str, str] | None = None,
    no_network: bool = False,
    timeout: float = 300,
    peak_rss_to: Path | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run ``nianbao ARGS`` as a user would; ``no_network`` runs it without any network
    interface at all (a fresh network namespace), so a network access would fail.
    ``peak_rss_to``: write the peak RSS (MB) of the command's own process tree to this file."""
    command = [sys.executable, "-m", "nianbao.cli", *args]
    if peak_rss_to is not None:
        command = [sys.executable, "-c", _MEASURE_PEAK_RSS, str(peak_rss_to), *command]
    if no_network:
        command = ["unshare", "--map-root-user", "--net", *command]
    full_env = {**os.environ, **(env or {})}
    for proxy in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY"):
        if env is None or proxy not in env:
            full_env.pop(proxy, None)
    return subprocess.run(command, capture_output=True, text=True, cwd=ROOT, env=full_env, timeout=timeout)


# A launcher of its own, so the peak is of this command's processes only: a test process's
# RUSAGE_CHILDREN also counts every child an earlier test left (a browser, LibreOffice …).
_MEASURE_PEAK_RSS = (
    "import resource, subprocess, sys; code = subprocess.call(sys.argv[2:]); "
    "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024; "
    "open(sys.argv[1], 'w').write(str(peak)); sys.exit(code)"
)


def peak_rss_mb(path: Path) -> float:
    return float(path.read_text())


def can_unshare_network() -> bool:
    if not shutil.which("unshare"):
        return False
    probe = subprocess.run(["unshare", "--map-root-user", "--net", "true"], capture_output=True)
    return probe.returncode == 0


def copy_archive(data_dir: Path, target: Path) -> Path:
    """Copy a data dir whose database no process is writing (so the copy is consistent)."""
    shutil.copytree(data_dir, target, ignore=shutil.ignore_patterns(".lock", "frontier"))
    return target


# --------------------------------------------------------------------------- background processes


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def background(
    command: list[str],
    log: Path,
    *,
    env: dict[str, str] | None = None,
    stop_signal: int = signal.SIGTERM,
    grace: float = 10,
) -> Iterator[subprocess.Popen[bytes]]:
    """Run ``command`` (a server) in its own process group, output to ``log``, for the block
    (``env``: its whole environment; None inherits this one).

    Leaving the block, even by an exception, sends ``stop_signal`` to the whole group, then
    SIGKILL after ``grace`` seconds, and SIGKILL to whatever of the group is left (a child the
    command started): nothing outlives the test. ``returncode`` is the command's own answer to
    ``stop_signal``, unless it had to be killed.
    """
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=out,
            stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    try:
        yield process
    finally:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, stop_signal)
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            with suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)


def wait_until(
    ready: Callable[[], bool], process: subprocess.Popen[bytes], log: Path, timeout: float = 60
) -> None:
    """Poll ``ready()`` until it holds; fail with the log if the process exits or time runs out."""
    deadline = time.monotonic() + timeout
    while not ready():
        if process.poll() is not None:
            problem = f"exited {process.returncode}"
        elif time.monotonic() > deadline:
            problem = f"not ready after {timeout} s"
        else:
            time.sleep(0.1)
            continue
        raise AssertionError(
            f"{' '.join(map(str, process.args))}: {problem}\n{log.read_text(errors='replace')}"
        )


def sites_yaml_for(path: Path, sites: list, base_url: Callable[[str], str]) -> Path:
    """A sites file pointing at mock portals served directly on 127.0.0.1 ports."""
    entries = [{"name": s.name, "start_urls": [base_url(s.name)], "agency": s.agency} for s in sites]
    path.write_text(yaml.safe_dump(entries, allow_unicode=True), encoding="utf-8")
    return path


# --------------------------------------------------------------------------- crawls


@dataclass
class ServedLog:
    """What a :class:`MockServer` in proxy mode logged, kept after it stopped (or read back in
    another process): ``requests`` and ``posts`` as the server has them."""

    requests: list[tuple[str, str, str]]
    posts: list[tuple[str, str, bytes]]

    def base_url(self, name: str) -> str:
        raise KeyError(f"{name!r} was reached through the proxy, not on a port of its own")


@dataclass
class Crawl:
    """A finished ``nianbao crawl`` of mock portals: the archive database, the server's log,
    the CLI's output. The sites were reached on their own 127.0.0.1 ports (direct mode) or
    by their host names through the mock proxy."""

    server: MockServer | ServedLog
    sites: list[Site]
    data_dir: Path
    db: sqlite3.Connection
    exit_code: int
    output: str

    def only(self, name: str) -> Crawl:
        """The same crawl seen from one of its sites (``sites == [that site]``)."""
        (site,) = [s for s in self.sites if s.name == name]
        return replace(self, sites=[site])

    def url(self, site: Site, path: str) -> str:
        try:
            return urljoin(self.server.base_url(site.name), path)
        except KeyError:  # not served on a port of its own: reached through the proxy
            return f"http://{site.host}{path}"

    def report_row(self, site: Site, path: str) -> sqlite3.Row | None:
        """The ``reports`` row of the site's page at ``path``."""
        return self.db.execute("SELECT * FROM reports WHERE url = ?", [self.url(site, path)]).fetchone()

    def attachment_fetch(self, site: Site, path: str) -> sqlite3.Row | None:
        """The ``fetches`` row of the site's file at ``path``, fetched as an attachment."""
        return self.db.execute(
            "SELECT * FROM fetches WHERE url = ? AND role = 'attachment'", [self.url(site, path)]
        ).fetchone()

    def reports(self, site: Site) -> set[str]:
        rows = self.db.execute("SELECT url FROM reports WHERE site = ?", [site.name])
        return {row[0] for row in rows}

    def fetched(self, site: Site, role: str) -> list[sqlite3.Row]:
        return self.db.execute(
            "SELECT * FROM fetches WHERE site = ? AND role = ?", [site.name, role]
        ).fetchall()

    def requested(self, site: Site) -> list[tuple[str, str]]:
        """(method, path) of every request the site saw."""
        return [(method, path) for name, method, path in self.server.requests if name == site.name]


@contextmanager
def crawl_direct(server: MockServer, sites: list[Site], tmp: Path) -> Iterator[Crawl]:
    """Run ``nianbao crawl`` over ``sites`` as the running ``server`` serves them (no proxy)."""
    sites_file = sites_yaml_for(tmp / "sites.yaml", sites, server.base_url)
    result = run_cli("crawl", "--sites", str(sites_file), "--data-dir", str(tmp / "data"), *FAST)
    db = sqlite3.connect(db_path(tmp / "data"))
    db.row_factory = sqlite3.Row
    try:
        yield Crawl(server, sites, tmp / "data", db, result.returncode, result.stdout + result.stderr)
    finally:
        db.close()


def assert_found_exactly_the_reports(crawled: Crawl, site: Site) -> None:
    """The crawl archived exactly the site's expected reports and fetched none of its decoys
    as a report."""
    expected = {crawled.url(site, r.path) for r in site.expected_reports}
    found = crawled.reports(site)
    assert found == expected, (
        f"{site.name}: missing {sorted(expected - found)}, unexpected {sorted(found - expected)}"
    )
    as_reports = {row[0] for row in crawled.db.execute("SELECT url FROM fetches WHERE role = 'report'")}
    decoys = as_reports & {crawled.url(site, path) for path in site.decoys}
    assert not decoys, f"{site.name}: decoys fetched as reports: {sorted(decoys)}"


def problems_outside_parsing(db: sqlite3.Connection) -> list[tuple[str, str]]:
    """(stage, url) of the problems a crawl recorded before parsing (fetching, links …)."""
    return [tuple(row) for row in db.execute("SELECT stage, url FROM problems WHERE stage != 'parse'")]


def assert_attachments_archived_as_served(crawled: Crawl) -> dict[str, sqlite3.Row]:
    """Every attachment of the one mock site's expected reports, and nothing else, was fetched
    as an attachment with the sha256 of the bytes the portal serves and its report as referer.
    Returns the attachment fetches by URL."""
    from tests.mockportal.families.kit import served  # lazily: only the CMS family tests need it

    site = crawled.sites[0]
    attachments = {row["url"]: row for row in crawled.fetched(site, "attachment")}
    expected = [(r, path) for r in site.expected_reports for path in r.attachments]
    assert len(expected) == len(attachments), (
        f"expected {len(expected)} attachments, fetched {sorted(attachments)}"
    )
    for report, path in expected:
        url = crawled.url(site, path)
        assert url in attachments, f"attachment not fetched: {url}"
        row = attachments[url]
        assert row["sha256"] == hashlib.sha256(served(site, path).body).hexdigest(), url
        assert row["referer"] == crawled.url(site, report.path), url
    return attachments


# --------------------------------------------------------------------------- parsed text


def squash(text: str) -> str:
    """The text without any white space (seed texts and parsers break lines differently)."""
    return re.sub(r"\s+", "", text)


def flat_text(doc: Document) -> str:
    """Blocks and each table cell once (spanning cells are not repeated, as in the seeds)."""
    parts: list[str] = []
    for item in doc.content:
        if isinstance(item, Block):
            parts.append(item.text)
        else:
            parts.extend(c.text for c in sorted(item.cells, key=lambda c: (c.row, c.col)))
    return "\n".join(parts)


def similarity(expected: str, got: str) -> float:
    """How alike two texts are, white space ignored (1.0: the same)."""
    a, b = squash(expected), squash(got)
    return 1.0 if a == b else SequenceMatcher(None, a, b, autojunk=False).ratio()
