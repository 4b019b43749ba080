"""The 勾稽 (cross-total) checks of TEMPLATES.md, recorded — never used to "fix" a value.

2019/2021 (tables 三/四):

- ``requests.balance.<applicant>``: 本年新收 + 上年结转 = （七）总计 + 结转下年度 (printed on the form);
- ``requests.result_total.<applicant>``: （七）总计 = the sum of its leaf rows;
- ``requests.total_column.<row>``: the 总计 column = the sum of the six applicant columns;
- ``review.total`` / ``litigation_direct.total`` / ``litigation_after_review.total``:
  总计 = 维持 + 纠正 + 其他 + 尚未审结.

Legacy: ``legacy.requests.received`` (= its channels) and ``legacy.requests.answered`` (= its
outcomes), plus the other "total = its parts" rows of the form (办结, 不同意公开, 复议, 诉讼,
举报投诉, 报送档案馆, 工作人员), each also for the ``legacy.cumulative.*`` column.

A blank cell counts as 0 in a sum; a check whose cells are all blank is "not applicable"
(``passed=None``); a check none of whose cells exist is not recorded.
:func:`year_over_year` compares two reports of the same agency.

>>> values = {"review.upheld": 1, "review.corrected": None, "review.other": 0,
...           "review.pending": 0, "review.total": 2}
>>> [(c.rule, c.expected, c.found, c.status) for c in run_checks("2021", values)]
[('review.total', 2, 1, 'failed')]
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

from parsers.metrics.dictionary import APPLICANTS, OTHER_SPLIT, REVIEW_GROUPS, T3_ROWS_2019, check_keys
from parsers.metrics.model import CheckResult, Era, Metric, MetricsResult
from parsers.metrics.values import Number

Values = Mapping[str, Number | None]
MetricSet = MetricsResult | Iterable[Metric] | Values

_LEGACY_SUMS: list[tuple[str, list[str]]] = [
    (
        "requests.received",
        [f"requests.received_{c}" for c in ("in_person", "fax", "online", "letter", "other")],
    ),
    (
        "requests.answered",
        [
            f"requests.answered_{c}"
            for c in (
                "already_public",
                "granted",
                "partly_granted",
                "denied",
                "not_this_agency",
                "not_exist",
                "correction",
                "other_channel",
            )
        ],
    ),
    ("requests.closed", ["requests.closed_on_time", "requests.closed_extended"]),
    (
        "requests.answered_denied",
        [
            f"requests.denied_{c}"
            for c in (
                "state_secret",
                "commercial_secret",
                "privacy",
                "security_stability",
                "not_government_information",
                "other_law",
            )
        ],
    ),
    *(
        (f"{g}.total", [f"{g}.upheld", f"{g}.corrected", f"{g}.other"])
        for g in ("review", "litigation", "complaints")
    ),
    ("archive_submissions.total", ["archive_submissions.paper", "archive_submissions.electronic"]),
    ("staffing.staff", ["staffing.staff_full_time", "staffing.staff_part_time"]),
]


check_keys([f"legacy.{k}" for total, parts in _LEGACY_SUMS for k in (total, *parts)])


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-6)


def _num(x: Number) -> Number:
    return round(x, 6) if isinstance(x, float) else x


def _sum_check(rule: str, values: Values, total_keys: list[str], part_keys: list[str]) -> CheckResult | None:
    """``sum(total_keys) == sum(part_keys)``; None when no involved cell exists at all."""
    keys = total_keys + part_keys
    present = [k for k in keys if k in values]
    if not present:
        return None
    if all(values[k] is None for k in present):
        return CheckResult(rule, None, None, None, "every cell blank")
    expected = _num(sum(values.get(k) or 0 for k in total_keys))
    found = _num(sum(values.get(k) or 0 for k in part_keys))
    blank = [k for k in keys if values.get(k) is None]
    detail = f"{' + '.join(total_keys)} vs {' + '.join(part_keys)}"
    if blank:
        detail += f"; blank/missing as 0: {', '.join(blank)}"
    return CheckResult(rule, expected, found, _close(expected, found), detail)


def _leaf_rows(values: Values) -> list[str]:
    split = any(f"requests.{r}.total" in values for r in OTHER_SPLIT)
    return [*T3_ROWS_2019[2:], *(OTHER_SPLIT if split else ["result.other"])]


def _request_checks(values: Values) -> list[CheckResult | None]:
    out: list[CheckResult | None] = []
    for a in APPLICANTS:
        out.append(
            _sum_check(
                f"requests.balance.{a}",
                values,
                [f"requests.new.{a}", f"requests.carried_over.{a}"],
                [f"requests.result.total.{a}", f"requests.carried_forward.{a}"],
            )
        )
    leaves = _leaf_rows(values)
    for a in APPLICANTS:
        out.append(
            _sum_check(
                f"requests.result_total.{a}",
                values,
                [f"requests.result.total.{a}"],
                [f"requests.{r}.{a}" for r in leaves],
            )
        )
    rows = [*T3_ROWS_2019[:2], *leaves, "result.total", "carried_forward"]
    for r in rows:
        out.append(
            _sum_check(
                f"requests.total_column.{r}",
                values,
                [f"requests.{r}.total"],
                [f"requests.{r}.{a}" for a in APPLICANTS[:-1]],
            )
        )
    for g in REVIEW_GROUPS:
        out.append(
            _sum_check(
                f"{g}.total",
                values,
                [f"{g}.total"],
                [f"{g}.{k}" for k in ("upheld", "corrected", "other", "pending")],
            )
        )
    return out


def _legacy_checks(values: Values, metrics: Iterable[Metric]) -> list[CheckResult | None]:
    grouped: dict[str, list[str]] = {}
    for m in metrics:
        if m.group:
            grouped.setdefault(m.group, []).append(m.key)
    out: list[CheckResult | None] = []
    for prefix in ("legacy.", "legacy.cumulative."):
        for total, parts in _LEGACY_SUMS:
            total_key = prefix + total
            part_keys = [prefix + p for p in parts if prefix + p in values]
            part_keys += grouped.get(total_key, [])
            if total_key not in values or not part_keys:
                continue  # a variant of the form without this breakdown
            out.append(_sum_check(total_key, values, [total_key], part_keys))
    return out


def as_values(metrics: MetricSet) -> dict[str, Number | None]:
    """``{key: value}`` from a result, a list of metrics or a mapping (first key wins)."""
    if isinstance(metrics, MetricsResult):
        return metrics.values
    if isinstance(metrics, Mapping):
        return dict(metrics)
    out: dict[str, Number | None] = {}
    for m in metrics:
        out.setdefault(m.key, m.value)
    return out


def run_checks(era: Era, metrics: MetricSet) -> list[CheckResult]:
    """Every check that applies to ``metrics`` of a report of ``era``."""
    metric_list: list[Metric] = []
    if isinstance(metrics, MetricsResult):
        metric_list = metrics.metrics
    elif not isinstance(metrics, Mapping):
        metric_list = list(metrics)
        metrics = metric_list
    values = as_values(metrics)
    results: list[CheckResult | None] = []
    if any(k.startswith("legacy.") for k in values):
        results += _legacy_checks(values, metric_list)
    if era != "legacy" or any(k.startswith(("requests.", "review.")) for k in values):
        results += _request_checks(values)
    return [r for r in results if r is not None]


def year_over_year(previous: MetricSet, current: MetricSet) -> list[CheckResult]:
    """Last year's 结转下年度 = this year's 上年结转, per applicant column (same agency).

    >>> [c.status for c in year_over_year({"requests.carried_forward.total": 3},
    ...                                    {"requests.carried_over.total": 3})]
    ['passed']
    """
    prev, cur = as_values(previous), as_values(current)
    out: list[CheckResult] = []
    for a in APPLICANTS:
        before, now = f"requests.carried_forward.{a}", f"requests.carried_over.{a}"
        if before not in prev and now not in cur:
            continue
        if prev.get(before) is None and cur.get(now) is None:
            out.append(CheckResult(f"year_over_year.carried_over.{a}", None, None, None, "both blank"))
            continue
        expected, found = prev.get(before) or 0, cur.get(now) or 0
        out.append(
            CheckResult(
                f"year_over_year.carried_over.{a}",
                expected,
                found,
                _close(expected, found),
                f"previous {before} vs current {now}",
            )
        )
    return out
