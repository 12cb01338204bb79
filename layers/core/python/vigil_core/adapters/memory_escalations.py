"""In-memory escalation records and state machine executions: the fakes behind escalation unit tests.

`MemoryEscalationStore` keeps the DynamoDB store's contract (begin: created / exists / superseded; end only while
the same firing runs) and does what the state machine's RecordPage update does (`record_page`), so a test can
play the pages an execution would send. `RecordingEscalationExecutions` keeps what Step Functions would be asked:
executions by name with their orders, a name started once (as Step Functions refuses a name it has seen), and every
stop. Every method holds one lock, as the other memory fakes do.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Literal

from vigil_core.models.escalation import Escalation, EscalationState, PageOrder, PageSent


class MemoryEscalationStore:
    def __init__(self) -> None:
        self.records: dict[tuple[str, str], Escalation] = {}  # (tenant, fingerprint): the alert's latest escalation
        self._lock = threading.Lock()

    def begin(self, escalation: Escalation) -> Literal["created", "exists", "superseded"]:
        key = (escalation.tenant_id, escalation.fingerprint)
        with self._lock:
            stored = self.records.get(key)
            if stored is not None and stored.firing > escalation.firing:
                return "superseded"
            if stored is not None and stored.firing == escalation.firing:
                return "exists"
            # As the DynamoDB item is written: what is fixed at the start, its state and next step, no pages yet.
            self.records[key] = escalation.model_copy(
                update={"pages": (), "ended_at": None, "ended_by": None, "error": None}
            )
            return "created"

    def get(self, tenant_id: str, fingerprint: str) -> Escalation | None:
        with self._lock:
            return self.records.get((tenant_id, fingerprint))

    def end(
        self, tenant_id: str, fingerprint: str, firing: int, state: EscalationState, at: datetime, by: str | None
    ) -> bool:
        ended: dict[str, object] = {"state": state, "ended_at": at.astimezone(UTC)}
        if by:
            ended["ended_by"] = by
        return self._update(tenant_id, fingerprint, firing, None, lambda _: ended)

    def record_page(self, tenant_id: str, fingerprint: str, firing: int, page: PageSent) -> bool:
        """What the state machine does after publishing a page: append it and move to the next step, if the
        firing's escalation still runs and expects this step. False (nothing changed) otherwise."""
        return self._update(
            tenant_id,
            fingerprint,
            firing,
            page.step,
            lambda stored: {"next_step": page.step + 1, "pages": (*stored.pages, page)},
        )

    def _update(
        self,
        tenant_id: str,
        fingerprint: str,
        firing: int,
        step: int | None,
        changes: Callable[[Escalation], dict[str, object]],
    ) -> bool:
        """The conditional update both writers use: state running, same firing (and next step, if given)."""
        key = (tenant_id, fingerprint)
        with self._lock:
            stored = self.records.get(key)
            if (
                stored is None
                or stored.state != "running"
                or stored.firing != firing
                or (step is not None and stored.next_step != step)
            ):
                return False
            self.records[key] = stored.model_copy(update=changes(stored))
            return True


@dataclass(frozen=True)
class StartedExecution:
    escalation: Escalation
    orders: tuple[PageOrder, ...]
    stopped_with: str | None = None  # the cause it was stopped with, once stopped


class RecordingEscalationExecutions:
    def __init__(self) -> None:
        self.executions: dict[str, StartedExecution] = {}  # by name, in the order they started
        self.stops: list[tuple[str, str]] = []  # (name, cause): every stop asked for, known name or not
        self._lock = threading.Lock()

    def start(self, escalation: Escalation, orders: Sequence[PageOrder]) -> Literal["started", "already_started"]:
        with self._lock:
            if escalation.execution_name in self.executions:  # Step Functions keeps a name, stopped or not
                return "already_started"
            self.executions[escalation.execution_name] = StartedExecution(escalation, tuple(orders))
            return "started"

    def stop(self, name: str, cause: str) -> None:
        with self._lock:
            self.stops.append((name, cause))
            execution = self.executions.get(name)
            if execution is not None and execution.stopped_with is None:
                self.executions[name] = replace(execution, stopped_with=cause)

    def running(self) -> list[str]:
        """The names of the executions started and not stopped."""
        with self._lock:
            return [name for name, execution in self.executions.items() if execution.stopped_with is None]
