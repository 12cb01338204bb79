"""What the services need from storage. Adapters implement these; tests use the in-memory ones."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, Protocol

from vigil_core.models.alerts import (
    Alert,
    AlertChange,
    AlertingPolicy,
    AlertRule,
    AlertStatus,
    AlertTransition,
    GroupNotification,
    GroupState,
    Severity,
    Silence,
)
from vigil_core.models.escalation import Escalation, EscalationPolicy, EscalationState, PageOrder
from vigil_core.models.metrics import MetricType
from vigil_core.models.monitors import Monitor
from vigil_core.models.notifications import Delivery, DeliveryState, NotificationPolicy, NotificationSummary
from vigil_core.models.probes import (
    CodeSyncState,
    MonitorKey,
    ProbeResult,
    ProbeShard,
    StoredMonitorState,
    TransitionEvent,
)
from vigil_core.models.rollups import Resolution, Rollup, RollupKey, Series
from vigil_core.models.slo import SlaPolicy, Slo
from vigil_core.models.status_page import StatusPageSettings
from vigil_core.models.tenants import ApiKey, Tenant
from vigil_core.probes.verdicts import MonitorState


class StoreUnavailableError(RuntimeError):
    """The store failed after its own retries; the operation may be retried as a whole."""


class ChannelSendError(RuntimeError):
    """A channel did not take a message. `retryable`: worth trying again later (throttling, an outage);
    otherwise the request itself was refused (a bad address, an unverified sender) and would be again."""

    def __init__(self, problem: str, *, retryable: bool) -> None:
        super().__init__(problem)
        self.retryable = retryable


@dataclass(frozen=True, slots=True)
class DeliveryOutcome:
    """How a POST to a channel ended, after its retries."""

    delivered: bool
    attempts: int
    status: int | None  # of the last answer; None when the last attempt got none
    error: str | None
    response_body: str | None  # its first 500 characters
    retryable: bool = False  # not delivered, but worth trying again later (5xx, 429, timeouts, network)


class HttpPoster(Protocol):
    def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> DeliveryOutcome: ...


class SecretUnavailableError(RuntimeError):
    """A secret reference could not be read; the message names the reference, never a value."""


@dataclass(frozen=True, slots=True)
class StoredRollup:
    series: Series
    resolution: Resolution
    start: int
    rollup: Rollup


class TenantDirectory(Protocol):
    def put_tenant(self, tenant: Tenant) -> None: ...

    def get_tenant(self, tenant_id: str) -> Tenant | None: ...

    def list_tenants(self) -> list[Tenant]:
        """Every tenant, ordered by id."""
        ...

    def put_api_key(self, api_key: ApiKey) -> None: ...

    def find_api_key(self, key_hash: str) -> ApiKey | None: ...

    def list_api_keys(self, tenant_id: str) -> list[ApiKey]:
        """The tenant's keys, revoked ones included, ordered by key id."""
        ...

    def get_status_page(self, tenant_id: str) -> StatusPageSettings | None: ...

    def put_status_page(self, tenant_id: str, settings: StatusPageSettings) -> None: ...


class RollupStore(Protocol):
    def apply(
        self,
        tenant_id: str,
        batch_id: str,
        deltas: Mapping[RollupKey, Rollup],
        expires_at: Mapping[Resolution, int],
    ) -> int:
        """Merge every delta into its stored rollup, exactly once per batch_id; return write requests made.

        expires_at gives, per resolution, how many seconds after its bucket start an item expires.
        A retry with the same batch_id after a partial failure applies only what is missing.
        """
        ...

    def read(self, tenant_id: str, name: str, resolution: Resolution, start: int, end: int) -> list[StoredRollup]:
        """Every stored rollup of the metric whose bucket starts in [start, end)."""
        ...


class IdempotencyGuard(Protocol):
    def register_lambda_context(self, context: Any) -> None:
        """Tells the guard the invocation's remaining time, so an in-flight record expires with it."""
        ...

    def run_once(
        self, tenant_id: str, idempotency_key: str, payload_hash: str, operation: Callable[[], dict[str, Any]]
    ) -> tuple[dict[str, Any], bool]:
        """Run the operation once per (tenant, key) and return (its result, whether this is a replay).

        A replay returns the first result. Reusing a key with another payload raises a 422 VigilError;
        a request still in flight with the same key raises a 409.
        """
        ...


class MonitorRepository(Protocol):
    def create(self, monitor: Monitor) -> None:
        """Store a new monitor; raises a 409 VigilError when the tenant already has one with its id."""
        ...

    def replace(self, monitor: Monitor) -> None:
        """Overwrite an existing monitor (its heartbeat token, if any, is kept by the caller)."""
        ...

    def delete(self, monitor: Monitor) -> None: ...

    def get(self, key: MonitorKey) -> Monitor | None: ...

    def list_for_tenant(self, tenant_id: str) -> list[Monitor]: ...

    def scheduled(self, interval: int) -> list[Monitor]:
        """Every enabled monitor of one interval class, across tenants, ordered by key."""
        ...

    def get_many(self, keys: Sequence[MonitorKey]) -> list[Monitor]:
        """The monitors that still exist among `keys` (deleted ones are left out)."""
        ...

    def find_by_heartbeat_token(self, token: str) -> Monitor | None: ...

    def code_sync_state(self) -> CodeSyncState | None:
        """What monitors.yaml last applied: its digest and the monitors it defined; None if never."""
        ...

    def set_code_sync_state(self, state: CodeSyncState) -> None: ...


class ProbeStore(Protocol):
    def load_states(self, keys: Sequence[MonitorKey]) -> dict[MonitorKey, StoredMonitorState]:
        """The stored state of each key; keys never judged get a fresh StoredMonitorState."""
        ...

    def record(self, result: ProbeResult, state: MonitorState, expected_version: int) -> bool:
        """Atomically: the new state (if the stored version is still `expected_version`), the raw result,
        the SLA window counters, and the result's transition in the outbox. False on a version conflict."""
        ...

    def clear_pending(self, key: MonitorKey, event_ids: Sequence[str]) -> None:
        """Remove transitions that were handed on from the outbox."""
        ...

    def record_beat(self, key: MonitorKey, at: datetime) -> None: ...

    def results(self, key: MonitorKey, since: datetime, until: datetime) -> list[ProbeResult]:
        """Raw results whose check finished in [since, until], newest first."""
        ...

    def delete_state(self, key: MonitorKey) -> None: ...


class TransitionPublisher(Protocol):
    def publish(self, events: Sequence[TransitionEvent]) -> None:
        """Hand transitions to alert evaluation; raises if any could not be sent."""
        ...


class ShardQueue(Protocol):
    def send(self, shards: Sequence[ProbeShard], delay_s: int = 0) -> None:
        """Queue shards for probe workers, visible after `delay_s` seconds; raises if any was not queued."""
        ...


@dataclass(frozen=True, slots=True)
class AlertPage:
    alerts: list[Alert]
    cursor: str | None  # opaque; pass it back to get the next page, None on the last page


class AlertStore(Protocol):
    """Alerts (one item per fingerprint), notification groups, silences and the transitions outbox."""

    def get(self, tenant_id: str, fingerprint: str) -> Alert | None: ...

    def get_many(self, tenant_id: str, fingerprints: Sequence[str]) -> dict[str, Alert]: ...

    def open_alerts(self, tenant_id: str) -> list[Alert]:
        """Every pending, firing or acknowledged alert of the tenant."""
        ...

    def save(self, change: AlertChange) -> bool:
        """Store `change.alert` only if the stored version is still `change.expected_version` (0: the
        alert must not exist yet), together with its transition in the outbox. False on a conflict."""
        ...

    def mark_published(self, tenant_id: str, fingerprint: str, transition_ids: Sequence[str]) -> None:
        """Remove transitions that reached the topic from the outbox."""
        ...

    def unpublished(self, limit: int = 100) -> list[AlertTransition]:
        """Transitions stored but not yet published (a publisher crashed in between), oldest first."""
        ...

    def page(
        self, tenant_id: str, status: AlertStatus | None, severity: Severity | None, limit: int, cursor: str | None
    ) -> AlertPage:
        """The tenant's alerts, most recently changed first; raises a 400 VigilError for a bad cursor."""
        ...

    def group_members(self, tenant_id: str, group_key: str) -> list[Alert]: ...

    def get_group(self, tenant_id: str, group_key: str) -> GroupState | None: ...

    def save_group(self, group: GroupState, expected_version: int) -> bool:
        """Conditional on the stored version (0: must not exist). False on a conflict."""
        ...

    def delete_group(self, group: GroupState) -> bool:
        """Delete if the stored version is still group.version."""
        ...

    def due_groups(self, now: datetime, limit: int = 500) -> list[GroupState]:
        """Groups whose next flush is at or before `now`, across tenants."""
        ...

    def put_silence(self, silence: Silence) -> None: ...

    def silences(self, tenant_id: str) -> list[Silence]:
        """Every silence of the tenant that has not been expired for long, newest first."""
        ...

    def delete_silence(self, tenant_id: str, silence_id: str) -> bool: ...


class AlertRuleRepository(Protocol):
    """Alert rules and each tenant's alerting policy in the config table."""

    def create(self, rule: AlertRule) -> None:
        """Store a new rule; raises a 409 VigilError when the tenant already has one with its id."""
        ...

    def replace(self, rule: AlertRule) -> None: ...

    def delete(self, rule: AlertRule) -> None: ...

    def get(self, tenant_id: str, rule_id: str) -> AlertRule | None: ...

    def list_for_tenant(self, tenant_id: str) -> list[AlertRule]: ...

    def all_rules(self) -> list[AlertRule]:
        """Every stored rule across tenants (for the minute's evaluation), ordered by tenant."""
        ...

    def get_policy(self, tenant_id: str) -> AlertingPolicy | None: ...

    def put_policy(self, tenant_id: str, policy: AlertingPolicy) -> None: ...

    def tenants_with_policy(self) -> list[str]:
        """Tenants that stored a policy (their rule packs may apply even without rules of their own)."""
        ...

    def get_notification_policy(self, tenant_id: str) -> NotificationPolicy | None: ...

    def put_notification_policy(self, tenant_id: str, policy: NotificationPolicy) -> None: ...

    def get_escalation_policy(self, tenant_id: str) -> EscalationPolicy | None: ...

    def put_escalation_policy(self, tenant_id: str, policy: EscalationPolicy) -> None: ...


class AlertPublisher(Protocol):
    def publish_transitions(self, transitions: Sequence[AlertTransition]) -> None:
        """Publish to the alerts topic with kind=transition; raises if any was not published."""
        ...

    def publish_notification(self, notification: GroupNotification, channel_types: Sequence[str] = ()) -> None:
        """Publish to the alerts topic with kind=notification and the channel types it is routed to (the
        `channels` attribute the notifiers' queues filter on); raises if it was not published."""
        ...


class EvaluationQueue(Protocol):
    def request_evaluation(self, tenant_id: str, metrics: Sequence[str], at: datetime) -> None:
        """Ask for the tenant's rules on these metrics to be evaluated now (after an ingest)."""
        ...

    def schedule_flush(self, tenant_id: str, group_key: str, delay_s: int) -> None:
        """Ask for the group to be flushed in `delay_s` seconds (at most 900)."""
        ...

    def schedule_evaluation(self, tenant_id: str, rule_ids: Sequence[str], delay_s: int) -> None:
        """Ask for these rules of the tenant to be evaluated in `delay_s` seconds (at most 900)."""
        ...


class EmailSender(Protocol):
    def send(self, sender: str, recipients: Sequence[str], subject: str, text: str, html: str) -> str:
        """Send one message with text and HTML parts to every recipient; its message id. Raises ChannelSendError."""
        ...


class SmsSender(Protocol):
    def send(self, phone_number: str, text: str) -> str:
        """Send one SMS; its message id. Raises ChannelSendError."""
        ...


class SecretReader(Protocol):
    def read(self, reference: str) -> str:
        """The value behind `secretsmanager:<name>` or `ssm:<name>` (cached). Raises SecretUnavailableError."""
        ...


class DeliveryLog(Protocol):
    """Which messages reached which channels: claims that keep a redelivered message from being sent twice,
    and each alert's delivery log."""

    def claim(self, tenant_id: str, key: str, now: datetime, lease_s: int) -> Literal["claimed", "done", "busy"]:
        """Take the right to send the message `key` names: "done" if it was delivered (or refused for good)
        before, "busy" while another sender holds an unexpired claim."""
        ...

    def settle(self, tenant_id: str, key: str, state: DeliveryState, now: datetime) -> None:
        """End a claim: delivered or rejected for good (never sent again), or failed (free to claim again)."""
        ...

    def record(self, tenant_id: str, fingerprints: Sequence[str], delivery: Delivery) -> None:
        """Add the delivery to each alert's log (and, if delivered, to its counts and what the channel was told)."""
        ...

    def told(self, tenant_id: str, fingerprints: Sequence[str], channel_id: str) -> dict[str, str]:
        """Per alert, the last status delivered to the channel (alerts never told are left out)."""
        ...

    def summary(self, tenant_id: str, fingerprint: str, limit: int = 20) -> NotificationSummary: ...


class NotificationDeferral(Protocol):
    def defer(self, body: str, delay_s: int) -> None:
        """Put the message back on the notifier's queue, to be received again in `delay_s` seconds (at most 900)."""
        ...


class EscalationStore(Protocol):
    """Each alert's escalation record, beside the alert. The state machine writes the pages it sends and how
    it ended into the same record."""

    def begin(self, escalation: Escalation) -> Literal["created", "exists", "superseded"]:
        """Store a new escalation unless the alert's record is already for this firing ("exists", left as
        it is) or a later one ("superseded"); an earlier firing's record is replaced."""
        ...

    def get(self, tenant_id: str, fingerprint: str) -> Escalation | None: ...

    def end(
        self, tenant_id: str, fingerprint: str, firing: int, state: EscalationState, at: datetime, by: str | None
    ) -> bool:
        """Mark the firing's escalation ended, if it is still running. False if it was not."""
        ...


class EscalationExecutions(Protocol):
    """The escalation state machine's executions."""

    def start(self, escalation: Escalation, orders: Sequence[PageOrder]) -> Literal["started", "already_started"]:
        """Start the execution named escalation.execution_name; one of that name already started (whatever its
        input) is left alone."""
        ...

    def stop(self, name: str, cause: str) -> None:
        """Stop the named execution; one that has ended or never started is left as it is."""
        ...


class SlaWindowReader(Protocol):
    def windows(
        self, partition: str, resolution: Literal["minute", "hour", "day"], start_epoch: int, end_epoch: int
    ) -> list[dict[str, int | float]]:
        """The windows of one resolution that start in [start_epoch, end_epoch), oldest first: each with its
        `start` and every counter (total, good, latency_count, latency_sum_ms, lb00.., 0 when never added)."""
        ...


class SlaWindowStore(SlaWindowReader, Protocol):
    def add_events(
        self, batch_id: str, increments: Mapping[tuple[str, int], Mapping[str, float]], now: datetime
    ) -> int:
        """Add each (partition, instant)'s counters to its minute, hour and day, exactly once per batch_id."""
        ...


class SloLister(Protocol):
    def list_for_tenant(self, tenant_id: str) -> list[Slo]:
        """Ordered by id."""
        ...


class SloRepository(SloLister, Protocol):
    """SLOs and each tenant's SLA policy in the config table."""

    def put(self, slo: Slo) -> None: ...

    def get(self, tenant_id: str, slo_id: str) -> Slo | None: ...

    def delete(self, tenant_id: str, slo_id: str) -> bool:
        """False when there was nothing to delete."""
        ...

    def all_slos(self) -> list[Slo]:
        """Every tenant's SLOs, ordered by (tenant, id)."""
        ...

    def get_sla_policy(self, tenant_id: str) -> SlaPolicy | None: ...

    def put_sla_policy(self, tenant_id: str, policy: SlaPolicy) -> None: ...


# -- the metric catalogue -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MetricDescriptor:
    """A metric name as ingest accepted it, with the type and unit it was pushed with."""

    name: str
    metric_type: MetricType
    unit: str


@dataclass(frozen=True, slots=True)
class MetricCatalogEntry:
    name: str
    metric_type: MetricType
    unit: str
    # When ingest last recorded the name. Each container records a name at most once an hour, so this may be
    # up to about an hour older than the name's newest point.
    last_seen: datetime


class MetricCatalog(Protocol):
    """Per tenant, every metric name ingest accepted: what the exports list, since rollups are keyed by name."""

    def record(self, tenant_id: str, entries: Sequence[MetricDescriptor], now: datetime) -> list[MetricDescriptor]:
        """Store each entry with `now` as its last-seen time, in a single write request (at most
        MAX_CATALOG_WRITE entries). Returns the entries the store did not take this time (throttled), which
        the caller may offer again later; raises StoreUnavailableError when the request failed as a whole."""
        ...

    def list_for_tenant(self, tenant_id: str) -> list[MetricCatalogEntry]:
        """Every catalogued metric of the tenant, ordered by name."""
        ...


# One DynamoDB BatchWriteItem takes at most 25 items: the most a single record() call may be given.
MAX_CATALOG_WRITE = 25
