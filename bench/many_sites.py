"""Many small generated portals, each on a loopback address of its own (127.0.x.y).

Each portal is a small :mod:`bench.portal` portal (home → 信息公开 → 年报 column → one or two
year lists → report pages, some with an attachment), varied by its index; every tenth has
script-built lists (filled in the browser from a JSON answer, with a poller that never lets
the page go idle). :func:`generate` writes them under one root, one directory per address,
and returns what a crawl must find: every report page of every portal.

>>> import tempfile
>>> sites = generate(Path(tempfile.mkdtemp()), 12)
>>> [s.address for s in sites[:2]], sum(s.scripted for s in sites), all(s.reports for s in sites)
(['127.0.10.10', '127.0.10.11'], 1, True)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from bench.portal import PortalPlan, build_portal

SCRIPTED_EVERY = 10
_PER_OCTET = 200


@dataclass(frozen=True)
class SmallPortal:
    name: str
    address: str  # 127.0.x.y: a server of its own
    root: Path
    scripted: bool
    reports: tuple[str, ...]  # paths of its report pages

    def url(self, port: int, path: str = "/") -> str:
        return f"http://{self.address}:{port}{path}"


def address(index: int) -> str:
    """The portal's loopback address (127.0.0.x is left to everything else).

    >>> address(0), address(199), address(200)
    ('127.0.10.10', '127.0.10.209', '127.0.11.10')
    """
    return f"127.0.{10 + index // _PER_OCTET}.{10 + index % _PER_OCTET}"


def plan_for(index: int, scripted: bool, attachments: bool = True) -> PortalPlan:
    """Small and varied: one or two years, one or two list pages, two to four items a list, a
    notice between reports on some, an attachment on every third report, short report pages."""
    return PortalPlan(
        years=1 + index % 2,
        pages_per_year=1 if scripted else 1 + (index // 2) % 2,
        items_per_page=(2, 4, 3)[index % 3],
        report_every=1 + (index // 3) % 2,
        attachment_every=3 if attachments else 0,
        full_every=0,
        scripted=scripted,
    )


def generate(
    root: Path, count: int, *, scripted_every: int = SCRIPTED_EVERY, offset: int = 0, attachments: bool = True
) -> list[SmallPortal]:
    """Write ``count`` portals under ``root/<address>/``; every ``scripted_every``-th is scripted;
    ``attachments=False``: report pages only (a shorter parse stage)."""
    portals = []
    for index in range(offset, offset + count):
        scripted = scripted_every > 0 and index % scripted_every == scripted_every - 1
        where = address(index)
        portal = build_portal(root / where, plan_for(index, scripted, attachments))
        portals.append(
            SmallPortal(f"p{index:05d}", where, root / where, scripted, tuple(portal.report_paths))
        )
    return portals


def sites_file(path: Path, portals: list[SmallPortal], port: int) -> Path:
    entries = [{"name": p.name, "start_urls": [p.url(port)]} for p in portals]
    path.write_text(yaml.safe_dump(entries), encoding="utf-8")
    return path
