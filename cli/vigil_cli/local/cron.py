"""EventBridge schedule expressions: ``rate(N unit)`` and the six-field ``cron(...)``, in UTC.

cron fields are minutes, hours, day-of-month, month, day-of-week (1-7 = SUN-SAT), year. Supported:
``*``, ``?``, numbers, ranges, lists, ``*/n``, ``a/n``, ``a-b/n``, month and weekday names. ``L``,
``W`` and ``#`` are refused with the expression named, never approximated.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from vigil_cli.local.errors import ScheduleError

_RATE = re.compile(r"^rate\((\d+)\s+(minute|minutes|hour|hours|day|days)\)$")
_CRON = re.compile(r"^cron\((.*)\)$")
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}
_MONTH_NAMES = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_WEEKDAY_NAMES = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")  # AWS numbers weekdays 1-7 from Sunday
_MONTHS = {name: number for number, name in enumerate(_MONTH_NAMES, 1)}
_WEEKDAYS = {name: number for number, name in enumerate(_WEEKDAY_NAMES, 1)}
_SEARCH_DAYS = 5 * 366  # a cron that matches nothing in five years is treated as never firing again


@dataclass(frozen=True)
class RateSchedule:
    expression: str
    interval: timedelta

    def first_due(self, start: datetime) -> datetime | None:
        return start + self.interval

    def next_due(self, previous: datetime, now: datetime) -> datetime | None:
        """The first multiple of the interval after ``previous`` that is later than ``now``."""
        missed = max(0, int((now - previous) / self.interval))
        return previous + self.interval * (missed + 1)


@dataclass(frozen=True)
class CronSchedule:
    expression: str
    minutes: frozenset[int]
    hours: frozenset[int]
    days_of_month: frozenset[int] | None  # None for "?"
    months: frozenset[int]
    days_of_week: frozenset[int] | None  # AWS numbering: 1 = Sunday
    years: frozenset[int]

    def first_due(self, start: datetime) -> datetime | None:
        return self.next_after(start)

    def next_due(self, previous: datetime, now: datetime) -> datetime | None:
        return self.next_after(now)

    def next_after(self, moment: datetime) -> datetime | None:
        """The first matching minute strictly after ``moment`` (UTC)."""
        start = moment.astimezone(UTC).replace(second=0, microsecond=0) + timedelta(minutes=1)
        day = start.date()
        for _ in range(_SEARCH_DAYS):
            if self._day_matches(day):
                for hour in sorted(self.hours):
                    for minute in sorted(self.minutes):
                        candidate = datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)
                        if candidate >= start:
                            return candidate
            day += timedelta(days=1)
        return None

    def _day_matches(self, day: date) -> bool:
        if day.year not in self.years or day.month not in self.months:
            return False
        if self.days_of_month is not None:
            return day.day in self.days_of_month
        aws_weekday = (day.weekday() + 1) % 7 + 1  # Monday=0 in Python, 2 in AWS; Sunday -> 1
        return self.days_of_week is None or aws_weekday in self.days_of_week


Schedule = RateSchedule | CronSchedule


def parse_schedule(expression: str) -> Schedule:
    text = expression.strip()
    rate = _RATE.match(text)
    if rate:
        value, unit = int(rate.group(1)), rate.group(2)
        if value < 1:
            raise ScheduleError(f"{expression}: the rate must be a positive whole number")
        if (value == 1) != (not unit.endswith("s")):
            singular = unit.rstrip("s")
            raise ScheduleError(f"{expression}: EventBridge wants '1 {singular}' for one, 'N {singular}s' otherwise")
        return RateSchedule(text, timedelta(seconds=value * _UNIT_SECONDS[unit.rstrip("s")]))
    cron = _CRON.match(text)
    if cron:
        return _parse_cron(text, cron.group(1).split())
    raise ScheduleError(f"{expression}: not a rate(...) or cron(...) schedule expression")


def _parse_cron(expression: str, fields: list[str]) -> CronSchedule:
    if len(fields) != 6:
        raise ScheduleError(f"{expression}: cron needs six fields (minutes hours day-of-month month day-of-week year)")
    minutes, hours, day_of_month, month, day_of_week, year = fields
    if (day_of_month == "?") == (day_of_week == "?"):
        raise ScheduleError(f"{expression}: exactly one of day-of-month and day-of-week must be '?'")
    return CronSchedule(
        expression=expression,
        minutes=_field(expression, minutes, 0, 59),
        hours=_field(expression, hours, 0, 23),
        days_of_month=None if day_of_month == "?" else _field(expression, day_of_month, 1, 31),
        months=_field(expression, month, 1, 12, _MONTHS),
        days_of_week=None if day_of_week == "?" else _field(expression, day_of_week, 1, 7, _WEEKDAYS),
        years=_field(expression, year, 1970, 2199),
    )


def _field(expression: str, text: str, low: int, high: int, names: dict[str, int] | None = None) -> frozenset[int]:
    values: set[int] = set()
    for part in text.split(","):
        base, _, step_text = part.partition("/")
        step = _number(expression, step_text, None) if step_text else 1
        if base == "*":
            start, end = low, high
        elif "-" in base:
            first, _, last = base.partition("-")
            start, end = _number(expression, first, names), _number(expression, last, names)
        else:
            start = _number(expression, base, names)
            end = high if step_text else start
        if not low <= start <= end <= high or step < 1:
            raise ScheduleError(f"{expression}: {part!r} is outside {low}-{high}")
        values.update(range(start, end + 1, step))
    return frozenset(values)


def _number(expression: str, token: str, names: dict[str, int] | None) -> int:
    upper = token.upper()
    if names and upper in names:
        return names[upper]
    if token.isdigit():
        return int(token)
    if re.search(r"[LW#]", upper):
        raise ScheduleError(f"{expression}: the L, W and # cron wildcards are not supported locally")
    raise ScheduleError(f"{expression}: {token!r} is not a valid cron value")
