"""Escalation: the Standard state machine that pages level after level (its definition, logging, tracing and
role), the escalator's queue and filtered subscription, and what the escalator is told and may touch.

Every test reads the session's one synthesis. The definition is read from the template's DefinitionString, an
Fn::Join whose references are rendered as placeholders (e.g. "<AWS::Partition>", "<AlertsTableLogicalId>").
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from constructs import IConstruct

from tests.infra.synthesized import (
    JsonObject,
    SynthesizedVigil,
    getatt_targets,
    grants_of_role,
    referenced_logical_id,
    statements_of_role,
)
from vigil_core.models.notifications import ChannelType
from vigil_core.settings import EscalatorSettings, load_settings
from vigil_infra.constructs.escalation import Escalation

pytestmark = pytest.mark.infra

POWERTOOLS = {"POWERTOOLS_SERVICE_NAME", "POWERTOOLS_METRICS_NAMESPACE", "POWERTOOLS_LOG_LEVEL"}
ESCALATOR_VARIABLES = {"STATE_MACHINE_ARN", "ALERTS_TABLE_NAME", "CONFIG_TABLE_NAME", "ESCALATION_POLICIES_FILE"}
# Written out rather than taken from the construct, so a change to it shows up here.
ESCALATOR_FILTER_POLICY = {"kind": ["transition"], "state": ["firing", "acknowledged", "resolved"]}
MAX_RECEIVES = 5
DEAD_LETTER_RETENTION_SECONDS = 14 * 24 * 3600
READS = {"dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query"}
WRITES = {"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem"}
CONSUME = {"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility"}
CONDITION_FAILED = "DynamoDB.ConditionalCheckFailedException"
INTEGRATION = "arn:<AWS::Partition>:states:::"

# Every state of an escalation, with its type.
EXPECTED_STATES = {
    "MoreSteps": "Choice",
    "TakeNextStep": "Pass",
    "WaitUntilDue": "Wait",
    "ReadAlert": "Task",
    "StillFiring": "Choice",
    "PageLevel": "Task",
    "RecordPage": "Task",
    "Advance": "Pass",
    "EndedUnacknowledged": "Pass",
    "EndedAcknowledged": "Pass",
    "EndedResolved": "Pass",
    "RecordEnd": "Task",
    "RecordFailure": "Task",
    "Done": "Succeed",
    "Failed": "Fail",
}
# The service integration each task calls: DynamoDB and SNS directly, no Lambda in between.
TASK_INTEGRATIONS = {
    "ReadAlert": f"{INTEGRATION}dynamodb:getItem",
    "PageLevel": f"{INTEGRATION}sns:publish",
    "RecordPage": f"{INTEGRATION}dynamodb:updateItem",
    "RecordEnd": f"{INTEGRATION}dynamodb:updateItem",
    "RecordFailure": f"{INTEGRATION}dynamodb:updateItem",
}
# Where a task goes when the escalation record's condition fails (the record moved on without this execution).
# RecordFailure already ends in Failed, so a failed condition there fails the execution as well.
CONDITION_FAILED_NEXT = {"RecordPage": "Done", "RecordEnd": "Done", "RecordFailure": "Failed"}
# AWS's transient errors (throttling, 5xx) are retried for about two minutes, with growing, jittered waits.
TRANSIENT_RETRY = {
    "ErrorEquals": ["States.ALL"],
    "IntervalSeconds": 2,
    "MaxAttempts": 6,
    "BackoffRate": 2,
    "MaxDelaySeconds": 60,
    "JitterStrategy": "FULL",
}
# The transitions out of every state that has one "Next": the loop, the ends, and failure.
EXPECTED_NEXT = {
    "TakeNextStep": "WaitUntilDue",
    "WaitUntilDue": "ReadAlert",
    "ReadAlert": "StillFiring",
    "PageLevel": "RecordPage",
    "RecordPage": "Advance",
    "Advance": "MoreSteps",
    "EndedUnacknowledged": "RecordEnd",
    "EndedAcknowledged": "RecordEnd",
    "EndedResolved": "RecordEnd",
    "RecordEnd": "Done",
    "RecordFailure": "Failed",
}


def _escalation(vigil: SynthesizedVigil) -> Escalation:
    return vigil.stack.escalation


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _render(value: Any) -> str:
    """A template value as text, each reference in brackets: Ref X -> "<X>", Fn::GetAtt [X, A] -> "<X.A>",
    Fn::Join joined, and an ARN's seventh field (a state machine's name) -> "<X.Name>". Anything else fails."""
    if isinstance(value, str):
        return value
    assert isinstance(value, dict) and len(value) == 1, value
    [(function, argument)] = value.items()
    if function == "Ref":
        return f"<{argument}>"
    if function == "Fn::GetAtt":
        return f"<{argument[0]}.{argument[1]}>"
    if function == "Fn::Join":
        delimiter, parts = argument
        return str(delimiter).join(_render(part) for part in parts)
    if function == "Fn::Select" and argument[0] == 6 and "Fn::Split" in argument[1]:
        separator, source = argument[1]["Fn::Split"]
        assert separator == ":" and "Ref" in source, value
        return f"<{source['Ref']}.Name>"
    raise AssertionError(f"unexpected intrinsic {value}")


def _placeholder(vigil: SynthesizedVigil, construct: IConstruct) -> str:
    return f"<{vigil.logical_id(construct)}>"


@pytest.fixture(scope="module")
def definition(vigil: SynthesizedVigil) -> JsonObject:
    """The state machine's definition, its references rendered as placeholders."""
    definition_string = vigil.properties(_escalation(vigil).state_machine)["DefinitionString"]
    assert set(definition_string) == {"Fn::Join"}
    assert definition_string["Fn::Join"][0] == ""
    parsed: JsonObject = json.loads(_render(definition_string))
    return parsed


def _states(definition: JsonObject) -> dict[str, JsonObject]:
    states: dict[str, JsonObject] = definition["States"]
    return states


def _tasks(definition: JsonObject) -> dict[str, JsonObject]:
    return {name: state for name, state in _states(definition).items() if state["Type"] == "Task"}


def _conjuncts(rule: JsonObject) -> list[JsonObject]:
    """The comparisons a choice rule requires all of (nested And flattened); an Or or Not is not expected."""
    assert not {"Or", "Not"} & set(rule), rule
    if "And" in rule:
        return [comparison for inner in rule["And"] for comparison in _conjuncts(inner)]
    return [{key: value for key, value in rule.items() if key != "Next"}]


def _accepts(policy: JsonObject, attributes: dict[str, list[str]]) -> bool:
    """Whether an SNS filter policy of exact string values (with "$or") accepts message attributes; an array
    attribute matches when any of its values is allowed."""
    if "$or" in policy:
        rest = {key: value for key, value in policy.items() if key != "$or"}
        return any(_accepts({**rest, **branch}, attributes) for branch in policy["$or"])
    for key, allowed in policy.items():
        assert all(isinstance(value, str) for value in allowed), (key, allowed)
        if not set(attributes.get(key, [])) & set(allowed):
            return False
    return True


def _subscription_to(vigil: SynthesizedVigil, queue: IConstruct) -> JsonObject:
    subscriptions: list[JsonObject] = [
        s["Properties"]
        for s in vigil.of_type("AWS::SNS::Subscription").values()
        if referenced_logical_id(s["Properties"]["Endpoint"]) == vigil.logical_id(queue)
    ]
    [subscription] = subscriptions
    return subscription


# --- the state machine -------------------------------------------------------------------------------


def test_the_state_machine_is_standard_traced_and_logs_everything_but_execution_data_to_its_own_group(
    vigil: SynthesizedVigil,
) -> None:
    # Given the escalation state machine
    escalation = _escalation(vigil)
    properties = vigil.properties(escalation.state_machine)
    # Then it is a Standard workflow (an escalation waits hours between pages, past Express's five minutes)
    assert properties["StateMachineType"] == "STANDARD"
    # And it is traced with X-Ray
    assert properties.get("TracingConfiguration") == {"Enabled": True}
    # And it logs every event, without the execution data (pages carry alert labels and channel ids)
    logging = properties["LoggingConfiguration"]
    assert logging["Level"] == "ALL"
    assert logging["IncludeExecutionData"] is False
    # And to one log group of its own, kept for the configured retention
    [destination] = logging["Destinations"]
    log_group = referenced_logical_id(destination["CloudWatchLogsLogGroup"]["LogGroupArn"])
    assert log_group == vigil.logical_id(escalation.log_group)
    assert log_group != vigil.logical_id(escalation.escalator.log_group)
    assert vigil.properties(escalation.log_group)["RetentionInDays"] == vigil.stack.config.log_retention_days
    logged_to = {
        lid
        for lid, resource in vigil.of_type("AWS::StepFunctions::StateMachine").items()
        if log_group in set(getatt_targets(resource["Properties"].get("LoggingConfiguration", {})))
    }
    assert logged_to == {vigil.logical_id(escalation.state_machine)}
    # And it runs as its own role
    assert referenced_logical_id(properties["RoleArn"]) == vigil.logical_id(escalation.state_machine.role)


def test_the_definition_starts_at_more_steps_and_has_exactly_the_escalation_states(definition: JsonObject) -> None:
    # Given the parsed definition
    # Then it starts by asking whether there is a step left
    assert definition["StartAt"] == "MoreSteps"
    # And it has exactly the escalation's states, each of its type (no Map, Parallel or nested workflow)
    assert {name: state["Type"] for name, state in _states(definition).items()} == EXPECTED_STATES


def test_the_loop_waits_reads_pages_records_and_advances_and_every_end_is_recorded(definition: JsonObject) -> None:
    # Given the states
    states = _states(definition)
    # Then each state with one way out goes where the escalation expects, and no state ends by "End"
    assert {name: state["Next"] for name, state in states.items() if "Next" in state} == EXPECTED_NEXT
    assert not [name for name, state in states.items() if "End" in state]
    # And the loop runs while index < count, else the escalation ended unacknowledged
    more_steps = states["MoreSteps"]
    assert more_steps["Choices"] == [{"Variable": "$.index", "NumericLessThanPath": "$.count", "Next": "TakeNextStep"}]
    assert more_steps["Default"] == "EndedUnacknowledged"
    # And each step is taken from the planned steps by index, and the index advances to the step's "next"
    assert states["TakeNextStep"]["Parameters"] == {"step.$": "States.ArrayGetItem($.steps, $.index)"}
    assert states["TakeNextStep"]["ResultPath"] == "$.current"
    assert (states["Advance"]["InputPath"], states["Advance"]["ResultPath"]) == ("$.current.step.next", "$.index")
    # And every end names why it ended before RecordEnd writes it
    for state, ended in (
        ("Unacknowledged", "unacknowledged"),
        ("Acknowledged", "acknowledged"),
        ("Resolved", "resolved"),
    ):
        assert (states[f"Ended{state}"]["Result"], states[f"Ended{state}"]["ResultPath"]) == (ended, "$.ended")


def test_no_task_runs_a_lambda_only_dynamodb_and_sns_integrations_on_the_alerts_table_and_topic(
    vigil: SynthesizedVigil, definition: JsonObject
) -> None:
    # Given the task states
    tasks = _tasks(definition)
    # Then each calls DynamoDB GetItem or UpdateItem, or SNS Publish, directly
    assert {name: task["Resource"] for name, task in tasks.items()} == TASK_INTEGRATIONS
    assert {task["Resource"] for task in tasks.values()} == {
        f"{INTEGRATION}dynamodb:getItem",
        f"{INTEGRATION}dynamodb:updateItem",
        f"{INTEGRATION}sns:publish",
    }
    # And none invokes Lambda
    assert not [name for name, task in tasks.items() if "lambda" in json.dumps(task).lower()]
    # And the DynamoDB tasks read and write the alerts table; the SNS task publishes to the alerts topic
    storage, alerting = vigil.stack.storage, vigil.stack.alerting
    for name, task in tasks.items():
        if name == "PageLevel":
            assert task["Parameters"]["TopicArn"] == _placeholder(vigil, alerting.topic)
        else:
            assert task["Parameters"]["TableName"] == _placeholder(vigil, storage.alerts_table), name


def test_every_task_retries_transient_errors_with_backoff_and_catches_the_rest(definition: JsonObject) -> None:
    # Given the task states
    tasks = _tasks(definition)
    assert set(tasks) == set(TASK_INTEGRATIONS)
    for name, task in tasks.items():
        # Then each has retriers and catchers
        assert task.get("Retry") and task.get("Catch"), name
        # And the last retrier (States.ALL must be last) retries any error with a growing, capped, jittered wait
        assert task["Retry"][-1] == TRANSIENT_RETRY, name
        assert [r for r in task["Retry"] if "States.ALL" in r["ErrorEquals"]] == [task["Retry"][-1]], name
        # And whatever is still failing is caught, its error kept in $.error for RecordFailure to write; a failure
        # to record a failure ends the execution as failed
        expected_next = "Failed" if name == "RecordFailure" else "RecordFailure"
        assert task["Catch"][-1] == {"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": expected_next}
        assert [c for c in task["Catch"] if "States.ALL" in c["ErrorEquals"]] == [task["Catch"][-1]], name


def test_a_failed_condition_on_the_escalation_record_is_an_answer_not_retried(definition: JsonObject) -> None:
    # Given the tasks that update the escalation record
    tasks = _tasks(definition)
    updates = {name for name, task in tasks.items() if task["Resource"].endswith(":dynamodb:updateItem")}
    assert updates == set(CONDITION_FAILED_NEXT)
    for name in sorted(updates):
        task = tasks[name]
        # Then a failed condition is not retried: a MaxAttempts 0 retrier comes before States.ALL's
        assert task["Retry"] == [{"ErrorEquals": [CONDITION_FAILED], "MaxAttempts": 0}, TRANSIENT_RETRY], name
        # And it is caught before States.ALL, keeping the input as it was: the record moved on without this
        # execution (it ended, or a later firing took it over), so the execution stops there
        assert task["Catch"][0] == {
            "ErrorEquals": [CONDITION_FAILED],
            "ResultPath": None,
            "Next": CONDITION_FAILED_NEXT[name],
        }
        assert len(task["Catch"]) == 2, name
        # And each update holds only while the record is running for this firing of the alert
        parameters = task["Parameters"]
        clauses = set(parameters["ConditionExpression"].split(" AND "))
        assert {"#state = :running", "firing = :firing"} <= clauses, name
        assert parameters["ExpressionAttributeNames"]["#state"] == "state"
        assert parameters["ExpressionAttributeValues"][":running"] == {"S": "running"}
        assert parameters["ExpressionAttributeValues"][":firing"] == {"N.$": "$.firing"}
        assert parameters["Key"] == {"pk": {"S.$": "$.record_key.pk"}, "sk": {"S.$": "$.record_key.sk"}}
    # And the tasks that do not update the record do not expect a condition to fail
    for name in sorted(set(tasks) - updates):
        errors = [error for handler in tasks[name]["Retry"] + tasks[name]["Catch"] for error in handler["ErrorEquals"]]
        assert CONDITION_FAILED not in errors, name


# --- each step ---------------------------------------------------------------------------------------


def test_a_step_waits_until_its_planned_time(definition: JsonObject) -> None:
    # Given the wait state
    wait = _states(definition)["WaitUntilDue"]
    # Then it waits until the step's wait_until timestamp from the execution input, then reads the alert
    assert wait == {"Type": "Wait", "TimestampPath": "$.current.step.wait_until", "Next": "ReadAlert"}


def test_the_alert_is_read_consistently_by_its_key_before_each_page(definition: JsonObject) -> None:
    # Given the read of the alert
    read = _states(definition)["ReadAlert"]
    parameters = read["Parameters"]
    # Then it is a strongly consistent GetItem of the alert's key from the execution input
    assert parameters["ConsistentRead"] is True
    assert parameters["Key"] == {"pk": {"S.$": "$.alert_key.pk"}, "sk": {"S.$": "$.alert_key.sk"}}
    # And it reads the alert's status and firings (how many times it started firing) into $.alert
    assert set(parameters["ProjectionExpression"].split(",")) == {"#status", "firings"}
    assert parameters["ExpressionAttributeNames"] == {"#status": "status"}
    assert read["ResultPath"] == "$.alert"


def test_a_level_is_paged_only_while_the_same_firing_goes_on(definition: JsonObject) -> None:
    # Given the choice after the alert is read
    states = _states(definition)
    still_firing = states["StillFiring"]
    rules = {rule["Next"]: rule for rule in still_firing["Choices"]}
    # Then it pages, ends acknowledged, or (anything else: resolved, gone, a later firing) ends resolved
    assert list(rules) == ["PageLevel", "EndedAcknowledged"]
    assert still_firing["Default"] == "EndedResolved"
    same_firing = [
        {"Variable": "$.alert.Item.firings.N", "IsPresent": True},
        {"Variable": "$.alert.Item.firings.N", "StringEqualsPath": "$.firing"},
    ]
    # And it pages only when the alert is firing and its firings equal the execution's firing
    assert _conjuncts(rules["PageLevel"]) == [
        *same_firing,
        {"Variable": "$.alert.Item.status.S", "StringEquals": "firing"},
    ]
    assert _conjuncts(rules["EndedAcknowledged"]) == [
        *same_firing,
        {"Variable": "$.alert.Item.status.S", "StringEquals": "acknowledged"},
    ]
    # And nothing else leads to the page
    leading_to_page = {
        name
        for name, state in states.items()
        if state.get("Next") == "PageLevel"
        or state.get("Default") == "PageLevel"
        or any(rule["Next"] == "PageLevel" for rule in state.get("Choices", []))
        or any(catcher["Next"] == "PageLevel" for catcher in state.get("Catch", []))
    }
    assert leading_to_page == {"StillFiring"}


def test_a_page_is_an_escalation_message_to_the_alerts_topic_for_the_steps_channel_types(
    vigil: SynthesizedVigil, definition: JsonObject
) -> None:
    # Given the page
    page = _states(definition)["PageLevel"]
    parameters = page["Parameters"]
    attributes = parameters["MessageAttributes"]
    # Then it publishes the shared page merged with the step's part to the alerts topic
    assert parameters["TopicArn"] == _placeholder(vigil, vigil.stack.alerting.topic)
    assert parameters["Message.$"] == "States.JsonToString(States.JsonMerge($.page, $.current.step.page, false))"
    # And it is of kind escalation, for the channel types the step names (a JSON list, as String.Array)
    assert attributes["kind"] == {"DataType": "String", "StringValue": "escalation"}
    assert attributes["channels"] == {"DataType": "String.Array", "StringValue.$": "$.current.step.channel_types"}
    # And it carries the alert's tenant, severity and fingerprint, as a firing alert
    assert attributes["tenant"] == {"DataType": "String", "StringValue.$": "$.tenant_id"}
    assert attributes["severity"] == {"DataType": "String", "StringValue.$": "$.severity"}
    assert attributes["fingerprint"] == {"DataType": "String", "StringValue.$": "$.fingerprint"}
    assert attributes["state"] == {"DataType": "String", "StringValue": "firing"}
    # And the publish result is dropped (the input goes on to RecordPage unchanged)
    assert page["ResultPath"] is None


@pytest.mark.parametrize("channel_type", list(ChannelType))
def test_a_page_for_one_channel_type_reaches_that_notifier_only_and_never_the_escalator(
    vigil: SynthesizedVigil, channel_type: ChannelType
) -> None:
    # Given the message attributes of a page for one channel type, as PageLevel publishes them
    page = {"kind": ["escalation"], "state": ["firing"], "channels": [channel_type.value]}
    notifiers = vigil.stack.notifications.notifiers
    # When matching them against every subscription's filter policy on the alerts topic
    accepted_by = {
        other
        for other, notifier in notifiers.items()
        if _accepts(_subscription_to(vigil, notifier.queue)["FilterPolicy"], page)
    }
    # Then only that channel type's notifier takes it
    assert accepted_by == {channel_type}
    # And the escalator does not: a page never starts or stops an escalation
    assert not _accepts(_subscription_to(vigil, _escalation(vigil).queue)["FilterPolicy"], page)


def test_a_page_is_recorded_only_if_the_record_still_expects_that_step(definition: JsonObject) -> None:
    # Given the update that records a page
    parameters = _states(definition)["RecordPage"]["Parameters"]
    values = parameters["ExpressionAttributeValues"]
    clauses = set(parameters["ConditionExpression"].split(" AND "))
    # Then it holds only while the record is running, for this firing, and expects this very step
    assert clauses == {"#state = :running", "firing = :firing", "next_step = :step"}
    assert values[":step"] == {"N.$": "$.current.step.step"}
    assert values[":running"] == {"S": "running"}
    # And it moves the record to the next step and appends the page
    assert parameters["UpdateExpression"] == "SET next_step = :next, pages = list_append(pages, :page)"
    assert values[":next"] == {"N.$": "$.current.step.next_step"}
    [page] = values[":page"]["L"]
    assert set(page["M"]) == {"step", "level", "round", "channels", "at"}


# --- the escalator's queue ---------------------------------------------------------------------------


def test_the_escalator_queue_takes_raw_firing_acknowledged_and_resolved_transitions(vigil: SynthesizedVigil) -> None:
    # Given the subscription that delivers to the escalator's queue
    escalation = _escalation(vigil)
    subscription = _subscription_to(vigil, escalation.queue)
    # Then it is the alerts topic's, delivered to SQS as the raw message
    assert subscription["TopicArn"] == {"Ref": vigil.logical_id(vigil.stack.alerting.topic)}
    assert subscription["Protocol"] == "sqs"
    assert subscription["RawMessageDelivery"] is True
    # And it takes, by message attributes, only the transitions that start or end an escalation
    assert subscription.get("FilterPolicyScope", "MessageAttributes") == "MessageAttributes"
    assert subscription["FilterPolicy"] == ESCALATOR_FILTER_POLICY


def test_the_escalator_queue_parks_a_message_after_five_receives(vigil: SynthesizedVigil) -> None:
    # Given the escalator's queue, its dead-letter queue and the escalator's timeout
    escalation = _escalation(vigil)
    queue, dead_letters = vigil.properties(escalation.queue), vigil.properties(escalation.dead_letters)
    timeout = vigil.properties(escalation.escalator.function)["Timeout"]
    # Then a message received five times without success moves to its own dead-letter queue
    assert queue["RedrivePolicy"]["maxReceiveCount"] == MAX_RECEIVES
    assert referenced_logical_id(queue["RedrivePolicy"]["deadLetterTargetArn"]) == vigil.logical_id(
        escalation.dead_letters
    )
    # And a batch is not handed to a second escalator while the first may still run it
    assert queue["VisibilityTimeout"] >= 6 * timeout
    # And the dead-letter queue keeps a message 14 days, with no redrive of its own; both are encrypted
    assert dead_letters["MessageRetentionPeriod"] == DEAD_LETTER_RETENTION_SECONDS
    assert "RedrivePolicy" not in dead_letters
    for properties in (queue, dead_letters):
        assert properties["SqsManagedSseEnabled"] is True


def test_only_the_escalator_drains_its_queue_reporting_failures_per_message(vigil: SynthesizedVigil) -> None:
    # Given the event source mappings on the escalator's queue and dead-letter queue
    escalation = _escalation(vigil)
    mappings = [m["Properties"] for m in vigil.of_type("AWS::Lambda::EventSourceMapping").values()]

    def reading(queue: IConstruct) -> list[JsonObject]:
        return [m for m in mappings if referenced_logical_id(m["EventSourceArn"]) == vigil.logical_id(queue)]

    # Then exactly one function reads the queue, the escalator, ten at a time, a failed message alone retried
    [mapping] = reading(escalation.queue)
    assert referenced_logical_id(mapping["FunctionName"]) == vigil.logical_id(escalation.escalator.function)
    assert mapping["BatchSize"] == 10
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    # And nothing drains the dead-letter queue
    assert reading(escalation.dead_letters) == []


# --- the escalator -----------------------------------------------------------------------------------


def test_the_escalator_environment_names_its_state_machine_and_tables_and_never_scales_time(
    vigil: SynthesizedVigil,
) -> None:
    # Given the escalator's environment
    escalation, storage = _escalation(vigil), vigil.stack.storage
    variables = vigil.properties(escalation.escalator.function)["Environment"]["Variables"]
    # Then it holds exactly the Powertools settings and the escalator's resources
    assert set(variables) == POWERTOOLS | ESCALATOR_VARIABLES
    assert variables["POWERTOOLS_SERVICE_NAME"] == "vigil-escalator"
    # And no time factor: a deployed stack pages exactly on schedule (only the local cloud speeds it up)
    assert "ESCALATION_TIME_FACTOR" not in variables
    # And each names the right resource (a state machine's Ref is its ARN)
    assert variables["STATE_MACHINE_ARN"] == {"Ref": vigil.logical_id(escalation.state_machine)}
    assert variables["ALERTS_TABLE_NAME"] == {"Ref": vigil.logical_id(storage.alerts_table)}
    assert variables["CONFIG_TABLE_NAME"] == {"Ref": vigil.logical_id(storage.config_table)}
    # And it points at the escalation-policies.json shipped beside its handler
    assert variables["ESCALATION_POLICIES_FILE"] == "escalation-policies.json"
    # When the settings load from it (a state machine ARN and table names stand in for the references)
    literal = {key: value for key, value in variables.items() if isinstance(value, str)}
    stand_ins = {
        "STATE_MACHINE_ARN": "arn:aws:states:eu-west-1:123456789012:stateMachine:EscalationStateMachine-AbC123",
        "ALERTS_TABLE_NAME": "stand-in-alerts-table",
        "CONFIG_TABLE_NAME": "stand-in-config-table",
    }
    assert set(stand_ins) == set(variables) - set(literal)
    settings = load_settings(EscalatorSettings, {**literal, **stand_ins})
    # Then they are the escalator's, at real time
    assert settings.state_machine_arn == stand_ins["STATE_MACHINE_ARN"]
    assert (settings.alerts_table_name, settings.config_table_name) == (
        "stand-in-alerts-table",
        "stand-in-config-table",
    )
    assert settings.escalation_time_factor == 1.0
    assert settings.escalation_policies_file == "escalation-policies.json"


def test_the_escalator_may_start_and_stop_only_executions_of_its_state_machine(vigil: SynthesizedVigil) -> None:
    # Given the escalator's Step Functions grants
    escalation = _escalation(vigil)
    machine = vigil.logical_id(escalation.state_machine)
    role_id = vigil.logical_id(escalation.escalator.role)
    states = {
        (action, _render(resource))
        for statement in statements_of_role(vigil.resources, role_id)
        if statement["Effect"] == "Allow"
        for action in _as_list(statement["Action"])
        if action.startswith("states:") or action == "*"
        for resource in _as_list(statement["Resource"])
    }
    # Then it may start executions of the escalation state machine, and stop executions of it only
    executions = f"arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:<{machine}.Name>:*"
    assert states == {("states:StartExecution", f"<{machine}>"), ("states:StopExecution", executions)}
    # And no other role may start or stop escalations
    others = {
        other
        for other in vigil.of_type("AWS::IAM::Role")
        if other != role_id
        and any(action.startswith("states:") for action, _ in grants_of_role(vigil.resources, other))
    }
    assert others == set()


def test_the_escalator_manages_alerts_reads_the_config_table_and_publishes_nothing(vigil: SynthesizedVigil) -> None:
    # Given the escalator's grants
    escalation, storage = _escalation(vigil), vigil.stack.storage
    role_id = vigil.logical_id(escalation.escalator.role)
    grants = grants_of_role(vigil.resources, role_id)

    def on(construct: IConstruct) -> set[str]:
        return {action for action, target in grants if target == vigil.logical_id(construct)}

    # Then it reads and writes the alerts table (the alert it reads back, the escalation record)
    assert on(storage.alerts_table) >= READS | WRITES
    # And it reads the tenant's escalation and notification policies, and never changes them
    assert on(storage.config_table) >= READS
    assert not on(storage.config_table) & WRITES
    # And every DynamoDB grant is on one of those two tables (or one of the alerts table's indexes)
    tables = {vigil.logical_id(storage.alerts_table), vigil.logical_id(storage.config_table)}
    for statement in statements_of_role(vigil.resources, role_id):
        if any(action.startswith("dynamodb:") for action in _as_list(statement["Action"])):
            for resource in _as_list(statement["Resource"]):
                targets = set(getatt_targets(resource))
                assert targets and targets <= tables, resource
    # And it consumes its own queue only, and sends to none
    sqs = {(action, target) for action, target in grants if action.startswith("sqs:")}
    assert {target for _, target in sqs} == {vigil.logical_id(escalation.queue)}
    assert {action for action, _ in sqs} >= CONSUME
    assert "sqs:SendMessage" not in {action for action, _ in sqs}
    # And nothing else of note: no SNS (the state machine pages), no Lambda, no wildcard action; "*" only for X-Ray
    assert {action.split(":")[0] for action, _ in grants} == {"dynamodb", "sqs", "states", "logs", "xray"}
    assert {action for action, target in grants if target == '"*"'} == {
        "xray:PutTelemetryRecords",
        "xray:PutTraceSegments",
    }
    assert {target for action, target in grants if action.startswith("logs:")} == {
        vigil.logical_id(escalation.escalator.log_group)
    }


# --- the state machine's role ------------------------------------------------------------------------


def test_the_state_machine_may_read_and_update_alerts_and_publish_to_the_alerts_topic_only(
    vigil: SynthesizedVigil,
) -> None:
    # Given the state machine's role
    escalation = _escalation(vigil)
    role_id = vigil.logical_id(escalation.state_machine.role)
    role = vigil.resources[role_id]["Properties"]
    # Then only Step Functions may assume it, on behalf of this account's state machines, and it has no managed
    # policy
    [trust] = role["AssumeRolePolicyDocument"]["Statement"]
    assert (trust["Effect"], trust["Action"], trust["Principal"]) == (
        "Allow",
        "sts:AssumeRole",
        {"Service": "states.amazonaws.com"},
    )
    assert trust["Condition"]["StringEquals"] == {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}
    assert "ManagedPolicyArns" not in role
    statements = statements_of_role(vigil.resources, role_id)
    assert {statement["Effect"] for statement in statements} == {"Allow"}
    grants = {
        (action, _render(resource))
        for statement in statements
        for action in _as_list(statement["Action"])
        for resource in _as_list(statement["Resource"])
    }
    named = {(action, resource) for action, resource in grants if resource != "*"}
    # And on named resources it may GetItem and UpdateItem on the alerts table, and publish to the alerts topic
    alerts_table = (
        "arn:<AWS::Partition>:dynamodb:<AWS::Region>:<AWS::AccountId>:table/"
        f"{_placeholder(vigil, vigil.stack.storage.alerts_table)}"
    )
    assert named == {
        ("dynamodb:GetItem", alerts_table),
        ("dynamodb:UpdateItem", alerts_table),
        ("sns:Publish", _placeholder(vigil, vigil.stack.alerting.topic)),
    }
    # And on "*" only what log delivery and X-Ray need (no Lambda, no other table or topic)
    assert {action.split(":")[0] for action, resource in grants if resource == "*"} == {"logs", "xray"}
