"""Plain dataclasses the metrics extractor returns.

One :class:`Metric` per statistics cell (or per figure stated in prose): a stable ``key`` of
the metric dictionary (:mod:`parsers.metrics.dictionary`), the parsed ``value`` (``None`` for
a blank or placeholder cell — never 0; an ``int`` for a count), the ``raw`` cell text as
found, the ``unit`` and where it came from.
:class:`CheckResult` records one 勾稽 (cross-total) check; a failed check is recorded, never
"fixed".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from parsers.metrics.values import Number

Era = str  # "legacy", a template's ERA ("2019", "2021": parsers/metrics/templates.py) or "prose"
Confidence = Literal["high", "low"]
CheckStatus = Literal["passed", "failed", "not_applicable"]


@dataclass(frozen=True)
class Source:
    """Where a value was read: a table cell, or a text block for prose figures.

    ``table`` counts the document's tables in reading order (attachments' tables after the
    document's own, see :func:`parsers.metrics.tables.document_tables`); ``row``/``col`` are
    positions in that table's :meth:`~parsers.document.Table.grid`.
    """

    table: int | None = None
    row: int | None = None
    col: int | None = None
    page: int | None = None
    block: int | None = None  # index into the document's content, for prose figures
    attachment: int | None = None  # index into Document.attachments when the table is there


@dataclass
class Metric:
    key: str
    value: Number | None
    raw: str
    unit: str | None = None
    source: Source = field(default_factory=Source)
    label: str | None = None  # the row label as printed (kept for legacy.other.<n>)
    approximate: bool = False  # "约"/"余"/"多" in the text
    confidence: Confidence = "high"
    group: str | None = None  # legacy: the aggregate row this row is a part of (for checks)


@dataclass
class CheckResult:
    rule: str
    expected: Number | None  # the printed total
    found: Number | None  # what its parts add up to
    passed: bool | None  # None: not applicable (every involved cell blank)
    detail: str = ""

    @property
    def status(self) -> CheckStatus:
        if self.passed is None:
            return "not_applicable"
        return "passed" if self.passed else "failed"


@dataclass
class MetricsResult:
    era: Era
    metrics: list[Metric] = field(default_factory=list)
    checks: list[CheckResult] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    year: int | None = None  # report year, when the text states it

    @property
    def values(self) -> dict[str, Number | None]:
        """``{key: value}`` — the first metric wins if a key were repeated."""
        out: dict[str, Number | None] = {}
        for m in self.metrics:
            out.setdefault(m.key, m.value)
        return out

    def get(self, key: str) -> Metric | None:
        return next((m for m in self.metrics if m.key == key), None)

    @property
    def failed_checks(self) -> list[CheckResult]:
        return [c for c in self.checks if c.passed is False]
