"""Tables 三 (applications received and handled) and 四 (reviews and lawsuits), 2019 and 2021.

Both templates share these two tables; 2021 only splits 三's （六）其他处理 into three rows.

Table 三 is read row by row. Columns come from the header (自然人 / 商业企业 / 科研机构 /
社会公益组织 / 法律服务机构 / 其他 / 总计, matched by keyword, so "商业 企业" or a header split
over two rows still works); a table with no header — the continuation of table 三 after a
page break — reuses the previous header's columns or takes the last seven columns. A row's
key comes from its labels: the rightmost label cell says which leaf it is ("1.属于国家秘密"),
the others (the group, "（三）不予公开", and the vertical "三、本年度办理结果", maybe broken
into pieces) only break ties. A label wrapped onto a row with no values is carried into the
next row.

Table 四 is one data row under a two- or three-row header; each column's header texts say
which group (行政复议 / 未经复议直接起诉 / 复议后起诉) and which result it is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from parsers.metrics.dictionary import APPLICANTS, REVIEW_GROUPS, REVIEW_RESULTS, check_keys
from parsers.metrics.tables import (
    Collector,
    LocatedTable,
    core_label,
    dedup_cells,
    grid_text,
    norm_label,
)
from parsers.metrics.values import parse_value

# Header keyword → applicant, tried in order on a column's joined header texts.
_APPLICANT_WORDS: list[tuple[str, str]] = [
    (r"自然人", "natural_person"),
    (r"商业|企业", "business"),
    (r"科研", "research"),
    (r"公益", "nonprofit"),
    (r"法律|律师", "legal_services"),
    (r"总计|合计", "total"),
    (r"其他|其它", "other_org"),
]
_HEADER_NOISE = re.compile(r"勾稽|申请人情况|法人或(?:者)?其他组织|法人和其他组织")

# Leaf rows of （三）…（六）: unique words, so a leaf is known even without its group label.
_LEAVES: list[tuple[str, str]] = [
    (r"国家秘密", "result.denied.state_secret"),
    (r"禁止公开|其他法律|法律行政法规", "result.denied.prohibited_by_law"),
    (r"三安全|一稳定|危及", "result.denied.security_stability"),
    (r"第三方", "result.denied.third_party"),
    (r"内部事务", "result.denied.internal_affairs"),
    (r"过程性", "result.denied.deliberative"),
    (r"执法案卷", "result.denied.enforcement_file"),
    (r"查询事项|行政查询", "result.denied.query_matter"),
    (r"不掌握", "result.unable.not_held"),
    (r"另行制作|现成信息", "result.unable.needs_creation"),
    (r"不明确", "result.unable.unclear"),
    (r"信访|举报|投诉", "result.not_processed.petition"),
    (r"重复申请", "result.not_processed.duplicate"),
    (r"出版物", "result.not_processed.publication"),
    (r"大量反复|大量", "result.not_processed.excessive"),
    (r"重新出具|确认", "result.not_processed.confirmation"),
    (r"不补正|逾期未补正", "result.other.no_correction"),
    (r"缴纳费用|收费通知|费用", "result.other.unpaid_fee"),
]
# Whole rows and group-level rows, tried after the leaves.
_ROWS: list[tuple[str, str]] = [
    (r"新收", "new"),
    (r"上一?年度?结转", "carried_over"),
    (r"结转下一?年|下一?年度继续", "carried_forward"),
    (r"总计|合计", "result.total"),
    (r"予以公开", "result.granted"),
    (r"部分公开", "result.partly_granted"),
    (r"其他处理", "result.other"),
]
# Group numbering fallback (the template's fixed （一）…（七）) for a group label cut in two.
_GROUP_BY_NUMBER = {
    "一": "result.granted",
    "二": "result.partly_granted",
    "六": "result.other",
    "七": "result.total",
}

REVIEW_KEYS = [f"{g}.{r}" for g in REVIEW_GROUPS for r in REVIEW_RESULTS]
check_keys(
    [
        f"requests.{row}.{a}"
        for row in [*(k for _, k in _LEAVES + _ROWS), *_GROUP_BY_NUMBER.values(), "result.other.other"]
        for a in APPLICANTS
    ]
)
_RESULT_WORDS = [
    (r"维持", "upheld"),
    (r"纠正|纠错", "corrected"),
    (r"尚未|未审结|审结", "pending"),
    (r"总计|合计", "total"),
    (r"其他|其它", "other"),
]


def is_table3(grid: list[list[str]]) -> bool:
    text = grid_text(grid)
    return bool(re.search(r"新收|上一?年度?结转|结转下一?年", text)) or (
        len(re.findall(r"国家秘密|不掌握|重复申请|出版物|内部事务|过程性", text)) >= 2
    )


def is_table4(grid: list[list[str]]) -> bool:
    """行政复议 and (行政)诉讼 over result columns — named (维持, 纠正, 审结) or, as OCR of a poor
    scan may leave them ("铺果准持", "千果溃正"), at least three headers with the 果 of 结果.

    >>> is_table4([["行政复议", "行政诉讼"], ["结果维持", "结果纠正"]])
    True
    >>> is_table4([["行政复议", "", "行政诉讼"], ["铺果准持", "千果溃正", "舟他汉果", "其他结果"]])
    True
    >>> is_table4([["行政复议", "行政诉讼"], ["件数", "备注"]])
    False
    """
    text = grid_text(grid)
    results = bool(re.search(r"维持|纠正|审结", text)) or text.count("果") >= 3
    return "行政复议" in text and "诉讼" in text and results


# --------------------------------------------------------------------------- table 三


@dataclass
class _Columns:
    by_applicant: dict[str, int]
    first_value_col: int
    header_rows: int


def _column_header_text(grid: list[list[str]], rows: int, col: int) -> str:
    parts = dedup_cells([grid[r][col] for r in range(rows)])
    return "".join(norm_label(p) for p in parts if not _HEADER_NOISE.search(norm_label(p)))


def _applicant_columns(grid: list[list[str]]) -> _Columns | None:
    """Map the header of table 三 to applicant columns; None when there is no header."""
    n_header = next(
        (
            r
            for r, row in enumerate(grid)
            if any(re.search(r"新收|上一?年度?结转", norm_label(c)) for c in row)
        ),
        None,
    )
    if not n_header:
        return None
    found: dict[str, int] = {}
    for col in range(len(grid[0])):
        text = _column_header_text(grid, n_header, col)
        for pattern, applicant in _APPLICANT_WORDS:
            if text and re.search(pattern, text):
                found.setdefault(applicant, col)
                break
    if set(found) != set(APPLICANTS):
        return None
    return _Columns(found, min(found.values()), n_header)


def _fallback_columns(n_cols: int) -> _Columns:
    """The template's order in the last seven columns."""
    first = max(n_cols - len(APPLICANTS), 0)
    return _Columns({a: first + i for i, a in enumerate(APPLICANTS)}, first, 0)


def _row_key(labels: list[str], in_other_group: bool) -> str | None:
    """The row key for a row's label cells (left to right, repeats collapsed)."""
    if not labels:
        return None
    leaf = core_label(labels[-1])
    full = "".join(core_label(x) for x in labels)
    for text in (leaf, full):  # full: a leaf label wrapped over two rows
        for pattern, key in _LEAVES:
            if re.search(pattern, text):
                return key
    # The template's fixed （六） marks the 其他处理 group even when its label is cut in two.
    six = any(re.match(r"[(（]六[)）]", norm_label(x)) for x in labels)
    if re.fullmatch(r"其他|其它|其他情形", leaf) and (in_other_group or six or "其他处理" in full):
        return "result.other.other"
    for text in (leaf, full):
        for pattern, key in _ROWS:
            if re.search(pattern, text):
                return key
    m = re.match(r"[(（]([一二六七])[)）]", norm_label(labels[-1]))
    if m:
        return _GROUP_BY_NUMBER[m.group(1)]
    return None


def _has_values(row: list[str], cols: _Columns) -> bool:
    return any(parse_value(row[c]).kind != "blank" for c in cols.by_applicant.values() if c < len(row))


def extract_table3(tables: list[LocatedTable], out: Collector) -> list[str]:
    """Add ``requests.<row>.<applicant>`` metrics from table 三 (and its continuations).

    Returns the row keys found, in order.
    """
    found_rows: list[str] = []
    cols: _Columns | None = None
    for lt in tables:
        if not lt.grid or not is_table3(lt.grid):
            continue
        header = _applicant_columns(lt.grid)
        if header is not None:
            cols = header
        elif cols is None or max(cols.by_applicant.values()) >= min(len(row) for row in lt.grid):
            # (a previous header's columns must all exist here: an OCR'd continuation may
            # have fewer, or ragged, columns)
            cols = _fallback_columns(len(lt.grid[0]))
            out.warnings.append(f"table {lt.index}: no applicant header, last 7 columns used")
        start = header.header_rows if header else 0
        _read_table3_rows(lt, cols, start, out, found_rows)
    return found_rows


def _read_table3_rows(
    lt: LocatedTable, cols: _Columns, start: int, out: Collector, found_rows: list[str]
) -> None:
    grid = lt.grid
    pending: list[str] = []  # label text wrapped onto rows without values
    in_other = False
    for r in range(start, len(grid)):
        row = grid[r]
        labels = dedup_cells(row[: cols.first_value_col])
        key = _row_key(pending + labels, in_other)
        if not _has_values(row, cols) and (key is None or _values_below(grid, r, cols, in_other)):
            pending += labels
            continue
        if key is None:
            out.warnings.append(f"table {lt.index} row {r}: unrecognised row {labels!r}")
            pending = []
            continue
        label = " ".join(pending + labels)
        pending = []
        in_other = key.startswith("result.other")
        if key in found_rows:
            continue
        found_rows.append(key)
        for applicant, col in cols.by_applicant.items():
            out.cell(f"requests.{key}.{applicant}", lt, r, col, label=label)


def _values_below(grid: list[list[str]], r: int, cols: _Columns, in_other: bool) -> bool:
    """True when row ``r`` (no values) is the first line of a label whose values sit on the next
    row, itself without a label of its own (a PDF cell split into text lines)."""
    if r + 1 >= len(grid) or not _has_values(grid[r + 1], cols):
        return False
    return _row_key(dedup_cells(grid[r + 1][: cols.first_value_col]), in_other) is None


# --------------------------------------------------------------------------- table 四


def _review_group(text: str) -> str | None:
    if re.search(r"未经复议|直接起诉", text):
        return "litigation_direct"
    if re.search(r"复议后", text):
        return "litigation_after_review"
    if "行政复议" in text and "诉讼" not in text:
        return "review"
    return None


def _review_result(text: str) -> str | None:
    for pattern, result in _RESULT_WORDS:
        if re.search(pattern, text):
            return result
    return None


def _is_header_row(row: list[str]) -> bool:
    return any(re.search(r"[\u4e00-\u9fff]", c) and parse_value(c).kind == "unparsed" for c in row)


def _review_columns(grid: list[list[str]], header_end: int) -> dict[int, tuple[str, str]]:
    """Column → (key, its header texts joined) when all 15 keys are found once, else {}."""
    keys: dict[int, tuple[str, str]] = {}
    for col in range(len(grid[0])):
        texts = dedup_cells([grid[r][col] for r in range(header_end)])
        text = "".join(norm_label(t) for t in texts)
        group = _review_group(text)
        result = _review_result(norm_label(texts[-1]) if texts else "")
        if group and result:
            keys.setdefault(col, (f"{group}.{result}", " ".join(texts)))
    if sorted(k for k, _ in keys.values()) == sorted(REVIEW_KEYS):
        return keys
    return {}


def extract_table4(tables: list[LocatedTable], out: Collector) -> bool:
    """Add ``review.*`` / ``litigation_direct.*`` / ``litigation_after_review.*``; True if found.

    The data row may be in the next table when a page break cut the header from it.
    """
    for i, lt in enumerate(tables):
        if not lt.grid or not is_table4(lt.grid):
            continue
        grid = lt.grid
        data_row = next((r for r, row in enumerate(grid) if r > 0 and not _is_header_row(row)), None)
        header_end = len(grid) if data_row is None else data_row
        keys = _review_columns(grid, header_end)
        source, row = lt, data_row
        if data_row is None and i + 1 < len(tables):
            nxt = tables[i + 1]
            if nxt.grid and len(nxt.grid[0]) == len(grid[0]) and not _is_header_row(nxt.grid[0]):
                source, row = nxt, 0
        if row is None:
            out.warnings.append(f"table {lt.index}: table 四 has no data row")
            continue
        if not keys:
            n = len(source.grid[row])
            if n < 15:
                out.warnings.append(f"table {lt.index}: table 四 columns not understood")
                continue
            out.warnings.append(
                f"table {lt.index}: table 四 header not understood, template column order used"
            )
            keys = {n - 15 + j: (k, "") for j, k in enumerate(REVIEW_KEYS)}
        for col, (key, label) in sorted(keys.items()):
            if col < len(source.grid[row]):
                out.cell(key, source, row, col, label=label or None)
        return True
    return False
