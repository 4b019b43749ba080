"""Argument types and the parser class of the ``nianbao`` command: a bad argument is
rejected with exit status 2 and one line naming it and why (no usage screen).

>>> iso_date("2024-05-01"), iso_date("2024-05-01T08:00:00+00:00")
('2024-05-01', '2024-05-01T08:00:00+00:00')
>>> iso_date("yesterday")
Traceback (most recent call last):
...
argparse.ArgumentTypeError: not an ISO date (YYYY-MM-DD): 'yesterday'
>>> parser_format("PDF")
'pdf'
>>> positive_int("0")
Traceback (most recent call last):
...
argparse.ArgumentTypeError: not a positive whole number: '0'
"""

from __future__ import annotations

import argparse
import sys
from datetime import date, datetime
from typing import NoReturn

from nianbao.exit_codes import EXIT_CANNOT_START


class Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line on stderr and exit status 2."""

    def error(self, message: str) -> NoReturn:
        sys.stderr.write(f"{self.prog}: error: {message} (see {self.prog} --help)\n")
        sys.exit(EXIT_CANNOT_START)


def iso_date(value: str) -> str:
    """A date (or date-time) in ISO 8601, kept as written: fetch times compare as text."""
    for parse in (date.fromisoformat, datetime.fromisoformat):
        try:
            parse(value)
            return value
        except ValueError:
            continue
    raise argparse.ArgumentTypeError(f"not an ISO date (YYYY-MM-DD): {value!r}")


def parser_format(value: str) -> str:
    """A format one of parsers/formats/ reads (pdf, docx, html, …)."""
    from parsers.formats import MEDIA_TYPES

    name = value.strip().lower()
    if name not in MEDIA_TYPES:
        known = ", ".join(sorted(MEDIA_TYPES))
        raise argparse.ArgumentTypeError(f"unknown format {value!r} (known: {known})")
    return name


def positive_seconds(value: str) -> float:
    """A duration in seconds, more than 0.

    >>> positive_seconds("2.5")
    2.5
    """
    try:
        number = float(value)
    except ValueError:
        number = 0.0
    if not number > 0:  # NaN too
        raise argparse.ArgumentTypeError(f"not a positive number of seconds: {value!r}")
    return number


def positive_int(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"not a positive whole number: {value!r}")
    return number
