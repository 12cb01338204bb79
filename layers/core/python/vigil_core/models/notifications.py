"""A tenant's notification policy: its channels, which severities reach which channels after what delay,
whether resolutions are sent, and the message templates. And what the notifiers record of each delivery.

Secrets (Slack and webhook URLs, signing secrets, PagerDuty routing keys) are never stored here: a channel
names a Secrets Manager secret or SSM SecureString parameter (`secretsmanager:vigil/notify/...`,
`ssm:/vigil/notify/...`), and the notifier reads it when it sends.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

from vigil_core.models.alerts import Severity
from vigil_core.models.monitors import parse_duration_seconds
from vigil_core.notify.messages import DEFAULT_BODY, DEFAULT_TITLE, validate_template

CHANNEL_ID_PATTERN = r"^[a-z0-9][a-z0-9-]{0,62}$"
MAX_CHANNELS = 20
MAX_RECIPIENTS = 10
MAX_HEADERS = 20
# SQS delays a message by at most 15 minutes; a longer delay would need a scheduler of its own.
MAX_DELAY_S = 900
PAGERDUTY_EVENTS_URL = "https://events.pagerduty.com/v2/enqueue"
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_E164 = re.compile(r"^\+[1-9][0-9]{7,14}$")
_HEADER_NAME = re.compile(r"^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}$")
# Headers vigil sets itself: a channel's own would break the body's framing or forge its signature.
_RESERVED_HEADERS = frozenset({"content-type", "content-length", "host", "transfer-encoding", "connection"})


class ChannelType(StrEnum):
    SLACK = "slack"
    WEBHOOK = "webhook"
    PAGERDUTY = "pagerduty"
    EMAIL = "email"
    SMS = "sms"


SECRET_CHANNELS = frozenset({ChannelType.SLACK, ChannelType.WEBHOOK, ChannelType.PAGERDUTY})
RECIPIENT_CHANNELS = frozenset({ChannelType.EMAIL, ChannelType.SMS})


SecretStore = Literal["secretsmanager", "ssm"]
# The only names the notifiers' IAM policies let them read.
SECRETS_PREFIX = "vigil/notify/"
PARAMETERS_PREFIX = "/vigil/notify/"

# Character sets as each service documents them; [0-9] rather than \d, which matches any Unicode digit.
_SECRETS_MANAGER_NAME = re.escape(SECRETS_PREFIX) + r"[A-Za-z0-9/_+=.@-]+"
_SECRETS_MANAGER_ARN = r"arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:" + _SECRETS_MANAGER_NAME
_SSM_PARAMETER_NAME = re.escape(PARAMETERS_PREFIX) + r"[A-Za-z0-9/_.-]+"
# Anchored, without look-arounds: usable as a pydantic or JSON Schema `pattern` as well as here.
SECRET_REFERENCE_PATTERN = (
    rf"^(secretsmanager:({_SECRETS_MANAGER_ARN}|{_SECRETS_MANAGER_NAME})|ssm:{_SSM_PARAMETER_NAME})$"
)

_FORMS = f"secretsmanager:{SECRETS_PREFIX}<name> (or the ARN of such a secret) or ssm:{PARAMETERS_PREFIX}<name>"
_SECRET_REFERENCE = re.compile(SECRET_REFERENCE_PATTERN)


def parse_reference(reference: str) -> tuple[SecretStore, str]:
    """The store and the name (or ARN) in it; ValueError for anything the notifier could not read."""
    store, separator, name = reference.partition(":")
    if not separator or store not in ("secretsmanager", "ssm"):
        # The reference is not echoed: something pasted here by mistake may be the secret itself.
        raise ValueError(f"a secret reference is {_FORMS}")
    if _SECRET_REFERENCE.fullmatch(reference) is None:
        prefix, symbols = (SECRETS_PREFIX, "/_+=.@-") if store == "secretsmanager" else (PARAMETERS_PREFIX, "/_.-")
        raise ValueError(
            f"secret reference {reference!r}: the name must be {prefix}<name>, <name> made of letters, digits "
            f"and {symbols} (the notifier may read nothing else); a secret reference is {_FORMS}"
        )
    return ("secretsmanager" if store == "secretsmanager" else "ssm"), name


def _delay(value: Any) -> int:
    seconds = parse_duration_seconds(value)
    if seconds < 0 or seconds > MAX_DELAY_S or seconds != int(seconds):
        raise ValueError(f"must be a whole number of seconds between 0 and {MAX_DELAY_S} (15m)")
    return int(seconds)


class Channel(BaseModel):
    """Where messages go. Slack, webhook and PagerDuty channels name a secret holding, respectively, the
    incoming-webhook URL, `{"url": ..., "signing_secret": ...}`, and the integration's routing key; email and
    SMS channels list their recipients."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=CHANNEL_ID_PATTERN)
    type: ChannelType
    secret: str | None = None
    to: tuple[str, ...] = Field(default=(), max_length=MAX_RECIPIENTS)
    headers: dict[str, str] = Field(default_factory=dict, max_length=MAX_HEADERS)
    # PagerDuty's Events API v2 unless given (a regional endpoint, or a stand-in in tests).
    endpoint: str | None = Field(default=None, pattern=r"^https?://\S+$", max_length=2048)

    @field_validator("secret")
    @classmethod
    def _secret(cls, value: str | None) -> str | None:
        if value is not None:
            parse_reference(value)
        return value

    @field_validator("headers")
    @classmethod
    def _headers(cls, value: dict[str, str]) -> dict[str, str]:
        for name, text in value.items():
            if not _HEADER_NAME.match(name):
                raise ValueError(f"header {name!r} is not a valid header name")
            if name.lower() in _RESERVED_HEADERS or name.lower().startswith("x-vigil-"):
                raise ValueError(f"header {name!r} is set by vigil")
            if "\r" in text or "\n" in text or len(text) > 1000:
                raise ValueError(f"header {name!r}: the value must be one line of at most 1000 characters")
        return value

    @model_validator(mode="after")
    def _fits_type(self) -> Channel:
        if self.type in SECRET_CHANNELS and self.secret is None:
            raise ValueError(f"a {self.type} channel needs `secret`")
        if self.type in RECIPIENT_CHANNELS:
            if not self.to:
                raise ValueError(f"a {self.type} channel needs `to`")
            pattern, what = (
                (_EMAIL, "an email address")
                if self.type is ChannelType.EMAIL
                else (_E164, "an E.164 number (+ and 8-15 digits)")
            )
            for recipient in self.to:
                if not pattern.match(recipient):
                    raise ValueError(f"to: {recipient!r} is not {what}")
        elif self.to:
            raise ValueError(f"`to` is for email and sms channels, not {self.type}")
        if self.headers and self.type is not ChannelType.WEBHOOK:
            raise ValueError("`headers` are for webhook channels")
        if self.endpoint and self.type is not ChannelType.PAGERDUTY:
            raise ValueError("`endpoint` is for pagerduty channels")
        return self

    @property
    def pagerduty_url(self) -> str:
        return self.endpoint or PAGERDUTY_EVENTS_URL


class RouteStep(BaseModel):
    """Send to `to` (a channel type: every channel of it; or one channel's id) `delay` after the notification;
    a delayed message is sent only if its alerts still fire unacknowledged by then."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    to: str = Field(pattern=CHANNEL_ID_PATTERN)
    delay: Annotated[int, BeforeValidator(_delay)] = 0


def _steps(*steps: tuple[str, int]) -> tuple[RouteStep, ...]:
    return tuple(RouteStep(to=to, delay=delay) for to, delay in steps)


# The product's defaults: the louder the alert, the more channels, and at once.
DEFAULT_ROUTES: dict[Severity, tuple[RouteStep, ...]] = {
    Severity.INFO: _steps(("slack", 0)),
    Severity.WARNING: _steps(("slack", 0), ("email", 60)),
    Severity.ERROR: _steps(("slack", 0), ("email", 0), ("sms", 0)),
    Severity.CRITICAL: _steps(("slack", 0), ("email", 0), ("sms", 0), ("pagerduty", 0)),
}


class Target(BaseModel):
    """One channel a notification goes to, and after how long."""

    model_config = ConfigDict(frozen=True)

    channel: Channel
    delay: int


class NotificationPolicy(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    channels: tuple[Channel, ...] = Field(default=(), max_length=MAX_CHANNELS)
    routes: dict[Severity, tuple[RouteStep, ...]] = Field(default_factory=lambda: dict(DEFAULT_ROUTES))
    send_resolved: bool = True
    title_template: str = Field(default=DEFAULT_TITLE, min_length=1, max_length=500)
    body_template: str = Field(default=DEFAULT_BODY, min_length=1, max_length=5000)
    # Where an "Acknowledge" link leads: <ack_base_url>/<alert id>. No link without it.
    ack_base_url: str | None = Field(default=None, pattern=r"^https?://\S+$", max_length=1000)

    @field_validator("title_template", "body_template")
    @classmethod
    def _template(cls, value: str) -> str:
        validate_template(value)
        return value

    @model_validator(mode="after")
    def _references(self) -> NotificationPolicy:
        ids = [channel.id for channel in self.channels]
        duplicates = sorted({channel_id for channel_id in ids if ids.count(channel_id) > 1})
        if duplicates:
            raise ValueError(f"channel id {duplicates[0]!r} is used twice")
        types = {channel_type.value for channel_type in ChannelType}
        clashing = sorted(set(ids) & types)
        if clashing:
            raise ValueError(f"channel id {clashing[0]!r} is a channel type; give the channel another id")
        for severity, steps in self.routes.items():
            for step in steps:
                if step.to not in types and step.to not in ids:
                    raise ValueError(f"routes.{severity.value}: {step.to!r} is neither a channel type nor a channel id")
        return self

    def targets(self, severity: Severity, status: str, channel_type: ChannelType | None = None) -> list[Target]:
        """The channels a notification of this severity and status goes to (of one type if given), each with the
        shortest delay a step gives it. A resolution may go to every channel at once: whoever was told the alert
        fired, by a route or an escalation page, hears it resolved (the notifier sends only to those)."""
        if status == "resolved":
            if not self.send_resolved:
                return []
            return [
                Target(channel=channel, delay=0)
                for channel in self.channels
                if channel_type is None or channel.type is channel_type
            ]
        delays: dict[str, int] = {}
        for step in self.routes.get(severity, ()):
            for channel in self.channels:
                if step.to in (channel.id, channel.type.value):
                    delays[channel.id] = min(step.delay, delays.get(channel.id, step.delay))
        return [
            Target(channel=channel, delay=delays[channel.id])
            for channel in self.channels
            if channel.id in delays and (channel_type is None or channel.type is channel_type)
        ]

    def channels_for(self, targets: Sequence[str]) -> tuple[Channel, ...]:
        """The channels that targets (channel types or ids, as routes and escalation levels name them) mean."""
        return tuple(channel for channel in self.channels if channel.id in targets or channel.type.value in targets)

    def channel_types(self, severity: Severity, status: str) -> list[str]:
        """The channel types a notification is published for: the `channels` attribute the queues filter on."""
        return sorted({target.channel.type.value for target in self.targets(severity, status)})


Outcome = Literal["delivered", "failed", "rejected", "skipped"]
DeliveryState = Literal["delivered", "failed", "rejected"]


class Delivery(BaseModel):
    """One attempt to tell a channel about a notification, as the alert's delivery log keeps it."""

    model_config = ConfigDict(frozen=True)

    channel: str  # the channel's id
    channel_type: ChannelType
    notification_id: str
    status: Literal["firing", "acknowledged", "resolved"]
    outcome: Outcome  # rejected: refused for good (a 4xx); failed: retried later; skipped: nothing to say
    attempts: int = 0
    http_status: int | None = None
    error: str | None = None
    at: AwareDatetime


class NotificationSummary(BaseModel):
    """The delivery log of one alert: counts and the latest deliveries, newest first."""

    model_config = ConfigDict(frozen=True)

    notifications_sent: int = 0
    last_notification_at: datetime | None = None
    notification_channels: tuple[str, ...] = ()
    deliveries: tuple[Delivery, ...] = ()

    def to_public(self) -> dict[str, Any]:
        return self.model_dump(mode="json")
