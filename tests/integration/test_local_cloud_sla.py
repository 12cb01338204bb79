"""SLOs, SLA reports and the monthly report job on the local cloud: SLOs over the API, metric SLOs counted at
ingest, the report API in its three formats with hand-computed figures, who may read what, burn-rate alerts
from pushed metrics, and the monthly job writing to S3 and telling the tenant over SNS.

A monitor's October is written into the SLA windows table the way the probe worker adds to it (counters
per day); everything else goes through the real functions.

The `backend` fixture decides where the stack runs: the embedded moto here."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import httpx
import pytest

from tests.support import ROOT, load_event
from vigil_cli.bootstrap import create_demo_tenant
from vigil_cli.local.cloud import LocalCloud
from vigil_cli.local.synth import synth_context, synthesize
from vigil_cli.main import main
from vigil_core.adapters.dynamodb_tenants import DynamoDBTenantDirectory
from vigil_core.adapters.sla_windows import DynamoDbSlaWindows
from vigil_core.models.tenants import SlaTier
from vigil_core.services.tenants import create_tenant

pytestmark = pytest.mark.integration

OCTOBER_DAYS = 31
CHECKS_PER_DAY = 2880  # one every 30 s
BAD_ON_OCTOBER_10 = 300


@pytest.fixture(scope="module")
def backend() -> dict[str, Any]:
    """LocalCloud's options saying where the stack runs: none, the embedded moto."""
    return {}


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory, backend: dict[str, Any]) -> Iterator[LocalCloud]:
    state_dir = tmp_path_factory.mktemp("sla-cloud")
    probes = synth_context(ROOT)["vigil:probes"] | {"canaryUrl": ""}  # probes here never leave 127.0.0.1
    context = {"vigil:probes": probes, "vigil:monitorsFile": "", "vigil:alertRulesFile": ""}
    template = synthesize(state_dir / "cdk.out", repo_root=ROOT, context=context)
    with LocalCloud(
        template, state_dir=state_dir, start_schedules=False, start_pollers=False, start_sweeper=False, **backend
    ) as running:
        yield running


@pytest.fixture(scope="module")
def key(cloud: LocalCloud) -> str:
    return create_demo_tenant(cloud).api_key  # the demo tenant is on the professional tier (99.5 %)


@pytest.fixture(scope="module")
def operator_key(cloud: LocalCloud) -> str:
    """A key of `ops`, the operator tenant cdk.json names (vigil:sla.operatorTenants)."""
    directory = DynamoDBTenantDirectory(cloud.functions.get("sla").environment["CONFIG_TABLE_NAME"])
    return create_tenant(directory, "ops", "Operations", SlaTier.ENTERPRISE, datetime.now(UTC))[1].plaintext


@pytest.fixture(scope="module")
def api(cloud: LocalCloud, key: str) -> Iterator[httpx.Client]:
    assert cloud.api_url is not None
    with httpx.Client(base_url=cloud.api_url, timeout=30, headers={"x-api-key": key}) as client:
        yield client


@pytest.fixture(scope="module")
def shop_october(cloud: LocalCloud, api: httpx.Client) -> str:
    """The demo tenant's `shop` monitor, checked every 30 s through October 2026: 300 checks failed on the 10th,
    every check answered in (75, 100] ms, 80 ms on average."""
    created = api.post("/v1/monitors", json={"type": "http", "name": "shop", "target": "http://127.0.0.1:9/"})
    assert created.status_code == 201, created.text
    windows = DynamoDbSlaWindows(cloud.functions.get("sla").environment["SLA_WINDOWS_TABLE_NAME"])
    for day in range(1, OCTOBER_DAYS + 1):
        noon = int(datetime(2026, 10, day, 12, tzinfo=UTC).timestamp())
        bad = BAD_ON_OCTOBER_10 if day == 10 else 0
        counters = {
            "total": CHECKS_PER_DAY,
            "good": CHECKS_PER_DAY - bad,
            "down": bad,
            "latency_count": CHECKS_PER_DAY,
            "latency_sum_ms": 80.0 * CHECKS_PER_DAY,
            "lb07": CHECKS_PER_DAY,
        }
        windows.add_events(f"october-{day}", {("demo#shop", noon): counters}, datetime.now(UTC))
    return "shop"


def evaluate_queued(cloud: LocalCloud) -> int:
    evaluators = [p for p in cloud.pollers if p.mapping.function.short_name == "alert-evaluator"]
    runs = 0
    while [record for record in (poller.poll_once() for poller in evaluators) if record is not None]:
        runs += 1
    return runs


def test_a_months_report_matches_the_figures_computed_by_hand(api: httpx.Client, shop_october: str) -> None:
    # Given the shop's October: 31 x 2,880 = 89,280 checks, 300 of them failed
    # When the demo tenant asks for October's SLA
    response = api.get("/v1/sla/demo", params={"period": "monthly", "date": "2026-10-15"})
    assert response.status_code == 200, response.text
    report = response.json()
    # Then the period is October in UTC, complete, 744 hours, read from 31 daily windows
    period = report["period"]
    assert (period["label"], period["hours"], period["partial"]) == ("2026-10", 744, False)
    assert report["target"] == {
        "availability_pct": 99.5,
        "latency_ms": 750,
        "error_rate_pct": 1.5,
        "recovery_time_s": 900,
    }
    [shop] = [monitor for monitor in report["monitors"] if monitor["id"] == shop_october]
    assert (shop["checks"], shop["good_checks"], shop["window_items_read"]) == (89_280, 88_980, 31)
    # 88,980 / 89,280 = 99.66398 %; the budget is 0.5 % of 89,280 = 446.4 checks, 146.4 of them left (32.80 %);
    # in minutes 0.5 % of 44,640 = 223.2, of which 73.2 left; burn rate (300 / 89,280) / 0.005 = 0.672
    assert shop["availability_pct"] == pytest.approx(99.66398, abs=1e-4)
    assert shop["error_budget"] == {
        "allowed_bad": 446.4,
        "remaining": 146.4,
        "remaining_pct": 32.8,
        "remaining_minutes": 73.2,
        "burn_rate": 0.672,
    }
    assert shop["average_latency_ms"] == 80
    assert 75 < shop["p95_latency_ms"] <= 100  # inside the one bucket every check fell in
    assert (shop["status"], shop["violations"]) == ("ok", [])


def test_a_metric_slo_counts_pushed_events_and_pages_on_a_fast_burn(cloud: LocalCloud, api: httpx.Client) -> None:
    # Given a 99.9 % error-rate SLO on checkout's requests, created over the API
    slo = {
        "name": "Checkout errors",
        "sli": {
            "kind": "ratio",
            "metric": "http.requests",
            "matchers": [{"label": "service", "value": "checkout"}],
            "bad": [{"label": "status", "op": "=~", "value": "5.."}],
        },
        "objective_pct": 99.9,
    }
    created = api.post("/v1/slos", json=slo)
    assert created.status_code == 201, created.text
    assert created.json()["id"] == "checkout-errors"
    # When the app pushes 1,000 good and 30 failed requests, and the evaluator runs on what ingest queued
    points = [
        {"name": "http.requests", "type": "counter", "value": 1000, "labels": {"service": "checkout", "status": "200"}},
        {"name": "http.requests", "type": "counter", "value": 30, "labels": {"service": "checkout", "status": "503"}},
        {"name": "http.requests", "type": "counter", "value": 99, "labels": {"service": "search", "status": "500"}},
    ]
    pushed = api.post("/v1/metrics", json={"points": points})
    assert pushed.status_code == 202, pushed.text
    assert pushed.json()["slo_windows"] == 3  # its minute, hour and day
    evaluate_queued(cloud)
    # Then the SLO's status counts 1,030 events, 1,000 good: 97.09 %, violated
    status = api.get("/v1/slos/checkout-errors/status").json()
    assert (status["good"], status["total"], status["violated"]) == (1000, 1030, True)
    assert status["attainment_pct"] == pytest.approx(97.0874, abs=1e-3)
    # And 2.9 % errors burns the 0.1 % budget 29x: over 14.4x on both the 1 h and 5 min windows, so it pages
    alerts = api.get("/v1/alerts", params={"status": "firing"}).json()["alerts"]
    [burn] = [alert for alert in alerts if alert["rule_id"] == "slo-checkout-errors"]
    assert (burn["severity"], burn["labels"]["slo"]) == ("critical", "checkout-errors")
    assert burn["value"] == pytest.approx(30 / 1030 / 0.001, rel=1e-3)
    # And today's report shows the tenant's error rate against its 1.5 % target
    today = api.get("/v1/sla/demo", params={"period": "daily"}).json()
    assert today["summary"]["error_rate_pct"] == pytest.approx(2.9126, abs=1e-3)
    assert "error_rate" in today["summary"]["violations_by_kind"]


def test_the_report_comes_out_as_json_csv_and_html(api: httpx.Client, shop_october: str) -> None:
    # Given October's figures / When the report is asked for in each format
    query = {"tenant": "demo", "period": "monthly", "date": "2026-10-01"}
    as_json = api.get("/v1/reports/sla", params={**query, "format": "json"})
    as_csv = api.get("/v1/reports/sla", params={**query, "format": "csv"})
    as_html = api.get("/v1/reports/sla", params={**query, "format": "html"})
    # Then each has its content type, and the same figures
    assert as_json.headers["content-type"].startswith("application/json")
    assert as_json.json()["tenant"]["id"] == "demo"
    assert as_csv.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(as_csv.text)))
    [shop] = [row for row in rows if row.get("id") == shop_october or row.get("subject") == shop_october]
    assert float(shop["availability_pct"]) == pytest.approx(99.66398, abs=1e-4)
    assert as_html.headers["content-type"].startswith("text/html")
    assert "<html" in as_html.text and "Demo tenant" in as_html.text and "<script" not in as_html.text
    assert 'filename="sla-demo-2026-10.html"' in as_html.headers["content-disposition"]
    # And a format it does not make is a 400 naming the parameter
    refused = api.get("/v1/reports/sla", params={**query, "format": "pdf"})
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["field"] == "format"


def test_tenants_read_only_their_own_reports_and_operators_read_every_one(
    cloud: LocalCloud, api: httpx.Client, operator_key: str, shop_october: str
) -> None:
    # Given the demo tenant's key and an operator's key
    operator = {"x-api-key": operator_key}
    # Then the demo tenant cannot read another tenant's report, nor the platform-wide one
    assert api.get("/v1/sla/ops").status_code == 403
    assert api.get("/v1/reports/sla", params={"tenant": "ops"}).status_code == 403
    assert api.get("/v1/reports/sla").status_code == 403
    # And an operator reads the demo tenant's, and the platform-wide report over every tenant
    assert api.get("/v1/sla/demo", headers=operator).status_code == 200
    platform = api.get("/v1/reports/sla", params={"period": "monthly", "date": "2026-10-15"}, headers=operator)
    assert platform.status_code == 200, platform.text
    summary = platform.json()["summary"]
    assert summary["tenants"] >= 2
    assert {row["id"] for row in platform.json()["tenants"]} >= {"demo", "ops"}
    # And a bad period is refused naming it
    bad = api.get("/v1/sla/demo", params={"period": "yearly"})
    assert (bad.status_code, bad.json()["errors"][0]["field"]) == (400, "period")


def test_the_monthly_job_writes_last_months_reports_to_s3_and_tells_the_tenant(
    cloud: LocalCloud, shop_october: str, operator_key: str
) -> None:
    # Given a queue subscribed to the reports topic for the demo tenant only
    environment = cloud.functions.get("sla-reporter").environment
    sqs = boto3.client("sqs", endpoint_url=cloud.backend_url, region_name="us-east-1")
    sns = boto3.client("sns", endpoint_url=cloud.backend_url, region_name="us-east-1")
    queue_url = sqs.create_queue(QueueName="demo-sla-reports")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(
        TopicArn=environment["REPORTS_TOPIC_ARN"],
        Protocol="sqs",
        Endpoint=queue_arn,
        Attributes={"FilterPolicy": json.dumps({"tenant": ["demo"]}), "RawMessageDelivery": "true"},
    )
    # When the schedule fires on 1 November 2026 at noon UTC
    event = {**load_event("sla_reporter_monthly"), "time": "2026-11-01T12:00:00Z"}
    outcome = cloud.functions.invoke("sla-reporter", event)
    # Then October's reports are in the bucket, in three formats per tenant and for the platform
    assert outcome["month"] == "2026-10"
    assert set(outcome["written"]) >= {"demo", "ops", "platform"}
    s3 = boto3.client("s3", endpoint_url=cloud.backend_url, region_name="us-east-1")
    listed = s3.list_objects_v2(Bucket=environment["REPORTS_BUCKET_NAME"], Prefix="reports/2026-10/")
    keys = {item["Key"] for item in listed["Contents"]}
    assert {f"reports/2026-10/demo/sla.{fmt}" for fmt in ("json", "csv", "html")} <= keys
    assert {f"reports/2026-10/platform/sla.{fmt}" for fmt in ("json", "csv", "html")} <= keys
    stored = json.loads(
        s3.get_object(Bucket=environment["REPORTS_BUCKET_NAME"], Key="reports/2026-10/demo/sla.json")["Body"].read()
    )
    [shop] = [monitor for monitor in stored["monitors"] if monitor["id"] == shop_october]
    assert shop["checks"] == 89_280
    # And the demo tenant was told once, with its summary and where the reports are
    messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", [])
    [notice] = [json.loads(message["Body"]) for message in messages]
    assert (notice["tenant"], notice["period"]["label"]) == ("demo", "2026-10")
    assert notice["reports"]["json"].endswith("/reports/2026-10/demo/sla.json")
    # And a retried run finds everything written and tells nobody again
    again = cloud.functions.invoke("sla-reporter", event)
    assert again["written"] == [] and set(again["skipped"]) >= {"demo", "platform"}
    assert sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=1).get("Messages", []) == []


def test_the_sla_sample_events_create_an_slo_and_read_the_tenants_sla(cloud: LocalCloud, key: str) -> None:
    # Given the demo tenant (which holds the sample events' key)
    # When the SLO sample and the SLA sample are invoked on the sla function
    created = cloud.functions.invoke("sla", load_event("sla_post_slo"))
    read = cloud.functions.invoke("sla", load_event("sla_get_tenant_sla"))
    # Then the SLO is stored and the report names the tenant and the month so far
    assert created["statusCode"] == 201, created["body"]
    assert read["statusCode"] == 200, read["body"]
    body = json.loads(read["body"])
    assert (body["tenant"]["id"], body["period"]["kind"]) == ("demo", "monthly")


def test_slo_import_applies_openslo_objects_to_the_local_cloud(
    cloud: LocalCloud, api: httpx.Client, key: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given an OpenSLO file with two SLOs vigil can map and two it cannot
    source = ROOT / "tests" / "unit" / "data" / "openslo" / "ratio.yaml"
    # When `vigil slo import --apply` sends them to the local cloud's API
    assert cloud.api_url is not None
    code = main(["slo", "import", str(source), "--apply", "--url", cloud.api_url, "--api-key", key])
    # Then it succeeds for the two, says what it could not map, and the API lists them as imported
    assert code == 0
    assert "login-success: not converted" in capsys.readouterr().err
    listed = {slo["id"]: slo for slo in api.get("/v1/slos").json()["slos"]}
    assert listed["checkout-availability"]["source"] == "import"
    assert listed["checkout-availability"]["window"] == {"kind": "rolling", "days": 28}
    assert listed["search-errors"]["source"] == "import"
