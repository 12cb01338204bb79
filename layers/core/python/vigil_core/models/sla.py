"""SLA targets per tier, SLO windows and the multi-window, multi-burn-rate alerts the SRE Workbook describes.

Two seed tables give the targets a tier promises: one for tenants (basic, professional, enterprise) and one for
API and database services (standard, premium, enterprise). A window is rolling (the last 7, 28 or 30 days) or a
calendar month or quarter in the tenant's time zone, so a month in which the clocks change has an hour more or
less, and February has 28 or 29 days.

Burn-rate alerts are derived from an SLO's window as Sloth does: a row pages (or opens a ticket) when the error
budget burns fast enough to spend `budget_fraction` of the window's budget within the row's long window, checked
over that long window and a short one (both must exceed the factor, so an alert stops soon after the burn does).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field

from vigil_core.models.rollups import BUCKET_COUNT

RECOVERY_TIME_TARGET_S = 15 * 60
# The SLA windows' latency histogram counters, one per metric histogram bucket.
LATENCY_BUCKETS: tuple[str, ...] = tuple(f"lb{index:02d}" for index in range(BUCKET_COUNT))


class SlaTarget(BaseModel):
    """What a tier promises: availability, response time and error rate, and how fast an incident recovers."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    availability_pct: float = Field(gt=0, lt=100)
    latency_ms: float = Field(gt=0)
    error_rate_pct: float = Field(gt=0, lt=100)
    recovery_time_s: int = Field(default=RECOVERY_TIME_TARGET_S, gt=0)

    @property
    def error_budget(self) -> float:
        """The share of events (or time) allowed to be bad: 1 - availability."""
        return 1 - self.availability_pct / 100


ServiceKind = Literal["api", "database"]


def _target(availability: float, latency_ms: float, errors: float) -> SlaTarget:
    return SlaTarget(availability_pct=availability, latency_ms=latency_ms, error_rate_pct=errors)


TENANT_TIERS: dict[str, SlaTarget] = {
    "basic": _target(99.0, 1000, 2.0),
    "professional": _target(99.5, 750, 1.5),
    "enterprise": _target(99.9, 500, 0.5),
}
SERVICE_TIERS: dict[tuple[str, ServiceKind], SlaTarget] = {
    ("standard", "api"): _target(99.9, 500, 1.0),
    ("standard", "database"): _target(99.95, 100, 0.1),
    ("premium", "api"): _target(99.95, 300, 0.5),
    ("premium", "database"): _target(99.99, 50, 0.05),
    ("enterprise", "api"): _target(99.99, 200, 0.1),
    ("enterprise", "database"): _target(99.99, 200, 0.1),
}


class WindowKind(StrEnum):
    ROLLING = "rolling"
    CALENDAR_MONTH = "month"
    CALENDAR_QUARTER = "quarter"


@dataclass(frozen=True, slots=True)
class SloWindow:
    """Where an SLO is measured: the last `days` days, or the calendar month or quarter in `timezone`."""

    kind: WindowKind
    days: int = 30  # rolling windows only
    timezone: str = "UTC"

    def bounds(self, at: datetime) -> tuple[datetime, datetime]:
        """The window `at` falls in, as UTC instants [start, end). A rolling window ends at `at`."""
        if self.kind is WindowKind.ROLLING:
            return at - timedelta(days=self.days), at
        zone = ZoneInfo(self.timezone)
        local = at.astimezone(zone)
        months = 1 if self.kind is WindowKind.CALENDAR_MONTH else 3
        first_month = local.month if months == 1 else (local.month - 1) // 3 * 3 + 1
        start = datetime(local.year, first_month, 1, tzinfo=zone)
        following = first_month + months
        end = datetime(local.year + (following - 1) // 12, (following - 1) % 12 + 1, 1, tzinfo=zone)
        return start.astimezone(UTC), end.astimezone(UTC)

    def length(self, at: datetime) -> timedelta:
        start, end = self.bounds(at)
        return end - start


Action = Literal["page", "ticket"]


@dataclass(frozen=True, slots=True)
class BurnRateRule:
    """Alert when the error ratio over both windows exceeds `factor` times the error budget."""

    action: Action
    long_window: timedelta
    short_window: timedelta
    budget_fraction: float  # of the SLO window's budget spent within the long window at this rate
    factor: float

    def fires(self, long_error_ratio: float, short_error_ratio: float, error_budget: float) -> bool:
        threshold = self.factor * error_budget
        return long_error_ratio > threshold and short_error_ratio > threshold


# The SRE Workbook's rows: 2 % of a 30-day budget in an hour pages, 5 % in six hours pages, 10 % in three days
# opens a ticket; each short window is a twelfth of its long one.
_ROWS: tuple[tuple[Action, timedelta, timedelta, float], ...] = (
    ("page", timedelta(hours=1), timedelta(minutes=5), 0.02),
    ("page", timedelta(hours=6), timedelta(minutes=30), 0.05),
    ("ticket", timedelta(days=3), timedelta(hours=6), 0.10),
)


def burn_rate_rules(slo_window: timedelta) -> tuple[BurnRateRule, ...]:
    """The rows for an SLO window: factor = budget fraction * window / long window (14.4, 6 and 1 for 30 days)."""
    return tuple(
        BurnRateRule(action, long, short, fraction, round(fraction * (slo_window / long), 6))
        for action, long, short, fraction in _ROWS
    )


def burn_rate(error_ratio: float, error_budget: float) -> float:
    """How many times faster than the budget allows errors happen (1: the budget lasts exactly the window)."""
    return error_ratio / error_budget


HOUR_S = 3600
DAY_S = 86400


@dataclass(frozen=True, slots=True)
class WindowCoverage:
    """Which SLA windows (by start, epoch seconds) add up to a period: whole UTC days from the daily windows,
    the hours before the first and after the last whole day from the hourly ones. So a 30-day period reads at
    most 31 daily and 24 hourly items however often its monitor is checked."""

    days: tuple[int, ...]
    hours: tuple[int, ...]


def window_coverage(start: datetime, end: datetime) -> WindowCoverage:
    """The windows that cover [start, end) exactly; both ends must fall on whole UTC hours."""
    first, last = int(start.timestamp()), int(end.timestamp())
    if first % HOUR_S or last % HOUR_S:
        raise ValueError("an SLA period starts and ends on a whole hour (the finest SLA window)")
    if last <= first:
        return WindowCoverage((), ())
    first_day = -(-first // DAY_S) * DAY_S  # the first midnight at or after the start
    last_day = last // DAY_S * DAY_S  # the last midnight at or before the end
    if first_day >= last_day:  # no whole day inside: hours only
        return WindowCoverage((), tuple(range(first, last, HOUR_S)))
    hours = (*range(first, first_day, HOUR_S), *range(last_day, last, HOUR_S))
    return WindowCoverage(tuple(range(first_day, last_day, DAY_S)), hours)
