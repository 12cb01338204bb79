"""From check outcomes to monitor states: thresholds, recovery, degradation, maintenance and what is news."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from vigil_core.probes.observations import CheckStatus
from vigil_core.probes.verdicts import MonitorState, MonitorStatus, Thresholds, Transition, advance

UP, DEGRADED, DOWN, INCONCLUSIVE = CheckStatus.UP, CheckStatus.DEGRADED, CheckStatus.DOWN, CheckStatus.INCONCLUSIVE
S_UP, S_DEGRADED, S_PENDING, S_DOWN, S_MAINTENANCE = (
    MonitorStatus.UP,
    MonitorStatus.DEGRADED,
    MonitorStatus.PENDING,
    MonitorStatus.DOWN,
    MonitorStatus.MAINTENANCE,
)
T0 = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
SLOT0 = int(T0.timestamp())
MAINTENANCE = "maintenance"  # marks an outcome seen while a maintenance window is active


@dataclass(frozen=True)
class Step:
    state: MonitorState
    transition: Transition | None


class Timeline:
    """Feeds outcomes to advance() one minute apart, as successive slots, and keeps every step."""

    def __init__(self, failure: int = 3, success: int = 2, state: MonitorState | None = None) -> None:
        self.thresholds = Thresholds(failure=failure, success=success)
        self.state = state or MonitorState()
        self.steps: list[Step] = []

    def at(self, index: int) -> datetime:
        return T0 + timedelta(minutes=index)

    def feed(self, *outcomes: CheckStatus | tuple[CheckStatus, str]) -> list[Step]:
        new: list[Step] = []
        for item in outcomes:
            outcome, in_maintenance = (item[0], True) if isinstance(item, tuple) else (item, False)
            index = len(self.steps)
            self.state, transition = advance(
                self.state,
                outcome,
                thresholds=self.thresholds,
                in_maintenance=in_maintenance,
                at=self.at(index),
                slot=SLOT0 + 60 * index,
            )
            step = Step(self.state, transition)
            self.steps.append(step)
            new.append(step)
        return new

    @property
    def statuses(self) -> list[MonitorStatus | None]:
        return [step.state.status for step in self.steps]


def in_maintenance(outcome: CheckStatus) -> tuple[CheckStatus, str]:
    return outcome, MAINTENANCE


def up_monitor(failure: int = 3, success: int = 2) -> Timeline:
    """A monitor already judged healthy once (which itself is not news)."""
    timeline = Timeline(failure, success)
    timeline.feed(UP)
    return timeline


def down_monitor(failure: int = 3, success: int = 2) -> Timeline:
    timeline = up_monitor(failure, success)
    timeline.feed(*[DOWN] * failure)
    assert timeline.state.status is S_DOWN
    return timeline


def events_of(steps: Sequence[Step]) -> list[tuple[MonitorStatus | None, MonitorStatus]]:
    return [(s.transition.previous, s.transition.current) for s in steps if s.transition is not None]


# -- failing and recovering


def test_a_healthy_monitor_failing_three_times_goes_pending_pending_down_and_only_going_down_is_an_event() -> None:
    # Given an UP monitor with failure_threshold 3
    timeline = up_monitor(failure=3)
    # When three checks in a row fail
    steps = timeline.feed(DOWN, DOWN, DOWN)
    # Then it is PENDING, PENDING, then DOWN, and the only event is PENDING -> DOWN, on the third failure
    assert [s.state.status for s in steps] == [S_PENDING, S_PENDING, S_DOWN]
    assert [s.state.consecutive_failures for s in steps] == [1, 2, 3]
    assert [s.transition is not None for s in steps] == [False, False, True]
    assert events_of(steps) == [(S_PENDING, S_DOWN)]
    assert steps[2].transition is not None and steps[2].transition.at == timeline.at(3)


def test_a_down_monitor_stays_down_after_one_success_when_two_are_needed_and_comes_back_up_after_the_second() -> None:
    # Given a DOWN monitor with success_threshold 2
    timeline = down_monitor(success=2)
    # When one check succeeds, then a second
    first, second = timeline.feed(UP, UP)
    # Then it stays DOWN (no event) after the first, and the second makes it UP with a DOWN -> UP event
    assert first.state.status is S_DOWN and first.transition is None
    assert first.state.consecutive_successes == 1
    assert second.state.status is S_UP
    assert events_of([first, second]) == [(S_DOWN, S_UP)]


def test_a_failure_between_recovery_successes_makes_a_down_monitor_count_its_successes_again() -> None:
    # Given a DOWN monitor with success_threshold 2
    timeline = down_monitor(success=2)
    # When it succeeds, fails, succeeds
    steps = timeline.feed(UP, DOWN, UP)
    # Then it never left DOWN: the successes were not consecutive
    assert [s.state.status for s in steps] == [S_DOWN, S_DOWN, S_DOWN]
    assert events_of(steps) == []
    # And one more success brings it back
    assert events_of(timeline.feed(UP)) == [(S_DOWN, S_UP)]


def test_a_down_monitor_failing_again_stays_down_without_new_events() -> None:
    timeline = down_monitor()
    steps = timeline.feed(DOWN, DOWN)
    assert [s.state.status for s in steps] == [S_DOWN, S_DOWN]
    assert events_of(steps) == []


def test_a_pending_monitor_that_recovers_is_up_again_and_that_is_not_an_event() -> None:
    # Given an UP monitor that failed once (PENDING)
    timeline = up_monitor(failure=3)
    [pending] = timeline.feed(DOWN)
    # When the next check succeeds
    [recovered] = timeline.feed(UP)
    # Then it is UP again, its failures forgotten, and nobody is told: PENDING was only a doubt
    assert pending.state.status is S_PENDING
    assert recovered.state.status is S_UP
    assert recovered.state.consecutive_failures == 0
    assert recovered.transition is None
    # And a later failure run starts counting from one again
    assert [s.state.status for s in timeline.feed(DOWN, DOWN)] == [S_PENDING, S_PENDING]


def test_a_new_monitor_whose_first_result_is_healthy_makes_no_event() -> None:
    # Given monitors never judged
    # When the first result is UP for one and DEGRADED for the other
    [up] = Timeline().feed(UP)
    [degraded] = Timeline().feed(DEGRADED)
    # Then each takes that status, and neither is news
    assert up.state.status is S_UP and up.transition is None
    assert degraded.state.status is S_DEGRADED and degraded.transition is None


def test_a_new_monitor_failing_from_the_start_is_pending_then_emits_pending_to_down_at_the_threshold() -> None:
    # Given a monitor never judged, with failure_threshold 3
    timeline = Timeline(failure=3)
    # When its first three checks fail
    steps = timeline.feed(DOWN, DOWN, DOWN)
    # Then it is PENDING twice (no settled status yet, no event), then DOWN with a PENDING -> DOWN event
    assert [s.state.status for s in steps] == [S_PENDING, S_PENDING, S_DOWN]
    assert [s.state.settled for s in steps] == [None, None, S_DOWN]
    assert events_of(steps) == [(S_PENDING, S_DOWN)]


def test_a_new_monitor_that_fails_then_recovers_before_the_threshold_makes_no_event() -> None:
    timeline = Timeline(failure=3)
    steps = timeline.feed(DOWN, UP)
    assert [s.state.status for s in steps] == [S_PENDING, S_UP]
    assert events_of(steps) == []


def test_up_to_degraded_and_back_are_both_events() -> None:
    # Given an UP monitor
    timeline = up_monitor()
    # When a check is slow (DEGRADED), another too, then one is fast again
    steps = timeline.feed(DEGRADED, DEGRADED, UP)
    # Then UP -> DEGRADED and DEGRADED -> UP are events, staying DEGRADED is not
    assert [s.state.status for s in steps] == [S_DEGRADED, S_DEGRADED, S_UP]
    assert events_of(steps) == [(S_UP, S_DEGRADED), (S_DEGRADED, S_UP)]


def test_a_degraded_monitor_that_fails_goes_pending_then_down_from_degraded() -> None:
    timeline = up_monitor(failure=2)
    timeline.feed(DEGRADED)
    steps = timeline.feed(DOWN, DOWN)
    assert [s.state.status for s in steps] == [S_PENDING, S_DOWN]
    assert events_of(steps) == [(S_PENDING, S_DOWN)]


def test_with_failure_threshold_one_a_single_failure_takes_an_up_monitor_straight_to_down() -> None:
    # Given an UP monitor with failure_threshold 1
    timeline = up_monitor(failure=1)
    # When one check fails
    [step] = timeline.feed(DOWN)
    # Then it is DOWN at once, with an UP -> DOWN event (no PENDING in between)
    assert step.state.status is S_DOWN
    assert events_of([step]) == [(S_UP, S_DOWN)]


def test_with_success_threshold_one_a_single_success_brings_a_down_monitor_back() -> None:
    timeline = down_monitor(success=1)
    assert events_of(timeline.feed(UP)) == [(S_DOWN, S_UP)]


def test_a_down_monitor_recovering_with_slow_checks_comes_back_degraded() -> None:
    timeline = down_monitor(success=2)
    steps = timeline.feed(DEGRADED, DEGRADED)
    assert [s.state.status for s in steps] == [S_DOWN, S_DEGRADED]
    assert events_of(steps) == [(S_DOWN, S_DEGRADED)]


# -- maintenance


def test_entering_maintenance_is_an_event_and_staying_in_it_is_not() -> None:
    # Given an UP monitor
    timeline = up_monitor()
    # When its checks run inside a maintenance window, failing or not
    steps = timeline.feed(in_maintenance(UP), in_maintenance(DOWN), in_maintenance(DOWN))
    # Then it is MAINTENANCE throughout, failures are not counted, and only entering is an event
    assert [s.state.status for s in steps] == [S_MAINTENANCE] * 3
    assert [s.state.consecutive_failures for s in steps] == [0, 0, 0]
    assert events_of(steps) == [(S_UP, S_MAINTENANCE)]


def test_leaving_maintenance_healthy_is_a_maintenance_to_up_event() -> None:
    # Given a monitor in maintenance
    timeline = up_monitor()
    timeline.feed(in_maintenance(UP))
    # When the window is over and the check succeeds
    [step] = timeline.feed(UP)
    # Then it is UP, and that is news: MAINTENANCE -> UP
    assert step.state.status is S_UP
    assert events_of([step]) == [(S_MAINTENANCE, S_UP)]


def test_leaving_maintenance_failing_is_a_maintenance_to_pending_event() -> None:
    # Given a monitor in maintenance
    timeline = up_monitor(failure=3)
    timeline.feed(in_maintenance(UP))
    # When the window is over and the check fails
    [step] = timeline.feed(DOWN)
    # Then it is PENDING (one failure of three), and that is an event: MAINTENANCE -> PENDING
    assert step.state.status is S_PENDING
    assert step.state.consecutive_failures == 1
    assert events_of([step]) == [(S_MAINTENANCE, S_PENDING)]


def test_after_maintenance_a_failure_run_starts_afresh_and_going_down_is_still_an_event() -> None:
    # Given a monitor that had failed twice (threshold 3) before a maintenance window
    timeline = up_monitor(failure=3)
    timeline.feed(DOWN, DOWN)
    assert timeline.state.status is S_PENDING
    timeline.feed(in_maintenance(DOWN))
    # When the window is over and three checks fail
    steps = timeline.feed(DOWN, DOWN, DOWN)
    # Then the failures before the window do not count: PENDING, PENDING, DOWN
    assert [s.state.status for s in steps] == [S_PENDING, S_PENDING, S_DOWN]
    assert [s.state.consecutive_failures for s in steps] == [1, 2, 3]
    # And leaving maintenance, then going down, are the events
    assert events_of(steps) == [(S_MAINTENANCE, S_PENDING), (S_PENDING, S_DOWN)]


def test_a_doubt_right_after_maintenance_that_clears_reports_the_recovery() -> None:
    # Given a monitor that left maintenance on a failed check (MAINTENANCE -> PENDING was reported)
    timeline = up_monitor(failure=3)
    timeline.feed(in_maintenance(UP), DOWN)
    # When the next check succeeds
    [step] = timeline.feed(UP)
    # Then the recovery is reported too, so whoever saw PENDING last learns it is UP
    assert events_of([step]) == [(S_PENDING, S_UP)]


def test_a_monitor_down_before_maintenance_needs_no_recovery_run_after_it() -> None:
    # Given a DOWN monitor (success_threshold 2) that then went into maintenance
    timeline = down_monitor(success=2)
    timeline.feed(in_maintenance(DOWN))
    # When the window is over and one check succeeds
    [step] = timeline.feed(UP)
    # Then it is UP at once: what happened before the window says nothing about now
    assert step.state.status is S_UP
    assert events_of([step]) == [(S_MAINTENANCE, S_UP)]


def test_a_new_monitor_starting_in_maintenance_reports_it() -> None:
    [step] = Timeline().feed(in_maintenance(UP))
    assert step.state.status is S_MAINTENANCE
    assert events_of([step]) == [(None, S_MAINTENANCE)]


# -- inconclusive, versions and since


def test_an_inconclusive_outcome_changes_nothing_but_the_slot_seen_and_the_version() -> None:
    # Given a PENDING monitor (one failure of three)
    timeline = up_monitor(failure=3)
    timeline.feed(DOWN)
    before = timeline.state
    # When a run is inconclusive (the probe had no network)
    [step] = timeline.feed(INCONCLUSIVE)
    # Then status, counters and since are as they were, the slot is noted as seen, and no event is made
    after = step.state
    assert step.transition is None
    assert after.last_slot == SLOT0 + 60 * 2
    assert after.version == before.version + 1
    assert replace(after, last_slot=before.last_slot, version=before.version, last_checked_at=None) == replace(
        before, last_checked_at=None
    )
    # And the failure run continues where it was: two more failures make it DOWN
    assert [s.state.status for s in timeline.feed(DOWN, DOWN)] == [S_PENDING, S_DOWN]


def test_inconclusive_outcomes_of_a_new_monitor_leave_it_unjudged() -> None:
    timeline = Timeline()
    [step] = timeline.feed(INCONCLUSIVE)
    assert step.state.status is None
    assert step.state.since is None
    assert step.transition is None
    assert step.state.last_slot == SLOT0


def test_inconclusive_outcomes_during_maintenance_keep_it_in_maintenance() -> None:
    timeline = up_monitor()
    timeline.feed(in_maintenance(UP))
    [step] = timeline.feed(INCONCLUSIVE)
    assert step.state.status is S_MAINTENANCE
    assert step.transition is None


def test_every_outcome_increments_the_version_and_notes_its_slot() -> None:
    timeline = Timeline()
    timeline.feed(UP, DOWN, INCONCLUSIVE, in_maintenance(UP), UP, DEGRADED)
    assert [s.state.version for s in timeline.steps] == [1, 2, 3, 4, 5, 6]
    assert [s.state.last_slot for s in timeline.steps] == [SLOT0 + 60 * i for i in range(6)]


def test_since_changes_only_when_the_status_changes() -> None:
    # Given a new monitor
    timeline = Timeline(failure=2, success=2)
    # When it is UP twice, PENDING, DOWN twice, recovers over two successes, then goes into maintenance twice
    timeline.feed(UP, UP, DOWN, DOWN, DOWN, UP, UP, in_maintenance(UP), in_maintenance(UP))
    # Then since is the time of each step where the status changed, and is kept otherwise
    assert timeline.statuses == [S_UP, S_UP, S_PENDING, S_DOWN, S_DOWN, S_DOWN, S_UP, S_MAINTENANCE, S_MAINTENANCE]
    changed_at = [0, 0, 2, 3, 3, 3, 6, 7, 7]
    assert [s.state.since for s in timeline.steps] == [timeline.at(i) for i in changed_at]
    assert [s.state.last_checked_at for s in timeline.steps] == [timeline.at(i) for i in range(9)]
