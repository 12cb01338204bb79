"""LocalStack as the second emulator: the synthesized template deployed through LocalStack's CloudFormation,
the handlers run by the local runtime against it. `make test-localstack` (and `make test`) start it."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import boto3
import httpx
import pytest
from localstack_client.config import get_service_endpoint

from tests.support import ROOT
from vigil_cli.local.cloud import LocalCloud
from vigil_cli.local.synth import synthesize


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/localstack/" in str(item.path):
            item.add_marker(pytest.mark.localstack)


@pytest.fixture(scope="session")
def localstack_endpoint() -> str:
    endpoint = get_service_endpoint("cloudformation") or "http://localhost:4566"
    try:
        health = httpx.get(f"{endpoint}/_localstack/health", timeout=5).json()
    except (httpx.HTTPError, ValueError) as exc:
        reason = f"LocalStack is not reachable at {endpoint} ({exc}); `make test-localstack` sets it up and starts it"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    for service in ("cloudformation", "dynamodb", "lambda", "apigateway"):
        assert health["services"].get(service) in {"running", "available"}, f"LocalStack {service}: {health}"
    return endpoint


def localstack_client(endpoint: str, service: str) -> Any:
    make_client: Any = boto3.client  # Any: the service name is not a literal for the boto3 type overloads
    return make_client(
        service,
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )


@contextmanager
def deployed_through_cloudformation(endpoint: str, prefix: str = "VigilTest") -> Iterator[dict[str, Any]]:
    """LocalCloud's options to deploy the template through LocalStack's CloudFormation as a fresh stack and
    attach the runtime to it; the stack is deleted afterwards, and waited for: its alarms and dashboard carry
    fixed names (the CDK stack's), which the next module's stack takes over."""
    stack_name = f"{prefix}{uuid.uuid4().hex[:8]}"
    try:
        yield {"backend_url": endpoint, "cloudformation": "deploy", "stack_name": stack_name}
    finally:
        cloudformation = localstack_client(endpoint, "cloudformation")
        cloudformation.delete_stack(StackName=stack_name)
        cloudformation.get_waiter("stack_delete_complete").wait(
            StackName=stack_name, WaiterConfig={"Delay": 2, "MaxAttempts": 90}
        )


@pytest.fixture(scope="module")
def cloud(localstack_endpoint: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCloud]:
    """The real template deployed through LocalStack's CloudFormation, the runtime attached to that stack."""
    state_dir = tmp_path_factory.mktemp("localstack-cloud")
    template = synthesize(state_dir / "cdk.out", repo_root=ROOT)
    with (
        deployed_through_cloudformation(localstack_endpoint) as backend,
        LocalCloud(
            template, state_dir=state_dir, start_schedules=False, start_pollers=False, start_sweeper=False, **backend
        ) as running,
    ):
        yield running
