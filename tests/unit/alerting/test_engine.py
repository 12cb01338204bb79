"""The alert engine end to end on in-memory stores: metrics pushed as ingest stores them, rules evaluated,
alerts stored with conditional writes, transitions published, groups notified on Alertmanager's timing.

Time is a controllable clock; nothing sleeps.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from vigil_core.adapters.memory import InMemoryRollupStore
from vigil_core.adapters.memory_alerts import (
    MemoryAlertRuleRepository,
    MemoryAlertStore,
    RecordingAlertPublisher,
    RecordingEvaluationQueue,
)
from vigil_core.adapters.memory_probes import InMemoryMonitorRepository, InMemoryProbeStore
from vigil_core.adapters.sns_alerts import PublishError
from vigil_core.errors import VigilError
from vigil_core.models.alerts import (
    AcknowledgeInput,
    AlertingPolicy,
    AlertRule,
    AlertStatus,
    CustomAlertInput,
    GroupNotification,
    ResolveInput,
    Silence,
    TransitionKind,
)
from vigil_core.models.metrics import MetricBatch
from vigil_core.services.alert_rules import parse_rule
from vigil_core.services.alerting import AlertDesk, AlertEngine
from vigil_core.services.ingest import Retention, ingest_batch

TENANT = "acme"
T0 = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)


def minutes(count: float) -> datetime:
    return T0 + timedelta(minutes=count)


@dataclass
class World:
    """One tenant's alerting on in-memory stores, with a clock the test moves."""

    now: datetime = T0
    rollups: InMemoryRollupStore = field(default_factory=InMemoryRollupStore)
    rules: MemoryAlertRuleRepository = field(default_factory=MemoryAlertRuleRepository)
    alerts: MemoryAlertStore = field(default_factory=MemoryAlertStore)
    publisher: RecordingAlertPublisher = field(default_factory=RecordingAlertPublisher)
    queue: RecordingEvaluationQueue = field(default_factory=RecordingEvaluationQueue)
    batches: int = 0

    def __post_init__(self) -> None:
        desk = AlertDesk(self.rules, self.alerts, self.publisher, self.queue, lambda: self.now)
        self.engine = AlertEngine(desk, self.rollups, InMemoryMonitorRepository(), InMemoryProbeStore())

    @property
    def desk(self) -> AlertDesk:
        return self.engine.desk

    def add_rule(self, **definition: Any) -> AlertRule:
        parsed = parse_rule(definition)
        rule = AlertRule(tenant_id=TENANT, id=parsed.rule_id, definition=parsed, created_at=T0, updated_at=T0)
        self.rules.create(rule)
        return rule

    def push(self, at: datetime, name: str, value: float, **labels: str) -> None:
        """Store a point as ingest does, then run the evaluation ingest asks for."""
        self.push_batch(at, name, [(value, labels)])

    def push_batch(self, at: datetime, name: str, points: list[tuple[float, dict[str, str]]]) -> None:
        self.now = at
        batch = MetricBatch.model_validate(
            {
                "points": [
                    {"name": name, "type": "gauge", "value": value, "labels": labels, "timestamp": at}
                    for value, labels in points
                ]
            }
        )
        self.batches += 1
        ingest_batch(TENANT, batch, f"batch-{self.batches}", self.rollups, Retention(), at)
        self.engine.on_metrics_written(TENANT, [name], at)

    def tick(self, at: datetime) -> None:
        """The minute's evaluation, as the schedule runs it."""
        self.now = at
        self.engine.evaluate_all(at)

    def kinds(self) -> list[TransitionKind]:
        return [transition.kind for transition in self.publisher.transitions]

    def only_alert(self) -> Any:
        [alert] = self.alerts.alerts.values()
        return alert


CPU_RULE = {
    "name": "CPU high",
    "metric": "cpu",
    "window": "1m",
    "group_by": ["host"],
    "thresholds": [{"severity": "warning", "condition": "gt", "value": 80, "for": "2m"}],
}


def test_breach_pending_firing_acknowledged_resolved() -> None:
    # Given a rule: CPU above 80 for 2 minutes is a warning
    world = World()
    world.add_rule(**CPU_RULE)
    # When CPU breaches, it is pending first and nothing is published
    world.push(minutes(0), "cpu", 93, host="web-1")
    assert world.only_alert().status is AlertStatus.PENDING
    world.push(minutes(1), "cpu", 91, host="web-1")
    assert world.publisher.transitions == []
    # Then after 2 minutes of breach it fires, published at once, and its group waits group_wait
    world.push(minutes(2), "cpu", 95, host="web-1")
    alert = world.only_alert()
    assert (alert.status, alert.severity, alert.occurrences) == (AlertStatus.FIRING, "warning", 1)
    assert world.kinds() == [TransitionKind.FIRING]
    [(flush_request, delay)] = world.queue.flushes
    assert delay == 31  # group_wait 30 s, rounded up
    assert world.publisher.notifications == []
    # And the group is notified once its wait is over
    world.now = minutes(2.5)
    world.desk.flush_group(TENANT, flush_request.group_key, world.now)
    [notification] = world.publisher.notifications
    assert (notification.status, notification.reason, len(notification.firing)) == ("firing", "new", 1)
    # When someone acknowledges it, who and when is kept
    world.now = minutes(3)
    acknowledged = world.desk.acknowledge(TENANT, alert.id, AcknowledgeInput(notes="looking"), "api-key:ana")
    assert (acknowledged.status, acknowledged.acknowledged_by, acknowledged.ack_notes) == (
        AlertStatus.ACKNOWLEDGED,
        "api-key:ana",
        "looking",
    )
    # When CPU comes down, it resolves by itself
    world.push(minutes(4), "cpu", 20, host="web-1")
    resolved = world.only_alert()
    assert (resolved.status, resolved.resolved_by, resolved.resolved_at) == (AlertStatus.RESOLVED, None, minutes(4))
    assert world.kinds() == [TransitionKind.FIRING, TransitionKind.ACKNOWLEDGED, TransitionKind.RESOLVED]
    # Then the resolution is notified once it has held for the cooldown, and the group closes
    world.tick(minutes(8))
    assert len(world.publisher.notifications) == 1  # still inside the 5-minute cooldown
    world.tick(minutes(12))
    assert len(world.publisher.notifications) == 1  # past it, but group_interval since the last flush is not
    world.tick(minutes(13))
    assert [n.status for n in world.publisher.notifications] == ["firing", "resolved"]
    assert world.alerts.groups == {}


def test_a_burst_of_100_alerts_is_one_notification() -> None:
    # Given a rule with one alert per host, firing at once
    world = World()
    world.add_rule(**{**CPU_RULE, "thresholds": [{"severity": "critical", "condition": "gt", "value": 80}]})
    # When 100 hosts breach within the group's wait
    for host in range(100):
        world.push(minutes(0) + timedelta(milliseconds=100 * host), "cpu", 99, host=f"web-{host}")
    # Then 100 alerts fire and 100 transitions are published
    assert world.kinds() == [TransitionKind.FIRING] * 100
    # And the group sends one notification listing all of them, once group_wait is over
    world.tick(minutes(1))
    [notification] = world.publisher.notifications
    assert len(notification.firing) == 100
    assert notification.group_labels == {"alertname": "cpu-high"}


def test_an_unchanged_firing_group_is_notified_again_after_the_repeat_interval() -> None:
    # Given an app's alert, notified once its group's wait was over
    world = World()
    world.desk.raise_custom(TENANT, CustomAlertInput(name="Backups failing", severity="error"))
    world.tick(minutes(1))
    # When it keeps firing, unchanged, evaluated every half hour
    for minute in range(31, 240, 30):
        world.tick(minutes(minute))
    # Then nobody is told again before 4 hours
    assert len(world.publisher.notifications) == 1
    # And after 4 hours it is repeated once
    world.tick(minutes(241))
    world.tick(minutes(242))
    assert [n.reason for n in world.publisher.notifications] == ["new", "repeat"]


def test_repeats_of_a_custom_alert_raise_its_occurrence_count_not_notifications() -> None:
    # Given an app that reports the same failure five times within the group's wait
    world = World()
    body = CustomAlertInput(name="Payment webhook failing", severity="error", labels={"service": "pay"})
    for second in range(0, 25, 5):
        world.now = T0 + timedelta(seconds=second)
        alert = world.desk.raise_custom(TENANT, body)
    # Then it is one alert seen five times, fired once
    assert (alert.occurrences, alert.status) == (5, AlertStatus.FIRING)
    assert world.kinds() == [TransitionKind.FIRING] + [TransitionKind.REPEATED] * 4
    # And the group tells people once
    world.tick(minutes(1))
    [notification] = world.publisher.notifications
    assert notification.firing[0]["occurrences"] == 5


def test_a_flapping_alert_yields_one_notification_and_a_flap_count() -> None:
    # Given a rule that fires at once above 80
    world = World()
    world.add_rule(**{**CPU_RULE, "thresholds": [{"severity": "warning", "condition": "gt", "value": 80}]})
    world.push(minutes(0), "cpu", 90, host="web-1")
    world.tick(minutes(1))
    assert len(world.publisher.notifications) == 1
    # When it resolves and fires again three times, each time within the cooldown (1-minute window)
    for start in (2, 6, 10):
        world.push(minutes(start), "cpu", 10, host="web-1")
        assert world.only_alert().status is AlertStatus.RESOLVED
        world.tick(minutes(start + 1))
        world.push(minutes(start + 2), "cpu", 95, host="web-1")
        world.tick(minutes(start + 2))
    # Then it is still the one firing alert, with three flaps, and nobody was told anything new
    alert = world.only_alert()
    assert (alert.status, alert.flap_count, alert.occurrences) == (AlertStatus.FIRING, 3, 4)
    assert world.kinds() == [TransitionKind.FIRING] + [TransitionKind.RESOLVED, TransitionKind.REPEATED] * 3
    world.tick(minutes(12.5))
    assert len(world.publisher.notifications) == 1


def test_a_silenced_alert_is_recorded_but_not_notified() -> None:
    # Given a silence on host web-2 and a rule that fires at once
    world = World()
    world.add_rule(**{**CPU_RULE, "thresholds": [{"severity": "warning", "condition": "gt", "value": 80}]})
    world.alerts.put_silence(
        Silence.model_validate(
            {
                "tenant_id": TENANT,
                "id": "s1",
                "matchers": [{"label": "host", "value": "web-2"}],
                "starts_at": T0,
                "ends_at": minutes(60),
                "created_by": "ana",
                "comment": "replacing the disk",
                "created_at": T0,
            }
        )
    )
    # When web-1 and web-2 breach
    world.push_batch(minutes(0), "cpu", [(90, {"host": "web-1"}), (90, {"host": "web-2"})])
    world.tick(minutes(1))
    # Then both alerts fire and are recorded, but only web-1 is notified
    assert world.kinds() == [TransitionKind.FIRING, TransitionKind.FIRING]
    [notification] = world.publisher.notifications
    assert [alert["labels"]["host"] for alert in notification.firing] == ["web-1"]
    # When the silence ends while web-2 still breaches, web-2 is news at the next flush
    world.push_batch(minutes(61), "cpu", [(90, {"host": "web-1"}), (90, {"host": "web-2"})])
    world.tick(minutes(61.5))
    assert [alert["labels"]["host"] for alert in world.publisher.notifications[-1].firing] == ["web-1", "web-2"]


def test_maintenance_keeps_alerts_out_of_notifications() -> None:
    # Given a tenant in a maintenance window for the next hour
    world = World()
    maintenance = {"start": T0, "end": minutes(60), "reason": "database upgrade"}
    world.rules.put_policy(TENANT, AlertingPolicy.model_validate({"maintenance": [maintenance]}))
    world.add_rule(**{**CPU_RULE, "thresholds": [{"severity": "warning", "condition": "gt", "value": 80}]})
    # When an alert fires during it
    world.push(minutes(0), "cpu", 90, host="web-1")
    world.tick(minutes(1))
    # Then it is recorded and published as a transition, but no notification goes out
    assert world.only_alert().status is AlertStatus.FIRING
    assert world.publisher.notifications == []


def test_a_critical_inhibits_the_warning_with_the_same_service() -> None:
    # Given an error-rate rule (critical) and a latency rule (warning), both per service
    world = World()
    world.rules.put_policy(TENANT, AlertingPolicy(group_by=("service",)))
    world.add_rule(
        name="Errors",
        metric="errors",
        window="1m",
        group_by=["service"],
        thresholds=[{"severity": "critical", "condition": "gt", "value": 10}],
    )
    world.add_rule(
        name="Latency",
        metric="latency",
        window="1m",
        group_by=["service"],
        thresholds=[{"severity": "warning", "condition": "gt", "value": 500}],
    )
    # When shop has both, and cart only slow responses
    world.push(minutes(0), "errors", 50, service="shop")
    world.push_batch(minutes(0), "latency", [(900, {"service": "shop"}), (900, {"service": "cart"})])
    world.tick(minutes(1))
    # Then all three alerts fire, but shop's warning is inhibited by its critical; cart's is notified
    assert len(world.alerts.open_alerts(TENANT)) == 3
    notified = {
        (alert["labels"]["service"], alert["severity"])
        for notification in world.publisher.notifications
        for alert in notification.firing
    }
    assert notified == {("shop", "critical"), ("cart", "warning")}


def test_a_transition_that_could_not_be_published_waits_in_the_outbox() -> None:
    # Given a topic that refuses the first publish
    world = World(publisher=RecordingAlertPublisher(fail_times=1))
    world.add_rule(**{**CPU_RULE, "thresholds": [{"severity": "warning", "condition": "gt", "value": 80}]})
    # When an alert fires
    world.push(minutes(0), "cpu", 90, host="web-1")
    # Then the alert is stored, its transition kept in the outbox
    assert world.only_alert().status is AlertStatus.FIRING
    assert world.publisher.transitions == []
    assert [t.kind for t in world.alerts.unpublished()] == [TransitionKind.FIRING]
    # And the next evaluation publishes it, once
    world.tick(minutes(0.5))
    world.tick(minutes(1))
    assert world.kinds() == [TransitionKind.FIRING]
    assert world.alerts.unpublished() == []


def test_ten_evaluators_racing_on_one_alert_make_one_transition() -> None:
    # Given a breach stored and ten evaluators started at the same moment
    world = World()
    world.add_rule(**{**CPU_RULE, "thresholds": [{"severity": "warning", "condition": "gt", "value": 80}]})
    batch = MetricBatch.model_validate(
        {"points": [{"name": "cpu", "type": "gauge", "value": 99, "labels": {"host": "a"}}]}
    )
    ingest_batch(TENANT, batch, "b1", world.rollups, Retention(), minutes(0))
    world.now = minutes(0)
    barrier = threading.Barrier(10)

    def evaluate() -> None:
        barrier.wait()
        world.engine.on_metrics_written(TENANT, ["cpu"], minutes(0))

    threads = [threading.Thread(target=evaluate) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Then one alert, one version, one transition
    assert world.only_alert().version == 1
    assert world.kinds() == [TransitionKind.FIRING]


def test_operator_actions_refuse_what_makes_no_sense() -> None:
    # Given a firing alert, acknowledged
    world = World()
    world.add_rule(**{**CPU_RULE, "thresholds": [{"severity": "warning", "condition": "gt", "value": 80}]})
    world.push(minutes(0), "cpu", 90, host="web-1")
    alert_id = world.only_alert().id
    world.desk.acknowledge(TENANT, alert_id, AcknowledgeInput(), "api-key:ana")
    # When it is acknowledged again, or an unknown alert is resolved, or another tenant resolves it
    with pytest.raises(VigilError) as again:
        world.desk.acknowledge(TENANT, alert_id, AcknowledgeInput(), "api-key:bob")
    with pytest.raises(VigilError) as unknown:
        world.desk.resolve(TENANT, "nope", ResolveInput(), "api-key:bob")
    with pytest.raises(VigilError) as other_tenant:
        world.desk.resolve("globex", alert_id, ResolveInput(), "api-key:eve")
    # Then 409 with who acknowledged it, and 404 for the rest
    assert again.value.status == 409
    assert "api-key:ana" in again.value.message
    assert (unknown.value.status, other_tenant.value.status) == (404, 404)
    # When it is resolved by hand, with notes, it records who did
    resolved = world.desk.resolve(TENANT, alert_id, ResolveInput(resolution_notes="rebooted"), "api-key:bob")
    assert (resolved.resolved_by, resolved.resolution_notes) == ("api-key:bob", "rebooted")


class NotificationFailsOnce(RecordingAlertPublisher):
    def __init__(self) -> None:
        super().__init__()
        self.failed = False

    def publish_notification(self, notification: GroupNotification, channel_types: Sequence[str] = ()) -> None:
        if not self.failed:
            self.failed = True
            raise PublishError("topic unavailable (injected)")
        super().publish_notification(notification, channel_types)


def test_a_notification_that_could_not_be_published_is_sent_by_the_next_flush() -> None:
    # Given a topic that refuses the first notification
    world = World(publisher=NotificationFailsOnce())
    world.desk.raise_custom(TENANT, CustomAlertInput(name="Backups failing", severity="error"))
    # When the group's wait is over and its flush cannot publish
    world.tick(minutes(1))
    assert world.publisher.notifications == []
    # Then the group is as it was, and the next evaluation sends the notification, as new
    world.tick(minutes(2))
    [notification] = world.publisher.notifications
    assert (notification.reason, notification.notification_id.endswith(":1")) == ("new", True)


def test_evaluating_the_same_minute_twice_changes_nothing_the_second_time() -> None:
    # Given a rule with a `for`, a breach, and the minute's evaluation done once
    world = World()
    world.add_rule(**CPU_RULE)
    world.push(minutes(0), "cpu", 93, host="web-1")
    world.push(minutes(2), "cpu", 95, host="web-1")
    world.now = minutes(2)
    first = world.engine.evaluate_all(minutes(2))
    stored = world.only_alert()
    # When the same minute is evaluated again (EventBridge delivers at least once), and an older one arrives late
    again = world.engine.evaluate_all(minutes(2))
    late = world.engine.evaluate_all(minutes(1))
    # Then nothing is written or published again
    assert first.rules == again.rules == 1
    assert (again.writes, again.transitions, late.writes, late.transitions) == (0, 0, 0, 0)
    assert world.only_alert() == stored
    assert world.kinds() == [TransitionKind.FIRING]


def test_a_pending_alert_asks_to_be_evaluated_when_its_for_elapses_and_then_fires_on_time() -> None:
    # Given a rule that must hold for 2 minutes, over a 5-minute window
    world = World()
    world.add_rule(**{**CPU_RULE, "window": "5m"})
    # When a breach is pushed, 20 seconds into a minute
    world.push(minutes(0) + timedelta(seconds=20), "cpu", 97, host="web-1")
    # Then the alert is pending and an evaluation of its rule is asked for exactly when `for` elapses
    assert world.only_alert().status is AlertStatus.PENDING
    [(due, delay)] = world.queue.due
    assert (due.tenant_id, due.rule_ids, delay) == (TENANT, ("cpu-high",), 120)
    # When that evaluation comes, with no new data and before the next minute's run
    world.now = minutes(2) + timedelta(seconds=20)
    world.engine.on_rules_due(TENANT, due.rule_ids, world.now)
    # Then it fires then
    alert = world.only_alert()
    assert (alert.status, alert.fired_at) == (AlertStatus.FIRING, minutes(2) + timedelta(seconds=20))
    assert world.kinds() == [TransitionKind.FIRING]
