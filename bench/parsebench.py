"""Parse benchmark: nianbao's PDF parser against a pdfplumber extraction of the same PDFs.

Both sides do the same job per document — text, tables, then the statutory metrics with
nianbao's own extractor (``parsers.metrics.extract``) — so speed and accuracy compare the
PDF reading alone. The pdfplumber side is a fair, ordinary use of it: ``extract_text`` and
``extract_tables`` per page, a table continued at the top of the next page (same column
count) joined to the one before, and the cells a merged cell covers (``None``) filled with
its text, as the golden grids write them.

Accuracy on the same golden data for both:

- cells: every cell of the golden grids — ``tests/fixtures/seeds/NNN.tables.json`` and the
  hand transcriptions ``tests/fixtures/pdf_golden/*.json`` — compared (whitespace removed)
  with the same cell of the extracted table that matches that golden table best;
- metrics: every golden metric value of ``tests/golden/*.json`` (a blank is ``None``).

Corpus: the seed PDFs, plus the real Huai'an PDFs from ``../shared/realworld`` when present.
pdfplumber is a benchmark-only dependency (the ``bench`` extra); without it this section
is skipped.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.report import section, skipped

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "tests" / "fixtures" / "seeds"
PDF_GOLDEN = ROOT / "tests" / "fixtures" / "pdf_golden"
METRIC_GOLDEN = ROOT / "tests" / "golden"
REALWORLD = ROOT.parent / "shared" / "realworld" / "reports"
SPEED_TARGET = 5.0


@dataclass
class Case:
    name: str
    data: bytes
    grids: list[list[list[str]]]  # golden table grids
    metrics: dict[str, Any]  # golden metric values


def corpus(limit: int | None = None) -> list[Case]:
    cases = []
    for pdf in sorted(SEEDS.glob("[0-9][0-9][0-9].pdf")):
        grids = json.loads((SEEDS / f"{pdf.stem}.tables.json").read_text("utf-8"))
        metrics = _golden_metrics(f"seed_{pdf.stem}")
        cases.append(Case(f"seed {pdf.stem}", pdf.read_bytes(), grids, metrics))
    if REALWORLD.is_dir():
        for golden in sorted(PDF_GOLDEN.glob("*.json")):
            expected = json.loads(golden.read_text("utf-8"))
            path = REALWORLD / expected["file"]
            if path.is_file():
                grids = [t["grid"] for t in expected["tables"]]
                metrics = _golden_metrics(Path(expected["file"]).stem)
                cases.append(Case(path.stem, path.read_bytes(), grids, metrics))
    return cases[:limit] if limit else cases


def _golden_metrics(name: str) -> dict[str, Any]:
    path = METRIC_GOLDEN / f"{name}.json"
    if not path.is_file():
        return {}
    return dict(json.loads(path.read_text("utf-8"))["metrics"])


# -- the two extractions -----------------------------------------------------------------------
@dataclass
class Extraction:
    grids: list[list[list[str]]]
    metrics: dict[str, Any]
    text_chars: int


def nianbao_extract(data: bytes) -> Extraction:
    from parsers import formats
    from parsers.metrics import extract

    doc = formats.parse(data)
    result = extract(doc)
    return Extraction([t.grid() for t in doc.tables], result.values, len(doc.text))


def pdfplumber_extract(data: bytes) -> Extraction:
    import pdfplumber

    from parsers.document import Block, Document, Table
    from parsers.metrics import extract
    from parsers.metrics.tables import table_from_grid

    content: list[Block | Table] = []
    grids: list[list[list[str]]] = []
    text_chars = 0
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        for number, page in enumerate(pdf.pages, start=1):
            text = page.extract_text() or ""
            text_chars += len(text)
            tables = [_filled(t) for t in page.extract_tables()]
            for k, grid in enumerate(tables):
                continued = k == 0 and grids and _continues(grids[-1], grid)
                if continued and not _text_before_table(text, grid):
                    grids[-1].extend(grid)
                else:
                    grids.append(grid)
            in_tables = {c for g in tables for row in g for c in row if c}
            for line in text.splitlines():
                if line.strip() and line.strip() not in in_tables:
                    content.append(Block(line.strip(), page=number))
    content += [table_from_grid(g) for g in grids]
    doc = Document("pdf", content, method="text", page_count=None)
    return Extraction(grids, extract(doc).values, text_chars)


def _filled(table: list[list[str | None]]) -> list[list[str]]:
    """Cells covered by a merged cell (None) take its text: from the left, else from above."""
    grid: list[list[str]] = []
    for r, row in enumerate(table):
        out: list[str] = []
        for c, cell in enumerate(row):
            if cell is None:
                cell = out[c - 1] if c > 0 else (grid[r - 1][c] if r > 0 else "")
            out.append(cell.replace("\n", ""))
        grid.append(out)
    return grid


def _continues(previous: list[list[str]], grid: list[list[str]]) -> bool:
    return bool(previous and grid) and len(previous[0]) == len(grid[0])


def _text_before_table(text: str, grid: list[list[str]]) -> bool:
    """Whether the page has text lines above the table (then it is not a continuation)."""
    first_cell = next((c for c in grid[0] if c), "")
    if not first_cell:
        return False
    head = text.split(first_cell.strip()[:6], 1)[0]
    return len(_squash(head)) > 20


# -- accuracy ----------------------------------------------------------------------------------
def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text or "")


def cell_hits(golden: list[list[list[str]]], found: list[list[list[str]]]) -> tuple[int, int]:
    """(golden cells found at their place, golden cells), each golden table against the
    extracted table that matches it best.

    >>> cell_hits([[["a", "1"], ["b", "2"]]], [[["x"]], [["a", "1"], ["b", " 3"]]])
    (3, 4)
    """
    hits = total = 0
    for want in golden:
        total += sum(len(row) for row in want)
        hits += max((_same_cells(want, got) for got in found), default=0)
    return hits, total


def _same_cells(want: list[list[str]], got: list[list[str]]) -> int:
    return sum(
        1
        for r, row in enumerate(want)
        for c, cell in enumerate(row)
        if r < len(got) and c < len(got[r]) and _squash(got[r][c]) == _squash(cell)
    )


def metric_hits(golden: dict[str, Any], found: dict[str, Any]) -> tuple[int, int]:
    """(golden metric values found, golden metric values); a blank must stay blank.

    >>> metric_hits({"a": 1, "b": None, "c": 2.5}, {"a": 1, "b": 0, "c": 2.5})
    (2, 3)
    """
    hits = 0
    for key, value in golden.items():
        if key not in found:
            continue
        got = found[key]
        if value is None or got is None:
            hits += value is None and got is None
        elif abs(float(got) - float(value)) <= 1e-6 * max(1.0, abs(float(value))):
            hits += 1
    return hits, len(golden)


# -- the section -------------------------------------------------------------------------------
def _run(extractor: Any, cases: list[Case], repeats: int) -> tuple[float, list[Extraction | str]]:
    """Seconds per document (best of ``repeats`` passes) and each document's extraction."""
    results: list[Extraction | str] = []
    best = float("inf")
    with contextlib.suppress(Exception):  # warm up: imports and first-call set-up
        extractor(cases[0].data)
    for _ in range(repeats):
        results = []
        start = time.perf_counter()
        for case in cases:
            try:
                results.append(extractor(case.data))
            except Exception as exc:  # a failure costs accuracy, not the benchmark
                results.append(f"{type(exc).__name__}: {exc}")
        best = min(best, time.perf_counter() - start)
    return best / len(cases), results


def _accuracy(cases: list[Case], results: list[Extraction | str]) -> dict[str, Any]:
    cells = [0, 0]
    metrics = [0, 0]
    per_doc = {}
    for case, res in zip(cases, results, strict=True):
        got = res if isinstance(res, Extraction) else Extraction([], {}, 0)
        ch, ct = cell_hits(case.grids, got.grids)
        mh, mt = metric_hits(case.metrics, got.metrics)
        cells[0] += ch
        cells[1] += ct
        metrics[0] += mh
        metrics[1] += mt
        per_doc[case.name] = {"cells": f"{ch}/{ct}", "metrics": f"{mh}/{mt}"}
        if isinstance(res, str):
            per_doc[case.name]["error"] = res
    return {
        "cell_accuracy": round(cells[0] / cells[1], 4) if cells[1] else None,
        "metric_accuracy": round(metrics[0] / metrics[1], 4) if metrics[1] else None,
        "golden_cells": cells[1],
        "golden_metrics": metrics[1],
        "per_document": per_doc,
    }


def parse_section(*, repeats: int = 3, limit: int | None = None) -> dict[str, Any]:
    ratio_of = "pdfplumber s/doc ÷ nianbao s/doc (text + tables + metrics)"
    target = f">= {SPEED_TARGET}x, accuracy >= pdfplumber's"
    try:
        import pdfplumber
    except ImportError:
        reason = "pdfplumber not installed (pip install -e '.[bench]')"
        return skipped("parse", reason, ratio_of=ratio_of)
    cases = corpus(limit)
    nianbao_s, nianbao_res = _run(nianbao_extract, cases, repeats)
    plumber_s, plumber_res = _run(pdfplumber_extract, cases, 1)  # ~10x slower: once is enough
    ours, theirs = _accuracy(cases, nianbao_res), _accuracy(cases, plumber_res)
    ratio = plumber_s / nianbao_s
    as_good = all((ours[k] or 0) >= (theirs[k] or 0) for k in ("cell_accuracy", "metric_accuracy"))
    figures = {
        "documents": len(cases),
        "realworld_documents": sum(1 for c in cases if not c.name.startswith("seed")),
        "nianbao_s_per_doc": round(nianbao_s, 4),
        "nianbao_docs_per_s": round(1 / nianbao_s, 2),
        "pdfplumber_s_per_doc": round(plumber_s, 4),
        "pdfplumber_docs_per_s": round(1 / plumber_s, 2),
        "pdfplumber_version": pdfplumber.__version__,
        "nianbao_cell_accuracy": ours["cell_accuracy"],
        "pdfplumber_cell_accuracy": theirs["cell_accuracy"],
        "nianbao_metric_accuracy": ours["metric_accuracy"],
        "pdfplumber_metric_accuracy": theirs["metric_accuracy"],
        "golden_cells": ours["golden_cells"],
        "golden_metrics": ours["golden_metrics"],
        "nianbao_per_document": ours["per_document"],
        "pdfplumber_per_document": theirs["per_document"],
        "repeats": {"nianbao": repeats, "pdfplumber": 1},
    }
    notes = [] if REALWORLD.is_dir() else ["../shared/realworld absent: seed PDFs only"]
    return section(
        "parse",
        figures,
        ratio=ratio,
        ratio_of=ratio_of,
        target=target,
        passed=ratio >= SPEED_TARGET and as_good,
        notes=notes,
    )
