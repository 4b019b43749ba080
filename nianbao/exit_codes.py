"""The exit status of every ``nianbao`` command, one list for the CLI, the run records and
the README's table. A cron job or a systemd unit reads these, so each means one thing.

>>> int(ExitCode.PROBLEMS), ExitCode.from_signal(2), ExitCode.from_signal(15)
(1, <ExitCode.INTERRUPTED: 130>, <ExitCode.TERMINATED: 143>)
"""

from __future__ import annotations

import signal
from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0  # finished, nothing to report
    PROBLEMS = 1  # finished, but recorded problems (table ``problems``)
    CANNOT_START = 2  # bad arguments, bad sites file, data dir locked or unreadable
    FAILED = 3  # stopped by a fault of its own machine: disk full, database unwritable, Redis gone
    INTERRUPTED = 130  # SIGINT (Ctrl-C): frontier kept, the next run resumes
    TERMINATED = 143  # SIGTERM: as SIGINT

    @classmethod
    def from_signal(cls, signum: int) -> ExitCode:
        return cls.TERMINATED if signum == signal.SIGTERM else cls.INTERRUPTED


# Run status recorded in ``crawl_runs.status`` for each exit code.
RUN_STATUS = {
    ExitCode.OK: "ok",
    ExitCode.PROBLEMS: "problems",
    ExitCode.CANNOT_START: "could not start",
    ExitCode.FAILED: "failed",
    ExitCode.INTERRUPTED: "interrupted",
    ExitCode.TERMINATED: "interrupted",
}

EXIT_OK, EXIT_PROBLEMS, EXIT_CANNOT_START = ExitCode.OK, ExitCode.PROBLEMS, ExitCode.CANNOT_START
