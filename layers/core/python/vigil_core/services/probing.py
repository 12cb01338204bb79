"""Probe runs: which monitors are due, how they are split across invocations, and what a result changes.

A schedule fires per interval class. Its monitors are packed into shards that fit one invocation's
budget; a single shard runs at once, several go through the shard queue to parallel workers. 30-second
monitors run twice per (one-minute) schedule: now, and through the queue 30 s later.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from vigil_core.models.monitors import HeartbeatMonitor, Monitor, MonitorDefinition
from vigil_core.models.probes import MonitorKey, ProbeResult, ProbeShard, StoredMonitorState, TransitionEvent
from vigil_core.ports import MonitorRepository, ProbeStore, ShardQueue, TransitionPublisher
from vigil_core.probes.observations import CheckOutcome, CheckStatus
from vigil_core.probes.runner import ProbeRunner, RunLimits
from vigil_core.probes.verdicts import Thresholds, advance

SUB_MINUTE_INTERVAL = 30
MAX_RECORD_ATTEMPTS = 3
RECORD_WORKERS = 16


@dataclass(frozen=True, slots=True)
class RunReport:
    slot: int
    checked: int = 0
    skipped: int = 0  # already applied for this slot (a redelivered shard)
    by_status: dict[str, int] = field(default_factory=dict)
    transitions: int = 0
    canary_error: str | None = None
    outbox_error: str | None = None  # held-back transitions could not be sent; they stay for the next run
    duration_s: float = 0.0


@dataclass(frozen=True, slots=True)
class ScheduleReport:
    interval: int
    slot: int
    monitors: int
    shards_queued: int
    ran_inline: RunReport | None


class WarningLogger(Protocol):
    """What warn_about_run needs of a logger (the standard library's or Powertools')."""

    def warning(self, msg: str, *args: Any, **kwargs: Any) -> Any: ...


def warn_about_run(report: RunReport, logger: WarningLogger) -> None:
    """Log what made a run less than complete: no network (inconclusive) or transitions still held back."""
    if report.canary_error:
        logger.warning("probe run inconclusive: the canary is unreachable", extra={"canary_error": report.canary_error})
    if report.outbox_error:
        logger.warning("transitions held back for the next run", extra={"outbox_error": report.outbox_error})


def worst_case_seconds(definition: MonitorDefinition, retry_delay_s: float) -> float:
    if isinstance(definition, HeartbeatMonitor):
        return 0.0
    return definition.timeout * (definition.retries + 1) + retry_delay_s * definition.retries


def plan_shards(monitors: Sequence[Monitor], limits: RunLimits, max_shard_size: int) -> list[list[Monitor]]:
    """Pack monitors, in order, into shards whose worst case fits one run.

    A run executes `concurrency` checks at once until its deadline, so a shard may hold checks whose
    worst-case durations add up to deadline x concurrency (and no more than max_shard_size of them).
    """
    capacity = limits.deadline_s * limits.concurrency
    shards: list[list[Monitor]] = []
    current: list[Monitor] = []
    load = 0.0
    for monitor in monitors:
        cost = worst_case_seconds(monitor.definition, limits.retry_delay_s)
        if current and (load + cost > capacity or len(current) >= max_shard_size):
            shards.append(current)
            current, load = [], 0.0
        current.append(monitor)
        load += cost
    if current:
        shards.append(current)
    return shards


class ProbeService:
    def __init__(
        self,
        *,
        monitors: MonitorRepository,
        store: ProbeStore,
        runner: ProbeRunner,
        publisher: TransitionPublisher,
        shard_queue: ShardQueue,
        limits: RunLimits,
        max_shard_size: int,
        clock: Callable[[], datetime],
    ) -> None:
        self._monitors = monitors
        self._store = store
        self._runner = runner
        self._publisher = publisher
        self._shard_queue = shard_queue
        self._limits = limits
        self._max_shard_size = max_shard_size
        self._clock = clock

    def run_schedule(self, interval: int, fired_at: datetime) -> ScheduleReport:
        """Run (or queue) every monitor of an interval class for the slot the schedule fired in."""
        period = max(interval, 60)  # schedules fire at most once a minute
        slot = int(fired_at.timestamp()) // period * period
        monitors = self._monitors.scheduled(interval)
        shards = plan_shards(monitors, self._limits, self._max_shard_size)
        ran_inline: RunReport | None = None
        queued = 0
        if len(shards) == 1:
            ran_inline = self.run_monitors(shards[0], slot)
        elif shards:
            queued += self._queue(interval, slot, shards, delay_s=0)
        if interval == SUB_MINUTE_INTERVAL and shards:
            queued += self._queue(interval, slot + SUB_MINUTE_INTERVAL, shards, delay_s=SUB_MINUTE_INTERVAL)
        return ScheduleReport(interval, slot, len(monitors), queued, ran_inline)

    def run_shard(self, shard: ProbeShard) -> RunReport:
        return self.run_monitors(self._monitors.get_many(shard.keys), shard.slot)

    def run_monitors(self, monitors: Sequence[Monitor], slot: int) -> RunReport:
        keys = [MonitorKey(m.tenant_id, m.id) for m in monitors]
        stored = self._store.load_states(keys)
        outbox_error = self._flush_outbox(stored)
        due = [m for m in monitors if stored[MonitorKey(m.tenant_id, m.id)].state.last_slot < slot]
        network = [m for m in due if not isinstance(m.definition, HeartbeatMonitor)]
        run = self._runner.run([m.definition for m in network])
        now = self._clock()
        # Heartbeat deadlines and maintenance windows are judged at the time the slot was meant for, so a
        # late run judges the slot it was meant for (a beat that arrived since still counts: it is real).
        slot_time = datetime.fromtimestamp(slot, UTC)
        outcomes = dict(zip((MonitorKey(m.tenant_id, m.id) for m in network), run.outcomes, strict=True))
        work: list[tuple[Monitor, CheckOutcome]] = []
        for monitor in due:
            key = MonitorKey(monitor.tenant_id, monitor.id)
            work.append((monitor, outcomes.get(key) or heartbeat_outcome(monitor, stored[key], slot_time)))
        with ThreadPoolExecutor(max_workers=RECORD_WORKERS) as pool:
            recorded = list(pool.map(lambda item: self._record(item[0], item[1], stored, slot, now, slot_time), work))
        events = [event for event in recorded if event is not None]
        self._hand_on(events)
        statuses = Counter(outcome.status.value for _, outcome in work)
        return RunReport(
            slot=slot,
            checked=len(due),
            skipped=len(monitors) - len(due),
            by_status=dict(statuses),
            transitions=len(events),
            canary_error=run.canary_error,
            outbox_error=outbox_error,
            duration_s=run.duration_s,
        )

    def _queue(self, interval: int, slot: int, shards: list[list[Monitor]], delay_s: int) -> int:
        messages = [
            ProbeShard(
                interval=interval,
                slot=slot,
                keys=tuple(MonitorKey(m.tenant_id, m.id) for m in shard),
                shard=index,
                shards=len(shards),
            )
            for index, shard in enumerate(shards)
        ]
        self._shard_queue.send(messages, delay_s=delay_s)
        return len(messages)

    def _record(
        self,
        monitor: Monitor,
        outcome: CheckOutcome,
        stored_states: dict[MonitorKey, StoredMonitorState],
        slot: int,
        now: datetime,
        slot_time: datetime,
    ) -> TransitionEvent | None:
        key = MonitorKey(monitor.tenant_id, monitor.id)
        stored = stored_states[key]
        definition = monitor.definition
        in_maintenance = monitor.in_maintenance(slot_time)
        for _ in range(MAX_RECORD_ATTEMPTS):
            if stored.state.last_slot >= slot:
                return None  # another run applied this slot first
            new_state, transition = advance(
                stored.state,
                outcome.status,
                thresholds=Thresholds(definition.failure_threshold, definition.success_threshold),
                in_maintenance=in_maintenance,
                at=now,
                slot=slot,
            )
            event = (
                None
                if transition is None
                else TransitionEvent(
                    tenant_id=monitor.tenant_id,
                    monitor_id=monitor.id,
                    monitor_name=definition.name,
                    monitor_type=definition.type.value,
                    target=getattr(definition, "target", None),
                    previous=transition.previous,
                    current=transition.current,
                    at=now,
                    slot=slot,
                    reasons=outcome.reasons,
                    tags=dict(definition.tags),
                )
            )
            result = ProbeResult(
                key=key,
                slot=slot,
                at=now,
                check_status=outcome.status,
                monitor_status=new_state.status,
                response_time_ms=outcome.response_time_ms,
                reasons=outcome.reasons,
                attempts=outcome.attempts,
                in_maintenance=in_maintenance,
                transition=event,
            )
            if self._store.record(result, new_state, expected_version=stored.state.version):
                return event
            stored = self._store.load_states([key])[key]
        raise RuntimeError(f"monitor {monitor.tenant_id}/{monitor.id}: state kept changing under this run")

    def _flush_outbox(self, stored: dict[MonitorKey, StoredMonitorState]) -> str | None:
        """Hand on transitions a run recorded but failed to send. Failing again must not stop the checks:
        they stay in the outbox for the next run, and the report says why."""
        try:
            self._hand_on([event for state in stored.values() for event in state.pending_transitions])
        except Exception as exc:  # the publisher's failure, whatever its kind, is reported, not fatal here
            return f"{type(exc).__name__}: {exc}"
        return None

    def _hand_on(self, events: Sequence[TransitionEvent]) -> None:
        if not events:
            return
        self._publisher.publish(events)
        by_monitor: dict[MonitorKey, list[str]] = {}
        for event in events:
            by_monitor.setdefault(MonitorKey(event.tenant_id, event.monitor_id), []).append(event.event_id)
        for key, event_ids in by_monitor.items():
            self._store.clear_pending(key, event_ids)


def heartbeat_outcome(monitor: Monitor, stored: StoredMonitorState, at: datetime) -> CheckOutcome:
    """UP while the last beat (or the monitor's creation) is within interval + grace of `at`."""
    definition = monitor.definition
    assert isinstance(definition, HeartbeatMonitor)
    last = stored.last_beat_at or monitor.created_at
    deadline = last + timedelta(seconds=definition.interval + definition.grace)
    if at <= deadline:
        return CheckOutcome(CheckStatus.UP, None)
    since = "no heartbeat yet" if stored.last_beat_at is None else f"last heartbeat at {last.isoformat()}"
    expected = f"expected every {definition.interval:g}s with {definition.grace:g}s grace"
    return CheckOutcome(CheckStatus.DOWN, None, (f"{since}; {expected}",))
