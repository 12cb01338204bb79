"""Deploying through a backend's CloudFormation and attaching the runtime to the stack, on moto's CloudFormation.

moto creates a stack synchronously inside CreateStack, so a failing resource fails that call; the
event-based failure report (what LocalStack and AWS produce) is checked on recorded events.
"""

from __future__ import annotations

import io
import json
import os
import uuid
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from vigil_cli.local.attach import ATTACHERS, NO_ATTRIBUTES
from vigil_cli.local.aws import AwsClients
from vigil_cli.local.cfn_deploy import (
    BOOTSTRAP_VERSION,
    FailedResource,
    StackDeployError,
    deploy_assembly,
    deployed_resources,
    failed_resources,
    publish_assets,
    zip_folder,
)
from vigil_cli.local.cloud import LocalCloud
from vigil_cli.local.errors import CloudFormationError, LocalCloudError
from vigil_cli.local.provision import PROVISIONERS

from .assembly import write_assembly
from .templates import ASSEMBLY_DIR, sqs_template, table, template

pytestmark = pytest.mark.integration

WORKER_STACK_IDS = {"FnRole", "Worker", "DeadLetters", "WorkQueue", "WorkerMapping", "Table"}


def _worker_stack() -> dict[str, Any]:
    """A worker behind an SQS event source mapping, plus a TTL table: all of it creatable by moto's CloudFormation."""
    body = sqs_template()
    body["Resources"]["Table"] = table(ttl_attribute="expires")
    body["Resources"]["Worker"]["Properties"]["Environment"]["Variables"]["TABLE"] = {"Ref": "Table"}
    return body


def _stack_name() -> str:
    return f"VigilTest{uuid.uuid4().hex[:8]}"


def _client(url: str, service: str) -> Any:
    make_client: Any = boto3.client  # Any: the service name is not a literal for the boto3 type overloads
    return make_client(
        service, endpoint_url=url, region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test"
    )


def _cloud(template_path: Path | dict[str, Any], url: str, tmp_path: Path, **options: Any) -> LocalCloud:
    """A cloud on the assembly in tmp_path/cdk.out, triggers off unless asked for."""
    for trigger in ("start_api", "start_schedules", "start_pollers", "start_sweeper"):
        options.setdefault(trigger, False)
    return LocalCloud(template_path, tmp_path / "cdk.out", backend_url=url, state_dir=tmp_path / "state", **options)


def test_deploy_publishes_the_assets_and_returns_the_stacks_physical_ids(moto_server: str, tmp_path: Path) -> None:
    # Given a cloud assembly whose function code is a folder asset
    template_path = write_assembly(tmp_path / "cdk.out", _worker_stack(), ["sqsworker"])
    clients = AwsClients(moto_server)
    stack_name = _stack_name()

    # When it is deployed through moto's CloudFormation
    deployed = deploy_assembly(template_path.parent, template_path, stack_name, clients)

    # Then every resource has its physical id, the code was zipped into the bootstrap bucket
    assert set(deployed) == WORKER_STACK_IDS
    assert deployed["WorkQueue"].rsplit("/", 2)[1] == clients.account_id()  # a queue's physical id is its URL
    bucket = f"cdk-hnb659fds-assets-{clients.account_id()}-us-east-1"
    code = _client(moto_server, "s3").get_object(Bucket=bucket, Key="sqsworker.zip")["Body"].read()
    assert zipfile.ZipFile(io.BytesIO(code)).namelist() == ["handler.py"]
    # and the bootstrap version the template's parameter reads was recorded
    parameter = _client(moto_server, "ssm").get_parameter(Name="/cdk-bootstrap/hnb659fds/version")["Parameter"]
    assert parameter["Value"] == BOOTSTRAP_VERSION

    # When deployed again, the same stack is updated in place and no asset is uploaded twice
    assert deploy_assembly(template_path.parent, template_path, stack_name, clients) == deployed
    assert publish_assets(template_path.parent, template_path, clients) == []


def test_a_deployed_stack_runs_the_handlers_on_the_stacks_own_resources(moto_server: str, tmp_path: Path) -> None:
    # Given the worker stack deployed through CloudFormation by the local cloud
    template_path = write_assembly(tmp_path / "cdk.out", _worker_stack(), ["sqsworker"])
    stack_name = _stack_name()
    cloudformation = _client(moto_server, "cloudformation")
    with _cloud(template_path, moto_server, tmp_path, cloudformation="deploy", stack_name=stack_name) as cloud:
        # Then the runtime uses exactly the stack's physical resources
        summaries = cloudformation.list_stack_resources(StackName=stack_name)["StackResourceSummaries"]
        assert cloud.cloudformation_stack_name == stack_name
        assert cloud.resources == {item["LogicalResourceId"]: item["PhysicalResourceId"] for item in summaries}
        # with the attributes the backend reports
        table_name = cloud.physical_id("Table")
        described = _client(moto_server, "dynamodb").describe_table(TableName=table_name)["Table"]
        assert cloud.attribute("Table", "Arn") == described["TableArn"]
        role = _client(moto_server, "iam").get_role(RoleName=cloud.physical_id("FnRole"))["Role"]
        assert cloud.attribute("FnRole", "Arn") == role["Arn"]
        assert cloud.attribute("WorkQueue", "QueueUrl") == cloud.physical_id("WorkQueue")
        assert cloud.functions.get("notifier").environment["TABLE"] == table_name
        assert [item.table_name for item in cloud.sweeper.tables] == [table_name]

        # and the backend's own event source mapping is off, so the local poller alone runs the worker
        lambda_client = _client(moto_server, "lambda")
        assert lambda_client.get_event_source_mapping(UUID=cloud.physical_id("WorkerMapping"))["State"] == "Disabled"
        _client(moto_server, "sqs").send_message(
            QueueUrl=cloud.physical_id("WorkQueue"), MessageBody=json.dumps({"action": "ok"})
        )
        records = cloud.poll_all_once()
        assert [(record.function, record.ok) for record in records] == [("notifier", True)]

    # When the cloud stopped, the stack stayed
    [stack] = cloudformation.describe_stacks(StackName=stack_name)["Stacks"]
    assert stack["StackStatus"] == "CREATE_COMPLETE"


def test_attach_takes_a_stack_deployed_by_someone_else(moto_server: str, tmp_path: Path) -> None:
    # Given a stack deployed without the local cloud (as `cdklocal deploy` would)
    body = _worker_stack()
    template_path = write_assembly(tmp_path / "cdk.out", body, ["sqsworker"])
    stack_name = _stack_name()
    deployed = deploy_assembly(template_path.parent, template_path, stack_name, AwsClients(moto_server))

    # When the runtime attaches to it, with the template as a dict and the assembly for the code
    with _cloud(body, moto_server, tmp_path, cloudformation="attach", stack_name=stack_name) as cloud:
        # Then it runs the handlers on those resources
        assert cloud.resources == deployed
        assert cloud.template is not None
        assert cloud.template.stack_id.startswith(f"arn:aws:cloudformation:us-east-1:123456789012:stack/{stack_name}/")
        assert cloud.invoke("notifier", {"Records": []}) == {"batchItemFailures": []}


def test_attach_names_the_template_resources_the_stack_lacks(moto_server: str, tmp_path: Path) -> None:
    # Given a deployed stack and a template with one more queue
    body = _worker_stack()
    template_path = write_assembly(tmp_path / "cdk.out", body, ["sqsworker"])
    stack_name = _stack_name()
    deploy_assembly(template_path.parent, template_path, stack_name, AwsClients(moto_server))
    body["Resources"]["Extra"] = {"Type": "AWS::SQS::Queue"}

    # When the runtime attaches, then it refuses, naming the missing resource
    cloud = _cloud(body, moto_server, tmp_path, cloudformation="attach", stack_name=stack_name)
    with pytest.raises(CloudFormationError, match=rf"stack {stack_name} has no resource for Extra \(AWS::SQS::Queue\)"):
        cloud.start()


def test_attach_to_a_stack_that_does_not_exist_says_so(moto_server: str, tmp_path: Path) -> None:
    with pytest.raises(CloudFormationError, match=r"there is no CloudFormation stack Nowhere at http://127\.0\.0\.1"):
        deployed_resources("Nowhere", AwsClients(moto_server))


def test_a_resource_that_fails_fails_the_deployment_and_the_stack_cannot_be_attached(
    moto_server: str, tmp_path: Path
) -> None:
    # Given a template whose queue has an invalid name
    body = template({"Bad": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "not a queue name!"}}})
    template_path = write_assembly(tmp_path / "cdk.out", body, [])
    clients = AwsClients(moto_server)
    stack_name = _stack_name()

    # When it is deployed, then the deployment fails with the backend's reason
    with pytest.raises(CloudFormationError, match=r"InvalidParameterValue.*alphanumeric characters"):
        deploy_assembly(template_path.parent, template_path, stack_name, clients)

    # and the stack (moto leaves it CREATE_IN_PROGRESS) is refused for attaching
    with pytest.raises(CloudFormationError, match=rf"stack {stack_name} is CREATE_IN_PROGRESS; only a successfully"):
        deployed_resources(stack_name, clients)


def _event(stack: str, logical_id: str, resource_type: str, status: str, reason: str | None = None) -> dict[str, Any]:
    event: dict[str, Any] = {
        "StackId": f"arn:aws:cloudformation:us-east-1:000000000000:stack/{stack}/1",
        "EventId": str(uuid.uuid4()),
        "StackName": stack,
        "LogicalResourceId": logical_id,
        "ResourceType": resource_type,
        "Timestamp": datetime.now(UTC),
        "ResourceStatus": status,
    }
    if reason is not None:
        event["ResourceStatusReason"] = reason
    return event


def test_a_failed_deployment_lists_each_failed_resource_with_its_type_and_reason() -> None:
    # Given the events of a failed create as LocalStack records them (newest first), after an older failure
    stack = "VigilTestfailed1"
    queue_reason = (
        "Resource provider operation failed: An error occurred (InvalidParameterValue) when calling the "
        "CreateQueue operation: Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length"
    )
    events = [
        _event(stack, stack, "AWS::CloudFormation::Stack", "CREATE_FAILED"),
        _event(stack, stack, "AWS::CloudFormation::Stack", "ROLLBACK_COMPLETE"),
        _event(stack, "Table", "AWS::DynamoDB::Table", "CREATE_FAILED", "Resource creation cancelled"),
        _event(stack, "BadQueue", "AWS::SQS::Queue", "CREATE_FAILED", queue_reason),
        _event(stack, "BadQueue", "AWS::SQS::Queue", "CREATE_IN_PROGRESS"),
        _event(stack, stack, "AWS::CloudFormation::Stack", "CREATE_IN_PROGRESS", "User Initiated"),
        _event(stack, "Older", "AWS::SQS::Queue", "CREATE_FAILED", "from an earlier deployment"),
    ]
    cloudformation = boto3.client(
        "cloudformation", region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test"
    )
    stubber = Stubber(cloudformation)
    stubber.add_response("describe_stack_events", {"StackEvents": events}, {"StackName": stack})

    # When the failures of the latest operation are read
    with stubber:
        failures = failed_resources(cloudformation, stack)

    # Then they are the resources that failed in it, oldest first
    assert failures == [
        FailedResource("BadQueue", "AWS::SQS::Queue", "CREATE_FAILED", queue_reason),
        FailedResource("Table", "AWS::DynamoDB::Table", "CREATE_FAILED", "Resource creation cancelled"),
    ]
    # and the error names the stack's status and reason, then each resource with its type and reason
    error = StackDeployError(
        stack, "ROLLBACK_COMPLETE", "The following resource(s) failed to create: [BadQueue].", failures
    )
    assert isinstance(error, LocalCloudError)
    assert str(error).splitlines() == [
        f"CloudFormation stack {stack} did not deploy: ROLLBACK_COMPLETE "
        "(The following resource(s) failed to create: [BadQueue].)",
        f"  BadQueue (AWS::SQS::Queue) CREATE_FAILED: {queue_reason}",
        "  Table (AWS::DynamoDB::Table) CREATE_FAILED: Resource creation cancelled",
    ]


def test_deploy_mode_needs_a_backend_and_a_template_file(tmp_path: Path) -> None:
    template_path = write_assembly(tmp_path / "cdk.out", _worker_stack(), ["sqsworker"])
    with pytest.raises(LocalCloudError, match="needs a backend_url"):
        LocalCloud(template_path, cloudformation="deploy")
    with pytest.raises(LocalCloudError, match="needs a backend_url"):
        LocalCloud(template_path, cloudformation="attach")
    with pytest.raises(LocalCloudError, match="needs the template's path in its cloud assembly"):
        LocalCloud(_worker_stack(), ASSEMBLY_DIR, backend_url="http://127.0.0.1:1", cloudformation="deploy")


def test_folder_assets_zip_to_the_same_bytes_every_time(tmp_path: Path) -> None:
    # Given a folder with nested files
    folder = tmp_path / "asset"
    (folder / "pkg").mkdir(parents=True)
    (folder / "handler.py").write_text("def handler(event, context):\n    return 1\n")
    (folder / "pkg" / "__init__.py").write_text("")
    first = zip_folder(folder)

    # When its files' times change, then it zips to the same bytes, entries sorted
    os.utime(folder / "handler.py", (1_000_000, 1_000_000))
    assert zip_folder(folder) == first
    assert zipfile.ZipFile(io.BytesIO(first)).namelist() == ["handler.py", "pkg/__init__.py"]


def test_every_provisioned_attribute_has_an_attacher() -> None:
    # Types whose provisioner sets attributes read them from the deployed stack under the same names
    assert set(PROVISIONERS) - set(ATTACHERS) - NO_ATTRIBUTES == set()
    assert not NO_ATTRIBUTES & set(ATTACHERS)
