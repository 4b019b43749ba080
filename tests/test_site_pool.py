"""The site pool: many portals in one ``nianbao crawl``, each on a loopback address of its own.

63 generated portals (10 with lists built by script, rendered by Chromium), two of them on one
address, and a tarpit that answers ever so slowly: every report of every portal is found, no
render times out, the tarpit is stopped by its time budget while the others finish, and the two
portals of one server are never crawled at the same time.
"""

from __future__ import annotations

import json
import socket
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import yaml

from archive.archive import NOTE_STAGES
from bench.many_sites import SmallPortal, generate
from crawler.render import chromium_path
from tests.helpers import FAST, run_cli
from tests.mockportal import MockServer, Resource, Site

pytestmark = pytest.mark.skipif(
    chromium_path() is None, reason="Debian's chromium is not installed (make setup installs it)"
)

SHARED_ADDRESS = "127.0.9.1"  # two portals, two ports, one server
TARPIT_ADDRESS = "127.0.9.2"
SITE_TIMEOUT_S = 40  # ample for a small portal, even while the browser starts on a busy machine
_TYPES = {".html": "text/html; charset=utf-8", ".js": "application/javascript", ".json": "application/json"}


def _as_site(portal: SmallPortal) -> Site:
    resources = {"/robots.txt": Resource(b"User-agent: *\n", "text/plain")}
    for path in portal.root.rglob("*"):
        if path.is_file():
            url_path = "/" + path.relative_to(portal.root).as_posix()
            ctype = _TYPES.get(path.suffix, "application/octet-stream")
            resources[url_path] = Resource(path.read_bytes(), ctype)
    return Site(portal.name, portal.address, "基准市人民政府", resources, [], [], [])


@contextmanager
def tarpit(address: str) -> Iterator[int]:
    """A server that answers every request with headers, then one byte a second, forever."""
    listener = socket.create_server((address, 0))
    listener.settimeout(0.2)
    stop = threading.Event()

    def drip(conn: socket.socket) -> None:
        with conn:
            try:
                conn.recv(4096)
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 100000\r\n\r\n")
                while not stop.wait(1.0):
                    conn.sendall(b" ")
            except OSError:
                pass

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            threading.Thread(target=drip, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join(timeout=5)
        listener.close()


def test_many_portals_in_one_run(tmp_path: Path) -> None:
    portals = generate(tmp_path / "portals", 60, scripted_every=6, attachments=False)
    # Two more portals on one address: one server, whatever the ports.
    pair = [
        p.__class__(f"shared{k}", SHARED_ADDRESS, p.root, p.scripted, p.reports)
        for k, p in enumerate(generate(tmp_path / "pair", 2, offset=60, attachments=False))
    ]
    everything = portals + pair
    addresses = {p.name: p.address for p in everything}
    assert sum(p.scripted for p in portals) == 10
    with (
        MockServer([_as_site(p) for p in everything], proxy=False, addresses=addresses) as server,
        tarpit(TARPIT_ADDRESS) as port,
    ):
        entries = [{"name": p.name, "start_urls": [server.base_url(p.name)]} for p in everything]
        entries.insert(3, {"name": "tarpit", "start_urls": [f"http://{TARPIT_ADDRESS}:{port}/"]})
        sites_file = tmp_path / "sites.yaml"
        sites_file.write_text(yaml.safe_dump(entries), encoding="utf-8")
        result = run_cli(
            "crawl",
            "--sites",
            str(sites_file),
            "--data-dir",
            str(tmp_path / "data"),
            "--site-timeout",
            str(SITE_TIMEOUT_S),
            "-q",
            *FAST,
        )
    output = result.stdout + result.stderr
    db = sqlite3.connect(tmp_path / "data" / "nianbao.db")

    found = {(site, url) for site, url in db.execute("SELECT site, url FROM reports WHERE is_report = 1")}
    for p in everything:
        expected = {(p.name, server.base_url(p.name) + path.lstrip("/")) for path in p.reports}
        missing = expected - found
        assert not missing, (
            f"{p.name} (scripted: {p.scripted}) lost reports: {sorted(missing)[:3]}\n{output[-3000:]}"
        )

    health = dict(db.execute("SELECT site, status FROM site_runs"))
    assert health.pop("tarpit") == "timed out"
    assert health == {p.name: "ok" for p in everything}, output[-3000:]
    problems = db.execute(  # notes aside (robots.txt, requests the time budget cancelled)
        f"SELECT site, url, message FROM problems WHERE stage NOT IN {NOTE_STAGES!r}"
    ).fetchall()
    assert [site for site, _, _ in problems] == ["tarpit"], problems
    assert "time budget" in problems[0][2]
    # -q: the summary, then one line per problem naming its site and URL
    assert f"[tarpit] http://{TARPIT_ADDRESS}:{port}/" in result.stdout, result.stdout

    stats = json.loads(db.execute("SELECT stats FROM crawl_runs").fetchone()[0])
    assert stats["rendered"] >= 10 and stats["sites"] == len(everything) + 1
    assert stats["crawlers_not_freed"] == 0  # a finished site's crawler is dropped, not kept
    assert (tmp_path / "data" / "frontier" / "tarpit.sqlite").exists()  # the next run resumes it

    # One server, one site at a time: the fetches of one of the pair all come before the other's.
    spans = [
        db.execute("SELECT min(id), max(id) FROM fetches WHERE site = ?", [p.name]).fetchone() for p in pair
    ]
    first, second = sorted(spans)
    assert first[1] < second[0], f"the two portals of {SHARED_ADDRESS} were crawled at the same time: {spans}"
