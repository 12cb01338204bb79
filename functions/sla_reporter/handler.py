"""The monthly SLA report job (EventBridge schedule): last month's reports to S3, and each tenant told."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import AwareDatetime, BaseModel, ConfigDict

from vigil_core.adapters.sla_report_delivery import S3ReportArchive, SnsReportAnnouncer
from vigil_core.adapters.sla_wiring import build_sla_reporter
from vigil_core.api import DependencySlot, utc_now
from vigil_core.services.sla_report_job import MonthlyReportJob
from vigil_core.settings import SlaReportJobSettings, load_settings

logger = Logger()
tracer = Tracer()
metrics = Metrics()


class ScheduledRun(BaseModel):
    """EventBridge's scheduled event; only its time matters (the month before it is reported)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    time: AwareDatetime


def build_dependencies() -> MonthlyReportJob:
    settings = load_settings(SlaReportJobSettings)
    return MonthlyReportJob(
        reports=build_sla_reporter(settings, utc_now),
        archive=S3ReportArchive(settings.reports_bucket_name),
        announcer=SnsReportAnnouncer(settings.reports_topic_arn),
    )


dependencies = DependencySlot(build_dependencies)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    job = dependencies.get()  # validates the settings at start: a missing variable fails here, by name
    run = ScheduledRun.model_validate(event)
    outcome = job.run(run.time)  # raises when a report was not written: Lambda retries the invocation twice
    metrics.add_metric(name="SlaReportsWritten", unit=MetricUnit.Count, value=len(outcome.written))
    summary = asdict(outcome)
    logger.info("SLA reports written", extra=summary)
    return summary
