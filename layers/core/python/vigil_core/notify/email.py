"""The email a notification sends: a one-line subject, the rendered text body, and a small HTML part.

The templates shape the subject and the text part; the HTML part lays out the same fields on its own. It is
self-contained (inline styles, no images or stylesheets to fetch: mail clients block them), every value in it
is escaped, and only http(s) URLs become links. Pure functions: sending is the adapter's job.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from urllib.parse import urlsplit

from vigil_core.notify.messages import DEFAULT_BODY, DEFAULT_TITLE, MessageFields, format_time, render, truncate
from vigil_core.notify.payloads import SLACK_COLORS, SLACK_RESOLVED_COLOR

SUBJECT_LIMIT = 200
LINK_SCHEMES = frozenset({"http", "https"})

_DARK_TEXT = "#1d1c1d"
_LIGHT_TEXT = "#ffffff"
_MUTED_TEXT = "#616061"
_FONT = "-apple-system,BlinkMacSystemFont,'Segoe UI',Roboto,Helvetica,Arial,sans-serif"


@dataclass(frozen=True, slots=True)
class EmailContent:
    subject: str
    text: str
    html: str


def email_message(
    fields: MessageFields, title_template: str = DEFAULT_TITLE, body_template: str = DEFAULT_BODY
) -> EmailContent:
    # A subject is one header line: a newline in a title would be folded or refused by mail software.
    subject = truncate(" ".join(render(title_template, fields).split()), SUBJECT_LIMIT)
    return EmailContent(subject=subject, text=render(body_template, fields), html=email_html(fields, subject))


def severity_color(fields: MessageFields) -> str:
    return SLACK_RESOLVED_COLOR if fields.status == "resolved" else SLACK_COLORS[fields.severity]


def is_linkable(url: str) -> bool:
    """Only absolute http(s) URLs: a javascript: or data: URL in an annotation must not become a link."""
    parts = urlsplit(url.strip())
    return parts.scheme.lower() in LINK_SCHEMES and bool(parts.netloc)


def email_html(fields: MessageFields, subject: str) -> str:
    color = severity_color(fields)
    badge = f"{fields.status.upper()} · {fields.severity.value.upper()}"
    sections = [
        _paragraph(fields.summary, f"font-size:15px;color:{_DARK_TEXT};margin:0 0 12px"),
        _paragraph(fields.description, f"font-size:14px;color:{_DARK_TEXT};margin:0 0 12px"),
        _details_table(fields),
        _buttons(fields, color),
    ]
    body = "\n".join(section for section in sections if section)
    footer = f"vigil · {escape(format_time(fields.at))} · notification {escape(fields.notification_id)}"
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>{escape(subject)}</title>
</head>
<body style="margin:0;padding:16px;background:#f4f4f5;font-family:{_FONT}">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="max-width:640px;margin:0 auto;\
background:#ffffff;border-collapse:collapse;border-top:6px solid {color}">
<tr><td style="padding:20px 24px">
<span style="display:inline-block;padding:3px 8px;border-radius:3px;font-size:12px;font-weight:bold;\
letter-spacing:0.5px;background:{color};color:{_contrasting_text(color)}">{escape(badge)}</span>
<h1 style="font-size:20px;line-height:1.3;color:{_DARK_TEXT};margin:12px 0">{escape(fields.title)}</h1>
{body}
</td></tr>
<tr><td style="padding:12px 24px;border-top:1px solid #e8e8e8;font-size:12px;color:{_MUTED_TEXT}">{footer}</td></tr>
</table>
</body>
</html>
"""


def _paragraph(text: str | None, style: str) -> str:
    if not text:
        return ""
    lines = "<br>\n".join(escape(line) for line in text.splitlines())
    return f'<p style="{style}">{lines}</p>'


def _details_table(fields: MessageFields) -> str:
    rows: list[tuple[str, str | None]] = [
        ("Tenant", fields.tenant),
        ("Severity", fields.severity.value),
        ("Status", fields.status),
        ("Alerts", str(fields.alert_count)),
        ("First seen", format_time(fields.first_seen) if fields.first_seen else None),
        # 0 is the default for "not known": an alert that fired has occurred at least once.
        ("Occurrences", str(fields.occurrences) if fields.occurrences else None),
    ]
    # A URL that cannot be a link is still worth reading, as text.
    rows += [(label, url) for label, url in _links(fields) if not is_linkable(url)]
    cells = [
        f'<tr><td style="padding:4px 12px 4px 0;color:{_MUTED_TEXT};white-space:nowrap;vertical-align:top">'
        f'{escape(label)}</td><td style="padding:4px 0;color:{_DARK_TEXT}">{escape(value)}</td></tr>'
        for label, value in rows
        if value
    ]
    return (
        '<table role="presentation" cellpadding="0" cellspacing="0" style="border-collapse:collapse;font-size:14px;'
        'margin:4px 0 16px">\n' + "\n".join(cells) + "\n</table>"
    )


def _buttons(fields: MessageFields, color: str) -> str:
    labels = {"Runbook": "Open runbook", "Acknowledge": "Acknowledge"}
    buttons = [
        f'<a href="{escape(url.strip(), quote=True)}" style="display:inline-block;margin:0 8px 8px 0;'
        f"padding:9px 16px;border-radius:4px;font-size:14px;font-weight:bold;text-decoration:none;"
        f'background:{color};color:{_contrasting_text(color)}">{escape(labels[label])}</a>'
        for label, url in _links(fields)
        if is_linkable(url)
    ]
    return f'<p style="margin:0">{"".join(buttons)}</p>' if buttons else ""


def _links(fields: MessageFields) -> list[tuple[str, str]]:
    return [(label, url) for label, url in (("Runbook", fields.runbook_url), ("Acknowledge", fields.ack_url)) if url]


def _contrasting_text(background: str) -> str:
    """Dark text on light colours (warning yellow), white on the rest, by the colour's perceived brightness."""
    red, green, blue = (int(background[index : index + 2], 16) for index in (1, 3, 5))
    return _DARK_TEXT if 0.299 * red + 0.587 * green + 0.114 * blue > 160 else _LIGHT_TEXT
