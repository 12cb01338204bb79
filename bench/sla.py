"""Benchmark 10: what a 30-day SLA report costs, and how long reports over 1,000 monitors take.

The stack is the synthesized template on the embedded moto server (the local cloud); the reports are built by
the real `SlaReportService` on the DynamoDB adapters, with a botocore hook counting the window items each
Query returns.

1. Sampling rate: two monitors, one checked every 30 s and one every 5 min, with April 2026 written into their
   SLA windows the way the probe worker adds to them (every check into its hour and day). The April report of a
   tenant in Europe/Berlin (a month that is not whole UTC days: 29 daily windows and 24 hourly ones at its
   edges) must read the same number of window items for both, at most 31 daily + 24 hourly.
2. Scale: N monitors (1,000; 200 with --quick) over 100 tenants, each with a month of windows, and the
   platform-wide monthly report over all of them, rendered as JSON, CSV and HTML. moto answers a Query in
   ~175 ms once a table holds a few thousand items (it filters the whole partition in Python), which would
   measure moto; so here the windows come from an in-memory reader (a dict per partition) and the figure is
   vigil's own work per monitor, beside the reads it asks for (two Queries and at most 55 items per monitor,
   which DynamoDB answers in single-digit milliseconds each).
"""

from __future__ import annotations

import tempfile
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.common import REPO_ROOT, BenchmarkResult, Check

MAX_ITEMS_PER_MONITOR = 31 + 24
SCALE_TARGET_S = 10.0  # vigil's own work for the platform report over 1,000 monitors, in its three formats
APRIL = date(2026, 4, 15)
BERLIN = "Europe/Berlin"
TENANTS = 100


def _cloud(state_dir: Path) -> Any:
    from vigil_cli.local.cloud import LocalCloud
    from vigil_cli.local.synth import synth_context, synthesize

    probes = synth_context(REPO_ROOT)["vigil:probes"] | {"canaryUrl": ""}
    context = {"vigil:probes": probes, "vigil:monitorsFile": "", "vigil:alertRulesFile": ""}
    template = synthesize(state_dir / "cdk.out", repo_root=REPO_ROOT, context=context)
    return LocalCloud(template, state_dir=state_dir, start_schedules=False, start_pollers=False, start_sweeper=False)


class _ItemCounter:
    """botocore hooks: Query calls on the SLA windows table, and the items they returned."""

    def __init__(self, table: str) -> None:
        self.table = table
        self.queries = 0
        self.items = 0

    def mark(self, params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        context["sla_windows"] = params.get("TableName") == self.table

    def count(self, parsed: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        if context.get("sla_windows"):
            self.queries += 1
            self.items += len(parsed.get("Items", []))

    def reset(self) -> None:
        self.queries = self.items = 0


def _month_windows(interval_s: int, start: datetime, end: datetime, latency_ms: float) -> dict[str, dict[str, int]]:
    """The hour and day windows (sort key -> counters) a monitor checked every `interval_s` leaves behind,
    every check good and in the (75, 100] ms bucket, one failure in each 500 checks."""
    from vigil_core.adapters.sla_windows import day_window, hour_window

    windows: dict[str, Counter[str]] = {}
    checks_per_hour = 3600 // interval_s
    hour = start
    done = 0
    while hour < end:
        epoch = int(hour.timestamp())
        failed = (done + checks_per_hour) // 500 - done // 500
        done += checks_per_hour
        for sort_key, _ in (hour_window(epoch), day_window(epoch)):
            counters = windows.setdefault(sort_key, Counter())
            counters.update(
                total=checks_per_hour,
                good=checks_per_hour - failed,
                down=failed,
                latency_count=checks_per_hour,
                latency_sum_ms=int(latency_ms) * checks_per_hour,
                lb07=checks_per_hour,
            )
        hour += timedelta(hours=1)
    return {sort_key: dict(counters) for sort_key, counters in windows.items()}


def _put_windows(client: Any, table: str, partition: str, windows: dict[str, dict[str, int]]) -> None:
    items = [
        {"PutRequest": {"Item": {"pk": {"S": partition}, "sk": {"S": sort_key}, **_numbers(counters)}}}
        for sort_key, counters in windows.items()
    ]
    for first in range(0, len(items), 25):
        request: dict[str, Any] = {table: items[first : first + 25]}
        while request:
            request = client.batch_write_item(RequestItems=request).get("UnprocessedItems") or {}


def _numbers(counters: dict[str, int]) -> dict[str, dict[str, str]]:
    return {name: {"N": str(value)} for name, value in counters.items()}


def run(monitors: int = 1000) -> BenchmarkResult:
    import boto3

    from vigil_core.adapters.dynamodb_alerts import DynamoDbAlertStore
    from vigil_core.adapters.dynamodb_monitors import DynamoDbMonitorRepository
    from vigil_core.adapters.dynamodb_slos import DynamoDbSloRepository
    from vigil_core.adapters.dynamodb_tenants import DynamoDBTenantDirectory
    from vigil_core.adapters.sla_windows import DynamoDbSlaWindows
    from vigil_core.models.monitors import MONITOR_DEFINITION, Monitor
    from vigil_core.models.slo import SlaPolicy
    from vigil_core.models.tenants import SlaTier, Tenant
    from vigil_core.services.sla_reports import SlaReportService

    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="vigil-bench-sla-") as state_dir, _cloud(Path(state_dir)) as cloud:
        environment = cloud.functions.get("sla").environment
        windows_table = environment["SLA_WINDOWS_TABLE_NAME"]
        client = boto3.client("dynamodb", endpoint_url=cloud.backend_url, region_name="us-east-1")
        counter = _ItemCounter(windows_table)
        client.meta.events.register("provide-client-params.dynamodb.Query", counter.mark)
        client.meta.events.register("after-call.dynamodb.Query", counter.count)
        now = datetime(2026, 5, 10, 12, tzinfo=UTC)
        tenants = DynamoDBTenantDirectory(environment["CONFIG_TABLE_NAME"], client)
        monitor_repo = DynamoDbMonitorRepository(environment["CONFIG_TABLE_NAME"], client)
        slos = DynamoDbSloRepository(environment["CONFIG_TABLE_NAME"], client)
        service = SlaReportService(
            tenants=tenants,
            monitors=monitor_repo,
            slos=slos,
            windows=DynamoDbSlaWindows(windows_table, client=client),
            alerts=DynamoDbAlertStore(environment["ALERTS_TABLE_NAME"], client),
            clock=lambda: now,
        )
        month_start, month_end = datetime(2026, 3, 31, 22, tzinfo=UTC), datetime(2026, 4, 30, 22, tzinfo=UTC)

        def add_monitor(tenant_id: str, monitor_id: str, interval_s: int) -> None:
            definition = MONITOR_DEFINITION.validate_python(
                {"type": "http", "name": monitor_id, "target": "http://127.0.0.1:9/", "interval": f"{interval_s}s"}
            )
            monitor_repo.create(
                Monitor(tenant_id=tenant_id, id=monitor_id, definition=definition, created_at=now, updated_at=now)
            )
            windows = _month_windows(interval_s, month_start, month_end, 80)
            _put_windows(client, windows_table, f"{tenant_id}#{monitor_id}", windows)

        # 1. The same month at two sampling rates, each monitor in a tenant of its own.
        reads: dict[str, dict[str, int]] = {}
        for label, interval_s in (("every_30s", 30), ("every_5m", 300)):
            tenant_id = f"rate-{label.replace('_', '-')}"
            tenants.put_tenant(Tenant(id=tenant_id, name=label, sla_tier=SlaTier.PROFESSIONAL, created_at=now))
            slos.put_sla_policy(tenant_id, SlaPolicy(timezone=BERLIN))
            add_monitor(tenant_id, "shop", interval_s)
            counter.reset()
            report = service.tenant_report(tenant_id, "monthly", APRIL, include_previous=False, now=now)
            [monitor] = report.monitors
            reads[label] = {
                "items": counter.items,
                "queries": counter.queries,
                "reported_items": monitor.window_items_read,
                "checks": monitor.figures.total if monitor.figures else 0,
            }
    scale = _scale(monitors, now)

    fast, slow = reads["every_30s"], reads["every_5m"]
    checks = [
        Check(
            case="30-day report, checked every 30 s vs every 5 min",
            metric="window items read (30 s minus 5 min)",
            value=abs(fast["items"] - slow["items"]),
            limit=0,
            unit="items",
            values={"every_30s": fast["items"], "every_5m": slow["items"]},
            note=f"{fast['checks']:,} vs {slow['checks']:,} checks, {fast['items']} items each",
        ),
        Check(
            case="30-day report, one monitor",
            metric="window items read",
            value=max(fast["items"], slow["items"]),
            limit=MAX_ITEMS_PER_MONITOR,
            unit="items",
            note="at most 31 daily + 24 hourly",
        ),
        Check(
            case=f"monthly platform report over {scale['monitors']:,} monitors",
            metric="seconds",
            value=scale["report_s"],
            limit=SCALE_TARGET_S,
            unit="s",
            values={"per_monitor_ms": scale["per_monitor_ms"], "items_per_monitor": scale["items_per_monitor"]},
            note=f"{scale['per_monitor_ms']} ms, {scale['queries_per_monitor']} queries and "
            f"{scale['items_per_monitor']} items per monitor",
        ),
    ]
    return BenchmarkResult(
        name="sla",
        title="SLA reports: items read per monitor, and reports over many monitors",
        unit="items / s",
        target=(
            f"a 30-day report reads the same items at any sampling rate, at most {MAX_ITEMS_PER_MONITOR}; "
            f"the platform report over 1,000 monitors in {SCALE_TARGET_S:g} s of vigil's own work"
        ),
        checks=checks,
        details={"sampling_rate": reads, "scale": scale},
        seconds=time.perf_counter() - started,
    )


class _WindowsByPartition:
    """An SlaWindowReader over a dict per partition, counting what it is asked for."""

    def __init__(self) -> None:
        self.partitions: dict[str, dict[str, list[dict[str, int | float]]]] = {}
        self.queries = 0
        self.items = 0

    def add(self, partition: str, windows: dict[str, dict[str, int]]) -> None:
        from vigil_core.adapters.sla_windows import window_start, window_summary

        by_kind: dict[str, list[dict[str, int | float]]] = {"hour": [], "day": [], "minute": []}
        for sort_key, counters in sorted(windows.items(), key=lambda entry: window_start(entry[0])):
            kind = "hour" if sort_key.startswith("H#") else "day"
            by_kind[kind].append(window_summary(window_start(sort_key), counters))
        self.partitions[partition] = by_kind

    def windows(
        self, partition: str, resolution: str, start_epoch: int, end_epoch: int
    ) -> list[dict[str, int | float]]:
        found = [
            window
            for window in self.partitions.get(partition, {}).get(resolution, [])
            if start_epoch <= window["start"] < end_epoch
        ]
        self.queries += 1
        self.items += len(found)
        return found


def _scale(monitors: int, now: datetime) -> dict[str, Any]:
    from vigil_core.adapters.dynamodb_slos import InMemorySloRepository
    from vigil_core.adapters.memory import InMemoryTenantDirectory
    from vigil_core.adapters.memory_alerts import MemoryAlertStore
    from vigil_core.adapters.memory_probes import InMemoryMonitorRepository
    from vigil_core.models.monitors import MONITOR_DEFINITION, Monitor
    from vigil_core.models.slo import SlaPolicy
    from vigil_core.models.tenants import SlaTier, Tenant
    from vigil_core.services.sla_rendering import render_report
    from vigil_core.services.sla_reports import SlaReportService

    tenants, monitor_repo, slos = InMemoryTenantDirectory(), InMemoryMonitorRepository(), InMemorySloRepository()
    windows = _WindowsByPartition()
    month = _month_windows(60, datetime(2026, 3, 31, 22, tzinfo=UTC), datetime(2026, 4, 30, 22, tzinfo=UTC), 80)
    per_tenant = max(1, monitors // TENANTS)
    for tenant_index in range(TENANTS):
        tenant_id = f"scale-{tenant_index:03d}"
        tenants.put_tenant(Tenant(id=tenant_id, name=tenant_id, sla_tier=SlaTier.BASIC, created_at=now))
        slos.put_sla_policy(tenant_id, SlaPolicy(timezone=BERLIN))
        for monitor_index in range(per_tenant):
            monitor_id = f"m{monitor_index:03d}"
            definition = MONITOR_DEFINITION.validate_python(
                {"type": "http", "name": monitor_id, "target": "http://127.0.0.1:9/", "interval": "1m"}
            )
            monitor_repo.create(
                Monitor(tenant_id=tenant_id, id=monitor_id, definition=definition, created_at=now, updated_at=now)
            )
            windows.add(f"{tenant_id}#{monitor_id}", month)
    service = SlaReportService(tenants, monitor_repo, slos, windows, MemoryAlertStore(), clock=lambda: now)
    timed = time.perf_counter()
    platform = service.platform_report("monthly", APRIL, now=now)
    sizes = {fmt: len(render_report(platform, fmt).body) for fmt in ("json", "csv", "html")}
    report_s = time.perf_counter() - timed
    count = TENANTS * per_tenant
    return {
        "monitors": count,
        "tenants": platform.tenants,
        "report_s": round(report_s, 3),
        "per_monitor_ms": round(1000 * report_s / count, 3),
        "window_items_read": windows.items,
        "items_per_monitor": round(windows.items / count, 2),
        "queries_per_monitor": round(windows.queries / count, 2),
        "rendered_bytes": sizes,
    }
