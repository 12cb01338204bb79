"""SLO burn-rate alerts on in-memory stores: the SRE Workbook's rows derived from each SLO's window, the error
ratios composed from hour and minute SLA windows, and the alerts going through the engine like any rule.

Expectations are worked out by hand in the comments; the clock is fixed and moved by the tests.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from vigil_core.adapters.dynamodb_slos import InMemorySloRepository
from vigil_core.adapters.memory import InMemoryRollupStore, InMemoryTenantDirectory
from vigil_core.adapters.memory_alerts import (
    MemoryAlertRuleRepository,
    MemoryAlertStore,
    RecordingAlertPublisher,
    RecordingEvaluationQueue,
)
from vigil_core.adapters.memory_probes import InMemoryMonitorRepository, InMemoryProbeStore
from vigil_core.adapters.sla_timeslices import InMemoryTimesliceLedger
from vigil_core.adapters.sla_windows import InMemorySlaWindows, WindowCounters, WindowResolution
from vigil_core.alerting.burn_rate import (
    SloWindows,
    error_budget,
    evaluation_end,
    read_plan,
    read_rows,
    slo_rows,
    window_lengths,
    window_parts,
)
from vigil_core.errors import VigilError
from vigil_core.models.alerts import Alert, AlertingPolicy, AlertRule, AlertStatus, RuleSource, TransitionKind
from vigil_core.models.metrics import MetricPoint, MetricType
from vigil_core.models.probes import MonitorKey, ProbeResult, TransitionEvent
from vigil_core.models.sla import burn_rate_rules
from vigil_core.models.slo import SLO_DEFINITION, SlaPolicy, Slo
from vigil_core.models.tenants import SlaTier, Tenant
from vigil_core.probes.observations import CheckStatus
from vigil_core.probes.verdicts import MonitorState, MonitorStatus
from vigil_core.services.alert_rules import effective_rules, parse_rule, slo_rules
from vigil_core.services.alerting import AlertDesk, AlertEngine, EvaluationReport, SloBudgets
from vigil_core.services.slo_events import metric_slo_increments, sli_events

TENANT = "acme"
CREATED = datetime(2026, 10, 1, tzinfo=UTC)
AT = datetime(2026, 11, 22, 10, 30, 20, tzinfo=UTC)  # 20 s into a minute
END = evaluation_end(AT)  # 10:31:00, where every window of that evaluation ends
MINUTE = 60
HOUR = 3600
DAY = 86400
RATIO_SLI = {"kind": "ratio", "metric": "http.requests", "bad": [{"label": "status", "op": "=~", "value": "5.."}]}


def epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def parts(end: int, length: int) -> tuple[tuple[int, ...], tuple[tuple[int, int], ...]]:
    found = window_parts(end, length)
    return found.hours, found.minutes


def make_slo(slo_id: str = "checkout", **definition: Any) -> Slo:
    body = {"name": slo_id.capitalize(), "sli": RATIO_SLI, "objective_pct": 99.9, **definition}
    return Slo(
        tenant_id=TENANT,
        id=slo_id,
        definition=SLO_DEFINITION.validate_python(body),
        created_at=CREATED,
        updated_at=CREATED,
    )


class CountingWindows(InMemorySlaWindows):
    """The in-memory SLA windows, recording the queries made of them."""

    def __init__(self) -> None:
        super().__init__()
        self.queries: list[tuple[str, WindowResolution, int, int]] = []

    def windows(
        self, partition: str, resolution: WindowResolution, start_epoch: int, end_epoch: int
    ) -> list[WindowCounters]:
        self.queries.append((partition, resolution, start_epoch, end_epoch))
        return super().windows(partition, resolution, start_epoch, end_epoch)


@dataclass
class World:
    """One tenant (enterprise tier) with SLOs, their SLA windows and the alert engine on in-memory stores."""

    now: datetime = AT
    windows: CountingWindows = field(default_factory=CountingWindows)
    slos: InMemorySloRepository = field(default_factory=InMemorySloRepository)
    tenants: InMemoryTenantDirectory = field(default_factory=InMemoryTenantDirectory)
    rules: MemoryAlertRuleRepository = field(default_factory=MemoryAlertRuleRepository)
    alerts: MemoryAlertStore = field(default_factory=MemoryAlertStore)
    publisher: RecordingAlertPublisher = field(default_factory=RecordingAlertPublisher)
    queue: RecordingEvaluationQueue = field(default_factory=RecordingEvaluationQueue)

    def __post_init__(self) -> None:
        self.tenants.put_tenant(Tenant(id=TENANT, name="Acme", sla_tier=SlaTier.ENTERPRISE, created_at=CREATED))
        self.probes = InMemoryProbeStore(self.windows)
        desk = AlertDesk(self.rules, self.alerts, self.publisher, self.queue, lambda: self.now)
        self.engine = AlertEngine(
            desk,
            InMemoryRollupStore(),
            InMemoryMonitorRepository(),
            self.probes,
            slos=self.slos,
            sla_windows=self.windows,
            tenants=self.tenants,
            timeslices=InMemoryTimesliceLedger(self.windows),
        )

    def add_slo(self, slo_id: str = "checkout", **definition: Any) -> Slo:
        slo = make_slo(slo_id, **definition)
        self.slos.put(slo)
        return slo

    def feed(self, slo: Slo, start: int, end: int, total: int, bad: int) -> None:
        """`total` events a minute, `bad` of them bad, in every minute of [start, end)."""
        for minute in range(start, end, MINUTE):
            self.windows.add(slo.window_partition, minute, {"total": total, "good": total - bad})

    def tick(self, at: datetime) -> EvaluationReport:
        self.now = at
        return self.engine.evaluate_all(at)

    def alert(self) -> Alert | None:
        found = list(self.alerts.alerts.values())
        assert len(found) <= 1
        return found[0] if found else None

    def kinds(self) -> list[TransitionKind]:
        return [transition.kind for transition in self.publisher.transitions]


def readings(world: World, slo: Slo, at: datetime = AT, timezone: str = "UTC") -> dict[str, tuple[Any, ...]]:
    """Per row (by its long window), the burn rates over its long and short window and whether it fires."""
    end = evaluation_end(at)
    rows = slo_rows(slo, timezone, at)
    plan = read_plan(end, window_lengths(rows))
    hours = world.windows.windows(slo.window_partition, "hour", *plan.hours) if plan.hours else []
    minutes = [
        w for low, high in plan.minutes for w in world.windows.windows(slo.window_partition, "minute", low, high)
    ]
    found = read_rows(slo, SloWindows.of(hours, minutes), end, rows, 0.001)
    return {
        f"{int(r.row.long_window.total_seconds()) // HOUR}h": (
            r.long_burn_rate,
            None if r.short_ratio is None else round(r.short_ratio / 0.001, 6),
            r.fires,
        )
        for r in found
    }


# -- windows ----------------------------------------------------------------------------------------------


def test_a_window_is_whole_hours_inside_it_plus_minutes_at_its_edges() -> None:
    # Given an evaluation at 10:30:20, so every window ends at 10:31
    ten = epoch(datetime(2026, 11, 22, 10, tzinfo=UTC))
    assert ten + 31 * MINUTE == END
    # Then 5m and 30m windows are minutes only
    assert parts(END, 5 * MINUTE) == ((), ((END - 300, END),))
    assert parts(END, 30 * MINUTE) == ((), ((ten + MINUTE, END),))
    # And the 1h window holds no whole hour: 29 minutes before the 10:00 boundary and 31 after it
    assert parts(END, HOUR) == ((), ((ten - 29 * MINUTE, END),))
    # And 6h is 05:00 to 10:00 in five hours, with 04:31-05:00 and 10:00-10:31 in minutes
    six_hours = window_parts(END, 6 * HOUR)
    assert six_hours.hours == tuple(range(ten - 5 * HOUR, ten, HOUR))
    assert six_hours.minutes == ((END - 6 * HOUR, ten - 5 * HOUR), (ten, END))
    # And 3d is 71 whole hours and the same edges
    three_days = window_parts(END, 3 * DAY)
    assert (len(three_days.hours), three_days.minutes) == (71, ((END - 3 * DAY, ten - 71 * HOUR), (ten, END)))


def test_a_window_ending_on_the_hour_is_hour_windows_only() -> None:
    # Given an evaluation in the minute 10:59, whose windows end at 11:00
    eleven = epoch(datetime(2026, 11, 22, 11, tzinfo=UTC))
    # Then 1h is the 10:00 hour window alone, 6h six hour windows, 30m still minutes
    assert parts(eleven, HOUR) == ((eleven - HOUR,), ())
    assert parts(eleven, 6 * HOUR) == (tuple(range(eleven - 6 * HOUR, eleven, HOUR)), ())
    assert parts(eleven, 30 * MINUTE) == ((), ((eleven - 1800, eleven),))


def test_one_evaluation_reads_an_slo_in_at_most_four_queries() -> None:
    # Given the rows' windows (1h, 5m, 6h, 30m, 3d)
    lengths = window_lengths(burn_rate_rules(timedelta(days=30)))
    assert lengths == [300, 1800, 3600, 6 * HOUR, 3 * DAY]
    # When windows end at 10:31: one hour query and three minute ranges (3d's edge, 6h's edge, the last hour)
    ten = epoch(datetime(2026, 11, 22, 10, tzinfo=UTC))
    plan = read_plan(END, lengths)
    assert plan.hours == (ten - 71 * HOUR, ten)
    assert plan.minutes == (
        (END - 3 * DAY, ten - 71 * HOUR),
        (END - 6 * HOUR, ten - 5 * HOUR),
        (END - HOUR, END),
    )
    assert plan.queries == 4
    # And when they end on the hour: the hours and the last 30 minutes
    assert read_plan(ten, lengths).queries == 2


def test_composed_windows_count_exactly_the_events_inside_them() -> None:
    # Given a different number of events in every minute of four days
    world = World()
    slo = world.add_slo()
    for index, minute in enumerate(range(END - 4 * DAY, END + HOUR, MINUTE)):
        world.windows.add(slo.window_partition, minute, {"total": index % 7 + 1, "good": index % 7 + 1})
    end = END
    plan = read_plan(end, window_lengths(burn_rate_rules(timedelta(days=30))))
    assert plan.hours is not None
    read = SloWindows.of(
        world.windows.windows(slo.window_partition, "hour", *plan.hours),
        [w for low, high in plan.minutes for w in world.windows.windows(slo.window_partition, "minute", low, high)],
    )
    for length in (300, 1800, HOUR, 6 * HOUR, 3 * DAY):
        # Then each window sums to what its minutes hold, counted one by one
        expected = sum(
            index % 7 + 1
            for index, minute in enumerate(range(END - 4 * DAY, END + HOUR, MINUTE))
            if end - length <= minute < end
        )
        assert sli_events(slo, read.covering(window_parts(end, length)))[1] == expected


# -- rows ---------------------------------------------------------------------------------------------------


def test_a_fast_burn_pages_when_both_the_hour_and_the_last_five_minutes_burn() -> None:
    # Given a 99.9 % 30-day SLO (budget 0.1 %; the 1h row fires above 14.4 times that, 1.44 %), with clean
    # traffic of 200 events a minute for days, then 3 bad of 200 a minute (1.5 %) over the last hour
    world = World()
    slo = world.add_slo()
    world.feed(slo, END - 4 * DAY, END - HOUR, 200, 0)
    world.feed(slo, END - HOUR, END, 200, 3)
    # Then the hour burns at 15 (180 bad of 12,000: 2.1 % of the 30-day budget within it), the last 5 minutes too
    assert readings(world, slo)["1h"] == (15.0, 15.0, True)
    assert readings(world, slo)["6h"] == (2.5, 15.0, False)  # 180 of 72,000; the 30m window: 90 of 6,000
    # When the minute is evaluated
    world.tick(AT)
    # Then the SLO's alert fires, critical, with the hour's burn rate and the SLO's labels
    alert = world.alert()
    assert alert is not None
    assert (alert.status, alert.severity, alert.value) == (AlertStatus.FIRING, "critical", 15.0)
    assert (alert.rule_id, alert.rule_name) == ("slo-checkout", "SLO burn rate: Checkout")
    assert alert.group_labels == {"slo": "checkout"}
    assert alert.labels["slo"] == "checkout" and alert.labels["alertname"] == "slo-checkout"
    assert alert.threshold == 6.0  # the lowest page factor: a firing value is always above it
    assert world.kinds() == [TransitionKind.FIRING]


def test_a_burst_that_stopped_ten_minutes_ago_does_not_page() -> None:
    # Given 4 bad of 200 a minute (2 %) from 70 to 10 minutes ago, clean traffic otherwise
    world = World()
    slo = world.add_slo()
    world.feed(slo, END - 4 * DAY, END - 70 * MINUTE, 200, 0)
    world.feed(slo, END - 70 * MINUTE, END - 10 * MINUTE, 200, 4)
    world.feed(slo, END - 10 * MINUTE, END, 200, 0)
    # Then the hour is still over (200 bad of 12,000: 16.7 times the budget), but the last 5 minutes are clean
    assert readings(world, slo)["1h"] == (16.666667, 0.0, False)
    # When the minute is evaluated, then nothing pages
    world.tick(AT)
    assert world.alert() is None


def test_six_times_the_budget_for_six_hours_pages_through_the_six_hour_row() -> None:
    # Given 7 bad of 1,000 a minute (0.7 %) for the last 6 hours: under the 1h row's 1.44 %, over the 6h row's 0.6 %
    world = World()
    slo = world.add_slo()
    world.feed(slo, END - 4 * DAY, END - 6 * HOUR, 1000, 0)
    world.feed(slo, END - 6 * HOUR, END, 1000, 7)
    assert readings(world, slo) == {
        "1h": (7.0, 7.0, False),
        "6h": (7.0, 7.0, True),
        "72h": (0.583333, 7.0, False),  # 2,520 bad of 4,320,000
    }
    # When the minute is evaluated
    world.tick(AT)
    # Then it pages, showing the 6h row's burn rate
    alert = world.alert()
    assert alert is not None and (alert.status, alert.severity, alert.value) == (AlertStatus.FIRING, "critical", 7.0)


def test_a_slow_burn_for_three_days_opens_a_ticket_and_does_not_page() -> None:
    # Given 3 bad of 2,000 a minute (0.15 %: 1.5 times the budget) for four days
    world = World()
    slo = world.add_slo()
    world.feed(slo, END - 4 * DAY, END, 2000, 3)
    assert readings(world, slo) == {"1h": (1.5, 1.5, False), "6h": (1.5, 1.5, False), "72h": (1.5, 1.5, True)}
    # When the minute is evaluated
    world.tick(AT)
    # Then the alert fires as a warning (the ticket severity), not critical
    alert = world.alert()
    assert alert is not None
    assert (alert.status, alert.severity, alert.value, alert.threshold) == (AlertStatus.FIRING, "warning", 1.5, 1.0)


def test_a_burn_exactly_at_the_factor_does_not_fire() -> None:
    # Given 72 bad of 5,000 a minute for the last hour: exactly 1.44 %, 14.4 times the budget
    world = World()
    slo = world.add_slo()
    world.feed(slo, END - 4 * DAY, END - HOUR, 5000, 0)
    world.feed(slo, END - HOUR, END, 5000, 72)
    # Then the 1h row does not fire (it needs strictly more), and nothing pages
    assert readings(world, slo)["1h"] == (14.4, 14.4, False)
    world.tick(AT)
    assert world.alert() is None
    # When one more bad event a minute comes (73 of 5,000: 14.6), it pages
    world.feed(slo, END - HOUR, END, 0, 1)
    assert readings(world, slo)["1h"] == (14.6, 14.6, True)
    world.tick(AT + timedelta(seconds=5))
    alert = world.alert()
    assert alert is not None and (alert.status, alert.value) == (AlertStatus.FIRING, 14.6)


def test_no_events_is_no_data_and_no_alert() -> None:
    # Given an SLO whose windows hold no event at all
    world = World()
    slo = world.add_slo()
    # Then no row has a ratio, and the evaluation stores nothing
    assert readings(world, slo) == {"1h": (None, None, False), "6h": (None, None, False), "72h": (None, None, False)}
    report = world.tick(AT)
    assert (report.rules, report.observations, report.writes) == (1, 1, 0)
    assert world.alert() is None


def test_28_and_7_day_slos_derive_their_own_factors() -> None:
    # Given a 28-day and a 7-day SLO
    world = World()
    four_weeks = world.add_slo("four-weeks", window={"kind": "rolling", "days": 28})
    one_week = world.add_slo("one-week", window={"kind": "rolling", "days": 7})
    thirty = world.add_slo("thirty")
    # Then their first row fires above 13.44 and 3.36 times the budget (2 % of 672 and 168 hours in one)
    assert [row.factor for row in slo_rows(four_weeks, "UTC", AT)] == [13.44, 5.6, 0.933333]
    assert [row.factor for row in slo_rows(one_week, "UTC", AT)] == [3.36, 1.4, 0.233333]
    # When each burns at 14 over the last hour (14 bad of 1,000 a minute); the week one at 3.5 (7 of 2,000)
    for slo, total, bad in ((four_weeks, 1000, 14), (thirty, 1000, 14), (one_week, 2000, 7)):
        world.feed(slo, END - 4 * DAY, END - HOUR, total, 0)
        world.feed(slo, END - HOUR, END, total, bad)
    world.tick(AT)
    # Then the 28-day SLO pages at 14 where the 30-day one (14.4) does not, and the 7-day one pages at 3.5
    firing = {alert.rule_id: alert.value for alert in world.alerts.alerts.values()}
    assert firing == {"slo-four-weeks": 14.0, "slo-one-week": 3.5}


def test_a_calendar_month_slo_uses_the_length_of_its_month() -> None:
    # Given a calendar-month SLO and a 30-day one, in December (31 days: the 1h row fires above 14.88)
    december = datetime(2026, 12, 10, 10, 30, 20, tzinfo=UTC)
    end = evaluation_end(december)
    world = World(now=december)
    month = world.add_slo("monthly", window={"kind": "month"})
    rolling = world.add_slo("rolling")
    assert slo_rows(month, "UTC", december)[0].factor == 14.88
    assert slo_rows(month, "UTC", AT)[0].factor == 14.4  # November has 30 days
    assert slo_rows(month, "UTC", datetime(2027, 2, 10, tzinfo=UTC))[0].factor == 13.44
    # When both burn at 14.6 over the last hour (73 bad of 5,000 a minute)
    for slo in (month, rolling):
        world.feed(slo, end - 4 * DAY, end - HOUR, 5000, 0)
        world.feed(slo, end - HOUR, end, 5000, 73)
    world.tick(december)
    # Then only the 30-day SLO pages
    assert {alert.rule_id for alert in world.alerts.alerts.values()} == {"slo-rolling"}
    # And its description names the month's factors
    [rule] = slo_rules([month], "UTC", december)
    assert rule.definition.annotations.description is not None
    assert "14.88 over both 1h and 5m or 6.2 over both 6h and 30m" in rule.definition.annotations.description


def test_the_alert_resolves_once_the_burn_stops_and_its_resolution_waits_for_the_cooldown() -> None:
    # Given a fast burn that pages, and its group told after group_wait
    world = World()
    slo = world.add_slo()
    world.feed(slo, END - 4 * DAY, END - HOUR, 200, 0)
    world.feed(slo, END - HOUR, END, 200, 3)
    world.tick(AT)
    world.tick(AT + timedelta(seconds=31))
    assert [n.status for n in world.publisher.notifications] == ["firing"]
    # When the burn stops: clean minutes from now on, evaluated every minute for 12 minutes
    world.feed(slo, END, END + 12 * MINUTE, 200, 0)
    for minute in range(1, 13):
        world.tick(AT + timedelta(minutes=minute))
        if minute == 1:
            # Then one clean minute already brings the 5m window under 1.44 % (12 bad of 1,000): resolved
            alert = world.alert()
            assert alert is not None and alert.status is AlertStatus.RESOLVED
            assert alert.resolved_at == AT + timedelta(minutes=1)
    # And the resolution is told only once the rule's cooldown (5 minutes) has held, as for other rules
    assert world.kinds() == [TransitionKind.FIRING, TransitionKind.RESOLVED]
    firing, resolved = world.publisher.notifications
    assert (firing.status, resolved.status) == ("firing", "resolved")
    assert resolved.at >= AT + timedelta(minutes=1, seconds=300)


def test_a_fast_burn_that_ends_while_the_slow_one_goes_on_steps_down_to_the_ticket() -> None:
    # Given a slow burn (1.5 times the budget) for days, and a fast one (20 times) over the last hour
    world = World()
    slo = world.add_slo()
    world.feed(slo, END - 4 * DAY, END - HOUR, 2000, 3)
    world.feed(slo, END - HOUR, END, 2000, 40)
    world.tick(AT)
    alert = world.alert()
    assert alert is not None and (alert.severity, alert.value) == ("critical", 20.0)
    # When the fast burn stops and the slow one goes on for ten minutes: the 6h window then burns at 4.58
    # (2,400 + 900 bad of 720,000), under its 6, while 3d and 6h stay over the ticket's 1
    world.feed(slo, END, END + 10 * MINUTE, 2000, 3)
    world.tick(AT + timedelta(minutes=10))
    # Then the alert still fires, as a warning
    alert = world.alert()
    assert alert is not None and (alert.status, alert.severity) == (AlertStatus.FIRING, "warning")
    assert world.kinds() == [TransitionKind.FIRING, TransitionKind.SEVERITY_CHANGED]


# -- the SLIs' sources ------------------------------------------------------------------------------------


def probe_result(slot: int, status: CheckStatus) -> ProbeResult:
    at = datetime.fromtimestamp(slot + 2, UTC)
    return ProbeResult(MonitorKey(TENANT, "api"), slot, at, status, MonitorStatus.UP, 120.0, (), 1)


def test_an_availability_slo_burns_from_the_monitors_checks() -> None:
    # Given an availability SLO on a monitor checked every minute for three hours, one check down 2 minutes ago
    world = World()
    world.add_slo("api-up", sli={"kind": "availability", "monitor": "api"})
    down = END - 3 * MINUTE
    for version, slot in enumerate(range(END - 3 * HOUR, END, MINUTE), start=1):
        status = CheckStatus.DOWN if slot == down else CheckStatus.UP
        state = MonitorState(MonitorStatus.UP, MonitorStatus.UP, 0, version, None, None, slot, version)
        assert world.probes.record(probe_result(slot, status), state, version - 1)
    # When the monitor's transition is evaluated
    event = TransitionEvent(TENANT, "api", "api", "http", None, MonitorStatus.UP, MonitorStatus.DOWN, AT, down)
    world.engine.on_probe_transition(event, AT)
    # Then the SLO pages: 1 bad check of 60 in the hour (16.7 times the budget), 1 of 5 in the last 5 minutes
    alert = world.alert()
    assert alert is not None
    assert (alert.rule_id, alert.severity, alert.value) == ("slo-api-up", "critical", 16.666667)
    # And a transition of another monitor does not evaluate it
    other = TransitionEvent(TENANT, "web", "web", "http", None, MonitorStatus.UP, MonitorStatus.DOWN, AT, down)
    assert world.engine.on_probe_transition(other, AT).rules == 0


def test_a_ratio_slo_burns_from_the_events_counted_at_ingest() -> None:
    # Given a ratio SLO on http.requests (5xx bad), and an hour of batches with 3 errors of 200 requests a minute
    world = World()
    slo = world.add_slo("checkout")
    for minute in range(END - HOUR, END, MINUTE):
        at = datetime.fromtimestamp(minute, UTC)
        points = [
            MetricPoint(
                name="http.requests", type=MetricType.COUNTER, value=197, labels={"status": "200"}, timestamp=at
            ),
            MetricPoint(name="http.requests", type=MetricType.COUNTER, value=3, labels={"status": "503"}, timestamp=at),
        ]
        world.windows.add_events(f"batch-{minute}", metric_slo_increments([slo], points, at), at)
    # When ingest asks for another metric's rules, then the SLO is not evaluated
    assert world.engine.on_metrics_written(TENANT, ["cpu"], AT).rules == 0
    # When it asks for http.requests' rules
    world.engine.on_metrics_written(TENANT, ["http.requests"], AT)
    # Then the SLO pages at 15 (1.5 % bad, in the hour and in the last 5 minutes)
    alert = world.alert()
    assert alert is not None and (alert.rule_id, alert.severity, alert.value) == ("slo-checkout", "critical", 15.0)


# -- rules, targets, reads ----------------------------------------------------------------------------------


def test_slo_rules_are_derived_from_slos_with_alerting_and_never_written_by_users() -> None:
    # Given SLOs: one with its own severities and labels, one with alerting off, one paging and ticketing alike
    own = make_slo("checkout", labels={"team": "payments", "slo": "ignored"}, alerting={"page": "error"})
    off = make_slo("quiet", alerting={"enabled": False})
    alike = make_slo("alike", alerting={"page": "warning", "ticket": "warning"})
    # When their rules are derived
    rules = {rule.id: rule for rule in slo_rules([own, off, alike], "UTC", AT)}
    # Then each SLO with alerting has one rule slo-<id>, with the SLO's labels and severities
    assert set(rules) == {"slo-checkout", "slo-alike"}
    checkout = rules["slo-checkout"]
    assert checkout.source is RuleSource.SLO
    assert checkout.definition.labels == {"slo": "checkout", "team": "payments"}
    assert [(t.severity, t.value) for t in checkout.definition.thresholds] == [("error", 6.0), ("warning", 1.0)]
    assert [t.severity for t in rules["slo-alike"].definition.thresholds] == ["warning"]
    # And a rule of the tenant's own with that id takes its place, as over pack rules
    mine = AlertRule(
        tenant_id=TENANT,
        id="slo-checkout",
        definition=parse_rule({"name": "Mine", "metric": "x", "threshold": 1, "condition": "gt"}),
        created_at=CREATED,
        updated_at=CREATED,
    )
    effective = effective_rules(TENANT, [mine], AlertingPolicy(), AT, list(rules.values()))
    assert [(rule.id, rule.source) for rule in effective] == [
        ("slo-checkout", RuleSource.API),
        ("slo-alike", RuleSource.SLO),
    ]
    # And users cannot write one
    with pytest.raises(VigilError) as refused:
        parse_rule({"kind": "slo", "name": "Mine", "slo": "checkout"})
    assert {p.field: p.problem for p in refused.value.problems} == {"kind": "slo rules are derived from SLOs"}


def test_an_slo_without_an_objective_takes_its_tiers_target() -> None:
    # Given SLOs without an objective of their own: availability (the tier's availability) and ratio (100 - errors)
    repository = InMemorySloRepository()
    tenants = InMemoryTenantDirectory()
    availability = make_slo("up", sli={"kind": "availability", "monitor": "api"}, objective_pct=None)
    ratio = make_slo("errors", objective_pct=None)

    def budgets(tier: SlaTier, policy: SlaPolicy | None = None) -> tuple[float, float]:
        tenants.put_tenant(Tenant(id=TENANT, name="Acme", sla_tier=tier, created_at=CREATED))
        if policy is not None:
            repository.put_sla_policy(TENANT, policy)
        found = SloBudgets(TENANT, repository, tenants)
        return round(error_budget(availability, found.target), 8), round(error_budget(ratio, found.target), 8)

    # Then tenant tiers use their table, service tiers (standard, premium) their API targets
    assert budgets(SlaTier.ENTERPRISE) == (0.001, 0.005)  # 99.9 %, errors 0.5 %
    assert budgets(SlaTier.PREMIUM) == (0.0005, 0.005)  # 99.95 %, errors 0.5 %
    assert budgets(SlaTier.STANDARD) == (0.001, 0.01)
    # And the SLA policy's tier and overrides win over the tenant's tier
    assert budgets(SlaTier.ENTERPRISE, SlaPolicy(tier="basic")) == (0.01, 0.02)
    assert budgets(SlaTier.ENTERPRISE, SlaPolicy(tier="basic", availability_pct=99.5)) == (0.005, 0.02)


def test_the_minutes_evaluation_reads_each_slo_in_at_most_four_queries_and_visits_tenants_with_only_slos() -> None:
    # Given a tenant with two SLOs and neither rules nor an alerting policy
    world = World()
    for slo_id in ("checkout", "search"):
        world.add_slo(slo_id)
    # When the minute is evaluated
    report = world.tick(AT)
    # Then both SLO rules were evaluated, with four queries each
    assert (report.tenants, report.rules, report.observations) == (1, 2, 2)
    per_partition: dict[str, int] = {}
    for partition, _, _, _ in world.windows.queries:
        per_partition[partition] = per_partition.get(partition, 0) + 1
    assert per_partition == {"acme#slo:checkout": 4, "acme#slo:search": 4}
