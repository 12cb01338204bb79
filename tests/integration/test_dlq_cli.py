"""`vigil dlq list` and `vigil dlq redrive` against moto's SQS, served on 127.0.0.1."""

from __future__ import annotations

import argparse
import json
import os
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from vigil_cli.local.backend import EmbeddedMoto, reset_moto
from vigil_cli.local.commands import STATE_FILE
from vigil_cli.main import build_parser, main

pytestmark = pytest.mark.integration

ATTRIBUTES = {
    "tenant": {"DataType": "String", "StringValue": "acme"},
    "attempt": {"DataType": "Number", "StringValue": "3"},
    "trace": {"DataType": "Binary", "BinaryValue": b"\x00\x01\xfe"},
}


@pytest.fixture(scope="module")
def moto_url() -> Iterator[str]:
    """The same embedded moto server `vigil local up` runs, on a free loopback port."""
    moto = EmbeddedMoto()
    url = moto.start()
    yield url
    reset_moto(url)
    moto.stop()


class Queues:
    """A small SQS estate: orders → orders-dlq, two queues sharing shared-dlq, and queues without a DLQ."""

    def __init__(self, endpoint_url: str) -> None:
        self.endpoint_url = endpoint_url
        self.sqs: Any = boto3.client(
            "sqs",
            endpoint_url=endpoint_url,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        self.orders_dlq = self.create("orders-dlq")
        self.orders = self.create("orders", dead_letters=self.orders_dlq)
        self.shared_dlq = self.create("shared-dlq")
        self.billing = self.create("billing", dead_letters=self.shared_dlq)
        self.invoices = self.create("invoices", dead_letters=self.shared_dlq)
        self.metrics = self.create("metrics")
        self.create("alerts")

    def create(self, name: str, dead_letters: str | None = None, **attributes: str) -> str:
        if dead_letters is not None:
            target_arn = self.sqs.get_queue_attributes(QueueUrl=dead_letters, AttributeNames=["QueueArn"])[
                "Attributes"
            ]["QueueArn"]
            attributes["RedrivePolicy"] = json.dumps({"deadLetterTargetArn": target_arn, "maxReceiveCount": 3})
        return str(self.sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"])

    def put(self, queue_url: str, *bodies: str) -> list[str]:
        return [
            self.sqs.send_message(QueueUrl=queue_url, MessageBody=body, MessageAttributes=ATTRIBUTES)["MessageId"]
            for body in bodies
        ]

    def counts(self, queue_url: str) -> tuple[int, int]:
        """(visible, in flight)."""
        attributes = self.sqs.get_queue_attributes(
            QueueUrl=queue_url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
        )["Attributes"]
        return int(attributes["ApproximateNumberOfMessages"]), int(attributes["ApproximateNumberOfMessagesNotVisible"])

    def drain(self, queue_url: str) -> list[dict[str, Any]]:
        """Every message of a queue, deleted as it is read."""
        messages: list[dict[str, Any]] = []
        while batch := self.sqs.receive_message(
            QueueUrl=queue_url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]
        ).get("Messages", []):
            messages += batch
            self.sqs.delete_message_batch(
                QueueUrl=queue_url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(batch)],
            )
        return messages


@pytest.fixture
def queues(moto_url: str) -> Iterator[Queues]:
    reset_moto(moto_url)
    yield Queues(moto_url)
    reset_moto(moto_url)


def _dlq(queues: Queues, *args: str) -> int:
    return main(["dlq", *args, "--endpoint-url", queues.endpoint_url])


def _kept_attributes(message: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        name: {key: value for key, value in attribute.items() if key in ("DataType", "StringValue", "BinaryValue")}
        for name, attribute in message.get("MessageAttributes", {}).items()
    }


# --- help ------------------------------------------------------------------------------------------


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    actions = [action for action in parser._actions if isinstance(action, argparse._SubParsersAction)]
    return dict(actions[0].choices) if actions else {}


def test_every_dlq_command_and_option_has_help(capsys: pytest.CaptureFixture[str]) -> None:
    # Given the vigil command line
    dlq = _subparsers(build_parser())["dlq"]

    # When the dlq commands' help is shown
    with pytest.raises(SystemExit) as exit_info:
        main(["dlq", "--help"])

    # Then both commands are listed and every option of each says what it does
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert "list" in out
    assert "redrive" in out
    commands = _subparsers(dlq)
    assert set(commands) == {"list", "redrive"}
    for name, command in commands.items():
        assert command.description, name
        for action in command._actions:
            assert action.help, f"dlq {name} {action.option_strings or action.dest} has no help"


# --- list ------------------------------------------------------------------------------------------


def test_list_shows_each_dead_letter_queue_with_its_sources_and_count(
    queues: Queues, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given two messages in orders-dlq and none in shared-dlq
    queues.put(queues.orders_dlq, "first", "second")

    # When the dead-letter queues are listed
    code = _dlq(queues, "list")

    # Then each DLQ is a row with its count and source queue(s); queues that are no DLQ are not listed
    out = capsys.readouterr().out
    assert code == 0
    rows = {line.split()[0]: line.split() for line in out.splitlines()[1:] if line.strip()}
    assert set(rows) == {"orders-dlq", "shared-dlq"}
    assert rows["orders-dlq"][1:] == ["2", "0", "orders"]
    assert rows["shared-dlq"][1:] == ["0", "0", "billing,", "invoices"]


def test_list_json_peeks_at_messages_without_taking_them_out(
    queues: Queues, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given three messages in orders-dlq, one with a long body
    long_body = "x" * 500
    queues.put(queues.orders_dlq, "first", "second", long_body)

    # When two of each DLQ's messages are shown, as JSON
    code = _dlq(queues, "list", "--show", "2", "--json")

    # Then the JSON names the DLQs, sources and counts, and shows two distinct messages
    assert code == 0
    listed = {dlq["name"]: dlq for dlq in json.loads(capsys.readouterr().out)["dead_letter_queues"]}
    orders = listed["orders-dlq"]
    assert orders["url"] == queues.orders_dlq
    assert orders["sources"] == [{"name": "orders", "url": queues.orders}]
    assert orders["messages"] == 3
    peeked = orders["peeked"]
    assert len(peeked) == 2
    assert len({message["message_id"] for message in peeked}) == 2
    for message in peeked:
        assert message["receive_count"] == 1
        assert message["sent_at"].endswith("Z")
        assert len(message["body"]) <= 200
        assert message["body_truncated"] == (message["body"] == long_body[:200])
    assert listed["shared-dlq"]["peeked"] == []
    # And nothing was taken out or left hidden: all three are visible again at once
    assert queues.counts(queues.orders_dlq) == (3, 0)


def test_list_text_shows_peeked_messages_truncated(queues: Queues, capsys: pytest.CaptureFixture[str]) -> None:
    # Given one message with a 500-character body
    (message_id,) = queues.put(queues.orders_dlq, "y" * 500)

    # When it is shown in the table
    code = _dlq(queues, "list", "--show", "5")

    # Then its id, receive count and the first 200 characters of its body are printed
    out = capsys.readouterr().out
    assert code == 0
    assert message_id in out
    assert "received 1x" in out
    assert "    " + "y" * 200 + "...\n" in out + "\n"
    assert "y" * 201 not in out


def test_list_with_a_prefix_only_looks_at_matching_queues(queues: Queues, capsys: pytest.CaptureFixture[str]) -> None:
    code = _dlq(queues, "list", "--prefix", "orders", "--json")

    assert code == 0
    listed = json.loads(capsys.readouterr().out)["dead_letter_queues"]
    assert [dlq["name"] for dlq in listed] == ["orders-dlq"]


# --- redrive ---------------------------------------------------------------------------------------


def test_redrive_moves_every_message_once_with_its_attributes(
    queues: Queues, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given more messages in orders-dlq than one batch holds
    bodies = [json.dumps({"order": number}) for number in range(13)]
    queues.put(queues.orders_dlq, *bodies)

    # When orders-dlq is redriven
    code = _dlq(queues, "redrive", "orders-dlq")

    # Then every message is in orders exactly once, with its message attributes, and orders-dlq is empty
    assert code == 0
    assert capsys.readouterr().out.strip() == "moved 13 messages from orders-dlq to orders"
    moved = queues.drain(queues.orders)
    assert sorted(message["Body"] for message in moved) == sorted(bodies)
    assert all(_kept_attributes(message) == ATTRIBUTES for message in moved)
    assert queues.counts(queues.orders_dlq) == (0, 0)


def test_redrive_by_url_with_max_moves_only_that_many(queues: Queues, capsys: pytest.CaptureFixture[str]) -> None:
    # Given three messages in orders-dlq
    queues.put(queues.orders_dlq, "a", "b", "c")

    # When at most two are redriven, naming the DLQ by URL, as JSON
    code = _dlq(queues, "redrive", queues.orders_dlq, "--max", "2", "--json")

    # Then two moved and one is still in the DLQ, visible
    assert code == 0
    result = json.loads(capsys.readouterr().out)
    assert result == {"moved": 2, "from": queues.orders_dlq, "to": queues.orders, "failed": [], "not_deleted": []}
    assert queues.counts(queues.orders) == (2, 0)
    assert queues.counts(queues.orders_dlq) == (1, 0)


def test_redrive_of_an_empty_dlq_moves_nothing(queues: Queues, capsys: pytest.CaptureFixture[str]) -> None:
    code = _dlq(queues, "redrive", "orders-dlq")

    assert code == 0
    assert capsys.readouterr().out.strip() == "moved 0 messages from orders-dlq to orders"


def test_redrive_leaves_a_message_the_source_rejects_in_the_dlq_and_fails(
    queues: Queues, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a source queue that takes at most 1 KiB and a DLQ holding a small and a 2 KiB message
    small_dlq = queues.create("small-dlq")
    small = queues.create("small", dead_letters=small_dlq, MaximumMessageSize="1024")
    queues.put(small_dlq, "fits")
    (too_big,) = queues.put(small_dlq, "z" * 2048)

    # When the DLQ is redriven
    code = _dlq(queues, "redrive", "small-dlq")

    # Then the small one moved, the big one is named and back in the DLQ at once, and the exit status is 1
    out, err = capsys.readouterr()
    assert code == 1
    assert out.strip() == "moved 1 message from small-dlq to small"
    assert "1 message could not be sent to small and stay in small-dlq" in err
    assert too_big in err
    assert [message["Body"] for message in queues.drain(small)] == ["fits"]
    assert queues.counts(small_dlq) == (1, 0)


def test_redrive_of_a_fifo_dlq_keeps_order_and_groups(queues: Queues, capsys: pytest.CaptureFixture[str]) -> None:
    # Given a FIFO DLQ holding messages of two groups that were sent to it moments ago
    fifo_dlq = queues.create("jobs-dlq.fifo", FifoQueue="true")
    fifo = queues.create("jobs.fifo", dead_letters=fifo_dlq, FifoQueue="true")
    for number in range(5):
        queues.sqs.send_message(
            QueueUrl=fifo_dlq,
            MessageBody=f"job {number}",
            MessageGroupId=f"group-{number % 2}",
            MessageDeduplicationId=f"job-{number}",
        )

    # When it is redriven
    code = _dlq(queues, "redrive", "jobs-dlq.fifo")

    # Then every message is back in the source, in order and in its group (none deduplicated away)
    assert code == 0
    assert capsys.readouterr().out.strip() == "moved 5 messages from jobs-dlq.fifo to jobs.fifo"
    moved = queues.sqs.receive_message(QueueUrl=fifo, MaxNumberOfMessages=10, MessageSystemAttributeNames=["All"])[
        "Messages"
    ]
    assert [(message["Body"], message["Attributes"]["MessageGroupId"]) for message in moved] == [
        (f"job {number}", f"group-{number % 2}") for number in range(5)
    ]
    assert queues.counts(fifo_dlq) == (0, 0)


def test_redrive_of_a_queue_that_is_no_dlq_fails_naming_the_dlqs(
    queues: Queues, capsys: pytest.CaptureFixture[str]
) -> None:
    code = _dlq(queues, "redrive", "metrics")

    assert code == 1
    assert (
        "vigil: error: metrics is not a dead-letter queue (no queue's RedrivePolicy names it); "
        "dead-letter queues: orders-dlq, shared-dlq"
    ) in capsys.readouterr().err


def test_redrive_of_a_missing_queue_fails(queues: Queues, capsys: pytest.CaptureFixture[str]) -> None:
    code = _dlq(queues, "redrive", "no-such-queue")

    assert code == 1
    assert f"no queue named no-such-queue at {queues.endpoint_url}" in capsys.readouterr().err


def test_redrive_of_a_shared_dlq_needs_to(queues: Queues, capsys: pytest.CaptureFixture[str]) -> None:
    # Given a message in the DLQ both billing and invoices use
    queues.put(queues.shared_dlq, "bill")

    # When it is redriven without saying where to
    code = _dlq(queues, "redrive", "shared-dlq")

    # Then it fails, naming both sources, and moves nothing
    assert code == 1
    assert "several queues (billing, invoices): choose one with --to" in capsys.readouterr().err
    assert queues.counts(queues.shared_dlq) == (1, 0)

    # And with --to the message goes to the chosen source
    assert _dlq(queues, "redrive", "shared-dlq", "--to", "invoices") == 0
    assert queues.counts(queues.invoices) == (1, 0)
    assert queues.counts(queues.billing) == (0, 0)


def test_redrive_to_a_queue_that_is_no_source_fails(queues: Queues, capsys: pytest.CaptureFixture[str]) -> None:
    code = _dlq(queues, "redrive", "shared-dlq", "--to", "metrics")

    assert code == 1
    assert "--to metrics: not a source queue of shared-dlq; its source queues: billing, invoices" in (
        capsys.readouterr().err
    )


# --- where SQS is ----------------------------------------------------------------------------------


def test_without_a_local_cloud_or_endpoint_it_says_how_to_get_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["dlq", "list", "--state-dir", str(tmp_path)])

    assert code == 1
    err = capsys.readouterr().err
    assert "no local cloud is running" in err
    assert "vigil local up" in err
    assert "--endpoint-url" in err


def test_by_default_it_uses_the_running_local_clouds_backend(
    queues: Queues, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a live local cloud's state file naming the moto server as its backend
    (tmp_path / STATE_FILE).write_text(json.dumps({"backend_url": queues.endpoint_url, "pid": os.getpid()}))
    queues.put(queues.orders_dlq, "one")

    # When the DLQs are listed with neither --endpoint-url nor --aws
    code = main(["dlq", "list", "--json", "--state-dir", str(tmp_path)])

    # Then they are the backend's
    assert code == 0
    listed = json.loads(capsys.readouterr().out)["dead_letter_queues"]
    assert {dlq["name"]: dlq["messages"] for dlq in listed} == {"orders-dlq": 1, "shared-dlq": 0}


def test_an_unreachable_endpoint_fails_clearly(capsys: pytest.CaptureFixture[str]) -> None:
    # Given a loopback port nothing listens on
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_url = f"http://127.0.0.1:{probe.getsockname()[1]}"

    code = main(["dlq", "list", "--endpoint-url", closed_url])

    assert code == 1
    assert f"vigil: error: cannot reach SQS at {closed_url}" in capsys.readouterr().err
