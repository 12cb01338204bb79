"""Where the monthly SLA reports go: objects in the reports bucket, and one message per tenant on the reports
topic (attribute `tenant`, so each tenant's subscription filters on its own id)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from vigil_core.adapters.aws import s3_client, sns_client

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sns import SNSClient


class S3ReportArchive:
    def __init__(self, bucket: str, client: S3Client | None = None) -> None:
        self.bucket = bucket
        self._client = client

    @property
    def client(self) -> S3Client:
        return self._client or s3_client()

    def exists(self, key: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise
        return True

    def put(self, key: str, body: bytes, content_type: str) -> None:
        self.client.put_object(Bucket=self.bucket, Key=key, Body=body, ContentType=content_type)

    def uri(self, key: str) -> str:
        return f"s3://{self.bucket}/{key}"


class SnsReportAnnouncer:
    def __init__(self, topic_arn: str, client: SNSClient | None = None) -> None:
        self.topic_arn = topic_arn
        self._client = client

    @property
    def client(self) -> SNSClient:
        return self._client or sns_client()

    def announce(self, tenant_id: str, subject: str, message: dict[str, Any]) -> None:
        self.client.publish(
            TopicArn=self.topic_arn,
            Subject=subject[:100],  # SNS refuses longer subjects (email subscriptions show it)
            Message=json.dumps(message),
            MessageAttributes={
                "kind": {"DataType": "String", "StringValue": "sla_report"},
                "tenant": {"DataType": "String", "StringValue": tenant_id},
            },
        )


class InMemoryReportArchive:
    def __init__(self) -> None:
        self.objects: dict[str, tuple[bytes, str]] = {}

    def exists(self, key: str) -> bool:
        return key in self.objects

    def put(self, key: str, body: bytes, content_type: str) -> None:
        self.objects[key] = (body, content_type)

    def uri(self, key: str) -> str:
        return f"memory://{key}"


class RecordingReportAnnouncer:
    def __init__(self) -> None:
        self.sent: list[tuple[str, str, dict[str, Any]]] = []

    def announce(self, tenant_id: str, subject: str, message: dict[str, Any]) -> None:
        self.sent.append((tenant_id, subject, message))
