"""`vigil sla report`: a tenant's (or, for an operator, the platform's) SLA report from /v1/reports/sla,
summarised as tables, or the report itself as JSON, CSV or HTML."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path
from typing import Any

from vigil_cli import CliError
from vigil_cli.api_client import ApiError, api_from_args
from vigil_cli.config import add_connection_options
from vigil_cli.console import Cell, CellValue, Column, HelpFormatter, Output, number, short_span, state_cell, timestamp

PERIODS = ("daily", "weekly", "monthly", "quarterly")
FORMATS = ("json", "csv", "html")
# A platform report reads every tenant's windows: give it longer than a plain request.
REPORT_TIMEOUT_S = 120.0


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "sla",
        help="SLA reports: availability, latency, error budget and incidents against the tier's targets",
        description="SLA reports of a tenant, or of the whole platform for an operator's key.",
    )
    commands = parser.add_subparsers(dest="sla_command", required=True, metavar="COMMAND")
    report = commands.add_parser(
        "report",
        help="a period's SLA report: a summary in the terminal, or the JSON, CSV or HTML document",
        description="Fetch the SLA report of a tenant (--tenant; default: the profile's or the local cloud's "
        "tenant) or of the platform (--platform, or no tenant known; needs an operator's key) for a period. "
        "Without --format, --json or --output it prints a summary; with them the report document itself, "
        "to stdout or to FILE (the format follows FILE's extension when --format is not given).",
        epilog="examples:\n"
        "  vigil sla report                                    # this month so far, as tables\n"
        "  vigil sla report --period daily --date 2026-11-02\n"
        "  vigil sla report --format csv > sla.csv\n"
        "  vigil sla report --period monthly --date 2026-10-01 --output sla-october.html\n"
        "  vigil sla report --platform --json                  # operators: every tenant",
        formatter_class=HelpFormatter,
    )
    whose = report.add_mutually_exclusive_group()
    whose.add_argument("--tenant", "-t", metavar="TENANT", help="the tenant to report on")
    whose.add_argument("--platform", action="store_true", help="the platform-wide report (an operator's key)")
    report.add_argument("--period", "-p", choices=PERIODS, help="the report's period (default: monthly)")
    report.add_argument(
        "--date", type=_iso_date, metavar="YYYY-MM-DD", help="a day in the period (default: the current one)"
    )
    report.add_argument("--format", choices=FORMATS, help="print (or write) the report document in this format")
    report.add_argument("--output", "-o", type=Path, metavar="FILE", help="write the report document to FILE")
    add_connection_options(report, json_help="print the report's JSON (the same as --format json)")
    report.set_defaults(func=command_report, usage_error=report.error)


def _iso_date(text: str) -> str:
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def _document_format(args: argparse.Namespace) -> str | None:
    """The format of the document to print or write; None for the summary."""
    if args.json and args.format not in (None, "json"):
        args.usage_error(f"--json and --format {args.format} do not go together")
    if args.format:
        return str(args.format)
    if args.json:
        return "json"
    if args.output is not None:
        suffix = args.output.suffix.lower().lstrip(".")
        return {"htm": "html"}.get(suffix, suffix) if suffix in (*FORMATS, "htm") else "json"
    return None


def command_report(args: argparse.Namespace) -> int:
    output = Output.from_args(args)
    fmt = _document_format(args)
    with api_from_args(args, timeout_s=REPORT_TIMEOUT_S, as_operator=args.platform) as api:
        tenant = None if args.platform else args.tenant or api.connection.tenant
        params = {"tenant": tenant, "period": args.period, "date": args.date, "format": fmt or "json"}
        whose = f"tenant {tenant}" if tenant else "the platform"
        try:
            with output.status(f"building the SLA report of {whose} ..."):
                response = api.send("GET", "/v1/reports/sla", params=params)
        except ApiError as exc:
            if exc.status == 403 and tenant is None:
                hint = "name the tenant with --tenant TENANT (or `tenant` in the profile, or VIGIL_TENANT)"
                raise ApiError(exc.status, exc.message, code=exc.code, problems=exc.problems, hint=hint) from None
            raise
    if fmt is None:
        _summary(output, response.json())
        return 0
    if args.output is not None:
        try:
            args.output.write_bytes(response.content)
        except OSError as exc:
            raise CliError(f"cannot write {args.output}: {exc.strerror or exc}") from None
        output.info(f"wrote the {fmt} SLA report of {whose} to {args.output} ({len(response.content)} bytes)")
    elif args.json and fmt == "json":
        output.print_json(response.json())
    else:
        text = response.text
        output.stdout.write(text if text.endswith("\n") else text + "\n")
    return 0


# --- the summary -----------------------------------------------------------------------------------


def _pct(value: Any) -> str:
    return number(value, 4 if isinstance(value, float) and value > 99 else 2, " %")


def _target(value: Any, unit: str) -> str:
    return f" (target {value:g}{unit})" if isinstance(value, int | float) else ""


def _period(period: dict[str, Any]) -> str:
    text = f"{period.get('kind', '?')} {period.get('label', '')}".strip()
    first, last = period.get("first_day"), period.get("last_day")
    if first and last:
        text += f" ({first} to {last}, {period.get('timezone', 'UTC')})"
    return text + (", so far" if period.get("partial") else "")


def _budget(budget: Any) -> str:
    if not isinstance(budget, dict) or budget.get("remaining_pct") is None:
        return "-"
    burn = budget.get("burn_rate")
    return f"{budget['remaining_pct']:g} % left" + (f", burn rate {burn:g}" if isinstance(burn, int | float) else "")


def _summary(output: Output, report: dict[str, Any]) -> None:
    if report.get("kind") == "platform":
        _platform_summary(output, report)
    else:
        _tenant_summary(output, report)


def _tenant_summary(output: Output, report: dict[str, Any]) -> None:
    tenant, summary, target = report.get("tenant", {}), report.get("summary", {}), report.get("target", {})
    incidents = summary.get("incidents", {})
    mttr = summary.get("mttr_s")
    output.fields(
        [
            ("tenant", f"{tenant.get('id')} ({tenant.get('name')}, {tenant.get('tier')} tier)"),
            ("period", _period(report.get("period", {}))),
            ("status", state_cell(summary.get("status"))),
            ("availability", _pct(summary.get("availability_pct")) + _target(target.get("availability_pct"), " %")),
            (
                "latency",
                f"avg {number(summary.get('average_latency_ms'), 1, ' ms')}, "
                f"p95 {number(summary.get('p95_latency_ms'), 1, ' ms')}" + _target(target.get("latency_ms"), " ms"),
            ),
            ("error rate", _pct(summary.get("error_rate_pct")) + _target(target.get("error_rate_pct"), " %")),
            ("error budget", _budget(summary.get("error_budget"))),
            (
                "incidents",
                f"{incidents.get('count', 0)} ({incidents.get('ongoing', 0)} ongoing)"
                + (f", MTTR {short_span(mttr)}" if isinstance(mttr, int | float) else ""),
            ),
            ("health score", number(summary.get("health_score"), 1)),
            ("violations", Cell(str(summary.get("violations", 0)), "red" if summary.get("violations") else None)),
        ]
    )
    monitors = report.get("monitors", [])
    if monitors:
        output.line()
        output.table(
            (
                Column("monitor"),
                Column("name"),
                Column("status"),
                Column("availability", "right"),
                Column("avg ms", "right"),
                Column("p95 ms", "right"),
                Column("error budget"),
                Column("incidents", "right"),
            ),
            [
                [
                    str(monitor.get("id")),
                    str(monitor.get("name", "")),
                    state_cell(monitor.get("status")),
                    _pct(monitor.get("availability_pct")),
                    number(monitor.get("average_latency_ms"), 1),
                    number(monitor.get("p95_latency_ms"), 1),
                    _budget(monitor.get("error_budget")),
                    str((monitor.get("incidents") or {}).get("count", 0)),
                ]
                for monitor in monitors
            ],
        )
    slos = report.get("slos", [])
    if slos:
        output.line()
        output.table(
            (
                Column("slo"),
                Column("name"),
                Column("status"),
                Column("objective", "right"),
                Column("attainment", "right"),
                Column("error budget"),
            ),
            [
                [
                    str(slo.get("id")),
                    str(slo.get("name", "")),
                    state_cell(slo.get("status")),
                    _pct(slo.get("objective_pct")),
                    _pct(slo.get("attainment_pct")),
                    _budget(slo.get("error_budget")),
                ]
                for slo in slos
            ],
        )
    violations = report.get("violations", [])
    if violations:
        output.line()
        output.line("violations:", "bold")
        for violation in violations:
            output.line(f"  {timestamp(violation.get('at'))}  {violation.get('message')}", "red")


def _platform_summary(output: Output, report: dict[str, Any]) -> None:
    period, summary = report.get("period", {}), report.get("summary", {})
    output.fields(
        [
            ("report", "platform"),
            ("period", f"{period.get('kind')} {', '.join(period.get('labels', []))}"),
            (
                "tenants",
                f"{summary.get('tenants', 0)}, {summary.get('compliant_tenants', 0)} compliant "
                f"({number(summary.get('compliance_pct'), 2, ' %')}), "
                f"{summary.get('tenants_without_data', 0)} without data",
            ),
            ("availability", f"{_pct(summary.get('average_availability_pct'))} on average"),
            ("latency", f"{number(summary.get('average_latency_ms'), 1, ' ms')} on average"),
            ("error rate", f"{_pct(summary.get('average_error_rate_pct'))} on average"),
            ("worst tenants", ", ".join(summary.get("worst_tenants", [])) or "-"),
        ]
    )
    rows: list[list[CellValue]] = [
        [
            str(row.get("id")),
            str(row.get("name", "")),
            str(row.get("tier", "")),
            state_cell(row.get("status")),
            _pct(row.get("availability_pct")),
            _pct((row.get("target") or {}).get("availability_pct")),
            number(row.get("p95_latency_ms"), 1),
            _pct(row.get("error_rate_pct")),
            number(row.get("error_budget_remaining_pct"), 2, " %"),
            str(row.get("incidents", 0)),
            str(row.get("violations", 0)),
        ]
        for row in report.get("tenants", [])
    ]
    if rows:
        output.line()
        output.table(
            (
                Column("tenant"),
                Column("name"),
                Column("tier"),
                Column("status"),
                Column("availability", "right"),
                Column("target", "right"),
                Column("p95 ms", "right"),
                Column("error rate", "right"),
                Column("budget left", "right"),
                Column("incidents", "right"),
                Column("violations", "right"),
            ),
            rows,
        )
