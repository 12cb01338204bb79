"""SLA tiers, SLO windows and burn-rate rules, against figures computed by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from vigil_core.models.sla import (
    SERVICE_TIERS,
    TENANT_TIERS,
    SloWindow,
    WindowCoverage,
    WindowKind,
    burn_rate,
    burn_rate_rules,
    window_coverage,
)

BERLIN = "Europe/Berlin"


def test_the_seed_tables_are_the_defaults() -> None:
    tenant = {tier: (t.availability_pct, t.latency_ms, t.error_rate_pct) for tier, t in TENANT_TIERS.items()}
    assert tenant == {"basic": (99.0, 1000, 2.0), "professional": (99.5, 750, 1.5), "enterprise": (99.9, 500, 0.5)}
    service = {key: (t.availability_pct, t.latency_ms, t.error_rate_pct) for key, t in SERVICE_TIERS.items()}
    assert service == {
        ("standard", "api"): (99.9, 500, 1.0),
        ("standard", "database"): (99.95, 100, 0.1),
        ("premium", "api"): (99.95, 300, 0.5),
        ("premium", "database"): (99.99, 50, 0.05),
        ("enterprise", "api"): (99.99, 200, 0.1),
        ("enterprise", "database"): (99.99, 200, 0.1),
    }
    # And every tier's recovery time target is 15 minutes; 99.9 % leaves a budget of 0.1 %
    assert {t.recovery_time_s for t in [*TENANT_TIERS.values(), *SERVICE_TIERS.values()]} == {900}
    assert TENANT_TIERS["enterprise"].error_budget == pytest.approx(0.001)


@pytest.mark.parametrize(
    ("days", "factors"),
    [
        (30, [14.4, 6.0, 1.0]),  # the Workbook's table
        (28, [13.44, 5.6, 0.933333]),  # 0.02 * 672 h / 1 h, 0.05 * 672 / 6, 0.10 * 672 / 72
        (7, [3.36, 1.4, 0.233333]),  # 0.02 * 168, 0.05 * 168 / 6, 0.10 * 168 / 72
    ],
)
def test_burn_rate_factors_are_derived_from_the_slo_window(days: int, factors: list[float]) -> None:
    rules = burn_rate_rules(timedelta(days=days))
    assert [rule.factor for rule in rules] == factors
    assert [(rule.action, rule.long_window, rule.short_window) for rule in rules] == [
        ("page", timedelta(hours=1), timedelta(minutes=5)),
        ("page", timedelta(hours=6), timedelta(minutes=30)),
        ("ticket", timedelta(days=3), timedelta(hours=6)),
    ]


def test_a_burst_that_burns_two_percent_of_a_30_day_budget_in_an_hour_pages() -> None:
    # Given a 99.9 % SLO (budget 0.1 %) over 30 days, and an hour at 1.5 % errors (its last 5 minutes too)
    fast, _, _ = burn_rate_rules(timedelta(days=30))
    budget = 0.001
    # Then it burns 15x the budget: 15 * 0.1 % * 1 h = 2.08 % of the 720 h budget, and the first row pages
    assert burn_rate(0.015, budget) == pytest.approx(15.0)
    assert fast.fires(0.015, 0.015, budget)
    # But not once the burst is over: the 5-minute window is clean again
    assert not fast.fires(0.015, 0.0, budget)


def test_a_slow_burn_opens_a_ticket_and_pages_nobody() -> None:
    # Given 0.15 % errors for three days against a 0.1 % budget: 1.5x the sustainable rate
    fast, six_hours, ticket = burn_rate_rules(timedelta(days=30))
    budget = 0.001
    # Then the three-day row opens a ticket, and neither paging row fires
    assert ticket.fires(0.0015, 0.0015, budget)
    assert not fast.fires(0.0015, 0.0015, budget)
    assert not six_hours.fires(0.0015, 0.0015, budget)


@pytest.mark.parametrize(
    ("at", "start", "end", "hours"),
    [
        # March 2026 in Berlin: the clocks go forward on the 29th, so the month has 743 hours
        (
            datetime(2026, 3, 15, tzinfo=UTC),
            datetime(2026, 2, 28, 23, tzinfo=UTC),
            datetime(2026, 3, 31, 22, tzinfo=UTC),
            743,
        ),
        # October 2026: back on the 25th, 745 hours
        (
            datetime(2026, 10, 1, tzinfo=UTC),
            datetime(2026, 9, 30, 22, tzinfo=UTC),
            datetime(2026, 10, 31, 23, tzinfo=UTC),
            745,
        ),
        # 22:30 UTC on 31 March is already April in Berlin
        (
            datetime(2026, 3, 31, 22, 30, tzinfo=UTC),
            datetime(2026, 3, 31, 22, tzinfo=UTC),
            datetime(2026, 4, 30, 22, tzinfo=UTC),
            720,
        ),
        # December runs into the next year
        (
            datetime(2026, 12, 31, 12, tzinfo=UTC),
            datetime(2026, 11, 30, 23, tzinfo=UTC),
            datetime(2026, 12, 31, 23, tzinfo=UTC),
            744,
        ),
    ],
)
def test_a_calendar_month_in_the_tenants_zone(at: datetime, start: datetime, end: datetime, hours: int) -> None:
    window = SloWindow(WindowKind.CALENDAR_MONTH, timezone=BERLIN)
    assert window.bounds(at) == (start, end)
    assert window.length(at) == timedelta(hours=hours)


def test_february_has_a_leap_day_in_2028_and_not_in_2026() -> None:
    month = SloWindow(WindowKind.CALENDAR_MONTH)
    assert month.length(datetime(2028, 2, 29, 12, tzinfo=UTC)) == timedelta(days=29)
    assert month.length(datetime(2026, 2, 10, tzinfo=UTC)) == timedelta(days=28)


@pytest.mark.parametrize(
    ("at", "start", "end", "length"),
    [
        # Q1 2026 in Berlin: 90 days, less the hour the clocks go forward
        (
            datetime(2026, 2, 1, tzinfo=UTC),
            datetime(2025, 12, 31, 23, tzinfo=UTC),
            datetime(2026, 3, 31, 22, tzinfo=UTC),
            timedelta(days=90, hours=-1),
        ),
        # Q2: 91 days, no change of the clocks
        (
            datetime(2026, 5, 10, tzinfo=UTC),
            datetime(2026, 3, 31, 22, tzinfo=UTC),
            datetime(2026, 6, 30, 22, tzinfo=UTC),
            timedelta(days=91),
        ),
        # Q4: 92 days and the hour the clocks go back
        (
            datetime(2026, 11, 23, tzinfo=UTC),
            datetime(2026, 9, 30, 22, tzinfo=UTC),
            datetime(2026, 12, 31, 23, tzinfo=UTC),
            timedelta(days=92, hours=1),
        ),
    ],
)
def test_a_calendar_quarter_in_the_tenants_zone(
    at: datetime, start: datetime, end: datetime, length: timedelta
) -> None:
    window = SloWindow(WindowKind.CALENDAR_QUARTER, timezone=BERLIN)
    assert window.bounds(at) == (start, end)
    assert window.length(at) == length


def test_a_rolling_window_ends_now() -> None:
    at = datetime(2026, 11, 23, 6, tzinfo=UTC)
    assert SloWindow(WindowKind.ROLLING, days=28).bounds(at) == (datetime(2026, 10, 26, 6, tzinfo=UTC), at)


def epoch(year: int, month: int, day: int, hour: int = 0) -> int:
    return int(datetime(year, month, day, hour, tzinfo=UTC).timestamp())


def test_a_30_day_period_ending_mid_day_reads_30_days_and_24_hours() -> None:
    # Given the 30 days before 10:00 UTC on 23 November 2026
    end = datetime(2026, 11, 23, 10, tzinfo=UTC)
    coverage = window_coverage(end - timedelta(days=30), end)
    # Then the 29 whole days 25 October .. 22 November come from daily windows, the 14 hours of 24 October
    # and the 10 of 23 November from hourly ones: 24 hourly items, however often the monitor is checked
    assert coverage.days == tuple(range(epoch(2026, 10, 25), epoch(2026, 11, 23), 86400))
    assert len(coverage.days) == 29
    assert coverage.hours == (
        *range(epoch(2026, 10, 24, 10), epoch(2026, 10, 25), 3600),
        *range(epoch(2026, 11, 23), epoch(2026, 11, 23, 10), 3600),
    )
    assert len(coverage.hours) == 24


def test_a_calendar_month_in_berlin_reads_its_whole_utc_days_and_the_hours_at_either_end() -> None:
    # Given March 2026 in Berlin: 28 February 23:00 UTC to 31 March 22:00 UTC
    start, end = SloWindow(WindowKind.CALENDAR_MONTH, timezone=BERLIN).bounds(datetime(2026, 3, 15, tzinfo=UTC))
    coverage = window_coverage(start, end)
    # Then 1..30 March are daily windows (30), 23:00 on the 28th and 00:00-21:00 on the 31st hourly (1 + 22)
    assert (len(coverage.days), len(coverage.hours)) == (30, 23)
    assert coverage.hours[0] == epoch(2026, 2, 28, 23) and coverage.hours[-1] == epoch(2026, 3, 31, 21)
    # And together they are the month's 743 hours, each once
    covered = {hour for day in coverage.days for hour in range(day, day + 86400, 3600)} | set(coverage.hours)
    assert len(covered) == 743 == len(coverage.days) * 24 + len(coverage.hours)


def test_a_period_inside_one_day_reads_hours_only_and_a_ragged_one_is_refused() -> None:
    day = datetime(2026, 11, 23, tzinfo=UTC)
    coverage = window_coverage(day + timedelta(hours=3), day + timedelta(hours=7))
    assert coverage == WindowCoverage((), tuple(range(epoch(2026, 11, 23, 3), epoch(2026, 11, 23, 7), 3600)))
    assert window_coverage(day, day) == WindowCoverage((), ())
    with pytest.raises(ValueError, match="whole hour"):
        window_coverage(day + timedelta(minutes=30), day + timedelta(hours=2))
