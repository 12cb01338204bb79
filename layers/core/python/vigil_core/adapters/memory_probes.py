"""In-memory monitors, probe store and queues: the fakes behind the probe unit tests.

Same contracts as the DynamoDB and SQS adapters: version-conditioned records, an outbox of transitions,
SLA windows counted the same way (kept as plain dicts tests can read), shards and events kept as sent.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from vigil_core.adapters.dynamodb_probes import state_partition_key, window_increments
from vigil_core.adapters.sla_windows import InMemorySlaWindows, WindowCounters, WindowResolution
from vigil_core.errors import conflict, not_found
from vigil_core.models.monitors import Monitor
from vigil_core.models.probes import (
    CodeSyncState,
    MonitorKey,
    ProbeResult,
    ProbeShard,
    StoredMonitorState,
    TransitionEvent,
)
from vigil_core.probes.verdicts import MonitorState


class InMemoryMonitorRepository:
    def __init__(self) -> None:
        self.monitors: dict[MonitorKey, Monitor] = {}
        self.sync_state: CodeSyncState | None = None

    def create(self, monitor: Monitor) -> None:
        key = MonitorKey(monitor.tenant_id, monitor.id)
        if key in self.monitors:
            raise conflict(f"monitor {monitor.id!r} already exists")
        self._check_token_free(monitor)
        self.monitors[key] = monitor

    def replace(self, monitor: Monitor) -> None:
        key = MonitorKey(monitor.tenant_id, monitor.id)
        if key not in self.monitors:
            raise not_found(f"monitor {monitor.id!r} not found")
        self._check_token_free(monitor)
        self.monitors[key] = monitor

    def delete(self, monitor: Monitor) -> None:
        self.monitors.pop(MonitorKey(monitor.tenant_id, monitor.id), None)

    def get(self, key: MonitorKey) -> Monitor | None:
        return self.monitors.get(key)

    def list_for_tenant(self, tenant_id: str) -> list[Monitor]:
        return [monitor for key, monitor in sorted(self.monitors.items()) if key.tenant_id == tenant_id]

    def scheduled(self, interval: int) -> list[Monitor]:
        return [
            monitor
            for _, monitor in sorted(self.monitors.items())
            if monitor.definition.enabled and monitor.definition.interval == interval
        ]

    def get_many(self, keys: Sequence[MonitorKey]) -> list[Monitor]:
        return [self.monitors[key] for key in dict.fromkeys(keys) if key in self.monitors]

    def find_by_heartbeat_token(self, token: str) -> Monitor | None:
        return next((m for m in self.monitors.values() if m.heartbeat_token == token), None)

    def code_sync_state(self) -> CodeSyncState | None:
        return self.sync_state

    def set_code_sync_state(self, state: CodeSyncState) -> None:
        self.sync_state = state

    def _check_token_free(self, monitor: Monitor) -> None:
        holder = self.find_by_heartbeat_token(monitor.heartbeat_token) if monitor.heartbeat_token else None
        if holder is not None and (holder.tenant_id, holder.id) != (monitor.tenant_id, monitor.id):
            raise conflict("the heartbeat token is already in use; try again")


@dataclass
class _StateRecord:
    state: MonitorState | None = None  # None: made by a heartbeat, never recorded (no version yet)
    last_beat_at: datetime | None = None
    pending: dict[str, TransitionEvent] = field(default_factory=dict)


class InMemoryProbeStore:
    """Nothing expires here: retention is DynamoDB's TTL, tested with the DynamoDB adapter."""

    def __init__(self, sla_windows: InMemorySlaWindows | None = None) -> None:
        self.states: dict[MonitorKey, _StateRecord] = {}
        self.stored_results: dict[MonitorKey, dict[int, ProbeResult]] = {}
        self.sla_windows = sla_windows or InMemorySlaWindows()
        self._lock = threading.Lock()  # probe runs record from a thread pool

    def load_states(self, keys: Sequence[MonitorKey]) -> dict[MonitorKey, StoredMonitorState]:
        with self._lock:
            return {key: self._stored(self.states.get(key)) for key in keys}

    def record(self, result: ProbeResult, state: MonitorState, expected_version: int) -> bool:
        key = result.key
        with self._lock:
            record = self.states.get(key)
            stored_version = None if record is None or record.state is None else record.state.version
            # As in DynamoDB: version 0 means never recorded, so it expects no version at all.
            if stored_version != (None if expected_version == 0 else expected_version):
                return False
            record = self.states.setdefault(key, _StateRecord())
            record.state = state
            if result.transition is not None:
                record.pending[result.transition.event_id] = result.transition
            self.stored_results.setdefault(key, {})[result.slot] = result
            self.sla_windows.add(state_partition_key(key), result.slot, window_increments(result))
            return True

    def clear_pending(self, key: MonitorKey, event_ids: Sequence[str]) -> None:
        with self._lock:
            record = self.states.get(key)
            if record is not None:
                for event_id in event_ids:
                    record.pending.pop(event_id, None)

    def record_beat(self, key: MonitorKey, at: datetime) -> None:
        with self._lock:
            self.states.setdefault(key, _StateRecord()).last_beat_at = at

    def results(self, key: MonitorKey, since: datetime, until: datetime) -> list[ProbeResult]:
        with self._lock:
            stored = list(self.stored_results.get(key, {}).values())
        return sorted((r for r in stored if since <= r.at <= until), key=lambda r: r.slot, reverse=True)

    def delete_state(self, key: MonitorKey) -> None:
        with self._lock:
            self.states.pop(key, None)

    def windows(
        self, key: MonitorKey, resolution: WindowResolution, start_epoch: int, end_epoch: int
    ) -> list[WindowCounters]:
        """The monitor's SLA windows of one resolution that start in [start_epoch, end_epoch), oldest first."""
        with self._lock:
            return self.sla_windows.windows(state_partition_key(key), resolution, start_epoch, end_epoch)

    @staticmethod
    def _stored(record: _StateRecord | None) -> StoredMonitorState:
        if record is None:
            return StoredMonitorState(MonitorState())
        return StoredMonitorState(
            state=record.state or MonitorState(),
            last_beat_at=record.last_beat_at,
            pending_transitions=tuple(sorted(record.pending.values(), key=lambda event: event.slot)),
        )


class RecordingTransitionPublisher:
    """Keeps what it is given; told to fail, it raises (and keeps nothing) for that many calls."""

    def __init__(self, fail_times: int = 0) -> None:
        self.events: list[TransitionEvent] = []
        self.fail_times = fail_times

    def publish(self, events: Sequence[TransitionEvent]) -> None:
        if self.fail_times > 0:
            self.fail_times -= 1
            raise RuntimeError(f"{len(events)} transitions were not sent (injected failure)")
        self.events.extend(events)


class RecordingShardQueue:
    def __init__(self) -> None:
        self.sent: list[tuple[ProbeShard, int]] = []

    def send(self, shards: Sequence[ProbeShard], delay_s: int = 0) -> None:
        self.sent.extend((shard, delay_s) for shard in shards)
