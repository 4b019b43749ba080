"""WACZ (Web Archive Collection Zipped, 1.1.1) in and out, as browsertrix and ReplayWeb.page
users exchange web archives.

``nianbao export-warc --out FILE.wacz`` writes the export's WARC (nianbao/export.py) into a
WACZ made by the ``wacz`` package (the ``warc`` extra): ``archive/data.warc.gz``, the CDX
index, ``datapackage.json`` with every file's hash, and ``pages/pages.jsonl`` listing the
portals' home pages and the report pages, so a replay tool opens on something useful.
``nianbao import-warc`` takes WACZ files beside WARC files: each WARC inside is read as if
given on its own.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from archive import Archive
from archive.warc import warc_date
from vocabulary import ENTRY_PAGE_ROLES

MAX_WARC_MEMBER = 64 << 30  # a WARC inside a WACZ larger than this is refused (64 GiB)
_ZIP_MAGIC = b"PK\x03\x04"


class WaczError(Exception):
    """A WACZ that could not be written or read."""


def is_wacz(path: Path) -> bool:
    with path.open("rb") as f:
        return f.read(4) == _ZIP_MAGIC


# -- out -------------------------------------------------------------------------------------
def pages(archive: Archive, where: str, params: list[Any]) -> Iterator[dict[str, Any]]:
    """pages.jsonl entries: each home page and report page captured with status 200 (its
    latest capture), titled by the report's title or the link text it was found under."""
    sql = (
        "SELECT coalesce(f.final_url, f.url) AS url, max(f.fetched_at) AS ts, "
        "coalesce(max(r.title), max(f.link_text), max(s.agency), f.site) AS title "
        f"FROM (SELECT * FROM fetches {where}) f LEFT JOIN reports r ON r.url IN (f.url, f.final_url) "
        "LEFT JOIN sites s ON s.name = f.site "
        f"WHERE f.status IN (200, 304) AND f.role IN ({', '.join('?' for _ in ENTRY_PAGE_ROLES)}) "
        "GROUP BY coalesce(f.final_url, f.url) ORDER BY min(f.id)"
    )
    for row in archive.db.query(sql, [*params, *ENTRY_PAGE_ROLES]):
        # ts: the WARC-Date of the capture, as the WARC gives it
        yield {"url": row["url"], "ts": warc_date(row["ts"]), "title": row["title"] or row["url"]}


def write_pages(path: Path, entries: Iterator[dict[str, Any]]) -> int:
    count = 0
    with path.open("w", encoding="utf-8") as out:
        out.write(json.dumps({"format": "json-pages-1.0", "id": "pages", "title": "All Pages"}) + "\n")
        for entry in entries:
            out.write(json.dumps({"id": f"page-{count}", **entry}, ensure_ascii=False) + "\n")
            count += 1
    return count


def _wacz_cli(args: list[str]) -> None:
    """Run the ``wacz`` package's command in this process; its chatter is not ours to print."""
    try:
        from wacz.main import main as wacz_main
    except ImportError as exc:  # pragma: no cover - the warc extra is not installed
        raise WaczError("writing WACZ needs the wacz package: pip install 'nianbao[warc]'") from exc
    chatter = io.StringIO()
    with contextlib.redirect_stdout(chatter), contextlib.redirect_stderr(chatter):
        code = wacz_main(args)
    if code:
        raise WaczError(f"wacz {args[0]} failed: {chatter.getvalue().strip()[-500:]}")


def write_wacz(
    out: Path,
    write_warc: Callable[[Path], Any],
    page_entries: Callable[[], Iterator[dict[str, Any]]],
    *,
    title: str,
    description: str,
) -> Any:
    """Write a WACZ to ``out`` (atomically): ``write_warc(path)`` writes the WARC it holds
    and its result is returned; ``page_entries()`` lists its pages."""
    with tempfile.TemporaryDirectory(prefix=".wacz-", dir=out.parent) as tmp:
        work = Path(tmp)
        warc = work / "data.warc.gz"
        result = write_warc(warc)
        pages_file = work / "pages.jsonl"
        write_pages(pages_file, page_entries())
        made = work / "out.wacz"
        _wacz_cli(
            [
                "create",
                "-o",
                str(made),
                str(warc),
                "-p",
                str(pages_file),
                "--title",
                title,
                "--desc",
                description,
            ]
        )
        os.replace(made, out)
    return result


def validate(path: Path) -> None:
    """``wacz validate``: raises WaczError if the package finds the file wrong."""
    _wacz_cli(["validate", "-f", str(path)])


# -- in --------------------------------------------------------------------------------------
@contextlib.contextmanager
def warcs_inside(path: Path) -> Iterator[list[Path]]:
    """The WARC files of a WACZ, copied out to a temporary directory under names of our own
    (a member's name is never used as a path)."""
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile as exc:
        raise WaczError(f"{path}: not a readable WACZ (zip): {exc}") from exc
    with archive, tempfile.TemporaryDirectory(prefix="nianbao-wacz-") as tmp:
        members = [
            m for m in archive.infolist()
            if m.filename.startswith("archive/") and m.filename.endswith((".warc", ".warc.gz"))
        ]  # fmt: skip
        if not members:
            raise WaczError(f"{path}: a WACZ without WARC files under archive/")
        copies = []
        for index, member in enumerate(members):
            if member.file_size > MAX_WARC_MEMBER:
                raise WaczError(f"{path}: {member.filename} is larger than {MAX_WARC_MEMBER} bytes")
            suffix = ".warc.gz" if member.filename.endswith(".gz") else ".warc"
            copy = Path(tmp) / f"{index:04d}{suffix}"
            with archive.open(member) as src, copy.open("wb") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
            copies.append(copy)
        yield copies
