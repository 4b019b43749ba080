"""Limits every parser obeys on untrusted input, and a subprocess runner that enforces time.

Files come from the open web, so a parser must fail *cleanly and quickly* on hostile or broken
input: a zip bomb, a workbook with a million empty rows, a DOC that makes LibreOffice spin.
The numbers live here so that they are tuned in one place:

- external converters (LibreOffice) get :func:`convert_timeout` seconds per document
  (:data:`CONVERT_TIMEOUT`, or ``NIANBAO_CONVERT_TIMEOUT``), run by :func:`run_with_timeout`,
  which kills the converter's whole process group when time is up;
- :func:`time_budget` puts an overall deadline around a piece of work (a ZIP with many
  members): every :func:`run_with_timeout` inside gets at most the time that is left;
- ZIP archives: at most :data:`ZIP_MAX_MEMBERS` members, :data:`ZIP_MAX_TOTAL_BYTES` unpacked
  in all, no member inflating more than :data:`ZIP_MAX_RATIO` times (counted while
  inflating), archives nested at most :data:`ZIP_MAX_DEPTH` level deep;
- spreadsheets: :data:`XLSX_MAX_PART_BYTES` per XML part, :data:`SHEET_MAX_CELLS` per sheet.

>>> run_with_timeout(["sh", "-c", "echo ok"], timeout=5).stdout
b'ok\\n'
>>> run_with_timeout(["sh", "-c", "sleep 5"], timeout=0.2)
Traceback (most recent call last):
...
parsers.limits.TimeLimitExceeded: sh timed out after 0.2 s
"""

from __future__ import annotations

import contextvars
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from parsers.document import ParseError

MB = 1024 * 1024


def env_float(name: str, default: float) -> float:
    """A positive number from the environment, else ``default`` (a typo must not disable a limit).

    >>> env_float("NIANBAO_NO_SUCH_LIMIT", 60.0)
    60.0
    """
    try:
        value = float(os.environ.get(name, ""))
    except ValueError:
        return default
    return value if value > 0 else default


# External converters (LibreOffice): seconds per document; see convert_timeout().
CONVERT_TIMEOUT = 60.0

# ZIP archives (parsers.formats.zip).
ZIP_MAX_MEMBERS = 200
ZIP_MAX_TOTAL_BYTES = 200 * MB  # unpacked, over all members (nested archives included)
ZIP_MAX_RATIO = 100  # unpacked : packed, per member
ZIP_RATIO_FLOOR = 1 * MB  # small members may compress better (text, blank XML): not checked below
ZIP_MAX_DEPTH = 1  # a zip inside a zip is read; a zip inside that is not
ZIP_TIME_BUDGET = 600.0  # seconds for all members of one archive

# Spreadsheets (xls / xlsx).
XLSX_MAX_PART_BYTES = 25 * MB  # one unpacked XML part (sheet, shared strings); ~250k cells
XLSX_MAX_TOTAL_BYTES = 100 * MB  # the whole unpacked package
SHEET_MAX_CELLS = 500_000  # rows × columns of one sheet's used area


def convert_timeout() -> float:
    """Seconds one conversion may take: ``NIANBAO_CONVERT_TIMEOUT`` or :data:`CONVERT_TIMEOUT`.

    Read at each call, so a worker (or a test) can change it without re-importing.
    """
    return env_float("NIANBAO_CONVERT_TIMEOUT", CONVERT_TIMEOUT)


class TimeLimitExceeded(ParseError):
    """A converter or a time budget ran out of time (the message says which and how long)."""


# --------------------------------------------------------------------------- time budget

_DEADLINE: contextvars.ContextVar[float | None] = contextvars.ContextVar("nianbao_deadline", default=None)


@contextmanager
def time_budget(seconds: float) -> Iterator[None]:
    """Everything inside must finish within ``seconds`` (an outer, shorter budget still wins).

    >>> with time_budget(30):
    ...     0 < remaining(60.0) <= 30
    True
    """
    deadline = time.monotonic() + seconds
    outer = _DEADLINE.get()
    token = _DEADLINE.set(deadline if outer is None else min(outer, deadline))
    try:
        yield
    finally:
        _DEADLINE.reset(token)


def remaining(default: float) -> float:
    """Seconds left in the current :func:`time_budget`, capped at ``default`` (may be ≤ 0)."""
    deadline = _DEADLINE.get()
    return default if deadline is None else min(default, deadline - time.monotonic())


def check_time(what: str) -> None:
    """Raise :class:`TimeLimitExceeded` when the current budget is spent."""
    if remaining(1.0) <= 0:
        raise TimeLimitExceeded(f"time budget exhausted before {what}")


# --------------------------------------------------------------------------- subprocesses


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    with suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)


def run_with_timeout(cmd: list[str], timeout: float, **kw: Any) -> subprocess.CompletedProcess[bytes]:
    """Run ``cmd`` (an argument list, never a shell string) with output captured.

    The command runs in a new session, so on timeout ``os.killpg`` ends it *and* every helper
    it started (``soffice`` → ``oosplash`` → ``soffice.bin``), then raises
    :class:`TimeLimitExceeded` ("… timed out after N s"). The timeout is shortened to what is
    left of an enclosing :func:`time_budget`. A command that cannot start is a ParseError.
    """
    if isinstance(cmd, str) or kw.get("shell"):
        raise TypeError("run_with_timeout takes an argument list and never uses a shell")
    name = Path(cmd[0]).name
    timeout = remaining(timeout)
    if timeout <= 0:
        raise TimeLimitExceeded(f"time budget exhausted before running {name}")
    kw.setdefault("stdin", subprocess.DEVNULL)
    kw.setdefault("stdout", subprocess.PIPE)
    kw.setdefault("stderr", subprocess.PIPE)
    try:
        proc = subprocess.Popen(cmd, start_new_session=True, **kw)
    except OSError as exc:
        raise ParseError(f"cannot run {name}: {exc}") from exc
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(proc)  # before reaping, so the group id cannot have been reused
        try:
            proc.communicate(timeout=5)
        except subprocess.TimeoutExpired:  # a helper escaped the group and holds the pipes
            proc.kill()
            proc.wait()
        raise TimeLimitExceeded(f"{name} timed out after {timeout:.3g} s") from None
    except BaseException:
        _kill_group(proc)
        proc.wait()
        raise
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err)
