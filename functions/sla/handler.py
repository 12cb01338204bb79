"""/v1/slos, /v1/sla-policy, /v1/sla/{tenant} and /v1/reports/sla: the caller's SLOs, SLA policy and reports."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from vigil_core.adapters.dynamodb_monitors import DynamoDbMonitorRepository
from vigil_core.adapters.dynamodb_slos import DynamoDbSloRepository
from vigil_core.adapters.dynamodb_tenants import DynamoDBTenantDirectory
from vigil_core.adapters.sla_wiring import build_sla_reporter
from vigil_core.api import DependencySlot, json_response, register_error_handlers, request_from, utc_now
from vigil_core.models.slo import SloSource
from vigil_core.services.auth import Authenticator, Caller
from vigil_core.services.monitors import json_body
from vigil_core.services.sla_api import SlaReportApi
from vigil_core.services.slos import SloService
from vigil_core.settings import SlaApiSettings, load_settings

logger = Logger()
tracer = Tracer()
metrics = Metrics()
app = APIGatewayRestResolver()
register_error_handlers(app, logger, metrics)


@dataclass(frozen=True)
class SlaApi:
    authenticator: Authenticator
    slos: SloService
    reports: SlaReportApi


def build_dependencies() -> SlaApi:
    settings = load_settings(SlaApiSettings)
    slos = DynamoDbSloRepository(settings.config_table_name)
    return SlaApi(
        authenticator=Authenticator(DynamoDBTenantDirectory(settings.config_table_name)),
        slos=SloService(slos, DynamoDbMonitorRepository(settings.config_table_name), utc_now),
        reports=SlaReportApi(build_sla_reporter(settings, utc_now), settings.operators),
    )


dependencies = DependencySlot(build_dependencies)


def _caller() -> Caller:
    return dependencies.get().authenticator.caller_for(request_from(app.current_event).headers)


def _body() -> Any:
    return json_body(request_from(app.current_event))


def _source() -> SloSource:
    """`vigil slo import` marks what it writes, so a listing shows where an SLO came from."""
    header = request_from(app.current_event).header("x-vigil-source")
    return SloSource.IMPORT if header == SloSource.IMPORT.value else SloSource.API


# -- SLOs ---------------------------------------------------------------------------------------------


@app.get("/v1/slos")
@tracer.capture_method
def list_slos() -> Response[str]:
    slos = dependencies.get().slos.list(_caller().tenant_id)
    return json_response(200, {"slos": [slo.to_public() for slo in slos]})


@app.post("/v1/slos")
@tracer.capture_method
def create_slo() -> Response[str]:
    slo = dependencies.get().slos.create(_caller().tenant_id, _body(), _source())
    metrics.add_metric(name="SlosCreated", unit=MetricUnit.Count, value=1)
    return json_response(201, slo.to_public(), {"Location": f"/v1/slos/{slo.id}"})


@app.get("/v1/slos/<slo_id>")
@tracer.capture_method
def get_slo(slo_id: str) -> Response[str]:
    return json_response(200, dependencies.get().slos.get(_caller().tenant_id, slo_id).to_public())


@app.put("/v1/slos/<slo_id>")
@tracer.capture_method
def put_slo(slo_id: str) -> Response[str]:
    slo, created = dependencies.get().slos.put(_caller().tenant_id, slo_id, _body(), _source())
    metrics.add_metric(name="SlosCreated" if created else "SlosReplaced", unit=MetricUnit.Count, value=1)
    return json_response(201 if created else 200, slo.to_public(), {"Location": f"/v1/slos/{slo.id}"})


@app.delete("/v1/slos/<slo_id>")
@tracer.capture_method
def delete_slo(slo_id: str) -> Response[str]:
    dependencies.get().slos.delete(_caller().tenant_id, slo_id)
    return Response(status_code=204)


@app.get("/v1/slos/<slo_id>/status")
@tracer.capture_method
def slo_status(slo_id: str) -> Response[str]:
    """Where the SLO stands in its current window: attainment, error budget left, burn rate."""
    deps = dependencies.get()
    slo = deps.slos.get(_caller().tenant_id, slo_id)
    return json_response(200, deps.reports.slo_status(slo))


# -- SLA policy ---------------------------------------------------------------------------------------


@app.get("/v1/sla-policy")
@tracer.capture_method
def get_sla_policy() -> Response[str]:
    return json_response(200, dependencies.get().slos.policy(_caller().tenant_id).model_dump(mode="json"))


@app.put("/v1/sla-policy")
@tracer.capture_method
def put_sla_policy() -> Response[str]:
    policy = dependencies.get().slos.put_policy(_caller().tenant_id, _body())
    return json_response(200, policy.model_dump(mode="json"))


# -- reports ------------------------------------------------------------------------------------------


@app.get("/v1/sla/<tenant_id>")
@tracer.capture_method
def tenant_sla(tenant_id: str) -> Response[str]:
    caller = _caller()
    body = dependencies.get().reports.tenant_sla(caller, tenant_id, request_from(app.current_event).query)
    metrics.add_metric(name="SlaReportsServed", unit=MetricUnit.Count, value=1)
    return json_response(200, body)


@app.get("/v1/reports/sla")
@tracer.capture_method
def sla_report() -> Response[str]:
    caller = _caller()
    rendered = dependencies.get().reports.report(caller, request_from(app.current_event).query)
    metrics.add_metric(name="SlaReportsServed", unit=MetricUnit.Count, value=1)
    return Response(
        status_code=200,
        content_type=rendered.content_type,
        body=rendered.body,
        headers={"Content-Disposition": f'inline; filename="{rendered.filename}"'},
    )


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    dependencies.get()  # validates the settings at start: a missing variable fails here, by name
    return app.resolve(event, context)
