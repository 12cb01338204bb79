"""Alerting: the alerts topic, the evaluation queue, the evaluator's triggers (two queues and the minute rule),
what the evaluator and the alerts API are told and may touch, the alerting routes, and alert-rules.yaml
validated and shipped at synth.

Most tests read the session's one synthesis; alert-rules.yaml refusals happen while the app is built (before
any synthesis), and the loader is also called directly on temporary files.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any, cast

import pytest
from constructs import IConstruct

from tests.infra.synthesized import (
    PROJECT_ROOT,
    JsonObject,
    SynthesizedVigil,
    api_resource_paths,
    getatt_targets,
    grants_of_role,
    make_fake_dependencies_layer,
    referenced_logical_id,
    statements_of_role,
)
from vigil_core.models.notifications import ChannelType
from vigil_core.settings import AlertApiSettings, AlertEvaluatorSettings, load_settings
from vigil_infra.application import build_app
from vigil_infra.config import ALERT_RULES_FILE_KEY, DEPENDENCIES_LAYER_PATH_KEY
from vigil_infra.constructs.alerting import InvalidAlertRulesFileError, load_alert_rules_file
from vigil_infra.constructs.function import VigilFunction
from vigil_infra.stack import VigilStack

pytestmark = pytest.mark.infra

POWERTOOLS = {"POWERTOOLS_SERVICE_NAME", "POWERTOOLS_METRICS_NAMESPACE", "POWERTOOLS_LOG_LEVEL"}
TLS_REFUSED = {"Bool": {"aws:SecureTransport": "false"}}
READS = {"dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query"}
WRITES = {"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem"}
CONSUME = {"sqs:ReceiveMessage", "sqs:DeleteMessage"}
SCHEDULED_TIME = "2026-11-22T18:00:00Z"
# Every route of the alerting API; all of them reach the one alerts function.
ALERTING_ROUTES = {
    ("GET", "/v1/alerts"),
    ("POST", "/v1/alerts"),
    ("GET", "/v1/alerts/{id}"),
    ("GET", "/v1/alerts/{id}/escalation"),
    ("POST", "/v1/alerts/{id}/acknowledge"),
    ("POST", "/v1/alerts/{id}/resolve"),
    ("GET", "/v1/silences"),
    ("POST", "/v1/silences"),
    ("DELETE", "/v1/silences/{id}"),
    ("GET", "/v1/alert-rules"),
    ("POST", "/v1/alert-rules"),
    ("GET", "/v1/alert-rules/{id}"),
    ("PUT", "/v1/alert-rules/{id}"),
    ("DELETE", "/v1/alert-rules/{id}"),
    ("GET", "/v1/alerting-policy"),
    ("PUT", "/v1/alerting-policy"),
    ("GET", "/v1/notification-policy"),
    ("PUT", "/v1/notification-policy"),
    ("GET", "/v1/escalation-policy"),
    ("PUT", "/v1/escalation-policy"),
}


def _function(vigil: SynthesizedVigil, name: str) -> VigilFunction:
    alerting = vigil.stack.alerting
    return {"evaluator": alerting.evaluator, "api": alerting.api_function}[name]


def _grants(vigil: SynthesizedVigil, function: VigilFunction) -> set[tuple[str, str]]:
    return grants_of_role(vigil.resources, vigil.logical_id(function.role))


def _on(vigil: SynthesizedVigil, grants: set[tuple[str, str]], construct: IConstruct) -> set[str]:
    return {action for action, target in grants if target == vigil.logical_id(construct)}


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _index_suffix(resource: Any) -> str | None:
    """The "/index/NAME" part of a resource built as Fn::Join [table ARN, "/index/NAME"], else None."""
    if isinstance(resource, dict) and "Fn::Join" in resource:
        return next((p for p in resource["Fn::Join"][1] if isinstance(p, str) and "/index/" in p), None)
    return None


def _evaluator_mappings(vigil: SynthesizedVigil) -> dict[str, JsonObject]:
    """The evaluator's event source mappings, by the logical id of the queue each reads."""
    evaluator = vigil.logical_id(vigil.stack.alerting.evaluator.function)
    return {
        str(referenced_logical_id(m["Properties"]["EventSourceArn"])): m["Properties"]
        for m in vigil.of_type("AWS::Lambda::EventSourceMapping").values()
        if referenced_logical_id(m["Properties"]["FunctionName"]) == evaluator
    }


# --- the topic ---------------------------------------------------------------------------------------


def test_the_alerts_topic_refuses_publishing_without_tls(vigil: SynthesizedVigil) -> None:
    # Given the alerts topic and the topic policies in the template
    topic = vigil.logical_id(vigil.stack.alerting.topic)
    policies = [
        p["Properties"]
        for p in vigil.of_type("AWS::SNS::TopicPolicy").values()
        if {"Ref": topic} in p["Properties"]["Topics"]
    ]
    # When reading the statements of its one policy
    [policy] = policies
    statements = policy["PolicyDocument"]["Statement"]
    # Then anyone publishing without TLS is denied
    denials = [
        s
        for s in statements
        if s["Effect"] == "Deny" and s.get("Condition") == TLS_REFUSED and s["Resource"] == {"Ref": topic}
    ]
    assert [(s["Principal"], s["Action"]) for s in denials] == [("*", "sns:Publish")]
    # And the policy allows nothing to anyone: publishers are the roles granted sns:Publish, nothing else
    assert not [s for s in statements if s["Effect"] == "Allow"]


# --- the evaluation queue ----------------------------------------------------------------------------


def test_the_evaluation_queue_is_encrypted_and_parks_a_message_after_three_receives(vigil: SynthesizedVigil) -> None:
    # Given the evaluation queue and its dead-letter queue
    alerting = vigil.stack.alerting
    queue_id, dead_letters_id = (
        vigil.logical_id(queue) for queue in (alerting.evaluation_queue, alerting.evaluation_dead_letters)
    )
    queue, dead_letters = (vigil.resources[i]["Properties"] for i in (queue_id, dead_letters_id))
    # Then both are encrypted at rest with SQS-managed keys (no KMS key to grant)
    for properties in (queue, dead_letters):
        assert properties.get("SqsManagedSseEnabled") is True
        assert "KmsMasterKeyId" not in properties
    # And a request that fails three times moves to the dead-letter queue, which keeps it 14 days
    assert queue["RedrivePolicy"]["maxReceiveCount"] == 3
    assert referenced_logical_id(queue["RedrivePolicy"]["deadLetterTargetArn"]) == dead_letters_id
    assert dead_letters["MessageRetentionPeriod"] == 14 * 24 * 3600
    assert "RedrivePolicy" not in dead_letters
    # And each queue's policy denies every request made without TLS
    denied: set[str] = set()
    for policy in vigil.of_type("AWS::SQS::QueuePolicy").values():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            if statement["Effect"] == "Deny" and statement.get("Condition") == TLS_REFUSED:
                denied |= {t for r in _as_list(statement["Resource"]) for t in getatt_targets(r)}
    assert {queue_id, dead_letters_id} <= denied


# --- what triggers the evaluator ---------------------------------------------------------------------


def test_the_evaluator_consumes_the_evaluation_and_transitions_queues_reporting_failures_per_message(
    vigil: SynthesizedVigil,
) -> None:
    # Given the evaluator's event source mappings
    mappings = _evaluator_mappings(vigil)
    evaluation = vigil.logical_id(vigil.stack.alerting.evaluation_queue)
    transitions = vigil.logical_id(vigil.stack.probes.transitions_queue)
    # Then it reads exactly the evaluation queue (ingest, group flushes) and the probes' transitions queue
    assert set(mappings) == {evaluation, transitions}
    for queue, mapping in mappings.items():
        # And a failed message is retried alone, not with the rest of its batch
        assert mapping.get("FunctionResponseTypes") == ["ReportBatchItemFailures"], queue
        assert mapping.get("Enabled", True) is True, queue
        assert 1 <= mapping["BatchSize"] <= 10, queue
    # And no other function consumes either queue
    consumers = {
        str(referenced_logical_id(m["Properties"]["FunctionName"]))
        for m in vigil.of_type("AWS::Lambda::EventSourceMapping").values()
        if referenced_logical_id(m["Properties"]["EventSourceArn"]) in {evaluation, transitions}
    }
    assert consumers == {vigil.logical_id(vigil.stack.alerting.evaluator.function)}


@pytest.mark.parametrize("queue", ["evaluation", "transitions"])
def test_a_queued_evaluation_stays_invisible_for_six_evaluator_timeouts(vigil: SynthesizedVigil, queue: str) -> None:
    # Given a queue the evaluator consumes, and the evaluator's timeout
    alerting, probes = vigil.stack.alerting, vigil.stack.probes
    source = {"evaluation": alerting.evaluation_queue, "transitions": probes.transitions_queue}[queue]
    visibility = vigil.properties(source)["VisibilityTimeout"]
    evaluator_timeout = vigil.properties(alerting.evaluator.function)["Timeout"]
    # Then a message is not handed to a second evaluator while the first may still run it, and a throttled
    # batch is retried before it counts towards the three receives that park it (Lambda requires at least the
    # timeout; AWS recommends six times it, as for the shard queue)
    assert visibility >= 6 * evaluator_timeout


def _evaluator_handler(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """functions/alert_evaluator/handler.py, registered while it runs (pydantic looks its module up)."""
    name = "vigil_infra_test_alert_evaluator_handler"
    spec = importlib.util.spec_from_file_location(name, PROJECT_ROOT / "functions" / "alert_evaluator" / "handler.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, name, module)
    spec.loader.exec_module(module)
    return module


def test_the_minute_rule_hands_the_evaluator_the_scheduled_event_itself(
    vigil: SynthesizedVigil, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given alerting's schedule rule
    rule = vigil.properties(vigil.stack.alerting.schedule)
    # Then it fires every minute
    assert rule["ScheduleExpression"] == "rate(1 minute)"
    assert rule["State"] == "ENABLED" and "EventPattern" not in rule
    # And its one target is the evaluator, not retried (the next minute's run evaluates anew)
    [target] = rule["Targets"]
    assert referenced_logical_id(target["Arn"]) == vigil.logical_id(vigil.stack.alerting.evaluator.function)
    assert target["RetryPolicy"] == {"MaximumRetryAttempts": 0}
    # And it delivers the raw scheduled event: no Input, InputPath or InputTransformer
    assert not {"Input", "InputPath", "InputTransformer"} & set(target)
    # When the evaluator reads such an event / Then it evaluates the minute the firing was scheduled for
    scheduled_event = {
        "version": "0",
        "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "123456789012",
        "time": SCHEDULED_TIME,
        "region": "eu-west-1",
        "resources": ["arn:aws:events:eu-west-1:123456789012:rule/Vigil-AlertingEveryMinute"],
        "detail": {},
    }
    evaluation = _evaluator_handler(monkeypatch).ScheduledEvaluation.model_validate(scheduled_event)
    assert evaluation.time.isoformat() == "2026-11-22T18:00:00+00:00"


# --- the functions -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "service", "settings_model"),
    [("evaluator", "vigil-alert-evaluator", AlertEvaluatorSettings), ("api", "vigil-alerts", AlertApiSettings)],
)
def test_the_environment_names_the_alerting_resources_the_settings_read(
    vigil: SynthesizedVigil, name: str, service: str, settings_model: type[AlertApiSettings]
) -> None:
    # Given the function's environment
    variables = vigil.properties(_function(vigil, name).function)["Environment"]["Variables"]
    storage, alerting = vigil.stack.storage, vigil.stack.alerting
    resources: dict[str, IConstruct] = {
        "CONFIG_TABLE_NAME": storage.config_table,
        "ALERTS_TABLE_NAME": storage.alerts_table,
        "ALERTS_TOPIC_ARN": alerting.topic,  # a topic's Ref is its ARN
        "ALERT_EVALUATION_QUEUE_URL": alerting.evaluation_queue,  # a queue's Ref is its URL
    }
    if name == "evaluator":
        resources |= {
            "METRICS_TABLE_NAME": storage.metrics_table,
            "PROBES_TABLE_NAME": storage.probes_table,
            "SLA_WINDOWS_TABLE_NAME": storage.sla_windows_table,
        }
    # Then it holds the Powertools settings and exactly the variables its settings model reads
    assert set(variables) == POWERTOOLS | {field.upper() for field in settings_model.model_fields}
    assert variables["POWERTOOLS_SERVICE_NAME"] == service
    # And each resource variable names the right table, topic or queue
    for variable, resource in resources.items():
        assert variables[variable] == {"Ref": vigil.logical_id(resource)}, variable
    # And the evaluator points at the alert-rules.json shipped beside its handler; the settings load
    literal = {key: value for key, value in variables.items() if key not in resources}
    if name == "evaluator":
        assert literal["ALERT_RULES_FILE"] == "alert-rules.json"
    else:  # the alerts API shows escalation-policies.yaml's policies (test_infra_escalation_policies)
        assert literal["ESCALATION_POLICIES_FILE"] == "escalation-policies.json"
    stand_ins = {variable: f"stand-in-{variable.lower()}-of-twenty-characters" for variable in resources}
    settings = load_settings(settings_model, {**literal, **stand_ins})
    assert settings.alerts_topic_arn == "stand-in-alerts_topic_arn-of-twenty-characters"


def test_the_evaluator_ships_alert_rules_yaml_as_normalized_json_beside_its_handler(vigil: SynthesizedVigil) -> None:
    # Given the evaluator's staged code asset, and alert-rules.yaml (vigil:alertRulesFile in cdk.json)
    resource = vigil.resource(vigil.stack.alerting.evaluator.function)
    staged = vigil.assembly_dir / resource["Metadata"]["aws:asset:path"]
    assert vigil.stack.config.alert_rules_file == "alert-rules.yaml"
    # Then it is the handler folder plus alert-rules.json
    source = PROJECT_ROOT / "functions" / "alert_evaluator"
    files = {path.name for path in staged.iterdir() if path.name != "__pycache__"}
    assert files == {path.name for path in source.iterdir() if path.name != "__pycache__"} | {"alert-rules.json"}
    assert (staged / "handler.py").read_bytes() == (source / "handler.py").read_bytes()
    # And alert-rules.json is the file's rules as the loader normalizes them
    shipped = json.loads((staged / "alert-rules.json").read_text())
    assert shipped == load_alert_rules_file(PROJECT_ROOT / "alert-rules.yaml")


# --- least privilege ---------------------------------------------------------------------------------


def test_only_the_alerting_functions_and_the_escalation_publish_to_the_alerts_topic_and_the_sms_notifier_to_phones(
    vigil: SynthesizedVigil,
) -> None:
    # Given every role's SNS grants
    topic = vigil.logical_id(vigil.stack.alerting.topic)
    sns_grants = {
        role_id: {(action, target) for action, target in grants_of_role(vigil.resources, role_id) if "sns:" in action}
        for role_id in vigil.of_type("AWS::IAM::Role")
    }
    # Then the SMS notifier may publish on "*" and nothing else: SNS authorizes sending to a phone number there
    # (grants_of_role renders a literal resource as JSON). That grant also covers every topic, the alerts topic
    # included; test_infra_notifications checks no other role holds it
    sms_role = vigil.logical_id(vigil.stack.notifications.notifiers[ChannelType.SMS].notifier.role)
    assert sns_grants.pop(sms_role) == {("sns:Publish", '"*"')}
    # And the SLA report job may publish only to its own reports topic (one notice per tenant, test_infra_sla)
    sla = vigil.stack.sla
    reporter_role = vigil.logical_id(sla.report_function.role)
    assert sns_grants.pop(reporter_role) == {("sns:Publish", vigil.logical_id(sla.reports_topic))}
    publishers = {role_id for role_id, grants in sns_grants.items() if grants}
    # And of the other roles, the evaluator, the alerts API and the escalation state machine (its pages) are the
    # only publishers
    escalation = vigil.logical_id(vigil.stack.escalation.state_machine.role)
    assert publishers == {vigil.logical_id(_function(vigil, name).role) for name in ("evaluator", "api")} | {escalation}
    # And each may only publish, and only to the alerts topic
    for role_id in publishers:
        assert sns_grants[role_id] == {("sns:Publish", topic)}, role_id


def test_only_the_evaluator_the_sla_functions_and_the_dashboard_may_query_the_config_tables_by_kind_index(
    vigil: SynthesizedVigil,
) -> None:
    # Given every statement that names a config-table index, by role
    config = vigil.logical_id(vigil.stack.storage.config_table)
    by_kind: dict[str, set[str]] = {}
    for role_id in vigil.of_type("AWS::IAM::Role"):
        for statement in statements_of_role(vigil.resources, role_id):
            for resource in _as_list(statement["Resource"]):
                if _index_suffix(resource) == "/index/by-kind" and set(getatt_targets(resource)) == {config}:
                    by_kind.setdefault(role_id, set()).update(_as_list(statement["Action"]))
    # Then only the evaluator (every tenant's rules and policies), the SLA API and report job (every tenant,
    # every tenant's SLOs) and the dashboard (every tenant, for the platform overview) reach the by-kind index,
    # each to query it
    sla = vigil.stack.sla
    dashboard = vigil.stack.dashboard_api.dashboard_function
    assert set(by_kind) == {
        vigil.logical_id(function.role)
        for function in (_function(vigil, "evaluator"), sla.api_function, sla.report_function, dashboard)
    }
    for role_id, actions in by_kind.items():
        assert "dynamodb:Query" in actions, role_id


def test_the_evaluator_reads_metrics_and_probe_states_and_manages_alerts_and_rules(vigil: SynthesizedVigil) -> None:
    # Given the evaluator's grants
    grants = _grants(vigil, _function(vigil, "evaluator"))
    storage, alerting, probes = vigil.stack.storage, vigil.stack.alerting, vigil.stack.probes
    # Then it manages alerts, and rules in the config table (it applies alert-rules.yaml)
    assert _on(vigil, grants, storage.alerts_table) >= READS | WRITES
    assert _on(vigil, grants, storage.config_table) >= READS | WRITES
    # And it reads metric rollups and monitor states, and never changes them
    for table in (storage.metrics_table, storage.probes_table):
        assert _on(vigil, grants, table) >= READS, table.node.path
        assert not _on(vigil, grants, table) & WRITES, table.node.path
    # And it never touches idempotency records
    assert not _on(vigil, grants, storage.idempotency_table)
    # And it consumes both of its queues, and sends only to its own (a group's flush, later)
    assert _on(vigil, grants, alerting.evaluation_queue) >= CONSUME | {"sqs:SendMessage"}
    assert _on(vigil, grants, probes.transitions_queue) >= CONSUME
    assert "sqs:SendMessage" not in _on(vigil, grants, probes.transitions_queue)


def test_the_alerts_api_manages_alerts_and_rules_but_cannot_read_metrics(vigil: SynthesizedVigil) -> None:
    # Given the alerts API function's grants
    grants = _grants(vigil, _function(vigil, "api"))
    storage, alerting, probes = vigil.stack.storage, vigil.stack.alerting, vigil.stack.probes
    # Then it manages alerts and silences, and rules and the policy (and looks up API keys) in the config table
    assert _on(vigil, grants, storage.alerts_table) >= READS | WRITES
    assert _on(vigil, grants, storage.config_table) >= READS | WRITES
    # And it cannot read metrics, monitor states, SLA windows or idempotency records
    for table in (storage.metrics_table, storage.probes_table, storage.sla_windows_table, storage.idempotency_table):
        assert not _on(vigil, grants, table), table.node.path
    # And it may send to the evaluation queue (a group's flush) but consumes no queue
    assert "sqs:SendMessage" in _on(vigil, grants, alerting.evaluation_queue)
    assert not {action for action, _ in grants} & CONSUME
    assert not _on(vigil, grants, probes.transitions_queue)


def test_ingest_may_send_to_the_evaluation_queue_and_nothing_more(vigil: SynthesizedVigil) -> None:
    # Given the ingest function's grants on the evaluation queue
    ingest = vigil.stack.ingest_api.ingest_function
    grants = _grants(vigil, ingest)
    actions = _on(vigil, grants, vigil.stack.alerting.evaluation_queue)
    # Then it may ask for the pushed metrics' rules to be evaluated at once
    assert "sqs:SendMessage" in actions
    # And it may not take messages off the queue
    assert not actions & CONSUME


# --- the routes --------------------------------------------------------------------------------------


def test_every_alerting_route_reaches_the_alerts_function_through_a_proxy_integration(
    vigil: SynthesizedVigil,
) -> None:
    # Given every method of the API, by verb and full path
    paths = api_resource_paths(vigil.resources)
    methods = {
        (m["Properties"]["HttpMethod"], paths[m["Properties"]["ResourceId"]["Ref"]]): m["Properties"]
        for m in vigil.of_type("AWS::ApiGateway::Method").values()
        if "Ref" in m["Properties"]["ResourceId"]
    }
    alerts_function = vigil.logical_id(_function(vigil, "api").function)
    # When picking those that reach the alerts function
    routes = {route for route, m in methods.items() if alerts_function in set(getatt_targets(m["Integration"]["Uri"]))}
    # Then they are exactly the alerting routes, with their verbs
    assert routes == ALERTING_ROUTES
    for route in sorted(ALERTING_ROUTES):
        method = methods[route]
        # And each is a Lambda proxy integration; the function authenticates the tenant's API key
        assert method["Integration"]["Type"] == "AWS_PROXY", route
        assert method["AuthorizationType"] == "NONE", route


def test_alerting_routes_are_acknowledged_as_api_key_authenticated(vigil: SynthesizedVigil) -> None:
    # Given the acknowledged nag findings on the alerting methods
    prefixes = (
        "/v1/alerts",
        "/v1/silences",
        "/v1/alert-rules",
        "/v1/alerting-policy",
        "/v1/notification-policy",
        "/v1/escalation-policy",
    )
    acknowledged = {
        (a.construct_path, a.rule_id.rsplit("-", 1)[-1]): a.reason
        for a in vigil.acknowledgments
        if any(f"/Default{prefix}" in a.construct_path for prefix in prefixes)
    }
    # Then each method has APIG4 and COG4 acknowledged (and nothing else)
    expected_paths = {f"Vigil/IngestApi/RestApi/Default{path}/{verb}" for verb, path in ALERTING_ROUTES}
    assert set(acknowledged) == {(path, rule) for path in expected_paths for rule in ("APIG4", "COG4")}
    # And the reason is the API key the function checks, not a token
    for key, reason in acknowledged.items():
        assert "API key" in reason and "token" not in reason, key


# --- alert-rules.yaml --------------------------------------------------------------------------------


BAD_RULES = {
    "a threshold rule without thresholds": (
        "rules:\n  - {tenant: acme, name: Checkout errors, metric: http_requests, window: 5m}\n",
        "rules[0].thresholds: is required",
    ),
    "a rule without a tenant": (
        "rules:\n  - {name: Errors, metric: m, thresholds: [{severity: critical, condition: gt, value: 1}]}\n",
        "rules[0].tenant: is required",
    ),
    "a window that is no duration": (
        "rules:\n  - tenant: acme\n    name: Errors\n    metric: m\n    window: 7 fortnights\n"
        "    thresholds: [{severity: critical, condition: gt, value: 1}]\n",
        "rules[0].window: must be a duration",
    ),
    "an unknown kind": ("rules:\n  - {tenant: acme, kind: log, name: Errors}\n", "rules[0].kind: must be threshold"),
    "a second rule with the same id": (
        "rules:\n"
        "  - {tenant: acme, name: Errors, metric: m, thresholds: [{severity: critical, condition: gt, value: 1}]}\n"
        "  - {tenant: acme, name: Errors, metric: n, thresholds: [{severity: warning, condition: gt, value: 1}]}\n",
        "rules[1].id: 'errors' is already used by rules[0]",
    ),
    "an unknown top-level key": ("rulez: []\n", "rulez: unknown top-level key"),
    "broken YAML": ("rules: [\n", "not valid YAML"),
}


@pytest.mark.parametrize("case", sorted(BAD_RULES))
def test_a_bad_alert_rules_file_is_refused_naming_the_file_the_field_and_the_problem(tmp_path: Path, case: str) -> None:
    # Given an alert rules file with one mistake
    text, problem = BAD_RULES[case]
    rules_file = tmp_path / "alert-rules.yaml"
    rules_file.write_text(text)
    # When it is loaded
    with pytest.raises(InvalidAlertRulesFileError) as raised:
        load_alert_rules_file(rules_file)
    # Then the message names the file, the field and what is wrong
    assert str(raised.value).startswith(f"{rules_file}: ")
    assert problem in str(raised.value)


def test_a_valid_alert_rules_file_is_normalized_with_the_defaults_filled_in(tmp_path: Path) -> None:
    # Given a threshold rule and a probe rule, each with only its required fields
    rules_file = tmp_path / "alert-rules.yaml"
    rules_file.write_text(
        "rules:\n"
        "  - tenant: acme\n"
        "    name: Checkout errors\n"
        "    metric: http_requests\n"
        "    thresholds: [{severity: critical, condition: gt, value: 10}]\n"
        "  - tenant: acme\n"
        "    kind: probe\n"
        "    name: Checkout API down\n"
        "    monitors: [{label: monitor, value: checkout-api}]\n"
    )
    # When it is loaded
    document = load_alert_rules_file(rules_file)
    # Then each rule names its tenant, gets an id from its name, and every default is written out
    threshold, probe = cast(list[JsonObject], document["rules"])
    assert (threshold["tenant"], threshold["id"], threshold["kind"]) == ("acme", "checkout-errors", "threshold")
    assert (threshold["enabled"], threshold["cooldown"], threshold["labels"]) == (True, 300, {})
    assert (threshold["aggregation"], threshold["window"], threshold["matchers"]) == ("avg", 300, [])
    assert threshold["thresholds"] == [{"severity": "critical", "condition": "gt", "value": 10.0, "for": 0}]
    assert (probe["tenant"], probe["id"], probe["kind"]) == ("acme", "checkout-api-down", "probe")
    assert (probe["states"], probe["for"], probe["severity"]) == (["DOWN"], 0, "critical")
    assert probe["monitors"] == [{"label": "monitor", "op": "=", "value": "checkout-api"}]
    # And the normalized document, as the evaluator reads it back (JSON is YAML), loads to itself
    normalized = tmp_path / "alert-rules.json"
    normalized.write_text(json.dumps(document))
    assert load_alert_rules_file(normalized) == document


@pytest.fixture(scope="module")
def fake_layer(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_fake_dependencies_layer(tmp_path_factory.mktemp("alerting-layer"))


def _build(fake_layer: Path, outdir: Path, **context: Any) -> VigilStack:
    overrides = {DEPENDENCIES_LAYER_PATH_KEY: str(fake_layer), "aws:cdk:enable-asset-metadata": True, **context}
    return build_app(PROJECT_ROOT, context_overrides=overrides, outdir=str(outdir)).stack


def test_a_bad_alert_rules_file_fails_the_build(fake_layer: Path, tmp_path: Path) -> None:
    # Given vigil:alertRulesFile naming a file whose first rule has no thresholds
    rules_file = tmp_path / "alert-rules.yaml"
    rules_file.write_text(BAD_RULES["a threshold rule without thresholds"][0])
    # When the app is built / Then nothing is synthesized, and the error names the file and the field
    with pytest.raises(InvalidAlertRulesFileError, match=r"rules\[0\]\.thresholds: is required") as raised:
        _build(fake_layer, tmp_path / "cdk.out", **{ALERT_RULES_FILE_KEY: str(rules_file)})
    assert str(raised.value).startswith(f"{rules_file}: ")


def test_a_missing_alert_rules_file_fails_the_build_naming_it(fake_layer: Path, tmp_path: Path) -> None:
    # Given vigil:alertRulesFile naming a file that does not exist (relative to the repository root)
    # When the app is built / Then the error names the file it looked for and why it could not read it
    with pytest.raises(InvalidAlertRulesFileError, match=r"/no-such-alert-rules\.yaml: cannot be read: No such file"):
        _build(fake_layer, tmp_path / "cdk.out", **{ALERT_RULES_FILE_KEY: "no-such-alert-rules.yaml"})


def test_an_empty_alert_rules_file_setting_ships_no_rules_json(fake_layer: Path, tmp_path: Path) -> None:
    # Given vigil:alertRulesFile set to "" (no alert rules as code)
    stack = _build(fake_layer, tmp_path / "cdk.out", **{ALERT_RULES_FILE_KEY: ""})
    # When the evaluator's code asset is staged
    resource = stack.alerting.evaluator.function.node.default_child
    staged = tmp_path / "cdk.out" / str(resource.get_metadata("aws:asset:path"))  # type: ignore[union-attr]
    # Then it is the handler folder alone, with no alert-rules.json
    source = PROJECT_ROOT / "functions" / "alert_evaluator"
    assert sorted(p.name for p in staged.iterdir()) == sorted(p.name for p in source.glob("*.py"))
    assert not (staged / "alert-rules.json").exists()
