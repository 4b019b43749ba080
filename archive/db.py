"""Open the SQLite database and bring its schema up to date.

>>> db = open_db(":memory:")
>>> schema_version(db) == len(MIGRATIONS)
True
>>> "fetches" in db.table_names()
True
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

import sqlite_utils

from archive.schema import MIGRATIONS


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def open_db(path: str) -> sqlite_utils.Database:
    conn = sqlite3.connect(path, timeout=30, isolation_level=None)
    conn.execute("PRAGMA foreign_keys = ON")
    if path != ":memory:":
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
    db = sqlite_utils.Database(conn)
    migrate(db)
    from archive.derived import sync_metric_keys  # the metric dictionary, which metrics.key references

    sync_metric_keys(db)
    return db


def schema_version(db: sqlite_utils.Database) -> int:
    if "schema_migrations" not in db.table_names():
        return 0
    row = db.execute("SELECT max(version) FROM schema_migrations").fetchone()
    return row[0] or 0


def migrate(db: sqlite_utils.Database) -> None:
    db.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations "
        "(version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
    )
    current = schema_version(db)
    for version, name, sql in MIGRATIONS:
        if version <= current:
            continue
        # executescript commits first; BEGIN inside makes the migration all-or-nothing.
        record = f"INSERT INTO schema_migrations VALUES ({int(version)}, {_quote(name)}, {_quote(now())});"
        try:
            db.conn.executescript(f"BEGIN IMMEDIATE;\n{sql}\n{record}\nCOMMIT;")
        except sqlite3.Error:
            if db.conn.in_transaction:
                db.conn.execute("ROLLBACK")
            raise


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
