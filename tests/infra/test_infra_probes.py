"""Synthetic probes: the schedule rules and what they deliver, the shard and transition queues, the scheduler
and worker functions and their privileges, monitors.yaml validated and shipped at synth, vigil:probes.

Most tests read the session's one synthesis; the monitors.yaml and vigil:probes refusals happen while the app
is built (before any synthesis), and the empty monitors file is checked on the staged asset, also unsynthesized.
"""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.infra.synthesized import (
    PROJECT_ROOT,
    JsonObject,
    SynthesizedVigil,
    getatt_targets,
    grants_of_role,
    make_fake_dependencies_layer,
    referenced_logical_id,
    statements_of_role,
)
from tests.support import load_event
from vigil_core.settings import ProbeSettings, load_settings
from vigil_infra.application import build_app, read_cdk_json_context
from vigil_infra.config import (
    DEPENDENCIES_LAYER_PATH_KEY,
    MONITORS_FILE_KEY,
    PROBES_KEY,
    InvalidStackContextError,
    StackConfig,
)
from vigil_infra.constructs.probes import InvalidMonitorsFileError
from vigil_infra.stack import VigilStack

pytestmark = pytest.mark.infra

# Interval class (seconds) -> the rule's schedule: EventBridge fires at most once a minute.
EXPECTED_SCHEDULES = {
    30: "rate(1 minute)",
    60: "rate(1 minute)",
    300: "rate(5 minutes)",
    900: "rate(15 minutes)",
    1800: "rate(30 minutes)",
    3600: "rate(1 hour)",
}
SCHEDULED_TIME = "2026-11-22T18:00:00Z"
QUERY = "dynamodb:Query"
CONFIG_WRITES = {"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem"}


def _delivered(target: JsonObject) -> Any:
    """What EventBridge hands the target for a firing scheduled at SCHEDULED_TIME: its InputTransformer applied
    to the scheduled event (each <name> becomes the JSON of the value its path selects)."""
    transformer = target["InputTransformer"]
    scheduled_event = {"version": "0", "detail-type": "Scheduled Event", "source": "aws.events", "time": SCHEDULED_TIME}
    text = transformer["InputTemplate"]
    for name, path in transformer["InputPathsMap"].items():
        text = text.replace(f"<{name}>", json.dumps(scheduled_event[path.removeprefix("$.")]))
    return json.loads(text)


def _probe_rules(vigil: SynthesizedVigil) -> dict[str, JsonObject]:
    """The probes' schedule rules by logical id (alerting's minute rule is the template's only other rule)."""
    return {vigil.logical_id(rule): vigil.resource(rule) for rule in vigil.stack.probes.rules}


def _queue_ids(vigil: SynthesizedVigil) -> dict[str, str]:
    probes = vigil.stack.probes
    return {
        "shard": vigil.logical_id(probes.shard_queue),
        "shard_dead_letters": vigil.logical_id(probes.shard_dead_letters),
        "transitions": vigil.logical_id(probes.transitions_queue),
        "transitions_dead_letters": vigil.logical_id(probes.transitions_dead_letters),
    }


def _all_statements(vigil: SynthesizedVigil) -> list[JsonObject]:
    return [
        statement
        for role_id in vigil.of_type("AWS::IAM::Role")
        for statement in statements_of_role(vigil.resources, role_id)
    ]


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _index_resource(resource: Any) -> str | None:
    """The "/index/NAME" suffix of a resource built as Fn::Join [table ARN, "/index/NAME"], else None."""
    if isinstance(resource, dict) and "Fn::Join" in resource:
        parts = resource["Fn::Join"][1]
        return next((part for part in parts if isinstance(part, str) and "/index/" in part), None)
    if isinstance(resource, str) and "/index/" in resource:
        return resource[resource.index("/index/") :]
    return None


# --- schedule rules ---------------------------------------------------------------------------------


def test_one_schedule_rule_per_interval_class_fires_the_scheduler(vigil: SynthesizedVigil) -> None:
    # Given the probes' EventBridge rules, which with alerting's minute rule (it hands the evaluator the raw
    # scheduled event, see test_infra_alerting) and the SLA's monthly report rule (see test_infra_sla) are every
    # rule in the template
    rules = _probe_rules(vigil)
    other_rules = {vigil.logical_id(vigil.stack.alerting.schedule), vigil.logical_id(vigil.stack.sla.schedule)}
    assert set(vigil.of_type("AWS::Events::Rule")) == set(rules) | other_rules
    scheduler_id = vigil.logical_id(vigil.stack.probes.scheduler.function)
    # When reading what each delivers to its one target
    by_interval: dict[int, JsonObject] = {}
    for logical_id, rule in rules.items():
        properties = rule["Properties"]
        [target] = properties["Targets"]
        delivered = _delivered(target)
        # Then the target is the scheduler, not retried (a late run is worth less than the next one)
        assert referenced_logical_id(target["Arn"]) == scheduler_id, logical_id
        assert target["RetryPolicy"] == {"MaximumRetryAttempts": 0}, logical_id
        assert properties["State"] == "ENABLED" and "EventPattern" not in properties, logical_id
        # And it delivers exactly the interval class and the time the firing was scheduled for
        assert set(delivered) == {"interval", "time"} and delivered["time"] == SCHEDULED_TIME, logical_id
        by_interval[delivered["interval"]] = properties
    # And there is one rule per interval class, on its schedule (the 30 s class fires every minute)
    assert len(rules) == len(by_interval) == 6
    assert {interval: p["ScheduleExpression"] for interval, p in by_interval.items()} == EXPECTED_SCHEDULES


def _scheduler_handler(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """functions/probe_scheduler/handler.py, registered while it runs (its dataclasses look their module up)."""
    name = "vigil_infra_test_probe_scheduler_handler"
    spec = importlib.util.spec_from_file_location(name, PROJECT_ROOT / "functions" / "probe_scheduler" / "handler.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, name, module)
    spec.loader.exec_module(module)
    return module


def test_what_a_rule_delivers_is_what_the_scheduler_and_the_sample_event_expect(
    vigil: SynthesizedVigil, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given what the probes' one-minute rule delivers
    [one_minute] = [
        _delivered(rule["Properties"]["Targets"][0])
        for rule in _probe_rules(vigil).values()
        if _delivered(rule["Properties"]["Targets"][0])["interval"] == 60
    ]
    # When the scheduler's handler reads it
    scheduled = _scheduler_handler(monkeypatch).ScheduledProbeEvent.model_validate(one_minute)
    # Then it is that class at that time, and the sample event has the same shape
    assert (scheduled.interval, scheduled.time.isoformat()) == (60, "2026-11-22T18:00:00+00:00")
    assert set(load_event("probe_scheduler_every_1m")) == set(one_minute)


def test_eventbridge_may_invoke_the_scheduler_only_from_the_probe_rules(vigil: SynthesizedVigil) -> None:
    # Given the invoke permissions EventBridge holds, by the function each is for
    permissions = [
        p["Properties"]
        for p in vigil.of_type("AWS::Lambda::Permission").values()
        if p["Properties"]["Principal"] == "events.amazonaws.com"
    ]
    scheduler_id = vigil.logical_id(vigil.stack.probes.scheduler.function)
    evaluator_id = vigil.logical_id(vigil.stack.alerting.evaluator.function)
    reporter_id = vigil.logical_id(vigil.stack.sla.report_function.function)
    sources: dict[str, list[str]] = {}
    for permission in permissions:
        [function_id] = getatt_targets(permission["FunctionName"])
        sources.setdefault(function_id, []).append(referenced_logical_id(permission["SourceArn"]) or "")
    # Then each is scoped to one rule: the scheduler may be invoked by exactly the probe rules, one permission
    # each, and the only other functions EventBridge may invoke are the alert evaluator, by its minute rule, and
    # the SLA report job, by its monthly rule
    assert set(sources) == {scheduler_id, evaluator_id, reporter_id}
    assert sorted(sources[scheduler_id]) == sorted(_probe_rules(vigil))
    assert sources[evaluator_id] == [vigil.logical_id(vigil.stack.alerting.schedule)]
    assert sources[reporter_id] == [vigil.logical_id(vigil.stack.sla.schedule)]


# --- queues and the worker's event source -----------------------------------------------------------


def test_the_worker_takes_one_shard_at_a_time_from_the_shard_queue(vigil: SynthesizedVigil) -> None:
    # Given the template's event source mappings (the alert evaluator's two are checked in test_infra_alerting)
    mappings = [m["Properties"] for m in vigil.of_type("AWS::Lambda::EventSourceMapping").values()]
    worker_id = vigil.logical_id(vigil.stack.probes.worker.function)
    [mapping] = [m for m in mappings if referenced_logical_id(m["FunctionName"]) == worker_id]
    # Then the worker's only one feeds it from the shard queue, a shard per invocation, failures reported alone
    assert referenced_logical_id(mapping["EventSourceArn"]) == _queue_ids(vigil)["shard"]
    assert mapping["BatchSize"] == 1
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping.get("Enabled", True) is True
    assert "MaximumBatchingWindowInSeconds" not in mapping  # a queued shard starts at once
    # And nothing else consumes shards
    assert [referenced_logical_id(m["EventSourceArn"]) for m in mappings].count(_queue_ids(vigil)["shard"]) == 1


@pytest.mark.parametrize("queue", ["shard", "transitions"])
def test_each_queue_parks_a_message_in_its_dead_letter_queue_after_three_receives(
    vigil: SynthesizedVigil, queue: str
) -> None:
    # Given one of the probes' queues
    queues = _queue_ids(vigil)
    properties = vigil.resources[queues[queue]]["Properties"]
    # Then a message received three times without success moves to its own dead-letter queue
    redrive = properties["RedrivePolicy"]
    assert redrive["maxReceiveCount"] == 3
    assert referenced_logical_id(redrive["deadLetterTargetArn"]) == queues[f"{queue}_dead_letters"]
    # And the dead-letter queue keeps it for the longest SQS allows (14 days), with no redrive of its own
    dead_letters = vigil.resources[queues[f"{queue}_dead_letters"]]["Properties"]
    assert dead_letters["MessageRetentionPeriod"] == 14 * 24 * 3600
    assert "RedrivePolicy" not in dead_letters


def test_every_queue_is_encrypted_and_refuses_unencrypted_transport(vigil: SynthesizedVigil) -> None:
    # Given the eighteen queues (the probes' four, alerting's evaluation queue and its dead letters, each
    # notifier's queue and dead letters, and the escalator's) and the policies
    queues = vigil.of_type("AWS::SQS::Queue")
    alerting, escalation = vigil.stack.alerting, vigil.stack.escalation
    notifiers = vigil.stack.notifications.notifiers.values()
    assert set(queues) == set(_queue_ids(vigil).values()) | {
        vigil.logical_id(alerting.evaluation_queue),
        vigil.logical_id(alerting.evaluation_dead_letters),
        *(vigil.logical_id(notifier.queue) for notifier in notifiers),
        *(vigil.logical_id(notifier.dead_letters) for notifier in notifiers),
        vigil.logical_id(escalation.queue),
        vigil.logical_id(escalation.dead_letters),
    }
    assert len(queues) == 18
    denied_without_tls: set[str] = set()
    for policy in vigil.of_type("AWS::SQS::QueuePolicy").values():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            if statement["Effect"] == "Deny" and statement.get("Condition") == {
                "Bool": {"aws:SecureTransport": "false"}
            }:
                denied_without_tls |= {t for r in _as_list(statement["Resource"]) for t in getatt_targets(r)}
    # Then each is encrypted at rest with SQS-managed keys, and its policy denies requests without TLS
    for logical_id, queue in queues.items():
        assert queue["Properties"]["SqsManagedSseEnabled"] is True, logical_id
        assert "KmsMasterKeyId" not in queue["Properties"], logical_id
    assert denied_without_tls == set(queues)


def test_a_shard_stays_invisible_for_longer_than_a_worker_may_run(vigil: SynthesizedVigil) -> None:
    # Given the shard queue and the worker
    visibility = vigil.resources[_queue_ids(vigil)["shard"]]["Properties"]["VisibilityTimeout"]
    worker_timeout = vigil.properties(vigil.stack.probes.worker.function)["Timeout"]
    # Then no second worker can receive a shard while the first may still be running it (Lambda requires
    # at least the timeout; AWS recommends six times it, which leaves room for retries)
    assert worker_timeout == vigil.stack.config.probes.timeout_seconds
    assert visibility >= 6 * worker_timeout


# --- the functions -----------------------------------------------------------------------------------


def test_the_scheduler_environment_is_what_its_settings_read_from_vigil_probes(vigil: SynthesizedVigil) -> None:
    # Given the scheduler's environment, the tables and queues, and the vigil:probes context (cdk.json)
    variables = vigil.properties(vigil.stack.probes.scheduler.function)["Environment"]["Variables"]
    storage, probes, options = vigil.stack.storage, vigil.stack.probes, vigil.stack.config.probes
    # Then it holds the Powertools settings and exactly the variables ProbeSettings reads
    powertools = {"POWERTOOLS_SERVICE_NAME", "POWERTOOLS_METRICS_NAMESPACE", "POWERTOOLS_LOG_LEVEL"}
    assert set(variables) == powertools | {field.upper() for field in ProbeSettings.model_fields}
    assert variables["POWERTOOLS_SERVICE_NAME"] == "vigil-probe-scheduler"
    # And each resource variable names the right table or queue (a queue's Ref is its URL)
    resources = {
        "CONFIG_TABLE_NAME": storage.config_table,
        "PROBES_TABLE_NAME": storage.probes_table,
        "SLA_WINDOWS_TABLE_NAME": storage.sla_windows_table,
        "PROBE_SHARD_QUEUE_URL": probes.shard_queue,
        "PROBE_TRANSITIONS_QUEUE_URL": probes.transitions_queue,
    }
    for variable, resource in resources.items():
        assert variables[variable] == {"Ref": vigil.logical_id(resource)}, variable
    # And the probe options come from vigil:probes, the deadline leaving 15 s to record results
    assert (options.concurrency, options.max_shard_size, options.timeout_seconds) == (256, 1000, 120)
    literal = {key: value for key, value in variables.items() if key not in resources}
    settings = load_settings(ProbeSettings, {**literal, **{key: f"stand-in-{key.lower()}" for key in resources}})
    assert (settings.probe_concurrency, settings.probe_max_shard_size) == (256, 1000)
    assert settings.probe_deadline_seconds == 120 - 15
    assert settings.probe_canary_url == options.canary_url == "https://sts.amazonaws.com/"
    # And it points at the monitors.json shipped beside its handler
    assert settings.monitors_file == "monitors.json"


def test_the_worker_runs_with_the_same_probe_settings(vigil: SynthesizedVigil) -> None:
    # Given both probe functions' environments
    probes = vigil.stack.probes
    scheduler = vigil.properties(probes.scheduler.function)["Environment"]["Variables"]
    worker = vigil.properties(probes.worker.function)["Environment"]["Variables"]
    # Then the worker judges with the same tables, queues and limits; only its service name differs, and it
    # has no monitors file (applying monitors.yaml is the scheduler's job)
    different = {key for key in scheduler.keys() | worker.keys() if scheduler.get(key) != worker.get(key)}
    assert different == {"POWERTOOLS_SERVICE_NAME", "MONITORS_FILE"}
    assert worker["POWERTOOLS_SERVICE_NAME"] == "vigil-probe-worker"
    assert "MONITORS_FILE" not in worker


def test_the_scheduler_ships_monitors_yaml_as_normalized_json_beside_its_handler(vigil: SynthesizedVigil) -> None:
    # Given the scheduler's staged code asset, and monitors.yaml (vigil:monitorsFile in cdk.json)
    staged = vigil.assembly_dir / vigil.resource(vigil.stack.probes.scheduler.function)["Metadata"]["aws:asset:path"]
    assert vigil.stack.config.monitors_file == "monitors.yaml"
    # Then it is the handler folder plus monitors.json, the file's monitors as a document
    files = {path.name for path in staged.iterdir() if path.name != "__pycache__"}
    source = PROJECT_ROOT / "functions" / "probe_scheduler"
    assert files == {path.name for path in source.iterdir() if path.name != "__pycache__"} | {"monitors.json"}
    assert (staged / "handler.py").read_bytes() == (source / "handler.py").read_bytes()
    assert json.loads((staged / "monitors.json").read_text())["monitors"] == []


# --- least privilege ---------------------------------------------------------------------------------


def test_the_worker_reads_config_but_never_writes_it_nor_queries_the_index(vigil: SynthesizedVigil) -> None:
    # Given the worker's grants
    probes, storage = vigil.stack.probes, vigil.stack.storage
    grants = grants_of_role(vigil.resources, vigil.logical_id(probes.worker.role))
    config = vigil.logical_id(storage.config_table)
    # Then it reads monitors from the config table and cannot change them
    config_actions = {action for action, target in grants if target == config}
    assert {"dynamodb:GetItem", "dynamodb:BatchGetItem"} <= config_actions
    assert not config_actions & CONFIG_WRITES
    # And it has no index at all, records states and SLA windows, hands on transitions, and only consumes shards
    assert not [target for _, target in grants if "/index/" in target]
    for table in (storage.probes_table, storage.sla_windows_table):
        assert {"dynamodb:PutItem", "dynamodb:UpdateItem"} <= {a for a, t in grants if t == vigil.logical_id(table)}
    queues = _queue_ids(vigil)
    assert {a for a, t in grants if t == queues["transitions"]} >= {"sqs:SendMessage"}
    assert {a for a, t in grants if t == queues["shard"]} >= {"sqs:ReceiveMessage", "sqs:DeleteMessage"}
    assert "sqs:SendMessage" not in {a for a, t in grants if t == queues["shard"]}


def test_only_the_scheduler_may_query_the_by_interval_index_and_nobody_gets_every_index(
    vigil: SynthesizedVigil,
) -> None:
    # Given every statement of every role in the stack
    storage = vigil.stack.storage
    scheduler_role = vigil.logical_id(vigil.stack.probes.scheduler.role)
    evaluator_role = vigil.logical_id(vigil.stack.alerting.evaluator.role)
    sla_api_role = vigil.logical_id(vigil.stack.sla.api_function.role)
    reporter_role = vigil.logical_id(vigil.stack.sla.report_function.role)
    dashboard_role = vigil.logical_id(vigil.stack.dashboard_api.dashboard_function.role)
    config, alerts = vigil.logical_id(storage.config_table), vigil.logical_id(storage.alerts_table)
    index_grants: list[tuple[str, str, str, set[str]]] = []
    for role_id in vigil.of_type("AWS::IAM::Role"):
        for statement in statements_of_role(vigil.resources, role_id):
            for resource in _as_list(statement["Resource"]):
                if (suffix := _index_resource(resource)) is not None:
                    # (an index ARN is built on its table's own ARN; only config and alerts have indexes)
                    [table] = getatt_targets(resource)
                    assert table in {config, alerts}, (role_id, resource)
                    index_grants.append((role_id, table, suffix, set(_as_list(statement["Action"]))))
    # Then no statement names index/*
    assert not [grant for grant in index_grants if grant[2].endswith("/*")]
    assert not re.search(r"/index/\*", json.dumps(_all_statements(vigil)))
    # And the only Query on by-interval is the scheduler's
    assert [
        role for role, _, suffix, actions in index_grants if suffix == "/index/by-interval" and QUERY in actions
    ] == [scheduler_role]
    # And the config table's index grants are exactly the scheduler's on by-interval, and the alert evaluator's
    # (its rules and policies across tenants), the SLA API's and report job's (every tenant and its SLOs) and the
    # dashboard's (every tenant, for the platform overview) on by-kind, each a Query; nobody else gets a config index
    config_index_grants = [
        (role, suffix, QUERY in actions) for role, table, suffix, actions in index_grants if table == config
    ]
    assert sorted(config_index_grants) == sorted(
        [
            (scheduler_role, "/index/by-interval", True),
            (evaluator_role, "/index/by-kind", True),
            (sla_api_role, "/index/by-kind", True),
            (reporter_role, "/index/by-kind", True),
            (dashboard_role, "/index/by-kind", True),
        ]
    )


def test_the_scheduler_may_write_config_to_apply_monitors_yaml_and_queue_shards(vigil: SynthesizedVigil) -> None:
    # Given the scheduler's grants
    probes, storage = vigil.stack.probes, vigil.stack.storage
    grants = grants_of_role(vigil.resources, vigil.logical_id(probes.scheduler.role))
    queues = _queue_ids(vigil)
    # Then it writes the config table (monitors as code), sends shards and transitions, and consumes nothing
    assert {a for a, t in grants if t == vigil.logical_id(storage.config_table)} >= CONFIG_WRITES
    assert "sqs:SendMessage" in {a for a, t in grants if t == queues["shard"]}
    assert "sqs:SendMessage" in {a for a, t in grants if t == queues["transitions"]}
    assert not {a for a, _ in grants if a in {"sqs:ReceiveMessage", "sqs:DeleteMessage"}}
    # And neither probe function may touch the metrics or idempotency tables, nor the dead-letter queues
    forbidden = {
        vigil.logical_id(storage.metrics_table),
        vigil.logical_id(storage.idempotency_table),
        queues["shard_dead_letters"],
        queues["transitions_dead_letters"],
    }
    for function in (probes.scheduler, probes.worker):
        assert not {t for _, t in grants_of_role(vigil.resources, vigil.logical_id(function.role))} & forbidden


# --- monitors.yaml and vigil:probes, refused while the app is built ----------------------------------


@pytest.fixture(scope="module")
def fake_layer(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_fake_dependencies_layer(tmp_path_factory.mktemp("probes-layer"))


def _build(fake_layer: Path, outdir: Path, **context: Any) -> VigilStack:
    overrides = {DEPENDENCIES_LAYER_PATH_KEY: str(fake_layer), "aws:cdk:enable-asset-metadata": True, **context}
    return build_app(PROJECT_ROOT, context_overrides=overrides, outdir=str(outdir)).stack


BAD_MONITORS = {
    "a bad field": (
        "monitors:\n  - {tenant: acme, name: Shop, type: http, target: 'ftp://shop.example', interval: 1m}\n",
        "monitors[0].target: must be an http:// or https:// URL",
    ),
    "an interval that is no class": (
        "monitors:\n  - {tenant: acme, name: Shop, type: tcp, target: 'db.internal:5432', interval: 7m}\n",
        "monitors[0].interval: must be one of 30s, 1m, 5m, 15m, 30m, 1h",
    ),
    "a missing tenant": (
        "monitors:\n  - {name: Shop, type: http, target: 'https://shop.example'}\n",
        "monitors[0].tenant: is required",
    ),
    "broken YAML": ("monitors: [\n", "not valid YAML"),
}


@pytest.mark.parametrize("case", sorted(BAD_MONITORS))
def test_a_bad_monitors_file_fails_the_build_naming_the_file_the_field_and_the_problem(
    fake_layer: Path, tmp_path: Path, case: str
) -> None:
    # Given a monitors file with one mistake, named by vigil:monitorsFile
    text, problem = BAD_MONITORS[case]
    monitors_file = tmp_path / "monitors.yaml"
    monitors_file.write_text(text)
    # When the app is built
    with pytest.raises(InvalidMonitorsFileError) as raised:
        _build(fake_layer, tmp_path / "cdk.out", **{MONITORS_FILE_KEY: str(monitors_file)})
    # Then nothing is synthesized, and the message names the file, the field and what is wrong
    assert str(raised.value).startswith(f"{monitors_file}: ")
    assert problem in str(raised.value)


def test_a_missing_monitors_file_fails_the_build_naming_it(fake_layer: Path, tmp_path: Path) -> None:
    # Given vigil:monitorsFile naming a file that does not exist (relative to the repository root)
    # When the app is built / Then the error names the file it looked for and why it could not read it
    with pytest.raises(InvalidMonitorsFileError, match=r"/no-such-monitors\.yaml: cannot be read: No such file"):
        _build(fake_layer, tmp_path / "cdk.out", **{MONITORS_FILE_KEY: "no-such-monitors.yaml"})


def test_an_empty_monitors_file_setting_ships_no_monitors_json(fake_layer: Path, tmp_path: Path) -> None:
    # Given vigil:monitorsFile set to "" (no monitors as code)
    stack = _build(fake_layer, tmp_path / "cdk.out", **{MONITORS_FILE_KEY: ""})
    # When the scheduler's code asset is staged
    resource = stack.probes.scheduler.function.node.default_child
    staged = tmp_path / "cdk.out" / str(resource.get_metadata("aws:asset:path"))  # type: ignore[union-attr]
    # Then it is the handler folder alone, with no monitors.json
    source = PROJECT_ROOT / "functions" / "probe_scheduler"
    assert sorted(p.name for p in staged.iterdir()) == sorted(p.name for p in source.glob("*.py"))
    assert not (staged / "monitors.json").exists()


@pytest.mark.parametrize(
    ("change", "named_in_error"),
    [
        ({"timeoutSeconds": 5}, "vigil:probes.timeoutSeconds"),
        ({"timeoutSeconds": 901}, "vigil:probes.timeoutSeconds"),
        ({"concurrency": 0}, "vigil:probes.concurrency"),
        ({"maxShardSize": 10001}, "vigil:probes.maxShardSize"),
        ({"canaryUrl": "ftp://canary.example"}, "vigil:probes.canaryUrl"),
        ({"retries": 2}, "vigil:probes.retries"),
    ],
)
def test_bad_probe_options_fail_naming_the_context_key(change: dict[str, Any], named_in_error: str) -> None:
    # Given cdk.json's context with one bad vigil:probes value (or an unknown key)
    context = read_cdk_json_context(PROJECT_ROOT)
    context[PROBES_KEY] = {**context[PROBES_KEY], **change}
    # When it is read / Then the error names the key
    with pytest.raises(InvalidStackContextError, match=re.escape(f"context key '{named_in_error}'")):
        StackConfig.from_context(context.get)


def test_probe_options_given_as_json_text_on_the_command_line_are_accepted(fake_layer: Path, tmp_path: Path) -> None:
    # Given vigil:probes as `cdk synth -c vigil:probes=...` passes it: a string, with a 60 s timeout
    probes = {**read_cdk_json_context(PROJECT_ROOT)[PROBES_KEY], "timeoutSeconds": 60}
    # When the app is built with it
    stack = _build(fake_layer, tmp_path / "cdk.out", **{PROBES_KEY: json.dumps(probes)})
    # Then the probe functions get that timeout, and the deadline leaves the recording margin
    assert stack.config.probes.timeout_seconds == 60
    assert stack.config.probes.deadline_seconds == 45


def test_both_probe_functions_get_a_whole_vcpu(vigil: SynthesizedVigil) -> None:
    # Given the probe functions, whose runs are CPU-bound
    probes = vigil.stack.probes
    # Then each gets 1,769 MB, the memory at which Lambda allots one full vCPU
    for probe in (probes.scheduler, probes.worker):
        assert vigil.properties(probe.function)["MemorySize"] == 1769
