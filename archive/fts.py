"""Chinese full-text search over report titles and texts, on the stock SQLite 3.40.

FTS5's ``trigram`` tokenizer cannot find two-character terms (公开, 复议) on 3.40, and
``LIKE`` on a trigram table returns nothing there either. So the index holds the text
*pre-segmented*: every run of CJK characters becomes its overlapping character bigrams
plus its last character alone, and the standard ``unicode61`` tokenizer indexes those
space-separated pieces. A query is segmented the same way and becomes an FTS5 phrase of
its bigrams, so any term of two or more characters is found wherever it occurs, and
results rank with bm25 like any FTS5 search.

>>> segment("信息公开")
'信息 息公 公开 开'
>>> segment("２０１９年度报告（PDF）")
'2019 年度 度报 报告 告 PDF'
>>> match_query("行政复议")
'"行政 政复 复议"'
>>> match_query("公开  2019年")
'"公开" AND "2019 年" *'
>>> match_query("。，")
'""'

Tables (migrations 3 and 5): ``reports_fts`` is an FTS5 index with ``content="reports"``
(the names datasette's ``?_search=`` and ``sqlite-utils search DB reports`` look for; its
rowid is the report's rowid) holding only tokens: the segmented text, about twice the size
of the text, is never stored. Datasette's ``escape_fts`` is replaced by :func:`match_query`
in the datasette plugin, so ``?_search=行政复议`` works; plain ``sqlite-utils search`` passes
the query as it is, which finds two-character terms (公开) and space-separated bigrams.
``report_search_docs`` records what each index row was made from (report, title, text),
because the index forgets a row only when given the same tokens again, and
``report_texts`` may already hold the new text; ``report_search_queue`` collects the ids of
reports whose title or text changed, filled by triggers on ``reports`` and
``report_texts``, so every writer (parse, reparse, delete, plain SQL) is caught.
:func:`refresh_search_index` re-indexes the queued reports.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterator

import sqlite_utils

SEGMENTER_VERSION = 1  # bump when segment() changes: refresh then re-indexes every report
MARK_START, MARK_END = "⟪", "⟫"  # around matches in snippets; the plugin turns them into <mark>

_CJK = "\u3005\u3007\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\U00020000-\U0003134f"
_PIECE = re.compile(rf"(?P<cjk>[{_CJK}]+)|(?P<word>(?:(?![{_CJK}])[^\W_])+)")
_BATCH = 200


# -- segmentation -------------------------------------------------------------------------
def _pieces(text: str) -> Iterator[tuple[bool, str]]:
    """(is_cjk, run) for each run of CJK characters or of other letters/digits, in order."""
    for m in _PIECE.finditer(unicodedata.normalize("NFKC", text)):
        yield (m.group("cjk") is not None, m.group(0))


def _bigrams(run: str) -> list[str]:
    return [run[i : i + 2] for i in range(len(run) - 1)]


def segment(text: str | None) -> str:
    """The indexed form of a text: CJK runs as bigrams plus their last character (so a
    single-character search and a term ending where the run ends still match), other
    words as they are."""
    if not text:
        return ""
    out: list[str] = []
    for is_cjk, run in _pieces(text):
        out.extend([*_bigrams(run), run[-1]] if is_cjk else [run])
    return " ".join(out)


def _term_phrase(term: str) -> str | None:
    """One whitespace-free query term as an FTS5 phrase (None if it has no letters).

    Where the term ends the document's run may go on, so a final CJK run gives only its
    bigrams (no trailing single character); a final single character becomes a prefix."""
    pieces = list(_pieces(term))
    tokens: list[str] = []
    prefix = False
    for i, (is_cjk, run) in enumerate(pieces):
        last = i == len(pieces) - 1
        if not is_cjk:
            tokens.append(run)
        elif not last:
            tokens.extend([*_bigrams(run), run[-1]])
        elif len(run) > 1:
            tokens.extend(_bigrams(run))
        else:
            tokens.append(run)
            prefix = True
    if not tokens:
        return None
    return '"' + " ".join(tokens) + '"' + (" *" if prefix else "")


def match_query(query: str | None) -> str:
    """An FTS5 MATCH expression for a user's query: whitespace-separated terms, all
    required, each matched as a phrase. A query with no letters matches nothing."""
    phrases = [p for p in (_term_phrase(t) for t in (query or "").split()) if p]
    return " AND ".join(phrases) if phrases else '""'


# -- snippets -----------------------------------------------------------------------------
def snippet(text: str | None, query: str | None, width: int = 40) -> str:
    """A window of ``text`` (whitespace collapsed) around the first match of ``query``,
    matches between ``⟪`` and ``⟫``; the start of the text when only the title matched.

    >>> snippet("本年度未发生行政复议案件。", "复议", width=4)
    '…发生行政⟪复议⟫案件。'
    """
    if not text:
        return ""
    flat = " ".join(text.split())
    lowered = unicodedata.normalize("NFKC", flat).lower()
    if len(lowered) != len(flat):  # normalizing changed lengths: show the normalized text
        flat = lowered
    needles = sorted(_needles(query, lowered), key=len, reverse=True)
    hits = [i for i in (lowered.find(n) for n in needles) if i >= 0]
    start = max(0, min(hits) - width) if hits else 0
    end = min(len(flat), start + 2 * width + max(map(len, needles), default=0))
    window = _mark(flat[start:end], lowered[start:end], needles)
    return ("…" if start > 0 else "") + window + ("…" if end < len(flat) else "")


def _needles(query: str | None, lowered: str) -> set[str]:
    """What to mark: each query term as written if the text has it, else its pieces
    (of two or more characters, unless the term is a single character)."""
    needles: set[str] = set()
    for term in (query or "").split():
        term = unicodedata.normalize("NFKC", term).lower()
        if term in lowered:
            needles.add(term)
            continue
        pieces = [run for _, run in _pieces(term)]
        needles.update(p for p in pieces if len(p) > 1 or len(pieces) == 1)
    return needles


def _mark(window: str, lowered: str, needles: list[str]) -> str:
    """Mark in ``window`` where any needle (longest first: they come sorted) occurs in
    ``lowered``, its normalized twin of the same length.

    >>> _mark("２０１９年", "2019年", ["2019"])
    '⟪２０１９⟫年'
    """
    if not needles:
        return window
    pattern = re.compile("|".join(re.escape(n) for n in needles))
    out, pos = [], 0
    for m in pattern.finditer(lowered):
        out += [window[pos : m.start()], MARK_START, window[m.start() : m.end()], MARK_END]
        pos = m.end()
    return "".join([*out, window[pos:]])


# -- keeping the index in step ------------------------------------------------------------
def refresh_search_index(db: sqlite_utils.Database, *, full: bool = False) -> int:
    """Bring the index in step with ``reports``/``report_texts``: re-index the reports
    queued by the triggers (every report with ``full``, after a segmenter change, or when
    reports' rowids moved, as VACUUM may do). Returns how many reports were (re)indexed or
    dropped. Cheap when nothing changed; call it after parsing. One transaction: the index
    is never half-refreshed."""
    conn = db.conn
    conn.execute("BEGIN IMMEDIATE")
    try:
        if full or _stale_version(db) or _rowids_moved(db):
            _clear_index(db)
        # Every old entry goes before any new one comes: a reparsed report's new rowid may
        # be the rowid another queued report was indexed under. The first pass leaves in the
        # queue only the reports to index anew, the second indexes them; both read the queue
        # _BATCH ids at a time, so memory does not grow with the number of reports.
        indexed = dropped = 0
        for ids in _queued(db):
            to_index, batch_dropped = _unindex_changed(db, ids)
            indexed += len(to_index)
            dropped += batch_dropped
            _dequeue(db, sorted(set(ids) - set(to_index)))
        for ids in _queued(db):
            _index_batch(db, ids)
        conn.execute("DELETE FROM report_search_queue")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return indexed + dropped


def _queued(db: sqlite_utils.Database) -> Iterator[list[str]]:
    """The queue's report ids, _BATCH at a time, in queue order (rows may be dequeued meanwhile)."""
    after = 0
    sql = f"SELECT rowid, report_id FROM report_search_queue WHERE rowid > ? ORDER BY rowid LIMIT {_BATCH}"
    while rows := db.execute(sql, [after]).fetchall():
        yield [report_id for _, report_id in rows]
        after = rows[-1][0]


def _dequeue(db: sqlite_utils.Database, ids: list[str]) -> None:
    db.execute(
        "DELETE FROM report_search_queue WHERE report_id IN (SELECT value FROM json_each(?))",
        [json.dumps(ids)],
    )


def _stale_version(db: sqlite_utils.Database) -> bool:
    row = db.execute(
        "SELECT 1 FROM report_search_docs WHERE version != ? LIMIT 1", [SEGMENTER_VERSION]
    ).fetchone()
    return row is not None


def _rowids_moved(db: sqlite_utils.Database) -> bool:
    row = db.execute(
        "SELECT 1 FROM report_search_docs d JOIN reports r ON r.id = d.report_id "
        "WHERE r.rowid != d.id LIMIT 1"
    ).fetchone()
    return row is not None


def _clear_index(db: sqlite_utils.Database) -> None:
    """Empty the index and queue every report: the index can only forget a row given the
    very tokens it was fed, which an older segmenter may not reproduce."""
    db.execute("INSERT INTO reports_fts (reports_fts) VALUES ('delete-all')")
    db.execute("DELETE FROM report_search_docs")
    db.execute("INSERT OR IGNORE INTO report_search_queue (report_id) SELECT id FROM reports")


def _current(db: sqlite_utils.Database, ids: list[str]) -> dict[str, tuple[int, str | None, str]]:
    """rowid, title and text of the reports among ``ids`` that have a text."""
    marks = ", ".join("?" for _ in ids)
    rows = db.execute(
        "SELECT r.id, r.rowid, r.title, t.text FROM reports r JOIN report_texts t ON t.report_id = r.id "
        f"WHERE r.id IN ({marks})",
        ids,
    )
    return {row[0]: tuple(row[1:]) for row in rows}  # type: ignore[misc]


def _unindex_changed(db: sqlite_utils.Database, ids: list[str]) -> tuple[list[str], int]:
    """Drop the entries of the reports whose rowid, title or text changed (or that are
    gone); return the ids to index anew and how many were dropped for good."""
    marks = ", ".join("?" for _ in ids)
    indexed = {
        row[1]: row
        for row in db.execute(
            f"SELECT id, report_id, title, text FROM report_search_docs WHERE report_id IN ({marks})", ids
        )
    }
    current = _current(db, ids)
    to_index, dropped = [], 0
    for rid in ids:
        old, new = indexed.get(rid), current.get(rid)
        if old and new and (old[0], *old[2:]) == new:
            continue  # reparsed to the same title and text: nothing to do
        if old:
            _unindex(db, *old)
            dropped += not new
        if new:
            to_index.append(rid)
    return to_index, dropped


def _index_batch(db: sqlite_utils.Database, ids: list[str]) -> None:
    for rid, (rowid, title, text) in _current(db, ids).items():
        _index(db, rid, rowid, title, text)


def _unindex(db: sqlite_utils.Database, doc_id: int, report_id: str, title: str | None, text: str) -> None:
    db.execute(
        "INSERT INTO reports_fts (reports_fts, rowid, title, text) VALUES ('delete', ?, ?, ?)",
        [doc_id, segment(title), segment(text)],
    )
    db.execute("DELETE FROM report_search_docs WHERE id = ?", [doc_id])


def _index(db: sqlite_utils.Database, report_id: str, rowid: int, title: str | None, text: str) -> None:
    db.execute(
        "INSERT INTO report_search_docs (id, report_id, version, title, text) VALUES (?, ?, ?, ?, ?)",
        [rowid, report_id, SEGMENTER_VERSION, title, text],
    )
    db.execute(
        "INSERT INTO reports_fts (rowid, title, text) VALUES (?, ?, ?)",
        [rowid, segment(title), segment(text)],
    )


# -- searching from Python ----------------------------------------------------------------
SEARCH_SQL = """
WITH hits AS (
    SELECT rowid, rank FROM reports_fts
    WHERE reports_fts MATCH nianbao_fts_query(:q)
    ORDER BY rank LIMIT :limit
)
SELECT r.id AS report_id, r.title, r.agency, r.region, r.year, r.era, r.site,
       nianbao_snippet(d.text, :q) AS snippet, hits.rank
FROM hits
JOIN reports r ON r.rowid = hits.rowid
JOIN report_search_docs d ON d.report_id = r.id
ORDER BY hits.rank
"""


def register_functions(conn: object) -> None:
    """Register ``nianbao_fts_query(q)``, ``nianbao_snippet(text, q)`` and
    ``nianbao_segment(text)`` on a sqlite3 connection (the datasette plugin does the same)."""
    conn.create_function("nianbao_fts_query", 1, match_query, deterministic=True)  # type: ignore[attr-defined]
    conn.create_function("nianbao_snippet", 2, snippet, deterministic=True)  # type: ignore[attr-defined]
    conn.create_function("nianbao_segment", 1, segment, deterministic=True)  # type: ignore[attr-defined]


def search(db: sqlite_utils.Database, query: str, limit: int = 20) -> list[dict[str, object]]:
    """Reports matching ``query``, best (lowest bm25 rank) first.

    >>> from archive.db import open_db
    >>> db = open_db(":memory:")
    >>> _ = db.execute("INSERT INTO reports (id, title, url, parser, parser_version) "
    ...                "VALUES ('r1', '2019年报告', 'http://x/1', 'p', '1')")
    >>> _ = db.execute("INSERT INTO report_texts VALUES ('r1', '未发生行政复议案件。')")
    >>> refresh_search_index(db)
    1
    >>> [(h["report_id"], h["snippet"]) for h in search(db, "复议")]
    [('r1', '未发生行政⟪复议⟫案件。')]
    """
    register_functions(db.conn)
    rows = db.execute(SEARCH_SQL, {"q": query, "limit": limit})
    columns = [c[0] for c in rows.description]
    return [dict(zip(columns, row, strict=True)) for row in rows.fetchall()]
