"""`vigil keys create|list|revoke`: the tenant's API keys through /v1/keys."""

from __future__ import annotations

import argparse

from vigil_cli.api_client import api_from_args, path_segment
from vigil_cli.config import add_connection_options
from vigil_cli.console import Cell, Column, HelpFormatter, Output, state_cell, timestamp

SHOWN_ONCE = "this is the only time the key is shown: store it now (e.g. in a secret manager)"


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "keys",
        help="create, list and revoke the tenant's API keys",
        description="The tenant's API keys. A key is shown once, when it is created; vigil keeps only its hash.",
    )
    commands = parser.add_subparsers(dest="keys_command", required=True, metavar="COMMAND")

    create = commands.add_parser(
        "create",
        help="create an API key and print it (once)",
        description="Create an API key for the tenant and print it. It is shown only this once.",
        epilog="examples:\n  vigil keys create --label ci\n"
        "  VIGIL_API_KEY=$(vigil keys create --label ci --json | jq -r .api_key)",
        formatter_class=HelpFormatter,
    )
    create.add_argument("--label", "-l", default=None, metavar="TEXT", help="what the key is for, e.g. ci")
    add_connection_options(create, json_help="print the API's JSON, api_key included")
    create.set_defaults(func=command_create)

    list_parser = commands.add_parser(
        "list",
        help="the tenant's keys: id, label, created, revoked",
        description="List the tenant's API keys (never the keys themselves: only their ids and labels).",
    )
    add_connection_options(list_parser, json_help='print the API\'s JSON ({"keys": [...]})')
    list_parser.set_defaults(func=command_list)

    revoke = commands.add_parser(
        "revoke",
        help="revoke an API key (its requests are refused from then on)",
        description="Revoke an API key. The tenant's last active key cannot be revoked: create another first.",
        epilog="example:\n  vigil keys revoke 0a1b2c3d4e5f",
        formatter_class=HelpFormatter,
    )
    revoke.add_argument("key_id", metavar="KEY_ID", help="the key's id (see `vigil keys list`)")
    add_connection_options(revoke, json_help="print the API's JSON of the revoked key")
    revoke.set_defaults(func=command_revoke)


def command_create(args: argparse.Namespace) -> int:
    output = Output.from_args(args)
    body = {"label": args.label} if args.label is not None else None
    with api_from_args(args) as api:
        issued = api.post("/v1/keys", body)
    if output.json_mode:
        output.print_json(issued)
    else:
        output.fields(
            [
                ("key id", issued.get("key_id")),
                ("label", issued.get("label") or "-"),
                ("created", timestamp(issued.get("created_at"))),
                ("api key", Cell(str(issued.get("api_key")), "bold")),
            ]
        )
    output.warn(SHOWN_ONCE)
    return 0


def command_list(args: argparse.Namespace) -> int:
    output = Output.from_args(args)
    with api_from_args(args) as api:
        body = api.get("/v1/keys")
    if output.json_mode:
        output.print_json(body)
        return 0
    keys = [key for key in body.get("keys", []) if isinstance(key, dict)]
    if not keys:
        output.info(f"no API keys at {api.url}")
        return 0
    output.table(
        (Column("key id"), Column("label"), Column("state"), Column("created"), Column("revoked")),
        [
            [
                str(key.get("key_id")),
                str(key.get("label") or ""),
                state_cell("active" if key.get("active") else "revoked"),
                timestamp(key.get("created_at")),
                timestamp(key.get("revoked_at")) if key.get("revoked_at") else None,
            ]
            for key in keys
        ],
    )
    return 0


def command_revoke(args: argparse.Namespace) -> int:
    output = Output.from_args(args)
    with api_from_args(args) as api:
        key = api.delete(f"/v1/keys/{path_segment(args.key_id)}")
    if output.json_mode:
        output.print_json(key)
    else:
        label = key.get("label") or "no label"
        output.line(f"revoked API key {key.get('key_id')} ({label}) at {timestamp(key.get('revoked_at'))}")
    return 0
