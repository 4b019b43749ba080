"""The ``nianbao`` command: crawl, reparse, status, verify.

Exit status: 0 all well; 1 the run finished but recorded problems (see ``problems``);
2 the run could not start (bad sites file, bad arguments, unreadable data dir).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from contextlib import nullcontext
from importlib import import_module
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from archive import Archive, open_archive
from archive.lock import LockHeld, RunLock
from crawler.sites import SiteConfigError, load_sites, select_sites
from nianbao.exit_codes import EXIT_CANNOT_START, EXIT_OK, EXIT_PROBLEMS
from nianbao.progress import parse_progress
from nianbao.progress import wanted as wanted_progress

# Modules adding a subcommand: each defines ``register(subparsers)``, which adds its parser
# (with ``--data-dir``) and sets ``func`` to a function(args) -> exit status.
COMMAND_MODULES: list[str] = ["nianbao.export", "nianbao.importwarc", "nianbao.serve"]

# Not a terminal (cron, pipes): plain text, wide enough that tables keep whole words.
console = Console(highlight=False, soft_wrap=True, width=None if sys.stdout.isatty() else 160)


def main(argv: list[str] | None = None) -> int:
    parser = _build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_CANNOT_START
    try:
        return int(args.func(args))
    except (SiteConfigError, LockHeld) as exc:
        console.print(f"[red]error:[/red] {exc}")
        return EXIT_CANNOT_START


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="nianbao", description="Crawl, archive and parse 政府信息公开工作年度报告."
    )
    sub = parser.add_subparsers()

    def with_data_dir(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
        p.add_argument("--data-dir", default="data", help="archive directory (default ./data)")
        return p

    crawl = with_data_dir(sub.add_parser("crawl", help="crawl sites, then parse what is new"))
    crawl.add_argument("--sites", help="sites YAML file (default: the bundled sites.yaml)")
    crawl.add_argument("--site", action="append", default=[], help="crawl only this site (repeatable)")
    crawl.add_argument(
        "--replay",
        action="append",
        default=[],
        metavar="CASSETTE",
        help="answer every request from these WARC files; never use the network",
    )
    crawl.add_argument("--record", metavar="CASSETTE", help="record every exchange into this WARC file")
    crawl.add_argument(
        "-s",
        dest="settings",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="Scrapy setting, e.g. -s DOWNLOAD_DELAY=0",
    )
    crawl.add_argument("-v", "--verbose", action="store_true", help="Scrapy's INFO log")
    crawl.add_argument("-q", "--quiet", action="store_true", help="print only problems (for cron)")
    crawl.set_defaults(func=cmd_crawl)

    reparse = with_data_dir(sub.add_parser("reparse", help="re-run the parsers over the archive"))
    reparse.add_argument("--site", action="append", default=[], help="only this site (repeatable)")
    reparse.add_argument("--since", metavar="DATE", help="only reports fetched on or after DATE (ISO)")
    reparse.add_argument(
        "--format",
        action="append",
        default=[],
        dest="formats",
        help="only reports with a file of this format (pdf, docx, html, …; repeatable)",
    )
    reparse.add_argument("--workers", type=int, help="parser processes (default: every core)")
    reparse.add_argument("-q", "--quiet", action="store_true", help="print only problems")
    reparse.set_defaults(func=cmd_reparse)

    status = with_data_dir(sub.add_parser("status", help="counts, sites and the last runs"))
    status.set_defaults(func=cmd_status)

    verify = with_data_dir(sub.add_parser("verify", help="re-hash every stored object"))
    verify.set_defaults(func=cmd_verify)

    # Further commands live in their own modules, each with register(subparsers).
    for module_name in COMMAND_MODULES:
        import_module(module_name).register(sub)
    return parser


# -- crawl ------------------------------------------------------------------------------
def cmd_crawl(args: argparse.Namespace) -> int:
    from nianbao.crawl import run_crawl

    sites = select_sites(load_sites(args.sites), args.site)
    overrides = _parse_settings(args.settings)
    for cassette in args.replay:
        if not Path(cassette).is_file():
            raise SiteConfigError(f"cassette not found: {cassette}")
    with RunLock(args.data_dir):
        archive = open_archive(args.data_dir)
        result = run_crawl(
            archive,
            sites,
            replay=args.replay,
            record=args.record,
            overrides=overrides,
            verbose=args.verbose,
            show_progress=wanted_progress(args.quiet),
        )
    _print_run_summary(archive, result.run_id, quiet=args.quiet)
    return result.exit_code


def _parse_settings(pairs: list[str]) -> dict[str, str]:
    settings = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise SiteConfigError(f"-s expects NAME=VALUE, got {pair!r}")
        settings[name.strip()] = value
    return settings


# -- reparse ----------------------------------------------------------------------------
def cmd_reparse(args: argparse.Namespace) -> int:
    from nianbao.parse import parse_archive

    archive = _existing_archive(args.data_dir)
    if archive is None:
        return EXIT_CANNOT_START
    with RunLock(args.data_dir):
        run_id = archive.start_run("reparse", sites=args.site)
        with parse_progress(console) if wanted_progress(args.quiet) else nullcontext() as bar:
            task = bar.add_task("reports", total=None) if bar else None
            summary = parse_archive(
                archive,
                run_id=run_id,
                only_new=False,
                sites=args.site or None,
                since=args.since,
                formats_filter=args.formats or None,
                workers=args.workers,
                on_progress=(lambda done, total: bar.update(task, completed=done, total=total))
                if bar
                else None,
            )
        code = EXIT_PROBLEMS if summary.problems else EXIT_OK
        stats = summary.__dict__ | {"changed": len(summary.changed)}
        archive.finish_run(run_id, exit_code=code, stats=stats)
    if args.quiet:
        _print_problems(archive, run_id)
        return code
    console.print(
        f"reparsed {summary.reports} reports from {summary.documents} documents: "
        f"{summary.metrics} metrics, {summary.problems} problems"
    )
    console.print(
        f"against the previous parse: {summary.added} reports added, {summary.removed} removed, "
        f"{summary.reports_changed} changed ({summary.metrics_changed} metric values differ)"
    )
    _print_problems(archive, run_id, limit=20)
    return code


# -- status and verify ------------------------------------------------------------------
def cmd_status(args: argparse.Namespace) -> int:
    archive = _existing_archive(args.data_dir)
    if archive is None:
        return EXIT_CANNOT_START
    _print_totals(archive)
    db = archive.db
    sites = Table(
        "site",
        "status",
        "last run",
        "pages",
        "files",
        "reports",
        "new",
        "changed",
        "removed",
        "failed",
        "note",
        title="Sites (new / changed / removed: the last run against the runs before it)",
    )
    for row in db.query(
        "SELECT s.name, s.status, s.last_run_id, r.pages, r.files, "
        "(SELECT count(*) FROM reports WHERE site = s.name AND is_report = 1) AS reports, "
        "r.new_items, r.changed_items, r.removed_items, r.failed, "
        "coalesce(r.note, s.blocked_vendor) "
        "FROM sites s LEFT JOIN site_runs r ON r.site = s.name AND r.run_id = s.last_run_id "
        "ORDER BY s.name"
    ):
        sites.add_row(*(str(v if v is not None else "") for v in row.values()))
    console.print(sites)
    _print_discovery_flags(archive)
    runs = Table("run", "command", "mode", "started", "finished", "status", "problems", title="Last runs")
    for row in db.query(
        "SELECT id, command, mode, started_at, finished_at, status, "
        "(SELECT count(*) FROM problems p WHERE p.run_id = crawl_runs.id) AS problems "
        "FROM crawl_runs ORDER BY id DESC LIMIT 5"
    ):
        runs.add_row(*(str(v if v is not None else "") for v in row.values()))
    console.print(runs)
    return EXIT_OK


def cmd_verify(args: argparse.Namespace) -> int:
    archive = _existing_archive(args.data_dir)
    if archive is None:
        return EXIT_CANNOT_START
    missing, changed, checked = [], [], 0
    for row in archive.db.query("SELECT sha256 FROM files ORDER BY sha256"):
        checked += 1
        actual = archive.store.rehash(row["sha256"])
        if actual is None:
            missing.append(row["sha256"])
        elif actual != row["sha256"]:
            changed.append(row["sha256"])
    for sha in missing:
        console.print(f"[red]missing[/red] {archive.store.relpath(sha)}")
    for sha in changed:
        console.print(f"[red]changed[/red] {archive.store.relpath(sha)} (bytes no longer hash to their name)")
    console.print(f"verified {checked} objects: {len(missing)} missing, {len(changed)} changed")
    return EXIT_PROBLEMS if missing or changed else EXIT_OK


# -- output -----------------------------------------------------------------------------
def _existing_archive(data_dir: str) -> Archive | None:
    if not (Path(data_dir) / "nianbao.db").exists():
        console.print(f"[red]error:[/red] no archive at {data_dir} (run `nianbao crawl` first)")
        return None
    return open_archive(data_dir)


def _totals(archive: Archive) -> dict[str, int]:
    db = archive.db
    count = {t: db[t].count for t in ("sites", "fetches", "files", "metrics", "problems")}
    # items recognised as something else keep a row (is_report = 0), but are not reports
    count["reports"] = db.execute("SELECT count(*) FROM reports WHERE is_report = 1").fetchone()[0]
    count["pages"] = db.execute(
        "SELECT count(*) FROM fetches WHERE role IN ('home','section','listing','report')"
    ).fetchone()[0]
    count["attachments"] = db.execute("SELECT count(*) FROM fetches WHERE role = 'attachment'").fetchone()[0]
    return count


def _print_totals(archive: Archive) -> None:
    totals = _totals(archive)
    table = Table("sites", "pages", "attachments", "files", "reports", "metrics", "problems", title="Archive")
    table.add_row(
        *(
            str(totals[k])
            for k in ("sites", "pages", "attachments", "files", "reports", "metrics", "problems")
        )
    )
    console.print(table)


def discovery_flags(archive: Archive) -> list[tuple[str, str, str]]:
    """(site, flag, URL) for each site whose last run found its 年报 column but no report items
    (the spider's health note says so) or decoded a listing with replacement characters (a
    ``charset`` problem): the two commonest signs of a portal pattern not handled yet."""
    empty = "年报 column found but no report items: "
    flags = []
    for site, note in archive.db.execute(
        "SELECT r.site, r.note FROM site_runs r JOIN sites s ON s.name = r.site AND r.run_id = s.last_run_id "
        "WHERE instr(r.note, ?) ORDER BY r.site",
        [empty],
    ):
        url = note.split(empty, 1)[1].split(";", 1)[0].strip()
        flags.append((site, "年报 column found, no report items", url))
    for site, url in archive.db.execute(
        "SELECT p.site, p.url FROM problems p JOIN sites s ON s.name = p.site AND p.run_id = s.last_run_id "
        "WHERE p.stage = 'charset' ORDER BY p.site, p.id"
    ):
        flags.append((site, "listing decoded with replacement characters", url or ""))
    return flags


def _print_discovery_flags(archive: Archive) -> None:
    flags = discovery_flags(archive)
    if not flags:
        return
    table = Table("site", "flag", "URL", title="Sites to look at (discovery)")
    for site, flag, url in flags:
        table.add_row(site, flag, url)
    console.print(table)


def _print_problems(archive: Archive, run_id: int, limit: int | None = None) -> None:
    sql = "SELECT site, stage, message FROM problems WHERE run_id = ? ORDER BY id"
    for p in archive.db.query(sql + (f" LIMIT {int(limit)}" if limit else ""), [run_id]):
        console.print(f"  [yellow]problem[/yellow] [{p['site'] or '-'}] {p['stage']}: {p['message']}")


def _print_site_runs(archive: Archive, run_id: int) -> None:
    table = Table(
        "site",
        "status",
        "pages",
        "files",
        "new",
        "changed",
        "unchanged",
        "removed",
        "failed",
        "note",
        title=f"Run {run_id} by site",
    )
    for row in archive.db.query(
        "SELECT site, status, pages, files, new_items, changed_items, unchanged_items, removed_items, "
        "failed, coalesce(note, blocked_vendor, '') FROM site_runs WHERE run_id = ? ORDER BY site",
        [run_id],
    ):
        table.add_row(*(str(v if v is not None else "") for v in row.values()))
    console.print(table)


def _print_run_summary(archive: Archive, run_id: int, *, quiet: bool = False) -> None:
    if quiet:
        _print_problems(archive, run_id)
        return
    run = archive.db["crawl_runs"].get(run_id)
    stats: dict[str, Any] = json.loads(run["stats"] or "{}")
    console.print(
        f"run {run_id} ({run['mode']}): {stats.get('fetches', 0)} fetches, "
        f"{stats.get('new_objects', 0)} new objects, {stats.get('reports_parsed', 0)} reports parsed, "
        f"{stats.get('problems', 0)} problems"
    )
    _print_site_runs(archive, run_id)
    _print_totals(archive)
    _print_problems(archive, run_id, limit=20)
    db_path = archive.data_dir / "nianbao.db"
    console.print(
        f"Browse the result: nianbao serve --data-dir {archive.data_dir}   "
        f"(or: sqlite-utils tables {db_path} --counts)"
    )


if __name__ == "__main__":
    logging.basicConfig()
    sys.exit(main())
