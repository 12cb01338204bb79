"""In-memory alert store, rule repository, publisher and evaluation queue: the fakes behind alerting unit tests.

Same contracts as the DynamoDB, SNS and SQS adapters: the version rule (the store sets expected_version + 1),
conflicts, the order of every listing, and page cursors, which are the DynamoDB adapter's own
(a cursor from one works with the other). Nothing expires here: retention is DynamoDB's TTL, tested with the
DynamoDB adapter. Every method holds one lock, as evaluations and flushes run from thread pools.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import datetime
from typing import Literal

from vigil_core.adapters.dynamodb_alerts import (
    OPEN_STATUSES,
    changed_sort_key,
    decode_cursor,
    encode_cursor,
    next_version,
    page_position,
    sortable_time,
)
from vigil_core.adapters.sns_alerts import PublishError
from vigil_core.adapters.sqs_evaluation import flush_delay
from vigil_core.errors import conflict, not_found
from vigil_core.models.alerts import (
    Alert,
    AlertChange,
    AlertingPolicy,
    AlertRule,
    AlertStatus,
    AlertTransition,
    FlushDue,
    GroupNotification,
    GroupState,
    MetricsWritten,
    RulesDue,
    Severity,
    Silence,
)
from vigil_core.models.escalation import EscalationPolicy
from vigil_core.models.notifications import Delivery, DeliveryState, NotificationPolicy, NotificationSummary
from vigil_core.ports import AlertPage


def _outbox_order(transition: AlertTransition) -> str:
    return f"{sortable_time(transition.at)}#{transition.transition_id}"


def _due_order(group: GroupState) -> str:
    return f"{sortable_time(group.next_flush_at)}#{group.tenant_id}#{group.group_key}"


class MemoryAlertStore:
    def __init__(self) -> None:
        self.alerts: dict[tuple[str, str], Alert] = {}  # (tenant, fingerprint)
        self.outbox: dict[tuple[str, str], AlertTransition] = {}  # (tenant, transition id)
        self.groups: dict[tuple[str, str], GroupState] = {}  # (tenant, group key)
        self.stored_silences: dict[tuple[str, str], Silence] = {}  # (tenant, silence id)
        self._lock = threading.Lock()

    # -- alerts and the outbox ------------------------------------------------------------------------

    def save(self, change: AlertChange) -> bool:
        alert = next_version(change.alert, change.expected_version)
        key = (alert.tenant_id, alert.fingerprint)
        with self._lock:
            stored = self.alerts.get(key)
            if (0 if stored is None else stored.version) != change.expected_version:
                return False
            self.alerts[key] = alert
            if change.transition is not None:
                self.outbox[(change.transition.tenant_id, change.transition.transition_id)] = change.transition
            return True

    def mark_published(self, tenant_id: str, fingerprint: str, transition_ids: Sequence[str]) -> None:
        with self._lock:
            for transition_id in transition_ids:
                self.outbox.pop((tenant_id, transition_id), None)

    def unpublished(self, limit: int = 100) -> list[AlertTransition]:
        with self._lock:
            return sorted(self.outbox.values(), key=_outbox_order)[:limit]

    def get(self, tenant_id: str, fingerprint: str) -> Alert | None:
        with self._lock:
            return self.alerts.get((tenant_id, fingerprint))

    def get_many(self, tenant_id: str, fingerprints: Sequence[str]) -> dict[str, Alert]:
        with self._lock:
            found = (self.alerts.get((tenant_id, fingerprint)) for fingerprint in fingerprints)
            return {alert.fingerprint: alert for alert in found if alert is not None}

    def open_alerts(self, tenant_id: str) -> list[Alert]:
        """By status (pending, firing, acknowledged), then oldest change first, as the DynamoDB index reads."""
        with self._lock:
            alerts = [alert for (tenant, _), alert in self.alerts.items() if tenant == tenant_id]
        return [
            alert
            for status in OPEN_STATUSES
            for alert in sorted((a for a in alerts if a.status is status), key=changed_sort_key)
        ]

    def page(
        self, tenant_id: str, status: AlertStatus | None, severity: Severity | None, limit: int, cursor: str | None
    ) -> AlertPage:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        after = None if cursor is None else decode_cursor(cursor, tenant_id, status)["changed"]["S"]
        with self._lock:
            matching = [
                alert
                for (tenant, _), alert in self.alerts.items()
                if tenant == tenant_id
                and (status is None or alert.status is status)
                and (severity is None or alert.severity is severity)
                and (after is None or changed_sort_key(alert) < after)
            ]
        matching.sort(key=changed_sort_key, reverse=True)
        alerts = matching[:limit]
        more = len(matching) > limit
        return AlertPage(alerts, encode_cursor(page_position(alerts[-1], status is not None)) if more else None)

    # -- notification groups --------------------------------------------------------------------------

    def group_members(self, tenant_id: str, group_key: str) -> list[Alert]:
        """Ordered by fingerprint, as the by-group index reads."""
        with self._lock:
            return sorted(
                (a for (tenant, _), a in self.alerts.items() if tenant == tenant_id and a.group_key == group_key),
                key=lambda alert: alert.fingerprint,
            )

    def get_group(self, tenant_id: str, group_key: str) -> GroupState | None:
        with self._lock:
            return self.groups.get((tenant_id, group_key))

    def save_group(self, group: GroupState, expected_version: int) -> bool:
        key = (group.tenant_id, group.group_key)
        with self._lock:
            stored = self.groups.get(key)
            if (0 if stored is None else stored.version) != expected_version:
                return False
            self.groups[key] = next_version(group, expected_version)
            return True

    def delete_group(self, group: GroupState) -> bool:
        key = (group.tenant_id, group.group_key)
        with self._lock:
            stored = self.groups.get(key)
            if stored is None or stored.version != group.version:
                return False
            del self.groups[key]
            return True

    def due_groups(self, now: datetime, limit: int = 500) -> list[GroupState]:
        upper = f"{sortable_time(now)}#~"
        with self._lock:
            due = [group for group in self.groups.values() if _due_order(group) <= upper]
        return sorted(due, key=_due_order)[:limit]

    # -- silences -------------------------------------------------------------------------------------

    def put_silence(self, silence: Silence) -> None:
        with self._lock:
            self.stored_silences[(silence.tenant_id, silence.id)] = silence

    def silences(self, tenant_id: str) -> list[Silence]:
        with self._lock:
            found = [silence for (tenant, _), silence in self.stored_silences.items() if tenant == tenant_id]
        return sorted(found, key=lambda silence: (silence.created_at, silence.id), reverse=True)

    def delete_silence(self, tenant_id: str, silence_id: str) -> bool:
        with self._lock:
            return self.stored_silences.pop((tenant_id, silence_id), None) is not None


class MemoryAlertRuleRepository:
    def __init__(self) -> None:
        self.rules: dict[tuple[str, str], AlertRule] = {}  # (tenant, rule id)
        self.policies: dict[str, AlertingPolicy] = {}
        self.notification_policies: dict[str, NotificationPolicy] = {}
        self.escalation_policies: dict[str, EscalationPolicy] = {}
        self._lock = threading.Lock()

    def create(self, rule: AlertRule) -> None:
        with self._lock:
            if (rule.tenant_id, rule.id) in self.rules:
                raise conflict(f"alert rule {rule.id!r} already exists")
            self.rules[(rule.tenant_id, rule.id)] = rule

    def replace(self, rule: AlertRule) -> None:
        with self._lock:
            if (rule.tenant_id, rule.id) not in self.rules:
                raise not_found(f"alert rule {rule.id!r} not found")
            self.rules[(rule.tenant_id, rule.id)] = rule

    def delete(self, rule: AlertRule) -> None:
        with self._lock:
            self.rules.pop((rule.tenant_id, rule.id), None)

    def get(self, tenant_id: str, rule_id: str) -> AlertRule | None:
        with self._lock:
            return self.rules.get((tenant_id, rule_id))

    def list_for_tenant(self, tenant_id: str) -> list[AlertRule]:
        with self._lock:
            return sorted((r for (tenant, _), r in self.rules.items() if tenant == tenant_id), key=lambda r: r.id)

    def all_rules(self) -> list[AlertRule]:
        # The by-kind index's order: its sort key is <tenant>#<rule id>.
        with self._lock:
            return sorted(self.rules.values(), key=lambda rule: f"{rule.tenant_id}#{rule.id}")

    def get_policy(self, tenant_id: str) -> AlertingPolicy | None:
        with self._lock:
            return self.policies.get(tenant_id)

    def put_policy(self, tenant_id: str, policy: AlertingPolicy) -> None:
        with self._lock:
            self.policies[tenant_id] = policy

    def tenants_with_policy(self) -> list[str]:
        with self._lock:
            return sorted(self.policies)

    def get_notification_policy(self, tenant_id: str) -> NotificationPolicy | None:
        with self._lock:
            return self.notification_policies.get(tenant_id)

    def put_notification_policy(self, tenant_id: str, policy: NotificationPolicy) -> None:
        with self._lock:
            self.notification_policies[tenant_id] = policy

    def get_escalation_policy(self, tenant_id: str) -> EscalationPolicy | None:
        with self._lock:
            return self.escalation_policies.get(tenant_id)

    def put_escalation_policy(self, tenant_id: str, policy: EscalationPolicy) -> None:
        with self._lock:
            self.escalation_policies[tenant_id] = policy


class RecordingAlertPublisher:
    """Keeps what it is given; told to fail, it raises PublishError (and keeps nothing) for that many calls."""

    def __init__(self, fail_times: int = 0) -> None:
        self.transitions: list[AlertTransition] = []
        self.notifications: list[GroupNotification] = []
        self.channel_types: dict[str, tuple[str, ...]] = {}  # per notification id, as published
        self.fail_times = fail_times
        self._lock = threading.Lock()

    def publish_transitions(self, transitions: Sequence[AlertTransition]) -> None:
        with self._lock:
            self._maybe_fail(f"{len(transitions)} transitions")
            self.transitions.extend(transitions)

    def publish_notification(self, notification: GroupNotification, channel_types: Sequence[str] = ()) -> None:
        with self._lock:
            self._maybe_fail(f"notification {notification.notification_id}")
            self.notifications.append(notification)
            self.channel_types[notification.notification_id] = tuple(channel_types)

    def _maybe_fail(self, what: str) -> None:
        if self.fail_times > 0:
            self.fail_times -= 1
            raise PublishError(f"{what} not published (injected failure)")


class RecordingEvaluationQueue:
    """Keeps each request as the SQS adapter would send it; a flush with the delay SQS would apply."""

    def __init__(self) -> None:
        self.evaluations: list[MetricsWritten] = []
        self.flushes: list[tuple[FlushDue, int]] = []
        self.due: list[tuple[RulesDue, int]] = []
        self._lock = threading.Lock()

    def request_evaluation(self, tenant_id: str, metrics: Sequence[str], at: datetime) -> None:
        with self._lock:
            self.evaluations.append(MetricsWritten(tenant_id=tenant_id, metrics=tuple(metrics), at=at))

    def schedule_flush(self, tenant_id: str, group_key: str, delay_s: int) -> None:
        with self._lock:
            self.flushes.append((FlushDue(tenant_id=tenant_id, group_key=group_key), flush_delay(delay_s)))

    def schedule_evaluation(self, tenant_id: str, rule_ids: Sequence[str], delay_s: int) -> None:
        with self._lock:
            self.due.append((RulesDue(tenant_id=tenant_id, rule_ids=tuple(rule_ids)), flush_delay(delay_s)))


class MemoryDeliveryLog:
    """The DynamoDB delivery log's rules (claims with leases, counts only for deliveries) in memory."""

    def __init__(self) -> None:
        self.claims: dict[tuple[str, str], tuple[str, float]] = {}  # (tenant, key) -> (state, lease until)
        self.deliveries: dict[tuple[str, str], list[Delivery]] = {}
        self.counts: dict[tuple[str, str], NotificationSummary] = {}
        self.told_status: dict[tuple[str, str, str], str] = {}
        self._lock = threading.Lock()

    def claim(self, tenant_id: str, key: str, now: datetime, lease_s: int) -> Literal["claimed", "done", "busy"]:
        with self._lock:
            state, lease_until = self.claims.get((tenant_id, key), ("failed", 0.0))
            if state == "sending" and lease_until >= now.timestamp():
                return "busy"
            if state in ("delivered", "rejected"):
                return "done"
            self.claims[(tenant_id, key)] = ("sending", now.timestamp() + lease_s)
            return "claimed"

    def settle(self, tenant_id: str, key: str, state: DeliveryState, now: datetime) -> None:
        with self._lock:
            self.claims[(tenant_id, key)] = (state, 0.0)

    def record(self, tenant_id: str, fingerprints: Sequence[str], delivery: Delivery) -> None:
        with self._lock:
            for fingerprint in dict.fromkeys(fingerprints):
                self.deliveries.setdefault((tenant_id, fingerprint), []).append(delivery)
                if delivery.outcome != "delivered":
                    continue
                counts = self.counts.get((tenant_id, fingerprint), NotificationSummary())
                self.counts[(tenant_id, fingerprint)] = counts.model_copy(
                    update={
                        "notifications_sent": counts.notifications_sent + 1,
                        "last_notification_at": delivery.at,
                        "notification_channels": tuple(sorted({*counts.notification_channels, delivery.channel})),
                    }
                )
                self.told_status[(tenant_id, fingerprint, delivery.channel)] = delivery.status

    def told(self, tenant_id: str, fingerprints: Sequence[str], channel_id: str) -> dict[str, str]:
        with self._lock:
            return {
                fingerprint: self.told_status[(tenant_id, fingerprint, channel_id)]
                for fingerprint in fingerprints
                if (tenant_id, fingerprint, channel_id) in self.told_status
            }

    def summary(self, tenant_id: str, fingerprint: str, limit: int = 20) -> NotificationSummary:
        with self._lock:
            counts = self.counts.get((tenant_id, fingerprint), NotificationSummary())
            newest = sorted(self.deliveries.get((tenant_id, fingerprint), []), key=lambda d: d.at, reverse=True)
            return counts.model_copy(update={"deliveries": tuple(newest[:limit])})
