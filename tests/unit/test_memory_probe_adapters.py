"""The in-memory monitor repository, probe store and queues keep the DynamoDB and SQS adapters' contracts."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from vigil_core.adapters.memory_probes import (
    InMemoryMonitorRepository,
    InMemoryProbeStore,
    RecordingShardQueue,
    RecordingTransitionPublisher,
)
from vigil_core.errors import VigilError
from vigil_core.models.monitors import MONITOR_DEFINITION, Monitor
from vigil_core.models.probes import CodeSyncState, MonitorKey, ProbeResult, ProbeShard, TransitionEvent
from vigil_core.probes.observations import CheckStatus
from vigil_core.probes.verdicts import MonitorState, MonitorStatus

CREATED = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
HOUR = int(CREATED.timestamp())
KEY = MonitorKey("acme", "api")


def monitor(tenant: str = "acme", monitor_id: str = "api", token: str | None = None, **definition: Any) -> Monitor:
    if token is not None:
        body: dict[str, Any] = {"type": "heartbeat", "name": monitor_id, "interval": "5m", **definition}
    else:
        body = {"type": "http", "name": monitor_id, "target": "https://example.com/", **definition}
    return Monitor(
        tenant_id=tenant,
        id=monitor_id,
        definition=MONITOR_DEFINITION.validate_python(body),
        heartbeat_token=token,
        created_at=CREATED,
        updated_at=CREATED,
    )


def transition(slot: int, current: MonitorStatus = MonitorStatus.DOWN) -> TransitionEvent:
    at = datetime.fromtimestamp(slot + 2, UTC)
    return TransitionEvent("acme", "api", "api", "http", "https://example.com/", MonitorStatus.UP, current, at, slot)


def result(
    slot: int,
    status: CheckStatus = CheckStatus.UP,
    response_time_ms: float | None = 120.0,
    *,
    in_maintenance: bool = False,
    event: TransitionEvent | None = None,
) -> ProbeResult:
    at = datetime.fromtimestamp(slot + 2, UTC)
    return ProbeResult(KEY, slot, at, status, MonitorStatus.UP, response_time_ms, (), 1, in_maintenance, event)


def state(version: int, slot: int) -> MonitorState:
    return MonitorState(MonitorStatus.UP, MonitorStatus.UP, 0, version, None, None, slot, version)


def test_monitors_are_created_listed_replaced_and_deleted() -> None:
    # Given monitors of two tenants
    repository = InMemoryMonitorRepository()
    repository.create(monitor(monitor_id="web"))
    repository.create(monitor())
    repository.create(monitor(tenant="globex"))
    # When one is created twice, replaced, and deleted
    with pytest.raises(VigilError) as caught:
        repository.create(monitor())
    repository.replace(monitor(name="renamed"))
    renamed = repository.get(KEY)
    repository.delete(monitor(monitor_id="web"))
    # Then the second create was a conflict, and the tenant's list follows each change, by id
    assert caught.value.status == 409
    assert renamed is not None and renamed.definition.name == "renamed"
    assert [m.id for m in repository.list_for_tenant("acme")] == ["api"]
    with pytest.raises(VigilError, match="not found"):
        repository.replace(monitor(monitor_id="web"))


def test_heartbeat_tokens_follow_their_monitor() -> None:
    # Given a heartbeat monitor whose token was changed
    repository = InMemoryMonitorRepository()
    repository.create(monitor(token="hb_first"))
    repository.replace(monitor(token="hb_second"))
    # Then only the new token finds it, and no other monitor may take that token
    assert repository.find_by_heartbeat_token("hb_first") is None
    assert repository.find_by_heartbeat_token("hb_second") == repository.get(KEY)
    with pytest.raises(VigilError):
        repository.create(monitor(monitor_id="other", token="hb_second"))
    # When it is deleted, then its token finds nothing
    repository.delete(monitor(token="hb_second"))
    assert repository.find_by_heartbeat_token("hb_second") is None


def test_scheduled_and_get_many() -> None:
    # Given enabled and disabled monitors of two intervals
    repository = InMemoryMonitorRepository()
    for tenant, monitor_id in (("acme", "b"), ("a-b", "z"), ("acme", "a")):
        repository.create(monitor(tenant=tenant, monitor_id=monitor_id))
    repository.create(monitor(monitor_id="off", enabled=False))
    repository.create(monitor(monitor_id="slow", interval="5m"))
    # When the schedule and a shard ask for them
    scheduled = [(m.tenant_id, m.id) for m in repository.scheduled(60)]
    shard = [m.id for m in repository.get_many([MonitorKey("acme", "b"), MonitorKey("acme", "gone"), KEY])]
    # Then the schedule gets enabled monitors of its interval in key order, the shard those still there
    assert scheduled == [("a-b", "z"), ("acme", "a"), ("acme", "b")]
    assert shard == ["b"]


def test_code_sync_state_round_trips() -> None:
    # Given a repository monitors.yaml was never applied to, when a sync is noted, then it is read back
    repository = InMemoryMonitorRepository()
    assert repository.code_sync_state() is None
    repository.set_code_sync_state(CodeSyncState("d1", (KEY,)))
    assert repository.code_sync_state() == CodeSyncState("d1", (KEY,))


def test_record_is_conditioned_on_the_version_and_counts_a_slot_once() -> None:
    # Given a recorded first result
    store = InMemoryProbeStore()
    assert store.record(result(HOUR), state(1, HOUR), expected_version=0)
    # When the same slot is recorded again, and a stale run records the next one
    repeated = store.record(result(HOUR), state(1, HOUR), expected_version=0)
    stale = store.record(result(HOUR + 60, CheckStatus.DOWN), state(2, HOUR + 60), expected_version=2)
    # Then both are refused and left no trace
    assert not repeated and not stale
    assert store.load_states([KEY])[KEY].state == state(1, HOUR)
    since, until = datetime.fromtimestamp(HOUR, UTC), datetime.fromtimestamp(HOUR + 3600, UTC)
    assert [r.slot for r in store.results(KEY, since, until)] == [HOUR]
    [window] = store.windows(KEY, "hour", HOUR, HOUR + 3600)
    assert (window["total"], window["good"], window["down"], window["lb08"]) == (1, 1, 0, 1)


def test_windows_count_like_dynamodb() -> None:
    # Given one result of each kind in one hour
    store = InMemoryProbeStore()
    outcomes = [
        result(HOUR, CheckStatus.UP, 0.5),
        result(HOUR + 60, CheckStatus.DEGRADED, 2.5),
        result(HOUR + 120, CheckStatus.DOWN, None),
        result(HOUR + 180, CheckStatus.INCONCLUSIVE, None),
        result(HOUR + 240, CheckStatus.DOWN, 70_000.0, in_maintenance=True),
    ]
    for version, outcome in enumerate(outcomes, start=1):
        assert store.record(outcome, state(version, outcome.slot), expected_version=version - 1)
    # When its hour and day are read
    [hour] = store.windows(KEY, "hour", HOUR, HOUR + 3600)
    [day] = store.windows(KEY, "day", HOUR - 9 * 3600, HOUR + 15 * 3600)
    # Then both hold the same counters, maintenance and inconclusive results kept out of the total
    assert hour == {**day, "start": HOUR}
    counts = [hour[name] for name in ("total", "good", "degraded", "down", "maintenance", "inconclusive")]
    assert counts == [3, 2, 1, 1, 1, 1]
    assert (hour["latency_count"], hour["latency_sum_ms"], hour["lb00"], hour["lb01"], hour["lb19"]) == (
        3,
        70_003.0,
        1,
        1,
        1,
    )
    assert store.sla_windows.counters[(f"{KEY.tenant_id}#{KEY.monitor_id}", "D#2026-11-22")]["total"] == 3


def test_pending_transitions_beats_and_deletion() -> None:
    # Given a recorded transition and a heartbeat
    store = InMemoryProbeStore()
    event = transition(HOUR)
    beat = datetime.fromtimestamp(HOUR + 30, UTC)
    assert store.record(result(HOUR, CheckStatus.DOWN, event=event), state(1, HOUR), expected_version=0)
    store.record_beat(KEY, beat)
    # Then the transition waits in the outbox and the beat did not move the version
    stored = store.load_states([KEY])[KEY]
    assert (stored.pending_transitions, stored.last_beat_at, stored.state.version) == ((event,), beat, 1)
    # When it is cleared, and the state deleted
    store.clear_pending(KEY, [event.event_id])
    assert store.load_states([KEY])[KEY].pending_transitions == ()
    store.delete_state(KEY)
    # Then the monitor starts afresh
    assert store.load_states([KEY])[KEY].state == MonitorState()


def test_publisher_fails_as_told_and_queue_keeps_delays() -> None:
    # Given a publisher told to fail once: the first publish raises and keeps nothing, the second is kept
    publisher = RecordingTransitionPublisher(fail_times=1)
    with pytest.raises(RuntimeError):
        publisher.publish([transition(HOUR)])
    publisher.publish([transition(HOUR)])
    assert publisher.events == [transition(HOUR)]
    # Given a queue: a shard sent with a delay is kept with it
    queue = RecordingShardQueue()
    shard = ProbeShard(30, HOUR + 30, (KEY,))
    queue.send([shard], delay_s=30)
    assert queue.sent == [(shard, 30)]
