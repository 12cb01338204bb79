"""DynamoDB tables: keys, TTL, and the settings that protect the data."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk.assertions import Match

from tests.infra.synthesized import SynthesizedVigil

pytestmark = pytest.mark.infra


def _table_properties(vigil: SynthesizedVigil, table_attribute: str) -> dict[str, Any]:
    return vigil.properties(getattr(vigil.stack.storage, table_attribute))


@pytest.mark.parametrize(
    ("table_attribute", "expected_key_schema", "expected_ttl_attribute"),
    [
        ("config_table", [("pk", "HASH", "S"), ("sk", "RANGE", "S")], None),
        ("metrics_table", [("pk", "HASH", "S"), ("sk", "RANGE", "S")], "expires_at"),
        ("idempotency_table", [("id", "HASH", "S")], "expiration"),
    ],
)
def test_table_keys_and_ttl(
    vigil: SynthesizedVigil,
    table_attribute: str,
    expected_key_schema: list[tuple[str, str, str]],
    expected_ttl_attribute: str | None,
) -> None:
    # Given the synthesized stack
    # When reading one table's definition
    properties = _table_properties(vigil, table_attribute)
    attribute_types = {a["AttributeName"]: a["AttributeType"] for a in properties["AttributeDefinitions"]}
    key_schema = [
        (k["AttributeName"], k["KeyType"], attribute_types[k["AttributeName"]]) for k in properties["KeySchema"]
    ]

    # Then its keys are what the adapters and Powertools idempotency expect
    assert key_schema == expected_key_schema
    # And only key attributes are declared (no index sneaked in)
    assert set(attribute_types) == {name for name, _, _ in expected_key_schema}
    # And TTL is on exactly the attribute the code writes, or absent for configuration
    if expected_ttl_attribute is None:
        assert "TimeToLiveSpecification" not in properties
    else:
        assert properties["TimeToLiveSpecification"] == {"AttributeName": expected_ttl_attribute, "Enabled": True}


def test_there_are_exactly_the_three_tables(vigil: SynthesizedVigil) -> None:
    # Given the stack / When counting tables / Then config, metrics and idempotency are all there is
    vigil.template.resource_count_is("AWS::DynamoDB::Table", 3)


def test_every_table_is_on_demand_recoverable_encrypted_and_streamless(vigil: SynthesizedVigil) -> None:
    # Given the synthesized stack
    # When checking every table
    # Then each bills per request, has point-in-time recovery, AWS-managed SSE, no stream, no indexes
    vigil.template.all_resources_properties(
        "AWS::DynamoDB::Table",
        {
            "BillingMode": "PAY_PER_REQUEST",
            "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
            # SSEEnabled without a KMSMasterKeyId is the AWS-managed key (aws/dynamodb)
            "SSESpecification": {"SSEEnabled": True, "KMSMasterKeyId": Match.absent()},
            "StreamSpecification": Match.absent(),
            "GlobalSecondaryIndexes": Match.absent(),
            "ProvisionedThroughput": Match.absent(),
        },
    )


def test_dev_stage_tables_are_deleted_with_the_stack(vigil: SynthesizedVigil) -> None:
    # Given the default "dev" stage from cdk.json
    assert vigil.stack.config.stage == "dev"
    # When reading the tables' deletion policies
    tables = vigil.of_type("AWS::DynamoDB::Table").values()
    # Then dev data is disposable (other stages RETAIN; see test_infra_config)
    assert {(t["DeletionPolicy"], t["UpdateReplacePolicy"]) for t in tables} == {("Delete", "Delete")}
