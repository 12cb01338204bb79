"""Monitors as code: the monitors.yaml document, its validation, and applying it next to API monitors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import yaml

from vigil_core.adapters.memory_probes import InMemoryMonitorRepository, InMemoryProbeStore
from vigil_core.errors import VigilError
from vigil_core.models.monitors import HttpMonitor, ManagedBy
from vigil_core.models.probes import MonitorKey
from vigil_core.services.monitors import MonitorService
from vigil_core.services.monitors_as_code import (
    CodeMonitor,
    document_digest,
    parse_monitors_document,
    sync_code_monitors,
    to_document,
)

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)

DOCUMENT = """
monitors:
  - tenant: acme
    name: Checkout API
    type: http
    target: https://api.acme.example/health
    timeout: 5s
  - tenant: acme
    name: Orders database
    type: tcp
    target: orders-db.internal:5432
    interval: 5m
  - tenant: globex
    id: nightly
    name: Nightly backup
    type: heartbeat
    interval: 1h
"""


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


def parsed(text: str = DOCUMENT) -> list[CodeMonitor]:
    return parse_monitors_document(yaml.safe_load(text))


def problems(data: Any) -> list[tuple[str, str]]:
    with pytest.raises(VigilError) as caught:
        parse_monitors_document(data)
    assert caught.value.status == 400
    return [(p.field, p.problem) for p in caught.value.problems]


def entry(**fields: Any) -> dict[str, Any]:
    return {"tenant": "acme", "type": "http", "name": "Checkout API", "target": "https://api.acme.example/"} | fields


# -- parsing


def test_a_document_gives_each_monitor_with_its_tenant_and_id() -> None:
    monitors = parsed()
    assert [(m.tenant_id, m.key.monitor_id, m.definition.type.value) for m in monitors] == [
        ("acme", "checkout-api", "http"),
        ("acme", "orders-database", "tcp"),
        ("globex", "nightly", "heartbeat"),
    ]


@pytest.mark.parametrize("data", [None, {"monitors": []}, {}])
def test_an_empty_document_has_no_monitors(data: Any) -> None:
    assert parse_monitors_document(data) == []


def test_every_problem_of_a_document_is_listed_by_monitor_index_and_field() -> None:
    # Given a document whose monitors 0, 2 and 3 are wrong in different ways, and 1 is fine
    data = {
        "monitors": [
            entry(tenant=None),
            entry(),
            entry(interval="7m", bogus=True),
            entry(name="Checkout  API!", target="https://elsewhere.example/"),  # the same id as monitors[1]
        ]
    }
    # When it is parsed, then it is refused as a whole, listing each problem where it is
    with pytest.raises(VigilError) as caught:
        parse_monitors_document(data)
    assert caught.value.message == "monitors document: 4 problem(s)"
    assert [(p.field, p.problem) for p in caught.value.problems] == [
        ("monitors[0].tenant", "is required: the id of the tenant the monitor belongs to"),
        ("monitors[2].interval", "must be one of 30s, 1m, 5m, 15m, 30m, 1h"),
        ("monitors[2].bogus", "unknown field"),
        ("monitors[3].id", "'checkout-api' is already used by monitors[1]"),
    ]


@pytest.mark.parametrize("tenant", [None, "", "A", "Acme Corp", 42])
def test_a_monitor_without_a_valid_tenant_is_refused(tenant: Any) -> None:
    assert problems({"monitors": [entry(tenant=tenant)]}) == [
        ("monitors[0].tenant", "is required: the id of the tenant the monitor belongs to")
    ]


def test_a_monitor_missing_its_type_or_with_a_bad_field_is_named_by_its_place() -> None:
    missing_type = {k: v for k, v in entry().items() if k != "type"}
    assert problems({"monitors": [entry(), missing_type]}) == [("monitors[1].type", "is required")]
    assert problems({"monitors": [entry(target="ftp://x")]}) == [
        ("monitors[0].target", "must be an http:// or https:// URL")
    ]


def test_a_monitor_entry_that_is_not_a_mapping_is_refused() -> None:
    assert problems({"monitors": [entry(), "checkout"]}) == [("monitors[1]", "must be a mapping")]


def test_the_same_id_in_two_tenants_is_not_a_duplicate() -> None:
    monitors = parse_monitors_document({"monitors": [entry(), entry(tenant="globex")]})
    assert [m.key for m in monitors] == [MonitorKey("acme", "checkout-api"), MonitorKey("globex", "checkout-api")]


def test_an_explicit_id_that_repeats_another_monitors_id_is_a_duplicate() -> None:
    data = {"monitors": [entry(), entry(name="Another", id="checkout-api")]}
    assert problems(data) == [("monitors[1].id", "'checkout-api' is already used by monitors[0]")]


def test_an_unknown_top_level_key_is_refused() -> None:
    assert problems({"monitors": [], "alerts": []}) == [("alerts", "unknown top-level key")]


@pytest.mark.parametrize("data", [["monitors"], "monitors: []", {"monitors": {"tenant": "acme"}}, {"monitors": "x"}])
def test_a_document_that_is_not_a_mapping_with_a_list_of_monitors_is_refused(data: Any) -> None:
    assert problems(data) == [("monitors", "the document must be a mapping with a list `monitors`")]


# -- the normalized document


def test_the_normalized_document_fills_in_every_default_and_the_id() -> None:
    # Given a minimal http and heartbeat monitor
    monitors = parse_monitors_document(
        {"monitors": [entry(), {"tenant": "globex", "type": "heartbeat", "name": "Nightly backup"}]}
    )
    # When normalized
    document = to_document(monitors)
    # Then each carries its tenant, its id and every field with its default
    http, heartbeat = document["monitors"]
    assert (http["tenant"], http["id"], http["type"]) == ("acme", "checkout-api", "http")
    assert (http["interval"], http["timeout"], http["retries"]) == (60, 10.0, 0)
    assert (http["failure_threshold"], http["success_threshold"]) == (3, 2)
    assert (http["method"], http["expected_status"], http["enabled"]) == ("GET", ["2xx"], True)
    assert (heartbeat["id"], heartbeat["grace"], heartbeat["failure_threshold"]) == ("nightly-backup", 60.0, 1)
    # And it parses back into the same monitors, normalized again to the same document
    reparsed = parse_monitors_document(document)
    assert [m.key for m in reparsed] == [m.key for m in monitors]
    assert to_document(reparsed) == document
    assert document_digest(reparsed) == document_digest(monitors)


def test_the_digest_follows_the_meaning_not_the_spelling() -> None:
    # Given the same monitor written with defaults spelled out, and one with a real change
    terse = parse_monitors_document({"monitors": [entry()]})
    spelled = parse_monitors_document({"monitors": [entry(interval="1m", timeout=10, id="checkout-api")]})
    changed = parse_monitors_document({"monitors": [entry(interval="5m")]})
    # Then the first two have one digest, the third another
    assert document_digest(terse) == document_digest(spelled)
    assert document_digest(terse) != document_digest(changed)


# -- applying a document


class World:
    def __init__(self) -> None:
        self.repository = InMemoryMonitorRepository()
        self.store = InMemoryProbeStore()
        self.clock = Clock()
        self.api = MonitorService(self.repository, self.store, self.clock)

    def sync(self, text: str = DOCUMENT) -> Any:
        return sync_code_monitors(self.repository, self.store, parsed(text), self.clock)

    def ids(self, tenant: str = "acme") -> dict[str, ManagedBy]:
        return {m.id: m.managed_by for m in self.repository.list_for_tenant(tenant)}


def test_applying_a_document_creates_its_monitors_as_managed_by_code() -> None:
    # Given an empty repository
    world = World()
    # When the document is applied
    report = world.sync()
    # Then each monitor is created, marked as code, and the heartbeat gets a token
    assert (report.created, report.updated, report.deleted, report.unchanged) == (3, 0, 0, False)
    assert world.ids("acme") == {"checkout-api": ManagedBy.CODE, "orders-database": ManagedBy.CODE}
    nightly = world.repository.get(MonitorKey("globex", "nightly"))
    assert nightly is not None and nightly.heartbeat_token is not None
    assert (nightly.created_at, nightly.updated_at) == (NOW, NOW)
    # And what was applied is remembered
    assert world.repository.sync_state is not None
    assert world.repository.sync_state.digest == report.digest
    assert set(world.repository.sync_state.keys) == {m.key for m in parsed()}


def test_applying_an_unchanged_document_again_does_nothing() -> None:
    # Given a document already applied
    world = World()
    first = world.sync()
    before = dict(world.repository.monitors)
    world.clock.now += timedelta(hours=1)
    # When it is applied again
    again = world.sync()
    # Then it is reported unchanged, with the same digest, and no monitor was touched
    assert (again.unchanged, again.digest) == (True, first.digest)
    assert (again.created, again.updated, again.deleted) == (0, 0, 0)
    assert world.repository.monitors == before


def test_applying_a_changed_document_updates_only_the_monitors_that_changed() -> None:
    # Given an applied document, an hour later
    world = World()
    world.sync()
    nightly_before = world.repository.get(MonitorKey("globex", "nightly"))
    world.clock.now += timedelta(hours=1)
    # When the checkout monitor's timeout changes
    report = world.sync(DOCUMENT.replace("timeout: 5s", "timeout: 3s"))
    # Then only it is updated (keeping its creation time), the others are left as they were
    assert (report.created, report.updated, report.deleted) == (0, 1, 0)
    checkout = world.repository.get(MonitorKey("acme", "checkout-api"))
    assert checkout is not None and checkout.definition.timeout == 3.0
    assert (checkout.created_at, checkout.updated_at) == (NOW, NOW + timedelta(hours=1))
    assert world.repository.get(MonitorKey("globex", "nightly")) == nightly_before


def test_a_heartbeat_monitor_keeps_its_token_when_its_definition_changes() -> None:
    world = World()
    world.sync()
    before = world.repository.get(MonitorKey("globex", "nightly"))
    world.sync(DOCUMENT.replace("interval: 1h", "interval: 30m"))
    after = world.repository.get(MonitorKey("globex", "nightly"))
    assert before is not None and after is not None
    assert after.definition.interval == 1800
    assert after.heartbeat_token == before.heartbeat_token


def test_removing_a_monitor_from_the_document_deletes_it_and_leaves_api_monitors_alone() -> None:
    # Given an applied document, and an API monitor of the same tenant
    world = World()
    world.sync()
    world.api.create("acme", {"type": "http", "name": "Status page", "target": "https://status.acme.example/"})
    # When the orders database monitor is removed from the document
    without_orders = DOCUMENT.replace(
        """  - tenant: acme
    name: Orders database
    type: tcp
    target: orders-db.internal:5432
    interval: 5m
""",
        "",
    )
    report = world.sync(without_orders)
    # Then it is deleted; the other code monitors and the API monitor remain
    assert (report.created, report.updated, report.deleted) == (0, 0, 1)
    assert world.ids("acme") == {"checkout-api": ManagedBy.CODE, "status-page": ManagedBy.API}
    assert world.repository.sync_state is not None
    assert MonitorKey("acme", "orders-database") not in world.repository.sync_state.keys


def test_an_empty_document_deletes_every_code_monitor_but_no_api_monitor() -> None:
    world = World()
    world.sync()
    world.api.create("acme", {"type": "http", "name": "Status page", "target": "https://status.acme.example/"})
    report = world.sync("monitors: []")
    assert report.deleted == 3
    assert world.ids("acme") == {"status-page": ManagedBy.API}
    assert world.ids("globex") == {}


def test_an_api_monitor_with_the_id_of_a_code_monitor_is_taken_over_by_code() -> None:
    # Given an API monitor "checkout-api" created before the document named one too
    world = World()
    api_monitor = world.api.create("acme", {"type": "http", "name": "Checkout API", "target": "https://old.example/"})
    world.clock.now += timedelta(hours=1)
    # When the document is applied
    report = world.sync()
    # Then the monitor now follows the document and is managed by code, keeping its creation time
    assert (report.created, report.updated) == (2, 1)
    taken = world.repository.get(MonitorKey("acme", "checkout-api"))
    assert taken is not None
    assert taken.managed_by is ManagedBy.CODE
    assert isinstance(taken.definition, HttpMonitor)
    assert taken.definition.target == "https://api.acme.example/health"
    assert (taken.created_at, taken.updated_at) == (api_monitor.created_at, NOW + timedelta(hours=1))
    # And the API can no longer change it
    with pytest.raises(VigilError) as caught:
        world.api.delete("acme", "checkout-api")
    assert caught.value.status == 409


def test_an_api_monitor_taken_over_with_an_identical_definition_is_still_marked_as_code() -> None:
    world = World()
    body = {"type": "http", "name": "Checkout API", "target": "https://api.acme.example/health", "timeout": "5s"}
    world.api.create("acme", body)
    report = world.sync()
    assert report.updated == 1
    assert world.ids("acme")["checkout-api"] is ManagedBy.CODE


def test_an_api_monitor_created_after_its_code_monitor_was_removed_is_left_alone() -> None:
    # Given a code monitor removed from the document, and the API then creating one with that id
    world = World()
    world.sync("monitors: [{tenant: acme, name: Checkout API, type: http, target: 'https://a.example/'}]")
    world.sync("monitors: []")
    world.api.create("acme", {"type": "http", "name": "Checkout API", "target": "https://b.example/"})
    # When another document (still without it) is applied
    report = world.sync("monitors: [{tenant: acme, name: Web, type: http, target: 'https://web.example/'}]")
    # Then the API monitor is untouched
    assert report.deleted == 0
    assert world.ids("acme") == {"checkout-api": ManagedBy.API, "web": ManagedBy.CODE}
