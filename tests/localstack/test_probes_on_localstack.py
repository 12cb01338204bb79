"""The probe scenarios of the moto suite, run unchanged against LocalStack, plus what only LocalStack shows: the
queues, event source mapping, schedule rules and index as its CloudFormation deployed them, and its own triggers
switched off so every shard and schedule runs on the local runtime."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.integration.test_local_cloud_probes import *  # noqa: F403 - the same scenarios, another backend
from tests.localstack.conftest import deployed_through_cloudformation, localstack_client
from vigil_cli.local.cloud import LocalCloud

pytestmark = pytest.mark.localstack


@pytest.fixture(scope="module")  # type: ignore[no-redef]  # overrides the scenarios' moto backend
def backend(localstack_endpoint: str) -> Iterator[dict[str, Any]]:
    """The probe scenarios' stack deployed through LocalStack's CloudFormation instead of onto moto."""
    with deployed_through_cloudformation(localstack_endpoint, prefix="VigilProbes") as options:
        yield options


def _of_type(cloud: LocalCloud, resource_type: str) -> dict[str, str]:
    return {logical_id: item.physical_id for logical_id, item in cloud.stack.items() if item.type == resource_type}


def test_localstacks_own_triggers_are_off_so_the_local_runtime_runs_every_schedule_and_shard(
    cloud: LocalCloud, localstack_endpoint: str
) -> None:
    # Given the probes stack deployed by LocalStack's CloudFormation and the runtime attached to it
    lambda_client = localstack_client(localstack_endpoint, "lambda")
    events = localstack_client(localstack_endpoint, "events")
    worker = cloud.functions.get("probe-worker")
    scheduler = cloud.functions.get("probe-scheduler")
    # When LocalStack is asked about the worker's event source mapping
    mappings = [
        lambda_client.get_event_source_mapping(UUID=mapping_id)
        for mapping_id in _of_type(cloud, "AWS::Lambda::EventSourceMapping").values()
    ]
    [mapping] = [m for m in mappings if m["FunctionArn"].endswith(f":function:{worker.name}")]
    # Then it exists as the template says (one shard per invocation, partial batch responses) but is disabled
    assert mapping["FunctionArn"].endswith(f":function:{worker.name}")
    assert mapping["EventSourceArn"] == cloud.attribute(_shard_queue(cloud), "Arn")
    assert (mapping["BatchSize"], mapping["FunctionResponseTypes"]) == (1, ["ReportBatchItemFailures"])
    assert mapping["State"] == "Disabled"
    # And every event source mapping (the alert evaluator's too) is disabled
    assert {m["State"] for m in mappings} == {"Disabled"}
    # And the six probe schedule rules carry the interval and the scheduled time to the scheduler, but are
    # disabled (as are the alert evaluator's minute rule and the monthly SLA report rule)
    rules = [events.describe_rule(Name=name) for name in _of_type(cloud, "AWS::Events::Rule").values()]
    assert len(rules) == 8
    assert {rule["State"] for rule in rules} == {"DISABLED"}
    intervals = set()
    for rule in rules:
        [target] = events.list_targets_by_rule(Rule=rule["Name"])["Targets"]
        if not target["Arn"].endswith(f":function:{scheduler.name}"):
            others = (cloud.functions.get(name).name for name in ("alert-evaluator", "sla-reporter"))
            assert any(target["Arn"].endswith(f":function:{name}") for name in others)
            continue
        transformer = target["InputTransformer"]
        assert transformer["InputPathsMap"] == {"time": "$.time"}
        intervals.add(json.loads(transformer["InputTemplate"].replace("<time>", '"2026-11-22T18:00:00Z"'))["interval"])
    assert intervals == {30, 60, 300, 900, 1800, 3600}
    # And the stack was created with them off, so LocalStack never fired nor polled them, not even before the
    # runtime attached (its scheduler fires every rule due within a minute at each tick)
    deployed = localstack_client(localstack_endpoint, "cloudformation").get_template(
        StackName=cloud.cloudformation_stack_name
    )["TemplateBody"]
    deployed = deployed if isinstance(deployed, dict) else json.loads(deployed)
    switches = {
        (resource["Type"], str(resource["Properties"].get("State", resource["Properties"].get("Enabled"))))
        for resource in deployed["Resources"].values()
        if resource["Type"] in ("AWS::Events::Rule", "AWS::Lambda::EventSourceMapping")
    }
    assert switches == {("AWS::Events::Rule", "DISABLED"), ("AWS::Lambda::EventSourceMapping", "False")}
    # And the local scheduler has all eight rules, and local pollers run the worker, the evaluator, the notifiers
    # and the escalator
    assert len(cloud.scheduler.rules) == 8
    evaluator, escalator = cloud.functions.get("alert-evaluator"), cloud.functions.get("escalator")
    notifiers = [
        cloud.functions.get(f"notifier-{channel}") for channel in ("slack", "webhook", "pagerduty", "email", "sms")
    ]
    assert sorted((poller.mapping.function.name, poller.mapping.enabled) for poller in cloud.pollers) == sorted(
        [(worker.name, True), (evaluator.name, True), (evaluator.name, True), (escalator.name, True)]
        + [(notifier.name, True) for notifier in notifiers]
    )


def test_queues_have_their_dead_letter_queues_and_the_config_table_its_index(
    cloud: LocalCloud, localstack_endpoint: str
) -> None:
    # Given the deployed stack
    sqs = localstack_client(localstack_endpoint, "sqs")
    dynamodb = localstack_client(localstack_endpoint, "dynamodb")
    scheduler_environment = cloud.functions.get("probe-scheduler").environment
    # When LocalStack describes the shard and transitions queues
    for variable in ("PROBE_SHARD_QUEUE_URL", "PROBE_TRANSITIONS_QUEUE_URL"):
        attributes = sqs.get_queue_attributes(QueueUrl=scheduler_environment[variable], AttributeNames=["All"])[
            "Attributes"
        ]
        # Then each hands a message to its dead-letter queue after three receives, and is encrypted at rest
        redrive = json.loads(attributes["RedrivePolicy"])
        assert int(redrive["maxReceiveCount"]) == 3, variable
        assert redrive["deadLetterTargetArn"] != attributes["QueueArn"], variable
        assert attributes["SqsManagedSseEnabled"] == "true", variable
    # And the config table has the scheduler's index of monitors by interval class
    table = dynamodb.describe_table(TableName=scheduler_environment["CONFIG_TABLE_NAME"])["Table"]
    [index] = [i for i in table["GlobalSecondaryIndexes"] if i["IndexName"] == "by-interval"]
    assert index["IndexStatus"] == "ACTIVE"
    assert [key["AttributeName"] for key in index["KeySchema"]] == ["gsi1pk", "gsi1sk"]


def _shard_queue(cloud: LocalCloud) -> str:
    url = cloud.functions.get("probe-scheduler").environment["PROBE_SHARD_QUEUE_URL"]
    [logical_id] = [
        logical_id for logical_id, physical_id in _of_type(cloud, "AWS::SQS::Queue").items() if physical_id == url
    ]
    return logical_id
