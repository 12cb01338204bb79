"""SLO burn-rate alerts: the error ratio over each row's long and short window, and what the rows say.

Every window ends where the evaluation's minute ends and is composed exactly of the SLA windows inside it: the
hour windows wholly inside, plus minute windows at its edges. A 5m or 30m window is minutes only; a 1h window
is up to 60 minutes on both sides of an hour boundary (or one hour window when it ends on the hour); 6h and 3d
windows are whole hours plus the minutes before the first and after the last.

One evaluation reads an SLO with at most four queries (read_plan): the hour windows of the last three days,
the minutes of the last hour (the short windows, the 1h window and the trailing edge of the others), and the
leading-edge minutes of the 6h window and of the 3d window (none when the evaluation ends on the hour).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from vigil_core.models.alerts import Observation, SloRule
from vigil_core.models.sla import (
    HOUR_S,
    BurnRateRule,
    SlaTarget,
    burn_rate,
    burn_rate_rules,
)
from vigil_core.models.slo import Slo
from vigil_core.services.slo_events import sli_events

MINUTE_S = 60
# A ratio equal to factor * budget up to float noise (72 bad of 5,000 against 14.4 times a 0.1 % budget) is
# not over it: a row fires only strictly above its factor.
_RELATIVE_TOLERANCE = 1e-9

Window = Mapping[str, float]


@dataclass(frozen=True, slots=True)
class WindowParts:
    """The SLA windows that add up to one burn-rate window: hour starts, and [start, end) ranges of minutes."""

    hours: tuple[int, ...]
    minutes: tuple[tuple[int, int], ...]


def window_parts(end: int, length_s: int) -> WindowParts:
    """[end - length_s, end) as whole hour windows plus the minute windows at its edges."""
    if end % MINUTE_S or length_s % MINUTE_S or length_s <= 0:
        raise ValueError("a burn-rate window ends on a whole minute and lasts whole minutes")
    start = end - length_s
    first_hour = -(-start // HOUR_S) * HOUR_S  # the first hour boundary at or after the start
    last_hour = end // HOUR_S * HOUR_S  # the last one at or before the end
    if first_hour >= last_hour:  # no whole hour inside
        return WindowParts((), ((start, end),))
    edges = tuple((low, high) for low, high in ((start, first_hour), (last_hour, end)) if low < high)
    return WindowParts(tuple(range(first_hour, last_hour, HOUR_S)), edges)


@dataclass(frozen=True, slots=True)
class ReadPlan:
    """What to read for several windows ending together: one hour-window range and merged minute ranges."""

    hours: tuple[int, int] | None
    minutes: tuple[tuple[int, int], ...]

    @property
    def queries(self) -> int:
        return (self.hours is not None) + len(self.minutes)


def read_plan(end: int, lengths_s: Iterable[int]) -> ReadPlan:
    parts = [window_parts(end, length) for length in lengths_s]
    hours = sorted(hour for part in parts for hour in part.hours)
    merged: list[tuple[int, int]] = []
    for low, high in sorted(edge for part in parts for edge in part.minutes):
        if merged and low <= merged[-1][1]:  # overlapping or adjacent: one query
            merged[-1] = (merged[-1][0], max(merged[-1][1], high))
        else:
            merged.append((low, high))
    return ReadPlan((hours[0], hours[-1] + HOUR_S) if hours else None, tuple(merged))


def window_lengths(rows: Iterable[BurnRateRule]) -> list[int]:
    """Every distinct window of the rows, in seconds."""
    return sorted({int(window.total_seconds()) for row in rows for window in (row.long_window, row.short_window)})


@dataclass(frozen=True, slots=True)
class SloWindows:
    """An SLO's hour and minute windows as one evaluation read them, by start."""

    hours: Mapping[int, Window]
    minutes: Mapping[int, Window]

    @classmethod
    def of(cls, hours: Iterable[Window], minutes: Iterable[Window]) -> SloWindows:
        return cls({int(hour["start"]): hour for hour in hours}, {int(minute["start"]): minute for minute in minutes})

    def covering(self, parts: WindowParts) -> list[Window]:
        found = [self.hours[hour] for hour in parts.hours if hour in self.hours]
        for low, high in parts.minutes:
            found.extend(self.minutes[minute] for minute in range(low, high, MINUTE_S) if minute in self.minutes)
        return found


def error_ratio(slo: Slo, windows: SloWindows, end: int, length_s: int) -> float | None:
    """Bad events / all events over [end - length_s, end); None when there was no event (no data)."""
    good, total = sli_events(slo, windows.covering(window_parts(end, length_s)))
    return None if total <= 0 else (total - good) / total


@dataclass(frozen=True, slots=True)
class RowReading:
    """One row at one evaluation: the error ratio over each of its windows (None: no data)."""

    row: BurnRateRule
    long_ratio: float | None
    short_ratio: float | None
    error_budget: float

    @property
    def fires(self) -> bool:
        if self.long_ratio is None or self.short_ratio is None:
            return False  # a window without events says nothing about the burn
        return self.row.fires(self.long_ratio, self.short_ratio, self.error_budget * (1 + _RELATIVE_TOLERANCE))

    @property
    def long_burn_rate(self) -> float | None:
        return None if self.long_ratio is None else round(burn_rate(self.long_ratio, self.error_budget), 6)


def read_rows(
    slo: Slo, windows: SloWindows, end: int, rows: Sequence[BurnRateRule], error_budget: float
) -> list[RowReading]:
    ratios: dict[int, float | None] = {}

    def ratio(window: timedelta) -> float | None:
        length = int(window.total_seconds())
        if length not in ratios:  # the 6h window is one row's long and another's short window
            ratios[length] = error_ratio(slo, windows, end, length)
        return ratios[length]

    return [RowReading(row, ratio(row.long_window), ratio(row.short_window), error_budget) for row in rows]


def observe_slo(rule: SloRule, rule_id: str, slo: Slo, readings: Sequence[RowReading]) -> Observation:
    """The SLO's one alert: breaching the page severity when a page row fires, the ticket severity when the
    ticket row does (both when both do, so the alert steps down to the ticket once the fast burn stops); its
    value is the long-window burn rate of the first firing row (the 1h row when none fires)."""
    alerting = slo.definition.alerting
    firing = [reading for reading in readings if reading.fires]
    severities = {alerting.page if reading.row.action == "page" else alerting.ticket for reading in firing}
    shown = firing[0] if firing else readings[0]
    breached = tuple(threshold for threshold in rule.thresholds if threshold.severity in severities)
    return Observation(rule_id, {"slo": slo.id}, shown.long_burn_rate, breached)


def slo_rows(slo: Slo, timezone: str, at: datetime) -> tuple[BurnRateRule, ...]:
    """The SLO's rows at `at`: factors from the length of its window then (a calendar month's own length)."""
    return burn_rate_rules(slo.definition.slo_window(timezone).length(at))


def evaluation_end(at: datetime) -> int:
    """Where every window of an evaluation at `at` ends: the end of its minute."""
    return int(at.timestamp()) // MINUTE_S * MINUTE_S + MINUTE_S


def error_budget(slo: Slo, target: Callable[[], SlaTarget]) -> float:
    """1 - objective / 100: the SLO's own objective, else the one its tier's target gives (asked for only then)."""
    objective = slo.definition.objective_pct
    if objective is None:
        objective = slo.definition.objective(target())
    return 1 - objective / 100
