"""The ``vigil`` command: subcommands come from the modules in ``COMMAND_MODULES``."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from vigil_cli import CliError
from vigil_cli.console import HelpFormatter

# Each module exposes register(subparsers) and sets ``func`` on its parsers.
COMMAND_MODULES = (
    "vigil_cli.monitors_commands",
    "vigil_cli.alerts_commands",
    "vigil_cli.sla_commands",
    "vigil_cli.slo_commands",
    "vigil_cli.keys_commands",
    "vigil_cli.config",
    "vigil_cli.local.commands",
    "vigil_cli.demo",
    "vigil_cli.import_commands",
    "vigil_cli.dlq",
)

# Options given before the command (`vigil --json monitors list`) that the command's own options take over.
GLOBAL_OPTIONS = {"url": "--url", "api_key": "--api-key", "profile": "--profile", "json": "--json"}

EPILOG = """\
connection: --url, --api-key and --profile may come before or after the command; otherwise VIGIL_URL, \
VIGIL_API_KEY and VIGIL_PROFILE, then the config file ($VIGIL_CONFIG, else ~/.config/vigil/config.toml), then \
the local cloud that `vigil local up` runs. `vigil config show` says what is used and why. See docs/cli.md.

exit codes: 0 done, 1 failed (the API refused, or could not be reached), 2 usage or configuration error, \
130 interrupted.

examples:
  vigil local up                          # a local vigil; then every command below works without flags
  vigil monitors list
  vigil alerts list --state firing
  vigil sla report --period monthly --format html --output sla.html
  vigil --profile prod keys list --json
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="vigil",
        description="vigil: serverless uptime, metrics, alerting and SLA monitoring",
        epilog=EPILOG,
        formatter_class=HelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}", help="print the version")
    parser.add_argument("--url", dest="global_url", metavar="URL", help="the vigil API's base URL")
    parser.add_argument("--api-key", dest="global_api_key", metavar="KEY", help="the tenant's API key")
    parser.add_argument("--profile", dest="global_profile", metavar="NAME", help="the config file's profile to use")
    parser.add_argument("--json", dest="global_json", action="store_true", help="print JSON instead of tables")
    parser.add_argument(
        "--no-color", dest="no_color", action="store_true", help="no colours in tables (as does NO_COLOR=1)"
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module_name in COMMAND_MODULES:
        importlib.import_module(module_name).register(subparsers)
    return parser


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("vigil")
    except PackageNotFoundError:
        return "dev"


def _apply_global_options(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Hand options given before the command to the command; one it has no use for is a usage error."""
    for name, flag in GLOBAL_OPTIONS.items():
        value = getattr(args, f"global_{name}")
        if not value:
            continue
        if not hasattr(args, name):
            parser.error(f"{flag} does not apply to `vigil {args.command}`")
        if not getattr(args, name):
            setattr(args, name, value)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    _apply_global_options(parser, args)
    try:
        return int(args.func(args) or 0)
    except CliError as exc:
        print(f"vigil: error: {exc}", file=sys.stderr)
        return int(getattr(exc, "exit_code", 1))
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
