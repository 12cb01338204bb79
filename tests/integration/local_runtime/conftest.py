from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from moto.server import ThreadedMotoServer

from vigil_cli.local.backend import reset_moto
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


@pytest.fixture
def moto_server() -> Iterator[str]:
    """A standalone moto server (its URL) for a cloud given a backend_url, e.g. to use moto's CloudFormation."""
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    reset_moto(url)  # moto's state is process-global: start from nothing, leave nothing
    try:
        yield url
    finally:
        reset_moto(url)
        server.stop()
