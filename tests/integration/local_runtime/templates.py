"""Hand-written CloudFormation templates shaped like CDK output, over the toy handlers in fixtures/."""

from __future__ import annotations

from pathlib import Path
from typing import Any

ASSEMBLY_DIR = Path(__file__).resolve().parent / "fixtures"
PYTHON_RUNTIME = "python3.13"

BOOTSTRAP_PARAMETER = {
    "BootstrapVersion": {
        "Type": "AWS::SSM::Parameter::Value<String>",
        "Default": "/cdk-bootstrap/hnb659fds/version",
        "Description": "Version of the CDK Bootstrap resources in this environment",
    }
}

ROLE = {
    "Type": "AWS::IAM::Role",
    "Properties": {
        "AssumeRolePolicyDocument": {
            "Statement": [
                {"Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}}
            ],
            "Version": "2012-10-17",
        }
    },
}


def template(resources: dict[str, Any], **sections: Any) -> dict[str, Any]:
    return {"Parameters": dict(BOOTSTRAP_PARAMETER), "Resources": {"FnRole": ROLE, **resources}, **sections}


def function(
    asset: str,
    *,
    service: str | None = None,
    env: dict[str, Any] | None = None,
    timeout: int = 10,
    memory: int = 256,
) -> dict[str, Any]:
    """An AWS::Lambda::Function as CDK emits it with asset metadata on."""
    variables = dict(env or {})
    if service:
        variables["POWERTOOLS_SERVICE_NAME"] = service
    properties: dict[str, Any] = {
        "Code": {
            "S3Bucket": {"Fn::Sub": "cdk-hnb659fds-assets-${AWS::AccountId}-${AWS::Region}"},
            "S3Key": f"{asset}.zip",
        },
        "Handler": "handler.handler",
        "Role": {"Fn::GetAtt": ["FnRole", "Arn"]},
        "Runtime": PYTHON_RUNTIME,
        "Timeout": timeout,
        "MemorySize": memory,
    }
    if variables:
        properties["Environment"] = {"Variables": variables}
    return {
        "Type": "AWS::Lambda::Function",
        "Properties": properties,
        "DependsOn": ["FnRole"],
        "Metadata": {"aws:asset:path": f"asset.{asset}", "aws:asset:property": "Code"},
    }


def table(*, ttl_attribute: str | None = None, stream: bool = False) -> dict[str, Any]:
    properties: dict[str, Any] = {
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
        "BillingMode": "PAY_PER_REQUEST",
    }
    if ttl_attribute:
        properties["TimeToLiveSpecification"] = {"AttributeName": ttl_attribute, "Enabled": True}
    if stream:
        properties["StreamSpecification"] = {"StreamViewType": "NEW_AND_OLD_IMAGES"}
    return {"Type": "AWS::DynamoDB::Table", "Properties": properties, "UpdateReplacePolicy": "Retain"}


def lambda_uri(function_id: str) -> dict[str, Any]:
    """The AWS_PROXY integration Uri CDK writes: a Fn::Join around the function's ARN."""
    return {
        "Fn::Join": [
            "",
            [
                "arn:",
                {"Ref": "AWS::Partition"},
                ":apigateway:",
                {"Ref": "AWS::Region"},
                ":lambda:path/2015-03-31/functions/",
                {"Fn::GetAtt": [function_id, "Arn"]},
                "/invocations",
            ],
        ]
    }


def api_resource(parent: str | None, path_part: str) -> dict[str, Any]:
    parent_id = {"Fn::GetAtt": ["Api", "RootResourceId"]} if parent is None else {"Ref": parent}
    return {
        "Type": "AWS::ApiGateway::Resource",
        "Properties": {"ParentId": parent_id, "PathPart": path_part, "RestApiId": {"Ref": "Api"}},
    }


def proxy_method(resource: str | None, http_method: str, function_id: str) -> dict[str, Any]:
    resource_id = {"Fn::GetAtt": ["Api", "RootResourceId"]} if resource is None else {"Ref": resource}
    return {
        "Type": "AWS::ApiGateway::Method",
        "Properties": {
            "AuthorizationType": "NONE",
            "HttpMethod": http_method,
            "Integration": {"IntegrationHttpMethod": "POST", "Type": "AWS_PROXY", "Uri": lambda_uri(function_id)},
            "ResourceId": resource_id,
            "RestApiId": {"Ref": "Api"},
        },
    }


def cors_preflight(resource: str) -> dict[str, Any]:
    """CDK's defaultCorsPreflightOptions method: a MOCK integration with static headers."""
    return {
        "Type": "AWS::ApiGateway::Method",
        "Properties": {
            "AuthorizationType": "NONE",
            "HttpMethod": "OPTIONS",
            "Integration": {
                "IntegrationResponses": [
                    {
                        "ResponseParameters": {
                            "method.response.header.Access-Control-Allow-Headers": "'Content-Type,X-Api-Key'",
                            "method.response.header.Access-Control-Allow-Origin": "'*'",
                            "method.response.header.Access-Control-Allow-Methods": "'GET,POST,OPTIONS'",
                        },
                        "StatusCode": "204",
                    }
                ],
                "RequestTemplates": {"application/json": "{ statusCode: 200 }"},
                "Type": "MOCK",
            },
            "MethodResponses": [{"StatusCode": "204"}],
            "ResourceId": {"Ref": resource},
            "RestApiId": {"Ref": "Api"},
        },
    }


STAGE_NAME = "prod"


def api_template() -> dict[str, Any]:
    """A REST API over the toy handlers: /, /v1/metrics, /v1/metrics/{name}, /v1/files/{proxy+}, ..."""
    return template(
        {
            "Echo": function("echo", service="vigil-echo", env={"GREETING": "hello from echo"}),
            "Boom": function("boom", service="vigil-boom"),
            "Malformed": function("malformed"),
            "Slow": function("slow", timeout=1),
            "Api": {"Type": "AWS::ApiGateway::RestApi", "Properties": {"Name": "vigil-test-api"}},
            "V1": api_resource(None, "v1"),
            "Metrics": api_resource("V1", "metrics"),
            "MetricName": api_resource("Metrics", "{name}"),
            "Files": api_resource("V1", "files"),
            "FilesProxy": api_resource("Files", "{proxy+}"),
            "BoomResource": api_resource("V1", "boom"),
            "MalformedResource": api_resource("V1", "malformed"),
            "SlowResource": api_resource("V1", "slow"),
            "RootGet": proxy_method(None, "GET", "Echo"),
            "MetricsPost": proxy_method("Metrics", "POST", "Echo"),
            "MetricsGet": proxy_method("Metrics", "GET", "Echo"),
            "MetricsOptions": cors_preflight("Metrics"),
            "MetricNameGet": proxy_method("MetricName", "GET", "Echo"),
            "FilesAny": proxy_method("FilesProxy", "ANY", "Echo"),
            "BoomAny": proxy_method("BoomResource", "ANY", "Boom"),
            "MalformedGet": proxy_method("MalformedResource", "GET", "Malformed"),
            "SlowGet": proxy_method("SlowResource", "GET", "Slow"),
            "EchoPermission": {
                "Type": "AWS::Lambda::Permission",
                "Properties": {
                    "Action": "lambda:InvokeFunction",
                    "FunctionName": {"Fn::GetAtt": ["Echo", "Arn"]},
                    "Principal": "apigateway.amazonaws.com",
                },
            },
            "Deployment": {
                "Type": "AWS::ApiGateway::Deployment",
                "Properties": {"RestApiId": {"Ref": "Api"}},
                "DependsOn": ["RootGet", "MetricsPost", "MetricsGet", "MetricNameGet", "FilesAny", "BoomAny"],
            },
            "Stage": {
                "Type": "AWS::ApiGateway::Stage",
                "Properties": {
                    "DeploymentId": {"Ref": "Deployment"},
                    "RestApiId": {"Ref": "Api"},
                    "StageName": STAGE_NAME,
                },
            },
            "ApiAccount": {
                "Type": "AWS::ApiGateway::Account",
                "Properties": {"CloudWatchRoleArn": {"Fn::GetAtt": ["FnRole", "Arn"]}},
            },
            "CDKMetadata": {"Type": "AWS::CDK::Metadata", "Properties": {"Analytics": "v2:deflate64:H4sI"}},
        },
        Outputs={
            "ApiUrl": {
                "Value": {
                    "Fn::Join": [
                        "",
                        [
                            "https://",
                            {"Ref": "Api"},
                            ".execute-api.",
                            {"Ref": "AWS::Region"},
                            ".",
                            {"Ref": "AWS::URLSuffix"},
                            "/",
                            {"Ref": "Stage"},
                            "/",
                        ],
                    ]
                }
            }
        },
    )


def sqs_template(
    *,
    batch_size: int = 10,
    report_failures: bool = True,
    visibility_timeout: int = 30,
    max_receive_count: int = 3,
    enabled: bool = True,
) -> dict[str, Any]:
    """A queue with a DLQ and an event source mapping to the toy SQS worker."""
    mapping: dict[str, Any] = {
        "EventSourceArn": {"Fn::GetAtt": ["WorkQueue", "Arn"]},
        "FunctionName": {"Ref": "Worker"},
        "BatchSize": batch_size,
        "Enabled": enabled,
    }
    if report_failures:
        mapping["FunctionResponseTypes"] = ["ReportBatchItemFailures"]
    return template(
        {
            "Worker": function("sqsworker", service="vigil-notifier"),
            "DeadLetters": {"Type": "AWS::SQS::Queue", "Properties": {"MessageRetentionPeriod": 1209600}},
            "WorkQueue": {
                "Type": "AWS::SQS::Queue",
                "Properties": {
                    "VisibilityTimeout": visibility_timeout,
                    "RedrivePolicy": {
                        "deadLetterTargetArn": {"Fn::GetAtt": ["DeadLetters", "Arn"]},
                        "maxReceiveCount": max_receive_count,
                    },
                },
            },
            "WorkerMapping": {"Type": "AWS::Lambda::EventSourceMapping", "Properties": mapping},
        }
    )
