"""Reparse benchmark: ``nianbao reparse`` over an archive of many different documents.

The archive is built directly with the :class:`archive.Archive` API (``store_body`` +
``record_fetch``), as a crawl would have left it: report items (role ``report``) and their
attachments (role ``attachment``, ``referer`` = the report page). Reports cycle through
four shapes seen on portals, so that documents are 1/3 HTML pages, 1/3 PDFs, 1/6 DOCX:

- a full HTML report (a seed body, other department, figures moved),
- a short page with a PDF attachment,
- a short page with a DOCX attachment,
- a PDF linked directly from the list (the report item is the file).

Every document's bytes differ (:mod:`bench.variants`). Then ``nianbao reparse`` runs as a
user runs it, on every core, and is timed from start to exit.
"""

from __future__ import annotations

import re
import sqlite3
import subprocess
import time
from contextlib import closing
from pathlib import Path
from typing import Any

from archive import db_path
from bench import variants
from bench.crawlbench import ROOT, _env, end_group, nianbao_command
from bench.report import section
from tests.mockportal import templates as t

TIME_LIMIT_S = 300.0
_TABLES = ("documents", "reports", "metrics", "problems")
TARGET_DOCS = 10_000
SITE = "bench"
BASE = "http://bench.nianbao.test"
AGENCY = "基准市人民政府"
PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def build_archive(data_dir: Path, documents: int) -> dict[str, int]:
    """An archive of about ``documents`` documents (never fewer); returns what it holds."""
    from archive import Archive

    archive = Archive(data_dir, fsync=False)  # setting up, not measured
    run = archive.start_run("crawl", mode="live", sites=[SITE])
    archive.upsert_site(SITE, agency=AGENCY, region="基准省基准市", start_urls=[BASE + "/"])
    counts = {"reports": 0, "documents": 0, "html": 0, "pdf": 0, "docx": 0}
    n = 0
    while counts["documents"] < documents:
        _add_report(archive, run, n, counts)
        n += 1
    archive.finish_run(run, exit_code=0, stats={"fetches": counts["documents"]})
    archive.close()
    return counts


def _add_report(archive: Any, run: int, n: int, counts: dict[str, int]) -> None:
    shape = n % 4
    year = 2024 - (n // 500) % 15
    title = variants.report_title(n, year)
    dept = variants.department(n)
    seed = variants.SEEDS[(n // 4) % len(variants.SEEDS)]
    listing = f"{BASE}/zwgk/zfxxgknb/{year}/index_{n // 20}.html"
    page_url = f"{BASE}/zwgk/zfxxgknb/{year}/t{year + 1}0331_{100000 + n}.html"
    if shape == 3:  # the list links the PDF itself
        url = f"{BASE}/zwgk/zfxxgknb/{year}/P0{year + 1}0331{n:012d}.pdf"
        body = variants.attachment("pdf", seed, n, dept)
        _fetch(archive, run, url, body, PDF, role="report", referer=listing, text=title)
        counts["pdf"] += 1
        counts["documents"] += 1
        counts["reports"] += 1
        return
    if shape == 0:
        html = variants.html_body_variant(seed, n, dept)
        attachment = None
    else:
        kind = "pdf" if shape == 1 else "docx"
        html = t.paragraphs([f"现将{title}予以公布。", "报告全文见附件。"])
        attachment = (kind, f"{BASE}/zwgk/zfxxgknb/{year}/P0{year + 1}0331{n:012d}.{kind}")
    page = _page(title, dept, html, attachment[1] if attachment else None)
    _fetch(archive, run, page_url, page, "text/html", role="report", referer=listing, text=title)
    counts["html"] += 1
    counts["documents"] += 1
    if attachment:
        kind, url = attachment
        data = variants.attachment(kind, seed, n, dept)
        media = PDF if kind == "pdf" else DOCX
        name = url.rsplit("/", 1)[1]
        _fetch(
            archive,
            run,
            url,
            data,
            media,
            role="attachment",
            referer=page_url,
            text=title,
            name=name,
        )
        counts[kind] += 1
        counts["documents"] += 1
    counts["reports"] += 1


def _page(title: str, dept: str, body: str, attachment: str | None) -> bytes:
    links = [t.Link(attachment, f"{title}.{attachment.rsplit('.', 1)[1]}")] if attachment else []
    article = t.article(
        title=title, published="2024-03-31 09:00", source=dept, body_html=body, attachments=links
    )
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8">'
        f'<meta name="ArticleTitle" content="{title}"><title>{title}</title></head>'
        f"<body>{article}</body></html>"
    ).encode()


def _fetch(
    archive: Any,
    run: int,
    url: str,
    body: bytes,
    media: str,
    *,
    role: str,
    referer: str,
    text: str,
    name: str | None = None,
) -> None:
    sha, _ = archive.store_body(body, media_type=media)
    archive.record_fetch(
        run_id=run,
        site=SITE,
        url=url,
        final_url=url,
        method="GET",
        status=200,
        headers={"Content-Type": media},
        referer=referer,
        link_text=text,
        role=role,
        filename=name,
        size=len(body),
        sha256=sha,
    )


def reparse_section(
    work: Path, *, documents: int, deadline: float | None = None, workers: int | None = None
) -> dict[str, Any]:
    """Section 4. Past ``deadline`` (``time.monotonic()``) the reparse is ended and its
    rate so far (documents saved ÷ time) stands for the whole."""
    data_dir = work / "data"
    t0 = time.monotonic()
    built = build_archive(data_dir, documents)
    build_s = time.monotonic() - t0
    command = [*nianbao_command(), "reparse", "--data-dir", str(data_dir)]
    if workers:
        command += ["--workers", str(workers)]
    out_path, err_path = work / "reparse.out", work / "reparse.err"
    start = time.monotonic()
    with out_path.open("w") as out, err_path.open("w") as err:
        # Its own process group: at the deadline its parse workers are ended with it.
        options: dict[str, Any] = {"cwd": ROOT, "env": _env(), "start_new_session": True}
        proc = subprocess.Popen(command, stdout=out, stderr=err, **options)
        stopped = False
        while proc.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                done_at_stop = _count(data_dir, "documents")
                end_group(proc)
                stopped = True
                break
            time.sleep(0.5)
    wall = time.monotonic() - start
    counts = {table: _count(data_dir, table) for table in _TABLES}
    done = done_at_stop if stopped else built["documents"]
    docs_per_s = done / wall if done else 0.0
    projected = TARGET_DOCS / docs_per_s if docs_per_s else float("inf")
    figures = {
        "archive": built,
        "archive_build_s": round(build_s, 1),
        "reparse_wall_s": round(wall, 1),
        "documents_parsed": done,
        "documents_per_s": round(docs_per_s, 2),
        "projected_s_for_10000": round(projected, 1),
        "stopped_at_time_budget": stopped,
        "exit_code": None if stopped else proc.returncode,
        "db_after": counts,
        "workers": workers or "every core",
        "summary": _summary(out_path.read_text("utf-8", "replace")),
    }
    notes = []
    if stopped:
        notes.append(f"time budget reached after {done} of {built['documents']} documents")
    elif proc.returncode not in (0, 1):
        notes.append(f"reparse failed: {err_path.read_text('utf-8', 'replace')[-800:]}")
    if abs(built["documents"] - TARGET_DOCS) > TARGET_DOCS // 100:  # (the builder may add one)
        notes.append(f"{built['documents']} documents; the target is for {TARGET_DOCS} (projected)")
    ok = stopped or proc.returncode in (0, 1)
    return section(
        "reparse",
        figures,
        ratio=projected / TIME_LIMIT_S,
        ratio_of=f"time for {TARGET_DOCS} documents ÷ {TIME_LIMIT_S:.0f} s",
        target="< 1 (10,000 documents in < 5 min)",
        passed=projected < TIME_LIMIT_S and ok,
        notes=notes,
    )


def _count(data_dir: Path, table: str) -> int:
    try:
        uri = f"file:{db_path(data_dir)}?mode=ro"
        with closing(sqlite3.connect(uri, uri=True, timeout=5)) as db:
            return int(db.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
    except sqlite3.Error:
        return 0


def _summary(stdout: str) -> str:
    lines = [ln.strip() for ln in stdout.splitlines() if re.match(r"\s*(reparsed|against)", ln)]
    return " / ".join(lines)
