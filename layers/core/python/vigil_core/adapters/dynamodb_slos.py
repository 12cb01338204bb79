"""SLOs and SLA policies in the config table, beside each tenant's rules.

TENANT#<tenant> / SLO#<id>      an SLO as JSON in `data`; kind_pk SLO, kind_sk <tenant>#<id>
TENANT#<tenant> / SLA_POLICY    the tenant's SLA policy (tier, target overrides, time zone) as JSON in `data`
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from vigil_core.adapters.aws import dynamodb_client
from vigil_core.adapters.dynamodb_alert_rules import query_kind, query_tenant_items, tenant_key
from vigil_core.adapters.dynamodb_monitors import store_errors
from vigil_core.models.slo import SlaPolicy, Slo
from vigil_core.ports import SloLister

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

Item = dict[str, Any]
SLO_KIND = "SLO"
SLA_POLICY_KEY = "SLA_POLICY"


def _s(value: str) -> dict[str, str]:
    return {"S": value}


def slo_item_key(tenant_id: str, slo_id: str) -> Item:
    return {"pk": _s(tenant_key(tenant_id)), "sk": _s(f"{SLO_KIND}#{slo_id}")}


def _slo_from(item: Item) -> Slo:
    return Slo.model_validate_json(item["data"]["S"])


class DynamoDbSloRepository:
    def __init__(self, table_name: str, client: DynamoDBClient | None = None) -> None:
        self.table_name = table_name
        self._client = client

    @property
    def client(self) -> DynamoDBClient:
        return self._client or dynamodb_client()

    def put(self, slo: Slo) -> None:
        item: Item = {
            **slo_item_key(slo.tenant_id, slo.id),
            "data": _s(slo.model_dump_json()),
            "kind_pk": _s(SLO_KIND),
            "kind_sk": _s(f"{slo.tenant_id}#{slo.id}"),
        }
        with store_errors("put SLO"):
            self.client.put_item(TableName=self.table_name, Item=item)

    def get(self, tenant_id: str, slo_id: str) -> Slo | None:
        with store_errors("get SLO"):
            item = self.client.get_item(
                TableName=self.table_name, Key=slo_item_key(tenant_id, slo_id), ConsistentRead=True
            ).get("Item")
        return None if item is None else _slo_from(item)

    def delete(self, tenant_id: str, slo_id: str) -> bool:
        with store_errors("delete SLO"):
            response = self.client.delete_item(
                TableName=self.table_name, Key=slo_item_key(tenant_id, slo_id), ReturnValues="ALL_OLD"
            )
        return "Attributes" in response

    def list_for_tenant(self, tenant_id: str) -> list[Slo]:
        with store_errors("list SLOs"):
            return [
                _slo_from(item) for item in query_tenant_items(self.client, self.table_name, tenant_id, f"{SLO_KIND}#")
            ]

    def all_slos(self) -> list[Slo]:
        with store_errors("query every SLO"):
            return [_slo_from(item) for item in query_kind(self.client, self.table_name, SLO_KIND)]

    def get_sla_policy(self, tenant_id: str) -> SlaPolicy | None:
        key = {"pk": _s(tenant_key(tenant_id)), "sk": _s(SLA_POLICY_KEY)}
        with store_errors("get SLA policy"):
            item = self.client.get_item(TableName=self.table_name, Key=key, ConsistentRead=True).get("Item")
        return None if item is None else SlaPolicy.model_validate_json(item["data"]["S"])

    def put_sla_policy(self, tenant_id: str, policy: SlaPolicy) -> None:
        item: Item = {"pk": _s(tenant_key(tenant_id)), "sk": _s(SLA_POLICY_KEY), "data": _s(policy.model_dump_json())}
        with store_errors("put SLA policy"):
            self.client.put_item(TableName=self.table_name, Item=item)


class InMemorySloRepository:
    def __init__(self) -> None:
        self.slos: dict[tuple[str, str], Slo] = {}
        self.policies: dict[str, SlaPolicy] = {}

    def put(self, slo: Slo) -> None:
        self.slos[(slo.tenant_id, slo.id)] = slo

    def get(self, tenant_id: str, slo_id: str) -> Slo | None:
        return self.slos.get((tenant_id, slo_id))

    def delete(self, tenant_id: str, slo_id: str) -> bool:
        return self.slos.pop((tenant_id, slo_id), None) is not None

    def list_for_tenant(self, tenant_id: str) -> list[Slo]:
        return [slo for (tenant, _), slo in sorted(self.slos.items()) if tenant == tenant_id]

    def all_slos(self) -> list[Slo]:
        return [slo for _, slo in sorted(self.slos.items())]

    def get_sla_policy(self, tenant_id: str) -> SlaPolicy | None:
        return self.policies.get(tenant_id)

    def put_sla_policy(self, tenant_id: str, policy: SlaPolicy) -> None:
        self.policies[tenant_id] = policy


class CachedSloLister:
    """A tenant's SLOs, re-read at most every `max_age_s`: ingest counts every batch against them, and an
    SLO created a minute ago starting to count a minute late is a fair price for not reading them per batch."""

    def __init__(self, slos: SloLister, max_age_s: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.slos = slos
        self.max_age_s = max_age_s
        self.clock = clock
        self._cache: dict[str, tuple[float, list[Slo]]] = {}

    def list_for_tenant(self, tenant_id: str) -> list[Slo]:
        now = self.clock()
        cached = self._cache.get(tenant_id)
        if cached is None or now - cached[0] >= self.max_age_s:
            cached = self._cache[tenant_id] = (now, self.slos.list_for_tenant(tenant_id))
        return cached[1]
