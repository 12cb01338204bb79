"""DynamoDB TTL, which moto records but never enforces: a sweeper deletes expired items.

AWS semantics: only a top-level Number attribute holding epoch seconds counts; an item whose value is
in the past, but not more than five years in the past, expires. Anything else is left alone. Deletes
are conditional on the TTL value being unchanged, so an item refreshed meanwhile survives.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from botocore.exceptions import ClientError

from vigil_cli.local.aws import AwsClients
from vigil_cli.local.background import PeriodicThread
from vigil_cli.local.schedules import Clock
from vigil_cli.local.template import Provisioned

FIVE_YEARS_S = 5 * 365 * 86400 + 86400  # five years including leap days, rounded generously
_TABLE_TYPES = ("AWS::DynamoDB::Table", "AWS::DynamoDB::GlobalTable")


@dataclass(frozen=True)
class TtlTable:
    logical_id: str
    table_name: str
    attribute: str


def ttl_tables_from_stack(stack: Mapping[str, Provisioned]) -> list[TtlTable]:
    tables = []
    for logical_id, item in stack.items():
        spec = item.properties.get("TimeToLiveSpecification") or {}
        if item.type in _TABLE_TYPES and str(spec.get("Enabled", False)).lower() == "true":
            tables.append(TtlTable(logical_id, item.physical_id, str(spec["AttributeName"])))
    return tables


def is_expired(attribute: Mapping[str, Any] | None, now_epoch_s: float) -> bool:
    if not attribute or "N" not in attribute:
        return False
    try:
        expires_at = Decimal(attribute["N"])
    except InvalidOperation:
        return False
    now = Decimal(str(now_epoch_s))
    return now - FIVE_YEARS_S <= expires_at < now


class TtlSweeper:
    def __init__(self, tables: list[TtlTable], clients: AwsClients, *, clock: Clock, interval_s: float = 10.0) -> None:
        self.tables = tables
        self.clients = clients
        self.clock = clock
        self.interval_s = interval_s
        self._key_names: dict[str, list[str]] = {}
        self._worker: PeriodicThread | None = None

    def sweep(self, now: datetime | None = None) -> int:
        """Delete every expired item in every TTL table; returns how many were deleted."""
        now_epoch_s = (now or self.clock.now()).timestamp()
        return sum(self._sweep_table(table, now_epoch_s) for table in self.tables)

    def _sweep_table(self, table: TtlTable, now_epoch_s: float) -> int:
        dynamodb = self.clients.dynamodb()
        keys = self._keys(table.table_name)
        names = {f"#k{index}": name for index, name in enumerate(keys)} | {"#ttl": table.attribute}
        deleted = 0
        for page in dynamodb.get_paginator("scan").paginate(
            TableName=table.table_name,
            ProjectionExpression=", ".join(names),
            ExpressionAttributeNames=names,
        ):
            for item in page.get("Items", []):
                ttl_value: Any = item.get(table.attribute)
                if not is_expired(ttl_value, now_epoch_s):
                    continue
                try:
                    dynamodb.delete_item(
                        TableName=table.table_name,
                        Key={name: item[name] for name in keys},
                        ConditionExpression="#ttl = :expires",
                        ExpressionAttributeNames={"#ttl": table.attribute},
                        ExpressionAttributeValues={":expires": ttl_value},
                    )
                    deleted += 1
                except ClientError as exc:
                    if exc.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                        raise
        return deleted

    def _keys(self, table_name: str) -> list[str]:
        if table_name not in self._key_names:
            schema = self.clients.dynamodb().describe_table(TableName=table_name)["Table"]["KeySchema"]
            self._key_names[table_name] = [key["AttributeName"] for key in schema]
        return self._key_names[table_name]

    def start(self) -> None:
        if not self.tables:
            return
        self._worker = PeriodicThread("vigil-ttl-sweeper", self.interval_s, self.sweep)
        self._worker.start()

    def stop(self, timeout_s: float = 5.0) -> None:
        if self._worker is not None:
            self._worker.stop(timeout_s)
