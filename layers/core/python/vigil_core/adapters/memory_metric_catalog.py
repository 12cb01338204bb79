"""The metric catalogue in memory: the fake behind unit tests, with the DynamoDB adapter's contract."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from vigil_core.ports import MAX_CATALOG_WRITE, MetricCatalogEntry, MetricDescriptor, StoreUnavailableError


class InMemoryMetricCatalog:
    """Told to fail, `record` raises StoreUnavailableError (and stores nothing) for that many calls; told to
    throttle, it leaves that many of a call's entries (the last ones) unstored and returns them."""

    def __init__(self, fail_times: int = 0, throttle: int = 0) -> None:
        self.entries: dict[tuple[str, str], MetricCatalogEntry] = {}  # (tenant, name)
        self.write_calls: list[tuple[str, tuple[MetricDescriptor, ...]]] = []
        self.fail_times = fail_times
        self.throttle = throttle

    def record(self, tenant_id: str, entries: Sequence[MetricDescriptor], now: datetime) -> list[MetricDescriptor]:
        if len(entries) > MAX_CATALOG_WRITE:
            raise ValueError(f"at most {MAX_CATALOG_WRITE} entries per call, got {len(entries)}")
        if not entries:
            return []
        self.write_calls.append((tenant_id, tuple(entries)))
        if self.fail_times > 0:
            self.fail_times -= 1
            raise StoreUnavailableError("the metric catalogue was not written (injected failure)")
        kept = len(entries) - min(self.throttle, len(entries))
        for entry in entries[:kept]:
            self.entries[(tenant_id, entry.name)] = MetricCatalogEntry(entry.name, entry.metric_type, entry.unit, now)
        return list(entries[kept:])

    def list_for_tenant(self, tenant_id: str) -> list[MetricCatalogEntry]:
        return [entry for (tenant, name), entry in sorted(self.entries.items()) if tenant == tenant_id]
