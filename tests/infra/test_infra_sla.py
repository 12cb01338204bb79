"""SLOs and SLA reports: the `sla` API function and the monthly `sla-reporter` job (their environments, routes and
trigger), the reports bucket and topic, what each SLA function may touch, the stack outputs, and vigil:sla.

Most tests read the session's one synthesis; vigil:sla refusals happen while the configuration is read, before any
construct is built, and the schedule taken from vigil:sla is read off an app built (not synthesized) with other
values.
"""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from pathlib import Path
from types import ModuleType
from typing import Any, cast

import pytest
from aws_cdk import CfnDeletionPolicy, CfnResource
from aws_cdk import aws_events as events
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
from tests.support import load_event
from vigil_core.settings import SlaApiSettings, SlaReportJobSettings, load_settings
from vigil_infra.application import build_app, read_cdk_json_context
from vigil_infra.config import (
    DEPENDENCIES_LAYER_PATH_KEY,
    SLA_KEY,
    InvalidStackContextError,
    StackConfig,
)
from vigil_infra.constructs.function import VigilFunction
from vigil_infra.constructs.sla import Sla

pytestmark = pytest.mark.infra

POWERTOOLS_ENVIRONMENT = {"POWERTOOLS_METRICS_NAMESPACE": "Vigil", "POWERTOOLS_LOG_LEVEL": "INFO"}
TLS_REFUSED = {"Bool": {"aws:SecureTransport": "false"}}
READS = {"dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query"}
WRITES = {"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem"}
XRAY_ACTIONS = {"xray:PutTraceSegments", "xray:PutTelemetryRecords"}
SCHEDULED_TIME = "2026-12-01T12:00:00Z"
# Written out rather than taken from cdk.json or the construct, so a change to either shows up here.
REPORT_SCHEDULE = "cron(0 12 1 * ? *)"
OPERATOR_TENANTS = "ops"
REPORTS_PREFIX = "reports/"
REPORT_RETENTION_DAYS = 2 * 366
NONCURRENT_RETENTION_DAYS = 30
REPORT_JOB_RETRIES = 2
# Every route of the SLA API; all of them reach the one sla function.
SLA_ROUTES = {
    ("GET", "/v1/slos"),
    ("POST", "/v1/slos"),
    ("GET", "/v1/slos/{id}"),
    ("PUT", "/v1/slos/{id}"),
    ("DELETE", "/v1/slos/{id}"),
    ("GET", "/v1/slos/{id}/status"),
    ("GET", "/v1/sla-policy"),
    ("PUT", "/v1/sla-policy"),
    ("GET", "/v1/sla/{tenant}"),
    ("GET", "/v1/reports/sla"),
}


def _sla(vigil: SynthesizedVigil) -> Sla:
    return vigil.stack.sla


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _role_id(vigil: SynthesizedVigil, function: VigilFunction) -> str:
    return vigil.logical_id(function.role)


def _on(vigil: SynthesizedVigil, grants: set[tuple[str, str]], construct: IConstruct) -> set[str]:
    return {action for action, target in grants if target == vigil.logical_id(construct)}


def _service_statements(vigil: SynthesizedVigil, role_id: str, service: str) -> list[JsonObject]:
    """The role's statements with an action of that service, or "*"."""
    return [
        statement
        for statement in statements_of_role(vigil.resources, role_id)
        if any(action == "*" or action.lower().startswith(f"{service}:") for action in _as_list(statement["Action"]))
    ]


def _normalized(path: str) -> str:
    """A route's path with its parameters unnamed: "/v1/slos/{id}" and "/v1/slos/<slo_id>" -> "/v1/slos/{}"."""
    return re.sub(r"\{[^}]+\}|<[^>]+>", "{}", path)


def _reporter_handler(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """functions/sla_reporter/handler.py, registered while it runs (pydantic looks its module up)."""
    name = "vigil_infra_test_sla_reporter_handler"
    spec = importlib.util.spec_from_file_location(name, PROJECT_ROOT / "functions" / "sla_reporter" / "handler.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, name, module)
    spec.loader.exec_module(module)
    return module


# --- the functions -----------------------------------------------------------------------------------


def test_the_sla_api_environment_is_exactly_its_tables_and_the_operator_tenants(vigil: SynthesizedVigil) -> None:
    # Given the sla function's environment, and the stack's vigil:sla
    sla, storage = _sla(vigil), vigil.stack.storage
    variables = vigil.properties(sla.api_function.function)["Environment"]["Variables"]
    assert vigil.stack.config.sla.operator_tenants == (OPERATOR_TENANTS,)
    # Then it is exactly the Powertools settings, the three tables it reads and the operator tenants, comma-separated
    assert variables == {
        "POWERTOOLS_SERVICE_NAME": "vigil-sla",
        **POWERTOOLS_ENVIRONMENT,
        "CONFIG_TABLE_NAME": {"Ref": vigil.logical_id(storage.config_table)},
        "SLA_WINDOWS_TABLE_NAME": {"Ref": vigil.logical_id(storage.sla_windows_table)},
        "ALERTS_TABLE_NAME": {"Ref": vigil.logical_id(storage.alerts_table)},
        "OPERATOR_TENANTS": OPERATOR_TENANTS,
    }
    # And nothing points it at the reports bucket or topic: the API computes reports, the job stores them
    assert not {"REPORTS_BUCKET_NAME", "REPORTS_TOPIC_ARN"} & set(variables)
    # When its settings load from it (table names stand in for the references)
    literal = {key: value for key, value in variables.items() if isinstance(value, str)}
    stand_ins = {key: f"stand-in-{key.lower()}" for key, value in variables.items() if not isinstance(value, str)}
    settings = load_settings(SlaApiSettings, {**literal, **stand_ins})
    # Then every variable is one its settings read, and the operators are vigil:sla's
    assert set(variables) - set(POWERTOOLS_ENVIRONMENT) - {"POWERTOOLS_SERVICE_NAME"} == {
        field.upper() for field in SlaApiSettings.model_fields
    }
    assert settings.operators == frozenset({OPERATOR_TENANTS})
    assert settings.config_table_name == "stand-in-config_table_name"


def test_the_report_job_environment_is_exactly_its_tables_the_reports_bucket_and_the_reports_topic(
    vigil: SynthesizedVigil,
) -> None:
    # Given the sla-reporter function's environment
    sla, storage = _sla(vigil), vigil.stack.storage
    variables = vigil.properties(sla.report_function.function)["Environment"]["Variables"]
    # Then it is exactly the Powertools settings, the three tables it reads, the bucket it writes reports to and
    # the topic it tells each tenant on (a bucket's Ref is its name, a topic's its ARN); no operator tenants
    assert variables == {
        "POWERTOOLS_SERVICE_NAME": "vigil-sla-reporter",
        **POWERTOOLS_ENVIRONMENT,
        "CONFIG_TABLE_NAME": {"Ref": vigil.logical_id(storage.config_table)},
        "SLA_WINDOWS_TABLE_NAME": {"Ref": vigil.logical_id(storage.sla_windows_table)},
        "ALERTS_TABLE_NAME": {"Ref": vigil.logical_id(storage.alerts_table)},
        "REPORTS_BUCKET_NAME": {"Ref": vigil.logical_id(sla.reports_bucket)},
        "REPORTS_TOPIC_ARN": {"Ref": vigil.logical_id(sla.reports_topic)},
    }
    # When its settings load from it (a bucket name and a topic ARN stand in for the references)
    stand_ins = {
        "CONFIG_TABLE_NAME": "stand-in-config-table",
        "SLA_WINDOWS_TABLE_NAME": "stand-in-sla-windows-table",
        "ALERTS_TABLE_NAME": "stand-in-alerts-table",
        "REPORTS_BUCKET_NAME": "stand-in-reports-bucket",
        "REPORTS_TOPIC_ARN": "arn:aws:sns:eu-west-1:123456789012:Vigil-SlaReportsTopic",
    }
    literal = {key: value for key, value in variables.items() if isinstance(value, str)}
    assert set(stand_ins) == set(variables) - set(literal)
    settings = load_settings(SlaReportJobSettings, {**literal, **stand_ins})
    # Then every variable is one its settings read, and they name the bucket and the topic
    assert set(stand_ins) == {field.upper() for field in SlaReportJobSettings.model_fields}
    assert (settings.reports_bucket_name, settings.reports_topic_arn) == (
        "stand-in-reports-bucket",
        stand_ins["REPORTS_TOPIC_ARN"],
    )


# --- the routes --------------------------------------------------------------------------------------


def test_the_sla_function_serves_exactly_the_slo_policy_and_report_routes_through_proxy_integrations(
    vigil: SynthesizedVigil,
) -> None:
    # Given every method of the API whose integration invokes the sla function, by verb and full path
    function = vigil.logical_id(_sla(vigil).api_function.function)
    paths = api_resource_paths(vigil.resources)
    methods = {
        (m["Properties"]["HttpMethod"], paths[m["Properties"]["ResourceId"]["Ref"]]): m["Properties"]
        for m in vigil.of_type("AWS::ApiGateway::Method").values()
        if function in set(getatt_targets(m["Properties"].get("Integration", {}).get("Uri", {})))
    }
    # Then they are exactly the SLA routes: SLOs, an SLO's status, the SLA policy, a tenant's SLA, the reports
    assert set(methods) == SLA_ROUTES
    for route, properties in methods.items():
        # And each is a Lambda proxy integration; API Gateway checks nothing, the function checks the API key
        assert properties["Integration"]["Type"] == "AWS_PROXY", route
        assert properties["Integration"]["IntegrationHttpMethod"] == "POST", route
        assert properties["AuthorizationType"] == "NONE", route
        assert not properties.get("ApiKeyRequired", False), route


def test_the_sla_handler_answers_exactly_the_routes_api_gateway_sends_it(vigil: SynthesizedVigil) -> None:
    # Given the routes the sla handler registers (Powertools' "<name>" parameters) and the stack's SLA routes
    source = (PROJECT_ROOT / "functions" / "sla" / "handler.py").read_text()
    registered = {
        (verb.upper(), _normalized(path))
        for verb, path in re.findall(r'^@app\.(get|post|put|delete|patch)\("([^"]+)"\)', source, re.MULTILINE)
    }
    # Then, parameter names aside, the handler answers every route API Gateway sends it, and no other
    assert registered == {(verb, _normalized(path)) for verb, path in SLA_ROUTES}


# --- the monthly rule --------------------------------------------------------------------------------


def test_the_monthly_rule_hands_the_report_job_the_scheduled_event_and_retries_it_twice(
    vigil: SynthesizedVigil, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the SLA's schedule rule
    sla = _sla(vigil)
    rule = vigil.properties(sla.schedule)
    # Then it fires on vigil:sla's schedule: noon UTC on the 1st of every month, when every time zone has finished
    # the month before
    assert vigil.stack.config.sla.report_schedule == REPORT_SCHEDULE
    assert rule["ScheduleExpression"] == REPORT_SCHEDULE
    assert rule["State"] == "ENABLED" and "EventPattern" not in rule
    # And its one target is the report job, retried twice (a month's reports are written once, not next minute)
    [target] = rule["Targets"]
    assert referenced_logical_id(target["Arn"]) == vigil.logical_id(sla.report_function.function)
    assert target["RetryPolicy"] == {"MaximumRetryAttempts": REPORT_JOB_RETRIES}
    # And it delivers the raw scheduled event: no Input, InputPath or InputTransformer
    assert not {"Input", "InputPath", "InputTransformer"} & set(target)
    # When the job reads such an event / Then it takes the time the firing was scheduled for
    scheduled_event = {**load_event("sla_reporter_monthly"), "time": SCHEDULED_TIME}
    run = _reporter_handler(monkeypatch).ScheduledRun.model_validate(scheduled_event)
    assert run.time.isoformat() == "2026-12-01T12:00:00+00:00"


def test_eventbridge_may_invoke_the_report_job_only_from_the_monthly_rule(vigil: SynthesizedVigil) -> None:
    # Given every invoke permission on the report job
    sla = _sla(vigil)
    function = vigil.logical_id(sla.report_function.function)
    permissions = [
        p["Properties"]
        for p in vigil.of_type("AWS::Lambda::Permission").values()
        if function in set(getatt_targets(p["Properties"]["FunctionName"]))
    ]
    # Then there is one: EventBridge's, scoped to the monthly rule (no API route reaches the job)
    assert [(p["Principal"], referenced_logical_id(p["SourceArn"])) for p in permissions] == [
        ("events.amazonaws.com", vigil.logical_id(sla.schedule))
    ]


# --- the reports bucket ------------------------------------------------------------------------------


def test_the_reports_bucket_is_encrypted_private_versioned_and_lets_reports_expire(vigil: SynthesizedVigil) -> None:
    # Given the reports bucket
    properties = vigil.properties(_sla(vigil).reports_bucket)
    # Then it is encrypted at rest with S3-managed keys (no KMS key to grant)
    assert properties["BucketEncryption"] == {
        "ServerSideEncryptionConfiguration": [{"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
    }
    # And every kind of public access is blocked, and no ACL, website or CORS opens it
    assert properties["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert not {"AccessControl", "WebsiteConfiguration", "CorsConfiguration"} & set(properties)
    # And it is versioned: a re-run of a month's job keeps the earlier report as a version
    assert properties["VersioningConfiguration"] == {"Status": "Enabled"}
    # And one lifecycle rule lets S3 delete a report after two years, and a replaced version after 30 days
    assert properties["LifecycleConfiguration"] == {
        "Rules": [
            {
                "ExpirationInDays": REPORT_RETENTION_DAYS,
                "NoncurrentVersionExpiration": {"NoncurrentDays": NONCURRENT_RETENTION_DAYS},
                "Status": "Enabled",
            }
        ]
    }


def test_the_reports_bucket_refuses_every_request_without_tls_and_its_policy_allows_nothing(
    vigil: SynthesizedVigil,
) -> None:
    # Given the bucket policies of the reports bucket
    bucket = vigil.logical_id(_sla(vigil).reports_bucket)
    policies = [
        p["Properties"]
        for p in vigil.of_type("AWS::S3::BucketPolicy").values()
        if p["Properties"]["Bucket"] == {"Ref": bucket}
    ]
    # When reading the statements of its one policy
    [policy] = policies
    statements = policy["PolicyDocument"]["Statement"]
    # Then every S3 request made without TLS, on the bucket and on its objects, is denied to everyone
    assert [(s["Effect"], s["Principal"], s["Action"], s.get("Condition")) for s in statements] == [
        ("Deny", {"AWS": "*"}, "s3:*", TLS_REFUSED)
    ]
    [denial] = statements
    resources = _as_list(denial["Resource"])
    assert {"Fn::GetAtt": [bucket, "Arn"]} in resources
    assert {"Fn::Join": ["", [{"Fn::GetAtt": [bucket, "Arn"]}, "/*"]]} in resources
    # And the policy allows nothing to anyone: the report job's role is the only way in
    assert not [s for s in statements if s["Effect"] == "Allow"]


def test_reports_outlive_the_stack_even_in_dev(vigil: SynthesizedVigil) -> None:
    # Given the default "dev" stage from cdk.json
    assert vigil.stack.config.stage == "dev"
    # When reading the bucket's deletion policies
    bucket = vigil.resource(_sla(vigil).reports_bucket)
    # Then the bucket is kept: CloudFormation cannot delete a bucket holding reports, so a dev stack's deletion
    # would fail on it (and emptying it first would need a custom resource)
    assert (bucket["DeletionPolicy"], bucket["UpdateReplacePolicy"]) == ("Retain", "Retain")


# --- the reports topic -------------------------------------------------------------------------------


def test_the_reports_topic_refuses_publishing_without_tls_and_nothing_in_the_stack_subscribes(
    vigil: SynthesizedVigil,
) -> None:
    # Given the reports topic and the topic policies in the template
    topic = vigil.logical_id(_sla(vigil).reports_topic)
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
    # And the policy allows nothing to anyone: the report job publishes through its role
    assert not [s for s in statements if s["Effect"] == "Allow"]
    # And the stack subscribes nothing to it: tenants subscribe themselves, filtering on their `tenant`
    assert not [
        s for s in vigil.of_type("AWS::SNS::Subscription").values() if s["Properties"]["TopicArn"] == {"Ref": topic}
    ]


# --- least privilege ---------------------------------------------------------------------------------


def test_the_report_jobs_s3_statements_are_exactly_the_reports_prefix_and_a_listing_of_it(
    vigil: SynthesizedVigil,
) -> None:
    # Given the report job's statements that name an S3 action (or "*")
    sla = _sla(vigil)
    bucket = vigil.logical_id(sla.reports_bucket)
    statements = _service_statements(vigil, _role_id(vigil, sla.report_function), "s3")
    # Then there are exactly two: read and write objects under reports/ (no DeleteObject, no bucket-wide "/*")
    objects = {
        "Effect": "Allow",
        "Action": ["s3:GetObject", "s3:PutObject"],
        "Resource": {"Fn::Join": ["", [{"Fn::GetAtt": [bucket, "Arn"]}, f"/{REPORTS_PREFIX}*"]]},
    }
    # And list the bucket, only where the prefix asked for is under reports/ (so a missing report answers 404)
    listing = {
        "Effect": "Allow",
        "Action": "s3:ListBucket",
        "Resource": {"Fn::GetAtt": [bucket, "Arn"]},
        "Condition": {"StringLike": {"s3:prefix": [f"{REPORTS_PREFIX}*"]}},
    }
    assert sorted(statements, key=json.dumps) == sorted([objects, listing], key=json.dumps)
    # And no S3 action is a wildcard
    assert not [a for s in statements for a in _as_list(s["Action"]) if "*" in a]


def test_only_the_report_job_may_touch_the_reports_bucket(vigil: SynthesizedVigil) -> None:
    # Given every role's statements that name the reports bucket, and every S3 action any role holds
    sla = _sla(vigil)
    bucket = vigil.logical_id(sla.reports_bucket)
    naming_the_bucket = {
        role_id
        for role_id in vigil.of_type("AWS::IAM::Role")
        for statement in statements_of_role(vigil.resources, role_id)
        if bucket in set(getatt_targets(statement["Resource"]))
    }
    with_s3 = {role_id for role_id in vigil.of_type("AWS::IAM::Role") if _service_statements(vigil, role_id, "s3")}
    # Then only the report job's role names the bucket, and no other role holds any S3 action (no "s3:*" or "*")
    reporter = _role_id(vigil, sla.report_function)
    assert naming_the_bucket == {reporter}
    assert with_s3 == {reporter}


def test_the_report_job_may_publish_only_to_the_reports_topic_and_nobody_else_may(vigil: SynthesizedVigil) -> None:
    # Given every role's SNS grants
    sla = _sla(vigil)
    topic = vigil.logical_id(sla.reports_topic)
    reporter = _role_id(vigil, sla.report_function)
    sns_grants = {
        role_id: {(action, target) for action, target in grants_of_role(vigil.resources, role_id) if "sns:" in action}
        for role_id in vigil.of_type("AWS::IAM::Role")
    }
    # Then the report job may publish, and only to the reports topic: it cannot reach the alerts topic
    assert sns_grants[reporter] == {("sns:Publish", topic)}
    # And no other role names the reports topic (the SMS notifier's "*", for phone numbers, is denied every topic:
    # see test_infra_notifications)
    assert {role_id for role_id, grants in sns_grants.items() if any(t == topic for _, t in grants)} == {reporter}


def test_the_sla_api_may_not_write_s3_or_publish(vigil: SynthesizedVigil) -> None:
    # Given the sla function's grants
    role_id = _role_id(vigil, _sla(vigil).api_function)
    actions = {action for action, _ in grants_of_role(vigil.resources, role_id)}
    # Then it holds no S3 or SNS action at all, and no "*": reports reach S3 and tenants through the job only
    assert not [a for a in actions if a == "*" or a.lower().startswith(("s3:", "sns:"))]


@pytest.mark.parametrize("function_attribute", ["api_function", "report_function"])
def test_an_sla_functions_only_wildcard_resource_is_x_ray(vigil: SynthesizedVigil, function_attribute: str) -> None:
    # Given one SLA function's statements
    function = getattr(_sla(vigil), function_attribute)
    statements = statements_of_role(vigil.resources, _role_id(vigil, function))
    # Then every statement allows, and the only one on "*" is X-Ray's, which has no resource-level permissions
    assert {s["Effect"] for s in statements} == {"Allow"}
    assert [set(_as_list(s["Action"])) for s in statements if s["Resource"] == "*"] == [XRAY_ACTIONS]


def test_the_sla_api_manages_slos_and_policies_and_only_reads_windows_and_alerts(vigil: SynthesizedVigil) -> None:
    # Given the sla function's grants
    storage = vigil.stack.storage
    role_id = _role_id(vigil, _sla(vigil).api_function)
    grants = grants_of_role(vigil.resources, role_id)
    # Then it writes SLOs and SLA policies in the config table (and looks up API keys)
    assert _on(vigil, grants, storage.config_table) >= READS | WRITES
    # And it reads SLA windows and alerts (incidents, for recovery times), and never changes them
    for table in (storage.sla_windows_table, storage.alerts_table):
        assert _on(vigil, grants, table) >= READS, table.node.path
        assert not _on(vigil, grants, table) & WRITES, table.node.path
    # And it cannot touch metrics, monitor states or idempotency records
    for table in (storage.metrics_table, storage.probes_table, storage.idempotency_table):
        assert not _on(vigil, grants, table), table.node.path
    # And every DynamoDB grant is on one of those three tables (or, as Fn::Join, one of their indexes)
    tables = {vigil.logical_id(t) for t in (storage.config_table, storage.sla_windows_table, storage.alerts_table)}
    for statement in _service_statements(vigil, role_id, "dynamodb"):
        for resource in _as_list(statement["Resource"]):
            assert set(getatt_targets(resource)) <= tables and set(getatt_targets(resource)), resource


def test_the_report_job_only_reads_the_config_windows_and_alerts_tables(vigil: SynthesizedVigil) -> None:
    # Given the report job's grants
    storage = vigil.stack.storage
    role_id = _role_id(vigil, _sla(vigil).report_function)
    grants = grants_of_role(vigil.resources, role_id)
    # Then it reads tenants, monitors and SLOs, SLA windows and alerts, and changes none of them
    for table in (storage.config_table, storage.sla_windows_table, storage.alerts_table):
        assert _on(vigil, grants, table) >= READS, table.node.path
    assert not {action for action, _ in grants} & WRITES
    # And it cannot touch metrics, monitor states or idempotency records
    for table in (storage.metrics_table, storage.probes_table, storage.idempotency_table):
        assert not _on(vigil, grants, table), table.node.path
    # And every DynamoDB grant is on one of those three tables (or, as Fn::Join, one of their indexes)
    tables = {vigil.logical_id(t) for t in (storage.config_table, storage.sla_windows_table, storage.alerts_table)}
    for statement in _service_statements(vigil, role_id, "dynamodb"):
        for resource in _as_list(statement["Resource"]):
            assert set(getatt_targets(resource)) <= tables and set(getatt_targets(resource)), resource


def test_ingest_and_the_alert_evaluator_read_and_write_sla_windows(vigil: SynthesizedVigil) -> None:
    # Given the grants of ingest (metric SLOs count the pushed events) and of the alert evaluator (burn rates,
    # timeslice counts per hour) on the SLA windows table
    storage = vigil.stack.storage
    for function in (vigil.stack.ingest_api.ingest_function, vigil.stack.alerting.evaluator):
        grants = grants_of_role(vigil.resources, _role_id(vigil, function))
        # Then each reads and writes it
        assert _on(vigil, grants, storage.sla_windows_table) >= READS | WRITES, function.node.path
    # And ingest is told where it is (the evaluator's environment is checked in test_infra_alerting)
    variables = vigil.properties(vigil.stack.ingest_api.ingest_function.function)["Environment"]["Variables"]
    assert variables["SLA_WINDOWS_TABLE_NAME"] == {"Ref": vigil.logical_id(storage.sla_windows_table)}


# --- the outputs -------------------------------------------------------------------------------------


def test_the_stack_outputs_the_reports_bucket_name_and_the_reports_topic_arn(vigil: SynthesizedVigil) -> None:
    # Given the stack outputs
    outputs = vigil.template.to_json()["Outputs"]
    sla = _sla(vigil)
    # Then SlaReportsBucketName is the reports bucket's name and SlaReportsTopicArn the reports topic's ARN (their
    # Refs), for operators to find the reports and tenants to subscribe
    assert outputs["SlaReportsBucketName"]["Value"] == {"Ref": vigil.logical_id(sla.reports_bucket)}
    assert outputs["SlaReportsTopicArn"]["Value"] == {"Ref": vigil.logical_id(sla.reports_topic)}
    # And each says what it is
    for name in ("SlaReportsBucketName", "SlaReportsTopicArn"):
        assert outputs[name]["Description"].strip(), name


# --- vigil:sla ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "named_in_error"),
    [
        ({"reportSchedule": "rate(1 day)"}, "vigil:sla.reportSchedule"),
        ({"reportSchedule": ""}, "vigil:sla.reportSchedule"),
        ({"reportSchedule": "0 12 1 * ? *"}, "vigil:sla.reportSchedule"),
        ({"operatorTenants": ["Bad Tenant"]}, "vigil:sla.operatorTenants.0"),
        ({"operatorTenants": ["ops", "x"]}, "vigil:sla.operatorTenants.1"),
        ({"operatorTenants": "ops"}, "vigil:sla.operatorTenants"),
        ({"reportScheduel": "cron(0 12 1 * ? *)"}, "vigil:sla.reportScheduel"),
    ],
)
def test_bad_sla_options_fail_naming_the_context_key(change: dict[str, Any], named_in_error: str) -> None:
    # Given cdk.json's context with one bad vigil:sla value (or an unknown key)
    context = read_cdk_json_context(PROJECT_ROOT)
    context[SLA_KEY] = {**context[SLA_KEY], **change}
    # When it is read / Then the error names the key
    with pytest.raises(InvalidStackContextError, match=re.escape(f"context key '{named_in_error}'")):
        StackConfig.from_context(context.get)


@pytest.mark.parametrize("option", ["operatorTenants", "reportSchedule"])
def test_every_sla_option_is_required(option: str) -> None:
    # Given cdk.json's vigil:sla without one of its options
    context = read_cdk_json_context(PROJECT_ROOT)
    context[SLA_KEY] = {key: value for key, value in context[SLA_KEY].items() if key != option}
    # When it is read / Then that option is reported as missing, by name: there is no default in code
    with pytest.raises(InvalidStackContextError, match=re.escape(f"context key 'vigil:sla.{option}': Field required")):
        StackConfig.from_context(context.get)


def test_sla_options_given_as_json_text_on_the_command_line_are_accepted() -> None:
    # Given vigil:sla as `cdk synth -c vigil:sla=...` passes it: a string
    context = read_cdk_json_context(PROJECT_ROOT)
    context[SLA_KEY] = json.dumps({"operatorTenants": ["ops", "platform-team"], "reportSchedule": "cron(0 6 2 * ? *)"})
    # When it is read
    config = StackConfig.from_context(context.get)
    # Then it is decoded like its JSON equivalent
    assert (config.sla.operator_tenants, config.sla.report_schedule) == (("ops", "platform-team"), "cron(0 6 2 * ? *)")


def test_building_the_app_with_a_rate_report_schedule_fails_naming_the_key(tmp_path: Path) -> None:
    # Given the app with a report schedule that is no cron (as `cdk synth -c` or CDK_CONTEXT_JSON would pass it)
    sla = {**read_cdk_json_context(PROJECT_ROOT)[SLA_KEY], "reportSchedule": "rate(1 day)"}
    context = {DEPENDENCIES_LAYER_PATH_KEY: str(make_fake_dependencies_layer(tmp_path)), SLA_KEY: sla}
    # When building it / Then construction stops, before any synthesis, with the key and the value in the message
    with pytest.raises(InvalidStackContextError, match=r"'vigil:sla\.reportSchedule'.*pattern.*'rate\(1 day\)'"):
        build_app(PROJECT_ROOT, context_overrides=context, outdir=str(tmp_path / "cdk.out"))


def test_the_rule_fires_on_vigil_slas_schedule_and_other_stages_keep_their_reports(tmp_path: Path) -> None:
    # Given the app built for a production stage with another report schedule (constructed, not synthesized)
    context = {
        DEPENDENCIES_LAYER_PATH_KEY: str(make_fake_dependencies_layer(tmp_path)),
        "vigil:stage": "prod",
        SLA_KEY: {"operatorTenants": ["ops", "platform-team"], "reportSchedule": "cron(30 6 2 * ? *)"},
    }
    sla = build_app(PROJECT_ROOT, context_overrides=context, outdir=str(tmp_path / "cdk.out")).stack.sla
    # When reading the rule's and the bucket's resources
    rule = cast(events.CfnRule, sla.schedule.node.default_child)
    bucket = cast(CfnResource, sla.reports_bucket.node.default_child)
    # Then the rule fires on that schedule, as given
    assert rule.schedule_expression == "cron(30 6 2 * ? *)"
    # And the reports bucket outlives the stack and a replacement: reports are what tenants were told
    assert bucket.cfn_options.deletion_policy == CfnDeletionPolicy.RETAIN
    assert bucket.cfn_options.update_replace_policy == CfnDeletionPolicy.RETAIN
