"""Notification groups as Alertmanager runs them: alerts sharing the policy's group_by labels are told in
one notification, first after group_wait, then on changes every group_interval, and again every
repeat_interval while they fire.

An alert that resolves and fires again inside its cooldown (a flap) is held: it stays "notified as firing"
and nobody hears of either change.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from vigil_core.alerting.suppression import Suppressor
from vigil_core.models.alerts import (
    Alert,
    AlertingPolicy,
    AlertStatus,
    GroupNotification,
    GroupState,
    group_key,
)


@dataclass(frozen=True, slots=True)
class FlushResult:
    group: GroupState | None  # None: the group is over, delete it
    notification: GroupNotification | None
    changed: bool  # whether `group` needs storing (its version is then one more than the one flushed)


def group_labels_for(labels: Mapping[str, str], policy: AlertingPolicy) -> dict[str, str]:
    return {key: labels.get(key, "") for key in policy.group_by}


def open_group(tenant_id: str, group_labels: dict[str, str], policy: AlertingPolicy, now: datetime) -> GroupState:
    return GroupState(
        tenant_id=tenant_id,
        group_key=group_key(tenant_id, group_labels),
        group_labels=group_labels,
        created_at=now,
        next_flush_at=now + timedelta(seconds=policy.group_wait),
    )


@dataclass(slots=True)
class _Members:
    """The group's alerts sorted by what a flush does with them."""

    firing: list[Alert] = field(default_factory=list)
    held: list[Alert] = field(default_factory=list)  # told as firing, may fire again: say nothing yet
    acknowledged: list[Alert] = field(default_factory=list)  # told as firing, acknowledged since
    resolved: list[Alert] = field(default_factory=list)  # told as firing, resolved for good
    any_open: bool = False

    @property
    def still_notified(self) -> tuple[str, ...]:
        return tuple(sorted(alert.fingerprint for alert in (*self.firing, *self.held, *self.acknowledged)))


def flush(
    group: GroupState, members: Sequence[Alert], policy: AlertingPolicy, suppressor: Suppressor, now: datetime
) -> FlushResult:
    """The group after its flush is due: the notification to send, if any, and when to look again."""
    if now < group.next_flush_at:
        return FlushResult(group, None, False)
    sorted_members = _sort(group, members, suppressor, now)
    reason = _reason(group, sorted_members, policy, now)
    notification = None if reason is None else _notification(group, sorted_members, reason, now)
    if not sorted_members.any_open and not sorted_members.held:
        return FlushResult(None, notification, True)
    # A due flush always stores: at least its next flush time moves on.
    updated = group.model_copy(
        update={
            "next_flush_at": now + timedelta(seconds=policy.group_interval),
            "notified_firing": sorted_members.still_notified,
            "version": group.version + 1,
        }
    )
    if notification is not None:
        updated = updated.model_copy(update={"sequence": group.sequence + 1, "last_notified_at": now})
    return FlushResult(updated, notification, True)


def _sort(group: GroupState, members: Sequence[Alert], suppressor: Suppressor, now: datetime) -> _Members:
    notified = set(group.notified_firing)
    result = _Members()
    for alert in sorted(members, key=lambda member: member.fingerprint):
        result.any_open = result.any_open or alert.status.is_open
        was_told = alert.fingerprint in notified
        if alert.status is not AlertStatus.FIRING and not was_told:
            continue  # pending, acknowledged or resolved before anyone was told: nothing to say
        if suppressor.reason(alert) is not None:
            continue  # not told now, and forgotten, so that it is news again once unsuppressed
        if alert.status is AlertStatus.FIRING:
            result.firing.append(alert)
        elif alert.status is AlertStatus.ACKNOWLEDGED:
            result.acknowledged.append(alert)
        elif alert.status is AlertStatus.PENDING or _in_cooldown(alert, now):
            # Pending again after it was told firing: its resolution is not news unless it lasts.
            result.held.append(alert)
        else:
            result.resolved.append(alert)
    return result


def _in_cooldown(alert: Alert, now: datetime) -> bool:
    return alert.resolved_at is not None and now < alert.resolved_at + timedelta(seconds=alert.cooldown)


def _reason(
    group: GroupState, members: _Members, policy: AlertingPolicy, now: datetime
) -> Literal["new", "changed", "repeat"] | None:
    notified = set(group.notified_firing)
    if any(alert.fingerprint not in notified for alert in members.firing):
        return "new" if group.sequence == 0 else "changed"
    if members.resolved:
        return "changed"
    repeat_due = group.last_notified_at is None or now - group.last_notified_at >= timedelta(
        seconds=policy.repeat_interval
    )
    return "repeat" if members.firing and repeat_due else None


def _notification(
    group: GroupState, members: _Members, reason: Literal["new", "changed", "repeat"], now: datetime
) -> GroupNotification:
    listed = members.firing or members.resolved
    return GroupNotification(
        notification_id=f"{group.group_key}:{group.sequence + 1}",
        tenant_id=group.tenant_id,
        group_key=group.group_key,
        group_labels=group.group_labels,
        status="firing" if members.firing else "resolved",
        severity=max((alert.severity for alert in listed), key=lambda severity: severity.rank),
        reason=reason,
        firing=tuple(alert.to_public() for alert in _by_severity(members.firing)),
        resolved=tuple(alert.to_public() for alert in _by_severity(members.resolved)),
        at=now,
    )


def _by_severity(alerts: list[Alert]) -> list[Alert]:
    return sorted(alerts, key=lambda alert: (-alert.severity.rank, alert.fingerprint))
