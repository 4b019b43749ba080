"""The ``nianbao`` command: crawl, reparse, status, verify.

Exit status: 0 all well; 1 the run finished but recorded problems (see ``problems``);
2 the run could not start (bad sites file, bad arguments, unreadable data dir).
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sqlite3
import sys
from contextlib import nullcontext
from importlib import import_module
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from archive import Archive, db_path, open_archive
from archive.lock import LockHeld, RunLock
from crawler.identity import (
    ENV_CONTACT,
    ContactError,
    contact_in,
    find_contact,
    require_operator,
    user_agent,
)
from crawler.sites import SiteConfigError, load_sites, select_sites
from nianbao import __version__
from nianbao.arguments import Parser, iso_date, parser_format, positive_int, positive_seconds
from nianbao.exit_codes import EXIT_CANNOT_START, EXIT_OK, EXIT_PROBLEMS, ExitCode
from nianbao.health import health_json
from nianbao.outcome import (
    RUN_END,
    Interrupted,
    close_run,
    is_machine_fault,
    one_line,
    raise_on_signals,
)
from nianbao.progress import parse_progress
from nianbao.progress import wanted as wanted_progress

# Modules adding a subcommand: each defines ``register(subparsers)``, which adds its parser
# (with ``--data-dir``) and sets ``func`` to a function(args) -> exit status.
COMMAND_MODULES: list[str] = ["nianbao.export", "nianbao.importwarc", "nianbao.merge", "nianbao.serve"]

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
    except (KeyboardInterrupt, Interrupted) as exc:
        signum = getattr(exc, "signum", signal.SIGINT)
        console.print(f"interrupted ({signal.Signals(signum).name})")
        return int(ExitCode.from_signal(signum))
    except Exception as exc:
        if not is_machine_fault(exc):
            raise
        console.print(f"[red]error:[/red] {one_line(exc)}")
        return int(ExitCode.FAILED)


def _build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="nianbao", description="Crawl, archive and parse 政府信息公开工作年度报告.")
    parser.add_argument("--version", action="version", version=f"nianbao {__version__}")
    sub = parser.add_subparsers()

    def with_data_dir(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
        p.add_argument("--data-dir", default="data", help="archive directory (default ./data)")
        return p

    crawl = with_data_dir(sub.add_parser("crawl", help="crawl sites, then parse what is new"))
    crawl.add_argument("--sites", help="sites YAML file (required, except with --replay: the demo's)")
    crawl.add_argument(
        "--contact",
        metavar="URL|EMAIL",
        help=f"operator contact sent in the User-Agent (or {ENV_CONTACT}, or the config file)",
    )
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
    crawl.add_argument(
        "--verify", action="store_true", help="re-hash every stored object before the summary (as `verify`)"
    )
    _add_pool_flags(crawl)
    _add_redis_flag(crawl)
    crawl.set_defaults(func=cmd_crawl)

    reparse = with_data_dir(sub.add_parser("reparse", help="re-run the parsers over the archive"))
    reparse.add_argument("--site", action="append", default=[], help="only this site (repeatable)")
    reparse.add_argument(
        "--since", metavar="DATE", type=iso_date, help="only reports fetched on or after DATE (ISO)"
    )
    reparse.add_argument(
        "--format",
        action="append",
        default=[],
        dest="formats",
        type=parser_format,
        metavar="FMT",
        help="only reports with a file of this format (pdf, docx, html, …; repeatable)",
    )
    reparse.add_argument(
        "--workers", type=positive_int, metavar="N", help="parser processes (default: every core)"
    )
    reparse.add_argument("-q", "--quiet", action="store_true", help="print only problems")
    reparse.set_defaults(func=cmd_reparse)

    status = with_data_dir(sub.add_parser("status", help="counts, sites and the last runs"))
    status.add_argument(
        "--json", action="store_true", help="per-site health, last run and problems as JSON (for monitors)"
    )
    status.set_defaults(func=cmd_status)

    verify = with_data_dir(sub.add_parser("verify", help="re-hash every stored object"))
    verify.set_defaults(func=cmd_verify)

    # Further commands live in their own modules, each with register(subparsers).
    for module_name in COMMAND_MODULES:
        import_module(module_name).register(sub)
    return parser


# -- crawl ------------------------------------------------------------------------------
def cmd_crawl(args: argparse.Namespace) -> int:
    if args.redis:
        return cmd_crawl_worker(args)
    from nianbao.crawl import run_crawl

    overrides = _parse_settings(args.settings)
    if not args.sites and not args.replay:
        raise SiteConfigError(NO_SITES_FILE)
    sites = select_sites(load_sites(args.sites), args.site)
    for cassette in args.replay:
        if not Path(cassette).is_file():
            raise SiteConfigError(f"cassette not found: {cassette}")
    start_urls = [url for site in sites for url in site.start_urls]
    overrides.update(_identity(args, overrides, start_urls))
    with RunLock(args.data_dir):
        archive = open_archive(args.data_dir)
        archive.close_dead_runs()  # killed runs: their frontiers resume in this one
        result = run_crawl(
            archive,
            sites,
            replay=args.replay,
            record=args.record,
            overrides=overrides,
            verbose=args.verbose,
            show_progress=wanted_progress(args.quiet),
            concurrent_sites=args.concurrent_sites,
            site_timeout=args.site_timeout,
        )
    if RUN_END.fault is not None:
        console.print(f"[red]error:[/red] {one_line(RUN_END.fault)} (run {result.run_id} failed)")
        return result.exit_code
    intact = _verify_objects(archive, quiet=args.quiet) if args.verify else True
    _print_run_summary(archive, result.run_id, quiet=args.quiet)
    if RUN_END.signum is not None:
        console.print(f"interrupted ({signal.Signals(RUN_END.signum).name}): the next run resumes")
    return result.exit_code if intact or result.exit_code != EXIT_OK else EXIT_PROBLEMS


NO_SITES_FILE = (
    "no sites file: give --sites FILE (a YAML list of portals, see sites.yaml and the README), "
    "or try the demo offline with --replay cassettes/demo.warc.gz"
)


def _identity(args: argparse.Namespace, overrides: dict[str, str], start_urls: list[str]) -> dict[str, str]:
    """USER_AGENT and NIANBAO_CONTACT for the run: the contact, else the one in the operator's
    own User-Agent; a live crawl of others' servers refuses without either
    (:func:`crawler.identity.require_operator`, which the spider applies too)."""
    try:
        contact = find_contact(args.contact, overrides)
        own_agent = overrides.get("USER_AGENT")
        contact = contact or (contact_in(own_agent) if own_agent else None)
        identity = {"USER_AGENT": own_agent or user_agent(contact)}
        if contact:
            identity["NIANBAO_CONTACT"] = contact
        require_operator({**identity, "NIANBAO_REPLAY": args.replay}, start_urls)
    except ContactError as exc:
        raise SiteConfigError(str(exc)) from None
    return identity


def _add_pool_flags(crawl: argparse.ArgumentParser) -> None:
    from crawler.pool import DEFAULT_CONCURRENT_SITES, DEFAULT_SITE_TIMEOUT_S

    crawl.add_argument(
        "--concurrent-sites",
        type=positive_int,
        default=DEFAULT_CONCURRENT_SITES,
        metavar="K",
        help=f"sites crawled at once, never two of one server (default {DEFAULT_CONCURRENT_SITES})",
    )
    crawl.add_argument(
        "--site-timeout",
        type=positive_seconds,
        default=DEFAULT_SITE_TIMEOUT_S,
        metavar="SECONDS",
        help=f"time budget of one site; stopped, it resumes next run (default {DEFAULT_SITE_TIMEOUT_S:.0f})",
    )


def _add_redis_flag(crawl: argparse.ArgumentParser) -> None:
    crawl.add_argument(
        "--redis",
        metavar="URL",
        help="be one worker of a crawl shared through Redis (redis://HOST:PORT/DB); "
        "--data-dir is then this worker's shard, to `nianbao merge` afterwards",
    )


def cmd_crawl_worker(args: argparse.Namespace) -> int:
    """``crawl --redis URL``: one worker of a shared crawl (nianbao/worker.py)."""
    from nianbao.worker import run_worker

    if args.replay or args.record:
        raise SiteConfigError("--redis crawls live: it cannot be combined with --replay or --record")
    sites = select_sites(load_sites(args.sites), args.site)
    overrides = _parse_settings(args.settings)
    start_urls = [url for site in sites for url in site.start_urls]
    overrides.update(_identity(args, overrides, start_urls))
    with RunLock(args.data_dir):
        archive = open_archive(args.data_dir)
        result = run_worker(
            archive,
            sites,
            args.redis,
            overrides=overrides,
            verbose=args.verbose,
            show_progress=wanted_progress(args.quiet),
            concurrent_sites=args.concurrent_sites,
            site_timeout=args.site_timeout,
        )
    if result.message:
        console.print(f"[red]error:[/red] {result.message}")
    if result.run_id is not None:
        _print_problems(archive, result.run_id, limit=None if args.quiet else 20)
        if not args.quiet:
            _print_site_runs(archive, result.run_id)
            console.print(
                f"this worker's shard of run {result.run_id} is in {args.data_dir}; once every worker "
                f"is done: nianbao merge --data-dir DIR {args.data_dir} OTHER-SHARDS…"
            )
    return result.exit_code


def _parse_settings(pairs: list[str]) -> dict[str, str]:
    settings = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise SiteConfigError(f"-s expects NAME=VALUE, got {pair!r}")
        _check_setting(name.strip(), value)
        settings[name.strip()] = value
    return settings


def _check_setting(name: str, value: str) -> None:
    """A value that cannot be read as the type of the setting's default stops the run before
    it starts (Scrapy would fail mid-crawl, or not at all and misbehave).

    >>> _check_setting("DOWNLOAD_DELAY", "0.5"); _check_setting("NIANBAO_FSYNC", "false")
    >>> _check_setting("DOWNLOAD_DELAY", "abc")
    Traceback (most recent call last):
    crawler.sites.SiteConfigError: -s DOWNLOAD_DELAY=abc: not a number (the default is 1.0)
    """
    from scrapy.settings import Settings

    defaults = Settings()
    defaults.setmodule("crawler.settings", priority="project")
    default = defaults.get(name)
    probe = Settings({name: value})
    kinds = [(bool, probe.getbool, "true or false"), (int, probe.getint, "a whole number")]
    kinds += [(float, probe.getfloat, "a number"), (dict, probe.getdict, "a JSON object")]
    for kind, read, wanted in kinds:
        if isinstance(default, kind):
            try:
                read(name)
            except (ValueError, TypeError):
                message = f"-s {name}={value}: not {wanted} (the default is {default!r})"
                raise SiteConfigError(message) from None
            return


# -- reparse ----------------------------------------------------------------------------
def cmd_reparse(args: argparse.Namespace) -> int:
    from nianbao.parse import parse_archive

    archive = _existing_archive(args.data_dir)
    if archive is None:
        return EXIT_CANNOT_START
    with RunLock(args.data_dir):
        archive.close_dead_runs()  # killed runs: their frontiers resume in this one
        run_id = archive.start_run("reparse", sites=args.site)
        try:
            progress = parse_progress(console) if wanted_progress(args.quiet) else nullcontext()
            with raise_on_signals(), progress as bar:
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
        except (Interrupted, KeyboardInterrupt, OSError, sqlite3.DatabaseError) as exc:
            return _reparse_stopped(archive, run_id, exc)
        code = EXIT_PROBLEMS if summary.problems else EXIT_OK
        stats = dict(summary.__dict__)
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


def _reparse_stopped(archive: Archive, run_id: int, exc: BaseException) -> int:
    """A reparse stopped by a signal or a machine fault: the run row closed, one line said."""
    if isinstance(exc, KeyboardInterrupt):
        RUN_END.signum = RUN_END.signum or signal.SIGINT
    elif not isinstance(exc, Interrupted):
        if not is_machine_fault(exc):
            raise exc
        RUN_END.fault = exc
    code = close_run(archive, run_id, {"stopped": True})
    if RUN_END.fault is not None:
        console.print(f"[red]error:[/red] {one_line(RUN_END.fault)} (run {run_id} failed)")
    else:
        console.print(f"interrupted ({signal.Signals(RUN_END.signum or 2).name}): run {run_id} closed")
    return int(code)


# -- status and verify ------------------------------------------------------------------
def cmd_status(args: argparse.Namespace) -> int:
    archive = _existing_archive(args.data_dir)
    if archive is None:
        return EXIT_CANNOT_START
    if args.json:
        print(health_json(archive.db))
        return EXIT_OK
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
    return EXIT_OK if _verify_objects(archive) else EXIT_PROBLEMS


def _verify_objects(archive: Archive, *, quiet: bool = False) -> bool:
    """Re-hash every stored object; print what is missing or changed. ``True`` when all is intact."""
    missing, changed, checked = archive.verify_objects()
    for sha in missing:
        console.print(f"[red]missing[/red] {archive.store.relpath(sha)}")
    for sha in changed:
        console.print(f"[red]changed[/red] {archive.store.relpath(sha)} (bytes no longer hash to their name)")
    if not quiet or missing or changed:
        console.print(f"verified {checked} objects: {len(missing)} missing, {len(changed)} changed")
    return not (missing or changed)


# -- output -----------------------------------------------------------------------------
def _existing_archive(data_dir: str) -> Archive | None:
    if not db_path(data_dir).exists():
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


def _print_problem_lines(archive: Archive, run_id: int) -> None:
    """One plain line per problem, naming its site and URL (for cron mail)."""
    sql = "SELECT site, url, stage, message FROM problems WHERE run_id = ? ORDER BY id"
    for p in archive.db.query(sql, [run_id]):
        console.print(
            f"problem [{p['site'] or '-'}] {p['url'] or '-'} {p['stage']}: {p['message']}",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )


SITE_ROWS = 50  # sites listed after a run: a table of every site would grow with the run


def _print_site_runs(archive: Archive, run_id: int) -> None:
    """The run's sites by name; of a run of more than :data:`SITE_ROWS` sites, those that did
    not end ``ok`` come first and the rest is counted, not listed."""
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
    total = archive.db.execute("SELECT count(*) FROM site_runs WHERE run_id = ?", [run_id]).fetchone()[0]
    first = "status = 'ok', " if total > SITE_ROWS else ""
    for row in archive.db.execute(
        "SELECT site, status, pages, files, new_items, changed_items, unchanged_items, removed_items, "
        "failed, coalesce(note, blocked_vendor, '') FROM site_runs WHERE run_id = ? "
        f"ORDER BY {first}site LIMIT {SITE_ROWS}",
        [run_id],
    ):
        table.add_row(*(str(v if v is not None else "") for v in row))
    console.print(table)
    if total > SITE_ROWS:
        console.print(f"… and {total - SITE_ROWS} more sites (`nianbao status` lists every site)")


def _print_run_summary(archive: Archive, run_id: int, *, quiet: bool = False) -> None:
    run = archive.db["crawl_runs"].get(run_id)
    stats: dict[str, Any] = json.loads(run["stats"] or "{}")
    if quiet and not stats.get("problems"):
        return  # cron mails any output: none when all is well
    statuses = ", ".join(f"{n} {status}" for status, n in sorted(stats.get("site_statuses", {}).items()))
    console.print(
        f"run {run_id} ({run['mode']}): {stats.get('sites', 0)} sites ({statuses or 'none'}), "
        f"{stats.get('fetches', 0)} fetches, "
        f"{stats.get('new_objects', 0)} new objects, {stats.get('reports_parsed', 0)} reports parsed, "
        f"{stats.get('problems', 0)} problems"
    )
    if quiet:
        _print_problem_lines(archive, run_id)
        return
    _print_site_runs(archive, run_id)
    _print_totals(archive)
    _print_problems(archive, run_id, limit=20)
    console.print(BROWSE.format(data_dir=archive.data_dir))


# The one "browse" line (make demo prints it too, through `nianbao crawl`).
BROWSE = "Browse the result: nianbao serve --data-dir {data_dir}   (then open http://127.0.0.1:8001/)"


if __name__ == "__main__":
    logging.basicConfig()
    sys.exit(main())
