"""Evaluates alert rules: every minute (EventBridge); right after an ingest, when a pending alert's `for`
elapses, and when a group's wait is over (the evaluation queue); right after a monitor changed state (the
probe transitions queue)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import AwareDatetime, BaseModel, ConfigDict

from vigil_core.adapters.alert_wiring import build_alert_engine, load_code_rules
from vigil_core.api import DependencySlot, utc_now
from vigil_core.models.alerts import EVALUATION_REQUEST, MetricsWritten, RulesDue
from vigil_core.models.probes import TransitionEvent
from vigil_core.services.alert_rules import CodeRule, sync_code_rules
from vigil_core.services.alerting import AlertEngine, EvaluationReport
from vigil_core.settings import AlertEvaluatorSettings, load_settings

logger = Logger()
tracer = Tracer()
metrics = Metrics()
processor = BatchProcessor(event_type=EventType.SQS)


class ScheduledEvaluation(BaseModel):
    """EventBridge's scheduled event; only its time matters."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    time: AwareDatetime


@dataclass(frozen=True)
class EvaluatorDependencies:
    engine: AlertEngine
    code_rules: list[CodeRule]


def build_dependencies() -> EvaluatorDependencies:
    settings = load_settings(AlertEvaluatorSettings)
    return EvaluatorDependencies(
        engine=build_alert_engine(settings),
        code_rules=load_code_rules(settings.alert_rules_file, Path(__file__).parent),
    )


dependencies = DependencySlot(build_dependencies)


def _record(report: EvaluationReport) -> None:
    metrics.add_metric(name="RulesEvaluated", unit=MetricUnit.Count, value=report.rules)
    metrics.add_metric(name="AlertTransitions", unit=MetricUnit.Count, value=report.transitions)
    metrics.add_metric(name="GroupNotifications", unit=MetricUnit.Count, value=report.notifications)
    if report.publish_errors:
        metrics.add_metric(name="PublishErrors", unit=MetricUnit.Count, value=len(report.publish_errors))
        logger.warning("some alert messages wait in the outbox", extra={"errors": report.publish_errors[:10]})


@tracer.capture_method
def evaluate_record(record: SQSRecord) -> None:
    engine = dependencies.get().engine
    body = record.json_body
    if isinstance(body, dict) and body.get("kind") == "monitor.transition":
        report = engine.on_probe_transition(TransitionEvent.from_json(record.body), utc_now())
    else:
        request = EVALUATION_REQUEST.validate_python(body)
        if isinstance(request, MetricsWritten):
            report = engine.on_metrics_written(request.tenant_id, request.metrics, utc_now())
        elif isinstance(request, RulesDue):
            report = engine.on_rules_due(request.tenant_id, request.rule_ids, utc_now())
        else:
            report = engine.desk.flush_group(request.tenant_id, request.group_key, utc_now())
    _record(report)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    deps = dependencies.get()  # validates the settings at start: a missing variable fails here, by name
    if "Records" in event:
        return dict(
            process_partial_response(event=event, record_handler=evaluate_record, processor=processor, context=context)
        )
    scheduled = ScheduledEvaluation.model_validate(event)
    engine = deps.engine
    if deps.code_rules or any(rule.source.value == "code" for rule in engine.rules.all_rules()):
        sync = sync_code_rules(engine.rules, engine.rules.all_rules(), deps.code_rules, utc_now)
        if sync.created or sync.updated or sync.deleted:
            logger.info("applied alert-rules.yaml", extra={"alert_rules_yaml": asdict(sync)})
    report = engine.evaluate_all(scheduled.time)
    _record(report)
    summary = asdict(report)
    logger.info("alert evaluation done", extra=summary)
    return summary
