"""``nianbao merge --data-dir DIR SHARD…``: the shards of a crawl over many workers, in one
archive, then parsed.

Every shard is checked first: its objects must re-hash to their names (else nothing is
merged, and the error names them). Then, shard by shard, in one transaction each:

* objects are copied into DIR's store when it lacks them (content-addressed: no conflicts);
* ``files``, ``fetches`` and ``problems`` rows are added by id — a shard's ids lie in its own
  range (``nianbao/worker.py``), so they never need renumbering, and a row already there is
  left alone: merging a shard twice changes nothing. Two different rows under one id (shards
  of different Redis instances) are refused;
* the crawl run, which all shards share, keeps the earliest start, the latest finish, the
  worst exit code and each shard's stats;
* site health (``site_runs``, ``sites``) is computed again over the union: a site that moved
  from a dead worker to another is one site in one run.

The reports are then parsed from the union, as after a crawl.
"""

from __future__ import annotations

import argparse
import json
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from archive import Archive, open_archive
from archive.lock import RunLock
from nianbao.exit_codes import ExitCode
from vocabulary import PAGE_ROLES

CHUNK = 1 << 20
_SHOWN = 10  # objects named in a refusal
_STATUS_ORDER = ("blocked", "failed", "timed out", "problems", "ok")


class MergeRefused(ValueError):
    """A shard that cannot be merged; the message names it and why."""


@dataclass
class MergeSummary:
    objects: int = 0
    fetches: int = 0
    problems: int = 0
    runs: int = 0
    reports: int = 0
    metrics: int = 0
    merge_run: int | None = None

    @property
    def changed(self) -> bool:
        return bool(self.objects or self.fetches or self.problems or self.runs)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("merge", help="merge the shards of a crawl over many workers, then parse")
    parser.add_argument("shards", nargs="+", metavar="SHARD", help="data dirs written by `crawl --redis`")
    parser.add_argument("--data-dir", default="data", help="archive to merge into (default ./data)")
    parser.add_argument("-q", "--quiet", action="store_true", help="print only problems")
    parser.set_defaults(func=cmd_merge)


def cmd_merge(args: argparse.Namespace) -> int:
    try:
        with RunLock(args.data_dir):
            summary = merge_shards(open_archive(args.data_dir), [Path(s) for s in args.shards])
    except MergeRefused as exc:
        print(f"error: {exc}")
        return ExitCode.CANNOT_START
    code = ExitCode.OK
    if summary.merge_run is not None and open_archive(args.data_dir).count_problems(summary.merge_run):
        code = ExitCode.PROBLEMS  # the parse recorded problems
    if not args.quiet:
        if summary.changed:
            print(
                f"merged {len(args.shards)} shard(s): {summary.objects} new objects, {summary.fetches} "
                f"fetches, {summary.problems} problems, {summary.runs} runs; parsed {summary.reports} "
                f"reports ({summary.metrics} metrics)"
            )
        else:
            print(f"merged {len(args.shards)} shard(s): nothing new")
    return code


def merge_shards(target: Archive, shards: list[Path]) -> MergeSummary:
    from nianbao.parse import parse_archive

    with ExitStack() as stack:
        opened = []
        for path in shards:
            opened.append(_open_shard(path, target))
            stack.enter_context(RunLock(path))  # not while a worker still writes it
        for shard in opened:
            _check_objects(shard)
        summary = MergeSummary()
        for shard in opened:
            _merge_one(target, shard, summary)
            shard.close()
    if summary.changed:
        run_id = target.start_run("merge", sites=[str(p) for p in shards])
        parsed = parse_archive(target, run_id=run_id, only_new=True)
        summary.reports, summary.metrics, summary.merge_run = parsed.reports, parsed.metrics, run_id
        code = ExitCode.PROBLEMS if target.count_problems(run_id) else ExitCode.OK
        target.finish_run(run_id, exit_code=code, stats=summary.__dict__)
    return summary


def _open_shard(path: Path, target: Archive) -> Archive:
    if not (path / "nianbao.db").is_file():
        raise MergeRefused(f"{path}: not a data dir (no nianbao.db)")
    if path.resolve() == target.data_dir.resolve():
        raise MergeRefused(f"{path}: is the archive merged into")
    return Archive(path)


def _check_objects(shard: Archive) -> None:
    missing, changed, _ = shard.verify_objects()
    if missing or changed:
        named = [f"missing {shard.store.relpath(s)}" for s in missing]
        named += [f"changed {shard.store.relpath(s)}" for s in changed]
        more = f" and {len(named) - _SHOWN} more" if len(named) > _SHOWN else ""
        raise MergeRefused(
            f"{shard.data_dir}: {len(named)} object(s) do not verify, nothing merged: "
            f"{', '.join(named[:_SHOWN])}{more}"
        )


def _merge_one(target: Archive, shard: Archive, summary: MergeSummary) -> None:
    summary.objects += _copy_objects(target, shard)
    conn = target.db.conn
    conn.execute("ATTACH DATABASE ? AS shard", [str(shard.data_dir / "nianbao.db")])
    try:
        with target.transaction():
            _refuse_clashes(target, shard)
            runs = _merge_runs(target, shard)
            summary.runs += len(runs)
            for table in ("files", "sites"):
                target.merge_rows("shard", table)
            summary.fetches += target.merge_rows("shard", "fetches")
            summary.problems += target.merge_rows("shard", "problems")
            _merge_health(target, runs)
    finally:
        conn.execute("DETACH DATABASE shard")


def _copy_objects(target: Archive, shard: Archive) -> int:
    copied = 0
    for (sha,) in shard.db.execute("SELECT sha256 FROM files"):
        if target.store.exists(sha):
            continue
        with shard.store.path(sha).open("rb") as source:
            got = target.store.put_chunks(iter(lambda src=source: src.read(CHUNK), b""))
        if got != sha:
            raise MergeRefused(f"{shard.data_dir}: {shard.store.relpath(sha)} changed while merged")
        copied += 1
    return copied


def _refuse_clashes(target: Archive, shard: Archive) -> None:
    for table, what in (("fetches", "url, fetched_at"), ("problems", "message, created_at")):
        same = " AND ".join(f"m.{c} IS s.{c}" for c in what.split(", "))
        clashes = target.db.execute(
            f"SELECT count(*), min(s.id) FROM shard.[{table}] s JOIN main.[{table}] m ON m.id = s.id "
            f"WHERE NOT ({same})"
        ).fetchone()
        if clashes[0]:
            raise MergeRefused(
                f"{shard.data_dir}: {clashes[0]} {table} row(s) (first id {clashes[1]}) clash with others "
                f"under the same id in {target.data_dir}: shards of another crawl or Redis instance"
            )


# -- runs ---------------------------------------------------------------------------------
def _merge_runs(target: Archive, shard: Archive) -> list[int]:
    """The shard's runs into the target's; the ids of the runs added or changed."""
    changed = []
    for row in shard.db.query("SELECT * FROM crawl_runs"):
        if not target.db["crawl_runs"].count_where("id = ?", [row["id"]]):
            stats = json.loads(row["stats"] or "{}")
            if "crawl_key" in stats:  # a worker's part of a shared run
                row["stats"] = json.dumps({"crawl_key": stats["crawl_key"], "shards": {_label(stats): stats}})
            target.add_run_row(row)
            changed.append(row["id"])
        elif target.db["crawl_runs"].get(row["id"]) != row and _merge_run(target, shard, row):
            changed.append(row["id"])
    return changed


def _merge_run(target: Archive, shard: Archive, row: dict[str, Any]) -> bool:
    """A worker's part of a run the target has: folded in (False when it already was)."""
    current = target.db["crawl_runs"].get(row["id"])
    merged, stats = json.loads(current["stats"] or "{}"), json.loads(row["stats"] or "{}")
    if "shards" in stats:  # the shard started as a copy of a merged archive: this row is merged
        return False
    if merged.get("crawl_key") != stats.get("crawl_key") or current["command"] != row["command"]:
        raise MergeRefused(
            f"{shard.data_dir}: run {row['id']} is another run than {target.data_dir}'s run {row['id']}"
        )
    if merged.get("shards", {}).get(_label(stats)) == stats and _same_times(current, row):
        return False
    merged.setdefault("shards", {})[_label(stats)] = stats
    codes = [c for c in (current["exit_code"], row["exit_code"]) if c is not None]
    code = max(codes) if codes else None
    target.update_run(
        row["id"],
        started_at=min(current["started_at"], row["started_at"]),
        finished_at=max(filter(None, (current["finished_at"], row["finished_at"])), default=None),
        exit_code=code,
        status={0: "ok", 1: "problems", None: current["status"]}.get(code, "failed"),
        stats=merged,
    )
    return True


def _label(stats: dict[str, Any]) -> str:
    return str(stats.get("shard", "?"))


def _same_times(current: dict[str, Any], row: dict[str, Any]) -> bool:
    return current["started_at"] <= row["started_at"] and (
        row["finished_at"] is None or (current["finished_at"] or "") >= row["finished_at"]
    )


# -- site health --------------------------------------------------------------------------
def _merge_health(target: Archive, runs: list[int]) -> None:
    """Each (run, site) of the shard's runs just merged, its health computed over the union."""
    marks = ", ".join("?" for _ in runs)
    pairs = target.db.execute(
        f"SELECT DISTINCT run_id, site FROM shard.site_runs WHERE run_id IN ({marks}) UNION "
        f"SELECT DISTINCT run_id, site FROM shard.fetches WHERE site IS NOT NULL AND run_id IN ({marks})",
        [*runs, *runs],
    ).fetchall()
    for run_id, site in pairs:
        statuses = {
            r[0]
            for r in target.db.execute(
                "SELECT status FROM shard.site_runs WHERE run_id = ? AND site = ? "
                "UNION SELECT status FROM main.site_runs WHERE run_id = ? AND site = ?",
                [run_id, site, run_id, site],
            )
        }
        counts = _health_counts(target, run_id, site)
        status = _status(statuses, counts)
        changes = target.item_changes(run_id, site)
        note = target.db.execute(
            "SELECT note FROM shard.site_runs WHERE run_id = ? AND site = ? AND note IS NOT NULL "
            "UNION SELECT note FROM main.site_runs WHERE run_id = ? AND site = ? AND note IS NOT NULL",
            [run_id, site, run_id, site],
        ).fetchone()
        vendor = target.db.execute(
            "SELECT max(blocked_vendor) FROM (SELECT blocked_vendor FROM shard.site_runs WHERE run_id = ? "
            "AND site = ? UNION SELECT blocked_vendor FROM main.site_runs WHERE run_id = ? AND site = ?)",
            [run_id, site, run_id, site],
        ).fetchone()[0]
        target.record_site_run(
            run_id,
            site,
            status=status,
            **counts,
            new_items=changes["new"],
            changed_items=changes["changed"],
            unchanged_items=changes["unchanged"],
            removed_items=changes["removed"] if status not in ("failed", "blocked") else 0,
            note=note[0] if note else None,
            blocked_vendor=vendor,
        )
        last = target.db.execute("SELECT max(run_id) FROM site_runs WHERE site = ?", [site]).fetchone()[0]
        if last == run_id:
            target.upsert_site(site, status=status, blocked_vendor=vendor, last_run_id=run_id)


def _health_counts(target: Archive, run_id: int, site: str) -> dict[str, int]:
    marks = ", ".join("?" for _ in PAGE_ROLES)
    row = target.db.execute(
        f"""SELECT
            count(*) FILTER (WHERE coalesce(role, 'other') IN ({marks})),
            count(*) FILTER (WHERE role = 'attachment'),
            count(*) FILTER (WHERE role = 'report'),
            coalesce(sum(size), 0),
            count(DISTINCT sha256) FILTER (WHERE sha256 NOT IN (
                SELECT sha256 FROM fetches WHERE run_id < :run AND sha256 IS NOT NULL))
        FROM fetches WHERE run_id = :run AND site = :site""".replace(":run", "?").replace(":site", "?"),
        [*PAGE_ROLES, run_id, run_id, site],
    ).fetchone()
    failed = target.db.execute(
        "SELECT count(*) FROM problems WHERE run_id = ? AND site = ? AND stage = 'fetch'", [run_id, site]
    ).fetchone()[0]
    pages, files, report_pages, size, new_objects = row
    return {
        "pages": pages,
        "files": files,
        "report_pages": report_pages,
        "bytes": size,
        "new_objects": new_objects,
        "failed": failed,
    }


def _status(statuses: set[str], counts: dict[str, int]) -> str:
    """The site's status over every shard that crawled part of it."""
    if "blocked" in statuses:
        return "blocked"
    if not counts["pages"]:
        return "failed"
    if "timed out" in statuses:
        return "timed out"
    return "problems" if counts["failed"] else "ok"
