"""The probe queues on SQS: shards for probe workers, and transitions for alert evaluation.

Both send with SendMessageBatch (at most 10 entries a call) and go on through every batch when an entry
fails, then raise naming each entry that was not sent: what was sent stays sent, and the caller retries
the whole (transitions are identified by their event id, so a consumer can drop a repeat).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from vigil_core.adapters.aws import sqs_client
from vigil_core.models.probes import ProbeShard, TransitionEvent

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.type_defs import BatchResultErrorEntryTypeDef, SendMessageBatchRequestEntryTypeDef

SEND_BATCH_LIMIT = 10


def send_in_batches(
    client: SQSClient, queue_url: str, entries: Sequence[SendMessageBatchRequestEntryTypeDef]
) -> list[BatchResultErrorEntryTypeDef]:
    """Send every entry; the entries SQS refused. Entry ids must be unique across `entries`."""
    failed: list[BatchResultErrorEntryTypeDef] = []
    for start in range(0, len(entries), SEND_BATCH_LIMIT):
        response = client.send_message_batch(QueueUrl=queue_url, Entries=entries[start : start + SEND_BATCH_LIMIT])
        failed.extend(response.get("Failed", []))
    return failed


def _describe(failure: BatchResultErrorEntryTypeDef, what: str) -> str:
    return f"{what}: {failure.get('Code', 'unknown')} {failure.get('Message', '')}".rstrip()


def _shard_name(shard: ProbeShard) -> str:
    return f"shard {shard.shard + 1}/{shard.shards} of slot {shard.slot} ({shard.interval}s monitors)"


class SqsShardQueue:
    def __init__(self, queue_url: str, client: SQSClient | None = None) -> None:
        self.queue_url = queue_url
        self._client = client

    @property
    def client(self) -> SQSClient:
        return self._client or sqs_client()

    def send(self, shards: Sequence[ProbeShard], delay_s: int = 0) -> None:
        entries: list[SendMessageBatchRequestEntryTypeDef] = [
            {"Id": str(index), "MessageBody": shard.to_json(), "DelaySeconds": delay_s}
            for index, shard in enumerate(shards)
        ]
        failed = send_in_batches(self.client, self.queue_url, entries)
        if failed:
            named = [_describe(failure, _shard_name(shards[int(failure["Id"])])) for failure in failed]
            raise RuntimeError(f"{len(failed)} of {len(shards)} shards were not queued: " + "; ".join(named))


class SqsTransitionPublisher:
    def __init__(self, queue_url: str, client: SQSClient | None = None) -> None:
        self.queue_url = queue_url
        self._client = client

    @property
    def client(self) -> SQSClient:
        return self._client or sqs_client()

    def publish(self, events: Sequence[TransitionEvent]) -> None:
        entries: list[SendMessageBatchRequestEntryTypeDef] = [
            {
                "Id": str(index),
                "MessageBody": event.to_json(),
                # For subscription filters and for reading a queue without parsing every body.
                "MessageAttributes": {
                    "tenant_id": {"DataType": "String", "StringValue": event.tenant_id},
                    "monitor_id": {"DataType": "String", "StringValue": event.monitor_id},
                    "current": {"DataType": "String", "StringValue": event.current.value},
                },
            }
            for index, event in enumerate(events)
        ]
        failed = send_in_batches(self.client, self.queue_url, entries)
        if failed:
            named = [_describe(failure, events[int(failure["Id"])].event_id) for failure in failed]
            raise RuntimeError(f"{len(failed)} of {len(events)} transitions were not sent: " + "; ".join(named))
