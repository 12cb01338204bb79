"""vigil's own health: the ops alarms topic, an alarm per dead-letter queue, the API 5xx, function errors, silent
scheduler and failed escalation alarms, each publishing to the topic, and the `<stack>-health` dashboard graphing
each stage's metrics (AWS's and the ones the handlers emit).

Most tests read the session's one synthesis; the dead-letter queue discovery is also run on small stacks of its own.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from aws_cdk import App, Duration, Stack
from aws_cdk import aws_sqs as sqs

from tests.infra.synthesized import PROJECT_ROOT, JsonObject, SynthesizedVigil, referenced_logical_id
from vigil_core.models.notifications import ChannelType
from vigil_infra.constructs.function import VigilFunction
from vigil_infra.constructs.observability import find_dead_letter_queues

pytestmark = pytest.mark.infra

TLS_REFUSED = {"Bool": {"aws:SecureTransport": "false"}}
FIVE_MINUTES = 300
# Written out rather than taken from the construct, so a change to either shows up here.
DASHBOARD_NAME = "Vigil-health"
API_5XX_THRESHOLD = 5
SECTIONS = ("Ingest", "Probes", "Alerting", "Notifications", "Escalation", "SLA reports")
EXECUTION_METRICS = ("ExecutionsStarted", "ExecutionsSucceeded", "ExecutionsFailed", "ExecutionsTimedOut")
# The handler that emits each service's metrics, beside the shared API error handler (vigil_core/api.py).
API_ERROR_HANDLER = PROJECT_ROOT / "layers" / "core" / "python" / "vigil_core" / "api.py"


@dataclass(frozen=True)
class GraphedMetric:
    widget: str
    namespace: str
    name: str
    dimensions: dict[str, str]


def _alarms(vigil: SynthesizedVigil) -> dict[str, JsonObject]:
    return {lid: resource["Properties"] for lid, resource in vigil.of_type("AWS::CloudWatch::Alarm").items()}


def _topic(vigil: SynthesizedVigil) -> str:
    return vigil.logical_id(vigil.stack.observability.alarms_topic)


def _dimension(alarm: JsonObject, name: str) -> Any:
    [value] = [d["Value"] for d in alarm.get("Dimensions", []) if d["Name"] == name]
    return value


def _alarms_on(vigil: SynthesizedVigil, namespace: str, metric: str) -> dict[str, JsonObject]:
    return {
        lid: alarm
        for lid, alarm in _alarms(vigil).items()
        if alarm.get("Namespace") == namespace and alarm.get("MetricName") == metric
    }


def _function_errors_alarm(vigil: SynthesizedVigil, function: VigilFunction) -> JsonObject:
    function_id = vigil.logical_id(function.function)
    [alarm] = [
        alarm
        for alarm in _alarms_on(vigil, "AWS/Lambda", "Errors").values()
        if _dimension(alarm, "FunctionName") == {"Ref": function_id}
    ]
    return alarm


def _dead_letter_queue_ids(vigil: SynthesizedVigil) -> list[str]:
    """Every queue some queue of the template names as deadLetterTargetArn, once each."""
    targets = {
        referenced_logical_id(queue["Properties"]["RedrivePolicy"]["deadLetterTargetArn"])
        for queue in vigil.of_type("AWS::SQS::Queue").values()
        if "RedrivePolicy" in queue.get("Properties", {})
    }
    return sorted(target for target in targets if target is not None)


def _rendered(value: Any) -> str:
    """The dashboard body's Fn::Join as text, a reference written ${LogicalId} or ${LogicalId.Attribute}."""
    if isinstance(value, str):
        return value
    if "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return str(separator).join(_rendered(part) for part in parts)
    if "Ref" in value:
        return "${" + str(value["Ref"]) + "}"
    if "Fn::GetAtt" in value:
        return "${" + ".".join(value["Fn::GetAtt"]) + "}"
    raise AssertionError(f"unexpected value in the dashboard body: {value!r}")


def _dashboard_body(vigil: SynthesizedVigil) -> JsonObject:
    [dashboard] = vigil.of_type("AWS::CloudWatch::Dashboard").values()
    body: JsonObject = json.loads(_rendered(dashboard["Properties"]["DashboardBody"]))
    return body


def _graphed(vigil: SynthesizedVigil) -> list[GraphedMetric]:
    graphed: list[GraphedMetric] = []
    for widget in _dashboard_body(vigil)["widgets"]:
        properties = widget["properties"]
        for line in properties.get("metrics", []):
            namespace, name, *rest = line
            pairs = [part for part in rest if isinstance(part, str)]
            dimensions = dict(zip(pairs[::2], pairs[1::2], strict=True))
            graphed.append(GraphedMetric(properties["title"], namespace, name, dimensions))
    return graphed


def _ref(vigil: SynthesizedVigil, function: VigilFunction) -> str:
    return "${" + vigil.logical_id(function.function) + "}"


def _environment(vigil: SynthesizedVigil, function: VigilFunction) -> dict[str, Any]:
    variables: dict[str, Any] = vigil.properties(function.function)["Environment"]["Variables"]
    return variables


def _lambda_metrics(vigil: SynthesizedVigil, function: VigilFunction) -> set[str]:
    return {
        metric.name
        for metric in _graphed(vigil)
        if metric.namespace == "AWS/Lambda" and metric.dimensions == {"FunctionName": _ref(vigil, function)}
    }


def _emitted(vigil: SynthesizedVigil, function: VigilFunction) -> set[str]:
    """The custom metrics graphed with exactly the dimensions the function's handler emits them with."""
    environment = _environment(vigil, function)
    dimensions = {"service": environment["POWERTOOLS_SERVICE_NAME"]}
    if "CHANNEL_TYPE" in environment:  # the notifier adds it to every metric
        dimensions["ChannelType"] = environment["CHANNEL_TYPE"]
    return {
        metric.name for metric in _graphed(vigil) if metric.namespace == "Vigil" and metric.dimensions == dimensions
    }


def _every_function(vigil: SynthesizedVigil) -> Iterator[VigilFunction]:
    for construct in vigil.stack.node.find_all():
        if isinstance(construct, VigilFunction):
            yield construct


# --- the topic ---------------------------------------------------------------------------------------------------


def test_the_ops_alarms_topic_refuses_publishing_without_tls_and_lets_only_this_stacks_alarms_publish(
    vigil: SynthesizedVigil,
) -> None:
    # Given the ops alarms topic's one policy
    topic = _topic(vigil)
    [policy] = [
        p["Properties"]
        for p in vigil.of_type("AWS::SNS::TopicPolicy").values()
        if {"Ref": topic} in p["Properties"]["Topics"]
    ]
    statements = policy["PolicyDocument"]["Statement"]
    # Then publishing without TLS is denied to everyone
    assert any(
        s["Effect"] == "Deny" and s["Action"] == "sns:Publish" and s["Condition"] == TLS_REFUSED for s in statements
    )
    # And CloudWatch may publish for this account's alarms named after the stack (the topic policy replaced SNS's
    # default one, which let the account's alarms publish)
    [allowed] = [s for s in statements if s["Effect"] == "Allow"]
    assert allowed["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert allowed["Action"] == "sns:Publish"
    assert allowed["Resource"] == {"Ref": topic}
    assert allowed["Condition"]["StringEquals"] == {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}
    source_arn = allowed["Condition"]["ArnLike"]["aws:SourceArn"]["Fn::Join"][1]
    assert source_arn[-1] == ":alarm:Vigil-*"
    assert ":cloudwatch:" in source_arn


def test_the_stack_outputs_the_ops_alarms_topic_arn(vigil: SynthesizedVigil) -> None:
    # Given the stack outputs
    outputs = vigil.template.to_json()["Outputs"]
    # Then OpsAlarmsTopicArn is the topic's ARN (its Ref), for operators to subscribe, and says what it is
    assert outputs["OpsAlarmsTopicArn"]["Value"] == {"Ref": _topic(vigil)}
    assert "alarm" in outputs["OpsAlarmsTopicArn"]["Description"]


# --- the alarms ---------------------------------------------------------------------------------------------------


def test_every_alarm_notifies_the_ops_topic_when_it_fires_and_when_it_recovers(vigil: SynthesizedVigil) -> None:
    # Given every alarm of the template
    alarms = _alarms(vigil)
    assert alarms
    topic = {"Ref": _topic(vigil)}
    for logical_id, alarm in alarms.items():
        # Then it publishes to the ops alarms topic on ALARM and on OK
        assert topic in alarm["AlarmActions"], logical_id
        assert topic in alarm["OKActions"], logical_id
        # And its name starts with the stack's, which the topic policy lets publish
        assert alarm["AlarmName"].startswith("Vigil-"), logical_id
        # And its description says what is wrong and what to do, in sentences
        description = _rendered(alarm["AlarmDescription"])
        assert len(description.split()) >= 25, logical_id
        assert description.rstrip().endswith("."), logical_id
        # And it fits CloudWatch's 1,024 characters, with room for the names its references resolve to
        assert len(description) <= 900, logical_id


def test_alarm_names_are_unique(vigil: SynthesizedVigil) -> None:
    # Given the alarm names (CloudWatch refuses a second alarm of the same name)
    names = [alarm["AlarmName"] for alarm in _alarms(vigil).values()]
    # Then no two are the same
    assert len(names) == len(set(names))


def test_every_dead_letter_queue_has_one_alarm_on_a_single_waiting_message(vigil: SynthesizedVigil) -> None:
    # Given the dead-letter queues of the template (queues named as deadLetterTargetArn in a RedrivePolicy)
    dead_letter_queues = _dead_letter_queue_ids(vigil)
    assert len(dead_letter_queues) >= 9  # probes' two, alerting's, five notifiers', the escalator's
    # When reading the alarms on SQS's visible-messages metric
    alarms = _alarms_on(vigil, "AWS/SQS", "ApproximateNumberOfMessagesVisible")
    alarmed = [referenced_logical_id(_dimension(alarm, "QueueName")) for alarm in alarms.values()]
    # Then there is exactly one per dead-letter queue, and none on a queue that is not one
    assert sorted(q for q in alarmed if q is not None) == dead_letter_queues
    assert len(alarms) == len(dead_letter_queues)
    for logical_id, alarm in alarms.items():
        # And each fires on one message seen within five minutes; a queue without data (idle) is fine
        assert alarm["Statistic"] == "Maximum", logical_id
        assert alarm["Period"] == FIVE_MINUTES, logical_id
        assert alarm["Threshold"] == 1, logical_id
        assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold", logical_id
        assert (alarm["EvaluationPeriods"], alarm["DatapointsToAlarm"]) == (1, 1), logical_id
        assert alarm["TreatMissingData"] == "notBreaching", logical_id
        # And it tells how to look at the messages and redrive them
        description = _rendered(alarm["AlarmDescription"])
        assert "vigil dlq list" in description, logical_id
        assert "vigil dlq redrive" in description, logical_id


def test_the_api_5xx_alarm_fires_on_five_server_errors_in_five_minutes(vigil: SynthesizedVigil) -> None:
    # Given the alarm on API Gateway's 5XXError
    [alarm] = _alarms_on(vigil, "AWS/ApiGateway", "5XXError").values()
    api = vigil.properties(vigil.stack.ingest_api.rest_api)
    # Then it watches the vigil API (API Gateway's dimension is the API's name)
    assert _dimension(alarm, "ApiName") == api["Name"]
    # And fires on five or more server errors summed over five minutes
    assert alarm["Statistic"] == "Sum"
    assert alarm["Period"] == FIVE_MINUTES
    assert alarm["Threshold"] == API_5XX_THRESHOLD
    assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    assert (alarm["EvaluationPeriods"], alarm["DatapointsToAlarm"]) == (1, 1)
    assert alarm["TreatMissingData"] == "notBreaching"


@pytest.mark.parametrize("probe", ["scheduler", "worker"])
def test_probe_function_errors_alarm_on_errors_in_two_of_three_five_minute_periods(
    vigil: SynthesizedVigil, probe: str
) -> None:
    # Given the probe function's errors alarm
    function = getattr(vigil.stack.probes, probe)
    alarm = _function_errors_alarm(vigil, function)
    # Then one error or more in a five-minute period counts, and two such periods of the last three fire it
    assert alarm["Statistic"] == "Sum"
    assert alarm["Period"] == FIVE_MINUTES
    assert alarm["Threshold"] == 1
    assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    assert (alarm["DatapointsToAlarm"], alarm["EvaluationPeriods"]) == (2, 3)
    assert alarm["TreatMissingData"] == "notBreaching"
    # And it names the log group to read
    log_group = vigil.logical_id(function.log_group)
    assert "${" + log_group + "}" in _rendered(alarm["AlarmDescription"])


def test_other_queue_and_schedule_consumers_have_an_errors_alarm_too(vigil: SynthesizedVigil) -> None:
    # Given the evaluator, the five notifiers, the escalator and the SLA report job
    stack = vigil.stack
    functions = [
        stack.alerting.evaluator,
        *(notifier.notifier for notifier in stack.notifications.notifiers.values()),
        stack.escalation.escalator,
        stack.sla.report_function,
    ]
    assert len(functions) == 3 + len(ChannelType)
    for function in functions:
        # Then each has one alarm on its Lambda errors, at one error or more per five minutes
        alarm = _function_errors_alarm(vigil, function)
        assert (alarm["Statistic"], alarm["Period"], alarm["Threshold"]) == ("Sum", FIVE_MINUTES, 1), function.name


def test_a_silent_probe_scheduler_fires_an_alarm(vigil: SynthesizedVigil) -> None:
    # Given the alarm on the scheduler's invocations
    function_id = vigil.logical_id(vigil.stack.probes.scheduler.function)
    [alarm] = [
        alarm
        for alarm in _alarms_on(vigil, "AWS/Lambda", "Invocations").values()
        if _dimension(alarm, "FunctionName") == {"Ref": function_id}
    ]
    # Then no invocation in two five-minute periods fires it, and no data at all counts as no invocation
    assert (alarm["Statistic"], alarm["Period"]) == ("Sum", FIVE_MINUTES)
    assert (alarm["ComparisonOperator"], alarm["Threshold"]) == ("LessThanThreshold", 1)
    assert (alarm["DatapointsToAlarm"], alarm["EvaluationPeriods"]) == (2, 2)
    assert alarm["TreatMissingData"] == "breaching"


def test_a_failed_escalation_execution_fires_an_alarm(vigil: SynthesizedVigil) -> None:
    # Given the alarm on Step Functions' failed executions
    [alarm] = _alarms_on(vigil, "AWS/States", "ExecutionsFailed").values()
    # Then it watches the escalation state machine and fires on one failure
    machine = vigil.logical_id(vigil.stack.escalation.state_machine)
    assert _dimension(alarm, "StateMachineArn") == {"Ref": machine}
    assert (alarm["Statistic"], alarm["Period"], alarm["Threshold"]) == ("Sum", FIVE_MINUTES, 1)


# --- the dashboard ------------------------------------------------------------------------------------------------


def test_the_health_dashboard_is_named_after_the_stack_and_has_a_section_per_stage(vigil: SynthesizedVigil) -> None:
    # Given the one dashboard
    [dashboard] = vigil.of_type("AWS::CloudWatch::Dashboard").values()
    body = _dashboard_body(vigil)
    # Then it is the stack's health dashboard
    assert dashboard["Properties"]["DashboardName"] == DASHBOARD_NAME
    # And it has a heading per stage, in pipeline order
    headings = [
        match.group(1)
        for widget in body["widgets"]
        if widget["type"] == "text"
        for match in [re.match(r"## (.+)", widget["properties"]["markdown"])]
        if match
    ]
    assert headings == list(SECTIONS)
    # And an overview of every alarm
    [overview] = [widget for widget in body["widgets"] if widget["type"] == "alarm"]
    assert sorted(overview["properties"]["alarms"]) == sorted("${" + lid + ".Arn}" for lid in _alarms(vigil))


def test_the_dashboard_graphs_the_api_and_the_ingest_function(vigil: SynthesizedVigil) -> None:
    # Given the metrics the dashboard graphs
    graphed = _graphed(vigil)
    api_name = vigil.properties(vigil.stack.ingest_api.rest_api)["Name"]
    ingest = vigil.stack.ingest_api.ingest_function
    # Then API Gateway's requests, 4xx, 5xx and latency of the vigil API
    api_metrics = {m.name for m in graphed if m.namespace == "AWS/ApiGateway" and m.dimensions == {"ApiName": api_name}}
    assert {"Count", "4XXError", "5XXError", "Latency"} <= api_metrics
    # And the ingest function's invocations, errors and duration, and the points it accepted
    assert {"Invocations", "Errors", "Duration"} <= _lambda_metrics(vigil, ingest)
    assert "PointsAccepted" in _emitted(vigil, ingest)


def test_the_dashboard_graphs_probe_runs_alerting_notifications_escalation_and_sla_reports(
    vigil: SynthesizedVigil,
) -> None:
    # Given the metrics the dashboard graphs
    stack = vigil.stack
    graphed = _graphed(vigil)
    # Then probe runs and the probe functions' errors
    assert {"ChecksRun", "MonitorsDue"} <= _emitted(vigil, stack.probes.scheduler)
    assert "ChecksRun" in _emitted(vigil, stack.probes.worker)
    assert "Errors" in _lambda_metrics(vigil, stack.probes.scheduler)
    assert "Errors" in _lambda_metrics(vigil, stack.probes.worker)
    # And alert transitions and the evaluator's errors
    assert "AlertTransitions" in _emitted(vigil, stack.alerting.evaluator)
    assert "Errors" in _lambda_metrics(vigil, stack.alerting.evaluator)
    # And each notifier's failures and errors, with the ChannelType dimension its handler adds
    for notifier in stack.notifications.notifiers.values():
        assert {"NotificationsDelivered", "NotificationsFailed"} <= _emitted(vigil, notifier.notifier)
        assert "Errors" in _lambda_metrics(vigil, notifier.notifier)
    # And the escalation state machine's executions
    machine = "${" + vigil.logical_id(stack.escalation.state_machine) + "}"
    executions = {
        m.name for m in graphed if m.namespace == "AWS/States" and m.dimensions == {"StateMachineArn": machine}
    }
    assert set(EXECUTION_METRICS) <= executions
    # And the SLA report job's errors
    assert "Errors" in _lambda_metrics(vigil, stack.sla.report_function)


def test_the_dashboard_graphs_every_dead_letter_queue(vigil: SynthesizedVigil) -> None:
    # Given the dead-letter queues of the template and the SQS metrics the dashboard graphs
    queues = {
        m.dimensions["QueueName"]
        for m in _graphed(vigil)
        if m.namespace == "AWS/SQS" and m.name == "ApproximateNumberOfMessagesVisible"
    }
    # Then each dead-letter queue's waiting messages are graphed
    assert {"${" + lid + ".QueueName}" for lid in _dead_letter_queue_ids(vigil)} <= queues


def test_every_custom_metric_graphed_is_one_a_handler_emits_with_those_dimensions(vigil: SynthesizedVigil) -> None:
    # Given the functions by their Powertools service name (the `service` dimension of what they emit)
    functions = {
        _environment(vigil, function)["POWERTOOLS_SERVICE_NAME"]: function for function in _every_function(vigil)
    }
    custom = [m for m in _graphed(vigil) if m.namespace == "Vigil"]
    assert custom
    shared_api_errors = API_ERROR_HANDLER.read_text(encoding="utf-8")
    for metric in custom:
        # Then its service is a function's
        function = functions.get(metric.dimensions["service"])
        assert function is not None, metric
        # And the metric name is one that function's handler (or the shared API error handler) emits: a renamed
        # metric would leave an empty graph
        folder = "notifier" if function.name.startswith("notifier-") else function.name.replace("-", "_")
        handler = (PROJECT_ROOT / "functions" / folder / "handler.py").read_text(encoding="utf-8")
        assert f'"{metric.name}"' in handler + shared_api_errors, metric


# --- finding dead-letter queues ----------------------------------------------------------------------------------


def _queue(stack: Stack, construct_id: str, dead_letters: sqs.IQueue | None = None) -> sqs.Queue:
    redrive = sqs.DeadLetterQueue(queue=dead_letters, max_receive_count=4) if dead_letters else None
    return sqs.Queue(stack, construct_id, dead_letter_queue=redrive, visibility_timeout=Duration.seconds(30))


def test_dead_letter_queues_are_found_once_with_all_their_sources() -> None:
    # Given a stack where two queues share a dead-letter queue and a third queue has none
    stack = Stack(App(), "Probe")
    shared = _queue(stack, "Shared")
    _queue(stack, "First", shared)
    _queue(stack, "Second", shared)
    _queue(stack, "Plain")
    # When finding the dead-letter queues
    found = find_dead_letter_queues(stack)
    # Then the shared one is found once, labelled by its path under the stack, with both sources
    assert [(q.label, q.sources, q.max_receives) for q in found] == [("Shared", ["First", "Second"], 4)]
    assert found[0].queue is shared


def test_a_stack_without_redrive_policies_has_no_dead_letter_queue() -> None:
    # Given a stack with a plain queue only
    stack = Stack(App(), "Probe")
    _queue(stack, "Plain")
    # Then no queue is taken for a dead-letter queue
    assert find_dead_letter_queues(stack) == []
