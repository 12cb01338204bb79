"""The alerting scenarios of the moto suite, run unchanged against LocalStack: rules, pushes, the evaluator,
the alerts topic delivering to a subscribed queue, operator actions, silences and probe transitions, on a
stack deployed by LocalStack's CloudFormation."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.integration.test_local_cloud_alerts import *  # noqa: F403 - the same scenarios, another backend
from tests.localstack.conftest import deployed_through_cloudformation, localstack_client
from vigil_cli.local.cloud import LocalCloud

pytestmark = pytest.mark.localstack


@pytest.fixture(scope="module")  # type: ignore[no-redef]  # overrides the scenarios' moto backend
def backend(localstack_endpoint: str) -> Iterator[dict[str, Any]]:
    """The alerting scenarios' stack deployed through LocalStack's CloudFormation instead of onto moto."""
    with deployed_through_cloudformation(localstack_endpoint, prefix="VigilAlerts") as options:
        yield options


def test_the_alerts_table_has_its_indexes_and_the_topic_exists(cloud: LocalCloud, localstack_endpoint: str) -> None:
    # Given the deployed stack
    environment = cloud.functions.get("alert-evaluator").environment
    # When LocalStack describes the alerts table and the topic
    table = localstack_client(localstack_endpoint, "dynamodb").describe_table(
        TableName=environment["ALERTS_TABLE_NAME"]
    )["Table"]
    topic = localstack_client(localstack_endpoint, "sns").get_topic_attributes(TopicArn=environment["ALERTS_TOPIC_ARN"])
    # Then the table has the five indexes the alert store queries, all active, and the topic is there
    indexes = {index["IndexName"]: index["IndexStatus"] for index in table["GlobalSecondaryIndexes"]}
    assert indexes == dict.fromkeys(["by-state", "recent", "by-group", "groups-due", "outbox"], "ACTIVE")
    assert topic["Attributes"]["TopicArn"] == environment["ALERTS_TOPIC_ARN"]
