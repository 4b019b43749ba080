"""The archive's health as one JSON document, for monitors: ``nianbao status --json`` prints
it and the datasette plugin serves it at ``/-/nianbao-health.json``.

``ok`` is true when the last crawl finished with exit status 0 and no site's last run
failed or was blocked; a cron wrapper can alert on ``ok`` alone and show ``sites`` and
``problems`` when it is false. Read-only: it never writes to the database.

>>> from archive.db import open_db
>>> report = health(open_db(":memory:"))
>>> report["ok"], report["last_crawl"], report["sites"]
(False, None, [])
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import sqlite_utils

UNHEALTHY_SITE = ("failed", "blocked")
RECENT_PROBLEMS = 20

_SITES_SQL = """
SELECT s.name, s.status, s.blocked_vendor, s.last_run_id, r.status AS last_run_status,
       r.pages, r.files, r.new_items, r.changed_items, r.removed_items, r.failed, r.note,
       (SELECT count(*) FROM reports WHERE site = s.name AND is_report = 1) AS reports,
       (SELECT max(fetched_at) FROM fetches WHERE site = s.name) AS last_fetch,
       (SELECT count(*) FROM problems p WHERE p.site = s.name AND p.run_id = s.last_run_id)
           AS last_run_problems
FROM sites s LEFT JOIN site_runs r ON r.site = s.name AND r.run_id = s.last_run_id
ORDER BY s.name
"""

_RUN_COLUMNS = "id, command, mode, started_at, finished_at, status, exit_code, user_agent, nianbao_version"


def _run(db: sqlite_utils.Database, where: str) -> dict[str, Any] | None:
    row = next(db.query(f"SELECT {_RUN_COLUMNS} FROM crawl_runs {where} ORDER BY id DESC LIMIT 1"), None)
    if row is None:
        return None
    row["problems"] = db.execute("SELECT count(*) FROM problems WHERE run_id = ?", [row["id"]]).fetchone()[0]
    return row


def health(db: sqlite_utils.Database) -> dict[str, Any]:
    """Per-site health, the last run and the last crawl, recent problems and the totals."""
    sites = list(db.query(_SITES_SQL))
    last_crawl = _run(db, "WHERE command = 'crawl'")
    unhealthy = [s["name"] for s in sites if s["status"] in UNHEALTHY_SITE]
    return {
        "ok": bool(last_crawl and last_crawl["exit_code"] == 0 and not unhealthy),
        "checked_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "last_run": _run(db, ""),
        "last_crawl": last_crawl,
        "unhealthy_sites": unhealthy,
        "sites": sites,
        "problems": {
            "total": db["problems"].count,
            "recent": list(
                db.query(
                    "SELECT id, run_id, site, stage, url, sha256, message, created_at FROM problems "
                    f"ORDER BY id DESC LIMIT {RECENT_PROBLEMS}"
                )
            ),
        },
        "totals": {
            "sites": len(sites),
            "fetches": db["fetches"].count,
            "files": db["files"].count,
            "reports": db.execute("SELECT count(*) FROM reports WHERE is_report = 1").fetchone()[0],
            "metrics": db["metrics"].count,
        },
    }


def health_json(db: sqlite_utils.Database) -> str:
    return json.dumps(health(db), ensure_ascii=False, indent=2)
