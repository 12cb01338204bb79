"""The notifier of one channel type assembled from its AWS adapters, and the SQS queue it defers to."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from vigil_core.adapters.aws import sqs_client
from vigil_core.adapters.dynamodb_alert_rules import DynamoDbAlertRuleRepository
from vigil_core.adapters.dynamodb_alerts import DynamoDbAlertStore
from vigil_core.adapters.dynamodb_deliveries import DynamoDbDeliveryLog
from vigil_core.adapters.http_delivery import HttpDelivery
from vigil_core.adapters.secrets import CachedSecretReader
from vigil_core.adapters.ses_email import SesEmailSender
from vigil_core.adapters.sns_sms import SnsSmsSender
from vigil_core.adapters.sqs_evaluation import flush_delay
from vigil_core.models.notifications import ChannelType
from vigil_core.services.notifier import Notifier
from vigil_core.settings import NotifierSettings

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient


class SqsNotificationDeferral:
    """Puts a message back on the notifier's own queue with a delay (SQS's longest is 15 minutes)."""

    def __init__(self, queue_url: str, client: SQSClient | None = None) -> None:
        self.queue_url = queue_url
        self._client = client

    @property
    def client(self) -> SQSClient:
        return self._client or sqs_client()

    def defer(self, body: str, delay_s: int) -> None:
        self.client.send_message(QueueUrl=self.queue_url, MessageBody=body, DelaySeconds=flush_delay(delay_s))


def _now() -> datetime:
    return datetime.now(UTC)


def build_notifier(settings: NotifierSettings) -> Notifier:
    channel_type = ChannelType(settings.channel_type)
    return Notifier(
        channel_type=channel_type,
        policies=DynamoDbAlertRuleRepository(settings.config_table_name),
        deliveries=DynamoDbDeliveryLog(settings.alerts_table_name),
        alerts=DynamoDbAlertStore(settings.alerts_table_name),
        secrets=CachedSecretReader(max_age_s=settings.secrets_max_age_seconds),
        http=HttpDelivery(
            timeout_s=settings.http_timeout_seconds,
            max_attempts=settings.http_max_attempts,
            max_backoff_s=settings.http_max_backoff_seconds,
        ),
        deferral=SqsNotificationDeferral(settings.notifier_queue_url),
        clock=_now,
        email=SesEmailSender() if channel_type is ChannelType.EMAIL else None,
        sms=SnsSmsSender(settings.sms_sender_id or None) if channel_type is ChannelType.SMS else None,
        email_sender=settings.email_sender or None,
    )
