"""Escalation: a Standard state machine that pages level after level while an alert fires unacknowledged, and
the escalator function that starts it when an alert starts firing and stops it when it is acknowledged or
resolved.

The escalator plans the schedule (the tenant's levels, business hours and channels) and hands it over as the
execution input (vigil_core/adapters/stepfunctions_escalations.py documents its paths). The state machine uses
service integrations only: for each planned page it waits until the page is due, reads the alert (GetItem),
pages if the alert is still in the same firing (SNS Publish with kind=escalation and the channel types the notifiers'
queues filter on), and records the page on the alert's escalation record (a conditional UpdateItem). After the
last page it records "unacknowledged". Every task retries AWS's transient errors and catches the rest.

escalation-policies.yaml is validated at synth time (a bad policy fails the synth, naming the field), once for
the stack, and shipped as normalized JSON beside the escalator's handler and the alerts API's: a tenant's
policy there is the one the escalator plans with and the one the API shows (read-only).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final, cast

from aws_cdk import CfnElement, Duration, Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_lambda_event_sources as event_sources
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from vigil_core.services.escalation_policies import (
    escalation_policies_to_document,
    parse_escalation_policies_document,
)
from vigil_infra.config import StackConfig
from vigil_infra.constructs.function import VigilFunction
from vigil_infra.constructs.layers import VigilLayers
from vigil_infra.constructs.queues import consumed_queue, dead_letter_queue, subscribe_queue
from vigil_infra.constructs.storage import VigilStorage
from vigil_infra.documents import handler_with_document, load_document_file
from vigil_infra.nag import acknowledge_nag_finding, cfn_resource_of
from vigil_infra.paths import ProjectPaths

ESCALATION_POLICIES_JSON: Final = "escalation-policies.json"
ESCALATOR_TIMEOUT: Final = Duration.seconds(30)
ESCALATOR_MAX_RECEIVES: Final = 5
CONDITION_FAILED: Final = "DynamoDB.ConditionalCheckFailedException"
# Transitions that start (firing) or end (acknowledged, resolved) an escalation.
ESCALATOR_FILTER_POLICY: Final = {"kind": ["transition"], "state": ["firing", "acknowledged", "resolved"]}


class InvalidEscalationPoliciesFileError(ValueError):
    """escalation-policies.yaml cannot be read or has invalid policies; the message lists each problem."""


def load_escalation_policies_file(path: Path) -> dict[str, Any]:
    """The normalized policies document, or an error naming the file, each bad field and why."""
    return load_document_file(
        path,
        lambda data: escalation_policies_to_document(parse_escalation_policies_document(data)),
        InvalidEscalationPoliciesFileError,
    )


def escalation_policies_environment(document: Mapping[str, Any] | None) -> dict[str, str]:
    """What a function shipped with `with_escalation_policies` is told: the file beside its handler, or none."""
    return {"ESCALATION_POLICIES_FILE": ESCALATION_POLICIES_JSON if document is not None else ""}


def with_escalation_policies(source: Path, document: Mapping[str, Any] | None) -> Path:
    """The handler folder, with escalation-policies.json beside the handler when the stack has the file."""
    if document is None:
        return source
    return handler_with_document(source, dict(document), ESCALATION_POLICIES_JSON)


def _string(path: str) -> tasks.DynamoAttributeValue:
    return tasks.DynamoAttributeValue.from_string(sfn.JsonPath.string_at(path))


def _number(path: str) -> tasks.DynamoAttributeValue:
    return tasks.DynamoAttributeValue.number_from_string(sfn.JsonPath.string_at(path))


def _key(prefix: str) -> dict[str, tasks.DynamoAttributeValue]:
    return {"pk": _string(f"{prefix}.pk"), "sk": _string(f"{prefix}.sk")}


class EscalationDefinition(Construct):
    """The states of one escalation, built from CDK's Step Functions constructs."""

    def __init__(self, scope: Construct, construct_id: str, *, table: dynamodb.ITable, topic: sns.ITopic) -> None:
        super().__init__(scope, construct_id)
        done = sfn.Succeed(self, "Done")
        failed = sfn.Fail(self, "Failed", error="EscalationFailed", cause="a page could not be sent or recorded")
        self._table = table
        record_failure = self._record_update(
            "RecordFailure",
            "SET #state = :failed, #error = :error, ended_at = :at",
            {
                ":failed": tasks.DynamoAttributeValue.from_string("failed"),
                ":error": _string("$.error.Error"),
                ":at": _string("$$.State.EnteredTime"),
            },
            names={"#error": "error"},
        )
        self._guard(record_failure, ended=failed, failed=failed)
        record_failure.next(failed)

        record_end = self._record_update(
            "RecordEnd",
            "SET #state = :ended, ended_at = :at",
            {":ended": _string("$.ended"), ":at": _string("$$.State.EnteredTime")},
        )
        self._guard(record_end, ended=done, failed=record_failure)
        record_end.next(done)

        def ended(state: str) -> sfn.Chain:
            return sfn.Pass(
                self, f"Ended{state.capitalize()}", result=sfn.Result.from_string(state), result_path="$.ended"
            ).next(record_end)

        take_step = sfn.Pass(
            self,
            "TakeNextStep",
            parameters={
                "step": sfn.JsonPath.array_get_item(sfn.JsonPath.list_at("$.steps"), sfn.JsonPath.number_at("$.index"))
            },
            result_path="$.current",
        )
        more_steps = (
            sfn.Choice(self, "MoreSteps")
            .when(sfn.Condition.number_less_than_json_path("$.index", "$.count"), take_step)
            .otherwise(ended("unacknowledged"))
        )
        wait = sfn.Wait(self, "WaitUntilDue", time=sfn.WaitTime.timestamp_path("$.current.step.wait_until"))
        read_alert = tasks.DynamoGetItem(
            self,
            "ReadAlert",
            table=table,
            key=_key("$.alert_key"),
            consistent_read=True,
            projection_expression=[
                tasks.DynamoProjectionExpression().with_attribute("#status"),
                tasks.DynamoProjectionExpression().with_attribute("firings"),
            ],
            expression_attribute_names={"#status": "status"},
            result_path="$.alert",
        )
        self._guard(read_alert, failed=record_failure)
        page = tasks.SnsPublish(
            self,
            "PageLevel",
            topic=topic,
            # The page every step shares (the alert, once in the input) merged with this step's part.
            message=sfn.TaskInput.from_text(
                sfn.JsonPath.json_to_string(
                    sfn.JsonPath.json_merge(
                        sfn.JsonPath.object_at("$.page"), sfn.JsonPath.object_at("$.current.step.page")
                    )
                )
            ),
            message_attributes={
                "kind": tasks.MessageAttribute(value="escalation"),
                "tenant": tasks.MessageAttribute(value=sfn.JsonPath.string_at("$.tenant_id")),
                "severity": tasks.MessageAttribute(value=sfn.JsonPath.string_at("$.severity")),
                "state": tasks.MessageAttribute(value="firing"),
                "fingerprint": tasks.MessageAttribute(value=sfn.JsonPath.string_at("$.fingerprint")),
                "channels": tasks.MessageAttribute(
                    value=sfn.JsonPath.string_at("$.current.step.channel_types"),
                    data_type=tasks.MessageAttributeDataType.STRING_ARRAY,
                ),
            },
            result_path=sfn.JsonPath.DISCARD,
        )
        self._guard(page, failed=record_failure)
        record_page = self._record_update(
            "RecordPage",
            "SET next_step = :next, pages = list_append(pages, :page)",
            {
                ":next": _number("$.current.step.next_step"),
                ":step": _number("$.current.step.step"),
                ":page": tasks.DynamoAttributeValue.from_list(
                    [
                        tasks.DynamoAttributeValue.from_map(
                            {
                                "step": _number("$.current.step.step"),
                                "level": _number("$.current.step.level"),
                                "round": _number("$.current.step.round"),
                                "channels": _string("$.current.step.channels"),
                                "at": _string("$$.State.EnteredTime"),
                            }
                        )
                    ]
                ),
            },
            also_if="next_step = :step",
        )
        # The record moved on without this execution (it ended, or a later firing took it over): stop here.
        self._guard(record_page, ended=done, failed=record_failure)
        advance = sfn.Pass(self, "Advance", input_path="$.current.step.next", result_path="$.index")
        firing_matches = sfn.Condition.and_(
            sfn.Condition.is_present("$.alert.Item.firings.N"),
            sfn.Condition.string_equals_json_path("$.alert.Item.firings.N", "$.firing"),
        )
        still_firing = (
            sfn.Choice(self, "StillFiring")
            .when(
                sfn.Condition.and_(firing_matches, sfn.Condition.string_equals("$.alert.Item.status.S", "firing")),
                page,
            )
            .when(
                sfn.Condition.and_(
                    firing_matches, sfn.Condition.string_equals("$.alert.Item.status.S", "acknowledged")
                ),
                ended("acknowledged"),
            )
            .otherwise(ended("resolved"))
        )
        take_step.next(wait).next(read_alert).next(still_firing)
        page.next(record_page).next(advance).next(more_steps)
        self.start: sfn.IChainable = more_steps

    def _record_update(
        self,
        construct_id: str,
        update: str,
        values: dict[str, tasks.DynamoAttributeValue],
        *,
        names: dict[str, str] | None = None,
        also_if: str = "",
    ) -> tasks.DynamoUpdateItem:
        """An update of the escalation record, only while it is running for this execution's firing."""
        condition = "#state = :running AND firing = :firing" + (f" AND {also_if}" if also_if else "")
        return tasks.DynamoUpdateItem(
            self,
            construct_id,
            table=self._table,
            key=_key("$.record_key"),
            update_expression=update,
            condition_expression=condition,
            expression_attribute_names={"#state": "state", **(names or {})},
            expression_attribute_values={
                **values,
                ":running": tasks.DynamoAttributeValue.from_string("running"),
                ":firing": _number("$.firing"),
            },
            result_path=sfn.JsonPath.DISCARD,
        )

    @staticmethod
    def _guard(task: sfn.TaskStateBase, *, failed: sfn.IChainable, ended: sfn.IChainable | None = None) -> None:
        """Retries with backoff for AWS's transient errors; a failed condition is an answer, not retried."""
        if ended is not None:
            task.add_retry(errors=[CONDITION_FAILED], max_attempts=0)
        task.add_retry(
            errors=[sfn.Errors.ALL],
            interval=Duration.seconds(2),
            max_attempts=6,
            backoff_rate=2,
            max_delay=Duration.seconds(60),
            jitter_strategy=sfn.JitterType.FULL,
        )
        if ended is not None:
            task.add_catch(ended, errors=[CONDITION_FAILED], result_path=sfn.JsonPath.DISCARD)
        task.add_catch(failed, errors=[sfn.Errors.ALL], result_path="$.error")


class Escalation(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        topic: sns.ITopic,
        config: StackConfig,
        storage: VigilStorage,
        layers: VigilLayers,
        paths: ProjectPaths,
        escalation_policies: Mapping[str, Any] | None,
    ) -> None:
        """`escalation_policies`: the normalized escalation-policies.yaml (load_escalation_policies_file), or
        None when the stack deploys no policies as code."""
        super().__init__(scope, construct_id)
        definition = EscalationDefinition(self, "Definition", table=storage.alerts_table, topic=topic)
        self.log_group = logs.LogGroup(
            self, "StateMachineLogs", retention=config.log_retention, removal_policy=config.removal_policy
        )
        self.state_machine = sfn.StateMachine(
            self,
            "StateMachine",
            state_machine_type=sfn.StateMachineType.STANDARD,
            definition_body=sfn.DefinitionBody.from_chainable(definition.start),
            comment="vigil: page escalation levels until the alert is acknowledged or resolved",
            tracing_enabled=True,
            # Execution data stays out of the logs: pages carry alert labels and channel ids.
            logs=sfn.LogOptions(destination=self.log_group, level=sfn.LogLevel.ALL, include_execution_data=False),
            removal_policy=config.removal_policy,
        )
        self.dead_letters = dead_letter_queue(self, "DeadLetters", config.removal_policy)
        self.queue = consumed_queue(
            self,
            "Queue",
            dead_letters=self.dead_letters,
            max_receives=ESCALATOR_MAX_RECEIVES,
            visibility_timeout=Duration.seconds(ESCALATOR_TIMEOUT.to_seconds() * 6),
            removal_policy=config.removal_policy,
        )
        subscribe_queue(topic, self.queue, ESCALATOR_FILTER_POLICY)
        self.escalator = VigilFunction(
            self,
            "Function",
            name="escalator",
            code_dir=with_escalation_policies(paths.function_code("escalator"), escalation_policies),
            layers=layers.all_layers,
            log_retention=config.log_retention,
            removal_policy=config.removal_policy,
            timeout=ESCALATOR_TIMEOUT,
            environment={
                "CONFIG_TABLE_NAME": storage.config_table.table_name,
                "ALERTS_TABLE_NAME": storage.alerts_table.table_name,
                "STATE_MACHINE_ARN": self.state_machine.state_machine_arn,
                **escalation_policies_environment(escalation_policies),
            },
        )
        function = self.escalator.function
        function.add_event_source(
            event_sources.SqsEventSource(self.queue, batch_size=10, report_batch_item_failures=True)
        )
        storage.grant_alerts_access(function, write=True)  # the alert read back, the escalation record
        storage.grant_config_access(function, write=False)  # escalation and notification policies
        self.state_machine.grant_start_execution(function)
        self.state_machine.grant_execution(function, "states:StopExecution")
        self._acknowledge_nag_findings()

    def _acknowledge_nag_findings(self) -> None:
        acknowledge_nag_finding(
            cfn_resource_of(self.state_machine.role.node.find_child("DefaultPolicy")),
            rule="IAM5[Resource::*]",
            reason=(
                "Resource * is only for X-Ray tracing and CloudWatch Logs delivery, which Step Functions needs on "
                "*; the table and topic statements name their ARNs."
            ),
        )
        stack = Stack.of(self)
        machine_id = stack.resolve(stack.get_logical_id(cast(CfnElement, self.state_machine.node.default_child)))
        machine_name = f'{{"Fn::Select":[6,{{"Fn::Split":[":",{{"Ref":"{machine_id}"}}]}}]}}'
        executions = f"arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:{machine_name}:*"
        acknowledge_nag_finding(
            cfn_resource_of(self.escalator.role.node.find_child("DefaultPolicy")),
            rule=f"IAM5[Resource::{executions}]",
            reason=(
                "The escalator stops executions of the escalation state machine by name when an alert is "
                "acknowledged or resolved; the wildcard is the execution name under that one state machine."
            ),
        )
