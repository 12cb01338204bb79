"""POST (or GET) /v1/heartbeats/{token}: a push monitor's beat. The token is the credential, so a cron job
can beat with a bare `curl`; an unknown token is a 404."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from vigil_core.adapters.dynamodb_monitors import DynamoDbMonitorRepository
from vigil_core.adapters.dynamodb_probes import DynamoDbProbeStore
from vigil_core.api import DependencySlot, json_response, register_error_handlers, utc_now
from vigil_core.ports import MonitorRepository, ProbeStore
from vigil_core.services.monitors import record_heartbeat
from vigil_core.settings import MonitorsApiSettings, load_settings

logger = Logger()
tracer = Tracer()
metrics = Metrics()
app = APIGatewayRestResolver()
register_error_handlers(app, logger, metrics)


@dataclass(frozen=True)
class HeartbeatDependencies:
    monitors: MonitorRepository
    store: ProbeStore


def build_dependencies() -> HeartbeatDependencies:
    settings = load_settings(MonitorsApiSettings)
    return HeartbeatDependencies(
        monitors=DynamoDbMonitorRepository(settings.config_table_name),
        store=DynamoDbProbeStore(settings.probes_table_name, settings.sla_windows_table_name),
    )


dependencies = DependencySlot(build_dependencies)


@app.route("/v1/heartbeats/<token>", method=["POST", "GET"])
@tracer.capture_method
def beat(token: str) -> Response[str]:
    deps = dependencies.get()
    received_at = utc_now()
    monitor = record_heartbeat(deps.monitors, deps.store, token, received_at)
    metrics.add_metric(name="HeartbeatsReceived", unit=MetricUnit.Count, value=1)
    return json_response(200, {"monitor_id": monitor.id, "received_at": received_at.isoformat()})


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    dependencies.get()  # validates the settings at start: a missing variable fails here, by name
    return app.resolve(event, context)
