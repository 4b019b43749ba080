"""How well a scan reads: its metrics against the born-digital parse of the same report.

- **cells**: every metric key of the born-digital reading (the statutory tables' cells);
  a cell is *exact* when the scan gives that key the same value (a blank is ``None`` both
  times);
- **wrong**: a cell whose scan value is a number other than the truth, plus any key the
  scan stores that the truth does not have — a figure a user would be misled by. A blank
  where the truth has a number is not exact, but not wrong either;
- **checks**: every check that fails on the born-digital version must fail on the scan;
- **seconds**: CPU seconds of this process and its children (tesseract) for the parse.
"""

from __future__ import annotations

import os
import resource
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from parsers.formats import parse
from parsers.metrics import extract
from parsers.metrics.model import MetricsResult
from tests.scans.generate import scan_pdf


@dataclass
class Score:
    name: str
    level: str
    pages: int
    cells: int
    exact: int
    wrong: int
    missed_flags: list[str]
    seconds: float
    errors: list[str] = field(default_factory=list)  # key: truth → scan, for reading
    wrong_low: int = 0  # wrong figures stored with confidence "low" (a reader is warned)

    @property
    def accuracy(self) -> float:
        return self.exact / self.cells if self.cells else 1.0

    @property
    def wrong_rate(self) -> float:
        return self.wrong / self.cells if self.cells else 0.0

    @property
    def seconds_per_page(self) -> float:
        return self.seconds / self.pages if self.pages else 0.0


@cache
def truth(path: Path, pages: tuple[int, ...] | None = None) -> MetricsResult:
    """The metrics of the born-digital PDF (only ``pages`` of it, if given)."""
    data = path.read_bytes()
    return extract(parse(pdf_pages(data, pages) if pages else data))


def pdf_pages(data: bytes, pages: tuple[int, ...]) -> bytes:
    """A born-digital PDF of only some pages (1-based) of another."""
    import io

    import pypdfium2 as pdfium

    src, out = pdfium.PdfDocument(data), pdfium.PdfDocument.new()
    try:
        out.import_pages(src, [n - 1 for n in pages])
        buf = io.BytesIO()
        out.save(buf)
        return buf.getvalue()
    finally:
        out.close()
        src.close()


def cpu_seconds() -> float:
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def compare(
    name: str, level: str, pages: int, want: MetricsResult, got: MetricsResult, seconds: float
) -> Score:
    w, g = want.values, got.values
    exact = sum(k in g and g[k] == w[k] for k in w)
    wrong_keys = [k for k in w if g.get(k) is not None and g[k] != w[k]]
    wrong_keys += [k for k in g if k not in w and g[k] is not None]
    errors = [f"{k}: {w.get(k)!r} → {g.get(k)!r}" for k in w if k not in g or g[k] != w[k]]
    errors += [f"{k}: (none) → {g[k]!r}" for k in g if k not in w]
    flagged = {c.rule for c in got.failed_checks}
    missed = [c.rule for c in want.failed_checks if c.rule not in flagged]
    low = sum(1 for k in wrong_keys if (m := got.get(k)) is not None and m.confidence == "low")
    return Score(name, level, pages, len(w), exact, len(wrong_keys), missed, seconds, errors, low)


def score_scan(
    name: str, path: Path, level: str, pages: tuple[int, ...] | None = None, draw: int = 0
) -> Score:
    """Scan the born-digital PDF at ``path`` (random draw ``draw`` of the level), parse the scan,
    and score it against the original."""
    want = truth(path, pages)
    data = scan_pdf(path, level, pages, draw)
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    start = cpu_seconds()
    got = extract(parse(data))
    seconds = cpu_seconds() - start
    n = len(pages) if pages else _page_count(data)
    return compare(name, level, n, want, got, seconds)


def _page_count(data: bytes) -> int:
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(data)
    try:
        return len(pdf)
    finally:
        pdf.close()
