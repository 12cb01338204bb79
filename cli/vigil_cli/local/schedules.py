"""EventBridge schedule rules fired by a local scheduler thread.

Time comes from a clock object, so tests call ``fire_due(now)`` instead of waiting, and demos can run
time faster (``time_factor=60``: a minute per second). A rule that comes due fires once per check, as
EventBridge does not replay missed invocations. Lambda's asynchronous retries are not emulated: a
failed scheduled invocation is reported and the next one waits for the next due time.
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from vigil_cli.local.background import PeriodicThread
from vigil_cli.local.cron import Schedule, parse_schedule
from vigil_cli.local.errors import FunctionError, ScheduleError
from vigil_cli.local.functions import FunctionRegistry, FunctionSpec
from vigil_cli.local.records import InvocationHook, InvocationRecord, report_invocation
from vigil_cli.local.template import Provisioned


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class ScaledClock:
    """Virtual time that starts at the real time and runs ``factor`` times faster."""

    def __init__(self, factor: float, start: datetime | None = None) -> None:
        if factor <= 0:
            raise ValueError("time factor must be positive")
        self.factor = factor
        self._real_start = time.monotonic()
        self._virtual_start = start or datetime.now(UTC)

    def now(self) -> datetime:
        return self._virtual_start + timedelta(seconds=(time.monotonic() - self._real_start) * self.factor)


def clock_for(time_factor: float) -> Clock:
    return SystemClock() if time_factor == 1 else ScaledClock(time_factor)


@dataclass(frozen=True)
class ScheduleTarget:
    target_id: str
    function: FunctionSpec
    input: Any = None
    has_input: bool = False
    input_path: str | None = None
    # InputTransformer: <name> placeholders in the template, filled from paths into the event.
    input_paths_map: Mapping[str, str] | None = None
    input_template: str | None = None

    def event_for(self, scheduled_event: dict[str, Any]) -> Any:
        if self.has_input:
            return self.input
        if self.input_path:
            return _select(scheduled_event, self.input_path)
        if self.input_template is not None:
            return _transform(scheduled_event, self.input_paths_map or {}, self.input_template)
        return scheduled_event


def _transform(event: dict[str, Any], paths: Mapping[str, str], template: str) -> Any:
    """EventBridge's InputTransformer: each <name> becomes the JSON of the value its path selects."""
    text = template
    for name, path in paths.items():
        text = text.replace(f"<{name}>", json.dumps(_select(event, path)))
    return json.loads(text)


@dataclass
class ScheduledRule:
    logical_id: str
    name: str
    arn: str
    schedule: Schedule
    targets: list[ScheduleTarget]
    next_due: datetime | None = field(default=None)


def _select(document: Any, path: str) -> Any:
    """The subset of JSONPath EventBridge InputPath uses here: ``$`` and ``$.a.b``."""
    node = document
    for key in path.removeprefix("$").split(".")[1:]:
        node = node.get(key) if isinstance(node, dict) else None
    return node


_PLAIN_PATH = re.compile(r"^\$(\.[A-Za-z0-9_-]+)*$")


def _validate_input_path(rule: str, path: str) -> str:
    if not _PLAIN_PATH.match(path):
        raise ScheduleError(f"rule {rule}: InputPath {path!r} is not a plain $.a.b path")
    return path


class Scheduler:
    def __init__(
        self,
        rules: list[ScheduledRule],
        registry: FunctionRegistry,
        *,
        clock: Clock,
        account_id: str,
        region: str,
        on_invocation: InvocationHook | None = None,
    ) -> None:
        self.rules = rules
        self.registry = registry
        self.clock = clock
        self.account_id = account_id
        self.region = region
        self.on_invocation = on_invocation
        self._lock = threading.Lock()
        self._worker: PeriodicThread | None = None
        start = clock.now()
        for rule in rules:
            rule.next_due = rule.schedule.first_due(start)

    @classmethod
    def from_stack(
        cls,
        stack: Mapping[str, Provisioned],
        registry: FunctionRegistry,
        *,
        clock: Clock,
        account_id: str,
        region: str,
        on_invocation: InvocationHook | None = None,
    ) -> Scheduler:
        rules = []
        for logical_id, item in stack.items():
            if item.type != "AWS::Events::Rule" or item.properties.get("State", "ENABLED") != "ENABLED":
                continue
            targets = []
            for target in item.properties.get("Targets", []):
                input_path = target.get("InputPath")
                transformer = target.get("InputTransformer") or {}
                paths_map = transformer.get("InputPathsMap") or {}
                for path in paths_map.values():
                    _validate_input_path(item.physical_id, path)
                targets.append(
                    ScheduleTarget(
                        target_id=str(target.get("Id", "")),
                        function=registry.get(str(target["Arn"])),
                        input=json.loads(target["Input"]) if "Input" in target else None,
                        has_input="Input" in target,
                        input_path=_validate_input_path(item.physical_id, input_path) if input_path else None,
                        input_paths_map=paths_map,
                        input_template=transformer.get("InputTemplate") if transformer else None,
                    )
                )
            rules.append(
                ScheduledRule(
                    logical_id=logical_id,
                    name=item.physical_id,
                    arn=str(item.attributes["Arn"]),
                    schedule=parse_schedule(item.properties["ScheduleExpression"]),
                    targets=targets,
                )
            )
        return cls(rules, registry, clock=clock, account_id=account_id, region=region, on_invocation=on_invocation)

    def rule(self, name: str) -> ScheduledRule:
        """A rule by logical id or name."""
        for rule in self.rules:
            if name in (rule.logical_id, rule.name):
                return rule
        raise KeyError(name)

    def scheduled_event(self, rule: ScheduledRule, due: datetime) -> dict[str, Any]:
        """The event EventBridge sends for a scheduled rule."""
        return {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": "Scheduled Event",
            "source": "aws.events",
            "account": self.account_id,
            "time": due.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "region": self.region,
            "resources": [rule.arn],
            "detail": {},
        }

    def fire_due(self, now: datetime | None = None) -> list[InvocationRecord]:
        """Fire every rule due at ``now`` (default: the clock's time) once; returns what ran."""
        moment = now or self.clock.now()
        records: list[InvocationRecord] = []
        with self._lock:
            for rule in self.rules:
                if rule.next_due is None or rule.next_due > moment:
                    continue
                due = rule.next_due
                rule.next_due = rule.schedule.next_due(due, moment)
                event = self.scheduled_event(rule, due)
                records.extend(self._invoke(rule, target, event) for target in rule.targets)
        return records

    def _invoke(self, rule: ScheduledRule, target: ScheduleTarget, event: dict[str, Any]) -> InvocationRecord:
        started = time.monotonic()
        ok, detail = True, ""
        try:
            self.registry.invoke(target.function.logical_id, target.event_for(event))
        except FunctionError as exc:
            ok, detail = False, f"{exc.error_type}: {exc.error_message}"
        except Exception as exc:  # the scheduler thread must survive anything a handler does
            ok, detail = False, repr(exc)
        record = InvocationRecord(
            time=datetime.now(UTC),
            source="schedule",
            trigger=rule.name,
            function=target.function.short_name,
            ok=ok,
            duration_ms=(time.monotonic() - started) * 1000,
            detail=detail,
        )
        report_invocation(self.on_invocation, record)
        return record

    def start(self) -> None:
        if not self.rules:
            return
        tick_s = 1.0 if getattr(self.clock, "factor", 1.0) <= 1 else 0.25
        self._worker = PeriodicThread("vigil-scheduler", tick_s, self.fire_due)
        self._worker.start()

    def stop(self, timeout_s: float = 5.0) -> None:
        if self._worker is not None:
            self._worker.stop(timeout_s)
