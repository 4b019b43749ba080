"""Facts about the machine and the software a benchmark ran on (for ``latest.json``).

>>> facts = machine_facts()
>>> facts["cores"] >= 1 and facts["python"].count(".") == 2
True
"""

from __future__ import annotations

import os
import platform
import sqlite3
import subprocess
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from bench.server import nginx_version

ROOT = Path(__file__).resolve().parents[1]


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _ram_mb() -> int | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) // 1024
    except OSError:
        pass
    return None


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def _git_commit() -> str | None:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=5,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() or None


def machine_facts() -> dict[str, Any]:
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "cpu_model": _cpu_model(),
        "cores": os.cpu_count() or 1,
        "ram_mb": _ram_mb(),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "scrapy": _version("scrapy"),
        "twisted": _version("twisted"),
        "sqlite": sqlite3.sqlite_version,
        "pypdfium2": _version("pypdfium2"),
        "pdfplumber": _version("pdfplumber"),
        "nginx": nginx_version(),
        "nianbao": _version("nianbao"),
        "git_commit": _git_commit(),
    }
