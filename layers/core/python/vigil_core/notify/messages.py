"""What a group notification says, channel-independent: the fields of its leading alert and text templates.

Templates are `string.Template` text over the fields ($tenant, $severity, $title, ...) plus $status_upper and
$severity_upper. A placeholder that names no field is refused when the template is validated, not when a
message is sent. A line whose placeholders are all empty is left out, so optional fields (description,
runbook, acknowledge link) need no conditionals.
"""

from __future__ import annotations

from datetime import UTC, datetime
from string import Template
from typing import Any, Literal
from urllib.parse import quote

from pydantic import AwareDatetime, BaseModel, ConfigDict

from vigil_core.models.alerts import GroupNotification, Severity

ELLIPSIS = "…"

DEFAULT_TITLE = "[$status_upper] $title ($severity, $tenant)"
DEFAULT_BODY = """$summary
$description

Tenant: $tenant
Severity: $severity
Status: $status
Alerts: $alert_count
First seen: $first_seen
Occurrences: $occurrences
Escalation level: $escalation_level
Runbook: $runbook_url
Acknowledge: $ack_url"""

MessageStatus = Literal["firing", "acknowledged", "resolved"]


class MessageFields(BaseModel):
    """A notification as a message shows it; the highest-severity alert of its list leads."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    tenant: str
    severity: Severity
    status: MessageStatus
    title: str
    summary: str
    description: str | None = None
    runbook_url: str | None = None
    first_seen: AwareDatetime | None = None
    occurrences: int = 0
    alert_count: int
    ack_url: str | None = None
    fingerprint: str
    notification_id: str
    at: AwareDatetime
    escalation_level: int | None = None  # on an escalation page: the level being paged


PLACEHOLDERS = frozenset(MessageFields.model_fields) | {"status_upper", "severity_upper"}


def fields_from(notification: GroupNotification, ack_base_url: str | None) -> MessageFields:
    alerts = notification.firing if notification.status == "firing" else notification.resolved
    # max() keeps the first of equals: the engine's order breaks ties.
    lead = max(alerts, key=lambda alert: Severity(alert["severity"]).rank) if alerts else None
    status = _status(notification, alerts)
    if lead is None:
        # Not sent by the engine today, but a message must still say which group it is about.
        title = notification.group_labels.get("alertname") or notification.group_key
        return MessageFields(
            tenant=notification.tenant_id,
            severity=notification.severity,
            status=status,
            title=title,
            summary=f"{title} is {status}",
            alert_count=0,
            fingerprint=notification.group_key,
            notification_id=notification.notification_id,
            at=notification.at,
        )
    annotations: dict[str, Any] = lead.get("annotations") or {}
    fingerprint = str(lead["fingerprint"])
    # Only something firing can be acknowledged; a link in a resolution would lead nowhere.
    ack_url = (
        f"{ack_base_url.rstrip('/')}/{quote(fingerprint, safe='')}" if ack_base_url and status == "firing" else None
    )
    return MessageFields(
        tenant=notification.tenant_id,
        severity=Severity(lead["severity"]),
        status=status,
        title=str(lead["rule_name"]),
        summary=annotations.get("summary") or _summary(lead, status),
        description=annotations.get("description"),
        runbook_url=annotations.get("runbook_url"),
        first_seen=lead.get("first_seen"),
        occurrences=int(lead.get("occurrences", 0)),
        alert_count=len(alerts),
        ack_url=ack_url,
        fingerprint=fingerprint,
        notification_id=notification.notification_id,
        at=notification.at,
        escalation_level=notification.escalation_level,
    )


def _status(notification: GroupNotification, alerts: tuple[dict[str, Any], ...]) -> MessageStatus:
    if notification.status == "resolved":
        return "resolved"
    # Acknowledged only when every firing alert is: one unacknowledged alert still needs someone.
    if alerts and all(alert.get("status") == "acknowledged" for alert in alerts):
        return "acknowledged"
    return "firing"


def _summary(alert: dict[str, Any], status: str) -> str:
    text = f"{alert['rule_name']} is {status}"
    value, threshold = alert.get("value"), alert.get("threshold")
    if value is not None and threshold is not None:
        text += f": value {value:g}, threshold {threshold:g}"
    return text


def validate_template(template: str) -> None:
    """Raises ValueError naming the first unknown field, or where a lone `$` is."""
    parsed = Template(template)
    if not parsed.is_valid():
        for match in parsed.pattern.finditer(template):
            if match.group("invalid") is not None:
                position = match.start()  # of the `$`; the invalid group starts after it
                raise ValueError(f"invalid placeholder at position {position}: write $$ for a dollar sign")
    unknown = sorted(set(parsed.get_identifiers()) - PLACEHOLDERS)
    if unknown:
        raise ValueError(f"unknown field ${unknown[0]} in template; known: {', '.join(sorted(PLACEHOLDERS))}")


def template_values(fields: MessageFields) -> dict[str, str]:
    values = {name: _text(getattr(fields, name)) for name in MessageFields.model_fields}
    values["status_upper"] = fields.status.upper()
    values["severity_upper"] = fields.severity.value.upper()
    return values


def render(template: str, fields: MessageFields) -> str:
    validate_template(template)
    values = template_values(fields)
    lines = []
    for line in template.split("\n"):
        parsed = Template(line)
        names = parsed.get_identifiers()
        if names and not any(values[name] for name in names):
            continue
        lines.append(parsed.substitute(values))
    return "\n".join(lines)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return format_time(value)
    if isinstance(value, Severity):
        return value.value
    return str(value)


def format_time(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def truncate(text: str, limit: int, ellipsis: str = ELLIPSIS) -> str:
    """At most `limit` characters: cut at the last word boundary that fits, with an ellipsis."""
    if limit <= len(ellipsis):
        raise ValueError("limit must leave room for more than the ellipsis")
    if len(text) <= limit:
        return text
    head = text[: limit - len(ellipsis)]
    # A cut that falls on a space already ends a word; otherwise drop the partial word, unless it is the only one.
    if not text[limit - len(ellipsis)].isspace():
        boundary = max((index for index, char in enumerate(head) if char.isspace()), default=-1)
        if boundary > 0 and head[:boundary].strip():
            head = head[:boundary]
    return head.rstrip() + ellipsis
