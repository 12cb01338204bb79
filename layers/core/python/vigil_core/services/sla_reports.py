"""SLA reports: per tenant and platform-wide SLA figures for a daily, weekly, monthly or quarterly period.

A period is the calendar day, ISO week (Monday to Sunday), month or quarter in the tenant's time zone (its SLA
policy's, UTC by default) that contains a date (default: today there). Its figures are the sums of the SLA
windows that cover it exactly (`window_coverage`: whole UTC days from the daily windows, the hours at either
end from the hourly ones), so a 30-day month reads at most 31 daily and 24 hourly items per monitor however
often it is checked; a daily period reads its hours (at most 25), which also gives its per-hour trend.

- A period in progress ends at the next whole hour after now (the current hour counts so far): `partial`.
- Local midnight in a zone with a non-whole-hour offset (Asia/Kolkata, +05:30) is not a whole UTC hour, and
  the windows are hourly at the finest: such a period is measured over the whole UTC hours that contain it,
  and the report says so in its notes.
- Nothing measured is no data (None, status "no_data"), never 100 %.

docs/sla.md lists every figure and how it is computed; services/sla_rendering.py renders the reports as JSON,
CSV and HTML.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from vigil_core.errors import bad_request, not_found
from vigil_core.models.alerts import Alert, AlertStatus
from vigil_core.models.monitors import Monitor
from vigil_core.models.sla import (
    DAY_S,
    HOUR_S,
    SlaTarget,
    WindowCoverage,
    WindowKind,
    window_coverage,
)
from vigil_core.models.slo import Budgeting, RatioSli, SlaPolicy, Slo
from vigil_core.models.tenants import TENANT_ID_PATTERN, Tenant
from vigil_core.ports import AlertStore, MonitorRepository, SlaWindowReader, SloRepository, TenantDirectory
from vigil_core.services.sla_figures import (
    AvailabilityFigures,
    BudgetFigures,
    availability_figures,
    budget_figures,
)
from vigil_core.services.slo_events import sli_events

Window = Mapping[str, float]
HOUR = timedelta(hours=1)
EARLIEST_DATE = date(2000, 1, 1)
ALERT_PAGE_SIZE = 100
WORST_TENANTS = 5
# Health score weights (docs/sla.md): a component without data drops out and the others share its weight.
HEALTH_WEIGHTS: dict[str, float] = {"availability": 40.0, "latency": 25.0, "error_rate": 25.0, "recovery": 10.0}
_OPEN_STATUSES = (AlertStatus.FIRING, AlertStatus.ACKNOWLEDGED)
_DATE_PATTERN = re.compile(r"\d{4}-\d{2}-\d{2}")


def _utc_now() -> datetime:
    return datetime.now(UTC)


# -- periods --------------------------------------------------------------------------------------------------


class PeriodKind(StrEnum):
    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"


@dataclass(frozen=True, slots=True)
class ReportPeriod:
    """A report's period: its local days and the UTC instants (whole hours) its figures cover."""

    kind: PeriodKind
    timezone: str
    label: str  # 2026-03-15, 2026-W11, 2026-03, 2026-Q1
    first_day: date  # local, inclusive
    last_day: date  # local, inclusive
    start: datetime  # UTC, a whole hour
    end: datetime  # UTC, a whole hour: period_end, or for a period in progress the next whole hour after now
    period_end: datetime  # UTC, a whole hour: where the whole period ends
    partial: bool  # in progress: figures so far
    notes: tuple[str, ...] = ()

    @property
    def length(self) -> timedelta:
        """The whole period (what its error budget is for): 743 h for March in Berlin."""
        return self.period_end - self.start

    @property
    def elapsed(self) -> timedelta:
        """The part the figures cover: the whole period once it is over."""
        return self.end - self.start

    @property
    def hours(self) -> int:
        return int(self.length / HOUR)

    @property
    def begun(self) -> bool:
        return self.end > self.start

    def coverage(self) -> WindowCoverage:
        """The windows to read: whole UTC days and edge hours; hours only for a daily period (its trend)."""
        if self.kind is PeriodKind.DAILY:
            return WindowCoverage((), tuple(range(_epoch(self.start), _epoch(self.end), HOUR_S)))
        return window_coverage(self.start, self.end)

    def previous(self, now: datetime) -> ReportPeriod:
        """The period of the same kind just before this one."""
        return report_period(self.kind, self.timezone, self.first_day - timedelta(days=1), now)


def parse_period_kind(value: str | PeriodKind) -> PeriodKind:
    try:
        return PeriodKind(value.strip().lower() if isinstance(value, str) else value)
    except ValueError:
        raise bad_request("period", "must be one of " + ", ".join(kind.value for kind in PeriodKind)) from None


def parse_date(value: str | date) -> date:
    """A report date: YYYY-MM-DD, 2000-01-01 or later."""
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, str):
        text = value.strip()
        try:
            if not _DATE_PATTERN.fullmatch(text):
                raise ValueError(text)
            value = date.fromisoformat(text)
        except ValueError:
            raise bad_request("date", "must be a date as YYYY-MM-DD (e.g. 2026-03-31)") from None
    if value < EARLIEST_DATE:
        raise bad_request("date", f"must be {EARLIEST_DATE.isoformat()} or later")
    return value


def _zone(timezone: str) -> ZoneInfo:
    try:
        return ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise bad_request("timezone", f"{timezone!r} is not an IANA time zone (e.g. Europe/Berlin)") from None


def _epoch(at: datetime) -> int:
    return int(at.timestamp())


def _floor_hour(at: datetime) -> datetime:
    return at.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def _ceil_hour(at: datetime) -> datetime:
    floor = _floor_hour(at)
    return floor if floor == at else floor + HOUR


def _local_midnight(day: date, zone: ZoneInfo) -> datetime:
    """The first instant of a local day, in UTC (a midnight the clocks skip starts the day when they resume)."""
    return datetime(day.year, day.month, day.day, tzinfo=zone).astimezone(UTC)


def _first_of_month(year: int, month: int) -> date:
    """The first of a month, `month` counted on past December into the following years."""
    return date(year + (month - 1) // 12, (month - 1) % 12 + 1, 1)


def _local_days(kind: PeriodKind, day: date) -> tuple[date, date, str]:
    """(first day, the first day after, label) of the period containing `day`."""
    if kind is PeriodKind.DAILY:
        return day, day + timedelta(days=1), day.isoformat()
    if kind is PeriodKind.WEEKLY:
        first = day - timedelta(days=day.weekday())
        iso = first.isocalendar()
        return first, first + timedelta(days=7), f"{iso.year}-W{iso.week:02d}"
    if kind is PeriodKind.MONTHLY:
        return _first_of_month(day.year, day.month), _first_of_month(day.year, day.month + 1), f"{day:%Y-%m}"
    first_month = (day.month - 1) // 3 * 3 + 1
    quarter = (first_month - 1) // 3 + 1
    return (
        _first_of_month(day.year, first_month),
        _first_of_month(day.year, first_month + 3),
        f"{day.year}-Q{quarter}",
    )


def report_period(
    kind: str | PeriodKind, timezone: str = "UTC", on: str | date | None = None, now: datetime | None = None
) -> ReportPeriod:
    """The period of `kind` that contains the date `on` (default: today in `timezone`), as of `now`.

    Raises a 400 VigilError naming `period` or `date` when either is not valid. A period that has not begun
    yet comes back with `begun` False (end == start); tenant reports refuse it.
    """
    period_kind = parse_period_kind(kind)
    zone = _zone(timezone)
    now = (now or _utc_now()).astimezone(UTC)
    day = now.astimezone(zone).date() if on is None else parse_date(on)
    first, after, label = _local_days(period_kind, day)
    local_start, local_end = _local_midnight(first, zone), _local_midnight(after, zone)
    start, period_end = _floor_hour(local_start), _ceil_hour(local_end)
    notes: list[str] = []
    if (start, period_end) != (local_start, local_end):
        notes.append(
            f"Local midnight in {timezone} is not a whole UTC hour and SLA windows are hourly at the finest: the "
            f"period is measured over the whole UTC hours that contain it, {start:%Y-%m-%d %H:%M} to "
            f"{period_end:%Y-%m-%d %H:%M} UTC."
        )
    end, partial = period_end, False
    if now < period_end:
        partial = True
        end = max(start, min(period_end, _floor_hour(now) + HOUR))
        if end > start:
            notes.append(f"The period is in progress: figures up to {end:%Y-%m-%d %H:%M} UTC (this hour so far).")
        else:
            notes.append(f"The period has not begun yet in {timezone}.")
    return ReportPeriod(
        kind=period_kind,
        timezone=timezone,
        label=label,
        first_day=first,
        last_day=after - timedelta(days=1),
        start=start,
        end=end,
        period_end=period_end,
        partial=partial,
        notes=tuple(notes),
    )


# -- targets ------------------------------------------------------------------------------------------------------


def tenant_target(tenant: Tenant, policy: SlaPolicy | None = None) -> SlaTarget:
    """The tenant's tier's targets (basic, professional, enterprise from the tenant table; standard and premium
    from the service table's API row), with its SLA policy's tier and overrides."""
    return (policy or SlaPolicy()).tenant_target(tenant.sla_tier.value)


# -- incidents ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Incident:
    """One firing of an alert until it resolved (or now, while it is still open)."""

    alert_id: str  # the alert's fingerprint
    rule_id: str
    name: str  # the rule's name
    severity: str
    monitor: str | None  # the `monitor` label of probe alerts
    started_at: datetime
    resolved_at: datetime | None  # None: ongoing
    recovery_s: float  # resolved - started, or so far while ongoing
    within_target: bool  # recovery (so far) at or under the recovery time target

    @property
    def ongoing(self) -> bool:
        return self.resolved_at is None


def alert_incidents(alert: Alert, start: datetime, end: datetime, now: datetime, target_s: float) -> list[Incident]:
    """The alert's firing -> resolved pairs (from its history) that overlap [start, end). Acknowledging or a
    change of severity stays inside one incident; an alert that never fired (pending only) has none."""
    spans: list[tuple[datetime, datetime | None]] = []
    opened: datetime | None = None
    for entry in alert.history:
        if entry.status in _OPEN_STATUSES and opened is None:
            opened = entry.at
        elif entry.status is AlertStatus.RESOLVED and opened is not None:
            spans.append((opened, entry.at))
            opened = None
    if opened is not None:
        spans.append((opened, None))
    incidents = []
    for began, resolved in spans:
        if began >= end or (resolved is not None and resolved <= start):
            continue
        recovery = ((resolved or now) - began).total_seconds()
        incidents.append(
            Incident(
                alert_id=alert.fingerprint,
                rule_id=alert.rule_id,
                name=alert.rule_name,
                severity=alert.severity.value,
                monitor=alert.labels.get("monitor") or alert.group_labels.get("monitor"),
                started_at=began,
                resolved_at=resolved,
                recovery_s=max(0.0, recovery),
                within_target=recovery <= target_s,
            )
        )
    return incidents


@dataclass(frozen=True, slots=True)
class IncidentStats:
    count: int
    ongoing: int
    resolved: int
    mttr_s: float | None  # mean time to recovery of the resolved incidents
    longest_s: float | None  # the longest recovery, ongoing ones so far included
    over_target: int  # recovered (or still open) after the recovery time target
    # Of the incidents whose outcome is known (resolved, or open past the target): the share within target.
    within_target_share: float | None


def incident_stats(incidents: Sequence[Incident]) -> IncidentStats:
    resolved = [incident.recovery_s for incident in incidents if not incident.ongoing]
    known = [incident for incident in incidents if not incident.ongoing or not incident.within_target]
    within = sum(1 for incident in known if incident.within_target)
    return IncidentStats(
        count=len(incidents),
        ongoing=len(incidents) - len(resolved),
        resolved=len(resolved),
        mttr_s=sum(resolved) / len(resolved) if resolved else None,
        longest_s=max((incident.recovery_s for incident in incidents), default=None),
        over_target=sum(1 for incident in incidents if not incident.within_target),
        within_target_share=within / len(known) if known else None,
    )


# -- report parts -------------------------------------------------------------------------------------------------


class ViolationKind(StrEnum):
    AVAILABILITY = "availability"
    LATENCY_AVERAGE = "latency_average"
    LATENCY_P95 = "latency_p95"
    ERROR_RATE = "error_rate"
    RECOVERY_TIME = "recovery_time"
    SLO = "slo"


@dataclass(frozen=True, slots=True)
class Violation:
    kind: ViolationKind
    scope: Literal["monitor", "slo", "tenant", "incident"]
    subject: str  # the monitor's or SLO's id, the tenant's id, the incident's alert id
    name: str  # what to call the subject in a report
    actual: float
    target: float
    unit: Literal["%", "ms", "s"]
    at: datetime | None = None  # when the incident began

    @property
    def message(self) -> str:
        relation = "<" if self.kind in (ViolationKind.AVAILABILITY, ViolationKind.SLO) else ">"
        what = {
            ViolationKind.AVAILABILITY: "availability",
            ViolationKind.LATENCY_AVERAGE: "average response time",
            ViolationKind.LATENCY_P95: "p95 response time",
            ViolationKind.ERROR_RATE: "error rate",
            ViolationKind.RECOVERY_TIME: "recovery time",
            ViolationKind.SLO: "attainment",
        }[self.kind]
        return f"{self.name}: {what} {_amount(self.actual, self.unit)} {relation} {_amount(self.target, self.unit)}"


def _amount(value: float, unit: str) -> str:
    if unit == "%":
        return f"{value:.3f}".rstrip("0").rstrip(".") + " %"
    if unit == "ms":
        return f"{value:.0f} ms"
    return f"{value / 60:.1f} min"


@dataclass(frozen=True, slots=True)
class MonitorReport:
    monitor_id: str
    name: str
    type: str
    enabled: bool
    figures: AvailabilityFigures | None  # None: no conclusive check in the period
    incidents: IncidentStats
    violations: tuple[Violation, ...]
    window_items_read: int

    @property
    def status(self) -> Literal["ok", "violated", "no_data"]:
        return _status(self.figures is not None, self.violations)


@dataclass(frozen=True, slots=True)
class SloReport:
    slo_id: str
    name: str
    sli: str  # availability, latency, ratio, metric_latency
    monitor: str | None  # probe SLIs
    budgeting: str  # occurrences or timeslices (then good and total count slices)
    objective_pct: float
    good: float | None  # None: no data
    total: float | None
    attainment_pct: float | None
    budget: BudgetFigures | None
    error_rate_pct: float | None  # ratio SLIs: bad / total
    window_items_read: int  # 0 when its windows were a monitor's, already read

    @property
    def violated(self) -> bool | None:
        return None if self.attainment_pct is None else self.attainment_pct < self.objective_pct

    @property
    def status(self) -> Literal["ok", "violated", "no_data"]:
        return "no_data" if self.violated is None else "violated" if self.violated else "ok"


@dataclass(frozen=True, slots=True)
class HealthComponent:
    name: str
    weight: float
    value: float | None  # 0..1; None: no data, left out


@dataclass(frozen=True, slots=True)
class HealthScore:
    score: float | None  # 0..100; None: no component had data
    components: tuple[HealthComponent, ...]


def _clamp(value: float) -> float:
    return min(1.0, max(0.0, value))


def health_score(
    budget_remaining_pct: float | None,
    p95_latency_ms: float | None,
    error_rate_pct: float | None,
    incidents: IncidentStats,
    target: SlaTarget,
) -> HealthScore:
    """0..100 from four components (docs/sla.md):
    availability 40 x clamp(availability budget left, 0..1), latency 25 x min(1, target / p95),
    error rate 25 x clamp(1 - error rate / (2 x target)), recovery 10 x share of incidents recovered within the
    target. A component without data drops out and the weights of the others are renormalised. Recovery counts
    only beside a measured figure (in full when no incident has an outcome yet); nothing measured: None."""
    values: dict[str, float | None] = {
        "availability": None if budget_remaining_pct is None else _clamp(budget_remaining_pct / 100),
        "latency": None
        if p95_latency_ms is None
        else (1.0 if p95_latency_ms <= 0 else min(1.0, target.latency_ms / p95_latency_ms)),
        "error_rate": None if error_rate_pct is None else _clamp(1 - error_rate_pct / (2 * target.error_rate_pct)),
        "recovery": None,
    }
    if all(value is None for value in values.values()):
        return HealthScore(None, tuple(HealthComponent(name, HEALTH_WEIGHTS[name], None) for name in HEALTH_WEIGHTS))
    values["recovery"] = incidents.within_target_share
    if values["recovery"] is None:
        values["recovery"] = 1.0  # nothing (yet) recovered late
    components = tuple(HealthComponent(name, HEALTH_WEIGHTS[name], values[name]) for name in HEALTH_WEIGHTS)
    measured = [(component.weight, component.value) for component in components if component.value is not None]
    if not measured:
        return HealthScore(None, components)
    score = 100 * sum(weight * value for weight, value in measured) / sum(weight for weight, _ in measured)
    return HealthScore(score, components)


@dataclass(frozen=True, slots=True)
class TrendPoint:
    start: datetime  # UTC: the local day's (or the hour's) first instant
    label: str  # the local date, or the local time of the hour
    checks: int
    availability_pct: float | None
    average_latency_ms: float | None


@dataclass(frozen=True, slots=True)
class Trend:
    resolution: Literal["day", "hour"]
    points: tuple[TrendPoint, ...]


@dataclass(frozen=True, slots=True)
class SlaSummary:
    """A tenant's figures over a period: its monitors' checks taken together, its ratio SLOs' error rate."""

    checks: int
    good_checks: int
    availability_pct: float | None
    average_latency_ms: float | None
    p95_latency_ms: float | None
    error_rate_pct: float | None  # bad / total events of its ratio SLOs; None without one
    budget: BudgetFigures | None  # of all its checks against the availability target
    violations: int
    violations_by_kind: Mapping[str, int]
    health: HealthScore
    incidents: IncidentStats
    has_data: bool

    @property
    def compliant(self) -> bool | None:
        """No violation; None when nothing was measured (and nothing violated)."""
        if self.violations:
            return False
        return True if self.has_data else None

    @property
    def status(self) -> Literal["ok", "violated", "no_data"]:
        return "violated" if self.violations else "ok" if self.has_data else "no_data"

    @property
    def health_score(self) -> float | None:
        return self.health.score


# The summary figures compared with the previous period's (current - previous).
CHANGE_FIELDS = ("availability_pct", "average_latency_ms", "p95_latency_ms", "error_rate_pct", "health_score")


def summary_change(current: SlaSummary, previous: SlaSummary) -> dict[str, float | None]:
    change: dict[str, float | None] = {}
    for name in CHANGE_FIELDS:
        now_value, then = getattr(current, name), getattr(previous, name)
        change[name] = None if now_value is None or then is None else now_value - then
    change["incidents"] = float(current.incidents.count - previous.incidents.count)
    mttr, previous_mttr = current.incidents.mttr_s, previous.incidents.mttr_s
    change["mttr_s"] = None if mttr is None or previous_mttr is None else mttr - previous_mttr
    return change


@dataclass(frozen=True, slots=True)
class PreviousPeriod:
    period: ReportPeriod
    summary: SlaSummary
    change: Mapping[str, float | None]  # current - previous, None where either has no data
    window_items_read: int


@dataclass(frozen=True, slots=True)
class TenantSlaReport:
    tenant_id: str
    tenant_name: str
    tier: str
    target: SlaTarget
    period: ReportPeriod
    generated_at: datetime
    summary: SlaSummary
    violations: tuple[Violation, ...]
    monitors: tuple[MonitorReport, ...]
    slos: tuple[SloReport, ...]
    incidents: tuple[Incident, ...]
    trend: Trend
    previous: PreviousPeriod | None
    window_items_read: int  # this period's (the previous period's are counted in `previous`)

    @property
    def notes(self) -> tuple[str, ...]:
        return self.period.notes


@dataclass(frozen=True, slots=True)
class TenantRow:
    """One tenant in a platform report."""

    tenant_id: str
    tenant_name: str
    tier: str
    target: SlaTarget
    period: ReportPeriod
    summary: SlaSummary
    window_items_read: int


@dataclass(frozen=True, slots=True)
class PlatformSlaReport:
    kind: PeriodKind
    labels: tuple[str, ...]  # the tenants' periods (one, unless `on` was left out and their zones disagree)
    on: date | None
    generated_at: datetime
    rows: tuple[TenantRow, ...]
    compliant_tenants: int
    tenants_with_data: int
    compliance_pct: float | None  # compliant / tenants with data
    average_availability_pct: float | None  # means over the tenants with the figure
    average_latency_ms: float | None
    average_error_rate_pct: float | None
    violations_by_kind: Mapping[str, int]
    worst_tenants: tuple[str, ...]  # lowest health scores first
    window_items_read: int

    @property
    def tenants(self) -> int:
        return len(self.rows)

    @property
    def tenants_without_data(self) -> int:
        return self.tenants - self.tenants_with_data


@dataclass(frozen=True, slots=True)
class SloStatus:
    """Where an SLO stands in its own window (rolling or calendar), as of now."""

    slo: SloReport
    window_kind: str
    start: datetime
    end: datetime
    window_end: datetime
    partial: bool


# -- the service --------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _PartitionWindows:
    days: list[Window]
    hours: list[Window]

    @property
    def all(self) -> list[Window]:
        return [*self.days, *self.hours]


def _runs(hours: Sequence[int]) -> Iterable[tuple[int, int]]:
    """Consecutive hours as [first, last + 1 hour) ranges: a query each."""
    first = previous = None
    for hour in hours:
        if first is None or previous is None or hour != previous + HOUR_S:
            if first is not None and previous is not None:
                yield first, previous + HOUR_S
            first = hour
        previous = hour
    if first is not None and previous is not None:
        yield first, previous + HOUR_S


class _PeriodReader:
    """Reads each partition's windows for one period once, counting the items read."""

    def __init__(self, reader: SlaWindowReader, coverage: WindowCoverage) -> None:
        self.reader = reader
        self.coverage = coverage
        self.read: dict[str, _PartitionWindows] = {}
        self.items = 0

    def windows(self, partition: str) -> tuple[_PartitionWindows, int]:
        """The partition's windows, and the items this call read (0 when read before)."""
        if partition in self.read:
            return self.read[partition], 0
        days: list[Window] = []
        if self.coverage.days:
            days = list(self.reader.windows(partition, "day", self.coverage.days[0], self.coverage.days[-1] + DAY_S))
        hours: list[Window] = []
        for low, high in _runs(self.coverage.hours):
            hours.extend(self.reader.windows(partition, "hour", low, high))
        found = self.read[partition] = _PartitionWindows(days, hours)
        self.items += len(days) + len(hours)
        return found, len(days) + len(hours)


@dataclass(frozen=True, slots=True)
class _TenantContext:
    tenant: Tenant
    tier: str
    target: SlaTarget
    timezone: str
    monitors: list[Monitor]
    slos: list[Slo]


@dataclass(frozen=True, slots=True)
class _Figures:
    summary: SlaSummary
    violations: tuple[Violation, ...]
    monitors: tuple[MonitorReport, ...]
    slos: tuple[SloReport, ...]
    incidents: tuple[Incident, ...]
    trend: Trend
    window_items_read: int


@dataclass
class SlaReportService:
    """Tenant and platform SLA reports. Every method raises a 400 VigilError naming `period` or `date` for a
    bad one, a 404 for an unknown tenant, and lets StoreUnavailableError through (a 503)."""

    tenants: TenantDirectory
    monitors: MonitorRepository
    slos: SloRepository
    windows: SlaWindowReader
    alerts: AlertStore
    clock: Callable[[], datetime] = field(default=_utc_now)

    def tenant_report(
        self,
        tenant_id: str,
        period: str | PeriodKind = PeriodKind.MONTHLY,
        on: str | date | None = None,
        *,
        include_previous: bool = True,
        now: datetime | None = None,
    ) -> TenantSlaReport:
        """The tenant's report for the period of `period` containing `on` (default: today in its zone), and
        with `include_previous` the previous period's summary and the change (a second set of reads)."""
        kind = parse_period_kind(period)
        day = None if on is None else parse_date(on)
        now = (now or self.clock()).astimezone(UTC)
        tenant = self.tenants.get_tenant(tenant_id)
        if tenant is None:
            raise not_found(f"tenant {tenant_id!r} not found")
        context = self._context(tenant)
        current = report_period(kind, context.timezone, day, now)
        if not current.begun:
            raise bad_request("date", f"the {kind.value} period containing it has not begun yet in {context.timezone}")
        previous = current.previous(now) if include_previous else None
        alerts = self._alerts(tenant.id, (previous or current).start)
        figures = self._figures(context, current, alerts, now)
        previous_part = None
        if previous is not None:
            before = self._figures(context, previous, alerts, now)
            previous_part = PreviousPeriod(
                previous, before.summary, summary_change(figures.summary, before.summary), before.window_items_read
            )
        return TenantSlaReport(
            tenant_id=tenant.id,
            tenant_name=tenant.name,
            tier=context.tier,
            target=context.target,
            period=current,
            generated_at=now,
            summary=figures.summary,
            violations=figures.violations,
            monitors=figures.monitors,
            slos=figures.slos,
            incidents=figures.incidents,
            trend=figures.trend,
            previous=previous_part,
            window_items_read=figures.window_items_read,
        )

    def platform_report(
        self,
        period: str | PeriodKind = PeriodKind.MONTHLY,
        on: str | date | None = None,
        *,
        now: datetime | None = None,
        worst: int = WORST_TENANTS,
    ) -> PlatformSlaReport:
        """Every tenant's summary for the period containing `on` in its own zone (default: today there)."""
        kind = parse_period_kind(period)
        day = None if on is None else parse_date(on)
        now = (now or self.clock()).astimezone(UTC)
        rows = []
        for tenant in self.tenants.list_tenants():
            context = self._context(tenant)
            current = report_period(kind, context.timezone, day, now)
            alerts = self._alerts(tenant.id, current.start) if current.begun else []
            figures = self._figures(context, current, alerts, now)
            rows.append(
                TenantRow(
                    tenant.id,
                    tenant.name,
                    context.tier,
                    context.target,
                    current,
                    figures.summary,
                    figures.window_items_read,
                )
            )
        return platform_summary(kind, day, now, rows, worst)

    def slo_status(self, slo: Slo, now: datetime | None = None) -> SloStatus:
        """The SLO over its own window (rolling: the last 7, 28 or 30 days to the next whole hour; calendar: the
        month or quarter in its zone so far), against its tenant's target."""
        now = (now or self.clock()).astimezone(UTC)
        tenant = self.tenants.get_tenant(slo.tenant_id)
        if tenant is None:
            raise not_found(f"tenant {slo.tenant_id!r} not found")
        policy = self.slos.get_sla_policy(tenant.id) or SlaPolicy()
        target = tenant_target(tenant, policy)
        window = slo.definition.slo_window(policy.timezone)
        end = _floor_hour(now) + HOUR
        if window.kind is WindowKind.ROLLING:
            start, window_end = end - timedelta(days=window.days), end
        else:
            low, high = window.bounds(now)
            start, window_end = _floor_hour(low), _ceil_hour(high)
            end = min(end, window_end)
        reader = _PeriodReader(self.windows, window_coverage(start, end))
        report = _slo_report(slo, target, reader, window_end - start, end - start)
        return SloStatus(report, window.kind.value, start, end, window_end, partial=end < window_end)

    # -- parts --------------------------------------------------------------------------------------------------

    def _context(self, tenant: Tenant) -> _TenantContext:
        policy = self.slos.get_sla_policy(tenant.id) or SlaPolicy()
        return _TenantContext(
            tenant=tenant,
            tier=policy.tier or tenant.sla_tier.value,
            target=tenant_target(tenant, policy),
            timezone=policy.timezone,
            monitors=self.monitors.list_for_tenant(tenant.id),
            slos=self.slos.list_for_tenant(tenant.id),
        )

    def _alerts(self, tenant_id: str, since: datetime) -> list[Alert]:
        """Every alert that may hold an incident since `since`: all changed since then (newest first, so the
        paging stops at the first older one), and the open ones whatever their last change."""
        found: dict[str, Alert] = {}
        cursor: str | None = None
        while True:
            page = self.alerts.page(tenant_id, None, None, ALERT_PAGE_SIZE, cursor)
            older = False
            for alert in page.alerts:
                if alert.changed_at < since:
                    older = True
                    break
                found[alert.fingerprint] = alert
            cursor = page.cursor
            if older or cursor is None:
                break
        for alert in self.alerts.open_alerts(tenant_id):
            found.setdefault(alert.fingerprint, alert)
        return list(found.values())

    def _figures(
        self, context: _TenantContext, period: ReportPeriod, alerts: Sequence[Alert], now: datetime
    ) -> _Figures:
        target = context.target
        reader = _PeriodReader(self.windows, period.coverage())
        incidents = sorted(
            (
                incident
                for alert in alerts
                for incident in alert_incidents(alert, period.start, period.end, now, target.recovery_time_s)
            ),
            key=lambda incident: (incident.started_at, incident.alert_id),
        )
        monitor_reports: list[MonitorReport] = []
        all_windows: list[_PartitionWindows] = []
        for monitor in context.monitors:
            windows, items = reader.windows(f"{context.tenant.id}#{monitor.id}")
            all_windows.append(windows)
            figures = availability_figures(windows.all, target, period.length, period.elapsed)
            own = [incident for incident in incidents if incident.monitor == monitor.id]
            found = [*_figure_violations(monitor, figures, target), *_recovery_violations(own, target)]
            monitor_reports.append(
                MonitorReport(
                    monitor_id=monitor.id,
                    name=monitor.definition.name,
                    type=monitor.definition.type.value,
                    enabled=monitor.definition.enabled,
                    figures=figures,
                    incidents=incident_stats(own),
                    violations=tuple(found),
                    window_items_read=items,
                )
            )
        slo_reports = [_slo_report(slo, target, reader, period.length, period.elapsed) for slo in context.slos]
        tenant_windows = [window for windows in all_windows for window in windows.all]
        tenant_figures = availability_figures(tenant_windows, target, period.length, period.elapsed)
        ratio_reports = [
            report for report in slo_reports if report.sli == "ratio" and report.total and report.good is not None
        ]
        error_rate = None
        if ratio_reports:
            bad = sum((report.total or 0) - (report.good or 0) for report in ratio_reports)
            error_rate = 100 * bad / sum(report.total or 0 for report in ratio_reports)
        violations: list[Violation] = [violation for report in monitor_reports for violation in report.violations]
        violations.extend(
            Violation(
                ViolationKind.SLO, "slo", report.slo_id, report.name, report.attainment_pct, report.objective_pct, "%"
            )
            for report in slo_reports
            if report.violated and report.attainment_pct is not None
        )
        if error_rate is not None and error_rate > target.error_rate_pct:
            violations.append(
                Violation(
                    ViolationKind.ERROR_RATE,
                    "tenant",
                    context.tenant.id,
                    "error rate",
                    error_rate,
                    target.error_rate_pct,
                    "%",
                )
            )
        monitor_ids = {monitor.id for monitor in context.monitors}
        violations.extend(_recovery_violations([i for i in incidents if i.monitor not in monitor_ids], target))
        stats = incident_stats(incidents)
        has_data = tenant_figures is not None or any(report.total for report in slo_reports)
        by_kind = {kind.value: 0 for kind in ViolationKind}
        for violation in violations:
            by_kind[violation.kind.value] += 1
        summary = SlaSummary(
            checks=tenant_figures.total if tenant_figures else 0,
            good_checks=tenant_figures.good if tenant_figures else 0,
            availability_pct=tenant_figures.uptime_pct if tenant_figures else None,
            average_latency_ms=tenant_figures.average_latency_ms if tenant_figures else None,
            p95_latency_ms=tenant_figures.p95_latency_ms if tenant_figures else None,
            error_rate_pct=error_rate,
            budget=_budget_of(tenant_figures),
            violations=len(violations),
            violations_by_kind=by_kind,
            health=health_score(
                tenant_figures.budget_remaining_pct if tenant_figures else None,
                tenant_figures.p95_latency_ms if tenant_figures else None,
                error_rate,
                stats,
                target,
            ),
            incidents=stats,
            has_data=has_data,
        )
        return _Figures(
            summary=summary,
            violations=tuple(violations),
            monitors=tuple(monitor_reports),
            slos=tuple(slo_reports),
            incidents=tuple(incidents),
            trend=_trend(period, all_windows),
            window_items_read=reader.items,
        )


def _budget_of(figures: AvailabilityFigures | None) -> BudgetFigures | None:
    if figures is None:
        return None
    return BudgetFigures(
        figures.allowed_bad,
        figures.budget_remaining,
        figures.budget_remaining_pct,
        figures.budget_remaining_minutes,
        figures.burn_rate,
    )


def _figure_violations(monitor: Monitor, figures: AvailabilityFigures | None, target: SlaTarget) -> list[Violation]:
    if figures is None:
        return []
    name = monitor.definition.name
    actual: dict[str, tuple[ViolationKind, float | None, float, Literal["%", "ms"]]] = {
        "availability": (ViolationKind.AVAILABILITY, figures.uptime_pct, target.availability_pct, "%"),
        "latency_average": (ViolationKind.LATENCY_AVERAGE, figures.average_latency_ms, target.latency_ms, "ms"),
        "latency_p95": (ViolationKind.LATENCY_P95, figures.p95_latency_ms, target.latency_ms, "ms"),
    }
    violations = []
    for found in figures.violations:
        kind, value, limit, unit = actual[found]
        if value is not None:
            violations.append(Violation(kind, "monitor", monitor.id, name, value, limit, unit))
    return violations


def _recovery_violations(incidents: Iterable[Incident], target: SlaTarget) -> list[Violation]:
    return [
        Violation(
            ViolationKind.RECOVERY_TIME,
            "incident",
            incident.alert_id,
            f"{incident.name} ({incident.monitor})" if incident.monitor else incident.name,
            incident.recovery_s,
            float(target.recovery_time_s),
            "s",
            incident.started_at,
        )
        for incident in incidents
        if not incident.within_target
    ]


def _slo_report(slo: Slo, target: SlaTarget, reader: _PeriodReader, length: timedelta, elapsed: timedelta) -> SloReport:
    definition = slo.definition
    if definition.budgeting is Budgeting.TIMESLICES:
        # Slice counts live in the SLO's own partition, also for probe SLIs (adapters/sla_timeslices.py): an
        # hour counts once it is closed, after it ended.
        windows, items = reader.windows(f"{slo.tenant_id}#slo:{slo.id}")
        good = sum(window.get("slices_good", 0) for window in windows.all)
        total = sum(window.get("slices_total", 0) for window in windows.all)
    else:
        windows, items = reader.windows(slo.window_partition)
        good, total = sli_events(slo, windows.all)
    objective = definition.objective(target)
    has_data = total > 0
    return SloReport(
        slo_id=slo.id,
        name=definition.name,
        sli=definition.sli.kind,
        monitor=getattr(definition.sli, "monitor", None),
        budgeting=definition.budgeting.value,
        objective_pct=objective,
        good=good if has_data else None,
        total=total if has_data else None,
        attainment_pct=100 * good / total if has_data else None,
        budget=budget_figures(good, total, 1 - objective / 100, length, elapsed) if has_data else None,
        error_rate_pct=100 * (total - good) / total if has_data and isinstance(definition.sli, RatioSli) else None,
        window_items_read=items,
    )


def _status(has_data: bool, violations: Sequence[Violation]) -> Literal["ok", "violated", "no_data"]:
    if violations:
        return "violated"
    return "ok" if has_data else "no_data"


def _trend(period: ReportPeriod, windows: Sequence[_PartitionWindows]) -> Trend:
    """Per local day (per hour for a daily period) of the period so far: availability and average response time
    of every monitor's checks together. A daily window (a UTC day) counts in the local day that holds its
    middle, an hourly one in the local day that holds its start."""
    zone = ZoneInfo(period.timezone)
    if period.kind is PeriodKind.DAILY:
        resolution: Literal["day", "hour"] = "hour"
        starts = [datetime.fromtimestamp(hour, UTC) for hour in range(_epoch(period.start), _epoch(period.end), HOUR_S)]
        labels = [f"{start.astimezone(zone):%H:%M}" for start in starts]
    else:
        resolution = "day"
        last = min(period.last_day, (period.end - timedelta(seconds=1)).astimezone(zone).date())
        days = [period.first_day + timedelta(days=offset) for offset in range((last - period.first_day).days + 1)]
        starts = [max(period.start, _local_midnight(day, zone)) for day in days]
        labels = [day.isoformat() for day in days]
    if not period.begun or not starts:
        return Trend(resolution, ())
    edges = [start.timestamp() for start in starts]
    sums = [[0.0, 0.0, 0.0, 0.0] for _ in starts]  # total, good, latency_count, latency_sum_ms
    for partition in windows:
        for middle, items in ((DAY_S / 2, partition.days), (0, partition.hours)):
            for window in items:
                index = max(0, bisect.bisect_right(edges, window.get("start", 0) + middle) - 1)
                bucket = sums[index]
                for position, name in enumerate(("total", "good", "latency_count", "latency_sum_ms")):
                    bucket[position] += window.get(name, 0)
    points = tuple(
        TrendPoint(
            start=start,
            label=label,
            checks=int(total),
            availability_pct=100 * good / total if total else None,
            average_latency_ms=latency_sum / latency_count if latency_count else None,
        )
        for start, label, (total, good, latency_count, latency_sum) in zip(starts, labels, sums, strict=True)
    )
    return Trend(resolution, points)


def _mean(values: Iterable[float | None]) -> float | None:
    present = [value for value in values if value is not None]
    return sum(present) / len(present) if present else None


def platform_summary(
    kind: PeriodKind, on: date | None, now: datetime, rows: Sequence[TenantRow], worst: int = WORST_TENANTS
) -> PlatformSlaReport:
    """The platform's figures from its tenants' rows (means over the tenants that have each figure)."""
    with_data = [row for row in rows if row.summary.has_data]
    compliant = sum(1 for row in rows if row.summary.compliant is True)
    by_kind = {kind.value: 0 for kind in ViolationKind}
    for row in rows:
        for name, count in row.summary.violations_by_kind.items():
            by_kind[name] = by_kind.get(name, 0) + count
    scored = [row for row in rows if row.summary.health_score is not None]
    scored.sort(key=lambda row: (row.summary.health_score, row.summary.availability_pct or 0.0, row.tenant_id))
    return PlatformSlaReport(
        kind=kind,
        labels=tuple(sorted({row.period.label for row in rows})),
        on=on,
        generated_at=now,
        rows=tuple(rows),
        compliant_tenants=compliant,
        tenants_with_data=len(with_data),
        compliance_pct=100 * compliant / len(with_data) if with_data else None,
        average_availability_pct=_mean(row.summary.availability_pct for row in rows),
        average_latency_ms=_mean(row.summary.average_latency_ms for row in rows),
        average_error_rate_pct=_mean(row.summary.error_rate_pct for row in rows),
        violations_by_kind=by_kind,
        worst_tenants=tuple(row.tenant_id for row in scored[: max(0, worst)]),
        window_items_read=sum(row.window_items_read for row in rows),
    )


# -- the API's query ----------------------------------------------------------------------------------------------


ReportFormat = Literal["json", "csv", "html"]
REPORT_FORMATS: tuple[ReportFormat, ...] = ("json", "csv", "html")
_TENANT_ID = re.compile(TENANT_ID_PATTERN)


@dataclass(frozen=True, slots=True)
class SlaReportQuery:
    period: PeriodKind = PeriodKind.MONTHLY
    on: date | None = None
    format: ReportFormat = "json"
    tenant: str | None = None  # None: platform-wide (an operator's report)
    include_previous: bool = True


def parse_report_query(params: Mapping[str, str] | None, *, report: bool = True) -> SlaReportQuery:
    """The query of GET /v1/reports/sla (`report`: period, date, format, tenant, previous) or of
    GET /v1/sla/{tenant} (period, date, previous). Raises a 400 naming the parameter."""
    params = params or {}
    allowed = ("period", "date", "format", "tenant", "previous") if report else ("period", "date", "previous")
    unknown = sorted(set(params) - set(allowed))
    if unknown:
        raise bad_request(unknown[0], f"unknown query parameter (use {', '.join(allowed)})")
    period = parse_period_kind(params.get("period") or PeriodKind.MONTHLY)
    on = parse_date(params["date"]) if params.get("date") else None
    fmt = (params.get("format") or "json").strip().lower()
    if fmt not in REPORT_FORMATS:
        raise bad_request("format", "must be one of " + ", ".join(REPORT_FORMATS))
    tenant = (params.get("tenant") or "").strip() or None
    if tenant is not None and not _TENANT_ID.fullmatch(tenant):
        raise bad_request("tenant", "is not a tenant id")
    previous_text = (params.get("previous") or "true").strip().lower()
    if previous_text not in ("true", "false", "1", "0"):
        raise bad_request("previous", "must be true or false")
    return SlaReportQuery(
        period=period,
        on=on,
        format=fmt,
        tenant=tenant,
        include_previous=previous_text in ("true", "1"),
    )
