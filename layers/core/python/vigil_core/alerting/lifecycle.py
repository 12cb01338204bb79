"""The alert state machine: pending -> firing -> acknowledged -> resolved, and back to firing.

Every function is pure: it returns the next version of the alert to store (conditional on the version it
read) with the transition to publish, or None when nothing worth a write happened.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from vigil_core.errors import conflict
from vigil_core.models.alerts import (
    MAX_HISTORY,
    Alert,
    AlertChange,
    AlertSource,
    AlertStatus,
    AlertTransition,
    CustomAlertInput,
    HistoryEntry,
    Observation,
    ProbeRule,
    Severity,
    Threshold,
    ThresholdRule,
    TransitionKind,
    fingerprint,
    slug,
)

_NOT_ACKNOWLEDGED: dict[str, Any] = {"acknowledged_by": None, "acknowledged_at": None, "ack_notes": None}
# Evaluations run every minute; a hand-resolved alert not seen breaching for longer has cleared meanwhile.
HELD_BREACH_GAP = timedelta(seconds=150)
_NOT_RESOLVED: dict[str, Any] = {"resolved_by": None, "resolved_at": None, "resolution_notes": None}


def advance(
    alert: Alert | None,
    observation: Observation,
    rule: ThresholdRule | ProbeRule,
    tenant_id: str,
    source: AlertSource,
    now: datetime,
) -> AlertChange | None:
    """The alert after one evaluation of its rule (`alert` is None when it was never stored)."""
    if alert is not None and now < alert.changed_at:
        return None  # an old evaluation never overrides a newer one
    step = _Step(alert, observation, rule, tenant_id, source, now, _breaching_since(alert, observation, now))
    if alert is None or alert.status is AlertStatus.RESOLVED:
        return _from_resolved(step, alert)
    if alert.status is AlertStatus.PENDING:
        return _from_pending(step, alert)
    return _from_firing(step, alert)


def acknowledge(alert: Alert, by: str, notes: str | None, now: datetime) -> AlertChange:
    if alert.status is not AlertStatus.FIRING:
        raise conflict(_why_not_acknowledgeable(alert))
    updated = alert.model_copy(
        update={"status": AlertStatus.ACKNOWLEDGED, "acknowledged_by": by, "acknowledged_at": now, "ack_notes": notes}
    )
    return _next_version(alert, updated, TransitionKind.ACKNOWLEDGED, now, by=by, note=notes)


def resolve_by_hand(alert: Alert, by: str, notes: str | None, now: datetime) -> AlertChange:
    """Resolved by someone. Its breach is still tracked so that the same breach does not fire it again."""
    if alert.status is AlertStatus.RESOLVED:
        raise conflict(f"alert is already resolved{_since(alert.resolved_at)}")
    had_fired = alert.status in (AlertStatus.FIRING, AlertStatus.ACKNOWLEDGED)
    updated = alert.model_copy(
        update={"status": AlertStatus.RESOLVED, "resolved_by": by, "resolved_at": now, "resolution_notes": notes}
    )
    return _next_version(alert, updated, TransitionKind.RESOLVED if had_fired else None, now, by=by, note=notes)


def custom_rule_id(name: str) -> str:
    return "custom-" + slug(name)


def custom_fingerprint(tenant_id: str, body: CustomAlertInput) -> str:
    """Where a reported alert is stored: read it there before calling report_custom."""
    return fingerprint(tenant_id, custom_rule_id(body.name), body.labels)


def report_custom(alert: Alert | None, tenant_id: str, body: CustomAlertInput, now: datetime) -> AlertChange:
    """An alert raised by an app: it fires, or repeats while open. It never resolves by itself."""
    fields: dict[str, Any] = {
        "tenant_id": tenant_id,
        "fingerprint": custom_fingerprint(tenant_id, body),
        "rule_id": custom_rule_id(body.name),
        "rule_name": body.name,
        "source": AlertSource.CUSTOM,
        "severity": body.severity,
        "labels": {**body.labels, "alertname": body.name, "severity": body.severity.value},
        "group_labels": dict(body.labels),
        "annotations": body.annotations,
        "value": body.value,
        "last_seen": now,
    }
    if alert is not None and alert.status.is_open:
        kind = TransitionKind.REPEATED
        fields["occurrences"] = alert.occurrences + 1
    else:
        kind, firing = _start_firing(alert, now)
        fields.update(status=AlertStatus.FIRING, **firing)
    return _next_version(alert, _updated(alert, fields, now), kind, now)


@dataclass(frozen=True, slots=True)
class _Step:
    """One evaluation of one alert: what it saw and the breach times that follow from it."""

    alert: Alert | None
    observation: Observation
    rule: ThresholdRule | ProbeRule
    tenant_id: str
    source: AlertSource
    now: datetime
    breaching_since: dict[Severity, datetime]

    @property
    def breached(self) -> bool:
        return bool(self.observation.breached)

    @property
    def changed_breach(self) -> bool:
        return self.alert is None or self.alert.breaching_since != self.breaching_since

    def highest_active(self) -> Threshold | None:
        """The highest severity whose threshold has held for its `for`."""
        active = [
            threshold
            for threshold in self.observation.breached
            if self.now - self.breaching_since[threshold.severity] >= timedelta(seconds=threshold.for_seconds)
        ]
        return max(active, key=lambda threshold: threshold.severity.rank, default=None)

    def highest_breached(self) -> Threshold:
        return max(self.observation.breached, key=lambda threshold: threshold.severity.rank)

    def breach_began(self) -> datetime:
        return min(self.breaching_since.values())

    def write(self, status: AlertStatus, severity: Severity, kind: TransitionKind | None, **fields: Any) -> AlertChange:
        observation, rule = self.observation, self.rule
        refreshed: dict[str, Any] = {
            "tenant_id": self.tenant_id,
            "fingerprint": fingerprint(self.tenant_id, observation.rule_id, observation.group_labels),
            "rule_id": observation.rule_id,
            "rule_name": rule.name,
            "source": self.source,
            "status": status,
            "severity": severity,
            "labels": {
                **rule.labels,
                **observation.group_labels,
                "alertname": observation.rule_id,
                "severity": severity.value,
            },
            "group_labels": dict(observation.group_labels),
            "annotations": rule.annotations,
            "value": observation.value,
            "threshold": next((t.value for t in rule.thresholds if t.severity is severity), None),
            "cooldown": rule.cooldown,
            "last_evaluated_at": self.now,
            "breaching_since": self.breaching_since,
            **fields,
        }
        if self.breached:
            refreshed["last_seen"] = self.now
        return _next_version(self.alert, _updated(self.alert, refreshed, self.now), kind, self.now)


def _breaching_since(alert: Alert | None, observation: Observation, now: datetime) -> dict[Severity, datetime]:
    """Per breached severity, since when it holds: kept from the last evaluation, else starting now (or when
    the source says it began). Severities no longer breached drop out."""
    known = alert.breaching_since if alert is not None else {}
    return {
        threshold.severity: known.get(threshold.severity) or observation.breach_since or now
        for threshold in observation.breached
    }


def _from_resolved(step: _Step, alert: Alert | None) -> AlertChange | None:
    if not step.breached:
        if alert is None or not alert.breaching_since:
            return None
        return step.write(alert.status, alert.severity, None)  # only forgets the breach that ended
    if alert is not None and _dismissed_breach(alert, step.breach_began()):
        if step.observation.breach_since is not None:
            # The source knows when the breach began (a monitor's state): the same breach, resolved by hand.
            return step.write(alert.status, alert.severity, None) if step.changed_breach else None
        if alert.last_evaluated_at is not None and step.now - alert.last_evaluated_at <= HELD_BREACH_GAP:
            # Seen breaching without a gap since it was resolved by hand: it stays resolved until the
            # condition clears. Each evaluation is recorded, so a gap (the condition cleared unseen) shows.
            return step.write(alert.status, alert.severity, None)
        fresh = {t.severity: step.now for t in step.observation.breached}
        step = replace(step, breaching_since=fresh)  # a new breach after an unseen clear
    return _fire_or_wait(step, alert)


def _from_pending(step: _Step, alert: Alert) -> AlertChange | None:
    if not step.breached:
        # It never fired, so nobody is told it resolved.
        return step.write(AlertStatus.RESOLVED, alert.severity, None, **_resolved_by_itself(step.now))
    return _fire_or_wait(step, alert)


def _from_firing(step: _Step, alert: Alert) -> AlertChange | None:
    if not step.breached:
        return step.write(
            AlertStatus.RESOLVED, alert.severity, TransitionKind.RESOLVED, **_resolved_by_itself(step.now)
        )
    active = step.highest_active()
    # Hysteresis: a severity stays until another one has held for its own `for`.
    severity = active.severity if active is not None else alert.severity
    if severity is not alert.severity:
        return step.write(alert.status, severity, TransitionKind.SEVERITY_CHANGED)
    # Value and last_seen alone are not worth a write on every evaluation.
    return step.write(alert.status, severity, None) if step.changed_breach else None


def _fire_or_wait(step: _Step, alert: Alert | None) -> AlertChange | None:
    """A breach on an alert that is not firing: it fires once a threshold has held for its `for`."""
    active = step.highest_active()
    if active is None:
        if alert is not None and alert.status is AlertStatus.PENDING and not step.changed_breach:
            return None
        return step.write(
            AlertStatus.PENDING, step.highest_breached().severity, None, pending_since=step.breach_began()
        )
    kind, firing = _start_firing(alert, step.now)
    return step.write(AlertStatus.FIRING, active.severity, kind, pending_since=step.breach_began(), **firing)


def _dismissed_breach(alert: Alert, breach_began: datetime) -> bool:
    return (
        alert.status is AlertStatus.RESOLVED
        and alert.resolved_by is not None
        and alert.resolved_at is not None
        and breach_began <= alert.resolved_at
    )


def _start_firing(alert: Alert | None, now: datetime) -> tuple[TransitionKind, dict[str, Any]]:
    """Firing again inside the cooldown of its resolution is a flap: the same occurrence repeats.
    Anything else is a new occurrence."""
    fields: dict[str, Any] = {
        **_NOT_ACKNOWLEDGED,
        **_NOT_RESOLVED,
        "occurrences": (alert.occurrences if alert is not None else 0) + 1,
        "firings": (alert.firings if alert is not None else 0) + 1,
    }
    if alert is not None and _in_cooldown(alert, now):
        return TransitionKind.REPEATED, {**fields, "flap_count": alert.flap_count + 1}
    return TransitionKind.FIRING, {**fields, "fired_at": now}


def _resolved_by_itself(now: datetime) -> dict[str, Any]:
    return {**_NOT_RESOLVED, "resolved_at": now}


def _in_cooldown(alert: Alert, now: datetime) -> bool:
    return (
        alert.status is AlertStatus.RESOLVED
        and alert.has_fired
        and alert.resolved_at is not None
        and now < alert.resolved_at + timedelta(seconds=alert.cooldown)
    )


def _updated(alert: Alert | None, fields: dict[str, Any], now: datetime) -> Alert:
    if alert is None:
        return Alert(**{"first_seen": now, "last_seen": now, "changed_at": now, **fields})
    return alert.model_copy(update=fields)


def _next_version(
    previous: Alert | None,
    updated: Alert,
    kind: TransitionKind | None,
    now: datetime,
    by: str | None = None,
    note: str | None = None,
) -> AlertChange:
    """The one place a new version is made: version, change time, history and the transition."""
    old_version = previous.version if previous is not None else 0
    bookkeeping: dict[str, Any] = {"version": old_version + 1}
    if previous is None or (updated.status, updated.severity) != (previous.status, previous.severity):
        entry = HistoryEntry(at=now, status=updated.status, severity=updated.severity, by=by, note=note)
        bookkeeping.update(changed_at=now, history=(*updated.history, entry)[-MAX_HISTORY:])
    alert = updated.model_copy(update=bookkeeping)
    transition = None
    if kind is not None:
        transition = AlertTransition(
            transition_id=f"{alert.fingerprint}:{alert.version}",
            kind=kind,
            tenant_id=alert.tenant_id,
            fingerprint=alert.fingerprint,
            status=alert.status,
            previous_status=previous.status if previous is not None else None,
            severity=alert.severity,
            at=now,
            occurrence=alert.occurrences,
            alert=alert.to_public(),
        )
    return AlertChange(alert=alert, expected_version=old_version, transition=transition)


def _why_not_acknowledgeable(alert: Alert) -> str:
    if alert.status is AlertStatus.PENDING:
        return "alert is pending: it has not fired yet"
    if alert.status is AlertStatus.ACKNOWLEDGED:
        return f"alert is already acknowledged by {alert.acknowledged_by}{_at(alert.acknowledged_at)}"
    return f"alert is resolved{_since(alert.resolved_at)}"


def _at(moment: datetime | None) -> str:
    return f" at {moment.isoformat()}" if moment is not None else ""


def _since(moment: datetime | None) -> str:
    return f" since {moment.isoformat()}" if moment is not None else ""
