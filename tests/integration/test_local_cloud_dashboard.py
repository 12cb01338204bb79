"""The account and dashboard functions on the local cloud, over HTTP: API keys, status page settings, the private
status page with its browser sign-in, the public variant, the platform overview for operators, and the
Prometheus export read back with Prometheus' own parser.

The `backend` fixture decides where the stack runs: the embedded moto here."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.support import ROOT, load_event
from vigil_cli.bootstrap import create_demo_tenant, create_operator_key, enable_demo_status_page
from vigil_cli.local.cloud import LocalCloud
from vigil_cli.local.synth import synth_context, synthesize
from vigil_core.adapters.dynamodb_tenants import DynamoDBTenantDirectory
from vigil_core.models.tenants import SlaTier
from vigil_core.services.tenants import create_tenant

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def backend() -> dict[str, Any]:
    """LocalCloud's options saying where the stack runs: none, the embedded moto."""
    return {}


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory, backend: dict[str, Any]) -> Iterator[LocalCloud]:
    state_dir = tmp_path_factory.mktemp("dashboard-cloud")
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
def http(cloud: LocalCloud) -> Iterator[httpx.Client]:
    assert cloud.api_url is not None
    with httpx.Client(base_url=cloud.api_url, timeout=30) as client:
        yield client


def _as(key: str) -> dict[str, str]:
    return {"x-api-key": key}


@pytest.fixture(scope="module")
def shop(http: httpx.Client, key: str) -> str:
    """A monitor of the demo tenant, never checked (no probes run in this module)."""
    body = {"id": "shop", "type": "http", "name": "Shop <front>", "target": "http://127.0.0.1:9/", "interval": "1m"}
    answer = http.post("/v1/monitors", json=body, headers=_as(key))
    assert answer.status_code == 201, answer.text
    return "shop"


def test_keys_are_created_listed_and_revoked_over_the_api(http: httpx.Client, key: str) -> None:
    # Given the demo tenant's key / When it creates a key for CI
    created = http.post("/v1/keys", json={"label": "ci"}, headers=_as(key))
    # Then the new key is shown once, not cached, and works at once on other functions
    assert created.status_code == 201 and created.headers["cache-control"] == "no-store"
    new = created.json()
    assert new["api_key"].startswith(f"vgl_{new['key_id']}_") and new["label"] == "ci" and new["active"]
    assert http.get("/v1/monitors", headers=_as(new["api_key"])).status_code == 200
    # And the listing shows it without its secret
    listed = {entry["key_id"]: entry for entry in http.get("/v1/keys", headers=_as(key)).json()["keys"]}
    assert listed[new["key_id"]]["label"] == "ci" and "api_key" not in listed[new["key_id"]]
    # When it is revoked
    revoked = http.delete(f"/v1/keys/{new['key_id']}", headers=_as(key))
    # Then it is stamped and the account API refuses it at once
    assert revoked.status_code == 200 and revoked.json()["active"] is False and revoked.json()["revoked_at"]
    refused = http.get("/v1/keys", headers=_as(new["api_key"]))
    assert refused.status_code == 401 and refused.json()["error"] == "unauthorized"


def test_bad_key_requests_are_refused_with_the_field_and_nothing_changes(http: httpx.Client, key: str) -> None:
    # Given the tenant's keys
    before = http.get("/v1/keys", headers=_as(key)).json()["keys"]
    # When asking for a key with a bad label, revoking an unknown key, or without a key at all
    long_label = http.post("/v1/keys", json={"label": "x" * 300}, headers=_as(key))
    unknown = http.delete("/v1/keys/ffffffffffff", headers=_as(key))
    anonymous = http.post("/v1/keys", json={})
    # Then each is refused with a JSON body naming what is wrong
    assert long_label.status_code == 400 and long_label.json()["errors"][0]["field"] == "label"
    assert unknown.status_code == 404 and "ffffffffffff" in unknown.json()["message"]
    assert anonymous.status_code == 401
    # And no key was made or revoked
    assert http.get("/v1/keys", headers=_as(key)).json()["keys"] == before


def test_a_lone_key_cannot_be_revoked(cloud: LocalCloud, http: httpx.Client) -> None:
    # Given a tenant with a single key
    directory = DynamoDBTenantDirectory(cloud.functions.get("account").environment["CONFIG_TABLE_NAME"])
    _, issued = create_tenant(directory, "solo", "Solo", SlaTier.BASIC, datetime.now(UTC))
    # When it tries to revoke it / Then 409, and the key still works
    answer = http.delete(f"/v1/keys/{issued.api_key.key_id}", headers=_as(issued.plaintext))
    assert answer.status_code == 409 and "last active key" in answer.json()["message"]
    assert http.get("/v1/keys", headers=_as(issued.plaintext)).status_code == 200


def test_status_page_settings_round_trip_and_name_a_bad_field(http: httpx.Client, key: str, shop: str) -> None:
    # Given the demo tenant never set its page / Then it is private, showing every monitor
    assert http.get("/v1/status-page", headers=_as(key)).json() == {
        "public": False,
        "title": "",
        "description": "",
        "monitors": None,
        "updated_at": None,
    }
    # When it names a monitor it does not have / Then 400 naming the entry, and nothing is stored
    bad = http.put("/v1/status-page", json={"public": True, "monitors": [shop, "nope"]}, headers=_as(key))
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "monitors[1]"
    assert http.get("/v1/status-page", headers=_as(key)).json()["public"] is False
    # When it sets a title and its monitors
    saved = http.put("/v1/status-page", json={"title": "Demo & co", "monitors": [shop]}, headers=_as(key))
    assert saved.status_code == 200 and saved.json()["monitors"] == [shop] and saved.json()["updated_at"]


def test_the_private_page_asks_a_browser_to_sign_in_then_serves_it_from_a_cookie(
    http: httpx.Client, key: str, shop: str
) -> None:
    # Given a browser without a key / When it opens the page
    first = http.get("/status/demo")
    # Then it gets the sign-in form (401) and nothing of the page
    assert first.status_code == 401 and first.headers["content-type"].startswith("text/html")
    assert 'name="api_key"' in first.text and "Shop" not in first.text
    # When it posts a wrong key / Then the form again, with the problem
    wrong = http.post("/status/demo", data={"api_key": "vgl_000000000000_wrong"})
    assert wrong.status_code == 401 and "unknown or revoked" in wrong.text
    # When it posts the tenant's key
    signed_in = http.post("/status/demo", data={"api_key": key})
    # Then it is sent back to the page with an HttpOnly, Secure, SameSite=Strict cookie scoped to it
    assert signed_in.status_code == 303 and signed_in.headers["location"] == "/api/status/demo"
    cookie = signed_in.headers["set-cookie"]
    assert "HttpOnly" in cookie and "Secure" in cookie and "SameSite=Strict" in cookie
    assert "Path=/api/status/demo" in cookie
    # And with the cookie the page is served, private and with a strict content security policy
    page = http.get("/status/demo", headers={"cookie": cookie.split(";", 1)[0]})
    assert page.status_code == 200 and page.headers["cache-control"] == "private, no-store"
    assert "Shop &lt;front&gt;" in page.text and "<script src" not in page.text
    assert page.headers["content-security-policy"].startswith("default-src 'none'")


def test_another_tenants_key_gets_403_and_an_operators_key_reads_the_page(
    cloud: LocalCloud, http: httpx.Client, shop: str
) -> None:
    # Given a key of another tenant and one of the operator tenant
    directory = DynamoDBTenantDirectory(cloud.functions.get("account").environment["CONFIG_TABLE_NAME"])
    _, other = create_tenant(directory, "globex", "Globex", SlaTier.BASIC, datetime.now(UTC))
    operator = create_operator_key(cloud)
    assert operator is not None and operator.tenant_id == "ops"
    # When each opens the demo tenant's page / Then 403 for the other tenant, the page for the operator
    assert http.get("/status/demo", headers=_as(other.plaintext)).status_code == 403
    assert http.get("/status/demo", headers=_as(operator.api_key)).status_code == 200
    # And an operator asking for a tenant that does not exist gets 404
    assert http.get("/status/nobody", headers=_as(operator.api_key)).status_code == 404


def test_the_public_page_exists_only_once_switched_on_and_shows_no_targets(
    cloud: LocalCloud, http: httpx.Client, key: str, shop: str
) -> None:
    # Given the demo tenant's page is private / Then its public variant does not exist, like an unknown tenant's
    http.put("/v1/status-page", json={"public": False}, headers=_as(key))
    assert http.get("/public/status/demo").status_code == 404
    assert http.get("/public/status/nobody").status_code == 404
    # When the tenant switches it on (as `vigil local up` does for the demo tenant when it has no settings)
    http.put("/v1/status-page", json={}, headers=_as(key))
    directory = DynamoDBTenantDirectory(cloud.functions.get("account").environment["CONFIG_TABLE_NAME"])
    assert enable_demo_status_page(cloud) is False  # the tenant's own settings are left alone
    http.put("/v1/status-page", json={"public": True, "title": "Demo status"}, headers=_as(key))
    assert directory.get_status_page("demo") is not None
    # Then anyone may read it, cached briefly, without the monitors' targets
    page = http.get("/public/status/demo")
    assert page.status_code == 200 and page.headers["cache-control"] == "public, max-age=30"
    assert "Demo status" in page.text and "Shop &lt;front&gt;" in page.text
    assert "127.0.0.1:9" not in page.text


def test_the_platform_overview_is_for_operators(cloud: LocalCloud, http: httpx.Client, key: str, shop: str) -> None:
    # Given a tenant's key / Then 403 naming what is needed
    refused = http.get("/v1/dashboard/health", headers=_as(key))
    assert refused.status_code == 403 and "operator" in refused.json()["message"]
    # Given an operator's key / When it reads the overview
    operator = create_operator_key(cloud)
    assert operator is not None
    overview = http.get("/v1/dashboard/health", headers=_as(operator.api_key))
    # Then every tenant is counted by health, with monitors, active alerts and SLA compliance
    assert overview.status_code == 200, overview.text
    body = overview.json()
    assert body["tenants"]["total"] == sum(body["tenants"][state] for state in ("healthy", "degraded", "unhealthy"))
    rows = {row["tenant"]: row for row in body["tenant_health"]}
    assert rows["demo"]["monitors"]["total"] >= 1 and rows["demo"]["health"] == "healthy"
    assert set(body["alerts"]) == {"active", "firing", "acknowledged", "pending", "by_severity"}
    assert body["sla"]["period"] == "monthly" and isinstance(body["latest_checks"], list)


def test_the_prometheus_export_parses_with_prometheus_own_parser(http: httpx.Client, key: str, shop: str) -> None:
    # Given points pushed a minute ago (the export shows the last complete minute)
    minute_ago = datetime.fromtimestamp(int(datetime.now(UTC).timestamp()) // 60 * 60 - 30, UTC).isoformat()
    points = [
        {
            "name": "checkout.requests",
            "type": "counter",
            "value": 3,
            "timestamp": minute_ago,
            "labels": {"route": "/pay"},
        },
        {"name": "queue.depth", "type": "gauge", "value": 7, "timestamp": minute_ago},
    ]
    pushed = http.post("/v1/metrics", json={"points": points}, headers=_as(key))
    assert pushed.status_code in {200, 202}, pushed.text
    # When Prometheus scrapes with the tenant's key
    scrape = http.get("/v1/metrics/export/prometheus", headers={"authorization": f"Bearer {key}"})
    # Then the text format is served and Prometheus' parser accepts every family
    assert scrape.status_code == 200, scrape.text
    assert scrape.headers["content-type"].startswith("text/plain; version=0.0.4")
    families = {family.name: family for family in text_string_to_metric_families(scrape.text)}
    samples = [sample for family in families.values() for sample in family.samples]
    # And the monitor and the pushed series are there
    assert any(sample.labels.get("monitor") == shop for sample in samples)
    assert any(sample.labels.get("route") == "/pay" and sample.value == 3 for sample in samples)
    assert any(name.startswith("vigil_queue_depth") for name in families)
    # And without a key the export is refused
    assert http.get("/v1/metrics/export/prometheus").status_code == 401


def test_the_sample_events_run_against_the_local_cloud(cloud: LocalCloud, key: str, shop: str) -> None:
    # Given the sample events (they carry the sample key of the demo tenant)
    # When each is invoked on its function
    status = cloud.functions.invoke("dashboard", load_event("dashboard_get_status_page"))
    prometheus = cloud.functions.invoke("dashboard", load_event("dashboard_get_prometheus"))
    new_key = cloud.functions.invoke("account", load_event("account_post_key"))
    # Then each answers as the API would
    assert status["statusCode"] == 200 and "<html" in status["body"]
    assert prometheus["statusCode"] == 200
    assert new_key["statusCode"] == 201 and json.loads(new_key["body"])["label"] == "ci pipeline"
