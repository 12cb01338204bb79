"""Runs the probe shards the scheduler queued; a shard that fails is retried alone (partial batch response)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from vigil_core.adapters.probe_wiring import build_probe_service
from vigil_core.api import DependencySlot
from vigil_core.models.probes import ProbeShard
from vigil_core.services.probing import ProbeService, warn_about_run
from vigil_core.settings import ProbeSettings, load_settings

logger = Logger()
tracer = Tracer()
metrics = Metrics()
processor = BatchProcessor(event_type=EventType.SQS)


def build_dependencies() -> ProbeService:
    return build_probe_service(load_settings(ProbeSettings))


dependencies = DependencySlot(build_dependencies)


@tracer.capture_method
def run_shard(record: SQSRecord) -> None:
    shard = ProbeShard.from_json(record.body)
    report = dependencies.get().run_shard(shard)
    metrics.add_metric(name="ChecksRun", unit=MetricUnit.Count, value=report.checked)
    metrics.add_metric(name="Transitions", unit=MetricUnit.Count, value=report.transitions)
    warn_about_run(report, logger)
    logger.info("probe shard done", extra={"shard": shard.shard, "shards": shard.shards, **asdict(report)})


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    dependencies.get()  # validates the settings at start: a missing variable fails here, by name
    return dict(process_partial_response(event=event, record_handler=run_shard, processor=processor, context=context))
