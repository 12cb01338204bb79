"""`vigil alerts list|ack|resolve` and `vigil silences add|list|rm`: /v1/alerts and /v1/silences."""

from __future__ import annotations

import argparse
import getpass
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from vigil_cli.api_client import api_from_args, path_segment
from vigil_cli.config import add_connection_options
from vigil_cli.console import Cell, CellValue, Column, HelpFormatter, Output, ago, number, state_cell, timestamp

ALERT_STATES = ("pending", "firing", "acknowledged", "resolved")
SEVERITIES = ("info", "warning", "error", "critical")
API_PAGE_LIMIT = 200  # the most GET /v1/alerts returns per page
DEFAULT_LIMIT = 50
# Labels every alert has; the others say what it is about.
_ALWAYS_THERE = frozenset({"alertname", "severity"})
_MATCHER = re.compile(r"^\s*([^=!~\s]+)\s*(=~|!~|!=|=)(.*)$", re.DOTALL)
_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)([smhdw])")
_DURATION_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    _register_alerts(subparsers)
    _register_silences(subparsers)


def _register_alerts(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "alerts",
        help="list, acknowledge and resolve alerts",
        description="The tenant's alerts: from alert rules, monitors and apps (POST /v1/alerts).",
    )
    commands = parser.add_subparsers(dest="alerts_command", required=True, metavar="COMMAND")

    list_parser = commands.add_parser(
        "list",
        help="alerts, newest change first, optionally by state and severity",
        description="List alerts with their state, severity, what they are about and when they last changed.",
        epilog="examples:\n  vigil alerts list --state firing\n  vigil alerts list --severity critical --json",
        formatter_class=HelpFormatter,
    )
    list_parser.add_argument("--state", "--status", dest="state", choices=ALERT_STATES, help="only alerts in STATE")
    list_parser.add_argument("--severity", choices=SEVERITIES, help="only alerts of this severity")
    list_parser.add_argument(
        "--limit",
        type=_positive_int,
        default=DEFAULT_LIMIT,
        metavar="N",
        help=f"show at most N alerts (default {DEFAULT_LIMIT}; more pages are fetched as needed)",
    )
    add_connection_options(list_parser, json_help='print the API\'s JSON ({"alerts": [...]}) instead of a table')
    list_parser.set_defaults(func=command_list)

    for name, verb, field, text in (
        ("ack", "acknowledge", "notes", "acknowledge an alert: someone is on it (notifications stop repeating)"),
        ("resolve", "resolve", "resolution_notes", "resolve an alert by hand"),
    ):
        command = commands.add_parser(name, help=text, description=text[0].upper() + text[1:] + ".")
        command.add_argument("alert_id", metavar="ID", help="the alert's id (see `vigil alerts list`)")
        command.add_argument("--comment", "-m", metavar="TEXT", help=f"a note kept with the alert ({field})")
        command.add_argument("--by", metavar="NAME", help="who did it (default: the API key's name)")
        add_connection_options(command, json_help="print the API's JSON of the alert")
        command.set_defaults(func=command_transition, verb=verb, notes_field=field)


def _register_silences(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "silences",
        help="mute notifications of matching alerts for a while",
        description="Silences mute the notifications of alerts whose labels match all their matchers, from "
        "their start until their end; the alerts are still recorded.",
    )
    commands = parser.add_subparsers(dest="silences_command", required=True, metavar="COMMAND")

    add = commands.add_parser(
        "add",
        help="create a silence",
        description="Create a silence. Matchers are written as Alertmanager writes them: label=value, "
        "label!=value, label=~regex or label!~regex (regexes match the whole value). Give how long it lasts "
        "(--duration) or when it ends (--ends).",
        epilog="examples:\n"
        "  vigil silences add --matcher monitor=checkout-api --duration 2h --comment 'deploy'\n"
        "  vigil silences add -m 'alertname=~service-.*' -m env=staging --ends 2026-12-01T08:00Z "
        "--comment 'migration'",
        formatter_class=HelpFormatter,
    )
    add.add_argument(
        "--matcher",
        "-m",
        action="append",
        required=True,
        type=parse_matcher,
        metavar="MATCHER",
        help="label=value, label!=value, label=~regex or label!~regex; repeat: all must match",
    )
    ends = add.add_mutually_exclusive_group(required=True)
    ends.add_argument("--duration", "-d", type=parse_duration, metavar="DURATION", help="how long: 30m, 2h, 1d, 1h30m")
    ends.add_argument(
        "--ends",
        type=parse_time_arg,
        metavar="TIME",
        help="when it ends: ISO 8601 (2026-12-01T08:00Z; without an offset, this machine's time zone)",
    )
    add.add_argument("--starts", type=parse_time_arg, metavar="TIME", help="when it starts (default: now)")
    add.add_argument("--comment", "-c", required=True, metavar="TEXT", help="why (required)")
    add.add_argument("--created-by", metavar="NAME", help="who made it (default: your user name)")
    add_connection_options(add, json_help="print the API's JSON of the silence")
    add.set_defaults(func=command_silence_add)

    list_parser = commands.add_parser(
        "list",
        help="active and pending silences (--all: expired ones too)",
        description="List silences: state (active, pending, expired), matchers, end and comment.",
    )
    list_parser.add_argument("--all", "-a", action="store_true", help="include expired silences")
    add_connection_options(list_parser, json_help='print the API\'s JSON ({"silences": [...]}, every one)')
    list_parser.set_defaults(func=command_silence_list)

    rm = commands.add_parser(
        "rm",
        help="end a silence now",
        description="End a silence now; it is kept, expired, for the record. Its alerts notify again at the "
        "next flush.",
    )
    rm.add_argument("silence_id", metavar="ID", help="the silence's id (see `vigil silences list`)")
    add_connection_options(rm, json_help="print the API's JSON of the expired silence")
    rm.set_defaults(func=command_silence_rm)


# --- argument types --------------------------------------------------------------------------------


def _positive_int(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number >= 1")
    return int(text)


def parse_matcher(text: str) -> dict[str, str]:
    """label=value, label!=value, label=~regex, label!~regex as the API's matcher object."""
    match = _MATCHER.match(text)
    if match is None:
        raise argparse.ArgumentTypeError(f"{text!r} is not label=value, label!=value, label=~regex or label!~regex")
    label, op, value = match.groups()
    return {"label": label, "op": op, "value": value.strip()}


def parse_duration(text: str) -> timedelta:
    """30s, 15m, 2h, 1d, 1w or several together (1h30m)."""
    compact = text.strip().lower().replace(" ", "")
    parts = _DURATION_PART.findall(compact)
    if not compact or "".join(number + unit for number, unit in parts) != compact:
        raise argparse.ArgumentTypeError(f"{text!r} is not a duration such as 30m, 2h, 1d or 1h30m")
    seconds = sum(float(number) * _DURATION_UNITS[unit] for number, unit in parts)
    if seconds <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive duration")
    return timedelta(seconds=seconds)


def parse_time_arg(text: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO 8601 time such as 2026-12-01T08:00Z") from None
    return parsed if parsed.tzinfo else parsed.astimezone()  # naive: this machine's local time


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


# --- alerts ----------------------------------------------------------------------------------------


def _about(alert: dict[str, Any]) -> str:
    labels = alert.get("group_labels") or {
        key: value for key, value in (alert.get("labels") or {}).items() if key not in _ALWAYS_THERE
    }
    return " ".join(f"{key}={value}" for key, value in sorted(labels.items())) or "-"


def alert_row(alert: dict[str, Any]) -> list[CellValue]:
    return [
        str(alert.get("id", "?")),
        state_cell(alert.get("status")),
        state_cell(alert.get("severity")),
        str(alert.get("rule_name") or alert.get("rule_id") or "-"),
        _about(alert),
        number(alert.get("value"), 2) if alert.get("value") is not None else None,
        ago(alert.get("changed_at")),
    ]


ALERT_COLUMNS = (
    Column("id"),
    Column("state"),
    Column("severity"),
    Column("name"),
    Column("about"),
    Column("value", "right"),
    Column("changed"),
)


def command_list(args: argparse.Namespace) -> int:
    output = Output.from_args(args)
    alerts: list[dict[str, Any]] = []
    cursor: str | None = None
    with api_from_args(args) as api:
        while True:
            page = api.get(
                "/v1/alerts",
                params={
                    "status": args.state,
                    "severity": args.severity,
                    "limit": str(min(API_PAGE_LIMIT, args.limit - len(alerts))),
                    "cursor": cursor,
                },
            )
            alerts += page.get("alerts", [])
            cursor = page.get("next_cursor")
            if not cursor or len(alerts) >= args.limit:
                break
    if output.json_mode:
        output.print_json({"alerts": alerts, **({"next_cursor": cursor} if cursor else {})})
        return 0
    if not alerts:
        which = " ".join(filter(None, (args.severity, args.state)))
        output.info(f"no {which + ' ' if which else ''}alerts at {api.url}")
        return 0
    output.table(ALERT_COLUMNS, [alert_row(alert) for alert in alerts])
    if cursor:
        output.info(f"showing the first {len(alerts)}; --limit shows more")
    return 0


def command_transition(args: argparse.Namespace) -> int:
    output = Output.from_args(args)
    body = {key: value for key, value in ((args.notes_field, args.comment), ("by", args.by)) if value is not None}
    with api_from_args(args) as api:
        alert = api.post(f"/v1/alerts/{path_segment(args.alert_id)}/{args.verb}", body)
    if output.json_mode:
        output.print_json(alert)
    else:
        done = "acknowledged" if args.verb == "acknowledge" else "resolved"
        output.line(f"{done} alert {alert.get('id')} ({alert.get('rule_name')}); it is {alert.get('status')} now")
    return 0


# --- silences --------------------------------------------------------------------------------------


def _user() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no user name in the environment or the password database
        return "vigil-cli"


def matchers_text(matchers: Any) -> str:
    if not isinstance(matchers, list):
        return "-"
    return ", ".join(
        f"{matcher.get('label')}{matcher.get('op', '=')}{matcher.get('value')}"
        for matcher in matchers
        if isinstance(matcher, dict)
    )


def command_silence_add(args: argparse.Namespace) -> int:
    output = Output.from_args(args)
    starts: datetime | None = args.starts
    ends: datetime = args.ends if args.ends is not None else (starts or datetime.now(UTC)) + args.duration
    body: dict[str, Any] = {
        "matchers": args.matcher,
        "ends_at": _iso(ends),
        "created_by": args.created_by or _user(),
        "comment": args.comment,
    }
    if starts is not None:
        body["starts_at"] = _iso(starts)
    with api_from_args(args) as api:
        silence = api.post("/v1/silences", body)
    if output.json_mode:
        output.print_json(silence)
    else:
        output.line(
            f"silence {silence.get('id')} ({silence.get('state')}) mutes {matchers_text(silence.get('matchers'))} "
            f"until {timestamp(silence.get('ends_at'))}"
        )
    return 0


SILENCE_COLUMNS = (
    Column("id"),
    Column("state"),
    Column("matchers"),
    Column("starts"),
    Column("ends"),
    Column("created by"),
    Column("comment"),
)


def command_silence_list(args: argparse.Namespace) -> int:
    output = Output.from_args(args)
    with api_from_args(args) as api:
        body = api.get("/v1/silences")
    if output.json_mode:
        output.print_json(body)
        return 0
    silences = [silence for silence in body.get("silences", []) if isinstance(silence, dict)]
    shown = [silence for silence in silences if args.all or silence.get("state") != "expired"]
    hidden = len(silences) - len(shown)
    if shown:
        output.table(
            SILENCE_COLUMNS,
            [
                [
                    str(silence.get("id")),
                    state_cell(silence.get("state")),
                    matchers_text(silence.get("matchers")),
                    timestamp(silence.get("starts_at")),
                    Cell(f"{timestamp(silence.get('ends_at'))} ({ago(silence.get('ends_at'))})"),
                    str(silence.get("created_by", "")),
                    str(silence.get("comment", "")),
                ]
                for silence in shown
            ],
        )
    else:
        output.info(f"no {'' if args.all else 'active or pending '}silences at {api.url}")
    if hidden:
        output.info(f"{hidden} expired silence(s) not shown; --all shows them")
    return 0


def command_silence_rm(args: argparse.Namespace) -> int:
    output = Output.from_args(args)
    with api_from_args(args) as api:
        silence = api.delete(f"/v1/silences/{path_segment(args.silence_id)}")
    if output.json_mode:
        output.print_json(silence)
    else:
        output.line(f"silence {silence.get('id')} has ended ({matchers_text(silence.get('matchers'))})")
    return 0
