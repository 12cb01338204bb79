"""What one evaluation of a rule observes: per group of series (or per monitor), a value and the
thresholds it breaches."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from vigil_core.models.alerts import (
    Aggregation,
    Observation,
    ProbeRule,
    Threshold,
    ThresholdRule,
    matches_all,
)
from vigil_core.models.rollups import Resolution, Rollup
from vigil_core.ports import StoredRollup
from vigil_core.probes.verdicts import MonitorStatus

GroupKey = tuple[tuple[str, str], ...]


@dataclass(slots=True)
class _GroupData:
    labels: dict[str, str]
    merged: Rollup
    numerator_total: float = 0.0


def observe_threshold_rule(
    rule: ThresholdRule,
    rule_id: str,
    rollups: Sequence[StoredRollup],
    now: datetime,
    open_groups: Iterable[dict[str, str]] = (),
) -> list[Observation]:
    """One observation per group with data in the window, plus one without a value per open group that
    has none (so its alert resolves). `rollups` are the metric's minute rollups."""
    current_minute = Resolution.MINUTE.bucket_start(now.timestamp())
    # The window's complete minutes plus the current, partial one: evaluated at the top of a minute, the
    # current bucket is still empty, and a 1-minute window must not read as "no data".
    first_minute = window_start(rule, now)
    span = max(now.timestamp() - first_minute, 1.0)  # the seconds the rollups cover, for rates
    groups: dict[GroupKey, _GroupData] = {}
    for stored in rollups:
        if not first_minute <= stored.start <= current_minute:
            continue
        labels = stored.series.label_dict
        if not matches_all(rule.matchers, labels):
            continue
        group_labels = labels if rule.group_by is None else {key: labels.get(key, "") for key in rule.group_by}
        key = _key(group_labels)
        data = groups.get(key)
        if data is None:
            data = groups[key] = _GroupData(group_labels, stored.rollup.copy())
        else:
            data.merged.merge(stored.rollup)
        if rule.aggregation is Aggregation.RATIO and matches_all(rule.numerator, labels):
            data.numerator_total += stored.rollup.total

    observations = []
    for data in groups.values():
        value = _value(rule, data, span)
        observations.append(Observation(rule_id, data.labels, value, _breached(rule.thresholds, value)))
    seen = set(groups)
    for labels in open_groups:
        if _key(labels) not in seen:
            seen.add(_key(labels))
            observations.append(Observation(rule_id, dict(labels), None, ()))
    return sorted(observations, key=lambda observation: _key(observation.group_labels))


def _breached(thresholds: tuple[Threshold, ...], value: float | None) -> tuple[Threshold, ...]:
    if value is None:
        return ()
    return tuple(threshold for threshold in thresholds if threshold.condition.holds(value, threshold.value))


def observe_monitor(
    rule: ProbeRule,
    rule_id: str,
    monitor_id: str,
    monitor_type: str,
    tags: Mapping[str, str],
    status: MonitorStatus | None,
    since: datetime | None,
) -> Observation | None:
    """The rule's view of one monitor, or None when the rule does not cover it. `since` is when the
    monitor entered `status`: a breach began then, not at this evaluation."""
    if not matches_all(rule.monitors, {**tags, "monitor": monitor_id, "type": monitor_type}):
        return None
    bad = status is not None and status.value in {state.value for state in rule.states}
    return Observation(
        rule_id=rule_id,
        group_labels={"monitor": monitor_id},
        value=None,
        breached=rule.thresholds if bad else (),
        breach_since=since if bad else None,
    )


def window_start(rule: ThresholdRule, now: datetime) -> int:
    """The start of the first minute rollup a rule at `now` reads."""
    return Resolution.MINUTE.bucket_start(now.timestamp()) - rule.window


def _key(labels: Mapping[str, str]) -> GroupKey:
    return tuple(sorted(labels.items()))


def _value(rule: ThresholdRule, data: _GroupData, span: float) -> float | None:
    merged = data.merged
    if merged.count == 0:
        return None  # no points: nothing to compare
    if rule.aggregation is Aggregation.RATIO:
        return 100 * data.numerator_total / merged.total if merged.total else None
    return _AGGREGATE[rule.aggregation](merged, span)


# Each aggregation of a group's merged rollup; the float is the seconds covered (for rates).
_AGGREGATE: dict[Aggregation, Callable[[Rollup, float], float | None]] = {
    Aggregation.AVG: lambda merged, _: merged.total / merged.count,
    Aggregation.SUM: lambda merged, _: merged.total,
    Aggregation.MIN: lambda merged, _: merged.minimum,
    Aggregation.MAX: lambda merged, _: merged.maximum,
    Aggregation.COUNT: lambda merged, _: float(merged.count),
    Aggregation.RATE: lambda merged, window: merged.total / window,
    Aggregation.P95: lambda merged, _: merged.quantile(0.95),
    Aggregation.P99: lambda merged, _: merged.quantile(0.99),
}
