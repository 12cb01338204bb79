"""SLOs as a tenant defines them, and the events a pushed batch adds to its metric SLOs' SLA windows."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from vigil_core.adapters.dynamodb_slos import CachedSloLister, InMemorySloRepository
from vigil_core.adapters.memory_probes import InMemoryMonitorRepository
from vigil_core.adapters.sla_windows import InMemorySlaWindows
from vigil_core.errors import VigilError
from vigil_core.models.metrics import MetricBatch
from vigil_core.models.monitors import MONITOR_DEFINITION, Monitor
from vigil_core.models.sla import TENANT_TIERS
from vigil_core.models.slo import Slo, SloSource
from vigil_core.services.ingest import SloCounting, count_slo_events
from vigil_core.services.slo_events import metric_slo_increments, sli_events
from vigil_core.services.slos import SloService, parse_slo

NOW = datetime(2026, 11, 23, 10, 30, 15, tzinfo=UTC)
MINUTE = int(NOW.timestamp()) // 60 * 60


def slo(body: dict[str, Any], tenant: str = "acme") -> Slo:
    definition = parse_slo(body)
    return Slo(tenant_id=tenant, id=definition.slo_id, definition=definition, created_at=NOW, updated_at=NOW)


ERRORS = {
    "name": "API errors",
    "sli": {
        "kind": "ratio",
        "metric": "http_requests_total",
        "matchers": [{"label": "service", "value": "api"}],
        "bad": [{"label": "status", "op": "=~", "value": "5.."}],
    },
}
LATENCY = {
    "name": "API latency",
    "sli": {"kind": "metric_latency", "metric": "http_request_ms", "threshold_ms": 250},
    "objective_pct": 99,
}


def batch(*points: dict[str, Any]) -> MetricBatch:
    return MetricBatch.model_validate({"points": list(points)}, context={"now": NOW})


def test_a_ratio_slo_counts_counter_values_as_events_and_the_bad_ones_apart() -> None:
    # Given an error-rate SLO on the api service's requests
    errors = slo(ERRORS)
    # When a batch holds 200 + 3 (5xx) requests of the api, 50 of another service and a gauge of the same name
    points = batch(
        {"name": "http_requests_total", "type": "counter", "value": 200, "labels": {"service": "api", "status": "200"}},
        {"name": "http_requests_total", "type": "counter", "value": 3, "labels": {"service": "api", "status": "503"}},
        {"name": "http_requests_total", "type": "counter", "value": 50, "labels": {"service": "web", "status": "500"}},
        {"name": "http_requests_total", "type": "gauge", "value": 9, "labels": {"service": "api", "status": "500"}},
    ).points
    increments = metric_slo_increments([errors], points, NOW)
    # Then its minute gets 203 events of which 200 good, in the SLO's own windows
    assert increments == {("acme#slo:api-errors", MINUTE): {"total": 203, "good": 200}}


def test_a_good_selector_counts_the_matching_events_as_good() -> None:
    # Given the same SLO written with good instead of bad
    good_variant = slo({**ERRORS, "sli": {**ERRORS["sli"], "bad": None, "good": [{"label": "status", "value": "200"}]}})
    points = batch(
        {"name": "http_requests_total", "type": "counter", "value": 10, "labels": {"service": "api", "status": "200"}},
        {"name": "http_requests_total", "type": "counter", "value": 2, "labels": {"service": "api", "status": "404"}},
    ).points
    # When counted / Then only status 200 is good
    assert metric_slo_increments([good_variant], points, NOW) == {
        ("acme#slo:api-errors", MINUTE): {"total": 12, "good": 10}
    }


def test_a_latency_slo_counts_observations_at_or_under_the_bound_and_keeps_the_histogram() -> None:
    # Given a 250 ms latency SLO on a histogram; observations 100 ms, 250 ms (on the bound), 0.3 s (in seconds)
    latency = slo(LATENCY)
    points = batch(
        {"name": "http_request_ms", "type": "histogram", "value": 100, "unit": "ms"},
        {"name": "http_request_ms", "type": "histogram", "value": 250, "unit": "ms"},
        {
            "name": "http_request_ms",
            "type": "histogram",
            "value": 0.3,
            "unit": "s",
            "timestamp": "2026-11-23T10:29:59Z",
        },
    ).points
    # When counted
    increments = metric_slo_increments([latency], points, NOW)
    # Then the 0.3 s one lands in its own (earlier) minute as a slow event, the others are good
    assert increments[("acme#slo:api-latency", MINUTE)] == {
        "total": 2,
        "good": 2,
        "latency_count": 2,
        "latency_sum_ms": 350,
        "lb07": 1,  # (75, 100]
        "lb09": 1,  # (150, 250]
    }
    assert increments[("acme#slo:api-latency", MINUTE - 60)] == {
        "total": 1,
        "latency_count": 1,
        "latency_sum_ms": 300,
        "lb10": 1,  # (250, 500]
    }


def test_a_batch_counts_once_however_often_it_is_retried() -> None:
    # Given a tenant with the error SLO, and a batch
    repository = InMemorySloRepository()
    repository.put(slo(ERRORS))
    windows = InMemorySlaWindows()
    counting = SloCounting(CachedSloLister(repository), windows)
    points = batch(
        {"name": "http_requests_total", "type": "counter", "value": 4, "labels": {"service": "api", "status": "500"}}
    )
    # When it is counted, then retried with the same batch id
    assert count_slo_events("acme", points, "batch-1", counting, NOW) == 3  # minute, hour and day
    count_slo_events("acme", points, "batch-1", counting, NOW)
    # Then the windows hold it once; another tenant's batch adds nothing to this SLO
    assert count_slo_events("other", points, "batch-2", counting, NOW) == 0
    [minute] = windows.windows("acme#slo:api-errors", "minute", MINUTE, MINUTE + 60)
    [hour] = windows.windows("acme#slo:api-errors", "hour", MINUTE - 3600, MINUTE + 3600)
    assert (minute["total"], minute["good"], hour["total"]) == (4, 0, 4)
    assert sli_events(slo(ERRORS), [minute, hour]) == (0, 8)


def test_a_latency_slo_on_a_monitor_reads_its_checks_histogram() -> None:
    # Given a monitor's window: 10 checks with a response time, 7 at or under 250 ms
    probe_latency = slo({"name": "Home fast", "sli": {"kind": "latency", "monitor": "home", "threshold_ms": 250}})
    window = {"total": 12, "good": 12, "latency_count": 10, "lb05": 3, "lb09": 4, "lb10": 2, "lb19": 1}
    # When its events are read / Then fast checks are good among those that measured a time
    assert sli_events(probe_latency, [window]) == (7, 10)


@pytest.mark.parametrize(
    ("body", "field", "problem"),
    [
        (
            {"name": "x", "sli": {"kind": "latency", "monitor": "home", "threshold_ms": 300}},
            "sli.threshold_ms",
            "bound",
        ),
        ({"name": "x", "sli": {"kind": "ratio", "metric": "m"}}, "sli", "exactly one of bad or good"),
        ({"name": "x", "sli": {"kind": "uptime", "monitor": "home"}}, "sli.kind", "availability, latency"),
        (
            {"name": "x", "sli": {"kind": "availability", "monitor": "home"}, "window": {"days": 14}},
            "window",
            "7, 28, 30",
        ),
        (
            {"name": "x", "sli": {"kind": "availability", "monitor": "home"}, "window": {"kind": "month", "days": 30}},
            "window",
            "only for rolling",
        ),
        (
            {"name": "x", "sli": {"kind": "availability", "monitor": "home"}, "timezone": "Mars/Olympus"},
            "timezone",
            "IANA",
        ),
        (
            {"name": "x", "sli": {"kind": "availability", "monitor": "home"}, "budgeting": "timeslices"},
            "body",
            "timeslices budgeting needs",
        ),
        (
            {
                "name": "x",
                "sli": {"kind": "availability", "monitor": "home"},
                "budgeting": "timeslices",
                "timeslices": {"target_pct": 95, "minutes": 7},
            },
            "timeslices.minutes",
            "divide an hour",
        ),
        ({"name": "x", "sli": {"kind": "availability", "monitor": "home"}, "objective_pct": 100}, "objective_pct", ""),
    ],
)
def test_a_bad_slo_is_refused_naming_the_field(body: dict[str, Any], field: str, problem: str) -> None:
    # Given a definition with one mistake / When parsed / Then a 400 names the field and says what is wrong
    with pytest.raises(VigilError) as caught:
        parse_slo(body)
    assert caught.value.status == 400
    details = caught.value.body()["errors"]
    assert any(detail["field"] == field and problem in detail["problem"] for detail in details), details


def test_slos_are_stored_with_defaults_and_their_monitor_must_exist() -> None:
    # Given a tenant with one monitor
    monitors = InMemoryMonitorRepository()
    definition = MONITOR_DEFINITION.validate_python({"type": "http", "name": "home", "target": "http://127.0.0.1/"})
    monitors.create(Monitor(tenant_id="acme", id="home", definition=definition, created_at=NOW, updated_at=NOW))
    service = SloService(InMemorySloRepository(), monitors, lambda: NOW)
    # When an availability SLO on it is created without an objective or window
    created = service.create("acme", {"name": "Home up", "sli": {"kind": "availability", "monitor": "home"}})
    # Then it gets its id from the name, a rolling 30-day window, and the tier's objective
    assert (created.id, created.definition.window.days, created.source) == ("home-up", 30, SloSource.API)
    assert created.definition.objective(TENANT_TIERS["professional"]) == 99.5
    assert created.window_partition == "acme#home"
    # And one on a monitor that does not exist is refused, naming sli.monitor
    with pytest.raises(VigilError) as caught:
        service.create("acme", {"name": "Ghost", "sli": {"kind": "availability", "monitor": "ghost"}})
    assert caught.value.body()["errors"][0]["field"] == "sli.monitor"
    # And creating the same id twice is a conflict, while PUT replaces it and keeps when it was created
    with pytest.raises(VigilError) as twice:
        service.create("acme", {"name": "Home up", "sli": {"kind": "availability", "monitor": "home"}})
    assert twice.value.status == 409
    replaced, was_created = service.put(
        "acme",
        "home-up",
        {"name": "Home up", "sli": {"kind": "availability", "monitor": "home"}, "objective_pct": 99.9},
    )
    assert (was_created, replaced.created_at, replaced.definition.objective_pct) == (False, NOW, 99.9)


@pytest.mark.parametrize(
    ("service", "kind", "objective"),
    [
        (None, "availability", 99.5),  # the tenant's professional tier
        ({"tier": "premium", "kind": "database"}, "availability", 99.99),
        ({"tier": "standard"}, "availability", 99.9),  # an API service by default
        ({"tier": "standard", "kind": "database"}, "ratio", 99.9),  # 100 - 0.1 % errors
        ({"tier": "premium", "kind": "api"}, "ratio", 99.5),  # 100 - 0.5 % errors
    ],
)
def test_an_slo_takes_its_default_objective_from_its_service_tier_or_the_tenants(
    service: dict[str, str] | None, kind: str, objective: float
) -> None:
    # Given an SLO without an objective, on a service tier or not
    sli = {"kind": "availability", "monitor": "db"} if kind == "availability" else ERRORS["sli"]
    body: dict[str, Any] = {"name": "Orders DB", "sli": sli, **({"service": service} if service else {})}
    # When its objective is asked for a professional tenant / Then it is the service tier's seed value
    assert parse_slo(body).objective(TENANT_TIERS["professional"]) == pytest.approx(objective)
