"""/v1/monitors: create, list, read, replace and delete the caller's monitors, and read their results."""

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
from vigil_core.adapters.dynamodb_tenants import DynamoDBTenantDirectory
from vigil_core.api import DependencySlot, json_response, register_error_handlers, request_from, utc_now
from vigil_core.errors import bad_request
from vigil_core.models.monitors import Monitor
from vigil_core.models.probes import StoredMonitorState, state_to_public
from vigil_core.services.auth import Authenticator
from vigil_core.services.monitors import MonitorService, json_body
from vigil_core.settings import MonitorsApiSettings, load_settings

logger = Logger()
tracer = Tracer()
metrics = Metrics()
app = APIGatewayRestResolver()
register_error_handlers(app, logger, metrics)


@dataclass(frozen=True)
class MonitorsApi:
    authenticator: Authenticator
    monitors: MonitorService


def build_dependencies() -> MonitorsApi:
    settings = load_settings(MonitorsApiSettings)
    return MonitorsApi(
        authenticator=Authenticator(DynamoDBTenantDirectory(settings.config_table_name)),
        monitors=MonitorService(
            DynamoDbMonitorRepository(settings.config_table_name),
            DynamoDbProbeStore(settings.probes_table_name, settings.sla_windows_table_name),
            utc_now,
        ),
    )


dependencies = DependencySlot(build_dependencies)


def _tenant() -> str:
    return dependencies.get().authenticator.tenant_for(request_from(app.current_event).headers)


def _with_state(monitor: Monitor, state: StoredMonitorState | None) -> dict[str, Any]:
    return {**monitor.to_public(), "state": state_to_public(state) if state else None}


@app.post("/v1/monitors")
@tracer.capture_method
def create_monitor() -> Response[str]:
    tenant_id = _tenant()
    monitor = dependencies.get().monitors.create(tenant_id, json_body(request_from(app.current_event)))
    metrics.add_metric(name="MonitorsCreated", unit=MetricUnit.Count, value=1)
    return json_response(201, _with_state(monitor, None), {"Location": f"/v1/monitors/{monitor.id}"})


@app.get("/v1/monitors")
@tracer.capture_method
def list_monitors() -> Response[str]:
    listed = dependencies.get().monitors.list_with_states(_tenant())
    metrics.add_metric(name="MonitorsListed", unit=MetricUnit.Count, value=len(listed))
    return json_response(200, {"monitors": [_with_state(monitor, state) for monitor, state in listed]})


@app.get("/v1/monitors/<monitor_id>")
@tracer.capture_method
def get_monitor(monitor_id: str) -> Response[str]:
    monitor, state = dependencies.get().monitors.get(_tenant(), monitor_id)
    metrics.add_metric(name="MonitorsRead", unit=MetricUnit.Count, value=1)
    return json_response(200, _with_state(monitor, state))


@app.put("/v1/monitors/<monitor_id>")
@tracer.capture_method
def replace_monitor(monitor_id: str) -> Response[str]:
    tenant_id = _tenant()
    service = dependencies.get().monitors
    monitor = service.replace(tenant_id, monitor_id, json_body(request_from(app.current_event)))
    metrics.add_metric(name="MonitorsReplaced", unit=MetricUnit.Count, value=1)
    return json_response(200, _with_state(monitor, service.get(tenant_id, monitor_id)[1]))


@app.delete("/v1/monitors/<monitor_id>")
@tracer.capture_method
def delete_monitor(monitor_id: str) -> Response[str]:
    dependencies.get().monitors.delete(_tenant(), monitor_id)
    metrics.add_metric(name="MonitorsDeleted", unit=MetricUnit.Count, value=1)
    return Response(status_code=204)


@app.get("/v1/monitors/<monitor_id>/results")
@tracer.capture_method
def monitor_results(monitor_id: str) -> Response[str]:
    tenant_id = _tenant()
    raw_hours = request_from(app.current_event).query.get("hours", "24")
    try:
        hours = float(raw_hours)
    except ValueError:
        raise bad_request("hours", f"must be a number of hours, not {raw_hours!r}") from None
    service = dependencies.get().monitors
    results = service.results(tenant_id, monitor_id, hours)
    monitor, state = service.get(tenant_id, monitor_id)
    metrics.add_metric(name="ResultsReturned", unit=MetricUnit.Count, value=len(results))
    return json_response(
        200,
        {
            "monitor_id": monitor.id,
            "hours": hours,
            "state": state_to_public(state),
            "results": [result.to_public() for result in results],
        },
    )


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    dependencies.get()  # validates the settings at start: a missing variable fails here, by name
    return app.resolve(event, context)
