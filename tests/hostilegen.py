"""Generated hostile portals: each seed draws a small portal (a 年报 column of a few reports with
their attachments, on one or two list pages) and two to four faults placed at random in it,
and knows its own truth — what must be archived whole, and which URL each fault must leave a
problems row for. The hand-written cases of tests/hostile.py test each fault alone, with its
exact message; these test that faults met in any mix, anywhere in a portal, never cost the
healthy reports beside them and never vanish silently.

    portal = generate(7)
    with HostileServer({portal.name: portal.answer}, address="127.0.7.1") as server: ...

Faults (the stage and words of the row each must leave are in ``EXPECTED``):

- ``loop``: an attachment that redirects to itself; ``hops``: a redirect chain without end;
  ``offsite``: an attachment that redirects to another server;
- ``vanish``: the server closes the connection without answering; ``truncated``: a body
  shorter than its Content-Length; ``error500``: always a server error; ``gone``: a report
  item whose page is not there (404);
- ``bomb``: a gzip bomb; ``endless``: a body that never ends;
- ``pager_trap``: the column's pager offers one more page for ever.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from tests.hostile import (
    YEARS,
    Answer,
    attachment_bytes,
    endless,
    gzip_bomb,
    listing,
    page,
    pdf,
    redirect,
    report_page,
    report_title,
)

FAULTS = (
    "loop",
    "hops",
    "offsite",
    "vanish",
    "truncated",
    "error500",
    "gone",
    "bomb",
    "endless",
    "pager_trap",
)
# fault → (problems stage, words its message holds).
EXPECTED: dict[str, tuple[str, str]] = {
    "loop": ("fetch", "redirect loop"),
    "hops": ("fetch", "too many redirects"),
    "offsite": ("fetch", "off-site redirect"),
    "vanish": ("fetch", "closed the connection without answering"),
    "truncated": ("fetch", "body cut short"),
    "error500": ("fetch", "500"),
    "gone": ("fetch", "404"),
    "bomb": ("fetch", "decompression bomb"),
    "endless": ("fetch", "DOWNLOAD_MAXSIZE"),
    "pager_trap": ("crawl", "crawler trap"),
}
BOMB_SIZE = 64 * 1024 * 1024  # over the bound the tests set (NIANBAO_DECOMPRESSED_MAXSIZE)


@dataclass
class Report:
    path: str  # /<name>/...html
    year: int
    attachments: list[str]  # paths of the healthy attachments
    faulty: list[str] = field(default_factory=list)  # paths of attachments with a fault


@dataclass
class HostilePortal:
    seed: int
    name: str
    reports: list[Report]
    faults: dict[str, str]  # fault → the path whose problems row it must leave
    per_page: int  # list items per page (two pages when fewer than the reports)

    # -- truth ------------------------------------------------------------------------------
    def healthy_paths(self) -> list[str]:
        """Every report page and healthy attachment: each must be archived, byte for byte."""
        return [p for r in self.reports for p in (r.path, *r.attachments)]

    def healthy_bytes(self, path: str) -> bytes | None:
        """What an attachment's bytes must be (report pages: None, their markup is ours)."""
        return attachment_bytes(f"{self.name}{path}") if path.endswith(".pdf") else None

    # -- the server -------------------------------------------------------------------------
    def answer(self, rest: str, query: dict[str, list[str]], hits: int) -> Answer | None:
        path = "/" + self.name + "/" + rest
        if rest == "":
            return page(
                "某某县人民政府",
                f'<div class="nav"><a href="/{self.name}/gk/">政府信息公开</a></div>'
                "<div class='footer'>主办：某某县人民政府办公室</div>",
            )
        if rest == "gk/":
            return page("政府信息公开", f'<ul><li><a href="/{self.name}/nb/">政府信息公开年报</a></li></ul>')
        if rest == "nb/":
            return self._listing(int(query.get("page", ["1"])[0]))
        report = next((r for r in self.reports if r.path == path), None)
        if report is not None:
            return report_page(report.year, [*report.attachments, *report.faulty])
        if path in (a for r in self.reports for a in r.attachments):
            return pdf(f"{self.name}{path}")
        return self._fault(path, hits)

    def _listing(self, number: int) -> Answer:
        items = [(r.path, report_title(r.year) + f"（{i}）") for i, r in enumerate(self.reports)]
        if "gone" in self.faults:
            items.insert(len(items) // 2, (self.faults["gone"], report_title(YEARS[0]) + "（补）"))
        pages = [items[i : i + self.per_page] for i in range(0, len(items), self.per_page)]
        shown = pages[number - 1] if number <= len(pages) else pages[-1]
        more = ""
        if number < len(pages) or "pager_trap" in self.faults:
            more = f'<div class="page"><a href="/{self.name}/nb/?page={number + 1}">下一页</a></div>'
        return listing(shown, more=more)

    def _fault(self, path: str, hits: int) -> Answer | None:
        fault = next((f for f, p in self.faults.items() if path == p), None)
        base = f"/{self.name}/"
        if fault is None and path.startswith(base + "hop"):
            fault = "hops"
        match fault:
            case "loop":
                return redirect(path, 307)
            case "hops":
                n = int(path.removeprefix(base + "hop").split(".")[0] or 0)
                return redirect(f"{base}hop{n + 1}.pdf")
            case "offsite":
                return redirect("http://127.0.0.2:1/away.pdf")
            case "vanish":
                return Answer(vanish=True)
            case "truncated":
                body = attachment_bytes(f"{self.name}{path}", 600)
                return Answer(body=body, content_type="application/pdf", declared_length=20_000)
            case "error500":
                return Answer(500, b"<html><body>Internal Server Error</body></html>")
            case "bomb":
                return Answer(
                    body=gzip_bomb(BOMB_SIZE),
                    content_type="application/pdf",
                    headers={"Content-Encoding": "gzip"},
                )
            case "endless":
                return Answer(body=endless(), content_type="application/pdf")
        return None  # "gone" and anything else: 404


def generate(seed: int) -> HostilePortal:
    """One hostile portal, deterministic for ``seed``."""
    rnd = random.Random(seed)
    name = f"h{seed}"
    years = rnd.sample(YEARS, rnd.randint(3, 5))
    reports = []
    for i, year in enumerate(sorted(years)):
        folder = rnd.choice(["", "art/", f"{year}/"])
        attachments = [f"/{name}/{folder}f{i}_{j}.pdf" for j in range(rnd.randint(1, 2))]
        reports.append(Report(f"/{name}/{folder}r{i}.html", year, attachments))
    faults: dict[str, str] = {}
    for fault in rnd.sample(FAULTS, rnd.randint(2, 4)):
        if fault == "pager_trap":
            faults[fault] = f"/{name}/nb/"
        elif fault == "gone":
            faults[fault] = f"/{name}/missing{seed}.html"
        else:
            where = rnd.choice(reports)
            target = f"/{name}/hop0.pdf" if fault == "hops" else f"/{name}/{fault}{rnd.randrange(100)}.pdf"
            where.faulty.append(target)
            faults[fault] = target
    return HostilePortal(
        seed=seed,
        name=name,
        reports=reports,
        faults=faults,
        per_page=rnd.choice([len(reports) + 1, max(2, len(reports) // 2 + 1)]),
    )
