"""The REST API: routes and integrations, stage throttling, logging and tracing, the stack outputs."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.infra.synthesized import SynthesizedVigil, api_resource_paths, getatt_targets, referenced_logical_id

pytestmark = pytest.mark.infra

ACCESS_LOG_FIELDS = {"requestId", "ip", "method", "path", "status", "responseLength", "latency"}


def test_one_regional_rest_api_named_vigil_api(vigil: SynthesizedVigil) -> None:
    # Given the stack / When reading the REST APIs / Then there is one, "vigil-api", regional
    apis = vigil.of_type("AWS::ApiGateway::RestApi")
    assert [api["Properties"]["Name"] for api in apis.values()] == ["vigil-api"]
    assert next(iter(apis.values()))["Properties"]["EndpointConfiguration"] == {"Types": ["REGIONAL"]}


def _routes(vigil: SynthesizedVigil) -> dict[tuple[str, str], dict[str, Any]]:
    """(verb, full path) -> the method's properties, for every method in the template."""
    paths = api_resource_paths(vigil.resources)
    routes: dict[tuple[str, str], dict[str, Any]] = {}
    for method in vigil.of_type("AWS::ApiGateway::Method").values():
        properties = method["Properties"]
        resource_ref = properties["ResourceId"].get("Ref")  # the root resource is a GetAtt, not a Ref
        path = paths[resource_ref] if resource_ref else "/"
        routes[(properties["HttpMethod"], path)] = properties
    return routes


def _expected_routes(vigil: SynthesizedVigil) -> dict[tuple[str, str], str]:
    """Every route of the API -> the logical id of the function behind it."""
    api, monitors_api = vigil.stack.ingest_api, vigil.stack.monitors_api
    ingest, query = (vigil.logical_id(f.function) for f in (api.ingest_function, api.query_function))
    monitors, heartbeat = (
        vigil.logical_id(f.function) for f in (monitors_api.monitors_function, monitors_api.heartbeat_function)
    )
    alerts = vigil.logical_id(vigil.stack.alerting.api_function.function)
    sla = vigil.logical_id(vigil.stack.sla.api_function.function)
    dashboard_api = vigil.stack.dashboard_api
    dashboard, account = (
        vigil.logical_id(f.function) for f in (dashboard_api.dashboard_function, dashboard_api.account_function)
    )
    return {
        ("POST", "/v1/metrics"): ingest,
        ("GET", "/v1/metrics/{name}"): query,
        ("GET", "/v1/monitors"): monitors,
        ("POST", "/v1/monitors"): monitors,
        ("GET", "/v1/monitors/{id}"): monitors,
        ("PUT", "/v1/monitors/{id}"): monitors,
        ("DELETE", "/v1/monitors/{id}"): monitors,
        ("GET", "/v1/monitors/{id}/results"): monitors,
        ("GET", "/v1/heartbeats/{token}"): heartbeat,
        ("POST", "/v1/heartbeats/{token}"): heartbeat,
        ("GET", "/v1/alerts"): alerts,
        ("POST", "/v1/alerts"): alerts,
        ("GET", "/v1/alerts/{id}"): alerts,
        ("GET", "/v1/alerts/{id}/escalation"): alerts,
        ("POST", "/v1/alerts/{id}/acknowledge"): alerts,
        ("POST", "/v1/alerts/{id}/resolve"): alerts,
        ("GET", "/v1/silences"): alerts,
        ("POST", "/v1/silences"): alerts,
        ("DELETE", "/v1/silences/{id}"): alerts,
        ("GET", "/v1/alert-rules"): alerts,
        ("POST", "/v1/alert-rules"): alerts,
        ("GET", "/v1/alert-rules/{id}"): alerts,
        ("PUT", "/v1/alert-rules/{id}"): alerts,
        ("DELETE", "/v1/alert-rules/{id}"): alerts,
        ("GET", "/v1/alerting-policy"): alerts,
        ("PUT", "/v1/alerting-policy"): alerts,
        ("GET", "/v1/notification-policy"): alerts,
        ("PUT", "/v1/notification-policy"): alerts,
        ("GET", "/v1/escalation-policy"): alerts,
        ("PUT", "/v1/escalation-policy"): alerts,
        ("GET", "/v1/slos"): sla,
        ("POST", "/v1/slos"): sla,
        ("GET", "/v1/slos/{id}"): sla,
        ("PUT", "/v1/slos/{id}"): sla,
        ("DELETE", "/v1/slos/{id}"): sla,
        ("GET", "/v1/slos/{id}/status"): sla,
        ("GET", "/v1/sla-policy"): sla,
        ("PUT", "/v1/sla-policy"): sla,
        ("GET", "/v1/sla/{tenant}"): sla,
        ("GET", "/v1/reports/sla"): sla,
        ("GET", "/status/{tenant}"): dashboard,
        ("POST", "/status/{tenant}"): dashboard,
        ("GET", "/public/status/{tenant}"): dashboard,
        ("GET", "/v1/dashboard/health"): dashboard,
        ("GET", "/v1/metrics/export/prometheus"): dashboard,
        ("GET", "/v1/keys"): account,
        ("POST", "/v1/keys"): account,
        ("DELETE", "/v1/keys/{id}"): account,
        ("GET", "/v1/status-page"): account,
        ("PUT", "/v1/status-page"): account,
    }


def test_exactly_the_metrics_monitors_heartbeat_alerting_sla_dashboard_and_account_routes(
    vigil: SynthesizedVigil,
) -> None:
    # Given every method in the template, keyed by verb and full path
    routes = _routes(vigil)
    expected_targets = _expected_routes(vigil)
    # Then the routes are exactly metrics ingest and query, the monitors API, heartbeats, the alerting API, the
    # SLA API (SLOs, the SLA policy, SLA reports), the dashboard (status pages, the platform overview, the
    # Prometheus export) and the account API (keys, status page settings), each a proxy integration
    assert set(routes) == set(expected_targets)
    for route, target_function in expected_targets.items():
        integration = routes[route]["Integration"]
        # And each is a Lambda proxy integration invoking the right function
        assert integration["Type"] == "AWS_PROXY", route
        assert integration["IntegrationHttpMethod"] == "POST", route
        assert set(getatt_targets(integration["Uri"])) == {target_function}, route
        # And API Gateway does no authorization and wants no usage-plan key: the functions check tenant API
        # keys, and a heartbeat's token is its credential
        assert routes[route]["AuthorizationType"] == "NONE", route
        assert not routes[route].get("ApiKeyRequired", False), route


def test_api_gateway_may_invoke_each_function_only_from_the_deployed_stage(vigil: SynthesizedVigil) -> None:
    # Given the permissions API Gateway holds (EventBridge's, for the probe scheduler, the alert evaluator and the
    # SLA report job, are in test_infra_probes)
    permissions = [
        p["Properties"]
        for p in vigil.of_type("AWS::Lambda::Permission").values()
        if p["Properties"]["Principal"] == "apigateway.amazonaws.com"
    ]
    api = vigil.stack.ingest_api
    # Then there is one per route, for the function behind it, scoped to this API's stage
    assert sorted(set(getatt_targets(p["FunctionName"])).pop() for p in permissions) == sorted(
        _expected_routes(vigil).values()
    )
    stage_id = vigil.logical_id(api.rest_api.deployment_stage)
    for permission in permissions:
        assert {"Ref": stage_id} in permission["SourceArn"]["Fn::Join"][1]
    # And nothing else may invoke the API's functions
    api_functions = set(_expected_routes(vigil).values())
    others = [
        p["Properties"]
        for p in vigil.of_type("AWS::Lambda::Permission").values()
        if p["Properties"]["Principal"] != "apigateway.amazonaws.com"
    ]
    assert not {target for p in others for target in getatt_targets(p["FunctionName"])} & api_functions


def test_stage_throttles_logs_and_traces_every_method(vigil: SynthesizedVigil) -> None:
    # Given the deployed stage
    stage = vigil.properties(vigil.stack.ingest_api.rest_api.deployment_stage)
    throttle = vigil.stack.config.api_throttle
    # Then it is "api", traced by X-Ray
    assert stage["StageName"] == "api"
    assert stage["TracingEnabled"] is True
    # And one method setting covers every resource and verb: cdk.json throttling, ERROR execution logs,
    # no full request logging (it would write API keys to CloudWatch)
    assert stage["MethodSettings"] == [
        {
            "ResourcePath": "/*",
            "HttpMethod": "*",
            "ThrottlingRateLimit": throttle.rate_limit,
            "ThrottlingBurstLimit": throttle.burst_limit,
            "LoggingLevel": "ERROR",
            "DataTraceEnabled": False,
        }
    ]
    assert (throttle.rate_limit, throttle.burst_limit) == (100, 200)


def test_access_logs_are_json_in_the_dedicated_log_group(vigil: SynthesizedVigil) -> None:
    # Given the stage's access log setting
    api = vigil.stack.ingest_api
    access_log = vigil.properties(api.rest_api.deployment_stage)["AccessLogSetting"]
    # Then it writes to the API's own access log group
    destination_parts = access_log["DestinationArn"]["Fn::Join"][1]
    assert {"Ref": vigil.logical_id(api.access_log_group)} in destination_parts
    # And each line is a JSON object with the fields dashboards and incident reviews need
    record = json.loads(access_log["Format"])
    assert set(record) >= ACCESS_LOG_FIELDS
    assert record["requestId"] == "$context.requestId"
    assert record["status"] == "$context.status"
    assert record["latency"] == "$context.responseLatency"


def test_api_gateway_account_can_write_execution_logs(vigil: SynthesizedVigil) -> None:
    # Given the account-level API Gateway settings
    accounts = vigil.of_type("AWS::ApiGateway::Account")
    # Then exactly one points at a role API Gateway can assume, kept when the stack is deleted
    assert len(accounts) == 1
    account = next(iter(accounts.values()))
    role_id = referenced_logical_id(account["Properties"]["CloudWatchRoleArn"])
    assert role_id is not None
    role = vigil.resources[role_id]
    assert role["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
        "Service": "apigateway.amazonaws.com"
    }
    assert role["DeletionPolicy"] == account["DeletionPolicy"] == "Retain"


def test_stack_outputs_the_api_url_the_alerts_topic_the_escalation_state_machine_and_the_sla_reports_once_each(
    vigil: SynthesizedVigil,
) -> None:
    # Given the stack outputs
    outputs = vigil.template.to_json()["Outputs"]
    api = vigil.stack.ingest_api
    # Then there are exactly six: ApiUrl, AlertsTopicArn, EscalationStateMachineArn, SlaReportsBucketName,
    # SlaReportsTopicArn (these two are checked in test_infra_sla) and OpsAlarmsTopicArn (test_infra_observability)
    assert list(outputs) == [
        "ApiUrl",
        "AlertsTopicArn",
        "EscalationStateMachineArn",
        "SlaReportsBucketName",
        "SlaReportsTopicArn",
        "OpsAlarmsTopicArn",
    ]
    machine = vigil.logical_id(vigil.stack.escalation.state_machine)
    assert outputs["EscalationStateMachineArn"]["Value"] == {"Ref": machine}
    # And ApiUrl is built from this API and its stage
    url_parts = outputs["ApiUrl"]["Value"]["Fn::Join"][1]
    assert {"Ref": vigil.logical_id(api.rest_api)} in url_parts
    assert {"Ref": vigil.logical_id(api.rest_api.deployment_stage)} in url_parts
    # And AlertsTopicArn is the alerts topic's ARN (a topic's Ref), for subscribers to find it
    assert outputs["AlertsTopicArn"]["Value"] == {"Ref": vigil.logical_id(vigil.stack.alerting.topic)}
