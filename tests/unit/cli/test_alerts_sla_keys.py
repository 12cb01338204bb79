"""`vigil alerts`, `vigil silences`, `vigil sla report` and `vigil keys` against a stand-in API: what each
sends, what it prints, and how it fails."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.unit.cli.fake_api import FakeVigil, Vigil
from tests.unit.cli.test_config import write_local_cloud

NOW = datetime.now(UTC)


@pytest.fixture(autouse=True)
def _fresh_now() -> None:
    """Each test's "now", so relative times ("5m ago") hold however long after collection the test runs."""
    global NOW  # noqa: PLW0603 - read by the builders below at call time
    NOW = datetime.now(UTC)


def alert(alert_id: str, status: str, severity: str = "critical", **fields: Any) -> dict[str, Any]:
    return {
        "id": alert_id,
        "fingerprint": alert_id,
        "rule_id": "service-down",
        "rule_name": "Service down",
        "source": "probe",
        "status": status,
        "severity": severity,
        "labels": {"alertname": "service-down", "severity": severity, "monitor": "shop"},
        "group_labels": {"monitor": "shop"},
        "first_seen": NOW.isoformat(),
        "last_seen": NOW.isoformat(),
        "changed_at": (NOW - timedelta(minutes=5)).isoformat(),
        **fields,
    }


# --- alerts ----------------------------------------------------------------------------------------


def test_alerts_list_filters_by_state_and_severity_and_follows_pages_up_to_the_limit(
    vigil: Vigil, fake: FakeVigil, connected: tuple[str, ...]
) -> None:
    # Given two pages of firing alerts and a third the limit never reaches
    fake.answer("GET", "/v1/alerts", json_body={"alerts": [alert("a1", "firing")], "next_cursor": "c1"})
    fake.answer("GET", "/v1/alerts", json_body={"alerts": [alert("a2", "firing")], "next_cursor": "c2"})
    fake.answer("GET", "/v1/alerts", json_body={"alerts": [alert("a3", "firing")]})

    run = vigil("alerts", "list", "--state", "firing", "--severity", "critical", "--limit", "2", *connected)

    # Then the filters went as the API's query parameters, the second page was asked from its cursor
    assert run.code == 0
    queries = [request.query for request in fake.requests_to("GET", "/v1/alerts")]
    assert queries == [
        {"status": "firing", "severity": "critical", "limit": "2"},
        {"status": "firing", "severity": "critical", "limit": "1", "cursor": "c1"},
    ]
    lines = run.out.splitlines()
    assert lines[0].split() == ["ID", "STATE", "SEVERITY", "NAME", "ABOUT", "VALUE", "CHANGED"]
    assert [line.split()[:3] for line in lines[1:]] == [["a1", "firing", "critical"], ["a2", "firing", "critical"]]
    assert "monitor=shop" in lines[1]
    assert "5m ago" in lines[1]
    assert run.err == "showing the first 2; --limit shows more\n"


def test_alerts_list_json_keeps_the_cursor_of_what_was_not_fetched(
    vigil: Vigil, fake: FakeVigil, connected: tuple[str, ...]
) -> None:
    fake.answer("GET", "/v1/alerts", json_body={"alerts": [alert("a1", "acknowledged")], "next_cursor": "c1"})

    run = vigil("alerts", "list", "--limit", "1", "--json", *connected)

    assert run.json == {"alerts": [alert("a1", "acknowledged")], "next_cursor": "c1"}


def test_alerts_ack_and_resolve_send_the_comment(vigil: Vigil, fake: FakeVigil, connected: tuple[str, ...]) -> None:
    fake.answer("POST", "/v1/alerts/a1/acknowledge", json_body=alert("a1", "acknowledged"))
    fake.answer("POST", "/v1/alerts/a1/resolve", json_body=alert("a1", "resolved"))

    ack = vigil("alerts", "ack", "a1", "--comment", "on it", *connected)
    resolve = vigil("alerts", "resolve", "a1", "-m", "fixed", "--by", "ana", *connected)
    bare = vigil("alerts", "ack", "a1", *connected)

    assert (ack.code, resolve.code, bare.code) == (0, 0, 0)
    assert ack.out == "acknowledged alert a1 (Service down); it is acknowledged now\n"
    assert resolve.out == "resolved alert a1 (Service down); it is resolved now\n"
    assert fake.requests_to("POST", "/v1/alerts/a1/acknowledge")[0].json == {"notes": "on it"}
    assert fake.requests_to("POST", "/v1/alerts/a1/resolve")[0].json == {"resolution_notes": "fixed", "by": "ana"}
    assert fake.requests_to("POST", "/v1/alerts/a1/acknowledge")[1].json == {}


# --- silences --------------------------------------------------------------------------------------


def silence(silence_id: str, state: str) -> dict[str, Any]:
    return {
        "id": silence_id,
        "matchers": [{"label": "monitor", "op": "=~", "value": "shop|cart"}],
        "starts_at": NOW.isoformat(),
        "ends_at": (NOW + timedelta(hours=2)).isoformat(),
        "created_by": "ana",
        "comment": "deploy",
        "created_at": NOW.isoformat(),
        "state": state,
    }


def test_silences_add_turns_matchers_and_a_duration_into_the_apis_body(
    vigil: Vigil, fake: FakeVigil, connected: tuple[str, ...]
) -> None:
    fake.answer("POST", "/v1/silences", 201, silence("s1", "active"))

    run = vigil(
        "silences",
        "add",
        "-m",
        "monitor=~shop|cart",
        "-m",
        "env!=staging",
        "-m",
        "severity=critical",
        "--duration",
        "1h30m",
        "--comment",
        "deploy",
        "--created-by",
        "ana",
        *connected,
    )

    assert run.code == 0
    body = fake.requests_to("POST", "/v1/silences")[0].json
    assert body["matchers"] == [
        {"label": "monitor", "op": "=~", "value": "shop|cart"},
        {"label": "env", "op": "!=", "value": "staging"},
        {"label": "severity", "op": "=", "value": "critical"},
    ]
    assert (body["created_by"], body["comment"]) == ("ana", "deploy")
    ends = datetime.fromisoformat(body["ends_at"].replace("Z", "+00:00"))
    assert abs((ends - datetime.now(UTC)) - timedelta(minutes=90)) < timedelta(seconds=30)
    assert run.out.startswith("silence s1 (active) mutes monitor=~shop|cart until ")


def test_silences_add_with_an_end_time_and_a_start(vigil: Vigil, fake: FakeVigil, connected: tuple[str, ...]) -> None:
    fake.answer("POST", "/v1/silences", 201, silence("s1", "pending"))

    run = vigil(
        "silences",
        "add",
        "-m",
        "alertname=service-down",
        "--starts",
        "2030-01-01T10:00+02:00",
        "--ends",
        "2030-01-01T12:00Z",
        "-c",
        "window",
        *connected,
    )

    assert run.code == 0
    body = fake.requests_to("POST", "/v1/silences")[0].json
    assert (body["starts_at"], body["ends_at"]) == ("2030-01-01T08:00:00Z", "2030-01-01T12:00:00Z")
    assert body["created_by"]  # the user's name by default


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("-m", "monitor", "--duration", "2h", "-c", "x"), "'monitor' is not label=value"),
        (("-m", "a=b", "--duration", "2 hours", "-c", "x"), "'2 hours' is not a duration"),
        (("-m", "a=b", "-c", "x"), "one of the arguments --duration/-d --ends is required"),
        (("-m", "a=b", "--duration", "1h", "--ends", "2030-01-01T00:00Z", "-c", "x"), "not allowed with argument"),
        (("-m", "a=b", "--ends", "tomorrow", "-c", "x"), "'tomorrow' is not an ISO 8601 time"),
        (("-m", "a=b", "--duration", "1h"), "the following arguments are required: --comment/-c"),
    ],
)
def test_silences_add_with_flags_that_do_not_fit_is_a_usage_error(
    vigil: Vigil, fake: FakeVigil, connected: tuple[str, ...], args: tuple[str, ...], message: str
) -> None:
    run = vigil("silences", "add", *args, *connected)

    assert run.code == 2
    assert message in run.err
    assert fake.requests == []


def test_silences_list_hides_expired_ones_unless_asked(
    vigil: Vigil, fake: FakeVigil, connected: tuple[str, ...]
) -> None:
    fake.answer("GET", "/v1/silences", json_body={"silences": [silence("s1", "active"), silence("s0", "expired")]})

    shown = vigil("silences", "list", *connected)
    everything = vigil("silences", "list", "--all", *connected)

    assert [line.split()[0] for line in shown.out.splitlines()[1:]] == ["s1"]
    assert shown.err == "1 expired silence(s) not shown; --all shows them\n"
    assert [line.split()[0] for line in everything.out.splitlines()[1:]] == ["s1", "s0"]
    assert "monitor=~shop|cart" in shown.out


def test_silences_rm_ends_the_silence(vigil: Vigil, fake: FakeVigil, connected: tuple[str, ...]) -> None:
    fake.answer("DELETE", "/v1/silences/s1", json_body=silence("s1", "expired"))
    fake.answer("DELETE", "/v1/silences/s0", 409, {"error": "conflict", "message": "silence 's0' has already expired"})

    ended = vigil("silences", "rm", "s1", *connected)
    again = vigil("silences", "rm", "s0", *connected)

    assert (ended.code, ended.out) == (0, "silence s1 has ended (monitor=~shop|cart)\n")
    assert (again.code, again.err) == (1, "vigil: error: silence 's0' has already expired (HTTP 409)\n")


# --- sla report ------------------------------------------------------------------------------------

TENANT_REPORT = {
    "kind": "tenant",
    "tenant": {"id": "demo", "name": "Demo tenant", "tier": "professional"},
    "period": {
        "kind": "monthly",
        "label": "2026-10",
        "timezone": "UTC",
        "first_day": "2026-10-01",
        "last_day": "2026-10-31",
        "partial": False,
    },
    "target": {"availability_pct": 99.5, "latency_ms": 500, "error_rate_pct": 1.0, "recovery_time_s": 3600},
    "summary": {
        "status": "violated",
        "availability_pct": 99.2,
        "average_latency_ms": 80.0,
        "p95_latency_ms": 99.0,
        "error_rate_pct": 0.8,
        "error_budget": {"remaining_pct": -60.0, "burn_rate": 1.6},
        "violations": 1,
        "health_score": 88.5,
        "mttr_s": 1500.0,
        "incidents": {"count": 2, "ongoing": 0},
    },
    "violations": [{"at": "2026-10-10T12:00:00+00:00", "message": "availability 99.2 % is below 99.5 %"}],
    "monitors": [
        {
            "id": "shop",
            "name": "Shop",
            "status": "violated",
            "availability_pct": 99.2,
            "average_latency_ms": 80.0,
            "p95_latency_ms": 99.0,
            "error_budget": {"remaining_pct": -60.0, "burn_rate": 1.6},
            "incidents": {"count": 2},
        }
    ],
    "slos": [],
}


def test_sla_report_summarises_the_tenants_report_as_tables(
    vigil: Vigil, fake: FakeVigil, connected: tuple[str, ...]
) -> None:
    fake.answer("GET", "/v1/reports/sla", json_body=TENANT_REPORT)

    run = vigil("sla", "report", "--tenant", "demo", "--period", "monthly", "--date", "2026-10-01", *connected)

    assert run.code == 0
    assert fake.requests[0].query == {"tenant": "demo", "period": "monthly", "date": "2026-10-01", "format": "json"}
    fields = {line.split("  ", 1)[0]: line.split("  ", 1)[1].strip() for line in run.out.split("\n\n")[0].splitlines()}
    assert fields["tenant"] == "demo (Demo tenant, professional tier)"
    assert fields["period"] == "monthly 2026-10 (2026-10-01 to 2026-10-31, UTC)"
    assert fields["status"] == "violated"
    assert fields["availability"] == "99.2000 % (target 99.5 %)"
    assert fields["error budget"] == "-60 % left, burn rate 1.6"
    assert fields["incidents"] == "2 (0 ongoing), MTTR 25m"
    assert "MONITOR" in run.out
    assert "availability 99.2 % is below 99.5 %" in run.out


def test_sla_report_uses_the_local_clouds_tenant_by_default(vigil: Vigil, fake: FakeVigil, clean_env: Path) -> None:
    write_local_cloud(clean_env, fake.url, tenant="demo")
    fake.answer("GET", "/v1/reports/sla", json_body=TENANT_REPORT)

    run = vigil("sla", "report", "--json")

    assert run.code == 0
    assert fake.requests[0].query == {"tenant": "demo", "format": "json"}
    assert run.json == TENANT_REPORT


def test_sla_report_of_the_platform_on_the_local_cloud_uses_its_operator_key(
    vigil: Vigil, fake: FakeVigil, clean_env: Path
) -> None:
    # Given a local cloud that made an operator key besides the demo key
    write_local_cloud(clean_env, fake.url, api_key="vgl_demo", operator_api_key="vgl_ops")
    fake.answer("GET", "/v1/reports/sla", json_body={"kind": "platform", "tenants": []})

    tenant = vigil("sla", "report", "--json")
    platform = vigil("sla", "report", "--platform", "--json")
    explicit = vigil("sla", "report", "--platform", "--api-key", "vgl_mine", "--json")

    # Then the platform report is asked with the operator key, unless a key was given
    assert (tenant.code, platform.code, explicit.code) == (0, 0, 0)
    assert [request.headers["x-api-key"] for request in fake.requests] == ["vgl_demo", "vgl_ops", "vgl_mine"]
    assert "tenant" not in fake.requests[1].query


def test_sla_report_csv_goes_to_stdout_as_is_and_html_to_a_file(
    vigil: Vigil, fake: FakeVigil, connected: tuple[str, ...], clean_env: Path
) -> None:
    csv_text = "section,id,availability_pct\r\nsummary,demo,99.2\r\n"
    fake.answer("GET", "/v1/reports/sla", text=csv_text, content_type="text/csv")

    csv_run = vigil("sla", "report", "-t", "demo", "--format", "csv", *connected)

    assert (csv_run.code, csv_run.out) == (0, csv_text)  # as the API sent it
    fake.answer("GET", "/v1/reports/sla", text="<html>report</html>", content_type="text/html")
    html_run = vigil("sla", "report", "-t", "demo", "--output", "sla.html", *connected)

    assert html_run.code == 0
    assert fake.requests[-1].query["format"] == "html"  # from the file's extension
    assert (clean_env / "sla.html").read_text() == "<html>report</html>"
    assert html_run.err == "wrote the html SLA report of tenant demo to sla.html (19 bytes)\n"


def test_sla_report_of_the_platform_without_an_operators_key_hints_at_tenant(
    vigil: Vigil, fake: FakeVigil, connected: tuple[str, ...]
) -> None:
    fake.answer(
        "GET",
        "/v1/reports/sla",
        403,
        {"error": "forbidden", "message": "the platform-wide report needs an operator's API key; name your tenant"},
    )

    run = vigil("sla", "report", *connected)

    assert run.code == 1
    assert "tenant" not in fake.requests[0].query
    assert "needs an operator's API key" in run.err
    assert "hint: name the tenant with --tenant TENANT" in run.err


def test_sla_report_of_the_platform_lists_every_tenant(
    vigil: Vigil, fake: FakeVigil, connected: tuple[str, ...]
) -> None:
    report = {
        "kind": "platform",
        "period": {"kind": "monthly", "labels": ["2026-10"], "date": "2026-10-01"},
        "summary": {"tenants": 2, "compliant_tenants": 1, "compliance_pct": 50.0, "worst_tenants": ["acme"]},
        "tenants": [
            {"id": "acme", "name": "Acme", "tier": "starter", "status": "violated", "target": {}},
            {"id": "demo", "name": "Demo", "tier": "professional", "status": "ok", "target": {}},
        ],
    }
    fake.answer("GET", "/v1/reports/sla", json_body=report)

    run = vigil("sla", "report", "--platform", *connected)

    assert run.code == 0
    assert "worst tenants  acme" in run.out
    rows = [line.split()[:4] for line in run.out.split("\n\n")[1].splitlines()[1:]]
    assert rows == [["acme", "Acme", "starter", "violated"], ["demo", "Demo", "professional", "ok"]]


def test_sla_report_flags_that_do_not_fit_are_usage_errors(vigil: Vigil, connected: tuple[str, ...]) -> None:
    assert vigil("sla", "report", "--json", "--format", "csv", *connected).code == 2
    assert vigil("sla", "report", "--tenant", "a", "--platform", *connected).code == 2
    bad_date = vigil("sla", "report", "--date", "10/01/2026", *connected)
    assert (bad_date.code, "'10/01/2026' is not a date (YYYY-MM-DD)" in bad_date.err) == (2, True)


# --- keys ------------------------------------------------------------------------------------------


def test_keys_create_prints_the_key_once_and_warns(vigil: Vigil, fake: FakeVigil, connected: tuple[str, ...]) -> None:
    issued = {"key_id": "k1", "label": "ci", "created_at": NOW.isoformat(), "revoked_at": None, "active": True}
    fake.answer("POST", "/v1/keys", 201, {**issued, "api_key": "vgl_k1_plaintext"})

    run = vigil("keys", "create", "--label", "ci", *connected)
    as_json = vigil("keys", "create", "--json", *connected)

    assert run.code == 0
    assert fake.requests_to("POST", "/v1/keys")[0].json == {"label": "ci"}
    assert fake.requests_to("POST", "/v1/keys")[1].body == b""  # no label: no body, the API's default
    assert "vgl_k1_plaintext" in run.out
    assert "only time the key is shown" in run.err
    assert as_json.json["api_key"] == "vgl_k1_plaintext"
    assert "only time the key is shown" in as_json.err


def test_keys_list_and_revoke(vigil: Vigil, fake: FakeVigil, connected: tuple[str, ...]) -> None:
    keys = [
        {"key_id": "k1", "label": "ci", "created_at": NOW.isoformat(), "revoked_at": None, "active": True},
        {"key_id": "k0", "label": "", "created_at": NOW.isoformat(), "revoked_at": NOW.isoformat(), "active": False},
    ]
    fake.answer("GET", "/v1/keys", json_body={"keys": keys})
    fake.answer("DELETE", "/v1/keys/k1", 409, {"error": "conflict", "message": "this is the tenant's last active key"})
    fake.answer("DELETE", "/v1/keys/zz", 404, {"error": "not_found", "message": "no API key 'zz'"})

    listed = vigil("keys", "list", *connected)
    last = vigil("keys", "revoke", "k1", *connected)
    unknown = vigil("keys", "revoke", "zz", *connected)

    assert [line.split()[:3] for line in listed.out.splitlines()[1:]] == [
        ["k1", "ci", "active"],
        ["k0", "-", "revoked"],
    ]
    assert (last.code, last.err) == (1, "vigil: error: this is the tenant's last active key (HTTP 409)\n")
    assert (unknown.code, unknown.err) == (1, "vigil: error: no API key 'zz' (HTTP 404)\n")


def test_the_user_agent_names_the_cli(vigil: Vigil, fake: FakeVigil, connected: tuple[str, ...]) -> None:
    fake.answer("GET", "/v1/keys", json_body={"keys": []})

    vigil("keys", "list", *connected)

    assert fake.requests[0].headers["user-agent"].startswith("vigil-cli/")
    assert os.environ.get("VIGIL_URL") is None  # the clean environment really is clean
