"""What people look at: the status pages (`/status/{tenant}`, `/public/status/{tenant}`), the platform overview
(`/v1/dashboard/health`) and the Prometheus export (`/v1/metrics/export/prometheus`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from vigil_core.adapters.dynamodb_alerts import DynamoDbAlertStore
from vigil_core.adapters.dynamodb_monitors import DynamoDbMonitorRepository
from vigil_core.adapters.dynamodb_probes import DynamoDbProbeStore
from vigil_core.adapters.dynamodb_tenants import DynamoDBTenantDirectory
from vigil_core.adapters.prometheus_wiring import build_prometheus_exporter
from vigil_core.adapters.sla_wiring import build_sla_reporter
from vigil_core.adapters.status_page_wiring import build_status_page_service
from vigil_core.api import DependencySlot, json_response, register_error_handlers, request_from, utc_now
from vigil_core.errors import forbidden
from vigil_core.models.http import ApiRequest
from vigil_core.services.auth import Authenticator, Caller
from vigil_core.services.platform_health import PlatformHealthService
from vigil_core.services.prometheus_export import PROMETHEUS_CONTENT_TYPE, PrometheusExporter
from vigil_core.services.status_access import SignIn, StatusPageAccess
from vigil_core.services.status_page import StatusPageService
from vigil_core.services.status_rendering import render_not_found_page, render_sign_in_page, render_status_page
from vigil_core.settings import DashboardSettings, load_settings

logger = Logger()
tracer = Tracer()
metrics = Metrics()
app = APIGatewayRestResolver()
register_error_handlers(app, logger, metrics)

HTML = "text/html; charset=utf-8"


@dataclass(frozen=True)
class DashboardApi:
    authenticator: Authenticator
    access: StatusPageAccess
    status_pages: StatusPageService
    health: PlatformHealthService
    prometheus: PrometheusExporter
    operators: frozenset[str]


def build_dependencies() -> DashboardApi:
    settings = load_settings(DashboardSettings)
    directory = DynamoDBTenantDirectory(settings.config_table_name)
    authenticator = Authenticator(directory)
    return DashboardApi(
        authenticator=authenticator,
        access=StatusPageAccess(authenticator, directory, settings.operators),
        status_pages=build_status_page_service(settings, utc_now),
        health=PlatformHealthService(
            tenants=directory,
            monitors=DynamoDbMonitorRepository(settings.config_table_name),
            probes=DynamoDbProbeStore(settings.probes_table_name, settings.sla_windows_table_name),
            alerts=DynamoDbAlertStore(settings.alerts_table_name),
            sla=build_sla_reporter(settings, utc_now),
            clock=utc_now,
        ),
        prometheus=build_prometheus_exporter(settings, utc_now),
        operators=settings.operators,
    )


dependencies = DependencySlot(build_dependencies)


def _request() -> ApiRequest:
    return request_from(app.current_event)


def _caller() -> Caller:
    return dependencies.get().authenticator.caller_for(_request().headers)


def _html(status: int, body: str, headers: dict[str, str] | None = None) -> Response[str]:
    return Response(
        status_code=status,
        content_type=HTML,
        body=body,
        # The pages carry their own styles inline and load nothing: a strict policy costs nothing.
        headers={
            "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
            "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
            **(headers or {}),
        },
    )


def _page_path() -> str:
    """The page's path as the browser sees it (with the stage), for the sign-in redirect and the cookie's scope."""
    return str(app.current_event.request_context.path or app.current_event.path)


# -- status pages -------------------------------------------------------------------------------------


@app.get("/status/<tenant_id>")
@tracer.capture_method
def status_page(tenant_id: str) -> Response[str]:
    deps = dependencies.get()
    decision = deps.access.private_page(tenant_id, _request())
    if decision.settings is None:
        status = 404 if decision.missing_tenant else (403 if decision.forbidden else 401)
        headers = {"Set-Cookie": deps.access.clear_cookie(_page_path())} if decision.stale_cookie else None
        page = render_not_found_page() if decision.missing_tenant else render_sign_in_page(tenant_id, decision.problem)
        return _html(status, page, headers)
    rendered = render_status_page(deps.status_pages.page(tenant_id, decision.settings, public=False), public=False)
    metrics.add_metric(name="StatusPagesServed", unit=MetricUnit.Count, value=1)
    return _html(200, rendered, {"Cache-Control": "private, no-store"})


@app.post("/status/<tenant_id>")
@tracer.capture_method
def sign_in(tenant_id: str) -> Response[str]:
    """The sign-in form posts the key here; a good key goes into a cookie scoped to this page only."""
    deps = dependencies.get()
    outcome: SignIn = deps.access.sign_in(tenant_id, _request(), _page_path())
    if outcome.cookie is None:
        return _html(outcome.status, render_sign_in_page(tenant_id, outcome.problem))
    return Response(
        status_code=303,
        body="",
        headers={"Location": _page_path(), "Set-Cookie": outcome.cookie, "Cache-Control": "no-store"},
    )


@app.get("/public/status/<tenant_id>")
@tracer.capture_method
def public_status_page(tenant_id: str) -> Response[str]:
    """Anyone may read it once the tenant has switched it on; otherwise it does not exist (no hint either way)."""
    deps = dependencies.get()
    settings = deps.access.public_settings(tenant_id)
    if settings is None:
        return _html(404, render_not_found_page(), {"Cache-Control": "no-store"})
    rendered = render_status_page(deps.status_pages.page(tenant_id, settings, public=True), public=True)
    metrics.add_metric(name="StatusPagesServed", unit=MetricUnit.Count, value=1)
    return _html(200, rendered, {"Cache-Control": "public, max-age=30"})


# -- operators and scrapers ---------------------------------------------------------------------------


@app.get("/v1/dashboard/health")
@tracer.capture_method
def platform_health() -> Response[str]:
    deps = dependencies.get()
    caller = _caller()
    if caller.tenant_id not in deps.operators:
        raise forbidden("the platform overview needs an operator's API key")
    return json_response(200, deps.health.overview())


@app.get("/v1/metrics/export/prometheus")
@tracer.capture_method
def prometheus_export() -> Response[str]:
    deps = dependencies.get()
    body = deps.prometheus.export(_caller().tenant_id)
    metrics.add_metric(name="PrometheusScrapes", unit=MetricUnit.Count, value=1)
    return Response(status_code=200, content_type=PROMETHEUS_CONTENT_TYPE, body=body)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    dependencies.get()  # validates the settings at start: a missing variable fails here, by name
    return app.resolve(event, context)
