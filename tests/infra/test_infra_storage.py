"""DynamoDB tables: keys, TTL, and the settings that protect the data."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from aws_cdk.assertions import Match, Template

from tests.infra.synthesized import SynthesizedVigil
from vigil_infra.constructs.storage import VigilStorage

pytestmark = pytest.mark.infra


def _table_properties(vigil: SynthesizedVigil, table_attribute: str) -> dict[str, Any]:
    return vigil.properties(getattr(vigil.stack.storage, table_attribute))


PK_SK = [("pk", "HASH", "S"), ("sk", "RANGE", "S")]
# The config table's indexes: enabled monitors by interval class (the probe scheduler's query), and alert
# rules and policies by kind (the alert evaluator's).
CONFIG_INDEXES = {
    "by-interval": [("gsi1pk", "HASH", "S"), ("gsi1sk", "RANGE", "S")],
    "by-kind": [("kind_pk", "HASH", "S"), ("kind_sk", "RANGE", "S")],
}
# The alerts table's indexes, keyed as the alerts adapter writes its items.
ALERTS_INDEXES = {
    "by-state": [("state_pk", "HASH", "S"), ("changed", "RANGE", "S")],
    "recent": [("pk", "HASH", "S"), ("changed", "RANGE", "S")],
    "by-group": [("group_pk", "HASH", "S"), ("sk", "RANGE", "S")],
    "groups-due": [("due_pk", "HASH", "S"), ("next_flush_at", "RANGE", "S")],
    "outbox": [("outbox_pk", "HASH", "S"), ("outbox_at", "RANGE", "S")],
}


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
        ("alerts_table", PK_SK, "expires_at"),
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
    # And only key attributes are declared: the table's and its indexes' (only config and alerts have any)
    declared = {a["AttributeName"] for a in properties["AttributeDefinitions"]}
    assert declared == {name for schema in (expected_key_schema, *index_schemas) for name, _, _ in schema}
    # And TTL is on exactly the attribute the code writes, or absent for configuration
    if expected_ttl_attribute is None:
        assert "TimeToLiveSpecification" not in properties
    else:
        assert properties["TimeToLiveSpecification"] == {"AttributeName": expected_ttl_attribute, "Enabled": True}


def test_there_are_exactly_the_six_tables(vigil: SynthesizedVigil) -> None:
    # Given the stack / When counting tables / Then config, metrics, idempotency, probes, SLA windows and alerts
    # are all
    vigil.template.resource_count_is("AWS::DynamoDB::Table", 6)


@pytest.mark.parametrize(
    ("table_attribute", "expected_indexes"),
    [("config_table", CONFIG_INDEXES), ("alerts_table", ALERTS_INDEXES)],
)
def test_indexed_tables_have_exactly_the_indexes_their_adapters_query(
    vigil: SynthesizedVigil, table_attribute: str, expected_indexes: dict[str, list[tuple[str, str, str]]]
) -> None:
    # Given a table with global secondary indexes
    properties = _table_properties(vigil, table_attribute)
    # When reading them
    indexes = {index["IndexName"]: index for index in properties["GlobalSecondaryIndexes"]}
    # Then each is keyed as its adapter writes it
    assert {name: _key_schema(properties, index["KeySchema"]) for name, index in indexes.items()} == expected_indexes
    # And projects whole items (its readers never read the table again), on demand like the table
    for index in indexes.values():
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
    # And no table but config and alerts has an index
    indexed = {
        lid
        for lid, table in vigil.of_type("AWS::DynamoDB::Table").items()
        if "GlobalSecondaryIndexes" in table["Properties"]
    }
    storage = vigil.stack.storage
    assert indexed == {vigil.logical_id(storage.config_table), vigil.logical_id(storage.alerts_table)}


def test_dev_stage_tables_are_deleted_with_the_stack(vigil: SynthesizedVigil) -> None:
    # Given the default "dev" stage from cdk.json
    assert vigil.stack.config.stage == "dev"
    # When reading the tables' deletion policies
    tables = vigil.of_type("AWS::DynamoDB::Table").values()
    # Then dev data is disposable (other stages RETAIN; see test_infra_config)
    assert {(t["DeletionPolicy"], t["UpdateReplacePolicy"]) for t in tables} == {("Delete", "Delete")}


def _granted_resources(grant: Callable[[VigilStorage, iam.Role], None]) -> dict[str, list[str]]:
    """Storage and one role alone in a stack, after `grant(storage, role)`: table logical id -> the ARN suffixes
    the role's statement names for it ("" for the table itself, "/index/<name>" for an index)."""
    stack = cdk.Stack(cdk.App(), "GrantProbe")
    storage = VigilStorage(stack, "Storage", removal_policy=cdk.RemovalPolicy.DESTROY)
    role = iam.Role(stack, "Reader", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    grant(storage, role)
    [policy] = Template.from_stack(stack).find_resources("AWS::IAM::Policy").values()
    [statement] = policy["Properties"]["PolicyDocument"]["Statement"]
    resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
    granted: dict[str, list[str]] = {}
    for resource in resources:
        if "Fn::Join" in resource:  # <table arn>/index/<name>
            [table_arn, suffix] = resource["Fn::Join"][1]
        else:
            table_arn, suffix = resource, ""
        granted.setdefault(table_arn["Fn::GetAtt"][0], []).append(suffix)
    # Logical ids are <construct path><8-character hash>: StorageAlertsTable9C0F6D9E -> AlertsTable.
    return {logical_id.removeprefix("Storage")[:-8]: suffixes for logical_id, suffixes in granted.items()}


def test_alerts_access_names_the_table_and_each_of_its_indexes() -> None:
    # Given a role granted read access to alerts
    # When reading its policy
    granted = _granted_resources(lambda storage, role: storage.grant_alerts_access(role, write=False))
    # Then it reaches the alerts table and its five indexes by name: no index/* wildcard for cdk-nag to flag
    assert granted == {"AlertsTable": ["", *(f"/index/{name}" for name in ALERTS_INDEXES)]}


@pytest.mark.parametrize(("rules_index", "expected"), [(False, [""]), (True, ["", "/index/by-kind"])])
def test_config_access_adds_the_rules_index_only_when_asked(rules_index: bool, expected: list[str]) -> None:
    # Given a role granted config access, with or without the rules index
    # When reading its policy
    granted = _granted_resources(
        lambda storage, role: storage.grant_config_access(role, write=False, rules_index=rules_index)
    )
    # Then it names the by-kind index only when asked, and never the monitors' index
    assert granted == {"ConfigTable": expected}
