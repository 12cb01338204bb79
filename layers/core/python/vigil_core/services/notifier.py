"""The notifier of one channel type: turns a message from its queue into deliveries to the tenant's channels.

A message is a group notification (kind=notification), an escalation level's page (kind=escalation: to the
level's channels of this type, while the alert still fires unacknowledged) or, for PagerDuty, an alert's
acknowledgement (kind=transition). For each channel the tenant routes a notification to:

- a channel whose route has a delay gets the message once the delay has run out (the message is put back on
  the queue until then), and only with the alerts that still fire unacknowledged by then;
- a resolution is told only to channels that were told the alert fired, so a delayed channel that never heard
  of an alert does not hear it resolved;
- every send is claimed first (one claim per message, channel and, for PagerDuty and SMS, alert or number),
  so a redelivered message never reaches a channel twice;
- a refusal for good (a 4xx, a bad address) is recorded and not retried; anything worth retrying makes the
  whole message fail, so SQS delivers it again and, after its last attempt, moves it to the dead-letter queue.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal, Protocol

from vigil_core.models.alerts import AlertStatus, AlertTransition, GroupNotification, Severity, TransitionKind
from vigil_core.models.escalation import EscalationPage
from vigil_core.models.notifications import Channel, ChannelType, Delivery, NotificationPolicy, Target
from vigil_core.notify.email import email_message
from vigil_core.notify.messages import MessageFields, fields_from
from vigil_core.notify.payloads import pagerduty_event, slack_payload, sms_text, webhook_body, webhook_headers
from vigil_core.ports import (
    AlertStore,
    ChannelSendError,
    DeliveryLog,
    DeliveryOutcome,
    EmailSender,
    HttpPoster,
    NotificationDeferral,
    SecretReader,
    SecretUnavailableError,
    SmsSender,
)

JSON_HEADERS = {"Content-Type": "application/json"}
MAX_ERROR_CHARS = 500


class NotificationPolicies(Protocol):
    def get_notification_policy(self, tenant_id: str) -> NotificationPolicy | None: ...


@dataclass(frozen=True, slots=True)
class SendResult:
    state: Literal["delivered", "failed", "rejected"]
    attempts: int = 1
    http_status: int | None = None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class Unit:
    """One send: what claims it, which alerts it tells about and as what."""

    key: str
    fingerprints: tuple[str, ...]
    status: Literal["firing", "acknowledged", "resolved"]
    send: Callable[[], SendResult]


@dataclass(slots=True)
class NotifierReport:
    delivered: int = 0
    rejected: int = 0
    failed: int = 0  # worth retrying: the message must come back
    busy: int = 0  # another receiver is sending it right now: look again later
    duplicates: int = 0  # sent before: not again
    skipped: int = 0  # nothing left to say (resolved or acknowledged during a delay; a channel never told)
    deferred_s: int | None = None
    errors: list[str] = field(default_factory=list)

    @property
    def retry(self) -> bool:
        return self.failed > 0 or self.busy > 0


class MessageError(ValueError):
    """The queue held something that is neither a notification nor a transition."""


def parse_message(body: str) -> GroupNotification | AlertTransition | EscalationPage:
    try:
        document = json.loads(body)
        if isinstance(document, dict) and "transition_id" in document:
            return AlertTransition.model_validate(document)
        if isinstance(document, dict) and "page_id" in document:
            return EscalationPage.model_validate(document)
        return GroupNotification.model_validate(document)
    except ValueError as exc:
        raise MessageError(f"not a vigil notification, escalation page or transition: {exc}") from None


@dataclass(frozen=True)
class Notifier:
    channel_type: ChannelType
    policies: NotificationPolicies
    deliveries: DeliveryLog
    alerts: AlertStore
    secrets: SecretReader
    http: HttpPoster
    deferral: NotificationDeferral
    clock: Callable[[], datetime]
    email: EmailSender | None = None
    sms: SmsSender | None = None
    email_sender: str | None = None
    # Longer than an invocation may run (60 s), shorter than the queue hides a message (360 s): a receiver that
    # died while sending leaves a claim the next receive of its message may take over.
    lease_s: int = 300

    def handle(self, body: str) -> NotifierReport:
        message = parse_message(body)
        report = NotifierReport()
        policy = self.policies.get_notification_policy(message.tenant_id) or NotificationPolicy()
        now = self.clock()
        if isinstance(message, AlertTransition):
            self._acknowledge(message, policy, now, report)
            return report
        if isinstance(message, EscalationPage):
            self._page(message, policy, now, report)
            return report
        targets = policy.targets(message.severity, message.status, self.channel_type)
        # A delay counts from the notification's time, but never waits longer than itself (clocks may differ).
        since = min(message.at, now)
        waiting = [target for target in targets if since + timedelta(seconds=target.delay) > now]
        for target in targets:
            if target not in waiting:
                self._notify(message, target, policy, now, report)
        if waiting:
            due = min(since + timedelta(seconds=target.delay) for target in waiting)
            report.deferred_s = max(1, math.ceil((due - now).total_seconds()))
            self.deferral.defer(body, report.deferred_s)
        return report

    # -- what each channel is told ---------------------------------------------------------------------

    def _notify(
        self,
        notification: GroupNotification,
        target: Target,
        policy: NotificationPolicy,
        now: datetime,
        report: NotifierReport,
    ) -> None:
        channel = target.channel
        relevant = self._still_news(notification, channel, delayed=target.delay > 0)
        if relevant is None:
            report.skipped += 1
            return
        for unit in self._units(relevant, channel, policy):
            self._send(notification.tenant_id, notification.notification_id, channel, unit, now, report)

    def _still_news(self, notification: GroupNotification, channel: Channel, delayed: bool) -> GroupNotification | None:
        tenant = notification.tenant_id
        if notification.status == "resolved":
            fingerprints = [str(alert["fingerprint"]) for alert in notification.resolved]
            told = self.deliveries.told(tenant, fingerprints, channel.id)
            # Told it fired (or was acknowledged) and not yet that it resolved.
            still_open = ("firing", "acknowledged")
            resolved = tuple(a for a in notification.resolved if told.get(str(a["fingerprint"])) in still_open)
            return notification.model_copy(update={"resolved": resolved}) if resolved else None
        if not delayed:
            return notification
        current = self.alerts.get_many(tenant, [str(alert["fingerprint"]) for alert in notification.firing])
        firing = tuple(
            alert
            for alert in notification.firing
            if (stored := current.get(str(alert["fingerprint"]))) is not None and stored.status is AlertStatus.FIRING
        )
        return notification.model_copy(update={"firing": firing}) if firing else None

    def _units(self, notification: GroupNotification, channel: Channel, policy: NotificationPolicy) -> list[Unit]:
        fields = fields_from(notification, policy.ack_base_url)
        alerts = notification.firing if notification.status == "firing" else notification.resolved
        fingerprints = tuple(str(alert["fingerprint"]) for alert in alerts)
        key = f"{channel.id}#{notification.notification_id}"
        match channel.type:
            case ChannelType.SLACK:
                payload = json.dumps(slack_payload(fields, policy.title_template)).encode()
                return [Unit(key, fingerprints, fields.status, lambda: self._post_to_secret_url(channel, payload))]
            case ChannelType.WEBHOOK:
                body = webhook_body(notification)
                return [Unit(key, fingerprints, fields.status, lambda: self._post_webhook(channel, body))]
            case ChannelType.EMAIL:
                return [Unit(key, fingerprints, fields.status, lambda: self._email(channel, fields, policy))]
            case ChannelType.SMS:
                text = sms_text(fields)
                return [
                    Unit(f"{key}#{number}", fingerprints, fields.status, functools.partial(self._sms, number, text))
                    for number in channel.to
                ]
            case ChannelType.PAGERDUTY:
                # One PagerDuty incident per alert: its fingerprint is the dedup key.
                return [
                    self._pagerduty_unit(f"{key}#{fingerprint}", single, channel, policy)
                    for fingerprint, single in _one_per_alert(notification)
                ]

    def _page(self, page: EscalationPage, policy: NotificationPolicy, now: datetime, report: NotifierReport) -> None:
        """An escalation level's page: to the level's channels of this type, while the same firing still goes on
        unacknowledged (the state machine checked just before publishing; this closes the gap)."""
        channels = [c for c in policy.channels if c.id in page.channels and c.type is self.channel_type]
        alert = self.alerts.get(page.tenant_id, page.fingerprint)
        if alert is None or alert.status is not AlertStatus.FIRING or alert.firings != page.firing:
            report.skipped += len(channels) or 1
            return
        single = _about_one_alert(
            page.page_id, page.tenant_id, page.alert, page.severity, page.at, "escalation", escalation_level=page.level
        )
        for channel in channels:
            for unit in self._units(single, channel, policy):
                self._send(page.tenant_id, page.page_id, channel, unit, now, report)

    def _acknowledge(
        self, transition: AlertTransition, policy: NotificationPolicy, now: datetime, report: NotifierReport
    ) -> None:
        """PagerDuty is told of acknowledgements, so the incident it opened stops paging."""
        if self.channel_type is not ChannelType.PAGERDUTY or transition.kind is not TransitionKind.ACKNOWLEDGED:
            report.skipped += 1
            return
        single = _about_one_alert(
            transition.transition_id,
            transition.tenant_id,
            transition.alert,
            transition.severity,
            transition.at,
            "changed",
        )
        # Every PagerDuty channel told it fired, by a route or an escalation page.
        for channel in (c for c in policy.channels if c.type is ChannelType.PAGERDUTY):
            told = self.deliveries.told(transition.tenant_id, [transition.fingerprint], channel.id)
            if told.get(transition.fingerprint) != "firing":
                report.skipped += 1  # PagerDuty never heard of it: nothing to acknowledge there
                continue
            unit = self._pagerduty_unit(f"{channel.id}#{transition.transition_id}", single, channel, policy)
            self._send(transition.tenant_id, transition.transition_id, channel, unit, now, report)

    def _pagerduty_unit(
        self, key: str, single: GroupNotification, channel: Channel, policy: NotificationPolicy
    ) -> Unit:
        fields = fields_from(single, policy.ack_base_url)

        def send() -> SendResult:
            routing_key = self._secret(channel)
            if isinstance(routing_key, SendResult):
                return routing_key
            event = pagerduty_event(fields, routing_key, policy.title_template)
            outcome = self.http.post(channel.pagerduty_url, json.dumps(event).encode(), JSON_HEADERS)
            return _from_http(outcome, secrets=(routing_key,))

        return Unit(key, (fields.fingerprint,), fields.status, send)

    # -- sending ----------------------------------------------------------------------------------------

    def _send(
        self, tenant_id: str, notification_id: str, channel: Channel, unit: Unit, now: datetime, report: NotifierReport
    ) -> None:
        claim = self.deliveries.claim(tenant_id, unit.key, now, self.lease_s)
        if claim == "done":
            report.duplicates += 1
            return
        if claim == "busy":
            report.busy += 1
            return
        try:
            result = unit.send()
        except Exception:
            self.deliveries.settle(tenant_id, unit.key, "failed", self.clock())
            raise
        at = self.clock()
        self.deliveries.settle(tenant_id, unit.key, result.state, at)
        delivery = Delivery(
            channel=channel.id,
            channel_type=channel.type,
            notification_id=notification_id,
            status=unit.status,
            outcome=result.state,
            attempts=result.attempts,
            http_status=result.http_status,
            error=result.error,
            at=at,
        )
        self.deliveries.record(tenant_id, unit.fingerprints, delivery)
        if result.state == "delivered":
            report.delivered += 1
        else:
            report.rejected += result.state == "rejected"
            report.failed += result.state == "failed"
            report.errors.append(f"{channel.id}: {result.error}")

    def _secret(self, channel: Channel) -> str | SendResult:
        assert channel.secret is not None  # the model requires one for this channel type
        try:
            return self.secrets.read(channel.secret)
        except SecretUnavailableError as exc:
            # Retried: a secret fixed (or granted) later is read on the next attempt or after a redrive.
            return SendResult("failed", attempts=0, error=str(exc))

    def _post_to_secret_url(self, channel: Channel, payload: bytes) -> SendResult:
        url = self._secret(channel)
        if isinstance(url, SendResult):
            return url
        return _from_http(self.http.post(url, payload, JSON_HEADERS), secrets=(url,))

    def _post_webhook(self, channel: Channel, body: bytes) -> SendResult:
        value = self._secret(channel)
        if isinstance(value, SendResult):
            return value
        try:
            document = json.loads(value)
            url, signing_secret = str(document["url"]), str(document["signing_secret"])
        except (ValueError, KeyError, TypeError):
            problem = f"secret {channel.secret} must hold JSON with `url` and `signing_secret`"
            return SendResult("failed", attempts=0, error=problem)
        timestamp = int(self.clock().timestamp())
        headers = {**channel.headers, **webhook_headers(signing_secret.encode(), timestamp, body)}
        return _from_http(self.http.post(url, body, headers), secrets=(url, signing_secret))

    def _email(self, channel: Channel, fields: MessageFields, policy: NotificationPolicy) -> SendResult:
        email, sender = self.email, self.email_sender
        if email is None or sender is None:
            return SendResult("failed", attempts=0, error="this notifier has no email sender configured")
        content = email_message(fields, policy.title_template, policy.body_template)
        return _from_channel(lambda: email.send(sender, channel.to, content.subject, content.text, content.html))

    def _sms(self, number: str, text: str) -> SendResult:
        if self.sms is None:
            return SendResult("failed", attempts=0, error="this notifier has no SMS sender configured")
        sms = self.sms
        return _from_channel(lambda: sms.send(number, text))


def _about_one_alert(
    message_id: str,
    tenant_id: str,
    alert: dict[str, Any],
    severity: Severity,
    at: datetime,
    reason: Literal["changed", "escalation"],
    escalation_level: int | None = None,
) -> GroupNotification:
    """A message about one alert (an acknowledgement for PagerDuty, an escalation page) as a firing notification
    of its own: the channels' formats then apply to it unchanged."""
    return GroupNotification(
        notification_id=message_id,
        tenant_id=tenant_id,
        group_key=str(alert["fingerprint"]),
        group_labels={},
        status="firing",
        severity=severity,
        reason=reason,
        firing=(alert,),
        resolved=(),
        at=at,
        escalation_level=escalation_level,
    )


def _one_per_alert(notification: GroupNotification) -> list[tuple[str, GroupNotification]]:
    alerts = notification.firing if notification.status == "firing" else notification.resolved
    listed = "firing" if notification.status == "firing" else "resolved"
    return [
        (
            str(alert["fingerprint"]),
            notification.model_copy(update={"firing": (), "resolved": (), listed: (alert,)}),
        )
        for alert in alerts
    ]


def _scrub(text: str | None, secrets: Sequence[str]) -> str | None:
    if text is None:
        return None
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text[:MAX_ERROR_CHARS]


def _from_http(outcome: DeliveryOutcome, secrets: Sequence[str]) -> SendResult:
    if outcome.delivered:
        return SendResult("delivered", outcome.attempts, outcome.status)
    error = outcome.error if not outcome.response_body else f"{outcome.error}: {outcome.response_body}"
    return SendResult(
        "failed" if outcome.retryable else "rejected", outcome.attempts, outcome.status, _scrub(error, secrets)
    )


def _from_channel(send: Callable[[], object]) -> SendResult:
    try:
        send()
    except ChannelSendError as exc:
        return SendResult("failed" if exc.retryable else "rejected", error=str(exc)[:MAX_ERROR_CHARS])
    return SendResult("delivered")
