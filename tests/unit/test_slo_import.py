"""`vigil slo import`: OpenSLO v1 documents become vigil SLO definitions, with every gap reported."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.servers.http_server import ControllableHttpServer
from vigil_cli.main import main
from vigil_core.models.slo import SLO_DEFINITION

OPENSLO = Path(__file__).parent / "data" / "openslo"
NO_POLICIES = (
    "note: no alertPolicies: vigil's burn-rate alerts stay on, as for every vigil SLO "
    "(set alerting.enabled: false to turn them off)"
)
DEFAULT_ALERTING = {"enabled": True, "page": "critical", "ticket": "warning"}
WINDOWS = "vigil windows are 7d, 28d, 30d rolling or 1M/1Q calendar"


def run_import(*args: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, list[str]]:
    exit_code = main(["slo", "import", *args])
    captured = capsys.readouterr()
    return exit_code, captured.out, captured.err.splitlines()


def imported(name: str, capsys: pytest.CaptureFixture[str]) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """The sample's vigil SLOs by id (each checked to be valid for vigil, id first) and the stderr lines."""
    exit_code, out, err = run_import(str(OPENSLO / name), capsys=capsys)
    assert exit_code == 0
    assert out.startswith(f"# vigil SLOs converted from the OpenSLO file {name} by `vigil slo import`.\n")
    definitions = yaml.safe_load(out)["slos"]
    for definition in definitions:
        assert next(iter(definition)) == "id"
        assert SLO_DEFINITION.validate_python(definition).slo_id == definition["id"]
    return {definition["id"]: definition for definition in definitions}, err


def write_openslo(tmp_path: Path, *documents: dict[str, Any]) -> Path:
    path = tmp_path / "openslo.yaml"
    path.write_text(yaml.safe_dump_all(documents, sort_keys=False), encoding="utf-8")
    return path


def slo_document(name: str, indicator_spec: dict[str, Any], **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "openslo/v1",
        "kind": "SLO",
        "metadata": {"name": name},
        "spec": {
            "service": "web",
            "indicator": {"metadata": {"name": f"{name}-sli"}, "spec": indicator_spec},
            "timeWindow": [{"duration": "30d", "isRolling": True}],
            "budgetingMethod": "Occurrences",
            "objectives": [{"target": 0.99}],
            **spec,
        },
    }


def prometheus_ratio(good: str, total: str) -> dict[str, Any]:
    return {
        "ratioMetric": {
            "counter": True,
            "good": {"metricSource": {"type": "Prometheus", "spec": {"query": good}}},
            "total": {"metricSource": {"type": "Prometheus", "spec": {"query": total}}},
        }
    }


# -- SLIs


def test_given_ratio_slis_then_good_and_bad_events_become_matchers_on_the_total_metric(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Given ratio SLIs from Prometheus queries (via a DataSource) and from a vigil metric (an SLI by indicatorRef)
    # When they are imported
    slos, err = imported("ratio.yaml", capsys)
    # Then the total's selector gives the matchers, and what good (or bad) adds to it picks those events
    assert slos == {
        "checkout-availability": {
            "id": "checkout-availability",
            "name": "Checkout availability",
            "description": "99.5 % of checkout requests succeed",
            "sli": {
                "kind": "ratio",
                "metric": "http_requests_total",
                "matchers": [{"label": "service", "op": "=", "value": "checkout"}],
                "good": [{"label": "code", "op": "!~", "value": "5.."}],
            },
            "objective_pct": 99.5,
            "window": {"kind": "rolling", "days": 28},
            "budgeting": "occurrences",
            "alerting": DEFAULT_ALERTING,
            "labels": {"team": "payments", "tier": "gold", "service": "checkout"},
        },
        "search-errors": {
            "id": "search-errors",
            "name": "search-errors",
            "sli": {
                "kind": "ratio",
                "metric": "http.requests",
                "matchers": [{"label": "service", "op": "=", "value": "search"}],
                "bad": [{"label": "status", "op": "=~", "value": "5.."}],
            },
            "objective_pct": 99.9,
            "window": {"kind": "rolling", "days": 28},  # 4w
            "budgeting": "occurrences",
            "alerting": DEFAULT_ALERTING,
            "labels": {"service": "search"},
        },
    }
    # And what cannot be mapped is said, with the reason, per SLO
    assert err == [
        "SLO checkout-availability: note: spec.indicator.spec.ratioMetric: vigil does not query Prometheus; "
        "it counts the points apps push to it as http_requests_total",
        f"SLO checkout-availability: {NO_POLICIES}",
        f"SLO search-errors: {NO_POLICIES}",
        "SLO login-success: spec.indicator.spec.ratioMetric.good: cannot map: the good events are counted from "
        "logins_succeeded_total but the total from login_attempts_total; vigil counts good events among the "
        "total's points, so both must be one metric",
        "SLO login-success: not converted",
        "SLO cart-errors: spec.indicator.spec.ratioMetric.total.metricSource.spec.query "
        "'sum(rate(http_requests_total{service=\"cart\"}[5m])) by (instance)': cannot map: 'by (instance)' "
        "follows sum(...): binary operators, grouping and several selectors cannot be mapped",
        "SLO cart-errors: spec.indicator.spec.ratioMetric.bad.metricSource.spec.query "
        "'sum(rate(http_requests_total{service=\"cart\",code=~\"5..\"}[5m])) / 2': cannot map: '/ 2' "
        "follows sum(...): binary operators, grouping and several selectors cannot be mapped",
        "SLO cart-errors: not converted",
        "converted 2 of 4 SLOs",
    ]


@pytest.mark.parametrize(
    ("good", "total", "problem"),
    [
        (
            # OpenSLO's own example: its good series carry code 2xx or 3xx, its total series code "total"
            'sum(localhost_server_requests{code=~"2xx|3xx",host="*"})',
            'localhost_server_requests{code="total",host="*"}',
            'spec.indicator.spec.ratioMetric.good: cannot map: code=~"2xx|3xx" contradicts the total\'s '
            'code="total"; vigil counts good events among the total\'s',
        ),
        (
            'sum(rate(requests_total{job="api"}[5m]))',
            'sum(rate(requests_total{job="api"}[5m]))',
            "spec.indicator.spec.ratioMetric.good: cannot map: the good selector adds no matcher to the total's, "
            "so nothing tells the good events apart",
        ),
        (
            "histogram_quantile(0.99, requests_total)",
            "requests_total",
            "spec.indicator.spec.ratioMetric.good.metricSource.spec.query 'histogram_quantile(0.99, requests_total)': "
            "cannot map: histogram_quantile() is not one of the functions vigil can read through "
            "(sum, rate, increase, irate)",
        ),
        (
            'rate(requests_total{code="200"})',
            "requests_total",
            "spec.indicator.spec.ratioMetric.good.metricSource.spec.query 'rate(requests_total{code=\"200\"})': "
            "cannot map: rate() needs a range such as [5m]",
        ),
    ],
)
def test_given_a_ratio_vigil_cannot_count_then_the_slo_is_not_converted_and_the_reason_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], good: str, total: str, problem: str
) -> None:
    path = write_openslo(tmp_path, slo_document("web", prometheus_ratio(good, total)))
    exit_code, out, err = run_import(str(path), capsys=capsys)
    assert (exit_code, out) == (1, "")
    assert err == [
        f"SLO web: {problem}",
        "SLO web: not converted",
        f"vigil: error: none of the 1 SLOs of {path} could be converted",
    ]


def test_given_a_prometheus_selector_with_the_name_as_a_matcher_then_it_is_read_as_the_metric(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_openslo(
        tmp_path,
        slo_document(
            "web",
            prometheus_ratio(
                "sum(increase({__name__='requests_total', job=\"web\", code=~`2..`}[1h]))",
                'sum(increase({__name__="requests_total", job="web"}[1h]))',
            ),
        ),
    )
    exit_code, out, _ = run_import(str(path), capsys=capsys)
    assert exit_code == 0
    assert yaml.safe_load(out)["slos"][0]["sli"] == {
        "kind": "ratio",
        "metric": "requests_total",
        "matchers": [{"label": "job", "op": "=", "value": "web"}],
        "good": [{"label": "code", "op": "=~", "value": "2.."}],
    }


def test_given_threshold_slis_then_monitors_and_histograms_become_latency_and_availability_slis(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Given threshold SLIs on a vigil monitor (latency, availability), a Prometheus histogram and a vigil histogram
    slos, err = imported("latency.yaml", capsys)
    # Then a monitor gives a latency or availability SLI, a histogram a metric_latency SLI, at the objective's value
    assert slos == {
        "api-latency": {
            "id": "api-latency",
            "name": "API latency",
            "sli": {"kind": "latency", "monitor": "api-health", "threshold_ms": 250},
            "objective_pct": 99.0,
            "window": {"kind": "rolling", "days": 30},
            "budgeting": "occurrences",
            "alerting": DEFAULT_ALERTING,
            "labels": {"service": "api"},
        },
        "checkout-latency": {
            "id": "checkout-latency",
            "name": "checkout-latency",
            "sli": {
                "kind": "metric_latency",
                "metric": "http_request_duration_ms",
                "matchers": [
                    {"label": "service", "op": "=", "value": "checkout"},
                    {"label": "method", "op": "!=", "value": "OPTIONS"},
                ],
                "threshold_ms": 500,
            },
            "objective_pct": 95.0,
            "window": {"kind": "rolling", "days": 7},
            "budgeting": "occurrences",
            "alerting": DEFAULT_ALERTING,
            "labels": {"service": "checkout"},
        },
        "api-uptime": {
            "id": "api-uptime",
            "name": "API uptime",
            "sli": {"kind": "availability", "monitor": "api-health"},
            "objective_pct": 99.9,
            "window": {"kind": "month"},
            "timezone": "Europe/Berlin",
            "budgeting": "occurrences",
            "alerting": DEFAULT_ALERTING,
            "labels": {"service": "api"},
        },
    }
    # And a threshold between bucket bounds, or one that counts slow events, is reported, not rounded
    assert err == [
        f"SLO api-latency: {NO_POLICIES}",
        "SLO checkout-latency: note: spec.indicator.spec.thresholdMetric.metricSource: the buckets "
        "http_request_duration_ms_bucket are read as vigil's histogram http_request_duration_ms",
        "SLO checkout-latency: note: spec.indicator.spec.thresholdMetric: vigil does not query Prometheus; "
        "it counts the points apps push to it as http_request_duration_ms",
        "SLO checkout-latency: note: spec.objectives[0].op lt is read as lte: vigil counts the events at or "
        "under 500 ms",
        f"SLO checkout-latency: {NO_POLICIES}",
        "SLO search-latency: spec.objectives[0].value: threshold 300 is not a bucket bound; "
        "nearest bounds are 250 and 500",
        "SLO search-latency: not converted",
        f"SLO api-uptime: {NO_POLICIES}",
        "SLO report-freshness: spec.objectives[0].op gte: cannot map: vigil latency SLIs count the events at or "
        "under a threshold (op lte or lt, value in ms)",
        "SLO report-freshness: not converted",
        "converted 3 of 5 SLOs",
    ]


# -- windows, budgeting, objectives


def test_given_rolling_and_calendar_windows_then_vigil_windows_keep_their_time_zone(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Given one SLI (by indicatorRef) measured over 1w rolling, 1M and 1Q calendar, 14d rolling and 1Y calendar
    slos, err = imported("windows.yaml", capsys)
    # Then vigil's windows carry over with the calendar's time zone
    assert {slo_id: (slo["window"], slo.get("timezone")) for slo_id, slo in slos.items()} == {
        "web-week": ({"kind": "rolling", "days": 7}, None),
        "web-month": ({"kind": "month"}, "America/New_York"),
        "web-quarter": ({"kind": "quarter"}, "Asia/Tokyo"),
    }
    assert slos["web-month"] == {
        "id": "web-month",
        "name": "web-month",
        "sli": {"kind": "availability", "monitor": "web"},
        "objective_pct": 99.5,
        "window": {"kind": "month"},
        "timezone": "America/New_York",
        "budgeting": "occurrences",
        "alerting": DEFAULT_ALERTING,
        "labels": {"service": "web"},
    }
    # And the windows vigil lacks are named with what it supports
    assert err == [
        f"SLO web-week: {NO_POLICIES}",
        f"SLO web-month: {NO_POLICIES}",
        "SLO web-quarter: note: spec.timeWindow[0].calendar.startTime 2024-02-15 12:00:00: vigil's calendar "
        "quarters start at midnight on their first day; the start time is not used",
        f"SLO web-quarter: {NO_POLICIES}",
        f"SLO web-fortnight: spec.timeWindow[0].duration 14d: {WINDOWS}",
        "SLO web-fortnight: not converted",
        f"SLO web-year: spec.timeWindow[0].duration 1Y: {WINDOWS}",
        "SLO web-year: not converted",
        "converted 3 of 5 SLOs",
    ]


def test_given_timeslices_budgeting_then_slices_carry_over_and_ratio_timeslices_cannot(
    capsys: pytest.CaptureFixture[str],
) -> None:
    slos, err = imported("budgeting.yaml", capsys)
    assert slos["api-good-minutes"] == {
        "id": "api-good-minutes",
        "name": "API good minutes",
        "sli": {
            "kind": "ratio",
            "metric": "http.requests",
            "matchers": [{"label": "service", "op": "=", "value": "api"}],
            "bad": [{"label": "status", "op": "=", "value": "5xx"}],
        },
        "objective_pct": 99.9,
        "window": {"kind": "rolling", "days": 30},
        "budgeting": "timeslices",
        "timeslices": {"target_pct": 95.0, "minutes": 5},
        "alerting": DEFAULT_ALERTING,
        "labels": {"service": "api"},
    }
    assert (slos["api-good-hours"]["budgeting"], slos["api-good-hours"]["timeslices"]) == (
        "timeslices",
        {"target_pct": 90.0, "minutes": 60},
    )
    assert set(slos) == {"api-good-minutes", "api-good-hours"}
    assert err == [
        f"SLO api-good-minutes: {NO_POLICIES}",
        f"SLO api-good-hours: {NO_POLICIES}",
        "SLO api-odd-slices: spec.objectives[0].timeSliceWindow 7m: vigil time slices last 1, 2, 3, 4, 5, 6, 10, "
        "12, 15, 20, 30, 60 minutes (they divide an hour)",
        "SLO api-odd-slices: not converted",
        "SLO api-ratio-slices: spec.budgetingMethod RatioTimeslices: cannot map: vigil budgets by occurrences "
        "(good events / all events) or timeslices (good slices / all slices), not by the average of the "
        "slices' ratios",
        "SLO api-ratio-slices: not converted",
        "converted 2 of 4 SLOs",
    ]


def test_given_several_objectives_then_each_becomes_its_own_slo_named_after_it(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Given an SLO with four objectives, one of them at a threshold vigil cannot count
    slos, err = imported("objectives.yaml", capsys)
    # Then each other objective is an SLO of its own, its id suffixed with its displayName (or its number)
    assert {
        slo_id: (slo["name"], slo["sli"]["threshold_ms"], slo["objective_pct"]) for slo_id, slo in slos.items()
    } == {
        "api-latency-fast": ("API latency: Fast", 100, 90.0),
        "api-latency-not-slow": ("API latency: Not slow", 1000, 99.0),
        "api-latency-3": ("API latency: objective 3", 2500, 99.9),
    }
    assert slos["api-latency-fast"] == {
        "id": "api-latency-fast",
        "name": "API latency: Fast",
        "sli": {"kind": "latency", "monitor": "api-health", "threshold_ms": 100},
        "objective_pct": 90.0,
        "window": {"kind": "rolling", "days": 28},
        "budgeting": "occurrences",
        "alerting": DEFAULT_ALERTING,
        "labels": {"service": "api"},
    }
    # And stderr says so
    assert err == [
        "SLO api-latency: spec.objectives[3].value: threshold 400 is not a bucket bound; "
        "nearest bounds are 250 and 500",
        f"SLO api-latency: {NO_POLICIES}",
        "SLO api-latency: note: spec.objectives has 4 objectives; a vigil SLO has one, so each became an SLO: "
        "api-latency-fast, api-latency-not-slow, api-latency-3",
        "converted 1 of 1 SLOs into 3 vigil SLOs",
    ]


# -- alerting


def test_given_alert_policies_then_burn_rate_alerting_follows_their_severities_and_gaps_are_noted(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Given alert policies by reference (conditions by reference and inline), inline, not breaching, and missing
    slos, err = imported("alerting.yaml", capsys)
    # Then paging conditions keep vigil's rows paging, ticket-only ones page at warning, none breaching turns off
    assert {slo_id: slo["alerting"] for slo_id, slo in slos.items()} == {
        "shop-paging": {"enabled": True, "page": "critical", "ticket": "warning"},
        "shop-tickets": {"enabled": True, "page": "warning", "ticket": "warning"},
        "shop-silent": {"enabled": False, "page": "critical", "ticket": "warning"},
        "shop-default": {"enabled": True, "page": "critical", "ticket": "warning"},
    }
    # And fast-burn (14.4 over 1h for 30 days) and slow-burn (1 over 3d) are vigil's own rows, so only
    # steady-burn is noted; what vigil does not import is noted too
    assert err == [
        "SLO shop-paging: note: AlertPolicy paging: alertWhenNoData is not imported: vigil's burn-rate alerts "
        "need events to fire",
        "SLO shop-paging: note: AlertPolicy paging: notificationTargets (on-call-pager) are not imported: vigil "
        "notifies through its own notification channels and escalation policies",
        "SLO shop-paging: note: AlertCondition steady-burn (burn rate 2 over 2h, after 10m): vigil uses its "
        "multi-window rows derived from the window instead: pages at burn rate 14.4 over 1h and 6 over 6h, "
        "a ticket at 1 over 3d",
        "SLO shop-tickets: note: AlertPolicy low-priority: notificationTargets (team-mail) are not imported: "
        "vigil notifies through its own notification channels and escalation policies",
        "SLO shop-tickets: note: every alert condition is a ticket, so vigil's page rows raise warning, not critical",
        "SLO shop-silent: note: AlertPolicy resolved-only: notificationTargets (on-call-pager) are not imported: "
        "vigil notifies through its own notification channels and escalation policies",
        "SLO shop-silent: note: AlertPolicy resolved-only: alertWhenBreaching is false, so its conditions are not used",
        "SLO shop-silent: note: no alert policy alerts when breaching, so vigil's burn-rate alerts are turned off",
        "SLO shop-default: spec.alertPolicies[0].alertPolicyRef missing-policy: no AlertPolicy named "
        "missing-policy in the file; ignored",
        "AlertPolicy unused: not used by any SLO in the file; not imported",
        "converted 4 of 4 SLOs",
    ]


def test_given_a_custom_burn_rate_on_a_28_day_window_then_the_note_gives_that_windows_rows(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    policy = {
        "kind": "AlertPolicy",
        "metadata": {"name": "burn"},
        "spec": {
            "alertWhenBreaching": True,
            "conditions": [
                {
                    "kind": "AlertCondition",
                    "metadata": {"name": "thirty-day-fast-burn"},
                    "spec": {
                        "severity": "sev2",
                        "condition": {"kind": "burnrate", "threshold": 14.4, "lookbackWindow": "1h"},
                    },
                },
                {
                    "kind": "AlertCondition",
                    "metadata": {"name": "error-count"},
                    "spec": {"severity": "page", "condition": {"kind": "threshold", "threshold": 10}},
                },
            ],
        },
    }
    indicator = {
        "thresholdMetric": {"metricSource": {"type": "vigil-probe", "spec": {"monitor": "web", "sli": "availability"}}}
    }
    path = write_openslo(
        tmp_path,
        slo_document("web", indicator, timeWindow=[{"duration": "28d", "isRolling": True}], alertPolicies=[policy]),
    )
    exit_code, _, err = run_import(str(path), capsys=capsys)
    assert exit_code == 0
    assert err == [
        "SLO web: AlertCondition error-count: condition kind threshold: cannot map: vigil alerts on an SLO's "
        "burn rate; ignored",
        "SLO web: AlertCondition thirty-day-fast-burn: severity 'sev2' reads as neither page (page, critical, "
        "high, urgent, sev1, p1) nor ticket (ticket, warning, warn, low, medium, info, notice); counted as page",
        "SLO web: note: AlertCondition thirty-day-fast-burn (burn rate 14.4 over 1h): vigil uses its multi-window "
        "rows derived from the window instead: pages at burn rate 13.44 over 1h and 5.6 over 6h, a ticket at "
        "0.933333 over 3d",
        "converted 1 of 1 SLOs",
    ]


# -- what vigil does not know


def test_given_unknown_kinds_versions_fields_and_sources_then_each_is_a_problem_naming_object_and_path(
    capsys: pytest.CaptureFixture[str],
) -> None:
    slos, err = imported("unknown.yaml", capsys)
    assert list(slos) == ["payments-uptime"]
    assert err == [
        "Dashboard overview: kind Dashboard is not an OpenSLO v1 kind (SLO, SLI, AlertPolicy, AlertCondition, "
        "AlertNotificationTarget, Service, DataSource); skipped",
        "SLO legacy: apiVersion openslo/v1alpha: only openslo/v1 is supported; skipped",
        "SLO payments-errors: metadata.owner: not an OpenSLO v1 field; ignored",
        "SLO payments-errors: spec.tier: not an OpenSLO v1 field; ignored",
        "SLO payments-errors: spec.objectives[0].weight: not an OpenSLO v1 field; ignored",
        "SLO payments-errors: spec.indicator.spec.ratioMetric.total.metricSource.type Datadog: cannot map: vigil "
        "counts the metrics apps push to it (type vigil), its monitors' checks (type vigil-probe) or one "
        "Prometheus selector (type Prometheus)",
        "SLO payments-errors: spec.indicator.spec.ratioMetric.good.metricSource.type Datadog: cannot map: vigil "
        "counts the metrics apps push to it (type vigil), its monitors' checks (type vigil-probe) or one "
        "Prometheus selector (type Prometheus)",
        "SLO payments-errors: not converted",
        "SLO payments-uptime: spec.indicator.spec.thresholdMetric.metricSource.spec.region: not a field of a "
        "vigil-probe metric source (monitor, sli); ignored",
        f"SLO payments-uptime: {NO_POLICIES}",
        "document #7: not a mapping; skipped",
        "SLI orphan: not used by any SLO in the file; not imported",
        "converted 1 of 3 SLOs",
    ]


def test_given_a_file_without_an_slo_then_the_import_fails_after_listing_its_problems(
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = OPENSLO / "no-slo.yaml"
    exit_code, out, err = run_import(str(path), capsys=capsys)
    assert (exit_code, out) == (1, "")
    assert err == [
        "SLI api-up: not used by any SLO in the file; not imported",
        f"vigil: error: {path} has no SLO to convert: none of its OpenSLO objects is `kind: SLO`",
    ]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            "kind: SLO\nspec: [\n",
            "is not valid YAML: expected the node content, but found '<stream end>' (line 3, column 1)",
        ),
        (
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: slos\n",
            "is not an OpenSLO file: no document has `apiVersion: openslo/v1` (with a kind: SLO, SLI, AlertPolicy, "
            "AlertCondition, AlertNotificationTarget, Service, DataSource)",
        ),
        (
            "",
            "is not an OpenSLO file: no document has `apiVersion: openslo/v1` (with a kind: SLO, SLI, AlertPolicy, "
            "AlertCondition, AlertNotificationTarget, Service, DataSource)",
        ),
    ],
)
def test_given_a_file_that_is_not_openslo_yaml_then_the_import_fails_with_the_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, message: str
) -> None:
    path = tmp_path / "slos.yaml"
    path.write_text(content, encoding="utf-8")
    assert run_import(str(path), capsys=capsys) == (1, "", [f"vigil: error: {path} {message}"])


def test_given_a_missing_file_then_the_import_fails_with_exit_code_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nope.yaml"
    assert run_import(str(missing), capsys=capsys) == (1, "", [f"vigil: error: {missing}: no such file"])


# -- output


def test_given_an_output_file_then_the_document_is_written_there(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    output = tmp_path / "slos.yaml"
    exit_code, out, err = run_import(str(OPENSLO / "windows.yaml"), "--output", str(output), capsys=capsys)
    assert (exit_code, out) == (0, "")
    assert err[-1] == f"converted 3 of 5 SLOs, written to {output}"
    text = output.read_text(encoding="utf-8")
    assert "&id" not in text  # the shared alerting is written out, not aliased
    assert [slo["id"] for slo in yaml.safe_load(text)["slos"]] == ["web-week", "web-month", "web-quarter"]


# -- --apply


@pytest.fixture
def vigil_api(monkeypatch: pytest.MonkeyPatch) -> Iterator[ControllableHttpServer]:
    """A stand-in vigil API on 127.0.0.1; no proxy or VIGIL_* setting of the environment gets in the way."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("VIGIL_URL", raising=False)
    monkeypatch.delenv("VIGIL_API_KEY", raising=False)
    with ControllableHttpServer() as server:
        yield server


def test_given_apply_then_each_slo_is_put_to_the_api_and_a_refusal_is_reported_with_its_error(
    vigil_api: ControllableHttpServer, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given an API that accepts two of the three SLOs and refuses the third
    error = {"errors": [{"field": "sli.metric", "problem": "no such metric"}]}
    vigil_api.route("/v1/slos/api-latency", status=201, body='{"id": "api-latency"}')
    vigil_api.route("/v1/slos/checkout-latency", status=400, body=json.dumps(error))
    vigil_api.route("/v1/slos/api-uptime", status=200, body='{"id": "api-uptime"}')
    # When the SLOs are applied
    exit_code, out, err = run_import(
        str(OPENSLO / "latency.yaml"), "--apply", "--url", vigil_api.base_url + "/", "--api-key", "k-123", capsys=capsys
    )
    # Then each was PUT with the key and the import source, its definition without the id as the body
    assert exit_code == 1
    assert out == "applied api-latency\napplied api-uptime\n"
    requests = vigil_api.requests
    assert [(request.method, request.path) for request in requests] == [
        ("PUT", "/v1/slos/api-latency"),
        ("PUT", "/v1/slos/checkout-latency"),
        ("PUT", "/v1/slos/api-uptime"),
    ]
    for request in requests:
        assert (request.headers["x-api-key"], request.headers["x-vigil-source"]) == ("k-123", "import")
        assert request.headers["content-type"] == "application/json"
    assert json.loads(requests[0].body) == {
        "name": "API latency",
        "sli": {"kind": "latency", "monitor": "api-health", "threshold_ms": 250},
        "objective_pct": 99.0,
        "window": {"kind": "rolling", "days": 30},
        "budgeting": "occurrences",
        "alerting": DEFAULT_ALERTING,
        "labels": {"service": "api"},
    }
    # And the refusal is reported with its status and error body, and the rest went on
    assert err[-3:] == [
        f"SLO checkout-latency: PUT {vigil_api.base_url}/v1/slos/checkout-latency answered 400: {json.dumps(error)}",
        f"applied 2 of 3 vigil SLOs to {vigil_api.base_url}",
        "converted 3 of 5 SLOs",
    ]


def test_given_apply_with_the_api_from_the_environment_then_every_slo_is_applied(
    vigil_api: ControllableHttpServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("VIGIL_URL", vigil_api.base_url)
    monkeypatch.setenv("VIGIL_API_KEY", "k-env")
    for slo_id in ("web-week", "web-month", "web-quarter"):
        vigil_api.route(f"/v1/slos/{slo_id}", status=200, body="{}")
    exit_code, out, err = run_import(str(OPENSLO / "windows.yaml"), "--apply", capsys=capsys)
    assert exit_code == 0
    assert out == "applied web-week\napplied web-month\napplied web-quarter\n"
    assert {request.headers["x-api-key"] for request in vigil_api.requests} == {"k-env"}
    assert err[-2:] == [f"applied 3 of 3 vigil SLOs to {vigil_api.base_url}", "converted 3 of 5 SLOs"]


def test_given_apply_without_an_api_key_then_the_import_fails_before_anything_is_sent(
    vigil_api: ControllableHttpServer, capsys: pytest.CaptureFixture[str]
) -> None:
    exit_code, out, err = run_import(
        str(OPENSLO / "windows.yaml"), "--apply", "--url", vigil_api.base_url, capsys=capsys
    )
    assert (exit_code, out, err) == (
        1,
        "",
        ["vigil: error: --apply needs an API key: pass --api-key or set VIGIL_API_KEY"],
    )
    assert vigil_api.requests == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--apply", "--api-key", "k"], "--apply needs the vigil API: pass --url or set VIGIL_URL"),
        (
            ["--apply", "--url", "127.0.0.1:8080", "--api-key", "k"],
            "'127.0.0.1:8080' is not an http:// or https:// URL",
        ),
        (["--url", "http://127.0.0.1:8080"], "--url and --api-key are for --apply"),
    ],
)
def test_given_apply_settings_that_do_not_fit_then_the_import_fails_with_the_reason(
    vigil_api: ControllableHttpServer, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    assert run_import(str(OPENSLO / "windows.yaml"), *args, capsys=capsys) == (1, "", [f"vigil: error: {message}"])


def test_given_apply_to_an_api_that_is_not_listening_then_the_import_fails_saying_so(
    vigil_api: ControllableHttpServer, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a local port nobody listens on any more
    url = vigil_api.base_url
    vigil_api.stop()
    exit_code, out, err = run_import(
        str(OPENSLO / "windows.yaml"), "--apply", "--url", url, "--api-key", "k", capsys=capsys
    )
    assert (exit_code, out) == (1, "")
    assert err[-1].startswith(f"vigil: error: cannot reach {url}: ")
    assert err[-1].endswith("; 0 of 3 SLOs were applied")
