"""Stage configuration from CDK context, and the app's refusals: bad context, unbuilt layer.

These build the app without synthesizing it; only construction runs.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import RemovalPolicy

from tests.infra.synthesized import PROJECT_ROOT, make_fake_dependencies_layer
from vigil_infra.application import build_app, read_cdk_json_context
from vigil_infra.config import (
    ALERT_RULES_FILE_KEY,
    CONTEXT_KEYS,
    DEPENDENCIES_LAYER_PATH_KEY,
    ESCALATION_POLICIES_FILE_KEY,
    METRICS_TTL_DAYS_KEY,
    MONITORS_FILE_KEY,
    InvalidStackContextError,
    StackConfig,
)
from vigil_infra.constructs.layers import DependenciesLayerNotBuiltError

pytestmark = pytest.mark.infra


def _config_from(context: dict[str, Any]) -> StackConfig:
    return StackConfig.from_context(context.get)


@pytest.fixture
def cdk_json_context() -> dict[str, Any]:
    return read_cdk_json_context(PROJECT_ROOT)


def test_cdk_json_defaults_are_a_valid_dev_config(cdk_json_context: dict[str, Any]) -> None:
    # Given the context defaults in cdk.json
    # When parsing them
    config = _config_from(cdk_json_context)
    # Then they describe the dev stage as documented
    assert config.stage == "dev"
    assert (config.metrics_ttl_days.minute, config.metrics_ttl_days.hour, config.metrics_ttl_days.day) == (7, 90, 400)
    assert (config.api_throttle.rate_limit, config.api_throttle.burst_limit) == (100, 200)
    assert config.log_retention_days == 30
    assert config.dependencies_layer_path == Path("build/layer-deps")
    assert config.removal_policy == RemovalPolicy.DESTROY
    # And the files deployed as code are the repository root's
    assert (config.monitors_file, config.alert_rules_file, config.escalation_policies_file) == (
        "monitors.yaml",
        "alert-rules.yaml",
        "escalation-policies.yaml",
    )


def test_non_dev_stages_retain_their_data(cdk_json_context: dict[str, Any]) -> None:
    # Given a production stage / When parsing / Then tables and logs survive stack deletion
    config = _config_from({**cdk_json_context, "vigil:stage": "prod"})
    assert config.removal_policy == RemovalPolicy.RETAIN


def test_context_given_as_json_text_on_the_command_line_is_accepted(cdk_json_context: dict[str, Any]) -> None:
    # Given values as `cdk synth -c key=value` passes them: strings
    context = {
        **cdk_json_context,
        METRICS_TTL_DAYS_KEY: json.dumps({"minute": 1, "hour": 30, "day": 365}),
        "vigil:logRetentionDays": "14",
    }
    # When parsing
    config = _config_from(context)
    # Then they are decoded like their JSON equivalents
    assert config.metrics_ttl_days.hour == 30
    assert config.log_retention_days == 14


@pytest.mark.parametrize(
    ("key", "bad_value", "named_in_error"),
    [
        (METRICS_TTL_DAYS_KEY, {"minute": -1, "hour": 90, "day": 400}, "vigil:metricsTtlDays.minute"),
        (METRICS_TTL_DAYS_KEY, {"minute": 7, "hour": 90}, "vigil:metricsTtlDays.day"),
        (METRICS_TTL_DAYS_KEY, {"minute": 7, "hour": 90, "day": 30}, "vigil:metricsTtlDays"),
        (METRICS_TTL_DAYS_KEY, {"minutes": 7, "hour": 90, "day": 400}, "vigil:metricsTtlDays.minutes"),
        ("vigil:apiThrottle", {"rateLimit": 0, "burstLimit": 200}, "vigil:apiThrottle.rateLimit"),
        ("vigil:logRetentionDays", 31, "vigil:logRetentionDays"),
        ("vigil:stage", "Prod Stage", "vigil:stage"),
        (ESCALATION_POLICIES_FILE_KEY, 42, "vigil:escalationPoliciesFile"),
        (ESCALATION_POLICIES_FILE_KEY, ["escalation-policies.yaml"], "vigil:escalationPoliciesFile"),
    ],
)
def test_bad_context_value_fails_naming_the_key(
    cdk_json_context: dict[str, Any], key: str, bad_value: object, named_in_error: str
) -> None:
    # Given a context with one bad value
    context = {**cdk_json_context, key: bad_value}
    # When parsing / Then the error names the offending key
    with pytest.raises(InvalidStackContextError, match=re.escape(f"context key '{named_in_error}'")):
        _config_from(context)


def test_missing_context_key_is_an_error_not_a_silent_default(cdk_json_context: dict[str, Any]) -> None:
    # Given a context without the stage
    context = {key: value for key, value in cdk_json_context.items() if key != "vigil:stage"}
    # When parsing / Then it is reported as missing
    with pytest.raises(InvalidStackContextError, match=re.escape("context key 'vigil:stage': Field required")):
        _config_from(context)


@pytest.mark.parametrize("key", CONTEXT_KEYS)
def test_every_context_key_is_required(cdk_json_context: dict[str, Any], key: str) -> None:
    # Given the cdk.json context without one of the keys the stack reads
    assert key in cdk_json_context
    context = {other: value for other, value in cdk_json_context.items() if other != key}
    # When parsing / Then that key is reported as missing, by name
    with pytest.raises(InvalidStackContextError, match=re.escape(f"context key '{key}': Field required")):
        _config_from(context)


@pytest.mark.parametrize("key", [MONITORS_FILE_KEY, ALERT_RULES_FILE_KEY, ESCALATION_POLICIES_FILE_KEY])
def test_an_empty_file_setting_means_nothing_deployed_as_code(cdk_json_context: dict[str, Any], key: str) -> None:
    # Given a file setting passed as `-c key=` (an empty string)
    # When parsing / Then it is accepted as "no file", not as a missing key
    config = _config_from({**cdk_json_context, key: ""})
    assert config.model_dump(by_alias=True)[key] == ""


def test_building_the_app_with_negative_ttl_fails_naming_the_key(tmp_path: Path) -> None:
    # Given the app with a negative TTL in its context (as `cdk synth -c` or CDK_CONTEXT_JSON would pass)
    context = {
        DEPENDENCIES_LAYER_PATH_KEY: str(make_fake_dependencies_layer(tmp_path)),
        METRICS_TTL_DAYS_KEY: {"minute": -7, "hour": 90, "day": 400},
    }
    # When building it / Then construction stops with the key and the value in the message
    with pytest.raises(InvalidStackContextError, match=r"'vigil:metricsTtlDays\.minute'.*greater than 0.*-7"):
        build_app(PROJECT_ROOT, context_overrides=context, outdir=str(tmp_path / "cdk.out"))


@pytest.mark.parametrize("layer_state", ["missing folder", "folder without python/"])
def test_building_without_the_dependencies_layer_says_how_to_build_it(tmp_path: Path, layer_state: str) -> None:
    # Given a dependencies layer path that `make layer-deps` has not filled
    layer = tmp_path / "layer-deps"
    if layer_state == "folder without python/":
        layer.mkdir()
    # When building the app
    with pytest.raises(DependenciesLayerNotBuiltError) as raised:
        build_app(
            PROJECT_ROOT,
            context_overrides={DEPENDENCIES_LAYER_PATH_KEY: str(layer)},
            outdir=str(tmp_path / "cdk.out"),
        )
    # Then the message says what to run and what it expected
    assert str(raised.value) == f"dependencies layer not built: run `make layer-deps` (expected {layer}/python)"
