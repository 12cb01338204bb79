"""SLOs, SLA policies and SLA reports: the `sla` function behind `/v1/slos`, `/v1/sla-policy`, `/v1/sla/{tenant}`
and `/v1/reports/sla`, and the monthly job that writes last month's reports to S3 and tells each tenant."""

from __future__ import annotations

from typing import Final, cast

from aws_cdk import CfnElement, Duration, RemovalPolicy, Stack
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from constructs import Construct

from vigil_infra.config import StackConfig
from vigil_infra.constructs.function import DEFAULT_TIMEOUT, VigilFunction
from vigil_infra.constructs.ingest_api import AUTHENTICATED_IN_FUNCTION, IngestApi
from vigil_infra.constructs.layers import VigilLayers
from vigil_infra.constructs.storage import VigilStorage
from vigil_infra.nag import acknowledge_nag_finding, cfn_resource_of
from vigil_infra.paths import ProjectPaths

REPORT_JOB_TIMEOUT: Final = Duration.minutes(15)
# A platform-wide report reads every tenant's windows; API Gateway gives up on an integration after 29 s.
REPORT_API_TIMEOUT: Final = Duration.seconds(29)
REPORTS_PREFIX: Final = "reports/"
REPORT_RETENTION: Final = Duration.days(2 * 366)  # two years of monthly reports, then S3 deletes them


class Sla(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StackConfig,
        storage: VigilStorage,
        layers: VigilLayers,
        paths: ProjectPaths,
        api: IngestApi,
    ) -> None:
        super().__init__(scope, construct_id)
        self._config = config
        self._storage = storage
        self._layers = layers
        self._paths = paths
        self.reports_bucket = self._build_reports_bucket()
        # One message per tenant per report (attribute `tenant`): tenants subscribe with a filter policy.
        # No KMS key: a message carries the tenant's summary figures and the report's S3 key, not secrets.
        self.reports_topic = sns.Topic(self, "ReportsTopic", display_name="vigil SLA reports", enforce_ssl=True)
        self.api_function = self._build_api_function()
        self.report_function = self._build_report_function()
        self.schedule = events.Rule(
            self,
            "MonthlyReports",
            description="vigil: write last month's SLA reports to S3 and notify each tenant",
            schedule=events.Schedule.expression(config.sla.report_schedule),
        )
        self.schedule.add_target(targets.LambdaFunction(self.report_function.function, retry_attempts=2))
        self.methods = self._routes(api)

    def _function(
        self, construct_id: str, name: str, environment: dict[str, str], timeout: Duration = DEFAULT_TIMEOUT
    ) -> VigilFunction:
        return VigilFunction(
            self,
            construct_id,
            name=name,
            code_dir=self._paths.function_code(name.replace("-", "_")),
            layers=self._layers.all_layers,
            log_retention=self._config.log_retention,
            removal_policy=self._config.removal_policy,
            environment=environment,
            timeout=timeout,
        )

    def _reader_environment(self) -> dict[str, str]:
        storage = self._storage
        return {
            "CONFIG_TABLE_NAME": storage.config_table.table_name,
            "SLA_WINDOWS_TABLE_NAME": storage.sla_windows_table.table_name,
            "ALERTS_TABLE_NAME": storage.alerts_table.table_name,
        }

    def _build_api_function(self) -> VigilFunction:
        function = self._function(
            "SlaFunction",
            "sla",
            {**self._reader_environment(), "OPERATOR_TENANTS": ",".join(self._config.sla.operator_tenants)},
            timeout=REPORT_API_TIMEOUT,
        )
        # SLOs and SLA policies are written here; tenants are listed through the by-kind index.
        self._storage.grant_config_access(function.function, write=True, rules_index=True)
        self._storage.sla_windows_table.grant_read_data(function.function)
        self._storage.grant_alerts_access(function.function, write=False)  # incidents, for recovery times
        return function

    def _build_report_function(self) -> VigilFunction:
        function = self._function(
            "ReportFunction",
            "sla-reporter",
            {
                **self._reader_environment(),
                "REPORTS_BUCKET_NAME": self.reports_bucket.bucket_name,
                "REPORTS_TOPIC_ARN": self.reports_topic.topic_arn,
            },
            timeout=REPORT_JOB_TIMEOUT,
        )
        self._storage.grant_config_access(function.function, write=False, rules_index=True)
        self._storage.sla_windows_table.grant_read_data(function.function)
        self._storage.grant_alerts_access(function.function, write=False)
        self._grant_report_objects(function)
        self.reports_topic.grant_publish(function.function)
        return function

    def _grant_report_objects(self, function: VigilFunction) -> None:
        """Write and look up objects under reports/ only (a look-up tells a finished tenant from one to do; without
        ListBucket a missing object would answer 403, not 404)."""
        objects = self.reports_bucket.arn_for_objects(f"{REPORTS_PREFIX}*")
        role = function.function
        role.add_to_role_policy(iam.PolicyStatement(actions=["s3:PutObject", "s3:GetObject"], resources=[objects]))
        role.add_to_role_policy(
            iam.PolicyStatement(
                actions=["s3:ListBucket"],
                resources=[self.reports_bucket.bucket_arn],
                conditions={"StringLike": {"s3:prefix": [f"{REPORTS_PREFIX}*"]}},
            )
        )
        stack = Stack.of(self)
        bucket_id = stack.resolve(stack.get_logical_id(cast(CfnElement, self.reports_bucket.node.default_child)))
        acknowledge_nag_finding(
            cfn_resource_of(function.role.node.find_child("DefaultPolicy")),
            rule=f"IAM5[Resource::<{bucket_id}.Arn>/{REPORTS_PREFIX}*]",
            reason="The report job writes one object per tenant and month, named at run time, under reports/ only.",
        )

    def _build_reports_bucket(self) -> s3.Bucket:
        bucket = s3.Bucket(
            self,
            "ReportsBucket",
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            versioned=True,  # a re-run of a month's job keeps the earlier report as a version
            lifecycle_rules=[
                s3.LifecycleRule(expiration=REPORT_RETENTION, noncurrent_version_expiration=Duration.days(30))
            ],
            # Kept in every stage: reports are what tenants were told, and CloudFormation cannot delete a bucket
            # that holds objects (emptying it first would take a custom resource).
            removal_policy=RemovalPolicy.RETAIN,
        )
        acknowledge_nag_finding(
            cfn_resource_of(bucket),
            rule="S1",
            reason=(
                "Server access logs would need a second bucket for a bucket only the report job writes (its role "
                "is the one writer) and tenants read through the API; CloudTrail data events can be enabled "
                "by operators who audit object reads."
            ),
        )
        return bucket

    def _routes(self, api: IngestApi) -> list[apigateway.Method]:
        integration = apigateway.LambdaIntegration(self.api_function.function, allow_test_invoke=False)
        v1 = api.rest_api.root.get_resource("v1") or api.rest_api.root.add_resource("v1")
        slos = v1.add_resource("slos")
        slo = slos.add_resource("{id}")
        policy = v1.add_resource("sla-policy")
        tenant_sla = v1.add_resource("sla").add_resource("{tenant}")
        reports = v1.add_resource("reports").add_resource("sla")
        methods = [
            slos.add_method("GET", integration),
            slos.add_method("POST", integration),
            slo.add_method("GET", integration),
            slo.add_method("PUT", integration),
            slo.add_method("DELETE", integration),
            slo.add_resource("status").add_method("GET", integration),
            policy.add_method("GET", integration),
            policy.add_method("PUT", integration),
            tenant_sla.add_method("GET", integration),
            reports.add_method("GET", integration),
        ]
        for method in methods:
            acknowledge_nag_finding(method, rule="APIG4", reason=AUTHENTICATED_IN_FUNCTION)
            acknowledge_nag_finding(method, rule="COG4", reason=AUTHENTICATED_IN_FUNCTION)
        return methods
