"""Datasette plugin for the nianbao archive.

* ``prepare_connection``: the SQL functions the search canned query uses —
  ``nianbao_fts_query(q)`` (a user's query as an FTS5 MATCH expression over the bigram
  index), ``nianbao_snippet(text, q)`` and ``nianbao_segment(text)``; see archive/fts.py.
* ``render_cell``: snippet marks become ``<mark>``; a ``report_id`` in a query result or
  in the ``report_summary`` view links to its report (tables link through their foreign
  keys already).

``nianbao serve`` registers it; plain ``datasette`` loads it once the package declares the
``datasette`` entry point (``nianbao = "nianbao.datasette_plugin"``).
"""

from __future__ import annotations

from typing import Any

from datasette import hookimpl
from datasette.utils import tilde_encode
from markupsafe import Markup, escape

from archive.fts import MARK_END, MARK_START, register_functions

REPORT_LINK_SOURCES = (None, "report_summary")  # query results (no table) and the view


@hookimpl
def prepare_connection(conn: Any) -> None:
    register_functions(conn)


@hookimpl
def render_cell(value: Any, column: str, table: str | None, database: str, datasette: Any) -> Any:
    if column == "snippet" and isinstance(value, str) and MARK_START in value:
        return _marked(value)
    if column == "report_id" and isinstance(value, str) and value and table in REPORT_LINK_SOURCES:
        href = datasette.urls.row(database, "reports", tilde_encode(value))
        return Markup(f'<a href="{escape(href)}">{escape(value)}</a>')
    return None


def _marked(value: str) -> Markup:
    """Escape the text, then turn the snippet's marks into ``<mark>`` elements.

    >>> str(_marked("未发生⟪复议⟫<b>"))
    '未发生<mark>复议</mark>&lt;b&gt;'
    """
    html = str(escape(value))
    return Markup(html.replace(MARK_START, "<mark>").replace(MARK_END, "</mark>"))
