"""Delivery claims and each alert's delivery log, in the alerts table beside the alerts.

T#<tenant> / I#<key>                      a claim on sending one message to one channel: state sending (until
                                          lease_until), delivered, rejected or failed; expires after 7 days
T#<tenant> / N#<fingerprint>              the alert's counts: notifications_sent, last_notification_at,
                                          notification_channels (a string set), and told#<channel id>, the
                                          last status delivered to that channel
T#<tenant> / L#<fingerprint>#<at>#<id>    one delivery (the model as JSON in `data`); expires after 30 days

A claim is a conditional put: it succeeds only on no claim, a failed one, or a sending one whose lease
has run out (its sender died), so of two receivers of one SQS message only one sends.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from botocore.exceptions import ClientError

from vigil_core.adapters.aws import dynamodb_client
from vigil_core.adapters.dynamodb_alerts import CONDITIONAL_CHECK_FAILED, sortable_time, tenant_partition
from vigil_core.adapters.dynamodb_monitors import batch_get_items, store_errors
from vigil_core.models.notifications import Delivery, DeliveryState, NotificationSummary

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

Item = dict[str, Any]
CLAIM_TTL_S = 7 * 86400
DELIVERY_TTL_S = 30 * 86400
_TOLD_PREFIX = "told#"


def _s(value: str) -> dict[str, str]:
    return {"S": value}


def _n(value: int) -> dict[str, str]:
    return {"N": str(value)}


def claim_key(tenant_id: str, key: str) -> Item:
    return {"pk": _s(tenant_partition(tenant_id)), "sk": _s(f"I#{key}")}


def summary_key(tenant_id: str, fingerprint: str) -> Item:
    return {"pk": _s(tenant_partition(tenant_id)), "sk": _s(f"N#{fingerprint}")}


class DynamoDbDeliveryLog:
    def __init__(self, table_name: str, client: DynamoDBClient | None = None) -> None:
        self.table_name = table_name
        self._client = client

    @property
    def client(self) -> DynamoDBClient:
        return self._client or dynamodb_client()

    def claim(self, tenant_id: str, key: str, now: datetime, lease_s: int) -> Literal["claimed", "done", "busy"]:
        stamp = int(now.timestamp())
        with store_errors("claim delivery"):
            try:
                self.client.put_item(
                    TableName=self.table_name,
                    Item={
                        **claim_key(tenant_id, key),
                        "state": _s("sending"),
                        "lease_until": _n(stamp + lease_s),
                        "expires_at": _n(stamp + CLAIM_TTL_S),
                    },
                    ConditionExpression=(
                        "attribute_not_exists(pk) OR #state = :failed OR (#state = :sending AND lease_until < :now)"
                    ),
                    ExpressionAttributeNames={"#state": "state"},
                    ExpressionAttributeValues={":failed": _s("failed"), ":sending": _s("sending"), ":now": _n(stamp)},
                    ReturnValuesOnConditionCheckFailure="ALL_OLD",
                )
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") != CONDITIONAL_CHECK_FAILED:
                    raise
                response: dict[str, Any] = dict(exc.response)
                held: Item = response.get("Item") or {}
                return "busy" if held.get("state", {}).get("S") == "sending" else "done"
        return "claimed"

    def settle(self, tenant_id: str, key: str, state: DeliveryState, now: datetime) -> None:
        with store_errors("settle delivery"):
            self.client.put_item(
                TableName=self.table_name,
                Item={
                    **claim_key(tenant_id, key),
                    "state": _s(state),
                    "settled_at": _s(sortable_time(now)),
                    "expires_at": _n(int(now.timestamp()) + CLAIM_TTL_S),
                },
            )

    def record(self, tenant_id: str, fingerprints: Sequence[str], delivery: Delivery) -> None:
        expires_at = _n(int(delivery.at.timestamp()) + DELIVERY_TTL_S)
        with store_errors("record delivery"):
            for fingerprint in dict.fromkeys(fingerprints):
                self.client.put_item(
                    TableName=self.table_name,
                    Item={
                        "pk": _s(tenant_partition(tenant_id)),
                        # A random tail: two deliveries to one channel in the same microsecond both stay.
                        "sk": _s(f"L#{fingerprint}#{sortable_time(delivery.at)}#{uuid.uuid4().hex[:8]}"),
                        "data": _s(delivery.model_dump_json()),
                        "expires_at": expires_at,
                    },
                )
                if delivery.outcome == "delivered":
                    self.client.update_item(
                        TableName=self.table_name,
                        Key=summary_key(tenant_id, fingerprint),
                        UpdateExpression="ADD notifications_sent :one, notification_channels :channel "
                        "SET last_notification_at = :at, #told = :status",
                        ExpressionAttributeNames={"#told": _TOLD_PREFIX + delivery.channel},
                        ExpressionAttributeValues={
                            ":one": _n(1),
                            ":channel": {"SS": [delivery.channel]},
                            ":at": _s(delivery.at.isoformat()),
                            ":status": _s(delivery.status),
                        },
                    )

    def told(self, tenant_id: str, fingerprints: Sequence[str], channel_id: str) -> dict[str, str]:
        keys = [summary_key(tenant_id, fingerprint) for fingerprint in dict.fromkeys(fingerprints)]
        with store_errors("read what channels were told"):
            found = batch_get_items(self.client, self.table_name, keys, consistent=True)
        told: dict[str, str] = {}
        for item in found.values():
            status = item.get(_TOLD_PREFIX + channel_id, {}).get("S")
            if status is not None:
                told[item["sk"]["S"].removeprefix("N#")] = status
        return told

    def summary(self, tenant_id: str, fingerprint: str, limit: int = 20) -> NotificationSummary:
        with store_errors("read delivery log"):
            counts = self.client.get_item(
                TableName=self.table_name, Key=summary_key(tenant_id, fingerprint), ConsistentRead=True
            ).get("Item", {})
            response = self.client.query(
                TableName=self.table_name,
                KeyConditionExpression="pk = :pk AND begins_with(sk, :prefix)",
                ExpressionAttributeValues={
                    ":pk": _s(tenant_partition(tenant_id)),
                    ":prefix": _s(f"L#{fingerprint}#"),
                },
                ScanIndexForward=False,
                Limit=limit,
            )
        last_at = counts.get("last_notification_at", {}).get("S")
        return NotificationSummary(
            notifications_sent=int(counts.get("notifications_sent", {}).get("N", "0")),
            last_notification_at=None if last_at is None else datetime.fromisoformat(last_at),
            notification_channels=tuple(sorted(counts.get("notification_channels", {}).get("SS", []))),
            deliveries=tuple(Delivery.model_validate_json(item["data"]["S"]) for item in response.get("Items", [])),
        )
