"""SQS event source mappings: batches, deletes, partial batch failures, visibility and the DLQ."""

from __future__ import annotations

import functools
import json
from typing import Any

import boto3
import pytest

from vigil_cli.local.cloud import LocalCloud

from .conftest import StartCloud, wait_until
from .templates import function, sqs_template, table, template

pytestmark = pytest.mark.integration


def _sqs(cloud: LocalCloud) -> Any:
    return _sqs_client(cloud.backend_url)


@functools.cache
def _sqs_client(endpoint_url: str) -> Any:
    """One client per backend, made before any poller runs a function: making a client reads os.environ,
    which an invocation on a poller thread changes key by key (a key removed mid-read is a KeyError)."""
    return boto3.client("sqs", endpoint_url=endpoint_url, region_name="us-east-1")


def _send(cloud: LocalCloud, *actions: str) -> list[str]:
    sqs = _sqs(cloud)
    return [
        sqs.send_message(QueueUrl=cloud.physical_id("WorkQueue"), MessageBody=json.dumps({"action": action}))[
            "MessageId"
        ]
        for action in actions
    ]


def _counts(cloud: LocalCloud, queue: str = "WorkQueue") -> tuple[int, int]:
    """(visible, in flight) messages of a queue."""
    attributes = _sqs(cloud).get_queue_attributes(
        QueueUrl=cloud.physical_id(queue),
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]), int(attributes["ApproximateNumberOfMessagesNotVisible"])


def test_a_successful_batch_is_deleted(start_cloud: StartCloud) -> None:
    cloud = start_cloud(sqs_template())
    _send(cloud, "ok", "ok", "ok")

    (record,) = cloud.poll_all_once()

    assert (record.source, record.function, record.ok) == ("sqs", "notifier", True)
    assert record.detail == "3 messages"
    assert _counts(cloud) == (0, 0)


def test_batch_item_failures_keep_only_the_failed_message(start_cloud: StartCloud) -> None:
    cloud = start_cloud(sqs_template(visibility_timeout=1))
    _ok, failed, _also_ok = _send(cloud, "ok", "fail", "ok")

    (record,) = cloud.poll_all_once()

    assert not record.ok
    assert record.detail == "3 messages, 1 reported as failed"
    assert _counts(cloud) == (0, 1)  # the failed one waits out its visibility timeout, then comes back
    returned = wait_until(
        lambda: _sqs(cloud).receive_message(QueueUrl=cloud.physical_id("WorkQueue")).get("Messages"), timeout_s=5
    )
    assert [message["MessageId"] for message in returned] == [failed]


def test_a_handler_exception_keeps_the_whole_batch(start_cloud: StartCloud) -> None:
    cloud = start_cloud(sqs_template())
    _send(cloud, "ok", "raise", "ok")

    (record,) = cloud.poll_all_once()

    assert not record.ok
    assert "RuntimeError" in record.detail
    assert _counts(cloud) == (0, 3)


def test_batch_item_failures_are_ignored_without_report_batch_item_failures(start_cloud: StartCloud) -> None:
    # Lambda only reads batchItemFailures when the mapping asks for it; otherwise success deletes all
    cloud = start_cloud(sqs_template(report_failures=False))
    _send(cloud, "ok", "fail")

    (record,) = cloud.poll_all_once()

    assert record.ok
    assert _counts(cloud) == (0, 0)


def test_batch_size_limits_each_invocation(start_cloud: StartCloud) -> None:
    cloud = start_cloud(sqs_template(batch_size=2))
    _send(cloud, "ok", "ok", "ok", "ok", "ok")

    records = [cloud.poll_all_once()[0] for _ in range(3)]

    assert [record.detail for record in records] == ["2 messages", "2 messages", "1 message"]
    assert _counts(cloud) == (0, 0)


def test_failed_messages_return_after_the_visibility_timeout_then_go_to_the_dlq(start_cloud: StartCloud) -> None:
    # Given a running poller on a queue with a 1 s visibility timeout and maxReceiveCount 2
    cloud = start_cloud(sqs_template(visibility_timeout=1, max_receive_count=2), start_pollers=True)

    # When a message keeps failing
    _send(cloud, "fail")

    # Then after two receives it lands in the dead-letter queue and leaves the work queue
    wait_until(lambda: _counts(cloud, "DeadLetters")[0] == 1, timeout_s=15)
    assert _counts(cloud) == (0, 0)
    dead = _sqs(cloud).receive_message(QueueUrl=cloud.physical_id("DeadLetters"), AttributeNames=["All"])
    (message,) = dead["Messages"]
    assert json.loads(message["Body"]) == {"action": "fail"}
    assert message["Attributes"]["ApproximateReceiveCount"] == "3"  # two deliveries, then this receive


def test_a_disabled_mapping_is_not_polled(start_cloud: StartCloud) -> None:
    cloud = start_cloud(sqs_template(enabled=False), start_pollers=True)
    _send(cloud, "ok")

    assert cloud.poll_all_once() == []
    assert _counts(cloud) == (1, 0)


def test_the_handler_receives_lambdas_sqs_event_shape(start_cloud: StartCloud) -> None:
    # Given a queue feeding a function that records its event in a table
    body = template(
        {
            "Events": table(),
            "Recorder": function("recorder", env={"TABLE_NAME": {"Ref": "Events"}}),
            "Queue": {"Type": "AWS::SQS::Queue"},
            "Mapping": {
                "Type": "AWS::Lambda::EventSourceMapping",
                "Properties": {
                    "EventSourceArn": {"Fn::GetAtt": ["Queue", "Arn"]},
                    "FunctionName": {"Ref": "Recorder"},
                    "BatchSize": 5,
                },
            },
        }
    )
    cloud = start_cloud(body)
    sent = _sqs(cloud).send_message(
        QueueUrl=cloud.physical_id("Queue"),
        MessageBody="hello",
        MessageAttributes={
            "tenant": {"DataType": "String", "StringValue": "t-1"},
            "blob": {"DataType": "Binary", "BinaryValue": b"\x00\x01"},
        },
    )

    cloud.poll_all_once()

    # Then the event is what Lambda delivers for SQS
    dynamodb = boto3.client("dynamodb", endpoint_url=cloud.backend_url, region_name="us-east-1")
    (item,) = dynamodb.scan(TableName=cloud.physical_id("Events"))["Items"]
    (record,) = json.loads(item["event"]["S"])["Records"]
    assert record["messageId"] == sent["MessageId"]
    assert record["body"] == "hello"
    assert record["md5OfBody"] == sent["MD5OfMessageBody"]
    assert record["eventSource"] == "aws:sqs"
    assert record["eventSourceARN"] == cloud.attribute("Queue", "Arn")
    assert record["awsRegion"] == "us-east-1"
    assert record["receiptHandle"]
    assert record["attributes"]["ApproximateReceiveCount"] == "1"
    assert {"SentTimestamp", "SenderId", "ApproximateFirstReceiveTimestamp"} <= set(record["attributes"])
    assert record["messageAttributes"]["tenant"] == {
        "stringValue": "t-1",
        "stringListValues": [],
        "binaryListValues": [],
        "dataType": "String",
    }
    assert record["messageAttributes"]["blob"]["binaryValue"] == "AAE="
