"""Alerting: the evaluator (every minute, after each ingest, after each monitor transition), the alerts
topic it publishes to, and the alert API (`/v1/alerts`, `/v1/silences`, `/v1/alert-rules`,
`/v1/alerting-policy`).

alert-rules.yaml is validated here, at synth time (a bad rule fails the synth, naming the field), and
shipped beside the evaluator's handler as normalized JSON; the evaluator applies it when it changes. The
escalation-policies.yaml the stack loaded (constructs/escalation.py) is shipped beside the alerts API's
handler, which shows those policies and refuses to change them.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

from aws_cdk import Duration
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_lambda_event_sources as event_sources
from aws_cdk import aws_sns as sns
from constructs import Construct

from vigil_core.services.alert_rules import parse_rules_document, rules_to_document
from vigil_infra.config import StackConfig
from vigil_infra.constructs.escalation import escalation_policies_environment, with_escalation_policies
from vigil_infra.constructs.function import VigilFunction
from vigil_infra.constructs.ingest_api import AUTHENTICATED_IN_FUNCTION, IngestApi
from vigil_infra.constructs.layers import VigilLayers
from vigil_infra.constructs.probes import MAX_RECEIVES, Probes
from vigil_infra.constructs.queues import consumed_queue, dead_letter_queue
from vigil_infra.constructs.storage import VigilStorage
from vigil_infra.documents import handler_with_document, load_document_file
from vigil_infra.nag import acknowledge_nag_finding
from vigil_infra.paths import ProjectPaths

ALERT_RULES_JSON: Final = "alert-rules.json"
EVALUATOR_TIMEOUT: Final = Duration.seconds(60)


class InvalidAlertRulesFileError(ValueError):
    """alert-rules.yaml cannot be read or has invalid rules; the message lists each problem."""


def load_alert_rules_file(path: Path) -> dict[str, object]:
    """The normalized rules document, or an error naming the file, each bad field and why."""
    return load_document_file(
        path, lambda data: rules_to_document(parse_rules_document(data)), InvalidAlertRulesFileError
    )


class Alerting(Construct):
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
        probes: Probes,
        escalation_policies: Mapping[str, Any] | None,
    ) -> None:
        """`escalation_policies`: the normalized escalation-policies.yaml (load_escalation_policies_file), or
        None when the stack deploys no policies as code."""
        super().__init__(scope, construct_id)
        self._config = config
        self._paths = paths
        # Every alert transition (kind=transition) and grouped notification (kind=notification), with the
        # attributes kind, tenant, severity, state and fingerprint for subscribers' filter policies.
        # Publishing requires TLS. No KMS key: messages carry alert summaries and labels, not secrets, and a key
        # would need grants for every subscriber (a queue per channel, the escalation state machine).
        self.topic = sns.Topic(self, "AlertsTopic", display_name="vigil alerts", enforce_ssl=True)
        self.evaluation_dead_letters = dead_letter_queue(self, "EvaluationDeadLetters", config.removal_policy)
        self.evaluation_queue = consumed_queue(
            self,
            "EvaluationQueue",
            dead_letters=self.evaluation_dead_letters,
            max_receives=MAX_RECEIVES,
            visibility_timeout=Duration.seconds(EVALUATOR_TIMEOUT.to_seconds() * 6),
            removal_policy=config.removal_policy,
        )
        environment = {
            "CONFIG_TABLE_NAME": storage.config_table.table_name,
            "ALERTS_TABLE_NAME": storage.alerts_table.table_name,
            "ALERTS_TOPIC_ARN": self.topic.topic_arn,
            "ALERT_EVALUATION_QUEUE_URL": self.evaluation_queue.queue_url,
        }
        self.evaluator = VigilFunction(
            self,
            "EvaluatorFunction",
            name="alert-evaluator",
            code_dir=self._evaluator_code(),
            layers=layers.all_layers,
            log_retention=config.log_retention,
            removal_policy=config.removal_policy,
            timeout=EVALUATOR_TIMEOUT,
            environment={
                **environment,
                "METRICS_TABLE_NAME": storage.metrics_table.table_name,
                "PROBES_TABLE_NAME": storage.probes_table.table_name,
                "SLA_WINDOWS_TABLE_NAME": storage.sla_windows_table.table_name,
                "ALERT_RULES_FILE": ALERT_RULES_JSON if config.alert_rules_file else "",
            },
        )
        self.api_function = VigilFunction(
            self,
            "AlertsFunction",
            name="alerts",
            code_dir=with_escalation_policies(paths.function_code("alerts"), escalation_policies),
            layers=layers.all_layers,
            log_retention=config.log_retention,
            removal_policy=config.removal_policy,
            environment={**environment, **escalation_policies_environment(escalation_policies)},
        )
        self._grant(storage, probes)
        for queue in (self.evaluation_queue, probes.transitions_queue):
            self.evaluator.function.add_event_source(
                event_sources.SqsEventSource(queue, batch_size=10, report_batch_item_failures=True)
            )
        self.schedule = events.Rule(
            self,
            "EveryMinute",
            description="vigil: evaluate every tenant's alert rules and flush due notification groups",
            schedule=events.Schedule.rate(Duration.minutes(1)),
        )
        # The scheduled event's own time is the evaluation time, so a late delivery evaluates its minute.
        self.schedule.add_target(targets.LambdaFunction(self.evaluator.function, retry_attempts=0))
        self.methods = self._routes(api)

    def _evaluator_code(self) -> Path:
        source = self._paths.function_code("alert_evaluator")
        rules_file = self._config.alert_rules_file
        if not rules_file:
            return source
        document = load_alert_rules_file(self._paths.root / rules_file)
        return handler_with_document(source, document, ALERT_RULES_JSON)

    def _grant(self, storage: VigilStorage, probes: Probes) -> None:
        evaluator, api = self.evaluator.function, self.api_function.function
        for function in (evaluator, api):
            storage.grant_alerts_access(function, write=True)
            self.topic.grant_publish(function)
            self.evaluation_queue.grant_send_messages(function)
        # The evaluator lists every tenant's rules (the by-kind index) and applies alert-rules.yaml.
        storage.grant_config_access(evaluator, write=True, rules_index=True)
        storage.grant_config_access(api, write=True)  # rules and policies (and API key look-ups)
        storage.metrics_table.grant_read_data(evaluator)
        storage.probes_table.grant_read_data(evaluator)
        storage.sla_windows_table.grant_read_write_data(evaluator)  # SLO burn rates; timeslice counts per hour

    def _routes(self, api: IngestApi) -> list[apigateway.Method]:
        integration = apigateway.LambdaIntegration(self.api_function.function, allow_test_invoke=False)
        v1 = api.rest_api.root.get_resource("v1") or api.rest_api.root.add_resource("v1")
        alerts = v1.add_resource("alerts")
        alert = alerts.add_resource("{id}")
        silences = v1.add_resource("silences")
        rules = v1.add_resource("alert-rules")
        rule = rules.add_resource("{id}")
        policy = v1.add_resource("alerting-policy")
        notification_policy = v1.add_resource("notification-policy")
        escalation_policy = v1.add_resource("escalation-policy")
        routes = [
            (alerts, "GET"),
            (alerts, "POST"),
            (alert, "GET"),
            (alert.add_resource("escalation"), "GET"),
            (alert.add_resource("acknowledge"), "POST"),
            (alert.add_resource("resolve"), "POST"),
            (silences, "GET"),
            (silences, "POST"),
            (silences.add_resource("{id}"), "DELETE"),
            (rules, "GET"),
            (rules, "POST"),
            (rule, "GET"),
            (rule, "PUT"),
            (rule, "DELETE"),
            (policy, "GET"),
            (policy, "PUT"),
            (notification_policy, "GET"),
            (notification_policy, "PUT"),
            (escalation_policy, "GET"),
            (escalation_policy, "PUT"),
        ]
        methods = [resource.add_method(verb, integration) for resource, verb in routes]
        for method in methods:
            acknowledge_nag_finding(method, rule="APIG4", reason=AUTHENTICATED_IN_FUNCTION)
            acknowledge_nag_finding(method, rule="COG4", reason=AUTHENTICATED_IN_FUNCTION)
        return methods
