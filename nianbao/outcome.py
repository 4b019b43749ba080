"""How a run ends: signals, faults of the machine, and the run row's final status.

One place decides a run's exit code (:mod:`nianbao.exit_codes`) and writes it to its run row,
for ``crawl`` and ``reparse`` alike:

* **interrupted** — SIGINT (Ctrl-C) or SIGTERM: the crawl stops gracefully (every site's
  frontier is kept, so the next run resumes), the run row says ``interrupted``, the exit code
  is 130 or 143. A second signal stops at once.
* **failed** — the machine failed us: the disk is full, the database cannot be written. One
  line says so; a problems row is written if the database still takes one; the run row is
  closed as ``failed`` (a reserve of disk space, freed at the fault, leaves room for that).
* **problems** / **ok** — the run finished, with or without problems rows (notes aside).

>>> is_machine_fault(OSError(28, "No space left on device"))
True
>>> is_machine_fault(ValueError("bad PDF"))
False
>>> one_line(OSError(28, "No space left on device", "/d/objects/x"))
'disk full: No space left on device: /d/objects/x'
"""

from __future__ import annotations

import errno
import logging
import os
import signal
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

from nianbao.exit_codes import ExitCode

logger = logging.getLogger(__name__)

RESERVE_BYTES = 2 * 1024 * 1024  # freed on a full disk: room to close the run row
_DISK_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EIO, errno.EFBIG}
_DB_FAULTS = ("database or disk is full", "readonly database", "disk i/o error", "unable to open")


def is_machine_fault(exc: BaseException) -> bool:
    """A fault of the machine rather than of the input: no point going on."""
    if isinstance(exc, OSError):
        return exc.errno in _DISK_ERRNOS
    if isinstance(exc, sqlite3.OperationalError | sqlite3.DatabaseError):
        return any(marker in str(exc).lower() for marker in _DB_FAULTS)
    return False


def one_line(exc: BaseException) -> str:
    """A person's one-line account of a machine fault."""
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        where = f": {exc.filename}" if exc.filename else ""
        return f"disk full: {exc.strerror}{where}"
    if isinstance(exc, OSError):
        where = f": {exc.filename}" if exc.filename else ""
        return f"cannot write: {exc.strerror}{where}"
    if "disk is full" in str(exc).lower():  # SQLITE_FULL: the database's disk, not the database
        return f"disk full: the database cannot grow ({exc})"
    return f"database unwritable: {exc}"


@dataclass
class RunEnd:
    """What stopped the run early, if anything: the first signal and the first machine fault."""

    signum: int | None = None
    fault: BaseException | None = None

    def exit_code(self, problems: int) -> ExitCode:
        if self.fault is not None:
            return ExitCode.FAILED
        if self.signum is not None:
            return ExitCode.from_signal(self.signum)
        return ExitCode.PROBLEMS if problems else ExitCode.OK


# One per process: a crawl runs in one process, and a fault anywhere stops all of it.
RUN_END = RunEnd()
_STOP: list[Callable[[], Any]] = []  # stops the running crawler process, while there is one


def machine_fault(exc: BaseException) -> None:
    """Remember the first machine fault, free the disk reserve, and stop the crawl."""
    if RUN_END.fault is not None:
        return
    RUN_END.fault = exc
    logger.error("%s: stopping the run", one_line(exc))
    _release_reserves()
    for stop in _STOP:
        stop()


# -- signals ------------------------------------------------------------------------------------
def run_crawler_process(process: Any, **start: Any) -> RunEnd:
    """``process.start()`` with our own SIGINT/SIGTERM handling: the first signal stops every
    crawl gracefully (frontiers kept), a second stops the reactor at once."""
    from twisted.internet import reactor

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        if RUN_END.signum is None:
            RUN_END.signum = signum
            logger.warning("received %s: stopping (the next run resumes)", signal.Signals(signum).name)
            reactor.callFromThread(process.stop)
        else:
            reactor.callFromThread(_stop_reactor, reactor)

    _STOP.append(process.stop)
    try:
        with _handlers(on_signal):
            process.start(install_signal_handlers=False, **start)
    finally:
        _STOP.clear()
    return RUN_END


def _stop_reactor(reactor: Any) -> None:
    with suppress(Exception):
        reactor.stop()


class Interrupted(BaseException):
    """SIGINT or SIGTERM arrived while working outside a reactor (reparse). A BaseException,
    as KeyboardInterrupt is: no ``except Exception`` takes it for a failed document."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def raise_on_signals() -> AbstractContextManager[None]:
    """Within: SIGINT and SIGTERM raise :class:`Interrupted` in the main thread."""

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        RUN_END.signum = RUN_END.signum or signum
        raise Interrupted(signum)

    return _handlers(on_signal)


def unless_stopped(work: Callable[[], Any]) -> Any | None:
    """``work()``, unless a signal or a machine fault stops it first (None then; :data:`RUN_END`
    says which): the run row is closed with the truth either way."""
    try:
        with raise_on_signals():
            return work()
    except Interrupted:
        return None
    except Exception as exc:
        if not is_machine_fault(exc):
            raise
        machine_fault(exc)
        return None


@contextmanager
def _handlers(handler: Any) -> Iterator[None]:
    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


@contextmanager
def interrupts_deferred() -> Iterator[None]:
    """Within: a SIGINT waits until the end. Processes and threads started meanwhile inherit
    SIGINT blocked from their very start (a Ctrl-C reaches the whole process group, and a
    worker still importing would print a traceback), and the main thread is not interrupted
    half-way through starting them (a signal may arrive through any thread)."""
    pending: list[int] = []
    handler = signal.signal(signal.SIGINT, lambda signum, _frame: pending.append(signum))
    blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
        signal.signal(signal.SIGINT, handler)
    if pending and callable(handler):
        handler(pending[0], None)


def ignore_interrupts() -> None:
    """For worker processes: Ctrl-C reaches the whole process group, but only the parent acts
    on it (no traceback from every worker)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


# -- disk reserve -------------------------------------------------------------------------------
_RESERVES: list[Path] = []


@contextmanager
def disk_reserve(data_dir: str | os.PathLike[str]) -> Iterator[None]:
    """Hold :data:`RESERVE_BYTES` of the data dir's disk for the run; freed on a full disk so
    the run row and a problems row can still be written."""
    path = Path(data_dir) / "tmp" / ".reserve"
    with suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as f:
            f.write(b"\0" * RESERVE_BYTES)
        _RESERVES.append(path)
    try:
        yield
    finally:
        _release_reserves()


def _release_reserves() -> None:
    while _RESERVES:
        with suppress(OSError):
            _RESERVES.pop().unlink()


# -- closing the run row ------------------------------------------------------------------------
def close_run(archive: Any, run_id: int, stats: dict[str, Any], end: RunEnd = RUN_END) -> ExitCode:
    """Work out the run's exit code and write it to its row. A database that can no longer be
    written does not turn into a traceback: the code says ``failed`` and the caller prints one
    line."""
    try:
        if end.fault is not None:
            with suppress(Exception):  # the database may be the thing that failed
                archive.add_problem("run", one_line(end.fault), run_id=run_id)
        problems = archive.count_problems(run_id)
        stats = {**stats, "problems": problems}
        code = end.exit_code(problems)
        if end.signum is not None:
            stats["signal"] = signal.Signals(end.signum).name
        if end.fault is not None:
            stats["fault"] = one_line(end.fault)
        archive.finish_run(run_id, exit_code=int(code), stats=stats)
        return code
    except Exception as exc:
        if not is_machine_fault(exc):
            raise
        end.fault = end.fault or exc
        return ExitCode.FAILED
