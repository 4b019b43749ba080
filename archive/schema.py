"""The database schema, as explicit numbered migrations.

Each migration runs once, in order, inside a transaction, and is recorded in
``schema_migrations``. Never edit a released migration: add the next one.

Tables fall in two groups:

* **archive** (written by crawls, never by parsers): ``crawl_runs``, ``sites``,
  ``site_runs``, ``files``, ``fetches``, ``problems``;
* **derived** (rebuilt by ``nianbao reparse``): ``documents``, ``reports``,
  ``report_files``, ``report_texts``, ``metrics``, ``checks``.
"""

from __future__ import annotations

DERIVED_TABLES = ("checks", "metrics", "report_texts", "report_files", "reports", "documents")

_V1 = """
CREATE TABLE crawl_runs (
    id INTEGER PRIMARY KEY,
    command TEXT NOT NULL,              -- crawl | reparse
    mode TEXT,                          -- live | record | replay
    started_at TEXT NOT NULL,           -- ISO 8601 UTC
    finished_at TEXT,
    status TEXT NOT NULL,               -- running | ok | problems | failed
    exit_code INTEGER,
    sites TEXT,                         -- JSON list of site names
    user_agent TEXT,
    nianbao_version TEXT,
    stats TEXT                          -- JSON
);

CREATE TABLE sites (
    name TEXT PRIMARY KEY,
    agency TEXT,
    region TEXT,
    start_urls TEXT,                    -- JSON list
    status TEXT,                        -- ok | problems | blocked | failed
    blocked_vendor TEXT,
    last_run_id INTEGER REFERENCES crawl_runs(id)
);

CREATE TABLE site_runs (
    run_id INTEGER NOT NULL REFERENCES crawl_runs(id),
    site TEXT NOT NULL REFERENCES sites(name),
    status TEXT NOT NULL,
    pages INTEGER NOT NULL DEFAULT 0,   -- fetches of HTML pages
    files INTEGER NOT NULL DEFAULT 0,   -- fetches of attachments
    new_objects INTEGER NOT NULL DEFAULT 0,
    report_pages INTEGER NOT NULL DEFAULT 0,
    failed INTEGER NOT NULL DEFAULT 0,
    blocked_vendor TEXT,
    PRIMARY KEY (run_id, site)
);

CREATE TABLE files (
    sha256 TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    media_type TEXT,                    -- sniffed from the bytes where a parser knows them
    path TEXT NOT NULL,                 -- relative to the data dir
    first_seen_at TEXT NOT NULL
);

CREATE TABLE fetches (
    id INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL REFERENCES crawl_runs(id),
    site TEXT,
    url TEXT NOT NULL,                  -- as requested (before redirects)
    final_url TEXT,                     -- after redirects
    redirects TEXT,                     -- JSON list of intermediate URLs
    method TEXT NOT NULL DEFAULT 'GET',
    status INTEGER,
    headers TEXT,                       -- JSON object of response headers
    fetched_at TEXT NOT NULL,
    duration_ms INTEGER,
    referer TEXT,                       -- the page the link was found on
    link_text TEXT,
    role TEXT,                          -- home | section | listing | report | attachment | page | robots
    filename TEXT,                      -- attachment name from Content-Disposition or the URL
    size INTEGER,
    sha256 TEXT REFERENCES files(sha256)
);
CREATE INDEX fetches_url ON fetches(url);
CREATE INDEX fetches_sha256 ON fetches(sha256);
CREATE INDEX fetches_run ON fetches(run_id);

CREATE TABLE problems (
    id INTEGER PRIMARY KEY,
    run_id INTEGER REFERENCES crawl_runs(id),
    site TEXT,
    url TEXT,
    sha256 TEXT,
    stage TEXT NOT NULL,                -- fetch | blocked | crawl | parse … (notes: note, robots)
    message TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX problems_run ON problems(run_id);

CREATE TABLE documents (
    sha256 TEXT PRIMARY KEY REFERENCES files(sha256),
    format TEXT,
    method TEXT,                        -- markup | text-layer | ocr | conversion
    page_count INTEGER,
    title TEXT,
    tables INTEGER,
    meta TEXT,                          -- JSON
    chars INTEGER,
    parser TEXT NOT NULL,
    parser_version TEXT NOT NULL,
    error TEXT
);

CREATE TABLE reports (
    id TEXT PRIMARY KEY,                -- stable: derived from the report's URL
    title TEXT,
    agency TEXT,
    region TEXT,
    region_code TEXT,
    year INTEGER,                       -- the year reported on
    published TEXT,                     -- ISO date
    era TEXT,                           -- legacy | 2019 | 2021 | prose
    doc_number TEXT,                    -- 文号
    site TEXT REFERENCES sites(name),
    url TEXT NOT NULL,
    fetch_id INTEGER REFERENCES fetches(id),
    sha256 TEXT REFERENCES files(sha256),  -- the file the figures and text come from
    parser TEXT NOT NULL,
    parser_version TEXT NOT NULL
);
CREATE INDEX reports_site_year ON reports(site, year);

CREATE TABLE report_files (
    report_id TEXT NOT NULL REFERENCES reports(id),
    sha256 TEXT NOT NULL REFERENCES files(sha256),
    fetch_id INTEGER REFERENCES fetches(id),
    role TEXT NOT NULL,                 -- page | attachment
    name TEXT,
    PRIMARY KEY (report_id, sha256)
);

CREATE TABLE report_texts (
    report_id TEXT PRIMARY KEY REFERENCES reports(id),
    text TEXT NOT NULL
);

CREATE TABLE metrics (
    id INTEGER PRIMARY KEY,
    report_id TEXT NOT NULL REFERENCES reports(id),
    key TEXT NOT NULL,
    value REAL,                         -- NULL for a blank cell
    raw TEXT,
    unit TEXT,
    confidence TEXT,                    -- high (a table cell) | low (a figure in prose)
    sha256 TEXT REFERENCES files(sha256),
    fetch_id INTEGER REFERENCES fetches(id),
    page INTEGER,
    table_index INTEGER,
    row INTEGER,
    col INTEGER
);
CREATE INDEX metrics_report ON metrics(report_id);
CREATE INDEX metrics_key ON metrics(key);

CREATE TABLE checks (
    id INTEGER PRIMARY KEY,
    report_id TEXT NOT NULL REFERENCES reports(id),
    rule TEXT NOT NULL,
    expected REAL,
    found REAL,
    passed INTEGER,                     -- 1, 0, or NULL when not applicable
    detail TEXT
);
CREATE INDEX checks_report ON checks(report_id);
"""

# Incremental crawls and per-site health: what each run found new, changed, gone.
_V2 = """
ALTER TABLE site_runs ADD COLUMN new_items INTEGER NOT NULL DEFAULT 0;
ALTER TABLE site_runs ADD COLUMN changed_items INTEGER NOT NULL DEFAULT 0;
ALTER TABLE site_runs ADD COLUMN unchanged_items INTEGER NOT NULL DEFAULT 0;
ALTER TABLE site_runs ADD COLUMN removed_items INTEGER NOT NULL DEFAULT 0;
ALTER TABLE site_runs ADD COLUMN bytes INTEGER NOT NULL DEFAULT 0;
ALTER TABLE site_runs ADD COLUMN note TEXT;
CREATE INDEX fetches_site_role ON fetches(site, role);
"""


def _metric(key: str) -> str:
    """The value of one metric of report ``r`` (a table cell wins over prose; NULL if blank)."""
    return (
        "(SELECT m.value FROM metrics m WHERE m.report_id = r.id AND m.key = '" + key + "' "
        "ORDER BY m.confidence IN ('high', 'table') DESC, m.id LIMIT 1)"
    )


# Migrations 3 and 4 both create this view (4 with more columns, reports only): never edit it.
_SUMMARY = f"""
-- One row per report: headline figures comparable across eras.
CREATE VIEW report_summary AS
SELECT
    id AS report_id, title, agency, region, year, published, era,
    coalesce(new_total, legacy_received) AS requests_received,
    coalesce(result_total, legacy_answered) AS requests_answered,
    coalesce(review_total, legacy_review) AS reviews,
    CASE WHEN lit_direct IS NULL AND lit_after IS NULL THEN legacy_litigation
         ELSE coalesce(lit_direct, 0) + coalesce(lit_after, 0) END AS lawsuits,
    legacy_active AS items_published,
    checks_failed, checks, metrics, site, url
FROM (
    SELECT r.*,
        {_metric("requests.new.total")} AS new_total,
        {_metric("legacy.requests.received")} AS legacy_received,
        {_metric("requests.result.total.total")} AS result_total,
        {_metric("legacy.requests.answered")} AS legacy_answered,
        {_metric("review.total")} AS review_total,
        {_metric("legacy.review.total")} AS legacy_review,
        {_metric("litigation_direct.total")} AS lit_direct,
        {_metric("litigation_after_review.total")} AS lit_after,
        {_metric("legacy.litigation.total")} AS legacy_litigation,
        {_metric("legacy.active.total")} AS legacy_active,
        (SELECT count(*) FROM checks c WHERE c.report_id = r.id AND c.passed = 0) AS checks_failed,
        (SELECT count(*) FROM checks c WHERE c.report_id = r.id) AS checks,
        (SELECT count(*) FROM metrics m WHERE m.report_id = r.id) AS metrics
    FROM reports r
);
"""

# Full-text search (see archive/fts.py: text segmented into CJK bigrams, because FTS5
# trigram on SQLite 3.40 cannot find two-character terms) and the report_summary view.
_V3 = f"""
CREATE TABLE report_search_docs (
    id INTEGER PRIMARY KEY,             -- the FTS rowid (stable, unlike reports' rowid)
    report_id TEXT NOT NULL UNIQUE,     -- reports.id
    version INTEGER NOT NULL,           -- archive.fts.SEGMENTER_VERSION that indexed it
    title TEXT,                         -- the title as indexed
    text TEXT                           -- the text as indexed (removing it needs it again)
);
CREATE INDEX report_search_docs_version ON report_search_docs(version);
-- Contentless: the index holds only tokens; written by archive.fts, never by triggers.
CREATE VIRTUAL TABLE report_search USING fts5(title, text, content='', tokenize='unicode61');
INSERT INTO report_search (report_search, rank) VALUES ('rank', 'bm25(5.0, 1.0)');

-- Reports whose title or text changed since the index was last refreshed. The triggers test
-- for the row themselves: a trigger's OR IGNORE is overridden by an outer statement's own
-- conflict clause (sqlite-utils writes with one).
CREATE TABLE report_search_queue (report_id TEXT PRIMARY KEY);
CREATE TRIGGER report_texts_search_ai AFTER INSERT ON report_texts BEGIN
    INSERT INTO report_search_queue SELECT new.report_id
        WHERE NOT EXISTS (SELECT 1 FROM report_search_queue WHERE report_id = new.report_id);
END;
CREATE TRIGGER report_texts_search_ad AFTER DELETE ON report_texts BEGIN
    INSERT INTO report_search_queue SELECT old.report_id
        WHERE NOT EXISTS (SELECT 1 FROM report_search_queue WHERE report_id = old.report_id);
END;
CREATE TRIGGER report_texts_search_au AFTER UPDATE ON report_texts BEGIN
    INSERT INTO report_search_queue SELECT old.report_id
        WHERE NOT EXISTS (SELECT 1 FROM report_search_queue WHERE report_id = old.report_id);
    INSERT INTO report_search_queue SELECT new.report_id
        WHERE NOT EXISTS (SELECT 1 FROM report_search_queue WHERE report_id = new.report_id);
END;
CREATE TRIGGER reports_search_au AFTER UPDATE OF id, title ON reports
WHEN old.id IS NOT new.id OR old.title IS NOT new.title BEGIN
    INSERT INTO report_search_queue SELECT old.id
        WHERE NOT EXISTS (SELECT 1 FROM report_search_queue WHERE report_id = old.id);
    INSERT INTO report_search_queue SELECT new.id
        WHERE NOT EXISTS (SELECT 1 FROM report_search_queue WHERE report_id = new.id);
END;
CREATE TRIGGER reports_search_ad AFTER DELETE ON reports BEGIN
    INSERT INTO report_search_queue SELECT old.id
        WHERE NOT EXISTS (SELECT 1 FROM report_search_queue WHERE report_id = old.id);
END;
INSERT OR IGNORE INTO report_search_queue SELECT report_id FROM report_texts;

-- metric lookups by (report, key), as report_summary and the canned queries do them
CREATE INDEX metrics_report_key ON metrics(report_id, key);

{_SUMMARY}"""

_SUMMARY_V4 = _SUMMARY.replace("FROM reports r", "FROM reports r WHERE r.is_report = 1").replace(
    "title, agency, region, year,", "title, agency, region, region_code, region_level, year,"
)

# Report recognition and metadata (parsers.report): what a row is, whose, where; year-over-year
# checks name the earlier report. Items that are not reports stay as rows (is_report = 0, with
# the reason), so a decoy's rejection is visible; report_summary shows reports only.
_V4 = f"""
ALTER TABLE reports ADD COLUMN region_level TEXT;      -- province | city | county | township
ALTER TABLE reports ADD COLUMN signed TEXT;            -- signature date (成文日期), ISO
ALTER TABLE reports ADD COLUMN agency_key TEXT;        -- one agency across years and spellings
ALTER TABLE reports ADD COLUMN is_report INTEGER NOT NULL DEFAULT 1;
ALTER TABLE reports ADD COLUMN recognition TEXT;       -- why it is (not) a report
ALTER TABLE reports ADD COLUMN recognition_confidence REAL;
CREATE INDEX reports_agency_year ON reports(agency_key, year);
CREATE INDEX reports_region_year ON reports(region_code, year);
ALTER TABLE checks ADD COLUMN other_report_id TEXT REFERENCES reports(id);  -- year over year
ALTER TABLE checks ADD COLUMN other_sha256 TEXT REFERENCES files(sha256);   -- sources_agree
DROP VIEW report_summary;
{_SUMMARY_V4}
"""

# The metric dictionary (parsers/metrics/dictionary.py) as a table that metrics.key references,
# and values typed by what they are: NUMERIC affinity stores a count as an integer (3744, not
# 3744.0) and an amount with decimals as a real. metrics and checks are rebuilt to change
# types (SQLite cannot alter a column); their rows are kept. metric_keys is filled by
# archive.derived from the dictionary; keys already stored get a placeholder row until then.
_V5 = f"""
CREATE TABLE metric_keys (
    key TEXT PRIMARY KEY,               -- metric key, e.g. requests.result.granted.natural_person
    label_zh TEXT,                      -- label as printed on the form: （一）予以公开 · 自然人
    label_en TEXT,                      -- English label
    form_table TEXT,                    -- 二 | 三 | 四 | 统计表 | 正文 (a figure in prose)
    era TEXT,                           -- legacy | 2019 | 2021 | "2019, 2021" | 2019–
    unit TEXT,                          -- 件 条 次 … 万元
    meaning TEXT,                       -- what the figure counts
    kind TEXT                           -- count (an integer) | amount (万元, decimals kept)
);
INSERT INTO metric_keys (key) SELECT DISTINCT key FROM metrics WHERE key IS NOT NULL;

DROP VIEW report_summary;
CREATE TABLE metrics_v5 (
    id INTEGER PRIMARY KEY,
    report_id TEXT NOT NULL REFERENCES reports(id),
    key TEXT NOT NULL REFERENCES metric_keys(key),
    value NUMERIC,                      -- NULL for a blank cell; integer for counts
    raw TEXT,                           -- the cell (or sentence) as found
    label TEXT,                         -- the row label as printed (legacy.other.<n> keeps it here)
    unit TEXT,
    confidence TEXT,                    -- high (a table cell) | low (a figure in prose)
    sha256 TEXT REFERENCES files(sha256),
    fetch_id INTEGER REFERENCES fetches(id),
    page INTEGER,
    table_index INTEGER,
    row INTEGER,
    col INTEGER
);
INSERT INTO metrics_v5 (id, report_id, key, value, raw, unit, confidence, sha256, fetch_id, page,
                        table_index, row, col)
    SELECT id, report_id, key, value, raw, unit, confidence, sha256, fetch_id, page, table_index, row, col
    FROM metrics;
DROP TABLE metrics;
ALTER TABLE metrics_v5 RENAME TO metrics;
CREATE INDEX metrics_report ON metrics(report_id);
CREATE INDEX metrics_key ON metrics(key);
CREATE INDEX metrics_report_key ON metrics(report_id, key);

CREATE TABLE checks_v5 (
    id INTEGER PRIMARY KEY,
    report_id TEXT NOT NULL REFERENCES reports(id),
    rule TEXT NOT NULL,
    expected NUMERIC,
    found NUMERIC,
    passed INTEGER,                     -- 1, 0, or NULL when not applicable
    detail TEXT,
    other_report_id TEXT REFERENCES reports(id),
    other_sha256 TEXT REFERENCES files(sha256)
);
INSERT INTO checks_v5
    SELECT id, report_id, rule, expected, found, passed, detail, other_report_id, other_sha256 FROM checks;
DROP TABLE checks;
ALTER TABLE checks_v5 RENAME TO checks;
CREATE INDEX checks_report ON checks(report_id);
{_SUMMARY_V4}
"""

# Full-text search under the names and conventions datasette and sqlite-utils look for: the
# index of report titles and texts becomes ``reports_fts`` with ``content="reports"``, its
# rowid the report's rowid, so ``?_search=`` on reports and ``sqlite-utils search DB reports``
# find rows. It still holds CJK bigrams (archive/fts.py), written by archive.fts only; the
# ``text`` column is not a column of reports, so the index is read by rowid, never for values.
_V6 = """
DROP TABLE report_search;
DELETE FROM report_search_docs;  -- ids were the old index's rowids: index everything anew
CREATE VIRTUAL TABLE reports_fts USING fts5(title, text, content="reports", tokenize='unicode61');
INSERT INTO reports_fts (reports_fts, rank) VALUES ('rank', 'bm25(5.0, 1.0)');
INSERT OR IGNORE INTO report_search_queue SELECT report_id FROM report_texts;

-- Scrapy's own stats per run and site (crawler/scrapystats.py), and who ran a live crawl.
CREATE TABLE scrapy_stats (
    run_id INTEGER NOT NULL REFERENCES crawl_runs(id),
    site TEXT REFERENCES sites(name),
    stats TEXT NOT NULL,                -- JSON: Scrapy's stats collector at the spider's close
    PRIMARY KEY (run_id, site)
);
ALTER TABLE crawl_runs ADD COLUMN contact TEXT;   -- the operator's contact (URL or e-mail)
"""

# The parse stage reads the attachments of a page of report items by the page they were found
# on (nianbao/parse.py), not by scanning every fetch for each page.
_V7 = """
CREATE INDEX fetches_attachment_referer ON fetches(referer) WHERE role = 'attachment';
"""

MIGRATIONS: list[tuple[int, str, str]] = [
    (1, "initial schema", _V1),
    (2, "incremental crawl counts", _V2),
    (3, "full-text search, report_summary", _V3),
    (4, "report recognition, region codes and levels, cross-report checks", _V4),
    (5, "metric dictionary (metric_keys), integer counts, metric labels", _V5),
    (6, "full-text search as reports_fts, Scrapy stats, operator contact", _V6),
    (7, "attachments by the page they were found on", _V7),
]
