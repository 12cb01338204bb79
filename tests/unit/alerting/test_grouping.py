"""Notification groups: group_wait, group_interval, repeat_interval, flaps, resolutions and suppression.

Alerts move through the real state machine; a perfect scheduler flushes the group whenever it is due.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from vigil_core.alerting.grouping import FlushResult, flush, group_labels_for, open_group
from vigil_core.alerting.lifecycle import acknowledge, advance
from vigil_core.alerting.suppression import Suppressor
from vigil_core.models.alerts import (
    Alert,
    AlertChange,
    AlertingPolicy,
    AlertSource,
    AlertStatus,
    GroupNotification,
    GroupState,
    Matcher,
    Observation,
    Severity,
    Silence,
    ThresholdRule,
    TransitionKind,
    fingerprint,
    group_key,
)

TENANT = "acme"
T0 = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
POLICY = AlertingPolicy()  # group by alertname, wait 30 s, interval 5 min, repeat 4 h


def at(seconds: float = 0, minutes: float = 0, hours: float = 0) -> datetime:
    return T0 + timedelta(seconds=seconds, minutes=minutes, hours=hours)


def threshold_rule(**fields: Any) -> ThresholdRule:
    body: dict[str, Any] = {"id": "high-latency", "name": "High latency", "metric": "http.latency"}
    if "thresholds" not in fields:
        body |= {"condition": "gt", "threshold": 100}
    return ThresholdRule.model_validate({**body, **fields})


class World:
    """One rule's alerts, their notification group, and every notification sent."""

    def __init__(self, rule: ThresholdRule | None = None, policy: AlertingPolicy = POLICY) -> None:
        self.rule = rule or threshold_rule()
        self.policy = policy
        self.alerts: dict[str, Alert] = {}
        self.group: GroupState | None = None
        self.deleted = False
        self.silences: list[Silence] = []
        self.notifications: list[GroupNotification] = []

    def observe(self, host: str, value: float, now: datetime) -> AlertChange | None:
        """Flushes what is due before `now`, then evaluates one host's value."""
        self.run_until(now)
        labels = {"host": host}
        breached = tuple(t for t in self.rule.thresholds if t.condition.holds(value, t.value))
        current = self.alerts.get(fingerprint(TENANT, self.rule.rule_id, labels))
        observation = Observation(self.rule.rule_id, labels, value, breached)
        change = advance(current, observation, self.rule, TENANT, AlertSource.RULE, now)
        if change is not None:
            self.store(change.alert, now)
        return change

    def store(self, alert: Alert, now: datetime) -> None:
        if alert.status.is_open and self.group is None:
            self.group = open_group(TENANT, group_labels_for(alert.labels, self.policy), self.policy, now)
        assert self.group is not None
        self.alerts[alert.fingerprint] = alert.model_copy(update={"group_key": self.group.group_key})

    def run_until(self, now: datetime) -> None:
        while self.group is not None and self.group.next_flush_at <= now:
            self.flush(self.group.next_flush_at)

    def flush(self, now: datetime) -> FlushResult:
        assert self.group is not None
        members = list(self.alerts.values())
        open_alerts = [alert for alert in members if alert.status.is_open]
        suppressor = Suppressor(self.silences, self.policy.inhibit_rules, False, open_alerts, now)
        result = flush(self.group, members, self.policy, suppressor, now)
        if result.notification is not None:
            self.notifications.append(result.notification)
        if result.group is None:
            self.deleted = True
            self.alerts = {}
        self.group = result.group
        return result

    def alert(self, host: str) -> Alert:
        return self.alerts[fingerprint(TENANT, self.rule.rule_id, {"host": host})]

    @property
    def summary(self) -> list[tuple[datetime, str, str, int, int]]:
        return [(n.at, n.reason, n.status, len(n.firing), len(n.resolved)) for n in self.notifications]


def hosts(notification_alerts: Sequence[dict[str, Any]]) -> list[str]:
    return [alert["labels"]["host"] for alert in notification_alerts]


def test_opening_a_group_waits_group_wait() -> None:
    # Given alert labels without one of the policy's group_by labels
    policy = AlertingPolicy(group_by=("alertname", "service"), group_wait=45)
    labels = group_labels_for({"alertname": "high-latency", "host": "a"}, policy)
    # When a group is opened for them
    group = open_group(TENANT, labels, policy, T0)
    # Then it is keyed by its labels (a missing one is empty) and first flushes after group_wait
    assert labels == {"alertname": "high-latency", "service": ""}
    assert group.group_key == group_key(TENANT, labels)
    assert (group.next_flush_at, group.version, group.sequence, group.notified_firing) == (at(45), 0, 0, ())


def test_a_group_is_not_flushed_before_it_is_due() -> None:
    # Given a group with a firing alert, due at 30 s
    world = World()
    world.observe("a", 150, T0)
    assert world.group is not None
    # When flushed early
    result = world.flush(at(29))
    # Then nothing happens
    assert result == FlushResult(world.group, None, False)
    assert world.notifications == []


def test_a_burst_of_alerts_within_group_wait_makes_one_notification() -> None:
    # Given 100 hosts breaching within group_wait
    world = World()
    for index in range(100):
        world.observe(f"host-{index:03}", 150, at(index * 0.25))
    # When group_wait is over
    world.run_until(at(31))
    # Then one notification lists all 100
    assert world.summary == [(at(30), "new", "firing", 100, 0)]
    notification = world.notifications[0]
    assert world.group is not None
    assert notification.notification_id == f"{world.group.group_key}:1"
    assert (notification.group_labels, notification.severity) == ({"alertname": "high-latency"}, Severity.WARNING)
    assert sorted(hosts(notification.firing)) == [f"host-{index:03}" for index in range(100)]
    assert (world.group.sequence, world.group.last_notified_at, len(world.group.notified_firing)) == (1, at(30), 100)
    assert world.group.next_flush_at == at(30 + 300)


def test_alerts_joining_later_wait_for_the_group_interval_and_nothing_repeats_before_repeat_interval() -> None:
    # Given a group notified at 30 s
    world = World()
    world.observe("a", 150, T0)
    world.run_until(at(30))
    # When a second host fires a minute later
    world.observe("b", 150, at(minutes=1))
    # Then it is told at the next group interval, with both firing
    world.run_until(at(minutes=6))
    assert world.summary == [(at(30), "new", "firing", 1, 0), (at(330), "changed", "firing", 2, 0)]
    # And nothing more until 4 hours after the last notification
    world.run_until(at(330) + timedelta(hours=4) - timedelta(seconds=1))
    assert len(world.notifications) == 2
    world.run_until(at(330) + timedelta(hours=4))
    assert world.summary[-1] == (at(330) + timedelta(hours=4), "repeat", "firing", 2, 0)
    assert world.notifications[-1].notification_id.endswith(":3")


def test_a_resolution_is_told_once_its_cooldown_has_passed_and_the_group_ends() -> None:
    # Given an alert told as firing that resolves a minute later
    world = World()
    world.observe("a", 150, T0)
    world.observe("a", 50, at(minutes=1))
    # When the next flush (5.5 min) comes inside the 5 minute cooldown (until 6 min)
    world.run_until(at(330))
    # Then nothing is said yet
    assert len(world.notifications) == 1
    assert world.group is not None
    assert world.group.notified_firing == (world.alert("a").fingerprint,)
    # When the flush after the cooldown comes
    world.run_until(at(630))
    # Then the resolution is told, and the group ends
    assert world.summary == [(at(30), "new", "firing", 1, 0), (at(630), "changed", "resolved", 0, 1)]
    assert world.notifications[-1].severity is Severity.WARNING
    assert world.deleted  # the flush returned no group


def test_a_flap_is_held_so_only_one_notification_is_sent() -> None:
    # Given an alert told as firing
    world = World()
    world.observe("a", 150, T0)
    # When it resolves at 5 min and fires again at 6 min (inside its cooldown)
    world.observe("a", 50, at(minutes=5))
    flap = world.observe("a", 150, at(minutes=6))
    # Then the alert records a flap
    assert flap is not None
    assert flap.transition is not None
    assert (flap.transition.kind, flap.alert.flap_count) == (TransitionKind.REPEATED, 1)
    # And the group says nothing more until the 4 hour repeat
    world.run_until(at(hours=4, seconds=29))
    assert world.summary == [(at(30), "new", "firing", 1, 0)]


def test_a_flap_through_pending_is_held_as_well() -> None:
    # Given a rule with `for` 10 minutes whose alert was told as firing at 10.5 min
    world = World(threshold_rule(**{"for": "10m"}))
    world.observe("a", 150, T0)
    world.observe("a", 150, at(minutes=10))
    world.run_until(at(minutes=11))
    assert world.summary == [(at(630), "new", "firing", 1, 0)]
    # When it resolves at 11 min and breaches again at 12 min: still pending at the 20.5 min flush,
    # after its cooldown (16 min)
    world.observe("a", 50, at(minutes=11))
    world.observe("a", 150, at(minutes=12))
    world.run_until(at(1230))
    assert world.alert("a").status is AlertStatus.PENDING
    assert world.group is not None
    assert world.group.notified_firing == (world.alert("a").fingerprint,)
    # And it fires again at 22 min
    world.observe("a", 150, at(minutes=22))
    assert world.alert("a").status is AlertStatus.FIRING
    # Then nobody heard of the interruption: still one notification
    world.run_until(at(minutes=60))
    assert len(world.notifications) == 1


def test_pending_alerts_are_not_told_and_the_group_ends_when_they_clear() -> None:
    # Given an alert pending for 10 minutes
    world = World(threshold_rule(**{"for": "10m"}))
    world.observe("a", 150, T0)
    # When the group is flushed while it waits
    world.run_until(at(minutes=2))
    # Then nothing is told, and the group waits on
    assert world.notifications == []
    assert world.group is not None
    # When the breach clears before firing
    world.observe("a", 50, at(minutes=3))
    world.run_until(at(minutes=10))
    # Then the group ends without a word
    assert world.notifications == []
    assert world.deleted


def test_acknowledged_alerts_do_not_repeat_but_their_resolution_is_told() -> None:
    # Given an alert told as firing, then acknowledged
    world = World()
    world.observe("a", 150, T0)
    world.run_until(at(30))
    world.store(acknowledge(world.alert("a"), "ana", None, at(minutes=1)).alert, at(minutes=1))
    # When 5 hours pass
    world.run_until(at(hours=5))
    # Then no repeat was sent
    assert len(world.notifications) == 1
    assert world.group is not None
    assert world.group.notified_firing == (world.alert("a").fingerprint,)
    # When it resolves
    world.observe("a", 50, at(hours=5))
    world.run_until(at(hours=6))
    # Then its resolution is told
    assert [(n.reason, n.status, hosts(n.resolved)) for n in world.notifications[1:]] == [
        ("changed", "resolved", ["a"])
    ]


def test_an_alert_acknowledged_before_anyone_was_told_is_never_told() -> None:
    # Given an alert acknowledged within group_wait
    world = World()
    world.observe("a", 150, T0)
    world.store(acknowledge(world.alert("a"), "ana", None, at(10)).alert, at(10))
    # When the group flushes
    world.run_until(at(minutes=20))
    # Then nothing is told
    assert world.notifications == []


def test_a_silenced_alert_is_not_told_and_becomes_news_when_the_silence_ends() -> None:
    # Given a silence of host a for 10 minutes and hosts a and b firing
    world = World()
    world.silences.append(
        Silence(
            tenant_id=TENANT,
            id="s1",
            matchers=(Matcher(label="host", value="a"),),
            starts_at=T0,
            ends_at=at(minutes=10),
            created_by="ana",
            comment="deploy",
            created_at=T0,
        )
    )
    world.observe("a", 150, T0)
    world.observe("b", 150, T0)
    # When the group flushes during the silence and after it
    world.run_until(at(minutes=11))
    # Then b is told first, a once its silence ended
    assert [(n.at, n.reason, hosts(n.firing)) for n in world.notifications] == [
        (at(30), "new", ["b"]),
        (at(630), "changed", ["a", "b"]),
    ]


def test_an_alert_silenced_after_it_was_told_is_dropped_without_a_resolution() -> None:
    # Given two hosts told as firing
    world = World()
    world.observe("a", 150, T0)
    world.observe("b", 150, T0)
    world.run_until(at(30))
    # When host a is silenced
    world.silences.append(
        Silence(
            tenant_id=TENANT,
            id="s1",
            matchers=(Matcher(label="host", value="a"),),
            starts_at=at(minutes=1),
            ends_at=at(hours=1),
            created_by="ana",
            comment="noisy",
            created_at=at(minutes=1),
        )
    )
    world.run_until(at(minutes=6))
    # Then nothing is said, and a is no longer counted as told
    assert len(world.notifications) == 1
    assert world.group is not None
    assert world.group.notified_firing == (world.alert("b").fingerprint,)


TWO_LEVELS = [
    {"severity": "warning", "condition": "gt", "value": 100},
    {"severity": "critical", "condition": "gt", "value": 200},
]


def test_the_notification_severity_is_the_highest_firing_and_the_list_is_ordered_by_it() -> None:
    # Given a policy without inhibition, host b critical and host a a warning
    world = World(threshold_rule(thresholds=TWO_LEVELS), AlertingPolicy(inhibit_rules=()))
    world.observe("a", 150, T0)
    world.observe("b", 250, T0)
    # When the group is told
    world.run_until(at(30))
    # Then the notification is critical, listing the critical alert first
    notification = world.notifications[0]
    assert notification.severity is Severity.CRITICAL
    assert hosts(notification.firing) == ["b", "a"]


def test_the_default_policy_does_not_tell_warnings_a_critical_alert_inhibits() -> None:
    # Given the default policy (critical inhibits warnings of the same service), both hosts without a service
    world = World(threshold_rule(thresholds=TWO_LEVELS))
    world.observe("a", 150, T0)
    world.observe("b", 250, T0)
    # When the group is told
    world.run_until(at(30))
    # Then only the critical alert is listed
    assert hosts(world.notifications[0].firing) == ["b"]
    # And once the critical one drops to a warning, a is news too
    world.observe("b", 150, at(minutes=1))
    world.run_until(at(330))
    assert [(n.reason, n.severity, sorted(hosts(n.firing))) for n in world.notifications[1:]] == [
        ("changed", Severity.WARNING, ["a", "b"])
    ]


def test_a_flush_moves_the_next_flush_and_the_version() -> None:
    # Given a group with a firing alert
    world = World()
    world.observe("a", 150, T0)
    assert world.group is not None
    before = world.group
    # When it is flushed late, at 40 s
    result = world.flush(at(40))
    # Then it notified, must be stored with one more version, and flushes again a group_interval later
    assert result.changed
    assert result.group is not None
    assert (result.group.version, result.group.next_flush_at, result.group.sequence) == (
        before.version + 1,
        at(340),
        1,
    )
    assert result.notification is not None
    assert (result.notification.at, result.notification.notification_id) == (at(40), f"{before.group_key}:1")
    # And a due flush with nothing to say still stores the next flush time
    quiet = world.flush(at(340))
    assert quiet.notification is None
    assert quiet.changed
    assert quiet.group is not None
    assert (quiet.group.next_flush_at, quiet.group.sequence) == (at(640), 1)
