"""A monitor's availability figures over a period, from the SLA windows' counters (see adapters/dynamodb_probes.py):
uptime, average and p95 response time, the error budget (in checks and in minutes), the burn rate and the
violations of the tier's targets. A period without a conclusive check has no figures: it is reported as no data,
never as 100 %.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta

from vigil_core.models.rollups import HISTOGRAM_BOUNDS, histogram_quantile
from vigil_core.models.sla import LATENCY_BUCKETS, SlaTarget


@dataclass(frozen=True, slots=True)
class AvailabilityFigures:
    total: int  # conclusive checks outside maintenance
    good: int
    uptime_pct: float
    average_latency_ms: float | None
    p95_latency_ms: float | None
    allowed_bad: float  # checks the error budget allows in the period
    budget_remaining: float  # of those, not yet spent (negative once overspent)
    budget_remaining_pct: float
    budget_remaining_minutes: float  # the same share of the period's budget in minutes
    burn_rate: float  # 1: the budget lasts exactly the period
    violations: tuple[str, ...]


def availability_figures(
    windows: Sequence[Mapping[str, float]], target: SlaTarget, period: timedelta
) -> AvailabilityFigures | None:
    """The figures of the windows' summed counters against `target`; None when they hold no conclusive check."""
    totals = {name: sum(window.get(name, 0) for window in windows) for name in ("total", "good", "latency_count")}
    total, good = int(totals["total"]), int(totals["good"])
    if total == 0:
        return None
    bad = total - good
    budget = target.error_budget
    allowed = budget * total
    latency_count = int(totals["latency_count"])
    average = sum(window.get("latency_sum_ms", 0.0) for window in windows) / latency_count if latency_count else None
    buckets = [int(sum(window.get(name, 0) for window in windows)) for name in LATENCY_BUCKETS]
    # The windows keep no minimum or maximum: a quantile in the last bucket reads as the largest bound.
    p95 = histogram_quantile(0.95, buckets, 0.0, HISTOGRAM_BOUNDS[-1]) if latency_count else None
    uptime = 100 * good / total
    violations = [
        name
        for name, violated in (
            ("availability", uptime < target.availability_pct),
            ("latency_average", average is not None and average > target.latency_ms),
            ("latency_p95", p95 is not None and p95 > target.latency_ms),
        )
        if violated
    ]
    remaining = allowed - bad
    budget_minutes = budget * period.total_seconds() / 60
    return AvailabilityFigures(
        total=total,
        good=good,
        uptime_pct=uptime,
        average_latency_ms=average,
        p95_latency_ms=p95,
        allowed_bad=allowed,
        budget_remaining=remaining,
        budget_remaining_pct=100 * remaining / allowed,
        budget_remaining_minutes=budget_minutes * remaining / allowed,
        burn_rate=(bad / total) / budget,
        violations=tuple(violations),
    )
