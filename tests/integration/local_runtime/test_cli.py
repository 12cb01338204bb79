"""`vigil local invoke` and `vigil local up`, end to end on toy templates."""

from __future__ import annotations

import argparse
import json
import os
import socket
import sys
import threading
import types
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest

from tests.support import ROOT
from vigil_cli.local.commands import STATE_FILE, run_up
from vigil_cli.local.synth import synthesize
from vigil_cli.main import build_parser, main

from .assembly import write_assembly
from .conftest import wait_until
from .templates import ASSEMBLY_DIR, api_resource, api_template, function, proxy_method, template

pytestmark = pytest.mark.integration


@pytest.fixture
def toy_template(tmp_path: Path) -> Path:
    path = tmp_path / "Vigil.template.json"
    path.write_text(
        json.dumps(
            template(
                {
                    "Echo": function("echo", service="vigil-echo", env={"GREETING": "hi"}),
                    "Boom": function("boom", service="vigil-boom"),
                }
            )
        )
    )
    return path


def _event_file(tmp_path: Path, event: Any) -> Path:
    path = tmp_path / "event.json"
    path.write_text(json.dumps(event))
    return path


def _invoke(toy_template: Path, tmp_path: Path, *args: str) -> int:
    return main(
        [
            "local",
            "invoke",
            *args,
            "--state-dir",
            str(tmp_path / "state"),
            "--template",
            str(toy_template),
            "--assembly-dir",
            str(ASSEMBLY_DIR),
        ]
    )


def test_help_lists_the_local_commands(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["local", "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert "up" in out
    assert "invoke" in out


def test_a_usage_error_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["local", "invoke"])
    assert exit_info.value.code == 2


def test_invoke_prints_the_handlers_json_result(
    toy_template: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given an event file for the echo function
    event_file = _event_file(tmp_path, {"httpMethod": "GET", "path": "/hello"})

    # When invoked by its short name on an ephemeral cloud
    code = _invoke(toy_template, tmp_path, "echo", str(event_file))

    # Then its result is printed as JSON and its log went to the state dir
    out, err = capsys.readouterr()
    assert code == 0
    result = json.loads(out)
    assert result["statusCode"] == 200
    body = json.loads(result["body"])
    assert body["event"] == {"httpMethod": "GET", "path": "/hello"}
    assert body["env"]["GREETING"] == "hi"
    assert "echo.log" in err
    assert "echo handler saw GET /hello" in (tmp_path / "state" / "logs" / "echo.log").read_text()


def test_invoke_of_an_unknown_function_exits_1_listing_the_known_ones(
    toy_template: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = _invoke(toy_template, tmp_path, "ingest", str(_event_file(tmp_path, {})))
    assert code == 1
    assert "unknown function 'ingest'; known functions: boom, echo" in capsys.readouterr().err


@pytest.mark.parametrize(("content", "message"), [(None, "cannot read event file"), ("{nope", "not valid JSON")])
def test_invoke_with_a_bad_event_file_exits_1(
    toy_template: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str | None, message: str
) -> None:
    event_file = tmp_path / "bad.json"
    if content is not None:
        event_file.write_text(content)
    code = _invoke(toy_template, tmp_path, "echo", str(event_file))
    assert code == 1
    assert message in capsys.readouterr().err


def test_invoke_of_a_raising_handler_exits_1_with_the_error(
    toy_template: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = _invoke(toy_template, tmp_path, "boom", str(_event_file(tmp_path, {})))
    out, err = capsys.readouterr()
    assert code == 1
    assert out == ""
    assert "boom raised RuntimeError: boom from the toy handler" in err
    assert "Traceback" in err


@pytest.fixture
def demo_bootstrap(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Stands in for vigil_cli.bootstrap (the lead's module): records the cloud it was given."""
    clouds: list[Any] = []

    def create_demo_tenant(cloud: Any) -> Any:
        clouds.append(cloud)
        return types.SimpleNamespace(tenant_id="t-demo", api_key="vgl_demo_key")

    module = types.ModuleType("vigil_cli.bootstrap")
    module.create_demo_tenant = create_demo_tenant  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "vigil_cli.bootstrap", module)
    return clouds


def _up_on_toy_api(tmp_path: Path, state_dir: Path) -> argparse.Namespace:
    """Arguments of `vigil local up` on a free port, serving the toy API template."""
    template_path = tmp_path / "api.template.json"
    template_path.write_text(json.dumps(api_template()))
    return build_parser().parse_args(
        ["local", "up", "--port", "0", "--state-dir", str(state_dir),
         "--template", str(template_path), "--assembly-dir", str(ASSEMBLY_DIR)]
    )  # fmt: skip


def test_up_serves_the_api_writes_its_state_and_cleans_up(
    tmp_path: Path, demo_bootstrap: list[Any], capsys: pytest.CaptureFixture[str]
) -> None:
    # Given `vigil local up` on the toy API, running until told to stop
    state_dir = tmp_path / "state"
    args = _up_on_toy_api(tmp_path, state_dir)
    stop = threading.Event()
    outcome: list[int] = []
    runner = threading.Thread(target=lambda: outcome.append(run_up(args, stop)))
    runner.start()
    try:
        # When it is up
        state_path = state_dir / STATE_FILE
        wait_until(state_path.exists, timeout_s=20)
        state = json.loads(state_path.read_text())

        # Then the state file says where and how to reach it, and the API answers
        assert state["api_key"] == "vgl_demo_key"
        assert state["tenant_id"] == "t-demo"
        assert state["pid"] == os.getpid()
        assert state["url"].startswith("http://127.0.0.1:")
        assert demo_bootstrap[0].api_url == state["url"]
        assert httpx.get(f"{state['url']}/v1/metrics/cpu", timeout=10).status_code == 200

        # and `vigil local invoke` attaches to it instead of starting another cloud
        event_file = _event_file(tmp_path, {"httpMethod": "GET", "path": "/attached"})
        capsys.readouterr()  # drop the banner
        assert main(["local", "invoke", "echo", str(event_file), "--state-dir", str(state_dir)]) == 0
        printed = json.loads(capsys.readouterr().out)
        assert json.loads(printed["body"])["env"]["AWS_ENDPOINT_URL"] == state["backend_url"]

        # and starting a second one is refused
        assert (
            main(["local", "up", "--state-dir", str(state_dir), "--template", str(tmp_path / "api.template.json")]) == 1
        )
        assert "already running" in capsys.readouterr().err
    finally:
        stop.set()
        runner.join(15)

    # When stopped, it cleaned up after itself
    assert outcome == [0]
    assert not (state_dir / STATE_FILE).exists()
    assert "stopping" in capsys.readouterr().out


def test_up_prints_the_banner_and_one_line_per_request(
    tmp_path: Path, demo_bootstrap: list[Any], capsys: pytest.CaptureFixture[str]
) -> None:
    state_dir = tmp_path / "state"
    args = _up_on_toy_api(tmp_path, state_dir)
    stop = threading.Event()
    runner = threading.Thread(target=run_up, args=(args, stop))
    runner.start()
    try:
        wait_until((state_dir / STATE_FILE).exists, timeout_s=20)
        url = json.loads((state_dir / STATE_FILE).read_text())["url"]
        httpx.post(f"{url}/v1/metrics", json={"points": []}, timeout=10)
        httpx.get(f"{url}/nowhere", timeout=10)
    finally:
        stop.set()
        runner.join(15)

    out = capsys.readouterr().out
    assert f'curl -sS -X POST {url}/v1/metrics -H "x-api-key: vgl_demo_key"' in out
    assert f'curl -sS "{url}/v1/metrics/demo.cpu?from=-15m" -H "x-api-key: vgl_demo_key"' in out
    request_lines = [line for line in out.splitlines() if "/v1/metrics " in line or "/nowhere" in line]
    assert any("POST" in line and " 200 " in line and "echo" in line for line in request_lines), out
    assert any(
        "/nowhere" in line and "403" in line and "Missing Authentication Token" in line for line in request_lines
    )


def test_up_refuses_when_a_live_cloud_owns_the_state_dir(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    state_dir = tmp_path / "state"
    state_dir.mkdir()
    (state_dir / STATE_FILE).write_text(json.dumps({"pid": os.getpid(), "url": "http://127.0.0.1:1"}))

    code = main(["local", "up", "--state-dir", str(state_dir), "--template", str(tmp_path / "unused.json")])

    assert code == 1
    assert f"already running (pid {os.getpid()}" in capsys.readouterr().err


def test_up_on_a_busy_port_fails_with_a_clear_message(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Given something already listening on the port
    template_path = tmp_path / "api.template.json"
    template_path.write_text(json.dumps(api_template()))
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        # When `vigil local up` is asked for that port
        code = main(
            ["local", "up", "--port", str(port), "--state-dir", str(tmp_path / "state"),
             "--template", str(template_path), "--assembly-dir", str(ASSEMBLY_DIR)]
        )  # fmt: skip
    # Then it exits 1 and says what to do, leaving no state file behind
    assert code == 1
    assert f"cannot serve the API on 127.0.0.1:{port}" in capsys.readouterr().err
    assert not (tmp_path / "state" / STATE_FILE).exists()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--cloudformation", "deploy"], "--cloudformation needs --backend-url"),
        (["--cloudformation", "attach"], "--cloudformation needs --backend-url"),
        (["--stack-name", "Vigil", "--backend-url", "http://127.0.0.1:1"], "--stack-name needs --cloudformation"),
    ],
)
def test_up_refuses_cloudformation_options_it_cannot_honour_as_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], options: list[str], message: str
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["local", "up", "--state-dir", str(tmp_path / "state"), "--template", str(tmp_path / "t.json"), *options])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def _deployable_api() -> dict[str, Any]:
    """An API moto's CloudFormation can create: its Deployment names the stage (moto has no AWS::ApiGateway::Stage)."""
    return template(
        {
            "Echo": function("echo", service="vigil-echo", env={"GREETING": "deployed"}),
            "Api": {"Type": "AWS::ApiGateway::RestApi", "Properties": {"Name": "vigil-toy"}},
            "V1": api_resource(None, "v1"),
            "Metrics": api_resource("V1", "metrics"),
            "MetricsGet": proxy_method("Metrics", "GET", "Echo"),
            "Deployment": {
                "Type": "AWS::ApiGateway::Deployment",
                "Properties": {"RestApiId": {"Ref": "Api"}, "StageName": "prod"},
                "DependsOn": ["MetricsGet"],
            },
        }
    )


def test_up_deploys_through_cloudformation_and_invoke_attaches_to_it(
    tmp_path: Path, moto_server: str, demo_bootstrap: list[Any], capsys: pytest.CaptureFixture[str]
) -> None:
    # Given `vigil local up --cloudformation deploy` on a backend with CloudFormation (moto here)
    template_path = write_assembly(tmp_path / "cdk.out", _deployable_api(), ["echo"])
    state_dir = tmp_path / "state"
    stack_name = "VigilCliTest"
    args = build_parser().parse_args(
        ["local", "up", "--port", "0", "--state-dir", str(state_dir), "--backend-url", moto_server,
         "--cloudformation", "deploy", "--stack-name", stack_name,
         "--template", str(template_path), "--assembly-dir", str(template_path.parent)]
    )  # fmt: skip
    stop = threading.Event()
    outcome: list[int] = []
    runner = threading.Thread(target=lambda: outcome.append(run_up(args, stop)))
    runner.start()
    try:
        # When it is up
        wait_until((state_dir / STATE_FILE).exists, timeout_s=30)
        state = json.loads((state_dir / STATE_FILE).read_text())

        # Then it serves the deployed API with the handler on the stack's resources
        assert state["cloudformation_stack"] == stack_name
        response = httpx.get(f"{state['url']}/v1/metrics", timeout=10)
        assert response.status_code == 200
        assert json.loads(response.text)["env"]["GREETING"] == "deployed"
        assert f"stack    {stack_name} (CloudFormation" in capsys.readouterr().out

        # and `vigil local invoke` attaches to the running cloud
        event_file = _event_file(tmp_path, {"httpMethod": "GET", "path": "/attached"})
        assert main(["local", "invoke", "echo", str(event_file), "--state-dir", str(state_dir)]) == 0
        assert json.loads(json.loads(capsys.readouterr().out)["body"])["env"]["AWS_ENDPOINT_URL"] == moto_server
    finally:
        stop.set()
        runner.join(15)

    # When stopped, the stack is left deployed
    assert outcome == [0]
    cloudformation = boto3.client(
        "cloudformation", endpoint_url=moto_server, region_name="us-east-1",
        aws_access_key_id="test", aws_secret_access_key="test",
    )  # fmt: skip
    assert cloudformation.describe_stacks(StackName=stack_name)["Stacks"][0]["StackStatus"] == "CREATE_COMPLETE"


def test_a_sample_event_of_vigils_own_stack_works_on_a_short_lived_cloud(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given vigil's synthesized template and no local cloud running
    template_path = synthesize(tmp_path / "cdk.out", repo_root=ROOT)
    event_file = ROOT / "events" / "dashboard_get_status_page.json"
    # When the status page's sample event is invoked on a short-lived cloud
    code = main(["local", "invoke", "dashboard", str(event_file), "--state-dir", str(tmp_path / "state"),
                 "--template", str(template_path)])  # fmt: skip
    # Then the sample events' key was registered for the demo tenant there, and the page is served
    out, err = capsys.readouterr()
    assert code == 0, err
    answer = json.loads(out)
    assert answer["statusCode"] == 200 and "<html" in answer["body"]
