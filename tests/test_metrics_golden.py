"""Golden metrics: every statistics cell of every seed and real report, blank vs zero included.

The expected values in ``tests/golden/*.json`` were written by reading the documents (seed
texts; the real PDFs rendered with ``pdftoppm -r 80 -png`` and looked at; the HTML tables),
not by running the extractor. Documents come from:

- ``tests/fixtures/seeds/NNN.tables.json`` (expected grids) + ``NNN.expected.txt`` (text);
- the seed's own tab-separated table lines (seeds 000 and 002, from /work/shared/seeds);
- the real format parsers on the seed fixtures and on ../shared/realworld (skipped when that is
  absent; a parser that cannot be imported fails the module, it is never skipped).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from parsers.document import Block, Document, Table
from parsers.formats import parse
from parsers.metrics import extract, year_over_year
from parsers.metrics.model import MetricsResult
from parsers.metrics.requests import APPLICANTS
from parsers.metrics.tables import table_from_grid
from parsers.metrics.template2019 import TABLE2_KEYS as T2_2019
from parsers.metrics.template2019 import TABLE3_ROWS as T3_2019
from parsers.metrics.template2021 import TABLE2_KEYS as T2_2021
from parsers.metrics.template2021 import TABLE3_ROWS as T3_2021

TESTS = Path(__file__).resolve().parent
GOLDEN = TESTS / "golden"
FIXTURES = TESTS / "fixtures" / "seeds"
SHARED = TESTS.parents[1] / "shared"
REALWORLD = SHARED / "realworld" / "reports"
SEEDS = ["000", "001", "002", "003", "004"]
REAL_FILES = [
    "jiangsu_huaian_city_2024_gov_annual_report.pdf",
    "jiangsu_huaian_hongze_2023_gov_annual_report.pdf",
    "jiangsu_huaian_hongze_2024_gov_annual_report.pdf",
    "fujian_pingtan_2024_gov_annual_report_t20250310_97791.html",
    "fujian_pingtan_2018_gov_annual_report_t20190110_80529.html",
    "templates/guoban_2021_annual_report_template_blank.docx",
]
REAL = {Path(f).stem: f for f in REAL_FILES}  # golden file stem → path under realworld/reports
REVIEW_KEYS = [
    f"{g}.{r}"
    for g in ("review", "litigation_direct", "litigation_after_review")
    for r in ("upheld", "corrected", "other", "pending", "total")
]


def golden(name: str) -> dict[str, Any]:
    return json.loads((GOLDEN / f"{name}.json").read_text("utf-8"))


def fixture_document(seed: str) -> Document:
    """Text blocks of the seed's expected text, then its expected table grids."""
    text = (FIXTURES / f"{seed}.expected.txt").read_text("utf-8")
    blocks: list[Block | Table] = [
        Block(line.strip()) for line in text.splitlines() if line.strip() and "\t" not in line
    ]
    grids = json.loads((FIXTURES / f"{seed}.tables.json").read_text("utf-8"))
    return Document("html", blocks + [table_from_grid(g) for g in grids])


def tab_lines_table(text: str) -> Table:
    """The legacy 统计表 of a seed text: its tab-separated lines from 统计指标 on, blanks skipped."""
    rows: list[list[str]] = []
    for line in text.splitlines():
        if line.startswith("统计指标\t"):
            rows = []
        if "\t" in line and (rows or line.startswith("统计指标")):
            rows.append(line.split("\t"))
        elif line.strip() and rows and len(rows) > 1:
            break
    width = max(len(r) for r in rows)
    return table_from_grid([r + [""] * (width - len(r)) for r in rows])


def assert_matches_golden(result: MetricsResult, expected: dict[str, Any]) -> None:
    assert result.era == expected["era"]
    found = result.values
    want = expected["metrics"]
    assert sorted(found) == sorted(want), (
        f"missing {sorted(set(want) - set(found))}, extra {sorted(set(found) - set(want))}"
    )
    for key, value in want.items():
        got = found[key]
        assert (got is None) == (value is None), f"{key}: {got!r} != {value!r} (blank vs value)"
        if value is not None:
            assert got == pytest.approx(value), f"{key}: {got!r} != {value!r}"
    failed = sorted(c.rule for c in result.checks if c.passed is False)
    assert failed == sorted(expected.get("failed_checks", []))
    approximate = sorted(m.key for m in result.metrics if m.approximate)
    assert approximate == sorted(expected.get("approximate", []))


# ------------------------------------------------------------------ the golden files themselves


def test_every_seed_and_real_report_has_a_golden_file() -> None:
    names = {p.stem for p in GOLDEN.glob("*.json")}
    assert names == {f"seed_{s}" for s in SEEDS} | set(REAL)


@pytest.mark.parametrize(
    "name", [n for n in REAL if n != "fujian_pingtan_2018_gov_annual_report_t20190110_80529"]
)
def test_2021_goldens_cover_every_cell_of_the_three_tables(name: str) -> None:
    metrics = golden(name)["metrics"]
    rows = [
        r for r in T3_2021 if not (r.startswith("result.other.") and "requests.result.other.total" in metrics)
    ]
    if "requests.result.other.total" in metrics:
        rows.insert(rows.index("result.total"), "result.other")
    expected = T2_2021 + [f"requests.{r}.{a}" for r in rows for a in APPLICANTS] + REVIEW_KEYS
    assert sorted(metrics) == sorted(expected)


def test_2019_golden_covers_every_cell_of_the_three_tables() -> None:
    expected = T2_2019 + [f"requests.{r}.{a}" for r in T3_2019 for a in APPLICANTS] + REVIEW_KEYS
    assert sorted(golden("seed_001")["metrics"]) == sorted(expected)


@pytest.mark.parametrize("seed", ["000", "002"])
def test_legacy_goldens_have_one_key_per_table_row(seed: str) -> None:
    if not SHARED.joinpath("seeds").is_dir():
        pytest.skip("…/shared/seeds not present (only in the dev workspace)")
    text = next((SHARED / "seeds").glob(f"{seed}_*.txt")).read_text("utf-8")
    grid = tab_lines_table(text).grid()
    value_rows = [r for r in grid[1:] if r[1].strip() not in {"", "——"} or r[2].strip()]
    assert len(golden(f"seed_{seed}")["metrics"]) == len(value_rows)


# ------------------------------------------------------------------ seeds


@pytest.mark.parametrize("seed", SEEDS)
def test_seed_fixture_tables_give_the_golden_metrics(seed: str) -> None:
    assert_matches_golden(extract(fixture_document(seed)), golden(f"seed_{seed}"))


@pytest.mark.parametrize("seed", ["000", "002"])
def test_seed_tab_lines_give_the_golden_metrics(seed: str) -> None:
    if not SHARED.joinpath("seeds").is_dir():
        pytest.skip("…/shared/seeds not present (only in the dev workspace)")
    text = next((SHARED / "seeds").glob(f"{seed}_*.txt")).read_text("utf-8")
    blocks: list[Block | Table] = [Block(x) for x in text.splitlines()[:40] if x.strip()]
    doc = Document("html", [*blocks, tab_lines_table(text)])
    assert_matches_golden(extract(doc), golden(f"seed_{seed}"))


def test_seed_000_sources_point_at_the_cells() -> None:
    result = extract(fixture_document("000"))
    website = result.get("legacy.channels.website")
    assert website is not None
    assert (website.raw, website.unit, website.source.table, website.source.row, website.source.col) == (
        "4500",
        "条",
        0,
        7,
        2,
    )
    assert website.label == "2.政府网站公开政府信息数"


def test_seed_001_keeps_raw_text_of_blank_and_unit_cells() -> None:
    result = extract(fixture_document("001"))
    amount = result.get("active.procurement.amount_10k_yuan")
    assert amount is not None and (amount.value, amount.unit, amount.raw) == (165.51, "万元", "165.51万元")
    blank = result.get("requests.new.natural_person")
    assert blank is not None and blank.value is None and blank.raw == ""


def test_prose_figures_are_low_confidence() -> None:
    result = extract(fixture_document("004"))
    assert result.metrics and {m.confidence for m in result.metrics} == {"low"}


# ------------------------------------------------------------------ real parsers


@pytest.mark.parametrize("ext", ["body.html", "docx", "pdf"])
@pytest.mark.parametrize("seed", SEEDS)
def test_seed_files_through_the_real_parsers(seed: str, ext: str) -> None:
    doc = parse((FIXTURES / f"{seed}.{ext}").read_bytes())
    assert_matches_golden(extract(doc), golden(f"seed_{seed}"))


@pytest.mark.parametrize("name", sorted(REAL))
def test_real_reports_through_the_real_parsers(name: str) -> None:
    if not REALWORLD.is_dir():
        pytest.skip("…/shared/realworld not present (only in the dev workspace)")
    doc = parse((REALWORLD / REAL[name]).read_bytes())
    assert_matches_golden(extract(doc), golden(name))


def test_hongze_year_over_year_through_the_real_parsers() -> None:
    if not REALWORLD.is_dir():
        pytest.skip("…/shared/realworld not present (only in the dev workspace)")
    y2023 = extract(parse((REALWORLD / REAL["jiangsu_huaian_hongze_2023_gov_annual_report"]).read_bytes()))
    y2024 = extract(parse((REALWORLD / REAL["jiangsu_huaian_hongze_2024_gov_annual_report"]).read_bytes()))
    checks = year_over_year(y2023, y2024)
    assert len(checks) == 7 and all(c.passed for c in checks)


def test_hongze_year_over_year_on_the_golden_values() -> None:
    # 2023 结转下年度继续办理 is 0 in every column, 2024 上年结转 too (pages 3–4 of each PDF).
    checks = year_over_year(
        golden("jiangsu_huaian_hongze_2023_gov_annual_report")["metrics"],
        golden("jiangsu_huaian_hongze_2024_gov_annual_report")["metrics"],
    )
    assert [c.status for c in checks] == ["passed"] * 7
