"""Alerts, notification groups, silences and the transitions outbox in the alerts table (pk/sk, TTL expires_at).

T#<tenant> / A#<fingerprint>    one alert per fingerprint: the model as JSON in `data`, and beside it
                                version     what every save is conditioned on
                                status, severity, firings
                                changed     <changed_at>#<fingerprint>, sort key of "by-state" and "recent"
                                state_pk    T#<tenant>#<status>, partition of "by-state"
                                group_pk    T#<tenant>#G#<group key>, partition of "by-group" (absent without one)
                                expires_at  30 days after it resolved (absent while open)
T#<tenant> / O#<transition id>  a transition not yet published; outbox_pk/outbox_at place it in "outbox"
T#<tenant> / G#<group key>      a notification group; due_pk/next_flush_at place it in "groups-due"
T#<tenant> / S#<silence id>     a silence, expiring 7 days after it ends
T#<tenant> / E#<fingerprint>    the alert's latest escalation (adapters/dynamodb_escalations.py)

Indexes, each projecting whole items so a query is never followed by reads of the table:
  by-state    state_pk / changed        a tenant's alerts in one status, newest change first
  recent      pk / changed              a tenant's alerts, newest change first (only alert items carry `changed`)
  by-group    group_pk / sk             the alerts of one notification group
  groups-due  due_pk / next_flush_at    groups to flush, across tenants, the most overdue first
  outbox      outbox_pk / outbox_at     transitions left unpublished, across tenants, oldest first

Times in sort keys are UTC with microseconds and a fixed width, so string order is time order.

Versions: the store sets them. `save` and `save_group` store the model with version expected_version + 1,
whatever version it came with, so a caller only needs the version it read; a later read returns the new one.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from botocore.exceptions import ClientError

from vigil_core.adapters.aws import dynamodb_client
from vigil_core.adapters.dynamodb_monitors import batch_get_items, store_errors, transact_if_current
from vigil_core.errors import bad_request
from vigil_core.models.alerts import (
    Alert,
    AlertChange,
    AlertStatus,
    AlertTransition,
    GroupState,
    Severity,
    Silence,
)
from vigil_core.ports import AlertPage, StoreUnavailableError

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import PutTypeDef, TransactWriteItemTypeDef

Item = dict[str, Any]
Versioned = TypeVar("Versioned", Alert, GroupState)

ALERTS_BY_STATE_INDEX = "by-state"
ALERTS_RECENT_INDEX = "recent"
ALERTS_BY_GROUP_INDEX = "by-group"
GROUPS_DUE_INDEX = "groups-due"
OUTBOX_INDEX = "outbox"
OUTBOX_PARTITION = "OUTBOX"
DUE_PARTITION = "DUE"
RESOLVED_ALERT_TTL_S = 30 * 86400
ENDED_SILENCE_TTL_S = 7 * 86400
OPEN_STATUSES = (AlertStatus.PENDING, AlertStatus.FIRING, AlertStatus.ACKNOWLEDGED)
BATCH_WRITE_LIMIT = 25
MAX_BATCH_WRITE_ROUNDS = 8
CONDITIONAL_CHECK_FAILED = "ConditionalCheckFailedException"
# The key attributes DynamoDB wants back as ExclusiveStartKey, per index a page is read from.
_RECENT_CURSOR_KEYS = frozenset({"pk", "sk", "changed"})
_BY_STATE_CURSOR_KEYS = frozenset({"pk", "sk", "changed", "state_pk"})


def _s(value: str) -> dict[str, str]:
    return {"S": value}


def _n(value: int) -> dict[str, str]:
    return {"N": str(value)}


def sortable_time(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def tenant_partition(tenant_id: str) -> str:
    return f"T#{tenant_id}"


def alert_key(tenant_id: str, fingerprint: str) -> Item:
    return {"pk": _s(tenant_partition(tenant_id)), "sk": _s(f"A#{fingerprint}")}


def outbox_key(tenant_id: str, transition_id: str) -> Item:
    return {"pk": _s(tenant_partition(tenant_id)), "sk": _s(f"O#{transition_id}")}


def group_item_key(tenant_id: str, group_key: str) -> Item:
    return {"pk": _s(tenant_partition(tenant_id)), "sk": _s(f"G#{group_key}")}


def silence_key(tenant_id: str, silence_id: str) -> Item:
    return {"pk": _s(tenant_partition(tenant_id)), "sk": _s(f"S#{silence_id}")}


def state_partition(tenant_id: str, status: AlertStatus) -> str:
    return f"T#{tenant_id}#{status.value}"


def group_partition(tenant_id: str, group_key: str) -> str:
    return f"T#{tenant_id}#G#{group_key}"


def changed_sort_key(alert: Alert) -> str:
    return f"{sortable_time(alert.changed_at)}#{alert.fingerprint}"


def next_version(alert_or_group: Versioned, expected_version: int) -> Versioned:
    """The model as it is stored over `expected_version` (the version rule of this module's docstring)."""
    if alert_or_group.version == expected_version + 1:
        return alert_or_group
    return alert_or_group.model_copy(update={"version": expected_version + 1})


def alert_item(alert: Alert) -> Item:
    item: Item = {
        **alert_key(alert.tenant_id, alert.fingerprint),
        "data": _s(alert.model_dump_json()),
        "version": _n(alert.version),
        "status": _s(alert.status.value),
        "severity": _s(alert.severity.value),
        "firings": _n(alert.firings),  # the escalation state machine checks which firing it pages for
        "changed": _s(changed_sort_key(alert)),
        "state_pk": _s(state_partition(alert.tenant_id, alert.status)),
    }
    if alert.group_key is not None:
        item["group_pk"] = _s(group_partition(alert.tenant_id, alert.group_key))
    if alert.status is AlertStatus.RESOLVED:
        resolved_at = alert.resolved_at or alert.changed_at
        item["expires_at"] = _n(int(resolved_at.timestamp()) + RESOLVED_ALERT_TTL_S)
    return item


def page_position(alert: Alert, by_state: bool) -> Item:
    """Where a page that ended on `alert` stops, as the ExclusiveStartKey of the index it was read from."""
    position: Item = {**alert_key(alert.tenant_id, alert.fingerprint), "changed": _s(changed_sort_key(alert))}
    if by_state:
        position["state_pk"] = _s(state_partition(alert.tenant_id, alert.status))
    return position


def encode_cursor(position: Item) -> str:
    text = json.dumps(position, sort_keys=True, separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, tenant_id: str, status: AlertStatus | None) -> Item:
    """The position a cursor holds; a 400 naming `cursor` unless this tenant's listing made it."""
    problem = "is not a cursor returned by this listing"
    try:
        text = base64.b64decode(cursor + "=" * (-len(cursor) % 4), altchars=b"-_", validate=True)
        position = json.loads(text)
    except ValueError:
        raise bad_request("cursor", problem) from None
    expected = _RECENT_CURSOR_KEYS if status is None else _BY_STATE_CURSOR_KEYS
    if (
        not isinstance(position, dict)
        or position.keys() != expected
        or not all(isinstance(value, dict) and isinstance(value.get("S"), str) for value in position.values())
        or position["pk"]["S"] != tenant_partition(tenant_id)
        or (status is not None and position["state_pk"]["S"] != state_partition(tenant_id, status))
    ):
        raise bad_request("cursor", problem)
    return position


def outbox_item(transition: AlertTransition) -> Item:
    return {
        **outbox_key(transition.tenant_id, transition.transition_id),
        "data": _s(transition.model_dump_json()),
        "outbox_pk": _s(OUTBOX_PARTITION),
        "outbox_at": _s(f"{sortable_time(transition.at)}#{transition.transition_id}"),
    }


def group_item(group: GroupState) -> Item:
    return {
        **group_item_key(group.tenant_id, group.group_key),
        "data": _s(group.model_dump_json()),
        "version": _n(group.version),
        "due_pk": _s(DUE_PARTITION),
        "next_flush_at": _s(f"{sortable_time(group.next_flush_at)}#{group.tenant_id}#{group.group_key}"),
    }


def silence_item(silence: Silence) -> Item:
    return {
        **silence_key(silence.tenant_id, silence.id),
        "data": _s(silence.model_dump_json()),
        "expires_at": _n(int(silence.ends_at.timestamp()) + ENDED_SILENCE_TTL_S),
    }


def conditional_put(table_name: str, item: Item, expected_version: int) -> PutTypeDef:
    """A put of `item` only over the stored version `expected_version` (0: only if nothing is stored, as a stored
    item always has a version of at least 1)."""
    if expected_version == 0:
        return {"TableName": table_name, "Item": item, "ConditionExpression": "attribute_not_exists(pk)"}
    return {
        "TableName": table_name,
        "Item": item,
        "ConditionExpression": "#version = :expected",
        "ExpressionAttributeNames": {"#version": "version"},
        "ExpressionAttributeValues": {":expected": _n(expected_version)},
    }


def _alert_from(item: Item) -> Alert:
    return Alert.model_validate_json(item["data"]["S"])


def _group_from(item: Item) -> GroupState:
    return GroupState.model_validate_json(item["data"]["S"])


class DynamoDbAlertStore:
    def __init__(self, table_name: str, client: DynamoDBClient | None = None) -> None:
        self.table_name = table_name
        self._client = client

    @property
    def client(self) -> DynamoDBClient:
        return self._client or dynamodb_client()

    # -- alerts and the outbox ------------------------------------------------------------------------

    def save(self, change: AlertChange) -> bool:
        """One transaction: the alert, if still at expected_version, and its transition into the outbox."""
        alert = next_version(change.alert, change.expected_version)
        writes: list[TransactWriteItemTypeDef] = [
            {"Put": conditional_put(self.table_name, alert_item(alert), change.expected_version)}
        ]
        if change.transition is not None:
            writes.append({"Put": {"TableName": self.table_name, "Item": outbox_item(change.transition)}})
        return transact_if_current(self.client, writes, "save alert")

    def mark_published(self, tenant_id: str, fingerprint: str, transition_ids: Sequence[str]) -> None:
        # Transition ids are <fingerprint>:<version>, unique within the tenant, so the fingerprint is not
        # part of the outbox key.
        keys = [outbox_key(tenant_id, transition_id) for transition_id in dict.fromkeys(transition_ids)]
        with store_errors("clear published transitions"):
            self._batch_delete(keys)

    def unpublished(self, limit: int = 100) -> list[AlertTransition]:
        request: dict[str, Any] = {
            "TableName": self.table_name,
            "IndexName": OUTBOX_INDEX,
            "KeyConditionExpression": "outbox_pk = :outbox",
            "ExpressionAttributeValues": {":outbox": _s(OUTBOX_PARTITION)},
            "ScanIndexForward": True,
        }
        items = self._query_up_to(request, limit, "query the outbox")
        return [AlertTransition.model_validate_json(item["data"]["S"]) for item in items]

    def get(self, tenant_id: str, fingerprint: str) -> Alert | None:
        with store_errors("get alert"):
            item = self.client.get_item(
                TableName=self.table_name, Key=alert_key(tenant_id, fingerprint), ConsistentRead=True
            ).get("Item")
        return None if item is None else _alert_from(item)

    def get_many(self, tenant_id: str, fingerprints: Sequence[str]) -> dict[str, Alert]:
        keys = [alert_key(tenant_id, fingerprint) for fingerprint in fingerprints]
        with store_errors("get alerts"):
            found = batch_get_items(self.client, self.table_name, keys, consistent=True)
        alerts = (_alert_from(item) for item in found.values())
        return {alert.fingerprint: alert for alert in alerts}

    def open_alerts(self, tenant_id: str) -> list[Alert]:
        alerts: list[Alert] = []
        with store_errors("query open alerts"):
            paginator = self.client.get_paginator("query")
            for status in OPEN_STATUSES:
                pages = paginator.paginate(
                    TableName=self.table_name,
                    IndexName=ALERTS_BY_STATE_INDEX,
                    KeyConditionExpression="state_pk = :state",
                    ExpressionAttributeValues={":state": _s(state_partition(tenant_id, status))},
                )
                alerts.extend(_alert_from(item) for page in pages for item in page.get("Items", []))
        return alerts

    def page(
        self, tenant_id: str, status: AlertStatus | None, severity: Severity | None, limit: int, cursor: str | None
    ) -> AlertPage:
        """Up to `limit` alerts, newest change first. A severity filter is applied by DynamoDB after it reads,
        so queries go on until the page is full or the index ends: a page is short only when it is the last.
        The cursor is the position of the page's last alert, and None once no alert is left after it."""
        if limit < 1:
            raise ValueError("limit must be at least 1")
        start = None if cursor is None else decode_cursor(cursor, tenant_id, status)
        request: dict[str, Any] = {"TableName": self.table_name, "ScanIndexForward": False, "Limit": limit + 1}
        if status is None:
            request["IndexName"] = ALERTS_RECENT_INDEX
            request["KeyConditionExpression"] = "pk = :partition"
            request["ExpressionAttributeValues"] = {":partition": _s(tenant_partition(tenant_id))}
        else:
            request["IndexName"] = ALERTS_BY_STATE_INDEX
            request["KeyConditionExpression"] = "state_pk = :partition"
            request["ExpressionAttributeValues"] = {":partition": _s(state_partition(tenant_id, status))}
        if severity is not None:
            request["FilterExpression"] = "severity = :severity"
            request["ExpressionAttributeValues"][":severity"] = _s(severity.value)
        alerts: list[Alert] = []
        with store_errors("query alerts"):
            while True:
                if start is not None:
                    request["ExclusiveStartKey"] = start
                response = self.client.query(**request)
                for item in response.get("Items", []):
                    if len(alerts) == limit:  # one more exists: the page is full and not the last
                        return AlertPage(alerts, encode_cursor(page_position(alerts[-1], status is not None)))
                    alerts.append(_alert_from(item))
                start = response.get("LastEvaluatedKey")
                if start is None:
                    return AlertPage(alerts, None)

    # -- notification groups --------------------------------------------------------------------------

    def group_members(self, tenant_id: str, group_key: str) -> list[Alert]:
        with store_errors("query group members"):
            pages = self.client.get_paginator("query").paginate(
                TableName=self.table_name,
                IndexName=ALERTS_BY_GROUP_INDEX,
                KeyConditionExpression="group_pk = :group",
                ExpressionAttributeValues={":group": _s(group_partition(tenant_id, group_key))},
            )
            return [_alert_from(item) for page in pages for item in page.get("Items", [])]

    def get_group(self, tenant_id: str, group_key: str) -> GroupState | None:
        with store_errors("get group"):
            item = self.client.get_item(
                TableName=self.table_name, Key=group_item_key(tenant_id, group_key), ConsistentRead=True
            ).get("Item")
        return None if item is None else _group_from(item)

    def save_group(self, group: GroupState, expected_version: int) -> bool:
        stored = next_version(group, expected_version)
        with store_errors("save group"):
            try:
                self.client.put_item(**conditional_put(self.table_name, group_item(stored), expected_version))
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") == CONDITIONAL_CHECK_FAILED:
                    return False
                raise
        return True

    def delete_group(self, group: GroupState) -> bool:
        with store_errors("delete group"):
            try:
                self.client.delete_item(
                    TableName=self.table_name,
                    Key=group_item_key(group.tenant_id, group.group_key),
                    ConditionExpression="#version = :version",
                    ExpressionAttributeNames={"#version": "version"},
                    ExpressionAttributeValues={":version": _n(group.version)},
                )
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") == CONDITIONAL_CHECK_FAILED:
                    return False
                raise
        return True

    def due_groups(self, now: datetime, limit: int = 500) -> list[GroupState]:
        request: dict[str, Any] = {
            "TableName": self.table_name,
            "IndexName": GROUPS_DUE_INDEX,
            "KeyConditionExpression": "due_pk = :due AND next_flush_at <= :upper",
            # '~' sorts above every character of a tenant id or group key: every group due at `now` is in.
            "ExpressionAttributeValues": {":due": _s(DUE_PARTITION), ":upper": _s(f"{sortable_time(now)}#~")},
            "ScanIndexForward": True,
        }
        return [_group_from(item) for item in self._query_up_to(request, limit, "query due groups")]

    # -- silences -------------------------------------------------------------------------------------

    def put_silence(self, silence: Silence) -> None:
        with store_errors("put silence"):
            self.client.put_item(TableName=self.table_name, Item=silence_item(silence))

    def silences(self, tenant_id: str) -> list[Silence]:
        with store_errors("query silences"):
            pages = self.client.get_paginator("query").paginate(
                TableName=self.table_name,
                KeyConditionExpression="pk = :pk AND begins_with(sk, :prefix)",
                ExpressionAttributeValues={":pk": _s(tenant_partition(tenant_id)), ":prefix": _s("S#")},
                ConsistentRead=True,
            )
            found = [Silence.model_validate_json(item["data"]["S"]) for page in pages for item in page.get("Items", [])]
        return sorted(found, key=lambda silence: (silence.created_at, silence.id), reverse=True)

    def delete_silence(self, tenant_id: str, silence_id: str) -> bool:
        with store_errors("delete silence"):
            response = self.client.delete_item(
                TableName=self.table_name, Key=silence_key(tenant_id, silence_id), ReturnValues="ALL_OLD"
            )
        return "Attributes" in response

    # -- helpers --------------------------------------------------------------------------------------

    def _query_up_to(self, request: dict[str, Any], limit: int, operation: str) -> list[Item]:
        items: list[Item] = []
        with store_errors(operation):
            while len(items) < limit:
                response = self.client.query(**request, Limit=limit - len(items))
                items.extend(response.get("Items", []))
                if "LastEvaluatedKey" not in response:
                    break
                request = {**request, "ExclusiveStartKey": response["LastEvaluatedKey"]}
        return items

    def _batch_delete(self, keys: Sequence[Item]) -> None:
        for start in range(0, len(keys), BATCH_WRITE_LIMIT):
            pending: dict[str, Any] = {
                self.table_name: [{"DeleteRequest": {"Key": key}} for key in keys[start : start + BATCH_WRITE_LIMIT]]
            }
            for round_number in range(MAX_BATCH_WRITE_ROUNDS):
                response = self.client.batch_write_item(RequestItems=pending)
                pending = dict(response.get("UnprocessedItems") or {})
                if not pending:
                    break
                time.sleep(min(1.0, 0.05 * 2**round_number))  # unprocessed items mean throttling: back off first
            if pending:
                raise StoreUnavailableError(
                    f"DynamoDB kept deletes of {self.table_name} unprocessed {MAX_BATCH_WRITE_ROUNDS} times"
                )
