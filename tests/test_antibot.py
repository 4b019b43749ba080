"""Anti-bot challenges are reported as a blocked site (never solved), soft 404s as problems.

Unit tests of :func:`crawler.antibot.detect_challenge` / :func:`is_soft_404` on challenge pages
written after what public crawler code and issue threads show of them (瑞数 412/202 + ``$_ts``,
加速乐 521 + ``__jsluid``/``__jsl_clearance``, C3VK, WZWS/GeoBL, EdgeOne), and on ordinary pages
that must not be flagged (the demo portals' pages with a cookie notice added, real portal pages).

Then one real crawl: the ``nianbao`` CLI against tiny blocked sites served by ``http.server`` on
127.0.0.1, checked from the SQLite archive and from what each server was asked.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml

from archive import db_path
from crawler import settings as crawler_settings
from crawler.antibot import detect_challenge, is_soft_404, redirect_loop
from tests.helpers import FAST, run_cli
from tests.mockportal import demo_sites

ANTIBOT = "crawler.middlewares.antibot.AntiBotMiddleware"
REALWORLD = Path(__file__).resolve().parents[1].parent / "shared" / "realworld"


def _noise(seed: str, n: int) -> str:
    """Deterministic base64-ish filler, like the seeds and ciphertexts in challenge pages."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._"
    out, block = [], seed.encode()
    while len(out) < n:
        block = hashlib.sha256(block).digest()
        out.extend(alphabet[b % len(alphabet)] for b in block)
    return "".join(out[:n])


# -- challenge pages (written for these tests after the published descriptions) -------------
RUISHU_PAGE = (
    '<!DOCTYPE html><html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8">'
    f'<meta id="Xq3kL0vBz7sP" content="{_noise("seed", 240)}" r=\'m\'>'
    "<script type=\"text/javascript\" r='m'>$_ts=window['$_ts'];if(!$_ts)$_ts={};$_ts.nsd=48215;"
    f'$_ts.cd="{_noise("cd", 2600)}";</script>'
    '<script type="text/javascript" charset="utf-8" src="/4QbVtADbnLVIc/d.FxJzG50F.f8b1c4a.js" '
    "r='m'></script></head><body></body></html>"
).encode()
RUISHU_COOKIE = f"FSSBBIl1UgzbN7N80S={_noise('s', 64)}; Path=/; expires=Wed, 01 Jan 2031 00:00:00 GMT"

# First 加速乐 stage: the cookie name is spelt out in pieces, so "__jsl_clearance" is not literal.
JIASULE_PAGE = (
    b"<script>document.cookie=('_')+('_')+('j')+('s')+('l')+('_')+('c')+('l')+('e')+('a')+('r')"
    b"+('a')+('n')+('c')+('e')+('_')+('s')+('=')+(-~[]+'7')+('0')+('4')+'.'+(~~{}+'3')"
    b"+('|0|')+('x9Kp%2F')+('Q1wZ')+';max-age=3600;path=/';"
    b"location.href=location.pathname+location.search</script>"
)
JIASULE_COOKIE = "__jsluid_h=6d1f0c3a9b2e4f58a7c1d2e3f4a5b6c7; max-age=31536000; path=/; HttpOnly"
JIASULE_SECOND_STAGE = (
    b'<script>var _0x1a=["\\x63\\x6f"];function go(a){var b=a.chars;return b}'
    b';go({"bts":["1700000000.123|0|ab","cd%3D"],"chars":"xYzAbCdEfGhIjKlMnOpQrS",'
    b'"ct":"0f1e2d3c4b5a69788796a5b4c3d2e1f0a1b2c3d4","ha":"sha1","is":true,'
    b'"tn":"__jsl_clearance_s","vt":"3600","wt":"1500"})</script>'
)
C3VK_PAGE = (
    b'<html><script>document.cookie="C3VK=4a7f2e; path=/; max-age=300;";'
    b"window.location.reload();</script></html>"
)
WZWS_PAGE = (
    "<!DOCTYPE html><html><head><meta charset='utf-8'><title></title></head><body>"
    '<noscript>请开启JavaScript并刷新该页.</noscript><script type="text/javascript">'
    'var dynamicurl="/WZWSREL3p3Z2svMjAyMy8=";var wzwsquestion="D|1Vf";var wzwsfactor="2719";'
    'var wzwsmethod="post";var wzwsparams="";</script></body></html>'
).encode()
GEOBL_PAGE = (
    b"<html><head><title>403 Forbidden</title></head><body><h1>403 Forbidden</h1>"
    b"<p>GeoBL: access from your region is not allowed.</p></body></html>"
)
EDGEONE_PAGE = (
    b'<html><head><script>document.cookie="EO_t=1a2b3c; path=/";'
    b"location.replace(location.href);</script></head><body></body></html>"
)
EDGEONE_HEADERS = {"Server": "TencentEdgeOne", "EO-LOG-UUID": "4105283880544427145"}

SOFT_404_PAGE = (
    '<!DOCTYPE html><html><head><meta charset="utf-8"><title>提示信息</title></head><body>'
    '<div class="error"><img src="/images/404.png"><p>对不起，您访问的页面不存在或已被删除！</p>'
    '<p><a href="/">返回首页</a></p></div></body></html>'
).encode()


# -- detect_challenge -----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("status", "headers", "body", "vendor"),
    [
        (412, {"Set-Cookie": RUISHU_COOKIE}, RUISHU_PAGE, "ruishu"),
        (202, {}, RUISHU_PAGE, "ruishu"),  # the 202 variant, even without the cookie
        (412, {"Set-Cookie": RUISHU_COOKIE}, b"", "ruishu"),  # cookie alone on a 412
        (200, {}, RUISHU_PAGE, "ruishu"),  # no real content, only the challenge
        (521, {"Set-Cookie": JIASULE_COOKIE}, JIASULE_PAGE, "jiasule"),
        (521, {}, JIASULE_PAGE, "jiasule"),  # cookie-setting script alone on a 521
        (521, {"Set-Cookie": JIASULE_COOKIE}, JIASULE_SECOND_STAGE, "jiasule"),
        (200, {}, C3VK_PAGE, "c3vk"),
        (200, {"Set-Cookie": "wzws_cid=0f1e2d; path=/"}, WZWS_PAGE, "wzws"),
        (403, {}, GEOBL_PAGE, "wzws"),
        (200, EDGEONE_HEADERS, EDGEONE_PAGE, "edgeone"),
        (200, {}, EDGEONE_PAGE, "js-cookie"),  # same move, no vendor headers
    ],
)
def test_challenge_pages_are_recognised_with_their_vendor(
    status: int, headers: dict[str, str], body: bytes, vendor: str
) -> None:
    found = detect_challenge(status, headers, body)
    assert found is not None
    assert found.vendor == vendor


def test_header_names_are_case_insensitive() -> None:
    found = detect_challenge(521, {"set-cookie": JIASULE_COOKIE}, b"<html></html>")
    assert found is not None and found.vendor == "jiasule"


def _demo_html_pages() -> Iterator[tuple[str, bytes]]:
    for site in demo_sites():
        for path, resource in site.resources.items():
            if resource.status == 200 and resource.content_type.startswith("text/html"):
                yield f"{site.name}{path}", resource.body


# An ordinary page that talks about cookies and even sets one from a button handler.
COOKIE_NOTICE = (
    '<div class="cookie-tip">本网站使用Cookie记录您的字号偏好，'
    "继续浏览即表示您同意使用Cookie。</div>"
    '<script>function bigFont(){document.cookie="font=big; path=/";location.reload();}</script>'
).encode()


def test_demo_pages_mentioning_cookies_are_not_challenges_nor_soft_404s() -> None:
    pages = list(_demo_html_pages())
    assert len(pages) > 100
    for name, body in pages:
        with_notice = body.replace(b"</body>", COOKIE_NOTICE + b"</body>")
        assert b"Cookie" in with_notice, name
        assert detect_challenge(200, {"Content-Type": "text/html"}, with_notice) is None, name
        assert not is_soft_404(200, with_notice.decode("utf-8", "replace")), name


def test_a_ruishu_sites_real_page_is_not_a_challenge() -> None:
    # Pages that got through still carry a $_ts script; their content is what tells them apart.
    _, article = next(p for p in _demo_html_pages() if b"TRS_Editor" in p[1])
    script = b"<script type=\"text/javascript\" r='m'>$_ts=window['$_ts'];$_ts.lcd=1;</script>"
    guarded = article.replace(b"</head>", script + b"</head>")
    assert detect_challenge(200, {"Set-Cookie": RUISHU_COOKIE}, guarded) is None


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (403, b"<html><body><h1>403 Forbidden</h1><p>nginx</p></body></html>"),  # plain error
        (412, b"<html><body>Precondition Failed</body></html>"),  # status without marker
        (521, b"<html><body>Web server is down</body></html>"),
        (200, b"<html><body><script>location.href='/index.shtml';</script></body></html>"),
        (200, b"%PDF-1.7\n% cookie location.href=1 document.cookie=2\n"),
    ],
)
def test_ordinary_answers_are_not_challenges(status: int, body: bytes) -> None:
    assert detect_challenge(status, {}, body) is None


def test_real_portal_pages_and_reports_are_not_challenges() -> None:
    if not REALWORLD.is_dir():
        pytest.skip("…/shared/realworld not present (only in the dev workspace)")
    files = [p for p in REALWORLD.rglob("*") if p.is_file() and p.suffix != ".md"]
    assert files
    for path in files:
        body = path.read_bytes()
        assert detect_challenge(200, {}, body) is None, path.name
        if path.suffix == ".html":
            assert not is_soft_404(200, body.decode("utf-8", "replace")), path.name


def test_a_redirect_back_to_the_same_url_is_a_cookie_challenge() -> None:
    loop = redirect_loop("http://x.test/a.html", ["http://x.test/a.html"])
    assert loop is not None and loop.vendor == "redirect-loop"
    assert redirect_loop("http://x.test/b.html", ["http://x.test/a.html"]) is None


# -- soft 404s -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "page",
    [
        SOFT_404_PAGE.decode(),
        "<html><title>404</title><body><h1>404</h1><p>页面未找到</p></body></html>",
        "<html><body><p>找不到您要访问的页面</p></body></html>",
        "<html><body>404 Not Found<hr>nginx</body></html>",
    ],
)
def test_soft_404_pages(page: str) -> None:
    assert is_soft_404(200, page)


def test_not_soft_404s() -> None:
    assert not is_soft_404(404, SOFT_404_PAGE.decode())  # a real 404 is an HTTP error, not soft
    # A long article that mentions an error page is an article.
    article = "<p>" + "政府信息公开工作稳步推进，" * 60 + "网站链接检查发现404错误页面3个，已整改。</p>"
    assert not is_soft_404(200, article)
    assert not is_soft_404(200, "<p>共404条 第1页</p>")


# -- real crawls -----------------------------------------------------------------------------
@dataclass
class Answer:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "text/html; charset=utf-8"
    to_self: bool = False  # a redirect back to the requested path


class TinySite:
    """One site on its own 127.0.0.1 port: ``answers[path]`` or ``default``; logs every path."""

    def __init__(self, answers: dict[str, Answer], default: Answer) -> None:
        self.answers, self.default = answers, default
        self.requests: list[str] = []
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                site.requests.append(self.path)
                answer = site.answers.get(self.path.split("?")[0], site.default)
                self.send_response(answer.status)
                self.send_header("Content-Type", answer.content_type)
                self.send_header("Content-Length", str(len(answer.body)))
                if answer.to_self:
                    self.send_header("Location", self.path)
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(answer.body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/"

    def __enter__(self) -> TinySite:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


ROBOTS_OK = Answer(200, b"User-agent: *\nDisallow: /admin/\n", content_type="text/plain")
NOT_FOUND = Answer(404, b"<html><body>404 Not Found</body></html>")


def _home(*links: tuple[str, str]) -> Answer:
    items = "".join(f'<li><a href="{href}">{text}</a></li>' for href, text in links)
    body = (
        '<!DOCTYPE html><html><head><meta charset="utf-8">'
        "<title>某某县人民政府</title></head><body>"
        '<div class="nav"><a href="/">首页</a><a href="/xwzx/">新闻中心</a></div>'
        f'<div class="xxgk"><h2>政府信息公开</h2><ul>{items}</ul></div>'
        "<div class='footer'>主办：某某县人民政府办公室 网站标识码：3700000099</div></body></html>"
    )
    return Answer(200, body.encode())


LISTING = Answer(
    200,
    (
        '<!DOCTYPE html><html><head><meta charset="utf-8"><meta name="ColumnName" '
        'content="政府信息公开年报"><title>信息公开年报</title></head><body><h2>信息公开年报</h2>'
        "<ul><li>暂无信息</li></ul></body></html>"
    ).encode(),
)

BLOCKED_SITES: dict[str, tuple[dict[str, Answer], Answer]] = {
    # 瑞数 answers 412 to everything, robots.txt included.
    "ruishu": ({}, Answer(412, RUISHU_PAGE, {"Set-Cookie": RUISHU_COOKIE})),
    "jiasule": ({}, Answer(521, JIASULE_PAGE, {"Set-Cookie": JIASULE_COOKIE})),
    "geobl": ({}, Answer(403, GEOBL_PAGE)),
    # Home and robots.txt are fine; the 年报 column is behind a 瑞数 202.
    "column202": (
        {
            "/robots.txt": ROBOTS_OK,
            "/": _home(("/zfxxgknb/", "政府信息公开年报")),
            "/zfxxgknb/": Answer(202, RUISHU_PAGE),
        },
        NOT_FOUND,
    ),
    # Set-Cookie + a redirect back to the same URL, for every path.
    "loop": (
        {},
        Answer(307, b"", {"Set-Cookie": "C3VK=3f9a1c; Max-Age=300; Path=/"}, to_self=True),
    ),
    # robots.txt is fine; the home page redirects to itself (caught when the redirect is dropped
    # as a duplicate).
    "loophome": (
        {"/robots.txt": ROBOTS_OK},
        Answer(307, b"", {"Set-Cookie": "C3VK=3f9a1c; Max-Age=300; Path=/"}, to_self=True),
    ),
    # A soft 404 must not stop the crawl: the second column is still fetched.
    "soft404": (
        {
            "/robots.txt": ROBOTS_OK,
            "/": _home(("/zfxxgknb/", "政府信息公开年报"), ("/xxgknb/", "信息公开年报")),
            "/zfxxgknb/": Answer(200, SOFT_404_PAGE),
            "/xxgknb/": LISTING,
        },
        NOT_FOUND,
    ),
}


@dataclass
class Crawl:
    servers: dict[str, TinySite]
    db: sqlite3.Connection
    exit_code: int
    output: str

    def site(self, name: str) -> sqlite3.Row:
        return self.db.execute("SELECT * FROM sites WHERE name = ?", [name]).fetchone()

    def problems(self, name: str, stage: str) -> list[sqlite3.Row]:
        query = "SELECT * FROM problems WHERE site = ? AND stage = ?"
        return self.db.execute(query, [name, stage]).fetchall()


def _middlewares_with_antibot() -> str:
    """The project's downloader middlewares plus this one (a no-op once settings.py has it)."""
    return json.dumps({**crawler_settings.DOWNLOADER_MIDDLEWARES, ANTIBOT: 585})


@pytest.fixture(scope="module")
def crawl(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Crawl]:
    tmp = tmp_path_factory.mktemp("antibot")
    servers = {name: TinySite(*spec) for name, spec in BLOCKED_SITES.items()}
    for server in servers.values():
        server.__enter__()
    try:
        entries = [{"name": n, "start_urls": [s.url], "agency": n} for n, s in servers.items()]
        sites_file = tmp / "sites.yaml"
        sites_file.write_text(yaml.safe_dump(entries), encoding="utf-8")
        result = run_cli(
            "crawl",
            "--sites",
            str(sites_file),
            "--data-dir",
            str(tmp / "data"),
            *FAST,
            "-s",
            f"DOWNLOADER_MIDDLEWARES={_middlewares_with_antibot()}",
            # Even if challenge statuses were retryable, the challenge is caught before a retry.
            "-s",
            "RETRY_HTTP_CODES=500,502,503,504,522,524,408,429,403,412,521",
            timeout=120,
        )
        db = sqlite3.connect(db_path(tmp / "data"))
        db.row_factory = sqlite3.Row
        yield Crawl(servers, db, result.returncode, result.stdout + result.stderr)
        db.close()
    finally:
        for server in servers.values():
            server.__exit__()


@pytest.mark.parametrize(
    ("site", "vendor", "name_in_message"),
    [
        ("ruishu", "ruishu", "瑞数"),
        ("jiasule", "jiasule", "加速乐"),
        ("geobl", "wzws", "GeoBL"),
        ("column202", "ruishu", "瑞数"),
    ],
)
def test_blocked_site_is_reported_blocked_within_three_requests(
    crawl: Crawl, site: str, vendor: str, name_in_message: str
) -> None:
    assert crawl.exit_code == 1, crawl.output  # finished, with problems
    row = crawl.site(site)
    assert row["status"] == "blocked", crawl.output
    assert row["blocked_vendor"] == vendor
    run = crawl.db.execute("SELECT status, blocked_vendor FROM site_runs WHERE site = ?", [site]).fetchone()
    assert (run["status"], run["blocked_vendor"]) == ("blocked", vendor)
    served = crawl.servers[site].requests
    assert 1 <= len(served) <= 3, served
    problems = crawl.problems(site, "blocked")
    assert len(problems) == 1
    assert name_in_message in problems[0]["message"]
    assert crawl.servers[site].url.rstrip("/") in problems[0]["message"]


@pytest.mark.parametrize("site", ["loop", "loophome"])
def test_a_redirect_loop_is_a_failed_request_not_a_blocked_site(crawl: Crawl, site: str) -> None:
    row = crawl.site(site)
    assert row["status"] == "failed" and row["blocked_vendor"] is None, crawl.output
    assert not crawl.problems(site, "blocked")
    loops = [p for p in crawl.problems(site, "fetch") if "redirect loop" in p["message"]]
    assert [p["url"] for p in loops] == [crawl.servers[site].url], loops
    assert len(crawl.servers[site].requests) <= 4, crawl.servers[site].requests


def test_a_challenge_on_robots_txt_blocks_the_site_at_once(crawl: Crawl) -> None:
    for site in ("ruishu", "jiasule", "geobl"):
        assert crawl.servers[site].requests == ["/robots.txt"], site
        problem = crawl.problems(site, "blocked")[0]
        assert problem["url"].endswith("/robots.txt")


def test_the_challenge_page_is_archived_as_evidence(crawl: Crawl) -> None:
    row = crawl.db.execute(
        "SELECT f.status, f.sha256, p.sha256 AS problem_sha FROM fetches f "
        "JOIN problems p ON p.site = f.site AND p.stage = 'blocked' WHERE f.site = 'ruishu'"
    ).fetchone()
    assert row["status"] == 412
    assert row["sha256"] == hashlib.sha256(RUISHU_PAGE).hexdigest() == row["problem_sha"]


def test_a_challenge_deep_in_the_site_stops_it_after_the_home_page(crawl: Crawl) -> None:
    assert crawl.servers["column202"].requests == ["/robots.txt", "/", "/zfxxgknb/"]
    problem = crawl.problems("column202", "blocked")[0]
    assert problem["url"].endswith("/zfxxgknb/")
    assert "HTTP 202" in problem["message"]


def test_soft_404_is_a_problem_but_the_crawl_goes_on(crawl: Crawl) -> None:
    row = crawl.site("soft404")
    assert row["status"] != "blocked" and row["blocked_vendor"] is None
    assert not crawl.problems("soft404", "blocked")
    soft = [p for p in crawl.problems("soft404", "fetch") if "soft 404" in p["message"]]
    assert len(soft) == 1 and soft[0]["url"].endswith("/zfxxgknb/")
    assert "/xxgknb/" in crawl.servers["soft404"].requests
