"""Metric ingest: validate a batch (all-or-nothing), collapse it into rollup deltas, store them once."""

from __future__ import annotations

import hashlib
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, ValidationError

from vigil_core.errors import bad_request, payload_too_large, unavailable, unsupported_media_type
from vigil_core.models.http import ApiRequest
from vigil_core.models.metrics import MetricBatch
from vigil_core.models.rollups import Resolution, aggregate
from vigil_core.ports import (
    MAX_CATALOG_WRITE,
    EvaluationQueue,
    IdempotencyGuard,
    MetricCatalog,
    MetricDescriptor,
    RollupStore,
    SlaWindowStore,
    SloLister,
    StoreUnavailableError,
)
from vigil_core.services.auth import Authenticator
from vigil_core.services.slo_events import metric_slo_increments
from vigil_core.validation import to_vigil_error

logger = logging.getLogger(__name__)
MAX_BODY_BYTES = 1024 * 1024
MAX_IDEMPOTENCY_KEY_LENGTH = 255
DAY_SECONDS = 86400
# How long a warm container trusts that the catalogue knows a name it wrote (with the same type and unit).
CATALOG_REFRESH = timedelta(hours=1)
MAX_REMEMBERED_CATALOG_NAMES = 10_000


@dataclass(frozen=True)
class Retention:
    """How long each resolution is kept, in days (items expire that long after their bucket starts)."""

    minute_days: int = 7
    hour_days: int = 90
    day_days: int = 400

    def seconds_by_resolution(self) -> dict[Resolution, int]:
        return {
            Resolution.MINUTE: self.minute_days * DAY_SECONDS,
            Resolution.HOUR: self.hour_days * DAY_SECONDS,
            Resolution.DAY: self.day_days * DAY_SECONDS,
        }


class IngestResult(BaseModel):
    accepted: int
    series: int
    series_minutes: int
    writes: int
    batch_id: str
    slo_windows: int = 0  # SLA window counters of the tenant's metric SLOs the batch added to


class IngestOutcome(BaseModel):
    result: IngestResult
    replayed: bool


@dataclass(frozen=True)
class IngestDependencies:
    authenticator: Authenticator
    store: RollupStore
    retention: Retention
    idempotency: IdempotencyGuard
    # Asks for the tenant's rules on the pushed metrics to run at once; None leaves it to the minute's run.
    evaluation: EvaluationQueue | None = None
    # The tenant's metric SLOs count the batch's events into their SLA windows; None: no SLO counting.
    slo_counting: SloCounting | None = None
    # Keeps the tenant's list of metric names (what exports read) current; None: no catalogue.
    catalog: MetricCatalogRecorder | None = None


@dataclass(frozen=True)
class SloCounting:
    slos: SloLister
    windows: SlaWindowStore


class MetricCatalogRecorder:
    """Records the names a tenant pushes in its metric catalogue, cheaply and on a best-effort basis.

    A warm container writes a name again only once it has not written it (with the same type and unit) for
    CATALOG_REFRESH, and a batch costs at most one write request (MAX_CATALOG_WRITE names, the rest wait for
    the next batch). The batch is stored before this runs: a failure here is logged, never the batch's.
    """

    def __init__(
        self,
        catalog: MetricCatalog,
        refresh: timedelta = CATALOG_REFRESH,
        max_remembered: int = MAX_REMEMBERED_CATALOG_NAMES,
    ) -> None:
        self.catalog = catalog
        self.refresh = refresh
        self.max_remembered = max_remembered
        self._written: dict[tuple[str, MetricDescriptor], datetime] = {}  # (tenant, descriptor): when written

    def due(self, tenant_id: str, batch: MetricBatch, now: datetime) -> list[MetricDescriptor]:
        """The batch's names this container should write now, by name, at most one request's worth."""
        # A name pushed with two types or units in one batch is catalogued as its last point has it.
        pushed = {point.name: MetricDescriptor(point.name, point.type, point.unit.value) for point in batch.points}
        due = []
        for name in sorted(pushed):
            written_at = self._written.get((tenant_id, pushed[name]))
            if written_at is None or now - written_at >= self.refresh:
                due.append(pushed[name])
        return due[:MAX_CATALOG_WRITE]

    def record(self, tenant_id: str, batch: MetricBatch, now: datetime) -> int:
        """Write the names due; how many the catalogue took (0 when the write failed, which is only logged)."""
        due = self.due(tenant_id, batch, now)
        if not due:
            return 0
        try:
            left = set(self.catalog.record(tenant_id, due, now))
        except Exception:
            logger.warning("could not record the metric catalogue", exc_info=True, extra={"tenant_id": tenant_id})
            return 0
        if len(self._written) + len(due) > self.max_remembered:
            self._written.clear()  # a container serving very many names simply writes them again
        written = [descriptor for descriptor in due if descriptor not in left]
        for descriptor in written:
            self._written[(tenant_id, descriptor)] = now
        return len(written)


def submit_batch(request: ApiRequest, deps: IngestDependencies, now: datetime) -> IngestOutcome:
    """POST /v1/metrics: authenticate, validate the whole batch, then store it exactly once.

    Without an Idempotency-Key the batch gets a fresh one; if storage fails part-way, the 503 names it so
    the client can retry with it and complete the batch without counting anything twice.
    """
    tenant_id = deps.authenticator.tenant_for(request.headers)
    check_content_type(request.header("content-type"))
    raw = check_body_size(request.body)
    client_key = check_idempotency_key(request.header("idempotency-key"))
    batch = parse_batch(raw, now)
    idempotency_key = client_key or new_idempotency_key()

    def store() -> dict[str, Any]:
        batch_id = batch_id_for(tenant_id, idempotency_key)
        try:
            result = ingest_batch(tenant_id, batch, batch_id, deps.store, deps.retention, now)
            if deps.slo_counting is not None:
                result.slo_windows = count_slo_events(tenant_id, batch, batch_id, deps.slo_counting, now)
            return result.model_dump()
        except StoreUnavailableError as exc:
            raise unavailable(
                f"metric storage failed part-way ({exc}); retry with this Idempotency-Key to complete the "
                "batch without double counting",
                idempotency_key=idempotency_key,
            ) from exc

    if client_key is None:
        outcome = IngestOutcome(result=IngestResult.model_validate(store()), replayed=False)
    else:
        payload_hash = hashlib.sha256(raw).hexdigest()
        result, replayed = deps.idempotency.run_once(tenant_id, client_key, payload_hash, store)
        outcome = IngestOutcome(result=IngestResult.model_validate(result), replayed=replayed)
    if not outcome.replayed:
        request_evaluation(deps.evaluation, tenant_id, batch, now)
        if deps.catalog is not None:
            deps.catalog.record(tenant_id, batch, now)
    return outcome


def request_evaluation(queue: EvaluationQueue | None, tenant_id: str, batch: MetricBatch, now: datetime) -> None:
    """Best effort: the batch is stored either way, and the minute's evaluation covers a lost request."""
    if queue is None:
        return
    try:
        queue.request_evaluation(tenant_id, sorted({point.name for point in batch.points}), now)
    except Exception:
        logger.warning("could not request an alert evaluation", exc_info=True, extra={"tenant_id": tenant_id})


def check_content_type(content_type: str | None) -> None:
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    if media_type != "application/json":
        raise unsupported_media_type(content_type)


def check_body_size(raw: bytes | None, what: str = "a JSON object with a points array") -> bytes:
    raw = raw or b""
    if len(raw) > MAX_BODY_BYTES:
        raise payload_too_large(MAX_BODY_BYTES, len(raw))
    if not raw.strip():
        raise bad_request("body", f"is empty: send {what}")
    return raw


def parse_batch(raw: bytes, now: datetime) -> MetricBatch:
    """The whole batch or nothing: any invalid point rejects the batch, listing every problem found."""
    try:
        return MetricBatch.model_validate_json(raw, context={"now": now})
    except ValidationError as exc:
        raise to_vigil_error(exc) from None


def check_idempotency_key(key: str | None) -> str | None:
    if key is None:
        return None
    if not key or len(key) > MAX_IDEMPOTENCY_KEY_LENGTH or not key.isprintable() or not key.isascii():
        raise bad_request("Idempotency-Key", f"must be 1 to {MAX_IDEMPOTENCY_KEY_LENGTH} printable ASCII characters")
    return key


def new_idempotency_key() -> str:
    return uuid.uuid4().hex


def batch_id_for(tenant_id: str, idempotency_key: str) -> str:
    """Stable per tenant and key, so a retried batch is recognised by every rollup it already reached."""
    return hashlib.sha256(f"{tenant_id}\x00{idempotency_key}".encode()).hexdigest()[:24]


def ingest_batch(
    tenant_id: str,
    batch: MetricBatch,
    batch_id: str,
    store: RollupStore,
    retention: Retention,
    received_at: datetime,
) -> IngestResult:
    deltas = aggregate(batch.points, received_at)
    writes = store.apply(tenant_id, batch_id, deltas, retention.seconds_by_resolution())
    minute_keys = [key for key in deltas if key.resolution is Resolution.MINUTE]
    return IngestResult(
        accepted=len(batch.points),
        series=len({key.series for key in minute_keys}),
        series_minutes=len(minute_keys),
        writes=writes,
        batch_id=batch_id,
    )


def count_slo_events(tenant_id: str, batch: MetricBatch, batch_id: str, counting: SloCounting, now: datetime) -> int:
    """Add the batch's events to its tenant's metric SLOs' windows (exactly once per batch id, like rollups)."""
    increments = metric_slo_increments(counting.slos.list_for_tenant(tenant_id), batch.points, now)
    return counting.windows.add_events(batch_id, increments, now) if increments else 0
