"""The demo notification channel of `vigil local up`: a stand-in Slack webhook on 127.0.0.1 that prints what it
receives, and the bootstrap that points the demo tenant's Slack notifications at it, on the synthesized stack
(the `cloud` fixture of tests/integration/conftest.py: embedded moto, triggers driven by the tests)."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest

from vigil_cli.bootstrap import (
    DEMO_CHANNEL_ID,
    DEMO_CHANNEL_SECRET,
    create_demo_tenant,
    enable_default_rule_pack,
    enable_demo_channel,
)
from vigil_cli.demo_channel import DemoChannel
from vigil_cli.local.cloud import LocalCloud
from vigil_cli.main import main
from vigil_core.adapters.dynamodb_alert_rules import DynamoDbAlertRuleRepository
from vigil_core.models.alerts import Severity
from vigil_core.models.notifications import Channel, ChannelType, NotificationPolicy
from vigil_core.notify.messages import MessageFields
from vigil_core.notify.payloads import slack_payload

from .conftest import wait_until

pytestmark = pytest.mark.integration

REGION = "us-east-1"
AT = datetime(2026, 11, 22, 9, 30, tzinfo=UTC)


def _fields(**overrides: Any) -> MessageFields:
    values: dict[str, Any] = {
        "tenant": "demo",
        "severity": Severity.CRITICAL,
        "status": "firing",
        "title": "Service down",
        "summary": "A monitored endpoint has been down for a minute",
        "alert_count": 1,
        "fingerprint": "fp-1",
        "notification_id": "n-1",
        "at": AT,
    }
    return MessageFields(**(values | overrides))


@pytest.fixture
def channel() -> Iterator[tuple[DemoChannel, list[str]]]:
    printed: list[str] = []
    with DemoChannel(port=0, output=printed.append, clock=lambda: datetime(2026, 11, 22, 10, 4, 5)) as running:
        yield running, printed


# --- the receiver ----------------------------------------------------------------------------------


def test_a_slack_message_is_answered_ok_printed_and_kept(channel: tuple[DemoChannel, list[str]]) -> None:
    receiver, printed = channel
    payload = slack_payload(_fields(description="checked from <us-east-1> & eu-west-1"))

    response = httpx.post(receiver.webhook_url, json=payload, timeout=5)

    assert (response.status_code, response.text) == (200, "ok")
    assert printed == [
        "10:04:05  notification  [FIRING] Service down (critical, demo)\n"
        "          A monitored endpoint has been down for a minute"
    ]
    [message] = receiver.messages
    assert message.payload == payload
    assert message.path == "/slack"
    assert message.text == "[FIRING] Service down (critical, demo)"
    assert message.printed == printed[0]


def test_slack_escapes_are_shown_as_the_characters(channel: tuple[DemoChannel, list[str]]) -> None:
    receiver, printed = channel
    payload = slack_payload(_fields(title="p95 > 2s <api> & db", summary="", status="resolved"))

    assert httpx.post(receiver.webhook_url, json=payload, timeout=5).status_code == 200

    # Without a summary there is only the headline line
    assert printed == ["10:04:05  notification  [RESOLVED] p95 > 2s <api> & db (critical, demo)"]


@pytest.mark.parametrize(
    ("body", "content_type"),
    [(b"payload=not-json", "application/x-www-form-urlencoded"), (b"[1, 2]", "application/json"), (b"", "")],
)
def test_a_body_that_is_not_a_json_object_is_refused(
    channel: tuple[DemoChannel, list[str]], body: bytes, content_type: str
) -> None:
    receiver, printed = channel

    response = httpx.post(receiver.webhook_url, content=body, headers={"content-type": content_type}, timeout=5)

    assert (response.status_code, response.text) == (400, "invalid_payload")
    assert receiver.messages == [] and printed == []


def test_only_posts_are_taken_and_stop_frees_the_port() -> None:
    receiver = DemoChannel(port=0, output=lambda _: None).start()
    port = int(receiver.url.rsplit(":", 1)[1])
    assert httpx.get(receiver.webhook_url, timeout=5).status_code == 405

    receiver.stop()

    # The port is free for the next run (as for the demo target, a restart may reuse it at once)
    again = DemoChannel(port=port, output=lambda _: None)
    again.stop()  # and stopping one that never started returns at once


def test_up_on_a_busy_demo_channel_port_fails_before_synthesizing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        code = main(
            ["local", "up", "--state-dir", str(tmp_path / "state"), "--no-demo-target",
             "--demo-channel-port", str(port)]
        )  # fmt: skip
    assert code == 1
    err = capsys.readouterr().err
    assert f"the demo notification channel cannot listen on 127.0.0.1:{port}" in err
    assert "--no-demo-channel" in err
    assert not (tmp_path / "state" / "cdk.out").exists()


# --- the bootstrap on the synthesized stack ----------------------------------------------------------


@pytest.fixture(scope="module")
def secrets(cloud: LocalCloud) -> Any:
    return boto3.client("secretsmanager", endpoint_url=cloud.backend_url, region_name=REGION)


@pytest.fixture(scope="module")
def rules(cloud: LocalCloud) -> DynamoDbAlertRuleRepository:
    return DynamoDbAlertRuleRepository(cloud.functions.get("notifier-slack").environment["CONFIG_TABLE_NAME"])


@pytest.fixture(scope="module")
def module_channel() -> Iterator[DemoChannel]:
    with DemoChannel(port=0, output=lambda _: None) as running:
        yield running


@pytest.fixture(scope="module")
def api(cloud: LocalCloud, module_channel: DemoChannel) -> Iterator[httpx.Client]:
    """The demo tenant as `vigil local up` leaves it: default rule pack on, Slack notifications to the channel."""
    assert cloud.api_url is not None
    tenant = create_demo_tenant(cloud)
    enable_default_rule_pack(cloud, tenant.tenant_id)
    assert enable_demo_channel(cloud, module_channel.webhook_url, tenant.tenant_id) is True
    with httpx.Client(base_url=cloud.api_url, timeout=30, headers={"x-api-key": tenant.api_key}) as client:
        yield client


def test_the_bootstrap_stores_the_url_as_the_secret_and_the_channel_in_the_policy(
    api: httpx.Client, secrets: Any, module_channel: DemoChannel
) -> None:
    stored = secrets.get_secret_value(SecretId=DEMO_CHANNEL_SECRET)["SecretString"]
    assert stored == module_channel.webhook_url

    response = api.get("/v1/notification-policy")

    assert response.status_code == 200, response.text
    policy = response.json()
    assert policy["channels"] == [
        {
            "id": DEMO_CHANNEL_ID,
            "type": "slack",
            "secret": "secretsmanager:vigil/notify/demo-slack",
            "to": [],
            "headers": {},
            "endpoint": None,
        }
    ]
    assert policy["routes"] == json.loads(NotificationPolicy().model_dump_json())["routes"]


def test_running_it_again_puts_the_new_url_and_keeps_the_policy(
    cloud: LocalCloud, api: httpx.Client, secrets: Any, rules: DynamoDbAlertRuleRepository, module_channel: DemoChannel
) -> None:
    before = rules.get_notification_policy("demo")
    try:
        # When a later run's channel listens elsewhere
        assert enable_demo_channel(cloud, "http://127.0.0.1:1/slack") is True
        # Then the secret holds the new URL, and the policy is as it was
        assert secrets.get_secret_value(SecretId=DEMO_CHANNEL_SECRET)["SecretString"] == "http://127.0.0.1:1/slack"
        assert rules.get_notification_policy("demo") == before
    finally:
        assert enable_demo_channel(cloud, module_channel.webhook_url) is True


def test_a_kept_policy_without_the_demo_channel_is_left_alone(
    cloud: LocalCloud, api: httpx.Client, rules: DynamoDbAlertRuleRepository, module_channel: DemoChannel
) -> None:
    # Given a tenant whose own policy (from an earlier run of a kept backend) mails and nothing else
    mine = NotificationPolicy(channels=(Channel(id="mail", type=ChannelType.EMAIL, to=("ops@example.com",)),))
    rules.put_notification_policy("kept-tenant", mine)

    # When `vigil local up` bootstraps the demo channel for it, it says the channel is not used
    assert enable_demo_channel(cloud, module_channel.webhook_url, "kept-tenant") is False
    # And the policy is untouched
    assert rules.get_notification_policy("kept-tenant") == mine


def _drain(cloud: LocalCloud, short_name: str) -> int:
    """Poll the function's queues until a round finds them all empty; the number of invocations."""
    pollers = [p for p in cloud.pollers if p.mapping.function.short_name == short_name]
    runs = 0
    while records := [r for r in (poller.poll_once() for poller in pollers) if r is not None]:
        runs += len(records)
    return runs


def test_a_critical_alert_reaches_the_demo_channel_once(
    cloud: LocalCloud, api: httpx.Client, module_channel: DemoChannel
) -> None:
    # Given the demo tenant's alerting policy as bootstrapped (default pack, groups flushed at once), and
    # nothing received yet
    policy = api.get("/v1/alerting-policy").json()
    assert (policy["rule_packs"], policy["group_wait"]) == (["default"], 0)
    before = len(module_channel.messages)

    # When a critical custom alert is raised (its group is flushed at once, and a flush is queued for the
    # evaluator a second later), and the evaluator and the Slack notifier drain their queues
    raised = api.post("/v1/alerts", json={"name": "Checkout failing", "severity": "critical"})
    assert raised.status_code == 201, raised.text

    def delivered() -> bool:
        _drain(cloud, "alert-evaluator")
        _drain(cloud, "notifier-slack")
        return len(module_channel.messages) > before

    wait_until(delivered, timeout_s=15, interval_s=0.5)

    # Then the demo channel received one message about that alert, printed as a notification line
    [message] = module_channel.messages[before:]
    assert message.text == "[FIRING] Checkout failing (critical, demo)"
    assert message.printed.splitlines()[0].endswith("notification  [FIRING] Checkout failing (critical, demo)")
    # And the alert's delivery log says the demo channel got it
    alert_id = raised.json()["id"]
    log = api.get(f"/v1/alerts/{alert_id}").json()["notifications"]
    assert log["notifications_sent"] == 1 and log["notification_channels"] == [DEMO_CHANNEL_ID]
    assert [(d["channel"], d["outcome"]) for d in log["deliveries"]] == [(DEMO_CHANNEL_ID, "delivered")]
    # And the queued flush, once due, sends nothing more
    time.sleep(1.5)
    _drain(cloud, "alert-evaluator")
    _drain(cloud, "notifier-slack")
    assert len(module_channel.messages) == before + 1


def test_the_demo_tenant_escalates_to_the_demo_channel_on_the_default_schedule(api: httpx.Client) -> None:
    # Given the demo tenant as `vigil local up` leaves it
    # When its escalation policy is read
    response = api.get("/v1/escalation-policy")
    # Then its levels keep the default delays but page the demo channel (the demo has no PagerDuty or SMS)
    assert response.status_code == 200, response.text
    levels = response.json()["levels"]
    assert {
        severity: [(level["targets"], level["after"]) for level in chain] for severity, chain in levels.items()
    } == {
        "critical": [([DEMO_CHANNEL_ID], 60)],
        "error": [([DEMO_CHANNEL_ID], 300)],
        "warning": [([DEMO_CHANNEL_ID], 900)],
        "info": [],
    }
