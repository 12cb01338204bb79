"""vigil's DynamoDB tables: tenant configuration, metric rollups and Powertools idempotency records."""

from __future__ import annotations

from typing import Final

from aws_cdk import RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from constructs import Construct

# Item attribute DynamoDB TTL reads (epoch seconds). The ingest code writes it per resolution.
METRICS_EXPIRY_ATTRIBUTE: Final = "expires_at"
# Powertools idempotency's DynamoDBPersistenceLayer defaults: key "id", expiry "expiration".
IDEMPOTENCY_KEY_ATTRIBUTE: Final = "id"
IDEMPOTENCY_EXPIRY_ATTRIBUTE: Final = "expiration"

_STRING = dynamodb.AttributeType.STRING


class VigilStorage(Construct):
    """On-demand tables with point-in-time recovery and AWS-managed encryption.

    No streams: nothing consumes them yet, and a stream nobody reads only costs.
    """

    def __init__(self, scope: Construct, construct_id: str, *, removal_policy: RemovalPolicy) -> None:
        super().__init__(scope, construct_id)
        self._removal_policy = removal_policy
        self.config_table = self._build_config_table()
        self.metrics_table = self._build_metrics_table()
        self.idempotency_table = self._build_idempotency_table()

    def _build_config_table(self) -> dynamodb.Table:
        # Single-table design: tenants, hashed API keys, monitors, rules, channels; every key starts with
        # the tenant. Configuration never expires, so there is no TTL attribute.
        return self._build_table(
            "ConfigTable",
            partition_key=dynamodb.Attribute(name="pk", type=_STRING),
            sort_key=dynamodb.Attribute(name="sk", type=_STRING),
        )

    def _build_metrics_table(self) -> dynamodb.Table:
        # One item per series per time bucket (minute, hour, day rollups); TTL enforces retention.
        return self._build_table(
            "MetricsTable",
            partition_key=dynamodb.Attribute(name="pk", type=_STRING),
            sort_key=dynamodb.Attribute(name="sk", type=_STRING),
            time_to_live_attribute=METRICS_EXPIRY_ATTRIBUTE,
        )

    def _build_idempotency_table(self) -> dynamodb.Table:
        return self._build_table(
            "IdempotencyTable",
            partition_key=dynamodb.Attribute(name=IDEMPOTENCY_KEY_ATTRIBUTE, type=_STRING),
            time_to_live_attribute=IDEMPOTENCY_EXPIRY_ATTRIBUTE,
        )

    def _build_table(
        self,
        construct_id: str,
        *,
        partition_key: dynamodb.Attribute,
        sort_key: dynamodb.Attribute | None = None,
        time_to_live_attribute: str | None = None,
    ) -> dynamodb.Table:
        return dynamodb.Table(
            self,
            construct_id,
            partition_key=partition_key,
            sort_key=sort_key,
            time_to_live_attribute=time_to_live_attribute,
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            encryption=dynamodb.TableEncryption.AWS_MANAGED,
            removal_policy=self._removal_policy,
        )
