"""The Prometheus export on in-memory adapters: every output is parsed by prometheus_client, values checked."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from prometheus_client.metrics_core import Metric
from prometheus_client.parser import text_string_to_metric_families

from vigil_core.adapters.memory import InMemoryRollupStore
from vigil_core.adapters.memory_alerts import MemoryAlertStore
from vigil_core.adapters.memory_metric_catalog import InMemoryMetricCatalog
from vigil_core.adapters.memory_probes import InMemoryMonitorRepository, InMemoryProbeStore
from vigil_core.models.alerts import Alert, AlertChange, AlertSource, AlertStatus, Severity
from vigil_core.models.metrics import MetricBatch, MetricType
from vigil_core.models.monitors import MONITOR_DEFINITION, Monitor
from vigil_core.models.probes import MonitorKey, ProbeResult
from vigil_core.models.rollups import Resolution, Rollup, RollupKey, Series, aggregate
from vigil_core.ports import MetricCatalogEntry, MetricDescriptor, StoredRollup
from vigil_core.probes.observations import CheckStatus
from vigil_core.probes.verdicts import MonitorState, MonitorStatus
from vigil_core.services.ingest import MetricCatalogRecorder, Retention
from vigil_core.services.prometheus_export import PrometheusExporter

TENANT = "acme"
NOW = datetime(2026, 11, 22, 9, 30, 20, tzinfo=UTC)
LAST_MINUTE = datetime(2026, 11, 22, 9, 29, tzinfo=UTC)  # the last complete minute at NOW
CREATED = datetime(2026, 11, 1, tzinfo=UTC)


@dataclass
class Vigil:
    """One tenant's stores, filled the way ingest and the probes fill them."""

    catalog: InMemoryMetricCatalog = field(default_factory=InMemoryMetricCatalog)
    rollups: InMemoryRollupStore = field(default_factory=InMemoryRollupStore)
    monitors: InMemoryMonitorRepository = field(default_factory=InMemoryMonitorRepository)
    probes: InMemoryProbeStore = field(default_factory=InMemoryProbeStore)
    alerts: MemoryAlertStore = field(default_factory=MemoryAlertStore)
    batches: int = 0

    def exporter(self, **limits: int) -> PrometheusExporter:
        return PrometheusExporter(
            self.catalog, self.rollups, self.monitors, self.probes, self.alerts, clock=lambda: NOW, **limits
        )

    def push(self, *points: dict[str, Any], at: datetime = LAST_MINUTE, tenant: str = TENANT) -> None:
        """Points stored as ingest stores them (received at `at` + 10 s), names recorded in the catalogue."""
        received = at + timedelta(seconds=10)
        batch = MetricBatch.model_validate({"points": list(points)}, context={"now": received})
        self.batches += 1
        self.rollups.apply(
            tenant, f"batch-{self.batches}", aggregate(batch.points, received), Retention().seconds_by_resolution()
        )
        MetricCatalogRecorder(self.catalog).record(tenant, batch, received)

    def store_series(self, name: str, metric_type: MetricType, labels: dict[str, str], values: Sequence[float]) -> None:
        """A series written straight to the store (bypassing ingest's validation, as older data may be)."""
        rollup = Rollup(metric_type, "none")
        for value in values:
            rollup.add(value)
        key = RollupKey(Series(name, tuple(sorted(labels.items()))), Resolution.MINUTE, int(LAST_MINUTE.timestamp()))
        self.batches += 1
        self.rollups.apply(TENANT, f"batch-{self.batches}", {key: rollup}, Retention().seconds_by_resolution())

    def export(self, **limits: int) -> tuple[str, dict[str, Metric]]:
        text = self.exporter(**limits).export(TENANT)
        return text, parse(text)


@pytest.fixture
def vigil() -> Vigil:
    return Vigil()


def parse(text: str) -> dict[str, Metric]:
    """The families of a valid exposition: each named once, typed, with HELP and TYPE, no series twice."""
    assert text.endswith("\n")
    families = list(text_string_to_metric_families(text))
    names = [family.name for family in families]
    assert len(names) == len(set(names)), f"a family is split or repeated: {names}"
    seen: set[tuple[str, tuple[tuple[str, str], ...]]] = set()
    for family in families:
        assert family.type != "unknown", f"{family.name} has samples outside its family"
        assert text.count(f"# HELP {family.name} ") == 1 and text.count(f"# TYPE {family.name} ") == 1
        for sample in family.samples:
            identity = (sample.name, tuple(sorted(sample.labels.items())))
            assert identity not in seen, f"series {identity} appears twice"
            seen.add(identity)
    return {family.name: family for family in families}


def value(families: dict[str, Metric], family: str, sample: str | None = None, **labels: str) -> float:
    matches = [s.value for s in families[family].samples if s.name == (sample or family) and s.labels == labels]
    assert len(matches) == 1, f"{sample or family}{labels}: {len(matches)} samples"
    return matches[0]


def sample_labels(families: dict[str, Metric], family: str) -> list[dict[str, str]]:
    return [sample.labels for sample in families[family].samples]


# -- stored series ----------------------------------------------------------------------------------------


def test_a_counter_exports_the_increments_of_the_last_complete_minute(vigil: Vigil) -> None:
    # Given increments in the minute before the last, in the last complete minute, and in the current one
    point = {"name": "http.requests", "type": "counter", "unit": "requests", "labels": {"service": "api"}}
    vigil.push({**point, "value": 100}, at=LAST_MINUTE - timedelta(minutes=1))
    vigil.push({**point, "value": 5}, {**point, "value": 7})
    vigil.push({**point, "value": 3}, at=LAST_MINUTE + timedelta(minutes=1))
    # When the tenant is exported
    text, families = vigil.export()
    # Then the counter is one gauge of the last complete minute's increments, described by HELP and TYPE
    family = families["vigil_http_requests_increase_1m"]
    assert family.type == "gauge"
    assert "http.requests" in family.documentation and "requests" in family.documentation
    assert value(families, "vigil_http_requests_increase_1m", service="api") == 12
    assert value(families, "vigil_export_minute_start_timestamp_seconds") == LAST_MINUTE.timestamp()
    assert "# TYPE vigil_http_requests_increase_1m gauge\n" in text


def test_a_gauge_exports_average_min_max_and_sample_count(vigil: Vigil) -> None:
    # Given three values of a gauge on two hosts
    vigil.push(
        {"name": "system.cpu", "type": "gauge", "value": 40.5, "unit": "percent", "labels": {"host": "a"}},
        {"name": "system.cpu", "type": "gauge", "value": 20, "unit": "percent", "labels": {"host": "a"}},
        {"name": "system.cpu", "type": "gauge", "value": 60.25, "unit": "percent", "labels": {"host": "a"}},
        {"name": "system.cpu", "type": "gauge", "value": 0.1, "unit": "percent", "labels": {"host": "b"}},
    )
    # When exported
    _, families = vigil.export()
    # Then each statistic is its own gauge family, exact to the last digit
    assert value(families, "vigil_system_cpu_avg_1m", host="a") == (40.5 + 20 + 60.25) / 3
    assert value(families, "vigil_system_cpu_min_1m", host="a") == 20
    assert value(families, "vigil_system_cpu_max_1m", host="a") == 60.25
    assert value(families, "vigil_system_cpu_samples_1m", host="a") == 3
    assert value(families, "vigil_system_cpu_avg_1m", host="b") == 0.1
    assert {families[f"vigil_system_cpu_{stat}_1m"].type for stat in ("avg", "min", "max", "samples")} == {"gauge"}


def test_a_histogram_exports_cumulative_buckets_ending_in_inf_equal_to_count(vigil: Vigil) -> None:
    # Given five latency observations in ms, one above every finite bound
    vigil.push(*(
        {"name": "http.latency", "type": "histogram", "value": observed, "unit": "ms", "labels": {"route": "/a"}}
        for observed in (0.5, 3, 3, 120, 70000)
    ))  # fmt: skip
    # When exported
    text, families = vigil.export()
    # Then the buckets are cumulative, in ascending order of le, and +Inf equals _count
    family = families["vigil_http_latency_1m"]
    assert family.type == "histogram"
    buckets = [(s.labels["le"], s.value) for s in family.samples if s.name == "vigil_http_latency_1m_bucket"]
    bounds = [float(le) for le, _ in buckets]
    assert bounds == sorted(bounds) and bounds[-1] == math.inf
    counts = dict(buckets)
    assert counts["1"] == 1 and counts["2.5"] == 1 and counts["5"] == 3 and counts["100"] == 3
    assert counts["150"] == 4 and counts["60000"] == 4 and counts["+Inf"] == 5
    assert [count for _, count in buckets] == sorted(count for _, count in buckets)
    assert value(families, "vigil_http_latency_1m", "vigil_http_latency_1m_count", route="/a") == 5
    assert (
        value(families, "vigil_http_latency_1m", "vigil_http_latency_1m_sum", route="/a") == 0.5 + 3 + 3 + 120 + 70000
    )
    assert 'vigil_http_latency_1m_bucket{route="/a",le="2.5"} 1\n' in text


def test_hostile_label_values_are_escaped_and_read_back_intact(vigil: Vigil) -> None:
    # Given label values with backslashes, quotes, a newline, braces and non-ASCII text
    hostile = 'a\\b"c\nd} e="f",x=é'
    vigil.push({"name": "jobs", "type": "counter", "value": 2, "labels": {"path": hostile, "plain": "ok"}})
    # When exported
    text, families = vigil.export()
    # Then the line stays one line and the parser reads the exact values back
    assert value(families, "vigil_jobs_increase_1m", path=hostile, plain="ok") == 2
    assert 'path="a\\\\b\\"c\\nd} e=\\"f\\",x=é"' in text


def test_label_names_are_sanitized_reserved_ones_renamed_and_series_merged(vigil: Vigil) -> None:
    # Given stored series whose label names Prometheus would refuse or reserve, two of them equal once sanitized
    vigil.catalog.record(TENANT, [MetricDescriptor("legacy", MetricType.COUNTER, "none")], NOW)
    vigil.store_series("legacy", MetricType.COUNTER, {"zone-id": "1"}, [2])
    vigil.store_series("legacy", MetricType.COUNTER, {"zone_id": "1"}, [3])
    vigil.store_series("legacy", MetricType.COUNTER, {"__secret": "x", "9lives": "y"}, [4])
    vigil.catalog.record(TENANT, [MetricDescriptor("latency", MetricType.HISTOGRAM, "ms")], NOW)
    vigil.store_series("latency", MetricType.HISTOGRAM, {"le": "mine"}, [7])
    # When exported
    _, families = vigil.export()
    # Then names are valid, the two equal series are added up, and the histogram's own le is kept apart
    assert value(families, "vigil_legacy_increase_1m", zone_id="1") == 5
    assert value(families, "vigil_legacy_increase_1m", exported___secret="x", _9lives="y") == 4
    assert value(families, "vigil_latency_1m", "vigil_latency_1m_bucket", exported_le="mine", le="10") == 1
    assert value(families, "vigil_latency_1m", "vigil_latency_1m_count", exported_le="mine") == 1


def test_metric_names_are_sanitized_and_collisions_get_stable_suffixes(vigil: Vigil) -> None:
    # Given names that sanitize to the same name, and a histogram whose family name a counter's would take
    vigil.push(
        {"name": "http.requests", "type": "counter", "value": 3},
        {"name": "http_requests", "type": "counter", "value": 4},
        {"name": "app:queue.depth", "type": "gauge", "value": 9},
        {"name": "jobs", "type": "counter", "value": 1},
        {"name": "jobs_increase", "type": "histogram", "value": 2},
    )
    # When exported (twice)
    text, families = vigil.export()
    again, _ = vigil.export()
    # Then the name that needed no sanitizing keeps the plain form, the other gets its own hash, every time
    dotted = "vigil_http_requests_" + hashlib.sha256(b"http.requests").hexdigest()[:6] + "_increase_1m"
    assert value(families, "vigil_http_requests_increase_1m") == 4
    assert value(families, dotted) == 3
    assert value(families, "vigil_app_queue_depth_max_1m") == 9
    assert value(families, "vigil_jobs_increase_1m") == 1
    suffixed = "vigil_jobs_increase_" + hashlib.sha256(b"jobs_increase").hexdigest()[:6] + "_1m"
    assert value(families, suffixed, f"{suffixed}_count") == 1
    assert again == text


def test_only_the_catalogues_type_is_exported_for_a_name(vigil: Vigil) -> None:
    # Given a name catalogued as a gauge that also has a counter series stored in the minute
    vigil.push({"name": "temperature", "type": "gauge", "value": 21, "labels": {"room": "a"}})
    vigil.store_series("temperature", MetricType.COUNTER, {"room": "b"}, [5])
    # When exported
    _, families = vigil.export()
    # Then the counter series, which would not fit the gauge's families, is left out
    assert sample_labels(families, "vigil_temperature_avg_1m") == [{"room": "a"}]
    assert "vigil_temperature_increase_1m" not in families


def test_other_tenants_metrics_are_not_exported(vigil: Vigil) -> None:
    vigil.push({"name": "secret.revenue", "type": "gauge", "value": 1e6}, tenant="globex")
    vigil.push({"name": "visible", "type": "gauge", "value": 1})
    _, families = vigil.export()
    assert "vigil_secret_revenue_avg_1m" not in families
    assert value(families, "vigil_visible_avg_1m") == 1
    assert value(families, "vigil_export_catalogued_metrics") == 1


def test_an_empty_tenant_gets_a_valid_export(vigil: Vigil) -> None:
    # Given a tenant with no metrics, monitors or alerts
    # When exported
    text, families = vigil.export()
    # Then the output is valid, says when it was made, and counts no alerts
    assert value(families, "vigil_export_timestamp_seconds") == NOW.timestamp()
    assert value(families, "vigil_export_info", tenant=TENANT) == 1
    assert value(families, "vigil_export_catalogued_metrics") == 0
    assert [value(families, "vigil_alerts_open", severity=s) for s in ("info", "warning", "error", "critical")] == [
        0,
        0,
        0,
        0,
    ]
    assert not any(name.startswith("vigil_monitor_") for name in families)
    assert not text.startswith("\n") and "\n\n" not in text


def test_stale_catalogue_names_are_not_read(vigil: Vigil) -> None:
    # Given a name last recorded three hours ago, and one recorded now
    vigil.catalog.record(TENANT, [MetricDescriptor("old", MetricType.GAUGE, "none")], NOW - timedelta(hours=3))
    vigil.catalog.record(TENANT, [MetricDescriptor("new", MetricType.GAUGE, "none")], NOW)
    reads: list[str] = []
    original = vigil.rollups.read

    def counted_read(tenant_id: str, name: str, resolution: Resolution, start: int, end: int) -> list[StoredRollup]:
        reads.append(name)
        return original(tenant_id, name, resolution, start, end)

    vigil.rollups.read = counted_read  # type: ignore[method-assign]
    # When exported
    _, families = vigil.export()
    # Then only the recent name was read, once, for the last complete minute
    assert reads == ["new"]
    assert value(families, "vigil_export_catalogued_metrics") == 1


def test_a_capped_export_says_it_was_truncated(vigil: Vigil) -> None:
    # Given three metrics and a limit of two
    vigil.push(*({"name": name, "type": "counter", "value": 1} for name in ("c.third", "a.first", "b.second")))
    # When exported
    text, families = vigil.export(max_metrics=2)
    # Then the first two by name are exported, and both a comment and a metric say the rest was left out
    assert "vigil_a_first_increase_1m" in families and "vigil_b_second_increase_1m" in families
    assert "vigil_c_third_increase_1m" not in families
    assert "# vigil: 2 of 3 metrics exported" in text
    assert value(families, "vigil_export_truncated", part="metrics") == 1
    assert value(families, "vigil_export_truncated", part="monitors") == 0
    assert value(families, "vigil_export_catalogued_metrics") == 3
    # And without the limit nothing is said to be truncated
    _, complete = vigil.export()
    assert value(complete, "vigil_export_truncated", part="metrics") == 0


def test_limits_below_one_are_refused(vigil: Vigil) -> None:
    with pytest.raises(ValueError, match="max_metrics"):
        vigil.exporter(max_metrics=0)


# -- monitors and alerts ----------------------------------------------------------------------------------


def add_monitor(vigil: Vigil, monitor_id: str, **definition: Any) -> MonitorKey:
    body = {"type": "http", "name": f"{monitor_id} check", "target": "https://example.com/", **definition}
    vigil.monitors.create(
        Monitor(
            tenant_id=TENANT,
            id=monitor_id,
            definition=MONITOR_DEFINITION.validate_python(body),
            created_at=CREATED,
            updated_at=CREATED,
        )
    )
    return MonitorKey(TENANT, monitor_id)


def check(
    vigil: Vigil, key: MonitorKey, status: MonitorStatus, at: datetime, response_ms: float | None, failures: int = 0
) -> None:
    """One recorded check leaving the monitor in `status`."""
    stored = vigil.probes.load_states([key])[key].state
    slot = int(at.timestamp()) // 60 * 60
    outcome = CheckStatus.DOWN if status in (MonitorStatus.DOWN, MonitorStatus.PENDING) else CheckStatus.UP
    result = ProbeResult(key, slot, at, outcome, status, response_ms, (), 1)
    state = MonitorState(status, status, failures, 0, at, at, slot, stored.version + 1)
    assert vigil.probes.record(result, state, expected_version=stored.version)


def test_monitors_export_up_status_response_time_and_failures(vigil: Vigil) -> None:
    # Given a healthy monitor checked twice, a down one, one in maintenance, a paused one never checked
    healthy = add_monitor(vigil, "api", interval="30s")
    check(vigil, healthy, MonitorStatus.UP, NOW - timedelta(seconds=40), 250.0)
    check(vigil, healthy, MonitorStatus.UP, NOW - timedelta(seconds=10), 123.0)
    down = add_monitor(vigil, "db", type="tcp", target="db.internal:5432", interval="5m")
    check(vigil, down, MonitorStatus.DOWN, NOW - timedelta(seconds=20), None, failures=3)
    maintenance = add_monitor(vigil, "batch")
    check(vigil, maintenance, MonitorStatus.MAINTENANCE, NOW - timedelta(seconds=5), 80.0)
    add_monitor(vigil, "new", enabled=False)
    # When exported
    _, families = vigil.export()
    # Then up follows the verdict, and is absent in maintenance and before the first check
    api = {"monitor": "api", "name": "api check", "type": "http"}
    db = {"monitor": "db", "name": "db check", "type": "tcp"}
    batch = {"monitor": "batch", "name": "batch check", "type": "http"}
    new = {"monitor": "new", "name": "new check", "type": "http"}
    assert value(families, "vigil_monitor_up", **api) == 1
    assert value(families, "vigil_monitor_up", **db) == 0
    assert sample_labels(families, "vigil_monitor_up") == [api, db]  # by monitor id: api, batch, db, new
    # And the status is one-hot, UNKNOWN for the monitor never checked
    for labels, current in ((api, "UP"), (db, "DOWN"), (batch, "MAINTENANCE"), (new, "UNKNOWN")):
        statuses = {
            s.labels["status"]: s.value
            for s in families["vigil_monitor_status"].samples
            if s.labels["monitor"] == labels["monitor"]
        }
        assert statuses == {
            status: float(status == current)
            for status in ("UP", "DEGRADED", "PENDING", "DOWN", "MAINTENANCE", "UNKNOWN")
        }
    # And the last check's response time, time, failures and interval are there when known
    assert value(families, "vigil_monitor_response_time_seconds", **api) == 0.123
    assert value(families, "vigil_monitor_response_time_seconds", **batch) == 0.08
    assert {s.labels["monitor"] for s in families["vigil_monitor_response_time_seconds"].samples} == {"api", "batch"}
    assert (
        value(families, "vigil_monitor_last_check_timestamp_seconds", **db) == (NOW - timedelta(seconds=20)).timestamp()
    )
    assert "new" not in {s.labels["monitor"] for s in families["vigil_monitor_last_check_timestamp_seconds"].samples}
    assert value(families, "vigil_monitor_consecutive_failures", **db) == 3
    assert value(families, "vigil_monitor_consecutive_failures", **new) == 0
    assert value(families, "vigil_monitor_check_interval_seconds", **api) == 30
    assert value(families, "vigil_monitor_check_interval_seconds", **db) == 300
    assert value(families, "vigil_monitor_enabled", **new) == 0 and value(families, "vigil_monitor_enabled", **api) == 1


def test_a_pending_or_degraded_monitor_is_still_up(vigil: Vigil) -> None:
    pending = add_monitor(vigil, "flaky")
    check(vigil, pending, MonitorStatus.PENDING, NOW - timedelta(seconds=5), None, failures=1)
    slow = add_monitor(vigil, "slow")
    check(vigil, slow, MonitorStatus.DEGRADED, NOW - timedelta(seconds=5), 2500.0)
    _, families = vigil.export()
    assert value(families, "vigil_monitor_up", monitor="flaky", name="flaky check", type="http") == 1
    assert value(families, "vigil_monitor_up", monitor="slow", name="slow check", type="http") == 1
    assert (
        value(families, "vigil_monitor_status", monitor="flaky", name="flaky check", type="http", status="PENDING") == 1
    )


def test_monitors_beyond_the_limit_are_left_out_and_said_so(vigil: Vigil) -> None:
    for monitor_id in ("a", "b", "c"):
        add_monitor(vigil, monitor_id)
    text, families = vigil.export(max_monitors=2)
    assert {s.labels["monitor"] for s in families["vigil_monitor_enabled"].samples} == {"a", "b"}
    assert value(families, "vigil_export_truncated", part="monitors") == 1
    assert "# vigil: 2 of 3 monitors exported" in text


def make_alert(fingerprint: str, severity: Severity, status: AlertStatus, tenant: str = TENANT) -> Alert:
    return Alert(
        tenant_id=tenant,
        fingerprint=fingerprint,
        rule_id="rule",
        rule_name="rule",
        source=AlertSource.RULE,
        status=status,
        severity=severity,
        labels={"alertname": "rule", "severity": severity.value},
        first_seen=NOW,
        last_seen=NOW,
        changed_at=NOW,
    )


def test_open_alerts_are_counted_by_severity(vigil: Vigil) -> None:
    # Given two firing critical alerts, an acknowledged warning, a pending error, a resolved info alert,
    # and another tenant's critical alert
    for alert in (
        make_alert("f1", Severity.CRITICAL, AlertStatus.FIRING),
        make_alert("f2", Severity.CRITICAL, AlertStatus.FIRING),
        make_alert("f3", Severity.WARNING, AlertStatus.ACKNOWLEDGED),
        make_alert("f4", Severity.ERROR, AlertStatus.PENDING),
        make_alert("f5", Severity.INFO, AlertStatus.RESOLVED),
        make_alert("f6", Severity.CRITICAL, AlertStatus.FIRING, tenant="globex"),
    ):
        assert vigil.alerts.save(AlertChange(alert, 0, None))
    # When exported
    _, families = vigil.export()
    # Then only the tenant's open alerts count, every severity present
    counts = {s.labels["severity"]: s.value for s in families["vigil_alerts_open"].samples}
    assert counts == {"info": 0, "warning": 1, "error": 1, "critical": 2}


def test_catalogue_entries_drive_the_help_text(vigil: Vigil) -> None:
    # Given a metric catalogued with a unit
    vigil.push({"name": "queue.bytes", "type": "gauge", "value": 512, "unit": "bytes"})
    # When exported
    _, families = vigil.export()
    # Then HELP names the pushed name, its type and its unit
    entry = vigil.catalog.list_for_tenant(TENANT)[0]
    assert entry == MetricCatalogEntry("queue.bytes", MetricType.GAUGE, "bytes", LAST_MINUTE + timedelta(seconds=10))
    assert families["vigil_queue_bytes_avg_1m"].documentation.startswith("vigil gauge queue.bytes, unit bytes:")
