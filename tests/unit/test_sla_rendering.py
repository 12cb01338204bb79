"""SLA reports rendered as JSON, CSV and HTML."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest

from tests.unit.test_sla_reports import Platform, at, epoch, make_alert, make_slo
from vigil_core.errors import VigilError
from vigil_core.models.alerts import AlertStatus
from vigil_core.models.tenants import SlaTier
from vigil_core.services.sla_rendering import (
    PLATFORM_CSV_HEADER,
    TENANT_CSV_HEADER,
    render_report,
    report_csv,
    report_html,
    report_json,
)
from vigil_core.services.sla_reports import PlatformSlaReport, TenantSlaReport

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'
TRICKY = 'Checkout, "EU"\nsecond line'


def tenant_report(monitor_name: str = "API", tenant_name: str = "Acme") -> TenantSlaReport:
    """March 2026 of an enterprise tenant: a monitor at 99.5 % (a violation), one without data, an SLO, an
    incident of 30 minutes."""
    platform = Platform()
    platform.tenant("acme", SlaTier.ENTERPRISE, name=tenant_name)
    platform.monitor("acme", "api", monitor_name)
    platform.monitor("acme", "idle", "Idle")
    platform.slos.put(make_slo("acme", "api-up", sli={"kind": "availability", "monitor": "api"}))
    platform.windows.add(
        "acme#api",
        epoch(2026, 3, 2, 12),
        {"total": 1000, "good": 995, "latency_count": 1000, "latency_sum_ms": 123_456.7, "lb09": 1000},
    )
    platform.alert(
        make_alert(
            "acme", "a1", [(at(2026, 3, 4), AlertStatus.FIRING), (at(2026, 3, 4, 0, 30), AlertStatus.RESOLVED)], "api"
        )
    )
    return platform.service().tenant_report("acme", "monthly", "2026-03-31", now=at(2026, 4, 2))


def platform_report(name: str = "Acme") -> PlatformSlaReport:
    platform = Platform()
    platform.tenant("acme", SlaTier.BASIC, name=name)
    platform.tenant("empty", SlaTier.BASIC, name="Empty")
    platform.monitor("acme", "api")
    platform.windows.add("acme#api", epoch(2026, 3, 2), {"total": 400, "good": 400})
    return platform.service().platform_report("monthly", "2026-03-31", now=at(2026, 4, 2))


# -- JSON -------------------------------------------------------------------------------------------------------


def test_the_json_is_ready_for_json_dumps_with_iso_times_rounded_figures_and_nulls_for_no_data() -> None:
    body = report_json(tenant_report())
    assert json.loads(json.dumps(body)) == body
    assert body["period"]["start"] == "2026-03-01T00:00:00+00:00" and body["period"]["hours"] == 744
    api, idle = body["monitors"]
    # 123,456.7 ms over 1,000 checks: 123.5 ms; 99.5 % against 99.9 %
    assert api["average_latency_ms"] == 123.5 and api["availability_pct"] == 99.5
    assert api["status"] == "violated"
    assert [violation["kind"] for violation in api["violations"]] == ["availability", "recovery_time"]
    # No data is null, never 100
    assert idle["status"] == "no_data"
    assert (idle["availability_pct"], idle["error_budget"], idle["average_latency_ms"]) == (None, None, None)
    assert body["summary"]["compliant"] is False
    assert body["summary"]["error_rate_pct"] is None
    assert body["incidents"][0]["started_at"] == "2026-03-04T00:00:00+00:00"
    assert body["incidents"][0]["recovery_s"] == 1800
    # The previous period had no data at all: its figures and the change are null
    assert body["previous"]["summary"]["availability_pct"] is None
    assert body["previous"]["summary"]["compliant"] is None
    assert body["previous"]["change"]["availability_pct"] is None
    assert body["trend"]["points"][1] == {
        "start": "2026-03-02T00:00:00+00:00",
        "label": "2026-03-02",
        "checks": 1000,
        "availability_pct": 99.5,
        "average_latency_ms": 123.5,
    }


def test_the_platform_json_summarises_and_lists_each_tenant() -> None:
    body = report_json(platform_report())
    summary = body["summary"]
    assert (summary["tenants"], summary["compliant_tenants"], summary["tenants_without_data"]) == (2, 1, 1)
    assert summary["compliance_pct"] == 100.0
    assert [row["id"] for row in body["tenants"]] == ["acme", "empty"]
    assert body["tenants"][1]["availability_pct"] is None and body["tenants"][1]["compliant"] is None


# -- CSV --------------------------------------------------------------------------------------------------------


def parse(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def test_the_tenant_csv_parses_back_with_a_row_per_monitor_and_slo() -> None:
    text = report_csv(tenant_report(monitor_name=TRICKY))
    assert text.startswith(",".join(TENANT_CSV_HEADER) + "\r\n")
    rows = parse(text)
    assert [(row["row_type"], row["id"]) for row in rows] == [
        ("tenant", "acme"),
        ("monitor", "api"),
        ("monitor", "idle"),
        ("slo", "api-up"),
    ]
    tenant, api, idle, slo = rows
    # A name with a comma, quotes and a line break comes back whole
    assert api["name"] == TRICKY
    assert (api["total"], api["good"], api["availability_pct"], api["average_latency_ms"]) == (
        "1000",
        "995",
        "99.5",
        "123.5",
    )
    assert api["violations"] == "availability;recovery_time"
    # No data: empty cells
    assert (idle["status"], idle["total"], idle["availability_pct"], idle["budget_remaining_pct"]) == (
        "no_data",
        "",
        "",
        "",
    )
    assert (slo["availability_pct"], slo["objective_pct"], slo["status"]) == ("99.5", "99.9", "violated")
    assert tenant["status"] == "violated" and tenant["incidents"] == "1"


def test_the_platform_csv_has_a_row_per_tenant() -> None:
    rows = parse(report_csv(platform_report(name='=HYPERLINK("http://evil")')))
    assert list(rows[0]) == list(PLATFORM_CSV_HEADER)
    assert [row["tenant"] for row in rows] == ["acme", "empty"]
    acme, empty = rows
    assert (acme["availability_pct"], acme["compliant"], acme["violations"]) == ("100", "true", "0")
    assert (empty["availability_pct"], empty["compliant"], empty["status"]) == ("", "", "no_data")
    # A name a spreadsheet would run as a formula is kept as text
    assert acme["name"] == '\'=HYPERLINK("http://evil")'


# -- HTML -------------------------------------------------------------------------------------------------------


def test_the_html_page_escapes_a_hostile_monitor_name_and_loads_nothing() -> None:
    page = report_html(tenant_report(monitor_name=HOSTILE, tenant_name="O'Brien & <Co>"))
    assert "<script" not in page.lower()
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert "O&#x27;Brien &amp; &lt;Co&gt;" in page
    # Self-contained: inline CSS, no script, stylesheet, image or frame to fetch
    assert "<style>" in page
    assert not re.search(r"<(script|link|img|iframe)\b", page, re.IGNORECASE)
    assert not re.search(r"<[^>]*\b(src|href|onerror)=", page, re.IGNORECASE)
    # Readable on a phone, with the violated monitor's row and the late incident highlighted, and a trend chart
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    assert page.count('<tr class="bad">') == 3  # the api monitor, the SLO, the 30-minute incident
    assert "<svg" in page and "<rect" in page


def test_the_platform_html_lists_every_tenant() -> None:
    page = report_html(platform_report(name="<b>Acme</b>"))
    assert "&lt;b&gt;Acme&lt;/b&gt;" in page and "<b>Acme</b>" not in page
    assert "Empty" in page and "no data" in page


# -- render_report ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "content_type"),
    [("json", "application/json"), ("csv", "text/csv; charset=utf-8"), ("HTML", "text/html; charset=utf-8")],
)
def test_render_report_gives_the_body_its_content_type_and_a_file_name(fmt: str, content_type: str) -> None:
    rendered = render_report(tenant_report(), fmt)
    assert rendered.content_type == content_type
    assert rendered.filename == f"sla-acme-2026-03.{fmt.lower()}"
    assert rendered.body
    assert render_report(platform_report(), "csv").filename == "sla-platform-2026-03.csv"


def test_an_unknown_format_is_a_400_naming_format() -> None:
    with pytest.raises(VigilError) as caught:
        render_report(platform_report(), "pdf")
    assert caught.value.status == 400 and caught.value.problems[0].field == "format"
