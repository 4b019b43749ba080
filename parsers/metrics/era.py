"""Which report template a document follows: ``legacy``, ``2019``, ``2021`` or ``prose``.

The tables decide first, by the labels only one template prints:

- a template (``parsers/metrics/templates.py``, newest first) by its ``SIGNS``: 2021's table 二
  has 本年制发件数 / 本年废止件数 / 现行有效件数 / 本年收费金额, or its table 三 splits
  （六）其他处理 into 逾期不补正 / 缴纳费用 / 其他; 2019's table 二 has 本年新制作数量 /
  本年新公开数量 / 上一年项目数量 / 采购项目数量;
- legacy: a 统计指标 / 单位 / 统计数 table (or its Fujian 指标名称 / 计量单位 variant);
- tables 三/四 with none of the above: the report year decides (2021+ → 2021, else 2019).

With no statistics table at all, the same labels in the text (a table the parser flattened)
still name the template; otherwise the report is ``prose``.

>>> from parsers.document import Document, Block
>>> detect_era(Document("html", [Block("2017年，全年共收到依申请信息公开5条。")]))
'prose'
>>> report_year(Document("html", [Block("聊城市政务服务中心"), Block("2017年度政府信息公开工作年度报告")]))
2017
"""

from __future__ import annotations

import re

from parsers.document import Document
from parsers.metrics.active import is_table2
from parsers.metrics.legacy import is_legacy_table
from parsers.metrics.model import Era
from parsers.metrics.requests import is_table3, is_table4
from parsers.metrics.tables import document_tables, grid_text, norm_label
from parsers.metrics.templates import TEMPLATES, template_for_year

_SIGNS_LEGACY = re.compile(r"统计指标|指标名称.*计量单位|收到申请数|申请答复数|主动公开政府信息数")
# Whole header labels of a statistics table, to tell one flattened into running text: each
# template's own, the 2019 and 2021 tables' 三, the legacy table's.
_SHARED_HEADER_LABELS = ("本年新收政府信息公开申请数量", "统计指标", "收到申请数")
_HEADER_LABELS = re.compile(
    "|".join([*(label for t in TEMPLATES for label in t.HEADER_LABELS), *_SHARED_HEADER_LABELS])
)
_TITLE_YEAR = re.compile(
    r"((?:19|20)\d\d)\s*年\s*度?[^。\n]{0,30}?(?:政府信息公开|政务公开|信息公开)"
    r"[^。\n]{0,15}?(?:年度)?报告"
)


def report_year(doc: Document) -> int | None:
    """The year the report covers, from its title or first lines ("2017年度…工作年度报告")."""
    heads = [doc.title or ""] + [b.text for b in doc.blocks[:8]]
    text = norm_label("".join(heads))
    m = _TITLE_YEAR.search(text)
    if m:
        return int(m.group(1))
    m = re.search(r"统计期限自\s*((?:19|20)\d\d)\s*年", norm_label(doc.text[:3000]))
    return int(m.group(1)) if m else None


def _era_from_text(text: str, year: int | None) -> Era | None:
    for template in TEMPLATES:
        if template.SIGNS.search(text):
            return template.ERA
    if re.search(r"新收.*上年结转", text) and re.search(r"自然人", text):
        return template_for_year(year).ERA
    if _SIGNS_LEGACY.search(text):
        return "legacy"
    return None


def _era_from_prose(text: str, year: int | None) -> Era | None:
    """Flattened-table labels in running text: only whole header labels count here."""
    table_labels = _HEADER_LABELS.findall(text)
    if len(table_labels) < 2:
        return None
    return _era_from_text("|".join(table_labels) + ("|自然人" if "自然人" in text else ""), year)


def detect_era(doc: Document) -> Era:
    """The template era of ``doc`` (see the module docstring)."""
    year = report_year(doc)
    stats = [
        lt.grid
        for lt in document_tables(doc)
        if lt.grid
        and (is_table2(lt.grid) or is_table3(lt.grid) or is_table4(lt.grid) or is_legacy_table(lt.grid))
    ]
    if stats:
        text = "|".join(grid_text(g) for g in stats)
        era = _era_from_text(text, year)
        if era:
            return era
        if any(is_legacy_table(g) for g in stats):
            return "legacy"
        return template_for_year(year).ERA
    return _era_from_prose(norm_label(doc.text), year) or "prose"
