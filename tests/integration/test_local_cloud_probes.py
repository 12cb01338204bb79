"""Probes end to end on the local cloud: monitors over the API and as code, scheduled runs through the real
schedule rules, shards through SQS to workers, heartbeats, transitions handed on, results and SLA windows.

Time is the slot each schedule firing carries, chosen by the test: no sleeps wait for thresholds.

The `backend` fixture decides where the stack runs: the embedded moto here; tests/localstack overrides it to
deploy the stack through LocalStack's CloudFormation and runs these same scenarios."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import httpx
import pytest
import yaml

from tests.servers.http_server import ControllableHttpServer
from tests.support import ROOT
from vigil_cli.bootstrap import create_demo_tenant
from vigil_cli.local.cloud import LocalCloud
from vigil_cli.local.synth import synth_context, synthesize
from vigil_core.adapters.dynamodb_tenants import DynamoDBTenantDirectory
from vigil_core.models.tenants import SlaTier
from vigil_core.services.tenants import create_tenant

pytestmark = pytest.mark.integration

SHARD_SIZE = 3


@pytest.fixture(scope="module")
def target() -> Iterator[ControllableHttpServer]:
    with ControllableHttpServer() as server:
        server.route("/canary", body="ok")
        server.route("/code", body='{"status": "UP"}')
        yield server


@pytest.fixture(scope="module")
def backend() -> dict[str, Any]:
    """LocalCloud's options saying where the stack runs: none, the embedded moto."""
    return {}


@pytest.fixture(scope="module")
def cloud(
    tmp_path_factory: pytest.TempPathFactory, target: ControllableHttpServer, backend: dict[str, Any]
) -> Iterator[LocalCloud]:
    """The stack with one monitor as code, a canary on 127.0.0.1 and shards of three monitors."""
    state_dir = tmp_path_factory.mktemp("probes-cloud")
    monitors_file = state_dir / "monitors.yaml"
    code_monitor = {"tenant": "demo", "id": "code-health", "name": "Code health", "type": "http"}
    code_monitor |= {"target": target.url("/code"), "interval": "15m", "conditions": ["[BODY].status == UP"]}
    monitors_file.write_text(yaml.safe_dump({"monitors": [code_monitor]}))
    probes = dict(synth_context(ROOT)["vigil:probes"])
    probes |= {"canaryUrl": target.url("/canary"), "maxShardSize": SHARD_SIZE}
    context = {"vigil:probes": probes, "vigil:monitorsFile": str(monitors_file)}
    template = synthesize(state_dir / "cdk.out", repo_root=ROOT, context=context)
    with LocalCloud(
        template, state_dir=state_dir, start_schedules=False, start_pollers=False, start_sweeper=False, **backend
    ) as running:
        yield running


@pytest.fixture(scope="module")
def key(cloud: LocalCloud) -> str:
    return create_demo_tenant(cloud).api_key


@pytest.fixture
def api(cloud: LocalCloud, key: str) -> Iterator[httpx.Client]:
    assert cloud.api_url is not None
    with httpx.Client(base_url=cloud.api_url, timeout=30, headers={"x-api-key": key}) as client:
        yield client


def fire(cloud: LocalCloud, interval_label: str, at: datetime, *, drain: bool = True) -> Any:
    """Fire the interval class's schedule rule as EventBridge would at `at`, through its input transformer;
    then let the workers run the shards it queued (more than three monitors are due)."""
    [rule] = [r for r in cloud.scheduler.rules if r.logical_id.startswith(f"ProbesEvery{interval_label}")]
    [rule_target] = rule.targets
    event = rule_target.event_for(cloud.scheduler.scheduled_event(rule, at))
    report = cloud.functions.invoke(rule_target.function.logical_id, event)
    if drain:
        drain_shards(cloud)
    return report


def drain_shards(cloud: LocalCloud) -> int:
    """Run the probe workers until the shard queue is empty (the transitions stay queued for the tests)."""
    workers = [poller for poller in cloud.pollers if poller.mapping.function.short_name == "probe-worker"]
    runs = 0
    while [record for record in (poller.poll_once() for poller in workers) if record is not None]:
        runs += 1
    return runs


def transitions(cloud: LocalCloud) -> list[dict[str, Any]]:
    sqs = boto3.client("sqs", endpoint_url=cloud.backend_url, region_name="us-east-1")
    url = cloud.functions.get("probe-scheduler").environment["PROBE_TRANSITIONS_QUEUE_URL"]
    events = []
    while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        for message in messages:
            events.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return events


def state_of(api: httpx.Client, monitor_id: str) -> dict[str, Any]:
    response = api.get(f"/v1/monitors/{monitor_id}")
    assert response.status_code == 200, response.text
    state: dict[str, Any] = response.json()["state"]
    return state


def slot_times(start: datetime, count: int, step: timedelta = timedelta(minutes=1)) -> list[datetime]:
    return [start + step * index for index in range(count)]


# Slots in the recent past, so results fall inside the results API's window; later tests use later slots.
BASE = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=30)


def test_monitors_are_created_read_replaced_and_deleted_over_http(api: httpx.Client) -> None:
    # Given a valid HTTP monitor definition
    body = {"name": "Checkout", "type": "http", "target": "https://shop.example/health", "interval": "5m"}
    # When it is posted, listed, read, replaced and deleted
    created = api.post("/v1/monitors", json=body)
    assert created.status_code == 201, created.text
    assert created.json()["id"] == "checkout" and created.json()["failure_threshold"] == 3
    assert created.headers["Location"] == "/v1/monitors/checkout"
    listed = api.get("/v1/monitors").json()["monitors"]
    assert "checkout" in [m["id"] for m in listed]
    replaced = api.put("/v1/monitors/checkout", json={**body, "interval": "1m", "enabled": False})
    assert replaced.status_code == 200 and replaced.json()["interval"] == 60 and not replaced.json()["enabled"]
    # Then a second create of the same id conflicts, and after the delete it is gone
    assert api.post("/v1/monitors", json=body).status_code == 409
    assert api.delete("/v1/monitors/checkout").status_code == 204
    assert api.get("/v1/monitors/checkout").status_code == 404


def test_a_bad_definition_is_refused_with_each_field_and_reason(api: httpx.Client) -> None:
    # Given a definition with a bad target, interval and regex
    body = {"name": "x", "type": "http", "target": "ftp://x", "interval": "7m", "body_regex": "("}
    # When it is posted
    response = api.post("/v1/monitors", json=body)
    # Then it is refused with each field named, and nothing was stored
    assert response.status_code == 400
    fields = {problem["field"] for problem in response.json()["errors"]}
    assert fields == {"target", "interval", "body_regex"}
    assert api.get("/v1/monitors/x").status_code == 404
    assert api.post("/v1/monitors", content=b"{", headers={"content-type": "application/json"}).status_code == 400
    assert api.post("/v1/monitors", json={"name": "no type"}).json()["errors"][0]["field"] == "type"


def test_monitors_are_tenant_scoped(cloud: LocalCloud, api: httpx.Client) -> None:
    # Given a monitor of the demo tenant and another tenant's key
    api.post("/v1/monitors", json={"name": "Private", "type": "tcp", "target": "db.internal:5432"})
    directory = DynamoDBTenantDirectory(cloud.functions.get("monitors").environment["CONFIG_TABLE_NAME"])
    other = create_tenant(directory, "initech", "Initech", SlaTier.BASIC, datetime.now(UTC))[1].plaintext
    # When the other tenant reads it, lists, or tries to delete it
    headers = {"x-api-key": other}
    # Then it does not exist for them
    assert api.get("/v1/monitors/private", headers=headers).status_code == 404
    assert api.get("/v1/monitors", headers=headers).json()["monitors"] == []
    assert api.delete("/v1/monitors/private", headers=headers).status_code == 404
    assert api.get("/v1/monitors/private").status_code == 200
    assert api.get("/v1/monitors", headers={"x-api-key": "vgl_nope"}).status_code == 401
    api.delete("/v1/monitors/private")


def test_monitors_yaml_is_applied_by_the_scheduler_and_is_read_only_through_the_api(
    cloud: LocalCloud, api: httpx.Client
) -> None:
    # Given the stack deployed with one monitor in monitors.yaml
    # When its interval class fires for the first time
    fire(cloud, "15m", BASE)
    # Then the monitor exists, managed by code, already checked UP
    monitor = api.get("/v1/monitors/code-health").json()
    assert monitor["managed_by"] == "code" and monitor["state"]["status"] == "UP"
    # And the API refuses to change or delete it
    body = {"name": "Code health", "type": "http", "target": "http://127.0.0.1:1/"}
    assert api.put("/v1/monitors/code-health", json=body).status_code == 409
    assert api.delete("/v1/monitors/code-health").status_code == 409


def test_a_failing_target_goes_pending_then_down_then_recovers_and_only_real_transitions_are_handed_on(
    cloud: LocalCloud, api: httpx.Client, target: ControllableHttpServer
) -> None:
    # Given a 1-minute monitor of a healthy target (failure threshold 3, success threshold 2)
    target.route("/shop", body="ok")
    api.post("/v1/monitors", json={"name": "Shop", "type": "http", "target": target.url("/shop"), "timeout": 2})
    transitions(cloud)  # start from an empty queue
    slots = iter(slot_times(BASE, 8))
    fire(cloud, "1m", next(slots))
    assert state_of(api, "shop")["status"] == "UP"
    # When the target starts failing
    target.route("/shop", status=503, body="maintenance")
    seen = []
    for _ in range(3):
        fire(cloud, "1m", next(slots))
        seen.append(state_of(api, "shop")["status"])
    # Then one failure is a doubt, three are an outage
    assert seen == ["PENDING", "PENDING", "DOWN"]
    # And when it recovers, two successes bring it back
    target.route("/shop", body="ok")
    recovered = []
    for _ in range(2):
        fire(cloud, "1m", next(slots))
        recovered.append(state_of(api, "shop")["status"])
    assert recovered == ["DOWN", "UP"]
    # And exactly two transitions were handed on: PENDING → DOWN and DOWN → UP
    handed_on = [(e["monitor_id"], e["previous"], e["current"]) for e in transitions(cloud)]
    assert handed_on == [("shop", "PENDING", "DOWN"), ("shop", "DOWN", "UP")]
    # And the results API shows every check with its reason, newest first
    results = api.get("/v1/monitors/shop/results", params={"hours": 1}).json()["results"]
    assert [r["monitor_status"] for r in results][:3] == ["UP", "DOWN", "DOWN"]
    assert any("503" in reason for r in results for reason in r["reasons"])
    assert api.get("/v1/monitors/shop/results", params={"hours": 500}).status_code == 400


def test_a_run_whose_canary_is_unreachable_is_inconclusive_and_changes_nothing(
    cloud: LocalCloud, api: httpx.Client, target: ControllableHttpServer
) -> None:
    # Given a DOWN-prone monitor of a failing target, and the probe's canary timing out
    target.route("/flaky", status=500)
    api.post("/v1/monitors", json={"name": "Flaky", "type": "http", "target": target.url("/flaky"), "timeout": 2})
    target.route("/canary", body="ok", delay_s=6)
    try:
        # When runs happen while the probe has no network
        for slot in slot_times(BASE + timedelta(minutes=10), 3):
            fire(cloud, "1m", slot)
    finally:
        target.route("/canary", body="ok")
    # Then the results say inconclusive, and the monitor was never judged
    results = api.get("/v1/monitors/flaky/results", params={"hours": 168}).json()["results"]
    assert {r["check_status"] for r in results} == {"inconclusive"}
    assert "canary" in results[0]["reasons"][0]
    assert state_of(api, "flaky")["status"] is None


def test_many_due_monitors_are_sharded_across_worker_invocations(
    cloud: LocalCloud, api: httpx.Client, target: ControllableHttpServer
) -> None:
    # Given seven 5-minute monitors and shards of at most three
    target.route("/fleet", body="ok")
    for number in range(7):
        body = {"name": f"Fleet {number}", "type": "http", "target": target.url("/fleet"), "interval": "5m"}
        assert api.post("/v1/monitors", json=body).status_code == 201
    before = target.request_count("/fleet")
    # When the 5-minute class fires
    report = fire(cloud, "5m", BASE, drain=False)
    # Then the scheduler queued three shards instead of running them, and three worker runs checked all seven
    assert report["monitors"] == 7 and report["shards_queued"] == 3 and report["ran_inline"] is None
    assert drain_shards(cloud) == 3
    assert target.request_count("/fleet") - before == 7
    assert {state_of(api, f"fleet-{n}")["status"] for n in range(7)} == {"UP"}
    # And a redelivered shard changes nothing: each slot is applied once
    fire(cloud, "5m", BASE)
    assert target.request_count("/fleet") - before == 7


def test_a_heartbeat_monitor_goes_down_without_beats_and_up_with_one(cloud: LocalCloud, api: httpx.Client) -> None:
    # Given a heartbeat monitor expecting a beat every minute with 30 s grace
    created = api.post("/v1/monitors", json={"name": "Nightly", "type": "heartbeat", "interval": "1m", "grace": "30s"})
    path = created.json()["heartbeat_url_path"]
    # When it beats (without an API key, by its token alone)
    with httpx.Client(base_url=api.base_url) as anonymous:
        beat = anonymous.post(path)
        assert beat.status_code == 200, beat.text
        assert anonymous.get("/v1/heartbeats/hb_unknown").status_code == 404
    beat_at = datetime.fromisoformat(beat.json()["received_at"])
    # Then a run within interval + grace finds it UP, and one after finds it DOWN
    fire(cloud, "1m", beat_at + timedelta(seconds=60))
    assert state_of(api, "nightly")["status"] == "UP"
    fire(cloud, "1m", beat_at + timedelta(seconds=180))
    assert state_of(api, "nightly")["status"] == "DOWN"
    [down] = [event for event in transitions(cloud) if event["monitor_id"] == "nightly"]
    assert down["current"] == "DOWN" and "last heartbeat" in down["reasons"][0]


def test_each_result_counts_in_the_sla_windows(
    cloud: LocalCloud, api: httpx.Client, target: ControllableHttpServer
) -> None:
    # Given a monitor checked three times: up, down, up
    target.route("/sla", body="ok")
    api.post("/v1/monitors", json={"name": "SLA", "type": "http", "target": target.url("/sla"), "timeout": 2})
    start = datetime.now(UTC).replace(minute=10, second=0, microsecond=0) - timedelta(hours=1)  # one hour
    for minute, status in enumerate((200, 503, 200)):
        target.route("/sla", status=status)
        fire(cloud, "1m", start + timedelta(minutes=minute))
    # When the SLA windows table is read for that hour and day
    table = boto3.resource("dynamodb", endpoint_url=cloud.backend_url, region_name="us-east-1").Table(
        cloud.functions.get("probe-scheduler").environment["SLA_WINDOWS_TABLE_NAME"]
    )
    hour_start = int(start.replace(minute=0).timestamp())
    hour = table.get_item(Key={"pk": "demo#sla", "sk": f"H#{hour_start:010d}"})["Item"]
    day = table.get_item(Key={"pk": "demo#sla", "sk": f"D#{start.date().isoformat()}"})["Item"]
    # Then both count three checks, two good
    assert (hour["total"], hour["good"], hour["down"]) == (3, 2, 1)
    assert (day["total"], day["good"]) == (3, 2)
    assert hour["latency_count"] == 3
