"""Escalation end to end on the local cloud: alerts raised over HTTP, the escalator run by its real event source
mapping, the escalation state machine from the CDK app executed for real by the backend (moto runs its ASL),
its pages published to the alerts topic and routed by the notifiers' filter policies to Slack stand-ins on
127.0.0.1 — one per level, so the order of the levels is seen in the order the stand-ins are called.

Schedules are replayed 30 times faster (ESCALATION_TIME_FACTOR, set only by the local cloud): a level due one
minute after the previous one pages two seconds after it."""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import httpx
import pytest

from tests.servers.http_server import ControllableHttpServer
from tests.support import ROOT
from vigil_cli.bootstrap import create_demo_tenant
from vigil_cli.local.cloud import LocalCloud
from vigil_cli.local.synth import synth_context, synthesize
from vigil_core.adapters.dynamodb_alert_rules import DynamoDbAlertRuleRepository
from vigil_core.adapters.dynamodb_tenants import DynamoDBTenantDirectory
from vigil_core.adapters.stepfunctions_escalations import execution_arn
from vigil_core.models.alerts import AlertStatus, AlertTransition, Severity, TransitionKind
from vigil_core.models.escalation import EscalationPolicy
from vigil_core.models.tenants import SlaTier
from vigil_core.services.tenants import create_tenant

pytestmark = pytest.mark.integration

REGION = "us-east-1"
TIME_FACTOR = 30
LEVEL_PATHS = ("/level-1", "/level-2", "/level-3")
PAGE_TIMEOUT_S = 30
CODE_TENANT = "initech"
# Level 3's channel first, then level 1's: an order no stored policy in this module pages in.
CODE_POLICY: dict[str, Any] = {
    "levels": {"critical": [{"targets": ["oncall-3"], "after": "1m"}, {"targets": ["oncall-1"], "after": "1m"}]}
}


@pytest.fixture(scope="module")
def channels_server() -> Iterator[ControllableHttpServer]:
    with ControllableHttpServer() as server:
        for path in LEVEL_PATHS:
            server.route(path, status=200, body="ok")
        yield server


@pytest.fixture(scope="module")
def backend() -> dict[str, Any]:
    """LocalCloud's options saying where the stack runs: none, the embedded moto."""
    return {}


@pytest.fixture(scope="module")
def early_wake_s() -> float:
    """How much earlier than its timestamp the backend's Wait may end: none on the embedded moto (its wait is
    patched to round up), up to two seconds where a backend truncates the timestamp and the wait to seconds."""
    return 0.0


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory, backend: dict[str, Any]) -> Iterator[LocalCloud]:
    state_dir = tmp_path_factory.mktemp("escalation-cloud")
    probes = synth_context(ROOT)["vigil:probes"] | {"canaryUrl": ""}
    # Escalation policies as code: initech's (a tenant only test_a_policy_deployed_as_code_* uses).
    policies_file = state_dir / "escalation-policies.yaml"
    policies_file.write_text(json.dumps({"policies": [{"tenant": CODE_TENANT, **CODE_POLICY}]}))
    context = {
        "vigil:probes": probes,
        "vigil:monitorsFile": "",
        "vigil:alertRulesFile": "",
        "vigil:escalationPoliciesFile": str(policies_file),
    }
    template = synthesize(state_dir / "cdk.out", repo_root=ROOT, context=context)
    with LocalCloud(
        template,
        state_dir=state_dir,
        start_schedules=False,
        start_pollers=False,
        start_sweeper=False,
        escalation_time_factor=TIME_FACTOR,
        **backend,
    ) as running:
        yield running


@pytest.fixture(scope="module")
def stepfunctions(cloud: LocalCloud) -> Any:
    """Made before any poller swaps the process environment."""
    return boto3.client("stepfunctions", endpoint_url=cloud.backend_url, region_name=REGION)


@pytest.fixture(scope="module")
def api(cloud: LocalCloud, channels_server: ControllableHttpServer) -> Iterator[httpx.Client]:
    assert cloud.api_url is not None
    key = create_demo_tenant(cloud).api_key
    secrets = boto3.client("secretsmanager", endpoint_url=cloud.backend_url, region_name=REGION)
    for level, path in enumerate(LEVEL_PATHS, start=1):
        name, url = f"vigil/notify/escalation-{level}", channels_server.url(path)
        try:
            secrets.create_secret(Name=name, SecretString=url)
        except secrets.exceptions.ResourceExistsException:  # a LocalStack kept from an earlier run
            secrets.put_secret_value(SecretId=name, SecretString=url)
    with httpx.Client(base_url=cloud.api_url, timeout=30, headers={"x-api-key": key}) as client:
        # Given channels that only escalation pages reach (no route sends group notifications to them)
        response = client.put("/v1/notification-policy", json=escalation_channels())
        assert response.status_code == 200, response.text
        yield client


def escalation_channels() -> dict[str, Any]:
    """oncall-1, -2 and -3: Slack stand-ins at LEVEL_PATHS, reached by escalation pages only."""
    channels = [
        {"id": f"oncall-{level}", "type": "slack", "secret": f"secretsmanager:vigil/notify/escalation-{level}"}
        for level in range(1, len(LEVEL_PATHS) + 1)
    ]
    return {"channels": channels, "routes": {}}


def three_levels(*after: str) -> dict[str, Any]:
    """Levels 1, 2 and 3, each `after` the previous one (a minute unless given)."""
    delays = after or ("1m",) * len(LEVEL_PATHS)
    levels = [{"targets": [f"oncall-{level}"], "after": delay} for level, delay in enumerate(delays, start=1)]
    return {"levels": {"critical": levels}}


def pollers(cloud: LocalCloud, prefix: str) -> list[Any]:
    return [p for p in cloud.pollers if p.mapping.function.short_name.startswith(prefix)]


def drain(cloud: LocalCloud, prefix: str) -> int:
    """Poll the matching functions' queues until a round finds them all empty; the number of invocations."""
    runs = 0
    while records := [r for r in (poller.poll_once() for poller in pollers(cloud, prefix)) if r is not None]:
        runs += len(records)
    return runs


def pages_at(server: ControllableHttpServer, since: int) -> list[str]:
    return [request.path for request in server.requests[since:] if request.path in LEVEL_PATHS]


def run_notifiers_until(cloud: LocalCloud, done: Callable[[], bool], timeout_s: float = PAGE_TIMEOUT_S) -> None:
    """Keep the Slack notifier draining its queue, as its event source mapping would, until `done`."""
    deadline = time.monotonic() + timeout_s
    while not done():
        assert time.monotonic() < deadline, "timed out waiting for escalation pages"
        drain(cloud, "notifier-slack")
        time.sleep(0.1)


def raise_critical(api: httpx.Client, cloud: LocalCloud, name: str) -> str:
    response = api.post("/v1/alerts", json={"name": name, "severity": "critical", "labels": {"service": name}})
    assert response.status_code == 201, response.text
    assert drain(cloud, "escalator") >= 1  # the firing transition reached the escalator
    return str(response.json()["id"])


def escalation(api: httpx.Client, alert_id: str) -> dict[str, Any]:
    response = api.get(f"/v1/alerts/{alert_id}/escalation")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def state_machine_arn(cloud: LocalCloud) -> str:
    return str(cloud.functions.get("escalator").environment["STATE_MACHINE_ARN"])


def execution_status(stepfunctions: Any, cloud: LocalCloud, name: str) -> str:
    arn = execution_arn(state_machine_arn(cloud), name)
    return str(stepfunctions.describe_execution(executionArn=arn)["status"])


def state_transitions(stepfunctions: Any, cloud: LocalCloud, name: str) -> int:
    """States entered, which is what Standard workflows are billed by."""
    arn = execution_arn(state_machine_arn(cloud), name)
    events = stepfunctions.get_execution_history(executionArn=arn, maxResults=1000)["events"]
    return sum(1 for event in events if event["type"].endswith("StateEntered"))


def wait_for_status(stepfunctions: Any, cloud: LocalCloud, name: str, expected: str) -> None:
    deadline = time.monotonic() + PAGE_TIMEOUT_S
    while (status := execution_status(stepfunctions, cloud, name)) != expected:
        if status == "FAILED":  # say why, from the end of its history
            arn = execution_arn(state_machine_arn(cloud), name)
            events = stepfunctions.get_execution_history(executionArn=arn, maxResults=1000)["events"]
            pytest.fail(f"execution {name} failed: {json.dumps(events[-4:], default=str)[:3000]}")
        assert time.monotonic() < deadline, f"execution {name} is {status}, not {expected}"
        time.sleep(0.1)


def test_an_unacknowledged_critical_alert_pages_levels_one_two_and_three_in_order(
    cloud: LocalCloud,
    api: httpx.Client,
    channels_server: ControllableHttpServer,
    stepfunctions: Any,
    early_wake_s: float,
) -> None:
    # Given three levels, each a minute after the previous one
    assert api.put("/v1/escalation-policy", json=three_levels()).status_code == 200
    before = len(channels_server.requests)
    # When a critical alert fires and nobody acknowledges it
    started = time.monotonic()
    alert_id = raise_critical(api, cloud, "checkout-down")
    planned = escalation(api, alert_id)
    assert planned["state"] == "running"
    assert [page["level"] for page in planned["schedule"]] == [1, 2, 3]
    run_notifiers_until(cloud, lambda: len(pages_at(channels_server, before)) >= 3)
    elapsed = time.monotonic() - started
    # Then levels 1, 2 and 3 were paged once each, in that order, at the scaled times
    assert pages_at(channels_server, before) == list(LEVEL_PATHS)
    assert elapsed >= 3 * 60 / TIME_FACTOR - early_wake_s  # level 3 is due 3 minutes in: 6 s scaled
    [attachment] = json.loads(channels_server.requests[-1].body)["attachments"]
    assert {"title": "Escalation", "value": "level 3", "short": True} in attachment["fields"]
    # And the record shows each page, and that nobody acknowledged
    wait_for_status(stepfunctions, cloud, planned["execution"], "SUCCEEDED")
    # In 28 state transitions, as docs/escalation.md prices it: 1 + 8 per page + 3 to record the end
    assert state_transitions(stepfunctions, cloud, planned["execution"]) == 1 + 3 * 8 + 3
    record = escalation(api, alert_id)
    assert record["state"] == "unacknowledged"
    assert [(page["level"], page["channels"]) for page in record["history"]] == [
        (1, ["oncall-1"]),
        (2, ["oncall-2"]),
        (3, ["oncall-3"]),
    ]
    times = [datetime.fromisoformat(page["at"]) for page in record["history"]]
    # Two seconds apart when scaled, less what moto's whole-second waits cut off
    assert all((later - earlier).total_seconds() >= 1 for earlier, later in itertools.pairwise(times))
    assert record["next_escalation_at"] is None
    # The schedule kept the production times (a minute apart), only the waits were scaled
    due = [datetime.fromisoformat(page["due_at"]) for page in record["schedule"]]
    assert [(b - a).total_seconds() for a, b in itertools.pairwise(due)] == [60.0, 60.0]


def test_acknowledging_after_level_one_stops_the_escalation_before_level_two(
    cloud: LocalCloud, api: httpx.Client, channels_server: ControllableHttpServer, stepfunctions: Any
) -> None:
    # Given level 2 due three minutes after level 1 (6 s scaled: the acknowledgement comes well before)
    assert api.put("/v1/escalation-policy", json=three_levels("1m", "3m", "1m")).status_code == 200
    before = len(channels_server.requests)
    alert_id = raise_critical(api, cloud, "payments-slow")
    run_notifiers_until(cloud, lambda: len(pages_at(channels_server, before)) >= 1)
    # When someone acknowledges it right after level 1 was paged
    assert api.post(f"/v1/alerts/{alert_id}/acknowledge", json={"by": "ana"}).status_code == 200
    assert drain(cloud, "escalator") >= 1
    # Then the execution is stopped, and level 2's time passes without a page
    record = escalation(api, alert_id)
    wait_for_status(stepfunctions, cloud, record["execution"], "ABORTED")
    time.sleep(4 * 60 / TIME_FACTOR)
    drain(cloud, "notifier-slack")
    assert pages_at(channels_server, before) == ["/level-1"]
    record = escalation(api, alert_id)
    assert (record["state"], record["current_level"], record["ended_by"]) == ("acknowledged", 1, "ana")
    # Stopped while waiting for level 2: 1 + 8 for the page + 2 (TakeNextStep, WaitUntilDue)
    assert state_transitions(stepfunctions, cloud, record["execution"]) == 11
    assert record["next_escalation_at"] is None


def test_resolving_stops_the_escalation(
    cloud: LocalCloud, api: httpx.Client, channels_server: ControllableHttpServer, stepfunctions: Any
) -> None:
    # Given level 1 due three minutes after the alert fires (6 s scaled: the resolution comes well before)
    assert api.put("/v1/escalation-policy", json=three_levels("3m", "1m", "1m")).status_code == 200
    before = len(channels_server.requests)
    alert_id = raise_critical(api, cloud, "search-errors")
    # When it is resolved before anyone was paged
    assert api.post(f"/v1/alerts/{alert_id}/resolve", json={"by": "bo"}).status_code == 200
    assert drain(cloud, "escalator") >= 1
    record = escalation(api, alert_id)
    wait_for_status(stepfunctions, cloud, record["execution"], "ABORTED")
    time.sleep(4 * 60 / TIME_FACTOR)
    drain(cloud, "notifier-slack")
    # Then nobody was paged
    assert pages_at(channels_server, before) == []
    assert escalation(api, alert_id)["state"] == "resolved"
    assert state_transitions(stepfunctions, cloud, record["execution"]) == 3  # MoreSteps, TakeNextStep, Wait


def sqs_event(body: str) -> dict[str, Any]:
    return {
        "Records": [
            {
                "messageId": "fixed-clock-1",
                "receiptHandle": "fixed-clock-receipt",
                "body": body,
                "attributes": {"ApproximateReceiveCount": "1"},
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:escalator",
                "awsRegion": REGION,
            }
        ]
    }


def test_business_hours_on_a_fixed_clock_wait_for_the_opening_and_skip_after_hours_levels_and_a_duplicate_start_is_harmless(
    cloud: LocalCloud, api: httpx.Client, channels_server: ControllableHttpServer, stepfunctions: Any
) -> None:
    # Given business hours opening at 08:52 in Berlin, a level that waits for them, an after-hours level and a
    # level that always pages, each a minute after the previous one
    policy = {
        "business_hours": {"timezone": "Europe/Berlin", "days": ["mon", "tue", "wed", "thu", "fri"], "start": "08:52"},
        "levels": {
            "warning": [
                {"targets": ["oncall-1"], "after": "1m", "when": "business_hours"},
                {"targets": ["oncall-2"], "after": "1m", "when": "outside_business_hours"},
                {"targets": ["oncall-3"], "after": "1m"},
            ]
        },
    }
    assert api.put("/v1/escalation-policy", json=policy).status_code == 200
    before = len(channels_server.requests)
    raised = api.post("/v1/alerts", json={"name": "disk-filling", "severity": "warning"})
    assert raised.status_code == 201, raised.text
    alert = raised.json()
    # When the escalator is told it started firing on Monday 23 November 2026 at 08:50 Berlin time (07:50 UTC)
    fixed = AlertTransition(
        transition_id=f"{alert['id']}:fixed",
        kind=TransitionKind.FIRING,
        tenant_id="demo",
        fingerprint=alert["id"],
        status=AlertStatus.FIRING,
        previous_status=None,
        severity=Severity.WARNING,
        at=datetime(2026, 11, 23, 7, 50, tzinfo=UTC),
        occurrence=alert["occurrences"],
        alert=alert,
    )
    cloud.functions.invoke("escalator", sqs_event(fixed.model_dump_json()))
    # And the real firing transition arrives too: the same occurrence, so the same execution name
    assert drain(cloud, "escalator") >= 1
    # Then level 1 waits for the opening (08:52), level 2 is left out while the hours are open, and level 3
    # pages at 08:54 (the schedule keeps these times; the waits are scaled)
    record = escalation(api, alert["id"])
    assert [(page["level"], page["due_at"]) for page in record["schedule"]] == [
        (1, "2026-11-23T07:52:00Z"),
        (3, "2026-11-23T07:54:00Z"),
    ]
    run_notifiers_until(cloud, lambda: len(pages_at(channels_server, before)) >= 2)
    wait_for_status(stepfunctions, cloud, record["execution"], "SUCCEEDED")
    drain(cloud, "notifier-slack")
    assert pages_at(channels_server, before) == ["/level-1", "/level-3"]
    # And the duplicate start made no second execution
    executions = stepfunctions.list_executions(stateMachineArn=state_machine_arn(cloud))["executions"]
    names = [execution["name"] for execution in executions]
    assert names.count(record["execution"]) == 1
    assert escalation(api, alert["id"])["state"] == "unacknowledged"


def test_a_policy_deployed_as_code_pages_its_levels_instead_of_the_tenants_stored_one(
    cloud: LocalCloud, api: httpx.Client, channels_server: ControllableHttpServer, stepfunctions: Any
) -> None:
    # Given initech, whose policy the stack's escalation-policies file defines (level 3's channel, then level 1's),
    # with the same channels as the demo tenant
    config_table = cloud.functions.get("alerts").environment["CONFIG_TABLE_NAME"]
    _, key = create_tenant(
        DynamoDBTenantDirectory(config_table), CODE_TENANT, "Initech", SlaTier.BASIC, datetime.now(UTC)
    )
    initech = {"x-api-key": key.plaintext}
    assert api.put("/v1/notification-policy", headers=initech, json=escalation_channels()).status_code == 200
    # And a policy stored for initech before the file claimed it (levels 1, 2 and 3), which the API now refuses
    DynamoDbAlertRuleRepository(config_table).put_escalation_policy(
        CODE_TENANT, EscalationPolicy.model_validate(three_levels())
    )
    assert api.put("/v1/escalation-policy", headers=initech, json=three_levels()).status_code == 409
    before = len(channels_server.requests)
    # When a critical alert of initech's fires and nobody acknowledges it
    raised = api.post("/v1/alerts", headers=initech, json={"name": "tps-reports", "severity": "critical"})
    assert raised.status_code == 201, raised.text
    assert drain(cloud, "escalator") >= 1
    run_notifiers_until(cloud, lambda: len(pages_at(channels_server, before)) >= 2)
    # Then the file's levels were planned and paged, in its order, and not the stored policy's
    record = api.get(f"/v1/alerts/{raised.json()['id']}/escalation", headers=initech).json()
    assert [(page["level"], page["targets"]) for page in record["schedule"]] == [(1, ["oncall-3"]), (2, ["oncall-1"])]
    wait_for_status(stepfunctions, cloud, record["execution"], "SUCCEEDED")
    drain(cloud, "notifier-slack")
    assert pages_at(channels_server, before) == ["/level-3", "/level-1"]
