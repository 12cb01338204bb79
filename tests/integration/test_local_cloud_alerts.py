"""Alerting end to end on the local cloud: rules over the API, metrics pushed over HTTP, the evaluator run
by the real event source mappings and schedule, alerts published to the real SNS topic and landing in a
subscribed SQS queue, operator actions, silences, custom alerts and probe transitions.

The evaluator's queue pollers are driven by the test (poll once, see what happened), so nothing sleeps.

The `backend` fixture decides where the stack runs: the embedded moto here; tests/localstack overrides it
and runs these same scenarios."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import httpx
import pytest

from tests.servers.http_server import ControllableHttpServer
from tests.support import ROOT
from vigil_cli.bootstrap import create_demo_tenant
from vigil_cli.local.cloud import LocalCloud
from vigil_cli.local.synth import synth_context, synthesize
from vigil_core.adapters.dynamodb_tenants import DynamoDBTenantDirectory
from vigil_core.models.tenants import SlaTier
from vigil_core.services.tenants import create_tenant

pytestmark = pytest.mark.integration

CODE_TENANT = "initech"
CODE_POLICY: dict[str, Any] = {"levels": {"critical": [{"targets": ["pagerduty"], "after": "2m"}]}, "repeat": 1}


@pytest.fixture(scope="module")
def target() -> Iterator[ControllableHttpServer]:
    with ControllableHttpServer() as server:
        yield server


@pytest.fixture(scope="module")
def backend() -> dict[str, Any]:
    """LocalCloud's options saying where the stack runs: none, the embedded moto."""
    return {}


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory, backend: dict[str, Any]) -> Iterator[LocalCloud]:
    state_dir = tmp_path_factory.mktemp("alerts-cloud")
    probes = synth_context(ROOT)["vigil:probes"] | {"canaryUrl": ""}  # probes here never leave 127.0.0.1
    # Escalation policies as code: initech's (a tenant only test_an_escalation_policy_deployed_as_code_* uses).
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
        template, state_dir=state_dir, start_schedules=False, start_pollers=False, start_sweeper=False, **backend
    ) as running:
        yield running


@pytest.fixture(scope="module")
def key(cloud: LocalCloud) -> str:
    return create_demo_tenant(cloud).api_key


@pytest.fixture(scope="module")
def api(cloud: LocalCloud, key: str) -> Iterator[httpx.Client]:
    assert cloud.api_url is not None
    with httpx.Client(base_url=cloud.api_url, timeout=30, headers={"x-api-key": key}) as client:
        yield client


class Subscriber:
    """An SQS queue subscribed to the alerts topic, as the notification channels will be."""

    def __init__(self, cloud: LocalCloud) -> None:
        self.sqs = boto3.client("sqs", endpoint_url=cloud.backend_url, region_name="us-east-1")
        sns = boto3.client("sns", endpoint_url=cloud.backend_url, region_name="us-east-1")
        topic_arn = cloud.functions.get("alerts").environment["ALERTS_TOPIC_ARN"]
        self.url = self.sqs.create_queue(QueueName="alerts-subscriber")["QueueUrl"]
        queue_arn = self.sqs.get_queue_attributes(QueueUrl=self.url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn)

    def messages(self) -> list[dict[str, Any]]:
        """Each SNS envelope that landed: its message (parsed) and its attributes."""
        received = []
        while batch := self.sqs.receive_message(QueueUrl=self.url, MaxNumberOfMessages=10).get("Messages", []):
            for message in batch:
                envelope = json.loads(message["Body"])
                attributes = {name: value["Value"] for name, value in envelope["MessageAttributes"].items()}
                received.append({"body": json.loads(envelope["Message"]), "attributes": attributes})
                self.sqs.delete_message(QueueUrl=self.url, ReceiptHandle=message["ReceiptHandle"])
        return received


@pytest.fixture(scope="module")
def subscriber(cloud: LocalCloud) -> Subscriber:
    return Subscriber(cloud)


def evaluate_queued(cloud: LocalCloud) -> int:
    """Run the evaluator on whatever its queues hold (ingest requests, probe transitions, group flushes)."""
    evaluators = [p for p in cloud.pollers if p.mapping.function.short_name == "alert-evaluator"]
    runs = 0
    while [record for record in (poller.poll_once() for poller in evaluators) if record is not None]:
        runs += 1
    return runs


def push(api: httpx.Client, name: str, value: float, **labels: str) -> None:
    response = api.post(
        "/v1/metrics", json={"points": [{"name": name, "type": "gauge", "value": value, "labels": labels}]}
    )
    assert response.status_code == 202, response.text


def test_a_breaching_push_fires_an_alert_published_to_the_topic(
    cloud: LocalCloud, api: httpx.Client, subscriber: Subscriber
) -> None:
    # Given a rule over the API: disk usage above 90 % is critical, at once; and no group wait
    assert api.put("/v1/alerting-policy", json={"group_wait": 0}).status_code == 200
    rule = {
        "name": "Disk full",
        "metric": "disk_used_percent",
        "window": "1m",
        "group_by": ["host"],
        "thresholds": [{"severity": "critical", "condition": "gt", "value": 90}],
        "annotations": {"summary": "Disk almost full", "runbook_url": "https://runbooks.example/disk"},
    }
    created = api.post("/v1/alert-rules", json=rule)
    assert created.status_code == 201, created.text
    subscriber.messages()
    # When an app pushes a breaching point over HTTP and the evaluator runs on what ingest queued
    push(api, "disk_used_percent", 97, host="db-1")
    assert evaluate_queued(cloud) >= 1
    # Then the transition and the group's notification land in the subscribed queue, with their attributes
    messages = subscriber.messages()
    by_kind = {m["attributes"]["kind"]: m for m in messages}
    assert sorted(by_kind) == ["notification", "transition"]
    transition = by_kind["transition"]
    assert transition["attributes"] == {
        "kind": "transition",
        "tenant": "demo",
        "severity": "critical",
        "state": "firing",
        "fingerprint": transition["body"]["fingerprint"],
    }
    assert transition["body"]["alert"]["labels"] == {"host": "db-1", "alertname": "disk-full", "severity": "critical"}
    notification = by_kind["notification"]["body"]
    assert (notification["status"], notification["reason"], len(notification["firing"])) == ("firing", "new", 1)
    # And the alert API shows it, firing
    listed = api.get("/v1/alerts", params={"status": "firing"}).json()["alerts"]
    assert [alert["rule_id"] for alert in listed] == ["disk-full"]
    alert_id = listed[0]["id"]
    assert api.get(f"/v1/alerts/{alert_id}").json()["value"] == 97


def test_acknowledge_and_resolve_over_http_keep_who_and_when(
    cloud: LocalCloud, api: httpx.Client, subscriber: Subscriber
) -> None:
    # Given a firing custom alert raised by an app
    raised = api.post("/v1/alerts", json={"name": "Payments failing", "severity": "error", "labels": {"svc": "pay"}})
    assert raised.status_code == 201, raised.text
    alert_id = raised.json()["id"]
    again = api.post("/v1/alerts", json={"name": "Payments failing", "severity": "error", "labels": {"svc": "pay"}})
    assert (again.status_code, again.json()["occurrences"]) == (200, 2)
    subscriber.messages()
    # When someone acknowledges it with notes, and then resolves it
    acknowledged = api.post(f"/v1/alerts/{alert_id}/acknowledge", json={"notes": "on it", "by": "ana"})
    assert acknowledged.status_code == 200, acknowledged.text
    assert api.post(f"/v1/alerts/{alert_id}/acknowledge").status_code == 409
    resolved = api.post(f"/v1/alerts/{alert_id}/resolve", json={"resolution_notes": "provider fixed it"})
    # Then the alert keeps who did what, and when
    body = resolved.json()
    assert (body["status"], body["acknowledged_by"], body["ack_notes"]) == ("resolved", "ana", "on it")
    assert body["resolved_by"].startswith("api-key:")
    assert body["resolution_notes"] == "provider fixed it"
    assert [entry["status"] for entry in body["history"]] == ["firing", "acknowledged", "resolved"]
    # And each change was published as a transition
    states = [m["attributes"]["state"] for m in subscriber.messages() if m["attributes"]["kind"] == "transition"]
    assert states == ["acknowledged", "resolved"]


def test_alerts_are_tenant_scoped_and_bad_input_is_refused(cloud: LocalCloud, api: httpx.Client) -> None:
    # Given the demo tenant's alerts and another tenant's key
    api.post("/v1/alerts", json={"name": "Private alert"})
    alert_id = api.get("/v1/alerts").json()["alerts"][0]["id"]
    directory = DynamoDBTenantDirectory(cloud.functions.get("alerts").environment["CONFIG_TABLE_NAME"])
    other = {"x-api-key": create_tenant(directory, "globex", "Globex", SlaTier.BASIC, datetime.now(UTC))[1].plaintext}
    # Then the other tenant sees none of them and cannot act on them
    assert api.get("/v1/alerts", headers=other).json()["alerts"] == []
    assert api.get(f"/v1/alerts/{alert_id}", headers=other).status_code == 404
    assert api.post(f"/v1/alerts/{alert_id}/resolve", headers=other).status_code == 404
    # And bad input is refused with the field and the problem
    bad_rule = api.post("/v1/alert-rules", json={"name": "x", "metric": "cpu", "window": "90s", "thresholds": []})
    assert bad_rule.status_code == 400
    assert {e["field"] for e in bad_rule.json()["errors"]} == {"window", "thresholds"}
    bad_list = api.get("/v1/alerts", params={"status": "burning"})
    assert (bad_list.status_code, bad_list.json()["errors"][0]["field"]) == (400, "status")
    assert api.get("/v1/alerts", params={"cursor": "not-a-cursor"}).json()["errors"][0]["field"] == "cursor"
    bad_silence = api.post("/v1/silences", json={"matchers": [], "ends_at": "2020-01-01T00:00:00Z"})
    assert bad_silence.status_code == 400
    assert api.get("/v1/alerts", headers={"x-api-key": "vgl_nope"}).status_code == 401


def test_paging_through_alerts_with_a_cursor(api: httpx.Client) -> None:
    # Given a dozen custom alerts
    for number in range(12):
        api.post("/v1/alerts", json={"name": f"Batch job {number}", "severity": "info"})
    # When they are listed five at a time
    seen: list[str] = []
    cursor = None
    while True:
        params = {"severity": "info", "limit": "5", **({"cursor": cursor} if cursor else {})}
        page = api.get("/v1/alerts", params=params).json()
        seen += [alert["rule_name"] for alert in page["alerts"]]
        cursor = page.get("next_cursor")
        if cursor is None:
            break
    # Then every one appears once, newest first
    assert seen == [f"Batch job {number}" for number in reversed(range(12))]


def test_a_silence_keeps_an_alert_out_of_notifications(
    cloud: LocalCloud, api: httpx.Client, subscriber: Subscriber
) -> None:
    # Given a silence on host web-9 for the next hour
    ends = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    silence = {"matchers": [{"label": "host", "value": "web-9"}], "ends_at": ends, "created_by": "ana"}
    created = api.post("/v1/silences", json=silence | {"comment": "rebuilding"})
    assert created.status_code == 201, created.text
    assert created.json()["state"] == "active"
    subscriber.messages()
    # When web-9's disk fills up
    push(api, "disk_used_percent", 99, host="web-9")
    evaluate_queued(cloud)
    # Then the alert fires and is published as a transition, but no notification lists it
    messages = subscriber.messages()
    assert [m["attributes"]["state"] for m in messages if m["attributes"]["kind"] == "transition"] == ["firing"]
    notified = [
        alert["labels"].get("host")
        for m in messages
        if m["attributes"]["kind"] == "notification"
        for alert in m["body"]["firing"]
    ]
    assert "web-9" not in notified
    # And the silence can be listed and expired
    silence_id = created.json()["id"]
    assert silence_id in [s["id"] for s in api.get("/v1/silences").json()["silences"]]
    assert api.delete(f"/v1/silences/{silence_id}").json()["state"] == "expired"
    assert api.delete(f"/v1/silences/{silence_id}").status_code == 409


def test_a_probe_transition_fires_a_probe_rule_right_away(
    cloud: LocalCloud, api: httpx.Client, subscriber: Subscriber, target: ControllableHttpServer
) -> None:
    # Given a monitor that fails on its first check, and a probe rule: down at all is critical
    target.route("/broken", status=500, body="boom")
    monitor = {"name": "Broken", "type": "http", "target": target.url("/broken"), "failure_threshold": 1}
    assert api.post("/v1/monitors", json=monitor).status_code == 201
    rule = {"kind": "probe", "name": "Endpoint down", "monitors": [{"label": "monitor", "value": "broken"}]}
    assert api.post("/v1/alert-rules", json=rule).status_code == 201
    subscriber.messages()
    # When the 1-minute schedule runs the monitor and the evaluator takes the transition it handed on
    [probe_rule] = [r for r in cloud.scheduler.rules if r.logical_id.startswith("ProbesEvery1m")]
    [probe_target] = probe_rule.targets
    at = datetime.now(UTC).replace(second=0, microsecond=0)
    cloud.functions.invoke(
        probe_target.function.logical_id, probe_target.event_for(cloud.scheduler.scheduled_event(probe_rule, at))
    )
    evaluate_queued(cloud)
    # Then the probe alert fires and is published
    transitions = [m for m in subscriber.messages() if m["attributes"]["kind"] == "transition"]
    assert [(m["body"]["alert"]["rule_id"], m["attributes"]["severity"]) for m in transitions] == [
        ("endpoint-down", "critical")
    ]
    assert transitions[0]["body"]["alert"]["labels"]["monitor"] == "broken"


def test_the_minute_schedule_resolves_an_alert_whose_metric_went_quiet(
    cloud: LocalCloud, api: httpx.Client, subscriber: Subscriber
) -> None:
    # Given a firing disk alert on db-7
    push(api, "disk_used_percent", 95, host="db-7")
    evaluate_queued(cloud)
    subscriber.messages()
    # When the minute's schedule fires three minutes later, with no new data (a 1-minute window)
    [minute_rule] = [r for r in cloud.scheduler.rules if r.logical_id.startswith("AlertingEveryMinute")]
    [minute_target] = minute_rule.targets
    later = datetime.now(UTC) + timedelta(minutes=3)
    report = cloud.functions.invoke(
        minute_target.function.logical_id, minute_target.event_for(cloud.scheduler.scheduled_event(minute_rule, later))
    )
    # Then db-7's alert resolves by itself and the transition is published
    assert report["rules"] >= 1
    resolved = [
        m["body"]["alert"]["labels"].get("host")
        for m in subscriber.messages()
        if m["attributes"]["kind"] == "transition" and m["attributes"]["state"] == "resolved"
    ]
    assert "db-7" in resolved


def test_an_escalation_policy_is_set_and_read_over_the_api_and_a_bad_one_refused(api: httpx.Client) -> None:
    # Given the tenant's defaults: critical escalates after a minute, info never
    defaults = api.get("/v1/escalation-policy")
    assert defaults.status_code == 200
    assert defaults.json()["levels"]["critical"][0]["after"] == 60 and defaults.json()["levels"]["info"] == []
    assert defaults.json()["source"] == "default"
    # When a policy with a level waiting for business hours in Berlin is set
    policy = {
        "levels": {"warning": [{"targets": ["email"], "after": "15m", "when": "business_hours"}]},
        "repeat": 2,
        "business_hours": {"timezone": "Europe/Berlin", "start": "08:00", "end": "18:00"},
    }
    stored = api.put("/v1/escalation-policy", json=policy)
    # Then it is stored as given, and read back
    assert stored.status_code == 200, stored.text
    assert api.get("/v1/escalation-policy").json() == stored.json()
    assert stored.json()["business_hours"]["start"] == "08:00:00"
    assert stored.json()["source"] == "api"
    # And a repeat count above five is refused, naming the field
    refused = api.put("/v1/escalation-policy", json=policy | {"repeat": 9})
    assert refused.status_code == 400
    assert [error["field"] for error in refused.json()["errors"]] == ["repeat"]


def test_an_escalation_policy_deployed_as_code_is_shown_and_cannot_be_changed_over_the_api(
    cloud: LocalCloud, api: httpx.Client
) -> None:
    # Given the stack deployed with initech's policy in its escalation-policies file, and initech's key
    directory = DynamoDBTenantDirectory(cloud.functions.get("alerts").environment["CONFIG_TABLE_NAME"])
    key = create_tenant(directory, CODE_TENANT, "Initech", SlaTier.BASIC, datetime.now(UTC))[1].plaintext
    initech = {"x-api-key": key}
    # When initech reads its policy
    shown = api.get("/v1/escalation-policy", headers=initech)
    # Then it is the file's, normalized, and says it comes from code
    assert shown.status_code == 200, shown.text
    assert shown.json()["source"] == "code"
    assert shown.json()["levels"] == {"critical": [{"targets": ["pagerduty"], "after": 120, "when": "always"}]}
    assert (shown.json()["repeat"], shown.json()["business_hours"]["timezone"]) == (1, "UTC")
    # And putting another one is refused, naming the file, and changes nothing
    refused = api.put("/v1/escalation-policy", headers=initech, json={"repeat": 0})
    assert refused.status_code == 409
    assert refused.json() == {
        "error": "conflict",
        "message": (
            "the escalation policy of tenant 'initech' is defined in escalation-policies.yaml, deployed with the "
            "stack; change it there"
        ),
    }
    assert api.get("/v1/escalation-policy", headers=initech).json() == shown.json()
    # And the demo tenant, not in the file, is not affected
    assert api.get("/v1/escalation-policy").json()["source"] in {"default", "api"}
