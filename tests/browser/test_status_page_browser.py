"""The status page in a real browser: a page built from 90 days of in-memory data, served from 127.0.0.1 and
opened in headless Chromium at a desktop's and a phone's size, in light and dark.

What a unit test of the HTML cannot see is checked here: that the 90 cells and the chart are drawn with a size,
that the colours the CSS gives each day are the ones painted, that hovering a day lands on it and shows its
figure, that the page asks for nothing from another host, logs no error, and fits a 375 px wide phone."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import DESKTOP, DRAWN, PHONE, OpenPage, RecordedPage
from tests.servers.http_server import ControllableHttpServer
from tests.unit.test_status_page import NOW, TODAY, StatusWorld
from vigil_core.models.alerts import AlertStatus, Severity
from vigil_core.models.status_page import StatusPageSettings
from vigil_core.probes.verdicts import MonitorStatus
from vigil_core.services.status_rendering import (
    render_not_found_page,
    render_sign_in_page,
    render_status_page,
)

pytestmark = pytest.mark.integration

HTML = {"Content-Type": "text/html; charset=utf-8"}
# Days of the shop whose colour is known: days ago -> (good of 20,000 checks, the fill the browser must paint)
KNOWN_DAYS = {
    1: (19_990, "rgb(45, 164, 78)"),  # 99.95 %: >= 99.9, green
    2: (19_900, "rgb(155, 197, 61)"),  # 99.5 %: >= 99, light green
    3: (19_400, "rgb(232, 163, 23)"),  # 97 %: >= 95, amber
    4: (18_000, "rgb(209, 36, 47)"),  # 90 %: < 95, red
}
NO_DATA_FILL = {"light": "rgb(201, 209, 217)", "dark": "rgb(61, 68, 77)"}
HOVERED = """selector => {
    const element = document.querySelector(selector);
    const box = element.getBoundingClientRect();
    const hit = document.elementFromPoint(box.x + box.width / 2, box.y + box.height / 2);
    return {hit: element === hit || element.contains(hit), hover: element.matches(':hover'),
            title: element.querySelector('title').textContent};
}"""


def status_world() -> StatusWorld:
    """Three monitors over 90 days: a shop with known days and a day of response times, an API watched for 60
    days, a database (a hostile name) that is down with a firing alert."""
    world = StatusWorld()
    world.tenant(name="Acme")
    world.monitor("shop", "Shop front")
    world.monitor("api", "Public API", target="https://api.example.com/v1/ping")
    world.monitor("db", '<script>alert("db")</script> Database', type="tcp", target="db.internal:5432")
    rng = random.Random(7)
    for days_ago in range(90):
        day = TODAY - timedelta(days=days_ago)
        checks = 20_000 if days_ago else 1_050  # today so far
        world.day("shop", day, good=KNOWN_DAYS[days_ago][0] if days_ago in KNOWN_DAYS else checks, total=checks)
        if days_ago < 60:
            world.day("api", day, good=checks - rng.choice((0, 0, 0, 2, 5, 40)), total=checks)
        world.day("db", day, good=checks - rng.choice((0, 0, 0, 0, 30, 300, 1500)), total=checks)
    this_hour = NOW.replace(minute=0)
    for hours_ago in range(24):
        if hours_ago == 6:
            continue  # an hour without a check: the line breaks there
        for monitor_id, base in (("shop", 80.0), ("api", 140.0), ("db", 12.0)):
            average = base * rng.uniform(0.7, 1.4)
            world.add(
                monitor_id,
                this_hour - timedelta(hours=hours_ago),
                {"latency_count": 60, "latency_sum_ms": 60 * average},
            )
    checked = NOW - timedelta(seconds=25)
    world.state("shop", MonitorStatus.UP, NOW - timedelta(days=3, hours=2), checked)
    world.state("api", MonitorStatus.DEGRADED, NOW - timedelta(minutes=42), checked)
    world.state("db", MonitorStatus.DOWN, NOW - timedelta(minutes=18), checked)
    world.add("shop", checked, {"latency_count": 1, "latency_sum_ms": 84.0})
    world.alert("down", "service-down", AlertStatus.FIRING, Severity.CRITICAL, monitor="db", summary="db refuses")
    return world


@pytest.fixture(scope="module")
def site() -> Iterator[ControllableHttpServer]:
    """The private page, its sign-in page and a not-found page, served from 127.0.0.1."""
    world = status_world()
    page = world.page(StatusPageSettings(title="Acme services", description="Everything Acme runs."))
    with ControllableHttpServer() as server:
        server.route("/status/acme", body=render_status_page(page, public=False), headers=HTML)
        server.route("/sign-in/acme", body=render_sign_in_page("acme", "That key is not valid."), headers=HTML)
        server.route("/public/status/nobody", status=404, body=render_not_found_page(), headers=HTML)
        yield server


def visit(open_page: OpenPage, url: str, viewport: dict[str, int], color_scheme: str = "light") -> RecordedPage:
    recorded = open_page(viewport, color_scheme)
    response = recorded.page.goto(url, wait_until="load")
    assert response is not None and response.ok, url
    return recorded


def assert_clean(recorded: RecordedPage) -> None:
    assert recorded.foreign_requests == []
    assert recorded.console_errors == [] and recorded.page_errors == []


def test_the_desktop_page_draws_90_coloured_days_and_a_chart_per_monitor(
    site: ControllableHttpServer, open_page: OpenPage, screenshots: Path
) -> None:
    # Given the page at a desktop's size
    recorded = visit(open_page, site.url("/status/acme"), DESKTOP)
    # When it has loaded / Then the three monitors are drawn in order (by name: the database's name starts with <)
    monitors: list[dict[str, Any]] = recorded.page.evaluate(DRAWN)
    assert [monitor["id"] for monitor in monitors] == ["db", "api", "shop"]
    for monitor in monitors:
        # each with 90 cells that have a size, from 89 days ago to today
        cells = monitor["cells"]
        assert len(cells) == 90
        assert all(cell["width"] > 2 and cell["height"] > 20 for cell in cells), monitor["id"]
        assert (cells[0]["date"], cells[-1]["date"]) == ((TODAY - timedelta(days=89)).isoformat(), TODAY.isoformat())
        # and a response-time line with points, broken where an hour had no check
        line = monitor["line"]
        assert line is not None and line["length"] > 100 and line["width"] > 300 and line["height"] > 10
        assert line["d"].count("M") == 2 and line["d"].count("L") == 21
    # The shop's known days are painted in their colours; the API's first 30 days are grey: no data
    shop = {cell["date"]: cell for cell in monitors[2]["cells"]}
    for days_ago, (_, fill) in KNOWN_DAYS.items():
        assert shop[(TODAY - timedelta(days=days_ago)).isoformat()]["fill"] == fill
    api = monitors[1]["cells"]
    assert {cell["fill"] for cell in api[:30]} == {NO_DATA_FILL["light"]}
    assert api[0]["title"] == f"{(TODAY - timedelta(days=89)).isoformat()}: no data"
    # The page asked nothing of any other host and logged no error
    assert_clean(recorded)
    recorded.screenshot(screenshots / "status-page.png")


def test_hovering_a_day_or_an_hour_shows_its_figure(site: ControllableHttpServer, open_page: OpenPage) -> None:
    recorded = visit(open_page, site.url("/status/acme"), DESKTOP)
    page = recorded.page
    # When the pointer rests on yesterday's cell of the shop
    yesterday = (TODAY - timedelta(days=1)).isoformat()
    day = f'section[data-monitor="shop"] rect[data-date="{yesterday}"]'
    page.hover(day)
    # Then that cell is what is under the pointer, it is hovered, and its tooltip is the day and its figure
    assert page.evaluate(HOVERED, day) == {
        "hit": True,
        "hover": True,
        "title": f"{yesterday}: 99.95 % (19,990 of 20,000 checks good)",
    }
    # When it rests on the chart's last hour
    hour = 'section[data-monitor="shop"] g.point[data-ms]:last-of-type'
    page.hover(hour)
    hovered = page.evaluate(HOVERED, hour)
    assert hovered["hit"] and hovered["hover"]
    assert hovered["title"].startswith(f"{NOW:%H}:00 UTC: ") and hovered["title"].endswith(
        "(61 checks)"
    )  # 60 of the hour and the last check
    assert_clean(recorded)


def test_the_phone_page_fits_375_px_without_horizontal_scrolling(
    site: ControllableHttpServer, open_page: OpenPage, screenshots: Path
) -> None:
    recorded = visit(open_page, site.url("/status/acme"), PHONE)
    page = recorded.page
    # Then nothing is wider than the screen, and the bars and charts are still drawn
    assert page.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"]
    monitors: list[dict[str, Any]] = page.evaluate(DRAWN)
    for monitor in monitors:
        assert len(monitor["cells"]) == 90 and all(cell["width"] > 1.5 for cell in monitor["cells"])
        assert monitor["line"]["width"] > 200 and monitor["line"]["length"] > 100
    assert_clean(recorded)
    recorded.screenshot(screenshots / "status-page-phone.png")


def test_the_dark_page_paints_its_own_colours(
    site: ControllableHttpServer, open_page: OpenPage, screenshots: Path
) -> None:
    recorded = visit(open_page, site.url("/status/acme"), DESKTOP, color_scheme="dark")
    monitors: list[dict[str, Any]] = recorded.page.evaluate(DRAWN)
    assert monitors[1]["cells"][0]["fill"] == NO_DATA_FILL["dark"]
    background = recorded.page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(13, 17, 23)"
    assert_clean(recorded)
    recorded.screenshot(screenshots / "status-page-dark.png")


@pytest.mark.parametrize("path", ["/sign-in/acme", "/public/status/nobody"])
def test_the_sign_in_and_not_found_pages_fit_a_phone_too(
    site: ControllableHttpServer, open_page: OpenPage, path: str
) -> None:
    recorded = open_page(PHONE)
    recorded.page.goto(site.url(path), wait_until="load")
    assert recorded.page.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"]
    assert recorded.foreign_requests == [] and recorded.page_errors == []
    if path.startswith("/sign-in"):
        field = recorded.page.locator('input[name="api_key"]')
        assert field.is_visible() and field.get_attribute("type") == "password"
        assert recorded.page.locator(".error").inner_text() == "That key is not valid."
    else:
        assert recorded.page.locator("h1").inner_text() == "No status page here"
