"""Status pages as HTML: escaping, nothing loaded from elsewhere, the 90 day cells and their colours, the chart,
and the sign-in and not-found pages."""

from __future__ import annotations

import base64
import hashlib
import re
from datetime import timedelta
from html.parser import HTMLParser

import pytest

from tests.unit.test_status_page import NOW, TODAY, StatusWorld
from vigil_core.models.alerts import AlertStatus, Severity
from vigil_core.models.status_page import StatusPageSettings
from vigil_core.probes.verdicts import MonitorStatus
from vigil_core.services.status_page import StatusPage
from vigil_core.services.status_rendering import (
    AVAILABILITY_LEVELS,
    NO_DATA_LEVEL,
    availability_level,
    pct_text,
    render_not_found_page,
    render_sign_in_page,
    render_status_page,
)

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


class Elements(HTMLParser):
    """Every start tag with its attributes, and the text inside each <title> (SVG tooltips included)."""

    def __init__(self, document: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.titles: list[str] = []
        self._in_title = False
        self.feed(document)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag == "title":
            self._in_title = True
            self.titles.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.titles[-1] += data

    def named(self, tag: str) -> list[dict[str, str | None]]:
        return [attrs for name, attrs in self.tags if name == tag]


def shop_page(name: str = "Shop", *, public: bool = False) -> StatusPage:
    """A monitor with known days (99.95, 99.5, 97, 90 %, no data), three hours of response times and a firing
    alert."""
    world = StatusWorld()
    world.tenant()
    world.monitor("shop", name)
    world.state("shop", MonitorStatus.UP, NOW - timedelta(hours=3), NOW - timedelta(seconds=30))
    for days_ago, good in ((1, 19_990), (2, 19_900), (3, 19_400), (4, 18_000)):
        world.day("shop", TODAY - timedelta(days=days_ago), good=good, total=20_000)
    this_hour = NOW.replace(minute=0)
    world.add("shop", this_hour, {"latency_count": 60, "latency_sum_ms": 6000.0})
    world.add("shop", this_hour - timedelta(hours=1), {"latency_count": 60, "latency_sum_ms": 4800.0})
    world.add("shop", this_hour - timedelta(hours=5), {"latency_count": 60, "latency_sum_ms": 7200.0})
    world.alert("a", "service-down", AlertStatus.FIRING, Severity.CRITICAL, monitor="shop", summary="shop is down")
    return world.page(StatusPageSettings(public=public), public=public)


def cells(document: str) -> dict[str, dict[str, str | None]]:
    """The uptime bar's cells by date."""
    return {str(attrs["data-date"]): attrs for attrs in Elements(document).named("rect") if "data-date" in attrs}


# -- the document ---------------------------------------------------------------------------------------------------


def test_the_page_is_one_html5_document_for_phones_that_reloads_every_minute() -> None:
    document = render_status_page(shop_page(), public=False)
    assert document.startswith('<!DOCTYPE html>\n<html lang="en">')
    metas = Elements(document).named("meta")
    assert {"name": "viewport", "content": "width=device-width, initial-scale=1"} in metas
    assert {"http-equiv": "refresh", "content": "60"} in metas
    assert {"charset": "utf-8"} in metas


def test_nothing_is_loaded_from_anywhere_else() -> None:
    # Given a public page (no targets) and a private one (targets as text)
    for public in (True, False):
        document = render_status_page(shop_page(public=public), public=public)
        elements = Elements(document)
        # Then no element refers to another resource but the empty inline icon, and there is no script at all
        references = [(tag, attrs) for tag, attrs in elements.tags if {"src", "href", "srcset", "action"} & set(attrs)]
        assert references == [("link", {"rel": "icon", "href": "data:,"})]
        assert not elements.named("script")
        assert "url(" not in document and "@import" not in document
        if public:
            assert "http://" not in document and "https://" not in document


def test_the_content_security_policy_allows_only_the_pages_own_style() -> None:
    document = render_status_page(shop_page(), public=False)
    [policy] = [
        attrs["content"]
        for attrs in Elements(document).named("meta")
        if attrs.get("http-equiv") == ("Content-Security-Policy")
    ]
    assert policy is not None
    style = re.search(r"<style>(.*)</style>", document, re.DOTALL)
    assert style is not None
    digest = base64.b64encode(hashlib.sha256(style.group(1).encode()).digest()).decode()
    assert (
        policy == f"default-src 'none'; style-src 'sha256-{digest}'; img-src data:; form-action 'self'; base-uri 'none'"
    )


def test_every_tenant_provided_string_is_escaped() -> None:
    # Given hostile text in the title, description, a monitor's name and target, an alert's name, summary, labels
    world = StatusWorld()
    world.tenant(name=HOSTILE)
    world.monitor("shop", HOSTILE, type="tcp", target="db.example.com:5432")
    world.alert("a", "service-down", AlertStatus.FIRING, monitor="shop", summary=HOSTILE)
    page = world.page(StatusPageSettings(title=HOSTILE, description=HOSTILE))
    # When the private page is rendered
    document = render_status_page(page, public=False)
    # Then no markup of theirs survives: no script, no img, no onerror attribute
    elements = Elements(document)
    assert not elements.named("script") and not elements.named("img")
    assert not any("onerror" in attrs for _, attrs in elements.tags)
    escaped = "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;"
    # the title, description, monitor name (heading, SLA row), incident title, summary, aria labels all show it
    assert document.count(escaped) >= 6
    assert f"<title>{escaped}</title>" in document


def test_the_tenants_own_status_page_title_defaults_to_its_name() -> None:
    document = render_status_page(shop_page(), public=False)
    assert "<title>Acme status</title>" in document and "<h1>Acme status</h1>" in document


# -- the 90 days ----------------------------------------------------------------------------------------------------


def test_there_are_90_cells_coloured_by_availability_with_the_figure_on_hover() -> None:
    document = render_status_page(shop_page(), public=False)
    by_date = cells(document)
    assert len(by_date) == 90
    assert sorted(by_date)[0] == (TODAY - timedelta(days=89)).isoformat()
    # 19,990 / 20,000 = 99.95 % (>= 99.9: best); 99.5 %; 97 %; 90 % (< 95: worst); no data five days ago
    expected = {1: ("a4", "99.9500"), 2: ("a3", "99.5000"), 3: ("a2", "97.0000"), 4: ("a1", "90.0000")}
    for days_ago, (css, availability) in expected.items():
        cell = by_date[(TODAY - timedelta(days=days_ago)).isoformat()]
        assert (cell["class"], cell["data-availability"]) == (css, availability)
    empty = by_date[(TODAY - timedelta(days=5)).isoformat()]
    assert (empty["class"], empty["data-availability"]) == ("a0", "none")
    # each cell's tooltip: the date and the figure
    titles = Elements(document).titles
    yesterday = (TODAY - timedelta(days=1)).isoformat()
    assert f"{yesterday}: 99.95 % (19,990 of 20,000 checks good)" in titles
    assert f"{(TODAY - timedelta(days=5)).isoformat()}: no data" in titles


def test_the_colour_scale() -> None:
    # The CSS gives each level its fill; the boundaries belong to the better level
    document = render_status_page(shop_page(), public=False)
    for _, css, fill, _ in AVAILABILITY_LEVELS:
        assert f".days .{css}{{fill:{fill}}}" in document
    assert f".days .{NO_DATA_LEVEL[0]}{{fill:{NO_DATA_LEVEL[1]}}}" in document
    assert [availability_level(value)[0] for value in (100.0, 99.9, 99.89, 99.0, 98.99, 95.0, 94.99, 0.0, None)] == [
        "a4",
        "a4",
        "a3",
        "a3",
        "a2",
        "a2",
        "a1",
        "a1",
        "a0",
    ]
    assert availability_level(99.95) == ("a4", "#2da44e")
    assert availability_level(50.0) == ("a1", "#d1242f")


def test_figures_are_rounded_down_so_nearly_perfect_never_reads_100() -> None:
    assert pct_text(99.99996) == "99.99 %"
    assert pct_text(100.0) == "100.00 %"
    assert pct_text(99.5, 3) == "99.500 %"
    assert pct_text(None) == "no data"


# -- the chart ------------------------------------------------------------------------------------------------------


def test_the_response_time_chart_draws_each_measured_hour_and_breaks_at_gaps() -> None:
    document = render_status_page(shop_page(), public=False)
    elements = Elements(document)
    [line] = [attrs for attrs in elements.named("path") if attrs.get("class") == "line"]
    # Three measured hours: 5 hours ago alone, then the last two joined: two segments, three points
    commands = re.findall(r"[ML][\d.]+ [\d.]+", str(line["d"]))
    assert [command[0] for command in commands] == ["M", "M", "L"]
    points = [attrs for attrs in elements.named("g") if "data-ms" in attrs]
    assert [attrs["data-ms"] for attrs in points] == ["120.0", "80.0", "100.0"]
    # The scale: the highest average 120 ms plus 10 % rounds up to 200 ms; 100 ms is drawn at half height
    assert "<span>200 ms</span><span>100 ms</span><span>0 ms</span>" in document
    assert commands[-1].endswith(" 50.00")
    this_hour = NOW.replace(minute=0)
    assert f"{this_hour:%H}:00 UTC: 100 ms on average (60 checks)" in elements.titles
    assert f"{this_hour - timedelta(hours=3):%H}:00 UTC: no checks" in elements.titles


def test_a_monitor_without_response_times_says_so_instead_of_an_empty_chart() -> None:
    world = StatusWorld()
    world.tenant()
    world.monitor("beat", type="heartbeat")
    document = render_status_page(world.page(), public=False)
    assert "No response time measured in the last 24 hours." in document
    assert 'class="line"' not in document


# -- state, incidents, SLA -----------------------------------------------------------------------------------------


def test_the_state_banner_badges_incidents_and_sla_show() -> None:
    document = render_status_page(shop_page(), public=False)
    assert 'data-overall="degraded">Some systems degraded</div>' in document  # an open incident
    assert '<span class="badge up">Operational</span>' in document
    assert "Up for 3 h, since" in document
    assert '<li class="incident" data-severity="critical">' in document
    assert "service-down: Shop" in document and "shop is down" in document
    assert "<code>monitor=shop</code>" in document and "; firing" in document
    # SLA: the shop's March (the 11th..14th) is 77,290 / 80,000 = 96.6125 %, under the professional 99.5 %
    assert "the professional tier's target of 99.5 %" in document
    assert '<td>96.612 %</td><td><span class="badge violated">Missed</span></td>' in document
    assert "https://shop.example.com/" in document  # the private page shows the target


def test_the_public_rendering_leaves_out_targets_and_alert_details_even_from_a_private_page() -> None:
    private_page = shop_page()
    document = render_status_page(private_page, public=True)
    assert "service-down: Shop" in document
    assert "shop is down" not in document and "<code>" not in document and "; firing" not in document
    assert "Public status page." in document
    # the target is the page's: a page built public has none to show
    public_document = render_status_page(shop_page(public=True), public=True)
    assert "shop.example.com" not in public_document


# -- sign-in and not found ------------------------------------------------------------------------------------------


def test_the_sign_in_page_posts_an_api_key_back_to_the_status_page() -> None:
    document = render_sign_in_page("acme", None)
    elements = Elements(document)
    [form] = elements.named("form")
    assert form == {"method": "post"}  # to the URL that showed it: /status/acme
    [field] = elements.named("input")
    assert (field["name"], field["type"], "required" in field) == ("api_key", "password", True)
    assert not elements.named("script") and 'class="error"' not in document
    assert {"name": "robots", "content": "noindex"} in elements.named("meta")


def test_the_sign_in_page_shows_an_escaped_error_and_tenant() -> None:
    document = render_sign_in_page(HOSTILE, "That key <b>is</b> not valid")
    assert "<script>" not in document and "<b>is</b>" not in document
    assert '<p class="error" role="alert">That key &lt;b&gt;is&lt;/b&gt; not valid</p>' in document


def test_the_not_found_page_names_nothing() -> None:
    document = render_not_found_page()
    assert "<h1>No status page here</h1>" in document
    assert not Elements(document).named("form")


@pytest.mark.parametrize("render", [lambda: render_sign_in_page("acme"), render_not_found_page])
def test_the_pages_around_it_load_nothing_either(render: object) -> None:
    document = render()  # type: ignore[operator]
    assert "http://" not in document and "https://" not in document and "<script" not in document
    assert {"name": "viewport", "content": "width=device-width, initial-scale=1"} in Elements(document).named("meta")


def test_a_date_label_is_an_iso_date() -> None:
    # The axis under the bars names the first and last day in ISO form
    document = render_status_page(shop_page(), public=False)
    assert f"{(TODAY - timedelta(days=89)).isoformat()} to {TODAY.isoformat()} (today so far)" in document
