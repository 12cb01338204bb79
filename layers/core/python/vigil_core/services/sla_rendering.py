"""SLA reports as JSON, CSV and HTML (services/sla_reports.py makes them).

- JSON: a dict ready for json.dumps: ISO 8601 timestamps, floats rounded to what they mean (percentages to 4
  decimals, milliseconds to 1, minutes to 2), None (null) where there is no data.
- CSV: a header row, then one row per tenant (platform report) or a tenant row followed by one row per monitor
  and per SLO (tenant report); RFC 4180 quoting (the csv module), no data as an empty cell. A text cell that a
  spreadsheet would read as a formula (=, +, -, @ first) is prefixed with an apostrophe.
- HTML: one self-contained page (inline CSS, no script, no external asset) that reads on a phone; every value
  from the report is escaped with html.escape.
"""

from __future__ import annotations

import csv
import html
import io
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from vigil_core.errors import bad_request
from vigil_core.services.sla_figures import AvailabilityFigures, BudgetFigures
from vigil_core.services.sla_reports import (
    REPORT_FORMATS,
    Incident,
    IncidentStats,
    MonitorReport,
    PlatformSlaReport,
    PreviousPeriod,
    ReportPeriod,
    SlaSummary,
    SloReport,
    SloStatus,
    TenantRow,
    TenantSlaReport,
    Trend,
    Violation,
    ViolationKind,
)

SlaReport = TenantSlaReport | PlatformSlaReport
_CONTENT_TYPES = {
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "html": "text/html; charset=utf-8",
}
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True, slots=True)
class RenderedReport:
    body: str
    content_type: str
    filename: str  # sla-<tenant>-<period label>.<format>, sla-platform-<label>.<format>


def render_report(report: SlaReport, fmt: str) -> RenderedReport:
    """The report in `fmt` (json, csv or html); a 400 VigilError naming `format` for any other."""
    fmt = fmt.strip().lower()
    if fmt not in REPORT_FORMATS:
        raise bad_request("format", "must be one of " + ", ".join(REPORT_FORMATS))
    if fmt == "json":
        body = json.dumps(report_json(report), ensure_ascii=False)
    elif fmt == "csv":
        body = report_csv(report)
    else:
        body = report_html(report)
    return RenderedReport(body, _CONTENT_TYPES[fmt], f"{_file_stem(report)}.{fmt}")


def _file_stem(report: SlaReport) -> str:
    if isinstance(report, TenantSlaReport):
        return f"sla-{report.tenant_id}-{report.period.label}"
    return "sla-platform-" + "_".join(report.labels or ("empty",))


# -- JSON -------------------------------------------------------------------------------------------------------


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


def _pct(value: float | None) -> float | None:
    return _round(value, 4)


def _ms(value: float | None) -> float | None:
    return _round(value, 1)


def _count(value: float | None) -> float | int | None:
    """Events: whole counts as integers, fractional ones (a counter metric's values) to 3 decimals."""
    if value is None:
        return None
    return int(value) if float(value).is_integer() else round(value, 3)


def _iso(at: datetime | None) -> str | None:
    return None if at is None else at.isoformat()


def report_json(report: SlaReport) -> dict[str, Any]:
    if isinstance(report, TenantSlaReport):
        return tenant_report_json(report)
    return platform_report_json(report)


def period_json(period: ReportPeriod) -> dict[str, Any]:
    return {
        "kind": period.kind.value,
        "label": period.label,
        "timezone": period.timezone,
        "first_day": period.first_day.isoformat(),
        "last_day": period.last_day.isoformat(),
        "start": _iso(period.start),
        "end": _iso(period.end),
        "period_end": _iso(period.period_end),
        "hours": period.hours,
        "partial": period.partial,
        "notes": list(period.notes),
    }


def budget_json(budget: BudgetFigures | AvailabilityFigures | None) -> dict[str, Any] | None:
    if budget is None:
        return None
    return {
        "allowed_bad": _round(budget.allowed_bad, 2),
        "remaining": _round(budget.budget_remaining, 2),
        "remaining_pct": _round(budget.budget_remaining_pct, 2),
        "remaining_minutes": _round(budget.budget_remaining_minutes, 2),
        "burn_rate": _round(budget.burn_rate, 3),
    }


def incident_stats_json(stats: IncidentStats) -> dict[str, Any]:
    share = stats.within_target_share
    return {
        "count": stats.count,
        "ongoing": stats.ongoing,
        "resolved": stats.resolved,
        "mttr_s": _round(stats.mttr_s, 1),
        "longest_s": _round(stats.longest_s, 1),
        "over_target": stats.over_target,
        "within_target_pct": None if share is None else round(100 * share, 2),
    }


def violation_json(violation: Violation) -> dict[str, Any]:
    digits = 4 if violation.unit == "%" else 1
    return {
        "kind": violation.kind.value,
        "scope": violation.scope,
        "subject": violation.subject,
        "name": violation.name,
        "actual": _round(violation.actual, digits),
        "target": _round(violation.target, digits),
        "unit": violation.unit,
        "at": _iso(violation.at),
        "message": violation.message,
    }


def summary_json(summary: SlaSummary) -> dict[str, Any]:
    return {
        "status": summary.status,
        "compliant": summary.compliant,
        "checks": summary.checks,
        "good_checks": summary.good_checks,
        "availability_pct": _pct(summary.availability_pct),
        "average_latency_ms": _ms(summary.average_latency_ms),
        "p95_latency_ms": _ms(summary.p95_latency_ms),
        "error_rate_pct": _pct(summary.error_rate_pct),
        "error_budget": budget_json(summary.budget),
        "violations": summary.violations,
        "violations_by_kind": dict(summary.violations_by_kind),
        "health_score": _round(summary.health_score, 1),
        "health_components": {
            component.name: {"weight": component.weight, "value": _round(component.value, 4)}
            for component in summary.health.components
        },
        "mttr_s": _round(summary.incidents.mttr_s, 1),
        "incidents": incident_stats_json(summary.incidents),
    }


def monitor_json(monitor: MonitorReport) -> dict[str, Any]:
    figures = monitor.figures
    return {
        "id": monitor.monitor_id,
        "name": monitor.name,
        "type": monitor.type,
        "enabled": monitor.enabled,
        "status": monitor.status,
        "checks": figures.total if figures else 0,
        "good_checks": figures.good if figures else 0,
        "availability_pct": _pct(figures.uptime_pct if figures else None),
        "average_latency_ms": _ms(figures.average_latency_ms if figures else None),
        "p95_latency_ms": _ms(figures.p95_latency_ms if figures else None),
        "error_budget": budget_json(figures),
        "incidents": incident_stats_json(monitor.incidents),
        "violations": [violation_json(violation) for violation in monitor.violations],
        "window_items_read": monitor.window_items_read,
    }


def slo_json(slo: SloReport) -> dict[str, Any]:
    return {
        "id": slo.slo_id,
        "name": slo.name,
        "sli": slo.sli,
        "monitor": slo.monitor,
        "budgeting": slo.budgeting,
        "objective_pct": _pct(slo.objective_pct),
        "status": slo.status,
        "violated": slo.violated,
        "good": _count(slo.good),
        "total": _count(slo.total),
        "attainment_pct": _pct(slo.attainment_pct),
        "error_rate_pct": _pct(slo.error_rate_pct),
        "error_budget": budget_json(slo.budget),
        "window_items_read": slo.window_items_read,
    }


def incident_json(incident: Incident) -> dict[str, Any]:
    return {
        "alert_id": incident.alert_id,
        "rule_id": incident.rule_id,
        "name": incident.name,
        "severity": incident.severity,
        "monitor": incident.monitor,
        "started_at": _iso(incident.started_at),
        "resolved_at": _iso(incident.resolved_at),
        "ongoing": incident.ongoing,
        "recovery_s": _round(incident.recovery_s, 1),
        "within_target": incident.within_target,
    }


def trend_json(trend: Trend) -> dict[str, Any]:
    return {
        "resolution": trend.resolution,
        "points": [
            {
                "start": _iso(point.start),
                "label": point.label,
                "checks": point.checks,
                "availability_pct": _pct(point.availability_pct),
                "average_latency_ms": _ms(point.average_latency_ms),
            }
            for point in trend.points
        ],
    }


def previous_json(previous: PreviousPeriod | None) -> dict[str, Any] | None:
    if previous is None:
        return None
    change = previous.change
    return {
        "period": period_json(previous.period),
        "summary": summary_json(previous.summary),
        "change": {
            "availability_pct": _pct(change.get("availability_pct")),
            "average_latency_ms": _ms(change.get("average_latency_ms")),
            "p95_latency_ms": _ms(change.get("p95_latency_ms")),
            "error_rate_pct": _pct(change.get("error_rate_pct")),
            "health_score": _round(change.get("health_score"), 1),
            "incidents": _count(change.get("incidents")),
            "mttr_s": _round(change.get("mttr_s"), 1),
        },
        "window_items_read": previous.window_items_read,
    }


def target_json(report: TenantSlaReport | TenantRow) -> dict[str, Any]:
    target = report.target
    return {
        "availability_pct": target.availability_pct,
        "latency_ms": target.latency_ms,
        "error_rate_pct": target.error_rate_pct,
        "recovery_time_s": target.recovery_time_s,
    }


def tenant_report_json(report: TenantSlaReport) -> dict[str, Any]:
    return {
        "kind": "tenant",
        "tenant": {"id": report.tenant_id, "name": report.tenant_name, "tier": report.tier},
        "period": period_json(report.period),
        "generated_at": _iso(report.generated_at),
        "target": target_json(report),
        "summary": summary_json(report.summary),
        "violations": [violation_json(violation) for violation in report.violations],
        "monitors": [monitor_json(monitor) for monitor in report.monitors],
        "slos": [slo_json(slo) for slo in report.slos],
        "incidents": [incident_json(incident) for incident in report.incidents],
        "trend": trend_json(report.trend),
        "previous": previous_json(report.previous),
        "window_items_read": report.window_items_read,
        "notes": list(report.notes),
    }


def tenant_row_json(row: TenantRow) -> dict[str, Any]:
    summary = row.summary
    return {
        "id": row.tenant_id,
        "name": row.tenant_name,
        "tier": row.tier,
        "timezone": row.period.timezone,
        "period": {
            "label": row.period.label,
            "start": _iso(row.period.start),
            "end": _iso(row.period.end),
            "partial": row.period.partial,
        },
        "target": target_json(row),
        "status": summary.status,
        "compliant": summary.compliant,
        "checks": summary.checks,
        "availability_pct": _pct(summary.availability_pct),
        "average_latency_ms": _ms(summary.average_latency_ms),
        "p95_latency_ms": _ms(summary.p95_latency_ms),
        "error_rate_pct": _pct(summary.error_rate_pct),
        "error_budget_remaining_pct": _round(summary.budget.budget_remaining_pct, 2) if summary.budget else None,
        "health_score": _round(summary.health_score, 1),
        "incidents": summary.incidents.count,
        "ongoing_incidents": summary.incidents.ongoing,
        "mttr_s": _round(summary.incidents.mttr_s, 1),
        "violations": summary.violations,
        "violations_by_kind": dict(summary.violations_by_kind),
        "window_items_read": row.window_items_read,
    }


def platform_report_json(report: PlatformSlaReport) -> dict[str, Any]:
    return {
        "kind": "platform",
        "period": {
            "kind": report.kind.value,
            "labels": list(report.labels),
            "date": None if report.on is None else report.on.isoformat(),
        },
        "generated_at": _iso(report.generated_at),
        "summary": {
            "tenants": report.tenants,
            "compliant_tenants": report.compliant_tenants,
            "compliance_pct": _round(report.compliance_pct, 2),
            "tenants_with_data": report.tenants_with_data,
            "tenants_without_data": report.tenants_without_data,
            "average_availability_pct": _pct(report.average_availability_pct),
            "average_latency_ms": _ms(report.average_latency_ms),
            "average_error_rate_pct": _pct(report.average_error_rate_pct),
            "violations_by_kind": dict(report.violations_by_kind),
            "worst_tenants": list(report.worst_tenants),
        },
        "tenants": [tenant_row_json(row) for row in report.rows],
        "window_items_read": report.window_items_read,
    }


def slo_status_json(status: SloStatus) -> dict[str, Any]:
    """An SLO in its own window, for GET /v1/slos/{id}/status."""
    return {
        **slo_json(status.slo),
        "window": {
            "kind": status.window_kind,
            "start": _iso(status.start),
            "end": _iso(status.end),
            "window_end": _iso(status.window_end),
            "partial": status.partial,
        },
    }


# -- CSV ----------------------------------------------------------------------------------------------------------


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value) if not value.is_integer() else str(int(value))
    return str(value)


def _text(value: str | None) -> str:
    """Text from users (names): kept as it is, unless a spreadsheet would run it as a formula."""
    if not value:
        return ""
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


def _csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([_cell(value) for value in row])
    return out.getvalue()


TENANT_CSV_HEADER = (
    "tenant",
    "period",
    "row_type",
    "id",
    "name",
    "status",
    "total",
    "good",
    "availability_pct",
    "objective_pct",
    "average_latency_ms",
    "p95_latency_ms",
    "error_rate_pct",
    "budget_remaining_pct",
    "budget_remaining_minutes",
    "burn_rate",
    "incidents",
    "mttr_s",
    "violations",
)


def _kinds(violations: Iterable[Violation]) -> str:
    return ";".join(dict.fromkeys(violation.kind.value for violation in violations))


def tenant_csv(report: TenantSlaReport) -> str:
    """A tenant row (its summary), then a row per monitor and per SLO; availability_pct is an SLO's attainment,
    objective_pct the tier's availability target for monitors."""
    budget = report.summary.budget
    summary = report.summary
    lead = (report.tenant_id, report.period.label)
    rows: list[Sequence[Any]] = [
        (
            *lead,
            "tenant",
            report.tenant_id,
            _text(report.tenant_name),
            summary.status,
            summary.checks,
            summary.good_checks,
            _pct(summary.availability_pct),
            report.target.availability_pct,
            _ms(summary.average_latency_ms),
            _ms(summary.p95_latency_ms),
            _pct(summary.error_rate_pct),
            _round(budget.budget_remaining_pct, 2) if budget else None,
            _round(budget.budget_remaining_minutes, 2) if budget else None,
            _round(budget.burn_rate, 3) if budget else None,
            summary.incidents.count,
            _round(summary.incidents.mttr_s, 1),
            _kinds(report.violations),
        )
    ]
    for monitor in report.monitors:
        figures = monitor.figures
        rows.append(
            (
                *lead,
                "monitor",
                monitor.monitor_id,
                _text(monitor.name),
                monitor.status,
                figures.total if figures else None,
                figures.good if figures else None,
                _pct(figures.uptime_pct) if figures else None,
                report.target.availability_pct,
                _ms(figures.average_latency_ms) if figures else None,
                _ms(figures.p95_latency_ms) if figures else None,
                None,
                _round(figures.budget_remaining_pct, 2) if figures else None,
                _round(figures.budget_remaining_minutes, 2) if figures else None,
                _round(figures.burn_rate, 3) if figures else None,
                monitor.incidents.count,
                _round(monitor.incidents.mttr_s, 1),
                _kinds(monitor.violations),
            )
        )
    for slo in report.slos:
        slo_budget = slo.budget
        rows.append(
            (
                *lead,
                "slo",
                slo.slo_id,
                _text(slo.name),
                slo.status,
                _count(slo.total),
                _count(slo.good),
                _pct(slo.attainment_pct),
                slo.objective_pct,
                None,
                None,
                _pct(slo.error_rate_pct),
                _round(slo_budget.budget_remaining_pct, 2) if slo_budget else None,
                _round(slo_budget.budget_remaining_minutes, 2) if slo_budget else None,
                _round(slo_budget.burn_rate, 3) if slo_budget else None,
                None,
                None,
                "slo" if slo.violated else "",
            )
        )
    return _csv(TENANT_CSV_HEADER, rows)


PLATFORM_CSV_HEADER = (
    "tenant",
    "name",
    "tier",
    "timezone",
    "period",
    "start",
    "end",
    "partial",
    "status",
    "compliant",
    "checks",
    "availability_pct",
    "average_latency_ms",
    "p95_latency_ms",
    "error_rate_pct",
    "budget_remaining_pct",
    "health_score",
    "incidents",
    "ongoing_incidents",
    "mttr_s",
    "violations",
    *(f"violations_{kind.value}" for kind in ViolationKind),
)


def platform_csv(report: PlatformSlaReport) -> str:
    rows = []
    for row in report.rows:
        summary = row.summary
        rows.append(
            (
                row.tenant_id,
                _text(row.tenant_name),
                row.tier,
                row.period.timezone,
                row.period.label,
                _iso(row.period.start),
                _iso(row.period.end),
                row.period.partial,
                summary.status,
                summary.compliant,
                summary.checks,
                _pct(summary.availability_pct),
                _ms(summary.average_latency_ms),
                _ms(summary.p95_latency_ms),
                _pct(summary.error_rate_pct),
                _round(summary.budget.budget_remaining_pct, 2) if summary.budget else None,
                _round(summary.health_score, 1),
                summary.incidents.count,
                summary.incidents.ongoing,
                _round(summary.incidents.mttr_s, 1),
                summary.violations,
                *(summary.violations_by_kind.get(kind.value, 0) for kind in ViolationKind),
            )
        )
    return _csv(PLATFORM_CSV_HEADER, rows)


def report_csv(report: SlaReport) -> str:
    if isinstance(report, TenantSlaReport):
        return tenant_csv(report)
    return platform_csv(report)


# -- HTML ---------------------------------------------------------------------------------------------------------

_STYLE = """
*{box-sizing:border-box}
body{margin:0;padding:16px;font:15px/1.45 -apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;
color:#1f2328;background:#f6f8fa}
main{max-width:1100px;margin:0 auto}
h1{font-size:1.4em;margin:0 0 4px}
h2{font-size:1.1em;margin:28px 0 8px}
.meta{color:#59636e;margin:0 0 12px}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(140px,1fr));gap:8px}
.card{background:#fff;border:1px solid #d1d9e0;border-radius:8px;padding:10px}
.card b{display:block;font-size:1.3em}
.card span{color:#59636e;font-size:.85em}
.table{overflow-x:auto;background:#fff;border:1px solid #d1d9e0;border-radius:8px}
table{border-collapse:collapse;width:100%;font-size:.9em}
th,td{padding:6px 8px;border-bottom:1px solid #eef1f4;text-align:right;white-space:nowrap}
th:first-child,td:first-child,td.text,th.text{text-align:left}
td.text{white-space:normal;word-break:break-word}
th{background:#f6f8fa;font-weight:600}
tr.bad td{background:#fff1f0}
.bad{color:#b42318;font-weight:600}
.ok{color:#1a7f37}
.nodata{color:#8c959f}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;font-size:.8em;background:#eef1f4}
.badge.bad{background:#ffe4e1}
.badge.ok{background:#dafbe1}
ul.violations{background:#fff1f0;border:1px solid #ffc9c3;border-radius:8px;padding:8px 8px 8px 28px;margin:0}
.notes{background:#fff8c5;border:1px solid #eed888;border-radius:8px;padding:8px 12px}
svg.trend{display:block;width:100%;height:110px;background:#fff;border:1px solid #d1d9e0;border-radius:8px}
footer{color:#8c959f;font-size:.8em;margin-top:24px}
"""


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _fmt(value: float | None, unit: str = "", digits: int = 2) -> str:
    if value is None:
        return '<span class="nodata">no data</span>'
    text = f"{value:,.{digits}f}"
    return _e(f"{text} {unit}".strip())


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return '<span class="nodata">none</span>'
    if seconds < 3600:
        return _e(f"{seconds / 60:.1f} min")
    return _e(f"{seconds / 3600:.1f} h")


def _status_badge(status: str) -> str:
    css = {"ok": "ok", "violated": "bad", "no_data": "nodata"}.get(status, "")
    label = {"ok": "OK", "violated": "violated", "no_data": "no data"}.get(status, status)
    return f'<span class="badge {css}">{_e(label)}</span>'


def _compliant(value: bool | None) -> str:
    if value is None:
        return '<span class="nodata">no data</span>'
    return '<span class="ok">yes</span>' if value else '<span class="bad">no</span>'


def _card(label: str, value_html: str, bad: bool = False) -> str:
    value = f'<b class="bad">{value_html}</b>' if bad else f"<b>{value_html}</b>"
    return f'<div class="card"><span>{_e(label)}</span>{value}</div>'


def _table(headers: Sequence[str], rows: Iterable[tuple[Sequence[str], bool]], text_columns: int = 1) -> str:
    """Cells are HTML already (escaped by the caller); a row flagged True is highlighted."""
    head = "".join(
        f'<th class="text">{_e(name)}</th>' if index < text_columns else f"<th>{_e(name)}</th>"
        for index, name in enumerate(headers)
    )
    body = []
    for cells, bad in rows:
        tds = "".join(
            f'<td class="text">{cell}</td>' if index < text_columns else f"<td>{cell}</td>"
            for index, cell in enumerate(cells)
        )
        body.append(f'<tr class="bad">{tds}</tr>' if bad else f"<tr>{tds}</tr>")
    if not body:
        span = len(headers)
        body.append(f'<tr><td colspan="{span}" class="nodata">none</td></tr>')
    return f'<div class="table"><table><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table></div>'


def _bars(
    values: Sequence[float | None],
    labels: Sequence[str],
    scale: Callable[[float], float],
    bad: Callable[[float], bool],
    target_at: float | None,
    describe: Callable[[float], str],
) -> str:
    """An inline SVG bar per value (0..1 of the height from `scale`), red when `bad`, short and grey for no data."""
    width = max(1, len(values)) * 10
    parts = [
        f'<svg class="trend" viewBox="0 0 {width} 100" preserveAspectRatio="none" role="img" '
        f'aria-label="per-period trend" xmlns="http://www.w3.org/2000/svg">'
    ]
    for index, (value, label) in enumerate(zip(values, labels, strict=True)):
        x = index * 10 + 1
        if value is None:
            parts.append(
                f'<rect x="{x}" y="97" width="8" height="3" fill="#d1d9e0"><title>{_e(label)}: no data</title></rect>'
            )
            continue
        height = max(2.0, min(100.0, 100 * scale(value)))
        colour = "#d1242f" if bad(value) else "#2da44e"
        parts.append(
            f'<rect x="{x}" y="{100 - height:.2f}" width="8" height="{height:.2f}" fill="{colour}">'
            f"<title>{_e(label)}: {_e(describe(value))}</title></rect>"
        )
    if target_at is not None:
        y = 100 - 100 * min(1.0, max(0.0, target_at))
        parts.append(
            f'<line x1="0" y1="{y:.2f}" x2="{width}" y2="{y:.2f}" stroke="#59636e" stroke-width="0.6" '
            'stroke-dasharray="3 2" vector-effect="non-scaling-stroke"/>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _trend_html(trend: Trend, availability_target: float, latency_target: float) -> str:
    if not trend.points:
        return '<p class="nodata">No data in the period.</p>'
    labels = [point.label for point in trend.points]
    availability = [point.availability_pct for point in trend.points]
    measured = [value for value in availability if value is not None]
    lowest = min([*measured, availability_target])
    floor = max(0.0, lowest - max(0.1, 100 - lowest))

    def availability_scale(value: float) -> float:
        return (value - floor) / (100 - floor) if floor < 100 else 1.0

    latency = [point.average_latency_ms for point in trend.points]
    highest = max([value for value in latency if value is not None] + [latency_target]) * 1.1

    def latency_scale(value: float) -> float:
        return value / highest if highest else 0.0

    unit = "hour" if trend.resolution == "hour" else "day"
    return (
        f'<p class="meta">Availability per {unit} (the dashed line: the target; red: below it; the bars\' '
        f"scale starts at {_e(f'{floor:.2f}')} %)</p>"
        + _bars(
            availability,
            labels,
            availability_scale,
            lambda value: value < availability_target,
            availability_scale(availability_target),
            lambda value: f"{value:.3f} %",
        )
        + f'<p class="meta">Average response time per {unit} (dashed: the target; red: above it)</p>'
        + _bars(
            latency,
            labels,
            latency_scale,
            lambda value: value > latency_target,
            latency_scale(latency_target),
            lambda value: f"{value:.0f} ms",
        )
    )


def _page(title: str, body: str, generated_at: datetime) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(title)}</title><style>{_STYLE}</style></head><body><main>{body}"
        f"<footer>Generated {_e(generated_at.isoformat())} by vigil.</footer></main></body></html>\n"
    )


def _violations_html(violations: Sequence[Violation]) -> str:
    if not violations:
        return '<p class="ok">No violations.</p>'
    items = "".join(f"<li>{_e(violation.message)}</li>" for violation in violations)
    return f'<ul class="violations">{items}</ul>'


def _period_line(period: ReportPeriod) -> str:
    partial = ' <span class="badge">in progress</span>' if period.partial else ""
    return (
        f'<p class="meta">{_e(period.kind.value)} {_e(period.label)} in {_e(period.timezone)}: '
        f"{_e(period.first_day.isoformat())} to {_e(period.last_day.isoformat())} "
        f"({_e(period.start.strftime('%Y-%m-%d %H:%M'))} to {_e(period.end.strftime('%Y-%m-%d %H:%M'))} UTC, "
        f"{period.hours} h){partial}</p>"
    )


def _notes_html(notes: Sequence[str]) -> str:
    if not notes:
        return ""
    return '<div class="notes">' + "".join(f"<p>{_e(note)}</p>" for note in notes) + "</div>"


def tenant_html(report: TenantSlaReport) -> str:
    summary, target = report.summary, report.target
    budget = summary.budget
    cards = "".join(
        (
            _card("Status", _status_badge(summary.status)),
            _card(
                "Availability",
                _fmt(summary.availability_pct, "%", 3),
                summary.availability_pct is not None and summary.availability_pct < target.availability_pct,
            ),
            _card(
                "Average response",
                _fmt(summary.average_latency_ms, "ms", 0),
                summary.average_latency_ms is not None and summary.average_latency_ms > target.latency_ms,
            ),
            _card(
                "p95 response",
                _fmt(summary.p95_latency_ms, "ms", 0),
                summary.p95_latency_ms is not None and summary.p95_latency_ms > target.latency_ms,
            ),
            _card(
                "Error rate",
                _fmt(summary.error_rate_pct, "%", 3),
                summary.error_rate_pct is not None and summary.error_rate_pct > target.error_rate_pct,
            ),
            _card("Error budget left", _fmt(budget.budget_remaining_pct if budget else None, "%", 1)),
            _card("Budget left (min)", _fmt(budget.budget_remaining_minutes if budget else None, "min", 1)),
            _card("Health score", _fmt(summary.health_score, "", 1)),
            _card("Incidents", _e(summary.incidents.count)),
            _card("MTTR", _duration(summary.incidents.mttr_s)),
            _card("Compliant", _compliant(summary.compliant)),
        )
    )
    target_line = (
        f'<p class="meta">Tier {_e(report.tier)}: availability {_e(target.availability_pct)} %, response time '
        f"{_e(f'{target.latency_ms:g}')} ms, error rate {_e(target.error_rate_pct)} %, recovery "
        f"{_e(f'{target.recovery_time_s / 60:g}')} min</p>"
    )
    monitors = _table(
        ("Monitor", "Status", "Checks", "Availability", "Avg", "p95", "Budget left", "Burn", "Incidents", "MTTR"),
        (
            (
                (
                    f"{_e(monitor.name)}<br><small>{_e(monitor.monitor_id)} ({_e(monitor.type)})</small>",
                    _status_badge(monitor.status),
                    _e(monitor.figures.total if monitor.figures else 0),
                    _fmt(monitor.figures.uptime_pct if monitor.figures else None, "%", 3),
                    _fmt(monitor.figures.average_latency_ms if monitor.figures else None, "ms", 0),
                    _fmt(monitor.figures.p95_latency_ms if monitor.figures else None, "ms", 0),
                    _fmt(monitor.figures.budget_remaining_pct if monitor.figures else None, "%", 1),
                    _fmt(monitor.figures.burn_rate if monitor.figures else None, "", 2),
                    _e(monitor.incidents.count),
                    _duration(monitor.incidents.mttr_s),
                ),
                bool(monitor.violations),
            )
            for monitor in report.monitors
        ),
    )
    slos = _table(
        ("SLO", "Status", "Objective", "Attainment", "Good / total", "Budget left", "Budget (min)", "Burn"),
        (
            (
                (
                    f"{_e(slo.name)}<br><small>{_e(slo.slo_id)} ({_e(slo.sli)}, {_e(slo.budgeting)})</small>",
                    _status_badge(slo.status),
                    _fmt(slo.objective_pct, "%", 3),
                    _fmt(slo.attainment_pct, "%", 3),
                    _e("-" if slo.total is None else f"{slo.good or 0:,.0f} / {slo.total:,.0f}"),
                    _fmt(slo.budget.budget_remaining_pct if slo.budget else None, "%", 1),
                    _fmt(slo.budget.budget_remaining_minutes if slo.budget else None, "min", 1),
                    _fmt(slo.budget.burn_rate if slo.budget else None, "", 2),
                ),
                bool(slo.violated),
            )
            for slo in report.slos
        ),
    )
    incidents = _table(
        ("Alert", "Monitor", "Severity", "Started (UTC)", "Resolved (UTC)", "Recovery"),
        (
            (
                (
                    _e(incident.name),
                    _e(incident.monitor or "-"),
                    _e(incident.severity),
                    _e(incident.started_at.strftime("%Y-%m-%d %H:%M")),
                    _e(incident.resolved_at.strftime("%Y-%m-%d %H:%M")) if incident.resolved_at else "ongoing",
                    _duration(incident.recovery_s),
                ),
                not incident.within_target,
            )
            for incident in report.incidents
        ),
    )
    body = [
        f"<h1>SLA report: {_e(report.tenant_name)}</h1>",
        _period_line(report.period),
        target_line,
        _notes_html(report.notes),
        f'<div class="cards">{cards}</div>',
        "<h2>Violations</h2>",
        _violations_html(report.violations),
        "<h2>Trend</h2>",
        _trend_html(report.trend, target.availability_pct, target.latency_ms),
        "<h2>Monitors</h2>",
        monitors,
        "<h2>SLOs</h2>",
        slos,
        "<h2>Incidents</h2>",
        incidents,
    ]
    if report.previous is not None:
        body.extend(("<h2>Compared with the previous period</h2>", _previous_html(report.summary, report.previous)))
    body.append(f'<p class="meta">SLA window items read: {_e(report.window_items_read)}</p>')
    title = f"SLA report: {report.tenant_name}, {report.period.label}"
    return _page(title, "".join(body), report.generated_at)


def _change(value: float | None, digits: int, unit: str) -> str:
    if value is None:
        return '<span class="nodata">-</span>'
    return _e(f"{value:+,.{digits}f} {unit}".strip())


def _previous_html(current: SlaSummary, previous: PreviousPeriod) -> str:
    before = previous.summary
    change: Mapping[str, float | None] = previous.change
    rows = [
        ("Availability", _fmt(before.availability_pct, "%", 3), _fmt(current.availability_pct, "%", 3), "%", 3),
        (
            "Average response",
            _fmt(before.average_latency_ms, "ms", 0),
            _fmt(current.average_latency_ms, "ms", 0),
            "ms",
            0,
        ),
        ("p95 response", _fmt(before.p95_latency_ms, "ms", 0), _fmt(current.p95_latency_ms, "ms", 0), "ms", 0),
        ("Error rate", _fmt(before.error_rate_pct, "%", 3), _fmt(current.error_rate_pct, "%", 3), "%", 3),
        ("Health score", _fmt(before.health_score, "", 1), _fmt(current.health_score, "", 1), "", 1),
    ]
    keys = ("availability_pct", "average_latency_ms", "p95_latency_ms", "error_rate_pct", "health_score")
    table_rows = [
        ((name, then, now, _change(change.get(key), digits, unit)), False)
        for (name, then, now, unit, digits), key in zip(rows, keys, strict=True)
    ]
    table_rows.append(
        (
            (
                "Incidents",
                _e(before.incidents.count),
                _e(current.incidents.count),
                _change(change.get("incidents"), 0, ""),
            ),
            False,
        )
    )
    label = f"{previous.period.label}"
    return _table(("Figure", label, "This period", "Change"), table_rows)


def platform_html(report: PlatformSlaReport) -> str:
    labels = ", ".join(report.labels) or "-"
    cards = "".join(
        (
            _card("Tenants", _e(report.tenants)),
            _card("Compliant", _e(report.compliant_tenants)),
            _card("Compliance", _fmt(report.compliance_pct, "%", 1)),
            _card("No data", _e(report.tenants_without_data)),
            _card("Avg availability", _fmt(report.average_availability_pct, "%", 3)),
            _card("Avg response", _fmt(report.average_latency_ms, "ms", 0)),
            _card("Avg error rate", _fmt(report.average_error_rate_pct, "%", 3)),
        )
    )
    by_kind = _table(
        ("Violation", "Count"),
        (((_e(kind), _e(count)), count > 0) for kind, count in report.violations_by_kind.items()),
    )
    names = {row.tenant_id: row.tenant_name for row in report.rows}
    worst = (
        "<ol>"
        + "".join(f"<li>{_e(names.get(tenant, tenant))} ({_e(tenant)})</li>" for tenant in report.worst_tenants)
        + "</ol>"
        if report.worst_tenants
        else '<p class="nodata">none</p>'
    )
    tenants = _table(
        (
            "Tenant",
            "Tier",
            "Status",
            "Availability",
            "Avg",
            "p95",
            "Error rate",
            "Health",
            "Incidents",
            "MTTR",
            "Violations",
        ),
        (
            (
                (
                    f"{_e(row.tenant_name)}<br><small>{_e(row.tenant_id)} ({_e(row.period.label)}, "
                    f"{_e(row.period.timezone)})</small>",
                    _e(row.tier),
                    _status_badge(row.summary.status),
                    _fmt(row.summary.availability_pct, "%", 3),
                    _fmt(row.summary.average_latency_ms, "ms", 0),
                    _fmt(row.summary.p95_latency_ms, "ms", 0),
                    _fmt(row.summary.error_rate_pct, "%", 3),
                    _fmt(row.summary.health_score, "", 1),
                    _e(row.summary.incidents.count),
                    _duration(row.summary.incidents.mttr_s),
                    _e(row.summary.violations),
                ),
                row.summary.violations > 0,
            )
            for row in report.rows
        ),
    )
    body = (
        f"<h1>Platform SLA report: {_e(report.kind.value)} {_e(labels)}</h1>"
        '<p class="meta">Each tenant over its own period in its own time zone; averages over the tenants with '
        "data; compliance: compliant tenants / tenants with data.</p>"
        f'<div class="cards">{cards}</div>'
        f"<h2>Violations by kind</h2>{by_kind}"
        f"<h2>Worst tenants (lowest health score)</h2>{worst}"
        f"<h2>Tenants</h2>{tenants}"
    )
    return _page(f"Platform SLA report: {report.kind.value} {labels}", body, report.generated_at)


def report_html(report: SlaReport) -> str:
    if isinstance(report, TenantSlaReport):
        return tenant_html(report)
    return platform_html(report)
