"""Escalation: when an alert starts firing, plan who is paged when and start the state machine that pages them;
when it is acknowledged or resolved, end the escalation and stop the state machine.

The state machine itself only waits, reads the alert, publishes and records: everything that needs the
tenant's policies (levels, business hours, which channels a target means) is decided here, up front, and
recorded beside the alert, so `GET /v1/alerts/{id}/escalation` can show the schedule before it happens.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, Protocol

from vigil_core.errors import not_found
from vigil_core.models.alerts import AlertStatus, AlertTransition
from vigil_core.models.escalation import (
    Escalation,
    EscalationPage,
    EscalationPolicy,
    PageOrder,
    ScheduledPage,
    execution_name,
)
from vigil_core.models.notifications import NotificationPolicy
from vigil_core.ports import AlertStore, EscalationExecutions, EscalationStore

Outcome = Literal["started", "already_started", "stopped", "ignored"]


class EscalationPolicies(Protocol):
    def get_escalation_policy(self, tenant_id: str) -> EscalationPolicy | None: ...

    def get_notification_policy(self, tenant_id: str) -> NotificationPolicy | None: ...


@dataclass(frozen=True, slots=True)
class EscalationResult:
    outcome: Outcome
    reason: str = ""


@dataclass(frozen=True)
class Escalator:
    alerts: AlertStore
    escalations: EscalationStore
    policies: EscalationPolicies
    executions: EscalationExecutions
    clock: Callable[[], datetime]
    # Local and test runs only: the schedule is replayed this many times faster, from the moment it starts.
    time_factor: float = 1.0
    # escalation-policies.yaml as deployed: a tenant's policy there wins over the one stored through the API.
    code_policies: Mapping[str, EscalationPolicy] = field(default_factory=dict)

    def handle(self, transition: AlertTransition) -> EscalationResult:
        if transition.status is AlertStatus.FIRING and transition.previous_status not in (
            AlertStatus.FIRING,
            AlertStatus.ACKNOWLEDGED,
        ):
            return self.start(transition)
        if transition.status in (AlertStatus.ACKNOWLEDGED, AlertStatus.RESOLVED):
            return self.stop(transition)
        return EscalationResult("ignored", f"{transition.kind.value} does not start or end an escalation")

    def start(self, transition: AlertTransition) -> EscalationResult:
        tenant_id, fingerprint = transition.tenant_id, transition.fingerprint
        firing = firing_of(transition)
        alert = self.alerts.get(tenant_id, fingerprint)
        if alert is None or alert.status is not AlertStatus.FIRING or alert.firings != firing:
            return EscalationResult("ignored", "the alert was acknowledged, resolved or fired again since")
        policy = self._policy(tenant_id)
        channels = self.policies.get_notification_policy(tenant_id) or NotificationPolicy()
        steps = policy.plan(transition.severity, transition.at)
        if not steps:
            return EscalationResult("ignored", f"{transition.severity.value} alerts escalate to nobody")
        schedule = tuple(
            ScheduledPage(
                step=index,
                level=step.level + 1,
                round=step.round,
                due_at=step.due_at,
                targets=step.targets,
                channels=tuple(channel.id for channel in channels.channels_for(step.targets)),
            )
            for index, step in enumerate(steps)
        )
        escalation = Escalation(
            tenant_id=tenant_id,
            fingerprint=fingerprint,
            firing=firing,
            severity=transition.severity,
            execution_name=execution_name(fingerprint, firing),
            started_at=transition.at,
            schedule=schedule,
        )
        if self.escalations.begin(escalation) == "superseded":
            return EscalationResult("ignored", "a later firing is already escalating")
        orders = [self._order(escalation, page, transition, channels) for page in schedule]
        return EscalationResult(self.executions.start(escalation, orders))

    def stop(self, transition: AlertTransition) -> EscalationResult:
        record = self.escalations.get(transition.tenant_id, transition.fingerprint)
        if record is None or record.firing != firing_of(transition) or record.state != "running":
            return EscalationResult("ignored", "no escalation of this firing is running")
        state: Literal["acknowledged", "resolved"] = (
            "acknowledged" if transition.status is AlertStatus.ACKNOWLEDGED else "resolved"
        )
        by_field = "acknowledged_by" if state == "acknowledged" else "resolved_by"
        by = transition.alert.get(by_field)
        self.escalations.end(transition.tenant_id, transition.fingerprint, record.firing, state, transition.at, by)
        self.executions.stop(record.execution_name, f"alert {state}")
        return EscalationResult("stopped", state)

    def _policy(self, tenant_id: str) -> EscalationPolicy:
        """The deployed file's policy, else the API's, else the defaults (as GET /v1/escalation-policy shows)."""
        code = self.code_policies.get(tenant_id)
        if code is not None:
            return code
        return self.policies.get_escalation_policy(tenant_id) or EscalationPolicy()

    def _order(
        self, escalation: Escalation, page: ScheduledPage, transition: AlertTransition, channels: NotificationPolicy
    ) -> PageOrder:
        return PageOrder(
            step=page.step,
            wait_until=self._wait_until(page.due_at, escalation.started_at),
            channel_types=tuple(sorted({channel.type.value for channel in channels.channels_for(page.targets)})),
            page=EscalationPage(
                page_id=f"{escalation.execution_name}:{page.step}",
                tenant_id=escalation.tenant_id,
                fingerprint=escalation.fingerprint,
                firing=escalation.firing,
                severity=escalation.severity,
                level=page.level,
                round=page.round,
                channels=page.channels,
                alert=transition.alert,
                at=page.due_at,
            ),
        )

    def _wait_until(self, due_at: datetime, started_at: datetime) -> datetime:
        if self.time_factor == 1:
            return due_at  # production: the planned time itself
        return self.clock() + (due_at - started_at) / self.time_factor


def firing_of(transition: AlertTransition) -> int:
    """Which firing of the alert a transition belongs to (an app reporting an open alert again is the same one)."""
    return int(transition.alert.get("firings", 0))


def escalation_of(escalations: EscalationStore, tenant_id: str, alert_id: str) -> Escalation:
    """The alert's latest escalation, for the API (the alert itself is looked up first)."""
    escalation = escalations.get(tenant_id, alert_id)
    if escalation is None:
        raise not_found(
            f"alert {alert_id!r} has not escalated: it has not started firing since escalation was set up, "
            "or its severity escalates to nobody"
        )
    return escalation
