"""Series queries: pick the coarsest stored resolution that serves the step, then re-bucket to the step."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel

from vigil_core.errors import bad_request, not_found
from vigil_core.models.http import ApiRequest
from vigil_core.models.metrics import METRIC_NAME_PATTERN, MetricType
from vigil_core.models.rollups import Resolution, Rollup, Series, epoch_to_datetime
from vigil_core.ports import RollupStore
from vigil_core.services.auth import Authenticator

MAX_POINTS_PER_SERIES = 11_000
DEFAULT_RANGE_SECONDS = 3600
QUANTILES = (0.5, 0.9, 0.95, 0.99)
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_DURATION = re.compile(r"^(\d+)([smhdw])$")
_RELATIVE = re.compile(r"^-(\d+)([smhdw])$")
_NAME = re.compile(METRIC_NAME_PATTERN)


class QueryParams(BaseModel):
    start: int  # epoch seconds, inclusive
    end: int  # epoch seconds, inclusive
    step: int
    labels: dict[str, str]


class SeriesPoint(BaseModel):
    t: datetime
    count: int
    sum: float
    min: float
    max: float
    avg: float
    rate: float | None = None  # counters: increments per second over the step
    p50: float | None = None
    p90: float | None = None
    p95: float | None = None
    p99: float | None = None


class SeriesResult(BaseModel):
    labels: dict[str, str]
    type: MetricType
    unit: str
    points: list[SeriesPoint]


class QueryResult(BaseModel):
    metric: str
    start: datetime
    end: datetime
    step: int
    resolution: str
    series: list[SeriesResult]


@dataclass(frozen=True)
class QueryDependencies:
    authenticator: Authenticator
    store: RollupStore


def run_query(request: ApiRequest, name: str, deps: QueryDependencies, now: datetime) -> QueryResult:
    """GET /v1/metrics/{name}: the caller's tenant's series only; the tenant comes from the key."""
    tenant_id = deps.authenticator.tenant_for(request.headers)
    return query_metric(tenant_id, name, parse_query(name, request.query, now), deps.store)


def parse_query(name: str, params: Mapping[str, str] | None, now: datetime) -> QueryParams:
    if not _NAME.match(name) or len(name) > 200:
        raise bad_request("name", f"must match {METRIC_NAME_PATTERN.strip('^$')}")
    params = params or {}
    end = _parse_time("to", params["to"], now) if params.get("to") else int(now.timestamp())
    start = _parse_time("from", params["from"], now) if params.get("from") else end - DEFAULT_RANGE_SECONDS
    if start >= end:
        raise bad_request("from", "must be earlier than to")
    step = _parse_step(params["step"]) if params.get("step") else _default_step(end - start)
    if (end - start) / step > MAX_POINTS_PER_SERIES:
        raise bad_request("step", f"too small for this range: at most {MAX_POINTS_PER_SERIES} points per series")
    labels = {}
    for key, value in params.items():
        if key.startswith("label."):
            labels[key.removeprefix("label.")] = value
        elif key not in {"from", "to", "step"}:
            raise bad_request(key, "unknown query parameter (use from, to, step and label.<name>=<value>)")
    return QueryParams(start=start, end=end, step=step, labels=labels)


def resolution_for(step: int) -> Resolution:
    """The coarsest resolution whose buckets tile the step exactly."""
    fitting = [r for r in Resolution if r.seconds <= step and step % r.seconds == 0]
    return max(fitting, key=lambda r: r.seconds)


def query_metric(tenant_id: str, name: str, params: QueryParams, store: RollupStore) -> QueryResult:
    resolution = resolution_for(params.step)
    first_bucket = resolution.bucket_start(params.start)
    # `to` is inclusive: the bucket that starts at `to` (or before it) holds data from before `to`.
    stored = store.read(tenant_id, name, resolution, first_bucket, params.end + 1)
    grouped: dict[Series, dict[int, Rollup]] = {}
    for item in stored:
        if any(item.series.label_dict.get(k) != v for k, v in params.labels.items()):
            continue
        step_start = (item.start // params.step) * params.step
        buckets = grouped.setdefault(item.series, {})
        if step_start in buckets:
            buckets[step_start].merge(item.rollup)
        else:
            buckets[step_start] = item.rollup.copy()
    if not grouped:
        matching = f" with labels {params.labels}" if params.labels else ""
        raise not_found(
            f"no data for metric {name!r}{matching} between "
            f"{epoch_to_datetime(params.start).isoformat()} and {epoch_to_datetime(params.end).isoformat()}"
        )
    series = []
    for series_key, buckets in sorted(grouped.items(), key=lambda entry: entry[0].labels):
        points = sorted(buckets.items())
        first = points[0][1]
        series.append(
            SeriesResult(
                labels=series_key.label_dict,
                type=first.metric_type,
                unit=first.unit,
                points=[_point(start, rollup, params.step) for start, rollup in points],
            )
        )
    return QueryResult(
        metric=name,
        start=epoch_to_datetime(params.start),
        end=epoch_to_datetime(params.end),
        step=params.step,
        resolution=resolution.name.lower(),
        series=series,
    )


def _point(start: int, rollup: Rollup, step: int) -> SeriesPoint:
    extra: dict[str, Any] = {}
    if rollup.metric_type is MetricType.COUNTER:
        extra["rate"] = rollup.total / step
    if rollup.buckets:
        extra.update({f"p{round(q * 100)}": rollup.quantile(q) for q in QUANTILES})
    return SeriesPoint(
        t=epoch_to_datetime(start),
        count=rollup.count,
        sum=rollup.total,
        min=rollup.minimum,
        max=rollup.maximum,
        avg=rollup.average,
        **extra,
    )


def _parse_time(field: str, raw: str, now: datetime) -> int:
    text = raw.strip()
    if text == "now":
        return int(now.timestamp())
    relative = _RELATIVE.match(text)
    if relative:
        return int(now.timestamp()) - int(relative.group(1)) * _UNIT_SECONDS[relative.group(2)]
    try:
        return int(float(text))
    except ValueError:
        pass
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise bad_request(
            field, "must be epoch seconds, RFC 3339 (2026-01-01T00:00:00Z), now, or -15m/-6h/-7d"
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return int(parsed.timestamp())


def _parse_step(raw: str) -> int:
    text = raw.strip()
    match = _DURATION.match(text)
    seconds = int(match.group(1)) * _UNIT_SECONDS[match.group(2)] if match else None
    if seconds is None and text.isdigit():
        seconds = int(text)
    if seconds is None or seconds < 60 or seconds % 60:
        raise bad_request("step", "must be a whole number of minutes, at least 60s (e.g. 60, 5m, 1h, 1d)")
    return seconds


def _default_step(range_seconds: int) -> int:
    if range_seconds <= 6 * 3600:
        return 60
    if range_seconds <= 14 * 86400:
        return 3600
    return 86400
