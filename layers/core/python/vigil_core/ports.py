"""What the services need from storage. Adapters implement these; tests use the in-memory ones."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from vigil_core.models.rollups import Resolution, Rollup, RollupKey, Series
from vigil_core.models.tenants import ApiKey, Tenant


class StoreUnavailableError(RuntimeError):
    """The store failed after its own retries; the operation may be retried as a whole."""


@dataclass(frozen=True, slots=True)
class StoredRollup:
    series: Series
    resolution: Resolution
    start: int
    rollup: Rollup


class TenantDirectory(Protocol):
    def put_tenant(self, tenant: Tenant) -> None: ...

    def get_tenant(self, tenant_id: str) -> Tenant | None: ...

    def put_api_key(self, api_key: ApiKey) -> None: ...

    def find_api_key(self, key_hash: str) -> ApiKey | None: ...


class RollupStore(Protocol):
    def apply(
        self,
        tenant_id: str,
        batch_id: str,
        deltas: Mapping[RollupKey, Rollup],
        expires_at: Mapping[Resolution, int],
    ) -> int:
        """Merge every delta into its stored rollup, exactly once per batch_id; return write requests made.

        expires_at gives, per resolution, how many seconds after its bucket start an item expires.
        A retry with the same batch_id after a partial failure applies only what is missing.
        """
        ...

    def read(self, tenant_id: str, name: str, resolution: Resolution, start: int, end: int) -> list[StoredRollup]:
        """Every stored rollup of the metric whose bucket starts in [start, end)."""
        ...


class IdempotencyGuard(Protocol):
    def register_lambda_context(self, context: Any) -> None:
        """Tells the guard the invocation's remaining time, so an in-flight record expires with it."""
        ...

    def run_once(
        self, tenant_id: str, idempotency_key: str, payload_hash: str, operation: Callable[[], dict[str, Any]]
    ) -> tuple[dict[str, Any], bool]:
        """Run the operation once per (tenant, key) and return (its result, whether this is a replay).

        A replay returns the first result. Reusing a key with another payload raises a 422 VigilError;
        a request still in flight with the same key raises a 409.
        """
        ...
