"""POST /v1/metrics through the real ingest handler, on in-memory adapters: what a client sees."""

from __future__ import annotations

import json
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import pytest

from tests.support import SAMPLE_EVENT_KEY, FakeLambdaContext, InMemoryVigil, api_event, load_event, load_handler
from vigil_core.services.ingest import MAX_BODY_BYTES

KEY = "vgl_aaaaaaaaaaaa_tenant-a-key"


@pytest.fixture(scope="module")
def ingest() -> ModuleType:
    return load_handler("ingest")


@pytest.fixture
def vigil(ingest: ModuleType) -> Iterator[InMemoryVigil]:
    wiring = InMemoryVigil()
    wiring.add_key("tenant-a", KEY)
    wiring.add_key("sample", SAMPLE_EVENT_KEY)
    ingest.dependencies.use(wiring.ingest_dependencies())
    yield wiring
    ingest.dependencies.reset()


def post(
    ingest: ModuleType, body: Any, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, Any], dict[str, Any]]:
    event = api_event(
        "POST",
        "/v1/metrics",
        body=body,
        headers={"content-type": "application/json", "x-api-key": KEY, **(headers or {})},
    )
    response = ingest.handler(event, FakeLambdaContext())
    return response["statusCode"], json.loads(response["body"]), response.get("multiValueHeaders", {})


POINTS = [
    {"name": "http.requests", "type": "counter", "value": 5, "labels": {"service": "api"}},
    {"name": "http.requests", "type": "counter", "value": 7, "labels": {"service": "api"}},
    {"name": "system.cpu", "type": "gauge", "value": 40.5, "unit": "percent", "labels": {"host": "a"}},
]


def test_sample_event_is_accepted(ingest: ModuleType, vigil: InMemoryVigil) -> None:
    # Given the sample event from events/ and its key registered
    # When the handler runs it
    response = ingest.handler(load_event("ingest_post_metrics"), FakeLambdaContext())
    # Then every point is accepted, collapsed into one write per series-bucket per resolution
    assert response["statusCode"] == 202
    body = json.loads(response["body"])
    assert body["accepted"] == 6
    assert body["series"] == 5
    assert body["writes"] == body["series_minutes"] * 3


def test_a_batch_is_stored_under_the_keys_tenant(ingest: ModuleType, vigil: InMemoryVigil) -> None:
    status, body, _ = post(ingest, {"points": POINTS})
    assert status == 202
    assert body["accepted"] == 3 and body["series"] == 2
    tenants = {key[0] for key in vigil.store.items}
    assert tenants == {"tenant-a"}


def test_the_tenant_comes_from_the_key_not_the_body(ingest: ModuleType, vigil: InMemoryVigil) -> None:
    status, body, _ = post(ingest, {"tenant": "tenant-b", "points": POINTS})
    assert status == 400
    assert body["errors"] == [{"field": "tenant", "problem": "unknown field"}]
    assert vigil.store.items == {}


def test_bearer_authorization_is_accepted(ingest: ModuleType, vigil: InMemoryVigil) -> None:
    event = api_event(
        "POST",
        "/v1/metrics",
        body={"points": POINTS},
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {KEY}"},
    )
    assert ingest.handler(event, FakeLambdaContext())["statusCode"] == 202


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ({"x-api-key": ""}, "missing API key"),
        ({"x-api-key": "vgl_000000000000_not-a-key"}, "unknown or revoked API key"),
        ({"x-api-key": "", "authorization": "Basic dXNlcjpwYXNz"}, "missing API key"),
        ({"x-api-key": "k" * 300}, "unknown or revoked API key"),
    ],
)
def test_missing_or_unknown_keys_get_401(
    ingest: ModuleType, vigil: InMemoryVigil, headers: dict[str, str], message: str
) -> None:
    status, body, _ = post(ingest, {"points": POINTS}, headers)
    assert status == 401
    assert body["error"] == "unauthorized" and message in body["message"]
    assert vigil.store.items == {}


def test_a_revoked_key_gets_401(ingest: ModuleType, vigil: InMemoryVigil) -> None:
    vigil.add_key("tenant-a", "vgl_bbbbbbbbbbbb_revoked", revoked=True)
    status, _, _ = post(ingest, {"points": POINTS}, {"x-api-key": "vgl_bbbbbbbbbbbb_revoked"})
    assert status == 401


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", ""])
def test_wrong_content_type_gets_415(ingest: ModuleType, vigil: InMemoryVigil, content_type: str) -> None:
    status, body, _ = post(ingest, {"points": POINTS}, {"content-type": content_type})
    assert status == 415
    assert body["errors"][0]["field"] == "content-type"


def test_json_with_charset_is_accepted(ingest: ModuleType, vigil: InMemoryVigil) -> None:
    status, _, _ = post(ingest, {"points": POINTS}, {"content-type": "application/json; charset=utf-8"})
    assert status == 202


def test_oversized_body_gets_413_before_parsing(ingest: ModuleType, vigil: InMemoryVigil) -> None:
    status, body, _ = post(ingest, '{"points": [' + " " * MAX_BODY_BYTES + "]}")
    assert status == 413
    assert body["error"] == "payload_too_large"
    assert str(MAX_BODY_BYTES) in body["message"]


@pytest.mark.parametrize(("raw", "field"), [("", "body"), ("{not json", "body"), ('{"points": [', "body")])
def test_empty_or_malformed_body_gets_400(ingest: ModuleType, vigil: InMemoryVigil, raw: str, field: str) -> None:
    status, body, _ = post(ingest, raw)
    assert status == 400
    assert body["errors"][0]["field"] == field


def test_one_bad_point_rejects_the_whole_batch(ingest: ModuleType, vigil: InMemoryVigil) -> None:
    # Given a batch whose last point is invalid
    batch = {"points": [*POINTS, {"name": "x", "type": "gauge", "value": "NaN"}]}
    # When it is posted
    status, body, _ = post(ingest, batch)
    # Then nothing is stored and the bad point is named
    assert status == 400
    assert body["errors"] == [
        {"index": 3, "field": "value", "problem": "must be a finite number (NaN and Infinity are not allowed)"}
    ]
    assert vigil.store.items == {}


def test_idempotency_key_replay_is_counted_once(ingest: ModuleType, vigil: InMemoryVigil) -> None:
    # Given a batch posted with an Idempotency-Key
    first_status, first, first_headers = post(ingest, {"points": POINTS}, {"Idempotency-Key": "batch-1"})
    # When the same batch is posted again with the same key
    again_status, again, again_headers = post(ingest, {"points": POINTS}, {"Idempotency-Key": "batch-1"})
    # Then the replay returns the first answer, says so, and stores nothing more
    assert (first_status, again_status) == (202, 202)
    assert again == first
    assert "Idempotent-Replayed" not in first_headers
    assert again_headers["Idempotent-Replayed"] == ["true"]
    counter = [
        item.stored.rollup for key, item in vigil.store.items.items() if key[1] == "http.requests" and key[2] == "m"
    ]
    assert [(r.count, r.total) for r in counter] == [(2, 12.0)]


def test_idempotency_key_reused_with_another_body_gets_422(ingest: ModuleType, vigil: InMemoryVigil) -> None:
    post(ingest, {"points": POINTS}, {"Idempotency-Key": "batch-1"})
    status, body, _ = post(ingest, {"points": POINTS[:1]}, {"Idempotency-Key": "batch-1"})
    assert status == 422
    assert body["errors"][0]["field"] == "Idempotency-Key"


@pytest.mark.parametrize("key", ["k" * 256, "caf\u00e9"])
def test_malformed_idempotency_key_gets_400(ingest: ModuleType, vigil: InMemoryVigil, key: str) -> None:
    status, body, _ = post(ingest, {"points": POINTS}, {"Idempotency-Key": key})
    assert status == 400
    assert body["errors"][0]["field"] == "Idempotency-Key"


def test_unknown_route_is_a_json_404(ingest: ModuleType, vigil: InMemoryVigil) -> None:
    response = ingest.handler(api_event("POST", "/v1/nothing", body="{}"), FakeLambdaContext())
    assert response["statusCode"] == 404
    assert json.loads(response["body"])["error"] == "not_found"


def test_an_unexpected_failure_is_a_json_500_without_internals(
    ingest: ModuleType, vigil: InMemoryVigil, monkeypatch: pytest.MonkeyPatch
) -> None:
    def explode(*_: Any) -> int:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(vigil.store, "apply", explode)
    status, body, _ = post(ingest, {"points": POINTS})
    assert status == 500
    assert body["error"] == "internal_error"
    assert "secret" not in json.dumps(body)


def test_missing_settings_fail_at_handler_start_naming_the_variable(
    ingest: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a function whose environment lacks its table names
    for variable in ("CONFIG_TABLE_NAME", "METRICS_TABLE_NAME", "IDEMPOTENCY_TABLE_NAME"):
        monkeypatch.delenv(variable, raising=False)
    ingest.dependencies.reset()
    # When it is invoked
    with pytest.raises(Exception, match="CONFIG_TABLE_NAME is not set") as caught:
        ingest.handler(load_event("ingest_post_metrics"), FakeLambdaContext())
    # Then the error names every missing variable
    assert "IDEMPOTENCY_TABLE_NAME is not set" in str(caught.value)
