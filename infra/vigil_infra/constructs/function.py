"""The one way vigil defines a Lambda function, so every function gets the same runtime, logging,
tracing and least-privilege role."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Final

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from vigil_infra.constructs.layers import ASSET_EXCLUDES, LAMBDA_ARCHITECTURE, LAMBDA_RUNTIME
from vigil_infra.nag import acknowledge_nag_finding, cfn_resource_of

HANDLER: Final = "handler.handler"
METRICS_NAMESPACE: Final = "Vigil"
DEFAULT_MEMORY_MB: Final = 512
DEFAULT_TIMEOUT: Final = Duration.seconds(10)


class VigilFunction(Construct):
    """A python3.13/arm64 function from `functions/<name>` with both layers, JSON logs in its own
    log group, X-Ray tracing and a role that holds only what it is granted.

    Grant table access to `function` (e.g. `table.grant_read_data(vigil_function.function)`).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        name: str,
        code_dir: Path,
        layers: Sequence[lambda_.ILayerVersion],
        log_retention: logs.RetentionDays,
        removal_policy: RemovalPolicy,
        environment: Mapping[str, str] | None = None,
        timeout: Duration = DEFAULT_TIMEOUT,
        memory_size: int = DEFAULT_MEMORY_MB,
    ) -> None:
        super().__init__(scope, construct_id)
        self.name = name
        self.log_group = self._build_log_group(log_retention, removal_policy)
        self.role = self._build_role()
        self.function = self._build_function(
            code_dir=code_dir,
            layers=layers,
            environment=self._build_environment(environment or {}),
            timeout=timeout,
            memory_size=memory_size,
        )
        self._acknowledge_nag_findings()

    def _build_log_group(self, retention: logs.RetentionDays, removal_policy: RemovalPolicy) -> logs.LogGroup:
        # An explicit log group (not the LogRetention custom resource) keeps the template free of
        # helper Lambdas and lets retention and removal follow the stage.
        return logs.LogGroup(self, "LogGroup", retention=retention, removal_policy=removal_policy)

    def _build_role(self) -> iam.Role:
        # No AWSLambdaBasicExecutionRole: that managed policy may write to every log group.
        write_own_log_group = iam.PolicyStatement(
            actions=["logs:CreateLogStream", "logs:PutLogEvents"],
            resources=[self.log_group.log_group_arn],
        )
        return iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"vigil-{self.name} function: its own log group, X-Ray and the tables it is granted",
            inline_policies={"WriteOwnLogGroup": iam.PolicyDocument(statements=[write_own_log_group])},
        )

    def _build_environment(self, caller_environment: Mapping[str, str]) -> dict[str, str]:
        return {
            "POWERTOOLS_SERVICE_NAME": f"vigil-{self.name}",
            "POWERTOOLS_METRICS_NAMESPACE": METRICS_NAMESPACE,
            "POWERTOOLS_LOG_LEVEL": "INFO",
            **caller_environment,
        }

    def _build_function(
        self,
        *,
        code_dir: Path,
        layers: Sequence[lambda_.ILayerVersion],
        environment: dict[str, str],
        timeout: Duration,
        memory_size: int,
    ) -> lambda_.Function:
        # "Resource" keeps the logical id short: <Parent><Id><hash>, not <Parent><Id>Function<hash>.
        return lambda_.Function(
            self,
            "Resource",
            description=f"vigil {self.name}",
            runtime=LAMBDA_RUNTIME,
            architecture=LAMBDA_ARCHITECTURE,
            handler=HANDLER,
            code=lambda_.Code.from_asset(str(code_dir), exclude=ASSET_EXCLUDES),
            layers=list(layers),
            environment=environment,
            timeout=timeout,
            memory_size=memory_size,
            role=self.role,
            logging_format=lambda_.LoggingFormat.JSON,
            log_group=self.log_group,
            tracing=lambda_.Tracing.ACTIVE,
        )

    def _acknowledge_nag_findings(self) -> None:
        acknowledge_nag_finding(
            cfn_resource_of(self.function),
            rule="L1",
            reason=(
                "python3.13 is pinned on purpose: the dependencies layer is built as cp313 arm64 wheels and "
                "the local cloud runs the handlers on 3.13, so the runtime moves only together with both."
            ),
        )
        # Tracing.ACTIVE makes CDK add xray:PutTraceSegments/PutTelemetryRecords to the role's default
        # policy; X-Ray has no resource-level permissions, so those two actions need Resource "*".
        acknowledge_nag_finding(
            cfn_resource_of(self.role.node.find_child("DefaultPolicy")),
            rule="IAM5[Resource::*]",
            reason=(
                "The only Resource * statement is X-Ray PutTraceSegments and PutTelemetryRecords, which "
                "support no resource-level permissions; every table and log statement names its ARN."
            ),
        )
