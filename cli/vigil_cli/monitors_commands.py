"""`vigil monitors list|show|add|rm`: the tenant's monitors through /v1/monitors."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from vigil_cli import CliError
from vigil_cli.api_client import ApiError, VigilApi, api_from_args, path_segment
from vigil_cli.config import ConfigError, add_connection_options
from vigil_cli.console import Cell, Column, HelpFormatter, Output, ago, interval_text, state_cell, timestamp

MONITOR_TYPES = ("http", "tcp", "dns", "tls", "heartbeat")
HTTP_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")

LIST_COLUMNS = (
    Column("id"),
    Column("name"),
    Column("type"),
    Column("target"),
    Column("interval", "right"),
    Column("status"),
    Column("last checked"),
)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "monitors",
        help="list, show, add and delete monitors (uptime checks)",
        description="The tenant's monitors: HTTP, TCP, DNS, TLS and heartbeat checks, and their current status.",
    )
    commands = parser.add_subparsers(dest="monitors_command", required=True, metavar="COMMAND")

    list_parser = commands.add_parser(
        "list",
        help="every monitor with its status and when it was last checked",
        description="List the tenant's monitors: id, name, type, target, interval, status (UP, DEGRADED, PENDING, "
        "DOWN, MAINTENANCE; paused when disabled) and when each was last checked.",
        epilog="examples:\n  vigil monitors list\n  vigil monitors list --json | jq '.monitors[].id'",
        formatter_class=HelpFormatter,
    )
    add_connection_options(list_parser, json_help='print the API\'s JSON ({"monitors": [...]}) instead of a table')
    list_parser.set_defaults(func=command_list)

    show = commands.add_parser(
        "show",
        help="one monitor's definition and state",
        description="Show one monitor: its definition, who manages it (api or code) and its current state.",
    )
    show.add_argument("monitor_id", metavar="ID", help="the monitor's id")
    add_connection_options(show, json_help="print the API's JSON instead of text")
    show.set_defaults(func=command_show)

    add = commands.add_parser(
        "add",
        help="create a monitor from flags, or monitors from a JSON/YAML file",
        description="Create a monitor. Either describe it with flags (--name, --target, --type, ...) or give "
        "--file with full definitions: one object, a list of them, or a monitors document ({monitors: [...]}) "
        "with every field of README.md's Monitors section. The API key's tenant owns them; a `tenant` key in "
        "the file is left out. Monitors are checked by the API, which names any field it refuses.",
        epilog="examples:\n"
        "  vigil monitors add --name 'Checkout API' --target https://shop.example/health --interval 1m\n"
        "  vigil monitors add --type tcp --name 'Orders DB' --target db.internal:5432\n"
        "  vigil monitors add --file monitors.yaml --replace",
        formatter_class=HelpFormatter,
    )
    add.add_argument("--file", "-f", type=Path, metavar="FILE", help="definitions to create (JSON or YAML)")
    add.add_argument(
        "--replace",
        action="store_true",
        help="replace a monitor that already exists (same id) instead of failing",
    )
    definition = add.add_argument_group("definition", "a monitor from flags (not with --file)")
    definition.add_argument("--id", help="the monitor's id (default: made from the name)")
    definition.add_argument("--name", help="the monitor's name (required without --file)")
    definition.add_argument("--type", choices=MONITOR_TYPES, help="what to check (default: http)")
    definition.add_argument(
        "--target",
        metavar="TARGET",
        help="what to check: the URL (http), host:port (tcp, tls) or DNS name (dns); heartbeats have none",
    )
    definition.add_argument("--interval", metavar="DURATION", help="how often: 30s, 1m, 5m, 15m, 30m or 1h (API: 1m)")
    definition.add_argument("--timeout", metavar="DURATION", help="per attempt, e.g. 5s (API default: 10s)")
    definition.add_argument("--retries", type=int, metavar="N", help="immediate re-checks before a check fails")
    definition.add_argument("--method", choices=HTTP_METHODS, type=str.upper, help="HTTP method (default GET)")
    definition.add_argument(
        "--expected-status",
        action="append",
        metavar="STATUS",
        help="accepted status code (200) or class (2xx); repeat for several (default: 2xx)",
    )
    definition.add_argument(
        "--header", action="append", metavar="'NAME: VALUE'", help="HTTP request header; repeat for several"
    )
    definition.add_argument("--tag", action="append", metavar="KEY=VALUE", help="a tag; repeat for several")
    definition.add_argument("--degraded-ms", type=float, metavar="MS", help="slower than this is DEGRADED")
    definition.add_argument("--failed-ms", type=float, metavar="MS", help="slower than this is DOWN")
    definition.add_argument("--disabled", action="store_true", help="create it paused (not checked)")
    add_connection_options(add, json_help="print the API's JSON of the created monitor(s)")
    add.set_defaults(func=command_add, usage_error=add.error)

    rm = commands.add_parser(
        "rm",
        help="delete a monitor",
        description="Delete a monitor and its state. Asks first in a terminal; elsewhere --yes is required. "
        "Monitors defined in monitors.yaml are deleted there, not here.",
        epilog="example:\n  vigil monitors rm checkout-api --yes",
        formatter_class=HelpFormatter,
    )
    rm.add_argument("monitor_id", metavar="ID", help="the monitor's id")
    rm.add_argument("--yes", "-y", action="store_true", help="delete without asking")
    add_connection_options(rm, json_help='print {"id": ID, "deleted": true} when done')
    rm.set_defaults(func=command_rm)


# --- list and show ---------------------------------------------------------------------------------


def _status_cell(monitor: dict[str, Any]) -> Cell:
    if monitor.get("enabled") is False:
        return state_cell("paused")
    state = monitor.get("state") or {}
    status = state.get("status") if isinstance(state, dict) else None
    return state_cell(status, text="not checked yet" if status is None else None)


def _target(monitor: dict[str, Any]) -> str:
    if monitor.get("type") == "heartbeat":
        return str(monitor.get("heartbeat_url_path") or "-")
    return str(monitor.get("target") or "-")


def monitor_row(monitor: dict[str, Any]) -> list[str | Cell | None]:
    state = monitor.get("state") or {}
    return [
        str(monitor.get("id", "?")),
        str(monitor.get("name", "")),
        str(monitor.get("type", "")),
        _target(monitor),
        interval_text(monitor.get("interval")),
        _status_cell(monitor),
        ago(state.get("last_checked_at") if isinstance(state, dict) else None),
    ]


def command_list(args: argparse.Namespace) -> int:
    output = Output.from_args(args)
    with api_from_args(args) as api:
        body = api.get("/v1/monitors")
    if output.json_mode:
        output.print_json(body)
        return 0
    monitors = [monitor for monitor in body.get("monitors", []) if isinstance(monitor, dict)]
    if not monitors:
        output.info(f"no monitors yet at {api.url}: add one with `vigil monitors add`")
        return 0
    output.table(LIST_COLUMNS, [monitor_row(monitor) for monitor in monitors])
    return 0


def command_show(args: argparse.Namespace) -> int:
    output = Output.from_args(args)
    with api_from_args(args) as api:
        monitor = api.get(f"/v1/monitors/{path_segment(args.monitor_id)}")
    if output.json_mode:
        output.print_json(monitor)
        return 0
    state = monitor.get("state") or {}
    skipped = {"id", "name", "type", "target", "interval", "enabled", "managed_by", "state", "created_at", "updated_at"}
    pairs: list[tuple[str, str | Cell | None]] = [
        ("id", monitor.get("id")),
        ("name", monitor.get("name")),
        ("type", monitor.get("type")),
        ("target", _target(monitor)),
        ("interval", interval_text(monitor.get("interval"))),
        ("status", _status_cell(monitor)),
        ("since", timestamp(state.get("since"))),
        ("last checked", f"{timestamp(state.get('last_checked_at'))} ({ago(state.get('last_checked_at'))})"),
        ("failures in a row", str(state.get("consecutive_failures", "-"))),
        ("managed by", monitor.get("managed_by")),
        ("created", timestamp(monitor.get("created_at"))),
        ("updated", timestamp(monitor.get("updated_at"))),
    ]
    pairs += [(key.replace("_", " "), _compact(value)) for key, value in monitor.items() if key not in skipped]
    output.fields(pairs)
    return 0


def _compact(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


# --- add -------------------------------------------------------------------------------------------

_DEFINITION_FLAGS = (
    "id",
    "name",
    "type",
    "target",
    "interval",
    "timeout",
    "retries",
    "method",
    "expected_status",
    "header",
    "tag",
    "degraded_ms",
    "failed_ms",
)


def definition_from_flags(args: argparse.Namespace) -> dict[str, Any]:
    """The monitor the flags describe, with only the fields given (the API fills in its defaults)."""
    kind = args.type or "http"
    if not args.name:
        args.usage_error("--name is required (or give --file)")
    if kind != "heartbeat" and not args.target:
        args.usage_error(f"--target is required for a {kind} monitor (the URL, host:port or DNS name to check)")
    if kind == "heartbeat" and args.target:
        args.usage_error("a heartbeat monitor has no --target: the app calls its heartbeat URL")
    body: dict[str, Any] = {"type": kind, "name": args.name}
    if args.id:
        body["id"] = args.id
    if args.target:
        body["target"] = args.target
    for flag in ("interval", "timeout", "retries", "method", "degraded_ms", "failed_ms"):
        value = getattr(args, flag)
        if value is not None:
            body[flag] = value
    if args.expected_status:
        body["expected_status"] = [int(status) if status.isdigit() else status for status in args.expected_status]
    if args.header:
        body["headers"] = dict(_split(text, ":", "--header", "'NAME: VALUE'", args) for text in args.header)
    if args.tag:
        body["tags"] = dict(_split(text, "=", "--tag", "KEY=VALUE", args) for text in args.tag)
    if args.disabled:
        body["enabled"] = False
    return body


def _split(text: str, separator: str, flag: str, shape: str, args: argparse.Namespace) -> tuple[str, str]:
    name, found, value = text.partition(separator)
    if not found or not name.strip():
        args.usage_error(f"{flag} {text!r} is not {shape}")
    return name.strip(), value.strip()


def read_definitions(path: Path) -> list[dict[str, Any]]:
    """Monitor definitions from a JSON or YAML file: an object, a list, or {monitors: [...]}."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise CliError(f"cannot read {path}: {exc.strerror or exc}") from None
    import yaml

    kind = "JSON" if path.suffix.lower() == ".json" else "YAML"
    try:
        document = json.loads(text) if kind == "JSON" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:
        raise CliError(f"{path} is not valid {kind}: {exc}") from None
    entries = document.get("monitors") if isinstance(document, dict) and "monitors" in document else document
    if isinstance(entries, dict):
        entries = [entries]
    if not isinstance(entries, list):
        raise CliError(f"{path}: expected a monitor, a list of monitors or {{monitors: [...]}}")
    if not entries:
        raise CliError(f"{path} has no monitors")
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise CliError(f"{path}: monitors[{index}] is not an object")
    return entries


def _monitor_id(body: dict[str, Any]) -> str | None:
    """The id the API gives the monitor: its id, else one made from its name, as the API makes it."""
    if isinstance(body.get("id"), str):
        return str(body["id"])
    if isinstance(body.get("name"), str):
        from vigil_core.models.monitors import slugify

        return slugify(body["name"])
    return None


def create_monitor(api: VigilApi, body: dict[str, Any], replace: bool) -> tuple[dict[str, Any], str]:
    """POST the monitor; with `replace`, PUT it over one with the same id. Returns (monitor, what was done)."""
    try:
        return api.post("/v1/monitors", body), "created"
    except ApiError as exc:
        monitor_id = _monitor_id(body)
        if not (replace and exc.status == 409 and monitor_id and "already exists" in exc.message):
            raise
        return api.put(f"/v1/monitors/{path_segment(monitor_id)}", body), "replaced"


def command_add(args: argparse.Namespace) -> int:
    output = Output.from_args(args)
    if args.file is not None:
        given = [f"--{flag.replace('_', '-')}" for flag in _DEFINITION_FLAGS if getattr(args, flag)]
        if given or args.disabled:
            args.usage_error(f"{', '.join(given) or '--disabled'}: not with --file (put it in the file)")
        return _add_from_file(args, output)
    body = definition_from_flags(args)
    with api_from_args(args) as api:
        monitor, done = create_monitor(api, body, args.replace)
    if output.json_mode:
        output.print_json(monitor)
    else:
        output.line(f"{done} monitor {monitor.get('id')}: {_summary(monitor)}")
    return 0


def _summary(monitor: dict[str, Any]) -> str:
    return f"{monitor.get('type')} {_target(monitor)} every {interval_text(monitor.get('interval'))}"


def _add_from_file(args: argparse.Namespace, output: Output) -> int:
    entries = read_definitions(args.file)
    if any("tenant" in entry for entry in entries):
        output.warn(f"{args.file} names tenants: the monitors go to the API key's tenant, `tenant` is left out")
    created: list[dict[str, Any]] = []
    rows: list[list[str | Cell | None]] = []
    failures = 0
    with api_from_args(args) as api, output.progress(len(entries), f"adding monitors from {args.file}") as progress:
        for index, entry in enumerate(entries):
            body = {key: value for key, value in entry.items() if key != "tenant"}
            label = str(body.get("id") or body.get("name") or f"monitors[{index}]")
            try:
                monitor, done = create_monitor(api, body, args.replace)
            except ApiError as exc:
                failures += 1
                output.info(f"vigil: {args.file}: monitors[{index}] ({label}): {exc}")
                rows.append([label, Cell("failed", "red"), exc.message])
            else:
                created.append(monitor)
                rows.append([str(monitor.get("id")), Cell(done, "green"), _summary(monitor)])
            progress.advance()
    if output.json_mode:
        output.print_json({"monitors": created})
    else:
        output.table((Column("monitor"), Column("result"), Column("details")), rows)
    if failures:
        raise CliError(f"{failures} of {len(entries)} monitors from {args.file} were not added (see above)")
    return 0


# --- rm --------------------------------------------------------------------------------------------


def command_rm(args: argparse.Namespace) -> int:
    output = Output.from_args(args)
    if not args.yes:
        if not output.can_ask():
            raise ConfigError(f"not deleting monitor {args.monitor_id} without confirmation: pass --yes")
        if not output.ask_yes_no(f"delete monitor {args.monitor_id} and its state?"):
            raise CliError(f"monitor {args.monitor_id} was not deleted")
    with api_from_args(args) as api:
        api.delete(f"/v1/monitors/{path_segment(args.monitor_id)}")
    if output.json_mode:
        output.print_json({"id": args.monitor_id, "deleted": True})
    else:
        output.line(f"deleted monitor {args.monitor_id}")
    return 0
