"""The notifier on in-memory stores and recording senders: routes, delays, claims, retries and the log."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.unit.notify.fakes import FakeSecrets, RecordingDeferral, RecordingEmail, RecordingHttp, RecordingSms
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
from vigil_core.models.notifications import ChannelType, NotificationPolicy
from vigil_core.notify.payloads import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify
from vigil_core.ports import ChannelSendError, DeliveryOutcome
from vigil_core.services.notifier import MessageError, Notifier
from vigil_core.settings import NotifierSettings, SettingsError, load_settings

TENANT = "acme"
T0 = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
SLACK_URL = "http://127.0.0.1:9/services/T000/B000/secret-token"
SECRETS = {
    "secretsmanager:vigil/notify/slack": SLACK_URL,
    "ssm:/vigil/notify/pagerduty": "routing-key-123",
    "secretsmanager:vigil/notify/hook": json.dumps({"url": "http://127.0.0.1:9/hook", "signing_secret": "s3cret"}),
}
CHANNELS: list[dict[str, Any]] = [
    {"id": "ops-slack", "type": "slack", "secret": "secretsmanager:vigil/notify/slack"},
    {"id": "pager", "type": "pagerduty", "secret": "ssm:/vigil/notify/pagerduty", "endpoint": "http://127.0.0.1:9/pd"},
    {"id": "hook", "type": "webhook", "secret": "secretsmanager:vigil/notify/hook", "headers": {"X-Team": "sre"}},
    {"id": "oncall-mail", "type": "email", "to": ["oncall@example.com", "lead@example.com"]},
    {"id": "oncall-sms", "type": "sms", "to": ["+15555550100", "+15555550101"]},
]


class World:
    def __init__(self, channel_type: ChannelType, policy: dict[str, Any] | None = None) -> None:
        self.now = T0
        self.rules = MemoryAlertRuleRepository()
        self.rules.put_notification_policy(
            TENANT, NotificationPolicy.model_validate(policy if policy is not None else {"channels": CHANNELS})
        )
        self.alerts = MemoryAlertStore()
        self.log = MemoryDeliveryLog()
        self.http = RecordingHttp()
        self.email = RecordingEmail()
        self.sms = RecordingSms()
        self.deferral = RecordingDeferral()
        self.notifier = Notifier(
            channel_type=channel_type,
            policies=self.rules,
            deliveries=self.log,
            alerts=self.alerts,
            secrets=FakeSecrets(SECRETS),
            http=self.http,
            deferral=self.deferral,
            clock=lambda: self.now,
            email=self.email,
            sms=self.sms,
            email_sender="vigil@example.com",
        )

    def store_alert(self, fingerprint: str, status: AlertStatus, severity: Severity = Severity.WARNING) -> None:
        current = self.alerts.get(TENANT, fingerprint)
        alert = Alert(
            tenant_id=TENANT,
            fingerprint=fingerprint,
            rule_id="high-cpu",
            rule_name="High CPU",
            source=AlertSource.RULE,
            status=status,
            severity=severity,
            labels={"alertname": "High CPU"},
            first_seen=T0,
            last_seen=T0,
            changed_at=self.now,
        )
        self.alerts.save(AlertChange(alert, 0 if current is None else current.version, None))


def alert_dict(fingerprint: str, severity: str = "critical", status: str = "firing") -> dict[str, Any]:
    return {
        "id": fingerprint,
        "fingerprint": fingerprint,
        "rule_id": "high-cpu",
        "rule_name": "High CPU",
        "severity": severity,
        "status": status,
        "annotations": {"summary": f"CPU is high on {fingerprint}", "runbook_url": "https://runbooks.example/cpu"},
        "first_seen": T0.isoformat(),
        "occurrences": 1,
    }


def notification(
    *fingerprints: str, severity: str = "critical", status: str = "firing", sequence: int = 1, at: datetime = T0
) -> str:
    alerts = tuple(alert_dict(fp, severity, status) for fp in fingerprints)
    return GroupNotification(
        notification_id=f"group-1:{sequence}",
        tenant_id=TENANT,
        group_key="group-1",
        group_labels={"alertname": "High CPU"},
        status="firing" if status == "firing" else "resolved",
        severity=Severity(severity),
        reason="new" if sequence == 1 else "changed",
        firing=alerts if status == "firing" else (),
        resolved=alerts if status == "resolved" else (),
        at=at,
    ).model_dump_json()


def acknowledgement(fingerprint: str) -> str:
    return AlertTransition(
        transition_id=f"{fingerprint}:3",
        kind=TransitionKind.ACKNOWLEDGED,
        tenant_id=TENANT,
        fingerprint=fingerprint,
        status=AlertStatus.ACKNOWLEDGED,
        previous_status=AlertStatus.FIRING,
        severity=Severity.CRITICAL,
        at=T0 + timedelta(minutes=2),
        occurrence=1,
        alert=alert_dict(fingerprint, status="acknowledged"),
    ).model_dump_json()


# -- routing and delivery -------------------------------------------------------------------------------


def test_a_critical_notification_reaches_slack_once_and_is_logged_on_its_alert() -> None:
    # Given a tenant whose Slack channel takes every severity
    world = World(ChannelType.SLACK)
    # When a critical notification arrives, and SQS delivers it a second time
    first = world.notifier.handle(notification("fp-1"))
    again = world.notifier.handle(notification("fp-1"))
    # Then Slack got one message, at the URL held in the secret, coloured as critical
    [(url, _, headers)] = world.http.posts
    assert url == SLACK_URL and headers["Content-Type"] == "application/json"
    [payload] = world.http.json_bodies()
    assert payload["attachments"][0]["color"] == "#d00000"
    assert (first.delivered, again.delivered, again.duplicates) == (1, 0, 1)
    # And the alert's log says who was told, when
    summary = world.log.summary(TENANT, "fp-1")
    assert summary.notifications_sent == 1 and summary.notification_channels == ("ops-slack",)
    assert summary.last_notification_at == T0
    assert [(d.channel, d.outcome, d.status) for d in summary.deliveries] == [("ops-slack", "delivered", "firing")]


def test_the_default_routes_send_info_to_slack_only_and_critical_everywhere() -> None:
    # Given every kind of channel and the default routes
    policy = NotificationPolicy.model_validate({"channels": CHANNELS})
    # Then the channels attribute a notification is published with follows its severity
    assert policy.channel_types(Severity.INFO, "firing") == ["slack"]
    assert policy.channel_types(Severity.WARNING, "firing") == ["email", "slack"]
    assert policy.channel_types(Severity.ERROR, "firing") == ["email", "slack", "sms"]
    assert policy.channel_types(Severity.CRITICAL, "firing") == ["email", "pagerduty", "slack", "sms"]
    # And email waits a minute for a warning, but not for a critical
    assert [t.delay for t in policy.targets(Severity.WARNING, "firing", ChannelType.EMAIL)] == [60]
    assert [t.delay for t in policy.targets(Severity.CRITICAL, "firing", ChannelType.EMAIL)] == [0]
    # And without send_resolved a resolution goes nowhere
    quiet = policy.model_copy(update={"send_resolved": False})
    assert quiet.channel_types(Severity.CRITICAL, "resolved") == []


def test_a_notification_for_a_severity_the_channel_is_not_routed_for_is_not_sent() -> None:
    # Given SMS only for errors and criticals
    world = World(ChannelType.SMS)
    # When an info notification reaches the SMS notifier anyway
    report = world.notifier.handle(notification("fp-1", severity="info"))
    # Then nothing is sent
    assert world.sms.sent == [] and report.delivered == 0


# -- delays ----------------------------------------------------------------------------------------------


def test_a_warning_email_waits_its_delay_and_goes_out_if_the_alert_still_fires() -> None:
    # Given a warning that fires now
    world = World(ChannelType.EMAIL)
    world.store_alert("fp-1", AlertStatus.FIRING)
    body = notification("fp-1", severity="warning")
    # When the email notifier first gets it
    report = world.notifier.handle(body)
    # Then it is put back for 60 seconds and nobody is emailed yet
    assert world.deferral.deferred == [(body, 60)] and world.email.sent == [] and report.deferred_s == 60
    # When it comes back a minute later, the alert still firing
    world.now = T0 + timedelta(seconds=60)
    world.notifier.handle(body)
    # Then one email goes to every recipient, with text and HTML parts
    [(sender, recipients, subject, text, html)] = world.email.sent
    assert sender == "vigil@example.com" and recipients == ("oncall@example.com", "lead@example.com")
    assert "High CPU" in subject and "CPU is high on fp-1" in text and "<html" in html.lower()


def test_a_warning_resolved_within_its_delay_emails_nobody_not_even_its_resolution() -> None:
    # Given a warning whose email waits a minute
    world = World(ChannelType.EMAIL)
    world.store_alert("fp-1", AlertStatus.FIRING)
    firing = notification("fp-1", severity="warning")
    world.notifier.handle(firing)
    # When it resolves before the minute is out, and the resolution is notified
    world.now = T0 + timedelta(seconds=30)
    world.store_alert("fp-1", AlertStatus.RESOLVED)
    resolved = world.notifier.handle(notification("fp-1", severity="warning", status="resolved", sequence=2))
    world.now = T0 + timedelta(seconds=60)
    delayed = world.notifier.handle(firing)
    # Then no email is sent: the firing is no longer news, and email never heard of the alert
    assert world.email.sent == []
    assert (resolved.skipped, delayed.skipped) == (1, 1)


def test_a_resolution_is_sent_at_once_to_channels_that_were_told_of_the_firing() -> None:
    # Given Slack told of two alerts firing... and only one of them
    world = World(ChannelType.SLACK)
    world.notifier.handle(notification("fp-1"))
    # When both are notified as resolved
    world.notifier.handle(notification("fp-1", "fp-2", status="resolved", sequence=2))
    # Then the resolution lists only the alert Slack knew of
    resolution = world.http.json_bodies()[1]
    assert resolution["attachments"][0]["color"] == "#2eb67d"
    assert "_2 resolved alerts" not in resolution["attachments"][0]["text"]
    assert world.log.told(TENANT, ["fp-1", "fp-2"], "ops-slack") == {"fp-1": "resolved"}


# -- failures ----------------------------------------------------------------------------------------------


def test_a_5xx_fails_the_message_and_its_retry_delivers_once() -> None:
    # Given Slack answering 503 after the adapter's own retries
    world = World(ChannelType.SLACK)
    world.http.answers.append(DeliveryOutcome(False, 3, 503, "HTTP 503", "try later", retryable=True))
    body = notification("fp-1")
    # When the message is handled, then handled again (SQS redelivers it)
    first = world.notifier.handle(body)
    world.now += timedelta(seconds=30)
    second = world.notifier.handle(body)
    third = world.notifier.handle(body)
    # Then the first asks for a retry, the second delivers, the third is a duplicate
    assert (first.retry, second.retry, second.delivered, third.duplicates) == (True, False, 1, 1)
    outcomes = [(d.outcome, d.attempts, d.http_status) for d in reversed(world.log.summary(TENANT, "fp-1").deliveries)]
    assert outcomes == [("failed", 3, 503), ("delivered", 1, 202)]


def test_a_4xx_is_recorded_with_the_answer_and_never_retried() -> None:
    # Given PagerDuty refusing the event with a 400 (a bad routing key)
    world = World(ChannelType.PAGERDUTY)
    world.http.answers.append(DeliveryOutcome(False, 1, 400, "HTTP 400", '{"status":"invalid event"}'))
    # When a critical notification is handled twice
    first = world.notifier.handle(notification("fp-1"))
    second = world.notifier.handle(notification("fp-1"))
    # Then it is not retried, and the log keeps the answer
    assert (first.retry, first.rejected, second.duplicates, len(world.http.posts)) == (False, 1, 1, 1)
    [delivery] = world.log.summary(TENANT, "fp-1").deliveries
    assert delivery.outcome == "rejected" and delivery.error == 'HTTP 400: {"status":"invalid event"}'


def test_a_secret_never_appears_in_a_recorded_error() -> None:
    # Given an endpoint that echoes the URL (and its token) in an error page
    world = World(ChannelType.SLACK)
    world.http.answers.append(DeliveryOutcome(False, 1, 404, "HTTP 404", f"no such hook {SLACK_URL}"))
    # When the delivery fails
    report = world.notifier.handle(notification("fp-1"))
    # Then neither the log nor the report holds the token
    [delivery] = world.log.summary(TENANT, "fp-1").deliveries
    assert "secret-token" not in (delivery.error or "") and "***" in (delivery.error or "")
    assert all("secret-token" not in error for error in report.errors)


def test_a_missing_secret_fails_the_message_so_it_can_be_redriven_once_fixed() -> None:
    # Given a Slack channel whose secret does not exist
    policy = {"channels": [{"id": "x", "type": "slack", "secret": "secretsmanager:vigil/notify/missing"}]}
    world = World(ChannelType.SLACK, policy)
    # When a notification arrives
    report = world.notifier.handle(notification("fp-1"))
    # Then the message fails, naming the secret, and nothing was posted
    assert report.retry and world.http.posts == []
    assert "vigil/notify/missing" in report.errors[0]


def test_an_sms_retry_goes_only_to_the_number_that_failed() -> None:
    # Given two numbers, the second throttled once
    world = World(ChannelType.SMS)
    world.sms.failing["+15555550101"] = ChannelSendError("Throttling: rate exceeded", retryable=True)
    body = notification("fp-1", severity="error")
    # When the message is handled, then redelivered
    assert world.notifier.handle(body).retry
    assert not world.notifier.handle(body).retry
    # Then each number got exactly one text, within 160 characters
    assert sorted(number for number, _ in world.sms.sent) == ["+15555550100", "+15555550101"]
    assert all(len(text) <= 160 for _, text in world.sms.sent)


def test_a_message_another_receiver_is_sending_is_retried_later() -> None:
    # Given a claim held by another receiver (its lease not run out)
    world = World(ChannelType.SLACK)
    world.log.claim(TENANT, "ops-slack#group-1:1", T0, 600)
    # When this receiver gets the same message
    report = world.notifier.handle(notification("fp-1"))
    # Then it sends nothing and asks to see the message again
    assert (report.busy, report.retry, world.http.posts) == (1, True, [])


def test_something_that_is_no_notification_is_refused() -> None:
    world = World(ChannelType.SLACK)
    with pytest.raises(MessageError, match="not a vigil notification"):
        world.notifier.handle('{"hello": "world"}')


# -- channels ----------------------------------------------------------------------------------------------


def test_pagerduty_opens_one_incident_per_alert_and_is_told_of_acknowledgements_and_resolutions() -> None:
    # Given two critical alerts in one notification
    world = World(ChannelType.PAGERDUTY)
    world.notifier.handle(notification("fp-1", "fp-2"))
    # When one is acknowledged, an unknown one too, and both resolve
    world.notifier.handle(acknowledgement("fp-1"))
    unknown = world.notifier.handle(acknowledgement("fp-9"))
    world.notifier.handle(notification("fp-1", "fp-2", status="resolved", sequence=2))
    # Then PagerDuty got trigger, trigger, acknowledge, resolve, resolve with the fingerprints as dedup keys
    events = [(e["event_action"], e["dedup_key"]) for e in world.http.json_bodies()]
    assert events == [
        ("trigger", "fp-1"),
        ("trigger", "fp-2"),
        ("acknowledge", "fp-1"),
        ("resolve", "fp-1"),
        ("resolve", "fp-2"),
    ]
    assert unknown.skipped == 1
    first = world.http.json_bodies()[0]
    assert first["routing_key"] == "routing-key-123" and first["payload"]["severity"] == "critical"
    assert all(url == "http://127.0.0.1:9/pd" for url, _, _ in world.http.posts)


def test_a_webhook_is_signed_and_carries_the_channel_headers() -> None:
    # Given a webhook channel with a custom header, routed criticals (webhooks have no default route)
    world = World(ChannelType.WEBHOOK, {"channels": CHANNELS, "routes": {"critical": [{"to": "hook"}]}})
    # When a critical notification is sent
    world.notifier.handle(notification("fp-1"))
    # Then the receiver can verify the signature with the shared secret, and sees its header
    [(url, body, headers)] = world.http.posts
    assert url == "http://127.0.0.1:9/hook" and headers["X-Team"] == "sre"
    timestamp = int(headers[TIMESTAMP_HEADER])
    assert verify(b"s3cret", timestamp, body, headers[SIGNATURE_HEADER], now=T0.timestamp())
    assert json.loads(body)["notification"]["firing"][0]["fingerprint"] == "fp-1"


# -- the policy's validation -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("policy", "problem"),
    [
        ({"channels": [{"id": "a", "type": "slack"}]}, "needs `secret`"),
        ({"channels": [{"id": "a", "type": "slack", "secret": "secretsmanager:prod/db"}]}, "vigil/notify/"),
        ({"channels": [{"id": "a", "type": "email", "to": ["not-an-address"]}]}, "is not an email address"),
        ({"channels": [{"id": "a", "type": "sms", "to": ["5555550100"]}]}, "E.164"),
        ({"routes": {"critical": [{"to": "nowhere"}]}}, "neither a channel type nor a channel id"),
        ({"routes": {"critical": [{"to": "slack", "delay": "20m"}]}}, "between 0 and 900"),
        ({"title_template": "$nope"}, "unknown field $nope"),
        (
            {"channels": [{"id": "a", "type": "webhook", "secret": "ssm:/vigil/notify/h", "headers": {"Host": "x"}}]},
            "is set by vigil",
        ),
        ({"channels": [{"id": "slack", "type": "slack", "secret": "ssm:/vigil/notify/s"}]}, "is a channel type"),
    ],
)
def test_a_bad_policy_is_refused_naming_the_problem(policy: dict[str, Any], problem: str) -> None:
    with pytest.raises(ValueError, match=problem.replace("$", r"\$").replace("(", r"\(")):
        NotificationPolicy.model_validate(policy)


def test_a_notification_stamped_ahead_of_the_notifiers_clock_waits_no_longer_than_its_delay() -> None:
    # Given a warning whose evaluation clock runs five minutes ahead of the notifier's
    world = World(ChannelType.EMAIL)
    world.store_alert("fp-1", AlertStatus.FIRING)
    body = notification("fp-1", severity="warning", at=T0 + timedelta(minutes=5))
    # When the email notifier gets it
    report = world.notifier.handle(body)
    # Then it waits the route's minute, not six
    assert report.deferred_s == 60


def test_the_email_notifier_refuses_to_start_without_a_sender() -> None:
    # Given an email notifier's environment without EMAIL_SENDER
    environ = {
        "CHANNEL_TYPE": "email",
        "CONFIG_TABLE_NAME": "config",
        "ALERTS_TABLE_NAME": "alerts",
        "NOTIFIER_QUEUE_URL": "http://127.0.0.1:1/queue",
    }
    # Then loading its settings fails, naming the variable; a Slack notifier needs none
    with pytest.raises(SettingsError, match=r"EMAIL_SENDER is invalid: .*needs a sender address"):
        load_settings(NotifierSettings, environ)
    assert load_settings(NotifierSettings, environ | {"CHANNEL_TYPE": "slack"}).http_max_attempts == 3


def test_a_channel_hears_of_an_alert_resolving_only_once() -> None:
    # Given Slack told an alert fired, then that it resolved
    world = World(ChannelType.SLACK)
    world.notifier.handle(notification("fp-1"))
    world.notifier.handle(notification("fp-1", status="resolved", sequence=2))
    # When a later notification lists the same resolution again
    report = world.notifier.handle(notification("fp-1", status="resolved", sequence=3))
    # Then Slack is not told twice
    assert (report.skipped, len(world.http.posts)) == (1, 2)
