"""SLOs and the tenant's SLA policy through the API: `/v1/slos[/{id}]` and `/v1/sla-policy`."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from vigil_core.errors import FieldProblem, bad_request, conflict, not_found, validation_error
from vigil_core.models.probes import MonitorKey
from vigil_core.models.slo import SLO_DEFINITION, AvailabilitySli, LatencySli, SlaPolicy, Slo, SloDefinition, SloSource
from vigil_core.ports import MonitorRepository, SloRepository
from vigil_core.validation import parse_body, problems_from

MAX_SLOS_PER_TENANT = 200
_SLI_KINDS = ("availability", "latency", "ratio", "metric_latency")


def parse_slo(body: Any, *, field_prefix: str = "") -> SloDefinition:
    """An SLO definition from JSON/YAML data, or a 400 naming each bad field (`sli.threshold_ms`, not the tag)."""
    if not isinstance(body, Mapping):
        raise bad_request(field_prefix.rstrip(".") or "body", "must be an object")
    sli = body.get("sli")
    if isinstance(sli, Mapping) and sli.get("kind") not in _SLI_KINDS:
        raise bad_request(f"{field_prefix}sli.kind", f"must be one of {', '.join(_SLI_KINDS)}")
    try:
        return SLO_DEFINITION.validate_python(dict(body))
    except ValidationError as exc:
        problems = []
        for problem in problems_from(exc, list_field=""):
            parts = problem.field.split(".")
            if len(parts) > 1 and parts[0] == "sli" and parts[1] in _SLI_KINDS:
                parts.pop(1)  # the union's tag is not a field the caller wrote
            problems.append(FieldProblem(field_prefix + ".".join(parts), problem.problem))
        raise validation_error(problems) from None


@dataclass(frozen=True)
class SloService:
    slos: SloRepository
    monitors: MonitorRepository
    clock: Callable[[], datetime]

    def list(self, tenant_id: str) -> list[Slo]:
        return self.slos.list_for_tenant(tenant_id)

    def get(self, tenant_id: str, slo_id: str) -> Slo:
        slo = self.slos.get(tenant_id, slo_id)
        if slo is None:
            raise not_found(f"SLO {slo_id!r} not found")
        return slo

    def create(self, tenant_id: str, body: Any, source: SloSource = SloSource.API) -> Slo:
        definition = parse_slo(body)
        slo_id = definition.slo_id
        if self.slos.get(tenant_id, slo_id) is not None:
            raise conflict(f"SLO {slo_id!r} already exists; PUT /v1/slos/{slo_id} replaces it")
        return self._store(tenant_id, slo_id, definition, source, created_at=None)

    def put(self, tenant_id: str, slo_id: str, body: Any, source: SloSource = SloSource.API) -> tuple[Slo, bool]:
        """Create or replace the SLO with this id; True when it was created."""
        definition = parse_slo(body)
        if definition.id is not None and definition.id != slo_id:
            raise bad_request("id", f"is {definition.id!r} but the URL names {slo_id!r}")
        existing = self.slos.get(tenant_id, slo_id)
        stored = self._store(
            tenant_id, slo_id, definition, source, created_at=None if existing is None else existing.created_at
        )
        return stored, existing is None

    def delete(self, tenant_id: str, slo_id: str) -> None:
        if not self.slos.delete(tenant_id, slo_id):
            raise not_found(f"SLO {slo_id!r} not found")

    def policy(self, tenant_id: str) -> SlaPolicy:
        return self.slos.get_sla_policy(tenant_id) or SlaPolicy()

    def put_policy(self, tenant_id: str, body: Any) -> SlaPolicy:
        policy = parse_body(SlaPolicy, body).model_copy(update={"updated_at": self.clock()})
        self.slos.put_sla_policy(tenant_id, policy)
        return policy

    def _store(
        self,
        tenant_id: str,
        slo_id: str,
        definition: SloDefinition,
        source: SloSource,
        created_at: datetime | None,
    ) -> Slo:
        sli = definition.sli
        monitor = sli.monitor if isinstance(sli, AvailabilitySli | LatencySli) else None
        if monitor is not None and self.monitors.get(MonitorKey(tenant_id, monitor)) is None:
            raise bad_request("sli.monitor", f"no monitor {monitor!r}: create the monitor first")
        if created_at is None and len(self.slos.list_for_tenant(tenant_id)) >= MAX_SLOS_PER_TENANT:
            raise conflict(f"a tenant has at most {MAX_SLOS_PER_TENANT} SLOs")
        now = self.clock()
        slo = Slo(
            tenant_id=tenant_id,
            id=slo_id,
            definition=definition.model_copy(update={"id": slo_id}),
            source=source,
            created_at=created_at or now,
            updated_at=now,
        )
        self.slos.put(slo)
        return slo
