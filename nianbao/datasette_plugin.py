"""Datasette plugin for the nianbao archive.

* ``prepare_connection``: the SQL functions the search canned query uses —
  ``nianbao_fts_query(q)`` (a user's query as an FTS5 MATCH expression over the bigram
  index), ``nianbao_snippet(text, q)`` and ``nianbao_segment(text)``; see archive/fts.py.
  It also replaces datasette's ``escape_fts`` with archive.fts.match_query, so ``?_search=``
  on ``reports`` (its ``fts_table`` is the bigram index ``reports_fts``) finds 公开 and 行政复议.
* ``render_cell``: snippet marks become ``<mark>``; a ``report_id`` in a query result or
  in the ``report_summary`` view links to its report (tables link through their foreign
  keys already); a ``sha256`` links to the archived bytes as well; a metric ``key`` shows
  its Chinese label when the metric dictionary (``metric_keys``) is loaded.
* ``register_routes``: ``/-/nianbao/files/<sha256>`` serves an archived file with its
  content type and original file name (only 64-hex names: nothing else can be reached);
  ``/-/nianbao/charts/<name>.json`` a chart's Vega-Lite spec (nianbao/charts.py);
  ``/-/nianbao-health.json`` the health report of nianbao/health.py.
* ``extra_body_script``: the column descriptions fold away under one line.

``nianbao serve`` registers it; plain ``datasette`` loads it once the package declares the
``datasette`` entry point (``nianbao = "nianbao.datasette_plugin"``).
"""

from __future__ import annotations

import json
import mimetypes
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote

import sqlite_utils
from datasette import hookimpl
from datasette.utils import tilde_encode
from datasette.utils.asgi import AsgiFileDownload, NotFound, Response
from markupsafe import Markup, escape

from archive.fts import MARK_END, MARK_START, match_query, register_functions
from nianbao.charts import CHARTS, vega_lite_spec
from nianbao.health import health

REPORT_LINK_SOURCES = (None, "report_summary")  # query results (no table) and the view
DATABASE = "nianbao"
FILES_ROUTE = "/-/nianbao/files/"
SHA256 = re.compile(r"[0-9a-f]{64}")


@hookimpl(trylast=True)  # after datasette's own, so our escape_fts is the one registered
def prepare_connection(conn: Any) -> None:
    register_functions(conn)
    conn.create_function("escape_fts", 1, match_query, deterministic=True)


# -- routes -------------------------------------------------------------------------------
@hookimpl
def register_routes() -> list[tuple[str, Any]]:
    return [
        (r"^/-/nianbao/files/(?P<sha256>[0-9a-f]{64})$", archived_file),
        (r"^/-/nianbao/charts/(?P<name>[a-z_]+)\.json$", chart_spec),
        (r"^/-/nianbao-health\.json$", health_page),
    ]


def _database(datasette: Any) -> Any:
    try:
        return datasette.get_database(DATABASE)
    except KeyError:
        raise NotFound(f"no {DATABASE} database") from None


def file_name(conn: Any, sha256: str) -> tuple[str, str | None]:
    """The name the file was published under (Content-Disposition or URL) and its media
    type as sniffed from the bytes; the sha256 with a guessed extension if no name is known."""
    row = conn.execute(
        "SELECT f.media_type, (SELECT coalesce(nullif(x.filename, ''), x.final_url, x.url) FROM fetches x "
        "WHERE x.sha256 = f.sha256 ORDER BY x.filename IS NULL, x.id DESC LIMIT 1) "
        "FROM files f WHERE f.sha256 = ?",
        [sha256],
    ).fetchone()
    if row is None:
        raise NotFound("no such file in the archive")
    media_type, name = row[0], row[1] or ""
    name = name.split("?")[0].rstrip("/").rsplit("/", 1)[-1] if "/" in name else name
    if not name:
        name = sha256 + (mimetypes.guess_extension(media_type or "") or "")
    return name, media_type


def content_disposition(name: str) -> str:
    """An ``attachment`` header with an ASCII fallback and the UTF-8 name (RFC 6266/5987).

    >>> print(content_disposition("2019年报告.pdf"))
    attachment; filename="2019.pdf"; filename*=UTF-8''2019%E5%B9%B4%E6%8A%A5%E5%91%8A.pdf
    """
    fallback = re.sub(r"[^A-Za-z0-9._-]", "", name) or "file"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


async def archived_file(datasette: Any, request: Any) -> Any:
    sha256 = request.url_vars["sha256"]
    if not SHA256.fullmatch(sha256):  # the route's pattern already says so; never build a path otherwise
        raise NotFound("not a sha256")
    db = _database(datasette)
    name, media_type = await db.execute_fn(lambda conn: file_name(conn, sha256))
    path = Path(db.path).parent / "objects" / sha256[:2] / sha256[2:4] / sha256
    if not path.is_file():
        raise NotFound("the file is recorded but its bytes are missing (run nianbao verify)")
    # Archived pages are someone else's HTML and scripts: never run them on this origin.
    headers = {
        "content-disposition": content_disposition(name),
        "x-content-type-options": "nosniff",
        "content-security-policy": "sandbox",
    }
    return AsgiFileDownload(path, content_type=media_type or "application/octet-stream", headers=headers)


async def chart_spec(datasette: Any, request: Any) -> Response:
    name = request.url_vars["name"]
    if name not in CHARTS:
        raise NotFound(f"no chart {name}")
    params = {k: request.args.get(k, "") for k in ("agency", "region")}
    spec = vega_lite_spec(name, datasette.urls.database(DATABASE), params)
    return Response.json(spec)


async def health_page(datasette: Any) -> Response:
    db = _database(datasette)
    report = await db.execute_fn(lambda conn: health(sqlite_utils.Database(conn)))
    return Response(json.dumps(report, ensure_ascii=False), content_type="application/json; charset=utf-8")


# -- page tweaks --------------------------------------------------------------------------
_FOLD_DESCRIPTIONS = """
document.querySelectorAll("dl.column-descriptions").forEach(function (dl) {
  var details = document.createElement("details");
  var summary = document.createElement("summary");
  summary.textContent = "Column descriptions (" + dl.querySelectorAll("dt").length + ")";
  details.appendChild(summary);
  dl.parentNode.insertBefore(details, dl);
  details.appendChild(dl);
});
"""


@hookimpl
def extra_body_script() -> str:
    return _FOLD_DESCRIPTIONS


@hookimpl
def render_cell(value: Any, column: str, table: str | None, database: str, datasette: Any) -> Any:
    expanded = isinstance(value, dict)  # a foreign key datasette expanded to {"value", "label"}
    if expanded:
        value = value.get("value")
    if column == "snippet" and isinstance(value, str) and MARK_START in value:
        return _marked(value)
    if column == "report_id" and isinstance(value, str) and value and table in REPORT_LINK_SOURCES:
        href = datasette.urls.row(database, "reports", tilde_encode(value))
        return Markup(f'<a href="{escape(href)}">{escape(value)}</a>')
    if column == "sha256" and isinstance(value, str) and SHA256.fullmatch(value):
        return _file_links(value, database, datasette)
    if column == "key" and table in ("metrics", None) and isinstance(value, str) and not expanded:
        # (an expanded metrics.key → metric_keys already shows the label, as a link)
        label = (datasette.plugin_config("nianbao") or {}).get("metric_labels", {}).get(value)
        if label:
            return Markup(f'{escape(label)} <code class="metric-key">{escape(value)}</code>')
    return None


def _file_links(sha256: str, database: str, datasette: Any) -> Markup:
    """The file's row and a download of its archived bytes."""
    row = datasette.urls.row(database, "files", sha256)
    return Markup(
        f'<a href="{escape(row)}">{sha256[:12]}…</a> '
        f'<a class="nianbao-download" href="{FILES_ROUTE}{sha256}" title="the archived bytes">⬇ file</a>'
    )


def _marked(value: str) -> Markup:
    """Escape the text, then turn the snippet's marks into ``<mark>`` elements.

    >>> str(_marked("未发生⟪复议⟫<b>"))
    '未发生<mark>复议</mark>&lt;b&gt;'
    """
    html = str(escape(value))
    return Markup(html.replace(MARK_START, "<mark>").replace(MARK_END, "</mark>"))
