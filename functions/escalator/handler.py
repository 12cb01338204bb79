"""Starts an alert's escalation when it starts firing and stops it when it is acknowledged or resolved. Its queue
receives the alert transitions that matter (kind=transition, state firing, acknowledged or resolved); a message
that fails (DynamoDB or Step Functions unavailable) fails alone and comes back, then goes to the DLQ."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from vigil_core.adapters.escalation_wiring import build_escalator
from vigil_core.api import DependencySlot
from vigil_core.models.alerts import AlertTransition
from vigil_core.services.escalation import Escalator
from vigil_core.settings import EscalatorSettings, load_settings

logger = Logger()
tracer = Tracer()
metrics = Metrics()
processor = BatchProcessor(event_type=EventType.SQS)

_METRIC_NAMES = {
    "started": "EscalationsStarted",
    "already_started": "EscalationsAlreadyStarted",
    "stopped": "EscalationsStopped",
    "ignored": "EscalationTransitionsIgnored",
}


def build_dependencies() -> Escalator:
    # escalation-policies.json, when the stack ships it, is beside this file.
    return build_escalator(load_settings(EscalatorSettings), Path(__file__).parent)


dependencies = DependencySlot(build_dependencies)


@tracer.capture_method
def escalate_record(record: SQSRecord) -> None:
    transition = AlertTransition.model_validate_json(record.body)
    result = dependencies.get().handle(transition)
    metrics.add_metric(name=_METRIC_NAMES[result.outcome], unit=MetricUnit.Count, value=1)
    logger.info(
        "escalation",
        extra={
            "outcome": result.outcome,
            "reason": result.reason,
            "tenant_id": transition.tenant_id,
            "alert_id": transition.fingerprint,
            "occurrence": transition.occurrence,
        },
    )


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    dependencies.get()  # validates the settings at start: a missing variable fails here, by name
    return dict(
        process_partial_response(event=event, record_handler=escalate_record, processor=processor, context=context)
    )
