"""Shared plumbing for the legacy Office formats (DOC, WPS, XLS) and the spreadsheets (XLS/XLSX).

Three things live here:

1. **OLE2 containers** (``D0 CF 11 E0 A1 B1 1A E1``): DOC, WPS and XLS are "compound files", a
   little FAT file system of named streams. :func:`ole_streams` lists the stream names (the
   format is told by them: ``WordDocument``, ``Workbook``, ``CONTENTS`` …) and :func:`open_ole`
   opens one for reading, both through ``olefile``, always on a ``BytesIO`` (olefile takes a
   short ``bytes`` argument for a *file name*).
2. **LibreOffice conversion**: :func:`convert_with_libreoffice` turns a file into DOCX with
   ``soffice --headless --convert-to`` — an argument list (no shell), a private profile and
   temp directory per call (concurrent workers cannot share a profile; the directory is always
   removed), and the time limit of :mod:`parsers.limits` (the whole process group is killed).
   The binary is ``soffice`` on PATH unless ``NIANBAO_SOFFICE`` (or the ``soffice`` argument)
   names another one. A LibreOffice that crashes is tried once more (tenacity), one that
   outlives the limit is not. :func:`document_from_docx` reads the result with the DOCX parser.
3. **Spreadsheet cells → Table**: :func:`format_number` renders a number as Excel shows it
   (``4500.0`` → ``"4500"``, ``9.5`` → ``"9.5"``, ``"0.00"`` → two decimals) and
   :func:`sheet_table` builds a :class:`Table` from a sheet's non-blank cells and merged ranges.
"""

from __future__ import annotations

import io
import math
import os
import re
import shutil
import tempfile
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from pathlib import Path

import tenacity

from parsers import limits
from parsers.document import Cell, Document, ParseError, Table
from vocabulary import join_words

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

# --------------------------------------------------------------------------- OLE2


def open_ole(data: bytes):  # -> olefile.OleFileIO
    """Open an OLE2 compound file, any structural damage becoming a ParseError."""
    import olefile

    if not data.startswith(OLE_MAGIC):
        raise ParseError("not an OLE2 compound file (no D0 CF 11 E0 signature)")
    try:
        return olefile.OleFileIO(io.BytesIO(data))
    except Exception as exc:  # olefile raises OSError, struct.error, IndexError … on damage
        raise ParseError(f"corrupt OLE2 container: {type(exc).__name__}: {exc}") from exc


def ole_streams(data: bytes) -> set[str] | None:
    """Lower-cased paths (``a/b``) of the streams in an OLE2 file; None if it is not one.

    >>> ole_streams(b"PK\\x03\\x04") is None
    True
    """
    if not data.startswith(OLE_MAGIC):
        return None
    try:
        ole = open_ole(data)
        with ole:
            return {"/".join(path).lower() for path in ole.listdir(streams=True, storages=False)}
    except ParseError:
        return None


# --------------------------------------------------------------------------- LibreOffice


class ConverterMissing(ParseError):
    """No LibreOffice binary to convert with."""


def soffice_binary(explicit: str | None = None) -> str | None:
    """The LibreOffice binary: ``explicit``, else ``$NIANBAO_SOFFICE``, else soffice on PATH."""
    wanted = explicit or os.environ.get("NIANBAO_SOFFICE")
    if wanted:
        return shutil.which(wanted)  # a path or a bare name; None if it is not executable
    return shutil.which("soffice") or shutil.which("libreoffice")


class ConverterCrashed(ParseError):
    """LibreOffice died of a signal (a crash, not our time limit) before it wrote the result."""


# A crash is retried once, in a fresh profile: LibreOffice now and then dies on start-up (a
# half-made profile, a race among concurrent instances), and the same file then converts.
CONVERT_ATTEMPTS = 2


def convert_with_libreoffice(
    data: bytes,
    suffix: str,
    *,
    target: str = "docx:MS Word 2007 XML",
    soffice: str | None = None,
    timeout: float | None = None,
) -> bytes:
    """Convert ``data`` (a file whose usual extension is ``suffix``) and return the result.

    Raises :class:`ConverterMissing` without a binary, :class:`~parsers.limits.TimeLimitExceeded`
    when the conversion outlives ``timeout`` (default :func:`~parsers.limits.convert_timeout`;
    never retried), :class:`ConverterCrashed` when LibreOffice crashed on every attempt, and
    ParseError when it produces nothing.
    """
    binary = soffice_binary(soffice)
    if binary is None:
        raise ConverterMissing("LibreOffice (soffice) is not installed")
    limit = limits.convert_timeout() if timeout is None else timeout
    attempt = tenacity.retry(
        retry=tenacity.retry_if_exception_type(ConverterCrashed),
        stop=tenacity.stop_after_attempt(CONVERT_ATTEMPTS),
        reraise=True,
    )(_convert_once)
    return attempt(binary, data, suffix, target, limit)


def _convert_once(binary: str, data: bytes, suffix: str, target: str, timeout: float) -> bytes:
    """One conversion in its own temporary directory and LibreOffice profile."""
    extension = target.split(":", 1)[0]
    work = Path(tempfile.mkdtemp(prefix="nianbao-lo-"))
    try:
        source = work / f"document{suffix}"
        source.write_bytes(data)
        out_dir = work / "out"
        cmd = [
            binary,
            "--headless",
            "--norestore",
            "--nologo",
            "--nolockcheck",
            f"-env:UserInstallation={(work / 'profile').as_uri()}",
            "--convert-to",
            target,
            "--outdir",
            str(out_dir),
            str(source),
        ]
        # LibreOffice's own temp files go to our directory too, so they are removed with it.
        env = {**os.environ, "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "TMPDIR": str(work)}
        result = limits.run_with_timeout(cmd, timeout, env=env, cwd=work)
        produced = out_dir / f"document.{extension}"
        if not produced.is_file() or produced.stat().st_size == 0:
            detail = result.stderr.decode("utf-8", "replace").strip().splitlines()[-1:]
            why = f"exit status {result.returncode}" + (f": {detail[0][:200]}" if detail else "")
            if _crashed(result.returncode):
                raise ConverterCrashed(f"LibreOffice crashed ({why})")
            raise ParseError(f"LibreOffice could not convert the file ({why})")
        return produced.read_bytes()
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _crashed(returncode: int) -> bool:
    """Whether an exit status means death by a signal: negative when the process itself was
    signalled, 128 + N when a wrapper shell (``soffice`` is a script) reports it.

    >>> _crashed(-11), _crashed(139), _crashed(1), _crashed(0)
    (True, True, False, False)
    """
    return returncode < 0 or 128 < returncode < 160


def document_from_docx(docx_bytes: bytes, name: str) -> Document:
    """A converted DOCX read by the DOCX parser, relabelled as format ``name``."""
    from parsers.formats import docx

    doc = docx.parse(docx_bytes)
    doc.format = name
    doc.method = "conversion"
    return doc


# --------------------------------------------------------------------------- spreadsheets

_QUOTED = re.compile(r'"[^"]*"|\\.|\[[^\]]*\]|_.|\*.')


def _first_section(number_format: str) -> str:
    """The positive-number section of a format, without literals, colours and padding."""
    return _QUOTED.sub("", number_format or "").split(";", 1)[0].strip()


def _general(value: float) -> str:
    """Excel's "General": whole numbers without ".0", others to ≈10 significant digits."""
    if not math.isfinite(value):
        return str(value)
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.10g}"


def format_number(value: float, number_format: str = "General") -> str:
    """A number as a cell with ``number_format`` shows it (decimals, grouping, percent).

    >>> format_number(4500.0), format_number(9.5), format_number(0.1 + 0.2)
    ('4500', '9.5', '0.3')
    >>> format_number(1234.5, "#,##0.00"), format_number(0.125, "0.0%"), format_number(3, "0.00")
    ('1,234.50', '12.5%', '3.00')
    >>> format_number(12.0, '0"件"'), format_number(7, "@")
    ('12', '7')
    """
    section = _first_section(number_format)
    if section.lower() in ("", "general", "@") or not re.search(r"[0#?]", section):
        return _general(float(value))
    decimals = re.search(r"\.([0#?]+)", section)
    places = len(decimals.group(1)) if decimals else 0
    if re.search(r"E[+-]", section, re.IGNORECASE):
        return f"{value:.{places}E}"
    if "%" in section:
        return f"{value * 100:.{places}f}%"
    integer_part = section.split(".", 1)[0]
    grouping = "," if re.search(r"[0#?],[0#?]", integer_part) else ""
    return f"{value:{grouping}.{places}f}"


def format_datetime(value: datetime | date | time | timedelta) -> str:
    """Dates as ISO text (unambiguous, whatever the sheet's display format).

    >>> format_datetime(datetime(2018, 1, 31)), format_datetime(datetime(2018, 1, 31, 8, 30))
    ('2018-01-31', '2018-01-31 08:30:00')
    """
    if isinstance(value, datetime):
        if value.time() == time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value)


def clean_text(text: str) -> str:
    """A text cell: each line trimmed, blank lines dropped, lines joined as in other tables.

    >>> clean_text("  （三）不予\\n 公开 "), clean_text("\\u3000 ")
    ('（三）不予公开', '')
    """
    return join_words(line.strip() for line in text.splitlines() if line.strip())


Merge = tuple[int, int, int, int]  # first row, last row + 1, first col, last col + 1 (0-based)
_Box = tuple[int, int, int, int]  # the same shape: an area of the sheet


def _bounds(positions: Iterable[tuple[int, int]]) -> _Box:
    rows, cols = zip(*positions, strict=True)
    return min(rows), max(rows) + 1, min(cols), max(cols) + 1


def _clip(merge: Merge, box: _Box) -> Merge | None:
    r0, r1 = max(merge[0], box[0]), min(merge[1], box[1])
    c0, c1 = max(merge[2], box[2]), min(merge[3], box[3])
    return (r0, r1, c0, c1) if r0 < r1 and c0 < c1 else None


def _check_area(box: _Box, sheet: str) -> None:
    rows, cols = box[1] - box[0], box[3] - box[2]
    if rows * cols > limits.SHEET_MAX_CELLS:
        raise ParseError(
            f"sheet {sheet!r}: used area {rows}×{cols} is over the limit of {limits.SHEET_MAX_CELLS} cells"
        )


def sheet_table(texts: dict[tuple[int, int], str], merges: list[Merge], sheet: str) -> Table | None:
    """A sheet's used area as a Table: blank cells ``""``, merged ranges as spans.

    ``texts`` maps (row, col) to cell texts. Empty rows/columns around the data are trimmed;
    merged ranges are clipped to the data area; text hidden under a merge (not in its top-left
    cell) is dropped, as Excel does not show it. A used area over
    :data:`~parsers.limits.SHEET_MAX_CELLS` is a ParseError (checked before anything is built).

    >>> t = sheet_table({(1, 1): "统计指标", (1, 2): "单位", (2, 2): "条"}, [(1, 3, 1, 2)], "s")
    >>> t.grid()
    [['统计指标', '单位'], ['统计指标', '条']]
    """
    texts = {pos: text for pos, text in texts.items() if text}
    if not texts:
        return None
    box = _bounds(texts)
    _check_area(box, sheet)
    clipped = [m for m in (_clip(m, box) for m in merges) if m]
    origin_of: dict[tuple[int, int], tuple[int, int]] = {}
    for r0, r1, c0, c1 in clipped:
        if len(origin_of) + (r1 - r0) * (c1 - c0) > limits.SHEET_MAX_CELLS:
            raise ParseError(f"sheet {sheet!r}: merged ranges overlap or cover too many cells")
        for r in range(r0, r1):
            for c in range(c0, c1):
                origin_of[(r, c)] = (r0, c0)
    texts = {pos: t for pos, t in texts.items() if origin_of.get(pos, pos) == pos}
    if not texts:
        return None
    top, bottom, left, right = box = _bounds(texts)
    spans = {(m[0], m[2]): m for m in (_clip(m, box) for m in clipped) if m}
    cells: list[Cell] = []
    for r in range(top, bottom):
        for c in range(left, right):
            if (r, c) in spans:
                r0, r1, c0, c1 = spans[(r, c)]
                cells.append(Cell(texts.get((r, c), ""), r - top, c - left, r1 - r0, c1 - c0))
            elif (r, c) not in origin_of:
                cells.append(Cell(texts.get((r, c), ""), r - top, c - left))
    return Table(cells=cells)
