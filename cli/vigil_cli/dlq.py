"""`vigil dlq list` and `vigil dlq redrive`: see what sits in the dead-letter queues and send it back.

A dead-letter queue (DLQ) is any queue that some source queue names as ``deadLetterTargetArn`` in its
RedrivePolicy. The commands talk to the running local cloud's backend by default, to any SQS endpoint with
``--endpoint-url``, or to AWS itself with ``--aws``.

boto3 is imported inside the commands so ``vigil --help`` stays quick.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vigil_cli import CliError
from vigil_cli.console import Column, Output
from vigil_cli.local.commands import DEFAULT_STATE_DIR, STATE_FILE, read_running_state

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.type_defs import (
        MessageAttributeValueTypeDef,
        MessageTypeDef,
        PaginatorConfigTypeDef,
        SendMessageBatchRequestEntryTypeDef,
    )

# The region `vigil local up` provisions into (it has no option to change it).
LOCAL_CLOUD_REGION = "us-east-1"
SQS_BATCH_LIMIT = 10
BODY_PREVIEW_CHARS = 200
# A peeked message stays hidden only until the peek puts it back; this bounds how long it stays hidden if the
# CLI dies before then, and is long enough that one peek never receives the same message twice.
PEEK_VISIBILITY_TIMEOUT_S = 10
# Long enough to send and delete one batch; a message whose send failed stays hidden no longer than this.
REDRIVE_VISIBILITY_TIMEOUT_S = 30
# Long polling (even 1 s) asks every SQS server; a short poll samples a few and can come back empty while a
# small queue still holds messages, which would end a redrive early or show fewer messages than asked for.
RECEIVE_WAIT_S = 1
# Errors that concern one message (its size, content or attributes), not the queue: the other messages
# of the batch are sent one by one and the offending one is reported and left in the DLQ.
_MESSAGE_ERROR_CODES = frozenset(
    {
        "BatchRequestTooLong",
        "InvalidParameterValue",
        "InvalidMessageContents",
        "InvalidAttributeName",
        "InvalidAttributeValue",
        "MessageTooLong",
    }
)
_NO_SUCH_QUEUE_CODES = frozenset({"NonExistentQueue", "QueueDoesNotExist"})


# --- command line ----------------------------------------------------------------------------------


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    dlq = subparsers.add_parser(
        "dlq",
        help="inspect dead-letter queues and redrive their messages",
        description="Inspect SQS dead-letter queues (queues named as deadLetterTargetArn by another queue's "
        "RedrivePolicy) and move their messages back to their source queue. Targets the running local "
        "cloud by default.",
    )
    commands = dlq.add_subparsers(dest="dlq_command", required=True, metavar="COMMAND")

    list_parser = commands.add_parser(
        "list",
        help="list the dead-letter queues with their source queues and message counts",
        description="List every dead-letter queue with its source queue(s), its visible and in-flight message "
        "counts and, with --show, a peek at its messages. Peeking is a receive: it adds one to each peeked "
        "message's receive count, then makes the message visible again at once.",
    )
    list_parser.add_argument(
        "--prefix", help="only consider queues whose names start with PREFIX (dead-letter and source queues alike)"
    )
    list_parser.add_argument(
        "--show",
        type=_non_negative_int,
        default=0,
        metavar="N",
        help="peek at up to N messages of each dead-letter queue: id, sent time, receive count and the first "
        f"{BODY_PREVIEW_CHARS} characters of the body (default 0)",
    )
    _add_common_options(list_parser)
    list_parser.set_defaults(func=command_list)

    redrive = commands.add_parser(
        "redrive",
        help="move a dead-letter queue's messages back to its source queue",
        description="Move messages from a dead-letter queue to its source queue, keeping each message's body and "
        "message attributes. A message is deleted from the dead-letter queue only after the source queue "
        "accepted it, so an interruption can deliver a message twice but never loses one. Messages that "
        "cannot be sent stay in the dead-letter queue and make the command exit with status 1.",
    )
    redrive.add_argument("queue", metavar="QUEUE", help="the dead-letter queue, by name or URL")
    redrive.add_argument(
        "--to",
        metavar="SOURCE",
        help="the source queue to move the messages to, by name or URL (needed when several queues use QUEUE)",
    )
    redrive.add_argument(
        "--max", type=_positive_int, metavar="N", help="move at most N messages (default: until QUEUE is empty)"
    )
    _add_common_options(redrive)
    redrive.set_defaults(func=command_redrive)


def _add_common_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    parser.add_argument(
        "--endpoint-url",
        metavar="URL",
        help="use the SQS endpoint at URL (e.g. LocalStack or moto) instead of the running local cloud",
    )
    parser.add_argument(
        "--aws",
        action="store_true",
        help="use AWS with your default credentials and region (profile, environment, instance role), "
        "e.g. for a deployed vigil; with --endpoint-url, that endpoint with those credentials",
    )
    parser.add_argument(
        "--region",
        help=f"AWS region (default: {LOCAL_CLOUD_REGION} for the local cloud; otherwise AWS_REGION, "
        f"AWS_DEFAULT_REGION or your AWS config, else {LOCAL_CLOUD_REGION} with --endpoint-url)",
    )
    parser.add_argument(
        "--state-dir",
        type=Path,
        default=Path(DEFAULT_STATE_DIR),
        metavar="DIR",
        help=f"where `vigil local up` keeps the running local cloud's state (default: {DEFAULT_STATE_DIR})",
    )


def _non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number >= 0")
    return value


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number >= 1")
    return value


# --- where SQS is ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SqsTarget:
    client: SQSClient
    where: str  # for messages: which SQS this is


def connect(args: argparse.Namespace) -> SqsTarget:
    """An SQS client for --aws, --endpoint-url or (by default) the running local cloud's backend."""
    if args.aws:
        return _aws_target(args.region, args.endpoint_url)
    if args.endpoint_url:
        region = args.region or _environment_region() or LOCAL_CLOUD_REGION
        return SqsTarget(_emulator_client(args.endpoint_url, region), args.endpoint_url)
    state = read_running_state(args.state_dir)
    backend_url = state.get("backend_url") if state else None
    if not backend_url:
        raise CliError(
            f"no local cloud is running (nothing live in {args.state_dir / STATE_FILE}): start one with "
            "`vigil local up` (or `make run`), or pass --endpoint-url URL or --aws"
        )
    # The local cloud's own region, not the environment's: that may be set for a real AWS account.
    region = args.region or LOCAL_CLOUD_REGION
    return SqsTarget(_emulator_client(backend_url, region), f"the local cloud's backend {backend_url}")


def _environment_region() -> str | None:
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or None


def _emulator_client(endpoint_url: str, region: str) -> SQSClient:
    from vigil_cli.local.aws import AwsClients

    return AwsClients(endpoint_url, region).sqs()


def _aws_target(region: str | None, endpoint_url: str | None) -> SqsTarget:
    import boto3
    from botocore.exceptions import NoRegionError

    session = boto3.session.Session(region_name=region or _environment_region())
    try:
        client = session.client("sqs", endpoint_url=endpoint_url)
    except NoRegionError:
        raise CliError("--aws needs a region: pass --region or set AWS_REGION") from None
    return SqsTarget(client, endpoint_url or f"AWS SQS in {client.meta.region_name}")


@contextlib.contextmanager
def reporting_sqs_errors(where: str) -> Iterator[None]:
    """Turn boto3's failures into one-line CLI errors that say which SQS failed."""
    from botocore.exceptions import BotoCoreError, ClientError, EndpointConnectionError, NoCredentialsError

    try:
        yield
    except EndpointConnectionError as exc:
        raise CliError(f"cannot reach SQS at {where}: {exc}") from None
    except NoCredentialsError:
        raise CliError("no AWS credentials found: configure a profile or set AWS_PROFILE (needed by --aws)") from None
    except ClientError as exc:
        error = exc.response.get("Error", {})
        raise CliError(
            f"SQS {exc.operation_name} failed at {where}: {error.get('Code', '?')}: {error.get('Message', '')}"
        ) from None
    except BotoCoreError as exc:
        raise CliError(f"SQS at {where} failed: {exc}") from None


def _error_code(exc: Exception) -> str:
    response: dict[str, Any] = getattr(exc, "response", {})
    code = str(response.get("Error", {}).get("Code", ""))
    return code.removeprefix("AWS.SimpleQueueService.")


# --- finding the dead-letter queues ----------------------------------------------------------------


def queue_name(url_or_arn: str) -> str:
    """The queue's name: the last part of its URL (…/account/name) or ARN (…:account:name)."""
    return url_or_arn.rstrip("/").rsplit("/", 1)[-1].rsplit(":", 1)[-1]


@dataclass
class PeekedMessage:
    message_id: str
    sent_at: str | None
    receive_count: int | None
    body: str
    body_truncated: bool

    @classmethod
    def from_sqs(cls, message: MessageTypeDef) -> PeekedMessage:
        attributes = message.get("Attributes", {})
        sent_ms = attributes.get("SentTimestamp")
        receive_count = attributes.get("ApproximateReceiveCount")
        body = message.get("Body", "")
        return cls(
            message_id=message.get("MessageId", "?"),
            sent_at=_iso_time(int(sent_ms)) if sent_ms else None,
            receive_count=int(receive_count) if receive_count else None,
            body=body[:BODY_PREVIEW_CHARS],
            body_truncated=len(body) > BODY_PREVIEW_CHARS,
        )


def _iso_time(epoch_ms: int) -> str:
    return datetime.fromtimestamp(epoch_ms / 1000, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


@dataclass
class DeadLetterQueue:
    url: str
    arn: str
    source_urls: list[str]
    messages: int
    in_flight: int
    peeked: list[PeekedMessage] = field(default_factory=list)

    @property
    def name(self) -> str:
        return queue_name(self.url)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "url": self.url,
            "arn": self.arn,
            "sources": [{"name": queue_name(url), "url": url} for url in self.source_urls],
            "messages": self.messages,
            "in_flight": self.in_flight,
            "peeked": [asdict(message) for message in self.peeked],
        }


@dataclass
class QueueScan:
    queue_urls: list[str]
    dead_letter_queues: list[DeadLetterQueue]


def list_queue_urls(sqs: SQSClient, prefix: str | None = None) -> list[str]:
    paginator = sqs.get_paginator("list_queues")
    # Without MaxResults (the page size) SQS returns at most 1,000 queues and no token for the rest.
    page_size: PaginatorConfigTypeDef = {"PageSize": 1000}
    pages = (
        paginator.paginate(QueueNamePrefix=prefix, PaginationConfig=page_size)
        if prefix
        else paginator.paginate(PaginationConfig=page_size)
    )
    urls: list[str] = []
    for page in pages:
        urls += page.get("QueueUrls", [])
    return urls


def scan_queues(sqs: SQSClient, prefix: str | None = None) -> QueueScan:
    """Every queue (optionally by name prefix) and, among them, the dead-letter queues with their sources."""
    from botocore.exceptions import ClientError

    urls = list_queue_urls(sqs, prefix)
    attributes_by_url: dict[str, dict[str, str]] = {}
    for url in urls:
        try:
            answer = sqs.get_queue_attributes(
                QueueUrl=url,
                AttributeNames=[
                    "QueueArn",
                    "RedrivePolicy",
                    "ApproximateNumberOfMessages",
                    "ApproximateNumberOfMessagesNotVisible",
                ],
            )["Attributes"]
            attributes_by_url[url] = {str(name): value for name, value in answer.items()}
        except ClientError as exc:
            if _error_code(exc) not in _NO_SUCH_QUEUE_CODES:
                raise
            # Deleted since it was listed: neither a DLQ nor a source any more.
    url_by_arn = {attributes["QueueArn"]: url for url, attributes in attributes_by_url.items()}
    sources_by_arn: dict[str, list[str]] = {}
    for url, attributes in attributes_by_url.items():
        target_arn = _dead_letter_target_arn(attributes.get("RedrivePolicy"))
        if target_arn:
            sources_by_arn.setdefault(target_arn, []).append(url)

    dead_letter_queues = []
    for arn, source_urls in sources_by_arn.items():
        dlq_url = url_by_arn.get(arn)
        if dlq_url is None:
            # Outside --prefix, or gone: the source queue then points at a queue that does not exist.
            print(
                f"vigil dlq: {', '.join(map(queue_name, source_urls))} names dead-letter queue {queue_name(arn)}, "
                "which is not among the listed queues",
                file=sys.stderr,
            )
            continue
        counts = attributes_by_url[dlq_url]
        dead_letter_queues.append(
            DeadLetterQueue(
                url=dlq_url,
                arn=arn,
                source_urls=sorted(source_urls),
                messages=int(counts.get("ApproximateNumberOfMessages", 0)),
                in_flight=int(counts.get("ApproximateNumberOfMessagesNotVisible", 0)),
            )
        )
    dead_letter_queues.sort(key=lambda dlq: dlq.name)
    return QueueScan(list(attributes_by_url), dead_letter_queues)


def _dead_letter_target_arn(redrive_policy: str | None) -> str | None:
    if not redrive_policy:
        return None
    try:
        policy = json.loads(redrive_policy)
    except ValueError:
        return None
    target = policy.get("deadLetterTargetArn") if isinstance(policy, dict) else None
    return target if isinstance(target, str) and target else None


# --- peeking ---------------------------------------------------------------------------------------


def _receive(sqs: SQSClient, queue_url: str, count: int, visibility_timeout_s: int) -> list[MessageTypeDef]:
    return sqs.receive_message(
        QueueUrl=queue_url,
        MaxNumberOfMessages=min(SQS_BATCH_LIMIT, count),
        VisibilityTimeout=visibility_timeout_s,
        WaitTimeSeconds=RECEIVE_WAIT_S,
        MessageSystemAttributeNames=["All"],
        MessageAttributeNames=["All"],
    ).get("Messages", [])


def _make_visible_again(sqs: SQSClient, queue_url: str, receipt_handles: Sequence[str]) -> None:
    """Return received messages to the queue now rather than when their visibility timeout ends."""
    from botocore.exceptions import BotoCoreError, ClientError

    for start in range(0, len(receipt_handles), SQS_BATCH_LIMIT):
        chunk = receipt_handles[start : start + SQS_BATCH_LIMIT]
        # Best effort: a message this misses comes back anyway when its visibility timeout ends.
        with contextlib.suppress(BotoCoreError, ClientError):
            sqs.change_message_visibility_batch(
                QueueUrl=queue_url,
                Entries=[
                    {"Id": str(index), "ReceiptHandle": handle, "VisibilityTimeout": 0}
                    for index, handle in enumerate(chunk)
                ],
            )


def peek(sqs: SQSClient, queue_url: str, count: int) -> list[PeekedMessage]:
    """Up to ``count`` messages of a queue, left in it.

    SQS has no read-only peek, so this receives and puts back. Not with VisibilityTimeout=0: the messages would
    be visible again at once, so the next receive could return the same ones and never reach the rest. With a
    short timeout each message is received once per peek, and ChangeMessageVisibility(0) then returns all of
    them immediately; a FIFO queue delivers a returned message before the rest of its group, so order holds.
    """
    messages: dict[str, MessageTypeDef] = {}
    receipt_handles: list[str] = []
    try:
        while len(messages) < count:
            batch = _receive(sqs, queue_url, count - len(messages), PEEK_VISIBILITY_TIMEOUT_S)
            if not batch:
                break
            for message in batch:
                receipt_handles.append(message["ReceiptHandle"])
                messages.setdefault(message["MessageId"], message)
    finally:
        _make_visible_again(sqs, queue_url, receipt_handles)
    return [PeekedMessage.from_sqs(message) for message in messages.values()]


# --- redriving -------------------------------------------------------------------------------------


@dataclass
class RedriveResult:
    source_url: str  # the dead-letter queue the messages come from
    target_url: str
    moved: int = 0
    failed: list[dict[str, str]] = field(default_factory=list)  # not sent: still in the DLQ
    not_deleted: list[dict[str, str]] = field(default_factory=list)  # sent, but also still in the DLQ

    def to_json(self) -> dict[str, Any]:
        return {
            "moved": self.moved,
            "from": self.source_url,
            "to": self.target_url,
            "failed": self.failed,
            "not_deleted": self.not_deleted,
        }


def _copied_attributes(message: MessageTypeDef) -> dict[str, MessageAttributeValueTypeDef]:
    """The message attributes as sent: type and value only (the list fields are reserved by SQS)."""
    copied: dict[str, MessageAttributeValueTypeDef] = {}
    for name, value in message.get("MessageAttributes", {}).items():
        attribute: MessageAttributeValueTypeDef = {"DataType": value["DataType"]}
        if "StringValue" in value:
            attribute["StringValue"] = value["StringValue"]
        if "BinaryValue" in value:
            attribute["BinaryValue"] = value["BinaryValue"]
        copied[name] = attribute
    return copied


def _send_entry(message: MessageTypeDef, entry_id: str, target_is_fifo: bool) -> SendMessageBatchRequestEntryTypeDef:
    entry: SendMessageBatchRequestEntryTypeDef = {"Id": entry_id, "MessageBody": message.get("Body", "")}
    attributes = _copied_attributes(message)
    if attributes:
        entry["MessageAttributes"] = attributes
    if target_is_fifo:
        entry["MessageGroupId"] = message.get("Attributes", {}).get("MessageGroupId", "vigil-redrive")
        # A fresh id: the original one may still be inside the source queue's 5-minute deduplication
        # window, and SQS would then accept the copy and silently drop it.
        entry["MessageDeduplicationId"] = uuid.uuid4().hex
    return entry


def _send_batch(
    sqs: SQSClient, target_url: str, entries: list[SendMessageBatchRequestEntryTypeDef]
) -> tuple[dict[str, str], dict[str, tuple[str, str]]]:
    """Send the entries; returns (entry id → new message id, entry id → (error code, message))."""
    from botocore.exceptions import ClientError

    try:
        response = sqs.send_message_batch(QueueUrl=target_url, Entries=entries)
    except ClientError as exc:
        if _error_code(exc) not in _MESSAGE_ERROR_CODES:
            raise
        # One bad message (or their total size) rejects the whole batch: send them one by one instead.
        return _send_one_by_one(sqs, target_url, entries)
    sent = {entry["Id"]: entry["MessageId"] for entry in response.get("Successful", [])}
    failed = {entry["Id"]: (entry["Code"], entry.get("Message", "")) for entry in response.get("Failed", [])}
    return sent, failed


def _send_one_by_one(
    sqs: SQSClient, target_url: str, entries: list[SendMessageBatchRequestEntryTypeDef]
) -> tuple[dict[str, str], dict[str, tuple[str, str]]]:
    from botocore.exceptions import ClientError

    sent: dict[str, str] = {}
    failed: dict[str, tuple[str, str]] = {}
    for entry in entries:
        message: dict[str, Any] = {key: value for key, value in entry.items() if key != "Id"}
        try:
            sent[entry["Id"]] = sqs.send_message(QueueUrl=target_url, **message)["MessageId"]
        except ClientError as exc:
            if _error_code(exc) not in _MESSAGE_ERROR_CODES:
                raise
            failed[entry["Id"]] = (_error_code(exc), str(exc.response.get("Error", {}).get("Message", "")))
    return sent, failed


def redrive(
    sqs: SQSClient,
    result: RedriveResult,
    max_messages: int | None = None,
    on_batch: Callable[[int], None] | None = None,
) -> RedriveResult:
    """Move messages from the DLQ to the target until the DLQ is empty or ``max_messages`` were tried.

    What moved and what failed is recorded in ``result`` as it happens, so a caller knows it even when an
    SQS call raises part way.

    Each batch is sent first and only the messages the target accepted are then deleted from the DLQ: a crash
    in between leaves a message in both queues (delivered twice; vigil's consumers are idempotent) but never
    in neither. Messages that were not sent are made visible in the DLQ again when the run ends.
    ``on_batch`` is told how many messages each batch handled (moved or failed), for a progress bar.
    """
    dlq_url, target_url = result.source_url, result.target_url
    target_is_fifo = target_url.endswith(".fifo")
    # Message ids the target gave our copies: one seen again in the DLQ failed again during this run,
    # and moving it once more could loop forever.
    sent_message_ids: set[str] = set()
    to_release: list[str] = []
    attempted = 0
    try:
        while max_messages is None or attempted < max_messages:
            want = SQS_BATCH_LIMIT if max_messages is None else max_messages - attempted
            received = _receive(sqs, dlq_url, want, REDRIVE_VISIBILITY_TIMEOUT_S)
            to_release += [message["ReceiptHandle"] for message in received]
            batch = [message for message in received if message["MessageId"] not in sent_message_ids]
            if not batch:
                break
            attempted += len(batch)
            by_entry_id = {str(index): message for index, message in enumerate(batch)}
            entries = [_send_entry(message, entry_id, target_is_fifo) for entry_id, message in by_entry_id.items()]
            sent, failed = _send_batch(sqs, target_url, entries)
            sent_message_ids.update(sent.values())
            result.moved += len(sent)
            already_failed = {failure["message_id"] for failure in result.failed}
            for entry_id, (code, text) in failed.items():
                # A long run can meet a failed message again once its visibility timeout ends: report it once.
                if (message_id := by_entry_id[entry_id]["MessageId"]) not in already_failed:
                    result.failed.append({"message_id": message_id, "code": code, "message": text})
            deleted = _delete_sent(sqs, dlq_url, {entry_id: by_entry_id[entry_id] for entry_id in sent}, result)
            to_release = [handle for handle in to_release if handle not in deleted]
            if on_batch is not None:
                on_batch(len(batch))
            if len(batch) < len(received):
                break  # copies we sent are failing back into the DLQ: stop rather than chase them
    finally:
        _make_visible_again(sqs, dlq_url, to_release)
    return result


def _delete_sent(sqs: SQSClient, dlq_url: str, sent: dict[str, MessageTypeDef], result: RedriveResult) -> set[str]:
    """Delete the messages the target accepted; returns the receipt handles deleted."""
    if not sent:
        return set()
    response = sqs.delete_message_batch(
        QueueUrl=dlq_url,
        Entries=[{"Id": entry_id, "ReceiptHandle": message["ReceiptHandle"]} for entry_id, message in sent.items()],
    )
    for failure in response.get("Failed", []):
        result.not_deleted.append(
            {
                "message_id": sent[failure["Id"]]["MessageId"],
                "code": failure["Code"],
                "message": failure.get("Message", ""),
            }
        )
    return {sent[entry["Id"]]["ReceiptHandle"] for entry in response.get("Successful", [])}


# --- the commands ----------------------------------------------------------------------------------


def command_list(args: argparse.Namespace) -> int:
    target = connect(args)
    with reporting_sqs_errors(target.where):
        scan = scan_queues(target.client, args.prefix)
        if args.show:
            for dlq in scan.dead_letter_queues:
                dlq.peeked = peek(target.client, dlq.url, args.show)
    if args.json:
        print(json.dumps({"dead_letter_queues": [dlq.to_json() for dlq in scan.dead_letter_queues]}, indent=2))
        return 0
    if not scan.dead_letter_queues:
        print(f"no dead-letter queues among the {len(scan.queue_urls)} queues at {target.where}")
        return 0
    Output.from_args(args).table(
        (Column("dead-letter queue"), Column("messages", "right"), Column("in flight", "right"), Column("sources")),
        [
            [dlq.name, str(dlq.messages), str(dlq.in_flight), ", ".join(map(queue_name, dlq.source_urls))]
            for dlq in scan.dead_letter_queues
        ],
    )
    peeked = _peeked_messages(scan)
    if peeked:
        print(peeked)
    return 0


def _peeked_messages(scan: QueueScan) -> str:
    lines: list[str] = []
    for dlq in (dlq for dlq in scan.dead_letter_queues if dlq.peeked):
        lines += ["", f"{dlq.name}: {len(dlq.peeked)} of {_messages(dlq.messages)}"]
        for message in dlq.peeked:
            received = f"received {message.receive_count}x" if message.receive_count is not None else ""
            body = message.body.replace("\r", "\\r").replace("\n", "\\n") + ("..." if message.body_truncated else "")
            lines += [f"  {message.message_id}  sent {message.sent_at or '?'}  {received}".rstrip(), f"    {body}"]
    return "\n".join(lines)


def _find_dead_letter_queue(scan: QueueScan, queue: str, where: str) -> DeadLetterQueue:
    name = queue_name(queue)
    for dlq in scan.dead_letter_queues:
        if dlq.name == name:
            return dlq
    known = ", ".join(dlq.name for dlq in scan.dead_letter_queues) or "none"
    if any(queue_name(url) == name for url in scan.queue_urls):
        raise CliError(
            f"{name} is not a dead-letter queue (no queue's RedrivePolicy names it); dead-letter queues: {known}"
        )
    raise CliError(f"no queue named {name} at {where}; dead-letter queues: {known}")


def _redrive_target(dlq: DeadLetterQueue, to: str | None) -> str:
    sources = ", ".join(map(queue_name, dlq.source_urls))
    if to is None:
        if len(dlq.source_urls) > 1:
            raise CliError(f"{dlq.name} is the dead-letter queue of several queues ({sources}): choose one with --to")
        return dlq.source_urls[0]
    for url in dlq.source_urls:
        if queue_name(url) == queue_name(to):
            return url
    raise CliError(f"--to {to}: not a source queue of {dlq.name}; its source queues: {sources}")


def command_redrive(args: argparse.Namespace) -> int:
    target = connect(args)
    with reporting_sqs_errors(target.where):
        dlq = _find_dead_letter_queue(scan_queues(target.client), args.queue, target.where)
        target_url = _redrive_target(dlq, args.to)
        result = RedriveResult(dlq.url, target_url)
        total = min(dlq.messages, args.max) if args.max is not None else dlq.messages
        try:
            with Output.from_args(args).progress(total or None, f"redriving {dlq.name}") as progress:
                redrive(target.client, result, args.max, on_batch=progress.advance)
        except BaseException:  # Ctrl-C too: say what already moved
            if result.moved:
                print(f"vigil dlq: moved {_messages(result.moved)} before the error below", file=sys.stderr)
            raise
    if args.json:
        print(json.dumps(result.to_json(), indent=2))
    else:
        print(f"moved {_messages(result.moved)} from {dlq.name} to {queue_name(target_url)}")
    problems = []
    if result.failed:
        problems.append(
            f"{_messages(len(result.failed))} could not be sent to {queue_name(target_url)} and stay in {dlq.name}: "
            + _describe(result.failed)
        )
    if result.not_deleted:
        problems.append(
            f"could not delete {_messages(len(result.not_deleted))} from {dlq.name} after sending them to "
            f"{queue_name(target_url)}, so both queues hold them: " + _describe(result.not_deleted)
        )
    if problems:
        raise CliError("; ".join(problems))
    return 0


def _describe(failures: list[dict[str, str]]) -> str:
    return ", ".join(f"{failure['message_id']} ({failure['code']}: {failure['message']})" for failure in failures)


def _messages(count: int) -> str:
    return f"{count} message" if count == 1 else f"{count} messages"
