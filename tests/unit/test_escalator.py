"""The escalator on in-memory stores and a recording state machine: what starts an escalation and with which
schedule and orders, what ends it, duplicates and stale transitions, and the record the API shows."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from vigil_core.adapters.memory_alerts import MemoryAlertRuleRepository, MemoryAlertStore
from vigil_core.adapters.memory_escalations import MemoryEscalationStore, RecordingEscalationExecutions
from vigil_core.alerting.lifecycle import acknowledge, advance, custom_fingerprint, report_custom, resolve_by_hand
from vigil_core.errors import VigilError
from vigil_core.models.alerts import (
    Alert,
    AlertChange,
    AlertSource,
    AlertStatus,
    AlertTransition,
    CustomAlertInput,
    Observation,
    Severity,
    ThresholdRule,
    TransitionKind,
    fingerprint,
)
from vigil_core.models.escalation import Escalation, EscalationPolicy, PageOrder, PageSent, execution_name
from vigil_core.models.notifications import NotificationPolicy
from vigil_core.services.escalation import EscalationResult, Escalator, escalation_of

TENANT = "acme"
MONDAY_NOON = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)  # 13:00 in Berlin (CET, UTC+1): inside business hours
SATURDAY_10_BERLIN = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)  # 10:00 CET on Saturday 21 November 2026
CHANNELS: list[dict[str, Any]] = [
    {"id": "ops-slack", "type": "slack", "secret": "secretsmanager:vigil/notify/ops"},
    {"id": "dev-slack", "type": "slack", "secret": "secretsmanager:vigil/notify/dev"},
    {"id": "pager-1", "type": "pagerduty", "secret": "ssm:/vigil/notify/pager-1"},
    {"id": "pager-2", "type": "pagerduty", "secret": "ssm:/vigil/notify/pager-2"},
    {"id": "oncall-sms", "type": "sms", "to": ["+15555550100"]},
    {"id": "lead-mail", "type": "email", "to": ["lead@example.com"]},
]
# Critical: pager-1 and every slack channel after 2 minutes, then sms and lead-mail 10 minutes later; twice.
CRITICAL_CHAIN: dict[str, Any] = {
    "levels": {
        "critical": [
            {"targets": ["pager-1", "slack"], "after": "2m"},
            {"targets": ["sms", "lead-mail"], "after": "10m"},
        ]
    },
    "repeat": 1,
}
# Warnings wait for Berlin's business hours; errors page pager-2 after hours only, then lead-mail.
OFFICE_POLICY: dict[str, Any] = {
    "levels": {
        "warning": [{"targets": ["dev-slack"], "after": "15m", "when": "business_hours"}],
        "error": [
            {"targets": ["pager-2"], "after": "5m", "when": "outside_business_hours"},
            {"targets": ["lead-mail"], "after": "10m"},
        ],
    },
    "business_hours": {"timezone": "Europe/Berlin"},  # Mon-Fri 09:00-17:00 local
}
CPU_RULE = ThresholdRule.model_validate(
    {
        "id": "high-cpu",
        "name": "High CPU",
        "metric": "cpu.usage",
        "thresholds": [
            {"severity": "warning", "condition": "gt", "value": 80},
            {"severity": "critical", "condition": "gt", "value": 95},
        ],
    }
)
WEB_1 = {"host": "web-1"}
CHECKOUT_DOWN = "Checkout down"


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


class World:
    """One tenant's alerts, policies and escalations, a fixed clock moved by hand, and the escalator over them."""

    def __init__(self, escalation: dict[str, Any] | None = None, now: datetime = MONDAY_NOON, **options: Any) -> None:
        self.now = now
        self.alerts = MemoryAlertStore()
        self.policies = MemoryAlertRuleRepository()
        self.policies.put_notification_policy(TENANT, NotificationPolicy.model_validate({"channels": CHANNELS}))
        if escalation is not None:
            self.policies.put_escalation_policy(TENANT, EscalationPolicy.model_validate(escalation))
        self.records = MemoryEscalationStore()
        self.executions = RecordingEscalationExecutions()
        self.escalator = Escalator(
            alerts=self.alerts,
            escalations=self.records,
            policies=self.policies,
            executions=self.executions,
            clock=lambda: self.now,
            **options,
        )

    def later(self, **delta: float) -> None:
        self.now += timedelta(**delta)

    def handle(self, transition: AlertTransition) -> EscalationResult:
        return self.escalator.handle(transition)

    # -- alerts changing, as the lifecycle changes them ------------------------------------------------------

    def report(self, severity: Severity = Severity.CRITICAL, name: str = CHECKOUT_DOWN) -> AlertTransition:
        """An app reports an alert (checkout down unless named): it starts firing, or repeats while open."""
        body = CustomAlertInput(name=name, severity=severity, labels={"service": "checkout"})
        return self._store(
            report_custom(self.alerts.get(TENANT, custom_fingerprint(TENANT, body)), TENANT, body, self.now)
        )

    def evaluate(self, cpu: float) -> AlertTransition:
        """CPU_RULE evaluated on web-1 with this value (for 0: a threshold holds at once)."""
        breached = tuple(t for t in CPU_RULE.thresholds if t.condition.holds(cpu, t.value))
        observation = Observation(rule_id=CPU_RULE.rule_id, group_labels=WEB_1, value=cpu, breached=breached)
        alert = self.alerts.get(TENANT, fingerprint(TENANT, CPU_RULE.rule_id, WEB_1))
        return self._store(advance(alert, observation, CPU_RULE, TENANT, AlertSource.RULE, self.now))

    def acknowledge(self, alert_id: str) -> AlertTransition:
        return self._store(acknowledge(self._alert(alert_id), "dana", "looking", self.now))

    def resolve(self, alert_id: str) -> AlertTransition:
        return self._store(resolve_by_hand(self._alert(alert_id), "dana", "rolled back", self.now))

    def _alert(self, alert_id: str) -> Alert:
        alert = self.alerts.get(TENANT, alert_id)
        assert alert is not None
        return alert

    def _store(self, change: AlertChange | None) -> AlertTransition:
        assert change is not None and change.transition is not None
        assert self.alerts.save(change)
        return change.transition

    # -- the escalation record and what the state machine does with it ---------------------------------------

    def record(self, alert_id: str) -> Escalation:
        record = self.records.get(TENANT, alert_id)
        assert record is not None
        return record

    def send_next_page(self, alert_id: str) -> PageSent:
        """What the state machine does when the next page is due: send it, and record it at its due time."""
        record = self.record(alert_id)
        due = record.next_due
        assert due is not None
        page = PageSent(step=due.step, level=due.level, round=due.round, at=due.due_at, channels=due.channels)
        assert self.records.record_page(TENANT, alert_id, record.firing, page)
        return page

    def orders(self, name: str) -> tuple[PageOrder, ...]:
        return self.executions.executions[name].orders


def planned(record: Escalation) -> list[tuple[int, int, int, datetime, tuple[str, ...], tuple[str, ...]]]:
    return [(p.step, p.level, p.round, p.due_at, p.targets, p.channels) for p in record.schedule]


def ordered(orders: tuple[PageOrder, ...]) -> list[tuple[int, datetime, tuple[str, ...], int, int, datetime]]:
    return [(o.step, o.wait_until, o.channel_types, o.page.level, o.page.round, o.page.at) for o in orders]


def progress(record: Escalation) -> tuple[Any, ...]:
    public = record.to_public()
    return tuple(
        public[name] for name in ("state", "current_level", "current_round", "next_escalation_at", "next_level")
    )


LEVEL_1 = (("pager-1", "slack"), ("ops-slack", "dev-slack", "pager-1"))  # targets, the channels they mean
LEVEL_2 = (("sms", "lead-mail"), ("oncall-sms", "lead-mail"))
LEVEL_1_TYPES, LEVEL_2_TYPES = ("pagerduty", "slack"), ("email", "sms")
CRITICAL_CHAIN_AT_NOON = [  # 2, 12, 14 and 24 minutes after the firing
    (0, 1, 0, utc(2026, 11, 23, 12, 2), *LEVEL_1),
    (1, 2, 0, utc(2026, 11, 23, 12, 12), *LEVEL_2),
    (2, 1, 1, utc(2026, 11, 23, 12, 14), *LEVEL_1),
    (3, 2, 1, utc(2026, 11, 23, 12, 24), *LEVEL_2),
]


# -- starting -----------------------------------------------------------------------------------------------


def test_a_critical_alert_that_starts_firing_starts_one_execution_that_pages_at_the_planned_times() -> None:
    # Given the critical chain
    world = World(CRITICAL_CHAIN)
    # When a critical alert starts firing at noon and its transition is handled 5 seconds later
    fired = world.report()
    world.later(seconds=5)
    result = world.handle(fired)
    # Then one execution is started, named after the alert's first occurrence
    name = execution_name(fired.fingerprint, 1)
    assert result == EscalationResult("started")
    assert list(world.executions.executions) == [name]
    # And the record plans both levels twice, 1-based, with the tenant's channels each level's targets mean
    record = world.record(fired.fingerprint)
    assert planned(record) == CRITICAL_CHAIN_AT_NOON
    assert (record.firing, record.execution_name, record.started_at) == (1, name, MONDAY_NOON)
    assert (record.state, record.next_step, record.pages) == ("running", 0, ())
    # And each order waits until its planned time itself and is published to its channels' distinct types
    orders = world.orders(name)
    assert ordered(orders) == [
        (0, utc(2026, 11, 23, 12, 2), LEVEL_1_TYPES, 1, 0, utc(2026, 11, 23, 12, 2)),
        (1, utc(2026, 11, 23, 12, 12), LEVEL_2_TYPES, 2, 0, utc(2026, 11, 23, 12, 12)),
        (2, utc(2026, 11, 23, 12, 14), LEVEL_1_TYPES, 1, 1, utc(2026, 11, 23, 12, 14)),
        (3, utc(2026, 11, 23, 12, 24), LEVEL_2_TYPES, 2, 1, utc(2026, 11, 23, 12, 24)),
    ]
    # And each page names its channels, has an id of its own and shows the alert as it fired
    assert [(o.page.page_id, o.page.channels) for o in orders[:2]] == [
        (f"{name}:0", LEVEL_1[1]),
        (f"{name}:1", LEVEL_2[1]),
    ]
    assert {(o.page.tenant_id, o.page.fingerprint, o.page.firing, o.page.severity) for o in orders} == {
        (TENANT, fired.fingerprint, 1, Severity.CRITICAL)
    }
    assert orders[0].page.alert == fired.alert
    assert orders[0].page.alert["status"] == "firing"


def test_sped_up_the_orders_replay_the_schedule_from_now_while_the_record_keeps_the_planned_times() -> None:
    # Given the critical chain replayed 60 times faster (local runs)
    world = World(CRITICAL_CHAIN, time_factor=60)
    # When a critical alert fires at noon and the escalator handles it 5 seconds later
    fired = world.report()
    world.later(seconds=5)
    world.handle(fired)
    # Then each page waits 1/60 of its offset from the firing, counted from now: 2, 12, 14 and 24 seconds
    orders = world.orders(execution_name(fired.fingerprint, 1))
    assert [o.wait_until for o in orders] == [utc(2026, 11, 23, 12, 0, s) for s in (7, 17, 19, 29)]
    # And the record and the pages keep the planned, unscaled times
    assert planned(world.record(fired.fingerprint)) == CRITICAL_CHAIN_AT_NOON
    assert [o.page.at for o in orders] == [due for _, _, _, due, _, _ in CRITICAL_CHAIN_AT_NOON]


def test_without_a_policy_of_its_own_a_tenant_gets_the_default_critical_escalation() -> None:
    # Given a tenant without an escalation policy (critical: pagerduty and sms after 1 minute)
    world = World()
    # When a critical alert fires at noon
    fired = world.report()
    assert world.handle(fired) == EscalationResult("started")
    # Then every pagerduty and sms channel is paged once, at 12:01
    record = world.record(fired.fingerprint)
    assert planned(record) == [
        (0, 1, 0, utc(2026, 11, 23, 12, 1), ("pagerduty", "sms"), ("pager-1", "pager-2", "oncall-sms"))
    ]
    assert world.orders(record.execution_name)[0].channel_types == ("pagerduty", "sms")


# From escalation-policies.yaml, deployed with the stack: critical pages lead-mail after 3 minutes, once.
CODE_POLICY = EscalationPolicy.model_validate({"levels": {"critical": [{"targets": ["lead-mail"], "after": "3m"}]}})


def test_a_policy_deployed_as_code_is_planned_with_instead_of_the_tenants_stored_one() -> None:
    # Given the critical chain stored through the API, and the tenant's policy in escalation-policies.yaml
    world = World(CRITICAL_CHAIN, code_policies={TENANT: CODE_POLICY})
    # When a critical alert fires at noon
    fired = world.report()
    assert world.handle(fired) == EscalationResult("started")
    # Then the file's one level is planned, at 12:03, not the stored chain
    record = world.record(fired.fingerprint)
    assert planned(record) == [(0, 1, 0, utc(2026, 11, 23, 12, 3), ("lead-mail",), ("lead-mail",))]
    assert ordered(world.orders(record.execution_name)) == [
        (0, utc(2026, 11, 23, 12, 3), ("email",), 1, 0, utc(2026, 11, 23, 12, 3))
    ]


def test_a_policy_deployed_as_code_for_another_tenant_leaves_the_stored_one_in_force() -> None:
    # Given the critical chain stored through the API, and escalation-policies.yaml holding another tenant only
    world = World(CRITICAL_CHAIN, code_policies={"globex": CODE_POLICY})
    # When a critical alert fires at noon / Then the stored chain is planned
    fired = world.report()
    assert world.handle(fired) == EscalationResult("started")
    assert planned(world.record(fired.fingerprint)) == CRITICAL_CHAIN_AT_NOON


def test_a_severity_the_deployed_policy_leaves_out_escalates_to_nobody_even_if_the_stored_one_pages() -> None:
    # Given errors paging through the stored office policy, and a deployed policy with critical levels only
    world = World(OFFICE_POLICY, code_policies={TENANT: CODE_POLICY})
    # When an error fires / Then nothing starts: the deployed policy is the whole policy
    fired = world.report(Severity.ERROR)
    assert world.handle(fired) == EscalationResult("ignored", "error alerts escalate to nobody")
    assert world.executions.executions == {}


def test_a_warning_fired_on_a_saturday_pages_when_business_hours_open_on_monday() -> None:
    # Given warnings paging dev-slack 15 minutes after firing, in Berlin's business hours only
    world = World(OFFICE_POLICY, now=SATURDAY_10_BERLIN)
    # When a warning fires on Saturday at 10:00 Berlin (09:00 UTC)
    fired = world.report(Severity.WARNING)
    assert world.handle(fired) == EscalationResult("started")
    # Then dev-slack is paged when the office opens: Monday 23 November 09:00 Berlin = 08:00 UTC (CET)
    record = world.record(fired.fingerprint)
    monday_opening = utc(2026, 11, 23, 8, 0)
    assert planned(record) == [(0, 1, 0, monday_opening, ("dev-slack",), ("dev-slack",))]
    assert ordered(world.orders(record.execution_name)) == [(0, monday_opening, ("slack",), 1, 0, monday_opening)]


def test_an_after_hours_level_falling_inside_business_hours_is_left_out_and_the_next_keeps_its_number() -> None:
    # Given errors paging pager-2 after 5 minutes outside business hours only, then lead-mail 10 minutes later
    world = World(OFFICE_POLICY, now=utc(2026, 11, 23, 10, 0))  # Monday 11:00 Berlin
    # When an error fires inside business hours
    fired = world.report(Severity.ERROR)
    assert world.handle(fired) == EscalationResult("started")
    # Then only level 2 is planned, when it would have followed level 1: 5 + 10 minutes after the firing
    record = world.record(fired.fingerprint)
    assert planned(record) == [(0, 2, 0, utc(2026, 11, 23, 10, 15), ("lead-mail",), ("lead-mail",))]
    assert world.orders(record.execution_name)[0].channel_types == ("email",)
    assert record.to_public()["levels"] == 2


def test_an_info_alert_escalates_to_nobody() -> None:
    # Given the default policy, whose info severity has no levels
    world = World()
    # When an info alert fires
    fired = world.report(Severity.INFO)
    # Then nothing is recorded or started
    assert world.handle(fired) == EscalationResult("ignored", "info alerts escalate to nobody")
    assert world.records.get(TENANT, fired.fingerprint) is None
    assert world.executions.executions == {}


def test_the_same_firing_delivered_twice_starts_one_execution_and_leaves_the_record_as_it_is() -> None:
    # Given a critical alert whose escalation started and sent its first page
    world = World(CRITICAL_CHAIN)
    fired = world.report()
    assert world.handle(fired) == EscalationResult("started")
    first_page = world.send_next_page(fired.fingerprint)
    # When its firing transition is delivered again
    result = world.handle(fired)
    # Then the execution is not started again and the record keeps its page and next step
    assert result == EscalationResult("already_started")
    assert list(world.executions.executions) == [execution_name(fired.fingerprint, 1)]
    record = world.record(fired.fingerprint)
    assert (record.pages, record.next_step, record.state) == ((first_page,), 1, "running")


def resolved_and_fired_again(world: World, alert_id: str) -> None:
    world.resolve(alert_id)
    world.later(minutes=10)  # after the cooldown: a new occurrence
    assert world.report().occurrence == 2


@pytest.mark.parametrize("meanwhile", [World.acknowledge, resolved_and_fired_again], ids=["acked", "fired-again"])
def test_a_firing_handled_after_the_alert_moved_on_is_ignored(meanwhile: Callable[[World, str], object]) -> None:
    # Given a critical alert that fired, and then was acknowledged, or resolved and fired again
    world = World(CRITICAL_CHAIN)
    fired = world.report()
    meanwhile(world, fired.fingerprint)
    # When its first firing is handled only now
    result = world.handle(fired)
    # Then nothing is recorded or started for it
    assert result == EscalationResult("ignored", "the alert was acknowledged, resolved or fired again since")
    assert world.records.get(TENANT, fired.fingerprint) is None
    assert world.executions.executions == {}


def test_a_repeat_and_a_severity_change_of_a_firing_alert_neither_start_nor_end_its_escalation() -> None:
    # Given warnings paging dev-slack after 15 minutes, and two warnings escalating: CPU on web-1 and checkout
    world = World({"levels": {"warning": [{"targets": ["dev-slack"], "after": "15m"}]}})
    cpu, checkout = world.evaluate(cpu=85), world.report(Severity.WARNING)
    assert [world.handle(cpu), world.handle(checkout)] == [EscalationResult("started")] * 2
    # When a minute later the CPU turns critical and checkout is reported again
    world.later(minutes=1)
    severity_changed, repeated = world.evaluate(cpu=99), world.report(Severity.WARNING)
    assert (severity_changed.kind, severity_changed.previous_status, severity_changed.status) == (
        TransitionKind.SEVERITY_CHANGED,
        AlertStatus.FIRING,
        AlertStatus.FIRING,
    )
    assert (repeated.kind, repeated.previous_status, repeated.status) == (
        TransitionKind.REPEATED,
        AlertStatus.FIRING,
        AlertStatus.FIRING,
    )
    # Then both are ignored
    assert [world.handle(severity_changed), world.handle(repeated)] == [
        EscalationResult("ignored", "severity_changed does not start or end an escalation"),
        EscalationResult("ignored", "repeated does not start or end an escalation"),
    ]
    # And both escalations run on as planned: nothing else started, nothing stopped
    assert world.executions.running() == [execution_name(cpu.fingerprint, 1), execution_name(checkout.fingerprint, 1)]
    assert [world.record(t.fingerprint).state for t in (cpu, checkout)] == ["running", "running"]
    assert world.executions.stops == []


# -- ending -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fire", "end", "state", "ended_by"),
    [
        pytest.param(World.report, World.acknowledge, "acknowledged", "dana", id="acked"),
        pytest.param(World.report, World.resolve, "resolved", "dana", id="resolved"),
        pytest.param(lambda w: w.evaluate(cpu=99), lambda w, _: w.evaluate(cpu=10), "resolved", None, id="cleared"),
    ],
)
def test_acknowledging_or_resolving_ends_the_escalation_and_stops_its_execution(
    fire: Callable[[World], AlertTransition],
    end: Callable[[World, str], AlertTransition],
    state: str,
    ended_by: str | None,
) -> None:
    # Given a critical alert escalating since noon, its first page sent
    world = World(CRITICAL_CHAIN)
    fired = fire(world)
    world.handle(fired)
    page = world.send_next_page(fired.fingerprint)
    # When at 12:03 someone acknowledges or resolves it, or its condition clears
    world.later(minutes=3)
    result = world.handle(end(world, fired.fingerprint))
    # Then the record ends in that state, by whom the alert says (nobody when it cleared by itself)
    assert result == EscalationResult("stopped", state)
    record = world.record(fired.fingerprint)
    assert (record.state, record.ended_at, record.ended_by, record.pages) == (
        state,
        utc(2026, 11, 23, 12, 3),
        ended_by,
        (page,),
    )
    # And the execution is stopped saying why
    name = execution_name(fired.fingerprint, 1)
    assert world.executions.stops == [(name, f"alert {state}")]
    assert world.executions.running() == []


def test_a_stop_when_nothing_runs_is_ignored_without_stopping_anything() -> None:
    # Given a CPU warning, which the critical chain does not escalate, and a critical alert acknowledged
    world = World(CRITICAL_CHAIN)
    warning, critical = world.evaluate(cpu=85), world.report()
    assert world.handle(warning) == EscalationResult("ignored", "warning alerts escalate to nobody")
    world.handle(critical)
    world.handle(world.acknowledge(critical.fingerprint))
    # When the warning is acknowledged and the acknowledged critical alert resolved
    results = [world.handle(world.acknowledge(warning.fingerprint)), world.handle(world.resolve(critical.fingerprint))]
    # Then both are ignored, nothing but the acknowledged escalation was stopped, and its record stays as it ended
    assert results == [EscalationResult("ignored", "no escalation of this firing is running")] * 2
    assert world.executions.stops == [(execution_name(critical.fingerprint, 1), "alert acknowledged")]
    assert world.records.get(TENANT, warning.fingerprint) is None
    assert (world.record(critical.fingerprint).state, world.record(critical.fingerprint).ended_by) == (
        "acknowledged",
        "dana",
    )


# -- occurrences --------------------------------------------------------------------------------------------


def fire_resolve_and_fire_again(world: World) -> tuple[AlertTransition, AlertTransition, AlertTransition]:
    """The checkout alert fires at noon and is resolved at 12:05, each handled; it fires again at 12:15."""
    first = world.report()
    world.handle(first)
    world.later(minutes=5)
    resolved = world.resolve(first.fingerprint)
    world.handle(resolved)
    world.later(minutes=10)
    return first, resolved, world.report()


def test_a_later_occurrence_replaces_the_earlier_record_and_starts_an_execution_of_its_own() -> None:
    # Given an alert that fired and was resolved
    world = World(CRITICAL_CHAIN)
    first, _, again = fire_resolve_and_fire_again(world)
    # When it fires again and that is handled
    result = world.handle(again)
    # Then the record is the second occurrence's, planned from its own firing
    assert result == EscalationResult("started")
    record = world.record(again.fingerprint)
    second = execution_name(again.fingerprint, 2)
    assert (record.firing, record.execution_name, record.state, record.started_at) == (
        2,
        second,
        "running",
        utc(2026, 11, 23, 12, 15),
    )
    assert record.schedule[0].due_at == utc(2026, 11, 23, 12, 17)
    # And the first occurrence's execution was stopped when it resolved; the second runs
    first_name = execution_name(first.fingerprint, 1)
    assert list(world.executions.executions) == [first_name, second]
    assert world.executions.stops == [(first_name, "alert resolved")]
    assert world.executions.running() == [second]


def test_a_late_stop_of_an_earlier_occurrence_leaves_the_later_escalation_running() -> None:
    # Given an alert escalating for its second occurrence
    world = World(CRITICAL_CHAIN)
    first, resolved, again = fire_resolve_and_fire_again(world)
    world.handle(again)
    # When the first occurrence's resolution is delivered again
    result = world.handle(resolved)
    # Then it is ignored: the second occurrence's record still runs and its execution is not stopped
    assert result == EscalationResult("ignored", "no escalation of this firing is running")
    assert (world.record(again.fingerprint).firing, world.record(again.fingerprint).state) == (2, "running")
    assert world.executions.stops == [(execution_name(first.fingerprint, 1), "alert resolved")]


def test_a_firing_handled_after_a_later_occurrence_began_escalating_is_superseded() -> None:
    # Given a handler that read the alert while its first occurrence fired ...
    world = World(CRITICAL_CHAIN)
    first = world.report()
    slow_view = MemoryAlertStore()
    slow_view.alerts = dict(world.alerts.alerts)
    slow = replace(world.escalator, alerts=slow_view)
    # ... and, meanwhile, the alert resolved, fired again and that second occurrence began escalating
    world.handle(world.resolve(first.fingerprint))
    world.later(minutes=10)
    again = world.report()
    world.handle(again)
    # When the slow handler goes on with the first firing
    result = slow.handle(first)
    # Then it is ignored: the second occurrence's record stays and no execution of the first is started
    assert result == EscalationResult("ignored", "a later firing is already escalating")
    assert world.record(first.fingerprint).firing == 2
    assert list(world.executions.executions) == [execution_name(again.fingerprint, 2)]


# -- the record the API shows -------------------------------------------------------------------------------


def test_the_public_record_follows_the_pages_and_shows_nothing_next_once_ended() -> None:
    # Given the critical chain escalating since noon
    world = World(CRITICAL_CHAIN)
    fired = world.report()
    world.handle(fired)
    alert_id = fired.fingerprint
    # Then before any page: level 0, level 1 next at 12:02
    assert progress(world.record(alert_id)) == ("running", 0, 0, "2026-11-23T12:02:00+00:00", 1)
    # When the first two pages are sent, then the third (level 1 again, second round)
    world.send_next_page(alert_id)
    after_one = progress(world.record(alert_id))
    world.send_next_page(alert_id)
    after_two = progress(world.record(alert_id))
    third = world.send_next_page(alert_id)
    # Then each shows the level last paged and the next one due
    assert after_one == ("running", 1, 0, "2026-11-23T12:12:00+00:00", 2)
    assert after_two == ("running", 2, 0, "2026-11-23T12:14:00+00:00", 1)
    assert progress(world.record(alert_id)) == ("running", 1, 1, "2026-11-23T12:24:00+00:00", 2)
    # When it is acknowledged at 12:20
    world.later(minutes=20)
    world.handle(world.acknowledge(alert_id))
    # Then nothing is next, and the history and end show
    public = world.record(alert_id).to_public()
    assert progress(world.record(alert_id)) == ("acknowledged", 1, 1, None, None)
    assert [entry["level"] for entry in public["history"]] == [1, 2, 1]
    assert public["history"][-1] == third.model_dump(mode="json")
    assert (public["ended_at"], public["ended_by"], public["levels"]) == ("2026-11-23T12:20:00+00:00", "dana", 2)
    assert (public["alert_id"], public["execution"]) == (alert_id, execution_name(alert_id, 1))


def test_a_page_is_recorded_only_for_the_running_occurrence_at_its_next_step() -> None:
    # Given an escalation that sent its first page
    world = World(CRITICAL_CHAIN)
    fired = world.report()
    world.handle(fired)
    first = world.send_next_page(fired.fingerprint)
    # When the same page, a page of another occurrence, or a page after the end is recorded
    second = first.model_copy(update={"step": 1, "level": 2})
    refused = [
        world.records.record_page(TENANT, fired.fingerprint, 1, first),
        world.records.record_page(TENANT, fired.fingerprint, 2, second),
    ]
    world.handle(world.resolve(fired.fingerprint))
    refused.append(world.records.record_page(TENANT, fired.fingerprint, 1, second))
    # Then none is, and the record keeps the one page
    assert refused == [False, False, False]
    assert world.record(fired.fingerprint).pages == (first,)


def test_the_api_finds_no_escalation_for_an_alert_that_never_escalated() -> None:
    # Given an escalating critical alert and an info alert (the default policy escalates info to nobody)
    world = World()
    critical, info = world.report(), world.report(Severity.INFO, name="Disk filling")
    world.handle(critical)
    world.handle(info)
    # Then the first's escalation is found and the second's is a 404
    assert escalation_of(world.records, TENANT, critical.fingerprint) == world.record(critical.fingerprint)
    with pytest.raises(VigilError) as raised:
        escalation_of(world.records, TENANT, info.fingerprint)
    assert (raised.value.status, raised.value.code) == (404, "not_found")
    assert "has not escalated" in raised.value.message
