"""Timeslices budgeting: the minute's evaluation closes each ended hour of a timeslices SLO once, counting its
good slices and its slices with events into the hour and day windows, on in-memory stores."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from vigil_core.adapters.dynamodb_slos import InMemorySloRepository
from vigil_core.adapters.memory import InMemoryRollupStore
from vigil_core.adapters.memory_alerts import (
    MemoryAlertRuleRepository,
    MemoryAlertStore,
    RecordingAlertPublisher,
    RecordingEvaluationQueue,
)
from vigil_core.adapters.memory_probes import InMemoryMonitorRepository, InMemoryProbeStore
from vigil_core.adapters.sla_timeslices import InMemoryTimesliceLedger, timeslice_partition
from vigil_core.adapters.sla_windows import InMemorySlaWindows
from vigil_core.alerting.timeslices import count_timeslices, hours_to_close
from vigil_core.models.slo import SLO_DEFINITION, Slo
from vigil_core.services.alerting import AlertDesk, AlertEngine

TENANT = "acme"
CREATED = datetime(2026, 10, 1, tzinfo=UTC)
NINE = datetime(2026, 11, 22, 9, tzinfo=UTC)
MINUTE = 60
HOUR = 3600
RATIO_SLI = {"kind": "ratio", "metric": "http.requests", "bad": [{"label": "status", "op": "=~", "value": "5.."}]}
FIVE_MINUTE_SLICES = {"budgeting": "timeslices", "timeslices": {"target_pct": 99, "minutes": 5}}


def at(hours: float, minutes: int = 0) -> datetime:
    """`hours` and `minutes` after 09:00."""
    return NINE + timedelta(hours=hours, minutes=minutes)


def start(hours: float) -> int:
    return int(at(hours).timestamp())


def make_slo(slo_id: str = "checkout", **definition: Any) -> Slo:
    body = {"name": slo_id, "sli": RATIO_SLI, "objective_pct": 99, **FIVE_MINUTE_SLICES, **definition}
    return Slo(
        tenant_id=TENANT,
        id=slo_id,
        definition=SLO_DEFINITION.validate_python(body),
        created_at=CREATED,
        updated_at=CREATED,
    )


def engine_with(windows: InMemorySlaWindows, *slos: Slo) -> AlertEngine:
    repository = InMemorySloRepository()
    for slo in slos:
        repository.put(slo)
    desk = AlertDesk(
        MemoryAlertRuleRepository(),
        MemoryAlertStore(),
        RecordingAlertPublisher(),
        RecordingEvaluationQueue(),
        lambda: NINE,
    )
    return AlertEngine(
        desk,
        InMemoryRollupStore(),
        InMemoryMonitorRepository(),
        InMemoryProbeStore(windows),
        slos=repository,
        sla_windows=windows,
        timeslices=InMemoryTimesliceLedger(windows),
    )


def feed(windows: InMemorySlaWindows, partition: str, first: int, minutes: int, total: int, bad: int) -> None:
    for minute in range(first, first + minutes * MINUTE, MINUTE):
        windows.add(partition, minute, {"total": total, "good": total - bad})


def feed_nine_oclock(windows: InMemorySlaWindows, slo: Slo) -> None:
    """09:00-10:00 with 100 events a minute: 9 clean slices, one at 98 % (bad), one at exactly 99 % (good),
    and a last slice without events (no data): 10 good of 11."""
    feed(windows, slo.window_partition, start(0), 45, 100, 0)
    feed(windows, slo.window_partition, start(0.75), 5, 100, 2)
    feed(windows, slo.window_partition, start(0.75) + 5 * MINUTE, 5, 100, 1)


def slices(windows: InMemorySlaWindows, slo: Slo, resolution: Any, first: int, end: int) -> list[tuple[int, ...]]:
    return [
        (int(window["start"]), int(window.get("slices_good", -1)), int(window.get("slices_total", -1)))
        for window in windows.windows(timeslice_partition(slo), resolution, first, end)
    ]


def test_an_hours_slices_are_counted_by_their_own_ratio_and_slices_without_events_are_left_out() -> None:
    # Given 09:00's minute windows
    windows = InMemorySlaWindows()
    slo = make_slo()
    feed_nine_oclock(windows, slo)
    minutes = windows.windows(slo.window_partition, "minute", start(0), start(1))
    # Then 10 of its 11 slices with events are good
    assert count_timeslices(slo, minutes, start(0)) == (10, 11)
    # And with 15-minute slices at 99.9 %: 0:00-0:45 good, 0:45-1:00 (15 bad of 1,000) bad
    fifteen = make_slo(timeslices={"target_pct": 99.9, "minutes": 15})
    assert count_timeslices(fifteen, minutes, start(0)) == (3, 4)


def test_an_hour_is_closed_once_five_minutes_after_it_ends_into_its_hour_and_day_windows() -> None:
    # Given a timeslices SLO with events in 09:00-10:00 and none in the hours before
    windows = InMemorySlaWindows()
    slo = make_slo()
    engine = engine_with(windows, slo)
    feed_nine_oclock(windows, slo)
    # When the minute's evaluation runs at 10:04: 09:00 has not settled, the two hours before have
    assert hours_to_close(at(1, 4)) == [start(-2), start(-1)]
    first = engine.evaluate_all(at(1, 4))
    # Then those two are closed without slices, 09:00 not yet
    assert first.timeslice_hours == 2
    assert slices(windows, slo, "hour", start(-2), start(1)) == [
        (start(-2), 0, 0),
        (start(-1), 0, 0),
        (start(0), -1, -1),
    ]
    # When it runs at 10:05
    second = engine.evaluate_all(at(1, 5))
    # Then 09:00 is closed: 10 good slices of 11, in its hour window and in its day's
    assert second.timeslice_hours == 1
    assert slices(windows, slo, "hour", start(0), start(1)) == [(start(0), 10, 11)]
    assert slices(windows, slo, "day", start(-9), start(15)) == [(start(-9), 10, 11)]
    # When it runs again, even after a late event landed in 09:00
    feed(windows, slo.window_partition, start(0.9), 1, 100, 50)
    third = engine.evaluate_all(at(1, 6))
    # Then nothing is counted twice
    assert third.timeslice_hours == 0
    assert slices(windows, slo, "day", start(-9), start(15)) == [(start(-9), 10, 11)]


def test_a_missed_hour_is_caught_up_by_the_next_run() -> None:
    # Given 09:00 closed at 10:05, then no evaluation from 11:05 to 12:04
    windows = InMemorySlaWindows()
    slo = make_slo()
    engine = engine_with(windows, slo)
    feed_nine_oclock(windows, slo)
    engine.evaluate_all(at(1, 5))
    # And 10:00 with every slice good, 11:00 with every other slice bad (2 bad of 100 a minute)
    feed(windows, slo.window_partition, start(1), 60, 100, 0)
    for slice_index in range(12):
        feed(windows, slo.window_partition, start(2) + slice_index * 300, 5, 100, 2 * (slice_index % 2))
    # When the evaluation runs at 12:05
    report = engine.evaluate_all(at(3, 5))
    # Then both 10:00 and 11:00 are closed, and the day adds them up: 10 + 12 + 6 good of 11 + 12 + 12
    assert report.timeslice_hours == 2
    assert slices(windows, slo, "hour", start(1), start(3)) == [(start(1), 12, 12), (start(2), 6, 12)]
    assert slices(windows, slo, "day", start(-9), start(15)) == [(start(-9), 28, 35)]


def test_a_probe_slos_slices_live_under_the_slo_not_under_the_monitor() -> None:
    # Given two timeslices SLOs on one monitor's checks: availability and latency (100 ms)
    windows = InMemorySlaWindows()
    up = make_slo("api-up", sli={"kind": "availability", "monitor": "api"})
    fast = make_slo("api-fast", sli={"kind": "latency", "monitor": "api", "threshold_ms": 100})
    engine = engine_with(windows, up, fast)
    # And one check a minute in 09:00, all up, all answering in 250 ms
    for minute in range(start(0), start(1), MINUTE):
        windows.add("acme#api", minute, {"total": 1, "good": 1, "latency_count": 1, "lb09": 1})
    # When 09:00 is closed
    engine.evaluate_all(at(1, 5))
    # Then each SLO has its own counts (12 good slices; none fast), and the monitor's windows have none
    assert slices(windows, up, "hour", start(0), start(1)) == [(start(0), 12, 12)]
    assert slices(windows, fast, "hour", start(0), start(1)) == [(start(0), 0, 12)]
    [monitor_hour] = windows.windows("acme#api", "hour", start(0), start(1))
    assert "slices_total" not in monitor_hour


def test_occurrences_slos_are_not_closed() -> None:
    # Given an SLO that budgets occurrences
    windows = InMemorySlaWindows()
    slo = make_slo(budgeting="occurrences", timeslices=None)
    engine = engine_with(windows, slo)
    feed_nine_oclock(windows, slo)
    # Then the minute's evaluation closes nothing of it
    assert engine.evaluate_all(at(1, 5)).timeslice_hours == 0
    assert slices(windows, slo, "hour", start(0), start(1)) == [(start(0), -1, -1)]
