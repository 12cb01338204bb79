"""Good and total events of an SLO: counted into a metric SLO's windows at ingest, and read back from any
SLO's windows (a monitor's for probe SLIs) by reports and burn-rate alerts."""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

from vigil_core.models.alerts import matches_all
from vigil_core.models.metrics import MetricPoint, MetricType, Unit
from vigil_core.models.rollups import HISTOGRAM_BOUNDS
from vigil_core.models.sla import LATENCY_BUCKETS
from vigil_core.models.slo import LatencySli, MetricLatencySli, RatioSli, Slo

_TO_MS = {Unit.SECONDS: 1000.0, Unit.MICROSECONDS: 0.001, Unit.NANOSECONDS: 0.000001}
_MINUTE_S = 60


def fast_buckets(threshold_ms: float) -> tuple[str, ...]:
    """The latency buckets whose every value is at or under the threshold (a bucket bound)."""
    return LATENCY_BUCKETS[: HISTOGRAM_BOUNDS.index(threshold_ms) + 1]


def sli_events(slo: Slo, windows: Iterable[Mapping[str, float]]) -> tuple[float, float]:
    """(good, total) over the windows: a latency SLI on a monitor counts the checks that measured a response
    time and, as good, those in buckets at or under its threshold; every other SLI reads good and total."""
    good = total = 0.0
    sli = slo.definition.sli
    fast = fast_buckets(sli.threshold_ms) if isinstance(sli, LatencySli) else ()
    for window in windows:
        if fast:
            total += window.get("latency_count", 0)
            good += sum(window.get(name, 0) for name in fast)
        else:
            total += window.get("total", 0)
            good += window.get("good", 0)
    return good, total


def in_ms(point: MetricPoint) -> float:
    return point.value * _TO_MS.get(point.unit, 1.0)


def metric_slo_increments(
    slos: Sequence[Slo], points: Iterable[MetricPoint], received_at: datetime
) -> dict[tuple[str, int], dict[str, float]]:
    """What a batch adds to its tenant's metric SLOs' windows, per (SLO partition, minute).

    A ratio SLI counts the value of each matching counter point as events (a counter point is an increment);
    a metric latency SLI counts each matching histogram observation, good when at or under its threshold,
    and keeps its latency histogram (in ms) for average and p95 figures. Points of another type are ignored.
    """
    metric_slos = [slo for slo in slos if isinstance(slo.definition.sli, RatioSli | MetricLatencySli)]
    increments: dict[tuple[str, int], dict[str, float]] = {}
    if not metric_slos:
        return increments
    default_epoch = received_at.timestamp()
    for point in points:
        for slo in metric_slos:
            sli = slo.definition.sli
            assert isinstance(sli, RatioSli | MetricLatencySli)
            if point.name != sli.metric or not matches_all(sli.matchers, point.labels):
                continue
            epoch = point.timestamp.timestamp() if point.timestamp is not None else default_epoch
            minute = int(epoch // _MINUTE_S) * _MINUTE_S
            counters = increments.setdefault((slo.window_partition, minute), {})
            if isinstance(sli, RatioSli):
                if point.type is not MetricType.COUNTER:
                    continue
                _add(counters, "total", point.value)
                picked = matches_all(sli.bad or sli.good or (), point.labels)
                if picked == (sli.good is not None):
                    _add(counters, "good", point.value)
            else:
                if point.type is not MetricType.HISTOGRAM:
                    continue
                value = in_ms(point)
                _add(counters, "total", 1)
                if value <= sli.threshold_ms:
                    _add(counters, "good", 1)
                _add(counters, "latency_count", 1)
                _add(counters, "latency_sum_ms", value)
                _add(counters, LATENCY_BUCKETS[bisect.bisect_left(HISTOGRAM_BOUNDS, value)], 1)
    return {key: counters for key, counters in increments.items() if counters}


def _add(counters: dict[str, float], name: str, value: float) -> None:
    counters[name] = counters.get(name, 0) + value
