"""What `vigil` says when the API refuses, fails or cannot be reached: the API's message and field on stderr as
`vigil: error: ...`, exit code 1."""

from __future__ import annotations

import socket

import pytest

from tests.unit.cli.fake_api import API_KEY, FakeVigil, Vigil
from vigil_cli import CliError
from vigil_cli.api_client import VigilApi
from vigil_cli.config import Connection


def test_an_unreachable_api_is_reported_with_its_url(vigil: Vigil) -> None:
    # Given a loopback port nothing listens on
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{probe.getsockname()[1]}"

    run = vigil("monitors", "list", "--url", url, "--api-key", API_KEY)

    assert run.code == 1
    assert run.out == ""
    assert run.err.startswith(f"vigil: error: cannot reach vigil at {url}: ")


def test_a_404_shows_the_apis_message(vigil: Vigil, fake: FakeVigil, connected: tuple[str, ...]) -> None:
    fake.answer("DELETE", "/v1/monitors/nope", 404, {"error": "not_found", "message": "monitor 'nope' not found"})

    run = vigil("monitors", "rm", "nope", "--yes", *connected)

    assert run.code == 1
    assert run.err == "vigil: error: monitor 'nope' not found (HTTP 404)\n"


def test_a_validation_error_names_every_field(vigil: Vigil, fake: FakeVigil, connected: tuple[str, ...]) -> None:
    # Given an API refusing two fields of the monitor
    fake.answer(
        "POST",
        "/v1/monitors",
        400,
        {
            "error": "validation_error",
            "message": "2 invalid field(s); first: target: must be an http:// or https:// URL",
            "errors": [
                {"field": "target", "problem": "must be an http:// or https:// URL"},
                {"field": "interval", "problem": "must be one of 30s, 1m, 5m, 15m, 30m, 1h"},
            ],
        },
    )

    run = vigil("monitors", "add", "--name", "Shop", "--target", "shop.example", "--interval", "2m", *connected)

    # Then the message comes first, then each field the message did not already name
    assert run.code == 1
    assert run.err.splitlines() == [
        "vigil: error: 2 invalid field(s); first: target: must be an http:// or https:// URL (HTTP 400)",
        "  interval: must be one of 30s, 1m, 5m, 15m, 30m, 1h",
    ]


def test_a_nested_error_body_is_understood(vigil: Vigil, fake: FakeVigil, connected: tuple[str, ...]) -> None:
    fake.answer(
        "POST",
        "/v1/keys",
        409,
        {"error": {"code": "conflict", "message": "too many keys", "errors": [{"field": "label", "problem": "taken"}]}},
    )

    run = vigil("keys", "create", "--label", "ci", *connected)

    assert run.code == 1
    assert run.err.splitlines() == ["vigil: error: too many keys (HTTP 409)", "  label: taken"]


def test_a_401_hints_at_the_key_and_where_it_came_from(
    vigil: Vigil, fake: FakeVigil, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VIGIL_API_KEY", "vgl_old_key")
    fake.answer("GET", "/v1/alerts", 401, {"error": "unauthorized", "message": "unknown or revoked API key"})

    run = vigil("alerts", "list", "--url", fake.url)

    assert run.code == 1
    assert run.err.splitlines() == [
        "vigil: error: unknown or revoked API key (HTTP 401)",
        f"  hint: the API key (from VIGIL_API_KEY) was not accepted by {fake.url}: "
        "check --api-key, VIGIL_API_KEY or the profile's api_key",
    ]


def test_an_api_gateway_error_and_a_non_json_error_are_shown(
    vigil: Vigil, fake: FakeVigil, connected: tuple[str, ...]
) -> None:
    fake.answer("GET", "/v1/monitors", 403, {"message": "Missing Authentication Token"})
    fake.answer("GET", "/v1/silences", 502, text="<html><body>Bad   gateway</body></html>", content_type="text/html")

    gateway = vigil("monitors", "list", *connected)
    proxy = vigil("silences", "list", *connected)

    assert (gateway.code, proxy.code) == (1, 1)
    assert gateway.err.startswith("vigil: error: Missing Authentication Token (HTTP 403)\n  hint: the API key")
    assert proxy.err == "vigil: error: GET /v1/silences failed: <html><body>Bad gateway</body></html> (HTTP 502)\n"


def test_a_success_that_is_not_json_says_the_url_may_not_be_vigil(
    vigil: Vigil, fake: FakeVigil, connected: tuple[str, ...]
) -> None:
    fake.answer("GET", "/v1/monitors", 200, text="<html>welcome</html>", content_type="text/html")

    run = vigil("monitors", "list", *connected)

    assert run.code == 1
    assert f"(is {fake.url} a vigil API?)" in run.err


def test_a_slow_api_times_out_with_a_clear_message(fake: FakeVigil) -> None:
    # Given an API that answers after a second, and a client that waits a fifth of one
    fake.answer("GET", "/v1/monitors", json_body={"monitors": []}, delay_s=1.0)
    api = VigilApi(Connection(url=fake.url, api_key=API_KEY), timeout_s=0.2)

    # When it is asked
    with api, pytest.raises(CliError) as raised:
        api.get("/v1/monitors")

    # Then the error says who did not answer what, and within how long
    assert str(raised.value) == f"vigil at {fake.url} did not answer GET /v1/monitors within 0.2 s"


def test_bad_flags_are_usage_errors(vigil: Vigil) -> None:
    run = vigil("alerts", "list", "--state", "burning")

    assert run.code == 2
    assert "argument --state/--status: invalid choice: 'burning'" in run.err
