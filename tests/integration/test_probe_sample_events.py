"""The probe sample events in events/ run through the deployed functions, as `vigil local invoke FUNCTION
events/NAME.json` runs them on a running local cloud: the monitors API, a heartbeat, a scheduled run and a
worker's shard.

The stack is synthesized without monitors as code and without a connectivity canary, so nothing here reaches
beyond 127.0.0.1: the sample monitor checks the demo service's port there (`vigil local up` serves it; here,
most likely, nothing answers), and the one-minute run only judges a heartbeat monitor.

The `backend` fixture decides where the stack runs: the embedded moto here; tests/localstack overrides it."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.support import ROOT, load_event
from vigil_cli.bootstrap import DEMO_TENANT_ID, create_demo_tenant
from vigil_cli.local.cloud import LocalCloud
from vigil_cli.local.synth import synth_context, synthesize
from vigil_core.adapters.dynamodb_monitors import DynamoDbMonitorRepository
from vigil_core.models.monitors import HeartbeatMonitor, Monitor

pytestmark = pytest.mark.integration

SAMPLE_MONITOR_ID = "checkout-health"
SAMPLE_HEARTBEAT_TOKEN = "hb_sample-token-used-only-by-the-sample-events"
SAMPLE_SLOT = "2026-11-22T18:00:00+00:00"  # the time the scheduler and worker samples were scheduled for
URL = re.compile(r"[a-z][a-z0-9+.-]*://[^\s\"\\]+")
ALL_SAMPLES = (
    "monitors_post_monitor",
    "monitors_get_results",
    "heartbeat_post_beat",
    "probe_scheduler_every_1m",
    "probe_worker_shard",
)


@pytest.fixture(scope="module")
def backend() -> dict[str, Any]:
    """LocalCloud's options saying where the stack runs: none, the embedded moto."""
    return {}


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory, backend: dict[str, Any]) -> Iterator[LocalCloud]:
    """The stack with no monitors as code and no canary; the demo tenant holds the sample events' key."""
    state_dir = tmp_path_factory.mktemp("probe-samples-cloud")
    probes = {**synth_context(ROOT)["vigil:probes"], "canaryUrl": ""}
    context = {"vigil:probes": probes, "vigil:monitorsFile": ""}
    template = synthesize(state_dir / "cdk.out", repo_root=ROOT, context=context)
    with LocalCloud(
        template, state_dir=state_dir, start_schedules=False, start_pollers=False, start_sweeper=False, **backend
    ) as running:
        create_demo_tenant(running)
        yield running


def body_of(response: dict[str, Any]) -> Any:
    return json.loads(response["body"]) if response.get("body") else None


def test_the_probe_sample_events_name_no_target_beyond_this_machine() -> None:
    # Given every probe sample event, and the monitor the create sample defines
    urls = {name: URL.findall(json.dumps(load_event(name))) for name in ALL_SAMPLES}
    monitor = json.loads(load_event("monitors_post_monitor")["body"])
    # Then every URL in them is on 127.0.0.1, the monitor's target included
    assert monitor["target"] in urls["monitors_post_monitor"]
    assert {url for found in urls.values() for url in found if not url.startswith("http://127.0.0.1:")} == set()


def test_the_monitor_samples_create_a_monitor_and_read_its_results(cloud: LocalCloud) -> None:
    # Given the running cloud, whose demo tenant holds the sample events' key
    # When the create sample is invoked on the monitors function, then the results sample
    created = cloud.functions.invoke("monitors", load_event("monitors_post_monitor"))
    results = cloud.functions.invoke("monitors", load_event("monitors_get_results"))
    # Then the monitor is created for the demo tenant, where the API would say
    assert created["statusCode"] == 201, created["body"]
    monitor = body_of(created)
    assert (monitor["id"], monitor["type"], monitor["interval"]) == (SAMPLE_MONITOR_ID, "http", 300)
    assert monitor["managed_by"] == "api" and monitor["state"] is None
    assert json.dumps(created["multiValueHeaders"]).count(f"/v1/monitors/{SAMPLE_MONITOR_ID}") == 1
    # And its results answer with no check yet
    assert results["statusCode"] == 200, results["body"]
    answered = body_of(results)
    assert (answered["monitor_id"], answered["hours"], answered["results"]) == (SAMPLE_MONITOR_ID, 24.0, [])
    assert answered["state"]["status"] is None and answered["state"]["last_checked_at"] is None
    # And the create sample a second time is a conflict, not a second monitor
    again = cloud.functions.invoke("monitors", load_event("monitors_post_monitor"))
    assert again["statusCode"] == 409 and body_of(again)["error"] == "conflict"


def test_the_worker_sample_checks_the_sample_monitor_once(cloud: LocalCloud) -> None:
    # Given the sample monitor (created by the create sample if the test before did not)
    cloud.functions.invoke("monitors", load_event("monitors_post_monitor"))
    # When the worker sample (one shard: the sample monitor, in the sample's slot) is invoked, twice
    first = cloud.functions.invoke("probe-worker", load_event("probe_worker_shard"))
    redelivered = cloud.functions.invoke("probe-worker", load_event("probe_worker_shard"))
    # Then both succeed with no failed record (the second finds the slot already applied)
    assert first == redelivered == {"batchItemFailures": []}
    # And the monitor was checked exactly once, in the sample's slot
    answered = body_of(cloud.functions.invoke("monitors", load_event("monitors_get_results")))
    state = answered["state"]
    assert state["last_checked_at"] is not None and state["status"] is not None
    assert state["consecutive_failures"] + state["consecutive_successes"] == 1
    assert {result["slot"] for result in answered["results"]} <= {SAMPLE_SLOT}


def test_the_heartbeat_sample_is_unknown_until_a_monitor_holds_its_token(cloud: LocalCloud) -> None:
    # Given no monitor with the sample's token
    # When the heartbeat sample is invoked
    unknown = cloud.functions.invoke("heartbeat", load_event("heartbeat_post_beat"))
    # Then it is a 404: the token is the credential, and this one opens nothing
    assert unknown["statusCode"] == 404 and body_of(unknown)["error"] == "not_found"
    # Given a one-minute heartbeat monitor of the demo tenant holding the sample's token
    _hold_sample_token(cloud)
    # When the heartbeat sample is invoked again
    beat = cloud.functions.invoke("heartbeat", load_event("heartbeat_post_beat"))
    # Then the beat is recorded on that monitor
    assert beat["statusCode"] == 200, beat["body"]
    assert body_of(beat)["monitor_id"] == "nightly-backup"
    assert datetime.fromisoformat(body_of(beat)["received_at"]) <= datetime.now(UTC)


def test_the_scheduler_sample_runs_the_one_minute_class_for_its_slot(cloud: LocalCloud) -> None:
    # Given one one-minute monitor: the heartbeat monitor holding the sample token (the sample HTTP monitor is 5m)
    _hold_sample_token(cloud)
    # When the scheduler sample (what the one-minute rule's input transformer delivers) is invoked
    report = cloud.functions.invoke("probe-scheduler", load_event("probe_scheduler_every_1m"))
    # Then it ran the class inline for the sample's slot: one monitor, judged UP (beaten since), nothing queued
    assert (report["interval"], report["slot"]) == (60, int(datetime.fromisoformat(SAMPLE_SLOT).timestamp()))
    assert (report["monitors"], report["shards_queued"]) == (1, 0)
    ran = report["ran_inline"]
    assert (ran["checked"], ran["skipped"], ran["by_status"], ran["canary_error"]) == (1, 0, {"up": 1}, None)
    # And the same firing delivered again finds the slot already applied
    again = cloud.functions.invoke("probe-scheduler", load_event("probe_scheduler_every_1m"))
    assert (again["ran_inline"]["checked"], again["ran_inline"]["skipped"]) == (0, 1)


def _hold_sample_token(cloud: LocalCloud) -> None:
    """A heartbeat monitor holding the sample token, as a user who created it would have (idempotent)."""
    repository = DynamoDbMonitorRepository(cloud.functions.get("monitors").environment["CONFIG_TABLE_NAME"])
    if repository.find_by_heartbeat_token(SAMPLE_HEARTBEAT_TOKEN) is not None:
        return
    now = datetime.now(UTC)
    definition = HeartbeatMonitor(name="Nightly backup", interval=60, grace=30)
    repository.create(
        Monitor(
            tenant_id=DEMO_TENANT_ID,
            id="nightly-backup",
            definition=definition,
            heartbeat_token=SAMPLE_HEARTBEAT_TOKEN,
            created_at=now,
            updated_at=now,
        )
    )
