"""boto3 clients for the local cloud's own calls, bound explicitly to the backend endpoint.

Clients are built on first use (never at import) and cached per ``AwsClients``; low-level boto3
clients are thread-safe, so the pollers, the sweeper and the provisioner share them.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any, cast

import boto3
from botocore.config import Config

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_events import EventBridgeClient
    from mypy_boto3_lambda import LambdaClient
    from mypy_boto3_logs import CloudWatchLogsClient
    from mypy_boto3_sns import SNSClient
    from mypy_boto3_sqs import SQSClient

DEFAULT_REGION = "us-east-1"
# Emulators accept any credentials; fixed dummies keep a user's real profile out of the way.
DUMMY_ACCESS_KEY_ID = "testing"
DUMMY_SECRET_ACCESS_KEY = "testing"  # noqa: S105 - not a secret, the emulators' convention


class AwsClients:
    """Cached boto3 clients for one endpoint URL and region."""

    def __init__(self, endpoint_url: str, region: str = DEFAULT_REGION) -> None:
        self.endpoint_url = endpoint_url
        self.region = region
        self._session = boto3.session.Session(
            aws_access_key_id=DUMMY_ACCESS_KEY_ID,
            aws_secret_access_key=DUMMY_SECRET_ACCESS_KEY,
            region_name=region,
        )
        self._config = Config(retries={"max_attempts": 2, "mode": "standard"}, connect_timeout=5)
        self._cache: dict[str, Any] = {}
        self._lock = threading.Lock()

    def _get(self, service: str) -> Any:
        with self._lock:
            client = self._cache.get(service)
            if client is None:
                # Typed as Any so the service name need not be a literal for the boto3 type overloads.
                make_client: Any = self._session.client
                client = make_client(service, endpoint_url=self.endpoint_url, config=self._config)
                self._cache[service] = client
            return client

    def dynamodb(self) -> DynamoDBClient:
        return cast("DynamoDBClient", self._get("dynamodb"))

    def sqs(self) -> SQSClient:
        return cast("SQSClient", self._get("sqs"))

    def sns(self) -> SNSClient:
        return cast("SNSClient", self._get("sns"))

    def logs(self) -> CloudWatchLogsClient:
        return cast("CloudWatchLogsClient", self._get("logs"))

    def lambda_(self) -> LambdaClient:
        return cast("LambdaClient", self._get("lambda"))

    def events(self) -> EventBridgeClient:
        return cast("EventBridgeClient", self._get("events"))

    # Services without installed boto3 type packages are typed Any.
    def sts(self) -> Any:
        return self._get("sts")

    def apigateway(self) -> Any:
        return self._get("apigateway")

    def ssm(self) -> Any:
        return self._get("ssm")

    def s3(self) -> Any:
        return self._get("s3")

    def secretsmanager(self) -> Any:
        return self._get("secretsmanager")

    def kms(self) -> Any:
        return self._get("kms")

    def stepfunctions(self) -> Any:
        return self._get("stepfunctions")

    def cloudwatch(self) -> Any:
        return self._get("cloudwatch")

    def cloudformation(self) -> Any:
        return self._get("cloudformation")

    def iam(self) -> Any:
        return self._get("iam")

    def account_id(self) -> str:
        """The backend's account (moto: 123456789012, LocalStack: 000000000000)."""
        return str(self.sts().get_caller_identity()["Account"])
