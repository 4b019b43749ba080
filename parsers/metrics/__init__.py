"""Statutory tables (and, failing those, sentences) → normalised metrics with 勾稽 checks.

One entry point::

    from parsers.metrics import extract
    result = extract(doc)          # doc: parsers.document.Document
    result.era                     # "legacy" | "2019" | "2021" | "prose"
    result.values["requests.new.total"]
    [c for c in result.checks if c.passed is False]

Metric keys, with their labels as printed on the forms, units and meanings, are those of the
metric dictionary, :mod:`parsers.metrics.dictionary` (rendered as ``docs/metrics.md``); a key
it does not know is never stored. Beyond the national forms it has ``legacy.cumulative.<key>``
(Fujian's 历年累计 column), ``legacy.other.<n>`` (a legacy row fitting no key, label kept),
``requests.result.other.<applicant>`` for a 2021-era table 三 that kept the single 2019
（六）其他处理 row, and the prose-only ``active.total`` / ``litigation.total`` (see
:mod:`parsers.metrics.prose`).

The document's own tables are read first and its attachments' after; the first value of a
key wins (a repeat is a warning). A template report whose tables yield nothing falls back to
the prose figures, with a warning.
"""

from __future__ import annotations

from parsers.document import Document
from parsers.metrics import legacy, prose
from parsers.metrics.checks import run_checks, year_over_year
from parsers.metrics.era import detect_era, report_year
from parsers.metrics.model import CheckResult, Era, Metric, MetricsResult, Source
from parsers.metrics.tables import Collector, document_tables
from parsers.metrics.templates import TEMPLATES

__all__ = [
    "CheckResult",
    "Era",
    "Metric",
    "MetricsResult",
    "Source",
    "detect_era",
    "extract",
    "year_over_year",
]

_TABLE_READERS = {"legacy": legacy.extract, **{t.ERA: t.extract for t in TEMPLATES}}


def extract(doc: Document) -> MetricsResult:
    """Era, metrics, checks and warnings of one report document."""
    era = detect_era(doc)
    year = report_year(doc)
    out = Collector()
    if era != "prose":
        _TABLE_READERS[era](document_tables(doc), out)
    if not out.metrics:
        if era != "prose":
            out.warnings.append(f"{era}: no statistics cell read, prose figures used instead")
        prose.extract(doc, year, out)
    return MetricsResult(
        era=era, metrics=out.metrics, checks=run_checks(era, out.metrics), warnings=out.warnings, year=year
    )
