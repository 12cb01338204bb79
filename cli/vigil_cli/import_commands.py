"""`vigil import SOURCE FILE`: converts another monitoring tool's configuration into a vigil monitors document."""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from vigil_cli import CliError
from vigil_cli.gatus_import import DEFAULT_TENANT, convert_gatus_config, read_gatus_config, render_monitors_document
from vigil_core.models.tenants import TENANT_ID_PATTERN


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "import",
        help="convert another tool's monitoring configuration into vigil monitors",
        description="Convert another tool's monitoring configuration into a vigil monitors document.",
    )
    sources = parser.add_subparsers(dest="import_source", required=True, metavar="SOURCE")
    gatus = sources.add_parser(
        "gatus",
        help="convert a Gatus config.yaml",
        description="Convert the endpoints of a Gatus configuration into vigil monitors. The document goes to "
        "stdout (or OUT); what could not be converted is reported on stderr, one line per problem.",
    )
    gatus.add_argument("file", metavar="FILE", type=Path, help="the Gatus configuration (YAML)")
    gatus.add_argument(
        "--tenant",
        default=DEFAULT_TENANT,
        metavar="T",
        help=f"tenant the monitors belong to (default {DEFAULT_TENANT})",
    )
    gatus.add_argument("--output", "-o", type=Path, metavar="OUT", help="write the document to OUT instead of stdout")
    gatus.set_defaults(func=command_gatus)


def command_gatus(args: argparse.Namespace) -> int:
    if not re.fullmatch(TENANT_ID_PATTERN, args.tenant):
        raise CliError(f"--tenant {args.tenant!r} is not a tenant id (2-63 characters: a-z, 0-9 and -)")
    config = read_gatus_config(args.file)
    conversion = convert_gatus_config(config, tenant=args.tenant)
    for problem in conversion.problems:
        print(problem, file=sys.stderr)
    if not conversion.monitors:
        raise CliError(f"none of the {conversion.endpoint_count} endpoints of {args.file} could be converted")
    document = render_monitors_document(conversion.monitors, source=args.file.name)
    if args.output is None:
        sys.stdout.write(document)
    else:
        try:
            args.output.write_text(document, encoding="utf-8")
        except OSError as exc:
            raise CliError(f"cannot write {args.output}: {exc.strerror or exc}") from None
    destination = f" into {args.output}" if args.output is not None else ""
    left_out = f"; {len(conversion.problems)} problem(s) reported above" if conversion.problems else ""
    print(
        f"converted {len(conversion.monitors)} of {conversion.endpoint_count} endpoints{destination}{left_out}",
        file=sys.stderr,
    )
    return 0
