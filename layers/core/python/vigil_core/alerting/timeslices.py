"""Timeslices budgeting: which hours the minute's evaluation closes, and how an hour's slices are counted.

A slice of `timeslices.minutes` minutes is good when its good/total reaches `timeslices.target_pct`; a slice
without events is no data and is not counted at all. The counts are written once per hour into the hour and
day windows (adapters/sla_timeslices.py), so reports over 30 days and more never read minute windows.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import datetime

from vigil_core.models.sla import HOUR_S
from vigil_core.models.slo import Budgeting, Slo
from vigil_core.services.slo_events import sli_events

MINUTE_S = 60
# An hour is closed this long after it ends: probe runs and ingest batches of its last minutes land by then.
SETTLE_S = 5 * MINUTE_S
# The hours closed at each evaluation: the last settled one, and the one before it to catch up on a missed run.
CATCH_UP_HOURS = 2
# Float noise must not make a slice at exactly its target bad (999 of 1,000 against 99.9 %).
_TOLERANCE = 1e-9


def uses_timeslices(slo: Slo) -> bool:
    return slo.definition.budgeting is Budgeting.TIMESLICES and slo.definition.timeslices is not None


def hours_to_close(at: datetime) -> list[int]:
    """The starts of the hours an evaluation at `at` closes (if nobody has yet), oldest first."""
    settled = int(at.timestamp() - SETTLE_S) // HOUR_S * HOUR_S  # hours ending at or before this have settled
    return [settled - HOUR_S * back for back in range(CATCH_UP_HOURS, 0, -1)]


def count_timeslices(slo: Slo, minute_windows: Iterable[Mapping[str, float]], hour_start: int) -> tuple[int, int]:
    """(good slices, slices with events) of one hour, from its minute windows."""
    timeslices = slo.definition.timeslices
    if timeslices is None:
        raise ValueError(f"SLO {slo.id} does not budget timeslices")
    slice_s = timeslices.minutes * MINUTE_S
    by_slice: dict[int, list[Mapping[str, float]]] = defaultdict(list)
    for window in minute_windows:
        offset = int(window["start"]) - hour_start
        if 0 <= offset < HOUR_S:
            by_slice[offset // slice_s].append(window)
    good = total = 0
    for windows in by_slice.values():
        good_events, events = sli_events(slo, windows)
        if events <= 0:
            continue  # no data: neither good nor bad
        total += 1
        if 100 * good_events / events >= timeslices.target_pct * (1 - _TOLERANCE):
            good += 1
    return good, total
