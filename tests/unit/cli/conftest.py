"""Fixtures of the `vigil` command's tests: a clean environment (no VIGIL_* settings, no config file, no local
cloud, no colours), the stand-in API, and a runner capturing exit code, stdout and stderr."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.unit.cli.fake_api import API_KEY, FakeVigil, Run, Vigil
from vigil_cli.main import main


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No VIGIL_* variable, proxy or colour setting; an empty config home; a working directory without a local
    cloud. Returns the working directory."""
    for name in list(os.environ):
        if name.startswith("VIGIL_") or name.lower().endswith("_proxy") or name in ("NO_COLOR", "FORCE_COLOR"):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config-home"))
    workdir = tmp_path / "work"
    workdir.mkdir()
    monkeypatch.chdir(workdir)
    return workdir


@pytest.fixture
def fake(clean_env: Path) -> Iterator[FakeVigil]:
    with FakeVigil() as server:
        yield server


@pytest.fixture
def vigil(capsys: pytest.CaptureFixture[str], clean_env: Path) -> Vigil:
    """Runs `vigil ARGS`; a usage error (argparse's SystemExit) counts as its exit code."""

    def run(*args: str) -> Run:
        try:
            code = main(list(args))
        except SystemExit as exc:
            code = int(exc.code or 0) if not isinstance(exc.code, str) else 1
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    return run


@pytest.fixture
def connected(fake: FakeVigil) -> tuple[str, ...]:
    """The flags that point the command at the fake API."""
    return ("--url", fake.url, "--api-key", API_KEY)
