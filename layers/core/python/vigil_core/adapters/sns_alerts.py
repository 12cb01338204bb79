"""The alerts topic on SNS: alert transitions (kind=transition) and group notifications (kind=notification).

Every message carries its kind, tenant, severity, state and fingerprint (a notification's group key) as
String message attributes, so subscriptions filter on them without reading bodies; a notification also
carries `channels`, a String.Array of the channel types the tenant routes it to. Transitions go out with
PublishBatch (at most 10 entries a call); every batch is tried, then the entries SNS refused are named.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

from vigil_core.adapters.aws import sns_client
from vigil_core.models.alerts import AlertTransition, GroupNotification

if TYPE_CHECKING:
    from mypy_boto3_sns import SNSClient
    from mypy_boto3_sns.type_defs import (
        BatchResultErrorEntryTypeDef,
        MessageAttributeValueTypeDef,
        PublishBatchRequestEntryTypeDef,
    )

PUBLISH_BATCH_LIMIT = 10


class PublishError(RuntimeError):
    """Something was not published; what was published stays so, and the caller retries the whole."""


def _attributes(
    kind: str, tenant_id: str, severity: str, state: str, fingerprint: str
) -> dict[str, MessageAttributeValueTypeDef]:
    values = {"kind": kind, "tenant": tenant_id, "severity": severity, "state": state, "fingerprint": fingerprint}
    return {name: {"DataType": "String", "StringValue": value} for name, value in values.items()}


def transition_attributes(transition: AlertTransition) -> dict[str, MessageAttributeValueTypeDef]:
    return _attributes(
        "transition",
        transition.tenant_id,
        transition.severity.value,
        transition.status.value,
        transition.fingerprint,
    )


def notification_attributes(
    notification: GroupNotification, channel_types: Sequence[str] = ()
) -> dict[str, MessageAttributeValueTypeDef]:
    attributes = _attributes(
        "notification",
        notification.tenant_id,
        notification.severity.value,
        notification.status,
        notification.group_key,
    )
    # Always present, even empty: a filter on `channels` then never matches a notification routed nowhere.
    attributes["channels"] = {"DataType": "String.Array", "StringValue": json.dumps(sorted(channel_types))}
    return attributes


def _describe(failure: BatchResultErrorEntryTypeDef, transition_id: str) -> str:
    return f"{transition_id}: {failure.get('Code', 'unknown')} {failure.get('Message', '')}".rstrip()


class SnsAlertPublisher:
    def __init__(self, topic_arn: str, client: SNSClient | None = None) -> None:
        self.topic_arn = topic_arn
        self._client = client

    @property
    def client(self) -> SNSClient:
        return self._client or sns_client()

    def publish_transitions(self, transitions: Sequence[AlertTransition]) -> None:
        entries: list[PublishBatchRequestEntryTypeDef] = [
            {
                "Id": str(index),
                "Message": transition.model_dump_json(),
                "MessageAttributes": transition_attributes(transition),
            }
            for index, transition in enumerate(transitions)
        ]
        failed: list[BatchResultErrorEntryTypeDef] = []
        try:
            for start in range(0, len(entries), PUBLISH_BATCH_LIMIT):
                response = self.client.publish_batch(
                    TopicArn=self.topic_arn, PublishBatchRequestEntries=entries[start : start + PUBLISH_BATCH_LIMIT]
                )
                failed.extend(response.get("Failed", []))
        except (ClientError, BotoCoreError) as exc:
            raise PublishError(f"SNS publish transitions: {exc}") from exc
        if failed:
            named = [_describe(failure, transitions[int(failure["Id"])].transition_id) for failure in failed]
            raise PublishError(
                f"{len(failed)} of {len(transitions)} transitions were not published: " + "; ".join(named)
            )

    def publish_notification(self, notification: GroupNotification, channel_types: Sequence[str] = ()) -> None:
        try:
            self.client.publish(
                TopicArn=self.topic_arn,
                Message=notification.model_dump_json(),
                MessageAttributes=notification_attributes(notification, channel_types),
            )
        except (ClientError, BotoCoreError) as exc:
            raise PublishError(f"SNS publish notification {notification.notification_id}: {exc}") from exc
