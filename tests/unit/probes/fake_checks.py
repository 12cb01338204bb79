"""A fake CheckExecutor for the probe runner and service tests: no network, scripted observations."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from vigil_core.models.monitors import MonitorDefinition
from vigil_core.probes.observations import Observation

HEALTHY = Observation(connected=True, status=200, response_time_ms=42.0, body="ok")
REFUSED = Observation(connected=False, error="connection refused", response_time_ms=3.0)
SERVER_ERROR = Observation(connected=True, status=500, response_time_ms=12.0, body="oops")


@dataclass(frozen=True)
class Hang:
    """An attempt that never answers (until it is cancelled)."""


@dataclass(frozen=True)
class Slow:
    """An attempt that answers after `seconds` (asyncio time)."""

    seconds: float
    observation: Observation = HEALTHY


Answer = Observation | Hang | Slow


class ScriptedChecks:
    """Answers each target with its script, one answer per attempt (the last one repeats).

    Targets without a script are healthy. Counts attempts per target and the most attempts in flight at once.
    """

    def __init__(self, script: Mapping[str, Answer | Sequence[Answer]] | None = None) -> None:
        self.script: dict[str, list[Answer]] = {}
        for target, answers in (script or {}).items():
            self.answer(target, answers)
        self.calls: list[str] = []
        self.in_flight = 0
        self.max_in_flight = 0

    def answer(self, target: str, answers: Answer | Sequence[Answer]) -> None:
        self.script[target] = [answers] if isinstance(answers, Observation | Hang | Slow) else list(answers)

    def attempts(self, target: str) -> int:
        return self.calls.count(target)

    async def observe(self, definition: MonitorDefinition) -> Observation:
        target = str(getattr(definition, "target", ""))
        answers = self.script.get(target, [HEALTHY])
        answer = answers[min(self.attempts(target), len(answers) - 1)]
        self.calls.append(target)
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            match answer:
                case Hang():
                    await asyncio.Event().wait()
                    raise AssertionError("unreachable")
                case Slow(seconds=seconds, observation=observation):
                    await asyncio.sleep(seconds)
                    return observation
                case Observation():
                    await asyncio.sleep(0)  # yield, as a real check would
                    return answer
        finally:
            self.in_flight -= 1
        raise AssertionError(f"unscripted answer {answer!r}")
