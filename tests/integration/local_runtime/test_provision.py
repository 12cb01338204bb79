"""Provisioning the template's resources into moto, through a running LocalCloud."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import boto3
import pytest

from vigil_cli.local.cloud import LocalCloud
from vigil_cli.local.errors import UnsupportedResourceError
from vigil_cli.local.provision import local_only_types

from .conftest import StartCloud, wait_until
from .templates import ASSEMBLY_DIR, function, table, template

pytestmark = pytest.mark.integration


def _client(cloud: LocalCloud, service: str) -> Any:
    return boto3.client(service, endpoint_url=cloud.backend_url, region_name="us-east-1")


@pytest.mark.parametrize("resource_type", ["AWS::EC2::VPC", "Custom::LogRetention"])
def test_unsupported_type_raises_naming_type_and_logical_id_before_creating_anything(
    start_cloud: StartCloud, resource_type: str
) -> None:
    # Given a template with a table and a type the local cloud cannot emulate
    body = template({"Table": table(), "Network": {"Type": resource_type, "Properties": {}}})

    # When the cloud starts, then it refuses, naming both
    with pytest.raises(UnsupportedResourceError, match=rf"{resource_type} \(Network\)"):
        start_cloud(body)


def test_sns_lambda_subscription_is_refused_with_the_reason(start_cloud: StartCloud) -> None:
    body = template(
        {
            "Topic": {"Type": "AWS::SNS::Topic"},
            "Fn": function("echo"),
            "Sub": {
                "Type": "AWS::SNS::Subscription",
                "Properties": {
                    "Protocol": "lambda",
                    "TopicArn": {"Ref": "Topic"},
                    "Endpoint": {"Fn::GetAtt": ["Fn", "Arn"]},
                },
            },
        }
    )
    with pytest.raises(UnsupportedResourceError, match=r"AWS::SNS::Subscription \(Sub\).*SNS -> Lambda"):
        start_cloud(body)


def test_every_local_only_type_states_why_it_creates_nothing() -> None:
    reasons = local_only_types()
    for resource_type in ("AWS::CDK::Metadata", "AWS::IAM::Role", "AWS::IAM::Policy", "AWS::Lambda::Permission"):
        assert reasons[resource_type]
    assert {"AWS::ApiGateway::Account", "AWS::ApiGateway::Deployment", "AWS::Lambda::LayerVersion"} <= set(reasons)
    assert "AWS::DynamoDB::Table" not in reasons


def test_dynamodb_table_gets_keys_indexes_stream_and_ttl(start_cloud: StartCloud) -> None:
    # Given a CDK-style table with a GSI, a stream and TTL
    body = template(
        {
            "Alerts": {
                "Type": "AWS::DynamoDB::Table",
                "Properties": {
                    "KeySchema": [
                        {"AttributeName": "pk", "KeyType": "HASH"},
                        {"AttributeName": "sk", "KeyType": "RANGE"},
                    ],
                    "AttributeDefinitions": [
                        {"AttributeName": "pk", "AttributeType": "S"},
                        {"AttributeName": "sk", "AttributeType": "S"},
                        {"AttributeName": "state", "AttributeType": "S"},
                    ],
                    "BillingMode": "PAY_PER_REQUEST",
                    "GlobalSecondaryIndexes": [
                        {
                            "IndexName": "by-state",
                            "KeySchema": [{"AttributeName": "state", "KeyType": "HASH"}],
                            "Projection": {"ProjectionType": "ALL"},
                        }
                    ],
                    "StreamSpecification": {"StreamViewType": "NEW_IMAGE"},
                    "TimeToLiveSpecification": {"AttributeName": "expires_at", "Enabled": True},
                    "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
                },
            },
            "Named": {**table(), "Properties": {**table()["Properties"], "TableName": "vigil-config"}},
        }
    )

    # When provisioned
    cloud = start_cloud(body)

    # Then moto has the table as specified, with a generated name, and the explicit name is kept
    dynamodb = _client(cloud, "dynamodb")
    name = cloud.physical_id("Alerts")
    assert name.startswith("Vigil-Alerts-")
    description = dynamodb.describe_table(TableName=name)["Table"]
    assert [key["AttributeName"] for key in description["KeySchema"]] == ["pk", "sk"]
    assert description["GlobalSecondaryIndexes"][0]["IndexName"] == "by-state"
    assert description["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}
    assert cloud.attribute("Alerts", "Arn") == description["TableArn"]
    assert cloud.attribute("Alerts", "StreamArn") == description["LatestStreamArn"]
    ttl = dynamodb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
    assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expires_at"}
    assert cloud.physical_id("Named") == "vigil-config"


def test_a_one_region_global_table_becomes_a_table_with_its_ttl(start_cloud: StartCloud) -> None:
    # Given a CDK TableV2 (AWS::DynamoDB::GlobalTable) with its replica in the stack's region
    body = template(
        {
            "Metrics": {
                "Type": "AWS::DynamoDB::GlobalTable",
                "Properties": {
                    "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
                    "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
                    "BillingMode": "PAY_PER_REQUEST",
                    "Replicas": [{"Region": "us-east-1"}],
                    "TimeToLiveSpecification": {"AttributeName": "ttl", "Enabled": True},
                },
            }
        }
    )

    cloud = start_cloud(body)

    dynamodb = _client(cloud, "dynamodb")
    name = cloud.physical_id("Metrics")
    assert dynamodb.describe_table(TableName=name)["Table"]["TableArn"] == cloud.attribute("Metrics", "Arn")
    assert dynamodb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]["AttributeName"] == "ttl"
    assert [table_.table_name for table_ in cloud.sweeper.tables] == [name]


def test_queue_redrive_and_filtered_raw_sns_subscription_deliver_like_aws(start_cloud: StartCloud) -> None:
    # Given a topic fanning out to a queue (with a DLQ) for critical alerts only, raw delivery
    body = template(
        {
            "Alerts": {"Type": "AWS::SNS::Topic", "Properties": {"DisplayName": "alerts"}},
            "Dlq": {"Type": "AWS::SQS::Queue"},
            "Pager": {
                "Type": "AWS::SQS::Queue",
                "Properties": {
                    "VisibilityTimeout": 45,
                    "MessageRetentionPeriod": 3600,
                    "RedrivePolicy": {"deadLetterTargetArn": {"Fn::GetAtt": ["Dlq", "Arn"]}, "maxReceiveCount": 4},
                },
            },
            "PagerPolicy": {
                "Type": "AWS::SQS::QueuePolicy",
                "Properties": {
                    "Queues": [{"Ref": "Pager"}],
                    "PolicyDocument": {
                        "Statement": [
                            {
                                "Action": "sqs:SendMessage",
                                "Effect": "Allow",
                                "Principal": {"Service": "sns.amazonaws.com"},
                                "Resource": {"Fn::GetAtt": ["Pager", "Arn"]},
                            }
                        ],
                        "Version": "2012-10-17",
                    },
                },
            },
            "PagerSubscription": {
                "Type": "AWS::SNS::Subscription",
                "Properties": {
                    "Protocol": "sqs",
                    "TopicArn": {"Ref": "Alerts"},
                    "Endpoint": {"Fn::GetAtt": ["Pager", "Arn"]},
                    "FilterPolicy": {"severity": ["critical"]},
                    "FilterPolicyScope": "MessageAttributes",
                    "RawMessageDelivery": True,
                },
                "DependsOn": ["PagerPolicy"],
            },
            "Fifo": {"Type": "AWS::SQS::Queue", "Properties": {"FifoQueue": True}},
        }
    )
    cloud = start_cloud(body)
    sqs = _client(cloud, "sqs")
    sns = _client(cloud, "sns")
    pager_url = cloud.physical_id("Pager")

    # Then the queue has its attributes, with the DLQ ARN resolved
    attributes = sqs.get_queue_attributes(QueueUrl=pager_url, AttributeNames=["All"])["Attributes"]
    assert attributes["VisibilityTimeout"] == "45"
    assert attributes["MessageRetentionPeriod"] == "3600"
    assert json.loads(attributes["RedrivePolicy"]) == {
        "deadLetterTargetArn": cloud.attribute("Dlq", "Arn"),
        "maxReceiveCount": 4,
    }
    assert "Policy" in attributes
    assert cloud.physical_id("Fifo").endswith(".fifo")

    # When a warning and a critical alert are published
    for severity in ("warning", "critical"):
        sns.publish(
            TopicArn=cloud.physical_id("Alerts"),
            Message=json.dumps({"severity": severity}),
            MessageAttributes={"severity": {"DataType": "String", "StringValue": severity}},
        )

    # Then only the critical one arrives, raw (not wrapped in an SNS envelope)
    messages = sqs.receive_message(QueueUrl=pager_url, MaxNumberOfMessages=10, WaitTimeSeconds=1)["Messages"]
    assert [json.loads(message["Body"]) for message in messages] == [{"severity": "critical"}]


def test_logs_ssm_secret_bucket_key_alarm_and_dashboard_are_created(start_cloud: StartCloud) -> None:
    body = template(
        {
            "Logs": {"Type": "AWS::Logs::LogGroup", "Properties": {"RetentionInDays": 30}},
            "Param": {
                "Type": "AWS::SSM::Parameter",
                "Properties": {"Type": "String", "Value": {"Fn::Sub": "${AWS::Region}-value"}, "Name": "/vigil/x"},
            },
            "Secret": {
                "Type": "AWS::SecretsManager::Secret",
                "Properties": {
                    "GenerateSecretString": {
                        "SecretStringTemplate": '{"username": "vigil"}',
                        "GenerateStringKey": "password",
                        "ExcludePunctuation": True,
                        "PasswordLength": 20,
                    }
                },
            },
            "Bucket": {"Type": "AWS::S3::Bucket", "Properties": {"VersioningConfiguration": {"Status": "Enabled"}}},
            "Key": {"Type": "AWS::KMS::Key", "Properties": {"Description": "vigil", "EnableKeyRotation": True}},
            "Alarm": {
                "Type": "AWS::CloudWatch::Alarm",
                "Properties": {
                    "MetricName": "Errors",
                    "Namespace": "AWS/Lambda",
                    "Statistic": "Sum",
                    "Period": 60,
                    "EvaluationPeriods": 1,
                    "Threshold": 1,
                    "ComparisonOperator": "GreaterThanOrEqualToThreshold",
                },
            },
            "Dashboard": {
                "Type": "AWS::CloudWatch::Dashboard",
                "Properties": {"DashboardBody": {"Fn::Join": ["", ['{"widgets":', "[]}"]]}},
            },
        }
    )
    cloud = start_cloud(body)

    def client(service: str) -> Any:
        return _client(cloud, service)

    groups = client("logs").describe_log_groups(logGroupNamePrefix=cloud.physical_id("Logs"))["logGroups"]
    assert groups[0]["retentionInDays"] == 30
    assert client("ssm").get_parameter(Name="/vigil/x")["Parameter"]["Value"] == "us-east-1-value"
    secret = json.loads(client("secretsmanager").get_secret_value(SecretId=cloud.physical_id("Secret"))["SecretString"])
    assert secret["username"] == "vigil"
    assert len(secret["password"]) == 20
    assert cloud.physical_id("Bucket").islower()
    assert client("s3").get_bucket_versioning(Bucket=cloud.physical_id("Bucket"))["Status"] == "Enabled"
    assert client("kms").describe_key(KeyId=cloud.physical_id("Key"))["KeyMetadata"]["Arn"] == cloud.attribute(
        "Key", "Arn"
    )
    alarms = client("cloudwatch").describe_alarms(AlarmNames=[cloud.physical_id("Alarm")])["MetricAlarms"]
    assert alarms[0]["Threshold"] == 1.0
    dashboards = client("cloudwatch").list_dashboards()["DashboardEntries"]
    assert [entry["DashboardName"] for entry in dashboards] == [cloud.physical_id("Dashboard")]


def test_state_machine_really_executes_its_dynamodb_task(start_cloud: StartCloud) -> None:
    # Given an escalation-like state machine reading an item through a service integration
    definition = {
        "StartAt": "ReadAlert",
        "States": {
            "ReadAlert": {
                "Type": "Task",
                "Resource": "arn:aws:states:::dynamodb:getItem",
                "Parameters": {"TableName": "${TableName}", "Key": {"pk": {"S.$": "$.pk"}}},
                "ResultSelector": {"state.$": "$.Item.state.S"},
                "Next": "Done",
            },
            "Done": {"Type": "Pass", "End": True},
        },
    }
    body = template(
        {
            "Alerts": table(),
            "Escalation": {
                "Type": "AWS::StepFunctions::StateMachine",
                "Properties": {
                    "DefinitionString": json.dumps(definition),
                    "DefinitionSubstitutions": {"TableName": {"Ref": "Alerts"}},
                    "RoleArn": {"Fn::GetAtt": ["FnRole", "Arn"]},
                },
            },
        }
    )
    cloud = start_cloud(body)
    dynamodb = _client(cloud, "dynamodb")
    dynamodb.put_item(TableName=cloud.physical_id("Alerts"), Item={"pk": {"S": "a1"}, "state": {"S": "firing"}})
    sfn = _client(cloud, "stepfunctions")

    # When it is executed
    execution = sfn.start_execution(
        stateMachineArn=cloud.physical_id("Escalation"), name="run-1", input=json.dumps({"pk": "a1"})
    )["executionArn"]

    # Then it runs to completion (moto's execute_state_machine is on) with the item's state
    result = wait_until(
        lambda: (d := sfn.describe_execution(executionArn=execution))["status"] != "RUNNING" and d, timeout_s=15
    )
    assert result["status"] == "SUCCEEDED", result
    assert json.loads(result["output"]) == {"state": "firing"}


def test_an_existing_endpoint_is_used_and_left_running(tmp_path: Path, moto_server: str) -> None:
    # Given a moto server started by someone else (a stand-in for LocalStack)
    url = moto_server
    # When a cloud is started on its URL
    cloud = LocalCloud(
        template({"Table": table()}),
        ASSEMBLY_DIR,
        backend_url=url,
        state_dir=tmp_path,
        start_api=False,
        start_schedules=False,
        start_pollers=False,
        start_sweeper=False,
    ).start()
    assert cloud.backend_url == url
    assert not cloud.uses_embedded_moto
    cloud.stop()

    # Then the table went there, and the server still answers after the cloud stopped
    dynamodb = boto3.client("dynamodb", endpoint_url=url, region_name="us-east-1")
    assert dynamodb.list_tables()["TableNames"] == [cloud.physical_id("Table")]


def test_stop_restores_the_process_environment(monkeypatch: pytest.MonkeyPatch, start_cloud: StartCloud) -> None:
    # Given a host environment with a real profile and no endpoint
    monkeypatch.setenv("AWS_PROFILE", "someones-real-profile")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)

    # When a cloud runs, boto3 in this process talks to the backend; when it stops, the host's settings return
    cloud = start_cloud(template({"Table": table()}))
    assert os.environ["AWS_ENDPOINT_URL"] == cloud.backend_url
    assert "AWS_PROFILE" not in os.environ
    started = time.monotonic()
    cloud.stop()
    assert time.monotonic() - started < 5
    assert "AWS_ENDPOINT_URL" not in os.environ
    assert os.environ["AWS_PROFILE"] == "someones-real-profile"
