"""Fired by one EventBridge rule per interval class: applies monitors.yaml if it changed, then runs the
class's due monitors (one shard) or queues them for probe workers (several shards)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import AwareDatetime, BaseModel, ConfigDict

from vigil_core.adapters.dynamodb_monitors import DynamoDbMonitorRepository
from vigil_core.adapters.dynamodb_probes import DynamoDbProbeStore
from vigil_core.adapters.probe_wiring import build_probe_service, load_code_monitors
from vigil_core.api import DependencySlot, utc_now
from vigil_core.models.monitors import IntervalSeconds
from vigil_core.ports import MonitorRepository, ProbeStore
from vigil_core.services.monitors_as_code import CodeMonitor, sync_code_monitors
from vigil_core.services.probing import ProbeService, warn_about_run
from vigil_core.settings import ProbeSettings, load_settings

logger = Logger()
tracer = Tracer()
metrics = Metrics()


class ScheduledProbeEvent(BaseModel):
    """The rule's input: which interval class fired, and when it was scheduled to."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    interval: IntervalSeconds
    time: AwareDatetime


@dataclass(frozen=True)
class SchedulerDependencies:
    service: ProbeService
    monitors: MonitorRepository
    store: ProbeStore
    code_monitors: list[CodeMonitor]


def build_dependencies() -> SchedulerDependencies:
    settings = load_settings(ProbeSettings)
    return SchedulerDependencies(
        service=build_probe_service(settings),
        monitors=DynamoDbMonitorRepository(settings.config_table_name),
        store=DynamoDbProbeStore(settings.probes_table_name, settings.sla_windows_table_name),
        code_monitors=load_code_monitors(settings.monitors_file, Path(__file__).parent),
    )


dependencies = DependencySlot(build_dependencies)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    scheduled = ScheduledProbeEvent.model_validate(event)
    deps = dependencies.get()
    sync = sync_code_monitors(deps.monitors, deps.store, deps.code_monitors, utc_now)
    if not sync.unchanged:
        logger.info("applied monitors.yaml", extra={"monitors_yaml": asdict(sync)})
    report = deps.service.run_schedule(scheduled.interval, scheduled.time)
    metrics.add_metric(name="MonitorsDue", unit=MetricUnit.Count, value=report.monitors)
    metrics.add_metric(name="ShardsQueued", unit=MetricUnit.Count, value=report.shards_queued)
    if report.ran_inline is not None:
        metrics.add_metric(name="ChecksRun", unit=MetricUnit.Count, value=report.ran_inline.checked)
        metrics.add_metric(name="Transitions", unit=MetricUnit.Count, value=report.ran_inline.transitions)
        warn_about_run(report.ran_inline, logger)
    summary = asdict(report)
    logger.info("probe schedule done", extra=summary)
    return summary
