"""The probe runner: bounded concurrency, retries, a timeout per attempt, a run deadline and the canary.

Runs on an event loop whose clock is virtual: when nothing is ready, time jumps to the next timer, so
timeouts and deadlines of seconds take no real time and every duration below is exact.
"""

from __future__ import annotations

import asyncio
import selectors
from collections.abc import Coroutine, Iterator
from typing import Any, TypeVar

import pytest

from tests.unit.probes.fake_checks import HEALTHY, REFUSED, SERVER_ERROR, Hang, ScriptedChecks, Slow
from vigil_core.models.monitors import MONITOR_DEFINITION, MonitorDefinition
from vigil_core.probes.observations import CheckStatus, Observation
from vigil_core.probes.runner import ATTEMPT_GRACE_S, ProbeRunner, RunLimits, RunOutcome

T = TypeVar("T")
CANARY = "https://canary.vigil.example/ping"
DEADLINE_REASON = "the probe run reached its deadline"


class _InstantSelector(selectors.SelectSelector):
    """Never waits: a wait for `timeout` seconds moves the loop's virtual clock on by that much instead."""

    def __init__(self) -> None:
        super().__init__()
        self.loop: VirtualTimeLoop | None = None

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        assert self.loop is not None
        if timeout is None:
            raise RuntimeError("the loop would wait forever: nothing is ready and no timer is set")
        self.loop.now += timeout
        return []


class VirtualTimeLoop(asyncio.SelectorEventLoop):
    def __init__(self) -> None:
        self.now = 0.0
        selector = _InstantSelector()
        super().__init__(selector)
        selector.loop = self

    def time(self) -> float:
        return self.now


@pytest.fixture
def loop() -> Iterator[VirtualTimeLoop]:
    virtual = VirtualTimeLoop()
    yield virtual
    virtual.close()


def run(loop: VirtualTimeLoop, coroutine: Coroutine[Any, Any, T]) -> T:
    return loop.run_until_complete(coroutine)


def http(target: str, **fields: Any) -> MonitorDefinition:
    body: dict[str, Any] = {"type": "http", "name": target, "target": target, "interval": "5m", "timeout": "10s"}
    return MONITOR_DEFINITION.validate_python(body | fields)


def targets(count: int) -> list[str]:
    return [f"https://svc-{index}.example.com/" for index in range(count)]


def runner(checks: ScriptedChecks, canary_url: str | None = None, **limits: Any) -> ProbeRunner:
    return ProbeRunner(checks, RunLimits(**({"retry_delay_s": 0.25} | limits)), canary_url=canary_url)


# -- basics


def test_an_empty_run_checks_nothing_and_reports_nothing(loop: VirtualTimeLoop) -> None:
    # Given a runner with a canary
    checks = ScriptedChecks()
    # When it runs no definitions
    outcome = run(loop, runner(checks, canary_url=CANARY).run_async([]))
    # Then nothing was checked, not even the canary, and the outcome is empty
    assert outcome == RunOutcome((), None, 0.0)
    assert checks.calls == []


def test_the_blocking_entry_point_runs_the_checks_on_its_own_event_loop() -> None:
    checks = ScriptedChecks({"https://b.example.com/": REFUSED})
    outcome = runner(checks).run([http("https://a.example.com/"), http("https://b.example.com/")])
    assert [o.status for o in outcome.outcomes] == [CheckStatus.UP, CheckStatus.DOWN]
    assert outcome.canary_error is None


def test_outcomes_come_back_in_the_order_of_the_definitions_with_their_judgement(loop: VirtualTimeLoop) -> None:
    # Given checks that finish in the reverse order of the definitions, one of them failing
    first, second, third = targets(3)
    checks = ScriptedChecks({first: Slow(3.0), second: Slow(2.0, REFUSED), third: Slow(1.0, SERVER_ERROR)})
    # When they run
    outcome = run(loop, runner(checks).run_async([http(first), http(second), http(third)]))
    # Then each outcome is at its definition's place, judged, with the observation it was judged on
    assert [o.status for o in outcome.outcomes] == [CheckStatus.UP, CheckStatus.DOWN, CheckStatus.DOWN]
    assert outcome.outcomes[0].response_time_ms == HEALTHY.response_time_ms
    assert outcome.outcomes[0].observation == HEALTHY
    assert outcome.outcomes[1].reasons == ("connection refused",)
    assert outcome.outcomes[2].reasons == ("status 500 not in 2xx",)
    # And they ran side by side: the run took as long as the slowest
    assert loop.time() == pytest.approx(3.0)


# -- concurrency


def test_no_more_checks_run_at_once_than_the_concurrency_allows(loop: VirtualTimeLoop) -> None:
    # Given ten checks of one second each and a concurrency of three
    names = targets(10)
    checks = ScriptedChecks({name: Slow(1.0) for name in names})
    # When they run
    outcome = run(loop, runner(checks, concurrency=3).run_async([http(name) for name in names]))
    # Then at most three were ever in flight, and the bound was used: four rounds of one second
    assert checks.max_in_flight == 3
    assert loop.time() == pytest.approx(4.0)
    assert [o.status for o in outcome.outcomes] == [CheckStatus.UP] * 10


def test_a_retrying_check_keeps_its_place_in_the_concurrency_bound(loop: VirtualTimeLoop) -> None:
    # Given a concurrency of one, a check that fails once before succeeding (one retry) and another check
    flaky, other = targets(2)
    checks = ScriptedChecks({flaky: [Slow(1.0, REFUSED), Slow(1.0)], other: Slow(1.0)})
    # When they run
    run(loop, runner(checks, concurrency=1, retry_delay_s=0.5).run_async([http(flaky, retries=1), http(other)]))
    # Then they never overlapped: 1 s + 0.5 s delay + 1 s for the first, then 1 s for the second
    assert checks.max_in_flight == 1
    assert loop.time() == pytest.approx(3.5)


# -- retries


def test_a_check_failing_once_then_succeeding_with_one_retry_is_up_after_two_attempts(loop: VirtualTimeLoop) -> None:
    # Given a check with retries=1 that is refused once, then answers
    [target] = targets(1)
    checks = ScriptedChecks({target: [REFUSED, HEALTHY]})
    # When it runs, with retries 0.25 s apart
    outcome = run(loop, runner(checks, retry_delay_s=0.25).run_async([http(target, retries=1)]))
    # Then it is UP, after two attempts and one retry delay
    [result] = outcome.outcomes
    assert (result.status, result.attempts, result.reasons) == (CheckStatus.UP, 2, ())
    assert checks.attempts(target) == 2
    assert loop.time() == pytest.approx(0.25)


def test_a_check_failing_every_attempt_is_down_with_the_last_attempts_reasons(loop: VirtualTimeLoop) -> None:
    # Given a check with retries=2 that fails every time, with a different error at the end
    [target] = targets(1)
    timed_out = Observation(connected=False, error="read timed out")
    checks = ScriptedChecks({target: [REFUSED, REFUSED, timed_out]})
    # When it runs
    outcome = run(loop, runner(checks, retry_delay_s=0.25).run_async([http(target, retries=2)]))
    # Then it is DOWN after three attempts, giving the last attempt's reason
    [result] = outcome.outcomes
    assert (result.status, result.attempts, result.reasons) == (CheckStatus.DOWN, 3, ("read timed out",))
    assert loop.time() == pytest.approx(0.5)


def test_a_failing_check_without_retries_is_attempted_once(loop: VirtualTimeLoop) -> None:
    [target] = targets(1)
    checks = ScriptedChecks({target: [REFUSED, HEALTHY]})
    [result] = run(loop, runner(checks).run_async([http(target)])).outcomes
    assert (result.status, result.attempts) == (CheckStatus.DOWN, 1)
    assert checks.attempts(target) == 1


def test_a_degraded_check_is_not_retried(loop: VirtualTimeLoop) -> None:
    # Given a slow-but-working answer (DEGRADED) and retries allowed
    [target] = targets(1)
    slow = Observation(connected=True, status=200, response_time_ms=900.0)
    checks = ScriptedChecks({target: [slow, HEALTHY]})
    # When it runs
    [result] = run(loop, runner(checks).run_async([http(target, retries=2, degraded_ms=500)])).outcomes
    # Then the first attempt stands: only failures are retried
    assert (result.status, result.attempts) == (CheckStatus.DEGRADED, 1)


# -- per-attempt timeout


def test_a_hanging_attempt_is_cut_off_after_its_timeout_plus_the_grace_and_is_down_timed_out(
    loop: VirtualTimeLoop,
) -> None:
    # Given a check with a 2 s timeout that never answers
    [target] = targets(1)
    checks = ScriptedChecks({target: Hang()})
    # When it runs
    [result] = run(loop, runner(checks).run_async([http(target, timeout="2s")])).outcomes
    # Then the runner gave up after timeout + grace, and the check is DOWN because it timed out
    assert loop.time() == pytest.approx(2.0 + ATTEMPT_GRACE_S)
    assert (result.status, result.attempts) == (CheckStatus.DOWN, 1)
    assert result.reasons == ("timed out after 2s",)


def test_a_check_answering_within_the_grace_after_its_timeout_reports_what_it_saw(loop: VirtualTimeLoop) -> None:
    # Given a check that reports its own timeout a little after the 2 s (as real checks do)
    [target] = targets(1)
    own_report = Observation(connected=True, error="no response within 2s", response_time_ms=2000.0)
    checks = ScriptedChecks({target: Slow(2.0 + ATTEMPT_GRACE_S / 2, own_report)})
    # When it runs
    [result] = run(loop, runner(checks).run_async([http(target, timeout="2s")])).outcomes
    # Then its own report wins over the runner's cancellation
    assert result.reasons == ("no response within 2s",)
    assert result.response_time_ms == 2000.0


def test_each_retry_of_a_hanging_check_gets_its_own_timeout(loop: VirtualTimeLoop) -> None:
    # Given a check with one retry that hangs the first time and answers the second
    [target] = targets(1)
    checks = ScriptedChecks({target: [Hang(), HEALTHY]})
    # When it runs
    [result] = run(loop, runner(checks, retry_delay_s=0.25).run_async([http(target, timeout="2s", retries=1)])).outcomes
    # Then the first attempt timed out, the retry succeeded
    assert (result.status, result.attempts) == (CheckStatus.UP, 2)
    assert loop.time() == pytest.approx(2.0 + ATTEMPT_GRACE_S + 0.25)


# -- run deadline


def test_checks_still_running_at_the_deadline_are_inconclusive_and_the_others_keep_their_verdict(
    loop: VirtualTimeLoop,
) -> None:
    # Given a 5 s run deadline, a quick check, a failing one and one that would take 60 s (within its timeout)
    quick, failing, stuck = targets(3)
    checks = ScriptedChecks({quick: Slow(1.0), failing: REFUSED, stuck: Hang()})
    definitions = [http(quick), http(failing), http(stuck, timeout="60s")]
    # When they run
    outcome = run(loop, runner(checks, deadline_s=5.0).run_async(definitions))
    # Then the run ended at its deadline, the unfinished check is inconclusive (no attempt completed)
    assert loop.time() == pytest.approx(5.0)
    assert [o.status for o in outcome.outcomes] == [CheckStatus.UP, CheckStatus.DOWN, CheckStatus.INCONCLUSIVE]
    assert outcome.outcomes[2].reasons == (DEADLINE_REASON,)
    assert outcome.outcomes[2].attempts == 0
    assert outcome.canary_error is None


def test_checks_still_waiting_for_a_slot_at_the_deadline_are_inconclusive(loop: VirtualTimeLoop) -> None:
    # Given a concurrency of two, a 3 s deadline and five checks of 2 s each
    names = targets(5)
    checks = ScriptedChecks({name: Slow(2.0) for name in names})
    # When they run
    outcome = run(loop, runner(checks, concurrency=2, deadline_s=3.0).run_async([http(name) for name in names]))
    # Then two finished, two were cut off while running, and one never started: only it was not attempted
    assert [o.status for o in outcome.outcomes] == [CheckStatus.UP] * 2 + [CheckStatus.INCONCLUSIVE] * 3
    assert checks.calls == names[:4]
    assert all(o.reasons == (DEADLINE_REASON,) for o in outcome.outcomes[2:])


def test_a_check_retrying_at_the_deadline_is_inconclusive(loop: VirtualTimeLoop) -> None:
    # Given a check that fails, with a retry due after the deadline
    [target] = targets(1)
    checks = ScriptedChecks({target: REFUSED})
    # When it runs with a 1 s deadline and 2 s between retries
    outcome = run(loop, runner(checks, deadline_s=1.0, retry_delay_s=2.0).run_async([http(target, retries=2)]))
    # Then the failure so far says nothing final: it is inconclusive
    [result] = outcome.outcomes
    assert result.status is CheckStatus.INCONCLUSIVE
    assert loop.time() == pytest.approx(1.0)


# -- the canary


def test_an_unreachable_canary_makes_every_outcome_inconclusive_with_its_reason(loop: VirtualTimeLoop) -> None:
    # Given a canary the probe cannot reach, and checks that failed (as they would without network) or not
    failing, healthy = targets(2)
    unreachable = Observation(connected=False, error="network is unreachable")
    checks = ScriptedChecks({CANARY: unreachable, failing: REFUSED})
    # When the run is made
    outcome = run(loop, runner(checks, canary_url=CANARY).run_async([http(failing, retries=1), http(healthy)]))
    # Then every outcome is inconclusive, giving the canary's error, and the run says why
    reason = "probe connectivity canary unreachable: network is unreachable"
    assert outcome.canary_error == "network is unreachable"
    assert [o.status for o in outcome.outcomes] == [CheckStatus.INCONCLUSIVE] * 2
    assert [o.reasons for o in outcome.outcomes] == [(reason,), (reason,)]
    # And what was measured is kept: the attempts made and the response times
    assert [o.attempts for o in outcome.outcomes] == [2, 1]
    assert outcome.outcomes[1].response_time_ms == HEALTHY.response_time_ms
    # And the canary was asked once, as an HTTP check of its URL
    assert checks.attempts(CANARY) == 1


def test_a_canary_answering_with_an_error_status_still_proves_the_network_is_reachable(
    loop: VirtualTimeLoop,
) -> None:
    # Given a canary that answers HTTP 500
    failing, healthy = targets(2)
    checks = ScriptedChecks({CANARY: SERVER_ERROR, failing: REFUSED})
    # When the run is made
    outcome = run(loop, runner(checks, canary_url=CANARY).run_async([http(failing), http(healthy)]))
    # Then the network counts as reachable and the outcomes stand
    assert outcome.canary_error is None
    assert [o.status for o in outcome.outcomes] == [CheckStatus.DOWN, CheckStatus.UP]
    assert outcome.outcomes[0].reasons == ("connection refused",)


def test_a_canary_that_connected_but_got_no_http_answer_is_unreachable(loop: VirtualTimeLoop) -> None:
    [target] = targets(1)
    checks = ScriptedChecks({CANARY: Observation(connected=True)})
    outcome = run(loop, runner(checks, canary_url=CANARY).run_async([http(target)]))
    assert outcome.canary_error == "no answer"
    assert outcome.outcomes[0].status is CheckStatus.INCONCLUSIVE


def test_a_canary_that_never_answers_times_out_and_makes_the_run_inconclusive(loop: VirtualTimeLoop) -> None:
    # Given a canary that hangs (its own timeout is 5 s)
    [target] = targets(1)
    checks = ScriptedChecks({CANARY: Hang()})
    # When the run is made
    outcome = run(loop, runner(checks, canary_url=CANARY).run_async([http(target)]))
    # Then the canary timed out, and the healthy check is inconclusive too
    assert outcome.canary_error == "timed out after 5s"
    assert outcome.outcomes[0].status is CheckStatus.INCONCLUSIVE
    assert loop.time() == pytest.approx(5.0 + ATTEMPT_GRACE_S)


def test_the_canary_runs_alongside_the_checks_not_before_them(loop: VirtualTimeLoop) -> None:
    # Given a slow canary and a slow check
    [target] = targets(1)
    checks = ScriptedChecks({CANARY: Slow(2.0, SERVER_ERROR), target: Slow(2.0)})
    # When the run is made
    outcome = run(loop, runner(checks, canary_url=CANARY).run_async([http(target)]))
    # Then both ran at once
    assert checks.max_in_flight == 2
    assert loop.time() == pytest.approx(2.0)
    assert outcome.outcomes[0].status is CheckStatus.UP
