"""GET /v1/metrics/{name} through the real query handler on in-memory adapters."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from types import ModuleType
from typing import Any

import pytest

from tests.support import SAMPLE_EVENT_KEY, FakeLambdaContext, InMemoryVigil, api_event, load_event, load_handler
from vigil_core.models.metrics import MetricBatch
from vigil_core.models.rollups import Resolution
from vigil_core.services.ingest import Retention, ingest_batch
from vigil_core.services.query import parse_query, resolution_for

NOW = datetime.now(UTC).replace(second=30, microsecond=0)


@pytest.fixture(scope="module")
def query() -> ModuleType:
    return load_handler("query")


@pytest.fixture
def vigil(query: ModuleType) -> Iterator[InMemoryVigil]:
    wiring = InMemoryVigil()
    wiring.add_key("tenant-a", "key-a")
    wiring.add_key("tenant-b", "key-b")
    wiring.add_key("sample", SAMPLE_EVENT_KEY)
    query.dependencies.use(wiring.query_dependencies())
    yield wiring
    query.dependencies.reset()


def store(wiring: InMemoryVigil, tenant: str, points: list[dict[str, Any]]) -> None:
    batch = MetricBatch.model_validate({"points": points}, context={"now": NOW})
    ingest_batch(tenant, batch, f"batch-{len(wiring.store.items)}", wiring.store, Retention(), NOW)


def get(
    query: ModuleType, name: str, params: dict[str, str] | None = None, key: str = "key-a"
) -> tuple[int, dict[str, Any]]:
    event = api_event(
        "GET",
        f"/v1/metrics/{name}",
        headers={"x-api-key": key},
        query=params,
        resource="/v1/metrics/{name}",
        path_parameters={"name": name},
    )
    response = query.handler(event, FakeLambdaContext())
    return response["statusCode"], json.loads(response["body"])


def window_to_now(minutes: int) -> dict[str, str]:
    """`from` and `to` around NOW (the points' time), not the clock: the test may run minutes after import."""
    end = int(NOW.timestamp())
    return {"from": str(end - minutes * 60), "to": str(end)}


def minutes_ago(n: int) -> str:
    return (NOW - timedelta(minutes=n)).isoformat()


def test_points_come_back_per_minute_with_their_aggregates(query: ModuleType, vigil: InMemoryVigil) -> None:
    # Given gauge points in two different minutes
    store(vigil, "tenant-a", [
        {"name": "system.cpu", "type": "gauge", "value": v, "unit": "percent", "labels": {"host": "a"}, "timestamp": t}
        for v, t in [(10, minutes_ago(3)), (30, minutes_ago(3)), (50, minutes_ago(1))]
    ])  # fmt: skip
    # When they are queried at a one-minute step
    status, body = get(query, "system.cpu", {**window_to_now(10), "step": "60"})
    # Then one series comes back with one point per minute and exact aggregates
    assert status == 200
    assert body["resolution"] == "minute" and body["step"] == 60
    [series] = body["series"]
    assert series["labels"] == {"host": "a"} and series["type"] == "gauge" and series["unit"] == "percent"
    assert [(p["count"], p["min"], p["max"], p["avg"]) for p in series["points"]] == [(2, 10, 30, 20), (1, 50, 50, 50)]


def test_a_coarser_step_merges_minutes_and_counters_get_a_rate(query: ModuleType, vigil: InMemoryVigil) -> None:
    start = NOW.replace(minute=0, second=5) - timedelta(hours=1)
    store(vigil, "tenant-a", [
        {"name": "http.requests", "type": "counter", "value": 60, "timestamp": (start + timedelta(minutes=m)).isoformat()}
        for m in range(0, 60, 10)
    ])  # fmt: skip
    status, body = get(
        query,
        "http.requests",
        {"from": str(int(start.timestamp())), "to": str(int(start.timestamp()) + 3600), "step": "1h"},
    )
    assert status == 200
    assert body["resolution"] == "hour"
    [point] = body["series"][0]["points"]
    assert point["sum"] == 360 and point["count"] == 6
    assert point["rate"] == pytest.approx(0.1)


def test_histograms_report_quantiles(query: ModuleType, vigil: InMemoryVigil) -> None:
    store(
        vigil,
        "tenant-a",
        [{"name": "http.latency", "type": "histogram", "value": v, "unit": "ms"} for v in range(1, 101)],
    )
    status, body = get(query, "http.latency", {**window_to_now(5), "step": "5m"})
    assert status == 200
    point = body["series"][0]["points"][-1]
    assert 40 <= point["p50"] <= 60 and 90 <= point["p95"] <= 100 and point["p99"] <= 100


def test_label_matchers_select_series(query: ModuleType, vigil: InMemoryVigil) -> None:
    store(
        vigil,
        "tenant-a",
        [{"name": "system.cpu", "type": "gauge", "value": 1, "labels": {"host": h}} for h in ("a", "b")],
    )
    status, body = get(query, "system.cpu", {"label.host": "b"})
    assert status == 200
    assert [s["labels"] for s in body["series"]] == [{"host": "b"}]


def test_a_second_tenant_never_reads_the_first_tenants_metrics(query: ModuleType, vigil: InMemoryVigil) -> None:
    # Given tenant A's data
    store(vigil, "tenant-a", [{"name": "system.cpu", "type": "gauge", "value": 99}])
    # When tenant B asks for the same metric
    status, body = get(query, "system.cpu", key="key-b")
    # Then B gets nothing of A's
    assert status == 404
    assert "99" not in json.dumps(body)


def test_the_sample_event_queries_the_sample_tenant(query: ModuleType, vigil: InMemoryVigil) -> None:
    store(
        vigil,
        "sample",
        [{"name": "http.latency", "type": "histogram", "value": 120, "unit": "ms", "labels": {"service": "checkout"}}],
    )
    response = query.handler(load_event("query_get_metric"), FakeLambdaContext())
    assert response["statusCode"] == 200
    assert json.loads(response["body"])["series"][0]["labels"] == {"service": "checkout"}


def test_unknown_metric_is_a_404_that_says_what_was_asked(query: ModuleType, vigil: InMemoryVigil) -> None:
    status, body = get(query, "no.such.metric", {"label.host": "x"})
    assert status == 404
    assert "no.such.metric" in body["message"] and "host" in body["message"]


def test_missing_key_is_a_401(query: ModuleType, vigil: InMemoryVigil) -> None:
    assert get(query, "system.cpu", key="")[0] == 401


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from": "yesterday"}, "from"),
        ({"to": "soon"}, "to"),
        ({"from": "-1h", "to": "-2h"}, "from"),
        ({"step": "30"}, "step"),
        ({"step": "90s"}, "step"),
        ({"step": "fast"}, "step"),
        ({"from": "-30d", "step": "60"}, "step"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_query_parameters_get_400_naming_the_parameter(
    query: ModuleType, vigil: InMemoryVigil, params: dict[str, str], field: str
) -> None:
    status, body = get(query, "system.cpu", params)
    assert status == 400
    assert body["errors"][0]["field"] == field


def test_a_bad_metric_name_gets_400(query: ModuleType, vigil: InMemoryVigil) -> None:
    status, body = get(query, "9-bad")
    assert status == 400 and body["errors"][0]["field"] == "name"


@pytest.mark.parametrize(
    ("step", "resolution"),
    [
        (60, Resolution.MINUTE),
        (300, Resolution.MINUTE),
        (3600, Resolution.HOUR),
        (7200, Resolution.HOUR),
        (86400, Resolution.DAY),
        (90000, Resolution.HOUR),
    ],
)
def test_the_coarsest_resolution_that_tiles_the_step_is_read(step: int, resolution: Resolution) -> None:
    assert resolution_for(step) is resolution


def test_time_parameters_accept_relative_epoch_and_rfc3339() -> None:
    now = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
    epoch = int(now.timestamp())
    assert parse_query("m", {"from": "-15m"}, now).start == epoch - 900
    assert parse_query("m", {"from": str(epoch - 60), "to": "now"}, now).start == epoch - 60
    assert parse_query("m", {"from": "2026-11-22T11:00:00Z"}, now).start == epoch - 3600
    assert parse_query("m", {"from": "-7d"}, now).step == 3600  # default step keeps the series short


def test_a_point_in_the_first_second_of_a_minute_is_found_by_a_query_in_that_second(
    query: ModuleType, vigil: InMemoryVigil
) -> None:
    # Given a point at 12:00:00.3 (its minute bucket starts at 12:00:00)
    minute = NOW.replace(second=0) - timedelta(minutes=2)  # NOW, not the clock: the suite may run long after import
    store(
        vigil,
        "tenant-a",
        [
            {
                "name": "system.cpu",
                "type": "gauge",
                "value": 7,
                "timestamp": (minute + timedelta(milliseconds=300)).isoformat(),
            }
        ],
    )
    # When the query's `to` is that same second (12:00:00, as `now` truncated to seconds would be)
    status, body = get(
        query, "system.cpu", {"from": str(int(minute.timestamp()) - 600), "to": str(int(minute.timestamp()))}
    )
    # Then the point is included: `to` is inclusive
    assert status == 200
    assert [p["max"] for p in body["series"][0]["points"]] == [7]
