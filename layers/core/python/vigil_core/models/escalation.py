"""A tenant's escalation policy: per severity, ordered levels paged one after another while an alert fires
unacknowledged, the whole chain repeated up to five times; and the tenant's business hours, which a level may
wait for (a warning at 3 am pages at 9 am) or apply outside of only (after-hours cover).

`plan()` turns a policy into the schedule an escalation follows from the moment an alert starts firing: the
times are computed once, up front, in the tenant's time zone, so the state machine only waits for them.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

from vigil_core.models.alerts import Severity
from vigil_core.models.monitors import WEEKDAYS, TimeZoneName, Weekday, parse_duration_seconds
from vigil_core.models.notifications import CHANNEL_ID_PATTERN

MAX_LEVELS = 10
MAX_REPEATS = 5
MIN_LEVEL_DELAY_S = 60
MAX_LEVEL_DELAY_S = 24 * 3600
_SEARCH_DAYS = 8  # a weekly schedule opens within a week (plus the day a search starts on)

When = Literal["always", "business_hours", "outside_business_hours"]


def _level_delay(value: Any) -> int:
    seconds = parse_duration_seconds(value)
    if seconds != int(seconds) or not MIN_LEVEL_DELAY_S <= seconds <= MAX_LEVEL_DELAY_S:
        raise ValueError("must be a whole number of seconds between 60 (1m) and 86400 (24h)")
    return int(seconds)


class BusinessHours(BaseModel):
    """Opening hours on some weekdays, in the tenant's time zone (wall-clock times: 09:00 stays 09:00 across a
    daylight-saving change)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    timezone: TimeZoneName = "UTC"
    days: tuple[Weekday, ...] = Field(default=("mon", "tue", "wed", "thu", "fri"), min_length=1, max_length=7)
    start: time = time(9, 0)
    end: time = time(17, 0)

    @field_validator("days")
    @classmethod
    def _distinct_days(cls, value: tuple[Weekday, ...]) -> tuple[Weekday, ...]:
        if len(set(value)) != len(value):
            raise ValueError("each day may be given once")
        return value

    @model_validator(mode="after")
    def _opens_before_it_closes(self) -> BusinessHours:
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            raise ValueError("start and end are local times in `timezone`, without an offset")
        if self.end <= self.start:
            raise ValueError("end must be after start on the same day (hours past midnight belong to the next day)")
        return self

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def contains(self, at: datetime) -> bool:
        local = at.astimezone(self.zone)
        return WEEKDAYS[local.weekday()] in self.days and self.start <= local.time() < self.end

    def next_opening(self, at: datetime) -> datetime:
        """`at` itself inside business hours, else the next moment they open."""
        if self.contains(at):
            return at
        first_day = at.astimezone(self.zone).date()
        openings = (
            datetime.combine(day, self.start, tzinfo=self.zone).astimezone(UTC)
            for day in (first_day + timedelta(days=offset) for offset in range(_SEARCH_DAYS))
            if WEEKDAYS[day.weekday()] in self.days
        )
        return min(opens for opens in openings if opens > at)


class EscalationLevel(BaseModel):
    """Who is paged when the alert is still unacknowledged `after` the previous level (or the alert firing).

    `when`: always; business_hours — the level waits for business hours to open; outside_business_hours — the
    level is skipped while they are open (after-hours cover)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    targets: tuple[Annotated[str, Field(pattern=CHANNEL_ID_PATTERN)], ...] = Field(min_length=1, max_length=10)
    after: Annotated[int, BeforeValidator(_level_delay)]
    when: When = "always"


def _level(after: int, *targets: str) -> tuple[EscalationLevel, ...]:
    return (EscalationLevel(targets=targets, after=after),)


# The product's defaults: critical escalates after 1 minute, error after 5, warning after 15, info never
# (a low-urgency alert does not page anyone, as PagerDuty does it).
DEFAULT_LEVELS: dict[Severity, tuple[EscalationLevel, ...]] = {
    Severity.CRITICAL: _level(60, "pagerduty", "sms"),
    Severity.ERROR: _level(300, "sms", "email"),
    Severity.WARNING: _level(900, "email", "slack"),
    Severity.INFO: (),
}


class EscalationStep(BaseModel):
    """One page of an escalation's schedule."""

    model_config = ConfigDict(frozen=True)

    round: int  # 0 for the first pass through the levels, then one per repeat
    level: int  # index into the severity's levels
    due_at: datetime
    targets: tuple[str, ...]


class EscalationPolicy(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    levels: dict[Severity, tuple[EscalationLevel, ...]] = Field(default_factory=lambda: dict(DEFAULT_LEVELS))
    repeat: int = Field(default=0, ge=0, le=MAX_REPEATS)  # passes through the levels after the first
    business_hours: BusinessHours = BusinessHours()

    @field_validator("levels")
    @classmethod
    def _few_levels(
        cls, value: dict[Severity, tuple[EscalationLevel, ...]]
    ) -> dict[Severity, tuple[EscalationLevel, ...]]:
        for severity, levels in value.items():
            if len(levels) > MAX_LEVELS:
                raise ValueError(f"{severity.value}: at most {MAX_LEVELS} levels")
        return value

    def plan(self, severity: Severity, fired_at: datetime) -> list[EscalationStep]:
        """When each level is paged if nobody acknowledges: each `after` the previous page (or the firing),
        a business-hours level moved to the next opening, an after-hours level left out while hours are open."""
        levels = self.levels.get(severity, ())
        steps: list[EscalationStep] = []
        previous = fired_at
        for round_number in range(self.repeat + 1 if levels else 0):
            for index, level in enumerate(levels):
                due = previous + timedelta(seconds=level.after)
                if level.when == "business_hours":
                    due = self.business_hours.next_opening(due)
                elif level.when == "outside_business_hours" and self.business_hours.contains(due):
                    previous = due  # skipped, but its time has passed: the next level pages when it would have
                    continue
                steps.append(EscalationStep(round=round_number, level=index, due_at=due, targets=level.targets))
                previous = due
        return steps
