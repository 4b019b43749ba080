"""Canned queries ready to chart, and their Vega-Lite specs.

Each chart query returns long-format rows (年度, 类别, 件数) with Chinese column names and
categories, narrowed by an agency or a region given in the form. On its page the
datasette-vega plugin (the ``serve`` extra) draws it: the query's description links to the
page with the chart settings in the URL fragment. ``/-/nianbao/charts/NAME.json`` serves the
same chart as a Vega-Lite spec whose data is the query's JSON (see nianbao/datasette_plugin.py).

>>> sorted(CHARTS)
['application_outcomes', 'requests_per_year', 'reviews_and_lawsuits']
>>> spec = vega_lite_spec("requests_per_year", "/nianbao", {"agency": "威海"})
>>> spec["data"]["url"]
'/nianbao/requests_per_year.json?_shape=array&agency=%E5%A8%81%E6%B5%B7&region='
>>> spec["encoding"]["x"]["field"], spec["encoding"]["color"]["field"]
('年度', '类别')
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from parsers.metrics.dictionary import OUTCOMES  # 申请办理结果 under the 2019 headings

YEAR, SERIES, COUNT = "年度", "类别", "件数"

# Narrowing shared by every chart: an agency name fragment and a region prefix (name or code).
_WHERE = (
    "r.is_report = 1\n"
    "  AND (:agency = '' OR r.agency LIKE '%' || :agency || '%')\n"
    "  AND (:region = '' OR r.region LIKE :region || '%' OR r.region_code LIKE :region || '%')"
)

# One value per report and key: a figure printed on the page and in the attachment counts once.
_FIGURES = "(SELECT report_id, key, max(value) AS value FROM metrics GROUP BY report_id, key)"


@dataclass(frozen=True)
class Chart:
    title: str
    description: str
    sql: str
    mark: str  # bar | line


def _series_sql(series: list[tuple[str, str]]) -> str:
    """Long-format rows from report_summary columns: (column, Chinese label) pairs."""
    selects = "\nUNION ALL\n".join(
        f"SELECT r.year AS {YEAR}, '{label}' AS {SERIES}, sum(s.{column}) AS {COUNT}\n"
        f"FROM report_summary s JOIN reports r ON r.id = s.report_id\nWHERE {_WHERE}\nGROUP BY r.year"
        for column, label in series
    )
    return f"SELECT * FROM (\n{selects}\n)\nWHERE {YEAR} IS NOT NULL\nORDER BY {YEAR}, {SERIES}"


def _outcomes_sql() -> str:
    values = ",\n    ".join(f"('{pattern}', '{label}')" for pattern, label in OUTCOMES)
    return (
        f"WITH outcome(pattern, label) AS (VALUES\n    {values}\n)\n"
        f"SELECT r.year AS {YEAR}, o.label AS {SERIES}, sum(m.value) AS {COUNT}\n"
        f"FROM {_FIGURES} m\n"
        "JOIN outcome o ON m.key GLOB o.pattern\n"
        "JOIN reports r ON r.id = m.report_id\n"
        f"WHERE {_WHERE} AND r.year IS NOT NULL\n"
        f"GROUP BY r.year, o.label\nORDER BY {YEAR}, {SERIES}"
    )


_NARROW = "Leave both fields empty for all reports; an agency (威海) or a region (山东省, 37) narrows it."

CHARTS: dict[str, Chart] = {
    "requests_per_year": Chart(
        "收到申请数 Requests received per year",
        "Information requests received (本年新收政府信息公开申请数量) and answered per year. " + _NARROW,
        _series_sql([("requests_received", "收到申请数"), ("requests_answered", "办结申请数")]),
        "line",
    ),
    "application_outcomes": Chart(
        "申请办理结果 Outcomes of applications per year",
        "How requests were answered (予以公开, 部分公开, 不予公开, 无法提供, 不予处理, 其他处理), "
        "legacy reports mapped to the 2019 headings. " + _NARROW,
        _outcomes_sql(),
        "bar",
    ),
    "reviews_and_lawsuits": Chart(
        "行政复议和行政诉讼 Reviews and lawsuits per year",
        "Administrative reviews (行政复议) and lawsuits (行政诉讼) about disclosure, per year. " + _NARROW,
        _series_sql([("reviews", "行政复议"), ("lawsuits", "行政诉讼")]),
        "bar",
    ),
}


def chart_fragment(chart: Chart) -> str:
    """datasette-vega's settings in a URL fragment: which mark and columns to draw."""
    state = {
        "g.mark": chart.mark,
        "g.x_column": YEAR,
        "g.x_type": "ordinal",
        "g.y_column": COUNT,
        "g.y_type": "quantitative",
        "g.color_column": SERIES,
    }
    return "#" + "&".join(f"{k}={quote(v)}" for k, v in state.items())


def chart_queries() -> dict[str, dict[str, Any]]:
    """Datasette canned queries for the charts, each linking to its chart."""
    return {
        name: {
            "title": chart.title,
            "description_html": (
                f'{chart.description} <a href="?agency=&region={chart_fragment(chart)}">Show the chart</a>'
                f' · <a href="/-/nianbao/charts/{name}.json">Vega-Lite spec</a>'
            ),
            "sql": chart.sql,
        }
        for name, chart in CHARTS.items()
    }


def vega_lite_spec(name: str, database_path: str, params: dict[str, str]) -> dict[str, Any]:
    """A Vega-Lite v5 spec drawing chart ``name`` from its canned query's JSON."""
    chart = CHARTS[name]
    query = urlencode(
        {"_shape": "array", "agency": params.get("agency", ""), "region": params.get("region", "")}
    )
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "title": chart.title,
        "data": {"url": f"{database_path}/{name}.json?{query}"},
        "mark": {"type": chart.mark, "point": chart.mark == "line", "tooltip": True},
        "encoding": {
            "x": {"field": YEAR, "type": "ordinal", "title": YEAR},
            "y": {"field": COUNT, "type": "quantitative", "title": COUNT},
            "color": {"field": SERIES, "type": "nominal", "title": SERIES},
            **({"xOffset": {"field": SERIES}} if chart.mark == "bar" else {}),
        },
    }
