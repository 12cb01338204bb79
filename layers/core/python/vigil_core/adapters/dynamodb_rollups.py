"""Metric rollups in the metrics table.

  pk = <tenant>#<metric>#<resolution code>   sk = <bucket start, 10 digits>#<series id>

One item per series per bucket. A batch's deltas are merged with a read (BatchGetItem) and one
conditional PutItem per item (optimistic locking on `version`), so min and max stay exact and each item
costs one write. Each item remembers the last few batch ids merged into it: a retried batch skips the
items it already reached, so a partial failure can be completed without counting anything twice.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from vigil_core.adapters.aws import dynamodb_client
from vigil_core.models.metrics import MetricType
from vigil_core.models.rollups import Resolution, Rollup, RollupKey, Series
from vigil_core.ports import StoredRollup, StoreUnavailableError

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

Item = dict[str, Any]
BATCH_GET_LIMIT = 100
MAX_WRITE_ATTEMPTS = 5
_RESOLUTION_BY_CODE = {resolution.code: resolution for resolution in Resolution}


class RollupWriteConflictError(StoreUnavailableError):
    """An item kept changing under us: too many concurrent writers for one series-bucket."""


def partition_key(tenant_id: str, name: str, resolution: Resolution) -> str:
    return f"{tenant_id}#{name}#{resolution.code}"


def sort_key(start: int, series_id: str) -> str:
    return f"{start:010d}#{series_id}"


def _n(value: float) -> dict[str, str]:
    """A DynamoDB number: integers written plainly, other floats in Python's shortest round-trip form."""
    if isinstance(value, int) or (value.is_integer() and abs(value) < 1e15):
        return {"N": str(int(value))}
    return {"N": repr(value)}


class DynamoDBRollupStore:
    def __init__(
        self,
        table_name: str,
        client: DynamoDBClient | None = None,
        remembered_batches: int = 16,
        max_workers: int = 16,
    ) -> None:
        self.table_name = table_name
        self._client = client
        self.remembered_batches = remembered_batches
        self.max_workers = max_workers

    @property
    def client(self) -> DynamoDBClient:
        return self._client or dynamodb_client()

    # -- writes ---------------------------------------------------------------------------------------

    def apply(
        self,
        tenant_id: str,
        batch_id: str,
        deltas: Mapping[RollupKey, Rollup],
        expires_at: Mapping[Resolution, int],
    ) -> int:
        try:
            keyed = [(self._key(tenant_id, key), key, delta) for key, delta in deltas.items()]
            current = self._batch_get([item_key for item_key, _, _ in keyed])
            client = self.client  # resolve once: worker threads must share one client

            def write(entry: tuple[Item, RollupKey, Rollup]) -> int:
                item_key, key, delta = entry
                existing = current.get((item_key["pk"]["S"], item_key["sk"]["S"]))
                return self._merge_and_put(client, tenant_id, batch_id, key, delta, existing, expires_at)

            if len(keyed) <= 1:
                return sum(map(write, keyed))
            with ThreadPoolExecutor(max_workers=min(self.max_workers, len(keyed))) as pool:
                return sum(pool.map(write, keyed))
        except (ClientError, BotoCoreError) as exc:
            raise StoreUnavailableError(f"DynamoDB: {exc}") from exc

    def _merge_and_put(
        self,
        client: DynamoDBClient,
        tenant_id: str,
        batch_id: str,
        key: RollupKey,
        delta: Rollup,
        existing: Item | None,
        expires_at: Mapping[Resolution, int],
    ) -> int:
        writes = 0
        for _ in range(MAX_WRITE_ATTEMPTS):
            batches = [entry["S"] for entry in existing["batches"]["L"]] if existing else []
            if batch_id in batches:
                return writes  # this item already holds the batch: a retry after a partial failure
            merged = delta.copy()
            if existing is not None:
                merged.merge(self._rollup_from(existing))
            version = int(existing["version"]["N"]) if existing else 0
            item = self._item(tenant_id, key, merged, [*batches, batch_id][-self.remembered_batches :])
            item["version"] = _n(version + 1)
            item["expires_at"] = _n(key.start + expires_at[key.resolution])
            try:
                writes += 1
                if existing is None:
                    client.put_item(
                        TableName=self.table_name, Item=item, ConditionExpression="attribute_not_exists(pk)"
                    )
                else:
                    client.put_item(
                        TableName=self.table_name,
                        Item=item,
                        ConditionExpression="version = :expected",
                        ExpressionAttributeValues={":expected": _n(version)},
                    )
                return writes
            except ClientError as exc:
                if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                    raise
                existing = client.get_item(
                    TableName=self.table_name, Key=self._key(tenant_id, key), ConsistentRead=True
                ).get("Item")
        raise RollupWriteConflictError(f"gave up on {key.series.name} at {key.start} after {writes} attempts")

    # -- reads ----------------------------------------------------------------------------------------

    def read(self, tenant_id: str, name: str, resolution: Resolution, start: int, end: int) -> list[StoredRollup]:
        paginator = self.client.get_paginator("query")
        pages = paginator.paginate(
            TableName=self.table_name,
            KeyConditionExpression="pk = :pk AND sk BETWEEN :low AND :high",
            ExpressionAttributeValues={
                ":pk": {"S": partition_key(tenant_id, name, resolution)},
                ":low": {"S": f"{start:010d}#"},
                ":high": {"S": f"{end - 1:010d}#~"},
            },
            # Everything but the batch-id memory, which only writers need; several names are reserved words.
            ProjectionExpression="#n, #l, #r, #t, metric_type, #u, #c, #s, mn, mx, buckets",
            ExpressionAttributeNames={
                "#n": "name",
                "#l": "labels",
                "#r": "res",
                "#t": "t",
                "#u": "unit",
                "#c": "count",
                "#s": "sum",
            },
        )
        return [self._stored_from(item) for page in pages for item in page.get("Items", [])]

    def _batch_get(self, keys: Sequence[Item]) -> dict[tuple[str, str], Item]:
        found: dict[tuple[str, str], Item] = {}
        for chunk in _chunks(keys, BATCH_GET_LIMIT):
            request: dict[str, Any] = {self.table_name: {"Keys": list(chunk), "ConsistentRead": True}}
            while request:
                response = self.client.batch_get_item(RequestItems=request)
                for item in response.get("Responses", {}).get(self.table_name, []):
                    found[(item["pk"]["S"], item["sk"]["S"])] = item
                request = dict(response.get("UnprocessedKeys") or {})
        return found

    # -- item mapping ---------------------------------------------------------------------------------

    def _key(self, tenant_id: str, key: RollupKey) -> Item:
        return {
            "pk": {"S": partition_key(tenant_id, key.series.name, key.resolution)},
            "sk": {"S": sort_key(key.start, key.series.series_id)},
        }

    def _item(self, tenant_id: str, key: RollupKey, rollup: Rollup, batches: list[str]) -> Item:
        item: Item = {
            **self._key(tenant_id, key),
            "tenant_id": {"S": tenant_id},
            "name": {"S": key.series.name},
            "labels": {"M": {k: {"S": v} for k, v in key.series.labels}},
            "res": {"S": key.resolution.code},
            "t": _n(key.start),
            "metric_type": {"S": rollup.metric_type.value},
            "unit": {"S": rollup.unit},
            "count": _n(rollup.count),
            "sum": _n(rollup.total),
            "mn": _n(rollup.minimum),
            "mx": _n(rollup.maximum),
            "batches": {"L": [{"S": batch} for batch in batches]},
        }
        if rollup.buckets:
            item["buckets"] = {"L": [_n(count) for count in rollup.buckets]}
        return item

    @staticmethod
    def _rollup_from(item: Item) -> Rollup:
        return Rollup(
            metric_type=MetricType(item["metric_type"]["S"]),
            unit=item["unit"]["S"],
            count=int(item["count"]["N"]),
            total=float(item["sum"]["N"]),
            minimum=float(item["mn"]["N"]),
            maximum=float(item["mx"]["N"]),
            buckets=[int(entry["N"]) for entry in item.get("buckets", {}).get("L", [])],
        )

    def _stored_from(self, item: Item) -> StoredRollup:
        labels = tuple(sorted((k, v["S"]) for k, v in item.get("labels", {}).get("M", {}).items()))
        return StoredRollup(
            series=Series(item["name"]["S"], labels),
            resolution=_RESOLUTION_BY_CODE[item["res"]["S"]],
            start=int(item["t"]["N"]),
            rollup=self._rollup_from(item),
        )


def _chunks(items: Sequence[Item], size: int) -> Iterator[Sequence[Item]]:
    for index in range(0, len(items), size):
        yield items[index : index + size]
