"""What discovery tells a person about a site: nothing found within the page budget, a 年报
column without report items, a listing that decodes to replacement characters, a charset
header that lies — in the site's health note and in ``nianbao status``."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import FAST, run_cli, sites_yaml_for
from tests.mockportal import MockServer, Resource, Site

BUDGET = 6
REPORT = "某县教育局2021年政府信息公开工作年度报告"


def _page(body: str, *, charset: str = "utf-8", header: str | None = None, raw: bytes = b"") -> Resource:
    html = f"<html><head><title>t</title></head><body>{body}</body></html>"
    data = html.encode("gbk" if charset == "gbk" else "utf-8")
    if raw:
        data = data.replace(b"</body>", raw + b"</body>")
    return Resource(data, f"text/html; charset={header or charset}")


def _site(name: str, resources: dict[str, Resource]) -> Site:
    resources = {"/robots.txt": Resource(b"User-agent: *\n", "text/plain"), **resources}
    return Site(name, f"www.{name}.nianbao.test", "某县人民政府", resources, [], [], [])


def _sites() -> list[Site]:
    report_page = _page(f"<h1>{REPORT}</h1>" + "<p>根据条例，现公布年度报告。</p>" * 20)
    # Twenty sections of no interest, each leading to more: more pages than the budget.
    maze = {"/": _page("".join(f'<a href="/s{i}/">栏目{i}</a>' for i in range(20)))}
    maze.update({f"/s{i}/": _page(f'<a href="/s{i}/a/">子栏目</a>') for i in range(20)})
    return [
        _site("maze", maze),
        _site(
            "empty",
            {
                "/": _page('<a href="/nb/">政府信息公开年报</a>'),
                "/nb/": _page('<ul><li><a href="/nb/1.html">县政府召开常务会议</a></li></ul>'),
                "/nb/1.html": _page("<p>新闻</p>"),
            },
        ),
        _site(
            "garbled",
            {
                "/": _page('<a href="/nb/">政府信息公开年报</a>'),
                # Bytes valid in no charset (0xFF never starts a GB18030 or UTF-8 character).
                "/nb/": _page(f'<a href="/nb/t1.html">{REPORT}</a>', raw=b"<p>\xff\xfe\xff</p>"),
                "/nb/t1.html": report_page,
            },
        ),
        _site(
            "lying",
            {
                "/": _page('<a href="/nb/">政府信息公开年报</a>', charset="gbk", header="utf-8"),
                "/nb/": _page(f'<a href="/nb/t1.html">{REPORT}</a>', charset="gbk", header="utf-8"),
                "/nb/t1.html": report_page,
            },
        ),
    ]


@pytest.fixture(scope="module")
def crawled(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[sqlite3.Connection, Path, MockServer]]:
    tmp = tmp_path_factory.mktemp("health")
    sites = _sites()
    with MockServer(sites, proxy=False) as server:
        sites_file = sites_yaml_for(tmp / "sites.yaml", sites, server.base_url)
        budget = ["-s", f"NIANBAO_DISCOVERY_BUDGET={BUDGET}"]
        run_cli("crawl", "--sites", str(sites_file), "--data-dir", str(tmp / "d"), *FAST, *budget)
        db = sqlite3.connect(tmp / "d" / "nianbao.db")
        try:
            yield db, tmp / "d", server
        finally:
            db.close()


def _note(db: sqlite3.Connection, site: str) -> str:
    return db.execute("SELECT note FROM site_runs WHERE site = ?", [site]).fetchone()[0] or ""


def test_nothing_found_within_the_budget_says_so_with_the_pages_tried(crawled) -> None:
    db, _, server = crawled
    note = _note(db, "maze")
    assert f"nothing found: no 年报 column or report after {BUDGET} pages tried (budget {BUDGET})" in note
    pages = [path for name, _, path in server.requests if name == "maze" and path != "/robots.txt"]
    assert len(pages) == BUDGET  # the budget bounds the crawl


def test_status_flags_a_column_without_report_items_and_a_garbled_listing(crawled) -> None:
    db, data_dir, server = crawled
    status = run_cli("status", "--data-dir", str(data_dir))
    out = " ".join(status.stdout.split())
    assert "年报 column found, no report items" in out and server.base_url("empty") + "nb/" in out
    assert "listing decoded with replacement characters" in out and server.base_url("garbled") + "nb/" in out
    assert "年报 column found but no report items" in _note(db, "empty")
    assert db.execute("SELECT count(*) FROM reports WHERE site = 'garbled'").fetchone()[0] == 1


def test_a_lying_charset_header_still_yields_the_reports_and_is_noted(crawled) -> None:
    db, _, _ = crawled
    [(link_text,)] = db.execute(
        "SELECT f.link_text FROM reports r JOIN fetches f ON f.id = r.fetch_id WHERE r.site = 'lying'"
    ).fetchall()
    assert link_text == REPORT
    assert "charset: header/meta says utf-8, the bytes are gb18030" in _note(db, "lying")
