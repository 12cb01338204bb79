"""Rollup maths: one delta per series-bucket per resolution, exact merges, quantiles from buckets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from vigil_core.models.metrics import MetricPoint, MetricType
from vigil_core.models.rollups import HISTOGRAM_BOUNDS, Resolution, Rollup, aggregate, histogram_quantile

T0 = datetime(2026, 11, 22, 10, 0, 0, tzinfo=UTC)


def gauge(value: float, at: datetime | None = None, **labels: str) -> MetricPoint:
    return MetricPoint(name="system.cpu", type=MetricType.GAUGE, value=value, labels=labels, timestamp=at)


def test_points_of_one_series_in_one_minute_collapse_into_one_delta_per_resolution() -> None:
    points = [gauge(v, T0 + timedelta(seconds=s), host="a") for v, s in [(10, 1), (30, 20), (20, 59)]]
    deltas = aggregate(points, received_at=T0)
    assert len(deltas) == 3
    assert {key.resolution for key in deltas} == set(Resolution)
    minute = next(r for k, r in deltas.items() if k.resolution is Resolution.MINUTE)
    assert (minute.count, minute.total, minute.minimum, minute.maximum) == (3, 60.0, 10.0, 30.0)


def test_label_order_does_not_split_a_series() -> None:
    first = MetricPoint(name="m", type=MetricType.GAUGE, value=1, labels={"a": "1", "b": "2"})
    second = MetricPoint(name="m", type=MetricType.GAUGE, value=2, labels={"b": "2", "a": "1"})
    deltas = aggregate([first, second], received_at=T0)
    assert len({key.series for key in deltas}) == 1


def test_buckets_follow_the_point_time_and_points_without_time_take_the_receive_time() -> None:
    points = [gauge(1, T0 - timedelta(minutes=61)), gauge(2, T0 + timedelta(seconds=30)), gauge(3)]
    deltas = aggregate(points, received_at=T0 + timedelta(minutes=1, seconds=5))
    minutes = sorted(k.start for k in deltas if k.resolution is Resolution.MINUTE)
    hours = sorted(k.start for k in deltas if k.resolution is Resolution.HOUR)
    t0 = int(T0.timestamp())
    assert minutes == [t0 - 61 * 60, t0, t0 + 60]
    assert hours == [t0 - 7200, t0]


def test_histogram_observations_land_in_their_buckets() -> None:
    rollup = Rollup(MetricType.HISTOGRAM, "ms")
    for value in (0.5, 1, 1.01, 99, 100, 100.5, 1e6):
        rollup.add(value)
    counts = dict(zip((*HISTOGRAM_BOUNDS, float("inf")), rollup.buckets, strict=True))
    assert counts[1] == 2  # upper bounds are inclusive, as Prometheus' "le"
    assert counts[2.5] == 1
    assert counts[100] == 2
    assert counts[150] == 1
    assert counts[float("inf")] == 1
    assert sum(rollup.buckets) == rollup.count == 7


def test_merge_is_exact_for_count_sum_min_max_and_buckets() -> None:
    left, right = Rollup(MetricType.HISTOGRAM, "ms"), Rollup(MetricType.HISTOGRAM, "ms")
    for value in (5, 50):
        left.add(value)
    for value in (1, 500, 5000):
        right.add(value)
    left.merge(right)
    assert (left.count, left.total, left.minimum, left.maximum) == (5, 5556.0, 1.0, 5000.0)
    assert sum(left.buckets) == 5


def test_quantiles_interpolate_inside_the_bucket_and_stay_within_observed_range() -> None:
    rollup = Rollup(MetricType.HISTOGRAM, "ms")
    for _ in range(100):
        rollup.add(80)  # all in the (75, 100] bucket
    median = rollup.quantile(0.5)
    assert median is not None and 75 <= median <= 80
    assert rollup.quantile(0.99) == pytest.approx(80)
    assert histogram_quantile(0.5, [], 0, 0) is None


def test_quantile_of_a_spread_distribution() -> None:
    rollup = Rollup(MetricType.HISTOGRAM, "ms")
    for value in range(1, 1001):
        rollup.add(value)
    p50, p95 = rollup.quantile(0.5), rollup.quantile(0.95)
    assert p50 is not None and p95 is not None
    assert 400 <= p50 <= 600
    assert 900 <= p95 <= 1000
