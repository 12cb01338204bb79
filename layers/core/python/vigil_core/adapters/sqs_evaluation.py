"""The evaluation queue on SQS: evaluate a tenant's rules now (after an ingest) or later (when an alert's `for`
elapses), or flush a group later."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from vigil_core.adapters.aws import sqs_client
from vigil_core.models.alerts import FlushDue, MetricsWritten, RulesDue

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

MAX_DELAY_S = 900  # SQS's longest DelaySeconds


def flush_delay(delay_s: int) -> int:
    return min(max(delay_s, 0), MAX_DELAY_S)


class SqsEvaluationQueue:
    def __init__(self, queue_url: str, client: SQSClient | None = None) -> None:
        self.queue_url = queue_url
        self._client = client

    @property
    def client(self) -> SQSClient:
        return self._client or sqs_client()

    def request_evaluation(self, tenant_id: str, metrics: Sequence[str], at: datetime) -> None:
        request = MetricsWritten(tenant_id=tenant_id, metrics=tuple(metrics), at=at)
        self.client.send_message(QueueUrl=self.queue_url, MessageBody=request.model_dump_json())

    def schedule_flush(self, tenant_id: str, group_key: str, delay_s: int) -> None:
        self._send_later(FlushDue(tenant_id=tenant_id, group_key=group_key), delay_s)

    def schedule_evaluation(self, tenant_id: str, rule_ids: Sequence[str], delay_s: int) -> None:
        self._send_later(RulesDue(tenant_id=tenant_id, rule_ids=tuple(rule_ids)), delay_s)

    def _send_later(self, request: FlushDue | RulesDue, delay_s: int) -> None:
        # SQS refuses delays outside 0..900 s; a request already overdue is sent at once.
        self.client.send_message(
            QueueUrl=self.queue_url, MessageBody=request.model_dump_json(), DelaySeconds=flush_delay(delay_s)
        )
