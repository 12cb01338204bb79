"""`vigil slo import FILE`: converts OpenSLO v1 documents into vigil SLO definitions, printed or applied to an API."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx

from vigil_cli import CliError
from vigil_cli.config import ConfigError, add_connection_options, resolve_settings
from vigil_cli.console import Output
from vigil_cli.slo_import import ConvertedSlo, SloConversion, convert_openslo, read_openslo_file, render_slos_document

API_TIMEOUT_S = 10.0
MAX_ERROR_BODY = 500  # characters of a non-JSON error answer worth showing


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "slo",
        help="service level objectives",
        description="Work with vigil SLOs.",
    )
    commands = parser.add_subparsers(dest="slo_command", required=True, metavar="COMMAND")
    command = commands.add_parser(
        "import",
        help="convert OpenSLO v1 documents into vigil SLOs",
        description="Convert the SLOs of an OpenSLO v1 file (one or more YAML documents, or a list) into vigil SLO "
        "definitions. The `slos:` document goes to stdout (or OUT), or with --apply each SLO is PUT to a vigil API; "
        "what could not be converted is reported on stderr, one line per problem. See docs/slo-import.md.",
    )
    command.add_argument("file", metavar="FILE", type=Path, help="the OpenSLO file (YAML)")
    destination = command.add_mutually_exclusive_group()
    destination.add_argument(
        "--output", "-o", type=Path, metavar="OUT", help="write the document to OUT instead of stdout"
    )
    destination.add_argument(
        "--apply", action="store_true", help="PUT each converted SLO to the vigil API instead of printing it"
    )
    add_connection_options(command, json_help="with --apply: print the API's JSON of the applied SLOs")
    command.set_defaults(func=command_import)


def command_import(args: argparse.Namespace) -> int:
    target = _api_target(args)
    conversion = convert_openslo(read_openslo_file(args.file))
    for problem in conversion.problems:
        print(problem, file=sys.stderr)
    if not conversion.slo_count:
        raise CliError(f"{args.file} has no SLO to convert: none of its OpenSLO objects is `kind: SLO`")
    if not conversion.slos:
        raise CliError(f"none of the {conversion.slo_count} SLOs of {args.file} could be converted")
    exit_code = 0
    if target is not None:
        exit_code = apply_slos(conversion.slos, *target, output=Output.from_args(args))
    else:
        _write(render_slos_document(conversion.slos, source=args.file.name), args.output)
    print(_summary(conversion, args.output), file=sys.stderr)
    return exit_code


def apply_slos(slos: Sequence[ConvertedSlo], url: str, api_key: str, output: Output | None = None) -> int:
    """PUT each definition to {url}/v1/slos/{id}; 1 when any was refused (each reported on stderr), else 0.

    With a JSON `output`, stdout gets {"slos": [the API's answer for each applied SLO]} instead of one line each."""
    output = output or Output()
    applied = 0
    answers: list[Any] = []
    headers = {"X-Api-Key": api_key, "X-Vigil-Source": "import"}
    with httpx.Client(timeout=API_TIMEOUT_S) as client:
        for slo in slos:
            slo_id = slo.definition["id"]
            body = {key: value for key, value in slo.definition.items() if key != "id"}
            endpoint = f"{url}/v1/slos/{slo_id}"
            try:
                response = client.put(endpoint, json=body, headers=headers)
            except httpx.HTTPError as exc:
                raise CliError(
                    f"cannot reach {url}: {exc or type(exc).__name__}; {applied} of {len(slos)} SLOs were applied"
                ) from None
            if response.is_success:
                applied += 1
                if output.json_mode:
                    answers.append(_json_or_text(response))
                else:
                    print(f"applied {slo_id}")
            else:
                print(
                    f"{slo.source}: PUT {endpoint} answered {response.status_code}: {_error_body(response)}",
                    file=sys.stderr,
                )
    if output.json_mode:
        output.print_json({"slos": answers})
    print(f"applied {applied} of {len(slos)} vigil SLOs to {url}", file=sys.stderr)
    return 0 if applied == len(slos) else 1


def _json_or_text(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return response.text


def _api_target(args: argparse.Namespace) -> tuple[str, str] | None:
    """The API's URL and key for --apply (checked before anything is read), or None without --apply.

    The URL and key come from the flags, the environment, the config file's profile or the running local cloud,
    in that order (see `vigil config show`)."""
    if not args.apply:
        if args.url is not None or args.api_key is not None:
            raise CliError("--url and --api-key are for --apply")
        if args.profile is not None:
            raise CliError("--profile is for --apply")
        if args.json:
            raise CliError("--json is for --apply (without it the SLOs are printed as YAML)")
        return None
    try:
        settings = resolve_settings(args)
    except ConfigError as exc:
        raise CliError(str(exc)) from None
    if not settings.url:
        raise CliError("--apply needs the vigil API: pass --url or set VIGIL_URL")
    if not settings.api_key:
        raise CliError("--apply needs an API key: pass --api-key or set VIGIL_API_KEY")
    return settings.url, settings.api_key


def _error_body(response: httpx.Response) -> str:
    try:
        return json.dumps(response.json())
    except ValueError:
        text = " ".join(response.text.split())
        return text[:MAX_ERROR_BODY] or "(no body)"


def _write(document: str, output: Path | None) -> None:
    if output is None:
        sys.stdout.write(document)
        return
    try:
        output.write_text(document, encoding="utf-8")
    except OSError as exc:
        raise CliError(f"cannot write {output}: {exc.strerror or exc}") from None


def _summary(conversion: SloConversion, output: Path | None) -> str:
    summary = f"converted {conversion.converted_count} of {conversion.slo_count} SLOs"
    if len(conversion.slos) != conversion.converted_count:
        summary += f" into {len(conversion.slos)} vigil SLOs"
    if output is not None:
        summary += f", written to {output}"
    return summary
