"""Monitors as code: a monitors.yaml document, validated at synth time and applied by the probe scheduler.

The document is `monitors: [{tenant: <id>, <monitor definition>...}]`. Applying it creates and updates
its monitors (marked as managed by code, so the API will not edit them) and deletes the code monitors a
newer document no longer has. A digest makes applying an unchanged document a single read.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from vigil_core.errors import VigilError
from vigil_core.models.monitors import HeartbeatMonitor, ManagedBy, Monitor, MonitorDefinition, new_heartbeat_token
from vigil_core.models.probes import CodeSyncState, MonitorKey
from vigil_core.ports import MonitorRepository, ProbeStore
from vigil_core.services.code_documents import parse_tenant_document
from vigil_core.services.monitors import parse_definition


@dataclass(frozen=True, slots=True)
class CodeMonitor:
    tenant_id: str
    definition: MonitorDefinition

    @property
    def key(self) -> MonitorKey:
        return MonitorKey(self.tenant_id, self.definition.monitor_id)


@dataclass(frozen=True, slots=True)
class SyncReport:
    digest: str
    created: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: bool = False


def parse_monitors_document(data: Any) -> list[CodeMonitor]:
    """Every monitor of the document, or one VigilError listing every bad field as monitors[i].field."""
    entries = parse_tenant_document(
        data,
        "monitors",
        "monitor",
        lambda entry, prefix: parse_definition(entry, field_prefix=prefix),
        lambda definition: definition.monitor_id,
    )
    return [CodeMonitor(tenant, definition) for tenant, definition in entries]


def to_document(monitors: Sequence[CodeMonitor]) -> dict[str, Any]:
    """The normalized document (every default filled in), as the stack ships it to the scheduler."""
    return {
        "monitors": [
            {"tenant": m.tenant_id, "id": m.key.monitor_id, **m.definition.model_dump(mode="json", exclude={"id"})}
            for m in monitors
        ]
    }


def document_digest(monitors: Sequence[CodeMonitor]) -> str:
    canonical = json.dumps(to_document(monitors), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def sync_code_monitors(
    repository: MonitorRepository,
    store: ProbeStore,
    monitors: Sequence[CodeMonitor],
    clock: Callable[[], datetime],
) -> SyncReport:
    digest = document_digest(monitors)
    previous = repository.code_sync_state()
    if previous is not None and previous.digest == digest:
        return SyncReport(digest, unchanged=True)
    now = clock()
    created = updated = deleted = 0
    for code_monitor in monitors:
        existing = repository.get(code_monitor.key)
        monitor = _code_monitor(code_monitor, existing, now)
        if existing is None:
            try:
                repository.create(monitor)
                created += 1
                continue
            except VigilError:
                existing = repository.get(code_monitor.key)  # created meanwhile by another scheduler run
        if existing is not None and (existing.definition != monitor.definition or existing.managed_by is ManagedBy.API):
            repository.replace(_code_monitor(code_monitor, existing, now))
            updated += 1
    kept = {m.key for m in monitors}
    for key in previous.keys if previous else ():
        existing = repository.get(key)
        if key not in kept and existing is not None and existing.managed_by is ManagedBy.CODE:
            repository.delete(existing)
            store.delete_state(key)  # a monitor created later under this id starts afresh
            deleted += 1
    repository.set_code_sync_state(CodeSyncState(digest, tuple(sorted(kept))))
    return SyncReport(digest, created, updated, deleted)


def _code_monitor(code_monitor: CodeMonitor, existing: Monitor | None, now: datetime) -> Monitor:
    heartbeat = isinstance(code_monitor.definition, HeartbeatMonitor)
    token = (existing.heartbeat_token if existing else None) or new_heartbeat_token()
    return Monitor(
        tenant_id=code_monitor.tenant_id,
        id=code_monitor.key.monitor_id,
        definition=code_monitor.definition,
        managed_by=ManagedBy.CODE,
        heartbeat_token=token if heartbeat else None,
        created_at=existing.created_at if existing else now,
        updated_at=now,
    )
