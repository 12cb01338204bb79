"""From check outcomes to monitor states, as Uptime Kuma and Gatus do it.

One failed check makes a healthy monitor PENDING; `failure_threshold` consecutive failures make it DOWN;
a DOWN monitor needs `success_threshold` consecutive successes to come back. Slow successes are DEGRADED.
Only changes of the settled state (PENDING is a doubt, not a state change) are transitions, and a
monitor's first verdict being healthy is not news.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from vigil_core.probes.observations import CheckStatus


class MonitorStatus(StrEnum):
    UP = "UP"
    DEGRADED = "DEGRADED"
    PENDING = "PENDING"  # failing, below the failure threshold
    DOWN = "DOWN"
    MAINTENANCE = "MAINTENANCE"


_HEALTHY = {CheckStatus.UP: MonitorStatus.UP, CheckStatus.DEGRADED: MonitorStatus.DEGRADED}


@dataclass(frozen=True, slots=True)
class MonitorState:
    status: MonitorStatus | None = None  # None: never judged
    settled: MonitorStatus | None = None  # the last status that was not PENDING
    consecutive_failures: int = 0
    consecutive_successes: int = 0
    since: datetime | None = None  # when `status` began
    last_checked_at: datetime | None = None
    last_slot: int = -1  # epoch seconds of the last slot applied; a slot is applied once
    version: int = 0


@dataclass(frozen=True, slots=True)
class Transition:
    previous: MonitorStatus | None
    current: MonitorStatus
    at: datetime


@dataclass(frozen=True, slots=True)
class Thresholds:
    failure: int
    success: int


def advance(
    state: MonitorState,
    outcome: CheckStatus,
    *,
    thresholds: Thresholds,
    in_maintenance: bool,
    at: datetime,
    slot: int,
) -> tuple[MonitorState, Transition | None]:
    """The state after one outcome, and the transition it makes, if any.

    Inconclusive outcomes say nothing about the target: the state only notes the slot as seen.
    """
    if outcome is CheckStatus.INCONCLUSIVE:
        return replace(state, last_slot=slot, last_checked_at=at, version=state.version + 1), None
    if in_maintenance:
        status, failures, successes = MonitorStatus.MAINTENANCE, 0, 0
    else:
        status, failures, successes = _judge(state, outcome, thresholds)
    # A doubt keeps the settled status (MAINTENANCE right after a window, so the verdict that follows is news).
    settled = state.settled if status is MonitorStatus.PENDING else status
    new_state = MonitorState(
        status=status,
        settled=settled,
        consecutive_failures=failures,
        consecutive_successes=successes,
        since=state.since if status is state.status else at,
        last_checked_at=at,
        last_slot=slot,
        version=state.version + 1,
    )
    return new_state, _transition(state, new_state, at)


def _judge(state: MonitorState, outcome: CheckStatus, thresholds: Thresholds) -> tuple[MonitorStatus, int, int]:
    # Leaving maintenance starts afresh: what happened before the window says nothing about now.
    previous = None if state.status is MonitorStatus.MAINTENANCE else state.status
    earlier_failures = 0 if previous is None else state.consecutive_failures
    earlier_successes = 0 if previous is None else state.consecutive_successes
    if outcome is CheckStatus.DOWN:
        failures = earlier_failures + 1
        if previous is MonitorStatus.DOWN or failures >= thresholds.failure:
            return MonitorStatus.DOWN, failures, 0
        return MonitorStatus.PENDING, failures, 0
    successes = earlier_successes + 1
    if previous is MonitorStatus.DOWN and successes < thresholds.success:
        return MonitorStatus.DOWN, 0, successes
    return _HEALTHY[outcome], 0, successes


def _transition(before: MonitorState, after: MonitorState, at: datetime) -> Transition | None:
    assert after.status is not None
    if before.status is MonitorStatus.MAINTENANCE and after.status is not MonitorStatus.MAINTENANCE:
        return Transition(previous=before.status, current=after.status, at=at)
    if after.settled == before.settled or after.settled is None:
        return None
    if before.settled is None and after.settled in (MonitorStatus.UP, MonitorStatus.DEGRADED):
        return None  # a new monitor found healthy
    return Transition(previous=before.status, current=after.status, at=at)
