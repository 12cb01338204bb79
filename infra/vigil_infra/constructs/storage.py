"""vigil's DynamoDB tables: tenant configuration, metric rollups, Powertools idempotency records, probe
states and results, SLA windows, and alerts."""

from __future__ import annotations

from typing import Final

from aws_cdk import RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from constructs import Construct

# Item attribute DynamoDB TTL reads (epoch seconds), written by the adapters per kind of item.
EXPIRY_ATTRIBUTE: Final = "expires_at"
# Powertools idempotency's DynamoDBPersistenceLayer defaults: key "id", expiry "expiration".
IDEMPOTENCY_KEY_ATTRIBUTE: Final = "id"
IDEMPOTENCY_EXPIRY_ATTRIBUTE: Final = "expiration"
# The config table's sparse index of enabled monitors by interval class (written by the monitors adapter).
MONITORS_BY_INTERVAL_INDEX: Final = "by-interval"
# The config table's sparse index of alert rules and alerting policies by kind (written by the rules adapter).
RULES_BY_KIND_INDEX: Final = "by-kind"
# The alerts table's indexes (written by the alerts adapter; see its module docstring for the items).
ALERTS_BY_STATE_INDEX: Final = "by-state"
ALERTS_RECENT_INDEX: Final = "recent"
ALERTS_BY_GROUP_INDEX: Final = "by-group"
GROUPS_DUE_INDEX: Final = "groups-due"
OUTBOX_INDEX: Final = "outbox"
ALERTS_TABLE_INDEXES: Final = (
    ALERTS_BY_STATE_INDEX,
    ALERTS_RECENT_INDEX,
    ALERTS_BY_GROUP_INDEX,
    GROUPS_DUE_INDEX,
    OUTBOX_INDEX,
)

_STRING = dynamodb.AttributeType.STRING
_READ_ACTIONS: Final = ["dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:ConditionCheckItem"]
_WRITE_ACTIONS: Final = ["dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem"]


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
        self.probes_table = self._build_expiring_table("ProbesTable")
        self.sla_windows_table = self._build_expiring_table("SlaWindowsTable")
        self.alerts_table = self._build_alerts_table()

    def grant_config_access(
        self, grantee: iam.IGrantable, *, write: bool, monitors_index: bool = False, rules_index: bool = False
    ) -> None:
        """Config table access naming only the indexes it may query: Table.grant_* would grant index/*."""
        resources = [self.config_table.table_arn]
        if monitors_index:
            resources.append(f"{self.config_table.table_arn}/index/{MONITORS_BY_INTERVAL_INDEX}")
        if rules_index:
            resources.append(f"{self.config_table.table_arn}/index/{RULES_BY_KIND_INDEX}")
        actions = _READ_ACTIONS + (_WRITE_ACTIONS if write else [])
        grantee.grant_principal.add_to_principal_policy(iam.PolicyStatement(actions=actions, resources=resources))

    def grant_alerts_access(self, grantee: iam.IGrantable, *, write: bool) -> None:
        """The alerts table and each of its indexes, named one by one: index/* would need a cdk-nag exemption."""
        table_arn = self.alerts_table.table_arn
        resources = [table_arn, *(f"{table_arn}/index/{name}" for name in ALERTS_TABLE_INDEXES)]
        actions = _READ_ACTIONS + (_WRITE_ACTIONS if write else [])
        grantee.grant_principal.add_to_principal_policy(iam.PolicyStatement(actions=actions, resources=resources))

    def _build_config_table(self) -> dynamodb.Table:
        # Single-table design: tenants, hashed API keys, monitors, rules, channels; every key starts with
        # the tenant. Configuration never expires, so there is no TTL attribute.
        table = self._build_table(
            "ConfigTable",
            partition_key=dynamodb.Attribute(name="pk", type=_STRING),
            sort_key=dynamodb.Attribute(name="sk", type=_STRING),
        )
        # The probe scheduler's one query: every enabled monitor of an interval class, across tenants.
        table.add_global_secondary_index(
            index_name=MONITORS_BY_INTERVAL_INDEX,
            partition_key=dynamodb.Attribute(name="gsi1pk", type=_STRING),
            sort_key=dynamodb.Attribute(name="gsi1sk", type=_STRING),
            projection_type=dynamodb.ProjectionType.ALL,
        )
        # The alert evaluator's one query for rules and policies across tenants; only those items carry it.
        table.add_global_secondary_index(
            index_name=RULES_BY_KIND_INDEX,
            partition_key=dynamodb.Attribute(name="kind_pk", type=_STRING),
            sort_key=dynamodb.Attribute(name="kind_sk", type=_STRING),
            projection_type=dynamodb.ProjectionType.ALL,
        )
        return table

    def _build_alerts_table(self) -> dynamodb.Table:
        # One item per alert fingerprint, plus outbox transitions, notification groups and silences under the
        # tenant's partition. Resolved alerts and ended silences expire. Every index projects whole items, so
        # no query is followed by reads of the table.
        table = self._build_expiring_table("AlertsTable")
        indexes = {
            ALERTS_BY_STATE_INDEX: ("state_pk", "changed"),  # a tenant's alerts in one status, newest first
            ALERTS_RECENT_INDEX: ("pk", "changed"),  # a tenant's alerts, newest first (only alerts have `changed`)
            ALERTS_BY_GROUP_INDEX: ("group_pk", "sk"),  # the alerts of one notification group
            GROUPS_DUE_INDEX: ("due_pk", "next_flush_at"),  # groups to flush, across tenants
            OUTBOX_INDEX: ("outbox_pk", "outbox_at"),  # transitions left unpublished, across tenants
        }
        for index_name, (partition, sort) in indexes.items():
            table.add_global_secondary_index(
                index_name=index_name,
                partition_key=dynamodb.Attribute(name=partition, type=_STRING),
                sort_key=dynamodb.Attribute(name=sort, type=_STRING),
                projection_type=dynamodb.ProjectionType.ALL,
            )
        return table

    def _build_metrics_table(self) -> dynamodb.Table:
        # One item per series per time bucket (minute, hour, day rollups); TTL enforces retention.
        return self._build_expiring_table("MetricsTable")

    def _build_expiring_table(self, construct_id: str) -> dynamodb.Table:
        # pk/sk items with a TTL: metric rollups, probe states and 7-day results, hourly and daily SLA windows,
        # alerts.
        return self._build_table(
            construct_id,
            partition_key=dynamodb.Attribute(name="pk", type=_STRING),
            sort_key=dynamodb.Attribute(name="sk", type=_STRING),
            time_to_live_attribute=EXPIRY_ATTRIBUTE,
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
