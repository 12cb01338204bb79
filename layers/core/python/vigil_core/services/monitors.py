"""Monitors through the API: create, read, replace, delete, and their recent results. Tenant-scoped."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from pydantic import ValidationError

from vigil_core.errors import FieldProblem, bad_request, conflict, not_found, validation_error
from vigil_core.models.http import ApiRequest
from vigil_core.models.monitors import (
    MONITOR_DEFINITION,
    HeartbeatMonitor,
    ManagedBy,
    Monitor,
    MonitorDefinition,
    MonitorType,
    new_heartbeat_token,
)
from vigil_core.models.probes import MonitorKey, ProbeResult, StoredMonitorState
from vigil_core.ports import MonitorRepository, ProbeStore
from vigil_core.services.ingest import check_body_size, check_content_type
from vigil_core.validation import problems_from

MAX_RESULT_HOURS = 7 * 24
_TYPES = ", ".join(t.value for t in MonitorType)


def json_body(request: ApiRequest) -> Any:
    """The request's JSON body, or a clear 4xx (media type, size, empty, malformed)."""
    check_content_type(request.header("content-type"))
    raw = check_body_size(request.body, what="a monitor definition")
    try:
        return json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise bad_request("body", f"malformed JSON: {exc}") from None


def parse_definition(body: Any, *, field_prefix: str = "") -> MonitorDefinition:
    """A monitor definition from JSON/YAML data, or a 422 naming each bad field."""
    if not isinstance(body, Mapping):
        raise bad_request(field_prefix.rstrip(".") or "body", "must be an object")
    kind = body.get("type")
    if not isinstance(kind, str) or kind not in {t.value for t in MonitorType}:  # a list or object is unhashable
        problem = "is required" if kind is None else f"must be one of {_TYPES}"
        raise validation_error([FieldProblem(f"{field_prefix}type", problem)])
    try:
        return MONITOR_DEFINITION.validate_python(dict(body))
    except ValidationError as exc:
        problems = problems_from(exc, list_field="", drop_leading=1)  # the first location part is the tag
        raise validation_error(
            [
                FieldProblem(
                    f"{field_prefix}{p.field}" if p.field != "body" else field_prefix.rstrip(".") or "body", p.problem
                )
                for p in problems
            ]
        ) from None


class MonitorService:
    def __init__(self, repository: MonitorRepository, store: ProbeStore, clock: Callable[[], datetime]) -> None:
        self._repository = repository
        self._store = store
        self._clock = clock

    def create(self, tenant_id: str, body: Any) -> Monitor:
        definition = parse_definition(body)
        now = self._clock()
        monitor = Monitor(
            tenant_id=tenant_id,
            id=definition.monitor_id,
            definition=definition,
            managed_by=ManagedBy.API,
            heartbeat_token=new_heartbeat_token() if isinstance(definition, HeartbeatMonitor) else None,
            created_at=now,
            updated_at=now,
        )
        self._repository.create(monitor)
        return monitor

    def replace(self, tenant_id: str, monitor_id: str, body: Any) -> Monitor:
        existing = self._editable(tenant_id, monitor_id)
        definition = parse_definition(body)
        if definition.id is not None and definition.id != monitor_id:
            raise bad_request("id", f"does not match the monitor in the path ({monitor_id}); ids cannot change")
        heartbeat = isinstance(definition, HeartbeatMonitor)
        monitor = existing.model_copy(
            update={
                "definition": definition,
                "heartbeat_token": (existing.heartbeat_token or new_heartbeat_token()) if heartbeat else None,
                "updated_at": self._clock(),
            }
        )
        self._repository.replace(monitor)
        return monitor

    def delete(self, tenant_id: str, monitor_id: str) -> None:
        monitor = self._editable(tenant_id, monitor_id)
        self._repository.delete(monitor)
        self._store.delete_state(MonitorKey(tenant_id, monitor_id))

    def get(self, tenant_id: str, monitor_id: str) -> tuple[Monitor, StoredMonitorState]:
        monitor = self._get(tenant_id, monitor_id)
        key = MonitorKey(tenant_id, monitor_id)
        return monitor, self._store.load_states([key])[key]

    def list_with_states(self, tenant_id: str) -> list[tuple[Monitor, StoredMonitorState]]:
        monitors = self._repository.list_for_tenant(tenant_id)
        states = self._store.load_states([MonitorKey(tenant_id, m.id) for m in monitors])
        return [(m, states[MonitorKey(tenant_id, m.id)]) for m in monitors]

    def results(self, tenant_id: str, monitor_id: str, hours: float) -> list[ProbeResult]:
        if not 0 < hours <= MAX_RESULT_HOURS:
            raise bad_request("hours", f"must be above 0 and at most {MAX_RESULT_HOURS} (results are kept 7 days)")
        self._get(tenant_id, monitor_id)
        until = self._clock()
        return self._store.results(MonitorKey(tenant_id, monitor_id), until - timedelta(hours=hours), until)

    def _get(self, tenant_id: str, monitor_id: str) -> Monitor:
        monitor = self._repository.get(MonitorKey(tenant_id, monitor_id))
        if monitor is None:
            raise not_found(f"monitor {monitor_id!r} not found")
        return monitor

    def _editable(self, tenant_id: str, monitor_id: str) -> Monitor:
        monitor = self._get(tenant_id, monitor_id)
        if monitor.managed_by is ManagedBy.CODE:
            raise conflict(f"monitor {monitor_id!r} is defined in monitors.yaml; change it there and deploy")
        return monitor


def record_heartbeat(repository: MonitorRepository, store: ProbeStore, token: str, at: datetime) -> Monitor:
    monitor = repository.find_by_heartbeat_token(token)
    if monitor is None or not isinstance(monitor.definition, HeartbeatMonitor):
        raise not_found("no heartbeat monitor has this token")
    store.record_beat(MonitorKey(monitor.tenant_id, monitor.id), at)
    return monitor
