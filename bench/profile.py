"""Where a crawl's time goes: py-spy samples of a running ``nianbao crawl``, summarized.

py-spy (a bench extra) samples the process from outside, so the crawl runs unmodified. Its
``raw`` output (with ``--threads``) is one line per distinct stack,
``thread (id): name;frame;…;frame count``, outermost frame first, each frame
``function (path)``. Only threads doing work are sampled (not one waiting in ``epoll``).

The summary: how the busy samples split over threads, then, for the reactor's thread (the
one every response passes through) while the crawl runs (``within``), the functions with
the most self time, our own functions with the most time inside them, and each package's
share of the stacks — percentages of that thread's crawl samples.

>>> lines = [
...     "thread (1): MainThread;start (/x/site-packages/scrapy/c.py);parse (/r/crawler/a.py);"
...     "xpath (/x/site-packages/parsel/s.py) 3",
...     "thread (1): MainThread;start (/x/site-packages/scrapy/c.py);put (/r/archive/s.py) 1",
...     "thread (1): MainThread;import (<frozen importlib>) 5",
...     "thread (2): writer-1;put (/r/archive/s.py) 4",
... ]
>>> summary = summarize(lines, own_root="/r", within="start (")
>>> summary["threads"], summary["reactor_samples"]
([['MainThread', 69.2], ['writer', 30.8]], 4)
>>> summary["self"][0], summary["packages"][0]
(['xpath (parsel/s.py)', 75.0], ['crawler', 75.0])
>>> summary["own_inclusive"]
[['parse (crawler/a.py)', 75.0], ['put (archive/s.py)', 25.0]]
"""

from __future__ import annotations

import re
import shutil
import sys
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

TOP = 12


def py_spy() -> str | None:
    """The py-spy next to this Python (the bench extra), else one on PATH."""
    beside = Path(sys.executable).parent / "py-spy"
    return str(beside) if beside.is_file() else shutil.which("py-spy")


def record_command(raw_out: Path) -> list[str] | None:
    """The prefix that runs a command under py-spy, writing ``raw_out`` (None: no py-spy)."""
    tool = py_spy()
    if tool is None:
        return None
    return [tool, "record", "--format", "raw", "--nolineno", "--full-filenames", "--threads",
            "-o", str(raw_out), "--"]  # fmt: skip


def summarize(
    lines: Iterable[str], *, own_root: str, within: str = "CrawlerProcess.start ("
) -> dict[str, Any]:
    own_root = own_root.rstrip("/") + "/"
    threads: Counter[str] = Counter()
    self_time: Counter[str] = Counter()
    own: Counter[str] = Counter()
    packages: Counter[str] = Counter()
    reactor = 0
    for line in lines:
        stack, _, count_text = line.rstrip("\n").rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        if stack.startswith("thread ("):  # "thread (id): name;…" — recorded with --threads
            stack = stack.partition(": ")[2]
        name = re.sub(r"[-_]?\d+$", "", stack.split(";", 1)[0])
        threads[name] += count
        raw_frames = stack.split(";")[1:]
        starts = [i for i, frame in enumerate(raw_frames) if frame.startswith(within)]
        if name != "MainThread" or not starts:
            continue
        raw_frames = raw_frames[starts[0] + 1 :]  # what the crawl calls, not the CLI around it
        reactor += count
        frames = [_short(frame, own_root) for frame in raw_frames]
        self_time[frames[-1][0]] += count
        for function in dict.fromkeys(function for function, is_own in frames if is_own):
            own[function] += count
        for package in dict.fromkeys(_package(function) for function, _ in frames):  # (in order)
            packages[package] += count

    def share(counter: Counter[str], total: int) -> list[list[Any]]:
        return [[key, round(100 * n / total, 1)] for key, n in counter.most_common(TOP)] if total else []

    return {
        "threads": share(threads, sum(threads.values())),
        "reactor_samples": reactor,
        "self": share(self_time, reactor),
        "own_inclusive": share(own, reactor),
        "packages": share(packages, reactor),
    }


def _short(frame: str, own_root: str) -> tuple[str, bool]:
    """``function (path)`` with the path cut to its package (``scrapy/core/engine.py``)."""
    function, _, path = frame.partition(" (")
    path = path.rstrip(")")
    for marker in ("/site-packages/", "/dist-packages/"):  # (the venv may sit in own_root)
        if marker in path:
            return f"{function} ({path.split(marker, 1)[1]})", False
    if path.startswith(own_root):
        return f"{function} ({path[len(own_root) :]})", True
    if "/lib/python3" in path:
        path = "stdlib/" + path.split("/lib/python3", 1)[1].split("/", 1)[-1]
    return f"{function} ({path})", False


def _package(name: str) -> str:
    path = name.rpartition(" (")[2].rstrip(")")
    return path.split("/", 1)[0] if "/" in path else path
