"""Benchmark 2: DynamoDB write requests per 1,000 points spread over S series within one minute.

Runs `ingest_batch` through the real `DynamoDBRollupStore` on moto (in-process) and counts the write
API calls the client actually makes, by operation, with a botocore `before-call` hook. A batch whose
points all fall in one minute touches S series-minutes, each at three resolutions (minute, hour, day):
the design promises at most one write per (series, resolution, bucket), whatever the point count.
"""

from __future__ import annotations

import json
import math
import threading
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.common import (
    BenchmarkResult,
    Check,
    apply_handler_env,
    make_points,
    make_series,
    within_minute,
)

POINTS = 1000
SERIES_COUNTS = (1, 10, 50, 200)
RESOLUTIONS = 3
TABLE_NAME = "vigil-bench-metrics"
WRITE_OPERATIONS = frozenset({"PutItem", "UpdateItem", "BatchWriteItem", "TransactWriteItems", "DeleteItem"})
TARGET = 1.0
STEADY_SERIES = 10


def item_bytes(item: dict[str, Any]) -> int:
    """Approximate DynamoDB item size (AWS's sizing rules: names + values, 3 bytes per list or map plus
    1 per element); one write capacity unit covers 1 KB, so this says what each PutItem costs."""
    return sum(len(name.encode()) + _value_bytes(value) for name, value in item.items())


def _value_bytes(value: dict[str, Any]) -> int:
    kind, inner = next(iter(value.items()))
    if kind == "S":
        return len(str(inner).encode())
    if kind == "N":
        digits = str(inner).lstrip("-").replace(".", "").lstrip("0") or "0"
        return (len(digits) + 1) // 2 + 1
    if kind == "L":
        return 3 + sum(1 + _value_bytes(element) for element in inner)
    if kind == "M":
        return 3 + sum(1 + len(name.encode()) + _value_bytes(element) for name, element in inner.items())
    return 1


class CallCounter:
    """A botocore `before-call` hook: API calls by operation name, plus items written (a BatchWriteItem
    or TransactWriteItems call writes several). The store writes from worker threads, hence the lock."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.calls: Counter[str] = Counter()
        self.items_written = 0
        self.max_item_bytes = 0

    def __call__(self, model: Any, params: dict[str, Any], **_: Any) -> None:
        name = model.name
        # before-call sees the serialized request: the API parameters are its JSON body.
        body = params.get("body") or b"{}"
        params = json.loads(body) if name in WRITE_OPERATIONS else {}
        items = 0
        if name == "BatchWriteItem":
            items = sum(len(requests) for requests in params.get("RequestItems", {}).values())
        elif name == "TransactWriteItems":
            items = len(params.get("TransactItems", []))
        elif name in WRITE_OPERATIONS:
            items = 1
        size = item_bytes(params["Item"]) if name == "PutItem" else 0
        with self._lock:
            self.calls[name] += 1
            self.items_written += items
            self.max_item_bytes = max(self.max_item_bytes, size)

    def reset(self) -> None:
        with self._lock:
            self.calls.clear()
            self.items_written = 0
            self.max_item_bytes = 0

    @property
    def writes(self) -> int:
        return sum(count for name, count in self.calls.items() if name in WRITE_OPERATIONS)

    def snapshot(self) -> dict[str, Any]:
        return {
            "writes": self.writes,
            "items_written": self.items_written,
            "max_item_bytes": self.max_item_bytes,
            "calls": dict(sorted(self.calls.items())),
        }


def _create_table(client: Any) -> None:
    client.create_table(
        TableName=TABLE_NAME,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )


def _stored_minute_points(client: Any, tenant_id: str) -> int:
    """Sum of `count` over the tenant's minute rollups: what the table believes was ingested."""
    total = 0
    for page in client.get_paginator("scan").paginate(
        TableName=TABLE_NAME,
        FilterExpression="tenant_id = :t AND #r = :m",
        ExpressionAttributeValues={":t": {"S": tenant_id}, ":m": {"S": "m"}},
        ExpressionAttributeNames={"#r": "res", "#c": "count"},
        ProjectionExpression="#c",
    ):
        total += sum(int(item["count"]["N"]) for item in page.get("Items", []))
    return total


def run() -> BenchmarkResult:
    apply_handler_env()
    import boto3
    from moto import mock_aws

    from vigil_core.adapters.dynamodb_rollups import DynamoDBRollupStore
    from vigil_core.models.metrics import MetricBatch
    from vigil_core.services.ingest import Retention, ingest_batch

    now = datetime.now(UTC)
    # One whole minute half an hour ago (well inside the 24 h window). Hour and day buckets are made of
    # whole minutes, so the batch also lands in exactly one hour and one day bucket per series.
    minute = (now - timedelta(minutes=30)).replace(second=0, microsecond=0)
    checks: list[Check] = []
    cases: list[dict[str, Any]] = []

    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        _create_table(client)
        counter = CallCounter()
        client.meta.events.register("before-call.dynamodb", counter)
        store = DynamoDBRollupStore(TABLE_NAME, client=client)

        for series_count in SERIES_COUNTS:
            tenant_id = f"bench-s{series_count}"
            series = make_series(series_count)
            case: dict[str, Any] = {"series": series_count, "points": POINTS}
            for phase, seed, batch_id in (
                ("new_items", 1, "batch-one"),
                ("existing_items", 2, "batch-two"),
                ("replay", 2, "batch-two"),
            ):
                points = make_points(POINTS, series, within_minute(minute), seed=seed)
                batch = MetricBatch.model_validate({"points": points}, context={"now": now})
                counter.reset()
                result = ingest_batch(tenant_id, batch, batch_id, store, Retention(), now)
                measured = counter.snapshot()
                series_minutes = result.series_minutes
                per_item = measured["writes"] / (series_minutes * RESOLUTIONS)
                case[phase] = {
                    **measured,
                    "series_minutes": series_minutes,
                    "resolutions": RESOLUTIONS,
                    "writes_per_series_minute_per_resolution": round(per_item, 3),
                    "store_reported_writes": result.writes,
                }
                if phase == "replay":
                    checks.append(
                        Check(
                            case=f"S={series_count}, replay of batch id",
                            metric="write requests",
                            value=measured["writes"],
                            limit=0,
                            note=f"{measured['calls'].get('BatchGetItem', 0)} BatchGetItem, no writes expected",
                        )
                    )
                else:
                    checks.append(
                        Check(
                            case=f"S={series_count}, {phase.replace('_', ' ')}",
                            metric="writes / (series-minutes x 3)",
                            value=round(per_item, 3),
                            limit=TARGET,
                            values={
                                "writes": measured["writes"],
                                "series_minutes": series_minutes,
                                "resolutions": RESOLUTIONS,
                                "writes_per_series_minute_per_resolution": round(per_item, 3),
                            },
                            note=f"{measured['writes']} writes / ({series_minutes} series-min x 3)",
                        )
                    )
            case["stored_minute_points_after_all"] = _stored_minute_points(client, tenant_id)
            case["expected_minute_points"] = 2 * POINTS  # two distinct batches; the replay adds nothing
            cases.append(case)

        # Items remember their last batch ids, so they grow until that list is full: write enough
        # batches to fill it and report the item size (hence write units per PutItem) at steady state.
        tenant_id, series = "bench-steady", make_series(STEADY_SERIES)
        for index in range(store.remembered_batches + 2):
            points = make_points(POINTS, series, within_minute(minute), seed=100 + index)
            counter.reset()
            ingest_batch(
                tenant_id,
                MetricBatch.model_validate({"points": points}, context={"now": now}),
                f"steady-{index:04d}",
                store,
                Retention(),
                now,
            )
        steady = counter.snapshot()
        item_size = {
            "series": STEADY_SERIES,
            "batches_written": store.remembered_batches + 2,
            "remembered_batch_ids": store.remembered_batches,
            "max_item_bytes": steady["max_item_bytes"],
            "write_units_per_put": math.ceil(steady["max_item_bytes"] / 1024),
            "writes_last_batch": steady["writes"],
        }

    return BenchmarkResult(
        name="dynamodb_writes",
        title="DynamoDB write requests per 1,000 points in one minute",
        unit="write requests per series-minute per resolution",
        target=f"<= {TARGET} (and 0 on a replayed batch id)",
        checks=checks,
        details={
            "cases": cases,
            "steady_state_item_size": item_size,
            "write_operations_counted": sorted(WRITE_OPERATIONS),
            "backend": "moto (in-process)",
        },
    )
