"""Where the vigil API is and which key to use: flags, then the environment, then the config file, then the
local cloud that `vigil local up` is running.

Each setting is resolved on its own, in that order:

- ``--url`` / ``--api-key`` / ``--profile`` on the command line;
- ``VIGIL_URL`` / ``VIGIL_API_KEY`` / ``VIGIL_PROFILE`` (and ``VIGIL_TENANT``) in the environment;
- the profile in the config file (``$VIGIL_CONFIG``, else ``$XDG_CONFIG_HOME/vigil/config.toml``, else
  ``~/.config/vigil/config.toml``): ``[profiles.NAME]``, or ``[default]`` when no profile is named;
- the running local cloud's state (``.vigil/local.json``): its URL, and its demo key and tenant, but only
  for that same URL (the demo key means nothing to another vigil).
"""

from __future__ import annotations

import argparse
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vigil_cli import CliError
from vigil_cli.console import HelpFormatter

CONFIG_FILE_NAME = "config.toml"
PROFILE_KEYS = ("url", "api_key", "tenant")
DEFAULT_PROFILE = "default"
DEFAULT_STATE_DIR = Path(".vigil")
USAGE_EXIT_CODE = 2


class ConfigError(CliError):
    """Settings that are missing or do not fit: reported like any CLI error, with the usage exit code (2)."""

    exit_code = USAGE_EXIT_CODE


@dataclass(frozen=True)
class Connection:
    """The vigil API to talk to, the key to send, and where each came from (for messages and `config show`)."""

    url: str
    api_key: str
    tenant: str | None = None
    sources: dict[str, str] = field(default_factory=dict)
    # The local cloud's operator key, when the key in use is its demo key: for platform-wide reports.
    operator_api_key: str | None = None

    def source(self, setting: str) -> str:
        return self.sources.get(setting, "?")


@dataclass(frozen=True)
class ResolvedSettings:
    """Every setting found (None when nowhere), with its source; a Connection once url and key are known."""

    url: str | None
    api_key: str | None
    tenant: str | None
    profile: str | None
    config_path: Path
    config_found: bool
    sources: dict[str, str]
    operator_api_key: str | None = None


def add_connection_options(parser: argparse.ArgumentParser, *, json_help: str | None = None) -> None:
    """The options every command that talks to the vigil API shares (and `--json` when it prints API data)."""
    group = parser.add_argument_group("connection", "where the vigil API is; see `vigil config show` and docs/cli.md")
    group.add_argument(
        "--url",
        metavar="URL",
        help="the vigil API's base URL (default: $VIGIL_URL, the profile's url, or the running local cloud)",
    )
    group.add_argument(
        "--api-key",
        metavar="KEY",
        help="the tenant's API key (default: $VIGIL_API_KEY, the profile's api_key, or the local cloud's demo key)",
    )
    group.add_argument(
        "--profile",
        metavar="NAME",
        help="use [profiles.NAME] of the config file (default: $VIGIL_PROFILE, else [default])",
    )
    group.add_argument(
        "--state-dir",
        type=Path,
        metavar="DIR",
        help=f"where `vigil local up` keeps the running local cloud's state (default: {DEFAULT_STATE_DIR})",
    )
    if json_help is not None:
        parser.add_argument("--json", action="store_true", help=json_help)


def config_path(environ: Mapping[str, str] | None = None) -> tuple[Path, bool]:
    """The config file's path, and whether it was named explicitly ($VIGIL_CONFIG)."""
    environ = os.environ if environ is None else environ
    explicit = environ.get("VIGIL_CONFIG")
    if explicit:
        return Path(explicit).expanduser(), True
    base = environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base).expanduser() / "vigil" / CONFIG_FILE_NAME, False


def read_config(path: Path, *, required: bool) -> dict[str, Any] | None:
    """The parsed config file; None when it does not exist (an error if it was named explicitly)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        if required:
            raise ConfigError(f"VIGIL_CONFIG names {path}, which does not exist") from None
        return None
    except OSError as exc:
        raise ConfigError(f"cannot read the config file {path}: {exc.strerror or exc}") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"the config file {path} is not valid TOML: {exc}") from None


def _profile_names(config: Mapping[str, Any]) -> list[str]:
    profiles = config.get("profiles")
    names = sorted(profiles) if isinstance(profiles, dict) else []
    if isinstance(config.get(DEFAULT_PROFILE), dict) and DEFAULT_PROFILE not in names:
        names.insert(0, DEFAULT_PROFILE)
    return names


def select_profile(config: Mapping[str, Any], name: str | None, path: Path) -> tuple[dict[str, str], str | None]:
    """The profile's settings and the table they came from; a named profile must exist."""
    profiles = config.get("profiles", {})
    if not isinstance(profiles, dict):
        raise ConfigError(f"{path}: `profiles` must be a table of [profiles.NAME] tables")
    if name is None or name == DEFAULT_PROFILE:
        candidates = [
            (DEFAULT_PROFILE, config.get(DEFAULT_PROFILE)),
            (f"profiles.{DEFAULT_PROFILE}", profiles.get(DEFAULT_PROFILE)),
        ]
    else:
        candidates = [(f"profiles.{name}", profiles.get(name))]
    for table_name, table in candidates:
        if table is not None:
            return _check_profile(table, table_name, path), table_name
    if name is None:
        return {}, None
    known = ", ".join(_profile_names(config)) or "none"
    raise ConfigError(f"profile {name!r} is not in {path} (profiles there: {known})")


def _check_profile(table: Any, table_name: str, path: Path) -> dict[str, str]:
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [{table_name}] must be a table")
    unknown = sorted(set(table) - set(PROFILE_KEYS))
    if unknown:
        raise ConfigError(f"{path}: [{table_name}] has an unknown key {unknown[0]!r} (use {', '.join(PROFILE_KEYS)})")
    for key, value in table.items():
        if not isinstance(value, str) or not value.strip():
            raise ConfigError(f"{path}: [{table_name}] {key} must be a non-empty string")
    return {key: value.strip() for key, value in table.items()}


def _local_cloud_state(state_dir: Path) -> dict[str, Any] | None:
    # Imported here: the local cloud's module is only needed when nothing else gave a setting.
    from vigil_cli.local.commands import read_running_state

    return read_running_state(state_dir)


def _same_url(first: str, second: str) -> bool:
    return first.rstrip("/") == second.rstrip("/")


def resolve_settings(args: argparse.Namespace, environ: Mapping[str, str] | None = None) -> ResolvedSettings:
    """Every connection setting from flags, environment, config file and local cloud, without requiring any."""
    environ = os.environ if environ is None else environ
    sources: dict[str, str] = {}
    path, explicit = config_path(environ)

    flag_profile = getattr(args, "profile", None)
    profile_name = flag_profile or environ.get("VIGIL_PROFILE") or None
    config = read_config(path, required=explicit)
    if config is None and profile_name is not None:
        raise ConfigError(
            f"profile {profile_name!r} asked for (by {'--profile' if flag_profile else 'VIGIL_PROFILE'}), "
            f"but there is no config file at {path}"
        )
    profile, table_name = select_profile(config or {}, profile_name, path) if config is not None else ({}, None)
    profile_source = f"[{table_name}] in {path}"

    def pick(setting: str, flag: str | None, env_name: str) -> str | None:
        flag_value = getattr(args, setting, None)
        if flag_value:
            sources[setting] = flag or f"--{setting.replace('_', '-')}"
            return str(flag_value).strip()
        if environ.get(env_name, "").strip():
            sources[setting] = env_name
            return environ[env_name].strip()
        if profile.get(setting):
            sources[setting] = profile_source
            return profile[setting]
        return None

    url = pick("url", None, "VIGIL_URL")
    api_key = pick("api_key", None, "VIGIL_API_KEY")
    tenant = pick("tenant", None, "VIGIL_TENANT")

    operator_api_key: str | None = None
    if url is None or api_key is None or tenant is None:
        state_dir = getattr(args, "state_dir", None) or DEFAULT_STATE_DIR
        state = _local_cloud_state(Path(state_dir))
        state_url = state.get("url") if state else None
        if state is not None and isinstance(state_url, str) and state_url:
            where = f"the local cloud ({Path(state_dir) / 'local.json'})"
            if url is None:
                url, sources["url"] = state_url, where
            # The demo key and tenant belong to the local cloud: never send them anywhere else.
            if _same_url(url, state_url):
                if api_key is None and isinstance(state.get("api_key"), str):
                    api_key, sources["api_key"] = state["api_key"], where
                    if isinstance(state.get("operator_api_key"), str):
                        operator_api_key = state["operator_api_key"]
                if tenant is None and isinstance(state.get("tenant_id"), str):
                    tenant, sources["tenant"] = state["tenant_id"], where
    if url is not None:
        _check_url(url, sources["url"])
        url = url.rstrip("/")
    return ResolvedSettings(
        url=url,
        api_key=api_key,
        tenant=tenant,
        profile=table_name,
        config_path=path,
        config_found=config is not None,
        sources=sources,
        operator_api_key=operator_api_key,
    )


def _check_url(url: str, source: str) -> None:
    if not url.startswith(("http://", "https://")) or len(url) <= len("https://"):
        where = "" if source.startswith("--") else f" (from {source})"
        raise ConfigError(f"{url!r}{where} is not an http:// or https:// URL")


def resolve_connection(args: argparse.Namespace, environ: Mapping[str, str] | None = None) -> Connection:
    """The API to talk to; a ConfigError (exit 2) naming the ways to set whatever is missing."""
    settings = resolve_settings(args, environ)
    where = f"the [default] table (or [profiles.NAME] with --profile) of {settings.config_path}"
    if settings.url is None:
        raise ConfigError(
            "no vigil API to talk to: pass --url URL, set VIGIL_URL, or set url in "
            f"{where}; or start a local cloud with `vigil local up`"
        )
    if settings.api_key is None:
        raise ConfigError(
            f"no API key for {settings.url}: pass --api-key KEY, set VIGIL_API_KEY, or set api_key in {where}"
        )
    return Connection(
        url=settings.url,
        api_key=settings.api_key,
        tenant=settings.tenant,
        sources=dict(settings.sources),
        operator_api_key=settings.operator_api_key,
    )


def mask_key(api_key: str) -> str:
    """A key as it may be shown: its public id part (vgl_<id>_) and no secret."""
    prefix, _, rest = api_key.partition("_")
    key_id, _, secret = rest.partition("_")
    if prefix == "vgl" and key_id and secret:
        return f"vgl_{key_id}_****"
    return api_key[:4] + "****" if len(api_key) > 8 else "****"


# --- vigil config show -----------------------------------------------------------------------------


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "config",
        help="show where the vigil API, the API key and the tenant come from",
        description="Inspect the connection settings the other commands use.",
    )
    commands = parser.add_subparsers(dest="config_command", required=True, metavar="COMMAND")
    show = commands.add_parser(
        "show",
        help="print the settings in effect and where each came from (the key is masked)",
        description="Print the vigil API URL, API key (masked) and tenant the other commands would use, and the "
        "source of each: a flag, the environment, the config file's profile, or the running local cloud. "
        "Precedence: flags > VIGIL_URL/VIGIL_API_KEY/VIGIL_PROFILE/VIGIL_TENANT > config file > local cloud.",
        epilog="example:\n  vigil config show --profile prod",
        formatter_class=HelpFormatter,
    )
    add_connection_options(show, json_help="print the settings as JSON")
    show.set_defaults(func=command_show)


def command_show(args: argparse.Namespace) -> int:
    from vigil_cli.console import Cell, Output

    settings = resolve_settings(args)
    output = Output.from_args(args)
    masked = mask_key(settings.api_key) if settings.api_key else None
    if output.json_mode:
        output.print_json(
            {
                "config_file": str(settings.config_path),
                "config_file_found": settings.config_found,
                "profile": settings.profile,
                "url": settings.url,
                "api_key": masked,
                "tenant": settings.tenant,
                "sources": settings.sources,
            }
        )
        return 0

    def shown(value: str | None, setting: str) -> Cell:
        if value is None:
            return Cell("(not set)", "dim")
        return Cell(f"{value}   (from {settings.sources[setting]})")

    output.fields(
        [
            ("config file", f"{settings.config_path}" + ("" if settings.config_found else "   (none)")),
            ("profile", settings.profile or "-"),
            ("url", shown(settings.url, "url")),
            ("api key", shown(masked, "api_key")),
            ("tenant", shown(settings.tenant, "tenant")),
        ]
    )
    return 0
