"""The object store: content addressing, no rewrites, and crash safety with a real crash."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from archive import Archive, ObjectStore
from tests.helpers import ROOT


def test_object_is_named_by_the_sha256_of_its_bytes(tmp_path: Path) -> None:
    store = ObjectStore(tmp_path)
    body = "政府信息公开工作年度报告".encode() * 1000
    digest = store.put_chunks([body[:100], body[100:]])
    assert digest == hashlib.sha256(body).hexdigest()
    assert store.path(digest).read_bytes() == body
    assert store.path(digest).relative_to(tmp_path).parts[:3] == ("objects", digest[:2], digest[2:4])


def test_an_existing_object_is_never_rewritten(tmp_path: Path) -> None:
    store = ObjectStore(tmp_path)
    digest = store.put(b"original bytes")
    path = store.path(digest)
    before = path.stat()
    store.put(b"original bytes")
    after = path.stat()
    assert (before.st_ino, before.st_mtime_ns) == (after.st_ino, after.st_mtime_ns)


@pytest.mark.parametrize("bad", ["../../etc/passwd", "ab" * 31 + "/x", "Z" * 64, ""])
def test_only_real_digests_become_paths(tmp_path: Path, bad: str) -> None:
    with pytest.raises(ValueError):
        ObjectStore(tmp_path).path(bad)


def test_a_crash_between_write_and_rename_leaves_no_object_and_the_next_run_completes(
    tmp_path: Path,
) -> None:
    body = b"%PDF-1.7 pretend report " * 5000
    digest = hashlib.sha256(body).hexdigest()
    # A real process dies (os._exit, no cleanup) right where the rename would happen.
    crash = textwrap.dedent(
        f"""
        import os, sys
        sys.path.insert(0, {str(Path.cwd())!r})
        from archive import Archive
        archive = Archive({str(tmp_path)!r})
        os.replace = lambda *a, **k: os._exit(9)
        archive.store_body({body!r})
        """
    )
    result = subprocess.run([sys.executable, "-c", crash], capture_output=True)
    assert result.returncode == 9, result.stderr.decode()

    store = ObjectStore(tmp_path)
    assert not store.path(digest).exists(), "a partial object must never appear under its name"
    assert list((tmp_path / "tmp").glob("obj-*.part")), "the crash left its temp file behind"

    archive = Archive(tmp_path)  # the next run
    sha, is_new = archive.store_body(body)
    assert (sha, is_new) == (digest, True)
    assert archive.store.rehash(digest) == digest
    assert archive.db["files"].get(digest)["size"] == len(body)


def test_stale_temp_files_are_cleaned_only_when_old(tmp_path: Path) -> None:
    ObjectStore(tmp_path)
    fresh = tmp_path / "tmp" / "obj-fresh.part"
    old = tmp_path / "tmp" / "obj-old.part"
    fresh.write_bytes(b"x")
    old.write_bytes(b"y")
    import os

    os.utime(old, (1, 1))
    ObjectStore(tmp_path)
    assert fresh.exists() and not old.exists()


def test_storing_bytes_already_held_writes_nothing(tmp_path: Path) -> None:
    store = ObjectStore(tmp_path)
    digest = store.put(b"a page seen before")
    temp_dir, folder = tmp_path / "tmp", store.path(digest).parent
    before = (temp_dir.stat().st_mtime_ns, folder.stat().st_mtime_ns)
    time.sleep(0.01)  # a write in between would move the directories' mtimes
    assert store.put(b"a page seen before") == digest
    assert (temp_dir.stat().st_mtime_ns, folder.stat().st_mtime_ns) == before  # no temp file, no rename


def test_the_command_line_starts_without_pandas() -> None:
    """sqlite-utils would import pandas (~0.4 s of CPU per process); archive/_lean.py stops it."""
    code = textwrap.dedent("""
        import sys, nianbao.cli, sqlite_utils.db
        print("pandas" in sys.modules, sqlite_utils.db.pd)
        import pandas  # still there for whoever wants it
        print(pandas.__name__)
    """)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "None", "pandas"]
