"""Converting a Gatus configuration (https://gatus.io) into a vigil monitors document.

Each Gatus endpoint becomes one monitor: http(s):// → http, tcp:// → tcp, tls:// and starttls:// → tls, a `dns`
block → dns. Conditions carry over as vigil conditions, except the few that vigil expresses as typed fields
(`[STATUS] == 200` → expected_status, `[DNS_RCODE] == NXDOMAIN` → expected_rcode, …). Whatever has no vigil
equivalent (alerts, ui, icmp://, ssh://, …) is reported as one line per problem and left out; the conversion
goes on with the rest, and every monitor it emits has passed vigil's own validation.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from vigil_cli import CliError
from vigil_cli.yaml_output import plain_yaml
from vigil_core.models.monitors import (
    INTERVAL_CLASSES,
    MAX_THRESHOLD,
    MAX_TIMEOUT_S,
    MONITOR_DEFINITION,
    DnsRecordType,
    MaintenanceWindow,
    format_duration,
    slugify,
)
from vigil_core.probes.conditions import (
    AnyOperand,
    Condition,
    ConditionOperator,
    LiteralOperand,
    Operand,
    Placeholder,
    PlaceholderOperand,
    parse_condition,
)

DEFAULT_TENANT = "default"
GATUS_DEFAULT_INTERVAL_S = 60.0
GATUS_DEFAULT_TIMEOUT_S = 10.0
VIGIL_DEFAULT_TIMEOUT_S = 10.0
# Gatus checks no status unless a condition says so; vigil's default is 2xx, so imported monitors accept all.
ANY_STATUS = ("1xx", "2xx", "3xx", "4xx", "5xx")
HTTP_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
DNS_RCODES = frozenset({"NOERROR", "NXDOMAIN", "SERVFAIL", "REFUSED"})

_ENDPOINT_KEYS = frozenset(
    {
        "name", "group", "url", "method", "body", "graphql", "headers", "interval", "conditions", "client", "dns",
        "enabled", "alerts", "ui", "maintenance-windows", "extra-labels", "ssh", "store", "always-run",
    }
)  # fmt: skip
_CLIENT_KEYS_IMPORTED = frozenset({"timeout", "insecure", "ignore-redirect"})
_UNSUPPORTED_SCHEMES = {
    "icmp": "ICMP ping",
    "ssh": "SSH",
    "ws": "WebSocket",
    "wss": "WebSocket",
    "grpc": "gRPC",
    "grpcs": "gRPC",
    "udp": "UDP",
    "sctp": "SCTP",
}
_TOP_LEVEL_NOTES = {
    "alerting": "alerting providers are not imported; configure alert channels in vigil",
    "external-endpoints": "",  # reported per endpoint
    "suites": "suites are not imported; vigil has no multi-step checks yet",
    "storage": "storage settings do not apply: vigil stores results in its own tables",
    "ui": "ui settings are not imported",
    "web": "web server settings do not apply",
    "security": "security settings do not apply: vigil authenticates with API keys",
    "metrics": "metrics settings do not apply",
}
_GO_DURATION = re.compile(r"^(?:\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h))+$")
_GO_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)")
_GO_DURATION_UNIT_S = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
_ENVIRONMENT_VARIABLE = re.compile(r"\$\{?[A-Za-z_][A-Za-z0-9_]*\}?")
_TAG_KEY = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]{0,99}")
_WEEKDAYS = {
    "monday": "mon",
    "tuesday": "tue",
    "wednesday": "wed",
    "thursday": "thu",
    "friday": "fri",
    "saturday": "sat",
    "sunday": "sun",
}
_ALL_WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


@dataclass(frozen=True, slots=True)
class GatusConversion:
    monitors: tuple[dict[str, Any], ...]  # entries of a vigil monitors document, each with its tenant
    problems: tuple[str, ...]  # one line per thing that was left out or changed
    endpoint_count: int


def read_gatus_config(path: Path) -> Mapping[str, Any]:
    """The parsed configuration; a CliError, with the reason, when the file is missing, unreadable or not YAML."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CliError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CliError(f"{path}: cannot be read ({exc})") from None
    try:
        config = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise CliError(f"{path} is not valid YAML: {_yaml_error_text(exc)}") from None
    if not isinstance(config, dict):
        raise CliError(f"{path} is not a Gatus configuration: expected a mapping with `endpoints`")
    endpoints = config.get("endpoints")
    if not isinstance(endpoints, list) or not endpoints:
        raise CliError(f"{path} has no endpoints: a Gatus configuration lists its checks under `endpoints:`")
    return config


def _yaml_error_text(error: yaml.YAMLError) -> str:
    # PyYAML's own message spans several lines with a source excerpt; one line is enough to find the spot.
    if isinstance(error, yaml.MarkedYAMLError) and error.problem_mark is not None:
        mark = error.problem_mark
        return f"{error.problem} (line {mark.line + 1}, column {mark.column + 1})"
    return str(error).replace("\n", " ")


def convert_gatus_config(config: Mapping[str, Any], tenant: str = DEFAULT_TENANT) -> GatusConversion:
    """Every endpoint that vigil can check, as monitor entries for `tenant`, and the problems met on the way."""
    converter = _Converter(tenant)
    for key in config:
        if key in ("endpoints", "maintenance"):
            continue
        note = _TOP_LEVEL_NOTES.get(key, "not imported")
        if note:
            converter.problems.append(f"top-level '{key}': {note}")
    externals = config.get("external-endpoints")
    for external in externals if isinstance(externals, list) else []:
        name = external.get("name", "?") if isinstance(external, dict) else "?"
        converter.problems.append(
            f"external endpoint '{name}': not imported; Gatus receives its results by push, "
            "for which a vigil heartbeat monitor is the nearest equivalent"
        )
    shared_maintenance = converter.maintenance_windows(config.get("maintenance"), "top-level 'maintenance'")
    endpoints = config.get("endpoints") or []
    for index, endpoint in enumerate(endpoints):
        if not isinstance(endpoint, dict):
            converter.problems.append(f"endpoint #{index + 1}: not a mapping; skipped")
            continue
        monitor = converter.endpoint(endpoint, index, shared_maintenance)
        if monitor is not None:
            converter.monitors.append(monitor)
    return GatusConversion(tuple(converter.monitors), tuple(converter.problems), len(endpoints))


def render_monitors_document(monitors: Sequence[Mapping[str, Any]], source: str) -> str:
    """The monitors as a vigil monitors YAML document, with a header saying where they came from."""
    header = (
        f"# vigil monitors converted from the Gatus configuration {source} by `vigil import gatus`.\n"
        "# Review them before deploying: the import reported on stderr what it left out or changed.\n"
    )
    return header + plain_yaml({"monitors": [dict(monitor) for monitor in monitors]})


class _Converter:
    def __init__(self, tenant: str) -> None:
        self.tenant = tenant
        self.monitors: list[dict[str, Any]] = []
        self.problems: list[str] = []
        self._used_ids: set[str] = set()

    def endpoint(
        self, endpoint: Mapping[str, Any], index: int, shared_maintenance: list[dict[str, Any]]
    ) -> dict[str, Any] | None:
        name, group = endpoint.get("name"), endpoint.get("group")
        if not isinstance(name, str) or not name.strip():
            self.problems.append(f"endpoint #{index + 1}: has no name; skipped")
            return None
        group = str(group) if group else None
        label = f"endpoint '{group}/{name}'" if group else f"endpoint '{name}'"
        self._report_left_out(endpoint, label)
        conditions = self._conditions(endpoint.get("conditions"), label)
        typed = self._typed(endpoint, conditions, label)
        if typed is None:
            return None
        monitor: dict[str, Any] = {"tenant": self.tenant, "id": self._unique_id(group, name), "name": name, **typed}
        interval = self._interval(endpoint.get("interval"), label)
        monitor["interval"] = format_duration(interval)
        timeout = self._timeout(endpoint.get("client"), interval, label)
        if timeout != VIGIL_DEFAULT_TIMEOUT_S:
            monitor["timeout"] = f"{timeout:g}s"
        monitor.update(self._thresholds(endpoint.get("alerts")))
        if conditions:
            monitor["conditions"] = [text for text, _ in conditions]
        tags = self._tags(group, endpoint.get("extra-labels"), label)
        if tags:
            monitor["tags"] = tags
        windows = shared_maintenance + self.maintenance_windows(endpoint.get("maintenance-windows"), label)
        if windows:
            monitor["maintenance"] = windows
        if endpoint.get("enabled") is False:
            monitor["enabled"] = False
        return self._validated(monitor, label)

    # -- types

    def _typed(
        self, endpoint: Mapping[str, Any], conditions: list[tuple[str, Condition]], label: str
    ) -> dict[str, Any] | None:
        """The type, target and type-specific fields, or None (with the problem reported) when vigil cannot check it."""
        url = str(endpoint.get("url") or "")
        scheme = url.partition("://")[0].lower() if "://" in url else ""
        if endpoint.get("dns") is not None:
            return self._dns(endpoint, url, conditions, label)
        if scheme in ("http", "https"):
            return self._http(endpoint, url, conditions, label)
        if scheme == "tcp":
            return self._tcp(endpoint, url, label)
        if scheme in ("tls", "starttls"):
            return self._tls(endpoint, url, scheme, conditions, label)
        if scheme in _UNSUPPORTED_SCHEMES:
            kind = _UNSUPPORTED_SCHEMES[scheme]
            self.problems.append(f"{label}: {kind} checks ({scheme}://) are not supported by vigil; skipped")
        else:
            self.problems.append(f"{label}: url {url!r} is not one vigil can check; skipped")
        return None

    def _http(
        self, endpoint: Mapping[str, Any], url: str, conditions: list[tuple[str, Condition]], label: str
    ) -> dict[str, Any] | None:
        method = str(endpoint.get("method") or "GET").upper()
        if method not in HTTP_METHODS:
            self.problems.append(f"{label}: method {method} is not supported by vigil; skipped")
            return None
        monitor: dict[str, Any] = {"type": "http", "target": url}
        if method != "GET":
            monitor["method"] = method
        headers = {str(key): str(value) for key, value in (endpoint.get("headers") or {}).items()}
        body = endpoint.get("body")
        if body is not None:
            body = self._request_body(str(body), endpoint, label)
            if endpoint.get("graphql"):
                # Gatus wraps a GraphQL query in {"query": …} and sends it as JSON.
                body = json.dumps({"query": body})
                if not any(key.lower() == "content-type" for key in headers):
                    headers["Content-Type"] = "application/json"
            monitor["body"] = body
        if headers:
            monitor["headers"] = headers
        client = endpoint.get("client") or {}
        if client.get("insecure"):
            monitor["verify_tls"] = False
        if client.get("ignore-redirect"):
            monitor["follow_redirects"] = False
        monitor["expected_status"] = list(_absorb_expected_status(conditions) or ANY_STATUS)
        return monitor

    def _tcp(self, endpoint: Mapping[str, Any], url: str, label: str) -> dict[str, Any]:
        monitor: dict[str, Any] = {"type": "tcp", "target": url.partition("://")[2]}
        if endpoint.get("body") is not None:
            monitor["send"] = self._request_body(str(endpoint["body"]), endpoint, label)
        self._report_insecure(endpoint, "tcp", label)
        return monitor

    def _tls(
        self,
        endpoint: Mapping[str, Any],
        url: str,
        scheme: str,
        conditions: list[tuple[str, Condition]],
        label: str,
    ) -> dict[str, Any]:
        if scheme == "starttls":
            self.problems.append(
                f"{label}: starttls:// is imported as a tls monitor, which expects TLS from the first byte; "
                "a server that only offers STARTTLS (SMTP on 25 or 587) will fail it"
            )
        if endpoint.get("body") is not None:
            self.problems.append(f"{label}: body is not imported; vigil's tls monitors send nothing")
        self._report_insecure(endpoint, "tls", label)
        monitor: dict[str, Any] = {"type": "tls", "target": url.partition("://")[2]}
        # Gatus fails a certificate only through a condition, so without one the minimum is 0 days.
        minimum_days = _absorb_certificate_minimum_days(conditions)
        monitor["min_days_remaining"] = minimum_days or 0
        if minimum_days is not None and minimum_days > 21:
            monitor["degraded_days_remaining"] = minimum_days
        return monitor

    def _dns(
        self, endpoint: Mapping[str, Any], url: str, conditions: list[tuple[str, Condition]], label: str
    ) -> dict[str, Any] | None:
        dns = endpoint.get("dns")
        if not isinstance(dns, dict):
            self.problems.append(f"{label}: dns must be a mapping with query-name and query-type; skipped")
            return None
        query_type = str(dns.get("query-type") or "").upper()
        if query_type not in DnsRecordType.__members__:
            supported = ", ".join(DnsRecordType)
            self.problems.append(
                f"{label}: DNS query-type {query_type or '(none)'} is not supported ({supported}); skipped"
            )
            return None
        monitor: dict[str, Any] = {"type": "dns", "target": str(dns.get("query-name") or ""), "record_type": query_type}
        resolver = url.partition("://")[2] if "://" in url else url
        if _is_ip_resolver(resolver):
            monitor["resolver"] = resolver
        elif resolver:
            self.problems.append(
                f"{label}: resolver {resolver!r} is not an IP address; the monitor uses the system's resolver"
            )
        for text, condition in list(conditions):
            if _is_placeholder(condition.left, Placeholder.DNS_RCODE) and isinstance(condition.right, LiteralOperand):
                if condition.operator is not ConditionOperator.EQ or condition.right.text not in DNS_RCODES:
                    self.problems.append(f"{label}: condition {text!r} is not supported for dns monitors; skipped")
                    return None
                monitor["expected_rcode"] = condition.right.text
                conditions.remove((text, condition))
            elif _uses_body(condition):
                conditions.remove((text, condition))
                answer = _dns_answer_condition(condition)
                if answer is not None and query_type != "MX":
                    monitor.setdefault("expected_answers", []).append(answer)
                else:
                    self.problems.append(
                        f"{label}: condition {text!r} is not imported; vigil dns monitors compare the answers "
                        "against expected_answers (MX answers read as '10 mail.example.com.')"
                    )
        return monitor

    # -- shared fields

    def _conditions(self, raw: object, label: str) -> list[tuple[str, Condition]]:
        conditions: list[tuple[str, Condition]] = []
        for text in raw if isinstance(raw, list) else []:
            if not isinstance(text, str):
                self.problems.append(f"{label}: condition {text!r} is not text; not imported")
                continue
            try:
                conditions.append((text, parse_condition(text)))
            except ValueError as exc:
                self.problems.append(f"{label}: condition {text!r} is not imported: {exc}")
        return conditions

    def _interval(self, raw: object, label: str) -> int:
        if raw is None:
            return int(GATUS_DEFAULT_INTERVAL_S)
        seconds = _go_duration_seconds(raw)
        if seconds is None:
            self.problems.append(f"{label}: interval {raw!r} is not a duration such as 30s or 5m; using 1m")
            return int(GATUS_DEFAULT_INTERVAL_S)
        not_longer = [interval for interval in INTERVAL_CLASSES if interval <= seconds]
        chosen = max(not_longer) if not_longer else min(INTERVAL_CLASSES)
        if chosen != seconds:
            allowed = ", ".join(format_duration(interval) for interval in INTERVAL_CLASSES)
            direction = "nearest shorter" if not_longer else "shortest"
            self.problems.append(
                f"{label}: interval {raw} is not one of vigil's ({allowed}); using the {direction}, "
                f"{format_duration(chosen)}"
            )
        return chosen

    def _timeout(self, client: object, interval: int, label: str) -> float:
        raw = client.get("timeout") if isinstance(client, dict) else None
        if raw is None:
            timeout = GATUS_DEFAULT_TIMEOUT_S
        elif (parsed := _go_duration_seconds(raw)) is None or parsed <= 0:
            self.problems.append(f"{label}: client.timeout {raw!r} is not a duration; using 10s")
            timeout = GATUS_DEFAULT_TIMEOUT_S
        else:
            timeout = parsed
        limit = min(MAX_TIMEOUT_S, interval / 2)
        if timeout >= interval or timeout > MAX_TIMEOUT_S:
            # vigil needs the attempt to end well within its interval.
            self.problems.append(
                f"{label}: timeout {timeout:g}s does not fit the {format_duration(interval)} interval; using {limit:g}s"
            )
            timeout = limit
        return timeout

    def _thresholds(self, alerts: object) -> dict[str, int]:
        # Gatus counts failures per alert; the most eager alert is when vigil should call the monitor DOWN.
        thresholds: dict[str, int] = {}
        if not isinstance(alerts, list):
            return thresholds
        for gatus_key, vigil_key in (
            ("failure-threshold", "failure_threshold"),
            ("success-threshold", "success_threshold"),
        ):
            values = [
                alert[gatus_key]
                for alert in alerts
                if isinstance(alert, dict) and isinstance(alert.get(gatus_key), int)
            ]
            if values:
                thresholds[vigil_key] = max(1, min(MAX_THRESHOLD, *values))
        return thresholds

    def _tags(self, group: str | None, labels: object, label: str) -> dict[str, str]:
        tags = {"group": group} if group else {}
        for key, value in (labels or {}).items() if isinstance(labels, dict) else ():
            if _TAG_KEY.fullmatch(str(key)):
                tags[str(key)] = str(value)
            else:
                self.problems.append(f"{label}: extra label {key!r} is not a valid vigil tag key; not imported")
        return tags

    def maintenance_windows(self, raw: object, label: str) -> list[dict[str, Any]]:
        """Gatus maintenance (one mapping at top level, a list per endpoint) as vigil weekly windows."""
        configs = [raw] if isinstance(raw, dict) else raw if isinstance(raw, list) else []
        windows: list[dict[str, Any]] = []
        for config in configs:
            if not isinstance(config, dict) or config.get("enabled") is False:
                continue
            window = _maintenance_window(config)
            try:
                MaintenanceWindow.model_validate(window)
            except ValidationError as exc:
                reasons = "; ".join(_error_text(error, skip=0) for error in exc.errors())
                self.problems.append(f"{label}: maintenance window {config!r} is not imported ({reasons})")
                continue
            windows.append(window)
        return windows

    # -- reporting and validation

    def _report_left_out(self, endpoint: Mapping[str, Any], label: str) -> None:
        if endpoint.get("alerts"):
            self.problems.append(f"{label}: alerts are not imported; define alert rules in vigil")
        if endpoint.get("ui"):
            self.problems.append(f"{label}: ui settings are not imported")
        for key in ("ssh", "store", "always-run"):
            if key in endpoint:
                self.problems.append(f"{label}: '{key}' is not imported")
        for key in endpoint:
            if key not in _ENDPOINT_KEYS:
                self.problems.append(f"{label}: unknown key '{key}' is not imported")
        client = endpoint.get("client")
        if isinstance(client, dict):
            for key in client:
                if key not in _CLIENT_KEYS_IMPORTED:
                    self.problems.append(f"{label}: client.{key} is not imported")
        variables = sorted(
            {match.group() for text in _strings(endpoint) for match in _ENVIRONMENT_VARIABLE.finditer(text)}
        )
        if variables:
            self.problems.append(
                f"{label}: {', '.join(variables)} would be expanded from Gatus' environment; kept as written"
            )

    def _report_insecure(self, endpoint: Mapping[str, Any], kind: str, label: str) -> None:
        client = endpoint.get("client")
        if isinstance(client, dict) and client.get("insecure"):
            self.problems.append(f"{label}: client.insecure has no equivalent for {kind} monitors; not imported")

    def _request_body(self, body: str, endpoint: Mapping[str, Any], label: str) -> str:
        # Gatus fills these in on every request; they are constant per endpoint, so they can be filled in now.
        body = body.replace("[ENDPOINT_NAME]", str(endpoint.get("name") or ""))
        body = body.replace("[ENDPOINT_GROUP]", str(endpoint.get("group") or ""))
        body = body.replace("[ENDPOINT_URL]", str(endpoint.get("url") or ""))
        if re.search(r"\[RANDOM_STRING_\d+\]|\[LOCAL_ADDRESS\]", body):
            self.problems.append(f"{label}: body placeholders such as [RANDOM_STRING_n] are sent as written")
        return body

    def _unique_id(self, group: str | None, name: str) -> str:
        base = slugify(f"{group} {name}" if group else name)
        candidate, number = base, 2
        while candidate in self._used_ids:
            suffix = f"-{number}"
            candidate = base[: 63 - len(suffix)].rstrip("-") + suffix
            number += 1
        self._used_ids.add(candidate)
        return candidate

    def _validated(self, monitor: dict[str, Any], label: str) -> dict[str, Any] | None:
        try:
            MONITOR_DEFINITION.validate_python({key: value for key, value in monitor.items() if key != "tenant"})
        except ValidationError as exc:
            reasons = "; ".join(_error_text(error) for error in exc.errors())
            self.problems.append(f"{label}: not valid as a vigil monitor ({reasons}); skipped")
            self._used_ids.discard(monitor["id"])
            return None
        return monitor


def _absorb_expected_status(conditions: list[tuple[str, Condition]]) -> tuple[int, ...] | None:
    """The codes of the one `[STATUS] == N` or `[STATUS] == any(…)` condition, which expected_status then states."""
    candidates: list[tuple[tuple[str, Condition], tuple[int, ...]]] = []
    for text, condition in conditions:
        if (
            condition.left != PlaceholderOperand("[STATUS]", Placeholder.STATUS)
            or condition.operator is not ConditionOperator.EQ
        ):
            continue
        values = condition.right.options if isinstance(condition.right, AnyOperand) else (condition.right.text,)
        if isinstance(condition.right, AnyOperand | LiteralOperand) and all(
            value.isdigit() and 100 <= int(value) <= 599 for value in values
        ):
            candidates.append(((text, condition), tuple(int(value) for value in values)))
    if len(candidates) != 1:
        return None
    conditions.remove(candidates[0][0])
    return candidates[0][1]


def _absorb_certificate_minimum_days(conditions: list[tuple[str, Condition]]) -> float | None:
    """Days from one `[CERTIFICATE_EXPIRATION] > 48h` condition, which min_days_remaining then states."""
    for text, condition in conditions:
        if (
            _is_placeholder(condition.left, Placeholder.CERTIFICATE_EXPIRATION)
            and condition.operator in (ConditionOperator.GT, ConditionOperator.GTE)
            and isinstance(condition.right, LiteralOperand)
            and (seconds := _go_duration_seconds(condition.right.text, allow_days=True)) is not None
        ):
            conditions.remove((text, condition))
            days = round(seconds / 86400, 3)
            return int(days) if days.is_integer() else days
    return None


def _is_placeholder(operand: Operand, placeholder: Placeholder) -> bool:
    """Whether the operand is exactly this placeholder, with no function around it and no JSON path after it."""
    return isinstance(operand, PlaceholderOperand) and operand.placeholder is placeholder and operand.json_path is None


def _uses_body(condition: Condition) -> bool:
    return any(
        getattr(operand, "placeholder", None) is Placeholder.BODY
        or getattr(getattr(operand, "argument", None), "placeholder", None) is Placeholder.BODY
        for operand in (condition.left, condition.right)
    )


def _dns_answer_condition(condition: Condition) -> str | None:
    # In Gatus a DNS [BODY] is the answer; `[BODY] == 93.184.216.34` is what expected_answers says in vigil.
    if (
        condition.operator is ConditionOperator.EQ
        and _is_placeholder(condition.left, Placeholder.BODY)
        and isinstance(condition.right, LiteralOperand)
    ):
        return condition.right.text
    return None


def _is_ip_resolver(resolver: str) -> bool:
    host = resolver
    if resolver.startswith("["):
        host = resolver[1:].partition("]")[0]
    elif resolver.count(":") == 1:
        host = resolver.partition(":")[0]
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _go_duration_seconds(raw: object, allow_days: bool = False) -> float | None:
    """Seconds from a Go duration ("30s", "1m30s", "500ms"); days ("7d") only where vigil reads them."""
    text = str(raw).strip()
    if allow_days and (days := re.fullmatch(r"(\d+(?:\.\d+)?)d", text)):
        return float(days.group(1)) * 86400
    if isinstance(raw, bool) or not _GO_DURATION.match(text):
        return None
    return sum(float(amount) * _GO_DURATION_UNIT_S[unit] for amount, unit in _GO_DURATION_PART.findall(text))


def _maintenance_window(config: Mapping[str, Any]) -> dict[str, Any]:
    """A vigil weekly window from a Gatus one: start "23:00", duration "1h", every [Monday, …] (empty: daily)."""
    duration = _go_duration_seconds(config.get("duration"))
    every = config.get("every") or []
    days = [_WEEKDAYS.get(str(day).lower(), str(day)) for day in every] if isinstance(every, list) else every
    return {
        "days": days or _ALL_WEEKDAYS,
        "start_time": str(config.get("start") or ""),
        "duration": format_duration(duration) if duration else config.get("duration"),
        "timezone": str(config.get("timezone") or "UTC"),
    }


def _strings(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _error_text(error: Mapping[str, Any], skip: int = 1) -> str:
    # A monitor's first location is the discriminator's tag ("http"), which says nothing the label does not.
    location = ".".join(str(part) for part in error["loc"][skip:]) or "value"
    message = str(error["msg"]).removeprefix("Value error, ")
    return f"{location}: {message}"
