"""Monitors through the API, on the in-memory adapters: create, read, replace, delete, results, heartbeats,
and the request bodies they accept."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from vigil_core.adapters.memory_probes import InMemoryMonitorRepository, InMemoryProbeStore
from vigil_core.errors import VigilError
from vigil_core.models.http import ApiRequest
from vigil_core.models.monitors import HttpMonitor, ManagedBy, Monitor
from vigil_core.models.probes import MonitorKey, ProbeResult
from vigil_core.probes.observations import CheckStatus
from vigil_core.probes.verdicts import MonitorState, MonitorStatus
from vigil_core.services.monitors import MAX_RESULT_HOURS, MonitorService, json_body, record_heartbeat

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
HTTP: dict[str, Any] = {"type": "http", "name": "Checkout API", "target": "https://api.example.com/health"}
HEARTBEAT: dict[str, Any] = {"type": "heartbeat", "name": "Nightly backup", "interval": "1h"}


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


class World:
    def __init__(self) -> None:
        self.repository = InMemoryMonitorRepository()
        self.store = InMemoryProbeStore()
        self.clock = Clock(NOW)
        self.service = MonitorService(self.repository, self.store, self.clock)

    def code_monitor(self, tenant: str, body: dict[str, Any]) -> Monitor:
        monitor = self.service.create(tenant, body).model_copy(update={"managed_by": ManagedBy.CODE})
        self.repository.replace(monitor)
        return monitor

    def record(self, monitor_id: str, minutes_ago: float, tenant: str = "acme") -> ProbeResult:
        key = MonitorKey(tenant, monitor_id)
        at = self.clock.now - timedelta(minutes=minutes_ago)
        slot = int(at.timestamp()) // 60 * 60
        previous = self.store.load_states([key])[key].state
        state = MonitorState(MonitorStatus.UP, MonitorStatus.UP, 0, 1, at, at, slot, previous.version + 1)
        result = ProbeResult(key, slot, at, CheckStatus.UP, MonitorStatus.UP, 50.0, (), 1)
        assert self.store.record(result, state, expected_version=previous.version)
        return result


@contextmanager
def raises(status: int) -> Iterator[pytest.ExceptionInfo[VigilError]]:
    with pytest.raises(VigilError) as caught:
        yield caught
    assert caught.value.status == status, caught.value


# -- create


def test_creating_a_monitor_takes_its_id_from_its_name_and_stores_it_for_the_tenant() -> None:
    # Given a tenant with no monitors
    world = World()
    # When it creates one without an id
    monitor = world.service.create("acme", HTTP)
    # Then its id is the slug of its name, it is managed by the API, and it is stored as created now
    assert (monitor.tenant_id, monitor.id, monitor.managed_by) == ("acme", "checkout-api", ManagedBy.API)
    assert (monitor.created_at, monitor.updated_at) == (NOW, NOW)
    assert monitor.heartbeat_token is None
    assert world.repository.get(MonitorKey("acme", "checkout-api")) == monitor
    # And it is listed with no state yet
    [(listed, stored)] = world.service.list_with_states("acme")
    assert listed == monitor
    assert stored.state.status is None


def test_creating_a_monitor_with_an_explicit_id_uses_it() -> None:
    assert World().service.create("acme", HTTP | {"id": "checkout"}).id == "checkout"


def test_a_heartbeat_monitor_gets_its_own_secret_token_and_the_path_to_beat() -> None:
    # When two heartbeat monitors are created
    world = World()
    first = world.service.create("acme", HEARTBEAT)
    second = world.service.create("acme", HEARTBEAT | {"name": "Hourly export"})
    # Then each has its own unguessable token, shown as the path to POST beats to
    assert first.heartbeat_token is not None and first.heartbeat_token.startswith("hb_")
    assert second.heartbeat_token is not None and second.heartbeat_token != first.heartbeat_token
    assert len(first.heartbeat_token) > 20
    assert first.to_public()["heartbeat_url_path"] == f"/v1/heartbeats/{first.heartbeat_token}"


def test_creating_a_monitor_whose_id_the_tenant_already_has_is_a_conflict() -> None:
    # Given a monitor named Checkout API
    world = World()
    world.service.create("acme", HTTP)
    # When another with the same name (hence id) is created
    # Then it is refused with 409, and the first is untouched
    with raises(409) as caught:
        world.service.create("acme", HTTP | {"target": "https://other.example.com/"})
    assert "already exists" in caught.value.message
    stored = world.repository.get(MonitorKey("acme", "checkout-api"))
    assert stored is not None and isinstance(stored.definition, HttpMonitor)
    assert stored.definition.target == HTTP["target"]


def test_another_tenant_may_use_the_same_id() -> None:
    world = World()
    world.service.create("acme", HTTP)
    assert world.service.create("globex", HTTP).id == "checkout-api"
    assert [m.id for m in world.repository.list_for_tenant("globex")] == ["checkout-api"]


def test_creating_an_invalid_monitor_is_refused_naming_the_field() -> None:
    world = World()
    with raises(400) as caught:
        world.service.create("acme", HTTP | {"interval": "7m"})
    assert [p.field for p in caught.value.problems] == ["interval"]
    assert world.repository.monitors == {}


# -- read


def test_getting_a_monitor_returns_it_with_its_stored_state() -> None:
    world = World()
    world.service.create("acme", HTTP)
    world.record("checkout-api", minutes_ago=1)
    monitor, stored = world.service.get("acme", "checkout-api")
    assert monitor.id == "checkout-api"
    assert stored.state.status is MonitorStatus.UP


def test_a_monitor_of_another_tenant_is_not_found() -> None:
    world = World()
    world.service.create("acme", HTTP)
    with raises(404) as caught:
        world.service.get("globex", "checkout-api")
    assert caught.value.message == "monitor 'checkout-api' not found"


# -- replace


def test_replacing_a_monitor_changes_its_definition_and_keeps_its_identity() -> None:
    # Given a monitor created an hour ago
    world = World()
    created = world.service.create("acme", HTTP)
    world.clock.advance(hours=1)
    # When it is replaced with a new definition (no id in the body)
    replaced = world.service.replace("acme", "checkout-api", HTTP | {"name": "Checkout", "interval": "5m"})
    # Then the id and creation time stay, the definition and update time change
    assert (replaced.id, replaced.created_at) == ("checkout-api", created.created_at)
    assert replaced.updated_at == NOW + timedelta(hours=1)
    assert (replaced.definition.name, replaced.definition.interval) == ("Checkout", 300)
    assert world.repository.get(MonitorKey("acme", "checkout-api")) == replaced


def test_replacing_a_heartbeat_monitor_keeps_its_token() -> None:
    world = World()
    created = world.service.create("acme", HEARTBEAT)
    replaced = world.service.replace("acme", "nightly-backup", HEARTBEAT | {"grace": "5m"})
    assert replaced.heartbeat_token == created.heartbeat_token
    assert created.heartbeat_token is not None
    assert world.repository.find_by_heartbeat_token(created.heartbeat_token) == replaced


def test_turning_a_monitor_into_a_heartbeat_gives_it_a_token_and_back_takes_it_away() -> None:
    world = World()
    world.service.create("acme", HTTP)
    heartbeat = world.service.replace("acme", "checkout-api", HEARTBEAT)
    assert heartbeat.heartbeat_token is not None
    assert world.service.replace("acme", "checkout-api", HTTP).heartbeat_token is None


def test_replacing_with_the_same_id_in_the_body_is_accepted() -> None:
    world = World()
    world.service.create("acme", HTTP)
    assert world.service.replace("acme", "checkout-api", HTTP | {"id": "checkout-api"}).id == "checkout-api"


def test_changing_the_id_in_the_body_is_refused_with_400() -> None:
    # Given a monitor
    world = World()
    world.service.create("acme", HTTP)
    # When a replacement names another id
    with raises(400) as caught:
        world.service.replace("acme", "checkout-api", HTTP | {"id": "checkout-v2"})
    # Then the id field is named, saying ids cannot change, and nothing was changed
    [problem] = caught.value.problems
    assert problem.field == "id"
    assert "ids cannot change" in problem.problem
    assert world.repository.get(MonitorKey("acme", "checkout-v2")) is None


def test_replacing_an_unknown_monitor_is_not_found() -> None:
    with raises(404):
        World().service.replace("acme", "nope", HTTP)


def test_replacing_with_an_invalid_definition_is_refused_and_keeps_the_old_one() -> None:
    world = World()
    created = world.service.create("acme", HTTP)
    with raises(400):
        world.service.replace("acme", "checkout-api", HTTP | {"target": "ftp://x"})
    assert world.repository.get(MonitorKey("acme", "checkout-api")) == created


def test_monitors_defined_in_code_cannot_be_replaced_or_deleted_through_the_api() -> None:
    # Given a monitor from monitors.yaml
    world = World()
    monitor = world.code_monitor("acme", HTTP)
    # When the API replaces or deletes it
    with raises(409) as replaced:
        world.service.replace("acme", "checkout-api", HTTP | {"interval": "5m"})
    with raises(409) as deleted:
        world.service.delete("acme", "checkout-api")
    # Then both are conflicts pointing at monitors.yaml, and it is unchanged
    assert "monitors.yaml" in replaced.value.message and "monitors.yaml" in deleted.value.message
    assert world.repository.get(MonitorKey("acme", "checkout-api")) == monitor
    # But it can still be read
    assert world.service.get("acme", "checkout-api")[0] == monitor


# -- delete


def test_deleting_a_monitor_removes_it_and_its_state() -> None:
    # Given a monitor with a stored state, and another with its own
    world = World()
    world.service.create("acme", HTTP)
    world.service.create("acme", HTTP | {"name": "Web"})
    world.record("checkout-api", minutes_ago=1)
    world.record("web", minutes_ago=1)
    # When it is deleted
    world.service.delete("acme", "checkout-api")
    # Then it and its state are gone; the other is untouched
    assert world.repository.get(MonitorKey("acme", "checkout-api")) is None
    assert MonitorKey("acme", "checkout-api") not in world.store.states
    assert world.store.load_states([MonitorKey("acme", "web")])[MonitorKey("acme", "web")].state.status is not None
    with raises(404):
        world.service.get("acme", "checkout-api")
    # And its id may be used again, starting afresh
    world.service.create("acme", HTTP)
    assert world.service.get("acme", "checkout-api")[1].state.status is None


def test_deleting_an_unknown_monitor_is_not_found() -> None:
    with raises(404):
        World().service.delete("acme", "nope")


# -- results


def test_results_of_the_last_hours_are_returned_newest_first() -> None:
    # Given results 10 minutes, 2 hours and 30 hours old
    world = World()
    world.service.create("acme", HTTP)
    for minutes_ago in (30 * 60, 120, 10):
        world.record("checkout-api", minutes_ago)
    # When the last 3 hours are asked for, then the two recent ones come, newest first
    results = world.service.results("acme", "checkout-api", 3)
    assert [r.at for r in results] == [NOW - timedelta(minutes=10), NOW - timedelta(minutes=120)]
    # And the whole 7 days gives all three
    assert len(world.service.results("acme", "checkout-api", MAX_RESULT_HOURS)) == 3


@pytest.mark.parametrize("hours", [0, -1, 168.5, 169, 1000])
def test_results_hours_outside_0_to_168_are_refused(hours: float) -> None:
    world = World()
    world.service.create("acme", HTTP)
    with raises(400) as caught:
        world.service.results("acme", "checkout-api", hours)
    [problem] = caught.value.problems
    assert problem.field == "hours"
    assert "at most 168" in problem.problem


@pytest.mark.parametrize("hours", [0.25, 1, 168])
def test_results_hours_within_bounds_are_accepted(hours: float) -> None:
    world = World()
    world.service.create("acme", HTTP)
    assert world.service.results("acme", "checkout-api", hours) == []


def test_results_of_an_unknown_monitor_are_not_found() -> None:
    with raises(404):
        World().service.results("acme", "nope", 1)


# -- heartbeats


def test_a_beat_with_a_monitors_token_is_recorded_for_that_monitor() -> None:
    # Given a heartbeat monitor
    world = World()
    monitor = world.service.create("acme", HEARTBEAT)
    assert monitor.heartbeat_token is not None
    # When its token beats
    beaten = record_heartbeat(world.repository, world.store, monitor.heartbeat_token, NOW + timedelta(minutes=5))
    # Then the beat is stored for it
    assert beaten == monitor
    key = MonitorKey("acme", "nightly-backup")
    assert world.store.load_states([key])[key].last_beat_at == NOW + timedelta(minutes=5)


@pytest.mark.parametrize("token", ["hb_unknown", "", "hb_"])
def test_a_beat_with_an_unknown_token_is_not_found(token: str) -> None:
    world = World()
    world.service.create("acme", HEARTBEAT)
    with raises(404) as caught:
        record_heartbeat(world.repository, world.store, token, NOW)
    assert caught.value.message == "no heartbeat monitor has this token"
    assert world.store.states == {}


def test_a_beat_for_a_deleted_heartbeat_monitor_is_not_found() -> None:
    world = World()
    monitor = world.service.create("acme", HEARTBEAT)
    world.service.delete("acme", "nightly-backup")
    assert monitor.heartbeat_token is not None
    with raises(404):
        record_heartbeat(world.repository, world.store, monitor.heartbeat_token, NOW)


# -- request bodies


def request(body: bytes | None, content_type: str | None = "application/json") -> ApiRequest:
    return ApiRequest(headers={} if content_type is None else {"content-type": content_type}, body=body)


def test_a_json_body_is_parsed() -> None:
    assert json_body(request(b'{"type": "http"}')) == {"type": "http"}
    assert json_body(request(b"[1]", "application/json; charset=utf-8")) == [1]


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
def test_a_body_that_is_not_declared_json_is_refused_with_415(content_type: str | None) -> None:
    with raises(415) as caught:
        json_body(request(b"{}", content_type))
    assert caught.value.problems[0].field == "content-type"


@pytest.mark.parametrize("body", [None, b"", b"  \n"])
def test_an_empty_body_is_refused_saying_what_to_send(body: bytes | None) -> None:
    with raises(400) as caught:
        json_body(request(body))
    [problem] = caught.value.problems
    assert (problem.field, problem.problem) == ("body", "is empty: send a monitor definition")


@pytest.mark.parametrize("body", [b"{", b'{"type": http}', b"\xff\xfe{", b"{} {}"])
def test_a_malformed_body_is_refused_as_malformed_json(body: bytes) -> None:
    with raises(400) as caught:
        json_body(request(body))
    [problem] = caught.value.problems
    assert problem.field == "body"
    assert problem.problem.startswith("malformed JSON: ")


def test_a_body_over_the_size_limit_is_refused_with_413() -> None:
    with raises(413):
        json_body(request(b" " * (1024 * 1024 + 1)))
