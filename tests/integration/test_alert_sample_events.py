"""The alerting sample events in events/ run through the deployed functions, as `vigil local invoke FUNCTION
events/NAME.json` runs them on a running local cloud: a rule and a custom alert over the API, the alert list,
an evaluation requested by ingest, the minute's scheduled evaluation, a notification for Slack, and an alert's
firing transition for the escalator.

The `backend` fixture decides where the stack runs: the embedded moto here."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.servers.http_server import ControllableHttpServer
from tests.support import ROOT, load_event
from vigil_cli.bootstrap import DEMO_CHANNEL_ID, create_demo_tenant, enable_demo_channel
from vigil_cli.local.cloud import LocalCloud
from vigil_cli.local.synth import synth_context, synthesize
from vigil_core.adapters.dynamodb_escalations import DynamoDbEscalationStore
from vigil_core.models.alerts import Severity

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def backend() -> dict[str, Any]:
    """LocalCloud's options saying where the stack runs: none, the embedded moto."""
    return {}


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory, backend: dict[str, Any]) -> Iterator[LocalCloud]:
    state_dir = tmp_path_factory.mktemp("alert-samples-cloud")
    probes = {**synth_context(ROOT)["vigil:probes"], "canaryUrl": ""}
    context = {"vigil:probes": probes, "vigil:monitorsFile": "", "vigil:alertRulesFile": ""}
    template = synthesize(state_dir / "cdk.out", repo_root=ROOT, context=context)
    with LocalCloud(
        template, state_dir=state_dir, start_schedules=False, start_pollers=False, start_sweeper=False, **backend
    ) as running:
        create_demo_tenant(running)
        yield running


def body_of(response: dict[str, Any]) -> Any:
    return json.loads(response["body"]) if response.get("body") else None


def test_the_alert_api_samples_create_a_rule_raise_an_alert_and_list_it(cloud: LocalCloud) -> None:
    # Given the running cloud, whose demo tenant holds the sample events' key
    # When the rule sample, the custom alert sample and the list sample are invoked on the alerts function
    rule = cloud.functions.invoke("alerts", load_event("alerts_post_rule"))
    raised = cloud.functions.invoke("alerts", load_event("alerts_post_alert"))
    listed = cloud.functions.invoke("alerts", load_event("alerts_get_alerts"))
    # Then the rule is stored with its two thresholds, the alert fires, and the list shows it
    assert rule["statusCode"] == 201, rule["body"]
    assert [t["severity"] for t in body_of(rule)["thresholds"]] == ["critical", "warning"]
    assert raised["statusCode"] == 201, raised["body"]
    assert body_of(raised)["status"] == "firing"
    assert [alert["rule_name"] for alert in body_of(listed)["alerts"]] == ["Payment provider timeouts"]


def test_the_evaluator_samples_run_an_ingest_request_and_the_minutes_evaluation(cloud: LocalCloud) -> None:
    # Given the sample rule (no data pushed for it)
    cloud.functions.invoke("alerts", load_event("alerts_post_rule"))
    # When the evaluation ingest requests, and the minute's scheduled evaluation, are invoked
    requested = cloud.functions.invoke("alert-evaluator", load_event("alert_evaluator_metrics_written"))
    scheduled = cloud.functions.invoke("alert-evaluator", load_event("alert_evaluator_every_minute"))
    # Then the queue message is processed (no failures to retry) and the minute's run evaluated the rule
    assert requested == {"batchItemFailures": []}
    assert scheduled["rules"] == 1
    assert scheduled["publish_errors"] == []


def test_the_notifier_sample_sends_its_notification_to_the_tenants_slack_channel_once(cloud: LocalCloud) -> None:
    # Given the demo tenant's Slack channel on a stand-in at 127.0.0.1, as `vigil local up` sets it up
    with ControllableHttpServer() as slack:
        slack.route("/slack", status=200, body="ok")
        enable_demo_channel(cloud, slack.url("/slack"))
        # When the notifier sample is invoked on the Slack notifier, twice (SQS may deliver a message again)
        first = cloud.functions.invoke("notifier-slack", load_event("notifier_slack_notification"))
        second = cloud.functions.invoke("notifier-slack", load_event("notifier_slack_notification"))
        # Then both succeed, and Slack got the critical notification once
        assert first == second == {"batchItemFailures": []}
        [request] = slack.requests
        assert json.loads(request.body)["text"].startswith("[FIRING] Payment provider timeouts (critical, demo)")


def test_the_escalator_sample_starts_the_sample_alerts_escalation_once(cloud: LocalCloud) -> None:
    # Given the demo tenant as `vigil local up` leaves it (its escalation levels page the demo channel), and the
    # sample custom alert (an error) firing
    enable_demo_channel(cloud, "http://127.0.0.1:9/slack")  # no page is sent: no notifier runs in this test
    raised = cloud.functions.invoke("alerts", load_event("alerts_post_alert"))
    alert_id = body_of(raised)["id"]
    # When the escalator sample (the alert's firing transition) is invoked twice (SQS may deliver it again)
    first = cloud.functions.invoke("escalator", load_event("escalator_alert_firing"))
    second = cloud.functions.invoke("escalator", load_event("escalator_alert_firing"))
    # Then both succeed, and the alert has one escalation on the default schedule for errors: five minutes after
    # it fired
    assert first == second == {"batchItemFailures": []}
    store = DynamoDbEscalationStore(cloud.functions.get("escalator").environment["ALERTS_TABLE_NAME"])
    record = store.get("demo", alert_id)
    assert record is not None
    assert (record.execution_name, record.severity) == (f"{alert_id}-1", Severity.ERROR)
    assert [(page.level, page.due_at, page.targets) for page in record.schedule] == [
        (1, datetime(2026, 11, 22, 18, 5, tzinfo=UTC), (DEMO_CHANNEL_ID,))
    ]
