"""Alert rules, alerts, silences and a tenant's alerting policy.

Rules come in three kinds told apart by `kind`: threshold rules over metric rollups, probe rules over
monitor states, and SLO rules, derived from each SLO with burn-rate alerting (never written by users).
Every bad field is refused with its name and reason. Durations accept 30s / 5m / 1h or seconds.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    TypeAdapter,
    field_validator,
    model_validator,
)

from vigil_core.models.metrics import LABEL_KEY_PATTERN, MetricName
from vigil_core.models.monitors import MaintenanceWindow, parse_duration_seconds, slugify
from vigil_core.models.tenants import TENANT_ID_PATTERN

RULE_ID_PATTERN = r"^[a-z0-9][a-z0-9-]{0,62}$"
MAX_RULE_WINDOW_S = 24 * 3600
MAX_FOR_S = 24 * 3600
MAX_LABELS = 30
MAX_MATCHERS = 20
MAX_SILENCE_S = 90 * 86400
MAX_NOTES = 2000

LabelKey = Annotated[str, Field(pattern=LABEL_KEY_PATTERN, max_length=100)]


def _whole_minutes(value: Any) -> int:
    seconds = parse_duration_seconds(value)
    if seconds < 60 or seconds % 60:
        raise ValueError("must be a whole number of minutes, at least 1m (e.g. 5m, 1h)")
    if seconds > MAX_RULE_WINDOW_S:
        raise ValueError("must be at most 24h")
    return int(seconds)


def _seconds(limit: float) -> Any:
    def parse(value: Any) -> int:
        seconds = parse_duration_seconds(value)
        if seconds < 0 or seconds > limit or seconds != int(seconds):
            raise ValueError(f"must be a whole number of seconds between 0 and {int(limit)}")
        return int(seconds)

    return BeforeValidator(parse)


WindowSeconds = Annotated[int, BeforeValidator(_whole_minutes)]
ForSeconds = Annotated[int, _seconds(MAX_FOR_S)]


class Severity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return _SEVERITY_RANK[self]


_SEVERITY_RANK = {Severity.INFO: 0, Severity.WARNING: 1, Severity.ERROR: 2, Severity.CRITICAL: 3}


class Condition(StrEnum):
    GT = "gt"
    GTE = "gte"
    LT = "lt"
    LTE = "lte"
    EQ = "eq"
    NE = "ne"

    def holds(self, value: float, threshold: float) -> bool:
        return {
            Condition.GT: value > threshold,
            Condition.GTE: value >= threshold,
            Condition.LT: value < threshold,
            Condition.LTE: value <= threshold,
            Condition.EQ: value == threshold,
            Condition.NE: value != threshold,
        }[self]


class Aggregation(StrEnum):
    AVG = "avg"
    SUM = "sum"
    MIN = "min"
    MAX = "max"
    COUNT = "count"
    RATE = "rate"  # sum per second over the window (counters)
    P95 = "p95"
    P99 = "p99"
    RATIO = "ratio"  # 100 * sum of the series matching `numerator` / sum of all matched series


class MatchOp(StrEnum):
    EQ = "="
    NE = "!="
    RE = "=~"
    NRE = "!~"


class Matcher(BaseModel):
    """A label matcher as Prometheus and Alertmanager write it; regexes are anchored at both ends."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    label: LabelKey
    op: MatchOp = MatchOp.EQ
    value: str = Field(max_length=256)

    @model_validator(mode="after")
    def _regex_compiles(self) -> Matcher:
        if self.op in (MatchOp.RE, MatchOp.NRE):
            try:
                re.compile(self.value)
            except re.error as exc:
                raise ValueError(f"value is not a valid regular expression: {exc}") from None
        return self

    def matches(self, labels: dict[str, str]) -> bool:
        actual = labels.get(self.label, "")  # a missing label matches as the empty string
        if self.op is MatchOp.EQ:
            return actual == self.value
        if self.op is MatchOp.NE:
            return actual != self.value
        found = re.fullmatch(self.value, actual) is not None
        return found if self.op is MatchOp.RE else not found


def matches_all(matchers: tuple[Matcher, ...], labels: dict[str, str]) -> bool:
    return all(matcher.matches(labels) for matcher in matchers)


class Threshold(BaseModel):
    """One severity of a rule: the condition that raises it and how long it must hold first."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    severity: Severity
    condition: Condition
    value: float = Field(allow_inf_nan=False)
    for_seconds: ForSeconds = Field(default=0, alias="for")


class Annotations(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    summary: str | None = Field(default=None, max_length=500)
    description: str | None = Field(default=None, max_length=4000)
    runbook_url: str | None = Field(default=None, max_length=2000, pattern=r"^https?://\S+$")


def _labels(value: dict[str, str]) -> dict[str, str]:
    if len(value) > MAX_LABELS:
        raise ValueError(f"at most {MAX_LABELS} labels are allowed")
    for key, text in value.items():
        if not re.fullmatch(LABEL_KEY_PATTERN, key) or key.startswith("__"):
            raise ValueError(f"label key {key!r} must match [a-zA-Z_][a-zA-Z0-9_]*")
        if len(text) > 256:
            raise ValueError(f"label {key!r} value is longer than 256 characters")
    return value


class _RuleBase(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    id: str | None = Field(default=None, pattern=RULE_ID_PATTERN)
    name: str = Field(min_length=1, max_length=200)
    enabled: bool = True
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: Annotations = Annotations()
    # A resolution is reported only once it has held this long; a re-fire inside it is a flap.
    cooldown: ForSeconds = 300

    @field_validator("labels")
    @classmethod
    def _check_labels(cls, value: dict[str, str]) -> dict[str, str]:
        return _labels(value)

    @property
    def rule_id(self) -> str:
        return self.id or slug(self.name)


def _one_threshold_per_severity(thresholds: tuple[Threshold, ...]) -> tuple[Threshold, ...]:
    severities = [threshold.severity for threshold in thresholds]
    if len(set(severities)) != len(severities):
        raise ValueError("each severity may appear once")
    return tuple(sorted(thresholds, key=lambda threshold: -threshold.severity.rank))


def _shorthand_threshold(data: Any) -> Any:
    """`condition`, `threshold`, `severity` and `for` at the top level are one threshold."""
    if isinstance(data, dict) and "thresholds" not in data and {"condition", "threshold"} & data.keys():
        data = dict(data)
        single = {"condition": data.pop("condition", None), "value": data.pop("threshold", None)}
        single["severity"] = data.pop("severity", Severity.WARNING)
        if "for" in data:
            single["for"] = data.pop("for")
        data["thresholds"] = [single]
    return data


class ThresholdRule(_RuleBase):
    """A metric aggregated over a window, per group of series, compared with one or more thresholds."""

    kind: Literal["threshold"] = "threshold"
    metric: MetricName
    matchers: tuple[Matcher, ...] = Field(default=(), max_length=MAX_MATCHERS)
    aggregation: Aggregation = Aggregation.AVG
    # Only for `ratio`: which of the matched series count as the numerator (e.g. status =~ 5..).
    numerator: tuple[Matcher, ...] = Field(default=(), max_length=MAX_MATCHERS)
    window: WindowSeconds = 300
    # Series are aggregated per distinct value of these labels: one alert each. None: one alert per series.
    group_by: tuple[LabelKey, ...] | None = None
    thresholds: tuple[Threshold, ...] = Field(min_length=1, max_length=4)

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        return _shorthand_threshold(data)

    @field_validator("thresholds")
    @classmethod
    def _severities(cls, value: tuple[Threshold, ...]) -> tuple[Threshold, ...]:
        return _one_threshold_per_severity(value)

    @model_validator(mode="after")
    def _numerator_only_for_ratio(self) -> ThresholdRule:
        if self.aggregation is Aggregation.RATIO and not self.numerator:
            raise ValueError("a ratio needs numerator matchers (which series count as errors)")
        if self.aggregation is not Aggregation.RATIO and self.numerator:
            raise ValueError("numerator is only for aggregation: ratio")
        return self


class ProbeState(StrEnum):
    DOWN = "DOWN"
    DEGRADED = "DEGRADED"


class ProbeRule(_RuleBase):
    """Monitors in a bad state for a while. Matchers see `monitor`, `type` and the monitor's tags."""

    kind: Literal["probe"]
    monitors: tuple[Matcher, ...] = Field(default=(), max_length=MAX_MATCHERS)
    states: tuple[ProbeState, ...] = Field(default=(ProbeState.DOWN,), min_length=1)
    for_seconds: ForSeconds = Field(default=0, alias="for")
    severity: Severity = Severity.CRITICAL

    @property
    def thresholds(self) -> tuple[Threshold, ...]:
        return (Threshold(severity=self.severity, condition=Condition.EQ, value=1, for_seconds=self.for_seconds),)


class SloRule(_RuleBase):
    """An SLO's multi-window, multi-burn-rate alert, derived from the SLO at each evaluation (see
    services/alert_rules.py slo_rules). Its thresholds are the SLO's page and ticket severities, each at the
    lowest burn-rate factor of its rows; which rows fire is decided by alerting/burn_rate.py."""

    kind: Literal["slo"] = "slo"
    slo: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,58}$")  # models/slo.py SLO_ID_PATTERN (it imports us)
    thresholds: tuple[Threshold, ...] = Field(min_length=1, max_length=2)

    @field_validator("thresholds")
    @classmethod
    def _severities(cls, value: tuple[Threshold, ...]) -> tuple[Threshold, ...]:
        return _one_threshold_per_severity(value)


# What users write (API, alert-rules.yaml, packs); SLO rules are only ever derived.
RuleDefinition = Annotated[ThresholdRule | ProbeRule, Field(discriminator="kind")]
RULE_DEFINITION: TypeAdapter[ThresholdRule | ProbeRule] = TypeAdapter(RuleDefinition)


def rule_kind(data: Any) -> Any:
    """Rules without a kind are threshold rules."""
    if isinstance(data, dict) and "kind" not in data:
        return {**data, "kind": "threshold"}
    return data


class RuleSource(StrEnum):
    API = "api"
    CODE = "code"  # alert-rules.yaml, deployed with the stack
    PACK = "pack"  # the default rule pack, enabled per tenant
    SLO = "slo"  # derived from an SLO with burn-rate alerting, never stored


class AlertRule(BaseModel):
    """A stored rule: its definition and who owns it."""

    model_config = ConfigDict(frozen=True)

    tenant_id: str = Field(pattern=TENANT_ID_PATTERN)
    id: str = Field(pattern=RULE_ID_PATTERN)
    definition: ThresholdRule | ProbeRule | SloRule = Field(discriminator="kind")
    source: RuleSource = RuleSource.API
    created_at: AwareDatetime
    updated_at: AwareDatetime

    def to_public(self) -> dict[str, Any]:
        body = self.definition.model_dump(mode="json", exclude={"id"}, exclude_none=True, by_alias=True)
        return {
            "id": self.id,
            **body,
            "source": self.source.value,
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
        }


class AlertStatus(StrEnum):
    PENDING = "pending"
    FIRING = "firing"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"

    @property
    def is_open(self) -> bool:
        return self is not AlertStatus.RESOLVED


class AlertSource(StrEnum):
    RULE = "rule"
    PROBE = "probe"
    CUSTOM = "custom"


class HistoryEntry(BaseModel):
    model_config = ConfigDict(frozen=True)

    at: AwareDatetime
    status: AlertStatus
    severity: Severity
    by: str | None = None
    note: str | None = None


MAX_HISTORY = 50


class Alert(BaseModel):
    """One alert per fingerprint (tenant + rule + group labels), reused when it fires again."""

    model_config = ConfigDict(frozen=True)

    tenant_id: str
    fingerprint: str
    rule_id: str
    rule_name: str
    source: AlertSource
    status: AlertStatus
    severity: Severity
    labels: dict[str, str]  # rule labels, group labels, alertname and severity
    group_labels: dict[str, str] = Field(default_factory=dict)  # the labels it was raised for (fingerprinted)
    annotations: Annotations = Annotations()
    value: float | None = None
    threshold: float | None = None
    cooldown: int = 300
    pending_since: AwareDatetime | None = None  # when the current breach began
    fired_at: AwareDatetime | None = None  # when it last started firing
    first_seen: AwareDatetime
    last_seen: AwareDatetime  # the last evaluation that found it breaching (or the last custom report)
    last_evaluated_at: AwareDatetime | None = None
    occurrences: int = 0  # times it started firing, including repeats inside the cooldown
    # Times it started firing (new occurrences and flaps), not counting an app reporting it again while open:
    # which firing an escalation belongs to.
    firings: int = 0
    flap_count: int = 0
    acknowledged_by: str | None = None
    acknowledged_at: AwareDatetime | None = None
    ack_notes: str | None = None
    resolved_by: str | None = None  # None with resolved_at set: resolved when its condition cleared
    resolved_at: AwareDatetime | None = None
    resolution_notes: str | None = None
    changed_at: AwareDatetime  # the last status or severity change
    # Per severity, since when its threshold has held in the current breach (empty when not breaching).
    breaching_since: dict[Severity, AwareDatetime] = Field(default_factory=dict)
    group_key: str | None = None  # the notification group it belongs to under the tenant's policy
    history: tuple[HistoryEntry, ...] = ()
    version: int = 0  # 0: not stored yet; every stored change adds one

    @property
    def id(self) -> str:
        return self.fingerprint

    @property
    def has_fired(self) -> bool:
        return self.fired_at is not None

    def to_public(self) -> dict[str, Any]:
        body = self.model_dump(
            mode="json", exclude={"version", "tenant_id", "breaching_since", "group_key"}, exclude_none=True
        )
        return {"id": self.fingerprint, **body}


def fingerprint(tenant_id: str, rule_id: str, group_labels: dict[str, str]) -> str:
    """Stable across evaluations and evaluators: the same breach always lands on the same alert."""
    canonical = "\x00".join([tenant_id, rule_id, *(f"{k}={v}" for k, v in sorted(group_labels.items()))])
    return hashlib.sha256(canonical.encode()).hexdigest()[:32]


class TransitionKind(StrEnum):
    """What is published. Pending is internal (nothing has fired yet) and is not."""

    FIRING = "firing"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"
    SEVERITY_CHANGED = "severity_changed"
    REPEATED = "repeated"  # fired again inside its cooldown (a flap), or a custom alert reported again


class AlertTransition(BaseModel):
    """A change of one alert, published at once to the alerts topic with kind=transition."""

    model_config = ConfigDict(frozen=True)

    transition_id: str  # fingerprint:version: unique per change, stable across retries
    kind: TransitionKind
    tenant_id: str
    fingerprint: str
    status: AlertStatus
    previous_status: AlertStatus | None
    severity: Severity
    at: AwareDatetime
    occurrence: int
    alert: dict[str, Any]  # the alert as the API shows it


@dataclass(frozen=True, slots=True)
class Observation:
    """What one evaluation found for one alert-to-be: a group of series (or a monitor) and its value.

    `breached` lists the thresholds whose condition holds now (for not yet considered), highest severity
    first; empty when the condition is clear. `breach_since` is when the breach began if the source knows
    it (a monitor's state change), else the evaluation time is used.
    """

    rule_id: str
    group_labels: dict[str, str]
    value: float | None
    breached: tuple[Threshold, ...]
    breach_since: datetime | None = None


@dataclass(frozen=True, slots=True)
class AlertChange:
    """A new version of an alert to store (conditional on the old version) and what to publish."""

    alert: Alert
    expected_version: int
    transition: AlertTransition | None


class GroupState(BaseModel):
    """A notification group (tenant + the policy's group_by labels) and what it last told people."""

    model_config = ConfigDict(frozen=True)

    tenant_id: str
    group_key: str
    group_labels: dict[str, str]
    created_at: AwareDatetime
    next_flush_at: AwareDatetime  # group_wait after creation, then group_interval after each flush
    last_notified_at: AwareDatetime | None = None
    notified_firing: tuple[str, ...] = ()  # fingerprints in the last notification's firing list
    sequence: int = 0  # notifications sent
    version: int = 0


def group_key(tenant_id: str, group_labels: dict[str, str]) -> str:
    canonical = "\x00".join([tenant_id, *(f"{k}={v}" for k, v in sorted(group_labels.items()))])
    return hashlib.sha256(canonical.encode()).hexdigest()[:24]


class GroupNotification(BaseModel):
    """One notification for a group of alerts, as Alertmanager sends it: the group's firing and newly
    resolved alerts. Published with kind=notification; the notifiers turn it into messages."""

    model_config = ConfigDict(frozen=True)

    notification_id: str  # group key:sequence
    tenant_id: str
    group_key: str
    group_labels: dict[str, str]
    status: Literal["firing", "resolved"]
    severity: Severity  # the highest among the firing alerts (or the resolved ones)
    reason: Literal["new", "changed", "repeat", "escalation"]
    firing: tuple[dict[str, Any], ...]
    resolved: tuple[dict[str, Any], ...]
    at: AwareDatetime
    escalation_level: int | None = None  # set on an escalation page: the level being paged


class InhibitRule(BaseModel):
    """While an alert matching `source` fires, alerts matching `target` with the same `equal` labels are
    not notified (still recorded)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    source: tuple[Matcher, ...] = Field(min_length=1, max_length=MAX_MATCHERS)
    target: tuple[Matcher, ...] = Field(min_length=1, max_length=MAX_MATCHERS)
    equal: tuple[LabelKey, ...] = ()


DEFAULT_INHIBIT_RULES = (
    InhibitRule(
        source=(Matcher(label="severity", value="critical"),),
        target=(Matcher(label="severity", op=MatchOp.RE, value="warning|info"),),
        equal=("service",),
    ),
)


class AlertingPolicy(BaseModel):
    """A tenant's grouping, inhibition, maintenance and rule packs (Alertmanager's defaults otherwise)."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    group_by: tuple[LabelKey, ...] = ("alertname",)
    group_wait: Annotated[int, _seconds(3600)] = 30
    group_interval: Annotated[int, _seconds(86400)] = 300
    repeat_interval: Annotated[int, _seconds(7 * 86400)] = 4 * 3600
    inhibit_rules: tuple[InhibitRule, ...] = Field(default=DEFAULT_INHIBIT_RULES, max_length=50)
    maintenance: tuple[MaintenanceWindow, ...] = Field(default=(), max_length=50)
    # Shipped rule packs this tenant evaluates besides its own rules (a rule of its own with the same id wins).
    rule_packs: tuple[Literal["default"], ...] = ()

    @model_validator(mode="after")
    def _intervals(self) -> AlertingPolicy:
        if self.group_interval < 60:
            raise ValueError("group_interval must be at least 1m")
        if self.repeat_interval < self.group_interval:
            raise ValueError("repeat_interval must be at least group_interval")
        return self

    def in_maintenance(self, at: datetime) -> bool:
        return any(window.is_active(at) for window in self.maintenance)


class SilenceInput(BaseModel):
    """The body of POST /v1/silences."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    matchers: tuple[Matcher, ...] = Field(min_length=1, max_length=MAX_MATCHERS)
    starts_at: AwareDatetime | None = None  # now when absent
    ends_at: AwareDatetime
    created_by: str = Field(min_length=1, max_length=200)
    comment: str = Field(min_length=1, max_length=MAX_NOTES)


class Silence(BaseModel):
    model_config = ConfigDict(frozen=True)

    tenant_id: str
    id: str
    matchers: tuple[Matcher, ...]
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    created_by: str
    comment: str
    created_at: AwareDatetime

    def is_active(self, at: datetime) -> bool:
        return self.starts_at <= at < self.ends_at

    def state(self, at: datetime) -> Literal["pending", "active", "expired"]:
        if at < self.starts_at:
            return "pending"
        return "active" if at < self.ends_at else "expired"

    def silences(self, labels: dict[str, str], at: datetime) -> bool:
        return self.is_active(at) and matches_all(self.matchers, labels)

    def to_public(self, at: datetime) -> dict[str, Any]:
        body = self.model_dump(mode="json", exclude={"tenant_id"})
        return {**body, "state": self.state(at)}


class AcknowledgeInput(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    notes: str | None = Field(default=None, max_length=MAX_NOTES)
    by: str | None = Field(default=None, max_length=200)


class ResolveInput(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    resolution_notes: str | None = Field(default=None, max_length=MAX_NOTES)
    by: str | None = Field(default=None, max_length=200)


class CustomAlertInput(BaseModel):
    """The body of POST /v1/alerts: an alert raised by an app. The same name and labels report the same
    alert again (its occurrence count rises)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    severity: Severity = Severity.WARNING
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: Annotations = Annotations()
    value: float | None = Field(default=None, allow_inf_nan=False)

    @field_validator("labels")
    @classmethod
    def _check_labels(cls, value: dict[str, str]) -> dict[str, str]:
        return _labels(value)


def slug(name: str) -> str:
    return slugify(name, fallback="rule")


class MetricsWritten(BaseModel):
    """Sent by ingest after a batch is stored: evaluate the tenant's rules on these metrics now."""

    model_config = ConfigDict(frozen=True)

    kind: Literal["metrics.written"] = "metrics.written"
    tenant_id: str
    metrics: tuple[str, ...]
    at: AwareDatetime


class FlushDue(BaseModel):
    """Sent with a delay when a group is opened: its group_wait is over, notify it."""

    model_config = ConfigDict(frozen=True)

    kind: Literal["group.flush"] = "group.flush"
    tenant_id: str
    group_key: str


class RulesDue(BaseModel):
    """Sent with a delay when an alert goes pending: when its `for` will have elapsed, evaluate its rule,
    so it fires on time rather than at the next minute's evaluation."""

    model_config = ConfigDict(frozen=True)

    kind: Literal["rules.due"] = "rules.due"
    tenant_id: str
    rule_ids: tuple[str, ...]


EVALUATION_REQUEST: TypeAdapter[MetricsWritten | FlushDue | RulesDue] = TypeAdapter(
    Annotated[MetricsWritten | FlushDue | RulesDue, Field(discriminator="kind")]
)
