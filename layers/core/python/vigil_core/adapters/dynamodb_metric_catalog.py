"""The metric catalogue in the config table, beside the tenant's other configuration.

TENANT#<tenant> / METRIC#<name>   name, metric_type, unit, last_seen (Unix seconds)

Ingest writes a name at most once an hour per warm container, all of a batch's names in one BatchWriteItem
(plain puts: the newest write's type, unit and time win). Items carry no by-kind index attributes: nothing
needs every tenant's metric names at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from vigil_core.adapters.aws import dynamodb_client
from vigil_core.adapters.dynamodb_alert_rules import query_tenant_items, tenant_key
from vigil_core.adapters.dynamodb_monitors import store_errors
from vigil_core.models.metrics import MetricType
from vigil_core.ports import MAX_CATALOG_WRITE, MetricCatalogEntry, MetricDescriptor

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

Item = dict[str, Any]
METRIC_KIND = "METRIC"


def metric_item_key(tenant_id: str, name: str) -> Item:
    return {"pk": {"S": tenant_key(tenant_id)}, "sk": {"S": f"{METRIC_KIND}#{name}"}}


class DynamoDbMetricCatalog:
    def __init__(self, table_name: str, client: DynamoDBClient | None = None) -> None:
        self.table_name = table_name
        self._client = client

    @property
    def client(self) -> DynamoDBClient:
        return self._client or dynamodb_client()

    def record(self, tenant_id: str, entries: Sequence[MetricDescriptor], now: datetime) -> list[MetricDescriptor]:
        if len(entries) > MAX_CATALOG_WRITE:
            raise ValueError(f"at most {MAX_CATALOG_WRITE} entries per call, got {len(entries)}")
        # One request may not name an item twice: the last entry of a name wins.
        by_name = {entry.name: entry for entry in entries}
        if not by_name:
            return []
        requests: list[Any] = [
            {"PutRequest": {"Item": self._item(tenant_id, entry, now)}} for entry in by_name.values()
        ]
        with store_errors("record metric catalogue"):
            response = self.client.batch_write_item(RequestItems={self.table_name: requests})
        # Items DynamoDB did not take (throttling) are handed back, not retried: a batch costs one request.
        unprocessed = response.get("UnprocessedItems", {}).get(self.table_name, [])
        left = {request["PutRequest"]["Item"]["name"]["S"] for request in unprocessed if "PutRequest" in request}
        return [entry for name, entry in by_name.items() if name in left]

    def list_for_tenant(self, tenant_id: str) -> list[MetricCatalogEntry]:
        with store_errors("list metric catalogue"):
            items = query_tenant_items(self.client, self.table_name, tenant_id, f"{METRIC_KIND}#")
        return [self._entry_from(item) for item in items]

    def _item(self, tenant_id: str, entry: MetricDescriptor, now: datetime) -> Item:
        return {
            **metric_item_key(tenant_id, entry.name),
            "name": {"S": entry.name},
            "metric_type": {"S": entry.metric_type.value},
            "unit": {"S": entry.unit},
            "last_seen": {"N": str(int(now.timestamp()))},
        }

    @staticmethod
    def _entry_from(item: Item) -> MetricCatalogEntry:
        return MetricCatalogEntry(
            name=item["name"]["S"],
            metric_type=MetricType(item["metric_type"]["S"]),
            unit=item["unit"]["S"],
            last_seen=datetime.fromtimestamp(int(item["last_seen"]["N"]), UTC),
        )
