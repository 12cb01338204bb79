"""What a probe run leaves behind: raw results, monitor states, SLA samples and transition events."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from vigil_core.probes.observations import CheckStatus
from vigil_core.probes.verdicts import MonitorState, MonitorStatus

RESULT_RETENTION_S = 7 * 86400


@dataclass(frozen=True, slots=True, order=True)
class MonitorKey:
    tenant_id: str
    monitor_id: str


@dataclass(frozen=True, slots=True)
class TransitionEvent:
    """A real change of a monitor's state, handed to alert evaluation."""

    tenant_id: str
    monitor_id: str
    monitor_name: str
    monitor_type: str
    target: str | None
    previous: MonitorStatus | None
    current: MonitorStatus
    at: datetime
    slot: int
    reasons: tuple[str, ...] = ()
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def event_id(self) -> str:
        return f"{self.tenant_id}:{self.monitor_id}:{self.slot}"

    def to_json(self) -> str:
        return json.dumps(
            {
                "event_id": self.event_id,
                "kind": "monitor.transition",
                "tenant_id": self.tenant_id,
                "monitor_id": self.monitor_id,
                "monitor_name": self.monitor_name,
                "monitor_type": self.monitor_type,
                "target": self.target,
                "previous": self.previous.value if self.previous else None,
                "current": self.current.value,
                "at": self.at.isoformat(),
                "slot": self.slot,
                "reasons": list(self.reasons),
                "tags": self.tags,
            },
            separators=(",", ":"),
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str) -> TransitionEvent:
        data: dict[str, Any] = json.loads(text)
        return cls(
            tenant_id=data["tenant_id"],
            monitor_id=data["monitor_id"],
            monitor_name=data["monitor_name"],
            monitor_type=data["monitor_type"],
            target=data.get("target"),
            previous=MonitorStatus(data["previous"]) if data.get("previous") else None,
            current=MonitorStatus(data["current"]),
            at=datetime.fromisoformat(data["at"]),
            slot=int(data["slot"]),
            reasons=tuple(data.get("reasons", ())),
            tags=dict(data.get("tags", {})),
        )


@dataclass(frozen=True, slots=True)
class ProbeResult:
    """One check of one monitor in one slot, as stored for 7 days."""

    key: MonitorKey
    slot: int  # epoch seconds the run was scheduled for
    at: datetime  # when the check finished
    check_status: CheckStatus
    monitor_status: MonitorStatus | None  # the monitor's state after this result
    response_time_ms: float | None
    reasons: tuple[str, ...]
    attempts: int
    in_maintenance: bool = False
    transition: TransitionEvent | None = None

    def to_public(self) -> dict[str, Any]:
        return {
            "at": self.at.isoformat(),
            "slot": datetime.fromtimestamp(self.slot, UTC).isoformat(),
            "check_status": self.check_status.value,
            "monitor_status": self.monitor_status.value if self.monitor_status else None,
            "response_time_ms": None if self.response_time_ms is None else round(self.response_time_ms, 1),
            "reasons": list(self.reasons),
            "attempts": self.attempts,
            "in_maintenance": self.in_maintenance,
            "transition": (
                None
                if self.transition is None
                else {
                    "previous": self.transition.previous.value if self.transition.previous else None,
                    "current": self.transition.current.value,
                }
            ),
        }


@dataclass(frozen=True, slots=True)
class StoredMonitorState:
    state: MonitorState = field(default_factory=MonitorState)
    last_beat_at: datetime | None = None
    # Transitions recorded but not yet handed on (the outbox): sent, then cleared.
    pending_transitions: tuple[TransitionEvent, ...] = ()


def state_to_public(stored: StoredMonitorState) -> dict[str, Any]:
    state = stored.state
    return {
        "status": state.status.value if state.status else None,
        "since": state.since.isoformat() if state.since else None,
        "last_checked_at": state.last_checked_at.isoformat() if state.last_checked_at else None,
        "consecutive_failures": state.consecutive_failures,
        "consecutive_successes": state.consecutive_successes,
        "last_beat_at": stored.last_beat_at.isoformat() if stored.last_beat_at else None,
    }


@dataclass(frozen=True, slots=True)
class ProbeShard:
    """A share of one slot's monitors, small enough for one invocation's budget."""

    interval: int
    slot: int
    keys: tuple[MonitorKey, ...]
    shard: int = 0
    shards: int = 1

    def to_json(self) -> str:
        return json.dumps(
            {
                "interval": self.interval,
                "slot": self.slot,
                "shard": self.shard,
                "shards": self.shards,
                "monitors": [[key.tenant_id, key.monitor_id] for key in self.keys],
            },
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, text: str) -> ProbeShard:
        data: dict[str, Any] = json.loads(text)
        return cls(
            interval=int(data["interval"]),
            slot=int(data["slot"]),
            keys=tuple(MonitorKey(str(tenant), str(monitor)) for tenant, monitor in data["monitors"]),
            shard=int(data.get("shard", 0)),
            shards=int(data.get("shards", 1)),
        )


@dataclass(frozen=True, slots=True)
class CodeSyncState:
    digest: str
    keys: tuple[MonitorKey, ...]
