"""Lambda functions: runtime, packaging, logging, tracing, environment and their own roles.

The monitors API's, the probes', the alerting functions', the notifiers' and the SLA functions' environments are
checked in test_infra_monitors_api, test_infra_probes, test_infra_alerting, test_infra_notifications and
test_infra_sla."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.infra.synthesized import PROJECT_ROOT, SynthesizedVigil, referenced_logical_id
from vigil_core.models.notifications import ChannelType
from vigil_infra.constructs.function import VigilFunction

pytestmark = pytest.mark.infra

POWERTOOLS_ENVIRONMENT = {
    "POWERTOOLS_METRICS_NAMESPACE": "Vigil",
    "POWERTOOLS_LOG_LEVEL": "INFO",
}


FUNCTION_NAMES = [
    "ingest",
    "query",
    "monitors",
    "heartbeat",
    "probe-scheduler",
    "probe-worker",
    "alert-evaluator",
    "alerts",
    "notifier-slack",
    "notifier-webhook",
    "notifier-pagerduty",
    "notifier-email",
    "notifier-sms",
    "escalator",
    "sla",
    "sla-reporter",
    "dashboard",
    "account",
]
PROBE_FUNCTIONS = {"probe-scheduler", "probe-worker"}
# One notifier per channel type, all from the one functions/notifier folder (CHANNEL_TYPE tells them apart).
NOTIFIER_FUNCTIONS = {f"notifier-{channel_type.value}" for channel_type in ChannelType}
# A whole minute's evaluation of every tenant's rules (and the outbox and due groups) may take longer than an
# API answer; its queues hide a message for six times this.
ALERT_EVALUATOR_TIMEOUT_SECONDS = 60
# A notifier's batch of ten deliveries, each with its HTTP retries, within a minute; its queue hides a message
# for six times this.
NOTIFIER_TIMEOUT_SECONDS = 60
# The SLA API's platform-wide report and the dashboard's platform overview read every tenant's windows: as long as
# API Gateway waits for an integration.
SLA_API_TIMEOUT_SECONDS = 29
# The monthly report job writes every tenant's reports in one run: Lambda's longest timeout.
SLA_REPORT_JOB_TIMEOUT_SECONDS = 900


def _functions(vigil: SynthesizedVigil) -> dict[str, VigilFunction]:
    stack = vigil.stack
    return {
        "ingest": stack.ingest_api.ingest_function,
        "query": stack.ingest_api.query_function,
        "monitors": stack.monitors_api.monitors_function,
        "heartbeat": stack.monitors_api.heartbeat_function,
        "probe-scheduler": stack.probes.scheduler,
        "probe-worker": stack.probes.worker,
        "alert-evaluator": stack.alerting.evaluator,
        "alerts": stack.alerting.api_function,
        **{
            f"notifier-{channel_type.value}": notifier.notifier
            for channel_type, notifier in stack.notifications.notifiers.items()
        },
        "escalator": stack.escalation.escalator,
        "sla": stack.sla.api_function,
        "sla-reporter": stack.sla.report_function,
        "dashboard": stack.dashboard_api.dashboard_function,
        "account": stack.dashboard_api.account_function,
    }


def test_there_are_exactly_the_eighteen_functions(vigil: SynthesizedVigil) -> None:
    # Given the stack / When counting functions / Then only the API's four, the probes' two, alerting's two
    # (the evaluator and the alerts API), the five notifiers (one per channel type), the escalator, the SLA's
    # two (the SLA API and the monthly report job), the dashboard (status pages, overview, Prometheus export)
    # and the account function (keys, status page settings) exist (no helper Lambdas such as the LogRetention
    # custom resource)
    assert len(FUNCTION_NAMES) == 18
    vigil.template.resource_count_is("AWS::Lambda::Function", len(FUNCTION_NAMES))
    assert sorted(function.name for function in _functions(vigil).values()) == sorted(FUNCTION_NAMES)
    assert not [r for r in vigil.resources.values() if r["Type"].startswith("Custom::")]


@pytest.mark.parametrize("name", FUNCTION_NAMES)
def test_function_runtime_packaging_logging_and_tracing(vigil: SynthesizedVigil, name: str) -> None:
    # Given one of the functions
    function = _functions(vigil)[name]
    # When reading its CloudFormation properties
    properties = vigil.properties(function.function)
    # Then it runs python3.13 on Graviton with the shared handler convention
    assert properties["Runtime"] == "python3.13"
    assert properties["Architectures"] == ["arm64"]
    assert properties["Handler"] == "handler.handler"
    # And API functions answer within 10 s on 512 MB; probe runs get vigil:probes' timeout and more CPU, and the
    # alert evaluator and the notifiers a minute on 512 MB, the escalator (ten transitions a batch, each a few
    # DynamoDB reads and a Step Functions call) half a minute, the SLA API as long as API Gateway waits (29 s) and
    # the monthly report job Lambda's fifteen minutes
    if name in PROBE_FUNCTIONS:
        assert (properties["MemorySize"], properties["Timeout"]) == (1769, vigil.stack.config.probes.timeout_seconds)
    elif name == "alert-evaluator":
        assert (properties["MemorySize"], properties["Timeout"]) == (512, ALERT_EVALUATOR_TIMEOUT_SECONDS)
    elif name in NOTIFIER_FUNCTIONS:
        assert (properties["MemorySize"], properties["Timeout"]) == (512, NOTIFIER_TIMEOUT_SECONDS)
    elif name == "escalator":
        assert (properties["MemorySize"], properties["Timeout"]) == (512, 30)
    elif name in {"sla", "dashboard"}:
        assert (properties["MemorySize"], properties["Timeout"]) == (512, SLA_API_TIMEOUT_SECONDS)
    elif name == "sla-reporter":
        assert (properties["MemorySize"], properties["Timeout"]) == (512, SLA_REPORT_JOB_TIMEOUT_SECONDS)
    else:
        assert (properties["MemorySize"], properties["Timeout"]) == (512, 10)
    # And it traces with X-Ray and logs JSON into its own log group
    assert properties["TracingConfig"] == {"Mode": "Active"}
    assert properties["LoggingConfig"]["LogFormat"] == "JSON"
    assert referenced_logical_id(properties["LoggingConfig"]["LogGroup"]) == vigil.logical_id(function.log_group)
    # And it carries both layers
    layers = vigil.stack.layers
    assert {referenced_logical_id(layer) for layer in properties["Layers"]} == {
        vigil.logical_id(layers.core_layer),
        vigil.logical_id(layers.dependencies_layer),
    }


# The probe scheduler's asset also holds monitors.json (test_infra_probes), the alert evaluator's
# alert-rules.json (test_infra_alerting), the alerts API's and the escalator's escalation-policies.json
# (test_infra_escalation_policies).
DOCUMENT_FUNCTIONS = {"probe-scheduler", "alert-evaluator", "alerts", "escalator"}


@pytest.mark.parametrize("name", sorted(set(FUNCTION_NAMES) - DOCUMENT_FUNCTIONS))
def test_function_code_is_its_own_functions_folder(vigil: SynthesizedVigil, name: str) -> None:
    # Given asset metadata (the emulator finds handler code through it)
    resource = vigil.resource(_functions(vigil)[name].function)
    # When opening the staged code asset
    staged = vigil.assembly_dir / resource["Metadata"]["aws:asset:path"]
    folder = "notifier" if name in NOTIFIER_FUNCTIONS else name.replace("-", "_")
    source = PROJECT_ROOT / "functions" / folder

    # Then it is a copy of functions/<name> (functions/notifier for every notifier), byte for byte
    def files(root: Path) -> dict[str, bytes]:
        return {
            str(path.relative_to(root)): path.read_bytes()
            for path in root.rglob("*")
            if path.is_file() and "__pycache__" not in path.parts
        }

    assert files(staged) == files(source)


def test_layers_target_python313_on_arm64(vigil: SynthesizedVigil) -> None:
    # Given the two layers / When reading them / Then both match the functions' runtime and architecture
    layers = vigil.of_type("AWS::Lambda::LayerVersion")
    assert len(layers) == 2
    for layer in layers.values():
        assert layer["Properties"]["CompatibleRuntimes"] == ["python3.13"]
        assert layer["Properties"]["CompatibleArchitectures"] == ["arm64"]
        assert "aws:asset:path" in layer["Metadata"]


@pytest.mark.parametrize(
    ("name", "resource_variables"),
    [
        (
            "ingest",
            {
                "CONFIG_TABLE_NAME": "storage.config_table",
                "METRICS_TABLE_NAME": "storage.metrics_table",
                "IDEMPOTENCY_TABLE_NAME": "storage.idempotency_table",
                "SLA_WINDOWS_TABLE_NAME": "storage.sla_windows_table",  # metric SLOs' event counters
                # Rules on the pushed metrics are evaluated at once, not at the next minute.
                "ALERT_EVALUATION_QUEUE_URL": "alerting.evaluation_queue",
            },
        ),
        ("query", {"CONFIG_TABLE_NAME": "storage.config_table", "METRICS_TABLE_NAME": "storage.metrics_table"}),
    ],
)
def test_function_environment_is_exactly_what_its_settings_read(
    vigil: SynthesizedVigil, name: str, resource_variables: dict[str, str]
) -> None:
    # Given one function's environment
    variables = vigil.properties(_functions(vigil)[name].function)["Environment"]["Variables"]
    ttl_days = vigil.stack.config.metrics_ttl_days
    ttl_variables = (
        {
            "METRICS_TTL_MINUTE_DAYS": str(ttl_days.minute),
            "METRICS_TTL_HOUR_DAYS": str(ttl_days.hour),
            "METRICS_TTL_DAY_DAYS": str(ttl_days.day),
        }
        if name == "ingest"
        else {}
    )
    # Then it holds exactly the Powertools settings, its resources and (ingest only) the TTL days
    assert set(variables) == {"POWERTOOLS_SERVICE_NAME", *POWERTOOLS_ENVIRONMENT, *resource_variables, *ttl_variables}
    assert variables["POWERTOOLS_SERVICE_NAME"] == f"vigil-{name}"
    assert {key: variables[key] for key in POWERTOOLS_ENVIRONMENT} == POWERTOOLS_ENVIRONMENT
    assert {key: variables[key] for key in ttl_variables} == ttl_variables
    # And each resource variable names the right table or queue (not just any; a queue's Ref is its URL)
    for variable, attribute_path in resource_variables.items():
        construct_name, attribute = attribute_path.split(".")
        resource = getattr(getattr(vigil.stack, construct_name), attribute)
        assert variables[variable] == {"Ref": vigil.logical_id(resource)}, variable


def test_log_groups_keep_logs_for_the_configured_retention(vigil: SynthesizedVigil) -> None:
    # Given the default log retention from cdk.json (30 days)
    assert vigil.stack.config.log_retention_days == 30
    # When reading every log group (one per function + API access logs + the escalation state machine's)
    log_groups = vigil.of_type("AWS::Logs::LogGroup")
    # Then each one is explicit, with that retention
    assert len(log_groups) == len(FUNCTION_NAMES) + 2
    assert {group["Properties"]["RetentionInDays"] for group in log_groups.values()} == {30}


@pytest.mark.parametrize("name", FUNCTION_NAMES)
def test_function_role_uses_no_aws_managed_policies(vigil: SynthesizedVigil, name: str) -> None:
    # Given the function's own role
    function = _functions(vigil)[name]
    role = vigil.properties(function.role)
    # Then it trusts only Lambda and has no managed policy (AWSLambdaBasicExecutionRole writes to all logs)
    assert role["AssumeRolePolicyDocument"]["Statement"] == [
        {"Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}}
    ]
    assert "ManagedPolicyArns" not in role
    # And the function really runs as that role
    assert referenced_logical_id(vigil.properties(function.function)["Role"]) == vigil.logical_id(function.role)
