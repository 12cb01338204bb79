"""A monitor's availability figures over a period, from the SLA windows' counters (see adapters/dynamodb_probes.py):
uptime, average and p95 response time, the error budget (in checks and in minutes), the burn rate and the
violations of the tier's targets. A period without a conclusive check has no figures: it is reported as no data,
never as 100 %.

The budget is the whole period's. For a period still in progress (`elapsed` shorter than `period`), the checks
it allows are projected from the checks so far (total x period / elapsed), so the budget left reads as what
the rest of the period may still spend; for a finished period both are the same.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta

from vigil_core.models.rollups import HISTOGRAM_BOUNDS, histogram_quantile
from vigil_core.models.sla import LATENCY_BUCKETS, SlaTarget


@dataclass(frozen=True, slots=True)
class BudgetFigures:
    """An error budget over a period: events (checks, requests, slices) it allows to be bad, what is left."""

    allowed_bad: float  # events the budget allows in the whole period
    budget_remaining: float  # of those, not yet spent (negative once overspent)
    budget_remaining_pct: float
    budget_remaining_minutes: float  # the same share of the period's budget in minutes
    burn_rate: float  # 1: the budget lasts exactly the period


def budget_figures(
    good: float, total: float, budget: float, period: timedelta, elapsed: timedelta | None = None
) -> BudgetFigures:
    """The budget of `total` events (> 0) of which `good` were good, a `budget` share (0 < budget < 1) being
    allowed to be bad. `elapsed`: how much of the period the events cover (None: all of it)."""
    covered = period if elapsed is None or elapsed <= timedelta(0) else min(elapsed, period)
    bad = total - good
    expected_total = total * (period / covered)
    allowed = budget * expected_total
    remaining = allowed - bad
    budget_minutes = budget * period.total_seconds() / 60
    return BudgetFigures(
        allowed_bad=allowed,
        budget_remaining=remaining,
        budget_remaining_pct=100 * remaining / allowed,
        budget_remaining_minutes=budget_minutes * remaining / allowed,
        burn_rate=(bad / total) / budget,
    )


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


@dataclass(frozen=True, slots=True)
class LatencyFigures:
    count: int  # checks (or observations) that measured a response time
    average_ms: float | None
    p95_ms: float | None


def latency_figures(windows: Sequence[Mapping[str, float]]) -> LatencyFigures:
    """Average and p95 response time from the windows' latency counters and histogram (None: none timed)."""
    count = int(sum(window.get("latency_count", 0) for window in windows))
    if not count:
        return LatencyFigures(0, None, None)
    average = sum(window.get("latency_sum_ms", 0.0) for window in windows) / count
    buckets = [int(sum(window.get(name, 0) for window in windows)) for name in LATENCY_BUCKETS]
    # The windows keep no minimum or maximum: a quantile in the last bucket reads as the largest bound.
    p95 = histogram_quantile(0.95, buckets, 0.0, HISTOGRAM_BOUNDS[-1])
    return LatencyFigures(count, average, p95)


def availability_figures(
    windows: Sequence[Mapping[str, float]], target: SlaTarget, period: timedelta, elapsed: timedelta | None = None
) -> AvailabilityFigures | None:
    """The figures of the windows' summed counters against `target`; None when they hold no conclusive check.
    `elapsed`: the part of `period` the windows cover so far, for a period in progress (None: all of it)."""
    total = int(sum(window.get("total", 0) for window in windows))
    good = int(sum(window.get("good", 0) for window in windows))
    if total == 0:
        return None
    latency = latency_figures(windows)
    average, p95 = latency.average_ms, latency.p95_ms
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
    budget = budget_figures(good, total, target.error_budget, period, elapsed)
    return AvailabilityFigures(
        total=total,
        good=good,
        uptime_pct=uptime,
        average_latency_ms=average,
        p95_latency_ms=p95,
        allowed_bad=budget.allowed_bad,
        budget_remaining=budget.budget_remaining,
        budget_remaining_pct=budget.budget_remaining_pct,
        budget_remaining_minutes=budget.budget_remaining_minutes,
        burn_rate=budget.burn_rate,
        violations=tuple(violations),
    )
