"""DynamoDB tables: keys, TTL, and the settings that protect the data."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk.assertions import Match

from tests.infra.synthesized import SynthesizedVigil

pytestmark = pytest.mark.infra


def _table_properties(vigil: SynthesizedVigil, table_attribute: str) -> dict[str, Any]:
    return vigil.properties(getattr(vigil.stack.storage, table_attribute))


PK_SK = [("pk", "HASH", "S"), ("sk", "RANGE", "S")]
# The config table's one index: enabled monitors by interval class (the probe scheduler's query).
BY_INTERVAL_KEYS = [("gsi1pk", "HASH", "S"), ("gsi1sk", "RANGE", "S")]


def _key_schema(properties: dict[str, Any], keys: list[dict[str, str]]) -> list[tuple[str, str, str]]:
    attribute_types = {a["AttributeName"]: a["AttributeType"] for a in properties["AttributeDefinitions"]}
    return [(k["AttributeName"], k["KeyType"], attribute_types[k["AttributeName"]]) for k in keys]


@pytest.mark.parametrize(
    ("table_attribute", "expected_key_schema", "expected_ttl_attribute"),
    [
        ("config_table", PK_SK, None),
        ("metrics_table", PK_SK, "expires_at"),
        ("idempotency_table", [("id", "HASH", "S")], "expiration"),
        ("probes_table", PK_SK, "expires_at"),
        ("sla_windows_table", PK_SK, "expires_at"),
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
    index_schemas = [
        _key_schema(properties, index["KeySchema"]) for index in properties.get("GlobalSecondaryIndexes", [])
    ]

    # Then its keys are what the adapters and Powertools idempotency expect
    assert _key_schema(properties, properties["KeySchema"]) == expected_key_schema
    # And only key attributes are declared: the table's and its indexes' (only config has one, see below)
    declared = {a["AttributeName"] for a in properties["AttributeDefinitions"]}
    assert declared == {name for schema in (expected_key_schema, *index_schemas) for name, _, _ in schema}
    # And TTL is on exactly the attribute the code writes, or absent for configuration
    if expected_ttl_attribute is None:
        assert "TimeToLiveSpecification" not in properties
    else:
        assert properties["TimeToLiveSpecification"] == {"AttributeName": expected_ttl_attribute, "Enabled": True}


def test_there_are_exactly_the_five_tables(vigil: SynthesizedVigil) -> None:
    # Given the stack / When counting tables / Then config, metrics, idempotency, probes and SLA windows are all
    vigil.template.resource_count_is("AWS::DynamoDB::Table", 5)


def test_the_config_table_has_one_index_of_monitors_by_interval_class(vigil: SynthesizedVigil) -> None:
    # Given the config table
    properties = _table_properties(vigil, "config_table")
    # When reading its global secondary indexes
    [index] = properties["GlobalSecondaryIndexes"]
    # Then there is one, "by-interval", keyed as the monitors adapter writes it and projecting whole monitors
    # (the scheduler runs them from the index without reading the table again)
    assert index["IndexName"] == "by-interval"
    assert _key_schema(properties, index["KeySchema"]) == BY_INTERVAL_KEYS
    assert index["Projection"] == {"ProjectionType": "ALL"}
    assert "ProvisionedThroughput" not in index


def test_every_table_is_on_demand_recoverable_encrypted_and_streamless(vigil: SynthesizedVigil) -> None:
    # Given the synthesized stack
    # When checking every table
    # Then each bills per request, has point-in-time recovery, AWS-managed SSE, no stream
    vigil.template.all_resources_properties(
        "AWS::DynamoDB::Table",
        {
            "BillingMode": "PAY_PER_REQUEST",
            "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
            # SSEEnabled without a KMSMasterKeyId is the AWS-managed key (aws/dynamodb)
            "SSESpecification": {"SSEEnabled": True, "KMSMasterKeyId": Match.absent()},
            "StreamSpecification": Match.absent(),
            "ProvisionedThroughput": Match.absent(),
        },
    )
    # And no table but config has an index
    indexed = {
        lid
        for lid, table in vigil.of_type("AWS::DynamoDB::Table").items()
        if "GlobalSecondaryIndexes" in table["Properties"]
    }
    assert indexed == {vigil.logical_id(vigil.stack.storage.config_table)}


def test_dev_stage_tables_are_deleted_with_the_stack(vigil: SynthesizedVigil) -> None:
    # Given the default "dev" stage from cdk.json
    assert vigil.stack.config.stage == "dev"
    # When reading the tables' deletion policies
    tables = vigil.of_type("AWS::DynamoDB::Table").values()
    # Then dev data is disposable (other stages RETAIN; see test_infra_config)
    assert {(t["DeletionPolicy"], t["UpdateReplacePolicy"]) for t in tables} == {("Delete", "Delete")}
