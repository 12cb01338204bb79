"""Where `vigil` finds the API and the key: flags > environment > config file > the running local cloud."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.unit.cli.fake_api import API_KEY, FakeVigil, Vigil

MONITORS: dict[str, list[object]] = {"monitors": []}


def write_config(clean_env: Path, text: str) -> Path:
    path = clean_env.parent / "config-home" / "vigil" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def write_local_cloud(
    workdir: Path,
    url: str,
    api_key: str = "vgl_local_demo-key",
    tenant: str = "demo",
    operator_api_key: str | None = None,
) -> None:
    """The state `vigil local up` writes while it runs (this process stands in for it: its pid is alive)."""
    state_dir = workdir / ".vigil"
    state_dir.mkdir(exist_ok=True)
    state = {
        "url": url,
        "api_key": api_key,
        "tenant_id": tenant,
        "pid": os.getpid(),
        "operator_tenant_id": "ops" if operator_api_key else None,
        "operator_api_key": operator_api_key,
    }
    (state_dir / "local.json").write_text(json.dumps(state), encoding="utf-8")


def test_with_nothing_configured_a_command_names_the_ways_to_set_the_api_and_exits_2(
    vigil: Vigil, clean_env: Path
) -> None:
    # Given no flag, no environment, no config file and no local cloud
    # When a command that needs the API runs
    run = vigil("monitors", "list")

    # Then it fails with a usage error that says how to point it at a vigil
    assert run.code == 2
    assert run.out == ""
    assert run.err.startswith("vigil: error: no vigil API to talk to: pass --url URL, set VIGIL_URL, or set url in ")
    assert str(clean_env.parent / "config-home" / "vigil" / "config.toml") in run.err
    assert "vigil local up" in run.err


def test_a_url_without_a_key_names_the_ways_to_set_the_key(vigil: Vigil, fake: FakeVigil) -> None:
    run = vigil("monitors", "list", "--url", fake.url)

    assert run.code == 2
    assert f"no API key for {fake.url}: pass --api-key KEY, set VIGIL_API_KEY, or set api_key in " in run.err
    assert fake.requests == []


def test_the_environment_is_used_when_no_flag_is_given(
    vigil: Vigil, fake: FakeVigil, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the API in VIGIL_URL and VIGIL_API_KEY
    monkeypatch.setenv("VIGIL_URL", fake.url + "/")
    monkeypatch.setenv("VIGIL_API_KEY", "vgl_env_key")
    fake.answer("GET", "/v1/monitors", json_body=MONITORS)

    # When monitors are listed
    run = vigil("monitors", "list")

    # Then the request went there with that key
    assert run.code == 0
    assert [request.headers["x-api-key"] for request in fake.requests_to("GET", "/v1/monitors")] == ["vgl_env_key"]


def test_flags_win_over_the_environment_and_the_config_file(
    vigil: Vigil, fake: FakeVigil, clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a key in every place
    write_config(clean_env, f'[default]\nurl = "{fake.url}"\napi_key = "vgl_file_key"\n')
    monkeypatch.setenv("VIGIL_API_KEY", "vgl_env_key")
    fake.answer("GET", "/v1/monitors", json_body=MONITORS)

    # When --api-key is given, before the command or after it
    first = vigil("--api-key", "vgl_flag_before", "monitors", "list")
    second = vigil("monitors", "list", "--api-key", "vgl_flag_after")
    third = vigil("monitors", "list")

    # Then the flag's key is sent; without a flag, the environment's (over the file's)
    assert (first.code, second.code, third.code) == (0, 0, 0)
    assert [request.headers["x-api-key"] for request in fake.requests] == [
        "vgl_flag_before",
        "vgl_flag_after",
        "vgl_env_key",
    ]


def test_the_config_files_default_table_and_named_profiles(
    vigil: Vigil, fake: FakeVigil, clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a [default] table and a [profiles.prod] table
    write_config(
        clean_env,
        f'[default]\nurl = "{fake.url}"\napi_key = "vgl_default"\n\n'
        f'[profiles.prod]\nurl = "{fake.url}"\napi_key = "vgl_prod"\ntenant = "acme"\n',
    )
    fake.answer("GET", "/v1/monitors", json_body=MONITORS)

    # When commands run without a profile, with --profile prod, and with VIGIL_PROFILE=prod
    assert vigil("monitors", "list").code == 0
    assert vigil("monitors", "list", "--profile", "prod").code == 0
    monkeypatch.setenv("VIGIL_PROFILE", "prod")
    assert vigil("monitors", "list").code == 0

    # Then [default] is used unless a profile is named
    assert [request.headers["x-api-key"] for request in fake.requests] == ["vgl_default", "vgl_prod", "vgl_prod"]


def test_config_show_says_where_each_setting_came_from_without_showing_the_key(
    vigil: Vigil, fake: FakeVigil, clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_config(clean_env, f'[profiles.prod]\nurl = "{fake.url}"\napi_key = "vgl_0a1b2c3d4e5f_s3cret"\n')
    monkeypatch.setenv("VIGIL_TENANT", "acme")

    run = vigil("config", "show", "--profile", "prod", "--json")

    assert run.code == 0
    assert run.json == {
        "config_file": str(path),
        "config_file_found": True,
        "profile": "profiles.prod",
        "url": fake.url,
        "api_key": "vgl_0a1b2c3d4e5f_****",
        "tenant": "acme",
        "sources": {
            "url": f"[profiles.prod] in {path}",
            "api_key": f"[profiles.prod] in {path}",
            "tenant": "VIGIL_TENANT",
        },
    }
    text = vigil("config", "show", "--profile", "prod")
    assert "s3cret" not in text.out
    assert f"{fake.url}   (from [profiles.prod] in {path})" in text.out


def test_vigil_config_names_the_config_file(
    vigil: Vigil, fake: FakeVigil, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given VIGIL_CONFIG naming a file outside the config home
    path = tmp_path / "elsewhere.toml"
    path.write_text(f'[default]\nurl = "{fake.url}"\napi_key = "vgl_elsewhere"\n', encoding="utf-8")
    monkeypatch.setenv("VIGIL_CONFIG", str(path))
    fake.answer("GET", "/v1/monitors", json_body=MONITORS)

    assert vigil("monitors", "list").code == 0
    assert fake.requests[0].headers["x-api-key"] == "vgl_elsewhere"

    # And a VIGIL_CONFIG naming no file is an error, not silently ignored
    monkeypatch.setenv("VIGIL_CONFIG", str(tmp_path / "missing.toml"))
    run = vigil("monitors", "list")
    assert (run.code, run.err) == (
        2,
        f"vigil: error: VIGIL_CONFIG names {tmp_path / 'missing.toml'}, which does not exist\n",
    )


@pytest.mark.parametrize(
    ("text", "args", "message"),
    [
        ("[default\n", (), "is not valid TOML"),
        ('[default]\napikey = "k"\n', (), "[default] has an unknown key 'apikey' (use url, api_key, tenant)"),
        ("[default]\nurl = 8080\n", (), "[default] url must be a non-empty string"),
        ('[profiles.prod]\nurl = "http://x"\n', ("--profile", "staging"), "profile 'staging' is not in"),
        ('[default]\nurl = "ftp://files"\napi_key = "k"\n', (), "'ftp://files' (from [default] in"),
    ],
)
def test_a_config_file_that_does_not_fit_is_a_usage_error_naming_the_problem(
    vigil: Vigil, clean_env: Path, text: str, args: tuple[str, ...], message: str
) -> None:
    path = write_config(clean_env, text)

    run = vigil("monitors", "list", *args)

    assert run.code == 2
    assert run.err.startswith("vigil: error: ")
    assert message in run.err
    assert str(path) in run.err


def test_a_profile_named_without_a_config_file_is_an_error(vigil: Vigil, clean_env: Path) -> None:
    run = vigil("monitors", "list", "--profile", "prod")

    assert run.code == 2
    assert "profile 'prod' asked for (by --profile), but there is no config file at" in run.err


def test_with_a_local_cloud_running_commands_need_no_flags(vigil: Vigil, fake: FakeVigil, clean_env: Path) -> None:
    # Given `vigil local up` running here (its state in .vigil/local.json) and nothing else configured
    write_local_cloud(clean_env, fake.url, api_key="vgl_local_demo-key", tenant="demo")
    fake.answer("GET", "/v1/monitors", json_body=MONITORS)

    # When monitors are listed without any flag
    run = vigil("monitors", "list")

    # Then the local cloud's API was asked with its demo key
    assert run.code == 0
    assert fake.requests[0].headers["x-api-key"] == "vgl_local_demo-key"
    shown = vigil("config", "show", "--json").json
    assert (shown["url"], shown["tenant"]) == (fake.url, "demo")
    assert shown["sources"]["api_key"] == "the local cloud (.vigil/local.json)"


def test_the_local_clouds_key_is_never_sent_to_another_url(vigil: Vigil, fake: FakeVigil, clean_env: Path) -> None:
    # Given a local cloud running elsewhere than the URL asked for
    write_local_cloud(clean_env, "http://127.0.0.1:1", api_key="vgl_local_demo-key")

    # When a command names another vigil but no key
    run = vigil("monitors", "list", "--url", fake.url)

    # Then the demo key is not used for it
    assert run.code == 2
    assert f"no API key for {fake.url}" in run.err
    assert fake.requests == []


def test_a_stopped_local_clouds_state_is_ignored(vigil: Vigil, clean_env: Path) -> None:
    # Given a state file left by a local cloud whose process is gone
    state_dir = clean_env / ".vigil"
    state_dir.mkdir()
    (state_dir / "local.json").write_text(
        json.dumps({"url": "http://127.0.0.1:1", "api_key": API_KEY, "pid": 2**22 + 1})
    )

    run = vigil("monitors", "list")

    assert run.code == 2
    assert "no vigil API to talk to" in run.err


def test_an_option_given_before_a_command_that_does_not_use_it_is_a_usage_error(vigil: Vigil, tmp_path: Path) -> None:
    run = vigil("--url", "http://127.0.0.1:1", "import", "gatus", str(tmp_path / "gatus.yaml"))

    assert run.code == 2
    assert "--url does not apply to `vigil import`" in run.err
