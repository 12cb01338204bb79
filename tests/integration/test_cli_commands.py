"""The `vigil` command line against a real local cloud: every command that talks to the API (monitors, alerts,
silences, SLA reports, API keys), its text and JSON output, and its failures with their exit codes.

The cloud runs no schedules, pollers or sweeper: what the commands see is only what they (and the test) did."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support import ROOT
from tests.unit.cli.fake_api import Run
from vigil_cli.bootstrap import create_demo_tenant
from vigil_cli.local.cloud import LocalCloud
from vigil_cli.local.synth import synth_context, synthesize
from vigil_cli.main import main

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCloud]:
    state_dir = tmp_path_factory.mktemp("cli-cloud")
    probes = synth_context(ROOT)["vigil:probes"] | {"canaryUrl": ""}  # probes here never leave 127.0.0.1
    context = {"vigil:probes": probes, "vigil:monitorsFile": "", "vigil:alertRulesFile": ""}
    template = synthesize(state_dir / "cdk.out", repo_root=ROOT, context=context)
    with LocalCloud(
        template, state_dir=state_dir, start_schedules=False, start_pollers=False, start_sweeper=False
    ) as running:
        yield running


@pytest.fixture(scope="module")
def key(cloud: LocalCloud) -> str:
    return create_demo_tenant(cloud).api_key


@pytest.fixture(scope="module")
def url(cloud: LocalCloud) -> str:
    assert cloud.api_url is not None
    return cloud.api_url


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No VIGIL_* setting, config file or local cloud state of the machine running the tests gets in."""
    for name in list(os.environ):
        if name.startswith("VIGIL_") or name.lower().endswith("_proxy") or name in ("NO_COLOR", "FORCE_COLOR"):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config-home"))
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def vigil(capsys: pytest.CaptureFixture[str], url: str, key: str) -> Any:
    """Runs `vigil ARGS --url URL --api-key KEY` (the demo tenant's; `key=` for another), capturing its output."""

    def run(*args: str, api_key: str | None = key, connect: bool = True) -> Run:
        argv = [*args, *(("--url", url) if connect else ()), *(("--api-key", api_key) if connect and api_key else ())]
        try:
            code = main(argv)
        except SystemExit as exc:  # argparse's usage errors
            code = exc.code if isinstance(exc.code, int) else 1
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    return run


# --- monitors --------------------------------------------------------------------------------------


def test_monitors_are_added_listed_shown_and_removed(vigil: Any, tmp_path: Path) -> None:
    # Given a monitor from flags and two from a file (never checked: no schedules run here)
    added = vigil(
        "monitors",
        "add",
        "--id",
        "cli-shop",
        "--name",
        "CLI shop",
        "--target",
        "http://127.0.0.1:9/",
        "--interval",
        "5m",
    )
    assert (added.code, added.out) == (0, "created monitor cli-shop: http http://127.0.0.1:9/ every 5m\n")
    monitors_file = tmp_path / "monitors.yaml"
    monitors_file.write_text(
        "monitors:\n"
        "  - {id: cli-db, name: CLI database, type: tcp, target: '127.0.0.1:9', interval: 1m}\n"
        "  - {id: cli-cron, name: CLI nightly job, type: heartbeat, interval: 1h}\n",
        encoding="utf-8",
    )
    from_file = vigil("monitors", "add", "--file", str(monitors_file), "--json")
    assert from_file.code == 0, from_file.err
    assert [monitor["id"] for monitor in from_file.json["monitors"]] == ["cli-db", "cli-cron"]

    # When they are listed, as JSON and as a table
    listed = vigil("monitors", "list", "--json")
    table = vigil("monitors", "list")

    # Then the JSON is the API's, and the table has a row per monitor with its type, target and interval
    assert listed.code == 0
    by_id = {monitor["id"]: monitor for monitor in listed.json["monitors"]}
    assert {"cli-shop", "cli-db", "cli-cron"} <= set(by_id)
    assert by_id["cli-shop"]["target"] == "http://127.0.0.1:9/"
    rows = {line.split()[0]: line for line in table.out.splitlines()[1:]}
    assert rows["cli-shop"].split()[-6:] == ["http://127.0.0.1:9/", "5m", "not", "checked", "yet", "-"]
    assert "/v1/heartbeats/hb_" in rows["cli-cron"]
    shown = vigil("monitors", "show", "cli-db", "--json")
    assert (shown.json["type"], shown.json["target"]) == ("tcp", "127.0.0.1:9")

    # And a monitor that exists already is refused, or replaced with --replace
    again = vigil("monitors", "add", "--file", str(monitors_file))
    assert again.code == 1
    assert "monitor 'cli-db' already exists (HTTP 409)" in again.err
    replaced = vigil("monitors", "add", "--file", str(monitors_file), "--replace")
    assert replaced.code == 0
    assert [line.split()[:2] for line in replaced.out.splitlines()[1:]] == [
        ["cli-db", "replaced"],
        ["cli-cron", "replaced"],
    ]

    # And removing one deletes it
    removed = vigil("monitors", "rm", "cli-shop", "--yes")
    assert (removed.code, removed.out) == (0, "deleted monitor cli-shop\n")
    assert "cli-shop" not in {monitor["id"] for monitor in vigil("monitors", "list", "--json").json["monitors"]}


def test_an_unknown_monitor_fails_naming_it(vigil: Any) -> None:
    removed = vigil("monitors", "rm", "no-such-monitor", "--yes")
    shown = vigil("monitors", "show", "no-such-monitor")

    assert (removed.code, removed.out) == (1, "")
    assert removed.err == "vigil: error: monitor 'no-such-monitor' not found (HTTP 404)\n"
    assert shown.code == 1


def test_a_monitor_the_api_refuses_names_the_field(vigil: Any) -> None:
    run = vigil("monitors", "add", "--name", "Bad", "--target", "not-a-url", "--interval", "2m")

    assert run.code == 1
    assert "(HTTP 422)" in run.err or "(HTTP 400)" in run.err
    assert "target" in run.err
    assert "interval" in run.err


# --- alerts and silences ---------------------------------------------------------------------------


def _raise_alert(url: str, key: str, name: str) -> str:
    """An app's own alert (POST /v1/alerts): it fires at once."""
    answer = httpx.post(
        f"{url}/v1/alerts",
        json={"name": name, "severity": "critical", "labels": {"service": "cli-test"}},
        headers={"x-api-key": key},
        timeout=30,
    )
    assert answer.status_code in (200, 201), answer.text
    alert_id: str = answer.json()["id"]
    return alert_id


def test_alerts_are_listed_acknowledged_and_resolved(vigil: Any, url: str, key: str) -> None:
    # Given a firing alert
    alert_id = _raise_alert(url, key, "CLI disk full")

    # When firing alerts are listed
    firing = vigil("alerts", "list", "--state", "firing", "--severity", "critical")
    as_json = vigil("alerts", "list", "--state", "firing", "--json")

    # Then it is there, with its state, severity and what it is about
    assert firing.code == 0
    row = next(line for line in firing.out.splitlines() if line.startswith(alert_id))
    assert row.split()[1:3] == ["firing", "critical"]
    assert "service=cli-test" in row
    assert alert_id in {alert["id"] for alert in as_json.json["alerts"]}

    # When it is acknowledged with a comment, then resolved
    acked = vigil("alerts", "ack", alert_id, "--comment", "looking")
    assert acked.code == 0
    assert acked.out == f"acknowledged alert {alert_id} (CLI disk full); it is acknowledged now\n"
    acknowledged = vigil("alerts", "list", "--state", "acknowledged", "--json").json["alerts"]
    assert next(alert for alert in acknowledged if alert["id"] == alert_id)["ack_notes"] == "looking"
    resolved = vigil("alerts", "resolve", alert_id, "--comment", "cleaned up", "--json")

    # Then it is resolved, with the notes kept
    assert resolved.code == 0
    assert (resolved.json["status"], resolved.json["resolution_notes"]) == ("resolved", "cleaned up")
    assert alert_id not in vigil("alerts", "list", "--state", "firing").out


def test_acknowledging_an_unknown_alert_fails_naming_it(vigil: Any) -> None:
    run = vigil("alerts", "ack", "0" * 32)

    assert run.code == 1
    assert run.err == f"vigil: error: alert '{'0' * 32}' not found (HTTP 404)\n"


def test_silences_are_added_listed_and_ended(vigil: Any) -> None:
    # When a silence is added for an hour with a regex matcher
    added = vigil(
        "silences", "add", "-m", "service=~cli-.*", "-m", "severity=critical", "--duration", "1h", "-c", "CLI test"
    )
    assert added.code == 0, added.err
    silence_id = added.out.split()[1]
    assert added.out.startswith(f"silence {silence_id} (active) mutes service=~cli-.*, severity=critical until ")

    # Then it is listed as active
    listed = vigil("silences", "list")
    row = next(line for line in listed.out.splitlines() if line.startswith(silence_id))
    assert row.split()[1] == "active"
    assert "CLI test" in row

    # When it is removed, it ends: kept as expired, shown with --all only
    removed = vigil("silences", "rm", silence_id)
    assert (removed.code, removed.out) == (0, f"silence {silence_id} has ended (service=~cli-.*, severity=critical)\n")
    assert silence_id not in vigil("silences", "list").out
    everything = vigil("silences", "list", "--all", "--json").json["silences"]
    assert next(silence for silence in everything if silence["id"] == silence_id)["state"] == "expired"
    again = vigil("silences", "rm", silence_id)
    assert (again.code, again.err) == (1, f"vigil: error: silence '{silence_id}' has already expired (HTTP 409)\n")


def test_a_silence_in_the_past_is_refused_by_the_api(vigil: Any) -> None:
    run = vigil("silences", "add", "-m", "a=b", "--ends", "2020-01-01T00:00Z", "-c", "late")

    assert run.code == 1
    assert "ends_at: must be after starts_at (HTTP 400)" in run.err


# --- SLA reports -----------------------------------------------------------------------------------


def test_sla_report_as_summary_json_csv_and_html(vigil: Any, tmp_path: Path) -> None:
    summary = vigil("sla", "report", "--tenant", "demo", "--period", "daily")
    as_json = vigil("sla", "report", "--tenant", "demo", "--period", "monthly", "--date", "2026-10-01", "--json")
    as_csv = vigil("sla", "report", "--tenant", "demo", "--format", "csv")
    as_html = vigil("sla", "report", "--tenant", "demo", "--output", str(tmp_path / "sla.html"))

    assert summary.code == 0, summary.err
    assert summary.out.startswith("tenant        demo (Demo tenant, professional tier)\nperiod        daily ")
    assert (as_json.code, as_json.json["kind"], as_json.json["tenant"]["id"]) == (0, "tenant", "demo")
    assert as_json.json["period"]["label"] == "2026-10"
    assert as_csv.code == 0
    assert "demo" in as_csv.out
    assert "," in as_csv.out.splitlines()[0]
    assert as_html.code == 0
    assert (tmp_path / "sla.html").read_text(encoding="utf-8").lstrip().lower().startswith("<!doctype html")


def test_the_platform_report_needs_an_operators_key(vigil: Any) -> None:
    run = vigil("sla", "report", "--platform")

    assert run.code == 1
    assert "the platform-wide report needs an operator's API key" in run.err
    assert "(HTTP 403)" in run.err


def test_another_tenants_report_is_forbidden(vigil: Any) -> None:
    run = vigil("sla", "report", "--tenant", "someone-else")

    assert run.code == 1
    assert "this API key belongs to tenant 'demo', not 'someone-else'" in run.err


# --- API keys --------------------------------------------------------------------------------------


def test_keys_are_created_listed_and_revoked(vigil: Any) -> None:
    # When a key is created
    created = vigil("keys", "create", "--label", "cli-ci", "--json")

    # Then it is printed once, with a warning, and works at once
    assert created.code == 0, created.err
    issued = created.json
    assert issued["api_key"].startswith(f"vgl_{issued['key_id']}_")
    assert "only time the key is shown" in created.err
    assert vigil("monitors", "list", "--json", api_key=issued["api_key"]).code == 0

    # And it is listed, active, without its secret
    listed = vigil("keys", "list")
    row = next(line for line in listed.out.splitlines() if line.startswith(issued["key_id"]))
    assert row.split()[1:3] == ["cli-ci", "active"]
    assert issued["api_key"] not in listed.out

    # When it is revoked, the keys API refuses it at once (other functions once their short cache expires),
    # and the error hints at the key
    revoked = vigil("keys", "revoke", issued["key_id"])
    assert revoked.code == 0
    assert revoked.out.startswith(f"revoked API key {issued['key_id']} (cli-ci) at ")
    refused = vigil("keys", "list", api_key=issued["api_key"])
    assert refused.code == 1
    assert "unknown or revoked API key (HTTP 401)" in refused.err
    assert "hint: the API key (from --api-key) was not accepted" in refused.err


def test_revoking_an_unknown_key_fails_naming_it(vigil: Any) -> None:
    run = vigil("keys", "revoke", "nosuchkey123")

    assert (run.code, run.err) == (1, "vigil: error: no API key 'nosuchkey123' (HTTP 404)\n")


# --- connection and usage --------------------------------------------------------------------------


def test_with_the_local_clouds_state_commands_need_no_flags(vigil: Any, url: str, key: str, tmp_path: Path) -> None:
    # Given the state `vigil local up` writes, in the working directory (this process stands in for it)
    (tmp_path / ".vigil").mkdir()
    state = {"url": url, "api_key": key, "tenant_id": "demo", "pid": os.getpid()}
    (tmp_path / ".vigil" / "local.json").write_text(json.dumps(state), encoding="utf-8")

    # When commands run without --url or --api-key
    monitors = vigil("monitors", "list", "--json", connect=False)
    report = vigil("sla", "report", "--json", connect=False)

    # Then they talk to the local cloud with its demo key, and the report is the demo tenant's
    assert monitors.code == 0, monitors.err
    assert "monitors" in monitors.json
    assert (report.code, report.json["tenant"]["id"]) == (0, "demo")


def test_without_any_settings_the_command_says_how_to_set_them(vigil: Any) -> None:
    run = vigil("alerts", "list", connect=False)

    assert run.code == 2
    assert "pass --url URL, set VIGIL_URL, or set url in" in run.err


def test_bad_flags_exit_with_2(vigil: Any) -> None:
    assert vigil("sla", "report", "--period", "yearly").code == 2
    assert vigil("monitors", "add", "--target", "http://127.0.0.1:9/").code == 2
    assert vigil("silences", "add", "-m", "nolabel", "--duration", "1h", "-c", "x").code == 2
