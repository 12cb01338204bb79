"""`vigil monitors ...` against a stand-in API, and how results are printed: plain aligned text when stdout is
not a terminal, the API's JSON with --json, rich tables with colours by state in a terminal (NO_COLOR
respected)."""

from __future__ import annotations

import argparse
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.unit.cli.fake_api import FakeVigil, Vigil
from vigil_cli.main import build_parser

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def monitor(monitor_id: str, status: str | None, **fields: Any) -> dict[str, Any]:
    now = datetime.now(UTC)  # the test's own now: relative times ("1m ago") hold however late the test runs
    body: dict[str, Any] = {
        "id": monitor_id,
        "name": monitor_id.replace("-", " ").title(),
        "type": "http",
        "target": f"https://{monitor_id}.example/health",
        "interval": 60,
        "enabled": True,
        "managed_by": "api",
        **fields,
    }
    body["state"] = (
        None
        if status is None
        else {
            "status": status,
            "since": (now - timedelta(hours=1)).isoformat(),
            "last_checked_at": (now - timedelta(seconds=90)).isoformat(),
            "consecutive_failures": 0,
            "consecutive_successes": 5,
            "last_beat_at": None,
        }
    )
    return body


def listed() -> dict[str, Any]:
    return {
        "monitors": [
            monitor("shop", "UP"),
            monitor("payments", "DOWN", interval=300),
            monitor("new-one", None, interval=30),
            monitor("nightly", "UP", enabled=False, interval=3600),
        ]
    }


# --- list ------------------------------------------------------------------------------------------


def test_list_prints_an_aligned_table_when_stdout_is_not_a_terminal(
    vigil: Vigil, fake: FakeVigil, connected: tuple[str, ...]
) -> None:
    fake.answer("GET", "/v1/monitors", json_body=listed())

    run = vigil("monitors", "list", *connected)

    assert run.code == 0
    lines = run.out.splitlines()
    assert lines[0].split() == ["ID", "NAME", "TYPE", "TARGET", "INTERVAL", "STATUS", "LAST", "CHECKED"]
    rows = {line.split()[0]: line for line in lines[1:]}
    assert set(rows) == {"shop", "payments", "new-one", "nightly"}
    assert rows["shop"].split()[-4:] == ["1m", "UP", "1m", "ago"]  # 90 s ago shows as 1m
    assert " 5m  DOWN " in rows["payments"]
    assert "not checked yet" in rows["new-one"]
    assert " 1h  paused " in rows["nightly"]
    # Columns are aligned: each row's type starts under TYPE
    assert {line.index("http") for line in lines[1:]} == {lines[0].index("TYPE")}
    assert "\x1b[" not in run.out


def test_list_json_is_the_apis_json(vigil: Vigil, fake: FakeVigil, connected: tuple[str, ...]) -> None:
    listing = listed()
    fake.answer("GET", "/v1/monitors", json_body=listing)

    before = vigil("--json", "monitors", "list", *connected)
    after = vigil("monitors", "list", "--json", *connected)

    assert (before.code, after.code) == (0, 0)
    assert before.json == listing
    assert before.out == after.out == json.dumps(listing, indent=2) + "\n"


def test_list_in_a_terminal_colours_each_status(
    vigil: Vigil, fake: FakeVigil, connected: tuple[str, ...], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given stdout that counts as a terminal
    monkeypatch.setenv("FORCE_COLOR", "1")
    fake.answer("GET", "/v1/monitors", json_body=listed())

    run = vigil("monitors", "list", *connected)

    # Then UP is green and DOWN red
    assert run.code == 0
    assert re.search(r"\x1b\[32mUP", run.out)
    assert re.search(r"\x1b\[31mDOWN", run.out)
    assert "payments" in ANSI.sub("", run.out)


def test_no_color_keeps_the_table_and_drops_the_colours(
    vigil: Vigil, fake: FakeVigil, connected: tuple[str, ...], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.setenv("NO_COLOR", "1")
    fake.answer("GET", "/v1/monitors", json_body=listed())

    run = vigil("monitors", "list", *connected)
    flag = vigil("--no-color", "monitors", "list", *connected)

    for output in (run.out, flag.out):
        assert not re.search(r"\x1b\[3[0-9]m", output)
        assert "DOWN" in output
        assert "payments" in output


def test_an_empty_list_says_so_on_stderr(vigil: Vigil, fake: FakeVigil, connected: tuple[str, ...]) -> None:
    fake.answer("GET", "/v1/monitors", json_body={"monitors": []})

    run = vigil("monitors", "list", *connected)

    assert (run.code, run.out) == (0, "")
    assert run.err == f"no monitors yet at {fake.url}: add one with `vigil monitors add`\n"


# --- add -------------------------------------------------------------------------------------------


def test_add_from_flags_posts_only_the_fields_given(vigil: Vigil, fake: FakeVigil, connected: tuple[str, ...]) -> None:
    created = monitor("checkout-api", None)
    fake.answer("POST", "/v1/monitors", 201, created)

    run = vigil(
        "monitors",
        "add",
        "--name",
        "Checkout API",
        "--target",
        "https://shop.example/health",
        "--interval",
        "1m",
        "--expected-status",
        "200",
        "--expected-status",
        "3xx",
        "--header",
        "Authorization: Bearer t",
        "--tag",
        "team=shop",
        "--method",
        "head",
        *connected,
    )

    assert run.code == 0
    assert fake.requests_to("POST", "/v1/monitors")[0].json == {
        "type": "http",
        "name": "Checkout API",
        "target": "https://shop.example/health",
        "interval": "1m",
        "method": "HEAD",
        "expected_status": [200, "3xx"],
        "headers": {"Authorization": "Bearer t"},
        "tags": {"team": "shop"},
    }
    assert run.out == "created monitor checkout-api: http https://checkout-api.example/health every 1m\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--target", "https://x.example"), "--name is required (or give --file)"),
        (("--name", "Shop"), "--target is required for a http monitor"),
        (("--type", "heartbeat", "--name", "Cron", "--target", "x"), "a heartbeat monitor has no --target"),
        (("--name", "Shop", "--target", "https://x", "--tag", "team"), "--tag 'team' is not KEY=VALUE"),
        (("--file", "monitors.yaml", "--name", "Shop"), "--name: not with --file (put it in the file)"),
    ],
)
def test_add_with_flags_that_do_not_fit_is_a_usage_error(
    vigil: Vigil, fake: FakeVigil, connected: tuple[str, ...], args: tuple[str, ...], message: str
) -> None:
    run = vigil("monitors", "add", *args, *connected)

    assert run.code == 2
    assert message in run.err
    assert fake.requests == []


def test_add_from_a_file_creates_each_monitor_and_reports_the_refused_one(
    vigil: Vigil, fake: FakeVigil, connected: tuple[str, ...], clean_env: Path
) -> None:
    # Given a monitors document (as monitors.yaml writes it, tenants included) with one bad monitor
    path = clean_env / "monitors.yaml"
    path.write_text(
        "monitors:\n"
        "  - {tenant: acme, id: shop, name: Shop, type: http, target: https://shop.example}\n"
        "  - {tenant: acme, id: bad, name: Bad, type: http, target: nope}\n"
        "  - {tenant: acme, id: db, name: DB, type: tcp, target: 'db.internal:5432'}\n",
        encoding="utf-8",
    )
    fake.answer("POST", "/v1/monitors", 201, monitor("shop", None))
    fake.answer("POST", "/v1/monitors", 400, {"message": "target: must be an http:// or https:// URL"})
    fake.answer("POST", "/v1/monitors", 201, monitor("db", None, type="tcp", target="db.internal:5432"))

    run = vigil("monitors", "add", "--file", str(path), *connected)

    # Then each was posted without its tenant, the refusal is named, and the command fails
    assert run.code == 1
    posted = [request.json for request in fake.requests_to("POST", "/v1/monitors")]
    assert [body["id"] for body in posted] == ["shop", "bad", "db"]
    assert all("tenant" not in body for body in posted)
    assert "the monitors go to the API key's tenant" in run.err
    assert f"{path}: monitors[1] (bad): target: must be an http:// or https:// URL (HTTP 400)" in run.err
    assert run.err.endswith(f"vigil: error: 1 of 3 monitors from {path} were not added (see above)\n")
    results = {line.split()[0]: line.split()[1] for line in run.out.splitlines()[1:]}
    assert results == {"shop": "created", "bad": "failed", "db": "created"}


def test_add_with_replace_puts_over_a_monitor_that_exists(
    vigil: Vigil, fake: FakeVigil, connected: tuple[str, ...], clean_env: Path
) -> None:
    path = clean_env / "shop.json"
    path.write_text(json.dumps({"name": "Shop Front", "type": "http", "target": "https://shop.example"}))
    fake.answer("POST", "/v1/monitors", 409, {"error": "conflict", "message": "monitor 'shop-front' already exists"})
    stored = monitor("shop-front", "UP")
    fake.answer("PUT", "/v1/monitors/shop-front", 200, stored)

    without = vigil("monitors", "add", "--file", str(path), *connected)
    replaced = vigil("monitors", "add", "--file", str(path), "--replace", "--json", *connected)

    assert without.code == 1
    assert "monitor 'shop-front' already exists (HTTP 409)" in without.err
    assert replaced.code == 0
    assert replaced.json == {"monitors": [stored]}
    assert fake.requests_to("PUT", "/v1/monitors/shop-front")[0].json["name"] == "Shop Front"


def test_add_from_a_file_that_is_not_valid_fails_before_any_request(
    vigil: Vigil, fake: FakeVigil, connected: tuple[str, ...], clean_env: Path
) -> None:
    path = clean_env / "broken.json"
    path.write_text("{not json")

    run = vigil("monitors", "add", "--file", str(path), *connected)

    assert run.code == 1
    assert run.err.startswith(f"vigil: error: {path} is not valid JSON: ")
    assert fake.requests == []


# --- show and rm -----------------------------------------------------------------------------------


def test_show_prints_one_monitors_definition_and_state(
    vigil: Vigil, fake: FakeVigil, connected: tuple[str, ...]
) -> None:
    fake.answer("GET", "/v1/monitors/shop", json_body=monitor("shop", "DEGRADED", degraded_ms=800))

    run = vigil("monitors", "show", "shop", *connected)

    assert run.code == 0
    fields = {line.split("  ", 1)[0]: line.split("  ", 1)[1].strip() for line in run.out.splitlines()}
    assert fields["status"] == "DEGRADED"
    assert fields["target"] == "https://shop.example/health"
    assert fields["degraded ms"] == "800"


def test_rm_needs_yes_when_it_cannot_ask(vigil: Vigil, fake: FakeVigil, connected: tuple[str, ...]) -> None:
    # Given no terminal to ask on (pytest's stdin)
    fake.answer("DELETE", "/v1/monitors/shop", 204)

    refused = vigil("monitors", "rm", "shop", *connected)
    deleted = vigil("monitors", "rm", "shop", "--yes", *connected)

    assert refused.code == 2
    assert refused.err == "vigil: error: not deleting monitor shop without confirmation: pass --yes\n"
    assert (deleted.code, deleted.out) == (0, "deleted monitor shop\n")
    assert len(fake.requests_to("DELETE", "/v1/monitors/shop")) == 1


# --- help ------------------------------------------------------------------------------------------


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    actions = [action for action in parser._actions if isinstance(action, argparse._SubParsersAction)]
    return dict(actions[0].choices) if actions else {}


def _leaf_commands(parser: argparse.ArgumentParser, path: str = "vigil") -> dict[str, argparse.ArgumentParser]:
    children = _subcommands(parser)
    if not children:
        return {path: parser}
    found: dict[str, argparse.ArgumentParser] = {}
    for name, child in children.items():
        found |= _leaf_commands(child, f"{path} {name}")
    return found


def test_every_command_and_option_has_help(vigil: Vigil) -> None:
    # Given the whole command line
    commands = _leaf_commands(build_parser())

    # Then the new commands are all there, and every option of every command says what it does
    for expected in (
        "vigil monitors list",
        "vigil monitors add",
        "vigil monitors rm",
        "vigil alerts list",
        "vigil alerts ack",
        "vigil alerts resolve",
        "vigil silences add",
        "vigil silences list",
        "vigil silences rm",
        "vigil sla report",
        "vigil keys create",
        "vigil keys list",
        "vigil keys revoke",
        "vigil config show",
        "vigil local up",
        "vigil demo",
        "vigil dlq redrive",
        "vigil import gatus",
        "vigil slo import",
    ):
        assert expected in commands
    for name, command in commands.items():
        for action in command._actions:
            assert action.help, f"{name} {action.option_strings or action.dest} has no help"
    run = vigil("silences", "add", "--help")
    assert run.code == 0
    assert "vigil silences add --matcher monitor=checkout-api --duration 2h" in run.out
