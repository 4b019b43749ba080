"""Table 二 (主动公开政府信息情况), shared by the 2019 and 2021 templates.

The table is a stack of small sections (第二十条第（一）项, （五）, （六）, （八）, 2019 also
（九）), each a "信息内容 | column headers…" row followed by data rows. Each data row's label
says the subject (规章, 行政规范性文件, 行政许可, …); the section's header row says what each
column holds — and that is where the two templates differ, so the caller passes the
header-word → field table. Spanning cells (``本年处理决定数量`` over three columns) count once.
"""

from __future__ import annotations

import re

from parsers.metrics.dictionary import check_keys, table2_keys
from parsers.metrics.tables import Collector, LocatedTable, core_label, norm_label
from parsers.metrics.values import parse_value

# Row label → subject, tried in order on the label without numbering.
SUBJECTS: list[tuple[str, str]] = [
    (r"^规章", "regulations"),
    (r"规范性文件", "normative_documents"),
    (r"行政许可", "licensing"),
    (r"对外管理服务|其他.*服务事项", "other_services"),
    (r"行政处罚", "penalty"),
    (r"行政强制", "coercion"),
    (r"事业性收费|收费", "fees"),
    (r"集中采购|政府采购|采购", "procurement"),
]

FieldWords = list[tuple[str, str]]

# 2021: 国办公开办函〔2021〕30号.
FIELDS_2021: FieldWords = [
    (r"制发", "issued"),
    (r"废止", "repealed"),
    (r"现行有效", "in_force"),
    (r"处理决定", "decisions"),
    (r"收费金额|金额", "amount_10k_yuan"),
]
# 2019: 国办公开办函〔2019〕60号.
FIELDS_2019: FieldWords = [
    (r"新制作|制作数", "made"),
    (r"新公开", "published"),
    (r"公开总数|总数量", "total_published"),
    (r"上一年|上年", "items_last_year"),
    (r"增|减", "items_change"),
    (r"处理决定", "decisions"),
    (r"项目数", "projects"),
    (r"金额", "amount_10k_yuan"),
]


# Every subject and field the tables above name makes a dictionary key with some partner.
check_keys(
    [
        next((k for k in table2_keys() if k.startswith(f"active.{subject}.")), f"active.{subject}.?")
        for _, subject in SUBJECTS
    ]
    + [
        next((k for k in table2_keys() if k.endswith(f".{field}")), f"active.?.{field}")
        for _, field in FIELDS_2019 + FIELDS_2021
    ]
)


def is_table2(grid: list[list[str]]) -> bool:
    labels = {core_label(row[0]) for row in grid if row}
    hits = sum(1 for s in labels for p, _ in SUBJECTS if re.search(p, s))
    return hits >= 2 and any(
        "信息内容" in norm_label(c) or "第二十条" in norm_label(c) for row in grid for c in row
    )


def _header_fields(row: list[str], words: FieldWords) -> dict[int, tuple[str, str | None]]:
    """Columns of a 信息内容 row → (field, unit from the header such as （单位：万元）)."""
    out: dict[int, tuple[str, str | None]] = {}
    prev = None
    for col, text in enumerate(row):
        s = norm_label(text)
        if col == 0 or not s or s == prev:
            prev = s
            continue
        prev = s
        for pattern, field in words:
            if re.search(pattern, s):
                unit = "万元" if "万元" in s else None
                out[col] = (field, unit)
                break
    return out


def _is_header(row: list[str], words: FieldWords) -> bool:
    first = norm_label(row[0]) if row else ""
    return "信息内容" in first or (
        not first
        and len(_header_fields(row, words)) >= 1
        and all(parse_value(c).kind != "number" for c in row)
    )


def extract_table2(tables: list[LocatedTable], words: FieldWords, out: Collector) -> int:
    """Add ``active.<subject>.<field>`` metrics; returns how many were added."""
    before = len(out.metrics)
    for lt in tables:
        if not lt.grid or not is_table2(lt.grid):
            continue
        fields: dict[int, tuple[str, str | None]] = {}
        for r, row in enumerate(lt.grid):
            if _is_header(row, words):
                fields = _header_fields(row, words)
                continue
            label = core_label(row[0]) if row else ""
            subject = next((s for p, s in SUBJECTS if re.search(p, label)), None)
            if subject is None or not fields:
                continue
            _read_row(lt, r, subject, fields, out)
    return len(out.metrics) - before


def _read_row(
    lt: LocatedTable,
    r: int,
    subject: str,
    fields: dict[int, tuple[str, str | None]],
    out: Collector,
) -> None:
    row = lt.grid[r]
    cols = sorted(fields)
    for i, col in enumerate(cols):
        field, unit = fields[col]
        # A header cell spanning several columns owns them all: take its first non-blank one.
        end = cols[i + 1] if i + 1 < len(cols) else len(row)
        span = [c for c in range(col, end) if c < len(row)]
        pick = next((c for c in span if parse_value(row[c]).kind != "blank"), col)
        out.cell(f"active.{subject}.{field}", lt, r, pick, label=row[0].strip(), unit=unit)
