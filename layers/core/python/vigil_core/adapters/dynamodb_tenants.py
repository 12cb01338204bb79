"""Tenants and API keys in the config table (single-table design, keys pk/sk).

TENANT#<id>   / TENANT          the tenant; kind_pk TENANT, kind_sk <id> (every tenant is one "by-kind" Query)
TENANT#<id>   / APIKEY#<key id> the tenant's keys, for listing and revoking by key id
APIKEY#<hash> / APIKEY          the key's owner, for authentication by a single GetItem
TENANT#<id>   / STATUSPAGE      the tenant's status page settings (JSON)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from vigil_core.adapters.aws import dynamodb_client
from vigil_core.adapters.dynamodb_alert_rules import query_kind, query_tenant_items
from vigil_core.models.status_page import StatusPageSettings
from vigil_core.models.tenants import ApiKey, Tenant

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


def _s(value: str) -> dict[str, Any]:
    return {"S": value}


class DynamoDBTenantDirectory:
    def __init__(self, table_name: str, client: DynamoDBClient | None = None) -> None:
        self.table_name = table_name
        self._client = client

    @property
    def client(self) -> DynamoDBClient:
        return self._client or dynamodb_client()

    def put_tenant(self, tenant: Tenant) -> None:
        item = {
            "pk": _s(f"TENANT#{tenant.id}"),
            "sk": _s("TENANT"),
            "tenant_id": _s(tenant.id),
            "name": _s(tenant.name),
            "sla_tier": _s(tenant.sla_tier.value),
            "created_at": _s(tenant.created_at.isoformat()),
            "kind_pk": _s("TENANT"),
            "kind_sk": _s(tenant.id),
        }
        self.client.put_item(TableName=self.table_name, Item=item)

    def list_tenants(self) -> list[Tenant]:
        return [_tenant_from(item) for item in query_kind(self.client, self.table_name, "TENANT")]

    def get_tenant(self, tenant_id: str) -> Tenant | None:
        response = self.client.get_item(
            TableName=self.table_name, Key={"pk": _s(f"TENANT#{tenant_id}"), "sk": _s("TENANT")}
        )
        item = response.get("Item")
        return None if item is None else _tenant_from(item)

    def put_api_key(self, api_key: ApiKey) -> None:
        attributes = {
            "tenant_id": _s(api_key.tenant_id),
            "key_id": _s(api_key.key_id),
            "key_hash": _s(api_key.key_hash),
            "label": _s(api_key.label),
            "created_at": _s(api_key.created_at.isoformat()),
        }
        if api_key.revoked_at is not None:
            attributes["revoked_at"] = _s(api_key.revoked_at.isoformat())
        by_hash = {"pk": _s(f"APIKEY#{api_key.key_hash}"), "sk": _s("APIKEY"), **attributes}
        by_tenant = {
            "pk": _s(f"TENANT#{api_key.tenant_id}"),
            "sk": _s(f"APIKEY#{api_key.key_id}"),
            **attributes,
        }
        # Both items or neither: a key must never authenticate without being listed under its tenant.
        self.client.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": self.table_name, "Item": by_hash}},
                {"Put": {"TableName": self.table_name, "Item": by_tenant}},
            ]
        )

    def find_api_key(self, key_hash: str) -> ApiKey | None:
        response = self.client.get_item(
            TableName=self.table_name, Key={"pk": _s(f"APIKEY#{key_hash}"), "sk": _s("APIKEY")}
        )
        item = response.get("Item")
        return None if item is None else _api_key_from(item)

    def list_api_keys(self, tenant_id: str) -> list[ApiKey]:
        items = query_tenant_items(self.client, self.table_name, tenant_id, "APIKEY#")
        return [_api_key_from(item) for item in items]

    def get_status_page(self, tenant_id: str) -> StatusPageSettings | None:
        response = self.client.get_item(
            TableName=self.table_name, Key={"pk": _s(f"TENANT#{tenant_id}"), "sk": _s("STATUSPAGE")}
        )
        item = response.get("Item")
        return None if item is None else StatusPageSettings.model_validate_json(item["settings"]["S"])

    def put_status_page(self, tenant_id: str, settings: StatusPageSettings) -> None:
        item = {"pk": _s(f"TENANT#{tenant_id}"), "sk": _s("STATUSPAGE"), "settings": _s(settings.model_dump_json())}
        self.client.put_item(TableName=self.table_name, Item=item)


def _api_key_from(item: dict[str, Any]) -> ApiKey:
    return ApiKey(
        key_id=item["key_id"]["S"],
        tenant_id=item["tenant_id"]["S"],
        key_hash=item["key_hash"]["S"],
        label=item["label"]["S"],
        created_at=item["created_at"]["S"],
        revoked_at=item["revoked_at"]["S"] if "revoked_at" in item else None,
    )


def _tenant_from(item: dict[str, Any]) -> Tenant:
    return Tenant(
        id=item["tenant_id"]["S"],
        name=item["name"]["S"],
        sla_tier=item["sla_tier"]["S"],
        created_at=item["created_at"]["S"],
    )
