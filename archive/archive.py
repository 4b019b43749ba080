"""The archive: a data directory holding the object store and the database.

``DIR/nianbao.db`` is the SQLite database, ``DIR/objects/`` the content-addressed bodies.
This class is the only writer of the archive tables (``crawl_runs``, ``sites``,
``site_runs``, ``files``, ``fetches``, ``problems``, ``scrapy_stats``): the crawl, WARC import,
``merge`` and the Redis workers write them through its methods. One exception, by design:
the parse stage (``archive/derived.py``) corrects ``files.media_type`` to what it sniffed
from the bytes. Parsers read the archive tables and write the derived tables.

>>> import tempfile
>>> a = Archive(tempfile.mkdtemp())
>>> run = a.start_run("crawl", mode="live", sites=["demo"])
>>> sha, new = a.store_body(b"<html>hi</html>", media_type="text/html")
>>> new, a.store_body(b"<html>hi</html>")[1]
(True, False)
>>> fid = a.record_fetch(run_id=run, url="http://x.test/", status=200, sha256=sha)
>>> a.db["fetches"].get(fid)["sha256"] == sha
True
>>> sha2, new, size = a.store_stream([b"<html>", b"hi</html>"])
>>> (sha2 == sha, new, size)
(True, False, 15)
>>> a.add_site_if_new("demo", agency="某市人民政府"), a.add_site_if_new("demo", agency="another")
(True, False)
>>> a.db["sites"].get("demo")["agency"]
'某市人民政府'
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlite_utils

from archive.db import now, open_db
from archive.store import ObjectStore

DB_NAME = "nianbao.db"  # the one spelling of the database's file name: use db_path()


def db_path(data_dir: str | os.PathLike[str]) -> Path:
    """The database file of the archive in ``data_dir``.

    >>> db_path("data").as_posix()
    'data/nianbao.db'
    """
    return Path(data_dir) / DB_NAME


# Problems rows that are notes, not failures (a robots.txt exclusion, a redirect to a URL
# already fetched, an XML entity declaration left unexpanded): they never make a run's exit
# status 1.
NOTE_STAGES = ("note", "robots")


class Archive:
    def __init__(self, data_dir: str | os.PathLike[str], *, fsync: bool = True) -> None:
        self.data_dir = Path(data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.store = ObjectStore(self.data_dir, fsync=fsync)
        self.db: sqlite_utils.Database = open_db(str(db_path(self.data_dir)))
        self._insert_sql: dict[tuple[str, tuple[str, ...], bool], str] = {}
        self._id_floor: dict[str, int] = {}  # table → the first id of this shard's range

    def use_id_range(self, first_id: int) -> None:
        """New fetches and problems get ids from ``first_id`` on (a shard of a crawl over
        many workers: its rows merge into another database without renumbering). SQLite
        numbers a row after the table's largest id, so only the first row needs its id given."""
        for table in ("fetches", "problems"):
            largest = self.db.execute(f"SELECT coalesce(max(id), 0) FROM [{table}]").fetchone()[0]
            if largest < first_id:
                self._id_floor[table] = first_id

    # -- runs -------------------------------------------------------------------------
    def start_run(
        self,
        command: str,
        *,
        mode: str | None = None,
        sites: list[str] | None = None,
        user_agent: str | None = None,
        contact: str | None = None,
        run_id: int | None = None,
    ) -> int:
        from nianbao import __version__

        table = self.db["crawl_runs"]
        table.insert(
            {
                **({"id": run_id} if run_id is not None else {}),
                "command": command,
                "mode": mode,
                "started_at": now(),
                "status": "running",
                "sites": json.dumps(sites or [], ensure_ascii=False),
                "user_agent": user_agent,
                "contact": contact,
                "nianbao_version": __version__,
            }
        )
        return int(table.last_pk)

    def update_run(self, run_id: int, **fields: Any) -> None:
        """Change columns of a run (lists and dicts are stored as JSON)."""
        self.db["crawl_runs"].update(run_id, {k: _jsonable(v) for k, v in fields.items()})

    def add_run_row(self, row: dict[str, Any]) -> None:
        """A run row as another archive has it (``merge``): the same id, every column."""
        self.db["crawl_runs"].insert(row)

    def close_dead_runs(self) -> int:
        """Runs still ``running`` when a new one holds the lock were killed (``kill -9``, power
        loss): closed as ``interrupted``; returns how many."""
        rows = self.db.execute(
            "UPDATE crawl_runs SET status = 'interrupted', "
            "stats = json_set(coalesce(stats, '{}'), '$.killed', json('true')) WHERE status = 'running'"
        ).rowcount
        self.db.conn.commit()
        return rows

    def finish_run(self, run_id: int, *, exit_code: int, stats: dict[str, Any]) -> None:
        from nianbao.exit_codes import RUN_STATUS

        status = RUN_STATUS.get(exit_code, "failed")  # type: ignore[call-overload]
        self.db["crawl_runs"].update(
            run_id,
            {
                "finished_at": now(),
                "status": status,
                "exit_code": exit_code,
                "stats": json.dumps(stats, ensure_ascii=False, default=str),
            },
        )

    # -- sites ------------------------------------------------------------------------
    def upsert_site(self, name: str, **fields: Any) -> None:
        row = {"name": name, **{k: _jsonable(v) for k, v in fields.items()}}
        self.db["sites"].upsert(row, pk="name")

    def add_site_if_new(self, name: str, **fields: Any) -> bool:
        """Add a site unless the archive knows it already (its own description wins)."""
        if self.db["sites"].count_where("name = ?", [name]):
            return False
        self.upsert_site(name, **fields)
        return True

    def record_site_run(self, run_id: int, site: str, **counts: Any) -> None:
        self.db["site_runs"].upsert({"run_id": run_id, "site": site, **counts}, pk=("run_id", "site"))

    def record_scrapy_stats(self, run_id: int, site: str | None, stats: dict[str, Any]) -> None:
        """Scrapy's own stats of a site's crawl in a run (the last ones win)."""
        self.db.execute(
            "INSERT OR REPLACE INTO scrapy_stats (run_id, site, stats) VALUES (?, ?, ?)",
            [run_id, site, json.dumps(stats, default=str, sort_keys=True)],
        )

    # -- bodies and fetches -----------------------------------------------------------
    def store_body(self, body: bytes, *, media_type: str | None = None) -> tuple[str, bool]:
        """Keep ``body``; returns (sha256, whether it is new to the archive)."""
        sha256 = self.store.put(body)
        return sha256, self.add_file(sha256, size=len(body), media_type=media_type)

    def store_stream(
        self, chunks: Iterable[bytes], *, media_type: str | None = None
    ) -> tuple[str, bool, int]:
        """Keep a streamed body (a WARC record may hold a large PDF); returns (sha256, whether
        it is new to the archive, size). A stream that fails midway (a truncated record) raises
        before the object is installed, so no partial body ever gets a name."""
        size = 0

        def counted() -> Iterator[bytes]:
            nonlocal size
            for chunk in chunks:
                size += len(chunk)
                yield chunk

        sha256 = self.store.put_chunks(counted())
        return sha256, self.add_file(sha256, size=size, media_type=media_type), size

    def has_file(self, sha256: str) -> bool:
        return bool(self.db["files"].count_where("sha256 = ?", [sha256]))

    def add_file(self, sha256: str, *, size: int, media_type: str | None = None) -> bool:
        """Record an object already in the store; False when the archive knew it already."""
        row = {
            "sha256": sha256,
            "size": size,
            "media_type": media_type,
            "path": self.store.relpath(sha256),
            "first_seen_at": now(),
        }
        return self._insert("files", row, or_ignore=True) is not None

    def record_fetch(self, *, run_id: int, url: str, **fields: Any) -> int:
        row: dict[str, Any] = {"run_id": run_id, "url": url, "fetched_at": now()}
        row.update({k: _jsonable(v) for k, v in fields.items()})
        rowid = self._insert("fetches", row)
        assert rowid is not None
        return rowid

    def _insert(self, table: str, row: dict[str, Any], *, or_ignore: bool = False) -> int | None:
        """One row, straight through the connection: the crawl writes a row or two per
        response, and sqlite-utils looks the table up again on every insert. Returns the
        rowid, or None when an ``OR IGNORE`` insert found the row already there."""
        if table in self._id_floor:
            row = {"id": self._id_floor.pop(table), **row}
        key = (table, tuple(row), or_ignore)
        sql = self._insert_sql.get(key)
        if sql is None:
            columns = ", ".join(f"[{name}]" for name in row)
            marks = ", ".join("?" for _ in row)
            verb = "INSERT OR IGNORE" if or_ignore else "INSERT"
            sql = self._insert_sql[key] = f"{verb} INTO [{table}] ({columns}) VALUES ({marks})"
        cursor = self.db.conn.execute(sql, tuple(row.values()))
        return cursor.lastrowid if cursor.rowcount else None

    def merge_rows(self, schema: str, table: str) -> int:
        """Copy the rows of ``table`` in the attached database ``schema`` (another archive's)
        that this one lacks, ids and all (a row whose key is here already is left alone);
        returns how many were added."""
        names = [row[1] for row in self.db.execute(f"PRAGMA [{schema}].table_info([{table}])")]
        columns = ", ".join(f"[{name}]" for name in names)
        cursor = self.db.execute(
            f"INSERT OR IGNORE INTO main.[{table}] ({columns}) SELECT {columns} FROM [{schema}].[{table}]"
        )
        return cursor.rowcount

    def last_good_fetch(self, url: str) -> dict[str, Any] | None:
        """The latest fetch of ``url`` that brought (or confirmed) a body."""
        row = self.db.conn.execute(
            "SELECT id, sha256, headers, role, status FROM fetches WHERE url = ? "
            "AND sha256 IS NOT NULL AND status IN (200, 203, 304) ORDER BY id DESC LIMIT 1",
            [url],
        ).fetchone()
        return (
            None
            if row is None
            else dict(zip(("id", "sha256", "headers", "role", "status"), row, strict=True))
        )

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Rows written inside are committed together (one commit, not one per row)."""
        conn = self.db.conn
        if conn.in_transaction:  # already inside one: it commits for us
            yield
            return
        conn.execute("BEGIN")
        try:
            yield
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def item_changes(self, run_id: int, site: str) -> dict[str, int]:
        """Reports and attachments of a site in this run against the runs before it:
        new (never archived before), changed (a different body), unchanged, and removed
        (report items an earlier run found that this run no longer did)."""
        items = "role IN ('report', 'attachment') AND sha256 IS NOT NULL"
        counts = self.db.execute(
            f"""
            WITH cur AS (
                SELECT url, sha256 FROM fetches WHERE run_id = :run AND site = :site AND {items}
            ), prev AS (
                SELECT f.url, f.sha256 FROM fetches f WHERE f.id IN (
                    SELECT max(id) FROM fetches
                    WHERE run_id < :run AND site = :site AND {items} GROUP BY url)
            )
            SELECT
                (SELECT count(*) FROM cur WHERE url NOT IN (SELECT url FROM prev)),
                (SELECT count(*) FROM cur JOIN prev USING (url) WHERE cur.sha256 != prev.sha256),
                (SELECT count(*) FROM cur JOIN prev USING (url) WHERE cur.sha256 = prev.sha256),
                (SELECT count(DISTINCT url) FROM fetches
                 WHERE run_id < :run AND site = :site AND role = 'report' AND url NOT IN (
                     SELECT url FROM fetches WHERE run_id = :run AND site = :site))
            """,
            {"run": run_id, "site": site},
        ).fetchone()
        return dict(zip(("new", "changed", "unchanged", "removed"), counts, strict=True))

    def add_problem(
        self,
        stage: str,
        message: str,
        *,
        run_id: int | None = None,
        site: str | None = None,
        url: str | None = None,
        sha256: str | None = None,
    ) -> None:
        self._insert(
            "problems",
            {
                "run_id": run_id,
                "site": site,
                "url": url,
                "sha256": sha256,
                "stage": stage,
                "message": message,
                "created_at": now(),
            },
        )

    def verify_objects(self) -> tuple[list[str], list[str], int]:
        """Re-hash every object the ``files`` table names: (missing, changed, how many checked)."""
        missing, changed, checked = [], [], 0
        for (sha,) in self.db.execute("SELECT sha256 FROM files ORDER BY sha256"):
            checked += 1
            actual = self.store.rehash(sha)
            if actual is None:
                missing.append(sha)
            elif actual != sha:
                changed.append(sha)
        return missing, changed, checked

    def count_problems(self, run_id: int) -> int:
        """The run's problems, notes left out."""
        marks = ", ".join("?" for _ in NOTE_STAGES)
        where = f"run_id = ? AND stage NOT IN ({marks})"
        return self.db["problems"].count_where(where, [run_id, *NOTE_STAGES])

    def close(self) -> None:
        self.db.close()


def _jsonable(value: Any) -> Any:
    if isinstance(value, (list, dict, tuple)):
        return json.dumps(value, ensure_ascii=False)
    return value


_OPEN: dict[Path, Archive] = {}


def open_archive(data_dir: str | os.PathLike[str], *, fsync: bool = True) -> Archive:
    """One shared Archive per data dir and process (several crawlers share one connection)."""
    key = Path(data_dir).resolve()
    if key not in _OPEN:
        _OPEN[key] = Archive(key, fsync=fsync)
    return _OPEN[key]
