from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from vigil_cli.local.cloud import LocalCloud

from .templates import ASSEMBLY_DIR

StartCloud = Callable[..., LocalCloud]


@pytest.fixture
def start_cloud(tmp_path: Path) -> Iterator[StartCloud]:
    """Start a LocalCloud on a template dict; triggers stay off unless a test turns them on."""
    clouds: list[LocalCloud] = []

    def start(template: dict[str, Any], **options: Any) -> LocalCloud:
        options.setdefault("state_dir", tmp_path / "state")
        for trigger in ("start_schedules", "start_pollers", "start_sweeper"):
            options.setdefault(trigger, False)
        cloud = LocalCloud(template, ASSEMBLY_DIR, **options)
        clouds.append(cloud)
        return cloud.start()

    yield start
    for cloud in clouds:
        cloud.stop()


def wait_until(condition: Callable[[], Any], *, timeout_s: float = 10.0, interval_s: float = 0.1) -> Any:
    """Poll ``condition`` until it returns something truthy; fail after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"condition not met within {timeout_s} s")
        time.sleep(interval_s)
