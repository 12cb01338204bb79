"""A tenant's status page: each monitor's state now, its last 90 days, its response time over the last day, the
open incidents, and this month's uptime against the tenant's SLA target.

Everything comes from the SLA windows table (see adapters/sla_windows.py), the monitors' stored states and the
open alerts, with reads bounded per monitor whatever its check interval:
- one Query of its daily windows for the 90 UTC days shown (today so far included),
- one Query of its hourly windows for the last 24 hours (the response-time chart),
- one Query of the single minute window its last check counted in (its last response time),
- in a time zone whose month does not begin on a UTC midnight, one Query of the hours that start the month
  (the rest of the month is already read: whole UTC days from the daily windows, today's hours from the hourly),
and for the whole page one batch load of the states, one read of the monitors, one of the open alerts, one of
the tenant and one of its SLA policy.

A day (or an hour) without a conclusive check has no figure: None, never 100 %.

The public variant is what anyone may read once the tenant has switched it on: no monitor targets, and of the
open incidents only those about the monitors on the page, with their title, severity and start (no labels, no
annotations: an alert's summary may name what the public should not see).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Literal

from vigil_core.errors import not_found
from vigil_core.models.alerts import Alert, AlertStatus, Severity
from vigil_core.models.monitors import Monitor
from vigil_core.models.probes import MonitorKey, StoredMonitorState
from vigil_core.models.sla import DAY_S, HOUR_S, SlaTarget, window_coverage
from vigil_core.models.slo import SlaPolicy
from vigil_core.models.status_page import StatusPageSettings
from vigil_core.ports import AlertStore, MonitorRepository, ProbeStore, SlaWindowReader, SloRepository, TenantDirectory
from vigil_core.probes.verdicts import MonitorStatus
from vigil_core.services.sla_reports import PeriodKind, report_period, tenant_target

HISTORY_DAYS = 90
CHART_HOURS = 24
MINUTE_S = 60

OverallState = Literal["operational", "degraded", "outage", "no_data"]
MonitorPageState = Literal["up", "degraded", "pending", "down", "maintenance", "paused", "no_data"]
Compliance = Literal["compliant", "violated", "no_data"]

_STATES: dict[MonitorStatus, MonitorPageState] = {
    MonitorStatus.UP: "up",
    MonitorStatus.DEGRADED: "degraded",
    MonitorStatus.PENDING: "pending",
    MonitorStatus.DOWN: "down",
    MonitorStatus.MAINTENANCE: "maintenance",
}
# Pending alerts have not fired yet: they are doubts, not incidents.
_INCIDENT_STATUSES = (AlertStatus.FIRING, AlertStatus.ACKNOWLEDGED)

Window = Mapping[str, float]


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _pct(good: float, total: float) -> float | None:
    return 100 * good / total if total else None


@dataclass(frozen=True, slots=True)
class DayCell:
    """One UTC day of a monitor's uptime bar."""

    day: date
    good: int
    total: int  # conclusive checks outside maintenance

    @property
    def availability_pct(self) -> float | None:
        """None: no conclusive check that day."""
        return _pct(self.good, self.total)


@dataclass(frozen=True, slots=True)
class ResponseTimePoint:
    """One UTC hour of the response-time chart."""

    start: datetime
    checks: int  # checks that measured a response time
    average_ms: float | None  # None: none did


@dataclass(frozen=True, slots=True)
class SlaCompliance:
    """This month's uptime so far against the tier's availability target."""

    good: int
    total: int
    target_pct: float

    @property
    def uptime_pct(self) -> float | None:
        return _pct(self.good, self.total)

    @property
    def status(self) -> Compliance:
        uptime = self.uptime_pct
        if uptime is None:
            return "no_data"
        return "compliant" if uptime >= self.target_pct else "violated"


@dataclass(frozen=True, slots=True)
class MonitorStatusView:
    id: str
    name: str
    type: str
    target: str | None  # None in the public variant, and for monitors without one (heartbeats)
    state: MonitorPageState
    since: datetime | None  # when the state began
    last_checked_at: datetime | None
    last_response_ms: float | None  # of the last check (the mean of its minute's checks for 30 s monitors)
    days: tuple[DayCell, ...]  # HISTORY_DAYS cells, oldest first, today (so far) last
    response_times: tuple[ResponseTimePoint, ...]  # CHART_HOURS points, oldest first, this hour last
    sla: SlaCompliance

    @property
    def uptime_pct(self) -> float | None:
        """Over the days shown; None without any conclusive check."""
        return _pct(sum(cell.good for cell in self.days), sum(cell.total for cell in self.days))


@dataclass(frozen=True, slots=True)
class IncidentView:
    title: str
    severity: Severity
    since: datetime
    # Private variant only (None or empty in the public one):
    state: AlertStatus | None = None
    monitor: str | None = None  # the monitor id the alert is about
    summary: str | None = None
    labels: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class StatusPage:
    tenant_id: str
    title: str
    description: str
    public: bool
    generated_at: datetime
    overall: OverallState
    monitors: tuple[MonitorStatusView, ...]
    incidents: tuple[IncidentView, ...]  # most severe first, then the longest open
    tier: str
    target: SlaTarget
    sla_period: str  # this month's label, e.g. 2026-03
    sla_timezone: str
    sla: SlaCompliance  # every monitor on the page together
    first_day: date  # of the uptime bars
    last_day: date


@dataclass
class StatusPageService:
    """Builds status pages. page() raises a 404 VigilError for an unknown tenant, or for a public variant the
    tenant has not switched on, and lets StoreUnavailableError through (a 503)."""

    monitors: MonitorRepository
    probes: ProbeStore
    alerts: AlertStore
    windows: SlaWindowReader
    slos: SloRepository
    tenants: TenantDirectory
    clock: Callable[[], datetime] = field(default=_utc_now)

    def page(self, tenant_id: str, settings: StatusPageSettings, *, public: bool) -> StatusPage:
        if public and not settings.public:
            raise not_found(f"tenant {tenant_id!r} has no public status page")
        tenant = self.tenants.get_tenant(tenant_id)
        if tenant is None:
            raise not_found(f"tenant {tenant_id!r} not found")
        now = self.clock().astimezone(UTC)
        policy = self.slos.get_sla_policy(tenant.id) or SlaPolicy()
        target = tenant_target(tenant, policy)
        month = report_period(PeriodKind.MONTHLY, policy.timezone, None, now)
        shown = self._shown_monitors(tenant.id, settings)
        states = self.probes.load_states([MonitorKey(tenant.id, monitor.id) for monitor in shown]) if shown else {}
        plan = _ReadPlan.at(now, month.start, month.end)
        views = tuple(
            self._monitor_view(monitor, states.get(MonitorKey(tenant.id, monitor.id)), plan, target, public=public)
            for monitor in shown
        )
        incidents = _incidents(self.alerts.open_alerts(tenant.id), shown, public=public)
        return StatusPage(
            tenant_id=tenant.id,
            title=settings.title or f"{tenant.name} status",
            description=settings.description,
            public=public,
            generated_at=now,
            overall=overall_state(views, incidents),
            monitors=views,
            incidents=incidents,
            tier=policy.tier or tenant.sla_tier.value,
            target=target,
            sla_period=month.label,
            sla_timezone=month.timezone,
            sla=SlaCompliance(
                good=sum(view.sla.good for view in views),
                total=sum(view.sla.total for view in views),
                target_pct=target.availability_pct,
            ),
            first_day=plan.first_day,
            last_day=plan.today,
        )

    def _shown_monitors(self, tenant_id: str, settings: StatusPageSettings) -> list[Monitor]:
        """The settings' monitors in their order (deleted ones left out), or all of the tenant's by name."""
        if settings.monitors is None:
            found = self.monitors.list_for_tenant(tenant_id)
            return sorted(found, key=lambda monitor: (monitor.definition.name.casefold(), monitor.id))
        wanted = list(dict.fromkeys(settings.monitors))
        if not wanted:
            return []
        by_id = {monitor.id: monitor for monitor in self.monitors.get_many([MonitorKey(tenant_id, m) for m in wanted])}
        return [by_id[monitor_id] for monitor_id in wanted if monitor_id in by_id]

    def _monitor_view(
        self,
        monitor: Monitor,
        stored: StoredMonitorState | None,
        plan: _ReadPlan,
        target: SlaTarget,
        *,
        public: bool,
    ) -> MonitorStatusView:
        partition = f"{monitor.tenant_id}#{monitor.id}"
        days = self.windows.windows(partition, "day", plan.days_start, plan.days_end)
        hours = self.windows.windows(partition, "hour", plan.hours_start, plan.hours_end)
        state = (stored or StoredMonitorState()).state
        definition = monitor.definition
        return MonitorStatusView(
            id=monitor.id,
            name=definition.name,
            type=definition.type.value,
            target=None if public else getattr(definition, "target", None),
            state=_state_of(state.status, enabled=definition.enabled),
            since=state.since,
            last_checked_at=state.last_checked_at,
            last_response_ms=self._last_response_ms(partition, state.last_slot),
            days=_day_cells(days, plan.first_day),
            response_times=_response_times(hours, plan.hours_start),
            sla=self._month_compliance(partition, days, hours, plan, target),
        )

    def _last_response_ms(self, partition: str, last_slot: int) -> float | None:
        if last_slot < 0:
            return None  # never checked
        start = last_slot // MINUTE_S * MINUTE_S
        found = self.windows.windows(partition, "minute", start, start + MINUTE_S)
        count = sum(window.get("latency_count", 0) for window in found)
        return sum(window.get("latency_sum_ms", 0.0) for window in found) / count if count else None

    def _month_compliance(
        self, partition: str, days: Sequence[Window], hours: Sequence[Window], plan: _ReadPlan, target: SlaTarget
    ) -> SlaCompliance:
        """The month so far, as SLA reports count it: its whole UTC days from the daily windows, the hours at
        either end from the hourly ones."""
        by_day = {int(window["start"]): window for window in days}
        by_hour = {int(window["start"]): window for window in hours}
        missing = [hour for hour in plan.month_hours if not plan.hours_start <= hour < plan.hours_end]
        if missing:  # the month's first hours, before its first UTC midnight, more than a day ago
            by_hour.update(
                (int(window["start"]), window)
                for window in self.windows.windows(partition, "hour", missing[0], missing[-1] + HOUR_S)
            )
        counted = [by_day[day] for day in plan.month_days if day in by_day]
        counted.extend(by_hour[hour] for hour in plan.month_hours if hour in by_hour)
        return SlaCompliance(
            good=int(sum(window.get("good", 0) for window in counted)),
            total=int(sum(window.get("total", 0) for window in counted)),
            target_pct=target.availability_pct,
        )


@dataclass(frozen=True, slots=True)
class _ReadPlan:
    """What every monitor's reads cover (epoch seconds, UTC)."""

    first_day: date
    today: date
    days_start: int
    days_end: int
    hours_start: int
    hours_end: int
    month_days: tuple[int, ...]
    month_hours: tuple[int, ...]

    @classmethod
    def at(cls, now: datetime, month_start: datetime, month_end: datetime) -> _ReadPlan:
        epoch = int(now.timestamp())
        today_start = epoch // DAY_S * DAY_S
        hour_start = epoch // HOUR_S * HOUR_S
        coverage = window_coverage(month_start, month_end)
        today = datetime.fromtimestamp(today_start, UTC).date()
        return cls(
            first_day=today - timedelta(days=HISTORY_DAYS - 1),
            today=today,
            days_start=today_start - (HISTORY_DAYS - 1) * DAY_S,
            days_end=today_start + DAY_S,
            hours_start=hour_start - (CHART_HOURS - 1) * HOUR_S,
            hours_end=hour_start + HOUR_S,
            month_days=coverage.days,
            month_hours=coverage.hours,
        )


def _state_of(status: MonitorStatus | None, *, enabled: bool) -> MonitorPageState:
    if not enabled:
        return "paused"
    return "no_data" if status is None else _STATES[status]


def _day_cells(windows: Sequence[Window], first_day: date) -> tuple[DayCell, ...]:
    by_day = {datetime.fromtimestamp(int(window["start"]), UTC).date(): window for window in windows}
    cells = []
    for offset in range(HISTORY_DAYS):
        day = first_day + timedelta(days=offset)
        window = by_day.get(day, {})
        cells.append(DayCell(day=day, good=int(window.get("good", 0)), total=int(window.get("total", 0))))
    return tuple(cells)


def _response_times(windows: Sequence[Window], first_hour: int) -> tuple[ResponseTimePoint, ...]:
    by_hour = {int(window["start"]): window for window in windows}
    points = []
    for offset in range(CHART_HOURS):
        start = first_hour + offset * HOUR_S
        window = by_hour.get(start, {})
        count = int(window.get("latency_count", 0))
        average = window.get("latency_sum_ms", 0.0) / count if count else None
        points.append(ResponseTimePoint(datetime.fromtimestamp(start, UTC), count, average))
    return tuple(points)


def _incidents(alerts: Sequence[Alert], shown: Sequence[Monitor], *, public: bool) -> tuple[IncidentView, ...]:
    names = {monitor.id: monitor.definition.name for monitor in shown}
    views = []
    for alert in alerts:
        if alert.status not in _INCIDENT_STATUSES:
            continue
        monitor = alert.labels.get("monitor") or alert.group_labels.get("monitor")
        shown_name = names.get(monitor) if monitor else None
        if public and shown_name is None:
            continue  # an alert about something the page does not show is not the public's business
        title = alert.rule_name if shown_name is None else f"{alert.rule_name}: {shown_name}"
        since = alert.fired_at or alert.first_seen
        if public:
            views.append(IncidentView(title=title, severity=alert.severity, since=since))
            continue
        views.append(
            IncidentView(
                title=title,
                severity=alert.severity,
                since=since,
                state=alert.status,
                monitor=monitor,
                summary=alert.annotations.summary,
                labels=dict(sorted(alert.labels.items())),
            )
        )
    views.sort(key=lambda view: (-view.severity.rank, view.since, view.title))
    return tuple(views)


def overall_state(monitors: Sequence[MonitorStatusView], incidents: Sequence[IncidentView]) -> OverallState:
    """outage: a monitor on the page is down. degraded: one is degraded or failing (pending), or an incident is
    open. operational: every monitor with a state is up (or in maintenance). no_data: no monitor has one yet
    (paused monitors do not count)."""
    states = {view.state for view in monitors} - {"paused", "no_data"}
    if "down" in states:
        return "outage"
    if states & {"degraded", "pending"} or (states and incidents):
        return "degraded"
    if states:
        return "operational"
    return "degraded" if incidents else "no_data"
