"""Archive writes that moving archives between machines needs (WARC import), on top of
:class:`~archive.archive.Archive`.

Bodies arrive as streams (a WARC record may hold a large PDF), so they go to the object
store chunk by chunk; a stream that fails midway (a truncated record) raises before the
object is installed, so no partial body ever gets a name.

>>> import tempfile
>>> from archive import Archive
>>> a = Archive(tempfile.mkdtemp(), fsync=False)
>>> sha, new, size = store_chunks(a, [b"<html>", b"hi</html>"], media_type="text/html")
>>> new, size, store_chunks(a, [b"<html>hi</html>"])[1]
(True, 15, False)
>>> ensure_site(a, "demo", agency="某市人民政府")
True
>>> ensure_site(a, "demo", agency="another")  # an existing site is left as it is
False
>>> a.db["sites"].get("demo")["agency"]
'某市人民政府'
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

from archive.archive import Archive
from archive.db import now


def store_chunks(
    archive: Archive, chunks: Iterable[bytes], *, media_type: str | None = None
) -> tuple[str, bool, int]:
    """Keep a streamed body; returns (sha256, whether it is new to the archive, size)."""
    counted = _Counter(chunks)
    sha256 = archive.store.put_chunks(counted)
    files = archive.db["files"]
    if files.count_where("sha256 = ?", [sha256]):
        return sha256, False, counted.size
    files.insert(
        {
            "sha256": sha256,
            "size": counted.size,
            "media_type": media_type,
            "path": archive.store.relpath(sha256),
            "first_seen_at": now(),
        },
        ignore=True,
    )
    return sha256, True, counted.size


def ensure_site(archive: Archive, name: str, **fields: Any) -> bool:
    """Add a site unless the archive knows it already (its own description wins)."""
    if archive.db["sites"].count_where("name = ?", [name]):
        return False
    archive.upsert_site(name, **fields)
    return True


def set_run_sites(archive: Archive, run_id: int, sites: list[str]) -> None:
    """Name a run's sites once known (an import learns them from the records it reads)."""
    archive.db["crawl_runs"].update(run_id, {"sites": json.dumps(sites, ensure_ascii=False)})


def has_object(archive: Archive, sha256: str) -> bool:
    return bool(archive.db["files"].count_where("sha256 = ?", [sha256]))


class _Counter:
    def __init__(self, chunks: Iterable[bytes]) -> None:
        self.chunks = chunks
        self.size = 0

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self.chunks:
            self.size += len(chunk)
            yield chunk
