"""Message fields, templates and provider payloads built from real alerts' public form; no I/O."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from vigil_core.models.alerts import Alert, AlertSource, AlertStatus, Annotations, GroupNotification, Severity
from vigil_core.notify.messages import (
    DEFAULT_BODY,
    DEFAULT_TITLE,
    MessageFields,
    fields_from,
    render,
    truncate,
    validate_template,
)
from vigil_core.notify.payloads import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    pagerduty_event,
    sign,
    slack_payload,
    sms_text,
    verify,
    webhook_body,
    webhook_headers,
)

T0 = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
ACK_BASE = "https://vigil.example.com/ack/"
SECRET = b"channel-secret"


def alert(
    fingerprint: str,
    severity: Severity = Severity.WARNING,
    status: AlertStatus = AlertStatus.FIRING,
    rule_name: str = "High latency",
    annotations: Annotations | None = None,
    value: float | None = 250.0,
    threshold: float | None = 100.0,
    occurrences: int = 1,
) -> dict[str, Any]:
    return Alert(
        tenant_id="acme",
        fingerprint=fingerprint,
        rule_id="high-latency",
        rule_name=rule_name,
        source=AlertSource.RULE,
        status=status,
        severity=severity,
        labels={"alertname": "high-latency", "severity": severity.value},
        annotations=annotations or Annotations(),
        value=value,
        threshold=threshold,
        first_seen=T0 - timedelta(minutes=7),
        last_seen=T0,
        fired_at=T0 - timedelta(minutes=5),
        occurrences=occurrences,
        changed_at=T0,
    ).to_public()


def notification(
    status: str = "firing", firing: tuple[dict[str, Any], ...] = (), resolved: tuple[dict[str, Any], ...] = ()
) -> GroupNotification:
    alerts = firing if status == "firing" else resolved
    top = max((Severity(a["severity"]) for a in alerts), key=lambda s: s.rank, default=Severity.INFO)
    return GroupNotification(
        notification_id="g1:3",
        tenant_id="acme",
        group_key="g1",
        group_labels={"alertname": "high-latency"},
        status=status,
        severity=top,
        reason="new",
        firing=firing,
        resolved=resolved,
        at=T0,
    )


RUNBOOK = Annotations(
    summary="p95 latency above 100 ms", description="Checkout is slow.", runbook_url="https://runbooks.example.com/x"
)


def firing_fields(**changes: Any) -> MessageFields:
    lead = alert("fp-critical", Severity.CRITICAL, annotations=RUNBOOK, occurrences=3)
    fields = fields_from(notification(firing=(alert("fp-warning"), lead)), ACK_BASE)
    return fields.model_copy(update=changes)


# --- message fields --------------------------------------------------------------------------------------


def test_the_highest_severity_firing_alert_leads_a_firing_notification() -> None:
    # Given a firing notification whose second alert is the critical one, with annotations
    lead = alert("fp-critical", Severity.CRITICAL, annotations=RUNBOOK, occurrences=3)
    given = notification(firing=(alert("fp-warning"), lead))

    # When its fields are taken with an acknowledge base URL
    fields = fields_from(given, ACK_BASE)

    # Then the critical alert's details lead, the count covers both, and the ack link names its fingerprint
    assert fields.severity is Severity.CRITICAL
    assert fields.status == "firing"
    assert fields.title == "High latency"
    assert fields.summary == "p95 latency above 100 ms"
    assert fields.description == "Checkout is slow."
    assert fields.runbook_url == "https://runbooks.example.com/x"
    assert fields.fingerprint == "fp-critical"
    assert fields.occurrences == 3
    assert fields.first_seen == T0 - timedelta(minutes=7)
    assert fields.alert_count == 2
    assert fields.ack_url == "https://vigil.example.com/ack/fp-critical"
    assert (fields.tenant, fields.notification_id, fields.at) == ("acme", "g1:3", T0)


def test_a_resolved_notification_counts_its_resolved_alerts_and_offers_no_acknowledge_link() -> None:
    # Given a resolved notification of one alert without a summary
    resolved = alert("fp-1", Severity.ERROR, status=AlertStatus.RESOLVED)
    given = notification("resolved", resolved=(resolved,))

    # When its fields are taken with an acknowledge base URL
    fields = fields_from(given, ACK_BASE)

    # Then it is resolved, counts one, has no ack link, and its summary is written from the value
    assert fields.status == "resolved"
    assert fields.alert_count == 1
    assert fields.ack_url is None
    assert fields.summary == "High latency is resolved: value 250, threshold 100"


def test_no_acknowledge_link_without_a_base_url_and_acknowledged_when_every_firing_alert_is() -> None:
    # Given a firing notification whose only alert has been acknowledged
    given = notification(firing=(alert("fp-1", status=AlertStatus.ACKNOWLEDGED),))

    # When its fields are taken without a base URL
    fields = fields_from(given, None)

    # Then the message is about an acknowledged alert and has no link
    assert fields.status == "acknowledged"
    assert fields.ack_url is None


# --- templates -------------------------------------------------------------------------------------------


def test_the_default_title_and_body_render_the_fields() -> None:
    # Given the fields of a firing critical notification
    fields = firing_fields()

    # When the default templates are rendered
    title = render(DEFAULT_TITLE, fields)
    body = render(DEFAULT_BODY, fields)

    # Then the title is one line naming status, rule, severity and tenant, and the body carries the details
    assert title == "[FIRING] High latency (critical, acme)"
    assert body.splitlines()[:2] == ["p95 latency above 100 ms", "Checkout is slow."]
    assert "First seen: 2026-11-22 09:53:00 UTC" in body
    assert "Runbook: https://runbooks.example.com/x" in body
    assert "Acknowledge: https://vigil.example.com/ack/fp-critical" in body


def test_lines_whose_fields_are_all_empty_are_left_out() -> None:
    # Given fields without description, runbook or acknowledge link
    fields = firing_fields(description=None, runbook_url=None, ack_url=None)

    # When the default body is rendered
    body = render(DEFAULT_BODY, fields)

    # Then those lines are gone, not left as empty labels
    assert "Runbook" not in body
    assert "Acknowledge" not in body
    assert body.splitlines()[:2] == ["p95 latency above 100 ms", ""]


def test_a_custom_template_may_use_every_field_and_escaped_dollars() -> None:
    # Given a template with braces, upper-case variants and a literal dollar
    template = "${severity_upper}/$status_upper: $title costs $$5 x$alert_count"

    # When it is validated and rendered
    validate_template(template)
    text = render(template, firing_fields())

    # Then every placeholder is filled
    assert text == "CRITICAL/FIRING: High latency costs $5 x2"


@pytest.mark.parametrize(
    ("template", "named"),
    [("[$status] $hostname", r"\$hostname"), ("${tenant} ${nope}", r"\$nope"), ("costs $5", "position 6")],
)
def test_a_template_naming_an_unknown_field_is_refused_at_validation(template: str, named: str) -> None:
    # Given a template with an unknown or malformed placeholder
    # When it is validated, or rendered
    # Then it is refused, naming the field (or where the lone $ is)
    with pytest.raises(ValueError, match=named):
        validate_template(template)
    with pytest.raises(ValueError, match=named):
        render(template, firing_fields())


# --- Slack -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("severity", "color"),
    [
        (Severity.CRITICAL, "#d00000"),
        (Severity.ERROR, "#e8590c"),
        (Severity.WARNING, "#f2c744"),
        (Severity.INFO, "#439fe0"),
    ],
)
def test_slack_colours_a_firing_message_by_severity(severity: Severity, color: str) -> None:
    # Given firing fields of a severity
    # When the Slack payload is built
    payload = slack_payload(firing_fields(severity=severity))

    # Then the attachment has that severity's colour
    assert payload["attachments"][0]["color"] == color


def test_slack_colours_a_resolution_green_whatever_its_severity() -> None:
    payload = slack_payload(firing_fields(status="resolved", ack_url=None))
    assert payload["attachments"][0]["color"] == "#2eb67d"


def test_slack_payload_has_fallback_fields_time_and_link_buttons() -> None:
    # Given firing fields with a runbook and an ack link
    fields = firing_fields()

    # When the Slack payload is built
    payload = slack_payload(fields)

    # Then it has the documented shape: fallback text, one attachment with fields, buttons and ts
    assert payload["text"] == "[FIRING] High latency (critical, acme)"
    (attachment,) = payload["attachments"]
    assert attachment["title"] == "High latency"
    assert attachment["text"].startswith("p95 latency above 100 ms\nCheckout is slow.")
    assert "2 firing alerts in this group" in attachment["text"]
    assert attachment["fields"] == [
        {"title": "Tenant", "value": "acme", "short": True},
        {"title": "Severity", "value": "critical", "short": True},
        {"title": "Time", "value": "2026-11-22 10:00:00 UTC", "short": True},
    ]
    assert attachment["actions"] == [
        {"type": "button", "text": "Runbook", "url": "https://runbooks.example.com/x"},
        {"type": "button", "text": "Acknowledge", "url": "https://vigil.example.com/ack/fp-critical"},
    ]
    assert attachment["ts"] == int(T0.timestamp())
    json.dumps(payload)  # serialisable as is


def test_slack_payload_has_no_actions_without_links_and_escapes_markup() -> None:
    # Given fields without links and a summary holding Slack control characters
    fields = firing_fields(runbook_url=None, ack_url=None, summary="a < b & c > d")

    # When the Slack payload is built
    attachment = slack_payload(fields)["attachments"][0]

    # Then there are no actions and the characters are escaped
    assert "actions" not in attachment
    assert attachment["text"].startswith("a &lt; b &amp; c &gt; d")


# --- PagerDuty -------------------------------------------------------------------------------------------


def test_pagerduty_trigger_has_payload_and_links() -> None:
    # Given firing critical fields
    # When the PagerDuty event is built
    event = pagerduty_event(firing_fields(), "R" * 32)

    # Then it triggers with the alert's fingerprint as dedup key and a complete payload
    assert event["routing_key"] == "R" * 32
    assert event["event_action"] == "trigger"
    assert event["dedup_key"] == "fp-critical"
    assert event["payload"]["summary"] == "[FIRING] High latency (critical, acme)"
    assert event["payload"]["source"] == "vigil:acme"
    assert event["payload"]["severity"] == "critical"
    assert event["payload"]["timestamp"] == "2026-11-22T10:00:00+00:00"
    assert event["payload"]["custom_details"]["alert_count"] == 2
    assert event["payload"]["custom_details"]["first_seen"] == "2026-11-22T09:53:00+00:00"
    assert event["links"] == [
        {"href": "https://runbooks.example.com/x", "text": "Runbook"},
        {"href": "https://vigil.example.com/ack/fp-critical", "text": "Acknowledge in vigil"},
    ]


@pytest.mark.parametrize(("status", "action"), [("resolved", "resolve"), ("acknowledged", "acknowledge")])
def test_pagerduty_resolve_and_acknowledge_carry_only_the_dedup_key(status: str, action: str) -> None:
    # Given fields that are resolved or acknowledged
    # When the PagerDuty event is built
    event = pagerduty_event(firing_fields(status=status, ack_url=None), "key")

    # Then it names the action and the same dedup key as the trigger, without a payload
    assert event == {"routing_key": "key", "event_action": action, "dedup_key": "fp-critical"}


@pytest.mark.parametrize("severity", list(Severity))
def test_pagerduty_severity_is_one_pagerduty_accepts(severity: Severity) -> None:
    event = pagerduty_event(firing_fields(severity=severity), "key")
    assert event["payload"]["severity"] == severity.value
    assert event["payload"]["severity"] in {"critical", "error", "warning", "info"}


def test_pagerduty_limits_dedup_key_and_summary() -> None:
    # Given an overlong fingerprint and rule name
    fields = firing_fields(fingerprint="f" * 400, title="word " * 400)

    # When the event is built
    event = pagerduty_event(fields, "key")

    # Then the dedup key is cut at 255 and the summary fits 1,024 characters, ending with an ellipsis
    assert event["dedup_key"] == "f" * 255
    assert len(event["payload"]["summary"]) <= 1024
    assert event["payload"]["summary"].endswith("word…")


# --- webhook ---------------------------------------------------------------------------------------------


def test_webhook_body_is_the_versioned_notification_in_compact_sorted_json() -> None:
    # Given a notification
    given = notification(firing=(alert("fp-1"),))

    # When its webhook body is built
    body = webhook_body(given)

    # Then it is compact sorted JSON holding the version and the notification as the topic carries it
    document = json.loads(body)
    assert document == {"version": "1", "notification": given.model_dump(mode="json")}
    assert body == json.dumps(document, separators=(",", ":"), sort_keys=True).encode()


def test_a_signed_webhook_verifies() -> None:
    # Given a signed body
    body = webhook_body(notification(firing=(alert("fp-1"),)))
    timestamp = 1_800_000_000
    headers = webhook_headers(SECRET, timestamp, body)

    # When a receiver checks it a minute later
    valid = verify(SECRET, int(headers[TIMESTAMP_HEADER]), body, headers[SIGNATURE_HEADER], now=timestamp + 60)

    # Then it verifies, and the signature has the documented form
    assert valid
    assert headers[SIGNATURE_HEADER].startswith("v1=")
    assert len(headers[SIGNATURE_HEADER]) == 3 + 64
    assert headers[SIGNATURE_HEADER] == sign(SECRET, timestamp, body)


def test_a_tampered_body_another_secret_or_a_moved_timestamp_is_rejected() -> None:
    # Given a signature over a body at a time
    body = b'{"version":"1"}'
    timestamp = 1_800_000_000
    signature = sign(SECRET, timestamp, body)

    # When any part is changed
    # Then verification fails
    assert verify(SECRET, timestamp, body, signature, now=timestamp)
    assert not verify(SECRET, timestamp, body + b" ", signature, now=timestamp)
    assert not verify(b"other", timestamp, body, signature, now=timestamp)
    assert not verify(SECRET, timestamp + 1, body, signature, now=timestamp)
    assert not verify(SECRET, timestamp, body, "v1=ü" + signature[4:], now=timestamp)


def test_an_old_or_future_timestamp_is_rejected_as_a_replay() -> None:
    # Given a valid signature
    body = b"{}"
    timestamp = 1_800_000_000
    signature = sign(SECRET, timestamp, body)

    # When it is checked at the edge of the tolerance and just beyond, either side
    # Then the edge passes and beyond is refused
    assert verify(SECRET, timestamp, body, signature, now=timestamp + 300)
    assert not verify(SECRET, timestamp, body, signature, now=timestamp + 301)
    assert not verify(SECRET, timestamp, body, signature, now=timestamp - 301)
    assert not verify(SECRET, timestamp, body, signature, now=timestamp + 31, tolerance_s=30)


# --- SMS -------------------------------------------------------------------------------------------------


def test_a_short_sms_is_sent_whole_on_one_line() -> None:
    text = sms_text(firing_fields(summary="Checkout\nis slow"))
    assert text == "[FIRING] critical acme: Checkout is slow"


def test_a_long_sms_is_cut_at_a_word_boundary_within_the_limit() -> None:
    # Given a summary far longer than an SMS
    fields = firing_fields(summary="latency " * 40)

    # When the SMS is written for 160 and for 40 characters
    long_text = sms_text(fields)
    short_text = sms_text(fields, limit=40)

    # Then each fits, ends with a GSM-7 ellipsis after a whole word
    for text, limit in ((long_text, 160), (short_text, 40)):
        assert len(text) <= limit
        assert text.endswith("latency...")
        assert "\n" not in text
    assert short_text == "[FIRING] critical acme: latency..."


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("exactly ten", 11, "exactly ten"),
        ("alpha beta gamma", 11, "alpha beta…"),  # the cut lands on a space
        ("alpha betagamma", 11, "alpha…"),  # the cut lands inside a word
        ("supercalifragilistic", 6, "super…"),  # a single word is cut hard
    ],
)
def test_truncate_at_word_boundaries(text: str, limit: int, expected: str) -> None:
    assert truncate(text, limit) == expected
    assert len(truncate(text, limit)) <= limit
