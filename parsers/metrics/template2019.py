"""The 2019 template (国办公开办函〔2019〕60号, report years 2019–2020).

Table 二 has 本年新制作数量 / 本年新公开数量 / 对外公开总数量 for 规章 and 规范性文件,
上一年项目数量 / 本年增/减 / 处理决定数量 for 行政许可 … 行政强制, 行政事业性收费 and 政府集中采购
(采购项目数量 / 采购总金额); table 三 has one （六）其他处理 row; table 四 is the 2021 one.
"""

from __future__ import annotations

import re

from parsers.metrics.active import FIELDS_2019, extract_table2
from parsers.metrics.dictionary import APPLICANTS, T3_ROWS_2019, TABLE2_KEYS_2019
from parsers.metrics.requests import extract_table3, extract_table4
from parsers.metrics.tables import Collector, LocatedTable

ERA = "2019"
FIRST_YEAR = 2019  # the first report year it covers
# Labels only this template prints (table 二's columns).
SIGNS = re.compile(r"本年新制作数量|本年新公开数量|对外公开总数量|上一年项目数量|采购项目数量")
# Whole header labels that name it in running text (a table the parser flattened).
HEADER_LABELS = ("本年新制作数量", "上一年项目数量")
TABLE2_KEYS = TABLE2_KEYS_2019
TABLE3_ROWS = [*T3_ROWS_2019, "result.other", "result.total", "carried_forward"]


def extract(tables: list[LocatedTable], out: Collector) -> None:
    """Tables 二, 三 and 四 of a 2019-template report into ``out``."""
    extract_table2(tables, FIELDS_2019, out)
    extract_table3(tables, out)
    extract_table4(tables, out)
    expected = TABLE2_KEYS + [f"requests.{r}.{a}" for r in TABLE3_ROWS for a in APPLICANTS]
    missing = [k for k in expected if not out.has(k)]
    if missing:
        out.warnings.append(
            f"2019 template: {len(missing)} expected cells not found, e.g. {', '.join(missing[:3])}"
        )
