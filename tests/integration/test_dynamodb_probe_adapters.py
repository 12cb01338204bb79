"""The monitor, probe-store and probe-queue adapters on moto: the guarantees probe runs rely on."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber
from moto import mock_aws

from vigil_core.adapters.dynamodb_monitors import DynamoDbMonitorRepository
from vigil_core.adapters.dynamodb_probes import DynamoDbProbeStore
from vigil_core.adapters.sqs_probes import SqsShardQueue, SqsTransitionPublisher
from vigil_core.errors import VigilError
from vigil_core.models.monitors import MONITOR_DEFINITION, Monitor
from vigil_core.models.probes import CodeSyncState, MonitorKey, ProbeResult, ProbeShard, TransitionEvent
from vigil_core.ports import StoreUnavailableError
from vigil_core.probes.observations import CheckStatus
from vigil_core.probes.verdicts import MonitorState, MonitorStatus

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import KeySchemaElementTypeDef

pytestmark = pytest.mark.integration
CREATED = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
HOUR = 1_795_338_000  # 2026-11-22T09:00:00Z
KEY = MonitorKey("acme", "api")


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
    key_schema: list[KeySchemaElementTypeDef] = [
        {"AttributeName": "pk", "KeyType": "HASH"},
        {"AttributeName": "sk", "KeyType": "RANGE"},
    ]
    client.create_table(
        TableName="config",
        BillingMode="PAY_PER_REQUEST",
        KeySchema=key_schema,
        AttributeDefinitions=[
            {"AttributeName": name, "AttributeType": "S"} for name in ("pk", "sk", "gsi1pk", "gsi1sk")
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "by-interval",
                "KeySchema": [
                    {"AttributeName": "gsi1pk", "KeyType": "HASH"},
                    {"AttributeName": "gsi1sk", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
    )
    for name in ("probes", "sla-windows"):
        client.create_table(
            TableName=name,
            BillingMode="PAY_PER_REQUEST",
            KeySchema=key_schema,
            AttributeDefinitions=[{"AttributeName": key, "AttributeType": "S"} for key in ("pk", "sk")],
        )
        client.update_time_to_live(
            TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires_at"}
        )
    return client


@pytest.fixture
def repository(dynamodb: Any) -> DynamoDbMonitorRepository:
    return DynamoDbMonitorRepository("config", client=dynamodb)


@pytest.fixture
def store(dynamodb: Any) -> DynamoDbProbeStore:
    return DynamoDbProbeStore("probes", "sla-windows", client=dynamodb)


@pytest.fixture
def sqs(aws: None) -> Any:
    return boto3.client("sqs", region_name="us-east-1")


def monitor(tenant: str = "acme", monitor_id: str = "api", token: str | None = None, **definition: Any) -> Monitor:
    if token is not None:
        body: dict[str, Any] = {"type": "heartbeat", "name": f"{monitor_id} beats", "interval": "5m", **definition}
    else:
        body = {"type": "http", "name": f"{monitor_id} health", "target": "https://example.com/health", **definition}
    return Monitor(
        tenant_id=tenant,
        id=monitor_id,
        definition=MONITOR_DEFINITION.validate_python(body),
        heartbeat_token=token,
        created_at=CREATED,
        updated_at=CREATED,
    )


def result(
    slot: int,
    status: CheckStatus = CheckStatus.UP,
    response_time_ms: float | None = 120.0,
    *,
    key: MonitorKey = KEY,
    in_maintenance: bool = False,
    transition: TransitionEvent | None = None,
    late_by_s: int = 2,
) -> ProbeResult:
    return ProbeResult(
        key=key,
        slot=slot,
        at=datetime.fromtimestamp(slot + late_by_s, UTC),
        check_status=status,
        monitor_status=MonitorStatus.UP if status is not CheckStatus.INCONCLUSIVE else None,
        response_time_ms=response_time_ms,
        reasons=("status 503",) if status is CheckStatus.DOWN else (),
        attempts=1,
        in_maintenance=in_maintenance,
        transition=transition,
    )


def state(version: int, slot: int) -> MonitorState:
    at = datetime.fromtimestamp(slot + 2, UTC)
    return MonitorState(MonitorStatus.UP, MonitorStatus.UP, 0, version, at, at, slot, version)


def transition(slot: int, current: MonitorStatus = MonitorStatus.DOWN) -> TransitionEvent:
    return TransitionEvent(
        tenant_id=KEY.tenant_id,
        monitor_id=KEY.monitor_id,
        monitor_name="api health",
        monitor_type="http",
        target="https://example.com/health",
        previous=MonitorStatus.UP,
        current=current,
        at=datetime.fromtimestamp(slot + 2, UTC),
        slot=slot,
        reasons=("status 503",),
        tags={"team": "core"},
    )


def record_in_order(store: DynamoDbProbeStore, *results: ProbeResult) -> None:
    for version, probe_result in enumerate(results, start=1):
        assert store.record(probe_result, state(version, probe_result.slot), expected_version=version - 1)


def hour_window(store: DynamoDbProbeStore, key: MonitorKey = KEY) -> dict[str, int | float]:
    [window] = store.windows(key, "hour", HOUR, HOUR + 3600)
    return window


# -- monitors -----------------------------------------------------------------------------------------


def test_a_monitor_round_trips_and_is_listed_under_its_tenant(repository: DynamoDbMonitorRepository) -> None:
    # Given monitors of two tenants, one with assertions, tags and a weekly maintenance window
    detailed = monitor(
        monitor_id="checkout",
        tags={"team": "payments"},
        expected_status=[200, "3xx"],
        assertions=[{"source": "json", "property": "$.ok", "operator": "eq", "target": True}],
        maintenance=[{"days": ["sun"], "start_time": "02:00", "duration": "2h", "timezone": "Europe/Berlin"}],
    )
    for each in (detailed, monitor(monitor_id="api"), monitor(tenant="globex", monitor_id="api")):
        repository.create(each)
    # When they are read back
    found = repository.get(MonitorKey("acme", "checkout"))
    listed = repository.list_for_tenant("acme")
    # Then the definition survives its JSON round trip and each tenant sees only its own, by id
    assert found == detailed
    assert [m.id for m in listed] == ["api", "checkout"]
    assert repository.get(MonitorKey("acme", "missing")) is None


def test_creating_a_monitor_twice_is_a_conflict_and_keeps_the_first(repository: DynamoDbMonitorRepository) -> None:
    # Given a stored monitor
    first = monitor()
    repository.create(first)
    # When another monitor with its id is created
    with pytest.raises(VigilError) as caught:
        repository.create(monitor(target="https://other.example.com/"))
    # Then it is refused with a 409 and the first one stays
    assert caught.value.status == 409
    assert "'api' already exists" in caught.value.message
    assert repository.get(KEY) == first


def test_replace_overwrites_and_delete_removes_every_item(repository: DynamoDbMonitorRepository, dynamodb: Any) -> None:
    # Given a stored monitor
    repository.create(monitor())
    # When it is replaced, then deleted
    replaced = monitor(name="renamed").model_copy(update={"updated_at": CREATED + timedelta(hours=1)})
    repository.replace(replaced)
    after_replace = repository.get(KEY)
    repository.delete(replaced)
    # Then the replacement was read back, and nothing is left behind
    assert after_replace == replaced
    assert repository.get(KEY) is None
    assert dynamodb.scan(TableName="config")["Items"] == []


def test_replacing_a_missing_monitor_is_not_found(repository: DynamoDbMonitorRepository) -> None:
    # Given no stored monitor, when one is replaced, then it is a 404 and nothing is written
    with pytest.raises(VigilError) as caught:
        repository.replace(monitor())
    assert caught.value.status == 404
    assert repository.get(KEY) is None


def test_heartbeat_tokens_follow_their_monitor(repository: DynamoDbMonitorRepository, dynamodb: Any) -> None:
    # Given a heartbeat monitor
    repository.create(monitor(token="hb_first"))
    assert repository.find_by_heartbeat_token("hb_first") == repository.get(KEY)
    # When its token changes
    repository.replace(monitor(token="hb_second"))
    # Then only the new token finds it
    assert repository.find_by_heartbeat_token("hb_first") is None
    found = repository.find_by_heartbeat_token("hb_second")
    assert found is not None and found.heartbeat_token == "hb_second"
    # When it becomes an HTTP monitor, then no token finds it and no token item is left
    repository.replace(monitor())
    assert repository.find_by_heartbeat_token("hb_second") is None
    assert [item["sk"]["S"] for item in dynamodb.scan(TableName="config")["Items"]] == ["MONITOR#api"]
    # When a heartbeat monitor is deleted, then its token item goes with it
    repository.replace(monitor(token="hb_third"))
    repository.delete(monitor(token="hb_third"))
    assert repository.find_by_heartbeat_token("hb_third") is None
    assert dynamodb.scan(TableName="config")["Items"] == []


def test_a_token_another_monitor_holds_is_refused(repository: DynamoDbMonitorRepository) -> None:
    # Given a heartbeat monitor holding a token
    repository.create(monitor(monitor_id="nightly", token="hb_shared"))
    # When another monitor is created with the same token
    with pytest.raises(VigilError) as caught:
        repository.create(monitor(monitor_id="hourly", token="hb_shared"))
    # Then it is refused as a whole: neither the monitor nor a new token owner was written
    assert caught.value.status == 409
    assert repository.get(MonitorKey("acme", "hourly")) is None
    found = repository.find_by_heartbeat_token("hb_shared")
    assert found is not None and found.id == "nightly"


def test_scheduled_lists_enabled_monitors_of_one_interval_in_key_order(repository: DynamoDbMonitorRepository) -> None:
    # Given monitors across tenants ("a" before "a-b", as MonitorKey orders them), one disabled, one every 5 m
    for tenant, monitor_id in (("a-b", "web"), ("acme", "api"), ("ab", "db"), ("ab", "api")):
        repository.create(monitor(tenant=tenant, monitor_id=monitor_id))
    repository.create(monitor(tenant="ab", monitor_id="off", enabled=False))
    repository.create(monitor(tenant="ab", monitor_id="slow", interval="5m"))
    # When the one-minute schedule asks for its monitors
    scheduled = repository.scheduled(60)
    # Then it gets the enabled one-minute monitors, ordered by tenant, then id
    keys = [MonitorKey(m.tenant_id, m.id) for m in scheduled]
    assert keys == sorted(keys)
    assert keys == [
        MonitorKey("a-b", "web"),
        MonitorKey("ab", "api"),
        MonitorKey("ab", "db"),
        MonitorKey("acme", "api"),
    ]
    assert [m.id for m in repository.scheduled(300)] == ["slow"]
    # When a monitor is disabled, then it leaves the schedule
    repository.replace(monitor(tenant="ab", monitor_id="db", enabled=False))
    assert MonitorKey("ab", "db") not in [MonitorKey(m.tenant_id, m.id) for m in repository.scheduled(60)]


def test_get_many_keeps_the_order_given_and_leaves_out_missing_monitors(
    repository: DynamoDbMonitorRepository,
) -> None:
    # Given more monitors than one BatchGetItem reads
    ids = [f"m{index:03d}" for index in range(130)]
    for monitor_id in ids:
        repository.create(monitor(monitor_id=monitor_id))
    # When they are asked for in reverse order, with a missing one and a repeat among them
    asked = [MonitorKey("acme", monitor_id) for monitor_id in reversed(ids)]
    asked.insert(5, MonitorKey("acme", "deleted"))
    asked.append(MonitorKey("acme", "m000"))
    found = repository.get_many(asked)
    # Then each existing monitor comes once, in the order asked
    assert [m.id for m in found] == list(reversed(ids))


def test_code_sync_state_round_trips(repository: DynamoDbMonitorRepository) -> None:
    # Given monitors.yaml never applied, when syncs are noted, then the last one is read back
    assert repository.code_sync_state() is None
    first = CodeSyncState("digest-1", (MonitorKey("acme", "api"), MonitorKey("a-b", "web")))
    repository.set_code_sync_state(first)
    assert repository.code_sync_state() == first
    repository.set_code_sync_state(CodeSyncState("digest-2", ()))
    assert repository.code_sync_state() == CodeSyncState("digest-2", ())


# -- probe store --------------------------------------------------------------------------------------


def test_record_stores_state_result_and_windows_with_their_expiry(store: DynamoDbProbeStore, dynamodb: Any) -> None:
    # Given a monitor never judged
    slot = HOUR + 120
    event = transition(slot)
    # When its first result is recorded
    recorded = store.record(result(slot, transition=event), state(1, slot), expected_version=0)
    # Then state, result and its minute, hour and day windows are stored
    assert recorded
    stored = store.load_states([KEY])[KEY]
    assert stored.state == state(1, slot)
    assert store.results(KEY, datetime.fromtimestamp(slot, UTC), datetime.fromtimestamp(slot + 60, UTC)) == [
        result(slot, transition=event)
    ]
    window = hour_window(store)
    assert (window["start"], window["total"], window["good"], window["latency_count"]) == (HOUR, 1, 1, 1)
    assert window["latency_sum_ms"] == 120.0
    assert window["lb08"] == 1  # 120 ms lies in (100, 150]
    [day] = store.windows(KEY, "day", HOUR - 9 * 3600, HOUR + 15 * 3600)
    assert (day["start"], day["total"]) == (HOUR - 9 * 3600, 1)
    assert store.windows(KEY, "day", HOUR, HOUR + 3600) == []  # no day starts within that hour
    # And each item expires after its own retention
    expiry = {
        item["sk"]["S"]: int(item["expires_at"]["N"])
        for table in ("probes", "sla-windows")
        for item in dynamodb.scan(TableName=table)["Items"]
        if "expires_at" in item
    }
    assert expiry == {
        f"R#{slot:010d}": slot + 7 * 86400,
        f"M#{slot:010d}": slot + 4 * 86400,  # minutes serve burn-rate alerts only
        f"H#{HOUR:010d}": HOUR + 100 * 86400,
        "D#2026-11-22": HOUR - 9 * 3600 + 800 * 86400,
    }
    [minute] = store.windows(KEY, "minute", slot, slot + 60)
    assert (minute["start"], minute["total"], minute["good"]) == (slot, 1, 1)


def test_a_version_conflict_writes_nothing(store: DynamoDbProbeStore) -> None:
    # Given a state another run has moved to version 1
    record_in_order(store, result(HOUR))
    before = hour_window(store)
    # When a run that still saw version 0 records the next slot, with a transition
    late = result(HOUR + 60, CheckStatus.DOWN, transition=transition(HOUR + 60))
    recorded = store.record(late, state(1, HOUR + 60), expected_version=0)
    # Then nothing of it was written: state, result, windows and outbox are as before
    assert not recorded
    stored = store.load_states([KEY])[KEY]
    assert stored.state == state(1, HOUR)
    assert stored.pending_transitions == ()
    assert [
        r.slot for r in store.results(KEY, datetime.fromtimestamp(HOUR, UTC), datetime.fromtimestamp(HOUR + 3600, UTC))
    ] == [HOUR]
    assert hour_window(store) == before


def test_a_record_repeated_with_the_same_version_counts_once(store: DynamoDbProbeStore) -> None:
    # Given a recorded result
    first = result(HOUR)
    assert store.record(first, state(1, HOUR), expected_version=0)
    # When the same record is made again (a redelivered shard, a retried invocation)
    again = store.record(first, state(1, HOUR), expected_version=0)
    # Then it is refused and the windows count the slot once
    assert not again
    assert (hour_window(store)["total"], hour_window(store)["latency_count"]) == (1, 1)


def test_window_counters_by_outcome_and_latency_bucket(store: DynamoDbProbeStore) -> None:
    # Given one result of each kind in one hour
    record_in_order(
        store,
        result(HOUR, CheckStatus.UP, 0.5),
        result(HOUR + 60, CheckStatus.DEGRADED, 2.5),
        result(HOUR + 120, CheckStatus.DOWN, None),
        result(HOUR + 180, CheckStatus.INCONCLUSIVE, None),
        result(HOUR + 240, CheckStatus.DOWN, 70_000.0, in_maintenance=True),
    )
    # When the hour is read
    window = hour_window(store)
    # Then maintenance and inconclusive results stay out of the SLA's total, and latencies are bucketed
    counts = {name: window[name] for name in ("total", "good", "degraded", "down", "maintenance", "inconclusive")}
    assert counts == {"total": 3, "good": 2, "degraded": 1, "down": 1, "maintenance": 1, "inconclusive": 1}
    assert (window["latency_count"], window["latency_sum_ms"]) == (3, 70_003.0)
    buckets = {name: count for name, count in window.items() if name.startswith("lb") and count}
    assert buckets == {"lb00": 1, "lb01": 1, "lb19": 1}  # ≤ 1 ms, ≤ 2.5 ms (bounds inclusive), > 60 s


def test_pending_transitions_stay_until_cleared(store: DynamoDbProbeStore, dynamodb: Any) -> None:
    # Given two recorded transitions not yet handed on
    down, up = transition(HOUR, MonitorStatus.DOWN), transition(HOUR + 60, MonitorStatus.UP)
    record_in_order(store, result(HOUR, CheckStatus.DOWN, transition=down), result(HOUR + 60, transition=up))
    assert store.load_states([KEY])[KEY].pending_transitions == (down, up)
    # When the first is cleared
    store.clear_pending(KEY, [down.event_id])
    # Then only the second is pending, and the state is untouched
    stored = store.load_states([KEY])[KEY]
    assert stored.pending_transitions == (up,)
    assert stored.state.version == 2
    # When the rest is cleared, also for a monitor without state
    store.clear_pending(KEY, [up.event_id, down.event_id])
    store.clear_pending(MonitorKey("acme", "gone"), ["acme:gone:1"])
    # Then nothing is pending and no item was made for the stateless monitor
    assert store.load_states([KEY])[KEY].pending_transitions == ()
    assert [
        item["sk"]["S"] for item in dynamodb.scan(TableName="probes")["Items"] if item["pk"]["S"] == "acme#gone"
    ] == []


def test_a_heartbeat_does_not_move_the_version(store: DynamoDbProbeStore) -> None:
    # Given a heartbeat before the monitor was ever judged
    first_beat = datetime.fromtimestamp(HOUR - 30, UTC)
    store.record_beat(KEY, first_beat)
    assert store.load_states([KEY])[KEY].state.version == 0
    # When its first result is recorded, and another beat comes
    assert store.record(result(HOUR), state(1, HOUR), expected_version=0)
    second_beat = datetime.fromtimestamp(HOUR + 30, UTC)
    store.record_beat(KEY, second_beat)
    # Then the beat is kept beside the state, whose version only records move
    stored = store.load_states([KEY])[KEY]
    assert (stored.last_beat_at, stored.state.version) == (second_beat, 1)
    assert store.record(result(HOUR + 60), state(2, HOUR + 60), expected_version=1)
    assert store.load_states([KEY])[KEY].last_beat_at == second_beat


def test_results_are_those_finished_in_the_range_newest_first(store: DynamoDbProbeStore) -> None:
    # Given results a minute apart, the last one finished ten minutes after its slot
    slots = [HOUR + 60 * index for index in range(5)]
    record_in_order(store, *(result(slot) for slot in slots[:4]), result(slots[4], late_by_s=600))
    # When a range is asked for
    since = datetime.fromtimestamp(slots[1] + 2, UTC)
    until = datetime.fromtimestamp(slots[3] + 2, UTC)
    # Then the results whose check finished in it come, newest first, bounds included
    assert [r.slot for r in store.results(KEY, since, until)] == [slots[3], slots[2], slots[1]]
    # And a result that finished late is found by when it finished, not by its slot
    late_since = datetime.fromtimestamp(slots[4] + 300, UTC)
    assert [r.slot for r in store.results(KEY, late_since, late_since + timedelta(hours=1))] == [slots[4]]


def test_load_states_reads_many_keys_and_gives_fresh_states_for_unknown_ones(store: DynamoDbProbeStore) -> None:
    # Given two judged monitors among many more than one BatchGetItem reads
    keys = [MonitorKey("acme", f"m{index:03d}") for index in range(150)]
    for key in (keys[0], keys[140]):
        assert store.record(result(HOUR, key=key), state(1, HOUR), expected_version=0)
    # When all states are loaded
    states = store.load_states(keys)
    # Then every key has one, fresh where never judged
    assert list(states) == keys
    assert {key for key, stored in states.items() if stored.state.version == 1} == {keys[0], keys[140]}
    assert states[keys[1]].state == MonitorState()


def test_delete_state_forgets_the_state_and_leaves_history_to_expire(store: DynamoDbProbeStore) -> None:
    # Given a judged monitor
    record_in_order(store, result(HOUR))
    # When its state is deleted
    store.delete_state(KEY)
    # Then it starts afresh, while its results stay until they expire
    assert store.load_states([KEY])[KEY].state == MonitorState()
    assert len(store.results(KEY, datetime.fromtimestamp(HOUR, UTC), datetime.fromtimestamp(HOUR + 60, UTC))) == 1


def test_a_transaction_conflict_is_retried(store: DynamoDbProbeStore, dynamodb: Any) -> None:
    # Given storage that cancels the first transaction because another write touched the state item
    calls = {"n": 0}

    def conflict_once(**_: Any) -> None:
        calls["n"] += 1
        if calls["n"] == 1:
            error = {"Error": {"Code": "TransactionCanceledException", "Message": "injected"}}
            reasons = [{"Code": "TransactionConflict"}, {"Code": "None"}, {"Code": "None"}, {"Code": "None"}]
            raise ClientError({**error, "CancellationReasons": reasons}, "TransactWriteItems")  # type: ignore[typeddict-item]

    dynamodb.meta.events.register("before-call.dynamodb.TransactWriteItems", conflict_once)
    # When a result is recorded
    recorded = store.record(result(HOUR), state(1, HOUR), expected_version=0)
    # Then the second attempt lands it
    assert recorded and calls["n"] == 2
    assert store.load_states([KEY])[KEY].state.version == 1


def test_other_failures_raise_store_unavailable(store: DynamoDbProbeStore, dynamodb: Any) -> None:
    # Given storage that fails every transaction, when a result is recorded, then the store is unavailable
    def fail(**_: Any) -> None:
        raise ClientError({"Error": {"Code": "InternalServerError", "Message": "injected"}}, "TransactWriteItems")

    dynamodb.meta.events.register("before-call.dynamodb.TransactWriteItems", fail)
    with pytest.raises(StoreUnavailableError):
        store.record(result(HOUR), state(1, HOUR), expected_version=0)


# -- queues -------------------------------------------------------------------------------------------


def test_shards_are_queued_in_batches_with_their_delay(sqs: Any) -> None:
    # Given more shards than one SendMessageBatch takes
    url = sqs.create_queue(QueueName="shards")["QueueUrl"]
    shards = [ProbeShard(30, HOUR + 30, (MonitorKey("acme", f"m{index}"),), index, 12) for index in range(12)]
    # When they are queued to run 30 s later
    SqsShardQueue(url, client=sqs).send(shards, delay_s=30)
    # Then all of them wait, delayed, and none is visible yet
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attributes["ApproximateNumberOfMessagesDelayed"] == "12"
    assert sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []) == []


def test_shards_queued_without_delay_arrive_whole(sqs: Any) -> None:
    # Given a shard queued at once, when it is received, then it is the shard sent
    url = sqs.create_queue(QueueName="shards")["QueueUrl"]
    shards = [ProbeShard(60, HOUR, (MonitorKey("acme", "api"), MonitorKey("a-b", "web")), 0, 1)]
    SqsShardQueue(url, client=sqs).send(shards)
    [message] = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert ProbeShard.from_json(message["Body"]) == shards[0]


def test_transitions_are_published_with_their_attributes(sqs: Any) -> None:
    # Given eleven transitions (two batches)
    url = sqs.create_queue(QueueName="transitions")["QueueUrl"]
    events = [transition(HOUR + 60 * index) for index in range(11)]
    # When they are published
    SqsTransitionPublisher(url, client=sqs).publish(events)
    # Then each arrives as its JSON, with tenant, monitor and new state as message attributes
    received: list[dict[str, Any]] = []
    while batch := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]).get(
        "Messages"
    ):
        received.extend(batch)
        sqs.delete_message_batch(
            QueueUrl=url, Entries=[{"Id": m["MessageId"], "ReceiptHandle": m["ReceiptHandle"]} for m in batch]
        )
    assert sorted((TransitionEvent.from_json(m["Body"]) for m in received), key=lambda e: e.slot) == events
    attributes = {name: value["StringValue"] for name, value in received[0]["MessageAttributes"].items()}
    assert attributes == {"tenant_id": "acme", "monitor_id": "api", "current": "DOWN"}
    assert json.loads(received[0]["Body"])["kind"] == "monitor.transition"


def _refusing_client(failed_ids: list[str]) -> Any:
    client = boto3.client("sqs", region_name="us-east-1")
    stubber = Stubber(client)
    stubber.add_response(
        "send_message_batch",
        {
            "Successful": [],
            "Failed": [
                {"Id": entry_id, "SenderFault": False, "Code": "InternalError", "Message": "try again"}
                for entry_id in failed_ids
            ],
        },
    )
    stubber.activate()
    return client


def test_queues_raise_naming_the_entries_sqs_refused() -> None:
    # Given SQS refusing one entry of a batch, when shards or transitions are sent, then the error names it
    url = "https://sqs.us-east-1.amazonaws.com/123456789012/q"
    shards = [ProbeShard(60, HOUR, (KEY,), index, 2) for index in range(2)]
    with pytest.raises(RuntimeError, match=r"1 of 2 shards were not queued: shard 2/2 of slot \d+ .*InternalError"):
        SqsShardQueue(url, client=_refusing_client(["1"])).send(shards)
    events = [transition(HOUR), transition(HOUR + 60)]
    with pytest.raises(RuntimeError, match=f"1 of 2 transitions were not sent: {events[0].event_id}: InternalError"):
        SqsTransitionPublisher(url, client=_refusing_client(["0"])).publish(events)
