"""The alert state machine: pending, firing, severities, flaps, acknowledgement, resolution, custom alerts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from vigil_core.alerting.lifecycle import (
    acknowledge,
    advance,
    custom_fingerprint,
    report_custom,
    resolve_by_hand,
)
from vigil_core.errors import VigilError
from vigil_core.models.alerts import (
    MAX_HISTORY,
    Alert,
    AlertChange,
    AlertSource,
    AlertStatus,
    AlertTransition,
    CustomAlertInput,
    Observation,
    ProbeRule,
    Severity,
    ThresholdRule,
    TransitionKind,
    fingerprint,
)

TENANT = "acme"
T0 = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
PENDING, FIRING, ACKNOWLEDGED, RESOLVED = (
    AlertStatus.PENDING,
    AlertStatus.FIRING,
    AlertStatus.ACKNOWLEDGED,
    AlertStatus.RESOLVED,
)
WARNING, CRITICAL = Severity.WARNING, Severity.CRITICAL


def minutes(count: float) -> datetime:
    return T0 + timedelta(minutes=count)


def threshold_rule(**fields: Any) -> ThresholdRule:
    body: dict[str, Any] = {"id": "high-latency", "name": "High latency", "metric": "http.latency"}
    if "thresholds" not in fields:
        body |= {"condition": "gt", "threshold": 100}
    return ThresholdRule.model_validate({**body, **fields})


TWO_LEVELS = [
    {"severity": "warning", "condition": "gt", "value": 5},
    {"severity": "critical", "condition": "gt", "value": 10, "for": "2m"},
]


class Evaluations:
    """Feeds one group's values to advance() and keeps the alert as the store would, with every change."""

    def __init__(self, rule: ThresholdRule, group_labels: dict[str, str] | None = None) -> None:
        self.rule = rule
        self.group_labels = group_labels if group_labels is not None else {"host": "a"}
        self.alert: Alert | None = None
        self.changes: list[AlertChange] = []

    def observe(self, value: float | None, at: datetime) -> AlertChange | None:
        breached = tuple(t for t in self.rule.thresholds if value is not None and t.condition.holds(value, t.value))
        observation = Observation(self.rule.rule_id, self.group_labels, value, breached)
        return self.apply(advance(self.alert, observation, self.rule, TENANT, AlertSource.RULE, at))

    def apply(self, change: AlertChange | None) -> AlertChange | None:
        if change is not None:
            assert change.expected_version == (self.alert.version if self.alert else 0)
            assert change.alert.version == change.expected_version + 1
            self.alert = change.alert
            self.changes.append(change)
        return change

    @property
    def current(self) -> Alert:
        assert self.alert is not None
        return self.alert

    @property
    def transitions(self) -> list[AlertTransition]:
        return [change.transition for change in self.changes if change.transition is not None]

    @property
    def kinds(self) -> list[TransitionKind]:
        return [transition.kind for transition in self.transitions]


def firing(rule: ThresholdRule | None = None, at: datetime = T0) -> Evaluations:
    evaluations = Evaluations(rule or threshold_rule())
    evaluations.observe(150, at)
    assert evaluations.current.status is FIRING
    return evaluations


def test_a_breach_waits_for_its_for_then_fires_is_acknowledged_and_resolves_by_itself() -> None:
    # Given a rule: latency above 100 for 2 minutes
    evaluations = Evaluations(threshold_rule(**{"for": "2m"}))
    # When it breaches: pending first, stored but not published, and not rewritten while it waits
    pending = evaluations.observe(150, minutes(0))
    assert pending is not None
    assert pending.transition is None
    assert (pending.alert.status, pending.alert.pending_since, pending.alert.occurrences) == (PENDING, T0, 0)
    assert evaluations.observe(160, minutes(1)) is None
    # Then after 2 minutes it fires
    fired = evaluations.observe(170, minutes(2))
    assert fired is not None
    assert fired.transition is not None
    assert (fired.transition.kind, fired.transition.previous_status, fired.transition.occurrence) == (
        TransitionKind.FIRING,
        PENDING,
        1,
    )
    assert fired.transition.transition_id == f"{fired.alert.fingerprint}:2"
    assert (fired.alert.fired_at, fired.alert.value, fired.alert.pending_since) == (minutes(2), 170, T0)
    # When someone acknowledges it, and it keeps breaching
    evaluations.apply(acknowledge(evaluations.current, "ana", "on it", minutes(3)))
    assert evaluations.observe(180, minutes(4)) is None
    # And the condition clears
    resolved = evaluations.observe(50, minutes(5))
    # Then it resolves by itself
    assert resolved is not None
    assert resolved.transition is not None
    assert (resolved.transition.kind, resolved.transition.previous_status) == (TransitionKind.RESOLVED, ACKNOWLEDGED)
    alert = evaluations.current
    assert (alert.status, alert.resolved_at, alert.resolved_by, alert.breaching_since) == (
        RESOLVED,
        minutes(5),
        None,
        {},
    )
    assert alert.last_seen == minutes(2)  # the last evaluation that was written while breaching
    assert alert.value == 50
    assert [(h.status, h.at, h.by, h.note) for h in alert.history] == [
        (PENDING, minutes(0), None, None),
        (FIRING, minutes(2), None, None),
        (ACKNOWLEDGED, minutes(3), "ana", "on it"),
        (RESOLVED, minutes(5), None, None),
    ]
    assert evaluations.kinds == [TransitionKind.FIRING, TransitionKind.ACKNOWLEDGED, TransitionKind.RESOLVED]
    assert alert.version == 4


def test_a_breach_that_clears_before_its_for_never_fires() -> None:
    # Given a pending alert waiting 5 minutes
    evaluations = Evaluations(threshold_rule(**{"for": "5m"}))
    evaluations.observe(150, minutes(0))
    # When the condition clears after 3 minutes
    cleared = evaluations.observe(50, minutes(3))
    # Then it is resolved silently: it never fired
    assert cleared is not None
    assert cleared.transition is None
    alert = evaluations.current
    assert (alert.status, alert.resolved_at, alert.occurrences, alert.has_fired) == (RESOLVED, minutes(3), 0, False)
    assert evaluations.transitions == []


def test_for_zero_fires_at_once_with_the_alerts_identity_and_labels() -> None:
    # Given a rule without `for`, with labels of its own
    rule = threshold_rule(labels={"team": "web", "host": "from-rule"})
    evaluations = Evaluations(rule, {"host": "a", "service": "api"})
    # When it breaches once
    change = evaluations.observe(150, T0)
    # Then a new alert fires at once
    assert change is not None
    assert change.expected_version == 0
    assert change.transition is not None
    assert (change.transition.kind, change.transition.previous_status) == (TransitionKind.FIRING, None)
    alert = change.alert
    assert alert.fingerprint == fingerprint(TENANT, "high-latency", {"host": "a", "service": "api"})
    assert alert.labels == {
        "team": "web",
        "host": "a",  # group labels win over rule labels
        "service": "api",
        "alertname": "high-latency",
        "severity": "warning",
    }
    assert alert.group_labels == {"host": "a", "service": "api"}
    assert (alert.first_seen, alert.last_seen, alert.last_evaluated_at, alert.changed_at) == (T0, T0, T0, T0)
    assert (alert.value, alert.threshold, alert.occurrences, alert.version) == (150, 100, 1, 1)
    assert (alert.rule_name, alert.source, alert.cooldown) == ("High latency", AlertSource.RULE, 300)
    assert change.transition.alert == alert.to_public()


def test_severity_escalates_once_the_higher_threshold_held_for_its_for() -> None:
    # Given warning above 5 (at once) and critical above 10 (for 2 minutes), firing as warning
    evaluations = Evaluations(threshold_rule(thresholds=TWO_LEVELS))
    evaluations.observe(7, minutes(0))
    assert evaluations.current.severity is WARNING
    # When the value rises above 10: stored (critical is now tracked) but still a warning
    tracked = evaluations.observe(12, minutes(1))
    assert tracked is not None
    assert tracked.transition is None
    assert tracked.alert.severity is WARNING
    assert tracked.alert.breaching_since == {WARNING: minutes(0), CRITICAL: minutes(1)}
    assert evaluations.observe(12, minutes(2)) is None
    # Then after 2 more minutes it becomes critical
    escalated = evaluations.observe(13, minutes(3))
    assert escalated is not None
    assert escalated.transition is not None
    assert escalated.transition.kind is TransitionKind.SEVERITY_CHANGED
    assert (escalated.alert.severity, escalated.alert.threshold, escalated.alert.labels["severity"]) == (
        CRITICAL,
        10,
        "critical",
    )
    assert escalated.alert.changed_at == minutes(3)
    # And when it drops to 7 again, warning (held all along) takes over at once
    lowered = evaluations.observe(7, minutes(4))
    assert lowered is not None
    assert lowered.transition is not None
    assert (lowered.transition.kind, lowered.alert.severity, lowered.alert.threshold) == (
        TransitionKind.SEVERITY_CHANGED,
        WARNING,
        5,
    )
    assert [(h.status, h.severity) for h in evaluations.current.history] == [
        (FIRING, WARNING),
        (FIRING, CRITICAL),
        (FIRING, WARNING),
    ]


def test_severity_stays_until_the_lower_threshold_held_for_its_own_for() -> None:
    # Given critical above 10 at once and warning above 5 for 3 minutes, firing critical at once
    thresholds = [
        {"severity": "warning", "condition": "gt", "value": 5, "for": "3m"},
        {"severity": "critical", "condition": "gt", "value": 10},
    ]
    evaluations = Evaluations(threshold_rule(thresholds=thresholds))
    evaluations.observe(12, minutes(0))
    assert evaluations.current.severity is CRITICAL
    # When the value drops between 5 and 10: warning has not held for 3 minutes yet
    kept = evaluations.observe(7, minutes(1))
    # Then the alert stays critical (hysteresis), only forgetting that critical breaches
    assert kept is not None
    assert kept.transition is None
    assert kept.alert.severity is CRITICAL
    assert kept.alert.breaching_since == {WARNING: minutes(0)}
    assert evaluations.observe(7, minutes(2)) is None
    # And becomes a warning once warning held for 3 minutes
    lowered = evaluations.observe(7, minutes(3))
    assert lowered is not None
    assert lowered.transition is not None
    assert (lowered.transition.kind, lowered.alert.severity) == (TransitionKind.SEVERITY_CHANGED, WARNING)


def test_a_severity_change_keeps_the_acknowledgement() -> None:
    # Given an acknowledged warning
    evaluations = Evaluations(threshold_rule(thresholds=TWO_LEVELS))
    evaluations.observe(7, minutes(0))
    evaluations.apply(acknowledge(evaluations.current, "ana", None, minutes(1)))
    # When it escalates to critical
    evaluations.observe(12, minutes(2))
    escalated = evaluations.observe(12, minutes(4))
    # Then it stays acknowledged, by the same person
    assert escalated is not None
    assert escalated.transition is not None
    assert (escalated.transition.kind, escalated.transition.status) == (
        TransitionKind.SEVERITY_CHANGED,
        ACKNOWLEDGED,
    )
    assert (escalated.alert.status, escalated.alert.acknowledged_by) == (ACKNOWLEDGED, "ana")


def test_firing_again_inside_the_cooldown_is_a_flap_not_a_new_occurrence() -> None:
    # Given an alert that fired and resolved
    evaluations = firing()
    evaluations.observe(50, minutes(1))
    # When it breaches again 2 minutes later (cooldown 5 minutes)
    flap = evaluations.observe(150, minutes(3))
    # Then it repeats: same occurrence start, one more flap
    assert flap is not None
    assert flap.transition is not None
    assert (flap.transition.kind, flap.transition.previous_status, flap.transition.occurrence) == (
        TransitionKind.REPEATED,
        RESOLVED,
        2,
    )
    alert = evaluations.current
    assert (alert.status, alert.flap_count, alert.occurrences, alert.fired_at) == (FIRING, 1, 2, T0)
    assert (alert.resolved_at, alert.resolved_by) == (None, None)
    # When it resolves and breaches again after the cooldown
    evaluations.observe(50, minutes(4))
    again = evaluations.observe(150, minutes(9) + timedelta(seconds=1))
    # Then it is a new occurrence
    assert again is not None
    assert again.transition is not None
    assert again.transition.kind is TransitionKind.FIRING
    alert = evaluations.current
    assert (alert.flap_count, alert.occurrences, alert.fired_at) == (1, 3, minutes(9) + timedelta(seconds=1))


def test_exactly_at_the_end_of_the_cooldown_it_is_a_new_occurrence() -> None:
    # Given an alert resolved at minute 1 with a 5 minute cooldown
    evaluations = firing()
    evaluations.observe(50, minutes(1))
    # When it breaches again at minute 6 exactly
    again = evaluations.observe(150, minutes(6))
    # Then the cooldown is over
    assert again is not None
    assert again.transition is not None
    assert (again.transition.kind, again.alert.flap_count) == (TransitionKind.FIRING, 0)


def test_a_new_breach_of_a_resolved_alert_with_for_is_pending_first() -> None:
    # Given a rule with `for` whose alert fired and resolved
    evaluations = Evaluations(threshold_rule(**{"for": "1m"}))
    evaluations.observe(150, minutes(0))
    evaluations.observe(150, minutes(1))
    evaluations.observe(50, minutes(2))
    # When it breaches again
    pending = evaluations.observe(150, minutes(10))
    # Then it waits again, then fires a new occurrence with the old resolution cleared
    assert pending is not None
    assert (pending.alert.status, pending.alert.pending_since, pending.transition) == (PENDING, minutes(10), None)
    fired = evaluations.observe(150, minutes(11))
    assert fired is not None
    assert fired.transition is not None
    assert (fired.transition.kind, fired.alert.occurrences, fired.alert.resolved_at) == (TransitionKind.FIRING, 2, None)


def test_value_updates_alone_are_not_written() -> None:
    # Given a firing alert
    evaluations = firing()
    # When later evaluations see other breaching values
    # Then nothing is written
    assert evaluations.observe(170, minutes(1)) is None
    assert evaluations.observe(999, minutes(2)) is None
    assert evaluations.current.version == 1


def test_an_old_evaluation_changes_nothing() -> None:
    # Given an alert that changed at minute 5
    evaluations = firing(at=minutes(5))
    # When an evaluation from minute 4 arrives late, seeing the condition clear
    late = evaluations.observe(50, minutes(4))
    # Then it is ignored
    assert late is None
    assert evaluations.current.status is FIRING


def test_a_resolved_alert_with_a_clear_condition_is_not_rewritten() -> None:
    # Given a resolved alert
    evaluations = firing()
    evaluations.observe(50, minutes(1))
    # When evaluations keep finding it clear (or find no data)
    # Then nothing is written
    assert evaluations.observe(50, minutes(2)) is None
    assert evaluations.observe(None, minutes(3)) is None


def test_nothing_is_stored_for_a_clear_group_that_never_alerted() -> None:
    assert Evaluations(threshold_rule()).observe(50, T0) is None


def test_resolved_by_hand_while_breaching_stays_resolved_until_the_condition_clears() -> None:
    # Given a firing alert resolved by hand while it still breaches
    evaluations = Evaluations(threshold_rule(thresholds=TWO_LEVELS))
    evaluations.observe(7, minutes(0))
    resolved = evaluations.apply(resolve_by_hand(evaluations.current, "ana", "known issue", minutes(1)))
    assert resolved is not None
    assert resolved.transition is not None
    assert resolved.transition.kind is TransitionKind.RESOLVED
    # When the same breach continues, even rising, evaluated every minute
    for at, value in ((minutes(2), 8), (minutes(3), 12), (minutes(4), 12)):
        held = evaluations.observe(value, at)
        # Then it stays resolved; each evaluation is recorded so that a gap would show
        assert held is not None
        assert held.transition is None
        assert held.alert.status is RESOLVED
        assert held.alert.last_evaluated_at == at
    # When the condition clears, only the breach is forgotten
    cleared = evaluations.observe(1, minutes(5))
    assert cleared is not None
    assert cleared.transition is None
    assert (cleared.alert.status, cleared.alert.breaching_since, cleared.alert.resolved_by) == (RESOLVED, {}, "ana")
    # Then a new breach fires normally
    again = evaluations.observe(7, minutes(20))
    assert again is not None
    assert again.transition is not None
    assert again.transition.kind is TransitionKind.FIRING
    assert (again.alert.occurrences, again.alert.resolved_by, again.alert.resolution_notes) == (2, None, None)
    assert evaluations.kinds == [TransitionKind.FIRING, TransitionKind.RESOLVED, TransitionKind.FIRING]


def test_a_hand_resolved_alert_whose_condition_cleared_unseen_fires_on_the_next_breach() -> None:
    # Given a firing alert resolved by hand while it still breaches
    evaluations = Evaluations(threshold_rule(thresholds=TWO_LEVELS))
    evaluations.observe(7, minutes(0))
    evaluations.apply(resolve_by_hand(evaluations.current, "ana", None, minutes(1)))
    # When nothing sees it for longer than an evaluation gap (its condition cleared without an open alert
    # to resolve), and then it breaches
    again = evaluations.observe(7, minutes(10))
    # Then this is a new breach and it fires
    assert again is not None
    assert again.transition is not None
    assert again.transition.kind is TransitionKind.FIRING
    assert again.alert.occurrences == 2


def test_a_monitor_down_for_longer_than_for_fires_at_its_first_evaluation() -> None:
    # Given a probe rule waiting 5 minutes, and a monitor down for 10 minutes
    rule = ProbeRule.model_validate({"kind": "probe", "name": "Site down", "for": "5m"})
    since = minutes(-10)
    observation = Observation("site-down", {"monitor": "shop"}, None, rule.thresholds, since)
    # When the rule first sees it
    change = advance(None, observation, rule, TENANT, AlertSource.PROBE, T0)
    # Then it fires at once, the breach dated from when the monitor went down
    assert change is not None
    assert change.transition is not None
    assert change.transition.kind is TransitionKind.FIRING
    alert = change.alert
    assert (alert.status, alert.severity, alert.source, alert.pending_since) == (
        FIRING,
        CRITICAL,
        AlertSource.PROBE,
        since,
    )
    assert alert.breaching_since == {CRITICAL: since}
    assert alert.labels == {"monitor": "shop", "alertname": "site-down", "severity": "critical"}


def test_history_keeps_the_last_entries() -> None:
    # Given two thresholds without `for`
    thresholds = [
        {"severity": "warning", "condition": "gt", "value": 5},
        {"severity": "critical", "condition": "gt", "value": 10},
    ]
    evaluations = Evaluations(threshold_rule(thresholds=thresholds))
    # When the severity changes 60 times
    for step in range(61):
        evaluations.observe(12 if step % 2 else 7, minutes(step))
    # Then only the last entries are kept, the newest last
    history = evaluations.current.history
    assert len(history) == MAX_HISTORY
    assert (history[-1].at, history[-1].severity) == (minutes(60), WARNING)
    assert history[0].at == minutes(61 - MAX_HISTORY)


def pending_alert() -> Evaluations:
    evaluations = Evaluations(threshold_rule(**{"for": "5m"}))
    evaluations.observe(150, T0)
    return evaluations


def test_only_a_firing_alert_can_be_acknowledged() -> None:
    # Given a pending, an acknowledged and a resolved alert
    acknowledged = firing()
    acknowledged.apply(acknowledge(acknowledged.current, "ana", None, minutes(1)))
    resolved = firing()
    resolved.observe(50, minutes(2))
    cases = [
        (pending_alert().current, "alert is pending: it has not fired yet"),
        (acknowledged.current, "alert is already acknowledged by ana at 2026-11-22T09:01:00+00:00"),
        (resolved.current, "alert is resolved since 2026-11-22T09:02:00+00:00"),
    ]
    for alert, message in cases:
        # When someone acknowledges it
        with pytest.raises(VigilError) as caught:
            acknowledge(alert, "bob", None, minutes(3))
        # Then it is a conflict that says why
        assert (caught.value.status, caught.value.code, caught.value.message) == (409, "conflict", message)


def test_a_resolved_alert_cannot_be_resolved_again() -> None:
    # Given a resolved alert
    evaluations = firing()
    evaluations.observe(50, minutes(2))
    # When someone resolves it
    with pytest.raises(VigilError) as caught:
        resolve_by_hand(evaluations.current, "bob", None, minutes(3))
    # Then it is a conflict
    assert caught.value.status == 409
    assert caught.value.message == "alert is already resolved since 2026-11-22T09:02:00+00:00"


def test_resolving_a_pending_alert_by_hand_publishes_nothing() -> None:
    # Given a pending alert
    evaluations = pending_alert()
    # When someone resolves it
    change = resolve_by_hand(evaluations.current, "ana", "expected load", minutes(1))
    # Then it is resolved by them, with no transition: nobody was told it fired
    assert change.transition is None
    assert (change.alert.status, change.alert.resolved_by, change.alert.resolution_notes) == (
        RESOLVED,
        "ana",
        "expected load",
    )
    assert (change.alert.history[-1].by, change.alert.history[-1].note) == ("ana", "expected load")


def test_acknowledging_records_who_and_why() -> None:
    # Given a firing alert
    evaluations = firing()
    # When acknowledged
    change = acknowledge(evaluations.current, "ana", "looking", minutes(1))
    # Then who, when and why are kept, and published
    alert = change.alert
    assert (alert.status, alert.acknowledged_by, alert.acknowledged_at, alert.ack_notes) == (
        ACKNOWLEDGED,
        "ana",
        minutes(1),
        "looking",
    )
    assert change.transition is not None
    assert (change.transition.kind, change.transition.previous_status, change.expected_version) == (
        TransitionKind.ACKNOWLEDGED,
        FIRING,
        1,
    )


DISK_FULL = CustomAlertInput(name="Disk full!", severity=WARNING, labels={"host": "db1"}, value=91)


def test_a_custom_alert_fires_then_repeats_without_firing_again() -> None:
    # Given an app reports an alert
    first = report_custom(None, TENANT, DISK_FULL, T0)
    assert first.transition is not None
    assert first.transition.kind is TransitionKind.FIRING
    alert = first.alert
    assert (alert.rule_id, alert.source, alert.status, alert.occurrences) == (
        "custom-disk-full",
        AlertSource.CUSTOM,
        FIRING,
        1,
    )
    assert (
        alert.fingerprint
        == custom_fingerprint(TENANT, DISK_FULL)
        == fingerprint(TENANT, "custom-disk-full", {"host": "db1"})
    )
    assert alert.labels == {"host": "db1", "alertname": "Disk full!", "severity": "warning"}
    assert alert.group_labels == {"host": "db1"}
    # When it reports it twice more, the last time as critical
    second = report_custom(alert, TENANT, DISK_FULL, minutes(1))
    worse = DISK_FULL.model_copy(update={"severity": CRITICAL, "value": 99})
    third = report_custom(second.alert, TENANT, worse, minutes(2))
    # Then the occurrences rise with REPEATED transitions, never a new FIRING
    assert [c.transition.kind for c in (second, third) if c.transition] == [TransitionKind.REPEATED] * 2
    alert = third.alert
    assert (alert.occurrences, alert.status, alert.fired_at, alert.last_seen) == (3, FIRING, T0, minutes(2))
    assert (alert.severity, alert.value, alert.labels["severity"], alert.version) == (CRITICAL, 99, "critical", 3)


def test_an_acknowledged_custom_alert_stays_acknowledged_when_reported_again() -> None:
    # Given an acknowledged custom alert
    alert = acknowledge(report_custom(None, TENANT, DISK_FULL, T0).alert, "ana", None, minutes(1)).alert
    # When reported again
    change = report_custom(alert, TENANT, DISK_FULL, minutes(2))
    # Then it repeats, still acknowledged
    assert change.transition is not None
    assert (change.transition.kind, change.alert.status, change.alert.occurrences) == (
        TransitionKind.REPEATED,
        ACKNOWLEDGED,
        2,
    )


def test_a_resolved_custom_alert_reported_again_flaps_inside_the_cooldown_and_fires_after() -> None:
    # Given a custom alert resolved by hand
    fired = report_custom(None, TENANT, DISK_FULL, T0).alert
    resolved = resolve_by_hand(fired, "ana", None, minutes(1)).alert
    # When reported again inside the default 5 minute cooldown
    flap = report_custom(resolved, TENANT, DISK_FULL, minutes(3))
    # Then it is a flap
    assert flap.transition is not None
    assert (flap.transition.kind, flap.alert.status, flap.alert.flap_count, flap.alert.occurrences) == (
        TransitionKind.REPEATED,
        FIRING,
        1,
        2,
    )
    assert flap.alert.resolved_by is None
    # When resolved and reported again after the cooldown
    resolved = resolve_by_hand(flap.alert, "ana", None, minutes(4)).alert
    again = report_custom(resolved, TENANT, DISK_FULL, minutes(10))
    # Then it fires a new occurrence
    assert again.transition is not None
    assert (again.transition.kind, again.alert.occurrences, again.alert.fired_at) == (
        TransitionKind.FIRING,
        3,
        minutes(10),
    )
