"""Sends group notifications (and PagerDuty acknowledgements) to a tenant's channels of one type: Slack,
webhook, PagerDuty, email or SMS, as CHANNEL_TYPE says. Its queue receives what the alerts topic routes
to that type; a message that could not be delivered fails alone and comes back, then goes to the DLQ."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from vigil_core.adapters.notifier_wiring import build_notifier
from vigil_core.api import DependencySlot
from vigil_core.services.notifier import Notifier, NotifierReport
from vigil_core.settings import NotifierSettings, load_settings

logger = Logger()
tracer = Tracer()
metrics = Metrics()
processor = BatchProcessor(event_type=EventType.SQS)


class DeliveryFailedError(RuntimeError):
    """The message is to be received again: a channel failed in a way worth retrying, or is being sent to."""


def build_dependencies() -> Notifier:
    return build_notifier(load_settings(NotifierSettings))


dependencies = DependencySlot(build_dependencies)


def _record(report: NotifierReport) -> None:
    for name, value in (
        ("NotificationsDelivered", report.delivered),
        ("NotificationsRejected", report.rejected),
        ("NotificationsFailed", report.failed),
        ("NotificationsDuplicate", report.duplicates),
    ):
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)
    if report.errors:
        # Errors name channels and HTTP answers; secrets are scrubbed from them before they get here.
        logger.warning("some deliveries did not succeed", extra={"errors": report.errors[:10]})


@tracer.capture_method
def notify_record(record: SQSRecord) -> None:
    report = dependencies.get().handle(record.body)
    _record(report)
    if report.retry:
        raise DeliveryFailedError(f"{report.failed} failed, {report.busy} being sent elsewhere; retried later")


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    notifier = dependencies.get()  # validates the settings at start: a missing variable fails here, by name
    metrics.add_dimension(name="ChannelType", value=notifier.channel_type.value)
    return dict(
        process_partial_response(event=event, record_handler=notify_record, processor=processor, context=context)
    )
