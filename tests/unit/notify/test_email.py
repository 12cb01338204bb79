"""The email a notification sends: subject, text part and HTML part, read back as a mail client would; no I/O."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from typing import Any

import pytest

from vigil_core.models.alerts import Severity
from vigil_core.notify.email import SUBJECT_LIMIT, EmailContent, email_message
from vigil_core.notify.messages import DEFAULT_BODY, MessageFields, render
from vigil_core.notify.payloads import SLACK_COLORS, SLACK_RESOLVED_COLOR

T0 = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
RUNBOOK = "https://runbooks.example.com/latency?team=checkout&env=prod"
ACK = "https://vigil.example.com/ack/fp-critical"


def fields(**changes: Any) -> MessageFields:
    values: dict[str, Any] = {
        "tenant": "acme",
        "severity": Severity.CRITICAL,
        "status": "firing",
        "title": "High latency",
        "summary": "p95 latency above 100 ms",
        "description": "Checkout is slow.\nCustomers are waiting.",
        "runbook_url": RUNBOOK,
        "first_seen": T0 - timedelta(minutes=7),
        "occurrences": 3,
        "alert_count": 2,
        "ack_url": ACK,
        "fingerprint": "fp-critical",
        "notification_id": "g1:3",
        "at": T0,
    }
    return MessageFields(**(values | changes))


class ReadHtml(HTMLParser):
    """What a reader of the HTML part sees: the elements, the text, the links and the details table."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.text = ""
        self.heading = ""
        self.links: list[tuple[str, str]] = []  # (href, label)
        self.rows: dict[str, str] = {}
        self._open_href: str | None = None
        self._cells: list[str] = []
        self._in: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self._in.append(tag)
        if tag == "a":
            self._open_href = dict(attrs).get("href") or ""
            self.links.append((self._open_href, ""))
        if tag == "tr":
            self._cells = []
        if tag == "td":
            self._cells.append("")

    def handle_endtag(self, tag: str) -> None:
        if self._in and self._in[-1] == tag:
            self._in.pop()
        if tag == "a":
            self._open_href = None
        if tag == "tr" and len(self._cells) == 2:
            self.rows[self._cells[0]] = self._cells[1]
        if tag == "tr":
            self._cells = []

    def handle_data(self, data: str) -> None:
        self.text += data
        if self._open_href is not None:
            href, label = self.links[-1]
            self.links[-1] = (href, label + data)
        if "td" in self._in and self._cells:
            self._cells[-1] += data
        if "h1" in self._in:
            self.heading += data


def read(content: EmailContent) -> ReadHtml:
    reader = ReadHtml()
    reader.feed(content.html)
    reader.close()
    return reader


def test_a_firing_notification_becomes_a_subject_a_text_part_and_an_html_part() -> None:
    # Given the fields of a firing critical notification with every optional field
    given = fields()

    # When its email is built with the default templates
    email = email_message(given)

    # Then the subject is the default title, the text part the default body
    assert email.subject == "[FIRING] High latency (critical, acme)"
    assert email.text == render(DEFAULT_BODY, given)
    # And the HTML part shows the title, summary, description, every detail and both buttons
    html = read(email)
    assert html.heading == "High latency"
    assert "p95 latency above 100 ms" in html.text
    assert "Checkout is slow." in html.text and "Customers are waiting." in html.text
    assert html.rows == {
        "Tenant": "acme",
        "Severity": "critical",
        "Status": "firing",
        "Alerts": "2",
        "First seen": "2026-11-22 09:53:00 UTC",
        "Occurrences": "3",
    }
    assert html.links == [(RUNBOOK, "Open runbook"), (ACK, "Acknowledge")]
    assert SLACK_COLORS[Severity.CRITICAL] in email.html


def test_the_html_part_is_self_contained() -> None:
    # Given any notification's email
    email = email_message(fields())

    # When its HTML is read
    html = read(email)

    # Then nothing is fetched from elsewhere: no stylesheets, scripts or images, only inline styles
    assert not {"link", "style", "script", "img", "iframe"} & set(html.tags)
    assert "src=" not in email.html
    assert html.tags[:2] == ["html", "head"]
    assert '<meta charset="utf-8">' in email.html


def test_markup_in_any_field_is_shown_as_text_not_run() -> None:
    # Given fields whose summary, title, description and tenant carry markup
    hostile = "<script>alert('x')</script>"
    given = fields(
        summary=f"latency {hostile}",
        title="<b>High</b> latency",
        description='<img src="x" onerror="alert(1)">',
        tenant="acme&co",
    )

    # When its email is built
    email = email_message(given)

    # Then the markup is escaped: the reader sees it as text and no element of it exists
    assert "<script>" not in email.html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in email.html
    html = read(email)
    assert not {"script", "img", "b"} & set(html.tags)
    assert f"latency {hostile}" in html.text
    assert html.heading == "<b>High</b> latency"
    assert html.rows["Tenant"] == "acme&co"
    assert '<img src="x" onerror="alert(1)">' in html.text


def test_a_url_cannot_break_out_of_its_link() -> None:
    # Given a runbook URL with quotes, ampersands and angle brackets
    url = 'https://runbooks.example.com/x?a=1&b="><script>alert(1)</script>'

    # When its email is built
    email = email_message(fields(runbook_url=url))

    # Then the link leads exactly to that URL and no element comes out of it
    html = read(email)
    assert (url, "Open runbook") in html.links
    assert "script" not in html.tags
    assert "&amp;b=&quot;&gt;&lt;script&gt;" in email.html


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", "JavaScript:alert(1)", "data:text/html,<b>x</b>", "java\nscript:alert(1)", "//x.io"]
)
def test_only_http_and_https_urls_become_links(url: str) -> None:
    # Given an acknowledge URL that is not http(s)
    given = fields(runbook_url=None, ack_url=url)

    # When its email is built
    html = read(email_message(given))

    # Then no link is made of it; it is shown as text instead, so it is not lost
    assert html.links == []
    assert html.rows["Acknowledge"] == url


def test_missing_optional_fields_leave_no_empty_rows_or_links() -> None:
    # Given fields without description, runbook, acknowledge link, first-seen time or occurrence count
    given = fields(description=None, runbook_url=None, ack_url=None, first_seen=None, occurrences=0)

    # When its email is built
    email = email_message(given)

    # Then the HTML has neither rows nor buttons for them, and no empty paragraph
    html = read(email)
    assert list(html.rows) == ["Tenant", "Severity", "Status", "Alerts"]
    assert html.links == []
    assert "a" not in html.tags
    assert html.tags.count("p") == 1  # the summary's
    # And the text part leaves those lines out too
    assert "Runbook" not in email.text and "Acknowledge" not in email.text and "First seen" not in email.text


def test_a_long_multi_line_title_makes_a_one_line_subject_of_at_most_200_characters() -> None:
    # Given a rule name with line breaks, far longer than a subject may be
    title = "Latency\nof checkout " + "very " * 80 + "high"

    # When its email is built
    email = email_message(fields(title=title))

    # Then the subject is a single line, cut at a word with an ellipsis
    assert "\n" not in email.subject and "\r" not in email.subject
    assert len(email.subject) <= SUBJECT_LIMIT
    assert email.subject.startswith("[FIRING] Latency of checkout very ")
    assert email.subject.endswith("very…")
    # And the HTML heading still shows the whole name
    assert read(email).heading.endswith("high")


def test_a_resolved_notification_is_green_whatever_its_severity() -> None:
    # Given a resolved critical notification
    given = fields(status="resolved", ack_url=None)

    # When its email is built
    email = email_message(given)

    # Then it wears the resolved colour, not the severity's
    assert SLACK_RESOLVED_COLOR in email.html
    assert SLACK_COLORS[Severity.CRITICAL] not in email.html
    assert email.subject == "[RESOLVED] High latency (critical, acme)"
    assert "RESOLVED · CRITICAL" in read(email).text


@pytest.mark.parametrize("severity", list(Severity))
def test_each_severity_has_its_colour_with_readable_badge_text(severity: Severity) -> None:
    # Given a firing notification of each severity
    email = email_message(fields(severity=severity))

    # Then the severity's colour marks it, with dark text on yellow and white text on the darker colours
    color = SLACK_COLORS[severity]
    assert f"border-top:6px solid {color}" in email.html
    text_color = "#1d1c1d" if severity is Severity.WARNING else "#ffffff"
    assert f"background:{color};color:{text_color}" in email.html


def test_custom_templates_shape_the_subject_and_the_text_part() -> None:
    # Given custom title and body templates
    title_template = "$severity_upper: $title for $tenant"
    body_template = "$summary\nSee $runbook_url"

    # When the email is built with them
    email = email_message(fields(), title_template, body_template)

    # Then the subject and text follow them; the HTML keeps its own layout
    assert email.subject == "CRITICAL: High latency for acme"
    assert email.text == f"p95 latency above 100 ms\nSee {RUNBOOK}"
    assert read(email).rows["Tenant"] == "acme"


def test_a_template_naming_an_unknown_field_is_refused() -> None:
    # Given a title template with a placeholder that names no field
    # When the email is built
    # Then it fails naming the field rather than sending "$hostname" to someone
    with pytest.raises(ValueError, match=r"\$hostname"):
        email_message(fields(), title_template="[$status] $hostname")
