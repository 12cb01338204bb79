"""What an evaluation observes: the window, matchers, groups, every aggregation, thresholds and monitors."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from vigil_core.alerting.observe import observe_monitor, observe_threshold_rule
from vigil_core.models.alerts import Observation, ProbeRule, Severity, ThresholdRule
from vigil_core.models.metrics import MetricType
from vigil_core.models.rollups import Resolution, Rollup, Series
from vigil_core.ports import StoredRollup
from vigil_core.probes.verdicts import MonitorStatus

MINUTE0 = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
NOW = MINUTE0 + timedelta(seconds=42)  # inside the current, partial minute


def stored(
    minute: int, values: Sequence[float], metric_type: MetricType = MetricType.GAUGE, **labels: str
) -> StoredRollup:
    """The minute rollup `minute` minutes from the current one (negative: earlier) holding `values`."""
    rollup = Rollup(metric_type, "ms")
    for value in values:
        rollup.add(value)
    start = int(MINUTE0.timestamp()) + 60 * minute
    return StoredRollup(Series("http.latency", tuple(sorted(labels.items()))), Resolution.MINUTE, start, rollup)


def rule(**fields: Any) -> ThresholdRule:
    body: dict[str, Any] = {"name": "Latency", "metric": "http.latency"}
    if "thresholds" not in fields:
        body |= {"condition": "gt", "threshold": 15}
    return ThresholdRule.model_validate({**body, **fields})


def only_value(observations: list[Observation]) -> float | None:
    assert len(observations) == 1
    return observations[0].value


def test_the_window_is_its_complete_minutes_plus_the_current_partial_one() -> None:
    # Given minute rollups from 6 minutes ago to 1 minute ahead and a 5 minute window
    rollups = [stored(m, v, host="a") for m, v in [(-6, [1000]), (-5, [8]), (-4, [1]), (-3, [2]), (0, [4]), (1, [500])]]
    # When it is summed
    observations = observe_threshold_rule(rule(aggregation="sum", window="5m"), "latency", rollups, NOW)
    # Then minutes -5 to 0 count: the one 6 minutes ago and the future one are left out
    assert only_value(observations) == 15.0


def test_a_one_minute_window_at_the_top_of_a_minute_still_sees_the_last_complete_minute() -> None:
    # Given a point in the previous minute, and an evaluation exactly at the start of the current one
    rollups = [stored(-1, [97], host="a")]
    # When a 1 minute window is observed
    observations = observe_threshold_rule(rule(aggregation="avg", window="1m"), "latency", rollups, MINUTE0)
    # Then the previous minute counts: the empty current minute does not read as "no data"
    assert only_value(observations) == 97.0


def test_average_merges_every_minute_of_the_group() -> None:
    # Given one series with (10, 20) in the current minute and 30 a minute earlier
    rollups = [stored(0, [10, 20], host="a"), stored(-1, [30], host="a")]
    # When the average is observed
    observations = observe_threshold_rule(rule(aggregation="avg"), "latency", rollups, NOW)
    # Then it is the average of all three points, which breaches > 15
    assert observations == [
        Observation("latency", {"host": "a"}, 20.0, rule(aggregation="avg").thresholds),
    ]


@pytest.mark.parametrize(
    ("aggregation", "expected"),
    [("sum", 100.0), ("min", 5.0), ("max", 40.0), ("count", 5.0), ("avg", 20.0)],
)
def test_sum_min_max_count_and_avg_of_a_group(aggregation: str, expected: float) -> None:
    # Given two series of one service over three minutes: 5, 15, 40 and 10, 30
    rollups = [
        stored(-2, [5], host="a", service="api"),
        stored(-1, [15, 40], host="a", service="api"),
        stored(0, [10, 30], host="b", service="api"),
    ]
    # When aggregated per service
    observations = observe_threshold_rule(rule(aggregation=aggregation, group_by=["service"]), "latency", rollups, NOW)
    # Then the group's value is exact
    assert observations[0].group_labels == {"service": "api"}
    assert only_value(observations) == expected


def test_rate_is_the_sum_per_second_of_the_window() -> None:
    # Given a counter that grew by 684 over a 5 minute window, evaluated 42 s into the current minute
    rollups = [stored(m, [114], MetricType.COUNTER, host="a") for m in range(-5, 1)]
    # When its rate is observed
    observations = observe_threshold_rule(rule(aggregation="rate", window="5m"), "latency", rollups, NOW)
    # Then it is the sum over the seconds the rollups cover: 684 / (300 + 42) s
    assert only_value(observations) == 2.0


@pytest.mark.parametrize(("aggregation", "expected"), [("p95", 375.0), ("p99", 475.0)])
def test_quantiles_come_from_the_merged_histogram(aggregation: str, expected: float) -> None:
    # Given 18 requests of 10 ms and two of 260 and 490 ms (both in the 250-500 bucket), in two series
    rollups = [
        stored(0, [10] * 9 + [260], MetricType.HISTOGRAM, host="a"),
        stored(-1, [10] * 9 + [490], MetricType.HISTOGRAM, host="b"),
    ]
    # When a quantile of all of them is observed
    observations = observe_threshold_rule(rule(aggregation=aggregation, group_by=[]), "latency", rollups, NOW)
    # Then it interpolates inside the 250-500 bucket: rank 19 -> 250 + 250 * 1/2, rank 19.8 -> 250 + 250 * 1.8/2
    assert observations[0].group_labels == {}
    assert only_value(observations) == pytest.approx(expected)


def test_a_quantile_without_histogram_buckets_has_no_value_and_breaches_nothing() -> None:
    # Given a gauge (no buckets)
    rollups = [stored(0, [100, 200], host="a")]
    # When its p95 is observed
    observations = observe_threshold_rule(rule(aggregation="p95"), "latency", rollups, NOW)
    # Then there is no value to compare
    assert observations == [Observation("latency", {"host": "a"}, None, ())]


def test_ratio_is_the_percentage_of_the_numerator_series_per_group() -> None:
    # Given requests per status: api has 90 ok, 6 500s and 4 503s; web has only 50 ok
    rollups = [
        stored(0, [90], MetricType.COUNTER, service="api", status="200"),
        stored(-1, [6], MetricType.COUNTER, service="api", status="500"),
        stored(0, [4], MetricType.COUNTER, service="api", status="503"),
        stored(0, [50], MetricType.COUNTER, service="web", status="200"),
    ]
    ratio = rule(
        aggregation="ratio",
        numerator=[{"label": "status", "op": "=~", "value": "5.."}],
        group_by=["service"],
        threshold=5,
    )
    # When the error ratio is observed per service
    observations = observe_threshold_rule(ratio, "errors", rollups, NOW)
    # Then api has 10% errors (breached) and web none
    assert [(o.group_labels, o.value, len(o.breached)) for o in observations] == [
        ({"service": "api"}, 10.0, 1),
        ({"service": "web"}, 0.0, 0),
    ]


def test_a_ratio_over_nothing_has_no_value() -> None:
    # Given a group whose series all total zero
    rollups = [stored(0, [0], MetricType.COUNTER, service="api", status="500")]
    ratio = rule(aggregation="ratio", numerator=[{"label": "status", "value": "500"}], group_by=["service"])
    # When the ratio is observed
    observations = observe_threshold_rule(ratio, "errors", rollups, NOW)
    # Then there is nothing to divide by
    assert only_value(observations) is None


def test_without_group_by_every_series_is_its_own_group_with_all_its_labels() -> None:
    # Given two series of one host differing by path
    rollups = [stored(0, [10], host="a", path="/x"), stored(0, [30], host="a", path="/y")]
    # When observed without group_by
    observations = observe_threshold_rule(rule(), "latency", rollups, NOW)
    # Then each series is a group, labelled by all its labels, in label order
    assert [(o.group_labels, o.value) for o in observations] == [
        ({"host": "a", "path": "/x"}, 10.0),
        ({"host": "a", "path": "/y"}, 30.0),
    ]


def test_group_by_a_label_some_series_lack_groups_them_under_the_empty_value() -> None:
    # Given series with and without a service label
    rollups = [stored(0, [10], service="api"), stored(0, [20], host="a"), stored(0, [40], host="b")]
    # When grouped by service
    observations = observe_threshold_rule(rule(group_by=["service"]), "latency", rollups, NOW)
    # Then the series without one form the service="" group
    assert [(o.group_labels, o.value) for o in observations] == [
        ({"service": ""}, 30.0),
        ({"service": "api"}, 10.0),
    ]


def test_matchers_keep_only_the_matching_series() -> None:
    # Given series in prod, staging and without an env
    rollups = [stored(0, [10], env="prod"), stored(0, [20], env="staging"), stored(0, [40], host="x")]
    # When the rule matches env=prod or a missing env (!~ staging)
    matchers = [{"label": "env", "op": "!~", "value": "stag.*"}]
    observations = observe_threshold_rule(rule(matchers=matchers, group_by=[]), "latency", rollups, NOW)
    # Then staging is left out
    assert only_value(observations) == 25.0


@pytest.mark.parametrize(
    ("value", "severities"),
    [(12.0, [Severity.CRITICAL, Severity.WARNING]), (7.0, [Severity.WARNING]), (5.0, [])],
)
def test_breached_lists_every_holding_threshold_highest_severity_first(
    value: float, severities: list[Severity]
) -> None:
    # Given warning above 5 and critical above 10
    two_levels = rule(
        thresholds=[
            {"severity": "warning", "condition": "gt", "value": 5},
            {"severity": "critical", "condition": "gt", "value": 10},
        ]
    )
    # When a value is observed
    observations = observe_threshold_rule(two_levels, "latency", [stored(0, [value], host="a")], NOW)
    # Then the breached thresholds follow it
    assert [threshold.severity for threshold in observations[0].breached] == severities


def test_open_groups_without_data_are_observed_clear_so_they_resolve() -> None:
    # Given alerts open for hosts a and z, and data only for host a
    rollups = [stored(0, [30], host="a")]
    open_groups = [{"host": "z"}, {"host": "a"}, {"host": "z"}]
    # When observed
    observations = observe_threshold_rule(rule(), "latency", rollups, NOW, open_groups)
    # Then z is observed once, without value and clear; a keeps its data
    assert [(o.group_labels, o.value, o.breached) for o in observations] == [
        ({"host": "a"}, 30.0, rule().thresholds),
        ({"host": "z"}, None, ()),
    ]


def test_an_open_group_whose_data_left_the_window_is_clear() -> None:
    # Given host a's only data is older than the window
    rollups = [stored(-10, [30], host="a")]
    # When observed with a's alert open
    observations = observe_threshold_rule(rule(window="5m"), "latency", rollups, NOW, [{"host": "a"}])
    # Then a is clear
    assert observations == [Observation("latency", {"host": "a"}, None, ())]


def probe_rule(**fields: Any) -> ProbeRule:
    return ProbeRule.model_validate({"kind": "probe", "name": "Site down", **fields})


SINCE = NOW - timedelta(minutes=3)


def test_a_down_monitor_breaches_the_probe_rule_since_it_went_down() -> None:
    # Given a rule on prod http monitors
    matchers = [{"label": "env", "value": "prod"}, {"label": "type", "value": "http"}]
    down = probe_rule(monitors=matchers, severity="error", **{"for": "2m"})
    # When a matching monitor is down since 3 minutes
    observation = observe_monitor(down, "site-down", "shop", "http", {"env": "prod"}, MonitorStatus.DOWN, SINCE)
    # Then the rule's single threshold is breached since then
    assert observation == Observation("site-down", {"monitor": "shop"}, None, down.thresholds, SINCE)
    assert down.thresholds[0].severity is Severity.ERROR
    assert down.thresholds[0].for_seconds == 120


@pytest.mark.parametrize(
    ("status", "breached"),
    [(MonitorStatus.UP, False), (MonitorStatus.PENDING, False), (None, False), (MonitorStatus.DEGRADED, True)],
)
def test_only_the_rules_states_breach(status: MonitorStatus | None, breached: bool) -> None:
    # Given a rule on DOWN and DEGRADED monitors
    slow = probe_rule(states=["DOWN", "DEGRADED"])
    # When a monitor is observed in a state
    observation = observe_monitor(slow, "slow", "shop", "http", {}, status, SINCE)
    # Then it breaches only in those states, and a clear observation carries no start time
    assert observation is not None
    assert bool(observation.breached) is breached
    assert observation.breach_since == (SINCE if breached else None)


def test_a_monitor_outside_the_rules_matchers_is_not_observed() -> None:
    # Given a rule on monitors tagged team=web matching monitor ids by regex
    matchers = [{"label": "team", "value": "web"}, {"label": "monitor", "op": "=~", "value": "shop-.*"}]
    web = probe_rule(monitors=matchers)
    # When monitors with other tags or ids are observed
    other_team = observe_monitor(web, "web", "shop-eu", "http", {"team": "db"}, MonitorStatus.DOWN, SINCE)
    other_id = observe_monitor(web, "web", "blog", "http", {"team": "web"}, MonitorStatus.DOWN, SINCE)
    matching = observe_monitor(web, "web", "shop-eu", "tcp", {"team": "web"}, MonitorStatus.DOWN, SINCE)
    # Then only the matching one is
    assert (other_team, other_id) == (None, None)
    assert matching is not None
