"""The function registry: code from asset folders, per-function environment, logs, look-ups."""

from __future__ import annotations

import json
import os
from typing import Any

import pytest

from vigil_cli.local.errors import FunctionError, FunctionNotFoundError, UnsupportedResourceError

from .conftest import StartCloud
from .templates import function, template

pytestmark = pytest.mark.integration


def _api_event() -> dict[str, Any]:
    return {"httpMethod": "GET", "path": "/direct"}


def _two_functions() -> dict[str, Any]:
    return template(
        {
            "EchoA": function("echo", service="vigil-alpha", env={"GREETING": "from alpha"}, memory=512),
            "EchoB": function("echo", env={"OTHER_ONLY": "from beta", "TABLE_NAME": {"Ref": "AWS::StackName"}}),
        }
    )


def _env_seen(result: dict[str, Any]) -> dict[str, Any]:
    env: dict[str, Any] = json.loads(result["body"])["env"]
    return env


def test_each_handler_sees_only_its_own_environment_and_the_backend(
    monkeypatch: pytest.MonkeyPatch, start_cloud: StartCloud
) -> None:
    # (monkeypatch first: it must undo its changes after the cloud has restored the environment)
    # Given two functions with different variables, and a host with its own AWS settings
    monkeypatch.setenv("AWS_PROFILE", "a-real-profile")
    monkeypatch.setenv("_X_AMZN_TRACE_ID", "Root=1-host")
    cloud = start_cloud(_two_functions())

    # When both are invoked
    alpha = _env_seen(cloud.invoke("alpha", _api_event()))
    beta = _env_seen(cloud.invoke("EchoB", _api_event()))

    # Then each saw its own variables (resolved), the local overrides, and nothing of the other or the host
    assert alpha["GREETING"] == "from alpha"
    assert alpha["OTHER_ONLY"] is None
    assert beta["OTHER_ONLY"] == "from beta"
    assert beta["GREETING"] is None
    assert beta["TABLE_NAME"] == "Vigil"
    for seen in (alpha, beta):
        assert seen["AWS_ENDPOINT_URL"] == cloud.backend_url
        assert seen["AWS_REGION"] == seen["AWS_DEFAULT_REGION"] == "us-east-1"
        assert seen["POWERTOOLS_TRACE_DISABLED"] == "true"
        assert seen["_X_AMZN_TRACE_ID"] is None
        assert seen["AWS_PROFILE"] is None
    assert alpha["AWS_LAMBDA_FUNCTION_NAME"] == cloud.physical_id("EchoA")
    assert alpha["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "512"
    # and the process environment is back to the running cloud's
    assert "GREETING" not in os.environ
    assert os.environ["_X_AMZN_TRACE_ID"] == "Root=1-host"
    assert os.environ["AWS_ENDPOINT_URL"] == cloud.backend_url


def test_functions_are_found_by_short_name_logical_id_name_and_arn(start_cloud: StartCloud) -> None:
    cloud = start_cloud(_two_functions())
    registry = cloud.functions
    alpha = registry.get("alpha")
    assert registry.get("EchoA") is alpha
    assert registry.get(cloud.physical_id("EchoA")) is alpha
    assert registry.get(cloud.attribute("EchoA", "Arn")) is alpha
    assert registry.names() == ["EchoB", "alpha"]


def test_unknown_function_error_lists_the_known_ones(start_cloud: StartCloud) -> None:
    cloud = start_cloud(_two_functions())
    with pytest.raises(FunctionNotFoundError, match=r"unknown function 'ingest'; known functions: EchoB, alpha"):
        cloud.invoke("ingest", {})


def test_handler_module_state_is_private_to_each_cloud(start_cloud: StartCloud) -> None:
    cloud = start_cloud(_two_functions())
    cloud.invoke("alpha", _api_event())
    cloud.invoke("EchoB", _api_event())
    module_names = [loaded.module_name for loaded in cloud.functions._loaded.values()]
    assert len(set(module_names)) == 2


def test_a_raising_handler_fails_the_invocation_with_its_error(start_cloud: StartCloud) -> None:
    cloud = start_cloud(template({"Boom": function("boom")}))
    with pytest.raises(FunctionError) as failure:
        cloud.invoke("Boom", {})
    assert failure.value.error_type == "RuntimeError"
    assert failure.value.error_message == "boom from the toy handler"
    log = cloud.functions.log_path("Boom").read_text()
    assert log.startswith("START RequestId: ")
    assert "[ERROR] RuntimeError: boom from the toy handler" in log
    assert "REPORT RequestId: " in log


def test_non_python_runtime_is_refused_naming_the_function(start_cloud: StartCloud) -> None:
    node = function("echo")
    node["Properties"]["Runtime"] = "nodejs20.x"
    with pytest.raises(UnsupportedResourceError, match=r"AWS::Lambda::Function \(Provider\).*nodejs20.x"):
        start_cloud(template({"Provider": node}))


def test_function_without_asset_metadata_is_refused(start_cloud: StartCloud) -> None:
    bare = function("echo")
    del bare["Metadata"]
    with pytest.raises(UnsupportedResourceError, match="aws:cdk:enable-asset-metadata"):
        start_cloud(template({"Fn": bare}))


def test_layers_must_exist_in_the_stack_unless_they_are_public(start_cloud: StartCloud) -> None:
    # Given a function using a layer of the stack and the public Powertools layer
    layered = function("echo")
    layered["Properties"]["Layers"] = [
        {"Ref": "CoreLayer"},
        "arn:aws:lambda:us-east-1:017000801446:layer:AWSLambdaPowertoolsPythonV3-python313-arm64:7",
    ]
    core_layer = {
        "Type": "AWS::Lambda::LayerVersion",
        "Properties": {"CompatibleRuntimes": ["python3.13"], "Content": {"S3Bucket": "b", "S3Key": "k.zip"}},
        "Metadata": {"aws:asset:path": "asset.core", "aws:asset:property": "Content"},
    }

    # Then the stack starts, and the layer's asset path is recorded
    cloud = start_cloud(template({"CoreLayer": core_layer, "Fn": layered}))
    assert cloud.attribute("CoreLayer", "AssetPath") == "asset.core"
    assert cloud.functions.get("Fn").layers[0] == cloud.physical_id("CoreLayer")


def test_a_layer_arn_of_this_account_that_is_not_in_the_stack_is_refused(start_cloud: StartCloud) -> None:
    layered = function("echo")
    layered["Properties"]["Layers"] = [{"Fn::Sub": "arn:aws:lambda:us-east-1:${AWS::AccountId}:layer:gone:3"}]
    with pytest.raises(UnsupportedResourceError, match="layer:gone:3"):
        start_cloud(template({"Fn": layered}))
