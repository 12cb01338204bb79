"""POST /v1/metrics: a batch of metric points pushed by an app, stored as per-minute/hour/day rollups."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from vigil_core.adapters.dynamodb_metric_catalog import DynamoDbMetricCatalog
from vigil_core.adapters.dynamodb_rollups import DynamoDBRollupStore
from vigil_core.adapters.dynamodb_slos import CachedSloLister, DynamoDbSloRepository
from vigil_core.adapters.dynamodb_tenants import DynamoDBTenantDirectory
from vigil_core.adapters.idempotency import PowertoolsIdempotencyGuard
from vigil_core.adapters.sla_windows import DynamoDbSlaWindows
from vigil_core.adapters.sqs_evaluation import SqsEvaluationQueue
from vigil_core.api import DependencySlot, json_response, register_error_handlers, request_from, utc_now
from vigil_core.services.auth import Authenticator
from vigil_core.services.ingest import (
    IngestDependencies,
    MetricCatalogRecorder,
    Retention,
    SloCounting,
    submit_batch,
)
from vigil_core.settings import IngestSettings, load_settings

logger = Logger()
tracer = Tracer()
metrics = Metrics()
app = APIGatewayRestResolver()
register_error_handlers(app, logger, metrics)


def build_dependencies() -> IngestDependencies:
    settings = load_settings(IngestSettings)
    return IngestDependencies(
        authenticator=Authenticator(DynamoDBTenantDirectory(settings.config_table_name)),
        store=DynamoDBRollupStore(settings.metrics_table_name),
        retention=Retention(
            settings.metrics_ttl_minute_days, settings.metrics_ttl_hour_days, settings.metrics_ttl_day_days
        ),
        idempotency=PowertoolsIdempotencyGuard(settings.idempotency_table_name),
        evaluation=SqsEvaluationQueue(settings.alert_evaluation_queue_url)
        if settings.alert_evaluation_queue_url
        else None,
        slo_counting=SloCounting(
            CachedSloLister(DynamoDbSloRepository(settings.config_table_name)),
            DynamoDbSlaWindows(settings.sla_windows_table_name),
        ),
        catalog=MetricCatalogRecorder(DynamoDbMetricCatalog(settings.config_table_name)),
    )


dependencies = DependencySlot(build_dependencies)


@app.post("/v1/metrics")
@tracer.capture_method
def post_metrics() -> Response[str]:
    outcome = submit_batch(request_from(app.current_event), dependencies.get(), utc_now())
    if outcome.replayed:
        metrics.add_metric(name="BatchesReplayed", unit=MetricUnit.Count, value=1)
    else:
        metrics.add_metric(name="PointsAccepted", unit=MetricUnit.Count, value=outcome.result.accepted)
        metrics.add_metric(name="RollupWrites", unit=MetricUnit.Count, value=outcome.result.writes)
    headers = {"Idempotent-Replayed": "true"} if outcome.replayed else None
    return json_response(202, outcome.result, headers)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    # Builds the dependencies at start, validating the settings: a missing variable fails here, by name.
    dependencies.get().idempotency.register_lambda_context(context)
    return app.resolve(event, context)
