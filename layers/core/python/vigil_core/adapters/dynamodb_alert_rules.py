"""Alert rules and alerting policies in the config table, beside each tenant's monitors.

TENANT#<tenant> / ALERT_RULE#<id>   a rule as JSON in `data`; kind_pk ALERT_RULE, kind_sk <tenant>#<id>
TENANT#<tenant> / ALERTING_POLICY   the tenant's policy as JSON in `data`; kind_pk ALERTING_POLICY, kind_sk <tenant>
TENANT#<tenant> / NOTIFICATION_POLICY   its channels, routes and templates as JSON in `data` (read by key only)
TENANT#<tenant> / ESCALATION_POLICY     its escalation levels and business hours as JSON in `data` (by key only)

The "by-kind" index (kind_pk / kind_sk) is sparse: only rules and policies carry its attributes, so every
rule of every tenant is one paged Query for the minute's evaluation, and so is every tenant with a policy.
'#' sorts below every character a tenant or rule id may hold, so kind_sk order is (tenant, rule id) order.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from botocore.exceptions import ClientError
from pydantic import BaseModel

from vigil_core.adapters.aws import dynamodb_client
from vigil_core.adapters.dynamodb_monitors import store_errors
from vigil_core.errors import conflict, not_found
from vigil_core.models.alerts import AlertingPolicy, AlertRule
from vigil_core.models.escalation import EscalationPolicy
from vigil_core.models.notifications import NotificationPolicy

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

Item = dict[str, Any]
RULES_BY_KIND_INDEX = "by-kind"
RULE_KIND = "ALERT_RULE"
POLICY_KIND = "ALERTING_POLICY"
NOTIFICATION_POLICY_KEY = "NOTIFICATION_POLICY"
ESCALATION_POLICY_KEY = "ESCALATION_POLICY"
CONDITIONAL_CHECK_FAILED = "ConditionalCheckFailedException"
DocumentT = TypeVar("DocumentT", bound=BaseModel)


def _s(value: str) -> dict[str, str]:
    return {"S": value}


def tenant_key(tenant_id: str) -> str:
    return f"TENANT#{tenant_id}"


def rule_item_key(tenant_id: str, rule_id: str) -> Item:
    return {"pk": _s(tenant_key(tenant_id)), "sk": _s(f"{RULE_KIND}#{rule_id}")}


def policy_item_key(tenant_id: str) -> Item:
    return {"pk": _s(tenant_key(tenant_id)), "sk": _s(POLICY_KIND)}


def _rule_item(rule: AlertRule) -> Item:
    return {
        **rule_item_key(rule.tenant_id, rule.id),
        "data": _s(rule.model_dump_json()),
        "kind_pk": _s(RULE_KIND),
        "kind_sk": _s(f"{rule.tenant_id}#{rule.id}"),
    }


def _rule_from(item: Item) -> AlertRule:
    return AlertRule.model_validate_json(item["data"]["S"])


def query_tenant_items(client: DynamoDBClient, table: str, tenant_id: str, prefix: str) -> list[Item]:
    """Every item of the tenant whose sort key starts with `prefix`, in sort key order (consistent)."""
    pages = client.get_paginator("query").paginate(
        TableName=table,
        KeyConditionExpression="pk = :pk AND begins_with(sk, :prefix)",
        ExpressionAttributeValues={":pk": _s(tenant_key(tenant_id)), ":prefix": _s(prefix)},
        ConsistentRead=True,
    )
    return [item for page in pages for item in page.get("Items", [])]


def query_kind(client: DynamoDBClient, table: str, kind: str, projection: str | None = None) -> list[Item]:
    """Every item of one kind across tenants, through the sparse by-kind index, in (tenant, id) order."""
    options: dict[str, Any] = {"ProjectionExpression": projection} if projection else {}
    pages = client.get_paginator("query").paginate(
        TableName=table,
        IndexName=RULES_BY_KIND_INDEX,
        KeyConditionExpression="kind_pk = :kind",
        ExpressionAttributeValues={":kind": _s(kind)},
        **options,
    )
    return [item for page in pages for item in page.get("Items", [])]


def _condition_failed(error: ClientError) -> bool:
    return error.response.get("Error", {}).get("Code") == CONDITIONAL_CHECK_FAILED


class DynamoDbAlertRuleRepository:
    def __init__(self, table_name: str, client: DynamoDBClient | None = None) -> None:
        self.table_name = table_name
        self._client = client

    @property
    def client(self) -> DynamoDBClient:
        return self._client or dynamodb_client()

    # -- rules ----------------------------------------------------------------------------------------

    def create(self, rule: AlertRule) -> None:
        with store_errors("create alert rule"):
            try:
                self.client.put_item(
                    TableName=self.table_name, Item=_rule_item(rule), ConditionExpression="attribute_not_exists(pk)"
                )
            except ClientError as exc:
                if _condition_failed(exc):
                    raise conflict(f"alert rule {rule.id!r} already exists") from None
                raise

    def replace(self, rule: AlertRule) -> None:
        """Overwrite a stored rule; a 404 VigilError when it is gone (deleted meanwhile), as for monitors."""
        with store_errors("replace alert rule"):
            try:
                self.client.put_item(
                    TableName=self.table_name, Item=_rule_item(rule), ConditionExpression="attribute_exists(pk)"
                )
            except ClientError as exc:
                if _condition_failed(exc):
                    raise not_found(f"alert rule {rule.id!r} not found") from None
                raise

    def delete(self, rule: AlertRule) -> None:
        with store_errors("delete alert rule"):
            self.client.delete_item(TableName=self.table_name, Key=rule_item_key(rule.tenant_id, rule.id))

    def get(self, tenant_id: str, rule_id: str) -> AlertRule | None:
        with store_errors("get alert rule"):
            item = self.client.get_item(
                TableName=self.table_name, Key=rule_item_key(tenant_id, rule_id), ConsistentRead=True
            ).get("Item")
        return None if item is None else _rule_from(item)

    def list_for_tenant(self, tenant_id: str) -> list[AlertRule]:
        """The tenant's rules ordered by id."""
        with store_errors("list alert rules"):
            return [
                _rule_from(item)
                for item in query_tenant_items(self.client, self.table_name, tenant_id, f"{RULE_KIND}#")
            ]

    def all_rules(self) -> list[AlertRule]:
        with store_errors("query every alert rule"):
            return [_rule_from(item) for item in query_kind(self.client, self.table_name, RULE_KIND)]

    # -- policies -------------------------------------------------------------------------------------

    def get_policy(self, tenant_id: str) -> AlertingPolicy | None:
        with store_errors("get alerting policy"):
            item = self.client.get_item(
                TableName=self.table_name, Key=policy_item_key(tenant_id), ConsistentRead=True
            ).get("Item")
        return None if item is None else AlertingPolicy.model_validate_json(item["data"]["S"])

    def put_policy(self, tenant_id: str, policy: AlertingPolicy) -> None:
        item: Item = {
            **policy_item_key(tenant_id),
            "data": _s(policy.model_dump_json()),
            "kind_pk": _s(POLICY_KIND),
            "kind_sk": _s(tenant_id),
        }
        with store_errors("put alerting policy"):
            self.client.put_item(TableName=self.table_name, Item=item)

    def tenants_with_policy(self) -> list[str]:
        """Ordered by tenant id."""
        with store_errors("query alerting policies"):
            return [item["kind_sk"]["S"] for item in query_kind(self.client, self.table_name, POLICY_KIND, "kind_sk")]

    # -- notification and escalation policies -------------------------------------------------------

    def get_notification_policy(self, tenant_id: str) -> NotificationPolicy | None:
        return self._get_document(tenant_id, NOTIFICATION_POLICY_KEY, NotificationPolicy)

    def put_notification_policy(self, tenant_id: str, policy: NotificationPolicy) -> None:
        self._put_document(tenant_id, NOTIFICATION_POLICY_KEY, policy)

    def get_escalation_policy(self, tenant_id: str) -> EscalationPolicy | None:
        return self._get_document(tenant_id, ESCALATION_POLICY_KEY, EscalationPolicy)

    def put_escalation_policy(self, tenant_id: str, policy: EscalationPolicy) -> None:
        self._put_document(tenant_id, ESCALATION_POLICY_KEY, policy)

    def _get_document(self, tenant_id: str, sort_key: str, model: type[DocumentT]) -> DocumentT | None:
        key = {"pk": _s(tenant_key(tenant_id)), "sk": _s(sort_key)}
        with store_errors(f"get {sort_key.lower().replace('_', ' ')}"):
            item = self.client.get_item(TableName=self.table_name, Key=key, ConsistentRead=True).get("Item")
        return None if item is None else model.model_validate_json(item["data"]["S"])

    def _put_document(self, tenant_id: str, sort_key: str, document: BaseModel) -> None:
        item: Item = {"pk": _s(tenant_key(tenant_id)), "sk": _s(sort_key), "data": _s(document.model_dump_json())}
        with store_errors(f"put {sort_key.lower().replace('_', ' ')}"):
            self.client.put_item(TableName=self.table_name, Item=item)
