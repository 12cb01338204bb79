"""The JSON each provider documents, built from message fields: Slack incoming webhooks, PagerDuty Events
API v2, vigil's generic signed webhook, and SMS text. Pure functions: delivery is the adapter's job.

The generic webhook POSTs `{"version": "1", "notification": <GroupNotification>}` (compact JSON, sorted
keys) with two headers: X-Vigil-Timestamp (Unix seconds) and X-Vigil-Signature, "v1=" + the hex HMAC-SHA256
of `<timestamp>.` followed by the body, under the channel's secret. Receivers recompute it and refuse
timestamps more than five minutes away from their clock, so a captured request cannot be replayed later.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

from vigil_core.models.alerts import GroupNotification, Severity
from vigil_core.notify.messages import DEFAULT_TITLE, MessageFields, format_time, render, truncate

SLACK_COLORS = {
    Severity.CRITICAL: "#d00000",
    Severity.ERROR: "#e8590c",
    Severity.WARNING: "#f2c744",
    Severity.INFO: "#439fe0",
}
SLACK_RESOLVED_COLOR = "#2eb67d"
SLACK_TEXT = "$summary\n$description"

PAGERDUTY_ACTIONS = {"firing": "trigger", "acknowledged": "acknowledge", "resolved": "resolve"}
# PagerDuty accepts exactly these four; spelled out so a new vigil severity cannot slip through unmapped.
PAGERDUTY_SEVERITIES = {
    Severity.CRITICAL: "critical",
    Severity.ERROR: "error",
    Severity.WARNING: "warning",
    Severity.INFO: "info",
}
PAGERDUTY_MAX_DEDUP_KEY = 255
PAGERDUTY_MAX_SUMMARY = 1024

WEBHOOK_VERSION = "1"
TIMESTAMP_HEADER = "X-Vigil-Timestamp"
SIGNATURE_HEADER = "X-Vigil-Signature"
SIGNATURE_PREFIX = "v1="
DEFAULT_TOLERANCE_S = 300

SMS_TEMPLATE = "[$status_upper] $severity $tenant: $summary"
SMS_LIMIT = 160


def _slack_escape(text: str) -> str:
    # Slack reads <...> as links and mentions; these three are the escapes it documents.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_payload(fields: MessageFields, title_template: str = DEFAULT_TITLE) -> dict[str, Any]:
    headline = _slack_escape(render(title_template, fields))
    text = _slack_escape(render(SLACK_TEXT, fields))
    if fields.alert_count > 1:
        text += f"\n_{fields.alert_count} {fields.status} alerts in this group_"
    color = SLACK_RESOLVED_COLOR if fields.status == "resolved" else SLACK_COLORS[fields.severity]
    attachment: dict[str, Any] = {
        "fallback": headline,
        "color": color,
        "title": _slack_escape(fields.title),
        "text": text,
        "fields": [
            {"title": "Tenant", "value": _slack_escape(fields.tenant), "short": True},
            {"title": "Severity", "value": fields.severity.value, "short": True},
            {"title": "Time", "value": format_time(fields.at), "short": True},
        ],
        "ts": int(fields.at.timestamp()),
    }
    if fields.escalation_level is not None:
        attachment["fields"].append({"title": "Escalation", "value": f"level {fields.escalation_level}", "short": True})
    actions = [
        {"type": "button", "text": label, "url": url}
        for label, url in (("Runbook", fields.runbook_url), ("Acknowledge", fields.ack_url))
        if url
    ]
    if actions:
        attachment["actions"] = actions
    return {"text": headline, "attachments": [attachment]}


def pagerduty_event(fields: MessageFields, routing_key: str, title_template: str = DEFAULT_TITLE) -> dict[str, Any]:
    event: dict[str, Any] = {
        "routing_key": routing_key,
        "event_action": PAGERDUTY_ACTIONS[fields.status],
        # The alert's fingerprint: its resolve and acknowledge land on the incident its trigger opened.
        "dedup_key": fields.fingerprint[:PAGERDUTY_MAX_DEDUP_KEY],
    }
    if event["event_action"] != "trigger":
        return event  # PagerDuty takes no payload with resolve or acknowledge
    event["payload"] = {
        "summary": truncate(render(title_template, fields), PAGERDUTY_MAX_SUMMARY),
        "source": f"vigil:{fields.tenant}",
        "severity": PAGERDUTY_SEVERITIES[fields.severity],
        "timestamp": fields.at.isoformat(),
        "custom_details": {
            "summary": fields.summary,
            "description": fields.description,
            "tenant": fields.tenant,
            "alert_count": fields.alert_count,
            "occurrences": fields.occurrences,
            "first_seen": fields.first_seen.isoformat() if fields.first_seen else None,
            "notification_id": fields.notification_id,
            "fingerprint": fields.fingerprint,
        },
    }
    links = [
        {"href": url, "text": label}
        for label, url in (("Runbook", fields.runbook_url), ("Acknowledge in vigil", fields.ack_url))
        if url
    ]
    if links:
        event["links"] = links
    return event


def webhook_body(notification: GroupNotification) -> bytes:
    # Compact and sorted: the same notification is the same bytes, so retries carry the same signature input.
    document = {"version": WEBHOOK_VERSION, "notification": notification.model_dump(mode="json")}
    return json.dumps(document, separators=(",", ":"), sort_keys=True, ensure_ascii=False).encode()


def sign(secret: bytes, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return SIGNATURE_PREFIX + digest


def webhook_headers(secret: bytes, timestamp: int, body: bytes) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: sign(secret, timestamp, body),
    }


def verify(
    secret: bytes, timestamp: int, body: bytes, signature: str, now: float, tolerance_s: float = DEFAULT_TOLERANCE_S
) -> bool:
    """True when the signature is ours and the timestamp is within tolerance of now (either side: clock skew)."""
    if abs(now - timestamp) > tolerance_s:
        return False
    # As bytes: compare_digest refuses non-ASCII text, and a forged header may hold anything.
    return hmac.compare_digest(sign(secret, timestamp, body).encode(), signature.encode())


def sms_text(fields: MessageFields, limit: int = SMS_LIMIT) -> str:
    line = " ".join(render(SMS_TEMPLATE, fields).split())  # one line, whatever the summary held
    # "..." rather than "…": the latter is outside the GSM 03.38 alphabet and would make the whole message
    # UCS-2, 70 characters a segment instead of 160.
    return truncate(line, limit, ellipsis="...")
