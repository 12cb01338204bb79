"""The monthly job: last month's SLA report of every tenant (and the platform-wide one) written to the reports
bucket in JSON, CSV and HTML, and each tenant told its report is ready.

A tenant's JSON report is written last: its presence means the tenant is done, so a retried run (Lambda
retries a failed scheduled invocation twice) skips the tenants an earlier attempt finished and tells nobody twice.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Protocol

from vigil_core.services.sla_rendering import render_report, summary_json
from vigil_core.services.sla_reports import PlatformSlaReport, SlaReportService, TenantSlaReport

logger = logging.getLogger(__name__)
FORMATS = ("html", "csv", "json")  # json last: it marks the report as complete


class ReportArchive(Protocol):
    def exists(self, key: str) -> bool: ...

    def put(self, key: str, body: bytes, content_type: str) -> None: ...

    def uri(self, key: str) -> str: ...


class ReportAnnouncer(Protocol):
    def announce(self, tenant_id: str, subject: str, message: dict[str, Any]) -> None: ...


class ReportJobError(RuntimeError):
    """Some reports were not written; the others were, and a retry only does what is missing."""


@dataclass
class ReportJobOutcome:
    month: str
    written: list[str] = field(default_factory=list)  # tenant ids, and "platform"
    skipped: list[str] = field(default_factory=list)  # done by an earlier attempt
    failed: dict[str, str] = field(default_factory=dict)  # tenant id -> why


def last_month(at: datetime) -> date:
    """The last day of the month before `at` (UTC): the day whose month the job reports."""
    return at.astimezone(UTC).date().replace(day=1) - timedelta(days=1)


def report_keys(month: str, owner: str) -> dict[str, str]:
    """Object keys of one report: reports/<YYYY-MM>/<tenant id or platform>/sla.<format>."""
    return {fmt: f"reports/{month}/{owner}/sla.{fmt}" for fmt in FORMATS}


@dataclass(frozen=True)
class MonthlyReportJob:
    reports: SlaReportService
    archive: ReportArchive
    announcer: ReportAnnouncer

    def run(self, at: datetime) -> ReportJobOutcome:
        day = last_month(at)
        outcome = ReportJobOutcome(month=f"{day:%Y-%m}")
        for tenant in self.reports.tenants.list_tenants():
            self._one(outcome, tenant.id, lambda tenant_id=tenant.id: self._tenant(tenant_id, day, at))
        self._one(outcome, "platform", lambda: self._platform(day, at))
        if outcome.failed:
            problems = "; ".join(f"{owner}: {why}" for owner, why in outcome.failed.items())
            raise ReportJobError(f"{len(outcome.failed)} report(s) of {outcome.month} not written: {problems}")
        return outcome

    def _one(self, outcome: ReportJobOutcome, owner: str, write: Any) -> None:
        if self.archive.exists(report_keys(outcome.month, owner)["json"]):
            outcome.skipped.append(owner)
            return
        try:
            write()
        except Exception as exc:  # one tenant's failure must not keep the others from their reports
            logger.exception("SLA report not written", extra={"owner": owner, "month": outcome.month})
            outcome.failed[owner] = str(exc) or type(exc).__name__
            return
        outcome.written.append(owner)

    def _tenant(self, tenant_id: str, day: date, at: datetime) -> None:
        report = self.reports.tenant_report(tenant_id, "monthly", day, include_previous=True, now=at)
        if report.period.partial:  # the month has not ended in the tenant's zone yet: a run too early in the day
            raise ReportJobError(f"{report.period.label} has not ended yet in {report.period.timezone}")
        keys = self._write(report, report_keys(f"{day:%Y-%m}", tenant_id))
        self.announcer.announce(tenant_id, _subject(report), _announcement(report, keys, self.archive))

    def _platform(self, day: date, at: datetime) -> None:
        self._write(self.reports.platform_report("monthly", day, now=at), report_keys(f"{day:%Y-%m}", "platform"))

    def _write(self, report: TenantSlaReport | PlatformSlaReport, keys: dict[str, str]) -> dict[str, str]:
        for fmt in FORMATS:
            rendered = render_report(report, fmt)
            self.archive.put(keys[fmt], rendered.body.encode("utf-8"), rendered.content_type)
        return keys


def _subject(report: TenantSlaReport) -> str:
    verdict = {True: "met", False: "missed", None: "no data"}[report.summary.compliant]
    return f"vigil SLA report {report.period.label} for {report.tenant_name}: {verdict}"


def _announcement(report: TenantSlaReport, keys: dict[str, str], archive: ReportArchive) -> dict[str, Any]:
    violations: Sequence[Any] = report.violations
    return {
        "kind": "sla_report",
        "tenant": report.tenant_id,
        "period": {
            "label": report.period.label,
            "start": report.period.start.isoformat(),
            "end": report.period.end.isoformat(),
            "timezone": report.period.timezone,
        },
        "compliant": report.summary.compliant,
        "summary": summary_json(report.summary),
        "violations": [violation.message for violation in violations],
        "reports": {fmt: archive.uri(key) for fmt, key in keys.items()},
    }
