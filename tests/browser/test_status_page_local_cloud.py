"""The status page served by the `dashboard` function on the local cloud, opened in headless Chromium.

Monitors are created over the API; their last 90 days are written into the SLA windows table the way the probe
worker adds to it, and one last check per monitor is recorded through the probe store (its state, its result,
its windows). Then the browser opens GET /status/demo with the tenant's key, signs in through the form like a
person would, and reads the public variant once the tenant has switched it on.

The `backend` fixture decides where the stack runs: the embedded moto here."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.browser.conftest import DESKTOP, DRAWN, PHONE, OpenPage
from tests.support import ROOT
from vigil_cli.bootstrap import create_demo_tenant
from vigil_cli.local.cloud import LocalCloud
from vigil_cli.local.synth import synth_context, synthesize
from vigil_core.adapters.dynamodb_probes import DynamoDbProbeStore
from vigil_core.adapters.sla_windows import DynamoDbSlaWindows
from vigil_core.models.probes import MonitorKey, ProbeResult
from vigil_core.probes.observations import CheckStatus
from vigil_core.probes.verdicts import MonitorState, MonitorStatus

pytestmark = pytest.mark.integration

CHECKS_PER_DAY = 1440
# Checks failed per day, for days ago: the shop had a bad day a week ago and a worse one a month ago.
SHOP_FAILURES = {7: 20, 30: 300}
MONITORS = {"shop": "Shop front", "api": "Public API"}


@pytest.fixture(scope="module")
def backend() -> dict[str, Any]:
    """LocalCloud's options saying where the stack runs: none, the embedded moto."""
    return {}


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory, backend: dict[str, Any]) -> Iterator[LocalCloud]:
    if not (ROOT / "functions" / "dashboard" / "handler.py").is_file():
        pytest.fail("functions/dashboard/handler.py is missing: the status page has no function to serve it")
    state_dir = tmp_path_factory.mktemp("status-page-cloud")
    probes = synth_context(ROOT)["vigil:probes"] | {"canaryUrl": ""}  # probes here never leave 127.0.0.1
    context = {"vigil:probes": probes, "vigil:monitorsFile": "", "vigil:alertRulesFile": ""}
    template = synthesize(state_dir / "cdk.out", repo_root=ROOT, context=context)
    with LocalCloud(
        template, state_dir=state_dir, start_schedules=False, start_pollers=False, start_sweeper=False, **backend
    ) as running:
        yield running


@pytest.fixture(scope="module")
def key(cloud: LocalCloud) -> str:
    return create_demo_tenant(cloud).api_key


@pytest.fixture(scope="module")
def base_url(cloud: LocalCloud) -> str:
    assert cloud.api_url is not None
    return cloud.api_url.rstrip("/")


@pytest.fixture(scope="module")
def api(base_url: str, key: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url, timeout=30, headers={"x-api-key": key}) as client:
        yield client


def _add(increments: dict[tuple[str, int], dict[str, float]], key: tuple[str, int], counters: dict[str, float]) -> None:
    """Counters added to what the same instant already has (a day's noon may be one of the chart's hours)."""
    totals = increments.setdefault(key, {})
    for name, value in counters.items():
        totals[name] = totals.get(name, 0) + value


@pytest.fixture(scope="module")
def monitors(cloud: LocalCloud, api: httpx.Client) -> dict[str, str]:
    """Two monitors of the demo tenant with 90 days of checks, a day of response times and a last check."""
    environment = cloud.functions.get("dashboard").environment
    windows = DynamoDbSlaWindows(environment["SLA_WINDOWS_TABLE_NAME"])
    probes = DynamoDbProbeStore(environment["PROBES_TABLE_NAME"], environment["SLA_WINDOWS_TABLE_NAME"])
    now = datetime.now(UTC)
    epoch = int(now.timestamp())
    this_hour = epoch // 3600 * 3600
    for index, (monitor_id, name) in enumerate(MONITORS.items()):
        body = {"id": monitor_id, "type": "http", "name": name, "target": f"http://127.0.0.1:9/{monitor_id}"}
        created = api.post("/v1/monitors", json=body)
        assert created.status_code == 201, created.text
        partition = f"demo#{monitor_id}"
        increments: dict[tuple[str, int], dict[str, float]] = {}
        for days_ago in range(90):
            # Each day's checks counted at its noon (today's a minute ago, if noon is still to come)
            instant = min(epoch // 86400 * 86400 - days_ago * 86400 + 43200, epoch - 60)
            failed = SHOP_FAILURES.get(days_ago, 0) if monitor_id == "shop" else (days_ago % 11 == 3) * 5
            _add(increments, (partition, instant), {"total": CHECKS_PER_DAY, "good": CHECKS_PER_DAY - failed})
        for hours_ago in range(24):
            average = 90.0 + 40 * index + 15 * ((hours_ago * 7) % 5)
            _add(
                increments,
                (partition, this_hour - hours_ago * 3600),
                {"latency_count": 60, "latency_sum_ms": 60 * average},
            )
        windows.add_events(f"status-page-{monitor_id}", increments, now)
        # The last check: UP in 95 ms, through the probe store as the probe worker records it
        slot = epoch // 60 * 60
        checked = datetime.fromtimestamp(slot + 2, UTC)
        result = ProbeResult(
            key=MonitorKey("demo", monitor_id),
            slot=slot,
            at=checked,
            check_status=CheckStatus.UP,
            monitor_status=MonitorStatus.UP,
            response_time_ms=95.0,
            reasons=(),
            attempts=1,
        )
        state = MonitorState(
            status=MonitorStatus.UP,
            settled=MonitorStatus.UP,
            consecutive_successes=1,
            since=now - timedelta(days=2),
            last_checked_at=checked,
            last_slot=slot,
            version=1,
        )
        assert probes.record(result, state, expected_version=0)
    return MONITORS


def test_the_private_page_is_drawn_in_a_browser_with_the_tenants_key(
    cloud: LocalCloud, base_url: str, key: str, monitors: dict[str, str], open_page: OpenPage, screenshots: Path
) -> None:
    # Given a browser sending the demo tenant's key with every request
    recorded = open_page(DESKTOP, headers={"x-api-key": key})
    # When it opens the tenant's status page
    response = recorded.page.goto(f"{base_url}/status/demo", wait_until="load")
    # Then the dashboard function serves it
    assert response is not None and response.status == 200
    assert response.headers["content-type"].startswith("text/html")
    # with both monitors (by name), each with 90 drawn days and a drawn response-time line
    drawn: list[dict[str, Any]] = recorded.page.evaluate(DRAWN)
    assert [monitor["id"] for monitor in drawn] == ["api", "shop"]
    for monitor in drawn:
        assert len(monitor["cells"]) == 90
        assert all(cell["width"] > 2 and cell["height"] > 20 for cell in monitor["cells"])
        line = monitor["line"]
        assert line is not None and line["length"] > 100 and line["width"] > 300 and line["d"].count("L") >= 20
    # The shop's bad days read as written: 1,420 / 1,440 = 98.61 % a week ago, 1,140 / 1,440 = 79.16 % a month ago
    today = datetime.now(UTC).date()
    shop = {cell["date"]: cell for cell in drawn[1]["cells"]}
    week_ago, month_ago = (today - timedelta(days=7)).isoformat(), (today - timedelta(days=30)).isoformat()
    assert shop[week_ago]["title"] == f"{week_ago}: 98.61 % (1,420 of 1,440 checks good)"
    assert shop[week_ago]["fill"] == "rgb(232, 163, 23)"  # under 99 %: amber
    assert shop[month_ago]["title"] == f"{month_ago}: 79.16 % (1,140 of 1,440 checks good)"
    assert shop[month_ago]["fill"] == "rgb(209, 36, 47)"  # under 95 %: red
    # Their state and last response time come from the recorded check; the overall state is operational
    page = recorded.page
    assert page.locator('section[data-monitor="shop"] .badge').inner_text() == "Operational"
    assert "Last response 95 ms" in page.locator('section[data-monitor="shop"] .facts').inner_text()
    assert page.locator(".banner").get_attribute("data-overall") == "operational"
    # Nothing came from anywhere but the local API, and nothing went wrong in the page
    assert recorded.foreign_requests == []
    assert recorded.console_errors == [] and recorded.page_errors == []
    recorded.screenshot(screenshots / "status-page-local-cloud.png")


def test_a_browser_without_a_key_signs_in_through_the_form(
    base_url: str, key: str, monitors: dict[str, str], open_page: OpenPage
) -> None:
    # Given a phone's browser without any key / When it opens the status page
    recorded = open_page(PHONE)
    page = recorded.page
    first = page.goto(f"{base_url}/status/demo", wait_until="load")
    # Then it is asked for a key, and shown nothing of the page
    assert first is not None and first.status == 401
    assert page.locator('input[name="api_key"]').is_visible()
    assert page.locator("section.monitor").count() == 0
    # When it types a wrong key / Then the form comes back with the problem
    page.fill('input[name="api_key"]', "vgl_000000000000_wrong")
    with page.expect_navigation():
        page.click('button[type="submit"]')
    assert page.locator(".error").is_visible() and page.locator("section.monitor").count() == 0
    # When it types the tenant's key
    page.fill('input[name="api_key"]', key)
    with page.expect_navigation():
        page.click('button[type="submit"]')
    # Then the page is shown, and keeps being shown on reload from the cookie alone
    assert page.locator("section.monitor").count() == len(monitors)
    page.reload(wait_until="load")
    assert page.locator("section.monitor").count() == len(monitors)
    assert page.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"]
    # And the key is not readable by the page itself (an HttpOnly cookie)
    assert page.evaluate("document.cookie") == ""
    assert recorded.foreign_requests == [] and recorded.page_errors == []


def test_the_public_page_shows_the_chosen_monitors_without_their_targets(
    api: httpx.Client, base_url: str, monitors: dict[str, str], open_page: OpenPage
) -> None:
    # Given the tenant has switched its public page on, showing the shop only
    saved = api.put("/v1/status-page", json={"public": True, "title": "Demo status", "monitors": ["shop"]})
    assert saved.status_code == 200, saved.text
    # When anyone opens it, without a key
    recorded = open_page(DESKTOP)
    response = recorded.page.goto(f"{base_url}/public/status/demo", wait_until="load")
    # Then it shows the shop, drawn, and no target
    assert response is not None and response.status == 200
    drawn: list[dict[str, Any]] = recorded.page.evaluate(DRAWN)
    assert [monitor["id"] for monitor in drawn] == ["shop"] and len(drawn[0]["cells"]) == 90
    assert recorded.page.locator("h1").inner_text() == "Demo status"
    assert "127.0.0.1:9" not in recorded.page.content()
    assert recorded.foreign_requests == [] and recorded.console_errors == [] and recorded.page_errors == []
