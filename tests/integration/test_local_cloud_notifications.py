"""Notifications end to end on the local cloud: metrics pushed over HTTP, the evaluator and the notifiers run by
the real event source mappings, the alerts topic's filter policies routing to one queue per channel type, and
real HTTP servers on 127.0.0.1 standing in for Slack and PagerDuty; email and SMS land in moto's SES and SNS.

Pollers are driven by the test (poll once, see what happened), so nothing waits for a schedule."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import httpx
import pytest
from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends
from moto.sns.models import sns_backends

from tests.servers.http_server import ControllableHttpServer
from tests.support import ROOT
from vigil_cli.bootstrap import create_demo_tenant
from vigil_cli.local.cloud import LocalCloud
from vigil_cli.local.synth import synth_context, synthesize
from vigil_cli.main import main as vigil
from vigil_core.notify.payloads import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify

pytestmark = pytest.mark.integration

REGION = "us-east-1"
SENDER = "vigil@example.com"
PHONE = "+15555550123"
SIGNING_SECRET = "whsec-e2e"


@pytest.fixture(scope="module")
def channels_server() -> Iterator[ControllableHttpServer]:
    with ControllableHttpServer() as server:
        for path in ("/slack", "/pagerduty", "/hook"):
            server.route(path, status=200, body="ok")
        yield server


@pytest.fixture(scope="module")
def backend() -> dict[str, Any]:
    """LocalCloud's options saying where the stack runs: none, the embedded moto."""
    return {}


@pytest.fixture(scope="module")
def mail_and_sms() -> bool:
    """Whether the backend takes SES v2 email and SNS SMS, and shows what was sent (moto does)."""
    return True


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory, backend: dict[str, Any]) -> Iterator[LocalCloud]:
    state_dir = tmp_path_factory.mktemp("notifications-cloud")
    probes = synth_context(ROOT)["vigil:probes"] | {"canaryUrl": ""}
    notifications = synth_context(ROOT)["vigil:notifications"] | {"emailSender": SENDER, "httpMaxAttempts": 2}
    context = {
        "vigil:probes": probes,
        "vigil:notifications": notifications,
        "vigil:monitorsFile": "",
        "vigil:alertRulesFile": "",
    }
    template = synthesize(state_dir / "cdk.out", repo_root=ROOT, context=context)
    with LocalCloud(
        template, state_dir=state_dir, start_schedules=False, start_pollers=False, start_sweeper=False, **backend
    ) as running:
        yield running


@pytest.fixture(scope="module")
def aws(cloud: LocalCloud) -> dict[str, Any]:
    """Clients on the local cloud's backend, made before any poller swaps the environment."""
    return {
        name: boto3.client(name, endpoint_url=cloud.backend_url, region_name=REGION)
        for name in ("secretsmanager", "sqs", "sesv2")
    }


@pytest.fixture(scope="module")
def api(
    cloud: LocalCloud, aws: dict[str, Any], channels_server: ControllableHttpServer, mail_and_sms: bool
) -> Iterator[httpx.Client]:
    assert cloud.api_url is not None
    key = create_demo_tenant(cloud).api_key
    # Given the channels' secrets where operators put them, and the sender verified in SES
    secrets = aws["secretsmanager"]
    secrets.create_secret(Name="vigil/notify/e2e-slack", SecretString=channels_server.url("/slack"))
    secrets.create_secret(Name="vigil/notify/e2e-pagerduty", SecretString="routing-key-e2e")
    hook = {"url": channels_server.url("/hook"), "signing_secret": SIGNING_SECRET}
    secrets.create_secret(Name="vigil/notify/e2e-hook", SecretString=json.dumps(hook))
    if mail_and_sms:
        aws["sesv2"].create_email_identity(EmailIdentity=SENDER)
    with httpx.Client(base_url=cloud.api_url, timeout=30, headers={"x-api-key": key}) as client:
        assert client.put("/v1/alerting-policy", json={"group_wait": 0}).status_code == 200
        policy = {
            "channels": [
                {"id": "ops", "type": "slack", "secret": "secretsmanager:vigil/notify/e2e-slack"},
                {
                    "id": "pager",
                    "type": "pagerduty",
                    "secret": "secretsmanager:vigil/notify/e2e-pagerduty",
                    "endpoint": channels_server.url("/pagerduty"),
                },
                {
                    "id": "hook",
                    "type": "webhook",
                    "secret": "secretsmanager:vigil/notify/e2e-hook",
                    "headers": {"X-Team": "sre"},
                },
            ]
            + (
                [
                    {"id": "mail", "type": "email", "to": ["oncall@example.com"]},
                    {"id": "phone", "type": "sms", "to": [PHONE]},
                ]
                if mail_and_sms
                else []
            ),
            "routes": {
                "info": [{"to": "slack"}],
                "warning": [{"to": "slack"}, {"to": "email", "delay": "1m"}],
                "error": [{"to": "slack"}, {"to": "email"}, {"to": "sms"}],
                "critical": [{"to": "slack"}, {"to": "email"}, {"to": "sms"}, {"to": "pagerduty"}, {"to": "hook"}],
            },
            "ack_base_url": "https://vigil.example/alerts",
        }
        response = client.put("/v1/notification-policy", json=policy)
        assert response.status_code == 200, response.text
        yield client


def pollers(cloud: LocalCloud, prefix: str) -> list[Any]:
    return [p for p in cloud.pollers if p.mapping.function.short_name.startswith(prefix)]


def drain(cloud: LocalCloud, prefix: str) -> int:
    """Poll the matching functions' queues until a round finds them all empty; the number of invocations."""
    runs = 0
    while records := [r for r in (poller.poll_once() for poller in pollers(cloud, prefix)) if r is not None]:
        runs += len(records)
    return runs


def add_rule(api: httpx.Client, rule_id: str, metric: str, severity: str) -> None:
    rule = {
        "id": rule_id,
        "name": f"{metric} too high",
        "metric": metric,
        "window": "1m",
        "group_by": ["host"],
        "thresholds": [{"severity": severity, "condition": "gt", "value": 90}],
        "annotations": {"summary": f"{metric} above 90", "runbook_url": "https://runbooks.example/x"},
    }
    response = api.post("/v1/alert-rules", json=rule)
    assert response.status_code == 201, response.text


def push(api: httpx.Client, name: str, value: float, **labels: str) -> None:
    response = api.post(
        "/v1/metrics", json={"points": [{"name": name, "type": "gauge", "value": value, "labels": labels}]}
    )
    assert response.status_code == 202, response.text


def requests_to(server: ControllableHttpServer, path: str, since: int = 0) -> list[Any]:
    return [request for request in server.requests[since:] if request.path == path]


def sent_emails() -> list[Any]:
    return list(ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages)


def sent_sms() -> list[tuple[str, str]]:
    return list(sns_backends[DEFAULT_ACCOUNT_ID][REGION].sms_messages.values())


def queue_of(cloud: LocalCloud, channel: str) -> str:
    return str(cloud.functions.get(f"notifier-{channel}").environment["NOTIFIER_QUEUE_URL"])


def test_a_critical_breach_pushed_over_http_reaches_every_channel_once(
    cloud: LocalCloud, api: httpx.Client, channels_server: ControllableHttpServer, mail_and_sms: bool
) -> None:
    # Given a critical rule and nothing sent yet
    add_rule(api, "disk-full", "disk_used_percent", "critical")
    before = len(channels_server.requests)
    channels = ["hook", "mail", "ops", "pager", "phone"] if mail_and_sms else ["hook", "ops", "pager"]
    # When an app pushes a breaching point, the evaluator runs, and every notifier drains its queue
    push(api, "disk_used_percent", 97, host="db-1")
    assert drain(cloud, "alert-evaluator") >= 1
    assert drain(cloud, "notifier-") == len(channels)  # one message per routed channel type: SNS filtered
    # Then Slack received exactly one message in its documented shape
    [slack] = requests_to(channels_server, "/slack", before)
    message = json.loads(slack.body)
    assert message["text"].startswith("[FIRING] disk_used_percent too high")
    attachment = message["attachments"][0]
    assert attachment["color"] == "#d00000"
    assert [field["title"] for field in attachment["fields"]] == ["Tenant", "Severity", "Time"]
    assert {action["text"] for action in attachment["actions"]} == {"Runbook", "Acknowledge"}
    # And PagerDuty one trigger whose dedup key is the alert's id
    [alert] = api.get("/v1/alerts", params={"status": "firing"}).json()["alerts"]
    [pagerduty] = requests_to(channels_server, "/pagerduty", before)
    event = json.loads(pagerduty.body)
    assert (event["event_action"], event["dedup_key"], event["routing_key"]) == (
        "trigger",
        alert["id"],
        "routing-key-e2e",
    )
    assert event["payload"]["severity"] == "critical" and event["payload"]["source"] == "vigil:demo"
    # And the webhook a body its receiver can verify, with the channel's header
    [hook] = requests_to(channels_server, "/hook", before)
    timestamp = int(hook.headers[TIMESTAMP_HEADER.lower()])
    assert verify(SIGNING_SECRET.encode(), timestamp, hook.body, hook.headers[SIGNATURE_HEADER.lower()], time.time())
    assert hook.headers["x-team"] == "sre"
    # And the alert's delivery log names every channel
    log = api.get(f"/v1/alerts/{alert['id']}").json()["notifications"]
    assert log["notifications_sent"] == len(channels)
    assert log["notification_channels"] == channels
    assert {d["outcome"] for d in log["deliveries"]} == {"delivered"}


def test_an_error_is_emailed_through_ses_and_texted_through_sns(cloud: LocalCloud, api: httpx.Client) -> None:
    # Given an error-severity rule (routed to Slack, email and SMS) and what SES and SNS sent so far
    add_rule(api, "mem-full", "mem_used_percent", "error")
    emails, texts = len(sent_emails()), len(sent_sms())
    # When it fires and the notifiers drain their queues
    push(api, "mem_used_percent", 96, host="db-2")
    drain(cloud, "alert-evaluator")
    assert drain(cloud, "notifier-") == 3
    # Then one email with text and HTML parts went through SES from the configured sender
    [email] = sent_emails()[emails:]
    assert email.source == SENDER and email.destinations == {"ToAddresses": ["oncall@example.com"]}
    assert "[FIRING] mem_used_percent too high" in email.subject and "<html" in email.body.lower()
    # And one text within 160 characters through SNS
    [(phone, text)] = sent_sms()[texts:]
    assert phone == PHONE and len(text) <= 160 and "mem_used_percent above 90" in text


def test_acknowledging_tells_pagerduty_and_resolving_tells_everyone_who_heard(
    cloud: LocalCloud, api: httpx.Client, channels_server: ControllableHttpServer
) -> None:
    # Given a critical alert every channel heard of
    add_rule(api, "cpu-hot", "cpu_percent", "critical")
    push(api, "cpu_percent", 99, host="web-7")
    drain(cloud, "alert-evaluator")
    drain(cloud, "notifier-")
    [alert] = [a for a in api.get("/v1/alerts").json()["alerts"] if a["rule_id"] == "cpu-hot"]
    before = len(channels_server.requests)
    # When someone acknowledges it
    assert api.post(f"/v1/alerts/{alert['id']}/acknowledge", json={"notes": "on it"}).status_code == 200
    drain(cloud, "notifier-")
    # Then PagerDuty hears of it (and nobody else)
    [ack] = requests_to(channels_server, "/pagerduty", before)
    assert json.loads(ack.body) == {
        "routing_key": "routing-key-e2e",
        "event_action": "acknowledge",
        "dedup_key": alert["id"],
    }
    assert len(channels_server.requests) == before + 1
    # When it is resolved, and the minute's evaluation runs once the group's interval is over
    assert api.post(f"/v1/alerts/{alert['id']}/resolve", json={}).status_code == 200
    later = datetime.now(UTC) + timedelta(minutes=6)
    cloud.functions.invoke("alert-evaluator", {"time": later.isoformat()})
    drain(cloud, "alert-evaluator")
    drain(cloud, "notifier-")
    # Then PagerDuty closes its incident and Slack shows the resolution in green
    [resolve] = [
        json.loads(r.body)
        for r in requests_to(channels_server, "/pagerduty", before + 1)
        if json.loads(r.body)["dedup_key"] == alert["id"]
    ]
    assert resolve["event_action"] == "resolve"
    [slack] = [
        json.loads(r.body) for r in requests_to(channels_server, "/slack", before + 1) if b"cpu_percent" in r.body
    ]
    assert slack["text"].startswith("[RESOLVED]") and slack["attachments"][0]["color"] == "#2eb67d"


def test_a_failing_channel_retries_then_dead_letters_and_a_redrive_delivers_once(
    cloud: LocalCloud, api: httpx.Client, aws: dict[str, Any], channels_server: ControllableHttpServer
) -> None:
    # Given Slack's queue showing a failed message again after a second, three times before dead-lettering
    sqs = aws["sqs"]
    queue_url = queue_of(cloud, "slack")
    attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["RedrivePolicy"])["Attributes"]
    redrive = json.loads(attributes["RedrivePolicy"])
    dlq_name = redrive["deadLetterTargetArn"].rsplit(":", 1)[1]
    dlq_url = sqs.get_queue_url(QueueName=dlq_name)["QueueUrl"]
    sqs.set_queue_attributes(
        QueueUrl=queue_url,
        Attributes={"VisibilityTimeout": "1", "RedrivePolicy": json.dumps(redrive | {"maxReceiveCount": "3"})},
    )
    add_rule(api, "api-errors", "error_rate", "info")
    before = len(channels_server.requests)
    # And Slack answering each receive's two attempts differently: 500s, then 429s, then not within the timeout
    faults = [
        {"status": 500, "body": "upstream down"},
        {"status": 429, "body": "slow down", "headers": {"Retry-After": "1"}},
        {"status": 200, "body": "ok", "delay_s": 6.0},  # the notifiers give up after 5 s
    ]
    try:
        # When an info alert fires (Slack only)
        push(api, "error_rate", 95, host="api-1")
        drain(cloud, "alert-evaluator")
        [slack_poller] = pollers(cloud, "notifier-slack")
        for fault in faults:
            channels_server.route("/slack", **fault)
            _poll_until_received(slack_poller)
        deadline = time.monotonic() + 10
        while not _count(sqs, dlq_url) and time.monotonic() < deadline:
            slack_poller.poll_once()  # the receive that finds it visible a fourth time moves it to the DLQ
            time.sleep(0.5)
        # Then each receive tried twice, and the message went to the dead-letter queue, nothing delivered
        failed_attempts = len(requests_to(channels_server, "/slack", before))
        assert failed_attempts == 6
        assert _count(sqs, dlq_url) == 1
        log = api.get("/v1/alerts", params={"status": "firing"}).json()["alerts"]
        [alert] = [a for a in log if a["rule_id"] == "api-errors"]
        deliveries = api.get(f"/v1/alerts/{alert['id']}").json()["notifications"]["deliveries"]
        assert [(d["outcome"], d["http_status"], d["attempts"]) for d in reversed(deliveries)] == [
            ("failed", 500, 2),
            ("failed", 429, 2),
            ("failed", None, 2),
        ]
        assert deliveries[0]["error"].startswith("timeout")
        # When Slack is back and an operator redrives the dead letters, twice
        channels_server.route("/slack", status=200, body="ok")
        assert vigil(["dlq", "redrive", dlq_name, "--endpoint-url", str(cloud.backend_url)]) == 0
        assert vigil(["dlq", "redrive", dlq_name, "--endpoint-url", str(cloud.backend_url)]) == 0
        drain(cloud, "notifier-slack")
        # Then Slack received the info notification exactly once after the outage
        delivered = requests_to(channels_server, "/slack", before)[failed_attempts:]
        assert len(delivered) == 1
        assert json.loads(delivered[0].body)["attachments"][0]["color"] == "#439fe0"
        summary = api.get(f"/v1/alerts/{alert['id']}").json()["notifications"]
        assert summary["notifications_sent"] == 1 and summary["notification_channels"] == ["ops"]
    finally:
        channels_server.route("/slack", status=200, body="ok")
        sqs.set_queue_attributes(
            QueueUrl=queue_url, Attributes={"VisibilityTimeout": "360", "RedrivePolicy": json.dumps(redrive)}
        )


def _poll_until_received(poller: Any, timeout_s: float = 10) -> None:
    """One invocation of the poller's function, as soon as its queue shows a message."""
    deadline = time.monotonic() + timeout_s
    while poller.poll_once() is None:
        assert time.monotonic() < deadline, "no message became visible"
        time.sleep(0.2)


def test_a_redelivered_notification_never_reaches_a_channel_twice(
    cloud: LocalCloud, api: httpx.Client, aws: dict[str, Any], channels_server: ControllableHttpServer
) -> None:
    # Given a notification Slack already received
    add_rule(api, "queue-deep", "queue_depth", "info")
    sqs, queue_url = aws["sqs"], queue_of(cloud, "slack")
    push(api, "queue_depth", 500, host="worker-1")
    drain(cloud, "alert-evaluator")
    captured = _peek_and_deliver(cloud, sqs, queue_url)
    before = len(channels_server.requests)
    # When the very same message arrives again (an SQS redelivery)
    sqs.send_message(QueueUrl=queue_url, MessageBody=captured)
    drain(cloud, "notifier-slack")
    # Then nothing more is sent
    assert len(channels_server.requests) == before


def _peek_and_deliver(cloud: LocalCloud, sqs: Any, queue_url: str) -> str:
    """The body of the message waiting on the queue, then delivered by the notifier."""
    [message] = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1)["Messages"]
    sqs.change_message_visibility(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0)
    drain(cloud, "notifier-slack")
    return str(message["Body"])


def _count(sqs: Any, queue_url: str) -> int:
    attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["ApproximateNumberOfMessages"])
    return int(attributes["Attributes"]["ApproximateNumberOfMessages"])
