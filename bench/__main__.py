"""``python -m bench``: nianbao's benchmarks, each against a baseline measured in the same run.

Sections (``--only`` picks some):

1. ``crawl_overhead`` — ``nianbao crawl`` of a generated ~5,000-page portal (+ ~500
   attachments) served by nginx on 127.0.0.1, against a bare Scrapy spider fetching the
   same URLs, in three interleaved rounds (medians compared). Target: nianbao ≥ 0.8 × the
   bare rate (pages/s). ``--profile`` adds one crawl under py-spy and its hot spots.
2. ``recrawl`` — a second ``nianbao crawl`` of the unchanged portal. Target: ≤ 5 % of the bytes.
3. ``parse`` — text + tables + metrics of the fixture PDFs (and the real Huai'an PDFs when
   ``../shared/realworld`` is there) against pdfplumber. Target: ≥ 5× faster, as accurate.
4. ``reparse`` — ``nianbao reparse`` of 10,000 archived documents on every core. Target: < 5 min.
6. ``scan`` — statutory tables read from degraded scans of the seed and real PDFs (200 dpi,
   ±1.5° skew, specks, JPEG 55; also a red seal and a copier's shadow; 150 dpi), against
   plain Tesseract page OCR. Target: ≥ 95% of cells exact, < 1% wrong, ≤ 10 s/page.
5. ``memory`` — peak RSS of a ``nianbao crawl`` of a generated 50,000-page portal, at
   10,000 pages and at the end. Target: < 400 MB and flat (end ≤ 1.2 × at 10,000).
7. ``many_sites`` — ``nianbao crawl`` of 10 and of 1,000 small generated portals (a tenth with
   script-built lists), each on a loopback address of its own, served by nginx: peak RSS of
   the whole nianbao process (crawl and parse stage; the crawl alone beside it), sites per
   minute, reports found against the generated truth. Target: peak < 400 MB, ≤ 1.2 × the
   10-portal crawl's, every report found. It runs last, after the budget of the other
   sections (about fifteen more minutes). ``python -m bench.many_sites --slots 2,4,8,16``
   compares ``--concurrent-sites`` values on the same portals (how the default was chosen).

The whole run keeps to a time budget (``--budget``; 15 minutes, ``--quick`` 3): reparse
and memory run last and are stopped at their share of what is left, reporting how far
they got and the rate so far. Prints a table and writes ``bench/results/latest.json``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import crawlbench, parsebench, reparsebench, scanbench
from bench.machine import machine_facts
from bench.report import format_figures, format_table, skipped, write_json
from bench.server import nginx_available

RESULTS = Path(__file__).resolve().parent / "results" / "latest.json"
SECTIONS = ("crawl_overhead", "recrawl", "parse", "scan", "reparse", "memory", "many_sites")
FULL = {
    "pages": 5000,
    "attachments": 500,
    "memory_pages": 50_000,
    "memory_first": 10_000,
    "crawl_rounds": 3,
    "reparse_docs": 10_000,
    "parse_repeats": 3,
    "scan_docs": 0,  # all
    "budget": 15 * 60,
    "many_sites": 1000,
}
QUICK = {
    "pages": 1000,
    "attachments": 100,
    "memory_pages": 2000,
    "memory_first": 500,
    "crawl_rounds": 1,
    "reparse_docs": 500,
    "parse_repeats": 1,
    "scan_docs": 2,
    "budget": 3 * 60,
    "many_sites": 50,
}
_MARGIN_S = 20  # left at the end for writing results, stopping servers


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="small sizes: a smoke run (~2 min)")
    p.add_argument("--only", help=f"comma-separated sections of {', '.join(SECTIONS)}")
    p.add_argument("--pages", type=int, help="pages of the crawl-overhead portal")
    p.add_argument("--attachments", type=int, help="attachments of the crawl-overhead portal")
    p.add_argument("--crawl-rounds", type=int, help="bare + nianbao crawl pairs (medians kept)")
    p.add_argument("--profile", action="store_true", help="one more crawl under py-spy")
    p.add_argument("--memory-pages", type=int, help="pages of the memory portal")
    p.add_argument("--memory-first", type=int, help="first memory sample point (pages)")
    p.add_argument("--reparse-docs", type=int, help="documents in the reparse archive")
    p.add_argument("--parse-repeats", type=int, help="passes over the PDFs (best is kept)")
    p.add_argument("--parse-files", type=int, help="use only the first N PDFs")
    p.add_argument("--scan-docs", type=int, help="scan only the first N source PDFs (0: all)")
    p.add_argument("--scan-pages", help="scan only these pages (1-based, e.g. 2,3) of each source PDF")
    p.add_argument("--many-sites", type=int, help="portals of the large many_sites crawl")
    p.add_argument("--few-sites", type=int, default=10, help="portals of the small many_sites crawl")
    p.add_argument("--concurrent-sites", type=int, help="--concurrent-sites of the many_sites crawls")
    p.add_argument("--budget", type=float, help="seconds for the whole run (0: no limit)")
    p.add_argument("--server", choices=("auto", "nginx", "python"), default="auto")
    p.add_argument("--out", type=Path, default=RESULTS, help=f"JSON results (default {RESULTS})")
    p.add_argument("--keep", action="store_true", help="keep the work directory")
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    sizes = dict(QUICK if args.quick else FULL)
    for key in sizes:
        if getattr(args, key, None) is not None:
            sizes[key] = getattr(args, key)
    wanted = SECTIONS if not args.only else tuple(s.strip() for s in args.only.split(","))
    unknown = set(wanted) - set(SECTIONS)
    if unknown:
        print(f"unknown sections: {', '.join(sorted(unknown))}", file=sys.stderr)
        return 2
    start = time.monotonic()
    end = start + sizes["budget"] - _MARGIN_S if sizes["budget"] else None
    work = Path(tempfile.mkdtemp(prefix="nianbao-bench-"))
    payload: dict[str, Any] = {
        "machine": machine_facts(),
        "load_average_at_start": _loadavg(),
        "mode": "quick" if args.quick else "full",
        "sizes": sizes,
        "server": "nginx" if args.server != "python" and nginx_available() else "python",
        "sections": {},
    }
    if payload["server"] == "python" and args.server == "auto":
        print(
            "nginx not installed (`make bench` installs it): using the Python server",
            file=sys.stderr,
        )
    results: dict[str, dict[str, Any]] = {}
    try:
        _run_sections(wanted, sizes, args, work, end, results)
    finally:
        payload["sections"] = {name: results[name] for name in SECTIONS if name in results}
        payload["duration_s"] = round(time.monotonic() - start, 1)
        payload["load_average_at_end"] = _loadavg()
        write_json(args.out, payload)
        if args.keep:
            print(f"work directory kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    print(format_figures(payload["sections"]))
    print()
    print(format_table(payload["sections"]))
    print(f"\n{payload['duration_s']:.0f} s; results in {args.out}")
    return 0


def _run_sections(
    wanted: tuple[str, ...],
    sizes: dict[str, Any],
    args: argparse.Namespace,
    work: Path,
    end: float | None,
    results: dict[str, dict[str, Any]],
) -> None:
    def announce(name: str) -> None:
        print(f"== {name} ({time.strftime('%H:%M:%S')})", flush=True)

    if "crawl_overhead" in wanted or "recrawl" in wanted:
        announce("crawl_overhead + recrawl")
        overhead, recrawl = crawlbench.overhead_and_recrawl(
            _subdir(work, "crawl"),
            pages=sizes["pages"],
            attachments=sizes["attachments"],
            rounds=sizes["crawl_rounds"],
            server_kind=args.server,
            profile=args.out.with_name("crawl-profile.txt") if args.profile else None,
        )
        for name, result in (("crawl_overhead", overhead), ("recrawl", recrawl)):
            if name in wanted:
                results[name] = result
    if "parse" in wanted:
        announce("parse")
        repeats = sizes["parse_repeats"]
        results["parse"] = parsebench.parse_section(repeats=repeats, limit=args.parse_files)
    if "scan" in wanted:
        announce("scan")
        levels = ("office",) if args.quick else tuple(scanbench.LEVELS)
        pages = tuple(int(n) for n in args.scan_pages.split(",")) if args.scan_pages else None
        results["scan"] = scanbench.scan_section(levels, limit=sizes["scan_docs"] or None, pages=pages)
    if "reparse" in wanted:
        announce("reparse")
        # A rate needs a minute or two of reparsing; memory, next, needs more (10,000 pages).
        share = 0.3 if "memory" in wanted else 1.0
        deadline = None if end is None else time.monotonic() + share * (end - time.monotonic())
        results["reparse"] = reparsebench.reparse_section(
            _subdir(work, "reparse"), documents=sizes["reparse_docs"], deadline=deadline
        )
    if "memory" in wanted:
        announce("memory")
        if end is not None and end - time.monotonic() < 30:
            results["memory"] = skipped("memory", "no time left in the budget")
        else:
            # The crawl stops early enough to leave its parse stage some time.
            soft = None if end is None else time.monotonic() + 0.8 * (end - time.monotonic())
            results["memory"] = crawlbench.memory(
                _subdir(work, "memory"),
                pages=sizes["memory_pages"],
                first_point=sizes["memory_first"],
                deadline=soft,
                hard_deadline=end,
                server_kind=args.server,
            )
    if "many_sites" in wanted:  # after the budget of the others: it needs its 1,000 sites
        _many_sites(sizes, args, work, results, announce)


def _many_sites(
    sizes: dict[str, Any],
    args: argparse.Namespace,
    work: Path,
    results: dict[str, dict[str, Any]],
    announce: Any,
) -> None:
    from bench.many_sites import many_sites_section

    announce("many_sites")
    results["many_sites"] = many_sites_section(
        _subdir(work, "many"), few=args.few_sites, many=sizes["many_sites"], slots=args.concurrent_sites
    )


def _subdir(work: Path, name: str) -> Path:
    path = work / name
    path.mkdir(parents=True, exist_ok=True)
    return path


def _loadavg() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


if __name__ == "__main__":
    sys.exit(main())
