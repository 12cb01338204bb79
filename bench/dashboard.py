"""Benchmark 11: what people look at and what apps call.

- A status page of 100 monitors with 90 days of daily windows and 24 hourly points each: vigil's own work to
  build and render it (the windows' reads answered from memory, so the figure is vigil's CPU, not the store's),
  and the Queries it reads.
- A Prometheus export of 500 series and 100 monitors: vigil's own work to build the text, parsed back by
  prometheus_client to count the samples.
- The client SDK: what `Client.counter()` costs the app's thread while vigil answers, and while vigil is down
  (connection refused, the background thread retrying), measured in one run so the ratio is fair.
"""

from __future__ import annotations

import socket
import statistics
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from bench.common import BenchmarkResult, Check

MONITORS = 100
DAYS = 90
SERIES = 500
STATUS_PAGE_TARGET_S = 0.5
PROMETHEUS_TARGET_S = 0.5
# Reads per monitor: daily windows, hourly windows, the last check's minute, and at most one more hourly Query
# for a month that does not start at a UTC midnight.
QUERIES_PER_MONITOR = 4
RECORD_TARGET_US = 50.0
DOWN_TO_UP_RATIO_TARGET = 2.0
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def _monitor(tenant: str, monitor_id: str) -> Any:
    from vigil_core.models.monitors import MONITOR_DEFINITION, Monitor

    definition = MONITOR_DEFINITION.validate_python(
        {"type": "http", "name": f"Service {monitor_id}", "target": "http://127.0.0.1:9/", "interval": "1m"}
    )
    return Monitor(tenant_id=tenant, id=monitor_id, definition=definition, created_at=NOW, updated_at=NOW)


class _CountingWindows:
    """The in-memory SLA windows, counting the reads (each `windows` call is one Query on DynamoDB) and answering
    a repeated read from memory: the in-memory store scans every item per read, which is the fake's cost, not
    vigil's (DynamoDB answers a Query from the partition)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.queries = 0
        self._answers: dict[str, Any] = {}

    def windows(self, *args: Any, **kwargs: Any) -> Any:
        self.queries += 1
        key = repr((args, sorted(kwargs.items())))
        if key not in self._answers:
            self._answers[key] = self.inner.windows(*args, **kwargs)
        return self._answers[key]


def _status_page_world() -> tuple[Callable[[], str], _CountingWindows]:
    from vigil_core.adapters.dynamodb_slos import InMemorySloRepository
    from vigil_core.adapters.memory import InMemoryTenantDirectory
    from vigil_core.adapters.memory_alerts import MemoryAlertStore
    from vigil_core.adapters.memory_probes import InMemoryMonitorRepository, InMemoryProbeStore
    from vigil_core.adapters.sla_windows import InMemorySlaWindows
    from vigil_core.models.probes import MonitorKey, ProbeResult
    from vigil_core.models.status_page import StatusPageSettings
    from vigil_core.models.tenants import Tenant
    from vigil_core.probes.verdicts import CheckStatus, MonitorState, MonitorStatus
    from vigil_core.services.status_page import StatusPageService
    from vigil_core.services.status_rendering import render_status_page

    directory = InMemoryTenantDirectory()
    directory.put_tenant(Tenant(id="acme", name="Acme", created_at=NOW - timedelta(days=DAYS)))
    monitors = InMemoryMonitorRepository()
    windows = InMemorySlaWindows()
    probes = InMemoryProbeStore(windows)
    for index in range(MONITORS):
        monitor_id = f"svc-{index:03d}"
        monitors.create(_monitor("acme", monitor_id))
        partition = f"acme#{monitor_id}"
        for day in range(DAYS):
            noon = NOW.replace(hour=12) - timedelta(days=day)
            good = 1440 - (index + day) % 7
            windows.add(partition, int(noon.timestamp()), {"total": 1440, "good": good})
        for hour in range(24):
            at = NOW - timedelta(hours=hour, minutes=30)
            windows.add(partition, int(at.timestamp()), {"latency_count": 60, "latency_sum": 60 * (80 + hour)})
        slot = int(NOW.timestamp()) // 60 * 60 - 60
        checked = datetime.fromtimestamp(slot + 1, UTC)
        result = ProbeResult(
            MonitorKey("acme", monitor_id), slot, checked, CheckStatus.UP, MonitorStatus.UP, 90.0, (), 1, False, None
        )
        state = MonitorState(MonitorStatus.UP, MonitorStatus.UP, 0, 5, NOW - timedelta(days=3), checked, slot, 1)
        probes.record(result, state, 0)
    counting = _CountingWindows(windows)
    service = StatusPageService(
        monitors=monitors,
        probes=probes,
        alerts=MemoryAlertStore(),
        windows=counting,  # type: ignore[arg-type]
        slos=InMemorySloRepository(),
        tenants=directory,
        clock=lambda: NOW,
    )
    settings = StatusPageSettings(title="Acme")
    return lambda: render_status_page(service.page("acme", settings, public=False), public=False), counting


def _prometheus_world() -> Callable[[], str]:
    from vigil_core.adapters.memory import InMemoryRollupStore
    from vigil_core.adapters.memory_alerts import MemoryAlertStore
    from vigil_core.adapters.memory_metric_catalog import InMemoryMetricCatalog
    from vigil_core.adapters.memory_probes import InMemoryMonitorRepository, InMemoryProbeStore
    from vigil_core.models.metrics import MetricPoint
    from vigil_core.models.rollups import Resolution, aggregate
    from vigil_core.ports import MAX_CATALOG_WRITE, MetricDescriptor
    from vigil_core.services.prometheus_export import PrometheusExporter

    rollups = InMemoryRollupStore()
    catalog = InMemoryMetricCatalog()
    minute = int(NOW.timestamp()) // 60 * 60 - 60  # the last complete minute
    kinds = ("counter", "gauge", "histogram")
    points = []
    for index in range(SERIES):
        kind = kinds[index % 3]
        name = f"app.{kind}.m{index // 50}"
        labels = {"route": f"/r{index % 50}", "method": "GET"}
        for sample in range(4):
            points.append(
                MetricPoint.model_validate(
                    {
                        "name": name,
                        "type": kind,
                        "value": 10 + sample * (index % 11),
                        "labels": labels,
                        "timestamp": datetime.fromtimestamp(minute + 5 + sample, UTC),
                        "unit": "ms" if kind == "histogram" else "count",
                    }
                )
            )
    never = dict.fromkeys(Resolution, 2**31)
    rollups.apply("acme", "bench", aggregate(points, NOW), never)
    names = sorted({MetricDescriptor(p.name, p.type, p.unit.value) for p in points}, key=lambda d: d.name)
    for first in range(0, len(names), MAX_CATALOG_WRITE):
        catalog.record("acme", names[first : first + MAX_CATALOG_WRITE], NOW)
    monitors = InMemoryMonitorRepository()
    for index in range(MONITORS):
        monitors.create(_monitor("acme", f"svc-{index:03d}"))
    exporter = PrometheusExporter(catalog, rollups, monitors, InMemoryProbeStore(), MemoryAlertStore(), lambda: NOW)
    return lambda: exporter.export("acme")


def _best_of(work: Callable[[], Any], repetitions: int) -> tuple[float, Any]:
    timings, result = [], None
    for _ in range(repetitions):
        started = time.perf_counter()
        result = work()
        timings.append(time.perf_counter() - started)
    return min(timings), result


class _Accepting(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length", 0)))
        body = b'{"accepted": 1}'
        self.send_response(202)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def _vigil_up() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Accepting)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _record_cost(url: str, calls: int) -> dict[str, float]:
    """Microseconds per `counter()` call on the app's thread (median of blocks) and the slowest single call."""
    from vigil_client import Client

    client = Client(url, "vgl_000000000000_bench", flush_interval=0.05, backoff_base=0.01, backoff_max=0.05,
                    max_buffer=calls * 2, flush_at_exit=False)  # fmt: skip
    blocks: list[float] = []
    slowest = 0.0
    try:
        for block in range(calls // 1000):
            started = time.perf_counter()
            for index in range(1000):
                call_started = time.perf_counter()
                client.counter("bench.requests", labels={"route": f"/r{(block + index) % 20}"})
                slowest = max(slowest, time.perf_counter() - call_started)
            blocks.append((time.perf_counter() - started) / 1000 * 1e6)
    finally:
        client.close(timeout=1.0)
    stats = client.stats
    return {
        "median_us": statistics.median(blocks),
        "slowest_call_ms": slowest * 1000,
        "sent": stats.sent,
        "failed": stats.failed,
        "dropped": stats.dropped,
    }


def run(calls: int = 20_000, repetitions: int = 5) -> BenchmarkResult:
    started = time.perf_counter()
    render, counting = _status_page_world()
    counting.queries = 0
    render()
    queries_per_monitor = counting.queries / MONITORS
    status_s, html = _best_of(render, repetitions)

    from prometheus_client.parser import text_string_to_metric_families

    export = _prometheus_world()
    export_s, text = _best_of(export, repetitions)
    samples = sum(len(family.samples) for family in text_string_to_metric_families(text))

    with _vigil_up() as url:
        up = _record_cost(url, calls)
    down = _record_cost(f"http://127.0.0.1:{_closed_port()}", calls)
    ratio = down["median_us"] / up["median_us"]

    checks: Sequence[Check] = [
        Check(
            "status page, 100 monitors x 90 days",
            "seconds",
            round(status_s, 4),
            STATUS_PAGE_TARGET_S,
            "s",
            note=f"{len(html) // 1024} KB of HTML",
        ),
        Check(
            "status page reads per monitor",
            "queries",
            queries_per_monitor,
            QUERIES_PER_MONITOR,
            "Queries",
        ),
        Check(
            f"Prometheus export, {SERIES} series + {MONITORS} monitors",
            "seconds",
            round(export_s, 4),
            PROMETHEUS_TARGET_S,
            "s",
            note=f"{samples} samples, {len(text) // 1024} KB",
        ),
        Check("Client.counter() while vigil answers", "us_per_call", round(up["median_us"], 2), RECORD_TARGET_US, "us"),
        Check(
            "Client.counter() while vigil is down / while it answers",
            "ratio",
            round(ratio, 3),
            DOWN_TO_UP_RATIO_TARGET,
            note=(
                f"{down['median_us']:.1f} us vs {up['median_us']:.1f} us; slowest call {down['slowest_call_ms']:.2f} ms"
            ),
        ),
    ]
    return BenchmarkResult(
        name="dashboard",
        title="Status page, Prometheus export and the client SDK's cost to the app",
        unit="s / us",
        target=(
            f"a 100-monitor status page and a {SERIES}-series export each in {STATUS_PAGE_TARGET_S:g} s of vigil's "
            f"own work, at most {QUERIES_PER_MONITOR} Queries per monitor; recording a point under "
            f"{RECORD_TARGET_US:g} us, and no more than {DOWN_TO_UP_RATIO_TARGET:g}x that while vigil is down"
        ),
        checks=list(checks),
        details={
            "status_page": {"seconds": status_s, "html_bytes": len(html), "queries_per_monitor": queries_per_monitor},
            "prometheus": {"seconds": export_s, "samples": samples, "bytes": len(text)},
            "client_up": up,
            "client_down": down,
        },
        seconds=time.perf_counter() - started,
    )
