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

from pydantic import AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

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

    @field_validator("start", "end", mode="before")
    @classmethod
    def _time_of_day_as_text(cls, value: Any) -> Any:
        # YAML reads an unquoted 17:00 as the number 1020 (base 60), which would otherwise pass as seconds.
        if isinstance(value, int | float):
            raise ValueError('must be a time of day as text, e.g. "17:00" (quoted in YAML)')
        return value

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


# running until someone acknowledges or the alert resolves; unacknowledged once the last page went out;
# failed when a page could not be sent or recorded even after retries.
EscalationState = Literal["running", "acknowledged", "resolved", "unacknowledged", "failed"]


class ScheduledPage(BaseModel):
    """One page of an escalation as it was planned when the alert started firing."""

    model_config = ConfigDict(frozen=True)

    step: int  # position in the schedule, from 0
    level: int  # from 1, as people count levels
    round: int  # 0 for the first pass through the levels, then one per repeat
    due_at: AwareDatetime
    targets: tuple[str, ...]  # as the level names them
    channels: tuple[str, ...]  # the tenant's channel ids those targets meant when it started


class PageSent(BaseModel):
    """A page the state machine sent, as it recorded it."""

    model_config = ConfigDict(frozen=True)

    step: int
    level: int
    round: int
    at: AwareDatetime
    channels: tuple[str, ...]


class Escalation(BaseModel):
    """One alert firing's escalation: its schedule, the pages sent so far and how it ended."""

    model_config = ConfigDict(frozen=True)

    tenant_id: str
    fingerprint: str
    firing: int  # which firing of the alert (Alert.firings) this escalation is for
    severity: Severity
    execution_name: str
    started_at: AwareDatetime  # when the alert started firing: the schedule counts from here
    schedule: tuple[ScheduledPage, ...]
    state: EscalationState = "running"
    next_step: int = 0
    pages: tuple[PageSent, ...] = ()
    ended_at: AwareDatetime | None = None
    ended_by: str | None = None
    error: str | None = None

    @property
    def current_level(self) -> int:
        """The level last paged: 0 before the first page."""
        return self.pages[-1].level if self.pages else 0

    @property
    def next_due(self) -> ScheduledPage | None:
        if self.state != "running" or self.next_step >= len(self.schedule):
            return None
        return self.schedule[self.next_step]

    def to_public(self) -> dict[str, Any]:
        upcoming = self.next_due
        return {
            "alert_id": self.fingerprint,
            "firing": self.firing,
            "severity": self.severity.value,
            "state": self.state,
            "current_level": self.current_level,
            "current_round": self.pages[-1].round if self.pages else 0,
            "levels": max((page.level for page in self.schedule), default=0),
            "started_at": self.started_at.isoformat(),
            "next_escalation_at": upcoming.due_at.isoformat() if upcoming else None,
            "next_level": upcoming.level if upcoming else None,
            "history": [page.model_dump(mode="json") for page in self.pages],
            "schedule": [page.model_dump(mode="json") for page in self.schedule],
            "ended_at": self.ended_at.isoformat() if self.ended_at else None,
            "ended_by": self.ended_by,
            "error": self.error,
            "execution": self.execution_name,
        }


def execution_name(fingerprint: str, firing: int) -> str:
    """The same alert firing always names the same execution, so starting it twice is harmless."""
    return f"{fingerprint}-{firing}"


class EscalationPage(BaseModel):
    """What the state machine publishes (kind=escalation) for one level: the notifiers of the page's channel
    types send it to the page's channels, if the alert still fires unacknowledged."""

    model_config = ConfigDict(frozen=True)

    page_id: str  # execution name:step, unique per page
    tenant_id: str
    fingerprint: str
    firing: int
    severity: Severity
    level: int
    round: int
    channels: tuple[str, ...]  # channel ids
    alert: dict[str, Any]  # the alert as the API showed it when it started firing
    at: AwareDatetime  # when the page was due


class PageOrder(BaseModel):
    """One page as the state machine is given it: when to send it (the schedule's time, or in local and test
    runs the same offset sped up), to which channel types it is published, and what it says."""

    model_config = ConfigDict(frozen=True)

    step: int
    wait_until: AwareDatetime
    channel_types: tuple[str, ...]
    page: EscalationPage
