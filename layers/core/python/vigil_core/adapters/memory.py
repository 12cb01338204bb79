"""In-memory adapters: the fakes behind unit tests and the benchmark; same contracts as DynamoDB's."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from vigil_core.errors import unprocessable
from vigil_core.models.rollups import Resolution, Rollup, RollupKey
from vigil_core.models.status_page import StatusPageSettings
from vigil_core.models.tenants import ApiKey, Tenant
from vigil_core.ports import StoredRollup

_ItemKey = tuple[str, str, str, int, str]  # tenant, metric, resolution, bucket start, series id


@dataclass
class _Item:
    stored: StoredRollup
    batches: list[str] = field(default_factory=list)
    expires_at: int = 0


class InMemoryTenantDirectory:
    def __init__(self) -> None:
        self.tenants: dict[str, Tenant] = {}
        self.keys: dict[str, ApiKey] = {}
        self.status_pages: dict[str, StatusPageSettings] = {}

    def put_tenant(self, tenant: Tenant) -> None:
        self.tenants[tenant.id] = tenant

    def get_tenant(self, tenant_id: str) -> Tenant | None:
        return self.tenants.get(tenant_id)

    def list_tenants(self) -> list[Tenant]:
        return [self.tenants[tenant_id] for tenant_id in sorted(self.tenants)]

    def put_api_key(self, api_key: ApiKey) -> None:
        self.keys[api_key.key_hash] = api_key

    def find_api_key(self, key_hash: str) -> ApiKey | None:
        return self.keys.get(key_hash)

    def list_api_keys(self, tenant_id: str) -> list[ApiKey]:
        return sorted((key for key in self.keys.values() if key.tenant_id == tenant_id), key=lambda key: key.key_id)

    def get_status_page(self, tenant_id: str) -> StatusPageSettings | None:
        return self.status_pages.get(tenant_id)

    def put_status_page(self, tenant_id: str, settings: StatusPageSettings) -> None:
        self.status_pages[tenant_id] = settings


class InMemoryRollupStore:
    def __init__(self, remembered_batches: int = 16) -> None:
        self.items: dict[_ItemKey, _Item] = {}
        self.remembered_batches = remembered_batches

    def apply(
        self,
        tenant_id: str,
        batch_id: str,
        deltas: Mapping[RollupKey, Rollup],
        expires_at: Mapping[Resolution, int],
    ) -> int:
        writes = 0
        for key, delta in deltas.items():
            item_key = (tenant_id, key.series.name, key.resolution.code, key.start, key.series.series_id)
            item = self.items.get(item_key)
            if item is None:
                stored = StoredRollup(key.series, key.resolution, key.start, delta.copy())
                item = self.items[item_key] = _Item(stored)
            elif batch_id in item.batches:
                continue
            else:
                item.stored.rollup.merge(delta)
            item.batches = [*item.batches, batch_id][-self.remembered_batches :]
            item.expires_at = key.start + expires_at[key.resolution]
            writes += 1
        return writes

    def read(self, tenant_id: str, name: str, resolution: Resolution, start: int, end: int) -> list[StoredRollup]:
        return sorted(
            (
                item.stored
                for (tenant, metric, res, bucket, _), item in self.items.items()
                if tenant == tenant_id and metric == name and res == resolution.code and start <= bucket < end
            ),
            key=lambda stored: (stored.start, stored.series.series_id),
        )


class InMemoryIdempotencyGuard:
    def __init__(self) -> None:
        self.records: dict[tuple[str, str], tuple[str, dict[str, Any]]] = {}

    def register_lambda_context(self, context: Any) -> None:
        """Records never stay in flight here: a failed operation leaves none behind."""

    def run_once(
        self, tenant_id: str, idempotency_key: str, payload_hash: str, operation: Callable[[], dict[str, Any]]
    ) -> tuple[dict[str, Any], bool]:
        record = self.records.get((tenant_id, idempotency_key))
        if record is not None:
            if record[0] != payload_hash:
                raise unprocessable("this Idempotency-Key was already used with a different body", "Idempotency-Key")
            return record[1], True
        result = operation()
        self.records[(tenant_id, idempotency_key)] = (payload_hash, result)
        return result, False
