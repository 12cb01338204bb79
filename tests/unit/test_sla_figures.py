"""Availability figures from SLA window counters, against figures computed by hand."""

from __future__ import annotations

from datetime import timedelta

import pytest

from vigil_core.models.sla import TENANT_TIERS
from vigil_core.services.sla_figures import availability_figures

THIRTY_DAYS = timedelta(days=30)


def window(total: int, good: int, **latency: float) -> dict[str, float]:
    return {"total": total, "good": good, **latency}


def test_a_period_without_a_conclusive_check_is_no_data_not_100_percent() -> None:
    assert availability_figures([], TENANT_TIERS["basic"], THIRTY_DAYS) is None
    assert availability_figures([window(0, 0), window(0, 0)], TENANT_TIERS["basic"], THIRTY_DAYS) is None


def test_a_budget_spent_exactly_leaves_nothing_and_burns_at_one() -> None:
    # Given 2,000 checks, 10 bad, against professional's 99.5 % (a budget of 10 bad checks)
    figures = availability_figures([window(2000, 1990)], TENANT_TIERS["professional"], THIRTY_DAYS)
    # Then uptime is exactly the target (no violation), the budget is spent, and it burned at the sustainable rate
    assert figures is not None
    assert figures.uptime_pct == pytest.approx(99.5)
    assert figures.allowed_bad == pytest.approx(10)
    assert (figures.budget_remaining, figures.budget_remaining_minutes) == (pytest.approx(0), pytest.approx(0))
    assert figures.burn_rate == pytest.approx(1.0)
    assert figures.violations == ()


def test_half_a_budget_left_in_checks_and_in_minutes() -> None:
    # Given two windows of 1,000 checks with one bad one between them, against enterprise's 99.9 %
    figures = availability_figures([window(1000, 999), window(1000, 1000)], TENANT_TIERS["enterprise"], THIRTY_DAYS)
    # Then 2 bad checks were allowed and 1 is left: half the 43.2 minutes 0.1 % of 30 days allows
    assert figures is not None
    assert figures.uptime_pct == pytest.approx(99.95)
    assert (figures.allowed_bad, figures.budget_remaining) == (pytest.approx(2), pytest.approx(1))
    assert figures.budget_remaining_pct == pytest.approx(50)
    assert figures.budget_remaining_minutes == pytest.approx(21.6)
    assert figures.burn_rate == pytest.approx(0.5)


def test_an_overspent_budget_is_negative_and_a_violation() -> None:
    figures = availability_figures([window(1000, 980)], TENANT_TIERS["basic"], THIRTY_DAYS)
    # 99.0 % allows 10 of 1,000; 20 were bad: -10 left (-100 %), burning twice the rate, uptime 98 % < 99 %
    assert figures is not None
    assert (figures.budget_remaining, figures.budget_remaining_pct) == (pytest.approx(-10), pytest.approx(-100))
    assert figures.burn_rate == pytest.approx(2.0)
    assert figures.violations == ("availability",)


def test_latency_average_and_p95_from_the_windows_histogram() -> None:
    # Given 20 timed checks: 19 between 150 and 250 ms and one between 750 and 1,000 ms, 4,700 ms in all
    timed = window(20, 20, latency_count=20, latency_sum_ms=4700, lb09=19, lb12=1)
    figures = availability_figures([timed], TENANT_TIERS["enterprise"], THIRTY_DAYS)
    # Then the average is 235 ms, and the 95th percentile (the 19th check) the top of the 150-250 bucket
    assert figures is not None
    assert figures.average_latency_ms == pytest.approx(235)
    assert figures.p95_latency_ms == pytest.approx(250)
    assert figures.violations == ()


def test_a_p95_over_the_tiers_latency_is_a_violation_even_when_the_average_is_not() -> None:
    # Given two of 20 checks between 750 and 1,000 ms: the 19th lies halfway into that bucket, 875 ms
    slow = window(20, 20, latency_count=20, latency_sum_ms=5400, lb09=18, lb12=2)
    figures = availability_figures([slow], TENANT_TIERS["professional"], THIRTY_DAYS)
    assert figures is not None
    assert (figures.average_latency_ms, figures.p95_latency_ms) == (pytest.approx(270), pytest.approx(875))
    assert figures.violations == ("latency_p95",)
