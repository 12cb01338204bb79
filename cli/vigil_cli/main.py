"""The ``vigil`` command: subcommands come from the modules in ``COMMAND_MODULES``."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from vigil_cli import CliError

# Each module exposes register(subparsers) and sets ``func`` on its parsers.
COMMAND_MODULES = (
    "vigil_cli.local.commands",
    "vigil_cli.demo",
    "vigil_cli.import_commands",
    "vigil_cli.dlq",
    "vigil_cli.slo_commands",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="vigil", description="vigil: serverless uptime, metrics, alerting and SLA monitoring"
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module_name in COMMAND_MODULES:
        importlib.import_module(module_name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except CliError as exc:
        print(f"vigil: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
