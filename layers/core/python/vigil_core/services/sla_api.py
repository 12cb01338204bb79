"""Who may read which SLA report, and the report in the format asked for: a tenant reads its own; an operator
(a key of one of the stack's operator tenants) reads any tenant's and the platform-wide report."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from vigil_core.errors import forbidden
from vigil_core.models.slo import Slo
from vigil_core.services.auth import Caller
from vigil_core.services.sla_rendering import RenderedReport, render_report, report_json, slo_status_json
from vigil_core.services.sla_reports import SlaReportService, parse_report_query


@dataclass(frozen=True)
class SlaReportApi:
    reports: SlaReportService
    operators: frozenset[str]

    def tenant_sla(self, caller: Caller, tenant_id: str, query: Mapping[str, str]) -> dict[str, Any]:
        """GET /v1/sla/{tenant}: the tenant's report as JSON."""
        self._may_read(caller, tenant_id)
        asked = parse_report_query(query, report=False)
        report = self.reports.tenant_report(tenant_id, asked.period, asked.on, include_previous=asked.include_previous)
        return report_json(report)

    def report(self, caller: Caller, query: Mapping[str, str]) -> RenderedReport:
        """GET /v1/reports/sla: a tenant's report, or without `tenant` the platform-wide one, as json, csv or html."""
        asked = parse_report_query(query)
        if asked.tenant is None:
            if caller.tenant_id not in self.operators:
                raise forbidden("the platform-wide report needs an operator's API key; name your tenant with ?tenant=")
            return render_report(self.reports.platform_report(asked.period, asked.on), asked.format)
        self._may_read(caller, asked.tenant)
        tenant_report = self.reports.tenant_report(
            asked.tenant, asked.period, asked.on, include_previous=asked.include_previous
        )
        return render_report(tenant_report, asked.format)

    def slo_status(self, slo: Slo) -> dict[str, Any]:
        return slo_status_json(self.reports.slo_status(slo))

    def _may_read(self, caller: Caller, tenant_id: str) -> None:
        if caller.tenant_id != tenant_id and caller.tenant_id not in self.operators:
            raise forbidden(f"this API key belongs to tenant {caller.tenant_id!r}, not {tenant_id!r}")
