"""Shared parts of the CMS mock families (TRS WCM, Fujian TRS, Ucap, gkmlpt, ASP.NET, Hanweb).

- Items of a column (:class:`Item`) laid out among decoys and news (:func:`lay_out`,
  :func:`lay_out_reports`), the decoys every family lists (:func:`decoys`), seed fixtures as
  report bodies and files (:func:`seed_file`, :func:`seed_body`), a small JPEG.
- :class:`SiteBuilder`: what every family's site builder does alike (resources, the manifest
  of reports and decoys, the build order); the family renders its own markup.
- :func:`crawl`: run the real ``nianbao crawl`` over sites through the server's forward proxy
  (the sites keep their host names, as API answers carry absolute URLs). The mock server
  answers POST (``tests.mockportal.server.post_key``) for every family.
- ``python -m tests.mockportal.families.kit [cassettes/trs.warc.gz]`` re-records the bundled
  cassette of all five families.
"""

from __future__ import annotations

import base64
import hashlib
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TypeVar
from urllib.parse import urljoin, urlsplit

import yaml
from parsel import Selector

from archive import db_path
from crawler.links import unwrap_href
from tests.helpers import FAST, ROOT, Crawl
from tests.mockportal.server import MockServer
from tests.mockportal.sites import (
    CST,
    FIXTURES_DIR,
    ExpectedReport,
    Resource,
    Site,
    body_fragment,
    html_resource,
)
from tests.mockportal.templates import paragraphs

JPEG = "image/jpeg"
JSON = "application/json;charset=UTF-8"
# The section's parts beside the 年报 column, as (slug, title), in menu order.
SECTION_PARTS = [
    ("zfxxgkzn", "政府信息公开指南"),
    ("zfxxgkzd", "政府信息公开制度"),
    ("fdzdgknr", "法定主动公开内容"),
]
T = TypeVar("T")

# A 24×24 red seal, as TRS editors upload into article bodies (W0….jpg).
SMALL_JPEG = base64.b64decode(
    "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAA0JCgsKCA0LCgsODg0PEyAVExISEyccHhcgLikxMC4pLSwzOko+MzZGNywt"
    "QFdBRkxOUlNSMj5aYVpQYEpRUk//2wBDAQ4ODhMREyYVFSZPNS01T09PT09PT09PT09PT09PT09PT09PT09PT09PT09P"
    "T09PT09PT09PT09PT09PT09PT0//wAARCAAYABgDASIAAhEBAxEB/8QAHwAAAQUBAQEBAQEAAAAAAAAAAAECAwQFBgcI"
    "CQoL/8QAtRAAAgEDAwIEAwUFBAQAAAF9AQIDAAQRBRIhMUEGE1FhByJxFDKBkaEII0KxwRVS0fAkM2JyggkKFhcYGRol"
    "JicoKSo0NTY3ODk6Q0RFRkdISUpTVFVWV1hZWmNkZWZnaGlqc3R1dnd4eXqDhIWGh4iJipKTlJWWl5iZmqKjpKWmp6ip"
    "qrKztLW2t7i5usLDxMXGx8jJytLT1NXW19jZ2uHi4+Tl5ufo6erx8vP09fb3+Pn6/8QAHwEAAwEBAQEBAQEBAQAAAAAA"
    "AAECAwQFBgcICQoL/8QAtREAAgECBAQDBAcFBAQAAQJ3AAECAxEEBSExBhJBUQdhcRMiMoEIFEKRobHBCSMzUvAVYnLR"
    "ChYkNOEl8RcYGRomJygpKjU2Nzg5OkNERUZHSElKU1RVVldYWVpjZGVmZ2hpanN0dXZ3eHl6goOEhYaHiImKkpOUlZaX"
    "mJmaoqOkpaanqKmqsrO0tba3uLm6wsPExcbHyMnK0tPU1dbX2Nna4uPk5ebn6Onq8vP09fb3+Pn6/9oADAMBAAIRAxEA"
    "PwDvdT1F7eRLKxjWfUJhmOMn5UXvI57KPzJ4HtS/s/xJ/rv7dg8z732f7Ivl567N2d23tnrj3o07/kctY8//AFnlQeRv"
    "6+Xg7tuf4d3XHGfeua/4qP8A4TD/AJiv2L7f/wBNPL8vzPy24/DFYyl1Z6NKlvGLSsk9Une6vZXOy0zUXuJHsr6NYNQh"
    "GZIwflde0iHup/MHg+5VLUf+Ry0fyP8AWeVP5+zr5eBt3Y/h3dM8Z96K0i90clWKVpLqr/i1+hd1PTnuJEvbGRYNQhGI"
    "5CPlde8bjup/MHke9L+0PEn+p/sKDzPu/aPta+Xnpv243be+OuPeiihx7BGrZWkk/W/6NF3TNOe3ke9vpFn1CYYkkA+V"
    "F7RoOyj8yeT7FFFNKxnKTk7s/9k="
)


# --------------------------------------------------------------------------- content


@dataclass
class Item:
    """One entry of a column: a report, a decoy (report-like but not one) or news."""

    kind: str  # report | decoy | news
    title: str
    when: datetime
    doc_id: int = 0
    path: str = ""
    seed: str = ""  # reports: the seed fixture giving body and files
    attachments: list[str] = field(default_factory=list)  # reports: paths as linked


def cst(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    """A time in China Standard Time (UTC+8), as portals state their dates."""
    return datetime(y, m, d, hh, mm, tzinfo=CST)


def seed_file(seed: str, suffix: str) -> bytes:
    """``tests/fixtures/seeds/<seed><suffix>``, e.g. ``seed_file("003", ".docx")``."""
    return (FIXTURES_DIR / f"{seed}{suffix}").read_bytes()


def attached_docx() -> bytes:
    """The DOCX attached beside a full HTML report body: the smallest seed's (003), so the
    bundled cassette stays small (the page body is the report there; the file is extra)."""
    return seed_file("003", ".docx")


def seed_body(seed: str) -> str:
    """The report body of a seed as an HTML fragment (the inside of ``<body>``)."""
    return body_fragment(seed_file(seed, ".body.html").decode("utf-8"))


def decoys(city: str, department: str, year: int) -> list[str]:
    """Titles that look like reports and are not (PORTALS.md "Decoys")."""
    return [
        f"{city}{year}年政府网站工作年度报表",
        f"{city}{year}年法治政府建设年度报告",
        f"关于做好{year}年政府信息公开工作年度报告编制发布工作的通知",
        f"{department}{year}年部门决算",
        f"{city}{year}年国民经济和社会发展统计公报",
    ]


NEWS = [
    "{city}召开政务公开工作推进会",
    "{city}开展“一网通办”业务培训",
    "关于调整政务服务大厅夏季工作时间的公告",
    "{city}政务服务中心开展窗口服务质量评议",
    "网上政务大厅新增电子证照查询功能",
    "关于公布第二批“最多跑一次”事项清单的通知",
    "{city}组织学习新修订的政府信息公开条例",
    "政务服务中心组织开展消防安全演练",
    "{city}召开党风廉政建设工作会议",
    "关于春节期间政务服务大厅工作安排的通知",
    "{city}推进基层政务公开标准化规范化",
    "{city}召开优化营商环境工作会议",
    "{city}政务服务热线运行情况通报",
    "关于开展政务服务“好差评”工作的公告",
    "{city}新时代文明实践活动综述",
    "{city}深入推进“放管服”改革",
]


def lay_out(
    pattern: str,
    reports: list[tuple[str, str, datetime]],
    *,
    city: str,
    department: str,
    first_id: int,
) -> list[Item]:
    """A column, newest first, one letter of ``pattern`` per item: ``R`` the next report
    (title, seed, published), ``D`` the next decoy, ``N`` news. Reports keep their dates; the
    others get dates between their neighbours', so the list is in date order like a CMS's.

    >>> items = lay_out("NRDN", [("某局2019年政府信息公开工作年度报告", "003",
    ...                  datetime(2020, 3, 1, tzinfo=CST))], city="某市", department="某局", first_id=10)
    >>> [(it.kind, f"{it.when:%m-%d}", it.doc_id) for it in items]
    [('news', '03-12', 31), ('report', '03-01', 24), ('decoy', '02-21', 17), ('news', '02-12', 10)]
    >>> items[2].title
    '某市2019年政府网站工作年度报表'
    """
    dates = _report_dates(pattern, reports)
    fixed = {i: when for i, when in enumerate(dates) if when is not None}
    anchors = sorted(fixed)
    if not anchors:
        raise ValueError("a column needs a report")
    items: list[Item] = []
    report_iter = iter(reports)
    decoy_index = news_index = 0
    news = [t.format(city=city) for t in NEWS]
    for i, ch in enumerate(pattern):
        when = _interpolate(i, fixed, anchors).replace(hour=8 + i % 9, minute=(7 * i) % 60, second=0)
        if ch == "R":
            title, seed, published = next(report_iter)
            items.append(Item("report", title, published, seed=seed))
        elif ch == "D":
            title = decoys(city, department, when.year - 1)[decoy_index % 5]
            items.append(Item("decoy", title, when))
            decoy_index += 1
        else:
            items.append(Item("news", news[news_index % len(news)], when))
            news_index += 1
    for n, item in enumerate(reversed(items)):  # ids grow with time, like a CMS's
        item.doc_id = first_id + 7 * n
    return items


def _report_dates(pattern: str, reports: list[tuple[str, str, datetime]]) -> list[datetime | None]:
    dates = iter(when for _, _, when in reports)
    return [next(dates) if ch == "R" else None for ch in pattern]


def _interpolate(i: int, fixed: dict[int, datetime], anchors: list[int]) -> datetime:
    if i in fixed:
        return fixed[i]
    before = [a for a in anchors if a < i]
    after = [a for a in anchors if a > i]
    if not before:
        return fixed[after[0]] + timedelta(days=11 * (after[0] - i))
    if not after:
        return fixed[before[-1]] - timedelta(days=9 * (i - before[-1]))
    a, b = before[-1], after[0]
    return fixed[a] + (fixed[b] - fixed[a]) * (i - a) / (b - a)


def lay_out_reports(
    pattern: str,
    reports: Sequence[tuple[str, str, datetime, T]],
    *,
    city: str,
    department: str,
    first_id: int,
) -> list[tuple[Item, T | None]]:
    """:func:`lay_out` of reports given as (title, seed, published, how): each item with its
    report's ``how`` (the family's word for how it is published), ``None`` for the others."""
    items = lay_out(
        pattern,
        [(title, seed, when) for title, seed, when, _ in reports],
        city=city,
        department=department,
        first_id=first_id,
    )
    how = {title: extra for title, _, _, extra in reports}
    return [(item, how[item.title] if item.kind == "report" else None) for item in items]


def paginate(items: Sequence[T], size: int) -> list[Sequence[T]]:
    """The pages of a list, ``size`` items each (the last one maybe fewer).

    >>> paginate("abcde", 2)
    ['ab', 'cd', 'e']
    """
    return [items[k : k + size] for k in range(0, len(items), size)]


def report_year(title: str) -> int:
    """The year a report is about: the four digits before the title's first 年.

    >>> report_year("衡水市教育局2018年政府信息公开工作年度报告")
    2018
    """
    return int(title.split("年", 1)[0][-4:])


def brief(item: Item) -> str:
    """The body of a decoy or news article: one dated sentence."""
    return paragraphs([f"{item.when:%Y年%m月%d日}，{item.title}。"])


class SiteBuilder:
    """What every family's site builder does alike: gather the resources and the manifest (the
    reports a crawl must find, the decoys it must not take), and :meth:`build` the site in one
    order. A family renders its own markup in :meth:`article`, :meth:`column` and
    :meth:`static_pages`."""

    def __init__(self, name: str, host: str, agency: str, updated: datetime) -> None:
        self.name, self.host, self.agency = name, host, agency
        self.resources: dict[str, Resource] = {}
        self.expected: list[ExpectedReport] = []
        self.decoys: list[str] = []
        self.updated = updated  # Last-Modified of the undated pages (home, lists)

    def html(self, path: str, html: str, when: datetime | None = None) -> None:
        self.resources[path] = html_resource(html, when or self.updated)

    def listed(self, item: Item, attachments: Iterable[str] = ()) -> None:
        """Enter an article in the manifest: a report with its attachments (paths as linked),
        anything else as a decoy."""
        if item.kind == "report":
            year = report_year(item.title)
            self.expected.append(ExpectedReport(item.path, item.title, year, item.seed, sorted(attachments)))
        else:
            self.decoys.append(item.path)

    def build(
        self,
        pattern: str,
        reports: Sequence[tuple[str, str, datetime, str]],
        *,
        city: str,
        department: str,
        first_id: int,
    ) -> Site:
        """Lay out the column (:func:`lay_out_reports`), render every article, then the
        column's pages and the rest of the site."""
        column = lay_out_reports(pattern, reports, city=city, department=department, first_id=first_id)
        for item, how in column:
            self.article(item, how)
        self.column([item for item, _ in column])
        self.static_pages()
        return self.site()

    def site(self) -> Site:
        return Site(self.name, self.host, self.agency, self.resources, self.expected, self.decoys, [])

    def article(self, item: Item, how: str | None) -> None:
        """Render an item's page (and its files) and enter it in the manifest."""
        raise NotImplementedError

    def column(self, items: list[Item]) -> None:
        """Render the column's list pages (or API answers)."""
        raise NotImplementedError

    def static_pages(self) -> None:
        """Render home, the section and its other parts, robots.txt."""
        raise NotImplementedError


def hex32(text: str) -> str:
    """A stable 32-hex id (Ucap manuscript ids, file names)."""
    return hashlib.md5(text.encode("utf-8")).hexdigest()


def served(site: Site, path: str) -> Resource:
    """The resource finally served for a path (query included), following the site's redirects."""
    resource = site.resources[path]
    while resource.status in (301, 302, 303, 307, 308):
        path = urljoin("http://h" + path, resource.headers["Location"]).removeprefix("http://h")
        resource = site.resources[path]
    return resource


def dangling_links(site: Site) -> list[str]:
    """Same-site ``<a href>`` / ``<img src>`` targets of the site's pages that it does not serve
    (a mock's own consistency: every listed item and file exists)."""
    missing = []
    for key, resource in site.resources.items():
        if not resource.content_type.startswith("text/html") or resource.status != 200:
            continue
        base = (
            "http://" + site.host + key.split(" ")[1]
            if key.startswith("POST ")
            else "http://" + site.host + key
        )
        page = Selector(text=_decode(resource.body))
        for raw in [*page.css("a::attr(href)").getall(), *page.css("img::attr(src)").getall()]:
            href = unwrap_href(raw)
            url = urljoin(base, href) if href else ""
            parts = urlsplit(url)
            if parts.hostname != site.host:
                continue
            path = parts.path + (f"?{parts.query}" if parts.query else "")
            candidates = {path, parts.path, parts.path + "index.html", parts.path + "/index.html"}
            if not candidates & site.resources.keys():
                missing.append(f"{key} -> {path}")
    return missing


def _decode(body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return body.decode("gb18030")


# --------------------------------------------------------------------------- crawling


@contextmanager
def crawl(sites: list[Site], tmp: Path, *extra: str) -> Iterator[Crawl]:
    """Run ``nianbao crawl`` over ``sites`` (by host name, through the mock proxy)."""
    sites_file = write_sites_file(tmp / "sites.yaml", sites)
    with MockServer(sites, direct=False) as server:
        result = run_crawl(server, sites_file, tmp / "data", *extra, timeout=300)
    db = sqlite3.connect(db_path(tmp / "data"))
    db.row_factory = sqlite3.Row
    try:
        yield Crawl(server, sites, tmp / "data", db, result.returncode, result.stdout + result.stderr)
    finally:
        db.close()


def run_crawl(
    server: MockServer, sites_file: Path, data_dir: Path, *extra: str, timeout: float | None = None
) -> subprocess.CompletedProcess[str]:
    """``nianbao crawl`` of a sites file in a subprocess, every request through ``server``'s
    proxy, with no download delay."""
    command = [sys.executable, "-m", "nianbao.cli", "crawl", "--sites", str(sites_file)]
    command += ["--data-dir", str(data_dir), *FAST, *extra]
    env = server.proxy_env()
    return subprocess.run(command, capture_output=True, text=True, cwd=ROOT, env=env, timeout=timeout)


def write_sites_file(path: Path, sites: list[Site]) -> Path:
    """A sites file naming ``sites`` by their host names."""
    entries = [{"name": s.name, "start_urls": [f"http://{s.host}/"], "agency": s.agency} for s in sites]
    path.write_text(yaml.safe_dump(entries, allow_unicode=True), encoding="utf-8")
    return path


def cms_sites() -> list[Site]:
    """One mock site per CMS family, in a fixed order."""
    from tests.mockportal.families import aspnet, fujian_trs, gkmlpt, trs, ucap

    return [trs.build(), fujian_trs.build(), ucap.build(), gkmlpt.build(), aspnet.build()]


def record_cassette(out: Path, data_dir: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Record a crawl of :func:`cms_sites` into the WARC ``out`` (with the demo recorder)."""
    from tests.record_demo_cassette import record  # here: that module imports this one

    return record(out, sites=cms_sites(), data_dir=data_dir)


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "cassettes/trs.warc.gz")
    with tempfile.TemporaryDirectory() as tmp:
        print(record_cassette(target, Path(tmp)).stdout)
    print(f"recorded {target} ({target.stat().st_size} bytes)")
