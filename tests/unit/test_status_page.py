"""Status pages built from synthetic SLA windows, monitor states and alerts, against figures computed by hand."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

import pytest

from vigil_core.adapters.dynamodb_slos import InMemorySloRepository
from vigil_core.adapters.memory import InMemoryTenantDirectory
from vigil_core.adapters.memory_alerts import MemoryAlertStore
from vigil_core.adapters.memory_probes import InMemoryMonitorRepository, InMemoryProbeStore
from vigil_core.adapters.sla_windows import InMemorySlaWindows
from vigil_core.errors import VigilError
from vigil_core.models.alerts import Alert, AlertChange, AlertSource, AlertStatus, Annotations, Severity
from vigil_core.models.monitors import MONITOR_DEFINITION, Monitor
from vigil_core.models.probes import MonitorKey, StoredMonitorState
from vigil_core.models.slo import SlaPolicy
from vigil_core.models.status_page import StatusPageSettings
from vigil_core.models.tenants import SlaTier, Tenant
from vigil_core.probes.verdicts import MonitorState, MonitorStatus
from vigil_core.services.status_page import (
    CHART_HOURS,
    HISTORY_DAYS,
    IncidentView,
    MonitorStatusView,
    SlaCompliance,
    StatusPage,
    StatusPageService,
    overall_state,
)

NOW = datetime(2026, 3, 15, 12, 30, tzinfo=UTC)  # a Sunday; March is before Berlin's summer time
TODAY = NOW.date()
CREATED = datetime(2025, 1, 1, tzinfo=UTC)
EVERY_MINUTE = 1440  # checks a day, one a minute


def noon(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, 12, tzinfo=UTC).timestamp())


def hour_of(at: datetime) -> int:
    return int(at.timestamp()) // 3600 * 3600


class CountingWindows(InMemorySlaWindows):
    """The in-memory windows, recording every query a reader makes: (partition, resolution, start, end)."""

    def __init__(self) -> None:
        super().__init__()
        self.queries: list[tuple[str, str, int, int]] = []

    def windows(
        self, partition: str, resolution: Literal["minute", "hour", "day"], start_epoch: int, end_epoch: int
    ) -> list[dict[str, int | float]]:
        self.queries.append((partition, resolution, start_epoch, end_epoch))
        return super().windows(partition, resolution, start_epoch, end_epoch)


class SetStates(InMemoryProbeStore):
    """Monitor states as a test sets them, counting the batch loads."""

    def __init__(self, windows: InMemorySlaWindows) -> None:
        super().__init__(windows)
        self.set: dict[MonitorKey, MonitorState] = {}
        self.loads: list[list[MonitorKey]] = []

    def load_states(self, keys: Sequence[MonitorKey]) -> dict[MonitorKey, StoredMonitorState]:
        self.loads.append(list(keys))
        return {key: StoredMonitorState(self.set.get(key, MonitorState())) for key in keys}


@dataclass
class StatusWorld:
    """One tenant's monitors, states, SLA windows and alerts in memory, and the service over them."""

    tenant_id: str = "acme"
    now: datetime = NOW
    tenants: InMemoryTenantDirectory = field(default_factory=InMemoryTenantDirectory)
    monitors: InMemoryMonitorRepository = field(default_factory=InMemoryMonitorRepository)
    windows: CountingWindows = field(default_factory=CountingWindows)
    alerts: MemoryAlertStore = field(default_factory=MemoryAlertStore)
    slos: InMemorySloRepository = field(default_factory=InMemorySloRepository)
    probes: SetStates = field(init=False)

    def __post_init__(self) -> None:
        self.probes = SetStates(self.windows)

    def tenant(self, name: str = "Acme", tier: SlaTier = SlaTier.PROFESSIONAL, policy: SlaPolicy | None = None) -> None:
        self.tenants.put_tenant(Tenant(id=self.tenant_id, name=name, sla_tier=tier, created_at=CREATED))
        if policy is not None:
            self.slos.put_sla_policy(self.tenant_id, policy)

    def monitor(self, monitor_id: str, name: str | None = None, **definition: Any) -> None:
        body = {
            "type": "http",
            "name": name or monitor_id,
            "target": f"https://{monitor_id}.example.com/",
            **definition,
        }
        if body["type"] == "heartbeat":
            del body["target"]  # a heartbeat has none: its app calls in
        self.monitors.create(
            Monitor(
                tenant_id=self.tenant_id,
                id=monitor_id,
                definition=MONITOR_DEFINITION.validate_python(body),
                created_at=CREATED,
                updated_at=CREATED,
            )
        )

    def state(self, monitor_id: str, status: MonitorStatus, since: datetime, checked_at: datetime) -> None:
        slot = int(checked_at.timestamp()) // 60 * 60
        self.probes.set[MonitorKey(self.tenant_id, monitor_id)] = MonitorState(
            status=status, settled=status, since=since, last_checked_at=checked_at, last_slot=slot, version=1
        )

    def day(self, monitor_id: str, day: date, good: int, total: int = EVERY_MINUTE) -> None:
        self.windows.add(f"{self.tenant_id}#{monitor_id}", noon(day), {"total": total, "good": good})

    def add(self, monitor_id: str, at: datetime, counters: Mapping[str, float]) -> None:
        """Counters added at one instant (its minute, hour and day)."""
        self.windows.add(f"{self.tenant_id}#{monitor_id}", int(at.timestamp()), counters)

    def alert(
        self,
        fingerprint: str,
        rule: str,
        status: AlertStatus,
        severity: Severity = Severity.CRITICAL,
        monitor: str | None = None,
        fired_at: datetime | None = None,
        summary: str | None = None,
    ) -> None:
        labels = {"alertname": rule, "severity": severity.value}
        if monitor is not None:
            labels["monitor"] = monitor
        fired = fired_at or self.now - timedelta(hours=1)
        alert = Alert(
            tenant_id=self.tenant_id,
            fingerprint=fingerprint,
            rule_id=rule,
            rule_name=rule,
            source=AlertSource.PROBE if monitor else AlertSource.RULE,
            status=status,
            severity=severity,
            labels=labels,
            group_labels={"monitor": monitor} if monitor else {},
            annotations=Annotations(summary=summary),
            first_seen=fired,
            last_seen=self.now,
            fired_at=None if status is AlertStatus.PENDING else fired,
            changed_at=fired,
        )
        assert self.alerts.save(AlertChange(alert, 0, None))

    def service(self) -> StatusPageService:
        return StatusPageService(
            monitors=self.monitors,
            probes=self.probes,
            alerts=self.alerts,
            windows=self.windows,
            slos=self.slos,
            tenants=self.tenants,
            clock=lambda: self.now,
        )

    def page(self, settings: StatusPageSettings | None = None, *, public: bool = False) -> StatusPage:
        return self.service().page(self.tenant_id, settings or StatusPageSettings(public=public), public=public)


def only(page: StatusPage, monitor_id: str) -> MonitorStatusView:
    [view] = [monitor for monitor in page.monitors if monitor.id == monitor_id]
    return view


@pytest.fixture
def world() -> StatusWorld:
    world = StatusWorld()
    world.tenant()
    return world


# -- the 90 days ------------------------------------------------------------------------------------------------


def test_each_day_of_the_bar_has_the_availability_of_its_daily_window(world: StatusWorld) -> None:
    # Given a monitor checked every minute: 3 checks failed yesterday, 144 ten days ago, none today so far
    world.monitor("shop")
    world.day("shop", TODAY - timedelta(days=1), good=1437)
    world.day("shop", TODAY - timedelta(days=10), good=1296)
    world.day("shop", TODAY, good=750, total=750)
    # When the page is built
    shop = only(world.page(), "shop")
    # Then there are 90 cells, 2025-12-16 (89 days ago) to today, oldest first
    assert len(shop.days) == HISTORY_DAYS == 90
    assert (shop.days[0].day, shop.days[-1].day) == (date(2025, 12, 16), TODAY)
    by_day = {cell.day: cell for cell in shop.days}
    # 1437 / 1440 = 99.7917 %; 1296 / 1440 = 90 %; 750 / 750 = 100 %
    assert by_day[TODAY - timedelta(days=1)].availability_pct == pytest.approx(99.791667, abs=1e-6)
    assert by_day[TODAY - timedelta(days=10)].availability_pct == pytest.approx(90.0)
    assert (by_day[TODAY].good, by_day[TODAY].total, by_day[TODAY].availability_pct) == (750, 750, 100.0)
    # and a day without a check is no data, not 100 %
    assert by_day[TODAY - timedelta(days=2)].availability_pct is None
    assert by_day[TODAY - timedelta(days=2)].total == 0
    # The 90-day uptime is every check together: (1437 + 1296 + 750) / (1440 + 1440 + 750) = 3483 / 3630
    assert shop.uptime_pct == pytest.approx(100 * 3483 / 3630)


def test_a_day_before_the_90_days_is_left_out(world: StatusWorld) -> None:
    # Given a bad day 90 days ago (one day before the first cell) and a good day 89 days ago
    world.monitor("shop")
    world.day("shop", TODAY - timedelta(days=90), good=0)
    world.day("shop", TODAY - timedelta(days=89), good=1440)
    # Then only the good one counts
    shop = only(world.page(), "shop")
    assert shop.days[0].availability_pct == 100.0
    assert shop.uptime_pct == 100.0


def test_a_monitor_without_any_data_reads_no_data_everywhere(world: StatusWorld) -> None:
    # Given a monitor never checked
    world.monitor("new")
    # When the page is built
    page = world.page()
    new = only(page, "new")
    # Then every figure is no data, never 100 %
    assert all(cell.availability_pct is None for cell in new.days)
    assert new.uptime_pct is None
    assert (new.state, new.since, new.last_checked_at, new.last_response_ms) == ("no_data", None, None, None)
    assert all(point.average_ms is None for point in new.response_times)
    assert (new.sla.status, new.sla.uptime_pct) == ("no_data", None)
    assert (page.overall, page.sla.status) == ("no_data", "no_data")


# -- now: state, last check, response times -----------------------------------------------------------------------


def test_the_current_state_since_and_last_check_come_from_the_stored_state(world: StatusWorld) -> None:
    # Given a monitor down for 40 minutes, last checked 20 s ago, in 412.5 ms
    world.monitor("api", "Public API")
    checked = NOW - timedelta(seconds=20)
    world.state("api", MonitorStatus.DOWN, NOW - timedelta(minutes=40), checked)
    world.add("api", checked, {"total": 1, "latency_count": 1, "latency_sum_ms": 412.5})
    # When the page is built
    api = only(world.page(), "api")
    # Then it shows all of it
    assert (api.name, api.type, api.target) == ("Public API", "http", "https://api.example.com/")
    assert (api.state, api.since, api.last_checked_at) == ("down", NOW - timedelta(minutes=40), checked)
    assert api.last_response_ms == 412.5


def test_a_paused_monitor_reads_paused_whatever_its_last_state(world: StatusWorld) -> None:
    world.monitor("old", enabled=False)
    world.state("old", MonitorStatus.DOWN, NOW - timedelta(days=3), NOW - timedelta(days=3))
    page = world.page()
    assert only(page, "old").state == "paused"
    assert page.overall == "no_data"  # a paused monitor does not make an outage


def test_the_chart_has_each_of_the_last_24_hours_average_response_time(world: StatusWorld) -> None:
    # Given 60 checks this hour averaging 80 ms, 30 checks 5 hours ago averaging 250 ms, and none 3 hours ago;
    # and a check 25 hours ago, before the chart
    world.monitor("shop")
    this_hour = datetime.fromtimestamp(hour_of(NOW), UTC)
    world.add("shop", this_hour, {"latency_count": 60, "latency_sum_ms": 4800.0})
    world.add("shop", this_hour - timedelta(hours=5), {"latency_count": 30, "latency_sum_ms": 7500.0})
    world.add("shop", this_hour - timedelta(hours=25), {"latency_count": 1, "latency_sum_ms": 9999.0})
    # When the page is built
    points = only(world.page(), "shop").response_times
    # Then there are 24 hourly points, from 23 hours before this hour to this hour
    assert len(points) == CHART_HOURS == 24
    assert (points[0].start, points[-1].start) == (this_hour - timedelta(hours=23), this_hour)
    assert (points[-1].checks, points[-1].average_ms) == (60, 80.0)
    assert (points[-6].checks, points[-6].average_ms) == (30, 250.0)
    assert (points[-4].checks, points[-4].average_ms) == (0, None)
    assert 9999.0 not in [point.average_ms for point in points]


# -- incidents --------------------------------------------------------------------------------------------------


def test_open_incidents_are_the_firing_and_acknowledged_alerts_most_severe_first(world: StatusWorld) -> None:
    # Given a firing warning, an acknowledged critical, a pending alert and a resolved one
    world.monitor("api", "Public API")
    world.alert("w", "slow", AlertStatus.FIRING, Severity.WARNING, monitor="api", fired_at=NOW - timedelta(hours=3))
    world.alert("c", "service-down", AlertStatus.ACKNOWLEDGED, monitor="api", summary="api is down")
    world.alert("p", "maybe", AlertStatus.PENDING, monitor="api")
    world.alert("r", "over", AlertStatus.RESOLVED, monitor="api")
    # When the private page is built
    incidents = world.page().incidents
    # Then the two open ones show, with their state, summary and labels; pending is not an incident yet
    assert [(incident.title, incident.severity) for incident in incidents] == [
        ("service-down: Public API", Severity.CRITICAL),
        ("slow: Public API", Severity.WARNING),
    ]
    critical = incidents[0]
    assert (critical.state, critical.monitor, critical.summary) == (AlertStatus.ACKNOWLEDGED, "api", "api is down")
    assert critical.labels == {"alertname": "service-down", "monitor": "api", "severity": "critical"}
    assert incidents[1].since == NOW - timedelta(hours=3)


def test_the_public_variant_hides_targets_labels_and_alerts_about_what_it_does_not_show(world: StatusWorld) -> None:
    # Given an alert about a shown monitor (with a summary), one about a monitor left off the page, and a metric
    # rule's alert
    world.monitor("api")
    world.monitor("internal")
    world.alert("a", "service-down", AlertStatus.FIRING, monitor="api", summary="db password expired")
    world.alert("b", "service-down", AlertStatus.FIRING, monitor="internal")
    world.alert("c", "disk-full", AlertStatus.FIRING)
    settings = StatusPageSettings(public=True, monitors=("api",))
    # When the public page is built
    page = world.page(settings, public=True)
    # Then the monitor has no target, and only the shown monitor's incident is there, without its details
    assert [(view.id, view.target) for view in page.monitors] == [("api", None)]
    assert page.incidents == (
        IncidentView(title="service-down: api", severity=Severity.CRITICAL, since=NOW - timedelta(hours=1)),
    )
    assert page.public is True
    # while the private page with the same settings shows all three, with details
    private = world.page(settings, public=False)
    assert private.monitors[0].target == "https://api.example.com/"
    assert len(private.incidents) == 3
    assert {incident.summary for incident in private.incidents} == {"db password expired", None}


def test_a_public_page_the_tenant_has_not_switched_on_is_not_found(world: StatusWorld) -> None:
    with pytest.raises(VigilError) as raised:
        world.service().page("acme", StatusPageSettings(public=False), public=True)
    assert raised.value.status == 404


def test_an_unknown_tenant_is_not_found(world: StatusWorld) -> None:
    with pytest.raises(VigilError) as raised:
        world.service().page("nobody", StatusPageSettings(), public=False)
    assert (raised.value.status, raised.value.message) == (404, "tenant 'nobody' not found")


# -- which monitors -------------------------------------------------------------------------------------------------


def test_without_a_list_every_monitor_shows_by_name(world: StatusWorld) -> None:
    world.monitor("b", "beta")
    world.monitor("a", "Zulu")
    world.monitor("c", "Alpha")
    assert [view.id for view in world.page().monitors] == ["c", "b", "a"]


def test_the_settings_list_picks_and_orders_the_monitors_and_skips_deleted_ones(world: StatusWorld) -> None:
    # Given three monitors and a page listing two of them (and one that was deleted) in its own order
    for monitor_id in ("a", "b", "c"):
        world.monitor(monitor_id)
    settings = StatusPageSettings(monitors=("c", "gone", "a"))
    # Then the page shows those two, in that order, and reads nothing of the third
    page = world.page(settings)
    assert [view.id for view in page.monitors] == ["c", "a"]
    assert {partition for partition, *_ in world.windows.queries} == {"acme#c", "acme#a"}


def test_an_empty_list_shows_no_monitor(world: StatusWorld) -> None:
    world.monitor("a")
    page = world.page(StatusPageSettings(monitors=()))
    assert (page.monitors, page.overall, world.probes.loads) == ((), "no_data", [])


def test_the_title_is_the_settings_or_else_the_tenants_name(world: StatusWorld) -> None:
    assert world.page().title == "Acme status"
    page = world.page(StatusPageSettings(title="Acme services", description="All of them"))
    assert (page.title, page.description) == ("Acme services", "All of them")


# -- overall state --------------------------------------------------------------------------------------------------


def view(state: str) -> MonitorStatusView:
    return MonitorStatusView(
        id=state,
        name=state,
        type="http",
        target=None,
        state=state,  # type: ignore[arg-type]
        since=None,
        last_checked_at=None,
        last_response_ms=None,
        days=(),
        response_times=(),
        sla=SlaCompliance(0, 0, 99.5),
    )


INCIDENT = IncidentView(title="x", severity=Severity.WARNING, since=NOW)


@pytest.mark.parametrize(
    ("states", "incidents", "expected"),
    [
        (["up", "up"], [], "operational"),
        (["up", "maintenance"], [], "operational"),
        (["up", "no_data"], [], "operational"),
        (["up", "degraded"], [], "degraded"),
        (["up", "pending"], [], "degraded"),
        (["up", "up"], [INCIDENT], "degraded"),
        (["up", "degraded", "down"], [], "outage"),
        (["down", "paused"], [INCIDENT], "outage"),
        (["no_data", "paused"], [], "no_data"),
        ([], [], "no_data"),
        ([], [INCIDENT], "degraded"),
    ],
)
def test_the_overall_state(states: list[str], incidents: list[IncidentView], expected: str) -> None:
    assert overall_state([view(state) for state in states], incidents) == expected


def test_the_page_overall_state_follows_its_monitors(world: StatusWorld) -> None:
    world.monitor("a")
    world.monitor("b")
    world.state("a", MonitorStatus.UP, NOW - timedelta(days=1), NOW)
    world.state("b", MonitorStatus.DEGRADED, NOW - timedelta(hours=1), NOW)
    assert world.page().overall == "degraded"


# -- SLA compliance -------------------------------------------------------------------------------------------------


def test_this_months_uptime_is_compared_with_the_tiers_target(world: StatusWorld) -> None:
    # Given a professional tenant (99.5 %): `good` checked 1440 times on each of March 1..15 with 50 failures on
    # the 2nd; `bad` with 100 failures a day; both awful on February 28, which is not this month
    world.monitor("good")
    world.monitor("bad")
    for offset in range(15):
        day = date(2026, 3, 1) + timedelta(days=offset)
        world.day("good", day, good=1390 if day == date(2026, 3, 2) else 1440)
        world.day("bad", day, good=1340)
    world.day("good", date(2026, 2, 28), good=0)
    world.day("bad", date(2026, 2, 28), good=0)
    # When the page is built
    page = world.page()
    # Then: good 21,550 / 21,600 = 99.7685 % (met); bad 20,100 / 21,600 = 93.0556 % (missed);
    # together 41,650 / 43,200 = 96.412 % (missed)
    good, bad = only(page, "good").sla, only(page, "bad").sla
    assert (good.good, good.total, good.status) == (21_550, 21_600, "compliant")
    assert good.uptime_pct == pytest.approx(99.768519, abs=1e-6)
    assert (bad.good, bad.total, bad.status) == (20_100, 21_600, "violated")
    assert (page.sla.good, page.sla.total, page.sla.status) == (41_650, 43_200, "violated")
    assert (page.sla.target_pct, page.tier, page.sla_period, page.sla_timezone) == (
        99.5,
        "professional",
        "2026-03",
        "UTC",
    )


def test_the_sla_policy_sets_the_tier_target_and_time_zone(world: StatusWorld) -> None:
    # Given an enterprise-tier policy overriding availability to 99.95 % in Berlin (UTC+1 in March): the month
    # begins on February 28 at 23:00 UTC
    world.tenant(policy=SlaPolicy(tier="enterprise", availability_pct=99.95, timezone="Europe/Berlin"))
    world.monitor("api")
    before = datetime(2026, 2, 28, 22, 30, tzinfo=UTC)  # February in Berlin too
    first_hour = datetime(2026, 2, 28, 23, 30, tzinfo=UTC)  # March 1, 00:30 in Berlin
    world.add("api", before, {"total": 100, "good": 0})
    world.add("api", first_hour, {"total": 60, "good": 59})
    world.day("api", date(2026, 3, 5), good=1440)
    queries_before = len(world.windows.queries)
    # When the page is built
    page = world.page()
    # Then the month counts the first Berlin hour and March's days, not February's last UTC hours:
    # (59 + 1440) / (60 + 1440) = 99.9333 %, under 99.95 %
    api = only(page, "api").sla
    assert (api.good, api.total, api.target_pct, api.status) == (1499, 1500, 99.95, "violated")
    assert (page.tier, page.sla_timezone) == ("enterprise", "Europe/Berlin")
    # and those first hours, more than a day ago, took one more query (day, hour, month's first hours)
    assert [resolution for _, resolution, *_ in world.windows.queries[queries_before:]] == ["day", "hour", "hour"]


# -- bounded reads -------------------------------------------------------------------------------------------------


def test_each_monitor_costs_a_day_query_an_hour_query_and_a_minute_query_and_states_load_once(
    world: StatusWorld,
) -> None:
    # Given two monitors with 90 days of data, one of them checked a minute ago
    for monitor_id in ("a", "b"):
        world.monitor(monitor_id)
        for offset in range(HISTORY_DAYS):
            world.day(monitor_id, TODAY - timedelta(days=offset), good=1440)
    world.state("a", MonitorStatus.UP, NOW - timedelta(days=1), NOW - timedelta(minutes=1))
    # When the page is built
    world.page()
    # Then the reads are: one batch state load, and per monitor one query of its 90 days, one of its 24 hours,
    # and (for the monitor ever checked) one of its last check's minute: never a query per day
    assert world.probes.loads == [[MonitorKey("acme", "a"), MonitorKey("acme", "b")]]
    today = noon(TODAY) - 12 * 3600
    this_hour = hour_of(NOW)
    last_minute = int((NOW - timedelta(minutes=1)).timestamp()) // 60 * 60
    assert world.windows.queries == [
        ("acme#a", "day", today - 89 * 86400, today + 86400),
        ("acme#a", "hour", this_hour - 23 * 3600, this_hour + 3600),
        ("acme#a", "minute", last_minute, last_minute + 60),
        ("acme#b", "day", today - 89 * 86400, today + 86400),
        ("acme#b", "hour", this_hour - 23 * 3600, this_hour + 3600),
    ]
