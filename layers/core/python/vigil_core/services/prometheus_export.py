"""A tenant's metrics, monitors and open alerts in the Prometheus text exposition format (version 0.0.4).

vigil stores per-minute aggregates, not process-lifetime counters, so every stored series is exported as what
it holds for the last complete minute: gauges (and, for histograms, per-minute bucket counts). Graph them
directly or with *_over_time functions; rate() and increase() do not apply to them.

Names, for a metric pushed as `name` (sanitized: every character outside [a-zA-Z0-9_] becomes "_"):

  counter    vigil_<name>_increase_1m                       the sum of the increments pushed for the minute
  gauge      vigil_<name>_avg_1m, _min_1m, _max_1m          the average, lowest and highest value pushed
             vigil_<name>_samples_1m                        how many values were pushed
  histogram  vigil_<name>_1m_bucket{le}, _1m_sum, _1m_count  the minute's observations, buckets cumulative

A name that collides with another after sanitizing (e.g. `http.requests` and `http_requests`) keeps the plain
form only for the metric that needed no sanitizing (or, among equals, the first by name); every other one gets
`_` and six hex digits of its name's SHA-256 appended to <name>, so its series stay apart and stable.
"""

from __future__ import annotations

import hashlib
import itertools
import math
import re
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal, TypeVar

from vigil_core.models.alerts import Severity
from vigil_core.models.metrics import MetricType, Unit
from vigil_core.models.monitors import Monitor
from vigil_core.models.probes import MonitorKey, StoredMonitorState
from vigil_core.models.rollups import BUCKET_COUNT, HISTOGRAM_BOUNDS, Resolution, Rollup
from vigil_core.ports import (
    AlertStore,
    MetricCatalog,
    MetricCatalogEntry,
    MonitorRepository,
    ProbeStore,
    RollupStore,
    StoredRollup,
)
from vigil_core.probes.verdicts import MonitorStatus

PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
PREFIX = "vigil_"
DEFAULT_MAX_METRICS = 500
DEFAULT_MAX_MONITORS = 1000
# Ingest records a name at most once an hour per container, and a point may arrive up to 5 minutes before its
# time: a name not recorded for two hours cannot have points in the last complete minute, so it is not read.
STALE_AFTER = timedelta(hours=2)
UNKNOWN_STATUS = "UNKNOWN"  # a monitor never checked (or only inconclusively)
MONITOR_STATUSES: tuple[str, ...] = (*(status.value for status in MonitorStatus), UNKNOWN_STATUS)
# Labels the exporter itself sets on a family: a stored series' own label of that name is renamed exported_<name>.
RESERVED_LABELS = frozenset({"le"})

FamilyType = Literal["gauge", "histogram"]
Labels = tuple[tuple[str, str], ...]
_INVALID_NAME_CHARACTERS = re.compile(r"[^a-zA-Z0-9_]")
_ItemT = TypeVar("_ItemT")
_ResultT = TypeVar("_ResultT")


@dataclass(frozen=True, slots=True)
class Sample:
    suffix: str  # appended to the family name: "" or, for histograms, _bucket, _sum, _count
    labels: Labels
    value: float


@dataclass(slots=True)
class Family:
    name: str
    help: str
    type: FamilyType
    samples: list[Sample] = field(default_factory=list)

    def add(self, value: float, labels: Labels = (), suffix: str = "") -> None:
        self.samples.append(Sample(suffix, labels, value))


class PrometheusExporter:
    """GET /v1/metrics/export/prometheus: what one tenant's Prometheus scrape receives."""

    def __init__(
        self,
        catalog: MetricCatalog,
        rollups: RollupStore,
        monitors: MonitorRepository,
        probes: ProbeStore,
        alerts: AlertStore,
        clock: Callable[[], datetime],
        *,
        max_metrics: int = DEFAULT_MAX_METRICS,
        max_monitors: int = DEFAULT_MAX_MONITORS,
        max_workers: int = 16,
    ) -> None:
        if max_metrics < 1 or max_monitors < 1 or max_workers < 1:
            raise ValueError("max_metrics, max_monitors and max_workers must be at least 1")
        self.catalog = catalog
        self.rollups = rollups
        self.monitors = monitors
        self.probes = probes
        self.alerts = alerts
        self.clock = clock
        self.max_metrics = max_metrics
        self.max_monitors = max_monitors
        self.max_workers = max_workers

    def export(self, tenant_id: str) -> str:
        now = self.clock()
        minute_start = Resolution.MINUTE.bucket_start(now.timestamp()) - Resolution.MINUTE.seconds
        active = [entry for entry in self.catalog.list_for_tenant(tenant_id) if entry.last_seen >= now - STALE_AFTER]
        exported = sorted(active, key=lambda entry: entry.name)[: self.max_metrics]
        all_monitors = self.monitors.list_for_tenant(tenant_id)
        monitors = all_monitors[: self.max_monitors]

        comments: list[str] = []
        if len(exported) < len(active):
            comments.append(f"vigil: {len(exported)} of {len(active)} metrics exported (the first by name)")
        if len(monitors) < len(all_monitors):
            comments.append(f"vigil: {len(monitors)} of {len(all_monitors)} monitors exported (the first by id)")

        families = [
            *self._export_families(tenant_id, now, minute_start, active, exported, all_monitors, monitors),
            *self._monitor_families(monitors),
            *self._alert_families(tenant_id),
            *self._stored_metric_families(tenant_id, exported, minute_start),
        ]
        return render(families, comments)

    # -- the parts of an export -----------------------------------------------------------------------

    def _export_families(
        self,
        tenant_id: str,
        now: datetime,
        minute_start: int,
        active: Sequence[MetricCatalogEntry],
        exported: Sequence[MetricCatalogEntry],
        all_monitors: Sequence[Monitor],
        monitors: Sequence[Monitor],
    ) -> list[Family]:
        info = Family("vigil_export_info", "Always 1; its labels describe the export.", "gauge")
        info.add(1, (("tenant", tenant_id),))
        timestamp = Family("vigil_export_timestamp_seconds", "When this export was made (Unix time).", "gauge")
        timestamp.add(now.timestamp())
        minute = Family(
            "vigil_export_minute_start_timestamp_seconds",
            "Start of the minute every *_1m series describes: the last complete minute (Unix time).",
            "gauge",
        )
        minute.add(minute_start)
        catalogued = Family(
            "vigil_export_catalogued_metrics",
            f"Metric names the tenant pushed in the last {STALE_AFTER.total_seconds() / 3600:g} hours.",
            "gauge",
        )
        catalogued.add(len(active))
        truncated = Family(
            "vigil_export_truncated", "1 when a limit left some metrics or monitors out of the export.", "gauge"
        )
        truncated.add(1 if len(exported) < len(active) else 0, (("part", "metrics"),))
        truncated.add(1 if len(monitors) < len(all_monitors) else 0, (("part", "monitors"),))
        return [info, timestamp, minute, catalogued, truncated]

    def _monitor_families(self, monitors: Sequence[Monitor]) -> list[Family]:
        keys = [MonitorKey(monitor.tenant_id, monitor.id) for monitor in monitors]
        states = self.probes.load_states(keys) if keys else {}
        response_times = self._parallel(
            lambda monitor: self._last_response_time_ms(monitor, states[MonitorKey(monitor.tenant_id, monitor.id)]),
            monitors,
        )

        up = Family(
            "vigil_monitor_up",
            "1 when the monitor is UP, DEGRADED or PENDING (failing, not yet past its failure threshold), "
            "0 when DOWN; absent in MAINTENANCE and before its first conclusive check.",
            "gauge",
        )
        status = Family(
            "vigil_monitor_status",
            "1 for the monitor's current status, 0 for the others (UNKNOWN: never checked).",
            "gauge",
        )
        response_time = Family(
            "vigil_monitor_response_time_seconds",
            "Response time of the monitor's last check, when it had one.",
            "gauge",
        )
        last_check = Family(
            "vigil_monitor_last_check_timestamp_seconds", "When the monitor was last checked (Unix time).", "gauge"
        )
        failures = Family(
            "vigil_monitor_consecutive_failures", "Failed checks in a row since the last successful one.", "gauge"
        )
        interval = Family("vigil_monitor_check_interval_seconds", "How often the monitor is checked.", "gauge")
        enabled = Family("vigil_monitor_enabled", "1 when the monitor is scheduled, 0 when it is paused.", "gauge")

        for monitor, response_time_ms in zip(monitors, response_times, strict=True):
            state = states[MonitorKey(monitor.tenant_id, monitor.id)].state
            definition = monitor.definition
            labels: Labels = (("monitor", monitor.id), ("name", definition.name), ("type", definition.type.value))
            current = state.status.value if state.status is not None else UNKNOWN_STATUS
            if state.status is not None and state.status is not MonitorStatus.MAINTENANCE:
                up.add(0 if state.status is MonitorStatus.DOWN else 1, labels)
            for candidate in MONITOR_STATUSES:
                status.add(1 if candidate == current else 0, (*labels, ("status", candidate)))
            if response_time_ms is not None:
                response_time.add(response_time_ms / 1000, labels)
            if state.last_checked_at is not None:
                last_check.add(state.last_checked_at.timestamp(), labels)
            failures.add(state.consecutive_failures, labels)
            interval.add(definition.interval, labels)
            enabled.add(1 if definition.enabled else 0, labels)
        return [up, status, response_time, last_check, failures, interval, enabled]

    def _last_response_time_ms(self, monitor: Monitor, stored: StoredMonitorState) -> float | None:
        checked_at = stored.state.last_checked_at
        if checked_at is None:
            return None
        # Newest first: the first result at or before the state's last check is that check.
        since = checked_at - timedelta(seconds=monitor.definition.interval)
        results = self.probes.results(MonitorKey(monitor.tenant_id, monitor.id), since, checked_at)
        return results[0].response_time_ms if results else None

    def _alert_families(self, tenant_id: str) -> list[Family]:
        counts = dict.fromkeys(Severity, 0)
        for alert in self.alerts.open_alerts(tenant_id):
            counts[alert.severity] += 1
        family = Family("vigil_alerts_open", "Open alerts (pending, firing or acknowledged) by severity.", "gauge")
        for severity in sorted(Severity, key=lambda severity: severity.rank):
            family.add(counts[severity], (("severity", severity.value),))
        return [family]

    def _stored_metric_families(
        self, tenant_id: str, entries: Sequence[MetricCatalogEntry], minute_start: int
    ) -> list[Family]:
        minute_end = minute_start + Resolution.MINUTE.seconds
        stored = self._parallel(
            lambda entry: self.rollups.read(tenant_id, entry.name, Resolution.MINUTE, minute_start, minute_end),
            entries,
        )
        families: list[Family] = []
        for entry, base, items in zip(entries, family_bases(entries), stored, strict=True):
            # A series stored with another type than the catalogue's (the name changed type within the minute)
            # would not fit the name's families: it is left out.
            matching = [item for item in items if item.rollup.metric_type is entry.metric_type]
            families += metric_families(entry, base, matching)
        return families

    def _parallel(self, work: Callable[[_ItemT], _ResultT], items: Sequence[_ItemT]) -> list[_ResultT]:
        """`work` on every item, a few at a time (each is one store round trip), results in item order."""
        if len(items) <= 1:
            return [work(item) for item in items]
        with ThreadPoolExecutor(max_workers=min(self.max_workers, len(items))) as pool:
            return list(pool.map(work, items))


# -- stored series ------------------------------------------------------------------------------------


def sanitize_name(name: str) -> str:
    """A metric or label name's characters made valid; the result never starts with a digit."""
    cleaned = _INVALID_NAME_CHARACTERS.sub("_", name)
    return f"_{cleaned}" if not cleaned or cleaned[0].isdigit() else cleaned


def family_names(base: str, metric_type: MetricType) -> tuple[str, ...]:
    """The families a metric of this type exports, given its base name (vigil_<sanitized name>)."""
    if metric_type is MetricType.COUNTER:
        return (f"{base}_increase_1m",)
    if metric_type is MetricType.GAUGE:
        return tuple(f"{base}_{stat}_1m" for stat in ("avg", "min", "max", "samples"))
    return (f"{base}_1m",)


def exposed_names(base: str, metric_type: MetricType) -> set[str]:
    """Every name the metric puts in the output: its families' and, for a histogram, its samples' names."""
    names = set(family_names(base, metric_type))
    if metric_type is MetricType.HISTOGRAM:
        names |= {f"{name}{suffix}" for name in set(names) for suffix in ("_bucket", "_sum", "_count")}
    return names


def family_bases(entries: Sequence[MetricCatalogEntry]) -> list[str]:
    """Each entry's base name, collisions resolved: the entries that needed no sanitizing claim their names
    first, then the others, each in name order; an entry whose names are taken gets a hash suffix."""
    taken: set[str] = set()
    bases: dict[str, str] = {}
    for entry in sorted(entries, key=lambda entry: (sanitize_name(entry.name) != entry.name, entry.name)):
        plain = PREFIX + sanitize_name(entry.name)
        digest = hashlib.sha256(entry.name.encode()).hexdigest()
        # Longer hashes, then numbers, only if pushed names happen to equal another's suffixed one.
        candidates = itertools.chain([plain], (f"{plain}_{digest[:length]}" for length in range(6, 65, 2)))
        candidates = itertools.chain(candidates, (f"{plain}_{digest}_{number}" for number in itertools.count(2)))
        base = next(name for name in candidates if not exposed_names(name, entry.metric_type) & taken)
        taken |= exposed_names(base, entry.metric_type)
        bases[entry.name] = base
    return [bases[entry.name] for entry in entries]


def series_labels(labels: Iterable[tuple[str, str]]) -> Labels:
    """A stored series' labels as Prometheus takes them: names sanitized, names the exporter sets itself and
    reserved ones (__*) renamed exported_<name>, and a name made twice by that numbered (_2, _3) in order."""
    result: dict[str, str] = {}
    for name, value in sorted(labels):
        clean = sanitize_name(name)
        if clean in RESERVED_LABELS or clean.startswith("__"):
            clean = f"exported_{clean}"
        unique, number = clean, 1
        while unique in result:
            number += 1
            unique = f"{clean}_{number}"
        result[unique] = value
    return tuple(sorted(result.items()))


def merge_by_labels(stored: Iterable[StoredRollup]) -> list[tuple[Labels, Rollup]]:
    """One rollup per exported label set: series that differ only in what sanitizing changed are added up,
    so no series is exported twice."""
    merged: dict[Labels, Rollup] = {}
    for item in stored:
        labels = series_labels(item.series.labels)
        if labels in merged:
            merged[labels].merge(item.rollup)
        else:
            merged[labels] = item.rollup.copy()
    return sorted(merged.items())


def metric_families(entry: MetricCatalogEntry, base: str, stored: Iterable[StoredRollup]) -> list[Family]:
    series = merge_by_labels(stored)
    source = _describe(entry)
    if entry.metric_type is MetricType.COUNTER:
        increase = Family(f"{base}_increase_1m", f"{source}: sum of the increments pushed in the minute.", "gauge")
        for labels, rollup in series:
            increase.add(rollup.total, labels)
        return [increase]
    if entry.metric_type is MetricType.GAUGE:
        average = Family(f"{base}_avg_1m", f"{source}: average of the values pushed in the minute.", "gauge")
        lowest = Family(f"{base}_min_1m", f"{source}: lowest value pushed in the minute.", "gauge")
        highest = Family(f"{base}_max_1m", f"{source}: highest value pushed in the minute.", "gauge")
        samples = Family(f"{base}_samples_1m", f"{source}: how many values were pushed in the minute.", "gauge")
        for labels, rollup in series:
            average.add(rollup.average, labels)
            lowest.add(rollup.minimum, labels)
            highest.add(rollup.maximum, labels)
            samples.add(rollup.count, labels)
        return [average, lowest, highest, samples]
    histogram = Family(
        f"{base}_1m", f"{source}: the observations of the minute (bucket bounds in the metric's unit).", "histogram"
    )
    for labels, rollup in series:
        buckets = rollup.buckets or [0] * BUCKET_COUNT
        cumulative = 0
        # The last stored bucket is the open-ended one: +Inf.
        for bound, count in zip(HISTOGRAM_BOUNDS, buckets[:-1], strict=True):
            cumulative += count
            histogram.add(cumulative, (*labels, ("le", format_value(bound))), "_bucket")
        # +Inf is the count itself, so it always equals _count.
        histogram.add(rollup.count, (*labels, ("le", "+Inf")), "_bucket")
        histogram.add(rollup.total, labels, "_sum")
        histogram.add(rollup.count, labels, "_count")
    return [histogram]


def _describe(entry: MetricCatalogEntry) -> str:
    unit = "" if entry.unit in ("", Unit.NONE.value) else f", unit {entry.unit}"
    return f"vigil {entry.metric_type.value} {entry.name}{unit}"


# -- the text format ------------------------------------------------------------------------------------


def render(families: Iterable[Family], comments: Sequence[str] = ()) -> str:
    """Families one after the other, each with its HELP and TYPE; families without samples are left out."""
    lines = [f"# {comment}" for comment in comments]
    for family in families:
        if not family.samples:
            continue
        lines.append(f"# HELP {family.name} {escape_help(family.help)}")
        lines.append(f"# TYPE {family.name} {family.type}")
        for sample in family.samples:
            lines.append(f"{family.name}{sample.suffix}{format_labels(sample.labels)} {format_value(sample.value)}")
    return "\n".join(lines) + "\n"


def format_labels(labels: Labels) -> str:
    if not labels:
        return ""
    return "{" + ",".join(f'{name}="{escape_label_value(value)}"' for name, value in labels) + "}"


def escape_label_value(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def escape_help(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\n", "\\n")


def format_value(value: float) -> str:
    """Integers without a fraction (as Go writes them), other numbers in their shortest exact form."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(float(value))
