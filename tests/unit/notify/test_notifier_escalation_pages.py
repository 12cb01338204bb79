"""The notifier on escalation pages (kind=escalation): to the level's channels of its own type, once per page,
only while the alert still fires unacknowledged in the firing that escalated, and logged like any
notification, so the paged channels hear of the acknowledgement and resolution too."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.unit.notify.fakes import FakeSecrets, RecordingDeferral, RecordingHttp, RecordingSms
from vigil_core.adapters.memory_alerts import MemoryAlertRuleRepository, MemoryAlertStore, MemoryDeliveryLog
from vigil_core.models.alerts import (
    Alert,
    AlertChange,
    AlertSource,
    AlertStatus,
    AlertTransition,
    GroupNotification,
    Severity,
    TransitionKind,
)
from vigil_core.models.escalation import EscalationPage
from vigil_core.models.notifications import ChannelType, NotificationPolicy
from vigil_core.services.notifier import Notifier, NotifierReport

TENANT = "acme"
FINGERPRINT = "fp-1"
T0 = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
OPS_URL = "http://127.0.0.1:9/services/T000/B000/ops-token"
ONCALL_URL = "http://127.0.0.1:9/services/T000/B001/oncall-token"
PAGERDUTY_URL = "http://127.0.0.1:9/pd"
SECRETS = {
    "secretsmanager:vigil/notify/ops-slack": OPS_URL,
    "secretsmanager:vigil/notify/oncall-slack": ONCALL_URL,
    "ssm:/vigil/notify/pagerduty": "routing-key-123",
}
CHANNELS: list[dict[str, Any]] = [
    {"id": "ops-slack", "type": "slack", "secret": "secretsmanager:vigil/notify/ops-slack"},
    {"id": "oncall-2", "type": "slack", "secret": "secretsmanager:vigil/notify/oncall-slack"},
    {"id": "pager", "type": "pagerduty", "secret": "ssm:/vigil/notify/pagerduty", "endpoint": PAGERDUTY_URL},
    {"id": "oncall-sms", "type": "sms", "to": ["+15555550100"]},
]


class World:
    """One tenant, its channels, the alert store and delivery log the notifiers share, and a notifier per type."""

    def __init__(self, policy: dict[str, Any] | None = None) -> None:
        self.now = T0 + timedelta(minutes=6)
        self.rules = MemoryAlertRuleRepository()
        self.rules.put_notification_policy(TENANT, NotificationPolicy.model_validate(policy or {"channels": CHANNELS}))
        self.alerts = MemoryAlertStore()
        self.log = MemoryDeliveryLog()
        self.http = RecordingHttp()
        self.sms = RecordingSms()
        self.deferral = RecordingDeferral()

    def notifier(self, channel_type: ChannelType) -> Notifier:
        return Notifier(
            channel_type=channel_type,
            policies=self.rules,
            deliveries=self.log,
            alerts=self.alerts,
            secrets=FakeSecrets(SECRETS),
            http=self.http,
            deferral=self.deferral,
            clock=lambda: self.now,
            sms=self.sms,
        )

    def store_alert(self, status: AlertStatus, firings: int = 1) -> None:
        current = self.alerts.get(TENANT, FINGERPRINT)
        alert = Alert(
            tenant_id=TENANT,
            fingerprint=FINGERPRINT,
            rule_id="high-cpu",
            rule_name="High CPU",
            source=AlertSource.RULE,
            status=status,
            severity=Severity.CRITICAL,
            labels={"alertname": "High CPU"},
            first_seen=T0,
            last_seen=T0,
            fired_at=T0,
            firings=firings,
            changed_at=self.now,
        )
        self.alerts.save(AlertChange(alert, 0 if current is None else current.version, None))


def alert_dict(status: str = "firing") -> dict[str, Any]:
    return {
        "id": FINGERPRINT,
        "fingerprint": FINGERPRINT,
        "rule_id": "high-cpu",
        "rule_name": "High CPU",
        "severity": "critical",
        "status": status,
        "annotations": {"summary": "CPU is high on web-1", "runbook_url": "https://runbooks.example/cpu"},
        "first_seen": T0.isoformat(),
        "occurrences": 1,
    }


def page(*channels: str, level: int = 2, step: int = 1, firing: int = 1) -> str:
    """The page the state machine publishes for one step of the alert's escalation."""
    return EscalationPage(
        page_id=f"{FINGERPRINT}-{firing}:{step}",
        tenant_id=TENANT,
        fingerprint=FINGERPRINT,
        firing=firing,
        severity=Severity.CRITICAL,
        level=level,
        round=0,
        channels=channels,
        alert=alert_dict(),
        at=T0 + timedelta(minutes=1 + 5 * step),
    ).model_dump_json()


def resolution(sequence: int = 2) -> str:
    return GroupNotification(
        notification_id=f"group-1:{sequence}",
        tenant_id=TENANT,
        group_key="group-1",
        group_labels={"alertname": "High CPU"},
        status="resolved",
        severity=Severity.CRITICAL,
        reason="changed",
        firing=(),
        resolved=(alert_dict("resolved"),),
        at=T0 + timedelta(minutes=30),
    ).model_dump_json()


def acknowledgement() -> str:
    return AlertTransition(
        transition_id=f"{FINGERPRINT}:3",
        kind=TransitionKind.ACKNOWLEDGED,
        tenant_id=TENANT,
        fingerprint=FINGERPRINT,
        status=AlertStatus.ACKNOWLEDGED,
        previous_status=AlertStatus.FIRING,
        severity=Severity.CRITICAL,
        at=T0 + timedelta(minutes=8),
        occurrence=1,
        alert=alert_dict("acknowledged"),
    ).model_dump_json()


def counts(report: NotifierReport) -> tuple[int, int, int, int, int]:
    return report.delivered, report.duplicates, report.skipped, report.failed, report.rejected


# -- who a page reaches -----------------------------------------------------------------------------------


def test_a_level_two_page_reaches_only_the_slack_channel_it_names() -> None:
    # Given an alert firing, and a tenant with two Slack channels
    world = World()
    world.store_alert(AlertStatus.FIRING)
    # When the Slack notifier gets level 2's page to oncall-2
    report = world.notifier(ChannelType.SLACK).handle(page("oncall-2", level=2))
    # Then oncall-2 got one message, and ops-slack none
    assert world.http.urls() == [ONCALL_URL]
    assert counts(report) == (1, 0, 0, 0, 0) and not report.retry
    # And the message says it is an escalation, at level 2, about the alert that fires
    [message] = world.http.json_bodies()
    attachment = message["attachments"][0]
    assert {"title": "Escalation", "value": "level 2", "short": True} in attachment["fields"]
    assert attachment["title"] == "High CPU" and "CPU is high on web-1" in attachment["text"]
    assert message["text"].startswith("[FIRING] High CPU")
    # And the alert's log shows the page as a delivery to oncall-2
    [delivery] = world.log.summary(TENANT, FINGERPRINT).deliveries
    assert (delivery.channel, delivery.notification_id, delivery.status, delivery.outcome) == (
        "oncall-2",
        "fp-1-1:1",
        "firing",
        "delivered",
    )


def test_a_slack_notifier_leaves_the_page_channels_of_other_types_to_their_notifiers() -> None:
    # Given an alert firing, and level 1's page naming an SMS channel and a Slack channel
    world = World()
    world.store_alert(AlertStatus.FIRING)
    body = page("oncall-sms", "ops-slack", level=1, step=0)
    # When the Slack notifier gets it
    slack = world.notifier(ChannelType.SLACK).handle(body)
    # Then it posts to the Slack channel only and texts nobody
    assert world.http.urls() == [OPS_URL] and world.sms.sent == []
    assert counts(slack) == (1, 0, 0, 0, 0)
    # When the SMS notifier gets the same page
    sms = world.notifier(ChannelType.SMS).handle(body)
    # Then the SMS channel's number is texted, and Slack is not posted to again
    assert [number for number, _ in world.sms.sent] == ["+15555550100"] and len(world.http.posts) == 1
    assert counts(sms) == (1, 0, 0, 0, 0)


def test_a_page_whose_channels_are_none_of_this_type_sends_nothing_and_fails_nothing() -> None:
    # Given an alert firing, and a page to an SMS channel, a PagerDuty channel and a channel since deleted
    world = World()
    world.store_alert(AlertStatus.FIRING)
    # When the Slack notifier gets it
    report = world.notifier(ChannelType.SLACK).handle(page("oncall-sms", "pager", "deleted-channel"))
    # Then nothing is sent, nothing is logged, and the message is done with
    assert world.http.posts == [] and world.sms.sent == []
    assert (report.delivered, report.failed, report.rejected, report.busy, report.errors) == (0, 0, 0, 0, [])
    assert not report.retry and report.deferred_s is None and world.deferral.deferred == []
    assert world.log.summary(TENANT, FINGERPRINT).deliveries == ()


# -- once per page ------------------------------------------------------------------------------------------


def test_a_redelivered_page_sends_nothing_the_second_time() -> None:
    # Given an alert firing, and level 2's page already sent to oncall-2
    world = World()
    world.store_alert(AlertStatus.FIRING)
    slack = world.notifier(ChannelType.SLACK)
    body = page("oncall-2", level=2)
    first = slack.handle(body)
    # When SQS delivers the same page again
    world.now += timedelta(seconds=30)
    again = slack.handle(body)
    # Then oncall-2 got it once, the second a duplicate
    assert world.http.urls() == [ONCALL_URL]
    assert (counts(first), counts(again)) == ((1, 0, 0, 0, 0), (0, 1, 0, 0, 0))
    assert len(world.log.summary(TENANT, FINGERPRINT).deliveries) == 1


def test_the_next_round_pages_the_same_channel_again() -> None:
    # Given level 2's page sent to oncall-2 in the first round
    world = World()
    world.store_alert(AlertStatus.FIRING)
    slack = world.notifier(ChannelType.SLACK)
    slack.handle(page("oncall-2", level=2, step=1))
    # When the escalation repeats and level 2's next page (another step) comes
    report = slack.handle(page("oncall-2", level=2, step=3))
    # Then oncall-2 is paged again: the claim is per page, not per channel
    assert world.http.urls() == [ONCALL_URL, ONCALL_URL] and report.delivered == 1


# -- only while the alert still fires in the firing that escalated ---------------------------------------


@pytest.mark.parametrize(
    ("status", "firings"),
    [
        pytest.param(AlertStatus.ACKNOWLEDGED, 1, id="acknowledged"),
        pytest.param(AlertStatus.RESOLVED, 1, id="resolved"),
        pytest.param(AlertStatus.FIRING, 2, id="firing-again-as-a-later-firing"),
    ],
)
def test_a_page_for_an_alert_that_no_longer_fires_in_its_firing_is_skipped(status: AlertStatus, firings: int) -> None:
    # Given the alert acknowledged, resolved, or firing again (a later firing), since the page was due
    world = World()
    world.store_alert(status, firings=firings)
    # When the first firing's page reaches the Slack and PagerDuty notifiers
    slack = world.notifier(ChannelType.SLACK).handle(page("oncall-2", "pager", firing=1))
    pagerduty = world.notifier(ChannelType.PAGERDUTY).handle(page("oncall-2", "pager", firing=1))
    # Then nobody is paged, nothing is logged, and the message is not retried
    assert world.http.posts == []
    assert (counts(slack), counts(pagerduty)) == ((0, 0, 1, 0, 0), (0, 0, 1, 0, 0))
    assert not slack.retry and not pagerduty.retry
    assert world.log.summary(TENANT, FINGERPRINT).deliveries == ()


def test_a_page_for_an_alert_that_is_gone_is_skipped() -> None:
    # Given no alert stored under the page's fingerprint (deleted with its rule)
    world = World()
    # When its page arrives
    report = world.notifier(ChannelType.SLACK).handle(page("oncall-2"))
    # Then nothing is sent
    assert world.http.posts == [] and report.skipped == 1 and not report.retry


def test_the_page_of_the_firing_that_fires_now_is_sent() -> None:
    # Given the alert firing for the third time
    world = World()
    world.store_alert(AlertStatus.FIRING, firings=3)
    # When the pages of the second and the third firing arrive
    stale = world.notifier(ChannelType.SLACK).handle(page("oncall-2", firing=2))
    current = world.notifier(ChannelType.SLACK).handle(page("oncall-2", firing=3))
    # Then only the third's is sent
    assert (stale.skipped, current.delivered, world.http.urls()) == (1, 1, [ONCALL_URL])


# -- PagerDuty --------------------------------------------------------------------------------------------------


def test_a_page_to_pagerduty_triggers_an_incident_keyed_by_the_alert() -> None:
    # Given an alert firing
    world = World()
    world.store_alert(AlertStatus.FIRING)
    # When level 1's page to PagerDuty and SMS reaches the PagerDuty notifier
    report = world.notifier(ChannelType.PAGERDUTY).handle(page("pager", "oncall-sms", level=1, step=0))
    # Then PagerDuty got one trigger, deduplicated on the alert's fingerprint, with the channel's routing key
    [(url, _, _)] = world.http.posts
    [event] = world.http.json_bodies()
    assert url == PAGERDUTY_URL
    assert (event["event_action"], event["dedup_key"]) == ("trigger", FINGERPRINT)
    assert event["routing_key"] == "routing-key-123" and event["payload"]["severity"] == "critical"
    assert event["payload"]["custom_details"]["notification_id"] == "fp-1-1:0"
    assert counts(report) == (1, 0, 0, 0, 0) and world.sms.sent == []


def test_pagerduty_paged_by_an_escalation_is_told_of_the_acknowledgement_and_the_resolution() -> None:
    # Given PagerDuty paged by level 1
    world = World()
    world.store_alert(AlertStatus.FIRING)
    pagerduty = world.notifier(ChannelType.PAGERDUTY)
    pagerduty.handle(page("pager", level=1, step=0))
    assert world.log.told(TENANT, [FINGERPRINT], "pager") == {FINGERPRINT: "firing"}
    # When the alert is acknowledged, then resolves
    world.store_alert(AlertStatus.ACKNOWLEDGED)
    pagerduty.handle(acknowledgement())
    world.store_alert(AlertStatus.RESOLVED)
    pagerduty.handle(resolution())
    # Then the incident the page opened is acknowledged, then resolved
    events = [(event["event_action"], event["dedup_key"]) for event in world.http.json_bodies()]
    assert events == [("trigger", FINGERPRINT), ("acknowledge", FINGERPRINT), ("resolve", FINGERPRINT)]


# -- what the log remembers --------------------------------------------------------------------------------------


def test_a_channel_paged_by_an_escalation_hears_the_alert_resolve() -> None:
    # Given oncall-2 paged at level 2, ops-slack never told of the alert
    world = World()
    world.store_alert(AlertStatus.FIRING)
    slack = world.notifier(ChannelType.SLACK)
    slack.handle(page("oncall-2", level=2))
    # Then the log says oncall-2 was told the alert fires, and ops-slack was told nothing
    assert world.log.told(TENANT, [FINGERPRINT], "oncall-2") == {FINGERPRINT: "firing"}
    assert world.log.told(TENANT, [FINGERPRINT], "ops-slack") == {}
    # When the alert resolves and the resolution is notified
    world.store_alert(AlertStatus.RESOLVED)
    report = slack.handle(resolution())
    # Then the resolution reaches oncall-2 (and not ops-slack, which never heard of it)
    assert world.http.urls() == [ONCALL_URL, ONCALL_URL]
    resolved = world.http.json_bodies()[1]["attachments"][0]
    assert resolved["color"] == "#2eb67d"
    assert all(entry["title"] != "Escalation" for entry in resolved["fields"])
    assert (report.delivered, report.skipped) == (1, 1)
    assert world.log.told(TENANT, [FINGERPRINT], "oncall-2") == {FINGERPRINT: "resolved"}


def test_a_channel_only_an_escalation_pages_hears_the_alert_resolve() -> None:
    # Given routes that send criticals to Slack only, and an escalation level that pages PagerDuty
    world = World({"channels": CHANNELS, "routes": {"critical": [{"to": "slack"}]}})
    world.store_alert(AlertStatus.FIRING)
    pagerduty = world.notifier(ChannelType.PAGERDUTY)
    pagerduty.handle(page("pager", level=1, step=0))
    assert world.log.told(TENANT, [FINGERPRINT], "pager") == {FINGERPRINT: "firing"}
    # When the alert resolves and the resolution reaches the PagerDuty notifier
    world.store_alert(AlertStatus.RESOLVED)
    pagerduty.handle(resolution())
    # Then the incident the page opened is resolved
    events = [event["event_action"] for event in world.http.json_bodies()]
    assert events == ["trigger", "resolve"]
