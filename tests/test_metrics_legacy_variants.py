"""Province-style legacy 统计表 variants (tests/legacygen.py): every row lands under its own key
or under legacy.other.<n> — never under another row's key — and a 历年累计 column is never taken
for the year's figure. Each table knows its truth; values are unique per table, so a metric is
traced back to its row by value.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from parsers.document import Block, Document
from parsers.formats import parse
from parsers.metrics import extract
from parsers.metrics.tables import table_from_grid
from tests.legacygen import (
    NUMBERING,
    UNKNOWN_SECTION_ROWS,
    Score,
    Variant,
    generate,
    grid_document,
    render_docx,
    render_html,
    render_pdfs,
    render_xlsx,
    score,
)


def _assert_all_land_right(total: Score, n_tables: int) -> None:
    assert total.wrong == 0 and total.missing == 0 and total.cumulative_wrong == 0, total.failures[:10]
    assert n_tables >= 3 and total.rows >= 40 * n_tables
    # Rows under legacy.other.<n> are kept, not wrong, but a key fits all but a few (rows whose
    # section heading was dropped, so 维持 / 纠错 could belong to 复议, 诉讼 or 投诉).
    assert total.right / total.rows >= 0.98, (total.right, total.rows)


def test_200_generated_tables_put_no_value_under_a_wrong_key() -> None:
    total = Score()
    for seed in range(200):
        v = generate(seed)
        total.add(score(v, extract(grid_document(v)).values))
    _assert_all_land_right(total, 200)


Renderer = Callable[[Variant], bytes]


@pytest.mark.parametrize(
    ("render", "seeds"),
    [(render_html, range(1000, 1120)), (render_xlsx, range(2000, 2024)), (render_docx, range(3000, 3004))],
    ids=["html", "xlsx", "docx"],
)
def test_rendered_tables_through_the_real_format_parsers(render: Renderer, seeds: range) -> None:
    total = Score()
    for seed in seeds:
        v = generate(seed)
        result = extract(parse(render(v)))
        assert result.era == "legacy", f"seed {seed}"
        total.add(score(v, result.values))
    _assert_all_land_right(total, len(seeds))


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed")
def test_pdfs_exported_by_libreoffice(tmp_path: Path) -> None:
    variants = [generate(seed) for seed in range(4003, 4006)]
    total = Score()
    for v, pdf in zip(variants, render_pdfs(variants, tmp_path), strict=True):
        result = extract(parse(pdf))
        assert result.era == "legacy", f"seed {v.seed}"
        total.add(score(v, result.values))
    assert any(v.cumulative for v in variants)
    _assert_all_land_right(total, len(variants))


def test_the_generator_is_deterministic_and_draws_every_kind_of_variant() -> None:
    assert generate(7) == generate(7)
    variants = [generate(seed) for seed in range(200)]
    assert len({tuple(r.label for r in v.rows) for v in variants}) == 200
    assert any(v.cumulative and v.cumulative_first for v in variants)
    assert any(v.cumulative and not v.cumulative_first for v in variants)
    assert any(v.merged_header and v.cumulative for v in variants)
    assert any(not v.unit_column and any("（件）" in r.label for r in v.rows) for v in variants)
    assert any(any(r.key is None for r in v.rows) for v in variants)  # added rows
    assert any(len([r for r in v.rows if r.key]) < 60 for v in variants)  # dropped rows
    assert any(any("否决公开" in r.label for r in v.rows) for v in variants)  # reworded rows
    assert any(any(r.label in UNKNOWN_SECTION_ROWS for r in v.rows) for v in variants)  # unknown sections
    labels = [r.label for v in variants for r in v.rows]
    for style in ("cn", "paren_cn", "arabic", "paren_arabic"):
        assert any(label.startswith(NUMBERING[style](0)) for label in labels), style


def _table(rows: list[list[str]]) -> Document:
    grid = [["统计指标", "单位", "统计数"], *rows]
    return Document("html", [Block("某县2013年政府信息公开工作年度报告"), table_from_grid(grid)])


def test_the_2013_county_table() -> None:
    # The rows as printed in one real county table (2013): its own numbering and wording.
    doc = _table(
        [
            ["三、依申请公开情况", "", ""],
            ["（一）收到申请数", "件", "9"],
            ["1.当面申请数", "件", "1"],
            ["2.传真申请数", "件", "0"],
            ["3.电子邮件申请数", "件", "3"],
            ["4.网上申请数", "件", "5"],
            ["（二）申请答复数", "件", "9"],
            ["1.同意公开答复数", "件", "6"],
            ["2.同意部分公开答复数", "件", "2"],
            ["3.否决公开答复数", "件", "1"],
            ["四、行政复议数", "件", "0"],
            ["五、行政诉讼数", "件", "0"],
            ["六、行政申诉数", "件", "2"],
        ]
    )
    values = extract(doc).values
    assert values["legacy.requests.received_email"] == 3
    assert values["legacy.requests.received_online"] == 5
    assert values["legacy.requests.answered_denied"] == 1
    assert values["legacy.appeals.total"] == 2
    assert not any(k.startswith("legacy.other.") for k in values)


def test_a_row_meaning_no_key_keeps_its_label_and_a_second_row_for_a_taken_key_is_not_dropped() -> None:
    doc = _table(
        [
            ["（一）收到申请数", "件", "9"],
            ["1.信函、传真申请数", "件", "4"],  # two channels in one row: no single key
            ["2.网上申请数", "件", "5"],
            ["3.在线申请数", "件", "7"],  # means a key the table already used
            ["政府信息公开咨询数", "次", "30"],
        ]
    )
    result = extract(doc)
    assert result.values["legacy.requests.received_online"] == 5
    others = {m.label: m.value for m in result.metrics if m.key.startswith("legacy.other.")}
    assert others == {"1.信函、传真申请数": 4, "3.在线申请数": 7, "政府信息公开咨询数": 30}
    assert not any(
        k.startswith("legacy.requests.received_") and v in {4, 7} for k, v in result.values.items()
    )
