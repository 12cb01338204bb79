"""The metric catalogue: ingest records each name a tenant pushes, cheaply, and never at the batch's expense."""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.support import InMemoryVigil
from vigil_core.adapters.memory_metric_catalog import InMemoryMetricCatalog
from vigil_core.errors import VigilError
from vigil_core.models.http import ApiRequest
from vigil_core.models.metrics import MetricType
from vigil_core.ports import MAX_CATALOG_WRITE, MetricCatalogEntry, MetricDescriptor
from vigil_core.services.ingest import IngestDependencies, IngestOutcome, MetricCatalogRecorder, submit_batch

KEY = "vgl_aaaaaaaaaaaa_tenant-a-key"
OTHER_KEY = "vgl_bbbbbbbbbbbb_tenant-b-key"
T0 = datetime(2026, 11, 22, 9, 0, 5, tzinfo=UTC)


def counter(name: str, value: float = 1, **extra: Any) -> dict[str, Any]:
    return {"name": name, "type": "counter", "value": value, **extra}


class Ingest:
    """POST /v1/metrics on in-memory adapters, with one warm container's catalogue recorder."""

    def __init__(self, catalog: InMemoryMetricCatalog | None = None) -> None:
        self.vigil = InMemoryVigil()
        self.vigil.add_key("tenant-a", KEY)
        self.vigil.add_key("tenant-b", OTHER_KEY)
        self.catalog = catalog or InMemoryMetricCatalog()
        self.deps: IngestDependencies = replace(
            self.vigil.ingest_dependencies(), catalog=MetricCatalogRecorder(self.catalog)
        )

    def post(self, points: list[dict[str, Any]], at: datetime, key: str = KEY, **headers: str) -> IngestOutcome:
        request = ApiRequest(
            headers={"content-type": "application/json", "x-api-key": key, **headers},
            body=json.dumps({"points": points}).encode(),
        )
        return submit_batch(request, self.deps, at)

    def written_names(self) -> list[list[str]]:
        """The names of each write request the catalogue received, in order."""
        return [[entry.name for entry in entries] for _, entries in self.catalog.write_calls]


def test_a_name_is_recorded_once_an_hour_per_container() -> None:
    # Given a warm container that has accepted two names
    ingest = Ingest()
    ingest.post([counter("http.requests"), counter("jobs.done")], T0)
    # When the same names arrive again within the hour, then a new one, then the first ones after the hour
    ingest.post([counter("http.requests"), counter("jobs.done")], T0 + timedelta(minutes=59))
    ingest.post([counter("http.requests"), counter("cache.hits")], T0 + timedelta(minutes=59, seconds=30))
    ingest.post([counter("http.requests"), counter("jobs.done")], T0 + timedelta(hours=1))
    # Then each batch made at most one write, naming only what this container had not written within the hour
    assert ingest.written_names() == [["http.requests", "jobs.done"], ["cache.hits"], ["http.requests", "jobs.done"]]
    # And the catalogue lists every name with its type, unit and the time it was last recorded
    assert ingest.catalog.list_for_tenant("tenant-a") == [
        MetricCatalogEntry("cache.hits", MetricType.COUNTER, "none", T0 + timedelta(minutes=59, seconds=30)),
        MetricCatalogEntry("http.requests", MetricType.COUNTER, "none", T0 + timedelta(hours=1)),
        MetricCatalogEntry("jobs.done", MetricType.COUNTER, "none", T0 + timedelta(hours=1)),
    ]


def test_a_changed_type_or_unit_is_recorded_at_once() -> None:
    ingest = Ingest()
    ingest.post([{"name": "latency", "type": "gauge", "value": 3, "unit": "ms"}], T0)
    ingest.post([{"name": "latency", "type": "histogram", "value": 3, "unit": "ms"}], T0 + timedelta(minutes=1))
    ingest.post([{"name": "latency", "type": "histogram", "value": 3, "unit": "s"}], T0 + timedelta(minutes=2))
    assert ingest.written_names() == [["latency"], ["latency"], ["latency"]]
    [entry] = ingest.catalog.list_for_tenant("tenant-a")
    assert (entry.metric_type, entry.unit) == (MetricType.HISTOGRAM, "s")


def test_a_name_pushed_with_two_types_in_one_batch_is_catalogued_as_its_last_point() -> None:
    ingest = Ingest()
    ingest.post([{"name": "mixed", "type": "gauge", "value": 1}, counter("mixed")], T0)
    assert [entry.metric_type for entry in ingest.catalog.list_for_tenant("tenant-a")] == [MetricType.COUNTER]


def test_each_tenant_gets_its_own_catalogue() -> None:
    ingest = Ingest()
    ingest.post([counter("shared")], T0)
    ingest.post([counter("shared"), counter("own")], T0, key=OTHER_KEY)
    assert [entry.name for entry in ingest.catalog.list_for_tenant("tenant-a")] == ["shared"]
    assert [entry.name for entry in ingest.catalog.list_for_tenant("tenant-b")] == ["own", "shared"]


def test_a_batch_with_many_new_names_writes_one_request_and_leaves_the_rest_for_later() -> None:
    # Given a batch with 30 new names (one write request takes at most 25)
    ingest = Ingest()
    names = [f"metric.{index:02d}" for index in range(30)]
    ingest.post([counter(name) for name in names], T0)
    # When the same names arrive once more
    ingest.post([counter(name) for name in names], T0 + timedelta(seconds=10))
    # Then the first batch wrote the first 25 by name, the next one the remaining 5
    assert ingest.written_names() == [names[:MAX_CATALOG_WRITE], names[MAX_CATALOG_WRITE:]]
    assert len(ingest.catalog.list_for_tenant("tenant-a")) == 30


def test_a_catalogue_failure_is_logged_and_the_batch_still_counts_once(caplog: pytest.LogCaptureFixture) -> None:
    # Given a catalogue that fails its next write
    ingest = Ingest(InMemoryMetricCatalog(fail_times=1))
    # When a batch arrives, and another with the same name later
    with caplog.at_level(logging.WARNING, logger="vigil_core.services.ingest"):
        outcome = ingest.post([counter("http.requests", 5)], T0)
    ingest.post([counter("http.requests", 7)], T0 + timedelta(seconds=10))
    # Then the first batch was accepted and stored once, the failure only logged
    assert outcome.result.accepted == 1 and not outcome.replayed
    assert "could not record the metric catalogue" in caplog.text
    minute_totals = [item.stored.rollup.total for key, item in ingest.vigil.store.items.items() if key[2] == "m"]
    assert minute_totals == [12]
    # And the name was not taken for written: the next batch wrote it
    assert ingest.written_names() == [["http.requests"], ["http.requests"]]
    assert [entry.name for entry in ingest.catalog.list_for_tenant("tenant-a")] == ["http.requests"]


def test_names_the_store_did_not_take_are_offered_again() -> None:
    # Given a catalogue that throttles the last entry of each write
    ingest = Ingest(InMemoryMetricCatalog(throttle=1))
    ingest.post([counter("a"), counter("b")], T0)
    ingest.catalog.throttle = 0
    # When the names arrive again within the hour
    ingest.post([counter("a"), counter("b")], T0 + timedelta(seconds=10))
    # Then only the one that was not taken is written again
    assert ingest.written_names() == [["a", "b"], ["b"]]
    assert [entry.name for entry in ingest.catalog.list_for_tenant("tenant-a")] == ["a", "b"]


def test_a_replayed_batch_does_not_write_the_catalogue() -> None:
    # Given a batch sent with an Idempotency-Key, and a recorder that would write every time
    ingest = Ingest()
    assert ingest.deps.catalog is not None
    ingest.deps.catalog.refresh = timedelta(0)
    ingest.post([counter("http.requests")], T0, **{"idempotency-key": "batch-1"})
    # When the client retries it
    replay = ingest.post([counter("http.requests")], T0 + timedelta(seconds=5), **{"idempotency-key": "batch-1"})
    # Then the retry is a replay and costs no catalogue write
    assert replay.replayed
    assert ingest.written_names() == [["http.requests"]]


def test_a_rejected_batch_records_nothing() -> None:
    ingest = Ingest()
    with pytest.raises(VigilError, match="invalid"):
        ingest.post([counter("http.requests", -1)], T0)
    assert ingest.catalog.write_calls == []


def test_the_recorder_forgets_everything_rather_than_grow_without_bound() -> None:
    # Given a recorder that remembers at most 2 names
    catalog = InMemoryMetricCatalog()
    recorder = MetricCatalogRecorder(catalog, max_remembered=2)
    ingest = Ingest(catalog)
    ingest.deps = replace(ingest.deps, catalog=recorder)
    ingest.post([counter("a"), counter("b")], T0)
    # When a third name arrives, then the first two again
    ingest.post([counter("c")], T0 + timedelta(seconds=1))
    ingest.post([counter("a"), counter("b")], T0 + timedelta(seconds=2))
    # Then the memory was cleared to make room, so the first two were written again
    assert ingest.written_names() == [["a", "b"], ["c"], ["a", "b"]]


def test_the_in_memory_catalogue_refuses_more_than_one_requests_worth() -> None:
    catalog = InMemoryMetricCatalog()
    entries = [MetricDescriptor(f"m{index}", MetricType.GAUGE, "none") for index in range(MAX_CATALOG_WRITE + 1)]
    with pytest.raises(ValueError, match=f"at most {MAX_CATALOG_WRITE}"):
        catalog.record("tenant-a", entries, T0)
    assert catalog.list_for_tenant("tenant-a") == []
