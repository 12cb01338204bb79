"""The platform overview operators glance at: how many tenants are healthy, degraded or unhealthy, the active
alerts, SLA compliance this month, the latest checks and the worst open alerts.

A tenant is
- unhealthy when a critical alert fires (unacknowledged) or more than half of its judged monitors are down;
- degraded when any monitor is down, degraded or failing below its threshold, or any alert of warning or
  higher is firing or acknowledged;
- healthy otherwise (a tenant with nothing to watch yet included).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from vigil_core.models.alerts import Alert, AlertStatus, Severity
from vigil_core.models.monitors import Monitor
from vigil_core.models.probes import MonitorKey, StoredMonitorState
from vigil_core.models.tenants import Tenant
from vigil_core.ports import AlertStore, MonitorRepository, ProbeStore, TenantDirectory
from vigil_core.probes.verdicts import MonitorStatus
from vigil_core.services.sla_reports import SlaReportService

LATEST_CHECKS = 20
TOP_ALERTS = 10
_ACTIVE = (AlertStatus.FIRING, AlertStatus.ACKNOWLEDGED)
_TROUBLED = (MonitorStatus.DOWN, MonitorStatus.DEGRADED, MonitorStatus.PENDING)


class TenantHealth(StrEnum):
    HEALTHY = "healthy"
    DEGRADED = "degraded"
    UNHEALTHY = "unhealthy"


@dataclass(frozen=True, slots=True)
class _TenantView:
    tenant: Tenant
    monitors: list[Monitor]
    states: dict[MonitorKey, StoredMonitorState]
    alerts: list[Alert]

    def status_of(self, monitor: Monitor) -> MonitorStatus | None:
        stored = self.states.get(MonitorKey(monitor.tenant_id, monitor.id))
        return stored.state.status if stored else None

    def monitor_counts(self) -> Counter[str]:
        counts: Counter[str] = Counter()
        for monitor in self.monitors:
            status = self.status_of(monitor)
            counts[status.value.lower() if status else "unknown"] += 1
        return counts

    def health(self) -> TenantHealth:
        statuses = [status for monitor in self.monitors if (status := self.status_of(monitor)) is not None]
        down = sum(1 for status in statuses if status is MonitorStatus.DOWN)
        critical_firing = any(
            alert.status is AlertStatus.FIRING and alert.severity is Severity.CRITICAL for alert in self.alerts
        )
        if critical_firing or (statuses and down * 2 > len(statuses)):
            return TenantHealth.UNHEALTHY
        serious_alert = any(
            alert.status in _ACTIVE and alert.severity.rank >= Severity.WARNING.rank for alert in self.alerts
        )
        if serious_alert or any(status in _TROUBLED for status in statuses):
            return TenantHealth.DEGRADED
        return TenantHealth.HEALTHY


class PlatformHealthService:
    def __init__(
        self,
        tenants: TenantDirectory,
        monitors: MonitorRepository,
        probes: ProbeStore,
        alerts: AlertStore,
        sla: SlaReportService,
        clock: Callable[[], datetime],
    ) -> None:
        self.tenants = tenants
        self.monitors = monitors
        self.probes = probes
        self.alerts = alerts
        self.sla = sla
        self.clock = clock

    def overview(self) -> dict[str, Any]:
        now = self.clock()
        views = [self._view(tenant) for tenant in self.tenants.list_tenants()]
        health = {view.tenant.id: view.health() for view in views}
        counts = Counter(health.values())
        monitor_counts: Counter[str] = Counter()
        for view in views:
            monitor_counts.update(view.monitor_counts())
        open_alerts = [alert for view in views for alert in view.alerts]
        active = [alert for alert in open_alerts if alert.status in _ACTIVE]
        return {
            "generated_at": now.isoformat(),
            "tenants": {
                "total": len(views),
                **{state.value: counts.get(state, 0) for state in TenantHealth},
            },
            "tenant_health": [_tenant_row(view, health[view.tenant.id]) for view in views],
            "monitors": {"total": sum(len(view.monitors) for view in views), **dict(sorted(monitor_counts.items()))},
            "alerts": {
                "active": len(active),
                "firing": sum(1 for alert in active if alert.status is AlertStatus.FIRING),
                "acknowledged": sum(1 for alert in active if alert.status is AlertStatus.ACKNOWLEDGED),
                "pending": sum(1 for alert in open_alerts if alert.status is AlertStatus.PENDING),
                "by_severity": {
                    severity.value: sum(1 for alert in active if alert.severity is severity)
                    for severity in sorted(Severity, key=lambda severity: -severity.rank)
                },
            },
            "sla": self._sla_compliance(now),
            "latest_checks": _latest_checks(views),
            "top_alerts": [_alert_row(alert) for alert in _worst_first(active)[:TOP_ALERTS]],
        }

    def _view(self, tenant: Tenant) -> _TenantView:
        monitors = self.monitors.list_for_tenant(tenant.id)
        states = self.probes.load_states([MonitorKey(tenant.id, monitor.id) for monitor in monitors])
        return _TenantView(tenant, monitors, states, self.alerts.open_alerts(tenant.id))

    def _sla_compliance(self, now: datetime) -> dict[str, Any]:
        report = self.sla.platform_report("monthly", now=now)
        return {
            "period": "monthly",
            "labels": list(report.labels),
            "compliant_tenants": report.compliant_tenants,
            "tenants_with_data": report.tenants_with_data,
            "compliance_pct": report.compliance_pct,
            "average_availability_pct": report.average_availability_pct,
            "worst_tenants": list(report.worst_tenants),
        }


def _tenant_row(view: _TenantView, health: TenantHealth) -> dict[str, Any]:
    active = [alert for alert in view.alerts if alert.status in _ACTIVE]
    worst = _worst_first(active)
    return {
        "tenant": view.tenant.id,
        "name": view.tenant.name,
        "health": health.value,
        "monitors": {"total": len(view.monitors), **dict(sorted(view.monitor_counts().items()))},
        "active_alerts": len(active),
        "worst_severity": worst[0].severity.value if worst else None,
    }


def _latest_checks(views: list[_TenantView]) -> list[dict[str, Any]]:
    checked = [
        (state.last_checked_at, view, monitor, state)
        for view in views
        for monitor in view.monitors
        if (stored := view.states.get(MonitorKey(monitor.tenant_id, monitor.id))) is not None
        and (state := stored.state).last_checked_at is not None
    ]
    checked.sort(key=lambda row: row[0], reverse=True)
    return [
        {
            "tenant": view.tenant.id,
            "monitor": monitor.id,
            "name": monitor.definition.name,
            "status": state.status.value if state.status else None,
            "checked_at": checked_at.isoformat(),
            "consecutive_failures": state.consecutive_failures,
        }
        for checked_at, view, monitor, state in checked[:LATEST_CHECKS]
    ]


def _worst_first(alerts: list[Alert]) -> list[Alert]:
    """Most severe first; among equals, the longest firing first."""
    return sorted(alerts, key=lambda alert: (-alert.severity.rank, alert.fired_at or alert.first_seen))


def _alert_row(alert: Alert) -> dict[str, Any]:
    return {
        "tenant": alert.tenant_id,
        "id": alert.fingerprint,
        "name": alert.rule_name,
        "severity": alert.severity.value,
        "status": alert.status.value,
        "since": (alert.fired_at or alert.first_seen).isoformat(),
        "summary": alert.annotations.summary,
    }
