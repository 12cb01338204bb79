"""boto3 clients built on first use and cached per region and endpoint (never at import time).

The endpoint comes from AWS_ENDPOINT_URL, so the same code talks to AWS, moto or LocalStack.
"""

from __future__ import annotations

import os
import threading
from functools import cache
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, ParamValidationError

from vigil_core.ports import ChannelSendError

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_secretsmanager import SecretsManagerClient
    from mypy_boto3_sesv2 import SESV2Client
    from mypy_boto3_sns import SNSClient
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_ssm import SSMClient
    from mypy_boto3_stepfunctions import SFNClient

_CLIENT_CONFIG = Config(
    retries={"mode": "standard", "max_attempts": 5},
    connect_timeout=2,
    read_timeout=5,
    max_pool_connections=32,
)
_lock = threading.Lock()


def _region() -> str:
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"


@cache
def _client(service: str, region: str, endpoint_url: str | None) -> Any:
    with _lock:  # boto3's default session is not safe to build clients from concurrently
        session: Any = boto3.session.Session()
        return session.client(service, region_name=region, endpoint_url=endpoint_url, config=_CLIENT_CONFIG)


def dynamodb_client() -> DynamoDBClient:
    client: DynamoDBClient = _client("dynamodb", _region(), os.environ.get("AWS_ENDPOINT_URL"))
    return client


def sqs_client() -> SQSClient:
    client: SQSClient = _client("sqs", _region(), os.environ.get("AWS_ENDPOINT_URL"))
    return client


def sns_client() -> SNSClient:
    client: SNSClient = _client("sns", _region(), os.environ.get("AWS_ENDPOINT_URL"))
    return client


def sesv2_client() -> SESV2Client:
    client: SESV2Client = _client("sesv2", _region(), os.environ.get("AWS_ENDPOINT_URL"))
    return client


def s3_client() -> S3Client:
    client: S3Client = _client("s3", _region(), os.environ.get("AWS_ENDPOINT_URL"))
    return client


def ssm_client() -> SSMClient:
    client: SSMClient = _client("ssm", _region(), os.environ.get("AWS_ENDPOINT_URL"))
    return client


def secretsmanager_client() -> SecretsManagerClient:
    client: SecretsManagerClient = _client("secretsmanager", _region(), os.environ.get("AWS_ENDPOINT_URL"))
    return client


def stepfunctions_client() -> SFNClient:
    client: SFNClient = _client("stepfunctions", _region(), os.environ.get("AWS_ENDPOINT_URL"))
    return client


def channel_send_error(
    exc: ClientError | BotoCoreError, what: str, retryable_codes: frozenset[str]
) -> ChannelSendError:
    """A failed SES or SNS send as a ChannelSendError: its error code and AWS's message (which never carry
    the caller's credentials), retryable for throttling, outages and any 5xx (the service's own trouble)."""
    if isinstance(exc, ParamValidationError):
        # Raised before anything is sent: the same request would be refused again.
        return ChannelSendError(f"{what}: invalid request: {exc}", retryable=False)
    if isinstance(exc, BotoCoreError):
        return ChannelSendError(f"{what}: {type(exc).__name__}: {exc}", retryable=True)
    error = exc.response.get("Error", {})
    code, message = error.get("Code", "Unknown"), error.get("Message")
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
    retryable = code in retryable_codes or status >= 500
    return ChannelSendError(f"{what} refused: {code}" + (f": {message}" if message else ""), retryable=retryable)
