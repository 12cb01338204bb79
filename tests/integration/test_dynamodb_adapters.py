"""The DynamoDB adapters on moto: the storage guarantees ingest relies on."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from vigil_core.adapters.dynamodb_rollups import DynamoDBRollupStore, partition_key
from vigil_core.adapters.dynamodb_tenants import DynamoDBTenantDirectory
from vigil_core.adapters.idempotency import PowertoolsIdempotencyGuard
from vigil_core.errors import VigilError
from vigil_core.models.metrics import MetricBatch
from vigil_core.models.rollups import Resolution, aggregate
from vigil_core.models.tenants import SlaTier
from vigil_core.ports import StoreUnavailableError
from vigil_core.services.ingest import Retention
from vigil_core.services.tenants import create_tenant

pytestmark = pytest.mark.integration
NOW = datetime.now(UTC).replace(second=10, microsecond=0)
RETENTION = Retention(minute_days=7, hour_days=90, day_days=400).seconds_by_resolution()


@pytest.fixture
def dynamodb(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        for name, keys in (("metrics", ("pk", "sk")), ("config", ("pk", "sk")), ("idempotency", ("id",))):
            client.create_table(
                TableName=name,
                BillingMode="PAY_PER_REQUEST",
                KeySchema=[{"AttributeName": k, "KeyType": t} for k, t in zip(keys, ("HASH", "RANGE"), strict=False)],
                AttributeDefinitions=[{"AttributeName": k, "AttributeType": "S"} for k in keys],
            )
        yield client


def deltas(*points: dict[str, Any]) -> dict[Any, Any]:
    batch = MetricBatch.model_validate({"points": list(points)}, context={"now": NOW})
    return aggregate(batch.points, NOW)


def minute_rollups(store: DynamoDBRollupStore, name: str, tenant: str = "acme") -> list[Any]:
    start = Resolution.MINUTE.bucket_start(NOW.timestamp())
    return [item.rollup for item in store.read(tenant, name, Resolution.MINUTE, start - 3600, start + 60)]


def test_rollups_round_trip_with_exact_values(dynamodb: Any) -> None:
    store = DynamoDBRollupStore("metrics", client=dynamodb)
    writes = store.apply("acme", "b1", deltas(
        {"name": "cpu", "type": "gauge", "value": 0.1, "labels": {"host": "a"}},
        {"name": "cpu", "type": "gauge", "value": 0.2, "labels": {"host": "a"}},
        {"name": "lat", "type": "histogram", "value": 1234.5678, "unit": "ms"},
    ), RETENTION)  # fmt: skip
    assert writes == 6  # two series x three resolutions
    [cpu] = minute_rollups(store, "cpu")
    assert (cpu.count, cpu.total, cpu.minimum, cpu.maximum) == (2, 0.1 + 0.2, 0.1, 0.2)
    [lat] = minute_rollups(store, "lat")
    assert lat.unit == "ms" and lat.total == 1234.5678 and sum(lat.buckets) == 1


def test_a_batch_applied_twice_is_counted_once(dynamodb: Any) -> None:
    store = DynamoDBRollupStore("metrics", client=dynamodb)
    batch = deltas({"name": "reqs", "type": "counter", "value": 5})
    assert store.apply("acme", "b1", batch, RETENTION) == 3
    assert store.apply("acme", "b1", batch, RETENTION) == 0
    [reqs] = minute_rollups(store, "reqs")
    assert (reqs.count, reqs.total) == (1, 5)


def test_min_and_max_stay_exact_across_batches(dynamodb: Any) -> None:
    store = DynamoDBRollupStore("metrics", client=dynamodb)
    for batch_id, value in (("b1", 50), ("b2", 10), ("b3", 90), ("b4", 40)):
        store.apply("acme", batch_id, deltas({"name": "cpu", "type": "gauge", "value": value}), RETENTION)
    [cpu] = minute_rollups(store, "cpu")
    assert (cpu.count, cpu.total, cpu.minimum, cpu.maximum) == (4, 190, 10, 90)


def test_a_write_that_loses_a_race_rereads_and_loses_nothing(dynamodb: Any) -> None:
    # Given a competing writer that lands its batch between our read and our conditional put
    store = DynamoDBRollupStore("metrics", client=dynamodb, max_workers=1)
    competitor = DynamoDBRollupStore("metrics", client=boto3.client("dynamodb", region_name="us-east-1"))
    store.apply("acme", "b0", deltas({"name": "reqs", "type": "counter", "value": 1}), RETENTION)
    raced = {"done": False}

    def competing_write_first(**_: Any) -> None:
        if not raced["done"]:
            raced["done"] = True
            competitor.apply("acme", "rival", deltas({"name": "reqs", "type": "counter", "value": 10}), RETENTION)

    dynamodb.meta.events.register("before-call.dynamodb.PutItem", competing_write_first)
    # When our batch is applied
    writes = store.apply("acme", "b1", deltas({"name": "reqs", "type": "counter", "value": 100}), RETENTION)
    # Then each of our three items (minute, hour, day) failed its version check once, was retried on fresh
    # data, and all three batches count
    assert raced["done"]
    assert writes == 6
    [reqs] = minute_rollups(store, "reqs")
    assert (reqs.count, reqs.total) == (3, 111)


def test_a_partially_failed_batch_completes_on_retry_without_double_counting(dynamodb: Any) -> None:
    # Given storage that fails after two of six item writes
    store = DynamoDBRollupStore("metrics", client=dynamodb, max_workers=1)
    batch = deltas(
        {"name": "reqs", "type": "counter", "value": 1, "labels": {"s": "a"}},
        {"name": "reqs", "type": "counter", "value": 2, "labels": {"s": "b"}},
    )
    puts = {"n": 0}

    def fail_third_put(**_: Any) -> None:
        puts["n"] += 1
        if puts["n"] == 3:
            raise ClientError({"Error": {"Code": "InternalServerError", "Message": "injected"}}, "PutItem")

    dynamodb.meta.events.register("before-call.dynamodb.PutItem", fail_third_put)
    # When the batch is applied, fails part-way, and is retried with the same batch id
    with pytest.raises(StoreUnavailableError):
        store.apply("acme", "b1", batch, RETENTION)
    dynamodb.meta.events.unregister("before-call.dynamodb.PutItem", fail_third_put)
    written_before = puts["n"] - 1
    writes_on_retry = store.apply("acme", "b1", batch, RETENTION)
    # Then the retry writes only what was missing, and every rollup holds the batch once
    assert written_before < 6
    assert writes_on_retry == 6 - written_before
    for resolution in Resolution:
        start = resolution.bucket_start(NOW.timestamp())
        stored = store.read("acme", "reqs", resolution, start, start + resolution.seconds)
        assert sorted((s.rollup.count, s.rollup.total) for s in stored) == [(1, 1), (1, 2)]


def test_items_expire_after_their_resolutions_retention(dynamodb: Any) -> None:
    store = DynamoDBRollupStore("metrics", client=dynamodb)
    store.apply("acme", "b1", deltas({"name": "cpu", "type": "gauge", "value": 1}), RETENTION)
    for resolution, days in ((Resolution.MINUTE, 7), (Resolution.HOUR, 90), (Resolution.DAY, 400)):
        item = dynamodb.query(
            TableName="metrics",
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": partition_key("acme", "cpu", resolution)}},
        )["Items"][0]
        assert int(item["expires_at"]["N"]) == int(item["t"]["N"]) + days * 86400


def test_tenants_and_hashed_keys_are_stored_and_found(dynamodb: Any) -> None:
    directory = DynamoDBTenantDirectory("config", client=dynamodb)
    tenant, issued = create_tenant(directory, "acme", "Acme Corp", SlaTier.ENTERPRISE, NOW)
    found = directory.find_api_key(issued.api_key.key_hash)
    assert found is not None and found.tenant_id == "acme"
    assert directory.get_tenant("acme") == tenant
    stored = dynamodb.scan(TableName="config")["Items"]
    assert issued.plaintext not in str(stored)  # only the hash is kept
    assert {item["sk"]["S"] for item in stored} == {"TENANT", "APIKEY", f"APIKEY#{issued.api_key.key_id}"}
    with pytest.raises(VigilError, match="already exists"):
        create_tenant(directory, "acme", "Again", SlaTier.BASIC, NOW)


def test_powertools_idempotency_replays_and_refuses_another_body(dynamodb: Any) -> None:
    guard = PowertoolsIdempotencyGuard("idempotency")
    calls: list[int] = []

    def operation() -> dict[str, Any]:
        calls.append(1)
        return {"accepted": len(calls)}

    first = guard.run_once("acme", "key-1", "hash-a", operation)
    replay = guard.run_once("acme", "key-1", "hash-a", operation)
    other_tenant = guard.run_once("globex", "key-1", "hash-a", operation)
    assert first == ({"accepted": 1}, False)
    assert replay == ({"accepted": 1}, True)
    assert other_tenant == ({"accepted": 2}, False)
    with pytest.raises(VigilError) as caught:
        guard.run_once("acme", "key-1", "hash-b", operation)
    assert caught.value.status == 422


def test_a_failed_operation_is_not_remembered(dynamodb: Any) -> None:
    guard = PowertoolsIdempotencyGuard("idempotency")

    def failing() -> dict[str, Any]:
        raise StoreUnavailableError("down")

    with pytest.raises(StoreUnavailableError):
        guard.run_once("acme", "key-2", "h", failing)
    assert guard.run_once("acme", "key-2", "h", lambda: {"ok": True}) == ({"ok": True}, False)


def test_old_timestamps_inside_the_window_land_in_their_own_buckets(dynamodb: Any) -> None:
    store = DynamoDBRollupStore("metrics", client=dynamodb)
    earlier = (NOW - timedelta(hours=2)).isoformat()
    store.apply("acme", "b1", deltas({"name": "cpu", "type": "gauge", "value": 1, "timestamp": earlier}), RETENTION)
    hour = Resolution.HOUR.bucket_start((NOW - timedelta(hours=2)).timestamp())
    assert len(store.read("acme", "cpu", Resolution.HOUR, hour, hour + 3600)) == 1
    assert minute_rollups(store, "cpu") == []
