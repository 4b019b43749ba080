"""What operators and Scrapy users touch: the operator's contact sent and recorded, Scrapy's
``-O`` feed with one item per report page or attachment, ``-a sites_file=``, Scrapy's stats
kept with the run, and ``nianbao status --json``. Real crawls over HTTP on 127.0.0.1."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

from tests.helpers import FAST, ROOT, run_cli, sites_yaml_for
from tests.mockportal import MockServer, demo_sites


class _AgentLog(BaseHTTPRequestHandler):
    """A one-page portal that remembers the User-Agent of every request."""

    agents: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        self.agents.append(self.headers.get("User-Agent", ""))
        body = "<html><body><p>首页</p></body></html>".encode()
        self.send_response(200 if self.path == "/" else 404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def agent_server() -> Iterator[tuple[str, list[str]]]:
    agents: ClassVar[list[str]] = []
    handler = type("Handler", (_AgentLog,), {"agents": agents})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/", agents
    finally:
        server.shutdown()
        server.server_close()


def _sites_file(tmp_path: Path, url: str) -> Path:
    path = tmp_path / "sites.yaml"
    path.write_text(f"- name: own\n  start_urls: ['{url}']\n", encoding="utf-8")
    return path


def _last_run(data_dir: Path) -> sqlite3.Row:
    with sqlite3.connect(data_dir / "nianbao.db") as db:
        db.row_factory = sqlite3.Row
        return db.execute("SELECT * FROM crawl_runs ORDER BY id DESC LIMIT 1").fetchone()


@pytest.mark.parametrize(
    ("args", "env", "contact"),
    [
        (["--contact", "ops@example.org"], {}, "ops@example.org"),
        ([], {"NIANBAO_CONTACT": "https://lab.example/crawling"}, "https://lab.example/crawling"),
        (["-s", "NIANBAO_CONTACT=mailto:who@example.net"], {}, "who@example.net"),
    ],
)
def test_the_contact_is_sent_and_recorded(
    agent_server: tuple[str, list[str]], tmp_path: Path, args: list[str], env: dict[str, str], contact: str
) -> None:
    url, agents = agent_server
    data = tmp_path / "data"
    result = run_cli(
        "crawl", "--sites", str(_sites_file(tmp_path, url)), "--data-dir", str(data), *FAST, *args, env=env
    )
    assert result.returncode in (0, 1), result.stdout + result.stderr
    assert agents and all(f"operator: {contact}" in agent for agent in agents)
    run = _last_run(data)
    assert run["contact"] == contact
    assert run["user_agent"] == agents[0]  # what was sent is what is recorded


def test_an_own_user_agent_is_what_is_recorded(agent_server: tuple[str, list[str]], tmp_path: Path) -> None:
    url, agents = agent_server
    own = "LabArchiver/2.0 (+https://lab.example/about)"
    data = tmp_path / "data"
    sites = _sites_file(tmp_path, url)
    result = run_cli(
        "crawl", "--sites", str(sites), "--data-dir", str(data), *FAST, "-s", f"USER_AGENT={own}"
    )
    assert result.returncode in (0, 1), result.stdout + result.stderr
    assert set(agents) == {own}
    run = _last_run(data)
    assert (run["user_agent"], run["contact"]) == (own, "https://lab.example/about")


def test_a_live_crawl_of_others_servers_needs_a_contact(tmp_path: Path) -> None:
    """Refused before anything is fetched (the host is never resolved: no network needed)."""
    sites = _sites_file(tmp_path, "http://www.gov.cn/")
    result = run_cli(
        "crawl", "--sites", str(sites), "--data-dir", str(tmp_path / "d"), env={"NIANBAO_CONFIG": ""}
    )
    assert result.returncode == 2
    output = (result.stdout + result.stderr).strip()
    assert len(output.splitlines()) == 1 and "operator contact" in output and "--contact" in output
    assert not (tmp_path / "d" / "nianbao.db").exists()


@pytest.mark.parametrize("how", ["scrapy crawl", "redis worker"])
def test_every_way_to_start_a_live_crawl_needs_a_contact(tmp_path: Path, how: str) -> None:
    """A bare ``scrapy crawl`` and a Redis worker refuse as ``nianbao crawl`` does: nothing fetched
    (the host is never resolved), Redis never dialled (nothing listens on port 9)."""
    sites, data = _sites_file(tmp_path, "http://www.gov.cn/"), tmp_path / "d"
    no_contact = {"NIANBAO_CONFIG": "", "NIANBAO_CONTACT": ""}
    if how == "redis worker":
        result = run_cli(
            "crawl", "--redis", "redis://127.0.0.1:9/0", "--sites", str(sites), "--data-dir", str(data),
            env=no_contact,
        )  # fmt: skip
        assert result.returncode == 2
    else:
        command = [
            sys.executable, "-m", "scrapy", "crawl", "annual_reports", "-a", "site=own",
            "-a", f"sites_file={sites}", "-s", f"NIANBAO_DATA_DIR={data}",
        ]  # fmt: skip
        result = subprocess.run(
            command, capture_output=True, text=True, cwd=ROOT, env={**_environ(), **no_contact}, timeout=120
        )
        assert result.returncode != 0
    assert "needs an operator contact" in result.stdout + result.stderr
    db = data / "nianbao.db"
    assert not db.exists() or sqlite3.connect(db).execute("SELECT count(*) FROM fetches").fetchone() == (0,)


def _environ() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if k.lower() not in ("http_proxy", "https_proxy")}


def test_the_contact_may_come_from_a_config_file(tmp_path: Path, agent_server: tuple[str, list[str]]) -> None:
    url, agents = agent_server
    config = tmp_path / "config.yaml"
    config.write_text("contact: https://ops.example/nianbao\n", encoding="utf-8")
    data = tmp_path / "data"
    env = {"NIANBAO_CONFIG": str(config), "NIANBAO_CONTACT": ""}
    result = run_cli(
        "crawl", "--sites", str(_sites_file(tmp_path, url)), "--data-dir", str(data), *FAST, env=env
    )
    assert result.returncode in (0, 1), result.stdout + result.stderr
    assert all("operator: https://ops.example/nianbao" in agent for agent in agents)


# -- Scrapy's own command line --------------------------------------------------------------
@pytest.fixture(scope="module")
def scrapy_crawl(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, list[dict], str]]:
    """``scrapy crawl annual_reports -a site=NAME -a sites_file=FILE -O reports.jsonl`` of one
    mock portal, from the repository root as a Scrapy user runs it."""
    tmp = tmp_path_factory.mktemp("scrapy-O")
    site = next(s for s in demo_sites() if s.name == "weihai")
    with MockServer([site], proxy=False) as server:
        sites_file = sites_yaml_for(tmp / "my-sites.yaml", [site], server.base_url)
        out = tmp / "reports.jsonl"
        command = [
            sys.executable, "-m", "scrapy", "crawl", "annual_reports",
            "-a", f"site={site.name}", "-a", f"sites_file={sites_file}", "-O", str(out),
            "-s", f"NIANBAO_DATA_DIR={tmp / 'data'}", *FAST, "-s", "LOG_LEVEL=WARNING",
        ]  # fmt: skip
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    items = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    yield tmp / "data", items, site.name


def test_minus_o_writes_one_item_per_report_page_or_attachment(scrapy_crawl) -> None:
    data, items, name = scrapy_crawl
    with sqlite3.connect(data / "nianbao.db") as db:
        fetched = db.execute(
            "SELECT url, sha256, role FROM fetches WHERE role IN ('report', 'attachment') AND status = 200"
        ).fetchall()
    assert items and len(items) == len(fetched)
    assert {(i["url"], i["sha256"], i["role"]) for i in items} == set(fetched)
    for item in items:
        assert item["site"] == name
        if item["role"] == "attachment":
            assert item["file_name"] and item["final_url"].endswith(item["file_name"])
    reports = [i for i in items if i["role"] == "report"]
    assert reports and all(i["title"] and i["year"] and str(i["year"]) in i["title"] for i in reports)


def test_scrapy_stats_are_kept_with_the_run(scrapy_crawl) -> None:
    data, items, name = scrapy_crawl
    with sqlite3.connect(data / "nianbao.db") as db:
        (site, stats), *others = db.execute("SELECT site, stats FROM scrapy_stats").fetchall()
    assert not others and site == name
    stats = json.loads(stats)
    assert stats["finish_reason"] == "finished"
    assert stats["item_scraped_count"] == len(items)
    assert stats["downloader/response_count"] >= len(items)


def test_status_json_for_cron(scrapy_crawl) -> None:
    data, _, name = scrapy_crawl
    result = run_cli("status", "--json", "--data-dir", str(data))
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    (site,) = report["sites"]
    assert site["name"] == name and site["status"] == "ok"
    assert site["reports"] == 0  # a bare `scrapy crawl` archives; `nianbao reparse` builds reports
    assert report["last_crawl"]["id"] == site["last_run_id"]
    assert report["problems"]["total"] == len(report["problems"]["recent"]) == 0
    assert report["ok"] is (report["last_crawl"]["exit_code"] == 0)
