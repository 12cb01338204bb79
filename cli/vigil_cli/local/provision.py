"""Creates the template's resources in the backend, one provisioner per resource type.

A type without a provisioner raises ``UnsupportedResourceError``: nothing is skipped in silence.
Provisioners marked ``local_only`` create nothing in the backend, each for the reason it states (see
``local_only_types()``); they still compute the physical id and attributes that Ref and Fn::GetAtt
return, and validate what the local runtime will need later.

To support a new type, add one function decorated with ``@provisioner("AWS::Service::Type")``.
The ``check_*`` validators and ``*_attributes`` helpers are shared with ``attach.py``, which reads the
same facts from a stack that CloudFormation deployed.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from vigil_cli.local.aws import AwsClients
from vigil_cli.local.cron import parse_schedule
from vigil_cli.local.errors import ProvisioningError, UnsupportedResourceError
from vigil_cli.local.functions import FunctionSpec
from vigil_cli.local.template import Provisioned, Resolver, ResourceSpec, StackTemplate


@dataclass
class ProvisionContext:
    clients: AwsClients
    template: StackTemplate
    provisioned: dict[str, Provisioned]
    assembly_dir: Path

    @property
    def region(self) -> str:
        return self.template.region

    @property
    def account_id(self) -> str:
        return self.template.account_id

    def arn(self, service: str, resource: str, *, region: bool = True) -> str:
        return f"arn:aws:{service}:{self.region if region else ''}:{self.account_id}:{resource}"


ProvisionFunction = Callable[[ProvisionContext, ResourceSpec, dict[str, Any]], Provisioned]


@dataclass(frozen=True)
class Provisioner:
    create: ProvisionFunction
    local_only: str | None  # why nothing is created in the backend; None when something is


PROVISIONERS: dict[str, Provisioner] = {}


def provisioner(
    *resource_types: str, local_only: str | None = None
) -> Callable[[ProvisionFunction], ProvisionFunction]:
    def register(create: ProvisionFunction) -> ProvisionFunction:
        for resource_type in resource_types:
            PROVISIONERS[resource_type] = Provisioner(create, local_only)
        return create

    return register


def local_only_types() -> dict[str, str]:
    """Types that create nothing in the backend, with the reason for each."""
    return {name: entry.local_only for name, entry in sorted(PROVISIONERS.items()) if entry.local_only}


def provision_stack(template: StackTemplate, clients: AwsClients, assembly_dir: Path) -> dict[str, Provisioned]:
    """Provision every active resource in dependency order; returns logical id -> Provisioned."""
    order = template.provisioning_order()
    for logical_id in order:  # fail before creating anything when a type is unknown
        spec = template.resources[logical_id]
        if spec.type not in PROVISIONERS:
            raise UnsupportedResourceError(spec.type, logical_id, "no local provisioner for this type")
    context = ProvisionContext(clients, template, {}, assembly_dir)
    resolver = Resolver(template, context.provisioned)
    for logical_id in order:
        spec = template.resources[logical_id]
        properties = resolver.resolve(spec.properties) or {}
        try:
            result = PROVISIONERS[spec.type].create(context, spec, properties)
        except ClientError as exc:
            raise ProvisioningError(f"cannot create {spec.type} {logical_id}: {exc}") from exc
        except (KeyError, ValueError, TypeError) as exc:
            raise ProvisioningError(f"cannot create {spec.type} {logical_id}: bad property {exc}") from exc
        result.properties = properties
        result.metadata = dict(spec.metadata)
        context.provisioned[logical_id] = result
    return context.provisioned


def _error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _flag(value: Any) -> str:
    """CloudFormation booleans arrive as bools or strings; AWS attribute maps want 'true'/'false'."""
    return str(value).lower() if isinstance(value, bool) else str(value)


def _json_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _pick(properties: Mapping[str, Any], *names: str) -> dict[str, Any]:
    return {name: properties[name] for name in names if name in properties}


# --- local only -----------------------------------------------------------------------------------


@provisioner("AWS::CDK::Metadata", local_only="CDK's analytics metadata; nothing to create")
def _cdk_metadata(ctx: ProvisionContext, spec: ResourceSpec, props: dict[str, Any]) -> Provisioned:
    return Provisioned(spec.type, ctx.template.physical_name(spec.logical_id))


@provisioner(
    "AWS::IAM::Role",
    local_only="recorded, not created: neither the in-process runtime nor moto enforces IAM; only the ARN is used",
)
def _iam_role(ctx: ProvisionContext, spec: ResourceSpec, props: dict[str, Any]) -> Provisioned:
    name = props.get("RoleName") or ctx.template.physical_name(spec.logical_id, max_length=64)
    path = props.get("Path", "/")
    role_id = "AROA" + ctx.template.physical_name(spec.logical_id).rsplit("-", 1)[1]
    arn = ctx.arn("iam", f"role{path}{name}", region=False)
    return Provisioned(spec.type, name, {"Arn": arn, "RoleId": role_id})


@provisioner(
    "AWS::IAM::Policy",
    "AWS::IAM::ManagedPolicy",
    local_only="recorded, not created: IAM is not enforced locally",
)
def _iam_policy(ctx: ProvisionContext, spec: ResourceSpec, props: dict[str, Any]) -> Provisioned:
    name = props.get("PolicyName") or props.get("ManagedPolicyName") or ctx.template.physical_name(spec.logical_id)
    if spec.type == "AWS::IAM::ManagedPolicy":  # Ref of a managed policy is its ARN
        arn = ctx.arn("iam", f"policy{props.get('Path', '/')}{name}", region=False)
        return Provisioned(spec.type, arn, {"PolicyArn": arn})
    return Provisioned(spec.type, name)


@provisioner(
    "AWS::Lambda::Permission",
    local_only="the local runtime invokes functions directly; resource policies are not checked",
)
def _lambda_permission(ctx: ProvisionContext, spec: ResourceSpec, props: dict[str, Any]) -> Provisioned:
    return Provisioned(spec.type, ctx.template.physical_name(spec.logical_id))


@provisioner(
    "AWS::Lambda::Function",
    local_only="run in-process by the function registry (functions.py); validated here",
)
def _lambda_function(ctx: ProvisionContext, spec: ResourceSpec, props: dict[str, Any]) -> Provisioned:
    name = props.get("FunctionName") or ctx.template.physical_name(spec.logical_id, max_length=64)
    arn = ctx.arn("lambda", f"function:{name}")
    check_function(ctx, spec, props, name, arn)
    return Provisioned(spec.type, name, {"Arn": arn})


def check_function(ctx: ProvisionContext, spec: ResourceSpec, props: dict[str, Any], name: str, arn: str) -> None:
    """Fail while the stack comes up, not at the first invocation, when a function cannot run in-process."""
    layer_arns = {item.physical_id for item in ctx.provisioned.values() if item.type == "AWS::Lambda::LayerVersion"}
    FunctionSpec.from_resource(
        spec.logical_id,
        Provisioned(spec.type, name, {"Arn": arn}, props, dict(spec.metadata)),
        assembly_dir=ctx.assembly_dir,
        account_id=ctx.account_id,
        layer_arns=layer_arns,
    )


@provisioner(
    "AWS::Lambda::LayerVersion",
    local_only="the layer's package (vigil_core) is already importable from the venv; its asset path is recorded",
)
def _lambda_layer(ctx: ProvisionContext, spec: ResourceSpec, props: dict[str, Any]) -> Provisioned:
    name = props.get("LayerName") or ctx.template.physical_name(spec.logical_id, max_length=140)
    arn = ctx.arn("lambda", f"layer:{name}:1")
    return Provisioned(spec.type, arn, layer_attributes(spec, arn))


def layer_attributes(spec: ResourceSpec, arn: str) -> dict[str, Any]:
    return {"LayerVersionArn": arn, "AssetPath": spec.metadata.get("aws:asset:path")}


@provisioner(
    "AWS::Lambda::EventSourceMapping",
    local_only="SQS event sources are driven by the local pollers (sqs_pollers.py)",
)
def _event_source_mapping(ctx: ProvisionContext, spec: ResourceSpec, props: dict[str, Any]) -> Provisioned:
    check_event_source(spec, props)
    mapping_id = str(uuid.uuid5(uuid.NAMESPACE_URL, ctx.template.physical_name(spec.logical_id)))
    arn = ctx.arn("lambda", f"event-source-mapping:{mapping_id}")
    return Provisioned(spec.type, mapping_id, {"Id": mapping_id, "EventSourceMappingArn": arn})


def check_event_source(spec: ResourceSpec, props: dict[str, Any]) -> None:
    source = str(props.get("EventSourceArn", ""))
    if not source.startswith("arn:aws:sqs:"):
        raise UnsupportedResourceError(
            spec.type, spec.logical_id, f"only SQS event sources run locally, not {source or 'this source'}"
        )


@provisioner("AWS::Events::Rule", local_only="schedule rules are fired by the local scheduler (schedules.py)")
def _events_rule(ctx: ProvisionContext, spec: ResourceSpec, props: dict[str, Any]) -> Provisioned:
    check_schedule_rule(spec, props)
    name = props.get("Name") or ctx.template.physical_name(spec.logical_id, max_length=64)
    arn = ctx.arn("events", f"rule/{name}")
    return Provisioned(spec.type, name, {"Arn": arn})


def check_schedule_rule(spec: ResourceSpec, props: dict[str, Any]) -> None:
    if "EventPattern" in props or "ScheduleExpression" not in props:
        raise UnsupportedResourceError(
            spec.type, spec.logical_id, "only schedule rules (ScheduleExpression) run locally, not event patterns"
        )
    parse_schedule(props["ScheduleExpression"])  # a bad expression fails now, not at the first tick
    for target in props.get("Targets", []):
        if ":lambda:" not in str(target.get("Arn", "")) or ":function:" not in str(target.get("Arn", "")):
            raise UnsupportedResourceError(
                spec.type, spec.logical_id, f"target {target.get('Id')} is not a Lambda function: {target.get('Arn')}"
            )
        transformer = target.get("InputTransformer")
        if transformer is not None and "InputTemplate" not in transformer:
            raise UnsupportedResourceError(
                spec.type, spec.logical_id, f"target {target.get('Id')}: InputTransformer without an InputTemplate"
            )


# --- DynamoDB -------------------------------------------------------------------------------------


def _create_table(ctx: ProvisionContext, request: dict[str, Any], props: dict[str, Any]) -> dict[str, Any]:
    """create_table (adopting a table that already exists in a persistent backend), then TTL and PITR."""
    dynamodb = ctx.clients.dynamodb()
    name = request["TableName"]
    try:
        description: Any = dynamodb.create_table(**request)["TableDescription"]
    except ClientError as exc:
        if _error_code(exc) != "ResourceInUseException":
            raise
        description = dynamodb.describe_table(TableName=name)["Table"]
    ttl = props.get("TimeToLiveSpecification")
    if ttl and _flag(ttl.get("Enabled")) == "true":
        # Enabling TTL only records it; moto never expires items, the TTL sweeper does.
        current = dynamodb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
        if current.get("TimeToLiveStatus") not in ("ENABLED", "ENABLING"):
            dynamodb.update_time_to_live(
                TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl["AttributeName"]}
            )
    pitr = props.get("PointInTimeRecoverySpecification")
    if pitr and _flag(pitr.get("PointInTimeRecoveryEnabled")) == "true":
        dynamodb.update_continuous_backups(
            TableName=name, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
        )
    return table_attributes(description)


def table_attributes(description: Mapping[str, Any]) -> dict[str, Any]:
    """Fn::GetAtt of a table, from its describe_table description."""
    attributes = {"Arn": description["TableArn"]}
    if description.get("LatestStreamArn"):
        attributes["StreamArn"] = description["LatestStreamArn"]
    if description.get("TableId"):
        attributes["TableId"] = description["TableId"]
    return attributes


def _indexes(indexes: list[dict[str, Any]], *, with_throughput: bool) -> list[dict[str, Any]]:
    keys = ("IndexName", "KeySchema", "Projection") + (("ProvisionedThroughput",) if with_throughput else ())
    return [_pick(index, *keys) for index in indexes]


def _stream(props: dict[str, Any]) -> dict[str, Any]:
    stream = props.get("StreamSpecification")
    if not stream:
        return {}
    return {"StreamSpecification": {"StreamEnabled": True, "StreamViewType": stream["StreamViewType"]}}


@provisioner("AWS::DynamoDB::Table")
def _dynamodb_table(ctx: ProvisionContext, spec: ResourceSpec, props: dict[str, Any]) -> Provisioned:
    name = props.get("TableName") or ctx.template.physical_name(spec.logical_id, max_length=255)
    billing = props.get("BillingMode", "PROVISIONED")
    provisioned_mode = billing == "PROVISIONED"
    request: dict[str, Any] = {
        "TableName": name,
        "KeySchema": props["KeySchema"],
        "AttributeDefinitions": props["AttributeDefinitions"],
        "BillingMode": billing,
        **_stream(props),
    }
    if provisioned_mode:
        throughput = props.get("ProvisionedThroughput", {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5})
        request["ProvisionedThroughput"] = {key: int(value) for key, value in throughput.items()}
    if props.get("GlobalSecondaryIndexes"):
        request["GlobalSecondaryIndexes"] = _indexes(props["GlobalSecondaryIndexes"], with_throughput=provisioned_mode)
    if props.get("LocalSecondaryIndexes"):
        request["LocalSecondaryIndexes"] = _indexes(props["LocalSecondaryIndexes"], with_throughput=False)
    return Provisioned(spec.type, name, _create_table(ctx, request, props))


@provisioner("AWS::DynamoDB::GlobalTable")
def _dynamodb_global_table(ctx: ProvisionContext, spec: ResourceSpec, props: dict[str, Any]) -> Provisioned:
    """One-region global table (CDK TableV2): the replica in the stack's region becomes a table."""
    if props.get("BillingMode", "PROVISIONED") != "PAY_PER_REQUEST":
        raise UnsupportedResourceError(spec.type, spec.logical_id, "only PAY_PER_REQUEST global tables")
    replicas = [replica for replica in props.get("Replicas", []) if replica.get("Region") == ctx.region]
    if not replicas:
        raise UnsupportedResourceError(spec.type, spec.logical_id, f"no replica in {ctx.region}")
    name = props.get("TableName") or ctx.template.physical_name(spec.logical_id, max_length=255)
    request: dict[str, Any] = {
        "TableName": name,
        "KeySchema": props["KeySchema"],
        "AttributeDefinitions": props["AttributeDefinitions"],
        "BillingMode": "PAY_PER_REQUEST",
        **_stream(props),
    }
    if props.get("GlobalSecondaryIndexes"):
        request["GlobalSecondaryIndexes"] = _indexes(props["GlobalSecondaryIndexes"], with_throughput=False)
    if props.get("LocalSecondaryIndexes"):
        request["LocalSecondaryIndexes"] = _indexes(props["LocalSecondaryIndexes"], with_throughput=False)
    replica_props = {**props, **_pick(replicas[0], "PointInTimeRecoverySpecification")}
    return Provisioned(spec.type, name, _create_table(ctx, request, replica_props))


# --- SQS and SNS ----------------------------------------------------------------------------------

_QUEUE_ATTRIBUTES = (
    "DelaySeconds",
    "MaximumMessageSize",
    "MessageRetentionPeriod",
    "ReceiveMessageWaitTimeSeconds",
    "VisibilityTimeout",
    "KmsMasterKeyId",
    "KmsDataKeyReusePeriodSeconds",
    "SqsManagedSseEnabled",
    "FifoQueue",
    "ContentBasedDeduplication",
    "DeduplicationScope",
    "FifoThroughputLimit",
)


@provisioner("AWS::SQS::Queue")
def _sqs_queue(ctx: ProvisionContext, spec: ResourceSpec, props: dict[str, Any]) -> Provisioned:
    fifo = _flag(props.get("FifoQueue", False)) == "true"
    name = props.get("QueueName") or ctx.template.physical_name(
        spec.logical_id, max_length=80, suffix=".fifo" if fifo else ""
    )
    attributes: dict[Any, str] = {key: _flag(props[key]) for key in _QUEUE_ATTRIBUTES if key in props}
    for key in ("RedrivePolicy", "RedriveAllowPolicy"):
        if key in props:
            attributes[key] = _json_text(props[key])
    if not fifo:
        attributes.pop("FifoQueue", None)  # SQS rejects FifoQueue=false on a standard queue
    sqs = ctx.clients.sqs()
    url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    return Provisioned(spec.type, url, queue_attributes(ctx, url))


def queue_attributes(ctx: ProvisionContext, url: str) -> dict[str, Any]:
    arn = ctx.clients.sqs().get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return {"Arn": arn, "QueueName": arn.rsplit(":", 1)[1], "QueueUrl": url}


@provisioner("AWS::SQS::QueuePolicy")
def _sqs_queue_policy(ctx: ProvisionContext, spec: ResourceSpec, props: dict[str, Any]) -> Provisioned:
    for queue_url in props["Queues"]:
        ctx.clients.sqs().set_queue_attributes(
            QueueUrl=queue_url, Attributes={"Policy": _json_text(props["PolicyDocument"])}
        )
    return Provisioned(spec.type, ctx.template.physical_name(spec.logical_id))


@provisioner("AWS::SNS::Topic")
def _sns_topic(ctx: ProvisionContext, spec: ResourceSpec, props: dict[str, Any]) -> Provisioned:
    fifo = _flag(props.get("FifoTopic", False)) == "true"
    name = props.get("TopicName") or ctx.template.physical_name(
        spec.logical_id, max_length=256, suffix=".fifo" if fifo else ""
    )
    attributes: dict[str, str] = {key: _flag(props[key]) for key in ("DisplayName", "KmsMasterKeyId") if key in props}
    if fifo:
        attributes["FifoTopic"] = "true"
        if "ContentBasedDeduplication" in props:
            attributes["ContentBasedDeduplication"] = _flag(props["ContentBasedDeduplication"])
    arn = ctx.clients.sns().create_topic(Name=name, Attributes=attributes)["TopicArn"]
    for inline in props.get("Subscription", []):
        _subscribe(ctx, spec, arn, {"Protocol": inline["Protocol"], "Endpoint": inline["Endpoint"]})
    return Provisioned(spec.type, arn, topic_attributes(arn))


def topic_attributes(arn: str) -> dict[str, Any]:
    return {"TopicArn": arn, "TopicName": arn.rsplit(":", 1)[1]}


def check_subscription(spec: ResourceSpec, protocol: str) -> None:
    if protocol != "sqs":
        reason = (
            "SNS -> Lambda delivery is not emulated; subscribe an SQS queue with an event source mapping"
            if protocol == "lambda"
            else f"only the sqs protocol is delivered locally, not {protocol}"
        )
        raise UnsupportedResourceError(spec.type, spec.logical_id, reason)


def _subscribe(ctx: ProvisionContext, spec: ResourceSpec, topic_arn: str, props: dict[str, Any]) -> str:
    protocol = props["Protocol"]
    check_subscription(spec, protocol)
    attributes: dict[str, str] = {}
    for key in ("FilterPolicy", "RedrivePolicy", "DeliveryPolicy"):
        if key in props:
            attributes[key] = _json_text(props[key])
    for key in ("FilterPolicyScope", "RawMessageDelivery"):
        if key in props:
            attributes[key] = _flag(props[key])
    response = ctx.clients.sns().subscribe(
        TopicArn=topic_arn,
        Protocol=protocol,
        Endpoint=props["Endpoint"],
        Attributes=attributes,
        ReturnSubscriptionArn=True,
    )
    return response["SubscriptionArn"]


@provisioner("AWS::SNS::Subscription")
def _sns_subscription(ctx: ProvisionContext, spec: ResourceSpec, props: dict[str, Any]) -> Provisioned:
    return Provisioned(spec.type, _subscribe(ctx, spec, props["TopicArn"], props))


@provisioner("AWS::SNS::TopicPolicy")
def _sns_topic_policy(ctx: ProvisionContext, spec: ResourceSpec, props: dict[str, Any]) -> Provisioned:
    for topic_arn in props["Topics"]:
        ctx.clients.sns().set_topic_attributes(
            TopicArn=topic_arn, AttributeName="Policy", AttributeValue=_json_text(props["PolicyDocument"])
        )
    return Provisioned(spec.type, ctx.template.physical_name(spec.logical_id))


# --- logs, parameters, storage, secrets, keys -----------------------------------------------------


@provisioner("AWS::Logs::LogGroup")
def _log_group(ctx: ProvisionContext, spec: ResourceSpec, props: dict[str, Any]) -> Provisioned:
    name = props.get("LogGroupName") or ctx.template.physical_name(spec.logical_id, max_length=512)
    logs = ctx.clients.logs()
    try:
        logs.create_log_group(logGroupName=name)
    except ClientError as exc:
        if _error_code(exc) != "ResourceAlreadyExistsException":
            raise
    if "RetentionInDays" in props:
        logs.put_retention_policy(logGroupName=name, retentionInDays=int(props["RetentionInDays"]))
    return Provisioned(spec.type, name, log_group_attributes(ctx, name))


def log_group_attributes(ctx: ProvisionContext, name: str) -> dict[str, Any]:
    return {"Arn": ctx.arn("logs", f"log-group:{name}:*")}


@provisioner("AWS::SSM::Parameter")
def _ssm_parameter(ctx: ProvisionContext, spec: ResourceSpec, props: dict[str, Any]) -> Provisioned:
    name = props.get("Name") or ctx.template.physical_name(spec.logical_id, max_length=1011)
    request = {"Name": name, "Value": str(props["Value"]), "Type": props.get("Type", "String"), "Overwrite": True}
    request.update(_pick(props, "Description", "AllowedPattern", "Tier", "DataType"))
    ctx.clients.ssm().put_parameter(**request)
    return Provisioned(spec.type, name, {"Type": request["Type"], "Value": request["Value"]})


@provisioner("AWS::S3::Bucket")
def _s3_bucket(ctx: ProvisionContext, spec: ResourceSpec, props: dict[str, Any]) -> Provisioned:
    name = props.get("BucketName") or ctx.template.physical_name(spec.logical_id, max_length=63, lowercase=True)
    s3 = ctx.clients.s3()
    location = {} if ctx.region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": ctx.region}}
    try:
        s3.create_bucket(Bucket=name, **location)
    except ClientError as exc:  # adopt our own bucket left in a persistent backend
        if _error_code(exc) != "BucketAlreadyOwnedByYou":
            raise
    versioning = props.get("VersioningConfiguration")
    if versioning:
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": versioning["Status"]})
    return Provisioned(spec.type, name, bucket_attributes(ctx, name))


def bucket_attributes(ctx: ProvisionContext, name: str) -> dict[str, Any]:
    return {
        "Arn": f"arn:aws:s3:::{name}",
        "DomainName": f"{name}.s3.amazonaws.com",
        "RegionalDomainName": f"{name}.s3.{ctx.region}.amazonaws.com",
        "DualStackDomainName": f"{name}.s3.dualstack.{ctx.region}.amazonaws.com",
        "WebsiteURL": f"http://{name}.s3-website-{ctx.region}.amazonaws.com",
    }


@provisioner("AWS::S3::BucketPolicy")
def _s3_bucket_policy(ctx: ProvisionContext, spec: ResourceSpec, props: dict[str, Any]) -> Provisioned:
    policy = _without_tls_only_denials(props["PolicyDocument"])
    if policy.get("Statement"):
        ctx.clients.s3().put_bucket_policy(Bucket=props["Bucket"], Policy=_json_text(policy))
    return Provisioned(spec.type, ctx.template.physical_name(spec.logical_id))


def _without_tls_only_denials(document: Any) -> dict[str, Any]:
    """The policy minus its "deny unless TLS" statements: the local cloud's endpoint is plain HTTP on 127.0.0.1,
    and moto enforces bucket policies, so a TLS-only bucket would refuse every request the functions make."""
    policy = json.loads(document) if isinstance(document, str) else dict(document)
    statements = policy.get("Statement", [])
    statements = statements if isinstance(statements, list) else [statements]
    policy["Statement"] = [
        statement
        for statement in statements
        if not (
            statement.get("Effect") == "Deny"
            and str(statement.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport", "")).lower() == "false"
        )
    ]
    return policy


_PASSWORD_OPTIONS = (
    "ExcludeCharacters",
    "ExcludeLowercase",
    "ExcludeNumbers",
    "ExcludePunctuation",
    "ExcludeUppercase",
    "IncludeSpace",
    "PasswordLength",
    "RequireEachIncludedType",
)


@provisioner("AWS::SecretsManager::Secret")
def _secret(ctx: ProvisionContext, spec: ResourceSpec, props: dict[str, Any]) -> Provisioned:
    secrets = ctx.clients.secretsmanager()
    name = props.get("Name") or ctx.template.physical_name(spec.logical_id, max_length=512)
    if "SecretString" in props:
        value = str(props["SecretString"])
    else:
        generate = props.get("GenerateSecretString", {})
        password = secrets.get_random_password(**_pick(generate, *_PASSWORD_OPTIONS))["RandomPassword"]
        if "SecretStringTemplate" in generate:
            document = json.loads(generate["SecretStringTemplate"])
            document[generate["GenerateStringKey"]] = password
            value = json.dumps(document)
        else:
            value = password
    request = {"Name": name, "SecretString": value, **_pick(props, "Description", "KmsKeyId")}
    try:
        arn = secrets.create_secret(**request)["ARN"]
    except ClientError as exc:
        if _error_code(exc) != "ResourceExistsException":
            raise
        arn = secrets.describe_secret(SecretId=name)["ARN"]
    return Provisioned(spec.type, arn, {"Id": arn})


@provisioner("AWS::KMS::Key")
def _kms_key(ctx: ProvisionContext, spec: ResourceSpec, props: dict[str, Any]) -> Provisioned:
    kms = ctx.clients.kms()
    request = _pick(props, "Description", "KeyUsage", "KeySpec")
    if "KeyPolicy" in props:
        request["Policy"] = _json_text(props["KeyPolicy"])
    metadata = kms.create_key(**request)["KeyMetadata"]
    if _flag(props.get("EnableKeyRotation", False)) == "true":
        kms.enable_key_rotation(KeyId=metadata["KeyId"])
    return Provisioned(spec.type, metadata["KeyId"], key_attributes(metadata))


def key_attributes(metadata: Mapping[str, Any]) -> dict[str, Any]:
    return {"Arn": metadata["Arn"], "KeyId": metadata["KeyId"]}


@provisioner("AWS::KMS::Alias")
def _kms_alias(ctx: ProvisionContext, spec: ResourceSpec, props: dict[str, Any]) -> Provisioned:
    ctx.clients.kms().create_alias(AliasName=props["AliasName"], TargetKeyId=props["TargetKeyId"])
    return Provisioned(spec.type, props["AliasName"])


# --- Step Functions, CloudWatch -------------------------------------------------------------------


@provisioner("AWS::StepFunctions::StateMachine")
def _state_machine(ctx: ProvisionContext, spec: ResourceSpec, props: dict[str, Any]) -> Provisioned:
    if "DefinitionString" in props:
        definition = str(props["DefinitionString"])
    elif "Definition" in props:
        definition = json.dumps(props["Definition"])
    else:
        raise UnsupportedResourceError(spec.type, spec.logical_id, "only inline definitions (no S3 location)")
    for key, value in props.get("DefinitionSubstitutions", {}).items():
        definition = definition.replace("${" + key + "}", str(value))
    name = props.get("StateMachineName") or ctx.template.physical_name(spec.logical_id, max_length=80)
    stepfunctions = ctx.clients.stepfunctions()
    try:
        arn = stepfunctions.create_state_machine(
            name=name, definition=definition, roleArn=props["RoleArn"], type=props.get("StateMachineType", "STANDARD")
        )["stateMachineArn"]
    except ClientError as exc:  # a persistent backend still has it: bring it up to date
        if _error_code(exc) != "StateMachineAlreadyExists":
            raise
        arn = ctx.arn("states", f"stateMachine:{name}")
        stepfunctions.update_state_machine(stateMachineArn=arn, definition=definition, roleArn=props["RoleArn"])
    return Provisioned(spec.type, arn, {"Arn": arn, "Name": name})


_ALARM_PARAMETERS = (
    "AlarmDescription",
    "ActionsEnabled",
    "AlarmActions",
    "OKActions",
    "InsufficientDataActions",
    "MetricName",
    "Namespace",
    "Statistic",
    "ExtendedStatistic",
    "Dimensions",
    "Period",
    "Unit",
    "EvaluationPeriods",
    "DatapointsToAlarm",
    "Threshold",
    "ComparisonOperator",
    "TreatMissingData",
    "EvaluateLowSampleCountPercentile",
    "Metrics",
    "ThresholdMetricId",
)


@provisioner("AWS::CloudWatch::Alarm")
def _alarm(ctx: ProvisionContext, spec: ResourceSpec, props: dict[str, Any]) -> Provisioned:
    name = props.get("AlarmName") or ctx.template.physical_name(spec.logical_id, max_length=255)
    request = _pick(props, *_ALARM_PARAMETERS)
    for key in ("Period", "EvaluationPeriods", "DatapointsToAlarm"):
        if key in request:
            request[key] = int(request[key])
    if "Threshold" in request:
        request["Threshold"] = float(request["Threshold"])
    if "ActionsEnabled" in request:
        request["ActionsEnabled"] = _flag(request["ActionsEnabled"]) == "true"
    ctx.clients.cloudwatch().put_metric_alarm(AlarmName=name, **request)
    return Provisioned(spec.type, name, alarm_attributes(ctx, name))


def alarm_attributes(ctx: ProvisionContext, name: str) -> dict[str, Any]:
    return {"Arn": ctx.arn("cloudwatch", f"alarm:{name}")}


@provisioner("AWS::CloudWatch::Dashboard")
def _dashboard(ctx: ProvisionContext, spec: ResourceSpec, props: dict[str, Any]) -> Provisioned:
    name = props.get("DashboardName") or ctx.template.physical_name(spec.logical_id, max_length=255)
    ctx.clients.cloudwatch().put_dashboard(DashboardName=name, DashboardBody=_json_text(props["DashboardBody"]))
    return Provisioned(spec.type, name)


# --- API Gateway (REST) ---------------------------------------------------------------------------


@provisioner("AWS::ApiGateway::RestApi")
def _rest_api(ctx: ProvisionContext, spec: ResourceSpec, props: dict[str, Any]) -> Provisioned:
    check_rest_api(spec, props)
    name = props.get("Name") or ctx.template.physical_name(spec.logical_id)
    request = {"name": name}
    if "Description" in props:
        request["description"] = props["Description"]
    api_id = ctx.clients.apigateway().create_rest_api(**request)["id"]
    return Provisioned(spec.type, api_id, rest_api_attributes(ctx, api_id))


def check_rest_api(spec: ResourceSpec, props: dict[str, Any]) -> None:
    if "Body" in props or "BodyS3Location" in props:
        raise UnsupportedResourceError(spec.type, spec.logical_id, "OpenAPI bodies are not served locally")


def rest_api_attributes(ctx: ProvisionContext, api_id: str) -> dict[str, Any]:
    resources = ctx.clients.apigateway().get_resources(restApiId=api_id)["items"]
    root_id = next(item["id"] for item in resources if item["path"] == "/")
    return {"RootResourceId": root_id, "RestApiId": api_id}


@provisioner("AWS::ApiGateway::Resource")
def _api_resource(ctx: ProvisionContext, spec: ResourceSpec, props: dict[str, Any]) -> Provisioned:
    response = ctx.clients.apigateway().create_resource(
        restApiId=props["RestApiId"], parentId=props["ParentId"], pathPart=props["PathPart"]
    )
    return Provisioned(spec.type, response["id"], {"ResourceId": response["id"]})


@provisioner("AWS::ApiGateway::Method", local_only="served by the local HTTP server (apigateway.py); validated here")
def _api_method(ctx: ProvisionContext, spec: ResourceSpec, props: dict[str, Any]) -> Provisioned:
    check_api_method(spec, props)
    return Provisioned(spec.type, ctx.template.physical_name(spec.logical_id))


def check_api_method(spec: ResourceSpec, props: dict[str, Any]) -> None:
    authorization = props.get("AuthorizationType", "NONE")
    if authorization != "NONE" or _flag(props.get("ApiKeyRequired", False)) == "true":
        raise UnsupportedResourceError(
            spec.type, spec.logical_id, f"authorization {authorization} / API keys are not enforced locally"
        )
    integration_type = props.get("Integration", {}).get("Type")
    if integration_type not in ("AWS_PROXY", "MOCK"):
        raise UnsupportedResourceError(
            spec.type, spec.logical_id, f"integration type {integration_type}; only AWS_PROXY and MOCK run locally"
        )


@provisioner(
    "AWS::ApiGateway::Stage",
    local_only="its StageName prefixes the served paths; its throttling and logging settings are not enforced",
)
def _api_stage(ctx: ProvisionContext, spec: ResourceSpec, props: dict[str, Any]) -> Provisioned:
    return Provisioned(spec.type, props["StageName"])


@provisioner("AWS::ApiGateway::Deployment", local_only="the local server serves the template's methods directly")
def _api_deployment(ctx: ProvisionContext, spec: ResourceSpec, props: dict[str, Any]) -> Provisioned:
    deployment_id = ctx.template.physical_name(spec.logical_id).rsplit("-", 1)[1][:10].lower()
    return Provisioned(spec.type, deployment_id, {"DeploymentId": deployment_id})


@provisioner("AWS::ApiGateway::Account", local_only="account-wide CloudWatch role for API Gateway logs")
def _api_account(ctx: ProvisionContext, spec: ResourceSpec, props: dict[str, Any]) -> Provisioned:
    return Provisioned(spec.type, ctx.template.physical_name(spec.logical_id))
