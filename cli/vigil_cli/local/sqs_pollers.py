"""SQS event source mappings: one poller thread per enabled mapping, as the Lambda service runs them.

Success deletes the batch; with ReportBatchItemFailures only the reported messages stay; a handler
error keeps them all. Kept messages reappear after the queue's visibility timeout, and the backend
moves them to the dead-letter queue after maxReceiveCount: moto 5.2.5 does so itself on the receive
that finds such a message visible again (as SQS does), so the pollers need not.
"""

from __future__ import annotations

import base64
import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from vigil_cli.local.aws import AwsClients
from vigil_cli.local.errors import FunctionError, TemplateError
from vigil_cli.local.functions import FunctionRegistry, FunctionSpec
from vigil_cli.local.records import InvocationHook, InvocationRecord, report_invocation
from vigil_cli.local.template import Provisioned

_MAX_RECEIVE = 10  # SQS's per-call limit


@dataclass(frozen=True)
class SqsMapping:
    logical_id: str
    queue_arn: str
    queue_url: str
    queue_name: str
    function: FunctionSpec
    batch_size: int
    batching_window_s: float
    report_batch_item_failures: bool
    enabled: bool


def mappings_from_stack(stack: Mapping[str, Provisioned], registry: FunctionRegistry) -> list[SqsMapping]:
    queues = {str(item.attributes["Arn"]): item for item in stack.values() if item.type == "AWS::SQS::Queue"}
    mappings = []
    for logical_id, item in stack.items():
        if item.type != "AWS::Lambda::EventSourceMapping":
            continue
        props = item.properties
        queue = queues.get(str(props["EventSourceArn"]))
        if queue is None:
            raise TemplateError(
                f"event source mapping {logical_id}: queue {props['EventSourceArn']} is not in the stack"
            )
        mappings.append(
            SqsMapping(
                logical_id=logical_id,
                queue_arn=str(props["EventSourceArn"]),
                queue_url=queue.physical_id,
                queue_name=str(queue.attributes["QueueName"]),
                function=registry.get(str(props["FunctionName"])),
                batch_size=int(props.get("BatchSize", 10)),
                batching_window_s=float(props.get("MaximumBatchingWindowInSeconds", 0)),
                report_batch_item_failures="ReportBatchItemFailures" in props.get("FunctionResponseTypes", []),
                enabled=str(props.get("Enabled", True)).lower() != "false",
            )
        )
    return mappings


def sqs_record(message: Mapping[str, Any], mapping: SqsMapping, region: str) -> dict[str, Any]:
    """One record of the Lambda SQS event, in Lambda's shape."""
    attributes = {}
    for name, value in message.get("MessageAttributes", {}).items():
        attribute: dict[str, Any] = {"stringListValues": [], "binaryListValues": [], "dataType": value["DataType"]}
        if "StringValue" in value:
            attribute["stringValue"] = value["StringValue"]
        if "BinaryValue" in value:
            attribute["binaryValue"] = base64.b64encode(value["BinaryValue"]).decode()
        attributes[name] = attribute
    record = {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": dict(message.get("Attributes", {})),
        "messageAttributes": attributes,
        "md5OfBody": message["MD5OfBody"],
        "eventSource": "aws:sqs",
        "eventSourceARN": mapping.queue_arn,
        "awsRegion": region,
    }
    if "MD5OfMessageAttributes" in message:
        record["md5OfMessageAttributes"] = message["MD5OfMessageAttributes"]
    return record


class SqsPoller:
    def __init__(
        self,
        mapping: SqsMapping,
        registry: FunctionRegistry,
        clients: AwsClients,
        *,
        wait_time_s: int = 1,
        on_invocation: InvocationHook | None = None,
    ) -> None:
        self.mapping = mapping
        self.registry = registry
        self.clients = clients
        self.wait_time_s = wait_time_s
        self.on_invocation = on_invocation
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def receive_batch(self) -> list[dict[str, Any]]:
        """Up to BatchSize messages: receives of at most 10 until full or the batching window closes."""
        sqs = self.clients.sqs()
        batch: list[dict[str, Any]] = []
        deadline = time.monotonic() + self.mapping.batching_window_s
        while len(batch) < self.mapping.batch_size and not self._stop.is_set():
            response = sqs.receive_message(
                QueueUrl=self.mapping.queue_url,
                MaxNumberOfMessages=min(_MAX_RECEIVE, self.mapping.batch_size - len(batch)),
                WaitTimeSeconds=self.wait_time_s,
                AttributeNames=["All"],
                MessageAttributeNames=["All"],
            )
            received = response.get("Messages", [])
            batch.extend(dict(message) for message in received)
            if not batch:
                return batch  # nothing yet: let the caller's loop check for stop
            if not received or time.monotonic() >= deadline:
                break
        return batch

    def poll_once(self) -> InvocationRecord | None:
        """Receive one batch, invoke the function, delete what succeeded. None when the queue was empty."""
        messages = self.receive_batch()
        if not messages:
            return None
        started = time.monotonic()
        event = {"Records": [sqs_record(message, self.mapping, self.clients.region) for message in messages]}
        keep: set[str] = set()
        detail = ""
        try:
            result = self.registry.invoke(self.mapping.function.logical_id, event)
        except FunctionError as exc:
            keep = {message["MessageId"] for message in messages}
            detail = f"{exc.error_type}: {exc.error_message}"
        else:
            keep = self._failed_ids(result, messages)
        self._delete([message for message in messages if message["MessageId"] not in keep])
        if keep and not detail:
            detail = f"{len(keep)} reported as failed"
        record = InvocationRecord(
            time=datetime.now(UTC),
            source="sqs",
            trigger=self.mapping.queue_name,
            function=self.mapping.function.short_name,
            ok=not keep,
            duration_ms=(time.monotonic() - started) * 1000,
            detail=f"{len(messages)} message{'s' if len(messages) != 1 else ''}" + (f", {detail}" if detail else ""),
        )
        report_invocation(self.on_invocation, record)
        return record

    def _failed_ids(self, result: Any, messages: list[dict[str, Any]]) -> set[str]:
        """Message ids to keep, per Lambda's partial batch response rules."""
        if not self.mapping.report_batch_item_failures or not isinstance(result, dict):
            return set()
        failures = result.get("batchItemFailures") or []
        batch_ids = {message["MessageId"] for message in messages}
        failed = {failure.get("itemIdentifier") if isinstance(failure, dict) else None for failure in failures}
        if any(not identifier or identifier not in batch_ids for identifier in failed):
            return batch_ids  # an invalid response fails the whole batch, as in Lambda
        return {str(identifier) for identifier in failed}

    def _delete(self, messages: list[dict[str, Any]]) -> None:
        sqs = self.clients.sqs()
        for start in range(0, len(messages), _MAX_RECEIVE):
            chunk = messages[start : start + _MAX_RECEIVE]
            sqs.delete_message_batch(
                QueueUrl=self.mapping.queue_url,
                Entries=[{"Id": str(index), "ReceiptHandle": m["ReceiptHandle"]} for index, m in enumerate(chunk)],
            )

    def start(self) -> None:
        if not self.mapping.enabled:
            return
        self._thread = threading.Thread(target=self._run, name=f"vigil-sqs-{self.mapping.queue_name}", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.poll_once()
            except Exception as exc:  # a backend hiccup must not end polling
                print(f"vigil local: polling {self.mapping.queue_name} failed: {exc!r}", file=sys.stderr)
                self._stop.wait(1.0)

    def stop_async(self) -> None:
        self._stop.set()

    def join(self, timeout_s: float) -> None:
        if self._thread is not None:
            self._thread.join(timeout_s)
