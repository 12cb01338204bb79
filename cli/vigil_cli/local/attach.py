"""Attach mode: the runtime takes over a stack that CloudFormation deployed instead of provisioning it.

For every active resource, in dependency order, ``attach_stack`` records the deployed physical id (what
Ref returns), the properties resolved against the resources attached before it, and the attributes that
Fn::GetAtt and the runtime read, under the names the provisioners use: read from the backend, or derived
the way the provisioners derive them. The checks the provisioners make on what runs locally (functions,
schedule rules, SQS event sources, methods, subscriptions) are made here too.

A type without an attacher (those in ``NO_ATTRIBUTES``, and types the local provisioner does not know,
since the backend created them) gets no attributes: its Ref works, an Fn::GetAtt on it fails naming it.

The backend's own triggers are switched off: enabled event source mappings and schedule rules would make
the backend poll the queues and fire the rules too, competing with the local pollers and scheduler (and
failing, or running the handler twice). They stay off after the local cloud stops. (A stack the local cloud
deploys itself is created with them off, cfn_deploy.without_backend_triggers; this is for stacks deployed by
others, e.g. `cdklocal deploy`.)
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from vigil_cli.local.aws import AwsClients
from vigil_cli.local.errors import CloudFormationError
from vigil_cli.local.provision import (
    ProvisionContext,
    alarm_attributes,
    bucket_attributes,
    check_api_method,
    check_event_source,
    check_function,
    check_rest_api,
    check_schedule_rule,
    check_subscription,
    key_attributes,
    layer_attributes,
    log_group_attributes,
    queue_attributes,
    rest_api_attributes,
    table_attributes,
    topic_attributes,
)
from vigil_cli.local.template import Provisioned, Resolver, ResourceSpec, StackTemplate

AttachFunction = Callable[[ProvisionContext, ResourceSpec, str, dict[str, Any]], dict[str, Any]]

ATTACHERS: dict[str, AttachFunction] = {}
# Types whose provisioners set no attributes either; Ref (the physical id) is all they offer.
NO_ATTRIBUTES = frozenset(
    {
        "AWS::ApiGateway::Account",
        "AWS::ApiGateway::Stage",
        "AWS::CDK::Metadata",
        "AWS::CloudWatch::Dashboard",
        "AWS::IAM::Policy",
        "AWS::KMS::Alias",
        "AWS::Lambda::Permission",
        "AWS::S3::BucketPolicy",
        "AWS::SNS::TopicPolicy",
        "AWS::SQS::QueuePolicy",
    }
)
# LocalStack's pollers stop between receives (short polls: no batching window), so this is generous.
_DISABLE_TIMEOUT_S = 30.0
_DISABLE_POLL_S = 0.1
# Emulators' CloudFormation may leave it out (moto does); nothing reads it.
_OPTIONAL_TYPES = frozenset({"AWS::CDK::Metadata"})


def attacher(*resource_types: str) -> Callable[[AttachFunction], AttachFunction]:
    def register(read: AttachFunction) -> AttachFunction:
        for resource_type in resource_types:
            ATTACHERS[resource_type] = read
        return read

    return register


def attach_stack(
    template: StackTemplate, clients: AwsClients, assembly_dir: Path, deployed: Mapping[str, str]
) -> dict[str, Provisioned]:
    """Every active resource of the template as deployed (logical id -> Provisioned), in dependency order."""
    order = template.provisioning_order()
    missing = [
        f"{logical_id} ({template.resources[logical_id].type})"
        for logical_id in order
        if logical_id not in deployed and template.resources[logical_id].type not in _OPTIONAL_TYPES
    ]
    if missing:
        raise CloudFormationError(
            f"stack {template.stack_name} has no resource for {', '.join(missing)}; "
            f"was it deployed from another template?"
        )
    context = ProvisionContext(clients, template, {}, assembly_dir)
    resolver = Resolver(template, context.provisioned)
    for logical_id in order:
        spec = template.resources[logical_id]
        properties = resolver.resolve(spec.properties) or {}
        # An empty physical id (moto's, for some types) becomes the name the provisioner would generate.
        physical_id = deployed.get(logical_id) or template.physical_name(logical_id)
        read = ATTACHERS.get(spec.type, _no_attributes)
        try:
            attributes = read(context, spec, physical_id, properties)
        except (ClientError, BotoCoreError) as exc:
            raise CloudFormationError(f"cannot read {spec.type} {logical_id} ({physical_id}): {exc}") from exc
        context.provisioned[logical_id] = Provisioned(
            spec.type, physical_id, attributes, properties, dict(spec.metadata)
        )
    return context.provisioned


def _no_attributes(
    ctx: ProvisionContext, spec: ResourceSpec, physical_id: str, props: dict[str, Any]
) -> dict[str, Any]:
    return {}


# --- IAM and Lambda -------------------------------------------------------------------------------


@attacher("AWS::IAM::Role")
def _role(ctx: ProvisionContext, spec: ResourceSpec, physical_id: str, props: dict[str, Any]) -> dict[str, Any]:
    role = ctx.clients.iam().get_role(RoleName=physical_id)["Role"]
    return {"Arn": role["Arn"], "RoleId": role["RoleId"]}


@attacher("AWS::IAM::ManagedPolicy")
def _managed_policy(
    ctx: ProvisionContext, spec: ResourceSpec, physical_id: str, props: dict[str, Any]
) -> dict[str, Any]:
    return {"PolicyArn": physical_id}  # Ref of a managed policy is its ARN


@attacher("AWS::Lambda::Function")
def _function(ctx: ProvisionContext, spec: ResourceSpec, physical_id: str, props: dict[str, Any]) -> dict[str, Any]:
    arn = ctx.clients.lambda_().get_function(FunctionName=physical_id)["Configuration"]["FunctionArn"]
    check_function(ctx, spec, props, physical_id, arn)
    return {"Arn": arn}


@attacher("AWS::Lambda::LayerVersion")
def _layer(ctx: ProvisionContext, spec: ResourceSpec, physical_id: str, props: dict[str, Any]) -> dict[str, Any]:
    return layer_attributes(spec, physical_id)  # Ref of a layer version is its ARN


@attacher("AWS::Lambda::EventSourceMapping")
def _event_source_mapping(
    ctx: ProvisionContext, spec: ResourceSpec, physical_id: str, props: dict[str, Any]
) -> dict[str, Any]:
    check_event_source(spec, props)
    lambda_client = ctx.clients.lambda_()
    mapping = lambda_client.get_event_source_mapping(UUID=physical_id)
    if mapping.get("State") != "Disabled":
        if mapping.get("State") != "Disabling":
            lambda_client.update_event_source_mapping(UUID=physical_id, Enabled=False)  # the local poller runs it
        _wait_until_disabled(lambda_client, physical_id)
    arn = mapping.get("EventSourceMappingArn") or ctx.arn("lambda", f"event-source-mapping:{physical_id}")
    return {"Id": physical_id, "EventSourceMappingArn": arn}


def _wait_until_disabled(lambda_client: Any, mapping_id: str) -> None:
    """LocalStack disables a mapping asynchronously: its poller finishes the receive it is in first, and a
    message that receive took would go to LocalStack's Lambda (which cannot run it) instead of the local one."""
    deadline = time.monotonic() + _DISABLE_TIMEOUT_S
    while (state := lambda_client.get_event_source_mapping(UUID=mapping_id).get("State")) != "Disabled":
        if time.monotonic() >= deadline:
            raise CloudFormationError(
                f"the backend's event source mapping {mapping_id} is still {state} after {_DISABLE_TIMEOUT_S:.0f} s; "
                f"it would compete with the local poller"
            )
        time.sleep(_DISABLE_POLL_S)


@attacher("AWS::Events::Rule")
def _rule(ctx: ProvisionContext, spec: ResourceSpec, physical_id: str, props: dict[str, Any]) -> dict[str, Any]:
    check_schedule_rule(spec, props)
    events = ctx.clients.events()
    # Ref of a rule on a custom bus is "bus|name".
    name = physical_id.rsplit("|", 1)[-1]
    bus = {"EventBusName": str(props["EventBusName"])} if props.get("EventBusName") else {}
    rule = events.describe_rule(Name=name, **bus)
    if rule.get("State") == "ENABLED":
        events.disable_rule(Name=name, **bus)  # the local scheduler fires it
    return {"Arn": rule["Arn"]}


# --- data and messaging ---------------------------------------------------------------------------


@attacher("AWS::DynamoDB::Table", "AWS::DynamoDB::GlobalTable")
def _table(ctx: ProvisionContext, spec: ResourceSpec, physical_id: str, props: dict[str, Any]) -> dict[str, Any]:
    return table_attributes(ctx.clients.dynamodb().describe_table(TableName=physical_id)["Table"])


@attacher("AWS::SQS::Queue")
def _queue(ctx: ProvisionContext, spec: ResourceSpec, physical_id: str, props: dict[str, Any]) -> dict[str, Any]:
    return queue_attributes(ctx, physical_id)  # Ref of a queue is its URL


@attacher("AWS::SNS::Topic")
def _topic(ctx: ProvisionContext, spec: ResourceSpec, physical_id: str, props: dict[str, Any]) -> dict[str, Any]:
    for inline in props.get("Subscription", []):
        check_subscription(spec, str(inline["Protocol"]))
    return topic_attributes(physical_id)  # Ref of a topic is its ARN


@attacher("AWS::SNS::Subscription")
def _subscription(ctx: ProvisionContext, spec: ResourceSpec, physical_id: str, props: dict[str, Any]) -> dict[str, Any]:
    check_subscription(spec, str(props["Protocol"]))
    return {}


@attacher("AWS::Logs::LogGroup")
def _log_group(ctx: ProvisionContext, spec: ResourceSpec, physical_id: str, props: dict[str, Any]) -> dict[str, Any]:
    return log_group_attributes(ctx, physical_id)


@attacher("AWS::SSM::Parameter")
def _parameter(ctx: ProvisionContext, spec: ResourceSpec, physical_id: str, props: dict[str, Any]) -> dict[str, Any]:
    parameter = ctx.clients.ssm().get_parameter(Name=physical_id)["Parameter"]
    return {"Type": parameter["Type"], "Value": parameter["Value"]}


@attacher("AWS::S3::Bucket")
def _bucket(ctx: ProvisionContext, spec: ResourceSpec, physical_id: str, props: dict[str, Any]) -> dict[str, Any]:
    return bucket_attributes(ctx, physical_id)


@attacher("AWS::SecretsManager::Secret")
def _secret(ctx: ProvisionContext, spec: ResourceSpec, physical_id: str, props: dict[str, Any]) -> dict[str, Any]:
    return {"Id": physical_id}  # Ref of a secret is its ARN


@attacher("AWS::KMS::Key")
def _key(ctx: ProvisionContext, spec: ResourceSpec, physical_id: str, props: dict[str, Any]) -> dict[str, Any]:
    return key_attributes(ctx.clients.kms().describe_key(KeyId=physical_id)["KeyMetadata"])


@attacher("AWS::StepFunctions::StateMachine")
def _state_machine(
    ctx: ProvisionContext, spec: ResourceSpec, physical_id: str, props: dict[str, Any]
) -> dict[str, Any]:
    name = ctx.clients.stepfunctions().describe_state_machine(stateMachineArn=physical_id)["name"]
    return {"Arn": physical_id, "Name": name}  # Ref of a state machine is its ARN


@attacher("AWS::CloudWatch::Alarm")
def _alarm(ctx: ProvisionContext, spec: ResourceSpec, physical_id: str, props: dict[str, Any]) -> dict[str, Any]:
    return alarm_attributes(ctx, physical_id)


# --- API Gateway (REST) ---------------------------------------------------------------------------


@attacher("AWS::ApiGateway::RestApi")
def _rest_api(ctx: ProvisionContext, spec: ResourceSpec, physical_id: str, props: dict[str, Any]) -> dict[str, Any]:
    check_rest_api(spec, props)
    return rest_api_attributes(ctx, physical_id)


@attacher("AWS::ApiGateway::Resource")
def _api_resource(ctx: ProvisionContext, spec: ResourceSpec, physical_id: str, props: dict[str, Any]) -> dict[str, Any]:
    return {"ResourceId": physical_id}


@attacher("AWS::ApiGateway::Method")
def _api_method(ctx: ProvisionContext, spec: ResourceSpec, physical_id: str, props: dict[str, Any]) -> dict[str, Any]:
    check_api_method(spec, props)
    return {}


@attacher("AWS::ApiGateway::Deployment")
def _api_deployment(
    ctx: ProvisionContext, spec: ResourceSpec, physical_id: str, props: dict[str, Any]
) -> dict[str, Any]:
    return {"DeploymentId": physical_id}
