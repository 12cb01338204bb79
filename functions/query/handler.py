"""GET /v1/metrics/{name}: a metric's series for the caller's tenant, from the coarsest fitting rollups."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from vigil_core.adapters.dynamodb_rollups import DynamoDBRollupStore
from vigil_core.adapters.dynamodb_tenants import DynamoDBTenantDirectory
from vigil_core.api import DependencySlot, json_response, register_error_handlers, request_from, utc_now
from vigil_core.services.auth import Authenticator
from vigil_core.services.query import QueryDependencies, run_query
from vigil_core.settings import QuerySettings, load_settings

logger = Logger()
tracer = Tracer()
metrics = Metrics()
app = APIGatewayRestResolver()
register_error_handlers(app, logger, metrics)


def build_dependencies() -> QueryDependencies:
    settings = load_settings(QuerySettings)
    return QueryDependencies(
        authenticator=Authenticator(DynamoDBTenantDirectory(settings.config_table_name)),
        store=DynamoDBRollupStore(settings.metrics_table_name),
    )


dependencies = DependencySlot(build_dependencies)


@app.get("/v1/metrics/<name>")
@tracer.capture_method
def get_metric(name: str) -> Response[str]:
    result = run_query(request_from(app.current_event), name, dependencies.get(), utc_now())
    metrics.add_metric(name="SeriesReturned", unit=MetricUnit.Count, value=len(result.series))
    return json_response(200, result)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    dependencies.get()  # validates the settings at start: a missing variable fails here, by name
    return app.resolve(event, context)
