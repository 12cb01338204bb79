"""The alert adapters on moto: what alert evaluation, the alerts API and notification rely on.

Contract tests run against both the DynamoDB adapters and the in-memory fakes, so the fakes the service unit
tests use behave as DynamoDB does (versions, conflicts, order, cursors).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from botocore.stub import Stubber
from moto import mock_aws

from vigil_cli.local.backend import EmbeddedMoto, serialize_moto_dynamodb
from vigil_core.adapters.dynamodb_alert_rules import DynamoDbAlertRuleRepository
from vigil_core.adapters.dynamodb_alerts import DynamoDbAlertStore
from vigil_core.adapters.dynamodb_deliveries import DynamoDbDeliveryLog
from vigil_core.adapters.dynamodb_rollups import DynamoDBRollupStore
from vigil_core.adapters.memory_alerts import (
    MemoryAlertRuleRepository,
    MemoryAlertStore,
    MemoryDeliveryLog,
    RecordingAlertPublisher,
    RecordingEvaluationQueue,
)
from vigil_core.adapters.memory_probes import InMemoryMonitorRepository, InMemoryProbeStore
from vigil_core.adapters.sns_alerts import PublishError, SnsAlertPublisher
from vigil_core.adapters.sqs_evaluation import SqsEvaluationQueue
from vigil_core.errors import VigilError
from vigil_core.models.alerts import (
    EVALUATION_REQUEST,
    RULE_DEFINITION,
    Alert,
    AlertChange,
    AlertingPolicy,
    AlertRule,
    AlertSource,
    AlertStatus,
    AlertTransition,
    FlushDue,
    GroupNotification,
    GroupState,
    MetricsWritten,
    RulesDue,
    RuleSource,
    Severity,
    Silence,
    TransitionKind,
)
from vigil_core.models.escalation import EscalationPolicy
from vigil_core.models.metrics import MetricBatch
from vigil_core.models.notifications import Delivery, NotificationPolicy
from vigil_core.ports import AlertRuleRepository, AlertStore, DeliveryLog, StoreUnavailableError
from vigil_core.services.alerting import AlertDesk, AlertEngine
from vigil_core.services.ingest import Retention, ingest_batch

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import GlobalSecondaryIndexTypeDef

pytestmark = pytest.mark.integration
T0 = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
TENANT = "acme"
ALERT_INDEXES = {
    "by-state": ("state_pk", "changed"),
    "recent": ("pk", "changed"),
    "by-group": ("group_pk", "sk"),
    "groups-due": ("due_pk", "next_flush_at"),
    "outbox": ("outbox_pk", "outbox_at"),
}
CONFIG_INDEXES = {"by-interval": ("gsi1pk", "gsi1sk"), "by-kind": ("kind_pk", "kind_sk")}


# -- tables, as the storage construct defines them ----------------------------------------------------


def _create_table(client: Any, name: str, indexes: dict[str, tuple[str, str]]) -> None:
    attributes = {"pk", "sk"} | {name for keys in indexes.values() for name in keys}
    global_indexes: list[GlobalSecondaryIndexTypeDef] = [
        {
            "IndexName": index_name,
            "KeySchema": [
                {"AttributeName": partition, "KeyType": "HASH"},
                {"AttributeName": sort, "KeyType": "RANGE"},
            ],
            "Projection": {"ProjectionType": "ALL"},
        }
        for index_name, (partition, sort) in indexes.items()
    ]
    client.create_table(
        TableName=name,
        BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": attribute, "AttributeType": "S"} for attribute in sorted(attributes)],
        GlobalSecondaryIndexes=global_indexes,
    )


def create_tables(client: Any) -> None:
    _create_table(client, "alerts", ALERT_INDEXES)
    client.update_time_to_live(
        TableName="alerts", TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires_at"}
    )
    _create_table(client, "config", CONFIG_INDEXES)


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        yield


@pytest.fixture
def dynamodb(aws: None) -> Any:
    client = boto3.client("dynamodb", region_name="us-east-1")
    create_tables(client)
    return client


@pytest.fixture
def dynamo_store(dynamodb: Any) -> DynamoDbAlertStore:
    return DynamoDbAlertStore("alerts", client=dynamodb)


@pytest.fixture(params=["dynamodb", "memory"])
def store(request: pytest.FixtureRequest) -> AlertStore:
    if request.param == "memory":
        return MemoryAlertStore()
    store: AlertStore = request.getfixturevalue("dynamo_store")
    return store


@pytest.fixture(params=["dynamodb", "memory"])
def rules(request: pytest.FixtureRequest) -> AlertRuleRepository:
    if request.param == "memory":
        return MemoryAlertRuleRepository()
    return DynamoDbAlertRuleRepository("config", client=request.getfixturevalue("dynamodb"))


# -- models ---------------------------------------------------------------------------------------------


def alert(
    fingerprint: str = "fp-api",
    *,
    tenant: str = TENANT,
    status: AlertStatus = AlertStatus.FIRING,
    severity: Severity = Severity.WARNING,
    changed_at: datetime = T0,
    version: int = 1,
    group_key: str | None = None,
    value: float = 95.0,
) -> Alert:
    resolved = status is AlertStatus.RESOLVED
    return Alert(
        tenant_id=tenant,
        fingerprint=fingerprint,
        rule_id="high-cpu",
        rule_name="High CPU",
        source=AlertSource.RULE,
        status=status,
        severity=severity,
        labels={"alertname": "High CPU", "service": "api", "severity": severity.value},
        value=value,
        threshold=90.0,
        pending_since=T0 - timedelta(minutes=5),
        fired_at=None if status is AlertStatus.PENDING else T0,
        first_seen=T0 - timedelta(minutes=5),
        last_seen=changed_at,
        occurrences=1,
        resolved_at=changed_at if resolved else None,
        changed_at=changed_at,
        breaching_since={} if resolved else {severity: T0 - timedelta(minutes=5)},
        group_key=group_key,
        version=version,
    )


def transition_of(stored: Alert, previous: AlertStatus | None = None) -> AlertTransition:
    return AlertTransition(
        transition_id=f"{stored.fingerprint}:{stored.version}",
        kind=TransitionKind.RESOLVED if stored.status is AlertStatus.RESOLVED else TransitionKind.FIRING,
        tenant_id=stored.tenant_id,
        fingerprint=stored.fingerprint,
        status=stored.status,
        previous_status=previous,
        severity=stored.severity,
        at=stored.changed_at,
        occurrence=stored.occurrences,
        alert=stored.to_public(),
    )


def create(store: AlertStore, new: Alert, *, with_transition: bool = False) -> Alert:
    assert store.save(AlertChange(new, 0, transition_of(new) if with_transition else None))
    return new


def group(
    group_key: str = "g-api", *, tenant: str = TENANT, next_flush_at: datetime = T0, version: int = 1
) -> GroupState:
    return GroupState(
        tenant_id=tenant,
        group_key=group_key,
        group_labels={"alertname": "High CPU"},
        created_at=T0 - timedelta(minutes=1),
        next_flush_at=next_flush_at,
        version=version,
    )


def silence(silence_id: str, created_at: datetime, *, tenant: str = TENANT) -> Silence:
    return Silence.model_validate(
        {
            "tenant_id": tenant,
            "id": silence_id,
            "matchers": [{"label": "service", "op": "=~", "value": "api|web"}],
            "starts_at": created_at,
            "ends_at": created_at + timedelta(hours=2),
            "created_by": "ops@example.com",
            "comment": "deploying",
            "created_at": created_at,
        }
    )


def rule(rule_id: str, *, tenant: str = TENANT, **definition: Any) -> AlertRule:
    body = {
        "kind": "threshold",
        "name": f"{rule_id} rule",
        "metric": "cpu.usage",
        "matchers": [{"label": "env", "value": "prod"}],
        "condition": "gt",
        "threshold": 90,
        "for": "5m",
        **definition,
    }
    return AlertRule(
        tenant_id=tenant,
        id=rule_id,
        definition=RULE_DEFINITION.validate_python(body),
        source=RuleSource.API,
        created_at=T0,
        updated_at=T0,
    )


def raw_item(dynamodb: Any, sort_key: str, tenant: str = TENANT) -> dict[str, Any] | None:
    item: dict[str, Any] | None = dynamodb.get_item(
        TableName="alerts", Key={"pk": {"S": f"T#{tenant}"}, "sk": {"S": sort_key}}
    ).get("Item")
    return item


def all_pages(
    store: AlertStore, status: AlertStatus | None, severity: Severity | None, limit: int, tenant: str = TENANT
) -> list[list[str]]:
    pages: list[list[str]] = []
    cursor: str | None = None
    while True:
        page = store.page(tenant, status, severity, limit, cursor)
        pages.append([each.fingerprint for each in page.alerts])
        if page.cursor is None:
            return pages
        cursor = page.cursor


# -- alerts ---------------------------------------------------------------------------------------------


def test_an_alert_round_trips_with_its_index_attributes(dynamo_store: DynamoDbAlertStore, dynamodb: Any) -> None:
    # Given a new firing alert in a notification group
    new = alert(group_key="g-api")
    # When it is saved and read back
    assert dynamo_store.save(AlertChange(new, 0, None))
    # Then it is the alert saved
    assert dynamo_store.get(TENANT, "fp-api") == new
    # And its item carries what the indexes and conditions read, and no expiry while open
    item = raw_item(dynamodb, "A#fp-api")
    assert item is not None
    assert {name: value for name, value in item.items() if name != "data"} == {
        "pk": {"S": "T#acme"},
        "sk": {"S": "A#fp-api"},
        "version": {"N": "1"},
        "status": {"S": "firing"},
        "severity": {"S": "warning"},
        "firings": {"N": "0"},
        "changed": {"S": "2026-11-22T09:00:00.000000Z#fp-api"},
        "state_pk": {"S": "T#acme#firing"},
        "group_pk": {"S": "T#acme#G#g-api"},
    }


def test_a_resolved_alert_expires_30_days_after_it_resolved(dynamo_store: DynamoDbAlertStore, dynamodb: Any) -> None:
    # Given a firing alert
    create(dynamo_store, alert())
    resolved_at = T0 + timedelta(hours=1)
    # When it resolves
    assert dynamo_store.save(
        AlertChange(alert(status=AlertStatus.RESOLVED, changed_at=resolved_at, version=2), 1, None)
    )
    # Then its item expires 30 days later and leaves the by-state partition of firing alerts
    item = raw_item(dynamodb, "A#fp-api")
    assert item is not None
    assert item["expires_at"] == {"N": str(int(resolved_at.timestamp()) + 30 * 86400)}
    assert item["state_pk"] == {"S": "T#acme#resolved"}
    # And when it fires again the expiry is gone
    assert dynamo_store.save(AlertChange(alert(changed_at=resolved_at + timedelta(hours=1), version=3), 2, None))
    item = raw_item(dynamodb, "A#fp-api")
    assert item is not None and "expires_at" not in item


def test_a_stale_version_is_refused_and_writes_nothing(store: AlertStore) -> None:
    # Given an alert stored twice (version 2), its first change published
    first = create(store, alert(), with_transition=True)
    store.mark_published(TENANT, first.fingerprint, [f"{first.fingerprint}:1"])
    current = alert(severity=Severity.CRITICAL, changed_at=T0 + timedelta(minutes=1), version=2)
    assert store.save(AlertChange(current, 1, transition_of(current)))
    # When a writer still holding version 1 saves its change, and a creator saves as if it were new
    stale = alert(status=AlertStatus.RESOLVED, changed_at=T0 + timedelta(minutes=2), version=2)
    refused_update = store.save(AlertChange(stale, 1, transition_of(stale)))
    refused_create = store.save(AlertChange(alert(version=1), 0, transition_of(alert(version=1))))
    # Then both are refused, the stored alert is the current one and only its transition waits
    assert (refused_update, refused_create) == (False, False)
    assert store.get(TENANT, "fp-api") == current
    assert [each.transition_id for each in store.unpublished()] == ["fp-api:2"]
    assert store.unpublished()[0].severity is Severity.CRITICAL


def test_the_store_sets_the_version_it_stores(store: AlertStore) -> None:
    # Given a change whose alert carries a version other than expected + 1 (a caller that did not bump it)
    create(store, alert())
    # When it is saved over version 1
    assert store.save(AlertChange(alert(value=97.0, version=1), 1, None))
    # Then it is stored as version 2, and a save over version 1 again is a conflict
    stored = store.get(TENANT, "fp-api")
    assert stored is not None and (stored.version, stored.value) == (2, 97.0)
    assert not store.save(AlertChange(alert(value=99.0), 1, None))


def test_transitions_wait_in_the_outbox_oldest_first_until_published(store: AlertStore) -> None:
    # Given three alerts of two tenants saved with their transitions, not in time order
    for fingerprint, tenant, minute in (("fp-b", TENANT, 2), ("fp-a", "globex", 0), ("fp-c", TENANT, 1)):
        create(
            store, alert(fingerprint, tenant=tenant, changed_at=T0 + timedelta(minutes=minute)), with_transition=True
        )
    # When the outbox is read, then every transition waits, oldest first, across tenants
    assert [t.transition_id for t in store.unpublished()] == ["fp-a:1", "fp-c:1", "fp-b:1"]
    assert [t.transition_id for t in store.unpublished(limit=2)] == ["fp-a:1", "fp-c:1"]
    # And once two are published only the third waits, while the alerts themselves stay
    store.mark_published("globex", "fp-a", ["fp-a:1"])
    store.mark_published(TENANT, "fp-c", ["fp-c:1", "fp-c:1"])
    assert [t.transition_id for t in store.unpublished()] == ["fp-b:1"]
    assert store.unpublished()[0] == transition_of(alert("fp-b", changed_at=T0 + timedelta(minutes=2)))
    assert store.get("globex", "fp-a") is not None and store.get(TENANT, "fp-c") is not None


def test_get_many_reads_more_than_one_batch_and_leaves_out_missing_alerts(store: AlertStore) -> None:
    # Given 105 alerts (BatchGetItem takes 100 keys) and one of another tenant
    fingerprints = [f"fp-{index:03d}" for index in range(105)]
    for fingerprint in fingerprints:
        create(store, alert(fingerprint))
    create(store, alert("fp-other", tenant="globex"))
    # When they are asked for with a missing one, a repeat, and the other tenant's
    found = store.get_many(TENANT, [*fingerprints, "fp-missing", fingerprints[0], "fp-other"])
    # Then every stored one of this tenant comes back, keyed by fingerprint
    assert sorted(found) == fingerprints
    assert found["fp-042"] == alert("fp-042")


def test_open_alerts_are_pending_firing_and_acknowledged_never_resolved(store: AlertStore) -> None:
    # Given an alert of each status, and a firing one of another tenant
    for status in AlertStatus:
        create(store, alert(f"fp-{status.value}", status=status))
    create(store, alert("fp-other", tenant="globex"))
    # When the tenant's open alerts are read, then they are the three open ones, by status
    assert [a.fingerprint for a in store.open_alerts(TENANT)] == ["fp-pending", "fp-firing", "fp-acknowledged"]


def test_group_members_are_the_alerts_of_that_group(store: AlertStore) -> None:
    # Given alerts in two groups, one in none, and one of another tenant with the same group key
    create(store, alert("fp-2", group_key="g-api"))
    create(store, alert("fp-1", group_key="g-api", status=AlertStatus.RESOLVED))
    create(store, alert("fp-3", group_key="g-web"))
    create(store, alert("fp-4"))
    create(store, alert("fp-5", tenant="globex", group_key="g-api"))
    # When a group's members are read, then they are its alerts whatever their status, by fingerprint
    assert [a.fingerprint for a in store.group_members(TENANT, "g-api")] == ["fp-1", "fp-2"]
    assert store.group_members(TENANT, "g-none") == []


# -- paging ---------------------------------------------------------------------------------------------


@pytest.fixture
def twenty_five_alerts(store: AlertStore) -> AlertStore:
    """fp-00 .. fp-24, each changed a minute after the previous; every third one (fp-00, fp-03, ..) critical
    and every fourth (fp-00, fp-04, ..) acknowledged. Plus one alert of another tenant, newest of all."""
    for index in range(25):
        create(
            store,
            alert(
                f"fp-{index:02d}",
                changed_at=T0 + timedelta(minutes=index),
                severity=Severity.CRITICAL if index % 3 == 0 else Severity.WARNING,
                status=AlertStatus.ACKNOWLEDGED if index % 4 == 0 else AlertStatus.FIRING,
            ),
        )
    create(store, alert("fp-globex", tenant="globex", changed_at=T0 + timedelta(hours=1)))
    return store


def _newest_first(indexes: list[int]) -> list[str]:
    return [f"fp-{index:02d}" for index in sorted(indexes, reverse=True)]


def test_pages_run_newest_change_first_and_the_last_has_no_cursor(twenty_five_alerts: AlertStore) -> None:
    # Given 25 alerts, when they are read 10 at a time, then pages of 10, 10 and 5 cover them newest first
    pages = all_pages(twenty_five_alerts, None, None, 10)
    assert [len(page) for page in pages] == [10, 10, 5]
    assert [fingerprint for page in pages for fingerprint in page] == _newest_first(list(range(25)))


def test_a_page_that_ends_exactly_at_the_last_alert_has_no_cursor(twenty_five_alerts: AlertStore) -> None:
    # Given 25 alerts, when read 5 or 25 at a time, then the last full page says there is nothing more
    assert [len(page) for page in all_pages(twenty_five_alerts, None, None, 5)] == [5] * 5
    assert twenty_five_alerts.page(TENANT, None, None, 25, None).cursor is None


def test_filters_never_leave_a_page_short_while_more_match(twenty_five_alerts: AlertStore) -> None:
    # Given 25 alerts of which 9 are critical, 7 acknowledged, 3 both
    # When each filter is paged 2 or 4 at a time
    critical = all_pages(twenty_five_alerts, None, Severity.CRITICAL, 4)
    acknowledged = all_pages(twenty_five_alerts, AlertStatus.ACKNOWLEDGED, None, 2)
    both = all_pages(twenty_five_alerts, AlertStatus.ACKNOWLEDGED, Severity.CRITICAL, 2)
    firing_critical = all_pages(twenty_five_alerts, AlertStatus.FIRING, Severity.CRITICAL, 4)
    # Then every page is full but the last, newest first, and the matches are exactly those
    assert critical == [_newest_first([24, 21, 18, 15]), _newest_first([12, 9, 6, 3]), ["fp-00"]]
    assert acknowledged == [_newest_first([24, 20]), _newest_first([16, 12]), _newest_first([8, 4]), ["fp-00"]]
    assert both == [_newest_first([24, 12]), ["fp-00"]]
    assert firing_critical == [_newest_first([21, 18, 15, 9]), _newest_first([6, 3])]


def test_a_filter_matching_nothing_is_one_empty_page(twenty_five_alerts: AlertStore) -> None:
    # Given no resolved or info alert, when they are asked for, then one empty page comes back
    assert all_pages(twenty_five_alerts, AlertStatus.RESOLVED, None, 10) == [[]]
    assert all_pages(twenty_five_alerts, None, Severity.INFO, 10) == [[]]


@pytest.mark.parametrize(
    "cursor",
    [
        "not base64!",
        "bm90IGpzb24",  # "not json"
        "WzEsMl0",  # "[1,2]"
        "eyJwayI6eyJTIjoiVCNhY21lIn19",  # {"pk":{"S":"T#acme"}}: not a position
    ],
)
def test_a_cursor_that_does_not_decode_is_a_bad_request(twenty_five_alerts: AlertStore, cursor: str) -> None:
    # Given a cursor this listing never returned, when a page is asked for with it, then a 400 names it
    with pytest.raises(VigilError) as caught:
        twenty_five_alerts.page(TENANT, None, None, 10, cursor)
    assert (caught.value.status, caught.value.problems[0].field) == (400, "cursor")


def test_a_cursor_of_another_tenant_or_listing_is_a_bad_request(twenty_five_alerts: AlertStore) -> None:
    # Given cursors of acme's unfiltered listing and of its acknowledged alerts
    unfiltered = twenty_five_alerts.page(TENANT, None, None, 10, None).cursor
    acknowledged = twenty_five_alerts.page(TENANT, AlertStatus.ACKNOWLEDGED, None, 2, None).cursor
    assert unfiltered is not None and acknowledged is not None
    # When globex pages with them, or acme reads one listing with the other's cursor, then each is a 400
    for tenant, status, cursor in (
        ("globex", None, unfiltered),
        ("globex", AlertStatus.ACKNOWLEDGED, acknowledged),
        (TENANT, AlertStatus.FIRING, acknowledged),
        (TENANT, AlertStatus.FIRING, unfiltered),
        (TENANT, None, acknowledged),
    ):
        with pytest.raises(VigilError) as caught:
            twenty_five_alerts.page(tenant, status, None, 10, cursor)
        assert (caught.value.status, caught.value.problems[0].field) == (400, "cursor")


def test_another_tenant_never_sees_the_alerts(twenty_five_alerts: AlertStore) -> None:
    # Given acme's 25 alerts and globex's one, when globex reads, then it sees only its own
    assert all_pages(twenty_five_alerts, None, None, 10, tenant="globex") == [["fp-globex"]]
    assert twenty_five_alerts.get("globex", "fp-00") is None
    assert twenty_five_alerts.get_many("globex", ["fp-00", "fp-globex"]).keys() == {"fp-globex"}
    assert [a.fingerprint for a in twenty_five_alerts.open_alerts("globex")] == ["fp-globex"]
    assert all_pages(twenty_five_alerts, None, None, 10, tenant="initech") == [[]]


def test_memory_and_dynamodb_cursors_are_interchangeable(dynamo_store: DynamoDbAlertStore) -> None:
    # Given the same alerts in both stores
    memory = MemoryAlertStore()
    for index in range(6):
        for each in (memory, dynamo_store):
            create(each, alert(f"fp-{index}", changed_at=T0 + timedelta(minutes=index)))
    # When the first page comes from one and the next from the other, then they continue each other
    first = dynamo_store.page(TENANT, None, None, 4, None)
    assert first.cursor is not None
    assert [a.fingerprint for a in memory.page(TENANT, None, None, 4, first.cursor).alerts] == ["fp-1", "fp-0"]
    assert first.cursor == memory.page(TENANT, None, None, 4, None).cursor


# -- groups ---------------------------------------------------------------------------------------------


def test_groups_are_saved_over_the_version_read(store: AlertStore) -> None:
    # Given a new group
    opened = group(version=0)
    # When it is created, created again, then flushed once from version 1 and once more from stale version 1
    created = store.save_group(opened, 0)
    created_again = store.save_group(opened, 0)
    flushed = group(next_flush_at=T0 + timedelta(minutes=5)).model_copy(update={"sequence": 1})
    stored_flush = store.save_group(flushed, 1)
    stale_flush = store.save_group(flushed.model_copy(update={"sequence": 9}), 1)
    # Then the creation and the first flush land, as versions 1 and 2, and the repeats are conflicts
    assert (created, created_again, stored_flush, stale_flush) == (True, False, True, False)
    assert store.get_group(TENANT, "g-api") == flushed.model_copy(update={"version": 2})


def test_a_group_is_deleted_only_at_the_version_read(store: AlertStore) -> None:
    # Given a group at version 2
    assert store.save_group(group(), 0)
    assert store.save_group(group(), 1)
    # When deleting with version 1, then nothing happens; with version 2 it is gone, and a second delete fails
    assert not store.delete_group(group(version=1))
    assert store.get_group(TENANT, "g-api") is not None
    assert store.delete_group(group(version=2))
    assert store.get_group(TENANT, "g-api") is None
    assert not store.delete_group(group(version=2))


def test_due_groups_are_those_whose_flush_has_come_across_tenants(store: AlertStore) -> None:
    # Given groups of two tenants due before, at, and after now
    now = T0 + timedelta(minutes=10)
    for key, tenant, flush_at in (
        ("g-late", TENANT, now - timedelta(minutes=3)),
        ("g-now", "globex", now),
        ("g-soon", TENANT, now + timedelta(microseconds=1)),
        ("g-oldest", "globex", now - timedelta(hours=1)),
    ):
        assert store.save_group(group(key, tenant=tenant, next_flush_at=flush_at, version=0), 0)
    # When due groups are read, then those due by now come, the most overdue first, up to the limit
    assert [g.group_key for g in store.due_groups(now)] == ["g-oldest", "g-late", "g-now"]
    assert [g.group_key for g in store.due_groups(now, limit=1)] == ["g-oldest"]
    assert store.due_groups(now - timedelta(days=1)) == []


def test_a_group_item_is_indexed_by_its_next_flush(dynamo_store: DynamoDbAlertStore, dynamodb: Any) -> None:
    # Given a saved group, when its item is read, then groups-due sorts it by next flush, tenant and key
    assert dynamo_store.save_group(group(), 0)
    item = raw_item(dynamodb, "G#g-api")
    assert item is not None
    assert (item["version"], item["due_pk"], item["next_flush_at"]) == (
        {"N": "1"},
        {"S": "DUE"},
        {"S": "2026-11-22T09:00:00.000000Z#acme#g-api"},
    )


# -- silences -------------------------------------------------------------------------------------------


def test_silences_round_trip_newest_first_and_can_be_deleted(store: AlertStore) -> None:
    # Given two silences of acme and one of globex
    older, newer = silence("s-1", T0), silence("s-2", T0 + timedelta(minutes=1))
    for each in (newer, older, silence("s-3", T0, tenant="globex")):
        store.put_silence(each)
    # When acme's silences are read, then they are its own, newest created first
    assert store.silences(TENANT) == [newer, older]
    # And deleting tells whether there was one to delete
    assert store.delete_silence(TENANT, "s-1")
    assert not store.delete_silence(TENANT, "s-1")
    assert not store.delete_silence(TENANT, "s-3")
    assert store.silences(TENANT) == [newer]


def test_a_silence_expires_a_week_after_it_ends(dynamo_store: DynamoDbAlertStore, dynamodb: Any) -> None:
    # Given a silence ending at 11:00, when stored, then its item expires seven days later
    dynamo_store.put_silence(silence("s-1", T0))
    item = raw_item(dynamodb, "S#s-1")
    assert item is not None
    assert item["expires_at"] == {"N": str(int((T0 + timedelta(hours=2, days=7)).timestamp()))}


# -- failures -------------------------------------------------------------------------------------------


def test_a_transaction_conflict_is_retried(dynamo_store: DynamoDbAlertStore, dynamodb: Any) -> None:
    # Given storage that cancels the first transaction because another one touched the alert
    calls = {"n": 0}

    def conflict_once(**_: Any) -> None:
        calls["n"] += 1
        if calls["n"] == 1:
            error = {"Error": {"Code": "TransactionCanceledException", "Message": "injected"}}
            reasons = [{"Code": "TransactionConflict"}, {"Code": "None"}]
            raise ClientError({**error, "CancellationReasons": reasons}, "TransactWriteItems")  # type: ignore[typeddict-item]

    dynamodb.meta.events.register("before-call.dynamodb.TransactWriteItems", conflict_once)
    # When an alert is saved with its transition, then the second attempt lands both
    assert dynamo_store.save(AlertChange(alert(), 0, transition_of(alert())))
    assert calls["n"] == 2
    assert [t.transition_id for t in dynamo_store.unpublished()] == ["fp-api:1"]


def test_other_failures_raise_store_unavailable(dynamo_store: DynamoDbAlertStore, dynamodb: Any) -> None:
    # Given storage that fails every call, when an alert is saved or read, then the store is unavailable
    def fail(**_: Any) -> None:
        raise ClientError({"Error": {"Code": "InternalServerError", "Message": "injected"}}, "Any")

    dynamodb.meta.events.register("before-call.dynamodb", fail)
    with pytest.raises(StoreUnavailableError):
        dynamo_store.save(AlertChange(alert(), 0, None))
    with pytest.raises(StoreUnavailableError):
        dynamo_store.page(TENANT, None, None, 10, None)


# -- rules and policies -----------------------------------------------------------------------------------


def test_rules_round_trip_and_list_by_tenant_and_id(rules: AlertRuleRepository) -> None:
    # Given a threshold rule and a probe rule of acme and a rule of globex
    threshold = rule("high-cpu", group_by=["service"], labels={"team": "core"})
    probe = AlertRule(
        tenant_id=TENANT,
        id="api-down",
        definition=RULE_DEFINITION.validate_python({"kind": "probe", "name": "API down", "for": "2m"}),
        source=RuleSource.PACK,
        created_at=T0,
        updated_at=T0,
    )
    for each in (threshold, probe, rule("high-cpu", tenant="globex")):
        rules.create(each)
    # When they are read back, then each survives its JSON round trip, and a tenant sees its own by id
    assert rules.get(TENANT, "high-cpu") == threshold
    assert rules.get(TENANT, "api-down") == probe
    assert [r.id for r in rules.list_for_tenant(TENANT)] == ["api-down", "high-cpu"]
    assert rules.get("globex", "api-down") is None


def test_creating_a_rule_twice_is_a_conflict_naming_it(rules: AlertRuleRepository) -> None:
    # Given a stored rule, when a rule with its id is created, then a 409 names it and the first stays
    first = rule("high-cpu")
    rules.create(first)
    with pytest.raises(VigilError) as caught:
        rules.create(rule("high-cpu", threshold=50))
    assert caught.value.status == 409
    assert "'high-cpu'" in caught.value.message
    assert rules.get(TENANT, "high-cpu") == first


def test_rules_are_replaced_and_deleted(rules: AlertRuleRepository) -> None:
    # Given a stored rule
    rules.create(rule("high-cpu"))
    # When it is replaced, then the new definition is read back
    replaced = rule("high-cpu", threshold=80).model_copy(update={"updated_at": T0 + timedelta(hours=1)})
    rules.replace(replaced)
    assert rules.get(TENANT, "high-cpu") == replaced
    # And once deleted it is gone everywhere, and replacing it is a 404
    rules.delete(replaced)
    assert rules.get(TENANT, "high-cpu") is None
    assert rules.all_rules() == []
    with pytest.raises(VigilError) as caught:
        rules.replace(replaced)
    assert caught.value.status == 404


def test_all_rules_lists_every_tenant_in_tenant_and_id_order(rules: AlertRuleRepository) -> None:
    # Given rules of tenants whose ids share a prefix (a '-' sorts above the '#' separator)
    for tenant, rule_id in (("acme-eu", "a"), ("acme", "zz"), ("globex", "b"), ("acme", "m")):
        rules.create(rule(rule_id, tenant=tenant))
    # When every rule is listed, then tenants come in order, each one's rules by id
    assert [(r.tenant_id, r.id) for r in rules.all_rules()] == [
        ("acme", "m"),
        ("acme", "zz"),
        ("acme-eu", "a"),
        ("globex", "b"),
    ]


def test_policies_round_trip_and_name_their_tenants(rules: AlertRuleRepository) -> None:
    # Given a policy with its own grouping and a rule without a policy
    policy = AlertingPolicy.model_validate(
        {"group_by": ["alertname", "service"], "group_wait": "10s", "repeat_interval": "1h", "rule_packs": ["default"]}
    )
    rules.put_policy("globex", policy)
    rules.put_policy(TENANT, AlertingPolicy())
    rules.create(rule("high-cpu", tenant="initech"))
    # When policies are read, then each round trips and only tenants with one are listed, by id
    assert rules.get_policy("globex") == policy
    assert rules.get_policy("initech") is None
    assert rules.tenants_with_policy() == [TENANT, "globex"]
    # And a rule listing never mistakes a policy for a rule
    assert [r.tenant_id for r in rules.all_rules()] == ["initech"]
    assert rules.list_for_tenant(TENANT) == []


# -- the alerts topic -----------------------------------------------------------------------------------


def _subscribed_queue(sns: Any, sqs: Any, topic_arn: str, name: str, filter_policy: dict[str, Any]) -> str:
    url: str = sqs.create_queue(QueueName=name)["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(
        TopicArn=topic_arn,
        Protocol="sqs",
        Endpoint=queue_arn,
        Attributes={"RawMessageDelivery": "false", "FilterPolicy": json.dumps(filter_policy)},
    )
    return url


def _drain(sqs: Any, url: str) -> list[dict[str, Any]]:
    """The SNS envelopes that landed on the queue."""
    envelopes: list[dict[str, Any]] = []
    while batch := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages"):
        envelopes.extend(json.loads(message["Body"]) for message in batch)
        sqs.delete_message_batch(
            QueueUrl=url, Entries=[{"Id": m["MessageId"], "ReceiptHandle": m["ReceiptHandle"]} for m in batch]
        )
    return envelopes


def _attributes(envelope: dict[str, Any]) -> dict[str, str]:
    return {name: value["Value"] for name, value in envelope["MessageAttributes"].items()}


def test_transitions_and_notifications_reach_the_subscriptions_that_filter_for_them(aws: None) -> None:
    # Given a topic, a queue for error and critical transitions, and one for notifications
    sns, sqs = boto3.client("sns", region_name="us-east-1"), boto3.client("sqs", region_name="us-east-1")
    topic_arn = sns.create_topic(Name="alerts")["TopicArn"]
    urgent = _subscribed_queue(
        sns, sqs, topic_arn, "urgent", {"kind": ["transition"], "severity": ["error", "critical"]}
    )
    notified = _subscribed_queue(sns, sqs, topic_arn, "notified", {"kind": ["notification"]})
    publisher = SnsAlertPublisher(topic_arn, client=sns)
    # When 12 transitions (two batches), four of them critical, and a notification are published
    transitions = [
        transition_of(alert(f"fp-{index:02d}", severity=Severity.CRITICAL if index % 3 == 0 else Severity.WARNING))
        for index in range(12)
    ]
    publisher.publish_transitions(transitions)
    notification = GroupNotification(
        notification_id="g-api:1",
        tenant_id=TENANT,
        group_key="g-api",
        group_labels={"alertname": "High CPU"},
        status="firing",
        severity=Severity.CRITICAL,
        reason="new",
        firing=(alert().to_public(),),
        resolved=(),
        at=T0,
    )
    publisher.publish_notification(notification, ["slack", "pagerduty"])
    # Then the urgent queue holds exactly the critical transitions, each its JSON with its attributes
    landed = sorted(_drain(sqs, urgent), key=lambda envelope: envelope["Message"])
    assert [AlertTransition.model_validate_json(e["Message"]) for e in landed] == transitions[::3]
    assert _attributes(landed[0]) == {
        "kind": "transition",
        "tenant": TENANT,
        "severity": "critical",
        "state": "firing",
        "fingerprint": "fp-00",
    }
    # And the notifications queue holds the notification, its state firing, its group key as fingerprint, and
    # the channel types it is routed to
    [envelope] = _drain(sqs, notified)
    assert GroupNotification.model_validate_json(envelope["Message"]) == notification
    assert _attributes(envelope) == {
        "kind": "notification",
        "tenant": TENANT,
        "severity": "critical",
        "state": "firing",
        "fingerprint": "g-api",
        "channels": '["pagerduty", "slack"]',
    }


def test_a_transition_sns_refused_is_named() -> None:
    # Given SNS refusing the second entry of a batch
    client = boto3.client("sns", region_name="us-east-1")
    stubber = Stubber(client)
    stubber.add_response(
        "publish_batch",
        {
            "Successful": [{"Id": "0", "MessageId": "m-0"}],
            "Failed": [{"Id": "1", "Code": "InternalError", "SenderFault": False, "Message": "try again"}],
        },
    )
    stubber.activate()
    publisher = SnsAlertPublisher("arn:aws:sns:us-east-1:123456789012:alerts", client=client)
    # When two transitions are published, then the error names the one refused
    with pytest.raises(PublishError, match=r"1 of 2 transitions were not published: fp-b:1: InternalError try again"):
        publisher.publish_transitions([transition_of(alert("fp-a")), transition_of(alert("fp-b"))])


# -- the evaluation queue --------------------------------------------------------------------------------


def test_evaluation_requests_and_flushes_are_queued_with_their_delay(aws: None) -> None:
    # Given the evaluation queue, its sends recorded on the way out
    sqs = boto3.client("sqs", region_name="us-east-1")
    url = sqs.create_queue(QueueName="evaluation")["QueueUrl"]
    delays: list[int | None] = []
    sqs.meta.events.register(
        "provide-client-params.sqs.SendMessage", lambda params, **_: delays.append(params.get("DelaySeconds"))
    )
    queue, recording = SqsEvaluationQueue(url, client=sqs), RecordingEvaluationQueue()
    # When an evaluation is requested and flushes are scheduled in 30 s, in 2 h, and already overdue
    for target in (queue, recording):
        target.request_evaluation(TENANT, ["cpu.usage", "http.requests"], T0)
        target.schedule_flush(TENANT, "g-api", 30)
        target.schedule_flush(TENANT, "g-web", 7200)
        target.schedule_flush(TENANT, "g-old", -5)
    # Then SQS holds the request and the overdue flush now, and the other two wait, at most 15 minutes
    assert delays == [None, 30, 900, 0]
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attributes["ApproximateNumberOfMessagesDelayed"] == "2"
    bodies = [m["Body"] for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]]
    requests = sorted((EVALUATION_REQUEST.validate_json(body) for body in bodies), key=lambda r: r.kind)
    assert requests == [
        FlushDue(tenant_id=TENANT, group_key="g-old"),
        MetricsWritten(tenant_id=TENANT, metrics=("cpu.usage", "http.requests"), at=T0),
    ]
    # And the recording fake keeps the same requests with the delays SQS applied
    assert recording.evaluations == [requests[1]]
    assert [(flush.group_key, delay) for flush, delay in recording.flushes] == [
        ("g-api", 30),
        ("g-web", 900),
        ("g-old", 0),
    ]


def test_a_rules_evaluation_is_queued_for_when_it_is_due(aws: None) -> None:
    # Given the evaluation queue
    sqs = boto3.client("sqs", region_name="us-east-1")
    url = sqs.create_queue(QueueName="evaluation")["QueueUrl"]
    # When an evaluation of two rules is asked for now and another in 60 s
    SqsEvaluationQueue(url, client=sqs).schedule_evaluation(TENANT, ["cpu-high", "disk-full"], 0)
    SqsEvaluationQueue(url, client=sqs).schedule_evaluation(TENANT, ["late"], 60)
    # Then the first can be received at once, naming its tenant and rules, and the second waits
    [message] = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert EVALUATION_REQUEST.validate_json(message["Body"]) == RulesDue(
        tenant_id=TENANT, rule_ids=("cpu-high", "disk-full")
    )
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessagesDelayed"])
    assert attributes["Attributes"]["ApproximateNumberOfMessagesDelayed"] == "1"


# -- racing writers -------------------------------------------------------------------------------------

RACERS = 10


@pytest.fixture(params=["in-process mock_aws", "embedded moto server"])
def racing_dynamodb(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A DynamoDB moto serves one request at a time, as DynamoDB orders writes to one item (see
    serialize_moto_dynamodb), with a connection per racer."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    config = Config(max_pool_connections=RACERS)
    if request.param == "in-process mock_aws":
        serialize_moto_dynamodb()
        with mock_aws():
            client = boto3.client("dynamodb", region_name="us-east-1", config=config)
            create_tables(client)
            yield client
        return
    backend = EmbeddedMoto()  # serializes DynamoDB as it starts
    endpoint_url = backend.start()
    try:
        client = boto3.client("dynamodb", region_name="us-east-1", endpoint_url=endpoint_url, config=config)
        create_tables(client)
        yield client
    finally:
        backend.stop()


def _race(racers: int, attempt: Callable[[int], bool]) -> list[int]:
    with ThreadPoolExecutor(racers) as pool:
        outcomes = list(pool.map(attempt, range(racers)))
    return [racer for racer, won in enumerate(outcomes) if won]


def test_of_writers_racing_from_one_version_exactly_one_wins(racing_dynamodb: Any) -> None:
    # Given a stored alert at version 1, and ten writers that all read it before any of them writes
    store = DynamoDbAlertStore("alerts", client=racing_dynamodb)
    create(store, alert())
    read_together, write_together = threading.Barrier(RACERS), threading.Barrier(RACERS)

    def save_from_what_was_read(racer: int) -> bool:
        read_together.wait()
        stored = store.get(TENANT, "fp-api")
        write_together.wait()
        assert stored is not None
        changed = stored.model_copy(update={"version": stored.version + 1, "value": float(racer)})
        return store.save(AlertChange(changed, stored.version, transition_of(changed)))

    # When they all save their change from that version at once
    winners = _race(RACERS, save_from_what_was_read)
    # Then exactly one wins: its alert is stored as version 2 and its transition is the one in the outbox
    assert len(winners) == 1
    stored = store.get(TENANT, "fp-api")
    assert stored is not None and (stored.version, stored.value) == (2, float(winners[0]))
    [waiting] = store.unpublished()
    assert (waiting.transition_id, waiting.alert["value"]) == ("fp-api:2", float(winners[0]))


def test_ten_evaluators_racing_on_one_breach_make_one_transition_and_one_event(racing_dynamodb: Any) -> None:
    # Given a rule, a breaching point stored in the metrics table, and ten evaluators on the same tables
    client = racing_dynamodb
    client.create_table(
        TableName="metrics",
        BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
    )
    now = datetime.now(UTC)
    rules_repo = DynamoDbAlertRuleRepository("config", client)
    rules_repo.create(rule("cpu-high", metric="cpu", window="1m", matchers=[], threshold=90, **{"for": 0}))
    rollups = DynamoDBRollupStore("metrics", client)
    batch = MetricBatch.model_validate(
        {"points": [{"name": "cpu", "type": "gauge", "value": 99, "labels": {"host": "a"}}]}
    )
    ingest_batch(TENANT, batch, "b1", rollups, Retention(), now)
    publisher = RecordingAlertPublisher()
    start_together = threading.Barrier(RACERS)

    def evaluate(_: int) -> bool:
        engine = AlertEngine(
            AlertDesk(
                rules_repo, DynamoDbAlertStore("alerts", client), publisher, RecordingEvaluationQueue(), lambda: now
            ),
            rollups,
            InMemoryMonitorRepository(),
            InMemoryProbeStore(),
        )
        start_together.wait()
        return engine.on_metrics_written(TENANT, ["cpu"], now).transitions == 1

    # When the ten evaluate the same minute at once
    winners = _race(RACERS, evaluate)
    # Then one of them fired the alert: one stored version, one transition published, nothing left in the outbox
    assert len(winners) == 1
    [transition] = publisher.transitions
    assert (transition.kind, transition.transition_id.endswith(":1")) == (TransitionKind.FIRING, True)
    stored = DynamoDbAlertStore("alerts", client).get(TENANT, transition.fingerprint)
    assert stored is not None and (stored.version, stored.status) == (1, AlertStatus.FIRING)
    assert DynamoDbAlertStore("alerts", client).unpublished() == []


# -- delivery claims and logs ---------------------------------------------------------------------------


@pytest.fixture(params=["dynamodb", "memory"])
def deliveries(request: pytest.FixtureRequest) -> DeliveryLog:
    if request.param == "memory":
        return MemoryDeliveryLog()
    return DynamoDbDeliveryLog("alerts", client=request.getfixturevalue("dynamodb"))


def delivery(channel: str, outcome: str, at: datetime, status: str = "firing") -> Delivery:
    return Delivery.model_validate(
        {
            "channel": channel,
            "channel_type": "slack",
            "notification_id": "g:1",
            "status": status,
            "outcome": outcome,
            "attempts": 1,
            "at": at,
        }
    )


def test_a_claim_is_taken_once_until_it_fails_or_its_lease_runs_out(deliveries: DeliveryLog) -> None:
    # Given a message claimed for a channel
    assert deliveries.claim(TENANT, "ops#g:1", T0, lease_s=60) == "claimed"
    # Then another receiver finds it busy while the lease lasts, and may take it once the lease ran out
    assert deliveries.claim(TENANT, "ops#g:1", T0 + timedelta(seconds=30), lease_s=60) == "busy"
    assert deliveries.claim(TENANT, "ops#g:1", T0 + timedelta(seconds=61), lease_s=60) == "claimed"
    # When that send fails, the next receiver may try again
    deliveries.settle(TENANT, "ops#g:1", "failed", T0 + timedelta(seconds=62))
    assert deliveries.claim(TENANT, "ops#g:1", T0 + timedelta(seconds=63), lease_s=60) == "claimed"
    # And once delivered (or refused for good) it is done for everyone, whatever the time
    deliveries.settle(TENANT, "ops#g:1", "delivered", T0 + timedelta(seconds=64))
    assert deliveries.claim(TENANT, "ops#g:1", T0 + timedelta(days=1), lease_s=60) == "done"
    deliveries.settle(TENANT, "pager#g:1", "rejected", T0)
    assert deliveries.claim(TENANT, "pager#g:1", T0 + timedelta(days=1), lease_s=60) == "done"
    # And another tenant's identical key is its own
    assert deliveries.claim("other", "ops#g:1", T0, lease_s=60) == "claimed"


def test_the_log_counts_deliveries_and_remembers_what_each_channel_was_told(deliveries: DeliveryLog) -> None:
    # Given a failed then a successful delivery to Slack, and one to PagerDuty, about two alerts
    deliveries.record(TENANT, ["fp-1", "fp-2"], delivery("ops", "failed", T0))
    deliveries.record(TENANT, ["fp-1", "fp-2"], delivery("ops", "delivered", T0 + timedelta(seconds=30)))
    deliveries.record(TENANT, ["fp-1"], delivery("pager", "delivered", T0 + timedelta(seconds=31)))
    deliveries.record(TENANT, ["fp-1"], delivery("pager", "delivered", T0 + timedelta(minutes=9), "resolved"))
    # Then each alert counts what was delivered, newest first in its log
    summary = deliveries.summary(TENANT, "fp-1")
    assert summary.notifications_sent == 3
    assert summary.last_notification_at == T0 + timedelta(minutes=9)
    assert summary.notification_channels == ("ops", "pager")
    assert [(d.channel, d.outcome, d.status) for d in summary.deliveries] == [
        ("pager", "delivered", "resolved"),
        ("pager", "delivered", "firing"),
        ("ops", "delivered", "firing"),
        ("ops", "failed", "firing"),
    ]
    assert deliveries.summary(TENANT, "fp-1", limit=1).deliveries[0].status == "resolved"
    # And what each channel last heard of each alert
    assert deliveries.told(TENANT, ["fp-1", "fp-2", "fp-3"], "pager") == {"fp-1": "resolved"}
    assert deliveries.told(TENANT, ["fp-1", "fp-2"], "ops") == {"fp-1": "firing", "fp-2": "firing"}
    # And an alert never notified has an empty log
    assert deliveries.summary(TENANT, "fp-9").notifications_sent == 0


def test_of_receivers_claiming_one_message_at_once_exactly_one_sends(racing_dynamodb: Any) -> None:
    # Given ten receivers of the same SQS message
    log = DynamoDbDeliveryLog("alerts", client=racing_dynamodb)
    start = threading.Barrier(RACERS)

    def claim(racer: int) -> bool:
        start.wait()
        return log.claim(TENANT, "ops#g:7", T0, lease_s=600) == "claimed"

    # When they all claim it at once
    winners = _race(RACERS, claim)
    # Then exactly one may send
    assert len(winners) == 1


def test_a_notification_policy_is_stored_per_tenant(rules: AlertRuleRepository) -> None:
    # Given a policy with a Slack channel stored for one tenant
    policy = NotificationPolicy.model_validate(
        {"channels": [{"id": "ops", "type": "slack", "secret": "ssm:/vigil/notify/ops"}], "send_resolved": False}
    )
    rules.put_notification_policy(TENANT, policy)
    # Then it reads back as stored, and another tenant has none
    assert rules.get_notification_policy(TENANT) == policy
    assert rules.get_notification_policy("other") is None


def test_an_escalation_policy_is_stored_per_tenant(rules: AlertRuleRepository) -> None:
    # Given an escalation policy with business hours stored for one tenant
    policy = EscalationPolicy.model_validate(
        {
            "levels": {"critical": [{"targets": ["pagerduty"], "after": "2m"}]},
            "repeat": 3,
            "business_hours": {"timezone": "Europe/Berlin", "days": ["mon", "tue"]},
        }
    )
    rules.put_escalation_policy(TENANT, policy)
    # Then it reads back as stored, and another tenant has none
    assert rules.get_escalation_policy(TENANT) == policy
    assert rules.get_escalation_policy("other") is None
