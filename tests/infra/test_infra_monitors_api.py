"""The monitors API on the shared REST API: which routes reach the monitors and heartbeat functions, what those
functions are told and what they may touch."""

from __future__ import annotations

import pytest
from constructs import IConstruct

from tests.infra.synthesized import (
    SynthesizedVigil,
    api_resource_paths,
    getatt_targets,
    grants_of_role,
    statements_of_role,
)
from vigil_core.settings import MonitorsApiSettings, load_settings
from vigil_infra.constructs.function import VigilFunction

pytestmark = pytest.mark.infra

WRITES = {"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem"}
READS = {"dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query"}
POWERTOOLS = {"POWERTOOLS_SERVICE_NAME", "POWERTOOLS_METRICS_NAMESPACE", "POWERTOOLS_LOG_LEVEL"}


def _function(vigil: SynthesizedVigil, name: str) -> VigilFunction:
    api = vigil.stack.monitors_api
    return {"monitors": api.monitors_function, "heartbeat": api.heartbeat_function}[name]


def _routes_to(vigil: SynthesizedVigil, function: VigilFunction) -> set[tuple[str, str]]:
    """(verb, full path) of every method whose integration invokes the function."""
    paths = api_resource_paths(vigil.resources)
    target = vigil.logical_id(function.function)
    return {
        (method["Properties"]["HttpMethod"], paths[method["Properties"]["ResourceId"]["Ref"]])
        for method in vigil.of_type("AWS::ApiGateway::Method").values()
        if target in set(getatt_targets(method["Properties"]["Integration"]["Uri"]))
    }


def test_the_monitors_function_serves_exactly_the_monitor_routes(vigil: SynthesizedVigil) -> None:
    # Given the methods that reach the monitors function
    routes = _routes_to(vigil, _function(vigil, "monitors"))
    # Then they are list and create, read, replace and delete one, and its results
    assert routes == {
        ("GET", "/v1/monitors"),
        ("POST", "/v1/monitors"),
        ("GET", "/v1/monitors/{id}"),
        ("PUT", "/v1/monitors/{id}"),
        ("DELETE", "/v1/monitors/{id}"),
        ("GET", "/v1/monitors/{id}/results"),
    }


def test_the_heartbeat_function_serves_a_beat_by_post_or_get_on_its_token(vigil: SynthesizedVigil) -> None:
    # Given the methods that reach the heartbeat function
    routes = _routes_to(vigil, _function(vigil, "heartbeat"))
    # Then a beat is a POST or a GET (a bare `curl` or a monitoring agent) on /v1/heartbeats/{token}
    assert routes == {("POST", "/v1/heartbeats/{token}"), ("GET", "/v1/heartbeats/{token}")}


def test_heartbeat_routes_are_acknowledged_as_token_authenticated(vigil: SynthesizedVigil) -> None:
    # Given the acknowledged nag findings on the heartbeat and monitors methods
    reasons = {
        (a.construct_path.rsplit("/", 2)[-2], a.construct_path.rsplit("/", 1)[-1], a.rule_id.split("-")[-1]): a.reason
        for a in vigil.acknowledgments
        if "/v1/heartbeats/" in a.construct_path or "/v1/monitors" in a.construct_path
    }
    # Then a heartbeat method's reason says the token is the credential; a monitors method's, the API key
    for (resource, verb, rule), reason in reasons.items():
        if resource == "{token}":
            assert "token" in reason and "credential" in reason, (verb, rule)
        else:
            assert "token" not in reason, (resource, verb, rule)
    assert {(verb, rule) for resource, verb, rule in reasons if resource == "{token}"} == {
        (verb, rule) for verb in ("POST", "GET") for rule in ("APIG4", "COG4")
    }


@pytest.mark.parametrize("name", ["monitors", "heartbeat"])
def test_the_environment_is_exactly_what_the_monitors_api_settings_read(vigil: SynthesizedVigil, name: str) -> None:
    # Given the function's environment
    variables = vigil.properties(_function(vigil, name).function)["Environment"]["Variables"]
    storage = vigil.stack.storage
    tables = {
        "CONFIG_TABLE_NAME": storage.config_table,
        "PROBES_TABLE_NAME": storage.probes_table,
        "SLA_WINDOWS_TABLE_NAME": storage.sla_windows_table,
    }
    # Then it holds the Powertools settings and exactly the variables MonitorsApiSettings reads
    assert set(variables) == POWERTOOLS | {field.upper() for field in MonitorsApiSettings.model_fields}
    assert variables["POWERTOOLS_SERVICE_NAME"] == f"vigil-{name}"
    # And each names the right table, and the settings load from them
    for variable, table in tables.items():
        assert variables[variable] == {"Ref": vigil.logical_id(table)}, variable
    stand_ins = {**variables, **{variable: f"stand-in-{variable.lower()}" for variable in tables}}
    assert load_settings(MonitorsApiSettings, stand_ins).config_table_name == "stand-in-config_table_name"


def test_the_monitors_function_manages_monitors_and_only_reads_sla_windows(vigil: SynthesizedVigil) -> None:
    # Given the monitors function's grants
    function = _function(vigil, "monitors")
    grants = grants_of_role(vigil.resources, vigil.logical_id(function.role))
    storage = vigil.stack.storage

    def on(table: IConstruct) -> set[str]:
        return {action for action, target in grants if target == vigil.logical_id(table)}

    # Then it reads and writes monitors (and their heartbeat tokens) and monitor states (deleted with them)
    assert on(storage.config_table) >= READS | WRITES
    assert on(storage.probes_table) >= READS | WRITES
    # And it only reads SLA windows, and never touches metrics, idempotency records or an index
    assert on(storage.sla_windows_table) >= READS
    assert not on(storage.sla_windows_table) & WRITES
    assert not on(storage.metrics_table) | on(storage.idempotency_table)
    assert not [target for _, target in grants if "/index/" in target]
    # And it sends nothing anywhere (no queue, no topic)
    assert not [action for action, _ in grants if action.startswith(("sqs:", "sns:"))]


def test_the_heartbeat_function_records_beats_and_cannot_change_monitors(vigil: SynthesizedVigil) -> None:
    # Given the heartbeat function's grants
    function = _function(vigil, "heartbeat")
    grants = grants_of_role(vigil.resources, vigil.logical_id(function.role))
    storage = vigil.stack.storage

    def on(table: IConstruct) -> set[str]:
        return {action for action, target in grants if target == vigil.logical_id(table)}

    # Then it finds the monitor by its token and records the beat on the monitor's state
    assert on(storage.config_table) >= {"dynamodb:GetItem"}
    assert on(storage.probes_table) >= {"dynamodb:GetItem", "dynamodb:UpdateItem"}
    # And an unauthenticated caller's function can change no monitor and reads nothing else
    assert not on(storage.config_table) & WRITES
    assert not on(storage.sla_windows_table) | on(storage.metrics_table) | on(storage.idempotency_table)
    assert not [target for _, target in grants if "/index/" in target]
    # And its only wildcard statement is X-Ray's
    wildcard = [s for s in statements_of_role(vigil.resources, vigil.logical_id(function.role)) if s["Resource"] == "*"]
    assert [set(statement["Action"]) for statement in wildcard] == [
        {"xray:PutTraceSegments", "xray:PutTelemetryRecords"}
    ]
