"""A benchmark section's result, the summary table and ``latest.json``.

Each section reports its figures, one ratio against its baseline or limit (what the
target is about), the target in words and whether it was met.

>>> s = section("recrawl", {"bytes_first": 1000, "bytes_second": 20}, ratio=0.02,
...             ratio_of="second / first crawl bytes", target="<= 0.05", passed=True)
>>> s["ratio"], s["pass"]
(0.02, True)
>>> print(format_table({"recrawl": s}).splitlines()[2])
recrawl         0.020  <= 0.05                                    pass  second / first crawl bytes
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def section(
    name: str,
    figures: dict[str, Any],
    *,
    ratio: float | None,
    ratio_of: str,
    target: str,
    passed: bool | None,
    notes: list[str] | None = None,
) -> dict[str, Any]:
    return {
        "name": name,
        "ratio": None if ratio is None else round(float(ratio), 4),
        "ratio_of": ratio_of,
        "target": target,
        "pass": passed,
        "figures": figures,
        "notes": notes or [],
    }


def skipped(name: str, reason: str, *, ratio_of: str = "", target: str = "") -> dict[str, Any]:
    return section(
        name,
        {},
        ratio=None,
        ratio_of=ratio_of,
        target=target,
        passed=None,
        notes=[f"skipped: {reason}"],
    )


def format_table(sections: dict[str, dict[str, Any]]) -> str:
    lines = [f"{'section':15} {'ratio':>6}  {'target':41} {'result':5} what", "-" * 100]
    for name, s in sections.items():
        ratio = "-" if s["ratio"] is None else f"{s['ratio']:.3f}"
        result = {True: "pass", False: "MISS", None: "-"}[s["pass"]]
        lines.append(f"{name:15} {ratio:>6}  {s['target'][:41]:41} {result:5} {s['ratio_of']}")
    return "\n".join(lines)


def format_figures(sections: dict[str, dict[str, Any]]) -> str:
    lines = []
    for name, s in sections.items():
        lines.append(f"[{name}]")
        for key, value in s["figures"].items():
            if isinstance(value, (dict, list)):
                value = json.dumps(value, ensure_ascii=False)
            lines.append(f"  {key}: {value}")
        lines += [f"  note: {n}" for n in s["notes"]]
    return "\n".join(lines)


def write_json(path: Path, payload: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(payload, ensure_ascii=False, indent=1, default=str), "utf-8")
    tmp.replace(path)
