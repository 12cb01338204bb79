"""The whole path on the local cloud: the synthesized template on an emulated AWS, the real handlers behind
a real HTTP server on 127.0.0.1, driven the way an app and an operator would.

The `cloud` fixture decides the backend: moto here (tests/integration/conftest.py), LocalStack with the stack
deployed through its CloudFormation in tests/localstack, which runs these same scenarios."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest

from tests.support import load_event
from vigil_cli.bootstrap import create_demo_tenant
from vigil_cli.local.cloud import LocalCloud
from vigil_core.adapters.dynamodb_tenants import DynamoDBTenantDirectory
from vigil_core.models.tenants import SlaTier
from vigil_core.services.tenants import create_tenant

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def demo_key(cloud: LocalCloud) -> str:
    return create_demo_tenant(cloud).api_key


@pytest.fixture(scope="module")
def other_key(cloud: LocalCloud) -> str:
    directory = DynamoDBTenantDirectory(cloud.functions.get("ingest").environment["CONFIG_TABLE_NAME"])
    return create_tenant(directory, "globex", "Globex", SlaTier.BASIC, datetime.now(UTC))[1].plaintext


@pytest.fixture
def api(cloud: LocalCloud) -> Iterator[httpx.Client]:
    assert cloud.api_url is not None and cloud.api_url.startswith("http://127.0.0.1:")
    with httpx.Client(base_url=cloud.api_url, timeout=30) as client:
        yield client


def push(api: httpx.Client, key: str, points: list[dict[str, Any]], **headers: str) -> httpx.Response:
    return api.post("/v1/metrics", json={"points": points}, headers={"x-api-key": key, **headers})


def unique_name() -> str:
    return f"app.metric_{uuid.uuid4().hex[:8]}"


def test_pushed_points_come_back_from_the_query_endpoint(api: httpx.Client, demo_key: str) -> None:
    # Given an app pushing a gauge for two hosts and a latency histogram
    name, latency = unique_name(), unique_name()
    points = [
        {"name": name, "type": "gauge", "value": v, "unit": "percent", "labels": {"host": h}}
        for v, h in ((40.0, "a"), (60.0, "a"), (10.0, "b"))
    ]
    points += [{"name": latency, "type": "histogram", "value": v, "unit": "ms"} for v in (20, 40, 900)]
    # When it pushes the batch over HTTP
    pushed = push(api, demo_key, points)
    # Then the batch is accepted and the series come back from the query endpoint
    assert pushed.status_code == 202, pushed.text
    assert pushed.json()["accepted"] == 6 and pushed.json()["series"] == 3
    queried = api.get(
        f"/v1/metrics/{name}", params={"from": "-10m", "label.host": "a"}, headers={"x-api-key": demo_key}
    )
    assert queried.status_code == 200, queried.text
    [series] = queried.json()["series"]
    assert series["labels"] == {"host": "a"}
    assert [(p["count"], p["min"], p["max"], p["avg"]) for p in series["points"]] == [(2, 40.0, 60.0, 50.0)]
    histogram = api.get(f"/v1/metrics/{latency}", headers={"Authorization": f"Bearer {demo_key}"}).json()
    point = histogram["series"][0]["points"][0]
    assert point["count"] == 3 and point["max"] == 900 and point["p50"] <= point["p99"] <= 900


def test_a_replay_with_the_same_idempotency_key_is_counted_once(api: httpx.Client, demo_key: str) -> None:
    name = unique_name()
    points = [{"name": name, "type": "counter", "value": 5}, {"name": name, "type": "counter", "value": 7}]
    first = push(api, demo_key, points, **{"Idempotency-Key": f"replay-{name}"})
    replay = push(api, demo_key, points, **{"Idempotency-Key": f"replay-{name}"})
    assert (first.status_code, replay.status_code) == (202, 202)
    assert replay.json() == first.json()
    assert replay.headers.get("idempotent-replayed") == "true"
    [point] = api.get(f"/v1/metrics/{name}", headers={"x-api-key": demo_key}).json()["series"][0]["points"]
    assert (point["count"], point["sum"]) == (2, 12)
    conflicting = push(api, demo_key, points[:1], **{"Idempotency-Key": f"replay-{name}"})
    assert conflicting.status_code == 422


def test_a_second_tenant_never_reads_the_first_tenants_metrics(
    api: httpx.Client, demo_key: str, other_key: str
) -> None:
    name = unique_name()
    assert push(api, demo_key, [{"name": name, "type": "gauge", "value": 1}]).status_code == 202
    theirs = api.get(f"/v1/metrics/{name}", headers={"x-api-key": other_key})
    assert theirs.status_code == 404
    assert push(api, other_key, [{"name": name, "type": "gauge", "value": 99}]).status_code == 202
    mine = api.get(f"/v1/metrics/{name}", headers={"x-api-key": demo_key}).json()
    assert [p["max"] for s in mine["series"] for p in s["points"]] == [1]


@pytest.mark.parametrize(
    ("request_kwargs", "status", "error"),
    [
        (
            {
                "content": b'{"points": [{"name": "x", "type": "gauge", "value": 1}]}',
                "headers": {"content-type": "text/plain"},
            },
            415,
            "unsupported_media_type",
        ),
        ({"content": b'{"points": [', "headers": {"content-type": "application/json"}}, 400, "validation_error"),
        (
            {
                "content": b'{"points": [' + b" " * (1024 * 1024) + b"]}",
                "headers": {"content-type": "application/json"},
            },
            413,
            "payload_too_large",
        ),
        (
            {"json": {"points": [{"name": "x", "type": "gauge", "value": 1}]}, "headers": {"x-api-key": "vgl_nope"}},
            401,
            "unauthorized",
        ),
    ],
)
def test_bad_requests_get_their_4xx_over_http(
    api: httpx.Client, demo_key: str, request_kwargs: dict[str, Any], status: int, error: str
) -> None:
    headers = {"x-api-key": demo_key, **request_kwargs.pop("headers")}
    response = api.post("/v1/metrics", headers=headers, **request_kwargs)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/json"
    assert response.json()["error"] == error


def test_an_invalid_point_names_its_index_and_field_and_stores_nothing(api: httpx.Client, demo_key: str) -> None:
    name = unique_name()
    response = push(
        api, demo_key, [{"name": name, "type": "gauge", "value": 1}, {"name": name, "type": "counter", "value": -2}]
    )
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"index": 1, "field": "value", "problem": "a counter increment cannot be negative (counters only go up)"}
    ]
    assert api.get(f"/v1/metrics/{name}", headers={"x-api-key": demo_key}).status_code == 404


def test_the_sample_events_run_through_the_deployed_functions(cloud: LocalCloud, demo_key: str) -> None:
    # Given the running cloud, whose demo tenant also holds the sample events' key
    # When each sample event is invoked on its function
    ingested = cloud.functions.invoke("ingest", load_event("ingest_post_metrics"))
    first = cloud.functions.invoke("ingest", load_event("ingest_post_metrics_idempotent"))
    replayed = cloud.functions.invoke("ingest", load_event("ingest_post_metrics_idempotent"))
    queried = cloud.functions.invoke("query", load_event("query_get_metric"))
    # Then they answer as the API would, the replay counted once (two batches of two latencies each)
    assert [r["statusCode"] for r in (ingested, first, replayed, queried)] == [202, 202, 202, 200]
    assert "Idempotent-Replayed" in json.dumps(replayed["multiValueHeaders"])
    series = json.loads(queried["body"])["series"]
    assert series[0]["labels"] == {"service": "checkout"} and series[0]["points"][0]["count"] == 4


def test_expired_rollups_are_swept_as_dynamodb_ttl_would(cloud: LocalCloud, api: httpx.Client, demo_key: str) -> None:
    # Given a stored rollup (minute items expire 7 days after their minute)
    name = unique_name()
    assert push(api, demo_key, [{"name": name, "type": "gauge", "value": 1}]).status_code == 202
    table = cloud.functions.get("ingest").environment["METRICS_TABLE_NAME"]
    dynamodb = boto3.client("dynamodb", endpoint_url=cloud.backend_url, region_name="us-east-1")

    def stored(resolution: str) -> int:
        return len(
            dynamodb.query(
                TableName=table,
                KeyConditionExpression="pk = :pk",
                ExpressionAttributeValues={":pk": {"S": f"demo#{name}#{resolution}"}},
            )["Items"]
        )

    # When the sweeper runs eight days later
    cloud.sweeper.sweep(datetime.now(UTC) + timedelta(days=8))
    # Then the minute rollup is gone and the hour and day rollups remain
    assert (stored("m"), stored("h"), stored("d")) == (0, 1, 1)


def test_the_write_count_grows_with_series_minutes_not_points(api: httpx.Client, demo_key: str) -> None:
    name = unique_name()
    stamp = int(time.time()) // 60 * 60 + 1
    points = [
        {"name": name, "type": "counter", "value": 1, "labels": {"series": str(i % 5)}, "timestamp": stamp}
        for i in range(1000)
    ]
    body = push(api, demo_key, points).json()
    assert body == {**body, "accepted": 1000, "series": 5, "series_minutes": 5, "writes": 15}


def test_the_template_in_use_is_the_one_the_cdk_app_synthesizes(cloud: LocalCloud) -> None:
    assert cloud.template_path is not None and cloud.template_path.name == "Vigil.template.json"
    assert sorted(cloud.functions.names()) == [
        "account",
        "alert-evaluator",
        "alerts",
        "dashboard",
        "escalator",
        "heartbeat",
        "ingest",
        "monitors",
        "notifier-email",
        "notifier-pagerduty",
        "notifier-slack",
        "notifier-sms",
        "notifier-webhook",
        "probe-scheduler",
        "probe-worker",
        "query",
        "sla",
        "sla-reporter",
    ]
    assert Path(cloud.functions.get("ingest").code_dir).name.startswith("asset.")
