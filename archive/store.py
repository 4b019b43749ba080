"""Content-addressed object store: every body kept once, keyed by its sha256, never rewritten.

Objects live at ``ROOT/objects/ab/cd/<sha256>``. A write goes to a temp file in
``ROOT/tmp/``, is fsynced, then renamed into place — a crash leaves at most a stray temp
file (cleaned on the next open), never a partial object under its final name. Bytes in
hand are hashed first: a body the store already holds costs no write at all.

>>> import tempfile
>>> store = ObjectStore(tempfile.mkdtemp())
>>> digest = store.put(b"hello")
>>> digest
'2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824'
>>> store.get(digest)
b'hello'
>>> store.put(b"hello") == digest  # idempotent: the existing object is left as it is
True
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_CHUNK = 1 << 20


class ObjectStore:
    def __init__(self, root: str | os.PathLike[str], *, fsync: bool = True) -> None:
        self.root = Path(root)
        self.objects = self.root / "objects"
        self.tmp = self.root / "tmp"
        self.fsync = fsync
        self._root = os.fspath(self.root)
        self.objects.mkdir(parents=True, exist_ok=True)
        self.tmp.mkdir(parents=True, exist_ok=True)
        self._remove_stale_temp_files()

    def path(self, sha256: str) -> Path:
        """Where an object lives. Only a well-formed digest is ever turned into a path."""
        if not _SHA256.match(sha256):
            raise ValueError(f"not a sha256 hex digest: {sha256!r}")
        return self.objects / sha256[:2] / sha256[2:4] / sha256

    def relpath(self, sha256: str) -> str:
        if not _SHA256.match(sha256):
            raise ValueError(f"not a sha256 hex digest: {sha256!r}")
        return f"objects/{sha256[:2]}/{sha256[2:4]}/{sha256}"  # plain strings: asked per response

    def exists(self, sha256: str) -> bool:
        return os.path.exists(self._final(sha256))

    def _final(self, sha256: str) -> str:
        return os.path.join(self._root, self.relpath(sha256))

    def put(self, data: bytes) -> str:
        """Keep ``data``; returns its sha256. Written only when not already stored."""
        sha256 = hashlib.sha256(data).hexdigest()
        if self.exists(sha256):
            return sha256
        return self.put_chunks([data])

    def put_chunks(self, chunks: Iterable[bytes]) -> str:
        """Stream ``chunks`` into the store; returns the sha256 of their concatenation."""
        digest = hashlib.sha256()
        fd, tmp_name = tempfile.mkstemp(dir=self.tmp, prefix="obj-", suffix=".part")
        try:
            with os.fdopen(fd, "wb") as out:
                for chunk in chunks:
                    digest.update(chunk)
                    out.write(chunk)
                out.flush()
                if self.fsync:
                    os.fsync(out.fileno())
            sha256 = digest.hexdigest()
            self._install(tmp_name, sha256)
            return sha256
        finally:
            if os.path.exists(tmp_name):
                os.unlink(tmp_name)

    def put_file(self, path: str | os.PathLike[str]) -> str:
        """Move the file at ``path`` (in this store's ``tmp/``, so on the same file system) into
        the store, hashed in chunks; returns its sha256. The file is gone afterwards."""
        digest = hashlib.sha256()
        try:
            with open(path, "rb+") as f:
                while chunk := f.read(_CHUNK):
                    digest.update(chunk)
                if self.fsync:
                    os.fsync(f.fileno())
            sha256 = digest.hexdigest()
            self._install(os.fspath(path), sha256)
            return sha256
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)

    def _install(self, tmp: str, sha256: str) -> None:
        final = self._final(sha256)  # (plain strings: a crawl installs an object per response)
        if os.path.exists(final):  # never rewrite: the same digest means the same bytes
            return
        folder = os.path.dirname(final)
        os.makedirs(folder, exist_ok=True)
        os.replace(tmp, final)
        if self.fsync:
            _fsync_dir(folder)

    def get(self, sha256: str) -> bytes:
        return self.path(sha256).read_bytes()

    def iter_digests(self) -> Iterator[str]:
        for path in self.objects.glob("??/??/*"):
            if _SHA256.match(path.name):
                yield path.name

    def rehash(self, sha256: str) -> str | None:
        """The sha256 of the stored bytes now (None when the object is missing)."""
        path = self.path(sha256)
        if not path.exists():
            return None
        digest = hashlib.sha256()
        with path.open("rb") as f:
            while chunk := f.read(_CHUNK):
                digest.update(chunk)
        return digest.hexdigest()

    def _remove_stale_temp_files(self, older_than_s: float = 3600) -> None:
        # Temp files are only left behind by a crash between write and rename; the age
        # limit spares files another live process is writing right now.
        cutoff = time.time() - older_than_s
        for stale in self.tmp.glob("obj-*.part"):
            with contextlib.suppress(FileNotFoundError):
                if stale.stat().st_mtime < cutoff:
                    stale.unlink()


def _fsync_dir(path: str | Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
