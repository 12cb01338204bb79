"""Monitors: what to check, how often, and what counts as healthy.

A monitor is defined once (in monitors.yaml or through the API) and validated field by field; a bad
definition is refused with the field and the reason. One model per check type, told apart by `type`.
"""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime, time, timedelta
from enum import StrEnum
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationInfo,
    field_validator,
    model_validator,
)

from vigil_core.models.tenants import TENANT_ID_PATTERN, SlaTier

MONITOR_ID_PATTERN = r"^[a-z0-9][a-z0-9-]{0,62}$"
# The interval classes the schedules run (one EventBridge rule each); 30 s runs twice per minute rule.
INTERVAL_CLASSES: tuple[int, ...] = (30, 60, 300, 900, 1800, 3600)
MAX_TIMEOUT_S = 60.0
MAX_RETRIES = 5
MAX_THRESHOLD = 20
MAX_TAGS = 30
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$")
_DURATION_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, None: 1}


def parse_duration_seconds(value: Any) -> float:
    """Seconds from a number or a string like "500ms", "30s", "5m", "1h"."""
    if isinstance(value, bool):
        raise ValueError("must be a duration such as 30s, 5m or 1h")
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str) and (match := _DURATION.match(value)):
        return float(match.group(1)) * _DURATION_UNITS[match.group(2)]
    raise ValueError("must be a duration such as 30s, 5m or 1h")


def _interval(value: Any) -> int:
    seconds = parse_duration_seconds(value)
    if seconds not in INTERVAL_CLASSES:
        allowed = ", ".join(format_duration(s) for s in INTERVAL_CLASSES)
        raise ValueError(f"must be one of {allowed}")
    return int(seconds)


def format_duration(seconds: float) -> str:
    for unit, size in (("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s"


Seconds = Annotated[float, BeforeValidator(parse_duration_seconds)]
IntervalSeconds = Annotated[int, BeforeValidator(_interval)]


class MonitorType(StrEnum):
    HTTP = "http"
    TCP = "tcp"
    DNS = "dns"
    TLS = "tls"
    HEARTBEAT = "heartbeat"


class AssertionSource(StrEnum):
    STATUS = "status"
    RESPONSE_TIME = "response_time"  # milliseconds
    BODY = "body"  # the body as text
    JSON = "json"  # a value inside a JSON body, addressed by `property` ($.a.b[0])
    HEADER = "header"  # a response header, named by `property`


class Operator(StrEnum):
    EQ = "eq"
    NE = "ne"
    GT = "gt"
    GTE = "gte"
    LT = "lt"
    LTE = "lte"
    CONTAINS = "contains"
    NOT_CONTAINS = "not_contains"
    MATCHES = "matches"  # regular expression search
    NOT_MATCHES = "not_matches"
    EXISTS = "exists"
    NOT_EXISTS = "not_exists"
    EMPTY = "empty"
    NOT_EMPTY = "not_empty"


_UNARY_OPERATORS = {Operator.EXISTS, Operator.NOT_EXISTS, Operator.EMPTY, Operator.NOT_EMPTY}
_NUMERIC_OPERATORS = {Operator.GT, Operator.GTE, Operator.LT, Operator.LTE}


class Assertion(BaseModel):
    """One check on a response, as Checkly writes them: source, property, operator, target."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    source: AssertionSource
    property: str | None = Field(default=None, max_length=500)
    operator: Operator
    target: str | float | bool | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Assertion:
        if self.source in (AssertionSource.JSON, AssertionSource.HEADER) and not self.property:
            raise ValueError(f"property is required for source {self.source.value}")
        if self.operator in _UNARY_OPERATORS:
            if self.target is not None:
                raise ValueError(f"operator {self.operator.value} takes no target")
        elif self.target is None:
            raise ValueError(f"operator {self.operator.value} needs a target")
        if self.operator in _NUMERIC_OPERATORS and not _is_number(self.target):
            raise ValueError(f"operator {self.operator.value} needs a numeric target")
        if self.operator in (Operator.MATCHES, Operator.NOT_MATCHES):
            try:
                re.compile(str(self.target))
            except re.error as exc:
                raise ValueError(f"target is not a valid regular expression: {exc}") from None
        return self


def _is_number(value: object) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float):
        return True
    try:
        float(str(value))
    except ValueError:
        return False
    return True


Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _known_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {value!r} (use an IANA name such as Europe/Berlin)") from None
    return value


TimeZoneName = Annotated[str, AfterValidator(_known_zone)]


class MaintenanceWindow(BaseModel):
    """Either one-off (`start` and `end`) or weekly (`days`, `start_time`, `duration`, `timezone`)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    start: AwareDatetime | None = None
    end: AwareDatetime | None = None
    days: tuple[Weekday, ...] | None = None
    start_time: time | None = None
    duration: Seconds | None = None
    timezone: TimeZoneName = "UTC"
    reason: str | None = Field(default=None, max_length=500)

    @model_validator(mode="after")
    def _one_kind(self) -> MaintenanceWindow:
        one_off = self.start is not None or self.end is not None
        weekly = self.days is not None or self.start_time is not None or self.duration is not None
        if one_off == weekly:
            raise ValueError("give either start and end, or days, start_time and duration")
        if one_off:
            if self.start is None or self.end is None:
                raise ValueError("a one-off window needs both start and end")
            if self.end <= self.start:
                raise ValueError("end must be after start")
        else:
            if not self.days or self.start_time is None or self.duration is None:
                raise ValueError("a weekly window needs days, start_time and duration")
            if not 0 < self.duration <= 7 * 86400:
                raise ValueError("duration must be positive and at most 7 days")
        return self

    def is_active(self, at: datetime) -> bool:
        if self.start is not None and self.end is not None:
            return self.start <= at < self.end
        assert self.days is not None
        assert self.start_time is not None
        assert self.duration is not None
        local = at.astimezone(ZoneInfo(self.timezone))
        # A window may have begun on one of the previous days and still be running.
        for days_back in range(0, 8):
            day = local.date() - timedelta(days=days_back)
            if WEEKDAYS[day.weekday()] not in self.days:
                continue
            # The start is local wall-clock time; the duration is real time (compared in UTC, so a window
            # across a daylight-saving change lasts as long as it says, and a repeated hour counts once).
            begins = datetime.combine(day, self.start_time, tzinfo=ZoneInfo(self.timezone)).astimezone(UTC)
            if begins <= at.astimezone(UTC) < begins + timedelta(seconds=self.duration):
                return True
        return False


class _MonitorBase(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str | None = Field(default=None, pattern=MONITOR_ID_PATTERN)
    name: str = Field(min_length=1, max_length=200)
    interval: IntervalSeconds = 60
    retries: int = Field(default=0, ge=0, le=MAX_RETRIES)  # immediate re-checks before a check counts as failed
    # Per attempt. The default is validated too: it must also fit the interval with the retries given.
    timeout: Seconds = Field(default=10.0, gt=0, le=MAX_TIMEOUT_S, validate_default=True)
    failure_threshold: int = Field(default=3, ge=1, le=MAX_THRESHOLD)
    success_threshold: int = Field(default=2, ge=1, le=MAX_THRESHOLD)
    tags: dict[str, str] = Field(default_factory=dict)
    sla_tier: SlaTier | None = None
    maintenance: tuple[MaintenanceWindow, ...] = ()
    enabled: bool = True
    # Gatus-style conditions ("[STATUS] == 200"), checked besides the typed fields and assertions.
    conditions: tuple[str, ...] = ()

    @field_validator("tags")
    @classmethod
    def _tags(cls, value: dict[str, str]) -> dict[str, str]:
        if len(value) > MAX_TAGS:
            raise ValueError(f"at most {MAX_TAGS} tags")
        for key in value:
            if not re.fullmatch(r"[a-zA-Z_][a-zA-Z0-9_]{0,99}", key):
                raise ValueError(f"tag key {key!r} must match [a-zA-Z_][a-zA-Z0-9_]*")
        return value

    @field_validator("conditions")
    @classmethod
    def _conditions(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        from vigil_core.probes.conditions import parse_condition  # the parser imports this module

        for index, text in enumerate(value):
            try:
                parse_condition(text)
            except ValueError as exc:
                raise ValueError(f"condition {index} ({text!r}): {exc}") from None
        return value

    @field_validator("timeout")
    @classmethod
    def _fits_interval(cls, value: float, info: ValidationInfo) -> float:
        interval, retries = info.data.get("interval"), info.data.get("retries")
        if interval is not None and retries is not None and value * (retries + 1) >= interval:
            raise ValueError(f"timeout x (retries + 1) must be shorter than the interval ({interval}s)")
        return value

    @property
    def monitor_id(self) -> str:
        return self.id or slugify(self.name)


class _ResponseTimeLimits(BaseModel):
    # Checkly separates slow from failed: above degraded_ms the check is DEGRADED, above failed_ms DOWN.
    degraded_ms: float | None = Field(default=None, gt=0)
    failed_ms: float | None = Field(default=None, gt=0)

    @field_validator("failed_ms")
    @classmethod
    def _above_degraded(cls, value: float | None, info: ValidationInfo) -> float | None:
        degraded = info.data.get("degraded_ms")
        if value is not None and degraded is not None and degraded >= value:
            raise ValueError("must be above degraded_ms")
        return value


_STATUS = r"[1-5](xx|\d\d)"
StatusPattern = Annotated[str, Field(pattern=rf"^{_STATUS}$")]


class HttpMonitor(_MonitorBase, _ResponseTimeLimits):
    type: Literal[MonitorType.HTTP] = MonitorType.HTTP
    target: str = Field(max_length=2000)
    method: Literal["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] = "GET"
    headers: dict[str, str] = Field(default_factory=dict)
    body: str | None = Field(default=None, max_length=64 * 1024)
    follow_redirects: bool = True
    max_redirects: int = Field(default=5, ge=0, le=20)
    verify_tls: bool = True
    # Status codes ("200") or classes ("2xx"); the default accepts any 2xx.
    expected_status: tuple[int | StatusPattern, ...] = ("2xx",)
    body_contains: tuple[str, ...] = ()
    body_not_contains: tuple[str, ...] = ()
    body_regex: str | None = None
    body_not_regex: str | None = None
    assertions: tuple[Assertion, ...] = ()

    @field_validator("target")
    @classmethod
    def _url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname or any(c.isspace() for c in value):
            raise ValueError("must be an http:// or https:// URL")
        return value

    @field_validator("expected_status", mode="before")
    @classmethod
    def _status_shapes(cls, value: Any) -> Any:
        # Before the int-or-pattern union, whose errors would name its branches ("expected_status.0.int").
        for status in value if isinstance(value, list | tuple) else ():
            if not (re.fullmatch(_STATUS, status) if isinstance(status, str) else type(status) is int):
                raise ValueError(f"{status!r} is not a status code (e.g. 200) or class (e.g. 2xx)")
        return value

    @field_validator("expected_status")
    @classmethod
    def _statuses(cls, value: tuple[int | str, ...]) -> tuple[int | str, ...]:
        if not value:
            raise ValueError("at least one status is required")
        for status in value:
            if isinstance(status, int) and not 100 <= status <= 599:
                raise ValueError(f"status {status} is not between 100 and 599")
        return value

    @field_validator("body_regex", "body_not_regex")
    @classmethod
    def _regex(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"not a valid regular expression: {exc}") from None
        return value

    def accepts_status(self, status: int) -> bool:
        for pattern in self.expected_status:
            if isinstance(pattern, int):
                accepted = status == pattern
            elif pattern.endswith("xx"):
                accepted = str(status)[0] == pattern[0]
            else:
                accepted = status == int(pattern)
            if accepted:
                return True
        return False


HOST_PORT_PATTERN = r"^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$"


def split_host_port(target: str, default_port: int | None = None) -> tuple[str, int]:
    host, sep, port = target.rpartition(":")
    if not sep or not port.isdigit():
        if default_port is None:
            raise ValueError("must be host:port")
        return target.strip("[]"), default_port
    return host.strip("[]"), int(port)


class TcpMonitor(_MonitorBase, _ResponseTimeLimits):
    type: Literal[MonitorType.TCP] = MonitorType.TCP
    target: str = Field(max_length=300)
    send: str | None = Field(default=None, max_length=4096)  # e.g. "PING\r\n"
    expect: str | None = Field(default=None, max_length=4096)  # e.g. "+PONG"

    @field_validator("target")
    @classmethod
    def _port(cls, value: str) -> str:
        if not re.fullmatch(HOST_PORT_PATTERN, value):
            raise ValueError("must be host:port, e.g. db.internal:5432")
        if not 1 <= split_host_port(value)[1] <= 65535:
            raise ValueError("port must be between 1 and 65535")
        return value


class DnsRecordType(StrEnum):
    A = "A"
    AAAA = "AAAA"
    CNAME = "CNAME"
    MX = "MX"
    TXT = "TXT"
    NS = "NS"


class DnsMonitor(_MonitorBase, _ResponseTimeLimits):
    type: Literal[MonitorType.DNS] = MonitorType.DNS
    target: str = Field(max_length=253)  # the name to resolve
    record_type: DnsRecordType = DnsRecordType.A
    # "1.1.1.1", "127.0.0.1:5353" or "[::1]:53"; none means the system's resolver.
    resolver: str | None = Field(default=None, max_length=100)
    expected_rcode: Literal["NOERROR", "NXDOMAIN", "SERVFAIL", "REFUSED"] = "NOERROR"
    # Each of these must be among the answers (compared as the record's text, e.g. "10 mail.example.com.").
    expected_answers: tuple[str, ...] = ()

    @field_validator("target")
    @classmethod
    def _name(cls, value: str) -> str:
        if not re.fullmatch(r"[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*\.?", value):
            raise ValueError("must be a DNS name, e.g. api.example.com")
        return value

    @field_validator("resolver")
    @classmethod
    def _resolver(cls, value: str | None) -> str | None:
        if value is not None:
            import ipaddress

            host, port = split_host_port(value, default_port=53) if not _is_bare_ipv6(value) else (value, 53)
            try:
                ipaddress.ip_address(host)
            except ValueError:
                raise ValueError("must be an IP address, optionally with :port") from None
            if not 1 <= port <= 65535:
                raise ValueError("port must be between 1 and 65535")
        return value

    @property
    def resolver_address(self) -> tuple[str, int] | None:
        if self.resolver is None:
            return None
        if _is_bare_ipv6(self.resolver):
            return self.resolver, 53
        return split_host_port(self.resolver, default_port=53)


def _is_bare_ipv6(value: str) -> bool:
    return value.count(":") > 1 and not value.startswith("[")


class TlsMonitor(_MonitorBase):
    type: Literal[MonitorType.TLS] = MonitorType.TLS
    target: str = Field(max_length=300)
    server_name: str | None = Field(default=None, max_length=253)  # SNI and the name to match; default host
    min_days_remaining: float = Field(default=7, ge=0)  # below: DOWN
    degraded_days_remaining: float = Field(default=21, ge=0)  # below: DEGRADED
    ca_pem: str | None = Field(default=None, max_length=64 * 1024)  # a private CA to trust besides the system's

    @model_validator(mode="before")
    @classmethod
    def _default_degraded_days(cls, data: Any) -> Any:
        # Raising only the failing threshold must not make the (default) degraded one invalid.
        if isinstance(data, dict) and "degraded_days_remaining" not in data and "min_days_remaining" in data:
            minimum = data["min_days_remaining"]
            if isinstance(minimum, int | float) and minimum > 21:
                return {**data, "degraded_days_remaining": minimum}
        return data

    @field_validator("degraded_days_remaining")
    @classmethod
    def _not_below_min(cls, value: float, info: ValidationInfo) -> float:
        minimum = info.data.get("min_days_remaining")
        if minimum is not None and value < minimum:
            raise ValueError("must not be below min_days_remaining")
        return value

    @field_validator("target")
    @classmethod
    def _host(cls, value: str) -> str:
        if not re.fullmatch(r"(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?", value):
            raise ValueError("must be host or host:port, e.g. example.com:443")
        return value

    @property
    def host_port(self) -> tuple[str, int]:
        return split_host_port(self.target, default_port=443)


class HeartbeatMonitor(_MonitorBase):
    """A dead man's switch: the app POSTs /v1/heartbeats/{token}; no beat for interval + grace → DOWN."""

    type: Literal[MonitorType.HEARTBEAT] = MonitorType.HEARTBEAT
    grace: Seconds = Field(default=60.0, ge=0, le=86400)
    # A beat is itself the verdict, so one missed deadline is enough and one beat recovers.
    failure_threshold: int = Field(default=1, ge=1, le=MAX_THRESHOLD)
    success_threshold: int = Field(default=1, ge=1, le=MAX_THRESHOLD)

    @field_validator("timeout")
    @classmethod
    def _fits_interval(cls, value: float, info: ValidationInfo) -> float:
        return value  # no network call, so timeout and retries bound nothing


MonitorDefinition = Annotated[
    HttpMonitor | TcpMonitor | DnsMonitor | TlsMonitor | HeartbeatMonitor, Field(discriminator="type")
]
MONITOR_DEFINITION: TypeAdapter[MonitorDefinition] = TypeAdapter(MonitorDefinition)


class ManagedBy(StrEnum):
    API = "api"
    CODE = "code"  # monitors.yaml, deployed with the stack; changed only there


class Monitor(BaseModel):
    """A stored monitor: its definition and who owns it."""

    model_config = ConfigDict(frozen=True)

    tenant_id: str = Field(pattern=TENANT_ID_PATTERN)
    id: str = Field(pattern=MONITOR_ID_PATTERN)
    definition: MonitorDefinition
    managed_by: ManagedBy = ManagedBy.API
    heartbeat_token: str | None = None
    created_at: AwareDatetime
    updated_at: AwareDatetime

    def in_maintenance(self, at: datetime) -> bool:
        return any(window.is_active(at) for window in self.definition.maintenance)

    def to_public(self) -> dict[str, Any]:
        body = self.definition.model_dump(mode="json", exclude={"id"}, exclude_none=True)
        out: dict[str, Any] = {"id": self.id, **body, "managed_by": self.managed_by.value}
        if self.heartbeat_token:
            out["heartbeat_url_path"] = f"/v1/heartbeats/{self.heartbeat_token}"
        out["created_at"] = self.created_at.isoformat()
        out["updated_at"] = self.updated_at.isoformat()
        return out


def slugify(name: str, fallback: str = "monitor") -> str:
    """An id from a name: lower-case letters, digits and dashes, at most 63 characters."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:63].strip("-")
    return slug or fallback


def new_heartbeat_token() -> str:
    return "hb_" + secrets.token_urlsafe(24)


def utc(at: datetime) -> datetime:
    return at.astimezone(UTC)
