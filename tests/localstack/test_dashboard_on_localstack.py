"""The status page, platform overview, keys and Prometheus scenarios of the moto suite, run unchanged against
LocalStack, plus what only a CloudFormation deployment shows: vigil's own CloudWatch alarms exist and every one
tells the operations topic. (LocalStack's CloudFormation accepts the CloudWatch dashboard without creating it, so
the dashboard is checked in the template only: tests/infra/test_infra_observability.py.)"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.integration.test_local_cloud_dashboard import *  # noqa: F403 - the same scenarios, another backend
from tests.localstack.conftest import deployed_through_cloudformation, localstack_client
from vigil_cli.local.cloud import LocalCloud

pytestmark = pytest.mark.localstack


@pytest.fixture(scope="module")  # type: ignore[no-redef]  # overrides the scenarios' moto backend
def backend(localstack_endpoint: str) -> Iterator[dict[str, Any]]:
    """The dashboard scenarios' stack deployed through LocalStack's CloudFormation instead of onto moto."""
    with deployed_through_cloudformation(localstack_endpoint, prefix="VigilDashboard") as options:
        yield options


def test_vigils_own_alarms_are_deployed_and_tell_the_ops_topic(cloud: LocalCloud, localstack_endpoint: str) -> None:
    # Given the stack deployed through CloudFormation
    stack_name = cloud.cloudformation_stack_name
    assert stack_name is not None
    cloudformation = localstack_client(localstack_endpoint, "cloudformation")
    resources = cloudformation.describe_stack_resources(StackName=stack_name)["StackResources"]
    by_type: dict[str, list[str]] = {}
    for resource in resources:
        by_type.setdefault(resource["ResourceType"], []).append(resource["PhysicalResourceId"])
    [outputs] = [stack["Outputs"] for stack in cloudformation.describe_stacks(StackName=stack_name)["Stacks"]]
    ops_topic = next(output["OutputValue"] for output in outputs if output["OutputKey"] == "OpsAlarmsTopicArn")
    cloudwatch = localstack_client(localstack_endpoint, "cloudwatch")
    # When CloudWatch is asked for the stack's alarms
    alarms = cloudwatch.describe_alarms(AlarmNames=by_type["AWS::CloudWatch::Alarm"])["MetricAlarms"]
    # Then all 22 are there, and each acts on the ops topic when it fires and when it recovers
    assert len(alarms) == len(by_type["AWS::CloudWatch::Alarm"]) == 22
    for alarm in alarms:
        assert alarm["AlarmActions"] == [ops_topic] and alarm["OKActions"] == [ops_topic], alarm["AlarmName"]
    assert ops_topic in by_type["AWS::SNS::Topic"]
