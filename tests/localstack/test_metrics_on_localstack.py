"""The metric scenarios of the moto suite, run unchanged against LocalStack, plus what only LocalStack shows:
the template really went through CloudFormation and every resource, functions included, exists there."""

from __future__ import annotations

import boto3
import pytest

from tests.integration.test_local_cloud_metrics import *  # noqa: F403 - the same scenarios, another backend
from vigil_cli.local.cloud import LocalCloud

pytestmark = pytest.mark.localstack


def test_the_stack_was_deployed_by_localstacks_cloudformation(cloud: LocalCloud, localstack_endpoint: str) -> None:
    # Given the stack the fixture deployed
    clients = {
        name: boto3.client(
            name,
            endpoint_url=localstack_endpoint,
            region_name="us-east-1",
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )
        for name in ("cloudformation", "lambda", "dynamodb", "apigateway")
    }
    stack_name = cloud.cloudformation_stack_name
    assert stack_name is not None
    # When CloudFormation is asked about it
    [stack] = clients["cloudformation"].describe_stacks(StackName=stack_name)["Stacks"]
    resources = clients["cloudformation"].describe_stack_resources(StackName=stack_name)["StackResources"]
    # Then every resource is complete, and the runtime uses exactly those physical resources
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    assert {r["ResourceStatus"] for r in resources} == {"CREATE_COMPLETE"}
    deployed = {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in resources}
    assert cloud.resources == deployed
    for name in ("ingest", "query"):
        function = cloud.functions.get(name)
        configuration = clients["lambda"].get_function(FunctionName=function.name)["Configuration"]
        assert configuration["Runtime"] == "python3.13" and configuration["Architectures"] == ["arm64"]
        table = function.environment["CONFIG_TABLE_NAME"]
        assert clients["dynamodb"].describe_table(TableName=table)["Table"]["TableStatus"] == "ACTIVE"
    rest_api_ids = {api["id"] for api in clients["apigateway"].get_rest_apis()["items"]}
    assert any(physical in rest_api_ids for physical in deployed.values())
