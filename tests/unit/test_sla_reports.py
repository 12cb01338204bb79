"""SLA reports on synthetic SLA windows, against figures computed by hand."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

import pytest

from vigil_core.adapters.dynamodb_slos import InMemorySloRepository
from vigil_core.adapters.memory import InMemoryTenantDirectory
from vigil_core.adapters.memory_alerts import MemoryAlertStore
from vigil_core.adapters.memory_probes import InMemoryMonitorRepository
from vigil_core.adapters.sla_windows import InMemorySlaWindows
from vigil_core.errors import VigilError
from vigil_core.models.alerts import Alert, AlertChange, AlertSource, AlertStatus, HistoryEntry, Severity
from vigil_core.models.monitors import MONITOR_DEFINITION, Monitor
from vigil_core.models.sla import TENANT_TIERS
from vigil_core.models.slo import SLO_DEFINITION, SlaPolicy, Slo
from vigil_core.models.tenants import SlaTier, Tenant
from vigil_core.services.sla_reports import (
    IncidentStats,
    PeriodKind,
    SlaReportService,
    health_score,
    parse_report_query,
    report_period,
    tenant_target,
)

CREATED = datetime(2025, 1, 1, tzinfo=UTC)
BERLIN = "Europe/Berlin"
MINUTE_OK = {"total": 60, "good": 60}  # an hour of one check a minute, all good


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def epoch(year: int, month: int, day: int, hour: int = 0) -> int:
    return int(at(year, month, day, hour).timestamp())


def make_monitor(tenant: str, monitor_id: str, name: str | None = None, interval: str = "60s") -> Monitor:
    body = {"type": "http", "name": name or monitor_id, "target": "https://example.com/", "interval": interval}
    return Monitor(
        tenant_id=tenant,
        id=monitor_id,
        definition=MONITOR_DEFINITION.validate_python(body),
        created_at=CREATED,
        updated_at=CREATED,
    )


def make_slo(tenant: str, slo_id: str, **definition: Any) -> Slo:
    return Slo(
        tenant_id=tenant,
        id=slo_id,
        definition=SLO_DEFINITION.validate_python({"name": slo_id, **definition}),
        created_at=CREATED,
        updated_at=CREATED,
    )


def make_alert(
    tenant: str,
    fingerprint: str,
    history: list[tuple[datetime, AlertStatus]],
    monitor: str | None = None,
    rule: str = "service-down",
) -> Alert:
    labels = {"alertname": rule, "severity": "critical"}
    if monitor is not None:
        labels["monitor"] = monitor
    last_at, last_status = history[-1]
    return Alert(
        tenant_id=tenant,
        fingerprint=fingerprint,
        rule_id=rule,
        rule_name=rule,
        source=AlertSource.PROBE if monitor else AlertSource.RULE,
        status=last_status,
        severity=Severity.CRITICAL,
        labels=labels,
        group_labels={"monitor": monitor} if monitor else {},
        first_seen=history[0][0],
        last_seen=last_at,
        changed_at=last_at,
        history=tuple(HistoryEntry(at=when, status=status, severity=Severity.CRITICAL) for when, status in history),
    )


class CountingWindows(InMemorySlaWindows):
    """The in-memory windows, counting the items and queries a reader gets."""

    def __init__(self) -> None:
        super().__init__()
        self.items_returned = 0
        self.queries = 0

    def windows(
        self, partition: str, resolution: Literal["minute", "hour", "day"], start_epoch: int, end_epoch: int
    ) -> list[dict[str, int | float]]:
        found = super().windows(partition, resolution, start_epoch, end_epoch)
        self.items_returned += len(found)
        self.queries += 1
        return found


@dataclass
class Platform:
    tenants: InMemoryTenantDirectory = field(default_factory=InMemoryTenantDirectory)
    monitors: InMemoryMonitorRepository = field(default_factory=InMemoryMonitorRepository)
    slos: InMemorySloRepository = field(default_factory=InMemorySloRepository)
    windows: CountingWindows = field(default_factory=CountingWindows)
    alerts: MemoryAlertStore = field(default_factory=MemoryAlertStore)

    def tenant(
        self, tenant_id: str, tier: SlaTier = SlaTier.ENTERPRISE, timezone: str = "UTC", name: str | None = None
    ) -> None:
        self.tenants.put_tenant(Tenant(id=tenant_id, name=name or tenant_id.title(), sla_tier=tier, created_at=CREATED))
        if timezone != "UTC":
            self.slos.put_sla_policy(tenant_id, SlaPolicy(timezone=timezone))

    def monitor(self, tenant: str, monitor_id: str, name: str | None = None) -> None:
        self.monitors.create(make_monitor(tenant, monitor_id, name))

    def hours(self, partition: str, start: datetime, end: datetime, counters: Mapping[str, float] = MINUTE_OK) -> None:
        """The same counters in every hour of [start, end)."""
        for hour in range(int(start.timestamp()), int(end.timestamp()), 3600):
            self.windows.add(partition, hour, counters)

    def alert(self, alert: Alert) -> None:
        assert self.alerts.save(AlertChange(alert, 0, None))

    def service(self) -> SlaReportService:
        return SlaReportService(self.tenants, self.monitors, self.slos, self.windows, self.alerts)


def problem_field(error: VigilError) -> str:
    return error.problems[0].field


# -- periods ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "timezone", "on", "label", "first", "last", "start", "end", "hours"),
    [
        # The day Berlin's clocks go forward has 23 hours
        ("daily", BERLIN, "2026-03-29", "2026-03-29", date(2026, 3, 29), date(2026, 3, 29), at(2026, 3, 28, 23), at(2026, 3, 29, 22), 23),
        # An ISO week runs Monday to Sunday; this one holds that day too
        ("weekly", BERLIN, "2026-03-25", "2026-W13", date(2026, 3, 23), date(2026, 3, 29), at(2026, 3, 22, 23), at(2026, 3, 29, 22), 167),
        # ... and a week can straddle the new year: 1 January 2027 (a Friday) is in 2026's 53rd week
        ("weekly", "UTC", "2027-01-01", "2026-W53", date(2026, 12, 28), date(2027, 1, 3), at(2026, 12, 28), at(2027, 1, 4), 168),
        # A DST month in Berlin: 743 h in March, 745 h in October
        ("monthly", BERLIN, "2026-03-31", "2026-03", date(2026, 3, 1), date(2026, 3, 31), at(2026, 2, 28, 23), at(2026, 3, 31, 22), 743),
        ("monthly", BERLIN, "2026-10-01", "2026-10", date(2026, 10, 1), date(2026, 10, 31), at(2026, 9, 30, 22), at(2026, 10, 31, 23), 745),
        # A leap February: 29 days, 696 h
        ("monthly", "UTC", "2028-02-29", "2028-02", date(2028, 2, 1), date(2028, 2, 29), at(2028, 2, 1), at(2028, 3, 1), 696),
        # Q1 2026 in Berlin: 90 days less the hour the clocks go forward
        ("quarterly", BERLIN, "2026-02-14", "2026-Q1", date(2026, 1, 1), date(2026, 3, 31), at(2025, 12, 31, 23), at(2026, 3, 31, 22), 2159),
    ],
)  # fmt: skip
def test_a_period_is_the_calendar_day_week_month_or_quarter_in_the_tenants_zone(
    kind: str, timezone: str, on: str, label: str, first: date, last: date, start: datetime, end: datetime, hours: int
) -> None:
    period = report_period(kind, timezone, on, now=at(2030, 1, 1))
    assert (period.label, period.first_day, period.last_day) == (label, first, last)
    assert (period.start, period.end, period.period_end) == (start, end, end)
    assert period.hours == hours
    assert not period.partial and period.notes == ()


def test_a_period_in_progress_ends_at_the_next_whole_hour_and_is_partial() -> None:
    # Given 10:30 UTC on 20 March 2026, and this month's period
    period = report_period("monthly", "UTC", None, now=at(2026, 3, 20, 10, 30))
    # Then it covers 1 March to 11:00 (the current hour so far), 467 of the month's 744 hours
    assert (period.start, period.end, period.period_end) == (at(2026, 3, 1), at(2026, 3, 20, 11), at(2026, 4, 1))
    assert period.partial
    assert period.elapsed == timedelta(hours=467) and period.hours == 744
    assert "in progress" in period.notes[0]


def test_the_default_date_is_today_in_the_tenants_zone() -> None:
    # 23:30 UTC on 31 March is already 1 April in Berlin: its month is April, not March
    period = report_period("monthly", BERLIN, None, now=at(2026, 3, 31, 23, 30))
    assert period.label == "2026-04" and period.start == at(2026, 3, 31, 22)


def test_a_zone_half_an_hour_off_utc_is_measured_over_the_whole_utc_hours_containing_it() -> None:
    # Given March 2026 in Kolkata (+05:30): local midnight is 18:30 UTC, which no hourly window starts at
    period = report_period("monthly", "Asia/Kolkata", "2026-03-10", now=at(2027, 1, 1))
    # Then the period is rounded out to 18:00 UTC on 28 February .. 19:00 UTC on 31 March: 745 h, not 744
    assert (period.start, period.period_end) == (at(2026, 2, 28, 18), at(2026, 3, 31, 19))
    assert period.hours == 745
    # And the report says so
    assert len(period.notes) == 1 and "not a whole UTC hour" in period.notes[0]
    assert "2026-02-28 18:00 to 2026-03-31 19:00 UTC" in period.notes[0]


@pytest.mark.parametrize(
    ("kind", "on", "field_name"),
    [
        ("yearly", None, "period"),
        ("", None, "period"),
        ("monthly", "2026-3-1", "date"),
        ("monthly", "2026-02-30", "date"),
        ("monthly", "yesterday", "date"),
        ("monthly", "1999-12-31", "date"),
    ],
)
def test_a_bad_period_or_date_is_a_400_naming_the_field(kind: str, on: str | None, field_name: str) -> None:
    with pytest.raises(VigilError) as caught:
        report_period(kind, "UTC", on, now=at(2026, 3, 20))
    assert caught.value.status == 400 and problem_field(caught.value) == field_name


def test_a_tenant_report_for_a_period_not_begun_yet_is_a_400_on_date_and_an_unknown_tenant_a_404() -> None:
    platform = Platform()
    platform.tenant("acme")
    service = platform.service()
    with pytest.raises(VigilError) as caught:
        service.tenant_report("acme", "daily", "2026-03-21", now=at(2026, 3, 20, 12))
    assert (caught.value.status, problem_field(caught.value)) == (400, "date")
    with pytest.raises(VigilError) as missing:
        service.tenant_report("globex", now=at(2026, 3, 20, 12))
    assert missing.value.status == 404


# -- targets ------------------------------------------------------------------------------------------------


def test_the_target_is_the_tenants_tier_with_its_policys_overrides() -> None:
    tenant = Tenant(id="acme", name="Acme", sla_tier=SlaTier.PROFESSIONAL, created_at=CREATED)
    assert tenant_target(tenant) == TENANT_TIERS["professional"]
    # A standard or premium tenant gets the service table's API row
    premium = tenant.model_copy(update={"sla_tier": SlaTier.PREMIUM})
    assert (tenant_target(premium).availability_pct, tenant_target(premium).latency_ms) == (99.95, 300)
    # The policy's tier wins over the tenant's, and its overrides over the tier's
    policy = SlaPolicy(tier="enterprise", latency_ms=250, recovery_time_s=600)
    target = tenant_target(tenant, policy)
    assert (target.availability_pct, target.latency_ms, target.error_rate_pct, target.recovery_time_s) == (
        99.9,
        250,
        0.5,
        600,
    )


# -- monitors: month ends, leap day, DST, partial, no data ----------------------------------------------------


@pytest.mark.parametrize(
    ("on", "first", "after", "hours", "allowed", "days_read"),
    [
        # January: 744 h; one check a minute is 44,640 checks; 1 % of them (basic) may fail: 446.4
        ("2026-01-31", at(2026, 1, 1), at(2026, 2, 1), 744, 446.4, 31),
        # April: 720 h, 43,200 checks, 432 allowed
        ("2026-04-30", at(2026, 4, 1), at(2026, 5, 1), 720, 432.0, 30),
    ],
)
def test_a_month_ending_on_the_31st_or_the_30th_counts_its_own_days_only(
    on: str, first: datetime, after: datetime, hours: int, allowed: float, days_read: int
) -> None:
    # Given a basic tenant's monitor checked once a minute, with one hour all down on the 15th, and bad days on
    # either side of the month that must not count
    platform = Platform()
    platform.tenant("acme", SlaTier.BASIC)
    platform.monitor("acme", "api")
    platform.hours("acme#api", first, after)
    platform.hours("acme#api", first.replace(day=15, hour=10), first.replace(day=15, hour=11), {"good": -60})
    platform.hours("acme#api", first - timedelta(days=1), first, {"total": 60})
    platform.hours("acme#api", after, after + timedelta(days=1), {"total": 60})
    # When the month is reported on its last day, after it ended
    report = platform.service().tenant_report("acme", "monthly", on, include_previous=False, now=at(2026, 6, 1))
    # Then it holds that month's checks, 60 bad: the budget left is allowed - 60, in checks and (one check a
    # minute) in minutes of the period's budget
    figures = report.monitors[0].figures
    assert figures is not None
    assert report.period.hours == hours and report.period.last_day.day == hours // 24
    assert (figures.total, figures.good) == (hours * 60, hours * 60 - 60)
    assert figures.allowed_bad == pytest.approx(allowed)
    assert figures.budget_remaining == pytest.approx(allowed - 60)
    assert figures.budget_remaining_minutes == pytest.approx(allowed - 60)
    assert figures.uptime_pct == pytest.approx(100 * (hours * 60 - 60) / (hours * 60))
    assert report.monitors[0].window_items_read == days_read
    assert report.summary.compliant is True


def test_a_leap_february_has_29_days_and_696_hours_of_budget() -> None:
    # Given an enterprise tenant's monitor checked once a minute through February 2028
    platform = Platform()
    platform.tenant("acme", SlaTier.ENTERPRISE)
    platform.monitor("acme", "api")
    platform.hours("acme#api", at(2028, 1, 31), at(2028, 3, 2))
    # When February is reported by its leap day
    report = platform.service().tenant_report(
        "acme", "monthly", "2028-02-29", include_previous=False, now=at(2028, 3, 5)
    )
    figures = report.monitors[0].figures
    # Then it holds 29 days of checks, and 0.1 % of 696 h is 41.76 minutes of budget, all of it left
    assert figures is not None
    assert report.period.hours == 696 and figures.total == 696 * 60
    assert figures.budget_remaining_minutes == pytest.approx(41.76)
    assert report.monitors[0].window_items_read == 29
    assert [point.label for point in report.trend.points][-2:] == ["2028-02-28", "2028-02-29"]
    assert len(report.trend.points) == 29


@pytest.mark.parametrize(
    ("on", "hours", "budget_minutes", "items"),
    [
        # March 2026: 30 whole UTC days, 23:00 on 28 February and 00:00-21:00 on the 31st: 30 + 23 items
        ("2026-03-15", 743, 44.58, 53),
        # October 2026: 22:00-23:00 on 30 September, 30 days, 00:00-22:00 on the 31st: 30 + 25 items
        ("2026-10-15", 745, 44.7, 55),
    ],
)
def test_a_dst_month_in_berlin_counts_its_743_or_745_hours_and_their_budget_minutes(
    on: str, hours: int, budget_minutes: float, items: int
) -> None:
    # Given a Berlin enterprise tenant's monitor checked once a minute, all good, well around the month
    platform = Platform()
    platform.tenant("acme", SlaTier.ENTERPRISE, BERLIN)
    platform.monitor("acme", "api")
    month = date.fromisoformat(on).replace(day=1)
    platform.hours(
        "acme#api",
        at(month.year, month.month, 1) - timedelta(days=2),
        at(month.year, month.month, 28) + timedelta(days=6),
    )
    # When the month is reported
    report = platform.service().tenant_report("acme", "monthly", on, include_previous=False, now=at(2027, 1, 1))
    figures = report.monitors[0].figures
    # Then it holds that many hours of checks, and 0.1 % of them in minutes is the whole budget left
    assert figures is not None
    assert report.period.hours == hours and figures.total == hours * 60
    assert figures.budget_remaining_minutes == pytest.approx(budget_minutes)
    assert figures.budget_remaining_pct == pytest.approx(100)
    assert report.monitors[0].window_items_read == items <= 31 + 24
    # And the trend has the month's 31 local days
    assert len(report.trend.points) == 31 and report.trend.points[0].label == f"{month:%Y-%m}-01"


def test_a_march_in_berlin_trend_puts_each_window_in_the_local_day_it_mostly_covers() -> None:
    platform = Platform()
    platform.tenant("acme", SlaTier.ENTERPRISE, BERLIN)
    platform.monitor("acme", "api")
    platform.hours("acme#api", at(2026, 2, 27), at(2026, 4, 2))
    report = platform.service().tenant_report(
        "acme", "monthly", "2026-03-01", include_previous=False, now=at(2026, 5, 1)
    )
    checks = [point.checks for point in report.trend.points]
    # 1 March: 23:00 UTC on 28 February and the UTC day of 1 March; 31 March: its 22 hours up to 22:00 UTC
    assert (checks[0], checks[-1]) == (25 * 60, 22 * 60)
    assert checks[1:-1] == [1440] * 29
    assert sum(checks) == 743 * 60
    assert report.trend.points[0].start == at(2026, 2, 28, 23)


def test_a_report_mid_month_projects_the_budget_over_the_whole_month() -> None:
    # Given an enterprise tenant's monitor checked once a minute from 1 March to 10:59 on the 20th (the hour in
    # progress too), 30 of those checks bad
    platform = Platform()
    platform.tenant("acme", SlaTier.ENTERPRISE)
    platform.monitor("acme", "api")
    platform.hours("acme#api", at(2026, 3, 1), at(2026, 3, 20, 11))
    platform.hours("acme#api", at(2026, 3, 5, 10), at(2026, 3, 5, 11), {"good": -30})
    # When this month is reported at 10:30 on the 20th
    report = platform.service().tenant_report("acme", "monthly", now=at(2026, 3, 20, 10, 30), include_previous=False)
    figures = report.monitors[0].figures
    # Then it covers the 467 hours so far (19 days and 11 hours): 28,020 checks, 30 bad
    assert figures is not None
    assert report.period.partial and report.period.end == at(2026, 3, 20, 11)
    assert (figures.total, figures.total - figures.good) == (28020, 30)
    # And the month's budget is 0.1 % of the 44,640 checks a whole month at this rate makes: 44.64, 14.64 left;
    # in minutes 0.1 % of 744 h (44.64 min) less the 30 minutes the bad checks stand for
    assert figures.allowed_bad == pytest.approx(44.64)
    assert figures.budget_remaining == pytest.approx(14.64)
    assert figures.budget_remaining_minutes == pytest.approx(14.64)
    assert figures.budget_remaining_pct == pytest.approx(100 * 14.64 / 44.64)
    # And it burns at (30 / 28,020) / 0.1 %
    assert figures.burn_rate == pytest.approx(30 / 28020 / 0.001)
    # And the trend stops today
    assert report.trend.points[-1].label == "2026-03-20" and len(report.trend.points) == 20
    # The days before the 20th came from daily windows, the 20th's 11 hours from hourly ones
    assert report.monitors[0].window_items_read == 19 + 11


def test_a_monitor_and_a_tenant_without_data_are_no_data_never_100_percent() -> None:
    # Given a tenant with a monitor and an SLO that counted nothing this month (and data in another month)
    platform = Platform()
    platform.tenant("acme")
    platform.monitor("acme", "api")
    platform.slos.put(make_slo("acme", "api-availability", sli={"kind": "availability", "monitor": "api"}))
    platform.hours("acme#api", at(2026, 1, 1), at(2026, 1, 2))
    report = platform.service().tenant_report(
        "acme", "monthly", "2026-03-01", include_previous=False, now=at(2026, 4, 2)
    )
    # Then nothing is 100 %: every figure is None and every status no data
    monitor, slo = report.monitors[0], report.slos[0]
    assert (monitor.figures, monitor.status) == (None, "no_data")
    assert (slo.attainment_pct, slo.budget, slo.violated, slo.status) == (None, None, None, "no_data")
    summary = report.summary
    assert (summary.availability_pct, summary.average_latency_ms, summary.p95_latency_ms) == (None, None, None)
    assert (summary.compliant, summary.status, summary.health_score) == (None, "no_data", None)
    assert all(point.availability_pct is None for point in report.trend.points)


# -- reads ----------------------------------------------------------------------------------------------------


def test_a_30_day_month_reads_the_same_items_for_a_monitor_checked_every_30s_as_every_5_minutes() -> None:
    # Given two monitors of a Berlin tenant through April 2026 (30 days), one checked every 30 s, one every 5 min
    platform = Platform()
    platform.tenant("acme", SlaTier.ENTERPRISE, BERLIN)
    platform.monitor("acme", "fast")
    platform.monitor("acme", "slow")
    first, after = epoch(2026, 3, 31, 20), epoch(2026, 5, 1)
    for second in range(first, after, 30):
        platform.windows.add("acme#fast", second, {"total": 1, "good": 1})
    for second in range(first, after, 300):
        platform.windows.add("acme#slow", second, {"total": 1, "good": 1})
    # When April is reported
    report = platform.service().tenant_report(
        "acme", "monthly", "2026-04-30", include_previous=False, now=at(2026, 5, 2)
    )
    fast, slow = report.monitors
    # Then both read 22:00 and 23:00 on 31 March, 1..29 April and 00:00-21:00 on the 30th: 29 + 24 items
    assert fast.window_items_read == slow.window_items_read == 53 <= 31 + 24
    assert fast.figures is not None and slow.figures is not None
    assert (fast.figures.total, slow.figures.total) == (720 * 120, 720 * 12)
    # And the count is what the store returned, in three queries a monitor (days, and the hours at either end)
    assert report.window_items_read == platform.windows.items_returned == 106
    assert platform.windows.queries == 6


def test_an_slo_on_a_monitor_reuses_its_windows_and_a_metric_slo_reads_its_own() -> None:
    platform = Platform()
    platform.tenant("acme")
    platform.monitor("acme", "api")
    platform.slos.put(make_slo("acme", "api-up", sli={"kind": "availability", "monitor": "api"}))
    platform.slos.put(
        make_slo(
            "acme",
            "errors",
            sli={"kind": "ratio", "metric": "http.requests", "bad": [{"label": "status", "value": "500"}]},
        )
    )
    platform.hours("acme#api", at(2026, 3, 1), at(2026, 4, 1))
    platform.hours("acme#slo:errors", at(2026, 3, 1), at(2026, 4, 1), {"total": 100, "good": 100})
    report = platform.service().tenant_report(
        "acme", "monthly", "2026-03-01", include_previous=False, now=at(2026, 4, 2)
    )
    by_id = {slo.slo_id: slo for slo in report.slos}
    assert by_id["api-up"].window_items_read == 0 and by_id["errors"].window_items_read == 31
    assert report.window_items_read == 62


# -- SLOs -----------------------------------------------------------------------------------------------------


def test_slo_figures_for_each_kind_of_sli_and_budgeting() -> None:
    # Given a professional tenant (99.5 %, 1.5 % errors) and March 2026 (744 h), and four SLOs
    platform = Platform()
    platform.tenant("acme", SlaTier.PROFESSIONAL)
    platform.monitor("acme", "api")
    slos: dict[str, dict[str, Any]] = {
        "up": {"sli": {"kind": "availability", "monitor": "api"}},
        "fast": {"sli": {"kind": "latency", "monitor": "api", "threshold_ms": 250}, "objective_pct": 90},
        "errors": {"sli": {"kind": "ratio", "metric": "http.requests", "good": [{"label": "status", "value": "200"}]}},
        "sliced": {
            "sli": {"kind": "availability", "monitor": "api"},
            "budgeting": "timeslices",
            "timeslices": {"target_pct": 95, "minutes": 5},
            "objective_pct": 99,
        },
    }
    for slo_id, body in slos.items():
        platform.slos.put(make_slo("acme", slo_id, **body))
    # The monitor: 2,000 checks, 1,990 good; 1,000 timed, 800 of them at or under 250 ms. The timeslices SLO's
    # own windows (its slices live there, also for a probe SLI): 8,928 five-minute slices, 8,900 good. The ratio
    # SLO: 10,000 requests, 9,800 good.
    platform.windows.add(
        "acme#api",
        epoch(2026, 3, 10, 12),
        {
            "total": 2000,
            "good": 1990,
            "latency_count": 1000,
            "lb08": 500,
            "lb09": 300,
            "lb11": 200,
            "latency_sum_ms": 180_000,
        },
    )
    platform.windows.add("acme#slo:sliced", epoch(2026, 3, 10, 12), {"slices_total": 8928, "slices_good": 8900})
    platform.windows.add("acme#slo:errors", epoch(2026, 3, 12, 8), {"total": 10_000, "good": 9_800})
    report = platform.service().tenant_report(
        "acme", "monthly", "2026-03-01", include_previous=False, now=at(2026, 4, 2)
    )
    by_id = {slo.slo_id: slo for slo in report.slos}
    # Availability, objective the tier's 99.5 %: 99.5 % attained, the budget (10 checks) spent exactly
    up = by_id["up"]
    assert (up.objective_pct, up.good, up.total) == (99.5, 1990, 2000)
    assert up.attainment_pct == pytest.approx(99.5) and up.violated is False
    assert up.budget is not None and up.budget.budget_remaining == pytest.approx(0)
    # Latency: 800 of 1,000 timed checks at or under 250 ms, against 90 %: 20 % bad of a 10 % budget
    fast = by_id["fast"]
    assert (fast.good, fast.total) == (800, 1000) and fast.attainment_pct == pytest.approx(80)
    assert fast.violated is True
    assert fast.budget is not None
    assert (fast.budget.allowed_bad, fast.budget.budget_remaining) == pytest.approx((100, -100))
    assert fast.budget.burn_rate == pytest.approx(2)
    # Ratio, objective 100 - 1.5: 2 % errors, a violation of the SLO and of the tenant's error rate
    errors = by_id["errors"]
    assert errors.objective_pct == 98.5 and errors.error_rate_pct == pytest.approx(2)
    assert errors.violated is True
    assert errors.budget is not None and errors.budget.budget_remaining == pytest.approx(150 - 200)
    # 1.5 % of 744 h is 669.6 minutes; 200 bad of 150 allowed overspends a third of it
    assert errors.budget.budget_remaining_minutes == pytest.approx(-669.6 / 3)
    assert report.summary.error_rate_pct == pytest.approx(2)
    # Timeslices: good slices over all slices, against its own 99 %: 28 bad of 89.28 allowed
    sliced = by_id["sliced"]
    assert (sliced.budgeting, sliced.good, sliced.total) == ("timeslices", 8900, 8928)
    assert sliced.budget is not None and sliced.budget.budget_remaining == pytest.approx(89.28 - 28)
    assert sliced.violated is False
    kinds = sorted((violation.kind.value, violation.subject) for violation in report.violations)
    assert kinds == [("error_rate", "acme"), ("slo", "errors"), ("slo", "fast")]


# -- incidents ------------------------------------------------------------------------------------------------


def test_incidents_and_mttr_from_the_alerts_history() -> None:
    # Given a tenant's alerts around March 2026, reported at 10:30 on the 20th
    platform = Platform()
    platform.tenant("acme")
    platform.monitor("acme", "api")
    firing, ack, resolved, pending = (
        AlertStatus.FIRING,
        AlertStatus.ACKNOWLEDGED,
        AlertStatus.RESOLVED,
        AlertStatus.PENDING,
    )
    # The api monitor's alert: down 10 minutes on the 10th, and 30 minutes on the 12th (acknowledged meanwhile)
    platform.alert(
        make_alert(
            "acme",
            "a1",
            [
                (at(2026, 3, 10, 10), firing),
                (at(2026, 3, 10, 10, 10), resolved),
                (at(2026, 3, 12, 8), firing),
                (at(2026, 3, 12, 8, 5), ack),
                (at(2026, 3, 12, 8, 30), resolved),
            ],
            monitor="api",
        )
    )
    # A rule's alert that began before the month and resolved two hours later, inside it
    platform.alert(make_alert("acme", "a2", [(at(2026, 2, 28, 23), firing), (at(2026, 3, 1, 1), resolved)], rule="cpu"))
    # One still open since February (its last change long before the month), one open for five minutes
    platform.alert(make_alert("acme", "a3", [(at(2026, 2, 20), firing)], rule="queue"))
    platform.alert(make_alert("acme", "a4", [(at(2026, 3, 20, 10, 25), firing)], rule="disk"))
    # Not incidents of March: one over in February, one that never fired
    platform.alert(make_alert("acme", "a5", [(at(2026, 2, 1), firing), (at(2026, 2, 1, 1), resolved)], rule="old"))
    platform.alert(
        make_alert("acme", "a6", [(at(2026, 3, 15), pending), (at(2026, 3, 15, 0, 1), resolved)], rule="blip")
    )
    report = platform.service().tenant_report("acme", "monthly", now=at(2026, 3, 20, 10, 30), include_previous=False)
    # Then the month has five incidents: 600 s, 1,800 s and 7,200 s resolved (MTTR 3,200 s), two ongoing
    stats = report.summary.incidents
    assert [(incident.alert_id, incident.recovery_s) for incident in report.incidents] == [
        ("a3", (at(2026, 3, 20, 10, 30) - at(2026, 2, 20)).total_seconds()),
        ("a2", 7200),
        ("a1", 600),
        ("a1", 1800),
        ("a4", 300),
    ]
    assert (stats.count, stats.ongoing, stats.resolved) == (5, 2, 3)
    assert stats.mttr_s == pytest.approx(3200)
    # Three missed the 15-minute target (a3 still open); of the four whose outcome is known, one made it
    assert stats.over_target == 3
    assert stats.within_target_share == pytest.approx(0.25)
    # The monitor's own: two incidents, MTTR 1,200 s, one recovery violation
    monitor = report.monitors[0]
    assert monitor.incidents.count == 2 and monitor.incidents.mttr_s == pytest.approx(1200)
    assert [violation.kind.value for violation in monitor.violations] == ["recovery_time"]
    recovery = sorted(violation.subject for violation in report.violations if violation.kind.value == "recovery_time")
    assert recovery == ["a1", "a2", "a3"]
    assert report.summary.compliant is False


# -- health score ---------------------------------------------------------------------------------------------


def test_the_health_score_weighs_four_components_and_renormalises_without_data() -> None:
    target = TENANT_TIERS["professional"]  # 99.5 %, 750 ms, 1.5 %
    two = IncidentStats(2, 0, 2, 1200, 1800, 1, 0.5)
    none = IncidentStats(0, 0, 0, None, None, 0, None)
    # Half the budget left (20 of 40), p95 1,000 ms (750 / 1,000 of 25), 1 % errors (1 - 1/3 of 25), half
    # the incidents recovered in time (5 of 10)
    score = health_score(50, 1000, 1.0, two, target)
    assert score.score == pytest.approx(20 + 18.75 + 25 * (2 / 3) + 5)
    # Without an error rate its 25 points drop out; without incidents recovery scores in full: 48.75 / 75
    assert health_score(50, 1000, None, none, target).score == pytest.approx(100 * (20 + 18.75 + 10) / 75)
    # An overspent budget and a p95 under the target: 0 and 25 of 25 + 40 (+ 10 for recovery)
    assert health_score(-30, 100, None, none, target).score == pytest.approx(100 * 35 / 75)
    # Nothing measured: no score, even beside incidents
    assert health_score(None, None, None, two, target).score is None


def test_the_tenants_health_score_from_its_figures() -> None:
    # Given a professional tenant's month: 2,000 checks, 1,995 good (half the 10-check budget left), p95 1,000 ms
    # (an average of 700);
    # a ratio SLO at 1 % errors; incidents of 10 and 30 minutes
    platform = Platform()
    platform.tenant("acme", SlaTier.PROFESSIONAL)
    platform.monitor("acme", "api")
    platform.slos.put(
        make_slo(
            "acme",
            "errors",
            sli={"kind": "ratio", "metric": "http.requests", "bad": [{"label": "status", "value": "500"}]},
        )
    )
    platform.windows.add(
        "acme#api",
        epoch(2026, 3, 3),
        {"total": 2000, "good": 1995, "latency_count": 20, "lb09": 1, "lb12": 18, "lb13": 1, "latency_sum_ms": 14_000},
    )
    platform.windows.add("acme#slo:errors", epoch(2026, 3, 3), {"total": 1000, "good": 990})
    platform.alert(
        make_alert(
            "acme",
            "a1",
            [(at(2026, 3, 5), AlertStatus.FIRING), (at(2026, 3, 5, 0, 10), AlertStatus.RESOLVED)],
            monitor="api",
        )
    )
    platform.alert(
        make_alert(
            "acme",
            "a2",
            [(at(2026, 3, 6), AlertStatus.FIRING), (at(2026, 3, 6, 0, 30), AlertStatus.RESOLVED)],
            monitor="api",
        )
    )
    report = platform.service().tenant_report(
        "acme", "monthly", "2026-03-01", include_previous=False, now=at(2026, 4, 2)
    )
    summary = report.summary
    assert summary.p95_latency_ms == pytest.approx(1000)
    assert summary.budget is not None and summary.budget.budget_remaining_pct == pytest.approx(50)
    assert summary.health_score == pytest.approx(20 + 18.75 + 25 * (2 / 3) + 5)
    # And p95 over 750 ms and the 30-minute incident are violations
    assert sorted(violation.kind.value for violation in report.violations) == ["latency_p95", "recovery_time"]


# -- previous period, platform --------------------------------------------------------------------------------


def test_the_previous_period_is_summarised_beside_the_change() -> None:
    # Given a month with 30 of 44,640 checks bad, and a February with none
    platform = Platform()
    platform.tenant("acme")
    platform.monitor("acme", "api")
    platform.hours("acme#api", at(2026, 2, 1), at(2026, 4, 1))
    platform.hours("acme#api", at(2026, 3, 2), at(2026, 3, 2, 1), {"good": -30})
    report = platform.service().tenant_report("acme", "monthly", "2026-03-31", now=at(2026, 4, 2))
    previous = report.previous
    # Then February is there, 100 %, and March is 30 / 44,640 below it
    assert previous is not None
    assert previous.period.label == "2026-02" and previous.period.hours == 672
    assert previous.summary.availability_pct == pytest.approx(100)
    assert report.summary.availability_pct == pytest.approx(100 * (44640 - 30) / 44640)
    assert previous.change["availability_pct"] == pytest.approx(-100 * 30 / 44640)
    assert previous.change["incidents"] == 0
    # Read apart: 28 daily windows for February, 31 for March
    assert (previous.window_items_read, report.window_items_read) == (28, 31)


def test_a_daily_report_has_a_per_hour_trend_from_its_hourly_windows() -> None:
    platform = Platform()
    platform.tenant("acme", SlaTier.ENTERPRISE, BERLIN)
    platform.monitor("acme", "api")
    platform.hours("acme#api", at(2026, 3, 14), at(2026, 3, 16))
    platform.hours(
        "acme#api", at(2026, 3, 15, 9), at(2026, 3, 15, 10), {"good": -6, "latency_count": 60, "latency_sum_ms": 12_000}
    )
    report = platform.service().tenant_report("acme", "daily", "2026-03-15", now=at(2026, 3, 15, 9, 20))
    # 00:00-10:00 Berlin so far (23:00 to 09:00 UTC and the hour in progress): 11 hourly items, 11 points
    assert report.trend.resolution == "hour" and report.monitors[0].window_items_read == 11
    labels = [point.label for point in report.trend.points]
    assert labels[0] == "00:00" and labels[-1] == "10:00"
    assert report.trend.points[-1].availability_pct == pytest.approx(90)
    assert report.trend.points[-1].average_latency_ms == pytest.approx(200)
    assert report.previous is not None and report.previous.period.label == "2026-03-14"


def test_the_platform_report_counts_compliant_tenants_among_those_with_data() -> None:
    # Given four tenants in March 2026: two compliant, one in violation, one without data
    platform = Platform()
    for tenant, tier in (
        ("alpha", SlaTier.BASIC),
        ("bravo", SlaTier.ENTERPRISE),
        ("charlie", SlaTier.BASIC),
        ("delta", SlaTier.BASIC),
    ):
        platform.tenant(tenant, tier)
        platform.monitor(tenant, "api")
    platform.windows.add(
        "alpha#api",
        epoch(2026, 3, 2),
        {"total": 1000, "good": 1000, "latency_count": 1000, "latency_sum_ms": 100_000, "lb08": 1000},
    )
    platform.windows.add(
        "bravo#api",
        epoch(2026, 3, 2),
        {"total": 1000, "good": 990, "latency_count": 1000, "latency_sum_ms": 300_000, "lb09": 1000},
    )
    platform.windows.add(
        "delta#api",
        epoch(2026, 3, 2),
        {"total": 1000, "good": 995, "latency_count": 1000, "latency_sum_ms": 200_000, "lb09": 1000},
    )
    report = platform.service().platform_report("monthly", "2026-03-15", now=at(2026, 4, 2))
    # Then 2 of the 3 tenants with data comply: 66.67 %; charlie is counted apart
    assert (report.tenants, report.tenants_with_data, report.tenants_without_data) == (4, 3, 1)
    assert report.compliant_tenants == 2
    assert report.compliance_pct == pytest.approx(200 / 3)
    # Averages over the tenants with data: (100 + 99 + 99.5) / 3 %, (100 + 300 + 200) / 3 ms
    assert report.average_availability_pct == pytest.approx((100 + 99 + 99.5) / 3)
    assert report.average_latency_ms == pytest.approx(200)
    assert report.average_error_rate_pct is None
    assert report.violations_by_kind["availability"] == 1 and sum(report.violations_by_kind.values()) == 1
    # bravo spent its budget ten times over (0 of 40, 25 of 25, 10 of 10: 35 / 75); delta half of it (55 / 75)
    assert report.worst_tenants == ("bravo", "delta", "alpha")
    statuses = {row.tenant_id: (row.summary.status, row.summary.compliant) for row in report.rows}
    assert statuses == {
        "alpha": ("ok", True),
        "bravo": ("violated", False),
        "charlie": ("no_data", None),
        "delta": ("ok", True),
    }
    assert report.labels == ("2026-03",)


def test_a_platform_report_without_a_date_takes_each_tenants_own_today() -> None:
    platform = Platform()
    platform.tenant("berlin", timezone=BERLIN)
    platform.tenant("utc")
    report = platform.service().platform_report("monthly", now=at(2026, 3, 31, 23, 30))
    assert {row.tenant_id: row.period.label for row in report.rows} == {"berlin": "2026-04", "utc": "2026-03"}
    assert report.labels == ("2026-03", "2026-04")


def test_slo_status_covers_its_own_rolling_window() -> None:
    platform = Platform()
    platform.tenant("acme")
    platform.monitor("acme", "api")
    slo = make_slo(
        "acme", "api-up", sli={"kind": "availability", "monitor": "api"}, window={"kind": "rolling", "days": 7}
    )
    platform.slos.put(slo)
    platform.hours("acme#api", at(2026, 3, 1), at(2026, 3, 21))
    status = platform.service().slo_status(slo, now=at(2026, 3, 20, 10, 30))
    # The 7 days to 11:00 on the 20th: 168 hours of checks
    assert (status.start, status.end, status.partial) == (at(2026, 3, 13, 11), at(2026, 3, 20, 11), False)
    assert status.slo.total == 168 * 60 and status.slo.attainment_pct == pytest.approx(100)


# -- the API's query ----------------------------------------------------------------------------------------


def test_the_report_query_is_parsed_and_a_bad_parameter_named() -> None:
    query = parse_report_query({"period": "Weekly", "date": "2026-03-04", "format": "csv", "tenant": "acme"})
    assert (query.period, query.on, query.format, query.tenant, query.include_previous) == (
        PeriodKind.WEEKLY,
        date(2026, 3, 4),
        "csv",
        "acme",
        True,
    )
    assert parse_report_query(None).period is PeriodKind.MONTHLY
    assert parse_report_query({"previous": "false"}, report=False).include_previous is False
    for params, name in (
        ({"format": "pdf"}, "format"),
        ({"tenant": "ACME!"}, "tenant"),
        ({"period": "hourly"}, "period"),
        ({"date": "31/03/2026"}, "date"),
        ({"previous": "maybe"}, "previous"),
        ({"limit": "5"}, "limit"),
        ({"format": "csv"}, "format"),
    ):
        with pytest.raises(VigilError) as caught:
            parse_report_query(params, report=name != "format" or params["format"] == "pdf")
        assert problem_field(caught.value) == name
