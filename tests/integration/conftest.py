from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support import ROOT
from vigil_cli.local.cloud import LocalCloud
from vigil_cli.local.synth import synthesize


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCloud]:
    """The synthesized template provisioned into an embedded moto, its API served on 127.0.0.1."""
    state_dir = tmp_path_factory.mktemp("local-cloud")
    template = synthesize(state_dir / "cdk.out", repo_root=ROOT)
    with LocalCloud(
        template, state_dir=state_dir, start_schedules=False, start_pollers=False, start_sweeper=False
    ) as running:
        yield running
