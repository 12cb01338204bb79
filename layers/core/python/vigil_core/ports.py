"""What the services need from storage. Adapters implement these; tests use the in-memory ones."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from vigil_core.models.monitors import Monitor
from vigil_core.models.probes import (
    CodeSyncState,
    MonitorKey,
    ProbeResult,
    ProbeShard,
    StoredMonitorState,
    TransitionEvent,
)
from vigil_core.models.rollups import Resolution, Rollup, RollupKey, Series
from vigil_core.models.tenants import ApiKey, Tenant
from vigil_core.probes.verdicts import MonitorState


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


class MonitorRepository(Protocol):
    def create(self, monitor: Monitor) -> None:
        """Store a new monitor; raises a 409 VigilError when the tenant already has one with its id."""
        ...

    def replace(self, monitor: Monitor) -> None:
        """Overwrite an existing monitor (its heartbeat token, if any, is kept by the caller)."""
        ...

    def delete(self, monitor: Monitor) -> None: ...

    def get(self, key: MonitorKey) -> Monitor | None: ...

    def list_for_tenant(self, tenant_id: str) -> list[Monitor]: ...

    def scheduled(self, interval: int) -> list[Monitor]:
        """Every enabled monitor of one interval class, across tenants, ordered by key."""
        ...

    def get_many(self, keys: Sequence[MonitorKey]) -> list[Monitor]:
        """The monitors that still exist among `keys` (deleted ones are left out)."""
        ...

    def find_by_heartbeat_token(self, token: str) -> Monitor | None: ...

    def code_sync_state(self) -> CodeSyncState | None:
        """What monitors.yaml last applied: its digest and the monitors it defined; None if never."""
        ...

    def set_code_sync_state(self, state: CodeSyncState) -> None: ...


class ProbeStore(Protocol):
    def load_states(self, keys: Sequence[MonitorKey]) -> dict[MonitorKey, StoredMonitorState]:
        """The stored state of each key; keys never judged get a fresh StoredMonitorState."""
        ...

    def record(self, result: ProbeResult, state: MonitorState, expected_version: int) -> bool:
        """Atomically: the new state (if the stored version is still `expected_version`), the raw result,
        the SLA window counters, and the result's transition in the outbox. False on a version conflict."""
        ...

    def clear_pending(self, key: MonitorKey, event_ids: Sequence[str]) -> None:
        """Remove transitions that were handed on from the outbox."""
        ...

    def record_beat(self, key: MonitorKey, at: datetime) -> None: ...

    def results(self, key: MonitorKey, since: datetime, until: datetime) -> list[ProbeResult]:
        """Raw results whose check finished in [since, until], newest first."""
        ...

    def delete_state(self, key: MonitorKey) -> None: ...


class TransitionPublisher(Protocol):
    def publish(self, events: Sequence[TransitionEvent]) -> None:
        """Hand transitions to alert evaluation; raises if any could not be sent."""
        ...


class ShardQueue(Protocol):
    def send(self, shards: Sequence[ProbeShard], delay_s: int = 0) -> None:
        """Queue shards for probe workers, visible after `delay_s` seconds; raises if any was not queued."""
        ...
