"""The public HTTPS entry point: `POST /v1/metrics` (ingest) and `GET /v1/metrics/{name}` (query)."""

from __future__ import annotations

import json
from typing import Final

from aws_cdk import RemovalPolicy
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from constructs import Construct

from vigil_infra.config import StackConfig
from vigil_infra.constructs.function import VigilFunction
from vigil_infra.constructs.layers import VigilLayers
from vigil_infra.constructs.storage import VigilStorage
from vigil_infra.nag import acknowledge_nag_finding, cfn_resource_of
from vigil_infra.paths import ProjectPaths

API_NAME: Final = "vigil-api"
STAGE_NAME: Final = "api"

# Why there is no API Gateway authorizer, for every method's acknowledgment.
AUTHENTICATED_IN_FUNCTION: Final = (
    "vigil authenticates each request inside the function with a per-tenant API key, hashed in the "
    "config table; IAM, Cognito or a Lambda authorizer would add a second identity system for no gain."
)


class IngestApi(Construct):
    """REST API with stage throttling, JSON access logs, ERROR execution logs and X-Ray tracing."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StackConfig,
        storage: VigilStorage,
        layers: VigilLayers,
        paths: ProjectPaths,
    ) -> None:
        super().__init__(scope, construct_id)
        self._config = config
        self._storage = storage
        self._layers = layers
        self._paths = paths
        self.ingest_function = self._build_ingest_function()
        self.query_function = self._build_query_function()
        self.access_log_group = self._build_access_log_group()
        self.rest_api = self._build_rest_api()
        self._build_routes()
        self._acknowledge_api_nag_findings()

    @property
    def url(self) -> str:
        return self.rest_api.url

    def _build_function(self, construct_id: str, name: str, environment: dict[str, str]) -> VigilFunction:
        return VigilFunction(
            self,
            construct_id,
            name=name,
            code_dir=self._paths.function_code(name),
            layers=self._layers.all_layers,
            log_retention=self._config.log_retention,
            removal_policy=self._config.removal_policy,
            environment=environment,
        )

    def _build_ingest_function(self) -> VigilFunction:
        storage = self._storage
        ttl_days = self._config.metrics_ttl_days
        ingest = self._build_function(
            "IngestFunction",
            "ingest",
            {
                "CONFIG_TABLE_NAME": storage.config_table.table_name,
                "METRICS_TABLE_NAME": storage.metrics_table.table_name,
                "IDEMPOTENCY_TABLE_NAME": storage.idempotency_table.table_name,
                "METRICS_TTL_MINUTE_DAYS": str(ttl_days.minute),
                "METRICS_TTL_HOUR_DAYS": str(ttl_days.hour),
                "METRICS_TTL_DAY_DAYS": str(ttl_days.day),
                "SLA_WINDOWS_TABLE_NAME": storage.sla_windows_table.table_name,
            },
        )
        storage.grant_config_access(ingest.function, write=False)  # API key lookup, the tenant's SLOs
        # The metric catalogue (TENANT#<t> / METRIC#<name>): at most one BatchWriteItem of puts per batch.
        ingest.function.add_to_role_policy(
            iam.PolicyStatement(actions=["dynamodb:BatchWriteItem"], resources=[storage.config_table.table_arn])
        )
        storage.sla_windows_table.grant_read_write_data(ingest.function)  # metric SLOs' event counters
        storage.metrics_table.grant_read_write_data(ingest.function)  # rollup upserts
        storage.idempotency_table.grant_read_write_data(ingest.function)  # Powertools idempotency records
        return ingest

    def _build_query_function(self) -> VigilFunction:
        storage = self._storage
        query = self._build_function(
            "QueryFunction",
            "query",
            {
                "CONFIG_TABLE_NAME": storage.config_table.table_name,
                "METRICS_TABLE_NAME": storage.metrics_table.table_name,
            },
        )
        storage.grant_config_access(query.function, write=False)
        storage.metrics_table.grant_read_data(query.function)
        return query

    def _build_access_log_group(self) -> logs.LogGroup:
        return logs.LogGroup(
            self,
            "AccessLogs",
            retention=self._config.log_retention,
            removal_policy=self._config.removal_policy,
        )

    def _build_rest_api(self) -> apigateway.RestApi:
        throttle = self._config.api_throttle
        rest_api = apigateway.RestApi(
            self,
            "RestApi",
            rest_api_name=API_NAME,
            description="vigil: metric ingest and query",
            # Regional: clients call it directly; an edge distribution adds a hop and a CloudFront bill.
            endpoint_types=[apigateway.EndpointType.REGIONAL],
            # Execution logs need the account-wide API Gateway CloudWatch role. It is shared with every
            # other API in the account and region, so it outlives this stack.
            cloud_watch_role=True,
            cloud_watch_role_removal_policy=RemovalPolicy.RETAIN,
            deploy_options=apigateway.StageOptions(
                stage_name=STAGE_NAME,
                # Rendered as the "/*/*" method setting: applies to every method.
                throttling_rate_limit=throttle.rate_limit,
                throttling_burst_limit=throttle.burst_limit,
                logging_level=apigateway.MethodLoggingLevel.ERROR,
                # Full request/response logging would write tenants' API keys into CloudWatch.
                data_trace_enabled=False,
                tracing_enabled=True,
                access_log_destination=apigateway.LogGroupLogDestination(self.access_log_group),
                access_log_format=_access_log_format(),
            ),
        )
        # RestApi adds an auto-named "Endpoint" output; the stack outputs the URL once, as "ApiUrl".
        rest_api.node.try_remove_child("Endpoint")
        return rest_api

    def _build_routes(self) -> None:
        metrics = self.rest_api.root.add_resource("v1").add_resource("metrics")
        # Proxy integrations: the function sees the whole request and shapes the whole response.
        # allow_test_invoke=False: one invoke permission per method (the deployed stage), not two.
        self.ingest_method = metrics.add_method(
            "POST", apigateway.LambdaIntegration(self.ingest_function.function, allow_test_invoke=False)
        )
        self.query_method = metrics.add_resource("{name}").add_method(
            "GET", apigateway.LambdaIntegration(self.query_function.function, allow_test_invoke=False)
        )

    def _acknowledge_api_nag_findings(self) -> None:
        acknowledge_nag_finding(
            cfn_resource_of(self.rest_api),
            rule="APIG2",
            reason=(
                "Requests are validated in the functions with pydantic models that return field-level "
                "errors; an API Gateway request validator would duplicate the schema with worse messages."
            ),
        )
        acknowledge_nag_finding(
            cfn_resource_of(self.rest_api.deployment_stage),
            rule="APIG3",
            reason=(
                "No AWS WAF web ACL: vigil is a self-hosted tool whose ingest API is protected by API keys "
                "and stage throttling; operators who need WAF can associate a web ACL with the stage."
            ),
        )
        for method in (self.ingest_method, self.query_method):
            acknowledge_nag_finding(method, rule="APIG4", reason=AUTHENTICATED_IN_FUNCTION)
            acknowledge_nag_finding(method, rule="COG4", reason=AUTHENTICATED_IN_FUNCTION)
        acknowledge_nag_finding(
            cfn_resource_of(self.rest_api.node.find_child("CloudWatchRole")),
            rule=(
                "IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]"
            ),
            reason=(
                "API Gateway's account-level logging role uses the AWS-maintained push-to-CloudWatch "
                "policy; only apigateway.amazonaws.com can assume it, and execution log groups are "
                "created by the service with names this stack cannot know in advance."
            ),
        )


def _access_log_format() -> apigateway.AccessLogFormat:
    """One JSON object per request, with the latency and status fields dashboards need."""
    field = apigateway.AccessLogField
    return apigateway.AccessLogFormat.custom(
        json.dumps(
            {
                "requestId": field.context_request_id(),
                "requestTime": field.context_request_time_epoch(),
                "ip": field.context_identity_source_ip(),
                "method": field.context_http_method(),
                "path": field.context_path(),
                "resourcePath": field.context_resource_path(),
                "status": field.context_status(),
                "responseLength": field.context_response_length(),
                "latency": field.context_response_latency(),
                "integrationLatency": field.context_integration_latency(),
                "error": field.context_error_message(),
            }
        )
    )
