"""Probe runs end to end on the in-memory adapters: schedules and shards, slots applied once, the outbox of
transitions, heartbeats, maintenance windows, and tenants kept apart."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.unit.probes.fake_checks import HEALTHY, REFUSED, ScriptedChecks
from vigil_core.adapters.memory_probes import (
    InMemoryMonitorRepository,
    InMemoryProbeStore,
    RecordingShardQueue,
    RecordingTransitionPublisher,
)
from vigil_core.models.monitors import MONITOR_DEFINITION, Monitor
from vigil_core.models.probes import MonitorKey, ProbeResult, ProbeShard, StoredMonitorState
from vigil_core.probes.observations import CheckStatus, Observation
from vigil_core.probes.runner import ProbeRunner, RunLimits
from vigil_core.probes.verdicts import MonitorState, MonitorStatus
from vigil_core.services.probing import (
    ProbeService,
    heartbeat_outcome,
    plan_shards,
    worst_case_seconds,
)

CREATED = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)  # a Sunday
FIRED = datetime(2026, 11, 22, 9, 0, 7, tzinfo=UTC)  # a schedule fires a few seconds into its minute
MINUTE = int(datetime(2026, 11, 22, 9, 0, tzinfo=UTC).timestamp())


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def monitor(monitor_id: str, tenant: str = "acme", **fields: Any) -> Monitor:
    body: dict[str, Any] = {"type": "http", "name": monitor_id} | fields
    if body["type"] != "heartbeat":
        body.setdefault("target", url(monitor_id, tenant))
    return Monitor(
        tenant_id=tenant,
        id=monitor_id,
        definition=MONITOR_DEFINITION.validate_python(body),
        heartbeat_token="hb_" + monitor_id if body["type"] == "heartbeat" else None,
        created_at=CREATED,
        updated_at=CREATED,
    )


def url(monitor_id: str, tenant: str = "acme") -> str:
    return f"https://{monitor_id}.{tenant}.example.com/health"


@dataclass
class World:
    max_shard_size: int = 100
    limits: RunLimits = field(default_factory=lambda: RunLimits(concurrency=8, deadline_s=40.0, retry_delay_s=0.0))
    canary_url: str | None = None
    repository: InMemoryMonitorRepository = field(default_factory=InMemoryMonitorRepository)
    store: InMemoryProbeStore = field(default_factory=InMemoryProbeStore)
    publisher: RecordingTransitionPublisher = field(default_factory=RecordingTransitionPublisher)
    queue: RecordingShardQueue = field(default_factory=RecordingShardQueue)
    checks: ScriptedChecks = field(default_factory=ScriptedChecks)
    clock: Clock = field(default_factory=lambda: Clock(FIRED + timedelta(seconds=2)))

    @property
    def service(self) -> ProbeService:
        return ProbeService(
            monitors=self.repository,
            store=self.store,
            runner=ProbeRunner(self.checks, self.limits, canary_url=self.canary_url),
            publisher=self.publisher,
            shard_queue=self.queue,
            limits=self.limits,
            max_shard_size=self.max_shard_size,
            clock=self.clock,
        )

    def add(self, *monitors: Monitor) -> list[Monitor]:
        for item in monitors:
            self.repository.create(item)
        return list(monitors)

    def stored(self, monitor_id: str, tenant: str = "acme") -> StoredMonitorState:
        key = MonitorKey(tenant, monitor_id)
        return self.store.load_states([key])[key]

    def status(self, monitor_id: str, tenant: str = "acme") -> MonitorStatus | None:
        return self.stored(monitor_id, tenant).state.status

    def run_at(self, slot: int, *monitors: Monitor) -> Any:
        self.clock.now = datetime.fromtimestamp(slot + 2, UTC)
        return self.service.run_monitors(list(monitors), slot)


# -- schedules and shards


def test_a_schedule_whose_monitors_fit_one_shard_runs_them_inline_and_queues_nothing() -> None:
    # Given two 1-minute monitors, one of them refusing connections
    world = World()
    world.add(monitor("api"), monitor("web"))
    world.checks.answer(url("web"), REFUSED)
    # When the 1-minute schedule fires a few seconds into the minute
    report = world.service.run_schedule(60, FIRED)
    # Then both were checked at once for the minute's slot, and nothing was queued
    assert (report.interval, report.slot, report.monitors, report.shards_queued) == (60, MINUTE, 2, 0)
    assert report.ran_inline is not None
    assert (report.ran_inline.checked, report.ran_inline.skipped) == (2, 0)
    assert report.ran_inline.by_status == {"up": 1, "down": 1}
    assert world.queue.sent == []
    # And the results are stored: one UP, one PENDING (the first of three failures)
    assert (world.status("api"), world.status("web")) == (MonitorStatus.UP, MonitorStatus.PENDING)
    assert world.stored("api").state.last_slot == MINUTE


def test_a_schedule_only_runs_enabled_monitors_of_its_interval_class() -> None:
    world = World()
    world.add(monitor("api"), monitor("off", enabled=False), monitor("slow", interval="5m"))
    report = world.service.run_schedule(60, FIRED)
    assert report.monitors == 1
    assert world.checks.calls == [url("api")]


def test_a_schedule_with_no_monitors_does_nothing() -> None:
    world = World()
    report = world.service.run_schedule(30, FIRED)
    assert (report.monitors, report.shards_queued, report.ran_inline) == (0, 0, None)
    assert world.queue.sent == []


def test_a_schedule_with_several_shards_queues_them_all_for_workers_and_checks_nothing_itself() -> None:
    # Given five monitors and shards of at most two
    world = World(max_shard_size=2)
    world.add(*(monitor(f"m{index}") for index in range(5)))
    # When the schedule fires
    report = world.service.run_schedule(60, FIRED)
    # Then three shards are queued at once for the minute's slot, covering every monitor in order
    assert (report.shards_queued, report.ran_inline) == (3, None)
    assert world.checks.calls == []
    assert [delay for _, delay in world.queue.sent] == [0, 0, 0]
    shards = [shard for shard, _ in world.queue.sent]
    assert [(s.interval, s.slot, s.shard, s.shards) for s in shards] == [(60, MINUTE, i, 3) for i in range(3)]
    assert [key.monitor_id for s in shards for key in s.keys] == ["m0", "m1", "m2", "m3", "m4"]
    # And a worker running a (serialised) shard checks its monitors for that slot
    shard_report = world.service.run_shard(ProbeShard.from_json(shards[1].to_json()))
    assert (shard_report.slot, shard_report.checked) == (MINUTE, 2)
    assert world.checks.calls == [url("m2"), url("m3")]


def test_the_30_second_class_runs_the_first_half_minute_inline_and_queues_the_second_with_a_30_second_delay() -> None:
    # Given 30-second monitors that fit one shard
    world = World()
    world.add(monitor("fast-a", interval="30s"), monitor("fast-b", interval=30))
    # When the 1-minute rule of the 30-second class fires
    report = world.service.run_schedule(30, FIRED)
    # Then the first half-minute ran now, and the second is queued to run 30 s later, for its own slot
    assert report.slot == MINUTE
    assert report.ran_inline is not None and report.ran_inline.checked == 2
    assert report.shards_queued == 1
    [(shard, delay)] = world.queue.sent
    assert (shard.interval, shard.slot, delay) == (30, MINUTE + 30, 30)
    assert shard.keys == (MonitorKey("acme", "fast-a"), MonitorKey("acme", "fast-b"))
    # And when the queued shard runs, it is a new slot: both are checked again
    assert world.service.run_shard(shard).checked == 2
    assert world.stored("fast-a").state.last_slot == MINUTE + 30


def test_the_30_second_class_with_several_shards_queues_both_half_minutes() -> None:
    # Given three 30-second monitors and shards of at most two
    world = World(max_shard_size=2)
    world.add(*(monitor(f"m{index}", interval="30s") for index in range(3)))
    # When the schedule fires
    report = world.service.run_schedule(30, FIRED)
    # Then nothing ran inline; two shards go now for the first half-minute, two in 30 s for the second
    assert report.ran_inline is None
    assert report.shards_queued == 4
    assert [(s.slot, s.shard, delay) for s, delay in world.queue.sent] == [
        (MINUTE, 0, 0),
        (MINUTE, 1, 0),
        (MINUTE + 30, 0, 30),
        (MINUTE + 30, 1, 30),
    ]


def test_slower_classes_take_the_slot_their_period_began_in() -> None:
    world = World()
    world.add(monitor("hourly", interval="1h"), monitor("five", interval="5m"))
    fired = datetime(2026, 11, 22, 9, 17, 3, tzinfo=UTC)
    assert world.service.run_schedule(3600, fired).slot == MINUTE
    assert world.service.run_schedule(300, fired).slot == MINUTE + 15 * 60


# -- planning shards


def test_plan_shards_packs_monitors_in_order_by_their_worst_case_against_deadline_times_concurrency() -> None:
    # Given a budget of 2 checks at once for 30 s (60 check-seconds), and monitors of 30 s worst case each
    limits = RunLimits(concurrency=2, deadline_s=30.0, retry_delay_s=0.0)
    heavy = [monitor(f"heavy-{i}", timeout="10s", retries=2) for i in range(3)]  # 10 s x (2 + 1)
    light = [monitor(f"light-{i}", timeout="5s") for i in range(4)]  # 5 s x 1
    # When they are planned
    shards = plan_shards([*heavy, *light], limits, max_shard_size=100)
    # Then two heavy ones fill a shard; the third shares the next with the light ones (30 + 4 x 5 = 50 of 60)
    assert [[m.id for m in shard] for shard in shards] == [
        ["heavy-0", "heavy-1"],
        ["heavy-2", "light-0", "light-1", "light-2", "light-3"],
    ]


def test_plan_shards_starts_a_new_shard_when_the_next_check_would_overflow_the_budget() -> None:
    limits = RunLimits(concurrency=1, deadline_s=25.0, retry_delay_s=0.0)
    monitors = [monitor(f"m{i}", timeout="10s") for i in range(5)]  # 10 s each; 2 fit in 25 s
    shards = plan_shards(monitors, limits, max_shard_size=100)
    assert [len(shard) for shard in shards] == [2, 2, 1]


def test_plan_shards_caps_each_shard_at_the_maximum_size() -> None:
    limits = RunLimits(concurrency=100, deadline_s=50.0)
    monitors = [monitor(f"m{i}") for i in range(7)]
    assert [len(shard) for shard in plan_shards(monitors, limits, max_shard_size=3)] == [3, 3, 1]


def test_plan_shards_gives_a_check_heavier_than_a_whole_shard_a_shard_of_its_own() -> None:
    limits = RunLimits(concurrency=1, deadline_s=20.0, retry_delay_s=0.0)
    monitors = [monitor("big-a", interval="5m", timeout="50s"), monitor("big-b", interval="5m", timeout="50s")]
    assert [[m.id for m in shard] for shard in plan_shards(monitors, limits, max_shard_size=10)] == [
        ["big-a"],
        ["big-b"],
    ]


def test_plan_shards_of_nothing_is_no_shards() -> None:
    assert plan_shards([], RunLimits(), max_shard_size=10) == []


def test_the_worst_case_of_a_check_is_every_attempt_timing_out_plus_the_delays_between_them() -> None:
    definition = monitor("api", timeout="10s", retries=2).definition
    assert worst_case_seconds(definition, retry_delay_s=0.0) == 30.0
    assert worst_case_seconds(definition, retry_delay_s=0.5) == 31.0
    # And heartbeats cost nothing: they make no network call
    assert worst_case_seconds(monitor("beat", type="heartbeat").definition, retry_delay_s=0.5) == 0.0


def test_heartbeats_cost_nothing_when_shards_are_planned() -> None:
    limits = RunLimits(concurrency=1, deadline_s=10.0, retry_delay_s=0.0)
    monitors = [monitor("api", timeout="10s"), *(monitor(f"beat-{i}", type="heartbeat") for i in range(5))]
    assert [len(shard) for shard in plan_shards(monitors, limits, max_shard_size=100)] == [6]


# -- a slot is applied once


def test_running_a_slot_again_checks_nothing_and_changes_nothing() -> None:
    # Given a slot already run for two monitors
    world = World()
    monitors = world.add(monitor("api"), monitor("web"))
    world.checks.answer(url("web"), REFUSED)
    first = world.run_at(MINUTE, *monitors)
    states = {m.id: world.stored(m.id) for m in monitors}
    # When the same slot runs again (a redelivered shard, a retried invocation)
    again = world.run_at(MINUTE, *monitors)
    # Then nothing is checked: both are skipped, and the stored states and results are untouched
    assert (first.checked, first.skipped) == (2, 0)
    assert (again.checked, again.skipped, again.by_status, again.transitions) == (0, 2, {}, 0)
    assert world.checks.calls == [url("api"), url("web")]
    assert {m.id: world.stored(m.id) for m in monitors} == states
    assert [len(world.store.stored_results[MonitorKey("acme", m.id)]) for m in monitors] == [1, 1]


def test_an_older_slot_arriving_late_is_skipped_too() -> None:
    world = World()
    [api] = world.add(monitor("api"))
    world.run_at(MINUTE + 60, api)
    late = world.run_at(MINUTE, api)
    assert (late.checked, late.skipped) == (0, 1)
    assert world.stored("api").state.last_slot == MINUTE + 60


def test_only_the_monitors_not_yet_run_for_the_slot_are_checked() -> None:
    world = World()
    api, web = world.add(monitor("api"), monitor("web"))
    world.run_at(MINUTE, api)
    report = world.run_at(MINUTE, api, web)
    assert (report.checked, report.skipped) == (1, 1)
    assert world.checks.calls == [url("api"), url("web")]


# -- transitions and the outbox


def test_a_transition_is_published_with_what_it_is_about_and_removed_from_the_outbox() -> None:
    # Given an UP monitor that goes down on its first failure
    world = World()
    [api] = world.add(monitor("api", failure_threshold=1, tags={"team": "payments"}))
    world.run_at(MINUTE, api)
    # When the next check is refused
    world.checks.answer(url("api"), REFUSED)
    report = world.run_at(MINUTE + 60, api)
    # Then one UP -> DOWN transition was published, saying which monitor, where, when and why
    assert report.transitions == 1
    [event] = world.publisher.events
    assert (event.tenant_id, event.monitor_id, event.monitor_name, event.monitor_type) == ("acme", "api", "api", "http")
    assert (event.previous, event.current) == (MonitorStatus.UP, MonitorStatus.DOWN)
    assert (event.target, event.slot, event.reasons) == (url("api"), MINUTE + 60, ("connection refused",))
    assert event.at == world.clock.now
    assert event.tags == {"team": "payments"}
    # And it no longer waits in the outbox; the stored result carries it too
    assert world.stored("api").pending_transitions == ()
    assert world.store.stored_results[MonitorKey("acme", "api")][MINUTE + 60].transition == event


def test_a_publisher_failure_leaves_transitions_pending_and_the_next_run_sends_them_once() -> None:
    # Given an UP monitor going down on its first failure, and a publisher that fails once
    world = World(publisher=RecordingTransitionPublisher(fail_times=1))
    [api] = world.add(monitor("api", failure_threshold=1))
    world.run_at(MINUTE, api)
    world.checks.answer(url("api"), REFUSED)
    # When the run that makes the transition cannot hand it on
    with pytest.raises(RuntimeError, match="injected failure"):
        world.run_at(MINUTE + 60, api)
    # Then the new state is stored and the transition waits in the outbox, unsent
    assert world.status("api") is MonitorStatus.DOWN
    assert world.publisher.events == []
    [pending] = world.stored("api").pending_transitions
    # When the next run comes (the monitor is still down: no new transition)
    report = world.run_at(MINUTE + 120, api)
    # Then the waiting transition is sent, and the outbox is empty
    assert report.transitions == 0
    assert world.publisher.events == [pending]
    assert world.stored("api").pending_transitions == ()
    # And later runs do not send it again
    world.run_at(MINUTE + 180, api)
    assert world.publisher.events == [pending]


def test_retrying_the_failed_run_sends_its_pending_transition_without_checking_again() -> None:
    # Given a run that recorded a transition but failed to publish it
    world = World(publisher=RecordingTransitionPublisher(fail_times=1))
    [api] = world.add(monitor("api", failure_threshold=1))
    world.run_at(MINUTE, api)
    world.checks.answer(url("api"), REFUSED)
    with pytest.raises(RuntimeError):
        world.run_at(MINUTE + 60, api)
    # When the same slot is retried
    report = world.run_at(MINUTE + 60, api)
    # Then the slot is not checked again, but its transition is sent, once
    assert (report.checked, report.skipped) == (0, 1)
    assert world.checks.attempts(url("api")) == 2
    assert [(e.previous, e.current) for e in world.publisher.events] == [(MonitorStatus.UP, MonitorStatus.DOWN)]
    assert world.stored("api").pending_transitions == ()


def test_an_unreachable_canary_makes_the_run_inconclusive_without_touching_the_verdicts() -> None:
    # Given an UP monitor and a probe that has lost its network
    world = World(canary_url="https://canary.example.com/")
    [api] = world.add(monitor("api", failure_threshold=1))
    world.run_at(MINUTE, api)
    world.checks.answer("https://canary.example.com/", Observation(connected=False, error="network is unreachable"))
    world.checks.answer(url("api"), REFUSED)
    # When the next run fails everything
    report = world.run_at(MINUTE + 60, api)
    # Then it is reported inconclusive, and the monitor is still UP with no transition
    assert report.canary_error == "network is unreachable"
    assert report.by_status == {"inconclusive": 1}
    assert (world.status("api"), report.transitions, world.publisher.events) == (MonitorStatus.UP, 0, [])
    assert world.stored("api").state.last_slot == MINUTE + 60


# -- heartbeats


def test_a_heartbeat_is_up_until_interval_plus_grace_after_the_last_beat_and_down_after_with_the_reason() -> None:
    # Given a 5-minute heartbeat monitor with 60 s grace, last beaten at 09:00
    beat_monitor = monitor("nightly", type="heartbeat", interval="5m", grace="60s")
    last_beat = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
    stored = StoredMonitorState(last_beat_at=last_beat)
    # When judged exactly at the deadline (09:06) and one second after it
    at_deadline = heartbeat_outcome(beat_monitor, stored, last_beat + timedelta(minutes=6))
    late = heartbeat_outcome(beat_monitor, stored, last_beat + timedelta(minutes=6, seconds=1))
    # Then it is UP at the deadline, and DOWN after it, saying when the last beat was and what was expected
    assert at_deadline.status is CheckStatus.UP and at_deadline.reasons == ()
    assert late.status is CheckStatus.DOWN
    assert late.reasons == ("last heartbeat at 2026-11-22T09:00:00+00:00; expected every 300s with 60s grace",)


def test_a_heartbeat_monitor_never_beaten_counts_from_its_creation() -> None:
    beat_monitor = monitor("nightly", type="heartbeat", interval="5m", grace="60s")
    fresh = heartbeat_outcome(beat_monitor, StoredMonitorState(), CREATED + timedelta(minutes=6))
    overdue = heartbeat_outcome(beat_monitor, StoredMonitorState(), CREATED + timedelta(minutes=7))
    assert fresh.status is CheckStatus.UP
    assert overdue.status is CheckStatus.DOWN
    assert overdue.reasons == ("no heartbeat yet; expected every 300s with 60s grace",)


def test_heartbeats_are_judged_at_the_slot_time_and_a_missed_one_is_a_transition() -> None:
    # Given a 5-minute heartbeat monitor (60 s grace) beaten at 08:58
    world = World()
    [beat_monitor] = world.add(monitor("nightly", type="heartbeat", interval="5m", grace="60s"))
    world.store.record_beat(MonitorKey("acme", "nightly"), datetime(2026, 11, 22, 8, 58, tzinfo=UTC))
    # When the 09:00 schedule runs, though late (at 09:04:30), and then the 09:05 one
    world.clock.now = datetime(2026, 11, 22, 9, 4, 30, tzinfo=UTC)
    first = world.service.run_schedule(300, datetime(2026, 11, 22, 9, 0, 1, tzinfo=UTC))
    second = world.service.run_schedule(300, datetime(2026, 11, 22, 9, 5, 1, tzinfo=UTC))
    # Then no check was made over the network
    assert world.checks.calls == []
    # And the beat was in time for 09:00 (deadline 09:04), and missed for 09:05, which is a transition
    assert first.ran_inline is not None and first.ran_inline.by_status == {"up": 1}
    assert second.ran_inline is not None and second.ran_inline.by_status == {"down": 1}
    assert world.status("nightly") is MonitorStatus.DOWN
    [event] = world.publisher.events
    assert (event.monitor_id, event.monitor_type, event.target) == ("nightly", "heartbeat", None)
    assert (event.previous, event.current) == (MonitorStatus.UP, MonitorStatus.DOWN)
    assert event.reasons == ("last heartbeat at 2026-11-22T08:58:00+00:00; expected every 300s with 60s grace",)
    # And a beat brings it back at the next slot
    world.store.record_beat(MonitorKey("acme", "nightly"), datetime(2026, 11, 22, 9, 7, tzinfo=UTC))
    world.run_at(MINUTE + 600, beat_monitor)
    assert world.status("nightly") is MonitorStatus.UP
    assert [(e.previous, e.current) for e in world.publisher.events][-1] == (MonitorStatus.DOWN, MonitorStatus.UP)


def test_heartbeats_and_network_checks_run_in_one_shard() -> None:
    world = World()
    world.add(monitor("api"), monitor("nightly", type="heartbeat"))
    world.store.record_beat(MonitorKey("acme", "nightly"), datetime(2026, 11, 22, 8, 59, 30, tzinfo=UTC))
    report = world.service.run_schedule(60, FIRED)
    assert report.ran_inline is not None and report.ran_inline.checked == 2
    assert world.checks.calls == [url("api")]
    assert world.status("nightly") is MonitorStatus.UP


# -- maintenance


def test_a_monitor_in_a_maintenance_window_at_its_slot_is_in_maintenance_and_that_is_a_transition() -> None:
    # Given an UP monitor with a weekly Sunday window 09:30-10:30 UTC, failing once the window begins
    window = {"days": ["sun"], "start_time": "09:30", "duration": "1h", "reason": "database upgrade"}
    world = World()
    [api] = world.add(monitor("api", maintenance=[window], failure_threshold=1))
    world.run_at(MINUTE, api)
    world.checks.answer(url("api"), REFUSED)
    # When its 09:30 slot runs (though the run itself is late, after the window)
    half_past = MINUTE + 30 * 60
    world.clock.now = datetime(2026, 11, 22, 10, 45, tzinfo=UTC)
    report = world.service.run_monitors([api], half_past)
    # Then the failure does not count: it is MAINTENANCE, with an UP -> MAINTENANCE transition
    assert world.status("api") is MonitorStatus.MAINTENANCE
    assert report.transitions == 1
    [event] = world.publisher.events
    assert (event.previous, event.current) == (MonitorStatus.UP, MonitorStatus.MAINTENANCE)
    assert world.store.stored_results[MonitorKey("acme", "api")][half_past].in_maintenance
    # And after the window, the failure counts again, and leaving maintenance is a transition
    world.run_at(MINUTE + 90 * 60, api)
    assert world.status("api") is MonitorStatus.DOWN
    assert [(e.previous, e.current) for e in world.publisher.events][-1] == (
        MonitorStatus.MAINTENANCE,
        MonitorStatus.DOWN,
    )


def test_a_monitor_outside_its_maintenance_window_is_judged_as_usual() -> None:
    window = {"days": ["sat"], "start_time": "09:00", "duration": "1h"}
    world = World()
    [api] = world.add(monitor("api", maintenance=[window]))
    world.run_at(MINUTE, api)
    assert world.status("api") is MonitorStatus.UP
    assert not world.store.stored_results[MonitorKey("acme", "api")][MINUTE].in_maintenance


# -- deleted monitors and tenants


def test_a_monitor_deleted_between_the_schedule_and_its_shard_is_skipped() -> None:
    # Given a schedule that queued two shards
    world = World(max_shard_size=2)
    monitors = world.add(*(monitor(f"m{index}") for index in range(4)))
    world.service.run_schedule(60, FIRED)
    shard = world.queue.sent[0][0]
    # When one of the shard's monitors is deleted before a worker runs it
    world.repository.delete(monitors[0])
    report = world.service.run_shard(shard)
    # Then only the remaining monitor is checked, and nothing is stored for the deleted one
    assert (report.checked, report.skipped) == (1, 0)
    assert world.checks.calls == [url("m1")]
    assert MonitorKey("acme", "m0") not in world.store.states
    assert world.status("m1") is MonitorStatus.UP


def test_two_tenants_with_the_same_monitor_id_keep_their_own_state_and_transitions() -> None:
    # Given acme and globex each with a monitor "api", at different targets
    world = World()
    acme, globex = world.add(
        monitor("api", tenant="acme", failure_threshold=1), monitor("api", tenant="globex", failure_threshold=1)
    )
    report = world.run_at(MINUTE, acme, globex)
    assert report.checked == 2
    # When only acme's target fails
    world.checks.answer(url("api", "acme"), REFUSED)
    world.checks.answer(url("api", "globex"), HEALTHY)
    world.run_at(MINUTE + 60, acme, globex)
    # Then acme's api is DOWN with its own transition, globex's is still UP and untouched
    assert world.status("api", "acme") is MonitorStatus.DOWN
    assert world.status("api", "globex") is MonitorStatus.UP
    assert [(e.tenant_id, e.monitor_id, e.current) for e in world.publisher.events] == [
        ("acme", "api", MonitorStatus.DOWN)
    ]
    # And each tenant's results are its own
    assert world.store.stored_results[MonitorKey("acme", "api")][MINUTE + 60].check_status is CheckStatus.DOWN
    assert world.store.stored_results[MonitorKey("globex", "api")][MINUTE + 60].check_status is CheckStatus.UP


def test_a_shard_naming_the_same_monitor_of_two_tenants_runs_both() -> None:
    world = World()
    world.add(monitor("api", tenant="acme"), monitor("api", tenant="globex"))
    shard = ProbeShard(60, MINUTE, (MonitorKey("acme", "api"), MonitorKey("globex", "api")))
    report = world.service.run_shard(shard)
    assert report.checked == 2
    assert sorted(world.checks.calls) == sorted([url("api", "acme"), url("api", "globex")])


class RacingStore(InMemoryProbeStore):
    """A store where another run records the first result offered just before this one can."""

    def __init__(self) -> None:
        super().__init__()
        self.races = 0

    def record(self, result: ProbeResult, state: MonitorState, expected_version: int) -> bool:
        if self.races == 0:
            self.races += 1
            assert super().record(result, state, expected_version)  # the other run wins
            return False
        return super().record(result, state, expected_version)


def test_a_slot_another_run_applied_first_is_not_applied_again() -> None:
    # Given an UP monitor going down on its first failure, and another run racing this one for the same slot
    world = World()
    [api] = world.add(monitor("api", failure_threshold=1))
    world.run_at(MINUTE, api)
    racing = RacingStore()
    racing.states, racing.stored_results, racing.sla_windows = (
        world.store.states,
        world.store.stored_results,
        world.store.sla_windows,
    )
    world.store = racing
    world.checks.answer(url("api"), REFUSED)
    # When this run loses the race for its slot
    report = world.run_at(MINUTE + 60, api)
    # Then it does not apply the slot a second time: one result, one version step, one transition in the outbox
    assert world.status("api") is MonitorStatus.DOWN
    assert world.stored("api").state.version == 2
    assert report.transitions == 0
    [pending] = world.stored("api").pending_transitions
    assert (pending.previous, pending.current) == (MonitorStatus.UP, MonitorStatus.DOWN)
    # And the next run hands the winner's transition on, once
    world.run_at(MINUTE + 120, api)
    assert world.publisher.events == [pending]
