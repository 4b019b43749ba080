"""A hostile web server on 127.0.0.1: one small portal per fault case, under ``/<case>/``.

Each case is a little government portal (home → 年报 column → report pages → attachments)
with one kind of hostility built in: a redirect loop among healthy attachments, redirect
chains that never end or leave the site, a pager that always offers one more page, more
report pages than the request budget, pages that mention 404 without being missing, 429s
with ``Retry-After``, a gzip bomb, a body that never ends, a big attachment, slow pages (to
interrupt a crawl). ``/robots.txt`` (one for all cases) forbids ``/<case>/private/``.

Every request is logged (case, path, time) so a test can bound what a crawl asked for.

    with HostileServer() as server:
        server.url("loop")            # http://127.0.0.1:PORT/loop/
        server.requests_for("loop")   # [(path, monotonic time), ...]
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import io
import threading
import time
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

MB = 1024 * 1024
YEARS = (2019, 2020, 2021, 2022, 2023)


def attachment_bytes(name: str, size: int = 2048) -> bytes:
    """Deterministic bytes for an attachment (a PDF by its magic, not a parsable one)."""
    seed, out = name.encode(), bytearray(b"%PDF-1.4\n")
    while len(out) < size:
        seed = hashlib.sha256(seed).digest()
        out += seed
    return bytes(out[:size])


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass
class Answer:
    status: int = 200
    body: bytes | Iterator[bytes] = b""
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "text/html; charset=utf-8"
    delay: float = 0.0
    vanish: bool = False  # close the connection without answering
    declared_length: int | None = None  # a Content-Length the body does not reach (then close)


def page(title: str, body: str) -> Answer:
    return Answer(
        body=(
            f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{title}</title></head>'
            f"<body>{body}</body></html>"
        ).encode()
    )


def home(case: str) -> Answer:
    return page(
        "某某县人民政府",
        f'<div class="xxgk"><h2>政府信息公开</h2><ul><li><a href="/{case}/nb/">政府信息公开年报</a></li></ul>'
        "</div><div class='footer'>主办：某某县人民政府办公室</div>",
    )


def listing(items: list[tuple[str, str]], *, more: str = "") -> Answer:
    lis = "".join(f'<li><a href="{href}">{text}</a></li>' for href, text in items)
    return page(
        "政府信息公开年报",
        f'<meta name="ColumnName" content="政府信息公开年报"><h2>政府信息公开年报</h2><ul>{lis}</ul>{more}',
    )


def report_page(year: int, attachments: list[str], text: str = "") -> Answer:
    links = "".join(f'<p><a href="{a}">附件：{a.rsplit("/", 1)[-1]}</a></p>' for a in attachments)
    prose = text or f"本报告根据《中华人民共和国政府信息公开条例》编制，{year}年度。" * 3
    return page(
        f"某某县{year}年政府信息公开工作年度报告",
        f"<h1>某某县{year}年政府信息公开工作年度报告</h1><p>{prose}</p>{links}",
    )


def report_title(year: int) -> str:
    return f"某某县{year}年政府信息公开工作年度报告"


def numbered_title(i: int) -> str:
    return report_title(YEARS[i % 5]) + f"（{i}）"


def pdf(name: str, size: int = 2048) -> Answer:
    return Answer(body=attachment_bytes(name, size), content_type="application/pdf")


def redirect(location: str, status: int = 302) -> Answer:
    return Answer(status=status, headers={"Location": location})


def endless() -> Iterator[bytes]:
    chunk = b"\0" * (256 * 1024)
    while True:
        yield chunk


@functools.cache
def gzip_bomb(size: int) -> bytes:
    """``size`` zero bytes, gzipped (about a thousandth of that), made without holding them."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    zeros = b"\0" * MB
    parts = [packer.compress(zeros) for _ in range(size // MB)]
    return b"".join([*parts, packer.flush()])


# -- the cases ---------------------------------------------------------------------------------
def _report_site(case: str, names: list[str], extra: Callable[[str, int], Answer | None]) -> Callable:
    """A home, a column of one report per name, each report page linking its attachment."""

    def answer(path: str, query: dict[str, list[str]], hits: int) -> Answer | None:
        if path == "":
            return home(case)
        if path == "nb/":
            return listing([(f"/{case}/r{i}.html", numbered_title(i)) for i in range(len(names))])
        if path.startswith("r") and path.endswith(".html"):
            i = int(path[1:-5])
            return report_page(YEARS[i % 5], [f"/{case}/{names[i]}"])
        return extra(path, hits)

    return answer


CASES: dict[str, Callable[[str, dict[str, list[str]], int], Answer | None]] = {}

# loop: five healthy attachments and one that redirects to itself.
LOOP_GOOD = ["a1.pdf", "a2.pdf", "a4.pdf", "a5.pdf", "a6.pdf"]


def _loop(path: str, hits: int) -> Answer | None:
    if path == "a3.pdf":
        return redirect("/loop/a3.pdf", 307)
    return pdf(f"loop/{path}") if path in LOOP_GOOD else None


CASES["loop"] = _report_site("loop", ["a1.pdf", "a2.pdf", "a3.pdf", "a4.pdf", "a5.pdf", "a6.pdf"], _loop)


# redirects: too many hops, off-site, back to a page already fetched, robots-excluded, one good.
def _redirects(path: str, hits: int) -> Answer | None:
    if path.startswith("hop"):
        n = int(path[3:].split(".")[0] or 0)
        return redirect(f"/redirects/hop{n + 1}.pdf")
    if path == "away.pdf":
        return redirect("http://127.0.0.2:1/away.pdf")
    if path == "back.pdf":
        return redirect("/redirects/r0.html")
    if path == "good.pdf" or path == "private/secret.pdf":
        return pdf(f"redirects/{path}")
    return None


CASES["redirects"] = _report_site(
    "redirects", ["hop0.pdf", "away.pdf", "back.pdf", "private/secret.pdf", "good.pdf"], _redirects
)


# trap: a column whose pager always offers one more page (?page=N+1), for ever.
def _trap(path: str, query: dict[str, list[str]], hits: int) -> Answer | None:
    if path == "":
        return home("trap")
    if path == "nb/":
        n = int(query.get("page", ["1"])[0])
        items = [(f"/trap/r{n % 5}.html", report_title(YEARS[n % 5]))]
        return listing(items, more=f'<div class="page"><a href="/trap/nb/?page={n + 1}">下一页</a></div>')
    if path.startswith("r") and path.endswith(".html"):
        return report_page(YEARS[int(path[1])], [])
    return None


CASES["trap"] = _trap


# budget: more report pages than the budget allows.
def _budget(path: str, query: dict[str, list[str]], hits: int) -> Answer | None:
    if path == "":
        return home("budget")
    if path == "nb/":
        return listing([(f"/budget/r{i}.html", report_title(YEARS[i % 5]) + f"（{i}）") for i in range(200)])
    if path.startswith("r") and path.endswith(".html"):
        return report_page(YEARS[int(path[1:-5]) % 5], [])
    return None


CASES["budget"] = _budget

# not404: pages that mention 404 and are not missing; one page that is.
NOT_404_TEXT = "本年度共收到政府信息公开申请404件，办结404件，结转下年度0件。" * 2


def _not404(path: str, query: dict[str, list[str]], hits: int) -> Answer | None:
    if path == "":
        return home("not404")
    if path == "nb/":
        items = [(f"/not404/r{i}.html", report_title(YEARS[i])) for i in range(3)]
        items.append(("/not404/gone.html", report_title(2018)))
        pager = '<div class="page"><a href="/not404/nb/?page=404">404</a></div>'
        return listing(items, more=pager)
    if path == "r0.html":
        return report_page(2019, [], NOT_404_TEXT)
    if path == "r1.html":
        return page("第404号 某某县2020年政府信息公开工作年度报告", "<p>全文见附件。</p>")
    if path == "r2.html":
        return report_page(2021, [])
    if path == "gone.html":
        return page("提示信息", "<p>对不起，您访问的页面不存在或已被删除！</p><a href='/'>返回首页</a>")
    return None


CASES["not404"] = _not404


# retry: a 429 asking for 1 s (then fine), and one asking for an hour.
def _retry(path: str, hits: int) -> Answer | None:
    if path == "soon.pdf":
        return pdf("retry/soon.pdf") if hits > 1 else Answer(429, b"busy", {"Retry-After": "1"})
    if path == "later.pdf":
        return Answer(429, b"busy", {"Retry-After": "3600"})
    return None


CASES["retry"] = _report_site("retry", ["soon.pdf", "later.pdf"], _retry)

# bodies: a gzip bomb, a body that never ends, a big attachment (streamed to disk), a small one.
BIG_SIZE = 12 * MB
BOMB_SIZE = 200 * MB


def _bodies(path: str, hits: int) -> Answer | None:
    if path == "bomb.pdf":
        return Answer(body=gzip_bomb(BOMB_SIZE), headers={"Content-Encoding": "gzip"})
    if path == "endless.pdf":
        return Answer(body=endless(), content_type="application/pdf")
    if path == "big.pdf":
        return pdf("bodies/big.pdf", BIG_SIZE)
    if path == "small.pdf":
        return pdf("bodies/small.pdf")
    return None


CASES["bodies"] = _report_site("bodies", ["bomb.pdf", "endless.pdf", "big.pdf", "small.pdf"], _bodies)


# slow: a column of 40 report pages, each answered after a pause (to interrupt a crawl).
def _slow(path: str, query: dict[str, list[str]], hits: int) -> Answer | None:
    if path == "":
        return home("slow")
    if path == "nb/":
        return listing([(f"/slow/r{i}.html", report_title(YEARS[i % 5]) + f"（{i}）") for i in range(40)])
    if path.startswith("r") and path.endswith(".html"):
        answer = report_page(YEARS[int(path[1:-5]) % 5], [])
        answer.delay = 0.3
        return answer
    return None


CASES["slow"] = _slow

# full: ten 1 MB attachments, to fill a small disk.
FULL_NAMES = [f"f{i}.pdf" for i in range(10)]


def _full(path: str, hits: int) -> Answer | None:
    return pdf(f"full/{path}", MB) if path in FULL_NAMES else None


CASES["full"] = _report_site("full", FULL_NAMES, _full)

# flood: several endless downloads and gzip bombs at once (memory must stay flat).
FLOOD_NAMES = [f"endless{i}.pdf" for i in range(4)] + [f"bomb{i}.pdf" for i in range(3)] + ["ok.pdf"]


def _flood(path: str, hits: int) -> Answer | None:
    if path.startswith("endless"):
        return Answer(body=endless(), content_type="application/pdf")
    if path.startswith("bomb"):
        return Answer(body=gzip_bomb(BOMB_SIZE), headers={"Content-Encoding": "gzip"})
    return pdf("flood/ok.pdf") if path == "ok.pdf" else None


def _flood_site(path: str, query: dict[str, list[str]], hits: int) -> Answer | None:
    if path == "r0.html":  # one report page linking every hostile body at once
        return report_page(2023, [f"/flood/{name}" for name in FLOOD_NAMES])
    if path == "nb/":
        return listing([("/flood/r0.html", report_title(2023))])
    return home("flood") if path == "" else _flood(path, hits)


CASES["flood"] = _flood_site

# files: hostile files that parse without an error, each to be reported.
SEED_DOCX = Path(__file__).parent / "fixtures" / "seeds" / "000.docx"


def blank_pdf(pages: int) -> bytes:
    """A valid PDF of ``pages`` blank A4 pages (no text layer, nothing to OCR)."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>"]
    kids = " ".join(f"{3 + i} 0 R" for i in range(pages))
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {pages} >>".encode())
    objects += [b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>"] * pages
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def zip_of(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(zipfile.ZipInfo(name), data)  # ZipInfo keeps "../" names as they are
    return out.getvalue()


def docx_with_external_entity() -> bytes:
    """A real DOCX whose document part declares (and uses) an external entity for /etc/passwd."""
    out = io.BytesIO()
    with zipfile.ZipFile(SEED_DOCX) as seed, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in seed.infolist():
            data = seed.read(info)
            if info.filename == "word/document.xml":
                head, sep, rest = data.partition(b"?>")
                dtd = b'<!DOCTYPE w:document [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
                data = (head + sep + dtd + rest).replace(b"</w:t>", b"&xxe;</w:t>", 1)
            z.writestr(info, data)
    return out.getvalue()


BLANK_PAGES = 5000
REPORT_HTML = "<html><body><p>某某县2023年政府信息公开工作年度报告</p></body></html>".encode()


@functools.cache
def hostile_files() -> dict[str, bytes]:
    return {
        "xxe.docx": docx_with_external_entity(),
        "deep.zip": zip_of({"level1.zip": zip_of({"level2.zip": zip_of({"report.html": REPORT_HTML})})}),
        "unsafe.zip": zip_of({"../../etc/cron.d/evil.html": REPORT_HTML, "/abs/evil.html": REPORT_HTML,
                              "report.html": REPORT_HTML}),
        "blank.pdf": blank_pdf(BLANK_PAGES),
    }  # fmt: skip


def _files(path: str, hits: int) -> Answer | None:
    data = hostile_files().get(path)
    return Answer(body=data, content_type="application/octet-stream") if data is not None else None


CASES["files"] = _report_site("files", ["xxe.docx", "deep.zip", "unsafe.zip", "blank.pdf"], _files)

ROBOTS = "User-agent: *\n" + "".join(f"Disallow: /{case}/private/\n" for case in CASES)


def _with_query(func: Callable) -> Callable[[str, dict[str, list[str]], int], Answer | None]:
    """Cases written without the query get it dropped."""
    try:
        takes_query = len(inspect.signature(func).parameters) == 3  # bound methods too
    except (TypeError, ValueError):
        return func
    return func if takes_query else (lambda p, q, h: func(p, h))


class HostileServer:
    def __init__(self, cases: dict[str, Callable] | None = None, address: str = "127.0.0.1") -> None:
        self.cases = {name: _with_query(f) for name, f in (cases or CASES).items()}
        self.requests: list[tuple[str, str, float]] = []  # (case, path, monotonic time)
        self.hits: dict[str, int] = {}
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                server.serve(self)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.address = address
        self.httpd = ThreadingHTTPServer((address, 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return self.httpd.server_address[1]

    def url(self, case: str) -> str:
        return f"http://{self.address}:{self.port}/{case}/"

    def requests_for(self, case: str) -> list[tuple[str, float]]:
        with self.lock:
            return [(path, t) for c, path, t in self.requests if c == case]

    def serve(self, handler: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(handler.path)
        case, _, rest = parts.path.lstrip("/").partition("/")
        with self.lock:
            self.requests.append((case, handler.path, time.monotonic()))
            self.hits[handler.path] = self.hits.get(handler.path, 0) + 1
            hits = self.hits[handler.path]
        if parts.path == "/robots.txt":
            answer: Answer | None = Answer(body=ROBOTS.encode(), content_type="text/plain")
        elif case in self.cases:
            answer = self.cases[case](rest, parse_qs(parts.query), hits)
        else:
            answer = None
        answer = answer or Answer(404, b"<html><body>404 Not Found</body></html>")
        if answer.delay:
            time.sleep(answer.delay)
        self._send(handler, answer)

    @staticmethod
    def _send(handler: BaseHTTPRequestHandler, answer: Answer) -> None:
        if answer.vanish:
            handler.close_connection = True
            return
        try:
            handler.send_response(answer.status)
            handler.send_header("Content-Type", answer.content_type)
            for name, value in answer.headers.items():
                handler.send_header(name, value)
            if isinstance(answer.body, bytes):
                handler.send_header("Content-Length", str(answer.declared_length or len(answer.body)))
                if answer.declared_length:
                    handler.send_header("Connection", "close")
                    handler.close_connection = True
                handler.end_headers()
                handler.wfile.write(answer.body)
                return
            handler.send_header("Connection", "close")  # no length: the body ends when we close
            handler.end_headers()
            for chunk in answer.body:
                handler.wfile.write(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a size limit): what it should do
        finally:
            if not isinstance(answer.body, bytes):
                handler.close_connection = True

    def __enter__(self) -> HostileServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
