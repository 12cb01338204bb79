"""The platform overview: tenants by health, monitors, active alerts, SLA compliance, latest checks, top alerts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.unit.test_memory_probe_adapters import monitor
from vigil_core.adapters.dynamodb_slos import InMemorySloRepository
from vigil_core.adapters.memory import InMemoryTenantDirectory
from vigil_core.adapters.memory_alerts import MemoryAlertStore
from vigil_core.adapters.memory_probes import InMemoryMonitorRepository, InMemoryProbeStore
from vigil_core.models.alerts import Alert, AlertChange, AlertSource, AlertStatus, Annotations, Severity
from vigil_core.models.probes import MonitorKey, ProbeResult
from vigil_core.models.tenants import Tenant
from vigil_core.probes.verdicts import CheckStatus, MonitorState, MonitorStatus
from vigil_core.services.platform_health import PlatformHealthService
from vigil_core.services.sla_reports import SlaReportService

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def _alert(tenant: str, name: str, severity: Severity, status: AlertStatus, fired_minutes_ago: int) -> Alert:
    fired = NOW - timedelta(minutes=fired_minutes_ago)
    return Alert(
        tenant_id=tenant,
        fingerprint=f"{tenant}-{name}",
        rule_id=name,
        rule_name=name,
        source=AlertSource.RULE,
        status=status,
        severity=severity,
        labels={"alertname": name, "severity": severity.value},
        annotations=Annotations(summary=f"{name} on {tenant}"),
        first_seen=fired,
        last_seen=NOW,
        fired_at=fired,
        changed_at=fired,
    )


def _checked(probes: InMemoryProbeStore, tenant: str, monitor_id: str, status: MonitorStatus, minutes_ago: int) -> None:
    at = NOW - timedelta(minutes=minutes_ago)
    slot = int(at.timestamp()) // 30 * 30
    check = CheckStatus.UP if status is MonitorStatus.UP else CheckStatus.DOWN
    result = ProbeResult(MonitorKey(tenant, monitor_id), slot, at, check, status, 100.0, (), 1, False, None)
    state = MonitorState(status, status, 0 if status is MonitorStatus.UP else 3, 0, at, at, slot, 1)
    assert probes.record(result, state, 0)


def _service() -> PlatformHealthService:
    directory = InMemoryTenantDirectory()
    monitors = InMemoryMonitorRepository()
    probes = InMemoryProbeStore()
    alerts = MemoryAlertStore()
    for tenant in ("acme", "globex", "initech", "newco"):
        directory.put_tenant(Tenant(id=tenant, name=tenant.title(), created_at=NOW - timedelta(days=90)))
    # acme: two monitors up, no alerts -> healthy
    for monitor_id, minutes in (("shop", 1), ("api", 2)):
        monitors.create(monitor("acme", monitor_id))
        _checked(probes, "acme", monitor_id, MonitorStatus.UP, minutes)
    # globex: one of three monitors down, a warning firing and an info acknowledged -> degraded
    for monitor_id, status in (("web", MonitorStatus.UP), ("db", MonitorStatus.DOWN), ("cdn", MonitorStatus.UP)):
        monitors.create(monitor("globex", monitor_id))
        _checked(probes, "globex", monitor_id, status, 3)
    # initech: a critical alert firing (its one monitor never checked) -> unhealthy
    monitors.create(monitor("initech", "erp"))
    for alert in (
        _alert("globex", "db-down", Severity.WARNING, AlertStatus.FIRING, 20),
        _alert("globex", "disk", Severity.INFO, AlertStatus.ACKNOWLEDGED, 90),
        _alert("initech", "erp-errors", Severity.CRITICAL, AlertStatus.FIRING, 5),
        _alert("initech", "erp-latency", Severity.ERROR, AlertStatus.PENDING, 1),
    ):
        assert alerts.save(AlertChange(alert, 0, None))
    sla = SlaReportService(directory, monitors, InMemorySloRepository(), probes.sla_windows, alerts, lambda: NOW)
    return PlatformHealthService(directory, monitors, probes, alerts, sla, lambda: NOW)


def test_the_overview_counts_tenants_by_health_and_lists_what_needs_attention() -> None:
    # Given four tenants: healthy, degraded, unhealthy and one with nothing to watch yet
    # When the overview is read
    overview = _service().overview()
    # Then tenants are counted by health (nothing to watch counts as healthy)
    assert overview["tenants"] == {"total": 4, "healthy": 2, "degraded": 1, "unhealthy": 1}
    health = {row["tenant"]: row["health"] for row in overview["tenant_health"]}
    assert health == {"acme": "healthy", "globex": "degraded", "initech": "unhealthy", "newco": "healthy"}
    # And monitors by current status (never checked is "unknown")
    assert overview["monitors"] == {"total": 6, "down": 1, "unknown": 1, "up": 4}
    # And active alerts are the firing and acknowledged ones (pending counted apart), by severity
    assert overview["alerts"] == {
        "active": 3,
        "firing": 2,
        "acknowledged": 1,
        "pending": 1,
        "by_severity": {"critical": 1, "error": 0, "warning": 1, "info": 1},
    }
    # And the top alerts are the most severe first, then the longest firing
    assert [(a["tenant"], a["name"]) for a in overview["top_alerts"]] == [
        ("initech", "erp-errors"),
        ("globex", "db-down"),
        ("globex", "disk"),
    ]
    assert overview["top_alerts"][0]["summary"] == "erp-errors on initech"
    # And the latest checks are newest first
    latest = [(c["tenant"], c["monitor"], c["status"]) for c in overview["latest_checks"]]
    assert latest[:2] == [("acme", "shop", "UP"), ("acme", "api", "UP")]
    assert len(latest) == 5


def test_sla_compliance_comes_from_this_months_platform_report() -> None:
    # Given the same platform / When the overview is read
    sla = _service().overview()["sla"]
    # Then compliance is over the tenants with data this month (acme all good; globex's down check misses its target)
    assert sla["period"] == "monthly" and sla["labels"] == ["2026-11"]
    assert (sla["compliant_tenants"], sla["tenants_with_data"]) == (1, 2)
    assert sla["compliance_pct"] == 50.0


def test_half_the_monitors_down_is_not_yet_unhealthy_but_more_is() -> None:
    # Given a tenant with two monitors, one down / Then degraded; with both down / Then unhealthy
    service = _service()
    probes = service.probes
    assert isinstance(probes, InMemoryProbeStore)
    service.monitors.create(monitor("newco", "a"))
    service.monitors.create(monitor("newco", "b"))
    _checked(probes, "newco", "a", MonitorStatus.UP, 1)
    _checked(probes, "newco", "b", MonitorStatus.DOWN, 1)
    rows = {row["tenant"]: row for row in service.overview()["tenant_health"]}
    assert rows["newco"]["health"] == "degraded"
    assert rows["newco"]["monitors"] == {"total": 2, "down": 1, "up": 1}
