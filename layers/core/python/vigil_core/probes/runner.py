"""Runs a batch of checks concurrently: bounded concurrency, a timeout per attempt, retries, a run
deadline, and a connectivity canary that makes a run without network inconclusive instead of alarming."""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from vigil_core.models.monitors import HttpMonitor, MonitorDefinition
from vigil_core.probes.judging import judge
from vigil_core.probes.observations import CheckOutcome, CheckStatus, Observation

# The checks enforce the timeout themselves and report what they saw until then; this grace lets their
# report win over the runner's blunt cancellation.
ATTEMPT_GRACE_S = 0.5
RUN_GC_THRESHOLD = 10_000


class CheckExecutor(Protocol):
    async def observe(self, definition: MonitorDefinition) -> Observation:
        """One attempt of the check; failures are reported in the Observation, never raised."""
        ...


@dataclass(frozen=True, slots=True)
class RunLimits:
    concurrency: int = 256
    deadline_s: float = 50.0  # checks still running then are cancelled and inconclusive
    retry_delay_s: float = 0.5


@dataclass(frozen=True, slots=True)
class RunOutcome:
    outcomes: tuple[CheckOutcome, ...]  # in the order of the definitions
    canary_error: str | None  # set when the canary was unreachable: every outcome is then inconclusive
    duration_s: float


class ProbeRunner:
    def __init__(self, checks: CheckExecutor, limits: RunLimits, canary_url: str | None = None) -> None:
        self._checks = checks
        self._limits = limits
        self._canary = (
            HttpMonitor(name="connectivity canary", target=canary_url, interval=60, timeout=5) if canary_url else None
        )

    def run(self, definitions: Sequence[MonitorDefinition]) -> RunOutcome:
        # A run allocates many short-lived objects (tasks, buffers, responses) that reference counting frees;
        # the default young-generation threshold (700) makes the cycle collector scan them over and over,
        # about a tenth of a run's CPU (docs/benchmarks.md). Collect less often during the run, not never.
        thresholds = gc.get_threshold()
        gc.set_threshold(RUN_GC_THRESHOLD, *thresholds[1:])
        try:
            return asyncio.run(self.run_async(definitions))
        finally:
            gc.set_threshold(*thresholds)

    async def run_async(self, definitions: Sequence[MonitorDefinition]) -> RunOutcome:
        started = time.perf_counter()
        if not definitions:
            return RunOutcome((), None, 0.0)
        semaphore = asyncio.Semaphore(self._limits.concurrency)
        canary = asyncio.create_task(self._canary_error()) if self._canary else None
        tasks = [asyncio.create_task(self._check(definition, semaphore)) for definition in definitions]
        done, pending = await asyncio.wait(tasks, timeout=self._limits.deadline_s)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        outcomes = [
            task.result()
            if task in done
            else CheckOutcome(CheckStatus.INCONCLUSIVE, None, ("the probe run reached its deadline",), 0)
            for task in tasks
        ]
        canary_error = await canary if canary else None
        if canary_error:
            reason = f"probe connectivity canary unreachable: {canary_error}"
            outcomes = [
                CheckOutcome(CheckStatus.INCONCLUSIVE, o.response_time_ms, (reason,), o.attempts, o.observation)
                for o in outcomes
            ]
        return RunOutcome(tuple(outcomes), canary_error, time.perf_counter() - started)

    async def _canary_error(self) -> str | None:
        assert self._canary is not None
        observation = await self._attempt(self._canary)
        # Any HTTP answer, even an error status, proves the probe can reach the network.
        return None if observation.connected and observation.status is not None else (observation.error or "no answer")

    async def _check(self, definition: MonitorDefinition, semaphore: asyncio.Semaphore) -> CheckOutcome:
        async with semaphore:
            attempts = 0
            while True:
                attempts += 1
                observation = await self._attempt(definition)
                status, reasons = judge(definition, observation)
                if status is not CheckStatus.DOWN or attempts > definition.retries:
                    return CheckOutcome(status, observation.response_time_ms, reasons, attempts, observation)
                await asyncio.sleep(self._limits.retry_delay_s)

    async def _attempt(self, definition: MonitorDefinition) -> Observation:
        try:
            return await asyncio.wait_for(
                self._checks.observe(definition), timeout=definition.timeout + ATTEMPT_GRACE_S
            )
        except TimeoutError:
            return Observation(connected=False, error=f"timed out after {definition.timeout:g}s")
