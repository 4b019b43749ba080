"""Discovery judged on generated portals (tests/mockportal/generator.py), not on one mock.

A fixed set of seeds — every CMS family, pager, title, attachment and charset variant, the
column 1–4 levels deep under sections of any name — is served on 127.0.0.1 and crawled by
the real ``nianbao crawl`` in one run; every report and attachment the portals hold must be
found, and nothing else taken for one. ``make fuzz-discovery N=500`` runs more seeds;
``make fuzz-discovery SEED=1234`` replays one.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from crawler.render import chromium_path
from tests.mockportal.generator import FAMILIES, crawl_seeds, generate

SEEDS = list(range(50))


def test_the_fixed_seeds_cover_every_family() -> None:
    families = {generate(seed)[0].family for seed in SEEDS}  # type: ignore[attr-defined]
    assert families == set(FAMILIES)


@pytest.mark.skipif(chromium_path() is None, reason="Debian's chromium is not installed (script-built lists)")
def test_generated_portals_recall_and_precision_are_one(tmp_path: Path) -> None:
    score = crawl_seeds(SEEDS, tmp_path)
    print(f"{len(SEEDS)} portals: recall {score.recall:.4f}, precision {score.precision:.4f}")
    assert not score.failures, "\n".join(score.failures)
    assert score.recall == score.precision == 1.0
