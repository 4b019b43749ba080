"""The 2021 template (国办公开办函〔2021〕30号, report years 2021–).

Table 二 has 本年制发件数 / 本年废止件数 / 现行有效件数 for 规章 and 行政规范性文件,
本年处理决定数量 for 行政许可 / 行政处罚 / 行政强制 and 本年收费金额（万元） for 行政事业性收费;
table 三 splits （六）其他处理 into three rows — though some agencies keep the single 2019 row,
which is then stored as ``requests.result.other.<applicant>``; table 四 as in 2019.
"""

from __future__ import annotations

import re

from parsers.metrics.active import FIELDS_2021, extract_table2
from parsers.metrics.dictionary import APPLICANTS, OTHER_SPLIT, T3_ROWS_2019, TABLE2_KEYS_2021
from parsers.metrics.requests import extract_table3, extract_table4
from parsers.metrics.tables import Collector, LocatedTable

ERA = "2021"
FIRST_YEAR = 2021  # the first report year it covers
# Labels only this template prints: table 二's columns, table 三's split （六）其他处理 rows.
SIGNS = re.compile(r"本年制发件数|本年废止件数|现行有效件数|本年收费金额|逾期不补正|缴纳费用")
# Whole header labels that name it in running text (a table the parser flattened).
HEADER_LABELS = ("本年制发件数", "现行有效件数")
TABLE2_KEYS = TABLE2_KEYS_2021
TABLE3_ROWS = [*T3_ROWS_2019, *OTHER_SPLIT, "result.total", "carried_forward"]


def extract(tables: list[LocatedTable], out: Collector) -> None:
    """Tables 二, 三 and 四 of a 2021-template report into ``out``."""
    extract_table2(tables, FIELDS_2021, out)
    rows = extract_table3(tables, out)
    extract_table4(tables, out)
    wanted = [r for r in TABLE3_ROWS if not (r in OTHER_SPLIT and "result.other" in rows)]
    expected = TABLE2_KEYS + [f"requests.{r}.{a}" for r in wanted for a in APPLICANTS]
    missing = [k for k in expected if not out.has(k)]
    if missing:
        out.warnings.append(
            f"2021 template: {len(missing)} expected cells not found, e.g. {', '.join(missing[:3])}"
        )
