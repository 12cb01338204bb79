"""Every validation rule of a metric batch, as a client sees it: which point, which field, what is wrong."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from vigil_core.errors import VigilError
from vigil_core.services.ingest import parse_batch

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def point(**overrides: Any) -> dict[str, Any]:
    return {"name": "http.requests", "type": "counter", "value": 1, "unit": "requests", **overrides}


def problems_for(*points: dict[str, Any], raw: str | None = None) -> list[dict[str, Any]]:
    body = raw if raw is not None else json.dumps({"points": list(points)})
    with pytest.raises(VigilError) as caught:
        parse_batch(body.encode(), NOW)
    assert caught.value.status == 400
    assert caught.value.code == "validation_error"
    errors: list[dict[str, Any]] = caught.value.body()["errors"]
    return errors


@pytest.mark.parametrize(
    ("overrides", "field", "problem"),
    [
        ({"name": "9lives"}, "name", "must match"),
        ({"name": "http requests"}, "name", "must match"),
        ({"name": "http-requests"}, "name", "must match"),
        ({"name": "a" * 201}, "name", "at most 200"),
        ({"type": "summary"}, "type", "'counter', 'gauge' or 'histogram'"),
        ({"unit": "furlongs"}, "unit", "Input should be"),
        ({"value": "many"}, "value", "valid number"),
        ({"value": 1e101}, "value", "between 1e-100 and 1e100"),
        ({"value": -1}, "value", "counter increment cannot be negative"),
        ({"type": "histogram", "unit": "ms", "value": -3}, "value", "observation cannot be negative"),
        ({"labels": {f"k{i}": "v" for i in range(31)}}, "labels", "at most 30 labels"),
        ({"labels": {"k" * 101: "v"}}, "labels", "longer than 100"),
        ({"labels": {"host": "v" * 257}}, "labels", "longer than 256"),
        ({"labels": {"bad-key": "v"}}, "labels", "must match"),
        ({"labels": {"__reserved": "v"}}, "labels", "not start with __"),
        ({"labels": {"host": 7}}, "labels.host", "valid string"),
        ({"timestamp": (NOW - timedelta(hours=24, seconds=1)).isoformat()}, "timestamp", "24 hours in the past"),
        ({"timestamp": (NOW + timedelta(minutes=5, seconds=1)).isoformat()}, "timestamp", "5 minutes in the future"),
        ({"timestamp": "2026-11-22T11:00:00"}, "timestamp", "time zone"),
        ({"timestamp": "yesterday"}, "timestamp", "valid datetime"),
        ({"source": "s" * 129}, "source", "at most 128"),
        ({"colour": "blue"}, "colour", "unknown field"),
    ],
)
def test_each_invalid_field_is_named_with_its_point_index(overrides: dict[str, Any], field: str, problem: str) -> None:
    # Given a batch whose second point breaks one rule
    # When it is parsed
    errors = problems_for(point(), point(**overrides))
    # Then the error names that point's index, the field and the problem
    assert len(errors) == 1
    assert errors[0]["index"] == 1
    assert errors[0]["field"] == field
    assert problem in errors[0]["problem"]


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_non_finite_values_are_refused(literal: str) -> None:
    raw = f'{{"points": [{{"name": "cpu", "type": "gauge", "value": {literal}}}]}}'
    errors = problems_for(raw=raw)
    assert errors == [
        {"index": 0, "field": "value", "problem": "must be a finite number (NaN and Infinity are not allowed)"}
    ]


@pytest.mark.parametrize("missing", ["name", "type", "value"])
def test_required_fields_are_named(missing: str) -> None:
    incomplete = point()
    del incomplete[missing]
    assert problems_for(incomplete) == [{"index": 0, "field": missing, "problem": "is required"}]


def test_malformed_json_is_a_body_error() -> None:
    errors = problems_for(raw='{"points": [')
    assert errors[0]["field"] == "body"
    assert errors[0]["problem"].startswith("malformed JSON")


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ('{"points": []}', "at least 1"),
        ('{"points": {}}', "valid array"),
        ("[1, 2]", "an object"),
        ('{"metrics": []}', "unknown field"),
    ],
)
def test_batch_shape_errors_name_the_batch_field(raw: str, problem: str) -> None:
    errors = problems_for(raw=raw)
    assert any(problem in error["problem"] for error in errors)
    assert all("index" not in error for error in errors)


def test_more_than_1000_points_are_refused() -> None:
    errors = problems_for(*[point() for _ in range(1001)])
    assert errors == [{"field": "points", "problem": "List should have at most 1000 items after validation, not 1001"}]


def test_every_problem_in_a_batch_is_reported_not_just_the_first() -> None:
    errors = problems_for(point(value=-1), point(), point(name="1x", unit="furlongs"))
    assert [(e["index"], e["field"]) for e in errors] == [(0, "value"), (2, "name"), (2, "unit")]


def test_a_valid_batch_keeps_every_field() -> None:
    # Given points of each type, with labels, a recent timestamp and a source
    stamp = (NOW - timedelta(minutes=3)).isoformat()
    body = json.dumps(
        {
            "points": [
                point(labels={"service": "api"}, timestamp=stamp, source="web-1"),
                point(name="system.cpu", type="gauge", value=-3.5, unit="percent"),
                point(name="http.latency", type="histogram", value=0, unit="ms", timestamp=1795348700),
            ]
        }
    )
    # When it is parsed
    batch = parse_batch(body.encode(), NOW)
    # Then nothing is lost (a gauge may be negative; epoch seconds are UTC)
    first, gauge, histogram = batch.points
    assert first.labels == {"service": "api"} and first.source == "web-1"
    assert first.timestamp == NOW - timedelta(minutes=3)
    assert gauge.value == -3.5
    assert histogram.timestamp == datetime.fromtimestamp(1795348700, UTC)
