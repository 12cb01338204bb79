"""Monitors in the config table (single-table design, keys pk/sk), next to tenants and API keys.

TENANT#<tenant>   / MONITOR#<id>  the monitor; gsi1pk/gsi1sk only while it is enabled
HEARTBEAT#<token> / HEARTBEAT     whose heartbeat token this is, so a beat costs two GetItems
MONITORS_AS_CODE  / SYNC          what monitors.yaml last applied

The "by-interval" index (gsi1pk = INTERVAL#<seconds>, gsi1sk = <tenant>#<id>) is sparse: a disabled
monitor carries no gsi1 attributes, so the scheduler's query never sees it. '#' sorts below every
character a tenant or monitor id may hold, so gsi1sk order is MonitorKey order.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from vigil_core.adapters.aws import dynamodb_client
from vigil_core.errors import conflict, not_found
from vigil_core.models.monitors import MONITOR_DEFINITION, ManagedBy, Monitor
from vigil_core.models.probes import CodeSyncState, MonitorKey
from vigil_core.ports import StoreUnavailableError

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef

Item = dict[str, Any]
MONITORS_BY_INTERVAL_INDEX = "by-interval"
BATCH_GET_LIMIT = 100
MAX_BATCH_GET_ROUNDS = 8
MAX_REPLACE_ATTEMPTS = 3
CONDITION_FAILED = "ConditionalCheckFailed"
_CODE_SYNC_KEY: Item = {"pk": {"S": "MONITORS_AS_CODE"}, "sk": {"S": "SYNC"}}


def _s(value: str) -> dict[str, Any]:
    return {"S": value}


def monitor_item_key(tenant_id: str, monitor_id: str) -> Item:
    return {"pk": _s(f"TENANT#{tenant_id}"), "sk": _s(f"MONITOR#{monitor_id}")}


def heartbeat_item_key(token: str) -> Item:
    return {"pk": _s(f"HEARTBEAT#{token}"), "sk": _s("HEARTBEAT")}


@contextmanager
def store_errors(operation: str) -> Iterator[None]:
    """Turns what boto3 raises once its own retries are spent into StoreUnavailableError."""
    try:
        yield
    except (ClientError, BotoCoreError) as exc:
        raise StoreUnavailableError(f"DynamoDB {operation}: {exc}") from exc


def cancellation_codes(error: ClientError) -> list[str]:
    """Why each item of a cancelled transaction failed, in request order ("None" for those that did not)."""
    if error.response.get("Error", {}).get("Code") != "TransactionCanceledException":
        return []
    return [reason.get("Code", "None") for reason in error.response.get("CancellationReasons", [])]


MAX_TRANSACTION_ATTEMPTS = 3


def transact_if_current(client: DynamoDBClient, writes: Sequence[TransactWriteItemTypeDef], operation: str) -> bool:
    """Run the transaction; False when its first item's condition failed (the version moved on).

    DynamoDB cancels a transaction that meets another one on the same item mid-flight: that is retried, and
    the retry either lands or finds the version moved on. Anything else is StoreUnavailableError.
    """
    attempt = 1
    while True:
        try:
            client.transact_write_items(TransactItems=list(writes))
            return True
        except ClientError as exc:
            codes = cancellation_codes(exc)
            if codes[:1] == [CONDITION_FAILED]:
                return False
            if "TransactionConflict" in codes and attempt < MAX_TRANSACTION_ATTEMPTS:
                time.sleep(0.02 * 2**attempt)
                attempt += 1
                continue
            raise StoreUnavailableError(f"DynamoDB {operation}: {exc}") from exc
        except BotoCoreError as exc:
            raise StoreUnavailableError(f"DynamoDB {operation}: {exc}") from exc


def batch_get_items(
    client: DynamoDBClient, table_name: str, keys: Sequence[Item], *, consistent: bool
) -> dict[tuple[str, str], Item]:
    """The items found among `keys`, by (pk, sk); keys DynamoDB leaves unprocessed are asked for again."""
    # BatchGetItem refuses a request that names the same key twice.
    unique = list({(key["pk"]["S"], key["sk"]["S"]): key for key in keys}.values())
    found: dict[tuple[str, str], Item] = {}
    for start in range(0, len(unique), BATCH_GET_LIMIT):
        request: dict[str, Any] = {
            table_name: {"Keys": unique[start : start + BATCH_GET_LIMIT], "ConsistentRead": consistent}
        }
        for round_number in range(MAX_BATCH_GET_ROUNDS):
            response = client.batch_get_item(RequestItems=request)
            for item in response.get("Responses", {}).get(table_name, []):
                found[(item["pk"]["S"], item["sk"]["S"])] = item
            request = dict(response.get("UnprocessedKeys") or {})
            if not request:
                break
            time.sleep(min(1.0, 0.05 * 2**round_number))  # unprocessed keys mean throttling: back off first
        if request:
            raise StoreUnavailableError(f"DynamoDB kept keys of {table_name} unprocessed {MAX_BATCH_GET_ROUNDS} times")
    return found


class DynamoDbMonitorRepository:
    def __init__(self, table_name: str, client: DynamoDBClient | None = None) -> None:
        self.table_name = table_name
        self._client = client

    @property
    def client(self) -> DynamoDBClient:
        return self._client or dynamodb_client()

    # -- writes ---------------------------------------------------------------------------------------

    def create(self, monitor: Monitor) -> None:
        writes: list[TransactWriteItemTypeDef] = [
            {
                "Put": {
                    "TableName": self.table_name,
                    "Item": self._monitor_item(monitor),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            }
        ]
        if monitor.heartbeat_token:
            writes.append(self._claim_token(monitor, monitor.heartbeat_token))
        with store_errors("create monitor"):
            try:
                self.client.transact_write_items(TransactItems=writes)
            except ClientError as exc:
                codes = cancellation_codes(exc)
                if codes[:1] == [CONDITION_FAILED]:
                    raise conflict(f"monitor {monitor.id!r} already exists") from None
                if CONDITION_FAILED in codes:
                    raise conflict("the heartbeat token is already in use; try again") from None
                raise

    def replace(self, monitor: Monitor) -> None:
        """Overwrite the stored monitor, moving its heartbeat token item when the token changed.

        The put is conditioned on the token read just before, so the old token item removed is the one
        the stored monitor had; if another writer got in between, the read and write are done again.
        """
        key = monitor_item_key(monitor.tenant_id, monitor.id)
        with store_errors("replace monitor"):
            for _ in range(MAX_REPLACE_ATTEMPTS):
                stored = self.client.get_item(TableName=self.table_name, Key=key, ConsistentRead=True).get("Item")
                if stored is None:
                    raise not_found(f"monitor {monitor.id!r} not found")
                old_token: str | None = stored.get("heartbeat_token", {}).get("S")
                try:
                    self.client.transact_write_items(TransactItems=self._replace_writes(monitor, old_token))
                    return
                except ClientError as exc:
                    codes = cancellation_codes(exc)
                    if codes[:1] == [CONDITION_FAILED]:
                        continue  # deleted or given another token since it was read
                    if CONDITION_FAILED in codes:
                        raise conflict("the heartbeat token is already in use; try again") from None
                    raise
        raise StoreUnavailableError(f"monitor {monitor.id!r} kept changing while it was being replaced")

    def delete(self, monitor: Monitor) -> None:
        writes: list[TransactWriteItemTypeDef] = [
            {"Delete": {"TableName": self.table_name, "Key": monitor_item_key(monitor.tenant_id, monitor.id)}}
        ]
        if monitor.heartbeat_token:
            writes.append(
                {"Delete": {"TableName": self.table_name, "Key": heartbeat_item_key(monitor.heartbeat_token)}}
            )
        with store_errors("delete monitor"):
            self.client.transact_write_items(TransactItems=writes)

    def set_code_sync_state(self, state: CodeSyncState) -> None:
        item = {
            **_CODE_SYNC_KEY,
            "digest": _s(state.digest),
            "keys": {"L": [_s(f"{key.tenant_id}/{key.monitor_id}") for key in state.keys]},
        }
        with store_errors("write monitors-as-code state"):
            self.client.put_item(TableName=self.table_name, Item=item)

    # -- reads ----------------------------------------------------------------------------------------

    def get(self, key: MonitorKey) -> Monitor | None:
        with store_errors("get monitor"):
            item = self.client.get_item(
                TableName=self.table_name, Key=monitor_item_key(key.tenant_id, key.monitor_id), ConsistentRead=True
            ).get("Item")
        return None if item is None else self._monitor_from(item)

    def list_for_tenant(self, tenant_id: str) -> list[Monitor]:
        with store_errors("list monitors"):
            pages = self.client.get_paginator("query").paginate(
                TableName=self.table_name,
                KeyConditionExpression="pk = :pk AND begins_with(sk, :prefix)",
                ExpressionAttributeValues={":pk": _s(f"TENANT#{tenant_id}"), ":prefix": _s("MONITOR#")},
                ConsistentRead=True,
            )
            return [self._monitor_from(item) for page in pages for item in page.get("Items", [])]

    def scheduled(self, interval: int) -> list[Monitor]:
        with store_errors("query scheduled monitors"):
            pages = self.client.get_paginator("query").paginate(
                TableName=self.table_name,
                IndexName=MONITORS_BY_INTERVAL_INDEX,
                KeyConditionExpression="gsi1pk = :interval",
                ExpressionAttributeValues={":interval": _s(f"INTERVAL#{interval}")},
                ScanIndexForward=True,
            )
            return [self._monitor_from(item) for page in pages for item in page.get("Items", [])]

    def get_many(self, keys: Sequence[MonitorKey]) -> list[Monitor]:
        item_keys = [monitor_item_key(key.tenant_id, key.monitor_id) for key in keys]
        with store_errors("get monitors"):
            # Eventually consistent: a monitor deleted a moment ago being probed once more is harmless.
            found = batch_get_items(self.client, self.table_name, item_keys, consistent=False)
        monitors: list[Monitor] = []
        seen: set[MonitorKey] = set()
        for key, item_key in zip(keys, item_keys, strict=True):
            item = found.get((item_key["pk"]["S"], item_key["sk"]["S"]))
            if item is not None and key not in seen:
                seen.add(key)
                monitors.append(self._monitor_from(item))
        return monitors

    def find_by_heartbeat_token(self, token: str) -> Monitor | None:
        with store_errors("find heartbeat token"):
            owner = self.client.get_item(
                TableName=self.table_name, Key=heartbeat_item_key(token), ConsistentRead=True
            ).get("Item")
        if owner is None:
            return None
        monitor = self.get(MonitorKey(owner["tenant_id"]["S"], owner["monitor_id"]["S"]))
        # A token item left behind by a monitor deleted and created again must not lead to the new one.
        if monitor is None or monitor.heartbeat_token != token:
            return None
        return monitor

    def code_sync_state(self) -> CodeSyncState | None:
        with store_errors("read monitors-as-code state"):
            item = self.client.get_item(TableName=self.table_name, Key=_CODE_SYNC_KEY, ConsistentRead=True).get("Item")
        if item is None:
            return None
        keys = tuple(MonitorKey(*entry["S"].split("/", 1)) for entry in item["keys"]["L"])
        return CodeSyncState(digest=item["digest"]["S"], keys=keys)

    # -- item mapping ---------------------------------------------------------------------------------

    def _replace_writes(self, monitor: Monitor, old_token: str | None) -> list[TransactWriteItemTypeDef]:
        item = self._monitor_item(monitor)
        put: TransactWriteItemTypeDef
        if old_token is None:
            put = {
                "Put": {
                    "TableName": self.table_name,
                    "Item": item,
                    "ConditionExpression": "attribute_exists(pk) AND attribute_not_exists(heartbeat_token)",
                }
            }
        else:
            put = {
                "Put": {
                    "TableName": self.table_name,
                    "Item": item,
                    "ConditionExpression": "attribute_exists(pk) AND heartbeat_token = :old_token",
                    "ExpressionAttributeValues": {":old_token": _s(old_token)},
                }
            }
        writes = [put]
        new_token = monitor.heartbeat_token
        if new_token and new_token != old_token:
            writes.append(self._claim_token(monitor, new_token))
        if old_token and old_token != new_token:
            writes.append({"Delete": {"TableName": self.table_name, "Key": heartbeat_item_key(old_token)}})
        return writes

    def _claim_token(self, monitor: Monitor, token: str) -> TransactWriteItemTypeDef:
        # Refuses a token another monitor holds, so a beat can never be credited to the wrong monitor.
        return {
            "Put": {
                "TableName": self.table_name,
                "Item": {
                    **heartbeat_item_key(token),
                    "tenant_id": _s(monitor.tenant_id),
                    "monitor_id": _s(monitor.id),
                },
                "ConditionExpression": "attribute_not_exists(pk) OR (tenant_id = :tenant AND monitor_id = :monitor)",
                "ExpressionAttributeValues": {":tenant": _s(monitor.tenant_id), ":monitor": _s(monitor.id)},
            }
        }

    @staticmethod
    def _monitor_item(monitor: Monitor) -> Item:
        definition = monitor.definition
        item: Item = {
            **monitor_item_key(monitor.tenant_id, monitor.id),
            "tenant_id": _s(monitor.tenant_id),
            "monitor_id": _s(monitor.id),
            "definition": _s(definition.model_dump_json()),
            "managed_by": _s(monitor.managed_by.value),
            "created_at": _s(monitor.created_at.isoformat()),
            "updated_at": _s(monitor.updated_at.isoformat()),
        }
        if monitor.heartbeat_token:
            item["heartbeat_token"] = _s(monitor.heartbeat_token)
        if definition.enabled:
            item["gsi1pk"] = _s(f"INTERVAL#{definition.interval}")
            item["gsi1sk"] = _s(f"{monitor.tenant_id}#{monitor.id}")
        return item

    @staticmethod
    def _monitor_from(item: Item) -> Monitor:
        token = item.get("heartbeat_token")
        return Monitor(
            tenant_id=item["tenant_id"]["S"],
            id=item["monitor_id"]["S"],
            definition=MONITOR_DEFINITION.validate_json(item["definition"]["S"]),
            managed_by=ManagedBy(item["managed_by"]["S"]),
            heartbeat_token=None if token is None else token["S"],
            created_at=datetime.fromisoformat(item["created_at"]["S"]),
            updated_at=datetime.fromisoformat(item["updated_at"]["S"]),
        )
