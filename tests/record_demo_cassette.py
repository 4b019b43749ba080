"""Re-record the bundled demo cassette: crawl the mock portals on 127.0.0.1 into a WARC.

    python -m tests.record_demo_cassette cassettes/demo.warc.gz      (or: make cassettes)

The mock portals (tests/mockportal) answer as a forward proxy on 127.0.0.1, so the crawl
sees the sites under their own host names (www.weihai.nianbao.test, …) exactly as
sites.yaml lists them, and the cassette replays them by those names.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from tests.mockportal import MockServer, Site, demo_sites
from tests.mockportal.families.kit import run_crawl, write_sites_file

ROOT = Path(__file__).resolve().parent.parent


def record(
    out: Path,
    sites: list[Site] | None = None,
    data_dir: Path | None = None,
    extra_args: list[str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Crawl mock sites (default: the demo portals of sites.yaml) through the mock portals'
    proxy, recording into ``out`` and archiving into ``data_dir`` (throw-away unless given);
    ``extra_args`` go to ``nianbao crawl``."""
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = partial_path(out)
    partial.unlink(missing_ok=True)
    with (
        MockServer(sites or demo_sites(), direct=False) as server,
        tempfile.TemporaryDirectory() as tmp,
    ):
        sites_file = ROOT / "sites.yaml"
        if sites is not None:
            sites_file = write_sites_file(Path(tmp) / "sites.yaml", sites)
        crawl_args = ["--record", str(partial), *(extra_args or [])]
        result = run_crawl(server, sites_file, data_dir or Path(tmp), *crawl_args)
    if result.returncode not in (0, 1):
        raise SystemExit(f"recording failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    partial.replace(out)  # the old cassette stays until the new one is complete
    return result


def partial_path(out: Path) -> Path:
    """Where a recording goes until it is complete. It keeps ``out``'s suffixes, because the
    recorder gzips by the name (``.gz``): ``demo.warc.gz`` → ``demo.partial.warc.gz``.

    >>> partial_path(Path("cassettes/demo.warc.gz")).name, partial_path(Path("x.warc")).name
    ('demo.partial.warc.gz', 'x.partial.warc')
    """
    suffixes = "".join(out.suffixes)
    return out.with_name(out.name.removesuffix(suffixes) + ".partial" + suffixes)


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "cassettes/demo.warc.gz")
    print(record(target).stdout)
    print(f"recorded {target} ({target.stat().st_size} bytes)")
