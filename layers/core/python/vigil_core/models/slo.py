"""Service level objectives: what is measured (the SLI), the objective, the window and how the budget is
counted, and whether burn-rate alerts watch it.

An SLI counts good and total events in the SLA windows table (see adapters/dynamodb_sla_windows.py):
- `availability`: a monitor's checks; good = UP or DEGRADED, total = every conclusive check outside maintenance.
- `latency`: a monitor's checks that measured a response time; good = those at or under `threshold_ms`.
- `ratio`: a counter metric pushed by an app; total = the value of every point matching `matchers`, bad (or
  good) = the part of it also matching `bad` (or `good`). Written into the SLO's own windows at ingest.
- `metric_latency`: a histogram metric; good = observations at or under `threshold_ms`, at ingest too.
Latency thresholds must be histogram bucket bounds, so good events are counted exactly, not interpolated.

The objective defaults to the tier's target: availability for `availability`, 100 - the error-rate target
for `ratio`, and the availability target for the share of fast events in latency SLIs. The tier is the
tenant's, or the service tier the SLO names (`service: {tier: premium, kind: database}`).
"""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, TypeAdapter, field_validator, model_validator

from vigil_core.models.alerts import LabelKey, Matcher, Severity
from vigil_core.models.metrics import MetricName
from vigil_core.models.monitors import MONITOR_ID_PATTERN
from vigil_core.models.rollups import HISTOGRAM_BOUNDS
from vigil_core.models.sla import SERVICE_TIERS, TENANT_TIERS, ServiceKind, SlaTarget, SloWindow, WindowKind
from vigil_core.models.tenants import TENANT_ID_PATTERN

SLO_ID_PATTERN = r"^[a-z0-9][a-z0-9-]{0,58}$"  # its burn-rate rule is slo-<id>, a rule id of 63 at most
ROLLING_WINDOW_DAYS = (7, 28, 30)
MAX_MATCHERS = 20


def _bucket_bound(value: float) -> float:
    if value not in HISTOGRAM_BOUNDS:
        bounds = ", ".join(f"{bound:g}" for bound in HISTOGRAM_BOUNDS)
        raise ValueError(f"must be one of the latency histogram's bucket bounds (ms): {bounds}")
    return value


class AvailabilitySli(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["availability"] = "availability"
    monitor: str = Field(pattern=MONITOR_ID_PATTERN)


class LatencySli(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["latency"] = "latency"
    monitor: str = Field(pattern=MONITOR_ID_PATTERN)
    threshold_ms: float

    @field_validator("threshold_ms")
    @classmethod
    def _bound(cls, value: float) -> float:
        return _bucket_bound(value)


class RatioSli(BaseModel):
    """Events counted from a counter metric: total = matching points' values; bad or good = a part of it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["ratio"] = "ratio"
    metric: MetricName
    matchers: tuple[Matcher, ...] = Field(default=(), max_length=MAX_MATCHERS)
    bad: tuple[Matcher, ...] | None = Field(default=None, min_length=1, max_length=MAX_MATCHERS)
    good: tuple[Matcher, ...] | None = Field(default=None, min_length=1, max_length=MAX_MATCHERS)

    @model_validator(mode="after")
    def _one_of_bad_or_good(self) -> RatioSli:
        if (self.bad is None) == (self.good is None):
            raise ValueError("give exactly one of bad or good: the matchers that pick bad (or good) events")
        return self


class MetricLatencySli(BaseModel):
    """Events counted from a histogram metric: good = observations at or under the threshold."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["metric_latency"] = "metric_latency"
    metric: MetricName
    matchers: tuple[Matcher, ...] = Field(default=(), max_length=MAX_MATCHERS)
    threshold_ms: float

    @field_validator("threshold_ms")
    @classmethod
    def _bound(cls, value: float) -> float:
        return _bucket_bound(value)


Sli = Annotated[AvailabilitySli | LatencySli | RatioSli | MetricLatencySli, Field(discriminator="kind")]
ProbeSli = AvailabilitySli | LatencySli
MetricSli = RatioSli | MetricLatencySli


class WindowSpec(BaseModel):
    """rolling (7, 28 or 30 days) or a calendar month or quarter in the SLO's time zone."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: WindowKind = WindowKind.ROLLING
    days: int | None = None

    @model_validator(mode="after")
    def _days_for_rolling_only(self) -> WindowSpec:
        if self.kind is WindowKind.ROLLING:
            if self.days is None:
                object.__setattr__(self, "days", 30)
            elif self.days not in ROLLING_WINDOW_DAYS:
                raise ValueError(f"a rolling window lasts {', '.join(map(str, ROLLING_WINDOW_DAYS))} days")
        elif self.days is not None:
            raise ValueError("days is only for rolling windows (a calendar window is its month or quarter)")
        return self


class Budgeting(StrEnum):
    OCCURRENCES = "occurrences"  # good events / all events
    TIMESLICES = "timeslices"  # good slices / all slices, a slice good when its own ratio meets slice_target


class Timeslices(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    target_pct: float = Field(gt=0, le=100)  # a slice is good when its good/total reaches this
    minutes: int = Field(default=1, ge=1, le=60)

    @field_validator("minutes")
    @classmethod
    def _divides_an_hour(cls, value: int) -> int:
        if 60 % value:
            raise ValueError("must divide an hour (1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30 or 60)")
        return value


class BurnRateAlerting(BaseModel):
    """The SRE Workbook's rows (derived from the window): the page rows raise `page`, the ticket row `ticket`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    enabled: bool = True
    page: Severity = Severity.CRITICAL
    ticket: Severity = Severity.WARNING


class ServiceTier(BaseModel):
    """A service tier from the API and database seed table, instead of the tenant's tier."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    tier: Literal["standard", "premium", "enterprise"]
    kind: ServiceKind = "api"

    @property
    def target(self) -> SlaTarget:
        return SERVICE_TIERS[(self.tier, self.kind)]


def check_timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{value!r} is not an IANA time zone (e.g. Europe/Berlin)") from None
    return value


class SloDefinition(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str | None = Field(default=None, pattern=SLO_ID_PATTERN)
    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=2000)
    sli: Sli
    objective_pct: float | None = Field(default=None, gt=0, lt=100)  # None: the tier's target
    service: ServiceTier | None = None  # None: the tenant's tier sets the default objective
    window: WindowSpec = WindowSpec()
    timezone: str | None = None  # None: the tenant's (calendar windows and reports)
    budgeting: Budgeting = Budgeting.OCCURRENCES
    timeslices: Timeslices | None = None
    alerting: BurnRateAlerting = BurnRateAlerting()
    labels: dict[LabelKey, Annotated[str, Field(max_length=256)]] = Field(default_factory=dict, max_length=30)

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        return None if value is None else check_timezone(value)

    @model_validator(mode="after")
    def _timeslices_with_budgeting(self) -> SloDefinition:
        if self.budgeting is Budgeting.TIMESLICES and self.timeslices is None:
            raise ValueError("timeslices budgeting needs timeslices: {target_pct, minutes}")
        if self.budgeting is Budgeting.OCCURRENCES and self.timeslices is not None:
            raise ValueError("timeslices is only for budgeting: timeslices")
        return self

    @property
    def slo_id(self) -> str:
        return self.id or slugify_slo(self.name)

    def objective(self, target: SlaTarget) -> float:
        """The objective in %: the SLO's own, or the target that fits its SLI of its service tier (if it names
        one) or else of `target`, the tenant's."""
        if self.objective_pct is not None:
            return self.objective_pct
        if self.service is not None:
            target = self.service.target
        if isinstance(self.sli, RatioSli):
            return 100 - target.error_rate_pct
        return target.availability_pct

    def slo_window(self, tenant_timezone: str) -> SloWindow:
        return SloWindow(self.window.kind, self.window.days or 30, self.timezone or tenant_timezone)


SLO_DEFINITION: TypeAdapter[SloDefinition] = TypeAdapter(SloDefinition)


def slugify_slo(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:59].strip("-")
    return slug or "slo"


class SloSource(StrEnum):
    API = "api"
    IMPORT = "import"  # vigil slo import (OpenSLO)


class Slo(BaseModel):
    """A stored SLO of a tenant."""

    model_config = ConfigDict(frozen=True)

    tenant_id: str = Field(pattern=TENANT_ID_PATTERN)
    id: str = Field(pattern=SLO_ID_PATTERN)
    definition: SloDefinition
    source: SloSource = SloSource.API
    created_at: AwareDatetime
    updated_at: AwareDatetime

    @property
    def window_partition(self) -> str:
        """The SLA windows that count its events: its monitor's for probe SLIs, its own for metric SLIs."""
        return sla_window_partition(self.tenant_id, self.definition.sli, self.id)

    def to_public(self) -> dict[str, Any]:
        body = self.definition.model_dump(mode="json", exclude={"id"}, exclude_none=True)
        return {
            "id": self.id,
            **body,
            "source": self.source.value,
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
        }


def sla_window_partition(tenant_id: str, sli: ProbeSli | MetricSli, slo_id: str) -> str:
    if isinstance(sli, AvailabilitySli | LatencySli):
        return f"{tenant_id}#{sli.monitor}"
    return f"{tenant_id}#slo:{slo_id}"  # ':' never appears in a monitor id, so the two cannot collide


class SlaPolicy(BaseModel):
    """A tenant's SLA settings: its tier, the tier's targets it overrides, and its time zone (calendar
    periods, report days)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    tier: Literal["basic", "professional", "enterprise"] | None = None  # None: the tenant's tier
    availability_pct: float | None = Field(default=None, gt=0, lt=100)
    latency_ms: float | None = Field(default=None, gt=0)
    error_rate_pct: float | None = Field(default=None, gt=0, lt=100)
    recovery_time_s: int | None = Field(default=None, gt=0, le=7 * 86400)
    timezone: str = "UTC"
    updated_at: datetime | None = None

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        return check_timezone(value)

    def tenant_target(self, tenant_tier: str) -> SlaTarget:
        """The targets of the policy's tier (else the tenant's): basic, professional and enterprise from the tenant
        table, standard and premium as an API's from the service table; then the policy's overrides."""
        tier = self.tier or tenant_tier
        return self.target(TENANT_TIERS.get(tier) or SERVICE_TIERS[(tier, "api")])

    def target(self, base: SlaTarget) -> SlaTarget:
        overrides = {
            name: value
            for name in ("availability_pct", "latency_ms", "error_rate_pct", "recovery_time_s")
            if (value := getattr(self, name)) is not None
        }
        return base.model_copy(update=overrides)
