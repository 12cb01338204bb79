"""The vigil stack: wires storage, layers, the API (metrics, monitors, alerts), probes and alerting together."""

from __future__ import annotations

from typing import Any, Final

from aws_cdk import CfnOutput, Stack
from constructs import Construct

from vigil_infra.config import StackConfig
from vigil_infra.constructs.alerting import Alerting
from vigil_infra.constructs.dashboard_api import DashboardApi
from vigil_infra.constructs.escalation import Escalation, load_escalation_policies_file
from vigil_infra.constructs.ingest_api import IngestApi
from vigil_infra.constructs.layers import VigilLayers
from vigil_infra.constructs.monitors_api import MonitorsApi
from vigil_infra.constructs.notifications import Notifications
from vigil_infra.constructs.observability import Observability
from vigil_infra.constructs.probes import Probes
from vigil_infra.constructs.sla import Sla
from vigil_infra.constructs.storage import VigilStorage
from vigil_infra.paths import ProjectPaths

STACK_NAME: Final = "Vigil"


class VigilStack(Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StackConfig,
        paths: ProjectPaths,
        **stack_kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **stack_kwargs)
        self.config = config
        # Validated once (a bad file fails the synth here) and shipped to both the alerts API and the escalator.
        self.escalation_policies = (
            load_escalation_policies_file(paths.root / config.escalation_policies_file)
            if config.escalation_policies_file
            else None
        )
        self.storage = VigilStorage(self, "Storage", removal_policy=config.removal_policy)
        self.layers = VigilLayers(self, "Layers", paths=paths, removal_policy=config.removal_policy)
        self.ingest_api = IngestApi(
            self, "IngestApi", config=config, storage=self.storage, layers=self.layers, paths=paths
        )
        self.monitors_api = MonitorsApi(
            self,
            "MonitorsApi",
            config=config,
            storage=self.storage,
            layers=self.layers,
            paths=paths,
            api=self.ingest_api,
        )
        self.probes = Probes(self, "Probes", config=config, storage=self.storage, layers=self.layers, paths=paths)
        self.alerting = Alerting(
            self,
            "Alerting",
            config=config,
            storage=self.storage,
            layers=self.layers,
            paths=paths,
            api=self.ingest_api,
            probes=self.probes,
            escalation_policies=self.escalation_policies,
        )
        self.notifications = Notifications(
            self,
            "Notifications",
            topic=self.alerting.topic,
            config=config,
            storage=self.storage,
            layers=self.layers,
            paths=paths,
        )
        self.escalation = Escalation(
            self,
            "Escalation",
            topic=self.alerting.topic,
            config=config,
            storage=self.storage,
            layers=self.layers,
            paths=paths,
            escalation_policies=self.escalation_policies,
        )
        self.sla = Sla(
            self, "Sla", config=config, storage=self.storage, layers=self.layers, paths=paths, api=self.ingest_api
        )
        self.dashboard_api = DashboardApi(
            self,
            "DashboardApi",
            config=config,
            storage=self.storage,
            layers=self.layers,
            paths=paths,
            api=self.ingest_api,
        )
        # Ingest asks for the pushed metrics' rules to be evaluated at once, not at the next minute.
        ingest = self.ingest_api.ingest_function.function
        ingest.add_environment("ALERT_EVALUATION_QUEUE_URL", self.alerting.evaluation_queue.queue_url)
        self.alerting.evaluation_queue.grant_send_messages(ingest)
        # Last: it gives every dead-letter queue built above an alarm.
        self.observability = Observability(
            self,
            "Observability",
            ingest_api=self.ingest_api,
            monitors_api=self.monitors_api,
            probes=self.probes,
            alerting=self.alerting,
            notifications=self.notifications,
            escalation=self.escalation,
            sla=self.sla,
            dashboard_api=self.dashboard_api,
        )
        self._build_outputs()

    def _build_outputs(self) -> None:
        CfnOutput(self, "ApiUrl", value=self.ingest_api.url, description="Base URL of the vigil API stage")
        CfnOutput(
            self,
            "AlertsTopicArn",
            value=self.alerting.topic.topic_arn,
            description="SNS topic of alert transitions and grouped notifications",
        )
        CfnOutput(
            self,
            "EscalationStateMachineArn",
            value=self.escalation.state_machine.state_machine_arn,
            description="Step Functions state machine that pages escalation levels",
        )
        CfnOutput(
            self,
            "SlaReportsBucketName",
            value=self.sla.reports_bucket.bucket_name,
            description="S3 bucket of the monthly SLA reports (reports/<YYYY-MM>/...)",
        )
        CfnOutput(
            self,
            "SlaReportsTopicArn",
            value=self.sla.reports_topic.topic_arn,
            description="SNS topic telling each tenant (attribute tenant) its monthly SLA report is ready",
        )
        CfnOutput(
            self,
            "OpsAlarmsTopicArn",
            value=self.observability.alarms_topic.topic_arn,
            description="SNS topic of vigil's own health alarms (docs/operations.md): subscribe the people on call",
        )
